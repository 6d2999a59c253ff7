//! [`ReceivedSpan`]: an owned copy of a span the sink decoded, so it can outlive its frame and cross tasks.

use std::net::{Ipv4Addr, Ipv6Addr};

use tryfer_core::annotation::{Annotation, BinaryAnnotation, Event, Value};
use tryfer_core::json::{self, Layout};
use tryfer_core::thrift::decode::{DecodedSpan, Protocol};
use tryfer_core::{Endpoint, SpanData, SpanId, TraceId};

use crate::buffer::Buffer;

/// A host, owned: where an annotation was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEndpoint {
    /// The service name as sent (not lower-cased).
    pub service_name: String,
    /// The IPv4 address; `None` when the wire said 0.
    pub ipv4: Option<Ipv4Addr>,
    /// The IPv6 address, when sent.
    pub ipv6: Option<Ipv6Addr>,
    /// The port; `None` when the wire said 0.
    pub port: Option<u16>,
}

impl ReceivedEndpoint {
    fn from_wire(e: &Endpoint<'_>) -> Self {
        ReceivedEndpoint {
            service_name: e.service_name.to_owned(),
            ipv4: e.ipv4,
            ipv6: e.ipv6,
            port: e.port,
        }
    }

    /// The core view of this endpoint, for the encoders.
    pub fn as_endpoint(&self) -> Endpoint<'_> {
        Endpoint {
            service_name: &self.service_name,
            ipv4: self.ipv4,
            ipv6: self.ipv6,
            port: self.port,
        }
    }
}

/// A binary annotation's value, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum ReceivedValue {
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

impl ReceivedValue {
    fn from_wire(v: &Value<'_>) -> Self {
        match *v {
            Value::Bool(b) => ReceivedValue::Bool(b),
            Value::Bytes(b) => ReceivedValue::Bytes(b.to_vec()),
            Value::I16(n) => ReceivedValue::I16(n),
            Value::I32(n) => ReceivedValue::I32(n),
            Value::I64(n) => ReceivedValue::I64(n),
            Value::Double(d) => ReceivedValue::Double(d),
            Value::String(s) => ReceivedValue::String(s.to_owned()),
        }
    }

    /// The core view of this value.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            ReceivedValue::Bool(b) => Value::Bool(*b),
            ReceivedValue::Bytes(b) => Value::Bytes(b),
            ReceivedValue::I16(n) => Value::I16(*n),
            ReceivedValue::I32(n) => Value::I32(*n),
            ReceivedValue::I64(n) => Value::I64(*n),
            ReceivedValue::Double(d) => Value::Double(*d),
            ReceivedValue::String(s) => Value::String(s),
        }
    }
}

/// One annotation or binary annotation, owned, in wire order (annotations first).
#[derive(Debug, Clone, PartialEq)]
pub enum ReceivedEvent {
    /// A timestamp annotation (`cs`, `sr`, ...).
    Time {
        /// µs since the epoch.
        timestamp: u64,
        /// The annotation value.
        value: String,
        /// Where it happened.
        host: Option<ReceivedEndpoint>,
    },
    /// A binary annotation (a tag, or `sa`/`ca` addresses).
    Tag {
        /// The key.
        key: String,
        /// The typed value.
        value: ReceivedValue,
        /// Where it was recorded.
        host: Option<ReceivedEndpoint>,
    },
}

impl ReceivedEvent {
    fn from_wire(event: &Event<'_>) -> Self {
        match event {
            Event::Time(a) => ReceivedEvent::Time {
                timestamp: a.timestamp,
                value: a.value.to_owned(),
                host: a.host.as_ref().map(ReceivedEndpoint::from_wire),
            },
            Event::Tag(b) => ReceivedEvent::Tag {
                key: b.key.to_owned(),
                value: ReceivedValue::from_wire(&b.value),
                host: b.host.as_ref().map(ReceivedEndpoint::from_wire),
            },
        }
    }

    /// The core view of this event, for the encoders.
    pub fn as_event(&self) -> Event<'_> {
        match self {
            ReceivedEvent::Time { timestamp, value, host } => Event::Time(Annotation {
                timestamp: *timestamp,
                value,
                host: host.as_ref().map(ReceivedEndpoint::as_endpoint),
            }),
            ReceivedEvent::Tag { key, value, host } => Event::Tag(BinaryAnnotation {
                key,
                value: value.as_value(),
                host: host.as_ref().map(ReceivedEndpoint::as_endpoint),
            }),
        }
    }

    /// The host the event names, if any.
    pub fn host(&self) -> Option<&ReceivedEndpoint> {
        match self {
            ReceivedEvent::Time { host, .. } | ReceivedEvent::Tag { host, .. } => host.as_ref(),
        }
    }
}

/// A span the sink received and decoded, owned; it implements [`SpanData`], so every core encoder (debug
/// JSON, Zipkin v2 JSON, Thrift) takes it as is.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedSpan {
    /// The trace id (128-bit when `trace_id_high` was sent).
    pub trace_id: TraceId,
    /// The span id.
    pub id: SpanId,
    /// The parent span id, absent on a root span.
    pub parent_id: Option<SpanId>,
    /// The span name.
    pub name: String,
    /// Annotations, then binary annotations, in wire order.
    pub events: Vec<ReceivedEvent>,
    /// The debug flag.
    pub debug: bool,
    /// The span's own start, µs since the epoch, when sent.
    pub timestamp: Option<u64>,
    /// The span's own duration in µs, when sent.
    pub duration: Option<u64>,
    /// Whether the span arrived as TBinaryProtocol or TCompactProtocol.
    pub protocol: Protocol,
}

impl ReceivedSpan {
    /// Copies a decoded span out of its frame.
    pub fn from_decoded<const N: usize>(span: &DecodedSpan<'_, N>, protocol: Protocol) -> Self {
        Self::from_span(span, protocol)
    }

    /// Copies any span (e.g. one recorded locally, to show it in a tree), as if it had arrived in `protocol`.
    pub fn from_span<D: SpanData + ?Sized>(span: &D, protocol: Protocol) -> Self {
        ReceivedSpan {
            trace_id: span.trace_id(),
            id: span.id(),
            parent_id: span.parent_id(),
            name: span.name().to_owned(),
            events: span.events().map(|e| ReceivedEvent::from_wire(&e)).collect(),
            debug: span.debug(),
            timestamp: span.timestamp(),
            duration: span.duration(),
            protocol,
        }
    }

    /// The timestamp of the first annotation called `value` (e.g. `"cs"`).
    pub fn annotation_time(&self, value: &str) -> Option<u64> {
        self.events.iter().find_map(|e| match e {
            ReceivedEvent::Time {
                timestamp, value: v, ..
            } if v == value => Some(*timestamp),
            _ => None,
        })
    }

    /// The span as one line of the original tryfer's debug JSON (compact, no newline).
    pub fn debug_json(&self) -> String {
        let mut out = Vec::new();
        // Writing into a growable buffer cannot run out of room.
        let _ = json::encode_debug_span(self, Layout::Compact, Buffer::new(&mut out));
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl SpanData for ReceivedSpan {
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
        self.events.iter().map(ReceivedEvent::as_event)
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
