//! `tracing-client URL`: one traced GET, printing the client span as the original tryfer's debug JSON and
//! then `Received 200 response.`, like the original's `examples/tracing-client.py`.
//!
//! `tracing-client URL [--b3 multi|single] [--json-lines] [--scribe HOST:PORT]`. Exits 0 on any HTTP
//! response, 1 when the request failed, 2 on a bad command line.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Duration;

use tryfer_core::json::Layout;
use tryfer_examples::command_line::{parse_or_exit, ClientOptions, CLIENT_USAGE};
use tryfer_examples::reporting::Reporting;
use tryfer_examples::stderr_log;
use tryfer_smol::client::TracingMiddleware;
use tryfer_smol::report::debug::DebugReporter;
use tryfer_smol::Tracer;

fn main() {
    stderr_log::init();
    let options = parse_or_exit(ClientOptions::parse, CLIENT_USAGE);
    std::process::exit(smol::block_on(run(options)));
}

async fn run(options: ClientOptions) -> i32 {
    let url = match surf::Url::parse(&options.url) {
        Ok(url) => url,
        Err(e) => {
            eprintln!("tracing-client: {:?} is not a URL: {e}\n{CLIENT_USAGE}", options.url);
            return 2;
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
    let tracer = Tracer::builder(&options.service).build(reporting.report());
    let client = surf::Client::new().with(TracingMiddleware::new(tracer).with_format(options.b3));
    let code = match client.get(url).await {
        Ok(response) => {
            println!("Received {} response.", u16::from(response.status()));
            0
        }
        Err(e) => {
            eprintln!("tracing-client: request failed: {e}");
            1
        }
    };
    reporting.close(Duration::from_secs(5)).await;
    code
}
