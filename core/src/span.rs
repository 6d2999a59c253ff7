//! Spans: the [`SpanData`] view every encoder reads, and [`Span`], a fixed-capacity span that owns its data.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::annotation::{self, Annotation, BinaryAnnotation, Event, Value};
use crate::context::SpanContext;
use crate::endpoint::Endpoint;
use crate::id::{SpanId, TraceId};

/// A read-only view of one span: what the encoders need, whoever stores it.
///
/// [`Span`] implements it for recorded spans; the decoders' views implement it for spans read off the wire,
/// so a decoded span can be re-encoded (e.g. Scribe in, Zipkin JSON out) without copying.
pub trait SpanData {
    /// The trace id.
    fn trace_id(&self) -> TraceId;
    /// The span id.
    fn id(&self) -> SpanId;
    /// The parent span id; `None` on a root span.
    fn parent_id(&self) -> Option<SpanId>;
    /// The span name, e.g. the HTTP method.
    fn name(&self) -> &str;
    /// Every annotation and binary annotation in recording order.
    fn events(&self) -> impl Iterator<Item = Event<'_>> + '_;
    /// The debug flag.
    fn debug(&self) -> bool;
    /// When the span started, µs since the epoch, if the recorder set it.
    fn timestamp(&self) -> Option<u64>;
    /// How long the span took in µs, if the recorder set it.
    fn duration(&self) -> Option<u64>;
    /// True for the server half of a span whose id the client created (B3/Finagle style): Zipkin leaves its
    /// `timestamp`/`duration` to the client and marks the v2 span `shared`.
    fn shared(&self) -> bool {
        false
    }

    /// How many timestamp annotations and how many binary annotations [`SpanData::events`] yields: the list
    /// lengths a Thrift encoder writes first. The default counts in one pass over the events; a span that can
    /// tell without building them overrides it (as [`Span`] does).
    fn event_counts(&self) -> (usize, usize) {
        self.events().fold((0, 0), |(times, tags), e| match e {
            Event::Time(_) => (times + 1, tags),
            Event::Tag(_) => (times, tags + 1),
        })
    }

    /// The timestamp annotations, in recording order.
    fn annotations(&self) -> impl Iterator<Item = Annotation<'_>> + '_ {
        self.events().filter_map(|e| match e {
            Event::Time(a) => Some(a),
            Event::Tag(_) => None,
        })
    }

    /// The binary annotations, in recording order.
    fn binary_annotations(&self) -> impl Iterator<Item = BinaryAnnotation<'_>> + '_ {
        self.events().filter_map(|e| match e {
            Event::Tag(b) => Some(b),
            Event::Time(_) => None,
        })
    }
}

impl<T: SpanData + ?Sized> SpanData for &T {
    fn trace_id(&self) -> TraceId {
        (**self).trace_id()
    }
    fn id(&self) -> SpanId {
        (**self).id()
    }
    fn parent_id(&self) -> Option<SpanId> {
        (**self).parent_id()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn events(&self) -> impl Iterator<Item = Event<'_>> + '_ {
        (**self).events()
    }
    fn debug(&self) -> bool {
        (**self).debug()
    }
    fn timestamp(&self) -> Option<u64> {
        (**self).timestamp()
    }
    fn duration(&self) -> Option<u64> {
        (**self).duration()
    }
    fn shared(&self) -> bool {
        (**self).shared()
    }
    fn event_counts(&self) -> (usize, usize) {
        (**self).event_counts()
    }
    fn annotations(&self) -> impl Iterator<Item = Annotation<'_>> + '_ {
        (**self).annotations()
    }
    fn binary_annotations(&self) -> impl Iterator<Item = BinaryAnnotation<'_>> + '_ {
        (**self).binary_annotations()
    }
}

/// Why an annotation could not be added to a [`Span`]. The span counts every such drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SpanFull {
    /// All `N` annotation slots are taken.
    Annotations,
    /// The `T`-byte text store has no room for the strings.
    Text,
}

impl fmt::Display for SpanFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpanFull::Annotations => "span has no free annotation slot",
            SpanFull::Text => "span has no room left for annotation text",
        })
    }
}

impl core::error::Error for SpanFull {}

/// Strings every span uses, kept out of the text store.
const KNOWN: [&str; 17] = [
    annotation::CLIENT_SEND,
    annotation::CLIENT_RECV,
    annotation::SERVER_RECV,
    annotation::SERVER_SEND,
    "ms",
    "mr",
    "ca",
    "sa",
    "error",
    "http.uri",
    "http.url",
    "http.method",
    "http.path",
    "http.status_code",
    annotation::EXPIRED,
    annotation::TRUNCATED,
    "",
];

