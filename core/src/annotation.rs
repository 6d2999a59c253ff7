//! What a span records: timestamp annotations (`cs`, `sr`, ...) and binary annotations (key/value tags).

use crate::endpoint::Endpoint;

/// Client send: the client started the request.
pub const CLIENT_SEND: &str = "cs";
/// Client receive: the client got the response.
pub const CLIENT_RECV: &str = "cr";
/// Server receive: the server got the request.
pub const SERVER_RECV: &str = "sr";
/// Server send: the server sent the response.
pub const SERVER_SEND: &str = "ss";
/// Marker annotation on a span the recorder expired because it never ended.
pub const EXPIRED: &str = "tryfer.expired";
/// Key of the tag added to a span that had to drop annotations for lack of room.
pub const TRUNCATED: &str = "tryfer.truncated";

/// A timestamp annotation: something happened at `timestamp`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Annotation<'a> {
    /// Microseconds since the Unix epoch.
    pub timestamp: u64,
    /// What happened: `cs`, `cr`, `sr`, `ss` or any event name.
    pub value: &'a str,
    /// Where it happened.
    pub host: Option<Endpoint<'a>>,
}

/// The value of a binary annotation, one variant per Zipkin `AnnotationType`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Value<'a> {
    /// `BOOL` (0): one byte, 1 or 0. With key `sa`/`ca`/`ma` and a host it names the remote endpoint.
    Bool(bool),
    /// `BYTES` (1): opaque bytes.
    Bytes(&'a [u8]),
    /// `I16` (2), big-endian on the wire.
    I16(i16),
    /// `I32` (3), big-endian on the wire.
    I32(i32),
    /// `I64` (4), big-endian on the wire.
    I64(i64),
    /// `DOUBLE` (5), IEEE 754 big-endian on the wire.
    Double(f64),
    /// `STRING` (6), UTF-8: the only type Zipkin keeps as a tag.
    String(&'a str),
}

impl Value<'_> {
    /// Zipkin's `AnnotationType` number.
    pub const fn annotation_type(&self) -> i32 {
        match self {
            Value::Bool(_) => 0,
            Value::Bytes(_) => 1,
            Value::I16(_) => 2,
            Value::I32(_) => 3,
            Value::I64(_) => 4,
            Value::Double(_) => 5,
            Value::String(_) => 6,
        }
    }
}

/// A binary annotation: a key/value tag, optionally with the endpoint it describes.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BinaryAnnotation<'a> {
    /// The tag's name, e.g. `http.uri`.
    pub key: &'a str,
    /// The tag's value.
    pub value: Value<'a>,
    /// The endpoint the tag belongs to.
    pub host: Option<Endpoint<'a>>,
}

/// One recorded item, in recording order: a timestamp annotation or a binary annotation.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'a> {
    /// A timestamp annotation.
    Time(Annotation<'a>),
    /// A binary annotation.
    Tag(BinaryAnnotation<'a>),
}
