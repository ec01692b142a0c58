//! cxm's own careful CSV reader (SPEC 9): lenient where the intent of a polluted export is
//! clear, and a counted, located reject where it is not. Files that pass the fast structural
//! scan in [`crate::input::read`] are scanned by polars; every other CSV file is read here,
//! record by record, into a [`Table`].
//!
//! Rules:
//! - a quote inside an unquoted field is a literal character (`5" screen`); spaces before an
//!   opening quote are allowed (`1, "a,b"`); text after a closing quote is kept (`"a"b`);
//!   when a record is not clean CSV, reading `\"` inside a quoted field as a quote (where
//!   it does not end the field) is tried, and kept if it gives a clean record;
//! - a quoted field still open at the end of its line whose record comes out with the
//!   wrong width (or runs into the end of the file) is closed at the end of that line when
//!   that gives a record of the header's width; otherwise that line is rejected
//!   (`unclosed_quote`) and reading resumes on the next line;
//! - CR, LF and CRLF line ends (mixed too) end records; blank lines are not records; NUL
//!   bytes are dropped from cells;
//! - a trailing delimiter on every line gives an empty last header, a column nothing maps;
//!   empty extra fields at the end of a record are ignored;
//! - fewer fields than the header: `field_count`; more (non-empty) fields:
//!   `too_many_fields`; invalid UTF-8: `invalid_utf8` (more than 1 % of the records is an
//!   error that suggests `--encoding`);
//! - lines before the header that are narrower than the data (a title, an export date) and
//!   narrow lines after the data (a footer, a "Total" line) are skipped and named in a
//!   warning.

use anyhow::Result;

use crate::fail;
use crate::input::read::{Malformed, Table};

/// One record as the tokenizer read it.
#[derive(Default)]
struct Rec {
    /// The cells' bytes, one after the other; `ends[k]` is where cell k ends.
    buf: Vec<u8>,
    ends: Vec<usize>,
    /// Where the next record starts.
    next: usize,
    /// A quoted field ran into the end of the file.
    unclosed: bool,
    /// A quoted field held a line break.
    multiline: bool,
    /// A field was quoted (then the line is a record even when its cells are empty).
    quoted: bool,
    /// Text followed a closing quote (`"a"b`): the reading is lenient, not clean CSV.
    dirty: bool,
}

impl Rec {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn cell(&self, k: usize) -> &[u8] {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.buf[start..self.ends[k]]
    }

    /// A line with nothing on it (not even a delimiter or a pair of quotes).
    fn is_blank(&self) -> bool {
        !self.quoted && self.ends.len() == 1 && self.buf.iter().all(|&b| b == b' ' || b == b'\t')
    }

    /// Fields after the first `width` hold nothing but spaces.
    fn extra_empty(&self, width: usize) -> bool {
        (width..self.len()).all(|k| self.cell(k).iter().all(|&b| b == b' '))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Csv,
    /// CSV in which `\"` inside a quoted field is a quote (a dialect some exports write),
    /// tried when the plain reading is not clean.
    Backslash,
    /// A quoted field closes at the end of its line.
    CloseAtLineEnd,
    /// Quotes are literal characters.
    Literal,
}

struct Tok<'a> {
    b: &'a [u8],
    d: u8,
}

