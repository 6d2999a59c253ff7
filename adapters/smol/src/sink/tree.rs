//! A trace as text: one line per span, indented under its parent, with its service, name, a bar placing it in
//! the trace's time window, and its duration.
//!
//! ```text
//! trace 0000000000000001: 3 spans, 12.000ms
//! gateway  GET /data      |========================================|  12.000ms
//!   sensor-7  GET /data   |     ==========================         |   8.000ms
//!     sensor-7  read      |       ======                           |   1.500ms
//! ```
//!
//! - A span's parent is the span whose id is its parent id. The server half of an RPC that shares the client's
//!   span id (B3 style: `sr`/`ss` only) sits under its client half; a child naming that shared id sits under
//!   the server half, where it ran. Spans whose parent never arrived are roots, as are spans caught in a
//!   parent cycle.
//! - Start: the span's timestamp, else `cs`, else `sr`, else its first annotation. Duration: the span's
//!   duration, else `cs`..`cr`, else `sr`..`ss`. Siblings are ordered by start, then arrival.
//! - The service is the host of the span's first `cs`/`cr`/`sr`/`ss`, else of any event, else `-`.

use std::collections::HashMap;
use std::fmt::Write as _;

use tryfer_core::SpanId;

use super::record::{ReceivedEvent, ReceivedSpan};

/// Deepest indent drawn; deeper spans are drawn at this depth (a long chain must not make endless lines).
const MAX_INDENT: usize = 16;

/// Longest label (indent, service and name) drawn; longer ones are cut with `…`.
const MAX_LABEL: usize = 60;

/// A span's place in time, as far as its fields and annotations tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Start, µs since the epoch.
    pub start: Option<u64>,
    /// Duration in µs.
    pub duration: Option<u64>,
}

/// The span's start and duration (see the module rules).
pub fn timing(span: &ReceivedSpan) -> Timing {
    let (cs, cr) = (span.annotation_time("cs"), span.annotation_time("cr"));
    let (sr, ss) = (span.annotation_time("sr"), span.annotation_time("ss"));
    let first = span.events.iter().find_map(|e| match e {
        ReceivedEvent::Time { timestamp, .. } => Some(*timestamp),
        ReceivedEvent::Tag { .. } => None,
    });
    let between = |a: Option<u64>, b: Option<u64>| a.zip(b).and_then(|(a, b)| b.checked_sub(a));
    Timing {
        start: span.timestamp.or(cs).or(sr).or(first),
        duration: span.duration.or_else(|| between(cs, cr)).or_else(|| between(sr, ss)),
    }
}

/// The service a span belongs to (see the module rules).
pub fn service(span: &ReceivedSpan) -> &str {
    let core = span.events.iter().find_map(|e| match e {
        ReceivedEvent::Time {
            value, host: Some(h), ..
        } if matches!(value.as_str(), "cs" | "cr" | "sr" | "ss") => Some(h.service_name.as_str()),
        _ => None,
    });
    core.or_else(|| {
        span.events
            .iter()
            .find_map(|e| e.host().map(|h| h.service_name.as_str()))
    })
    .filter(|s| !s.is_empty())
    .unwrap_or("-")
}

/// True for the server half of a shared span: `sr`/`ss` and no `cs`/`cr`.
fn is_server_half(span: &ReceivedSpan) -> bool {
    let has = |v: &str| span.annotation_time(v).is_some();
    (has("sr") || has("ss")) && !has("cs") && !has("cr")
}

/// The index of each span's parent among `spans`.
fn parents(spans: &[ReceivedSpan]) -> Vec<Option<usize>> {
    let server: Vec<bool> = spans.iter().map(is_server_half).collect();
    let is_server = |j: usize| server.get(j).copied().unwrap_or(false);
    let mut by_id: HashMap<SpanId, Vec<usize>> = HashMap::new();
    for (i, span) in spans.iter().enumerate() {
        by_id.entry(span.id).or_default().push(i);
    }
    let others = |id: SpanId, i: usize| by_id.get(&id).into_iter().flatten().copied().filter(move |&j| j != i);
    spans
        .iter()
        .enumerate()
        .map(|(i, span)| {
            let client_half = if is_server(i) {
                others(span.id, i).find(|&j| !is_server(j))
            } else {
                None
            };
            client_half.or_else(|| {
                let id = span.parent_id?;
                let first = others(id, i).next()?;
                Some(others(id, i).find(|&j| is_server(j)).unwrap_or(first))
            })
        })
        .collect()
}

/// Appends `root` and its subtree to `order` (depth first, children in order), skipping spans already drawn.
fn walk(root: usize, children: &[Vec<usize>], seen: &mut [bool], order: &mut Vec<(usize, usize)>) {
    let mut stack = vec![(root, 0usize)];
    while let Some((i, depth)) = stack.pop() {
        match seen.get_mut(i) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        order.push((i, depth));
        if let Some(kids) = children.get(i) {
            stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
        }
    }
}

