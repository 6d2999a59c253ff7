//! Reading TBinaryProtocol off untrusted bytes: a bounds-checked cursor, the message header, and skipping of
//! fields a reader does not know. Every read is checked; nothing here can panic or recurse without bound.

use crate::thrift::binary::VERSION_1;
use crate::thrift::TType;

/// How deeply unknown structs, lists and maps may nest before a reader gives up (Thrift's Java runtime allows
/// 64; nothing Scribe sends nests deeper than 3).
pub(crate) const MAX_DEPTH: usize = 32;

/// Mask of the strict header's version bits.
const VERSION_MASK: u32 = 0xffff_0000;

/// What went wrong reading bytes; each reader maps it onto its own public error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The bytes ended early.
    Truncated,
    /// A string, list, set or map length is negative.
    NegativeLength,
    /// A type code that is not a Thrift type.
    UnknownType(u8),
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A string is not UTF-8.
    NotUtf8,
    /// The first word is neither a strict version word nor an old-style name length.
    BadVersion,
}

/// A message header as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    /// True for the strict form (`0x8001_00tt`), false for the old one (name length first).
    pub(crate) strict: bool,
    /// The message type byte (CALL 1, REPLY 2, EXCEPTION 3, ONEWAY 4).
    pub(crate) message_type: u8,
    /// The method name's bytes.
    pub(crate) name: &'a [u8],
    /// The sequence id.
    pub(crate) seqid: i32,
}

/// A position in a TBinaryProtocol byte string.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { rest: bytes }
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Takes the next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Fault> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(Fault::Truncated)?;
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Fault> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Reads one byte.
    pub(crate) fn u8(&mut self) -> Result<u8, Fault> {
        let (&first, tail) = self.rest.split_first().ok_or(Fault::Truncated)?;
        self.rest = tail;
        Ok(first)
    }

    /// Reads a big-endian `i16`.
    pub(crate) fn i16(&mut self) -> Result<i16, Fault> {
        self.array().map(i16::from_be_bytes)
    }

    /// Reads a big-endian `i32`.
    pub(crate) fn i32(&mut self) -> Result<i32, Fault> {
        self.array().map(i32::from_be_bytes)
    }

    /// Reads an `i32` length or count, refusing negative ones.
    pub(crate) fn length(&mut self) -> Result<usize, Fault> {
        usize::try_from(self.i32()?).map_err(|_| Fault::NegativeLength)
    }

    /// Reads a `binary`: an `i32` length, then that many bytes.
    pub(crate) fn binary(&mut self) -> Result<&'a [u8], Fault> {
        let len = self.length()?;
        self.take(len)
    }

    /// Reads a `string` that must be UTF-8.
    pub(crate) fn string(&mut self) -> Result<&'a str, Fault> {
        core::str::from_utf8(self.binary()?).map_err(|_| Fault::NotUtf8)
    }

    /// Reads a type code.
    pub(crate) fn ttype(&mut self) -> Result<TType, Fault> {
        let code = self.u8()?;
        TType::from_binary_code(code).ok_or(Fault::UnknownType(code))
    }

    /// Reads a field header: `None` at the struct's stop byte, else the field's type and id.
    pub(crate) fn field(&mut self) -> Result<Option<(TType, i16)>, Fault> {
        let code = self.u8()?;
        if code == 0 {
            return Ok(None);
        }
        let ty = TType::from_binary_code(code).ok_or(Fault::UnknownType(code))?;
        Ok(Some((ty, self.i16()?)))
    }

    /// Reads a list or set header: element type and count.
    pub(crate) fn list(&mut self) -> Result<(TType, usize), Fault> {
        let elem = self.ttype()?;
        Ok((elem, self.length()?))
    }

    /// Reads a message header, strict or old-style.
    pub(crate) fn message_begin(&mut self) -> Result<Header<'a>, Fault> {
        let first = self.i32()?;
        if first < 0 {
            let word = first as u32;
            if word & VERSION_MASK != VERSION_1 {
                return Err(Fault::BadVersion);
            }
            let name = self.binary()?;
            let seqid = self.i32()?;
            return Ok(Header {
                strict: true,
                message_type: word as u8,
                name,
                seqid,
            });
        }
        let name = self.take(first as usize)?;
        let message_type = self.u8()?;
        let seqid = self.i32()?;
        Ok(Header {
            strict: false,
            message_type,
            name,
            seqid,
        })
    }

    /// Skips one value of type `ty`; `depth` counts the enclosing containers.
    pub(crate) fn skip(&mut self, ty: TType, depth: usize) -> Result<(), Fault> {
        let width = match ty {
            TType::Bool | TType::Byte => 1,
            TType::I16 => 2,
            TType::I32 => 4,
            TType::I64 | TType::Double => 8,
            TType::Binary => return self.binary().map(|_| ()),
            TType::Struct => return self.skip_struct(depth),
            TType::List | TType::Set => {
                let depth = nested(depth)?;
                let (elem, count) = self.list()?;
                // Every element takes at least one byte, so truncation ends this loop.
                for _ in 0..count {
                    self.skip(elem, depth)?;
                }
                return Ok(());
            }
            TType::Map => {
                let depth = nested(depth)?;
                let key = self.ttype()?;
                let value = self.ttype()?;
                for _ in 0..self.length()? {
                    self.skip(key, depth)?;
                    self.skip(value, depth)?;
                }
                return Ok(());
            }
        };
        self.take(width).map(|_| ())
    }

    /// Skips the rest of a struct, through its stop byte.
    pub(crate) fn skip_struct(&mut self, depth: usize) -> Result<(), Fault> {
        let depth = nested(depth)?;
        while let Some((ty, _)) = self.field()? {
            self.skip(ty, depth)?;
        }
        Ok(())
    }
}

