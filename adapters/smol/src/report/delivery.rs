//! The background task behind the Scribe and HTTP reporters: it takes spans from the queue, batches them into
//! calls, sends each call through a [`Transport`], retries with backoff, and settles every span as sent or
//! dropped (for a named reason), so the counters always add up.
//!
//! One call is in flight at a time and replies are awaited before the next call: large batches (up to
//! [`DeliveryOptions::max_spans`] spans or [`DeliveryOptions::max_bytes`] bytes) carry the throughput, and a
//! retried call resends exactly the same spans.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_lite::future;
use smol::Timer;
use tryfer_core::{EncodeError, SpanData};

use super::backoff::Backoff;
use super::batch::{drop_taken, Batch};
use crate::queue::{QueueLimits, Queued, SpanReceiver};
use crate::span::HostSpan;
use crate::stats::{DropReason, ReporterStats};

/// How a reporter batches spans, retries calls and bounds its queue (shared by the Scribe and HTTP reporters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOptions {
    /// Most spans in one call (a Scribe `Log` frame or an HTTP post). Default 1000.
    pub max_spans: usize,
    /// Most bytes in one call, framing included; a span that cannot fit alone is dropped as
    /// [`DropReason::Encode`]. Default 1 MiB.
    pub max_bytes: usize,
    /// How long a batch may wait for more spans before it is sent anyway. Default 1 s; `flush` cuts it short.
    pub linger: Duration,
    /// How long one attempt (connect, send, reply) may take before it counts as failed. Default 10 s.
    pub timeout: Duration,
    /// First delay before retrying a failed call. Default 100 ms.
    pub backoff_min: Duration,
    /// Longest delay between retries. Default 30 s.
    pub backoff_max: Duration,
    /// Attempts per call before its spans are dropped as [`DropReason::Closed`]; `None` (default) retries
    /// until the reporter is closed (new spans are then dropped as the queue fills up).
    pub max_attempts: Option<u32>,
    /// Bounds of the queue between the request path and the task.
    pub queue: QueueLimits,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            max_spans: 1000,
            max_bytes: 1 << 20,
            linger: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(30),
            max_attempts: None,
            queue: QueueLimits::default(),
        }
    }
}

/// The outcome of one attempt at sending a call.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// The collector took the call, `bytes` long.
    Sent {
        /// Bytes of the call as sent.
        bytes: usize,
    },
    /// The collector is overloaded (Scribe `TRY_LATER`, HTTP 429): send the same spans again later.
    TryLater,
    /// The collector refused the call for good (it could not read it): resending cannot help.
    Rejected(String),
    /// The call could not be encoded: its spans are dropped as [`DropReason::Encode`].
    Unencodable(String),
    /// The attempt failed (connection, timeout, garbage reply, server error): retry after a backoff.
    Failed(String),
}

/// A way to carry calls to a collector: Scribe over TCP, or HTTP posts.
pub(crate) trait Transport: Send + Sync + 'static {
    /// Bytes every call carries besides its spans.
    fn call_overhead(&self) -> usize;

    /// The exact bytes `span` adds to a call.
    fn span_size(&self, span: &HostSpan) -> Result<usize, EncodeError>;

    /// Encodes and sends one call carrying `spans`, which add `size` bytes to it, `sizes[i]` of them for
    /// `spans[i]` (as [`Transport::span_size`] gave them). `retry` is true when these same spans were attempted
    /// before (the transport may reuse its encoding).
    fn send(
        &mut self,
        spans: &[Box<HostSpan>],
        sizes: &[usize],
        size: usize,
        retry: bool,
    ) -> impl Future<Output = Attempt> + Send;
}

/// A request from the handle to the task.
#[derive(Debug)]
pub(crate) enum Control {
    /// Answer on the sender once every span queued before this request is sent or dropped.
    Flush(async_channel::Sender<()>),
}

/// The handle's "give up now" signal: fires when the handle raises it, never when the handle is merely dropped
/// (then the task drains the queue and ends by itself).
#[derive(Debug)]
pub(crate) struct Abort {
    rx: async_channel::Receiver<()>,
    raised: Arc<AtomicBool>,
}

/// The side of [`Abort`] the handle keeps.
#[derive(Debug)]
pub(crate) struct AbortSwitch {
    tx: async_channel::Sender<()>,
    raised: Arc<AtomicBool>,
}

/// A linked abort switch and signal.
pub(crate) fn abort_signal() -> (AbortSwitch, Abort) {
    let (tx, rx) = async_channel::bounded(1);
    let raised = Arc::new(AtomicBool::new(false));
    (
        AbortSwitch {
            tx,
            raised: raised.clone(),
        },
        Abort { rx, raised },
    )
}

impl AbortSwitch {
    /// Tells the task to drop what it holds and end.
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::SeqCst);
        self.tx.close();
    }
}

