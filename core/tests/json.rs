//! JSON encoders: the original tryfer's debug JSON against its golden output and README, Zipkin v2 JSON against
//! Zipkin's OpenAPI schema and its V1SpanConverter rules, and both against arbitrary spans.
#![forbid(unsafe_code)]

mod common;
use common::golden::{golden, span_of, GoldenSpan};

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use ::base64::Engine as _;
use proptest::prelude::*;
use serde_json::{json, Value as Json};
use tryfer_core::json::{self as tjson, Layout};
use tryfer_core::sink::{measure, EncodeError, Slice};
use tryfer_core::{Endpoint, Event, Sampling, Span, SpanContext, SpanData, SpanId, TraceId, Value};

type TestSpan = Span<16, 1024>;

fn case(name_part: &str) -> GoldenSpan {
    let golden = golden();
    let case = golden["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"].as_str().unwrap().contains(name_part))
        .unwrap_or_else(|| panic!("no golden case {name_part}"));
    span_of(&case["input"])
}

fn debug_text<D: SpanData>(span: &D, layout: Layout) -> String {
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Slice::new(&mut buf);
    tjson::encode_debug_span(span, layout, &mut out).unwrap();
    assert_eq!(tjson::debug_span_len(span, layout).unwrap(), out.len());
    String::from_utf8(out.written().to_vec()).unwrap()
}

fn v2_text<D: SpanData>(span: &D) -> String {
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Slice::new(&mut buf);
    tjson::encode_v2_spans([span], &mut out).unwrap();
    assert_eq!(measure(|c| tjson::encode_v2_spans([span], c)).unwrap(), out.len());
    String::from_utf8(out.written().to_vec()).unwrap()
}

/// The v2 spans of one v1 span, parsed.
fn v2<D: SpanData>(span: &D) -> Vec<Json> {
    let text = v2_text(span);
    let parsed: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let spans = parsed.as_array().unwrap().clone();
    assert_eq!(spans.len(), tjson::v2_span_count(span), "{text}");
    spans
}

// ---------------------------------------------------------------------------------------------------------------
// The original tryfer's debug JSON.

#[test]
fn debug_json_matches_every_golden_case_by_content() {
    let golden = golden();
    for case in golden["cases"].as_array().unwrap() {
        let span = span_of(&case["input"]);
        for layout in [Layout::Compact, Layout::Pretty] {
            let text = debug_text(&span, layout);
            let ours: Json = serde_json::from_str(&text).unwrap();
            assert_eq!(ours, case["tryfer_json"], "{} ({layout:?}): {text}", case["case"]);
        }
        let compact = debug_text(&span, Layout::Compact);
        assert!(
            !compact.contains('\n') && !compact.contains(": ") && !compact.contains(", "),
            "{compact}"
        );
    }
}

/// The original README's DebugTracer output (tryfer README.rst, "Examples"): `json.dumps([span], indent=2)`.
const README_CLIENT: &str = r#"[
  {
    "annotations": [
      {
        "type": "string",
        "value": "http://localhost:8080/README.rst",
        "key": "http.uri"
      },
      {
        "type": "timestamp",
        "value": 1346876525257644,
        "key": "cs"
      },
      {
        "type": "timestamp",
        "value": 1346876525270536,
        "key": "cr"
      }
    ],
    "trace_id": "00e5f721d19e25fa",
    "name": "GET",
    "span_id": "007fe79f2c63db97"
  }
]"#;

const README_SERVER: &str = r#"[
  {
    "annotations": [
      {
        "host": {
          "service_name": "tracing-server-example",
          "ipv4": "127.0.0.1",
          "port": 8080
        },
        "type": "timestamp",
        "value": 1346876525268525,
        "key": "sr"
      },
      {
        "host": {
          "service_name": "tracing-server-example",
          "ipv4": "127.0.0.1",
          "port": 8080
        },
        "type": "timestamp",
        "value": 1346876525270173,
        "key": "ss"
      }
    ],
    "trace_id": "00e5f721d19e25fa",
    "name": "GET",
    "span_id": "007fe79f2c63db97"
  }
]"#;

#[test]
fn pretty_batch_reproduces_the_original_readme_output() {
    for (span, expected) in [
        (case("README client"), README_CLIENT),
        (case("README server"), README_SERVER),
    ] {
        let mut buf = vec![0u8; 4096];
        let mut out = Slice::new(&mut buf);
        tjson::encode_debug_spans([&span], Layout::Pretty, &mut out).unwrap();
        assert_eq!(std::str::from_utf8(out.written()).unwrap(), expected);
    }
}

