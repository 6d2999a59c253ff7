//! [`LiveTree`]: gathers spans by trace as they arrive, in any order, and hands back a trace's tree once it has
//! been quiet for a while; spans arriving after that print the trace again, marked as an update.
//!
//! Time is passed in, so the rules are testable without waiting. Memory is bounded: at most
//! [`LiveTree::MAX_TRACES`] traces are held (the oldest is printed and forgotten to make room) and at most
//! [`LiveTree::MAX_SPANS`] spans per trace (more are counted, not kept); printed traces are forgotten after
//! [`LiveTree::RETAIN`] of quiet.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tryfer_core::TraceId;

use super::record::ReceivedSpan;
use super::tree;

/// One trace being gathered.
#[derive(Debug)]
struct Gathered {
    spans: Vec<ReceivedSpan>,
    /// When its latest span arrived.
    last: Instant,
    /// How many spans it had when last printed (0: never printed).
    printed: usize,
    /// Spans not kept because the trace was full.
    omitted: usize,
}

/// Spans grouped by trace, printed as trees after a quiet delay.
#[derive(Debug)]
pub struct LiveTree {
    delay: Duration,
    bar_width: usize,
    traces: HashMap<TraceId, Gathered>,
    /// Lines of traces printed early to make room, handed out by the next [`LiveTree::due`].
    evicted: Vec<String>,
}

impl LiveTree {
    /// Most traces held at once.
    pub const MAX_TRACES: usize = 4096;
    /// Most spans kept per trace.
    pub const MAX_SPANS: usize = 10_000;
    /// How long a printed, quiet trace is remembered so that late spans join it.
    pub const RETAIN: Duration = Duration::from_secs(60);

    /// Prints a trace once no span of it arrived for `delay`; bars are `bar_width` cells wide.
    pub fn new(delay: Duration, bar_width: usize) -> Self {
        LiveTree {
            delay,
            bar_width,
            traces: HashMap::new(),
            evicted: Vec::new(),
        }
    }

    /// Adds a span that arrived at `now`.
    pub fn push(&mut self, span: ReceivedSpan, now: Instant) {
        if !self.traces.contains_key(&span.trace_id) && self.traces.len() >= Self::MAX_TRACES {
            self.evict_oldest();
        }
        let trace = self.traces.entry(span.trace_id).or_insert_with(|| Gathered {
            spans: Vec::new(),
            last: now,
            printed: 0,
            omitted: 0,
        });
        trace.last = now;
        if trace.spans.len() < Self::MAX_SPANS {
            trace.spans.push(span);
        } else {
            trace.omitted += 1;
        }
    }

    /// Prints the least recently active trace (if it has anything new) and forgets it.
    fn evict_oldest(&mut self) {
        let Some(&id) = self.traces.iter().min_by_key(|(_, t)| t.last).map(|(id, _)| id) else {
            return;
        };
        if let Some(trace) = self.traces.remove(&id) {
            if trace.printed < trace.spans.len() {
                self.evicted.extend(self.lines(&trace));
            }
        }
    }

    /// The lines of one trace: a heading (marked as an update when printed before), the tree, a blank line.
    fn lines(&self, trace: &Gathered) -> Vec<String> {
        let mut heading = tree::heading(&trace.spans);
        if trace.printed > 0 {
            heading.push_str(&format!(" (update: {} new)", trace.spans.len() - trace.printed));
        }
        if trace.omitted > 0 {
            heading.push_str(&format!(" ({} more spans not kept)", trace.omitted));
        }
        let mut lines = vec![heading];
        lines.extend(tree::render(&trace.spans, self.bar_width));
        lines.push(String::new());
        lines
    }

    /// The lines of every trace quiet since `now - delay` with spans not printed yet, oldest activity first;
    /// forgets printed traces quiet for [`LiveTree::RETAIN`].
    pub fn due(&mut self, now: Instant) -> Vec<String> {
        let mut out = std::mem::take(&mut self.evicted);
        let mut ready: Vec<(Instant, TraceId)> = self
            .traces
            .iter()
            .filter(|(_, t)| t.printed < t.spans.len() && now.saturating_duration_since(t.last) >= self.delay)
            .map(|(id, t)| (t.last, *id))
            .collect();
        ready.sort();
        for (_, id) in ready {
            if let Some(trace) = self.traces.get(&id) {
                out.extend(self.lines(trace));
            }
            if let Some(trace) = self.traces.get_mut(&id) {
                trace.printed = trace.spans.len();
            }
        }
        self.traces
            .retain(|_, t| t.printed < t.spans.len() || now.saturating_duration_since(t.last) < Self::RETAIN);
        out
    }

    /// The lines of every trace with spans not printed yet, whatever their age (e.g. at exit).
    pub fn flush(&mut self) -> Vec<String> {
        let far = self
            .traces
            .values()
            .map(|t| t.last)
            .max()
            .map_or_else(Instant::now, |last| last + self.delay);
        self.due(far)
    }

    /// When [`LiveTree::due`] next has something to print, if anything is waiting.
    pub fn next_deadline(&self) -> Option<Instant> {
        if !self.evicted.is_empty() {
            return Some(Instant::now());
        }
        self.traces
            .values()
            .filter(|t| t.printed < t.spans.len())
            .map(|t| t.last + self.delay)
            .min()
    }
}
