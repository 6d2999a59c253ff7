//! The device's traced HTTP server (picoserve) calling a host service (reqwless) with B3, reported over Scribe;
//! and the Zipkin HTTP reporter against a collector that first answers 503.

use std::cell::RefCell;

use embassy_futures::join::join;
use embassy_futures::select::select;
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpEndpoint, Stack};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_time::Duration;
use picoserve::response::IntoResponse;
use picoserve::routing::get;
use picoserve::Router;
use reqwless::client::HttpConnection;
use reqwless::request::{Request, RequestBuilder};
use tryfer_core::thrift::decode::decode_binary_span_list;
use tryfer_embassy::http::client;
use tryfer_embassy::http::server::{TraceLayer, Traced, B3};
use tryfer_embassy::report::http::{HttpBuffers, HttpConfig, HttpReporter};
use tryfer_embassy::report::scribe::{ScribeBuffers, ScribeConfig, ScribeReporter};
use tryfer_embassy::report::Backoff;
use tryfer_embassy::Tracer;

use crate::net::{self, HOST_IP};
use crate::sink::{Received, ScribeSink};

type DeviceTracer = Tracer<NoopRawMutex, 8>;

const LIMIT: Duration = Duration::from_secs(20);
const EPOCH_AT_BOOT: u64 = 1_764_000_000_000_000;
const SERVICE_PORT: u16 = 8080;

fn tracer() -> &'static DeviceTracer {
    let tracer = Box::leak(Box::new(DeviceTracer::new("device")));
    tracer.seed(7);
    tracer.set_local_address(Some(net::DEVICE_IP), Some(80));
    tracer.clock().set_epoch_at_boot(EPOCH_AT_BOOT);
    tracer
}

fn fast(backoff: &mut Backoff) {
    *backoff = Backoff {
        min: Duration::from_millis(50),
        max: Duration::from_millis(200),
    };
}

/// Reads one HTTP/1.1 message (head and `Content-Length` body) from `socket`.
async fn read_message(socket: &mut TcpSocket<'_>) -> Option<(String, Vec<(String, String)>, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8(data[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    Some((start, headers, body))
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The host service the device calls: notes each request's headers and answers `42`.
async fn host_service(stack: Stack<'_>, seen: &RefCell<Vec<Vec<(String, String)>>>) -> ! {
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        if socket.accept(SERVICE_PORT).await.is_ok() {
            if let Some((_, headers, _)) = read_message(&mut socket).await {
                seen.borrow_mut().push(headers);
                let _ = socket
                    .write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n42")
                    .await;
                let _ = socket.flush().await;
            }
        }
        socket.close();
        let _ = embassy_time::with_timeout(Duration::from_secs(1), socket.flush()).await;
        socket.abort();
    }
}

/// A browser on the host: one GET with `headers`, giving the status code. The device serves one connection
/// at a time per port, so a refused connection (the previous one still closing) is tried again.
async fn get_from_device(stack: Stack<'_>, port: u16, path: &str, headers: &[(&str, &str)]) -> u16 {
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
    let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
    let mut tries = 0;
    while let Err(e) = socket.connect((net::DEVICE_IP, port)).await {
        tries += 1;
        assert!(tries < 50, "device refused {path}: {e:?}");
        socket.abort();
        embassy_time::Timer::after_millis(20).await;
    }
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: device\r\nConnection: close\r\n");
    for (n, v) in headers {
        request.push_str(&format!("{n}: {v}\r\n"));
    }
    request.push_str("\r\n");
    socket.write(request.as_bytes()).await.unwrap();
    socket.flush().await.unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
        }
    }
    // Close our side too, as a browser does, so the device's server can take the next connection.
    socket.close();
    let _ = socket.flush().await;
    let text = String::from_utf8_lossy(&response);
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// The traced handler: server span from B3, a client call to the host service with B3, `ss` when written.
async fn reading(tracer: &'static DeviceTracer, stack: Stack<'static>, b3: B3) -> impl IntoResponse {
    let mut span = tracer.start_server(b3.extracted, "get /reading");
    b3.tag_request(&mut span);
    let mut call = tracer.start_client(Some(span.context()), "get /calibration");
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
    let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
    let mut body_ok = false;
    if socket.connect((HOST_IP, SERVICE_PORT)).await.is_ok() {
        {
            let mut conn = HttpConnection::Plain(&mut socket);
            let mut buf = [0u8; 512];
            let request = Request::get("/calibration").host("host");
            if let Ok(response) =
                client::send(&mut conn, &mut call, request, &[("Accept", "text/plain")], &mut buf).await
            {
                body_ok = matches!(response.body().read_to_end().await, Ok(b) if b == b"42");
            }
        }
        socket.close();
        let _ = embassy_time::with_timeout(Duration::from_secs(1), socket.flush()).await;
    }
    call.finish();
    Traced::new(span, if body_ok { "calibrated" } else { "uncalibrated" })
}

