//! Writing a framed Scribe `Log` call that carries a batch of spans.
//!
//! The frame is `i32 length`, a strict `CALL` header for `Log`, then the args struct
//! `{1: list<LogEntry{1: string category, 2: string message}>}`. Each message is the padded base64 of one Thrift
//! span, streamed through [`Base64Sink`] into the destination: no span is buffered whole.

use super::base64::{encoded_len, Base64Sink};
use super::frame::write_frame_len;
use super::{CALL, CATEGORY, FRAME_HEADER_LEN, METHOD};
use crate::sink::{measure, EncodeError, Sink};
use crate::span::SpanData;
use crate::thrift::binary::{length_i32, BinaryWriter};
use crate::thrift::encode::{binary_span, compact_span};
use crate::thrift::{TType, Writer};

/// How each span is encoded before base64.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SpanEncoding {
    /// TBinaryProtocol: what every Zipkin Scribe collector reads.
    #[default]
    Binary,
    /// TCompactProtocol: smaller, but only tryfer's own sink reads it.
    Compact,
}

/// What a `Log` call says besides the spans: the category and the span encoding.
///
/// ```
/// use tryfer_core::scribe::{LogOptions, SpanEncoding};
/// let options = LogOptions::new().with_category("zipkin-test").with_encoding(SpanEncoding::Compact);
/// assert_eq!(LogOptions::default().category, "zipkin");
/// assert_eq!(options.category, "zipkin-test");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LogOptions<'c> {
    /// Every entry's category; Zipkin reads only `"zipkin"` and ignores (yet acknowledges) the others.
    pub category: &'c str,
    /// How spans are encoded before base64.
    pub encoding: SpanEncoding,
}

impl LogOptions<'static> {
    /// Category `"zipkin"`, binary spans: what a Zipkin collector expects.
    pub const fn new() -> Self {
        LogOptions {
            category: CATEGORY,
            encoding: SpanEncoding::Binary,
        }
    }
}

impl Default for LogOptions<'static> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'c> LogOptions<'c> {
    /// The same options with another category.
    pub const fn with_category<'d>(self, category: &'d str) -> LogOptions<'d> {
        LogOptions {
            category,
            encoding: self.encoding,
        }
    }

    /// The same options with another span encoding.
    pub const fn with_encoding(self, encoding: SpanEncoding) -> Self {
        LogOptions {
            category: self.category,
            encoding,
        }
    }
}

/// Message header: version word, name length, "Log", seqid.
const HEADER_LEN: usize = 4 + 4 + METHOD.len() + 4;
/// Args field 1 header and the list header.
const LIST_LEN: usize = 3 + 5;
/// Per entry: two field headers with their `i32` lengths, and the entry's stop byte.
const ENTRY_OVERHEAD: usize = 2 * (3 + 4) + 1;
/// The args struct's stop byte.
const STOP_LEN: usize = 1;

/// One span's Thrift encoder, [`binary_span`] or [`compact_span`]: picked once per call.
type SpanEncoder<D> = fn(&D, &mut dyn Sink) -> Result<(), EncodeError>;

/// The encoder for `encoding`. Always inlined, so that a caller passing constant options (`LogOptions::new()`)
/// links the binary encoder only, and a binary-only firmware carries no compact code.
#[inline(always)]
fn encoder<D: SpanData>(encoding: SpanEncoding) -> SpanEncoder<D> {
    match encoding {
        SpanEncoding::Binary => binary_span::<D>,
        SpanEncoding::Compact => compact_span::<D>,
    }
}

/// The base64 length of one span's message.
fn message_len<D: SpanData>(span: &D, encode: SpanEncoder<D>) -> Result<usize, EncodeError> {
    encoded_len(measure(|c| encode(span, c))?).ok_or(EncodeError::TooLong)
}

/// The payload length (after the 4-byte prefix) and the number of spans.
fn payload_len<I, D>(spans: I, category: &str, encode: SpanEncoder<D>) -> Result<(usize, usize), EncodeError>
where
    I: Iterator<Item = D>,
    D: SpanData,
{
    let entry_fixed = ENTRY_OVERHEAD.checked_add(category.len()).ok_or(EncodeError::TooLong)?;
    let mut len = HEADER_LEN + LIST_LEN + STOP_LEN;
    let mut count = 0usize;
    for span in spans {
        let message = message_len(&span, encode)?;
        length_i32(message)?;
        len = len
            .checked_add(entry_fixed)
            .and_then(|l| l.checked_add(message))
            .ok_or(EncodeError::TooLong)?;
        count += 1;
    }
    // The frame length is an i32 too.
    length_i32(len)?;
    Ok((len, count))
}

