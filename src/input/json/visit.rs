//! The one-pass parallel reader of NDJSON inputs (SPEC 8), the JSON counterpart of
//! [`crate::input::fast`]: the mapped file is cut into pieces of whole lines, parsed on
//! every core; each record's needed fields (text borrowed from the file where it needs no
//! unescaping; other fields checked but not turned into text) go to a visitor as the same
//! [`Cells`] the CSV reader gives, and each piece's pages are released once it is read.
//!
//! Records are named and unwrapped exactly as the frame reader does ([`Builder::push_rec`]:
//! nested objects as dotted names, wrapped records unwrapped), so the visitor sees the cells
//! the frame would hold. Anything that reader handles differently (a line that is not a
//! JSON object, bytes that are not UTF-8, a line holding an API page) ends the pass: the
//! caller takes the frame reader's path, which reports it.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::flat::{self, Val};
use super::{doc, DocCuts};
use super::{trim, wrapped_cells, wrapper_of, Check, KeyText, Kind, Rec, TopSeed, PAGE_KEYS};
use crate::input::fast::{threads, Cells, Irregular, Mapped};
use crate::input::{Format, Source};

/// Whether an input is NDJSON read lazily (no table in memory: no metric sets to join, no
/// preset's derived columns).
pub fn eligible(src: &Source) -> bool {
    let lazy = src.table.is_none() && src.json_nonnull.is_some();
    match src.format {
        Format::Ndjson => lazy,
        // A document whose records array the open step cut (not one record).
        Format::Json => lazy && src.json_cuts.is_some(),
        _ => false,
    }
}

