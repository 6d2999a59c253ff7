//! The Scribe sink in-process on 127.0.0.1:0 (frames written by the core), its tree renderer, its command line,
//! its forwarder, and the real `tryfer-sink` binary.
#![forbid(unsafe_code)]

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::Receiver;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::TcpStream;
use smol::{future, Task, Timer};
use tryfer_core::json::{self, Layout};
use tryfer_core::scribe::{self, Base64Sink, LogOptions, Outcome, SpanEncoding, MAX_FRAME_DEFAULT};
use tryfer_core::sink::{Counter, Slice};
use tryfer_core::thrift::binary::BinaryWriter;
use tryfer_core::thrift::decode::Protocol;
use tryfer_core::thrift::{encode_binary_span, TType, Writer};
use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanData, SpanId, TraceId, Value};
use tryfer_smol::sink::args::{self, Command, Output};
use tryfer_smol::sink::live::LiveTree;
use tryfer_smol::sink::tree;
use tryfer_smol::sink::{ReceivedEndpoint, ReceivedEvent, ReceivedSpan, ScribeSink, SinkOptions, SinkStats};

/// Fails the test instead of hanging it.
fn run<T>(test: impl Future<Output = T>) -> T {
    smol::block_on(future::or(test, async {
        Timer::after(Duration::from_secs(20)).await;
        panic!("test timed out")
    }))
}

/// A sink serving on a free loopback port until the returned task is dropped.
struct Running {
    addr: SocketAddr,
    stats: Arc<SinkStats>,
    spans: Receiver<ReceivedSpan>,
    _task: Task<()>,
}

async fn start(options: SinkOptions) -> Running {
    let mut sink = ScribeSink::bind(([127, 0, 0, 1], 0).into(), options).await.unwrap();
    let addr = sink.local_addr().unwrap();
    let stats = sink.stats();
    let spans = sink.take_spans().unwrap();
    assert!(sink.take_spans().is_none());
    Running {
        addr,
        stats,
        spans,
        _task: smol::spawn(sink.run()),
    }
}

fn ctx(trace: TraceId, id: u64, parent: Option<u64>) -> SpanContext {
    let root = SpanContext::root_of(trace, SpanId::new(parent.unwrap_or(id)).unwrap(), Sampling::Accept);
    match parent {
        Some(_) => root.child_with_id(SpanId::new(id).unwrap()),
        None => root,
    }
}

/// A client span with a host, a tag of each common kind and its own timing.
fn client_span(trace: TraceId, id: u64, parent: Option<u64>) -> Span<16, 512> {
    let host = Endpoint::v4("sensor-7", Ipv4Addr::new(192, 168, 1, 10), 58648);
    let mut span = Span::new(ctx(trace, id, parent), "GET /reading");
    // Annotations first: the wire keeps them apart from binary annotations, so that is the order they return in.
    span.annotate("cs", 1_000, Some(&host)).unwrap();
    span.annotate("cr", 1_250, Some(&host)).unwrap();
    span.tag_str("http.uri", "http://gw/reading", Some(&host)).unwrap();
    span.tag("retries", Value::I32(2), None).unwrap();
    span.tag("raw", Value::Bytes(&[0, 1, 0xff]), None).unwrap();
    span.set_timestamp(1_000);
    span.set_duration(250);
    span
}

/// One framed `Log` call carrying `spans`, as the core writes it.
fn log_call<D: SpanData>(spans: &[D], seqid: i32, options: &LogOptions<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; scribe::log_call_len(spans, options).unwrap()];
    let mut out = Slice::new(&mut buf);
    scribe::write_log_call(spans, seqid, options, &mut out).unwrap();
    assert_eq!(out.len(), buf.len());
    buf
}

/// Writes a `Log` call with hand-picked entries and message type (1 CALL, 4 ONEWAY) with the core's writer.
fn write_call<S: tryfer_core::Sink>(
    w: &mut BinaryWriter<S>,
    message_type: u8,
    seqid: i32,
    entries: &[(&str, &str)],
) -> Result<(), tryfer_core::EncodeError> {
    w.message_begin("Log", message_type, seqid)?;
    w.struct_begin()?;
    w.field_begin(TType::List, 1)?;
    w.list_begin(TType::Struct, entries.len())?;
    for (category, message) in entries {
        w.struct_begin()?;
        w.field_begin(TType::Binary, 1)?;
        w.binary(category.as_bytes())?;
        w.field_begin(TType::Binary, 2)?;
        w.binary(message.as_bytes())?;
        w.struct_end()?;
    }
    w.struct_end()
}

/// A framed call with hand-picked entries and message type.
fn raw_call(message_type: u8, seqid: i32, entries: &[(&str, &str)]) -> Vec<u8> {
    let mut counter = Counter::new();
    write_call(&mut BinaryWriter::new(&mut counter), message_type, seqid, entries).unwrap();
    let mut buf = vec![0u8; 4 + counter.len()];
    buf[..4].copy_from_slice(&(counter.len() as u32).to_be_bytes());
    let mut out = Slice::new(&mut buf[4..]);
    write_call(&mut BinaryWriter::new(&mut out), message_type, seqid, entries).unwrap();
    assert_eq!(out.len(), counter.len());
    buf
}