impl Abort {
    /// Resolves once the switch is raised.
    async fn raised(&self) {
        let _ = self.rx.recv().await;
        if !self.raised.load(Ordering::SeqCst) {
            future::pending::<()>().await;
        }
    }

    fn is_raised(&self) -> bool {
        self.raised.load(Ordering::SeqCst)
    }
}

/// What woke the task while it gathered a batch.
enum Wake {
    Abort,
    Control(Control),
    ControlGone,
    Span(Queued),
    QueueEnded,
    Linger,
}

/// How gathering ended.
enum Gathered {
    /// The batch is ready to send.
    Send,
    /// The queue is closed and empty, and nothing is held.
    Ended,
    /// The handle gave up.
    Aborted,
}

/// The reporter task's state.
pub(crate) struct Delivery<T> {
    transport: T,
    rx: Arc<SpanReceiver>,
    stats: Arc<ReporterStats>,
    control: async_channel::Receiver<Control>,
    control_open: bool,
    abort: Abort,
    batch: Batch,
    /// Spans taken from the queue so far.
    taken: u64,
    /// Flush requests with the number of spans taken (or queued) when each arrived.
    flushes: Vec<(u64, async_channel::Sender<()>)>,
    backoff: Backoff,
    linger: Duration,
    max_attempts: Option<u32>,
    /// Largest size of one span that still fits in a call.
    max_span_size: usize,
    /// When the batch being gathered must go, if it holds spans.
    deadline: Option<Instant>,
    /// The collector has been failing since the last success (failures are logged at warn once per outage).
    failing: bool,
    rejected_logged: bool,
    encode_logged: bool,
    /// Closed (dropped) last, once every held span is settled: the handle's `close` waits for it.
    _done: async_channel::Sender<()>,
}

impl<T: Transport> Delivery<T> {
    /// A task sending what `rx` receives through `transport`.
    pub(crate) fn new(
        transport: T,
        rx: Arc<SpanReceiver>,
        control: async_channel::Receiver<Control>,
        abort: Abort,
        done: async_channel::Sender<()>,
        options: &DeliveryOptions,
    ) -> Self {
        let stats = rx.stats().clone();
        let max_span_size = options.max_bytes.saturating_sub(transport.call_overhead());
        Delivery {
            batch: Batch::new(stats.clone(), options.max_spans, max_span_size),
            transport,
            rx,
            stats,
            control,
            control_open: true,
            abort,
            taken: 0,
            flushes: Vec::new(),
            backoff: Backoff::new(options.backoff_min, options.backoff_max),
            linger: options.linger,
            max_attempts: options.max_attempts,
            max_span_size,
            deadline: None,
            failing: false,
            rejected_logged: false,
            encode_logged: false,
            _done: done,
        }
    }

    /// Runs until the queue is closed and drained, or the handle gives up.
    pub(crate) async fn run(mut self) {
        loop {
            match self.gather().await {
                Gathered::Send => {}
                Gathered::Ended => break,
                Gathered::Aborted => return self.abandon(),
            }
            if !self.deliver().await {
                return self.abandon();
            }
            self.deadline = None;
            self.answer_flushes();
        }
        self.answer_flushes();
    }

    /// Drops everything still queued (the held batch drops itself), counted as [`DropReason::Closed`].
    fn abandon(&mut self) {
        while let Some(queued) = self.rx.try_recv() {
            drop_taken(&self.stats, queued, DropReason::Closed);
        }
    }

    /// Fills the batch until it is full, its linger time is up, a flush wants it, or the queue ends.
    async fn gather(&mut self) -> Gathered {
        loop {
            if self.abort.is_raised() {
                return Gathered::Aborted;
            }
            // Requests first: under sustained load the batch is full at once and no wait would see them.
            while let Ok(request) = self.control.try_recv() {
                self.register(request);
            }
            while !self.batch.is_full() {
                match self.rx.try_recv() {
                    Some(queued) => self.take(queued),
                    None => break,
                }
            }
            self.answer_flushes();
            if self.batch.is_full() {
                return Gathered::Send;
            }
            let linger = if self.batch.is_empty() {
                None
            } else if !self.flushes.is_empty() {
                return Gathered::Send;
            } else {
                Some(*self.deadline.get_or_insert_with(|| Instant::now() + self.linger))
            };
            match self.wait(linger).await {
                Wake::Abort => return Gathered::Aborted,
                Wake::Control(request) => self.register(request),
                Wake::ControlGone => self.control_open = false,
                Wake::Span(queued) => self.take(queued),
                Wake::QueueEnded if self.batch.is_empty() => return Gathered::Ended,
                Wake::QueueEnded | Wake::Linger => return Gathered::Send,
            }
        }
    }

