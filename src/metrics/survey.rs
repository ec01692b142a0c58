//! Survey metrics (SPEC 6.1–6.4): reading a score cell, classifying each response row, the
//! polars aggregation (response rows → counts per input, status, group, period and value),
//! and the formulas from those counts to NPS, CSAT, CES and PMF fields.

use std::sync::Arc;

use polars::prelude::*;
use serde_json::{json, Map, Value};

use crate::input::dedup::id_hash;
use crate::input::rejects::{Record, RecordRule};
use crate::input::rows::{
    time_cell, time_slot, unpack_ts, Reject, WhereCol, BLANK, DUPLICATE, FILTERED,
    FLAG_DST_AMBIGUOUS, FLAG_DST_GAP, NO_PERIOD, REJECTED, TS_BAD, TS_BLANK, USED,
};
use crate::input::values::{is_blank, parse_int, IntCell};
use crate::metrics::stats;
use crate::period::PeriodKind;
use crate::report::{num, pct};
use crate::time::{TimeParser, Tz};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsatScale {
    Points(i64),
    Binary,
}

/// Which survey metric, with its scale settings.
#[derive(Clone, Debug)]
pub enum ScoreKind {
    Nps,
    Csat {
        scale: CsatScale,
        invert: bool,
        satisfied: i64,
    },
    Ces {
        scale: i64,
        invert: bool,
        easy: i64,
    },
    Pmf {
        numeric: bool,
    },
}

pub const CSAT_GOOD: &[&str] = &[
    "good",
    "yes",
    "true",
    "1",
    "satisfied",
    "👍",
    "good, i'm satisfied",
];
pub const CSAT_BAD: &[&str] = &[
    "bad",
    "no",
    "false",
    "0",
    "unsatisfied",
    "dissatisfied",
    "👎",
    "bad, i'm unsatisfied",
];
pub const CSAT_NO_ANSWER: &[&str] = &["offered", "unoffered", "not offered"];

impl ScoreKind {
    pub fn name(&self) -> &'static str {
        match self {
            ScoreKind::Nps => "nps",
            ScoreKind::Csat { .. } => "csat",
            ScoreKind::Ces { .. } => "ces",
            ScoreKind::Pmf { .. } => "pmf",
        }
    }

    /// The valid integer range of a numeric scale.
    fn range(&self) -> (i64, i64) {
        match self {
            ScoreKind::Nps => (0, 10),
            ScoreKind::Csat {
                scale: CsatScale::Points(k),
                ..
            } => (1, *k),
            ScoreKind::Csat {
                scale: CsatScale::Binary,
                ..
            } => (0, 1),
            ScoreKind::Ces { scale, .. } => (1, *scale),
            ScoreKind::Pmf { .. } => (1, 3),
        }
    }

    /// Distribution keys, indexed by value code.
    pub fn points(&self) -> Vec<String> {
        match self {
            ScoreKind::Csat {
                scale: CsatScale::Binary,
                ..
            } => vec!["bad".into(), "good".into()],
            ScoreKind::Pmf { .. } => vec!["not".into(), "somewhat".into(), "very".into()],
            _ => {
                let (lo, hi) = self.range();
                (lo..=hi).map(|v| v.to_string()).collect()
            }
        }
    }

    /// Read one score cell: `Ok(None)` blank, `Ok(Some(code))` a valid answer (index into
    /// `points`), `Err((code, detail))` rejected.
    pub fn read(
        &self,
        cell: Option<&str>,
        na: &[String],
    ) -> Result<Option<u8>, (&'static str, String)> {
        let Some(s) = cell else { return Ok(None) };
        if is_blank(s, na) {
            return Ok(None);
        }
        let t = crate::input::values::trim(s);
        // The usual cell, one or two digits, read at once (no text checks, no lowercasing).
        let quick = match *t.as_bytes() {
            [a] if a.is_ascii_digit() => Some(i64::from(a - b'0')),
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                Some(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            }
            _ => None,
        };
        match self {
            ScoreKind::Csat {
                scale: CsatScale::Binary,
                invert,
                ..
            } => {
                let l = t.to_lowercase();
                let good = if CSAT_GOOD.contains(&l.as_str()) {
                    true
                } else if CSAT_BAD.contains(&l.as_str()) {
                    false
                } else if CSAT_NO_ANSWER.contains(&l.as_str()) {
                    return Ok(None);
                } else {
                    return Err((
                        "invalid_value",
                        format!("{t:?} is not good/bad, yes/no, true/false, 1/0"),
                    ));
                };
                Ok(Some(u8::from(good != *invert)))
            }
            ScoreKind::Csat { .. }
                if quick.is_none() && CSAT_NO_ANSWER.contains(&t.to_lowercase().as_str()) =>
            {
                Ok(None)
            }
            ScoreKind::Pmf { numeric } => {
                let l = t.to_lowercase();
                if l == "n/a"
                    || l.starts_with("n/a ")
                    || l.starts_with("n/a -")
                    || l.contains("no longer use")
                {
                    return Ok(None);
                }
                if l.contains("very disappointed") || l == "very" {
                    return Ok(Some(2));
                }
                if l.contains("somewhat disappointed")
                    || l.contains("mildly disappointed")
                    || l == "somewhat"
                    || l == "mildly"
                {
                    return Ok(Some(1));
                }
                if l.contains("not disappointed") || l == "not" {
                    return Ok(Some(0));
                }
                if *numeric {
                    if let IntCell::Int(v @ 1..=3) = parse_int(t) {
                        return Ok(Some((v - 1) as u8));
                    }
                }
                Err((
                    "invalid_value",
                    format!("{t:?} is not very / somewhat / not disappointed"),
                ))
            }
            _ => {
                let (lo, hi) = self.range();
                match quick.map_or_else(|| parse_int(t), IntCell::Int) {
                    IntCell::Int(v) if v >= lo && v <= hi => {
                        let v = match self {
                            ScoreKind::Csat { invert: true, .. }
                            | ScoreKind::Ces { invert: true, .. } => lo + hi - v,
                            _ => v,
                        };
                        Ok(Some((v - lo) as u8))
                    }
                    IntCell::Int(v) => Err(("out_of_range", format!("score {v} not in {lo}–{hi}"))),
                    IntCell::NotInteger => {
                        Err(("not_integer", format!("score {t} is not an integer")))
                    }
                    IntCell::Invalid => {
                        Err(("invalid_value", format!("score {t:?} is not a number")))
                    }
                }
            }
        }
    }
}

