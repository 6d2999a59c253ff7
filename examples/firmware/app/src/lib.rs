//! The application both firmware examples run, on any embassy-net stack: a traced HTTP endpoint
//! (`GET /reading`) that calls a host service with B3, SNTP clock sync, and the Scribe reporter.
//!
//! Addresses are set at build time (IPv4 `a.b.c.d:port`, no DNS):
//! - `TRYFER_COLLECTOR`: the Scribe collector (`tryfer-sink` or Zipkin with Scribe on), default `192.168.1.2:9410`
//! - `TRYFER_HOST_SERVICE`: the host service `/reading` calls, default `192.168.1.2:8080`
//! - `TRYFER_NTP`: the NTP server, default `192.168.1.2:123`
//! - `TRYFER_SERVICE`: this device's service name, default `device`
#![no_std]

use core::net::SocketAddrV4;

use defmt::{info, warn};
use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpEndpoint, Stack};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_time::{with_timeout, Duration, Timer};
use picoserve::response::IntoResponse;
use picoserve::routing::get;
use picoserve::Router;
use reqwless::client::HttpConnection;
use reqwless::request::{Request, RequestBuilder};
use static_cell::StaticCell;
use tryfer_embassy::http::client;
use tryfer_embassy::http::server::{Traced, B3};
use tryfer_embassy::report::scribe::{ScribeBuffers, ScribeConfig, ScribeReporter};
use tryfer_embassy::sntp::{sync_clock, SntpConfig};
use tryfer_embassy::Tracer;

const fn or(value: Option<&'static str>, default: &'static str) -> &'static str {
    match value {
        Some(v) => v,
        None => default,
    }
}

/// This device's service name in Zipkin.
pub const SERVICE: &str = or(option_env!("TRYFER_SERVICE"), "device");
/// The Scribe collector.
pub const COLLECTOR: &str = or(option_env!("TRYFER_COLLECTOR"), "192.168.1.2:9410");
/// The host service `/reading` calls.
pub const HOST_SERVICE: &str = or(option_env!("TRYFER_HOST_SERVICE"), "192.168.1.2:8080");
/// The NTP server.
pub const NTP: &str = or(option_env!("TRYFER_NTP"), "192.168.1.2:123");
/// The port the traced endpoint listens on.
pub const HTTP_PORT: u16 = 80;
/// Connections served at once.
pub const WEB_TASKS: usize = 2;

/// The device's tracer: 8 queued spans of 8 annotations and 256 bytes of text.
pub type DeviceTracer = Tracer<CriticalSectionRawMutex, 8, 8, 256>;

/// The one tracer.
pub static TRACER: DeviceTracer = Tracer::new(SERVICE);

/// Sockets the application needs on the stack: web tasks, their client calls, reporter, SNTP, DHCP.
pub const SOCKETS: usize = 2 * WEB_TASKS + 3;

fn endpoint(text: &str) -> IpEndpoint {
    match text.parse::<SocketAddrV4>() {
        Ok(addr) => IpEndpoint::new((*addr.ip()).into(), addr.port()),
        Err(_) => {
            warn!("not an a.b.c.d:port address: {}", text);
            IpEndpoint::new(core::net::Ipv4Addr::UNSPECIFIED.into(), 0)
        }
    }
}

/// Waits for DHCP, seeds and addresses the tracer, and starts every task.
pub async fn start(spawner: Spawner, stack: Stack<'static>, seed: u64) {
    TRACER.seed(seed);
    stack.wait_config_up().await;
    let address = stack.config_v4().map(|c| c.address.address());
    TRACER.set_local_address(address, Some(HTTP_PORT));
    info!(
        "up at {:?}; collector {}, host service {}, ntp {}",
        address, COLLECTOR, HOST_SERVICE, NTP
    );
    spawner.spawn(defmt::unwrap!(clock_task(stack)));
    spawner.spawn(defmt::unwrap!(reporter_task(stack)));
    spawner.spawn(defmt::unwrap!(stats_task()));
    for id in 0..WEB_TASKS {
        spawner.spawn(defmt::unwrap!(web_task(id, stack)));
    }
}

/// Sets the clock by SNTP at boot (retrying every 10 s) and again every hour.
#[embassy_executor::task]
async fn clock_task(stack: Stack<'static>) -> ! {
    let config = SntpConfig::new(endpoint(NTP));
    loop {
        match sync_clock(stack, TRACER.clock(), &config).await {
            Ok(boot) => {
                info!("clock set: boot at {} µs since the epoch", boot);
                Timer::after(Duration::from_secs(3600)).await;
            }
            Err(e) => {
                warn!("SNTP failed: {}; spans are held until it works", e);
                Timer::after(Duration::from_secs(10)).await;
            }
        }
    }
}

/// Ships spans to the collector.
#[embassy_executor::task]
async fn reporter_task(stack: Stack<'static>) -> ! {
    static BUFFERS: StaticCell<ScribeBuffers> = StaticCell::new();
    let buffers = BUFFERS.init(ScribeBuffers::new());
    ScribeReporter::new(stack, &TRACER, ScribeConfig::new(endpoint(COLLECTOR)))
        .run(buffers)
        .await
}

/// Logs the tracer's counters every minute: what was recorded, sent, retried and lost.
#[embassy_executor::task]
async fn stats_task() -> ! {
    loop {
        Timer::after(Duration::from_secs(60)).await;
        info!("tracing: {}", TRACER.stats());
    }
}

/// Serves the traced endpoint, one connection at a time per task.
#[embassy_executor::task(pool_size = WEB_TASKS)]
async fn web_task(id: usize, stack: Stack<'static>) -> ! {
    let app = Router::new().route("/reading", get(move |b3: B3| reading(stack, b3)));
    let config = picoserve::Config::const_default();
    let mut http_buffer = [0u8; 1024];
    let mut rx = [0u8; 1024];
    let mut tx = [0u8; 1024];
    picoserve::Server::new(&app, &config, &mut http_buffer)
        .listen_and_serve(id, stack, HTTP_PORT, &mut rx, &mut tx)
        .await
        .into_never()
}

/// `GET /reading`: a server span joined from the caller's B3, a client call to the host service carrying B3,
/// and `ss` once the response is written.
async fn reading(stack: Stack<'static>, b3: B3) -> impl IntoResponse {
    let mut span = TRACER.start_server(b3.extracted, "get /reading");
    b3.tag_request(&mut span);
    let mut call = TRACER.start_client(Some(span.context()), "get /calibration");
    let mut rx = [0u8; 512];
    let mut tx = [0u8; 512];
    let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
    socket.set_timeout(Some(Duration::from_secs(5)));
    let mut calibrated = false;
    if socket.connect(endpoint(HOST_SERVICE)).await.is_ok() {
        {
            let mut conn = HttpConnection::Plain(&mut socket);
            let mut buf = [0u8; 512];
            let request = Request::get("/calibration").host("host");
            if let Ok(response) = client::send(&mut conn, &mut call, request, &[], &mut buf).await {
                calibrated = response.body().read_to_end().await.is_ok();
            }
        }
        socket.close();
        let _ = with_timeout(Duration::from_secs(1), socket.flush()).await;
    } else {
        call.tag("error", "host service unreachable");
    }
    call.finish();
    Traced::new(
        span,
        if calibrated {
            "reading: 21.5 C (calibrated)\n"
        } else {
            "reading: 21.5 C\n"
        },
    )
}
