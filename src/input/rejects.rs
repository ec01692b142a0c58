//! The rejected rows of a run: where they are (FILE:LINE and column), why, and what
//! `--strict` and `--rejects FILE` do with them. The fast passes only count rejected rows;
//! when they are asked for, one pass re-reads the inputs that had any and asks the family's
//! rule (the same `classify` the fast pass used, through [`RecordRule`]) about each record.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use serde_json::{json, Map, Value};

use crate::error::err;
use crate::fail;
use crate::input::fast::Cells;
use crate::input::ledger::Ledger;
use crate::input::read::records_in_chunks;
use crate::input::rows::{time_cell, Reject};
use crate::input::{Source, Table};
use crate::output;
use crate::progress::Progress;
use crate::time::TimeParser;

/// A rejected row found by the per-record pass.
struct Rejected {
    source: usize,
    loc: u64,
    column: String,
    reason: String,
    cells: Vec<(String, Option<String>)>,
}

impl Rejected {
    /// Record `k` of `table` (input `source`), rejected at `column` (its header, or empty)
    /// for `reason`; the record's cells go along for `--rejects`.
    fn row(source: usize, table: &Table, k: usize, column: String, reason: String) -> Self {
        let mut cells: Vec<(String, Option<String>)> = table
            .headers
            .iter()
            .cloned()
            .zip(table.rows[k].iter().cloned())
            .collect();
        if let Some(raw) = table.malformed[k].as_ref().and_then(|m| m.raw.clone()) {
            cells.push(("cxm_raw".into(), Some(raw)));
        }
        Rejected {
            source,
            loc: table.locs[k],
            column,
            reason,
            cells,
        }
    }
}

/// A rejection detail with the offending cell appended (`… (Solved at "2025-01-10")`),
/// unless the detail already quotes it.
fn detail_with_value(detail: &str, column: &str, value: Option<&str>) -> String {
    match value {
        Some(v) if !detail.contains('"') => format!("{detail} ({column} {v:?})"),
        _ => detail.to_string(),
    }
}

/// One record as the rejects pass hands it to a family's rule: its cells looked up by
/// canonical column, whether it is short or a duplicate, and its `--where` cells.
pub struct Record<'a> {
    pub short: bool,
    pub dup: bool,
    pub wheres: &'a [Option<&'a str>],
    row: Row<'a>,
    input: usize,
    cols: &'a [(String, Vec<usize>)],
    parser: &'a TimeParser,
}

/// A record's cells: a row of a table the careful reader read, or every cell of a record
/// as the parallel reader gives them (borrowed from the file).
#[derive(Clone, Copy)]
enum Row<'a> {
    Read(&'a [Option<String>]),
    Cells(&'a Cells<'a>),
}

impl<'a> Row<'a> {
    fn cell(self, i: usize) -> Option<&'a str> {
        match self {
            Row::Read(r) => r.get(i).and_then(|v| v.as_deref()),
            Row::Cells(c) => c.get(i).and_then(|v| v.as_deref()),
        }
    }
}

impl<'a> Record<'a> {
    /// `None`: the column is not mapped; `Some(None)`: its cell is empty or missing.
    pub fn get(&self, canonical: &str) -> Option<Option<&'a str>> {
        let (_, idx) = self.cols.iter().find(|(n, _)| n == canonical)?;
        Some(self.row.cell(idx[self.input]))
    }

    /// The cell of a column (`None` when empty or not mapped).
    pub fn cell(&self, canonical: &str) -> Option<&'a str> {
        self.get(canonical).flatten()
    }

    pub fn has(&self, canonical: &str) -> bool {
        self.get(canonical).is_some()
    }

    /// The parser of the run's time cells (zone, formats, preset).
    pub fn parser(&self) -> &'a TimeParser {
        self.parser
    }

    /// A time cell in the packed form of [`time_cell`]; `None` when the column is not mapped.
    pub fn time(&self, canonical: &str, na: &[String]) -> Option<i64> {
        self.get(canonical).map(|v| time_cell(self.parser, v, na))
    }
}

/// A family's row rule as the rejects pass sees it: the decision of the fast pass, made
/// from one record's cells.
pub trait RecordRule {
    fn reject(&self, rec: &Record<'_>) -> Option<Reject>;
}

/// What to do with rejected rows: `--strict` fails on the first, `--rejects FILE` writes all.
pub struct RejectPolicy<'a> {
    pub strict: bool,
    pub file: Option<&'a str>,
    pub parser: &'a TimeParser,
    pub progress: &'a Progress,
}

