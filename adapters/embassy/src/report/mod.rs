//! Reporter tasks: each owns a TCP socket to a collector, takes finished spans from the tracer's queue in
//! batches, and delivers them at least once, with backoff.
//!
//! - [`scribe`]: framed Scribe `Log` calls (Zipkin's legacy collector, port 9410, or `tryfer-sink`).
//! - `http` (feature `reqwless`): `POST /api/v1/spans` with a Thrift span list (Zipkin's port 9411).
//!
//! Both hold spans in the queue until the epoch clock is set, encode them shifted to epoch time
//! ([`crate::clock::EpochSpan`]), and count every outcome in [`crate::Stats`].

#[cfg(feature = "reqwless")]
pub mod http;
pub mod scribe;

use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_time::{Duration, Instant, Timer};
use tryfer_core::sink::EncodeError;
use tryfer_core::Span;

use crate::clock::EpochSpan;
use crate::stats::Counter;
use crate::tracer::Tracer;

/// Exponential backoff between connection attempts and retries: doubles from `min` up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Backoff {
    /// The first pause.
    pub min: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl Backoff {
    /// 250 ms doubling up to 30 s.
    pub const DEFAULT: Backoff = Backoff {
        min: Duration::from_millis(250),
        max: Duration::from_secs(30),
    };

    /// The pause after `current`: twice as long, at most `max`.
    pub fn next(&self, current: Duration) -> Duration {
        let doubled = Duration::from_ticks(current.as_ticks().saturating_mul(2));
        if doubled > self.max {
            self.max
        } else if doubled < self.min {
            self.min
        } else {
            doubled
        }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Up to `B` spans taken from the queue for one call, plus one span held over for the next call when it did
/// not fit this one's buffer.
pub(crate) struct Batch<const N: usize, const T: usize, const B: usize> {
    spans: heapless::Vec<Span<N, T>, B>,
    carry: Option<Span<N, T>>,
}

impl<const N: usize, const T: usize, const B: usize> Batch<N, T, B> {
    pub(crate) const fn new() -> Self {
        Batch {
            spans: heapless::Vec::new(),
            carry: None,
        }
    }

    pub(crate) fn spans(&self) -> &[Span<N, T>] {
        &self.spans
    }

    pub(crate) fn clear(&mut self) {
        self.spans.clear();
    }

    /// Waits for at least one span, then gathers more for up to `linger`, keeping the encoded call within
    /// `limit` bytes as measured by `measure` (spans shifted by `epoch_at_boot`). A span too large on its own is
    /// dropped and counted as oversize. Returns the number of spans gathered (at least one).
    pub(crate) async fn fill<M: RawMutex, const Q: usize, F>(
        &mut self,
        tracer: &Tracer<M, Q, N, T>,
        epoch_at_boot: u64,
        linger: Duration,
        limit: usize,
        measure: F,
    ) -> usize
    where
        F: Fn(&mut dyn Iterator<Item = EpochSpan<&Span<N, T>>>) -> Result<usize, EncodeError>,
    {
        let fits = |spans: &[Span<N, T>], extra: Option<&Span<N, T>>| {
            let mut all = spans.iter().chain(extra).map(|s| EpochSpan::new(s, epoch_at_boot));
            matches!(measure(&mut all), Ok(len) if len <= limit)
        };
        self.spans.clear();
        while self.spans.is_empty() {
            let first = match self.carry.take() {
                Some(span) => span,
                None => tracer.queue().receive().await,
            };
            if fits(&[], Some(&first)) {
                let _ = self.spans.push(first);
            } else {
                tracer.count(Counter::Oversize, 1);
            }
        }
        let deadline = Instant::now() + linger;
        while !self.spans.is_full() {
            let next = match tracer.queue().try_receive() {
                Ok(span) => span,
                Err(_) => match select(tracer.queue().receive(), Timer::at(deadline)).await {
                    Either::First(span) => span,
                    Either::Second(()) => break,
                },
            };
            if fits(&self.spans, Some(&next)) {
                let _ = self.spans.push(next);
            } else {
                self.carry = Some(next);
                break;
            }
        }
        self.spans.len()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops() {
        let b = Backoff {
            min: Duration::from_millis(100),
            max: Duration::from_millis(350),
        };
        assert_eq!(b.next(Duration::from_millis(100)), Duration::from_millis(200));
        assert_eq!(b.next(Duration::from_millis(200)), Duration::from_millis(350));
        assert_eq!(b.next(Duration::from_millis(0)), Duration::from_millis(100));
    }
}
