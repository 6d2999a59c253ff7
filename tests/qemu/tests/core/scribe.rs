//! Scribe on ARM: the golden `Log` frame and `OK` reply of tryfer-golden.json, written and parsed; parsers fed
//! truncated and corrupted frames answer with errors, never a panic.

use tryfer_core::scribe::{
    self, base64::Base64Sink, LogCall, LogOptions, Outcome, Reply, ReplyError, MAX_FRAME_DEFAULT,
};
use tryfer_core::sink::{EncodeError, Slice};
use tryfer_core::thrift;

use crate::data::{GOLDEN, SCRIBE_LOG_FRAME, SCRIBE_REPLY_OK};
use crate::golden::{span_of, TestSpan};
use crate::runner::{Hex, Outcome as TestOutcome, Runner};

/// The spans the golden frame carries.
fn frame_spans() -> Result<heapless::Vec<TestSpan, 2>, crate::runner::Failure> {
    let mut spans = heapless::Vec::new();
    for &i in SCRIBE_LOG_FRAME.cases {
        let Some(case) = GOLDEN.get(i) else {
            fail!("frame names case {i}, which does not exist")
        };
        if spans.push(span_of(case)?).is_err() {
            fail!("the frame carries more than 2 spans");
        }
    }
    Ok(spans)
}

fn message_is_base64_of_span(i: usize) -> TestOutcome {
    let case = &GOLDEN[i];
    let span = span_of(case)?;
    let mut buf = [0u8; 512];
    let mut out = Slice::new(&mut buf);
    let mut text = Base64Sink::new(&mut out);
    if let Err(e) = thrift::encode_binary_span(&span, &mut text) {
        fail!("encode failed: {e}");
    }
    if let Err(e) = text.finish() {
        fail!("base64 finish failed: {e}");
    }
    check_eq!(
        core::str::from_utf8(out.written()),
        Ok(case.scribe_message_base64),
        "Scribe message"
    );
    Ok(())
}

fn log_frame_matches() -> TestOutcome {
    let spans = frame_spans()?;
    let options = LogOptions::new();
    let mut buf = [0u8; 1024];
    let mut out = Slice::new(&mut buf);
    if let Err(e) = scribe::write_log_call(spans.iter(), SCRIBE_LOG_FRAME.seqid, &options, &mut out) {
        fail!("write_log_call failed: {e}");
    }
    check_eq!(Hex(out.written()), Hex(SCRIBE_LOG_FRAME.frame), "framed Log call");
    check_eq!(
        scribe::log_call_len(spans.iter(), &options),
        Ok(out.len()),
        "log_call_len"
    );

    // One byte short: refused, not cut.
    let mut short = Slice::new(&mut buf[..SCRIBE_LOG_FRAME.frame.len() - 1]);
    check_eq!(
        scribe::write_log_call(spans.iter(), SCRIBE_LOG_FRAME.seqid, &options, &mut short),
        Err(EncodeError::BufferFull),
        "one byte short"
    );
    Ok(())
}

fn log_frame_parses_back() -> TestOutcome {
    let frame = SCRIBE_LOG_FRAME.frame;
    let Ok(Some(split)) = scribe::split_frame(frame, MAX_FRAME_DEFAULT) else {
        fail!("split_frame did not find one whole frame")
    };
    check!(split.rest.is_empty(), "the golden frame is one frame");
    let payload = split.payload;
    let call = match LogCall::parse(payload, 16) {
        Ok(call) => call,
        Err(e) => fail!("LogCall::parse: {e}"),
    };
    check_eq!(call.seqid(), SCRIBE_LOG_FRAME.seqid, "seqid");
    check!(!call.is_oneway(), "a CALL, not ONEWAY");
    check_eq!(call.len(), SCRIBE_LOG_FRAME.cases.len(), "entries");
    let mut seen = 0;
    for (entry, &i) in call.entries().zip(SCRIBE_LOG_FRAME.cases) {
        check_eq!(entry.category, scribe::CATEGORY, "category");
        check_eq!(entry.message, GOLDEN[i].scribe_message_base64, "message text");
        let mut scratch = [0u8; 512];
        match entry.decode_message(&mut scratch) {
            Ok(bytes) => check_eq!(Hex(bytes), Hex(GOLDEN[i].thrift_binary), "decoded message"),
            Err(e) => fail!("decode_message: {e}"),
        }
        // Straight to a span view, which re-encodes to the golden bytes.
        let span = match entry.decode_span::<8>(&mut scratch) {
            Ok(span) => span,
            Err(e) => fail!("decode_span: {e}"),
        };
        let mut buf = [0u8; 512];
        let mut out = Slice::new(&mut buf);
        check_eq!(thrift::encode_binary_span(&span, &mut out), Ok(()), "re-encode");
        check_eq!(Hex(out.written()), Hex(GOLDEN[i].thrift_binary), "re-encoded span");
        seen += 1;
    }
    check_eq!(seen, SCRIBE_LOG_FRAME.cases.len(), "entries iterated");
    check_eq!(
        LogCall::parse(payload, 1).err(),
        Some(scribe::CallError::TooManyEntries),
        "entry limit"
    );
    Ok(())
}