#[test]
fn debug_json_of_types_the_original_lacked() {
    let host = Endpoint {
        service_name: "v6-svc",
        ipv4: None,
        ipv6: Some("2001:db8::c001".parse().unwrap()),
        port: None,
    };
    let trace = TraceId::parse("80f198ee56343ba864fe8b2a57d3eff7").unwrap();
    let mut span: TestSpan = Span::new(
        SpanContext::root_of(trace, SpanId::new(9).unwrap(), Sampling::Accept),
        "t",
    );
    span.tag("b", Value::Bool(true), None).unwrap();
    span.tag("s16", Value::I16(-7), None).unwrap();
    span.tag("s32", Value::I32(i32::MIN), None).unwrap();
    span.tag("s64", Value::I64(i64::MAX), None).unwrap();
    span.tag("d", Value::Double(0.1), Some(&host)).unwrap();
    span.tag("nan", Value::Double(f64::NAN), None).unwrap();
    span.tag("inf", Value::Double(f64::NEG_INFINITY), None).unwrap();
    span.tag("raw", Value::Bytes(&[0x00, b'"', 0x7f, 0x80, 0xff]), None)
        .unwrap();
    let parsed: Json = serde_json::from_str(&debug_text(&span, Layout::Compact)).unwrap();
    assert_eq!(parsed["trace_id"], "80f198ee56343ba864fe8b2a57d3eff7");
    assert!(parsed.get("parent_span_id").is_none());
    let a = parsed["annotations"].as_array().unwrap();
    let expect = [
        ("b", "bool", json!(true)),
        ("s16", "i16", json!(-7)),
        ("s32", "i32", json!(i32::MIN)),
        ("s64", "i64", json!(i64::MAX)),
        ("d", "double", json!(0.1)),
        ("nan", "double", Json::Null),
        ("inf", "double", Json::Null),
        ("raw", "bytes", json!("\u{0}\"\u{7f}\u{80}\u{ff}")),
    ];
    assert_eq!(a.len(), expect.len());
    for (got, (key, ty, value)) in a.iter().zip(expect) {
        assert_eq!((got["key"].as_str().unwrap(), got["type"].as_str().unwrap()), (key, ty));
        assert_eq!(got["value"], value, "{key}");
    }
    assert_eq!(
        a[4]["host"],
        json!({"service_name": "v6-svc", "ipv6": "2001:db8::c001"})
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Zipkin v2 JSON: schema.

/// Zipkin's OpenAPI (Swagger 2.0) definitions as a draft-4 JSON Schema for a `POST /api/v2/spans` body, made
/// stricter than the original: id patterns anchored, no properties beyond those Zipkin defines.
fn v2_validator() -> jsonschema::Validator {
    let api: Json = serde_norway::from_str(include_str!("../../tests/data/zipkin2-api.yaml")).unwrap();
    fn tighten(node: &mut Json) {
        if let Json::Object(map) = node {
            map.remove("example");
            if let Some(Json::String(p)) = map.get_mut("pattern") {
                *p = format!("^{p}$");
            }
            if map.get("type") == Some(&json!("object")) && map.contains_key("properties") {
                map.entry("additionalProperties").or_insert(json!(false));
            }
            map.values_mut().for_each(tighten);
        } else if let Json::Array(items) = node {
            items.iter_mut().for_each(tighten);
        }
    }
    let mut definitions = api["definitions"].clone();
    assert!(definitions["Span"]["properties"]["traceId"].is_object());
    tighten(&mut definitions);
    let schema = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "definitions": definitions,
        "allOf": [{"$ref": "#/definitions/ListOfSpans"}],
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, text: &str) {
    let doc: Json = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
}

#[test]
fn the_schema_validator_is_strict() {
    let v = v2_validator();
    assert!(v.is_valid(&json!([{"traceId": "0000000000000001", "id": "0000000000000002", "kind": "CLIENT"}])));
    for bad in [
        json!([{"traceId": "0000000000000001"}]),
        json!([{"traceId": "000000000000000X", "id": "0000000000000002"}]),
        json!([{"traceId": "0000000000000001", "id": "0000000000000002", "kind": "LOCAL"}]),
        json!([{"traceId": "0000000000000001", "id": "0000000000000002", "duration": 0}]),
        json!([{"traceId": "0000000000000001", "id": "0000000000000002", "tags": {"a": 1}}]),
        json!([{"traceId": "0000000000000001", "id": "0000000000000002", "localEndpoint": {"ipv4": "1.2.3"}}]),
        json!([{"traceId": "0000000000000001", "id": "0000000000000002", "annotations": [{"value": "x"}]}]),
        json!([{"traceId": "0000000000000001", "id": "0000000000000002", "parent_id": "0000000000000003"}]),
    ] {
        assert!(!v.is_valid(&bad), "{bad}");
    }
}

#[test]
fn v2_of_every_golden_case_is_valid() {
    let v = v2_validator();
    let golden = golden();
    let spans: Vec<GoldenSpan> = golden["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| span_of(&c["input"]))
        .collect();
    let mut buf = vec![0u8; 16 * 1024];
    let mut out = Slice::new(&mut buf);
    tjson::encode_v2_spans(&spans, &mut out).unwrap();
    assert_eq!(measure(|c| tjson::encode_v2_spans(&spans, c)).unwrap(), out.len());
    let text = std::str::from_utf8(out.written()).unwrap();
    assert_valid(&v, text);
    let parsed: Json = serde_json::from_str(text).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), spans.len());
}

// ---------------------------------------------------------------------------------------------------------------
// Zipkin v2 JSON: the V1SpanConverter rules.

fn ctx(trace: u64, span: u64, parent: Option<u64>) -> SpanContext {
    SpanContext {
        trace_id: TraceId::from_u64(trace).unwrap(),
        span_id: SpanId::new(span).unwrap(),
        parent_id: parent.map(|p| SpanId::new(p).unwrap()),
        sampling: Sampling::Accept,
        debug: false,
    }
}

const CLIENT: Endpoint<'static> = Endpoint {
    service_name: "Frontend",
    ipv4: Some(Ipv4Addr::new(10, 0, 0, 1)),
    ipv6: None,
    port: None,
};
const SERVER: Endpoint<'static> = Endpoint {
    service_name: "backend",
    ipv4: Some(Ipv4Addr::new(192, 168, 99, 1)),
    ipv6: None,
    port: Some(58648),
};

fn by_kind<'j>(spans: &'j [Json], kind: &str) -> &'j Json {
    spans
        .iter()
        .find(|s| s["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {spans:?}"))
}

#[test]
fn original_client_span_is_a_client_timed_by_cs_cr() {
    let spans = v2(&case("README client"));
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(s["kind"], "CLIENT");
    assert_eq!(s["traceId"], "00e5f721d19e25fa");
    assert_eq!(s["id"], "007fe79f2c63db97");
    assert_eq!(s["name"], "GET");
    assert_eq!(s["timestamp"], 1346876525257644u64);
    assert_eq!(s["duration"], 1346876525270536u64 - 1346876525257644);
    assert_eq!(s["tags"], json!({"http.uri": "http://localhost:8080/README.rst"}));
    for absent in [
        "annotations",
        "localEndpoint",
        "remoteEndpoint",
        "shared",
        "parentId",
        "debug",
    ] {
        assert!(s.get(absent).is_none(), "{absent} in {s}");
    }
}

#[test]
fn server_span_that_joined_the_client_is_shared() {
    // The original's server span: sr/ss on its host, no own timestamp: it joined the client's span id.
    let spans = v2(&case("README server"));
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(s["kind"], "SERVER");
    assert_eq!(s["shared"], true);
    assert_eq!(s["timestamp"], 1346876525268525u64);
    assert_eq!(s["duration"], 1346876525270173u64 - 1346876525268525);
    assert_eq!(
        s["localEndpoint"],
        json!({"serviceName": "tracing-server-example", "ipv4": "127.0.0.1", "port": 8080})
    );
    assert!(s.get("annotations").is_none());

    // Marked shared by the recorder: shared even with a timestamp of its own, or without server annotations.
    let mut marked: TestSpan = Span::new(ctx(1, 2, Some(1)), "joined");
    marked.annotate("sr", 100, Some(&SERVER)).unwrap();
    marked.set_timestamp(100);
    marked.set_shared(true);
    assert_eq!(v2(&marked)[0]["shared"], true);
    let mut marked: TestSpan = Span::new(ctx(1, 2, Some(1)), "joined");
    marked.set_shared(true);
    assert_eq!(v2(&marked)[0]["shared"], true);
    // ... but never on a client.
    marked.annotate("cs", 5, None).unwrap();
    assert!(v2(&marked)[0].get("shared").is_none());

    // A server span that started the trace has its own timestamp and duration: not shared, timed by them.
    let mut root: TestSpan = Span::new(ctx(1, 2, None), "get /api");
    root.annotate("sr", 100, Some(&SERVER)).unwrap();
    root.annotate("ss", 300, Some(&SERVER)).unwrap();
    root.set_timestamp(90);
    root.set_duration(220);
    let s = &v2(&root)[0];
    assert_eq!((s["kind"].as_str(), s.get("shared")), (Some("SERVER"), None));
    assert_eq!((s["timestamp"].as_u64(), s["duration"].as_u64()), (Some(90), Some(220)));
}

