//! Properties of the Thrift span decoders: every encoded span decodes to itself, in both protocols, alone
//! and in `list<Span>` bodies; no input of any kind makes a decoder or reader panic; damaged encodings fail
//! with the error that names the damage.
#![forbid(unsafe_code)]

mod common;

use common::arb::{arb_span, arb_span_with, OwnedSpan};
use common::{binary_bytes, compact_bytes};
use proptest::prelude::*;
use tryfer_core::sink::{measure, Slice};
use tryfer_core::thrift::decode::{
    decode_binary_span, decode_binary_span_list, decode_compact_span, decode_span, DecodeError, DecodedSpan, Protocol,
};
use tryfer_core::thrift::encode_binary_span_list;
use tryfer_core::thrift::read::{BinaryReader, CompactReader, Reader};
use tryfer_core::thrift::TType;
use tryfer_core::{SpanId, TraceId};

/// Every decoder and reader entry point over `bytes`; panicking is the only failure.
fn decode_everything(bytes: &[u8]) {
    if let Ok((span, used)) = decode_binary_span::<8>(bytes) {
        assert!(used <= bytes.len());
        reencodes_to_itself(&span);
    }
    if let Ok((span, used)) = decode_compact_span::<8>(bytes) {
        assert!(used <= bytes.len());
        reencodes_to_itself(&span);
    }
    let _ = decode_span::<8>(bytes);
    if let Ok(list) = decode_binary_span_list::<8>(bytes) {
        assert!(list.left() <= bytes.len());
        for span in list.flatten() {
            reencodes_to_itself(&span);
        }
    }
    for ty in [
        TType::Struct,
        TType::List,
        TType::Map,
        TType::Set,
        TType::Binary,
        TType::Bool,
        TType::Double,
    ] {
        let _ = BinaryReader::new(bytes).skip(ty);
        let _ = CompactReader::new(bytes).skip(ty);
    }
    let _ = BinaryReader::new(bytes).message_begin();
}

