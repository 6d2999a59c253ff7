//! Flash-size probes. Each `flash-*` binary calls one more of these paths than the one before, on inputs the
//! optimizer cannot see (`black_box`), so the size differences show what each path of tryfer-core costs:
//! `flash-base` (the cortex-m-rt runtime alone), `flash-ids`, `flash-b3`, `flash-span`, `flash` (everything,
//! with the Scribe frame).

#![no_std]

use core::hint::black_box;

use rand_core::{impls, RngCore};
use tryfer_core::b3::{self, Extracted, Format};
use tryfer_core::scribe::{self, LogOptions};
use tryfer_core::sink::Slice;
use tryfer_core::{annotation, thrift, Endpoint, Sampling, Span, SpanContext, SpanId, TraceId};

/// The span a small device keeps: 8 annotations, 256 bytes of text.
pub type DeviceSpan = Span<8, 256>;

/// A stand-in for the device's hardware RNG.
pub struct Rng(u32);

impl RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        // xorshift32: not for real ids, just something the optimizer cannot fold.
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
    fn next_u64(&mut self) -> u64 {
        impls::next_u64_via_u32(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        impls::fill_bytes_via_next(self, dest)
    }
}

/// Ids: parse incoming hex, generate new ids, print them as hex.
pub fn ids() -> Option<SpanContext> {
    let trace = TraceId::parse_bytes(black_box(b"80f198ee56343ba864fe8b2a57d3eff7")).ok()?;
    let parent = SpanId::parse_bytes(black_box(b"e457b5a2e4d86bd1")).ok()?;
    black_box(trace.to_hex());
    black_box(parent.to_hex());
    let mut rng = Rng(black_box(0x2545_f491));
    let root = SpanContext::new_root(&mut rng, Sampling::Accept);
    black_box(root.trace_id.to_hex());
    let child = SpanContext::root_of(trace, parent, Sampling::Accept).child(&mut rng);
    black_box(child.span_id.to_hex());
    Some(child)
}

/// B3: read a context from request headers, write one into outgoing headers (both forms).
pub fn b3(ctx: SpanContext) -> Option<SpanContext> {
    let single = [(
        b3::B3,
        black_box("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90"),
    )];
    let multi = [
        (b3::TRACE_ID, black_box("463ac35c9f6413ad48485a3953bb6124")),
        (b3::SPAN_ID, black_box("a2fb4a1d1a96d312")),
        (b3::SAMPLED, black_box("1")),
    ];
    let parent = match b3::extract(black_box(&single[..])) {
        Ok(Extracted::Context(c)) => c,
        _ => b3::extract(black_box(&multi[..])).ok()?.context()?,
    };
    let mut sink = |name: &'static str, value: &str| {
        black_box((name, value));
    };
    b3::inject(&ctx, black_box(Format::Multi), &mut sink);
    b3::inject(&ctx, black_box(Format::Single), &mut sink);
    b3::inject_sampling(Sampling::Deny, false, &mut sink);
    Some(parent)
}

/// Span encode: record a client span and write it as a TBinaryProtocol `Span`.
pub fn span(ctx: SpanContext, out: &mut [u8]) -> Option<usize> {
    let span = record(ctx)?;
    let mut sink = Slice::new(out);
    thrift::encode_binary_span(&span, &mut sink).ok()?;
    Some(black_box(sink.len()))
}

/// Scribe: a framed `Log` call carrying a batch of recorded spans, as a reporter sends it.
pub fn scribe_frame(ctx: SpanContext, out: &mut [u8]) -> Option<usize> {
    let spans = [record(ctx)?, record(ctx.child_with_id(SpanId::new(black_box(7))?))?];
    let mut sink = Slice::new(out);
    scribe::write_log_call(spans.iter(), black_box(1), &LogOptions::new(), &mut sink).ok()?;
    Some(black_box(sink.len()))
}

/// A client span as a device records it.
fn record(ctx: SpanContext) -> Option<DeviceSpan> {
    let host = Endpoint::v4(
        black_box("sensor-7"),
        black_box([192, 168, 1, 10]).into(),
        black_box(9410),
    );
    let mut span = DeviceSpan::new(ctx, black_box("GET"));
    span.annotate(annotation::CLIENT_SEND, black_box(1_700_000_000_000_001), Some(&host))
        .ok()?;
    span.tag_str("http.uri", black_box("/metrics"), None).ok()?;
    span.annotate(annotation::CLIENT_RECV, black_box(1_700_000_000_000_123), Some(&host))
        .ok()?;
    Some(span)
}