const INCOMING: [(&str, &str); 4] = [
    ("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124"),
    ("X-B3-SpanId", "a2fb4a1d1a96d312"),
    ("X-B3-ParentSpanId", "0020000000000001"),
    ("X-B3-Sampled", "1"),
];

#[test]
fn a_traced_request_reaches_the_host_service_and_the_sink_with_the_right_ids() {
    net::run(LIMIT, |device, host| async move {
        let tracer = tracer();
        let sink = ScribeSink::new(&[]);
        let seen: RefCell<Vec<Vec<(String, String)>>> = RefCell::new(Vec::new());
        let mut config = ScribeConfig::new(IpEndpoint::new(HOST_IP.into(), 9410));
        fast(&mut config.backoff);
        config.linger = Duration::from_millis(10);
        let reporter = ScribeReporter::new(device, tracer, config);
        let scribe_buffers: &'static mut ScribeBuffers = Box::leak(Box::new(ScribeBuffers::new()));

        let app = Router::new().route("/reading", get(move |b3: B3| reading(tracer, device, b3)));
        let layered = Router::new()
            .route("/plain", get(|| async { "plain" }))
            .layer(TraceLayer::new(tracer));
        let server_config = picoserve::Config::const_default();
        let (mut http_buf, mut srx, mut stx) = ([0u8; 2048], [0u8; 2048], [0u8; 2048]);
        let (mut http_buf2, mut srx2, mut stx2) = ([0u8; 2048], [0u8; 2048], [0u8; 2048]);
        let server = picoserve::Server::new(&app, &server_config, &mut http_buf)
            .listen_and_serve("traced", device, 80, &mut srx, &mut stx);
        let layered_server = picoserve::Server::new(&layered, &server_config, &mut http_buf2)
            .listen_and_serve("layered", device, 81, &mut srx2, &mut stx2);

        let script = async {
            // 1. A request carrying B3: the server joins it, the client call continues it.
            assert_eq!(get_from_device(host, 80, "/reading", &INCOMING).await, 200);
            net::until(LIMIT, "server and client spans", || sink.spans().len() == 2).await;
            let spans = sink.spans();
            let find = |name: &str| spans.iter().find(|s| s.name == name).cloned().unwrap();
            let (server, call): (Received, Received) = (find("get /reading"), find("get /calibration"));
            assert_eq!(server.trace_id.to_hex().as_str(), "463ac35c9f6413ad48485a3953bb6124");
            assert_eq!(server.id.to_hex().as_str(), "a2fb4a1d1a96d312");
            assert_eq!(
                server.parent_id.map(|p| p.to_hex().to_string()).as_deref(),
                Some("0020000000000001")
            );
            assert_eq!((call.trace_id, call.parent_id), (server.trace_id, Some(server.id)));
            assert_eq!(server.tag("http.status_code"), Some("200"));
            assert_eq!(server.tag("http.path"), Some("/reading"));
            assert_eq!(call.tag("http.status_code"), Some("200"));
            assert!(server.annotation("sr").unwrap() <= call.annotation("cs").unwrap());
            assert!(call.annotation("cr").unwrap() <= server.annotation("ss").unwrap());
            // What the host service saw is the client span, in the trace, under the server span.
            let headers = seen.borrow()[0].clone();
            assert_eq!(
                header(&headers, "X-B3-TraceId"),
                Some("463ac35c9f6413ad48485a3953bb6124")
            );
            assert_eq!(header(&headers, "X-B3-SpanId"), Some(call.id.to_hex().as_str()));
            assert_eq!(header(&headers, "X-B3-ParentSpanId"), Some("a2fb4a1d1a96d312"));
            assert_eq!(header(&headers, "X-B3-Sampled"), Some("1"));
            assert_eq!(header(&headers, "Accept"), Some("text/plain"));

            // 2. Malformed B3 from the network: the request still succeeds, in a new trace.
            let bad = [
                ("X-B3-TraceId", "zzzz"),
                ("X-B3-SpanId", "a2fb4a1d1a96d312"),
                ("b3", "-----"),
            ];
            assert_eq!(get_from_device(host, 80, "/reading", &bad).await, 200);
            net::until(LIMIT, "the new trace's spans", || sink.spans().len() == 4).await;
            assert_eq!(tracer.stats().b3_errors, 1);
            let spans = sink.spans();
            let fresh = spans[2..].iter().find(|s| s.name == "get /reading").unwrap();
            assert_ne!(fresh.trace_id, server.trace_id);
            assert_eq!(fresh.parent_id, None);
            assert!(fresh.timestamp.is_some(), "a new root owns its start and duration");
            let headers = seen.borrow()[1].clone();
            assert_eq!(header(&headers, "X-B3-TraceId"), Some(fresh.trace_id.to_hex().as_str()));

            // 3. The layer: every request gets a server span, the handler knows nothing of it.
            assert_eq!(get_from_device(host, 81, "/plain", &INCOMING[..2]).await, 200);
            assert_eq!(get_from_device(host, 81, "/missing", &[]).await, 404);
            net::until(LIMIT, "layered spans", || sink.spans().len() == 6).await;
            let spans = sink.spans();
            let plain = spans.iter().find(|s| s.tag("http.path") == Some("/plain")).unwrap();
            assert_eq!(plain.id.to_hex().as_str(), "a2fb4a1d1a96d312");
            assert_eq!(plain.name, "GET");
            assert!(plain.annotation("sr").is_some() && plain.annotation("ss").is_some());
            let missing = spans.iter().find(|s| s.tag("http.path") == Some("/missing")).unwrap();
            assert_eq!(missing.tag("http.status_code"), Some("404"));
            let stats = tracer.stats();
            assert_eq!((stats.recorded, stats.sent, stats.lost()), (6, 6, 0));
        };
        select(
            join(
                join(server, layered_server),
                join(sink.serve(host, 9410), host_service(host, &seen)),
            ),
            select(reporter.run(scribe_buffers), script),
        )
        .await;
    });
}

