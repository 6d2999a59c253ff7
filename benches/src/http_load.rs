//! A small HTTP/1.1 load loop for loopback: keep-alive connections, one thread each, one request in flight per
//! connection, for a fixed time; counts requests and records every latency.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// What a load run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOutcome {
    /// Requests answered during the measured time.
    pub requests: u64,
    /// Requests that failed (connection error, malformed or non-2xx response).
    pub errors: u64,
    /// The measured time, in seconds.
    pub seconds: f64,
    /// Median latency, µs.
    pub p50_micros: f64,
    /// 99th percentile latency, µs.
    pub p99_micros: f64,
}

impl LoadOutcome {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Where the headers of a response end and how long its body is (`Content-Length`), once both are known.
fn response_head(buf: &[u8]) -> Option<Result<(usize, usize, bool), String>> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = match std::str::from_utf8(&buf[..end]) {
        Ok(head) => head,
        Err(_) => return Some(Err("response head is not UTF-8".to_owned())),
    };
    let ok = head.starts_with("HTTP/1.1 2");
    let mut length = None;
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    Some(match length {
        Some(len) => Ok((end, len, ok)),
        None => Err(format!("no Content-Length in {head:?}")),
    })
}

/// Sends `request` and reads one whole response; true for a 2xx.
fn exchange(stream: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>, chunk: &mut [u8]) -> io::Result<bool> {
    stream.write_all(request)?;
    buf.clear();
    loop {
        if let Some(head) = response_head(buf) {
            let (end, len, ok) = head.map_err(io::Error::other)?;
            while buf.len() < end + len {
                let n = stream.read(chunk)?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(ok);
        }
        let n = stream.read(chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// One connection's loop: warm up, then count and time requests until `end`.
fn connection(address: SocketAddr, request: &[u8], measure_from: Instant, end: Instant) -> (Vec<u32>, u64) {
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut errors = 0u64;
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    let mut stream = None;
    while Instant::now() < end {
        let s = match stream.as_mut() {
            Some(s) => s,
            None => match TcpStream::connect(address) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                    stream.insert(s)
                }
                Err(_) => {
                    errors += 1;
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
            },
        };
        let sent = Instant::now();
        match exchange(s, request, &mut buf, &mut chunk) {
            Ok(true) => {
                if sent >= measure_from {
                    let micros = sent.elapsed().as_micros();
                    latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
                }
            }
            Ok(false) => {
                if sent >= measure_from {
                    errors += 1;
                }
            }
            Err(_) => {
                errors += 1;
                stream = None;
            }
        }
    }
    (latencies, errors)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)])
}

/// Runs `connections` keep-alive connections against `address` for `warmup` (not counted) plus `measure`.
pub fn run(
    address: SocketAddr,
    request: &[u8],
    connections: usize,
    warmup: Duration,
    measure: Duration,
) -> LoadOutcome {
    let measure_from = Instant::now() + warmup;
    let end = measure_from + measure;
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let request = request.to_vec();
            thread::spawn(move || connection(address, &request, measure_from, end))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in threads {
        if let Ok((l, e)) = t.join() {
            latencies.extend(l);
            errors += e;
        }
    }
    latencies.sort_unstable();
    LoadOutcome {
        requests: latencies.len() as u64,
        errors,
        seconds: measure.as_secs_f64(),
        p50_micros: percentile(&latencies, 50.0),
        p99_micros: percentile(&latencies, 99.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_head_and_length_of_a_response() {
        let r = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ndate: x\r\n\r\nhello";
        assert_eq!(response_head(r), Some(Ok((r.len() - 5, 5, true))));
        assert_eq!(response_head(b"HTTP/1.1 200 OK\r\ncontent-len"), None);
        let missing = response_head(b"HTTP/1.1 404 Not Found\r\n\r\n");
        assert!(matches!(missing, Some(Err(_))));
        let not_ok = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(response_head(not_ok), Some(Ok((not_ok.len(), 0, false))));
    }

    #[test]
    fn percentiles_of_sorted_latencies() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 51.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
