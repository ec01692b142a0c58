//! JSON inputs: arrays, NDJSON, API pages (`{"tickets": […]}`, Stripe lists, Chargebee
//! lists), wrapped single records and Zendesk side-loaded `metric_sets`, flattened into a
//! [`Table`] of text cells (nested objects become dotted names).
//!
//! Records are read one at a time and appended to the table as they are parsed: a serde
//! visitor flattens each record straight into cells (no `serde_json::Value` of the record,
//! let alone of the document). NDJSON is read in blocks of lines ([`block_bytes`]) whose
//! lines are parsed in parallel; a JSON document (array or API page) is parsed element by
//! element from a memory map of the file. A line of NDJSON that is not a JSON object is a
//! rejected row (`invalid_json`); a document that is cut off or broken is an error naming
//! the byte offset. No message of serde reaches the user.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use polars::prelude::{PlSmallStr, StringChunked, StringChunkedBuilder};

use crate::error::err;
use crate::fail;
use crate::input::read::{io_reason, strip_bom, Format, LocKind, Malformed, Table};

mod doc;
pub mod flat;
pub mod visit;

/// Text of a JSON value as a cell: strings as they are, numbers and booleans as written,
/// null as no value, arrays and objects as compact JSON.
pub fn json_cell(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// Keys of an API response object that hold its records, in order of preference (Zendesk
/// `tickets` / `satisfaction_ratings`, Intercom `conversations`, Stripe `data`, Chargebee
/// `list`, Delighted and others).
const ENVELOPES: &[&str] = &[
    "tickets",
    "conversations",
    "subscriptions",
    "satisfaction_ratings",
    "survey_responses",
    "responses",
    "data",
    "list",
    "results",
    "items",
    "records",
];

/// Keys that wrap one record: `{"ticket": {…}}` (Zendesk full JSON export, single-ticket
/// API calls), `{"subscription": {…}, "customer": {…}}` (Chargebee list entries),
/// `{"satisfaction_rating": {…}}` (Zendesk's single-rating API call).
const WRAPPERS: &[&str] = &[
    "ticket",
    "subscription",
    "conversation",
    "survey_response",
    "satisfaction_rating",
];

fn is_object_array(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.iter().all(Value::is_object))
}

/// Keys that surely hold a page of records, also on an NDJSON line.
const PAGE_KEYS: &[&str] = &[
    "tickets",
    "conversations",
    "subscriptions",
    "satisfaction_ratings",
    "survey_responses",
];

/// The key holding the records of an object that is an API response (`{"tickets": […]}`,
/// `{"object": "list", "data": […]}`). `loose` (a whole JSON file) also accepts the other
/// [`ENVELOPES`] names.
fn envelope_key(o: &serde_json::Map<String, Value>, loose: bool) -> Option<String> {
    let holds = |k: &str| o.get(k).is_some_and(is_object_array);
    if let Some(k) = PAGE_KEYS.iter().find(|k| holds(k)) {
        return Some(k.to_string());
    }
    let stripe_list = o.get("object").and_then(Value::as_str) == Some("list");
    if (stripe_list || loose) && holds("data") {
        return Some("data".into());
    }
    if !loose {
        return None;
    }
    ENVELOPES.iter().find(|k| holds(k)).map(|k| k.to_string())
}

/// Take the records out of an API response object (see [`envelope_key`]); Zendesk's
/// side-loaded `metric_sets` are attached to their tickets as `metric_set`.
fn envelope_records(o: &mut serde_json::Map<String, Value>, loose: bool) -> Option<Vec<Value>> {
    let key = envelope_key(o, loose)?;
    let Some(Value::Array(mut records)) = o.remove(&key) else {
        return None;
    };
    if key == "tickets" {
        if let Some(Value::Array(sets)) = o.remove("metric_sets") {
            // The k-th copy of a ticket (time-based exports repeat tickets) gets the k-th
            // metric set of that ticket, else the last one.
            let mut by_ticket: std::collections::HashMap<String, Vec<Value>> =
                std::collections::HashMap::new();
            for m in sets {
                if let Some(id) = m.get("ticket_id").and_then(json_cell) {
                    by_ticket.entry(id).or_default().push(m);
                }
            }
            let mut taken: std::collections::HashMap<String, usize> =
                std::collections::HashMap::new();
            for r in records.iter_mut() {
                if let Value::Object(t) = r {
                    let Some(id) = t.get("id").and_then(json_cell) else {
                        continue;
                    };
                    if let Some(list) = by_ticket.get(&id) {
                        let k = taken.entry(id).or_insert(0);
                        let m = list[(*k).min(list.len() - 1)].clone();
                        *k += 1;
                        t.entry("metric_set").or_insert(m);
                    }
                }
            }
        }
    }
    Some(records)
}

/// Nested objects become dotted names (`via.channel`, `statistics.first_admin_reply_at`);
/// arrays stay compact JSON text.
fn flatten_into(
    prefix: &str,
    o: serde_json::Map<String, Value>,
    out: &mut serde_json::Map<String, Value>,
) {
    for (k, v) in o {
        let name = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => flatten_into(&name, inner, out),
            other => {
                out.insert(name, other);
            }
        }
    }
}

/// One record as flat cells: a wrapped record (`{"ticket": {…}}`, every other key an object
/// too) is unwrapped (its other keys keep their name as a prefix), and nested objects are
/// flattened.
fn flat_record(mut o: serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    // A record with values of its own (an Intercom conversation whose `ticket` is an
    // object) is not a wrapper: its nested objects only flatten.
    let own_values = o
        .values()
        .any(|v| !matches!(v, Value::Object(_) | Value::Null));
    let wrapper = WRAPPERS
        .iter()
        .find(|k| matches!(o.get(**k), Some(Value::Object(_))))
        .filter(|_| !own_values);
    if let Some(w) = wrapper {
        if let Some(Value::Object(inner)) = o.remove(*w) {
            flatten_into("", inner, &mut out);
        }
        for (k, v) in o {
            match v {
                Value::Object(inner) => flatten_into(&k, inner, &mut out),
                other => {
                    out.entry(k).or_insert(other);
                }
            }
        }
        return out;
    }
    flatten_into("", o, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// One record, flattened while it is parsed.

/// What a JSON value was, as far as unwrapping records and finding pages needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Map,
    Array,
    Null,
    Other,
}

/// One cell of a record: its dotted name (a range of [`Rec::names`]) and its text.
/// Text that needs no unescaping is borrowed from the input, so a cell that is not kept
/// costs no allocation.
struct Cell<'de> {
    name: (usize, usize),
    value: Option<Cow<'de, str>>,
}

/// One top-level key of a record: its name, its cells and what its value was.
struct Top {
    name: (usize, usize),
    cells: (usize, usize),
    kind: Kind,
}

/// The flat cells of the record being parsed. The buffers are reused from record to record
/// (names live in one string), so a record costs at most one allocation per kept cell.
#[derive(Default)]
struct Rec<'de> {
    /// The dotted name of the value being parsed.
    path: String,
    names: String,
    cells: Vec<Cell<'de>>,
    tops: Vec<Top>,
    /// The names whose values are read (`None`: every name). A number, boolean, escaped
    /// string or array under another name is checked but not turned into text (an empty
    /// text stands for it); a name is kept when it or its part after the first dot (a
    /// wrapped record's name) is listed.
    want: Option<Arc<rustc_hash::FxHashSet<String>>>,
    /// The open step's flat record: each key and whether its value is not null.
    keys: Vec<(Cow<'de, str>, bool)>,
}

impl<'de> Rec<'de> {
    fn clear(&mut self) {
        self.keys.clear();
        self.path.clear();
        self.names.clear();
        self.cells.clear();
        self.tops.clear();
    }

    /// A record for a reader keeping what `mode` says: the open step reads no value (it
    /// only needs to know which are null), a projection only its columns.
    fn for_mode(mode: &Mode) -> Rec<'de> {
        let want = match mode {
            Mode::Full => None,
            Mode::Names => Some(Arc::default()),
            Mode::Project(keep) => Some(Arc::new(keep.keys().cloned().collect())),
        };
        Rec {
            want,
            ..Default::default()
        }
    }

    /// Whether the value at the current path is read (see [`Rec::want`]).
    fn wanted(&self) -> bool {
        match &self.want {
            None => true,
            Some(w) => {
                w.contains(self.path.as_str())
                    || self
                        .path
                        .split_once('.')
                        .is_some_and(|(_, r)| w.contains(r))
            }
        }
    }

    /// A cell whose text is made only when it is read; a value that is not read is an
    /// empty text (not null: the open step tells null from other values).
    fn leaf_with(&mut self, text: impl FnOnce() -> Option<String>) {
        let v = if self.wanted() {
            text().map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(""))
        };
        self.leaf(v);
    }

    fn leaf(&mut self, value: Option<Cow<'de, str>>) {
        let s = self.names.len();
        self.names.push_str(&self.path);
        self.cells.push(Cell {
            name: (s, self.names.len()),
            value,
        });
    }

    /// Whether the record looks like an API page (`{"tickets": […]}`, a Stripe list), which
    /// the page logic decides on the whole value.
    fn maybe_page(&self) -> bool {
        self.tops.iter().any(|t| {
            let n = &self.names[t.name.0..t.name.1];
            t.kind == Kind::Array && (PAGE_KEYS.contains(&n) || n == "data")
        })
    }
}