#[test]
fn client_and_server_in_one_process_become_two_spans() {
    let mut span: TestSpan = Span::new(ctx(1, 2, Some(7)), "loop");
    span.annotate("cs", 1_000, Some(&SERVER)).unwrap();
    span.annotate("sr", 1_100, Some(&SERVER)).unwrap();
    span.annotate("cache.miss", 1_150, Some(&SERVER)).unwrap();
    span.annotate("ss", 1_400, Some(&SERVER)).unwrap();
    span.annotate("cr", 1_500, Some(&SERVER)).unwrap();
    span.tag_str("http.path", "/api", Some(&SERVER)).unwrap();
    let spans = v2(&span);
    assert_eq!(spans.len(), 2, "{spans:?}");
    let client = by_kind(&spans, "CLIENT");
    let server = by_kind(&spans, "SERVER");
    assert_eq!(
        (client["timestamp"].as_u64(), client["duration"].as_u64()),
        (Some(1_000), Some(500))
    );
    assert!(client.get("shared").is_none());
    assert_eq!(
        (server["timestamp"].as_u64(), server["duration"].as_u64()),
        (Some(1_100), Some(300))
    );
    assert_eq!(server["shared"], true);
    for s in [client, server] {
        assert_eq!(
            (s["traceId"].as_str(), s["id"].as_str()),
            (Some("0000000000000001"), Some("0000000000000002"))
        );
        assert_eq!(s["parentId"], "0000000000000007");
        assert_eq!(s["localEndpoint"]["serviceName"], "backend");
    }
    // Zipkin keeps the other annotations and tags on the first (client) side only.
    assert_eq!(
        client["annotations"],
        json!([{"timestamp": 1_150, "value": "cache.miss"}])
    );
    assert_eq!(client["tags"], json!({"http.path": "/api"}));
    assert!(server.get("annotations").is_none() && server.get("tags").is_none());
}

#[test]
fn a_merged_span_of_two_services_splits_by_service_with_remote_endpoints() {
    let mut span: TestSpan = Span::new(ctx(1, 2, None), "get");
    span.annotate("cs", 1_000, Some(&CLIENT)).unwrap();
    span.annotate("sr", 1_100, Some(&SERVER)).unwrap();
    span.annotate("db.query", 1_200, Some(&SERVER)).unwrap();
    span.annotate("ss", 1_400, Some(&SERVER)).unwrap();
    span.annotate("cr", 1_500, Some(&CLIENT)).unwrap();
    span.tag("sa", Value::Bool(true), Some(&SERVER)).unwrap();
    span.tag("ca", Value::Bool(true), Some(&CLIENT)).unwrap();
    span.tag_str("http.status_code", "200", Some(&SERVER)).unwrap();
    span.tag_str("user", "x", None).unwrap();
    let spans = v2(&span);
    assert_eq!(spans.len(), 2, "{spans:?}");
    let client = by_kind(&spans, "CLIENT");
    let server = by_kind(&spans, "SERVER");
    assert_eq!(
        client["localEndpoint"],
        json!({"serviceName": "frontend", "ipv4": "10.0.0.1"})
    );
    assert_eq!(
        client["remoteEndpoint"],
        json!({"serviceName": "backend", "ipv4": "192.168.99.1", "port": 58648})
    );
    assert_eq!(
        (client["timestamp"].as_u64(), client["duration"].as_u64()),
        (Some(1_000), Some(500))
    );
    assert_eq!(
        client["tags"],
        json!({"user": "x"}),
        "a tag without a host goes to the first span"
    );
    assert_eq!(
        server["localEndpoint"],
        json!({"serviceName": "backend", "ipv4": "192.168.99.1", "port": 58648})
    );
    assert_eq!(
        server["remoteEndpoint"],
        json!({"serviceName": "frontend", "ipv4": "10.0.0.1"})
    );
    assert_eq!(
        (server["timestamp"].as_u64(), server["duration"].as_u64()),
        (Some(1_100), Some(300))
    );
    assert_eq!(server["shared"], true);
    assert_eq!(
        server["annotations"],
        json!([{"timestamp": 1_200, "value": "db.query"}])
    );
    assert_eq!(server["tags"], json!({"http.status_code": "200"}));
    assert_valid(&v2_validator(), &v2_text(&span));
}

#[test]
fn remote_endpoint_needs_a_true_bool_with_a_host_and_is_never_a_tag() {
    let mut span: TestSpan = Span::new(ctx(1, 2, None), "c");
    span.annotate("cs", 10, Some(&CLIENT)).unwrap();
    span.annotate("cr", 20, Some(&CLIENT)).unwrap();
    span.tag("sa", Value::Bool(false), Some(&SERVER)).unwrap();
    span.tag("sa", Value::Bool(true), None).unwrap();
    span.tag_str("sa", "text", Some(&SERVER)).unwrap();
    let s = &v2(&span)[0];
    assert!(s.get("remoteEndpoint").is_none() && s.get("tags").is_none(), "{s}");

    span.tag("sa", Value::Bool(true), Some(&SERVER)).unwrap();
    let s = &v2(&span)[0];
    assert_eq!(s["remoteEndpoint"]["serviceName"], "backend");

    // Only addresses, no core annotations: `sa` alone is the remote side of a kind-less span.
    let mut bare: TestSpan = Span::new(ctx(1, 3, None), "bare");
    bare.tag("sa", Value::Bool(true), Some(&SERVER)).unwrap();
    let s = &v2(&bare)[0];
    assert!(s.get("kind").is_none() && s.get("localEndpoint").is_none());
    assert_eq!(s["remoteEndpoint"]["port"], 58648);
    // `ca` alone makes it a server span.
    let mut bare: TestSpan = Span::new(ctx(1, 3, None), "bare");
    bare.tag("ca", Value::Bool(true), Some(&CLIENT)).unwrap();
    let s = &v2(&bare)[0];
    assert_eq!(
        (s["kind"].as_str(), s["remoteEndpoint"]["serviceName"].as_str()),
        (Some("SERVER"), Some("frontend"))
    );
}

#[test]
fn messaging_spans() {
    let broker = Endpoint::v4("kafka", Ipv4Addr::new(10, 0, 0, 9), 9092);
    let mut producer: TestSpan = Span::new(ctx(1, 2, None), "send");
    producer.annotate("ms", 500, Some(&CLIENT)).unwrap();
    producer.tag("ma", Value::Bool(true), Some(&broker)).unwrap();
    let s = &v2(&producer)[0];
    assert_eq!(
        (s["kind"].as_str(), s["timestamp"].as_u64()),
        (Some("PRODUCER"), Some(500))
    );
    assert!(s.get("duration").is_none() && s.get("annotations").is_none());
    assert_eq!(s["remoteEndpoint"]["serviceName"], "kafka");

    let mut consumer: TestSpan = Span::new(ctx(1, 2, None), "recv");
    consumer.annotate("wr", 700, Some(&SERVER)).unwrap();
    consumer.annotate("mr", 750, Some(&SERVER)).unwrap();
    let s = &v2(&consumer)[0];
    assert_eq!(s["kind"], "CONSUMER");
    assert_eq!((s["timestamp"].as_u64(), s["duration"].as_u64()), (Some(700), Some(50)));
}

