//! The span recorder: collects the events of spans in flight and hands each span on when it ends.
//!
//! Like the original tryfer's `EndAnnotationTracer`, a [`Recorder`] buffers a span's events until an end
//! annotation (`cr` or `ss` by default) arrives, then hands the whole span on to be reported. Unlike it, the
//! recorder is bounded (`SPANS` spans in flight, refused and counted beyond that), expires spans that never
//! end ([`Recorder::expire`]) and counts everything it drops ([`RecorderStats`]).
//!
//! Finished spans are returned by value from [`Recorder::record`]; spans handed on by [`Recorder::expire`] and
//! [`Recorder::flush_all`] go to a caller-given closure, one call per span. Either way the caller owns the span
//! and typically encodes it or queues it for its reporter.

use core::fmt;

use crate::annotation::{self, Annotation, Event};
use crate::context::SpanContext;
use crate::endpoint::Endpoint;
use crate::span::{Span, SpanData};

/// The annotations that end a span unless configured otherwise: client receive (`cr`) and server send (`ss`).
pub const DEFAULT_END_ANNOTATIONS: &[&str] = &[annotation::CLIENT_RECV, annotation::SERVER_SEND];

/// How long a span may go without a new event before [`Recorder::expire`] hands it on: 60 s, in µs.
pub const DEFAULT_IDLE_MICROS: u64 = 60_000_000;

/// Why [`Recorder::record`] did not record an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RecordError {
    /// All `SPANS` slots hold spans in flight, so a new span was refused (counted in
    /// [`RecorderStats::refused_full`]); its later events are refused too until a slot frees up.
    Full,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordError::Full => "recorder has no free slot for a new span",
        })
    }
}

impl core::error::Error for RecordError {}

/// What a [`Recorder`] did so far; a copy, readable at any time with [`Recorder::stats`].
///
/// Every span started leaves through exactly one door, so
/// `started == finished + expired + flushed + in_flight`. Counters saturate at `u64::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RecorderStats {
    /// Spans created for sampled contexts.
    pub started: u64,
    /// Spans handed on because an end annotation arrived.
    pub finished: u64,
    /// Spans handed on by [`Recorder::expire`] because they were idle too long.
    pub expired: u64,
    /// Spans handed on by [`Recorder::flush_all`].
    pub flushed: u64,
    /// New spans refused because every slot was taken ([`RecordError::Full`]); each refused event counts.
    pub refused_full: u64,
    /// Events (and cut span names) the spans had no room for: the sum of [`Span::dropped`] over all spans.
    pub annotations_dropped: u64,
    /// Events skipped at once because their context is not sampled (`X-B3-Sampled: 0`).
    pub unsampled_skipped: u64,
    /// Events skipped because their context was never decided ([`Sampling::Defer`](crate::Sampling::Defer)):
    /// the caller forgot [`sampler::decide_context`](crate::sampler::decide_context).
    pub deferred_skipped: u64,
    /// Spans in flight now.
    pub in_flight: usize,
}

/// A span in flight and when it last saw an event.
#[derive(Debug, Clone)]
struct Slot<const N: usize, const T: usize> {
    span: Span<N, T>,
    last_micros: u64,
}

impl<const N: usize, const T: usize> Slot<N, T> {
    fn holds(&self, ctx: &SpanContext) -> bool {
        let own = self.span.context();
        own.span_id == ctx.span_id && own.trace_id == ctx.trace_id
    }
}

