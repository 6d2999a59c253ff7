//! Writes the committed seed corpus, `fuzz/seeds/<target>/`: `cargo run --example seeds` in `fuzz/`.
//!
//! Seeds are valid inputs of every kind the parsers know (from the shared B3 vectors and the original tryfer's
//! golden bytes, and from the core's own writers) plus a few classic broken ones, so each fuzz run starts from
//! the interesting shapes instead of rediscovering them.
#![forbid(unsafe_code)]

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use tryfer_core::scribe::{self, ApplicationException, LogOptions, Outcome, Reply, SpanEncoding};
use tryfer_core::sink::{measure, EncodeError, Slice};
use tryfer_core::thrift::{self, encode_binary_span_list};
use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanId, TraceId, Value};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn written(len: usize, encode: impl FnOnce(&mut Slice<'_>) -> std::result::Result<(), EncodeError>) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let mut out = Slice::new(&mut buf);
    encode(&mut out).expect("fits its measured length");
    buf
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

struct Seeds {
    root: PathBuf,
}

impl Seeds {
    fn put(&self, target: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let dir = self.root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(name), bytes)?;
        Ok(())
    }
}

/// The spans the seeds carry: a client span with a tag of every type, and a 128-bit debug server span.
fn spans() -> Vec<Span<16, 512>> {
    let host = Endpoint::v4("sensor-7", Ipv4Addr::new(192, 168, 1, 10), 58648);
    let trace = TraceId::from_u64(0x463ac35c9f6413ad).expect("non-zero");
    let root = SpanContext::root_of(
        trace,
        SpanId::new(0xa2fb4a1d1a96d312).expect("non-zero"),
        Sampling::Accept,
    );
    let mut client = Span::new(root.child_with_id(SpanId::new(2).expect("non-zero")), "GET /reading");
    client.annotate("cs", 1_700_000_000_000_000, Some(&host)).expect("room");
    client.annotate("cr", 1_700_000_000_000_250, Some(&host)).expect("room");
    client
        .tag_str("http.uri", "http://gw/reading?q=\"ü\"", Some(&host))
        .expect("room");
    client.tag("ok", Value::Bool(true), None).expect("room");
    client.tag("raw", Value::Bytes(&[0, 1, 0xff]), None).expect("room");
    client.tag("n16", Value::I16(-2), None).expect("room");
    client.tag("n32", Value::I32(7), None).expect("room");
    client.tag("n64", Value::I64(i64::MIN), None).expect("room");
    client.tag("temp", Value::Double(21.5), None).expect("room");
    client
        .tag(
            "sa",
            Value::Bool(true),
            Some(&Endpoint::v4("backend", Ipv4Addr::LOCALHOST, 8080)),
        )
        .expect("room");
    client.set_timestamp(1_700_000_000_000_000);
    client.set_duration(250);
    let wide = TraceId::new(0x80f198ee56343ba8, 0x64fe8b2a57d3eff7).expect("non-zero");
    let mut context = SpanContext::root_of(
        wide,
        SpanId::new(0xe457b5a2e4d86bd1).expect("non-zero"),
        Sampling::Defer,
    );
    context.debug = true;
    let mut server = Span::new(context, "get");
    server.annotate("sr", 1, None).expect("room");
    server.annotate("ss", 2, None).expect("room");
    server.set_shared(true);
    vec![client, server]
}

fn b3_seeds(seeds: &Seeds, shared: &Path) -> Result<()> {
    let vectors: serde_json::Value = serde_json::from_slice(&fs::read(shared.join("b3-vectors.json"))?)?;
    let mut n = 0;
    for group in vectors["groups"].as_array().into_iter().flatten() {
        for case in group["cases"].as_array().into_iter().flatten() {
            let Some(headers) = case["headers"].as_object() else {
                continue;
            };
            // b3_multi: one line per header, the first byte picking the name (see checks::b3::headers).
            let mut multi = Vec::new();
            for (name, value) in headers {
                let names = [
                    "b3",
                    "x-b3-traceid",
                    "x-b3-spanid",
                    "x-b3-parentspanid",
                    "x-b3-sampled",
                    "x-b3-flags",
                ];
                let selector = names.iter().position(|n| n.eq_ignore_ascii_case(name)).unwrap_or(6) as u8;
                let value = value.as_str().unwrap_or_default();
                if selector == 0 {
                    n += 1;
                    seeds.put("b3_single", &format!("vector-{n:03}"), value.as_bytes())?;
                }
                if !multi.is_empty() {
                    multi.push(b'\n');
                }
                multi.push(selector);
                multi.extend_from_slice(value.as_bytes());
            }
            n += 1;
            seeds.put("b3_multi", &format!("vector-{n:03}"), &multi)?;
        }
    }
    for (name, value) in [
        ("sampling-d", "d"),
        (
            "too-long",
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90-",
        ),
        ("zero-trace", "0000000000000000-e457b5a2e4d86bd1"),
        ("low-half-zero", "00000000000000010000000000000000-e457b5a2e4d86bd1-1"),
        ("upper-case", "80F198EE56343BA8-E457B5A2E4D86BD1"),
        ("empty-fields", "--"),
    ] {
        seeds.put("b3_single", name, value.as_bytes())?;
    }
    Ok(())
}

fn reply_seeds(seeds: &Seeds, shared: &Path) -> Result<()> {
    let golden: serde_json::Value = serde_json::from_slice(&fs::read(shared.join("tryfer-golden.json"))?)?;
    seeds.put(
        "scribe_reply",
        "golden-ok",
        &hex(golden["scribe_reply_ok_hex"].as_str().unwrap_or_default()),
    )?;
    let exception = ApplicationException {
        message: "Cannot store spans",
        kind: ApplicationException::INTERNAL_ERROR,
    };
    for (name, outcome) in [
        ("ok", Outcome::Ok),
        ("try-later", Outcome::TryLater),
        ("exception", Outcome::Exception(exception)),
    ] {
        let reply = Reply { seqid: 7, outcome };
        let frame = written(scribe::reply_len(&reply)?, |s| scribe::write_reply(&reply, s));
        seeds.put("scribe_reply", name, &frame)?;
        seeds.put("scribe_reply", &format!("{name}-unframed"), &frame[4..])?;
    }
    // The old (non-strict) header: i32 name length, name, i8 type, i32 seqid, then the result struct.
    let old = [0, 0, 0, 3, b'L', b'o', b'g', 2, 0, 0, 0, 1, 0x08, 0, 0, 0, 0, 0, 1, 0];
    seeds.put("scribe_reply", "old-header", &old)?;
    seeds.put("scribe_reply", "http", b"HTTP/1.1 400 Bad Request\r\n\r\n")?;
    Ok(())
}

fn frame_seeds(seeds: &Seeds, shared: &Path) -> Result<()> {
    let golden: serde_json::Value = serde_json::from_slice(&fs::read(shared.join("tryfer-golden.json"))?)?;
    let frame = hex(golden["scribe_log_frame"]["frame_hex"].as_str().unwrap_or_default());
    seeds.put("sink_frames", "golden-call", &frame)?;
    for case in golden["cases"].as_array().into_iter().flatten() {
        let bytes = hex(case["thrift_binary_hex"].as_str().unwrap_or_default());
        let name = case["case"]
            .as_str()
            .unwrap_or("case")
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-");
        seeds.put("span_decode", &format!("golden-{name}"), &bytes)?;
    }
    let spans = spans();
    let mut pipelined = Vec::new();
    for (name, encoding) in [("binary", SpanEncoding::Binary), ("compact", SpanEncoding::Compact)] {
        let options = LogOptions::new().with_encoding(encoding);
        let call = written(scribe::log_call_len(&spans, &options)?, |s| {
            scribe::write_log_call(&spans, 3, &options, s)
        });
        seeds.put("sink_frames", &format!("call-{name}"), &call)?;
        pipelined.extend_from_slice(&call);
    }
    let other = LogOptions::new().with_category("audit");
    let call = written(scribe::log_call_len(&spans[..1], &other)?, |s| {
        scribe::write_log_call(&spans[..1], 4, &other, s)
    });
    pipelined.extend_from_slice(&call);
    seeds.put("sink_frames", "pipelined", &pipelined)?;
    seeds.put("sink_frames", "http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")?;
    seeds.put("sink_frames", "empty-frame", &[0, 0, 0, 0])?;
    for (i, span) in spans.iter().enumerate() {
        let binary = written(thrift::binary_span_len(span)?, |s| thrift::encode_binary_span(span, s));
        seeds.put("span_decode", &format!("binary-{i}"), &binary)?;
        let compact_len = measure(|c| thrift::encode_compact_span(span, c))?;
        let compact = written(compact_len, |s| thrift::encode_compact_span(span, s));
        seeds.put("span_decode", &format!("compact-{i}"), &compact)?;
    }
    let list_len = measure(|c| encode_binary_span_list(spans.iter(), c))?;
    let list = written(list_len, |s| encode_binary_span_list(spans.iter(), s));
    seeds.put("span_decode", "list", &list)?;
    Ok(())
}

fn roundtrip_seeds(seeds: &Seeds) -> Result<()> {
    // Any bytes make a plan; a few pseudo-random ones of different lengths give arbitrary something to shape.
    let mut state: u64 = 0x7279_6665_7221_2012;
    for (i, len) in [16usize, 64, 256, 1024, 4096].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 56) as u8
            })
            .collect();
        seeds.put("span_roundtrip", &format!("random-{i}"), &bytes)?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = fuzz.join("../tests/data");
    let seeds = Seeds {
        root: fuzz.join("seeds"),
    };
    b3_seeds(&seeds, &shared)?;
    reply_seeds(&seeds, &shared)?;
    frame_seeds(&seeds, &shared)?;
    roundtrip_seeds(&seeds)?;
    for (target, _) in tryfer_fuzz::checks::TARGETS {
        let n = fs::read_dir(seeds.root.join(target))?.count();
        println!("{target}: {n} seeds");
    }
    Ok(())
}
