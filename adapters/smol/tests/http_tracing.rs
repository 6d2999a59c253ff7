//! HTTP tracing end to end on loopback: surf client middleware → async-h1 server with the traced service.
#![forbid(unsafe_code)]
#![cfg(feature = "surf")]

use std::future::Future;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use http_types::{Request, Response, StatusCode};
use smol::Async;
use tryfer_core::b3::Format;
use tryfer_core::json::Layout;
use tryfer_core::{Event, SpanData, Value};
use tryfer_smol::client::{traced, TracingMiddleware};
use tryfer_smol::report::debug::DebugReporter;
use tryfer_smol::server::{ServerSpan, TracedService};
use tryfer_smol::{HostSpan, Report, Tracer};

const LIMIT: Duration = Duration::from_secs(20);

/// Fails the test instead of hanging when `future` takes longer than [`LIMIT`].
async fn within<T>(future: impl Future<Output = T>) -> T {
    smol::future::or(future, async {
        smol::Timer::after(LIMIT).await;
        panic!("timed out after {LIMIT:?}");
    })
    .await
}

/// Collects finished spans in memory and signals each one.
struct Collect(async_channel::Sender<Box<HostSpan>>);

impl Report for Collect {
    fn report(&self, span: Box<HostSpan>) {
        let _ = self.0.try_send(span);
    }
}

fn collector() -> (Arc<dyn Report>, async_channel::Receiver<Box<HostSpan>>) {
    let (tx, rx) = async_channel::unbounded();
    (Arc::new(Collect(tx)), rx)
}

async fn next_spans(rx: &async_channel::Receiver<Box<HostSpan>>, n: usize) -> Vec<HostSpan> {
    let mut spans = Vec::new();
    for _ in 0..n {
        spans.push(*within(rx.recv()).await.expect("reporter closed"));
    }
    spans
}

fn tracer(name: &str, address: SocketAddr, reporter: &Arc<dyn Report>) -> Tracer {
    Tracer::builder(name).address(address).build(reporter.clone())
}

/// Serves `handler` traced by a tracer named `name` on 127.0.0.1:0, one task per connection. A handler error
/// becomes a response with its status (async-h1 would close the connection instead).
fn serve<H, Fut>(name: &str, reporter: &Arc<dyn Report>, handler: H) -> SocketAddr
where
    H: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = http_types::Result<Response>> + Send + 'static,
{
    let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).expect("bind");
    let address = listener.get_ref().local_addr().expect("local address");
    let service = Arc::new(TracedService::new(tracer(name, address, reporter), handler));
    smol::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            smol::spawn(async move {
                let io = async_dup::Arc::new(stream);
                let _ = async_h1::accept(io, move |req| {
                    let service = service.clone();
                    async move {
                        Ok(service.handle(req, Some(peer)).await.unwrap_or_else(|e| {
                            let mut res = Response::new(e.status());
                            res.set_body(e.to_string());
                            res
                        }))
                    }
                })
                .await;
            })
            .detach();
        }
    })
    .detach();
    address
}

fn tags<'a>(span: &'a HostSpan) -> Vec<(&'a str, Value<'a>)> {
    span.binary_annotations().map(|b| (b.key, b.value)).collect()
}

fn tag<'a>(span: &'a HostSpan, key: &str) -> Option<&'a str> {
    span.binary_annotations()
        .find(|b| b.key == key)
        .and_then(|b| match b.value {
            Value::String(s) => Some(s),
            _ => None,
        })
}

fn annotation_values(span: &HostSpan) -> Vec<&str> {
    span.annotations().map(|a| a.value).collect()
}

async fn ok_handler(req: Request) -> http_types::Result<Response> {
    if let Some(span) = ServerSpan::of(&req) {
        span.annotate("handler");
        span.tag("seen", "yes");
    }
    let mut res = Response::new(StatusCode::Ok);
    res.set_body("hello");
    Ok(res)
}

