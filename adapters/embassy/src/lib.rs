//! Zipkin tracing for embassy devices, on [`tryfer_core`]: traced spans recorded into a fixed-capacity queue,
//! reporter tasks that ship them over embassy-net (Scribe, or Zipkin's HTTP collector), an epoch clock set by
//! the application or by SNTP, and B3 for picoserve servers and reqwless clients.
//!
//! The application never waits on the network: [`Tracer::record`] enqueues a finished span or counts it as
//! overflow, and [`Tracer::stats`] reads every counter at any time. A reporter task owns its socket,
//! reconnects with backoff and resends on `TRY_LATER`.
//!
//! Timestamps are recorded as microseconds since boot (embassy-time's uptime); reporters add the epoch offset
//! ([`clock::EpochClock`]) when they encode a span. Spans recorded before the clock is set wait in the queue
//! and are sent, corrected, once it is: nothing is ever sent as 1970.
//!
//! Features: `defmt` (derives and logging), `sntp` (clock sync over UDP with `sntpc`), `picoserve` (server-side
//! B3 and `sr`/`ss`), `reqwless` (client-side B3 and `cs`/`cr`, and the Zipkin HTTP reporter).
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod fmt;

pub mod clock;
pub mod http;
pub mod ids;
pub mod report;
#[cfg(feature = "sntp")]
pub mod sntp;
pub mod span;
pub mod stats;
pub mod tracer;

pub use clock::EpochClock;
pub use span::{Kind, TracedSpan};
pub use stats::Stats;
pub use tracer::Tracer;
pub use tryfer_core as core;
