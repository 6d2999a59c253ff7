//! Every extract and inject case of b3-vectors.json on ARM, judged as core/tests/b3_vectors.rs judges them.
//!
//! Cases where the core knowingly differs from a vector (and every case marked `lenient` or `divergent`) are
//! listed in [`KNOWN`] with the core's documented behaviour: a listed case fails if it stops diverging, a marked
//! case fails if it is not listed, and any other case must match exactly. [`KNOWN`] is a copy of the host
//! test's table (same group, index, guard and behaviour): change both together.

use core::fmt;

use tryfer_core::b3::{self, B3Error, Extracted, Format, HeaderSink};
use tryfer_core::{Sampling, SpanContext, SpanId, TraceId};

use crate::data::{B3Case, B3Context, B3Direction, B3_VECTORS};
use crate::runner::{Failure, Outcome, Runner};

/// Lower-hex id text (up to 32 digits).
type Id = heapless::String<32>;

/// What a case expects, or what the core produced, in the vectors' terms.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// No context extracted (malformed input, or nothing there).
    Invalid,
    /// A context, or a sampling-only decision (ids `None`).
    Ctx {
        trace: Option<Id>,
        span: Option<Id>,
        parent: Option<Id>,
        sampled: Option<bool>,
        debug: bool,
    },
}

/// The core's documented behaviour for a case listed in [`KNOWN`].
#[derive(Debug, Clone, Copy)]
enum Ours {
    /// The case is marked lenient/divergent, and the core does what it expects.
    Agrees,
    /// The core rejects the input with this error, where the vector extracts a context.
    Rejects(B3Error),
    /// The core extracts the same ids, but its sampled value (after the group's mapping) is this.
    Sampled(Option<bool>),
    /// The core injects the same headers, except this one has this value.
    Header(&'static str, &'static str),
}

struct Known {
    group: &'static str,
    index: usize,
    /// A header (case-insensitive name, exact value) the case must have, so that a reordered file cannot attach
    /// an entry to the wrong case: from `headers` for extract, `expect_headers` for inject.
    guard: (&'static str, &'static str),
    ours: Ours,
}

/// Copied from core/tests/b3_vectors.rs (where each entry says why).
const KNOWN: &[Known] = &[
    Known {
        group: "brave-single",
        index: 8,
        guard: ("b3", "1234567890123451-1234567890123453-1234567890123452"),
        ours: Ours::Agrees,
    },
    Known {
        group: "brave-multi",
        index: 17,
        guard: ("b3", "0000000000000001-0000000000000003-0000000000000002"),
        ours: Ours::Header("b3", "0000000000000001-0000000000000003"),
    },
    Known {
        group: "otel-python",
        index: 1,
        guard: ("b3", "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"),
        ours: Ours::Sampled(Some(false)),
    },
    Known {
        group: "otel-python",
        index: 3,
        guard: ("b3", "0af7651916cd43dd8448eb211c803123-b7ad6b7169203331"),
        ours: Ours::Sampled(Some(false)),
    },
    Known {
        group: "otel-python",
        index: 4,
        guard: ("x-b3-sampled", "1"),
        ours: Ours::Agrees,
    },
    Known {
        group: "otel-python",
        index: 5,
        guard: ("x-b3-sampled", "True"),
        ours: Ours::Agrees,
    },
    Known {
        group: "otel-python",
        index: 6,
        guard: ("x-b3-sampled", "true"),
        ours: Ours::Agrees,
    },
    Known {
        group: "otel-python",
        index: 7,
        guard: ("x-b3-sampled", "d"),
        ours: Ours::Rejects(B3Error::Sampled),
    },
    Known {
        group: "otel-python",
        index: 19,
        guard: ("x-b3-traceid", "00000000000000000af7651916cd43dd"),
        ours: Ours::Header("x-b3-traceid", "0af7651916cd43dd"),
    },
];

/// The host test's count of cases in the file: all of them must run.
const EXTRACT_CASES: usize = 90;
const INJECT_CASES: usize = 16;

const OTEL: &str = "otel-python";

fn id(text: &str) -> Result<Id, Failure> {
    match Id::try_from(text) {
        Ok(id) => Ok(id),
        Err(_) => fail!("id longer than 32 characters: {text}"),
    }
}

fn opt_id(text: Option<&str>) -> Result<Option<Id>, Failure> {
    text.map(id).transpose()
}

