//! Exponential backoff between attempts of a failed call: the delay doubles from a minimum up to a maximum and
//! goes back to the minimum after a success.
//!
//! Each delay is jittered into `[delay/2, delay]` so that reporters restarted together don't retry in step.

use std::time::Duration;

use rand::Rng;

/// The delays before successive retries of a call.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Delays from `min` (at least 1 ms) doubling up to `max` (at least `min`).
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(1));
        let max = max.max(min);
        Backoff { min, max, next: min }
    }

    /// The delay before the next retry; the one after it is twice as long, up to the maximum.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        let half = delay / 2;
        let spread = u64::try_from((delay - half).as_micros()).unwrap_or(u64::MAX);
        half + Duration::from_micros(rand::rng().random_range(0..=spread))
    }

    /// Starts again from the minimum (after a call went through).
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_maximum_and_resets() {
        let ms = Duration::from_millis;
        let mut backoff = Backoff::new(ms(10), ms(35));
        let ceilings = [ms(10), ms(20), ms(35), ms(35)];
        for ceiling in ceilings {
            let delay = backoff.next_delay();
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{delay:?} outside [{:?}, {ceiling:?}]",
                ceiling / 2
            );
        }
        backoff.reset();
        assert!(backoff.next_delay() <= ms(10));
    }

    #[test]
    fn bounds_are_sane() {
        let mut backoff = Backoff::new(Duration::ZERO, Duration::ZERO);
        let delay = backoff.next_delay();
        assert!(delay >= Duration::from_micros(500) && delay <= Duration::from_millis(1));
    }
}
