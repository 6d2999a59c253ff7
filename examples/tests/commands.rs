//! The examples as scripts use them: `tracing-server` and `tracing-client` with `--json-lines`, and `demo
//! --scribe` against an in-process Scribe sink. Every wait is bounded; the children are stopped at the end.
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(30);

/// A running child whose stdout and stderr lines arrive on channels; killed when dropped.
struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

fn lines_of(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Running {
    fn start(command: &mut Command) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdout = lines_of(child.stdout.take().expect("stdout"));
        let stderr = lines_of(child.stderr.take().expect("stderr"));
        Running { child, stdout, stderr }
    }

    fn stdout_line(&self) -> String {
        self.stdout.recv_timeout(LIMIT).expect("a line on stdout in time")
    }

    /// Sends SIGTERM and waits for the exit.
    fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop on SIGTERM");
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command to its end, at most [`LIMIT`].
fn run(command: &mut Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + LIMIT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{command:?} did not finish in {LIMIT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tryfer-examples-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn ids(span: &Value) -> (String, String, Option<String>, String) {
    let text = |key: &str| span.get(key).and_then(Value::as_str).map(str::to_owned);
    (
        text("trace_id").expect("trace_id"),
        text("span_id").expect("span_id"),
        text("parent_span_id"),
        text("name").expect("name"),
    )
}

fn keys(span: &Value) -> Vec<String> {
    span["annotations"]
        .as_array()
        .expect("annotations")
        .iter()
        .map(|a| a["key"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// Starts `tracing-server` on a free port in `dir`; gives it and its address.
fn start_server(dir: &PathBuf, service: &str) -> (Running, String) {
    let server = Running::start(
        Command::new(env!("CARGO_BIN_EXE_tracing-server"))
            .args(["--port", "0", "--service", service, "--json-lines"])
            .current_dir(dir),
    );
    let line = server.stderr.recv_timeout(LIMIT).expect("the server's first line");
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    (server, address)
}

fn raw_get(address: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[test]
fn server_and_client_print_the_same_span() {
    let dir = temp_dir("files");
    std::fs::write(dir.join("README.md"), "hello\n").expect("file");
    let (server, address) = start_server(&dir, "Shop");

    for b3 in ["multi", "single"] {
        let out = run(Command::new(env!("CARGO_BIN_EXE_tracing-client")).args([
            &format!("http://{address}/README.md"),
            "--json-lines",
            "--b3",
            b3,
        ]));
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{stdout}");
        assert_eq!(lines[1], "Received 200 response.");
        let client_span = &json_lines(&stdout)[0];
        assert_eq!(
            keys(client_span),
            ["http.uri", "http.method", "http.url", "cs", "http.status_code", "cr"]
        );

        let server_span: Value = serde_json::from_str(&server.stdout_line()).expect("JSON line");
        assert_eq!(ids(&server_span), ids(client_span), "b3 {b3}");
        assert_eq!(keys(&server_span).first().map(String::as_str), Some("sr"));
        assert_eq!(keys(&server_span).last().map(String::as_str), Some("ss"));
        assert_eq!(server_span["annotations"][0]["host"]["service_name"], "shop");
    }

    // An upstream `0` prints nothing; a 128-bit trace id prints as 32 hex digits. The server prints spans in
    // request order, so the next line must be the 128-bit one.
    assert!(raw_get(&address, "/README.md", &[("b3", "0")]).starts_with("HTTP/1.1 200"));
    let trace = "463ac35c9f6413ad48485a3953bb6124";
    let response = raw_get(
        &address,
        "/README.md",
        &[("X-B3-TraceId", trace), ("X-B3-SpanId", "a2fb4a1d1a96d312")],
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let span: Value = serde_json::from_str(&server.stdout_line()).expect("JSON line");
    assert_eq!(
        ids(&span),
        (trace.to_owned(), "a2fb4a1d1a96d312".to_owned(), None, "GET".to_owned())
    );

    // Malformed B3 still gets the file.
    let response = raw_get(
        &address,
        "/README.md",
        &[("X-B3-TraceId", "xyz"), ("X-B3-SpanId", "a2fb4a1d1a96d312")],
    );
    assert!(
        response.starts_with("HTTP/1.1 200") && response.ends_with("hello\n"),
        "{response}"
    );
    let span: Value = serde_json::from_str(&server.stdout_line()).expect("JSON line");
    assert_ne!(ids(&span).1, "a2fb4a1d1a96d312");
    assert!(raw_get(&address, "/../Cargo.toml", &[]).starts_with("HTTP/1.1 404"));

    assert!(server.terminate().success());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn client_reports_a_failed_request() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind");
    let out =
        run(Command::new(env!("CARGO_BIN_EXE_tracing-client")).args([&format!("http://{closed}/"), "--json-lines"]));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let spans = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        keys(&spans[0]),
        ["http.uri", "http.method", "http.url", "cs", "error", "cr"]
    );
    let usage = run(&mut Command::new(env!("CARGO_BIN_EXE_tracing-client")));
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn demo_finishes_and_ships_every_span_to_scribe() {
    use tryfer_smol::sink::{ScribeSink, SinkOptions};

    let (address_tx, address_rx) = mpsc::channel();
    let (spans_tx, spans_rx) = mpsc::channel();
    thread::spawn(move || {
        smol::block_on(async move {
            let mut sink = ScribeSink::bind(([127, 0, 0, 1], 0).into(), SinkOptions::default())
                .await
                .expect("sink");
            let received = sink.take_spans().expect("spans");
            let _ = address_tx.send(sink.local_addr().expect("address"));
            let _task = smol::spawn(sink.run());
            while let Ok(span) = received.recv().await {
                if spans_tx.send(span).is_err() {
                    break;
                }
            }
        })
    });
    let sink = address_rx.recv_timeout(LIMIT).expect("sink address");

    let started = Instant::now();
    let out = run(Command::new(env!("CARGO_BIN_EXE_demo")).args(["--scribe", &sink.to_string()]));
    assert!(out.status.success(), "{out:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the demo took {:?}",
        started.elapsed()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("trace "), "{stdout}");
    let printed = json_lines(&stdout);
    assert_eq!(printed.len(), 7, "{stdout}");
    let trace = ids(&printed[0]).0;
    assert!(printed.iter().all(|s| ids(s).0 == trace), "one trace: {stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("7 spans sent, 0 dropped"), "{stderr}");

    let mut shipped: Vec<_> = (0..7)
        .map(|_| {
            let span = spans_rx.recv_timeout(LIMIT).expect("a span at the sink");
            let parent = span.parent_id.map(|p| p.to_hex().as_str().to_owned());
            (
                span.trace_id.to_hex().as_str().to_owned(),
                span.id.to_hex().as_str().to_owned(),
                parent,
                span.name.clone(),
            )
        })
        .collect();
    let mut want: Vec<_> = printed.iter().map(ids).collect();
    shipped.sort();
    want.sort();
    assert_eq!(shipped, want);
}

#[test]
fn demo_ships_every_span_to_a_zipkin_http_collector() {
    use http_types::{Method, Response, StatusCode};

    let (address_tx, address_rx) = mpsc::channel();
    let (posts_tx, posts_rx) = mpsc::channel::<(String, String)>();
    thread::spawn(move || {
        smol::block_on(async move {
            let listener = smol::Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).expect("bind");
            let _ = address_tx.send(listener.get_ref().local_addr().expect("address"));
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let posts_tx = posts_tx.clone();
                smol::spawn(async move {
                    let _ = async_h1::accept(async_dup::Arc::new(stream), move |mut request: http_types::Request| {
                        let posts_tx = posts_tx.clone();
                        async move {
                            if request.method() != Method::Post {
                                return Ok(Response::new(StatusCode::MethodNotAllowed));
                            }
                            let body = request.body_string().await?;
                            let _ = posts_tx.send((request.url().path().to_owned(), body));
                            Ok(Response::new(StatusCode::Accepted))
                        }
                    })
                    .await;
                })
                .detach();
            }
        })
    });
    let zipkin = address_rx.recv_timeout(LIMIT).expect("collector address");

    let out = run(Command::new(env!("CARGO_BIN_EXE_demo")).args(["--zipkin", &format!("http://{zipkin}")]));
    assert!(out.status.success(), "{out:?}");
    let printed = json_lines(&String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("7 spans sent, 0 dropped"), "{stderr}");

    let mut posted = Vec::new();
    while posted.len() < printed.len() {
        let (path, body) = posts_rx.recv_timeout(LIMIT).expect("a post");
        assert_eq!(path, "/api/v2/spans");
        let spans: Value = serde_json::from_str(&body).expect("a JSON array");
        posted.extend(spans.as_array().expect("array").iter().map(|s| {
            let text = |key: &str| s.get(key).and_then(Value::as_str).map(str::to_owned);
            (
                text("traceId").expect("traceId"),
                text("id").expect("id"),
                text("parentId"),
            )
        }));
    }
    let mut want: Vec<_> = printed
        .iter()
        .map(ids)
        .map(|(trace, id, parent, _)| (trace, id, parent))
        .collect();
    posted.sort();
    want.sort();
    assert_eq!(posted, want);
}