/// One level deeper, or `TooDeep`.
fn nested(depth: usize) -> Result<usize, Fault> {
    match depth.checked_add(1) {
        Some(d) if d <= MAX_DEPTH => Ok(d),
        _ => Err(Fault::TooDeep),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn reads_both_header_forms() {
        let strict = [0x80, 0x01, 0x00, 0x02, 0, 0, 0, 3, b'L', b'o', b'g', 0, 0, 0, 7];
        let h = Cursor::new(&strict).message_begin().unwrap();
        assert_eq!((h.strict, h.message_type, h.name, h.seqid), (true, 2, &b"Log"[..], 7));
        let old = [0, 0, 0, 3, b'L', b'o', b'g', 2, 0, 0, 0, 7];
        let h = Cursor::new(&old).message_begin().unwrap();
        assert_eq!((h.strict, h.message_type, h.name, h.seqid), (false, 2, &b"Log"[..], 7));
        let bad = [0x80, 0x02, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(Cursor::new(&bad).message_begin(), Err(Fault::BadVersion));
    }

    #[test]
    fn skips_nested_values_and_refuses_deep_ones() {
        // struct { 1: list<i32> [1, 2], 2: map<string, byte> {"a": 9} } then one byte left over.
        let bytes = [
            0x0f, 0, 1, 8, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x0d, 0, 2, 11, 3, 0, 0, 0, 1, 0, 0, 0, 1, b'a', 9, 0,
            0xaa,
        ];
        let mut c = Cursor::new(&bytes);
        c.skip(TType::Struct, 0).unwrap();
        assert_eq!(c.rest(), [0xaa]);

        // Structs nested 40 deep: field 1 of type struct, again and again.
        let mut deep = [0u8; 40 * 3];
        for chunk in deep.chunks_mut(3) {
            chunk.copy_from_slice(&[12, 0, 1]);
        }
        assert_eq!(Cursor::new(&deep).skip(TType::Struct, 0), Err(Fault::TooDeep));

        let negative = [11, 0, 1, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            Cursor::new(&negative).skip(TType::Struct, 0),
            Err(Fault::NegativeLength)
        );
        assert_eq!(
            Cursor::new(&[1, 0, 1]).skip(TType::Struct, 0),
            Err(Fault::UnknownType(1))
        );
        assert_eq!(Cursor::new(&[8, 0, 1, 0]).skip(TType::Struct, 0), Err(Fault::Truncated));
    }
}
