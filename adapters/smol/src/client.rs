//! Client tracing for surf: a middleware that records one client span per request and sends B3 headers.
//!
//! ```no_run
//! # async fn run(tracer: tryfer_smol::Tracer, server_span: &tryfer_smol::server::ServerSpan) -> surf::Result<()> {
//! use tryfer_smol::client::{traced, TracingMiddleware};
//! let client = surf::client().with(TracingMiddleware::new(tracer));
//! // A new root trace:
//! client.get("http://127.0.0.1:8080/").await?;
//! // A child of the span this code runs in (here the server span of the request being handled):
//! client.send(traced(surf::get("http://127.0.0.1:8081/data"), server_span.context())).await?;
//! # Ok(()) }
//! ```
//!
//! How the middleware finds the caller's span: surf middleware sees only the request, so the caller's span
//! travels on it as a [`ParentSpan`] extension, set by [`traced`]. A request without one starts a new trace
//! (sampled by the tracer's sampler). The client span is a child of the parent: same trace, the parent's span
//! id as parent, a fresh span id; an unsampled parent's decision is propagated and nothing is recorded.
//!
//! Recorded, at the tracer's local endpoint: the name (the HTTP method), `http.uri` (the full URL, the original
//! tryfer's key), `http.method`, `http.url`, `cs`; then `http.status_code` and `cr`. A status outside
//! 100..=399 also tags `error` with the code (as Brave does). A failed request tags `error` with the error
//! message, records `cr`, and returns the original error untouched.

use http_types::headers::HeaderValue;
use surf::middleware::{Middleware, Next};
use surf::{Client, Request, Response};
use tryfer_core::annotation::{CLIENT_RECV, CLIENT_SEND};
use tryfer_core::b3::{self, Format};
use tryfer_core::SpanContext;

use crate::tags;
use crate::tracer::Tracer;

/// The span an outgoing request is made on behalf of, carried as a surf request extension (see [`traced`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentSpan(pub SpanContext);

/// Marks `request` as made on behalf of the span `parent`, so the middleware makes its client span a child.
pub fn traced(request: impl Into<Request>, parent: &SpanContext) -> Request {
    let mut request = request.into();
    request.set_ext(ParentSpan(*parent));
    request
}

/// A surf middleware recording a client span per request and injecting B3 headers (multi-header by default).
#[derive(Debug, Clone)]
pub struct TracingMiddleware {
    tracer: Tracer,
    format: Format,
}

impl TracingMiddleware {
    /// A middleware recording with `tracer` and sending multi-header B3 (`X-B3-*`), what every B3 server reads.
    pub fn new(tracer: Tracer) -> Self {
        TracingMiddleware {
            tracer,
            format: Format::Multi,
        }
    }

    /// Sends B3 in `format` instead (e.g. [`Format::Single`] for one `b3` header).
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The tracer client spans are recorded with.
    pub fn tracer(&self) -> &Tracer {
        &self.tracer
    }

    /// The context of the client span for `request`: a child of its [`ParentSpan`], or a new root trace.
    fn context_for(&self, request: &Request) -> SpanContext {
        match request.ext::<ParentSpan>() {
            Some(ParentSpan(parent)) => {
                let mut context = self.tracer.child_context(parent);
                self.tracer.decide(&mut context);
                context
            }
            None => self.tracer.new_trace(),
        }
    }
}

/// Replaces any B3 headers on `request` with `context` in `format` (mixed forms would confuse the server).
pub fn inject_b3(request: &mut Request, context: &SpanContext, format: Format) {
    for name in [
        b3::B3,
        b3::TRACE_ID,
        b3::SPAN_ID,
        b3::PARENT_SPAN_ID,
        b3::SAMPLED,
        b3::FLAGS,
    ] {
        request.remove_header(name);
    }
    b3::inject(context, format, &mut |name: &'static str, value: &str| {
        // B3 values are hex digits and dashes, always valid header values.
        if let Ok(value) = value.parse::<HeaderValue>() {
            request.insert_header(name, value);
        }
    });
}

#[surf::utils::async_trait]
impl Middleware for TracingMiddleware {
    async fn handle(&self, mut request: Request, client: Client, next: Next<'_>) -> surf::Result<Response> {
        let context = self.context_for(&request);
        let method = request.method();
        let mut span = self.tracer.start(context, method.as_ref());
        if span.is_recording() {
            let url = request.url().as_str();
            span.tag(tags::HTTP_URI, url);
            span.tag(tags::HTTP_METHOD, method.as_ref());
            span.tag(tags::HTTP_URL, url);
        }
        inject_b3(&mut request, &context, self.format);
        span.annotate(CLIENT_SEND);
        let result = next.run(request, client).await;
        match &result {
            Ok(response) => tags::status(&mut span, response.status().into()),
            Err(error) => tags::error(&mut span, error),
        }
        span.annotate(CLIENT_RECV);
        span.finish();
        result
    }
}