fn seen_from_vector(expect: &Option<B3Context>) -> Result<Seen, Failure> {
    let Some(c) = expect else { return Ok(Seen::Invalid) };
    Ok(Seen::Ctx {
        trace: opt_id(c.trace_id)?,
        span: opt_id(c.span_id)?,
        parent: opt_id(c.parent_id)?,
        sampled: c.sampled,
        debug: c.debug,
    })
}

/// The core's result in the group's terms. OTel has no defer and drops debug and the parent: its `sampled` is
/// the SAMPLED trace flag, which for the core is `debug || accept`.
fn seen_from_ours(result: Result<Extracted, B3Error>, otel: bool) -> Result<Seen, Failure> {
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
            trace: Some(id(c.trace_id.to_hex().as_str())?),
            span: Some(id(c.span_id.to_hex().as_str())?),
            parent: c.parent_id.map(|p| id(p.to_hex().as_str())).transpose()?,
            sampled: c.sampling.decision(),
            debug: c.debug,
        },
    };
    Ok(match seen {
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
    })
}

fn has_header(headers: &[(&str, &str)], (name, value): (&str, &str)) -> bool {
    headers.iter().any(|(n, v)| n.eq_ignore_ascii_case(name) && *v == value)
}

fn extract_case(case: &B3Case, headers: &[(&str, &str)], expect: &Option<B3Context>, known: Option<&Known>) -> Outcome {
    let result = b3::extract(headers);
    let ours = seen_from_ours(result, case.group == OTEL)?;
    let expect = seen_from_vector(expect)?;
    if let Some(k) = known {
        check!(
            has_header(headers, k.guard),
            "KNOWN guard {:?} not in the case's headers",
            k.guard
        );
    }
    match known.map(|k| k.ours) {
        None | Some(Ours::Agrees) => check_eq!(ours, expect, "extracted from {result:?}"),
        Some(Ours::Rejects(error)) => {
            check!(
                result == Err(error) && expect != Seen::Invalid,
                "documented rejection {error:?}, got {result:?}"
            )
        }
        Some(Ours::Sampled(sampled)) => {
            let mut adjusted = expect.clone();
            if let Seen::Ctx { sampled: s, .. } = &mut adjusted {
                *s = sampled;
            }
            check!(adjusted != expect, "listed as divergent but the vector agrees");
            check_eq!(ours, adjusted, "documented sampled={sampled:?}");
        }
        Some(Ours::Header(..)) => fail!("Header divergence listed on an extract"),
    }
    Ok(())
}

/// Headers as a map: names lower-cased (HTTP names are case-insensitive), values as sent, sorted by name.
#[derive(Debug, Default, PartialEq, Eq)]
struct HeaderMap(heapless::Vec<(heapless::String<24>, heapless::String<{ b3::B3_MAX_LEN }>), 8>);

impl HeaderMap {
    /// Adds a header; a header sent twice, or one too long for the map, is an error.
    fn insert(&mut self, name: &str, value: &str) -> Result<(), Failure> {
        let mut lower = heapless::String::<24>::new();
        for c in name.chars() {
            if lower.push(c.to_ascii_lowercase()).is_err() {
                fail!("header name {name} too long");
            }
        }
        if self.0.iter().any(|(n, _)| *n == lower) {
            fail!("header {name} sent twice");
        }
        let Ok(value) = heapless::String::try_from(value) else {
            fail!("header {name} value too long")
        };
        if self.0.push((lower, value)).is_err() {
            fail!("more than 8 headers");
        }
        self.0.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, name: &str, value: &str) -> Result<Option<heapless::String<{ b3::B3_MAX_LEN }>>, Failure> {
        let old = self
            .0
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|i| self.0.remove(i).1);
        self.insert(name, value)?;
        Ok(old)
    }
}

/// Collects what the core injects, checking the names are the canonical constants.
#[derive(Default)]
struct Collector {
    map: HeaderMap,
    error: Option<Failure>,
}

impl HeaderSink for Collector {
    fn insert(&mut self, name: &'static str, value: &str) {
        if self.error.is_some() {
            return;
        }
        let canonical = [
            b3::B3,
            b3::TRACE_ID,
            b3::SPAN_ID,
            b3::PARENT_SPAN_ID,
            b3::SAMPLED,
            b3::FLAGS,
        ];
        if !canonical.contains(&name) {
            self.error = Some(Failure::new(format_args!("non-canonical header name {name}")));
        } else if let Err(e) = self.map.insert(name, value) {
            self.error = Some(e);
        }
    }
}