/// Everything needed to classify one response row; shared by the polars pass and the
/// per-record pass that reports rejected rows, so both agree.
#[derive(Clone, Debug)]
pub struct RowRule {
    pub kind: ScoreKind,
    pub na: Vec<String>,
    pub wheres: Vec<WhereCol>,
    /// The metric time is required (`--period`, `--since`, `--until`).
    pub time_needed: bool,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Rows whose time is later than this are filtered (as-of, or the run time by default).
    pub time_limit: Option<i64>,
    pub period: Option<(PeriodKind, Tz)>,
}

/// The outcome for one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: u8,
    pub value: u8,
    pub ordinal: i32,
    pub reject: Option<Reject>,
}

impl RowRule {
    /// Order: a short record; a duplicate id; `--where`; the time (blank / unparseable when
    /// needed; outside since/until/as-of); then the score.
    pub fn classify(
        &self,
        short: bool,
        dup: bool,
        wheres: &[Option<&str>],
        ts: Option<i64>,
        score: Option<&str>,
        time_col: &'static str,
    ) -> Outcome {
        let mut out = Outcome {
            status: USED,
            value: 0,
            ordinal: NO_PERIOD,
            reject: None,
        };
        if short {
            out.status = REJECTED;
            out.reject = Some(Reject {
                column: "",
                code: "field_count",
                detail: "the record has fewer fields than the header".into(),
            });
            return out;
        }
        if dup {
            out.status = DUPLICATE;
            return out;
        }
        if !self.wheres.iter().zip(wheres).all(|(w, c)| w.keeps(*c)) {
            out.status = FILTERED;
            return out;
        }
        let mut flags = 0u8;
        if let Some(t) = ts {
            match t {
                TS_BLANK if self.time_needed => {
                    out.status = BLANK;
                    return out;
                }
                TS_BAD if self.time_needed => {
                    out.status = REJECTED;
                    out.reject = Some(Reject {
                        column: time_col,
                        code: "bad_time",
                        detail: "unparseable timestamp; pass --date-format for other shapes (e.g. --date-format '%d/%m/%Y %H:%M')".into(),
                    });
                    return out;
                }
                TS_BLANK | TS_BAD => {}
                t => {
                    let (ms, note) = unpack_ts(t);
                    flags = match note {
                        1 => FLAG_DST_GAP,
                        2 => FLAG_DST_AMBIGUOUS,
                        _ => 0,
                    };
                    if self.since.is_some_and(|s| ms < s)
                        || self.until.is_some_and(|u| ms >= u)
                        || self.time_limit.is_some_and(|l| ms > l)
                    {
                        out.status = FILTERED | flags;
                        return out;
                    }
                    if let Some((k, tz)) = self.period {
                        out.ordinal = k.ordinal_of(ms, tz);
                    }
                }
            }
        }
        match self.kind.read(score, &self.na) {
            Ok(None) => out.status = BLANK | flags,
            Ok(Some(v)) => {
                out.status = USED | flags;
                out.value = v;
            }
            Err((code, detail)) => {
                out.status = REJECTED | flags;
                out.reject = Some(Reject {
                    column: "score",
                    code,
                    detail,
                });
            }
        }
        out
    }
}

/// The rejects pass asks the same rule about one record (`submitted_at` parsed as the fast
/// pass parses it).
impl RecordRule for RowRule {
    fn reject(&self, r: &Record<'_>) -> Option<Reject> {
        let ts = r.time("submitted_at", &self.na);
        let time_col = if ts.is_some() { "submitted_at" } else { "" };
        self.classify(r.short, r.dup, r.wheres, ts, r.cell("score"), time_col)
            .reject
    }
}

/// Pack an outcome into one integer for grouping: ordinal << 16 | status << 8 | value.
pub fn pack_outcome(o: &Outcome) -> i64 {
    ((o.ordinal as i64) << 16) | ((o.status as i64) << 8) | o.value as i64
}
pub fn unpack_outcome(c: i64) -> (i32, u8, u8) {
    ((c >> 16) as i32, ((c >> 8) & 0xFF) as u8, (c & 0xFF) as u8)
}

/// The id hashes of a pass, one vector per piece read (see
/// [`crate::input::dedup::repeated_hashes`]).
pub type IdHashes = Arc<std::sync::Mutex<Vec<Vec<u64>>>>;

