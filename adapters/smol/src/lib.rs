//! Zipkin tracing for smol apps, on tryfer-core: a surf client middleware, an http-types server wrapper,
//! the original tryfer's debug tracer, Scribe and Zipkin HTTP reporters, and the `tryfer-sink` receiver.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod buffer;
#[cfg(feature = "surf")]
pub mod client;
pub mod queue;
pub mod report;
pub mod server;
pub mod sink;
pub mod span;
pub mod stats;
pub mod tags;
pub mod tracer;

pub use report::Report;
pub use span::{HostSpan, TracedSpan};
pub use tracer::Tracer;
pub use tryfer_core as core;
