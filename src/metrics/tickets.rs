//! Ticket metrics (SPEC 6.5): classifying one ticket row (valid, rejected, filtered, …),
//! its durations (calendar or business time), the polars pass that turns rows into small
//! per-group lists of durations, and the statistics and SLA outcomes from those lists.
//!
//! Memory: the polars pass keeps, per valid ticket, one `i64` per duration it has (first
//! response, resolution) and the creation time of open tickets (their age at as-of decides
//! their SLA outcome); everything else is counted per group. Exact percentiles need the
//! values (SPEC 8).

use std::collections::HashSet;
use std::sync::Arc;

use polars::prelude::*;
use serde_json::{json, Map, Value};

use crate::input::rejects::{Record, RecordRule};
use crate::input::rows::{
    pack_ts, time_cell, time_slot, unpack_ts, Reject, WhereCol, DUPLICATE, FILTERED, NO_PERIOD,
    REJECTED, TS_BAD, TS_BLANK, USED,
};
use crate::input::values::{is_blank, parse_int, IntCell, PlaceholderCount};
use crate::metrics::business_time::Schedule;
use crate::period::PeriodKind;
use crate::report::{num, pct};
use crate::time::{TimeParser, Tz};

// Flags of a ticket, next to its status in the packed outcome.
/// Resolved by as-of.
pub const RESOLVED: u8 = 0x01;
/// Has a first response by as-of.
pub const ANSWERED: u8 = 0x02;
/// `reopens > 0`.
pub const REOPENED: u8 = 0x04;
/// A solved/closed/resolved `status` without a `resolved_at` value (counted in warnings).
pub const SOLVED_NO_TIME: u8 = 0x08;
pub use crate::input::rows::{FLAG_DST_AMBIGUOUS, FLAG_DST_GAP};

const MS_PER_HOUR: f64 = 3_600_000.0;

/// Which time puts a ticket into a period (and is filtered by `--since/--until`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Created,
    Resolved,
}

impl Bucket {
    pub fn parse(s: &str) -> Result<Bucket, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "created" => Ok(Bucket::Created),
            "resolved" => Ok(Bucket::Resolved),
            other => Err(format!("unknown value {other:?}; use created or resolved")),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Created => "created",
            Bucket::Resolved => "resolved",
        }
    }
}

/// Everything needed to classify one ticket row; shared by the polars pass and the
/// per-record pass that reports rejected rows, so both agree.
#[derive(Clone, Debug)]
pub struct TicketRule {
    pub na: Vec<String>,
    pub wheres: Vec<WhereCol>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Events later than this have not happened (as-of, or the run time by default).
    pub limit: i64,
    pub bucket: Bucket,
    pub period: Option<(PeriodKind, Tz)>,
    /// The first response comes from a "first reply time in minutes" column.
    pub first_from_minutes: bool,
}

/// The cells of one ticket row. Times are packed by [`time_cell`] (or [`first_from_minutes`]).
pub struct Cells<'a> {
    pub short: bool,
    pub dup: bool,
    pub wheres: &'a [Option<&'a str>],
    pub created: i64,
    pub first: i64,
    pub resolved: i64,
    pub reopens: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// The outcome for one ticket row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub status: u8,
    pub flags: u8,
    pub ordinal: i32,
    pub created: i64,
    /// First response / resolution instants, when they happened by as-of.
    pub first: Option<i64>,
    pub resolved: Option<i64>,
    pub reject: Option<Reject>,
}

fn note_flag(note: u8) -> u8 {
    match note {
        1 => FLAG_DST_GAP,
        2 => FLAG_DST_AMBIGUOUS,
        _ => 0,
    }
}

