//! One received frame, read as a Scribe `Log` call: its spans decoded and owned, or the reason it is refused,
//! and the reply it gets. Pure: no sockets, so every outcome is easy to test.

use std::fmt::Write as _;

use tryfer_core::scribe::{
    decoded_len, write_reply, ApplicationException, CallError, LogCall, MessageError, Outcome, Reply, CATEGORY,
};
use tryfer_core::thrift::decode::{self, DecodedSpan, Protocol};
use tryfer_core::thrift::read::BinaryReader;

use super::record::ReceivedSpan;
use crate::buffer::Buffer;

/// Most annotations plus binary annotations one span may carry; a span with more fails its call.
pub const MAX_EVENTS: usize = 256;

/// Thrift message type `ONEWAY` (no reply).
const ONEWAY: u8 = 4;

/// What became of one frame.
#[derive(Debug)]
pub(crate) enum CallOutcome {
    /// Every `zipkin` message decoded: the spans, in order, and how many entries had another category.
    Accepted {
        seqid: i32,
        oneway: bool,
        spans: Vec<ReceivedSpan>,
        ignored: usize,
    },
    /// A message failed to decode: the call is refused whole, as Zipkin does.
    Rejected {
        seqid: i32,
        oneway: bool,
        /// How many `zipkin` messages the call carried (none kept).
        spans: usize,
        reason: String,
    },
    /// The frame is not a readable `Log` call.
    Unreadable { seqid: i32, oneway: bool, error: CallError },
}

/// The sequence id and "no reply wanted" flag of a frame whose call could not be read, as far as its header
/// can be read (sequence id 0 when even that fails).
pub(crate) fn header_of(payload: &[u8]) -> (i32, bool) {
    match BinaryReader::new(payload).message_begin() {
        Ok(header) => (header.seqid, header.kind == ONEWAY),
        Err(_) => (0, false),
    }
}

/// Decodes one message into an owned span; `scratch` is reused between messages.
fn decode_message(
    entry: &tryfer_core::scribe::LogEntry<'_>,
    scratch: &mut Vec<u8>,
) -> Result<ReceivedSpan, MessageError> {
    scratch.clear();
    scratch.resize(decoded_len(entry.message), 0);
    let bytes = entry.decode_message(scratch)?;
    let protocol = Protocol::detect(bytes).ok_or(MessageError::Span(decode::DecodeError::UnknownProtocol))?;
    // Most spans carry a handful of events: a small view first (a view of MAX_EVENTS is ~25 KiB, copied as it
    // is returned), the full one only for a span that does not fit.
    match decode::decode_span::<FEW_EVENTS>(bytes) {
        Err(decode::DecodeError::TooManyAnnotations) => {}
        decoded => return received(decoded, bytes, protocol),
    }
    received(decode::decode_span::<MAX_EVENTS>(bytes), bytes, protocol)
}

/// How many events the first, small view of a span holds.
const FEW_EVENTS: usize = 16;

/// The owned span of a decoded view that must have used every byte of `bytes`.
fn received<const N: usize>(
    decoded: Result<(DecodedSpan<'_, N>, usize), decode::DecodeError>,
    bytes: &[u8],
    protocol: Protocol,
) -> Result<ReceivedSpan, MessageError> {
    let (span, used) = decoded.map_err(MessageError::Span)?;
    if used != bytes.len() {
        return Err(MessageError::TrailingBytes);
    }
    Ok(ReceivedSpan::from_decoded(&span, protocol))
}

/// Reads one frame's payload as a `Log` call of at most `max_entries` entries and decodes its spans.
pub(crate) fn read_call(payload: &[u8], max_entries: usize, scratch: &mut Vec<u8>) -> CallOutcome {
    let call = match LogCall::parse(payload, max_entries) {
        Ok(call) => call,
        Err(error) => {
            let (seqid, oneway) = header_of(payload);
            return CallOutcome::Unreadable { seqid, oneway, error };
        }
    };
    let (seqid, oneway) = (call.seqid(), call.is_oneway());
    let zipkin = call.entries().filter(|e| e.category == CATEGORY).count();
    let mut spans = Vec::with_capacity(zipkin);
    for (index, entry) in call.entries().enumerate() {
        if entry.category != CATEGORY {
            continue;
        }
        match decode_message(&entry, scratch) {
            Ok(span) => spans.push(span),
            Err(e) => {
                let mut reason = String::new();
                let _ = write!(reason, "message {index} is not a span: {e}");
                return CallOutcome::Rejected {
                    seqid,
                    oneway,
                    spans: zipkin,
                    reason,
                };
            }
        }
    }
    CallOutcome::Accepted {
        seqid,
        oneway,
        spans,
        ignored: call.len() - zipkin,
    }
}

/// Appends the framed reply an outcome gets to `out` (nothing for a `ONEWAY` call).
pub(crate) fn write_outcome_reply(outcome: &CallOutcome, out: &mut Vec<u8>) {
    match outcome {
        CallOutcome::Accepted {
            seqid, oneway: false, ..
        } => append_reply(*seqid, Outcome::Ok, out),
        CallOutcome::Rejected {
            seqid,
            oneway: false,
            reason,
            ..
        } => append_exception(*seqid, ApplicationException::INTERNAL_ERROR, reason, out),
        CallOutcome::Unreadable {
            seqid,
            oneway: false,
            error,
        } => {
            let kind = match error {
                CallError::WrongMethod => ApplicationException::UNKNOWN_METHOD,
                _ => ApplicationException::PROTOCOL_ERROR,
            };
            append_exception(*seqid, kind, &format!("cannot read Log call: {error}"), out);
        }
        _ => {}
    }
}

/// Appends a framed `TApplicationException` reply to `out`.
pub(crate) fn append_exception(seqid: i32, kind: i32, message: &str, out: &mut Vec<u8>) {
    append_reply(seqid, Outcome::Exception(ApplicationException { message, kind }), out);
}

fn append_reply(seqid: i32, outcome: Outcome<'_>, out: &mut Vec<u8>) {
    let start = out.len();
    if write_reply(&Reply { seqid, outcome }, Buffer::new(out)).is_err() {
        // Only an exception message longer than i32 could fail; never send half a frame.
        out.truncate(start);
    }
}
