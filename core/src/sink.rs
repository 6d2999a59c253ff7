//! Where encoders write: one [`Sink`] trait, several destinations (after postcard's "flavors").
//!
//! Every encoder in this crate is generic over `Sink`, so the same code writes into a caller's slice, a
//! `heapless::Vec`, or a [`Counter`] that only measures: running an encoder into a `Counter` gives the exact
//! encoded length before any byte is written.

use core::fmt;

/// Why an encoder stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EncodeError {
    /// The destination has no room for the next bytes; what was written so far is incomplete.
    BufferFull,
    /// A string, list or frame is longer than its wire format can express (an `i32` length).
    TooLong,
    /// A length measured beforehand and handed in (e.g. to `scribe::write_log_call_sized`) differs from what
    /// was encoded; the output is incomplete.
    LengthMismatch,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodeError::BufferFull => "destination buffer is full",
            EncodeError::TooLong => "value is longer than the wire format allows",
            EncodeError::LengthMismatch => "a length given in advance differs from the encoded length",
        })
    }
}

impl core::error::Error for EncodeError {}

/// A destination for encoded bytes.
pub trait Sink {
    /// Appends `bytes`, or fails without promising what part was kept.
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), EncodeError>;

    /// Appends one byte.
    fn try_push(&mut self, byte: u8) -> Result<(), EncodeError> {
        self.try_extend(&[byte])
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        (**self).try_extend(bytes)
    }

    #[inline]
    fn try_push(&mut self, byte: u8) -> Result<(), EncodeError> {
        (**self).try_push(byte)
    }
}

/// Writes into a caller-owned byte slice.
///
/// ```
/// use tryfer_core::sink::{Sink, Slice};
/// let mut buf = [0u8; 4];
/// let mut out = Slice::new(&mut buf);
/// out.try_extend(b"abc").unwrap();
/// assert!(out.try_extend(b"de").is_err());
/// assert_eq!(out.written(), b"abc");
/// ```
#[derive(Debug)]
pub struct Slice<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Slice<'a> {
    /// An empty writer over `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Slice { buf, len: 0 }
    }

    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// How many bytes were written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ends writing and hands back the written part of the buffer.
    pub fn finish(self) -> &'a mut [u8] {
        let len = self.len;
        &mut self.buf[..len]
    }
}

impl Sink for Slice<'_> {
    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self.len.checked_add(bytes.len()).ok_or(EncodeError::BufferFull)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(EncodeError::BufferFull)?;
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    #[inline]
    fn try_push(&mut self, byte: u8) -> Result<(), EncodeError> {
        let slot = self.buf.get_mut(self.len).ok_or(EncodeError::BufferFull)?;
        *slot = byte;
        self.len += 1;
        Ok(())
    }
}

/// Counts bytes instead of storing them: the exact length an encoder would write.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    len: usize,
}

impl Counter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Counter { len: 0 }
    }

    /// The bytes counted so far.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was counted.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Sink for Counter {
    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.len = self.len.checked_add(bytes.len()).ok_or(EncodeError::TooLong)?;
        Ok(())
    }

    #[inline]
    fn try_push(&mut self, _byte: u8) -> Result<(), EncodeError> {
        self.try_extend(&[0])
    }
}

impl<const N: usize> Sink for heapless::Vec<u8, N> {
    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.extend_from_slice(bytes).map_err(|_| EncodeError::BufferFull)
    }

    #[inline]
    fn try_push(&mut self, byte: u8) -> Result<(), EncodeError> {
        self.push(byte).map_err(|_| EncodeError::BufferFull)
    }
}

/// How many bytes [`Staged`] collects before handing them on.
const STAGE: usize = 64;

/// A small stack buffer in front of a `dyn Sink`, for the big encoders (the Thrift span schema).
///
/// Writing a field costs a copy into a local array instead of a dynamic call, and the bytes go on to the real
/// sink in chunks, so one compiled copy of an encoder serves every sink type (a slice, a `Counter`, base64)
/// at close to the speed of a copy monomorphized for each. Call [`Staged::finish`] at the end: bytes still
/// staged are lost otherwise.
pub(crate) struct Staged<'s> {
    sink: &'s mut dyn Sink,
    buf: [u8; STAGE],
    len: usize,
}

