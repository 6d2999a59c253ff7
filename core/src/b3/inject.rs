//! Writing B3: the multi-header form, the single `b3` header, and the sampling-only `b3: 0`.

use core::fmt;

use super::{HeaderSink, B3, B3_MAX_LEN, FLAGS, PARENT_SPAN_ID, SAMPLED, SPAN_ID, TRACE_ID};
use crate::context::{Sampling, SpanContext};

/// Which B3 headers [`inject`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Format {
    /// `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-ParentSpanId`, `X-B3-Sampled`/`X-B3-Flags`: what every B3
    /// server understands (Finagle, the original tryfer); Brave's client default.
    #[default]
    Multi,
    /// One `b3` header with the parent id, when there is one and the sampling state is known.
    Single,
    /// One `b3` header without the parent id: shorter, for messaging (Brave's producer default).
    SingleNoParent,
}

/// Writes `context` as B3 headers in `format`.
///
/// A 64-bit trace id is sent as 16 digits. A debug context sends `X-B3-Flags: 1` (not also `X-B3-Sampled`)
/// or `-d`; a deferred one sends no sampling state, and then `b3` carries no parent either (`t-s-p` is
/// read differently by different implementations).
///
/// ```
/// use tryfer_core::b3::{self, Format};
/// use tryfer_core::{Sampling, SpanContext, SpanId, TraceId};
///
/// let root = SpanContext::root_of(
///     TraceId::new(0x80f198ee56343ba8, 0x64fe8b2a57d3eff7).unwrap(),
///     SpanId::new(0xe457b5a2e4d86bd1).unwrap(),
///     Sampling::Defer,
/// );
/// let debug_child = SpanContext { debug: true, ..root.child_with_id(SpanId::new(0x05e3ac9a4f6e3b90).unwrap()) };
///
/// let mut sent = Vec::new();
/// let mut sink = |name: &'static str, value: &str| sent.push(format!("{name}: {value}"));
/// b3::inject(&root, Format::Multi, &mut sink);
/// b3::inject(&debug_child, Format::Multi, &mut sink);
/// b3::inject(&root, Format::Single, &mut sink);
/// b3::inject(&debug_child, Format::Single, &mut sink);
/// b3::inject(&debug_child, Format::SingleNoParent, &mut sink);
/// assert_eq!(sent, [
///     "X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7",
///     "X-B3-SpanId: e457b5a2e4d86bd1",
///     "X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7",
///     "X-B3-SpanId: 05e3ac9a4f6e3b90",
///     "X-B3-ParentSpanId: e457b5a2e4d86bd1",
///     "X-B3-Flags: 1",
///     "b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1",
///     "b3: 80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-d-e457b5a2e4d86bd1",
///     "b3: 80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-d",
/// ]);
/// ```
pub fn inject<S: HeaderSink + ?Sized>(context: &SpanContext, format: Format, sink: &mut S) {
    match format {
        Format::Multi => {
            sink.insert(TRACE_ID, &context.trace_id.to_hex());
            sink.insert(SPAN_ID, &context.span_id.to_hex());
            if let Some(parent) = context.parent_id {
                sink.insert(PARENT_SPAN_ID, &parent.to_hex());
            }
            if context.debug {
                sink.insert(FLAGS, "1");
            } else if let Some(sampled) = context.sampling.decision() {
                sink.insert(SAMPLED, if sampled { "1" } else { "0" });
            }
        }
        Format::Single => sink.insert(B3, &B3Value::of(context)),
        Format::SingleNoParent => sink.insert(B3, &B3Value::without_parent(context)),
    }
}

/// Writes a sampling-only `b3` header (`0`, `1`, or `d` for debug); nothing when deferred.
///
/// Reporters send `b3: 0` on their own requests to the collector, so those requests are never traced.
///
/// ```
/// use tryfer_core::b3;
/// use tryfer_core::Sampling;
/// let mut sent = Vec::new();
/// b3::inject_sampling(Sampling::Deny, false, &mut |name: &'static str, value: &str| sent.push((name, value.to_owned())));
/// assert_eq!(sent, [("b3", "0".to_owned())]);
/// ```
pub fn inject_sampling<S: HeaderSink + ?Sized>(sampling: Sampling, debug: bool, sink: &mut S) {
    if let Some(state) = sampling_state(sampling, debug) {
        sink.insert(B3, state);
    }
}

/// The `b3` sampling field: `d` for debug, `1` accept, `0` deny, none when deferred.
const fn sampling_state(sampling: Sampling, debug: bool) -> Option<&'static str> {
    if debug {
        return Some("d");
    }
    match sampling {
        Sampling::Accept => Some("1"),
        Sampling::Deny => Some("0"),
        Sampling::Defer => None,
    }
}

/// A `b3` header value in a stack buffer of [`B3_MAX_LEN`] bytes: `{trace}-{span}[-{sampling}[-{parent}]]`.
///
/// ```
/// use tryfer_core::b3::B3Value;
/// use tryfer_core::{Sampling, SpanContext, SpanId, TraceId};
/// let root = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Deny);
/// let child = root.child_with_id(SpanId::new(3).unwrap());
/// assert_eq!(B3Value::of(&child).as_str(), "0000000000000001-0000000000000003-0-0000000000000002");
/// assert_eq!(B3Value::without_parent(&child).as_str(), "0000000000000001-0000000000000003-0");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct B3Value {
    buf: [u8; B3_MAX_LEN],
    len: u8,
}

impl B3Value {
    /// The full value: with the parent id when there is one and the sampling state is known.
    pub fn of(context: &SpanContext) -> Self {
        Self::write(context, true)
    }

    /// The value without the parent id (Brave's `writeB3SingleFormatWithoutParentId`).
    pub fn without_parent(context: &SpanContext) -> Self {
        Self::write(context, false)
    }

    fn write(context: &SpanContext, with_parent: bool) -> Self {
        let mut value = B3Value {
            buf: [0; B3_MAX_LEN],
            len: 0,
        };
        value.push(context.trace_id.to_hex().as_bytes());
        value.push(b"-");
        value.push(context.span_id.to_hex().as_bytes());
        if let Some(state) = sampling_state(context.sampling, context.debug) {
            value.push(b"-");
            value.push(state.as_bytes());
            if let (true, Some(parent)) = (with_parent, context.parent_id) {
                value.push(b"-");
                value.push(parent.to_hex().as_bytes());
            }
        }
        value
    }

    /// Appends `bytes`; the longest value fits exactly, so nothing is ever dropped.
    fn push(&mut self, bytes: &[u8]) {
        let start = usize::from(self.len);
        let end = start.saturating_add(bytes.len());
        if let (Some(dst), Ok(len)) = (self.buf.get_mut(start..end), u8::try_from(end)) {
            dst.copy_from_slice(bytes);
            self.len = len;
        }
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits, `-` and sampling letters are written; the fallback keeps this panic-free.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The value as ASCII bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl core::ops::Deref for B3Value {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for B3Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for B3Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for B3Value {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str())
    }
}