impl Tok<'_> {
    /// Read the record starting at `start`, as CSV ([`Mode::Csv`], [`Mode::Backslash`]) or
    /// as one of the two recovery reads of a line with an unclosed quote.
    fn record(&self, start: usize, mode: Mode, r: &mut Rec) {
        let single_line = matches!(mode, Mode::CloseAtLineEnd | Mode::Literal);
        let (b, d, n) = (self.b, self.d, self.b.len());
        r.buf.clear();
        r.ends.clear();
        r.unclosed = false;
        r.multiline = false;
        r.quoted = false;
        r.dirty = false;
        let mut i = start;
        loop {
            // One field.
            let mut j = i;
            while j < n && b[j] == b' ' {
                j += 1;
            }
            if j < n && b[j] == b'"' && mode != Mode::Literal {
                r.quoted = true;
                let mut k = j + 1;
                loop {
                    let found = if single_line {
                        memchr::memchr3(b'"', b'\n', b'\r', &b[k..])
                    } else {
                        memchr::memchr(b'"', &b[k..])
                    };
                    let Some(off) = found else {
                        r.buf.extend_from_slice(&b[k..]);
                        r.unclosed = !single_line;
                        i = n;
                        break;
                    };
                    let q = k + off;
                    r.buf.extend_from_slice(&b[k..q]);
                    if b[q] != b'"' {
                        // Single-line recovery: the field closes at the end of its line.
                        i = q;
                        break;
                    }
                    let after = b.get(q + 1).copied();
                    let ends_field =
                        matches!(after, None | Some(b'\n') | Some(b'\r')) || after == Some(d);
                    if mode == Mode::Backslash && q > j + 1 && b[q - 1] == b'\\' && !ends_field {
                        // `\"` inside the field: a quote.
                        r.buf.pop();
                        r.buf.push(b'"');
                        k = q + 1;
                    } else if after == Some(b'"') {
                        r.buf.push(b'"');
                        k = q + 2;
                    } else {
                        // The closing quote; text up to the delimiter stays (`"a"b`).
                        let rest =
                            memchr::memchr3(d, b'\n', b'\r', &b[q + 1..]).map_or(n, |o| q + 1 + o);
                        r.buf.extend_from_slice(&b[q + 1..rest]);
                        r.dirty |= rest > q + 1;
                        i = rest;
                        break;
                    }
                }
                if b[j..i].iter().any(|&c| c == b'\n' || c == b'\r') {
                    r.multiline = true;
                }
            } else {
                let end = memchr::memchr3(d, b'\n', b'\r', &b[i..]).map_or(n, |o| i + o);
                r.buf.extend_from_slice(&b[i..end]);
                i = end;
            }
            r.ends.push(r.buf.len());
            if i >= n {
                r.next = n;
                return;
            }
            match b[i] {
                c if c == d => {
                    i += 1;
                    if i >= n {
                        r.ends.push(r.buf.len());
                        r.next = n;
                        return;
                    }
                }
                b'\r' => {
                    r.next = if b.get(i + 1) == Some(&b'\n') {
                        i + 2
                    } else {
                        i + 1
                    };
                    return;
                }
                _ => {
                    r.next = i + 1;
                    return;
                }
            }
        }
    }

    /// The end of the physical line that starts at or contains `start`, after its line
    /// break.
    fn line_end(&self, start: usize) -> usize {
        let b = self.b;
        match memchr::memchr2(b'\n', b'\r', &b[start..]) {
            None => b.len(),
            Some(o) => {
                let i = start + o;
                if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                    i + 2
                } else {
                    i + 1
                }
            }
        }
    }
}

/// Line breaks in `b` (LF, CRLF or a lone CR each count once).
fn breaks(b: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', b).count();
    let lone_cr = memchr::memchr_iter(b'\r', b)
        .filter(|&i| b.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64
}

fn text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s.into_owned()
    }
}

/// What the careful read of one CSV text found.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The cells of the header rows (the first row names the columns).
    pub header_rows: Vec<Vec<String>>,
    pub table: Table,
    /// Lines skipped before the header, with their text.
    pub preamble: Vec<(u64, String)>,
    /// Lines skipped after the data, with their text.
    pub footer: Vec<(u64, String)>,
}