/// The spans in drawing order with their depths: roots by start, each followed by its subtree.
fn layout(spans: &[ReceivedSpan], timings: &[Timing]) -> Vec<(usize, usize)> {
    let key = |&i: &usize| (timings.get(i).and_then(|t| t.start).unwrap_or(u64::MAX), i);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut roots = Vec::new();
    for (i, parent) in parents(spans).into_iter().enumerate() {
        match parent.and_then(|p| children.get_mut(p)) {
            Some(siblings) => siblings.push(i),
            None => roots.push(i),
        }
    }
    for siblings in &mut children {
        siblings.sort_by_key(key);
    }
    roots.sort_by_key(key);
    let mut order = Vec::with_capacity(spans.len());
    let mut seen = vec![false; spans.len()];
    for root in roots {
        walk(root, &children, &mut seen, &mut order);
    }
    // Spans caught in a parent cycle have no root: draw them from the earliest.
    let mut left: Vec<usize> = (0..spans.len())
        .filter(|&i| !seen.get(i).copied().unwrap_or(true))
        .collect();
    left.sort_by_key(key);
    for i in left {
        walk(i, &children, &mut seen, &mut order);
    }
    order
}

/// A duration for people: `850µs`, `12.500ms`, `1.250s`.
pub fn format_duration(micros: u64) -> String {
    if micros < 1_000 {
        format!("{micros}µs")
    } else if micros < 1_000_000 {
        format!("{}.{:03}ms", micros / 1_000, micros % 1_000)
    } else {
        format!("{}.{:03}s", micros / 1_000_000, micros / 1_000 % 1_000)
    }
}

/// The trace's time window: its earliest start and its latest end.
fn window(timings: &[Timing]) -> Option<(u64, u64)> {
    let start = timings.iter().filter_map(|t| t.start).min()?;
    let end = timings
        .iter()
        .filter_map(|t| t.start.map(|s| s.saturating_add(t.duration.unwrap_or(0))))
        .max()
        .unwrap_or(start);
    Some((start, end.max(start)))
}

/// The bar of one span: `=` over its share of the window, `.` at its start when it has no duration.
fn bar(timing: Timing, window: Option<(u64, u64)>, width: usize) -> String {
    let mut cells = vec![' '; width];
    if let (Some(start), Some((from, to))) = (timing.start, window) {
        let total = u128::from((to - from).max(1));
        let scale = |micros: u64| (u128::from(micros) * width as u128 / total) as usize;
        let offset = scale(start.saturating_sub(from)).min(width.saturating_sub(1));
        match timing.duration {
            Some(d) => {
                let len = ((u128::from(d) * width as u128).div_ceil(total) as usize).max(1);
                let end = offset.saturating_add(len).min(width);
                cells.iter_mut().take(end).skip(offset).for_each(|c| *c = '=');
            }
            None => {
                if let Some(c) = cells.get_mut(offset) {
                    *c = '.';
                }
            }
        }
    }
    cells.into_iter().collect()
}

/// Cuts `text` to `max` characters, ending with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The heading line of a trace: its id, span count and total duration.
pub fn heading(spans: &[ReceivedSpan]) -> String {
    let mut line = String::from("trace");
    if let Some(first) = spans.first() {
        let _ = write!(line, " {}", first.trace_id);
    }
    let _ = write!(
        line,
        ": {} span{}",
        spans.len(),
        if spans.len() == 1 { "" } else { "s" }
    );
    let timings: Vec<Timing> = spans.iter().map(timing).collect();
    let timed = timings.iter().any(|t| t.duration.is_some());
    if let Some((from, to)) = window(&timings).filter(|_| timed) {
        let _ = write!(line, ", {}", format_duration(to - from));
    }
    line
}

/// One line per span of one trace (see the module rules), bars `bar_width` cells wide.
pub fn render(spans: &[ReceivedSpan], bar_width: usize) -> Vec<String> {
    let timings: Vec<Timing> = spans.iter().map(timing).collect();
    let window = window(&timings);
    let rows: Vec<(String, Timing)> = layout(spans, &timings)
        .into_iter()
        .filter_map(|(i, depth)| {
            let span = spans.get(i)?;
            let indent = "  ".repeat(depth.min(MAX_INDENT));
            let label = cut(&format!("{indent}{}  {}", service(span), span.name), MAX_LABEL);
            Some((label, timings.get(i).copied()?))
        })
        .collect();
    let label_width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
    let durations: Vec<String> = rows
        .iter()
        .map(|(_, t)| t.duration.map_or_else(|| "?".to_owned(), format_duration))
        .collect();
    let duration_width = durations.iter().map(|d| d.chars().count()).max().unwrap_or(0);
    rows.iter()
        .zip(durations)
        .map(|((label, t), duration)| {
            let pad = label_width - label.chars().count();
            let dpad = duration_width - duration.chars().count();
            format!(
                "{label}{:pad$}  |{}|  {:dpad$}{duration}",
                "",
                bar(*t, window, bar_width),
                ""
            )
        })
        .collect()
}
