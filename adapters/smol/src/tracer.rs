//! The host tracer: local endpoint, sampling, ids, clock, and where finished spans go.

use std::cell::RefCell;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::SmallRng;
use rand::SeedableRng;
use tryfer_core::b3::{B3Error, Extracted};
use tryfer_core::sampler::{decide_context, Always, Sampler};
use tryfer_core::{Endpoint, Sampling, SpanContext};

use crate::report::Report;
use crate::span::{HostSpan, TracedSpan};

thread_local! {
    /// Ids come from a fast per-thread generator seeded from the OS.
    static RNG: RefCell<SmallRng> = RefCell::new(SmallRng::from_os_rng());
}

fn with_rng<T>(f: impl FnOnce(&mut SmallRng) -> T) -> T {
    RNG.with(|rng| f(&mut rng.borrow_mut()))
}

/// Microseconds since the Unix epoch from the system clock.
pub fn system_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

struct Inner {
    service_name: String,
    address: SocketAddr,
    sampler: Mutex<Box<dyn Sampler + Send>>,
    reporter: Arc<dyn Report>,
    trace_id_128: bool,
}

/// Creates spans for one service and hands finished ones to a reporter. Cheap to clone.
#[derive(Clone)]
pub struct Tracer {
    inner: Arc<Inner>,
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("service_name", &self.inner.service_name)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Tracer`].
pub struct TracerBuilder {
    service_name: String,
    address: SocketAddr,
    sampler: Box<dyn Sampler + Send>,
    trace_id_128: bool,
}

impl TracerBuilder {
    /// The local address recorded on this service's annotations (default 127.0.0.1, port 0).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// The sampler for traces that arrive without a decision (default: sample everything).
    pub fn sampler(mut self, sampler: impl Sampler + Send + 'static) -> Self {
        self.sampler = Box::new(sampler);
        self
    }

    /// Start new traces with 128-bit trace ids (default: 64-bit, like the original tryfer).
    pub fn trace_id_128(mut self, yes: bool) -> Self {
        self.trace_id_128 = yes;
        self
    }

    /// The tracer, reporting finished spans to `reporter`.
    pub fn build(self, reporter: Arc<dyn Report>) -> Tracer {
        Tracer {
            inner: Arc::new(Inner {
                service_name: self.service_name.to_lowercase(),
                address: self.address,
                sampler: Mutex::new(self.sampler),
                reporter,
                trace_id_128: self.trace_id_128,
            }),
        }
    }
}

impl Tracer {
    /// A builder for a service named `service_name` (lower-cased, as Zipkin stores it).
    pub fn builder(service_name: &str) -> TracerBuilder {
        TracerBuilder {
            service_name: service_name.to_owned(),
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            sampler: Box::new(Always),
            trace_id_128: false,
        }
    }

    /// The service name on this tracer's annotations.
    pub fn service_name(&self) -> &str {
        &self.inner.service_name
    }

    /// This service's endpoint, for annotations.
    pub fn local_endpoint(&self) -> Endpoint<'_> {
        endpoint_of(&self.inner.service_name, self.inner.address)
    }

    /// Now, in µs since the epoch.
    pub fn now_micros(&self) -> u64 {
        system_micros()
    }

    /// Decides sampling for a trace that arrived with `sampling`/`debug`: upstream decisions win.
    pub fn decide(&self, context: &mut SpanContext) {
        if context.debug || context.sampling != Sampling::Defer {
            return;
        }
        let now = self.now_micros();
        let mut sampler = self
            .inner
            .sampler
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        decide_context(context, &mut **sampler, now);
    }

    /// A new root context with a local sampling decision.
    pub fn new_trace(&self) -> SpanContext {
        let mut ctx = with_rng(|rng| {
            if self.inner.trace_id_128 {
                SpanContext::new_root_128(rng, Sampling::Defer)
            } else {
                SpanContext::new_root(rng, Sampling::Defer)
            }
        });
        self.decide(&mut ctx);
        ctx
    }

    /// A child context of `parent`: same trace and sampling, `parent` as parent, a fresh span id.
    pub fn child_context(&self, parent: &SpanContext) -> SpanContext {
        with_rng(|rng| parent.child(rng))
    }

    /// The context a server joins from extracted B3: the caller's span (same span id, as Finagle does), a
    /// new root trace when nothing or only a sampling decision arrived, or when the headers were malformed.
    pub fn join(&self, extracted: Result<Extracted, B3Error>) -> SpanContext {
        match extracted {
            // Valid B3, but Zipkin v1 (Scribe, Thrift) carries the low half as `trace_id` and refuses 0: one such
            // span would make the collector reject a whole batch, so the request starts a new trace instead.
            Ok(Extracted::Context(ctx)) if ctx.trace_id.low() == 0 => {
                log::warn!("B3 trace id with a zero low half cannot be reported to Zipkin v1; starting a new trace");
                self.new_trace()
            }
            Ok(Extracted::Context(mut ctx)) => {
                self.decide(&mut ctx);
                ctx
            }
            Ok(Extracted::Sampling { sampling, debug }) => {
                let mut ctx = with_rng(|rng| SpanContext::new_root(rng, sampling));
                ctx.debug = debug;
                self.decide(&mut ctx);
                ctx
            }
            Ok(Extracted::Empty) => self.new_trace(),
            Err(reason) => {
                log::warn!("malformed B3 headers ({reason}); starting a new trace");
                self.new_trace()
            }
        }
    }

    /// Starts recording a span for `context` (records nothing when the context is not sampled).
    pub fn start(&self, context: SpanContext, name: &str) -> TracedSpan {
        TracedSpan::new(self.clone(), context, name)
    }

    pub(crate) fn report(&self, span: Box<HostSpan>) {
        self.inner.reporter.report(span);
    }
}

/// An endpoint for a socket address (IPv4 or IPv6).
pub fn endpoint_of(service_name: &str, address: SocketAddr) -> Endpoint<'_> {
    match address.ip() {
        IpAddr::V4(v4) => Endpoint {
            service_name,
            ipv4: Some(v4),
            ipv6: None,
            port: (address.port() != 0).then_some(address.port()),
        },
        IpAddr::V6(v6) => Endpoint {
            service_name,
            ipv4: None,
            ipv6: Some(v6),
            port: (address.port() != 0).then_some(address.port()),
        },
    }
}
