//! Where finished spans go: the [`Report`] trait and the reporters that implement it.

mod backoff;
mod batch;
pub mod debug;
pub mod delivery;
pub mod handle;
#[cfg(feature = "surf")]
pub mod http;
pub mod scribe;

pub use delivery::DeliveryOptions;
pub use handle::{CloseReport, FlushOutcome, ReporterHandle, ReporterTask};

use std::sync::Arc;

use crate::span::HostSpan;

/// Takes finished spans. Implementations never block the caller: they enqueue, print, or drop and count.
pub trait Report: Send + Sync + 'static {
    /// Hands on one finished span.
    fn report(&self, span: Box<HostSpan>);
}

/// Sends every span to several reporters (e.g. the debug printer and a Scribe reporter).
pub struct Fanout {
    reporters: Vec<Arc<dyn Report>>,
}

impl Fanout {
    /// A reporter that copies each span to every one of `reporters`.
    pub fn new(reporters: Vec<Arc<dyn Report>>) -> Self {
        Fanout { reporters }
    }
}

impl Report for Fanout {
    fn report(&self, span: Box<HostSpan>) {
        if let Some((last, rest)) = self.reporters.split_last() {
            for reporter in rest {
                reporter.report(span.clone());
            }
            last.report(span);
        }
    }
}

/// Drops every span (for untraced runs and benchmarks).
pub struct Discard;

impl Report for Discard {
    fn report(&self, _span: Box<HostSpan>) {}
}