/// Column names in the frame the aggregation reads.
pub struct FrameCols {
    pub score: String,
    pub time: Option<String>,
    pub wheres: Vec<String>,
    pub by: Vec<String>,
    /// Rows flagged as duplicates (global row index → duplicate), when ids are de-duplicated.
    pub dup_mask: Option<Arc<std::collections::HashSet<u32>>>,
    /// The id column: while classifying, a 64-bit hash of every non-blank id is collected
    /// here, so one pass both counts and finds out whether any id repeats.
    pub id_hashes: Option<(String, IdHashes)>,
    /// Placeholder dates (SPEC 4) counted while the time column is parsed.
    pub placeholders: Arc<crate::input::values::PlaceholderCount>,
    /// The unreadable score texts of the rows neither used nor blank, counted while the rows
    /// are classified (for the `--na-values` hint), as the parallel pass counts them.
    pub bad_texts: Option<BadTexts>,
}

/// Unreadable texts and how often each occurs, shared by the batches of a polars pass.
pub type BadTexts = Arc<std::sync::Mutex<rustc_hash::FxHashMap<String, u64>>>;

fn str_col<'a>(c: &'a Column, what: &str) -> PolarsResult<&'a StringChunked> {
    c.str()
        .map_err(|_| polars_err!(ComputeError: "internal: column {} is not text", what))
}

/// The latest metric time among used rows, gathered while the rows are classified (the
/// default as-of), so no time column has to be carried to the aggregation.
#[derive(Debug)]
pub struct Latest(std::sync::atomic::AtomicI64);

impl Default for Latest {
    fn default() -> Self {
        Latest(std::sync::atomic::AtomicI64::new(i64::MIN))
    }
}

impl Latest {
    pub fn offer(&self, ms: i64) {
        self.0.fetch_max(ms, std::sync::atomic::Ordering::Relaxed);
    }
    pub fn get(&self) -> Option<i64> {
        let v = self.0.load(std::sync::atomic::Ordering::Relaxed);
        (v != i64::MIN).then_some(v)
    }
}

/// Rows → counts: one elementwise UDF parses the time, applies the row rule and packs the
/// outcome; then rows are grouped by input, outcome and the `--by` columns and counted.
pub fn aggregate(
    lf: LazyFrame,
    rule: Arc<RowRule>,
    parser: Arc<TimeParser>,
    cols: &FrameCols,
    latest: Arc<Latest>,
) -> LazyFrame {
    let mut inputs: Vec<Expr> = vec![col(cols.score.as_str()), col("__malformed")];
    let has_time = cols.time.is_some();
    if let Some(t) = &cols.time {
        inputs.push(col(t.as_str()));
    }
    let has_dup = cols.dup_mask.is_some();
    if has_dup {
        inputs.push(col("__g"));
    }
    let hashes = cols.id_hashes.as_ref().map(|(_, h)| h.clone());
    if let Some((id, _)) = &cols.id_hashes {
        inputs.push(col(id.as_str()));
    }
    for w in &cols.wheres {
        inputs.push(col(w.as_str()));
    }
    let mask = cols.dup_mask.clone();
    let placeholders = cols.placeholders.clone();
    let bad_texts = cols.bad_texts.clone();
    // The canonical column a time rejection names (the fast pass only counts it).
    let time_name: &'static str = if cols.time.is_some() {
        "submitted_at"
    } else {
        ""
    };
    let code = map_multiple(
        move |c: &mut [Column]| {
            let score = str_col(&c[0], "score")?;
            let short = c[1].bool()?;
            let mut k = 2;
            let ts = if has_time {
                k += 1;
                Some(str_col(&c[k - 1], "time")?)
            } else {
                None
            };
            let g = if has_dup {
                k += 1;
                Some(c[k - 1].idx()?)
            } else {
                None
            };
            if let Some(h) = &hashes {
                let ids = str_col(&c[k], "id")?;
                k += 1;
                let local: Vec<u64> = ids
                    .iter()
                    .flatten()
                    .filter(|s| !s.trim().is_empty())
                    .map(id_hash)
                    .collect();
                if let Ok(mut all) = h.lock() {
                    all.push(local);
                }
            }
            let wheres: Vec<&StringChunked> = c[k..]
                .iter()
                .map(|x| str_col(x, "where"))
                .collect::<PolarsResult<_>>()?;
            let n = score.len();
            let mut out: Vec<i64> = Vec::with_capacity(n);
            let mut score_it = score.iter();
            let mut short_it = short.iter();
            let mut ts_it = ts.map(|t| t.iter());
            let mut g_it = g.map(|g| g.iter());
            let mut w_its: Vec<_> = wheres.iter().map(|w| w.iter()).collect();
            let mut wcells: Vec<Option<&str>> = vec![None; w_its.len()];
            let mut max_used = i64::MIN;
            let mut bad = rustc_hash::FxHashMap::default();
            for _ in 0..n {
                let s = score_it.next().flatten();
                let sh = short_it.next().flatten().unwrap_or(false);
                let t = ts_it.as_mut().map(|it| {
                    let cell = it.next().flatten();
                    let t = time_cell(&parser, cell, &rule.na);
                    if t == TS_BLANK {
                        if let Some(s) = cell {
                            placeholders.check(s);
                        }
                    }
                    t
                });
                let dup = match (&mut g_it, &mask) {
                    (Some(it), Some(m)) => it.next().flatten().is_some_and(|i| m.contains(&i)),
                    _ => false,
                };
                for (slot, it) in wcells.iter_mut().zip(w_its.iter_mut()) {
                    *slot = it.next().flatten();
                }
                let o = rule.classify(sh, dup, &wcells, t, s, time_name);
                if bad_texts.is_some() && !matches!(o.status & 0x0F, USED | BLANK) {
                    note_unreadable(&rule, s, &mut bad);
                }
                if let Some(t) = t {
                    if o.status & 0x0F == USED && t != TS_BLANK && t != TS_BAD {
                        max_used = max_used.max(unpack_ts(t).0);
                    }
                }
                out.push(pack_outcome(&o));
            }
            latest.offer(max_used);
            if let Some(all) = &bad_texts {
                if let Ok(mut all) = all.lock() {
                    for (t, k) in bad {
                        *all.entry(t).or_insert(0) += k;
                    }
                }
            }
            Ok(Int64Chunked::from_vec("__c".into(), out).into_column())
        },
        inputs,
        |_, _| Ok(Field::new("__c".into(), DataType::Int64)),
    )
    .alias("__c");
    // A plain column as the key: polars parallelises with_column UDFs, not key expressions.
    let lf = lf.with_column(code);
    let mut keys = vec![col("__f"), col("__c")];
    keys.extend(cols.by.iter().map(|b| col(b.as_str())));
    lf.group_by(keys).agg([len().alias("__n")])
}

