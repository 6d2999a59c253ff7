//! Proptest strategies for arbitrary spans, and [`OwnedSpan`], a std-owned span model to compare spans by value.
//!
//! `arb_span()` covers every `Value` type, endpoints with IPv4/IPv6 and ports above 32767, 128-bit trace ids,
//! the debug flag, timestamps and durations up to `i64::MAX`, NaN payloads in doubles, non-ASCII strings and
//! empty lists. It stays inside what the Thrift wire can carry back unchanged: the low trace id half, span
//! ids, IPv4 addresses and ports are never zero (zero means "absent" on the wire).

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use tryfer_core::{Annotation, BinaryAnnotation, Endpoint, Event, SpanData, SpanId, TraceId, Value};

/// An endpoint owning its service name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedEndpoint {
    pub service_name: String,
    pub ipv4: Option<Ipv4Addr>,
    pub ipv6: Option<Ipv6Addr>,
    pub port: Option<u16>,
}

/// A binary annotation value owning its bytes; doubles as bits so NaNs compare exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedValue {
    Bool(bool),
    Bytes(Vec<u8>),
    I16(i16),
    I32(i32),
    I64(i64),
    Double(u64),
    String(String),
}

/// An annotation or binary annotation owning its strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedEvent {
    Time {
        timestamp: u64,
        value: String,
        host: Option<OwnedEndpoint>,
    },
    Tag {
        key: String,
        value: OwnedValue,
        host: Option<OwnedEndpoint>,
    },
}

/// A span owning everything, comparable with `==`; implements `SpanData` so the encoders take it directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedSpan {
    pub trace_id: TraceId,
    pub id: SpanId,
    pub parent_id: Option<SpanId>,
    pub name: String,
    pub events: Vec<OwnedEvent>,
    pub debug: bool,
    pub timestamp: Option<u64>,
    pub duration: Option<u64>,
}

impl OwnedEndpoint {
    pub fn of(e: &Endpoint<'_>) -> Self {
        OwnedEndpoint {
            service_name: e.service_name.to_owned(),
            ipv4: e.ipv4,
            ipv6: e.ipv6,
            port: e.port,
        }
    }

    pub fn as_endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            service_name: &self.service_name,
            ipv4: self.ipv4,
            ipv6: self.ipv6,
            port: self.port,
        }
    }
}

impl OwnedValue {
    pub fn of(v: &Value<'_>) -> Self {
        match *v {
            Value::Bool(b) => OwnedValue::Bool(b),
            Value::Bytes(b) => OwnedValue::Bytes(b.to_vec()),
            Value::I16(n) => OwnedValue::I16(n),
            Value::I32(n) => OwnedValue::I32(n),
            Value::I64(n) => OwnedValue::I64(n),
            Value::Double(d) => OwnedValue::Double(d.to_bits()),
            Value::String(s) => OwnedValue::String(s.to_owned()),
        }
    }

    pub fn as_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Bool(b) => Value::Bool(*b),
            OwnedValue::Bytes(b) => Value::Bytes(b),
            OwnedValue::I16(n) => Value::I16(*n),
            OwnedValue::I32(n) => Value::I32(*n),
            OwnedValue::I64(n) => Value::I64(*n),
            OwnedValue::Double(bits) => Value::Double(f64::from_bits(*bits)),
            OwnedValue::String(s) => Value::String(s),
        }
    }
}

impl OwnedEvent {
    pub fn of(e: &Event<'_>) -> Self {
        match e {
            Event::Time(a) => OwnedEvent::Time {
                timestamp: a.timestamp,
                value: a.value.to_owned(),
                host: a.host.as_ref().map(OwnedEndpoint::of),
            },
            Event::Tag(b) => OwnedEvent::Tag {
                key: b.key.to_owned(),
                value: OwnedValue::of(&b.value),
                host: b.host.as_ref().map(OwnedEndpoint::of),
            },
        }
    }

    pub fn as_event(&self) -> Event<'_> {
        match self {
            OwnedEvent::Time { timestamp, value, host } => Event::Time(Annotation {
                timestamp: *timestamp,
                value,
                host: host.as_ref().map(OwnedEndpoint::as_endpoint),
            }),
            OwnedEvent::Tag { key, value, host } => Event::Tag(BinaryAnnotation {
                key,
                value: value.as_value(),
                host: host.as_ref().map(OwnedEndpoint::as_endpoint),
            }),
        }
    }

    pub fn is_time(&self) -> bool {
        matches!(self, OwnedEvent::Time { .. })
    }
}

impl OwnedSpan {
    /// A copy of any span, through the `SpanData` view.
    pub fn of<D: SpanData + ?Sized>(span: &D) -> Self {
        OwnedSpan {
            trace_id: span.trace_id(),
            id: span.id(),
            parent_id: span.parent_id(),
            name: span.name().to_owned(),
            events: span.events().map(|e| OwnedEvent::of(&e)).collect(),
            debug: span.debug(),
            timestamp: span.timestamp(),
            duration: span.duration(),
        }
    }

