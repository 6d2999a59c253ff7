//! Zipkin's v1 structs (`zipkinCore.thrift`) and Scribe's `Log` call (`scribe.thrift`) for Apache's `thrift`
//! crate, written the way Apache's Rust code generator emits them: owned fields in `Option`s and
//! [`TSerializable::write_to_out_protocol`] over a `&mut dyn TOutputProtocol`, one `write_*` call per token.
//! This is the peer of tryfer's encoders: what a Rust program that uses Apache Thrift for Zipkin would run.

use thrift::protocol::{
    TFieldIdentifier, TInputProtocol, TListIdentifier, TMessageIdentifier, TMessageType, TOutputProtocol,
    TSerializable, TStructIdentifier, TType,
};

use crate::typical;

/// Reading is not compared: the generated readers are left out, and calling one is an error.
fn unread<T>() -> thrift::Result<T> {
    Err(thrift::new_application_error(
        thrift::ApplicationErrorKind::Unknown,
        "not generated for the benchmarks",
    ))
}

/// `struct Endpoint { 1: i32 ipv4, 2: i16 port, 3: string service_name, 4: optional binary ipv6 }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Endpoint {
    /// IPv4 packed big-endian into an `i32`.
    pub ipv4: Option<i32>,
    /// The port's bits as an `i16`.
    pub port: Option<i16>,
    /// The service name.
    pub service_name: Option<String>,
    /// IPv6 address bytes.
    pub ipv6: Option<Vec<u8>>,
}

/// `struct Annotation { 1: i64 timestamp, 2: string value, 3: optional Endpoint host }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Annotation {
    /// µs since the epoch.
    pub timestamp: Option<i64>,
    /// `cs`, `cr`, ...
    pub value: Option<String>,
    /// Where it happened.
    pub host: Option<Endpoint>,
}

/// `struct BinaryAnnotation { 1: string key, 2: binary value, 3: AnnotationType annotation_type,
/// 4: optional Endpoint host }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BinaryAnnotation {
    /// The tag's name.
    pub key: Option<String>,
    /// The value's bytes.
    pub value: Option<Vec<u8>>,
    /// `AnnotationType` (STRING is 6, BOOL 0).
    pub annotation_type: Option<i32>,
    /// The endpoint the tag describes.
    pub host: Option<Endpoint>,
}

/// `struct Span`, fields 1, 3, 4, 5, 6, 8, 9, 10, 11, 12.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Span {
    /// Low 64 bits of the trace id.
    pub trace_id: Option<i64>,
    /// The span name.
    pub name: Option<String>,
    /// The span id.
    pub id: Option<i64>,
    /// The parent span id.
    pub parent_id: Option<i64>,
    /// Timestamp annotations.
    pub annotations: Option<Vec<Annotation>>,
    /// Binary annotations.
    pub binary_annotations: Option<Vec<BinaryAnnotation>>,
    /// Debug flag.
    pub debug: Option<bool>,
    /// Start, µs since the epoch.
    pub timestamp: Option<i64>,
    /// Duration in µs.
    pub duration: Option<i64>,
    /// High 64 bits of a 128-bit trace id.
    pub trace_id_high: Option<i64>,
}

/// `struct LogEntry { 1: string category, 2: string message }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogEntry {
    /// `zipkin`.
    pub category: Option<String>,
    /// Base64 of one Thrift span.
    pub message: Option<String>,
}

/// The args struct of `ResultCode Log(1: list<LogEntry> messages)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogArgs {
    /// The entries.
    pub messages: Vec<LogEntry>,
}

fn write_list<T: TSerializable>(o: &mut dyn TOutputProtocol, items: &[T]) -> thrift::Result<()> {
    o.write_list_begin(&TListIdentifier::new(TType::Struct, items.len() as i32))?;
    for item in items {
        item.write_to_out_protocol(o)?;
    }
    o.write_list_end()
}

impl TSerializable for Endpoint {
    fn read_from_in_protocol(_: &mut dyn TInputProtocol) -> thrift::Result<Self> {
        unread()
    }

