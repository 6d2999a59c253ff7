//! A minimal `log` backend for the examples: `LEVEL target: message` lines on standard error.

use std::io::Write;

use log::{LevelFilter, Log, Metadata, Record};

/// Libraries whose records are shown only from `warn` up unless `RUST_LOG` asks for more.
const QUIET: &[&str] = &["async_h1", "async_io", "async_std", "http_client", "polling", "surf"];

struct StderrLog {
    quiet_libraries: bool,
}

impl Log for StderrLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        if self.quiet_libraries && metadata.level() > log::Level::Warn {
            let crate_name = metadata.target().split("::").next().unwrap_or_default();
            if QUIET.contains(&crate_name) {
                return false;
            }
        }
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let _ = writeln!(
                std::io::stderr().lock(),
                "{} {}: {}",
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}

/// Sends `log` records to standard error at the level named by `RUST_LOG` (`error` .. `trace`; default `info`,
/// with the HTTP libraries' own chatter kept at `warn`).
pub fn init() {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.trim().parse::<LevelFilter>().ok());
    let logger: &'static StderrLog = Box::leak(Box::new(StderrLog {
        quiet_libraries: level.is_none(),
    }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level.unwrap_or(LevelFilter::Info));
    }
}
