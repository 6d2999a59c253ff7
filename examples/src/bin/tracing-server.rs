//! `tracing-server`: serves the files of the current directory with every request traced, printing each
//! server span as the original tryfer's debug JSON, like the original's `examples/tracing-server.tac`.
//!
//! `tracing-server --port N --service NAME [--json-lines] [--scribe HOST:PORT]`; stops on Ctrl-C or SIGTERM,
//! after sending what the Scribe reporter holds (5 s at most).
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_signal::{Signal, Signals};
use http_types::Request;
use smol::stream::StreamExt;
use tryfer_core::json::Layout;
use tryfer_examples::command_line::{parse_or_exit, ServerOptions, SERVER_USAGE};
use tryfer_examples::files::FileRoot;
use tryfer_examples::http_server::{bind, serve};
use tryfer_examples::reporting::Reporting;
use tryfer_examples::stderr_log;
use tryfer_smol::report::debug::DebugReporter;
use tryfer_smol::server::{ServerSpan, TracedService};
use tryfer_smol::Tracer;

fn main() {
    stderr_log::init();
    let options = parse_or_exit(ServerOptions::parse, SERVER_USAGE);
    std::process::exit(smol::block_on(run(options)));
}

async fn run(options: ServerOptions) -> i32 {
    let root = match FileRoot::new(&options.dir) {
        Ok(root) => Arc::new(root),
        Err(e) => {
            eprintln!("tracing-server: cannot serve {}: {e}", options.dir.display());
            return 1;
        }
    };
    let (listener, address) = match bind(SocketAddr::new(options.host, options.port)) {
        Ok(bound) => bound,
        Err(e) => {
            eprintln!(
                "tracing-server: cannot listen on {}:{}: {e}",
                options.host, options.port
            );
            return 1;
        }
    };
    // Stop signals are caught from here on, so a stop during startup still flushes.
    let mut signals = match Signals::new([Signal::Int, Signal::Term]) {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("tracing-server: cannot catch signals: {e}");
            return 1;
        }
    };
    let layout = if options.json_lines {
        Layout::Compact
    } else {
        Layout::Pretty
    };
    let reporting = match Reporting::new(vec![Arc::new(DebugReporter::stdout(layout))], options.scribe, None) {
        Ok(reporting) => reporting,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let tracer = Tracer::builder(&options.service)
        .address(address)
        .build(reporting.report());
    let service = Arc::new(TracedService::new(tracer, move |request: Request| {
        let root = root.clone();
        async move {
            let response = root.respond(&request).await;
            let span = ServerSpan::of(&request).map(|s| *s.context());
            log::info!(
                "\"{} {}\" {} (trace {}, span {})",
                request.method(),
                request.url().path(),
                response.status(),
                span.map_or_else(String::new, |c| c.trace_id.to_hex().as_str().to_owned()),
                span.map_or_else(String::new, |c| c.span_id.to_hex().as_str().to_owned()),
            );
            Ok(response)
        }
    }));
    eprintln!(
        "tracing-server: listening on http://{address}/ as {}, serving {}",
        service.tracer().service_name(),
        options.dir.display()
    );
    smol::future::or(serve(listener, service), async {
        if let Some(Ok(signal)) = signals.next().await {
            eprintln!("tracing-server: {signal:?}, stopping");
        }
    })
    .await;
    reporting.close(Duration::from_secs(5)).await;
    0
}