fn is_solved_word(s: &str) -> bool {
    let s = crate::input::values::trim(s);
    ["solved", "closed", "resolved"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
}

/// A ticket the help desk deleted or marked as spam (status `deleted` or `spam`, any case):
/// `filtered`, as the vendors' own reports leave them out (SPEC 5).
pub fn removed(status: Option<&str>) -> bool {
    status.is_some_and(|s| {
        let s = crate::input::values::trim(s);
        s.eq_ignore_ascii_case("deleted") || s.eq_ignore_ascii_case("spam")
    })
}

/// The first response instant from a "first reply time in minutes" cell: created + minutes,
/// packed like [`time_cell`]; blank → `TS_BLANK`, not a number → `TS_BAD`.
pub fn first_from_minutes(created: i64, cell: Option<&str>, na: &[String]) -> i64 {
    let Some(s) = cell.filter(|s| !is_blank(s, na)) else {
        return TS_BLANK;
    };
    let Ok(m) = s.trim().parse::<f64>() else {
        return TS_BAD;
    };
    if !m.is_finite() || m.abs() > 1e12 {
        return TS_BAD;
    }
    if created == TS_BLANK || created == TS_BAD {
        // The row is rejected on its creation time anyway.
        return TS_BLANK;
    }
    pack_ts(unpack_ts(created).0 + (m * 60_000.0).round() as i64, 0)
}

impl TicketRule {
    /// Order: a short record; a duplicate id; `--where` and a deleted or spam status
    /// (filtered); `created_at` (missing or
    /// unparseable → rejected; after as-of → filtered; outside since/until when bucketing by
    /// creation → filtered); then `first_response_at`, `resolved_at` (unparseable or before
    /// creation → rejected) and `reopens`; then, bucketing by resolution, since/until on
    /// `resolved_at` (open tickets are filtered when either is given).
    pub fn classify(&self, c: &Cells) -> Ticket {
        let mut t = Ticket {
            status: USED,
            flags: 0,
            ordinal: NO_PERIOD,
            created: 0,
            first: None,
            resolved: None,
            reject: None,
        };
        let reject = |mut t: Ticket, column: &'static str, code: &'static str, detail: String| {
            t.status = REJECTED;
            t.reject = Some(Reject {
                column,
                code,
                detail,
            });
            t
        };
        if c.short {
            return reject(
                t,
                "",
                "field_count",
                "the record has fewer fields than the header".into(),
            );
        }
        if c.dup {
            t.status = DUPLICATE;
            return t;
        }
        if !self.wheres.iter().zip(c.wheres).all(|(w, v)| w.keeps(*v)) || removed(c.status) {
            t.status = FILTERED;
            return t;
        }
        let hint = "pass --date-format for other shapes (e.g. --date-format '%d/%m/%Y %H:%M')";
        match c.created {
            TS_BLANK => {
                return reject(
                    t,
                    "created_at",
                    "missing_time",
                    "created_at is blank; every ticket needs its creation time".into(),
                )
            }
            TS_BAD => {
                return reject(
                    t,
                    "created_at",
                    "bad_time",
                    format!("created_at is not a timestamp; {hint}"),
                )
            }
            p => {
                let (ms, note) = unpack_ts(p);
                t.created = ms;
                t.flags |= note_flag(note);
            }
        }
        if t.created > self.limit {
            t.status = FILTERED;
            return t;
        }
        if self.bucket == Bucket::Created {
            if self.since.is_some_and(|s| t.created < s)
                || self.until.is_some_and(|u| t.created >= u)
            {
                t.status = FILTERED;
                return t;
            }
            if let Some((k, tz)) = self.period {
                t.ordinal = k.ordinal_of(t.created, tz);
            }
        }
        let event = |packed: i64,
                     column: &'static str,
                     t: &mut Ticket|
         -> Result<Option<i64>, Reject> {
            match packed {
                TS_BLANK => Ok(None),
                TS_BAD if column == "first_response_at" && self.first_from_minutes => Err(Reject {
                    column: "first_response_minutes",
                    code: "bad_duration",
                    detail: "the first reply time in minutes is not a number".into(),
                }),
                TS_BAD => Err(Reject {
                    column,
                    code: "bad_time",
                    detail: format!("{column} is not a timestamp; {hint}"),
                }),
                p => {
                    let (ms, note) = unpack_ts(p);
                    t.flags |= note_flag(note);
                    if ms < t.created {
                        let col = if column == "first_response_at" && self.first_from_minutes {
                            "first_response_minutes"
                        } else {
                            column
                        };
                        return Err(Reject {
                            column: col,
                            code: "before_created",
                            detail: format!("{column} is earlier than created_at"),
                        });
                    }
                    Ok(Some(ms))
                }
            }
        };
        let first = match event(c.first, "first_response_at", &mut t) {
            Ok(v) => v,
            Err(r) => {
                t.status = REJECTED;
                t.reject = Some(r);
                return t;
            }
        };
        let resolved = match event(c.resolved, "resolved_at", &mut t) {
            Ok(v) => v,
            Err(r) => {
                t.status = REJECTED;
                t.reject = Some(r);
                return t;
            }
        };
        let reopens = match c.reopens.filter(|s| !is_blank(s, &self.na)) {
            None => 0,
            Some(s) => match parse_int(s) {
                IntCell::Int(v) if v >= 0 => v,
                _ => {
                    return reject(
                        t,
                        "reopens",
                        "bad_reopens",
                        "reopens is not a non-negative integer".into(),
                    )
                }
            },
        };
        if resolved.is_none() && c.status.is_some_and(is_solved_word) {
            t.flags |= SOLVED_NO_TIME;
        }
        // Events after as-of have not happened.
        t.first = first.filter(|&f| f <= self.limit);
        t.resolved = resolved.filter(|&r| r <= self.limit);
        if self.bucket == Bucket::Resolved {
            match t.resolved {
                Some(r) => {
                    if self.since.is_some_and(|s| r < s) || self.until.is_some_and(|u| r >= u) {
                        t.status = FILTERED;
                        return t;
                    }
                    if let Some((k, tz)) = self.period {
                        t.ordinal = k.ordinal_of(r, tz);
                    }
                }
                None if self.since.is_some() || self.until.is_some() => {
                    t.status = FILTERED;
                    return t;
                }
                None => {}
            }
        }
        if t.first.is_some() {
            t.flags |= ANSWERED;
        }
        if t.resolved.is_some() {
            t.flags |= RESOLVED;
        }
        if reopens > 0 {
            t.flags |= REOPENED;
        }
        t
    }
}

/// The rejects pass asks the same rule about one record: its cells are built as
/// [`aggregate`] builds them (the first response from minutes when there is no
/// `first_response_at` column).
impl RecordRule for TicketRule {
    fn reject(&self, r: &Record<'_>) -> Option<Reject> {
        let created = r.time("created_at", &self.na).unwrap_or(TS_BLANK);
        let first = match r.time("first_response_at", &self.na) {
            Some(t) => t,
            None => first_from_minutes(created, r.cell("first_response_minutes"), &self.na),
        };
        self.classify(&Cells {
            short: r.short,
            dup: r.dup,
            wheres: r.wheres,
            created,
            first,
            resolved: r.time("resolved_at", &self.na).unwrap_or(TS_BLANK),
            reopens: r.cell("reopens"),
            status: r.cell("status"),
        })
        .reject
    }
}

/// Elapsed time from `start` to `end` in ms: calendar, or business time in the schedule.
pub fn elapsed(start: i64, end: i64, schedule: Option<&Schedule>) -> i64 {
    match schedule {
        Some(s) => s.business_ms(start, end),
        None => end.saturating_sub(start).max(0),
    }
}

/// Pack an outcome into one integer for grouping: ordinal << 16 | status << 8 | flags.
pub fn pack_outcome(t: &Ticket) -> i64 {
    ((t.ordinal as i64) << 16) | ((t.status as i64) << 8) | t.flags as i64
}
pub fn unpack_outcome(c: i64) -> (i32, u8, u8) {
    ((c >> 16) as i32, ((c >> 8) & 0xFF) as u8, (c & 0xFF) as u8)
}

/// Column names in the frame the aggregation reads (`created_at` is always there).
pub struct FrameCols {
    pub first: Option<String>,
    /// "First reply time in minutes", used when there is no `first` timestamp column.
    pub minutes: Option<String>,
    pub resolved: Option<String>,
    pub reopens: Option<String>,
    pub status: Option<String>,
    pub wheres: Vec<String>,
    pub by: Vec<String>,
    pub dup_mask: Option<Arc<HashSet<u32>>>,
    /// `--use-exported-durations`: the columns of exported first reply / resolution
    /// minutes that replace the computed durations where a ticket has them.
    pub exported_frt: Option<String>,
    pub exported_ttr: Option<String>,
    /// Placeholder dates (SPEC 4) counted while the time columns are parsed.
    pub placeholders: Arc<TimePlaceholders>,
}

/// Placeholder dates per ticket time column, for the warnings.
#[derive(Debug, Default)]
pub struct TimePlaceholders {
    pub created: PlaceholderCount,
    pub first: PlaceholderCount,
    pub resolved: PlaceholderCount,
}

impl TimePlaceholders {
    pub fn warnings(&self) -> Vec<String> {
        [
            self.created.warning("created_at"),
            self.first.warning("first_response_at"),
            self.resolved.warning("resolved_at"),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Minutes of an exported duration cell (a non-negative number) as milliseconds.
pub fn exported_ms(cell: Option<&str>) -> Option<i64> {
    let m: f64 = cell?.trim().parse().ok()?;
    (m.is_finite() && (0.0..1e12).contains(&m)).then(|| (m * 60_000.0).round() as i64)
}

/// The exported minutes of text column `column` as milliseconds in `out` (null when blank
/// or not a number).
fn exported_ms_col(column: &str, out: &'static str) -> Expr {
    map_multiple(
        move |c: &mut [Column]| {
            let x = str_col(&c[0], "exported")?;
            let v: Int64Chunked = x.iter().map(exported_ms).collect();
            Ok(v.with_name(out.into()).into_column())
        },
        [col(column)],
        move |_, _| Ok(Field::new(out.into(), DataType::Int64)),
    )
    .alias(out)
}

fn str_col<'a>(c: &'a Column, what: &str) -> PolarsResult<&'a StringChunked> {
    c.str()
        .map_err(|_| polars_err!(ComputeError: "internal: column {} is not text", what))
}

/// `which` picks the placeholder counter of the column (0 created, 1 first, 2 resolved).
fn parse_col(
    name: &str,
    out: &str,
    parser: Arc<TimeParser>,
    na: Arc<Vec<String>>,
    placeholders: Arc<TimePlaceholders>,
    which: u8,
) -> Expr {
    let out_name: PlSmallStr = out.into();
    let out_name2 = out_name.clone();
    col(name)
        .map(
            move |c: Column| {
                let ca = str_col(&c, "time")?;
                let count = match which {
                    0 => &placeholders.created,
                    1 => &placeholders.first,
                    _ => &placeholders.resolved,
                };
                let v: Vec<i64> = ca
                    .iter()
                    .map(|v| {
                        let t = time_cell(&parser, v, &na);
                        if t == TS_BLANK {
                            if let Some(s) = v {
                                count.check(s);
                            }
                        }
                        t
                    })
                    .collect();
                Ok(Int64Chunked::from_vec(out_name.clone(), v).into_column())
            },
            move |_, _| Ok(Field::new(out_name2.clone(), DataType::Int64)),
        )
        .alias(out)
}

/// A per-row value from the outcome, the creation time and one more time column.
fn derived(
    out: &'static str,
    other: &str,
    f: impl Fn(u8, u8, i64, i64) -> Option<i64> + Send + Sync + 'static,
) -> Expr {
    map_multiple(
        move |c: &mut [Column]| {
            let code = c[0].i64()?;
            let tc = c[1].i64()?;
            let tx = c[2].i64()?;
            let v: Int64Chunked = code
                .iter()
                .zip(tc.iter())
                .zip(tx.iter())
                .map(|((k, a), b)| {
                    let (_, status, flags) = unpack_outcome(k.unwrap_or(0));
                    f(status, flags, a.unwrap_or(TS_BLANK), b.unwrap_or(TS_BLANK))
                })
                .collect();
            Ok(v.with_name(out.into()).into_column())
        },
        [col("__c"), col("__tc"), col(other)],
        move |_, _| Ok(Field::new(out.into(), DataType::Int64)),
    )
    .alias(out)
}

/// Rows → groups: parses the times once, classifies each row, derives its durations (ms,
/// calendar or business), then groups by input, outcome and `--by` columns, keeping the
/// count, the durations as lists, the creation times of open tickets and the latest time.
pub fn aggregate(
    lf: LazyFrame,
    rule: Arc<TicketRule>,
    parser: Arc<TimeParser>,
    schedule: Option<Arc<Schedule>>,
    cols: &FrameCols,
) -> LazyFrame {
    let na = Arc::new(rule.na.clone());
    let ph = cols.placeholders.clone();
    let mut lf = lf.with_column(parse_col(
        "created_at",
        "__tc",
        parser.clone(),
        na.clone(),
        ph.clone(),
        0,
    ));
    lf = match (&cols.first, &cols.minutes) {
        (Some(f), _) => lf.with_column(parse_col(
            f,
            "__tf",
            parser.clone(),
            na.clone(),
            ph.clone(),
            1,
        )),
        (None, Some(m)) => {
            let na = na.clone();
            lf.with_column(
                map_multiple(
                    move |c: &mut [Column]| {
                        let tc = c[0].i64()?;
                        let mins = str_col(&c[1], "minutes")?;
                        let v: Vec<i64> = tc
                            .iter()
                            .zip(mins.iter())
                            .map(|(t, m)| first_from_minutes(t.unwrap_or(TS_BLANK), m, &na))
                            .collect();
                        Ok(Int64Chunked::from_vec("__tf".into(), v).into_column())
                    },
                    [col("__tc"), col(m.as_str())],
                    |_, _| Ok(Field::new("__tf".into(), DataType::Int64)),
                )
                .alias("__tf"),
            )
        }
        (None, None) => lf.with_column(lit(TS_BLANK).alias("__tf")),
    };
    lf = match &cols.resolved {
        Some(r) => lf.with_column(parse_col(r, "__tr", parser.clone(), na.clone(), ph, 2)),
        None => lf.with_column(lit(TS_BLANK).alias("__tr")),
    };

    let mut inputs: Vec<Expr> = vec![col("__malformed"), col("__tc"), col("__tf"), col("__tr")];
    let has_reopens = cols.reopens.is_some();
    if let Some(r) = &cols.reopens {
        inputs.push(col(r.as_str()));
    }
    let has_status = cols.status.is_some();
    if let Some(s) = &cols.status {
        inputs.push(col(s.as_str()));
    }
    let has_dup = cols.dup_mask.is_some();
    if has_dup {
        inputs.push(col("__g"));
    }
    for w in &cols.wheres {
        inputs.push(col(w.as_str()));
    }
    let mask = cols.dup_mask.clone();
    let code = map_multiple(
        move |c: &mut [Column]| {
            let short = c[0].bool()?;
            let (tc, tf, tr) = (c[1].i64()?, c[2].i64()?, c[3].i64()?);
            let mut k = 4;
            let reopens = if has_reopens {
                k += 1;
                Some(str_col(&c[k - 1], "reopens")?)
            } else {
                None
            };
            let status = if has_status {
                k += 1;
                Some(str_col(&c[k - 1], "status")?)
            } else {
                None
            };
            let g = if has_dup {
                k += 1;
                Some(c[k - 1].idx()?)
            } else {
                None
            };
            let wheres: Vec<&StringChunked> = c[k..]
                .iter()
                .map(|x| str_col(x, "where"))
                .collect::<PolarsResult<_>>()?;
            let n = tc.len();
            let mut out: Vec<i64> = Vec::with_capacity(n);
            let mut short_it = short.iter();
            let (mut tc_it, mut tf_it, mut tr_it) = (tc.iter(), tf.iter(), tr.iter());
            let mut re_it = reopens.map(|r| r.iter());
            let mut st_it = status.map(|s| s.iter());
            let mut g_it = g.map(|g| g.iter());
            let mut w_its: Vec<_> = wheres.iter().map(|w| w.iter()).collect();
            let mut wcells: Vec<Option<&str>> = vec![None; w_its.len()];
            for _ in 0..n {
                let dup = match (&mut g_it, &mask) {
                    (Some(it), Some(m)) => it.next().flatten().is_some_and(|i| m.contains(&i)),
                    _ => false,
                };
                for (slot, it) in wcells.iter_mut().zip(w_its.iter_mut()) {
                    *slot = it.next().flatten();
                }
                let cells = Cells {
                    short: short_it.next().flatten().unwrap_or(false),
                    dup,
                    wheres: &wcells,
                    created: tc_it.next().flatten().unwrap_or(TS_BLANK),
                    first: tf_it.next().flatten().unwrap_or(TS_BLANK),
                    resolved: tr_it.next().flatten().unwrap_or(TS_BLANK),
                    reopens: re_it.as_mut().and_then(|it| it.next().flatten()),
                    status: st_it.as_mut().and_then(|it| it.next().flatten()),
                };
                out.push(pack_outcome(&rule.classify(&cells)));
            }
            Ok(Int64Chunked::from_vec("__c".into(), out).into_column())
        },
        inputs,
        |_, _| Ok(Field::new("__c".into(), DataType::Int64)),
    )
    .alias("__c");
    lf = lf.with_column(code);

    let created = |p: i64| unpack_ts(p).0;
    let s1 = schedule.clone();
    let frt = derived("__frt", "__tf", move |st, fl, tc, tf| {
        (st == USED && fl & ANSWERED != 0).then(|| elapsed(created(tc), created(tf), s1.as_deref()))
    });
    let s2 = schedule;
    let ttr = derived("__ttr", "__tr", move |st, fl, tc, tr| {
        (st == USED && fl & RESOLVED != 0).then(|| elapsed(created(tc), created(tr), s2.as_deref()))
    });
    let open = derived("__open", "__tc", move |st, fl, tc, _| {
        (st == USED && fl & RESOLVED == 0).then(|| created(tc))
    });
    lf = lf.with_columns([frt, ttr, open]);
    // Exported durations (`--use-exported-durations`): they replace the computed duration
    // of a ticket that has one; `__xmiss` marks tickets that had a duration but no exported
    // value (they keep the computed one).
    let mut misses: Vec<Expr> = Vec::new();
    for (dur, x, ms) in [
        ("__frt", &cols.exported_frt, "__xfrt_ms"),
        ("__ttr", &cols.exported_ttr, "__xttr_ms"),
    ] {
        if let Some(x) = x {
            lf = lf.with_column(exported_ms_col(x, ms));
            misses.push(col(dur).is_not_null().and(col(ms).is_null()));
            lf = lf.with_column(
                when(col(ms).is_not_null().and(col(dur).is_not_null()))
                    .then(col(ms))
                    .otherwise(col(dur))
                    .alias(dur),
            );
        }
    }
    let any_miss = misses
        .into_iter()
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    lf = lf.with_column(any_miss.cast(DataType::Int64).alias("__xmiss"));
    // The latest time of a valid ticket (for the default as-of).
    let latest = map_multiple(
        |c: &mut [Column]| {
            let code = c[0].i64()?;
            let (tc, tf, tr) = (c[1].i64()?, c[2].i64()?, c[3].i64()?);
            let v: Int64Chunked = code
                .iter()
                .zip(tc.iter())
                .zip(tf.iter().zip(tr.iter()))
                .map(|((k, a), (b, r))| {
                    let (_, st, fl) = unpack_outcome(k.unwrap_or(0));
                    if st != USED {
                        return None;
                    }
                    let mut m = unpack_ts(a.unwrap_or(0)).0;
                    if fl & ANSWERED != 0 {
                        m = m.max(unpack_ts(b.unwrap_or(0)).0);
                    }
                    if fl & RESOLVED != 0 {
                        m = m.max(unpack_ts(r.unwrap_or(0)).0);
                    }
                    Some(m)
                })
                .collect();
            Ok(v.with_name("__tm".into()).into_column())
        },
        [col("__c"), col("__tc"), col("__tf"), col("__tr")],
        |_, _| Ok(Field::new("__tm".into(), DataType::Int64)),
    )
    .alias("__tm");
    lf = lf.with_column(latest);

    let mut keys = vec![col("__f"), col("__c")];
    keys.extend(cols.by.iter().map(|b| col(b.as_str())));
    lf.group_by(keys).agg([
        len().alias("__n"),
        col("__frt").drop_nulls().alias("__frt"),
        col("__ttr").drop_nulls().alias("__ttr"),
        col("__open").drop_nulls().alias("__open"),
        col("__tm").max().alias("__tmax"),
        col("__xmiss").sum().alias("__xmiss"),
    ])
}

/// The same frame as [`aggregate`], computed by cxm's parallel CSV reader
/// ([`crate::input::fast`]) for inputs that are all regular CSV files on disk, in one pass
/// that also hashes the ticket ids (`id`: the frame column of `ticket_id`; with `dups`, the
/// second pass, the duplicate rows are known instead). `Ok(None)`: an input is not regular;
/// the caller then settles the inputs and takes the polars path; nothing was noted.
/// Exported durations and a duplicate mask are the polars path's.
#[allow(clippy::too_many_arguments)]
pub fn aggregate_direct(
    sources: &[crate::input::Source],
    frame: &[crate::input::FrameCol],
    rule: &TicketRule,
    parser: &TimeParser,
    schedule: Option<&Schedule>,
    cols: &FrameCols,
    id: Option<&str>,
    dups: Option<&crate::input::fast::DupMask>,
) -> anyhow::Result<Option<Direct>> {
    use rustc_hash::FxHashMap as HashMap;
    if cols.exported_frt.is_some() || cols.exported_ttr.is_some() {
        return Ok(None);
    }
    let pos = |name: &str| frame.iter().position(|c| c.name == name);
    let internal = |what: &str| crate::error::err(format!("internal: no frame column {what}"));
    // Cells in this order: created, first?, minutes?, resolved?, reopens?, status?, id?,
    // wheres…, bys….
    let mut order = vec![pos("created_at").ok_or_else(|| internal("created_at"))?];
    let slot = |name: Option<&str>, order: &mut Vec<usize>| -> anyhow::Result<Option<usize>> {
        match name {
            None => Ok(None),
            Some(n) => {
                order.push(pos(n).ok_or_else(|| internal(n))?);
                Ok(Some(order.len() - 1))
            }
        }
    };
    let first_k = slot(cols.first.as_deref(), &mut order)?;
    let minutes_k = slot(cols.minutes.as_deref(), &mut order)?;
    let resolved_k = slot(cols.resolved.as_deref(), &mut order)?;
    let reopens_k = slot(cols.reopens.as_deref(), &mut order)?;
    let status_k = slot(cols.status.as_deref(), &mut order)?;
    let id_k = slot(id, &mut order)?;
    // The cells read as times: created, first response, resolved.
    let times: Vec<usize> = [Some(0), first_k, resolved_k]
        .into_iter()
        .flatten()
        .collect();
    let w0 = order.len();
    for w in &cols.wheres {
        order.push(pos(w).ok_or_else(|| internal(w))?);
    }
    let b0 = order.len();
    for b in &cols.by {
        order.push(pos(b).ok_or_else(|| internal(b))?);
    }

    #[derive(Default)]
    struct Group {
        n: u64,
        /// The group's number in its piece (the tag of its values in [`Lists`]).
        id: u32,
        tmax: Option<i64>,
    }
    /// The values of one list kind (first response, resolution, open tickets' created) of a
    /// piece, in record order, each tagged with its group's number: one growing vector per
    /// kind instead of one per group and kind (thousands of small vectors that grow in
    /// place cost more in the allocator and the kernel than the values themselves).
    #[derive(Default)]
    struct Lists {
        group: Vec<u32>,
        value: Vec<i64>,
    }
    impl Lists {
        fn push(&mut self, group: u32, x: i64) {
            if self.value.capacity() == 0 {
                // Room for a large file's piece; room never written costs no memory.
                self.group.reserve(1 << 16);
                self.value.reserve(1 << 16);
            }
            self.group.push(group);
            self.value.push(x);
        }
    }
    #[derive(Default)]
    struct Chunk {
        groups: HashMap<Vec<u8>, Group>,
        /// First response, resolution and open tickets' created times.
        lists: [Lists; 3],
        key: Vec<u8>,
        hashes: Vec<u64>,
        /// Unreadable texts of created / first response / resolved, for the `--na-values`
        /// hint (see [`crate::input::fast::note_bad_text`]).
        bad: [HashMap<String, u64>; 3],
        /// Placeholder dates in created / first response / resolved: how many, the first.
        placeholders: [(u64, Option<String>); 3],
        /// The piece's number and its records so far.
        piece: usize,
        seen: u64,
    }
    let na = &rule.na;
    let ph = &cols.placeholders;
    // A time cell (its text, or a typed Parquet value), packed; a placeholder date counted,
    // an unreadable text kept for the `--na-values` hint.
    let time = |cell: Option<&str>,
                stamp: Option<&crate::input::parquet::Stamp>,
                count: &mut (u64, Option<String>),
                bad: &mut HashMap<String, u64>| {
        let t = time_slot(parser, cell, stamp, na);
        if t == TS_BLANK || t == TS_BAD {
            let text = stamp
                .map(|s| std::borrow::Cow::Owned(s.text()))
                .or(cell.map(std::borrow::Cow::Borrowed));
            if t == TS_BAD {
                crate::input::fast::note_bad_text(bad, text.as_deref());
            } else if let Some(s) = text.filter(|s| crate::time::is_placeholder_date(s)) {
                count.0 += 1;
                count.1.get_or_insert_with(|| s.into_owned());
            }
        }
        t
    };
    let created = |p: i64| unpack_ts(p).0;
    /// Per piece: its input, its groups and its lists.
    type Piece = (u32, HashMap<Vec<u8>, Group>, [Lists; 3]);
    let mut all: Vec<Piece> = Vec::new();
    let mut hashes: Vec<Vec<u64>> = Vec::new();
    let mut bad: [HashMap<String, u64>; 3] = Default::default();
    let mut placeholders: Vec<[(u64, Option<String>); 3]> = Vec::new();
    let mut pieces: Vec<Vec<u64>> = Vec::new();
    let visited = crate::input::visit_inputs(
        sources,
        |f| order.iter().map(|&k| frame[k].index[f]).collect(),
        &times,
        |_, piece| Chunk {
            piece,
            ..Chunk::default()
        },
        |f, st, c, stamps| {
            let cell = |k: Option<usize>| k.and_then(|k| c[k].as_deref());
            let stamp = |k: usize| stamps.get(k).and_then(Option::as_ref);
            let (ph, bad) = (&mut st.placeholders, &mut st.bad);
            let tc = time(c[0].as_deref(), stamp(0), &mut ph[0], &mut bad[0]);
            let tf = match (first_k, minutes_k) {
                (Some(k), _) => time(c[k].as_deref(), stamp(k), &mut ph[1], &mut bad[1]),
                (None, Some(k)) => first_from_minutes(tc, c[k].as_deref(), na),
                (None, None) => TS_BLANK,
            };
            let tr = match resolved_k {
                Some(k) => time(c[k].as_deref(), stamp(k), &mut ph[2], &mut bad[2]),
                None => TS_BLANK,
            };
            if let Some(id) = cell(id_k).filter(|s| !crate::input::values::trim(s).is_empty()) {
                crate::input::dedup::push_hash(&mut st.hashes, id);
            }
            let wheres: Vec<Option<&str>> = c[w0..b0].iter().map(|x| x.as_deref()).collect();
            let dup = dups.is_some_and(|d| d.is_dup(f, st.piece, st.seen));
            st.seen += 1;
            let t = rule.classify(&Cells {
                short: false,
                dup,
                wheres: &wheres,
                created: tc,
                first: tf,
                resolved: tr,
                reopens: cell(reopens_k),
                status: cell(status_k),
            });
            let code = pack_outcome(&t);
            let (_, status, flags) = unpack_outcome(code);
            crate::input::fast::group_key(&mut st.key, code, &c[b0..]);
            let next = st.groups.len() as u32;
            let g = match st.groups.get_mut(st.key.as_slice()) {
                Some(g) => g,
                None => st.groups.entry(st.key.clone()).or_insert(Group {
                    id: next,
                    ..Group::default()
                }),
            };
            g.n += 1;
            if status != USED {
                return;
            }
            let mut m = created(tc);
            if flags & ANSWERED != 0 {
                m = m.max(created(tf));
            }
            if flags & RESOLVED != 0 {
                m = m.max(created(tr));
            }
            g.tmax = Some(g.tmax.map_or(m, |x| x.max(m)));
            let id = g.id;
            if flags & ANSWERED != 0 {
                st.lists[0].push(id, elapsed(created(tc), created(tf), schedule));
            }
            if flags & RESOLVED != 0 {
                st.lists[1].push(id, elapsed(created(tc), created(tr), schedule));
            } else {
                st.lists[2].push(id, created(tc));
            }
        },
    );
    let Some(visited) = visited else {
        return Ok(None);
    };
    for (f, (chunks, _rows)) in visited.into_iter().enumerate() {
        pieces.push(chunks.iter().map(|c| c.seen).collect());
        for ch in chunks {
            hashes.push(ch.hashes);
            all.push((f as u32, ch.groups, ch.lists));
            placeholders.push(ch.placeholders);
            for (into, from) in bad.iter_mut().zip(ch.bad) {
                for (t, n) in from {
                    *into.entry(t).or_insert(0) += n;
                }
            }
        }
    }
    if id.is_some() && dups.is_none() {
        let repeated = crate::input::dedup::repeated_hashes(hashes);
        if !repeated.is_empty() {
            // The caller finds which rows lose and makes a second pass with them.
            return Ok(Some(Direct::Repeats { repeated, pieces }));
        }
    }
    for [c, f, r] in placeholders {
        ph.created.add(c.0, c.1.as_deref());
        ph.first.add(f.0, f.1.as_deref());
        ph.resolved.add(r.0, r.1.as_deref());
    }
    // Merge the chunks' groups, in file order (the lists keep the polars path's order):
    // every group gets its global number, its lists are sized from the counts of their
    // values, then each piece's values go to their group's lists (one copy).
    let mut global: HashMap<(u32, Vec<u8>), usize> = HashMap::default();
    let mut order_of: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut totals: Vec<(u64, Option<i64>)> = Vec::new();
    let mut pieces_lists: Vec<(Vec<usize>, [Lists; 3])> = Vec::with_capacity(all.len());
    for (f, groups, lists) in all {
        let mut to_global = vec![0usize; groups.len()];
        for (k, g) in groups {
            let key = (f, k);
            let at = match global.get(&key) {
                Some(&at) => at,
                None => {
                    order_of.push(key.clone());
                    totals.push((0, None));
                    global.insert(key, order_of.len() - 1);
                    order_of.len() - 1
                }
            };
            to_global[g.id as usize] = at;
            let t = &mut totals[at];
            t.0 += g.n;
            t.1 = t.1.max(g.tmax);
        }
        pieces_lists.push((to_global, lists));
    }
    let mut merged: Vec<[Vec<i64>; 3]> = {
        let mut sizes = vec![[0usize; 3]; order_of.len()];
        for (to_global, lists) in &pieces_lists {
            for (kind, l) in lists.iter().enumerate() {
                for &g in &l.group {
                    sizes[to_global[g as usize]][kind] += 1;
                }
            }
        }
        sizes
            .into_iter()
            .map(|s| s.map(Vec::with_capacity))
            .collect()
    };
    for (to_global, lists) in pieces_lists {
        for (kind, l) in lists.into_iter().enumerate() {
            for (&g, &x) in l.group.iter().zip(&l.value) {
                merged[to_global[g as usize]][kind].push(x);
            }
        }
    }
    let len = order_of.len();
    let (mut fcol, mut ccol, mut ncol, mut tcol) = (
        Vec::with_capacity(len),
        Vec::with_capacity(len),
        Vec::with_capacity(len),
        Vec::with_capacity(len),
    );
    let (mut frt, mut ttr, mut open) = (
        Vec::with_capacity(len),
        Vec::with_capacity(len),
        Vec::with_capacity(len),
    );
    let mut bcols: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(len); cols.by.len()];
    let mut lists: Vec<[Vec<i64>; 3]> = Vec::with_capacity(len);
    for ((key, (n, tmax)), [f_list, t_list, o_list]) in order_of.into_iter().zip(totals).zip(merged)
    {
        let (f, k) = key;
        fcol.push(f);
        ccol.push(crate::input::fast::split_key(&k, &mut bcols));
        ncol.push(n);
        tcol.push(tmax);
        // The values go to the caller beside the frame (`lists`), not through list columns
        // (two copies of every value); the columns stay, empty, for the frame's shape.
        let empty = || Some(Series::new_empty("".into(), &DataType::Int64));
        frt.push(empty());
        ttr.push(empty());
        open.push(empty());
        lists.push([f_list, t_list, o_list]);
    }
    let list = |name: &str, v: Vec<Option<Series>>| -> Column {
        let mut ca: ListChunked = v.into_iter().collect();
        ca.rename(name.into());
        ca.into_column()
    };
    let mut columns = vec![
        Column::new("__f".into(), fcol),
        Column::new("__c".into(), ccol),
    ];
    for (name, vals) in cols.by.iter().zip(bcols) {
        columns.push(Column::new(name.as_str().into(), vals));
    }
    columns.push(Column::new("__n".into(), ncol));
    columns.push(list("__frt", frt));
    columns.push(list("__ttr", ttr));
    columns.push(list("__open", open));
    columns.push(Column::new("__tmax".into(), tcol));
    columns.push(Column::new("__xmiss".into(), vec![0i64; len]));
    let df = DataFrame::new_infer_height(columns)
        .map_err(|e| crate::error::err(format!("internal: {e}")))?;
    Ok(Some(Direct::Done {
        agg: df,
        bad_times: bad.map(|m| m.into_iter().collect()),
        lists,
    }))
}

/// What [`aggregate_direct`] read.
pub enum Direct {
    /// The frame [`aggregate`] gives, and how often each unreadable text occurs in created
    /// / first response / resolved (the `--na-values` hint).
    Done {
        agg: DataFrame,
        bad_times: [std::collections::HashMap<String, u64>; 3],
        /// Row `r` of `agg`: its first response and resolution durations and its open
        /// tickets' created times (what the frame's list columns hold on the polars path;
        /// here those columns are empty).
        lists: Vec<[Vec<i64>; 3]>,
    },
    /// Ids repeat: their hashes, and the records per piece of each input, for the second
    /// pass with the duplicate rows (nothing was noted).
    Repeats {
        repeated: HashSet<u64>,
        pieces: Vec<Vec<u64>>,
    },
}

/// Everything one result row is computed from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acc {
    pub resolved: u64,
    pub open: u64,
    pub rejected: u64,
    /// Resolved tickets with `reopens > 0`.
    pub reopened: u64,
    /// FRT of tickets with a first response, ms.
    pub frt: Vec<i64>,
    /// TTR of resolved tickets, ms.
    pub ttr: Vec<i64>,
    /// TTR of resolved tickets without a first response: their FRT clock stopped there.
    pub ttr_unanswered: Vec<i64>,
    /// Age at as-of of open tickets, with / without a first response, ms.
    pub open_age_answered: Vec<i64>,
    pub open_age_unanswered: Vec<i64>,
}

