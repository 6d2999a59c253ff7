mod common;
use std::sync::Arc;
use std::time::{Duration, Instant};
use smol::io::{AsyncReadExt, AsyncWriteExt};
use tryfer_core::scribe::{self, LogCall, Outcome, Reply};
use tryfer_core::sink::Slice;
use tryfer_smol::queue::QueueLimits;
use tryfer_smol::report::scribe::{ScribeOptions, ScribeReporter};
use tryfer_smol::report::{DeliveryOptions, FlushOutcome};

#[test]
#[ignore]
fn throughput() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        smol::block_on(async move {
            let mut s = smol::Async::new(s).unwrap();
            let mut buf = Vec::new();
            loop {
                let mut p = [0u8; 4];
                if s.read_exact(&mut p).await.is_err() { return; }
                let len = scribe::frame_len(p, 1 << 30).unwrap();
                buf.resize(len, 0);
                s.read_exact(&mut buf).await.unwrap();
                let call = LogCall::parse(&buf, 1_000_000).unwrap();
                let reply = Reply { seqid: call.seqid(), outcome: Outcome::Ok };
                let mut out = vec![0u8; scribe::reply_len(&reply).unwrap()];
                scribe::write_reply(&reply, Slice::new(&mut out)).unwrap();
                s.write_all(&out).await.unwrap();
            }
        });
    });
    let opts = ScribeOptions { delivery: DeliveryOptions { queue: QueueLimits { max_spans: 200_000, max_bytes: 1 << 30 }, ..Default::default() }, ..Default::default() };
    let reporter = Arc::new(ScribeReporter::spawn(addr.to_string(), opts));
    let n = 250_000u64;
    let start = Instant::now();
    let producers: Vec<_> = (0..4).map(|p| { let r = reporter.clone(); std::thread::spawn(move || {
        for i in 0..n { r.handle().report(common::span(p * n + i + 1)); }
    })}).collect();
    for p in producers { p.join().unwrap(); }
    let produced = start.elapsed();
    assert_eq!(smol::block_on(reporter.flush(Duration::from_secs(120))), FlushOutcome::Flushed);
    let total = start.elapsed();
    let s = reporter.stats();
    eprintln!("produce {produced:?}, total {total:?}, {:.0} spans/s sent; {s:?}", s.sent as f64 / total.as_secs_f64());
}
