//! Comparison 3: B3 extract and inject, multi-header and single `b3`, 128-bit trace id with a parent, sampled;
//! tryfer-core against `opentelemetry-propagator-b3` and `http-zipkin`.
//!
//! The carrier is the same `http::HeaderMap` for everyone: OpenTelemetry reads and writes it through
//! `opentelemetry-http`'s `HeaderExtractor`/`HeaderInjector`, http-zipkin takes it directly, and tryfer through a
//! closure over it (`|name| headers.get(name).map(HeaderValue::as_bytes)` to read; to write, `headers.insert`
//! of a `HeaderValue` made from the formatted value, as the peers do). Requests to extract from also carry
//! `host`, `user-agent` and `accept`, as a request would. Injection clears the map first, on every side.

use std::hint::black_box;

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, TraceFlags, TraceState};
use opentelemetry::Context;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_propagator_b3::{B3Encoding, Propagator};
use tryfer_core::b3::{self, Format};
use tryfer_core::SpanContext;

use crate::{typical, Pair, Visit};

/// The two B3 header forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-ParentSpanId`, `X-B3-Sampled`.
    Multi,
    /// One `b3: {trace}-{span}-1-{parent}` header.
    Single,
}

/// What an extraction found, in one shape for every side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// The 128-bit trace id.
    pub trace: u128,
    /// The span id.
    pub span: u64,
    /// The parent id, where the library keeps it (OpenTelemetry does not).
    pub parent: Option<u64>,
    /// The sampling decision.
    pub sampled: Option<bool>,
}

fn expected() -> Seen {
    Seen {
        trace: (u128::from(typical::TRACE_HIGH) << 64) | u128::from(typical::TRACE_LOW),
        span: typical::SPAN_ID,
        parent: Some(typical::PARENT_ID),
        sampled: Some(true),
    }
}

/// The request headers to extract from.
pub fn request_headers(form: Form) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("backend:8080"));
    headers.insert("user-agent", HeaderValue::from_static("curl/8.5.0"));
    headers.insert("accept", HeaderValue::from_static("*/*"));
    let ctx = typical::context();
    b3::inject(&ctx, form.format(), &mut |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    });
    headers
}

impl Form {
    fn format(self) -> Format {
        match self {
            Form::Multi => Format::Multi,
            Form::Single => Format::Single,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Form::Multi => "multi",
            Form::Single => "single",
        }
    }
}

/// A B3 implementation other than tryfer's.
pub trait Peer {
    /// Its name in the report.
    fn name(&self) -> &'static str;
    /// Extracts a context from `headers`.
    fn extract(&self, headers: &HeaderMap) -> Option<Seen>;
    /// Extracts, returning only the span id (what the timed loop keeps, on every side).
    fn extract_span_id(&self, headers: &HeaderMap) -> u64;
    /// Injects the typical context into `headers` in `form`.
    fn inject(&self, form: Form, headers: &mut HeaderMap);
}

/// `opentelemetry-propagator-b3` 0.33 through `opentelemetry-http`'s carrier adapters.
pub struct OpenTelemetry {
    extractor: Propagator,
    multi: Propagator,
    single: Propagator,
    context: Context,
}

impl OpenTelemetry {
    /// The propagators (multi and single for injecting; extraction reads both forms) and the context to inject.
    pub fn new() -> Self {
        let span = opentelemetry::trace::SpanContext::new(
            opentelemetry::TraceId::from(expected().trace),
            opentelemetry::SpanId::from(typical::SPAN_ID),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        OpenTelemetry {
            extractor: Propagator::new(),
            multi: Propagator::with_encoding(B3Encoding::MultipleHeader),
            single: Propagator::with_encoding(B3Encoding::SingleHeader),
            context: Context::new().with_remote_span_context(span),
        }
    }
}

impl Default for OpenTelemetry {
    fn default() -> Self {
        Self::new()
    }
}

impl Peer for OpenTelemetry {
    fn name(&self) -> &'static str {
        "opentelemetry-propagator-b3 0.33"
    }

