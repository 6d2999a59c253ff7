//! reqwless integration (feature `reqwless`): B3 injection and `cs`/`cr` for outgoing requests.
//!
//! [`B3Headers`] formats a context's multi-header B3 (`X-B3-TraceId`, `X-B3-SpanId`, `X-B3-ParentSpanId`,
//! `X-B3-Sampled` or `X-B3-Flags`) on the stack, as the `(name, value)` pairs reqwless takes; [`send`] does
//! the whole call: headers, the request, `http.status_code` or `error`, and leaves `cr` to the caller (finish
//! the span once the body is read).
//!
//! ```
//! use embassy_net::tcp::TcpSocket;
//! use embassy_net::{IpEndpoint, Stack};
//! use embassy_sync::blocking_mutex::raw::NoopRawMutex;
//! use reqwless::client::HttpConnection;
//! use reqwless::request::{Request, RequestBuilder};
//! use tryfer_core::SpanContext;
//! use tryfer_embassy::http::client;
//! use tryfer_embassy::Tracer;
//!
//! async fn calibration(
//!     stack: Stack<'_>,
//!     tracer: &Tracer<NoopRawMutex>,
//!     parent: &SpanContext,
//!     host: IpEndpoint,
//! ) -> Result<(), reqwless::Error> {
//!     let mut span = tracer.start_client(Some(parent), "get /calibration"); // `cs`
//!     let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
//!     let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
//!     if socket.connect(host).await.is_err() {
//!         span.tag("error", "connect failed");
//!         return Ok(()); // dropping the span finishes it
//!     }
//!     let mut conn = HttpConnection::Plain(&mut socket);
//!     let mut buf = [0u8; 512];
//!     let request = Request::get("/calibration").host("host");
//!     let response = client::send(&mut conn, &mut span, request, &[], &mut buf).await?;
//!     let _body = response.body().read_to_end().await?;
//!     span.finish(); // `cr`
//!     Ok(())
//! }
//! ```

use embassy_sync::blocking_mutex::raw::RawMutex;
use embedded_io_async::{Read, Write};
use reqwless::client::HttpConnection;
use reqwless::request::{DefaultRequestBuilder, RequestBody, RequestBuilder};
use reqwless::response::Response;
use tryfer_core::b3::{self, Format};
use tryfer_core::SpanContext;

use crate::span::TracedSpan;

/// At most this many B3 headers are sent (trace, span, parent, sampled or flags).
pub const B3_HEADERS: usize = 4;

/// A context's B3 headers, formatted on the stack (about 150 bytes).
#[derive(Debug, Clone)]
pub struct B3Headers {
    entries: heapless::Vec<(&'static str, heapless::String<32>), B3_HEADERS>,
}

impl B3Headers {
    /// The multi-header form of `context` (a deferred context sends no sampling header).
    pub fn new(context: &SpanContext) -> Self {
        let mut entries = heapless::Vec::new();
        b3::inject(context, Format::Multi, &mut |name: &'static str, value: &str| {
            let mut text = heapless::String::new();
            // Values are at most 32 hex digits, so these pushes fit.
            if text.push_str(value).is_ok() {
                let _ = entries.push((name, text));
            }
        });
        B3Headers { entries }
    }

    /// The headers as `(name, value)` pairs, after the caller's `extra` ones; pairs past `C` are left out.
    pub fn pairs<'a, const C: usize>(&'a self, extra: &[(&'a str, &'a str)]) -> heapless::Vec<(&'a str, &'a str), C> {
        let mut out = heapless::Vec::new();
        let ours = self.entries.iter().map(|(n, v)| (*n, v.as_str()));
        for pair in extra.iter().copied().chain(ours) {
            if out.push(pair).is_err() {
                break;
            }
        }
        out
    }
}

/// Sends `request` on `conn` with `span`'s B3 headers (plus `extra`), tagging `http.status_code` or `error` on
/// the span. `cs` was recorded when the span started; finish it after reading the body to record `cr`.
pub async fn send<'conn, 'buf, C, B, M, const Q: usize, const N: usize, const T: usize>(
    conn: &'conn mut HttpConnection<'conn, C>,
    span: &mut TracedSpan<'_, M, Q, N, T>,
    request: DefaultRequestBuilder<'_, B>,
    extra: &[(&str, &str)],
    rx_buf: &'buf mut [u8],
) -> Result<Response<'conn, 'buf, HttpConnection<'conn, C>>, reqwless::Error>
where
    C: Read + Write,
    B: RequestBody,
    M: RawMutex,
{
    let b3 = B3Headers::new(span.context());
    let headers = b3.pairs::<16>(extra);
    let result = conn.send(request.headers(&headers).build(), rx_buf).await;
    match &result {
        Ok(response) => span.set_status(response.status.0),
        Err(_) => span.tag("error", "request failed"),
    }
    result
}
