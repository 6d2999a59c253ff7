//! The HTTP tags client and server spans record, and how status codes and errors become tags.

use std::fmt::Display;

use crate::span::TracedSpan;

/// The full URL, under the original tryfer's key.
pub const HTTP_URI: &str = "http.uri";
/// The full URL, under Zipkin's key.
pub const HTTP_URL: &str = "http.url";
/// The request method.
pub const HTTP_METHOD: &str = "http.method";
/// The request path (server spans).
pub const HTTP_PATH: &str = "http.path";
/// The response status code, as decimal text.
pub const HTTP_STATUS_CODE: &str = "http.status_code";
/// Why the call failed: an error message, or a status code outside 1xx..3xx.
pub const ERROR: &str = "error";

/// Longest error message recorded in an `error` tag, in bytes (cut at a character boundary).
pub const MAX_ERROR_LEN: usize = 256;

/// Tags `http.status_code`, and `error` with the code when it is not 1xx..3xx (as Brave does).
pub fn status(span: &mut TracedSpan, status: u16) {
    if !span.is_recording() {
        return;
    }
    let code = status.to_string();
    span.tag(HTTP_STATUS_CODE, &code);
    if !(100..=399).contains(&status) {
        span.tag(ERROR, &code);
    }
}

/// Tags `http.status_code` only (when an error message will be the `error` tag).
pub fn status_code(span: &mut TracedSpan, status: u16) {
    if span.is_recording() {
        span.tag(HTTP_STATUS_CODE, &status.to_string());
    }
}

/// Tags `error` with `error`'s message, cut to [`MAX_ERROR_LEN`] bytes.
pub fn error(span: &mut TracedSpan, error: &impl Display) {
    if span.is_recording() {
        span.tag(ERROR, clip(&error.to_string(), MAX_ERROR_LEN));
    }
}

/// `text` cut to at most `max` bytes at a character boundary.
pub fn clip(text: &str, max: usize) -> &str {
    let mut cut = text.len().min(max);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.get(..cut).unwrap_or_default()
}
