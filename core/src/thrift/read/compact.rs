//! Reading TCompactProtocol: zigzag varints, field-id deltas, bool values folded into field headers.

use super::{FieldHeader, Input, ListHeader, MapHeader, Reader, MAX_DEPTH};
use crate::thrift::decode::DecodeError;
use crate::thrift::TType;

/// Reads TCompactProtocol from a byte slice, borrowing binaries from it.
///
/// ```
/// use tryfer_core::thrift::read::{CompactReader, FieldHeader, Reader};
/// use tryfer_core::thrift::TType;
/// // struct { 1: i64 -1, 9: bool true }
/// let bytes = [0x16, 0x01, 0x81, 0x00];
/// let mut r = CompactReader::new(&bytes);
/// r.struct_begin().unwrap();
/// assert_eq!(r.field_begin(), Ok(Some(FieldHeader { ty: TType::I64, id: 1 })));
/// assert_eq!(r.i64(), Ok(-1));
/// assert_eq!(r.field_begin(), Ok(Some(FieldHeader { ty: TType::Bool, id: 9 })));
/// assert_eq!(r.bool(), Ok(true));
/// assert_eq!(r.field_begin(), Ok(None));
/// ```
#[derive(Debug, Clone)]
pub struct CompactReader<'a> {
    input: Input<'a>,
    /// The last field id read in each open struct (slot 0: outside any struct).
    last_field: [i16; MAX_DEPTH + 1],
    depth: usize,
    /// A bool field's value, which came with its header.
    pending_bool: Option<bool>,
}

/// Undoes [`crate::thrift::compact::zigzag`].
pub const fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

impl<'a> CompactReader<'a> {
    /// A reader at the start of `bytes`, outside any struct.
    pub const fn new(bytes: &'a [u8]) -> Self {
        CompactReader {
            input: Input::new(bytes),
            last_field: [0; MAX_DEPTH + 1],
            depth: 0,
            pending_bool: None,
        }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.input.rest
    }

    /// Reads an unsigned LEB128 varint of at most 10 bytes whose value fits a `u64`.
    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        let mut shift = 0u32;
        while shift < 64 {
            let byte = self.input.byte()?;
            let part = u64::from(byte & 0x7f);
            if shift == 63 && part > 1 {
                return Err(DecodeError::BadVarint);
            }
            value |= part << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
        Err(DecodeError::BadVarint)
    }

    /// A varint count or length: at most `i32::MAX` and at most the bytes left.
    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        let n = i32::try_from(n).map_err(|_| DecodeError::BadLength)?;
        let n = usize::try_from(n).map_err(|_| DecodeError::BadLength)?;
        self.input.check_count(n)
    }

    /// A type code, or [`DecodeError::BadType`].
    fn ttype(code: u8) -> Result<TType, DecodeError> {
        TType::from_compact_code(code).ok_or(DecodeError::BadType)
    }
}

