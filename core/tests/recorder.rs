//! The recorder and the samplers, driven through the public API.
#![forbid(unsafe_code)]

use std::net::Ipv4Addr;

use proptest::prelude::*;
use rand_core::RngCore;
use tryfer_core::annotation::{self, CLIENT_RECV, CLIENT_SEND, EXPIRED, SERVER_RECV, SERVER_SEND};
use tryfer_core::recorder::{RecordError, Recorder, RecorderStats};
use tryfer_core::sampler::{decide, decide_context, Always, Never, Probabilistic, RateLimited, Sampler};
use tryfer_core::{Annotation, BinaryAnnotation, Endpoint, Event, Sampling, Span, SpanContext, SpanData, SpanId};
use tryfer_core::{TraceId, Value};

/// SplitMix64: a small deterministic generator, so statistical tests always see the same ids.
struct SplitMix64(u64);

impl RngCore for SplitMix64 {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        rand_core::impls::fill_bytes_via_next(self, dst)
    }
}

fn ctx(trace: u64, span: u64) -> SpanContext {
    SpanContext::root_of(
        TraceId::from_u64(trace).unwrap(),
        SpanId::new(span).unwrap(),
        Sampling::Accept,
    )
}

fn values<S: SpanData>(span: &S) -> Vec<String> {
    span.annotations().map(|a| a.value.to_string()).collect()
}

fn invariant<const S: usize, const N: usize, const T: usize>(recorder: &Recorder<S, N, T>) -> RecorderStats {
    let s = recorder.stats();
    assert_eq!(
        s.started,
        s.finished + s.expired + s.flushed + s.in_flight as u64,
        "{s:?}"
    );
    assert_eq!(s.in_flight, recorder.in_flight());
    s
}

// A recorder fits in a static: `new` is const.
static STATIC_RECORDER: std::sync::Mutex<Recorder<2, 4, 32>> = std::sync::Mutex::new(Recorder::new());

#[test]
fn end_annotation_hands_the_span_on_with_all_events_in_order() {
    let client = Endpoint::v4("frontend", Ipv4Addr::new(10, 0, 0, 1), 8080);
    let server = Endpoint::v4("backend", Ipv4Addr::new(10, 0, 0, 2), 9090);
    let uri = Event::Tag(BinaryAnnotation {
        key: "http.uri",
        value: Value::String("http://backend/a?b=c"),
        host: Some(client),
    });
    let remote = Event::Tag(BinaryAnnotation {
        key: "sa",
        value: Value::Bool(true),
        host: Some(server),
    });
    let c = SpanContext {
        parent_id: SpanId::new(0x77),
        ..ctx(0xabc, 0x123)
    };

    let mut recorder: Recorder<4, 8, 128> = Recorder::new();
    assert!(recorder
        .annotate(&c, "GET", CLIENT_SEND, Some(&client), 1_000)
        .unwrap()
        .is_none());
    assert!(recorder.record(&c, "ignored later", uri, 1_001).unwrap().is_none());
    assert!(recorder.record(&c, "", remote, 1_002).unwrap().is_none());
    assert!(recorder
        .annotate(&c, "", "retry", Some(&client), 1_500)
        .unwrap()
        .is_none());
    let span = recorder
        .annotate(&c, "", CLIENT_RECV, Some(&client), 3_250)
        .unwrap()
        .unwrap();

    assert_eq!(span.trace_id(), c.trace_id);
    assert_eq!(span.id(), c.span_id);
    assert_eq!(span.parent_id(), c.parent_id);
    assert_eq!(span.name(), "GET", "the name given when the span was created");
    let events: Vec<Event<'_>> = span.events().collect();
    assert_eq!(
        events,
        [
            Event::Time(Annotation {
                timestamp: 1_000,
                value: CLIENT_SEND,
                host: Some(client)
            }),
            uri,
            remote,
            Event::Time(Annotation {
                timestamp: 1_500,
                value: "retry",
                host: Some(client)
            }),
            Event::Time(Annotation {
                timestamp: 3_250,
                value: CLIENT_RECV,
                host: Some(client)
            }),
        ]
    );
    assert_eq!(span.timestamp(), Some(1_000));
    assert_eq!(span.duration(), Some(2_250));
    assert_eq!(span.dropped(), 0);

    let s = invariant(&recorder);
    assert_eq!((s.started, s.finished, s.in_flight), (1, 1, 0));

    // The same ids again start a new span.
    assert!(recorder
        .annotate(&c, "again", SERVER_RECV, None, 4_000)
        .unwrap()
        .is_none());
    assert_eq!(invariant(&recorder).started, 2);
}

