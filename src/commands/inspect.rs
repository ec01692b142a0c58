//! `cxm inspect FILE`: how cxm reads an export — per column the inferred type, blank cells and
//! sample values; the column mapping each dataset kind (surveys, tickets, subscriptions) would
//! use; and warnings about things that change results (repeated ids, timestamps cxm cannot
//! read, a BOM, a delimiter other than a comma, ambiguous mappings).
//!
//! Cells are read as text as the rejects pass reads them: a regular CSV file or a Parquet file
//! by the one-pass readers on every core ([`scan_in_one_pass`]), any other input (and any
//! with `--sample`) a chunk of rows at a time (`read::records_in_chunks`). A column's type
//! is the type of most of its non-blank values (see [`ColStats::kind`]).

use std::collections::HashSet;

use anyhow::Result;
use clap::Args;
use serde_json::{json, Map, Value};

use crate::error::{err, EXIT_OK};
use crate::fail;
use crate::input::mapping::{self, Canon, ColOverrides};
use crate::input::schema;
use crate::input::values::{is_blank, parse_amount, parse_int, IntCell};
use crate::input::{presets, read, Format, ReadOptions, Source};
use crate::output::sink::Sink;
use crate::time::{self, TimeParser, Tz};

#[derive(Args, Debug, Clone)]
pub struct InspectArgs {
    /// The export to inspect (`-` for standard input)
    #[arg(value_name = "FILE")]
    pub path: String,
    /// Output format
    #[arg(long, value_name = "table|json", default_value = "table")]
    pub format: String,
    /// Read only the first N data rows (default: the whole file)
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// Override format detection
    #[arg(long, value_name = "csv|tsv|json|ndjson|parquet")]
    pub input_format: Option<String>,
    /// CSV delimiter: one character or `tab` (default: detected among , ; tab |)
    #[arg(long, value_name = "C")]
    pub delimiter: Option<String>,
    /// Input text encoding when not UTF-8
    #[arg(long, value_name = "latin1|cp1252")]
    pub encoding: Option<String>,
    /// Extra strftime format for timestamps, tried in order (repeatable)
    #[arg(long = "date-format", value_name = "FMT")]
    pub date_format: Vec<String>,
    /// Write to FILE (atomically) instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// No warnings on standard error (with --format json)
    #[arg(short, long)]
    pub quiet: bool,
}

/// The inferred type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Integer,
    Decimal,
    Boolean,
    Date,
    Datetime,
    Text,
    Empty,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Decimal => "decimal",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::Datetime => "datetime",
            Kind::Text => "text",
            Kind::Empty => "empty",
        }
    }
}

/// What one non-blank cell reads as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Int,
    Dec,
    Bool,
    Date,
    DateTime,
    /// Looks like a date (`03/04/2025`, `4.3.2025`) but no accepted shape reads it.
    DateLike,
    Text,
}
const CLASSES: usize = 7;

fn class_index(c: Class) -> usize {
    c as usize
}

/// `d/m/y`-like: three digit groups joined by one repeated `/`, `.` or `-` before any time.
fn looks_like_date(t: &str) -> bool {
    let head = t.split([' ', 'T']).next().unwrap_or("");
    let Some(sep) = head.chars().find(|c| matches!(c, '/' | '.' | '-')) else {
        return false;
    };
    let parts: Vec<&str> = head.split(sep).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
}

fn classify(t: &str, parser: &TimeParser) -> Class {
    if let IntCell::Int(_) = parse_int(t) {
        return Class::Int;
    }
    if !t.chars().any(char::is_alphabetic)
        && t.chars().any(|c| c.is_ascii_digit())
        && parse_amount(t, false).is_some()
        && !looks_like_date(t)
    {
        return Class::Dec;
    }
    if matches!(
        t.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no"
    ) {
        return Class::Bool;
    }
    if parser.parse(t).is_ok() {
        return if t.contains(':') {
            Class::DateTime
        } else {
            Class::Date
        };
    }
    if looks_like_date(t) {
        return Class::DateLike;
    }
    Class::Text
}

/// Per-column counts gathered in one pass.
#[derive(Default)]
struct ColStats {
    nulls: u64,
    samples: Vec<String>,
    sample_set: HashSet<String>,
    counts: [u64; CLASSES],
    /// Up to three distinct example values per class.
    examples: [Vec<String>; CLASSES],
    /// Numbers written with a decimal comma (`29,90`, `1.234,5`), and examples.
    comma_decimals: u64,
    comma_examples: Vec<String>,
    /// Placeholder dates (`1900-01-01 00:00:00` …): counted as nulls, and named.
    placeholders: crate::input::values::PlaceholderCount,
}

