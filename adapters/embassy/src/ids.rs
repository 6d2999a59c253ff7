//! Span and trace ids from a seeded generator, so that a device needs no RNG peripheral per span.
//!
//! Ids only have to be unique, not secret: [`SplitMix64`] seeded once at boot from the chip's RNG (or any
//! entropy) gives full-range 64-bit ids with one addition and three multiplications each.

use rand_core::RngCore;

/// Sebastiano Vigna's SplitMix64: a 64-bit state, full period, every output equally likely.
///
/// ```
/// use tryfer_embassy::ids::SplitMix64;
/// use rand_core::RngCore;
/// let mut a = SplitMix64::new(1);
/// let mut b = SplitMix64::new(1);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert_ne!(a.next_u64(), SplitMix64::new(2).next_u64());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The generator's state, to store it back after drawing.
    pub const fn state(&self) -> u64 {
        self.state
    }
}

impl RngCore for SplitMix64 {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}
