//! Every case of tests/data/b3-vectors.json (spec text, Brave, OpenTelemetry-Python), extract and inject, plus
//! property tests: arbitrary header bytes never panic, and inject-then-extract round-trips any context.
//!
//! Cases where we knowingly differ from the vector (and cases the file marks `lenient` or `divergent`) are listed
//! in [`KNOWN`] with our documented behaviour and why; the test fails if a listed case stops diverging, if a
//! marked case is not listed, or if any other case diverges.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;
use tryfer_core::b3::{self, B3Error, Extracted, Format};
use tryfer_core::{Sampling, SpanContext, SpanId, TraceId};

const VECTORS: &str = include_str!("../../tests/data/b3-vectors.json");

/// What a case expects, or what we produced, in the vectors' terms (ids as lower-hex text).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// No context extracted (malformed input, or nothing there).
    Invalid,
    /// A context or a sampling-only decision (ids `None`).
    Ctx {
        trace: Option<String>,
        span: Option<String>,
        parent: Option<String>,
        sampled: Option<bool>,
        debug: bool,
    },
}

/// Our documented behaviour for a case listed in [`KNOWN`].
#[derive(Debug, Clone, Copy)]
enum Ours {
    /// The case is marked lenient/divergent, and we do what it expects.
    Agrees,
    /// We reject the input with this error, where the vector extracts a context.
    Rejects(B3Error),
    /// We extract the same ids, but our sampled value (after the group's mapping) is this.
    Sampled(Option<bool>),
    /// We inject the same headers, except this one has this value.
    Header(&'static str, &'static str),
}

struct Known {
    group: &'static str,
    index: usize,
    /// A header (case-insensitive name, exact value) the case must have, so a reordered file cannot silently
    /// attach an entry to the wrong case: from `headers` for extract, `expect_headers` for inject.
    guard: (&'static str, &'static str),
    ours: Ours,
    why: &'static str,
}

const KNOWN: &[Known] = &[
    Known {
        group: "brave-single",
        index: 8,
        guard: ("b3", "1234567890123451-1234567890123453-1234567890123452"),
        ours: Ours::Agrees,
        why: "divergent `t-s-p`: we accept it as a deferred child, as Brave does (zipkin-go rejects it); never emitted",
    },
    Known {
        group: "brave-multi",
        index: 17,
        guard: ("b3", "0000000000000001-0000000000000003-0000000000000002"),
        ours: Ours::Header("b3", "0000000000000001-0000000000000003"),
        why: "Brave emits `t-s-p` for a deferred child; we never emit it (divergent reading) and drop the parent",
    },
    Known {
        group: "otel-python",
        index: 1,
        guard: ("b3", "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"),
        ours: Ours::Sampled(Some(false)),
        why: "Python treats a `b3` without sampling state as sampled; we keep it deferred (not OTel-sampled)",
    },
    Known {
        group: "otel-python",
        index: 3,
        guard: ("b3", "0af7651916cd43dd8448eb211c803123-b7ad6b7169203331"),
        ours: Ours::Sampled(Some(false)),
        why: "same Python rule as case 1 (unmarked in the file): `b3` wins, and without sampling state it defers",
    },
    Known {
        group: "otel-python",
        index: 4,
        guard: ("x-b3-sampled", "1"),
        ours: Ours::Agrees,
        why: "marked lenient only because it shares Python's loop over lenient values; `1` is the spec's value",
    },
    Known {
        group: "otel-python",
        index: 5,
        guard: ("x-b3-sampled", "True"),
        ours: Ours::Agrees,
        why: "lenient: we accept `true`/`false` in any case from old clients (Brave does too), never send them",
    },
    Known {
        group: "otel-python",
        index: 6,
        guard: ("x-b3-sampled", "true"),
        ours: Ours::Agrees,
        why: "lenient: `true` accepted from old clients, never sent",
    },
    Known {
        group: "otel-python",
        index: 7,
        guard: ("x-b3-sampled", "d"),
        ours: Ours::Rejects(B3Error::Sampled),
        why: "lenient in Python; we reject `X-B3-Sampled: d` as Brave does (`d` belongs to `b3`, debug to X-B3-Flags)",
    },
    Known {
        group: "otel-python",
        index: 19,
        guard: ("x-b3-traceid", "00000000000000000af7651916cd43dd"),
        ours: Ours::Header("x-b3-traceid", "0af7651916cd43dd"),
        why: "Python zero-pads a 64-bit trace id to 32 chars; we send 16, as Brave does (the same trace either way)",
    },
];

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn seen_from_json(expect: &Value) -> Seen {
    if expect.as_str() == Some("invalid") {
        return Seen::Invalid;
    }
    Seen::Ctx {
        trace: text(&expect["trace_id"]),
        span: text(&expect["span_id"]),
        parent: text(&expect["parent_id"]),
        sampled: expect["sampled"].as_bool(),
        debug: expect["debug"].as_bool().unwrap(),
    }
}

