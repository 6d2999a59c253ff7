//! The [`Tracer`]: the static heart of a traced device. It owns the span queue, the counters, the id
//! generator, the sampler, the local endpoint and the epoch clock, and starts [`TracedSpan`]s.
//!
//! Everything is fixed-size and const-constructible, so on a device a tracer is a plain `static`
//! (`static TRACER: Tracer<CriticalSectionRawMutex> = Tracer::new("sensor-7");`). Here, a local one:
//!
//! ```
//! use embassy_sync::blocking_mutex::raw::NoopRawMutex;
//! use tryfer_core::b3;
//! use tryfer_embassy::Tracer;
//! let tracer: Tracer<NoopRawMutex> = Tracer::new("sensor-7");
//! tracer.seed(0x5eed); // at boot, from the chip's RNG
//! let incoming = [("b3", "80f198ee56343ba8-e457b5a2e4d86bd1-1")];
//! let server = tracer.start_server(b3::extract(&incoming), "get /reading"); // records `sr`
//! assert_eq!(server.context().span_id.get(), 0xe457b5a2e4d86bd1); // the caller's span, joined
//! server.finish(); // records `ss`, queues the span without waiting
//! assert_eq!(tracer.stats().recorded, 1);
//! ```

use core::cell::RefCell;
use core::net::Ipv4Addr;

use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::channel::{Channel, TrySendError};
use tryfer_core::b3::{B3Error, Extracted};
use tryfer_core::sampler::{decide_context, Probabilistic};
use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanId, TraceId};

use crate::clock::{uptime_micros, EpochClock};
use crate::ids::SplitMix64;
use crate::span::{Kind, TracedSpan};
use crate::stats::{Counter, Stats};

/// What the tracer's one lock guards: counters, ids, sampler, local endpoint.
struct State {
    stats: Stats,
    ids: SplitMix64,
    sampler: Probabilistic,
    local: Endpoint<'static>,
}

/// Records spans into a queue of `Q` finished spans, each holding up to `N` annotations and `T` bytes of text.
///
/// `M` is the mutex kind guarding its state: `CriticalSectionRawMutex` when several executors or interrupts
/// record, `NoopRawMutex` on a single thread-mode executor. RAM: about `Q × size_of::<Span<N, T>>()` plus a
/// few dozen bytes (the README lists the defaults' sizes).
pub struct Tracer<M: RawMutex, const Q: usize = 8, const N: usize = 8, const T: usize = 256> {
    queue: Channel<M, Span<N, T>, Q>,
    state: Mutex<M, RefCell<State>>,
    clock: EpochClock<M>,
}