#[test]
fn client_and_server_spans_share_ids() {
    smol::block_on(within(async {
        let (reporter, rx) = collector();
        let server = serve("backend", &reporter, ok_handler);
        let client_tracer = tracer("frontend", "127.0.0.1:1".parse().unwrap(), &reporter);
        let client = surf::Client::new().with(TracingMiddleware::new(client_tracer.clone()));
        let root = client_tracer.start(client_tracer.new_trace(), "job");
        let url = format!("http://{server}/index.html?q=1");
        let mut res = client
            .send(traced(surf::get(&url), root.context()))
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::Ok);
        assert_eq!(res.body_string().await.expect("body"), "hello");
        let root_context = *root.context();
        root.finish();

        let spans = next_spans(&rx, 3).await;
        let [server_span, client_span, root_span] = [&spans[0], &spans[1], &spans[2]];
        assert_eq!(root_span.name(), "job");
        // The client span is a child of the caller's span; the server span shares it.
        assert_eq!(client_span.trace_id(), root_context.trace_id);
        assert_eq!(client_span.parent_id(), Some(root_context.span_id));
        assert_ne!(client_span.id(), root_context.span_id);
        for (a, b) in [
            (server_span.trace_id().low(), client_span.trace_id().low()),
            (server_span.trace_id().high(), client_span.trace_id().high()),
            (server_span.id().get(), client_span.id().get()),
            (
                server_span.parent_id().map(|p| p.get()).unwrap_or(0),
                client_span.parent_id().map(|p| p.get()).unwrap_or(0),
            ),
        ] {
            assert_eq!(a, b);
        }
        assert!(server_span.shared() && !client_span.shared());

        assert_eq!(client_span.name(), "GET");
        assert_eq!(annotation_values(client_span), ["cs", "cr"]);
        assert_eq!(tag(client_span, "http.uri"), Some(url.as_str()));
        assert_eq!(tag(client_span, "http.url"), Some(url.as_str()));
        assert_eq!(tag(client_span, "http.method"), Some("GET"));
        assert_eq!(tag(client_span, "http.status_code"), Some("200"));
        assert_eq!(tag(client_span, "error"), None);
        let client_host = client_span.annotations().next().and_then(|a| a.host).expect("cs host");
        assert_eq!(client_host.service_name, "frontend");

        assert_eq!(server_span.name(), "GET");
        assert_eq!(annotation_values(server_span), ["sr", "handler", "ss"]);
        for a in server_span.annotations() {
            let host = a.host.expect("server annotations carry the local endpoint");
            assert_eq!(
                (host.service_name, host.ipv4, host.port),
                ("backend", Some([127, 0, 0, 1].into()), Some(server.port()))
            );
        }
        let ca = server_span.binary_annotations().find(|b| b.key == "ca").expect("ca");
        assert_eq!(ca.value, Value::Bool(true));
        assert_eq!(ca.host.and_then(|h| h.ipv4), Some([127, 0, 0, 1].into()));
        assert_eq!(tag(server_span, "http.path"), Some("/index.html"));
        assert_eq!(tag(server_span, "http.status_code"), Some("200"));
        assert_eq!(tag(server_span, "seen"), Some("yes"));
        assert!(rx.is_empty());
    }));
}

/// Records the B3 headers each request arrived with.
type Seen = Arc<Mutex<Vec<Vec<(String, String)>>>>;

fn b3_headers(req: &Request) -> Vec<(String, String)> {
    let mut seen: Vec<(String, String)> = req
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-b3-") || name.as_str() == "b3")
        .map(|(name, values)| (name.as_str().to_owned(), values.as_str().to_owned()))
        .collect();
    seen.sort();
    seen
}