/// A span's Scribe message: the base64 of its TBinaryProtocol bytes.
fn message_of<D: SpanData>(span: &D) -> String {
    let mut buf = vec![0u8; 4096];
    let mut out = Slice::new(&mut buf);
    let mut text = Base64Sink::new(&mut out);
    encode_binary_span(span, &mut text).unwrap();
    text.finish().unwrap();
    String::from_utf8(out.written().to_vec()).unwrap()
}

/// A reply, owned.
#[derive(Debug, PartialEq)]
enum Answer {
    Ok(i32),
    TryLater(i32),
    Exception(i32, i32, String),
}

/// Reads `n` framed replies, or fewer if the sink closes the connection.
async fn replies(stream: &mut TcpStream, n: usize) -> Vec<Answer> {
    let mut got = Vec::new();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while got.len() < n {
        if let Some((reply, used)) = scribe::read_reply(&buf, MAX_FRAME_DEFAULT).unwrap() {
            got.push(match reply.outcome {
                Outcome::Ok => Answer::Ok(reply.seqid),
                Outcome::TryLater => Answer::TryLater(reply.seqid),
                Outcome::Exception(e) => Answer::Exception(reply.seqid, e.kind, e.message.to_owned()),
            });
            buf.drain(..used);
            continue;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
        }
    }
    got
}

/// True once the peer has closed the connection (EOF or reset).
async fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(stream.read(&mut byte).await, Ok(0) | Err(_))
}

fn debug_json<D: SpanData>(span: &D) -> String {
    let mut out = vec![0u8; json::debug_span_len(span, Layout::Compact).unwrap()];
    json::encode_debug_span(span, Layout::Compact, &mut Slice::new(&mut out)).unwrap();
    String::from_utf8(out).unwrap()
}

fn v2_json<D: SpanData>(span: &D) -> String {
    let mut out = vec![0u8; json::v2_span_len(span).unwrap()];
    json::encode_v2_span(span, &mut Slice::new(&mut out)).unwrap();
    String::from_utf8(out).unwrap()
}

const PROTOCOL_ERROR: i32 = 7;
const INTERNAL_ERROR: i32 = 6;

#[test]
fn binary_and_compact_spans_are_decoded_and_acknowledged() {
    run(async {
        let sink = start(SinkOptions::default()).await;
        let wide = TraceId::new(0x463a_c35c_9f64_13ad, 0x4848_5a39_53bb_6124).unwrap();
        let narrow = TraceId::from_u64(0xa).unwrap();
        let binary = [client_span(wide, 1, None), client_span(wide, 2, Some(1))];
        let compact = [client_span(narrow, 3, None), client_span(narrow, 4, Some(3))];
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        stream
            .write_all(&log_call(&binary, 1, &LogOptions::new()))
            .await
            .unwrap();
        let compact_options = LogOptions::new().with_encoding(SpanEncoding::Compact);
        stream
            .write_all(&log_call(&compact, 2, &compact_options))
            .await
            .unwrap();
        assert_eq!(replies(&mut stream, 2).await, [Answer::Ok(1), Answer::Ok(2)]);

        for (sent, protocol) in binary
            .iter()
            .map(|s| (s, Protocol::Binary))
            .chain(compact.iter().map(|s| (s, Protocol::Compact)))
        {
            let got = sink.spans.try_recv().unwrap();
            assert_eq!(got.protocol, protocol);
            assert_eq!(
                (got.trace_id, got.id, got.parent_id),
                (sent.trace_id(), sent.id(), sent.parent_id())
            );
            assert_eq!(
                (got.name.as_str(), got.timestamp, got.duration),
                ("GET /reading", Some(1_000), Some(250))
            );
            assert_eq!(got.annotation_time("cr"), Some(1_250));
            // Re-encoded by the core, the received span reads exactly like the sent one.
            assert_eq!(got.debug_json(), debug_json(sent));
            assert_eq!(v2_json(&got), v2_json(sent));
        }
        assert!(sink.spans.try_recv().is_err());
        let stats = sink.stats.snapshot();
        assert_eq!(
            (stats.connections, stats.calls, stats.spans, stats.bad_frames),
            (1, 2, 4, 0)
        );
    });
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// The debug JSON with its annotations sorted by key.
fn by_key(mut span: serde_json::Value) -> serde_json::Value {
    if let Some(annotations) = span["annotations"].as_array_mut() {
        annotations.sort_by_key(|a| a["key"].to_string());
    }
    span
}

#[test]
fn the_original_tryfers_frame_gets_zipkins_exact_reply_and_prints_as_it_did() {
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/data/tryfer-golden.json")).unwrap();
    run(async {
        let sink = start(SinkOptions::default()).await;
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        stream
            .write_all(&hex(golden["scribe_log_frame"]["frame_hex"].as_str().unwrap()))
            .await
            .unwrap();
        let want = hex(golden["scribe_reply_ok_hex"].as_str().unwrap());
        let mut reply = vec![0u8; want.len()];
        stream.read_exact(&mut reply).await.unwrap();
        assert_eq!(reply, want);

        let cases = golden["cases"].as_array().unwrap();
        let messages: Vec<(&str, &str)> = cases
            .iter()
            .map(|c| ("zipkin", c["scribe_message_base64"].as_str().unwrap()))
            .collect();
        stream.write_all(&raw_call(1, 2, &messages)).await.unwrap();
        assert_eq!(replies(&mut stream, 1).await, [Answer::Ok(2)]);
        let frame_cases = golden["scribe_log_frame"]["cases"].as_array().unwrap();
        let expected = frame_cases
            .iter()
            .map(|i| &cases[i.as_u64().unwrap() as usize])
            .chain(cases);
        for case in expected {
            let span = sink.spans.try_recv().unwrap();
            // The wire keeps annotations and binary annotations in two lists, so the original's interleaving
            // of them is lost in transit: compare the annotations as a set.
            let printed = by_key(serde_json::from_str(&span.debug_json()).unwrap());
            assert_eq!(printed, by_key(case["tryfer_json"].clone()), "{}", case["case"]);
        }
        assert!(sink.spans.try_recv().is_err());
    });
}

#[test]
fn a_128_bit_trace_id_prints_as_32_hex_digits() {
    run(async {
        let sink = start(SinkOptions::default()).await;
        let trace = TraceId::new(1, 2).unwrap();
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        stream
            .write_all(&log_call(&[client_span(trace, 5, None)], 1, &LogOptions::new()))
            .await
            .unwrap();
        assert_eq!(replies(&mut stream, 1).await, [Answer::Ok(1)]);
        let line = sink.spans.try_recv().unwrap().debug_json();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["trace_id"], "00000000000000010000000000000002");
        assert_eq!(value["span_id"], "0000000000000005");
    });
}

