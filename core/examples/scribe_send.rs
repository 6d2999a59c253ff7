//! Sends a few spans to a Scribe collector in one framed `Log` call, using nothing but the core and std.
//!
//! `cargo run -p tryfer-core --example scribe_send -- 127.0.0.1:9410` prints one JSON line per span sent
//! (`{"trace_id", "span_id", "parent_id", "name"}`) and the collector's answer; CI compares those lines with
//! what an independent Thrift stack decoded.
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tryfer_core::annotation::{CLIENT_RECV, CLIENT_SEND, SERVER_RECV, SERVER_SEND};
use tryfer_core::scribe::{self, LogOptions, Outcome};
use tryfer_core::sink::Slice;
use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanData, SpanId, TraceId, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9410".into());
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_micros() as u64;

    let device = Endpoint::v4("sensor-7", Ipv4Addr::new(192, 168, 1, 10), 58648);
    let mut v6 = Endpoint::service("gateway");
    v6.ipv6 = Some(Ipv6Addr::LOCALHOST);
    v6.port = Some(443);

    // A 128-bit trace with ids above 2^63, the values the original tryfer could not encode.
    let root = SpanContext {
        trace_id: TraceId::new(0x80f1_98ee_5634_3ba8, 0xe4fe_8b2a_57d3_eff7).ok_or("zero id")?,
        span_id: SpanId::new(0xe457_b5a2_e4d8_6bd1).ok_or("zero id")?,
        parent_id: None,
        sampling: Sampling::Accept,
        debug: true,
    };
    let child = root.child_with_id(SpanId::new(0x05e3_ac9a_4f6e_3b90).ok_or("zero id")?);

    let mut client: Span<16, 512> = Span::new(child, "GET");
    client
        .annotate(CLIENT_SEND, now, Some(&v6))
        .map_err(|e| e.to_string())?;
    client
        .tag_str("http.uri", "http://sensor-7/temp?unit=C", Some(&v6))
        .map_err(|e| e.to_string())?;
    client
        .tag("sa", Value::Bool(true), Some(&device))
        .map_err(|e| e.to_string())?;
    client
        .annotate(CLIENT_RECV, now + 1_250, Some(&v6))
        .map_err(|e| e.to_string())?;
    client.set_timestamp(now);
    client.set_duration(1_250);

    let mut server: Span<16, 512> = Span::new(child, "GET");
    server.set_shared(true);
    server
        .annotate(SERVER_RECV, now + 200, Some(&device))
        .map_err(|e| e.to_string())?;
    for (key, value) in [
        ("device.temp", Value::String("21.5C")),
        ("ok", Value::Bool(true)),
        ("raw", Value::Bytes(&[0, 1, 2, 255])),
        ("i16", Value::I16(-2)),
        ("i32", Value::I32(70_000)),
        ("i64", Value::I64(-5_000_000_000)),
        ("ratio", Value::Double(0.25)),
    ] {
        server.tag(key, value, Some(&device)).map_err(|e| e.to_string())?;
    }
    server
        .annotate(SERVER_SEND, now + 1_100, Some(&device))
        .map_err(|e| e.to_string())?;

    let spans = [&client, &server];
    let options = LogOptions::new();
    let mut frame = vec![0u8; scribe::log_call_len(spans, &options)?];
    scribe::write_log_call(spans, 1, &options, Slice::new(&mut frame))?;

    let mut stream = TcpStream::connect(&address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(&frame)?;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 512];
    let outcome = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err("collector closed the connection without replying".into());
        }
        reply.extend_from_slice(&chunk[..n]);
        if let Some((reply, _)) = scribe::read_reply(&reply, 1 << 20)? {
            break format!("{:?}", reply.outcome);
        }
    };
    for span in spans {
        println!(
            "{{\"trace_id\":\"{}\",\"span_id\":\"{}\",\"parent_id\":\"{}\",\"name\":\"{}\"}}",
            span.trace_id(),
            span.id(),
            span.parent_id().map(|p| p.to_string()).unwrap_or_default(),
            span.name()
        );
    }
    eprintln!("collector answered {outcome}");
    if outcome != format!("{:?}", Outcome::Ok) {
        return Err(format!("collector answered {outcome}").into());
    }
    Ok(())
}
