//! JSON text pieces written straight into a [`Sink`]: RFC 8259 strings, numbers and addresses.
//!
//! Strings escape `"`, `\` and the control characters U+0000..U+001F: `\b \t \n \f \r` in their short forms
//! (as serde_json and Python's `json` write them), the rest as `\u00XX`. Everything else, non-ASCII included, is
//! written as UTF-8 unchanged: a `&str` is always valid UTF-8, so the output is too.

use core::fmt::Write as _;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::id::hex_pair;
use crate::sink::{EncodeError, FmtSink, Sink};

/// `\u00XX` for a byte, lower-hex as serde_json writes it.
fn unicode_escape(byte: u8) -> [u8; 6] {
    let [high, low] = hex_pair(byte);
    [b'\\', b'u', b'0', b'0', high, low]
}

/// The escape sequence for `byte` inside a JSON string, or `None` when it is written as it is.
///
/// The sequence lives in `buf`; only ASCII bytes ever need one, so UTF-8 continuation bytes pass through.
fn escape(byte: u8, buf: &mut [u8; 6]) -> Option<&[u8]> {
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x09 => b't',
        0x0a => b'n',
        0x0c => b'f',
        0x0d => b'r',
        0x00..=0x1f => {
            *buf = unicode_escape(byte);
            return Some(buf);
        }
        _ => return None,
    };
    *buf = [b'\\', short, 0, 0, 0, 0];
    buf.get(..2)
}

/// Writes the escaped body of a string (no quotes), copying unescaped runs in one call each.
fn write_escaped<S: Sink + ?Sized>(sink: &mut S, text: &str) -> Result<(), EncodeError> {
    let bytes = text.as_bytes();
    // Most text needs no escape at all: one scan, one write.
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        return sink.try_extend(bytes);
    }
    let mut run_start = 0;
    let mut buf = [0u8; 6];
    for (i, &byte) in bytes.iter().enumerate() {
        if let Some(seq) = escape(byte, &mut buf) {
            sink.try_extend(bytes.get(run_start..i).unwrap_or_default())?;
            sink.try_extend(seq)?;
            run_start = i + 1;
        }
    }
    sink.try_extend(bytes.get(run_start..).unwrap_or_default())
}

/// Writes `text` as a quoted JSON string.
pub(crate) fn write_str<S: Sink + ?Sized>(sink: &mut S, text: &str) -> Result<(), EncodeError> {
    sink.try_push(b'"')?;
    write_escaped(sink, text)?;
    sink.try_push(b'"')
}

/// Writes `text` lower-cased (Unicode simple lower-casing, as Java's `toLowerCase(Locale.ROOT)` does outside its
/// few context-dependent cases) as a quoted JSON string.
pub(crate) fn write_str_lowercase<S: Sink + ?Sized>(sink: &mut S, text: &str) -> Result<(), EncodeError> {
    if !text.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        // Already lower case (the usual service name): nothing to map.
        return write_str(sink, text);
    }
    sink.try_push(b'"')?;
    let mut utf8 = [0u8; 4];
    for c in text.chars().flat_map(char::to_lowercase) {
        write_escaped(sink, c.encode_utf8(&mut utf8))?;
    }
    sink.try_push(b'"')
}

