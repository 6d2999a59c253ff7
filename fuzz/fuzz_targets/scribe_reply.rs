//! Fuzz target `scribe_reply`: see `tryfer_fuzz::checks::reply::check`.
#![no_main]
#![forbid(unsafe_code)]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tryfer_fuzz::checks::reply::check(data));