/// Our result in the group's terms. OTel has no defer and drops debug and the parent: its `sampled` is the
/// SAMPLED trace flag, which for us is `debug || accept`.
fn seen_from_ours(result: Result<Extracted, B3Error>, otel: bool) -> Seen {
    let seen = match result {
        Err(_) | Ok(Extracted::Empty) => Seen::Invalid,
        Ok(Extracted::Sampling { sampling, debug }) => Seen::Ctx {
            trace: None,
            span: None,
            parent: None,
            sampled: sampling.decision(),
            debug,
        },
        Ok(Extracted::Context(c)) => Seen::Ctx {
            trace: Some(c.trace_id.to_hex().to_string()),
            span: Some(c.span_id.to_hex().to_string()),
            parent: c.parent_id.map(|p| p.to_hex().to_string()),
            sampled: c.sampling.decision(),
            debug: c.debug,
        },
    };
    match seen {
        Seen::Ctx {
            trace,
            span,
            sampled,
            debug,
            ..
        } if otel => Seen::Ctx {
            trace,
            span,
            parent: None,
            sampled: Some(debug || sampled == Some(true)),
            debug: false,
        },
        other => other,
    }
}

fn headers_of(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

fn has_header(headers: &[(String, String)], (name, value): (&str, &str)) -> bool {
    headers.iter().any(|(n, v)| n.eq_ignore_ascii_case(name) && v == value)
}

/// Header names lower-cased (HTTP names are case-insensitive) mapped to values; duplicates are an error.
fn header_map(headers: &[(String, String)]) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for (n, v) in headers {
        if map.insert(n.to_ascii_lowercase(), v.clone()).is_some() {
            return Err(format!("header {n} sent twice"));
        }
    }
    Ok(map)
}

fn context_from_json(c: &Value) -> SpanContext {
    let sampling = match c["sampled"].as_bool() {
        Some(s) => Sampling::from(s),
        None => Sampling::Defer,
    };
    SpanContext {
        trace_id: TraceId::parse(c["trace_id"].as_str().unwrap()).unwrap(),
        span_id: SpanId::parse(c["span_id"].as_str().unwrap()).unwrap(),
        parent_id: c["parent_id"].as_str().map(|p| SpanId::parse(p).unwrap()),
        sampling,
        debug: c["debug"].as_bool().unwrap(),
    }
}

/// Runs an inject case: the forms are the ones the expected headers show (a note naming Brave's
/// "without parent" writer selects [`Format::SingleNoParent`]).
fn inject_case(case: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut sink = |name: &'static str, value: &str| {
        assert!(
            [
                b3::B3,
                b3::TRACE_ID,
                b3::SPAN_ID,
                b3::PARENT_SPAN_ID,
                b3::SAMPLED,
                b3::FLAGS
            ]
            .contains(&name),
            "non-canonical header name {name}"
        );
        out.push((name.to_owned(), value.to_owned()));
    };
    let c = &case["context"];
    let expected = header_map(&headers_of(&case["expect_headers"])).unwrap();
    if c["trace_id"].is_null() {
        let sampling = c["sampled"].as_bool().map_or(Sampling::Defer, Sampling::from);
        b3::inject_sampling(sampling, c["debug"].as_bool().unwrap(), &mut sink);
        return out;
    }
    let context = context_from_json(c);
    if expected.contains_key("x-b3-traceid") {
        b3::inject(&context, Format::Multi, &mut sink);
    }
    if expected.contains_key("b3") {
        let note = case["note"].as_str().unwrap_or("");
        let no_parent = note.contains("WithoutParentId") || note.contains("NO_PARENT");
        b3::inject(
            &context,
            if no_parent {
                Format::SingleNoParent
            } else {
                Format::Single
            },
            &mut sink,
        );
    }
    out
}

