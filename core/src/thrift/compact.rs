//! TCompactProtocol: zigzag varints, field-id deltas, bool values folded into field headers.

use super::{TType, Writer};
use crate::sink::{EncodeError, Sink};

/// How deep structs may nest (Zipkin's span needs 3: span, annotation, endpoint).
const MAX_DEPTH: usize = 8;

/// Writes TCompactProtocol into a [`Sink`].
///
/// ```
/// use tryfer_core::thrift::{compact::CompactWriter, TType, Writer};
/// let mut out = heapless::Vec::<u8, 16>::new();
/// let mut w = CompactWriter::new(&mut out);
/// w.struct_begin().unwrap();
/// w.field_begin(TType::I64, 1).unwrap();
/// w.i64(-1).unwrap();
/// w.bool_field(9, true).unwrap();
/// w.struct_end().unwrap();
/// assert_eq!(out, [0x16, 0x01, 0x81, 0x00]);
/// ```
#[derive(Debug)]
pub struct CompactWriter<S: Sink> {
    sink: S,
    last_field: [i16; MAX_DEPTH],
    depth: usize,
}

/// Zigzag-maps a signed integer so small magnitudes make short varints.
pub const fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

impl<S: Sink> CompactWriter<S> {
    /// A writer over `sink`, outside any struct.
    pub fn new(sink: S) -> Self {
        CompactWriter {
            sink,
            last_field: [0; MAX_DEPTH],
            depth: 0,
        }
    }

    /// Hands the sink back.
    pub fn into_inner(self) -> S {
        self.sink
    }

    /// Writes an unsigned LEB128 varint.
    pub fn varint(&mut self, mut v: u64) -> Result<(), EncodeError> {
        let mut buf = [0u8; 10];
        let mut n = 0;
        while v >= 0x80 {
            buf[n] = (v as u8) | 0x80;
            v >>= 7;
            n += 1;
        }
        buf[n] = v as u8;
        self.sink.try_extend(&buf[..=n])
    }

    fn header(&mut self, code: u8, id: i16) -> Result<(), EncodeError> {
        let last = self.last_field.get_mut(self.depth).ok_or(EncodeError::TooLong)?;
        let delta = i32::from(id) - i32::from(*last);
        *last = id;
        if (1..=15).contains(&delta) {
            self.sink.try_push(((delta as u8) << 4) | code)
        } else {
            self.sink.try_push(code)?;
            self.varint(zigzag(i64::from(id)))
        }
    }
}

impl<S: Sink> Writer for CompactWriter<S> {
    fn struct_begin(&mut self) -> Result<(), EncodeError> {
        if self.depth + 1 >= MAX_DEPTH {
            return Err(EncodeError::TooLong);
        }
        self.depth += 1;
        self.last_field[self.depth] = 0;
        Ok(())
    }

    fn struct_end(&mut self) -> Result<(), EncodeError> {
        self.depth = self.depth.saturating_sub(1);
        self.sink.try_push(0)
    }

    #[inline]
    fn field_begin(&mut self, ty: TType, id: i16) -> Result<(), EncodeError> {
        self.header(ty.compact_code(), id)
    }

    #[inline]
    fn bool_field(&mut self, id: i16, value: bool) -> Result<(), EncodeError> {
        self.header(if value { 1 } else { 2 }, id)
    }

    fn list_begin(&mut self, elem: TType, len: usize) -> Result<(), EncodeError> {
        if len > i32::MAX as usize {
            return Err(EncodeError::TooLong);
        }
        if len <= 14 {
            self.sink.try_push(((len as u8) << 4) | elem.compact_code())
        } else {
            self.sink.try_push(0xf0 | elem.compact_code())?;
            self.varint(len as u64)
        }
    }

    #[inline]
    fn i16(&mut self, v: i16) -> Result<(), EncodeError> {
        self.varint(zigzag(i64::from(v)))
    }

    #[inline]
    fn i32(&mut self, v: i32) -> Result<(), EncodeError> {
        self.varint(zigzag(i64::from(v)))
    }

    #[inline]
    fn i64(&mut self, v: i64) -> Result<(), EncodeError> {
        self.varint(zigzag(v))
    }

    #[inline]
    fn binary(&mut self, v: &[u8]) -> Result<(), EncodeError> {
        if v.len() > i32::MAX as usize {
            return Err(EncodeError::TooLong);
        }
        self.varint(v.len() as u64)?;
        self.sink.try_extend(v)
    }
}
