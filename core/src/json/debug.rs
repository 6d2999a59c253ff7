//! The original tryfer's debug JSON: what its `DebugTracer` printed, one object per span.
//!
//! ```text
//! {"annotations":[{"host":{"service_name":"svc","ipv4":"127.0.0.1","port":8080},"type":"timestamp",
//!   "value":1346876525268525,"key":"sr"}],"parent_span_id":"...","trace_id":"...","name":"GET","span_id":"..."}
//! ```
//!
//! - Keys come in the order the original printed them (its Python 2 dictionaries' order): `annotations`,
//!   `parent_span_id` (only on a child span), `trace_id`, `name`, `span_id`; in an annotation `host` (only when
//!   set), `type`, `value`, `key`; in a host `service_name`, `ipv4` (dotted text), `port`. `ipv4` and `port` are
//!   left out when unset; an IPv6 address, which the original could not hold, comes as `ipv6` after `ipv4`.
//! - Ids are lower-hex: 16 digits, 32 for a 128-bit trace id. Annotations come in recording order
//!   ([`SpanData::events`]), timestamp and binary annotations mixed, as the original kept them.
//! - `type` and `value`: `"timestamp"` with µs since the epoch; `"string"` with the text; `"bytes"` with one
//!   string character U+0000..U+00FF per byte (what the original's Python 2 printed for `\x00\x01\x02`),
//!   non-printable ones escaped as `\u00XX`. Types the original did not have: `"bool"` with `true`/`false`,
//!   `"i16"`/`"i32"`/`"i64"` with a JSON integer, `"double"` with the shortest decimal that reads back to the
//!   same value, or `null` for NaN and infinities (JSON has no such numbers).
//! - Strings are escaped per RFC 8259; non-ASCII text is written as UTF-8 (the original wrote `\u00e9`
//!   escapes instead: the same JSON content).
//! - [`Layout::Compact`] is one line without spaces; [`Layout::Pretty`] indents two spaces per level like the
//!   original's `json.dumps(..., indent=2)`, without Python 2's trailing spaces. The span's own timestamp,
//!   duration and debug flag are not part of this format (Zipkin v2 JSON carries them).

use super::escape::{write_f64, write_i64, write_ipv4, write_ipv6, write_latin1, write_str, write_u64};
use crate::annotation::{Event, Value};
use crate::endpoint::Endpoint;
use crate::sink::{measure, EncodeError, Sink};
use crate::span::SpanData;

/// How the debug JSON is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Layout {
    /// One line, no spaces: one log line per span.
    #[default]
    Compact,
    /// Two spaces of indent per level and `": "` after keys, like the original's `DebugTracer` output.
    Pretty,
}

/// Writes `span` as the original tryfer's debug JSON object.
///
/// ```
/// use core::net::Ipv4Addr;
/// use tryfer_core::{json, json::Layout, Endpoint, Sampling, Span, SpanContext, SpanId, TraceId, Value};
/// let root = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
/// let mut span: Span = Span::new(root.child_with_id(SpanId::new(3).unwrap()), "GET");
/// span.annotate("sr", 1_000, Some(&Endpoint::v4("svc", Ipv4Addr::LOCALHOST, 8080))).unwrap();
/// span.tag("blob", Value::Bytes(&[0, 1, 0xff]), None).unwrap();
/// let mut out = heapless::Vec::<u8, 512>::new();
/// json::encode_debug_span(&span, Layout::Compact, &mut out).unwrap();
/// assert_eq!(
///     core::str::from_utf8(&out).unwrap(),
///     r#"{"annotations":[{"host":{"service_name":"svc","ipv4":"127.0.0.1","port":8080},"#.to_owned()
///         + r#""type":"timestamp","value":1000,"key":"sr"},"#
///         + r#"{"type":"bytes","value":"\u0000\u0001\u00ff","key":"blob"}],"#
///         + r#""parent_span_id":"0000000000000002","trace_id":"0000000000000001","name":"GET","#
///         + r#""span_id":"0000000000000003"}"#
/// );
///
/// out.clear();
/// let idle: Span = Span::new(root, "idle");
/// json::encode_debug_span(&idle, Layout::Pretty, &mut out).unwrap();
/// assert_eq!(
///     core::str::from_utf8(&out).unwrap(),
///     "{\n  \"annotations\": [],\n  \"trace_id\": \"0000000000000001\",\n  \"name\": \"idle\",\n  \
///      \"span_id\": \"0000000000000002\"\n}"
/// );
/// ```
pub fn encode_debug_span<S: Sink, D: SpanData + ?Sized>(span: &D, layout: Layout, sink: S) -> Result<(), EncodeError> {
    Writer::new(sink, layout).span(span)
}

/// Writes `spans` as a JSON array of debug objects: what the original `DebugTracer` printed for a batch.
pub fn encode_debug_spans<S, I, D>(spans: I, layout: Layout, sink: S) -> Result<(), EncodeError>
where
    S: Sink,
    I: IntoIterator<Item = D>,
    D: SpanData,
{
    let mut w = Writer::new(sink, layout);
    w.open(b'[')?;
    for span in spans {
        w.item()?;
        w.span(&span)?;
    }
    w.close(b']')
}

