//! The Scribe reporter against a sink: ids, held spans, an unreachable or restarting collector, TRY_LATER.

use embassy_futures::select::select;
use embassy_net::IpEndpoint;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_time::{Duration, Timer};
use tryfer_core::b3::{self, Extracted};
use tryfer_core::{Sampling, SpanContext, SpanId, TraceId};
use tryfer_embassy::clock::uptime_micros;
use tryfer_embassy::report::scribe::{ScribeBuffers, ScribeConfig, ScribeReporter};
use tryfer_embassy::report::Backoff;
use tryfer_embassy::Tracer;

use crate::net::{self, HOST_IP};
use crate::sink::{Answer, ScribeSink};

const EPOCH_AT_BOOT: u64 = 1_764_000_000_000_000;
const PORT: u16 = 9410;
const LIMIT: Duration = Duration::from_secs(20);

type DeviceTracer = Tracer<NoopRawMutex, 8>;

fn tracer() -> &'static DeviceTracer {
    let tracer = Box::leak(Box::new(DeviceTracer::new("device")));
    tracer.seed(42);
    tracer
}

fn config() -> ScribeConfig {
    let mut config = ScribeConfig::new(IpEndpoint::new(HOST_IP.into(), PORT));
    config.backoff = Backoff {
        min: Duration::from_millis(50),
        max: Duration::from_millis(200),
    };
    config.reply_timeout = Duration::from_millis(500);
    config.linger = Duration::from_millis(20);
    config.clock_poll = Duration::from_millis(20);
    config
}

fn buffers() -> &'static mut ScribeBuffers {
    Box::leak(Box::new(ScribeBuffers::new()))
}

const INCOMING: [(&str, &str); 4] = [
    ("X-B3-TraceId", "80f198ee56343ba864fe8b2a57d3eff7"),
    ("X-B3-SpanId", "e457b5a2e4d86bd1"),
    ("X-B3-ParentSpanId", "05e3ac9a4f6e3b90"),
    ("X-B3-Sampled", "1"),
];

/// A server span joined from B3 and a client child of it, finished on the device.
fn record_request(tracer: &'static DeviceTracer) -> (SpanContext, SpanContext) {
    let mut server = tracer.start_server(b3::extract(&INCOMING), "get /reading");
    server.tag("http.path", "/reading");
    let client = tracer.start_client(Some(server.context()), "get /calibration");
    let contexts = (*server.context(), *client.context());
    client.finish();
    server.set_status(200);
    server.finish();
    contexts
}

#[test]
fn spans_arrive_with_the_right_ids_and_epoch_times() {
    net::run(LIMIT, |device, host| async move {
        let tracer = tracer();
        let sink = ScribeSink::new(&[]);
        let reporter = ScribeReporter::new(device, tracer, config());
        let script = async {
            tracer.clock().set_epoch_at_boot(EPOCH_AT_BOOT);
            let before = uptime_micros();
            let (server, client) = record_request(tracer);
            net::until(LIMIT, "two spans", || sink.spans().len() == 2).await;
            let after = uptime_micros();
            let spans = sink.spans();
            // The client span finished first, so it was queued (and sent) first.
            let (c, s) = (&spans[0], &spans[1]);
            let incoming = b3::extract(&INCOMING).unwrap().context().unwrap();
            assert_eq!(s.trace_id, incoming.trace_id);
            assert_eq!(s.trace_id.to_hex().as_str(), "80f198ee56343ba864fe8b2a57d3eff7");
            assert_eq!(s.id, incoming.span_id, "the server joins the caller's span");
            assert_eq!(s.parent_id, incoming.parent_id);
            assert_eq!(server.span_id, incoming.span_id);
            assert_eq!(
                (c.trace_id, c.id, c.parent_id),
                (incoming.trace_id, client.span_id, Some(s.id))
            );
            assert_ne!(c.id, s.id);
            assert_eq!(s.name, "get /reading");
            assert_eq!(s.tag("http.path"), Some("/reading"));
            assert_eq!(s.tag("http.status_code"), Some("200"));
            // A joined server span leaves start and duration to the client; the client sets both.
            assert_eq!((s.timestamp, s.duration), (None, None));
            assert!(c.duration.unwrap() >= 1);
            for (value, span) in [("sr", s), ("ss", s), ("cs", c), ("cr", c)] {
                let t = span.annotation(value).unwrap_or_else(|| panic!("{value} missing"));
                assert!(
                    (EPOCH_AT_BOOT + before..=EPOCH_AT_BOOT + after).contains(&t),
                    "{value} at {t} is not epoch time"
                );
                assert_eq!(span.annotations[0].2.as_deref(), Some("device"));
            }
            assert!(s.annotation("sr") <= s.annotation("ss"));
            assert_eq!(c.timestamp, c.annotation("cs"));
            let stats = tracer.stats();
            assert_eq!((stats.recorded, stats.sent, stats.overflow), (2, 2, 0));
        };
        select(select(sink.serve(host, PORT), reporter.run(buffers())), script).await;
    });
}