impl Acc {
    pub fn n(&self) -> u64 {
        self.resolved + self.open
    }
    pub fn add(&mut self, o: &Acc) {
        self.resolved += o.resolved;
        self.open += o.open;
        self.rejected += o.rejected;
        self.reopened += o.reopened;
        self.frt.extend_from_slice(&o.frt);
        self.ttr.extend_from_slice(&o.ttr);
        self.ttr_unanswered.extend_from_slice(&o.ttr_unanswered);
        self.open_age_answered
            .extend_from_slice(&o.open_age_answered);
        self.open_age_unanswered
            .extend_from_slice(&o.open_age_unanswered);
    }
}

/// SLA targets in ms of the measured time (calendar or business).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sla {
    pub first_response: Option<i64>,
    pub resolution: Option<i64>,
}

/// Median, mean, p90, p95 of durations in ms, as hours (type-7 percentiles; the mean from
/// the integer sum). The percentiles are found by selection, not by sorting (SPEC 8: a sort
/// of millions of durations was a large serial part of a run); `v` is reordered.
pub fn duration_stats(v: &mut [i64]) -> [Option<f64>; 4] {
    if v.is_empty() {
        return [None; 4];
    }
    let sum: i128 = v.iter().map(|&x| x as i128).sum();
    let mean = sum as f64 / v.len() as f64;
    let h = |x: Option<f64>| x.map(|x| x / MS_PER_HOUR);
    let [p50, p90, p95] = percentiles_by_selection(v, [0.5, 0.9, 0.95]);
    [h(p50), h(Some(mean)), h(p90), h(p95)]
}

