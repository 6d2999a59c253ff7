//! A minimal test runner for a `harness = false` test on bare metal: counts, prints through semihosting, and
//! ends QEMU with the result as its exit code. A panic or a fault also ends the run, as a failure.

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m_rt::{exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprint, hprintln};

/// The QEMU machine this build runs on (set by build.rs from the target).
pub const MACHINE: &str = env!("TRYFER_QEMU_MACHINE");

// Counters live in statics so that the panic handler can still report them (load/store only: thumbv6m has no
// atomic read-modify-write).
static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);

/// A failed check. Its message is printed when it is made (right after the test's name), so nothing large
/// travels up the stack of a 16 KiB device.
#[derive(Debug)]
pub struct Failure(());

impl Failure {
    pub fn new(args: fmt::Arguments<'_>) -> Self {
        hprintln!("FAILED\n    {}", args);
        Failure(())
    }
}

/// What a test returns.
pub type Outcome = Result<(), Failure>;

/// Fails the test with a message.
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::runner::Failure::new(format_args!($($arg)*)))
    };
}

/// Fails the test unless `cond` holds.
macro_rules! check {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            fail!("{} ({})", format_args!($($arg)*), stringify!($cond));
        }
    };
}

/// Fails the test unless `left == right`, showing both.
macro_rules! check_eq {
    ($left:expr, $right:expr, $($arg:tt)*) => {
        match (&$left, &$right) {
            (l, r) => {
                if l != r {
                    fail!("{}\n    left: {:?}\n   right: {:?}", format_args!($($arg)*), l, r);
                }
            }
        }
    };
}

/// Lower-hex bytes, for failure messages.
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl PartialEq for Hex<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// Runs tests one by one and keeps the score.
pub struct Runner;

impl Runner {
    pub fn new() -> Self {
        hprintln!("running tryfer-core tests on {}", MACHINE);
        Runner
    }

    /// Runs one test named `name` (printed before it runs, so a panic shows whose it was).
    pub fn test(&mut self, name: fmt::Arguments<'_>, test: impl FnOnce() -> Outcome) {
        hprint!("test {} ... ", name);
        match test() {
            Ok(()) => {
                hprintln!("ok");
                PASSED.store(PASSED.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
            Err(Failure(())) => {
                FAILED.store(FAILED.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
        }
    }

    /// Prints `MACHINE: N passed, M failed` and ends QEMU: exit code 0 only when nothing failed.
    pub fn finish(self) -> ! {
        let failed = FAILED.load(Ordering::Relaxed);
        summary(failed);
        exit(failed == 0)
    }
}

fn summary(failed: u32) {
    hprintln!(
        "{}: {} passed, {} failed",
        MACHINE,
        PASSED.load(Ordering::Relaxed),
        failed
    );
}

fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Only reached without a semihosting host.
    loop {
        cortex_m::asm::bkpt();
    }
}

/// A panic fails the test that was running and ends the run.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("PANICKED\n    {}", info);
    summary(FAILED.load(Ordering::Relaxed) + 1);
    exit(false)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("HARD FAULT\n    {:?}", frame);
    summary(FAILED.load(Ordering::Relaxed) + 1);
    exit(false)
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    hprintln!("UNEXPECTED EXCEPTION {}", irqn);
    summary(FAILED.load(Ordering::Relaxed) + 1);
    exit(false)
}
