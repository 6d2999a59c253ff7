//! Sampling: which new traces get recorded, and the rule that honours a decision made upstream.
//!
//! A trace is decided once, by the first service that sees it; every later service keeps that decision and
//! passes it on in B3 ([`decide`], [`decide_context`]). Only a trace that arrives without a decision
//! ([`Sampling::Defer`]) asks the local [`Sampler`].
//!
//! An unsampled trace must cost next to nothing: when the decision is "deny", skip recording (no span, no
//! annotations, no reporting; [`Recorder::record`](crate::recorder::Recorder::record) returns at once for such
//! a context) but still propagate the B3 headers, ids and `X-B3-Sampled: 0`, so that downstream services neither
//! record nor decide again.
//!
//! Samplers take `&mut self` and use no atomics, so the core builds for targets without compare-and-swap
//! (`thumbv6m-none-eabi`); an adapter that shares a sampler between tasks wraps it in its mutex.
//!
//! ```
//! use tryfer_core::sampler::{decide_context, Probabilistic};
//! use tryfer_core::{Sampling, SpanContext, SpanId, TraceId};
//!
//! let mut sampler = Probabilistic::from_rate(0.25);
//! // No context arrived: a new root trace, deferred until the sampler decides.
//! let mut ctx = SpanContext::root_of(TraceId::from_u64(1_000_007).unwrap(), SpanId::new(9).unwrap(), Sampling::Defer);
//! let recorded = decide_context(&mut ctx, &mut sampler, 1_700_000_000_000_000);
//! // 1_000_007 % 1_000_000 = 7 < 250_000: sampled, and the decision now travels downstream.
//! assert!(recorded);
//! assert_eq!(ctx.sampling, Sampling::Accept);
//! ```

use crate::context::{Sampling, SpanContext};
use crate::id::TraceId;

/// Decides whether a new trace (one that arrived without a decision) is recorded.
///
/// Call it once per trace, at its root or where it arrived deferred, through [`decide`] or
/// [`decide_context`], which keep decisions made upstream.
pub trait Sampler {
    /// True to record the trace `trace_id`, which starts now (`now_micros`, µs since the epoch).
    fn sample(&mut self, trace_id: TraceId, now_micros: u64) -> bool;
}

impl<S: Sampler + ?Sized> Sampler for &mut S {
    fn sample(&mut self, trace_id: TraceId, now_micros: u64) -> bool {
        (**self).sample(trace_id, now_micros)
    }
}

/// Honours an upstream decision: debug records; accept and deny are kept; only a deferred trace asks `sampler`.
///
/// Returns whether to record the trace. Store the answer (`Sampling::from(recorded)`) in the context so that
/// it is propagated, or use [`decide_context`], which does that.
///
/// ```
/// use tryfer_core::sampler::{decide, Always, Never};
/// use tryfer_core::{Sampling, TraceId};
/// let id = TraceId::from_u64(5).unwrap();
/// assert!(decide(Sampling::Accept, false, &mut Never, id, 0)); // upstream said yes
/// assert!(!decide(Sampling::Deny, false, &mut Always, id, 0)); // upstream said no
/// assert!(decide(Sampling::Deny, true, &mut Never, id, 0)); // debug always records
/// assert!(!decide(Sampling::Defer, false, &mut Never, id, 0)); // no decision yet: ours
/// ```
pub fn decide<S: Sampler + ?Sized>(
    sampling: Sampling,
    debug: bool,
    sampler: &mut S,
    trace_id: TraceId,
    now_micros: u64,
) -> bool {
    if debug {
        return true;
    }
    match sampling {
        Sampling::Accept => true,
        Sampling::Deny => false,
        Sampling::Defer => sampler.sample(trace_id, now_micros),
    }
}

/// [`decide`] for a context, writing a local decision into `ctx.sampling` so that it is propagated.
///
/// A debug context or one already decided is left unchanged; the sampler is asked only when it is deferred.
/// Returns whether to record spans of this context, which is then `ctx.is_sampled() == Some(true)`.
pub fn decide_context<S: Sampler + ?Sized>(ctx: &mut SpanContext, sampler: &mut S, now_micros: u64) -> bool {
    let recorded = decide(ctx.sampling, ctx.debug, sampler, ctx.trace_id, now_micros);
    if !ctx.debug && ctx.sampling == Sampling::Defer {
        ctx.sampling = Sampling::from(recorded);
    }
    recorded
}

