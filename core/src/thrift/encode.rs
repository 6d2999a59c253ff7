//! Zipkin's v1 `Span` schema, written once for every Thrift protocol.
//!
//! Rules from Zipkin (see WIRE.md): fields in id order; both annotation lists always written, even empty
//! (Finagle compatibility); ids as `i64` bit patterns; `trace_id_high` only for 128-bit traces; `ipv4`/`port`
//! as signed bit patterns.
//!
//! Size and speed: the public functions are generic over the [`Sink`], but they all hand it to one compiled copy
//! of the schema per protocol (writing through a small stack stage in front of a `dyn Sink`), so a firmware that
//! encodes into a slice, measures with a `Counter` and streams base64 carries the schema once, and a field costs
//! a copy into the stage rather than a dynamic call. The list lengths come from [`SpanData::event_counts`], and
//! each list from [`SpanData::annotations`] / [`SpanData::binary_annotations`], so every event is built once.

use super::binary::BinaryWriter;
use super::compact::CompactWriter;
use super::{TType, Writer};
use crate::annotation::{Annotation, BinaryAnnotation, Value};
use crate::endpoint::Endpoint;
use crate::sink::{measure, EncodeError, Sink, Staged};
use crate::span::SpanData;

/// A µs timestamp as Thrift's `i64` (values past `i64::MAX`, in the year 294247, are clamped).
fn micros(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn write_endpoint<W: Writer>(w: &mut W, e: &Endpoint<'_>) -> Result<(), EncodeError> {
    w.struct_begin()?;
    w.field_begin(TType::I32, 1)?;
    w.i32(e.ipv4_i32())?;
    w.field_begin(TType::I16, 2)?;
    w.i16(e.port_i16())?;
    w.field_begin(TType::Binary, 3)?;
    w.binary(e.service_name.as_bytes())?;
    if let Some(v6) = e.ipv6 {
        w.field_begin(TType::Binary, 4)?;
        w.binary(&v6.octets())?;
    }
    w.struct_end()
}

fn write_annotation<W: Writer>(w: &mut W, a: &Annotation<'_>) -> Result<(), EncodeError> {
    w.struct_begin()?;
    w.field_begin(TType::I64, 1)?;
    w.i64(micros(a.timestamp))?;
    w.field_begin(TType::Binary, 2)?;
    w.binary(a.value.as_bytes())?;
    if let Some(host) = &a.host {
        w.field_begin(TType::Struct, 3)?;
        write_endpoint(w, host)?;
    }
    w.struct_end()
}

fn write_binary_annotation<W: Writer>(w: &mut W, b: &BinaryAnnotation<'_>) -> Result<(), EncodeError> {
    w.struct_begin()?;
    w.field_begin(TType::Binary, 1)?;
    w.binary(b.key.as_bytes())?;
    w.field_begin(TType::Binary, 2)?;
    let mut scalar = [0u8; 8];
    let bytes: &[u8] = match b.value {
        Value::Bool(v) => {
            scalar[0] = u8::from(v);
            &scalar[..1]
        }
        Value::Bytes(v) => v,
        Value::I16(v) => {
            scalar[..2].copy_from_slice(&v.to_be_bytes());
            &scalar[..2]
        }
        Value::I32(v) => {
            scalar[..4].copy_from_slice(&v.to_be_bytes());
            &scalar[..4]
        }
        Value::I64(v) => {
            scalar = v.to_be_bytes();
            &scalar
        }
        Value::Double(v) => {
            scalar = v.to_bits().to_be_bytes();
            &scalar
        }
        Value::String(v) => v.as_bytes(),
    };
    w.binary(bytes)?;
    w.field_begin(TType::I32, 3)?;
    w.i32(b.value.annotation_type())?;
    if let Some(host) = &b.host {
        w.field_begin(TType::Struct, 4)?;
        write_endpoint(w, host)?;
    }
    w.struct_end()
}

/// Writes one Zipkin v1 `Span` struct with any protocol.
pub fn write_span<W: Writer, D: SpanData + ?Sized>(w: &mut W, span: &D) -> Result<(), EncodeError> {
    w.struct_begin()?;
    w.field_begin(TType::I64, 1)?;
    w.i64(span.trace_id().low() as i64)?;
    w.field_begin(TType::Binary, 3)?;
    w.binary(span.name().as_bytes())?;
    w.field_begin(TType::I64, 4)?;
    w.i64(span.id().get() as i64)?;
    if let Some(parent) = span.parent_id() {
        w.field_begin(TType::I64, 5)?;
        w.i64(parent.get() as i64)?;
    }
    let (annotations, tags) = span.event_counts();
    w.field_begin(TType::List, 6)?;
    w.list_begin(TType::Struct, annotations)?;
    for a in span.annotations() {
        write_annotation(w, &a)?;
    }
    w.field_begin(TType::List, 8)?;
    w.list_begin(TType::Struct, tags)?;
    for b in span.binary_annotations() {
        write_binary_annotation(w, &b)?;
    }
    if span.debug() {
        w.bool_field(9, true)?;
    }
    if let Some(ts) = span.timestamp() {
        w.field_begin(TType::I64, 10)?;
        w.i64(micros(ts))?;
    }
    if let Some(d) = span.duration() {
        w.field_begin(TType::I64, 11)?;
        w.i64(micros(d))?;
    }
    if span.trace_id().is_128() {
        w.field_begin(TType::I64, 12)?;
        w.i64(span.trace_id().high() as i64)?;
    }
    w.struct_end()
}

/// Writes `span` in TBinaryProtocol into any sink: the one compiled copy of the schema for binary spans, shared
/// by every sink type through [`Staged`].
pub(crate) fn binary_span<D: SpanData + ?Sized>(span: &D, sink: &mut dyn Sink) -> Result<(), EncodeError> {
    let mut staged = Staged::new(sink);
    write_span(&mut BinaryWriter::new(&mut staged), span)?;
    staged.finish()
}

/// [`binary_span`] in TCompactProtocol.
pub(crate) fn compact_span<D: SpanData + ?Sized>(span: &D, sink: &mut dyn Sink) -> Result<(), EncodeError> {
    let mut staged = Staged::new(sink);
    write_span(&mut CompactWriter::new(&mut staged), span)?;
    staged.finish()
}

/// Writes `span` as a TBinaryProtocol `Span`: what Scribe messages and `POST /api/v1/spans` carry.
///
/// ```
/// use tryfer_core::{Span, SpanContext, SpanId, TraceId, Sampling, sink::Slice, thrift};
/// let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
/// let mut span: Span = Span::new(ctx, "test_raw_zipkin");
/// span.annotate("cs", 1, None).unwrap();
/// let mut buf = [0u8; 128];
/// let mut out = Slice::new(&mut buf);
/// thrift::encode_binary_span(&span, &mut out).unwrap();
/// assert_eq!(out.len(), thrift::binary_span_len(&span).unwrap());
/// assert_eq!(&out.written()[..11], &[0x0a, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1]);
/// ```
pub fn encode_binary_span<S: Sink, D: SpanData + ?Sized>(span: &D, mut sink: S) -> Result<(), EncodeError> {
    // As `&D`: the instance a Scribe batch of `&D` items uses too, so firmware carries one copy.
    binary_span(&span, &mut sink)
}

/// The exact length of [`encode_binary_span`]'s output.
pub fn binary_span_len<D: SpanData + ?Sized>(span: &D) -> Result<usize, EncodeError> {
    measure(|counter| binary_span(&span, counter))
}

/// Writes `span` as a TCompactProtocol `Span` (opt-in; only tryfer's own sink reads it).
pub fn encode_compact_span<S: Sink, D: SpanData + ?Sized>(span: &D, mut sink: S) -> Result<(), EncodeError> {
    compact_span(&span, &mut sink)
}

/// Writes the body of `POST /api/v1/spans`: a TBinaryProtocol `list<Span>` with no message header.
pub fn encode_binary_span_list<S, I, D>(spans: I, mut sink: S) -> Result<(), EncodeError>
where
    S: Sink,
    I: IntoIterator<Item = D>,
    I::IntoIter: ExactSizeIterator,
    D: SpanData,
{
    let spans = spans.into_iter();
    let mut staged = Staged::new(&mut sink);
    let mut w = BinaryWriter::new(&mut staged);
    w.list_begin(TType::Struct, spans.len())?;
    for span in spans {
        write_span(&mut w, &span)?;
    }
    staged.finish()
}
