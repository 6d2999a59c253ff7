//! [`Buffer`]: a core byte [`Sink`] that appends to a `Vec<u8>`, so the core's encoders (which never allocate)
//! can write into growable host buffers: replies, JSON lines, HTTP bodies.

use tryfer_core::sink::{EncodeError, Sink};

/// Appends everything written to a borrowed `Vec<u8>`; full only when the allocator refuses to grow it.
#[derive(Debug)]
pub struct Buffer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Buffer<'a> {
    /// A sink appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Buffer { out }
    }
}

impl Sink for Buffer<'_> {
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.out.try_reserve(bytes.len()).map_err(|_| EncodeError::BufferFull)?;
        self.out.extend_from_slice(bytes);
        Ok(())
    }
}