    fn extract(&self, headers: &HeaderMap) -> Option<Seen> {
        let cx = self.extractor.extract(&HeaderExtractor(headers));
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid().then(|| Seen {
            trace: u128::from_be_bytes(sc.trace_id().to_bytes()),
            span: u64::from_be_bytes(sc.span_id().to_bytes()),
            parent: None,
            sampled: Some(sc.is_sampled()),
        })
    }

    #[inline]
    fn extract_span_id(&self, headers: &HeaderMap) -> u64 {
        let cx = self.extractor.extract(&HeaderExtractor(headers));
        u64::from_be_bytes(cx.span().span_context().span_id().to_bytes())
    }

    #[inline]
    fn inject(&self, form: Form, headers: &mut HeaderMap) {
        let propagator = match form {
            Form::Multi => &self.multi,
            Form::Single => &self.single,
        };
        propagator.inject_context(&self.context, &mut HeaderInjector(headers));
    }
}

/// `http-zipkin` 1.1 (with `zipkin` 1.1's `TraceContext`).
pub struct HttpZipkin {
    context: zipkin::TraceContext,
}

impl HttpZipkin {
    /// The context to inject.
    pub fn new() -> Self {
        let e = expected();
        let context = zipkin::TraceContext::builder()
            .trace_id(zipkin::TraceId::from(e.trace.to_be_bytes()))
            .span_id(zipkin::SpanId::from(typical::SPAN_ID.to_be_bytes()))
            .parent_id(zipkin::SpanId::from(typical::PARENT_ID.to_be_bytes()))
            .sampled(true)
            .build();
        HttpZipkin { context }
    }
}

impl Default for HttpZipkin {
    fn default() -> Self {
        Self::new()
    }
}

fn id_u64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

impl Peer for HttpZipkin {
    fn name(&self) -> &'static str {
        "http-zipkin 1.1"
    }

    fn extract(&self, headers: &HeaderMap) -> Option<Seen> {
        let cx = http_zipkin::get_trace_context(headers)?;
        let trace = cx.trace_id();
        let trace = trace.bytes().iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        Some(Seen {
            trace,
            span: id_u64(cx.span_id().bytes()),
            parent: cx.parent_id().map(|p| id_u64(p.bytes())),
            sampled: cx.sampled(),
        })
    }

    #[inline]
    fn extract_span_id(&self, headers: &HeaderMap) -> u64 {
        http_zipkin::get_trace_context(headers).map_or(0, |cx| id_u64(cx.span_id().bytes()))
    }

    #[inline]
    fn inject(&self, form: Form, headers: &mut HeaderMap) {
        match form {
            Form::Multi => http_zipkin::set_trace_context(self.context, headers),
            Form::Single => http_zipkin::set_trace_context_single(self.context, headers),
        }
    }
}

fn ours_extract(headers: &HeaderMap) -> Option<SpanContext> {
    let source = |name: &str| headers.get(name).map(HeaderValue::as_bytes);
    b3::extract(&source).ok()?.context()
}

/// The B3 header names as prebuilt `HeaderName`s: a `HeaderMap` finds those without parsing and lower-casing
/// the name on every lookup (about 3x faster than `get(&str)`).
pub struct Names([(&'static str, HeaderName); 6]);

impl Names {
    /// The six names tryfer's extraction asks for.
    pub fn new() -> Self {
        let n = |name: &'static str, lower: &'static str| (name, HeaderName::from_static(lower));
        Names([
            n(b3::B3, "b3"),
            n(b3::TRACE_ID, "x-b3-traceid"),
            n(b3::SPAN_ID, "x-b3-spanid"),
            n(b3::PARENT_SPAN_ID, "x-b3-parentspanid"),
            n(b3::SAMPLED, "x-b3-sampled"),
            n(b3::FLAGS, "x-b3-flags"),
        ])
    }

    /// The value of header `name` (one of tryfer's constants, else looked up by text).
    #[inline]
    pub fn get<'h>(&self, headers: &'h HeaderMap, name: &str) -> Option<&'h [u8]> {
        match self.0.iter().find(|(constant, _)| *constant == name) {
            Some((_, prebuilt)) => headers.get(prebuilt),
            None => headers.get(name),
        }
        .map(HeaderValue::as_bytes)
    }
}

impl Default for Names {
    fn default() -> Self {
        Self::new()
    }
}

fn ours_extract_named(headers: &HeaderMap, names: &Names) -> Option<SpanContext> {
    let source = |name: &str| names.get(headers, name);
    b3::extract(&source).ok()?.context()
}

fn ours_inject(context: &SpanContext, form: Form, headers: &mut HeaderMap) {
    b3::inject(context, form.format(), &mut |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    });
}