impl<'s> Staged<'s> {
    /// An empty stage in front of `sink`.
    pub(crate) fn new(sink: &'s mut dyn Sink) -> Self {
        Staged {
            sink,
            buf: [0; STAGE],
            len: 0,
        }
    }

    /// Hands the staged bytes on.
    pub(crate) fn finish(&mut self) -> Result<(), EncodeError> {
        let staged = self.buf.get(..self.len).unwrap_or_default();
        self.len = 0;
        self.sink.try_extend(staged)
    }

    /// The slow path of a write that does not fit: hand the stage on, then stage `bytes` or pass them through.
    #[inline(never)]
    fn spill(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.finish()?;
        match self.buf.get_mut(..bytes.len()) {
            Some(dst) if bytes.len() < STAGE => {
                dst.copy_from_slice(bytes);
                self.len = bytes.len();
                Ok(())
            }
            _ => self.sink.try_extend(bytes),
        }
    }
}

impl Sink for Staged<'_> {
    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self.len.saturating_add(bytes.len());
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len = end;
                Ok(())
            }
            None => self.spill(bytes),
        }
    }

    #[inline]
    fn try_push(&mut self, byte: u8) -> Result<(), EncodeError> {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
                Ok(())
            }
            None => self.spill(&[byte]),
        }
    }
}

/// Lets `write!` format into any sink (numbers, `Display` values), for the text encoders.
#[allow(dead_code)]
pub(crate) struct FmtSink<'s, S: Sink + ?Sized> {
    pub(crate) sink: &'s mut S,
    pub(crate) error: Option<EncodeError>,
}

impl<S: Sink + ?Sized> fmt::Write for FmtSink<'_, S> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.sink.try_extend(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            fmt::Error
        })
    }
}

/// The exact number of bytes `encode` writes, found by running it into a [`Counter`].
pub fn measure<F>(encode: F) -> Result<usize, EncodeError>
where
    F: FnOnce(&mut Counter) -> Result<(), EncodeError>,
{
    let mut counter = Counter::new();
    encode(&mut counter)?;
    Ok(counter.len())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn staged_bytes_arrive_whole_and_in_order_for_any_write_sizes() {
        let data: std::vec::Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for sizes in [&[1usize][..], &[63, 1, 64], &[65, 3], &[200, 1, 2], &[7, 64, 128, 5]] {
            let mut out = heapless::Vec::<u8, 1024>::new();
            let mut staged = Staged::new(&mut out);
            let mut rest = &data[..];
            for &size in sizes.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (now, later) = rest.split_at(size.min(rest.len()));
                if let [byte] = now {
                    staged.try_push(*byte).unwrap();
                } else {
                    staged.try_extend(now).unwrap();
                }
                rest = later;
            }
            staged.finish().unwrap();
            assert_eq!(out, data[..], "sizes {sizes:?}");
        }
    }

    #[test]
    fn a_full_destination_behind_the_stage_is_reported() {
        let mut buf = [0u8; 100];
        let mut out = Slice::new(&mut buf);
        let mut staged = Staged::new(&mut out);
        // 60 bytes are staged; the next 60 spill them (they fit) and are staged; the last 60 spill those, which
        // no longer fit.
        staged.try_extend(&[1; 60]).unwrap();
        staged.try_extend(&[2; 60]).unwrap();
        assert_eq!(staged.try_extend(&[3; 60]), Err(EncodeError::BufferFull));
        assert_eq!(out.written(), [1u8; 60]);

        // Nothing fits: the stage holds a few bytes, which the end reports.
        let mut out = Slice::new(&mut []);
        let mut staged = Staged::new(&mut out);
        staged.try_push(1).unwrap();
        assert_eq!(staged.finish(), Err(EncodeError::BufferFull));
    }
}
