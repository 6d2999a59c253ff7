//! How long each record call took: the maximum, and a histogram (powers of two of nanoseconds) for quantiles.
//! Lock-free, so producer threads record into one without waiting on each other.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

const BUCKETS: usize = 48;

/// Durations of the record calls of one run.
pub struct RecordTimes {
    count: AtomicU64,
    max_ns: AtomicU64,
    /// `buckets[i]` counts calls that took less than `2^i` ns (and at least `2^(i-1)`).
    buckets: [AtomicU64; BUCKETS],
}

impl Default for RecordTimes {
    fn default() -> Self {
        RecordTimes {
            count: AtomicU64::new(0),
            max_ns: AtomicU64::new(0),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl RecordTimes {
    /// No calls yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `record` and notes how long it took.
    pub fn time<T>(&self, record: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = record();
        self.add(start.elapsed());
        out
    }

    /// Notes one call that took `took`.
    pub fn add(&self, took: Duration) {
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Relaxed);
        self.max_ns.fetch_max(ns, Relaxed);
        let bucket = (u64::BITS - ns.leading_zeros()) as usize;
        self.buckets[bucket.min(BUCKETS - 1)].fetch_add(1, Relaxed);
    }

    /// How many calls were timed.
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// The longest call.
    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.max_ns.load(Relaxed))
    }

    /// A duration that a fraction `q` of the calls stayed under (the upper edge of a power-of-two bucket).
    pub fn under(&self, q: f64) -> Duration {
        let total = self.count();
        let wanted = (total as f64 * q).ceil() as u64;
        let mut seen = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            seen += bucket.load(Relaxed);
            if seen >= wanted {
                return Duration::from_nanos(1u64 << i.min(63));
            }
        }
        self.max()
    }
}
