//! The Thrift span decoders on ARM: what the core encodes decodes back to the same span (checked by re-encoding
//! to the golden bytes), in both protocols and as a `list<Span>`; truncated, corrupted and random input is
//! refused with an error, never a panic.

use tryfer_core::sink::Slice;
use tryfer_core::thrift::decode::{self, DecodeError, DecodedSpan, Protocol};
use tryfer_core::{thrift, SpanData};

use crate::data::{GoldenCase, GOLDEN};
use crate::golden::span_of;
use crate::runner::{Failure, Hex, Outcome, Runner};

/// The decoded view the tests use: up to 8 events, like the recorded spans.
type View<'a> = DecodedSpan<'a, 8>;

/// Re-encodes a decoded span as TBinaryProtocol into `buf`.
fn binary_of<'b>(span: &View<'_>, buf: &'b mut [u8]) -> Result<&'b [u8], Failure> {
    let mut out = Slice::new(buf);
    if let Err(e) = thrift::encode_binary_span(span, &mut out) {
        fail!("re-encoding the decoded span failed: {e}");
    }
    Ok(out.finish())
}

/// The decoded span carries the golden input's ids, name and events, and re-encodes to the golden bytes.
fn matches_golden(case: &GoldenCase, span: &View<'_>) -> Outcome {
    check_eq!(span.trace_id().to_hex().as_str(), case.trace_id, "trace id");
    check_eq!(span.id().to_hex().as_str(), case.span_id, "span id");
    check_eq!(
        span.parent_id().map(|p| p.to_hex()).as_deref(),
        case.parent_span_id,
        "parent id"
    );
    check_eq!(span.name(), case.name, "name");
    check_eq!(span.events().count(), case.annotations.len(), "events");
    let mut buf = [0u8; 512];
    check_eq!(
        Hex(binary_of(span, &mut buf)?),
        Hex(case.thrift_binary),
        "re-encoded bytes"
    );
    Ok(())
}

fn binary_round_trip(case: &GoldenCase) -> Outcome {
    let (span, used) = match decode::decode_binary_span::<8>(case.thrift_binary) {
        Ok(decoded) => decoded,
        Err(e) => fail!("golden bytes refused: {e}"),
    };
    check_eq!(used, case.thrift_binary.len(), "bytes used");
    matches_golden(case, &span)?;
    check_eq!(Protocol::detect(case.thrift_binary), Some(Protocol::Binary), "protocol");
    Ok(())
}

fn compact_round_trip(case: &GoldenCase) -> Outcome {
    let recorded = span_of(case)?;
    let mut buf = [0u8; 512];
    let mut out = Slice::new(&mut buf);
    if let Err(e) = thrift::encode_compact_span(&recorded, &mut out) {
        fail!("compact encode failed: {e}");
    }
    let compact = out.finish();
    check!(
        compact.len() < case.thrift_binary.len(),
        "compact is smaller than binary"
    );
    check_eq!(Protocol::detect(compact), Some(Protocol::Compact), "protocol");
    let (span, used) = match decode::decode_span::<8>(compact) {
        Ok(decoded) => decoded,
        Err(e) => fail!("compact bytes refused: {e}"),
    };
    check_eq!(used, compact.len(), "bytes used");
    matches_golden(case, &span)
}

fn span_list_round_trip() -> Outcome {
    let mut spans: heapless::Vec<_, 8> = heapless::Vec::new();
    for case in GOLDEN {
        if spans.push(span_of(case)?).is_err() {
            fail!("more than 8 golden cases");
        }
    }
    let mut buf = [0u8; 2048];
    let mut out = Slice::new(&mut buf);
    if let Err(e) = thrift::encode_binary_span_list(spans.iter(), &mut out) {
        fail!("list encode failed: {e}");
    }
    let body = out.finish();
    let list = match decode::decode_binary_span_list::<8>(body) {
        Ok(list) => list,
        Err(e) => fail!("list refused: {e}"),
    };
    check_eq!(list.left(), GOLDEN.len(), "announced spans");
    let mut n = 0;
    for (decoded, case) in list.zip(GOLDEN) {
        match decoded {
            Ok(span) => matches_golden(case, &span)?,
            Err(e) => fail!("span {n} of the list refused: {e}"),
        }
        n += 1;
    }
    check_eq!(n, GOLDEN.len(), "spans decoded");
    Ok(())
}

/// Decodes `bytes` every way there is; whatever decodes must re-encode without a panic.
fn decode_all_ways(bytes: &[u8]) -> [Result<(), DecodeError>; 3] {
    let mut buf = [0u8; 1024];
    let mut reencode = |span: &View<'_>| {
        let _ = thrift::encode_binary_span(span, &mut Slice::new(&mut buf));
    };
    let binary = decode::decode_binary_span::<8>(bytes).map(|(s, _)| reencode(&s));
    let compact = decode::decode_compact_span::<8>(bytes).map(|(s, _)| reencode(&s));
    let list = decode::decode_binary_span_list::<8>(bytes).map(|list| {
        for span in list.take(4).flatten() {
            reencode(&span);
        }
    });
    [binary, compact, list]
}

fn truncated_is_refused(case: &GoldenCase) -> Outcome {
    let bytes = case.thrift_binary;
    for cut in 0..bytes.len() {
        check!(
            decode::decode_binary_span::<8>(&bytes[..cut]).is_err(),
            "a span cut at {cut} of {} bytes decoded",
            bytes.len()
        );
    }
    Ok(())
}

fn corrupted_never_panics(case: &GoldenCase) -> Outcome {
    let mut copy = [0u8; 512];
    let Some(copy) = copy.get_mut(..case.thrift_binary.len()) else {
        fail!("golden span over 512 bytes")
    };
    for i in 0..copy.len() {
        for bit in 0..8 {
            copy.copy_from_slice(case.thrift_binary);
            copy[i] ^= 1 << bit;
            let _ = decode_all_ways(copy);
        }
    }
    Ok(())
}

fn random_bytes_never_panic() -> Outcome {
    // xorshift32: reproducible noise, some of it shaped like a span's first field so deeper paths are reached.
    let mut state = 0x9e37_79b9u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let mut buf = [0u8; 96];
    let mut refused = 0u32;
    for round in 0..3000u32 {
        let len = (next() % 96) as usize;
        for b in buf.iter_mut() {
            *b = next() as u8;
        }
        match round % 3 {
            1 => buf[..3].copy_from_slice(&[0x0a, 0x00, 0x01]),
            2 => buf[0] = 0x16,
            _ => {}
        }
        refused += decode_all_ways(&buf[..len]).iter().filter(|r| r.is_err()).count() as u32;
    }
    check!(refused > 8000, "random bytes mostly refused ({refused} of 9000)");
    Ok(())
}

pub fn run(r: &mut Runner) {
    for case in GOLDEN {
        r.test(format_args!("decode binary: {}", case.case), || binary_round_trip(case));
    }
    for case in GOLDEN {
        r.test(format_args!("decode compact: {}", case.case), || {
            compact_round_trip(case)
        });
    }
    r.test(
        format_args!("decode list<Span>: every golden span"),
        span_list_round_trip,
    );
    for case in GOLDEN {
        r.test(format_args!("decode truncated: {}", case.case), || {
            truncated_is_refused(case)
        });
    }
    for case in GOLDEN {
        r.test(format_args!("decode bit flips, no panic: {}", case.case), || {
            corrupted_never_panics(case)
        });
    }
    r.test(format_args!("decode random bytes, no panic"), random_bytes_never_panic);
}
