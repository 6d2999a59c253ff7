//! Reading a received `Log` call (what tryfer's sink is sent): validated once, then its entries are borrowed
//! one by one, without allocation.

use core::fmt;

use ::base64::engine::general_purpose::STANDARD;
use ::base64::Engine as _;

use super::{log_header, read_message, FromRead, Stop, CALL, ONEWAY};
use crate::thrift::decode::{self, DecodeError, DecodedSpan};
use crate::thrift::read::{BinaryReader, FieldHeader, Reader};
use crate::thrift::TType;

/// Why a frame payload is not a `Log` call the sink can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CallError {
    /// The bytes ended before the message did.
    Truncated,
    /// The header is not the strict form (`0x8001_00tt`); the old form is refused here.
    NotStrict,
    /// The method name is not `Log`.
    WrongMethod,
    /// The message type (given) is neither `CALL` (1) nor `ONEWAY` (4).
    WrongMessageType(u8),
    /// A string, list or map length is negative.
    NegativeLength,
    /// A type code (given) is not a Thrift type.
    UnknownType(u8),
    /// Unknown fields nest too deeply to skip.
    TooDeep,
    /// A category or message is not UTF-8.
    NotUtf8,
    /// Field 1 is a list whose elements are not `LogEntry` structs.
    WrongListType,
    /// The call carries more entries than the caller's limit.
    TooManyEntries,
    /// Bytes follow the message inside its frame.
    TrailingBytes,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Truncated => f.write_str("call is truncated"),
            CallError::NotStrict => f.write_str("call does not start with a strict Thrift binary header"),
            CallError::WrongMethod => f.write_str("call is not for method Log"),
            CallError::WrongMessageType(t) => write!(f, "message type {t} is neither CALL nor ONEWAY"),
            CallError::NegativeLength => f.write_str("call holds a negative length"),
            CallError::UnknownType(t) => write!(f, "call holds unknown Thrift type code {t}"),
            CallError::TooDeep => f.write_str("call nests too deeply"),
            CallError::NotUtf8 => f.write_str("log entry text is not UTF-8"),
            CallError::WrongListType => f.write_str("messages list does not hold structs"),
            CallError::TooManyEntries => f.write_str("call holds more log entries than allowed"),
            CallError::TrailingBytes => f.write_str("bytes follow the call in its frame"),
        }
    }
}

impl core::error::Error for CallError {}

impl FromRead for CallError {
    fn from_read(error: DecodeError, type_code: u8) -> Self {
        match error {
            DecodeError::BadType => CallError::UnknownType(type_code),
            // The binary reader's only length fault: an i32 below zero.
            DecodeError::BadLength => CallError::NegativeLength,
            DecodeError::TooDeep => CallError::TooDeep,
            DecodeError::BadUtf8 => CallError::NotUtf8,
            DecodeError::BadVersion => CallError::NotStrict,
            // Truncated, and the span-level faults a binary reader never gives.
            _ => CallError::Truncated,
        }
    }
}

/// Why a message could not be turned back into span bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MessageError {
    /// The message is not standard padded base64.
    NotBase64,
    /// The scratch buffer is shorter than the decoded bytes (see [`decoded_len`]).
    ScratchTooSmall,
    /// The decoded bytes are not a Thrift span (the reason given).
    Span(DecodeError),
    /// Bytes follow the span inside the message.
    TrailingBytes,
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::NotBase64 => f.write_str("message is not standard padded base64"),
            MessageError::ScratchTooSmall => f.write_str("scratch buffer is too small for the decoded message"),
            MessageError::Span(e) => write!(f, "message is not a span: {e}"),
            MessageError::TrailingBytes => f.write_str("bytes follow the span in the message"),
        }
    }
}

impl core::error::Error for MessageError {}

/// One Scribe `LogEntry`, borrowed from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LogEntry<'a> {
    /// The category (`"zipkin"` for spans; empty when the sender omitted it).
    pub category: &'a str,
    /// The message: base64 text of one Thrift span (empty when the sender omitted it).
    pub message: &'a str,
}

impl LogEntry<'_> {
    /// Decodes the message's base64 into `scratch`, giving the raw Thrift span bytes.
    pub fn decode_message<'b>(&self, scratch: &'b mut [u8]) -> Result<&'b [u8], MessageError> {
        decode_message(self.message, scratch)
    }

    /// Decodes the message into `scratch` and reads it as one Thrift span, binary or compact as its first byte
    /// says (`0x0a` binary, `0x16` compact); the span borrows its strings from `scratch` and holds up to `N`
    /// events. The message must hold exactly one span.
    pub fn decode_span<'b, const N: usize>(&self, scratch: &'b mut [u8]) -> Result<DecodedSpan<'b, N>, MessageError> {
        let bytes = decode_message(self.message, scratch)?;
        let (span, used) = decode::decode_span(bytes).map_err(MessageError::Span)?;
        if used != bytes.len() {
            return Err(MessageError::TrailingBytes);
        }
        Ok(span)
    }
}

/// How many bytes the base64 `message` decodes to at most: a scratch buffer this long always suffices.
///
/// ```
/// assert_eq!(tryfer_core::scribe::decoded_len("YWJjZA=="), 4);
/// ```
pub fn decoded_len(message: &str) -> usize {
    let bytes = message.as_bytes();
    let groups = bytes.len() / 4 + usize::from(bytes.len() % 4 != 0);
    let padding = bytes.iter().rev().take(2).take_while(|&&b| b == b'=').count();
    // `groups * 3` cannot overflow: it is at most `len / 4 * 3 + 3`.
    (groups * 3).saturating_sub(if bytes.len() % 4 == 0 { padding } else { 0 })
}