fn seen(ctx: &SpanContext) -> Seen {
    Seen {
        trace: (u128::from(ctx.trace_id.high()) << 64) | u128::from(ctx.trace_id.low()),
        span: ctx.span_id.get(),
        parent: ctx.parent_id.map(|p| p.get()),
        sampled: ctx.sampling.decision(),
    }
}

/// Extracting the typical context from request headers.
pub struct Extract<P> {
    form: Form,
    names: Option<Names>,
    headers: HeaderMap,
    peer: P,
    name: &'static str,
    peer_name: &'static str,
}

impl<P: Peer> Extract<P> {
    /// Extraction of `form` headers, against `peer`.
    pub fn new(form: Form, peer: P) -> Self {
        let name = match form {
            Form::Multi => "b3_extract_multi",
            Form::Single => "b3_extract_single",
        };
        let peer_name = peer.name();
        Extract {
            form,
            names: None,
            headers: request_headers(form),
            peer,
            name,
            peer_name,
        }
    }
}

impl<P: Peer> Extract<P> {
    /// As [`Extract::new`], tryfer's closure looking names up as prebuilt `HeaderName`s ([`Names`]).
    pub fn named(form: Form, peer: P) -> Self {
        let name = match form {
            Form::Multi => "b3_extract_multi, HeaderName carrier",
            Form::Single => "b3_extract_single, HeaderName carrier",
        };
        Extract {
            names: Some(Names::new()),
            name,
            ..Self::new(form, peer)
        }
    }

    fn ours_context(&self) -> Option<SpanContext> {
        match &self.names {
            Some(names) => ours_extract_named(black_box(&self.headers), names),
            None => ours_extract(black_box(&self.headers)),
        }
    }
}

impl<P: Peer> Pair for Extract<P> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn peer_name(&self) -> &'static str {
        self.peer_name
    }

    #[inline]
    fn ours(&mut self) -> usize {
        self.ours_context().map_or(0, |c| c.span_id.get() as usize)
    }

    #[inline]
    fn peer(&mut self) -> usize {
        self.peer.extract_span_id(black_box(&self.headers)) as usize
    }

    fn check(&mut self) -> Result<(), String> {
        let want = expected();
        let ours = self.ours_context().map(|c| seen(&c));
        if ours != Some(want) {
            return Err(format!(
                "tryfer extracted {ours:?} from {} headers, want {want:?}",
                self.form.word()
            ));
        }
        let theirs = self.peer.extract(&self.headers);
        // OpenTelemetry keeps no parent id: compare what it keeps.
        let comparable = theirs.map(|s| Seen {
            parent: s.parent.or(want.parent),
            ..s
        });
        if comparable != Some(want) {
            return Err(format!("{} extracted {theirs:?}, want {want:?}", self.peer_name));
        }
        Ok(())
    }
}

/// Injecting the typical context into an outgoing request's (cleared) headers.
pub struct Inject<P> {
    form: Form,
    context: SpanContext,
    headers: HeaderMap,
    peer: P,
    name: &'static str,
    peer_name: &'static str,
}

impl<P: Peer> Inject<P> {
    /// Injection of `form` headers, against `peer`.
    pub fn new(form: Form, peer: P) -> Self {
        let name = match form {
            Form::Multi => "b3_inject_multi",
            Form::Single => "b3_inject_single",
        };
        let peer_name = peer.name();
        Inject {
            form,
            context: typical::context(),
            headers: HeaderMap::new(),
            peer,
            name,
            peer_name,
        }
    }
}

