//! Comparison 2: one Scribe message for the typical span (TBinaryProtocol, then base64), and the framed `Log`
//! call that carries it; plus the bytes per span in both Thrift protocols.

use std::hint::black_box;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use thrift::protocol::{TBinaryOutputProtocol, TSerializable};
use tryfer_core::scribe::{self, Base64Sink, LogOptions, SpanEncoding};
use tryfer_core::sink::{measure, Slice};
use tryfer_core::thrift::{binary_span_len, encode_binary_span, encode_compact_span};
use tryfer_smol::HostSpan;

use crate::report::Figure;
use crate::{apache, typical, Pair};

/// One message: tryfer streams the span through its base64 sink into a reused buffer; the peer writes the span
/// with Apache's `TBinaryOutputProtocol` into a reused `Vec<u8>` and base64-encodes it with the `base64`
/// crate into a reused `String` (the peer's best case: a `LogEntry` needs an owned `String`).
pub struct ScribeMessage {
    span: HostSpan,
    buf: Vec<u8>,
    apache: apache::Span,
    raw: Vec<u8>,
    text: String,
}

impl ScribeMessage {
    /// The typical span on both sides.
    pub fn new() -> Self {
        ScribeMessage {
            span: typical::span(),
            buf: vec![0; 4096],
            apache: apache::typical_span(),
            raw: Vec::new(),
            text: String::new(),
        }
    }
}

impl Default for ScribeMessage {
    fn default() -> Self {
        Self::new()
    }
}

impl Pair for ScribeMessage {
    fn name(&self) -> &'static str {
        "scribe_message"
    }

    fn peer_name(&self) -> &'static str {
        "thrift 0.25 TBinaryOutputProtocol + base64 0.23"
    }

    #[inline]
    fn ours(&mut self) -> usize {
        let mut b64 = Base64Sink::new(Slice::new(&mut self.buf));
        let written = encode_binary_span(black_box(&self.span), &mut b64).and_then(|()| b64.finish());
        written.map_or(0, |out| out.len())
    }

    #[inline]
    fn peer(&mut self) -> usize {
        self.raw.clear();
        self.text.clear();
        let mut protocol = TBinaryOutputProtocol::new(&mut self.raw, true);
        if black_box(&self.apache).write_to_out_protocol(&mut protocol).is_err() {
            return 0;
        }
        STANDARD.encode_string(&self.raw, &mut self.text);
        self.text.len()
    }

    fn check(&mut self) -> Result<(), String> {
        let len = self.ours();
        self.peer();
        if len == 0 || self.buf[..len] != *self.text.as_bytes() {
            return Err(format!(
                "tryfer's message ({len} bytes) differs from Apache's + base64 ({})",
                self.text.len()
            ));
        }
        Ok(())
    }
}

/// One framed `Log` call carrying the typical span, as a Scribe reporter sends it: tryfer's
/// `scribe::write_log_call` (it measures, then writes) into a reused buffer; the peer does what a reporter on
/// Apache's generated Scribe client does per call: encode the span, base64 it into the `LogEntry`'s owned
/// `String`, then write the `Log` message through `TBinaryOutputProtocol` into a reused `Vec<u8>` behind a
/// 4-byte frame length (what `TFramedWriteTransport` adds).
pub struct ScribeLogCall {
    span: HostSpan,
    buf: Vec<u8>,
    apache: apache::Span,
    raw: Vec<u8>,
    frame: Vec<u8>,
}

impl ScribeLogCall {
    /// The typical span on both sides.
    pub fn new() -> Self {
        ScribeLogCall {
            span: typical::span(),
            buf: vec![0; 4096],
            apache: apache::typical_span(),
            raw: Vec::new(),
            frame: Vec::new(),
        }
    }
}

impl Default for ScribeLogCall {
    fn default() -> Self {
        Self::new()
    }
}

impl Pair for ScribeLogCall {
    fn name(&self) -> &'static str {
        "scribe_log_call_1_span"
    }

    fn peer_name(&self) -> &'static str {
        "thrift 0.25 generated Log call + base64 0.23"
    }

    #[inline]
    fn ours(&mut self) -> usize {
        let mut out = Slice::new(&mut self.buf);
        match scribe::write_log_call([black_box(&self.span)], 1, &LogOptions::new(), &mut out) {
            Ok(()) => out.len(),
            Err(_) => 0,
        }
    }

    #[inline]
    fn peer(&mut self) -> usize {
        self.raw.clear();
        let mut protocol = TBinaryOutputProtocol::new(&mut self.raw, true);
        if black_box(&self.apache).write_to_out_protocol(&mut protocol).is_err() {
            return 0;
        }
        let args = apache::LogArgs {
            messages: vec![apache::LogEntry {
                category: Some(scribe::CATEGORY.to_owned()),
                message: Some(STANDARD.encode(&self.raw)),
            }],
        };
        self.frame.clear();
        self.frame.extend_from_slice(&[0; 4]);
        let mut protocol = TBinaryOutputProtocol::new(&mut self.frame, true);
        if apache::write_log_call(&mut protocol, 1, &args).is_err() {
            return 0;
        }
        let len = (self.frame.len() - 4) as u32;
        self.frame[..4].copy_from_slice(&len.to_be_bytes());
        self.frame.len()
    }

    fn check(&mut self) -> Result<(), String> {
        let len = self.ours();
        self.peer();
        if len == 0 || self.buf[..len] != *self.frame {
            return Err(format!(
                "tryfer's Log call ({len} bytes) differs from Apache's ({})",
                self.frame.len()
            ));
        }
        Ok(())
    }
}

/// Bytes per span: the Thrift encodings, their base64 messages, and what one more span adds to a `Log` call.
pub fn figures() -> Vec<Figure> {
    let span = typical::span();
    let binary = binary_span_len(&span).unwrap_or(0);
    let compact = measure(|c| encode_compact_span(&span, c)).unwrap_or(0);
    let b64 = |n: usize| scribe::base64::encoded_len(n).unwrap_or(0);
    let call = |n: usize, encoding| {
        let spans = vec![&span; n];
        scribe::log_call_len(spans, &LogOptions::new().with_encoding(encoding)).unwrap_or(0)
    };
    let per_span = |encoding| (call(100, encoding) - call(0, encoding)) as f64 / 100.0;
    vec![
        Figure::new("scribe", "TBinaryProtocol span", binary as f64, "bytes"),
        Figure::new(
            "scribe",
            "Scribe message (base64 of binary)",
            b64(binary) as f64,
            "bytes",
        ),
        Figure::new("scribe", "TCompactProtocol span", compact as f64, "bytes"),
        Figure::new(
            "scribe",
            "Scribe message (base64 of compact)",
            b64(compact) as f64,
            "bytes",
        ),
        Figure::new(
            "scribe",
            "Log call with 1 span, framed (binary)",
            call(1, SpanEncoding::Binary) as f64,
            "bytes",
        ),
        Figure::new(
            "scribe",
            "per span in a 100-span Log call (binary)",
            per_span(SpanEncoding::Binary),
            "bytes",
        )
        .with_note("message + LogEntry fields + category `zipkin`"),
        Figure::new(
            "scribe",
            "per span in a 100-span Log call (compact)",
            per_span(SpanEncoding::Compact),
            "bytes",
        ),
    ]
}