#[test]
fn spans_recorded_before_the_clock_is_set_are_held_then_corrected() {
    net::run(LIMIT, |device, host| async move {
        let tracer = tracer();
        let sink = ScribeSink::new(&[]);
        let reporter = ScribeReporter::new(device, tracer, config());
        let script = async {
            let start = uptime_micros();
            let root = tracer.start_local(None, "boot");
            let context = *root.context();
            root.finish();
            Timer::after_millis(300).await;
            assert!(sink.spans().is_empty(), "nothing may be sent before the clock is set");
            assert_eq!(sink.calls.get(), 0);
            tracer.clock().set_epoch_at_boot(EPOCH_AT_BOOT);
            net::until(LIMIT, "the held span", || sink.spans().len() == 1).await;
            let span = &sink.spans()[0];
            assert_eq!(
                (span.trace_id, span.id, span.parent_id),
                (context.trace_id, context.span_id, None)
            );
            let timestamp = span.timestamp.unwrap();
            assert!(timestamp >= EPOCH_AT_BOOT + start, "start shifted to the epoch");
            assert!(
                timestamp < EPOCH_AT_BOOT + start + 300_000,
                "and not to the time of sending"
            );
        };
        select(select(sink.serve(host, PORT), reporter.run(buffers())), script).await;
    });
}

#[test]
fn an_unreachable_collector_is_retried_with_backoff() {
    net::run(LIMIT, |device, host| async move {
        let tracer = tracer();
        let sink = ScribeSink::new(&[]);
        let reporter = ScribeReporter::new(device, tracer, config());
        let late_sink = async {
            net::until(LIMIT, "failed connects", || tracer.stats().connect_failures >= 3).await;
            sink.serve(host, PORT).await
        };
        let script = async {
            tracer.clock().set_epoch_at_boot(EPOCH_AT_BOOT);
            let (server, _) = record_request(tracer);
            net::until(LIMIT, "spans after the collector came up", || sink.spans().len() == 2).await;
            assert!(sink.spans().iter().all(|s| s.trace_id == server.trace_id));
            let stats = tracer.stats();
            assert!(stats.connect_failures >= 3);
            assert_eq!((stats.sent, stats.rejected), (2, 0));
        };
        select(select(late_sink, reporter.run(buffers())), script).await;
    });
}

#[test]
fn a_restarted_collector_gets_the_call_again() {
    net::run(LIMIT, |device, host| async move {
        let tracer = tracer();
        let sink = ScribeSink::new(&[Answer::HangUp, Answer::HangUp]);
        let reporter = ScribeReporter::new(device, tracer, config());
        let script = async {
            tracer.clock().set_epoch_at_boot(EPOCH_AT_BOOT);
            let span = tracer.start_local(None, "once");
            let id = span.context().span_id;
            span.finish();
            net::until(LIMIT, "the span", || sink.spans().len() == 1).await;
            assert_eq!(sink.spans()[0].id, id);
            assert_eq!(
                sink.calls.get(),
                3,
                "two calls lost with their connection, the third answered"
            );
            assert!(sink.connections.get() >= 3, "a new connection after each hang-up");
            let stats = tracer.stats();
            assert!(stats.io_errors + stats.bad_replies >= 2, "{stats:?}");
            assert_eq!(stats.sent, 1);
        };
        select(select(sink.serve(host, PORT), reporter.run(buffers())), script).await;
    });
}