/// Type-7 percentiles of `v` at `qs`, each from the two order statistics around its
/// position, found by successive selections on the part of `v` not yet settled (equal to
/// [`crate::metrics::stats::percentile_sorted_i64`] on the sorted values); `v` is
/// reordered.
fn percentiles_by_selection<const N: usize>(v: &mut [i64], qs: [f64; N]) -> [Option<f64>; N] {
    use crate::metrics::stats::{type7_between, type7_position};
    let places: Vec<Option<(usize, usize, f64)>> =
        qs.iter().map(|&q| type7_position(v.len(), q)).collect();
    let mut wanted: Vec<usize> = places
        .iter()
        .flatten()
        .flat_map(|&(lo, hi, _)| [lo, hi])
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    // After selecting rank r in v[base..], every value from r on is at least v[r]: the next
    // rank is selected in v[r..].
    let mut values: Vec<(usize, i64)> = Vec::with_capacity(wanted.len());
    let mut base = 0;
    for &r in &wanted {
        let (_, x, _) = v[base..].select_nth_unstable(r - base);
        values.push((r, *x));
        base = r;
    }
    let at = |r: usize| values.iter().find(|(k, _)| *k == r).map(|(_, x)| *x);
    let mut out = [None; N];
    for (slot, place) in out.iter_mut().zip(places) {
        if let Some((lo, hi, frac)) = place {
            if let (Some(a), Some(b)) = (at(lo), at(hi)) {
                *slot = type7_between(a, b, frac);
            }
        }
    }
    out
}

