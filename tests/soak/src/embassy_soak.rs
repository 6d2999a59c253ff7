//! The embassy reporter's soak, on the host: `tryfer-embassy`'s Scribe reporter task runs on an embassy-net
//! "device" stack, the [`embassy_collector`](crate::embassy_collector) on a "host" stack joined to it in memory,
//! and a producer records spans into the device's `Tracer`, all on one thread as on a device's executor.

use std::cell::Cell;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use embassy_futures::select::{select3, Either3};
use embassy_futures::yield_now;
use embassy_net::IpEndpoint;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_time::Timer;
use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanId, TraceId};
use tryfer_embassy::clock::uptime_micros;
use tryfer_embassy::report::scribe::{ScribeBuffers, ScribeConfig, ScribeReporter};
use tryfer_embassy::report::Backoff;
use tryfer_embassy::{Stats, Tracer};

use crate::embassy_collector;
use crate::embassy_net_pair::{self, HOST_IP};
use crate::ledger::Ledger;
use crate::options::Options;
use crate::schedule::Schedule;
use crate::timing::RecordTimes;
use crate::verdict::{Counts, Memory, Run};

/// Finished spans the tracer's queue holds.
const QUEUE: usize = 64;
/// Annotation slots per span (the adapter's default).
const SLOTS: usize = 8;
/// Text bytes per span (the adapter's default).
const TEXT: usize = 256;
/// Spans per call.
const BATCH: usize = 8;
/// The reporter's frame buffer.
const FRAME: usize = 4096;
/// The collector's port.
const PORT: u16 = 9410;

type DeviceTracer = Tracer<NoopRawMutex, QUEUE, SLOTS, TEXT>;
type DeviceSpan = Span<SLOTS, TEXT>;

fn embassy_duration(d: Duration) -> embassy_time::Duration {
    embassy_time::Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Span `id` (1-based) as the device records it: uptime times, a host, a URI tag of varying length.
fn span(id: u64, host: &Endpoint<'_>) -> DeviceSpan {
    let trace = TraceId::from_u64(id / 8 + 1).expect("never zero");
    let span_id = SpanId::new(id).expect("span ids start at 1");
    let mut span = DeviceSpan::new(SpanContext::root_of(trace, span_id, Sampling::Accept), "get /soak");
    let start = uptime_micros();
    let uri = format!("/item/{id}?pad={}", "x".repeat((id % 5 * 30) as usize));
    let _ = span.annotate("sr", start, Some(host));
    let _ = span.tag_str("http.path", &uri, Some(host));
    let _ = span.annotate("ss", start + 100, Some(host));
    span.set_timestamp(start);
    span.set_duration(100);
    span
}

/// Spans recorded but not yet sent, rejected or found oversize: in the queue, the batch or the frame.
fn held(stats: &Stats) -> u64 {
    u64::from(stats.recorded)
        .saturating_sub(u64::from(stats.sent) + u64::from(stats.rejected) + u64::from(stats.oversize))
}

fn config() -> ScribeConfig {
    let mut config = ScribeConfig::new(IpEndpoint::new(HOST_IP.into(), PORT));
    config.backoff = Backoff {
        min: embassy_time::Duration::from_millis(10),
        max: embassy_time::Duration::from_millis(200),
    };
    config.reply_timeout = embassy_time::Duration::from_millis(300);
    config.linger = embassy_time::Duration::from_millis(10);
    config.clock_poll = embassy_time::Duration::from_millis(10);
    config
}

/// Runs the embassy reporter's soak.
pub fn run(options: &Options) -> Run {
    let started = Instant::now();
    let n = options.spans;
    let tracer: &'static DeviceTracer = Box::leak(Box::new(DeviceTracer::new("soak")));
    tracer.seed(0x50a4);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    tracer
        .clock()
        .set_now(u64::try_from(now.as_micros()).unwrap_or(u64::MAX));
    let buffers: &'static mut ScribeBuffers<SLOTS, TEXT, BATCH, FRAME> = Box::leak(Box::default());
    let ledger = Ledger::new();
    let times = RecordTimes::new();
    let peak = Cell::new(0u64);
    let (times_ref, ledger_ref, peak_ref) = (&times, &ledger, &peak);
    let (schedule, drained) = embassy_net_pair::run(|device, host| async move {
        let (times, ledger, peak) = (times_ref, ledger_ref, peak_ref);
        let schedule = Schedule::start(options.phase_len);
        let reporter = ScribeReporter::new(device, tracer, config());
        let endpoint = Endpoint::v4("soak", Ipv4Addr::new(192, 0, 2, 2), 80);
        let producer = async {
            for id in 1..=n {
                match schedule.report_time(id - 1, n).checked_duration_since(Instant::now()) {
                    Some(wait) => Timer::after(embassy_duration(wait)).await,
                    // Behind schedule: still let the network and the reporter run.
                    None => yield_now().await,
                }
                let span = span(id, &endpoint);
                // Overflow is counted by the tracer; the span it hands back is dropped here.
                let _recorded = times.time(|| tracer.record(span).is_ok());
                peak.set(peak.get().max(held(&tracer.stats())));
            }
            let recovery = schedule.recovery().saturating_duration_since(Instant::now());
            let deadline = Instant::now() + recovery + options.drain;
            while held(&tracer.stats()) > 0 && Instant::now() < deadline {
                Timer::after_millis(10).await;
            }
            held(&tracer.stats()) == 0
        };
        let serve = embassy_collector::serve(host, PORT, &schedule, ledger);
        let Either3::Third(drained) = select3(serve, reporter.run(buffers), producer).await;
        (schedule, drained)
    });

    let s = tracer.stats();
    let span_size = std::mem::size_of::<DeviceSpan>() as u64;
    let bound_spans = (QUEUE + BATCH + 1) as u64;
    Run {
        reporter: "embassy",
        spans: n,
        phase_len: schedule.phase_len(),
        counts: Counts {
            reported: u64::from(s.recorded) + u64::from(s.overflow),
            sent: u64::from(s.sent),
            dropped: vec![
                ("queue-full", u64::from(s.overflow)),
                ("rejected", u64::from(s.rejected)),
                ("oversize", u64::from(s.oversize)),
            ],
            held: held(&s),
            // The adapter keeps no gauge of held spans: `held` is derived from the other counters, so its own
            // books balance by construction; the collector's count is the real check.
            own_unaccounted: 0,
            other: vec![
                ("try-later", u64::from(s.try_later)),
                ("connect-failures", u64::from(s.connect_failures)),
                ("io-errors", u64::from(s.io_errors)),
                ("bad-replies", u64::from(s.bad_replies)),
            ],
        },
        tally: ledger.tally(n),
        record: times,
        memory: Memory {
            peak_bytes: peak.get() * span_size,
            peak_spans: peak.get(),
            bound_bytes: bound_spans * span_size,
            bound_spans,
            bound_note: format!(
                "static: the tracer's queue of {QUEUE} spans, a batch of {BATCH} and one carried over, \
                 {span_size} bytes each; tracer {} bytes and reporter buffers {} bytes in all",
                std::mem::size_of::<DeviceTracer>(),
                std::mem::size_of::<ScribeBuffers<SLOTS, TEXT, BATCH, FRAME>>()
            ),
        },
        drained,
        elapsed: started.elapsed(),
    }
}
