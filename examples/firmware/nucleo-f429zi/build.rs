//! Link with cortex-m-rt's `link.x` (embassy-stm32's `memory-x` feature supplies `memory.x`) and defmt's table.
fn main() {
    println!("cargo:rustc-link-arg-bins=--nmagic");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
}
