//! Decoding Zipkin v1 Thrift spans into zero-copy [`DecodedSpan`] views, for tryfer's own collector and tests.
//!
//! The schema is read once ([`read_span`]) against the [`Reader`] trait, for both protocols. A decoded span
//! borrows every string and binary from the input and keeps its events in a fixed-capacity `heapless::Vec`,
//! so nothing is allocated; it implements [`SpanData`], so it can be re-encoded (binary in, JSON out) as is.
//! Decoding never panics: malformed input of any kind gives a [`DecodeError`].

use core::fmt;
use core::iter::FusedIterator;

use super::read::{utf8, BinaryReader, CompactReader, FieldHeader, Reader};
use super::TType;
use crate::annotation::{Annotation, BinaryAnnotation, Event, Value};
use crate::endpoint::Endpoint;
use crate::id::{SpanId, TraceId};
use crate::span::SpanData;

/// Why bytes could not be decoded as Thrift, or as a Zipkin span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside a value, or a length or count promises more bytes than remain.
    Truncated,
    /// A type code that the protocol does not define.
    BadType,
    /// A known field (or list element) of a type other than the schema's, e.g. a `string` trace id.
    WrongType,
    /// A negative length or count, or one above `i32::MAX`.
    BadLength,
    /// A compact varint longer than 10 bytes, or a value too large for its integer type.
    BadVarint,
    /// A compact field-id delta that overflows `i16`.
    BadFieldId,
    /// A string that is not UTF-8.
    BadUtf8,
    /// A field the schema needs is absent: span `trace_id`/`id`, annotation `timestamp`/`value`, or binary
    /// annotation `key`/`value`/`annotation_type`.
    MissingField,
    /// The span's `trace_id` or `id` is zero, which Zipkin rejects.
    ZeroId,
    /// A timestamp or duration is negative.
    NegativeTime,
    /// A binary annotation's value does not fit its type (BOOL is 1 byte, 0 or 1; I16 2; I32 4; I64 and DOUBLE
    /// 8), an endpoint's IPv6 address is not 16 bytes, or a compact bool element is not 0, 1 or 2.
    BadValue,
    /// A binary annotation type outside Zipkin's `AnnotationType` (0 to 6).
    BadAnnotationType,
    /// The span has more annotations and binary annotations than the view's capacity `N`.
    TooManyAnnotations,
    /// Structs or containers nest deeper than [`super::read::MAX_DEPTH`].
    TooDeep,
    /// The first byte is neither a binary (`0x0a`) nor a compact (`0x16`) span's.
    UnknownProtocol,
    /// A message header is not a strict TBinaryProtocol version 1 header.
    BadVersion,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecodeError::Truncated => "input ends before the value does",
            DecodeError::BadType => "unknown thrift type code",
            DecodeError::WrongType => "field has a type other than the schema's",
            DecodeError::BadLength => "negative or oversized length",
            DecodeError::BadVarint => "varint too long or out of range",
            DecodeError::BadFieldId => "field id overflows i16",
            DecodeError::BadUtf8 => "string is not UTF-8",
            DecodeError::MissingField => "required field is missing",
            DecodeError::ZeroId => "trace id or span id is zero",
            DecodeError::NegativeTime => "timestamp or duration is negative",
            DecodeError::BadValue => "value does not match its type",
            DecodeError::BadAnnotationType => "unknown binary annotation type",
            DecodeError::TooManyAnnotations => "span has more annotations than fit",
            DecodeError::TooDeep => "structs nest too deeply",
            DecodeError::UnknownProtocol => "neither a binary nor a compact span",
            DecodeError::BadVersion => "not a strict binary protocol message header",
        })
    }
}

impl core::error::Error for DecodeError {}

/// Which Thrift protocol a span was written with, told apart by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Protocol {
    /// TBinaryProtocol: a span starts with `0x0a`, the header of `1: i64 trace_id`.
    Binary,
    /// TCompactProtocol: a span starts with `0x16`, field delta 1 and type i64.
    Compact,
}

