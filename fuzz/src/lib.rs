//! tryfer's fuzz targets, as cargo-fuzz builds them (`fuzz/run` runs each for a bounded time).
//!
//! [`checks`] holds what each target checks, over the core only, so the core's tests replay every saved input
//! through the same code (`core/tests/fuzz_regressions.rs`). The sink's own span type is not fuzzed here:
//! `tryfer-smol` pulls in async-io 1 through async-h1, whose rustix 0.37 does not build on current nightlies;
//! what the sink parses is the core's, which `sink_frames` covers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod checks;