fn reply_ok_parses() -> TestOutcome {
    let expected = Reply {
        seqid: SCRIBE_LOG_FRAME.seqid,
        outcome: Outcome::Ok,
    };
    check_eq!(
        scribe::read_reply(SCRIBE_REPLY_OK, MAX_FRAME_DEFAULT),
        Ok(Some((expected, SCRIBE_REPLY_OK.len()))),
        "read_reply"
    );
    check_eq!(scribe::parse_reply(&SCRIBE_REPLY_OK[4..]), Ok(expected), "parse_reply");
    // Less than a whole frame: wait for more.
    for cut in 0..SCRIBE_REPLY_OK.len() {
        check_eq!(
            scribe::read_reply(&SCRIBE_REPLY_OK[..cut], MAX_FRAME_DEFAULT),
            Ok(None),
            "prefix of {cut} bytes"
        );
    }
    // A truncated payload is an error.
    for cut in 0..SCRIBE_REPLY_OK.len() - 4 {
        check_eq!(
            scribe::parse_reply(&SCRIBE_REPLY_OK[4..4 + cut]),
            Err(ReplyError::Truncated),
            "payload cut at {cut}"
        );
    }
    Ok(())
}

fn reply_ok_is_written() -> TestOutcome {
    let reply = Reply {
        seqid: SCRIBE_LOG_FRAME.seqid,
        outcome: Outcome::Ok,
    };
    let mut buf = [0u8; 64];
    let mut out = Slice::new(&mut buf);
    check_eq!(scribe::write_reply(&reply, &mut out), Ok(()), "write_reply");
    check_eq!(Hex(out.written()), Hex(SCRIBE_REPLY_OK), "OK reply bytes");
    check_eq!(scribe::reply_len(&reply), Ok(SCRIBE_REPLY_OK.len()), "reply_len");
    Ok(())
}

/// Every prefix of the golden call is refused; every single-bit flip parses or is refused without a panic, and
/// whatever parses has entries that iterate to their count.
fn corrupted_calls_never_panic() -> TestOutcome {
    let payload = &SCRIBE_LOG_FRAME.frame[4..];
    for cut in 0..payload.len() {
        check!(
            LogCall::parse(&payload[..cut], 16).is_err(),
            "a call cut at {cut} bytes parsed"
        );
    }
    let mut copy = [0u8; 512];
    let Some(copy) = copy.get_mut(..payload.len()) else {
        fail!("golden frame longer than 512 bytes")
    };
    let mut scratch = [0u8; 512];
    for i in 0..payload.len() {
        for bit in 0..8 {
            copy.copy_from_slice(payload);
            copy[i] ^= 1 << bit;
            if let Ok(call) = LogCall::parse(copy, 16) {
                let mut n = 0;
                for entry in call.entries() {
                    let _ = entry.decode_message(&mut scratch);
                    let _ = entry.decode_span::<8>(&mut scratch);
                    n += 1;
                }
                check_eq!(n, call.len(), "entries of a call with byte {i} bit {bit} flipped");
            }
        }
    }
    Ok(())
}

fn corrupted_replies_never_panic() -> TestOutcome {
    let mut copy = [0u8; 64];
    let copy = &mut copy[..SCRIBE_REPLY_OK.len()];
    for i in 0..SCRIBE_REPLY_OK.len() {
        for bit in 0..8 {
            copy.copy_from_slice(SCRIBE_REPLY_OK);
            copy[i] ^= 1 << bit;
            let _ = scribe::read_reply(copy, MAX_FRAME_DEFAULT);
            let _ = scribe::parse_reply(&copy[4..]);
        }
    }
    // Garbage of every byte value, and a frame length past the maximum.
    for b in 0..=255u8 {
        let junk = [b; 40];
        let _ = scribe::read_reply(&junk, MAX_FRAME_DEFAULT);
        check!(
            scribe::parse_reply(&junk).is_err(),
            "40 bytes of {b:#04x} parsed as a reply"
        );
        check!(
            LogCall::parse(&junk, 16).is_err(),
            "40 bytes of {b:#04x} parsed as a call"
        );
    }
    check!(
        scribe::read_reply(SCRIBE_REPLY_OK, 8).is_err(),
        "frame above the maximum accepted"
    );
    Ok(())
}

pub fn run(r: &mut Runner) {
    for (i, case) in GOLDEN.iter().enumerate() {
        r.test(format_args!("scribe message base64: {}", case.case), || {
            message_is_base64_of_span(i)
        });
    }
    r.test(format_args!("scribe Log frame: golden bytes"), log_frame_matches);
    r.test(
        format_args!("scribe Log frame: parses back to the golden spans"),
        log_frame_parses_back,
    );
    r.test(format_args!("scribe reply: golden OK parses"), reply_ok_parses);
    r.test(format_args!("scribe reply: OK written as golden"), reply_ok_is_written);
    r.test(
        format_args!("scribe parser: corrupted calls refused, no panic"),
        corrupted_calls_never_panic,
    );
    r.test(
        format_args!("scribe parser: corrupted replies refused, no panic"),
        corrupted_replies_never_panic,
    );
}
