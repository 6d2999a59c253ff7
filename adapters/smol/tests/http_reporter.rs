//! The Zipkin HTTP reporter against a scripted fake collector (async-h1) that checks the headers and decodes
//! every body: counts are exact on both sides (spans accepted == the reporter's `sent`), nothing unaccounted.
#![forbid(unsafe_code)]
#![cfg(feature = "surf")]

mod common;

use std::time::Duration;

use common::zipkin_http::{Reply, ZipkinHttp};
use common::{ids, span, vacant_address, wait_until, within};
use tryfer_smol::queue::QueueLimits;
use tryfer_smol::report::http::{HttpEncoding, HttpOptions, HttpReporter};
use tryfer_smol::report::{DeliveryOptions, FlushOutcome, Report};
use tryfer_smol::stats::StatsSnapshot;

const LIMIT: Duration = Duration::from_secs(20);
const FLUSH: Duration = Duration::from_secs(15);

/// Quick retries, a bounded response timeout; batches wait for a full call or a flush (deterministic contents).
fn options(encoding: HttpEncoding) -> HttpOptions {
    HttpOptions {
        encoding,
        delivery: DeliveryOptions {
            linger: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(10),
            backoff_max: Duration::from_millis(50),
            ..DeliveryOptions::default()
        },
    }
}

fn report_ids(reporter: &HttpReporter, ids: &[u64]) {
    for &id in ids {
        reporter.report(span(id));
    }
}

fn assert_settled(stats: &StatsSnapshot, collector: &ZipkinHttp) {
    assert_eq!(stats.unaccounted(), 0, "{stats:?}");
    assert_eq!((stats.queued_spans, stats.queued_bytes), (0, 0), "{stats:?}");
    assert_eq!(stats.sent, collector.acked_count(), "{stats:?}");
    assert_eq!(stats.messages, collector.acked_posts(), "{stats:?}");
}

#[test]
fn posts_v2_json_with_b3_0() {
    smol::block_on(within(LIMIT, "v2 JSON post", async {
        let collector = ZipkinHttp::start().await;
        let reporter = HttpReporter::spawn(&collector.url(), options(HttpEncoding::JsonV2)).unwrap();
        report_ids(&reporter, &ids(1, 3));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let post = collector.next_post().await;
        assert_eq!(post.path, "/api/v2/spans");
        assert_eq!(post.content_type, "application/json");
        assert_eq!(post.b3.as_deref(), Some("0"));
        assert_eq!((post.error, post.status, post.span_ids), (None, 202, ids(1, 3)));
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.messages, stats.failed_calls), (3, 1, 0));
    }));
}

#[test]
fn posts_v1_thrift_lists() {
    smol::block_on(within(LIMIT, "v1 Thrift post", async {
        let collector = ZipkinHttp::start().await;
        let mut opts = options(HttpEncoding::ThriftV1);
        opts.delivery.max_spans = 40;
        let reporter = HttpReporter::spawn(&collector.url(), opts).unwrap();
        report_ids(&reporter, &ids(1, 100));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let posts = collector.seen_posts();
        assert_eq!(posts.iter().map(|p| p.span_ids.len()).collect::<Vec<_>>(), [40, 40, 20]);
        for post in &posts {
            assert_eq!(
                (post.path.as_str(), post.content_type.as_str()),
                ("/api/v1/spans", "application/x-thrift")
            );
            assert_eq!((post.b3.as_deref(), post.error.as_deref()), (Some("0"), None));
        }
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.messages), (100, 3));
        assert_eq!(collector.acked(), ids(1, 100));
    }));
}

#[test]
fn client_error_drops_the_batch_as_rejected() {
    smol::block_on(within(LIMIT, "400 answer", async {
        let collector = ZipkinHttp::start().await;
        collector.script([Reply::Status(400)]);
        let reporter = HttpReporter::spawn(&collector.url(), options(HttpEncoding::JsonV2)).unwrap();
        report_ids(&reporter, &ids(1, 4));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        assert_eq!((reporter.stats().dropped_rejected, reporter.stats().sent), (4, 0));

        report_ids(&reporter, &ids(5, 2));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.dropped_rejected, stats.failed_calls), (2, 4, 0));
        assert_eq!(collector.acked(), ids(5, 2));
    }));
}

#[test]
fn server_errors_and_429_are_retried() {
    smol::block_on(within(LIMIT, "5xx answers", async {
        let collector = ZipkinHttp::start().await;
        collector.script([Reply::Status(503), Reply::Status(429), Reply::Status(500)]);
        let reporter = HttpReporter::spawn(&collector.url(), options(HttpEncoding::JsonV2)).unwrap();
        report_ids(&reporter, &ids(1, 3));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!(
            (stats.sent, stats.failed_calls, stats.try_later, stats.dropped()),
            (3, 2, 1, 0)
        );
        let posts = collector.seen_posts();
        assert_eq!(posts.iter().map(|p| p.status).collect::<Vec<_>>(), [503, 429, 500, 202]);
        assert!(posts.iter().all(|p| p.span_ids == ids(1, 3)));
        assert_eq!(collector.acked(), ids(1, 3));
    }));
}

