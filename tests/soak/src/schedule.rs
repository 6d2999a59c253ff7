//! The collector's misbehaviour over time: one phase after another, each [`Schedule::phase_len`] long, the last
//! ([`Phase::Recover`]) lasting until the run ends. Both collectors (smol and embassy) read the phase from the
//! wall clock, so the schedule needs no coordination.

use std::fmt;
use std::time::{Duration, Instant};

/// What the collector does during one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Nothing listens: connections are refused.
    Absent,
    /// Connections are accepted, then reset: mid-frame, or after the call was read and counted but before the
    /// reply (the reply is lost, so the reporter sends the same spans again: duplicates).
    Reset,
    /// Calls are read and never answered; the connection stays open until the phase ends.
    Stall,
    /// Calls are answered `TRY_LATER`.
    TryLater,
    /// Calls are answered with a Thrift exception (the reporter drops their spans, counted as rejected).
    Exception,
    /// Calls are answered with bytes that are not a reply to them (one kind in three is an `OK` with another
    /// sequence id, sent after counting the spans: those arrive twice).
    Garbage,
    /// Calls are answered `OK` and counted.
    Recover,
}

impl Phase {
    /// Every phase, in schedule order.
    pub const ALL: [Phase; 7] = [
        Phase::Absent,
        Phase::Reset,
        Phase::Stall,
        Phase::TryLater,
        Phase::Exception,
        Phase::Garbage,
        Phase::Recover,
    ];

    /// The phase's name in the output.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Absent => "absent",
            Phase::Reset => "reset",
            Phase::Stall => "stall",
            Phase::TryLater => "try-later",
            Phase::Exception => "exception",
            Phase::Garbage => "garbage",
            Phase::Recover => "recover",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// When each phase runs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    start: Instant,
    phase_len: Duration,
}

impl Schedule {
    /// A schedule starting now, `phase_len` per phase.
    pub fn start(phase_len: Duration) -> Self {
        Schedule {
            start: Instant::now(),
            phase_len,
        }
    }

    /// How long each phase lasts (the last one excepted).
    pub fn phase_len(&self) -> Duration {
        self.phase_len
    }

    /// The phase now.
    pub fn phase(&self) -> Phase {
        self.phase_at(Instant::now())
    }

    /// The phase at `at`.
    pub fn phase_at(&self, at: Instant) -> Phase {
        let elapsed = at.saturating_duration_since(self.start);
        let index = elapsed.as_nanos() / self.phase_len.as_nanos().max(1);
        let last = Phase::ALL.len() - 1;
        Phase::ALL[usize::try_from(index).unwrap_or(last).min(last)]
    }

    /// When the faults are over and [`Phase::Recover`] begins.
    pub fn recovery(&self) -> Instant {
        self.start + self.phase_len * (Phase::ALL.len() as u32 - 1)
    }

    /// When production should have reported the `i`-th of `n` spans: evenly over the faults and one phase of
    /// recovery.
    pub fn report_time(&self, i: u64, n: u64) -> Instant {
        let window = self.phase_len * Phase::ALL.len() as u32;
        let fraction = i as f64 / n.max(1) as f64;
        self.start + window.mul_f64(fraction.min(1.0))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn phases_follow_each_other_and_recovery_lasts() {
        let schedule = Schedule::start(Duration::from_millis(100));
        let at = |ms| schedule.start + Duration::from_millis(ms);
        assert_eq!(schedule.phase_at(at(0)), Phase::Absent);
        assert_eq!(schedule.phase_at(at(150)), Phase::Reset);
        assert_eq!(schedule.phase_at(at(599)), Phase::Garbage);
        assert_eq!(schedule.phase_at(at(600)), Phase::Recover);
        assert_eq!(schedule.phase_at(at(3_600_000)), Phase::Recover);
        assert_eq!(schedule.recovery(), at(600));
        assert_eq!(schedule.report_time(0, 10), at(0));
        assert_eq!(schedule.report_time(5, 10), at(350));
        assert_eq!(schedule.report_time(10, 10), at(700));
    }
}