impl Protocol {
    /// The protocol of a span written trace id first, as tryfer and every Zipkin library write it.
    ///
    /// ```
    /// use tryfer_core::thrift::decode::Protocol;
    /// assert_eq!(Protocol::detect(&[0x0a, 0x00, 0x01]), Some(Protocol::Binary));
    /// assert_eq!(Protocol::detect(&[0x16, 0x02]), Some(Protocol::Compact));
    /// assert_eq!(Protocol::detect(b"{}"), None);
    /// ```
    pub fn detect(bytes: &[u8]) -> Option<Protocol> {
        match bytes.first() {
            Some(0x0a) => Some(Protocol::Binary),
            Some(0x16) => Some(Protocol::Compact),
            _ => None,
        }
    }
}

/// A span read off the wire: strings borrowed from the input, up to `N` events in wire order.
///
/// Annotations come first, then binary annotations (the wire keeps them in two lists, so their interleaving
/// when recorded is lost). A zero `parent_id`, `ipv4` or `port` on the wire means "not set" and reads as
/// `None`, as Zipkin reads it. `N` sizes the view: an event slot is 96 bytes on a 64-bit host (less on
/// 32-bit MCUs), so the default of 64 takes about 6 KiB; pick `N` for your stack.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedSpan<'a, const N: usize = 64> {
    /// The trace id; 128-bit when `trace_id_high` (field 12) was present and non-zero.
    pub trace_id: TraceId,
    /// The span id.
    pub id: SpanId,
    /// The parent span id; `None` when absent or zero.
    pub parent_id: Option<SpanId>,
    /// The span name; empty when absent.
    pub name: &'a str,
    /// Annotations, then binary annotations.
    pub events: heapless::Vec<Event<'a>, N>,
    /// The debug flag; `false` when absent.
    pub debug: bool,
    /// Start time in µs since the epoch.
    pub timestamp: Option<u64>,
    /// Duration in µs.
    pub duration: Option<u64>,
}

impl<const N: usize> SpanData for DecodedSpan<'_, N> {
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
        self.name
    }
    fn events(&self) -> impl Iterator<Item = Event<'_>> + '_ {
        self.events.iter().map(|e| {
            let e: Event<'_> = *e;
            e
        })
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

#[cfg(feature = "defmt")]
impl<const N: usize> defmt::Format for DecodedSpan<'_, N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "DecodedSpan {{ trace_id: {}, id: {}, parent_id: {}, name: {=str}, events: {=[?]}, debug: {=bool}, \
             timestamp: {}, duration: {} }}",
            self.trace_id,
            self.id,
            self.parent_id,
            self.name,
            self.events.as_slice(),
            self.debug,
            self.timestamp,
            self.duration
        )
    }
}

/// A wire timestamp or duration as µs, refusing negative values.
fn micros(v: i64) -> Result<u64, DecodeError> {
    u64::try_from(v).map_err(|_| DecodeError::NegativeTime)
}

fn read_endpoint<'a, R: Reader<'a>>(r: &mut R) -> Result<Endpoint<'a>, DecodeError> {
    r.struct_begin()?;
    let (mut ipv4, mut port, mut service_name, mut ipv6) = (0, 0, "", None);
    while let Some(FieldHeader { ty, id }) = r.field_begin()? {
        match (id, ty) {
            (1, TType::I32) => ipv4 = r.i32()?,
            (2, TType::I16) => port = r.i16()?,
            (3, TType::Binary) => service_name = r.string()?,
            (4, TType::Binary) => ipv6 = Some(<[u8; 16]>::try_from(r.binary()?).map_err(|_| DecodeError::BadValue)?),
            (1..=4, _) => return Err(DecodeError::WrongType),
            _ => r.skip(ty)?,
        }
    }
    r.struct_end()?;
    Ok(Endpoint::from_wire(service_name, ipv4, port, ipv6))
}

