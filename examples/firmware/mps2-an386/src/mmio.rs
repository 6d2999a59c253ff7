//! The firmware's only `unsafe` code: word access to two fixed register windows of the mps2-an386 memory map.
//!
//! Memory-mapped registers can only be reached through raw pointers (`read_volatile`/`write_volatile`), which the
//! compiler cannot check, so this module allows `unsafe_code` while the rest of the crate denies it. It is sound
//! because the only windows that exist are the two constants below, fixed by the board (QEMU's `hw/arm/mps2.c`,
//! the AN386 application note); every offset is masked to an aligned word inside a window; and those ranges are
//! device memory that no Rust object occupies, so no safe caller can reach memory Rust owns through a [`Window`].
//! Reads may pop a device FIFO, which is a protocol concern for the driver, not a memory-safety one.
#![allow(unsafe_code)]

/// 256 bytes of a peripheral's registers, 32-bit accesses only.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    base: usize,
}

impl Window {
    /// The SMSC LAN9118 Ethernet controller.
    pub const LAN9118: Window = Window { base: 0x4020_0000 };
    /// The first CMSDK APB timer (a 32-bit down counter at the 25 MHz peripheral clock).
    pub const TIMER0: Window = Window { base: 0x4000_0000 };

    /// The register at `offset`, forced into an aligned word inside the window.
    fn register(self, offset: u8) -> *mut u32 {
        (self.base + usize::from(offset & 0xfc)) as *mut u32
    }

    /// Reads the 32-bit register at `offset` (0x00..=0xfc).
    pub fn read(self, offset: u8) -> u32 {
        // SAFETY: an aligned word inside one of the board's register windows, which alias no Rust object.
        unsafe { core::ptr::read_volatile(self.register(offset)) }
    }

    /// Writes the 32-bit register at `offset` (0x00..=0xfc).
    pub fn write(self, offset: u8, value: u32) {
        // SAFETY: as for `read`.
        unsafe { core::ptr::write_volatile(self.register(offset), value) }
    }
}
