//! Scribe, Zipkin's legacy collector protocol (port 9410): framed TBinaryProtocol calls of
//! `ResultCode Log(1: list<LogEntry> messages)`, each `LogEntry {1: string category, 2: string message}` carrying
//! the padded base64 of one Thrift span.
//!
//! - Reporter side: [`write_log_call`] writes a whole framed call for a batch of spans, sized in advance by
//!   [`log_call_len`]; [`parse_reply`] / [`read_reply`] tell `OK`, `TRY_LATER` and exceptions apart and give the
//!   `seqid` back, so pipelined calls can be matched to their in-order replies.
//! - Sink side: [`LogCall::parse`] validates a received call and lends its entries; [`decode_message`] turns an
//!   entry's base64 back into span bytes; [`write_reply`] answers.
//! - [`split_frame`] and [`frame_len`] handle the 4-byte length prefix, with a maximum frame size.
//!
//! Nothing here allocates; the base64 text goes straight into the sink through [`Base64Sink`].

pub mod base64;
mod frame;
mod log;
mod read;
mod reply;
mod wire;

pub use self::base64::Base64Sink;
pub use frame::{frame_len, split_frame, Frame, FrameError, FRAME_HEADER_LEN, MAX_FRAME_DEFAULT};
pub use log::{log_call_len, write_log_call, LogOptions, SpanEncoding};
pub use read::{decode_message, decoded_len, CallError, Entries, LogCall, LogEntry, MessageError};
pub use reply::{parse_reply, read_reply, reply_len, write_reply, ApplicationException, Outcome, Reply, ReplyError};

/// The category Zipkin reads spans from.
pub const CATEGORY: &str = "zipkin";

/// The Scribe method name.
pub const METHOD: &str = "Log";

/// Thrift message type `CALL`.
const CALL: u8 = 1;
/// Thrift message type `REPLY`.
const REPLY: u8 = 2;
/// Thrift message type `EXCEPTION`.
const EXCEPTION: u8 = 3;
/// Thrift message type `ONEWAY`.
const ONEWAY: u8 = 4;
