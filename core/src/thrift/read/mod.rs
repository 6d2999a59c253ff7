//! Reading Thrift: the [`Reader`] trait, mirror of [`super::Writer`], and its two protocols.
//!
//! Readers are zero-copy cursors over a byte slice: [`Reader::binary`] hands back a piece of the input, nothing
//! is copied or allocated. Every length and element count is checked against the bytes that remain before it
//! is used (every Thrift value takes at least one byte), so a forged count of two billion elements fails at
//! once instead of looping, and nesting is capped at [`MAX_DEPTH`]. No input makes a reader panic.

pub mod binary;
pub mod compact;

pub use binary::{BinaryReader, MessageHeader};
pub use compact::CompactReader;

use super::decode::DecodeError;
use super::TType;

/// How deeply structs and containers may nest before a reader stops with [`DecodeError::TooDeep`].
///
/// Zipkin's span needs 4 levels (span, annotation list, annotation, endpoint); 16 leaves room for unknown
/// fields while keeping the recursion of [`Reader::skip`] short enough for a small stack.
pub const MAX_DEPTH: usize = 16;

/// A field header: the value's type and the field id. A struct's stop byte is `None` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FieldHeader {
    /// The type of the value that follows.
    pub ty: TType,
    /// The field id from the schema (Zipkin's `Span.id` is 4).
    pub id: i16,
}

/// A list or set header: the element type and how many elements follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ListHeader {
    /// The type of every element.
    pub elem: TType,
    /// The element count, already checked to be at most the bytes that remain.
    pub len: usize,
}

/// A map header: the key and value types and how many entries follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MapHeader {
    /// Key and value types; `None` for an empty compact map, which carries no types.
    pub types: Option<(TType, TType)>,
    /// The entry count, already checked to be at most the bytes that remain.
    pub len: usize,
}

/// A Thrift protocol's reading half: what a struct schema needs to read itself off the wire.
///
/// A struct is read as `struct_begin`, then `field_begin` + value until `field_begin` returns `None` (the
/// stop byte), then `struct_end`. Every value of a field must be read (or [`Reader::skip`]ped) before the
/// next `field_begin`. `'a` is the input's lifetime: strings and binaries borrow from it.
pub trait Reader<'a> {
    /// Enters a struct; fails with [`DecodeError::TooDeep`] past [`MAX_DEPTH`].
    fn struct_begin(&mut self) -> Result<(), DecodeError>;
    /// Leaves a struct (its stop byte was already consumed by [`Reader::field_begin`]).
    fn struct_end(&mut self) -> Result<(), DecodeError>;
    /// Reads the next field header, or `None` at the struct's stop byte.
    fn field_begin(&mut self) -> Result<Option<FieldHeader>, DecodeError>;
    /// Reads a `bool`: a bool field's value (in the compact protocol it came with the header) or an element.
    fn bool(&mut self) -> Result<bool, DecodeError>;
    /// Reads a `byte`.
    fn byte(&mut self) -> Result<u8, DecodeError>;
    /// Reads an `i16`.
    fn i16(&mut self) -> Result<i16, DecodeError>;
    /// Reads an `i32`.
    fn i32(&mut self) -> Result<i32, DecodeError>;
    /// Reads an `i64`.
    fn i64(&mut self) -> Result<i64, DecodeError>;
    /// Reads a `double`.
    fn double(&mut self) -> Result<f64, DecodeError>;
    /// Reads a `binary`, borrowed from the input.
    fn binary(&mut self) -> Result<&'a [u8], DecodeError>;
    /// Reads a list header.
    fn list_begin(&mut self) -> Result<ListHeader, DecodeError>;
    /// Reads a map header.
    fn map_begin(&mut self) -> Result<MapHeader, DecodeError>;
    /// How many input bytes were read so far.
    fn consumed(&self) -> usize;
    /// How many input bytes are left.
    fn remaining(&self) -> usize;

    /// Reads a set header (both protocols write sets exactly like lists).
    fn set_begin(&mut self) -> Result<ListHeader, DecodeError> {
        self.list_begin()
    }

    /// Reads a `string`: a `binary` that must be UTF-8, borrowed from the input.
    fn string(&mut self) -> Result<&'a str, DecodeError> {
        utf8(self.binary()?)
    }

    /// Reads past one value of type `ty` (an unknown field), containers included, at most [`MAX_DEPTH`] deep.
    fn skip(&mut self, ty: TType) -> Result<(), DecodeError> {
        skip_nested(self, ty, MAX_DEPTH)
    }
}

/// Bytes read off the wire as a `string`, or [`DecodeError::BadUtf8`].
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, DecodeError> {
    core::str::from_utf8(bytes).map_err(|_| DecodeError::BadUtf8)
}