#[test]
fn interleaved_spans_stay_apart() {
    let mut recorder: Recorder<4> = Recorder::new();
    // Same span id, different traces: different spans.
    let a = ctx(1, 5);
    let b = ctx(2, 5);
    let child = a.child_with_id(SpanId::new(6).unwrap());
    recorder.annotate(&a, "a", SERVER_RECV, None, 10).unwrap();
    recorder.annotate(&b, "b", SERVER_RECV, None, 11).unwrap();
    recorder.annotate(&child, "child", CLIENT_SEND, None, 12).unwrap();
    let child_span = recorder.annotate(&child, "", CLIENT_RECV, None, 20).unwrap().unwrap();
    let b_span = recorder.annotate(&b, "", SERVER_SEND, None, 30).unwrap().unwrap();
    let a_span = recorder.annotate(&a, "", SERVER_SEND, None, 40).unwrap().unwrap();
    assert_eq!(
        (child_span.name(), values(&child_span)),
        ("child", vec!["cs".into(), "cr".into()])
    );
    assert_eq!(child_span.parent_id(), Some(a.span_id));
    assert_eq!((b_span.name(), b_span.duration()), ("b", Some(19)));
    assert_eq!((a_span.name(), a_span.duration()), ("a", Some(30)));
    assert_eq!(invariant(&recorder).finished, 3);
}

#[test]
fn end_set_is_configurable() {
    static MESSAGING: &[&str] = &["mr"];
    let c = ctx(3, 4);
    let mut recorder: Recorder<2> = Recorder::new().with_end_annotations(MESSAGING);
    assert!(recorder.annotate(&c, "consume", "ms", None, 100).unwrap().is_none());
    assert!(
        recorder
            .annotate(&c, "consume", CLIENT_RECV, None, 150)
            .unwrap()
            .is_none(),
        "cr no longer ends"
    );
    assert!(
        recorder
            .annotate(&c, "consume", SERVER_SEND, None, 160)
            .unwrap()
            .is_none(),
        "nor does ss"
    );
    let span = recorder.annotate(&c, "consume", "mr", None, 400).unwrap().unwrap();
    assert_eq!(values(&span), ["ms", "cr", "ss", "mr"]);
    assert_eq!(span.duration(), Some(300));

    // A tag whose key is an end annotation does not end the span: only timestamp annotations do.
    let tag = Event::Tag(BinaryAnnotation {
        key: "mr",
        value: Value::String("x"),
        host: None,
    });
    assert!(recorder.record(&c, "t", tag, 500).unwrap().is_none());
    assert_eq!(recorder.in_flight(), 1);

    // No end annotations: spans leave only by expiry or flush.
    let mut never: Recorder<2> = Recorder::new().with_end_annotations(&[]);
    assert!(never.annotate(&c, "x", CLIENT_SEND, None, 1).unwrap().is_none());
    assert!(never.annotate(&c, "x", CLIENT_RECV, None, 2).unwrap().is_none());
    let mut out = Vec::new();
    assert_eq!(never.flush_all(3, |s| out.push(s)), 1);
    assert_eq!(values(&out[0]), ["cs", "cr", EXPIRED]);
    assert_eq!(invariant(&never).flushed, 1);
}

#[test]
fn full_recorder_refuses_new_spans_and_counts_them() {
    let mut recorder: Recorder<2, 4, 32> = Recorder::new();
    recorder.annotate(&ctx(1, 1), "one", CLIENT_SEND, None, 10).unwrap();
    recorder.annotate(&ctx(1, 2), "two", CLIENT_SEND, None, 11).unwrap();
    assert_eq!(
        recorder.annotate(&ctx(1, 3), "three", CLIENT_SEND, None, 12).err(),
        Some(RecordError::Full)
    );
    assert_eq!(
        recorder.annotate(&ctx(1, 3), "three", "work", None, 13).err(),
        Some(RecordError::Full)
    );
    // Spans in flight still take events while full.
    assert!(recorder.annotate(&ctx(1, 1), "", "work", None, 14).unwrap().is_none());
    let s = invariant(&recorder);
    assert_eq!((s.refused_full, s.started, s.in_flight), (2, 2, 2));

    // An end of a span never seen is handed on at once: it needs no slot.
    let lone = recorder
        .annotate(&ctx(1, 4), "four", SERVER_SEND, None, 15)
        .unwrap()
        .unwrap();
    assert_eq!(values(&lone), ["ss"]);

    // Once a slot frees up, new spans are accepted again.
    let one = recorder
        .annotate(&ctx(1, 1), "", CLIENT_RECV, None, 20)
        .unwrap()
        .unwrap();
    assert_eq!(values(&one), ["cs", "work", "cr"]);
    assert!(recorder
        .annotate(&ctx(1, 3), "three", CLIENT_SEND, None, 21)
        .unwrap()
        .is_none());
    let s = invariant(&recorder);
    assert_eq!((s.refused_full, s.started, s.finished, s.in_flight), (2, 4, 2, 2));
    assert!(std::format!("{}", RecordError::Full).contains("slot"));
}

