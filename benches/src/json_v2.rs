//! Comparison 5: the typical span as Zipkin v2 JSON, tryfer-core against `serde_json` on `zipkin-types`.
//!
//! tryfer converts the recorded v1 span (annotations and binary annotations) the way Zipkin's V1SpanConverter
//! does and writes the JSON into a reused buffer; the peer serializes an already-built `zipkin_types::Span` (v2
//! model: kind, timestamp, duration, endpoints, tags) with `serde_json::to_writer` into a reused `Vec<u8>`.
//! Both give the same JSON value.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;
use tryfer_core::json::encode_v2_span;
use tryfer_core::sink::Slice;
use tryfer_smol::HostSpan;
use zipkin_types::{Endpoint, Kind, Span, SpanId, TraceId};

use crate::{typical, Pair};

/// The typical span as the peer holds it.
pub fn zipkin_span() -> Span {
    let trace = (u128::from(typical::TRACE_HIGH) << 64) | u128::from(typical::TRACE_LOW);
    Span::builder()
        .trace_id(TraceId::from(trace.to_be_bytes()))
        .id(SpanId::from(typical::SPAN_ID.to_be_bytes()))
        .parent_id(SpanId::from(typical::PARENT_ID.to_be_bytes()))
        .kind(Kind::Client)
        .name(typical::NAME)
        .timestamp(UNIX_EPOCH + Duration::from_micros(typical::CS_MICROS))
        .duration(Duration::from_micros(typical::CR_MICROS - typical::CS_MICROS))
        .local_endpoint(
            Endpoint::builder()
                .service_name(typical::LOCAL_SERVICE)
                .ipv4(typical::LOCAL_IPV4)
                .port(typical::LOCAL_PORT)
                .build(),
        )
        .remote_endpoint(
            Endpoint::builder()
                .service_name(typical::REMOTE_SERVICE)
                .ipv4(typical::REMOTE_IPV4)
                .port(typical::REMOTE_PORT)
                .build(),
        )
        .tag("http.uri", typical::HTTP_URI)
        .tag("http.status_code", typical::HTTP_STATUS)
        .build()
}

/// One v2 span to JSON on each side.
pub struct JsonV2 {
    span: HostSpan,
    buf: Vec<u8>,
    zipkin: Span,
    out: Vec<u8>,
}

impl JsonV2 {
    /// The typical span on both sides.
    pub fn new() -> Self {
        JsonV2 {
            span: typical::span(),
            buf: vec![0; 4096],
            zipkin: zipkin_span(),
            out: Vec::with_capacity(4096),
        }
    }
}

impl Default for JsonV2 {
    fn default() -> Self {
        Self::new()
    }
}

impl Pair for JsonV2 {
    fn name(&self) -> &'static str {
        "zipkin_v2_json"
    }

    fn peer_name(&self) -> &'static str {
        "serde_json 1 on zipkin-types 1.1"
    }

    #[inline]
    fn ours(&mut self) -> usize {
        let mut out = Slice::new(&mut self.buf);
        match encode_v2_span(black_box(&self.span), &mut out) {
            Ok(()) => out.len(),
            Err(_) => 0,
        }
    }

    #[inline]
    fn peer(&mut self) -> usize {
        self.out.clear();
        match serde_json::to_writer(&mut self.out, black_box(&self.zipkin)) {
            Ok(()) => self.out.len(),
            Err(_) => 0,
        }
    }

    fn check(&mut self) -> Result<(), String> {
        let len = self.ours();
        self.peer();
        let ours: Value = serde_json::from_slice(&self.buf[..len]).map_err(|e| format!("tryfer's JSON: {e}"))?;
        let theirs: Value = serde_json::from_slice(&self.out).map_err(|e| format!("serde_json's JSON: {e}"))?;
        // zipkin-types lower-cases span names as it builds them (Zipkin stores them so); tryfer writes them as
        // recorded.
        let lower = |mut v: Value| {
            if let Some(name) = v.get_mut("name") {
                *name = Value::from(name.as_str().unwrap_or_default().to_lowercase());
            }
            v
        };
        if lower(ours.clone()) != lower(theirs.clone()) {
            return Err(format!("tryfer wrote {ours}, serde_json {theirs}"));
        }
        Ok(())
    }
}
