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
//!
//! On a host (any target with an OS, where flash is not scarce) TBinaryProtocol goes faster: a fixed-layout
//! copy of the schema writes each struct's fixed part in one write, and [`encode_binary_span`] /
//! [`binary_span_len`] compile it for the caller's sink (no stage, no dynamic call). Bare metal keeps the generic
//! schema behind the stage. Both write the same bytes (a unit test compares them; the QEMU tests run the other).

use super::binary::{length_i32, BinaryWriter};
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

// The fixed-layout binary writer below is for hosts; bare metal uses `write_span` (see `binary_span`).
/// Field header bytes of TBinaryProtocol: type code, then the id as big-endian `i16`.
#[cfg_attr(target_os = "none", allow(dead_code))]
const fn field(ty: TType, id: i16) -> [u8; 3] {
    let id = id.to_be_bytes();
    [ty.binary_code(), id[0], id[1]]
}

/// A string's length as TBinaryProtocol's big-endian `i32`.
#[cfg_attr(target_os = "none", allow(dead_code))]
fn binary_len(bytes: &[u8]) -> Result<[u8; 4], EncodeError> {
    Ok(length_i32(bytes.len())?.to_be_bytes())
}

/// Writes an `Endpoint` struct in TBinaryProtocol behind a 3-byte field header, the fixed part in one write.
#[cfg_attr(target_os = "none", allow(dead_code))]
fn binary_endpoint<S: Sink + ?Sized>(out: &mut S, head: [u8; 3], e: &Endpoint<'_>) -> Result<(), EncodeError> {
    let [h0, h1, h2] = head;
    let [i0, i1, i2, i3] = e.ipv4_i32().to_be_bytes();
    let [p0, p1] = e.port_i16().to_be_bytes();
    let name = e.service_name.as_bytes();
    let [n0, n1, n2, n3] = binary_len(name)?;
    #[rustfmt::skip]
    out.try_extend(&[
        h0, h1, h2,
        0x08, 0, 1, i0, i1, i2, i3,
        0x06, 0, 2, p0, p1,
        0x0b, 0, 3, n0, n1, n2, n3,
    ])?;
    out.try_extend(name)?;
    if let Some(v6) = e.ipv6 {
        out.try_extend(&[0x0b, 0, 4, 0, 0, 0, 16])?;
        out.try_extend(&v6.octets())?;
    }
    out.try_push(0)
}

/// Writes a binary annotation's value bytes with their length header.
#[cfg_attr(target_os = "none", allow(dead_code))]
fn binary_value<S: Sink + ?Sized>(out: &mut S, value: &Value<'_>) -> Result<(), EncodeError> {
    let head = field(TType::Binary, 2);
    let mut scalar = [0u8; 15];
    let fixed = |len: u8| [head[0], head[1], head[2], 0, 0, 0, len];
    let bytes: &[u8] = match *value {
        Value::Bytes(v) => v,
        Value::String(v) => v.as_bytes(),
        Value::Bool(v) => {
            let [a, b, c, d, e, f, g] = fixed(1);
            scalar[..8].copy_from_slice(&[a, b, c, d, e, f, g, u8::from(v)]);
            return out.try_extend(&scalar[..8]);
        }
        Value::I16(v) => {
            scalar[..7].copy_from_slice(&fixed(2));
            scalar[7..9].copy_from_slice(&v.to_be_bytes());
            return out.try_extend(&scalar[..9]);
        }
        Value::I32(v) => {
            scalar[..7].copy_from_slice(&fixed(4));
            scalar[7..11].copy_from_slice(&v.to_be_bytes());
            return out.try_extend(&scalar[..11]);
        }
        Value::I64(v) => {
            scalar[..7].copy_from_slice(&fixed(8));
            scalar[7..].copy_from_slice(&v.to_be_bytes());
            return out.try_extend(&scalar);
        }
        Value::Double(v) => {
            scalar[..7].copy_from_slice(&fixed(8));
            scalar[7..].copy_from_slice(&v.to_bits().to_be_bytes());
            return out.try_extend(&scalar);
        }
    };
    let [l0, l1, l2, l3] = binary_len(bytes)?;
    out.try_extend(&[head[0], head[1], head[2], l0, l1, l2, l3])?;
    out.try_extend(bytes)
}

