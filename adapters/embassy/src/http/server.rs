//! picoserve integration (feature `picoserve`): B3 extraction, and `sr`/`ss` with the response's status.
//!
//! Two ways in, both never failing a request on malformed headers (they are counted in
//! [`crate::Stats::b3_errors`] and the request starts a new trace):
//!
//! - [`TraceLayer`]: a picoserve layer that records a server span for every request it wraps (name = method,
//!   tags `http.path` and `http.status_code`). Handlers do not see the span.
//! - [`B3`] + [`Tracer::start_server`] + [`Traced`]: a handler that calls other services takes the [`B3`]
//!   extractor, starts its span itself, uses `span.context()` for its client calls, and returns
//!   `Traced::new(span, response)`, which records `ss` and the status once the response is written.
//!
//! ```
//! use embassy_sync::blocking_mutex::raw::NoopRawMutex;
//! use picoserve::response::IntoResponse;
//! use picoserve::routing::get;
//! use tryfer_embassy::http::server::{Traced, B3};
//! use tryfer_embassy::Tracer;
//!
//! async fn reading(tracer: &'static Tracer<NoopRawMutex>, b3: B3) -> impl IntoResponse {
//!     let mut span = tracer.start_server(b3.extracted, "get /reading"); // `sr`
//!     b3.tag_request(&mut span);
//!     // Calls to other services start client spans from `span.context()` (see `http::client`).
//!     Traced::new(span, "21.5 C\n") // `http.status_code` and `ss` once written
//! }
//!
//! let tracer: &'static Tracer<NoopRawMutex> = Box::leak(Box::new(Tracer::new("sensor-7")));
//! let app: picoserve::Router<_, ()> = picoserve::Router::new().route("/reading", get(move |b3: B3| reading(tracer, b3)));
//! ```

use embassy_sync::blocking_mutex::raw::RawMutex;
use picoserve::extract::FromRequestParts;
use picoserve::io::Read;
use picoserve::request::{Path, RequestParts};
use picoserve::response::{Body, Connection, HeadersIter, IntoResponse, Response, ResponseWriter};
use picoserve::routing::{Layer, Next};
use picoserve::ResponseSent;
use tryfer_core::b3::{self, B3Error, Extracted};

use crate::span::TracedSpan;
use crate::tracer::Tracer;

/// The longest request path kept for the `http.path` tag; longer paths are cut.
pub const PATH_CAPACITY: usize = 48;

/// Reads B3 from `parts`' headers (picoserve matches names case-insensitively; the first value wins).
pub fn extract(parts: &RequestParts<'_>) -> Result<Extracted, B3Error> {
    let headers = parts.headers();
    b3::extract(&|name: &str| headers.get(name).map(|v| v.as_raw()))
}

fn copy_cut<const C: usize>(text: &str) -> heapless::String<C> {
    let mut out = heapless::String::new();
    for c in text.chars() {
        if out.push(c).is_err() {
            break;
        }
    }
    out
}

fn path_text(path: Path<'_>) -> heapless::String<PATH_CAPACITY> {
    copy_cut(path.encoded())
}

/// The extractor: what the request's B3 headers said, with its method and path for tags. Never rejects.
#[derive(Debug, Clone)]
pub struct B3 {
    /// The B3 result, for [`Tracer::start_server`].
    pub extracted: Result<Extracted, B3Error>,
    /// The request method (cut at 8 characters).
    pub method: heapless::String<8>,
    /// The request path, still URL-encoded (cut at [`PATH_CAPACITY`] bytes).
    pub path: heapless::String<PATH_CAPACITY>,
}

impl B3 {
    /// Tags `http.method` and `http.path` on `span`.
    pub fn tag_request<M: RawMutex, const Q: usize, const N: usize, const T: usize>(
        &self,
        span: &mut TracedSpan<'_, M, Q, N, T>,
    ) {
        span.tag("http.method", &self.method);
        span.tag("http.path", &self.path);
    }
}

impl<'r, State> FromRequestParts<'r, State> for B3 {
    type Rejection = core::convert::Infallible;