#[test]
fn idle_spans_expire_with_the_marker_and_are_counted() {
    let mut recorder: Recorder<4, 8, 64> = Recorder::new().with_idle_timeout(5_000);
    let stale = ctx(9, 1);
    let busy = ctx(9, 2);
    recorder.annotate(&stale, "stale", SERVER_RECV, None, 1_000).unwrap();
    recorder.annotate(&busy, "busy", SERVER_RECV, None, 1_000).unwrap();
    recorder.annotate(&busy, "busy", "progress", None, 4_000).unwrap();

    let mut out: Vec<Span<8, 64>> = Vec::new();
    assert_eq!(
        recorder.expire(6_000, |s| out.push(s)),
        0,
        "idle exactly the timeout is not expired"
    );
    assert_eq!(recorder.expire(6_001, |s| out.push(s)), 1);
    assert_eq!(out.len(), 1);
    let expired = &out[0];
    assert_eq!(expired.name(), "stale");
    let annotations: Vec<Annotation<'_>> = expired.annotations().collect();
    assert_eq!(annotations.len(), 2);
    assert_eq!((annotations[0].value, annotations[0].timestamp), (SERVER_RECV, 1_000));
    assert_eq!(
        (annotations[1].value, annotations[1].timestamp),
        (annotation::EXPIRED, 6_001)
    );
    assert_eq!(annotations[1].value, "tryfer.expired");
    assert_eq!(expired.timestamp(), Some(1_000));
    assert_eq!(expired.duration(), None, "an expired span never ended");

    let s = invariant(&recorder);
    assert_eq!((s.expired, s.in_flight), (1, 1));

    // The busy span was last active at 4_000.
    assert_eq!(recorder.next_expiry(), Some(9_001));
    assert_eq!(recorder.expire(9_001, |s| out.push(s)), 1);
    assert_eq!(out[1].name(), "busy");
    assert_eq!(values(&out[1]), ["sr", "progress", EXPIRED]);
    let s = invariant(&recorder);
    assert_eq!((s.expired, s.in_flight, s.finished), (2, 0, 0));

    // After expiry the ids are free: a late `ss` is handed on alone.
    let late = recorder
        .annotate(&stale, "stale", SERVER_SEND, None, 9_500)
        .unwrap()
        .unwrap();
    assert_eq!(values(&late), ["ss"]);
}

#[test]
fn full_span_expires_without_the_marker_but_with_the_drop_counted() {
    let mut recorder: Recorder<1, 1, 16> = Recorder::new().with_idle_timeout(0);
    recorder.annotate(&ctx(1, 1), "n", CLIENT_SEND, None, 1).unwrap();
    let mut out = Vec::new();
    assert_eq!(recorder.expire(2, |s| out.push(s)), 1);
    assert!(!out[0].has_annotation(EXPIRED));
    assert_eq!(out[0].dropped(), 1);
    assert_eq!(recorder.stats().annotations_dropped, 1);
}

#[test]
fn flush_all_hands_on_everything() {
    let mut recorder = STATIC_RECORDER.lock().unwrap();
    recorder.annotate(&ctx(5, 1), "a", CLIENT_SEND, None, 100).unwrap();
    recorder.annotate(&ctx(5, 2), "b", SERVER_RECV, None, 200).unwrap();
    let mut names = Vec::new();
    let count = recorder.flush_all(300, |span| {
        assert!(span.has_annotation(EXPIRED));
        names.push(span.name().to_string());
    });
    assert_eq!(count, 2);
    names.sort();
    assert_eq!(names, ["a", "b"]);
    let s = invariant(&recorder);
    assert_eq!((s.flushed, s.in_flight, s.expired), (2, 0, 0));
    assert_eq!(recorder.flush_all(400, |_| panic!("nothing left")), 0);
}

