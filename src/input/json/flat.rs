//! The usual NDJSON line, read without serde_json: one flat object whose values are strings,
//! numbers, booleans, nulls or arrays of those. The reader is strict: it accepts a subset of
//! valid JSON and gives each value the text serde_json gives it (the frame reader's text);
//! any line outside that subset (a nested object, a page, an escaped key, a `\u` escape,
//! an odd number, broken JSON) makes it answer `false`, and the caller reads the line with
//! serde_json, which decides and names what is wrong. Most of the work is finding the end
//! of each string, eight bytes at a time.

use super::PAGE_KEYS;

/// One value of a flat record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val<'t> {
    /// A string without escapes: its text.
    Str(&'t str),
    /// An integer written as serde_json writes it back (no leading zero, no `-0`, at most
    /// 18 digits): its text.
    Int(&'t str),
    Bool(bool),
    Null,
    /// A valid value whose text this reader does not make (a string with escapes, a number
    /// with a fraction or an exponent, an array): fine when it is not needed.
    Opaque,
}

/// Read `line` (one trimmed NDJSON line) as a flat object: `field(key, value)` for each
/// member in order, until it answers `false`. `true` when the whole line was read so;
/// `false` when the line is not such an object or `field` stopped (the caller then reads
/// the line with serde_json).
#[inline]
pub fn fields<'t>(line: &'t str, mut field: impl FnMut(&'t str, Val<'t>) -> bool) -> bool {
    let b = line.as_bytes();
    let mut i = 0usize;
    ws(b, &mut i);
    if b.get(i) != Some(&b'{') {
        return false;
    }
    i += 1;
    ws(b, &mut i);
    if b.get(i) == Some(&b'}') {
        i += 1;
        ws(b, &mut i);
        return i == b.len();
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return false;
        }
        let Some((end, false)) = string(b, i + 1) else {
            return false;
        };
        let Some(key) = line.get(i + 1..end) else {
            return false;
        };
        i = end + 1;
        ws(b, &mut i);
        if b.get(i) != Some(&b':') {
            return false;
        }
        i += 1;
        ws(b, &mut i);
        let val = match b.get(i) {
            Some(b'[') => {
                // An array under a page's key makes the line an API page.
                if PAGE_KEYS.contains(&key) || key == "data" {
                    return false;
                }
                match array(b, i + 1) {
                    Some(e) => {
                        i = e;
                        Val::Opaque
                    }
                    None => return false,
                }
            }
            _ => match scalar(line, &mut i) {
                Some(v) => v,
                None => return false,
            },
        };
        if !field(key, val) {
            return false;
        }
        ws(b, &mut i);
        match b.get(i) {
            Some(b',') => {
                i += 1;
                ws(b, &mut i);
            }
            Some(b'}') => {
                i += 1;
                ws(b, &mut i);
                return i == b.len();
            }
            _ => return false,
        }
    }
}

/// JSON's white space.
#[inline]
pub(super) fn ws(b: &[u8], i: &mut usize) {
    while let Some(b' ' | b'\t' | b'\r' | b'\n') = b.get(*i) {
        *i += 1;
    }
}

/// A string, number, boolean or null starting at `i` (moved past it), as a [`Val`] of
/// `line`.
#[inline]
fn scalar<'t>(line: &'t str, i: &mut usize) -> Option<Val<'t>> {
    let s = *i;
    Some(match token(line.as_bytes(), i)? {
        Tok::Text(false) => Val::Str(line.get(s + 1..*i - 1)?),
        Tok::Number(true) => Val::Int(line.get(s..*i)?),
        Tok::Text(true) | Tok::Number(false) => Val::Opaque,
        Tok::Bool(v) => Val::Bool(v),
        Tok::Null => Val::Null,
    })
}

/// What [`token`] read.
enum Tok {
    /// A string, and whether it holds escapes.
    Text(bool),
    /// A number, and whether serde_json writes it back as it stands.
    Number(bool),
    Bool(bool),
    Null,
}

/// The scalar starting at `i`; `i` is moved past it.
#[inline]
fn token(b: &[u8], i: &mut usize) -> Option<Tok> {
    match *b.get(*i)? {
        b'"' => {
            let (end, escaped) = string(b, *i + 1)?;
            *i = end + 1;
            Some(Tok::Text(escaped))
        }
        b'-' | b'0'..=b'9' => {
            let (end, int) = number(b, *i)?;
            *i = end;
            Some(Tok::Number(int))
        }
        b't' => word(b, i, b"true", Tok::Bool(true)),
        b'f' => word(b, i, b"false", Tok::Bool(false)),
        b'n' => word(b, i, b"null", Tok::Null),
        _ => None,
    }
}

#[inline]
fn word(b: &[u8], i: &mut usize, w: &[u8], t: Tok) -> Option<Tok> {
    if b.get(*i..*i + w.len()) == Some(w) {
        *i += w.len();
        Some(t)
    } else {
        None
    }
}

