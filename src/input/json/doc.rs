//! The records of a JSON document (an array of records, or the array of an API page),
//! found without parsing them: a scan that follows only strings and brackets finds where
//! the records array starts and where its elements are cut into pieces, so that the pieces
//! can be parsed on every core like NDJSON lines ([`super::visit`]). Nothing is validated
//! here: every element is parsed by the record reader later, and anything the scan does not
//! expect makes it answer `None` (the caller reads the document as before).

use super::flat::{below, ws, ONES};

/// The first quote or backslash at or after `i` (eight bytes at a time: strings are short,
/// a call to `memchr2` costs more than it saves).
#[inline]
fn quote_or_backslash(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().ok()?);
        let m = below(w ^ (ONES * b'"' as u64), 1) | below(w ^ (ONES * b'\\' as u64), 1);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|k| i + k)
}

/// The closing quote of a string whose text starts at `i`.
#[inline]
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i = quote_or_backslash(b, i)?;
        if b[i] == b'"' {
            return Some(i);
        }
        i += 2;
    }
}

/// The end (exclusive) of the value starting at `i`: a string, an object or array (its
/// brackets matched, strings skipped), or a scalar (up to the next delimiter).
pub(super) fn value_end(b: &[u8], mut i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i + 1).map(|e| e + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            // Byte by byte between strings (a few bytes: `":"`, `,`, numbers), strings
            // skipped eight bytes at a time.
            loop {
                match *b.get(i)? {
                    b'"' => {
                        i = string_end(b, i + 1)?;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let s = i;
            while let Some(c) = b.get(i) {
                if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                    break;
                }
                i += 1;
            }
            (i > s).then_some(i)
        }
    }
}

/// The top-level value of a document, checked to be followed by white space only: an array
/// of records, cut by [`cuts`]; or an object's members (key text without escapes, the
/// value's span, and for a key `records_key` accepts whose value is an array, its cuts).
/// `None` for anything else.
pub(super) enum Outline<'t> {
    Array(Cuts),
    Object(Vec<Member<'t>>),
}

/// The cuts of an array (see [`cuts`]).
pub(super) type Cuts = (Vec<usize>, usize);

pub(super) struct Member<'t> {
    pub key: &'t [u8],
    pub span: (usize, usize),
    pub cuts: Option<Cuts>,
}