#[test]
fn incomplete_rpcs_keep_their_start_or_their_end() {
    let mut started: TestSpan = Span::new(ctx(1, 2, None), "x");
    started.annotate("cs", 40, Some(&CLIENT)).unwrap();
    let s = &v2(&started)[0];
    assert_eq!(
        (s["kind"].as_str(), s["timestamp"].as_u64()),
        (Some("CLIENT"), Some(40))
    );
    assert!(s.get("duration").is_none() && s.get("annotations").is_none());

    let mut ended: TestSpan = Span::new(ctx(1, 2, None), "x");
    ended.annotate("ss", 90, Some(&SERVER)).unwrap();
    let s = &v2(&ended)[0];
    assert_eq!(s["kind"], "SERVER");
    assert!(s.get("timestamp").is_none());
    assert_eq!(s["annotations"], json!([{"timestamp": 90, "value": "ss"}]));
}

#[test]
fn timing_rules() {
    // Same microsecond at both ends: the schema's minimum duration of 1.
    let mut quick: TestSpan = Span::new(ctx(1, 2, None), "q");
    quick.annotate("cs", 5, None).unwrap();
    quick.annotate("cr", 5, None).unwrap();
    assert_eq!(v2(&quick)[0]["duration"], 1);
    // Times past i64::MAX are clamped (Zipkin reads a signed long), then de-duplicated.
    let mut far: TestSpan = Span::new(ctx(1, 2, None), "far");
    far.annotate("x", u64::MAX, None).unwrap();
    far.annotate("x", 1 << 63, None).unwrap();
    assert_eq!(
        v2(&far)[0]["annotations"],
        json!([{"timestamp": i64::MAX, "value": "x"}])
    );
    // An end before its start: no duration.
    let mut skewed: TestSpan = Span::new(ctx(1, 2, None), "q");
    skewed.annotate("cs", 9, None).unwrap();
    skewed.annotate("cr", 5, None).unwrap();
    let s = &v2(&skewed)[0];
    assert_eq!(s["timestamp"], 9);
    assert!(s.get("duration").is_none());
    // The span's own fields win over annotations.
    let mut own: TestSpan = Span::new(ctx(1, 2, None), "q");
    own.annotate("cs", 100, None).unwrap();
    own.annotate("cr", 200, None).unwrap();
    own.set_timestamp(95);
    own.set_duration(110);
    assert_eq!(
        (v2(&own)[0]["timestamp"].as_u64(), v2(&own)[0]["duration"].as_u64()),
        (Some(95), Some(110))
    );
    // A local span (no core annotations) keeps its own timing and its annotations, sorted and deduplicated.
    let mut local: TestSpan = Span::new(ctx(1, 2, None), "work");
    local.annotate("b", 30, None).unwrap();
    local.annotate("a", 30, None).unwrap();
    local.annotate("z", 10, None).unwrap();
    local.annotate("a", 30, None).unwrap();
    local.annotate("never", 0, None).unwrap();
    local.set_timestamp(5);
    local.set_duration(50);
    let s = &v2(&local)[0];
    assert!(s.get("kind").is_none());
    assert_eq!((s["timestamp"].as_u64(), s["duration"].as_u64()), (Some(5), Some(50)));
    assert_eq!(
        s["annotations"],
        json!([{"timestamp": 10, "value": "z"}, {"timestamp": 30, "value": "a"}, {"timestamp": 30, "value": "b"}])
    );
}

#[test]
fn tags_of_every_type_are_text_sorted_last_value_wins() {
    let mut span: TestSpan = Span::new(ctx(1, 2, None), "tags");
    span.tag("z.bool", Value::Bool(false), None).unwrap();
    span.tag("i16", Value::I16(i16::MIN), None).unwrap();
    span.tag("i32", Value::I32(-42), None).unwrap();
    span.tag("i64", Value::I64(i64::MAX), None).unwrap();
    span.tag("double", Value::Double(21.5), None).unwrap();
    span.tag("tiny", Value::Double(1e-7), None).unwrap();
    span.tag("nan", Value::Double(f64::NAN), None).unwrap();
    span.tag("bytes", Value::Bytes(b"any carnal pleas"), None).unwrap();
    span.tag_str("dup", "first", None).unwrap();
    span.tag_str("dup", "second", None).unwrap();
    span.tag_str("lc", "", None).unwrap();
    let spans = v2(&span);
    let tags = spans[0]["tags"].as_object().unwrap();
    let keys: Vec<&str> = tags.keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "serde_json keeps a sorted map, so also check the raw text order"
    );
    let text = v2_text(&span);
    let positions: Vec<usize> = sorted
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    let expected: BTreeMap<&str, String> = [
        ("z.bool", "false".to_string()),
        ("i16", i16::MIN.to_string()),
        ("i32", "-42".to_string()),
        ("i64", i64::MAX.to_string()),
        ("double", "21.5".to_string()),
        ("tiny", "1e-7".to_string()),
        ("nan", "NaN".to_string()),
        ("bytes", "YW55IGNhcm5hbCBwbGVhcw==".to_string()),
        ("dup", "second".to_string()),
    ]
    .into_iter()
    .collect();
    let got: BTreeMap<&str, String> = tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!("1e-7".parse::<f64>().unwrap(), 1e-7);
}

#[test]
fn ids_flags_names_and_endpoints() {
    let trace = TraceId::parse("80f198ee56343ba864fe8b2a57d3eff7").unwrap();
    let mut ctx = SpanContext::root_of(trace, SpanId::new(0xab).unwrap(), Sampling::Accept);
    ctx.debug = true;
    ctx.parent_id = SpanId::new(0xab); // a span naming itself as parent: Zipkin drops the parent
    let host = Endpoint {
        service_name: "ÉTÉ-Svc",
        ipv4: Some(Ipv4Addr::UNSPECIFIED),
        ipv6: Some(Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped()),
        port: Some(0),
    };
    let mut span: TestSpan = Span::new(ctx, "Say \"hi\"\n");
    span.annotate("sr", 10, Some(&host)).unwrap();
    span.set_timestamp(10);
    let s = &v2(&span)[0];
    assert_eq!(s["traceId"], "80f198ee56343ba864fe8b2a57d3eff7");
    assert!(s.get("parentId").is_none());
    assert_eq!(s["debug"], true);
    assert_eq!(s["name"], "Say \"hi\"\n");
    assert_eq!(
        s["localEndpoint"],
        json!({"serviceName": "été-svc", "ipv4": "10.1.2.3"})
    );

    let v6 = Endpoint {
        service_name: "",
        ipv4: None,
        ipv6: Some(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xc001)),
        port: Some(443),
    };
    let mut span: TestSpan = Span::new(ctx, "");
    span.annotate("cs", 10, Some(&v6)).unwrap();
    let s = &v2(&span)[0];
    assert!(s.get("name").is_none());
    assert_eq!(s["localEndpoint"], json!({"ipv6": "2001:db8::c001", "port": 443}));
    assert_valid(&v2_validator(), &v2_text(&span));
}