/// [`Reader::skip`] with `depth` container levels left. Each loop turn consumes at least one byte or fails,
/// and counts were checked against the remaining input, so the work is bounded by the input length.
fn skip_nested<'a, R: Reader<'a> + ?Sized>(r: &mut R, ty: TType, depth: usize) -> Result<(), DecodeError> {
    match ty {
        TType::Bool => r.bool().map(drop),
        TType::Byte => r.byte().map(drop),
        TType::Double => r.double().map(drop),
        TType::I16 => r.i16().map(drop),
        TType::I32 => r.i32().map(drop),
        TType::I64 => r.i64().map(drop),
        TType::Binary => r.binary().map(drop),
        TType::Struct => {
            let depth = depth.checked_sub(1).ok_or(DecodeError::TooDeep)?;
            r.struct_begin()?;
            while let Some(field) = r.field_begin()? {
                skip_nested(r, field.ty, depth)?;
            }
            r.struct_end()
        }
        TType::List | TType::Set => {
            let depth = depth.checked_sub(1).ok_or(DecodeError::TooDeep)?;
            let header = r.list_begin()?;
            for _ in 0..header.len {
                skip_nested(r, header.elem, depth)?;
            }
            Ok(())
        }
        TType::Map => {
            let depth = depth.checked_sub(1).ok_or(DecodeError::TooDeep)?;
            let header = r.map_begin()?;
            if let Some((key, value)) = header.types {
                for _ in 0..header.len {
                    skip_nested(r, key, depth)?;
                    skip_nested(r, value, depth)?;
                }
            }
            Ok(())
        }
    }
}

/// The unread part of the input; every read is checked against it.
#[derive(Debug, Clone, Copy)]
struct Input<'a> {
    rest: &'a [u8],
    total: usize,
}

impl<'a> Input<'a> {
    const fn new(bytes: &'a [u8]) -> Self {
        Input {
            rest: bytes,
            total: bytes.len(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(DecodeError::Truncated)?;
        self.rest = tail;
        Ok(head)
    }

    fn array<const K: usize>(&mut self) -> Result<[u8; K], DecodeError> {
        self.take(K)?.try_into().map_err(|_| DecodeError::Truncated)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let (&b, tail) = self.rest.split_first().ok_or(DecodeError::Truncated)?;
        self.rest = tail;
        Ok(b)
    }

    /// `count` elements of at least one byte each can still be in the input.
    fn check_count(&self, count: usize) -> Result<usize, DecodeError> {
        if count > self.rest.len() {
            Err(DecodeError::Truncated)
        } else {
            Ok(count)
        }
    }

    fn consumed(&self) -> usize {
        self.total.saturating_sub(self.rest.len())
    }

    fn remaining(&self) -> usize {
        self.rest.len()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn skip_stops_at_the_depth_limit() {
        // A binary list<list<list<...>>> nested deeper than MAX_DEPTH, each holding one element.
        let mut bytes = std::vec::Vec::new();
        for _ in 0..=MAX_DEPTH {
            bytes.extend_from_slice(&[15, 0, 0, 0, 1]);
        }
        bytes.extend_from_slice(&[3, 0, 0, 0, 1, 7]);
        // bytes[5..] nests MAX_DEPTH + 1 lists: one too many.
        let mut r = BinaryReader::new(&bytes[5..]);
        assert_eq!(r.skip(TType::List), Err(DecodeError::TooDeep));
        // bytes[10..] nests exactly MAX_DEPTH lists.
        let mut r = BinaryReader::new(&bytes[10..]);
        assert_eq!(r.skip(TType::List), Ok(()));
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn forged_counts_fail_without_looping() {
        // list<i64> claiming i32::MAX elements, with 3 bytes behind it.
        let bytes = [10, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3];
        assert_eq!(BinaryReader::new(&bytes).list_begin(), Err(DecodeError::Truncated));
        // compact list<byte> claiming i32::MAX elements, then u32::MAX (more than Thrift allows).
        let bytes = [0xf3, 0xff, 0xff, 0xff, 0xff, 0x07, 1];
        assert_eq!(CompactReader::new(&bytes).list_begin(), Err(DecodeError::Truncated));
        let bytes = [0xf3, 0xff, 0xff, 0xff, 0xff, 0x0f, 1];
        assert_eq!(CompactReader::new(&bytes).list_begin(), Err(DecodeError::BadLength));
        // A count that fits the bytes is accepted.
        let bytes = [0x23, 1, 2];
        assert_eq!(
            CompactReader::new(&bytes).list_begin(),
            Ok(ListHeader {
                elem: TType::Byte,
                len: 2
            })
        );
    }
}