/// [`write_span`] for TBinaryProtocol written out by hand: the fixed-layout parts of each struct go to the sink
/// in one write (same bytes, fewer calls). The compact protocol keeps the generic schema.
#[cfg_attr(target_os = "none", allow(dead_code))]
fn write_binary_span<S: Sink + ?Sized, D: SpanData + ?Sized>(out: &mut S, span: &D) -> Result<(), EncodeError> {
    let trace = span.trace_id();
    let name = span.name().as_bytes();
    let [t0, t1, t2, t3, t4, t5, t6, t7] = trace.low().to_be_bytes();
    let [n0, n1, n2, n3] = binary_len(name)?;
    #[rustfmt::skip]
    out.try_extend(&[
        0x0a, 0, 1, t0, t1, t2, t3, t4, t5, t6, t7,
        0x0b, 0, 3, n0, n1, n2, n3,
    ])?;
    out.try_extend(name)?;
    let [s0, s1, s2, s3, s4, s5, s6, s7] = span.id().get().to_be_bytes();
    let mut ids = [
        0x0a, 0, 4, s0, s1, s2, s3, s4, s5, s6, s7, 0x0a, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let ids: &[u8] = match span.parent_id() {
        Some(parent) => {
            ids[14..].copy_from_slice(&parent.get().to_be_bytes());
            &ids
        }
        None => &ids[..11],
    };
    out.try_extend(ids)?;

    let (annotations, tags) = span.event_counts();
    let [c0, c1, c2, c3] = length_i32(annotations)?.to_be_bytes();
    out.try_extend(&[0x0f, 0, 6, 0x0c, c0, c1, c2, c3])?;
    for a in span.annotations() {
        let [m0, m1, m2, m3, m4, m5, m6, m7] = micros(a.timestamp).to_be_bytes();
        let value = a.value.as_bytes();
        let [v0, v1, v2, v3] = binary_len(value)?;
        #[rustfmt::skip]
        out.try_extend(&[
            0x0a, 0, 1, m0, m1, m2, m3, m4, m5, m6, m7,
            0x0b, 0, 2, v0, v1, v2, v3,
        ])?;
        out.try_extend(value)?;
        if let Some(host) = &a.host {
            binary_endpoint(out, field(TType::Struct, 3), host)?;
        }
        out.try_push(0)?;
    }
    let [c0, c1, c2, c3] = length_i32(tags)?.to_be_bytes();
    out.try_extend(&[0x0f, 0, 8, 0x0c, c0, c1, c2, c3])?;
    for b in span.binary_annotations() {
        let key = b.key.as_bytes();
        let [k0, k1, k2, k3] = binary_len(key)?;
        out.try_extend(&[0x0b, 0, 1, k0, k1, k2, k3])?;
        out.try_extend(key)?;
        binary_value(out, &b.value)?;
        let [y0, y1, y2, y3] = b.value.annotation_type().to_be_bytes();
        out.try_extend(&[0x08, 0, 3, y0, y1, y2, y3])?;
        if let Some(host) = &b.host {
            binary_endpoint(out, field(TType::Struct, 4), host)?;
        }
        out.try_push(0)?;
    }

    // The optional tail (debug, timestamp, duration, high trace id) and the stop byte, in one write.
    let mut tail = [0u8; 4 + 3 * 11 + 1];
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        if let Some(dst) = tail.get_mut(len..len + bytes.len()) {
            dst.copy_from_slice(bytes);
            len += bytes.len();
        }
    };
    if span.debug() {
        put(&[0x02, 0, 9, 1]);
    }
    for (id, value) in [
        (10, span.timestamp().map(micros)),
        (11, span.duration().map(micros)),
        (12, trace.is_128().then(|| trace.high() as i64)),
    ] {
        if let Some(v) = value {
            let [v0, v1, v2, v3, v4, v5, v6, v7] = v.to_be_bytes();
            put(&[0x0a, 0, id, v0, v1, v2, v3, v4, v5, v6, v7]);
        }
    }
    put(&[0]);
    out.try_extend(tail.get(..len).unwrap_or_default())
}

