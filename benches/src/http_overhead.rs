//! Item 8: what tracing costs an HTTP server. The example server (`tracing-server`'s file handler and the accept
//! loop of `tryfer_examples::http_server::serve`, in this process on 127.0.0.1) under the same load three ways:
//!
//! - **untraced**: the handler called directly;
//! - **traced, unsampled**: `TracedService` for requests whose B3 says `X-B3-Sampled: 0` (extract, join,
//!   propagate; nothing recorded);
//! - **traced, sampled**: `TracedService` for requests whose B3 says `X-B3-Sampled: 1`: a server span per request
//!   (`sr`, `ca`, method, path, status, `ss`), reported through the Scribe reporter to an in-process
//!   `tryfer-sink` on loopback (the example's debug printer is left out: printing is not tracing).
//!
//! Every request carries the same B3 headers (the untraced server ignores them) and asks for the same small
//! file. The goal: traced throughput at least 95% of untraced.
//!
//! The three use a twin of the examples' `serve` that also sets `TCP_NODELAY` on each accepted connection:
//! async-h1 writes a response's head and body in separate writes, and without it Nagle's algorithm holds the
//! body until the client's delayed ACK (~40 ms per request on Linux loopback). A fourth run, **examples'
//! serve (traced, sampled)**, uses `serve` itself, to show that stall.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use http_types::{Request, Response};
use smol::Async;
use tryfer_core::b3::{self, Format};
use tryfer_core::{Sampling, SpanContext};
use tryfer_examples::files::FileRoot;
use tryfer_examples::http_server::{bind, error_response, serve};
use tryfer_smol::report::scribe::{ScribeOptions, ScribeReporter};
use tryfer_smol::server::TracedService;
use tryfer_smol::sink::{ScribeSink, SinkOptions};
use tryfer_smol::{Report, Tracer};

use crate::http_load::{self, LoadOutcome};
use crate::report::Figure;
use crate::typical;

/// How the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No tracing at all.
    Untraced,
    /// `TracedService`, requests not sampled upstream.
    Unsampled,
    /// `TracedService`, requests sampled: spans reported over Scribe.
    Sampled,
    /// As `Sampled`, through the examples' own `serve` (no `TCP_NODELAY`).
    ExampleServe,
}

impl Mode {
    /// The mode's name in the report.
    pub fn word(self) -> &'static str {
        match self {
            Mode::Untraced => "untraced",
            Mode::Unsampled => "traced, unsampled",
            Mode::Sampled => "traced, sampled (Scribe → tryfer-sink)",
            Mode::ExampleServe => "examples' serve, traced, sampled",
        }
    }
}

/// The load to apply in each mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLoad {
    /// Keep-alive connections, one client thread each.
    pub connections: usize,
    /// Load before measuring.
    pub warmup: Duration,
    /// Measured time.
    pub measure: Duration,
}

/// The request every connection sends: `GET /FILE` with B3 headers sampled or not.
pub fn request(file: &str, sampled: bool) -> Vec<u8> {
    let mut context: SpanContext = typical::context();
    context.sampling = if sampled { Sampling::Accept } else { Sampling::Deny };
    let mut text = format!("GET /{file} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: tryfer-benches\r\n");
    b3::inject(&context, Format::Multi, &mut |name: &'static str, value: &str| {
        text.push_str(&format!("{name}: {value}\r\n"));
    });
    text.push_str("\r\n");
    text.into_bytes()
}

/// The examples' `serve` loop (one task per connection, async-h1, `handle` per request), plus `TCP_NODELAY`.
async fn serve_nodelay<F, Fut>(listener: Async<TcpListener>, handle: F)
where
    F: Fn(Request, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            smol::Timer::after(Duration::from_millis(100)).await;
            continue;
        };
        let _ = stream.get_ref().set_nodelay(true);
        let handle = handle.clone();
        smol::spawn(async move {
            let io = async_dup::Arc::new(stream);
            let _ = async_h1::accept(io, move |request: Request| {
                let handle = handle.clone();
                async move { Ok::<Response, http_types::Error>(handle(request, peer).await) }
            })
            .await;
        })
        .detach();
    }
}

/// What one server run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerRun {
    /// The load loop's counts and latencies.
    pub load: LoadOutcome,
    /// Spans the sink counted (traced modes).
    pub spans: Option<u64>,
}

