//! `demo`: the README's main job in one command. It starts two traced services on loopback, a `frontend`
//! that calls a `backend` while serving, makes traced calls to both under one root span, and shows the trace
//! as a tree and as the original tryfer's debug JSON.
//!
//! `demo [--pretty] [--scribe HOST:PORT] [--zipkin URL]`: the JSON is one object per line (indented like the
//! original README with `--pretty`); the spans also go to a Scribe collector (Zipkin's, or `tryfer-sink`)
//! and/or a Zipkin HTTP collector. It finishes by itself in a few seconds: 0 when every call
//! answered, 1 otherwise.
#![forbid(unsafe_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_types::{Request, Response, StatusCode};
use tryfer_core::json::Layout;
use tryfer_core::thrift::decode::Protocol;
use tryfer_core::SpanData;
use tryfer_examples::command_line::{parse_or_exit, DemoOptions, DEMO_USAGE};
use tryfer_examples::http_server::{bind, serve};
use tryfer_examples::reporting::Reporting;
use tryfer_examples::stderr_log;
use tryfer_smol::client::{traced, TracingMiddleware};
use tryfer_smol::report::debug::debug_line;
use tryfer_smol::server::{ServerSpan, TracedService};
use tryfer_smol::sink::tree;
use tryfer_smol::sink::ReceivedSpan;
use tryfer_smol::{HostSpan, Report, Tracer};

/// Spans one run records: the root, two client calls from the demo, one from the frontend, and the server
/// half of each of those three calls.
const EXPECTED_SPANS: usize = 7;

/// How long the demo waits for its spans, and for the collectors at exit.
const WAIT: Duration = Duration::from_secs(3);

/// Keeps every finished span for printing, and signals each one.
struct Collected {
    spans: Mutex<Vec<HostSpan>>,
    arrived: smol::channel::Sender<()>,
}

impl Report for Collected {
    fn report(&self, span: Box<HostSpan>) {
        self.spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(*span);
        let _ = self.arrived.try_send(());
    }
}

fn main() {
    stderr_log::init();
    let options = parse_or_exit(DemoOptions::parse, DEMO_USAGE);
    std::process::exit(smol::block_on(run(options)));
}

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

async fn run(options: DemoOptions) -> i32 {
    let (arrived, arrivals) = smol::channel::unbounded();
    let collected = Arc::new(Collected {
        spans: Mutex::new(Vec::new()),
        arrived,
    });
    let reporting = match Reporting::new(vec![collected.clone()], options.scribe, options.zipkin.as_deref()) {
        Ok(reporting) => reporting,
        Err(e) => {
            eprintln!("demo: {e}\n{DEMO_USAGE}");
            return 2;
        }
    };
    let report = reporting.report();

    let (Ok((backend_listener, backend)), Ok((frontend_listener, frontend))) = (bind(loopback()), bind(loopback()))
    else {
        eprintln!("demo: cannot listen on 127.0.0.1");
        return 1;
    };
    let backend_tracer = Tracer::builder("backend").address(backend).build(report.clone());
    smol::spawn(serve(
        backend_listener,
        Arc::new(TracedService::new(backend_tracer, backend_handler)),
    ))
    .detach();

    let frontend_tracer = Tracer::builder("frontend").address(frontend).build(report.clone());
    let frontend_client = surf::Client::new().with(TracingMiddleware::new(frontend_tracer.clone()));
    let frontend_service = TracedService::new(frontend_tracer, move |request: Request| {
        frontend_handler(request, frontend_client.clone(), backend)
    });
    smol::spawn(serve(frontend_listener, Arc::new(frontend_service))).detach();
    eprintln!("demo: backend on http://{backend}/, frontend on http://{frontend}/");

    let demo_tracer = Tracer::builder("demo").build(report.clone());
    let client = surf::Client::new().with(TracingMiddleware::new(demo_tracer.clone()));
    let mut root = demo_tracer.start(demo_tracer.new_trace(), "checkout");
    let started = demo_tracer.now_micros();
    root.tag("lc", "demo");
    let mut failed = false;
    for url in [
        format!("http://{frontend}/checkout"),
        format!("http://{backend}/health"),
    ] {
        match client.send(traced(surf::get(&url), root.context())).await {
            Ok(mut response) => {
                // Reading the body lets surf reuse the connection safely.
                let _ = response.body_bytes().await;
                eprintln!("demo: GET {url} -> {}", u16::from(response.status()));
            }
            Err(e) => {
                eprintln!("demo: GET {url} failed: {e}");
                failed = true;
            }
        }
    }
    root.set_timestamp(started);
    root.set_duration(demo_tracer.now_micros().saturating_sub(started).max(1));
    root.finish();

    let waited = smol::future::or(
        async {
            while collected.spans.lock().map_or(0, |s| s.len()) < EXPECTED_SPANS {
                if arrivals.recv().await.is_err() {
                    break;
                }
            }
            true
        },
        async {
            smol::Timer::after(WAIT).await;
            false
        },
    )
    .await;
    let spans: Vec<HostSpan> = collected.spans.lock().map(|s| s.clone()).unwrap_or_default();
    if !waited {
        eprintln!("demo: only {} of {EXPECTED_SPANS} spans arrived", spans.len());
        failed = true;
    }

    print_tree(&spans);
    print_json(
        &spans,
        if options.pretty {
            Layout::Pretty
        } else {
            Layout::Compact
        },
    );
    reporting.close(WAIT).await;
    i32::from(failed)
}

