//! The Scribe reporter against a scripted fake collector: every test checks exact counts on both sides (spans
//! the collector acknowledged == the reporter's `sent`) and that no span is unaccounted for.
#![forbid(unsafe_code)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::collector::{Answer, Collector};
use common::{big_span, ids, sorted, span, vacant_address, wait_until, within};
use tryfer_core::scribe::SpanEncoding;
use tryfer_smol::queue::{estimated_size, QueueLimits};
use tryfer_smol::report::scribe::{ScribeOptions, ScribeReporter};
use tryfer_smol::report::{DeliveryOptions, FlushOutcome, Report};
use tryfer_smol::stats::StatsSnapshot;
use tryfer_smol::Tracer;

const LIMIT: Duration = Duration::from_secs(20);
const FLUSH: Duration = Duration::from_secs(15);

/// Quick retries, a short linger, a bounded reply timeout.
fn options() -> ScribeOptions {
    ScribeOptions {
        delivery: DeliveryOptions {
            linger: Duration::from_millis(20),
            timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(10),
            backoff_max: Duration::from_millis(50),
            ..DeliveryOptions::default()
        },
        ..ScribeOptions::default()
    }
}

/// As [`options`], but a batch waits for a full call or a flush: batch contents are deterministic.
fn lingering() -> ScribeOptions {
    let mut opts = options();
    opts.delivery.linger = Duration::from_secs(60);
    opts
}

fn report_ids(reporter: &ScribeReporter, ids: &[u64]) {
    for &id in ids {
        reporter.report(span(id));
    }
}

/// Nothing unaccounted, nothing left queued, and the collector acknowledged exactly what the reporter counts
/// as sent.
fn assert_settled(stats: &StatsSnapshot, collector: &Collector) {
    assert_eq!(stats.unaccounted(), 0, "{stats:?}");
    assert_eq!((stats.queued_spans, stats.queued_bytes), (0, 0), "{stats:?}");
    assert_eq!(stats.sent, collector.acked_count(), "{stats:?}");
    assert_eq!(stats.messages, collector.acked_calls(), "{stats:?}");
}

#[test]
fn batches_spans_into_log_calls_and_counts_exactly() {
    smol::block_on(within(LIMIT, "batching", async {
        let collector = Collector::start().await;
        let mut opts = lingering(); // only full batches and the flush send
        opts.delivery.max_spans = 1000;
        let reporter = ScribeReporter::spawn(collector.address().to_string(), opts);
        let sent = ids(1, 2500);
        report_ids(&reporter, &sent);
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.reported, stats.sent, stats.dropped()), (2500, 2500, 0));
        assert_eq!((stats.messages, stats.reconnects, stats.failed_calls), (3, 1, 0));
        let calls = collector.seen_calls();
        assert_eq!(
            calls.iter().map(|c| c.span_ids.len()).collect::<Vec<_>>(),
            [1000, 1000, 500]
        );
        assert_eq!(calls.iter().map(|c| c.seqid).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(calls.iter().all(|c| c.category == "zipkin" && c.connection == 1));
        assert_eq!(collector.acked(), sent, "every span once, in order");
        assert!(stats.message_bytes > 2500 * 100, "{stats:?}");
    }));
}

#[test]
fn batches_are_bounded_by_frame_bytes() {
    smol::block_on(within(LIMIT, "byte-bounded batches", async {
        let collector = Collector::start().await;
        let mut opts = options();
        opts.delivery.max_bytes = 4096;
        let reporter = ScribeReporter::spawn(collector.address().to_string(), opts);
        report_ids(&reporter, &ids(1, 100));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!(stats.sent, 100);
        assert!(stats.messages >= 5, "{stats:?}");
        assert!(stats.message_bytes <= stats.messages * 4096, "{stats:?}");
        assert_eq!(collector.acked(), ids(1, 100));
    }));
}

#[test]
fn flush_completes_under_sustained_load() {
    let collector = smol::block_on(Collector::start());
    let mut opts = options();
    opts.delivery.max_spans = 10;
    let reporter = Arc::new(ScribeReporter::spawn(collector.address().to_string(), opts));
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let (reporter, stop) = (reporter.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut id = 1;
            while !stop.load(Ordering::Relaxed) {
                reporter.report(span(id));
                id += 1;
            }
        })
    };
    smol::block_on(within(LIMIT, "flush under load", async {
        wait_until(LIMIT, "a few calls", || reporter.stats().messages >= 3).await;
        for _ in 0..3 {
            let before = reporter.stats();
            assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
            let after = reporter.stats();
            assert!(after.sent + after.dropped() >= before.reported, "{before:?} {after:?}");
        }
    }));
    stop.store(true, Ordering::Relaxed);
    producer.join().unwrap();
    smol::block_on(within(LIMIT, "final flush", async {
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        assert_settled(&reporter.stats(), &collector);
    }));
}

