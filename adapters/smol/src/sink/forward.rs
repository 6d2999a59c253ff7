//! Forwarding received spans to a Zipkin HTTP collector: each span re-encoded as Zipkin v2 JSON by the core,
//! batched, and posted to e.g. `http://127.0.0.1:9411/api/v2/spans` with `b3: 0` (so traced proxies don't
//! trace the forwarding itself).
//!
//! [`Forwarder::forward`] never blocks: spans wait in a bounded queue and are dropped, and counted, when it is
//! full. Posts are not retried: this is a developer's tap, and the counters say what was lost.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use async_channel::{Receiver, Sender, TrySendError};
use surf::http::{mime, Method, Url};
use tryfer_core::json;

use super::record::ReceivedSpan;
use crate::buffer::Buffer;

/// Most spans waiting to be posted; more are dropped.
pub const QUEUE: usize = 10_000;
/// Most spans in one post.
pub const BATCH: usize = 100;
/// How long one post may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a forwarding target is refused at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError(String);

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TargetError {}

/// Forwarding counters, shared with the posting task.
#[derive(Debug, Default)]
pub struct ForwardStats {
    forwarded: AtomicU64,
    dropped: AtomicU64,
    posts: AtomicU64,
    failed_posts: AtomicU64,
}

/// A copy of [`ForwardStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForwardSnapshot {
    /// Spans the collector accepted.
    pub forwarded: u64,
    /// Spans lost: the queue was full, or their post failed.
    pub dropped: u64,
    /// Posts the collector accepted.
    pub posts: u64,
    /// Posts that failed (connection error, timeout, or a status other than 2xx).
    pub failed_posts: u64,
}

impl ForwardStats {
    /// Copies every counter.
    pub fn snapshot(&self) -> ForwardSnapshot {
        ForwardSnapshot {
            forwarded: self.forwarded.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            posts: self.posts.load(Relaxed),
            failed_posts: self.failed_posts.load(Relaxed),
        }
    }
}

/// The sending half of a forwarding queue; clone it freely.
#[derive(Debug, Clone)]
pub struct Forwarder {
    queue: Sender<ReceivedSpan>,
    stats: Arc<ForwardStats>,
}

/// Checks that `url` is an `http` URL this build can post to.
pub fn parse_target(url: &str) -> Result<Url, TargetError> {
    let parsed = Url::parse(url).map_err(|e| TargetError(format!("--forward {url:?} is not a URL: {e}")))?;
    match parsed.scheme() {
        "http" if parsed.host().is_some() => Ok(parsed),
        "http" => Err(TargetError(format!("--forward {url:?} has no host"))),
        "https" => Err(TargetError(format!(
            "--forward {url:?}: this build has no TLS; forward to an http:// collector"
        ))),
        other => Err(TargetError(format!("--forward {url:?}: unsupported scheme {other:?}"))),
    }
}

impl Forwarder {
    /// A forwarder posting to `url`, and the task that posts: run it (e.g. `smol::spawn`) for as long as spans
    /// should be forwarded; it ends once every [`Forwarder`] clone is dropped and the queue is drained.
    pub fn new(url: &str) -> Result<(Forwarder, impl Future<Output = ()> + Send + 'static), TargetError> {
        let target = parse_target(url)?;
        let client: surf::Client = surf::Config::new()
            .set_timeout(Some(TIMEOUT))
            .try_into()
            .map_err(|e| TargetError(format!("cannot make an HTTP client: {e}")))?;
        let (queue, spans) = async_channel::bounded(QUEUE);
        let stats = Arc::new(ForwardStats::default());
        let task = post_batches(client, target, spans, stats.clone());
        Ok((Forwarder { queue, stats }, task))
    }

    /// Queues a span for the collector; drops and counts it when the queue is full.
    pub fn forward(&self, span: ReceivedSpan) {
        if let Err(TrySendError::Full(_) | TrySendError::Closed(_)) = self.queue.try_send(span) {
            self.stats.dropped.fetch_add(1, Relaxed);
        }
    }

    /// The forwarding counters.
    pub fn stats(&self) -> Arc<ForwardStats> {
        self.stats.clone()
    }
}

/// Posts one body; `Err` carries a short reason for the log.
async fn post(client: &surf::Client, target: &Url, body: Vec<u8>) -> Result<(), String> {
    let request = surf::RequestBuilder::new(Method::Post, target.clone())
        .header("b3", "0")
        .content_type(mime::JSON)
        .body(surf::Body::from_bytes(body))
        .build();
    let response = client.send(request).await.map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("collector answered {}", response.status()))
    }
}

/// The posting task: takes whatever spans are queued (up to [`BATCH`]), posts them, repeats.
async fn post_batches(client: surf::Client, target: Url, spans: Receiver<ReceivedSpan>, stats: Arc<ForwardStats>) {
    let mut failing = false;
    while let Ok(first) = spans.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match spans.try_recv() {
                Ok(span) => batch.push(span),
                Err(_) => break,
            }
        }
        let mut body = Vec::new();
        let count = batch.len() as u64;
        if json::encode_v2_spans(&batch, Buffer::new(&mut body)).is_err() {
            log::warn!("forward: cannot encode {count} spans as JSON; dropped");
            stats.dropped.fetch_add(count, Relaxed);
            continue;
        }
        match post(&client, &target, body).await {
            Ok(()) => {
                stats.posts.fetch_add(1, Relaxed);
                stats.forwarded.fetch_add(count, Relaxed);
                if failing {
                    log::info!("forward: {target} accepts spans again");
                }
                failing = false;
            }
            Err(reason) => {
                stats.failed_posts.fetch_add(1, Relaxed);
                stats.dropped.fetch_add(count, Relaxed);
                if failing {
                    log::debug!("forward: post to {target} failed: {reason}; {count} spans dropped");
                } else {
                    log::warn!("forward: post to {target} failed: {reason}; {count} spans dropped");
                }
                failing = true;
            }
        }
    }
}
