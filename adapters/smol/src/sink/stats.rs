//! The sink's counters, readable while it runs: what arrived, what was accepted, and what was refused and why.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Live counters of a [`super::ScribeSink`], shared with its connection tasks.
#[derive(Debug, Default)]
pub struct SinkStats {
    connections: AtomicU64,
    refused_connections: AtomicU64,
    idle_closed: AtomicU64,
    calls: AtomicU64,
    spans: AtomicU64,
    ignored_entries: AtomicU64,
    rejected_calls: AtomicU64,
    rejected_spans: AtomicU64,
    bad_frames: AtomicU64,
    oversized_frames: AtomicU64,
}

/// A copy of [`SinkStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkSnapshot {
    /// Connections accepted and served.
    pub connections: u64,
    /// Connections closed at once because the connection limit was reached.
    pub refused_connections: u64,
    /// Connections closed after sending nothing for the idle timeout.
    pub idle_closed: u64,
    /// `Log` calls whose spans were all taken (answered `OK`, or `ONEWAY`).
    pub calls: u64,
    /// Spans taken.
    pub spans: u64,
    /// Entries of another category than `zipkin`: acknowledged, not decoded.
    pub ignored_entries: u64,
    /// `Log` calls refused with an exception because a message was not a span (none of their spans kept).
    pub rejected_calls: u64,
    /// `zipkin` messages carried by rejected calls.
    pub rejected_spans: u64,
    /// Frames that were not a readable `Log` call (garbage, wrong method, too many entries, oversized).
    pub bad_frames: u64,
    /// Frames longer than the maximum: refused, then the connection was closed.
    pub oversized_frames: u64,
}

impl SinkStats {
    /// A zeroed set of counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Copies every counter.
    pub fn snapshot(&self) -> SinkSnapshot {
        SinkSnapshot {
            connections: self.connections.load(Relaxed),
            refused_connections: self.refused_connections.load(Relaxed),
            idle_closed: self.idle_closed.load(Relaxed),
            calls: self.calls.load(Relaxed),
            spans: self.spans.load(Relaxed),
            ignored_entries: self.ignored_entries.load(Relaxed),
            rejected_calls: self.rejected_calls.load(Relaxed),
            rejected_spans: self.rejected_spans.load(Relaxed),
            bad_frames: self.bad_frames.load(Relaxed),
            oversized_frames: self.oversized_frames.load(Relaxed),
        }
    }

    pub(crate) fn add_connection(&self) {
        self.connections.fetch_add(1, Relaxed);
    }

    pub(crate) fn add_refused_connection(&self) {
        self.refused_connections.fetch_add(1, Relaxed);
    }

    pub(crate) fn add_idle_closed(&self) {
        self.idle_closed.fetch_add(1, Relaxed);
    }

    pub(crate) fn add_call(&self, spans: u64, ignored: u64) {
        self.calls.fetch_add(1, Relaxed);
        self.spans.fetch_add(spans, Relaxed);
        self.ignored_entries.fetch_add(ignored, Relaxed);
    }

    pub(crate) fn add_rejected_call(&self, spans: u64) {
        self.rejected_calls.fetch_add(1, Relaxed);
        self.rejected_spans.fetch_add(spans, Relaxed);
    }

    pub(crate) fn add_bad_frame(&self, oversized: bool) {
        self.bad_frames.fetch_add(1, Relaxed);
        if oversized {
            self.oversized_frames.fetch_add(1, Relaxed);
        }
    }
}