/// How many bytes of a `BYTES` value that is not UTF-8 a [`Span`] keeps in the annotation slot itself.
const INLINE_BYTES: usize = 14;

/// A string of a [`Span`]: a well-known constant or a range of its text store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Known(u8),
    Stored { start: u16, len: u16 },
}

#[derive(Debug, Clone, Copy)]
enum StoredValue {
    Time(u64),
    Bool(bool),
    /// A `BYTES` value that is valid UTF-8, kept in the text store.
    Bytes(Text),
    /// A short `BYTES` value that is not UTF-8, kept in the slot (the text store holds only UTF-8).
    Inline {
        len: u8,
        bytes: [u8; INLINE_BYTES],
    },
    I16(i16),
    I32(i32),
    I64(i64),
    Double(f64),
    String(Text),
}

#[derive(Debug, Clone, Copy)]
struct StoredEndpoint {
    service_name: Text,
    ipv4: Option<Ipv4Addr>,
    ipv6: Option<Ipv6Addr>,
    port: Option<u16>,
}

#[derive(Debug, Clone, Copy)]
struct Stored {
    key: Text,
    value: StoredValue,
    host: Option<StoredEndpoint>,
}

/// A span that owns its data in fixed capacity: up to `N` annotations and `T` bytes of text.
///
/// Well-known strings (`cs`, `cr`, `sr`, `ss`, `http.uri`, ...) take no text space, and a host's service name
/// is stored once for consecutive annotations. Text is kept as UTF-8 (checked once, when recorded), so reading
/// a span back costs no validation; a `BYTES` value that is not UTF-8 is kept in its annotation slot, up to
/// 14 bytes (a longer one is refused with [`SpanFull::Text`]). Adding past capacity returns [`SpanFull`] and
/// counts the drop; encoders then add a `tryfer.truncated` tag holding the count, so a short span is never
/// silently short.
/// `T` must be at most 65535.
///
/// ```
/// use tryfer_core::{Span, SpanContext, SpanId, TraceId, Sampling, annotation::CLIENT_SEND};
/// let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
/// let mut span: Span<2, 16> = Span::new(ctx, "GET");
/// span.annotate(CLIENT_SEND, 1_000, None).unwrap();
/// span.tag_str("http.uri", "/a", None).unwrap();
/// assert!(span.annotate("too-many", 2_000, None).is_err());
/// assert_eq!(span.dropped(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Span<const N: usize = 8, const T: usize = 256> {
    context: SpanContext,
    name: Text,
    timestamp: Option<u64>,
    duration: Option<u64>,
    events: heapless::Vec<Stored, N>,
    text: heapless::String<T>,
    dropped: u16,
    /// `dropped` as five decimal digits, leading zeros included.
    dropped_digits: [u8; 5],
    shared: bool,
}

impl<const N: usize, const T: usize> Span<N, T> {
    const TEXT_FITS_U16: () = assert!(T <= u16::MAX as usize, "Span text capacity T must be at most 65535");