    fn write_to_out_protocol(&self, o: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        o.write_struct_begin(&TStructIdentifier::new("Endpoint"))?;
        if let Some(v) = self.ipv4 {
            o.write_field_begin(&TFieldIdentifier::new("ipv4", TType::I32, 1))?;
            o.write_i32(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = self.port {
            o.write_field_begin(&TFieldIdentifier::new("port", TType::I16, 2))?;
            o.write_i16(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.service_name {
            o.write_field_begin(&TFieldIdentifier::new("service_name", TType::String, 3))?;
            o.write_string(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.ipv6 {
            o.write_field_begin(&TFieldIdentifier::new("ipv6", TType::String, 4))?;
            o.write_bytes(v)?;
            o.write_field_end()?;
        }
        o.write_field_stop()?;
        o.write_struct_end()
    }
}

impl TSerializable for Annotation {
    fn read_from_in_protocol(_: &mut dyn TInputProtocol) -> thrift::Result<Self> {
        unread()
    }

    fn write_to_out_protocol(&self, o: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        o.write_struct_begin(&TStructIdentifier::new("Annotation"))?;
        if let Some(v) = self.timestamp {
            o.write_field_begin(&TFieldIdentifier::new("timestamp", TType::I64, 1))?;
            o.write_i64(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.value {
            o.write_field_begin(&TFieldIdentifier::new("value", TType::String, 2))?;
            o.write_string(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.host {
            o.write_field_begin(&TFieldIdentifier::new("host", TType::Struct, 3))?;
            v.write_to_out_protocol(o)?;
            o.write_field_end()?;
        }
        o.write_field_stop()?;
        o.write_struct_end()
    }
}

impl TSerializable for BinaryAnnotation {
    fn read_from_in_protocol(_: &mut dyn TInputProtocol) -> thrift::Result<Self> {
        unread()
    }

    fn write_to_out_protocol(&self, o: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        o.write_struct_begin(&TStructIdentifier::new("BinaryAnnotation"))?;
        if let Some(v) = &self.key {
            o.write_field_begin(&TFieldIdentifier::new("key", TType::String, 1))?;
            o.write_string(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.value {
            o.write_field_begin(&TFieldIdentifier::new("value", TType::String, 2))?;
            o.write_bytes(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = self.annotation_type {
            o.write_field_begin(&TFieldIdentifier::new("annotation_type", TType::I32, 3))?;
            o.write_i32(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.host {
            o.write_field_begin(&TFieldIdentifier::new("host", TType::Struct, 4))?;
            v.write_to_out_protocol(o)?;
            o.write_field_end()?;
        }
        o.write_field_stop()?;
        o.write_struct_end()
    }
}

impl TSerializable for Span {
    fn read_from_in_protocol(_: &mut dyn TInputProtocol) -> thrift::Result<Self> {
        unread()
    }

    fn write_to_out_protocol(&self, o: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        o.write_struct_begin(&TStructIdentifier::new("Span"))?;
        if let Some(v) = self.trace_id {
            o.write_field_begin(&TFieldIdentifier::new("trace_id", TType::I64, 1))?;
            o.write_i64(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.name {
            o.write_field_begin(&TFieldIdentifier::new("name", TType::String, 3))?;
            o.write_string(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = self.id {
            o.write_field_begin(&TFieldIdentifier::new("id", TType::I64, 4))?;
            o.write_i64(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = self.parent_id {
            o.write_field_begin(&TFieldIdentifier::new("parent_id", TType::I64, 5))?;
            o.write_i64(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.annotations {
            o.write_field_begin(&TFieldIdentifier::new("annotations", TType::List, 6))?;
            write_list(o, v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.binary_annotations {
            o.write_field_begin(&TFieldIdentifier::new("binary_annotations", TType::List, 8))?;
            write_list(o, v)?;
            o.write_field_end()?;
        }
        if let Some(v) = self.debug {
            o.write_field_begin(&TFieldIdentifier::new("debug", TType::Bool, 9))?;
            o.write_bool(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = self.timestamp {
            o.write_field_begin(&TFieldIdentifier::new("timestamp", TType::I64, 10))?;
            o.write_i64(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = self.duration {
            o.write_field_begin(&TFieldIdentifier::new("duration", TType::I64, 11))?;
            o.write_i64(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = self.trace_id_high {
            o.write_field_begin(&TFieldIdentifier::new("trace_id_high", TType::I64, 12))?;
            o.write_i64(v)?;
            o.write_field_end()?;
        }
        o.write_field_stop()?;
        o.write_struct_end()
    }
}

impl TSerializable for LogEntry {
    fn read_from_in_protocol(_: &mut dyn TInputProtocol) -> thrift::Result<Self> {
        unread()
    }

    fn write_to_out_protocol(&self, o: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        o.write_struct_begin(&TStructIdentifier::new("LogEntry"))?;
        if let Some(v) = &self.category {
            o.write_field_begin(&TFieldIdentifier::new("category", TType::String, 1))?;
            o.write_string(v)?;
            o.write_field_end()?;
        }
        if let Some(v) = &self.message {
            o.write_field_begin(&TFieldIdentifier::new("message", TType::String, 2))?;
            o.write_string(v)?;
            o.write_field_end()?;
        }
        o.write_field_stop()?;
        o.write_struct_end()
    }
}

impl TSerializable for LogArgs {
    fn read_from_in_protocol(_: &mut dyn TInputProtocol) -> thrift::Result<Self> {
        unread()
    }

    fn write_to_out_protocol(&self, o: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        o.write_struct_begin(&TStructIdentifier::new("Log_args"))?;
        o.write_field_begin(&TFieldIdentifier::new("messages", TType::List, 1))?;
        write_list(o, &self.messages)?;
        o.write_field_end()?;
        o.write_field_stop()?;
        o.write_struct_end()
    }
}

/// Writes a `Log` call as the generated client's `send_log` does: message header, args, message end.
pub fn write_log_call(o: &mut dyn TOutputProtocol, seqid: i32, args: &LogArgs) -> thrift::Result<()> {
    o.write_message_begin(&TMessageIdentifier::new("Log", TMessageType::Call, seqid))?;
    args.write_to_out_protocol(o)?;
    o.write_message_end()?;
    o.flush()
}

fn endpoint(e: &tryfer_core::Endpoint<'_>) -> Endpoint {
    Endpoint {
        ipv4: Some(e.ipv4_i32()),
        port: Some(e.port_i16()),
        service_name: Some(e.service_name.to_owned()),
        ipv6: e.ipv6.map(|a| a.octets().to_vec()),
    }
}

fn string_tag(key: &str, value: &str, host: &tryfer_core::Endpoint<'_>) -> BinaryAnnotation {
    BinaryAnnotation {
        key: Some(key.to_owned()),
        value: Some(value.as_bytes().to_vec()),
        annotation_type: Some(6),
        host: Some(endpoint(host)),
    }
}

/// The typical span ([`typical`]) in Apache's structs, holding what tryfer's span holds.
pub fn typical_span() -> Span {
    let local = typical::local();
    let at = |timestamp: u64, value: &str| Annotation {
        timestamp: Some(timestamp as i64),
        value: Some(value.to_owned()),
        host: Some(endpoint(&local)),
    };
    Span {
        trace_id: Some(typical::TRACE_LOW as i64),
        name: Some(typical::NAME.to_owned()),
        id: Some(typical::SPAN_ID as i64),
        parent_id: Some(typical::PARENT_ID as i64),
        annotations: Some(vec![at(typical::CS_MICROS, "cs"), at(typical::CR_MICROS, "cr")]),
        binary_annotations: Some(vec![
            string_tag("http.uri", typical::HTTP_URI, &local),
            string_tag("http.status_code", typical::HTTP_STATUS, &local),
            BinaryAnnotation {
                key: Some("sa".to_owned()),
                value: Some(vec![1]),
                annotation_type: Some(0),
                host: Some(endpoint(&typical::remote())),
            },
        ]),
        debug: None,
        timestamp: None,
        duration: None,
        trace_id_high: Some(typical::TRACE_HIGH as i64),
    }
}
