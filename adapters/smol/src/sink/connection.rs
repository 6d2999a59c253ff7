//! One Scribe connection: read frames, decode their calls, hand the spans on, answer every call in order.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::TcpStream;
use smol::Timer;
use tryfer_core::scribe::{split_frame, ApplicationException, FRAME_HEADER_LEN};

use super::call::{append_exception, header_of, read_call, write_outcome_reply, CallOutcome};
use super::server::Shared;

/// How many bytes one read asks for.
const READ_CHUNK: usize = 64 * 1024;

/// Logs the first problem of a connection as a warning and the rest at debug level, so a confused client
/// cannot flood the log.
struct ProblemLog {
    peer: SocketAddr,
    warned: bool,
}

impl ProblemLog {
    fn report(&mut self, problem: &str) {
        if self.warned {
            log::debug!("scribe sink: {}: {problem}", self.peer);
        } else {
            self.warned = true;
            log::warn!(
                "scribe sink: {}: {problem} (further problems on this connection are logged at debug level)",
                self.peer
            );
        }
    }
}

/// Why reading stopped.
enum Stop {
    /// The peer closed, or the socket failed.
    Closed,
    /// The peer sent nothing for the idle timeout.
    Idle,
}

/// Reads into `chunk`, giving up after `idle` without data.
async fn read_some(stream: &mut TcpStream, chunk: &mut [u8], idle: Option<Duration>) -> Result<usize, Stop> {
    let read = async { stream.read(chunk).await.map_err(|_| Stop::Closed) };
    let result = match idle {
        Some(idle) => {
            smol::future::or(read, async {
                Timer::after(idle).await;
                Err(Stop::Idle)
            })
            .await
        }
        None => read.await,
    };
    match result {
        Ok(0) => Err(Stop::Closed),
        other => other,
    }
}

/// Serves one connection until the peer closes it, it idles out, or it sends a frame over the limit.
pub(crate) async fn serve(mut stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let options = &shared.options;
    let mut problems = ProblemLog { peer, warned: false };
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut scratch = Vec::new();
    let mut replies = Vec::new();
    loop {
        let mut consumed = 0;
        let mut close = false;
        loop {
            let rest = buf.get(consumed..).unwrap_or_default();
            let outcome = match split_frame(rest, options.max_frame) {
                Ok(Some(frame)) => {
                    consumed += FRAME_HEADER_LEN + frame.payload.len();
                    read_call(frame.payload, options.max_spans_per_call, &mut scratch)
                }
                Ok(None) => break,
                Err(_too_large) => {
                    let (seqid, oneway) = header_of(rest.get(FRAME_HEADER_LEN..).unwrap_or_default());
                    let message = format!("frame exceeds the maximum of {} bytes", options.max_frame);
                    problems.report(&format!("{message}; closing the connection"));
                    shared.stats.add_bad_frame(true);
                    if !oneway {
                        append_exception(seqid, ApplicationException::PROTOCOL_ERROR, &message, &mut replies);
                    }
                    close = true;
                    break;
                }
            };
            write_outcome_reply(&outcome, &mut replies);
            match outcome {
                CallOutcome::Accepted { spans, ignored, .. } => {
                    let count = spans.len() as u64;
                    for span in spans {
                        // A closed channel means nobody watches the spans: they are still acknowledged.
                        let _ = shared.spans.send(span).await;
                    }
                    shared.stats.add_call(count, ignored as u64);
                }
                CallOutcome::Rejected { spans, reason, .. } => {
                    problems.report(&format!("call refused: {reason}"));
                    shared.stats.add_rejected_call(spans as u64);
                }
                CallOutcome::Unreadable { error, .. } => {
                    problems.report(&format!("bad frame: {error}"));
                    shared.stats.add_bad_frame(false);
                }
            }
        }
        buf.drain(..consumed.min(buf.len()));
        if !replies.is_empty() {
            let written = stream.write_all(&replies).await;
            replies.clear();
            if written.is_err() || stream.flush().await.is_err() {
                return;
            }
        }
        if close {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        match read_some(&mut stream, &mut chunk, options.idle_timeout).await {
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(Stop::Closed) => {
                if !buf.is_empty() {
                    log::debug!(
                        "scribe sink: {peer}: closed inside a frame ({} bytes unread)",
                        buf.len()
                    );
                }
                return;
            }
            Err(Stop::Idle) => {
                log::debug!("scribe sink: {peer}: idle, closing");
                shared.stats.add_idle_closed();
                return;
            }
        }
    }
}
