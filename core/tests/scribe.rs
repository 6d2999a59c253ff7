//! Scribe: the golden frame and reply, round trips through our reader, and Apache Thrift as an independent
//! reader and writer of the same messages.
#![forbid(unsafe_code)]

mod common;
use common::golden::{golden, hex, span_of, unhex};

use std::net::Ipv4Addr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use thrift::protocol::{
    TBinaryInputProtocol, TBinaryOutputProtocol, TFieldIdentifier, TInputProtocol, TListIdentifier, TMessageIdentifier,
    TMessageType, TOutputProtocol, TStructIdentifier, TType,
};
use tryfer_core::scribe::{
    self, decode_message, decoded_len, frame_len, log_call_len, parse_reply, read_reply, reply_len, split_frame,
    write_log_call, write_reply, ApplicationException, CallError, FrameError, LogCall, LogOptions, MessageError,
    Outcome, Reply, ReplyError, SpanEncoding, MAX_FRAME_DEFAULT,
};
use tryfer_core::{sink::Slice, thrift as tthrift, Endpoint, Sampling, Span, SpanContext, SpanId, TraceId};

fn golden_spans() -> Vec<Span<8, 512>> {
    golden()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| span_of(&c["input"]))
        .collect()
}

fn frame_of<D: tryfer_core::SpanData>(spans: &[D], seqid: i32, options: &LogOptions<'_>) -> Vec<u8> {
    let len = log_call_len(spans, options).unwrap();
    let mut buf = vec![0u8; len];
    let mut out = Slice::new(&mut buf);
    write_log_call(spans, seqid, options, &mut out).unwrap();
    assert_eq!(out.len(), len);
    buf
}

fn binary_span(span: &Span<8, 512>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 4096];
    let mut slice = Slice::new(&mut buf);
    tthrift::encode_binary_span(span, &mut slice).unwrap();
    out.extend_from_slice(slice.written());
    out
}

fn compact_span(span: &Span<8, 512>) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let mut slice = Slice::new(&mut buf);
    tthrift::encode_compact_span(span, &mut slice).unwrap();
    slice.written().to_vec()
}

fn b64_encode(raw: &[u8]) -> String {
    let mut buf = vec![0u8; raw.len() * 2 + 4];
    let n = STANDARD.encode_slice(raw, &mut buf).unwrap();
    buf.truncate(n);
    String::from_utf8(buf).unwrap()
}