#[test]
fn collector_down_at_start_is_retried_until_it_comes_up() {
    smol::block_on(within(LIMIT, "collector down at start", async {
        let address = vacant_address();
        let reporter = ScribeReporter::spawn(address.to_string(), options());
        report_ids(&reporter, &ids(1, 10));
        wait_until(LIMIT, "two failed connection attempts", || {
            reporter.stats().failed_calls >= 2
        })
        .await;
        assert_eq!(reporter.stats().queued_spans, 10);
        assert_eq!(reporter.stats().unaccounted(), 0);

        let collector = Collector::start_at(address).await;
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.reconnects, stats.dropped()), (10, 1, 0));
        assert_eq!(collector.acked(), ids(1, 10));
    }));
}

#[test]
fn collector_restart_is_survived() {
    smol::block_on(within(LIMIT, "collector restart", async {
        let mut collector = Collector::start().await;
        let reporter = ScribeReporter::spawn(collector.address().to_string(), options());
        report_ids(&reporter, &ids(1, 5));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        assert_eq!(reporter.stats().sent, 5);

        collector.stop().await;
        report_ids(&reporter, &ids(6, 5));
        wait_until(LIMIT, "a failed call while the collector is down", || {
            reporter.stats().failed_calls >= 1
        })
        .await;
        collector.restart().await;
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.reconnects, stats.dropped()), (10, 2, 0));
        assert_eq!(collector.acked(), ids(1, 10));
        assert_eq!(collector.connections(), 2);
    }));
}

#[test]
fn try_later_resends_the_same_spans() {
    smol::block_on(within(LIMIT, "TRY_LATER", async {
        let collector = Collector::start().await;
        collector.script([Answer::TryLater, Answer::TryLater]);
        let reporter = ScribeReporter::spawn(collector.address().to_string(), lingering());
        report_ids(&reporter, &ids(1, 3));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!(
            (stats.sent, stats.try_later, stats.failed_calls, stats.reconnects),
            (3, 2, 0, 1)
        );
        let calls = collector.seen_calls();
        assert_eq!(
            calls.iter().map(|c| c.answer).collect::<Vec<_>>(),
            ["try-later", "try-later", "ok"]
        );
        assert!(
            calls.iter().all(|c| c.span_ids == ids(1, 3) && c.connection == 1),
            "{calls:?}"
        );
        assert_eq!(collector.acked(), ids(1, 3));
    }));
}

#[test]
fn exception_reply_drops_the_batch_as_rejected() {
    smol::block_on(within(LIMIT, "exception reply", async {
        let collector = Collector::start().await;
        collector.script([Answer::Exception("could not decode message 2")]);
        let reporter = ScribeReporter::spawn(collector.address().to_string(), lingering());
        report_ids(&reporter, &ids(1, 4));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_eq!((stats.sent, stats.dropped_rejected, stats.failed_calls), (0, 4, 0));

        report_ids(&reporter, &ids(5, 2));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.dropped_rejected, stats.reconnects), (2, 4, 1));
        assert_eq!(collector.acked(), ids(5, 2));
    }));
}

