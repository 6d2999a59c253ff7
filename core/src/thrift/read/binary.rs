//! Reading TBinaryProtocol: big-endian fixed-width integers, `i32`-length binaries, `i8 type, i16 id` headers.

use super::{utf8, FieldHeader, Input, ListHeader, MapHeader, Reader, MAX_DEPTH};
use crate::thrift::binary::VERSION_1;
use crate::thrift::decode::DecodeError;
use crate::thrift::TType;

/// Reads TBinaryProtocol from a byte slice, borrowing binaries from it.
///
/// ```
/// use tryfer_core::thrift::read::{BinaryReader, FieldHeader, Reader};
/// use tryfer_core::thrift::TType;
/// let bytes = [0x0a, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0x00];
/// let mut r = BinaryReader::new(&bytes);
/// assert_eq!(r.field_begin(), Ok(Some(FieldHeader { ty: TType::I64, id: 1 })));
/// assert_eq!(r.i64(), Ok(1));
/// assert_eq!(r.field_begin(), Ok(None));
/// assert_eq!(r.consumed(), 12);
/// ```
#[derive(Debug, Clone)]
pub struct BinaryReader<'a> {
    input: Input<'a>,
    depth: usize,
}

/// A strict TBinaryProtocol message header (`i32 0x8001000t`, method name, sequence id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MessageHeader<'a> {
    /// The method name, e.g. `Log`.
    pub name: &'a str,
    /// The message type: CALL 1, REPLY 2, EXCEPTION 3, ONEWAY 4.
    pub kind: u8,
    /// The sequence id the reply echoes.
    pub seqid: i32,
}

impl<'a> BinaryReader<'a> {
    /// A reader at the start of `bytes`, outside any struct.
    pub const fn new(bytes: &'a [u8]) -> Self {
        BinaryReader {
            input: Input::new(bytes),
            depth: 0,
        }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.input.rest
    }

    /// Reads a strict message header; the old unversioned form is refused with [`DecodeError::BadVersion`].
    ///
    /// ```
    /// use tryfer_core::thrift::read::{BinaryReader, MessageHeader};
    /// let reply = [0x80, 0x01, 0x00, 0x02, 0, 0, 0, 3, b'L', b'o', b'g', 0, 0, 0, 7];
    /// let header = BinaryReader::new(&reply).message_begin().unwrap();
    /// assert_eq!(header, MessageHeader { name: "Log", kind: 2, seqid: 7 });
    /// ```
    pub fn message_begin(&mut self) -> Result<MessageHeader<'a>, DecodeError> {
        let word = u32::from_be_bytes(self.input.array()?);
        self.message_rest(word, false)
    }

    /// Reads a message header in either form: strict, or the old one (`i32` name length, name, `i8` type,
    /// `i32` seqid) that non-strict writers still send. A negative first word must be the strict version word,
    /// as Thrift's readers with `strict_read` off decide it.
    ///
    /// ```
    /// use tryfer_core::thrift::read::{BinaryReader, MessageHeader};
    /// let old = [0, 0, 0, 3, b'L', b'o', b'g', 2, 0, 0, 0, 7];
    /// let header = BinaryReader::new(&old).message_begin_lenient().unwrap();
    /// assert_eq!(header, MessageHeader { name: "Log", kind: 2, seqid: 7 });
    /// ```
    pub fn message_begin_lenient(&mut self) -> Result<MessageHeader<'a>, DecodeError> {
        let word = u32::from_be_bytes(self.input.array()?);
        self.message_rest(word, true)
    }

    /// The rest of a message header whose first word was `word`.
    fn message_rest(&mut self, word: u32, lenient: bool) -> Result<MessageHeader<'a>, DecodeError> {
        if word & 0xffff_0000 == VERSION_1 {
            let name = self.string()?;
            let seqid = self.i32()?;
            return Ok(MessageHeader {
                name,
                kind: (word & 0xff) as u8,
                seqid,
            });
        }
        if !lenient || i32::try_from(word).is_err() {
            return Err(DecodeError::BadVersion);
        }
        // The old form: `word` is the name's length.
        let len = usize::try_from(word).map_err(|_| DecodeError::BadLength)?;
        let name = utf8(self.input.take(len)?)?;
        let kind = self.input.byte()?;
        let seqid = self.i32()?;
        Ok(MessageHeader { name, kind, seqid })
    }

    /// A type code, or [`DecodeError::BadType`].
    fn ttype(&mut self) -> Result<TType, DecodeError> {
        TType::from_binary_code(self.input.byte()?).ok_or(DecodeError::BadType)
    }

    /// An `i32` count or length: not negative, and at most the bytes left.
    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = usize::try_from(self.i32()?).map_err(|_| DecodeError::BadLength)?;
        self.input.check_count(n)
    }
}

