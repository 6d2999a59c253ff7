//! The original tryfer's recorded spans (tests/data/tryfer-golden.json), rebuilt as our spans.

use std::net::Ipv4Addr;

use serde_json::Value as Json;
use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanId, TraceId, Value};

/// The golden file, parsed.
pub fn golden() -> Json {
    serde_json::from_str(include_str!("../../../tests/data/tryfer-golden.json")).unwrap()
}

/// Lower-hex text of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a lower-hex string.
pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The span type golden cases are rebuilt in (room for every case).
pub type GoldenSpan = Span<8, 512>;

/// Builds the span a golden case's `input` describes, in recording order.
pub fn span_of(input: &Json) -> GoldenSpan {
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