/// True when `a` and `b` are equal once lower-cased as [`write_str_lowercase`] writes them.
pub(crate) fn eq_lowercase(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// Writes bytes as a quoted JSON string of the characters U+0000..U+00FF, one per byte (Latin-1).
///
/// Printable ASCII is written as it is; every other byte as an escape (`\n`, `\u0000`, `\u00ff`), so the text
/// stays ASCII and shows exactly which bytes were there.
pub(crate) fn write_latin1<S: Sink + ?Sized>(sink: &mut S, bytes: &[u8]) -> Result<(), EncodeError> {
    sink.try_push(b'"')?;
    let mut buf = [0u8; 6];
    for &byte in bytes {
        match escape(byte, &mut buf) {
            Some(seq) => sink.try_extend(seq)?,
            None if (0x20..0x7f).contains(&byte) => sink.try_push(byte)?,
            None => sink.try_extend(&unicode_escape(byte))?,
        }
    }
    sink.try_push(b'"')
}

/// Writes an unsigned integer in decimal.
pub(crate) fn write_u64<S: Sink + ?Sized>(sink: &mut S, value: u64) -> Result<(), EncodeError> {
    sink.try_extend(itoa::Buffer::new().format(value).as_bytes())
}

/// Writes a signed integer in decimal.
pub(crate) fn write_i64<S: Sink + ?Sized>(sink: &mut S, value: i64) -> Result<(), EncodeError> {
    sink.try_extend(itoa::Buffer::new().format(value).as_bytes())
}

/// Writes a double as the shortest decimal that reads back to the same bits (`1.5`, `1e-7`, `-0.0`); a NaN or an
/// infinity, which JSON numbers cannot express, is written as `nan_or_inf` gives it.
pub(crate) fn write_f64<S: Sink + ?Sized>(
    sink: &mut S,
    value: f64,
    nan_or_inf: fn(f64) -> &'static str,
) -> Result<(), EncodeError> {
    if value.is_finite() {
        sink.try_extend(ryu::Buffer::new().format_finite(value).as_bytes())
    } else {
        sink.try_extend(nan_or_inf(value).as_bytes())
    }
}

/// Writes an IPv4 address as quoted dotted-decimal text, `"192.168.1.10"`.
pub(crate) fn write_ipv4<S: Sink + ?Sized>(sink: &mut S, address: Ipv4Addr) -> Result<(), EncodeError> {
    sink.try_push(b'"')?;
    for (i, octet) in address.octets().into_iter().enumerate() {
        if i > 0 {
            sink.try_push(b'.')?;
        }
        write_u64(sink, u64::from(octet))?;
    }
    sink.try_push(b'"')
}

/// Writes an IPv6 address as quoted RFC 5952 text, `"2001:db8::c001"`.
pub(crate) fn write_ipv6<S: Sink + ?Sized>(sink: &mut S, address: Ipv6Addr) -> Result<(), EncodeError> {
    sink.try_push(b'"')?;
    let mut text = FmtSink {
        sink: &mut *sink,
        error: None,
    };
    if write!(text, "{address}").is_err() {
        return Err(text.error.unwrap_or(EncodeError::BufferFull));
    }
    sink.try_push(b'"')
}

#[cfg(test)]
mod test {
    use super::*;

    fn text(write: impl FnOnce(&mut heapless::Vec<u8, 128>) -> Result<(), EncodeError>) -> std::string::String {
        let mut out = heapless::Vec::<u8, 128>::new();
        write(&mut out).unwrap();
        std::string::String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_controls_only() {
        assert_eq!(
            text(|s| write_str(s, "a\"b\\c\n\u{1}\u{7f}é")),
            "\"a\\\"b\\\\c\\n\\u0001\u{7f}é\""
        );
        assert_eq!(text(|s| write_str(s, "")), "\"\"");
        assert_eq!(
            text(|s| write_str(s, "\u{1f}\t\r\u{8}\u{c}")),
            "\"\\u001f\\t\\r\\b\\f\""
        );
    }

    #[test]
    fn latin1_bytes_stay_ascii() {
        assert_eq!(
            text(|s| write_latin1(s, &[0, 1, b'A', b'"', 0x7f, 0xe9, 0xff])),
            "\"\\u0000\\u0001A\\\"\\u007f\\u00e9\\u00ff\""
        );
    }

    #[test]
    fn lowercase_matches_char_lowercasing() {
        assert_eq!(
            text(|s| write_str_lowercase(s, "Sensor-7 ÉTÉ \"Q\"")),
            "\"sensor-7 été \\\"q\\\"\""
        );
        assert!(eq_lowercase("Backend", "bACKEND"));
        assert!(!eq_lowercase("backend", "backends"));
    }

    #[test]
    fn numbers_and_addresses() {
        assert_eq!(text(|s| write_u64(s, u64::MAX)), "18446744073709551615");
        assert_eq!(text(|s| write_i64(s, i64::MIN)), "-9223372036854775808");
        assert_eq!(text(|s| write_f64(s, 0.1, |_| "null")), "0.1");
        assert_eq!(text(|s| write_f64(s, f64::NAN, |_| "null")), "null");
        assert_eq!(
            text(|s| write_ipv4(s, Ipv4Addr::new(192, 168, 1, 10))),
            "\"192.168.1.10\""
        );
        assert_eq!(
            text(|s| write_ipv6(s, "2001:db8::c001".parse().unwrap())),
            "\"2001:db8::c001\""
        );
    }

    #[test]
    fn a_full_sink_is_reported_not_hidden() {
        let mut out = heapless::Vec::<u8, 5>::new();
        assert_eq!(write_ipv6(&mut out, Ipv6Addr::LOCALHOST), Ok(()));
        assert_eq!(out, *b"\"::1\"");
        let mut out = heapless::Vec::<u8, 4>::new();
        assert_eq!(write_ipv6(&mut out, Ipv6Addr::LOCALHOST), Err(EncodeError::BufferFull));
    }
}