impl<'a> Reader<'a> for BinaryReader<'a> {
    fn struct_begin(&mut self) -> Result<(), DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        self.depth += 1;
        Ok(())
    }

    fn struct_end(&mut self) -> Result<(), DecodeError> {
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }

    fn field_begin(&mut self) -> Result<Option<FieldHeader>, DecodeError> {
        let code = self.input.byte()?;
        if code == 0 {
            return Ok(None);
        }
        let ty = TType::from_binary_code(code).ok_or(DecodeError::BadType)?;
        let id = self.i16()?;
        Ok(Some(FieldHeader { ty, id }))
    }

    fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.input.byte()? != 0)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        self.input.byte()
    }

    fn i16(&mut self) -> Result<i16, DecodeError> {
        Ok(i16::from_be_bytes(self.input.array()?))
    }

    fn i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.input.array()?))
    }

    fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.input.array()?))
    }

    fn double(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_bits(u64::from_be_bytes(self.input.array()?)))
    }

    fn binary(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.count()?;
        self.input.take(len)
    }

    fn list_begin(&mut self) -> Result<ListHeader, DecodeError> {
        let elem = self.ttype()?;
        let len = self.count()?;
        Ok(ListHeader { elem, len })
    }

    fn map_begin(&mut self) -> Result<MapHeader, DecodeError> {
        let key = self.ttype()?;
        let value = self.ttype()?;
        let len = self.count()?;
        Ok(MapHeader {
            types: Some((key, value)),
            len,
        })
    }

    fn consumed(&self) -> usize {
        self.input.consumed()
    }

    fn remaining(&self) -> usize {
        self.input.remaining()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn lengths_are_checked_before_use() {
        assert_eq!(
            BinaryReader::new(&[0, 0, 0, 3, b'a', b'b']).binary(),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            BinaryReader::new(&[0xff, 0xff, 0xff, 0xff]).binary(),
            Err(DecodeError::BadLength)
        );
        assert_eq!(BinaryReader::new(&[0, 0, 0, 2, b'a', b'b']).binary(), Ok(&b"ab"[..]));
        assert_eq!(
            BinaryReader::new(&[0, 0, 0, 1, 0xff]).string(),
            Err(DecodeError::BadUtf8)
        );
        assert_eq!(BinaryReader::new(&[0, 0, 0]).i32(), Err(DecodeError::Truncated));
    }

    #[test]
    fn unknown_type_codes_are_refused() {
        for code in [1u8, 5, 7, 9, 16, 0xff] {
            assert_eq!(
                BinaryReader::new(&[code, 0, 1]).field_begin(),
                Err(DecodeError::BadType)
            );
        }
    }

    #[test]
    fn skips_every_container() {
        // struct { 1: map<i16, string> {7: "x"}, 2: set<bool> {true}, 3: double } then an i32 after it.
        let bytes = [
            13, 0, 1, 6, 11, 0, 0, 0, 1, 0, 7, 0, 0, 0, 1, b'x', // map
            14, 0, 2, 2, 0, 0, 0, 1, 1, // set
            4, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, // double
            0, // stop
            0, 0, 0, 9,
        ];
        let mut r = BinaryReader::new(&bytes);
        r.skip(TType::Struct).unwrap();
        assert_eq!(r.i32(), Ok(9));
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn old_style_message_headers_are_read_only_when_lenient() {
        let old = [0, 0, 0, 3, b'L', b'o', b'g', 2, 0, 0, 0, 7];
        assert_eq!(BinaryReader::new(&old).message_begin(), Err(DecodeError::BadVersion));
        let mut r = BinaryReader::new(&old);
        let header = r.message_begin_lenient().unwrap();
        assert_eq!(
            (header.name, header.kind, header.seqid, r.remaining()),
            ("Log", 2, 7, 0)
        );

        // Strict headers read the same either way; a negative word that is not version 1 is refused by both.
        let strict = [0x80, 0x01, 0x00, 0x04, 0, 0, 0, 1, b'x', 0xff, 0xff, 0xff, 0xff];
        let header = BinaryReader::new(&strict).message_begin_lenient().unwrap();
        assert_eq!((header.name, header.kind, header.seqid), ("x", 4, -1));
        let version_2 = [0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            BinaryReader::new(&version_2).message_begin_lenient(),
            Err(DecodeError::BadVersion)
        );
        assert_eq!(
            BinaryReader::new(&version_2).message_begin(),
            Err(DecodeError::BadVersion)
        );

        // An old-style name longer than the input, or not UTF-8.
        assert_eq!(
            BinaryReader::new(&[0, 0, 0, 9, b'L', 1]).message_begin_lenient(),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            BinaryReader::new(&[0, 0, 0, 1, 0xff, 1, 0, 0, 0, 0]).message_begin_lenient(),
            Err(DecodeError::BadUtf8)
        );
    }
}