fn read_annotation<'a, R: Reader<'a>>(r: &mut R) -> Result<Annotation<'a>, DecodeError> {
    r.struct_begin()?;
    let (mut timestamp, mut value, mut host) = (None, None, None);
    while let Some(FieldHeader { ty, id }) = r.field_begin()? {
        match (id, ty) {
            (1, TType::I64) => timestamp = Some(micros(r.i64()?)?),
            (2, TType::Binary) => value = Some(r.string()?),
            (3, TType::Struct) => host = Some(read_endpoint(r)?),
            (1..=3, _) => return Err(DecodeError::WrongType),
            _ => r.skip(ty)?,
        }
    }
    r.struct_end()?;
    Ok(Annotation {
        timestamp: timestamp.ok_or(DecodeError::MissingField)?,
        value: value.ok_or(DecodeError::MissingField)?,
        host,
    })
}

/// The value bytes of a binary annotation read as its `AnnotationType`.
fn typed_value(raw: &[u8], annotation_type: i32) -> Result<Value<'_>, DecodeError> {
    fn fixed<const K: usize>(raw: &[u8]) -> Result<[u8; K], DecodeError> {
        raw.try_into().map_err(|_| DecodeError::BadValue)
    }
    Ok(match annotation_type {
        0 => match fixed::<1>(raw)? {
            [0] => Value::Bool(false),
            [1] => Value::Bool(true),
            _ => return Err(DecodeError::BadValue),
        },
        1 => Value::Bytes(raw),
        2 => Value::I16(i16::from_be_bytes(fixed(raw)?)),
        3 => Value::I32(i32::from_be_bytes(fixed(raw)?)),
        4 => Value::I64(i64::from_be_bytes(fixed(raw)?)),
        5 => Value::Double(f64::from_bits(u64::from_be_bytes(fixed(raw)?))),
        6 => Value::String(utf8(raw)?),
        _ => return Err(DecodeError::BadAnnotationType),
    })
}

fn read_binary_annotation<'a, R: Reader<'a>>(r: &mut R) -> Result<BinaryAnnotation<'a>, DecodeError> {
    r.struct_begin()?;
    let (mut key, mut raw, mut annotation_type, mut host) = (None, None, None, None);
    while let Some(FieldHeader { ty, id }) = r.field_begin()? {
        match (id, ty) {
            (1, TType::Binary) => key = Some(r.string()?),
            (2, TType::Binary) => raw = Some(r.binary()?),
            (3, TType::I32) => annotation_type = Some(r.i32()?),
            (4, TType::Struct) => host = Some(read_endpoint(r)?),
            (1..=4, _) => return Err(DecodeError::WrongType),
            _ => r.skip(ty)?,
        }
    }
    r.struct_end()?;
    let raw = raw.ok_or(DecodeError::MissingField)?;
    Ok(BinaryAnnotation {
        key: key.ok_or(DecodeError::MissingField)?,
        value: typed_value(raw, annotation_type.ok_or(DecodeError::MissingField)?)?,
        host,
    })
}

/// Reads a `list<Annotation>` (`binary` false) or `list<BinaryAnnotation>` (`binary` true) into `events`.
fn read_events<'a, R: Reader<'a>, const N: usize>(
    r: &mut R,
    events: &mut heapless::Vec<Event<'a>, N>,
    binary: bool,
) -> Result<(), DecodeError> {
    let list = r.list_begin()?;
    if list.elem != TType::Struct {
        return Err(DecodeError::WrongType);
    }
    if list.len > N.saturating_sub(events.len()) {
        return Err(DecodeError::TooManyAnnotations);
    }
    for _ in 0..list.len {
        let event = if binary {
            Event::Tag(read_binary_annotation(r)?)
        } else {
            Event::Time(read_annotation(r)?)
        };
        events.push(event).map_err(|_| DecodeError::TooManyAnnotations)?;
    }
    Ok(())
}

