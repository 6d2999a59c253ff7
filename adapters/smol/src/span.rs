//! A span in progress on the host: recorded straight into a fixed-capacity core [`Span`], reported on finish.

use tryfer_core::annotation::EXPIRED;
use tryfer_core::{Endpoint, Span, SpanContext, Value};

use crate::tracer::Tracer;

/// The span type of host adapters: up to 32 annotations and 1 KiB of text.
pub type HostSpan = Span<32, 1024>;

/// A span being recorded. Unsampled spans carry only their context and record nothing.
///
/// Dropping a span that was never finished still reports it, with a `tryfer.expired` marker, so a cancelled
/// request never leaks or loses its span silently.
#[derive(Debug)]
pub struct TracedSpan {
    context: SpanContext,
    span: Option<Box<HostSpan>>,
    tracer: Tracer,
}

impl TracedSpan {
    pub(crate) fn new(tracer: Tracer, context: SpanContext, name: &str) -> Self {
        let span = (context.is_sampled() == Some(true)).then(|| Box::new(Span::new(context, name)));
        TracedSpan { context, span, tracer }
    }

    /// The span's ids and sampling state, e.g. to inject into outgoing B3 headers.
    pub fn context(&self) -> &SpanContext {
        &self.context
    }

    /// True when this span records (its trace is sampled).
    pub fn is_recording(&self) -> bool {
        self.span.is_some()
    }

    /// The tracer this span reports to.
    pub fn tracer(&self) -> &Tracer {
        &self.tracer
    }

    /// A child context of this span (same trace, this span as parent), for an outgoing call.
    pub fn child_context(&self) -> SpanContext {
        self.tracer.child_context(&self.context)
    }

    /// Records a timestamp annotation now, at the local endpoint.
    pub fn annotate(&mut self, value: &str) {
        let now = self.tracer.now_micros();
        self.annotate_at(value, now);
    }

    /// Records a timestamp annotation at `timestamp` µs since the epoch, at the local endpoint.
    pub fn annotate_at(&mut self, value: &str, timestamp: u64) {
        if let Some(span) = self.span.as_mut() {
            let local = self.tracer.local_endpoint();
            // A full span counts the drop itself and tags the span as truncated.
            let _ = span.annotate(value, timestamp, Some(&local));
        }
    }

    /// Records a string tag (binary annotation) at the local endpoint.
    pub fn tag(&mut self, key: &str, value: &str) {
        self.tag_value(key, Value::String(value));
    }

    /// Records a binary annotation of any type at the local endpoint.
    pub fn tag_value(&mut self, key: &str, value: Value<'_>) {
        if let Some(span) = self.span.as_mut() {
            let local = self.tracer.local_endpoint();
            let _ = span.tag(key, value, Some(&local));
        }
    }

    /// Records the remote peer (`sa` for a server address on a client span, `ca` for a client on a server span).
    pub fn remote(&mut self, key: &str, remote: &Endpoint<'_>) {
        if let Some(span) = self.span.as_mut() {
            let _ = span.tag(key, Value::Bool(true), Some(remote));
        }
    }

    /// Marks this span as the server half of a span the client created (same span id, B3/Finagle style), so
    /// Zipkin leaves its timestamp and duration to the client's half.
    pub fn set_shared(&mut self, shared: bool) {
        if let Some(span) = self.span.as_mut() {
            span.set_shared(shared);
        }
    }

    /// Sets the span's own start (µs since the epoch), for a local span that has no `cs`/`sr` to date it.
    pub fn set_timestamp(&mut self, timestamp: u64) {
        if let Some(span) = self.span.as_mut() {
            span.set_timestamp(timestamp);
        }
    }

    /// Sets the span's own duration (µs), for a local span that has no `cs`..`cr` or `sr`..`ss` to time it.
    pub fn set_duration(&mut self, duration: u64) {
        if let Some(span) = self.span.as_mut() {
            span.set_duration(duration);
        }
    }

    /// Ends the span and hands it to the reporter (never blocks).
    pub fn finish(mut self) {
        if let Some(span) = self.span.take() {
            self.tracer.report(span);
        }
    }
}

impl Drop for TracedSpan {
    fn drop(&mut self) {
        if let Some(mut span) = self.span.take() {
            let now = self.tracer.now_micros();
            let _ = span.annotate(EXPIRED, now, None);
            self.tracer.report(span);
        }
    }
}
