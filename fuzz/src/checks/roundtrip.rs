//! Encode-then-decode of arbitrary spans: a [`Plan`] (built by `arbitrary` from the fuzz input) is recorded
//! into the core's fixed-capacity `Span`, encoded in TBinaryProtocol and TCompactProtocol and inside a Scribe
//! `Log` call, decoded again, and compared with the plan itself: every event the span accepted, in wire order,
//! and a `tryfer.truncated` tag counting what it refused.

use std::net::{Ipv4Addr, Ipv6Addr};

use arbitrary::{Arbitrary, Unstructured};
use tryfer_core::annotation::TRUNCATED;
use tryfer_core::scribe::{self, LogCall, LogOptions, SpanEncoding};
use tryfer_core::thrift::decode::{self, DecodeError, DecodedSpan};
use tryfer_core::{Annotation, BinaryAnnotation, Endpoint, Event, Sampling, Span, SpanContext, SpanId, TraceId, Value};

use super::model::{Datum, Item, Model};
use super::span::{binary_bytes, compact_bytes, valid_json, written};

/// Annotation slots of the span under test (the core's default).
const SLOTS: usize = 8;
/// Text bytes of the span under test (the core's default).
const TEXT: usize = 256;
/// Room in a decoded view: every slot, plus the truncation tag.
const VIEW: usize = SLOTS + 1;

/// A host, as planned.
#[derive(Debug, Arbitrary)]
pub struct PlanHost {
    /// The service name.
    pub service_name: String,
    /// The IPv4 address.
    pub ipv4: Option<[u8; 4]>,
    /// The IPv6 address.
    pub ipv6: Option<[u8; 16]>,
    /// The port.
    pub port: Option<u16>,
}

/// A binary annotation value, as planned.
#[derive(Debug, Arbitrary)]
pub enum PlanValue {
    /// `BOOL`.
    Bool(bool),
    /// `BYTES`.
    Bytes(Vec<u8>),
    /// `I16`.
    I16(i16),
    /// `I32`.
    I32(i32),
    /// `I64`.
    I64(i64),
    /// `DOUBLE`.
    Double(f64),
    /// `STRING`.
    String(String),
}

/// One event, as planned.
#[derive(Debug, Arbitrary)]
pub enum PlanEvent {
    /// A timestamp annotation.
    Time {
        /// What happened.
        value: String,
        /// When, µs since the epoch.
        timestamp: u64,
        /// Where.
        host: Option<PlanHost>,
    },
    /// A binary annotation.
    Tag {
        /// The key.
        key: String,
        /// The value.
        value: PlanValue,
        /// Where.
        host: Option<PlanHost>,
    },
}

/// A span to record, as `arbitrary` builds it from the fuzz input.
#[derive(Debug, Arbitrary)]
pub struct Plan {
    /// The trace id's high half (0 for a 64-bit trace).
    pub trace_high: u64,
    /// The trace id's low half.
    pub trace_low: u64,
    /// The span id.
    pub span_id: u64,
    /// The parent id (0 means none).
    pub parent_id: Option<u64>,
    /// The sampling state, modulo 3: accept, deny, defer.
    pub sampling: u8,
    /// The debug flag.
    pub debug: bool,
    /// The span name.
    pub name: String,
    /// What to record, in order.
    pub events: Vec<PlanEvent>,
    /// The span's start.
    pub timestamp: Option<u64>,
    /// The span's duration.
    pub duration: Option<u64>,
    /// The shared flag (the server half of a client's span).
    pub shared: bool,
}

impl PlanHost {
    fn endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            service_name: &self.service_name,
            ipv4: self.ipv4.map(Ipv4Addr::from),
            ipv6: self.ipv6.map(Ipv6Addr::from),
            port: self.port,
        }
    }
}

impl PlanValue {
    fn value(&self) -> Value<'_> {
        match self {
            PlanValue::Bool(v) => Value::Bool(*v),
            PlanValue::Bytes(v) => Value::Bytes(v),
            PlanValue::I16(v) => Value::I16(*v),
            PlanValue::I32(v) => Value::I32(*v),
            PlanValue::I64(v) => Value::I64(*v),
            PlanValue::Double(v) => Value::Double(*v),
            PlanValue::String(v) => Value::String(v),
        }
    }
}

impl PlanEvent {
    fn event(&self) -> Event<'_> {
        match self {
            PlanEvent::Time { value, timestamp, host } => Event::Time(Annotation {
                timestamp: *timestamp,
                value,
                host: host.as_ref().map(PlanHost::endpoint),
            }),
            PlanEvent::Tag { key, value, host } => Event::Tag(BinaryAnnotation {
                key,
                value: value.value(),
                host: host.as_ref().map(PlanHost::endpoint),
            }),
        }
    }
}

