//! Trace and span identifiers: never zero, full 64-bit range, strict lower-hex text form.
//!
//! The original tryfer drew 56-bit ids and crashed at 2^63; here every id is a full `u64` (and trace ids may
//! carry a high half for 128-bit traces), generated from any `rand_core` RNG the caller owns.

use core::fmt;
use core::num::NonZeroU64;

use rand_core::RngCore;

/// Why a hex id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IdError {
    /// The text was empty.
    Empty,
    /// The length is not one the id allows (16 for span ids, 16 or 32 for trace ids).
    Length,
    /// A character is not a lower-case hex digit (`0-9`, `a-f`).
    NotLowerHex,
    /// Every digit was zero; zero is not an id.
    Zero,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdError::Empty => "empty id",
            IdError::Length => "id has the wrong number of hex digits",
            IdError::NotLowerHex => "id has a character that is not lower-case hex",
            IdError::Zero => "id is all zeros",
        })
    }
}

impl core::error::Error for IdError {}

/// The value of a lower-hex digit (`0-9`, `a-f`), or a value above `0xf` for any other byte. Arithmetic rather
/// than a 256-byte table: as fast on a host, and a quarter-kilobyte less flash on a device.
#[inline(always)]
const fn digit(c: u8) -> u8 {
    let decimal = c.wrapping_sub(b'0');
    let letter = c.wrapping_sub(b'a');
    if decimal < 10 {
        decimal
    } else if letter < 6 {
        letter + 10
    } else {
        0xff
    }
}

/// Parses exactly 16 lower-hex digits into a `u64` (zero allowed here; callers decide).
#[inline]
fn parse_u64_hex(text: &[u8]) -> Result<u64, IdError> {
    let Ok(digits) = <&[u8; 16]>::try_from(text) else {
        return Err(if text.is_empty() {
            IdError::Empty
        } else {
            IdError::Length
        });
    };
    let mut value = 0u64;
    let mut bad = 0u8;
    for &c in digits {
        let digit = digit(c);
        bad |= digit;
        value = (value << 4) | u64::from(digit & 0xf);
    }
    // Valid digits are at most 0x0f, so any invalid one leaves high bits set.
    if bad > 0xf {
        return Err(IdError::NotLowerHex);
    }
    Ok(value)
}

/// The four lower-hex digits of `v`, most significant first, as the bytes of a big-endian `u32`: the nibbles are
/// spread one per byte, then `'0'` or `'a' - 10` added to each, with no table and no branch.
#[inline]
const fn hex4(v: u16) -> u32 {
    let mut x = v as u32;
    x = (x | (x << 8)) & 0x00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f;
    let letters = ((x + 0x0606_0606) >> 4) & 0x0101_0101;
    x + 0x3030_3030 + letters * (b'a' - b'0' - 10) as u32
}

/// The two lower-hex digits of a byte: for JSON's `\u00XX` escapes, from the same encoder as the ids.
#[inline]
pub(crate) fn hex_pair(byte: u8) -> [u8; 2] {
    let [_, _, high, low] = hex4(byte as u16).to_be_bytes();
    [high, low]
}

/// The 16 lower-hex digits of `value`, built in registers (one store for the caller, no table).
#[inline]
fn u64_hex(value: u64) -> [u8; 16] {
    let digits = |shift: u32| u128::from(hex4((value >> shift) as u16));
    ((digits(48) << 96) | (digits(32) << 64) | (digits(16) << 32) | digits(0)).to_be_bytes()
}

/// Lower-hex text of an id in a stack buffer: 16 digits, or 32 for a 128-bit trace id.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexId {
    buf: [u8; 32],
    len: u8,
}

impl HexId {
    /// The digits as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written, so this never fails; the fallback keeps it panic-free.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The digits as ASCII bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl core::ops::Deref for HexId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for HexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A 64-bit span id; never zero.
///
/// ```
/// use tryfer_core::SpanId;
/// let id = SpanId::parse("e457b5a2e4d86bd1").unwrap();
/// assert_eq!(id.get(), 0xe457_b5a2_e4d8_6bd1);
/// assert_eq!(id.to_hex().as_str(), "e457b5a2e4d86bd1");
/// assert!(SpanId::parse("0000000000000000").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(NonZeroU64);

impl SpanId {
    /// The id for a non-zero value, `None` for zero.
    pub const fn new(value: u64) -> Option<Self> {
        match NonZeroU64::new(value) {
            Some(v) => Some(SpanId(v)),
            None => None,
        }
    }

    /// The id as an integer.
    pub const fn get(self) -> u64 {
        self.0.get()
    }

    /// A fresh random id from the caller's RNG (a zero draw, 1 in 2^64, becomes `u64::MAX`).
    pub fn generate<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        SpanId(NonZeroU64::new(rng.next_u64()).unwrap_or(NonZeroU64::MAX))
    }

    /// Parses exactly 16 lower-hex digits; all zeros is refused.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`SpanId::parse`] over raw header bytes.
    pub fn parse_bytes(text: &[u8]) -> Result<Self, IdError> {
        SpanId::new(parse_u64_hex(text)?).ok_or(IdError::Zero)
    }

    /// The 16 lower-hex digits, in a stack buffer.
    pub fn to_hex(self) -> HexId {
        let mut buf = [0u8; 32];
        let (high, _) = buf.split_at_mut(16);
        high.copy_from_slice(&u64_hex(self.get()));
        HexId { buf, len: 16 }
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({})", self.to_hex())
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_hex().as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SpanId {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=u64:016x}", self.get())
    }
}

