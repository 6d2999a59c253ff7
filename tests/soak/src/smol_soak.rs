//! The smol reporter's soak: producer threads report spans into a `ScribeReporter` (its task on its own thread)
//! while the [`smol_collector`](crate::smol_collector) misbehaves; then recovery drains what is held.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanId, TraceId};
use tryfer_smol::queue::{estimated_size, QueueLimits};
use tryfer_smol::report::scribe::{ScribeOptions, ScribeReporter};
use tryfer_smol::report::{DeliveryOptions, FlushOutcome, Report};
use tryfer_smol::HostSpan;

use crate::ledger::Ledger;
use crate::options::Options;
use crate::schedule::Schedule;
use crate::smol_collector;
use crate::timing::RecordTimes;
use crate::verdict::{Counts, Memory, Run};

/// The reporter's settings: small batches, a short reply timeout and backoff so that every phase sees calls,
/// and a queue small enough to fill during the outage.
fn reporter_options() -> ScribeOptions {
    ScribeOptions {
        delivery: DeliveryOptions {
            max_spans: 200,
            max_bytes: 256 * 1024,
            linger: Duration::from_millis(20),
            timeout: Duration::from_millis(300),
            backoff_min: Duration::from_millis(10),
            backoff_max: Duration::from_millis(200),
            max_attempts: None,
            queue: QueueLimits {
                max_spans: 5_000,
                max_bytes: 1 << 20,
            },
        },
        ..ScribeOptions::default()
    }
}

/// Span `id` (1-based), as a request handler would finish it: client annotations with a host, and a URI tag
/// whose length varies from span to span (up to 720 bytes).
pub fn span(id: u64) -> Box<HostSpan> {
    let trace = TraceId::from_u64(id / 8 + 1).expect("never zero");
    let span_id = SpanId::new(id).expect("span ids start at 1");
    let mut span: Box<HostSpan> = Box::new(Span::new(
        SpanContext::root_of(trace, span_id, Sampling::Accept),
        "get /soak",
    ));
    let host = Endpoint::v4("soak", Ipv4Addr::LOCALHOST, 8080);
    let start = 1_764_000_000_000_000 + id * 1_000;
    let uri = format!("http://soak/item/{id}?pad={}", "x".repeat((id % 13 * 60) as usize));
    let _ = span.annotate("cs", start, Some(&host));
    let _ = span.tag_str("http.uri", &uri, Some(&host));
    let _ = span.annotate("cr", start + 250, Some(&host));
    span.set_timestamp(start);
    span.set_duration(250);
    span
}

/// A loopback port with nothing listening on it (the collector binds it when its absent phase ends).
fn vacant_address() -> SocketAddr {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("cannot find a free loopback port: {e}"))
}

/// The highest value `read` gives over the run, raised with `fetch_max`.
#[derive(Default)]
struct Peak(AtomicU64);

impl Peak {
    fn raise(&self, value: u64) {
        self.0.fetch_max(value, Relaxed);
    }
    fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// Runs the smol reporter's soak.
pub fn run(options: &Options) -> Run {
    let started = Instant::now();
    let n = options.spans;
    let address = vacant_address();
    let schedule = Schedule::start(options.phase_len);
    let ledger = Arc::new(Ledger::new());
    let collector = smol::spawn(smol_collector::serve(address, schedule, ledger.clone()));

    let settings = reporter_options();
    let (reporter, task) = ScribeReporter::new(address.to_string(), settings.clone());
    let reporter = Arc::new(reporter);
    let task = std::thread::Builder::new()
        .name("reporter".into())
        .spawn(move || smol::block_on(task))
        .unwrap_or_else(|e| panic!("cannot start the reporter thread: {e}"));

    let next = Arc::new(AtomicU64::new(1));
    let times = Arc::new(RecordTimes::new());
    let (peak_bytes, peak_spans, largest) = (
        Arc::new(Peak::default()),
        Arc::new(Peak::default()),
        Arc::new(Peak::default()),
    );
    let producers: Vec<_> = (0..options.producers)
        .map(|i| {
            let (reporter, next, times) = (reporter.clone(), next.clone(), times.clone());
            let (peak_bytes, peak_spans, largest) = (peak_bytes.clone(), peak_spans.clone(), largest.clone());
            std::thread::Builder::new()
                .name(format!("producer-{i}"))
                .spawn(move || loop {
                    let id = next.fetch_add(1, Relaxed);
                    if id > n {
                        break;
                    }
                    let due = schedule.report_time(id - 1, n);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let span = span(id);
                    largest.raise(estimated_size(&span) as u64);
                    times.time(|| reporter.report(span));
                    // The gauges grow only when a span is reported, so reading them right after each report
                    // sees their peak.
                    let stats = reporter.stats();
                    peak_bytes.raise(stats.queued_bytes);
                    peak_spans.raise(stats.queued_spans);
                })
                .unwrap_or_else(|e| panic!("cannot start a producer thread: {e}"))
        })
        .collect();
    for producer in producers {
        let _ = producer.join();
    }

    let recovery = schedule.recovery().saturating_duration_since(Instant::now());
    let flushed = smol::block_on(reporter.flush(recovery + options.drain));
    let closed = smol::block_on(reporter.close(Duration::from_secs(5)));
    let _ = task.join();
    smol::block_on(collector.cancel());

    let s = closed.stats;
    let delivery = &settings.delivery;
    let batch = delivery.max_spans as u64 + 1;
    let memory = Memory {
        peak_bytes: peak_bytes.get(),
        peak_spans: peak_spans.get(),
        bound_bytes: delivery.queue.max_bytes as u64 + batch * largest.get(),
        bound_spans: delivery.queue.max_spans as u64 + batch,
        bound_note: format!(
            "queue {} bytes / {} spans, plus the batch in flight: {batch} spans of at most {} estimated bytes; \
             a held span takes {} bytes of heap",
            delivery.queue.max_bytes,
            delivery.queue.max_spans,
            largest.get(),
            std::mem::size_of::<HostSpan>()
        ),
    };
    Run {
        reporter: "smol",
        spans: n,
        phase_len: options.phase_len,
        counts: Counts {
            reported: s.reported,
            sent: s.sent,
            dropped: vec![
                ("queue-full", s.dropped_queue_full),
                ("rejected", s.dropped_rejected),
                ("encode", s.dropped_encode),
                ("closed", s.dropped_closed),
            ],
            held: s.queued_spans,
            own_unaccounted: s.unaccounted(),
            other: vec![
                ("messages", s.messages),
                ("try-later", s.try_later),
                ("failed-calls", s.failed_calls),
                ("reconnects", s.reconnects),
            ],
        },
        tally: ledger.tally(n),
        record: Arc::try_unwrap(times).unwrap_or_default(),
        memory,
        drained: flushed == FlushOutcome::Flushed && closed.drained,
        elapsed: started.elapsed(),
    }
}
