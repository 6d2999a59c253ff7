//! The request-path side of a batching reporter: hand spans on without blocking, read the counters, flush,
//! close. The Scribe and HTTP reporters wrap one [`ReporterHandle`] each.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::future;
use smol::Timer;

use super::batch::drop_taken;
use super::delivery::{abort_signal, AbortSwitch, Control, Delivery, DeliveryOptions, Transport};
use super::Report;
use crate::queue::{span_queue, SpanQueue, SpanReceiver};
use crate::span::HostSpan;
use crate::stats::{DropReason, ReporterStats, StatsSnapshot};

/// How long `close` waits for the task to let go of its spans after the timeout, before settling the queue itself.
const ABORT_GRACE: Duration = Duration::from_secs(1);

/// How a [`ReporterHandle::flush`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushOutcome {
    /// Every span reported before the flush was sent or dropped (see the counters for which).
    Flushed,
    /// The timeout passed first (the collector is down or slow); the spans stay queued.
    TimedOut,
    /// The reporter task is not running (closed, never spawned, or cancelled).
    Stopped,
}

/// What [`ReporterHandle::close`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseReport {
    /// The counters after closing (later reports only add to `reported` and `dropped_closed`).
    pub stats: StatsSnapshot,
    /// Spans lost to the close: queued or in flight when the timeout passed, or reported while closing.
    pub lost: u64,
    /// True when the task sent or dropped everything before the timeout (then `lost` counts only spans
    /// reported while closing).
    pub drained: bool,
}

impl CloseReport {
    /// Spans the collector acknowledged over the reporter's life.
    pub fn sent(&self) -> u64 {
        self.stats.sent
    }

    /// Spans dropped over the reporter's life, for any reason (`lost` included).
    pub fn dropped(&self) -> u64 {
        self.stats.dropped()
    }
}

/// A reporter's background task, for the caller to spawn on its executor (e.g. `smol::spawn(task).detach()`).
///
/// It ends once the reporter is closed (or dropped) and its queue is drained. Dropping it unspawned, or
/// cancelling it, counts the spans it held as dropped for [`DropReason::Closed`].
pub struct ReporterTask(Pin<Box<dyn Future<Output = ()> + Send + 'static>>);

impl fmt::Debug for ReporterTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReporterTask")
    }
}

impl Future for ReporterTask {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

/// Takes spans on the request path (never blocks) and controls the task that sends them.
pub struct ReporterHandle {
    queue: SpanQueue,
    rx: Arc<SpanReceiver>,
    control: async_channel::Sender<Control>,
    abort: AbortSwitch,
    done: async_channel::Receiver<()>,
}

impl fmt::Debug for ReporterHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReporterHandle")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// A handle and its task sending through `transport`, counting into `stats`.
pub(crate) fn start<T: Transport>(
    transport: T,
    stats: Arc<ReporterStats>,
    options: &DeliveryOptions,
) -> (ReporterHandle, ReporterTask) {
    let (queue, rx) = span_queue(options.queue, stats);
    let rx = Arc::new(rx);
    let (control, control_rx) = async_channel::unbounded();
    let (abort, abort_rx) = abort_signal();
    let (done_tx, done) = async_channel::bounded(1);
    let delivery = Delivery::new(transport, rx.clone(), control_rx, abort_rx, done_tx, options);
    let handle = ReporterHandle {
        queue,
        rx,
        control,
        abort,
        done,
    };
    (handle, ReporterTask(Box::pin(delivery.run())))
}

impl ReporterHandle {
    /// Enqueues a finished span, or drops and counts it when the queue is full or the reporter closed.
    pub fn report(&self, span: Box<HostSpan>) {
        self.queue.push(span);
    }

    /// The counters right now.
    pub fn stats(&self) -> StatsSnapshot {
        self.queue.stats().snapshot()
    }

    /// The live counters, to read from elsewhere (e.g. a metrics exporter).
    pub fn counters(&self) -> Arc<ReporterStats> {
        self.queue.stats().clone()
    }

    /// Waits until every span reported before this call is sent or dropped, at most `timeout`.
    ///
    /// A batch still lingering for more spans is sent at once.
    pub async fn flush(&self, timeout: Duration) -> FlushOutcome {
        let (reply, answer) = async_channel::bounded(1);
        if self.control.try_send(Control::Flush(reply)).is_err() {
            return FlushOutcome::Stopped;
        }
        let answered = async {
            match answer.recv().await {
                Ok(()) => FlushOutcome::Flushed,
                Err(_) => FlushOutcome::Stopped,
            }
        };
        let expired = async {
            Timer::after(timeout).await;
            FlushOutcome::TimedOut
        };
        future::or(answered, expired).await
    }

    /// Stops taking spans (later ones are dropped as [`DropReason::Closed`]), sends what is queued for at most
    /// `timeout`, then drops what is left, and says what was lost. Calling it again returns at once.
    pub async fn close(&self, timeout: Duration) -> CloseReport {
        let before = self.stats();
        self.rx.close();
        let finished = async {
            let _ = self.done.recv().await;
            true
        };
        let finished = future::or(finished, async {
            Timer::after(timeout).await;
            false
        })
        .await;
        if !finished {
            self.abort.raise();
            future::or(
                async {
                    let _ = self.done.recv().await;
                },
                async {
                    Timer::after(ABORT_GRACE).await;
                },
            )
            .await;
        }
        // Spans the task did not take: it gave up, or it is gone (cancelled, or never spawned).
        let mut left = 0u64;
        while let Some(queued) = self.rx.try_recv() {
            drop_taken(self.rx.stats(), queued, DropReason::Closed);
            left += 1;
        }
        let drained = finished && left == 0;
        let stats = self.stats();
        let lost = stats.dropped_closed.saturating_sub(before.dropped_closed) + stats.queued_spans;
        if lost > 0 {
            log::warn!("reporter closed: {lost} spans lost ({} sent in all)", stats.sent);
        }
        CloseReport { stats, lost, drained }
    }
}

impl Report for ReporterHandle {
    fn report(&self, span: Box<HostSpan>) {
        self.queue.push(span);
    }
}