    /// A span for `context` named `name` (a name longer than the text store is cut at a character boundary
    /// and counted as a drop).
    pub fn new(context: SpanContext, name: &str) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::TEXT_FITS_U16;
        let mut span = Span {
            context,
            name: Text::Known(KNOWN.len() as u8 - 1),
            timestamp: None,
            duration: None,
            events: heapless::Vec::new(),
            text: heapless::String::new(),
            dropped: 0,
            dropped_digits: *b"00000",
            shared: false,
        };
        match span.store(name) {
            Some(text) => span.name = text,
            None => {
                let mut cut = T.min(name.len());
                while !name.is_char_boundary(cut) {
                    cut -= 1;
                }
                if let Some(text) = name.get(..cut).and_then(|cut| span.store(cut)) {
                    span.name = text;
                }
                span.count_drop();
            }
        }
        span
    }

    /// The span's context: ids, sampling, debug.
    pub fn context(&self) -> &SpanContext {
        &self.context
    }

    /// How many annotations were dropped for lack of room.
    pub fn dropped(&self) -> u16 {
        self.dropped
    }

    /// How many annotations the span holds.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Records a timestamp annotation (`cs`, `sr`, ... or any event name) at `timestamp` µs since the epoch.
    pub fn annotate(&mut self, value: &str, timestamp: u64, host: Option<&Endpoint<'_>>) -> Result<(), SpanFull> {
        self.push(&Event::Time(Annotation {
            timestamp,
            value,
            host: host.copied(),
        }))
    }

    /// Records a string binary annotation, the kind Zipkin keeps as a tag.
    pub fn tag_str(&mut self, key: &str, value: &str, host: Option<&Endpoint<'_>>) -> Result<(), SpanFull> {
        self.push(&Event::Tag(BinaryAnnotation {
            key,
            value: Value::String(value),
            host: host.copied(),
        }))
    }

    /// Records a binary annotation of any type.
    pub fn tag(&mut self, key: &str, value: Value<'_>, host: Option<&Endpoint<'_>>) -> Result<(), SpanFull> {
        self.push(&Event::Tag(BinaryAnnotation {
            key,
            value,
            host: host.copied(),
        }))
    }

    /// Records an event; on failure nothing of it is kept and the drop is counted.
    pub fn push(&mut self, event: &Event<'_>) -> Result<(), SpanFull> {
        if self.events.is_full() {
            self.count_drop();
            return Err(SpanFull::Annotations);
        }
        let mark = self.text.len();
        match self.store_event(event) {
            Some(stored) => {
                // Cannot fail: fullness was checked above.
                let _ = self.events.push(stored);
                Ok(())
            }
            None => {
                self.text.truncate(mark);
                self.count_drop();
                Err(SpanFull::Text)
            }
        }
    }

    /// Sets the span's start time (µs since the epoch).
    pub fn set_timestamp(&mut self, timestamp: u64) {
        self.timestamp = Some(timestamp);
    }

    /// Sets the span's duration (µs).
    pub fn set_duration(&mut self, duration: u64) {
        self.duration = Some(duration);
    }

    /// Marks the span as the server half of a span the client created (see [`SpanData::shared`]).
    pub fn set_shared(&mut self, shared: bool) {
        self.shared = shared;
    }

    /// True when an annotation with this value was recorded (e.g. an end annotation).
    pub fn has_annotation(&self, value: &str) -> bool {
        self.annotations().any(|a| a.value == value)
    }

    fn count_drop(&mut self) {
        if self.dropped == u16::MAX {
            return;
        }
        self.dropped += 1;
        // The same count as decimal text for the truncation tag, kept by adding one with carry (no division).
        for digit in self.dropped_digits.iter_mut().rev() {
            if *digit == b'9' {
                *digit = b'0';
            } else {
                *digit += 1;
                break;
            }
        }
    }

    fn store_event(&mut self, event: &Event<'_>) -> Option<Stored> {
        Some(match *event {
            Event::Time(a) => Stored {
                key: self.store_str(a.value)?,
                value: StoredValue::Time(a.timestamp),
                host: self.store_host(a.host.as_ref())?,
            },
            Event::Tag(b) => Stored {
                key: self.store_str(b.key)?,
                value: match b.value {
                    Value::Bool(v) => StoredValue::Bool(v),
                    Value::Bytes(v) => match core::str::from_utf8(v) {
                        Ok(text) => StoredValue::Bytes(self.store(text)?),
                        Err(_) => {
                            let mut bytes = [0u8; INLINE_BYTES];
                            bytes.get_mut(..v.len())?.copy_from_slice(v);
                            StoredValue::Inline {
                                len: v.len() as u8,
                                bytes,
                            }
                        }
                    },
                    Value::I16(v) => StoredValue::I16(v),
                    Value::I32(v) => StoredValue::I32(v),
                    Value::I64(v) => StoredValue::I64(v),
                    Value::Double(v) => StoredValue::Double(v),
                    Value::String(v) => StoredValue::String(self.store_str(v)?),
                },
                host: self.store_host(b.host.as_ref())?,
            },
        })
    }

    /// `Some(None)` for no host, `None` when it does not fit.
    fn store_host(&mut self, host: Option<&Endpoint<'_>>) -> Option<Option<StoredEndpoint>> {
        let Some(host) = host else { return Some(None) };
        let previous = self.events.iter().rev().find_map(|e| e.host).map(|h| h.service_name);
        let service_name = match previous {
            Some(text) if self.text_str(text) == host.service_name => text,
            _ => self.store_str(host.service_name)?,
        };
        Some(Some(StoredEndpoint {
            service_name,
            ipv4: host.ipv4,
            ipv6: host.ipv6,
            port: host.port,
        }))
    }

    fn store_str(&mut self, s: &str) -> Option<Text> {
        match KNOWN.iter().position(|k| *k == s) {
            Some(i) => Some(Text::Known(i as u8)),
            None => self.store(s),
        }
    }

    fn store(&mut self, s: &str) -> Option<Text> {
        let start = self.text.len();
        self.text.push_str(s).ok()?;
        Some(Text::Stored {
            start: start as u16,
            len: s.len() as u16,
        })
    }

    #[inline]
    fn text_str(&self, text: Text) -> &str {
        match text {
            Text::Known(i) => KNOWN.get(usize::from(i)).copied().unwrap_or(""),
            // Whole `&str`s are stored, so both ends are character boundaries: `get` checks only that, in O(1).
            Text::Stored { start, len } => {
                let start = usize::from(start);
                self.text.get(start..start + usize::from(len)).unwrap_or("")
            }
        }
    }

    fn endpoint(&self, stored: &StoredEndpoint) -> Endpoint<'_> {
        Endpoint {
            service_name: self.text_str(stored.service_name),
            ipv4: stored.ipv4,
            ipv6: stored.ipv6,
            port: stored.port,
        }
    }

    fn host(&self, stored: &Stored) -> Option<Endpoint<'_>> {
        stored.host.as_ref().map(|h| self.endpoint(h))
    }

    /// A stored event as a timestamp annotation; `None` for a binary annotation.
    fn annotation(&self, stored: &Stored) -> Option<Annotation<'_>> {
        let StoredValue::Time(timestamp) = stored.value else {
            return None;
        };
        Some(Annotation {
            timestamp,
            value: self.text_str(stored.key),
            host: self.host(stored),
        })
    }

    /// A stored event as a binary annotation; `None` for a timestamp annotation.
    fn binary_annotation<'s>(&'s self, stored: &'s Stored) -> Option<BinaryAnnotation<'s>> {
        let value = match stored.value {
            StoredValue::Time(_) => return None,
            StoredValue::Bool(v) => Value::Bool(v),
            StoredValue::Bytes(t) => Value::Bytes(self.text_str(t).as_bytes()),
            StoredValue::Inline { len, ref bytes } => Value::Bytes(bytes.get(..usize::from(len)).unwrap_or_default()),
            StoredValue::I16(v) => Value::I16(v),
            StoredValue::I32(v) => Value::I32(v),
            StoredValue::I64(v) => Value::I64(v),
            StoredValue::Double(v) => Value::Double(v),
            StoredValue::String(t) => Value::String(self.text_str(t)),
        };
        Some(BinaryAnnotation {
            key: self.text_str(stored.key),
            value,
            host: self.host(stored),
        })
    }

    /// The `tryfer.truncated` tag, when annotations were dropped.
    fn truncation_tag(&self) -> Option<BinaryAnnotation<'_>> {
        if self.dropped == 0 {
            return None;
        }
        let first = self.dropped_digits.iter().position(|&b| b != b'0').unwrap_or(0);
        let digits = self.dropped_digits.get(first..).unwrap_or_default();
        let count = core::str::from_utf8(digits).unwrap_or("");
        Some(BinaryAnnotation {
            key: annotation::TRUNCATED,
            value: Value::String(count),
            host: None,
        })
    }
}

