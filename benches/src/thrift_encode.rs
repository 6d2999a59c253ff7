//! Comparison 1: the typical span in TBinaryProtocol, tryfer-core against Apache's `thrift` crate.

use std::hint::black_box;

use thrift::protocol::{TBinaryOutputProtocol, TSerializable};
use tryfer_core::sink::Slice;
use tryfer_core::thrift::encode_binary_span;
use tryfer_smol::HostSpan;

use crate::{apache, typical, Pair};

/// Encoding one span: tryfer into a reused byte buffer; Apache's generated `write_to_out_protocol` through
/// `TBinaryOutputProtocol` (strict) into a reused `Vec<u8>`, cleared each time.
pub struct ThriftEncode {
    span: HostSpan,
    buf: Vec<u8>,
    apache: apache::Span,
    out: Vec<u8>,
}

impl ThriftEncode {
    /// The typical span, built once for both sides.
    pub fn new() -> Self {
        ThriftEncode {
            span: typical::span(),
            buf: vec![0; 4096],
            apache: apache::typical_span(),
            out: Vec::new(),
        }
    }

    fn ours_bytes(&mut self) -> &[u8] {
        let len = self.ours();
        &self.buf[..len]
    }
}

impl Default for ThriftEncode {
    fn default() -> Self {
        Self::new()
    }
}

impl Pair for ThriftEncode {
    fn name(&self) -> &'static str {
        "thrift_binary_encode"
    }

    fn peer_name(&self) -> &'static str {
        "thrift 0.25 TBinaryOutputProtocol"
    }

    #[inline]
    fn ours(&mut self) -> usize {
        let mut out = Slice::new(&mut self.buf);
        match encode_binary_span(black_box(&self.span), &mut out) {
            Ok(()) => out.len(),
            Err(_) => 0,
        }
    }

    #[inline]
    fn peer(&mut self) -> usize {
        self.out.clear();
        let mut protocol = TBinaryOutputProtocol::new(&mut self.out, true);
        match black_box(&self.apache).write_to_out_protocol(&mut protocol) {
            Ok(()) => self.out.len(),
            Err(_) => 0,
        }
    }

    fn check(&mut self) -> Result<(), String> {
        self.peer();
        let theirs = self.out.clone();
        let ours = self.ours_bytes();
        if ours.is_empty() || ours != theirs.as_slice() {
            return Err(format!(
                "tryfer wrote {} bytes, Apache {}: they differ",
                ours.len(),
                theirs.len()
            ));
        }
        Ok(())
    }
}
