//! The command line.

use std::time::Duration;

/// Which reporters to soak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// `tryfer_smol::report::scribe::ScribeReporter`.
    Smol,
    /// `tryfer_embassy::report::scribe::ScribeReporter`, on an in-process embassy-net stack.
    Embassy,
    /// Both, one after the other.
    Both,
}

/// The soak's settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Spans each reporter is handed.
    pub spans: u64,
    /// How long each phase of the schedule lasts.
    pub phase_len: Duration,
    /// Which reporters.
    pub which: Which,
    /// Producer threads (smol).
    pub producers: usize,
    /// The longest a record call may take.
    pub max_record: Duration,
    /// How long recovery may take to drain what is held.
    pub drain: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            spans: 100_000,
            phase_len: Duration::from_secs(2),
            which: Which::Both,
            producers: 4,
            max_record: Duration::from_millis(50),
            drain: Duration::from_secs(60),
        }
    }
}

/// The usage text.
pub const USAGE: &str = "\
usage: soak [--spans N] [--phase-ms MS] [--reporter smol|embassy|both] [--producers P] [--max-record-ms MS]
            [--drain-secs S]

Reports N spans (default 100000) to each reporter while a fake Scribe collector misbehaves on a schedule, one
phase of MS milliseconds (default 2000) each: absent, reset, stall, try-later, exception, garbage, then recover.
Prints what was reported, delivered (counted by the collector), dropped (counted by the reporter, by reason),
duplicated and unaccounted, the longest record call and the queue's peak memory. Exits 1 unless nothing is
unaccounted, no record call took longer than --max-record-ms (default 50), and the queue stayed within its bound.";

/// Reads the arguments (without the program name); `Ok(None)` for `--help`.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        if name == "-h" || name == "--help" {
            return Ok(None);
        }
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or(format!("{name} needs a value"))?,
        };
        let number = |what: &str| -> Result<u64, String> {
            value
                .parse::<u64>()
                .map_err(|_| format!("{name} wants {what}, not {value:?}"))
        };
        match name.as_str() {
            "--spans" => options.spans = number("a number of spans")?,
            "--phase-ms" => options.phase_len = Duration::from_millis(number("milliseconds")?.max(1)),
            "--producers" => options.producers = usize::try_from(number("a number of threads")?.max(1)).unwrap_or(1),
            "--max-record-ms" => options.max_record = Duration::from_millis(number("milliseconds")?),
            "--drain-secs" => options.drain = Duration::from_secs(number("seconds")?),
            "--reporter" => {
                options.which = match value.as_str() {
                    "smol" => Which::Smol,
                    "embassy" => Which::Embassy,
                    "both" => Which::Both,
                    _ => return Err(format!("--reporter wants smol, embassy or both, not {value:?}")),
                }
            }
            _ => return Err(format!("unknown option {name:?}")),
        }
    }
    if options.spans == 0 {
        return Err("--spans must be at least 1".to_owned());
    }
    Ok(Some(options))
}
