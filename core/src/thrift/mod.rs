//! Zipkin's v1 Thrift `Span` on the wire, both ways: TBinaryProtocol (what Zipkin collectors accept) and
//! TCompactProtocol (smaller, for links to our own sink).
//!
//! - Writing: the span schema is written once ([`encode`]) against the [`Writer`] trait; [`binary`] and
//!   [`compact`] are the two protocols. Both are exact-length: run them into a [`crate::sink::Counter`] to size
//!   a buffer.
//! - Reading: [`read`] holds the mirror [`read::Reader`] trait and its two zero-copy, bounds-checked protocols
//!   ([`read::BinaryReader`], [`read::CompactReader`], also used for Scribe's message headers); [`decode`] reads
//!   the span schema with them into [`DecodedSpan`] views ([`decode_span`] tells the protocols apart).

pub mod binary;
pub mod compact;
pub mod decode;
pub mod encode;
pub mod read;

pub use decode::{
    decode_binary_span, decode_binary_span_list, decode_compact_span, decode_span, DecodeError, DecodedSpan,
};
pub use encode::{binary_span_len, encode_binary_span, encode_binary_span_list, encode_compact_span};

use crate::sink::EncodeError;

/// Thrift's value types (protocol-neutral; each protocol has its own type codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TType {
    /// `bool`
    Bool,
    /// `byte` (`i8`)
    Byte,
    /// `double`
    Double,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `string` / `binary`
    Binary,
    /// `struct`
    Struct,
    /// `map`
    Map,
    /// `set`
    Set,
    /// `list`
    List,
}

impl TType {
    /// The TBinaryProtocol type code.
    pub const fn binary_code(self) -> u8 {
        match self {
            TType::Bool => 2,
            TType::Byte => 3,
            TType::Double => 4,
            TType::I16 => 6,
            TType::I32 => 8,
            TType::I64 => 10,
            TType::Binary => 11,
            TType::Struct => 12,
            TType::Map => 13,
            TType::Set => 14,
            TType::List => 15,
        }
    }

    /// The type for a TBinaryProtocol code.
    pub const fn from_binary_code(code: u8) -> Option<Self> {
        Some(match code {
            2 => TType::Bool,
            3 => TType::Byte,
            4 => TType::Double,
            6 => TType::I16,
            8 => TType::I32,
            10 => TType::I64,
            11 => TType::Binary,
            12 => TType::Struct,
            13 => TType::Map,
            14 => TType::Set,
            15 => TType::List,
            _ => return None,
        })
    }

    /// The TCompactProtocol type code (for a bool field the header carries `1` true / `2` false instead).
    pub const fn compact_code(self) -> u8 {
        match self {
            TType::Bool => 1,
            TType::Byte => 3,
            TType::I16 => 4,
            TType::I32 => 5,
            TType::I64 => 6,
            TType::Double => 7,
            TType::Binary => 8,
            TType::List => 9,
            TType::Set => 10,
            TType::Map => 11,
            TType::Struct => 12,
        }
    }

    /// The type for a TCompactProtocol code (`1` and `2` are both bool).
    pub const fn from_compact_code(code: u8) -> Option<Self> {
        Some(match code {
            1 | 2 => TType::Bool,
            3 => TType::Byte,
            4 => TType::I16,
            5 => TType::I32,
            6 => TType::I64,
            7 => TType::Double,
            8 => TType::Binary,
            9 => TType::List,
            10 => TType::Set,
            11 => TType::Map,
            12 => TType::Struct,
            _ => return None,
        })
    }
}

/// A Thrift protocol's writing half: what a struct schema needs to put itself on the wire.
///
/// Fields are written as `field_begin` + value; a struct is bracketed by `struct_begin` / `struct_end`.
pub trait Writer {
    /// Opens a struct (the compact protocol tracks field-id deltas per struct).
    fn struct_begin(&mut self) -> Result<(), EncodeError>;
    /// Closes a struct with the stop byte.
    fn struct_end(&mut self) -> Result<(), EncodeError>;
    /// Writes a field header; for bool fields use [`Writer::bool_field`] instead.
    fn field_begin(&mut self, ty: TType, id: i16) -> Result<(), EncodeError>;
    /// Writes a whole bool field (header and value).
    fn bool_field(&mut self, id: i16, value: bool) -> Result<(), EncodeError>;
    /// Writes a list header.
    fn list_begin(&mut self, elem: TType, len: usize) -> Result<(), EncodeError>;
    /// Writes an `i16`.
    fn i16(&mut self, v: i16) -> Result<(), EncodeError>;
    /// Writes an `i32`.
    fn i32(&mut self, v: i32) -> Result<(), EncodeError>;
    /// Writes an `i64`.
    fn i64(&mut self, v: i64) -> Result<(), EncodeError>;
    /// Writes a `string` / `binary`.
    fn binary(&mut self, v: &[u8]) -> Result<(), EncodeError>;
}
