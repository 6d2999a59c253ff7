//! The original tryfer's bytes, reproduced exactly (tests/data/tryfer-golden.json).
#![forbid(unsafe_code)]

mod common;
use common::golden::{golden, hex, span_of};

use tryfer_core::{sink::Slice, thrift};

#[test]
fn binary_spans_match_the_original_byte_for_byte() {
    let golden = golden();
    for case in golden["cases"].as_array().unwrap() {
        let span = span_of(&case["input"]);
        let mut buf = [0u8; 1024];
        let mut out = Slice::new(&mut buf);
        thrift::encode_binary_span(&span, &mut out).unwrap();
        assert_eq!(
            hex(out.written()),
            case["thrift_binary_hex"].as_str().unwrap(),
            "{}",
            case["case"]
        );
        assert_eq!(thrift::binary_span_len(&span).unwrap(), out.len());
    }
}
