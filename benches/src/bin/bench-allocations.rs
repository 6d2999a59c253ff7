//! Heap allocations per operation, for tryfer and each peer, over the same comparisons the bench times.
//!
//! A binary of its own because counting needs `allocation-counter`'s global allocator, which would also tax
//! every allocation of the timed peers; `cargo bench -p tryfer-benches` runs it and reads its output, one JSON
//! object per line: `{"name", "peer", "ours_allocs", "ours_bytes", "peer_allocs", "peer_bytes"}`.
#![forbid(unsafe_code)]

use std::hint::black_box;

use tryfer_benches::{visit_pairs, Pair, Visit};
use tryfer_core::b3::Format;

/// Operations per measurement (after as many unmeasured ones, so lazily grown buffers are in place).
const OPS: u64 = 1_000;

fn per_op(mut op: impl FnMut() -> usize) -> (f64, f64) {
    for _ in 0..OPS {
        black_box(op());
    }
    let info = allocation_counter::measure(|| {
        for _ in 0..OPS {
            black_box(op());
        }
    });
    (
        info.count_total as f64 / OPS as f64,
        info.bytes_total as f64 / OPS as f64,
    )
}

fn line(name: &str, peer: &str, ours: (f64, f64), theirs: (f64, f64)) {
    let row = serde_json::json!({
        "name": name,
        "peer": peer,
        "ours_allocs": ours.0,
        "ours_bytes": ours.1,
        "peer_allocs": theirs.0,
        "peer_bytes": theirs.1,
    });
    println!("{row}");
}

struct Count;

impl Visit for Count {
    fn visit<P: Pair>(&mut self, mut pair: P) {
        let ours = per_op(|| pair.ours());
        let theirs = per_op(|| pair.peer());
        line(pair.name(), pair.peer_name(), ours, theirs);
        if let Err(why) = pair.verify() {
            eprintln!("{}: {why}", pair.name());
        }
    }
}

fn main() {
    visit_pairs(&mut Count);
    // B3 injection without the carrier: the core formats every value on the stack.
    let context = tryfer_benches::typical::context();
    for (name, format) in [
        ("b3_inject_multi, core alone", Format::Multi),
        ("b3_inject_single, core alone", Format::Single),
    ] {
        let ours = per_op(|| {
            let mut n = 0;
            tryfer_core::b3::inject(black_box(&context), format, &mut |name: &'static str, value: &str| {
                n += black_box(name.len() + value.len());
            });
            n
        });
        line(name, "—", ours, (f64::NAN, f64::NAN));
    }
}
