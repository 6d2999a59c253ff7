//! Comparison 4: a span's life on the host, tryfer-smol against fastrace.
//!
//! tryfer: a child context of an incoming one (`Tracer::child_context`), `Tracer::start`, `annotate("cs")`, a
//! string tag (`http.uri`), `annotate("cr")`, `finish`, which hands the boxed span to the reporter queue
//! (`tryfer_smol::queue::span_queue`, 100,000 spans); a thread drains the queue as a reporter task would.
//! fastrace (feature `enable`, a reporter set): `Span::root` under the incoming context (a remote parent), an
//! `Event` `cs`, a property `http.uri`, an `Event` `cr`, drop; its own collector thread collects the records and
//! hands them to a reporter that counts them. After the timed runs, [`Pair::verify`] checks that every span of
//! both sides arrived (tryfer's queue dropped none).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tryfer_core::annotation::{CLIENT_RECV, CLIENT_SEND};
use tryfer_core::SpanContext;
use tryfer_smol::queue::{span_queue, QueueLimits, SpanQueue, SpanReceiver};
use tryfer_smol::stats::ReporterStats;
use tryfer_smol::{HostSpan, Report, Tracer};

use crate::{typical, Pair};

/// The reporter end of the lifecycle: the bounded queue every tryfer-smol reporter puts in front of its task.
struct Queue(SpanQueue);

impl Report for Queue {
    fn report(&self, span: Box<HostSpan>) {
        self.0.push(span);
    }
}

/// How the queue is emptied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    /// As the reporter task does while it gathers a batch: wait on the queue (`recv().await`), so a span pushed
    /// while it waits wakes it.
    Wait,
    /// Every 200 µs, take what is queued (`try_recv`), as fastrace's collector thread does on its interval:
    /// pushing never wakes anyone. Not what the reporter does; shows what the wake-ups cost.
    Poll,
}

/// Takes spans off the queue until every producer is gone, counting them (a reporter task, minus the sending).
fn drain(rx: SpanReceiver, taken: Arc<AtomicU64>, how: Drain) {
    let take = |queued: tryfer_smol::queue::Queued| {
        rx.settle(1, queued.bytes);
        drop(queued.span);
        taken.fetch_add(1, Ordering::Relaxed);
    };
    match how {
        Drain::Wait => smol::block_on(async {
            while let Some(queued) = rx.recv().await {
                take(queued);
            }
        }),
        Drain::Poll => loop {
            while let Some(queued) = rx.try_recv() {
                take(queued);
            }
            if Arc::strong_count(&taken) == 1 {
                return;
            }
            thread::sleep(Duration::from_micros(200));
        },
    }
}

/// Counts the span records fastrace's collector hands over.
struct CountingReporter(Arc<AtomicU64>);

impl fastrace::collector::Reporter for CountingReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        self.0.fetch_add(spans.len() as u64, Ordering::Relaxed);
    }
}

/// The span lifecycle on both sides, with their collectors running.
pub struct Lifecycle {
    name: &'static str,
    tracer: Tracer,
    parent: SpanContext,
    stats: Arc<ReporterStats>,
    taken: Arc<AtomicU64>,
    ours_made: u64,
    fastrace_parent: fastrace::collector::SpanContext,
    collected: Arc<AtomicU64>,
    collected_before: u64,
    peer_made: u64,
}

/// fastrace's collector is global: one reporter for the process, shared by every [`Lifecycle`].
fn fastrace_collected() -> Arc<AtomicU64> {
    static COLLECTED: std::sync::OnceLock<Arc<AtomicU64>> = std::sync::OnceLock::new();
    COLLECTED
        .get_or_init(|| {
            let count = Arc::new(AtomicU64::new(0));
            fastrace::set_reporter(CountingReporter(count.clone()), fastrace::collector::Config::default());
            count
        })
        .clone()
}

impl Lifecycle {
    /// A tracer reporting into a queue drained as the reporter task does, and fastrace with a counting reporter.
    pub fn new() -> Self {
        Self::with_drain(Drain::Wait)
    }