#[test]
fn single_header_format_is_joined_too() {
    smol::block_on(within(async {
        let (reporter, rx) = collector();
        let seen: Seen = Arc::default();
        let seen_by_handler = seen.clone();
        let server = serve("backend", &reporter, move |req: Request| {
            seen_by_handler.lock().unwrap().push(b3_headers(&req));
            ok_handler(req)
        });
        let client_tracer = tracer("frontend", "127.0.0.1:1".parse().unwrap(), &reporter);
        let client = surf::Client::new().with(TracingMiddleware::new(client_tracer).with_format(Format::Single));
        // A stale header from the caller is replaced, never sent alongside.
        let res = client
            .send(surf::get(format!("http://{server}/")).header("X-B3-TraceId", "0000000000000001"))
            .await;
        assert_eq!(res.expect("request").status(), StatusCode::Ok);
        let spans = next_spans(&rx, 2).await;
        let (server_span, client_span) = (&spans[0], &spans[1]);
        let headers = seen.lock().unwrap().pop().expect("a request");
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert_eq!(headers[0].0, "b3");
        assert_eq!(
            headers[0].1,
            format!(
                "{}-{}-1",
                client_span.trace_id().to_hex().as_str(),
                client_span.id().to_hex().as_str()
            )
        );
        assert_eq!(client_span.parent_id(), None);
        assert_eq!(
            (server_span.trace_id(), server_span.id(), server_span.parent_id()),
            (client_span.trace_id(), client_span.id(), None)
        );
        assert!(server_span.shared());
    }));
}

/// Captures log lines, to check what the server says about malformed headers.
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push(record.args().to_string());
    }
    fn flush(&self) {}
}

fn captured_logs() -> &'static Capture {
    static LOGS: OnceLock<&'static Capture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        let _ = log::set_logger(capture);
        log::set_max_level(log::LevelFilter::Debug);
        capture
    })
}

#[test]
fn malformed_b3_starts_a_new_trace_and_logs_without_failing() {
    let logs = captured_logs();
    smol::block_on(within(async {
        let (reporter, rx) = collector();
        let server = serve("backend", &reporter, ok_handler);
        let plain = surf::Client::new();
        let cases: [&[(&str, &str)]; 4] = [
            &[
                ("X-B3-TraceId", "NOT-HEX-AT-ALL!!"),
                ("X-B3-SpanId", "00f067aa0ba902b7"),
            ],
            &[("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-")],
            &[
                ("X-B3-SpanId", "00f067aa0ba902b7"),
                ("X-B3-ParentSpanId", "0000000000000001"),
            ],
            &[
                ("X-B3-TraceId", "0000000000000000"),
                ("X-B3-SpanId", "00f067aa0ba902b7"),
                ("X-B3-Sampled", "1"),
            ],
        ];
        for headers in cases {
            let mut req = surf::get(format!("http://{server}/x"));
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            let mut res = plain.send(req).await.unwrap_or_else(|e| panic!("{headers:?}: {e}"));
            assert_eq!(res.status(), StatusCode::Ok, "{headers:?}");
            // Read the body: surf's connection pool would otherwise reuse a connection with it unread.
            assert_eq!(res.body_string().await.expect("body"), "hello");
            let span = &next_spans(&rx, 1).await[0];
            assert_eq!(span.parent_id(), None, "{headers:?}");
            assert!(!span.shared(), "{headers:?}");
            assert_ne!(span.id().get(), 0x00f067aa0ba902b7, "{headers:?}");
            assert_ne!(span.trace_id().low(), 0xe457b5a2e4d86bd1);
            assert_eq!(annotation_values(span), ["sr", "handler", "ss"]);
        }
        let lines = logs.0.lock().unwrap();
        let malformed: Vec<_> = lines.iter().filter(|l| l.contains("malformed B3")).collect();
        assert!(malformed.len() >= cases.len(), "{lines:?}");
        assert!(
            malformed.iter().all(|l| !l.contains("NOT-HEX")),
            "the untrusted value is never echoed: {malformed:?}"
        );
    }));
}

