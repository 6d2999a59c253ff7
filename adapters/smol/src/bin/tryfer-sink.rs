//! `tryfer-sink`: listens for Scribe on loopback, decodes binary and compact spans, and prints them as a live
//! trace tree or as JSON lines, optionally forwarding them to a Zipkin HTTP collector. Run `--help` for options.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

use async_channel::Receiver;
use smol::{future, Timer};
use tryfer_smol::sink::args::{self, Command, Output, SinkArgs, USAGE};
use tryfer_smol::sink::live::LiveTree;
use tryfer_smol::sink::{ReceivedSpan, ScribeSink};

/// Logs the crate's messages to stderr: warnings by default, everything with `--verbose`.
struct StderrLog {
    level: log::LevelFilter,
}

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= self.level && metadata.target().starts_with("tryfer")
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let level = record.level().as_str().to_ascii_lowercase();
            eprintln!("tryfer-sink: {level}: {}", record.args());
        }
    }

    fn flush(&self) {}
}

/// Hands a copy of each span to the forwarder, when `--forward` was given.
type Forward = Box<dyn Fn(&ReceivedSpan)>;

/// Starts forwarding to `url`: the posting task runs on smol's global executor.
#[cfg(feature = "surf")]
fn start_forward(url: &str) -> Result<Forward, String> {
    let (forwarder, task) = tryfer_smol::sink::forward::Forwarder::new(url).map_err(|e| e.to_string())?;
    smol::spawn(task).detach();
    Ok(Box::new(move |span: &ReceivedSpan| forwarder.forward(span.clone())))
}

/// Without an HTTP client there is nothing to forward with.
#[cfg(not(feature = "surf"))]
fn start_forward(_url: &str) -> Result<Forward, String> {
    Err("--forward needs an HTTP client: this build was made without the `surf` feature".to_owned())
}

/// Writes lines to stdout; `false` once stdout is gone (e.g. the reading end of a pipe closed).
fn print(lines: &[String]) -> bool {
    let mut out = io::stdout().lock();
    lines.iter().all(|line| writeln!(out, "{line}").is_ok()) && out.flush().is_ok()
}

/// Prints every span as it arrives, one debug-JSON object per line.
async fn json_lines(spans: Receiver<ReceivedSpan>, forward: Option<Forward>) {
    while let Ok(span) = spans.recv().await {
        if let Some(forward) = &forward {
            forward(&span);
        }
        if !print(&[span.debug_json()]) {
            return;
        }
    }
}

/// Prints each trace as a tree once it has been quiet for the delay.
async fn trees(spans: Receiver<ReceivedSpan>, forward: Option<Forward>, args: &SinkArgs) {
    let mut tree = LiveTree::new(args.tree_delay, args.bar_width);
    loop {
        let received = match tree.next_deadline() {
            Some(deadline) => {
                future::or(async { Some(spans.recv().await) }, async {
                    Timer::at(deadline).await;
                    None
                })
                .await
            }
            None => Some(spans.recv().await),
        };
        match received {
            Some(Ok(span)) => {
                if let Some(forward) = &forward {
                    forward(&span);
                }
                tree.push(span, Instant::now());
            }
            Some(Err(_closed)) => {
                print(&tree.flush());
                return;
            }
            None => {}
        }
        if !print(&tree.due(Instant::now())) {
            return;
        }
    }
}

/// Binds, announces the address on stderr, and serves until killed.
async fn run(args: SinkArgs) -> ExitCode {
    let forward = match args.forward.as_deref().map(start_forward).transpose() {
        Ok(forward) => forward,
        Err(e) => {
            eprintln!("tryfer-sink: {e}");
            return ExitCode::from(2);
        }
    };
    let mut sink = match ScribeSink::bind(args.addr(), args.options.clone()).await {
        Ok(sink) => sink,
        Err(e) => {
            eprintln!("tryfer-sink: cannot listen on {}: {e}", args.addr());
            return ExitCode::FAILURE;
        }
    };
    let addr = sink.local_addr().unwrap_or_else(|_| args.addr());
    let mode = match args.output {
        Output::JsonLines => "JSON lines",
        Output::Tree => "trace tree",
    };
    let forwarding = args
        .forward
        .as_deref()
        .map(|url| format!(", forwarding to {url}"))
        .unwrap_or_default();
    eprintln!("tryfer-sink: listening on {addr} (Scribe; {mode}{forwarding})");
    if !addr.ip().is_loopback() {
        eprintln!("tryfer-sink: warning: {addr} is reachable from the network and takes spans from anyone");
    }
    let Some(spans) = sink.take_spans() else {
        return ExitCode::FAILURE;
    };
    let show = async {
        match args.output {
            Output::JsonLines => json_lines(spans, forward).await,
            Output::Tree => trees(spans, forward, &args).await,
        }
        ExitCode::SUCCESS
    };
    future::or(
        async {
            sink.run().await;
            ExitCode::FAILURE
        },
        show,
    )
    .await
}

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(args)) => args,
        Err(e) => {
            eprintln!("tryfer-sink: {e}");
            eprintln!("usage: tryfer-sink [--port PORT] [--bind ADDR] [--json-lines] [--forward URL] (see --help)");
            return ExitCode::from(2);
        }
    };
    let level = if args.verbose {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Info
    };
    if log::set_logger(Box::leak(Box::new(StderrLog { level }))).is_ok() {
        log::set_max_level(level);
    }
    smol::block_on(run(args))
}
