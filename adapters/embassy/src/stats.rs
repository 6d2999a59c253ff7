//! Counters of what happened to spans: recorded, lost to overflow, sent, retried, rejected.
//!
//! They live behind the tracer's blocking mutex (no atomics, so `thumbv6m` works) and saturate at `u32::MAX`.

/// A snapshot of the tracer's counters, read with [`crate::Tracer::stats`] at any time.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Finished spans put in the queue.
    pub recorded: u32,
    /// Finished spans dropped because the queue was full (the application never waits).
    pub overflow: u32,
    /// Spans the collector acknowledged (`OK`, or HTTP 2xx).
    pub sent: u32,
    /// Calls answered `TRY_LATER` (or HTTP 429/503) and sent again after a pause.
    pub try_later: u32,
    /// Spans the collector refused for good (a Thrift exception, or HTTP 4xx): dropped.
    pub rejected: u32,
    /// Spans too large for the reporter's frame buffer: dropped.
    pub oversize: u32,
    /// Connection attempts to the collector that failed.
    pub connect_failures: u32,
    /// Connections lost while sending or waiting for a reply (the call is sent again).
    pub io_errors: u32,
    /// Replies that did not parse, or did not come in time (the connection is dropped, the call sent again).
    pub bad_replies: u32,
    /// Incoming B3 headers that were malformed (the request then starts a new trace).
    pub b3_errors: u32,
    /// Spans not recorded because their trace was not sampled.
    pub unsampled: u32,
}

/// Which counter to move; see the fields of [`Stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counter {
    Recorded,
    Overflow,
    Sent,
    TryLater,
    Rejected,
    Oversize,
    ConnectFailures,
    IoErrors,
    BadReplies,
    B3Errors,
    Unsampled,
}

impl Stats {
    /// Every counter at zero.
    pub const ZERO: Stats = Stats {
        recorded: 0,
        overflow: 0,
        sent: 0,
        try_later: 0,
        rejected: 0,
        oversize: 0,
        connect_failures: 0,
        io_errors: 0,
        bad_replies: 0,
        b3_errors: 0,
        unsampled: 0,
    };

    /// Adds `n` to one counter, saturating.
    pub(crate) fn add(&mut self, counter: Counter, n: u32) {
        let field = match counter {
            Counter::Recorded => &mut self.recorded,
            Counter::Overflow => &mut self.overflow,
            Counter::Sent => &mut self.sent,
            Counter::TryLater => &mut self.try_later,
            Counter::Rejected => &mut self.rejected,
            Counter::Oversize => &mut self.oversize,
            Counter::ConnectFailures => &mut self.connect_failures,
            Counter::IoErrors => &mut self.io_errors,
            Counter::BadReplies => &mut self.bad_replies,
            Counter::B3Errors => &mut self.b3_errors,
            Counter::Unsampled => &mut self.unsampled,
        };
        *field = field.saturating_add(n);
    }

    /// Spans lost on the device's side: overflow, rejected and oversize together.
    pub const fn lost(&self) -> u32 {
        self.overflow
            .saturating_add(self.rejected)
            .saturating_add(self.oversize)
    }
}
