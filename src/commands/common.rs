//! Glue shared by the metric commands: mapping a canonical column across every input,
//! collecting with readable errors, group order, rejected-row files, the stderr summary and
//! the exit code.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;
use serde_json::{json, Map, Value};

use crate::error::{err, EXIT_ASSERT, EXIT_OK};
use crate::fail;
use crate::input::mapping::{self, Canon};
use crate::input::presets::{self, Applied, Kind};
use crate::input::{FrameCol, Source, Table};
use crate::metrics::survey::id_hash;
use crate::output;
use crate::plan::Common;
use crate::report::{InputCount, Report};

/// Resolve an optional canonical column in every source: present in all, or in none.
pub fn resolve_all(sources: &[Source], canon: &Canon, c: &Common) -> Result<Option<Vec<usize>>> {
    let mut found: Vec<Option<usize>> = Vec::new();
    for s in sources {
        found.push(mapping::resolve_source(s, canon, &c.cols)?);
    }
    if found.iter().all(|f| f.is_some()) {
        Ok(Some(found.into_iter().map(|f| f.unwrap_or(0)).collect()))
    } else if found.iter().all(|f| f.is_none()) {
        Ok(None)
    } else {
        let with = sources
            .iter()
            .zip(&found)
            .find(|(_, f)| f.is_some())
            .map(|(s, _)| s.display.clone())
            .unwrap_or_default();
        let without = sources
            .iter()
            .zip(&found)
            .find(|(_, f)| f.is_none())
            .map(|(s, _)| s.display.clone())
            .unwrap_or_default();
        fail!(
            "the inputs do not have the same columns: {with} has a {:?} column and {without} does not; give files of one export, or map it in both with --col {}=…",
            canon.name,
            canon.name
        )
    }
}

/// Run a query on polars' streaming engine: inputs are read in batches, so memory follows
/// the size of the result (groups × periods), not the size of the files.
pub fn collect(lf: LazyFrame, sources: &[Source]) -> Result<DataFrame> {
    let fail = |e: PolarsError| {
        let msg = crate::error::render(&e.into());
        let names: Vec<&str> = sources.iter().map(|s| s.display.as_str()).collect();
        err(format!("{}: cannot read: {msg}", names.join(", ")))
    };
    // One sink (this collect), so the result is a single frame.
    Ok(lf
        .collect_with_engine(Engine::Streaming)
        .map_err(fail)?
        .unwrap_single())
}

/// Group keys sort in byte order, blank last.
pub fn group_order(a: &[Option<String>], b: &[Option<String>]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

pub fn norm_key(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A rejected row found by the per-record pass.
pub struct Rejected {
    pub source: usize,
    pub loc: u64,
    pub column: String,
    pub reason: String,
    pub cells: Vec<(String, Option<String>)>,
}

impl Rejected {
    /// Record `k` of `table` (input `source`), rejected at `column` (its header, or empty)
    /// for `reason`; the record's cells go along for `--rejects`.
    pub fn row(source: usize, table: &Table, k: usize, column: String, reason: String) -> Self {
        Rejected {
            source,
            loc: table.locs[k],
            column,
            reason,
            cells: table
                .headers
                .iter()
                .cloned()
                .zip(table.rows[k].iter().cloned())
                .collect(),
        }
    }
}

/// A rejection detail with the offending cell appended (`… (Solved at "2025-01-10")`),
/// unless the detail already quotes it.
pub fn detail_with_value(detail: &str, column: &str, value: Option<&str>) -> String {
    match value {
        Some(v) if !detail.contains('"') => format!("{detail} ({column} {v:?})"),
        _ => detail.to_string(),
    }
}

/// A column's header index in each input.
pub type ColumnIndex = Vec<usize>;

/// Resolve the `--by` and `--where` columns in every input: a header, or a canonical column
/// already mapped (`mapped`: canonical name → header index per input).
pub fn user_columns(
    sources: &[Source],
    c: &Common,
    mapped: &[(String, Vec<usize>)],
) -> Result<(Vec<ColumnIndex>, Vec<ColumnIndex>)> {
    let user_col = |name: &str, flag: &str| -> Result<Vec<usize>> {
        sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let m: Vec<(String, usize)> =
                    mapped.iter().map(|(n, v)| (n.clone(), v[i])).collect();
                mapping::resolve_user(&s.display, &s.headers, name, flag, &m)
            })
            .collect()
    };
    let by =
        c.by.iter()
            .map(|b| user_col(b, "--by"))
            .collect::<Result<_>>()?;
    let wheres = c
        .wheres
        .iter()
        .map(|w| user_col(&w.name, "--where"))
        .collect::<Result<_>>()?;
    Ok((by, wheres))
}