impl RejectPolicy<'_> {
    /// The one rejects pass, for every family. When the ledger counted rejected rows and
    /// `--strict` or `--rejects` asks for them, re-read the inputs that had any and locate each
    /// (FILE:LINE, header, reason with the offending cell); then apply the policy. `mapped`
    /// names the rule's columns (canonical name → header index per input), `wheres` the
    /// `--where` columns, `dups` the global row numbers of duplicate rows. With `--rejects` and
    /// no rejected row the file is written empty (so a cron job always finds it).
    pub fn settle(
        &self,
        sources: &[Source],
        ledger: &Ledger,
        mapped: &[(String, Vec<usize>)],
        wheres: &[Vec<usize>],
        dups: Option<&HashSet<u32>>,
        rule: &(dyn RecordRule + Sync),
    ) -> Result<()> {
        let policy = self;
        let inputs = ledger.inputs();
        let rejected: u64 = inputs.iter().map(|i| i.rejected).sum();
        if rejected == 0 || !(policy.strict || policy.file.is_some()) {
            return apply(&[], sources, policy);
        }
        policy.progress.phase("finding rejected rows");
        let offsets = ledger.offsets();
        let mut found = Vec::new();
        'inputs: for (si, src) in sources.iter().enumerate() {
            if inputs[si].rejected == 0 {
                continue;
            }
            let judge = |row: Row<'_>, wh: &[Option<&str>], dup: bool| {
                let rec = Record {
                    short: false,
                    dup,
                    wheres: wh,
                    row,
                    input: si,
                    cols: mapped,
                    parser: policy.parser,
                };
                let r = rule.reject(&rec)?;
                let (column, value) = match mapped.iter().find(|(n, _)| n == r.column) {
                    Some((_, idx)) => (src.headers[idx[si]].clone(), row.cell(idx[si])),
                    None => (String::new(), None),
                };
                let detail = detail_with_value(&r.detail, &column, value);
                Some((column, format!("{}: {detail}", r.code)))
            };
            let is_dup = |k: usize| dups.is_some_and(|m| m.contains(&((offsets[si] + k) as u32)));
            if let Some(mut got) = in_one_pass(src, si, wheres, &judge, &is_dup) {
                if policy.strict && !got.is_empty() {
                    got.truncate(1);
                    found.append(&mut got);
                    break 'inputs;
                }
                found.append(&mut got);
                continue;
            }
            let mut stop = false;
            records_in_chunks(src, |first, table| {
                let mut wh: Vec<Option<&str>> = Vec::with_capacity(wheres.len());
                for (k0, row) in table.rows.iter().enumerate() {
                    let k = first + k0;
                    let cell = |i: usize| row.get(i).and_then(|v| v.as_deref());
                    wh.clear();
                    wh.extend(wheres.iter().map(|w| cell(w[si])));
                    // A malformed record is rejected for its shape, whatever its cells say.
                    let reason = if let Some(m) = &table.malformed[k0] {
                        let rec = Record {
                            short: true,
                            dup: is_dup(k),
                            wheres: &wh,
                            row: Row::Read(row),
                            input: si,
                            cols: mapped,
                            parser: policy.parser,
                        };
                        if rule.reject(&rec).is_none() {
                            continue;
                        }
                        (String::new(), format!("{}: {}", m.code, m.detail))
                    } else {
                        match judge(Row::Read(row), &wh, is_dup(k)) {
                            Some(r) => r,
                            None => continue,
                        }
                    };
                    found.push(Rejected::row(si, table, k0, reason.0, reason.1));
                    if policy.strict {
                        stop = true;
                        return Ok(false);
                    }
                }
                Ok(true)
            })?;
            if stop {
                break 'inputs;
            }
        }
        apply(&found, sources, policy)
    }
}

/// Words a record's rejection (header, reason) from its cells, `--where` cells and whether it
/// is a duplicate; `None` when it is not rejected.
type Judge<'j> = dyn Fn(Row<'_>, &[Option<&str>], bool) -> Option<(String, String)> + Sync + 'j;

/// A rejected record of a piece: its place in the piece (record, line), header and reason,
/// and its cells.
struct Found {
    record: usize,
    line: u64,
    column: String,
    reason: String,
    cells: Vec<Option<String>>,
}

/// A piece of an input read by a one-pass reader: its records and lines, and its rejected
/// records.
#[derive(Default)]
struct Piece {
    records: usize,
    lines: u64,
    found: Vec<Found>,
}

impl Piece {
    /// Visits one record (every cell of it, in header order) and its line breaks.
    fn visit(&mut self, cells: &Cells<'_>, wheres: &[Vec<usize>], si: usize, judge: &Judge<'_>) {
        let wh: Vec<Option<&str>> = wheres.iter().map(|w| cells[w[si]].as_deref()).collect();
        // A duplicate is never rejected (it is counted as one): whether this record is one
        // is known after the pass, from its place in the input.
        if let Some((column, reason)) = judge(Row::Cells(cells), &wh, false) {
            self.found.push(Found {
                record: self.records,
                line: self.lines,
                column,
                reason,
                cells: cells
                    .iter()
                    .map(|c| c.as_deref().map(str::to_string))
                    .collect(),
            });
        }
        self.records += 1;
    }