/// A span and what Zipkin's own converter made of it: its v1 Thrift bytes (our encoder's, checked byte-exact
/// against the original tryfer in golden.rs) decoded by `SpanBytesDecoder.THRIFT` and re-encoded by
/// `SpanBytesEncoder.JSON_V2` of openzipkin/zipkin (master, April 2026), on randomly generated spans. The span
/// is given in our debug JSON for brevity; its own timestamp, duration and debug flag beside it.
struct Converted {
    what: &'static str,
    span: &'static str,
    timestamp: Option<u64>,
    duration: Option<u64>,
    debug: bool,
    zipkin: &'static str,
}

const ZIPKIN_CONVERTED: &[Converted] = &[
    Converted {
        what: "128-bit",
        span: concat!(
            r#"{"annotations":[],"trace_id":"0000000000000abc0000000000000007","name":"","span_id":"00000000000"#,
            r#"00002"}"#
        ),
        timestamp: Some(11),
        duration: None,
        debug: false,
        zipkin: r#"[{"traceId":"0000000000000abc0000000000000007","id":"0000000000000002","timestamp":11}]"#,
    },
    Converted {
        what: "self parent",
        span: concat!(
            r#"{"annotations":[],"parent_span_id":"0000000000000002","trace_id":"0000000000000007","name":"","s"#,
            r#"pan_id":"0000000000000002"}"#
        ),
        timestamp: Some(1),
        duration: Some(2),
        debug: false,
        zipkin: r#"[{"traceId":"0000000000000007","id":"0000000000000002","timestamp":1,"duration":2}]"#,
    },
    Converted {
        what: "debug",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"","ipv6":"2001:db8::1","port":91},"type":"timestamp","v"#,
            r#"alue":1,"key":"foo"},{"host":{"service_name":"backend","ipv4":"10.0.0.3","port":90},"type":"time"#,
            r#"stamp","value":10,"key":"ss"}],"trace_id":"0000000000000007","name":"","span_id":"00000000000000"#,
            r#"02"}"#
        ),
        timestamp: Some(13),
        duration: Some(0),
        debug: true,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000002","timestamp":13,"localEndpoint":{"ipv6":"2"#,
            r#"001:db8::1","port":91},"annotations":[{"timestamp":1,"value":"foo"}],"debug":true},{"traceId":"0"#,
            r#"000000000000007","id":"0000000000000002","kind":"SERVER","localEndpoint":{"serviceName":"backend"#,
            r#"","ipv4":"10.0.0.3","port":90},"annotations":[{"timestamp":10,"value":"ss"}],"debug":true}]"#
        ),
    },
    Converted {
        what: "producer consumer loopback",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"Frontend","ipv4":"10.0.0.2","port":81},"type":"timestam"#,
            r#"p","value":9,"key":"ms"},{"host":{"service_name":"Frontend","ipv4":"10.0.0.2","port":81},"type":"#,
            r#""timestamp","value":1,"key":"mr"}],"parent_span_id":"0000000000000002","trace_id":"0000000000000"#,
            r#"007","name":"get","span_id":"0000000000000003"}"#
        ),
        timestamp: None,
        duration: None,
        debug: true,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","parentId":"0000000000000002","id":"0000000000000003","kind":"PRO"#,
            r#"DUCER","name":"get","timestamp":9,"localEndpoint":{"serviceName":"frontend","ipv4":"10.0.0.2","p"#,
            r#"ort":81},"debug":true},{"traceId":"0000000000000007","parentId":"0000000000000002","id":"0000000"#,
            r#"000000003","kind":"CONSUMER","name":"get","timestamp":1,"localEndpoint":{"serviceName":"frontend"#,
            r#"","ipv4":"10.0.0.2","port":81},"debug":true,"shared":true}]"#
        ),
    },
    Converted {
        what: "lone end stays annotation",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"backend","ipv4":"10.0.0.3","port":90},"type":"timestamp"#,
            r#"","value":9,"key":"cr"}],"trace_id":"0000000000000007","name":"","span_id":"0000000000000003"}"#
        ),
        timestamp: Some(6),
        duration: Some(8),
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000003","kind":"CLIENT","timestamp":6,"duration":"#,
            r#"8,"localEndpoint":{"serviceName":"backend","ipv4":"10.0.0.3","port":90},"annotations":[{"timesta"#,
            r#"mp":9,"value":"cr"}]}]"#
        ),
    },
    Converted {
        what: "ws wr outside messaging",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"backend","ipv4":"10.0.0.3","port":90},"type":"timestamp"#,
            r#"","value":7,"key":"ws"}],"trace_id":"0000000000000007","name":"","span_id":"0000000000000003"}"#
        ),
        timestamp: Some(12),
        duration: None,
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000003","timestamp":12,"localEndpoint":{"serviceN"#,
            r#"ame":"backend","ipv4":"10.0.0.3","port":90},"annotations":[{"timestamp":7,"value":"ws"}]}]"#
        ),
    },
    Converted {
        what: "client and server services",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"backend","ipv4":"10.0.0.3","port":90},"type":"timestamp"#,
            r#"","value":15,"key":"sr"},{"host":{"service_name":"Frontend","ipv4":"10.0.0.2","port":81},"type":"#,
            r#""timestamp","value":2,"key":"cs"}],"trace_id":"0000000000000007","name":"post /a","span_id":"000"#,
            r#"0000000000001"}"#
        ),
        timestamp: None,
        duration: None,
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000001","kind":"CLIENT","name":"post /a","timesta"#,
            r#"mp":2,"localEndpoint":{"serviceName":"frontend","ipv4":"10.0.0.2","port":81}},{"traceId":"000000"#,
            r#"0000000007","id":"0000000000000001","kind":"SERVER","name":"post /a","timestamp":15,"localEndpoi"#,
            r#"nt":{"serviceName":"backend","ipv4":"10.0.0.3","port":90},"shared":true}]"#
        ),
    },
    Converted {
        what: "ca on own service loses its name",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"frontend","ipv4":"10.0.0.1","port":80},"type":"timestam"#,
            r#"p","value":16,"key":"ss"},{"host":{"service_name":"Frontend","ipv4":"10.0.0.2","port":81},"type""#,
            r#":"bool","value":true,"key":"ca"}],"trace_id":"0000000000000007","name":"get","span_id":"00000000"#,
            r#"00000001"}"#
        ),
        timestamp: None,
        duration: None,
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000001","kind":"SERVER","name":"get","localEndpoi"#,
            r#"nt":{"serviceName":"frontend","ipv4":"10.0.0.1","port":80},"remoteEndpoint":{"ipv4":"10.0.0.2",""#,
            r#"port":81},"annotations":[{"timestamp":16,"value":"ss"}]}]"#
        ),
    },
    Converted {
        what: "sa only no kind",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"frontend","ipv4":"10.0.0.1","port":80},"type":"bool","v"#,
            r#"alue":true,"key":"sa"}],"trace_id":"0000000000000007","name":"","span_id":"0000000000000003"}"#
        ),
        timestamp: Some(3),
        duration: None,
        debug: true,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000003","timestamp":3,"remoteEndpoint":{"serviceN"#,
            r#"ame":"frontend","ipv4":"10.0.0.1","port":80},"debug":true}]"#
        ),
    },
    Converted {
        what: "joined server shared",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"backend","ipv4":"10.0.0.3","port":90},"type":"timestamp"#,
            r#"","value":7,"key":"sr"}],"trace_id":"0000000000000007","name":"","span_id":"0000000000000001"}"#
        ),
        timestamp: None,
        duration: None,
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000001","kind":"SERVER","timestamp":7,"localEndpo"#,
            r#"int":{"serviceName":"backend","ipv4":"10.0.0.3","port":90},"shared":true}]"#
        ),
    },
    Converted {
        what: "start from span timing",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"backend","ipv4":"10.0.0.3","port":90},"type":"timestamp"#,
            r#"","value":10,"key":"cr"},{"host":{"service_name":"backend","ipv4":"10.0.0.3","port":90},"type":""#,
            r#"timestamp","value":20,"key":"ms"},{"host":{"service_name":"","ipv6":"2001:db8::1","port":91},"ty"#,
            r#"pe":"bool","value":true,"key":"ma"}],"trace_id":"0000000000000abc0000000000000007","name":"","sp"#,
            r#"an_id":"0000000000000002"}"#
        ),
        timestamp: Some(6),
        duration: Some(4),
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000abc0000000000000007","id":"0000000000000002","kind":"PRODUCER","timest"#,
            r#"amp":6,"duration":4,"localEndpoint":{"serviceName":"backend","ipv4":"10.0.0.3","port":90},"remot"#,
            r#"eEndpoint":{"ipv6":"2001:db8::1","port":91}}]"#
        ),
    },
    Converted {
        what: "repeated tag key",
        span: concat!(
            r#"{"annotations":[{"type":"string","value":"w","key":"k2"},{"type":"string","value":"w","key":"k2""#,
            r#"}],"parent_span_id":"0000000000000001","trace_id":"0000000000000abc0000000000000007","name":"get"#,
            r#"","span_id":"0000000000000003"}"#
        ),
        timestamp: Some(4),
        duration: None,
        debug: true,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000abc0000000000000007","parentId":"0000000000000001","id":"0000000000000"#,
            r#"003","name":"get","timestamp":4,"tags":{"k2":"w"},"debug":true}]"#
        ),
    },
    Converted {
        what: "loopback client+server",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"frontend","ipv4":"10.0.0.1","port":80},"type":"timestam"#,
            r#"p","value":20,"key":"ss"},{"host":{"service_name":"Frontend","ipv4":"10.0.0.2","port":81},"type""#,
            r#":"timestamp","value":1,"key":"cs"}],"trace_id":"0000000000000abc0000000000000007","name":"","spa"#,
            r#"n_id":"0000000000000003"}"#
        ),
        timestamp: Some(13),
        duration: Some(7),
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000abc0000000000000007","id":"0000000000000003","kind":"CLIENT","timestam"#,
            r#"p":13,"duration":7,"localEndpoint":{"serviceName":"frontend","ipv4":"10.0.0.2","port":81}},{"tra"#,
            r#"ceId":"0000000000000abc0000000000000007","id":"0000000000000003","kind":"SERVER","timestamp":13,"#,
            r#""duration":7,"localEndpoint":{"serviceName":"frontend","ipv4":"10.0.0.1","port":80},"shared":tru"#,
            r#"e}]"#
        ),
    },
    Converted {
        what: "three services",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"","ipv6":"2001:db8::1","port":91},"type":"timestamp","v"#,
            r#"alue":6,"key":"bar"},{"host":{"service_name":"backend","ipv4":"10.0.0.3","port":90},"type":"time"#,
            r#"stamp","value":9,"key":"wr"},{"host":{"service_name":"frontend","ipv4":"10.0.0.1","port":80},"ty"#,
            r#"pe":"timestamp","value":10,"key":"wr"}],"trace_id":"0000000000000007","name":"","span_id":"00000"#,
            r#"00000000002"}"#
        ),
        timestamp: None,
        duration: None,
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000002","localEndpoint":{"ipv6":"2001:db8::1","po"#,
            r#"rt":91},"annotations":[{"timestamp":6,"value":"bar"}]},{"traceId":"0000000000000007","id":"00000"#,
            r#"00000000002","localEndpoint":{"serviceName":"backend","ipv4":"10.0.0.3","port":90}},{"traceId":""#,
            r#"0000000000000007","id":"0000000000000002","localEndpoint":{"serviceName":"frontend","ipv4":"10.0"#,
            r#".0.1","port":80},"annotations":[{"timestamp":10,"value":"wr"}]}]"#
        ),
    },
    Converted {
        what: "consumer wr..mr",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"frontend","ipv4":"10.0.0.1","port":80},"type":"timestam"#,
            r#"p","value":1,"key":"mr"}],"trace_id":"0000000000000007","name":"post /a","span_id":"000000000000"#,
            r#"0002"}"#
        ),
        timestamp: Some(4),
        duration: Some(8),
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000002","kind":"CONSUMER","name":"post /a","times"#,
            r#"tamp":4,"duration":8,"localEndpoint":{"serviceName":"frontend","ipv4":"10.0.0.1","port":80}}]"#
        ),
    },
    Converted {
        what: "ca only is server",
        span: concat!(
            r#"{"annotations":[{"host":{"service_name":"frontend","ipv4":"10.0.0.1","port":80},"type":"bool","v"#,
            r#"alue":true,"key":"ca"}],"trace_id":"0000000000000007","name":"","span_id":"0000000000000003"}"#
        ),
        timestamp: Some(20),
        duration: None,
        debug: false,
        zipkin: concat!(
            r#"[{"traceId":"0000000000000007","id":"0000000000000003","kind":"SERVER","timestamp":20,"remoteEnd"#,
            r#"point":{"serviceName":"frontend","ipv4":"10.0.0.1","port":80}}]"#
        ),
    },
];