impl Parsed {
    /// The warnings of the read: skipped lines, malformed records.
    pub fn warnings(&self, display: &str) -> Vec<String> {
        let mut w = Vec::new();
        let quote = |lines: &[(u64, String)]| {
            lines
                .iter()
                .take(3)
                .map(|(l, t)| {
                    let t: String = t.trim().chars().take(40).collect();
                    format!("line {l} {t:?}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.preamble.is_empty() {
            w.push(format!(
                "{display}: skipped {} before the header ({}); the header is line {}",
                lines(self.preamble.len()),
                quote(&self.preamble),
                self.preamble.last().map_or(1, |p| p.0 + 1)
            ));
        }
        if !self.footer.is_empty() {
            w.push(format!(
                "{display}: skipped {} after the data that do not fit the header ({})",
                lines(self.footer.len()),
                quote(&self.footer)
            ));
        }
        let bad: Vec<(u64, &'static str)> = self
            .table
            .malformed
            .iter()
            .zip(&self.table.locs)
            .filter_map(|(m, &l)| m.as_ref().map(|m| (l, m.code)))
            .collect();
        if !bad.is_empty() {
            let first: Vec<String> = bad
                .iter()
                .take(5)
                .map(|(l, c)| format!("{l} ({c})"))
                .collect();
            w.push(format!(
                "{display}: {} rejected, at line {}{}",
                if bad.len() == 1 {
                    "1 malformed record".to_string()
                } else {
                    format!("{} malformed records", bad.len())
                },
                first.join(", "),
                if bad.len() > 5 { ", …" } else { "" }
            ));
        }
        w
    }
}

fn lines(n: usize) -> String {
    if n == 1 {
        "1 line".into()
    } else {
        format!("{n} lines")
    }
}

/// How many records the header search looks at.
const HEAD_RECORDS: usize = 30;

/// Read a whole CSV text (after any BOM) with `header_rows` header rows. `display` names the
/// file in errors.
pub fn parse(bytes: &[u8], delim: u8, header_rows: usize, display: &str) -> Result<Parsed> {
    let tok = Tok { b: bytes, d: delim };
    let mut r = Rec::default();
    let mut alt = Rec::default();
    let mut out = Parsed::default();

    // The header search: the first line as wide as most of the lines after it.
    let mut head: Vec<(usize, u64, usize)> = Vec::new(); // (start, line, width)
    {
        let (mut pos, mut line) = (0usize, 1u64);
        while pos < bytes.len() && head.len() < HEAD_RECORDS {
            tok.record(pos, Mode::Csv, &mut r);
            if r.unclosed {
                tok.record(pos, Mode::CloseAtLineEnd, &mut r);
            }
            if !r.is_blank() {
                head.push((pos, line, r.len()));
            }
            line += breaks(&bytes[pos..r.next]);
            pos = r.next;
        }
    }
    if head.is_empty() {
        fail!("{display}: the file is empty; export it again with a header row and data");
    }
    let skip = preamble_len(&head);
    let (mut pos, mut line) = (head[skip].0, head[skip].1);
    for &(start, l, _) in &head[..skip] {
        let end = tok.line_end(start);
        out.preamble.push((l, text(&bytes[start..end])));
    }

    // Header rows.
    while out.header_rows.len() < header_rows.max(1) {
        if pos >= bytes.len() {
            fail!(
                "{display}: the export should have {header_rows} header rows but has {}; export it again with the responses included",
                out.header_rows.len()
            );
        }
        tok.record(pos, Mode::Csv, &mut r);
        if r.unclosed {
            tok.record(pos, Mode::CloseAtLineEnd, &mut r);
        }
        line += breaks(&bytes[pos..r.next]);
        pos = r.next;
        if r.is_blank() {
            continue;
        }
        let mut cells = Vec::with_capacity(r.len());
        for k in 0..r.len() {
            match std::str::from_utf8(r.cell(k)) {
                // Spaces around a name (`a, b`) are no part of it.
                Ok(s) => cells.push(s.replace('\0', "").trim().to_string()),
                Err(_) if out.header_rows.is_empty() => fail!(
                    "{display}:{}: the header is not valid UTF-8; pass --encoding latin1 (or cp1252) if the export uses that encoding",
                    line - 1
                ),
                Err(_) => cells.push(text(r.cell(k))),
            }
        }
        out.header_rows.push(cells);
    }
    let headers = out.header_rows[0].clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        fail!("{display}: the header row is blank; the first line must name the columns");
    }
    let width = headers.len();
    out.table.headers = headers;

    // Data records.
    crate::progress::reading(bytes.len() as u64);
    let mut reported = 0usize;
    let mut invalid_utf8 = 0u64;
    let mut first_invalid: Option<(u64, String)> = None;
    while pos < bytes.len() {
        if pos - reported >= 1 << 22 {
            crate::progress::advance((pos - reported) as u64);
            reported = pos;
        }
        let start = pos;
        let start_line = line;
        tok.record(pos, Mode::Csv, &mut r);
        let fits = |r: &Rec| r.len() == width || (r.len() > width && r.extra_empty(width));
        if r.dirty || r.unclosed || !fits(&r) {
            // Not clean CSV: `\"` escapes may be what the export meant.
            tok.record(pos, Mode::Backslash, &mut alt);
            if !alt.dirty && !alt.unclosed && fits(&alt) {
                std::mem::swap(&mut r, &mut alt);
            }
        }
        let mut malformed: Option<Box<Malformed>> = None;
        if r.unclosed || (r.multiline && !fits(&r)) {
            // An unclosed quote: close it at the end of its line if that fits the header,
            // else read its quote as a literal character if that fits.
            tok.record(start, Mode::CloseAtLineEnd, &mut r);
            if !fits(&r) {
                tok.record(start, Mode::Literal, &mut r);
            }
            let end = tok.line_end(start);
            if !fits(&r) {
                let mut m =
                    Malformed::new("unclosed_quote", "a quoted field is not closed on its line");
                m.raw = Some(text(trim_eol(&bytes[start..end])));
                malformed = Some(m);
                r.buf.clear();
                r.ends.clear();
            }
            r.next = end;
        }
        line += breaks(&bytes[start..r.next]);
        pos = r.next;
        if malformed.is_none() && r.is_blank() {
            continue;
        }
        if malformed.is_none() {
            if r.len() < width {
                malformed = Some(Malformed::new(
                    "field_count",
                    format!(
                        "the record has {} field{} but the header has {width}",
                        r.len(),
                        if r.len() == 1 { "" } else { "s" }
                    ),
                ));
            } else if r.len() > width && !r.extra_empty(width) {
                let mut m = Malformed::new(
                    "too_many_fields",
                    format!(
                        "the record has {} fields but the header has {width}",
                        r.len()
                    ),
                );
                m.raw = Some(text(trim_eol(&bytes[start..pos])));
                malformed = Some(m);
            } else if std::str::from_utf8(&r.buf).is_err() {
                invalid_utf8 += 1;
                let k = (0..r.len())
                    .find(|&k| std::str::from_utf8(r.cell(k)).is_err())
                    .unwrap_or(0);
                let column = out.table.headers.get(k).cloned().unwrap_or_default();
                malformed = Some(Malformed::new(
                    "invalid_utf8",
                    format!("column {column:?} holds bytes that are not UTF-8"),
                ));
                first_invalid.get_or_insert((start_line, column));
            }
        }
        let row: Vec<Option<String>> = (0..width)
            .map(|k| {
                (k < r.len())
                    .then(|| r.cell(k))
                    .filter(|c| !c.is_empty())
                    .map(text)
                    .filter(|s| !s.is_empty())
            })
            .collect();
        out.table.rows.push(row);
        out.table.locs.push(start_line);
        out.table.malformed.push(malformed);
    }
    crate::progress::read_done();
    let records = out.table.rows.len() as u64;
    if invalid_utf8 > 0 && invalid_utf8 * 100 > records {
        let (line, column) = first_invalid.unwrap_or_default();
        fail!(
            "{display}:{line}:{column}: not valid UTF-8 ({invalid_utf8} of {records} records); pass --encoding latin1 (or cp1252) if the export uses that encoding"
        );
    }
    take_footer(&mut out);
    Ok(out)
}

fn trim_eol(b: &[u8]) -> &[u8] {
    let mut e = b.len();
    while e > 0 && (b[e - 1] == b'\n' || b[e - 1] == b'\r') {
        e -= 1;
    }
    &b[..e]
}

/// How many of the first records are a preamble: records at most half as wide as the width
/// at least half of the following records share, before the first record of that width.
fn preamble_len(head: &[(usize, u64, usize)]) -> usize {
    if head.len() < 3 {
        return 0;
    }
    let mut counts: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for h in &head[1..] {
        *counts.entry(h.2).or_default() += 1;
    }
    let (&mode, &count) = counts
        .iter()
        .max_by_key(|(w, c)| (**c, **w))
        .expect("at least two records");
    // A title or an export-date line is much narrower than the data (at most half as wide).
    let narrow = (mode / 2).max(1);
    if mode < 2 || head[0].2 > narrow || count * 2 < head.len() - 1 {
        return 0;
    }
    head.iter()
        .position(|h| h.2 == mode)
        .filter(|&p| head[..p].iter().all(|h| h.2 <= narrow))
        .unwrap_or(0)
}

/// Narrow records at the very end of the data (at most three, each with fewer fields than
/// the header, at most half of them filled, and a first cell that starts with a letter:
/// "Total: 812", "Generated by …") are a footer, not rows. A data row cut short keeps more
/// of its cells and stays a `field_count` reject.
fn take_footer(out: &mut Parsed) {
    let width = out.table.headers.len();
    let t = &mut out.table;
    let mut k = t.rows.len();
    let mut taken = 0;
    while k > 0 && taken < 3 {
        let m = &t.malformed[k - 1];
        let filled = t.rows[k - 1].iter().filter(|c| c.is_some()).count();
        let footer = width >= 2
            && m.as_ref().is_some_and(|m| m.code == "field_count")
            && filled <= (width / 2).max(1)
            && t.rows[k - 1]
                .first()
                .and_then(|c| c.as_deref())
                .is_some_and(|c| c.trim_start().starts_with(char::is_alphabetic));
        if !footer {
            break;
        }
        k -= 1;
        taken += 1;
    }
    if k == t.rows.len() || k == 0 {
        return;
    }
    for i in k..t.rows.len() {
        let cells: Vec<&str> = t.rows[i].iter().flatten().map(String::as_str).collect();
        out.footer.push((t.locs[i], cells.join(",")));
    }
    t.rows.truncate(k);
    t.locs.truncate(k);
    t.malformed.truncate(k);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Parsed {
        parse(text.as_bytes(), b',', 1, "t.csv").expect("parses")
    }

    fn cells(p: &Parsed) -> Vec<Vec<Option<&str>>> {
        p.table
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.as_deref()).collect())
            .collect()
    }

    fn codes(p: &Parsed) -> Vec<Option<&'static str>> {
        p.table
            .malformed
            .iter()
            .map(|m| m.as_ref().map(|m| m.code))
            .collect()
    }

