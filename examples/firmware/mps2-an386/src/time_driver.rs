//! embassy-time's driver: time from the board's CMSDK APB timer 0, wakeups from a 1 kHz SysTick.
//!
//! Time is counted by hardware, not by interrupts: timer 0 runs free at the 25 MHz peripheral clock and is
//! extended to 64 bits in software (it wraps every 171 s; the tick reads it every millisecond). Counting SysTick
//! interrupts instead would lose time whenever the guest is descheduled for more than a tick, which an emulator
//! on a busy host does all the time, and the device's span timestamps would drift away from the host's.
//!
//! The SysTick interrupt serves embassy's timer queue (1 ms resolution) and lets the Ethernet driver look for
//! received frames ([`crate::lan9118::on_tick`]).

use core::cell::RefCell;
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use critical_section::{CriticalSection, Mutex};
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

use crate::mmio::Window;

/// The core and peripheral clock of the mps2 FPGA images (and of QEMU's model of them).
pub const CLOCK_HZ: u32 = 25_000_000;
/// SysTick interrupts per second.
const TICKS_PER_SECOND: u32 = 1_000;
/// Timer cycles per microsecond (embassy-time's tick).
const CYCLES_PER_MICRO: u64 = (CLOCK_HZ / 1_000_000) as u64;

// embassy-time's default tick (1 MHz) is what `now` counts in.
const _: () = assert!(embassy_time_driver::TICK_HZ == 1_000_000);
const _: () = assert!(
    CLOCK_HZ / TICKS_PER_SECOND - 1 <= 0x00ff_ffff,
    "SysTick's reload register has 24 bits"
);

/// CMSDK APB timer registers.
mod timer {
    pub const CTRL: u8 = 0x00;
    pub const VALUE: u8 = 0x04;
    pub const RELOAD: u8 = 0x08;
    pub const CTRL_ENABLE: u32 = 1;
}

/// What the driver keeps, behind a critical section (the tick interrupt and thread mode share it).
struct State {
    /// False until [`start`]: `now` reads 0 until then.
    started: bool,
    /// The last timer reading, counted up from the start.
    last: u32,
    /// Times the 32-bit count wrapped.
    wraps: u64,
    /// The earliest time (µs) the queue wants to be looked at.
    alarm: u64,
    /// Wakers waiting for a time.
    queue: Queue,
}

impl State {
    /// Microseconds since [`start`]: the timer's count, extended past its wraps.
    fn now(&mut self) -> u64 {
        if !self.started {
            return 0;
        }
        let count = u32::MAX - Window::TIMER0.read(timer::VALUE);
        if count < self.last {
            self.wraps += 1;
        }
        self.last = count;
        ((self.wraps << 32) | u64::from(count)) / CYCLES_PER_MICRO
    }
}

/// The time driver embassy-time calls.
pub struct TimerDriver {
    state: Mutex<RefCell<State>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: TimerDriver = TimerDriver {
    state: Mutex::new(RefCell::new(State {
        started: false,
        last: 0,
        wraps: 0,
        alarm: u64::MAX,
        queue: Queue::new(),
    })),
});

impl TimerDriver {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        critical_section::with(|cs: CriticalSection<'_>| f(&mut self.state.borrow_ref_mut(cs)))
    }
}

impl Driver for TimerDriver {
    fn now(&self) -> u64 {
        self.with(State::now)
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        self.with(|state| {
            if state.queue.schedule_wake(at, waker) {
                // Wakes whatever is already due and says when to look next.
                let now = state.now();
                state.alarm = state.queue.next_expiration(now);
            }
        })
    }
}

/// Starts timer 0 from zero and the 1 kHz SysTick: call once, first thing at boot.
pub fn start(mut syst: SYST) {
    let regs = Window::TIMER0;
    regs.write(timer::CTRL, 0);
    regs.write(timer::RELOAD, u32::MAX);
    regs.write(timer::VALUE, u32::MAX);
    regs.write(timer::CTRL, timer::CTRL_ENABLE);
    DRIVER.with(|state| state.started = true);

    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CLOCK_HZ / TICKS_PER_SECOND - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

#[exception]
fn SysTick() {
    DRIVER.with(|state| {
        let now = state.now();
        if now >= state.alarm {
            state.alarm = state.queue.next_expiration(now);
        }
    });
    crate::lan9118::on_tick();
}
