//! Fuzz target `b3_multi`: see `tryfer_fuzz::checks::b3::multi`.
#![no_main]
#![forbid(unsafe_code)]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tryfer_fuzz::checks::b3::multi(data));