/// Count `score` among the unreadable texts when it is one (not blank, not a score).
fn note_unreadable(
    rule: &RowRule,
    score: Option<&str>,
    bad: &mut rustc_hash::FxHashMap<String, u64>,
) {
    if let Some(text) = score.map(str::trim).filter(|t| !t.is_empty()) {
        if rule.kind.read(Some(text), &rule.na).is_err() {
            crate::input::fast::note_bad_text(bad, Some(text));
        }
    }
}

/// What [`aggregate_direct`] read: the frame [`aggregate`] gives, the data records per input,
/// and how often each unreadable score text occurs (for the `--na-values` hint).
pub struct Direct {
    pub agg: DataFrame,
    pub rows: Vec<u64>,
    /// Records per piece of each input (for a second pass with a [`DupMask`]).
    ///
    /// [`DupMask`]: crate::input::fast::DupMask
    pub pieces: Vec<Vec<u64>>,
    pub bad_scores: std::collections::HashMap<String, u64>,
}

/// The same result as [`aggregate`], computed by cxm's parallel CSV reader
/// ([`crate::input::fast`]) for inputs that are all regular CSV files on disk: each chunk
/// classifies its records with the same rule and counts them per (outcome, groups), and the
/// counts are merged. `Ok(None)`: an input is not regular (the caller settles the inputs and
/// takes the polars path); nothing was noted then.
pub fn aggregate_direct(
    sources: &[crate::input::Source],
    frame: &[crate::input::FrameCol],
    rule: &RowRule,
    parser: &TimeParser,
    cols: &FrameCols,
    latest: &Latest,
    dups: Option<&crate::input::fast::DupMask>,
) -> anyhow::Result<Option<Direct>> {
    use rustc_hash::FxHashMap as HashMap;
    let pos = |name: &str| frame.iter().position(|c| c.name == name);
    let score_at = pos(&cols.score).ok_or_else(|| crate::error::err("internal: score"))?;
    let time_at = cols.time.as_deref().and_then(pos);
    let id_at = cols.id_hashes.as_ref().and_then(|(n, _)| pos(n));
    let where_at: Vec<usize> = cols.wheres.iter().filter_map(|w| pos(w)).collect();
    let by_at: Vec<usize> = cols.by.iter().filter_map(|b| pos(b)).collect();
    let time_name: &'static str = if cols.time.is_some() {
        "submitted_at"
    } else {
        ""
    };
    // Cells in this order: score, time?, id?, wheres…, bys….
    let mut order = vec![score_at];
    order.extend(time_at);
    order.extend(id_at);
    order.extend(&where_at);
    order.extend(&by_at);
    let (t_k, id_k) = (
        time_at.map(|_| 1),
        id_at.map(|_| 1 + time_at.is_some() as usize),
    );
    let w0 = 1 + time_at.is_some() as usize + id_at.is_some() as usize;
    let b0 = w0 + where_at.len();

    struct Chunk {
        counts: HashMap<Vec<u8>, u64>,
        /// The counts without `--by` (keyed by the outcome code alone: no key bytes).
        codes: HashMap<i64, u64>,
        key: Vec<u8>,
        hashes: Vec<u64>,
        max_used: i64,
        bad: HashMap<String, u64>,
        /// Placeholder dates in the time column: how many, and the first.
        placeholders: (u64, Option<String>),
        /// The piece's number and its records so far.
        piece: usize,
        seen: u64,
    }
    let mut all: HashMap<(u32, Vec<u8>), u64> = HashMap::default();
    let mut hashes: Vec<Vec<u64>> = Vec::new();
    let mut max_used = i64::MIN;
    let mut bad: HashMap<String, u64> = HashMap::default();
    let mut placeholders: Vec<(u64, Option<String>)> = Vec::new();
    let mut pieces: Vec<Vec<u64>> = Vec::new();
    let mut rows_per_input = Vec::with_capacity(sources.len());
    let visited = crate::input::visit_inputs(
        sources,
        |f| order.iter().map(|&k| frame[k].index[f]).collect(),
        t_k.as_slice(),
        |_, piece| Chunk {
            counts: HashMap::default(),
            codes: HashMap::default(),
            key: Vec::new(),
            hashes: Default::default(),
            max_used: i64::MIN,
            bad: HashMap::default(),
            placeholders: (0, None),
            piece,
            seen: 0,
        },
        |f, st, c, stamps| {
            let score = c[0].as_deref();
            let t = t_k.map(|k| {
                let cell = c[k].as_deref();
                let stamp = stamps.get(k).and_then(Option::as_ref);
                let t = time_slot(parser, cell, stamp, &rule.na);
                if t == TS_BLANK {
                    let text = stamp
                        .map(|s| std::borrow::Cow::Owned(s.text()))
                        .or(cell.map(std::borrow::Cow::Borrowed));
                    if let Some(s) = text.filter(|s| crate::time::is_placeholder_date(s)) {
                        st.placeholders.0 += 1;
                        st.placeholders.1.get_or_insert_with(|| s.into_owned());
                    }
                }
                t
            });
            if let Some(k) = id_k {
                if let Some(id) = c[k]
                    .as_deref()
                    .filter(|s| !crate::input::values::trim(s).is_empty())
                {
                    crate::input::dedup::push_hash(&mut st.hashes, id);
                }
            }
            let wheres: Vec<Option<&str>> = c[w0..b0].iter().map(|x| x.as_deref()).collect();
            let dup = dups.is_some_and(|d| d.is_dup(f, st.piece, st.seen));
            st.seen += 1;
            let o = rule.classify(false, dup, &wheres, t, score, time_name);
            // A used row's score is readable and a blank row's is blank: only the others
            // can hold an unreadable score text.
            if !matches!(o.status & 0x0F, USED | BLANK) {
                note_unreadable(rule, score, &mut st.bad);
            }
            if let Some(t) = t {
                if o.status & 0x0F == USED && t != TS_BLANK && t != TS_BAD {
                    st.max_used = st.max_used.max(unpack_ts(t).0);
                }
            }
            if b0 == c.len() {
                *st.codes.entry(pack_outcome(&o)).or_insert(0) += 1;
                return;
            }
            crate::input::fast::group_key(&mut st.key, pack_outcome(&o), &c[b0..]);
            match st.counts.get_mut(st.key.as_slice()) {
                Some(n) => *n += 1,
                None => {
                    st.counts.insert(st.key.clone(), 1);
                }
            }
        },
    );
    let Some(visited) = visited else {
        return Ok(None);
    };
    for (f, (chunks, rows)) in visited.into_iter().enumerate() {
        rows_per_input.push(rows);
        pieces.push(chunks.iter().map(|c| c.seen).collect());
        for ch in chunks {
            max_used = max_used.max(ch.max_used);
            hashes.push(ch.hashes);
            for (t, n) in ch.bad {
                *bad.entry(t).or_insert(0) += n;
            }
            placeholders.push(ch.placeholders);
            for (k, n) in ch.counts {
                *all.entry((f as u32, k)).or_insert(0) += n;
            }
            for (code, n) in ch.codes {
                // The key `group_key` gives without `--by` cells.
                *all.entry((f as u32, code.to_le_bytes().to_vec()))
                    .or_insert(0) += n;
            }
        }
    }
    // Every input was read: what the polars path would have noted.
    latest.offer(max_used);
    for (n, text) in placeholders {
        cols.placeholders.add(n, text.as_deref());
    }
    if let Some((_, h)) = &cols.id_hashes {
        if let Ok(mut v) = h.lock() {
            v.extend(hashes);
        }
    }
    // The frame `aggregate` gives: __f, __c, the group columns, __n.
    let mut fcol = Vec::with_capacity(all.len());
    let mut ccol = Vec::with_capacity(all.len());
    let mut ncol = Vec::with_capacity(all.len());
    let mut bcols: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(all.len()); by_at.len()];
    for ((f, key), n) in all {
        fcol.push(f);
        ccol.push(crate::input::fast::split_key(&key, &mut bcols));
        ncol.push(n);
    }
    let mut columns = vec![
        Column::new("__f".into(), fcol),
        Column::new("__c".into(), ccol),
    ];
    for (name, vals) in cols.by.iter().zip(bcols) {
        columns.push(Column::new(name.as_str().into(), vals));
    }
    columns.push(Column::new("__n".into(), ncol));
    let df = DataFrame::new_infer_height(columns)
        .map_err(|e| crate::error::err(format!("internal: {e}")))?;
    Ok(Some(Direct {
        agg: df,
        rows: rows_per_input,
        pieces,
        bad_scores: bad.into_iter().collect(),
    }))
}