/// The exact number of bytes [`write_log_call`] writes for these spans, the 4-byte frame length included: size
/// or reserve a buffer with it. Costs one encoding pass per span into a [`crate::sink::Counter`].
#[inline]
pub fn log_call_len<I, D>(spans: I, options: &LogOptions<'_>) -> Result<usize, EncodeError>
where
    I: IntoIterator<Item = D>,
    D: SpanData,
{
    let (payload, _) = payload_len(spans.into_iter(), options.category, encoder(options.encoding))?;
    payload.checked_add(FRAME_HEADER_LEN).ok_or(EncodeError::TooLong)
}

/// Writes one framed Scribe `Log` call carrying every span of `spans`, under sequence id `seqid`.
///
/// The frame length is computed first (a measuring pass over the spans), so `spans` is iterated twice: its
/// iterator must be `Clone` and both passes must see the same spans (slices, arrays and `heapless` queues of
/// spans or span references qualify). Each span is then encoded twice more: once measured, once written through
/// base64 straight into `sink`. Fails with [`EncodeError::TooLong`] when a length exceeds Thrift's `i32`, and
/// [`EncodeError::BufferFull`] when `sink` runs out of room, leaving a partial frame that must not be sent.
///
/// Flash: with constant options (`&LogOptions::new()`, or any `const`) the encoding is known where this inlines,
/// so a binary-only firmware links no TCompactProtocol code; options chosen at run time link both encoders.
///
/// ```
/// use tryfer_core::{Span, SpanContext, SpanId, TraceId, Sampling, scribe, sink::Slice};
/// let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
/// let span: Span = Span::new(ctx, "GET");
/// let options = scribe::LogOptions::new();
/// let mut buf = [0u8; 256];
/// let mut out = Slice::new(&mut buf);
/// scribe::write_log_call([&span], 1, &options, &mut out).unwrap();
/// assert_eq!(out.len(), scribe::log_call_len([&span], &options).unwrap());
/// let frame = out.written();
/// // Frame length, then the strict CALL header of "Log" with seqid 1.
/// assert_eq!(&frame[..4], &((frame.len() - 4) as u32).to_be_bytes());
/// assert_eq!(&frame[4..19], &[0x80, 0x01, 0x00, 0x01, 0, 0, 0, 3, b'L', b'o', b'g', 0, 0, 0, 1]);
/// ```
#[inline]
pub fn write_log_call<I, D, S>(spans: I, seqid: i32, options: &LogOptions<'_>, sink: S) -> Result<(), EncodeError>
where
    S: Sink,
    I: IntoIterator<Item = D>,
    I::IntoIter: Clone,
    D: SpanData,
{
    write_frame(
        spans.into_iter(),
        seqid,
        options.category,
        encoder(options.encoding),
        sink,
    )
}

/// [`write_log_call`] once the encoder is picked.
fn write_frame<I, D, S>(
    spans: I,
    seqid: i32,
    category: &str,
    encode: SpanEncoder<D>,
    mut sink: S,
) -> Result<(), EncodeError>
where
    S: Sink,
    I: Iterator<Item = D> + Clone,
    D: SpanData,
{
    let (payload, count) = payload_len(spans.clone(), category, encode)?;
    write_frame_len(&mut sink, payload)?;

    let mut w = BinaryWriter::new(&mut sink);
    w.message_begin(METHOD, CALL, seqid)?;
    w.struct_begin()?;
    w.field_begin(TType::List, 1)?;
    w.list_begin(TType::Struct, count)?;
    for span in spans.take(count) {
        let message = message_len(&span, encode)?;
        write_entry(&mut sink, &span, category, message, encode)?;
    }
    sink.try_push(0)
}

/// Writes one `LogEntry`: the category, then the span as a `message` of `message` base64 bytes (checked: a
/// span that encodes to another length fails with [`EncodeError::LengthMismatch`]).
fn write_entry<D: SpanData, S: Sink>(
    sink: &mut S,
    span: &D,
    category: &str,
    message: usize,
    encode: SpanEncoder<D>,
) -> Result<(), EncodeError> {
    let mut w = BinaryWriter::new(&mut *sink);
    w.struct_begin()?;
    w.field_begin(TType::Binary, 1)?;
    w.binary(category.as_bytes())?;
    w.field_begin(TType::Binary, 2)?;
    w.i32(length_i32(message)?)?;
    let mut counted = Counted { sink, len: 0 };
    let mut text = Base64Sink::new(&mut counted as &mut dyn Sink);
    encode(span, &mut text)?;
    text.finish()?;
    if counted.len != message {
        return Err(EncodeError::LengthMismatch);
    }
    counted.sink.try_push(0)
}

/// A sink that counts what passes through it to another.
struct Counted<'s, S: Sink> {
    sink: &'s mut S,
    len: usize,
}

impl<S: Sink> Sink for Counted<'_, S> {
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.len = self.len.saturating_add(bytes.len());
        self.sink.try_extend(bytes)
    }
}

