//! The Scribe reporter: batches of spans in framed `Log` calls to a Zipkin Scribe collector (port 9410) over
//! TCP, as the original tryfer's `ZipkinTracer` did, with the retries and accounting it lacked.
//!
//! ```no_run
//! # async fn run() {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use tryfer_smol::report::scribe::{ScribeOptions, ScribeReporter};
//! use tryfer_smol::Tracer;
//! let reporter = Arc::new(ScribeReporter::spawn("127.0.0.1:9410", ScribeOptions::default()));
//! let tracer = Tracer::builder("frontend").build(reporter.clone());
//! // ... trace requests ...
//! let report = reporter.close(Duration::from_secs(5)).await;
//! println!("{} spans sent, {} lost at close", report.sent(), report.lost);
//! # drop(tracer); }
//! ```
//!
//! Each call carries up to [`DeliveryOptions::max_spans`] spans, each measured once with
//! [`scribe::log_entry_len`] as it joins the batch and written by [`scribe::write_log_call_sized`] into one
//! reused buffer (encoded once more, not measured again); the reply is read
//! with [`scribe::read_reply`] and must carry the call's sequence id. What happens next:
//!
//! | reply | spans | connection |
//! |---|---|---|
//! | `OK` | counted sent | kept |
//! | `TRY_LATER` | resent after a backoff | kept |
//! | exception (the collector could not decode the call) | dropped as [`DropReason::Rejected`]: resending cannot help | kept |
//! | garbage, wrong sequence id, connection error, no reply within [`DeliveryOptions::timeout`] | resent after a backoff | reopened |
//!
//! A span too big for a call alone is dropped as [`DropReason::Encode`].
//!
//! [`DropReason::Rejected`]: crate::stats::DropReason::Rejected
//! [`DropReason::Encode`]: crate::stats::DropReason::Encode

use std::sync::Arc;
use std::time::Duration;

use futures_lite::future;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::TcpStream;
use smol::Timer;
use tryfer_core::scribe::{self, LogOptions, Outcome, SpanEncoding};
use tryfer_core::sink::Slice;
use tryfer_core::EncodeError;

use super::delivery::{Attempt, DeliveryOptions, Transport};
use super::handle::{start, CloseReport, FlushOutcome, ReporterHandle, ReporterTask};
use super::Report;
use crate::span::HostSpan;
use crate::stats::{ReporterStats, StatsSnapshot};

/// Largest reply frame read (a reply is a few dozen bytes; an exception message may be longer).
const MAX_REPLY_FRAME: usize = 64 * 1024;

/// How the Scribe reporter encodes and delivers spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScribeOptions {
    /// The category of every log entry. Default `"zipkin"`, the only one Zipkin stores.
    pub category: String,
    /// How each span is encoded before base64. Default TBinaryProtocol (compact is read only by tryfer's sink).
    pub encoding: SpanEncoding,
    /// Batching, timeouts, retries and queue bounds. [`DeliveryOptions::max_bytes`] is the frame size limit,
    /// at most Thrift's default maximum frame ([`scribe::MAX_FRAME_DEFAULT`]).
    pub delivery: DeliveryOptions,
}

impl Default for ScribeOptions {
    fn default() -> Self {
        ScribeOptions {
            category: scribe::CATEGORY.to_owned(),
            encoding: SpanEncoding::Binary,
            delivery: DeliveryOptions::default(),
        }
    }
}

/// Reports spans to a Scribe collector from a background task; `report` never blocks.
#[derive(Debug)]
pub struct ScribeReporter {
    handle: ReporterHandle,
}

impl ScribeReporter {
    /// A reporter sending to `address` (`host:port`, resolved at each connection), its task spawned on smol's
    /// global executor.
    pub fn spawn(address: impl Into<String>, options: ScribeOptions) -> Self {
        let (reporter, task) = Self::new(address, options);
        smol::spawn(task).detach();
        reporter
    }

    /// A reporter sending to `address`, and the task that does the sending, for the caller to spawn.
    pub fn new(address: impl Into<String>, mut options: ScribeOptions) -> (Self, ReporterTask) {
        options.delivery.max_bytes = options.delivery.max_bytes.min(scribe::MAX_FRAME_DEFAULT);
        let stats = Arc::new(ReporterStats::new());
        let transport = ScribeTransport::new(address.into(), &options, stats.clone());
        let (handle, task) = start(transport, stats, &options.delivery);
        (ScribeReporter { handle }, task)
    }

    /// The queue and task controls shared with the HTTP reporter.
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

impl Report for ScribeReporter {
    fn report(&self, span: Box<HostSpan>) {
        self.handle.report(span);
    }
}

/// How a collector answered a call.
enum Answer {
    Ok,
    TryLater,
    Exception(String),
}

/// One connection at a time to the collector, and the buffers reused by every call.
struct ScribeTransport {
    address: String,
    category: String,
    encoding: SpanEncoding,
    /// Bytes of a call without spans (frame length, message header, list header, stops).
    overhead: Result<usize, EncodeError>,
    stream: Option<TcpStream>,
    /// The framed call; holds the current batch when `encoded` is true.
    frame: Vec<u8>,
    encoded: bool,
    /// Reply bytes read so far, in `reply[..filled]`.
    reply: Vec<u8>,
    filled: usize,
    seqid: i32,
    timeout: Duration,
    stats: Arc<ReporterStats>,
}

impl ScribeTransport {
    fn new(address: String, options: &ScribeOptions, stats: Arc<ReporterStats>) -> Self {
        let mut transport = ScribeTransport {
            address,
            category: options.category.clone(),
            encoding: options.encoding,
            overhead: Ok(0),
            stream: None,
            frame: Vec::new(),
            encoded: false,
            reply: vec![0; 256],
            filled: 0,
            seqid: 0,
            timeout: options.delivery.timeout,
            stats,
        };
        transport.overhead = scribe::log_call_len(core::iter::empty::<&HostSpan>(), &transport.log_options());
        if let Err(e) = transport.overhead {
            log::error!(
                "Scribe category {:?} cannot be encoded ({e}): every span will be dropped",
                options.category
            );
        }
        transport
    }