#[test]
fn another_category_is_acknowledged_but_not_decoded() {
    run(async {
        let sink = start(SinkOptions::default()).await;
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        let spans = [client_span(TraceId::from_u64(1).unwrap(), 1, None)];
        stream
            .write_all(&log_call(&spans, 3, &LogOptions::new().with_category("other")))
            .await
            .unwrap();
        // Not base64 at all, but in a category nobody reads.
        stream
            .write_all(&raw_call(1, 4, &[("audit", "%%% not base64")]))
            .await
            .unwrap();
        assert_eq!(replies(&mut stream, 2).await, [Answer::Ok(3), Answer::Ok(4)]);
        assert!(sink.spans.try_recv().is_err());
        let stats = sink.stats.snapshot();
        assert_eq!((stats.calls, stats.spans, stats.ignored_entries), (2, 0, 2));
    });
}

#[test]
fn a_bad_message_fails_its_whole_call_and_the_sink_keeps_serving() {
    run(async {
        let sink = start(SinkOptions::default()).await;
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        // "YQ==" is base64 for "a": not a span. "@@@@" is not base64.
        for (seqid, message) in [(7, "@@@@"), (8, "YQ==")] {
            stream
                .write_all(&raw_call(1, seqid, &[("zipkin", message), ("other", "x")]))
                .await
                .unwrap();
            let answer = replies(&mut stream, 1).await;
            let [Answer::Exception(got, kind, text)] = answer.as_slice() else {
                panic!("{answer:?}")
            };
            assert_eq!((*got, *kind), (seqid, INTERNAL_ERROR));
            assert!(text.starts_with("message 0 is not a span"), "{text}");
        }
        let good = [client_span(TraceId::from_u64(1).unwrap(), 1, None)];
        stream.write_all(&log_call(&good, 9, &LogOptions::new())).await.unwrap();
        assert_eq!(replies(&mut stream, 1).await, [Answer::Ok(9)]);
        assert_eq!(sink.spans.try_recv().unwrap().id, SpanId::new(1).unwrap());
        assert!(sink.spans.try_recv().is_err());
        let stats = sink.stats.snapshot();
        assert_eq!(
            (stats.rejected_calls, stats.rejected_spans, stats.calls, stats.spans),
            (2, 2, 1, 1)
        );
    });
}

#[test]
fn one_bad_span_among_good_ones_keeps_none() {
    run(async {
        let sink = start(SinkOptions::default()).await;
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        let message = message_of(&client_span(TraceId::from_u64(1).unwrap(), 1, None));
        stream
            .write_all(&raw_call(1, 2, &[("zipkin", &message), ("zipkin", "AAAA")]))
            .await
            .unwrap();
        let answer = replies(&mut stream, 1).await;
        assert!(
            matches!(answer.as_slice(), [Answer::Exception(2, INTERNAL_ERROR, text)] if text.starts_with("message 1 "))
        );
        assert!(sink.spans.try_recv().is_err());
        assert_eq!(sink.stats.snapshot().rejected_spans, 2);
        // The same message alone is a span.
        stream
            .write_all(&raw_call(1, 3, &[("zipkin", &message)]))
            .await
            .unwrap();
        assert_eq!(replies(&mut stream, 1).await, [Answer::Ok(3)]);
        assert_eq!(sink.spans.try_recv().unwrap().id, SpanId::new(1).unwrap());
    });
}