#[test]
fn try_later_is_resent_and_exceptions_are_counted_as_rejected() {
    net::run(LIMIT, |device, host| async move {
        let tracer = tracer();
        let sink = ScribeSink::new(&[Answer::TryLater, Answer::TryLater, Answer::Ok, Answer::Exception]);
        let reporter = ScribeReporter::new(device, tracer, config());
        let script = async {
            tracer.clock().set_epoch_at_boot(EPOCH_AT_BOOT);
            tracer.start_local(None, "first").finish();
            net::until(LIMIT, "the first span", || sink.spans().len() == 1).await;
            assert_eq!(sink.calls.get(), 3);
            assert_eq!(sink.connections.get(), 1, "TRY_LATER keeps the connection");
            assert_eq!(tracer.stats().try_later, 2);
            tracer.start_local(None, "refused").finish();
            net::until(LIMIT, "the refusal", || tracer.stats().rejected == 1).await;
            tracer.start_local(None, "third").finish();
            net::until(LIMIT, "the third span", || sink.spans().len() == 2).await;
            let names: Vec<_> = sink.spans().into_iter().map(|s| s.name).collect();
            assert_eq!(names, ["first", "third"]);
            let stats = tracer.stats();
            assert_eq!((stats.sent, stats.rejected, stats.try_later), (2, 1, 2));
        };
        select(select(sink.serve(host, PORT), reporter.run(buffers())), script).await;
    });
}

#[test]
fn a_full_queue_counts_overflow_and_never_waits() {
    let tracer: &'static Tracer<NoopRawMutex, 2> = Box::leak(Box::new(Tracer::new("device")));
    for _ in 0..5 {
        tracer.start_local(None, "burst").finish();
    }
    let stats = tracer.stats();
    assert_eq!((stats.recorded, stats.overflow, stats.lost()), (2, 3, 3));
}

#[test]
fn unsampled_traces_propagate_but_record_nothing() {
    let tracer = tracer();
    let denied = [("b3", "80f198ee56343ba8-e457b5a2e4d86bd1-0")];
    let server = tracer.start_server(b3::extract(&denied), "get");
    assert!(!server.is_recorded());
    let client = tracer.start_client(Some(server.context()), "call");
    assert_eq!(client.context().sampling, Sampling::Deny);
    assert_eq!(
        client.context().parent_id,
        Some(SpanId::new(0xe457b5a2e4d86bd1).unwrap())
    );
    drop(client);
    drop(server);
    let stats = tracer.stats();
    assert_eq!((stats.recorded, stats.unsampled), (0, 2));
}

#[test]
fn malformed_b3_starts_a_new_trace_and_is_counted() {
    let tracer = tracer();
    let bad = [("X-B3-TraceId", "not-hex!"), ("X-B3-SpanId", "e457b5a2e4d86bd1")];
    let incoming = b3::extract(&bad);
    assert!(incoming.is_err());
    let server = tracer.start_server(incoming, "get");
    assert_eq!(server.context().parent_id, None);
    assert_ne!(
        server.context().trace_id,
        TraceId::from_u64(0xe457b5a2e4d86bd1).unwrap()
    );
    assert!(server.is_recorded(), "the local sampler records everything by default");
    assert!(matches!(b3::extract(&[("b3", "1")]), Ok(Extracted::Sampling { .. })));
    server.finish();
    assert_eq!(tracer.stats().b3_errors, 1);
}

#[test]
fn a_trace_id_zipkin_v1_cannot_carry_starts_a_new_trace() {
    let tracer = tracer();
    let headers = [
        ("X-B3-TraceId", "00000000000000010000000000000000"),
        ("X-B3-SpanId", "0000000000000003"),
    ];
    let incoming = b3::extract(&headers);
    assert!(matches!(incoming, Ok(Extracted::Context(_))), "valid B3");
    let server = tracer.start_server(incoming, "get");
    assert_ne!(server.context().trace_id.low(), 0);
    assert_ne!(server.context().span_id.get(), 3);
    server.finish();
    assert_eq!(tracer.stats().b3_errors, 1);
}