impl<const N: usize, const T: usize> SpanData for Span<N, T> {
    fn trace_id(&self) -> TraceId {
        self.context.trace_id
    }
    fn id(&self) -> SpanId {
        self.context.span_id
    }
    fn parent_id(&self) -> Option<SpanId> {
        self.context.parent_id
    }
    fn name(&self) -> &str {
        self.text_str(self.name)
    }
    fn events(&self) -> impl Iterator<Item = Event<'_>> + '_ {
        let events = self.events.iter().filter_map(|e| match self.annotation(e) {
            Some(a) => Some(Event::Time(a)),
            None => self.binary_annotation(e).map(Event::Tag),
        });
        events.chain(self.truncation_tag().map(Event::Tag))
    }
    fn debug(&self) -> bool {
        self.context.debug
    }
    fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }
    fn duration(&self) -> Option<u64> {
        self.duration
    }
    fn shared(&self) -> bool {
        self.shared
    }
    fn event_counts(&self) -> (usize, usize) {
        let times = self
            .events
            .iter()
            .filter(|e| matches!(e.value, StoredValue::Time(_)))
            .count();
        let tags = self.events.len() - times + usize::from(self.dropped > 0);
        (times, tags)
    }
    fn annotations(&self) -> impl Iterator<Item = Annotation<'_>> + '_ {
        self.events.iter().filter_map(|e| self.annotation(e))
    }
    fn binary_annotations(&self) -> impl Iterator<Item = BinaryAnnotation<'_>> + '_ {
        let tags = self.events.iter().filter_map(|e| self.binary_annotation(e));
        tags.chain(self.truncation_tag())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::context::Sampling;

    fn ctx() -> SpanContext {
        SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept)
    }

    #[test]
    fn keeps_events_in_order_and_dedupes_service_names() {
        let host = Endpoint::v4("svc", Ipv4Addr::new(127, 0, 0, 1), 8080);
        let mut span: Span<4, 32> = Span::new(ctx(), "GET");
        span.annotate("sr", 1, Some(&host)).unwrap();
        span.tag_str("k", "v", Some(&host)).unwrap();
        span.annotate("ss", 2, Some(&host)).unwrap();
        // "GET" + "svc" + "k" + "v": the service name was stored once.
        assert_eq!(span.text.len(), 3 + 3 + 1 + 1);
        let events: std::vec::Vec<_> = span.events().collect();
        assert_eq!(events.len(), 3);
        assert_eq!(
            events[0],
            Event::Time(Annotation {
                timestamp: 1,
                value: "sr",
                host: Some(host)
            })
        );
        assert_eq!(span.name(), "GET");
        assert_eq!(span.binary_annotations().count(), 1);
    }

    #[test]
    fn overflow_is_typed_counted_and_tagged() {
        let mut span: Span<1, 4> = Span::new(ctx(), "nametoolong");
        assert_eq!(span.name(), "name");
        assert_eq!(span.dropped(), 1);
        assert_eq!(span.tag_str("key", "value", None), Err(SpanFull::Text));
        assert_eq!(span.len(), 0);
        span.annotate("cs", 5, None).unwrap();
        assert_eq!(span.annotate("cr", 6, None), Err(SpanFull::Annotations));
        assert_eq!(span.dropped(), 3);
        let last = span.events().last().unwrap();
        assert_eq!(
            last,
            Event::Tag(BinaryAnnotation {
                key: annotation::TRUNCATED,
                value: Value::String("3"),
                host: None
            })
        );
    }

    #[test]
    fn drop_count_text_carries_and_saturates() {
        let mut span: Span<0, 0> = Span::new(ctx(), "");
        let tag = |span: &Span<0, 0>| match span.events().last() {
            Some(Event::Tag(BinaryAnnotation {
                value: Value::String(count),
                ..
            })) => count.to_owned(),
            other => panic!("{other:?}"),
        };
        assert_eq!(span.events().count(), 0);
        for n in 1..=70_000u32 {
            assert!(span.annotate("cs", 1, None).is_err());
            if [1, 9, 10, 99, 100, 1_000, 9_999, 10_000, 65_535, 70_000].contains(&n) {
                let expected = n.min(u32::from(u16::MAX));
                assert_eq!(tag(&span), expected.to_string(), "after {n} drops");
                assert_eq!(u32::from(span.dropped()), expected);
            }
        }
    }

    #[test]
    fn bytes_values_read_back_whole() {
        let mut span: Span<4, 9> = Span::new(ctx(), "");
        let raw = [0xffu8; INLINE_BYTES];
        span.tag("utf8", Value::Bytes(b"ok"), None).unwrap();
        span.tag("raw", Value::Bytes(&raw), None).unwrap();
        // Not UTF-8 and longer than a slot holds: refused, counted.
        assert_eq!(
            span.tag("big", Value::Bytes(&[0xff; INLINE_BYTES + 1]), None),
            Err(SpanFull::Text)
        );
        let values: std::vec::Vec<_> = span.binary_annotations().map(|b| b.value).collect();
        assert_eq!(values[..2], [Value::Bytes(b"ok"), Value::Bytes(&raw)]);
        // "utf8" + "ok" + "raw": the raw value takes no text space.
        assert_eq!(span.text.len(), 4 + 2 + 3);
    }

    #[test]
    fn a_slot_holding_short_bytes_is_no_bigger_than_one_holding_a_number() {
        assert_eq!(core::mem::size_of::<StoredValue>(), 2 * core::mem::size_of::<u64>());
    }

    #[test]
    fn name_cut_respects_char_boundaries() {
        let span: Span<1, 4> = Span::new(ctx(), "caf\u{e9}!");
        assert_eq!(span.name(), "caf");
    }
}
