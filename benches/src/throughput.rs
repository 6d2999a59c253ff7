//! Item 7: reporter throughput. Several producer threads record typical spans through a `Tracer` whose reporter
//! is the Scribe reporter, which ships them over loopback TCP to `tryfer-sink`'s `ScribeSink` in this process;
//! the sink's own counter confirms every span, and the reporter's counters must show nothing dropped.
//!
//! Reporting never blocks, so a producer that outruns the reporter would drop spans. To measure the rate the
//! pipeline sustains without dropping, producers hold back (yield) while the reporter's queue is over 3/4 full.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tryfer_core::annotation::{CLIENT_RECV, CLIENT_SEND};
use tryfer_smol::queue::QueueLimits;
use tryfer_smol::report::scribe::{ScribeOptions, ScribeReporter};
use tryfer_smol::report::FlushOutcome;
use tryfer_smol::sink::{ScribeSink, SinkOptions};
use tryfer_smol::{Report, Tracer};

use crate::report::Figure;
use crate::typical;

/// How much load to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Producer threads.
    pub producers: usize,
    /// Spans in all.
    pub spans: u64,
    /// Longest the whole run may take before it counts as failed.
    pub limit: Duration,
}

/// What a run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Spans per second, first report to the sink's count reaching the total.
    pub spans_per_second: f64,
    /// Spans the sink counted.
    pub received: u64,
    /// Spans the reporter counted as sent.
    pub sent: u64,
    /// Spans the reporter dropped, for any reason.
    pub dropped: u64,
    /// Seconds the run took.
    pub seconds: f64,
}

/// Runs `load` through a Scribe reporter into an in-process sink on 127.0.0.1.
pub fn run(load: Load) -> Result<Outcome, String> {
    let mut sink = smol::block_on(ScribeSink::bind(([127, 0, 0, 1], 0).into(), SinkOptions::default()))
        .map_err(|e| format!("binding the sink: {e}"))?;
    let address = sink.local_addr().map_err(|e| format!("sink address: {e}"))?;
    // Nobody reads the decoded spans: the sink still decodes, acknowledges and counts every one.
    drop(sink.take_spans());
    let sink_stats = sink.stats();
    let (stop_tx, stop_rx) = async_channel_pair();
    let sink_thread = thread::spawn(move || {
        smol::block_on(smol::future::or(sink.run(), async {
            let _ = stop_rx.recv().await;
        }))
    });

    let mut options = ScribeOptions::default();
    options.delivery.linger = Duration::from_millis(5);
    options.delivery.queue = QueueLimits::default();
    let max_queued = (options.delivery.queue.max_spans as u64) * 3 / 4;
    let (reporter, task) = ScribeReporter::new(address.to_string(), options);
    let reporter = Arc::new(reporter);
    let task_thread = thread::spawn(move || smol::block_on(task));
    let tracer = Tracer::builder(typical::LOCAL_SERVICE)
        .address((typical::LOCAL_IPV4, typical::LOCAL_PORT).into())
        .build(reporter.clone() as Arc<dyn Report>);

    let give_up = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let per_producer = load.spans / load.producers as u64;
    let total = per_producer * load.producers as u64;
    let producers: Vec<_> = (0..load.producers)
        .map(|_| {
            let tracer = tracer.clone();
            let counters = reporter.counters();
            let give_up = give_up.clone();
            thread::spawn(move || {
                let parent = typical::context();
                let remote = typical::remote();
                for i in 0..per_producer {
                    if i % 64 == 0 {
                        while counters.snapshot().queued_spans > max_queued {
                            if give_up.load(Ordering::Relaxed) {
                                return;
                            }
                            thread::yield_now();
                        }
                    }
                    let mut span = tracer.start(tracer.child_context(&parent), typical::NAME);
                    span.annotate(CLIENT_SEND);
                    span.tag("http.uri", typical::HTTP_URI);
                    span.tag("http.status_code", typical::HTTP_STATUS);
                    span.remote("sa", &remote);
                    span.annotate(CLIENT_RECV);
                    span.finish();
                }
            })
        })
        .collect();
    let deadline = started + load.limit;
    let watchdog = thread::spawn({
        let give_up = give_up.clone();
        move || {
            while Instant::now() < deadline && !give_up.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(10));
            }
            give_up.store(true, Ordering::Relaxed);
        }
    });
    for p in producers {
        let _ = p.join();
    }
    let left = deadline.saturating_duration_since(Instant::now());
    let flushed = smol::block_on(reporter.flush(left));
    while sink_stats.snapshot().spans < total && Instant::now() < deadline {
        thread::sleep(Duration::from_micros(200));
    }
    let seconds = started.elapsed().as_secs_f64();
    give_up.store(true, Ordering::Relaxed);
    let _ = watchdog.join();

    let received = sink_stats.snapshot().spans;
    let closed = smol::block_on(reporter.close(Duration::from_secs(5)));
    drop(tracer);
    drop(reporter);
    let _ = task_thread.join();
    let _ = stop_tx.try_send(());
    let _ = sink_thread.join();

    let outcome = Outcome {
        spans_per_second: received as f64 / seconds,
        received,
        sent: closed.stats.sent,
        dropped: closed.dropped(),
        seconds,
    };
    if flushed != FlushOutcome::Flushed || received != total || outcome.dropped > 0 {
        return Err(format!(
            "{total} spans made, flush {flushed:?}, sink received {received}, reporter sent {} and dropped {}",
            outcome.sent, outcome.dropped
        ));
    }
    Ok(outcome)
}

fn async_channel_pair() -> (smol::channel::Sender<()>, smol::channel::Receiver<()>) {
    smol::channel::bounded(1)
}

/// The figures of one run, with the goal of 1,000,000 spans/s.
pub fn figures(load: Load, outcome: &Result<Outcome, String>) -> Vec<Figure> {
    let name = format!(
        "{} producers → Scribe reporter → tryfer-sink (loopback)",
        load.producers
    );
    match outcome {
        Ok(o) => vec![
            Figure::new("reporter throughput", name, o.spans_per_second.round(), "spans/s")
                .with_goal("≥ 1,000,000 spans/s", o.spans_per_second >= 1_000_000.0)
                .with_note(format!(
                    "{} spans in {:.2} s; sink counted {}, reporter sent {}, dropped {}",
                    load.spans, o.seconds, o.received, o.sent, o.dropped
                )),
        ],
        Err(why) => vec![Figure::missing("reporter throughput", name, "spans/s", why.clone())
            .with_goal("≥ 1,000,000 spans/s", false)],
    }
}
