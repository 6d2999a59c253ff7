//! The original tryfer's bytes, reproduced exactly on ARM (mirrors core/tests/golden.rs).

use core::net::Ipv4Addr;

use tryfer_core::json::{self, Layout};
use tryfer_core::{sink::Slice, thrift, Endpoint, Sampling, Span, SpanContext, SpanId, TraceId, Value};

use crate::data::{GoldenCase, GoldenValue, GOLDEN};
use crate::json_eq;
use crate::runner::{Failure, Hex, Outcome, Runner};

/// The span type the ARM tests use: small enough for the micro:bit's 16 KiB of RAM.
pub type TestSpan = Span<8, 256>;

/// Builds the span a golden case describes.
pub fn span_of(case: &GoldenCase) -> Result<TestSpan, Failure> {
    let Ok(trace_id) = TraceId::parse(case.trace_id) else {
        fail!("trace id {} refused", case.trace_id)
    };
    let Ok(span_id) = SpanId::parse(case.span_id) else {
        fail!("span id {} refused", case.span_id)
    };
    let parent_id = match case.parent_span_id {
        Some(p) => match SpanId::parse(p) {
            Ok(id) => Some(id),
            Err(e) => fail!("parent id {p} refused: {e}"),
        },
        None => None,
    };
    let ctx = SpanContext {
        trace_id,
        span_id,
        parent_id,
        sampling: Sampling::Accept,
        debug: false,
    };
    let mut span = TestSpan::new(ctx, case.name);
    for a in case.annotations {
        let host = match &a.endpoint {
            Some(e) => {
                let Ok(ipv4) = e.ipv4.parse::<Ipv4Addr>() else {
                    fail!("bad ipv4 {}", e.ipv4)
                };
                Some(Endpoint {
                    service_name: e.service_name,
                    ipv4: Some(ipv4),
                    ipv6: None,
                    port: Some(e.port),
                })
            }
            None => None,
        };
        let added = match a.value {
            GoldenValue::Timestamp(t) => span.annotate(a.key, t, host.as_ref()),
            GoldenValue::String(v) => span.tag_str(a.key, v, host.as_ref()),
            GoldenValue::Bytes(v) => span.tag(a.key, Value::Bytes(v), host.as_ref()),
        };
        if let Err(e) = added {
            fail!("annotation {} did not fit: {e}", a.key);
        }
    }
    Ok(span)
}

fn binary_span_matches(case: &GoldenCase) -> Outcome {
    let span = span_of(case)?;
    let mut buf = [0u8; 512];
    let mut out = Slice::new(&mut buf);
    if let Err(e) = thrift::encode_binary_span(&span, &mut out) {
        fail!("encode failed: {e}");
    }
    check_eq!(Hex(out.written()), Hex(case.thrift_binary), "TBinaryProtocol bytes");
    check_eq!(thrift::binary_span_len(&span), Ok(out.len()), "binary_span_len");
    Ok(())
}

fn short_buffer_is_refused(case: &GoldenCase) -> Outcome {
    let span = span_of(case)?;
    let mut buf = [0u8; 512];
    let short = case.thrift_binary.len() - 1;
    let mut out = Slice::new(&mut buf[..short]);
    check_eq!(
        thrift::encode_binary_span(&span, &mut out),
        Err(tryfer_core::EncodeError::BufferFull),
        "one byte short"
    );
    Ok(())
}

fn debug_json_matches(case: &GoldenCase) -> Outcome {
    let span = span_of(case)?;
    for layout in [Layout::Compact, Layout::Pretty] {
        let mut buf = [0u8; 1024];
        let mut out = Slice::new(&mut buf);
        if let Err(e) = json::encode_debug_span(&span, layout, &mut out) {
            fail!("{layout:?} encode failed: {e}");
        }
        check_eq!(
            json::debug_span_len(&span, layout),
            Ok(out.len()),
            "{layout:?} debug_span_len"
        );
        let Ok(text) = core::str::from_utf8(out.written()) else {
            fail!("{layout:?} JSON is not UTF-8")
        };
        match json_eq::same(text, case.tryfer_json) {
            Ok(true) => {}
            Ok(false) => fail!(
                "{layout:?} JSON differs\n    ours: {text}\n  golden: {}",
                case.tryfer_json
            ),
            Err(e) => fail!("{layout:?} JSON unreadable ({e}): {text}"),
        }
        if layout == Layout::Compact {
            check!(
                !text.contains('\n') && !text.contains(": ") && !text.contains(", "),
                "compact layout: {text}"
            );
        }
    }
    Ok(())
}

/// The comparer the JSON goldens rely on tells equal from different content.
fn json_comparer_self_check() -> Outcome {
    let same = |a, b| json_eq::same(a, b);
    check_eq!(
        same(r#"{"a":1,"b":[1,"x"]}"#, r#" { "b" : [ 1 , "x" ] , "a" : 1 } "#),
        Ok(true),
        "reordered keys"
    );
    check_eq!(
        same(r#"{"k":"caf\u00e9 \ud83d\udca9"}"#, "{\"k\":\"café 💩\"}"),
        Ok(true),
        "escapes"
    );
    check_eq!(same(r#"{"a":1}"#, r#"{"a":2}"#), Ok(false), "value differs");
    check_eq!(same(r#"{"a":1}"#, r#"{"a":1,"b":2}"#), Ok(false), "extra key");
    check_eq!(same(r#"{"a":1,"b":2}"#, r#"{"a":1}"#), Ok(false), "missing key");
    check_eq!(same(r#"[1,2]"#, r#"[2,1]"#), Ok(false), "array order");
    check_eq!(same(r#"{"a":"1"}"#, r#"{"a":1}"#), Ok(false), "string vs number");
    check!(same(r#"{"a":}"#, r#"{"a":1}"#).is_err(), "malformed input");
    Ok(())
}

pub fn run(r: &mut Runner) {
    r.test(
        format_args!("golden JSON comparer self-check"),
        json_comparer_self_check,
    );
    for case in GOLDEN {
        r.test(format_args!("golden debug JSON: {}", case.case), || {
            debug_json_matches(case)
        });
    }
    for case in GOLDEN {
        r.test(format_args!("golden binary span: {}", case.case), || {
            binary_span_matches(case)
        });
    }
    for case in GOLDEN {
        r.test(format_args!("golden short buffer: {}", case.case), || {
            short_buffer_is_refused(case)
        });
    }
}