/// The inputs' data rows in total; an error when there are none (a header-only export:
/// `what` names the records, e.g. "tickets").
pub fn data_rows(sources: &[Source], inputs: &[InputCount], what: &str) -> Result<u64> {
    for (s, i) in sources.iter().zip(inputs) {
        if i.rows == 0 && sources.len() == 1 {
            fail!(
                "{}: no data rows (only a header); export again with the {what} included",
                s.display
            );
        }
    }
    let total: u64 = inputs.iter().map(|i| i.rows).sum();
    if total == 0 {
        fail!("the inputs have no data rows (only headers)");
    }
    Ok(total)
}

/// The global row index (`__g`) at which each input starts.
pub fn row_offsets(inputs: &[InputCount]) -> Vec<usize> {
    let mut acc = 0usize;
    inputs
        .iter()
        .map(|i| {
            let start = acc;
            acc += i.rows as usize;
            start
        })
        .collect()
}

/// What every metric command does with the rejected rows it found: under `--strict` the
/// first is an error naming `FILE:LINE:COLUMN`; with `--rejects FILE` all are written
/// (an empty file when there are none, so a cron job always finds it).
pub fn handle_rejects(found: &[Rejected], sources: &[Source], c: &Common) -> Result<()> {
    if c.strict {
        if let Some(r) = found.first() {
            fail!(
                "{}:{}: rejected row ({}); fix the value, or drop --strict to count such rows as rejected",
                sources[r.source].position(r.loc),
                r.column,
                r.reason
            );
        }
    }
    if let Some(p) = &c.rejects {
        write_rejects(p, sources, found)?;
    }
    Ok(())
}

pub fn write_rejects(path: &str, sources: &[Source], rows: &[Rejected]) -> Result<()> {
    let mut headers: Vec<String> = Vec::new();
    for r in rows {
        for (h, _) in &r.cells {
            if !headers.contains(h) {
                headers.push(h.clone());
            }
        }
    }
    let ndjson = path.ends_with(".ndjson") || path.ends_with(".jsonl");
    let mut buf: Vec<u8> = Vec::new();
    if ndjson {
        for r in rows {
            let mut m = Map::new();
            for (h, v) in &r.cells {
                m.insert(h.clone(), json!(v));
            }
            m.insert("cxm_file".into(), json!(sources[r.source].display));
            m.insert("cxm_line".into(), json!(r.loc));
            m.insert("cxm_reason".into(), json!(r.reason));
            buf.extend(serde_json::to_vec(&Value::Object(m)).unwrap_or_default());
            buf.push(b'\n');
        }
    } else {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head: Vec<String> = headers.iter().map(|h| output::csv::neutralise(h)).collect();
        head.extend(["cxm_file".into(), "cxm_line".into(), "cxm_reason".into()]);
        w.write_record(&head)?;
        for r in rows {
            let map: HashMap<&str, Option<&str>> = r
                .cells
                .iter()
                .map(|(h, v)| (h.as_str(), v.as_deref()))
                .collect();
            let mut rec: Vec<String> = headers
                .iter()
                .map(|h| {
                    map.get(h.as_str())
                        .copied()
                        .flatten()
                        .unwrap_or("")
                        .to_string()
                })
                .collect();
            rec.push(sources[r.source].display.clone());
            rec.push(r.loc.to_string());
            rec.push(r.reason.clone());
            w.write_record(&rec)?;
        }
        buf = w.into_inner().map_err(|e| err(e.to_string()))?;
    }
    output::sink::Sink::open(Some(path))?.write(&buf)
}

