use super::*;
use crate::id::{IdError, SpanId, TraceId};
use crate::{Sampling, SpanContext};

const T: &str = "1234567890123451";
const S: &str = "1234567890123453";
const P: &str = "1234567890123452";

fn ctx(sampling: Sampling, debug: bool, parent: Option<u64>) -> SpanContext {
    SpanContext {
        trace_id: TraceId::from_u64(0x1234567890123451).unwrap(),
        span_id: SpanId::new(0x1234567890123453).unwrap(),
        parent_id: parent.and_then(SpanId::new),
        sampling,
        debug,
    }
}

fn sent(context: &SpanContext, format: Format) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    inject(context, format, &mut |name: &'static str, value: &str| {
        out.push((name, value.to_owned()))
    });
    out
}

#[test]
fn malformed_b3_wins_over_valid_multi_headers() {
    let headers = [("b3", "1234567890123451-"), ("X-B3-TraceId", T), ("X-B3-SpanId", S)];
    assert_eq!(extract(&headers), Err(B3Error::SingleEmptyField));
    // Brave's fallback is available explicitly.
    let fallback = extract(&headers).or_else(|_| extract_multi(&headers)).unwrap();
    assert_eq!(fallback, Extracted::Context(ctx(Sampling::Defer, false, None)));
}

#[test]
fn single_header_structure_errors_name_the_fault_not_the_value() {
    let long = format!("{T}{T}-{S}-1-{P}");
    assert_eq!(long.len(), B3_MAX_LEN);
    assert!(extract_single(long.as_bytes()).is_ok());
    let too_long = format!("{long}0");
    assert_eq!(extract_single(too_long.as_bytes()), Err(B3Error::SingleTooLong));
    assert_eq!(extract_single(b"a-b-c-d-e"), Err(B3Error::SingleTooManyFields));
    assert_eq!(
        extract_single(format!("{T}-{S}--{P}").as_bytes()),
        Err(B3Error::SingleEmptyField)
    );
    assert_eq!(
        extract_single(format!("{T}-{S}-11-{P}").as_bytes()),
        Err(B3Error::SingleSampling)
    );
    assert_eq!(extract_single(b"D"), Err(B3Error::SingleSampling));
    assert_eq!(extract_single(T.as_bytes()), Err(B3Error::SingleSampling));
    let bad = format!("{T}-{S}-1-12345678901234zz");
    let err = extract_single(bad.as_bytes()).unwrap_err();
    assert_eq!(err, B3Error::SingleParentId(IdError::NotLowerHex));
    let text = err.to_string();
    assert!(text.starts_with("b3: parent id") && !text.contains("zz"), "{text}");
    // t-s-p is a deferred child; an all-zero parent is no parent.
    assert_eq!(
        extract_single(format!("{T}-{S}-{P}").as_bytes()),
        Ok(Extracted::Context(ctx(
            Sampling::Defer,
            false,
            Some(0x1234567890123452)
        )))
    );
    assert_eq!(
        extract_single(format!("{T}-{S}-d-0000000000000000").as_bytes()),
        Ok(Extracted::Context(ctx(Sampling::Defer, true, None)))
    );
}

#[test]
fn multi_header_sampling_and_missing_ids() {
    let with = |sampled: &'static str| [("x-b3-traceid", T), ("X-B3-SPANID", S), ("X-B3-Sampled", sampled)];
    assert_eq!(extract(&with("d")), Err(B3Error::Sampled));
    assert_eq!(
        extract(&with("TRUE")),
        Ok(Extracted::Context(ctx(Sampling::Accept, false, None)))
    );
    assert_eq!(
        extract(&with("False")),
        Ok(Extracted::Context(ctx(Sampling::Deny, false, None)))
    );
    assert_eq!(
        extract(&[("X-B3-Flags", "2"), ("X-B3-Sampled", "0")]),
        Ok(Extracted::Sampling {
            sampling: Sampling::Deny,
            debug: false
        })
    );
    assert_eq!(extract(&[("X-B3-Flags", "0")]), Ok(Extracted::Empty));
    assert_eq!(extract(&[("X-B3-ParentSpanId", P)]), Err(B3Error::MissingTraceId));
    assert_eq!(extract(&[("X-B3-TraceId", T)]), Err(B3Error::MissingSpanId));
    assert_eq!(B3Error::MissingSpanId.header(), SPAN_ID);
    let first_wins = [
        ("X-B3-TraceId", T),
        ("X-B3-SpanId", S),
        ("x-b3-spanid", "0"),
        ("X-B3-ParentSpanId", "0000000000000000"),
    ];
    assert_eq!(
        extract(&first_wins),
        Ok(Extracted::Context(ctx(Sampling::Defer, false, None)))
    );
}

#[test]
fn inject_never_sends_sampled_with_debug_nor_parent_without_state() {
    let debug = ctx(Sampling::Deny, true, Some(0x1234567890123452));
    assert_eq!(
        sent(&debug, Format::Multi),
        [
            (TRACE_ID, T.to_owned()),
            (SPAN_ID, S.to_owned()),
            (PARENT_SPAN_ID, P.to_owned()),
            (FLAGS, "1".to_owned())
        ]
    );
    assert_eq!(sent(&debug, Format::Single), [(B3, format!("{T}-{S}-d-{P}"))]);
    let deferred = ctx(Sampling::Defer, false, Some(0x1234567890123452));
    assert_eq!(sent(&deferred, Format::Single), [(B3, format!("{T}-{S}"))]);
    let mut out = Vec::new();
    inject_sampling(Sampling::Defer, false, &mut |n: &'static str, v: &str| {
        out.push((n, v.to_owned()))
    });
    assert!(out.is_empty());
    inject_sampling(Sampling::Defer, true, &mut |n: &'static str, v: &str| {
        out.push((n, v.to_owned()))
    });
    assert_eq!(out, [(B3, "d".to_owned())]);
}

proptest::proptest! {
    #[test]
    fn reading_by_position_agrees_with_splitting(
        value in "([0-9a-f]{16}|[0-9a-f]{32}|[0-9a-f-]{15,33})(-[0-9a-f]{16}|-[0-9a-f-]{15,17})?\
                  (-[01d]|-[01dx-]{1,2})?(-[0-9a-f]{16}|-0{16}|-[0-9a-f-]{15,17})?-?",
    ) {
        proptest::prop_assert_eq!(
            extract::extract_single(value.as_bytes()),
            extract::single_by_fields(value.as_bytes())
        );
    }
}
