//! The Scribe reporter: framed `Log` calls over one TCP connection to a Scribe collector.
//!
//! One call at a time: a batch is encoded once into the frame buffer and that frame is sent until the
//! collector answers `OK` (spans counted as sent) or an exception (counted as rejected: Zipkin stores none of
//! a call it could not decode, so resending would not help). `TRY_LATER` pauses with backoff and resends on
//! the same connection; a lost connection, a reply that does not parse or does not arrive in time closes the
//! socket, reconnects with backoff and resends. Delivery is at least once: a call whose reply was lost may
//! arrive twice.

use embassy_net::tcp::TcpSocket;
use embassy_net::{IpEndpoint, Stack};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_time::{with_timeout, Duration, Timer};
use tryfer_core::scribe::{self, LogOptions, Outcome};
use tryfer_core::sink::Slice;

use super::{Backoff, Batch};
use crate::clock::EpochSpan;
use crate::fmt::{log_debug, log_warn};
use crate::stats::Counter;
use crate::tracer::Tracer;

/// The socket's receive buffer: replies are about 30 bytes.
pub const SOCKET_RX: usize = 128;
/// The socket's send buffer.
pub const SOCKET_TX: usize = 1024;
/// The longest reply frame accepted; a longer one is treated as garbage.
pub const MAX_REPLY: usize = 256;

/// Where and how to report.
#[derive(Debug, Clone, Copy)]
pub struct ScribeConfig {
    /// The collector's address, e.g. port 9410.
    pub collector: IpEndpoint,
    /// Category and span encoding (binary for Zipkin; compact only for `tryfer-sink`).
    pub options: LogOptions<'static>,
    /// Pauses between connection attempts and after `TRY_LATER`.
    pub backoff: Backoff,
    /// How long to wait for a reply before dropping the connection.
    pub reply_timeout: Duration,
    /// After the first span of a batch, how long to wait for more.
    pub linger: Duration,
    /// How often to look whether the epoch clock is set, while spans are held for it.
    pub clock_poll: Duration,
}

impl ScribeConfig {
    /// Zipkin's defaults for `collector`: category `zipkin`, binary spans, 250 ms–30 s backoff, 5 s reply
    /// timeout, 100 ms linger.
    pub const fn new(collector: IpEndpoint) -> Self {
        ScribeConfig {
            collector,
            options: LogOptions::new(),
            backoff: Backoff::DEFAULT,
            reply_timeout: Duration::from_secs(5),
            linger: Duration::from_millis(100),
            clock_poll: Duration::from_millis(100),
        }
    }
}

/// The reporter's static memory: a batch of `B` spans of the tracer's `N`/`T`, a frame buffer of `F` bytes
/// (one encoded call), and the socket's buffers.
pub struct ScribeBuffers<const N: usize = 8, const T: usize = 256, const B: usize = 4, const F: usize = 4096> {
    batch: Batch<N, T, B>,
    frame: [u8; F],
    reply: [u8; MAX_REPLY],
    socket_rx: [u8; SOCKET_RX],
    socket_tx: [u8; SOCKET_TX],
}

impl<const N: usize, const T: usize, const B: usize, const F: usize> Default for ScribeBuffers<N, T, B, F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const T: usize, const B: usize, const F: usize> ScribeBuffers<N, T, B, F> {
    /// Empty buffers (const, for a `static` or a `StaticCell`).
    pub const fn new() -> Self {
        ScribeBuffers {
            batch: Batch::new(),
            frame: [0; F],
            reply: [0; MAX_REPLY],
            socket_rx: [0; SOCKET_RX],
            socket_tx: [0; SOCKET_TX],
        }
    }
}

/// What one attempt to deliver a frame came to.
enum Delivery {
    Ok,
    TryLater,
    Rejected,
    Io,
    BadReply,
}

/// Ships the tracer's spans to a Scribe collector; run [`ScribeReporter::run`] in its own task.
pub struct ScribeReporter<'a, M: RawMutex, const Q: usize, const N: usize, const T: usize> {
    stack: Stack<'a>,
    tracer: &'a Tracer<M, Q, N, T>,
    config: ScribeConfig,
}

impl<'a, M: RawMutex, const Q: usize, const N: usize, const T: usize> ScribeReporter<'a, M, Q, N, T> {
    /// A reporter for `tracer`'s spans over `stack`.
    pub const fn new(stack: Stack<'a>, tracer: &'a Tracer<M, Q, N, T>, config: ScribeConfig) -> Self {
        ScribeReporter { stack, tracer, config }
    }

