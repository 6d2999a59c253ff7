//! The Thrift span decoders (binary, compact, the `list<Span>` body) and, for whatever they accept, every
//! encoder: Thrift again in both protocols, Zipkin v2 JSON and the original's debug JSON.

use tryfer_core::json::{self, Layout};
use tryfer_core::sink::{measure, EncodeError, Slice};
use tryfer_core::thrift::decode::{self, DecodeError, DecodedSpan, Protocol};
use tryfer_core::thrift::{self, encode_binary_span_list};
use tryfer_core::SpanData;

use super::model::Model;

/// The `span_decode` target: the input is one Thrift span, in either protocol, or a `list<Span>` body.
pub fn check(data: &[u8]) {
    if let Ok((span, used)) = decode::decode_binary_span::<64>(data) {
        assert!(used <= data.len());
        reencodes(&span);
    }
    if let Ok((span, used)) = decode::decode_compact_span::<64>(data) {
        assert!(used <= data.len());
        reencodes(&span);
    }
    match decode::decode_span::<64>(data) {
        Err(DecodeError::UnknownProtocol) => assert_eq!(Protocol::detect(data), None),
        Ok(_) => assert!(Protocol::detect(data).is_some()),
        Err(_) => {}
    }
    // A view too small for the span's events must refuse it, not overflow.
    if let Err(DecodeError::TooManyAnnotations) = decode::decode_span::<1>(data) {
        assert!(decode::decode_span::<0>(data).is_err());
    }
    if let Ok(list) = decode::decode_binary_span_list::<64>(data) {
        assert!(
            list.left() <= data.len(),
            "a list of {} spans in {} bytes",
            list.left(),
            data.len()
        );
        let spans: Vec<DecodedSpan<'_, 64>> = list.map_while(Result::ok).collect();
        for span in &spans {
            reencodes(span);
        }
        let len = measure(|c| encode_binary_span_list(spans.iter(), c)).expect("a list can be measured");
        let body = written(len, |s| encode_binary_span_list(spans.iter(), s));
        let again: Vec<Model> = decode::decode_binary_span_list::<64>(&body)
            .expect("our list decodes")
            .map(|s| Model::of(&s.expect("each of our spans decodes")))
            .collect();
        // In wire order: see `reencodes`.
        assert_eq!(
            again,
            spans.iter().map(|s| Model::of(s).into_wire()).collect::<Vec<_>>()
        );
    }
}

/// `len` bytes written by `encode`, which must fill them exactly.
pub fn written(len: usize, encode: impl FnOnce(&mut Slice<'_>) -> Result<(), EncodeError>) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let mut out = Slice::new(&mut buf);
    encode(&mut out).expect("the encoding fits its measured length");
    assert_eq!(out.len(), len, "the measured length is not what was written");
    buf
}

/// A span in TBinaryProtocol, through the exact-length path a reporter uses.
pub fn binary_bytes<D: SpanData + ?Sized>(span: &D) -> Vec<u8> {
    let len = thrift::binary_span_len(span).expect("a span can be measured");
    written(len, |s| thrift::encode_binary_span(span, s))
}

/// A span in TCompactProtocol.
pub fn compact_bytes<D: SpanData + ?Sized>(span: &D) -> Vec<u8> {
    let len = measure(|c| thrift::encode_compact_span(span, c)).expect("a span can be measured");
    written(len, |s| thrift::encode_compact_span(span, s))
}

/// Whatever a decoder accepted is written again in both protocols and decodes to the same span (and the same
/// bytes), and its JSON encodings are valid JSON of exactly the measured length.
pub fn reencodes<const N: usize>(span: &DecodedSpan<'_, N>) {
    // Compared in wire order (annotations, then binary annotations). `DecodedSpan` documents that order, but the
    // decoder appends each list field as it comes, so a span sending field 8 before field 6, or field 6 twice,
    // decodes with its events in another order (fuzz/regressions/span_decode/crash-92f1af66...). Once the
    // decoder keeps its promise, compare `Model::of(span)` itself.
    let model = Model::of(span).into_wire();
    let binary = binary_bytes(span);
    let (back, used) = decode::decode_binary_span::<N>(&binary).expect("our binary span decodes");
    assert_eq!(used, binary.len());
    assert_eq!(Model::of(&back), model, "binary round trip");
    assert_eq!(binary_bytes(&back), binary, "binary encoding is not stable");
    let compact = compact_bytes(span);
    let (back, used) = decode::decode_compact_span::<N>(&compact).expect("our compact span decodes");
    assert_eq!(used, compact.len());
    assert_eq!(Model::of(&back), model, "compact round trip");
    valid_json(span);
}

/// Zipkin v2 JSON (a `POST /api/v2/spans` body holding `v2_span_count` objects) and the debug JSON in both
/// layouts: exact lengths, and JSON that parses.
pub fn valid_json<D: SpanData + ?Sized>(span: &D) {
    assert_eq!(
        json::v2_span_len(span),
        measure(|c| json::encode_v2_span(span, c)),
        "v2_span_len disagrees with encode_v2_span"
    );
    let len = measure(|c| json::encode_v2_spans([span], c)).expect("v2 JSON can be measured");
    let body = written(len, |s| json::encode_v2_spans([span], s));
    match parses(&body, "v2") {
        serde_json::Value::Array(objects) => assert_eq!(objects.len(), json::v2_span_count(span), "v2 span count"),
        other => panic!("a v2 body is not an array: {other}"),
    }
    for layout in [Layout::Compact, Layout::Pretty] {
        let len = json::debug_span_len(span, layout).expect("debug JSON can be measured");
        let debug = written(len, |s| json::encode_debug_span(span, layout, s));
        assert!(parses(&debug, "debug").is_object(), "debug JSON is not an object");
    }
}

fn parses(text: &[u8], what: &str) -> serde_json::Value {
    match serde_json::from_slice(text) {
        Ok(value) => value,
        Err(e) => panic!("{what} JSON does not parse ({e}): {}", String::from_utf8_lossy(text)),
    }
}