/// A bounded set of spans in flight, keyed by (trace id, span id), each handed on when it ends.
///
/// Holds up to `SPANS` spans of type [`Span<N, T>`] in place: no allocation, `const fn new`, so it can live
/// in a `static` behind the adapter's mutex. Recording, expiring and flushing scan the slots, O(`SPANS`); an
/// event of an unsampled context returns before scanning, and reading the counters is O(1).
///
/// When a span is handed on, its `timestamp` is set to the time of its first timestamp annotation (in
/// recording order) and, for a span that ended with an end annotation, its `duration` to the end annotation's
/// time minus that start, at least 1 µs; values already set are kept. Zipkin's v1 convention leaves both
/// unset on the server half (`sr`/`ss`) of a span whose id the client created; the recorder cannot tell such a
/// joined span from a local root, so it sets them on every span.
///
/// ```
/// use tryfer_core::annotation::{CLIENT_RECV, CLIENT_SEND};
/// use tryfer_core::recorder::Recorder;
/// use tryfer_core::{Sampling, SpanContext, SpanData, SpanId, TraceId};
///
/// static RECORDER: std::sync::Mutex<Recorder<4, 8, 64>> = std::sync::Mutex::new(Recorder::new());
///
/// let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
/// let mut recorder = RECORDER.lock().unwrap();
/// assert!(recorder.annotate(&ctx, "GET", CLIENT_SEND, None, 1_000).unwrap().is_none());
/// let span = recorder.annotate(&ctx, "GET", CLIENT_RECV, None, 1_250).unwrap().unwrap();
/// assert_eq!(span.name(), "GET");
/// assert_eq!((span.timestamp(), span.duration()), (Some(1_000), Some(250)));
/// assert_eq!(span.annotations().map(|a| a.value).collect::<Vec<_>>(), ["cs", "cr"]);
/// assert_eq!(recorder.stats().finished, 1);
/// ```
#[derive(Debug, Clone)]
pub struct Recorder<const SPANS: usize, const N: usize = 8, const T: usize = 256> {
    slots: [Option<Slot<N, T>>; SPANS],
    end_annotations: &'static [&'static str],
    idle_micros: u64,
    stats: RecorderStats,
}

impl<const SPANS: usize, const N: usize, const T: usize> Default for Recorder<SPANS, N, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const SPANS: usize, const N: usize, const T: usize> Recorder<SPANS, N, T> {
    /// An empty recorder ending spans on [`DEFAULT_END_ANNOTATIONS`] and expiring after [`DEFAULT_IDLE_MICROS`].
    pub const fn new() -> Self {
        Recorder {
            slots: [const { None }; SPANS],
            end_annotations: DEFAULT_END_ANNOTATIONS,
            idle_micros: DEFAULT_IDLE_MICROS,
            stats: RecorderStats {
                started: 0,
                finished: 0,
                expired: 0,
                flushed: 0,
                refused_full: 0,
                annotations_dropped: 0,
                unsampled_skipped: 0,
                deferred_skipped: 0,
                in_flight: 0,
            },
        }
    }

