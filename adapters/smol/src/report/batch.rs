//! The spans a reporter task holds between taking them from the queue and settling them (sent or dropped).
//!
//! Held spans stay in the `queued_spans` gauge until settled, so `reported == sent + dropped + queued` holds
//! while a call is in flight. Whatever a batch still holds when it is dropped (the task was cancelled, or gave
//! up at close) is counted as dropped for [`DropReason::Closed`]: no span leaves the accounting silently.

use std::sync::Arc;

use crate::queue::Queued;
use crate::span::HostSpan;
use crate::stats::{DropReason, ReporterStats};

/// A span taken from the queue that did not fit in the current call: it opens the next one.
#[derive(Debug)]
struct Carried {
    span: Box<HostSpan>,
    charged: usize,
    size: usize,
    index: u64,
}

/// Spans on their way into one call, plus at most one span waiting for the next call.
#[derive(Debug)]
pub(crate) struct Batch {
    /// Boxed as the queue hands them over: moving a span out of its box would copy it (a few KiB).
    #[allow(clippy::vec_box)]
    spans: Vec<Box<HostSpan>>,
    /// What each span adds to a call, in the order of `spans`.
    sizes: Vec<usize>,
    /// Queue bytes charged for `spans`, given back when they settle.
    charged: usize,
    /// Bytes `spans` add to a call (exact, as the transport measured them).
    size: usize,
    /// Index (in the order spans were taken from the queue) of the first span of `spans`.
    first: u64,
    carried: Option<Carried>,
    max_spans: usize,
    max_size: usize,
    stats: Arc<ReporterStats>,
}

/// What became of a span offered to a [`Batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offer {
    /// The span joined the call.
    Added,
    /// The call is full; the span waits for the next one.
    Carried,
}

impl Batch {
    /// An empty batch of at most `max_spans` spans adding at most `max_size` bytes to a call.
    pub(crate) fn new(stats: Arc<ReporterStats>, max_spans: usize, max_size: usize) -> Self {
        let max_spans = max_spans.max(1);
        Batch {
            spans: Vec::with_capacity(max_spans),
            sizes: Vec::with_capacity(max_spans),
            charged: 0,
            size: 0,
            first: 0,
            carried: None,
            max_spans,
            max_size,
            stats,
        }
    }

    /// Adds the span taken from the queue as number `index`, which adds `size` bytes to a call (at most the
    /// maximum: the caller drops bigger ones). Only call while [`Batch::is_full`] is false.
    pub(crate) fn offer(&mut self, queued: Queued, size: usize, index: u64) -> Offer {
        if !self.spans.is_empty() && self.size.saturating_add(size) > self.max_size {
            self.carried = Some(Carried {
                span: queued.span,
                charged: queued.bytes,
                size,
                index,
            });
            return Offer::Carried;
        }
        if self.spans.is_empty() {
            self.first = index;
        }
        self.spans.push(queued.span);
        self.sizes.push(size);
        self.charged += queued.bytes;
        self.size += size;
        Offer::Added
    }

    /// True when no more spans fit in this call (by count, or a span is already waiting for the next one).
    pub(crate) fn is_full(&self) -> bool {
        self.carried.is_some() || self.spans.len() >= self.max_spans
    }

    /// The spans of this call.
    pub(crate) fn spans(&self) -> &[Box<HostSpan>] {
        &self.spans
    }

    /// How many spans this call carries.
    /// What each held span adds to a call, in the order of [`Batch::spans`].
    pub(crate) fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when this call carries no span.
    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Bytes the spans of this call add to it.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// The index of the oldest span held (this call's or the carried one), or `None` when nothing is held.
    pub(crate) fn oldest(&self) -> Option<u64> {
        if !self.spans.is_empty() {
            Some(self.first)
        } else {
            self.carried.as_ref().map(|c| c.index)
        }
    }

    /// Counts this call's spans as sent in one message of `bytes` bytes, and starts the next call.
    pub(crate) fn settle_sent(&mut self, bytes: usize) {
        let spans = self.spans.len();
        self.release();
        self.stats.add_sent(spans as u64, bytes as u64);
        self.next_call();
    }

    /// Counts this call's spans as dropped for `reason`, and starts the next call.
    pub(crate) fn settle_dropped(&mut self, reason: DropReason) {
        let spans = self.spans.len();
        self.release();
        self.stats.add_dropped(reason, spans as u64);
        self.next_call();
    }

    /// Takes this call's spans out of the queue gauges.
    fn release(&mut self) {
        self.stats.queued(-(self.spans.len() as i64), -(self.charged as i64));
        self.spans.clear();
        self.sizes.clear();
        self.charged = 0;
        self.size = 0;
    }

    /// Moves the carried span, if any, into the (empty) call.
    fn next_call(&mut self) {
        if let Some(c) = self.carried.take() {
            self.first = c.index;
            self.spans.push(c.span);
            self.sizes.push(c.size);
            self.charged = c.charged;
            self.size = c.size;
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        while !self.spans.is_empty() {
            self.settle_dropped(DropReason::Closed);
        }
    }
}

/// Counts a span that was taken from the queue but is dropped before joining a call.
pub(crate) fn drop_taken(stats: &ReporterStats, queued: Queued, reason: DropReason) {
    stats.queued(-1, -(queued.bytes as i64));
    stats.add_dropped(reason, 1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{span_queue, QueueLimits};
    use tryfer_core::{Sampling, Span, SpanContext, SpanId, TraceId};

    fn span(id: u64) -> Box<HostSpan> {
        let ctx = SpanContext::root_of(
            TraceId::from_u64(1).unwrap(),
            SpanId::new(id).unwrap(),
            Sampling::Accept,
        );
        Box::new(Span::new(ctx, "op"))
    }

    #[test]
    fn accounting_holds_through_carry_settle_and_drop() {
        let stats = Arc::new(ReporterStats::new());
        let (queue, rx) = span_queue(QueueLimits::default(), stats.clone());
        for id in 1..=4 {
            queue.push(span(id));
        }
        let mut batch = Batch::new(stats.clone(), 10, 100);
        let mut index = 0;
        while !batch.is_full() {
            let Some(q) = rx.try_recv() else { break };
            assert_eq!(
                batch.offer(q, 40, index),
                if index < 2 { Offer::Added } else { Offer::Carried }
            );
            index += 1;
        }
        assert_eq!((batch.len(), batch.size(), batch.oldest()), (2, 80, Some(0)));
        assert_eq!(stats.snapshot().unaccounted(), 0);
        batch.settle_sent(90);
        assert_eq!((batch.len(), batch.oldest()), (1, Some(2)));
        let s = stats.snapshot();
        assert_eq!((s.sent, s.messages, s.message_bytes, s.queued_spans), (2, 1, 90, 2));
        batch.settle_dropped(DropReason::Rejected);
        assert_eq!(batch.oldest(), None);
        let q = rx.try_recv().unwrap();
        assert_eq!(batch.offer(q, 10, 3), Offer::Added);
        drop(batch);
        let s = stats.snapshot();
        assert_eq!(
            (s.dropped_rejected, s.dropped_closed, s.queued_spans, s.queued_bytes),
            (1, 1, 0, 0)
        );
        assert_eq!(s.unaccounted(), 0);
    }
}
