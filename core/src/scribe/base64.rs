//! Standard padded base64 written straight into a [`Sink`], a few dozen bytes at a time.
//!
//! Scribe messages are base64 text of a Thrift span. [`Base64Sink`] sits between a span encoder and the frame's
//! sink, so the span is never held whole in memory: it stages up to [`STAGE`] bytes, encodes whole 3-byte groups
//! with the `base64` crate's standard engine, and pads the last group in [`Base64Sink::finish`].

use ::base64::engine::general_purpose::STANDARD;
use ::base64::Engine as _;

use crate::sink::{EncodeError, Sink};

/// How many raw bytes [`Base64Sink`] stages before encoding them (a multiple of 3, so only the very last group
/// is ever padded).
pub const STAGE: usize = 48;

/// Base64 text of [`STAGE`] raw bytes.
const STAGE_TEXT: usize = STAGE / 3 * 4;

/// The length of the padded base64 text of `len` raw bytes, `4 * ceil(len / 3)`; `None` on overflow.
///
/// ```
/// assert_eq!(tryfer_core::scribe::base64::encoded_len(4), Some(8));
/// ```
pub const fn encoded_len(len: usize) -> Option<usize> {
    let groups = len / 3 + if len % 3 == 0 { 0 } else { 1 };
    groups.checked_mul(4)
}

/// A [`Sink`] that writes the standard padded base64 text (no line breaks) of what it receives into another
/// sink. Call [`Base64Sink::finish`] at the end to write the last, padded group.
///
/// ```
/// use tryfer_core::scribe::base64::Base64Sink;
/// use tryfer_core::sink::Sink;
/// let mut out = heapless::Vec::<u8, 8>::new();
/// let mut b64 = Base64Sink::new(&mut out);
/// b64.try_extend(b"ab").unwrap();
/// b64.try_push(b'c').unwrap();
/// b64.try_push(b'd').unwrap();
/// b64.finish().unwrap();
/// assert_eq!(out, *b"YWJjZA==");
/// ```
#[derive(Debug)]
pub struct Base64Sink<S: Sink> {
    sink: S,
    staged: [u8; STAGE],
    len: usize,
}

impl<S: Sink> Base64Sink<S> {
    /// An encoder writing into `sink`, with nothing staged.
    pub fn new(sink: S) -> Self {
        Base64Sink {
            sink,
            staged: [0; STAGE],
            len: 0,
        }
    }

    /// Encodes and writes the staged bytes, padding the last group, and hands the sink back.
    pub fn finish(mut self) -> Result<S, EncodeError> {
        let staged = self.staged.get(..self.len).ok_or(EncodeError::BufferFull)?;
        write_encoded(&mut self.sink, staged)?;
        Ok(self.sink)
    }
}

/// Writes the base64 text of `raw` (at most [`STAGE`] bytes) into `sink`.
fn write_encoded<S: Sink>(sink: &mut S, raw: &[u8]) -> Result<(), EncodeError> {
    let mut text = [0u8; STAGE_TEXT];
    let n = STANDARD
        .encode_slice(raw, &mut text)
        .map_err(|_| EncodeError::BufferFull)?;
    sink.try_extend(text.get(..n).ok_or(EncodeError::BufferFull)?)
}

impl<S: Sink> Sink for Base64Sink<S> {
    fn try_extend(&mut self, mut bytes: &[u8]) -> Result<(), EncodeError> {
        while !bytes.is_empty() {
            if self.len == 0 && bytes.len() >= STAGE {
                // Nothing staged: encode straight from the input.
                let (chunk, rest) = bytes.split_at(STAGE);
                write_encoded(&mut self.sink, chunk)?;
                bytes = rest;
                continue;
            }
            let room = STAGE.saturating_sub(self.len);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            let end = self.len + now.len();
            self.staged
                .get_mut(self.len..end)
                .ok_or(EncodeError::BufferFull)?
                .copy_from_slice(now);
            self.len = end;
            bytes = rest;
            if self.len == STAGE {
                write_encoded(&mut self.sink, &self.staged)?;
                self.len = 0;
            }
        }
        Ok(())
    }

    fn try_push(&mut self, byte: u8) -> Result<(), EncodeError> {
        self.try_extend(&[byte])
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn matches_the_base64_crate_for_every_split() {
        let raw: std::vec::Vec<u8> = (0..=255u8).cycle().take(300).collect();
        for len in [0, 1, 2, 3, 47, 48, 49, 95, 96, 97, 300] {
            let mut whole = [0u8; 512];
            let n = STANDARD.encode_slice(&raw[..len], &mut whole).unwrap();
            let whole = &whole[..n];
            for split in [0, 1, 2, 5, 47, 48, 49, 100] {
                let split = split.min(len);
                let mut out = heapless::Vec::<u8, 512>::new();
                let mut b64 = Base64Sink::new(&mut out);
                b64.try_extend(&raw[..split]).unwrap();
                for &b in &raw[split..len] {
                    b64.try_push(b).unwrap();
                }
                b64.finish().unwrap();
                assert_eq!(out, whole, "len {len} split {split}");
                assert_eq!(encoded_len(len), Some(out.len()));
            }
        }
    }

    #[test]
    fn a_full_destination_is_reported() {
        let mut buf = [0u8; 6];
        let mut out = crate::sink::Slice::new(&mut buf);
        let mut b64 = Base64Sink::new(&mut out);
        b64.try_extend(b"abcde").unwrap();
        assert_eq!(b64.finish().err(), Some(EncodeError::BufferFull));
    }
}
