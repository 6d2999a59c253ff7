//! The collector's reading of a call and writing of replies, with the core: what both collectors share.

use tryfer_core::scribe::{self, ApplicationException, LogCall, Outcome, Reply, CATEGORY};
use tryfer_core::sink::Slice;
use tryfer_core::SpanData;

use crate::answer::Garbage;

/// The largest call frame the collector reads (the reporters send far less).
pub const MAX_CALL: usize = 16 << 20;

/// A call as the collector read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The sequence id to answer with.
    pub seqid: i32,
    /// The span ids it carried, in order.
    pub span_ids: Vec<u64>,
}

/// Reads one frame's payload: a `Log` call (not oneway) whose every entry is a `zipkin` span. Anything else
/// is a reporter bug, described in the error.
pub fn read_call(payload: &[u8]) -> Result<Call, String> {
    let call = LogCall::parse(payload, 1_000_000).map_err(|e| format!("not a Log call: {e}"))?;
    if call.is_oneway() {
        return Err("a ONEWAY call".to_owned());
    }
    let mut span_ids = Vec::with_capacity(call.len());
    let mut scratch = Vec::new();
    for entry in call.entries() {
        if entry.category != CATEGORY {
            return Err(format!("category {:?}", entry.category));
        }
        scratch.clear();
        scratch.resize(scribe::decoded_len(entry.message), 0);
        let span = entry
            .decode_span::<64>(&mut scratch)
            .map_err(|e| format!("a message that is not a span: {e}"))?;
        span_ids.push(span.id().get());
    }
    Ok(Call {
        seqid: call.seqid(),
        span_ids,
    })
}

/// A framed reply, written by the core.
pub fn reply(seqid: i32, outcome: Outcome<'_>) -> Vec<u8> {
    let reply = Reply { seqid, outcome };
    let Ok(len) = scribe::reply_len(&reply) else {
        return Vec::new();
    };
    let mut frame = vec![0u8; len];
    match scribe::write_reply(&reply, Slice::new(&mut frame)) {
        Ok(()) => frame,
        Err(_) => Vec::new(),
    }
}

/// The exception the collector answers with in its exception phase (what Zipkin sends for a bad message).
pub fn exception(seqid: i32) -> Vec<u8> {
    let exception = ApplicationException {
        message: "soak: this collector refuses the call",
        kind: ApplicationException::INTERNAL_ERROR,
    };
    reply(seqid, Outcome::Exception(exception))
}

/// The bytes sent instead of a reply to call `seqid`.
pub fn garbage(kind: Garbage, seqid: i32) -> Vec<u8> {
    match kind {
        Garbage::Http => b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec(),
        Garbage::Junk => vec![0, 0, 0, 6, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01],
        Garbage::WrongSeqid => reply(seqid.wrapping_add(1000), Outcome::Ok),
    }
}