#[test]
fn garbage_frames_get_exceptions_and_the_connection_goes_on() {
    run(async {
        let sink = start(SinkOptions::default()).await;
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        let garbage: &[&[u8]] = &[
            b"hello, sink",
            &[],
            &[0x80, 0x01, 0x00, 0x01, 0, 0, 0, 3, b'P', b'u', b't', 0, 0, 0, 5, 0],
        ];
        for payload in garbage {
            let mut frame = (payload.len() as u32).to_be_bytes().to_vec();
            frame.extend_from_slice(payload);
            stream.write_all(&frame).await.unwrap();
        }
        let answers = replies(&mut stream, 3).await;
        assert!(
            matches!(&answers[0], Answer::Exception(0, PROTOCOL_ERROR, t) if t.starts_with("cannot read Log call"))
        );
        assert!(matches!(&answers[1], Answer::Exception(0, PROTOCOL_ERROR, _)));
        // A readable header for another method: its seqid comes back, with UNKNOWN_METHOD.
        assert!(matches!(&answers[2], Answer::Exception(5, 1, _)), "{answers:?}");
        let good = [client_span(TraceId::from_u64(1).unwrap(), 1, None)];
        stream.write_all(&log_call(&good, 6, &LogOptions::new())).await.unwrap();
        assert_eq!(replies(&mut stream, 1).await, [Answer::Ok(6)]);
        assert_eq!(sink.stats.snapshot().bad_frames, 3);
    });
}

/// The sink's log lines with their levels, captured for the whole test binary (one logger per process).
struct SinkLog(std::sync::Mutex<Vec<(log::Level, String)>>);

impl log::Log for SinkLog {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = record.args().to_string();
        self.0.lock().unwrap().push((record.level(), line));
    }
    fn flush(&self) {}
}

fn sink_log() -> &'static SinkLog {
    static LOG: std::sync::OnceLock<&'static SinkLog> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log: &'static SinkLog = Box::leak(Box::new(SinkLog(std::sync::Mutex::new(Vec::new()))));
        let _ = log::set_logger(log);
        log::set_max_level(log::LevelFilter::Debug);
        log
    })
}

#[test]
fn a_bad_frame_is_logged_once_per_connection_at_warning_level() {
    let log = sink_log();
    run(async {
        let sink = start(SinkOptions::default()).await;
        let mut frame = 11u32.to_be_bytes().to_vec();
        frame.extend_from_slice(b"hello, sink");
        let mut first = TcpStream::connect(sink.addr).await.unwrap();
        for _ in 0..3 {
            first.write_all(&frame).await.unwrap();
        }
        assert_eq!(replies(&mut first, 3).await.len(), 3);
        let mut second = TcpStream::connect(sink.addr).await.unwrap();
        second.write_all(&frame).await.unwrap();
        assert_eq!(replies(&mut second, 1).await.len(), 1);
        // The sink logs a problem before it answers, so the lines are there once the replies are.
        let problems = |stream: &TcpStream, level: log::Level| {
            let peer = stream.local_addr().unwrap().to_string();
            let lines = log.0.lock().unwrap();
            lines
                .iter()
                .filter(|(l, line)| *l == level && line.contains(&peer) && line.contains("bad frame"))
                .count()
        };
        assert_eq!(
            problems(&first, log::Level::Warn),
            1,
            "one warning for the first connection"
        );
        assert_eq!(problems(&first, log::Level::Debug), 2, "the rest at debug level");
        assert_eq!(problems(&second, log::Level::Warn), 1, "a new connection warns again");
        assert_eq!(problems(&second, log::Level::Debug), 0);
        // Neither connection was closed over it.
        let good = [client_span(TraceId::from_u64(1).unwrap(), 1, None)];
        first.write_all(&log_call(&good, 9, &LogOptions::new())).await.unwrap();
        assert_eq!(replies(&mut first, 1).await, [Answer::Ok(9)]);
    });
}

#[test]
fn an_oversized_frame_is_refused_and_its_connection_closed() {
    run(async {
        let sink = start(SinkOptions {
            max_frame: 1024,
            ..SinkOptions::default()
        })
        .await;
        let spans: Vec<_> = (1..=20)
            .map(|i| client_span(TraceId::from_u64(1).unwrap(), i, None))
            .collect();
        let frame = log_call(&spans, 42, &LogOptions::new());
        assert!(frame.len() > 1024 + 4);
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        // The header is enough to refuse it: the seqid comes back, and nothing more is read.
        stream.write_all(&frame[..64]).await.unwrap();
        let answer = replies(&mut stream, 1).await;
        assert!(
            matches!(answer.as_slice(), [Answer::Exception(42, PROTOCOL_ERROR, t)] if t.contains("1024")),
            "{answer:?}"
        );
        assert!(closed(&mut stream).await);

        // An HTTP request on the Scribe port reads as a huge frame: refused the same way.
        let mut http = TcpStream::connect(sink.addr).await.unwrap();
        http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        assert!(matches!(
            replies(&mut http, 1).await.as_slice(),
            [Answer::Exception(0, PROTOCOL_ERROR, _)]
        ));
        assert!(closed(&mut http).await);
        let stats = sink.stats.snapshot();
        assert_eq!((stats.oversized_frames, stats.bad_frames, stats.spans), (2, 2, 0));
    });
}

#[test]
fn too_many_spans_in_one_call_are_refused() {
    run(async {
        let sink = start(SinkOptions {
            max_spans_per_call: 2,
            ..SinkOptions::default()
        })
        .await;
        let spans: Vec<_> = (1..=3)
            .map(|i| client_span(TraceId::from_u64(1).unwrap(), i, None))
            .collect();
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        stream
            .write_all(&log_call(&spans, 1, &LogOptions::new()))
            .await
            .unwrap();
        stream
            .write_all(&log_call(&spans[..2], 2, &LogOptions::new()))
            .await
            .unwrap();
        let answers = replies(&mut stream, 2).await;
        assert!(matches!(&answers[0], Answer::Exception(1, PROTOCOL_ERROR, t) if t.contains("more log entries")));
        assert_eq!(answers[1], Answer::Ok(2));
        assert_eq!(sink.stats.snapshot().spans, 2);
    });
}

