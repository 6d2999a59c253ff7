//! `tryfer-sink`: a Scribe receiver to run on a laptop and see what a board sends.
//!
//! [`ScribeSink`] listens for framed Scribe `Log` calls (loopback by default), decodes each `zipkin` message as a
//! TBinaryProtocol or TCompactProtocol span with the core, and answers like Zipkin's collector: `OK` when every
//! message decoded; a Thrift exception, keeping none of the call's spans, when one did not; `OK` without
//! decoding for other categories; nothing for `ONEWAY` calls. Replies keep the order of pipelined calls.
//! It never answers `TRY_LATER`: when the span reader falls behind, the sink stops reading instead.
//!
//! Hostile input is bounded by [`SinkOptions`]: the frame size, the entries per call, the connections open at
//! once (more are accepted and closed at once) and, optionally, how long a connection may sit idle. A bad frame
//! gets an exception reply and the connection goes on (a frame over the size limit gets one and is then
//! closed); the first problem of each connection is logged as a warning, the rest at debug level.
//!
//! Around it: [`tree`] renders a trace as an indented tree with duration bars, [`live`] decides when a trace is
//! complete enough to print, [`forward`] re-sends spans to a Zipkin HTTP collector (feature `surf`), and
//! [`args`] reads the binary's command line.

pub mod args;
mod call;
mod connection;
#[cfg(feature = "surf")]
pub mod forward;
pub mod live;
mod record;
mod server;
mod stats;
pub mod tree;

use std::time::Duration;

pub use call::MAX_EVENTS;
pub use record::{ReceivedEndpoint, ReceivedEvent, ReceivedSpan, ReceivedValue};
pub use server::ScribeSink;
pub use stats::{SinkSnapshot, SinkStats};
pub use tryfer_core::thrift::decode::Protocol;

/// The port Zipkin's Scribe collector listens on, and the sink's default.
pub const DEFAULT_PORT: u16 = 9410;

/// The sink's limits. Every input-driven allocation is bounded by them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkOptions {
    /// Largest frame accepted, in bytes (after the 4-byte length); a longer one is refused and its connection
    /// closed. Default 4 MiB.
    pub max_frame: usize,
    /// Most log entries one call may carry; a call with more is refused. Default 10 000.
    pub max_spans_per_call: usize,
    /// Most connections served at once; more are accepted and closed at once. Default 64.
    pub max_connections: usize,
    /// Close a connection that sends nothing for this long; `None` (the default) keeps it open.
    pub idle_timeout: Option<Duration>,
    /// Decoded spans waiting for their reader before the sink stops reading from its connections. Default 4096.
    pub span_channel: usize,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            max_frame: 4 << 20,
            max_spans_per_call: 10_000,
            max_connections: 64,
            idle_timeout: None,
            span_channel: 4096,
        }
    }
}
