//! `cargo bench -p tryfer-benches`: every comparison of the issue, then the report.
//!
//! 1. Checks that each comparison's two sides produce the same thing (a failed check is reported and the
//!    comparison is left out of the table).
//! 2. Times both sides of each comparison with criterion (short warm-up and measurement: the whole run stays
//!    within minutes on two cores), then reads criterion's median estimates back from its output directory.
//! 3. Counts heap allocations per operation (the `bench-allocations` binary).
//! 4. Reporter throughput and HTTP overhead on loopback, embedded footprint (the repository's own scripts).
//! 5. Writes `bench-report.md` and `bench-report.json` into the target directory and prints the Markdown.
//!
//! Without `--bench` (as `cargo test --benches` runs it) it only checks each comparison and runs a tiny load
//! through items 7 and 8, writing nothing. A filter argument (`cargo bench -p tryfer-benches -- b3`) narrows
//! the criterion benchmarks by regex and the other sections by name; the report of a filtered run is printed,
//! not written (the last full report stays).
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::Criterion;
use tryfer_benches::http_overhead::{self, HttpLoad, Mode};
use tryfer_benches::report::{Allocations, Comparison, Figure, Report};
use tryfer_benches::throughput::{self, Load};
use tryfer_benches::{footprint, machine, scribe_message, visit_pairs, Pair, Visit};

/// The goals for the timed comparisons, by name prefix.
fn goal(name: &str) -> Option<f64> {
    match name {
        "thrift_binary_encode" => Some(5.0),
        n if n.starts_with("b3_") => Some(3.0),
        "span_lifecycle_host" => Some(1.0),
        "zipkin_v2_json" => Some(3.0),
        _ => None,
    }
}

/// A directory-safe form of a peer's name.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_matches('-').to_owned()
}

/// Criterion's median estimate for one benchmark, in ns.
fn median_ns(criterion_dir: &Path, group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// Checks every comparison; gives the names (with peers) that failed.
struct Check {
    failed: Vec<(String, String)>,
}

impl Visit for Check {
    fn visit<P: Pair>(&mut self, mut pair: P) {
        match pair.check() {
            Ok(()) => println!("check {} vs {}: same result", pair.name(), pair.peer_name()),
            Err(why) => {
                println!("CHECK FAILED {} vs {}: {why}", pair.name(), pair.peer_name());
                self.failed.push((pair.name().to_owned(), pair.peer_name().to_owned()));
            }
        }
    }
}

/// Times both sides of every comparison that passed its check.
struct Time<'a> {
    criterion: &'a mut Criterion,
    criterion_dir: PathBuf,
    failed: &'a [(String, String)],
    comparisons: Vec<Comparison>,
    problems: Vec<String>,
}

impl Visit for Time<'_> {
    fn visit<P: Pair>(&mut self, mut pair: P) {
        let (name, peer) = (pair.name(), pair.peer_name());
        if self.failed.iter().any(|(n, p)| n == name && p == peer) {
            return;
        }
        // Criterion cuts directory names at 64 characters: keep ids shorter, so they name their directory.
        let group_id: String = format!("{}--{}", slug(name), slug(peer)).chars().take(60).collect();
        let mut group = self.criterion.benchmark_group(&group_id);
        group.bench_function("tryfer", |b| b.iter(|| black_box(pair.ours())));
        group.bench_function("peer", |b| b.iter(|| black_box(pair.peer())));
        group.finish();
        if let Err(why) = pair.verify() {
            self.problems.push(format!("{name} vs {peer}: {why}"));
        }
        let ours = median_ns(&self.criterion_dir, &group_id, "tryfer");
        let theirs = median_ns(&self.criterion_dir, &group_id, "peer");
        if let (Some(ours_ns), Some(peer_ns)) = (ours, theirs) {
            self.comparisons.push(Comparison {
                name: name.to_owned(),
                ours_ns,
                peer: peer.to_owned(),
                peer_ns,
                goal: goal(name),
            });
        }
    }
}

/// The target directory: `CARGO_TARGET_DIR`, else three levels above this executable (`target/release/deps`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn allocations() -> Result<Vec<Allocations>, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_bench-allocations"))
        .output()
        .map_err(|e| format!("cannot run bench-allocations: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "bench-allocations failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut rows = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("bench-allocations: {e}"))?;
        let number = |key: &str| v[key].as_f64().unwrap_or(f64::NAN);
        rows.push(Allocations {
            name: v["name"].as_str().unwrap_or_default().to_owned(),
            ours: number("ours_allocs"),
            ours_bytes: number("ours_bytes"),
            peer: v["peer"].as_str().unwrap_or_default().to_owned(),
            peer_allocs: number("peer_allocs"),
            peer_bytes: number("peer_bytes"),
        });
    }
    Ok(rows)
}