impl<'a> Reader<'a> for CompactReader<'a> {
    fn struct_begin(&mut self) -> Result<(), DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        self.depth += 1;
        let last = self.last_field.get_mut(self.depth).ok_or(DecodeError::TooDeep)?;
        *last = 0;
        Ok(())
    }

    fn struct_end(&mut self) -> Result<(), DecodeError> {
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }

    fn field_begin(&mut self) -> Result<Option<FieldHeader>, DecodeError> {
        self.pending_bool = None;
        let header = self.input.byte()?;
        if header == 0 {
            return Ok(None);
        }
        let code = header & 0x0f;
        let ty = Self::ttype(code)?;
        let delta = i16::from(header >> 4);
        let last = self.last_field.get(self.depth).copied().unwrap_or(0);
        let id = if delta == 0 {
            self.i16()?
        } else {
            last.checked_add(delta).ok_or(DecodeError::BadFieldId)?
        };
        if let Some(slot) = self.last_field.get_mut(self.depth) {
            *slot = id;
        }
        if ty == TType::Bool {
            self.pending_bool = Some(code == 1);
        }
        Ok(Some(FieldHeader { ty, id }))
    }

    /// A bool field's value from its header; a list element's from its byte (1 true; 0 or 2 false).
    fn bool(&mut self) -> Result<bool, DecodeError> {
        if let Some(value) = self.pending_bool.take() {
            return Ok(value);
        }
        match self.input.byte()? {
            1 => Ok(true),
            0 | 2 => Ok(false),
            _ => Err(DecodeError::BadValue),
        }
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        self.input.byte()
    }

    fn i16(&mut self) -> Result<i16, DecodeError> {
        i16::try_from(self.i64()?).map_err(|_| DecodeError::BadVarint)
    }

    fn i32(&mut self) -> Result<i32, DecodeError> {
        i32::try_from(self.i64()?).map_err(|_| DecodeError::BadVarint)
    }

    fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(unzigzag(self.varint()?))
    }

    fn double(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_bits(u64::from_le_bytes(self.input.array()?)))
    }

    fn binary(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.count()?;
        self.input.take(len)
    }

    fn list_begin(&mut self) -> Result<ListHeader, DecodeError> {
        self.pending_bool = None;
        let header = self.input.byte()?;
        let elem = Self::ttype(header & 0x0f)?;
        let len = match header >> 4 {
            15 => self.count()?,
            short => self.input.check_count(usize::from(short))?,
        };
        Ok(ListHeader { elem, len })
    }

    fn map_begin(&mut self) -> Result<MapHeader, DecodeError> {
        self.pending_bool = None;
        let len = self.count()?;
        if len == 0 {
            return Ok(MapHeader { types: None, len });
        }
        let types = self.input.byte()?;
        let key = Self::ttype(types >> 4)?;
        let value = Self::ttype(types & 0x0f)?;
        let len = self.input.check_count(len)?;
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
    use crate::thrift::compact::zigzag;

    #[test]
    fn varints_and_zigzag() {
        for v in [0i64, 1, -1, 63, -64, 64, i64::from(i32::MAX), i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(CompactReader::new(&[0xac, 0x02]).varint(), Ok(300));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(CompactReader::new(&max).varint(), Ok(u64::MAX));
        // An eleventh byte, or bits past 64, are refused.
        let long = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        assert_eq!(CompactReader::new(&long).varint(), Err(DecodeError::BadVarint));
        let wide = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(CompactReader::new(&wide).varint(), Err(DecodeError::BadVarint));
        assert_eq!(CompactReader::new(&[0x80]).varint(), Err(DecodeError::Truncated));
        // 40000 zigzagged does not fit an i16.
        assert_eq!(
            CompactReader::new(&[0x80, 0xf1, 0x04]).i16(),
            Err(DecodeError::BadVarint)
        );
    }

    #[test]
    fn field_ids_by_delta_and_by_varint() {
        // 1: i32 1 (delta form), 300: i32 2 (long form: type byte, zigzag varint 600), 301: binary "" (delta).
        let bytes = [0x15, 0x02, 0x05, 0xd8, 0x04, 0x04, 0x18, 0x00, 0x00];
        let mut r = CompactReader::new(&bytes);
        r.struct_begin().unwrap();
        assert_eq!(r.field_begin(), Ok(Some(FieldHeader { ty: TType::I32, id: 1 })));
        assert_eq!(r.i32(), Ok(1));
        assert_eq!(
            r.field_begin(),
            Ok(Some(FieldHeader {
                ty: TType::I32,
                id: 300
            }))
        );
        assert_eq!(r.i32(), Ok(2));
        assert_eq!(
            r.field_begin(),
            Ok(Some(FieldHeader {
                ty: TType::Binary,
                id: 301
            }))
        );
        assert_eq!(r.binary(), Ok(&[][..]));
        assert_eq!(r.field_begin(), Ok(None));
        // A delta past i16::MAX is refused: id 32767, then a delta of 1.
        let bytes = [0x05, 0xfe, 0xff, 0x03, 0x00, 0x15];
        let mut r = CompactReader::new(&bytes);
        r.struct_begin().unwrap();
        assert_eq!(
            r.field_begin(),
            Ok(Some(FieldHeader {
                ty: TType::I32,
                id: i16::MAX
            }))
        );
        assert_eq!(r.i32(), Ok(0));
        assert_eq!(r.field_begin(), Err(DecodeError::BadFieldId));
    }

    #[test]
    fn nested_structs_keep_their_own_field_ids() {
        // struct { 1: struct { 2: bool false } , 2: bool true }
        let bytes = [0x1c, 0x22, 0x00, 0x11, 0x00];
        let mut r = CompactReader::new(&bytes);
        r.struct_begin().unwrap();
        assert_eq!(
            r.field_begin(),
            Ok(Some(FieldHeader {
                ty: TType::Struct,
                id: 1
            }))
        );
        r.skip(TType::Struct).unwrap();
        assert_eq!(r.field_begin(), Ok(Some(FieldHeader { ty: TType::Bool, id: 2 })));
        assert_eq!(r.bool(), Ok(true));
        assert_eq!(r.field_begin(), Ok(None));
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn skips_maps_sets_and_bool_lists() {
        // map<byte, double> {1: 0.0}, empty map, list<bool> [true, false], set<i32> {-1}
        let bytes = [
            0x01, 0x37, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,    // map
            0x00, // empty map
            0x21, 0x01, 0x02, // list<bool>
            0x15, 0x01, // set<i32>
        ];
        let mut r = CompactReader::new(&bytes);
        r.skip(TType::Map).unwrap();
        r.skip(TType::Map).unwrap();
        r.skip(TType::List).unwrap();
        r.skip(TType::Set).unwrap();
        assert_eq!(r.remaining(), 0);
        // A bool element must be 1 (true), 2 or 0 (false).
        assert_eq!(
            CompactReader::new(&[0x21, 0x01, 0x03]).skip(TType::List),
            Err(DecodeError::BadValue)
        );
    }
}