/// Rebuilds a span from its debug JSON.
fn span_from_debug(c: &Converted) -> TestSpan {
    let d: Json = serde_json::from_str(c.span).unwrap();
    let ctx = SpanContext {
        trace_id: TraceId::parse(d["trace_id"].as_str().unwrap()).unwrap(),
        span_id: SpanId::parse(d["span_id"].as_str().unwrap()).unwrap(),
        parent_id: d
            .get("parent_span_id")
            .map(|p| SpanId::parse(p.as_str().unwrap()).unwrap()),
        sampling: Sampling::Accept,
        debug: c.debug,
    };
    let mut span = Span::new(ctx, d["name"].as_str().unwrap());
    for a in d["annotations"].as_array().unwrap() {
        let host = a.get("host").map(|h| Endpoint {
            service_name: h["service_name"].as_str().unwrap(),
            ipv4: h.get("ipv4").map(|ip| ip.as_str().unwrap().parse().unwrap()),
            ipv6: h.get("ipv6").map(|ip| ip.as_str().unwrap().parse().unwrap()),
            port: h.get("port").map(|p| p.as_u64().unwrap() as u16),
        });
        let key = a["key"].as_str().unwrap();
        match a["type"].as_str().unwrap() {
            "timestamp" => span.annotate(key, a["value"].as_u64().unwrap(), host.as_ref()).unwrap(),
            "string" => span.tag_str(key, a["value"].as_str().unwrap(), host.as_ref()).unwrap(),
            "bool" => span
                .tag(key, Value::Bool(a["value"].as_bool().unwrap()), host.as_ref())
                .unwrap(),
            other => panic!("unexpected type {other}"),
        }
    }
    if let Some(t) = c.timestamp {
        span.set_timestamp(t);
    }
    if let Some(d) = c.duration {
        span.set_duration(d);
    }
    span
}

