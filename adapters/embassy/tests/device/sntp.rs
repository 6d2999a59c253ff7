//! SNTP against a minimal NTP server on the host stack, whose clock reads `SERVER_EPOCH_AT_BOOT` + uptime.

use embassy_futures::select::select;
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{IpEndpoint, Stack};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_time::Duration;
use tryfer_embassy::clock::uptime_micros;
use tryfer_embassy::sntp::{sync_clock, SntpConfig, SntpError};
use tryfer_embassy::EpochClock;

use crate::net::{self, HOST_IP};

const SERVER_EPOCH_AT_BOOT: u64 = 1_764_000_000_123_456;
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

fn ntp_timestamp(unix_micros: u64) -> u64 {
    let secs = unix_micros / 1_000_000 + NTP_UNIX_OFFSET;
    let frac = ((unix_micros % 1_000_000) << 32) / 1_000_000;
    (secs << 32) | frac
}

/// Answers every request like a stratum-1 server; `skew_origin` answers with a wrong origin timestamp.
async fn ntp_server(stack: Stack<'_>, skew_origin: bool) -> ! {
    let mut rx_meta = [PacketMetadata::EMPTY; 4];
    let mut tx_meta = [PacketMetadata::EMPTY; 4];
    let mut rx = [0u8; 512];
    let mut tx = [0u8; 512];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx, &mut tx_meta, &mut tx);
    socket.bind(123).unwrap();
    let mut request = [0u8; 48];
    loop {
        let (n, meta) = socket.recv_from(&mut request).await.unwrap();
        assert_eq!(n, 48);
        let now = ntp_timestamp(SERVER_EPOCH_AT_BOOT + uptime_micros());
        let mut reply = [0u8; 48];
        reply[0] = (4 << 3) | 4; // LI 0, version 4, mode 4 (server)
        reply[1] = 1; // stratum 1
        reply[3] = (-20i8) as u8;
        reply[12..16].copy_from_slice(b"TEST");
        reply[16..24].copy_from_slice(&(now - (1u64 << 32)).to_be_bytes());
        reply[24..32].copy_from_slice(&request[40..48]); // origin = the client's transmit time
        if skew_origin {
            reply[31] ^= 1;
        }
        reply[32..40].copy_from_slice(&now.to_be_bytes());
        reply[40..48].copy_from_slice(&now.to_be_bytes());
        socket.send_to(&reply, meta.endpoint).await.unwrap();
    }
}

fn config() -> SntpConfig {
    let mut config = SntpConfig::new(IpEndpoint::new(HOST_IP.into(), 123));
    config.timeout = Duration::from_millis(500);
    config
}

#[test]
fn sntp_sets_the_epoch_offset() {
    net::run(Duration::from_secs(10), |device, host| async move {
        let clock: EpochClock<NoopRawMutex> = EpochClock::new();
        let script = async {
            assert!(!clock.is_set());
            let boot = sync_clock(device, &clock, &config()).await.unwrap();
            assert_eq!(clock.epoch_at_boot(), Some(boot));
            // Same process, same uptime: only the in-process round trip separates the two clocks.
            let error = boot.abs_diff(SERVER_EPOCH_AT_BOOT);
            assert!(error < 20_000, "boot time off by {error} µs");
            // A second sync starts from the learned offset and lands in the same place.
            let again = sync_clock(device, &clock, &config()).await.unwrap();
            assert!(again.abs_diff(SERVER_EPOCH_AT_BOOT) < 20_000);
        };
        select(ntp_server(host, false), script).await;
    });
}

#[test]
fn a_wrong_answer_or_silence_leaves_the_clock_unset() {
    net::run(Duration::from_secs(10), |device, host| async move {
        let clock: EpochClock<NoopRawMutex> = EpochClock::new();
        let script = async {
            let result = sync_clock(device, &clock, &config()).await;
            assert!(matches!(result, Err(SntpError::Protocol(_))), "{result:?}");
            assert!(!clock.is_set());
        };
        select(ntp_server(host, true), script).await;
        let clock: EpochClock<NoopRawMutex> = EpochClock::new();
        assert_eq!(sync_clock(device, &clock, &config()).await, Err(SntpError::Timeout));
        assert!(!clock.is_set());
    });
}
