//! The collector's books: which span ids it acknowledged (and how often), which it refused with an exception,
//! and what it did with each call in each phase.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use crate::answer::Action;
use crate::schedule::Phase;

#[derive(Default)]
struct Books {
    /// Span id to how many times the collector counted it as delivered.
    acked: HashMap<u64, u32>,
    /// Span ids in calls answered with an exception.
    rejected: HashSet<u64>,
    /// Calls by phase and action.
    calls: BTreeMap<(Phase, &'static str), u64>,
    /// Calls numbered across connections (the schedule alternates on it).
    numbered: u64,
    /// Calls that were not a valid `Log` call of spans (a reporter bug), described.
    bad_calls: Vec<String>,
}

/// The collector's books, shared by its connections.
#[derive(Default)]
pub struct Ledger {
    books: Mutex<Books>,
}

/// What the books say at the end of a run about the `n` spans `1..=n` that were reported.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Distinct span ids acknowledged and counted.
    pub delivered: u64,
    /// Extra copies counted: a span delivered twice adds one.
    pub duplicates: u64,
    /// Distinct span ids counted more than once.
    pub duplicated_spans: u64,
    /// Span ids both delivered and later refused with an exception (the reporter counts those as dropped).
    pub overlap: u64,
    /// Span ids that were never reported (outside `1..=n`): must be none.
    pub foreign: u64,
    /// Calls by phase and action.
    pub calls: BTreeMap<(Phase, &'static str), u64>,
    /// Calls that were not valid (reporter bugs).
    pub bad_calls: Vec<String>,
}

impl Ledger {
    /// Empty books.
    pub fn new() -> Self {
        Self::default()
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        // A panicking connection task cannot leave the books half-written: every update is one statement.
        self.books.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The number of the call starting now.
    pub fn next_call(&self) -> u64 {
        let mut books = self.books();
        books.numbered += 1;
        books.numbered - 1
    }

    /// Notes what was done with a call during `phase`.
    pub fn call(&self, phase: Phase, action: Action) {
        *self.books().calls.entry((phase, action.name())).or_default() += 1;
    }

    /// Counts `ids` as delivered.
    pub fn acknowledge(&self, ids: &[u64]) {
        let mut books = self.books();
        for &id in ids {
            *books.acked.entry(id).or_default() += 1;
        }
    }

    /// Notes `ids` as refused with an exception.
    pub fn reject(&self, ids: &[u64]) {
        self.books().rejected.extend(ids.iter().copied());
    }

    /// Notes a call that was not valid.
    pub fn bad_call(&self, why: String) {
        self.books().bad_calls.push(why);
    }

    /// The totals, for spans `1..=n`.
    pub fn tally(&self, n: u64) -> Tally {
        let books = self.books();
        let in_range = |id: &u64| (1..=n).contains(id);
        Tally {
            delivered: books.acked.keys().filter(|id| in_range(id)).count() as u64,
            duplicates: books.acked.values().map(|&c| u64::from(c.saturating_sub(1))).sum(),
            duplicated_spans: books.acked.values().filter(|&&c| c > 1).count() as u64,
            overlap: books.rejected.iter().filter(|id| books.acked.contains_key(id)).count() as u64,
            foreign: books
                .acked
                .keys()
                .chain(books.rejected.iter())
                .filter(|id| !in_range(id))
                .count() as u64,
            calls: books.calls.clone(),
            bad_calls: books.bad_calls.clone(),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn the_tally_counts_distinct_deliveries_copies_overlap_and_strangers() {
        let ledger = Ledger::new();
        ledger.acknowledge(&[1, 2, 3]);
        ledger.acknowledge(&[3, 4]); // 3 again: a lost reply, resent
        ledger.reject(&[4, 5]); // 4 was delivered before its resend was refused
        ledger.acknowledge(&[99]); // never reported
        ledger.call(Phase::Reset, Action::AckThenReset);
        ledger.call(Phase::Reset, Action::AckThenReset);
        let tally = ledger.tally(10);
        assert_eq!(
            (
                tally.delivered,
                tally.duplicates,
                tally.duplicated_spans,
                tally.overlap,
                tally.foreign
            ),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(tally.calls.get(&(Phase::Reset, "ack-then-reset")), Some(&2));
        assert_eq!((ledger.next_call(), ledger.next_call()), (0, 1));
    }
}