fn context_of(c: &B3Context, trace: &str, span: &str) -> Result<SpanContext, Failure> {
    let Ok(trace_id) = TraceId::parse(trace) else {
        fail!("trace id {trace} refused")
    };
    let Ok(span_id) = SpanId::parse(span) else {
        fail!("span id {span} refused")
    };
    let parent_id = match c.parent_id {
        Some(p) => match SpanId::parse(p) {
            Ok(id) => Some(id),
            Err(e) => fail!("parent id {p} refused: {e}"),
        },
        None => None,
    };
    Ok(SpanContext {
        trace_id,
        span_id,
        parent_id,
        sampling: c.sampled.map_or(Sampling::Defer, Sampling::from),
        debug: c.debug,
    })
}

/// Runs an inject case in the forms the expected headers show (a note naming Brave's "without parent" writer
/// selects [`Format::SingleNoParent`]).
fn injected(case: &B3Case, c: &B3Context, expect: &HeaderMap) -> Result<HeaderMap, Failure> {
    let mut sink = Collector::default();
    match (c.trace_id, c.span_id) {
        (Some(trace), Some(span)) => {
            let context = context_of(c, trace, span)?;
            if expect.get("x-b3-traceid").is_some() {
                b3::inject(&context, Format::Multi, &mut sink);
            }
            if expect.get("b3").is_some() {
                let no_parent = case.note.contains("WithoutParentId") || case.note.contains("NO_PARENT");
                let format = if no_parent {
                    Format::SingleNoParent
                } else {
                    Format::Single
                };
                b3::inject(&context, format, &mut sink);
            }
        }
        _ => b3::inject_sampling(c.sampled.map_or(Sampling::Defer, Sampling::from), c.debug, &mut sink),
    }
    match sink.error {
        Some(e) => Err(e),
        None => Ok(sink.map),
    }
}

fn inject_case(case: &B3Case, c: &B3Context, expect_headers: &[(&str, &str)], known: Option<&Known>) -> Outcome {
    if let Some(k) = known {
        check!(
            has_header(expect_headers, k.guard),
            "KNOWN guard {:?} not in expect_headers",
            k.guard
        );
    }
    let mut expect = HeaderMap::default();
    for (name, value) in expect_headers {
        expect.insert(name, value)?;
    }
    let ours = injected(case, c, &expect)?;
    match known.map(|k| k.ours) {
        None | Some(Ours::Agrees) => {}
        Some(Ours::Header(header, value)) => {
            let old = expect.set(header, value)?;
            check!(
                old.as_deref() != Some(value),
                "listed as divergent but the vector agrees"
            );
        }
        Some(other) => fail!("{other:?} divergence listed on an inject"),
    }
    check_eq!(ours, expect, "injected headers");
    Ok(())
}

struct CaseName<'a>(&'a B3Case);

impl fmt::Display for CaseName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.0;
        let direction = match case.direction {
            B3Direction::Extract { .. } => "extract",
            B3Direction::Inject { .. } => "inject",
        };
        write!(f, "b3 vector {}#{} {direction}", case.group, case.index)?;
        match (case.lenient, case.divergent) {
            (true, _) => f.write_str(" (lenient)"),
            (_, true) => f.write_str(" (divergent)"),
            _ => Ok(()),
        }
    }
}

pub fn run(r: &mut Runner) {
    let mut used = [false; KNOWN.len()];
    let (mut extracts, mut injects) = (0, 0);
    for case in B3_VECTORS {
        let position = KNOWN
            .iter()
            .position(|k| k.group == case.group && k.index == case.index);
        if let Some(i) = position {
            used[i] = true;
        }
        let known = position.map(|i| &KNOWN[i]);
        r.test(format_args!("{}", CaseName(case)), || {
            check!(
                known.is_some() || !(case.lenient || case.divergent),
                "marked lenient/divergent but not in KNOWN"
            );
            match &case.direction {
                B3Direction::Extract { headers, expect } => {
                    extracts += 1;
                    extract_case(case, headers, expect, known)
                }
                B3Direction::Inject {
                    context,
                    expect_headers,
                } => {
                    injects += 1;
                    inject_case(case, context, expect_headers, known)
                }
            }
        });
    }
    r.test(
        format_args!("b3 vectors: every KNOWN entry matches a case, every case ran"),
        || {
            for (k, used) in KNOWN.iter().zip(used) {
                check!(used, "KNOWN {}#{} matches no case", k.group, k.index);
            }
            check_eq!(
                (extracts, injects),
                (EXTRACT_CASES, INJECT_CASES),
                "(extract, inject) cases run"
            );
            Ok(())
        },
    );
}