    /// As [`Lifecycle::new`], the queue drained `how`.
    pub fn with_drain(how: Drain) -> Self {
        let stats = Arc::new(ReporterStats::new());
        // fastrace's queue is unbounded; this one holds 100,000 spans, so a drain thread that a busy machine
        // delays makes no span take the (cheaper) drop path.
        let limits = QueueLimits {
            max_spans: 100_000,
            max_bytes: 1 << 30,
        };
        let (queue, rx) = span_queue(limits, stats.clone());
        let taken = Arc::new(AtomicU64::new(0));
        let drained = taken.clone();
        thread::spawn(move || drain(rx, drained, how));
        let tracer = Tracer::builder(typical::LOCAL_SERVICE)
            .address((typical::LOCAL_IPV4, typical::LOCAL_PORT).into())
            .build(Arc::new(Queue(queue)));
        let parent = typical::context();
        let fastrace_parent = fastrace::collector::SpanContext::new(
            fastrace::collector::TraceId((u128::from(typical::TRACE_HIGH) << 64) | u128::from(typical::TRACE_LOW)),
            fastrace::collector::SpanId(typical::SPAN_ID),
        );
        let collected = fastrace_collected();
        let collected_before = collected.load(Ordering::Relaxed);
        Lifecycle {
            name: match how {
                Drain::Wait => "span_lifecycle_host",
                Drain::Poll => "span_lifecycle_host, queue polled",
            },
            tracer,
            parent,
            stats,
            taken,
            ours_made: 0,
            fastrace_parent,
            collected,
            collected_before,
            peer_made: 0,
        }
    }

    /// Waits (at most `limit`) until `done` says all spans arrived.
    fn wait(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
        let start = Instant::now();
        while !done() {
            if start.elapsed() > limit {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
        true
    }
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Pair for Lifecycle {
    fn name(&self) -> &'static str {
        self.name
    }

    fn peer_name(&self) -> &'static str {
        "fastrace 0.7 (enable, reporter set)"
    }

    #[inline]
    fn ours(&mut self) -> usize {
        let context = self.tracer.child_context(&self.parent);
        let mut span = self.tracer.start(context, typical::NAME);
        span.annotate(CLIENT_SEND);
        span.tag("http.uri", typical::HTTP_URI);
        span.annotate(CLIENT_RECV);
        span.finish();
        self.ours_made += 1;
        self.ours_made as usize
    }

    #[inline]
    fn peer(&mut self) -> usize {
        let span = fastrace::Span::root(typical::NAME, self.fastrace_parent);
        span.add_event(fastrace::Event::new(CLIENT_SEND));
        span.add_property(|| ("http.uri", typical::HTTP_URI));
        span.add_event(fastrace::Event::new(CLIENT_RECV));
        drop(span);
        self.peer_made += 1;
        self.peer_made as usize
    }

    fn check(&mut self) -> Result<(), String> {
        self.ours();
        self.peer();
        self.verify()
    }

    fn verify(&mut self) -> Result<(), String> {
        let made = self.ours_made;
        let taken = self.taken.clone();
        if !Self::wait(Duration::from_secs(10), || taken.load(Ordering::Relaxed) >= made) {
            let s = self.stats.snapshot();
            return Err(format!(
                "tryfer: {made} spans finished, {} drained, {} dropped",
                taken.load(Ordering::Relaxed),
                s.dropped()
            ));
        }
        let dropped = self.stats.snapshot().dropped();
        if dropped > 0 {
            return Err(format!("tryfer's queue dropped {dropped} of {made} spans"));
        }
        // fastrace hands over one record per span (its events ride inside it).
        // fastrace keeps commands its ring buffer had no room for in a thread-local list that only its next
        // command (from this thread) pushes on: so each round makes one more span, then flushes.
        let start = Instant::now();
        let arrived = loop {
            self.peer();
            fastrace::flush();
            if self.collected.load(Ordering::Relaxed) >= self.collected_before + self.peer_made {
                break true;
            }
            if start.elapsed() > Duration::from_secs(10) {
                break false;
            }
            thread::sleep(Duration::from_millis(5));
        };
        let collected = &self.collected;
        if !arrived {
            return Err(format!(
                "fastrace: {} spans made, {} records collected",
                self.peer_made,
                collected.load(Ordering::Relaxed) - self.collected_before
            ));
        }
        Ok(())
    }
}