    /// The same recorder ending spans on the timestamp annotations in `end` instead (e.g. add `mr` for
    /// messaging). An empty set means spans end only by [`Recorder::expire`] or [`Recorder::flush_all`].
    ///
    /// ```
    /// use tryfer_core::recorder::Recorder;
    /// static END: &[&str] = &["cr", "ss", "mr"];
    /// let recorder: Recorder<4> = Recorder::new().with_end_annotations(END);
    /// assert_eq!(recorder.end_annotations(), END);
    /// ```
    pub const fn with_end_annotations(mut self, end: &'static [&'static str]) -> Self {
        self.end_annotations = end;
        self
    }

    /// The same recorder expiring spans idle (no new event) for longer than `idle_micros`.
    pub const fn with_idle_timeout(mut self, idle_micros: u64) -> Self {
        self.idle_micros = idle_micros;
        self
    }

    /// The timestamp annotations that end a span.
    pub const fn end_annotations(&self) -> &'static [&'static str] {
        self.end_annotations
    }

    /// How long, in µs, a span may stay idle before [`Recorder::expire`] hands it on.
    pub const fn idle_timeout(&self) -> u64 {
        self.idle_micros
    }

    /// A copy of the counters.
    pub const fn stats(&self) -> RecorderStats {
        self.stats
    }

    /// How many spans are in flight.
    pub const fn in_flight(&self) -> usize {
        self.stats.in_flight
    }

    /// True when `event` is a timestamp annotation in the end set; its time if so.
    fn end_time(&self, event: &Event<'_>) -> Option<u64> {
        match event {
            Event::Time(a) if self.end_annotations.contains(&a.value) => Some(a.timestamp),
            _ => None,
        }
    }

    /// Records `event` on the span of `ctx` named `name`; returns the span when `event` ends it.
    ///
    /// - A context not sampled (`ctx.is_sampled() != Some(true)`) is skipped at once and counted: `Ok(None)`.
    /// - The span is found by (trace id, span id) or created; `name` is used only when it is created.
    /// - An event the span has no room for is dropped and counted (the span then carries a `tryfer.truncated`
    ///   tag); an end annotation still ends the span even when it could not be stored.
    /// - A new span with every slot taken is refused: `Err(RecordError::Full)`, counted. A span whose first
    ///   event is already its end needs no slot.
    ///
    /// `now_micros` is the time of the call, which [`Recorder::expire`] measures idleness from.
    pub fn record(
        &mut self,
        ctx: &SpanContext,
        name: &str,
        event: Event<'_>,
        now_micros: u64,
    ) -> Result<Option<Span<N, T>>, RecordError> {
        match ctx.is_sampled() {
            Some(true) => {}
            Some(false) => {
                bump(&mut self.stats.unsampled_skipped);
                return Ok(None);
            }
            None => {
                bump(&mut self.stats.deferred_skipped);
                return Ok(None);
            }
        }
        let end = self.end_time(&event);

        if let Some(entry) = self.slots.iter_mut().find(|e| e.as_ref().is_some_and(|s| s.holds(ctx))) {
            if let Some(slot) = entry.as_mut() {
                add_dropped(&mut self.stats, &mut slot.span, &event);
                slot.last_micros = now_micros;
            }
            let Some(end) = end else { return Ok(None) };
            let Some(slot) = entry.take() else { return Ok(None) };
            let mut span = slot.span;
            set_times(&mut span, Some(end));
            self.stats.in_flight = self.stats.in_flight.saturating_sub(1);
            bump(&mut self.stats.finished);
            return Ok(Some(span));
        }

        if let Some(end) = end {
            let mut span = self.start(ctx, name);
            add_dropped(&mut self.stats, &mut span, &event);
            set_times(&mut span, Some(end));
            bump(&mut self.stats.finished);
            return Ok(Some(span));
        }

        if self.slots.iter().all(Option::is_some) {
            bump(&mut self.stats.refused_full);
            return Err(RecordError::Full);
        }
        let mut span = self.start(ctx, name);
        add_dropped(&mut self.stats, &mut span, &event);
        if let Some(entry) = self.slots.iter_mut().find(|e| e.is_none()) {
            *entry = Some(Slot {
                span,
                last_micros: now_micros,
            });
            self.stats.in_flight = self.stats.in_flight.saturating_add(1);
        }
        Ok(None)
    }

    /// Marks the in-flight span of `ctx` as shared (the server half of a span the client created, joined from
    /// B3): it leaves without `timestamp`/`duration`, which belong to the client. False if no such span is held.
    pub fn mark_shared(&mut self, ctx: &SpanContext) -> bool {
        match self.slots.iter_mut().flatten().find(|s| s.holds(ctx)) {
            Some(slot) => {
                slot.span.set_shared(true);
                true
            }
            None => false,
        }
    }

    /// [`Recorder::record`] of the timestamp annotation `value` (`cs`, `sr`, ...) at `now_micros`.
    pub fn annotate(
        &mut self,
        ctx: &SpanContext,
        name: &str,
        value: &str,
        host: Option<&Endpoint<'_>>,
        now_micros: u64,
    ) -> Result<Option<Span<N, T>>, RecordError> {
        let event = Event::Time(Annotation {
            timestamp: now_micros,
            value,
            host: host.copied(),
        });
        self.record(ctx, name, event, now_micros)
    }

    /// A new span, counted as started (with its name cut, if any, counted as dropped).
    fn start(&mut self, ctx: &SpanContext, name: &str) -> Span<N, T> {
        let span = Span::new(*ctx, name);
        bump(&mut self.stats.started);
        self.stats.annotations_dropped = self.stats.annotations_dropped.saturating_add(u64::from(span.dropped()));
        span
    }

    /// Hands on every span idle for longer than the idle timeout at `now_micros`; returns how many.
    ///
    /// Each gets a `tryfer.expired` annotation ([`annotation::EXPIRED`]) at `now_micros` (dropped and counted
    /// like any event if the span is full) and a `timestamp`, but no `duration`: when it ended is unknown.
    /// Call it periodically, e.g. when [`Recorder::next_expiry`] comes.
    ///
    /// ```
    /// use tryfer_core::annotation::{CLIENT_SEND, EXPIRED};
    /// use tryfer_core::recorder::Recorder;
    /// use tryfer_core::{Sampling, SpanContext, SpanData, SpanId, TraceId};
    /// let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
    /// let mut recorder: Recorder<4> = Recorder::new().with_idle_timeout(1_000);
    /// recorder.annotate(&ctx, "GET", CLIENT_SEND, None, 5_000).unwrap();
    /// assert_eq!(recorder.expire(6_000, |_| panic!("not idle long enough")), 0);
    /// let mut out = Vec::new();
    /// assert_eq!(recorder.expire(6_001, |span| out.push(span)), 1);
    /// assert!(out[0].has_annotation(EXPIRED));
    /// assert_eq!((out[0].timestamp(), out[0].duration()), (Some(5_000), None));
    /// ```
    pub fn expire<F: FnMut(Span<N, T>)>(&mut self, now_micros: u64, mut handoff: F) -> usize {
        let mut count = 0;
        for entry in self.slots.iter_mut() {
            let idle = entry
                .as_ref()
                .is_some_and(|s| now_micros.saturating_sub(s.last_micros) > self.idle_micros);
            if !idle {
                continue;
            }
            if let Some(slot) = entry.take() {
                let span = mark_expired(&mut self.stats, slot.span, now_micros);
                bump(&mut self.stats.expired);
                count += 1;
                handoff(span);
            }
        }
        count
    }

    /// Hands on every span in flight, e.g. at shutdown, each marked like [`Recorder::expire`] does; returns how
    /// many.
    pub fn flush_all<F: FnMut(Span<N, T>)>(&mut self, now_micros: u64, mut handoff: F) -> usize {
        let mut count = 0;
        for entry in self.slots.iter_mut() {
            if let Some(slot) = entry.take() {
                let span = mark_expired(&mut self.stats, slot.span, now_micros);
                bump(&mut self.stats.flushed);
                count += 1;
                handoff(span);
            }
        }
        count
    }

    /// The earliest time (µs) at which [`Recorder::expire`] would hand on a span; `None` when none is in flight.
    pub fn next_expiry(&self) -> Option<u64> {
        self.slots
            .iter()
            .flatten()
            .map(|s| s.last_micros.saturating_add(self.idle_micros).saturating_add(1))
            .min()
    }
}

