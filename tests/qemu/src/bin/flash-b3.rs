//! The runtime + ids + B3 extract and inject.
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    loop {
        if let Some(ctx) = tryfer_qemu::ids() {
            core::hint::black_box(tryfer_qemu::b3(ctx));
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