    /// The same span with its events as Thrift carries them: every annotation, then every binary annotation.
    pub fn in_wire_order(&self) -> Self {
        let (mut events, tags): (Vec<_>, Vec<_>) = self.events.iter().cloned().partition(OwnedEvent::is_time);
        events.extend(tags);
        OwnedSpan { events, ..self.clone() }
    }
}

impl SpanData for OwnedSpan {
    fn trace_id(&self) -> TraceId {
        self.trace_id
    }
    fn id(&self) -> SpanId {
        self.id
    }
    fn parent_id(&self) -> Option<SpanId> {
        self.parent_id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn events(&self) -> impl Iterator<Item = Event<'_>> + '_ {
        self.events.iter().map(OwnedEvent::as_event)
    }
    fn debug(&self) -> bool {
        self.debug
    }
    fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }
    fn duration(&self) -> Option<u64> {
        self.duration
    }
}

/// A non-zero id, with the edges (1, 2^63, u64::MAX) drawn often.
pub fn arb_nonzero_u64() -> impl Strategy<Value = u64> {
    prop_oneof![Just(1u64), Just(1 << 63), Just(u64::MAX), 1..=u64::MAX]
}

/// µs values the wire carries exactly: 0 to `i64::MAX`.
pub fn arb_micros() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(1), Just(i64::MAX as u64), 0..=i64::MAX as u64]
}

/// Text with non-ASCII characters, sometimes empty.
pub fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z.]{0,8}", "\\PC{0,12}"]
}

pub fn arb_endpoint() -> impl Strategy<Value = OwnedEndpoint> {
    let ipv4 = prop_oneof![Just(0x8000_0000u32), Just(u32::MAX), Just(0xc0a8_010a), 1..=u32::MAX];
    let port = prop_oneof![Just(32768u16), Just(u16::MAX), Just(58648), 1..=u16::MAX];
    (
        arb_text(),
        option::of(ipv4.prop_map(Ipv4Addr::from)),
        option::of(any::<[u8; 16]>().prop_map(Ipv6Addr::from)),
        option::of(port),
    )
        .prop_map(|(service_name, ipv4, ipv6, port)| OwnedEndpoint {
            service_name,
            ipv4,
            ipv6,
            port,
        })
}

/// Every `Value` type; doubles from all bit patterns (NaN payloads, infinities, -0.0).
pub fn arb_value() -> impl Strategy<Value = OwnedValue> {
    prop_oneof![
        any::<bool>().prop_map(OwnedValue::Bool),
        vec(any::<u8>(), 0..24).prop_map(OwnedValue::Bytes),
        any::<i16>().prop_map(OwnedValue::I16),
        any::<i32>().prop_map(OwnedValue::I32),
        any::<i64>().prop_map(OwnedValue::I64),
        prop_oneof![any::<u64>(), any::<f64>().prop_map(f64::to_bits)].prop_map(OwnedValue::Double),
        arb_text().prop_map(OwnedValue::String),
    ]
}

pub fn arb_event() -> impl Strategy<Value = OwnedEvent> {
    prop_oneof![
        (arb_micros(), arb_text(), option::of(arb_endpoint())).prop_map(|(timestamp, value, host)| OwnedEvent::Time {
            timestamp,
            value,
            host
        }),
        (arb_text(), arb_value(), option::of(arb_endpoint())).prop_map(|(key, value, host)| OwnedEvent::Tag {
            key,
            value,
            host
        }),
    ]
}

/// A trace id with a non-zero low half, 128-bit about half the time.
pub fn arb_trace_id() -> impl Strategy<Value = TraceId> {
    (prop_oneof![Just(0u64), arb_nonzero_u64()], arb_nonzero_u64())
        .prop_map(|(high, low)| TraceId::new(high, low).expect("low half is non-zero"))
}

/// An arbitrary span with up to `max_events` events, annotations and binary annotations interleaved.
pub fn arb_span_with(max_events: usize) -> impl Strategy<Value = OwnedSpan> {
    (
        arb_trace_id(),
        arb_nonzero_u64(),
        option::of(arb_nonzero_u64()),
        arb_text(),
        vec(arb_event(), 0..=max_events),
        any::<bool>(),
        option::of(arb_micros()),
        option::of(arb_micros()),
    )
        .prop_map(
            |(trace_id, id, parent, name, events, debug, timestamp, duration)| OwnedSpan {
                trace_id,
                id: SpanId::new(id).expect("non-zero"),
                parent_id: parent.and_then(SpanId::new),
                name,
                events,
                debug,
                timestamp,
                duration,
            },
        )
}

/// An arbitrary span with up to 10 events.
pub fn arb_span() -> impl Strategy<Value = OwnedSpan> {
    arb_span_with(10)
}