impl<M: RawMutex, const Q: usize, const N: usize, const T: usize> Tracer<M, Q, N, T> {
    /// A tracer for service `service_name` (lower case by convention), recording every trace, with a fixed id
    /// seed: call [`Tracer::seed`] at boot.
    pub const fn new(service_name: &'static str) -> Self {
        Tracer {
            queue: Channel::new(),
            state: Mutex::new(RefCell::new(State {
                stats: Stats::ZERO,
                ids: SplitMix64::new(0x7279_6665_7221_2012),
                sampler: Probabilistic::from_ppm(Probabilistic::MAX_PPM),
                local: Endpoint::service(service_name),
            })),
            clock: EpochClock::new(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        self.state.lock(|s| f(&mut s.borrow_mut()))
    }

    /// Seeds the id generator; call once at boot with entropy (the chip's RNG), or ids repeat across boots.
    pub fn seed(&self, seed: u64) {
        self.with(|s| s.ids = SplitMix64::new(seed));
    }

    /// Sets the sampler asked for traces that arrive (or start) without a decision.
    pub fn set_sampler(&self, sampler: Probabilistic) {
        self.with(|s| s.sampler = sampler);
    }

    /// Sets the device's address and the port its server listens on, written into every annotation's host.
    pub fn set_local_address(&self, ipv4: Option<Ipv4Addr>, port: Option<u16>) {
        self.with(|s| {
            s.local.ipv4 = ipv4;
            s.local.port = port;
        });
    }

    /// The endpoint annotations are recorded with.
    pub fn local_endpoint(&self) -> Endpoint<'static> {
        self.with(|s| s.local)
    }

    /// The epoch clock reporters use to turn uptime into Zipkin time.
    pub fn clock(&self) -> &EpochClock<M> {
        &self.clock
    }

    /// A snapshot of every counter.
    pub fn stats(&self) -> Stats {
        self.with(|s| s.stats)
    }

    /// Moves one counter by `n`.
    pub(crate) fn count(&self, counter: Counter, n: u32) {
        self.with(|s| s.stats.add(counter, n));
    }

    /// The queue of finished spans, for reporters.
    pub(crate) fn queue(&self) -> &Channel<M, Span<N, T>, Q> {
        &self.queue
    }

    /// Hands a finished span (timestamps in uptime µs) to the reporter without waiting: when the queue is full
    /// the span is counted as overflow and handed back.
    pub fn record(&self, span: Span<N, T>) -> Result<(), Span<N, T>> {
        match self.queue.try_send(span) {
            Ok(()) => {
                self.count(Counter::Recorded, 1);
                Ok(())
            }
            Err(TrySendError::Full(span)) => {
                self.count(Counter::Overflow, 1);
                Err(span)
            }
        }
    }

    /// Draws a fresh span id.
    pub fn new_span_id(&self) -> SpanId {
        self.with(|s| SpanId::generate(&mut s.ids))
    }

    /// A new root context (64-bit trace id) that follows `sampling` and `debug`, decided by the sampler when
    /// deferred.
    pub fn new_root(&self, sampling: Sampling, debug: bool) -> SpanContext {
        self.with(|s| {
            let trace_id = TraceId::generate64(&mut s.ids);
            let mut context = SpanContext::root_of(trace_id, SpanId::generate(&mut s.ids), sampling);
            context.debug = debug;
            decide_context(&mut context, &mut s.sampler, uptime_micros());
            context
        })
    }

    /// A child of `parent` (same trace and decision, fresh span id), or a new root when there is no parent.
    pub fn child_of(&self, parent: Option<&SpanContext>) -> SpanContext {
        match parent {
            Some(parent) => {
                let mut child = parent.child_with_id(self.new_span_id());
                self.with(|s| decide_context(&mut child, &mut s.sampler, uptime_micros()));
                child
            }
            None => self.new_root(Sampling::Defer, false),
        }
    }

    /// Starts the server side of a request from what its B3 headers gave, and records `sr`.
    ///
    /// A full incoming context is joined: the server records on the client's span id (Zipkin v1's shared
    /// span), and leaves the span's start and duration to the client. Anything else starts a new root trace
    /// (which then owns start and duration); malformed headers are counted in [`Stats::b3_errors`] and never
    /// fail the request.
    pub fn start_server(&self, incoming: Result<Extracted, B3Error>, name: &str) -> TracedSpan<'_, M, Q, N, T> {
        let (context, joined) = match incoming {
            // Valid B3, but Zipkin v1 carries the low half as `trace_id` and refuses 0: one such span would make
            // the collector reject a whole call, so it counts as a B3 error and starts a new trace.
            Ok(Extracted::Context(context)) if context.trace_id.low() == 0 => {
                self.count(Counter::B3Errors, 1);
                (self.new_root(Sampling::Defer, false), false)
            }
            Ok(Extracted::Context(mut context)) => {
                self.with(|s| decide_context(&mut context, &mut s.sampler, uptime_micros()));
                (context, true)
            }
            Ok(Extracted::Sampling { sampling, debug }) => (self.new_root(sampling, debug), false),
            Ok(Extracted::Empty) => (self.new_root(Sampling::Defer, false), false),
            Err(_) => {
                self.count(Counter::B3Errors, 1);
                (self.new_root(Sampling::Defer, false), false)
            }
        };
        TracedSpan::start(self, context, name, Kind::Server, !joined)
    }

    /// Starts the client side of an outgoing call, a child of `parent` (or a new root), and records `cs`.
    pub fn start_client(&self, parent: Option<&SpanContext>, name: &str) -> TracedSpan<'_, M, Q, N, T> {
        TracedSpan::start(self, self.child_of(parent), name, Kind::Client, true)
    }

    /// Starts a local span (no `cs`/`sr`): work inside the device, a child of `parent` or a new root.
    pub fn start_local(&self, parent: Option<&SpanContext>, name: &str) -> TracedSpan<'_, M, Q, N, T> {
        TracedSpan::start(self, self.child_of(parent), name, Kind::Local, true)
    }
}
