//! The original tryfer's examples, for tryfer-smol: `tracing-server` (a traced file server), `tracing-client`
//! (a traced GET), and `demo` (a traced call through two services, shown as a tree and as JSON).
//!
//! ```sh
//! cargo run -p tryfer-examples --bin tracing-server -- --port 8080 --service tracing-server-example
//! cargo run -p tryfer-examples --bin tracing-client -- http://localhost:8080/README.md
//! cargo run -p tryfer-examples --bin demo
//! ```
//!
//! Both print each finished span as the original's debug JSON (pretty, or one line per span with
//! `--json-lines`); `--scribe HOST:PORT` also ships spans to a Scribe collector (Zipkin's, or `tryfer-sink`).
//! Requests without an upstream sampling decision are sampled; an upstream `0` prints nothing.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod command_line;
pub mod files;
pub mod http_server;
pub mod reporting;
pub mod stderr_log;
