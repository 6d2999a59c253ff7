//! Where B3 headers come from and go to: two one-method traits any HTTP library can implement in a line.

/// Request headers to read B3 from: the first value of a header, by ASCII case-insensitive name.
///
/// `'h` is how long the values live (the request's headers), not the borrow of the source. Implemented for
/// closures, so any HTTP library plugs in:
///
/// ```
/// use tryfer_core::b3::{self, Extracted};
/// let raw: Vec<(String, Vec<u8>)> = vec![("B3".into(), b"0".to_vec())];
/// let source = |name: &str| raw.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice());
/// assert!(matches!(b3::extract(&source), Ok(Extracted::Sampling { .. })));
/// ```
pub trait HeaderSource<'h> {
    /// The first value of header `name` (matched ASCII case-insensitively), or `None` when it is absent.
    fn get(&self, name: &str) -> Option<&'h [u8]>;
}

impl<'h, F> HeaderSource<'h> for F
where
    F: Fn(&str) -> Option<&'h [u8]>,
{
    #[inline]
    fn get(&self, name: &str) -> Option<&'h [u8]> {
        self(name)
    }
}

/// `(name, value)` pairs: names match ASCII case-insensitively and the first pair wins.
impl<'h> HeaderSource<'h> for [(&'h str, &'h str)] {
    #[inline]
    fn get(&self, name: &str) -> Option<&'h [u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes())
    }
}

/// An array of `(name, value)` pairs, as the slice.
impl<'h, const N: usize> HeaderSource<'h> for [(&'h str, &'h str); N] {
    #[inline]
    fn get(&self, name: &str) -> Option<&'h [u8]> {
        HeaderSource::get(self.as_slice(), name)
    }
}

/// Outgoing request headers to write B3 into; implemented for `FnMut(&'static str, &str)` closures.
///
/// Names are this module's constants (`b3`, `X-B3-TraceId`, ...); a value lives only during the call (it is
/// formatted on the stack), so the sink copies it.
pub trait HeaderSink {
    /// Adds header `name` with `value` to the request.
    fn insert(&mut self, name: &'static str, value: &str);
}

impl<F> HeaderSink for F
where
    F: FnMut(&'static str, &str),
{
    #[inline]
    fn insert(&mut self, name: &'static str, value: &str) {
        self(name, value)
    }
}