/// Decodes a standard padded base64 `message` into `scratch`, giving the decoded bytes (a Thrift span).
///
/// ```
/// use tryfer_core::scribe::decode_message;
/// let mut scratch = [0u8; 4];
/// assert_eq!(decode_message("YWJjZA==", &mut scratch), Ok(&b"abcd"[..]));
/// ```
pub fn decode_message<'b>(message: &str, scratch: &'b mut [u8]) -> Result<&'b [u8], MessageError> {
    let n = STANDARD
        .decode_slice(message.as_bytes(), &mut *scratch)
        .map_err(|e| match e {
            ::base64::DecodeSliceError::OutputSliceTooSmall => MessageError::ScratchTooSmall,
            ::base64::DecodeSliceError::DecodeError(_) => MessageError::NotBase64,
        })?;
    let scratch: &'b [u8] = scratch;
    scratch.get(..n).ok_or(MessageError::ScratchTooSmall)
}

/// Reads one `LogEntry` struct; unknown fields are skipped, missing ones read as empty.
fn read_entry<'a>(r: &mut BinaryReader<'a>) -> Result<LogEntry<'a>, DecodeError> {
    let mut entry = LogEntry {
        category: "",
        message: "",
    };
    r.struct_begin()?;
    while let Some(FieldHeader { ty, id }) = r.field_begin()? {
        match (ty, id) {
            (TType::Binary, 1) => entry.category = r.string()?,
            (TType::Binary, 2) => entry.message = r.string()?,
            _ => r.skip(ty)?,
        }
    }
    r.struct_end()?;
    Ok(entry)
}

/// A received `Log` call, validated: every entry is known to parse.
///
/// ```
/// use tryfer_core::scribe::{LogCall, LogEntry};
/// let payload = [
///     0x80, 0x01, 0x00, 0x01, 0, 0, 0, 3, b'L', b'o', b'g', 0, 0, 0, 9, // CALL "Log", seqid 9
///     0x0f, 0x00, 0x01, 0x0c, 0, 0, 0, 1, // field 1: list of 1 struct
///     0x0b, 0x00, 0x01, 0, 0, 0, 1, b'z', // category "z"
///     0x0b, 0x00, 0x02, 0, 0, 0, 4, b'Y', b'Q', b'=', b'=', // message "YQ=="
///     0x00, 0x00, // end of entry, end of args
/// ];
/// let call = LogCall::parse(&payload, 100).unwrap();
/// assert_eq!((call.seqid(), call.is_oneway(), call.len()), (9, false, 1));
/// let entry = call.entries().next().unwrap();
/// assert_eq!(entry, LogEntry { category: "z", message: "YQ==" });
/// let mut scratch = [0u8; 8];
/// assert_eq!(entry.decode_message(&mut scratch), Ok(&b"a"[..]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LogCall<'a> {
    seqid: i32,
    oneway: bool,
    /// The bytes from the first entry on.
    entries: &'a [u8],
    count: usize,
}

impl<'a> LogCall<'a> {
    /// Validates one frame's payload as a `Log` call of at most `max_entries` entries.
    ///
    /// Requires the strict header, method `Log`, type `CALL` or `ONEWAY`, and UTF-8 categories and messages;
    /// unknown fields are skipped as Thrift readers do, and a call without field 1 has no entries.
    pub fn parse(payload: &'a [u8], max_entries: usize) -> Result<Self, CallError> {
        read_message(payload, CallError::TrailingBytes, |r| {
            let header = log_header(r.message_begin(), CallError::WrongMethod)?;
            let oneway = match header.kind {
                CALL => false,
                ONEWAY => true,
                other => return Err(Stop::Rule(CallError::WrongMessageType(other))),
            };
            let mut call = LogCall {
                seqid: header.seqid,
                oneway,
                entries: &[],
                count: 0,
            };
            r.struct_begin()?;
            while let Some(FieldHeader { ty, id }) = r.field_begin()? {
                if (ty, id) != (TType::List, 1) {
                    r.skip(ty)?;
                    continue;
                }
                let list = r.list_begin()?;
                if list.elem != TType::Struct {
                    return Err(Stop::Rule(CallError::WrongListType));
                }
                if list.len > max_entries {
                    return Err(Stop::Rule(CallError::TooManyEntries));
                }
                call.entries = r.rest();
                call.count = list.len;
                for _ in 0..list.len {
                    read_entry(r)?;
                }
            }
            r.struct_end()?;
            Ok(call)
        })
    }

    /// The call's sequence id: answer with the same.
    pub fn seqid(&self) -> i32 {
        self.seqid
    }

    /// True for a `ONEWAY` call, which must get no reply.
    pub fn is_oneway(&self) -> bool {
        self.oneway
    }

    /// How many entries the call carries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when the call carries no entry.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The entries, in order, borrowed from the payload.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            reader: BinaryReader::new(self.entries),
            remaining: self.count,
        }
    }
}

/// The entries of a [`LogCall`], borrowed one by one.
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    reader: BinaryReader<'a>,
    remaining: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = LogEntry<'a>;

    fn next(&mut self) -> Option<LogEntry<'a>> {
        self.remaining = self.remaining.checked_sub(1)?;
        match read_entry(&mut self.reader) {
            Ok(entry) => Some(entry),
            // Unreachable after `LogCall::parse`; end quietly rather than panic.
            Err(_) => {
                self.remaining = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Entries<'_> {}
