//! The original tryfer's `DebugTracer`: prints each finished span as its debug JSON to stdout or any writer.
//!
//! [`Layout::Pretty`] prints the indented objects the original README shows; [`Layout::Compact`] prints one
//! JSON object per line (JSON lines), for scripts. The bytes come from the core's encoder
//! ([`tryfer_core::json::encode_debug_span`]); a 128-bit trace id prints as 32 hex digits.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tryfer_core::json::{encode_debug_span, Layout};
use tryfer_core::EncodeError;

use crate::buffer::Buffer;
use crate::report::Report;
use crate::span::HostSpan;

/// Prints every finished span as the original tryfer's debug JSON, one span per write.
///
/// Printing is synchronous (a span is a few hundred bytes), like the original's `DebugTracer`; a write error
/// (e.g. a closed pipe) is logged once and the span is dropped, never reaching the request.
pub struct DebugReporter {
    out: Mutex<Box<dyn Write + Send>>,
    layout: Layout,
    failed: AtomicBool,
}

impl DebugReporter {
    /// Prints to standard output, pretty like the original README or as JSON lines.
    pub fn stdout(layout: Layout) -> Self {
        Self::new(io::stdout(), layout)
    }

    /// Prints to `writer` (a file, a buffer in a test, a pipe).
    pub fn new(writer: impl Write + Send + 'static, layout: Layout) -> Self {
        DebugReporter {
            out: Mutex::new(Box::new(writer)),
            layout,
            failed: AtomicBool::new(false),
        }
    }

    /// The layout spans are printed in.
    pub fn layout(&self) -> Layout {
        self.layout
    }
}

impl std::fmt::Debug for DebugReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DebugReporter")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

/// One span as debug JSON followed by a newline.
pub fn debug_line(span: &HostSpan, layout: Layout) -> Result<Vec<u8>, EncodeError> {
    let mut text = Vec::with_capacity(512);
    encode_debug_span(span, layout, Buffer::new(&mut text))?;
    text.push(b'\n');
    Ok(text)
}

impl Report for DebugReporter {
    fn report(&self, span: Box<HostSpan>) {
        let text = match debug_line(&span, self.layout) {
            Ok(text) => text,
            Err(e) => {
                log::warn!(
                    "debug reporter could not encode span {}: {e}",
                    span.context().span_id.to_hex().as_str()
                );
                return;
            }
        };
        let mut out = self.out.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(e) = out.write_all(&text).and_then(|()| out.flush()) {
            if !self.failed.swap(true, Ordering::Relaxed) {
                log::warn!("debug reporter cannot print spans: {e}");
            }
        }
    }
}
