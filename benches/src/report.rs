//! The benchmark report: timed comparisons, allocation counts and other figures, written as Markdown (the
//! README's table) and JSON (`{"comparisons": [{"name", "ours_ns", "peer", "peer_ns", "ratio"}, ...], ...}`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// One timed comparison; `ratio = peer_ns / ours_ns`, above 1 when tryfer is faster.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// What was compared, e.g. `thrift_binary_encode`.
    pub name: String,
    /// tryfer's time per operation (criterion's median estimate), in ns.
    pub ours_ns: f64,
    /// The peer and how it was used.
    pub peer: String,
    /// The peer's time per operation, in ns.
    pub peer_ns: f64,
    /// The smallest ratio the issue asks for, if it sets one.
    pub goal: Option<f64>,
}

impl Comparison {
    /// `peer_ns / ours_ns`.
    pub fn ratio(&self) -> f64 {
        self.peer_ns / self.ours_ns
    }

    /// Whether the goal is met; `None` without a goal.
    pub fn met(&self) -> Option<bool> {
        self.goal.map(|goal| self.ratio() >= goal)
    }
}

/// Heap allocations of one operation, for tryfer and for its peer.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocations {
    /// The comparison's name.
    pub name: String,
    /// tryfer's allocations per operation.
    pub ours: f64,
    /// tryfer's allocated bytes per operation.
    pub ours_bytes: f64,
    /// The peer.
    pub peer: String,
    /// The peer's allocations per operation.
    pub peer_allocs: f64,
    /// The peer's allocated bytes per operation.
    pub peer_bytes: f64,
}

/// Any other measured figure: sizes, throughput, latency, footprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Which report section it belongs to, e.g. `scribe`, `throughput`, `http`, `footprint`.
    pub section: &'static str,
    /// What was measured.
    pub name: String,
    /// The value; `None` when it could not be measured (see `note`).
    pub value: Option<f64>,
    /// Its unit, e.g. `bytes`, `spans/s`, `µs`.
    pub unit: &'static str,
    /// The goal, as text (e.g. `>= 1000000`), when the issue sets one.
    pub goal: Option<String>,
    /// Whether the goal is met.
    pub met: Option<bool>,
    /// How it was measured, or why it is missing.
    pub note: String,
}

impl Figure {
    /// A figure without a goal.
    pub fn new(section: &'static str, name: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Figure {
            section,
            name: name.into(),
            value: Some(value),
            unit,
            goal: None,
            met: None,
            note: String::new(),
        }
    }

    /// A figure that could not be measured, and why.
    pub fn missing(section: &'static str, name: impl Into<String>, unit: &'static str, why: impl Into<String>) -> Self {
        Figure {
            section,
            name: name.into(),
            value: None,
            unit,
            goal: None,
            met: None,
            note: why.into(),
        }
    }

    /// Adds a goal and whether it is met.
    pub fn with_goal(mut self, goal: impl Into<String>, met: bool) -> Self {
        self.goal = Some(goal.into());
        self.met = Some(met);
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// The machine and date, one line.
    pub machine: String,
    /// Timed comparisons, in order.
    pub comparisons: Vec<Comparison>,
    /// Allocation counts, in order.
    pub allocations: Vec<Allocations>,
    /// Other figures, in order.
    pub figures: Vec<Figure>,
}

fn goal_text(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "",
    }
}

