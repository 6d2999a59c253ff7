//! The original tryfer's bytes, reproduced exactly (tests/data/tryfer-golden.json).
#![forbid(unsafe_code)]

use std::net::Ipv4Addr;

use serde_json::Value as Json;
use tryfer_core::{sink::Slice, thrift, Endpoint, Sampling, Span, SpanContext, SpanId, TraceId, Value};

fn golden() -> Json {
    serde_json::from_str(include_str!("../../tests/data/tryfer-golden.json")).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Builds the span a golden case describes.
pub fn span_of(input: &Json) -> Span<8, 512> {
    let ctx = SpanContext {
        trace_id: TraceId::parse(input["trace_id"].as_str().unwrap()).unwrap(),
        span_id: SpanId::parse(input["span_id"].as_str().unwrap()).unwrap(),
        parent_id: input["parent_span_id"].as_str().map(|p| SpanId::parse(p).unwrap()),
        sampling: Sampling::Accept,
        debug: false,
    };
    let mut span = Span::new(ctx, input["name"].as_str().unwrap());
    for a in input["annotations"].as_array().unwrap() {
        let key = a["name"].as_str().unwrap();
        let host = a.get("endpoint").map(|e| Endpoint {
            service_name: e["service_name"].as_str().unwrap(),
            ipv4: Some(e["ipv4"].as_str().unwrap().parse::<Ipv4Addr>().unwrap()),
            ipv6: None,
            port: Some(e["port"].as_u64().unwrap() as u16),
        });
        match a["type"].as_str().unwrap() {
            "timestamp" => span.annotate(key, a["value"].as_u64().unwrap(), host.as_ref()).unwrap(),
            "string" => span.tag_str(key, a["value"].as_str().unwrap(), host.as_ref()).unwrap(),
            "bytes" => span
                .tag(key, Value::Bytes(&unhex(a["value"].as_str().unwrap())), host.as_ref())
                .unwrap(),
            other => panic!("unknown type {other}"),
        }
    }
    span
}

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