/// Records every trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Always;

impl Sampler for Always {
    fn sample(&mut self, _trace_id: TraceId, _now_micros: u64) -> bool {
        true
    }
}

/// Records no trace (debug traces are still recorded by [`decide`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Never;

impl Sampler for Never {
    fn sample(&mut self, _trace_id: TraceId, _now_micros: u64) -> bool {
        false
    }
}

/// Records a fixed share of traces, decided by the trace id alone so that every service agrees.
///
/// The rule, in parts per million: a trace is recorded when `trace_id.low() % 1_000_000 < ppm`. It needs no
/// state and no randomness, every service using this rule makes the same choice for the same trace, and a
/// service with a higher rate records a superset of what a lower rate records. It is in the spirit of Zipkin's
/// and Brave's boundary sampler (which also reduces the trace id modulo a constant, with its own constants, so
/// its choices differ). Random ids make the share exact to within sampling noise; only the low 64 bits are
/// used, which every B3 peer has.
///
/// ```
/// use tryfer_core::sampler::{Probabilistic, Sampler};
/// use tryfer_core::TraceId;
/// let mut tenth = Probabilistic::from_ppm(100_000);
/// assert_eq!(tenth, Probabilistic::from_rate(0.1));
/// assert!(tenth.sample(TraceId::from_u64(3_099_999).unwrap(), 0)); // 99_999 < 100_000
/// assert!(!tenth.sample(TraceId::from_u64(3_100_000).unwrap(), 0)); // 100_000
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Probabilistic {
    ppm: u32,
}

impl Probabilistic {
    /// One million: the rate that records every trace.
    pub const MAX_PPM: u32 = 1_000_000;

    /// Records `ppm` traces per million; values above one million are clamped to one million (all).
    pub const fn from_ppm(ppm: u32) -> Self {
        Probabilistic {
            ppm: if ppm > Self::MAX_PPM { Self::MAX_PPM } else { ppm },
        }
    }

    /// Records the share `rate` of traces, `0.0..=1.0`, rounded to the nearest part per million.
    ///
    /// Out-of-range values are clamped: below zero (and NaN) records nothing, above one records everything.
    pub const fn from_rate(rate: f32) -> Self {
        let ppm = if rate.is_nan() || rate <= 0.0 {
            0
        } else if rate >= 1.0 {
            Self::MAX_PPM
        } else {
            // 0 < rate < 1: the product is below 1_000_000.5, so the saturating cast cannot overflow.
            (rate * Self::MAX_PPM as f32 + 0.5) as u32
        };
        Self::from_ppm(ppm)
    }

    /// The rate in parts per million, `0..=1_000_000`.
    pub const fn ppm(&self) -> u32 {
        self.ppm
    }

    /// The decision for `trace_id`, the same every time and in every service: `low % 1_000_000 < ppm`.
    pub const fn samples(&self, trace_id: TraceId) -> bool {
        (trace_id.low() % Self::MAX_PPM as u64) < self.ppm as u64
    }
}

impl Sampler for Probabilistic {
    fn sample(&mut self, trace_id: TraceId, _now_micros: u64) -> bool {
        self.samples(trace_id)
    }
}

/// Records at most `per_second` new traces in each second of the clock, and none beyond that.
///
/// Seconds are whole seconds since the epoch (`now_micros / 1_000_000`): the count starts again when the
/// second changes, also when the clock steps backwards. A burst of up to `2 * per_second` can straddle a
/// second boundary. Unlike [`Probabilistic`], services do not agree: use it at the edge to bound cost.
///
/// ```
/// use tryfer_core::sampler::{RateLimited, Sampler};
/// use tryfer_core::TraceId;
/// let id = TraceId::from_u64(1).unwrap();
/// let mut limit = RateLimited::new(2);
/// assert!(limit.sample(id, 5_000_000));
/// assert!(limit.sample(id, 5_400_000));
/// assert!(!limit.sample(id, 5_999_999)); // third in second 5
/// assert!(limit.sample(id, 6_000_000)); // second 6
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RateLimited {
    per_second: u32,
    second: u64,
    used: u32,
}

