//! [`Buffer`]: a core byte [`Sink`] that appends to a `Vec<u8>`, so the core encoders can write replies and
//! JSON for the sink's sockets and terminal.

use tryfer_core::sink::{EncodeError, Sink};

/// Appends everything written to a borrowed `Vec<u8>`; never full (the sink only writes what it sized).
#[derive(Debug)]
pub(crate) struct Buffer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Buffer<'a> {
    /// A sink appending to `out`.
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
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
