//! Why B3 headers were refused: which header, and what was wrong with it (never the value itself).

use core::fmt;

use super::{B3, PARENT_SPAN_ID, SAMPLED, SPAN_ID, TRACE_ID};
use crate::id::IdError;

/// Why B3 headers were refused; the receiver then acts as if no context arrived.
///
/// Variants name the header and the fault only, so logging one never echoes untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum B3Error {
    /// `b3` is longer than [`super::B3_MAX_LEN`] characters.
    SingleTooLong,
    /// `b3` is empty, or one of its `-`-separated fields is (`t--`, `t-s-`, `-s`).
    SingleEmptyField,
    /// `b3` has more than four fields (this includes a trailing `-` after the parent id).
    SingleTooManyFields,
    /// The trace id field of `b3` is malformed.
    SingleTraceId(IdError),
    /// The span id field of `b3` is malformed.
    SingleSpanId(IdError),
    /// The parent id field of `b3` is malformed.
    SingleParentId(IdError),
    /// The sampling state of `b3` is not `0`, `1` or `d`.
    SingleSampling,
    /// `X-B3-TraceId` is malformed.
    TraceId(IdError),
    /// `X-B3-SpanId` is malformed.
    SpanId(IdError),
    /// `X-B3-ParentSpanId` is malformed.
    ParentSpanId(IdError),
    /// `X-B3-Sampled` is not `1`, `0`, `true` or `false` (`d` included: it belongs to `b3` only).
    Sampled,
    /// `X-B3-SpanId` or `X-B3-ParentSpanId` arrived without `X-B3-TraceId`.
    MissingTraceId,
    /// `X-B3-TraceId` arrived without `X-B3-SpanId`.
    MissingSpanId,
}

impl B3Error {
    /// The header at fault, spelled as the spec does (`b3`, `X-B3-TraceId`, ...); for a missing header, its name.
    pub const fn header(self) -> &'static str {
        match self {
            B3Error::SingleTooLong
            | B3Error::SingleEmptyField
            | B3Error::SingleTooManyFields
            | B3Error::SingleTraceId(_)
            | B3Error::SingleSpanId(_)
            | B3Error::SingleParentId(_)
            | B3Error::SingleSampling => B3,
            B3Error::TraceId(_) | B3Error::MissingTraceId => TRACE_ID,
            B3Error::SpanId(_) | B3Error::MissingSpanId => SPAN_ID,
            B3Error::ParentSpanId(_) => PARENT_SPAN_ID,
            B3Error::Sampled => SAMPLED,
        }
    }

    /// The id error behind this one, when an id was malformed.
    pub const fn id_error(self) -> Option<IdError> {
        match self {
            B3Error::SingleTraceId(e)
            | B3Error::SingleSpanId(e)
            | B3Error::SingleParentId(e)
            | B3Error::TraceId(e)
            | B3Error::SpanId(e)
            | B3Error::ParentSpanId(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for B3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.header())?;
        f.write_str(": ")?;
        match self {
            B3Error::SingleTooLong => f.write_str("longer than 68 characters"),
            B3Error::SingleEmptyField => f.write_str("empty field"),
            B3Error::SingleTooManyFields => f.write_str("more than four fields"),
            B3Error::SingleTraceId(e) => write!(f, "trace id: {e}"),
            B3Error::SingleSpanId(e) => write!(f, "span id: {e}"),
            B3Error::SingleParentId(e) => write!(f, "parent id: {e}"),
            B3Error::SingleSampling => f.write_str("sampling state is not 0, 1 or d"),
            B3Error::TraceId(e) | B3Error::SpanId(e) | B3Error::ParentSpanId(e) => fmt::Display::fmt(e, f),
            B3Error::Sampled => f.write_str("not 1, 0, true or false"),
            B3Error::MissingTraceId => f.write_str("missing while other X-B3 ids are present"),
            B3Error::MissingSpanId => f.write_str("missing while X-B3-TraceId is present"),
        }
    }
}

impl core::error::Error for B3Error {}