/// Reads one Zipkin v1 `Span` struct with any protocol; unknown fields are skipped.
///
/// `trace_id` (1) and `id` (4) are required and must be non-zero; `trace_id_high` (12) joins the trace id
/// into 128 bits.
pub fn read_span<'a, R: Reader<'a>, const N: usize>(r: &mut R) -> Result<DecodedSpan<'a, N>, DecodeError> {
    r.struct_begin()?;
    let (mut trace_low, mut trace_high, mut span_id, mut parent_id) = (None, 0u64, None, None);
    let (mut name, mut events, mut debug, mut timestamp, mut duration) = ("", heapless::Vec::new(), false, None, None);
    while let Some(FieldHeader { ty, id }) = r.field_begin()? {
        match (id, ty) {
            (1, TType::I64) => trace_low = Some(r.i64()? as u64),
            (3, TType::Binary) => name = r.string()?,
            (4, TType::I64) => span_id = Some(r.i64()? as u64),
            (5, TType::I64) => parent_id = SpanId::new(r.i64()? as u64),
            (6, TType::List) => read_events(r, &mut events, false)?,
            (8, TType::List) => read_events(r, &mut events, true)?,
            (9, TType::Bool) => debug = r.bool()?,
            (10, TType::I64) => timestamp = Some(micros(r.i64()?)?),
            (11, TType::I64) => duration = Some(micros(r.i64()?)?),
            (12, TType::I64) => trace_high = r.i64()? as u64,
            (1 | 3..=6 | 8..=12, _) => return Err(DecodeError::WrongType),
            _ => r.skip(ty)?,
        }
    }
    r.struct_end()?;
    let trace_low = trace_low.ok_or(DecodeError::MissingField)?;
    let span_id = span_id.ok_or(DecodeError::MissingField)?;
    if trace_low == 0 {
        return Err(DecodeError::ZeroId);
    }
    Ok(DecodedSpan {
        trace_id: TraceId::new(trace_high, trace_low).ok_or(DecodeError::ZeroId)?,
        id: SpanId::new(span_id).ok_or(DecodeError::ZeroId)?,
        parent_id,
        name,
        events,
        debug,
        timestamp,
        duration,
    })
}

/// Decodes one TBinaryProtocol span (a Scribe message after base64) and says how many bytes it took.
///
/// ```
/// use tryfer_core::{SpanData, thrift::decode::{decode_binary_span, DecodedSpan}};
/// let bytes = [
///     0x0a, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, // 1: i64 trace_id = 1
///     0x0b, 0x00, 0x03, 0, 0, 0, 3, b'G', b'E', b'T', // 3: string name = "GET"
///     0x0a, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 2, // 4: i64 id = 2
///     0x0f, 0x00, 0x06, 0x0c, 0, 0, 0, 0, // 6: list<Annotation> annotations = []
///     0x0f, 0x00, 0x08, 0x0c, 0, 0, 0, 0, // 8: list<BinaryAnnotation> binary_annotations = []
///     0x00, // stop
/// ];
/// let (span, used): (DecodedSpan, usize) = decode_binary_span(&bytes).unwrap();
/// assert_eq!((span.trace_id().low(), span.id().get(), span.name()), (1, 2, "GET"));
/// assert_eq!(used, bytes.len());
/// ```
pub fn decode_binary_span<'a, const N: usize>(bytes: &'a [u8]) -> Result<(DecodedSpan<'a, N>, usize), DecodeError> {
    let mut r = BinaryReader::new(bytes);
    let span = read_span(&mut r)?;
    Ok((span, r.consumed()))
}

