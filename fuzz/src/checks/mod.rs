//! What each fuzz target checks, as plain functions of the input bytes.
//!
//! The fuzz targets call these, and `core/tests/fuzz_regressions.rs` includes this module by path and replays
//! every saved input (the seed corpus and each crash the fuzzer found) through them, so a crash stays a test
//! of the normal `cargo test`. A check panics only when a property breaks: malformed input is expected, and
//! must give an error, never a panic, an out-of-bounds read or a wrong answer.
//!
//! Only `tryfer-core`, `arbitrary` and `serde_json` are used here, so the core's tests can compile it.
#![allow(dead_code)]

pub mod b3;
pub mod frames;
pub mod model;
pub mod reply;
pub mod roundtrip;
pub mod span;

/// A target's check: panics when a property breaks on this input.
pub type Check = fn(&[u8]);

/// Every fuzz target by name (as in `fuzz/Cargo.toml` and under `fuzz/seeds/` and `fuzz/regressions/`), with
/// its check.
pub const TARGETS: [(&str, Check); 6] = [
    ("b3_single", b3::single),
    ("b3_multi", b3::multi),
    ("scribe_reply", reply::check),
    ("sink_frames", frames::check),
    ("span_decode", span::check),
    ("span_roundtrip", roundtrip::check),
];
