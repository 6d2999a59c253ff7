//! The RAM the README promises for the defaults: each piece's size, measured, and held to the stated bound.

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use tryfer_core::Span;
use tryfer_embassy::report::http::HttpBuffers;
use tryfer_embassy::report::scribe::ScribeBuffers;
use tryfer_embassy::{EpochClock, Tracer};

/// `(piece, measured bytes, the README's bound)`.
fn pieces() -> Vec<(&'static str, usize, usize)> {
    vec![
        ("Span<8, 256>", size_of::<Span<8, 256>>(), 832),
        (
            "Tracer<_, 8, 8, 256>",
            size_of::<Tracer<CriticalSectionRawMutex, 8, 8, 256>>(),
            6_912,
        ),
        ("ScribeBuffers<8, 256, 4, 4096>", size_of::<ScribeBuffers>(), 9_728),
        ("HttpBuffers<8, 256, 4, 3072>", size_of::<HttpBuffers>(), 9_216),
        ("EpochClock", size_of::<EpochClock<CriticalSectionRawMutex>>(), 16),
    ]
}

#[test]
fn the_defaults_fit_the_ram_the_readme_states() {
    for (piece, bytes, bound) in pieces() {
        println!("{piece}: {bytes} bytes (README: at most {bound})");
        assert!(
            bytes <= bound,
            "{piece} takes {bytes} bytes, more than the README's {bound}"
        );
    }
}
