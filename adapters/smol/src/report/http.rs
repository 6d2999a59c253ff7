//! The Zipkin HTTP reporter: batches of spans posted to a Zipkin collector (port 9411) with surf, as v2 JSON to
//! `/api/v2/spans` or as a v1 Thrift list to `/api/v1/spans`, each post carrying `b3: 0` so that traced proxies
//! don't trace the reporting itself.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use tryfer_smol::report::http::{HttpOptions, HttpReporter};
//! let reporter = Arc::new(HttpReporter::spawn("http://127.0.0.1:9411", HttpOptions::default())?);
//! let tracer = tryfer_smol::Tracer::builder("frontend").build(reporter.clone());
//! // ... trace requests ...
//! let report = reporter.close(Duration::from_secs(5)).await;
//! println!("{} spans sent, {} lost at close", report.sent(), report.lost);
//! # drop(tracer); Ok(()) }
//! ```
//!
//! | response | spans |
//! |---|---|
//! | 2xx (Zipkin answers `202 Accepted`) | counted sent |
//! | 408, 429 | resent after a backoff (429 counts as a `try_later`) |
//! | other 4xx, 1xx, 3xx | dropped as [`DropReason::Rejected`]; the first body is logged |
//! | 5xx, connection error, no response within [`DeliveryOptions::timeout`] | resent after a backoff |
//!
//! surf keeps connections alive between posts; after a timeout or a connection error the reporter starts a
//! fresh client (a fresh pool), which the `reconnects` counter counts.
//!
//! [`DropReason::Rejected`]: crate::stats::DropReason::Rejected

use std::sync::Arc;
use std::time::Duration;

use futures_lite::future;
use smol::Timer;
use surf::http::Method;
use surf::{Body, Client, Request, Url};
use tryfer_core::sink::Slice;
use tryfer_core::{b3, json, thrift, EncodeError, Sampling};

use super::delivery::{Attempt, DeliveryOptions, Transport};
use super::handle::{start, CloseReport, FlushOutcome, ReporterHandle, ReporterTask};
use super::Report;
use crate::span::HostSpan;
use crate::stats::{ReporterStats, StatsSnapshot};

/// Longest part of a refusal's body quoted in the log.
const QUOTED_BODY: usize = 512;

/// The body format of the posts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum HttpEncoding {
    /// A JSON array of v2 spans to `/api/v2/spans` (`application/json`): what current Zipkin servers prefer.
    #[default]
    JsonV2,
    /// A TBinaryProtocol `list<Span>` to `/api/v1/spans` (`application/x-thrift`), the v1 model unchanged.
    ThriftV1,
}

impl HttpEncoding {
    /// The collector path used when the URL given has none.
    pub const fn path(self) -> &'static str {
        match self {
            HttpEncoding::JsonV2 => "/api/v2/spans",
            HttpEncoding::ThriftV1 => "/api/v1/spans",
        }
    }

    /// The `Content-Type` of the posts.
    pub const fn content_type(self) -> &'static str {
        match self {
            HttpEncoding::JsonV2 => "application/json",
            HttpEncoding::ThriftV1 => "application/x-thrift",
        }
    }
}

/// How the HTTP reporter encodes and delivers spans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpOptions {
    /// The body format (and default path). Default v2 JSON.
    pub encoding: HttpEncoding,
    /// Batching, timeouts, retries and queue bounds ([`DeliveryOptions::max_bytes`] bounds a body).
    pub delivery: DeliveryOptions,
}

/// Reports spans to a Zipkin HTTP collector from a background task; `report` never blocks.
#[derive(Debug)]
pub struct HttpReporter {
    handle: ReporterHandle,
}

impl HttpReporter {
    /// A reporter posting to `url` (`http://host:9411`; without a path, the encoding's path is used), its task
    /// spawned on smol's global executor. Fails when `url` does not parse.
    pub fn spawn(url: &str, options: HttpOptions) -> Result<Self, surf::http::url::ParseError> {
        let (reporter, task) = Self::new(url, options)?;
        smol::spawn(task).detach();
        Ok(reporter)
    }

    /// A reporter posting to `url`, and the task that does the posting, for the caller to spawn.
    pub fn new(url: &str, options: HttpOptions) -> Result<(Self, ReporterTask), surf::http::url::ParseError> {
        let mut url = Url::parse(url)?;
        if url.path().is_empty() || url.path() == "/" {
            url.set_path(options.encoding.path());
        }
        let stats = Arc::new(ReporterStats::new());
        let transport = HttpTransport::new(url, &options, stats.clone());
        let (handle, task) = start(transport, stats, &options.delivery);
        Ok((HttpReporter { handle }, task))
    }

    /// The queue and task controls shared with the Scribe reporter.
    pub fn handle(&self) -> &ReporterHandle {
        &self.handle
    }

    /// The counters right now.
    pub fn stats(&self) -> StatsSnapshot {
        self.handle.stats()
    }

    /// The live counters.
    pub fn counters(&self) -> Arc<ReporterStats> {
        self.handle.counters()
    }