#[test]
fn every_vector() {
    let doc: Value = serde_json::from_str(VECTORS).unwrap();
    let mut failures = Vec::new();
    let mut used = vec![false; KNOWN.len()];
    let (mut extracts, mut injects) = (0, 0);

    for group in doc["groups"].as_array().unwrap() {
        let name = group["group"].as_str().unwrap();
        let otel = name == "otel-python";
        for (index, case) in group["cases"].as_array().unwrap().iter().enumerate() {
            let id = format!("{name}#{index}");
            let marked = case["lenient"].as_bool() == Some(true) || case["divergent"].as_bool() == Some(true);
            let known = KNOWN.iter().position(|k| k.group == name && k.index == index);
            if let Some(k) = known {
                used[k] = true;
            } else if marked {
                failures.push(format!("{id}: marked lenient/divergent but not listed in KNOWN"));
                continue;
            }
            let known = known.map(|k| &KNOWN[k]);

            match case["direction"].as_str().unwrap() {
                "extract" => {
                    extracts += 1;
                    let owned = headers_of(&case["headers"]);
                    let pairs: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                    let result = b3::extract(pairs.as_slice());
                    let ours = seen_from_ours(result, otel);
                    let expect = seen_from_json(&case["expect"]);
                    if let Some(k) = known {
                        if !has_header(&owned, k.guard) {
                            failures.push(format!("{id}: KNOWN guard {:?} not in the case's headers", k.guard));
                            continue;
                        }
                    }
                    match known.map(|k| k.ours) {
                        None | Some(Ours::Agrees) => {
                            if ours != expect {
                                failures.push(format!("{id}: expected {expect:?}, got {ours:?} from {result:?}"));
                            }
                        }
                        Some(Ours::Rejects(error)) => {
                            if result != Err(error) || expect == Seen::Invalid {
                                failures.push(format!("{id}: documented rejection {error:?}, got {result:?}"));
                            }
                        }
                        Some(Ours::Sampled(sampled)) => {
                            let mut adjusted = expect.clone();
                            if let Seen::Ctx { sampled: s, .. } = &mut adjusted {
                                *s = sampled;
                            }
                            if ours != adjusted || adjusted == expect {
                                failures.push(format!("{id}: documented sampled={sampled:?}, got {ours:?}"));
                            }
                        }
                        Some(Ours::Header(..)) => failures.push(format!("{id}: Header divergence on an extract")),
                    }
                }
                "inject" => {
                    injects += 1;
                    let expect_headers = headers_of(&case["expect_headers"]);
                    if let Some(k) = known {
                        if !has_header(&expect_headers, k.guard) {
                            failures.push(format!("{id}: KNOWN guard {:?} not in expect_headers", k.guard));
                            continue;
                        }
                    }
                    let ours = match header_map(&inject_case(case)) {
                        Ok(map) => map,
                        Err(e) => {
                            failures.push(format!("{id}: {e}"));
                            continue;
                        }
                    };
                    let mut expect = header_map(&expect_headers).unwrap();
                    match known.map(|k| k.ours) {
                        None | Some(Ours::Agrees) => {}
                        Some(Ours::Header(header, value)) => {
                            let old = expect.insert(header.to_ascii_lowercase(), value.to_owned());
                            if old.as_deref() == Some(value) {
                                failures.push(format!("{id}: listed as divergent but the vector agrees"));
                            }
                        }
                        Some(other) => failures.push(format!("{id}: {other:?} divergence on an inject")),
                    }
                    if ours != expect {
                        failures.push(format!("{id}: expected headers {expect:?}, got {ours:?}"));
                    }
                }
                other => failures.push(format!("{id}: unknown direction {other}")),
            }
        }
    }
    for (k, used) in KNOWN.iter().zip(used) {
        if !used {
            failures.push(format!("KNOWN {}#{} matches no case ({})", k.group, k.index, k.why));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The file holds 90 extract and 16 inject cases; all of them ran.
    assert_eq!((extracts, injects), (90, 16));
}

// ---- properties ----

const NAMES: [&str; 6] = [
    b3::B3,
    b3::TRACE_ID,
    b3::SPAN_ID,
    b3::PARENT_SPAN_ID,
    b3::SAMPLED,
    b3::FLAGS,
];

/// Header bytes: anything at all, or text close enough to B3 to reach the deeper parsing paths.
fn header_bytes() -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::weighted(
        0.7,
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..80),
            "[0-9a-fA-F-]{0,72}".prop_map(String::into_bytes),
            "(0|1|d|D|true|FALSE|[0-9a-f]{16}|[0-9a-f]{32}|0{16})".prop_map(String::into_bytes),
            "[0-9a-f]{16,32}-[0-9a-f]{16}(-[01d](-[0-9a-f]{16})?)?-?".prop_map(String::into_bytes),
        ],
    )
}