/// A Zipkin HTTP collector: 503 for the first `busy` posts, then 202; keeps every accepted span.
async fn zipkin_collector(
    stack: Stack<'_>,
    busy: usize,
    posts: &RefCell<Vec<Vec<(String, String)>>>,
    spans: &RefCell<Vec<Received>>,
) -> ! {
    let (mut rx, mut tx) = ([0u8; 8192], [0u8; 1024]);
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        if socket.accept(9411).await.is_ok() {
            while let Some((start, headers, body)) = read_message(&mut socket).await {
                assert_eq!(start, "POST /api/v1/spans HTTP/1.1");
                posts.borrow_mut().push(headers);
                let reply: &[u8] = if posts.borrow().len() <= busy {
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"
                } else {
                    for span in decode_binary_span_list::<64>(&body).unwrap() {
                        spans.borrow_mut().push(Received::of(&span.unwrap()));
                    }
                    b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
                };
                if socket.write(reply).await.is_err() {
                    break;
                }
                let _ = socket.flush().await;
            }
        }
        socket.abort();
        let _ = socket.flush().await;
    }
}

#[test]
fn the_http_reporter_posts_thrift_lists_and_retries_a_busy_collector() {
    net::run(LIMIT, |device, host| async move {
        let tracer = tracer();
        let posts: RefCell<Vec<Vec<(String, String)>>> = RefCell::new(Vec::new());
        let spans: RefCell<Vec<Received>> = RefCell::new(Vec::new());
        let mut config = HttpConfig::new(IpEndpoint::new(HOST_IP.into(), 9411), "zipkin");
        fast(&mut config.backoff);
        config.linger = Duration::from_millis(50);
        let reporter = HttpReporter::new(device, tracer, config);
        let buffers: &'static mut HttpBuffers = Box::leak(Box::new(HttpBuffers::new()));
        let script = async {
            let root = tracer.start_local(None, "measure");
            let child = tracer.start_local(Some(root.context()), "adc");
            let (root_id, child_id) = (root.context().span_id, child.context().span_id);
            child.finish();
            root.finish();
            net::until(LIMIT, "two posted spans", || spans.borrow().len() == 2).await;
            let got = spans.borrow().clone();
            assert_eq!(got[0].id, child_id);
            assert_eq!((got[1].id, got[0].parent_id), (root_id, Some(root_id)));
            assert!(got[1].timestamp.unwrap() > EPOCH_AT_BOOT);
            let posts = posts.borrow();
            assert_eq!(posts.len(), 3, "two 503s, then the same body accepted");
            for headers in posts.iter() {
                assert_eq!(header(headers, "Content-Type"), Some("application/x-thrift"));
                assert_eq!(header(headers, "b3"), Some("0"));
                assert_eq!(header(headers, "Host"), Some("zipkin"));
            }
            let stats = tracer.stats();
            assert_eq!((stats.sent, stats.try_later, stats.rejected), (2, 2, 0));
        };
        select(
            zipkin_collector(host, 2, &posts, &spans),
            select(reporter.run(buffers), script),
        )
        .await;
    });
}
