//! The answer to a `Log` call: `OK`, `TRY_LATER`, or a Thrift exception; parsed by the reporter, written by
//! tryfer's own sink.
//!
//! A `REPLY` message's result struct holds field 0, the `i32` ResultCode. An `EXCEPTION` message carries a
//! `TApplicationException {1: string message, 2: i32 type}`. Both come back with the call's sequence id, so
//! pipelined calls can be matched to their replies (which arrive in order).

use core::fmt;

use super::frame::{split_frame, write_frame_len, FrameError, FRAME_HEADER_LEN};
use super::{log_header, read_message, FromRead, Stop, EXCEPTION, METHOD, REPLY};
use crate::sink::{measure, EncodeError, Sink};
use crate::thrift::binary::BinaryWriter;
use crate::thrift::decode::DecodeError;
use crate::thrift::read::{FieldHeader, Reader};
use crate::thrift::{TType, Writer};

/// A Thrift `TApplicationException`: the server failed the call (Zipkin sends one, and stores none of the
/// call's spans, when any message fails to decode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ApplicationException<'a> {
    /// The server's explanation (empty when it sent none).
    pub message: &'a str,
    /// The exception type, e.g. [`ApplicationException::INTERNAL_ERROR`] (0, `UNKNOWN`, when it sent none).
    pub kind: i32,
}

impl ApplicationException<'_> {
    /// Type `UNKNOWN`: no better description.
    pub const UNKNOWN: i32 = 0;
    /// Type `UNKNOWN_METHOD`: the server has no such method.
    pub const UNKNOWN_METHOD: i32 = 1;
    /// Type `INTERNAL_ERROR`: the handler failed.
    pub const INTERNAL_ERROR: i32 = 6;
    /// Type `PROTOCOL_ERROR`: the call could not be read.
    pub const PROTOCOL_ERROR: i32 = 7;
}

/// How the server answered a `Log` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Outcome<'a> {
    /// ResultCode `OK`: the spans were taken.
    Ok,
    /// ResultCode `TRY_LATER`: the server is overloaded; send the same spans again later.
    TryLater,
    /// The call failed; its spans were not stored.
    Exception(ApplicationException<'a>),
}

/// A reply to a `Log` call, matched to its call by `seqid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Reply<'a> {
    /// The sequence id of the call this answers.
    pub seqid: i32,
    /// What the server said.
    pub outcome: Outcome<'a>,
}

/// Why bytes are not a `Log` reply. Treat any of these as a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReplyError {
    /// The bytes ended before the message did.
    Truncated,
    /// The first word is neither a strict version header (`0x8001_00tt`) nor an old-style name length.
    BadVersion,
    /// The method name is not `Log`.
    WrongMethod,
    /// The message type (given) is neither `REPLY` (2) nor `EXCEPTION` (3).
    WrongMessageType(u8),
    /// A string, list or map length is negative.
    NegativeLength,
    /// A type code (given) is not a Thrift type.
    UnknownType(u8),
    /// Unknown fields nest too deeply to skip.
    TooDeep,
    /// The exception message is not UTF-8.
    NotUtf8,
    /// The `REPLY` result struct holds no `i32` field 0.
    MissingResult,
    /// The ResultCode (given) is neither `OK` (0) nor `TRY_LATER` (1).
    UnknownResultCode(i32),
    /// Bytes follow the message inside its frame.
    TrailingBytes,
    /// The frame length exceeds the caller's maximum.
    FrameTooLarge,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::Truncated => f.write_str("reply is truncated"),
            ReplyError::BadVersion => f.write_str("reply does not start with a Thrift binary message header"),
            ReplyError::WrongMethod => f.write_str("reply is not for method Log"),
            ReplyError::WrongMessageType(t) => write!(f, "message type {t} is neither REPLY nor EXCEPTION"),
            ReplyError::NegativeLength => f.write_str("reply holds a negative length"),
            ReplyError::UnknownType(t) => write!(f, "reply holds unknown Thrift type code {t}"),
            ReplyError::TooDeep => f.write_str("reply nests too deeply"),
            ReplyError::NotUtf8 => f.write_str("exception message is not UTF-8"),
            ReplyError::MissingResult => f.write_str("reply has no result code"),
            ReplyError::UnknownResultCode(c) => write!(f, "unknown Scribe result code {c}"),
            ReplyError::TrailingBytes => f.write_str("bytes follow the reply in its frame"),
            ReplyError::FrameTooLarge => f.write_str("reply frame exceeds the maximum length"),
        }
    }
}