#[test]
fn garbage_and_mismatched_replies_reconnect_and_resend() {
    smol::block_on(within(LIMIT, "garbage replies", async {
        let collector = Collector::start().await;
        collector.script([
            Answer::Garbage(b"HTTP/1.1 400 Bad Request\r\n\r\n"),
            Answer::Garbage(&[0, 0, 0, 4, 1, 2, 3, 4]),
            Answer::WrongSeqid,
        ]);
        let reporter = ScribeReporter::spawn(collector.address().to_string(), lingering());
        report_ids(&reporter, &ids(1, 3));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!(
            (stats.sent, stats.failed_calls, stats.reconnects, stats.dropped()),
            (3, 3, 4, 0)
        );
        let calls = collector.seen_calls();
        assert_eq!(calls.iter().map(|c| c.connection).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(collector.acked(), ids(1, 3));
    }));
}

#[test]
fn connection_reset_mid_frame_is_retried() {
    smol::block_on(within(LIMIT, "connection reset", async {
        let collector = Collector::start().await;
        collector.script([Answer::CloseMidFrame, Answer::CloseMidReply, Answer::CloseMidFrame]);
        let reporter = ScribeReporter::spawn(collector.address().to_string(), options());
        // Big enough that the call is still being written when the collector resets the connection.
        for id in 1..=200 {
            reporter.report(big_span(id, 600));
        }
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!(
            (stats.sent, stats.failed_calls, stats.dropped()),
            (200, 3, 0),
            "{stats:?}"
        );
        assert_eq!(stats.reconnects, 4);
        assert_eq!(sorted(collector.acked()), ids(1, 200));
    }));
}

#[test]
fn stalled_collector_times_out_then_the_call_is_resent() {
    smol::block_on(within(LIMIT, "stalled collector", async {
        let collector = Collector::start().await;
        collector.script([Answer::Stall]);
        let mut opts = lingering();
        opts.delivery.timeout = Duration::from_millis(300);
        let reporter = ScribeReporter::spawn(collector.address().to_string(), opts);
        report_ids(&reporter, &ids(1, 3));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!(
            (stats.sent, stats.failed_calls, stats.reconnects, stats.dropped()),
            (3, 1, 2, 0)
        );
        let calls = collector.seen_calls();
        let seen: Vec<_> = calls
            .iter()
            .map(|c| (c.connection, c.answer, c.span_ids.clone()))
            .collect();
        assert_eq!(seen, [(1, "stall", ids(1, 3)), (2, "ok", ids(1, 3))]);
    }));
}

#[test]
fn queue_full_drops_and_counts_by_span_count() {
    smol::block_on(within(LIMIT, "queue full", async {
        let collector = Collector::start().await;
        let (release, released) = async_channel::bounded(1);
        collector.script([Answer::OkWhenReleased(released)]);
        let mut opts = options();
        opts.delivery.linger = Duration::ZERO;
        opts.delivery.queue = QueueLimits {
            max_spans: 4,
            max_bytes: usize::MAX,
        };
        let reporter = ScribeReporter::spawn(collector.address().to_string(), opts);
        reporter.report(span(1));
        let held = within(LIMIT, "the held call", collector.next_call()).await;
        assert_eq!(held.span_ids, [1]);

        // The task waits for the reply: 4 spans fit in the queue, the rest are dropped at once.
        report_ids(&reporter, &ids(2, 100));
        let stats = reporter.stats();
        assert_eq!(
            (stats.reported, stats.dropped_queue_full, stats.queued_spans),
            (101, 96, 5)
        );
        assert_eq!(stats.unaccounted(), 0);

        release.send(()).await.unwrap();
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.dropped_queue_full), (5, 96));
        assert_eq!(collector.acked(), ids(1, 5));
    }));
}

#[test]
fn queue_full_drops_and_counts_by_bytes() {
    smol::block_on(within(LIMIT, "queue full by bytes", async {
        let collector = Collector::start().await;
        let (release, released) = async_channel::bounded(1);
        collector.script([Answer::OkWhenReleased(released)]);
        let mut opts = options();
        opts.delivery.linger = Duration::ZERO;
        let one = estimated_size(&span(1));
        opts.delivery.queue = QueueLimits {
            max_spans: 1000,
            max_bytes: 3 * one,
        };
        let reporter = ScribeReporter::spawn(collector.address().to_string(), opts);
        reporter.report(span(1));
        within(LIMIT, "the held call", collector.next_call()).await;
        assert_eq!(
            reporter.stats().queued_bytes,
            one as u64,
            "the call in flight still counts"
        );

        report_ids(&reporter, &ids(2, 10));
        // The span in flight no longer counts against the queue's bound: 3 more fit.
        let stats = reporter.stats();
        assert_eq!(
            (stats.dropped_queue_full, stats.queued_spans, stats.queued_bytes),
            (7, 4, 4 * one as u64)
        );

        drop(release);
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.dropped_queue_full), (4, 7));
    }));
}

#[test]
fn span_too_big_for_a_frame_is_dropped_as_encode() {
    smol::block_on(within(LIMIT, "oversized span", async {
        let collector = Collector::start().await;
        let mut opts = lingering();
        opts.delivery.max_bytes = 800;
        let reporter = ScribeReporter::spawn(collector.address().to_string(), opts);
        reporter.report(span(1));
        reporter.report(big_span(2, 900));
        reporter.report(span(3));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.dropped_encode), (2, 1));
        assert_eq!(collector.acked(), [1, 3]);
    }));
}

