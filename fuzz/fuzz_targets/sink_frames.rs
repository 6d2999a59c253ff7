//! Fuzz target `sink_frames`: see `tryfer_fuzz::checks::frames::check`.
#![no_main]
#![forbid(unsafe_code)]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tryfer_fuzz::checks::frames::check(data));