impl RateLimited {
    /// A limit of `per_second` new traces per second; zero records nothing.
    pub const fn new(per_second: u32) -> Self {
        RateLimited {
            per_second,
            second: 0,
            used: 0,
        }
    }

    /// The configured limit.
    pub const fn per_second(&self) -> u32 {
        self.per_second
    }
}

impl Sampler for RateLimited {
    fn sample(&mut self, _trace_id: TraceId, now_micros: u64) -> bool {
        let second = now_micros / 1_000_000;
        if second != self.second {
            self.second = second;
            self.used = 0;
        }
        if self.used < self.per_second {
            self.used += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::id::SpanId;

    fn id(low: u64) -> TraceId {
        TraceId::new(0xdead, low).unwrap()
    }

    #[test]
    fn rate_conversion_rounds_and_clamps() {
        assert_eq!(Probabilistic::from_rate(0.7).ppm(), 700_000);
        assert_eq!(Probabilistic::from_rate(0.000_001).ppm(), 1);
        assert_eq!(Probabilistic::from_rate(1.0).ppm(), 1_000_000);
        assert_eq!(Probabilistic::from_rate(1.5).ppm(), 1_000_000);
        assert_eq!(Probabilistic::from_rate(f32::INFINITY).ppm(), 1_000_000);
        assert_eq!(Probabilistic::from_rate(-0.1).ppm(), 0);
        assert_eq!(Probabilistic::from_rate(f32::NAN).ppm(), 0);
        assert_eq!(Probabilistic::from_ppm(2_000_000).ppm(), 1_000_000);
    }

    #[test]
    fn probabilistic_boundaries() {
        let mut none = Probabilistic::from_ppm(0);
        let mut all = Probabilistic::from_ppm(1_000_000);
        let mut one = Probabilistic::from_ppm(1);
        for low in [0, 1, 999_999, 1_000_000, u64::MAX] {
            assert!(!none.sample(id(low), 0));
            assert!(all.sample(id(low), 0));
            assert_eq!(one.sample(id(low), 0), low % 1_000_000 == 0, "{low}");
        }
    }

    #[test]
    fn rate_limit_of_zero_records_nothing() {
        let mut limit = RateLimited::new(0);
        assert!(!limit.sample(id(1), 0));
        assert!(!limit.sample(id(1), 10_000_000));
    }

    #[test]
    fn rate_limit_restarts_when_the_clock_steps_back() {
        let mut limit = RateLimited::new(1);
        assert!(limit.sample(id(1), 9_000_000));
        assert!(!limit.sample(id(1), 9_500_000));
        assert!(limit.sample(id(1), 8_000_000));
        assert!(!limit.sample(id(1), 8_100_000));
    }

    #[test]
    fn decide_context_writes_only_local_decisions() {
        let mut ctx = SpanContext::root_of(id(1), SpanId::new(1).unwrap(), Sampling::Defer);
        assert!(!decide_context(&mut ctx, &mut Never, 0));
        assert_eq!(ctx.sampling, Sampling::Deny);
        assert_eq!(ctx.is_sampled(), Some(false));

        let mut debug = SpanContext {
            debug: true,
            ..SpanContext::root_of(id(1), SpanId::new(1).unwrap(), Sampling::Defer)
        };
        assert!(decide_context(&mut debug, &mut Never, 0));
        assert_eq!(debug.sampling, Sampling::Defer, "debug alone travels, not X-B3-Sampled");
    }

    #[test]
    fn works_through_dyn_and_mut_references() {
        let mut limit = RateLimited::new(1);
        {
            let dynamic: &mut dyn Sampler = &mut limit;
            assert!(decide(Sampling::Defer, false, dynamic, id(1), 0));
        }
        let mut by_ref = &mut limit;
        assert!(!decide(Sampling::Defer, false, &mut by_ref, id(1), 1));
    }
}
