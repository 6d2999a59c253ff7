//! Logging through `defmt` when the feature is on, and nowhere otherwise (after embassy-net's `fmt.rs`).
#![allow(unused_macros)]

macro_rules! log_debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::debug!($($arg)*);
    }};
}

macro_rules! log_warn {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::warn!($($arg)*);
    }};
}

#[allow(unused_imports)]
pub(crate) use {log_debug, log_warn};
