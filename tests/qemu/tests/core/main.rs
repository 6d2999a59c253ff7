//! tryfer-core's golden, B3-vector and parser tests as ARM code, run on QEMU's Cortex-M machines (see ../../run).
//! The data is the host tests' own (tests/data/*.json), turned into tables by build.rs.

#![no_std]
#![no_main]

#[macro_use]
mod runner;
mod b3;
mod data;
mod decode;
mod golden;
mod json_eq;
mod scribe;

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    let mut r = runner::Runner::new();
    golden::run(&mut r);
    b3::run(&mut r);
    decode::run(&mut r);
    scribe::run(&mut r);
    r.finish()
}
