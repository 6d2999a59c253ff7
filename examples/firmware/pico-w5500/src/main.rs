//! Raspberry Pi Pico + WIZnet W5500 (SPI0: SCK GP18, MOSI GP19, MISO GP16, CS GP17, INT GP21, RST GP20, the
//! W5500-EVB-Pico wiring), DHCP, and the traced application of `tryfer-firmware-app`.
//! Build: `examples/firmware/build`; flash: `probe-rs run --chip RP2040 ELF` (or elf2uf2 and drag-and-drop).
#![no_std]
#![no_main]

use defmt::unwrap;
use embassy_executor::Spawner;
use embassy_net::StackResources;
use embassy_net_wiznet::chip::W5500;
use embassy_net_wiznet::{Device, Runner, State};
use embassy_rp::clocks::RoscRng;
use embassy_rp::gpio::{Input, Level, Output, Pull};
use embassy_rp::peripherals::{DMA_CH0, DMA_CH1, SPI0};
use embassy_rp::spi::{Async, Config as SpiConfig, Spi};
use embassy_rp::{bind_interrupts, dma};
use embassy_time::Delay;
use embedded_hal_bus::spi::ExclusiveDevice;
use static_cell::StaticCell;
use tryfer_firmware_app::SOCKETS;
use {defmt_rtt as _, panic_probe as _};

bind_interrupts!(struct Irqs {
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>, dma::InterruptHandler<DMA_CH1>;
});

type W5500Spi = ExclusiveDevice<Spi<'static, SPI0, Async>, Output<'static>, Delay>;

#[embassy_executor::task]
async fn ethernet_task(runner: Runner<'static, W5500, W5500Spi, Input<'static>, Output<'static>>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, Device<'static>>) -> ! {
    runner.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) -> ! {
    let p = embassy_rp::init(Default::default());
    let mut rng = RoscRng;

    let mut spi_config = SpiConfig::default();
    spi_config.frequency = 50_000_000;
    let spi = Spi::new(
        p.SPI0, p.PIN_18, p.PIN_19, p.PIN_16, p.DMA_CH0, p.DMA_CH1, Irqs, spi_config,
    );
    let cs = Output::new(p.PIN_17, Level::High);
    let interrupt = Input::new(p.PIN_21, Pull::Up);
    let reset = Output::new(p.PIN_20, Level::High);
    let spi = unwrap!(ExclusiveDevice::new(spi, cs, Delay));

    let mac = [0x02, 0x00, 0x74, 0x72, 0x79, 0x02];
    static STATE: StaticCell<State<8, 8>> = StaticCell::new();
    let Ok((device, runner)) =
        embassy_net_wiznet::new(mac, STATE.init(State::<8, 8>::new()), spi, interrupt, reset).await
    else {
        defmt::panic!("the W5500 did not answer on SPI0");
    };
    spawner.spawn(unwrap!(ethernet_task(runner)));

    static RESOURCES: StaticCell<StackResources<SOCKETS>> = StaticCell::new();
    let config = embassy_net::Config::dhcpv4(Default::default());
    let (stack, runner) = embassy_net::new(device, config, RESOURCES.init(StackResources::new()), rng.next_u64());
    spawner.spawn(unwrap!(net_task(runner)));
    tryfer_firmware_app::start(spawner, stack, rng.next_u64()).await;
    core::future::pending().await
}
