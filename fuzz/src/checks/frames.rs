//! What `tryfer-sink` does with the bytes of one connection: split frames (with its size limit), read each as
//! a Scribe `Log` call (with its entry limit), decode each `zipkin` message into a span (binary or compact,
//! in a scratch buffer of `decoded_len` bytes), and write the reply it would send, `OK` or an exception.

use tryfer_core::scribe::{
    self, decoded_len, ApplicationException, LogCall, MessageError, Outcome, Reply, CATEGORY, FRAME_HEADER_LEN,
};
use tryfer_core::sink::Slice;
use tryfer_core::thrift::decode::Protocol;
use tryfer_core::thrift::read::BinaryReader;

use super::span::reencodes;

/// The largest frame taken (the sink's default is 4 MiB; a small one lets the fuzzer reach the limit).
pub const MAX_FRAME: usize = 64 * 1024;
/// The most entries one call may carry.
pub const MAX_ENTRIES: usize = 64;
/// The most events one span may carry, as in the sink (`tryfer_smol::sink::MAX_EVENTS`).
pub const MAX_EVENTS: usize = 256;

/// The `sink_frames` target: the input is what a client sent on one connection.
pub fn check(data: &[u8]) {
    let mut rest = data;
    loop {
        match scribe::split_frame(rest, MAX_FRAME) {
            Ok(Some(frame)) => {
                assert_eq!(FRAME_HEADER_LEN + frame.payload.len() + frame.rest.len(), rest.len());
                assert!(frame.payload.len() <= MAX_FRAME);
                call(frame.payload);
                rest = frame.rest;
            }
            Ok(None) => break,
            Err(error) => {
                // The sink answers an oversized frame with the seqid its header gives, then closes.
                let _ = error.to_string();
                let (seqid, _) = header_of(rest.get(FRAME_HEADER_LEN..).unwrap_or_default());
                answer(seqid, Outcome::Exception(exception("frame exceeds the maximum")));
                break;
            }
        }
    }
}

fn exception(message: &str) -> ApplicationException<'_> {
    ApplicationException {
        message,
        kind: ApplicationException::PROTOCOL_ERROR,
    }
}

/// The seqid and "oneway" flag of a frame that is not a readable call, as far as its header reads.
fn header_of(payload: &[u8]) -> (i32, bool) {
    match BinaryReader::new(payload).message_begin() {
        Ok(header) => (header.seqid, header.kind == 4),
        Err(_) => (0, false),
    }
}

/// One frame's payload as a `Log` call.
fn call(payload: &[u8]) {
    let call = match LogCall::parse(payload, MAX_ENTRIES) {
        Ok(call) => call,
        Err(error) => {
            let (seqid, _) = header_of(payload);
            answer(
                seqid,
                Outcome::Exception(exception(&format!("cannot read Log call: {error}"))),
            );
            return;
        }
    };
    assert!(
        call.len() <= MAX_ENTRIES,
        "{} entries taken, the limit is {MAX_ENTRIES}",
        call.len()
    );
    assert_eq!(
        call.entries().count(),
        call.len(),
        "the entries are not as many as the call said"
    );
    assert_eq!(call.is_empty(), call.entries().next().is_none());
    let mut scratch = Vec::new();
    let mut refusal = None;
    for (index, entry) in call.entries().enumerate() {
        if entry.category != CATEGORY {
            continue;
        }
        scratch.clear();
        scratch.resize(decoded_len(entry.message), 0);
        let protocol = match entry.decode_message(&mut scratch) {
            Err(MessageError::ScratchTooSmall) => {
                panic!("decoded_len gave {} for a message that decodes longer", scratch.len())
            }
            Ok(bytes) => {
                assert!(bytes.len() <= decoded_len(entry.message));
                Protocol::detect(bytes)
            }
            Err(_) => None,
        };
        match entry.decode_span::<MAX_EVENTS>(&mut scratch) {
            Ok(span) => {
                assert!(protocol.is_some(), "a span decoded from bytes of no known protocol");
                reencodes(&span);
            }
            Err(MessageError::ScratchTooSmall) => panic!("decoded_len is too small for decode_span"),
            Err(error) => {
                refusal.get_or_insert_with(|| format!("message {index} is not a span: {error}"));
            }
        }
    }
    if !call.is_oneway() {
        match &refusal {
            None => answer(call.seqid(), Outcome::Ok),
            Some(why) => answer(call.seqid(), Outcome::Exception(exception(why))),
        }
    }
}

/// Writes the reply the sink would send and reads it back as a reporter would.
fn answer(seqid: i32, outcome: Outcome<'_>) {
    let reply = Reply { seqid, outcome };
    let len = scribe::reply_len(&reply).expect("a reply can be measured");
    let mut frame = vec![0u8; len];
    scribe::write_reply(&reply, Slice::new(&mut frame)).expect("the reply fits its measured length");
    assert_eq!(
        scribe::read_reply(&frame, len),
        Ok(Some((reply, len))),
        "the sink's reply reads back otherwise"
    );
}