/// `responses.csv: 10,000 rows, 9,812 used, 150 blank, 38 rejected`
pub fn summary_line(i: &InputCount) -> String {
    use output::table::thousands;
    let mut s = format!(
        "{}: {} rows, {} used, {} blank, {} rejected",
        i.path,
        thousands(i.rows),
        thousands(i.used),
        thousands(i.blank),
        thousands(i.rejected)
    );
    if i.filtered > 0 {
        s.push_str(&format!(", {} filtered", thousands(i.filtered)));
    }
    if i.duplicate > 0 {
        s.push_str(&format!(", {} duplicate", thousands(i.duplicate)));
    }
    s
}

/// Warnings, per-input summary lines and failed checks on stderr; the exit code.
pub fn finish(report: &Report, c: &Common) -> Result<u8> {
    if !c.quiet {
        for w in &report.warnings {
            eprintln!("cxm: warning: {w}");
        }
        if matches!(
            c.format,
            output::OutFormat::Table | output::OutFormat::Markdown
        ) {
            for i in &report.inputs {
                eprintln!("{}", summary_line(i));
            }
        }
    }
    for ch in &report.checks {
        if !ch.passed {
            let v = ch.value.map_or("null".to_string(), |v| format!("{v}"));
            eprintln!(
                "cxm: assert failed: {} (value {v}{})",
                ch.assert,
                if ch.low_n { ", low n" } else { "" }
            );
        }
    }
    Ok(if report.failed() {
        EXIT_ASSERT
    } else {
        EXIT_OK
    })
}

/// The id hashes that occur more than once.
pub fn repeated_hashes(hashes: Vec<u64>) -> HashSet<u64> {
    fn repeats(mut part: Vec<u64>) -> Vec<u64> {
        part.sort_unstable();
        part.windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect()
    }
    // Equal hashes share their top bits, so the parts are sorted on their own threads.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || hashes.len() < 1 << 16 {
        return repeats(hashes).into_iter().collect();
    }
    let bits = usize::BITS - (threads - 1).leading_zeros();
    let mut parts: Vec<Vec<u64>> = (0..1usize << bits)
        .map(|_| Vec::with_capacity((hashes.len() >> bits) + 1024))
        .collect();
    for h in hashes {
        parts[(h >> (64 - bits)) as usize].push(h);
    }
    std::thread::scope(|s| {
        let jobs: Vec<_> = parts
            .into_iter()
            .map(|p| s.spawn(move || repeats(p)))
            .collect();
        jobs.into_iter()
            .flat_map(|j| j.join().unwrap_or_default())
            .collect()
    })
}

/// Duplicate ids (SPEC 4): the global row indexes (`__g`, from `with_row_index`, which `lf`
/// must carry) to count as `duplicate`. Ids are compared as written (blank ids never
/// repeat); among rows with one id the latest `updated_at` wins, then the last in input
/// order. One pass reads only the id column and hashes it; usually no hash repeats and
/// nothing else is read. Otherwise only the rows whose hash repeats are collected and
/// compared exactly.
pub fn duplicate_rows(
    lf: LazyFrame,
    sources: &[Source],
    c: &Common,
    id_col: &str,
    upd_col: Option<&str>,
) -> Result<Option<HashSet<u32>>> {
    let hashes = collect(
        lf.clone().select([col(id_col)
            .map(
                |c: Column| {
                    let out: UInt64Chunked = c
                        .str()?
                        .iter()
                        .map(|v| v.filter(|s| !s.trim().is_empty()).map(id_hash))
                        .collect();
                    Ok(out.into_column())
                },
                |_, f| Ok(Field::new(f.name().clone(), DataType::UInt64)),
            )
            .alias("__h")]),
        sources,
    )?;
    let hv: Vec<u64> = hashes
        .column("__h")
        .and_then(|c| c.u64().cloned())
        .map_err(|e| err(e.to_string()))?
        .iter()
        .flatten()
        .collect();
    let repeated = repeated_hashes(hv);
    if repeated.is_empty() {
        return Ok(None);
    }
    duplicate_losers(lf, sources, c, id_col, upd_col, repeated).map(Some)
}