    /// The rejected records of an input's pieces (in input order) that are no duplicates,
    /// each at `loc(records and lines before it)`.
    fn rejected(
        pieces: Vec<Piece>,
        src: &Source,
        si: usize,
        is_dup: &dyn Fn(usize) -> bool,
        loc: impl Fn(usize, u64) -> u64,
    ) -> Vec<Rejected> {
        let mut out = Vec::new();
        let (mut records, mut lines) = (0usize, 0u64);
        for p in pieces {
            for f in p.found {
                if is_dup(records + f.record) {
                    continue;
                }
                out.push(Rejected {
                    source: si,
                    loc: loc(records + f.record, lines + f.line),
                    column: f.column,
                    reason: f.reason,
                    cells: src.headers.iter().cloned().zip(f.cells).collect(),
                });
            }
            records += p.records;
            lines += p.lines;
        }
        out
    }
}

/// The rejected records of input `si` when it is a regular CSV file on disk, a Parquet file
/// (without nested columns), or an NDJSON file or JSON document the open step read in full,
/// found by the one-pass readers on every core with each
/// record's cells borrowed (the careful reader's string per cell was most of this pass's
/// time); `None` for any other input (the caller reads it with the careful reader).
/// `judge` words a record's rejection as the caller does, `is_dup(k)` says whether the
/// input's record `k` is a duplicate.
fn in_one_pass(
    src: &Source,
    si: usize,
    wheres: &[Vec<usize>],
    judge: &Judge<'_>,
    is_dup: &dyn Fn(usize) -> bool,
) -> Option<Vec<Rejected>> {
    use crate::input::{fast, parquet};
    let all: Vec<usize> = (0..src.headers.len()).collect();
    let one = std::slice::from_ref(src);
    if crate::input::json_eligible(one) && src.checked {
        use crate::input::{json::visit, Format};
        if src.format == Format::Ndjson {
            // An NDJSON record is located by its line: the piece keeps it as the line of the
            // record it visits, and no line count of its own.
            let pieces = visit::visit_lines(src, Piece::default, |st, cells, line| {
                st.lines = line;
                st.visit(cells, wheres, si, judge);
                st.lines = 0;
            })?;
            return Some(Piece::rejected(pieces, src, si, is_dup, |_, line| line));
        }
        // A record of a JSON document is located by its 0-based index in the array.
        let (pieces, _) = visit::visit_inputs(
            one,
            |_| all.clone(),
            |_, _| Piece::default(),
            |_, st, cells| st.visit(cells, wheres, si, judge),
        )?
        .pop()?;
        return Some(Piece::rejected(pieces, src, si, is_dup, |k, _| k as u64));
    }
    if crate::input::parquet_eligible(one) && src.nested.is_empty() {
        // A Parquet record is located by its 0-based index, and read as the frame path
        // reads it (every column as text).
        let (pieces, _) = parquet::visit_inputs(
            one,
            |_| all.clone(),
            &[],
            |_, _| Piece::default(),
            |_, st, cells, _| st.visit(cells, wheres, si, judge),
        )?
        .pop()?;
        return Some(Piece::rejected(pieces, src, si, is_dup, |k, _| k as u64));
    }
    if !fast::eligible(one) {
        return None;
    }
    // A regular CSV file's records are the careful reader's, so only their lines are worked
    // out here: a record takes one line and one more per line break inside its quoted fields.
    let map = fast::Mapped::open(&src.path)?;
    let bytes = crate::input::read::strip_bom(map.bytes());
    let (start, width) = fast::header_end(bytes, src.delimiter)?;
    if width != src.headers.len() {
        return None;
    }
    let header_lines = memchr::memchr_iter(b'\n', &bytes[..start]).count() as u64;
    let (pieces, _) = fast::visit_mapped(
        &map,
        src.delimiter,
        &all,
        |_| Piece::default(),
        |st, cells| {
            st.visit(cells, wheres, si, judge);
            let breaks: usize = cells
                .iter()
                .flatten()
                .map(|c| memchr::memchr_iter(b'\n', c.as_bytes()).count())
                .sum();
            st.lines += 1 + breaks as u64;
        },
    )
    .ok()?;
    Some(Piece::rejected(pieces, src, si, is_dup, |_, line| {
        header_lines + line + 1
    }))
}

/// What every metric command does with the rejected rows it found: under `--strict` the
/// first is an error naming `FILE:LINE:COLUMN`; with `--rejects FILE` all are written
/// (an empty file when there are none, so a cron job always finds it).
fn apply(found: &[Rejected], sources: &[Source], policy: &RejectPolicy) -> Result<()> {
    if policy.strict {
        if let Some(r) = found.first() {
            // A malformed record (no column to blame) is named by its position alone.
            if r.column.is_empty() {
                fail!(
                    "{}: rejected row ({}); fix that record, or drop --strict to count such rows as rejected",
                    sources[r.source].position(r.loc),
                    r.reason
                );
            }
            fail!(
                "{}:{}: rejected row ({}); fix the value, or drop --strict to count such rows as rejected",
                sources[r.source].position(r.loc),
                r.column,
                r.reason
            );
        }
    }
    if let Some(p) = policy.file {
        write_rejects(p, sources, found)?;
    }
    Ok(())
}

fn write_rejects(path: &str, sources: &[Source], rows: &[Rejected]) -> Result<()> {
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