/// The exact length of [`encode_debug_span`]'s output.
pub fn debug_span_len<D: SpanData + ?Sized>(span: &D, layout: Layout) -> Result<usize, EncodeError> {
    measure(|counter| encode_debug_span(span, layout, counter))
}

const SPACES: &[u8; 32] = b"                                ";

/// A JSON writer that places commas, newlines and indents; the same calls write either layout.
struct Writer<S> {
    sink: S,
    pretty: bool,
    depth: usize,
    /// True until the innermost open container gets its first item.
    empty: bool,
}

impl<S: Sink> Writer<S> {
    fn new(sink: S, layout: Layout) -> Self {
        Writer {
            sink,
            pretty: layout == Layout::Pretty,
            depth: 0,
            empty: true,
        }
    }

    fn newline(&mut self) -> Result<(), EncodeError> {
        if !self.pretty {
            return Ok(());
        }
        self.sink.try_push(b'\n')?;
        let mut indent = self.depth.saturating_mul(2);
        while indent > 0 {
            let n = indent.min(SPACES.len());
            self.sink.try_extend(SPACES.get(..n).unwrap_or_default())?;
            indent -= n;
        }
        Ok(())
    }

    fn open(&mut self, bracket: u8) -> Result<(), EncodeError> {
        self.sink.try_push(bracket)?;
        self.depth = self.depth.saturating_add(1);
        self.empty = true;
        Ok(())
    }

    fn close(&mut self, bracket: u8) -> Result<(), EncodeError> {
        self.depth = self.depth.saturating_sub(1);
        if !self.empty {
            self.newline()?;
        }
        self.empty = false;
        self.sink.try_push(bracket)
    }

    /// Starts the next array element or object member.
    fn item(&mut self) -> Result<(), EncodeError> {
        if !self.empty {
            self.sink.try_push(b',')?;
        }
        self.empty = false;
        self.newline()
    }

    fn key(&mut self, key: &str) -> Result<(), EncodeError> {
        self.item()?;
        write_str(&mut self.sink, key)?;
        self.sink.try_extend(if self.pretty { b": " } else { b":" })
    }

    fn span<D: SpanData + ?Sized>(&mut self, span: &D) -> Result<(), EncodeError> {
        self.open(b'{')?;
        self.key("annotations")?;
        self.open(b'[')?;
        for event in span.events() {
            self.item()?;
            self.event(&event)?;
        }
        self.close(b']')?;
        if let Some(parent) = span.parent_id() {
            self.key("parent_span_id")?;
            write_str(&mut self.sink, &parent.to_hex())?;
        }
        self.key("trace_id")?;
        write_str(&mut self.sink, &span.trace_id().to_hex())?;
        self.key("name")?;
        write_str(&mut self.sink, span.name())?;
        self.key("span_id")?;
        write_str(&mut self.sink, &span.id().to_hex())?;
        self.close(b'}')
    }

    fn event(&mut self, event: &Event<'_>) -> Result<(), EncodeError> {
        let (key, host) = match event {
            Event::Time(a) => (a.value, a.host),
            Event::Tag(b) => (b.key, b.host),
        };
        self.open(b'{')?;
        if let Some(host) = &host {
            self.key("host")?;
            self.host(host)?;
        }
        self.key("type")?;
        let sink = &mut self.sink;
        let type_name = match event {
            Event::Time(_) => "timestamp",
            Event::Tag(b) => match b.value {
                Value::Bool(_) => "bool",
                Value::Bytes(_) => "bytes",
                Value::I16(_) => "i16",
                Value::I32(_) => "i32",
                Value::I64(_) => "i64",
                Value::Double(_) => "double",
                Value::String(_) => "string",
            },
        };
        write_str(sink, type_name)?;
        self.key("value")?;
        let sink = &mut self.sink;
        match event {
            Event::Time(a) => write_u64(sink, a.timestamp)?,
            Event::Tag(b) => match b.value {
                Value::Bool(v) => sink.try_extend(if v { b"true" } else { b"false" })?,
                Value::Bytes(v) => write_latin1(sink, v)?,
                Value::I16(v) => write_i64(sink, i64::from(v))?,
                Value::I32(v) => write_i64(sink, i64::from(v))?,
                Value::I64(v) => write_i64(sink, v)?,
                Value::Double(v) => write_f64(sink, v, |_| "null")?,
                Value::String(v) => write_str(sink, v)?,
            },
        }
        self.key("key")?;
        write_str(&mut self.sink, key)?;
        self.close(b'}')
    }

    fn host(&mut self, host: &Endpoint<'_>) -> Result<(), EncodeError> {
        self.open(b'{')?;
        self.key("service_name")?;
        write_str(&mut self.sink, host.service_name)?;
        if let Some(ipv4) = host.ipv4 {
            self.key("ipv4")?;
            write_ipv4(&mut self.sink, ipv4)?;
        }
        if let Some(ipv6) = host.ipv6 {
            self.key("ipv6")?;
            write_ipv6(&mut self.sink, ipv6)?;
        }
        if let Some(port) = host.port {
            self.key("port")?;
            write_u64(&mut self.sink, u64::from(port))?;
        }
        self.close(b'}')
    }
}