/// A trace id: 64-bit, or 128-bit when `high` is non-zero; never all zeros.
///
/// A 32-digit id whose high half is zero is the same trace as the 16-digit one, so it is stored (and
/// printed) as 64-bit.
///
/// ```
/// use tryfer_core::TraceId;
/// let t = TraceId::parse("80f198ee56343ba864fe8b2a57d3eff7").unwrap();
/// assert_eq!((t.high(), t.low()), (0x80f198ee56343ba8, 0x64fe8b2a57d3eff7));
/// assert_eq!(t.to_hex().as_str(), "80f198ee56343ba864fe8b2a57d3eff7");
/// let short = TraceId::parse("00000000000000000000000000000001").unwrap();
/// assert_eq!(short.to_hex().as_str(), "0000000000000001");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId {
    high: u64,
    low: u64,
}

impl TraceId {
    /// A trace id from its halves; `None` when both are zero.
    pub const fn new(high: u64, low: u64) -> Option<Self> {
        if high == 0 && low == 0 {
            None
        } else {
            Some(TraceId { high, low })
        }
    }

    /// A 64-bit trace id; `None` for zero.
    pub const fn from_u64(low: u64) -> Option<Self> {
        Self::new(0, low)
    }

    /// The high 64 bits (zero for a 64-bit trace id).
    pub const fn high(self) -> u64 {
        self.high
    }

    /// The low 64 bits: Zipkin v1's `trace_id` field.
    pub const fn low(self) -> u64 {
        self.low
    }

    /// True when the id has a non-zero high half.
    pub const fn is_128(self) -> bool {
        self.high != 0
    }

    /// A fresh random 64-bit trace id from the caller's RNG.
    pub fn generate64<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        TraceId {
            high: 0,
            low: SpanId::generate(rng).get(),
        }
    }

    /// A fresh random 128-bit trace id from the caller's RNG; neither half is zero.
    pub fn generate128<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        TraceId {
            high: SpanId::generate(rng).get(),
            // Never zero: Zipkin v1 carries the low half as `trace_id`, and refuses 0.
            low: SpanId::generate(rng).get(),
        }
    }

    /// Parses 16 or 32 lower-hex digits; all zeros is refused.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`TraceId::parse`] over raw header bytes.
    pub fn parse_bytes(text: &[u8]) -> Result<Self, IdError> {
        let (high, low) = match text.len() {
            16 => (0, parse_u64_hex(text)?),
            32 => match text.split_first_chunk::<16>() {
                Some((high, low)) => (parse_u64_hex(high)?, parse_u64_hex(low)?),
                None => return Err(IdError::Length),
            },
            0 => return Err(IdError::Empty),
            _ => return Err(IdError::Length),
        };
        TraceId::new(high, low).ok_or(IdError::Zero)
    }

    /// Lower-hex digits in a stack buffer: 16 for a 64-bit id, 32 for a 128-bit one.
    pub fn to_hex(self) -> HexId {
        let mut buf = [0u8; 32];
        let (first, second) = buf.split_at_mut(16);
        if self.is_128() {
            first.copy_from_slice(&u64_hex(self.high));
            second.copy_from_slice(&u64_hex(self.low));
            HexId { buf, len: 32 }
        } else {
            first.copy_from_slice(&u64_hex(self.low));
            HexId { buf, len: 16 }
        }
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({})", self.to_hex())
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_hex().as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for TraceId {
    fn format(&self, f: defmt::Formatter<'_>) {
        if self.is_128() {
            defmt::write!(f, "{=u64:016x}{=u64:016x}", self.high, self.low)
        } else {
            defmt::write!(f, "{=u64:016x}", self.low)
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    struct Fixed(u64);
    impl RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            self.0 as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            dst.fill(0)
        }
    }

    #[test]
    fn full_range_ids_round_trip() {
        for v in [1u64, 1 << 56, 1 << 63, u64::MAX] {
            let id = SpanId::new(v).unwrap();
            assert_eq!(SpanId::parse(id.to_hex().as_str()), Ok(id));
            let t = TraceId::from_u64(v).unwrap();
            assert_eq!(TraceId::parse(&t.to_hex()), Ok(t));
        }
    }

    #[test]
    fn zero_draw_is_never_an_id() {
        assert_eq!(SpanId::generate(&mut Fixed(0)).get(), u64::MAX);
        assert!(TraceId::generate128(&mut Fixed(0)).is_128());
        assert_eq!(SpanId::generate(&mut Fixed(7)).get(), 7);
    }

    #[test]
    fn strict_parsing() {
        assert_eq!(SpanId::parse(""), Err(IdError::Empty));
        assert_eq!(SpanId::parse("123"), Err(IdError::Length));
        assert_eq!(SpanId::parse("E457B5A2E4D86BD1"), Err(IdError::NotLowerHex));
        assert_eq!(SpanId::parse("+457b5a2e4d86bd1"), Err(IdError::NotLowerHex));
        assert_eq!(TraceId::parse("0000000000000000"), Err(IdError::Zero));
        assert_eq!(TraceId::parse("1234567890123451234567890123451"), Err(IdError::Length));
        let t = TraceId::parse("12345678901234590000000000000000").unwrap();
        assert_eq!((t.high(), t.low()), (0x1234567890123459, 0));
    }
}