/// Appends a map key to the current path.
struct KeySeed<'p>(&'p mut String);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push_str(v);
        Ok(())
    }
}

/// A value at the current path: scalars become one cell, nested objects more cells with
/// dotted names, arrays one cell of compact JSON text.
struct ValueSeed<'r, 'de>(&'r mut Rec<'de>);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = Kind;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = Kind;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Kind, E> {
        self.0.leaf_with(|| Some(v.to_string()));
        Ok(Kind::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Kind, E> {
        self.0.leaf_with(|| Some(v.to_string()));
        Ok(Kind::Other)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kind, E> {
        self.0.leaf_with(|| Some(v.to_string()));
        Ok(Kind::Other)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Kind, E> {
        // Written as serde_json writes a number it read (`9.0`, `1.5`).
        self.0
            .leaf_with(|| serde_json::Number::from_f64(v).map(|n| n.to_string()));
        Ok(Kind::Other)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Kind, E> {
        self.0.leaf(Some(Cow::Borrowed(v)));
        Ok(Kind::Other)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        self.0.leaf_with(|| Some(v.to_owned()));
        Ok(Kind::Other)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Kind, E> {
        self.0.leaf_with(|| Some(v));
        Ok(Kind::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        self.0.leaf(None);
        Ok(Kind::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        if !self.0.wanted() {
            // Parsed as fully as a kept array (an error is the same error), but not kept.
            while seq.next_element_seed(Check)?.is_some() {}
            self.0.leaf(Some(Cow::Borrowed("")));
            return Ok(Kind::Array);
        }
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        self.0
            .leaf(Some(Cow::Owned(Value::Array(items).to_string())));
        Ok(Kind::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let rec = self.0;
        let base = rec.path.len();
        let mut n = 0usize;
        loop {
            if base > 0 {
                rec.path.push('.');
            }
            if map.next_key_seed(KeySeed(&mut rec.path))?.is_none() {
                break;
            }
            n += 1;
            map.next_value_seed(ValueSeed(rec))?;
            rec.path.truncate(base);
        }
        rec.path.truncate(base);
        if n == 0 {
            rec.leaf(Some(Cow::Borrowed("{}")));
        }
        Ok(Kind::Map)
    }
}

/// A value parsed (strings unescaped, numbers read) and dropped: the same checks as
/// reading it into a `serde_json::Value`, without keeping it.
struct Check;

impl<'de> DeserializeSeed<'de> for Check {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Check)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Check)?.is_some() {
            map.next_value_seed(Check)?;
        }
        Ok(())
    }
}

/// A key, borrowed from the text unless it holds escapes.
struct KeyText;

impl<'de> DeserializeSeed<'de> for KeyText {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyText {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// A record: an object is flattened into the [`Rec`] (`Ok(None)`); anything else is
/// skipped and named (`Ok(Some("a number"))`).
struct TopSeed<'r, 'de>(&'r mut Rec<'de>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, 'de> {
    type Value = Option<&'static str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, 'de> {
    type Value = Option<&'static str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Some("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Some("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Some("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Some("null"))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Some("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Some("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let rec = self.0;
        loop {
            rec.path.clear();
            if map.next_key_seed(KeySeed(&mut rec.path))?.is_none() {
                break;
            }
            let s = rec.names.len();
            rec.names.push_str(&rec.path);
            let name = (s, rec.names.len());
            let c0 = rec.cells.len();
            let kind = map.next_value_seed(ValueSeed(rec))?;
            rec.tops.push(Top {
                name,
                cells: (c0, rec.cells.len()),
                kind,
            });
        }
        rec.path.clear();
        Ok(None)
    }
}

/// The top-level key that wraps the parsed record (`{"ticket": {…}}`, every other key an
/// object or null too), if it is one. A record with values of its own (an Intercom
/// conversation whose `ticket` is an object) is not a wrapper: its nested objects only
/// flatten.
fn wrapper_of(names: &str, tops: &[Top]) -> Option<usize> {
    let own_values = tops
        .iter()
        .any(|t| !matches!(t.kind, Kind::Map | Kind::Null));
    if own_values {
        return None;
    }
    WRAPPERS.iter().find_map(|w| {
        tops.iter()
            .position(|t| t.kind == Kind::Map && &names[t.name.0..t.name.1] == *w)
    })
}

/// The cells of a wrapped record (wrapper `wi`, see [`wrapper_of`]) as `(name, cell)`, in
/// row order: the wrapper's cells go first and lose its name; the other objects' cells keep
/// theirs. An empty object gives no cell.
fn wrapped_cells<'n>(
    names: &'n str,
    cells: &[Cell<'_>],
    tops: &[Top],
    wi: usize,
    mut out: impl FnMut(&'n str, usize),
) {
    let others = tops.iter().enumerate().filter(|&(j, _)| j != wi);
    let order = std::iter::once((wi, &tops[wi])).chain(others);
    for (j, t) in order.filter(|(_, t)| t.kind == Kind::Map) {
        let top_len = t.name.1 - t.name.0;
        let strip = if j == wi { top_len + 1 } else { 0 };
        let range = t.cells.0..t.cells.1;
        for (k, c) in cells[range.clone()].iter().enumerate() {
            let k = range.start + k;
            let name = &names[c.name.0..c.name.1];
            if name.len() > top_len {
                out(&name[strip..], k);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The table, built as records arrive.

/// What a reader keeps of the records it parses.
#[derive(Clone, Default)]
enum Mode {
    /// Every cell, as a [`Table`].
    #[default]
    Full,
    /// Only the column names, the number of records, where they are and which columns
    /// ever hold a value: the open step, before the needed columns are known.
    Names,
    /// Only the named columns (name → output position), appended straight to polars
    /// string columns.
    Project(Arc<HashMap<String, usize>>),
}

/// A [`Table`] (or, by [`Mode`], less) under construction: rows are appended as records are
/// parsed; a record's new names become new columns (earlier rows read them as empty).
#[derive(Default)]
struct Builder {
    mode: Mode,
    headers: Vec<String>,
    index: HashMap<String, usize>,
    rows: Vec<Vec<Option<String>>>,
    locs: Vec<u64>,
    malformed: Vec<Option<Box<Malformed>>>,
    /// `Names`: the records that are not malformed (`locs` and `malformed` list only the
    /// malformed ones).
    unlisted: u64,
    /// The column of the k-th cell of the previous record: records of one export list
    /// their keys in the same order, so most names are found without hashing.
    hint: Vec<usize>,
    /// `Names`: whether each column holds a value in some record.
    nonnull: Vec<bool>,
    /// `Project`: the output position of each column, if it is kept.
    kept: Vec<Option<usize>>,
    /// `Project`: the columns being built, the finished parts, and the cell of the current
    /// record that goes to each output position.
    cur: Vec<StringChunkedBuilder>,
    done: Vec<Vec<StringChunked>>,
    slot: Vec<Option<usize>>,
    /// A JSON document's records array, cut between elements by the open step's scan.
    cuts: Option<DocCuts>,
}

/// A JSON document's records array cut into pieces of whole elements: where each piece
/// starts (in the text after any BOM) and where the last element ends.
pub type DocCuts = (Vec<usize>, usize);

fn put(row: &mut Vec<Option<String>>, i: usize, v: Option<String>) {
    if i >= row.len() {
        row.resize(i + 1, None);
    }
    row[i] = v;
}

impl Builder {
    fn new(mode: Mode) -> Builder {
        Builder::with_capacity(mode, 1024)
    }

    /// A builder for about `records` records (the columns are sized for them).
    fn with_capacity(mode: Mode, records: usize) -> Builder {
        let width = match &mode {
            Mode::Project(keep) => keep.len(),
            _ => 0,
        };
        Builder {
            mode,
            cur: (0..width)
                .map(|_| StringChunkedBuilder::new(PlSmallStr::EMPTY, records))
                .collect(),
            done: vec![Vec::new(); width],
            slot: vec![None; width],
            ..Default::default()
        }
    }

    fn col(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.headers.len();
        self.headers.push(name.to_string());
        self.index.insert(name.to_string(), i);
        self.nonnull.push(false);
        let k = match &self.mode {
            Mode::Project(keep) => keep.get(name).copied(),
            _ => None,
        };
        self.kept.push(k);
        i
    }

    fn records(&self) -> usize {
        self.locs.len() + self.unlisted as usize
    }

    /// Where a record that is not malformed is: `Names` only counts it (the open step keeps
    /// no list growing with the file but the malformed records).
    fn push_loc(&mut self, loc: u64) {
        if let Mode::Names = self.mode {
            self.unlisted += 1;
        } else {
            self.locs.push(loc);
            self.malformed.push(None);
        }
    }

    /// Append the parsed record: a wrapped record (`{"ticket": {…}}`, every other key an
    /// object too) is unwrapped, its other keys keeping their name as a prefix.
    fn push_rec(&mut self, rec: &mut Rec, loc: u64) {
        let Rec {
            names, cells, tops, ..
        } = rec;
        // (column, cell) of each cell that lands in the row, in order.
        let mut assign: Vec<(usize, usize)> = Vec::with_capacity(cells.len());
        match wrapper_of(names, tops) {
            None => {
                for (k, c) in cells.iter().enumerate() {
                    let name = &names[c.name.0..c.name.1];
                    let i = match self.hint.get(k) {
                        Some(&i) if self.headers[i] == name => i,
                        _ => {
                            let i = self.col(name);
                            if k < self.hint.len() {
                                self.hint[k] = i;
                            } else {
                                self.hint.push(i);
                            }
                            i
                        }
                    };
                    assign.push((i, k));
                }
            }
            Some(wi) => {
                wrapped_cells(names, cells, tops, wi, |name, k| {
                    let i = self.col(name);
                    assign.push((i, k));
                });
                // A null beside the wrapper is an empty column of its name.
                for t in tops.iter().filter(|t| t.kind == Kind::Null) {
                    self.col(&names[t.name.0..t.name.1]);
                }
            }
        }
        match &self.mode {
            Mode::Full => {
                let mut row: Vec<Option<String>> = Vec::with_capacity(self.headers.len());
                for (i, k) in assign {
                    put(&mut row, i, cells[k].value.take().map(Cow::into_owned));
                }
                self.rows.push(row);
            }
            Mode::Names => {
                for (i, k) in assign {
                    if cells[k].value.is_some() {
                        self.nonnull[i] = true;
                    }
                }
            }
            Mode::Project(_) => {
                self.slot.iter_mut().for_each(|x| *x = None);
                for (i, k) in assign {
                    if let Some(o) = self.kept[i] {
                        self.slot[o] = Some(k);
                    }
                }
                for (o, b) in self.cur.iter_mut().enumerate() {
                    b.append_option(self.slot[o].and_then(|k| cells[k].value.as_deref()));
                }
            }
        }
        self.push_loc(loc);
    }

    /// `Names`: append a flat record read by the strict reader ([`flat::fields`]; as
    /// [`Builder::push_rec`] does: its keys are its names).
    fn push_flat_names(&mut self, keys: &[(Cow<'_, str>, bool)], loc: u64) {
        for (k, (name, value)) in keys.iter().enumerate() {
            let i = match self.hint.get(k) {
                Some(&i) if self.headers[i] == *name => i,
                _ => {
                    let i = self.col(name);
                    if k < self.hint.len() {
                        self.hint[k] = i;
                    } else {
                        self.hint.push(i);
                    }
                    i
                }
            };
            if *value {
                self.nonnull[i] = true;
            }
        }
        self.push_loc(loc);
    }

    /// Append a record parsed as a `serde_json` map (API pages found on an NDJSON line, a
    /// document that is one record).
    fn push_map(&mut self, o: serde_json::Map<String, Value>, loc: u64) {
        let cells: Vec<(usize, Option<String>)> = flat_record(o)
            .into_iter()
            .map(|(k, v)| (self.col(&k), json_cell(&v)))
            .collect();
        match &self.mode {
            Mode::Full => {
                let mut row: Vec<Option<String>> = Vec::with_capacity(self.headers.len());
                for (i, v) in cells {
                    put(&mut row, i, v);
                }
                self.rows.push(row);
            }
            Mode::Names => {
                for (i, v) in cells {
                    if v.is_some() {
                        self.nonnull[i] = true;
                    }
                }
            }
            Mode::Project(_) => {
                let mut vals: Vec<Option<String>> = vec![None; self.cur.len()];
                for (i, v) in cells {
                    if let Some(o) = self.kept[i] {
                        vals[o] = v;
                    }
                }
                for (b, v) in self.cur.iter_mut().zip(vals) {
                    b.append_option(v);
                }
            }
        }
        self.push_loc(loc);
    }

    fn push_malformed(&mut self, loc: u64, m: Box<Malformed>) {
        match self.mode {
            Mode::Full => self.rows.push(Vec::new()),
            Mode::Names => {}
            Mode::Project(_) => self.cur.iter_mut().for_each(|b| b.append_null()),
        }
        self.locs.push(loc);
        self.malformed.push(Some(m));
    }

    /// `Project`: finish the columns being built into a part.
    fn seal(&mut self) {
        for (o, b) in self.cur.iter_mut().enumerate() {
            let full = std::mem::replace(b, StringChunkedBuilder::new(PlSmallStr::EMPTY, 1024));
            let ca = full.finish();
            if !ca.is_empty() {
                self.done[o].push(ca);
            }
        }
    }

    /// Append another builder's rows (the next block), matching its columns by name.
    fn append(&mut self, mut other: Builder) {
        let map: Vec<usize> = other.headers.iter().map(|h| self.col(h)).collect();
        for (i, &j) in map.iter().enumerate() {
            if other.nonnull[i] {
                self.nonnull[j] = true;
            }
        }
        if let Mode::Project(_) = self.mode {
            self.seal();
            other.seal();
            for (d, o) in self.done.iter_mut().zip(other.done) {
                d.extend(o);
            }
        }
        if map.iter().enumerate().all(|(i, &j)| i == j) {
            self.rows.extend(other.rows);
        } else {
            for row in other.rows {
                let mut r: Vec<Option<String>> = Vec::with_capacity(self.headers.len());
                for (i, v) in row.into_iter().enumerate() {
                    if v.is_some() {
                        put(&mut r, map[i], v);
                    }
                }
                self.rows.push(r);
            }
        }
        self.locs.extend(other.locs);
        self.malformed.extend(other.malformed);
        self.unlisted += other.unlisted;
    }

    /// Zendesk's side-loaded `metric_sets` (parsed as records into `sets`) attached to their
    /// tickets as `metric_set.*` columns, keyed by ticket id: the k-th copy of a ticket
    /// (time-based exports repeat tickets) gets the k-th metric set of that ticket, else the
    /// last one. A ticket that carries its own `metric_set` keeps it.
    fn join_metric_sets(&mut self, sets: Builder) {
        let Some(&tid) = sets.index.get("ticket_id") else {
            return;
        };
        let mut by_ticket: HashMap<&str, Vec<usize>> = HashMap::new();
        for (k, row) in sets.rows.iter().enumerate() {
            if let Some(Some(id)) = row.get(tid) {
                by_ticket.entry(id.as_str()).or_default().push(k);
            }
        }
        let Some(&id_col) = self.index.get("id") else {
            return;
        };
        let own: Vec<usize> = (0..self.headers.len())
            .filter(|&i| {
                let h = &self.headers[i];
                h == "metric_set" || h.starts_with("metric_set.")
            })
            .collect();
        let mut cols: Option<Vec<usize>> = None;
        let mut taken: HashMap<String, usize> = HashMap::new();
        for r in 0..self.rows.len() {
            let Some(Some(id)) = self.rows[r].get(id_col) else {
                continue;
            };
            let Some(list) = by_ticket.get(id.as_str()) else {
                continue;
            };
            let k = taken.entry(id.clone()).or_insert(0);
            let set = &sets.rows[list[(*k).min(list.len() - 1)]];
            *k += 1;
            if own
                .iter()
                .any(|&i| self.rows[r].get(i).is_some_and(Option::is_some))
            {
                continue;
            }
            let cols = cols.get_or_insert_with(|| {
                sets.headers
                    .iter()
                    .map(|h| self.col(&format!("metric_set.{h}")))
                    .collect()
            });
            let row = &mut self.rows[r];
            for (j, v) in set.iter().enumerate() {
                if v.is_some() {
                    put(row, cols[j], v.clone());
                }
            }
        }
    }

    fn finish(mut self) -> Table {
        let w = self.headers.len();
        for r in &mut self.rows {
            if r.len() < w {
                r.resize(w, None);
            }
        }
        Table {
            headers: self.headers,
            rows: self.rows,
            locs: self.locs,
            malformed: self.malformed,
        }
    }

    /// `Project`: the kept columns, in output order.
    fn finish_columns(mut self) -> Result<Vec<StringChunked>> {
        self.seal();
        let mut out = Vec::with_capacity(self.done.len());
        for parts in self.done {
            let mut it = parts.into_iter();
            let mut ca = it.next().unwrap_or_default();
            for p in it {
                ca.append(&p)
                    .map_err(|e| err(format!("internal: JSON column: {e}")))?;
            }
            out.push(ca);
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// Reading.

/// Bytes read per NDJSON block (default 8 MiB). `CXM_JSON_BLOCK_BYTES` (undocumented, for
/// tests) makes blocks small so that records and pages straddle them.
fn block_bytes() -> usize {
    crate::input::env_size("CXM_JSON_BLOCK_BYTES").unwrap_or(8 << 20)
}

/// What the open step learned about a JSON input whose cells are read later, by column
/// ([`read_columns`]) or whole ([`read_json`]).
pub struct JsonMeta {
    pub headers: Vec<String>,
    pub rows: u64,
    /// Whether each column holds a value in some record.
    pub nonnull: Vec<bool>,
    /// JSON or NDJSON, after sniffing the text.
    pub format: Format,
    pub loc_kind: LocKind,
    /// A JSON document's records array as the open step's scan cut it (`None`: NDJSON, or
    /// a document read by serde_json alone).
    pub cuts: Option<Arc<DocCuts>>,
}

/// An opened JSON input: its meta data only, or (when side-loaded `metric_sets` must be
/// joined to their tickets, which needs the cells) the whole table.
pub enum Opened {
    Lazy(JsonMeta),
    Table(Table, Format, LocKind),
}

fn loc_kind(format: Format) -> LocKind {
    if format == Format::Json {
        LocKind::Index
    } else {
        LocKind::Line
    }
}

/// Every record as text cells.
pub fn read_json(path: &Path, display: &str, format: Format) -> Result<(Table, LocKind)> {
    let (b, format, _) = read_with(path, display, format, Mode::Full)?;
    Ok((b.finish(), loc_kind(format)))
}

/// The open step: the column names, the number of records and which columns hold values,
/// without keeping cells (SPEC 8: memory follows the needed columns, read later).
pub fn open_json(path: &Path, display: &str, format: Format) -> Result<Opened> {
    let (b, format, needs_cells) = read_with(path, display, format, Mode::Names)?;
    if needs_cells {
        let (t, lk) = read_json(path, display, format)?;
        return Ok(Opened::Table(t, format, lk));
    }
    Ok(Opened::Lazy(JsonMeta {
        rows: b.records() as u64,
        headers: b.headers,
        nonnull: b.nonnull,
        format,
        loc_kind: loc_kind(format),
        cuts: b.cuts.map(Arc::new),
    }))
}

/// NDJSON files of at least this many bytes are opened by their head ([`open_json_head`]).
const HEAD_FROM: u64 = 8 << 20;
/// The head: the whole lines in this many first bytes.
const HEAD_BYTES: usize = 1 << 20;

/// The open step of a large NDJSON file whose head is regular: the column names, which of
/// them hold values and the number of records of its first whole lines (1 MiB), without
/// reading the rest. The one-pass reader ([`visit::visit_inputs`]) reads every record later
/// and ends its pass at a record with a name the head did not have, or a value under a name
/// that was null throughout the head; the full open step ([`open_json`]) then decides, and a
/// run whose columns it changes is run again with every input opened in full
/// ([`crate::input::read::Reopen`]). `None`: a small file, not NDJSON, or a head with a
/// broken line (the full open step reads it).
pub fn open_json_head(path: &Path, format: Format) -> Option<JsonMeta> {
    // `CXM_JSON_HEAD_BYTES` (undocumented, for tests): a head of that many bytes, for a
    // file of any size.
    let forced = crate::input::env_size("CXM_JSON_HEAD_BYTES");
    let file = File::open(path).ok()?;
    if forced.is_none() && file.metadata().ok()?.len() < HEAD_FROM {
        return None;
    }
    let mut head = vec![0u8; forced.unwrap_or(HEAD_BYTES)];
    let n = read_full(&mut &file, &mut head).ok()?;
    head.truncate(n);
    let text = strip_bom(&head);
    let format = match format {
        Format::Ndjson if !is_pretty_document(text) => Format::Ndjson,
        Format::Json if is_ndjson(text) => Format::Ndjson,
        _ => return None,
    };
    let whole = &text[..memchr::memrchr(b'\n', text)? + 1];
    let mut b = Builder::new(Mode::Names);
    piece_lines(whole, 0, &Mode::Names, &mut b);
    if !b.malformed.is_empty() || b.records() == 0 {
        return None;
    }
    Some(JsonMeta {
        rows: b.records() as u64,
        headers: b.headers,
        nonnull: b.nonnull,
        format,
        loc_kind: loc_kind(format),
        cuts: None,
    })
}

/// The columns of the last [`read_columns`] call: a later call for some of them on the same
/// file (a warning's second look at one column) is served without parsing again. The
/// columns share their buffers with the frame built from them.
type Cached = (
    std::path::PathBuf,
    Vec<String>,
    Vec<StringChunked>,
    Vec<bool>,
);
static LAST: std::sync::Mutex<Option<Cached>> = std::sync::Mutex::new(None);

/// Only the named columns of every record (absent names read as empty), as polars string
/// columns in the order given, and whether each record is malformed.
pub fn read_columns(
    path: &Path,
    display: &str,
    format: Format,
    names: &[String],
) -> Result<(Vec<StringChunked>, Vec<bool>)> {
    if let Ok(last) = LAST.lock() {
        if let Some((p, have, cols, flags)) = last.as_ref() {
            let pos: Option<Vec<usize>> = names
                .iter()
                .map(|n| have.iter().position(|h| h == n))
                .collect();
            if let (true, Some(pos)) = (p == path, pos) {
                return Ok((
                    pos.iter().map(|&k| cols[k].clone()).collect(),
                    flags.clone(),
                ));
            }
        }
    }
    let got = read_columns_uncached(path, display, format, names)?;
    if let Ok(mut last) = LAST.lock() {
        *last = Some((
            path.to_path_buf(),
            names.to_vec(),
            got.0.clone(),
            got.1.clone(),
        ));
    }
    Ok(got)
}

fn read_columns_uncached(
    path: &Path,
    display: &str,
    format: Format,
    names: &[String],
) -> Result<(Vec<StringChunked>, Vec<bool>)> {
    let keep: HashMap<String, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    if keep.len() == names.len() {
        let (b, _, needs_cells) = read_with(path, display, format, Mode::Project(Arc::new(keep)))?;
        if !needs_cells {
            let flags = b.malformed.iter().map(Option::is_some).collect();
            return Ok((b.finish_columns()?, flags));
        }
    }
    // Metric sets to join (or a name given twice): from the whole table.
    let (t, _) = read_json(path, display, format)?;
    let cols = names
        .iter()
        .map(|n| {
            let i = t.headers.iter().position(|h| h == n);
            let mut ca: StringChunked = t
                .rows
                .iter()
                .map(|r| i.and_then(|i| r.get(i)).and_then(|v| v.as_deref()))
                .collect();
            ca.rename(PlSmallStr::EMPTY);
            ca
        })
        .collect();
    Ok((cols, t.malformed_flags()))
}

/// Read the input keeping what `mode` says; also returns the format after sniffing and
/// whether the cells are needed to finish (metric sets to join, with a mode that does not
/// keep them).
fn read_with(
    path: &Path,
    display: &str,
    format: Format,
    mode: Mode,
) -> Result<(Builder, Format, bool)> {
    let file =
        File::open(path).map_err(|e| err(format!("{display}: cannot read: {}", io_reason(&e))))?;
    let len = file
        .metadata()
        .map_err(|e| err(format!("{display}: cannot read: {}", io_reason(&e))))?
        .len();
    if len == 0 {
        fail!("{display}: the JSON holds no records; export some rows (an empty array or API page has nothing to compute)");
    }
    // SAFETY: the map is only read; a file changed while it is read gives wrong cells or a
    // JSON error at worst.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| err(format!("{display}: cannot read: {}", io_reason(&e))))?;
    // A document sniffed as NDJSON (it starts with `{`) whose first lines are not whole JSON
    // values is one pretty-printed JSON object, e.g. an API page on standard input.
    // And a `.json` file whose first two lines are whole objects is NDJSON (Zendesk's full
    // JSON export, BigQuery exports).
    let format = match format {
        Format::Ndjson if is_pretty_document(strip_bom(&map)) => Format::Json,
        Format::Json if is_ndjson(strip_bom(&map)) => Format::Ndjson,
        f => f,
    };
    let scanned = (format == Format::Json && matches!(mode, Mode::Names))
        .then(|| names_by_scan(path))
        .flatten();
    let (b, needs_cells) = if let Some(b) = scanned {
        drop(map);
        (b, false)
    } else if format == Format::Json {
        let r = read_document(&map, display, mode)?;
        drop(map);
        r
    } else if matches!(mode, Mode::Names) {
        drop(map);
        let b = match crate::input::fast::Mapped::open(path) {
            Some(m) => read_ndjson_mapped(&m, mode),
            None => read_ndjson(file, display, mode)?,
        };
        check_ndjson(&b, display)?;
        (b, false)
    } else {
        drop(map);
        let b = read_ndjson(file, display, mode)?;
        check_ndjson(&b, display)?;
        (b, false)
    };
    if b.records() == 0 {
        fail!("{display}: the JSON holds no records; export some rows (an empty array or API page has nothing to compute)");
    }
    Ok((b, format, needs_cells))
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |e| e + 1);
    &b[s..e.max(s)]
}

/// Whether a text starting with `{` is one pretty-printed document rather than NDJSON:
/// neither of its first two non-blank lines is a whole JSON value. (One broken line among
/// whole ones is NDJSON with a broken line.)
fn is_pretty_document(bytes: &[u8]) -> bool {
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .map(trim)
        .filter(|l| !l.is_empty());
    let whole = |l: &[u8]| serde_json::from_slice::<IgnoredAny>(l).is_ok();
    match (lines.next(), lines.next()) {
        (Some(a), _) if whole(a) => false,
        (Some(_), Some(b)) => !whole(b),
        _ => true,
    }
}

/// Whether a text is NDJSON: its first two non-blank lines are whole JSON objects.
fn is_ndjson(bytes: &[u8]) -> bool {
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .map(trim)
        .filter(|l| !l.is_empty());
    let object = |l: &[u8]| l.starts_with(b"{") && serde_json::from_slice::<IgnoredAny>(l).is_ok();
    matches!((lines.next(), lines.next()), (Some(a), Some(b)) if object(a) && object(b))
}

/// NDJSON: blocks of whole lines are read in turn and the lines of a block parsed in
/// parallel; each line is one record (or, holding an API page, its records). A line that is
/// not a JSON object is a rejected row (`invalid_json`).
fn read_ndjson(file: File, display: &str, mode: Mode) -> Result<Builder> {
    let mut out = Builder::new(mode.clone());
    ndjson_blocks(file, display, |chunk, line0| {
        parse_lines(chunk, line0, &mode, &mut out);
        Ok(true)
    })?;
    Ok(out)
}

/// The text of an NDJSON file in blocks of whole lines (a BOM dropped), read in turn:
/// `f(block, line0)` gets each with the number of lines before it, and returns whether to
/// go on.
fn ndjson_blocks(
    mut file: File,
    display: &str,
    mut f: impl FnMut(&[u8], u64) -> Result<bool>,
) -> Result<()> {
    let block = block_bytes();
    let mut buf: Vec<u8> = Vec::new();
    // Lines before the start of `buf`.
    let mut line0: u64 = 0;
    let mut first = true;
    loop {
        let old = buf.len();
        buf.resize(old + block, 0);
        let n = read_full(&mut file, &mut buf[old..])
            .map_err(|e| err(format!("{display}: cannot read: {}", io_reason(&e))))?;
        buf.truncate(old + n);
        let eof = n < block;
        if first {
            first = false;
            if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                buf.drain(..3);
            }
        }
        // Whole lines only; a line longer than a block waits for the next read (the bytes
        // before `old` hold no line break).
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf[old.min(buf.len())..]) {
                Some(i) => old + i + 1,
                None => continue,
            }
        };
        let chunk = &buf[..cut];
        if !f(chunk, line0)? {
            return Ok(());
        }
        line0 += memchr::memchr_iter(b'\n', chunk).count() as u64;
        buf.drain(..cut);
        if eof {
            return Ok(());
        }
    }
}

/// Every record of the NDJSON file `path` as [`read_json`] gives it, a block of lines at a
/// time (for the rejects pass: memory follows the block, not the file): `f(first, table)`
/// gets the records from record `first` on, under the names met so far, `names` (the
/// file's, from its open step) first; it returns whether to go on.
pub fn ndjson_tables(
    path: &Path,
    display: &str,
    names: &[String],
    mut f: impl FnMut(usize, &Table) -> Result<bool>,
) -> Result<()> {
    let file =
        File::open(path).map_err(|e| err(format!("{display}: cannot read: {}", io_reason(&e))))?;
    let mut names: Vec<String> = names.to_vec();
    let mut first = 0usize;
    ndjson_blocks(file, display, |chunk, line0| {
        let mut b = Builder::new(Mode::Full);
        for name in &names {
            b.col(name);
        }
        parse_lines(chunk, line0, &Mode::Full, &mut b);
        names.clone_from(&b.headers);
        let t = b.finish();
        let go = f(first, &t)?;
        first += t.rows.len();
        Ok(go)
    })
}

/// Every record of the JSON document `path` as [`read_json`] gives it, a piece of its records
/// array at a time (`cuts`, from the open step's scan, which read every element as an
/// object; for the rejects pass: memory follows the piece, not the file): as
/// [`ndjson_tables`], each record numbered by its position in the array.
pub fn document_tables(
    path: &Path,
    display: &str,
    names: &[String],
    cuts: &DocCuts,
    mut f: impl FnMut(usize, &Table) -> Result<bool>,
) -> Result<()> {
    let changed = || {
        err(format!(
            "{display}: the file changed while it was read; run again"
        ))
    };
    let map = crate::input::fast::Mapped::open(path).ok_or_else(changed)?;
    let all = map.bytes();
    let bom = all.len() - strip_bom(all).len();
    let text = &all[bom..];
    let (starts, end) = cuts;
    if text.len() < *end {
        return Err(changed());
    }
    let mut names: Vec<String> = names.to_vec();
    let mut index = 0u64;
    for (k, &a) in starts.iter().enumerate() {
        let z = starts.get(k + 1).copied().unwrap_or(*end);
        let piece = simdutf8::basic::from_utf8(&text[a..z]).map_err(|_| changed())?;
        let elements = doc::elements(text, a, z).ok_or_else(changed)?;
        let mut b = Builder::new(Mode::Full);
        for name in &names {
            b.col(name);
        }
        let mut rec = Rec::for_mode(&Mode::Full);
        let first = index as usize;
        for (s, e) in elements {
            rec.clear();
            match parse_top(
                serde_json::Deserializer::from_str(&piece[s - a..e - a]),
                &mut rec,
            ) {
                Ok(None) => b.push_rec(&mut rec, index),
                _ => return Err(changed()),
            }
            index += 1;
        }
        map.release(bom + a, bom + z);
        names.clone_from(&b.headers);
        if !f(first, &b.finish())? {
            break;
        }
    }
    Ok(())
}

/// NDJSON on every core: the mapped text cut into pieces of whole lines (numbered from the
/// line breaks before them), each parsed as [`parse_lines`] parses a block, the pieces'
/// parts appended in order (so the table is the one [`read_ndjson`] builds); each piece's
/// pages are released once it is read.
fn read_ndjson_mapped(map: &crate::input::fast::Mapped, mode: Mode) -> Builder {
    use crate::input::fast::threads;
    let len = map.bytes().len();
    let parts = len
        .div_ceil(block_bytes())
        .max(if len < 1 << 20 { 1 } else { threads() * 4 });
    read_ndjson_pieces(map, mode, parts)
}

/// Where `parts` pieces of whole lines of NDJSON text start, and the text's end: after the
/// first line break at or after each even share (a line break always ends a record in
/// NDJSON: strings cannot hold one unescaped).
fn line_cuts(bytes: &[u8], parts: usize) -> Vec<usize> {
    let mut cuts = vec![0usize];
    for k in 1..parts {
        let raw = (bytes.len() * k / parts).max(*cuts.last().unwrap_or(&0));
        let cut = memchr::memchr(b'\n', &bytes[raw..]).map_or(bytes.len(), |o| raw + o + 1);
        cuts.push(cut);
    }
    cuts.push(bytes.len());
    cuts
}

/// [`read_ndjson_mapped`] in `parts` pieces.
fn read_ndjson_pieces(map: &crate::input::fast::Mapped, mode: Mode, parts: usize) -> Builder {
    let all = map.bytes();
    let bom = all.len() - strip_bom(all).len();
    let bytes = &all[bom..];
    let parts = parts.max(1);
    let cuts = line_cuts(bytes, parts);
    // Each piece numbers its lines from 0 (a first pass counting the line breaks would
    // bring the whole file into memory); its records' lines are moved by the line breaks
    // of the pieces before it when it is appended.
    let built: Vec<(Builder, u64)> = (0..parts)
        .into_par_iter()
        .map(|k| {
            let chunk = &bytes[cuts[k]..cuts[k + 1]];
            let mut b = Builder::new(mode.clone());
            let breaks = piece_lines(chunk, 0, &mode, &mut b);
            map.release(cuts[k] + bom, cuts[k + 1] + bom);
            (b, breaks)
        })
        .collect();
    let mut out = Builder::new(mode);
    let mut line0 = 0u64;
    for (mut b, breaks) in built {
        if line0 > 0 {
            b.locs.iter_mut().for_each(|l| *l += line0);
        }
        line0 += breaks;
        out.append(b);
    }
    out
}

/// The lines of one piece (the first is line `line0 + 1`), parsed in order into `out`;
/// returns its line breaks.
fn piece_lines(chunk: &[u8], line0: u64, mode: &Mode, out: &mut Builder) -> u64 {
    let text = simdutf8::basic::from_utf8(chunk).ok();
    let mut rec = Rec::for_mode(mode);
    let mut start = 0usize;
    let mut no = line0;
    for nl in memchr::memchr_iter(b'\n', chunk).chain(std::iter::once(chunk.len())) {
        if start > chunk.len() {
            break;
        }
        no += 1;
        let l = trim(&chunk[start..nl]);
        start = nl + 1;
        if l.is_empty() {
            continue;
        }
        let at = l.as_ptr() as usize - chunk.as_ptr() as usize;
        let ls = text.map(|t| &t[at..at + l.len()]);
        parse_line(l, ls, no, &mut rec, out);
    }
    // One more segment than line breaks (the text after the last one, maybe empty).
    no - line0 - 1
}

/// The checks of a whole NDJSON input once its lines are read.
fn check_ndjson(out: &Builder, display: &str) -> Result<()> {
    // A few lines with bytes that are not UTF-8 are rejected rows (`invalid_utf8`); more
    // than 1 % of them means another encoding (SPEC 4).
    let bad_utf8: Vec<u64> = out
        .malformed
        .iter()
        .zip(&out.locs)
        .filter(|(m, _)| m.as_ref().is_some_and(|m| m.code == "invalid_utf8"))
        .map(|(_, &l)| l)
        .collect();
    if !bad_utf8.is_empty() && bad_utf8.len() * 100 > out.records() {
        fail!(
            "{display}:{}: not valid UTF-8; pass --encoding latin1 (or cp1252) if the export uses that encoding",
            bad_utf8[0]
        );
    }
    if out.records() > 0 && out.unlisted == 0 && out.malformed.iter().all(Option::is_some) {
        let m = out.malformed[0]
            .as_ref()
            .map(|m| m.detail.clone())
            .unwrap_or_default();
        fail!(
            "{display}:{}: no line is a JSON object (this one is {m}); NDJSON needs one JSON object per line",
            out.locs[0]
        );
    }
    Ok(())
}

/// Fill `buf` from `r` (fewer bytes only at the end of the input).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Parse the lines of one block (the first is line `line0 + 1`) in parallel, in runs of
/// lines that each build their part of the table, and append the parts in order.
fn parse_lines(chunk: &[u8], line0: u64, mode: &Mode, out: &mut Builder) {
    let mut lines: Vec<(u64, &[u8])> = Vec::new();
    let mut start = 0usize;
    let mut no = line0;
    for nl in memchr::memchr_iter(b'\n', chunk).chain(std::iter::once(chunk.len())) {
        if start > chunk.len() {
            break;
        }
        no += 1;
        let l = trim(&chunk[start..nl]);
        if !l.is_empty() {
            lines.push((no, l));
        }
        start = nl + 1;
    }
    if lines.is_empty() {
        return;
    }
    let parts = rayon::current_num_threads().max(1) * 4;
    let run = lines.len().div_ceil(parts).max(64);
    // A block that is valid UTF-8 (the usual case) is checked once, not string by string.
    let text = std::str::from_utf8(chunk).ok();
    let base = chunk.as_ptr() as usize;
    let built: Vec<Builder> = lines
        .par_chunks(run)
        .map(|part| {
            let mut b = Builder::with_capacity(mode.clone(), part.len());
            let mut rec = Rec::for_mode(mode);
            for &(no, l) in part {
                let at = l.as_ptr() as usize - base;
                let ls = text.map(|t| &t[at..at + l.len()]);
                parse_line(l, ls, no, &mut rec, &mut b);
            }
            b
        })
        .collect();
    for b in built {
        out.append(b);
    }
}

/// The open step on a record the strict reader takes (a flat object): its keys are its
/// names, pushed to `b`. `false` for any other record (left to the general reader).
fn names_of_flat<'a>(t: &'a str, rec: &mut Rec<'a>, b: &mut Builder, loc: u64) -> bool {
    rec.keys.clear();
    let keys = &mut rec.keys;
    if !flat::fields(t, |k, v| {
        keys.push((Cow::Borrowed(k), v != flat::Val::Null));
        true
    }) {
        return false;
    }
    b.push_flat_names(&rec.keys, loc);
    true
}

/// One record from a deserializer, checking that nothing follows it.
fn parse_top<'a, R: serde_json::de::Read<'a>>(
    mut de: serde_json::Deserializer<R>,
    rec: &mut Rec<'a>,
) -> serde_json::Result<Option<&'static str>> {
    let k = TopSeed(rec).deserialize(&mut de)?;
    de.end()?;
    Ok(k)
}

/// One NDJSON line (`ls`: the same text when it is known to be UTF-8).
fn parse_line<'a>(l: &'a [u8], ls: Option<&'a str>, no: u64, rec: &mut Rec<'a>, b: &mut Builder) {
    if let (Mode::Names, Some(t)) = (&b.mode, ls) {
        // The open step on a flat record (the usual case): its keys are its names. Any
        // other line (nested, not an object, broken, a page, a `\u` escape) is read below.
        if names_of_flat(t, rec, b, no) {
            return;
        }
    }
    rec.clear();
    let got = match ls {
        Some(t) => parse_top(serde_json::Deserializer::from_str(t), rec),
        None => parse_top(serde_json::Deserializer::from_slice(l), rec),
    };
    let bad = |detail: String| {
        Box::new(Malformed {
            code: "invalid_json",
            detail,
            raw: Some(String::from_utf8_lossy(l).into_owned()),
        })
    };
    match got {
        Ok(None) if rec.maybe_page() => {
            // A line holding a whole API page (`{"tickets": […]}`) gives all its records.
            if let Ok(Value::Object(mut o)) = serde_json::from_slice::<Value>(l) {
                match envelope_records(&mut o, false) {
                    Some(records) => {
                        for r in records {
                            if let Value::Object(ro) = r {
                                b.push_map(ro, no);
                            }
                        }
                    }
                    None => b.push_map(o, no),
                }
            }
        }
        Ok(None) => b.push_rec(rec, no),
        Ok(Some(kind)) => {
            b.push_malformed(no, bad(format!("the line holds {kind}, not a JSON object")))
        }
        // serde_json checks the UTF-8 of strings (other bytes outside ASCII are syntax
        // errors), so only a line that fails is checked.
        Err(_) if std::str::from_utf8(l).is_err() => {
            let m = Malformed {
                code: "invalid_utf8",
                detail: "the line holds bytes that are not UTF-8".into(),
                raw: Some(String::from_utf8_lossy(l).into_owned()),
            };
            b.push_malformed(no, Box::new(m));
        }
        Err(e) => b.push_malformed(no, bad(line_problem(&e))),
    }
}

/// What is wrong with a JSON text, in plain words (never serde's message).
fn problem(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    if e.classify() == Category::Eof {
        return "the text ends before the JSON value is complete";
    }
    // serde_json's messages are matched only to choose our own words.
    let m = e.to_string();
    let words: &[(&str, &str)] = &[
        (
            "expected `,` or `}`",
            "a `,` or `}` is missing after a member of an object",
        ),
        (
            "expected `,` or `]`",
            "a `,` or `]` is missing after an element of an array",
        ),
        ("expected `:`", "a `:` is missing after a key"),
        (
            "key must be a string",
            "a key is not a string in double quotes",
        ),
        ("trailing comma", "a comma stands before a closing bracket"),
        (
            "trailing characters",
            "more text follows the end of the JSON value",
        ),
        (
            "control character",
            "a string holds a raw control character (a line break or tab inside quotes)",
        ),
        (
            "invalid escape",
            "a string holds an invalid backslash escape",
        ),
        ("invalid unicode", "a string holds an invalid \\u escape"),
        (
            "lone leading surrogate",
            "a string holds an invalid \\u escape",
        ),
        ("invalid number", "a number is written wrongly"),
        ("number out of range", "a number is out of range"),
        ("recursion limit", "the values are nested too deeply"),
        (
            "expected value",
            "a value is not JSON (a word without quotes?)",
        ),
        (
            "expected ident",
            "a value is not JSON (a word without quotes?)",
        ),
    ];
    words
        .iter()
        .find(|(k, _)| m.contains(k))
        .map_or("the JSON syntax is broken", |(_, w)| w)
}

fn line_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    if e.classify() == Category::Eof {
        return "not valid JSON: the line ends before its object is closed (cut off?)".into();
    }
    format!("not valid JSON at column {}: {}", e.column(), problem(e))
}

/// Where the parser of a JSON document is, for messages.
#[derive(Default)]
struct DocState {
    mode: Mode,
    /// The records read so far: the array's, or each envelope candidate's by key.
    array: Option<Builder>,
    candidates: Vec<(String, Builder, bool)>,
    stripe_list: bool,
    /// The record being read: the envelope key (empty for an array) and its index.
    at: Option<(String, u64)>,
    not_container: Option<&'static str>,
}

struct DocSeed<'s>(&'s mut DocState);

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Streams the elements of an array of records into a builder; `Ok(None)` for a value
/// that is not an array. The bool is false when some element was not an object.
struct RecordsSeed<'s> {
    st: &'s mut DocState,
    key: String,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = Option<(Builder, bool)>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn stream_records<'de, A: SeqAccess<'de>>(
    st: &mut DocState,
    key: &str,
    mut seq: A,
    strict: bool,
) -> Result<(Builder, bool), A::Error> {
    let mut b = Builder::new(st.mode.clone());
    let mut rec = Rec::for_mode(&st.mode);
    let mut all_objects = true;
    let mut i = 0u64;
    loop {
        st.at = Some((key.to_string(), i));
        rec.clear();
        match seq.next_element_seed(TopSeed(&mut rec))? {
            None => break,
            Some(None) => b.push_rec(&mut rec, i),
            Some(Some(kind)) => {
                if strict {
                    return Err(de::Error::custom(format!(
                        "[{i}]: expected an object, found {kind}; a JSON input must be an array of objects"
                    )));
                }
                all_objects = false;
            }
        }
        i += 1;
    }
    st.at = None;
    Ok((b, all_objects))
}

macro_rules! not_records {
    ($($m:ident: $t:ty),*) => {$(
        fn $m<E: de::Error>(self, _: $t) -> Result<Self::Value, E> {
            Ok(None)
        }
    )*};
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = Option<(Builder, bool)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }
    not_records!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        stream_records(self.st, &self.key, seq, false).map(Some)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.0.not_container = Some("a boolean");
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.0.not_container = Some("a number");
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.0.not_container = Some("a number");
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.0.not_container = Some("a number");
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.0.not_container = Some("a string");
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.not_container = Some("null");
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        match stream_records(self.0, "", seq, true) {
            Ok((b, _)) => {
                self.0.array = Some(b);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key::<String>()? {
            if ENVELOPES.contains(&key.as_str()) || key == "metric_sets" {
                let seed = RecordsSeed {
                    st,
                    key: key.clone(),
                };
                if let Some((b, ok)) = map.next_value_seed(seed)? {
                    st.candidates.push((key, b, ok));
                }
            } else if key == "object" {
                let v: Value = map.next_value()?;
                st.stripe_list = v.as_str() == Some("list");
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The open step of a JSON document whose records are an array (the document, or one of an
/// API page's keys) through the scan of [`doc::outline`]: the array is cut between elements
/// and the pieces' names read on every core, the pages released as they are passed (memory
/// does not follow the document's size). The records key is chosen as
/// [`read_document`] chooses it; the page's other values are checked as JSON. `None`
/// whenever the document is anything else or anything does not fit (a record that is not
/// an object or not valid JSON, metric sets to join, one record, bytes that are not UTF-8):
/// [`read_document`] then reads it and words any error.
fn names_by_scan(path: &Path) -> Option<Builder> {
    use crate::input::fast::{threads, Mapped};
    let timer = crate::progress::Timer::new();
    let map = Mapped::open(path)?;
    let all = map.bytes();
    let bom = all.len() - strip_bom(all).len();
    let text = &all[bom..];
    // `CXM_JSON_BLOCK_BYTES` (undocumented, for tests) makes pieces small.
    let piece = crate::input::env_size("CXM_JSON_BLOCK_BYTES")
        .unwrap_or((text.len() / (threads() * 4)).clamp(1 << 16, 8 << 20));
    let release = |from: usize, to: usize| map.release(bom + from, bom + to);
    let is_key = |k: &[u8]| ENVELOPES.iter().any(|e| e.as_bytes() == k) || k == b"metric_sets";
    let cuts = match doc::outline(text, piece, is_key, release)? {
        doc::Outline::Array(c) => c,
        doc::Outline::Object(members) => {
            fn key_of<'t>(m: &doc::Member<'t>) -> Option<&'t str> {
                std::str::from_utf8(m.key).ok()
            }
            // A key given twice, or metric sets (joined to their tickets by the reader that
            // keeps cells): the document reader's case.
            let mut keys: Vec<&str> = Vec::with_capacity(members.len());
            for m in &members {
                let k = key_of(m)?;
                if keys.contains(&k) || k == "metric_sets" {
                    return None;
                }
                keys.push(k);
            }
            let order = PAGE_KEYS.iter().chain(&["data"]).chain(ENVELOPES.iter());
            let chosen = order
                .filter_map(|k| {
                    members
                        .iter()
                        .position(|m| m.key == k.as_bytes() && m.cuts.is_some())
                })
                .next()?;
            // The other values are checked as the document reader checks them.
            for (k, m) in members.iter().enumerate() {
                if k != chosen
                    && serde_json::from_slice::<IgnoredAny>(&text[m.span.0..m.span.1]).is_err()
                {
                    return None;
                }
            }
            members.into_iter().nth(chosen)?.cuts?
        }
    };
    timer.mark("open: records found");
    let (mut starts, end) = cuts.clone();
    if starts.is_empty() {
        starts.push(end);
    }
    let parts: Vec<Option<Builder>> = (0..starts.len())
        .into_par_iter()
        .map(|k| {
            let (a, z) = (starts[k], starts.get(k + 1).copied().unwrap_or(end));
            let piece = simdutf8::basic::from_utf8(&text[a..z]).ok()?;
            let mut b = Builder::new(Mode::Names);
            let mut rec = Rec::for_mode(&Mode::Names);
            for (s, e) in doc::elements(text, a, z)? {
                let t = &piece[s - a..e - a];
                if names_of_flat(t, &mut rec, &mut b, 0) {
                    continue;
                }
                rec.clear();
                match parse_top(serde_json::Deserializer::from_str(t), &mut rec) {
                    Ok(None) => b.push_rec(&mut rec, 0),
                    _ => return None,
                }
            }
            release(a, z);
            Some(b)
        })
        .collect();
    let mut out = Builder::new(Mode::Names);
    for b in parts {
        out.append(b?);
    }
    out.cuts = Some(cuts);
    timer.mark("open: names read");
    Some(out)
}

/// A JSON document (an array of records, an API page or one record), parsed element by
/// element from the bytes of the file.
fn read_document(bytes: &[u8], display: &str, mode: Mode) -> Result<(Builder, bool)> {
    let bom = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let text = &bytes[bom..];
    // Checked as UTF-8 once, so strings need no check of their own.
    let text_str = match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(e) => {
            let line = memchr::memchr_iter(b'\n', &text[..e.valid_up_to()]).count() + 1;
            fail!("{display}:{line}: not valid UTF-8; pass --encoding latin1 (or cp1252) if the export uses that encoding");
        }
    };
    let mut st = DocState {
        mode: mode.clone(),
        ..Default::default()
    };
    let mut de = serde_json::Deserializer::from_str(text_str);
    let got = DocSeed(&mut st).deserialize(&mut de).and_then(|_| de.end());
    if let Err(e) = got {
        return Err(document_error(display, text, bom, &e, &st));
    }
    if let Some(kind) = st.not_container {
        fail!("{display}: the JSON is {kind}, not an array of objects; pass an array like [{{\"score\": 9}}, …]");
    }
    if let Some(b) = st.array.take() {
        return Ok((b, false));
    }
    // An object: an API page when one of the envelope keys holds records (in order of
    // preference), else one record.
    let order = PAGE_KEYS.iter().chain(&["data"]).chain(ENVELOPES.iter());
    let mut chosen = None;
    for k in order {
        if let Some(p) = st.candidates.iter().position(|(n, _, ok)| n == k && *ok) {
            chosen = Some(p);
            break;
        }
    }
    if let Some(p) = chosen {
        let (key, mut b, _) = st.candidates.swap_remove(p);
        if key == "tickets" {
            if let Some(p) = st
                .candidates
                .iter()
                .position(|(n, _, _)| n == "metric_sets")
            {
                if !matches!(mode, Mode::Full) {
                    return Ok((b, true));
                }
                let (_, sets, _) = st.candidates.swap_remove(p);
                b.join_metric_sets(sets);
            }
        }
        return Ok((b, false));
    }
    // A document that is one record (SPEC 5): a bare object (a single Stripe subscription
    // or Freshdesk ticket from the API) or one wrapped record such as {"ticket": {…}} or
    // {"satisfaction_rating": {…}}. It is small; it is read again as a whole.
    drop(st);
    let mut b = Builder::new(mode);
    if let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(text) {
        b.push_map(o, 0);
    }
    Ok((b, false))
}

/// The message for a JSON document that cannot be read: cut off (the byte where it ends
/// and the record it was in), or broken (the byte, line and column, in plain words).
fn document_error(
    display: &str,
    text: &[u8],
    bom: usize,
    e: &serde_json::Error,
    st: &DocState,
) -> anyhow::Error {
    use crate::output::table::thousands;
    use serde_json::error::Category;
    let inside = match &st.at {
        Some((k, i)) if k.is_empty() => format!("inside record [{i}]"),
        Some((k, i)) => format!("inside record [{i}] of \"{k}\""),
        None => "before its records were complete".to_string(),
    };
    match e.classify() {
        Category::Eof => err(format!(
            "{display}: the JSON ends at byte {} {inside}: the file is truncated; export it again",
            thousands((text.len() + bom) as u64)
        )),
        Category::Data => {
            // Our own message (an element that is not an object); serde adds a position.
            let m = e.to_string();
            let m = m.split(" at line ").next().unwrap_or_default();
            err(format!("{display}{m}"))
        }
        _ => {
            let (line, col) = (e.line(), e.column());
            let mut start = 0usize;
            for _ in 1..line {
                match memchr::memchr(b'\n', &text[start..]) {
                    Some(p) => start += p + 1,
                    None => break,
                }
            }
            let at = (start + col.saturating_sub(1) + bom) as u64;
            let m = e.to_string();
            if m.contains("trailing characters") {
                return err(format!(
                    "{display}:{line}: more JSON follows the end of the document at byte {}; a .json file holds one document: if it has one object per line (NDJSON), name it .ndjson or pass --input-format ndjson",
                    thousands(at)
                ));
            }
            let where_ = if st.at.is_some() {
                format!(" {inside}")
            } else {
                String::new()
            };
            err(format!(
                "{display}:{line}: invalid JSON at byte {} (line {line}, column {col}){where_}: {}; fix the file there or export it again",
                thousands(at),
                problem(e)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The open step, the projected read and the whole read agree on names, counts,
    /// malformed records and cells (wrapped records, pages on NDJSON lines, broken lines).
    #[test]
    fn projected_reads_match_the_whole_table() {
        let dir = tempfile::tempdir().unwrap();
        let nd = dir.path().join("x.ndjson");
        std::fs::write(
            &nd,
            concat!(
                "{\"id\": 1, \"via\": {\"channel\": \"web\"}, \"tags\": [1, 2]}\n",
                "{\"ticket\": {\"id\": 2, \"status\": \"open\"}}\n",
                "not json\n",
                "\n",
                "{\"tickets\": [{\"id\": 3}, {\"id\": \"4\", \"status\": null}]}\n",
                "{\"id\": 5.0, \"note\": \"a \\\"quoted\\\" word\"}\n",
                "{\"gone\": null, \"st\\u0061tus\": null, \"extra\": \"\", \"list\": [null]}\n",
            ),
        )
        .unwrap();
        let (t, _) = read_json(&nd, "x", Format::Ndjson).unwrap();
        let Opened::Lazy(meta) = open_json(&nd, "x", Format::Ndjson).unwrap() else {
            panic!("no metric sets: the open step keeps no cells")
        };
        assert_eq!(meta.headers, t.headers);
        assert_eq!(meta.rows, t.rows.len() as u64);
        assert_eq!(meta.rows, 7);
        let status = t.headers.iter().position(|h| h == "status").unwrap();
        assert!(meta.nonnull[status]);
        // Which columns ever hold a value: "" and [null] do, null does not.
        let nonnull = |n: &str| meta.nonnull[t.headers.iter().position(|h| h == n).unwrap()];
        assert!(nonnull("extra") && nonnull("list") && !nonnull("gone"));
        let names: Vec<String> = ["note", "id", "missing", "tags"].map(String::from).to_vec();
        let (cols, flags) = read_columns_uncached(&nd, "x", Format::Ndjson, &names).unwrap();
        assert_eq!(flags, t.malformed_flags());
        for (n, ca) in names.iter().zip(&cols) {
            let want: Vec<Option<String>> = match t.headers.iter().position(|h| h == n) {
                Some(i) => t.rows.iter().map(|r| r[i].clone()).collect(),
                None => vec![None; t.rows.len()],
            };
            let got: Vec<Option<String>> = ca.iter().map(|v| v.map(String::from)).collect();
            assert_eq!(got, want, "{n}");
        }
        let id = cols[1]
            .iter()
            .map(|v| v.map(String::from))
            .collect::<Vec<_>>();
        let want =
            ["1", "2", "", "3", "4", "5.0", ""].map(|x| (!x.is_empty()).then(|| x.to_string()));
        assert_eq!(id, want);
        assert_eq!(cols[0].get(5), Some("a \"quoted\" word"));
        assert_eq!(cols[3].get(0), Some("[1,2]"));
    }

    /// The open step's parallel pieces give the table of the block reader, wherever the
    /// cuts fall (broken lines, bytes that are not UTF-8, pages on lines, wrapped records,
    /// blank lines, CRLF, a BOM).
    #[test]
    fn ndjson_pieces_read_like_the_block_reader() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.ndjson");
        let mut text = b"\xEF\xBB\xBF".to_vec();
        for i in 0..40 {
            let line = match i % 8 {
                0 => format!("{{\"id\": {i}, \"a\": null}}\r\n"),
                1 => format!("{{\"ticket\": {{\"id\": {i}, \"via\": {{\"c\": \"w\"}}}}}}\n"),
                2 => "not json\n".to_string(),
                3 => "\n  \n".to_string(),
                4 => format!("{{\"tickets\": [{{\"id\": {i}}}, {{\"b{i}\": 1}}]}}\n"),
                5 => "{\"caf\u{e9}\": \"x\"}\n".to_string(),
                6 => format!("{{\"id\": \"{i}\", \"n{}\": [1]}}\n", i % 3),
                _ => "{\"id\": 1".to_string() + "\n",
            };
            text.extend_from_slice(line.as_bytes());
        }
        text.extend_from_slice(b"{\"bad\": \"\xff\"}\n{\"last\": true}");
        std::fs::write(&p, &text).unwrap();
        let want = read_ndjson(File::open(&p).unwrap(), "p", Mode::Names).unwrap();
        let map = crate::input::fast::Mapped::open(&p).unwrap();
        for parts in [1, 2, 3, 7, 50, 400] {
            let got = read_ndjson_pieces(&map, Mode::Names, parts);
            assert_eq!(got.headers, want.headers, "{parts}");
            assert_eq!(got.nonnull, want.nonnull, "{parts}");
            assert_eq!(got.locs, want.locs, "{parts}");
            assert_eq!(got.malformed, want.malformed, "{parts}");
            assert_eq!(got.records(), want.records(), "{parts}");
        }
        assert!(want
            .malformed
            .iter()
            .any(|m| m.as_ref().is_some_and(|m| m.code == "invalid_utf8")));
        assert!(
            want.headers.contains(&"b4".to_string()) && want.headers.contains(&"via.c".to_string())
        );
    }

    #[test]
    fn json_cells_keep_their_text() {
        assert_eq!(json_cell(&serde_json::json!(9)), Some("9".into()));
        assert_eq!(json_cell(&serde_json::json!(null)), None);
        assert_eq!(json_cell(&serde_json::json!(true)), Some("true".into()));
        assert_eq!(
            json_cell(&serde_json::json!({"a": 1})),
            Some("{\"a\":1}".into())
        );
    }

    fn flat(v: serde_json::Value) -> Vec<(String, Value)> {
        let Value::Object(o) = v else {
            panic!("not an object")
        };
        flat_record(o).into_iter().collect()
    }

    #[test]
    fn wrappers_unwrap_only_records_without_values_of_their_own() {
        // {"ticket": {…}} alone: unwrapped.
        let f = flat(serde_json::json!({"ticket": {"id": 7, "via": {"channel": "web"}}}));
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["id", "via.channel"]);
        // Chargebee: every key an object; the others keep their prefix.
        let f = flat(serde_json::json!({"subscription": {"id": "s"}, "customer": {"id": "c"}}));
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["id", "customer.id"]);
        // An Intercom conversation with a `ticket` object: a record, flattened.
        let f = flat(serde_json::json!({"id": "201", "ticket": {"id": "9"}}));
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["id", "ticket.id"]);
        assert_eq!(f[0].1, serde_json::json!("201"));
    }
}