    async fn from_request_parts(_state: &'r State, parts: &RequestParts<'r>) -> Result<Self, Self::Rejection> {
        Ok(B3 {
            extracted: extract(parts),
            method: copy_cut(parts.method()),
            path: path_text(parts.path()),
        })
    }
}

/// Passes the response on, noting its status code.
struct StatusWriter<'s, W> {
    inner: W,
    status: &'s mut Option<u16>,
}

impl<W: ResponseWriter> ResponseWriter for StatusWriter<'_, W> {
    type Error = W::Error;

    async fn write_response<R: Read<Error = Self::Error>, H: HeadersIter, B: Body>(
        self,
        connection: Connection<'_, R>,
        response: Response<H, B>,
    ) -> Result<ResponseSent, Self::Error> {
        *self.status = Some(response.status_code().as_u16());
        self.inner.write_response(connection, response).await
    }
}

/// A response that finishes its server span once written: `http.status_code`, then `ss`.
pub struct Traced<'t, R, M: RawMutex, const Q: usize, const N: usize, const T: usize> {
    span: TracedSpan<'t, M, Q, N, T>,
    response: R,
}

impl<'t, R: IntoResponse, M: RawMutex, const Q: usize, const N: usize, const T: usize> Traced<'t, R, M, Q, N, T> {
    /// `response`, finishing `span` when written.
    pub fn new(span: TracedSpan<'t, M, Q, N, T>, response: R) -> Self {
        Traced { span, response }
    }
}

impl<R: IntoResponse, M: RawMutex, const Q: usize, const N: usize, const T: usize> IntoResponse
    for Traced<'_, R, M, Q, N, T>
{
    async fn write_to<Rd: Read, W: ResponseWriter<Error = Rd::Error>>(
        self,
        connection: Connection<'_, Rd>,
        response_writer: W,
    ) -> Result<ResponseSent, W::Error> {
        let Traced { mut span, response } = self;
        let mut status = None;
        let writer = StatusWriter {
            inner: response_writer,
            status: &mut status,
        };
        let result = response.write_to(connection, writer).await;
        if let Some(status) = status {
            span.set_status(status);
        }
        if result.is_err() {
            span.tag("error", "response not written");
        }
        span.finish();
        result
    }
}

/// A picoserve layer recording a server span (`sr`, `ss`, `http.path`, `http.status_code`) for each request.
pub struct TraceLayer<'t, M: RawMutex, const Q: usize, const N: usize, const T: usize> {
    tracer: &'t Tracer<M, Q, N, T>,
}

impl<'t, M: RawMutex, const Q: usize, const N: usize, const T: usize> TraceLayer<'t, M, Q, N, T> {
    /// A layer recording into `tracer`.
    pub const fn new(tracer: &'t Tracer<M, Q, N, T>) -> Self {
        TraceLayer { tracer }
    }
}

impl<M: RawMutex, const Q: usize, const N: usize, const T: usize, State, PathParameters> Layer<State, PathParameters>
    for TraceLayer<'_, M, Q, N, T>
{
    type NextState = State;
    type NextPathParameters = PathParameters;

    async fn call_layer<
        'a,
        R: Read + 'a,
        NextLayer: Next<'a, R, State, PathParameters>,
        W: ResponseWriter<Error = R::Error>,
    >(
        &self,
        next: NextLayer,
        state: &State,
        path_parameters: PathParameters,
        request_parts: RequestParts<'_>,
        response_writer: W,
    ) -> Result<ResponseSent, W::Error> {
        let mut span = self
            .tracer
            .start_server(extract(&request_parts), request_parts.method());
        span.tag("http.path", &path_text(request_parts.path()));
        let mut status = None;
        let writer = StatusWriter {
            inner: response_writer,
            status: &mut status,
        };
        let result = next.run(state, path_parameters, writer).await;
        if let Some(status) = status {
            span.set_status(status);
        }
        if result.is_err() {
            span.tag("error", "response not written");
        }
        span.finish();
        result
    }
}
