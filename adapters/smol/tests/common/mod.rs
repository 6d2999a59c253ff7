//! Shared by the reporter tests (and the soak test): fake collectors, span builders, bounded waits.
#![allow(dead_code)]

pub mod collector;
#[cfg(feature = "surf")]
pub mod zipkin_http;

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_lite::future;
use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanId, TraceId};
use tryfer_smol::HostSpan;

/// Runs `fut`, failing the test when it takes longer than `limit`.
pub async fn within<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    future::or(fut, async {
        smol::Timer::after(limit).await;
        panic!("timed out after {limit:?} waiting for {what}");
    })
    .await
}

/// Polls `condition` every few milliseconds, failing the test when it is still false after `limit`. For
/// conditions only counters can tell (no event to wait on).
pub async fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        smol::Timer::after(Duration::from_millis(5)).await;
    }
}

/// A free loopback port with nothing listening on it (a collector that is down), which a test may bind later.
pub fn vacant_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address")
}

/// A finished client span with id `id` in trace 1: `cs`, `cr` and a string tag, at a local endpoint.
pub fn span(id: u64) -> Box<HostSpan> {
    let ctx = SpanContext::root_of(
        TraceId::from_u64(1).unwrap(),
        SpanId::new(id).unwrap(),
        Sampling::Accept,
    );
    let mut span: HostSpan = Span::new(ctx, "get");
    let host = Endpoint::v4("frontend", std::net::Ipv4Addr::new(192, 168, 1, 10), 58648);
    span.annotate("cs", 1_700_000_000_000_000 + id, Some(&host)).unwrap();
    span.tag_str("http.uri", "http://localhost:8080/README.rst", Some(&host))
        .unwrap();
    span.annotate("cr", 1_700_000_000_001_000 + id, Some(&host)).unwrap();
    Box::new(span)
}

/// A span carrying a `len`-byte string tag.
pub fn big_span(id: u64, len: usize) -> Box<HostSpan> {
    let mut span = span(id);
    let text = "x".repeat(len);
    span.tag_str("blob", &text, None).unwrap();
    span
}

/// Span ids `from..from + n`, as reported.
pub fn ids(from: u64, n: u64) -> Vec<u64> {
    (from..from + n).collect()
}

/// Sorted copy.
pub fn sorted(mut ids: Vec<u64>) -> Vec<u64> {
    ids.sort_unstable();
    ids
}