/// The longest prefix of `name` that fits `TEXT` bytes, cut at a character boundary.
fn cut(name: &str) -> &str {
    let mut end = name.len().min(TEXT);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// The `span_roundtrip` target.
pub fn check(data: &[u8]) {
    if let Ok(plan) = Plan::arbitrary_take_rest(Unstructured::new(data)) {
        round_trip(&plan);
    }
}

/// Records `plan` into a `Span`, encodes it every way a reporter can, and checks what decodes.
pub fn round_trip(plan: &Plan) {
    let (Some(trace_id), Some(span_id)) = (TraceId::new(plan.trace_high, plan.trace_low), SpanId::new(plan.span_id))
    else {
        return; // not a context anyone can make
    };
    let sampling = match plan.sampling % 3 {
        0 => Sampling::Accept,
        1 => Sampling::Deny,
        _ => Sampling::Defer,
    };
    let context = SpanContext {
        trace_id,
        span_id,
        parent_id: plan.parent_id.and_then(SpanId::new),
        sampling,
        debug: plan.debug,
    };
    let mut span: Span<SLOTS, TEXT> = Span::new(context, &plan.name);
    let mut dropped = u16::from(plan.name.len() > TEXT);
    let mut kept = Vec::new();
    for planned in &plan.events {
        let event = planned.event();
        match span.push(&event) {
            Ok(()) => kept.push(Item::of(&event)),
            Err(_) => dropped = dropped.saturating_add(1),
        }
    }
    if let Some(t) = plan.timestamp {
        span.set_timestamp(t);
    }
    if let Some(d) = plan.duration {
        span.set_duration(d);
    }
    span.set_shared(plan.shared);
    assert_eq!(span.dropped(), dropped, "the span counted its drops otherwise");
    assert_eq!(span.len(), kept.len());
    if dropped > 0 {
        kept.push(Item::Tag {
            key: TRUNCATED.to_owned(),
            value: Datum::String(dropped.to_string()),
            host: None,
        });
    }
    let expected = Model {
        trace_id,
        id: span_id,
        parent_id: context.parent_id,
        name: cut(&plan.name).to_owned(),
        events: kept,
        debug: plan.debug,
        timestamp: plan.timestamp,
        duration: plan.duration,
    };
    assert_eq!(Model::of(&span), expected, "the span does not hold what was recorded");
    let expected = expected.into_wire();

    let binary = binary_bytes(&span);
    let compact = compact_bytes(&span);
    if trace_id.low() == 0 {
        // A 128-bit trace id whose low half is zero has no v1 `trace_id`: the decoders (and Zipkin) refuse it.
        assert_eq!(
            decode::decode_binary_span::<VIEW>(&binary).err(),
            Some(DecodeError::ZeroId)
        );
        assert_eq!(
            decode::decode_compact_span::<VIEW>(&compact).err(),
            Some(DecodeError::ZeroId)
        );
        return;
    }
    let (back, used): (DecodedSpan<'_, VIEW>, usize) =
        decode::decode_binary_span(&binary).expect("a recorded span decodes from binary");
    assert_eq!(
        (Model::of(&back), used),
        (expected.clone(), binary.len()),
        "binary round trip"
    );
    let (back, used): (DecodedSpan<'_, VIEW>, usize) =
        decode::decode_compact_span(&compact).expect("a recorded span decodes from compact");
    assert_eq!(
        (Model::of(&back), used),
        (expected.clone(), compact.len()),
        "compact round trip"
    );

    for encoding in [SpanEncoding::Binary, SpanEncoding::Compact] {
        let options = LogOptions::new().with_encoding(encoding);
        let len = scribe::log_call_len([&span], &options).expect("a call can be measured");
        let frame = written(len, |s| scribe::write_log_call([&span], 7, &options, s));
        let split = scribe::split_frame(&frame, len).expect("our frame length");
        let payload = split.expect("a whole frame").payload;
        let call = LogCall::parse(payload, 1).expect("our call parses");
        assert_eq!((call.seqid(), call.len(), call.is_oneway()), (7, 1, false));
        for entry in call.entries() {
            let mut scratch = vec![0u8; scribe::decoded_len(entry.message)];
            let back = entry.decode_span::<VIEW>(&mut scratch).expect("our message decodes");
            assert_eq!(Model::of(&back), expected, "{encoding:?} Scribe round trip");
        }
    }
    valid_json(&span);
}