    #[test]
    fn regular_csv_with_quotes_and_quoted_newlines() {
        let p = read("a,b\n1,\"x,y\"\n2,\"say \"\"hi\"\"\nthere\"\n3,z\n");
        assert_eq!(p.table.headers, ["a", "b"]);
        assert_eq!(
            cells(&p),
            [
                vec![Some("1"), Some("x,y")],
                vec![Some("2"), Some("say \"hi\"\nthere")],
                vec![Some("3"), Some("z")],
            ]
        );
        assert_eq!(p.table.locs, [2, 3, 5]);
        assert_eq!(codes(&p), [None, None, None]);
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_literal() {
        let p = read("id,size\n1,5\" screen\n2,7\n");
        assert_eq!(cells(&p)[0], [Some("1"), Some("5\" screen")]);
        assert_eq!(codes(&p), [None, None]);
    }

    #[test]
    fn an_unclosed_quote_closes_at_its_line_end_when_that_fits() {
        // Line 3 opens a quote it never closes; the rest of the file would be swallowed.
        let p = read("id,name\n1,a\n2,\"Organic Cotton\n3,c\n4,d\n");
        assert_eq!(
            cells(&p),
            [
                vec![Some("1"), Some("a")],
                vec![Some("2"), Some("Organic Cotton")],
                vec![Some("3"), Some("c")],
                vec![Some("4"), Some("d")],
            ]
        );
        assert_eq!(p.table.locs, [2, 3, 4, 5]);
    }

    #[test]
    fn an_unclosed_quote_that_does_not_fit_is_rejected_and_reading_resumes() {
        // Line 3 has one field too few once closed: rejected, raw line kept.
        let p = read("id,name,score\n1,a,9\n2,\"Organic\n3,c,7\n");
        assert_eq!(codes(&p), [None, Some("unclosed_quote"), None]);
        assert_eq!(p.table.locs, [2, 3, 4]);
        let m = p.table.malformed[1].as_ref().unwrap();
        assert_eq!(m.raw.as_deref(), Some("2,\"Organic"));
        assert_eq!(cells(&p)[2], [Some("3"), Some("c"), Some("7")]);
    }

    #[test]
    fn an_unclosed_quote_before_a_delimiter_is_read_as_a_literal_when_that_fits() {
        // `"Organic Cotton` never closes; closed at the line end the record has 2 fields,
        // with the quote taken literally it has the header's 3.
        let p = read("id,name,score\n1,a,9\n2,\"Organic Cotton,7\n3,c,7\n");
        assert_eq!(codes(&p), [None, None, None]);
        assert_eq!(
            cells(&p)[1],
            [Some("2"), Some("\"Organic Cotton"), Some("7")]
        );
        assert_eq!(p.table.locs, [2, 3, 4]);
    }

    #[test]
    fn field_counts_and_trailing_delimiters() {
        let p = read("a,b,c\n1,2\n1,2,3,4\n1,2,3,\n");
        assert_eq!(
            codes(&p),
            [Some("field_count"), Some("too_many_fields"), None]
        );
        assert_eq!(
            p.table.malformed[1].as_ref().unwrap().raw.as_deref(),
            Some("1,2,3,4")
        );
        // A trailing delimiter on every line, header included: an empty last column.
        let p = read("a,b,\n1,2,\n3,4,\n");
        assert_eq!(p.table.headers, ["a", "b", ""]);
        assert_eq!(codes(&p), [None, None]);
        assert_eq!(cells(&p)[1], [Some("3"), Some("4"), None]);
    }

    #[test]
    fn line_ends_blank_lines_nul_and_spaces() {
        let p = read("a,b\r1,2\r\n\r\n3, \"x,y\"\n4,5\0\n");
        assert_eq!(
            cells(&p),
            [
                vec![Some("1"), Some("2")],
                vec![Some("3"), Some("x,y")],
                vec![Some("4"), Some("5")],
            ]
        );
        assert_eq!(p.table.locs, [2, 4, 5]);
    }

    #[test]
    fn a_line_of_empty_quotes_is_a_record() {
        // Found by the fuzzer: `""` in a one-column file is an empty answer, not a blank line.
        let p = read("score\n\"\"\n9\n");
        assert_eq!(cells(&p), [vec![None], vec![Some("9")]]);
    }

    #[test]
    fn backslash_escaped_quotes() {
        let p = read("a,b\n1,\"say \\\"hi\\\"\"\n2,\"C:\\dir\\\"\n");
        assert_eq!(cells(&p)[0][1], Some("say \"hi\""));
        assert_eq!(cells(&p)[1][1], Some("C:\\dir\\"));
        // Clean CSV wins (found by the fuzzer): `\` then `""` is a backslash and a quote.
        let p = read("a,b\n1,\"n\\\"\"10\"\n");
        assert_eq!(cells(&p)[0][1], Some("n\\\"10"));
    }

    #[test]
    fn preamble_and_footer_lines_are_skipped() {
        let p = read("Survey export\nExported 2025-01-31\na,b,c\n1,2,3\n4,5,6\n7,8,9\nTotal: 3\n");
        assert_eq!(p.table.headers, ["a", "b", "c"]);
        assert_eq!(p.table.rows.len(), 3);
        assert_eq!(p.table.locs, [4, 5, 6]);
        assert_eq!(p.preamble.iter().map(|x| x.0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(p.footer, [(7, "Total: 3".to_string())]);
        let w = p.warnings("t.csv");
        assert!(w[0].contains("skipped 2 lines before the header"), "{w:?}");
        assert!(w[1].contains("line 7 \"Total: 3\""), "{w:?}");
    }

    #[test]
    fn a_short_last_data_row_is_no_footer() {
        let p = read("id,a,b,c\nr1,1,2,3\nr2,1,2\n");
        assert!(p.footer.is_empty());
        assert_eq!(codes(&p), [None, Some("field_count")]);
    }

    #[test]
    fn invalid_utf8_is_a_reject_when_rare_and_an_error_when_common() {
        let mut text = b"a,b\n".to_vec();
        for i in 0..150 {
            text.extend_from_slice(format!("{i},x\n").as_bytes());
        }
        text.extend_from_slice(b"9,\xff\n");
        let p = parse(&text, b',', 1, "t.csv").unwrap();
        assert_eq!(
            p.table.malformed[150].as_ref().unwrap().code,
            "invalid_utf8"
        );
        let e = parse(b"a,b\n1,\xff\n2,x\n", b',', 1, "t.csv").unwrap_err();
        assert!(e.to_string().contains("--encoding latin1"), "{e}");
    }

    use proptest::prelude::*;

    const SEED: &[u8] =
        b"id,score,comment\n1,9,\"a,b\"\n2,7,\"say \"\"hi\"\"\nthere\"\r\n3,10,ok\n";

    proptest! {
        /// Random byte mutations of a small CSV never panic, and every record read is
        /// accounted: one line, one malformed mark and the header's width of cells per row,
        /// lines increasing.
        #[test]
        fn mutations_never_panic_and_every_record_is_accounted(
            edits in proptest::collection::vec((0usize..64, prop::sample::select(
                vec![b'"', b',', b'\n', b'\r', b'\\', 0u8, 0xff, b' ', b'x', b';'])), 0..8),
            cut in 0usize..80,
        ) {
            let mut text = SEED.to_vec();
            for (at, byte) in edits {
                let at = at % (text.len() + 1);
                if at.is_multiple_of(2) {
                    text.insert(at, byte);
                } else if at < text.len() {
                    text[at] = byte;
                }
            }
            text.truncate(cut.max(1).min(text.len()));
            if let Ok(p) = parse(&text, b',', 1, "m.csv") {
                let t = &p.table;
                prop_assert_eq!(t.rows.len(), t.locs.len());
                prop_assert_eq!(t.rows.len(), t.malformed.len());
                for row in &t.rows {
                    prop_assert_eq!(row.len(), t.headers.len());
                }
                prop_assert!(t.locs.windows(2).all(|w| w[0] < w[1]), "{:?}", t.locs);
                let lines = 1 + breaks(&text);
                prop_assert!(t.locs.iter().all(|&l| l >= 1 && l <= lines));
            }
        }
    }
}
