//! The runtime + ids + B3 + span recording and TBinaryProtocol encode.
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    let mut buf = [0u8; 512];
    loop {
        if let Some(ctx) = tryfer_qemu::ids().and_then(tryfer_qemu::b3) {
            core::hint::black_box(tryfer_qemu::span(ctx, &mut buf));
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
