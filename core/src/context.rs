//! The span context that travels between services: ids, sampling state and the debug flag.

use rand_core::RngCore;

use crate::id::{SpanId, TraceId};

/// The sampling decision carried with a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Sampling {
    /// Record and report this trace (`1`).
    Accept,
    /// Do not record this trace, but keep propagating the decision (`0`).
    Deny,
    /// No decision yet: the next sampler decides.
    #[default]
    Defer,
}

impl Sampling {
    /// `Some(true)` for accept, `Some(false)` for deny, `None` when deferred.
    pub const fn decision(self) -> Option<bool> {
        match self {
            Sampling::Accept => Some(true),
            Sampling::Deny => Some(false),
            Sampling::Defer => None,
        }
    }
}

impl From<bool> for Sampling {
    fn from(sampled: bool) -> Self {
        if sampled {
            Sampling::Accept
        } else {
            Sampling::Deny
        }
    }
}

/// Where a span sits in its trace, and whether the trace is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SpanContext {
    /// The trace every span of one request shares.
    pub trace_id: TraceId,
    /// This span.
    pub span_id: SpanId,
    /// The span that caused this one; `None` on a root span.
    pub parent_id: Option<SpanId>,
    /// The sampling decision.
    pub sampling: Sampling,
    /// Debug traces are always recorded and bypass collector sampling (`X-B3-Flags: 1`, `b3: ...-d`).
    pub debug: bool,
}

impl SpanContext {
    /// A new root span of a new 64-bit trace.
    pub fn new_root<R: RngCore + ?Sized>(rng: &mut R, sampling: Sampling) -> Self {
        let trace_id = TraceId::generate64(rng);
        Self::root_of(trace_id, SpanId::generate(rng), sampling)
    }

    /// A new root span of a new 128-bit trace.
    pub fn new_root_128<R: RngCore + ?Sized>(rng: &mut R, sampling: Sampling) -> Self {
        let trace_id = TraceId::generate128(rng);
        Self::root_of(trace_id, SpanId::generate(rng), sampling)
    }

    /// A root span with the given ids.
    pub const fn root_of(trace_id: TraceId, span_id: SpanId, sampling: Sampling) -> Self {
        SpanContext {
            trace_id,
            span_id,
            parent_id: None,
            sampling,
            debug: false,
        }
    }

    /// A child span: same trace, this span as parent, a fresh span id, same sampling and debug.
    pub fn child<R: RngCore + ?Sized>(&self, rng: &mut R) -> Self {
        self.child_with_id(SpanId::generate(rng))
    }

    /// [`SpanContext::child`] with a span id the caller chose.
    pub const fn child_with_id(&self, span_id: SpanId) -> Self {
        SpanContext {
            trace_id: self.trace_id,
            span_id,
            parent_id: Some(self.span_id),
            sampling: self.sampling,
            debug: self.debug,
        }
    }

    /// Whether spans of this context are recorded: debug implies yes; `None` while deferred.
    pub const fn is_sampled(&self) -> Option<bool> {
        if self.debug {
            Some(true)
        } else {
            self.sampling.decision()
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn child_keeps_trace_and_points_at_parent() {
        let root = SpanContext::root_of(TraceId::new(9, 1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
        let child = root.child_with_id(SpanId::new(3).unwrap());
        assert_eq!(child.trace_id, root.trace_id);
        assert_eq!(child.parent_id, Some(root.span_id));
        assert_eq!(child.span_id.get(), 3);
        assert_eq!(child.is_sampled(), Some(true));
        let debug = SpanContext {
            debug: true,
            sampling: Sampling::Defer,
            ..root
        };
        assert_eq!(debug.is_sampled(), Some(true));
    }
}
