//! Thrift's framed transport: a 4-byte big-endian length (not counting itself) before each message.

use core::fmt;

use crate::sink::{EncodeError, Sink};
use crate::thrift::binary::length_i32;

/// The length prefix's size.
pub const FRAME_HEADER_LEN: usize = 4;

/// Thrift's default largest frame (16 384 000 bytes, as in the Java and C++ runtimes); pick a smaller maximum
/// on a device that cannot hold one.
pub const MAX_FRAME_DEFAULT: usize = 16_384_000;

/// Why a frame length was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FrameError {
    /// The announced length exceeds the caller's maximum, or is negative as Thrift's `i32`.
    TooLarge,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FrameError::TooLarge => "frame length exceeds the maximum",
        })
    }
}

impl core::error::Error for FrameError {}

/// The payload length announced by a frame's 4-byte prefix, if it is at most `max` (and not negative).
///
/// ```
/// use tryfer_core::scribe::{frame_len, FrameError};
/// assert_eq!(frame_len([0, 0, 0x01, 0xa6], 1024), Ok(422));
/// assert_eq!(frame_len([0, 0, 0x01, 0xa6], 100), Err(FrameError::TooLarge));
/// assert_eq!(frame_len([0xff, 0xff, 0xff, 0xff], usize::MAX), Err(FrameError::TooLarge));
/// ```
pub fn frame_len(prefix: [u8; 4], max: usize) -> Result<usize, FrameError> {
    let len = usize::try_from(i32::from_be_bytes(prefix)).map_err(|_| FrameError::TooLarge)?;
    if len > max {
        return Err(FrameError::TooLarge);
    }
    Ok(len)
}

/// Writes the 4-byte prefix of a frame whose payload is `payload_len` bytes; [`EncodeError::TooLong`] past
/// Thrift's `i32`.
pub(super) fn write_frame_len<S: Sink + ?Sized>(sink: &mut S, payload_len: usize) -> Result<(), EncodeError> {
    sink.try_extend(&length_i32(payload_len)?.to_be_bytes())
}

/// The first frame of a byte stream, split off by [`split_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Frame<'a> {
    /// The message: the bytes after the length prefix, as many as it announced.
    pub payload: &'a [u8],
    /// What follows the frame in the stream (the next, maybe partial, frames).
    pub rest: &'a [u8],
}

/// Splits the first frame off a stream, or gives `None` while the stream holds less than a whole frame (read
/// more and call again).
///
/// ```
/// use tryfer_core::scribe::{split_frame, Frame};
/// let stream = [0, 0, 0, 2, 0xaa, 0xbb, 0, 0];
/// let frame = Frame { payload: &[0xaa, 0xbb], rest: &[0, 0] };
/// assert_eq!(split_frame(&stream, 64), Ok(Some(frame)));
/// assert_eq!(split_frame(&stream[..5], 64), Ok(None));
/// ```
pub fn split_frame(stream: &[u8], max: usize) -> Result<Option<Frame<'_>>, FrameError> {
    let Some((prefix, after)) = stream.split_first_chunk::<FRAME_HEADER_LEN>() else {
        return Ok(None);
    };
    let len = frame_len(*prefix, max)?;
    Ok(after
        .split_at_checked(len)
        .map(|(payload, rest)| Frame { payload, rest }))
}