/// SLA outcome counts: (breached, known).
pub fn sla_outcomes(a: &Acc, target: i64) -> ((u64, u64), (u64, u64)) {
    let over = |v: &[i64]| v.iter().filter(|&&x| x > target).count() as u64;
    // FRT: answered, or resolved without an answer (clock stopped at resolution), or
    // unanswered and already older than the target at as-of.
    let open_late_unanswered = over(&a.open_age_unanswered);
    let frt = (
        over(&a.frt) + over(&a.ttr_unanswered) + open_late_unanswered,
        (a.frt.len() + a.ttr_unanswered.len()) as u64 + open_late_unanswered,
    );
    let open_late = open_late_unanswered + over(&a.open_age_answered);
    let ttr = (over(&a.ttr) + open_late, a.ttr.len() as u64 + open_late);
    (frt, ttr)
}

/// The ticket fields of one result row (without `low_n`), in the SPEC 6.5 order.
/// Takes the accumulator: the percentiles reorder its lists in place (no copy of them).
pub fn fields(mut a: Acc, sla: &Sla) -> Map<String, Value> {
    let n = a.n();
    let mut m = Map::new();
    m.insert("tickets".into(), json!(n));
    m.insert("n".into(), json!(n));
    m.insert("resolved".into(), json!(a.resolved));
    m.insert("open".into(), json!(a.open));
    m.insert("rejected".into(), json!(a.rejected));
    m.insert("reopened".into(), json!(a.reopened));
    m.insert("reopen_rate".into(), pct(a.reopened, a.resolved));
    let (frt, ttr) = (&mut a.frt, &mut a.ttr);
    // The two selections on two cores when they are large (the total row of millions).
    let stats = if frt.len().min(ttr.len()) > 1 << 16 {
        std::thread::scope(|s| {
            let f = s.spawn(|| duration_stats(frt));
            let t = duration_stats(ttr);
            let f = f.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            [f, t]
        })
    } else {
        [duration_stats(frt), duration_stats(ttr)]
    };
    for (prefix, [med, mean, p90, p95]) in [("frt", stats[0]), ("ttr", stats[1])] {
        m.insert(format!("{prefix}_median_hours"), num(med));
        m.insert(format!("{prefix}_mean_hours"), num(mean));
        m.insert(format!("{prefix}_p90_hours"), num(p90));
        m.insert(format!("{prefix}_p95_hours"), num(p95));
    }
    let (frt_o, ttr_o) = (
        sla.first_response.map(|t| sla_outcomes(&a, t).0),
        sla.resolution.map(|t| sla_outcomes(&a, t).1),
    );
    for (prefix, o) in [("frt", frt_o), ("ttr", ttr_o)] {
        match o {
            Some((breached, known)) => {
                m.insert(format!("{prefix}_breached"), json!(breached));
                m.insert(format!("{prefix}_breach_pct"), pct(breached, known));
            }
            None => {
                m.insert(format!("{prefix}_breached"), Value::Null);
                m.insert(format!("{prefix}_breach_pct"), Value::Null);
            }
        }
    }
    m
}