#[test]
fn agrees_with_zipkins_own_converter() {
    let v = v2_validator();
    let canonical = |text: &str| {
        let spans: Vec<Json> = serde_json::from_str(text).unwrap();
        let mut spans: Vec<String> = spans.iter().map(|s| s.to_string()).collect();
        spans.sort();
        spans
    };
    for c in ZIPKIN_CONVERTED {
        let ours = v2_text(&span_from_debug(c));
        assert_eq!(
            canonical(&ours),
            canonical(c.zipkin),
            "{}:\n ours   {ours}\n zipkin {}",
            c.what,
            c.zipkin
        );
        assert_valid(&v, &ours);
        if canonical(c.zipkin).len() == 1 {
            assert_eq!(ours, c.zipkin, "{}: byte for byte", c.what);
        }
    }
}

#[test]
fn encoders_never_allocate() {
    let spans: Vec<TestSpan> = ZIPKIN_CONVERTED.iter().map(span_from_debug).collect();
    let mut buf = vec![0u8; 64 * 1024];
    let info = allocation_counter::measure(|| {
        let mut out = Slice::new(&mut buf);
        tjson::encode_v2_spans(&spans, &mut out).unwrap();
        tjson::encode_debug_spans(&spans, Layout::Pretty, &mut out).unwrap();
        for span in &spans {
            tjson::encode_debug_span(span, Layout::Compact, &mut out).unwrap();
            assert!(tjson::v2_span_len(span).unwrap() > 0 && tjson::v2_span_count(span) > 0);
        }
    });
    assert_eq!(info.count_total, 0, "{} allocations", info.count_total);
}

