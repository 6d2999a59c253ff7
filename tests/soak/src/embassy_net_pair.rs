//! Two embassy-net stacks joined in this process by embassy-net-driver-channel, as `tryfer-embassy`'s own host
//! tests run them: the "device" (which runs the reporter under test) and the "host" (the collector). Packets
//! are copied between channels in memory; nothing reaches the OS network. The addresses are from the
//! documentation range (RFC 5737) and exist only here.

use core::future::Future;

use embassy_futures::join::join4;
use embassy_futures::select::{select, Either};
use embassy_net::driver::{HardwareAddress, LinkState};
use embassy_net::{Config, Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel as channel;

/// The links' MTU.
pub const MTU: usize = 1500;
/// The device's address.
pub const DEVICE_IP: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
/// The host's (collector's) address.
pub const HOST_IP: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);

fn leak<T>(value: T) -> &'static mut T {
    Box::leak(Box::new(value))
}

fn stack_config(ip: Ipv4Address) -> Config {
    Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(ip, 24),
        gateway: None,
        dns_servers: heapless::Vec::new(),
    })
}

async fn pipe(from: &mut channel::TxRunner<'_, MTU>, to: &mut channel::RxRunner<'_, MTU>) -> ! {
    loop {
        let packet = from.tx_buf().await;
        let slot = to.rx_buf().await;
        let n = packet.len().min(slot.len());
        slot[..n].copy_from_slice(&packet[..n]);
        to.rx_done(n);
        from.tx_done();
    }
}

/// Runs `body` against a device stack and a host stack (both up), on this thread, until it returns.
pub fn run<F, Fut, T>(body: F) -> T
where
    F: FnOnce(Stack<'static>, Stack<'static>) -> Fut,
    Fut: Future<Output = T>,
{
    let (device_runner, device_driver) = channel::new(leak(channel::State::<MTU, 16, 16>::new()), HardwareAddress::Ip);
    let (host_runner, host_driver) = channel::new(leak(channel::State::<MTU, 16, 16>::new()), HardwareAddress::Ip);
    let (device, mut device_net) = embassy_net::new(
        device_driver,
        stack_config(DEVICE_IP),
        leak(StackResources::<4>::new()),
        1,
    );
    let (host, mut host_net) =
        embassy_net::new(host_driver, stack_config(HOST_IP), leak(StackResources::<4>::new()), 2);
    let (device_state, mut device_rx, mut device_tx) = device_runner.split();
    let (host_state, mut host_rx, mut host_tx) = host_runner.split();
    device_state.set_link_state(LinkState::Up);
    host_state.set_link_state(LinkState::Up);
    let network = join4(
        device_net.run(),
        host_net.run(),
        pipe(&mut device_tx, &mut host_rx),
        pipe(&mut host_tx, &mut device_rx),
    );
    let body = async {
        device.wait_config_up().await;
        host.wait_config_up().await;
        body(device, host).await
    };
    futures_lite::future::block_on(async {
        match select(network, body).await {
            Either::First(_) => unreachable!("the network never stops"),
            Either::Second(out) => out,
        }
    })
}