#[test]
fn pipelined_calls_are_answered_in_order() {
    run(async {
        let sink = start(SinkOptions::default()).await;
        let mut burst = Vec::new();
        for seqid in 10..15 {
            if seqid == 12 {
                burst.extend(raw_call(1, seqid, &[("zipkin", "AAAA")]));
            } else {
                let span = [client_span(TraceId::from_u64(1).unwrap(), seqid as u64, None)];
                burst.extend(log_call(&span, seqid, &LogOptions::new()));
            }
        }
        // A ONEWAY call in the middle gets no reply but its span is taken.
        let message = message_of(&client_span(TraceId::from_u64(1).unwrap(), 99, None));
        burst.extend(raw_call(4, 50, &[("zipkin", &message)]));
        burst.extend(log_call(
            &[client_span(TraceId::from_u64(1).unwrap(), 15, None)],
            15,
            &LogOptions::new(),
        ));
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        stream.write_all(&burst).await.unwrap();
        let answers = replies(&mut stream, 6).await;
        let seqids: Vec<i32> = answers
            .iter()
            .map(|a| match a {
                Answer::Ok(s) | Answer::TryLater(s) | Answer::Exception(s, ..) => *s,
            })
            .collect();
        assert_eq!(seqids, [10, 11, 12, 13, 14, 15]);
        assert!(matches!(answers[2], Answer::Exception(12, INTERNAL_ERROR, _)));
        let ids: Vec<u64> = std::iter::from_fn(|| sink.spans.try_recv().ok())
            .map(|s| s.id.get())
            .collect();
        assert_eq!(ids, [10, 11, 13, 14, 99, 15]);
        let stats = sink.stats.snapshot();
        assert_eq!((stats.calls, stats.rejected_calls), (6, 1));
    });
}

#[test]
fn connections_over_the_limit_are_closed_at_once() {
    run(async {
        let sink = start(SinkOptions {
            max_connections: 1,
            ..SinkOptions::default()
        })
        .await;
        let span = [client_span(TraceId::from_u64(1).unwrap(), 1, None)];
        let mut first = TcpStream::connect(sink.addr).await.unwrap();
        first.write_all(&log_call(&span, 1, &LogOptions::new())).await.unwrap();
        assert_eq!(replies(&mut first, 1).await, [Answer::Ok(1)]);

        let mut second = TcpStream::connect(sink.addr).await.unwrap();
        assert!(closed(&mut second).await);
        assert_eq!(sink.stats.snapshot().refused_connections, 1);
        // The first connection is still served.
        first.write_all(&log_call(&span, 2, &LogOptions::new())).await.unwrap();
        assert_eq!(replies(&mut first, 1).await, [Answer::Ok(2)]);

        // Once it closes, its slot frees: a new connection is served (the sink notices the close on its own
        // time, so try for a while).
        drop(first);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut third = TcpStream::connect(sink.addr).await.unwrap();
            if third.write_all(&log_call(&span, 3, &LogOptions::new())).await.is_ok()
                && replies(&mut third, 1).await == [Answer::Ok(3)]
            {
                break;
            }
            assert!(Instant::now() < deadline, "the slot never freed");
            Timer::after(Duration::from_millis(20)).await;
        }
        assert_eq!(sink.stats.snapshot().connections, 2);
    });
}

#[test]
fn an_idle_connection_is_closed_after_the_timeout() {
    run(async {
        let sink = start(SinkOptions {
            idle_timeout: Some(Duration::from_millis(100)),
            ..SinkOptions::default()
        })
        .await;
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        // Half a frame, then silence.
        stream.write_all(&[0, 0, 0, 10, 1]).await.unwrap();
        let started = Instant::now();
        assert!(closed(&mut stream).await);
        assert!(started.elapsed() >= Duration::from_millis(90));
        assert_eq!(sink.stats.snapshot().idle_closed, 1);
    });
}

#[test]
fn unread_spans_hold_the_connection_back_instead_of_being_dropped() {
    run(async {
        let sink = start(SinkOptions {
            span_channel: 1,
            ..SinkOptions::default()
        })
        .await;
        let spans: Vec<_> = (1..=3)
            .map(|i| client_span(TraceId::from_u64(1).unwrap(), i, None))
            .collect();
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        stream
            .write_all(&log_call(&spans, 1, &LogOptions::new()))
            .await
            .unwrap();
        // The reply waits until every span was handed on.
        let reader = smol::spawn(async move { replies(&mut stream, 1).await });
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(sink.spans.recv().await.unwrap().id.get());
        }
        assert_eq!(reader.await, [Answer::Ok(1)]);
        assert_eq!(ids, [1, 2, 3]);
    });
}