/// The `duplicate` rows among those whose id hash is in `repeated` (see [`duplicate_rows`]).
pub fn duplicate_losers(
    lf: LazyFrame,
    sources: &[Source],
    c: &Common,
    id_col: &str,
    upd_col: Option<&str>,
    repeated: HashSet<u64>,
) -> Result<HashSet<u32>> {
    let repeated = Arc::new(repeated);
    let lf = lf.filter(col(id_col).map(
        move |c: Column| {
            let out: BooleanChunked = c
                .str()?
                .iter()
                .map(|v| {
                    Some(v.is_some_and(|s| !s.trim().is_empty() && repeated.contains(&id_hash(s))))
                })
                .collect();
            Ok(out.into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
    ));
    let mut sel = vec![col("__g"), col(id_col)];
    if let Some(u) = upd_col {
        sel.push(col(u));
    }
    let df = collect(lf.select(sel), sources)?;
    let text = |name: &str| -> Result<StringChunked> {
        df.column(name)
            .and_then(|c| c.str().cloned())
            .map_err(|e| err(e.to_string()))
    };
    let ids = text(id_col)?;
    let upd = match upd_col {
        Some(u) => Some(text(u)?),
        None => None,
    };
    let g = df
        .column("__g")
        .and_then(|c| c.cast(&DataType::UInt32))
        .and_then(|c| c.u32().cloned())
        .map_err(|e| err(e.to_string()))?;
    let mut best: HashMap<&str, (i64, u32)> = HashMap::new();
    let mut losers = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        let Some(id) = id.filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        let row = g.get(i).unwrap_or(0);
        let u = upd
            .as_ref()
            .and_then(|u| u.get(i))
            .and_then(|s| c.parser.parse(s).ok())
            .map_or(i64::MIN, |(ms, _)| ms);
        match best.get_mut(id) {
            None => {
                best.insert(id, (u, row));
            }
            Some(prev) => {
                if (u, row) >= *prev {
                    losers.insert(prev.1);
                    *prev = (u, row);
                } else {
                    losers.insert(row);
                }
            }
        }
    }
    Ok(losers)
}

/// Every record of one input as text cells, for the per-record pass that reports rejected
/// rows: the in-memory table when there is one, else the CSV re-read record by record, or
/// the Parquet file collected as text.
pub fn source_table(src: &Source) -> Result<SourceTable<'_>> {
    use crate::input::{self, FrameCol, Table};
    if let Some(t) = &src.table {
        return Ok(SourceTable::Borrowed(t));
    }
    if src.format != input::Format::Parquet {
        return Ok(SourceTable::Owned(input::read::read_csv_table(src)?));
    }
    let cols: Vec<FrameCol> = src
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| FrameCol {
            name: h.clone(),
            index: vec![i],
        })
        .collect();
    let one = std::slice::from_ref(src);
    let df = collect(input::frame(one, &cols)?, one)?;
    let mut t = Table {
        headers: src.headers.clone(),
        ..Default::default()
    };
    let cas: Vec<StringChunked> = src
        .headers
        .iter()
        .map(|h| df.column(h).and_then(|c| c.str().cloned()))
        .collect::<PolarsResult<_>>()
        .map_err(|e| err(e.to_string()))?;
    for r in 0..df.height() {
        t.rows
            .push(cas.iter().map(|ca| ca.get(r).map(str::to_string)).collect());
        t.locs.push(r as u64);
        t.short.push(false);
    }
    Ok(SourceTable::Owned(t))
}

/// A source's records: its in-memory table, or one read for the occasion.
pub enum SourceTable<'a> {
    Borrowed(&'a crate::input::Table),
    Owned(crate::input::Table),
}

impl std::ops::Deref for SourceTable<'_> {
    type Target = crate::input::Table;
    fn deref(&self) -> &crate::input::Table {
        match self {
            SourceTable::Borrowed(t) => t,
            SourceTable::Owned(t) => t,
        }
    }
}

