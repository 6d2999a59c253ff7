//! What the flash goal covers: the runtime + ids + B3 + span encode + a framed Scribe `Log` call.
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    let mut buf = [0u8; 1024];
    loop {
        if let Some(ctx) = tryfer_qemu::ids().and_then(tryfer_qemu::b3) {
            core::hint::black_box(tryfer_qemu::span(ctx, &mut buf));
            core::hint::black_box(tryfer_qemu::scribe_frame(ctx, &mut buf));
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