#[test]
fn a_sink_whose_spans_nobody_reads_still_acknowledges() {
    run(async {
        let mut sink = ScribeSink::bind(
            ([127, 0, 0, 1], 0).into(),
            SinkOptions {
                span_channel: 1,
                ..SinkOptions::default()
            },
        )
        .await
        .unwrap();
        let addr = sink.local_addr().unwrap();
        drop(sink.take_spans());
        let stats = sink.stats();
        let _task = smol::spawn(sink.run());
        let spans: Vec<_> = (1..=5)
            .map(|i| client_span(TraceId::from_u64(1).unwrap(), i, None))
            .collect();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(&log_call(&spans, 1, &LogOptions::new()))
            .await
            .unwrap();
        assert_eq!(replies(&mut stream, 1).await, [Answer::Ok(1)]);
        assert_eq!(stats.snapshot().spans, 5);
    });
}

// ---- the tree ----

fn endpoint(service: &str) -> Option<ReceivedEndpoint> {
    Some(ReceivedEndpoint {
        service_name: service.to_owned(),
        ipv4: Some(Ipv4Addr::LOCALHOST),
        ipv6: None,
        port: None,
    })
}

fn at(value: &str, timestamp: u64, service: &str) -> ReceivedEvent {
    ReceivedEvent::Time {
        timestamp,
        value: value.to_owned(),
        host: endpoint(service),
    }
}

fn received(trace: u64, id: u64, parent: Option<u64>, name: &str, events: Vec<ReceivedEvent>) -> ReceivedSpan {
    ReceivedSpan {
        trace_id: TraceId::from_u64(trace).unwrap(),
        id: SpanId::new(id).unwrap(),
        parent_id: parent.and_then(SpanId::new),
        name: name.to_owned(),
        events,
        debug: false,
        timestamp: None,
        duration: None,
        protocol: Protocol::Binary,
    }
}

/// A gateway serving a request, calling a sensor (client and server halves sharing span id 2), which reads
/// locally; plus a span whose parent never arrived. They arrive out of order.
fn fixture() -> Vec<ReceivedSpan> {
    let mut read = received(
        1,
        3,
        Some(2),
        "read",
        vec![ReceivedEvent::Tag {
            key: "lc".to_owned(),
            value: tryfer_smol::sink::ReceivedValue::String("adc".to_owned()),
            host: endpoint("sensor-7"),
        }],
    );
    read.timestamp = Some(4_000);
    read.duration = Some(1_500);
    vec![
        read,
        received(
            1,
            2,
            Some(1),
            "GET /sensor",
            vec![at("sr", 3_000, "sensor-7"), at("ss", 9_000, "sensor-7")],
        ),
        received(
            1,
            1,
            None,
            "GET /data",
            vec![at("sr", 1_000, "gateway"), at("ss", 13_000, "gateway")],
        ),
        received(1, 9, Some(8), "late", vec![]),
        received(
            1,
            2,
            Some(1),
            "GET /sensor",
            vec![at("cs", 2_000, "gateway"), at("cr", 10_000, "gateway")],
        ),
    ]
}

#[test]
fn the_tree_nests_spans_under_their_parents_with_bars() {
    let spans = fixture();
    assert_eq!(tree::heading(&spans), "trace 0000000000000001: 5 spans, 12.000ms");
    let lines = tree::render(&spans, 24);
    let expected = [
        "gateway  GET /data         |========================|  12.000ms",
        "  gateway  GET /sensor     |  ================      |   8.000ms",
        "    sensor-7  GET /sensor  |    ============        |   6.000ms",
        "      sensor-7  read       |      ===               |   1.500ms",
        "-  late                    |                        |         ?",
    ];
    assert_eq!(lines, expected, "\n{}", lines.join("\n"));
}

#[test]
fn tree_timing_and_durations() {
    let spans = fixture();
    let timing = tree::timing(&spans[4]);
    assert_eq!((timing.start, timing.duration), (Some(2_000), Some(8_000)));
    assert_eq!(tree::service(&spans[3]), "-");
    assert_eq!(tree::format_duration(999), "999µs");
    assert_eq!(tree::format_duration(1_000), "1.000ms");
    assert_eq!(tree::format_duration(2_345_678), "2.345s");
    // An end before its start gives no duration; a lone span fills the whole bar.
    let backwards = received(2, 1, None, "odd", vec![at("cs", 10, "a"), at("cr", 5, "a")]);
    assert_eq!(tree::timing(&backwards).duration, None);
    assert_eq!(tree::render(&[backwards], 4), ["a  odd  |.   |  ?"]);
}

#[test]
fn a_parent_cycle_is_still_drawn() {
    let spans = [
        received(3, 1, Some(2), "one", vec![at("cs", 0, "a"), at("cr", 10, "a")]),
        received(3, 2, Some(1), "two", vec![at("cs", 5, "a"), at("cr", 10, "a")]),
    ];
    let lines = tree::render(&spans, 2);
    assert_eq!(lines, ["a  one    |==|  10µs", "  a  two  | =|   5µs"]);
}

