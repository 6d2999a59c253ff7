//! Shared test support for the integration tests: `mod common;` then `use common::arb::...`.
#![allow(dead_code)]

pub mod arb;
pub mod golden;

use tryfer_core::sink::{measure, Slice};
use tryfer_core::{thrift, SpanData};

/// `span` in TBinaryProtocol, through our encoder, in a buffer of exactly the measured length.
pub fn binary_bytes<D: SpanData + ?Sized>(span: &D) -> Vec<u8> {
    let len = measure(|c| thrift::encode_binary_span(span, c)).unwrap();
    let mut buf = vec![0; len];
    let mut out = Slice::new(&mut buf);
    thrift::encode_binary_span(span, &mut out).unwrap();
    assert_eq!(out.len(), len);
    buf
}

/// `span` in TCompactProtocol, through our encoder, in a buffer of exactly the measured length.
pub fn compact_bytes<D: SpanData + ?Sized>(span: &D) -> Vec<u8> {
    let len = measure(|c| thrift::encode_compact_span(span, c)).unwrap();
    let mut buf = vec![0; len];
    let mut out = Slice::new(&mut buf);
    thrift::encode_compact_span(span, &mut out).unwrap();
    assert_eq!(out.len(), len);
    buf
}