#[test]
fn stalled_or_dropped_connections_are_retried() {
    smol::block_on(within(LIMIT, "stalled collector", async {
        let collector = ZipkinHttp::start().await;
        collector.script([Reply::Stall, Reply::Drop]);
        let mut opts = options(HttpEncoding::JsonV2);
        opts.delivery.timeout = Duration::from_millis(300);
        let reporter = HttpReporter::spawn(&collector.url(), opts).unwrap();
        report_ids(&reporter, &ids(1, 3));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);

        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        // A fresh client (connection pool) at the start and after each failure.
        assert_eq!(
            (stats.sent, stats.failed_calls, stats.reconnects, stats.dropped()),
            (3, 2, 3, 0)
        );
        assert_eq!(collector.acked(), ids(1, 3));
        assert!(collector.connections() >= 3, "a new connection after each failure");
    }));
}

#[test]
fn collector_down_at_start_is_retried_until_it_comes_up() {
    smol::block_on(within(LIMIT, "collector down at start", async {
        let address = vacant_address();
        let mut opts = options(HttpEncoding::JsonV2);
        opts.delivery.linger = Duration::from_millis(10);
        let reporter = HttpReporter::spawn(&format!("http://{address}"), opts).unwrap();
        report_ids(&reporter, &ids(1, 10));
        wait_until(LIMIT, "two failed posts", || reporter.stats().failed_calls >= 2).await;
        assert_eq!((reporter.stats().queued_spans, reporter.stats().unaccounted()), (10, 0));

        let collector = ZipkinHttp::start_at(address).await;
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        let stats = reporter.stats();
        assert_settled(&stats, &collector);
        assert_eq!((stats.sent, stats.dropped()), (10, 0));
        assert_eq!(collector.acked(), ids(1, 10));
    }));
}

#[test]
fn queue_full_drops_and_counts() {
    smol::block_on(within(LIMIT, "queue full", async {
        let collector = ZipkinHttp::start().await;
        let (release, released) = async_channel::bounded(1);
        collector.script([Reply::AcceptWhenReleased(released)]);
        let mut opts = options(HttpEncoding::JsonV2);
        opts.delivery.linger = Duration::ZERO;
        opts.delivery.queue = QueueLimits {
            max_spans: 4,
            max_bytes: usize::MAX,
        };
        let reporter = HttpReporter::spawn(&collector.url(), opts).unwrap();
        reporter.report(span(1));
        let held = within(LIMIT, "the held post", collector.next_post()).await;
        assert_eq!(held.span_ids, [1]);

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
fn close_says_what_was_lost() {
    smol::block_on(within(LIMIT, "lossy close", async {
        let collector = ZipkinHttp::start().await;
        collector.script([Reply::Stall]);
        let mut opts = options(HttpEncoding::ThriftV1);
        opts.delivery.timeout = Duration::from_secs(60);
        let reporter = HttpReporter::spawn(&collector.url(), opts).unwrap();
        report_ids(&reporter, &ids(1, 3));
        assert_eq!(reporter.flush(Duration::from_millis(100)).await, FlushOutcome::TimedOut);
        assert_eq!(
            within(LIMIT, "the stalled post", collector.next_post()).await.span_ids,
            ids(1, 3)
        );
        report_ids(&reporter, &ids(4, 2));

        let report = reporter.close(Duration::from_millis(200)).await;
        assert!(!report.drained);
        assert_eq!((report.lost, report.stats.dropped_closed, report.sent()), (5, 5, 0));
        assert_eq!((report.stats.queued_spans, report.stats.unaccounted()), (0, 0));
        reporter.report(span(6));
        assert_eq!(
            (reporter.stats().dropped_closed, reporter.stats().unaccounted()),
            (6, 0)
        );
        assert_eq!(collector.acked_count(), 0);
    }));
}

#[test]
fn close_sends_what_is_queued() {
    smol::block_on(within(LIMIT, "clean close", async {
        let collector = ZipkinHttp::start().await;
        let reporter = HttpReporter::spawn(&collector.url(), options(HttpEncoding::JsonV2)).unwrap();
        report_ids(&reporter, &ids(1, 30));
        let report = reporter.close(FLUSH).await;
        assert!(report.drained);
        assert_eq!((report.sent(), report.lost), (30, 0));
        assert_settled(&report.stats, &collector);
    }));
}

#[test]
fn an_explicit_path_is_kept_and_bad_urls_are_refused() {
    smol::block_on(within(LIMIT, "explicit path", async {
        let collector = ZipkinHttp::start().await;
        let url = format!("{}/api/v2/spans", collector.url());
        let reporter = HttpReporter::spawn(&url, options(HttpEncoding::JsonV2)).unwrap();
        reporter.report(span(1));
        assert_eq!(reporter.flush(FLUSH).await, FlushOutcome::Flushed);
        assert_eq!(collector.next_post().await.path, "/api/v2/spans");
        assert!(HttpReporter::new("not a url", HttpOptions::default()).is_err());
    }));
}