#[test]
fn the_live_tree_prints_a_trace_once_quiet_and_again_when_late_spans_come() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let mut live = LiveTree::new(Duration::from_millis(1_000), 24);
    let mut spans = fixture();
    let late = spans.pop().unwrap();
    assert_eq!(live.next_deadline(), None);
    for span in spans {
        live.push(span, t0);
    }
    live.push(
        received(2, 1, None, "other", vec![at("cs", 0, "b"), at("cr", 7, "b")]),
        ms(500),
    );
    assert_eq!(live.next_deadline(), Some(ms(1_000)));
    assert!(live.due(ms(999)).is_empty());
    let first = live.due(ms(1_000));
    assert_eq!(
        first.first().map(String::as_str),
        Some("trace 0000000000000001: 4 spans, 12.000ms")
    );
    assert_eq!((first.len(), first.last().map(String::as_str)), (6, Some("")));
    assert_eq!(live.next_deadline(), Some(ms(1_500)));
    let second = live.due(ms(1_500));
    assert_eq!(
        second,
        [
            "trace 0000000000000002: 1 span, 7µs",
            "b  other  |========================|  7µs",
            ""
        ]
    );
    assert!(live.due(ms(1_600)).is_empty());

    live.push(late, ms(2_000));
    assert!(live.due(ms(2_999)).is_empty());
    let update = live.due(ms(3_000));
    assert_eq!(update[0], "trace 0000000000000001: 5 spans, 12.000ms (update: 1 new)");
    assert_eq!(update[1..6], tree::render(&fixture(), 24)[..]);
    assert_eq!(live.next_deadline(), None);
}

#[test]
fn flush_prints_whatever_is_waiting() {
    let mut live = LiveTree::new(Duration::from_secs(3600), 8);
    live.push(received(5, 1, None, "x", vec![]), Instant::now());
    let lines = live.flush();
    assert_eq!(lines, ["trace 0000000000000005: 1 span", "-  x  |        |  ?", ""]);
    assert!(live.flush().is_empty());
}

// ---- the command line ----

fn parse(args: &[&str]) -> Result<Command, args::ArgsError> {
    args::parse(args.iter().map(|a| a.to_string()))
}

#[test]
fn the_command_line_has_safe_defaults_and_clear_errors() {
    let Ok(Command::Run(defaults)) = parse(&[]) else {
        panic!()
    };
    assert_eq!(defaults.addr(), SocketAddr::from(([127, 0, 0, 1], 9410)));
    assert_eq!((defaults.output, defaults.forward.as_deref()), (Output::Tree, None));
    assert_eq!(defaults.tree_delay, Duration::from_secs(1));

    let Ok(Command::Run(a)) = parse(&[
        "--port",
        "0",
        "--bind=0.0.0.0",
        "--json-lines",
        "--tree-delay",
        "250",
        "--forward",
        "http://127.0.0.1:9411/api/v2/spans",
        "--max-frame",
        "1000",
        "--max-spans=5",
        "--max-connections",
        "2",
        "--idle-timeout",
        "30",
        "-v",
    ]) else {
        panic!()
    };
    assert_eq!(a.addr(), SocketAddr::from(([0, 0, 0, 0], 0)));
    assert_eq!(
        (a.output, a.tree_delay, a.verbose),
        (Output::JsonLines, Duration::from_millis(250), true)
    );
    assert_eq!(a.forward.as_deref(), Some("http://127.0.0.1:9411/api/v2/spans"));
    assert_eq!(
        (
            a.options.max_frame,
            a.options.max_spans_per_call,
            a.options.max_connections
        ),
        (1000, 5, 2)
    );
    assert_eq!(a.options.idle_timeout, Some(Duration::from_secs(30)));

    assert_eq!(parse(&["--json-lines", "-h"]), Ok(Command::Help));
    for (bad, says) in [
        (&["--port", "65536"][..], "--port wants a port number"),
        (&["--port"][..], "--port needs a value"),
        (&["--bind", "localhost"][..], "--bind wants an IP address"),
        (&["--max-frame", "0"][..], "--max-frame must be at least 1"),
        (&["--json-lines=yes"][..], "--json-lines takes no value"),
        (&["--colour"][..], "unknown option \"--colour\""),
        (&["9410"][..], "unknown option \"9410\""),
    ] {
        let error = parse(bad).unwrap_err().to_string();
        assert!(error.starts_with(says), "{bad:?}: {error}");
    }
}

// ---- forwarding ----