/// Decodes one TCompactProtocol span and says how many bytes it took.
///
/// ```
/// use tryfer_core::{SpanData, thrift::decode::{decode_compact_span, DecodedSpan}};
/// let bytes = [
///     0x16, 0x02, // 1: i64 trace_id = 1 (zigzag 2)
///     0x28, 3, b'G', b'E', b'T', // 3: string name = "GET"
///     0x16, 0x04, // 4: i64 id = 2
///     0x29, 0x0c, // 6: list<Annotation> = [] (count 0, type struct)
///     0x29, 0x0c, // 8: list<BinaryAnnotation> = []
///     0x11, // 9: bool debug = true (the value is in the header)
///     0x00, // stop
/// ];
/// let (span, used): (DecodedSpan, usize) = decode_compact_span(&bytes).unwrap();
/// assert_eq!((span.trace_id().low(), span.id().get(), span.debug()), (1, 2, true));
/// assert_eq!(used, bytes.len());
/// ```
pub fn decode_compact_span<'a, const N: usize>(bytes: &'a [u8]) -> Result<(DecodedSpan<'a, N>, usize), DecodeError> {
    let mut r = CompactReader::new(bytes);
    let span = read_span(&mut r)?;
    Ok((span, r.consumed()))
}

/// Decodes one span in whichever protocol [`Protocol::detect`] finds, or fails with
/// [`DecodeError::UnknownProtocol`].
pub fn decode_span<'a, const N: usize>(bytes: &'a [u8]) -> Result<(DecodedSpan<'a, N>, usize), DecodeError> {
    match Protocol::detect(bytes).ok_or(DecodeError::UnknownProtocol)? {
        Protocol::Binary => decode_binary_span(bytes),
        Protocol::Compact => decode_compact_span(bytes),
    }
}

/// Starts reading a `POST /api/v1/spans` body: a TBinaryProtocol `list<Span>`, yielded one span at a time.
///
/// The list header is checked here (element type struct, count no larger than the body); each span is decoded
/// as the iterator reaches it, so a body of any size needs room for one span only.
///
/// ```
/// use tryfer_core::thrift::decode::{decode_binary_span_list, SpanList};
/// // list<Span> with no spans.
/// let mut spans: SpanList = decode_binary_span_list(&[0x0c, 0, 0, 0, 0]).unwrap();
/// assert!(spans.next().is_none());
/// assert!(decode_binary_span_list::<64>(&[0x0c, 0, 0, 0, 9]).is_err());
/// ```
pub fn decode_binary_span_list<'a, const N: usize>(bytes: &'a [u8]) -> Result<SpanList<'a, N>, DecodeError> {
    let mut reader = BinaryReader::new(bytes);
    let header = reader.list_begin()?;
    if header.elem != TType::Struct {
        return Err(DecodeError::WrongType);
    }
    Ok(SpanList {
        reader,
        left: header.len,
    })
}

/// The spans of a binary `list<Span>`, decoded one by one; iteration stops after the first error.
#[derive(Debug, Clone)]
pub struct SpanList<'a, const N: usize = 64> {
    reader: BinaryReader<'a>,
    left: usize,
}

impl<'a, const N: usize> SpanList<'a, N> {
    /// How many spans the list header announced that were not read yet (0 after an error).
    pub fn left(&self) -> usize {
        self.left
    }

    /// The bytes after what was read so far: after the last span, anything trailing the list.
    pub fn rest(&self) -> &'a [u8] {
        self.reader.rest()
    }

    /// How many bytes were read so far, list header included.
    pub fn consumed(&self) -> usize {
        self.reader.consumed()
    }
}

impl<'a, const N: usize> Iterator for SpanList<'a, N> {
    type Item = Result<DecodedSpan<'a, N>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let span = read_span(&mut self.reader);
        if span.is_err() {
            self.left = 0;
        }
        Some(span)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left.min(1), Some(self.left))
    }
}

impl<const N: usize> FusedIterator for SpanList<'_, N> {}

