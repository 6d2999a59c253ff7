//! The Zipkin HTTP reporter (feature `reqwless`): `POST /api/v1/spans` with a TBinaryProtocol span list, for
//! collectors without a Scribe port.
//!
//! Like the Scribe reporter it batches, holds spans until the clock is set, and delivers at least once:
//! `202`/`2xx` counts the spans as sent; `429` and `5xx` pause with backoff and post the same body again;
//! other statuses count the spans as rejected; a lost connection reconnects with backoff. Each post carries
//! `b3: 0`, so a traced proxy in between does not trace the reporting itself.

use embassy_net::tcp::TcpSocket;
use embassy_net::{IpEndpoint, Stack};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_time::{with_timeout, Duration, Timer};
use reqwless::client::HttpConnection;
use reqwless::request::{Request, RequestBuilder};
use tryfer_core::sink::{EncodeError, Slice};
use tryfer_core::thrift::{binary_span_len, encode_binary_span_list};

use super::{Backoff, Batch};
use crate::clock::EpochSpan;
use crate::stats::Counter;
use crate::tracer::Tracer;

/// The socket's receive buffer.
pub const SOCKET_RX: usize = 512;
/// The socket's send buffer.
pub const SOCKET_TX: usize = 1024;
/// Room for the response's status line and headers.
pub const RESPONSE_BUFFER: usize = 512;

/// A TBinaryProtocol list header: element type, `i32` count.
const LIST_HEADER: usize = 5;

/// Where and how to post.
#[derive(Debug, Clone, Copy)]
pub struct HttpConfig {
    /// The collector's address, e.g. port 9411.
    pub collector: IpEndpoint,
    /// The `Host` header.
    pub host: &'static str,
    /// The path, `/api/v1/spans` for Zipkin.
    pub path: &'static str,
    /// Pauses between connection attempts and retries.
    pub backoff: Backoff,
    /// How long to wait for the response.
    pub response_timeout: Duration,
    /// After the first span of a batch, how long to wait for more.
    pub linger: Duration,
    /// How often to look whether the epoch clock is set, while spans are held for it.
    pub clock_poll: Duration,
}

impl HttpConfig {
    /// Zipkin's v1 endpoint on `collector`.
    pub const fn new(collector: IpEndpoint, host: &'static str) -> Self {
        HttpConfig {
            collector,
            host,
            path: "/api/v1/spans",
            backoff: Backoff::DEFAULT,
            response_timeout: Duration::from_secs(5),
            linger: Duration::from_millis(100),
            clock_poll: Duration::from_millis(100),
        }
    }
}

/// The reporter's static memory: a batch of `B` spans, a body buffer of `F` bytes, and the socket's buffers.
pub struct HttpBuffers<const N: usize = 8, const T: usize = 256, const B: usize = 4, const F: usize = 3072> {
    batch: Batch<N, T, B>,
    body: [u8; F],
    response: [u8; RESPONSE_BUFFER],
    socket_rx: [u8; SOCKET_RX],
    socket_tx: [u8; SOCKET_TX],
}

impl<const N: usize, const T: usize, const B: usize, const F: usize> Default for HttpBuffers<N, T, B, F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const T: usize, const B: usize, const F: usize> HttpBuffers<N, T, B, F> {
    /// Empty buffers (const, for a `static` or a `StaticCell`).
    pub const fn new() -> Self {
        HttpBuffers {
            batch: Batch::new(),
            body: [0; F],
            response: [0; RESPONSE_BUFFER],
            socket_rx: [0; SOCKET_RX],
            socket_tx: [0; SOCKET_TX],
        }
    }
}

enum Delivery {
    Ok,
    TryLater,
    Rejected,
    Io,
}

/// Ships the tracer's spans to Zipkin's HTTP collector; run [`HttpReporter::run`] in its own task.
pub struct HttpReporter<'a, M: RawMutex, const Q: usize, const N: usize, const T: usize> {
    stack: Stack<'a>,
    tracer: &'a Tracer<M, Q, N, T>,
    config: HttpConfig,
}