#[test]
fn unsampled_requests_propagate_and_record_nothing() {
    smol::block_on(within(async {
        let (reporter, rx) = collector();
        let seen: Seen = Arc::default();
        let seen_by_backend = seen.clone();
        let backend = serve("backend", &reporter, move |req: Request| {
            seen_by_backend.lock().unwrap().push(b3_headers(&req));
            ok_handler(req)
        });
        let frontend_reporter = reporter.clone();
        let frontend = serve("frontend", &reporter, move |req: Request| {
            let client_tracer = tracer("frontend", "127.0.0.1:2".parse().unwrap(), &frontend_reporter);
            async move {
                let span = ServerSpan::of(&req).expect("server span");
                assert!(!span.is_recording());
                span.annotate("ignored");
                let client = surf::Client::new().with(TracingMiddleware::new(client_tracer));
                let res = client
                    .send(traced(surf::get(format!("http://{backend}/")), span.context()))
                    .await?;
                Ok(Response::new(res.status()))
            }
        });
        let plain = surf::Client::new();
        for headers in [
            &[
                ("X-B3-TraceId", "463ac35c9f6413ad48485a3953bb6124"),
                ("X-B3-SpanId", "a2fb4a1d1a96d312"),
                ("X-B3-Sampled", "0"),
            ][..],
            &[("b3", "0")][..],
        ] {
            let mut req = surf::get(format!("http://{frontend}/"));
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            assert_eq!(plain.send(req).await.expect("request").status(), StatusCode::Ok);
            // Spans are reported before the response goes out, so any recording would already be here.
            assert!(rx.is_empty(), "an unsampled request recorded {:?}", rx.try_recv().ok());
            let backend_saw = seen.lock().unwrap().pop().expect("the backend was called");
            assert!(
                backend_saw.contains(&("x-b3-sampled".to_owned(), "0".to_owned())),
                "{backend_saw:?}"
            );
        }
        let backend_saw = seen.lock().unwrap();
        assert!(backend_saw.is_empty());
    }));
}

#[test]
fn nested_call_is_a_child_of_the_server_span() {
    smol::block_on(within(async {
        let (reporter, rx) = collector();
        let backend = serve("backend", &reporter, ok_handler);
        let frontend_reporter = reporter.clone();
        let frontend = serve("frontend", &reporter, move |req: Request| {
            let client_tracer = tracer("frontend", "127.0.0.1:2".parse().unwrap(), &frontend_reporter);
            async move {
                let span = ServerSpan::of(&req).expect("server span");
                let client = surf::Client::new().with(TracingMiddleware::new(client_tracer));
                let res = client
                    .send(traced(surf::get(format!("http://{backend}/data")), span.context()))
                    .await?;
                span.tag("backend.status", &res.status().to_string());
                Ok(Response::new(StatusCode::Ok))
            }
        });
        let client_tracer = tracer("demo", "127.0.0.1:3".parse().unwrap(), &reporter);
        let client = surf::Client::new().with(TracingMiddleware::new(client_tracer));
        assert_eq!(
            client
                .get(format!("http://{frontend}/"))
                .await
                .expect("request")
                .status(),
            StatusCode::Ok
        );
        let spans = next_spans(&rx, 4).await;
        let names: Vec<_> = spans
            .iter()
            .map(|s| {
                (
                    annotation_values(s)[0],
                    s.annotations()
                        .next()
                        .and_then(|a| a.host)
                        .map(|h| h.service_name.to_owned()),
                )
            })
            .collect();
        let [backend_server, backend_client, frontend_server, frontend_client] =
            [&spans[0], &spans[1], &spans[2], &spans[3]];
        assert_eq!(names[0], ("sr", Some("backend".to_owned())), "{names:?}");
        assert_eq!(names[1], ("cs", Some("frontend".to_owned())), "{names:?}");
        assert_eq!(names[2], ("sr", Some("frontend".to_owned())), "{names:?}");
        assert_eq!(names[3], ("cs", Some("demo".to_owned())), "{names:?}");
        let trace = frontend_client.trace_id();
        assert!(spans.iter().all(|s| s.trace_id() == trace));
        assert_eq!(frontend_client.parent_id(), None);
        assert_eq!(frontend_server.id(), frontend_client.id());
        assert_eq!(backend_client.parent_id(), Some(frontend_server.id()));
        assert_eq!(
            (backend_server.id(), backend_server.parent_id()),
            (backend_client.id(), backend_client.parent_id())
        );
        assert_eq!(tag(frontend_server, "backend.status"), Some("200"));
        assert_eq!(tag(backend_server, "http.path"), Some("/data"));
    }));
}

