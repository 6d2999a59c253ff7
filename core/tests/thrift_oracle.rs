//! Apache Thrift (the `thrift` crate) as an independent oracle for our Thrift encoders and decoders.
//!
//! A hand-written reader and writer of Zipkin's v1 `Span` (WIRE.md) over Apache's protocols hold the span in
//! wire types ([`WireSpan`]). What the wire must carry for a span is derived here, from WIRE.md, by
//! [`expected`]; it shares no code with `thrift/encode.rs`. Directions checked, for the golden cases and for
//! random spans, in both TBinaryProtocol and TCompactProtocol:
//! - our encoder's bytes, read by Apache, give exactly the expected wire span, fields in id order;
//! - Apache's bytes for the expected wire span equal our encoder's bytes;
//! - Apache's bytes (fields in any order, unknown fields mixed in) decode with our decoders to the span.
#![forbid(unsafe_code)]

mod common;
use common::golden::{golden, span_of, unhex};

use std::net::Ipv4Addr;

use ::thrift::protocol::{
    TBinaryInputProtocol, TBinaryOutputProtocol, TCompactInputProtocol, TCompactOutputProtocol, TFieldIdentifier,
    TInputProtocol, TListIdentifier, TMapIdentifier, TOutputProtocol, TSetIdentifier, TStructIdentifier, TType,
};
use common::arb::{arb_span, OwnedEndpoint, OwnedEvent, OwnedSpan, OwnedValue};
use common::{binary_bytes, compact_bytes};
use proptest::prelude::*;
use tryfer_core::sink::{measure, Slice};
use tryfer_core::thrift::decode::{
    decode_binary_span, decode_binary_span_list, decode_compact_span, DecodedSpan, SpanList,
};
use tryfer_core::thrift::encode_binary_span_list;
use tryfer_core::{SpanId, TraceId};

// ---- Zipkin's v1 structs in wire types, as generated Thrift code would hold them ----

