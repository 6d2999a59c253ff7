//! The host tests' data (tests/data/*.json), as tables build.rs generated at build time.

/// One span of tryfer-golden.json with the bytes the original tryfer wrote for it.
pub struct GoldenCase {
    pub case: &'static str,
    pub name: &'static str,
    pub trace_id: &'static str,
    pub span_id: &'static str,
    pub parent_span_id: Option<&'static str>,
    pub annotations: &'static [GoldenAnnotation],
    pub thrift_binary: &'static [u8],
    pub scribe_message_base64: &'static str,
    /// The original's debug JSON for the span (compare by content, not key order).
    pub tryfer_json: &'static str,
}

/// One annotation of a golden span's input.
pub struct GoldenAnnotation {
    pub key: &'static str,
    pub value: GoldenValue,
    pub endpoint: Option<GoldenEndpoint>,
}

/// A golden annotation's value, by its `type`.
pub enum GoldenValue {
    Timestamp(u64),
    String(&'static str),
    Bytes(&'static [u8]),
}

/// A golden annotation's host.
pub struct GoldenEndpoint {
    pub service_name: &'static str,
    pub ipv4: &'static str,
    pub port: u16,
}

/// The framed Scribe `Log` call of tryfer-golden.json.
pub struct ScribeFrame {
    pub seqid: i32,
    /// Indexes into [`GOLDEN`] of the spans it carries, in order.
    pub cases: &'static [usize],
    pub frame: &'static [u8],
}

/// One case of b3-vectors.json.
pub struct B3Case {
    pub group: &'static str,
    /// Position within its group.
    pub index: usize,
    /// The case's note ("" when it has none).
    pub note: &'static str,
    /// Accepted by the implementation it came from but not required by the spec.
    pub lenient: bool,
    /// Implementations disagree; not normative.
    pub divergent: bool,
    pub direction: B3Direction,
}

/// What a B3 case checks.
pub enum B3Direction {
    /// Headers in; `None` expected means "invalid" (no context extracted).
    Extract {
        headers: &'static [(&'static str, &'static str)],
        expect: Option<B3Context>,
    },
    /// A context out; exactly these headers expected.
    Inject {
        context: B3Context,
        expect_headers: &'static [(&'static str, &'static str)],
    },
}

/// A context as the vectors spell it: lower-hex ids, `sampled` `None` = defer.
pub struct B3Context {
    pub trace_id: Option<&'static str>,
    pub span_id: Option<&'static str>,
    pub parent_id: Option<&'static str>,
    pub sampled: Option<bool>,
    pub debug: bool,
}

include!(concat!(env!("OUT_DIR"), "/golden.rs"));
include!(concat!(env!("OUT_DIR"), "/b3_vectors.rs"));
