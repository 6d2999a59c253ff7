//! QEMU's `mps2-an386` (ARM MPS2 board, AN386 Cortex-M4 image, SMSC LAN9118 Ethernet): the traced application
//! of `tryfer-firmware-app` on an emulated device, so the whole device path (DHCP, SNTP, the traced HTTP server,
//! its traced call to a host service, the Scribe reporter) runs without a board.
//!
//! Build: `DEFMT_LOG=info cargo build --release -p tryfer-mps2-an386 --target thumbv7em-none-eabihf` (or
//! `examples/firmware/build`, which keeps defmt's default `error` level). Run: `qemu-system-arm -machine mps2-an386 -nographic -semihosting-config
//! enable=on,target=native -nic user,model=lan9118,... -kernel ELF`; the log is defmt over semihosting (decode
//! it with `defmt-print -e ELF`). `tests/qemu/device-e2e` does all of it and checks the trace.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

mod lan9118;
mod mmio;
mod time_driver;

use defmt::{info, unwrap, warn};
use embassy_executor::Spawner;
use embassy_net::StackResources;
use static_cell::StaticCell;
use tryfer_firmware_app::SOCKETS;

use crate::lan9118::Lan9118;
use defmt_semihosting as _;

/// The MAC address used when the chip has none (QEMU always gives one: `52:54:00:12:34:56` unless `mac=`).
const FALLBACK_MAC: [u8; 6] = [0x02, 0x00, 0x74, 0x72, 0x79, 0x03];

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, Lan9118>) -> ! {
    runner.run().await
}

/// Two seeds (network stack, tracer ids) from the host's entropy through semihosting, which stands in for the
/// chip RNG this board lacks; without it, the LAN9118's free-running counter (boot timing jitter).
fn seeds(device: &Lan9118) -> (u64, u64) {
    let mut bytes = [0u8; 16];
    if semihosting::experimental::random::fill_bytes(&mut bytes).is_err() {
        warn!("no host entropy through semihosting; seeding from boot timing");
        let jitter = u64::from(device.free_run()) ^ (u64::from(device.mac()[5]) << 40);
        bytes[..8].copy_from_slice(&jitter.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
        bytes[8..].copy_from_slice(&jitter.rotate_left(29).wrapping_mul(0xbf58_476d_1ce4_e5b9).to_le_bytes());
    }
    let (a, b) = bytes.split_at(8);
    let word = |half: &[u8]| half.iter().rev().fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
    (word(a), word(b))
}

#[embassy_executor::main]
async fn main(spawner: Spawner) -> ! {
    let Some(core) = cortex_m::Peripherals::take() else {
        defmt::panic!("core peripherals taken twice");
    };
    time_driver::start(core.SYST);
    let device = match Lan9118::new(FALLBACK_MAC) {
        Ok(device) => device,
        Err(e) => defmt::panic!("LAN9118: {}", e),
    };
    info!(
        "LAN9118 id {=u32:#010x}, MAC {=[u8]:02x}, clock {} Hz",
        device.id(),
        device.mac(),
        time_driver::CLOCK_HZ
    );
    let (net_seed, id_seed) = seeds(&device);

    static RESOURCES: StaticCell<StackResources<SOCKETS>> = StaticCell::new();
    let config = embassy_net::Config::dhcpv4(Default::default());
    let (stack, runner) = embassy_net::new(device, config, RESOURCES.init(StackResources::new()), net_seed);
    spawner.spawn(unwrap!(net_task(runner)));
    tryfer_firmware_app::start(spawner, stack, id_seed).await;
    core::future::pending().await
}

/// Logs the panic and ends QEMU with status 101, so a script sees the failure at once instead of a hang.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    defmt::error!("panic: {}", defmt::Display2Format(info));
    semihosting::process::exit(101)
}