/// Writes `span` in TBinaryProtocol into any sink: the one compiled copy of the schema for binary spans, shared
/// by every sink type through [`Staged`].
pub(crate) fn binary_span<D: SpanData + ?Sized>(span: &D, sink: &mut dyn Sink) -> Result<(), EncodeError> {
    let mut staged = Staged::new(sink);
    binary_schema(&mut staged, span)?;
    staged.finish()
}

/// The binary `Span` schema: bare metal keeps the generic [`write_span`] (smaller code), a host the
/// fixed-layout copy (faster); both write the same bytes.
fn binary_schema<S: Sink + ?Sized, D: SpanData + ?Sized>(out: &mut S, span: &D) -> Result<(), EncodeError> {
    #[cfg(target_os = "none")]
    return write_span(&mut BinaryWriter::new(out), span);
    #[cfg(not(target_os = "none"))]
    return write_binary_span(out, span);
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
    // Bare metal: as `&D` through the stage, the instance a Scribe batch of `&D` items uses too, so firmware
    // carries one copy. A host (an OS target) has flash to spare: there the schema is compiled for each sink,
    // which writes straight into it (about twice as fast as going through the stage).
    #[cfg(target_os = "none")]
    return binary_span(&span, &mut sink);
    #[cfg(not(target_os = "none"))]
    return write_binary_span(&mut sink, span);
}

/// The exact length of [`encode_binary_span`]'s output.
pub fn binary_span_len<D: SpanData + ?Sized>(span: &D) -> Result<usize, EncodeError> {
    #[cfg(target_os = "none")]
    return measure(|counter| binary_span(&span, counter));
    #[cfg(not(target_os = "none"))]
    return measure(|counter| write_binary_span(counter, span));
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
    BinaryWriter::new(&mut staged).list_begin(TType::Struct, spans.len())?;
    for span in spans {
        binary_schema(&mut staged, &span)?;
    }
    staged.finish()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::annotation::Value;
    use crate::context::{Sampling, SpanContext};
    use crate::id::{SpanId, TraceId};
    use crate::span::Span;
    use core::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn fixed_layout_writer_matches_the_generic_schema() {
        let v4 = Endpoint::v4("svc", Ipv4Addr::new(192, 168, 1, 10), 58648);
        let v6 = Endpoint {
            ipv6: Some(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            ..Endpoint::service("six")
        };
        let values = [
            Value::Bool(true),
            Value::Bytes(&[0, 0xff]),
            Value::I16(-2),
            Value::I32(70_000),
            Value::I64(-1),
            Value::Double(21.5),
            Value::String("s"),
        ];
        for (trace, parent, debug, timing) in [
            (TraceId::from_u64(1).unwrap(), None, false, None),
            (
                TraceId::new(7, 9).unwrap(),
                SpanId::new(3),
                true,
                Some((5u64, u64::MAX)),
            ),
        ] {
            let ctx = SpanContext {
                trace_id: trace,
                span_id: SpanId::new(2).unwrap(),
                parent_id: parent,
                sampling: Sampling::Accept,
                debug,
            };
            let mut span: Span<16, 256> = Span::new(ctx, "name");
            span.annotate("cs", 1, Some(&v4)).unwrap();
            span.annotate("custom", u64::MAX, None).unwrap();
            for (i, value) in values.iter().enumerate() {
                let host = [None, Some(&v4), Some(&v6)][i % 3];
                span.tag("k", *value, host).unwrap();
            }
            if let Some((ts, d)) = timing {
                span.set_timestamp(ts);
                span.set_duration(d);
            }
            let mut fixed = heapless::Vec::<u8, 1024>::new();
            write_binary_span(&mut fixed, &span).unwrap();
            let mut generic = heapless::Vec::<u8, 1024>::new();
            write_span(&mut BinaryWriter::new(&mut generic), &span).unwrap();
            assert_eq!(fixed, generic);
        }
    }
}