/// [`crate::input::fast::visit_inputs`] for NDJSON inputs: `needed(f)` are positions among
/// input `f`'s column names. `None` when an input cannot be read this way (see the module).
pub fn visit_inputs<S: Send>(
    sources: &[Source],
    needed: impl Fn(usize) -> Vec<usize>,
    init: impl Fn(usize, usize) -> S + Sync,
    visit: impl Fn(usize, &mut S, &Cells<'_>) + Sync,
) -> Option<Vec<(Vec<S>, u64)>> {
    let mut out = Vec::with_capacity(sources.len());
    for (f, src) in sources.iter().enumerate() {
        if !eligible(src) {
            return None;
        }
        let names: Vec<&str> = needed(f)
            .iter()
            .map(|&i| src.headers.get(i).map(String::as_str))
            .collect::<Option<_>>()?;
        let map = Mapped::open(&src.path)?;
        // Opened by its head: every record is checked against the head's columns.
        let known: Option<Known> = (!src.checked).then(|| {
            let nn = src.json_nonnull.as_deref().unwrap_or_default();
            src.headers
                .iter()
                .enumerate()
                .map(|(i, h)| (h.clone(), nn.get(i).copied().unwrap_or(false)))
                .collect()
        });
        let read = match &src.json_cuts {
            Some(cuts) if src.format == Format::Json => visit_document(
                &map,
                cuts,
                &names,
                |piece| init(f, piece),
                |st, c| visit(f, st, c),
            ),
            _ => visit_mapped(
                &map,
                &names,
                known.as_ref(),
                |piece| init(f, piece),
                |st, c| visit(f, st, c),
                |_, _| {},
                None,
            ),
        };
        out.push(read.ok()?);
    }
    Some(out)
}

/// Pieces of at most this many bytes (and at least 4 per thread).
const PIECE: usize = 8 << 20;
/// A piece is read (checked as UTF-8, visited, released) in blocks of about this many bytes.
const RELEASE_EVERY: usize = 256 << 10;

/// Every record of the mapped NDJSON text, in pieces (`parts`: forced by tests); per piece
/// its state and records, in file order. The pieces depend only on the file and the number
/// of threads, so a second pass gives each record the same piece and position.
#[allow(clippy::too_many_arguments)]
fn visit_mapped<S: Send>(
    map: &Mapped,
    names: &[&str],
    known: Option<&Known>,
    init: impl Fn(usize) -> S + Sync,
    visit: impl Fn(&mut S, &Cells<'_>) + Sync,
    on_line: impl Fn(&mut S, u64) + Sync,
    parts: Option<usize>,
) -> Result<(Vec<S>, u64), Irregular> {
    let all = map.bytes();
    let bom = all.len() - crate::input::read::strip_bom(all).len();
    let bytes = &all[bom..];
    let parts = parts.unwrap_or(ndjson_parts(bytes.len()));
    let cuts = super::line_cuts(bytes, parts);
    let (slots_of, want) = slots(names);
    let names_len = names.len();
    crate::progress::reading(bytes.len() as u64);
    let out = crate::input::fast::on_pieces(parts, &init, |k, state| {
        let text = &bytes[cuts[k]..cuts[k + 1]];
        let names = Names {
            slots_of: &slots_of,
            known,
        };
        let at = cuts[k] + bom;
        let release = |from: usize, to: usize| map.release(at + from, at + to);
        let mut reader = Reader::new(names_len, &names, &want);
        let result = piece(text, &mut reader, state, &visit, &on_line, &release);
        map.release(cuts[k] + bom, cuts[k + 1] + bom);
        crate::progress::advance(text.len() as u64);
        result
    });
    crate::progress::read_done();
    out
}

/// The pieces an NDJSON text of `len` bytes is read in (at least 4 per thread).
fn ndjson_parts(len: usize) -> usize {
    if len < 1 << 20 {
        1
    } else {
        (threads() * 4).max(len.div_ceil(PIECE))
    }
}

/// For the rejects pass: every record of an NDJSON input the open step read in full (no
/// metric sets, no preset's columns), every cell of it (`src.headers`, in order) and its
/// line (1-based, as the careful reader numbers it) to `visit`; per piece its state, in file
/// order. `None` when the input is not such a file or a line is not what the frame reader
/// reads the same way (the careful reader then reads it).
pub fn visit_lines<S: Send>(
    src: &Source,
    init: impl Fn() -> S + Sync,
    visit: impl Fn(&mut S, &Cells<'_>, u64) + Sync,
) -> Option<Vec<S>> {
    if src.format != Format::Ndjson || !eligible(src) || !src.checked {
        return None;
    }
    let map = Mapped::open(&src.path)?;
    let all = map.bytes();
    let bytes = crate::input::read::strip_bom(all);
    let bom = all.len() - bytes.len();
    let cuts = super::line_cuts(bytes, ndjson_parts(bytes.len()));
    // The lines before each piece (each piece's pages released once counted: memory
    // follows the piece, not the file).
    let mut before = Vec::with_capacity(cuts.len());
    let mut lines = 0u64;
    for w in cuts.windows(2) {
        before.push(lines);
        lines += memchr::memchr_iter(b'\n', &bytes[w[0]..w[1]]).count() as u64;
        map.release(bom + w[0], bom + w[1]);
    }
    let names: Vec<&str> = src.headers.iter().map(String::as_str).collect();
    // A piece's state, its first line and the line in it of the record being read.
    let (states, _) = visit_mapped(
        &map,
        &names,
        None,
        |k| (init(), before.get(k).copied().unwrap_or(0), 0u64),
        |st, c| visit(&mut st.0, c, st.1 + st.2 + 1),
        |st, line| st.2 = line,
        None,
    )
    .ok()?;
    Some(states.into_iter().map(|(s, _, _)| s).collect())
}

/// The names → cell slots of `names` (a name may be asked for twice), and the set of them.
fn slots(names: &[&str]) -> (FxHashMap<String, Vec<usize>>, Arc<FxHashSet<String>>) {
    let mut slots_of: FxHashMap<String, Vec<usize>> = FxHashMap::default();
    for (k, n) in names.iter().enumerate() {
        slots_of.entry(n.to_string()).or_default().push(k);
    }
    let want = Arc::new(slots_of.keys().cloned().collect());
    (slots_of, want)
}

/// Every record of the mapped JSON document: its records array as the open step's scan cut
/// it ([`super::names_by_scan`]), in pieces of elements parsed on every core, each piece's
/// pages released once it is read.
fn visit_document<S: Send>(
    map: &Mapped,
    cuts: &DocCuts,
    names: &[&str],
    init: impl Fn(usize) -> S + Sync,
    visit: impl Fn(&mut S, &Cells<'_>) + Sync,
) -> Result<(Vec<S>, u64), Irregular> {
    let all = map.bytes();
    let bom = all.len() - crate::input::read::strip_bom(all).len();
    let text = &all[bom..];
    let (mut starts, end) = cuts.clone();
    if starts.is_empty() {
        starts.push(end);
    }
    if end > text.len() {
        return Err(Irregular);
    }
    crate::progress::reading(text.len() as u64);
    let width = names.len();
    let (slots_of, want) = slots(names);
    let names = Names {
        slots_of: &slots_of,
        known: None,
    };
    let out = crate::input::fast::on_pieces(starts.len(), &init, |k, state| {
        let span = (starts[k], starts.get(k + 1).copied().unwrap_or(end));
        let release = |from: usize, to: usize| map.release(bom + from, bom + to);
        let mut reader = Reader::new(width, &names, &want);
        let read = doc_piece(text, span, &mut reader, state, &visit, &release);
        crate::progress::advance((span.1 - span.0) as u64);
        read
    });
    crate::progress::read_done();
    out
}

/// Where the k-th cell of the previous record went: records of one export list their keys
/// in the same order, so most names are found without hashing.
struct Hint {
    name: String,
    /// The cell slots of the name (empty: not needed).
    slots: Vec<usize>,
    /// What a source opened by its head allows under the name.
    allows: Allows,
}

/// What the head of a source opened by its head ([`super::open_json_head`]) allows under a
/// name; anything else ends the pass (the full open step decides).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Allows {
    /// Any value: the head has a value under it (or the source was opened in full).
    Any,
    /// Only null: every record of the head has null under it.
    Null,
    /// Nothing: the head has no such name.
    Nothing,
}

/// The head's names of a source opened by its head, and whether each holds a value there.
type Known = FxHashMap<String, bool>;

/// How the names of a record are placed: the cell slots of each needed name, and the head's
/// names when the source was opened by its head.
struct Names<'a> {
    slots_of: &'a FxHashMap<String, Vec<usize>>,
    known: Option<&'a Known>,
}

impl Names<'_> {
    fn hint(&self, name: &str) -> Hint {
        Hint {
            slots: self.slots_of.get(name).cloned().unwrap_or_default(),
            name: name.to_string(),
            allows: match self.known.map(|k| k.get(name)) {
                None => Allows::Any,
                Some(Some(true)) => Allows::Any,
                Some(Some(false)) => Allows::Null,
                Some(None) => Allows::Nothing,
            },
        }
    }

    /// The hint of the `n`-th name of a record, made anew when the previous record had
    /// another name there.
    fn place<'h>(&self, hints: &'h mut Vec<Hint>, n: usize, name: &str) -> &'h Hint {
        if hints.get(n).is_none_or(|h| h.name != name) {
            let h = self.hint(name);
            if n < hints.len() {
                hints[n] = h;
            } else {
                hints.push(h);
            }
        }
        &hints[n]
    }
}