    fn log_options(&self) -> LogOptions<'_> {
        LogOptions::new()
            .with_category(&self.category)
            .with_encoding(self.encoding)
    }

    /// Writes the call for `spans` into the frame buffer under a new sequence id.
    fn encode(&mut self, spans: &[Box<HostSpan>], sizes: &[usize], size: usize) -> Result<(), String> {
        self.encoded = false;
        let overhead = self.overhead.map_err(|e| e.to_string())?;
        let len = overhead + size;
        self.seqid = self.seqid.wrapping_add(1);
        self.frame.resize(len, 0);
        let options = LogOptions::new()
            .with_category(&self.category)
            .with_encoding(self.encoding);
        let mut out = Slice::new(&mut self.frame);
        // Each span was measured once when it joined the batch: it is only encoded here.
        let entries = spans.iter().map(|span| &**span).zip(sizes.iter().copied());
        scribe::write_log_call_sized(entries, self.seqid, &options, &mut out).map_err(|e| e.to_string())?;
        if out.len() != len {
            return Err(format!("call is {} bytes, {len} were measured", out.len()));
        }
        self.encoded = true;
        Ok(())
    }

    /// Connects if needed, writes the frame and reads the reply to it.
    async fn call(&mut self) -> Result<Answer, String> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.address.as_str())
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", self.address))?;
            let _ = stream.set_nodelay(true);
            self.stats.add_reconnect();
            self.filled = 0;
            self.stream = Some(stream);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err("no connection".to_owned());
        };
        stream
            .write_all(&self.frame)
            .await
            .map_err(|e| format!("writing the call: {e}"))?;
        loop {
            match scribe::read_reply(&self.reply[..self.filled], MAX_REPLY_FRAME) {
                Ok(Some((reply, used))) => {
                    let answer = match reply.outcome {
                        Outcome::Ok => Answer::Ok,
                        Outcome::TryLater => Answer::TryLater,
                        Outcome::Exception(e) => {
                            let message: String = e.message.chars().take(256).collect();
                            Answer::Exception(format!("exception type {}: {message:?}", e.kind))
                        }
                    };
                    let seqid = reply.seqid;
                    let trailing = self.filled - used;
                    self.filled = 0;
                    if seqid != self.seqid {
                        return Err(format!("reply carries sequence id {seqid}, the call {}", self.seqid));
                    }
                    if trailing > 0 {
                        // Nothing else was asked: the stream is out of step, start a fresh one next time.
                        log::debug!("{trailing} unexpected bytes after a Scribe reply; reconnecting");
                        self.stream = None;
                    }
                    return Ok(answer);
                }
                Ok(None) => {
                    if self.filled == self.reply.len() {
                        let grown = (self.reply.len() * 2).min(MAX_REPLY_FRAME + scribe::FRAME_HEADER_LEN);
                        if grown == self.reply.len() {
                            return Err("reply frame too large".to_owned());
                        }
                        self.reply.resize(grown, 0);
                    }
                    let n = stream
                        .read(&mut self.reply[self.filled..])
                        .await
                        .map_err(|e| format!("reading the reply: {e}"))?;
                    if n == 0 {
                        return Err("collector closed the connection before replying".to_owned());
                    }
                    self.filled += n;
                }
                Err(e) => return Err(format!("garbage reply: {e}")),
            }
        }
    }
}

impl Transport for ScribeTransport {
    fn call_overhead(&self) -> usize {
        self.overhead.unwrap_or(usize::MAX)
    }

    fn span_size(&self, span: &HostSpan) -> Result<usize, EncodeError> {
        self.overhead?;
        scribe::log_entry_len(&span, &self.log_options())
    }

    async fn send(&mut self, spans: &[Box<HostSpan>], sizes: &[usize], size: usize, retry: bool) -> Attempt {
        if !(retry && self.encoded) {
            if let Err(why) = self.encode(spans, sizes, size) {
                return Attempt::Unencodable(why);
            }
        }
        let timeout = self.timeout;
        let expired = async {
            Timer::after(timeout).await;
            Err(format!("no reply within {timeout:?}"))
        };
        let result = future::or(self.call(), expired).await;
        match result {
            Ok(Answer::Ok) => Attempt::Sent {
                bytes: self.frame.len(),
            },
            Ok(Answer::TryLater) => Attempt::TryLater,
            Ok(Answer::Exception(why)) => Attempt::Rejected(why),
            Err(why) => {
                self.stream = None;
                self.filled = 0;
                Attempt::Failed(why)
            }
        }
    }
}
