//! TEMPORARY differential run against Zipkin's own converter; deleted after use.
use std::io::Write;
use std::net::Ipv4Addr;
use tryfer_core::sink::Slice;
use tryfer_core::{json, thrift, Endpoint, Sampling, Span, SpanContext, SpanId, TraceId, Value};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn dump() {
    let a = Endpoint::v4("frontend", Ipv4Addr::new(10, 0, 0, 1), 80);
    let a2 = Endpoint::v4("Frontend", Ipv4Addr::new(10, 0, 0, 2), 81);
    let b = Endpoint::v4("backend", Ipv4Addr::new(10, 0, 0, 3), 90);
    let c = Endpoint { service_name: "", ipv4: None, ipv6: Some("2001:db8::1".parse().unwrap()), port: Some(91) };
    let empty = Endpoint::service("");
    let hosted = [a, a2, b];
    let any_host = [Some(a), Some(a2), Some(b), Some(empty), None, Some(c)];
    let values = ["cs", "cr", "sr", "ss", "ms", "mr", "ws", "wr", "foo", "bar", "error"];
    let mut rng = Rng(std::env::var("SEED").map(|s| s.parse().unwrap()).unwrap_or(0x9e3779b97f4a7c15));
    let mut f = std::fs::File::create("/tmp/oracle_in.txt").unwrap();
    let mut g = std::fs::File::create("/tmp/oracle_ours.txt").unwrap();
    let mut d = std::fs::File::create("/tmp/oracle_debug.txt").unwrap();
    for _ in 0..20000 {
        let id = 1 + rng.below(3);
        let ctx = SpanContext {
            trace_id: TraceId::new(rng.below(2) * 0xabc, 7).unwrap(),
            span_id: SpanId::new(id).unwrap(),
            parent_id: SpanId::new(rng.below(3)),
            sampling: Sampling::Accept,
            debug: rng.below(4) == 0,
        };
        let name = ["get", "post /a", ""][rng.below(3) as usize];
        let mut span: Span<24, 1024> = Span::new(ctx, name);
        let n = rng.below(17);
        for _ in 0..n {
            match rng.below(3) {
                0 | 1 => {
                    let v = values[rng.below(values.len() as u64) as usize];
                    let core = ["cs", "cr", "sr", "ss", "ms", "mr", "ws", "wr"].contains(&v);
                    let host = if core {
                        Some(hosted[rng.below(3) as usize])
                    } else {
                        any_host[rng.below(6) as usize]
                    };
                    let ts = if rng.below(10) == 0 { 0 } else { 1 + rng.below(20) };
                    span.annotate(v, ts, host.as_ref()).unwrap();
                }
                _ => {
                    if rng.below(3) == 0 {
                        let k = ["ca", "sa", "ma"][rng.below(3) as usize];
                        let h = [a, a2, b, c][rng.below(4) as usize];
                        span.tag(k, Value::Bool(rng.below(5) != 0), Some(&h)).unwrap();
                    } else {
                        let k = ["k1", "k2", "lc", "http.path"][rng.below(4) as usize];
                        let v = ["", "v", "w"][rng.below(3) as usize];
                        span.tag_str(k, v, any_host[rng.below(6) as usize].as_ref()).unwrap();
                    }
                }
            }
        }
        match rng.below(4) {
            0 => {
                span.set_timestamp(1 + rng.below(20));
                span.set_duration(rng.below(10));
            }
            1 => span.set_timestamp(1 + rng.below(20)),
            _ => {}
        }
        let mut buf = [0u8; 8192];
        let mut out = Slice::new(&mut buf);
        thrift::encode_binary_span_list([&span], &mut out).unwrap();
        let hex: String = out.written().iter().map(|b| format!("{b:02x}")).collect();
        writeln!(f, "{hex}").unwrap();
        let mut buf = [0u8; 8192];
        let mut out = Slice::new(&mut buf);
        json::encode_v2_spans([&span], &mut out).unwrap();
        writeln!(g, "{}", std::str::from_utf8(out.written()).unwrap()).unwrap();
        let mut buf = [0u8; 8192];
        let mut out = Slice::new(&mut buf);
        json::encode_debug_span(&span, json::Layout::Compact, &mut out).unwrap();
        writeln!(d, "{}\t{:?}\t{:?}\t{}", std::str::from_utf8(out.written()).unwrap(), tryfer_core::SpanData::timestamp(&span), tryfer_core::SpanData::duration(&span), tryfer_core::SpanData::debug(&span)).unwrap();
    }
}
