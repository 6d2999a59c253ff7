//! JSON encoders: Zipkin v2 spans for `POST /api/v2/spans` ([`v2`]), and the original tryfer's debug JSON
//! ([`debug`]).
//!
//! Both write through [`crate::sink::Sink`] from any [`crate::SpanData`], allocate nothing, and are
//! exact-length: running one into a [`crate::sink::Counter`] gives the byte count it writes. Strings are
//! escaped per RFC 8259 (`"`, `\`, and control characters; `\n`-style short forms where JSON has them,
//! `\u00XX` otherwise); the rest of the text, non-ASCII included, is written as UTF-8.

pub mod debug;
mod escape;
pub mod v2;

pub use debug::{debug_span_len, encode_debug_span, encode_debug_spans, Layout};
pub use v2::{encode_v2_span, encode_v2_spans, v2_span_count, v2_span_len};
