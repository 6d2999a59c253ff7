//! Wall-clock time for annotations: the [`Clock`] trait adapters implement, and clocks for tests and docs.
//!
//! Zipkin timestamps are microseconds since the Unix epoch. The core never reads a clock itself: every
//! operation that needs the time takes it as a `u64` argument, and adapters supply it through [`Clock`].
//! A host adapter reads `std::time::SystemTime`; a device adapter adds a monotonic timer (e.g.
//! `embassy_time::Instant::now().as_micros()`) to the epoch offset it learned at boot (SNTP, an RTC, a
//! gateway's header), as in the example below.
//!
//! ```
//! use tryfer_core::clock::Clock;
//!
//! /// A device clock: a monotonic timer plus the epoch time of its zero, learned once at boot.
//! struct DeviceClock<F: Fn() -> u64> {
//!     since_boot_micros: F,
//!     epoch_at_boot_micros: u64,
//! }
//!
//! impl<F: Fn() -> u64> Clock for DeviceClock<F> {
//!     fn now_micros(&self) -> u64 {
//!         self.epoch_at_boot_micros.saturating_add((self.since_boot_micros)())
//!     }
//! }
//!
//! let clock = DeviceClock { since_boot_micros: || 2_500, epoch_at_boot_micros: 1_700_000_000_000_000 };
//! assert_eq!(clock.now_micros(), 1_700_000_000_002_500);
//! ```

use core::cell::Cell;

/// A source of wall-clock time in microseconds since the Unix epoch (1970-01-01T00:00:00Z).
///
/// Implementations should never go backwards by much; the core tolerates it (durations are at least 1 µs,
/// idle times saturate at zero) but Zipkin will show skewed spans.
///
/// ```
/// use tryfer_core::clock::Clock;
///
/// /// The host adapter's clock.
/// struct SystemClock;
///
/// impl Clock for SystemClock {
///     fn now_micros(&self) -> u64 {
///         std::time::SystemTime::now()
///             .duration_since(std::time::UNIX_EPOCH)
///             .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
///     }
/// }
///
/// assert!(SystemClock.now_micros() > 1_600_000_000_000_000);
/// ```
pub trait Clock {
    /// Microseconds since the Unix epoch, now.
    fn now_micros(&self) -> u64;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now_micros(&self) -> u64 {
        (**self).now_micros()
    }
}

/// A clock stopped at one instant: for tests, docs and replaying recorded data.
///
/// ```
/// use tryfer_core::clock::{Clock, FixedClock};
/// static CLOCK: FixedClock = FixedClock(1_700_000_000_000_000);
/// assert_eq!(CLOCK.now_micros(), 1_700_000_000_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now_micros(&self) -> u64 {
        self.0
    }
}

/// A clock the caller moves by hand through a shared reference: for tests of time-dependent code.
///
/// It uses a [`Cell`], so it is not `Sync`; share it within one thread or task.
///
/// ```
/// use tryfer_core::clock::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000);
/// clock.advance(250);
/// assert_eq!(clock.now_micros(), 1_250);
/// clock.set(10);
/// assert_eq!(clock.now_micros(), 10);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now: Cell<u64>,
}

impl ManualClock {
    /// A clock showing `now_micros`.
    pub const fn new(now_micros: u64) -> Self {
        ManualClock {
            now: Cell::new(now_micros),
        }
    }

    /// Sets the time, forwards or backwards.
    pub fn set(&self, now_micros: u64) {
        self.now.set(now_micros);
    }

    /// Moves the time forward by `micros`, stopping at `u64::MAX`.
    pub fn advance(&self, micros: u64) {
        self.now.set(self.now.get().saturating_add(micros));
    }
}

impl Clock for ManualClock {
    fn now_micros(&self) -> u64 {
        self.now.get()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn read<C: Clock + ?Sized>(clock: &C) -> u64 {
        clock.now_micros()
    }

    #[test]
    fn manual_clock_moves_and_saturates() {
        let clock = ManualClock::new(u64::MAX - 1);
        clock.advance(5);
        assert_eq!(read(&clock), u64::MAX);
        clock.set(7);
        assert_eq!(read(&clock), 7);
    }

    #[test]
    fn fixed_clock_through_a_reference() {
        let clock = FixedClock(42);
        let by_ref = &clock;
        assert_eq!(read(&by_ref), 42);
        let dynamic: &dyn Clock = &clock;
        assert_eq!(read(dynamic), 42);
        assert_eq!(read(&dynamic), 42);
    }
}