/// Counts of one result row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub dist: Vec<u64>,
    pub blank: u64,
    pub rejected: u64,
}

impl Counts {
    pub fn new(points: usize) -> Self {
        Counts {
            dist: vec![0; points],
            blank: 0,
            rejected: 0,
        }
    }
    pub fn n(&self) -> u64 {
        self.dist.iter().sum()
    }
    pub fn add(&mut self, other: &Counts) {
        for (a, b) in self.dist.iter_mut().zip(&other.dist) {
            *a += b;
        }
        self.blank += other.blank;
        self.rejected += other.rejected;
    }
}

/// Settings of the formulas.
#[derive(Clone, Debug)]
pub struct Settings {
    pub z: f64,
    pub nps_method: stats::NpsMethod,
}

fn distribution(kind: &ScoreKind, c: &Counts) -> Value {
    let mut m = Map::new();
    for (k, v) in kind.points().into_iter().zip(&c.dist) {
        m.insert(k, json!(v));
    }
    Value::Object(m)
}

/// NPS values needed for `delta` / `p_value`: (promoters, detractors, n, nps).
pub fn nps_parts(c: &Counts) -> (u64, u64, u64) {
    let p = c.dist[9] + c.dist[10];
    let d: u64 = c.dist[..=6].iter().sum();
    (p, d, c.n())
}

