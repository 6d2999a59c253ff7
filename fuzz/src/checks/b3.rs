//! B3 extraction. `single` reads the input as one `b3` value; `multi` builds a set of request headers from it.
//! Whatever is extracted is injected again, in every format, and must read back as the same context.

use tryfer_core::b3::{self, Extracted, Format, B3_MAX_LEN, FLAGS, PARENT_SPAN_ID, SAMPLED, SPAN_ID, TRACE_ID};
use tryfer_core::{Sampling, SpanContext};

/// The `b3_single` target: the input is one `b3` header value.
pub fn single(data: &[u8]) {
    let result = b3::extract_single(data);
    let only_b3 = |name: &str| name.eq_ignore_ascii_case(b3::B3).then_some(data);
    assert_eq!(b3::extract(&only_b3), result, "extract and extract_single disagree");
    match result {
        Ok(Extracted::Context(context)) => {
            assert!(data.len() <= B3_MAX_LEN, "a {}-byte b3 value was accepted", data.len());
            survives_injection(&context);
        }
        Ok(Extracted::Sampling { .. }) => assert_eq!(data.len(), 1, "a sampling-only b3 is one character"),
        Ok(Extracted::Empty) => panic!("extract_single gave Empty"),
        Err(error) => {
            assert_eq!(error.header(), b3::B3, "a b3 error names another header");
            let _ = error.to_string();
        }
    }
}

/// Header names the `b3_multi` input picks from (the last is not B3).
const NAMES: [&str; 8] = [
    b3::B3,
    TRACE_ID,
    SPAN_ID,
    PARENT_SPAN_ID,
    SAMPLED,
    FLAGS,
    "X-B3-Other",
    "Content-Type",
];

/// The headers a `b3_multi` input stands for: lines (split at `\n`) whose first byte picks a name (low 3 bits)
/// and its case (the other 5 bits flip the case of the name's first letters), the rest being the value.
pub fn headers(data: &[u8]) -> Vec<(String, &[u8])> {
    data.split(|&b| b == b'\n')
        .filter_map(|line| {
            let (&selector, value) = line.split_first()?;
            let name = NAMES[usize::from(selector % 8)];
            let flips = selector >> 3;
            let name = name
                .chars()
                .enumerate()
                .map(|(i, c)| match (i < 5 && flips >> i & 1 == 1, c.is_ascii_uppercase()) {
                    (false, _) => c,
                    (true, true) => c.to_ascii_lowercase(),
                    (true, false) => c.to_ascii_uppercase(),
                })
                .collect();
            Some((name, value))
        })
        .collect()
}

/// The `b3_multi` target: the input is a set of request headers (see [`headers`]).
pub fn multi(data: &[u8]) {
    let headers = headers(data);
    let source = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    let multi = b3::extract_multi(&source);
    match source(b3::B3) {
        Some(value) => assert_eq!(b3::extract(&source), b3::extract_single(value), "b3 does not win"),
        None => assert_eq!(b3::extract(&source), multi, "extract without b3 is not extract_multi"),
    }
    match multi {
        Ok(Extracted::Context(context)) => {
            assert!(source(TRACE_ID).is_some() && source(SPAN_ID).is_some());
            survives_injection(&context);
        }
        Ok(sampling @ Extracted::Sampling { sampling: state, debug }) => {
            assert!(source(TRACE_ID).is_none() && source(SPAN_ID).is_none() && source(PARENT_SPAN_ID).is_none());
            let sent = injected_sampling(state, debug);
            let back = b3::extract(&pairs(&sent)[..]);
            let Ok(back @ Extracted::Sampling { debug: back_debug, .. }) = back else {
                panic!("{sampling:?} was injected as {sent:?}, which reads back as {back:?}")
            };
            assert_eq!(
                (back.is_sampled(), back_debug),
                (sampling.is_sampled(), debug),
                "{sent:?}"
            );
        }
        Ok(Extracted::Empty) => {
            for name in [TRACE_ID, SPAN_ID, PARENT_SPAN_ID, SAMPLED] {
                assert!(source(name).is_none(), "{name} was present, yet nothing was extracted");
            }
        }
        Err(error) => {
            assert_ne!(error.header(), b3::B3, "extract_multi blamed the b3 header");
            let _ = error.to_string();
        }
    }
}

/// The headers [`b3::inject`] writes for `context` in `format`, owned.
fn injected(context: &SpanContext, format: Format) -> Vec<(&'static str, String)> {
    let mut sent = Vec::new();
    b3::inject(context, format, &mut |name: &'static str, value: &str| {
        sent.push((name, value.to_owned()))
    });
    sent
}

/// The headers [`b3::inject_sampling`] writes, owned.
fn injected_sampling(sampling: Sampling, debug: bool) -> Vec<(&'static str, String)> {
    let mut sent = Vec::new();
    b3::inject_sampling(sampling, debug, &mut |name: &'static str, value: &str| {
        sent.push((name, value.to_owned()))
    });
    sent
}

fn pairs<'a>(sent: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    sent.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// Injects `context` in each format and reads it back: ids, debug and the sampling decision survive, and the
/// parent survives where the format carries it.
fn survives_injection(context: &SpanContext) {
    for format in [Format::Multi, Format::Single, Format::SingleNoParent] {
        let sent = injected(context, format);
        for (name, value) in &sent {
            assert!(value.len() <= B3_MAX_LEN, "{name}: {value} is too long");
            assert!(
                value.bytes().all(|b| b"0123456789abcdef-d".contains(&b)),
                "{name}: {value}"
            );
        }
        let back = b3::extract(&pairs(&sent)[..]);
        let Ok(Extracted::Context(back)) = back else {
            panic!("{context:?} was injected as {sent:?}, which reads back as {back:?}")
        };
        let parent = match format {
            Format::Multi => context.parent_id,
            Format::Single if context.debug || context.sampling.decision().is_some() => context.parent_id,
            Format::Single | Format::SingleNoParent => None,
        };
        assert_eq!(
            (
                back.trace_id,
                back.span_id,
                back.parent_id,
                back.debug,
                back.is_sampled()
            ),
            (
                context.trace_id,
                context.span_id,
                parent,
                context.debug,
                context.is_sampled()
            ),
            "{context:?} was injected as {sent:?}"
        );
    }
}