/// Fields an `--assert` may name.
pub const ASSERTABLE: &[&str] = &[
    "tickets",
    "n",
    "resolved",
    "open",
    "rejected",
    "reopened",
    "reopen_rate",
    "frt_median_hours",
    "frt_mean_hours",
    "frt_p90_hours",
    "frt_p95_hours",
    "ttr_median_hours",
    "ttr_mean_hours",
    "ttr_p90_hours",
    "ttr_p95_hours",
    "frt_breached",
    "frt_breach_pct",
    "ttr_breached",
    "ttr_breach_pct",
    "low_n",
];

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    fn rule() -> TicketRule {
        TicketRule {
            na: vec![],
            wheres: vec![],
            since: None,
            until: None,
            limit: 100 * H,
            bucket: Bucket::Created,
            period: None,
            first_from_minutes: false,
        }
    }

    fn cells<'a>(created: i64, first: i64, resolved: i64, reopens: Option<&'a str>) -> Cells<'a> {
        Cells {
            short: false,
            dup: false,
            wheres: &[],
            created,
            first,
            resolved,
            reopens,
            status: None,
        }
    }

    fn ts(h: i64) -> i64 {
        pack_ts(h * H, 0)
    }

    #[test]
    fn percentiles_type7_odd_even_single() {
        // Odd: 1,2,3,4,10 h → median = 3 h; p90 at position 0.9·4 = 3.6 → 4 + 0.6·6 = 7.6 h;
        // p95 at 3.8 → 4 + 0.8·6 = 8.8 h; mean = 20/5 = 4 h.
        let mut v = vec![10 * H, 2 * H, 4 * H, H, 3 * H];
        let [med, mean, p90, p95] = duration_stats(&mut v);
        close(med, 3.0);
        close(mean, 4.0);
        close(p90, 7.6);
        close(p95, 8.8);
        // Even: 1,2,3,4 h → median 2.5 h; p90 at 2.7 → 3.7 h; p95 at 2.85 → 3.85 h; mean 2.5.
        let mut v = vec![4 * H, 3 * H, 2 * H, H];
        let [med, mean, p90, p95] = duration_stats(&mut v);
        close(med, 2.5);
        close(mean, 2.5);
        close(p90, 3.7);
        close(p95, 3.85);
        // Single: every statistic is the value; 90 minutes = 1.5 h.
        let mut v = vec![90 * 60_000];
        assert_eq!(duration_stats(&mut v), [Some(1.5); 4]);
        assert_eq!(duration_stats(&mut []), [None; 4]);
    }

    proptest::proptest! {
        /// Selection gives the percentiles of the sorted values, ties and extremes included.
        #[test]
        fn percentiles_by_selection_equal_the_sorted_ones(
            mut v in proptest::collection::vec(-5i64..50, 1..300),
        ) {
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let want = [0.5, 0.9, 0.95]
                .map(|q| crate::metrics::stats::percentile_sorted_i64(&sorted, q));
            proptest::prop_assert_eq!(percentiles_by_selection(&mut v, [0.5, 0.9, 0.95]), want);
        }
    }

    #[test]
    fn classify_valid_open_and_future_events() {
        let r = rule();
        // Created 10 h, answered 12 h, resolved 20 h: resolved, answered.
        let t = r.classify(&cells(ts(10), ts(12), ts(20), Some("2")));
        assert_eq!(t.status, USED);
        assert_eq!(t.flags, RESOLVED | ANSWERED | REOPENED);
        assert_eq!((t.first, t.resolved), (Some(12 * H), Some(20 * H)));
        // Resolution after as-of (100 h) has not happened: open, still answered.
        let t = r.classify(&cells(ts(10), ts(12), ts(150), None));
        assert_eq!(t.flags, ANSWERED);
        assert_eq!(t.resolved, None);
        // Created after as-of: filtered.
        assert_eq!(
            r.classify(&cells(ts(101), TS_BLANK, TS_BLANK, None)).status,
            FILTERED
        );
    }

    #[test]
    fn classify_rejections() {
        let r = rule();
        let code = |c: Cells| r.classify(&c).reject.map(|x| (x.code, x.column));
        assert_eq!(
            code(cells(TS_BLANK, TS_BLANK, TS_BLANK, None)),
            Some(("missing_time", "created_at"))
        );
        assert_eq!(
            code(cells(TS_BAD, TS_BLANK, TS_BLANK, None)),
            Some(("bad_time", "created_at"))
        );
        assert_eq!(
            code(cells(ts(10), ts(9), TS_BLANK, None)),
            Some(("before_created", "first_response_at"))
        );
        assert_eq!(
            code(cells(ts(10), TS_BLANK, ts(9), None)),
            Some(("before_created", "resolved_at"))
        );
        assert_eq!(
            code(cells(ts(10), TS_BLANK, TS_BAD, None)),
            Some(("bad_time", "resolved_at"))
        );
        for bad in ["-1", "1.5", "many"] {
            assert_eq!(
                code(cells(ts(10), TS_BLANK, TS_BLANK, Some(bad))),
                Some(("bad_reopens", "reopens")),
                "{bad}"
            );
        }
        // Blank reopens = 0; equal times are not "earlier".
        let t = r.classify(&cells(ts(10), ts(10), ts(10), Some(" ")));
        assert_eq!((t.status, t.flags), (USED, RESOLVED | ANSWERED));
    }

    #[test]
    fn classify_bucket_resolved_filters_on_resolution() {
        let mut r = rule();
        r.bucket = Bucket::Resolved;
        r.since = Some(15 * H);
        // Resolved at 20 h ≥ since: kept although created before since.
        assert_eq!(
            r.classify(&cells(ts(10), TS_BLANK, ts(20), None)).status,
            USED
        );
        // Resolved at 12 h: filtered; open: filtered when since/until is given.
        assert_eq!(
            r.classify(&cells(ts(10), TS_BLANK, ts(12), None)).status,
            FILTERED
        );
        assert_eq!(
            r.classify(&cells(ts(10), TS_BLANK, TS_BLANK, None)).status,
            FILTERED
        );
    }

    #[test]
    fn minutes_give_the_first_response_instant() {
        let na: Vec<String> = vec![];
        assert_eq!(
            first_from_minutes(ts(1), Some("90"), &na),
            pack_ts(H + 90 * 60_000, 0)
        );
        assert_eq!(first_from_minutes(ts(1), Some(" "), &na), TS_BLANK);
        assert_eq!(first_from_minutes(ts(1), Some("soon"), &na), TS_BAD);
        let mut r = rule();
        r.first_from_minutes = true;
        let t = r.classify(&cells(ts(10), TS_BAD, TS_BLANK, None));
        assert_eq!(t.reject.map(|x| x.code), Some("bad_duration"));
    }

    #[test]
    fn sla_outcomes_with_open_tickets_past_target() {
        // Target 4 h for both.
        // FRT: answered 1 h, 5 h (breach); resolved-unanswered with TTR 6 h (breach: the
        // clock stopped at 6 h); open unanswered ages 3 h (unknown yet) and 10 h (breach).
        // → breached 3, known 4 (1, 5, 6, 10), 75 %.
        // TTR: resolved 2 h, 6 h, 6 h(unanswered) → 2 breaches of 3; open ages: answered
        // 8 h (breach), unanswered 3 h (unknown), 10 h (breach) → breached 4, known 5, 80 %.
        let a = Acc {
            resolved: 3,
            open: 3,
            rejected: 1,
            reopened: 1,
            frt: vec![H, 5 * H],
            ttr: vec![2 * H, 6 * H, 6 * H],
            ttr_unanswered: vec![6 * H],
            open_age_answered: vec![8 * H],
            open_age_unanswered: vec![3 * H, 10 * H],
        };
        assert_eq!(sla_outcomes(&a, 4 * H), ((3, 4), (4, 5)));
        // Exactly at the target is not a breach ("exceeding means >").
        assert_eq!(sla_outcomes(&a, 5 * H).0, (2, 4));
        let f = fields(
            a.clone(),
            &Sla {
                first_response: Some(4 * H),
                resolution: Some(4 * H),
            },
        );
        assert_eq!(f["tickets"], 6);
        assert_eq!(f["n"], 6);
        assert_eq!(f["open"], 3);
        assert_eq!(f["frt_breached"], 3);
        close(f["frt_breach_pct"].as_f64(), 75.0);
        assert_eq!(f["ttr_breached"], 4);
        close(f["ttr_breach_pct"].as_f64(), 80.0);
        // Reopen rate: 1 of 3 resolved.
        close(f["reopen_rate"].as_f64(), 100.0 / 3.0);
        // FRT median of [1, 5] h = 3 h; TTR median of [2, 6, 6] = 6 h, mean 14/3.
        close(f["frt_median_hours"].as_f64(), 3.0);
        close(f["ttr_median_hours"].as_f64(), 6.0);
        close(f["ttr_mean_hours"].as_f64(), 14.0 / 3.0);
    }

    #[test]
    fn zero_denominators_are_null() {
        let f = fields(Acc::default(), &Sla::default());
        assert_eq!(f["n"], 0);
        for k in [
            "reopen_rate",
            "frt_median_hours",
            "ttr_p95_hours",
            "frt_breached",
            "ttr_breach_pct",
        ] {
            assert_eq!(f[k], Value::Null, "{k}");
        }
        // SLA set, but nothing known yet (one open ticket younger than the target): 0 of 0.
        let a = Acc {
            open: 1,
            open_age_unanswered: vec![H],
            ..Default::default()
        };
        let f = fields(
            a.clone(),
            &Sla {
                first_response: Some(2 * H),
                resolution: Some(2 * H),
            },
        );
        assert_eq!(f["frt_breached"], 0);
        assert_eq!(f["frt_breach_pct"], Value::Null);
        assert_eq!(f["ttr_breach_pct"], Value::Null);
        assert_eq!(f["reopen_rate"], Value::Null);
    }

    #[test]
    fn business_elapsed_uses_the_schedule() {
        // Mon-Fri 09:00-17:00 UTC. 2025-01-03 is a Friday: Fri 16:00 → Mon 10:00 = 2 h.
        let s = Schedule::parse("Mon-Fri 09:00-17:00", chrono_tz::UTC).unwrap();
        let fri16 = 1_735_920_000_000; // 2025-01-03T16:00:00Z
        let mon10 = fri16 + 66 * H;
        assert_eq!(elapsed(fri16, mon10, Some(&s)), 2 * H);
        assert_eq!(elapsed(fri16, mon10, None), 66 * H);
    }
}