/// The metric's fields from counts (without `low_n`, `delta`, `p_value`).
pub fn fields(kind: &ScoreKind, c: &Counts, s: &Settings) -> Map<String, Value> {
    let n = c.n();
    let mut m = Map::new();
    m.insert("n".into(), json!(n));
    m.insert("blank".into(), json!(c.blank));
    m.insert("rejected".into(), json!(c.rejected));
    match kind {
        ScoreKind::Nps => {
            let (p, d, _) = nps_parts(c);
            let pass = n - p - d;
            m.insert("promoters".into(), json!(p));
            m.insert("passives".into(), json!(pass));
            m.insert("detractors".into(), json!(d));
            m.insert("promoters_pct".into(), pct(p, n));
            m.insert("passives_pct".into(), pct(pass, n));
            m.insert("detractors_pct".into(), pct(d, n));
            let nps = if n == 0 {
                None
            } else {
                Some(100.0 * (p as f64 - d as f64) / n as f64)
            };
            m.insert("nps".into(), num(nps));
            let iv = stats::nps_interval(p, d, n, s.nps_method, s.z);
            m.insert("se".into(), num(iv.as_ref().map(|i| i.se)));
            m.insert("ci_low".into(), num(iv.as_ref().map(|i| i.low)));
            m.insert("ci_high".into(), num(iv.as_ref().map(|i| i.high)));
            m.insert("distribution".into(), distribution(kind, c));
        }
        ScoreKind::Csat {
            scale, satisfied, ..
        } => {
            let sat: u64 = match scale {
                CsatScale::Binary => c.dist[1],
                CsatScale::Points(_) => c
                    .dist
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (*i as i64 + 1) >= *satisfied)
                    .map(|(_, v)| v)
                    .sum(),
            };
            m.insert("satisfied".into(), json!(sat));
            m.insert("csat".into(), pct(sat, n));
            let mean = match scale {
                CsatScale::Binary => None,
                CsatScale::Points(_) => {
                    let counts: Vec<(i64, u64)> = c
                        .dist
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (i as i64 + 1, *v))
                        .collect();
                    stats::mean_sd_from_counts(&counts).0
                }
            };
            m.insert("mean".into(), num(mean));
            let w = stats::wilson(sat, n, s.z);
            m.insert("ci_low".into(), num(w.map(|x| 100.0 * x.0)));
            m.insert("ci_high".into(), num(w.map(|x| 100.0 * x.1)));
            m.insert("distribution".into(), distribution(kind, c));
        }
        ScoreKind::Ces { scale, easy, .. } => {
            let counts: Vec<(i64, u64)> = c
                .dist
                .iter()
                .enumerate()
                .map(|(i, v)| (i as i64 + 1, *v))
                .collect();
            let (mean, sd) = stats::mean_sd_from_counts(&counts);
            let difficult_max = if *scale == 7 { 3 } else { 2 };
            let easy_n: u64 = counts
                .iter()
                .filter(|(v, _)| v >= easy)
                .map(|(_, c)| c)
                .sum();
            let diff_n: u64 = counts
                .iter()
                .filter(|(v, _)| *v <= difficult_max)
                .map(|(_, c)| c)
                .sum();
            m.insert("ces".into(), num(mean));
            m.insert("easy_pct".into(), pct(easy_n, n));
            m.insert("difficult_pct".into(), pct(diff_n, n));
            m.insert("sd".into(), num(sd));
            let ci = match (mean, sd) {
                (Some(mu), Some(sd)) => Some((
                    mu - s.z * sd / (n as f64).sqrt(),
                    mu + s.z * sd / (n as f64).sqrt(),
                )),
                _ => None,
            };
            m.insert("ci_low".into(), num(ci.map(|x| x.0)));
            m.insert("ci_high".into(), num(ci.map(|x| x.1)));
            m.insert("distribution".into(), distribution(kind, c));
        }
        ScoreKind::Pmf { .. } => {
            let (not, some, very) = (c.dist[0], c.dist[1], c.dist[2]);
            m.insert("very".into(), json!(very));
            m.insert("somewhat".into(), json!(some));
            m.insert("not".into(), json!(not));
            let p = if n == 0 {
                None
            } else {
                Some(100.0 * very as f64 / n as f64)
            };
            m.insert("pmf".into(), num(p));
            let w = stats::wilson(very, n, s.z);
            m.insert("ci_low".into(), num(w.map(|x| 100.0 * x.0)));
            m.insert("ci_high".into(), num(w.map(|x| 100.0 * x.1)));
            m.insert(
                "pmf_reached".into(),
                p.map_or(Value::Null, |p| json!(p >= 40.0)),
            );
        }
    }
    m
}