#[derive(Debug, Clone, PartialEq, Default)]
struct WireEndpoint {
    ipv4: Option<i32>,
    port: Option<i16>,
    service_name: Option<String>,
    ipv6: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct WireAnnotation {
    timestamp: Option<i64>,
    value: Option<String>,
    host: Option<WireEndpoint>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct WireBinaryAnnotation {
    key: Option<String>,
    value: Option<Vec<u8>>,
    annotation_type: Option<i32>,
    host: Option<WireEndpoint>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct WireSpan {
    trace_id: Option<i64>,
    name: Option<String>,
    id: Option<i64>,
    parent_id: Option<i64>,
    annotations: Option<Vec<WireAnnotation>>,
    binary_annotations: Option<Vec<WireBinaryAnnotation>>,
    debug: Option<bool>,
    timestamp: Option<i64>,
    duration: Option<i64>,
    trace_id_high: Option<i64>,
}

// ---- What the wire must carry, from WIRE.md ----

fn expected_endpoint(e: &OwnedEndpoint) -> WireEndpoint {
    WireEndpoint {
        // "address packed big-endian, as two's complement"; absent is written as 0.
        ipv4: Some(e.ipv4.map_or(0, |a| u32::from(a) as i32)),
        // "unsigned meaning: 58648 travels as -6888".
        port: Some(e.port.map_or(0, |p| p as i16)),
        service_name: Some(e.service_name.clone()),
        ipv6: e.ipv6.map(|a| a.octets().to_vec()),
    }
}

/// A binary annotation's value bytes and `AnnotationType`: BOOL 0, BYTES 1, I16 2, I32 3, I64 4, DOUBLE 5,
/// STRING 6; numbers big-endian.
fn expected_value(v: &OwnedValue) -> (Vec<u8>, i32) {
    match v {
        OwnedValue::Bool(b) => (vec![u8::from(*b)], 0),
        OwnedValue::Bytes(b) => (b.clone(), 1),
        OwnedValue::I16(n) => (n.to_be_bytes().to_vec(), 2),
        OwnedValue::I32(n) => (n.to_be_bytes().to_vec(), 3),
        OwnedValue::I64(n) => (n.to_be_bytes().to_vec(), 4),
        OwnedValue::Double(bits) => (bits.to_be_bytes().to_vec(), 5),
        OwnedValue::String(s) => (s.as_bytes().to_vec(), 6),
    }
}

fn expected(span: &OwnedSpan) -> WireSpan {
    let mut annotations = Vec::new();
    let mut binary_annotations = Vec::new();
    for e in &span.events {
        match e {
            OwnedEvent::Time { timestamp, value, host } => annotations.push(WireAnnotation {
                timestamp: Some(i64::try_from(*timestamp).unwrap()),
                value: Some(value.clone()),
                host: host.as_ref().map(expected_endpoint),
            }),
            OwnedEvent::Tag { key, value, host } => {
                let (bytes, ty) = expected_value(value);
                binary_annotations.push(WireBinaryAnnotation {
                    key: Some(key.clone()),
                    value: Some(bytes),
                    annotation_type: Some(ty),
                    host: host.as_ref().map(expected_endpoint),
                })
            }
        }
    }
    WireSpan {
        trace_id: Some(span.trace_id.low() as i64),
        name: Some(span.name.clone()),
        id: Some(span.id.get() as i64),
        parent_id: span.parent_id.map(|p| p.get() as i64),
        // Both lists are always written, even empty.
        annotations: Some(annotations),
        binary_annotations: Some(binary_annotations),
        debug: span.debug.then_some(true),
        timestamp: span.timestamp.map(|t| i64::try_from(t).unwrap()),
        duration: span.duration.map(|d| i64::try_from(d).unwrap()),
        trace_id_high: span.trace_id.is_128().then_some(span.trace_id.high() as i64),
    }
}

// ---- Reading with Apache's protocols ----

type TResult<T> = ::thrift::Result<T>;

/// Reads a struct's fields, calling `field` for each; returns the field ids in wire order.
fn read_struct(
    p: &mut dyn TInputProtocol,
    mut field: impl FnMut(&mut dyn TInputProtocol, i16, TType) -> TResult<()>,
) -> TResult<Vec<i16>> {
    p.read_struct_begin()?;
    let mut ids = Vec::new();
    loop {
        let f = p.read_field_begin()?;
        if f.field_type == TType::Stop {
            break;
        }
        let id = f.id.expect("a field id");
        ids.push(id);
        field(p, id, f.field_type)?;
        p.read_field_end()?;
    }
    p.read_struct_end()?;
    Ok(ids)
}

fn unexpected(what: &str, id: i16, ty: TType) -> ! {
    panic!("{what}: unexpected field {id} of type {ty:?}")
}

fn assert_id_order(what: &str, ids: &[i16]) {
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "{what} fields not in id order: {ids:?}"
    );
}

fn read_endpoint(p: &mut dyn TInputProtocol) -> TResult<WireEndpoint> {
    let mut e = WireEndpoint::default();
    let ids = read_struct(p, |p, id, ty| {
        match (id, ty) {
            (1, TType::I32) => e.ipv4 = Some(p.read_i32()?),
            (2, TType::I16) => e.port = Some(p.read_i16()?),
            (3, TType::String) => e.service_name = Some(p.read_string()?),
            (4, TType::String) => e.ipv6 = Some(p.read_bytes()?),
            _ => unexpected("Endpoint", id, ty),
        }
        Ok(())
    })?;
    assert_id_order("Endpoint", &ids);
    Ok(e)
}

fn read_annotation(p: &mut dyn TInputProtocol) -> TResult<WireAnnotation> {
    let mut a = WireAnnotation::default();
    let ids = read_struct(p, |p, id, ty| {
        match (id, ty) {
            (1, TType::I64) => a.timestamp = Some(p.read_i64()?),
            (2, TType::String) => a.value = Some(p.read_string()?),
            (3, TType::Struct) => a.host = Some(read_endpoint(p)?),
            _ => unexpected("Annotation", id, ty),
        }
        Ok(())
    })?;
    assert_id_order("Annotation", &ids);
    Ok(a)
}

fn read_binary_annotation(p: &mut dyn TInputProtocol) -> TResult<WireBinaryAnnotation> {
    let mut b = WireBinaryAnnotation::default();
    let ids = read_struct(p, |p, id, ty| {
        match (id, ty) {
            (1, TType::String) => b.key = Some(p.read_string()?),
            (2, TType::String) => b.value = Some(p.read_bytes()?),
            (3, TType::I32) => b.annotation_type = Some(p.read_i32()?),
            (4, TType::Struct) => b.host = Some(read_endpoint(p)?),
            _ => unexpected("BinaryAnnotation", id, ty),
        }
        Ok(())
    })?;
    assert_id_order("BinaryAnnotation", &ids);
    Ok(b)
}

fn read_list<T>(p: &mut dyn TInputProtocol, item: fn(&mut dyn TInputProtocol) -> TResult<T>) -> TResult<Vec<T>> {
    let list = p.read_list_begin()?;
    assert_eq!(list.element_type, TType::Struct);
    let items = (0..list.size).map(|_| item(p)).collect::<TResult<Vec<T>>>()?;
    p.read_list_end()?;
    Ok(items)
}

fn read_span(p: &mut dyn TInputProtocol) -> TResult<WireSpan> {
    let mut s = WireSpan::default();
    let ids = read_struct(p, |p, id, ty| {
        match (id, ty) {
            (1, TType::I64) => s.trace_id = Some(p.read_i64()?),
            (3, TType::String) => s.name = Some(p.read_string()?),
            (4, TType::I64) => s.id = Some(p.read_i64()?),
            (5, TType::I64) => s.parent_id = Some(p.read_i64()?),
            (6, TType::List) => s.annotations = Some(read_list(p, read_annotation)?),
            (8, TType::List) => s.binary_annotations = Some(read_list(p, read_binary_annotation)?),
            (9, TType::Bool) => s.debug = Some(p.read_bool()?),
            (10, TType::I64) => s.timestamp = Some(p.read_i64()?),
            (11, TType::I64) => s.duration = Some(p.read_i64()?),
            (12, TType::I64) => s.trace_id_high = Some(p.read_i64()?),
            _ => unexpected("Span", id, ty),
        }
        Ok(())
    })?;
    assert_id_order("Span", &ids);
    Ok(s)
}

/// Apache's reading of a whole binary span; every byte must be used.
fn apache_read_binary(bytes: &[u8]) -> WireSpan {
    let mut rest = bytes;
    let span = read_span(&mut TBinaryInputProtocol::new(&mut rest, true)).unwrap();
    assert!(rest.is_empty(), "{} bytes left over", rest.len());
    span
}

/// Apache's reading of a whole compact span; every byte must be used.
fn apache_read_compact(bytes: &[u8]) -> WireSpan {
    let mut rest = bytes;
    let span = read_span(&mut TCompactInputProtocol::new(&mut rest)).unwrap();
    assert!(rest.is_empty(), "{} bytes left over", rest.len());
    span
}

// ---- Writing with Apache's protocols ----

fn field(p: &mut dyn TOutputProtocol, name: &str, ty: TType, id: i16) -> TResult<()> {
    p.write_field_begin(&TFieldIdentifier::new(name, ty, id))
}

fn end_field(p: &mut dyn TOutputProtocol) -> TResult<()> {
    p.write_field_end()
}

fn end_struct(p: &mut dyn TOutputProtocol) -> TResult<()> {
    p.write_field_stop()?;
    p.write_struct_end()
}

/// Unknown fields of every kind a reader must skip: strings, maps, sets, bool lists, nested structs.
fn write_unknown(p: &mut dyn TOutputProtocol, id: i16) -> TResult<()> {
    match id % 4 {
        0 => {
            field(p, "unknown_string", TType::String, id)?;
            p.write_string("skip me")?;
        }
        1 => {
            field(p, "unknown_map", TType::Map, id)?;
            p.write_map_begin(&TMapIdentifier::new(TType::String, TType::List, 2))?;
            for (k, v) in [("a", &[1, -1][..]), ("", &[][..])] {
                p.write_string(k)?;
                p.write_list_begin(&TListIdentifier::new(TType::I32, v.len() as i32))?;
                for n in v {
                    p.write_i32(*n)?;
                }
                p.write_list_end()?;
            }
            p.write_map_end()?;
        }
        2 => {
            field(p, "unknown_struct", TType::Struct, id)?;
            p.write_struct_begin(&TStructIdentifier::new("Unknown"))?;
            field(p, "flag", TType::Bool, 1)?;
            p.write_bool(true)?;
            end_field(p)?;
            field(p, "ratio", TType::Double, 2)?;
            p.write_double(1.5)?;
            end_field(p)?;
            field(p, "codes", TType::Set, 40)?;
            p.write_set_begin(&TSetIdentifier::new(TType::I16, 1))?;
            p.write_i16(-7)?;
            p.write_set_end()?;
            end_field(p)?;
            field(p, "flags", TType::List, 41)?;
            p.write_list_begin(&TListIdentifier::new(TType::Bool, 2))?;
            p.write_bool(true)?;
            p.write_bool(false)?;
            p.write_list_end()?;
            end_field(p)?;
            field(p, "empty", TType::Map, 42)?;
            p.write_map_begin(&TMapIdentifier::new(TType::I64, TType::I08, 0))?;
            p.write_map_end()?;
            end_field(p)?;
            end_struct(p)?;
        }
        _ => {
            field(p, "unknown_i64", TType::I64, id)?;
            p.write_i64(-1)?;
        }
    }
    end_field(p)
}

/// How to lay a span out: field order and unknown fields.
#[derive(Debug, Clone)]
struct Layout {
    /// Field ids in write order; ids Zipkin does not define stand for unknown fields.
    span_order: Vec<i16>,
    /// Unknown fields inside annotations, binary annotations and endpoints too.
    nested_unknown: bool,
    /// Write `debug = false` when the span is not debug, instead of leaving it out.
    explicit_debug: bool,
    /// Write a binary annotation's host first, out of id order.
    host_first: bool,
}

impl Layout {
    /// What our encoder does: known fields in id order, nothing else.
    fn canonical() -> Self {
        Layout {
            span_order: vec![1, 3, 4, 5, 6, 8, 9, 10, 11, 12],
            nested_unknown: false,
            explicit_debug: false,
            host_first: false,
        }
    }
}

fn write_endpoint(p: &mut dyn TOutputProtocol, e: &WireEndpoint, layout: &Layout) -> TResult<()> {
    p.write_struct_begin(&TStructIdentifier::new("Endpoint"))?;
    if layout.nested_unknown {
        write_unknown(p, 5)?;
    }
    if let Some(v) = e.ipv4 {
        field(p, "ipv4", TType::I32, 1)?;
        p.write_i32(v)?;
        end_field(p)?;
    }
    if let Some(v) = e.port {
        field(p, "port", TType::I16, 2)?;
        p.write_i16(v)?;
        end_field(p)?;
    }
    if let Some(v) = &e.service_name {
        field(p, "service_name", TType::String, 3)?;
        p.write_string(v)?;
        end_field(p)?;
    }
    if let Some(v) = &e.ipv6 {
        field(p, "ipv6", TType::String, 4)?;
        p.write_bytes(v)?;
        end_field(p)?;
    }
    end_struct(p)
}

fn write_annotation(p: &mut dyn TOutputProtocol, a: &WireAnnotation, layout: &Layout) -> TResult<()> {
    p.write_struct_begin(&TStructIdentifier::new("Annotation"))?;
    if let Some(v) = a.timestamp {
        field(p, "timestamp", TType::I64, 1)?;
        p.write_i64(v)?;
        end_field(p)?;
    }
    if layout.nested_unknown {
        write_unknown(p, 30)?;
    }
    if let Some(v) = &a.value {
        field(p, "value", TType::String, 2)?;
        p.write_string(v)?;
        end_field(p)?;
    }
    if let Some(h) = &a.host {
        field(p, "host", TType::Struct, 3)?;
        write_endpoint(p, h, layout)?;
        end_field(p)?;
    }
    end_struct(p)
}

fn write_binary_annotation(p: &mut dyn TOutputProtocol, b: &WireBinaryAnnotation, layout: &Layout) -> TResult<()> {
    p.write_struct_begin(&TStructIdentifier::new("BinaryAnnotation"))?;
    let host = |p: &mut dyn TOutputProtocol| -> TResult<()> {
        if let Some(h) = &b.host {
            field(p, "host", TType::Struct, 4)?;
            write_endpoint(p, h, layout)?;
            end_field(p)?;
        }
        Ok(())
    };
    if layout.host_first {
        host(p)?;
    }
    if let Some(v) = &b.key {
        field(p, "key", TType::String, 1)?;
        p.write_string(v)?;
        end_field(p)?;
    }
    if let Some(v) = &b.value {
        field(p, "value", TType::String, 2)?;
        p.write_bytes(v)?;
        end_field(p)?;
    }
    if let Some(v) = b.annotation_type {
        field(p, "annotation_type", TType::I32, 3)?;
        p.write_i32(v)?;
        end_field(p)?;
    }
    if !layout.host_first {
        host(p)?;
    }
    if layout.nested_unknown {
        write_unknown(p, 7)?;
    }
    end_struct(p)
}

fn write_list<T>(
    p: &mut dyn TOutputProtocol,
    items: &[T],
    layout: &Layout,
    item: fn(&mut dyn TOutputProtocol, &T, &Layout) -> TResult<()>,
) -> TResult<()> {
    p.write_list_begin(&TListIdentifier::new(TType::Struct, items.len() as i32))?;
    for i in items {
        item(p, i, layout)?;
    }
    p.write_list_end()
}

fn write_span(p: &mut dyn TOutputProtocol, s: &WireSpan, layout: &Layout) -> TResult<()> {
    p.write_struct_begin(&TStructIdentifier::new("Span"))?;
    let i64_field = |p: &mut dyn TOutputProtocol, name: &str, id: i16, v: Option<i64>| -> TResult<()> {
        if let Some(v) = v {
            field(p, name, TType::I64, id)?;
            p.write_i64(v)?;
            end_field(p)?;
        }
        Ok(())
    };
    for &id in &layout.span_order {
        match id {
            1 => i64_field(p, "trace_id", 1, s.trace_id)?,
            3 => {
                if let Some(v) = &s.name {
                    field(p, "name", TType::String, 3)?;
                    p.write_string(v)?;
                    end_field(p)?;
                }
            }
            4 => i64_field(p, "id", 4, s.id)?,
            5 => i64_field(p, "parent_id", 5, s.parent_id)?,
            6 => {
                if let Some(v) = &s.annotations {
                    field(p, "annotations", TType::List, 6)?;
                    write_list(p, v, layout, write_annotation)?;
                    end_field(p)?;
                }
            }
            8 => {
                if let Some(v) = &s.binary_annotations {
                    field(p, "binary_annotations", TType::List, 8)?;
                    write_list(p, v, layout, write_binary_annotation)?;
                    end_field(p)?;
                }
            }
            9 => {
                let debug = s.debug.or(layout.explicit_debug.then_some(false));
                if let Some(v) = debug {
                    field(p, "debug", TType::Bool, 9)?;
                    p.write_bool(v)?;
                    end_field(p)?;
                }
            }
            10 => i64_field(p, "timestamp", 10, s.timestamp)?,
            11 => i64_field(p, "duration", 11, s.duration)?,
            12 => i64_field(p, "trace_id_high", 12, s.trace_id_high)?,
            unknown => write_unknown(p, unknown)?,
        }
    }
    end_struct(p)
}

fn apache_write_binary(s: &WireSpan, layout: &Layout) -> Vec<u8> {
    let mut out = Vec::new();
    let mut p = TBinaryOutputProtocol::new(&mut out, true);
    write_span(&mut p, s, layout).unwrap();
    p.flush().unwrap();
    out
}

fn apache_write_compact(s: &WireSpan, layout: &Layout) -> Vec<u8> {
    let mut out = Vec::new();
    let mut p = TCompactOutputProtocol::new(&mut out);
    write_span(&mut p, s, layout).unwrap();
    p.flush().unwrap();
    out
}

// ---- The checks ----

/// Everything this file checks for one span.
fn check_span(span: &OwnedSpan, layout: &Layout) {
    let want = expected(span);
    let ours_binary = binary_bytes(span);
    let ours_compact = compact_bytes(span);

    // Ours, read by Apache.
    assert_eq!(apache_read_binary(&ours_binary), want, "binary, read by Apache");
    assert_eq!(apache_read_compact(&ours_compact), want, "compact, read by Apache");

    // Apache's canonical bytes are ours, byte for byte.
    assert!(
        apache_write_binary(&want, &Layout::canonical()) == ours_binary,
        "binary bytes differ from Apache's"
    );
    assert!(
        apache_write_compact(&want, &Layout::canonical()) == ours_compact,
        "compact bytes differ from Apache's"
    );

    // Apache's bytes, laid out as `layout` says, decoded by ours.
    // Our decoder keeps events in wire order: the two lists in whichever order the layout writes them.
    let mut in_wire_order = span.in_wire_order();
    let position = |id| layout.span_order.iter().position(|&i| i == id);
    if position(8) < position(6) {
        in_wire_order.events.sort_by_key(|e| e.is_time());
    }
    let theirs = apache_write_binary(&want, layout);
    let (decoded, used): (DecodedSpan, usize) = decode_binary_span(&theirs).unwrap();
    assert_eq!(OwnedSpan::of(&decoded), in_wire_order, "Apache binary, decoded by ours");
    assert_eq!(used, theirs.len());
    let theirs = apache_write_compact(&want, layout);
    let (decoded, used): (DecodedSpan, usize) = decode_compact_span(&theirs).unwrap();
    assert_eq!(
        OwnedSpan::of(&decoded),
        in_wire_order,
        "Apache compact, decoded by ours"
    );
    assert_eq!(used, theirs.len());
}

#[test]
fn golden_cases_agree_with_apache_thrift() {
    let golden = golden();
    let cases = golden["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let span = OwnedSpan::of(&span_of(&case["input"]));
        // The original tryfer's bytes read by Apache are the span WIRE.md describes.
        let original = unhex(case["thrift_binary_hex"].as_str().unwrap());
        assert_eq!(apache_read_binary(&original), expected(&span), "{}", case["case"]);
        check_span(&span, &Layout::canonical());
        let shuffled = Layout {
            span_order: vec![12, 2, 11, 10, 9, 8, 7, 6, 5, 4, 3, 1, 200],
            nested_unknown: true,
            explicit_debug: true,
            host_first: true,
        };
        check_span(&span, &shuffled);
    }
}

#[test]
fn golden_ports_and_addresses_travel_signed() {
    // Some golden case must exercise the sign rules, or the check above proves less than it seems.
    let golden = golden();
    let signed = golden["cases"].as_array().unwrap().iter().any(|case| {
        let wire = expected(&OwnedSpan::of(&span_of(&case["input"])));
        let hosts = wire.annotations.iter().flatten().filter_map(|a| a.host.as_ref());
        let hosts: Vec<_> = hosts
            .chain(wire.binary_annotations.iter().flatten().filter_map(|b| b.host.as_ref()))
            .collect();
        hosts.iter().any(|h| h.ipv4.unwrap() < 0) || hosts.iter().any(|h| h.port.unwrap() < 0)
    });
    assert!(signed, "no golden case has a negative wire ipv4 or port");
}

#[test]
fn span_lists_both_ways() {
    let spans: Vec<OwnedSpan> = golden()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| OwnedSpan::of(&span_of(&case["input"])))
        .collect();

    // Ours, read by Apache as list<Span>.
    let len = measure(|c| encode_binary_span_list(spans.iter(), c)).unwrap();
    let mut body = vec![0; len];
    encode_binary_span_list(spans.iter(), Slice::new(&mut body)).unwrap();
    let mut rest = &body[..];
    let mut p = TBinaryInputProtocol::new(&mut rest, true);
    let read = read_list(&mut p, read_span).unwrap();
    assert!(rest.is_empty());
    assert_eq!(read, spans.iter().map(expected).collect::<Vec<_>>());

    // Apache's list<Span>, decoded by ours.
    let mut theirs = Vec::new();
    let mut p = TBinaryOutputProtocol::new(&mut theirs, true);
    let wire: Vec<WireSpan> = spans.iter().map(expected).collect();
    write_list(&mut p, &wire, &Layout::canonical(), write_span).unwrap();
    p.flush().unwrap();
    assert_eq!(theirs, body);
    let mut list: SpanList = decode_binary_span_list(&theirs).unwrap();
    assert_eq!(list.left(), spans.len());
    let decoded: Vec<OwnedSpan> = list.by_ref().map(|s| OwnedSpan::of(&s.unwrap())).collect();
    assert_eq!(decoded, spans.iter().map(OwnedSpan::in_wire_order).collect::<Vec<_>>());
    assert!(list.rest().is_empty());
}

#[test]
fn a_128_bit_debug_span_with_every_value_type() {
    // One fixed span touching every optional field, so a failure here is easy to read.
    let host = OwnedEndpoint {
        service_name: "sensor-7".into(),
        ipv4: Some(Ipv4Addr::new(192, 168, 1, 10)),
        ipv6: Some("2001:db8::1".parse().unwrap()),
        port: Some(58648),
    };
    let values = [
        OwnedValue::Bool(true),
        OwnedValue::Bytes(vec![0, 0xff]),
        OwnedValue::I16(-2),
        OwnedValue::I32(i32::MIN),
        OwnedValue::I64(i64::MAX),
        OwnedValue::Double((-0.5f64).to_bits()),
        OwnedValue::String("caf\u{e9}".into()),
    ];
    let mut events = vec![OwnedEvent::Time {
        timestamp: 1_700_000_000_000_000,
        value: "sr".into(),
        host: Some(host.clone()),
    }];
    events.extend(values.into_iter().map(|value| OwnedEvent::Tag {
        key: "k".into(),
        value,
        host: Some(host.clone()),
    }));
    let span = OwnedSpan {
        trace_id: TraceId::parse("80f198ee56343ba864fe8b2a57d3eff7").unwrap(),
        id: SpanId::new(u64::MAX).unwrap(),
        parent_id: SpanId::new(1 << 63),
        name: "GET".into(),
        events,
        debug: true,
        timestamp: Some(1_700_000_000_000_000),
        duration: Some(1),
    };
    let wire = apache_read_binary(&binary_bytes(&span));
    assert_eq!(wire.trace_id_high, Some(0x80f198ee56343ba8u64 as i64));
    assert_eq!(wire.debug, Some(true));
    let host = wire.annotations.as_ref().unwrap()[0].host.clone().unwrap();
    assert_eq!((host.ipv4, host.port), (Some(0xc0a8010au32 as i32), Some(-6888)));
    check_span(&span, &Layout::canonical());
}

fn arb_layout() -> impl Strategy<Value = Layout> {
    let ids = vec![1i16, 3, 4, 5, 6, 8, 9, 10, 11, 12];
    (
        Just(ids).prop_shuffle(),
        proptest::collection::vec(prop_oneof![Just(2i16), Just(7), Just(13), Just(16), Just(300)], 0..3),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mut order, unknown, nested_unknown, explicit_debug, host_first)| {
            for (i, id) in unknown.into_iter().enumerate() {
                let at = (i * 3) % (order.len() + 1);
                order.insert(at, id);
            }
            Layout {
                span_order: order,
                nested_unknown,
                explicit_debug,
                host_first,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_spans_agree_with_apache_thrift(span in arb_span(), layout in arb_layout()) {
        check_span(&span, &layout);
    }

    #[test]
    fn long_lists_use_the_long_header_form(span in common::arb::arb_span_with(40)) {
        // More than 14 annotations switches compact lists to the varint count.
        check_span(&span, &Layout::canonical());
    }
}