    /// Runs forever: waits for the clock, batches, encodes, delivers, reconnects.
    pub async fn run<const B: usize, const F: usize>(&self, buffers: &mut ScribeBuffers<N, T, B, F>) -> ! {
        let ScribeBuffers {
            batch,
            frame,
            reply,
            socket_rx,
            socket_tx,
        } = buffers;
        let mut socket = TcpSocket::new(self.stack, socket_rx, socket_tx);
        let mut connected = false;
        let mut seqid: i32 = 0;
        let config = &self.config;
        loop {
            let epoch_at_boot = self.tracer.clock().wait_set(config.clock_poll).await;
            let count = batch
                .fill(self.tracer, epoch_at_boot, config.linger, F, |spans| {
                    scribe::log_call_len(spans, &config.options)
                })
                .await;
            seqid = seqid.wrapping_add(1);
            let len = {
                let mut out = Slice::new(frame);
                let spans = batch.spans().iter().map(|s| EpochSpan::new(s, epoch_at_boot));
                match scribe::write_log_call(spans, seqid, &config.options, &mut out) {
                    Ok(()) => out.len(),
                    Err(_) => {
                        // Measured to fit, so this does not happen; count rather than send a partial frame.
                        self.tracer.count(Counter::Oversize, count as u32);
                        batch.clear();
                        continue;
                    }
                }
            };
            batch.clear();
            let frame = frame.get(..len).unwrap_or(&[]);
            let mut pause = config.backoff.min;
            loop {
                if !connected {
                    socket.abort();
                    let _ = socket.flush().await;
                    socket.set_timeout(Some(config.reply_timeout));
                    match socket.connect(config.collector).await {
                        Ok(()) => connected = true,
                        Err(_) => {
                            log_debug!("scribe: connect failed");
                            self.tracer.count(Counter::ConnectFailures, 1);
                            Timer::after(pause).await;
                            pause = config.backoff.next(pause);
                            continue;
                        }
                    }
                }
                match deliver(&mut socket, frame, seqid, reply, config.reply_timeout).await {
                    Delivery::Ok => {
                        self.tracer.count(Counter::Sent, count as u32);
                        break;
                    }
                    Delivery::Rejected => {
                        log_warn!("scribe: collector rejected a call");
                        self.tracer.count(Counter::Rejected, count as u32);
                        break;
                    }
                    Delivery::TryLater => {
                        self.tracer.count(Counter::TryLater, 1);
                    }
                    Delivery::Io => {
                        self.tracer.count(Counter::IoErrors, 1);
                        connected = false;
                    }
                    Delivery::BadReply => {
                        self.tracer.count(Counter::BadReplies, 1);
                        connected = false;
                    }
                }
                Timer::after(pause).await;
                pause = config.backoff.next(pause);
            }
        }
    }
}

/// Sends one frame and reads its reply.
async fn deliver(
    socket: &mut TcpSocket<'_>,
    frame: &[u8],
    seqid: i32,
    reply: &mut [u8; MAX_REPLY],
    timeout: Duration,
) -> Delivery {
    let mut rest = frame;
    while !rest.is_empty() {
        match socket.write(rest).await {
            Ok(0) | Err(_) => return Delivery::Io,
            Ok(n) => rest = rest.get(n..).unwrap_or(&[]),
        }
    }
    if socket.flush().await.is_err() {
        return Delivery::Io;
    }
    let mut filled = 0;
    loop {
        match scribe::read_reply(reply.get(..filled).unwrap_or(&[]), MAX_REPLY) {
            Ok(Some((r, _))) if r.seqid != seqid => return Delivery::BadReply,
            Ok(Some((r, _))) => {
                return match r.outcome {
                    Outcome::Ok => Delivery::Ok,
                    Outcome::TryLater => Delivery::TryLater,
                    Outcome::Exception(_) => Delivery::Rejected,
                }
            }
            Ok(None) => {}
            Err(_) => return Delivery::BadReply,
        }
        let Some(space) = reply.get_mut(filled..).filter(|s| !s.is_empty()) else {
            return Delivery::BadReply;
        };
        match with_timeout(timeout, socket.read(space)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Delivery::Io,
            Ok(Ok(n)) => filled += n,
            Err(_) => return Delivery::BadReply,
        }
    }
}
