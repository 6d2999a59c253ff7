//! Every input saved for the fuzz targets, replayed through the very checks the targets run
//! (`fuzz/src/checks`, included here): the committed seed corpus (`fuzz/seeds/<target>/`) and every input the
//! fuzzer ever crashed on (`fuzz/regressions/<target>/`, where `fuzz/run` copies them). So a crash found once
//! stays a failing test of the normal `cargo test` until it is fixed, without cargo-fuzz or a nightly toolchain.
#![forbid(unsafe_code)]

#[path = "../../fuzz/src/checks/mod.rs"]
mod checks;

use std::panic;
use std::path::{Path, PathBuf};

/// The files of `dir`, sorted; none when it does not exist (no crash saved yet for that target).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_saved_fuzz_input_passes_its_target() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut failures = Vec::new();
    let mut seeds = 0;
    for (target, check) in checks::TARGETS {
        let seed_files = inputs(&fuzz.join("seeds").join(target));
        let crash_files = inputs(&fuzz.join("regressions").join(target));
        assert!(
            !seed_files.is_empty(),
            "no seed corpus for {target}: run `cargo run --example seeds` in fuzz/"
        );
        seeds += seed_files.len();
        println!(
            "{target}: {} seeds, {} regressions",
            seed_files.len(),
            crash_files.len()
        );
        for file in seed_files.iter().chain(&crash_files) {
            let data = std::fs::read(file).expect("a readable input");
            if panic::catch_unwind(|| check(&data)).is_err() {
                failures.push(format!("{target}: {}", file.display()));
            }
        }
    }
    assert!(seeds > 0);
    assert!(failures.is_empty(), "inputs that still fail:\n{}", failures.join("\n"));
}
