//! The core never allocates: every operation runs under a counting global allocator and must count zero.
#![forbid(unsafe_code)]

use std::net::Ipv4Addr;

use tryfer_core::annotation::{CLIENT_RECV, CLIENT_SEND, SERVER_RECV, SERVER_SEND};
use tryfer_core::b3::{self, Format};
use tryfer_core::recorder::Recorder;
use tryfer_core::sampler::{Probabilistic, RateLimited, Sampler};
use tryfer_core::scribe::{self, LogCall, LogOptions, Outcome, Reply, SpanEncoding};
use tryfer_core::sink::Slice;
use tryfer_core::thrift::{self, decode};
use tryfer_core::{Endpoint, Sampling, Span, SpanContext, SpanData, Value};

/// A fixed RNG so the test needs no OS randomness inside the measured region.
struct Counter(u64);
impl rand_core::RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for b in dst {
            *b = self.next_u64() as u8;
        }
    }
}

fn assert_no_alloc(what: &str, f: impl FnOnce()) {
    let info = allocation_counter::measure(f);
    assert_eq!(
        info.count_total, 0,
        "{what} allocated {} times ({} bytes)",
        info.count_total, info.bytes_total
    );
}

#[test]
fn every_core_operation_is_allocation_free() {
    let mut buf = vec![0u8; 16 * 1024];
    let mut scratch = vec![0u8; 4 * 1024];
    assert_no_alloc("the whole span life cycle", || {
        let mut rng = Counter(1);
        let host = Endpoint::v4("frontend", Ipv4Addr::new(192, 168, 1, 10), 58648);

        // Ids, contexts, B3 in and out.
        let root = SpanContext::new_root_128(&mut rng, Sampling::Accept);
        let child = root.child(&mut rng);
        let mut multi: [(&'static str, heapless::String<40>); 4] = Default::default();
        let mut n = 0;
        b3::inject(&child, Format::Multi, &mut |name: &'static str, value: &str| {
            multi[n] = (name, heapless::String::try_from(value).unwrap());
            n += 1;
        });
        let pairs: [(&str, &str); 4] = core::array::from_fn(|i| (multi[i].0, multi[i].1.as_str()));
        let extracted = b3::extract(&pairs[..n]).unwrap();
        assert_eq!(extracted.context(), Some(child));
        let single = b3::B3Value::of(&child);
        let back = b3::extract_single(single.as_bytes()).unwrap();
        assert_eq!(back.context(), Some(child));
        assert!(b3::extract(&[("b3", "not-a-tumor")]).is_err());

        // Sampling.
        let mut p = Probabilistic::from_rate(0.5);
        let mut r = RateLimited::new(10);
        let _ = p.sample(child.trace_id, 0) || r.sample(child.trace_id, 0);

        // Recording with the end-annotation recorder.
        let mut recorder: Recorder<4, 8, 256> = Recorder::new();
        recorder
            .annotate(&child, "GET", CLIENT_SEND, Some(&host), 1_000)
            .unwrap();
        let mut finished = recorder
            .annotate(&child, "GET", CLIENT_RECV, Some(&host), 2_000)
            .unwrap()
            .unwrap();
        finished
            .tag_str("http.uri", "http://localhost:8080/README.rst", Some(&host))
            .unwrap();
        finished.tag("retries", Value::I32(2), None).unwrap();
        let mut server: Span = Span::new(child, "GET");
        server.annotate(SERVER_RECV, 1_100, Some(&host)).unwrap();
        server.annotate(SERVER_SEND, 1_900, Some(&host)).unwrap();

        // Thrift, both protocols, and the v1 HTTP list body.
        let mut out = Slice::new(&mut buf);
        thrift::encode_binary_span(&finished, &mut out).unwrap();
        thrift::encode_compact_span(&finished, &mut out).unwrap();
        thrift::encode_binary_span_list([&finished, &finished], &mut out).unwrap();
        let len = thrift::binary_span_len(&finished).unwrap();
        let (decoded, used) = decode::decode_binary_span::<16>(&out.written()[..len]).unwrap();
        assert_eq!(used, len);
        assert_eq!(decoded.id(), finished.id());
        drop(decoded);

        // Scribe: a frame, its reader, a reply and its parser.
        let spans = [&finished, &server];
        let options = LogOptions::new().with_encoding(SpanEncoding::Binary);
        let frame_len = scribe::log_call_len(spans, &options).unwrap();
        let mut out = Slice::new(&mut buf[..]);
        scribe::write_log_call(spans, 7, &options, &mut out).unwrap();
        assert_eq!(out.len(), frame_len);
        let written = out.finish();
        let call = LogCall::parse(&written[4..], 16).unwrap();
        for entry in call.entries() {
            let span = entry.decode_span::<16>(&mut scratch).unwrap();
            assert_eq!(span.trace_id(), child.trace_id);
        }
        let mut reply_buf = [0u8; 64];
        let mut reply_out = Slice::new(&mut reply_buf);
        scribe::write_reply(
            &Reply {
                seqid: 7,
                outcome: Outcome::TryLater,
            },
            &mut reply_out,
        )
        .unwrap();
        let reply = scribe::read_reply(reply_out.written(), 1024).unwrap().unwrap().0;
        assert_eq!(reply.outcome, Outcome::TryLater);
    });
}