#[cfg(feature = "surf")]
#[test]
fn forwarded_spans_reach_a_zipkin_collector_as_v2_json_with_b3_0() {
    use http_types::{Response, StatusCode};
    use tryfer_smol::sink::forward::{parse_target, Forwarder};

    run(async {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/v2/spans", listener.local_addr().unwrap());
        let (posts, posted) = async_channel::unbounded();
        let _collector = smol::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let posts = posts.clone();
                smol::spawn(async move {
                    let _ = async_h1::accept(stream, move |mut request| {
                        let posts = posts.clone();
                        async move {
                            let b3 = request.header("b3").map(|v| v.last().as_str().to_owned());
                            let kind = request.content_type().map(|m| m.essence().to_owned());
                            let path = request.url().path().to_owned();
                            let body = request.body_string().await?;
                            let _ = posts.send((path, b3, kind, body)).await;
                            Ok(Response::new(StatusCode::Accepted))
                        }
                    })
                    .await;
                })
                .detach();
            }
        });

        // Spans taken from a real sink, so the whole path runs: Scribe in, JSON out.
        let sink = start(SinkOptions::default()).await;
        let sent = [
            client_span(TraceId::from_u64(0xab).unwrap(), 1, None),
            client_span(TraceId::from_u64(0xab).unwrap(), 2, Some(1)),
        ];
        let mut stream = TcpStream::connect(sink.addr).await.unwrap();
        stream.write_all(&log_call(&sent, 1, &LogOptions::new())).await.unwrap();
        assert_eq!(replies(&mut stream, 1).await, [Answer::Ok(1)]);

        let (forwarder, task) = Forwarder::new(&url).unwrap();
        let posting = smol::spawn(task);
        forwarder.forward(sink.spans.recv().await.unwrap());
        forwarder.forward(sink.spans.recv().await.unwrap());
        let mut bodies = Vec::new();
        while bodies
            .iter()
            .map(|b: &serde_json::Value| b.as_array().unwrap().len())
            .sum::<usize>()
            < 2
        {
            let (path, b3, kind, body) = posted.recv().await.unwrap();
            assert_eq!(
                (path.as_str(), b3.as_deref(), kind.as_deref()),
                ("/api/v2/spans", Some("0"), Some("application/json"))
            );
            bodies.push(serde_json::from_str(&body).unwrap());
        }
        let got: Vec<serde_json::Value> = bodies.into_iter().flat_map(|b| b.as_array().unwrap().clone()).collect();
        let want: Vec<serde_json::Value> = sent
            .iter()
            .map(|s| serde_json::from_str(&v2_json(s)).unwrap())
            .collect();
        assert_eq!(got, want);
        assert_eq!(got[1]["parentId"], "0000000000000001");
        // The counters move once the collector's answer is in: the task ends after that, with its forwarders.
        let stats = forwarder.stats();
        drop(forwarder);
        posting.await;
        let stats = stats.snapshot();
        assert_eq!((stats.forwarded, stats.dropped, stats.failed_posts), (2, 0, 0));

        assert!(parse_target("https://zipkin:9411/api/v2/spans")
            .unwrap_err()
            .to_string()
            .contains("no TLS"));
        assert!(parse_target("not a url").is_err());
        assert!(Forwarder::new("ftp://x/").is_err());
    });
}

#[cfg(feature = "surf")]
#[test]
fn a_dead_collector_costs_counted_spans_not_a_crash() {
    use tryfer_smol::sink::forward::Forwarder;
    run(async {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (forwarder, task) = Forwarder::new(&format!("http://127.0.0.1:{port}/api/v2/spans")).unwrap();
        let stats = forwarder.stats();
        forwarder.forward(received(1, 1, None, "x", vec![]));
        drop(forwarder);
        // The task ends once its forwarders are gone and the queue is drained.
        task.await;
        let stats = stats.snapshot();
        assert_eq!((stats.forwarded, stats.dropped, stats.failed_posts), (0, 1, 1));
    });
}

// ---- the binary ----

/// Reads lines from a child's pipe on a thread, so the test can wait with a timeout.
fn lines(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Kills the child when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_binary_prints_json_lines_of_what_it_receives() {
    let mut child = Child(
        Process::new(env!("CARGO_BIN_EXE_tryfer-sink"))
            .args(["--json-lines", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = lines(child.0.stdout.take().unwrap());
    let stderr = lines(child.0.stderr.take().unwrap());
    let announce = stderr.recv_timeout(Duration::from_secs(20)).unwrap();
    let addr: SocketAddr = announce
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {announce:?}"));
    assert!(addr.ip().is_loopback());

    let wide = TraceId::new(0x1122_3344_5566_7788, 0x99aa_bbcc_ddee_ff00).unwrap();
    let sent = [client_span(wide, 0x10, None), client_span(wide, 0x11, Some(0x10))];
    run(async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(&log_call(
                &sent,
                1,
                &LogOptions::new().with_encoding(SpanEncoding::Compact),
            ))
            .await
            .unwrap();
        assert_eq!(replies(&mut stream, 1).await, [Answer::Ok(1)]);
        // A bad frame is answered and logged; the binary carries on.
        stream.write_all(&raw_call(1, 2, &[("zipkin", "@@@@")])).await.unwrap();
        assert!(matches!(
            replies(&mut stream, 1).await.as_slice(),
            [Answer::Exception(2, ..)]
        ));
    });
    for span in &sent {
        let line = stdout.recv_timeout(Duration::from_secs(20)).unwrap();
        assert_eq!(line, debug_json(span));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["trace_id"], "112233445566778899aabbccddeeff00");
        assert_eq!(value["span_id"], format!("{:016x}", span.id().get()));
        assert_eq!(value["name"], "GET /reading");
    }
    assert_eq!(value_of(&debug_json(&sent[1]))["parent_span_id"], "0000000000000010");
    let warning = stderr.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(warning.contains("call refused: message 0 is not a span"), "{warning}");
}

fn value_of(json: &str) -> serde_json::Value {
    serde_json::from_str(json).unwrap()
}

#[test]
fn the_binary_explains_itself_and_refuses_bad_arguments() {
    let help = Process::new(env!("CARGO_BIN_EXE_tryfer-sink"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("--json-lines") && text.contains("--forward URL") && text.contains("--bind ADDR"));

    for bad in [
        &["--port", "http"][..],
        &["--frobnicate"][..],
        &["--forward", "https://zipkin/api/v2/spans", "--port", "0"][..],
    ] {
        let out = Process::new(env!("CARGO_BIN_EXE_tryfer-sink"))
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("tryfer-sink: "), "{err}");
    }
}
