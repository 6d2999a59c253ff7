//! Reading B3: `b3` first (and only, when present), else the `X-B3-*` headers.

use super::{B3Error, HeaderSource, B3, B3_MAX_LEN, FLAGS, PARENT_SPAN_ID, SAMPLED, SPAN_ID, TRACE_ID};
use crate::context::{Sampling, SpanContext};
use crate::id::{IdError, SpanId, TraceId};

/// What B3 headers carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Extracted {
    /// No B3 header at all: start a new root trace.
    Empty,
    /// A sampling decision without ids (`b3: 0|1|d`, or `X-B3-Sampled`/`X-B3-Flags` alone): start a new root
    /// trace that follows it.
    Sampling {
        /// The decision sent (`Defer` when only debug was sent).
        sampling: Sampling,
        /// Debug was requested (`b3: d`, `X-B3-Flags: 1`): record, and bypass collector sampling.
        debug: bool,
    },
    /// A full context: continue the caller's trace.
    Context(SpanContext),
}

impl Extracted {
    /// The context, when one arrived.
    pub const fn context(self) -> Option<SpanContext> {
        match self {
            Extracted::Context(c) => Some(c),
            _ => None,
        }
    }

    /// Whether the sender wants this trace recorded: debug implies yes; `None` when nobody decided yet.
    pub const fn is_sampled(&self) -> Option<bool> {
        match self {
            Extracted::Empty => None,
            Extracted::Sampling { debug: true, .. } => Some(true),
            Extracted::Sampling { sampling, .. } => sampling.decision(),
            Extracted::Context(c) => c.is_sampled(),
        }
    }
}

/// Reads B3 from request headers: `b3` when present (even when malformed, see the module docs), else `X-B3-*`.
///
/// ```
/// use tryfer_core::b3::{self, B3Error, Extracted};
/// use tryfer_core::{IdError, Sampling};
///
/// // Header names match in any case; X-B3-Flags: 1 is debug.
/// let headers = [
///     ("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124"),
///     ("x-b3-spanid", "a2fb4a1d1a96d312"),
///     ("x-b3-flags", "1"),
/// ];
/// let context = b3::extract(&headers).unwrap().context().unwrap();
/// assert_eq!((context.trace_id.high(), context.trace_id.low()), (0x463ac35c9f6413ad, 0x48485a3953bb6124));
/// assert_eq!(context.span_id.get(), 0xa2fb4a1d1a96d312);
/// assert_eq!((context.parent_id, context.sampling, context.debug), (None, Sampling::Defer, true));
///
/// assert_eq!(b3::extract(&[("b3", "0")]), Ok(Extracted::Sampling { sampling: Sampling::Deny, debug: false }));
/// assert_eq!(b3::extract(&[("Content-Type", "text/plain")]), Ok(Extracted::Empty));
/// assert_eq!(b3::extract(&[("b3", "1234567890123451-1234567890123453-")]), Err(B3Error::SingleEmptyField));
/// assert_eq!(b3::extract(&[("b3", "1234567890123451-E457B5A2E4D86BD1")]),
///            Err(B3Error::SingleSpanId(IdError::NotLowerHex)));
/// ```
pub fn extract<'h, H: HeaderSource<'h> + ?Sized>(headers: &H) -> Result<Extracted, B3Error> {
    match headers.get(B3) {
        Some(value) => extract_single(value),
        None => extract_multi(headers),
    }
}

/// Parses one `b3` header value: `{trace}-{span}[-{sampling}[-{parent}]]`, `{trace}-{span}-{parent}`, or a
/// lone `0`, `1` or `d`. Never gives [`Extracted::Empty`].
///
/// A well-formed value is read by position (its fields have fixed lengths); anything else is split on `-` and
/// the first fault reported, structure (length, field count, empty fields) before content.
pub fn extract_single(value: &[u8]) -> Result<Extracted, B3Error> {
    if let Some(Ok(context)) = fields_by_position(value).map(single_context) {
        // Every field parsed, so none holds a `-`: splitting on `-` gives the same fields.
        return Ok(Extracted::Context(context));
    }
    single_by_fields(value)
}

/// The general path of [`extract_single`]: split on `-`, structure checked before content.
pub(super) fn single_by_fields(value: &[u8]) -> Result<Extracted, B3Error> {
    if value.len() > B3_MAX_LEN {
        return Err(B3Error::SingleTooLong);
    }
    if let [state] = value {
        let (sampling, debug) = single_sampling(*state)?;
        return Ok(Extracted::Sampling { sampling, debug });
    }
    let [trace, span, third, fourth] = split_fields(value)?;
    let (Some(trace), Some(span)) = (trace, span) else {
        // One field that is not a lone sampling state (which was handled above).
        return Err(if value.is_empty() {
            B3Error::SingleEmptyField
        } else {
            B3Error::SingleSampling
        });
    };
    if [Some(trace), Some(span), third, fourth]
        .into_iter()
        .flatten()
        .any(<[u8]>::is_empty)
    {
        return Err(B3Error::SingleEmptyField);
    }
    single_context(SingleFields {
        trace,
        span,
        third,
        fourth,
    })
    .map(Extracted::Context)
}

/// The fields of a `b3` value with a trace id and a span id.
#[derive(Clone, Copy)]
struct SingleFields<'v> {
    trace: &'v [u8],
    span: &'v [u8],
    /// The sampling state, or (with no fourth field) a deferred child's parent id.
    third: Option<&'v [u8]>,
    fourth: Option<&'v [u8]>,
}