#[test]
fn failed_request_records_error_and_cr_and_returns_the_error() {
    smol::block_on(within(async {
        let (reporter, rx) = collector();
        // A port that was just free: nothing listens there.
        let closed = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind");
        let client_tracer = tracer("frontend", "127.0.0.1:1".parse().unwrap(), &reporter);
        let traced_client = surf::Client::new().with(TracingMiddleware::new(client_tracer));
        let url = format!("http://{closed}/");
        let error = traced_client.get(&url).await.expect_err("nothing listens");
        let plain_error = surf::Client::new().get(&url).await.expect_err("nothing listens");
        assert_eq!(error.status(), plain_error.status());
        assert_eq!(error.to_string(), plain_error.to_string());
        let span = &next_spans(&rx, 1).await[0];
        assert_eq!(annotation_values(span), ["cs", "cr"]);
        assert_eq!(tag(span, "error"), Some(error.to_string().as_str()));
        assert_eq!(tag(span, "http.status_code"), None);
    }));
}

#[test]
fn handler_failure_still_records_ss_and_the_error() {
    smol::block_on(within(async {
        let (reporter, rx) = collector();
        let server = serve("backend", &reporter, |_req: Request| async {
            Err::<Response, _>(http_types::Error::from_str(
                StatusCode::ServiceUnavailable,
                "backend down",
            ))
        });
        let client_tracer = tracer("frontend", "127.0.0.1:1".parse().unwrap(), &reporter);
        let client = surf::Client::new().with(TracingMiddleware::new(client_tracer));
        let res = client.get(format!("http://{server}/")).await.expect("a response");
        assert_eq!(res.status(), StatusCode::ServiceUnavailable);
        let spans = next_spans(&rx, 2).await;
        let (server_span, client_span) = (&spans[0], &spans[1]);
        assert_eq!(annotation_values(server_span), ["sr", "ss"]);
        assert_eq!(tag(server_span, "error"), Some("backend down"));
        assert_eq!(tag(server_span, "http.status_code"), Some("503"));
        assert_eq!(tag(client_span, "http.status_code"), Some("503"));
        assert_eq!(tag(client_span, "error"), Some("503"));
        assert_eq!(server_span.id(), client_span.id());
    }));
}

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn debug_reporter_prints_the_originals_json_one_line_per_span() {
    smol::block_on(within(async {
        let out = Shared::default();
        let reporter: Arc<dyn Report> = Arc::new(DebugReporter::new(out.clone(), Layout::Compact));
        let server = serve("tracing-server-example", &reporter, ok_handler);
        let client_tracer = Tracer::builder("tracing-client")
            .address("127.0.0.1:1".parse().unwrap())
            .trace_id_128(true)
            .build(reporter);
        let client = surf::Client::new().with(TracingMiddleware::new(client_tracer));
        assert_eq!(
            client
                .get(format!("http://{server}/README.rst"))
                .await
                .expect("request")
                .status(),
            StatusCode::Ok
        );

        let text = String::from_utf8(out.0.lock().unwrap().clone()).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let trace = |line: &str| line.split("\"trace_id\":\"").nth(1).map(|rest| rest[..32].to_owned());
        let server_trace = trace(lines[0]).expect("trace id");
        assert!(
            server_trace.bytes().all(|b| b.is_ascii_hexdigit()) && !server_trace.contains('"'),
            "{server_trace}"
        );
        assert_eq!(trace(lines[1]), Some(server_trace));
        assert!(
            lines[0].starts_with(
                r#"{"annotations":[{"host":{"service_name":"tracing-server-example","ipv4":"127.0.0.1","port":"#
            ),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains(r#""type":"timestamp","value":"#) && lines[0].contains(r#""key":"sr"}"#));
        assert!(
            lines[1].contains(&format!(
                r#""type":"string","value":"http://{server}/README.rst","key":"http.uri"}}"#
            )),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains(r#""name":"GET","span_id":""#), "{}", lines[1]);
    }));
}

#[test]
fn events_of_a_full_span_are_counted_not_lost() {
    // A URL longer than the span's text store: the span still reports, marked as truncated.
    smol::block_on(within(async {
        let (reporter, rx) = collector();
        let server = serve("backend", &reporter, ok_handler);
        let client_tracer = tracer("frontend", "127.0.0.1:1".parse().unwrap(), &reporter);
        let client = surf::Client::new().with(TracingMiddleware::new(client_tracer));
        let long = "a".repeat(700);
        assert_eq!(
            client
                .get(format!("http://{server}/{long}"))
                .await
                .expect("request")
                .status(),
            StatusCode::Ok
        );
        let spans = next_spans(&rx, 2).await;
        let client_span = &spans[1];
        assert_eq!(annotation_values(client_span), ["cs", "cr"]);
        assert!(tags(client_span).iter().any(|(k, _)| *k == "tryfer.truncated"));
        assert!(client_span
            .events()
            .any(|e| matches!(e, Event::Tag(b) if b.key == "http.status_code")));
    }));
}

#[test]
fn end_to_end_through_scribe_to_the_sink() {
    use tryfer_smol::report::scribe::{ScribeOptions, ScribeReporter};
    use tryfer_smol::report::FlushOutcome;
    use tryfer_smol::sink::{ScribeSink, SinkOptions};

    smol::block_on(within(async {
        let mut sink = ScribeSink::bind(([127, 0, 0, 1], 0).into(), SinkOptions::default())
            .await
            .expect("sink");
        let sink_address = sink.local_addr().expect("sink address");
        let received = sink.take_spans().expect("spans");
        let sink_task = smol::spawn(sink.run());

        let scribe = Arc::new(ScribeReporter::spawn(
            sink_address.to_string(),
            ScribeOptions::default(),
        ));
        let reporter: Arc<dyn Report> = scribe.clone();
        let backend = serve("backend", &reporter, ok_handler);
        let client_tracer = Tracer::builder("frontend")
            .address("127.0.0.1:1".parse().unwrap())
            .trace_id_128(true)
            .build(reporter);
        let client = surf::Client::new().with(TracingMiddleware::new(client_tracer));
        let mut res = client.get(format!("http://{backend}/e2e")).await.expect("request");
        assert_eq!(res.body_string().await.expect("body"), "hello");
        assert_eq!(scribe.flush(LIMIT).await, FlushOutcome::Flushed);

        let mut spans = [
            within(received.recv()).await.expect("span"),
            within(received.recv()).await.expect("span"),
        ];
        spans.sort_by_key(|s| s.annotation_time("cs").is_some());
        let (server_span, client_span) = (&spans[0], &spans[1]);
        assert!(client_span.trace_id.is_128(), "the 128-bit trace id survives Scribe");
        assert_eq!(
            (server_span.trace_id, server_span.id, server_span.parent_id),
            (client_span.trace_id, client_span.id, client_span.parent_id)
        );
        assert!(server_span.annotation_time("sr").is_some() && server_span.annotation_time("ss").is_some());
        assert!(client_span.annotation_time("cr").is_some());
        assert_eq!(tree_service(server_span), "backend");
        assert_eq!(tree_service(client_span), "frontend");

        let closed = scribe.close(LIMIT).await;
        assert_eq!((closed.sent(), closed.dropped(), closed.lost), (2, 0, 0));
        assert_eq!(closed.stats.unaccounted(), 0);
        drop(sink_task);
    }));
}

fn tree_service(span: &tryfer_smol::sink::ReceivedSpan) -> &str {
    tryfer_smol::sink::tree::service(span)
}

#[test]
fn a_trace_id_zipkin_v1_cannot_carry_starts_a_new_trace() {
    use tryfer_smol::core::b3;
    let tracer = tryfer_smol::Tracer::builder("svc").build(std::sync::Arc::new(tryfer_smol::report::Discard));
    let headers = [
        ("X-B3-TraceId", "00000000000000010000000000000000"),
        ("X-B3-SpanId", "0000000000000003"),
    ];
    let extracted = b3::extract(&headers);
    assert!(matches!(extracted, Ok(b3::Extracted::Context(_))), "valid B3");
    let joined = tracer.join(extracted);
    assert_ne!(joined.trace_id.low(), 0);
    assert_ne!(joined.span_id.get(), 3);
}
