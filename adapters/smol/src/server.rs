//! Server tracing for http-types handlers (the request and response types surf, async-h1 and tide share).
//!
//! [`TracedService`] wraps a handler `Fn(Request) -> impl Future<Output = http_types::Result<Response>>` and is
//! independent of the server loop: any http-types server calls [`TracedService::handle`] with the request and,
//! when it knows it, the peer address.
//!
//! ```no_run
//! # fn run(tracer: tryfer_smol::Tracer, stream: smol::Async<std::net::TcpStream>) {
//! use std::sync::Arc;
//! use tryfer_smol::server::{ServerSpan, TracedService};
//! let service = Arc::new(TracedService::new(tracer, |req: http_types::Request| async move {
//!     if let Some(span) = ServerSpan::of(&req) {
//!         span.tag("user", "alice");
//!     }
//!     Ok(http_types::Response::new(200))
//! }));
//! let peer = stream.get_ref().peer_addr().ok();
//! let io = async_dup::Arc::new(stream);
//! smol::spawn(async_h1::accept(io, move |req| {
//!     let service = service.clone();
//!     async move { service.handle(req, peer).await }
//! }))
//! .detach();
//! # }
//! ```
//!
//! Per request: B3 is read from the headers (`b3` first, else `X-B3-*`). A full context is joined: the server
//! span has the caller's trace id, span id and parent id (the client's span, shared as Finagle and the
//! original tryfer do) and is marked shared. No context, a sampling decision only, or malformed headers give a
//! new root trace (malformed ones with a log line, never an error response). Recorded at the tracer's local
//! endpoint: `sr`, `ca` (when the peer address is known), `http.method`, `http.path`, then `http.status_code`
//! and `ss`, also when the handler fails (then with `error`). An upstream `0` records nothing but the decision
//! still propagates through [`ServerSpan::child_context`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use http_types::{Request, Response};
use tryfer_core::annotation::{SERVER_RECV, SERVER_SEND};
use tryfer_core::b3::{self, Extracted};
use tryfer_core::{SpanContext, Value};

use crate::span::TracedSpan;
use crate::tags;
use crate::tracer::{endpoint_of, Tracer};

/// The span of the request being served, handed to the handler as a request extension.
///
/// Cheap to clone. The wrapper takes the span back when the handler returns; after that, recording through a
/// clone the handler kept does nothing.
#[derive(Debug, Clone)]
pub struct ServerSpan {
    context: SpanContext,
    tracer: Tracer,
    span: Arc<Mutex<Option<TracedSpan>>>,
}

impl ServerSpan {
    /// The server span of `request`, when a [`TracedService`] is serving it.
    pub fn of(request: &Request) -> Option<ServerSpan> {
        request.ext().get::<ServerSpan>().cloned()
    }

    /// The span's ids and sampling state: the parent to give outgoing calls (see `client::traced`).
    pub fn context(&self) -> &SpanContext {
        &self.context
    }

    /// The tracer of the service, for spans of the handler's own work.
    pub fn tracer(&self) -> &Tracer {
        &self.tracer
    }

    /// True when the span records (its trace is sampled and the request is still being handled).
    pub fn is_recording(&self) -> bool {
        self.lock().as_ref().is_some_and(TracedSpan::is_recording)
    }

    /// Records a timestamp annotation now, at the service's endpoint.
    pub fn annotate(&self, value: &str) {
        if let Some(span) = self.lock().as_mut() {
            span.annotate(value);
        }
    }

    /// Records a string tag at the service's endpoint.
    pub fn tag(&self, key: &str, value: &str) {
        if let Some(span) = self.lock().as_mut() {
            span.tag(key, value);
        }
    }

    /// Records a binary annotation of any type at the service's endpoint.
    pub fn tag_value(&self, key: &str, value: Value<'_>) {
        if let Some(span) = self.lock().as_mut() {
            span.tag_value(key, value);
        }
    }

    /// A child context of this span (same trace and sampling, this span as parent), for an outgoing call.
    pub fn child_context(&self) -> SpanContext {
        let mut context = self.tracer.child_context(&self.context);
        self.tracer.decide(&mut context);
        context
    }

    /// Starts a local child span named `name`, e.g. for a database call made while serving.
    pub fn child(&self, name: &str) -> TracedSpan {
        self.tracer.start(self.child_context(), name)
    }

    fn lock(&self) -> MutexGuard<'_, Option<TracedSpan>> {
        self.span.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn take(&self) -> Option<TracedSpan> {
        self.lock().take()
    }
}

/// A traced http-types handler: joins the caller's span, records `sr`/`ss`, hands the span to the handler.
pub struct TracedService<H> {
    tracer: Tracer,
    handler: H,
}

impl<H> std::fmt::Debug for TracedService<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedService")
            .field("tracer", &self.tracer)
            .finish_non_exhaustive()
    }
}

/// The server context for B3 read from `request`, and whether it joins the caller's span.
pub fn join_request(tracer: &Tracer, request: &Request) -> (SpanContext, bool) {
    let source = |name: &str| {
        request
            .header(name)
            .and_then(|values| values.iter().next())
            .map(|value| value.as_str().as_bytes())
    };
    let extracted = b3::extract(&source);
    let shared = matches!(extracted, Ok(Extracted::Context(_)));
    (tracer.join(extracted), shared)
}

impl<H, Fut> TracedService<H>
where
    H: Fn(Request) -> Fut,
    Fut: Future<Output = http_types::Result<Response>>,
{
    /// Wraps `handler`, recording server spans with `tracer` (whose endpoint is this service's address).
    pub fn new(tracer: Tracer, handler: H) -> Self {
        TracedService { tracer, handler }
    }

    /// The tracer server spans are recorded with.
    pub fn tracer(&self) -> &Tracer {
        &self.tracer
    }

    /// Serves `request` from `peer` (or the request's own peer address when `None`) through the handler.
    ///
    /// The handler's result is returned untouched; `ss` is recorded before it goes back to the server loop.
    pub async fn handle(&self, mut request: Request, peer: Option<SocketAddr>) -> http_types::Result<Response> {
        let (context, shared) = join_request(&self.tracer, &request);
        let method = request.method();
        let mut span = self.tracer.start(context, method.as_ref());
        span.set_shared(shared);
        span.annotate(SERVER_RECV);
        if span.is_recording() {
            let peer = peer.or_else(|| request.peer_addr().and_then(|text| text.parse().ok()));
            if let Some(peer) = peer {
                span.remote("ca", &endpoint_of("", peer));
            }
            span.tag(tags::HTTP_METHOD, method.as_ref());
            span.tag(tags::HTTP_PATH, request.url().path());
        }
        let handle = ServerSpan {
            context,
            tracer: self.tracer.clone(),
            span: Arc::new(Mutex::new(Some(span))),
        };
        request.ext_mut().insert(handle.clone());

        let result = (self.handler)(request).await;

        if let Some(mut span) = handle.take() {
            match &result {
                Ok(response) => tags::status(&mut span, response.status().into()),
                Err(error) => {
                    tags::status_code(&mut span, error.status().into());
                    tags::error(&mut span, error);
                }
            }
            span.annotate(SERVER_SEND);
            span.finish();
        }
        result
    }
}