/// The definition members every metric command shares (after its own): the preset, zone,
/// grouping, period, window, filters, `--min-n` and the columns mapped.
pub fn shared_definition(
    c: &Common,
    preset: Option<&str>,
    columns: Map<String, Value>,
) -> Map<String, Value> {
    let mut d = Map::new();
    if let Some(p) = preset {
        d.insert("preset".into(), json!(p));
    }
    d.insert("tz".into(), json!(c.tz_name));
    d.insert("by".into(), json!(c.by));
    d.insert("period".into(), json!(c.period.map(|p| p.name())));
    d.insert(
        "since".into(),
        json!(c.since.map(|t| crate::time::format_rfc3339(t, c.tz))),
    );
    d.insert(
        "until".into(),
        json!(c.until.map(|t| crate::time::format_rfc3339(t, c.tz))),
    );
    d.insert("where".into(), json!(c.args.where_));
    d.insert("min_n".into(), json!(c.min_n));
    d.insert("columns".into(), Value::Object(columns));
    d
}

/// Adds the `--by` and `--where` columns to the frame columns as `__by{i}` / `__w{i}` and
/// returns those names.
pub fn push_user_cols(
    cols: &mut Vec<FrameCol>,
    by_idx: &[Vec<usize>],
    where_idx: &[Vec<usize>],
) -> (Vec<String>, Vec<String>) {
    let mut named = |prefix: &str, idx: &[Vec<usize>]| -> Vec<String> {
        idx.iter()
            .enumerate()
            .map(|(i, v)| {
                let name = format!("{prefix}{i}");
                cols.push(FrameCol {
                    name: name.clone(),
                    index: v.clone(),
                });
                name
            })
            .collect()
    };
    let by = named("__by", by_idx);
    let wh = named("__w", where_idx);
    (by, wh)
}

thread_local! {
    /// The metric a `cxm report` / `cxm check` run is computing, named in notes.
    static NOTE_CONTEXT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Name the metric being computed in the notes printed meanwhile (`None` to stop).
pub fn set_note_context(name: Option<&str>) {
    NOTE_CONTEXT.with(|c| *c.borrow_mut() = name.map(str::to_string));
}

/// One `cxm: note: …` line on standard error, prefixed with the metric name inside
/// `cxm report` / `cxm check`.
pub fn note(msg: &str) {
    NOTE_CONTEXT.with(|c| match c.borrow().as_deref() {
        Some(name) => eprintln!("cxm: note: {name}: {msg}"),
        None => eprintln!("cxm: note: {msg}"),
    });
}

/// Decide and apply the vendor preset of a run (SPEC 5): its mapping fills what `--col` left
/// open, its zone and date formats apply to the time columns, its filters make rows
/// `filtered`. Prints the detection note and the preset's notes on stderr (not with `-q`).
pub fn apply_preset(
    c: &mut Common,
    sources: &mut [Source],
    kind: Kind,
    metric: &str,
) -> Result<Option<Applied>> {
    let Some(p) = presets::prepare(sources, c.args.preset.as_deref(), Some(kind), metric)? else {
        return Ok(None);
    };
    if !c.quiet {
        if p.detected {
            note(&format!(
                "detected the {} export format (use --preset none to turn this off)",
                p.name
            ));
        }
        for n in &p.notes {
            note(n);
        }
    }
    for (canon, header) in &p.cols {
        c.cols
            .0
            .entry(canon.clone())
            .or_insert_with(|| header.clone());
    }
    c.parser = c.parser.with_preset(p.zone, &p.date_formats);
    c.wheres.extend(p.filters.iter().cloned());
    Ok(Some(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_hashes_finds_every_repeat_across_parts() {
        // 200,000 distinct hashes spread over the whole u64 range, plus three repeated ones
        // (one with the top bit set, one without, one three times).
        let mut v: Vec<u64> = (0..200_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let (a, b, c) = (v[10], v[20], v[30]);
        assert!(a >> 63 != b >> 63 || a >> 63 != c >> 63);
        v.extend([a, b, c, c]);
        let r = repeated_hashes(v);
        assert_eq!(r, HashSet::from([a, b, c]));
        assert!(repeated_hashes(vec![1, 2, 3]).is_empty());
        assert_eq!(repeated_hashes(vec![5, 1, 5]), HashSet::from([5]));
    }
}
