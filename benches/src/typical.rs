//! The typical client span every comparison starts from: `GET` from `frontend` to `backend`, 128-bit trace id
//! with a parent, sampled, `cs` and `cr`, `http.uri` and `http.status_code`, local and remote endpoints.

use std::net::Ipv4Addr;

use tryfer_core::annotation::{CLIENT_RECV, CLIENT_SEND};
use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanId, TraceId, Value};
use tryfer_smol::HostSpan;

/// High half of the trace id.
pub const TRACE_HIGH: u64 = 0x463a_c35c_9f64_13ad;
/// Low half of the trace id.
pub const TRACE_LOW: u64 = 0x4848_5a39_53bb_6124;
/// The span id.
pub const SPAN_ID: u64 = 0xa2fb_4a1d_1a96_d312;
/// The parent span id.
pub const PARENT_ID: u64 = 0x0020_0000_0000_0001;
/// The span name (the HTTP method).
pub const NAME: &str = "GET";
/// The local service.
pub const LOCAL_SERVICE: &str = "frontend";
/// The local address.
pub const LOCAL_IPV4: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
/// The local port.
pub const LOCAL_PORT: u16 = 58648;
/// The remote service.
pub const REMOTE_SERVICE: &str = "backend";
/// The remote address.
pub const REMOTE_IPV4: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 20);
/// The remote port.
pub const REMOTE_PORT: u16 = 8080;
/// `cs`, µs since the epoch.
pub const CS_MICROS: u64 = 1_700_000_000_000_000;
/// `cr`, µs since the epoch.
pub const CR_MICROS: u64 = CS_MICROS + 2_345;
/// The `http.uri` tag.
pub const HTTP_URI: &str = "http://backend:8080/api/v1/inventory?sku=1234";
/// The `http.status_code` tag (a string, as Zipkin keeps tags).
pub const HTTP_STATUS: &str = "200";

/// The span's context: 128-bit trace, parent, sampled.
pub fn context() -> SpanContext {
    SpanContext {
        trace_id: TraceId::new(TRACE_HIGH, TRACE_LOW).expect("non-zero constant"),
        span_id: SpanId::new(SPAN_ID).expect("non-zero constant"),
        parent_id: SpanId::new(PARENT_ID),
        sampling: Sampling::Accept,
        debug: false,
    }
}

/// The local endpoint.
pub fn local() -> Endpoint<'static> {
    Endpoint::v4(LOCAL_SERVICE, LOCAL_IPV4, LOCAL_PORT)
}

/// The remote endpoint.
pub fn remote() -> Endpoint<'static> {
    Endpoint::v4(REMOTE_SERVICE, REMOTE_IPV4, REMOTE_PORT)
}

/// The typical span as tryfer records it on a host (the span type of `tryfer-smol`): annotations at the local
/// endpoint, the remote endpoint as an `sa` binary annotation, as `TracedSpan::remote` records it.
pub fn span() -> HostSpan {
    let local = local();
    let mut span: HostSpan = Span::new(context(), NAME);
    let recorded = span
        .annotate(CLIENT_SEND, CS_MICROS, Some(&local))
        .and_then(|()| span.tag_str("http.uri", HTTP_URI, Some(&local)))
        .and_then(|()| span.tag_str("http.status_code", HTTP_STATUS, Some(&local)))
        .and_then(|()| span.tag("sa", Value::Bool(true), Some(&remote())))
        .and_then(|()| span.annotate(CLIENT_RECV, CR_MICROS, Some(&local)));
    recorded.expect("the typical span fits a host span");
    span
}
