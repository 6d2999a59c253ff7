//! `soak`: proves that tryfer's Scribe reporters never hurt the service they watch and never lose a span
//! without saying so. Producers report N spans while a fake collector misbehaves on a schedule (absent,
//! resetting connections, stalling, answering `TRY_LATER`, exceptions and garbage, then recovering); the run
//! fails unless every span is delivered or counted as dropped, no record call waited on the network, and the
//! queue stayed within its memory bound. `cargo run --release --bin soak -- --help` says how to run it.
#![forbid(unsafe_code)]

mod answer;
mod call;
mod embassy_collector;
mod embassy_net_pair;
mod embassy_soak;
mod ledger;
mod options;
mod schedule;
mod smol_collector;
mod smol_soak;
mod timing;
mod verdict;

use std::process::ExitCode;

use options::{Which, USAGE};
use verdict::Limits;

fn main() -> ExitCode {
    let options = match options::parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("soak: {why}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let limits = Limits {
        max_record: options.max_record,
    };
    let mut passed = true;
    if matches!(options.which, Which::Smol | Which::Both) {
        passed &= smol_soak::run(&options).report(&limits);
    }
    if matches!(options.which, Which::Embassy | Which::Both) {
        passed &= embassy_soak::run(&options).report(&limits);
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