impl core::error::Error for ReplyError {}

impl FromRead for ReplyError {
    fn from_read(error: DecodeError, type_code: u8) -> Self {
        match error {
            DecodeError::BadType => ReplyError::UnknownType(type_code),
            // The binary reader's only length fault: an i32 below zero.
            DecodeError::BadLength => ReplyError::NegativeLength,
            DecodeError::TooDeep => ReplyError::TooDeep,
            DecodeError::BadUtf8 => ReplyError::NotUtf8,
            DecodeError::BadVersion => ReplyError::BadVersion,
            // Truncated, and the span-level faults a binary reader never gives.
            _ => ReplyError::Truncated,
        }
    }
}

impl From<FrameError> for ReplyError {
    fn from(_: FrameError) -> Self {
        ReplyError::FrameTooLarge
    }
}

/// Parses a reply from one frame's payload (the bytes after the 4-byte length).
///
/// Both message header forms are accepted: the strict one every current Thrift library sends, and the old
/// one (`i32` name length, name, `i8` type, `i32` seqid) that some non-strict writers still use. Fields the
/// reader does not know are skipped, as Thrift readers do; a missing exception message reads as empty.
///
/// ```
/// use tryfer_core::scribe::{parse_reply, Outcome, Reply};
/// let payload = [
///     0x80, 0x01, 0x00, 0x02, // strict header, REPLY
///     0, 0, 0, 3, b'L', b'o', b'g', // method name
///     0, 0, 0, 7, // seqid
///     0x08, 0x00, 0x00, 0, 0, 0, 1, // field 0, i32: TRY_LATER
///     0x00, // stop
/// ];
/// assert_eq!(parse_reply(&payload), Ok(Reply { seqid: 7, outcome: Outcome::TryLater }));
/// ```
pub fn parse_reply(payload: &[u8]) -> Result<Reply<'_>, ReplyError> {
    read_message(payload, ReplyError::TrailingBytes, |r| {
        let header = log_header(r.message_begin_lenient(), ReplyError::WrongMethod)?;
        r.struct_begin()?;
        let outcome = match header.kind {
            REPLY => {
                let mut code = None;
                while let Some(FieldHeader { ty, id }) = r.field_begin()? {
                    match (ty, id) {
                        (TType::I32, 0) => code = Some(r.i32()?),
                        _ => r.skip(ty)?,
                    }
                }
                match code {
                    Some(0) => Outcome::Ok,
                    Some(1) => Outcome::TryLater,
                    Some(other) => return Err(Stop::Rule(ReplyError::UnknownResultCode(other))),
                    None => return Err(Stop::Rule(ReplyError::MissingResult)),
                }
            }
            EXCEPTION => {
                let mut exception = ApplicationException {
                    message: "",
                    kind: ApplicationException::UNKNOWN,
                };
                while let Some(FieldHeader { ty, id }) = r.field_begin()? {
                    match (ty, id) {
                        (TType::Binary, 1) => exception.message = r.string()?,
                        (TType::I32, 2) => exception.kind = r.i32()?,
                        _ => r.skip(ty)?,
                    }
                }
                Outcome::Exception(exception)
            }
            other => return Err(Stop::Rule(ReplyError::WrongMessageType(other))),
        };
        r.struct_end()?;
        Ok(Reply {
            seqid: header.seqid,
            outcome,
        })
    })
}