/// `29,90` or `1.234,50`: digits, a comma and one or two digits at the end, no other comma.
fn has_decimal_comma(t: &str) -> bool {
    let Some((int, frac)) = t.rsplit_once(',') else {
        return false;
    };
    let int = int.trim_start_matches(['-', '+']);
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && int.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && (1..=2).contains(&frac.len())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

impl ColStats {
    fn add(&mut self, v: Option<&str>, parser: &TimeParser) {
        let Some(s) = v.filter(|s| !is_blank(s, &[])) else {
            self.nulls += 1;
            return;
        };
        if self.placeholders.check(s) {
            self.nulls += 1;
            return;
        }
        if self.samples.len() < 5 && !self.sample_set.contains(s) {
            self.sample_set.insert(s.to_string());
            self.samples.push(s.to_string());
        }
        let t = s.trim();
        if has_decimal_comma(t) {
            self.comma_decimals += 1;
            if self.comma_examples.len() < 3 && !self.comma_examples.iter().any(|e| e == s) {
                self.comma_examples.push(s.to_string());
            }
        }
        let c = class_index(classify(t, parser));
        self.counts[c] += 1;
        let ex = &mut self.examples[c];
        if ex.len() < 3 && !ex.iter().any(|e| e == s) {
            ex.push(s.to_string());
        }
    }

    fn non_blank(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Adds the stats of the rows after this column's (a later piece of the file): the
    /// same as adding its values here in turn. The first values kept (samples, examples)
    /// are those of the whole column: a value among the column's first five distinct ones
    /// is among the first five distinct ones of its piece.
    fn merge(&mut self, o: ColStats) {
        self.nulls += o.nulls;
        for v in o.samples {
            if self.samples.len() < 5 && !self.sample_set.contains(&v) {
                self.sample_set.insert(v.clone());
                self.samples.push(v);
            }
        }
        for (c, ex) in o.examples.into_iter().enumerate() {
            self.counts[c] += o.counts[c];
            for v in ex {
                if self.examples[c].len() < 3 && !self.examples[c].contains(&v) {
                    self.examples[c].push(v);
                }
            }
        }
        self.comma_decimals += o.comma_decimals;
        for v in o.comma_examples {
            if self.comma_examples.len() < 3 && !self.comma_examples.contains(&v) {
                self.comma_examples.push(v);
            }
        }
        if let Some((n, text)) = o.placeholders.seen() {
            self.placeholders.add(n, Some(&text));
        }
    }

    /// The type of the column: the most specific type that reads every non-blank value,
    /// else the type that reads most of them (more than half), else text. A decimal column
    /// may hold integers, a datetime column dates. Also returns how many values the type
    /// does not read, with examples.
    fn kind(&self) -> (Kind, u64, Vec<String>) {
        let n = self.non_blank();
        if n == 0 {
            return (Kind::Empty, 0, Vec::new());
        }
        let c = |k: Class| self.counts[class_index(k)];
        let candidates: [(Kind, &[Class]); 5] = [
            (Kind::Integer, &[Class::Int]),
            (Kind::Decimal, &[Class::Int, Class::Dec]),
            (Kind::Boolean, &[Class::Bool]),
            (Kind::Date, &[Class::Date]),
            (Kind::Datetime, &[Class::Date, Class::DateTime]),
        ];
        let mut best: Option<(Kind, &[Class], u64)> = None;
        for (k, classes) in candidates {
            let cover: u64 = classes.iter().map(|&x| c(x)).sum();
            if best.is_none_or(|(_, _, b)| cover > b) {
                best = Some((k, classes, cover));
            }
        }
        let Some((k, classes, cover)) = best else {
            return (Kind::Text, 0, Vec::new());
        };
        if cover * 2 <= n {
            return (Kind::Text, 0, Vec::new());
        }
        let all = [
            Class::Int,
            Class::Dec,
            Class::Bool,
            Class::Date,
            Class::DateTime,
            Class::DateLike,
            Class::Text,
        ];
        let mut examples = Vec::new();
        for x in all {
            if !classes.contains(&x) {
                for e in &self.examples[class_index(x)] {
                    if examples.len() < 3 {
                        examples.push(e.clone());
                    }
                }
            }
        }
        (k, n - cover, examples)
    }
}

fn quoted_list(v: &[String]) -> String {
    v.iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Warnings about one column's values.
fn value_warnings(name: &str, st: &ColStats, kind: Kind, bad: u64, ex: &[String]) -> Vec<String> {
    let mut w = Vec::new();
    if let Some((k, text)) = st.placeholders.seen() {
        w.push(format!(
            "column {name:?}: {} {text}, a placeholder for no date; the metric commands read {} as blank",
            plural(k, "cell holds", "cells hold"),
            if k == 1 { "it" } else { "them" }
        ));
    }
    let n = st.non_blank();
    if bad > 0 {
        let what = match kind {
            Kind::Date | Kind::Datetime => "a timestamp cxm reads",
            Kind::Integer => "an integer",
            Kind::Decimal => "a number",
            Kind::Boolean => "a boolean",
            _ => "of that type",
        };
        let hint = match kind {
            Kind::Date | Kind::Datetime => {
                "; mixed date formats: accepted are ISO 8601 / RFC 3339, YYYY-MM-DD [H:MM[:SS]] and Unix time, others need --date-format FMT (day and month order is never guessed)"
            }
            _ => "; a metric reading this column rejects those rows",
        };
        w.push(format!(
            "column {name:?} ({}): {bad} of {n} non-blank values {} not {what} (e.g. {}){hint}",
            kind.name(),
            if bad == 1 { "is" } else { "are" },
            quoted_list(ex)
        ));
    }
    if st.comma_decimals > 0 && matches!(kind, Kind::Decimal | Kind::Integer | Kind::Text) {
        w.push(format!(
            "column {name:?}: {} a decimal comma (e.g. {}); amounts read as written unless --decimal-comma is given",
            plural(st.comma_decimals, "value has", "values have"),
            quoted_list(&st.comma_examples)
        ));
    }
    let datelike = st.counts[class_index(Class::DateLike)];
    if datelike > 0 && !matches!(kind, Kind::Date | Kind::Datetime) {
        w.push(format!(
            "column {name:?}: {} (e.g. {}) that cxm does not read without --date-format (e.g. --date-format \"%d/%m/%Y\"); day and month order is never guessed",
            plural(datelike, "value looks like a date", "values look like dates"),
            quoted_list(&st.examples[class_index(Class::DateLike)])
        ));
    }
    w
}

/// Resolve one canonical column for inspection: never an error (required columns that are
/// missing are `None`; an ambiguity is `None` plus a warning).
fn resolve_one(
    src: &Source,
    canon: &Canon,
    kind: &str,
    warnings: &mut Vec<String>,
) -> Option<usize> {
    let mut c = canon.clone();
    c.required = false;
    match mapping::resolve_source(src, &c, &ColOverrides::default()) {
        Ok(i) => i,
        Err(e) => {
            let msg = format!("{kind} mapping: {}", crate::error::render(&e));
            if !warnings.contains(&msg) {
                warnings.push(msg);
            }
            None
        }
    }
}

/// The mapping of one dataset kind: (canonical, header index) in the command's order.
type KindMapping = Vec<(&'static str, Option<usize>)>;

fn map_surveys(src: &Source, warnings: &mut Vec<String>, skip: &Skip) -> KindMapping {
    let (scores, rest) = schema::survey::inspect_canons();
    if skip("score") {
        let mut out = vec![("score", None)];
        for c in &rest {
            out.push((c.name, resolve_unless(src, c, "surveys", warnings, skip)));
        }
        return out;
    }
    let per_metric: Vec<(&str, Option<usize>)> = scores
        .iter()
        .map(|(m, c)| (*m, resolve_one(src, c, "surveys", warnings)))
        .collect();
    let score = per_metric.iter().find_map(|(_, i)| *i);
    let distinct: HashSet<usize> = per_metric.iter().filter_map(|(_, i)| *i).collect();
    if distinct.len() > 1 {
        let parts: Vec<String> = per_metric
            .iter()
            .map(|(m, i)| match i {
                Some(i) => format!("{m} reads {:?}", src.headers[*i]),
                None => format!("{m} finds none"),
            })
            .collect();
        warnings.push(format!(
            "surveys mapping: the score column depends on the metric ({}); choose one with --col score=\"<column>\"",
            parts.join(", ")
        ));
    }
    let mut out = vec![("score", score)];
    for c in &rest {
        out.push((c.name, resolve_unless(src, c, "surveys", warnings, skip)));
    }
    // `updated_at` only decides between rows with one `response_id`.
    if get(&out, "response_id").is_none() {
        clear(&mut out, "updated_at");
    }
    out
}

/// Canonical columns not resolved automatically: those the detected preset decides (it maps
/// them, or maps the column that makes them unread), so no ambiguity warning is given for
/// them.
type Skip<'a> = dyn Fn(&str) -> bool + 'a;

fn resolve_unless(
    src: &Source,
    canon: &Canon,
    kind: &str,
    warnings: &mut Vec<String>,
    skip: &Skip,
) -> Option<usize> {
    if skip(canon.name) {
        return None;
    }
    resolve_one(src, canon, kind, warnings)
}

fn map_list(
    src: &Source,
    canons: &[Canon],
    kind: &str,
    warnings: &mut Vec<String>,
    skip: &Skip,
) -> KindMapping {
    canons
        .iter()
        .map(|c| (c.name, resolve_unless(src, c, kind, warnings, skip)))
        .collect()
}

fn get(m: &KindMapping, name: &str) -> Option<usize> {
    m.iter().find(|(n, _)| *n == name).and_then(|(_, i)| *i)
}

fn clear(m: &mut KindMapping, name: &str) {
    if let Some(e) = m.iter_mut().find(|(n, _)| *n == name) {
        e.1 = None;
    }
}

/// Every dataset kind's mapping, with the commands' own precedence: `updated_at` is read only
/// with an id column (surveys, tickets); tickets read
/// `first_response_minutes` only without `first_response_at`; churn reads `amount` only
/// without `mrr`, and `interval`, `interval_count`, `quantity` only with `amount`.
fn mappings(
    src: &Source,
    preset: Option<&presets::Applied>,
    warnings: &mut Vec<String>,
) -> Vec<(&'static str, KindMapping)> {
    // What the preset decides for its kind (its columns are filled in by the caller).
    let decides = |key: &str| -> Box<Skip> {
        match preset.filter(|p| p.kind.inspect_key() == key) {
            None => Box::new(|_: &str| false),
            Some(p) => {
                let has = |c: &str| p.cols.contains_key(c);
                let mrr = has("mrr");
                let amount = has("amount");
                let first = has("first_response_at");
                Box::new(move |c: &str| {
                    p.cols.contains_key(c)
                        || (mrr
                            && matches!(c, "amount" | "interval" | "interval_count" | "quantity"))
                        || (amount && c == "mrr")
                        || (first && c == "first_response_minutes")
                })
            }
        }
    };
    // The preset's own columns replace the automatic ones of its kind.
    let fill = |m: &mut KindMapping, key: &str| {
        if let Some(p) = preset.filter(|p| p.kind.inspect_key() == key) {
            for (canon, idx) in m.iter_mut() {
                if let Some(h) = p.cols.get(*canon) {
                    if let Some(i) = src.headers.iter().position(|x| x == h) {
                        *idx = Some(i);
                    }
                }
            }
        }
    };
    let mut surveys = map_surveys(src, warnings, &*decides("surveys"));
    fill(&mut surveys, "surveys");
    let mut tickets = map_list(
        src,
        &schema::tickets::inspect_canons(),
        "tickets",
        warnings,
        &*decides("tickets"),
    );
    fill(&mut tickets, "tickets");
    if get(&tickets, "first_response_at").is_some() {
        clear(&mut tickets, "first_response_minutes");
    }
    if get(&tickets, "ticket_id").is_none() {
        clear(&mut tickets, "updated_at");
    }
    let mut subs = map_list(
        src,
        &schema::subscriptions::inspect_canons(),
        "subscriptions",
        warnings,
        &*decides("subscriptions"),
    );
    fill(&mut subs, "subscriptions");
    if get(&subs, "mrr").is_some() {
        clear(&mut subs, "amount");
    }
    if get(&subs, "subscription_id").is_none() {
        clear(&mut subs, "updated_at");
    }
    if get(&subs, "amount").is_none() {
        for n in ["interval", "interval_count", "quantity"] {
            clear(&mut subs, n);
        }
    }
    // The preset's columns are shown even where the precedence above would not read them
    // (Freshdesk's minutes next to its first response time serve --use-exported-durations).
    fill(&mut surveys, "surveys");
    fill(&mut tickets, "tickets");
    fill(&mut subs, "subscriptions");
    vec![
        ("surveys", surveys),
        ("tickets", tickets),
        ("subscriptions", subs),
    ]
}

/// Reads every column of the source as text and feeds each cell to `f(column, cell)`, a
/// chunk of rows at a time ([`read::records_in_chunks`]: memory follows the chunk, not the
/// file), the first `sample` rows when given. Returns the number of data rows read and the
/// lines (or positions) of the malformed records among them, whose cells are not the
/// columns' values.
fn scan(
    src: &Source,
    sample: Option<usize>,
    mut f: impl FnMut(usize, Option<&str>),
) -> Result<(u64, Vec<u64>)> {
    let limit = sample.unwrap_or(usize::MAX);
    let width = src.headers.len();
    let (mut rows, mut malformed) = (0usize, Vec::new());
    read::records_in_chunks(src, |_, t| {
        for (k, row) in t.rows.iter().enumerate() {
            if rows >= limit {
                return Ok(false);
            }
            rows += 1;
            if t.malformed[k].is_some() {
                malformed.push(t.locs[k]);
                continue;
            }
            for i in 0..width {
                f(i, row.get(i).and_then(|v| v.as_deref()));
            }
        }
        Ok(rows < limit)
    })?;
    Ok((rows as u64, malformed))
}

/// What [`scan`] and the per-cell counting find, read in one pass on every core.
struct Scanned {
    stats: Vec<ColStats>,
    ids: Vec<IdCounts>,
    rows: u64,
}

/// The whole of a regular CSV file on disk, or of a Parquet file without nested columns,
/// read by the one-pass readers on every core with the cells borrowed (not a string each, as
/// the careful reader gives them): each piece's column stats, merged in file order, and the
/// hashes of its ids (`ids`: the id columns' positions); the ids whose hash repeats are
/// counted exactly in a second pass over those columns. `None` for any other input, or
/// with `--sample` (then [`scan`] reads it).
fn scan_in_one_pass(
    src: &Source,
    sample: Option<usize>,
    parser: &TimeParser,
    ids: &[usize],
) -> Option<Scanned> {
    use crate::input::fast::{self, Cells};
    if sample.is_some() {
        return None;
    }
    let width = src.headers.len();
    let one = std::slice::from_ref(src);
    let parquet = crate::input::parquet_eligible(one) && src.nested.is_empty();
    let map = if parquet {
        None
    } else if fast::eligible(one) {
        let map = fast::Mapped::open(&src.path)?;
        let bytes = read::strip_bom(map.bytes());
        (fast::header_end(bytes, src.delimiter)?.1 == width).then_some(map)
    } else {
        None
    };
    if map.is_none() && !parquet {
        return None;
    }
    // Every cell of a record (`needed` positions), as the one-pass reader fits.
    fn pass<S: Send>(
        src: &Source,
        map: Option<&fast::Mapped>,
        needed: &[usize],
        init: impl Fn() -> S + Sync,
        visit: impl Fn(&mut S, &Cells<'_>) + Sync,
    ) -> Option<(Vec<S>, u64)> {
        match map {
            Some(m) => fast::visit_mapped(m, src.delimiter, needed, |_| init(), visit).ok(),
            None => crate::input::parquet::visit_inputs(
                std::slice::from_ref(src),
                |_| needed.to_vec(),
                &[],
                |_, _| init(),
                |_, st, c, _| visit(st, c),
            )?
            .pop(),
        }
    }
    struct Part {
        stats: Vec<ColStats>,
        hashes: Vec<Vec<u64>>,
    }
    let all: Vec<usize> = (0..width).collect();
    let (parts, rows) = pass(
        src,
        map.as_ref(),
        &all,
        || Part {
            stats: (0..width).map(|_| ColStats::default()).collect(),
            hashes: vec![Vec::new(); ids.len()],
        },
        |st, cells| {
            for (s, c) in st.stats.iter_mut().zip(cells) {
                s.add(c.as_deref(), parser);
            }
            for (h, &i) in st.hashes.iter_mut().zip(ids) {
                if let Some(id) = cells[i].as_deref().filter(|s| !is_blank(s, &[])) {
                    crate::input::dedup::push_hash(h, id);
                }
            }
        },
    )?;
    let mut stats: Vec<ColStats> = (0..width).map(|_| ColStats::default()).collect();
    let mut hashes: Vec<Vec<Vec<u64>>> = vec![Vec::new(); ids.len()];
    for p in parts {
        for (s, o) in stats.iter_mut().zip(p.stats) {
            s.merge(o);
        }
        for (all, h) in hashes.iter_mut().zip(p.hashes) {
            all.push(h);
        }
    }
    let repeated: Vec<_> = hashes
        .into_iter()
        .map(crate::input::dedup::repeated_hashes)
        .collect();
    // The ids whose hash repeats, counted by their text: one more pass over the id columns
    // when any does.
    type Counts = rustc_hash::FxHashMap<String, u64>;
    let mut counts: Vec<Counts> = vec![Counts::default(); ids.len()];
    if repeated.iter().any(|r| !r.is_empty()) {
        let init = || vec![Counts::default(); ids.len()];
        let (parts, _) = pass(src, map.as_ref(), ids, init, |st, cells| {
            for ((c, r), cell) in st.iter_mut().zip(&repeated).zip(cells) {
                let Some(id) = cell.as_deref().filter(|s| !is_blank(s, &[])) else {
                    continue;
                };
                if !r.is_empty() && r.contains(&crate::input::dedup::id_hash(id)) {
                    *c.entry(id.to_string()).or_insert(0) += 1;
                }
            }
        })?;
        for p in parts {
            for (all, c) in counts.iter_mut().zip(p) {
                for (id, n) in c {
                    *all.entry(id).or_insert(0) += n;
                }
            }
        }
    }
    let id_counts = counts.into_iter().map(IdCounts::of_repeated).collect();
    Some(Scanned {
        stats,
        ids: id_counts,
        rows,
    })
}

/// How often each id of a column occurs, by hash, with the text of those met twice.
#[derive(Default)]
struct IdCounts {
    // The keys are hashes already: Fx does not hash them again at SipHash cost.
    seen: rustc_hash::FxHashMap<u64, u64>,
    texts: rustc_hash::FxHashMap<u64, String>,
}

impl IdCounts {
    fn add(&mut self, id: &str) {
        let h = crate::input::dedup::id_hash(id);
        let n = self.seen.entry(h).or_insert(0);
        *n += 1;
        if *n == 2 {
            self.texts.insert(h, id.to_string());
        }
    }

    /// The counts of the ids met more than once, by text.
    fn of_repeated(counts: rustc_hash::FxHashMap<String, u64>) -> IdCounts {
        let mut out = IdCounts::default();
        for (text, n) in counts.into_iter().filter(|(_, n)| *n > 1) {
            let h = crate::input::dedup::id_hash(&text);
            out.seen.insert(h, n);
            out.texts.insert(h, text);
        }
        out
    }

    /// The ids met more than once, with their counts.
    fn repeated(&self) -> Vec<(&String, &u64)> {
        self.texts
            .iter()
            .filter_map(|(h, t)| self.seen.get(h).map(|n| (t, n)))
            .collect()
    }
}

fn delimiter_text(d: u8) -> String {
    if d == b'\t' {
        "\t".to_string()
    } else {
        (d as char).to_string()
    }
}

fn delimiter_shown(d: u8) -> String {
    if d == b'\t' {
        "tab".to_string()
    } else {
        format!("\"{}\"", d as char)
    }
}

pub fn run(a: &InspectArgs) -> Result<u8> {
    let as_json = match a.format.to_ascii_lowercase().as_str() {
        "table" => false,
        "json" => true,
        other => fail!("--format {other:?}: cxm inspect writes table or json"),
    };
    for f in &a.date_format {
        time::check_date_format(f).map_err(|e| err(format!("--date-format {f:?}: {e}")))?;
    }
    let delimiter = a
        .delimiter
        .as_deref()
        .map(read::parse_delimiter)
        .transpose()?;
    let opts = ReadOptions {
        input_format: a.input_format.clone(),
        delimiter,
        encoding: a.encoding.clone(),
    };
    let sink = Sink::open(a.output.as_deref())?;
    let mut sources = read::open_all(std::slice::from_ref(&a.path), &opts)?;
    // A vendor preset of any kind: multi-row headers become one row of names; its mapping
    // (e.g. the NPS question for the score) replaces the automatic one of its kind below.
    let preset = presets::prepare(&mut sources, None, None, "nps")?;
    let mut src = sources.pop().ok_or_else(|| err("internal: no input"))?;

    let mut warnings: Vec<String> = Vec::new();
    // A repeated column name: polars would rename the copies, so such a CSV is read record
    // by record; `--col`, `--by` and `--where` would pick the first of the columns.
    let mut seen: HashSet<&str> = HashSet::new();
    let repeated: Vec<String> = src
        .headers
        .iter()
        .filter(|h| !seen.insert(h.as_str()))
        .cloned()
        .collect();
    if !repeated.is_empty() {
        warnings.push(format!(
            "the header repeats column names ({}); --col, --by and --where use the first column of that name",
            quoted_list(&repeated)
        ));
        if src.table.is_none() && src.format == Format::Csv {
            src.table = Some(read::read_csv_table(&src)?);
        }
    }
    let maps = mappings(&src, preset.as_ref(), &mut warnings);
    if let Some(p) = &preset {
        warnings.extend(p.notes.iter().cloned());
    }

    // Id columns: the columns mapped as response_id / ticket_id / subscription_id.
    let mut id_cols: Vec<(usize, Vec<&str>)> = Vec::new();
    for (_, m) in &maps {
        for (canon, idx) in m {
            if let (true, Some(i)) = (canon.ends_with("_id") && *canon != "customer_id", idx) {
                match id_cols.iter_mut().find(|(c, _)| c == i) {
                    Some((_, names)) => names.push(canon),
                    None => id_cols.push((*i, vec![canon])),
                }
            }
        }
    }

    warnings.extend(read::take_warnings());
    let parser = TimeParser::new(Tz::UTC, a.date_format.clone());
    let headers = src.headers.clone();
    let nested = src.nested.clone();
    let display = src.display.clone();
    let (format, delim, encoding) = (src.format, src.delimiter, src.encoding);
    let mut stats: Vec<ColStats> = (0..headers.len()).map(|_| ColStats::default()).collect();
    // Ids counted by their 64-bit hash (a string each would be most of the memory of a large
    // file); the text is kept for the ids met twice, which the warning names.
    let mut id_counts: Vec<IdCounts> = (0..id_cols.len()).map(|_| IdCounts::default()).collect();
    let ids: Vec<usize> = id_cols.iter().map(|(i, _)| *i).collect();
    let (rows, malformed_lines) = match scan_in_one_pass(&src, a.sample, &parser, &ids) {
        Some(got) => {
            (stats, id_counts) = (got.stats, got.ids);
            (got.rows, Vec::new())
        }
        None => scan(&src, a.sample, |i, v| {
            stats[i].add(v, &parser);
            if let Some(k) = id_cols.iter().position(|(c, _)| *c == i) {
                if let Some(s) = v.filter(|s| !is_blank(s, &[])) {
                    id_counts[k].add(s);
                }
            }
        })?,
    };

    // File-level warnings first, then columns, then ids.
    let mut file_warnings: Vec<String> = Vec::new();
    match encoding {
        "utf-8-bom" => file_warnings.push(
            "the file starts with a UTF-8 byte-order mark (BOM); cxm drops it, but some tools read it as part of the first column's name".into(),
        ),
        "utf-16le" | "utf-16be" => file_warnings.push(format!(
            "the file is {} (byte-order mark); cxm transcodes it to UTF-8",
            encoding.to_uppercase()
        )),
        _ => {}
    }
    if format == Format::Csv && delim != b',' {
        let lower = a.path.to_lowercase();
        let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
        let how = if delimiter.is_some() {
            "as given with --delimiter"
        } else if lower.ends_with(".tsv")
            || lower.ends_with(".tab")
            || a.input_format
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case("tsv"))
        {
            "a TSV file"
        } else {
            "detected; the metric commands detect it too, or pass --delimiter"
        };
        file_warnings.push(format!(
            "the delimiter is {}, not a comma ({how})",
            delimiter_shown(delim)
        ));
    }
    let mut columns = Vec::new();
    let mut col_warnings = Vec::new();
    for (name, st) in headers.iter().zip(&stats) {
        // A nested column's cells are not read, and the SPEC lists no type for it: it shows as
        // empty, and says why.
        if let Some((_, t)) = nested.iter().find(|(n, _)| n == name) {
            col_warnings.push(format!(
                "column {name:?} holds nested values ({t}), not one value per row: no metric can read it"
            ));
        }
        let (kind, bad, ex) = st.kind();
        col_warnings.extend(value_warnings(name, st, kind, bad, &ex));
        columns.push(json!({
            "name": name,
            "type": kind.name(),
            "nulls": st.nulls,
            "samples": st.samples,
        }));
    }
    for ((i, canons), counts) in id_cols.iter().zip(&id_counts) {
        let mut repeated: Vec<(&String, &u64)> = counts.repeated();
        if repeated.is_empty() {
            continue;
        }
        repeated.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
        let extra: u64 = repeated.iter().map(|(_, &n)| n - 1).sum();
        let ex: Vec<String> = repeated
            .iter()
            .take(3)
            .map(|(id, n)| format!("{id:?} ×{n}"))
            .collect();
        col_warnings.push(format!(
            "column {:?} ({}): {} more than once (e.g. {}); the metric commands keep one row per id and count {} as duplicate (--keep-duplicates keeps them all)",
            headers[*i],
            canons.join(", "),
            plural(repeated.len() as u64, "id occurs", "ids occur"),
            ex.join(", "),
            plural(extra, "extra row", "extra rows"),
        ));
    }
    let mut all_warnings = file_warnings;
    all_warnings.extend(col_warnings);
    all_warnings.extend(warnings);

    let mut mapping = Map::new();
    for (kind, m) in &maps {
        let mut o = Map::new();
        for (canon, idx) in m {
            o.insert(
                canon.to_string(),
                idx.map_or(Value::Null, |i| Value::String(headers[i].clone())),
            );
        }
        mapping.insert(kind.to_string(), Value::Object(o));
    }
    let is_text = format == Format::Csv;
    let doc = json!({
        "path": display,
        "format": format.name(),
        "delimiter": if is_text { Value::String(delimiter_text(delim)) } else { Value::Null },
        "encoding": if format == Format::Parquet { Value::Null } else { Value::String(encoding.into()) },
        "header_rows": if is_text { preset.as_ref().map_or(1, |p| p.header_rows) } else { 0 },
        "rows": rows,
        "columns": columns,
        "malformed": malformed_lines.len(),
        "malformed_lines": malformed_lines.iter().take(10).collect::<Vec<_>>(),
        "preset": preset.as_ref().map_or(Value::Null, |p| Value::String(p.name.into())),
        "mapping": mapping,
        "warnings": all_warnings,
    });

    let bytes = if as_json {
        if !a.quiet {
            for w in &all_warnings {
                eprintln!("cxm: warning: {w}");
            }
        }
        let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        out.push(b'\n');
        out
    } else {
        render_table(&doc, &maps, &headers, a.sample).into_bytes()
    };
    sink.write(&bytes)?;
    Ok(EXIT_OK)
}

const WIDTH: usize = 80;

/// Cut `s` to at most `max` characters, ending in `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One line per cell text: newlines and tabs inside values shown as spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Words joined with `sep`, wrapped at [`WIDTH`] with `indent` before continuation lines.
fn wrap(first: &str, items: &[String], sep: &str, indent: usize) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    for (k, it) in items.iter().enumerate() {
        let piece = if k + 1 < items.len() {
            format!("{it}{sep}")
        } else {
            it.clone()
        };
        if line.chars().count() + piece.chars().count() > WIDTH && line.chars().count() > indent {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(indent);
        }
        line.push_str(&piece);
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

fn render_table(
    doc: &Value,
    maps: &[(&str, KindMapping)],
    headers: &[String],
    sample: Option<usize>,
) -> String {
    use comfy_table::{presets, CellAlignment, ContentArrangement, Table, TableComponent};

    let mut s = String::new();
    s.push_str(&format!("{}\n", doc["path"].as_str().unwrap_or("")));
    let mut facts = vec![format!("format {}", doc["format"].as_str().unwrap_or(""))];
    if let Some(d) = doc["delimiter"].as_str() {
        let shown = if d == "\t" {
            "tab".to_string()
        } else {
            format!("\"{d}\"")
        };
        facts.push(format!("delimiter {shown}"));
    }
    if let Some(e) = doc["encoding"].as_str() {
        facts.push(format!("encoding {e}"));
    }
    facts.push(format!("header rows {}", doc["header_rows"]));
    let rows = doc["rows"].as_u64().unwrap_or(0);
    facts.push(
        format!(
            "{} {}",
            plural(rows, "row", "rows"),
            if sample.is_some() {
                "read (--sample)"
            } else {
                ""
            }
        )
        .trim_end()
        .to_string(),
    );
    s.push_str(&wrap("", &facts, " · ", 0));
    let malformed = doc["malformed"].as_u64().unwrap_or(0);
    if malformed > 0 {
        let lines: Vec<String> = doc["malformed_lines"]
            .as_array()
            .map(|a| a.iter().map(|l| l.to_string()).collect())
            .unwrap_or_default();
        s.push_str(&format!(
            "malformed: {} at line {}{} (the metric commands reject them; --rejects FILE lists them)\n",
            plural(malformed, "record", "records"),
            lines.join(", "),
            if malformed as usize > lines.len() { ", …" } else { "" }
        ));
    }
    match doc["preset"].as_str() {
        Some(p) => s.push_str(&format!(
            "preset: {p} (detected from the headers; the metric commands use it unless --preset none)\n\n"
        )),
        // Kept word for word while README.md's inspect example shows it (tests/e2e/readme.rs);
        // once README is regenerated this can say just "preset: none".
        None => s.push_str("preset: none detected\n\n"),
    }

    // Columns: name, type, nulls, samples (cut to fit 80 columns).
    let cols = doc["columns"].as_array().cloned().unwrap_or_default();
    let name_w = cols
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 28);
    let nulls_w = cols
        .iter()
        .map(|c| c["nulls"].to_string().len())
        .max()
        .unwrap_or(1)
        .max(5);
    // Padding: one space each side of every cell (comfy-table), no vertical lines.
    let samples_w = WIDTH.saturating_sub(name_w + 8 + nulls_w + 4 * 2).max(20);
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    for c in [
        TableComponent::LeftBorder,
        TableComponent::RightBorder,
        TableComponent::VerticalLines,
        TableComponent::LeftHeaderIntersection,
        TableComponent::RightHeaderIntersection,
        TableComponent::MiddleHeaderIntersections,
        TableComponent::LeftBorderIntersections,
        TableComponent::RightBorderIntersections,
        TableComponent::MiddleIntersections,
    ] {
        t.remove_style(c);
    }
    t.set_style(TableComponent::HeaderLines, '─');
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(vec!["column", "type", "nulls", "samples"]);
    for c in &cols {
        let samples: Vec<String> = c["samples"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| one_line(v.as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        t.add_row(vec![
            truncate(&one_line(c["name"].as_str().unwrap_or("")), name_w),
            c["type"].as_str().unwrap_or("").to_string(),
            c["nulls"].to_string(),
            truncate(&samples.join(", "), samples_w),
        ]);
    }
    if let Some(c) = t.column_mut(2) {
        c.set_cell_alignment(CellAlignment::Right);
    }
    s.push_str(&t.to_string());
    s.push_str("\n\n");

    // Mapping: the canonical columns each dataset kind would read.
    s.push_str("mapping (canonical ← column):\n");
    for (kind, m) in maps {
        let required: &[&str] = match *kind {
            "surveys" => &["score"],
            "tickets" => &["created_at"],
            _ => &["customer_id", "started_at"],
        };
        let mut items: Vec<String> = m
            .iter()
            .filter_map(|(canon, idx)| {
                idx.map(|i| format!("{canon} ← \"{}\"", one_line(&headers[i])))
            })
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|r| get(m, r).is_none())
            .collect();
        if !missing.is_empty() {
            items.push(format!("missing required: {}", missing.join(", ")));
        }
        if items.is_empty() {
            items.push("nothing".into());
        }
        let first = format!("  {kind:<14}");
        s.push_str(&wrap(&first, &items, ", ", 16));
    }

    let warnings = doc["warnings"].as_array().cloned().unwrap_or_default();
    if !warnings.is_empty() {
        s.push_str("\nwarnings:\n");
        for w in &warnings {
            let words: Vec<String> = w
                .as_str()
                .unwrap_or("")
                .split(' ')
                .map(str::to_string)
                .collect();
            s.push_str(&wrap("  - ", &words, " ", 4));
        }
    }
    s
}