/// Runs the server in `mode` on a free port, loads it, stops it; the outcome and, when traced, the spans the
/// sink counted.
pub fn run(mode: Mode, dir: &Path, file: &str, load: HttpLoad) -> Result<ServerRun, String> {
    let root = Arc::new(FileRoot::new(dir).map_err(|e| format!("serving {}: {e}", dir.display()))?);
    let (listener, address) = bind(SocketAddr::from(([127, 0, 0, 1], 0))).map_err(|e| format!("binding: {e}"))?;
    let (stop_tx, stop_rx) = smol::channel::bounded::<()>(1);

    let stop = async move {
        let _ = stop_rx.recv().await;
    };
    let mut sink_side = None;
    let server = match mode {
        Mode::Untraced => {
            let handle = move |request: Request, _peer: SocketAddr| {
                let root = root.clone();
                async move { root.respond(&request).await }
            };
            thread::spawn(move || smol::block_on(smol::future::or(serve_nodelay(listener, handle), stop)))
        }
        Mode::Unsampled | Mode::Sampled | Mode::ExampleServe => {
            let mut sink = smol::block_on(ScribeSink::bind(([127, 0, 0, 1], 0).into(), SinkOptions::default()))
                .map_err(|e| format!("binding the sink: {e}"))?;
            let sink_address = sink.local_addr().map_err(|e| format!("sink address: {e}"))?;
            drop(sink.take_spans());
            let sink_stats = sink.stats();
            let (sink_stop, sink_stop_rx) = smol::channel::bounded::<()>(1);
            let sink_thread = thread::spawn(move || {
                smol::block_on(smol::future::or(sink.run(), async {
                    let _ = sink_stop_rx.recv().await;
                }))
            });
            let mut options = ScribeOptions::default();
            options.delivery.linger = Duration::from_millis(200);
            let reporter = Arc::new(ScribeReporter::spawn(sink_address.to_string(), options));
            let tracer = Tracer::builder("tracing-server-example")
                .address(address)
                .build(reporter.clone() as Arc<dyn Report>);
            let service = Arc::new(TracedService::new(tracer, move |request: Request| {
                let root = root.clone();
                async move { Ok(root.respond(&request).await) }
            }));
            sink_side = Some((reporter, sink_stats, sink_stop, sink_thread));
            if mode == Mode::ExampleServe {
                thread::spawn(move || smol::block_on(smol::future::or(serve(listener, service), stop)))
            } else {
                let handle = move |request: Request, peer: SocketAddr| {
                    let service = service.clone();
                    async move {
                        service
                            .handle(request, Some(peer))
                            .await
                            .unwrap_or_else(|e| error_response(&e))
                    }
                };
                thread::spawn(move || smol::block_on(smol::future::or(serve_nodelay(listener, handle), stop)))
            }
        }
    };
    let sampled = mode != Mode::Unsampled;
    let outcome = http_load::run(
        address,
        &request(file, sampled),
        load.connections,
        load.warmup,
        load.measure,
    );
    let _ = stop_tx.try_send(());
    let _ = server.join();
    let mut received = None;
    if let Some((reporter, sink_stats, sink_stop, sink_thread)) = sink_side {
        let closed = smol::block_on(reporter.close(Duration::from_secs(10)));
        received = Some(sink_stats.snapshot().spans);
        let _ = sink_stop.try_send(());
        let _ = sink_thread.join();
        if closed.dropped() > 0 {
            return Err(format!("the reporter dropped {} spans", closed.dropped()));
        }
    }
    if outcome.errors > 0 {
        return Err(format!(
            "{} requests failed ({} answered)",
            outcome.errors, outcome.requests
        ));
    }
    Ok(ServerRun {
        load: outcome,
        spans: received,
    })
}

/// The figures: requests/s and p50/p99 latency per mode, and traced throughput as a share of untraced.
pub fn figures(load: HttpLoad, results: &[(Mode, Result<ServerRun, String>)]) -> Vec<Figure> {
    let mut figures = Vec::new();
    let untraced = results.iter().find_map(|(m, r)| match (m, r) {
        (Mode::Untraced, Ok(run)) => Some(run.load.rate()),
        _ => None,
    });
    for (mode, result) in results {
        match result {
            Ok(ServerRun { load: o, spans }) => {
                let note = match spans {
                    Some(n) => format!(
                        "{} connections, {:.1} s; tryfer-sink counted {n} spans",
                        load.connections, o.seconds
                    ),
                    None => format!("{} connections, {:.1} s", load.connections, o.seconds),
                };
                figures.push(
                    Figure::new(
                        "http overhead",
                        format!("{}: requests/s", mode.word()),
                        o.rate().round(),
                        "req/s",
                    )
                    .with_note(note),
                );
                figures.push(Figure::new(
                    "http overhead",
                    format!("{}: p50 latency", mode.word()),
                    o.p50_micros,
                    "µs",
                ));
                figures.push(Figure::new(
                    "http overhead",
                    format!("{}: p99 latency", mode.word()),
                    o.p99_micros,
                    "µs",
                ));
                if let (Some(base), Mode::Sampled | Mode::Unsampled) = (untraced, mode) {
                    let share = 100.0 * o.rate() / base;
                    figures.push(
                        Figure::new(
                            "http overhead",
                            format!("{}: throughput vs untraced", mode.word()),
                            (share * 10.0).round() / 10.0,
                            "%",
                        )
                        .with_goal("≥ 95%", share >= 95.0),
                    );
                }
            }
            Err(why) => figures.push(Figure::missing(
                "http overhead",
                format!("{}: requests/s", mode.word()),
                "req/s",
                why.clone(),
            )),
        }
    }
    figures
}