#[test]
fn close_sends_what_is_queued() {
    smol::block_on(within(LIMIT, "clean close", async {
        let collector = Collector::start().await;
        let reporter = ScribeReporter::spawn(collector.address().to_string(), lingering());
        report_ids(&reporter, &ids(1, 50));
        let report = reporter.close(FLUSH).await;
        assert!(report.drained);
        assert_eq!((report.sent(), report.dropped(), report.lost), (50, 0, 0));
        assert_settled(&report.stats, &collector);

        reporter.report(span(51));
        let stats = reporter.stats();
        assert_eq!((stats.reported, stats.dropped_closed, stats.unaccounted()), (51, 1, 0));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Stopped);
    }));
}

#[test]
fn close_says_what_was_lost_when_the_collector_stalls() {
    smol::block_on(within(LIMIT, "lossy close", async {
        let collector = Collector::start().await;
        collector.script([Answer::Stall]);
        let mut opts = lingering();
        opts.delivery.timeout = Duration::from_secs(60);
        let reporter = ScribeReporter::spawn(collector.address().to_string(), opts);
        report_ids(&reporter, &ids(1, 3));
        assert_eq!(reporter.flush(Duration::from_millis(100)).await, FlushOutcome::TimedOut);
        let stalled = within(LIMIT, "the stalled call", collector.next_call()).await;
        assert_eq!(stalled.span_ids, ids(1, 3));
        report_ids(&reporter, &ids(4, 2));

        let report = reporter.close(Duration::from_millis(200)).await;
        assert!(!report.drained);
        assert_eq!((report.lost, report.stats.dropped_closed, report.sent()), (5, 5, 0));
        assert_eq!((report.stats.queued_spans, report.stats.unaccounted()), (0, 0));

        reporter.report(span(6));
        assert_eq!(reporter.stats().dropped_closed, 6);
        let again = reporter.close(Duration::from_secs(5)).await;
        assert!(again.drained);
        assert_eq!(again.stats.unaccounted(), 0);
        assert_eq!(collector.acked_count(), 0);
    }));
}

#[test]
fn give_up_after_max_attempts() {
    smol::block_on(within(LIMIT, "max attempts", async {
        let mut opts = options();
        opts.delivery.max_attempts = Some(3);
        let reporter = ScribeReporter::spawn(vacant_address().to_string(), opts);
        report_ids(&reporter, &ids(1, 2));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_eq!(
            (
                stats.failed_calls,
                stats.dropped_closed,
                stats.sent,
                stats.unaccounted()
            ),
            (3, 2, 0, 0)
        );
    }));
}

#[test]
fn compact_encoding_and_custom_category() {
    smol::block_on(within(LIMIT, "compact spans", async {
        let collector = Collector::start().await;
        let mut opts = lingering();
        opts.category = "tryfer".to_owned();
        opts.encoding = SpanEncoding::Compact;
        let reporter = ScribeReporter::spawn(collector.address().to_string(), opts);
        report_ids(&reporter, &ids(1, 7));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        assert_settled(&reporter.stats(), &collector);
        let call = collector.next_call().await;
        assert_eq!((call.category.as_str(), call.span_ids), ("tryfer", ids(1, 7)));
    }));
}

#[test]
fn task_spawned_by_the_caller_and_tracer_integration() {
    let collector = smol::block_on(Collector::start());
    let (reporter, task) = ScribeReporter::new(collector.address().to_string(), options());
    let reporter = Arc::new(reporter);
    let executor = smol::LocalExecutor::new();
    executor.spawn(task).detach();
    smol::block_on(executor.run(within(LIMIT, "tracer spans", async {
        let tracer = Tracer::builder("frontend").build(reporter.clone() as Arc<dyn Report>);
        for _ in 0..5 {
            let mut traced = tracer.start(tracer.new_trace(), "get");
            traced.annotate("cs");
            traced.annotate("cr");
            traced.finish();
        }
        drop(tracer.start(tracer.new_trace(), "abandoned")); // reported with tryfer.expired
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let report = reporter.close(FLUSH).await;
        assert!(report.drained);
        assert_eq!((report.sent(), report.lost), (6, 0));
        assert_settled(&report.stats, &collector);
    })));
}

#[test]
fn unspawned_task_loses_nothing_silently() {
    smol::block_on(within(LIMIT, "unspawned task", async {
        let (reporter, task) = ScribeReporter::new(vacant_address().to_string(), options());
        report_ids(&reporter, &ids(1, 3));
        assert_eq!(reporter.flush(Duration::from_millis(50)).await, FlushOutcome::TimedOut);
        drop(task);
        let report = reporter.close(Duration::from_millis(50)).await;
        assert_eq!(
            (report.lost, report.stats.dropped_closed, report.stats.unaccounted()),
            (3, 3, 0)
        );
    }));
}
