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

pub use self::base64::Base64Sink;
pub use frame::{frame_len, split_frame, Frame, FrameError, FRAME_HEADER_LEN, MAX_FRAME_DEFAULT};
pub use log::{log_call_len, log_entry_len, write_log_call, write_log_call_sized, LogOptions, SpanEncoding};
pub use read::{decode_message, decoded_len, CallError, Entries, LogCall, LogEntry, MessageError};
pub use reply::{parse_reply, read_reply, reply_len, write_reply, ApplicationException, Outcome, Reply, ReplyError};

use crate::thrift::decode::DecodeError;
use crate::thrift::read::{BinaryReader, MessageHeader, Reader as _};

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

/// Why reading a call or a reply stopped: the Thrift reader failed, or the message broke a Scribe rule (`E`).
enum Stop<E> {
    /// The bytes are not TBinaryProtocol (truncated, a bad type code, a negative length, ...).
    Read(DecodeError),
    /// The message is Thrift but not what Scribe expects.
    Rule(E),
}

impl<E> From<DecodeError> for Stop<E> {
    fn from(error: DecodeError) -> Self {
        Stop::Read(error)
    }
}

/// A Scribe error type that reader errors map onto.
trait FromRead {
    /// The error for a reader `error`; `type_code` is the offending byte when it is [`DecodeError::BadType`].
    fn from_read(error: DecodeError, type_code: u8) -> Self;
}

/// Reads one frame's `payload` with `read`, which must consume all of it. A reader error becomes `E` with the
/// type code of a `BadType`, which is the last byte read (the binary reader stops right after taking it).
fn read_message<'a, T, E: FromRead>(
    payload: &'a [u8],
    trailing: E,
    read: impl FnOnce(&mut BinaryReader<'a>) -> Result<T, Stop<E>>,
) -> Result<T, E> {
    let mut r = BinaryReader::new(payload);
    match read(&mut r) {
        Ok(_) if !r.rest().is_empty() => Err(trailing),
        Ok(value) => Ok(value),
        Err(Stop::Rule(e)) => Err(e),
        Err(Stop::Read(e)) => {
            let last = r.consumed().checked_sub(1).and_then(|i| payload.get(i));
            Err(E::from_read(e, last.copied().unwrap_or(0)))
        }
    }
}

/// The header of a message whose method must be `Log`: a name that is not UTF-8 is not `Log` either.
fn log_header<'a, E>(
    header: Result<MessageHeader<'a>, DecodeError>,
    wrong_method: E,
) -> Result<MessageHeader<'a>, Stop<E>> {
    match header {
        Ok(header) if header.name == METHOD => Ok(header),
        Ok(_) | Err(DecodeError::BadUtf8) => Err(Stop::Rule(wrong_method)),
        Err(e) => Err(Stop::Read(e)),
    }
}
