//! `--from-aggregates FILE` (SPEC 10): reading the CSV a warehouse returned for
//! `cxm sql METRIC --stage aggregates`. The row rules already ran there, so every record is
//! a count of rows of one group and period (or, for survival, of customers per duration);
//! cxm finishes the statistics as on its own rows.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::error::err;
use crate::fail;
use crate::input::ledger::Ledger;
use crate::input::rows::{self, Status};
use crate::metrics::subscriptions::SurvivalCount;
use crate::metrics::survey::{Counts, ScoreKind};
use crate::metrics::tickets::Acc;
use crate::plan::Common;
use crate::report::norm_key;

/// An aggregates file: its header and records, read whole (aggregates are small: one record
/// per group, period and value).
pub struct AggFile {
    pub path: String,
    headers: Vec<String>,
    records: Vec<csv::StringRecord>,
}

/// A record's place: its group key and period ordinal.
pub type CellKey = (Vec<Option<String>>, i32);

impl AggFile {
    pub fn open(path: &str, c: &Common) -> Result<AggFile> {
        if c.as_of.is_none() {
            fail!("--from-aggregates needs --as-of (the instant the warehouse query used)");
        }
        let mut rdr = csv::ReaderBuilder::new()
            .from_path(path)
            .map_err(|e| err(format!("--from-aggregates {path}: cannot read: {e}")))?;
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| err(format!("--from-aggregates {path}: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let records = rdr
            .records()
            .enumerate()
            .map(|(k, r)| r.map_err(|e| err(format!("--from-aggregates {path}:{}: {e}", k + 2))))
            .collect::<Result<Vec<_>>>()?;
        Ok(AggFile {
            path: path.to_string(),
            headers,
            records,
        })
    }

    /// The index of column `name`, or an error naming what the file has.
    pub fn find(&self, name: &str) -> Result<usize> {
        self.headers.iter().position(|h| h == name).ok_or_else(|| {
            err(format!(
                "--from-aggregates {}: no column {name:?}; found: {}. Give the options the aggregates query was printed with (--by, --period, the scale)",
                self.path,
                self.headers.join(", ")
            ))
        })
    }

    /// Each record with its physical line and its (group key, period) from the `--by`
    /// columns and `period`.
    pub fn keyed(&self, c: &Common) -> Result<Vec<(usize, &csv::StringRecord, CellKey)>> {
        let by_idx: Vec<usize> = c.by.iter().map(|b| self.find(b)).collect::<Result<_>>()?;
        let period_idx = match c.period {
            Some(_) => Some(self.find("period")?),
            None => None,
        };
        let mut out = Vec::with_capacity(self.records.len());
        for (k, rec) in self.records.iter().enumerate() {
            let line = k + 2;
            let ordinal = match (c.period, period_idx) {
                (Some(pk), Some(i)) => {
                    let t = rec.get(i).unwrap_or("").trim();
                    if t.is_empty() {
                        rows::NO_PERIOD
                    } else {
                        pk.parse_label(t).ok_or_else(|| {
                            err(format!(
                                "--from-aggregates {}:{line}:period: {t:?} is not a {} label",
                                self.path,
                                pk.name()
                            ))
                        })?
                    }
                }
                _ => rows::NO_PERIOD,
            };
            let key = by_idx.iter().map(|&i| norm_key(rec.get(i))).collect();
            out.push((line, rec, (key, ordinal)));
        }
        Ok(out)
    }

    /// A whole number in column `i` (blank: 0).
    pub fn number(&self, rec: &csv::StringRecord, i: usize, line: usize) -> Result<i64> {
        let t = rec.get(i).unwrap_or("").trim();
        if t.is_empty() {
            return Ok(0);
        }
        t.parse::<i64>().map_err(|_| {
            err(format!(
                "--from-aggregates {}:{line}:{}: {t:?} is not a whole number",
                self.path, self.headers[i]
            ))
        })
    }

    /// A count in column `i` (blank: 0).
    pub fn count(&self, rec: &csv::StringRecord, i: usize, line: usize) -> Result<u64> {
        let v = self.number(rec, i, line)?;
        u64::try_from(v).map_err(|_| {
            err(format!(
                "--from-aggregates {}:{line}:{}: a count cannot be negative",
                self.path, self.headers[i]
            ))
        })
    }
}

/// Ticket cells from `cxm sql tickets --stage aggregates`: long records of `measure`
/// (`used`, `resolved`, `rejected`, `reopened` with a count; `frt`, `ttr`,
/// `ttr_unanswered`, `open_age_answered`, `open_age_unanswered` with a duration in ms and
/// how many tickets have it), per group and period.
pub fn ticket_cells(path: &str, c: &Common) -> Result<(BTreeMap<CellKey, Acc>, Ledger)> {
    let f = AggFile::open(path, c)?;
    let (mi, vi, ci) = (f.find("measure")?, f.find("value_ms")?, f.find("count")?);
    let mut cells: BTreeMap<CellKey, Acc> = BTreeMap::new();
    let mut used: BTreeMap<CellKey, u64> = BTreeMap::new();
    let mut ledger = Ledger::single(path);
    for (line, rec, key) in f.keyed(c)? {
        let n = f.count(rec, ci, line)?;
        let measure = rec.get(mi).unwrap_or("").trim();
        let acc = cells.entry(key.clone()).or_default();
        let repeat = |v: &mut Vec<i64>| -> Result<()> {
            let x = f.number(rec, vi, line)?;
            v.extend(std::iter::repeat_n(x, n as usize));
            Ok(())
        };
        match measure {
            "used" => {
                *used.entry(key.clone()).or_default() += n;
                ledger.count_in_period(0, key.1, Status::Used, n);
            }
            "resolved" => acc.resolved += n,
            "rejected" => {
                acc.rejected += n;
                ledger.count_in_period(0, key.1, Status::Rejected, n);
            }
            "reopened" => acc.reopened += n,
            "frt" => repeat(&mut acc.frt)?,
            "ttr" => repeat(&mut acc.ttr)?,
            "ttr_unanswered" => repeat(&mut acc.ttr_unanswered)?,
            "open_age_answered" => repeat(&mut acc.open_age_answered)?,
            "open_age_unanswered" => repeat(&mut acc.open_age_unanswered)?,
            other => fail!(
                "--from-aggregates {path}:{line}:measure: {other:?} is not a tickets measure; was the file made by cxm sql tickets --stage aggregates?"
            ),
        }
    }
    for (key, u) in used {
        let acc = cells.entry(key).or_default();
        if acc.resolved > u {
            fail!(
                "--from-aggregates {path}: more resolved than used tickets in one group and period"
            );
        }
        acc.open = u - acc.resolved;
    }
    Ok((cells, ledger))
}

/// Survey cells from `cxm sql nps|csat|ces|pmf --stage aggregates`: the `--by` columns,
/// `period` with `--period`, `dist_<point>` for every scale point, `blank`, `rejected`; one
/// input with its used, blank and rejected rows.
pub fn survey_cells(
    path: &str,
    kind: &ScoreKind,
    c: &Common,
) -> Result<(BTreeMap<CellKey, Counts>, Ledger)> {
    let f = AggFile::open(path, c)?;
    let points = kind.points();
    let dist_idx: Vec<usize> = points
        .iter()
        .map(|k| f.find(&format!("dist_{k}")))
        .collect::<Result<_>>()?;
    let (blank_idx, rejected_idx) = (f.find("blank")?, f.find("rejected")?);
    let mut ledger = Ledger::single(path);
    let mut cells: BTreeMap<CellKey, Counts> = BTreeMap::new();
    for (line, rec, key) in f.keyed(c)? {
        let mut cnt = Counts::new(points.len());
        for (slot, &i) in cnt.dist.iter_mut().zip(&dist_idx) {
            *slot = f.count(rec, i, line)?;
        }
        cnt.blank = f.count(rec, blank_idx, line)?;
        cnt.rejected = f.count(rec, rejected_idx, line)?;
        for (status, n) in [
            (Status::Used, cnt.n()),
            (Status::Blank, cnt.blank),
            (Status::Rejected, cnt.rejected),
        ] {
            if n > 0 {
                ledger.count_in_period(0, key.1, status, n);
            }
        }
        cells
            .entry(key)
            .or_insert_with(|| Counts::new(points.len()))
            .add(&cnt);
    }
    Ok((cells, ledger))
}

/// The columns of `cxm sql retention --survival --stage aggregates`, in order: one record
/// per distinct duration (`duration_ms`, `events`, `censored`; the row counts 0) and one
/// record with a blank `duration_ms` holding the row accounting of the table.
pub const SURVIVAL_COLUMNS: &[&str] = &[
    "duration_ms",
    "events",
    "censored",
    "used",
    "blank",
    "rejected",
    "filtered",
    "duplicate",
];

/// The survival table from `cxm sql retention --survival --stage aggregates` (see
/// [`SURVIVAL_COLUMNS`]), ascending by duration, and one input with the table's used,
/// blank, rejected, filtered and duplicate rows.
pub fn survival_cells(path: &str, c: &Common) -> Result<(Vec<SurvivalCount>, Ledger)> {
    let f = AggFile::open(path, c)?;
    let idx: Vec<usize> = SURVIVAL_COLUMNS
        .iter()
        .map(|n| f.find(n))
        .collect::<Result<_>>()?;
    let mut ledger = Ledger::single(path);
    let mut table: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for (k, rec) in f.records.iter().enumerate() {
        let line = k + 2;
        let counts = idx[1..]
            .iter()
            .map(|&i| f.count(rec, i, line))
            .collect::<Result<Vec<u64>>>()?;
        if rec.get(idx[0]).unwrap_or("").trim().is_empty() {
            for (status, &n) in [
                Status::Used,
                Status::Blank,
                Status::Rejected,
                Status::Filtered,
                Status::Duplicate,
            ]
            .iter()
            .zip(&counts[2..])
            {
                if n > 0 {
                    ledger.count(0, *status, n);
                }
            }
            continue;
        }
        let ms = f.number(rec, idx[0], line)?;
        if ms < 0 {
            fail!(
                "--from-aggregates {path}:{line}:duration_ms: a duration cannot be negative; was the file made by cxm sql retention --survival --stage aggregates?"
            );
        }
        let cell = table.entry(ms).or_default();
        cell.0 += counts[0];
        cell.1 += counts[1];
    }
    let t = ledger.total();
    if t.used == 0 && t.filtered == 0 {
        fail!(
            "--from-aggregates {path}: no valid subscription in the table ({} rows: {} blank, {} rejected); check the record with a blank duration_ms and the --col customer_id=… and --col started_at=… the query was printed with",
            t.rows,
            t.blank,
            t.rejected
        );
    }
    let spans: u64 = table.values().map(|(d, c)| d + c).sum();
    if spans > t.used {
        fail!(
            "--from-aggregates {path}: {spans} customers in the durations but {} used subscriptions in the row accounting; was the file made by cxm sql retention --survival --stage aggregates?",
            t.used
        );
    }
    Ok((
        table
            .into_iter()
            .map(|(duration_ms, (events, censored))| SurvivalCount {
                duration_ms,
                events,
                censored,
            })
            .collect(),
        ledger,
    ))
}