fn http_figures(full: bool) -> Vec<Figure> {
    let load = if full {
        HttpLoad {
            connections: 4,
            warmup: Duration::from_millis(500),
            measure: Duration::from_secs(3),
        }
    } else {
        HttpLoad {
            connections: 2,
            warmup: Duration::from_millis(50),
            measure: Duration::from_millis(200),
        }
    };
    let dir = std::env::temp_dir().join(format!("tryfer-benches-http-{}", std::process::id()));
    let file = "hello.txt";
    if let Err(e) =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(file), "hello, tryfer\n".repeat(8)))
    {
        return vec![Figure::missing(
            "http overhead",
            "server",
            "req/s",
            format!("cannot write the served file: {e}"),
        )];
    }
    // Two rounds, modes interleaved, the better round of each mode kept: other load on a shared machine
    // lowers a round, it never raises one.
    let modes = [Mode::Untraced, Mode::Sampled, Mode::Unsampled, Mode::ExampleServe];
    let rounds = if full { 2 } else { 1 };
    let mut results: Vec<(Mode, Result<http_overhead::ServerRun, String>)> = Vec::new();
    for round in 0..rounds {
        for mode in modes {
            if round > 0 && mode == Mode::ExampleServe {
                continue;
            }
            let result = http_overhead::run(mode, &dir, file, load);
            match &result {
                Ok(http_overhead::ServerRun { load: o, .. }) => println!(
                    "http {} (round {}): {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs",
                    mode.word(),
                    round + 1,
                    o.rate(),
                    o.p50_micros,
                    o.p99_micros
                ),
                Err(why) => println!("http {}: FAILED {why}", mode.word()),
            }
            match results.iter_mut().find(|(m, _)| *m == mode) {
                Some((_, kept)) => {
                    let better = match (&*kept, &result) {
                        (Ok(a), Ok(b)) => b.load.rate() > a.load.rate(),
                        (Err(_), _) => true,
                        (Ok(_), Err(_)) => false,
                    };
                    if better {
                        *kept = result;
                    }
                }
                None => results.push((mode, result)),
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    http_overhead::figures(load, &results)
}

/// Where a B3 extraction's time goes: the `HeaderMap` lookups alone, and the core's parsing from plain pairs.
fn b3_floor(criterion: &mut Criterion, criterion_dir: &Path) -> Vec<Figure> {
    use tryfer_benches::b3::{core_extract, header_lookups, request_headers, request_pairs, Form};
    let multi = request_headers(Form::Multi);
    let owned: Vec<(Form, Vec<(String, String)>)> = [Form::Multi, Form::Single]
        .into_iter()
        .map(|f| (f, request_pairs(f)))
        .collect();
    let mut group = criterion.benchmark_group("b3_parts");
    group.bench_function("headermap_lookups", |b| b.iter(|| header_lookups(black_box(&multi))));
    for (form, pairs) in &owned {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let id = format!("core_extract_{form:?}").to_lowercase();
        group.bench_function(&id, |b| b.iter(|| core_extract(black_box(&pairs))));
    }
    group.finish();
    let mut figures = Vec::new();
    let parts = [
        (
            "headermap_lookups",
            "the 6 `HeaderMap::get(&str)` lookups of a multi-header extraction, alone",
        ),
        (
            "core_extract_multi",
            "tryfer-core extract, multi, from `(name, value)` pairs (no HeaderMap)",
        ),
        (
            "core_extract_single",
            "tryfer-core extract, single, from `(name, value)` pairs (no HeaderMap)",
        ),
    ];
    for (id, what) in parts {
        if let Some(ns) = median_ns(criterion_dir, "b3_parts", id) {
            figures.push(Figure::new("b3 parts", what, (ns * 10.0).round() / 10.0, "ns"));
        }
    }
    figures
}

fn selected(filter: Option<&str>, section: &str) -> bool {
    filter.is_none_or(|f| section.contains(f))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let filter = args.iter().find(|a| !a.starts_with('-')).map(String::as_str);
    let target = target_dir();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");

    let mut check = Check { failed: Vec::new() };
    visit_pairs(&mut check);

    let criterion_dir = target.join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&criterion_dir)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1000))
        .sample_size(20)
        .without_plots()
        .configure_from_args();
    let mut time = Time {
        criterion: &mut criterion,
        criterion_dir: criterion_dir.clone(),
        failed: &check.failed,
        comparisons: Vec::new(),
        problems: Vec::new(),
    };
    visit_pairs(&mut time);
    let Time {
        comparisons, problems, ..
    } = time;
    let b3_parts = if selected(filter, "b3") {
        b3_floor(&mut criterion, &criterion_dir)
    } else {
        Vec::new()
    };

    let mut report = Report {
        machine: machine::describe(),
        comparisons,
        ..Report::default()
    };
    for p in &problems {
        println!("PROBLEM {p}");
    }

    if full && selected(filter, "allocations") {
        match allocations() {
            Ok(rows) => report.allocations = rows,
            Err(why) => println!("allocations: {why}"),
        }
    }
    report.figures.extend(b3_parts);
    if selected(filter, "scribe") {
        report.figures.extend(scribe_message::figures());
    }
    if selected(filter, "throughput") {
        let load = if full {
            Load {
                producers: 4,
                spans: 1_000_000,
                limit: Duration::from_secs(60),
            }
        } else {
            Load {
                producers: 2,
                spans: 2_000,
                limit: Duration::from_secs(20),
            }
        };
        let outcome = throughput::run(load);
        match &outcome {
            Ok(o) => println!(
                "throughput: {:.0} spans/s ({} spans in {:.2} s)",
                o.spans_per_second, o.received, o.seconds
            ),
            Err(why) => println!("throughput: FAILED {why}"),
        }
        report.figures.extend(throughput::figures(load, &outcome));
    }
    if selected(filter, "http") {
        report.figures.extend(http_figures(full));
    }
    if full && selected(filter, "footprint") {
        report
            .figures
            .extend(footprint::core_figures(&root, Duration::from_secs(900)));
        report
            .figures
            .extend(footprint::firmware_figures(&root, Duration::from_secs(900)));
    }

    if full && filter.is_some() {
        // A filtered run measured only part: show it, keep the last full report.
        println!("\n{}", report.markdown());
    } else if full {
        match report.write(&target) {
            Ok((md, js)) => {
                println!("\n{}", report.markdown());
                println!("wrote {} and {}", md.display(), js.display());
            }
            Err(e) => println!("cannot write the report into {}: {e}", target.display()),
        }
    }
    if !check.failed.is_empty() {
        std::process::exit(1);
    }
}