#[test]
fn encoders_report_a_full_buffer_at_every_length() {
    let span = case("ipv4 above");
    for (encode, len) in [
        (
            &(|s: &mut Slice<'_>| tjson::encode_v2_span(&span, s))
                as &dyn Fn(&mut Slice<'_>) -> Result<(), EncodeError>,
            tjson::v2_span_len(&span).unwrap(),
        ),
        (
            &|s: &mut Slice<'_>| tjson::encode_debug_span(&span, Layout::Pretty, s),
            tjson::debug_span_len(&span, Layout::Pretty).unwrap(),
        ),
    ] {
        let mut buf = vec![0u8; len];
        for cut in 0..len {
            let mut out = Slice::new(&mut buf[..cut]);
            assert_eq!(encode(&mut out), Err(EncodeError::BufferFull), "{cut} of {len}");
        }
        let mut out = Slice::new(&mut buf);
        assert_eq!(encode(&mut out), Ok(()));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitrary spans.

#[derive(Debug, Clone)]
enum Item {
    Time(String, u64, Option<usize>),
    Tag(String, ArbValue, Option<usize>),
}

#[derive(Debug, Clone)]
enum ArbValue {
    Bool(bool),
    Bytes(Vec<u8>),
    I16(i16),
    I32(i32),
    I64(i64),
    Double(f64),
    String(String),
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,3}",
        "(cs|cr|sr|ss|ms|mr|ws|wr|ca|sa|ma|lc)",
        "[\"\\\\/\u{0}-\u{1f}\u{7f}a-zA-Zé€\u{2028}\u{fffd}😀 ]{0,12}",
        any::<String>(),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    let host = proptest::option::of(0usize..3);
    let value = prop_oneof![
        any::<bool>().prop_map(ArbValue::Bool),
        proptest::collection::vec(any::<u8>(), 0..70).prop_map(ArbValue::Bytes),
        any::<i16>().prop_map(ArbValue::I16),
        any::<i32>().prop_map(ArbValue::I32),
        any::<i64>().prop_map(ArbValue::I64),
        any::<f64>().prop_map(ArbValue::Double),
        text().prop_map(ArbValue::String),
    ];
    prop_oneof![
        (text(), prop_oneof![Just(0u64), 1u64..1_000, any::<u64>()], host.clone())
            .prop_map(|(v, t, h)| Item::Time(v, t, h)),
        (text(), value, host).prop_map(|(k, v, h)| Item::Tag(k, v, h)),
    ]
}

fn hosts() -> impl Strategy<Value = Vec<(String, Option<[u8; 4]>, Option<u16>)>> {
    proptest::collection::vec(
        (
            text(),
            proptest::option::of(any::<[u8; 4]>()),
            proptest::option::of(any::<u16>()),
        ),
        3,
    )
}

fn build(
    name: &str,
    items: &[Item],
    hosts: &[Endpoint<'_>],
    own: (Option<u64>, Option<u64>),
    ids: (u64, u64, u64, u64),
) -> Span<12, 600> {
    let ctx = SpanContext {
        trace_id: TraceId::new(ids.0, ids.1.max(1)).unwrap(),
        span_id: SpanId::new(ids.2.max(1)).unwrap(),
        parent_id: SpanId::new(ids.3),
        sampling: Sampling::Accept,
        debug: ids.3 % 2 == 0,
    };
    let mut span = Span::new(ctx, name);
    for item in items {
        // A full span counts the drop and tags itself; the encoders must show that tag too.
        let _ = match item {
            Item::Time(v, t, h) => span.annotate(v, *t, h.map(|i| &hosts[i])),
            Item::Tag(k, v, h) => {
                let value = match v {
                    ArbValue::Bool(b) => Value::Bool(*b),
                    ArbValue::Bytes(b) => Value::Bytes(b),
                    ArbValue::I16(n) => Value::I16(*n),
                    ArbValue::I32(n) => Value::I32(*n),
                    ArbValue::I64(n) => Value::I64(*n),
                    ArbValue::Double(d) => Value::Double(*d),
                    ArbValue::String(s) => Value::String(s),
                };
                span.tag(k, value, h.map(|i| &hosts[i]))
            }
        };
    }
    if let Some(t) = own.0 {
        span.set_timestamp(t);
    }
    if let Some(d) = own.1 {
        span.set_duration(d);
    }
    span.set_shared(ids.1 % 3 == 0);
    span
}

/// What a v2 tag value must read back as, for a binary annotation value.
fn tag_text(value: &Value<'_>) -> String {
    match *value {
        Value::Bool(b) => b.to_string(),
        Value::Bytes(b) => {
            let mut text = vec![0u8; b.len().div_ceil(3) * 4];
            let n = ::base64::engine::general_purpose::STANDARD
                .encode_slice(b, &mut text)
                .unwrap();
            String::from_utf8(text[..n].to_vec()).unwrap()
        }
        Value::I16(n) => n.to_string(),
        Value::I32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::Double(d) if d.is_nan() => "NaN".into(),
        Value::Double(d) if d.is_infinite() => if d > 0.0 { "Infinity" } else { "-Infinity" }.into(),
        Value::Double(d) => d.to_string(),
        Value::String(s) => s.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_spans_read_back(
        name in text(),
        items in proptest::collection::vec(item(), 0..14),
        host_parts in hosts(),
        own in (proptest::option::of(any::<u64>()), proptest::option::of(any::<u64>())),
        ids in any::<(u64, u64, u64, u64)>(),
    ) {
        let hosts: Vec<Endpoint<'_>> = host_parts
            .iter()
            .map(|(s, ip, port)| Endpoint { service_name: s, ipv4: ip.map(Ipv4Addr::from), ipv6: None, port: *port })
            .collect();
        let span = build(&name, &items, &hosts, own, ids);
        let events: Vec<Event<'_>> = span.events().collect();

        // Debug JSON: every string and value reads back as recorded, in recording order.
        for layout in [Layout::Compact, Layout::Pretty] {
            let parsed: Json = serde_json::from_str(&debug_text(&span, layout)).unwrap();
            prop_assert_eq!(parsed["name"].as_str().unwrap(), span.name());
            prop_assert_eq!(parsed["trace_id"].as_str().unwrap(), &*span.trace_id().to_hex());
            let annotations = parsed["annotations"].as_array().unwrap();
            prop_assert_eq!(annotations.len(), events.len());
            for (got, event) in annotations.iter().zip(&events) {
                let (key, host) = match event {
                    Event::Time(a) => {
                        prop_assert_eq!(got["value"].as_u64(), Some(a.timestamp));
                        (a.value, a.host)
                    }
                    Event::Tag(b) => {
                        match b.value {
                            Value::String(s) => prop_assert_eq!(got["value"].as_str(), Some(s)),
                            Value::Bytes(bytes) => {
                                let chars: Vec<u32> = got["value"].as_str().unwrap().chars().map(u32::from).collect();
                                let want: Vec<u32> = bytes.iter().map(|&b| u32::from(b)).collect();
                                prop_assert_eq!(chars, want);
                            }
                            Value::Bool(v) => prop_assert_eq!(got["value"].as_bool(), Some(v)),
                            Value::I16(v) => prop_assert_eq!(got["value"].as_i64(), Some(i64::from(v))),
                            Value::I32(v) => prop_assert_eq!(got["value"].as_i64(), Some(i64::from(v))),
                            Value::I64(v) => prop_assert_eq!(got["value"].as_i64(), Some(v)),
                            Value::Double(v) if v.is_finite() => prop_assert_eq!(got["value"].as_f64(), Some(v)),
                            Value::Double(_) => prop_assert!(got["value"].is_null()),
                        }
                        (b.key, b.host)
                    }
                };
                prop_assert_eq!(got["key"].as_str(), Some(key));
                prop_assert_eq!(got["host"]["service_name"].as_str(), host.map(|h| h.service_name));
            }
        }

        // Zipkin v2: schema-valid, names and values read back, every kept item lands somewhere.
        let text = v2_text(&span);
        assert_valid(v2_validator_cached(), &text);
        let spans: Vec<Json> = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(spans.len(), tjson::v2_span_count(&span));
        let core = ["cs", "cr", "sr", "ss", "ms", "mr", "ws", "wr"];
        for s in &spans {
            prop_assert_eq!(s["name"].as_str().unwrap_or(""), span.name());
            prop_assert_eq!(s["id"].as_str().unwrap(), &*span.id().to_hex());
            if let Some(service) = s["localEndpoint"]["serviceName"].as_str() {
                let lower = |name: &str| name.chars().flat_map(char::to_lowercase).collect::<String>();
                prop_assert!(hosts.iter().any(|h| lower(h.service_name) == service));
            }
            for (key, value) in s["tags"].as_object().into_iter().flatten() {
                let candidates: Vec<String> = span
                    .binary_annotations()
                    .filter(|b| b.key == key)
                    .map(|b| tag_text(&b.value))
                    .collect();
                let value = value.as_str().unwrap();
                let number = value.parse::<f64>().ok();
                let same_number = |c: &String| c.parse::<f64>().ok().zip(number).is_some_and(|(a, b)| a == b);
                let matches = candidates.iter().any(|c| c == value || same_number(c));
                prop_assert!(matches, "{} = {:?} not among {:?}", key, value, candidates);
            }
        }
        for event in &events {
            match event {
                Event::Time(a) if a.timestamp != 0 && !core.contains(&a.value) => {
                    let found = spans.iter().any(|s| {
                        s["annotations"].as_array().into_iter().flatten().any(|x| {
                            let timestamp = a.timestamp.min(i64::MAX as u64);
                            x["value"].as_str() == Some(a.value) && x["timestamp"].as_u64() == Some(timestamp)
                        })
                    });
                    prop_assert!(found, "annotation {:?} lost: {}", a, text);
                }
                Event::Tag(b)
                    if !["ca", "sa", "ma"].contains(&b.key) && (b.key != "lc" || b.value != Value::String("")) =>
                {
                    let found = spans.iter().any(|s| s["tags"].get(b.key).is_some());
                    prop_assert!(found, "tag {:?} lost: {}", b.key, text);
                }
                _ => {}
            }
        }
    }
}

fn v2_validator_cached() -> &'static jsonschema::Validator {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(v2_validator)
}