impl<'a, M: RawMutex, const Q: usize, const N: usize, const T: usize> HttpReporter<'a, M, Q, N, T> {
    /// A reporter for `tracer`'s spans over `stack`.
    pub const fn new(stack: Stack<'a>, tracer: &'a Tracer<M, Q, N, T>, config: HttpConfig) -> Self {
        HttpReporter { stack, tracer, config }
    }

    /// Runs forever: waits for the clock, batches, encodes, posts, reconnects.
    pub async fn run<const B: usize, const F: usize>(&self, buffers: &mut HttpBuffers<N, T, B, F>) -> ! {
        let HttpBuffers {
            batch,
            body,
            response,
            socket_rx,
            socket_tx,
        } = buffers;
        let mut socket = TcpSocket::new(self.stack, socket_rx, socket_tx);
        let mut connected = false;
        let config = &self.config;
        loop {
            let epoch_at_boot = self.tracer.clock().wait_set(config.clock_poll).await;
            let count = batch
                .fill(self.tracer, epoch_at_boot, config.linger, F, |spans| {
                    // A binary list: element type and i32 count, then the spans.
                    let mut len = LIST_HEADER;
                    for span in spans {
                        len = len.checked_add(binary_span_len(&span)?).ok_or(EncodeError::TooLong)?;
                    }
                    Ok(len)
                })
                .await;
            let len = {
                let mut out = Slice::new(body);
                let spans = batch.spans().iter().map(|s| EpochSpan::new(s, epoch_at_boot));
                match encode_binary_span_list(spans, &mut out) {
                    Ok(()) => out.len(),
                    Err(_) => {
                        self.tracer.count(Counter::Oversize, count as u32);
                        batch.clear();
                        continue;
                    }
                }
            };
            batch.clear();
            let body = body.get(..len).unwrap_or(&[]);
            let mut pause = config.backoff.min;
            loop {
                if !connected {
                    socket.abort();
                    let _ = socket.flush().await;
                    socket.set_timeout(Some(config.response_timeout));
                    match socket.connect(config.collector).await {
                        Ok(()) => connected = true,
                        Err(_) => {
                            self.tracer.count(Counter::ConnectFailures, 1);
                            Timer::after(pause).await;
                            pause = config.backoff.next(pause);
                            continue;
                        }
                    }
                }
                match post(&mut socket, config, body, response).await {
                    Delivery::Ok => {
                        self.tracer.count(Counter::Sent, count as u32);
                        break;
                    }
                    Delivery::Rejected => {
                        self.tracer.count(Counter::Rejected, count as u32);
                        break;
                    }
                    Delivery::TryLater => self.tracer.count(Counter::TryLater, 1),
                    Delivery::Io => {
                        self.tracer.count(Counter::IoErrors, 1);
                        connected = false;
                    }
                }
                Timer::after(pause).await;
                pause = config.backoff.next(pause);
            }
        }
    }
}

/// Posts one body and reads the status, discarding the response body so the connection can be reused.
async fn post(socket: &mut TcpSocket<'_>, config: &HttpConfig, body: &[u8], response: &mut [u8]) -> Delivery {
    let headers = [("Content-Type", "application/x-thrift"), ("b3", "0")];
    let request = Request::post(config.path)
        .host(config.host)
        .headers(&headers)
        .body(body)
        .build();
    let mut conn = HttpConnection::Plain(socket);
    let sent = with_timeout(config.response_timeout, async {
        let response = conn.send(request, response).await?;
        let status = response.status.0;
        response.body().discard().await?;
        Ok::<u16, reqwless::Error>(status)
    })
    .await;
    match sent {
        Ok(Ok(status)) if (200..300).contains(&status) => Delivery::Ok,
        Ok(Ok(429)) => Delivery::TryLater,
        Ok(Ok(status)) if status >= 500 => Delivery::TryLater,
        Ok(Ok(_)) => Delivery::Rejected,
        Ok(Err(_)) | Err(_) => Delivery::Io,
    }
}
