//! Setting the epoch clock by SNTP over embassy-net (feature `sntp`, with the `sntpc` crate).
//!
//! [`sync_clock`] asks one server once and sets [`EpochClock::set_epoch_at_boot`]; call it at boot and then
//! every few hours (crystal drift is tens of ppm: a few ms per hour). Spans recorded before the first success
//! are held by the reporters and sent with corrected times afterwards.
//!
//! The request's timestamps are uptime plus the current guess of the boot time (the clock's offset once set,
//! else [`SntpConfig::boot_guess_secs`]); the server's answer corrects the guess. The guess only has to be
//! within 68 years, for NTP's era arithmetic.

use core::net::SocketAddr;

use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{IpAddress, IpEndpoint, Stack};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_time::{with_timeout, Duration};
use sntpc::{NtpContext, NtpTimestampGenerator, NtpUdpSocket};

use crate::clock::{uptime_micros, EpochClock};

/// Why the clock was not set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SntpError {
    /// The UDP socket could not be bound.
    Bind,
    /// The server's address is not IPv4 (the only kind asked for now).
    NotIpv4,
    /// No valid answer within the timeout.
    Timeout,
    /// The server's answer was refused (wrong origin, unsynchronized server, kiss-of-death, ...).
    Protocol(sntpc::Error),
    /// The answer puts the boot before 1970.
    BeforeEpoch,
}

impl core::fmt::Display for SntpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SntpError::Bind => f.write_str("could not bind a UDP socket for SNTP"),
            SntpError::NotIpv4 => f.write_str("the SNTP server's address is not IPv4"),
            SntpError::Timeout => f.write_str("no SNTP answer in time"),
            SntpError::Protocol(e) => write!(f, "SNTP answer refused: {e:?}"),
            SntpError::BeforeEpoch => f.write_str("SNTP answer puts the boot before 1970"),
        }
    }
}

impl core::error::Error for SntpError {}

#[cfg(feature = "defmt")]
impl defmt::Format for SntpError {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            SntpError::Bind => defmt::write!(f, "Bind"),
            SntpError::NotIpv4 => defmt::write!(f, "NotIpv4"),
            SntpError::Timeout => defmt::write!(f, "Timeout"),
            SntpError::Protocol(e) => defmt::write!(f, "Protocol({})", defmt::Debug2Format(e)),
            SntpError::BeforeEpoch => defmt::write!(f, "BeforeEpoch"),
        }
    }
}

/// Which server to ask and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SntpConfig {
    /// The NTP server, port 123.
    pub server: IpEndpoint,
    /// How long to wait for the answer.
    pub timeout: Duration,
    /// The boot time (Unix seconds) assumed before the first sync; the firmware's build time is a good value.
    pub boot_guess_secs: u64,
}

impl SntpConfig {
    /// Asks `server` with a 2 s timeout, assuming a boot in 2025 until told otherwise.
    pub const fn new(server: IpEndpoint) -> Self {
        SntpConfig {
            server,
            timeout: Duration::from_secs(2),
            boot_guess_secs: 1_735_689_600,
        }
    }
}

/// Uptime plus the guessed boot time, as sntpc's timestamp source.
#[derive(Debug, Clone, Copy)]
struct UptimeTimestamps {
    boot_micros: u64,
    now_micros: u64,
}

impl NtpTimestampGenerator for UptimeTimestamps {
    fn init(&mut self) {
        self.now_micros = self.boot_micros.saturating_add(uptime_micros());
    }

    fn timestamp_sec(&self) -> u64 {
        self.now_micros / 1_000_000
    }

    fn timestamp_subsec_micros(&self) -> u32 {
        (self.now_micros % 1_000_000) as u32
    }
}

/// sntpc's view of an embassy-net UDP socket.
struct Udp<'s, 'a>(&'s UdpSocket<'a>);

impl NtpUdpSocket for Udp<'_, '_> {
    async fn send_to(&self, buf: &[u8], addr: SocketAddr) -> sntpc::Result<usize> {
        let SocketAddr::V4(addr) = addr else {
            return Err(sntpc::Error::Network);
        };
        match self.0.send_to(buf, IpEndpoint::from(addr)).await {
            Ok(()) => Ok(buf.len()),
            Err(_) => Err(sntpc::Error::Network),
        }
    }

    async fn recv_from(&self, buf: &mut [u8]) -> sntpc::Result<(usize, SocketAddr)> {
        match self.0.recv_from(buf).await {
            Ok((n, meta)) => Ok((n, SocketAddr::from(meta.endpoint))),
            Err(_) => Err(sntpc::Error::Network),
        }
    }
}

/// Asks the server once and sets `clock`; returns the epoch time (µs) of the device's boot.
///
/// Uses about 200 bytes of stack for the socket buffers (an NTP packet is 48 bytes).
pub async fn sync_clock<M: RawMutex>(
    stack: Stack<'_>,
    clock: &EpochClock<M>,
    config: &SntpConfig,
) -> Result<u64, SntpError> {
    let mut rx_meta = [PacketMetadata::EMPTY; 1];
    let mut tx_meta = [PacketMetadata::EMPTY; 1];
    let mut rx = [0u8; 64];
    let mut tx = [0u8; 64];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx, &mut tx_meta, &mut tx);
    socket.bind(0).map_err(|_| SntpError::Bind)?;
    let guess = clock
        .epoch_at_boot()
        .unwrap_or(config.boot_guess_secs.saturating_mul(1_000_000));
    let context = NtpContext::new(UptimeTimestamps {
        boot_micros: guess,
        now_micros: 0,
    });
    let server = match config.server.addr {
        IpAddress::Ipv4(ip) => SocketAddr::from((ip, config.server.port)),
        #[allow(unreachable_patterns)]
        _ => return Err(SntpError::NotIpv4),
    };
    let result = with_timeout(config.timeout, sntpc::get_time(server, &Udp(&socket), context))
        .await
        .map_err(|_| SntpError::Timeout)?
        .map_err(SntpError::Protocol)?;
    let boot = i128::from(guess) + i128::from(result.offset());
    let boot = u64::try_from(boot).map_err(|_| SntpError::BeforeEpoch)?;
    clock.set_epoch_at_boot(boot);
    Ok(boot)
}
