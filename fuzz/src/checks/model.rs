//! [`Model`]: a span owned and compared by value (doubles by their bits, so a NaN equals itself), read from any
//! [`SpanData`], to compare what was encoded with what came back.

use std::net::{Ipv4Addr, Ipv6Addr};

use tryfer_core::{Endpoint, Event, SpanData, SpanId, TraceId, Value};

/// An endpoint, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The service name.
    pub service_name: String,
    /// The IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// The IPv6 address.
    pub ipv6: Option<Ipv6Addr>,
    /// The port.
    pub port: Option<u16>,
}

impl Host {
    /// An owned copy of `endpoint`.
    pub fn of(endpoint: &Endpoint<'_>) -> Self {
        Host {
            service_name: endpoint.service_name.to_owned(),
            ipv4: endpoint.ipv4,
            ipv6: endpoint.ipv6,
            port: endpoint.port,
        }
    }

    /// As Thrift carries it back: a zero address or port is "not set".
    pub fn into_wire(mut self) -> Self {
        self.ipv4 = self.ipv4.filter(|a| !a.is_unspecified());
        self.port = self.port.filter(|&p| p != 0);
        self
    }
}

/// A binary annotation value, owned; a double as its bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datum {
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
    /// `DOUBLE`, as `f64::to_bits`.
    Double(u64),
    /// `STRING`.
    String(String),
}

impl Datum {
    /// An owned copy of `value`.
    pub fn of(value: &Value<'_>) -> Self {
        match *value {
            Value::Bool(v) => Datum::Bool(v),
            Value::Bytes(v) => Datum::Bytes(v.to_vec()),
            Value::I16(v) => Datum::I16(v),
            Value::I32(v) => Datum::I32(v),
            Value::I64(v) => Datum::I64(v),
            Value::Double(v) => Datum::Double(v.to_bits()),
            Value::String(v) => Datum::String(v.to_owned()),
        }
    }
}

/// An annotation or binary annotation, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A timestamp annotation.
    Time {
        /// µs since the epoch.
        timestamp: u64,
        /// What happened.
        value: String,
        /// Where.
        host: Option<Host>,
    },
    /// A binary annotation.
    Tag {
        /// The key.
        key: String,
        /// The value.
        value: Datum,
        /// Where.
        host: Option<Host>,
    },
}

impl Item {
    /// An owned copy of `event`.
    pub fn of(event: &Event<'_>) -> Self {
        match event {
            Event::Time(a) => Item::Time {
                timestamp: a.timestamp,
                value: a.value.to_owned(),
                host: a.host.as_ref().map(Host::of),
            },
            Event::Tag(b) => Item::Tag {
                key: b.key.to_owned(),
                value: Datum::of(&b.value),
                host: b.host.as_ref().map(Host::of),
            },
        }
    }

    fn is_time(&self) -> bool {
        matches!(self, Item::Time { .. })
    }

    /// As Thrift carries it back: times clamped to `i64::MAX`, zero addresses and ports unset.
    fn into_wire(self) -> Self {
        match self {
            Item::Time { timestamp, value, host } => Item::Time {
                timestamp: wire_micros(timestamp),
                value,
                host: host.map(Host::into_wire),
            },
            Item::Tag { key, value, host } => Item::Tag {
                key,
                value,
                host: host.map(Host::into_wire),
            },
        }
    }
}

/// A span, owned and comparable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// The trace id.
    pub trace_id: TraceId,
    /// The span id.
    pub id: SpanId,
    /// The parent id.
    pub parent_id: Option<SpanId>,
    /// The name.
    pub name: String,
    /// The events, in the order the span gives them.
    pub events: Vec<Item>,
    /// The debug flag.
    pub debug: bool,
    /// The start, µs since the epoch.
    pub timestamp: Option<u64>,
    /// The duration, µs.
    pub duration: Option<u64>,
}

impl Model {
    /// An owned copy of `span`, events in [`SpanData::events`] order.
    pub fn of<D: SpanData + ?Sized>(span: &D) -> Self {
        Model {
            trace_id: span.trace_id(),
            id: span.id(),
            parent_id: span.parent_id(),
            name: span.name().to_owned(),
            events: span.events().map(|e| Item::of(&e)).collect(),
            debug: span.debug(),
            timestamp: span.timestamp(),
            duration: span.duration(),
        }
    }

    /// As a Thrift decoder gives it back: annotations before binary annotations (the wire keeps two lists),
    /// times clamped to `i64::MAX`, zero addresses and ports unset.
    pub fn into_wire(self) -> Self {
        let (mut events, tags): (Vec<Item>, Vec<Item>) = self.events.into_iter().partition(Item::is_time);
        events.extend(tags);
        Model {
            events: events.into_iter().map(Item::into_wire).collect(),
            timestamp: self.timestamp.map(wire_micros),
            duration: self.duration.map(wire_micros),
            ..self
        }
    }
}

/// A µs value as Thrift's `i64` carries it: the encoders clamp past `i64::MAX`.
fn wire_micros(micros: u64) -> u64 {
    micros.min(i64::MAX as u64)
}