/// Fields an `--assert` may name (numeric or boolean).
pub fn assertable(kind: &ScoreKind, period: bool) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = match kind {
        ScoreKind::Nps => vec![
            "n",
            "blank",
            "rejected",
            "promoters",
            "passives",
            "detractors",
            "promoters_pct",
            "passives_pct",
            "detractors_pct",
            "nps",
            "se",
            "ci_low",
            "ci_high",
        ],
        ScoreKind::Csat { .. } => vec![
            "n",
            "blank",
            "rejected",
            "satisfied",
            "csat",
            "mean",
            "ci_low",
            "ci_high",
        ],
        ScoreKind::Ces { .. } => vec![
            "n",
            "blank",
            "rejected",
            "ces",
            "easy_pct",
            "difficult_pct",
            "sd",
            "ci_low",
            "ci_high",
        ],
        ScoreKind::Pmf { .. } => vec![
            "n",
            "blank",
            "rejected",
            "very",
            "somewhat",
            "not",
            "pmf",
            "ci_low",
            "ci_high",
            "pmf_reached",
        ],
    };
    v.push("low_n");
    if period && matches!(kind, ScoreKind::Nps) {
        v.extend(["delta", "p_value"]);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::rows::pack_ts;
    use proptest::prelude::*;

    fn settings() -> Settings {
        Settings {
            z: stats::z_for(0.95),
            nps_method: stats::NpsMethod::AdjustedWald,
        }
    }

    fn counts(dist: &[u64]) -> Counts {
        Counts {
            dist: dist.to_vec(),
            blank: 0,
            rejected: 0,
        }
    }

    fn f(m: &Map<String, Value>, k: &str) -> Option<f64> {
        m.get(k).and_then(|v| v.as_f64())
    }

    #[test]
    fn nps_from_counts() {
        // 0…10: one 0, one 6, two 7, one 8, three 9, two 10 → P 5, passives 3, D 2, n 10.
        let c = counts(&[1, 0, 0, 0, 0, 0, 1, 2, 1, 3, 2]);
        let m = fields(&ScoreKind::Nps, &c, &settings());
        assert_eq!(m["promoters"], 5);
        assert_eq!(m["passives"], 3);
        assert_eq!(m["detractors"], 2);
        assert_eq!(f(&m, "nps"), Some(30.0));
        assert_eq!(f(&m, "promoters_pct"), Some(50.0));
    }

    #[test]
    fn empty_and_single_answer() {
        let m = fields(&ScoreKind::Nps, &Counts::new(11), &settings());
        assert_eq!(m["n"], 0);
        for k in ["nps", "se", "ci_low", "ci_high", "promoters_pct"] {
            assert_eq!(m[k], Value::Null, "{k}");
        }
        // One promoter: NPS 100; adjusted-Wald n' = 4, p' = 1.75/4, d' = 0.75/4, centre 25.
        let mut one = Counts::new(11);
        one.dist[9] = 1;
        let m = fields(&ScoreKind::Nps, &one, &settings());
        assert_eq!(f(&m, "nps"), Some(100.0));
        let var: f64 = (2.5 / 4.0) - 0.25f64.powi(2);
        let se = (var / 4.0).sqrt();
        assert!((f(&m, "se").unwrap() - 100.0 * se).abs() < 1e-9);
        // CES with one answer: sd and interval null.
        let ces = ScoreKind::Ces {
            scale: 7,
            invert: false,
            easy: 5,
        };
        let mut c = Counts::new(7);
        c.dist[6] = 1;
        let m = fields(&ces, &c, &settings());
        assert_eq!(f(&m, "ces"), Some(7.0));
        assert_eq!(m["sd"], Value::Null);
        assert_eq!(m["ci_low"], Value::Null);
        // All blank: n 0, every ratio null.
        let mut blank = Counts::new(5);
        blank.blank = 4;
        let csat = ScoreKind::Csat {
            scale: CsatScale::Points(5),
            invert: false,
            satisfied: 4,
        };
        let m = fields(&csat, &blank, &settings());
        assert_eq!(m["blank"], 4);
        assert_eq!(m["csat"], Value::Null);
        assert_eq!(m["mean"], Value::Null);
        assert_eq!(m["ci_low"], Value::Null);
    }

    #[test]
    fn csat_seven_and_ten_point_thresholds() {
        // 7-point: 7, 6, 5, 2 → satisfied (≥ 6) 2 of 4 = 50 %, mean 20/4.
        let k = ScoreKind::Csat {
            scale: CsatScale::Points(7),
            invert: false,
            satisfied: 6,
        };
        let m = fields(&k, &counts(&[0, 1, 0, 0, 1, 1, 1]), &settings());
        assert_eq!(f(&m, "csat"), Some(50.0));
        assert_eq!(f(&m, "mean"), Some(5.0));
        // 10-point: 8, 9, 10, 7, 1 → satisfied (≥ 8) 3 of 5 = 60 %.
        let k = ScoreKind::Csat {
            scale: CsatScale::Points(10),
            invert: false,
            satisfied: 8,
        };
        let m = fields(&k, &counts(&[1, 0, 0, 0, 0, 0, 1, 1, 1, 1]), &settings());
        assert_eq!(f(&m, "csat"), Some(60.0));
    }

    #[test]
    fn ces_five_point() {
        // 5, 4, 2, 1: mean 3; easy (≥ 4) 2 of 4; difficult (≤ 2) 2 of 4.
        let k = ScoreKind::Ces {
            scale: 5,
            invert: false,
            easy: 4,
        };
        let m = fields(&k, &counts(&[1, 1, 0, 1, 1]), &settings());
        assert_eq!(f(&m, "ces"), Some(3.0));
        assert_eq!(f(&m, "easy_pct"), Some(50.0));
        assert_eq!(f(&m, "difficult_pct"), Some(50.0));
        // sd: deviations 2, 1, −1, −2 → 10 / 3.
        assert!((f(&m, "sd").unwrap() - (10.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn reading_scores() {
        let nps = ScoreKind::Nps;
        assert_eq!(nps.read(Some("10 - Extremely likely"), &[]), Ok(Some(10)));
        assert_eq!(nps.read(Some("  "), &[]), Ok(None));
        assert_eq!(nps.read(Some("NA"), &["NA".into()]), Ok(None));
        assert_eq!(nps.read(Some("11"), &[]).unwrap_err().0, "out_of_range");
        assert_eq!(nps.read(Some("-1"), &[]).unwrap_err().0, "out_of_range");
        assert_eq!(nps.read(Some("9.5"), &[]).unwrap_err().0, "not_integer");
        assert_eq!(nps.read(Some("n/a"), &[]).unwrap_err().0, "invalid_value");
        let inv = ScoreKind::Csat {
            scale: CsatScale::Points(5),
            invert: true,
            satisfied: 4,
        };
        // 5 → 1 (code 0); 1 → 5 (code 4).
        assert_eq!(inv.read(Some("5"), &[]), Ok(Some(0)));
        assert_eq!(inv.read(Some("1"), &[]), Ok(Some(4)));
        assert_eq!(inv.read(Some("Not Offered"), &[]), Ok(None));
        let bin = ScoreKind::Csat {
            scale: CsatScale::Binary,
            invert: false,
            satisfied: 1,
        };
        assert_eq!(bin.read(Some("Good, I'm satisfied"), &[]), Ok(Some(1)));
        assert_eq!(bin.read(Some("👎"), &[]), Ok(Some(0)));
        assert_eq!(bin.read(Some("offered"), &[]), Ok(None));
        let pmf = ScoreKind::Pmf { numeric: true };
        assert_eq!(pmf.read(Some("Very disappointed"), &[]), Ok(Some(2)));
        assert_eq!(pmf.read(Some("2"), &[]), Ok(Some(1)));
        assert_eq!(pmf.read(Some("N/A - I no longer use it"), &[]), Ok(None));
        assert!(pmf.read(Some("meh"), &[]).is_err());
    }

    #[test]
    fn classification_order() {
        let rule = RowRule {
            kind: ScoreKind::Nps,
            na: vec![],
            wheres: vec![WhereCol {
                name: "region".into(),
                equals: vec!["EMEA".into()],
                not_equals: vec![],
            }],
            time_needed: true,
            since: Some(1000),
            until: None,
            time_limit: Some(10_000),
            period: None,
        };
        let t = |ms| Some(pack_ts(ms, 0));
        assert_eq!(
            rule.classify(true, false, &[Some("EMEA")], t(2000), Some("9"), "t")
                .status,
            REJECTED
        );
        assert_eq!(
            rule.classify(false, true, &[Some("EMEA")], t(2000), Some("9"), "t")
                .status,
            DUPLICATE
        );
        assert_eq!(
            rule.classify(false, false, &[Some("AMER")], t(2000), Some("9"), "t")
                .status,
            FILTERED
        );
        assert_eq!(
            rule.classify(
                false,
                false,
                &[Some(" EMEA ")],
                Some(TS_BLANK),
                Some("9"),
                "t"
            )
            .status,
            BLANK
        );
        let bad = rule.classify(false, false, &[Some("EMEA")], Some(TS_BAD), Some("9"), "t");
        assert_eq!(
            (bad.status, bad.reject.map(|r| r.code)),
            (REJECTED, Some("bad_time"))
        );
        assert_eq!(
            rule.classify(false, false, &[Some("EMEA")], t(500), Some("9"), "t")
                .status,
            FILTERED
        );
        assert_eq!(
            rule.classify(false, false, &[Some("EMEA")], t(20_000), Some("9"), "t")
                .status,
            FILTERED
        );
        let ok = rule.classify(false, false, &[Some("EMEA")], t(2000), Some("9"), "t");
        assert_eq!((ok.status, ok.value), (USED, 9));
        assert_eq!(unpack_outcome(pack_outcome(&ok)), (NO_PERIOD, USED, 9));
        assert_eq!(unpack_ts(pack_ts(-5, 2)), (-5, 2));
    }

    proptest! {
        /// NPS stays in [−100, 100] and, for n ≥ 2 at 95 %, its interval contains it.
        #[test]
        fn nps_bounds_and_interval(dist in proptest::collection::vec(0u64..50, 11)) {
            let c = counts(&dist);
            let m = fields(&ScoreKind::Nps, &c, &settings());
            if c.n() == 0 {
                prop_assert_eq!(&m["nps"], &Value::Null);
            } else {
                let nps = f(&m, "nps").unwrap();
                prop_assert!((-100.0..=100.0).contains(&nps));
                let (lo, hi) = (f(&m, "ci_low").unwrap(), f(&m, "ci_high").unwrap());
                prop_assert!((-100.0..=100.0).contains(&lo) && (-100.0..=100.0).contains(&hi) && lo <= hi);
                if c.n() >= 2 {
                    prop_assert!(lo <= nps + 1e-9 && nps <= hi + 1e-9, "{} not in [{}, {}]", nps, lo, hi);
                }
            }
        }
    }
}