    /// Waits until every span reported before this call is sent or dropped, at most `timeout`.
    pub async fn flush(&self, timeout: Duration) -> FlushOutcome {
        self.handle.flush(timeout).await
    }

    /// Stops taking spans, sends what is queued for at most `timeout`, drops the rest, says what was lost.
    pub async fn close(&self, timeout: Duration) -> CloseReport {
        self.handle.close(timeout).await
    }
}

impl Report for HttpReporter {
    fn report(&self, span: Box<HostSpan>) {
        self.handle.report(span);
    }
}

/// Posts batches with one surf client (which keeps connections alive between posts), replaced by a fresh one
/// after a timeout or a connection error: surf's pool would otherwise hand out the dead connection again.
struct HttpTransport {
    client: Client,
    stats: Arc<ReporterStats>,
    url: Url,
    encoding: HttpEncoding,
    /// The encoded body of the current batch, kept for retries.
    body: Vec<u8>,
    encoded: bool,
    timeout: Duration,
}

impl HttpTransport {
    fn new(url: Url, options: &HttpOptions, stats: Arc<ReporterStats>) -> Self {
        HttpTransport {
            client: fresh_client(&stats),
            stats,
            url,
            encoding: options.encoding,
            body: Vec::new(),
            encoded: false,
            timeout: options.delivery.timeout,
        }
    }

    /// Posts the body, within the timeout.
    async fn post_in_time(&self) -> Result<Attempt, String> {
        let timeout = self.timeout;
        let expired = async {
            Timer::after(timeout).await;
            Err(format!("no response within {timeout:?}"))
        };
        future::or(self.post(), expired).await
    }

    /// Writes the body for `spans`, `len` bytes, into the reused buffer.
    fn encode(&mut self, spans: &[Box<HostSpan>], len: usize) -> Result<(), String> {
        self.encoded = false;
        self.body.resize(len, 0);
        let mut out = Slice::new(&mut self.body);
        let spans = spans.iter().map(|span| &**span);
        match self.encoding {
            HttpEncoding::JsonV2 => json::encode_v2_spans(spans, &mut out),
            HttpEncoding::ThriftV1 => thrift::encode_binary_span_list(spans, &mut out),
        }
        .map_err(|e| e.to_string())?;
        if out.len() != len {
            return Err(format!("body is {} bytes, {len} were measured", out.len()));
        }
        self.encoded = true;
        Ok(())
    }

    /// Posts the body and reads the response; `Err` when no response came (the connection is suspect).
    async fn post(&self) -> Result<Attempt, String> {
        let mut request = Request::new(Method::Post, self.url.clone());
        request.set_body(Body::from_bytes(self.body.clone()));
        request.insert_header("Content-Type", self.encoding.content_type());
        b3::inject_sampling(Sampling::Deny, false, &mut |name: &'static str, value: &str| {
            request.insert_header(name, value);
        });
        let mut response = match self.client.send(request).await {
            Ok(response) => response,
            Err(e) => return Err(format!("posting to {}: {e}", self.url)),
        };
        let status = u16::from(response.status());
        // Read the body even when it is not needed, so that the connection can carry the next post.
        let body = response
            .body_bytes()
            .await
            .map_err(|e| format!("reading the response: {e}"))?;
        Ok(match status {
            200..=299 => Attempt::Sent { bytes: self.body.len() },
            429 => Attempt::TryLater,
            408 | 500..=599 => Attempt::Failed(format!("{} answered {status}", self.url)),
            _ => {
                let quoted: String = String::from_utf8_lossy(&body).chars().take(QUOTED_BODY).collect();
                Attempt::Rejected(format!("{} answered {status}: {quoted:?}", self.url))
            }
        })
    }
}

/// A surf client with its own connection pool, counted as a reconnect.
fn fresh_client(stats: &ReporterStats) -> Client {
    stats.add_reconnect();
    let config = surf::Config::new().set_timeout(None).set_tcp_no_delay(true);
    Client::try_from(config).unwrap_or_else(|e| {
        log::warn!("cannot configure the HTTP client ({e}); using the defaults");
        Client::new()
    })
}

impl Transport for HttpTransport {
    fn call_overhead(&self) -> usize {
        match self.encoding {
            // `[` and `]`; each span counts one more byte for its comma, one too many in all.
            HttpEncoding::JsonV2 => 1,
            // The list header: element type and count.
            HttpEncoding::ThriftV1 => 5,
        }
    }

    fn span_size(&self, span: &HostSpan) -> Result<usize, EncodeError> {
        match self.encoding {
            HttpEncoding::JsonV2 => Ok(json::v2_span_len(span)? + 1),
            HttpEncoding::ThriftV1 => thrift::binary_span_len(span),
        }
    }

    async fn send(&mut self, spans: &[Box<HostSpan>], _sizes: &[usize], size: usize, retry: bool) -> Attempt {
        if !(retry && self.encoded) {
            if let Err(why) = self.encode(spans, self.call_overhead() + size) {
                return Attempt::Unencodable(why);
            }
        }
        match self.post_in_time().await {
            Ok(attempt) => attempt,
            Err(why) => {
                self.client = fresh_client(&self.stats);
                Attempt::Failed(why)
            }
        }
    }
}