/// The backend: answers `/inventory` and `/health`, marking its work on the server span.
async fn backend_handler(request: Request) -> http_types::Result<Response> {
    let span = ServerSpan::of(&request);
    let mut response = Response::new(StatusCode::Ok);
    match request.url().path() {
        "/inventory" => {
            if let Some(span) = &span {
                span.annotate("inventory.lookup");
                span.tag("inventory.items", "3");
            }
            response.set_body("3 items\n");
        }
        "/health" => response.set_body("ok\n"),
        _ => response.set_status(StatusCode::NotFound),
    }
    Ok(response)
}

/// The frontend: serving `/checkout` calls the backend, as a child of its own server span.
async fn frontend_handler(request: Request, client: surf::Client, backend: SocketAddr) -> http_types::Result<Response> {
    let Some(span) = ServerSpan::of(&request) else {
        return Ok(Response::new(StatusCode::InternalServerError));
    };
    let mut backend_response = client
        .send(traced(surf::get(format!("http://{backend}/inventory")), span.context()))
        .await?;
    let stock = backend_response.body_string().await?;
    span.tag("checkout.stock", stock.trim());
    let mut response = Response::new(StatusCode::Ok);
    response.set_body(format!("checkout ok: {stock}"));
    Ok(response)
}

fn print_tree(spans: &[HostSpan]) {
    // As the sink shows them: the reporters send TBinaryProtocol.
    let received: Vec<ReceivedSpan> = spans
        .iter()
        .map(|s| ReceivedSpan::from_span(s, Protocol::Binary))
        .collect();
    let mut traces = Vec::new();
    for span in &received {
        if !traces.contains(&span.trace_id()) {
            traces.push(span.trace_id());
        }
    }
    for trace in traces {
        let of_trace: Vec<ReceivedSpan> = received.iter().filter(|s| s.trace_id() == trace).cloned().collect();
        println!("{}", tree::heading(&of_trace));
        for line in tree::render(&of_trace, 40) {
            println!("{line}");
        }
        println!();
    }
}

fn print_json(spans: &[HostSpan], layout: Layout) {
    println!("spans as the original tryfer's debug JSON:");
    for span in spans {
        if let Ok(line) = debug_line(span, layout) {
            print!("{}", String::from_utf8_lossy(&line));
        }
    }
}
