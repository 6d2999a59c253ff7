//! Fuzz target `span_decode`: see `tryfer_fuzz::checks::span::check`.
#![no_main]
#![forbid(unsafe_code)]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tryfer_fuzz::checks::span::check(data));