/// The fields where a well-formed value has them: `-` after a 16- or 32-digit trace id, after the 16-digit span
/// id, and around a one-character sampling state. `None` when the dashes are elsewhere.
fn fields_by_position(value: &[u8]) -> Option<SingleFields<'_>> {
    let trace_len = if value.get(16) == Some(&b'-') { 16 } else { 32 };
    let (trace, rest) = value.split_at_checked(trace_len)?;
    let (span, rest) = rest.strip_prefix(b"-")?.split_at_checked(16)?;
    let (third, fourth) = match rest {
        [] => (None, None),
        [b'-', state @ ..] if state.len() == 1 => (Some(state), None),
        [b'-', state, b'-', parent @ ..] => (Some(core::slice::from_ref(state)), Some(parent)),
        [b'-', parent @ ..] => (Some(parent), None),
        _ => return None,
    };
    Some(SingleFields {
        trace,
        span,
        third,
        fourth,
    })
}

/// The context a `b3` value's fields give, checking their content.
fn single_context(fields: SingleFields<'_>) -> Result<SpanContext, B3Error> {
    let trace_id = TraceId::parse_bytes(fields.trace).map_err(B3Error::SingleTraceId)?;
    let span_id = SpanId::parse_bytes(fields.span).map_err(B3Error::SingleSpanId)?;
    let (sampling, debug, parent) = match (fields.third, fields.fourth) {
        (None, _) => (Sampling::Defer, false, None),
        (Some([state]), parent) => {
            let (sampling, debug) = single_sampling(*state)?;
            (sampling, debug, parent)
        }
        // `{trace}-{span}-{parent}`: a deferred child (divergent, accepted; never emitted).
        (Some(parent), None) => (Sampling::Defer, false, Some(parent)),
        (Some(_), Some(_)) => return Err(B3Error::SingleSampling),
    };
    Ok(SpanContext {
        trace_id,
        span_id,
        parent_id: parent_id(parent).map_err(B3Error::SingleParentId)?,
        sampling,
        debug,
    })
}

/// Reads the `X-B3-*` headers only (ignores `b3`): Brave's fallback is `extract(h).or_else(|_| extract_multi(h))`.
pub fn extract_multi<'h, H: HeaderSource<'h> + ?Sized>(headers: &H) -> Result<Extracted, B3Error> {
    let sampling = match headers.get(SAMPLED) {
        None => None,
        Some(b"1") => Some(Sampling::Accept),
        Some(b"0") => Some(Sampling::Deny),
        Some(v) if v.eq_ignore_ascii_case(b"true") => Some(Sampling::Accept),
        Some(v) if v.eq_ignore_ascii_case(b"false") => Some(Sampling::Deny),
        Some(_) => return Err(B3Error::Sampled),
    };
    let debug = headers.get(FLAGS) == Some(b"1");
    let span = headers.get(SPAN_ID);
    let parent = headers.get(PARENT_SPAN_ID);
    let Some(trace) = headers.get(TRACE_ID) else {
        return if span.is_some() || parent.is_some() {
            Err(B3Error::MissingTraceId)
        } else if sampling.is_some() || debug {
            Ok(Extracted::Sampling {
                sampling: sampling.unwrap_or_default(),
                debug,
            })
        } else {
            Ok(Extracted::Empty)
        };
    };
    let trace_id = TraceId::parse_bytes(trace).map_err(B3Error::TraceId)?;
    let span_id = SpanId::parse_bytes(span.ok_or(B3Error::MissingSpanId)?).map_err(B3Error::SpanId)?;
    let parent_id = parent_id(parent).map_err(B3Error::ParentSpanId)?;
    Ok(Extracted::Context(SpanContext {
        trace_id,
        span_id,
        parent_id,
        sampling: sampling.unwrap_or_default(),
        debug,
    }))
}

/// The `-`-separated fields of a `b3` value, at most four (the first is always there).
fn split_fields(value: &[u8]) -> Result<[Option<&[u8]>; 4], B3Error> {
    let mut fields = [None; 4];
    let mut rest = Some(value);
    for field in &mut fields {
        let Some(text) = rest else { break };
        (*field, rest) = match text.iter().position(|&b| b == b'-') {
            Some(at) => (text.get(..at), text.get(at + 1..)),
            None => (Some(text), None),
        };
    }
    match rest {
        Some(_) => Err(B3Error::SingleTooManyFields),
        None => Ok(fields),
    }
}

/// The `b3` sampling state: `(sampling, debug)`.
fn single_sampling(state: u8) -> Result<(Sampling, bool), B3Error> {
    match state {
        b'1' => Ok((Sampling::Accept, false)),
        b'0' => Ok((Sampling::Deny, false)),
        b'd' => Ok((Sampling::Defer, true)),
        _ => Err(B3Error::SingleSampling),
    }
}

/// A parent id, when one was sent; all zeros means "no parent".
fn parent_id(text: Option<&[u8]>) -> Result<Option<SpanId>, IdError> {
    match text.map(SpanId::parse_bytes) {
        Some(Ok(id)) => Ok(Some(id)),
        None | Some(Err(IdError::Zero)) => Ok(None),
        Some(Err(e)) => Err(e),
    }
}
