//! TBinaryProtocol: big-endian fixed-width integers, `i32`-length strings, `i8 type, i16 id` field headers.

use super::{TType, Writer};
use crate::sink::{EncodeError, Sink};

/// The strict message header's version word (`0x80010000`, or'ed with the message type).
pub const VERSION_1: u32 = 0x8001_0000;

/// Writes TBinaryProtocol into a [`Sink`].
///
/// ```
/// use tryfer_core::thrift::{binary::BinaryWriter, TType, Writer};
/// let mut out = heapless::Vec::<u8, 16>::new();
/// let mut w = BinaryWriter::new(&mut out);
/// w.field_begin(TType::I64, 1).unwrap();
/// w.i64(1).unwrap();
/// assert_eq!(out, [0x0a, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1]);
/// ```
#[derive(Debug)]
pub struct BinaryWriter<S: Sink> {
    sink: S,
}

impl<S: Sink> BinaryWriter<S> {
    /// A writer over `sink`.
    pub fn new(sink: S) -> Self {
        BinaryWriter { sink }
    }

    /// Hands the sink back.
    pub fn into_inner(self) -> S {
        self.sink
    }

    /// Writes a strict message header: version and type, method name, sequence id.
    pub fn message_begin(&mut self, name: &str, message_type: u8, seqid: i32) -> Result<(), EncodeError> {
        self.sink
            .try_extend(&(VERSION_1 | u32::from(message_type)).to_be_bytes())?;
        self.binary(name.as_bytes())?;
        self.i32(seqid)
    }

    /// Writes one byte (a Thrift `byte`, or a list's element type).
    pub fn byte(&mut self, v: u8) -> Result<(), EncodeError> {
        self.sink.try_push(v)
    }
}

/// A length as Thrift's `i32`, or `TooLong`.
pub(crate) fn length_i32(len: usize) -> Result<i32, EncodeError> {
    i32::try_from(len).map_err(|_| EncodeError::TooLong)
}

impl<S: Sink> Writer for BinaryWriter<S> {
    #[inline]
    fn struct_begin(&mut self) -> Result<(), EncodeError> {
        Ok(())
    }

    #[inline]
    fn struct_end(&mut self) -> Result<(), EncodeError> {
        self.sink.try_push(0)
    }

    #[inline]
    fn field_begin(&mut self, ty: TType, id: i16) -> Result<(), EncodeError> {
        let id = id.to_be_bytes();
        self.sink.try_extend(&[ty.binary_code(), id[0], id[1]])
    }

    #[inline]
    fn bool_field(&mut self, id: i16, value: bool) -> Result<(), EncodeError> {
        self.field_begin(TType::Bool, id)?;
        self.sink.try_push(u8::from(value))
    }

    #[inline]
    fn list_begin(&mut self, elem: TType, len: usize) -> Result<(), EncodeError> {
        let len = length_i32(len)?.to_be_bytes();
        self.sink
            .try_extend(&[elem.binary_code(), len[0], len[1], len[2], len[3]])
    }

    #[inline]
    fn i16(&mut self, v: i16) -> Result<(), EncodeError> {
        self.sink.try_extend(&v.to_be_bytes())
    }

    #[inline]
    fn i32(&mut self, v: i32) -> Result<(), EncodeError> {
        self.sink.try_extend(&v.to_be_bytes())
    }

    #[inline]
    fn i64(&mut self, v: i64) -> Result<(), EncodeError> {
        self.sink.try_extend(&v.to_be_bytes())
    }

    #[inline]
    fn binary(&mut self, v: &[u8]) -> Result<(), EncodeError> {
        self.sink.try_extend(&length_i32(v.len())?.to_be_bytes())?;
        self.sink.try_extend(v)
    }
}
