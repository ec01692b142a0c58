//! The records of a JSON document (an array of records, or the array of an API page),
//! found without parsing them: a scan that follows only strings and brackets finds where
//! the records array starts and where its elements are cut into pieces, so that the pieces
//! can be parsed on every core like NDJSON lines ([`super::visit`]). Nothing is validated
//! here: every element is parsed by the record reader later, and anything the scan does not
//! expect makes it answer `None` (the caller reads the document as before).

use super::Records;

/// JSON's white space.
fn ws(b: &[u8], i: &mut usize) {
    while let Some(b' ' | b'\t' | b'\r' | b'\n') = b.get(*i) {
        *i += 1;
    }
}

/// The closing quote of a string whose text starts at `i`.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
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

/// Where the records array of `text` (a document without its BOM) starts: the position of
/// its `[`. An API page's key must be written without escapes and occur once.
pub(super) fn records_start(text: &[u8], records: &Records) -> Option<usize> {
    let mut i = 0;
    ws(text, &mut i);
    match records {
        Records::Array => (text.get(i) == Some(&b'[')).then_some(i),
        Records::Key(key) => {
            if text.get(i) != Some(&b'{') {
                return None;
            }
            i += 1;
            let mut found = None;
            loop {
                ws(text, &mut i);
                match text.get(i)? {
                    b'}' => return found,
                    b'"' => {}
                    _ => return None,
                }
                let end = string_end(text, i + 1)?;
                let name = &text[i + 1..end];
                if name.contains(&b'\\') {
                    return None;
                }
                i = end + 1;
                ws(text, &mut i);
                if text.get(i) != Some(&b':') {
                    return None;
                }
                i += 1;
                ws(text, &mut i);
                if name == key.as_bytes() {
                    if found.is_some() || text.get(i) != Some(&b'[') {
                        return None;
                    }
                    found = Some(i);
                }
                i = value_end(text, i)?;
                ws(text, &mut i);
                match text.get(i)? {
                    b',' => i += 1,
                    b'}' => return found,
                    _ => return None,
                }
            }
        }
    }
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

    /// The elements of the records array, read in pieces of `piece` bytes.
    fn all(text: &str, records: &Records, piece: usize) -> Option<Vec<String>> {
        let b = text.as_bytes();
        let open = records_start(b, records)?;
        let (cuts, end) = cuts(b, open, piece, |_, _| {})?;
        let mut out = Vec::new();
        for (k, &from) in cuts.iter().enumerate() {
            let to = cuts.get(k + 1).copied().unwrap_or(end);
            for (s, e) in elements(b, from, to)? {
                out.push(text[s..e].to_string());
            }
        }
        Some(out)
    }

    #[test]
    fn records_are_found_and_cut_between_elements() {
        let page = "{\"count\": 3, \"meta\": {\"x\": [1, {\"tickets\": []}]}, \"tickets\" : [ {\"id\": 1, \"s\": \"a]\\\"}\"},\n {\"id\": [2, {\"k\": \"{\"}]} ,{}], \"next_page\": null}";
        let want = vec![
            "{\"id\": 1, \"s\": \"a]\\\"}\"}".to_string(),
            "{\"id\": [2, {\"k\": \"{\"}]}".to_string(),
            "{}".to_string(),
        ];
        let key = Records::Key("tickets".into());
        for piece in [1, 5, 30, 1000] {
            assert_eq!(all(page, &key, piece).unwrap(), want, "{piece}");
        }
        let arr = " [ {\"a\": 1}, {\"a\": 2}\n]\n";
        assert_eq!(
            all(arr, &Records::Array, 1).unwrap(),
            vec!["{\"a\": 1}", "{\"a\": 2}"]
        );
        assert_eq!(all("[]", &Records::Array, 1).unwrap(), Vec::<String>::new());
        // Scalars are elements too (the record reader rejects them later).
        assert_eq!(
            all("[1, \"x\", null]", &Records::Array, 1).unwrap(),
            vec!["1", "\"x\"", "null"]
        );
    }

    #[test]
    fn anything_unexpected_is_left_to_the_document_reader() {
        let key = Records::Key("data".into());
        for bad in [
            "{\"data\": [1, 2], \"data\": [3]}",
            "{\"d\\u0061ta\": [1]}",
            "{\"data\": {\"a\": 1}}",
            "{\"data\": [1, 2}",
            "{\"data\": [1 2]}",
            "{\"data\": [\"open]}",
            "[{\"data\": [1]}]",
            "{\"other\": 1}",
        ] {
            assert!(all(bad, &key, 1).is_none(), "{bad}");
        }
        assert!(all("{\"a\": 1}", &Records::Array, 1).is_none());
        assert!(all("[{\"a\": 1},]", &Records::Array, 1).is_none());
    }
}
