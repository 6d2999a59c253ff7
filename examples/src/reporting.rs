//! Where the examples' spans go: the debug printer on stdout, plus the Scribe (`--scribe`) and Zipkin HTTP
//! (`--zipkin`) reporters when asked, all fed by one [`Fanout`]; closed with a timeout before exiting.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tryfer_smol::report::http::{HttpOptions, HttpReporter};
use tryfer_smol::report::scribe::{ScribeOptions, ScribeReporter};
use tryfer_smol::report::{Fanout, ReporterHandle};
use tryfer_smol::Report;

/// A collector the spans are also shipped to.
enum Collector {
    Scribe(Arc<ScribeReporter>),
    Zipkin(Arc<HttpReporter>),
}

impl Collector {
    fn handle(&self) -> &ReporterHandle {
        match self {
            Collector::Scribe(reporter) => reporter.handle(),
            Collector::Zipkin(reporter) => reporter.handle(),
        }
    }
}

/// The reporters of one example run.
pub struct Reporting {
    report: Arc<dyn Report>,
    collectors: Vec<(String, Collector)>,
}

impl std::fmt::Debug for Reporting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.collectors.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Reporting")
            .field("collectors", &names)
            .finish_non_exhaustive()
    }
}

/// Short batching delays: the examples are short-lived and interactive.
fn delivery_linger() -> Duration {
    Duration::from_millis(200)
}

impl Reporting {
    /// `local` reporters (the printer, a collector of the demo's spans) plus a Scribe reporter to `scribe` and
    /// a Zipkin HTTP reporter to `zipkin` (a base URL like `http://localhost:9411`).
    pub fn new(local: Vec<Arc<dyn Report>>, scribe: Option<SocketAddr>, zipkin: Option<&str>) -> Result<Self, String> {
        let mut reporters = local;
        let mut collectors = Vec::new();
        if let Some(address) = scribe {
            let mut options = ScribeOptions::default();
            options.delivery.linger = delivery_linger();
            let reporter = Arc::new(ScribeReporter::spawn(address.to_string(), options));
            reporters.push(reporter.clone());
            collectors.push((format!("scribe {address}"), Collector::Scribe(reporter)));
        }
        if let Some(url) = zipkin {
            let mut options = HttpOptions::default();
            options.delivery.linger = delivery_linger();
            let reporter = Arc::new(HttpReporter::spawn(url, options).map_err(|e| format!("--zipkin {url:?}: {e}"))?);
            reporters.push(reporter.clone());
            collectors.push((format!("zipkin {url}"), Collector::Zipkin(reporter)));
        }
        Ok(Reporting {
            report: Arc::new(Fanout::new(reporters)),
            collectors,
        })
    }

    /// The reporter to build tracers with.
    pub fn report(&self) -> Arc<dyn Report> {
        self.report.clone()
    }

    /// Sends what the collectors hold for at most `timeout`, then says on stderr what was sent and lost.
    /// Returns false when a collector lost spans.
    pub async fn close(&self, timeout: Duration) -> bool {
        let mut complete = true;
        for (name, collector) in &self.collectors {
            let report = collector.handle().close(timeout).await;
            eprintln!(
                "{name}: {} spans sent, {} dropped ({} lost at close)",
                report.sent(),
                report.dropped(),
                report.lost
            );
            complete &= report.dropped() == 0;
        }
        complete
    }
}