fn context() -> impl Strategy<Value = SpanContext> {
    (
        any::<(u64, u64)>().prop_filter_map("zero trace id", |(h, l)| TraceId::new(h, l)),
        any::<u64>().prop_filter_map("zero span id", SpanId::new),
        proptest::option::of(any::<u64>().prop_filter_map("zero parent", SpanId::new)),
        prop_oneof![Just(Sampling::Accept), Just(Sampling::Deny), Just(Sampling::Defer)],
        any::<bool>(),
    )
        .prop_map(|(trace_id, span_id, parent_id, sampling, debug)| SpanContext {
            trace_id,
            span_id,
            parent_id,
            sampling,
            debug,
        })
}

fn sent(context: &SpanContext, format: Format, upper: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    b3::inject(context, format, &mut |name: &'static str, value: &str| {
        let name = if upper {
            name.to_ascii_uppercase()
        } else {
            name.to_owned()
        };
        out.push((name, value.to_owned()));
    });
    out
}

fn extract_pairs(headers: &[(String, String)]) -> Result<Extracted, B3Error> {
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    b3::extract(pairs.as_slice())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_header_bytes_never_panic(values in proptest::array::uniform6(header_bytes())) {
        let source = |name: &str| {
            NAMES.iter().zip(&values).find(|(n, _)| n.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_deref())
        };
        match b3::extract(&source) {
            Ok(Extracted::Context(c)) => {
                // Whatever we accept, we can send on and read back as the same trace and span.
                for format in [Format::Multi, Format::Single] {
                    let back = extract_pairs(&sent(&c, format, false)).unwrap().context().unwrap();
                    prop_assert_eq!((back.trace_id, back.span_id), (c.trace_id, c.span_id));
                }
            }
            Ok(_) => {}
            Err(e) => {
                prop_assert!(NAMES.contains(&e.header()));
                prop_assert!(!e.to_string().is_empty());
            }
        }
        if let Some(single) = &values[0] {
            // `b3` decides alone whenever it is present, whatever the other headers say.
            prop_assert_eq!(b3::extract(&source), b3::extract_single(single));
            if single.len() > b3::B3_MAX_LEN {
                prop_assert_eq!(b3::extract_single(single), Err(B3Error::SingleTooLong));
            }
        }
    }

    #[test]
    fn inject_then_extract_round_trips(context in context(), upper in any::<bool>()) {
        // Debug is sent alone (`X-B3-Flags: 1`, `-d`), so the receiver sees debug with a deferred decision.
        let debug_normalised = SpanContext {
            sampling: if context.debug { Sampling::Defer } else { context.sampling },
            ..context
        };
        let multi = extract_pairs(&sent(&context, Format::Multi, upper));
        prop_assert_eq!(multi, Ok(Extracted::Context(debug_normalised)));

        // `b3` carries no parent while deferred (we never emit `t-s-p`).
        let deferred = !context.debug && context.sampling == Sampling::Defer;
        let single = extract_pairs(&sent(&context, Format::Single, upper));
        let parent_id = if deferred { None } else { context.parent_id };
        prop_assert_eq!(single, Ok(Extracted::Context(SpanContext { parent_id, ..debug_normalised })));
        let value = b3::B3Value::of(&context);
        prop_assert!(value.len() <= b3::B3_MAX_LEN);

        let no_parent = extract_pairs(&sent(&context, Format::SingleNoParent, upper));
        prop_assert_eq!(no_parent, Ok(Extracted::Context(SpanContext { parent_id: None, ..debug_normalised })));

        // Both forms together: `b3` wins and agrees with the multi headers on everything it carries.
        let mut both = sent(&context, Format::Multi, upper);
        both.extend(sent(&context, Format::SingleNoParent, upper));
        prop_assert_eq!(extract_pairs(&both), no_parent);
    }
}