/// `scanned(from, to)` is told each stretch of the records arrays the scan is done with.
pub(super) fn outline<'t>(
    text: &'t [u8],
    piece: usize,
    records_key: impl Fn(&[u8]) -> bool,
    mut scanned: impl FnMut(usize, usize),
) -> Option<Outline<'t>> {
    let mut i = 0;
    ws(text, &mut i);
    let out = match text.get(i)? {
        b'[' => {
            let c = cuts(text, i, piece, &mut scanned)?;
            i = c.1;
            ws(text, &mut i);
            if text.get(i) != Some(&b']') {
                return None;
            }
            i += 1;
            Outline::Array(c)
        }
        b'{' => {
            i += 1;
            let mut members = Vec::new();
            ws(text, &mut i);
            if text.get(i) == Some(&b'}') {
                i += 1;
            } else {
                loop {
                    ws(text, &mut i);
                    if text.get(i) != Some(&b'"') {
                        return None;
                    }
                    let end = string_end(text, i + 1)?;
                    let key = &text[i + 1..end];
                    if key.contains(&b'\\') {
                        return None;
                    }
                    i = end + 1;
                    ws(text, &mut i);
                    if text.get(i) != Some(&b':') {
                        return None;
                    }
                    i += 1;
                    ws(text, &mut i);
                    let v = i;
                    let mut c = None;
                    if text.get(i) == Some(&b'[') && records_key(key) {
                        let got = cuts(text, i, piece, &mut scanned)?;
                        i = got.1;
                        ws(text, &mut i);
                        if text.get(i) != Some(&b']') {
                            return None;
                        }
                        i += 1;
                        c = Some(got);
                    } else {
                        i = value_end(text, i)?;
                    }
                    members.push(Member {
                        key,
                        span: (v, i),
                        cuts: c,
                    });
                    ws(text, &mut i);
                    match text.get(i)? {
                        b',' => i += 1,
                        b'}' => {
                            i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            Outline::Object(members)
        }
        _ => return None,
    };
    ws(text, &mut i);
    (i == text.len()).then_some(out)
}

/// The elements of the array whose `[` is at `open`, cut into pieces of about `piece`
/// bytes: the start of each piece's first element (the first is the first element's), and
/// the end of the array's last element. No element: an empty list.
/// `scanned(from, to)` is told each stretch the scan is done with.
pub(super) fn cuts(
    text: &[u8],
    open: usize,
    piece: usize,
    mut scanned: impl FnMut(usize, usize),
) -> Option<(Vec<usize>, usize)> {
    let mut i = open + 1;
    ws(text, &mut i);
    let mut out = Vec::new();
    if text.get(i) == Some(&b']') {
        return Some((out, i));
    }
    let mut last_cut = i;
    out.push(i);
    loop {
        if i - last_cut >= piece {
            scanned(last_cut, i);
            out.push(i);
            last_cut = i;
        }
        i = value_end(text, i)?;
        let end = i;
        ws(text, &mut i);
        match text.get(i)? {
            b',' => {
                i += 1;
                ws(text, &mut i);
            }
            b']' => return Some((out, end)),
            _ => return None,
        }
    }
}

/// The elements (start, end) of a piece `[from, to)` of an array's elements, as [`cuts`]
/// made them.
pub(super) fn elements(text: &[u8], from: usize, to: usize) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    let mut i = from;
    while i < to {
        let end = value_end(text, i)?;
        out.push((i, end));
        i = end;
        ws(text, &mut i);
        if i >= to {
            break;
        }
        if text.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
        ws(text, &mut i);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The elements of the records array (the document, or the array under `key`), read in
    /// pieces of `piece` bytes; every stretch the scan reports is counted.
    fn all(text: &str, key: Option<&str>, piece: usize) -> Option<Vec<String>> {
        let b = text.as_bytes();
        let mut scanned = 0;
        let is_key = |k: &[u8]| key.is_some_and(|w| w.as_bytes() == k);
        let (cuts, end) = match outline(b, piece, is_key, |f, t| scanned += t - f)? {
            Outline::Array(c) if key.is_none() => c,
            Outline::Object(members) => {
                let m = members
                    .into_iter()
                    .find(|m| Some(m.key) == key.map(str::as_bytes))?;
                m.cuts?
            }
            _ => return None,
        };
        let mut out = Vec::new();
        for (k, &from) in cuts.iter().enumerate() {
            let to = cuts.get(k + 1).copied().unwrap_or(end);
            for (s, e) in elements(b, from, to)? {
                out.push(text[s..e].to_string());
            }
        }
        assert!(scanned <= text.len());
        Some(out)
    }

    #[test]
    fn records_are_found_and_cut_between_elements() {
        let page = "{\"count\": 3, \"meta\": {\"x\": [1, {\"tickets\": []}]}, \"tickets\" : [ {\"id\": 1, \"s\": \"a]\\\"}\"},\n {\"id\": [2, {\"k\": \"{\"}]} ,{}], \"next_page\": null}\n";
        let want = vec![
            "{\"id\": 1, \"s\": \"a]\\\"}\"}".to_string(),
            "{\"id\": [2, {\"k\": \"{\"}]}".to_string(),
            "{}".to_string(),
        ];
        for piece in [1, 5, 30, 1000] {
            assert_eq!(all(page, Some("tickets"), piece).unwrap(), want, "{piece}");
        }
        let arr = " [ {\"a\": 1}, {\"a\": 2}\n]\n";
        assert_eq!(all(arr, None, 1).unwrap(), vec!["{\"a\": 1}", "{\"a\": 2}"]);
        assert_eq!(all("[]", None, 1).unwrap(), Vec::<String>::new());
        assert_eq!(
            all("{\"data\": [ ]}", Some("data"), 1).unwrap(),
            Vec::<String>::new()
        );
        // Scalars are elements too (the record reader rejects them later).
        assert_eq!(
            all("[1, \"x\", null]", None, 1).unwrap(),
            vec!["1", "\"x\"", "null"]
        );
    }

    #[test]
    fn anything_unexpected_is_left_to_the_document_reader() {
        for bad in [
            "{\"d\\u0061ta\": [1]}",
            "{\"data\": [1, 2}",
            "{\"data\": [1 2]}",
            "{\"data\": [\"open]}",
            "{\"data\": [1]} x",
            "{\"data\": [1]",
            "{\"data\" [1]}",
            "{\"data\": [1],}",
            "{data: [1]}",
        ] {
            assert!(all(bad, Some("data"), 1).is_none(), "{bad}");
        }
        for bad in ["[{\"a\": 1},]", "[{\"a\": 1}] [", "[{\"a\": 1}", "\"x\""] {
            assert!(all(bad, None, 1).is_none(), "{bad}");
        }
    }

    /// Random documents (values nested in arrays and objects, strings full of quotes,
    /// backslashes and brackets), compact and pretty: the elements found are the elements
    /// serde_json writes, whatever the pieces.
    #[test]
    fn generated_documents_are_cut_into_their_elements() {
        use serde_json::{json, Value};
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        fn value(next: &mut dyn FnMut() -> u64, depth: u32) -> Value {
            let texts = [
                "",
                "a",
                "{[\"]}",
                "\\",
                "\\\"",
                "日本 é",
                "x,y:z",
                "]}",
                "\n\t",
            ];
            match next() % if depth > 2 { 5 } else { 7 } {
                0 => Value::Null,
                1 => json!(next() % 1000),
                2 => json!(-((next() % 100) as f64) / 8.0),
                3 => json!(next().is_multiple_of(2)),
                4 => json!(texts[(next() % texts.len() as u64) as usize]),
                5 => Value::Array((0..next() % 4).map(|_| value(next, depth + 1)).collect()),
                _ => Value::Object(
                    (0..next() % 4)
                        .map(|k| {
                            (
                                format!("{}{k}", texts[(next() % 9) as usize]),
                                value(next, depth + 1),
                            )
                        })
                        .collect(),
                ),
            }
        }
        for round in 0..300 {
            let items: Vec<Value> = (0..next() % 40).map(|_| value(&mut next, 0)).collect();
            let doc = if round % 2 == 0 {
                json!({"meta": {"n": items.len()}, "tickets": items, "next": null})
            } else {
                Value::Array(items.clone())
            };
            let key = (round % 2 == 0).then_some("tickets");
            for text in [
                serde_json::to_string(&doc).unwrap(),
                serde_json::to_string_pretty(&doc).unwrap(),
            ] {
                for piece in [1, 7, 1 << 20] {
                    let got = all(&text, key, piece).unwrap_or_else(|| panic!("{text}"));
                    let back: Vec<Value> = got
                        .iter()
                        .map(|e| serde_json::from_str(e).unwrap())
                        .collect();
                    assert_eq!(back, items, "{text}");
                }
            }
        }
    }
}