fn b64_decode(text: &str) -> Vec<u8> {
    let mut buf = vec![0u8; text.len()];
    let n = STANDARD.decode_slice(text, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

// ---------------------------------------------------------------------------------------------------------------
// Golden bytes

#[test]
fn log_frame_matches_the_golden_frame_byte_for_byte() {
    let golden = golden();
    let frame = &golden["scribe_log_frame"];
    let cases = golden["cases"].as_array().unwrap();
    let spans: Vec<_> = frame["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| span_of(&cases[i.as_u64().unwrap() as usize]["input"]))
        .collect();
    let seqid = frame["seqid"].as_i64().unwrap() as i32;
    let bytes = frame_of(&spans, seqid, &LogOptions::default());
    assert_eq!(hex(&bytes), frame["frame_hex"].as_str().unwrap());
}

#[test]
fn log_frame_messages_match_the_golden_base64() {
    let golden = golden();
    let cases = golden["cases"].as_array().unwrap();
    let spans = golden_spans();
    let frame = frame_of(&spans, 3, &LogOptions::new());
    let split = split_frame(&frame, MAX_FRAME_DEFAULT).unwrap().unwrap();
    assert!(split.rest.is_empty());
    let call = LogCall::parse(split.payload, 100).unwrap();
    assert_eq!(call.len(), cases.len());
    for (entry, case) in call.entries().zip(cases) {
        assert_eq!(entry.category, "zipkin");
        assert_eq!(
            entry.message,
            case["scribe_message_base64"].as_str().unwrap(),
            "{}",
            case["case"]
        );
    }
}

#[test]
fn ok_reply_matches_the_golden_reply() {
    let golden = golden();
    let expected = unhex(golden["scribe_reply_ok_hex"].as_str().unwrap());
    let reply = Reply {
        seqid: 1,
        outcome: Outcome::Ok,
    };
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    let mut slice = Slice::new(&mut buf);
    write_reply(&reply, &mut slice).unwrap();
    out.extend_from_slice(slice.written());
    assert_eq!(out, expected);
    assert_eq!(reply_len(&reply).unwrap(), expected.len());

    assert_eq!(parse_reply(&expected[4..]), Ok(reply));
    assert_eq!(read_reply(&expected, 64), Ok(Some((reply, expected.len()))));
}

// ---------------------------------------------------------------------------------------------------------------
// Writer and reader

#[test]
fn round_trip_many_spans_both_encodings_and_categories() {
    let base = golden_spans();
    // 50 spans: the original tryfer's batch size.
    let spans: Vec<_> = base.iter().cycle().take(50).cloned().collect();
    for encoding in [SpanEncoding::Binary, SpanEncoding::Compact] {
        for category in ["zipkin", "", "a-much-longer-category-name-\u{e9}"] {
            let options = LogOptions::new().with_category(category).with_encoding(encoding);
            let frame = frame_of(&spans, -5, &options);
            assert_eq!(
                frame_len(frame[..4].try_into().unwrap(), MAX_FRAME_DEFAULT),
                Ok(frame.len() - 4)
            );
            let call = LogCall::parse(&frame[4..], 50).unwrap();
            assert_eq!(call.seqid(), -5);
            assert!(!call.is_oneway());
            assert_eq!(call.entries().len(), 50);
            let mut scratch = vec![0u8; 4096];
            for (entry, span) in call.entries().zip(&spans) {
                assert_eq!(entry.category, category);
                let raw = entry.decode_message(&mut scratch).unwrap();
                let expected = match encoding {
                    SpanEncoding::Binary => binary_span(span),
                    SpanEncoding::Compact => compact_span(span),
                };
                assert_eq!(raw, &expected[..]);
                // Binary spans start with field 1 i64 (0x0a), compact ones with the delta header 0x16.
                assert_eq!(raw[0], if encoding == SpanEncoding::Binary { 0x0a } else { 0x16 });
            }
            assert_eq!(LogCall::parse(&frame[4..], 49), Err(CallError::TooManyEntries));
        }
    }
}

#[test]
fn empty_batch_is_a_valid_call() {
    let spans: [&Span; 0] = [];
    let frame = frame_of(&spans, 0, &LogOptions::new());
    // Header (15) + list field (8) + args stop (1).
    assert_eq!(frame.len(), 4 + 24);
    let call = LogCall::parse(&frame[4..], 0).unwrap();
    assert!(call.is_empty());
    assert_eq!(call.entries().next(), None);
}

#[test]
fn writer_reports_a_full_buffer_at_every_size() {
    let spans = golden_spans();
    let options = LogOptions::new();
    let len = log_call_len(&spans, &options).unwrap();
    for size in [0, 3, 4, 20, 100, len / 2, len - 1] {
        let mut buf = vec![0u8; size];
        let mut out = Slice::new(&mut buf);
        assert_eq!(
            write_log_call(&spans, 1, &options, &mut out),
            Err(tryfer_core::EncodeError::BufferFull),
            "size {size}"
        );
    }
}

#[test]
fn oneway_calls_are_read_and_flagged() {
    let spans = golden_spans();
    let mut frame = frame_of(&spans, 2, &LogOptions::new());
    frame[7] = 4; // message type ONEWAY
    let call = LogCall::parse(&frame[4..], 100).unwrap();
    assert!(call.is_oneway());
    assert_eq!(call.len(), spans.len());
}

/// Writes a framed-less Log call with Apache Thrift, adding fields a reader does not know.
fn thrift_written_call(strict: bool, extra_fields: bool, entries: &[(&str, &str)]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    {
        let mut o = TBinaryOutputProtocol::new(&mut out, strict);
        o.write_message_begin(&TMessageIdentifier::new("Log", TMessageType::Call, 42))
            .unwrap();
        o.write_struct_begin(&TStructIdentifier::new("Log_args")).unwrap();
        if extra_fields {
            o.write_field_begin(&TFieldIdentifier::new("x", TType::I32, 7)).unwrap();
            o.write_i32(99).unwrap();
        }
        o.write_field_begin(&TFieldIdentifier::new("messages", TType::List, 1))
            .unwrap();
        o.write_list_begin(&TListIdentifier::new(TType::Struct, entries.len() as i32))
            .unwrap();
        for (category, message) in entries {
            o.write_struct_begin(&TStructIdentifier::new("LogEntry")).unwrap();
            if extra_fields {
                o.write_field_begin(&TFieldIdentifier::new("y", TType::List, 3))
                    .unwrap();
                o.write_list_begin(&TListIdentifier::new(TType::String, 2)).unwrap();
                o.write_string("skip").unwrap();
                o.write_string("me").unwrap();
            }
            // Field order swapped on purpose.
            o.write_field_begin(&TFieldIdentifier::new("message", TType::String, 2))
                .unwrap();
            o.write_string(message).unwrap();
            o.write_field_begin(&TFieldIdentifier::new("category", TType::String, 1))
                .unwrap();
            o.write_string(category).unwrap();
            o.write_field_stop().unwrap();
            o.write_struct_end().unwrap();
        }
        o.write_field_stop().unwrap();
        o.write_struct_end().unwrap();
    }
    out
}

#[test]
fn reader_takes_calls_written_by_apache_thrift() {
    let entries = [("zipkin", "YQ=="), ("other", "")];
    for extra in [false, true] {
        let payload = thrift_written_call(true, extra, &entries);
        let call = LogCall::parse(&payload, 10).unwrap();
        assert_eq!(call.seqid(), 42);
        let read: Vec<_> = call.entries().map(|e| (e.category, e.message)).collect();
        assert_eq!(read, entries);
    }
    let old = thrift_written_call(false, false, &entries);
    assert_eq!(LogCall::parse(&old, 10), Err(CallError::NotStrict));
}

#[test]
fn reader_refuses_what_is_not_a_log_call() {
    let spans = golden_spans();
    let frame = frame_of(&spans, 1, &LogOptions::new());
    let payload = &frame[4..];

    for cut in 0..payload.len() {
        assert_eq!(
            LogCall::parse(&payload[..cut], 100),
            Err(CallError::Truncated),
            "cut {cut}"
        );
    }
    let mut longer = payload.to_vec();
    longer.push(0);
    assert_eq!(LogCall::parse(&longer, 100), Err(CallError::TrailingBytes));

    let mut name = payload.to_vec();
    name[10] = b'X'; // "LoX"
    assert_eq!(LogCall::parse(&name, 100), Err(CallError::WrongMethod));

    name[10] = 0xff; // not UTF-8, so not "Log" either
    assert_eq!(LogCall::parse(&name, 100), Err(CallError::WrongMethod));

    let mut reply = payload.to_vec();
    reply[3] = 2;
    assert_eq!(LogCall::parse(&reply, 100), Err(CallError::WrongMessageType(2)));

    let mut version = payload.to_vec();
    version[1] = 0x02;
    assert_eq!(LogCall::parse(&version, 100), Err(CallError::NotStrict));

    let mut elem = payload.to_vec();
    elem[18] = 11; // list<string>
    assert_eq!(LogCall::parse(&elem, 100), Err(CallError::WrongListType));

    let mut count = payload.to_vec();
    count[19..23].copy_from_slice(&(-1i32).to_be_bytes());
    assert_eq!(LogCall::parse(&count, 100), Err(CallError::NegativeLength));

    let mut ty = payload.to_vec();
    ty[23] = 1; // first entry's first field type: not a Thrift type
    assert_eq!(LogCall::parse(&ty, 100), Err(CallError::UnknownType(1)));

    let utf8 = thrift_written_call(true, false, &[("zipkin", "ok")]);
    let mut utf8 = utf8.to_vec();
    let at = utf8.windows(2).position(|w| w == b"ok").unwrap();
    utf8[at] = 0xff;
    assert_eq!(LogCall::parse(&utf8, 100), Err(CallError::NotUtf8));

    // No field 1 at all: an empty call.
    let bare = [0x80, 0x01, 0x00, 0x01, 0, 0, 0, 3, b'L', b'o', b'g', 0, 0, 0, 1, 0x00];
    assert!(LogCall::parse(&bare, 0).unwrap().is_empty());
}

#[test]
fn messages_decode_with_exact_scratch_and_report_bad_input() {
    for span in golden_spans() {
        let raw = binary_span(&span);
        let encoded = b64_encode(&raw);
        let message = encoded.as_str();
        assert_eq!(decoded_len(message), raw.len());
        let mut exact = vec![0u8; raw.len()];
        assert_eq!(decode_message(message, &mut exact), Ok(&raw[..]));
        let mut short = vec![0u8; raw.len() - 1];
        assert_eq!(decode_message(message, &mut short), Err(MessageError::ScratchTooSmall));
    }
    let mut scratch = [0u8; 16];
    assert_eq!(decode_message("YQ", &mut scratch), Err(MessageError::NotBase64));
    assert_eq!(decode_message("Y!==", &mut scratch), Err(MessageError::NotBase64));
    assert_eq!(decode_message("YQ==\n", &mut scratch), Err(MessageError::NotBase64));
    assert_eq!(decode_message("", &mut scratch), Ok(&[][..]));
}

// ---------------------------------------------------------------------------------------------------------------
// Apache Thrift as the oracle

#[test]
fn apache_thrift_reads_our_whole_frame() {
    let spans = golden_spans();
    let spans: Vec<_> = spans.iter().cycle().take(7).cloned().collect();
    let frame = frame_of(&spans, 77, &LogOptions::new().with_category("zipkin"));
    let declared = u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
    assert_eq!(declared, frame.len() - 4);

    let mut payload: &[u8] = &frame[4..];
    let mut i = TBinaryInputProtocol::new(&mut payload, true);
    let header = i.read_message_begin().unwrap();
    assert_eq!(header.name, "Log");
    assert_eq!(header.message_type, TMessageType::Call);
    assert_eq!(header.sequence_number, 77);
    i.read_struct_begin().unwrap();
    let field = i.read_field_begin().unwrap();
    assert_eq!((field.field_type, field.id), (TType::List, Some(1)));
    let list = i.read_list_begin().unwrap();
    assert_eq!((list.element_type, list.size), (TType::Struct, spans.len() as i32));
    for span in &spans {
        i.read_struct_begin().unwrap();
        let f = i.read_field_begin().unwrap();
        assert_eq!((f.field_type, f.id), (TType::String, Some(1)));
        assert_eq!(i.read_string().unwrap(), "zipkin");
        let f = i.read_field_begin().unwrap();
        assert_eq!((f.field_type, f.id), (TType::String, Some(2)));
        let message = i.read_string().unwrap();
        assert!(!message.contains('\n'));
        assert_eq!(b64_decode(&message), binary_span(span));
        assert_eq!(i.read_field_begin().unwrap().field_type, TType::Stop);
        i.read_struct_end().unwrap();
    }
    i.read_list_end().unwrap();
    assert_eq!(i.read_field_begin().unwrap().field_type, TType::Stop);
    i.read_struct_end().unwrap();
    i.read_message_end().unwrap();
    assert!(payload.is_empty(), "{} bytes left", payload.len());
}

/// A reply written by Apache Thrift: `code` as field 0 of a REPLY, or an exception.
fn thrift_reply(strict: bool, seqid: i32, code: Option<i32>, exception: Option<(&str, i32)>) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    {
        let mut o = TBinaryOutputProtocol::new(&mut out, strict);
        let ty = if exception.is_some() {
            TMessageType::Exception
        } else {
            TMessageType::Reply
        };
        o.write_message_begin(&TMessageIdentifier::new("Log", ty, seqid))
            .unwrap();
        if let Some((message, kind)) = exception {
            let kind = thrift::ApplicationErrorKind::try_from(kind).unwrap();
            let e = thrift::ApplicationError::new(kind, message);
            thrift::Error::write_application_error_to_out_protocol(&e, &mut o).unwrap();
        } else {
            o.write_struct_begin(&TStructIdentifier::new("Log_result")).unwrap();
            if let Some(code) = code {
                o.write_field_begin(&TFieldIdentifier::new("success", TType::I32, 0))
                    .unwrap();
                o.write_i32(code).unwrap();
            }
            o.write_field_stop().unwrap();
        }
    }
    out
}

#[test]
fn replies_written_by_apache_thrift_parse_strict_and_old_style() {
    for strict in [true, false] {
        assert_eq!(
            parse_reply(&thrift_reply(strict, 1, Some(0), None)),
            Ok(Reply {
                seqid: 1,
                outcome: Outcome::Ok
            })
        );
        assert_eq!(
            parse_reply(&thrift_reply(strict, i32::MAX, Some(1), None)),
            Ok(Reply {
                seqid: i32::MAX,
                outcome: Outcome::TryLater
            })
        );
        let exception = thrift_reply(strict, -3, None, Some(("Cannot store spans", 6)));
        assert_eq!(
            parse_reply(&exception),
            Ok(Reply {
                seqid: -3,
                outcome: Outcome::Exception(ApplicationException {
                    message: "Cannot store spans",
                    kind: ApplicationException::INTERNAL_ERROR,
                }),
            })
        );
        assert_eq!(
            parse_reply(&thrift_reply(strict, 1, Some(2), None)),
            Err(ReplyError::UnknownResultCode(2))
        );
        assert_eq!(
            parse_reply(&thrift_reply(strict, 1, None, None)),
            Err(ReplyError::MissingResult)
        );
    }
}

#[test]
fn apache_thrift_reads_our_replies() {
    let cases = [
        Outcome::Ok,
        Outcome::TryLater,
        Outcome::Exception(ApplicationException {
            message: "bad span in message 3",
            kind: ApplicationException::PROTOCOL_ERROR,
        }),
        Outcome::Exception(ApplicationException { message: "", kind: 0 }),
    ];
    for (n, outcome) in cases.into_iter().enumerate() {
        let reply = Reply {
            seqid: n as i32 + 10,
            outcome,
        };
        let mut buf = [0u8; 128];
        let mut slice = Slice::new(&mut buf);
        write_reply(&reply, &mut slice).unwrap();
        let framed = slice.written().to_vec();
        assert_eq!(reply_len(&reply).unwrap(), framed.len());
        assert_eq!(read_reply(&framed, 128), Ok(Some((reply, framed.len()))));

        let mut payload: &[u8] = &framed[4..];
        let mut i = TBinaryInputProtocol::new(&mut payload, true);
        let header = i.read_message_begin().unwrap();
        assert_eq!((header.name.as_str(), header.sequence_number), ("Log", n as i32 + 10));
        match outcome {
            Outcome::Ok | Outcome::TryLater => {
                assert_eq!(header.message_type, TMessageType::Reply);
                i.read_struct_begin().unwrap();
                let f = i.read_field_begin().unwrap();
                assert_eq!((f.field_type, f.id), (TType::I32, Some(0)));
                assert_eq!(i.read_i32().unwrap(), if outcome == Outcome::Ok { 0 } else { 1 });
                assert_eq!(i.read_field_begin().unwrap().field_type, TType::Stop);
            }
            Outcome::Exception(e) => {
                assert_eq!(header.message_type, TMessageType::Exception);
                let read = thrift::Error::read_application_error_from_in_protocol(&mut i).unwrap();
                assert_eq!(read.message, e.message);
                assert_eq!(read.kind as i32, e.kind);
            }
        }
        assert!(payload.is_empty());
    }
}

#[test]
fn garbage_replies_are_typed_errors() {
    let ok = unhex(golden()["scribe_reply_ok_hex"].as_str().unwrap());
    let payload = &ok[4..];

    for cut in 0..payload.len() {
        assert_eq!(parse_reply(&payload[..cut]), Err(ReplyError::Truncated), "cut {cut}");
    }
    let mut trailing = payload.to_vec();
    trailing.push(0);
    assert_eq!(parse_reply(&trailing), Err(ReplyError::TrailingBytes));

    let mut version = payload.to_vec();
    version[0] = 0x81;
    assert_eq!(parse_reply(&version), Err(ReplyError::BadVersion));

    let mut name = payload.to_vec();
    name[8..11].copy_from_slice(b"log");
    assert_eq!(parse_reply(&name), Err(ReplyError::WrongMethod));

    // A method name that is not UTF-8 is not `Log` either.
    let mut latin1 = payload.to_vec();
    latin1[10] = 0xe9;
    assert_eq!(parse_reply(&latin1), Err(ReplyError::WrongMethod));

    let mut call = payload.to_vec();
    call[3] = 1;
    assert_eq!(parse_reply(&call), Err(ReplyError::WrongMessageType(1)));

    // An unknown field of structs nested 40 deep: refused before the input runs out.
    let mut deep = payload[..15].to_vec();
    for _ in 0..40 {
        deep.extend_from_slice(&[12, 0, 1]);
    }
    assert_eq!(parse_reply(&deep), Err(ReplyError::TooDeep));

    let mut ty = payload.to_vec();
    ty[15] = 0x11;
    assert_eq!(parse_reply(&ty), Err(ReplyError::UnknownType(0x11)));

    // Field 0 as a string: skipped as unknown, so no result is left.
    let mut wrong = payload.to_vec();
    wrong[15] = 11;
    assert_eq!(parse_reply(&wrong), Err(ReplyError::MissingResult));

    // A string field 5 with a negative length.
    let mut negative = payload[..15].to_vec();
    negative.extend_from_slice(&[11, 0, 5, 0xff, 0xff, 0xff, 0xfe, 0]);
    assert_eq!(parse_reply(&negative), Err(ReplyError::NegativeLength));

    let mut exception = thrift_reply(true, 1, None, Some(("xx", 6)));
    let at = exception.windows(2).position(|w| w == b"xx").unwrap();
    exception[at] = 0xc3; // a lone UTF-8 lead byte
    assert_eq!(parse_reply(&exception), Err(ReplyError::NotUtf8));

    let mut huge = ok.clone();
    huge[0] = 0x7f;
    assert_eq!(read_reply(&huge, MAX_FRAME_DEFAULT), Err(ReplyError::FrameTooLarge));
    assert_eq!(read_reply(&ok[..3], MAX_FRAME_DEFAULT), Ok(None));
    assert_eq!(split_frame(&huge, MAX_FRAME_DEFAULT), Err(FrameError::TooLarge));
    assert_eq!(frame_len([0x80, 0, 0, 0], usize::MAX), Err(FrameError::TooLarge));
}

#[test]
fn pipelined_replies_are_read_in_order() {
    let mut stream = Vec::new();
    for (seqid, outcome) in [(1, Outcome::Ok), (2, Outcome::TryLater), (3, Outcome::Ok)] {
        let mut buf = [0u8; 64];
        let mut slice = Slice::new(&mut buf);
        write_reply(&Reply { seqid, outcome }, &mut slice).unwrap();
        stream.extend_from_slice(slice.written());
    }
    let mut rest = &stream[..];
    let mut seen = Vec::new();
    while let Some((reply, used)) = read_reply(rest, 64).unwrap() {
        seen.push((reply.seqid, reply.outcome));
        rest = &rest[used..];
    }
    assert!(rest.is_empty());
    assert_eq!(seen, [(1, Outcome::Ok), (2, Outcome::TryLater), (3, Outcome::Ok)]);
}

// ---------------------------------------------------------------------------------------------------------------
// Properties

#[derive(Debug, Clone)]
struct SpanSpec {
    trace: (u64, u64),
    id: u64,
    parent: Option<u64>,
    name: String,
    events: Vec<(bool, String, String, u64)>,
    timestamp: Option<u64>,
}

fn span_spec() -> impl Strategy<Value = SpanSpec> {
    (
        (any::<u64>(), 1..u64::MAX),
        1..u64::MAX,
        proptest::option::of(1..u64::MAX),
        "\\PC{0,20}",
        proptest::collection::vec((any::<bool>(), "[a-z.]{0,12}", "\\PC{0,30}", any::<u64>()), 0..6),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(trace, id, parent, name, events, timestamp)| SpanSpec {
            trace,
            id,
            parent,
            name,
            events,
            timestamp,
        })
}

fn build(spec: &SpanSpec) -> Span<8, 512> {
    let ctx = SpanContext {
        trace_id: TraceId::new(spec.trace.0, spec.trace.1).unwrap(),
        span_id: SpanId::new(spec.id).unwrap(),
        parent_id: spec.parent.and_then(SpanId::new),
        sampling: Sampling::Accept,
        debug: false,
    };
    let mut span = Span::new(ctx, &spec.name);
    let host = Endpoint::v4("svc", Ipv4Addr::new(192, 168, 1, 10), 58648);
    for (tag, key, value, ts) in &spec.events {
        let _ = if *tag {
            span.tag_str(key, value, Some(&host))
        } else {
            span.annotate(key, *ts, None)
        };
    }
    if let Some(ts) = spec.timestamp {
        span.set_timestamp(ts);
    }
    span
}

proptest! {
    #[test]
    fn log_call_len_is_what_is_written(
        specs in proptest::collection::vec(span_spec(), 0..12),
        category in "\\PC{0,16}",
        compact in any::<bool>(),
        seqid in any::<i32>(),
    ) {
        let spans: Vec<_> = specs.iter().map(build).collect();
        let encoding = if compact { SpanEncoding::Compact } else { SpanEncoding::Binary };
        let options = LogOptions::new().with_category(&category).with_encoding(encoding);
        let len = log_call_len(&spans, &options).unwrap();
        let mut buf = vec![0u8; len + 16];
        let mut out = Slice::new(&mut buf);
        write_log_call(&spans, seqid, &options, &mut out).unwrap();
        prop_assert_eq!(out.len(), len);

        let written = out.written().to_vec();
        let split = split_frame(&written, MAX_FRAME_DEFAULT).unwrap().unwrap();
        prop_assert!(split.rest.is_empty());
        let call = LogCall::parse(split.payload, spans.len()).unwrap();
        prop_assert_eq!(call.seqid(), seqid);
        prop_assert_eq!(call.len(), spans.len());
        let mut scratch = vec![0u8; 8192];
        for (entry, span) in call.entries().zip(&spans) {
            prop_assert_eq!(entry.category, category.as_str());
            let expected = if compact { compact_span(span) } else { binary_span(span) };
            prop_assert_eq!(decoded_len(entry.message), expected.len());
            prop_assert_eq!(entry.decode_message(&mut scratch).unwrap(), &expected[..]);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_reply(&bytes);
        let _ = read_reply(&bytes, 1024);
        let _ = split_frame(&bytes, 64);
        if let Ok(call) = LogCall::parse(&bytes, 16) {
            let mut scratch = [0u8; 64];
            for entry in call.entries() {
                let _ = entry.decode_message(&mut scratch);
                let _ = decoded_len(entry.message);
            }
        }
        if let Some(prefix) = bytes.first_chunk::<4>() {
            let _ = frame_len(*prefix, usize::MAX);
        }
    }

    #[test]
    fn mutated_frames_and_replies_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let spans = golden_spans();
        let frame = frame_of(&spans[..2], 1, &LogOptions::new());
        let reply = thrift_reply(true, 1, None, Some(("message", 6)));
        for original in [&frame[4..], &reply[..]] {
            let mut bytes = original.to_vec();
            for (at, value) in &edits {
                let i = at.index(bytes.len());
                bytes[i] = *value;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            let _ = parse_reply(&bytes);
            if let Ok(call) = LogCall::parse(&bytes, 64) {
                let mut scratch = [0u8; 1024];
                for entry in call.entries() {
                    let _ = entry.decode_message(&mut scratch);
                }
            }
        }
    }
}

#[test]
fn default_options_are_zipkin_binary() {
    assert_eq!(LogOptions::default(), LogOptions::new());
    assert_eq!(LogOptions::new().category, scribe::CATEGORY);
    assert_eq!(LogOptions::new().encoding, SpanEncoding::Binary);
}

#[test]
fn messages_decode_to_spans_in_either_encoding() {
    use tryfer_core::thrift::decode::{DecodeError, DecodedSpan};
    use tryfer_core::SpanData;

    let spans = golden_spans();
    for encoding in [SpanEncoding::Binary, SpanEncoding::Compact] {
        let frame = frame_of(&spans, 1, &LogOptions::new().with_encoding(encoding));
        let call = LogCall::parse(&frame[4..], 100).unwrap();
        for (entry, span) in call.entries().zip(&spans) {
            let mut scratch = vec![0u8; decoded_len(entry.message)];
            let decoded: DecodedSpan<'_, 8> = entry.decode_span(&mut scratch).unwrap();
            assert_eq!(decoded.trace_id(), span.trace_id());
            assert_eq!(decoded.id(), span.id());
            assert_eq!(decoded.name(), span.name());
            assert_eq!(decoded.annotations().count(), span.annotations().count());
            // Re-encoded as binary, the decoded span gives the original bytes.
            let mut buf = vec![0u8; 4096];
            let mut out = Slice::new(&mut buf);
            tthrift::encode_binary_span(&decoded, &mut out).unwrap();
            assert_eq!(out.written(), &binary_span(span)[..]);
        }
    }

    let mut scratch = [0u8; 256];
    let trailing = b64_encode(&[&binary_span(&spans[0])[..], &[0]].concat());
    let entry = tryfer_core::scribe::LogEntry {
        category: "zipkin",
        message: &trailing,
    };
    assert_eq!(
        entry.decode_span::<8>(&mut scratch).err(),
        Some(MessageError::TrailingBytes)
    );
    let json = b64_encode(b"{}");
    let entry = tryfer_core::scribe::LogEntry {
        category: "zipkin",
        message: &json,
    };
    assert_eq!(
        entry.decode_span::<8>(&mut scratch).err(),
        Some(MessageError::Span(DecodeError::UnknownProtocol))
    );
}