/// Whatever a decoder accepts, the encoders can write again, and that decodes to the same span.
fn reencodes_to_itself<const N: usize>(span: &DecodedSpan<'_, N>) {
    let model = OwnedSpan::of(span);
    let again = binary_bytes(span);
    let (back, _): (DecodedSpan<'_, N>, usize) = decode_binary_span(&again).unwrap();
    assert_eq!(OwnedSpan::of(&back), model);
    let again = compact_bytes(span);
    let (back, _): (DecodedSpan<'_, N>, usize) = decode_compact_span(&again).unwrap();
    assert_eq!(OwnedSpan::of(&back), model);
}

fn list_bytes(spans: &[OwnedSpan]) -> Vec<u8> {
    let len = measure(|c| encode_binary_span_list(spans.iter(), c)).unwrap();
    let mut body = vec![0; len];
    encode_binary_span_list(spans.iter(), Slice::new(&mut body)).unwrap();
    body
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn binary_round_trip(span in arb_span()) {
        let bytes = binary_bytes(&span);
        prop_assert_eq!(Protocol::detect(&bytes), Some(Protocol::Binary));
        let (decoded, used): (DecodedSpan, usize) = decode_binary_span(&bytes).unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(OwnedSpan::of(&decoded), span.in_wire_order());
        // A decoded span is a SpanData: re-encoding gives the same bytes.
        prop_assert_eq!(binary_bytes(&decoded), bytes.clone());
        // Detection picks the same decoder.
        let (detected, _): (DecodedSpan, usize) = decode_span(&bytes).unwrap();
        prop_assert_eq!(OwnedSpan::of(&detected), OwnedSpan::of(&decoded));
    }

    #[test]
    fn compact_round_trip(span in arb_span()) {
        let bytes = compact_bytes(&span);
        prop_assert_eq!(Protocol::detect(&bytes), Some(Protocol::Compact));
        let (decoded, used): (DecodedSpan, usize) = decode_compact_span(&bytes).unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(OwnedSpan::of(&decoded), span.in_wire_order());
        prop_assert_eq!(compact_bytes(&decoded), bytes.clone());
        let (detected, _): (DecodedSpan, usize) = decode_span(&bytes).unwrap();
        prop_assert_eq!(OwnedSpan::of(&detected), OwnedSpan::of(&decoded));
    }

    #[test]
    fn span_list_round_trip(spans in proptest::collection::vec(arb_span_with(4), 0..6), trailing in proptest::collection::vec(any::<u8>(), 0..4)) {
        let mut body = list_bytes(&spans);
        let list_len = body.len();
        body.extend_from_slice(&trailing);
        let mut list = decode_binary_span_list::<4>(&body).unwrap();
        prop_assert_eq!(list.left(), spans.len());
        for span in &spans {
            let decoded = list.next().unwrap().unwrap();
            prop_assert_eq!(OwnedSpan::of(&decoded), span.in_wire_order());
        }
        prop_assert!(list.next().is_none());
        prop_assert_eq!(list.consumed(), list_len);
        prop_assert_eq!(list.rest(), &trailing[..]);
    }

    #[test]
    fn every_strict_prefix_is_truncated(span in arb_span_with(4)) {
        for bytes in [binary_bytes(&span), compact_bytes(&span)] {
            for cut in 0..bytes.len() {
                let prefix = &bytes[..cut];
                let result = match Protocol::detect(&bytes) {
                    Some(Protocol::Binary) => decode_binary_span::<4>(prefix).map(drop),
                    _ => decode_compact_span::<4>(prefix).map(drop),
                };
                prop_assert_eq!(result, Err(DecodeError::Truncated), "cut at {} of {}", cut, bytes.len());
            }
        }
    }

    #[test]
    fn truncated_span_lists_fail_on_the_cut_span(spans in proptest::collection::vec(arb_span_with(2), 1..4), cut in any::<prop::sample::Index>()) {
        let body = list_bytes(&spans);
        // Cut somewhere inside the spans (past the 5-byte list header).
        let cut = 5 + cut.index(body.len() - 5);
        match decode_binary_span_list::<2>(&body[..cut]) {
            // The count no longer fits the bytes: refused up front.
            Err(e) => prop_assert_eq!(e, DecodeError::Truncated),
            Ok(list) => {
                let results: Vec<_> = list.collect();
                prop_assert!(results.len() <= spans.len());
                let (last, whole) = results.split_last().unwrap();
                prop_assert_eq!(last.as_ref().err(), Some(&DecodeError::Truncated));
                for (got, want) in whole.iter().zip(&spans) {
                    prop_assert_eq!(OwnedSpan::of(got.as_ref().unwrap()), want.in_wire_order());
                }
            }
        }
    }

    #[test]
    fn bit_flips_never_panic(span in arb_span_with(6), flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..4)) {
        for mut bytes in [binary_bytes(&span), compact_bytes(&span)] {
            for (at, bit) in &flips {
                let i = at.index(bytes.len());
                bytes[i] ^= 1 << bit;
            }
            decode_everything(&bytes);
        }
    }

    #[test]
    fn overwritten_and_inserted_bytes_never_panic(span in arb_span_with(6), at in any::<prop::sample::Index>(), junk in proptest::collection::vec(any::<u8>(), 1..8), insert in any::<bool>()) {
        for mut bytes in [binary_bytes(&span), compact_bytes(&span)] {
            let i = at.index(bytes.len());
            if insert {
                bytes.splice(i..i, junk.iter().copied());
            } else {
                for (slot, b) in bytes[i..].iter_mut().zip(&junk) {
                    *slot = *b;
                }
            }
            decode_everything(&bytes);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        decode_everything(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_header_never_panic(
        header in prop_oneof![
            Just(vec![0x0a, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), // binary span, trace id set
            Just(vec![0x16, 0x02]),                         // compact span, trace id set
            Just(vec![0x0c, 0, 0, 0, 1]),                   // binary list of one span
            Just(vec![0x0c, 0x7f, 0xff, 0xff, 0xff]),       // binary list claiming i32::MAX spans
        ],
        tail in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let mut bytes = header;
        bytes.extend_from_slice(&tail);
        decode_everything(&bytes);
    }
}

#[test]
fn a_zero_low_trace_half_is_refused_even_when_128_bit() {
    // TraceId allows it, but the wire's trace_id field would be 0, which Zipkin rejects.
    let span = OwnedSpan {
        trace_id: TraceId::new(7, 0).unwrap(),
        id: SpanId::new(1).unwrap(),
        parent_id: None,
        name: String::new(),
        events: Vec::new(),
        debug: false,
        timestamp: None,
        duration: None,
    };
    assert_eq!(
        decode_binary_span::<1>(&binary_bytes(&span)).err(),
        Some(DecodeError::ZeroId)
    );
    assert_eq!(
        decode_compact_span::<1>(&compact_bytes(&span)).err(),
        Some(DecodeError::ZeroId)
    );
}

#[test]
fn capacity_is_a_typed_error() {
    let span = OwnedSpan {
        trace_id: TraceId::from_u64(1).unwrap(),
        id: SpanId::new(2).unwrap(),
        parent_id: None,
        name: "n".into(),
        events: (0..5)
            .map(|i| common::arb::OwnedEvent::Time {
                timestamp: i,
                value: "cs".into(),
                host: None,
            })
            .collect(),
        debug: false,
        timestamp: None,
        duration: None,
    };
    let bytes = compact_bytes(&span);
    assert_eq!(
        decode_compact_span::<4>(&bytes).err(),
        Some(DecodeError::TooManyAnnotations)
    );
    let (decoded, _) = decode_compact_span::<5>(&bytes).unwrap();
    assert_eq!(decoded.events.len(), 5);
}

#[test]
fn unknown_first_bytes_are_not_guessed() {
    assert_eq!(decode_span::<1>(&[]).err(), Some(DecodeError::UnknownProtocol));
    assert_eq!(
        decode_span::<1>(b"{\"traceId\":1}").err(),
        Some(DecodeError::UnknownProtocol)
    );
    assert_eq!(
        decode_span::<1>(&[0x0c, 0, 0, 0, 0]).err(),
        Some(DecodeError::UnknownProtocol)
    );
}

#[test]
fn errors_display_without_echoing_input() {
    let all = [
        DecodeError::Truncated,
        DecodeError::BadType,
        DecodeError::WrongType,
        DecodeError::BadLength,
        DecodeError::BadVarint,
        DecodeError::BadFieldId,
        DecodeError::BadUtf8,
        DecodeError::MissingField,
        DecodeError::ZeroId,
        DecodeError::NegativeTime,
        DecodeError::BadValue,
        DecodeError::BadAnnotationType,
        DecodeError::TooManyAnnotations,
        DecodeError::TooDeep,
        DecodeError::UnknownProtocol,
        DecodeError::BadVersion,
    ];
    let texts: std::collections::HashSet<String> = all.iter().map(|e| e.to_string()).collect();
    assert_eq!(texts.len(), all.len(), "every error has its own message");
    let _: &dyn std::error::Error = &DecodeError::Truncated;
}
