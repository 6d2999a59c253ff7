//! [`ScribeSink`]: the listening socket, the connection limit, and the tasks that serve each connection.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_channel::{Receiver, Sender};
use smol::net::TcpListener;
use smol::{Executor, Timer};

use super::connection;
use super::record::ReceivedSpan;
use super::stats::SinkStats;
use super::SinkOptions;

/// What every connection task of one sink shares.
pub(crate) struct Shared {
    pub(crate) options: SinkOptions,
    pub(crate) stats: Arc<SinkStats>,
    pub(crate) spans: Sender<ReceivedSpan>,
    active: AtomicUsize,
    refusal_logged: AtomicBool,
}

/// Counts a connection as active until dropped.
struct Active(Arc<Shared>);

impl Drop for Active {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A Scribe receiver: accepts framed `Log` calls, decodes their binary or compact spans, answers like Zipkin's
/// collector, and hands every span to a bounded channel (see [`ScribeSink::take_spans`]).
///
/// ```no_run
/// use tryfer_smol::sink::{ScribeSink, SinkOptions};
/// smol::block_on(async {
///     let mut sink = ScribeSink::bind(([127, 0, 0, 1], 9410).into(), SinkOptions::default()).await?;
///     let spans = sink.take_spans().expect("first take");
///     smol::spawn(sink.run()).detach();
///     while let Ok(span) = spans.recv().await {
///         println!("{}", span.debug_json());
///     }
///     std::io::Result::Ok(())
/// });
/// ```
pub struct ScribeSink {
    listener: TcpListener,
    shared: Arc<Shared>,
    spans: Option<Receiver<ReceivedSpan>>,
}

impl ScribeSink {
    /// Listens on `addr` (use `127.0.0.1:0` for a free port; bind loopback unless boards must reach it).
    pub async fn bind(addr: SocketAddr, options: SinkOptions) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let (tx, rx) = async_channel::bounded(options.span_channel.max(1));
        Ok(ScribeSink {
            listener,
            shared: Arc::new(Shared {
                options,
                stats: Arc::new(SinkStats::new()),
                spans: tx,
                active: AtomicUsize::new(0),
                refusal_logged: AtomicBool::new(false),
            }),
            spans: Some(rx),
        })
    }

    /// The address actually bound (its port, after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The sink's live counters.
    pub fn stats(&self) -> Arc<SinkStats> {
        self.shared.stats.clone()
    }

    /// The decoded spans, in the order their calls arrived (per connection); `None` after the first take.
    ///
    /// The channel holds [`SinkOptions::span_channel`] spans: when the reader falls behind, the sink stops
    /// reading from its connections (the boards see a slow collector, nothing is dropped). A sink whose spans
    /// were never taken, or whose receiver was dropped, still acknowledges and counts every span.
    pub fn take_spans(&mut self) -> Option<Receiver<ReceivedSpan>> {
        self.spans.take()
    }

    /// Serves connections until the future is dropped (which closes every connection). Accept errors, such
    /// as running out of file descriptors, are logged and retried after a pause.
    pub async fn run(self) {
        let ScribeSink {
            listener,
            shared,
            spans,
        } = self;
        drop(spans);
        let executor = Executor::new();
        executor
            .run(async {
                loop {
                    match listener.accept().await {
                        Ok((stream, peer)) => {
                            let active = shared.active.fetch_add(1, Ordering::Relaxed);
                            let guard = Active(shared.clone());
                            if active >= shared.options.max_connections {
                                shared.stats.add_refused_connection();
                                if !shared.refusal_logged.swap(true, Ordering::Relaxed) {
                                    log::warn!(
                                        "scribe sink: refusing {peer}: {} connections open (the limit; further \
                                         refusals are logged at debug level)",
                                        shared.options.max_connections
                                    );
                                } else {
                                    log::debug!("scribe sink: refusing {peer}: connection limit reached");
                                }
                                drop(stream);
                                drop(guard);
                                continue;
                            }
                            shared.stats.add_connection();
                            log::debug!("scribe sink: {peer} connected");
                            let shared = shared.clone();
                            executor
                                .spawn(async move {
                                    let _guard = guard;
                                    connection::serve(stream, peer, shared).await;
                                    log::debug!("scribe sink: {peer} disconnected");
                                })
                                .detach();
                        }
                        Err(e) => {
                            log::warn!("scribe sink: accept failed: {e}");
                            Timer::after(Duration::from_millis(100)).await;
                        }
                    }
                }
            })
            .await
    }
}
