//! Reporter counters, readable at any time: every span is reported, then sent or dropped for a named reason.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Why a span was dropped instead of sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The queue was full (by span count or bytes) when the span was recorded.
    QueueFull,
    /// The collector refused the batch with a Thrift exception (it could not decode it; resending won't help).
    Rejected,
    /// The span could not be encoded (larger than a frame may be).
    Encode,
    /// The reporter was closed, or gave up retrying before the span could be sent.
    Closed,
}

/// Live counters shared by a queue and its reporter task (like zipkin-reporter's `ReporterMetrics`).
#[derive(Debug, Default)]
pub struct ReporterStats {
    reported: AtomicU64,
    sent: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_rejected: AtomicU64,
    dropped_encode: AtomicU64,
    dropped_closed: AtomicU64,
    messages: AtomicU64,
    message_bytes: AtomicU64,
    try_later: AtomicU64,
    failed_calls: AtomicU64,
    reconnects: AtomicU64,
    queued_spans: AtomicU64,
    queued_bytes: AtomicU64,
}

/// A consistent-enough copy of [`ReporterStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Spans handed to the reporter.
    pub reported: u64,
    /// Spans the collector acknowledged.
    pub sent: u64,
    /// Spans dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Spans dropped because the collector rejected their batch.
    pub dropped_rejected: u64,
    /// Spans dropped because they could not be encoded.
    pub dropped_encode: u64,
    /// Spans dropped at close or after giving up.
    pub dropped_closed: u64,
    /// Calls (Scribe `Log` frames or HTTP posts) the collector acknowledged.
    pub messages: u64,
    /// Bytes of acknowledged calls.
    pub message_bytes: u64,
    /// `TRY_LATER` answers received.
    pub try_later: u64,
    /// Calls that failed (connection error, garbage reply, HTTP error) and were retried.
    pub failed_calls: u64,
    /// Connections (re)opened to the collector.
    pub reconnects: u64,
    /// Spans waiting in the queue or in the batch being sent.
    pub queued_spans: u64,
    /// Estimated bytes waiting in the queue.
    pub queued_bytes: u64,
}

impl StatsSnapshot {
    /// All spans dropped, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full + self.dropped_rejected + self.dropped_encode + self.dropped_closed
    }

    /// Spans neither sent, dropped nor still queued: zero unless something is lost silently.
    pub fn unaccounted(&self) -> i128 {
        i128::from(self.reported) - i128::from(self.sent) - i128::from(self.dropped()) - i128::from(self.queued_spans)
    }
}

impl ReporterStats {
    /// A zeroed set of counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Copies every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            reported: self.reported.load(Relaxed),
            sent: self.sent.load(Relaxed),
            dropped_queue_full: self.dropped_queue_full.load(Relaxed),
            dropped_rejected: self.dropped_rejected.load(Relaxed),
            dropped_encode: self.dropped_encode.load(Relaxed),
            dropped_closed: self.dropped_closed.load(Relaxed),
            messages: self.messages.load(Relaxed),
            message_bytes: self.message_bytes.load(Relaxed),
            try_later: self.try_later.load(Relaxed),
            failed_calls: self.failed_calls.load(Relaxed),
            reconnects: self.reconnects.load(Relaxed),
            queued_spans: self.queued_spans.load(Relaxed),
            queued_bytes: self.queued_bytes.load(Relaxed),
        }
    }

    pub(crate) fn add_reported(&self) {
        self.reported.fetch_add(1, Relaxed);
    }

    /// Counts `n` spans dropped for `reason`.
    pub fn add_dropped(&self, reason: DropReason, n: u64) {
        let counter = match reason {
            DropReason::QueueFull => &self.dropped_queue_full,
            DropReason::Rejected => &self.dropped_rejected,
            DropReason::Encode => &self.dropped_encode,
            DropReason::Closed => &self.dropped_closed,
        };
        counter.fetch_add(n, Relaxed);
    }

    /// Counts one acknowledged call carrying `spans` spans in `bytes` bytes.
    pub fn add_sent(&self, spans: u64, bytes: u64) {
        self.sent.fetch_add(spans, Relaxed);
        self.messages.fetch_add(1, Relaxed);
        self.message_bytes.fetch_add(bytes, Relaxed);
    }

    /// Counts a `TRY_LATER` answer.
    pub fn add_try_later(&self) {
        self.try_later.fetch_add(1, Relaxed);
    }

    /// Counts a failed call that will be retried.
    pub fn add_failed_call(&self) {
        self.failed_calls.fetch_add(1, Relaxed);
    }

    /// Counts a connection opened.
    pub fn add_reconnect(&self) {
        self.reconnects.fetch_add(1, Relaxed);
    }

    pub(crate) fn queued(&self, spans: i64, bytes: i64) {
        add_signed(&self.queued_spans, spans);
        add_signed(&self.queued_bytes, bytes);
    }
}

fn add_signed(counter: &AtomicU64, delta: i64) {
    if delta >= 0 {
        counter.fetch_add(delta.unsigned_abs(), Relaxed);
    } else {
        counter.fetch_sub(delta.unsigned_abs(), Relaxed);
    }
}