/// An array of scalars whose first element (or `]`) is at `i`: the position after its `]`.
/// An array holding an array or an object is not read (`None`).
fn array(b: &[u8], mut i: usize) -> Option<usize> {
    ws(b, &mut i);
    if b.get(i) == Some(&b']') {
        return Some(i + 1);
    }
    loop {
        token(b, &mut i)?;
        ws(b, &mut i);
        match b.get(i)? {
            b',' => {
                i += 1;
                ws(b, &mut i);
            }
            b']' => return Some(i + 1),
            _ => return None,
        }
    }
}

pub(super) const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that is below `n` (n ≤ 128); the lowest one set is exact
/// (a borrow only flags bytes above a true one).
#[inline]
pub(super) fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * n as u64) & !w & HIGHS
}

/// The end (the closing quote) of a string whose text starts at `i`, and whether it holds
/// escapes. `None` for a raw control character, a `\u` escape (its surrogates are
/// serde_json's to judge), an invalid escape or a missing quote.
#[inline]
fn string(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        // Eight bytes at a time to the next quote, backslash or control character.
        while let Some(chunk) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().ok()?);
            let m = below(w ^ (ONES * b'"' as u64), 1)
                | below(w ^ (ONES * b'\\' as u64), 1)
                | below(w, 0x20);
            if m != 0 {
                i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            i += 1;
        }
        match *b.get(i)? {
            b'"' => return Some((i, escaped)),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                    escaped = true;
                    i += 2;
                }
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// The end of a number starting at `i`, and whether it is an integer that serde_json writes
/// back as it stands. `None` for an invalid number or one that may be out of range.
#[inline]
fn number(b: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start;
    let neg = b.get(i) == Some(&b'-');
    if neg {
        i += 1;
    }
    let d0 = i;
    match *b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => {
            while let Some(b'0'..=b'9') = b.get(i) {
                i += 1;
            }
        }
        _ => return None,
    }
    let digits = i - d0;
    let mut int = true;
    if b.get(i) == Some(&b'.') {
        int = false;
        i += 1;
        let f0 = i;
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
        if i == f0 {
            return None;
        }
    }
    if let Some(b'e' | b'E') = b.get(i) {
        int = false;
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let e0 = i;
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
        // At most two exponent digits, so the value is surely in range.
        if i == e0 || i - e0 > 2 {
            return None;
        }
    }
    if i - start > 200 {
        return None;
    }
    let exact = int && digits <= 18 && !(neg && b[d0] == b'0');
    Some((i, exact))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Option<Vec<(String, Val<'_>)>> {
        let mut out = Vec::new();
        fields(line, |k, v| {
            out.push((k.to_string(), v));
            true
        })
        .then_some(out)
    }

    #[test]
    fn flat_lines_give_their_members() {
        let got = read(
            "{\"id\":\"R1\", \"n\": 12 ,\"f\":2.50,\"e\":1e5,\"b\":true,\"c\":false,\"z\":null,\"s\":\"a\\\"b\",\"a\":[1,\"x\", null],\"m\":-7,\"o\":0,\"u\":\"é日本\"}",
        )
        .unwrap();
        let want = vec![
            ("id", Val::Str("R1")),
            ("n", Val::Int("12")),
            ("f", Val::Opaque),
            ("e", Val::Opaque),
            ("b", Val::Bool(true)),
            ("c", Val::Bool(false)),
            ("z", Val::Null),
            ("s", Val::Opaque),
            ("a", Val::Opaque),
            ("m", Val::Int("-7")),
            ("o", Val::Int("0")),
            ("u", Val::Str("é日本")),
        ];
        assert_eq!(got.len(), want.len());
        for ((k, v), (wk, wv)) in got.iter().zip(&want) {
            assert_eq!((k.as_str(), *v), (*wk, *wv));
        }
        assert_eq!(read("{}").unwrap().len(), 0);
        assert_eq!(read(" { } ").unwrap().len(), 0);
        assert_eq!(
            read("{\"a long key name\":\"a long string value over 8 bytes\"}").unwrap()[0].1,
            Val::Str("a long string value over 8 bytes")
        );
        // Numbers whose text serde_json would change are opaque.
        for n in ["-0", "1234567890123456789", "1.0", "1E2", "-0.5"] {
            assert_eq!(
                read(&format!("{{\"n\":{n}}}")).unwrap()[0].1,
                Val::Opaque,
                "{n}"
            );
        }
    }

    #[test]
    fn other_lines_are_left_to_serde_json() {
        for line in [
            "",
            "[1]",
            "\"x\"",
            "{\"a\":{\"b\":1}}",
            "{\"a\":[{\"b\":1}]}",
            "{\"a\":[[1]]}",
            "{\"tickets\":[]}",
            "{\"data\":[1]}",
            "{\"k\\u0065y\":1}",
            "{\"k\\\"\":1}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":1,}",
            "{\"a\":1",
            "{\"a\" 1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":1e}",
            "{\"a\":1e400}",
            "{\"a\":-}",
            "{\"a\":tru}",
            "{\"a\":truex}",
            "{\"a\":nul}",
            "{\"a\":\"x}",
            "{\"a\":1} x",
            "{\"a\":1}{\"b\":2}",
            "{a:1}",
            "{\"a\":[1,]}",
            "{\"a\":[1 2]}",
        ] {
            assert!(read(line).is_none(), "{line:?}");
        }
    }

    #[test]
    fn what_it_reads_serde_json_reads_alike() {
        // Every line the fast reader accepts is valid JSON with the same members.
        let lines = [
            "{\"id\":\"R1\",\"n\":12,\"f\":2.50,\"b\":true,\"z\":null,\"a\":[1,\"x\",null],\"m\":-7}",
            "{ \"a\" : \"b\" , \"c\" : [ ] }",
            "{\"s\":\"\\n\\t\\/\\\\\"}",
        ];
        for l in lines {
            let mine = read(l).unwrap();
            let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(l).unwrap();
            assert_eq!(mine.len(), v.len());
            for ((k, val), (sk, sv)) in mine.iter().zip(&v) {
                assert_eq!(k, sk);
                match val {
                    Val::Str(s) => assert_eq!(sv.as_str(), Some(*s)),
                    Val::Int(s) => assert_eq!(sv.to_string(), *s),
                    Val::Bool(b) => assert_eq!(sv.as_bool(), Some(*b)),
                    Val::Null => assert!(sv.is_null()),
                    Val::Opaque => {}
                }
            }
        }
    }

    /// Every line the strict reader accepts, among 300,000 generated and mutated ones, is a
    /// JSON object for serde_json with the same members in order and the same text for each
    /// value the reader gives; and a valid flat line of the usual shape is accepted.
    #[test]
    fn generated_and_mutated_lines_read_as_serde_json_reads_them() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let values = [
            "\"R12\"",
            "12",
            "-7",
            "0",
            "-0",
            "2.50",
            "1e5",
            "1E-2",
            "true",
            "false",
            "null",
            "\"\"",
            "\"a\\\"b\"",
            "\"\\u00e9\"",
            "\"\\ud83d\\ude00\"",
            "[1, \"x\"]",
            "[]",
            "{\"a\": 1}",
            "\"2024-01-02T03:04:05Z\"",
            "123456789012345678",
            "1234567890123456789",
            "\"tab\\there\"",
            "\"\u{e9}t\u{e9}\"",
            "01",
            "1.",
            "-",
            "tru",
            "\"open",
        ];
        let keys = [
            "id",
            "score",
            "a b",
            "k\\u0065y",
            "data",
            "tickets",
            "\u{e9}",
            "",
        ];
        let mut accepted = 0;
        for round in 0..300_000 {
            let n = (next() % 6) as usize;
            let mut line = String::from("{");
            for k in 0..n {
                if k > 0 {
                    line.push_str([",", " , ", ",\t"][(next() % 3) as usize]);
                }
                let key = keys[(next() % keys.len() as u64) as usize];
                let val = values[(next() % values.len() as u64) as usize];
                line.push_str(&format!(
                    "\"{key}\":{}{val}",
                    [" ", ""][(next() % 2) as usize]
                ));
            }
            line.push('}');
            // Mutations: a byte changed, dropped or doubled.
            let mut bytes = line.into_bytes();
            if round % 3 == 0 && !bytes.is_empty() {
                let at = (next() % bytes.len() as u64) as usize;
                match next() % 3 {
                    0 => bytes[at] = b"{}[]\",:\\ 0e-.xn\t"[(next() % 16) as usize],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, bytes[at]),
                }
            }
            let Ok(line) = String::from_utf8(bytes) else {
                continue;
            };
            let Some(mine) = read(&line) else {
                continue;
            };
            accepted += 1;
            let theirs: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("accepted, but not JSON ({e}): {line}"));
            // serde_json (preserve_order) keeps a repeated key once, at its first place,
            // with its last value: compare the last value of each key, keys in first order.
            let obj = theirs
                .as_object()
                .unwrap_or_else(|| panic!("not an object: {line}"));
            let mut order: Vec<&str> = Vec::new();
            for (k, _) in &mine {
                if !order.contains(&k.as_str()) {
                    order.push(k);
                }
            }
            assert_eq!(
                order,
                obj.keys().map(String::as_str).collect::<Vec<_>>(),
                "{line}"
            );
            for (k, v) in &obj.clone() {
                let last = mine.iter().rev().find(|(mk, _)| mk == k).map(|(_, v)| *v);
                match last.unwrap() {
                    Val::Str(s) => assert_eq!(v.as_str(), Some(s), "{line}"),
                    Val::Int(s) => assert_eq!(v.to_string(), s, "{line}"),
                    Val::Bool(b) => assert_eq!(v.as_bool(), Some(b), "{line}"),
                    Val::Null => assert!(v.is_null(), "{line}"),
                    Val::Opaque => assert!(!v.is_object(), "{line}"),
                }
            }
        }
        assert!(accepted > 50_000, "{accepted}");
        assert!(read(
            "{\"id\":\"R1\",\"score\":9,\"region\":\"EMEA\",\"at\":\"2024-01-02T03:04:05Z\"}"
        )
        .is_some());
    }
}