    /// Waits for the first of: abort, a control request, a span, the end of the queue, the linger deadline.
    async fn wait(&self, linger: Option<Instant>) -> Wake {
        let abort = async {
            self.abort.raised().await;
            Wake::Abort
        };
        let control = async {
            if !self.control_open {
                return future::pending().await;
            }
            match self.control.recv().await {
                Ok(request) => Wake::Control(request),
                Err(_) => Wake::ControlGone,
            }
        };
        let span = async {
            match self.rx.recv().await {
                Some(queued) => Wake::Span(queued),
                None => Wake::QueueEnded,
            }
        };
        let linger = async {
            match linger {
                Some(at) => {
                    Timer::at(at).await;
                    Wake::Linger
                }
                None => future::pending().await,
            }
        };
        future::or(abort, future::or(control, future::or(span, linger))).await
    }

    /// Measures a span taken from the queue and adds it to the batch, or drops it when it cannot fit a call.
    fn take(&mut self, queued: Queued) {
        let index = self.taken;
        self.taken += 1;
        match self.transport.span_size(&queued.span) {
            Ok(size) if size <= self.max_span_size => {
                self.batch.offer(queued, size, index);
            }
            result => {
                let why = match result {
                    Ok(size) => format!("{size} bytes, more than the {} a call may carry", self.max_span_size),
                    Err(e) => e.to_string(),
                };
                if !self.encode_logged {
                    self.encode_logged = true;
                    log::warn!("dropping span {:?}: it cannot be encoded ({why})", queued.span.name());
                } else {
                    log::debug!("dropping span {:?}: it cannot be encoded ({why})", queued.span.name());
                }
                drop_taken(&self.stats, queued, DropReason::Encode);
            }
        }
    }

    /// Notes a flush request: it covers every span taken or waiting in the queue now.
    fn register(&mut self, request: Control) {
        match request {
            Control::Flush(reply) => {
                let target = self.taken + self.rx.len() as u64;
                self.flushes.push((target, reply));
            }
        }
    }

    /// Answers the flush requests whose spans are all settled.
    fn answer_flushes(&mut self) {
        if self.flushes.is_empty() {
            return;
        }
        let settled_below = self.batch.oldest().unwrap_or(self.taken);
        self.flushes.retain(|(target, reply)| {
            if *target <= settled_below {
                let _ = reply.try_send(());
                false
            } else {
                true
            }
        });
    }

    /// Sends the batch until it is settled; false when the handle gave up first.
    async fn deliver(&mut self) -> bool {
        let mut attempts = 0u32;
        loop {
            let attempt = {
                let abort = async {
                    self.abort.raised().await;
                    None
                };
                let send = async {
                    Some(
                        self.transport
                            .send(self.batch.spans(), self.batch.sizes(), self.batch.size(), attempts > 0)
                            .await,
                    )
                };
                future::or(abort, send).await
            };
            let Some(attempt) = attempt else {
                return false;
            };
            attempts = attempts.saturating_add(1);
            match attempt {
                Attempt::Sent { bytes } => {
                    if self.failing {
                        self.failing = false;
                        log::info!("collector is taking spans again");
                    }
                    self.backoff.reset();
                    self.batch.settle_sent(bytes);
                    return true;
                }
                Attempt::Rejected(why) => {
                    if !self.rejected_logged {
                        self.rejected_logged = true;
                        log::warn!("collector rejected {} spans, dropping them: {why}", self.batch.len());
                    } else {
                        log::debug!("collector rejected {} spans, dropping them: {why}", self.batch.len());
                    }
                    self.batch.settle_dropped(DropReason::Rejected);
                    return true;
                }
                Attempt::Unencodable(why) => {
                    log::error!(
                        "could not encode a call of {} spans, dropping them: {why}",
                        self.batch.len()
                    );
                    self.batch.settle_dropped(DropReason::Encode);
                    return true;
                }
                Attempt::TryLater => {
                    self.stats.add_try_later();
                    log::debug!("collector asked to try {} spans later", self.batch.len());
                }
                Attempt::Failed(why) => {
                    self.stats.add_failed_call();
                    if !self.failing {
                        self.failing = true;
                        log::warn!("sending spans failed, will retry: {why}");
                    } else {
                        log::debug!("sending spans failed again: {why}");
                    }
                }
            }
            if self.max_attempts.is_some_and(|max| attempts >= max) {
                log::warn!("giving up on {} spans after {attempts} attempts", self.batch.len());
                self.batch.settle_dropped(DropReason::Closed);
                return true;
            }
            let delay = self.backoff.next_delay();
            let abort = async {
                self.abort.raised().await;
                true
            };
            let wait = async {
                Timer::after(delay).await;
                false
            };
            if future::or(abort, wait).await {
                return false;
            }
        }
    }
}
