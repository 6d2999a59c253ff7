//! Fuzz target `span_roundtrip`: see `tryfer_fuzz::checks::roundtrip::check`.
#![no_main]
#![forbid(unsafe_code)]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tryfer_fuzz::checks::roundtrip::check(data));