impl Hint {
    /// Whether a value (null or not) is allowed under the name.
    fn allows(&self, null: bool) -> bool {
        match self.allows {
            Allows::Any => true,
            Allows::Null => null,
            Allows::Nothing => false,
        }
    }
}

/// What [`FlatSeed`] found.
enum Flat {
    /// A flat object: its cells are set.
    Done,
    /// An object with a nested object: to be read by the general reader.
    Nested,
    /// Not an object, or an API page.
    Other,
    /// A name or a value the head of a source opened by its head did not have.
    Unknown,
}

/// Reads a flat record straight into the cells: each key is a column name (found through
/// the hints), each value one cell. Stops being useful at the first nested object (the
/// record may be a wrapper, and its names are dotted): the rest is only checked, and the
/// line is read again by the general reader.
struct FlatSeed<'a, 't> {
    hints: &'a mut Vec<Hint>,
    names: &'a Names<'a>,
    cells: &'a mut [Option<Cow<'t, str>>],
}

impl<'de> DeserializeSeed<'de> for FlatSeed<'_, 'de> {
    type Value = Flat;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Flat, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FlatSeed<'_, 'de> {
    type Value = Flat;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Flat, E> {
        Ok(Flat::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Flat, E> {
        Ok(Flat::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Flat, E> {
        Ok(Flat::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Flat, E> {
        Ok(Flat::Other)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Flat, E> {
        Ok(Flat::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Flat, E> {
        Ok(Flat::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Flat, A::Error> {
        while seq.next_element_seed(Check)?.is_some() {}
        Ok(Flat::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Flat, A::Error> {
        let mut n = 0usize;
        let mut out = Flat::Done;
        while let Some(key) = map.next_key_seed(KeyText)? {
            if !matches!(out, Flat::Done) {
                map.next_value_seed(Check)?;
                continue;
            }
            let h = self.names.place(self.hints, n, &key);
            n += 1;
            let kind = map.next_value_seed(CellSeed {
                slots: &h.slots,
                cells: self.cells,
            })?;
            match kind {
                Kind::Map => out = Flat::Nested,
                Kind::Array if PAGE_KEYS.contains(&&*key) || key == "data" => out = Flat::Other,
                _ if !h.allows(kind == Kind::Null) => out = Flat::Unknown,
                _ => {}
            }
        }
        Ok(out)
    }
}

/// One value of a flat record, written to the cells of its name (`slots`; none when the
/// name is not needed, then the value is checked only): text as [`super::ValueSeed`] makes
/// it. A nested object is only checked (the record is read again).
struct CellSeed<'a, 't> {
    slots: &'a [usize],
    cells: &'a mut [Option<Cow<'t, str>>],
}

impl<'t> CellSeed<'_, 't> {
    fn set(self, v: Option<Cow<'t, str>>) {
        if let Some((&last, rest)) = self.slots.split_last() {
            for &s in rest {
                self.cells[s] = v.clone();
            }
            self.cells[last] = v;
        }
    }

    fn set_with(self, text: impl FnOnce() -> Option<String>) {
        if !self.slots.is_empty() {
            self.set(text().map(Cow::Owned));
        }
    }
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_, 'de> {
    type Value = Kind;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_, 'de> {
    type Value = Kind;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Kind, E> {
        self.set_with(|| Some(v.to_string()));
        Ok(Kind::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Kind, E> {
        self.set_with(|| Some(v.to_string()));
        Ok(Kind::Other)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kind, E> {
        self.set_with(|| Some(v.to_string()));
        Ok(Kind::Other)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Kind, E> {
        self.set_with(|| serde_json::Number::from_f64(v).map(|n| n.to_string()));
        Ok(Kind::Other)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Kind, E> {
        self.set(Some(Cow::Borrowed(v)));
        Ok(Kind::Other)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        self.set_with(|| Some(v.to_owned()));
        Ok(Kind::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        self.set(None);
        Ok(Kind::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        if self.slots.is_empty() {
            while seq.next_element_seed(Check)?.is_some() {}
            return Ok(Kind::Array);
        }
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            items.push(v);
        }
        self.set(Some(Cow::Owned(
            serde_json::Value::Array(items).to_string(),
        )));
        Ok(Kind::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        while map.next_key_seed(Check)?.is_some() {
            map.next_value_seed(Check)?;
        }
        Ok(Kind::Map)
    }
}

/// Reads records (NDJSON lines or a document's array elements) into the cells of the needed
/// names, with the buffers of one piece.
struct Reader<'t, 'n> {
    names: &'n Names<'n>,
    rec: Rec<'t>,
    cells: Vec<Option<Cow<'t, str>>>,
    hints: Vec<Hint>,
}

impl<'t, 'n> Reader<'t, 'n> {
    fn new(width: usize, names: &'n Names<'n>, want: &Arc<FxHashSet<String>>) -> Self {
        Reader {
            names,
            rec: Rec {
                want: Some(want.clone()),
                ..Default::default()
            },
            cells: vec![None; width],
            hints: Vec::new(),
        }
    }

    /// One record (trimmed text) to `visit`; `Irregular` for anything the frame reader
    /// handles otherwise (see the module) or a source opened by its head did not show.
    fn record<S>(
        &mut self,
        line: &'t str,
        state: &mut S,
        visit: &impl Fn(&mut S, &Cells<'_>),
    ) -> Result<(), Irregular> {
        let Reader {
            names,
            rec,
            cells,
            hints,
        } = self;
        let names: &Names<'_> = names;
        for c in cells.iter_mut() {
            *c = None;
        }
        // The usual record, read by the strict reader: a flat object whose needed values
        // have their text as they stand.
        let mut n = 0usize;
        if flat::fields(line, |key, val| {
            let h = names.place(hints, n, key);
            n += 1;
            if h.allows != Allows::Any && !h.allows(val == Val::Null) {
                return false;
            }
            if h.slots.is_empty() {
                return true;
            }
            let v = match val {
                Val::Str(s) | Val::Int(s) => Some(Cow::Borrowed(s)),
                Val::Bool(true) => Some(Cow::Borrowed("true")),
                Val::Bool(false) => Some(Cow::Borrowed("false")),
                Val::Null => None,
                // Its text is serde_json's to make.
                Val::Opaque => return false,
            };
            for &s in &h.slots {
                cells[s] = v.clone();
            }
            true
        }) {
            visit(state, cells);
            return Ok(());
        }
        for c in cells.iter_mut() {
            *c = None;
        }
        // A flat record: its keys are its names, matched to the cells while it is parsed.
        // One with a nested object is parsed again below.
        let mut de = serde_json::Deserializer::from_str(line);
        let flat = FlatSeed {
            hints,
            names,
            cells,
        };
        match flat.deserialize(&mut de).and_then(|k| {
            de.end()?;
            Ok(k)
        }) {
            Ok(Flat::Done) => {
                visit(state, cells);
                return Ok(());
            }
            Ok(Flat::Nested) => {}
            // Not an object, broken, or an API page on a line; or not what the head had.
            Ok(Flat::Other | Flat::Unknown) | Err(_) => return Err(Irregular),
        }
        rec.clear();
        let mut de = serde_json::Deserializer::from_str(line);
        match TopSeed(rec).deserialize(&mut de).and_then(|k| {
            de.end()?;
            Ok(k)
        }) {
            Ok(None) if !rec.maybe_page() => {}
            // Not an object, broken, or an API page on a line.
            _ => return Err(Irregular),
        }
        for c in cells.iter_mut() {
            *c = None;
        }
        let Rec {
            names: text,
            cells: rc,
            tops,
            ..
        } = rec;
        let mut n = 0usize;
        let mut unknown = false;
        let mut place = |name: &str, k: usize| {
            let h = names.place(hints, n, name);
            n += 1;
            unknown |= !h.allows(rc[k].value.is_none());
            // A name given twice in a record: the later value, as in the frame.
            for &s in &h.slots {
                cells[s] = rc[k].value.clone();
            }
        };
        match wrapper_of(text, tops) {
            None => {
                for (k, c) in rc.iter().enumerate() {
                    place(&text[c.name.0..c.name.1], k);
                }
            }
            Some(wi) => {
                wrapped_cells(text, rc, tops, wi, &mut place);
                // A null beside the wrapper is a column of its name.
                if let Some(known) = names.known {
                    unknown |= tops.iter().any(|t| {
                        t.kind == Kind::Null && !known.contains_key(&text[t.name.0..t.name.1])
                    });
                }
            }
        }
        if unknown {
            return Err(Irregular);
        }
        visit(state, cells);
        Ok(())
    }
}

/// The records of one piece of whole lines: each line one object, given to `visit`.
fn piece<'t, S>(
    bytes: &'t [u8],
    reader: &mut Reader<'t, '_>,
    state: &mut S,
    visit: &impl Fn(&mut S, &Cells<'_>),
    on_line: &impl Fn(&mut S, u64),
    release: &dyn Fn(usize, usize),
) -> Result<u64, Irregular> {
    let mut rows = 0u64;
    let mut start = 0usize;
    // The line being read, from 0 (`on_line` gets it before its record is visited).
    let mut line = 0u64;
    // The piece is read in blocks of whole lines, each checked as UTF-8 (a block that is
    // not is the frame reader's case) and, once visited, released: a pass holds little
    // more than the block it reads (no page of the piece is touched before its turn).
    let (mut block, mut block_at) = ("", 0usize);
    while start < bytes.len() {
        if start >= block_at + block.len() {
            if start > 0 {
                release(block_at, start);
            }
            let to = (start + RELEASE_EVERY).min(bytes.len());
            let end = memchr::memchr(b'\n', &bytes[to..]).map_or(bytes.len(), |o| to + o + 1);
            block = simdutf8::basic::from_utf8(&bytes[start..end]).map_err(|_| Irregular)?;
            block_at = start;
        }
        let block_end = block_at + block.len();
        let end = memchr::memchr(b'\n', &bytes[start..block_end]).map_or(block_end, |o| start + o);
        let raw = &bytes[start..end];
        start = end + 1;
        line += 1;
        let l = trim(raw);
        if l.is_empty() {
            continue;
        }
        on_line(state, line - 1);
        // `trim` removes ASCII bytes only: the line is UTF-8 as its block is.
        let at = l.as_ptr() as usize - bytes.as_ptr() as usize - block_at;
        reader.record(&block[at..at + l.len()], state, visit)?;
        rows += 1;
    }
    Ok(rows)
}

/// The records of one piece of a document's records array (`[from, to)` of `text`, whole
/// elements), given to `visit`; the piece is checked as UTF-8 and released once read.
fn doc_piece<'t, S>(
    text: &'t [u8],
    (from, to): (usize, usize),
    reader: &mut Reader<'t, '_>,
    state: &mut S,
    visit: &impl Fn(&mut S, &Cells<'_>),
    release: &dyn Fn(usize, usize),
) -> Result<u64, Irregular> {
    let piece = simdutf8::basic::from_utf8(&text[from..to]).map_err(|_| Irregular)?;
    let elements = doc::elements(text, from, to).ok_or(Irregular)?;
    for &(s, e) in &elements {
        reader.record(&piece[s - from..e - from], state, visit)?;
    }
    release(from, to);
    Ok(elements.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cells of every record as the visitor gets them, cut into `parts` pieces.
    fn cells_of(text: &str, names: &[&str], parts: usize) -> Option<Vec<Vec<Option<String>>>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.ndjson");
        std::fs::write(&p, text).unwrap();
        let map = Mapped::open(&p).unwrap();
        let (states, rows) = visit_mapped(
            &map,
            names,
            None,
            |_| Vec::new(),
            |s: &mut Vec<Vec<Option<String>>>, c| {
                s.push(c.iter().map(|x| x.as_deref().map(str::to_string)).collect())
            },
            |_, _| {},
            Some(parts),
        )
        .ok()?;
        let out: Vec<_> = states.into_iter().flatten().collect();
        assert_eq!(out.len() as u64, rows);
        Some(out)
    }

    fn row(v: &[Option<&str>]) -> Vec<Option<String>> {
        v.iter().map(|x| x.map(str::to_string)).collect()
    }

    #[test]
    fn cells_are_named_like_the_frame_whatever_the_pieces() {
        let text = concat!(
            "\u{feff}{\"id\": 1, \"via\": {\"channel\": \"web\"}, \"tags\": [1, 2], \"n\": 2.50}\n",
            "\n",
            "  {\"ticket\": {\"id\": \"2\", \"via\": {\"channel\": \"a\\\"b\"}}, \"meta\": {\"x\": true}}\r\n",
            "{\"id\": null, \"via\": {}, \"tags\": [\"\\ud83d\\ude00\"], \"n\": \"\"}\n",
            "{\"id\": 4, \"id\": 5, \"n\": -3}\n",
            "{\"i\\u0064\": 6, \"n\": null, \"via\": {\"channel\": \"x\"}, \"id\": null}\n",
            "{\"id\": 7, \"meta.x\": false, \"meta\": {\"x\": \"nested\"}}",
        );
        let names = ["id", "via.channel", "n", "meta.x", "id", "tags"];
        let want = vec![
            row(&[
                Some("1"),
                Some("web"),
                Some("2.5"),
                None,
                Some("1"),
                Some("[1,2]"),
            ]),
            row(&[Some("2"), Some("a\"b"), None, Some("true"), Some("2"), None]),
            row(&[None, None, Some(""), None, None, Some("[\"😀\"]")]),
            row(&[Some("5"), None, Some("-3"), None, Some("5"), None]),
            // An escaped key, then the same name again with null: the later value.
            row(&[None, Some("x"), None, None, None, None]),
            // A dotted key and a nested object giving the same name: the later one.
            row(&[Some("7"), None, None, Some("nested"), Some("7"), None]),
        ];
        for parts in [1, 2, 3, 5, 40] {
            assert_eq!(cells_of(text, &names, parts).unwrap(), want, "{parts}");
        }
    }

    #[test]
    fn lines_the_frame_reader_handles_otherwise_end_the_pass() {
        for bad in [
            "{\"id\": 1}\nnot json\n",
            "{\"id\": 1}\n[1, 2]\n",
            "{\"id\": 1}\n{\"id\": 2\n",
            "{\"id\": 1}\n{\"tickets\": [{\"id\": 2}]}\n",
            "{\"id\": 1}\n{\"object\": \"list\", \"data\": [{\"id\": 2}]}\n",
            "{\"id\": 1}\n{\"via\": {\"a\": 1}, \"data\": []}\n",
            "{\"id\": 1}\n{\"id\": 1, \"x\": {\"a\": \"\\ud800\"}}\n",
            "{\"id\": 1}\n{\"id\": \"\\ud800\"}\n",
            "{\"id\": 1}\n{\"id\": 1, \"t\": [\"\\ud800\"]}\n",
            "{\"id\": 1} {\"id\": 2}\n",
        ] {
            assert!(cells_of(bad, &["id"], 1).is_none(), "{bad:?}");
        }
        let mut latin = b"{\"id\": 1}\n{\"id\": \"".to_vec();
        latin.extend_from_slice(b"caf\xe9\"}\n");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.ndjson");
        std::fs::write(&p, &latin).unwrap();
        let map = Mapped::open(&p).unwrap();
        let got = visit_mapped(&map, &["id"], None, |_| (), |_, _| {}, |_, _| {}, Some(1));
        assert!(got.is_err());
    }

    #[test]
    fn a_source_opened_by_its_head_ends_the_pass_at_what_the_head_lacked() {
        let known: Known = [("id", true), ("x", false), ("ticket.id", true)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let pass = |text: &str, parts: usize| {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("t.ndjson");
            std::fs::write(&p, text).unwrap();
            let map = Mapped::open(&p).unwrap();
            visit_mapped(
                &map,
                &["id"],
                Some(&known),
                |_| (),
                |_, _| {},
                |_, _| {},
                Some(parts),
            )
            .map(|(_, rows)| rows)
            .ok()
        };
        // What the head had: read through, whichever reader takes the line.
        let fine = concat!(
            "{\"id\": 1, \"x\": null}\n",
            "{\"id\": 2.5, \"x\": null}\n",
            "{\"ticket\": {\"id\": 3}}\n",
            "{\"id\": \"a\\u0062\", \"x\": null}\n",
        );
        for parts in [1, 3] {
            assert_eq!(pass(fine, parts), Some(4));
        }
        for bad in [
            // A name the head did not have, by each reader.
            "{\"id\": 1, \"y\": 2}\n",
            "{\"id\": 1.5, \"y\": 2}\n",
            "{\"id\": 1, \"y\": {\"z\": 1}}\n",
            "{\"ticket\": {\"id\": 3}, \"y\": null}\n",
            // A value under a name that was null throughout the head.
            "{\"id\": 1, \"x\": 0}\n",
            "{\"id\": 1.5, \"x\": \"\"}\n",
            "{\"id\": {\"a\": 1}, \"x\": []}\n",
        ] {
            let text = format!("{fine}{bad}");
            assert_eq!(pass(&text, 1), None, "{bad:?}");
        }
    }
}