impl<P: Peer> Pair for Inject<P> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn peer_name(&self) -> &'static str {
        self.peer_name
    }

    #[inline]
    fn ours(&mut self) -> usize {
        self.headers.clear();
        ours_inject(black_box(&self.context), self.form, &mut self.headers);
        self.headers.len()
    }

    #[inline]
    fn peer(&mut self) -> usize {
        self.headers.clear();
        self.peer.inject(black_box(self.form), &mut self.headers);
        self.headers.len()
    }

    fn check(&mut self) -> Result<(), String> {
        self.ours();
        let ours = self.headers.clone();
        self.peer();
        let theirs = self.headers.clone();
        if theirs.is_empty() {
            return Err(format!("{} injected nothing", self.peer_name));
        }
        // Every header tryfer writes, the peer writes with the same value, except that OpenTelemetry leaves the
        // parent out (it keeps no parent id): no `X-B3-ParentSpanId`, and its `b3` lacks the `-{parent}` that
        // tryfer's has. (OpenTelemetry's single-header encoding also writes the `X-B3-*` headers: a quirk of its
        // encoding check; that extra work is part of its time.)
        let parent_suffix = format!("-{:016x}", typical::PARENT_ID);
        for (name, mine) in &ours {
            let Some(value) = theirs.get(name) else {
                if name.as_str() == "x-b3-parentspanid" && self.peer_name.starts_with("opentelemetry") {
                    continue;
                }
                return Err(format!("tryfer wrote {name}, {} did not", self.peer_name));
            };
            let same =
                mine == value || mine.as_bytes().strip_suffix(parent_suffix.as_bytes()) == Some(value.as_bytes());
            if !same {
                return Err(format!("{name}: tryfer wrote {mine:?}, {} {value:?}", self.peer_name));
            }
        }
        let back = ours_extract(&ours).map(|c| seen(&c));
        if back != Some(expected()) {
            return Err(format!("tryfer's injected headers read back as {back:?}"));
        }
        Ok(())
    }
}

/// The lookups every `HeaderMap`-based B3 extractor makes for a multi-header request (`b3` first, then the five
/// `X-B3-*` names), without parsing anything: the carrier's share of an extraction.
pub fn header_lookups(headers: &HeaderMap) -> usize {
    [
        b3::B3,
        b3::TRACE_ID,
        b3::SPAN_ID,
        b3::PARENT_SPAN_ID,
        b3::SAMPLED,
        b3::FLAGS,
    ]
    .iter()
    .map(|name| headers.get(*name).map_or(0, HeaderValue::len))
    .sum()
}

/// The request headers as `(name, value)` pairs, the core's own carrier (no `HeaderMap`).
pub fn request_pairs(form: Form) -> Vec<(String, String)> {
    request_headers(form)
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
        .collect()
}

/// tryfer-core's extraction from `(name, value)` pairs: the B3 work without a `HeaderMap`.
pub fn core_extract(pairs: &[(&str, &str)]) -> usize {
    match b3::extract(pairs) {
        Ok(extracted) => extracted.context().map_or(0, |c| c.span_id.get() as usize),
        Err(_) => 0,
    }
}

/// Visits the eight B3 comparisons: extract and inject, multi and single, against both peers.
pub fn visit<V: Visit>(visitor: &mut V) {
    for form in [Form::Multi, Form::Single] {
        visitor.visit(Extract::new(form, OpenTelemetry::new()));
        visitor.visit(Extract::new(form, HttpZipkin::new()));
    }
    for form in [Form::Multi, Form::Single] {
        visitor.visit(Extract::named(form, HttpZipkin::new()));
    }
    for form in [Form::Multi, Form::Single] {
        visitor.visit(Inject::new(form, OpenTelemetry::new()));
        visitor.visit(Inject::new(form, HttpZipkin::new()));
    }
}
