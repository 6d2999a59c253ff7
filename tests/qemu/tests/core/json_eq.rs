//! JSON equality by content (key order and string escapes don't matter), without allocation: enough to compare
//! the core's debug JSON with the golden `tryfer_json` on a device, as the host test does with serde_json.

/// Why a text is not the JSON this comparer reads.
pub type Malformed = &'static str;

fn ws(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// The index just past the value that starts at `i` (no leading whitespace).
fn value_end(s: &[u8], i: usize, depth: u8) -> Result<usize, Malformed> {
    if depth > 16 {
        return Err("nested too deeply");
    }
    match s.get(i) {
        Some(b'"') => {
            let mut j = i + 1;
            loop {
                match s.get(j) {
                    Some(b'"') => return Ok(j + 1),
                    Some(b'\\') => j += 2,
                    Some(_) => j += 1,
                    None => return Err("unterminated string"),
                }
            }
        }
        Some(&open @ (b'{' | b'[')) => {
            let close = if open == b'{' { b'}' } else { b']' };
            let mut j = ws(s, i + 1);
            if s.get(j) == Some(&close) {
                return Ok(j + 1);
            }
            loop {
                if open == b'{' {
                    j = ws(s, value_end(s, j, depth + 1)?);
                    if s.get(j) != Some(&b':') {
                        return Err("expected ':'");
                    }
                    j = ws(s, j + 1);
                }
                j = ws(s, value_end(s, j, depth + 1)?);
                match s.get(j) {
                    Some(b',') => j = ws(s, j + 1),
                    Some(c) if *c == close => return Ok(j + 1),
                    _ => return Err("expected ',' or a closing bracket"),
                }
            }
        }
        Some(_) => {
            let mut j = i;
            while matches!(
                s.get(j),
                Some(b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
            ) {
                j += 1;
            }
            if j == i {
                Err("expected a value")
            } else {
                Ok(j)
            }
        }
        None => Err("expected a value, found the end"),
    }
}

/// The elements of an array, or the `(key, value)` members of an object, as text slices.
struct Items<'a> {
    s: &'a [u8],
    i: usize,
    object: bool,
    done: bool,
}

impl<'a> Items<'a> {
    fn new(s: &'a [u8], object: bool) -> Self {
        let i = ws(s, 1);
        let done = matches!(s.get(i), Some(b'}' | b']'));
        Items { s, i, object, done }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = (|| {
            let mut key: &[u8] = &[];
            if self.object {
                let end = value_end(self.s, self.i, 1)?;
                key = self.s.get(self.i..end).ok_or("bad key")?;
                self.i = ws(self.s, ws(self.s, end) + 1);
            }
            let end = value_end(self.s, self.i, 1)?;
            let value = self.s.get(self.i..end).ok_or("bad value")?;
            self.i = ws(self.s, end);
            match self.s.get(self.i) {
                Some(b',') => self.i = ws(self.s, self.i + 1),
                _ => self.done = true,
            }
            Ok((key, value))
        })();
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

/// The characters of a JSON string literal (quotes included in `s`), escapes decoded.
fn chars(s: &[u8]) -> impl Iterator<Item = Result<char, Malformed>> + '_ {
    let body = s.get(1..s.len().saturating_sub(1)).unwrap_or(&[]);
    let text = core::str::from_utf8(body);
    let mut it = text.unwrap_or("").chars();
    let mut bad = text.is_err();
    core::iter::from_fn(move || {
        if bad {
            bad = false;
            return Some(Err("string is not UTF-8"));
        }
        let c = it.next()?;
        if c != '\\' {
            return Some(Ok(c));
        }
        let hex4 = |it: &mut core::str::Chars<'_>| -> Option<u32> {
            let mut v = 0;
            for _ in 0..4 {
                v = v * 16 + it.next()?.to_digit(16)?;
            }
            Some(v)
        };
        Some(match it.next() {
            Some('"') => Ok('"'),
            Some('\\') => Ok('\\'),
            Some('/') => Ok('/'),
            Some('b') => Ok('\u{8}'),
            Some('f') => Ok('\u{c}'),
            Some('n') => Ok('\n'),
            Some('r') => Ok('\r'),
            Some('t') => Ok('\t'),
            Some('u') => match hex4(&mut it) {
                Some(hi @ 0xd800..=0xdbff) => {
                    let lo = match (it.next(), it.next()) {
                        (Some('\\'), Some('u')) => hex4(&mut it),
                        _ => None,
                    };
                    match lo {
                        Some(lo @ 0xdc00..=0xdfff) => {
                            char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)).ok_or("bad surrogate pair")
                        }
                        _ => Err("lone surrogate"),
                    }
                }
                Some(v) => char::from_u32(v).ok_or("bad \\u escape"),
                None => Err("bad \\u escape"),
            },
            _ => Err("bad escape"),
        })
    })
}

fn same_string(a: &[u8], b: &[u8]) -> Result<bool, Malformed> {
    let (mut x, mut y) = (chars(a), chars(b));
    loop {
        match (x.next().transpose()?, y.next().transpose()?) {
            (None, None) => return Ok(true),
            (Some(p), Some(q)) if p == q => {}
            _ => return Ok(false),
        }
    }
}

fn same_value(a: &[u8], b: &[u8], depth: u8) -> Result<bool, Malformed> {
    if depth > 16 {
        return Err("nested too deeply");
    }
    match (a.first(), b.first()) {
        (Some(b'{'), Some(b'{')) => {
            let mut count = 0usize;
            for member in Items::new(a, true) {
                let (key, value) = member?;
                count += 1;
                let mut found = None;
                for other in Items::new(b, true) {
                    let (k, v) = other?;
                    if same_string(key, k)? {
                        found = Some(v);
                        break;
                    }
                }
                match found {
                    Some(v) if same_value(value, v, depth + 1)? => {}
                    _ => return Ok(false),
                }
            }
            let mut others = 0usize;
            for other in Items::new(b, true) {
                other?;
                others += 1;
            }
            Ok(count == others)
        }
        (Some(b'['), Some(b'[')) => {
            let (mut x, mut y) = (Items::new(a, false), Items::new(b, false));
            loop {
                match (x.next().transpose()?, y.next().transpose()?) {
                    (None, None) => return Ok(true),
                    (Some((_, p)), Some((_, q))) if same_value(p, q, depth + 1)? => {}
                    _ => return Ok(false),
                }
            }
        }
        (Some(b'"'), Some(b'"')) => same_string(a, b),
        (Some(b'{' | b'[' | b'"'), _) | (_, Some(b'{' | b'[' | b'"')) => Ok(false),
        _ => {
            let (x, y) = (core::str::from_utf8(a), core::str::from_utf8(b));
            let (Ok(x), Ok(y)) = (x, y) else {
                return Err("literal is not UTF-8");
            };
            if x == y {
                return Ok(true);
            }
            // Numbers written differently (1e3 and 1000); the golden values are integers below 2^53.
            match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(p), Ok(q)) => Ok(p == q),
                _ => Ok(false),
            }
        }
    }
}

/// True when `a` and `b` are the same JSON value by content.
pub fn same(a: &str, b: &str) -> Result<bool, Malformed> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (i, j) = (ws(a, 0), ws(b, 0));
    let (ea, eb) = (value_end(a, i, 0)?, value_end(b, j, 0)?);
    if ws(a, ea) != a.len() || ws(b, eb) != b.len() {
        return Err("text after the value");
    }
    same_value(&a[i..ea], &b[j..eb], 0)
}