/// The bytes one span adds to a `Log` call: its `LogEntry` (the category and the base64 message).
///
/// Measure each span once with this, keep the number, and hand it to [`write_log_call_sized`]: the call is
/// then written with one encoding pass per span. `log_call_len(spans)` equals
/// `log_call_len([])` plus the sum of the spans' entry lengths.
pub fn log_entry_len<D: SpanData>(span: &D, options: &LogOptions<'_>) -> Result<usize, EncodeError> {
    let thrift = match options.encoding {
        // The binary length as `thrift::binary_span_len` measures it: straight into a counter on a host.
        SpanEncoding::Binary => crate::thrift::binary_span_len(span)?,
        SpanEncoding::Compact => measure(|c| compact_span(span, c))?,
    };
    let message = encoded_len(thrift).ok_or(EncodeError::TooLong)?;
    length_i32(message)?;
    ENTRY_OVERHEAD
        .checked_add(options.category.len())
        .and_then(|l| l.checked_add(message))
        .ok_or(EncodeError::TooLong)
}

/// [`write_log_call`] for spans measured beforehand: each item is a span and its [`log_entry_len`] under the
/// same `options`. Each span is encoded once (no measuring pass); the iterator is walked twice (lengths, then
/// spans), so it must be `Clone`. A length that does not match its span fails with
/// [`EncodeError::LengthMismatch`], leaving a partial frame that must not be sent.
///
/// ```
/// use tryfer_core::{scribe::{self, LogOptions}, sink::Slice, Sampling, Span, SpanContext, SpanId, TraceId};
/// let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
/// let span: Span = Span::new(ctx, "get");
/// let options = LogOptions::new();
/// let entry = scribe::log_entry_len(&span, &options).unwrap();
/// let (mut a, mut b) = ([0u8; 256], [0u8; 256]);
/// let (mut one, mut two) = (Slice::new(&mut a), Slice::new(&mut b));
/// scribe::write_log_call_sized([(&span, entry)], 7, &options, &mut one).unwrap();
/// scribe::write_log_call([&span], 7, &options, &mut two).unwrap();
/// assert_eq!(one.written(), two.written());
/// ```
pub fn write_log_call_sized<I, D, S>(
    entries: I,
    seqid: i32,
    options: &LogOptions<'_>,
    mut sink: S,
) -> Result<(), EncodeError>
where
    S: Sink,
    I: IntoIterator<Item = (D, usize)>,
    I::IntoIter: Clone,
    D: SpanData,
{
    let entries = entries.into_iter();
    let category = options.category;
    let entry_fixed = ENTRY_OVERHEAD.checked_add(category.len()).ok_or(EncodeError::TooLong)?;
    let mut payload = HEADER_LEN + LIST_LEN + STOP_LEN;
    let mut count = 0usize;
    for (_, entry) in entries.clone() {
        if entry < entry_fixed {
            return Err(EncodeError::LengthMismatch);
        }
        payload = payload.checked_add(entry).ok_or(EncodeError::TooLong)?;
        count += 1;
    }
    length_i32(payload)?;
    write_frame_len(&mut sink, payload)?;
    let mut w = BinaryWriter::new(&mut sink);
    w.message_begin(METHOD, CALL, seqid)?;
    w.struct_begin()?;
    w.field_begin(TType::List, 1)?;
    w.list_begin(TType::Struct, count)?;
    let encode = encoder(options.encoding);
    for (span, entry) in entries.take(count) {
        write_entry(&mut sink, &span, category, entry - entry_fixed, encode)?;
    }
    sink.try_push(0)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::context::{Sampling, SpanContext};
    use crate::id::{SpanId, TraceId};
    use crate::sink::Slice;
    use crate::span::Span;

    fn span(name: &str) -> Span {
        let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
        let mut span: Span = Span::new(ctx, name);
        span.tag_str("http.uri", "/a/b", None).unwrap();
        span
    }

    #[test]
    fn sized_calls_match_measured_calls_and_refuse_wrong_lengths() {
        let spans = [span("a"), span("longer name")];
        for options in [
            LogOptions::new(),
            LogOptions::new().with_encoding(SpanEncoding::Compact),
        ] {
            let entries: std::vec::Vec<_> = spans.iter().map(|s| (s, log_entry_len(s, &options).unwrap())).collect();
            let total = log_call_len(core::iter::empty::<&Span>(), &options).unwrap()
                + entries.iter().map(|e| e.1).sum::<usize>();
            assert_eq!(total, log_call_len(&spans, &options).unwrap());
            let (mut a, mut b) = ([0u8; 512], [0u8; 512]);
            let (mut sized, mut measured) = (Slice::new(&mut a), Slice::new(&mut b));
            write_log_call_sized(entries.iter().copied(), 3, &options, &mut sized).unwrap();
            write_log_call(&spans, 3, &options, &mut measured).unwrap();
            assert_eq!(sized.written(), measured.written());

            // One length off: the call is refused instead of framed wrong.
            for wrong in [entries[0].1 + 4, entries[0].1 - 4, 0] {
                let mut c = [0u8; 512];
                let bad = [(entries[0].0, wrong), entries[1]];
                assert_eq!(
                    write_log_call_sized(bad, 3, &options, Slice::new(&mut c)),
                    Err(EncodeError::LengthMismatch)
                );
            }
        }
    }
}