#[test]
fn unsampled_contexts_record_nothing() {
    let mut recorder: Recorder<1> = Recorder::new();
    let denied = SpanContext {
        sampling: Sampling::Deny,
        ..ctx(1, 1)
    };
    for t in 0..10 {
        assert!(recorder.annotate(&denied, "x", CLIENT_SEND, None, t).unwrap().is_none());
    }
    assert!(recorder
        .annotate(&denied, "x", CLIENT_RECV, None, 10)
        .unwrap()
        .is_none());
    let s = invariant(&recorder);
    assert_eq!((s.unsampled_skipped, s.started, s.refused_full), (11, 0, 0));

    // Debug records even when denied or deferred.
    let debug = SpanContext {
        debug: true,
        sampling: Sampling::Defer,
        ..ctx(1, 2)
    };
    recorder.annotate(&debug, "d", CLIENT_SEND, None, 20).unwrap();
    let span = recorder.annotate(&debug, "d", CLIENT_RECV, None, 30).unwrap().unwrap();
    assert!(span.debug());
}

#[test]
fn dropped_annotations_are_summed() {
    let mut recorder: Recorder<2, 2, 8> = Recorder::new();
    // The name is cut (one drop), the third annotation has no slot (another).
    recorder
        .annotate(&ctx(1, 1), "a-very-long-name", CLIENT_SEND, None, 1)
        .unwrap();
    recorder.annotate(&ctx(1, 1), "", "x", None, 2).unwrap();
    recorder.annotate(&ctx(1, 2), "b", SERVER_RECV, None, 3).unwrap();
    let a = recorder
        .annotate(&ctx(1, 1), "", CLIENT_RECV, None, 4)
        .unwrap()
        .unwrap();
    let b = recorder
        .annotate(&ctx(1, 2), "", SERVER_SEND, None, 5)
        .unwrap()
        .unwrap();
    assert_eq!(a.dropped(), 2);
    assert_eq!(b.dropped(), 0);
    assert_eq!(
        recorder.stats().annotations_dropped,
        u64::from(a.dropped() + b.dropped())
    );
    // The end annotation is still what timed the span.
    assert_eq!((a.timestamp(), a.duration()), (Some(1), Some(3)));
}

#[test]
fn probabilistic_sampler_agrees_across_instances_and_keeps_its_rate() {
    const IDS: usize = 100_000;
    let mut rng = SplitMix64(0x005e_ed0f_7e57);
    let ids: Vec<TraceId> = (0..IDS).map(|_| TraceId::generate64(&mut rng)).collect();

    for rate in [0.0001f32, 0.001, 0.01, 0.1, 0.25, 0.5, 0.9, 0.999] {
        // Two services configured in two ways.
        let mut here = Probabilistic::from_rate(rate);
        let mut there = Probabilistic::from_ppm((f64::from(rate) * 1e6).round() as u32);
        assert_eq!(here, there);
        let mut sampled = 0usize;
        for (i, &id) in ids.iter().enumerate() {
            let a = here.sample(id, i as u64);
            let b = there.sample(id, 7 * i as u64);
            assert_eq!(a, b, "services disagree on {id}");
            // The same id with another high half is the same decision (only the low 64 bits count).
            let wide = TraceId::new(0xfeed, id.low()).unwrap();
            assert_eq!(here.sample(wide, 0), a);
            sampled += usize::from(a);
        }
        let p = f64::from(here.ppm()) / 1e6;
        let expected = p * IDS as f64;
        let sigma = (IDS as f64 * p * (1.0 - p)).sqrt();
        let error = (sampled as f64 - expected).abs();
        assert!(
            error <= 5.0 * sigma + 1.0,
            "rate {rate}: {sampled} sampled, expected {expected} ± {sigma}"
        );
    }
}

#[test]
fn higher_rates_record_a_superset() {
    let mut rng = SplitMix64(42);
    let mut low = Probabilistic::from_rate(0.05);
    let mut high = Probabilistic::from_rate(0.2);
    for _ in 0..20_000 {
        let id = TraceId::generate128(&mut rng);
        if low.sample(id, 0) {
            assert!(high.sample(id, 0));
        }
    }
    assert!((0..1_000).all(|i| !Probabilistic::from_rate(0.0).samples(TraceId::from_u64(i + 1).unwrap())));
    assert!((0..1_000).all(|i| Probabilistic::from_rate(1.0).samples(TraceId::from_u64(i + 1).unwrap())));
}

#[test]
fn rate_limiter_allows_n_per_second_then_recovers() {
    let id = TraceId::from_u64(1).unwrap();
    let mut limit = RateLimited::new(5);
    let second = 1_700_000_000_000_000u64;
    let allowed = (0..20).filter(|i| limit.sample(id, second + i * 10_000)).count();
    assert_eq!(allowed, 5);
    assert!(!limit.sample(id, second + 999_999), "still the same second");
    let allowed = (0..20)
        .filter(|i| limit.sample(id, second + 1_000_000 + i * 40_000))
        .count();
    assert_eq!(allowed, 5, "the next second has a fresh allowance");
    // A quiet spell, then a new second: again exactly five.
    let later = second + 60_000_000;
    let allowed = (0..6).filter(|_| limit.sample(id, later)).count();
    assert_eq!(allowed, 5);
}

