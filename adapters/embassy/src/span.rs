//! [`TracedSpan`]: a span being recorded, that reports itself when finished or dropped.

use embassy_sync::blocking_mutex::raw::RawMutex;
use tryfer_core::annotation::{CLIENT_RECV, CLIENT_SEND, SERVER_RECV, SERVER_SEND};
use tryfer_core::{Span, SpanContext, Value};

use crate::clock::uptime_micros;
use crate::stats::Counter;
use crate::tracer::Tracer;

/// Which side of a call a span records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Kind {
    /// A server handling a request: `sr` at the start, `ss` at the end.
    Server,
    /// A client making a request: `cs` at the start, `cr` at the end.
    Client,
    /// Local work: no start or end annotation, only the span's start and duration.
    Local,
}

impl Kind {
    const fn start_annotation(self) -> Option<&'static str> {
        match self {
            Kind::Server => Some(SERVER_RECV),
            Kind::Client => Some(CLIENT_SEND),
            Kind::Local => None,
        }
    }

    const fn end_annotation(self) -> Option<&'static str> {
        match self {
            Kind::Server => Some(SERVER_SEND),
            Kind::Client => Some(CLIENT_RECV),
            Kind::Local => None,
        }
    }
}

/// A span in flight. Its context propagates (B3) whether or not it is sampled; only a sampled one records.
///
/// [`TracedSpan::finish`] records the end annotation (`ss`/`cr`) and hands the span to the tracer's queue;
/// dropping an unfinished span does the same, so an early return or an error path never leaks or loses it.
pub struct TracedSpan<'t, M: RawMutex, const Q: usize, const N: usize, const T: usize> {
    tracer: &'t Tracer<M, Q, N, T>,
    context: SpanContext,
    span: Option<Span<N, T>>,
    kind: Kind,
    start: u64,
    owns_timing: bool,
}

impl<'t, M: RawMutex, const Q: usize, const N: usize, const T: usize> TracedSpan<'t, M, Q, N, T> {
    pub(crate) fn start(
        tracer: &'t Tracer<M, Q, N, T>,
        context: SpanContext,
        name: &str,
        kind: Kind,
        owns_timing: bool,
    ) -> Self {
        let start = uptime_micros();
        let span = if context.is_sampled() == Some(true) {
            let mut span = Span::new(context, name);
            if let Some(value) = kind.start_annotation() {
                let _ = span.annotate(value, start, Some(&tracer.local_endpoint()));
            }
            Some(span)
        } else {
            tracer.count(Counter::Unsampled, 1);
            None
        };
        TracedSpan {
            tracer,
            context,
            span,
            kind,
            start,
            owns_timing,
        }
    }

    /// The span's context: pass it to children and inject it into outgoing B3 headers.
    pub fn context(&self) -> &SpanContext {
        &self.context
    }

    /// Which side of a call this span records.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// True when the trace is sampled and this span will be reported.
    pub fn is_recorded(&self) -> bool {
        self.span.is_some()
    }

    /// Records an event named `value` now. Ignored when unsampled; a full span counts the drop itself.
    pub fn annotate(&mut self, value: &str) {
        let host = self.tracer.local_endpoint();
        if let Some(span) = &mut self.span {
            let _ = span.annotate(value, uptime_micros(), Some(&host));
        }
    }

    /// Records a string tag (kept by Zipkin), e.g. `http.path`.
    pub fn tag(&mut self, key: &str, value: &str) {
        if let Some(span) = &mut self.span {
            let _ = span.tag_str(key, value, None);
        }
    }

    /// Records a binary annotation of any type.
    pub fn tag_value(&mut self, key: &str, value: Value<'_>) {
        if let Some(span) = &mut self.span {
            let _ = span.tag(key, value, None);
        }
    }

    /// The recorded span, for anything the methods above do not cover; `None` when unsampled.
    pub fn span_mut(&mut self) -> Option<&mut Span<N, T>> {
        self.span.as_mut()
    }

    /// Tags `http.status_code` with an HTTP status.
    pub fn set_status(&mut self, status: u16) {
        let digits = itoa_u16(status);
        if let Some(span) = &mut self.span {
            let _ = span.tag_str("http.status_code", digits.as_str(), None);
        }
    }

    /// Records the end annotation now and queues the span (never waits; a full queue counts an overflow).
    pub fn finish(mut self) {
        self.end();
    }

    fn end(&mut self) {
        let Some(mut span) = self.span.take() else { return };
        let now = uptime_micros();
        if let Some(value) = self.kind.end_annotation() {
            let _ = span.annotate(value, now, Some(&self.tracer.local_endpoint()));
        }
        if self.owns_timing {
            span.set_timestamp(self.start);
            span.set_duration(now.saturating_sub(self.start).max(1));
        }
        let _ = self.tracer.record(span);
    }
}

impl<M: RawMutex, const Q: usize, const N: usize, const T: usize> Drop for TracedSpan<'_, M, Q, N, T> {
    fn drop(&mut self) {
        self.end();
    }
}

/// Decimal digits of a `u16` on the stack.
fn itoa_u16(value: u16) -> heapless::String<5> {
    let mut out = heapless::String::new();
    let mut buf = [0u8; 5];
    let mut n = value;
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    for &b in buf.get(i..).unwrap_or(&[]) {
        let _ = out.push(char::from(b));
    }
    out
}

#[cfg(test)]
mod test {
    #[test]
    fn status_digits() {
        assert_eq!(super::itoa_u16(0).as_str(), "0");
        assert_eq!(super::itoa_u16(202).as_str(), "202");
        assert_eq!(super::itoa_u16(65535).as_str(), "65535");
    }
}
