//! Device time: embassy-time's uptime for recording, plus an epoch offset for reporting.
//!
//! Zipkin wants microseconds since the Unix epoch; a device knows only its uptime until something tells it the
//! date. Spans are therefore recorded in uptime microseconds ([`uptime_micros`]), and a reporter adds
//! [`EpochClock::epoch_at_boot`] when it encodes them ([`EpochSpan`]). Until the offset is set (by the
//! application, an RTC, or [`crate::sntp`]) reporters hold spans in the queue: a span is never sent as 1970,
//! and a span recorded before the clock was set is sent with correct times once it is.

use core::cell::Cell;

use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_time::{Duration, Instant, Timer};
use tryfer_core::annotation::{Annotation, Event};
use tryfer_core::{SpanData, SpanId, TraceId};

/// Microseconds since boot, from embassy-time.
pub fn uptime_micros() -> u64 {
    Instant::now().as_micros()
}

/// The epoch time of the device's boot (its uptime zero), once known.
///
/// ```
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// use tryfer_embassy::EpochClock;
/// let clock: EpochClock<NoopRawMutex> = EpochClock::new();
/// assert_eq!(clock.to_epoch(5), None);
/// clock.set_epoch_at_boot(1_700_000_000_000_000);
/// assert_eq!(clock.to_epoch(5), Some(1_700_000_000_000_005));
/// ```
pub struct EpochClock<M: RawMutex> {
    epoch_at_boot: Mutex<M, Cell<Option<u64>>>,
}

impl<M: RawMutex> Default for EpochClock<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: RawMutex> EpochClock<M> {
    /// A clock that does not know the date yet.
    pub const fn new() -> Self {
        EpochClock {
            epoch_at_boot: Mutex::new(Cell::new(None)),
        }
    }

    /// Sets the epoch time (µs) at which the device's uptime was zero.
    pub fn set_epoch_at_boot(&self, micros: u64) {
        self.epoch_at_boot.lock(|c| c.set(Some(micros)));
    }

    /// Sets the clock from the current epoch time (µs), e.g. read from an RTC or a gateway.
    pub fn set_now(&self, epoch_now_micros: u64) {
        self.set_epoch_at_boot(epoch_now_micros.saturating_sub(uptime_micros()));
    }

    /// The epoch time (µs) of uptime zero, if set.
    pub fn epoch_at_boot(&self) -> Option<u64> {
        self.epoch_at_boot.lock(Cell::get)
    }

    /// True once the offset is known.
    pub fn is_set(&self) -> bool {
        self.epoch_at_boot().is_some()
    }

    /// The epoch time (µs) of an uptime (µs), if the offset is known.
    pub fn to_epoch(&self, uptime_micros: u64) -> Option<u64> {
        self.epoch_at_boot().map(|e| e.saturating_add(uptime_micros))
    }

    /// Now, in µs since the epoch, if the offset is known.
    pub fn now_epoch_micros(&self) -> Option<u64> {
        self.to_epoch(uptime_micros())
    }

    /// Waits until the offset is set (checking every `poll`), and returns it.
    pub async fn wait_set(&self, poll: Duration) -> u64 {
        loop {
            if let Some(offset) = self.epoch_at_boot() {
                return offset;
            }
            Timer::after(poll).await;
        }
    }
}

/// A span recorded in uptime µs, seen in epoch µs: every annotation time and the start time shifted by
/// `epoch_at_boot` (durations unchanged). This is what reporters encode.
///
/// ```
/// use tryfer_core::{Sampling, Span, SpanContext, SpanData, SpanId, TraceId};
/// use tryfer_embassy::clock::EpochSpan;
/// let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
/// let mut span: Span = Span::new(ctx, "GET");
/// span.annotate("sr", 10, None).unwrap();
/// span.set_timestamp(10);
/// span.set_duration(4);
/// let epoch = EpochSpan::new(&span, 1_000_000);
/// assert_eq!(epoch.annotations().next().unwrap().timestamp, 1_000_010);
/// assert_eq!((epoch.timestamp(), epoch.duration()), (Some(1_000_010), Some(4)));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct EpochSpan<D> {
    span: D,
    epoch_at_boot: u64,
}

impl<D: SpanData> EpochSpan<D> {
    /// `span` (recorded in uptime µs) shifted by `epoch_at_boot`.
    pub const fn new(span: D, epoch_at_boot: u64) -> Self {
        EpochSpan { span, epoch_at_boot }
    }
}

impl<D: SpanData> SpanData for EpochSpan<D> {
    fn trace_id(&self) -> TraceId {
        self.span.trace_id()
    }
    fn id(&self) -> SpanId {
        self.span.id()
    }
    fn parent_id(&self) -> Option<SpanId> {
        self.span.parent_id()
    }
    fn name(&self) -> &str {
        self.span.name()
    }
    fn events(&self) -> impl Iterator<Item = Event<'_>> + '_ {
        let shift = self.epoch_at_boot;
        self.span.events().map(move |e| match e {
            Event::Time(a) => Event::Time(Annotation {
                timestamp: a.timestamp.saturating_add(shift),
                ..a
            }),
            tag => tag,
        })
    }
    fn debug(&self) -> bool {
        self.span.debug()
    }
    fn timestamp(&self) -> Option<u64> {
        self.span.timestamp().map(|t| t.saturating_add(self.epoch_at_boot))
    }
    fn duration(&self) -> Option<u64> {
        self.span.duration()
    }
}
