//! Fuzz target `b3_single`: see `tryfer_fuzz::checks::b3::single`.
#![no_main]
#![forbid(unsafe_code)]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tryfer_fuzz::checks::b3::single(data));