/// Parses the first framed reply of a byte stream: `Some((reply, bytes consumed))`, or `None` while the stream
/// holds less than a whole frame. `max_frame` bounds the frame length (see [`super::MAX_FRAME_DEFAULT`]).
///
/// ```
/// use tryfer_core::scribe::{read_reply, Outcome, MAX_FRAME_DEFAULT};
/// let stream = [
///     0, 0, 0, 0x17, 0x80, 0x01, 0x00, 0x02, 0, 0, 0, 3, b'L', b'o', b'g', 0, 0, 0, 1,
///     0x08, 0x00, 0x00, 0, 0, 0, 0, 0x00,
/// ];
/// let (reply, used) = read_reply(&stream, MAX_FRAME_DEFAULT).unwrap().unwrap();
/// assert_eq!((reply.seqid, reply.outcome, used), (1, Outcome::Ok, 27));
/// assert_eq!(read_reply(&stream[..26], MAX_FRAME_DEFAULT), Ok(None));
/// ```
pub fn read_reply(stream: &[u8], max_frame: usize) -> Result<Option<(Reply<'_>, usize)>, ReplyError> {
    let Some(frame) = split_frame(stream, max_frame)? else {
        return Ok(None);
    };
    let reply = parse_reply(frame.payload)?;
    Ok(Some((reply, FRAME_HEADER_LEN + frame.payload.len())))
}

/// Writes the unframed reply message.
fn write_reply_payload<S: Sink>(reply: &Reply<'_>, sink: S) -> Result<(), EncodeError> {
    let mut w = BinaryWriter::new(sink);
    match reply.outcome {
        Outcome::Ok | Outcome::TryLater => {
            w.message_begin(METHOD, REPLY, reply.seqid)?;
            w.struct_begin()?;
            w.field_begin(TType::I32, 0)?;
            w.i32(if reply.outcome == Outcome::Ok { 0 } else { 1 })?;
        }
        Outcome::Exception(e) => {
            w.message_begin(METHOD, EXCEPTION, reply.seqid)?;
            w.struct_begin()?;
            w.field_begin(TType::Binary, 1)?;
            w.binary(e.message.as_bytes())?;
            w.field_begin(TType::I32, 2)?;
            w.i32(e.kind)?;
        }
    }
    w.struct_end()
}

/// The exact number of bytes [`write_reply`] writes, the 4-byte frame length included.
pub fn reply_len(reply: &Reply<'_>) -> Result<usize, EncodeError> {
    let payload = measure(|c| write_reply_payload(reply, c))?;
    payload.checked_add(FRAME_HEADER_LEN).ok_or(EncodeError::TooLong)
}

/// Writes a framed reply to a `Log` call: a strict `REPLY` with the ResultCode, or an `EXCEPTION` carrying a
/// `TApplicationException`. This is what tryfer's sink answers; reuse the call's `seqid`.
///
/// ```
/// use tryfer_core::scribe::{write_reply, Outcome, Reply};
/// let mut out = heapless::Vec::<u8, 32>::new();
/// write_reply(&Reply { seqid: 1, outcome: Outcome::Ok }, &mut out).unwrap();
/// assert_eq!(out, [
///     0, 0, 0, 0x17, // frame length 23
///     0x80, 0x01, 0x00, 0x02, // strict header, REPLY
///     0, 0, 0, 3, b'L', b'o', b'g', // method name
///     0, 0, 0, 1, // seqid
///     0x08, 0x00, 0x00, 0, 0, 0, 0, // field 0, i32: OK
///     0x00, // stop
/// ]);
/// ```
pub fn write_reply<S: Sink>(reply: &Reply<'_>, mut sink: S) -> Result<(), EncodeError> {
    write_frame_len(&mut sink, measure(|c| write_reply_payload(reply, c))?)?;
    write_reply_payload(reply, &mut sink)
}