#[cfg(test)]
mod test {
    use super::*;
    use crate::sink::EncodeError;
    use crate::thrift::binary::BinaryWriter;
    use crate::thrift::Writer;

    type Bytes = heapless::Vec<u8, 256>;

    /// A binary span with the given ids and whatever `extra` writes before the stop byte.
    fn span_with(
        trace_id: i64,
        id: i64,
        extra: impl FnOnce(&mut BinaryWriter<&mut Bytes>) -> Result<(), EncodeError>,
    ) -> Bytes {
        let mut out = Bytes::new();
        let mut w = BinaryWriter::new(&mut out);
        w.field_begin(TType::I64, 1).unwrap();
        w.i64(trace_id).unwrap();
        w.field_begin(TType::I64, 4).unwrap();
        w.i64(id).unwrap();
        extra(&mut w).unwrap();
        w.struct_end().unwrap();
        out
    }

    fn decode(bytes: &[u8]) -> Result<DecodedSpan<'_, 4>, DecodeError> {
        decode_binary_span(bytes).map(|(span, _)| span)
    }

    /// One binary annotation with the given value bytes and type.
    fn tag(raw: &'static [u8], ty: i32) -> impl FnOnce(&mut BinaryWriter<&mut Bytes>) -> Result<(), EncodeError> {
        move |w| {
            w.field_begin(TType::List, 8)?;
            w.list_begin(TType::Struct, 1)?;
            w.field_begin(TType::Binary, 1)?;
            w.binary(b"k")?;
            w.field_begin(TType::Binary, 2)?;
            w.binary(raw)?;
            w.field_begin(TType::I32, 3)?;
            w.i32(ty)?;
            w.struct_end()
        }
    }

    #[test]
    fn ids_are_required_and_non_zero() {
        let ok = span_with(-1, 7, |_| Ok(()));
        let span = decode(&ok).unwrap();
        assert_eq!((span.trace_id.low(), span.id.get()), (u64::MAX, 7));
        assert_eq!(span.events.len(), 0);
        assert_eq!(decode(&span_with(0, 7, |_| Ok(()))), Err(DecodeError::ZeroId));
        assert_eq!(decode(&span_with(1, 0, |_| Ok(()))), Err(DecodeError::ZeroId));
        // Only field 4 and a stop byte: no trace id.
        assert_eq!(
            decode(&[10, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
            Err(DecodeError::MissingField)
        );
    }

    #[test]
    fn trace_id_high_joins_and_zero_parent_is_none() {
        let bytes = span_with(5, 7, |w| {
            w.field_begin(TType::I64, 5)?;
            w.i64(0)?;
            w.field_begin(TType::I64, 12)?;
            w.i64(i64::MIN)
        });
        let span = decode(&bytes).unwrap();
        assert_eq!((span.trace_id.high(), span.trace_id.low()), (1 << 63, 5));
        assert_eq!(span.parent_id, None);
    }

    #[test]
    fn unknown_fields_are_skipped_and_known_ones_type_checked() {
        let bytes = span_with(1, 2, |w| {
            w.field_begin(TType::Map, 7)?; // an unknown map<string, list<i32>>
            w.byte(11)?;
            w.byte(15)?;
            w.i32(1)?;
            w.binary(b"x")?;
            w.list_begin(TType::I32, 2)?;
            w.i32(1)?;
            w.i32(2)?;
            w.field_begin(TType::Binary, 3)?;
            w.binary(b"name")
        });
        assert_eq!(decode(&bytes).unwrap().name, "name");
        let bytes = span_with(1, 2, |w| {
            w.field_begin(TType::I32, 10)?;
            w.i32(1)
        });
        assert_eq!(decode(&bytes), Err(DecodeError::WrongType));
    }

    #[test]
    fn binary_annotation_values_are_checked_against_their_type() {
        assert_eq!(decode(&span_with(1, 2, tag(&[1], 0))).unwrap().events[0], {
            Event::Tag(BinaryAnnotation {
                key: "k",
                value: Value::Bool(true),
                host: None,
            })
        });
        for (raw, ty) in [
            (&[1u8, 0][..], 0),
            (&[2][..], 0),
            (&[0][..], 2),
            (&[0; 3][..], 3),
            (&[0; 4][..], 4),
            (&[0; 9][..], 5),
        ] {
            assert_eq!(
                decode(&span_with(1, 2, tag(raw, ty))),
                Err(DecodeError::BadValue),
                "{raw:?} {ty}"
            );
        }
        assert_eq!(decode(&span_with(1, 2, tag(&[0xff], 6))), Err(DecodeError::BadUtf8));
        assert_eq!(
            decode(&span_with(1, 2, tag(b"", 7))),
            Err(DecodeError::BadAnnotationType)
        );
        assert_eq!(
            decode(&span_with(1, 2, tag(b"", -1))),
            Err(DecodeError::BadAnnotationType)
        );
    }

    #[test]
    fn negative_times_and_capacity_are_typed_errors() {
        let bytes = span_with(1, 2, |w| {
            w.field_begin(TType::I64, 11)?;
            w.i64(-1)
        });
        assert_eq!(decode(&bytes), Err(DecodeError::NegativeTime));
        let annotations = |n: usize| {
            span_with(1, 2, move |w| {
                w.field_begin(TType::List, 6)?;
                w.list_begin(TType::Struct, n)?;
                for _ in 0..n {
                    w.field_begin(TType::I64, 1)?;
                    w.i64(3)?;
                    w.field_begin(TType::Binary, 2)?;
                    w.binary(b"cs")?;
                    w.struct_end()?;
                }
                Ok(())
            })
        };
        assert_eq!(decode(&annotations(4)).unwrap().events.len(), 4);
        assert_eq!(decode(&annotations(5)), Err(DecodeError::TooManyAnnotations));
    }

    #[test]
    fn endpoints_read_signed_wire_values() {
        let bytes = span_with(1, 2, |w| {
            w.field_begin(TType::List, 6)?;
            w.list_begin(TType::Struct, 1)?;
            w.field_begin(TType::I64, 1)?;
            w.i64(3)?;
            w.field_begin(TType::Binary, 2)?;
            w.binary(b"sr")?;
            w.field_begin(TType::Struct, 3)?;
            w.field_begin(TType::I32, 1)?;
            w.i32(0xc0a8010au32 as i32)?;
            w.field_begin(TType::I16, 2)?;
            w.i16(-6888)?;
            w.field_begin(TType::Binary, 3)?;
            w.binary(b"svc")?;
            w.struct_end()?;
            w.struct_end()
        });
        let span = decode(&bytes).unwrap();
        let Event::Time(a) = span.events[0] else { panic!() };
        let host = a.host.unwrap();
        assert_eq!(host.ipv4, Some(core::net::Ipv4Addr::new(192, 168, 1, 10)));
        assert_eq!(host.port, Some(58648));
        assert_eq!(host.service_name, "svc");
    }

    #[test]
    fn span_list_stops_after_an_error() {
        let good = span_with(1, 2, |_| Ok(()));
        let mut body = std::vec![0x0c, 0, 0, 0, 3];
        body.extend_from_slice(&good);
        body.extend_from_slice(&span_with(0, 2, |_| Ok(())));
        body.extend_from_slice(&good);
        let mut spans = decode_binary_span_list::<4>(&body).unwrap();
        assert_eq!(spans.left(), 3);
        assert!(spans.next().unwrap().is_ok());
        assert_eq!(spans.next().unwrap().err(), Some(DecodeError::ZeroId));
        assert!(spans.next().is_none());
        assert_eq!(
            decode_binary_span_list::<4>(&[0x0b, 0, 0, 0, 0]).err(),
            Some(DecodeError::WrongType)
        );
    }
}
