//! The bounded hand-off between the request path and a reporter task.
//!
//! Recording a span is a non-blocking `try_send`: when the queue holds `max_spans` spans or `max_bytes`
//! (estimated) bytes, the span is dropped and counted, and the request goes on undisturbed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tryfer_core::SpanData;

use crate::span::HostSpan;
use crate::stats::{DropReason, ReporterStats};

/// Bounds of a [`SpanQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Most spans waiting at once.
    pub max_spans: usize,
    /// Most estimated encoded bytes waiting at once.
    pub max_bytes: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits {
            max_spans: 10_000,
            max_bytes: 8 << 20,
        }
    }
}

/// A cheap upper estimate of a span's Thrift size: its text plus a fixed cost per annotation.
pub fn estimated_size(span: &HostSpan) -> usize {
    let mut size = 64 + span.name().len();
    for event in span.events() {
        size += 48
            + match event {
                tryfer_core::Event::Time(a) => a.value.len() + a.host.map_or(0, |h| h.service_name.len()),
                tryfer_core::Event::Tag(b) => {
                    b.key.len()
                        + b.host.map_or(0, |h| h.service_name.len())
                        + match b.value {
                            tryfer_core::Value::String(s) => s.len(),
                            tryfer_core::Value::Bytes(v) => v.len(),
                            _ => 8,
                        }
                }
            };
    }
    size
}

/// One queued span and the bytes it was charged.
#[derive(Debug)]
pub struct Queued {
    /// The finished span.
    pub span: Box<HostSpan>,
    /// Its estimated size, given back when it leaves the queue.
    pub bytes: usize,
}

/// The producer side: cloneable, never blocks.
#[derive(Debug, Clone)]
pub struct SpanQueue {
    tx: async_channel::Sender<Queued>,
    bytes: Arc<AtomicUsize>,
    max_bytes: usize,
    stats: Arc<ReporterStats>,
}

/// The consumer side, owned by a reporter task.
#[derive(Debug)]
pub struct SpanReceiver {
    rx: async_channel::Receiver<Queued>,
    bytes: Arc<AtomicUsize>,
    stats: Arc<ReporterStats>,
}

/// A bounded queue and its counters.
pub fn span_queue(limits: QueueLimits, stats: Arc<ReporterStats>) -> (SpanQueue, SpanReceiver) {
    let (tx, rx) = async_channel::bounded(limits.max_spans.max(1));
    let bytes = Arc::new(AtomicUsize::new(0));
    (
        SpanQueue {
            tx,
            bytes: bytes.clone(),
            max_bytes: limits.max_bytes,
            stats: stats.clone(),
        },
        SpanReceiver { rx, bytes, stats },
    )
}

impl SpanQueue {
    /// Enqueues a finished span, or drops and counts it when the queue is full or closed.
    pub fn push(&self, span: Box<HostSpan>) {
        self.stats.add_reported();
        let bytes = estimated_size(&span);
        let previous = self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if previous + bytes > self.max_bytes {
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
            self.stats.add_dropped(DropReason::QueueFull, 1);
            return;
        }
        self.stats.queued(1, bytes as i64);
        if let Err(e) = self.tx.try_send(Queued { span, bytes }) {
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
            self.stats.queued(-1, -(bytes as i64));
            let reason = if e.is_full() {
                DropReason::QueueFull
            } else {
                DropReason::Closed
            };
            self.stats.add_dropped(reason, 1);
        }
    }

    /// The counters this queue feeds.
    pub fn stats(&self) -> &Arc<ReporterStats> {
        &self.stats
    }

    /// Spans waiting right now.
    pub fn len(&self) -> usize {
        self.tx.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.tx.is_empty()
    }
}

/// How many times [`SpanReceiver::recv`] looks into an empty queue before it parks.
const RECV_SPINS: usize = 32;

/// The naps [`SpanReceiver::recv`] takes on an empty queue before it parks: a busy queue is emptied in batches
/// every few hundred µs, and only a queue that stays empty (~1.5 ms) makes the receiver park, so that producers
/// pushing at a steady rate do not pay a wake-up (a futex call and a thread switch) for every span.
const RECV_NAPS: [Duration; 5] = [
    Duration::from_micros(50),
    Duration::from_micros(100),
    Duration::from_micros(200),
    Duration::from_micros(400),
    Duration::from_micros(800),
];

impl SpanReceiver {
    /// Waits for the next span; `None` once every producer is gone (or the queue closed) and it is empty.
    ///
    /// A span pushed while the queue was briefly empty may wait up to a nap (at most 800 µs) before it is
    /// received; a span pushed into a queue idle for longer wakes the receiver at once.
    pub async fn recv(&self) -> Option<Queued> {
        // Busy producers refill the queue within microseconds: look again a few times (yielding to other tasks)
        // before napping, then nap a little longer each time before parking, so that a producer seldom pays for
        // waking this task. Nobody listens on the channel while this task naps: pushing costs no wake-up.
        for _ in 0..RECV_SPINS {
            if let Some(queued) = self.try_recv() {
                return Some(queued);
            }
            if self.rx.is_closed() {
                return self.park().await;
            }
            futures_lite::future::yield_now().await;
        }
        for nap in RECV_NAPS {
            if let Some(queued) = self.try_recv() {
                return Some(queued);
            }
            if self.rx.is_closed() {
                break;
            }
            smol::Timer::after(nap).await;
        }
        self.park().await
    }

    /// Waits on the channel itself: the next push wakes this task.
    async fn park(&self) -> Option<Queued> {
        let queued = self.rx.recv().await.ok()?;
        self.bytes.fetch_sub(queued.bytes, Ordering::Relaxed);
        Some(queued)
    }

    /// Takes a span if one is waiting.
    pub fn try_recv(&self) -> Option<Queued> {
        let queued = self.rx.try_recv().ok()?;
        self.bytes.fetch_sub(queued.bytes, Ordering::Relaxed);
        Some(queued)
    }

    /// Spans waiting in the queue right now (not counting those a reporter task already took).
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// True when no span waits in the queue.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// Marks spans as having left the reporter (sent or dropped), for the `queued_*` gauges.
    pub fn settle(&self, spans: usize, bytes: usize) {
        self.stats.queued(-(spans as i64), -(bytes as i64));
    }

    /// Stops accepting new spans; what is queued can still be received.
    pub fn close(&self) {
        self.rx.close();
    }

    /// The counters.
    pub fn stats(&self) -> &Arc<ReporterStats> {
        &self.stats
    }
}