/// Adds one to a counter, stopping at the top.
fn bump(counter: &mut u64) {
    *counter = counter.saturating_add(1);
}

/// Pushes `event` onto `span`, counting a drop.
fn add_dropped<const N: usize, const T: usize>(stats: &mut RecorderStats, span: &mut Span<N, T>, event: &Event<'_>) {
    if span.push(event).is_err() {
        bump(&mut stats.annotations_dropped);
    }
}

/// Adds the expiry marker to a span leaving the recorder, sets its timestamp and updates the gauge.
fn mark_expired<const N: usize, const T: usize>(
    stats: &mut RecorderStats,
    mut span: Span<N, T>,
    now_micros: u64,
) -> Span<N, T> {
    let marker = Event::Time(Annotation {
        timestamp: now_micros,
        value: annotation::EXPIRED,
        host: None,
    });
    add_dropped(stats, &mut span, &marker);
    set_times(&mut span, None);
    stats.in_flight = stats.in_flight.saturating_sub(1);
    span
}

/// Sets `timestamp` (first timestamp annotation, else `end`) and, given an end, `duration` (at least 1 µs),
/// keeping values already set. A shared span (the server half of a client's span) gets neither: the client
/// owns them, as in Zipkin.
fn set_times<const N: usize, const T: usize>(span: &mut Span<N, T>, end: Option<u64>) {
    if span.shared() {
        return;
    }
    if span.timestamp().is_none() {
        let first = span.annotations().next().map(|a| a.timestamp);
        if let Some(start) = first.or(end) {
            span.set_timestamp(start);
        }
    }
    if let (None, Some(start), Some(end)) = (span.duration(), span.timestamp(), end) {
        span.set_duration(end.saturating_sub(start).max(1));
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::annotation::{BinaryAnnotation, Value, CLIENT_RECV, CLIENT_SEND, SERVER_RECV, SERVER_SEND};
    use crate::context::Sampling;
    use crate::id::{SpanId, TraceId};

    fn ctx(span: u64) -> SpanContext {
        SpanContext::root_of(
            TraceId::from_u64(7).unwrap(),
            SpanId::new(span).unwrap(),
            Sampling::Accept,
        )
    }

    fn check_invariant<const S: usize, const N: usize, const T: usize>(r: &Recorder<S, N, T>) {
        let s = r.stats();
        assert_eq!(s.started, s.finished + s.expired + s.flushed + s.in_flight as u64);
        assert_eq!(s.in_flight, r.slots.iter().flatten().count());
    }

    #[test]
    fn end_first_needs_no_slot() {
        let mut r: Recorder<1, 4, 32> = Recorder::new();
        r.annotate(&ctx(1), "a", CLIENT_SEND, None, 10).unwrap();
        let span = r.annotate(&ctx(2), "b", SERVER_SEND, None, 20).unwrap().unwrap();
        assert_eq!(span.id().get(), 2);
        assert_eq!((span.timestamp(), span.duration()), (Some(20), Some(1)));
        assert_eq!(r.in_flight(), 1);
        check_invariant(&r);
    }

    #[test]
    fn end_annotation_that_does_not_fit_still_ends_the_span() {
        let mut r: Recorder<2, 1, 32> = Recorder::new();
        r.annotate(&ctx(1), "a", SERVER_RECV, None, 100).unwrap();
        let span = r.annotate(&ctx(1), "a", SERVER_SEND, None, 400).unwrap().unwrap();
        assert!(!span.has_annotation(SERVER_SEND));
        assert_eq!(span.dropped(), 1);
        assert_eq!((span.timestamp(), span.duration()), (Some(100), Some(300)));
        assert_eq!(r.stats().annotations_dropped, 1);
        check_invariant(&r);
    }

    #[test]
    fn clock_skew_gives_the_minimum_duration() {
        let mut r: Recorder<2> = Recorder::new();
        r.annotate(&ctx(1), "a", CLIENT_SEND, None, 1_000).unwrap();
        let span = r.annotate(&ctx(1), "a", CLIENT_RECV, None, 900).unwrap().unwrap();
        assert_eq!((span.timestamp(), span.duration()), (Some(1_000), Some(1)));
    }

    #[test]
    fn tag_only_span_is_timed_from_its_end() {
        let mut r: Recorder<2> = Recorder::new();
        let tag = Event::Tag(BinaryAnnotation {
            key: "k",
            value: Value::I32(1),
            host: None,
        });
        r.record(&ctx(1), "a", tag, 50).unwrap();
        let span = r.annotate(&ctx(1), "a", CLIENT_RECV, None, 80).unwrap().unwrap();
        // The only timestamp annotation is the end itself.
        assert_eq!((span.timestamp(), span.duration()), (Some(80), Some(1)));
    }

    #[test]
    fn deferred_and_unsampled_are_counted_apart() {
        let mut r: Recorder<2> = Recorder::new();
        let deferred = SpanContext {
            sampling: Sampling::Defer,
            ..ctx(1)
        };
        let denied = SpanContext {
            sampling: Sampling::Deny,
            ..ctx(1)
        };
        assert!(r.annotate(&deferred, "a", CLIENT_SEND, None, 1).unwrap().is_none());
        assert!(r.annotate(&denied, "a", CLIENT_SEND, None, 1).unwrap().is_none());
        assert!(r.annotate(&denied, "a", CLIENT_RECV, None, 2).unwrap().is_none());
        let s = r.stats();
        assert_eq!((s.deferred_skipped, s.unsampled_skipped, s.started), (1, 2, 0));
    }

    #[test]
    fn next_expiry_follows_the_oldest_activity() {
        let mut r: Recorder<3> = Recorder::new().with_idle_timeout(100);
        assert_eq!(r.next_expiry(), None);
        r.annotate(&ctx(1), "a", CLIENT_SEND, None, 50).unwrap();
        r.annotate(&ctx(2), "b", CLIENT_SEND, None, 20).unwrap();
        assert_eq!(r.next_expiry(), Some(121));
        r.annotate(&ctx(2), "b", "work", None, 70).unwrap();
        assert_eq!(r.next_expiry(), Some(151));
        assert_eq!(r.expire(150, |_| {}), 0);
        assert_eq!(r.expire(151, |_| {}), 1);
        assert_eq!(r.next_expiry(), Some(171));
        check_invariant(&r);
    }

    #[test]
    fn clock_going_back_never_expires() {
        let mut r: Recorder<1> = Recorder::new().with_idle_timeout(0);
        r.annotate(&ctx(1), "a", CLIENT_SEND, None, 1_000).unwrap();
        assert_eq!(r.expire(10, |_| {}), 0);
        assert_eq!(r.expire(1_000, |_| {}), 0);
        assert_eq!(r.expire(1_001, |_| {}), 1);
    }
}
