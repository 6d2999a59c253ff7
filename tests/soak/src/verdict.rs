//! A run's outcome: the reporter's counters beside the collector's books, the record-call times and the
//! queue's memory, printed, and the checks that make the soak pass or fail.

use std::time::Duration;

use crate::ledger::Tally;
use crate::schedule::Phase;
use crate::timing::RecordTimes;

/// What the reporter counted.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Spans handed to the reporter.
    pub reported: u64,
    /// Spans the reporter counts as acknowledged.
    pub sent: u64,
    /// Spans dropped, by reason, as the reporter names them.
    pub dropped: Vec<(&'static str, u64)>,
    /// Spans still held (queued or in flight) when the run ended: 0 once drained.
    pub held: u64,
    /// The reporter's own `reported - sent - dropped - held` (0 unless it loses spans by its own count).
    pub own_unaccounted: i128,
    /// Other counters worth showing (retries, reconnects, ...).
    pub other: Vec<(&'static str, u64)>,
}

impl Counts {
    /// Every span dropped, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped.iter().map(|(_, n)| n).sum()
    }
}

/// The queue's memory at its peak, against its bound.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    /// The most bytes held at once.
    pub peak_bytes: u64,
    /// The most spans held at once.
    pub peak_spans: u64,
    /// What `peak_bytes` may not exceed.
    pub bound_bytes: u64,
    /// What `peak_spans` may not exceed.
    pub bound_spans: u64,
    /// How the bound is made up.
    pub bound_note: String,
}

/// One reporter's soak.
pub struct Run {
    /// `smol` or `embassy`.
    pub reporter: &'static str,
    /// Spans the producers were to report.
    pub spans: u64,
    /// The schedule's phase length.
    pub phase_len: Duration,
    /// The reporter's counters at the end.
    pub counts: Counts,
    /// The collector's books.
    pub tally: Tally,
    /// Record-call durations.
    pub record: RecordTimes,
    /// The queue's memory.
    pub memory: Memory,
    /// Whether every held span was sent or dropped before the run ended.
    pub drained: bool,
    /// How long the whole run took.
    pub elapsed: Duration,
}

/// What a run must stay within.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest a record call may take: far below any network timeout, so a call that waited on the network
    /// shows.
    pub max_record: Duration,
}

impl Run {
    /// Spans neither delivered nor counted as dropped (negative: counted twice).
    pub fn unaccounted(&self) -> i128 {
        i128::from(self.counts.reported) - i128::from(self.tally.delivered) - i128::from(self.counts.dropped())
            + i128::from(self.tally.overlap)
    }

    /// Every check the run failed, explained; empty when it passed.
    pub fn failures(&self, limits: &Limits) -> Vec<String> {
        let mut failures = Vec::new();
        let mut check = |ok: bool, why: String| {
            if !ok {
                failures.push(why);
            }
        };
        check(
            self.unaccounted() == 0,
            format!("{} spans unaccounted", self.unaccounted()),
        );
        check(
            self.counts.own_unaccounted == 0,
            format!(
                "the reporter's own counters leave {} unaccounted",
                self.counts.own_unaccounted
            ),
        );
        check(
            self.counts.reported == self.spans,
            format!("{} spans reported, {} were recorded", self.counts.reported, self.spans),
        );
        check(
            self.drained && self.counts.held == 0,
            format!("not drained: {} spans still held after recovery", self.counts.held),
        );
        check(
            self.record.max() <= limits.max_record,
            format!(
                "a record call took {:?} (limit {:?})",
                self.record.max(),
                limits.max_record
            ),
        );
        check(
            self.memory.peak_bytes <= self.memory.bound_bytes && self.memory.peak_spans <= self.memory.bound_spans,
            format!(
                "the queue held {} bytes / {} spans, over its bound of {} / {}",
                self.memory.peak_bytes, self.memory.peak_spans, self.memory.bound_bytes, self.memory.bound_spans
            ),
        );
        check(
            self.tally.foreign == 0,
            format!("{} span ids were never reported", self.tally.foreign),
        );
        check(
            self.tally.bad_calls.is_empty(),
            format!("invalid calls: {}", self.tally.bad_calls.join("; ")),
        );
        for phase in [
            Phase::Reset,
            Phase::Stall,
            Phase::TryLater,
            Phase::Exception,
            Phase::Garbage,
        ] {
            let calls: u64 = self
                .tally
                .calls
                .iter()
                .filter(|((p, _), _)| *p == phase)
                .map(|(_, n)| n)
                .sum();
            check(
                calls > 0,
                format!("no call reached the collector while it was in phase {phase}"),
            );
        }
        failures
    }

    /// Prints the run and its verdict; true when it passed.
    pub fn report(&self, limits: &Limits) -> bool {
        let c = &self.counts;
        let t = &self.tally;
        let phases: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
        println!(
            "soak {}: {} spans, {} phases of {:?} ({}), {:.1}s",
            self.reporter,
            self.spans,
            phases.len(),
            self.phase_len,
            phases.join(", "),
            self.elapsed.as_secs_f64()
        );
        let row = |name: &str, n: String, what: String| println!("  {name:<13}{n:>9}   {what}");
        row("reported", c.reported.to_string(), "handed to the reporter".into());
        row(
            "delivered",
            t.delivered.to_string(),
            "acknowledged and counted by the collector (distinct span ids)".into(),
        );
        let reasons: Vec<String> = c.dropped.iter().map(|(r, n)| format!("{r} {n}")).collect();
        row(
            "dropped",
            c.dropped().to_string(),
            format!("counted by the reporter: {}", reasons.join(", ")),
        );
        row(
            "duplicates",
            t.duplicates.to_string(),
            format!(
                "extra copies counted ({} spans): acknowledged, reply lost, sent again",
                t.duplicated_spans
            ),
        );
        row(
            "overlap",
            t.overlap.to_string(),
            "delivered, then counted dropped when a resend was refused".into(),
        );
        row(
            "unaccounted",
            self.unaccounted().to_string(),
            "reported - delivered - dropped + overlap".into(),
        );
        println!(
            "  {:<13}max {:?}, 99.9% under {:?}, 99% under {:?} ({} calls; limit {:?})",
            "record call",
            self.record.max(),
            self.record.under(0.999),
            self.record.under(0.99),
            self.record.count(),
            limits.max_record
        );
        let m = &self.memory;
        println!(
            "  {:<13}peak {} bytes, {} spans; bound {} bytes, {} spans ({})",
            "queue", m.peak_bytes, m.peak_spans, m.bound_bytes, m.bound_spans, m.bound_note
        );
        let calls: Vec<String> = t.calls.iter().map(|((p, a), n)| format!("{p}/{a} {n}")).collect();
        println!("  {:<13}{}", "collector", calls.join(", "));
        let other: Vec<String> = c.other.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("  {:<13}sent {}, {}", "reporter", c.sent, other.join(", "));
        let failures = self.failures(limits);
        if failures.is_empty() {
            println!("  {:<13}PASS", "result");
        } else {
            for f in &failures {
                println!("  {:<13}FAIL: {f}", "result");
            }
        }
        failures.is_empty()
    }
}