fn ns(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn number(v: f64) -> String {
    if !v.is_finite() {
        "—".to_owned()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let digits = format!("{}", (v as i64).unsigned_abs());
        let mut out = String::from(if v < 0.0 { "-" } else { "" });
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

impl Report {
    /// The report as Markdown tables.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "Machine: {}\n", self.machine);
        md.push_str("| comparison | tryfer (ns) | peer | peer (ns) | ratio | goal |\n|---|---:|---|---:|---:|---|\n");
        for c in &self.comparisons {
            let goal = c
                .goal
                .map_or(String::new(), |g| format!("≥ {g}: {}", goal_text(c.met())));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.2} | {} |",
                c.name,
                ns(c.ours_ns),
                c.peer,
                ns(c.peer_ns),
                c.ratio(),
                goal
            );
        }
        if !self.allocations.is_empty() {
            md.push_str("\nHeap allocations per operation (bytes in parentheses):\n\n");
            md.push_str("| comparison | tryfer | peer | peer allocations |\n|---|---:|---|---:|\n");
            for a in &self.allocations {
                let peer = if a.peer_allocs.is_finite() {
                    format!("{} ({})", number(a.peer_allocs), number(a.peer_bytes))
                } else {
                    "—".to_owned()
                };
                let _ = writeln!(
                    md,
                    "| {} | {} ({}) | {} | {} |",
                    a.name,
                    number(a.ours),
                    number(a.ours_bytes),
                    a.peer,
                    peer
                );
            }
        }
        let mut section = "";
        for f in &self.figures {
            if f.section != section {
                section = f.section;
                let _ = write!(md, "\n| {section} | value | goal | note |\n|---|---:|---|---|\n");
            }
            let value = f.value.map_or("—".to_owned(), |v| format!("{} {}", number(v), f.unit));
            let goal = f
                .goal
                .as_ref()
                .map_or(String::new(), |g| format!("{g}: {}", goal_text(f.met)));
            let _ = writeln!(md, "| {} | {} | {} | {} |", f.name, value, goal, f.note);
        }
        md
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        json!({
            "machine": self.machine,
            "comparisons": self.comparisons.iter().map(|c| json!({
                "name": c.name,
                "ours_ns": c.ours_ns,
                "peer": c.peer,
                "peer_ns": c.peer_ns,
                "ratio": c.ratio(),
                "goal_ratio": c.goal,
                "met": c.met(),
            })).collect::<Vec<_>>(),
            "allocations": self.allocations.iter().map(|a| json!({
                "name": a.name,
                "ours_allocs": a.ours,
                "ours_bytes": a.ours_bytes,
                "peer": a.peer,
                "peer_allocs": a.peer_allocs,
                "peer_bytes": a.peer_bytes,
            })).collect::<Vec<_>>(),
            "figures": self.figures.iter().map(|f| json!({
                "section": f.section,
                "name": f.name,
                "value": f.value,
                "unit": f.unit,
                "goal": f.goal,
                "met": f.met,
                "note": f.note,
            })).collect::<Vec<_>>(),
        })
    }

    /// Writes `bench-report.md` and `bench-report.json` into `dir`; gives their paths.
    pub fn write(&self, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
        std::fs::create_dir_all(dir)?;
        let md = dir.join("bench-report.md");
        let js = dir.join("bench-report.json");
        std::fs::write(&md, self.markdown())?;
        let text = serde_json::to_string_pretty(&self.json()).map_err(std::io::Error::other)?;
        std::fs::write(&js, text + "\n")?;
        Ok((md, js))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_above_one_means_tryfer_is_faster() {
        let c = Comparison {
            name: "x".into(),
            ours_ns: 10.0,
            peer: "p".into(),
            peer_ns: 55.0,
            goal: Some(5.0),
        };
        assert_eq!(c.ratio(), 5.5);
        assert_eq!(c.met(), Some(true));
        let slow = Comparison { peer_ns: 20.0, ..c };
        assert_eq!(slow.met(), Some(false));
    }

    #[test]
    fn json_carries_the_issue_fields() {
        let report = Report {
            machine: "m".into(),
            comparisons: vec![Comparison {
                name: "b3".into(),
                ours_ns: 20.0,
                peer: "otel".into(),
                peer_ns: 80.0,
                goal: None,
            }],
            allocations: vec![],
            figures: vec![Figure::new("scribe", "bytes", 300.0, "bytes")],
        };
        let v = report.json();
        let c = &v["comparisons"][0];
        assert_eq!(c["name"], "b3");
        assert_eq!(c["ours_ns"], 20.0);
        assert_eq!(c["peer"], "otel");
        assert_eq!(c["peer_ns"], 80.0);
        assert_eq!(c["ratio"], 4.0);
        assert_eq!(v["figures"][0]["value"], 300.0);
        let md = report.markdown();
        assert!(md.contains("| b3 | 20.0 | otel | 80.0 | 4.00 |"), "{md}");
        assert!(md.contains("| bytes | 300 bytes |"), "{md}");
    }

    #[test]
    fn numbers_group_thousands() {
        assert_eq!(number(1234567.0), "1,234,567");
        assert_eq!(number(12.5), "12.50");
        assert_eq!(number(-1000.0), "-1,000");
    }
}
