//! B3 propagation over HTTP: reading a [`SpanContext`] from request headers and writing one into them.
//!
//! Headers are read through [`HeaderSource`] (any `Fn(&str) -> Option<&[u8]>` closure, or a slice of
//! `(&str, &str)` pairs) and written through [`HeaderSink`] (any `FnMut(&'static str, &str)` closure), so
//! every HTTP library plugs in without this crate knowing it. Nothing allocates: ids are formatted into
//! stack buffers ([`crate::HexId`], [`B3Value`]).
//!
//! # Extracting
//!
//! [`extract`] gives [`Extracted::Empty`] (no B3 headers), [`Extracted::Sampling`] (only a decision:
//! `b3: 0|1|d`, `X-B3-Sampled` or `X-B3-Flags` alone) or [`Extracted::Context`]. Malformed input gives a
//! [`B3Error`] that says which header and what was wrong, never the untrusted value itself; the caller then
//! starts a new root trace as if nothing had arrived.
//!
//! The rules, strict unless said otherwise:
//! - ids are lower-hex of exact length: trace 16 or 32, span and parent 16; an all-zero trace or span id is
//!   malformed. A 32-digit trace id whose high half is zero is the 64-bit id.
//! - an all-zero parent means "no parent", in `b3` (as the spec says) and in `X-B3-ParentSpanId` (the same
//!   rule for both forms, rather than restarting the trace over a field that only links spans).
//! - `b3` is `{trace}-{span}[-{sampling}[-{parent}]]` or a lone `0`, `1`, `d`; at most 68 characters; an
//!   empty field, a fifth field or a trailing `-` is malformed.
//! - `X-B3-Sampled` is `1` or `0`; `true`/`false` (any case) are accepted from old clients, never sent.
//! - `X-B3-Flags: 1` means debug; any other value is ignored. Debug is carried as `debug: true` with the
//!   sampling state that was sent (usually [`Sampling::Defer`]); [`SpanContext::is_sampled`] reads it as
//!   accepted.
//! - `X-B3-SpanId` or `X-B3-ParentSpanId` without `X-B3-TraceId`, or a trace id without a span id, is
//!   malformed.
//!
//! Decisions where implementations disagree:
//! - **A malformed `b3` is an error even when `X-B3-*` headers are also present.** The spec says `b3` wins
//!   and OpenTelemetry does the same; Brave instead falls back to `X-B3-*`. We follow the spec because the
//!   result then depends on exactly one header: a sender that puts two different contexts on one request is
//!   broken, and restarting the trace (with an error naming `b3`) is safer than splicing this request into
//!   whatever stale trace the other headers name. Brave's behaviour is one line away:
//!   `b3::extract(&h).or_else(|_| b3::extract_multi(&h))`.
//! - **`b3: {trace}-{span}-{parent}`** (a parent without sampling state) is accepted on extract as a
//!   deferred child, as Brave does (zipkin-go rejects it); we never emit it: a deferred context is sent as
//!   `{trace}-{span}` without its parent.
//! - **`X-B3-Sampled: d`** is rejected (the whole context is dropped), as Brave does: `d` belongs to `b3`;
//!   debug travels in `X-B3-Flags`.
//!
//! ```
//! use tryfer_core::b3::{self, Extracted};
//! use tryfer_core::Sampling;
//!
//! let headers = [("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90")];
//! let Ok(Extracted::Context(context)) = b3::extract(&headers) else { panic!() };
//! assert_eq!(context.trace_id.to_hex().as_str(), "80f198ee56343ba864fe8b2a57d3eff7");
//! assert_eq!(context.span_id.get(), 0xe457b5a2e4d86bd1);
//! assert_eq!(context.parent_id.map(|p| p.get()), Some(0x05e3ac9a4f6e3b90));
//! assert_eq!(context.sampling, Sampling::Accept);
//!
//! // Malformed input: a typed reason that names the header, never its value.
//! let err = b3::extract(&[("X-B3-TraceId", "abc123"), ("X-B3-SpanId", "e457b5a2e4d86bd1")]).unwrap_err();
//! assert_eq!(err.header(), b3::TRACE_ID);
//! ```
//!
//! # Injecting
//!
//! [`inject`] writes the multi-header form ([`Format::Multi`]: `X-B3-TraceId`, `X-B3-SpanId`,
//! `X-B3-ParentSpanId` when there is a parent, then `X-B3-Sampled: 1|0` or `X-B3-Flags: 1`, nothing when
//! deferred) or the single header ([`Format::Single`], [`Format::SingleNoParent`]). A 64-bit trace id is
//! always sent as 16 digits (Brave does the same; OpenTelemetry-Python pads it to 32). [`inject_sampling`]
//! writes the sampling-only `b3: 0` that reporters put on their own requests to the collector.
//!
//! ```
//! use tryfer_core::b3::{self, Format};
//! use tryfer_core::{Sampling, SpanContext, SpanId, TraceId};
//!
//! let context = SpanContext {
//!     trace_id: TraceId::from_u64(0x1234567890123451).unwrap(),
//!     span_id: SpanId::new(0x1234567890123453).unwrap(),
//!     parent_id: SpanId::new(0x1234567890123452),
//!     sampling: Sampling::Accept,
//!     debug: false,
//! };
//! let mut sent = Vec::new();
//! b3::inject(&context, Format::Multi, &mut |name: &'static str, value: &str| sent.push((name, value.to_owned())));
//! assert_eq!(sent, [
//!     ("X-B3-TraceId", "1234567890123451".to_owned()),
//!     ("X-B3-SpanId", "1234567890123453".to_owned()),
//!     ("X-B3-ParentSpanId", "1234567890123452".to_owned()),
//!     ("X-B3-Sampled", "1".to_owned()),
//! ]);
//!
//! sent.clear();
//! b3::inject(&context, Format::Single, &mut |name: &'static str, value: &str| sent.push((name, value.to_owned())));
//! assert_eq!(sent, [("b3", "1234567890123451-1234567890123453-1-1234567890123452".to_owned())]);
//! ```

mod error;
mod extract;
mod header;
mod inject;

pub use error::B3Error;
pub use extract::{extract, extract_multi, extract_single, Extracted};
pub use header::{HeaderSink, HeaderSource};
pub use inject::{inject, inject_sampling, B3Value, Format};

#[cfg(doc)]
use crate::{Sampling, SpanContext};

/// The single-header name, `b3` (lower case, as the spec writes it).
pub const B3: &str = "b3";
/// The multi-header trace id: 16 or 32 lower-hex digits.
pub const TRACE_ID: &str = "X-B3-TraceId";
/// The multi-header span id: 16 lower-hex digits.
pub const SPAN_ID: &str = "X-B3-SpanId";
/// The multi-header parent span id: 16 lower-hex digits, absent on a root span.
pub const PARENT_SPAN_ID: &str = "X-B3-ParentSpanId";
/// The multi-header sampling decision: `1` or `0`, absent when deferred.
pub const SAMPLED: &str = "X-B3-Sampled";
/// The multi-header debug flag: `1` means debug (and implies accept).
pub const FLAGS: &str = "X-B3-Flags";

/// The longest valid `b3` value: a 32-digit trace id, span id, sampling state and parent id, in characters.
pub const B3_MAX_LEN: usize = 68;

#[cfg(test)]
mod test;