#[test]
fn decision_table() {
    let id = TraceId::from_u64(999).unwrap();
    // (upstream sampling, debug, local sampler says, expected decision)
    let table = [
        (Sampling::Accept, false, false, true),
        (Sampling::Accept, false, true, true),
        (Sampling::Deny, false, false, false),
        (Sampling::Deny, false, true, false),
        (Sampling::Defer, false, false, false),
        (Sampling::Defer, false, true, true),
        (Sampling::Accept, true, false, true),
        (Sampling::Deny, true, false, true),
        (Sampling::Defer, true, false, true),
    ];
    for (sampling, debug, local, expected) in table {
        let mut sampler: &mut dyn Sampler = if local { &mut Always } else { &mut Never };
        assert_eq!(
            decide(sampling, debug, &mut sampler, id, 0),
            expected,
            "{sampling:?} debug={debug} local={local}"
        );

        let mut ctx = SpanContext {
            sampling,
            debug,
            ..SpanContext::root_of(id, SpanId::new(1).unwrap(), sampling)
        };
        assert_eq!(decide_context(&mut ctx, &mut sampler, 0), expected);
        assert_eq!(ctx.is_sampled(), Some(expected), "the context now carries the decision");
        let written = if sampling == Sampling::Defer && !debug {
            Sampling::from(local)
        } else {
            sampling
        };
        assert_eq!(ctx.sampling, written);
    }
}

#[test]
fn only_deferred_traces_consume_the_rate_limit() {
    let mut limit = RateLimited::new(1);
    let id = TraceId::from_u64(3).unwrap();
    for sampling in [Sampling::Accept, Sampling::Deny, Sampling::Accept] {
        decide(sampling, false, &mut limit, id, 0);
    }
    assert!(decide(Sampling::Defer, false, &mut limit, id, 0));
    assert!(!decide(Sampling::Defer, false, &mut limit, id, 0));
}

#[derive(Debug, Clone)]
enum Op {
    Annotate { span: u64, end: bool, at: u64 },
    Expire { at: u64 },
    Flush { at: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u64..6, any::<bool>(), 0u64..1_000).prop_map(|(span, end, at)| Op::Annotate { span, end, at }),
        1 => (0u64..1_000).prop_map(|at| Op::Expire { at }),
        1 => (0u64..1_000).prop_map(|at| Op::Flush { at }),
    ]
}

proptest! {
    #[test]
    fn every_started_span_leaves_once(ops in proptest::collection::vec(op(), 0..60)) {
        let mut recorder: Recorder<3, 3, 16> = Recorder::new().with_idle_timeout(100);
        let mut handed_on = 0u64;
        for op in ops {
            match op {
                Op::Annotate { span, end, at } => {
                    let value = if end { CLIENT_RECV } else { CLIENT_SEND };
                    match recorder.annotate(&ctx(1, span), "op", value, None, at) {
                        Ok(Some(s)) => {
                            prop_assert!(end);
                            prop_assert!(s.duration().unwrap() >= 1);
                            handed_on += 1;
                        }
                        Ok(None) => prop_assert!(!end),
                        Err(RecordError::Full) => prop_assert_eq!(recorder.in_flight(), 3),
                    }
                }
                Op::Expire { at } => handed_on += recorder.expire(at, |_| {}) as u64,
                Op::Flush { at } => handed_on += recorder.flush_all(at, |_| {}) as u64,
            }
            let s = invariant(&recorder);
            prop_assert_eq!(handed_on, s.finished + s.expired + s.flushed);
            prop_assert!(s.in_flight <= 3);
        }
    }
}

#[test]
fn shared_server_spans_leave_their_times_to_the_client() {
    use tryfer_core::annotation::{SERVER_RECV, SERVER_SEND};
    let ctx = SpanContext::root_of(TraceId::from_u64(7).unwrap(), SpanId::new(8).unwrap(), Sampling::Accept);
    let mut recorder: Recorder<2> = Recorder::new();
    assert!(!recorder.mark_shared(&ctx));
    recorder.annotate(&ctx, "GET", SERVER_RECV, None, 100).unwrap();
    assert!(recorder.mark_shared(&ctx));
    let span = recorder.annotate(&ctx, "GET", SERVER_SEND, None, 300).unwrap().unwrap();
    assert!(span.shared());
    assert_eq!((span.timestamp(), span.duration()), (None, None));
}
