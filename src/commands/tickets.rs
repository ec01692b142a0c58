//! `cxm tickets`: map the ticket columns, run the polars pass (classification and durations
//! per ticket, durations kept per group), then statistics per group × period and the total,
//! SLA outcomes at as-of, thresholds and the output (SPEC 6.5).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use polars::prelude::*;
use serde_json::{json, Map, Value};

use crate::assert;
use crate::cli::CommonArgs;
use crate::error::err;
use crate::fail;
use crate::input::dedup::{duplicate_losers, duplicate_rows};
use crate::input::ledger::Ledger;
use crate::input::mapping::Canon;
use crate::input::presets::Kind;
use crate::input::rows::{Status, NO_PERIOD, REJECTED, USED};
use crate::input::schema::tickets::{
    CHANNEL, CREATED, FIRST, FIRST_BUSINESS_MINUTES, FIRST_MINUTES, ID, PRIORITY, REOPENS,
    RESOLVED_C, RES_BUSINESS_MINUTES, RES_MINUTES, STATUS, UPDATED,
};
use crate::input::schema::Dataset;
use crate::input::schema::{column_headers, frame_cols, push_user_cols, user_columns, Mapper};
use crate::input::{self, col_i64, col_list, col_str, col_u32, col_u64, collect, read, Source};
use crate::metrics::business_time::{parse_holidays, Schedule};
use crate::metrics::tickets::{
    self as tk, Acc, Bucket, FrameCols, Sla, TicketRule, ANSWERED, FLAG_DST_AMBIGUOUS,
    FLAG_DST_GAP, REOPENED, RESOLVED, SOLVED_NO_TIME,
};
use crate::plan::{self, Common};
use crate::progress::Progress;
use crate::report::{norm_key, series, span, with_low_n};
use crate::report::{Col, ColKind, Report, Row};
use crate::time;

/// Business hours and SLA targets of a ticket metric (`cxm tickets` and `cxm sql tickets`).
#[derive(Args, Debug, Clone, Default)]
pub struct TicketTimeArgs {
    /// Measure in business hours: comma-separated `DAYS HH:MM-HH:MM`, e.g. "Mon-Fri 09:00-17:00"
    #[arg(long, value_name = "SPANS")]
    pub business_hours: Option<String>,
    /// Holidays (lines YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, a CSV with date, or Zendesk JSON)
    #[arg(long, value_name = "FILE")]
    pub holidays: Option<String>,
    /// A Zendesk schedule JSON (FILE#ID picks one of several)
    #[arg(long, value_name = "FILE[#ID]")]
    pub schedule: Option<String>,
    /// First-response SLA target, e.g. 4h, 1h30m, 1d
    #[arg(long, value_name = "D")]
    pub sla_first_response: Option<String>,
    /// Resolution SLA target, e.g. 24h, 2d
    #[arg(long, value_name = "D")]
    pub sla_resolution: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct TicketsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub time: TicketTimeArgs,
    /// Which time puts a ticket into a period (and --since/--until filter)
    #[arg(long, value_name = "created|resolved", default_value = "created")]
    pub bucket_by: String,
    /// How tables show durations
    #[arg(long, value_name = "auto|minutes|hours|days", default_value = "auto")]
    pub unit: String,
    /// Take the first reply and full resolution minutes the export carries (Zendesk; the
    /// business-hours ones with --business-hours/--schedule) instead of recomputing them
    #[arg(long)]
    pub use_exported_durations: bool,
    #[command(flatten)]
    pub explain: crate::cli::ExplainArgs,
    /// With --explain: the figure split into mix and rate [default: ttr_mean_hours]
    #[arg(
        long,
        value_name = "ttr_mean_hours|frt_mean_hours|frt_breach_pct|ttr_breach_pct|reopen_rate"
    )]
    pub explain_metric: Option<String>,
}

/// Table columns: the breach % of each SLA that was given (none without `--sla-*`).
fn headline(sla: &Sla) -> Vec<Col> {
    let c = |key, label, kind| Col { key, label, kind };
    let mut v = vec![
        c("n", "n", ColKind::Int),
        c("open", "open", ColKind::Int),
        c("frt_median_hours", "FRT med", ColKind::Hours),
        c("frt_p90_hours", "FRT p90", ColKind::Hours),
        c("ttr_median_hours", "TTR med", ColKind::Hours),
        c("ttr_p90_hours", "TTR p90", ColKind::Hours),
    ];
    if sla.first_response.is_some() {
        v.push(c("frt_breach_pct", "FRT brch", ColKind::Pct));
    }
    if sla.resolution.is_some() {
        v.push(c("ttr_breach_pct", "TTR brch", ColKind::Pct));
    }
    v
}

/// Business-time settings from the flags: the schedule and how it was given.
fn schedule_of(a: &TicketsArgs, c: &Common) -> Result<Option<(Schedule, Value)>> {
    schedule_from(
        a.time.business_hours.as_deref(),
        a.time.holidays.as_deref(),
        a.time.schedule.as_deref(),
        c.tz,
    )
}

/// The business schedule of `--business-hours SPANS` or `--schedule FILE[#ID]` in zone
/// `tz`, with `--holidays FILE`, and its description for `definition` (also `cxm sql`).
pub fn schedule_from(
    business_hours: Option<&str>,
    holidays_file: Option<&str>,
    schedule: Option<&str>,
    tz: crate::time::Tz,
) -> Result<Option<(Schedule, Value)>> {
    let holidays = match holidays_file {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| err(format!("--holidays {p}: cannot read: {e}")))?;
            Some(parse_holidays(&text).map_err(|e| err(format!("--holidays {p}: {e}")))?)
        }
    };
    let sched = match (business_hours, schedule) {
        (Some(_), Some(_)) => {
            fail!("--business-hours and --schedule both give business hours; use one of them")
        }
        (Some(spec), None) => {
            Schedule::parse(spec, tz).map_err(|e| err(format!("--business-hours: {e}")))?
        }
        (None, Some(s)) => {
            // FILE#ID: the whole text is tried as a path first (a name may hold `#`).
            let (path, id) = if std::path::Path::new(s).exists() {
                (s, None)
            } else {
                match s.rsplit_once('#') {
                    Some((p, id)) => (p, Some(id)),
                    None => (s, None),
                }
            };
            let text = std::fs::read_to_string(path)
                .map_err(|e| err(format!("--schedule {path}: cannot read: {e}")))?;
            Schedule::from_zendesk_json(&text, id)
                .map_err(|e| err(format!("--schedule {path}: {e}")))?
        }
        (None, None) => {
            if holidays_file.is_some() {
                fail!("--holidays needs business hours: add --business-hours SPANS or --schedule FILE");
            }
            return Ok(None);
        }
    };
    let sched = match &holidays {
        Some(h) => sched.with_holidays(h),
        None => sched,
    };
    let desc = json!({
        "business_hours": business_hours,
        "schedule": schedule,
        "holidays": holidays_file,
        "time_zone": sched.tz().name(),
        "weekly_minutes": sched.weekly_minutes(),
    });
    Ok(Some((sched, desc)))
}

pub fn sla_of(
    flag: &str,
    v: &Option<String>,
    business: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<i64>> {
    let Some(s) = v else { return Ok(None) };
    let ms = time::parse_duration(s).map_err(|e| err(format!("{flag} {s:?}: {e}")))?;
    if business && s.contains(['d', 'w']) {
        warnings.push(format!(
            "{flag} {s}: a day (d) is 24 hours of business time, not a business day; write hours (e.g. 8h) to mean one business day"
        ));
    }
    Ok(Some(ms))
}

/// The `--na-values` hint (SPEC 6) for the first time column whose rejected cells are
/// mostly one text.
fn time_na_hint(
    sources: &[Source],
    c: &Common,
    rejected: u64,
    cols: &[(&str, Option<&Vec<usize>>)],
) -> Result<Option<String>> {
    if rejected < 2 {
        return Ok(None);
    }
    for (canon, idx) in cols {
        let Some(idx) = idx else { continue };
        let (parser, na) = (c.parser.clone(), c.na.clone());
        let bad = move |t: &str| {
            !input::values::is_blank(t, &na)
                && !time::is_placeholder_date(t)
                && parser.parse(t).is_err()
        };
        if let Some(h) = input::values::na_hint(sources, canon, idx, rejected, bad)? {
            return Ok(Some(h));
        }
    }
    Ok(None)
}

/// `into` followed by `v`, without a copy when `into` is empty.
fn append(into: &mut Vec<i64>, v: Vec<i64>) {
    if into.is_empty() {
        *into = v;
    } else {
        into.extend(v);
    }
}

fn i64_list(s: Option<Series>) -> PolarsResult<Vec<i64>> {
    match s {
        None => Ok(Vec::new()),
        Some(s) => Ok(s.i64()?.iter().flatten().collect()),
    }
}

/// Compute the ticket report without printing or writing anything.
pub fn compute(a: &TicketsArgs) -> Result<(Report, Common)> {
    let mut c = plan::common(&a.common, Dataset::Tickets)?;
    plan::explain(&a.explain, &mut c)?;
    let bucket = Bucket::parse(&a.bucket_by).map_err(|e| err(format!("--bucket-by: {e}")))?;
    let unit = match a.unit.to_ascii_lowercase().as_str() {
        u @ ("auto" | "minutes" | "hours" | "days") => u.to_string(),
        other => fail!("--unit {other:?}: use auto, minutes, hours or days"),
    };
    let mut warnings: Vec<String> = Vec::new();
    let sched = schedule_of(a, &c)?;
    let business = sched.is_some();
    let sla = Sla {
        first_response: sla_of(
            "--sla-first-response",
            &a.time.sla_first_response,
            business,
            &mut warnings,
        )?,
        resolution: sla_of(
            "--sla-resolution",
            &a.time.sla_resolution,
            business,
            &mut warnings,
        )?,
    };
    let explain_metric =
        super::explain::ticket_metric(a.explain_metric.as_deref(), c.explain.is_some(), &sla)?;
    let assertable = match c.explain {
        Some(_) => crate::metrics::explain::ASSERTABLE,
        None => tk::ASSERTABLE,
    };
    assert::validate(&c.asserts, assertable, c.period.is_some())?;
    let progress = Progress::start(c.progress);
    let g = match c.args.from_aggregates.clone() {
        Some(path) => {
            let (cells, ledger) = super::aggregates::ticket_cells(&path, &c)?;
            let rejected_warning = ledger.rejected_warning(true);
            Gathered {
                cells,
                ledger,
                latest: None,
                rejected_warning,
                column_warnings: Vec::new(),
                hint_warnings: Vec::new(),
                last_warnings: Vec::new(),
                first_response: "first_response_at",
                preset: None,
                colmap: Map::new(),
            }
        }
        None => gather_rows(a, &mut c, &sched, bucket, &mut warnings, &progress)?,
    };
    let figures = crate::progress::Timer::new();
    let mut cells = g.cells;
    let mut ledger = g.ledger;
    let rejected_warning = g.rejected_warning;
    let as_of = c.as_of.or(g.latest);

    let explained = super::explain::prepare(&c, as_of, &mut ledger);

    // Period range and --last.
    let mut ordinals: Vec<i32> = Vec::new();
    if let Some(pk) = c.period {
        ordinals = span(
            cells
                .iter()
                .filter(|((_, o), v)| *o != NO_PERIOD && v.n() > 0)
                .map(|((_, o), _)| *o),
        );
        if let Some(n) = c.last {
            let last_complete = pk.last_complete(as_of.unwrap_or(c.now_ms), c.tz);
            let first = last_complete - n as i32 + 1;
            ordinals = (first..=last_complete).collect();
            // Tickets outside the kept periods (open tickets bucketed by resolution included)
            // are filtered.
            // Rejected rows without a period stay rejected.
            let outside = |o: i32, st: Status| {
                if o == NO_PERIOD {
                    st == Status::Used
                } else {
                    o < first || o > last_complete
                }
            };
            cells.retain(|(_, o), _| *o == NO_PERIOD || !outside(*o, Status::Rejected));
            for ((_, o), v) in cells.iter_mut() {
                if *o == NO_PERIOD {
                    *v = Acc {
                        rejected: v.rejected,
                        ..Default::default()
                    };
                }
            }
            ledger.filter_periods(outside);
        }
    }

    let min_n = c.min_n;
    let with_low_n = |m: Map<String, Value>, n: u64| with_low_n(m, n, min_n);
    let mut rows: Vec<Row> = Vec::new();
    for g in series(&cells, !c.by.is_empty(), c.period.is_some()) {
        let pick = |o: Option<i32>| -> Acc {
            let mut acc = Acc::default();
            for ((k, ord), v) in &cells {
                if g.as_ref().is_none_or(|gk| gk == k) && o.is_none_or(|o| o == *ord) {
                    acc.add(v);
                }
            }
            acc
        };
        match c.period {
            None => {
                let acc = pick(None);
                rows.push(Row {
                    group: g.clone(),
                    period: None,
                    partial: false,
                    fields: {
                        let n = acc.n();
                        with_low_n(tk::fields(acc, &sla), n)
                    },
                });
            }
            Some(pk) => {
                for &o in &ordinals {
                    let acc = pick(Some(o));
                    rows.push(Row {
                        group: g.clone(),
                        period: Some(pk.label(o)),
                        partial: as_of.is_none_or(|a| pk.end_ms(o, c.tz) > a),
                        fields: {
                            let n = acc.n();
                            with_low_n(tk::fields(acc, &sla), n)
                        },
                    });
                }
            }
        }
    }
    let mut total = Acc::default();
    for v in cells.values() {
        total.add(v);
    }
    let tn = total.n();
    let total_fields = with_low_n(tk::fields(total, &sla), tn);

    if tn == 0 {
        warnings.push("no tickets left after filtering: n is 0 and the metrics are null".into());
    }
    warnings.extend(g.column_warnings);
    warnings.extend(ledger.dst_warnings(Some("tickets")));
    warnings.extend(rejected_warning);
    warnings.extend(g.hint_warnings);
    if let Some(k) = min_n {
        if tn < k {
            warnings.push(format!("only {tn} tickets, fewer than --min-n {k}"));
        }
    }

    let mut definition = Map::new();
    definition.insert(
        "time".into(),
        json!(if business { "business" } else { "calendar" }),
    );
    definition.insert(
        "business".into(),
        sched.as_ref().map_or(Value::Null, |(_, d)| d.clone()),
    );
    definition.insert("first_response".into(), json!(g.first_response));
    definition.insert(
        "sla_first_response".into(),
        json!(a.time.sla_first_response),
    );
    definition.insert("sla_resolution".into(), json!(a.time.sla_resolution));
    definition.insert("bucket_by".into(), json!(bucket.name()));
    definition.insert("percentiles".into(), json!("type 7 (linear)"));
    definition.insert(
        "use_exported_durations".into(),
        json!(a.use_exported_durations),
    );
    warnings.extend(g.last_warnings);
    definition.extend(c.definition(g.preset, g.colmap));

    figures.mark("figures from the aggregates");
    let mut report = Report {
        metric: "tickets".into(),
        as_of: as_of.map(|t| time::format_rfc3339(t, c.tz)),
        definition,
        inputs: ledger.into_inputs(),
        by: c.by.clone(),
        period: c.period.map(|p| p.name().to_string()),
        rows,
        total: total_fields,
        checks: Vec::new(),
        warnings,
        headline: headline(&sla),
        unit: Some(unit),
        extra: Map::new(),
    };
    if let Some(x) = explained {
        let cell = |acc: &Acc| super::explain::ticket_cell(explain_metric, acc, &sla);
        let (segs, totals) = super::explain::from_cells(&cells, x.ab, cell, Acc::default, Acc::add);
        super::explain::apply(&mut report, &x, explain_metric, &segs, totals, min_n);
    }
    let report = assert::checked(report, &c.asserts);
    progress.finish();
    Ok((report, c))
}

/// What the ticket rows (or a warehouse's aggregates) give the report.
struct Gathered {
    cells: BTreeMap<(Vec<Option<String>>, i32), Acc>,
    ledger: Ledger,
    latest: Option<i64>,
    rejected_warning: Option<String>,
    /// Warnings about the inputs' columns, placed before the daylight-saving ones.
    column_warnings: Vec<String>,
    /// The `--na-values` hint, after the rejected-rows warning.
    hint_warnings: Vec<String>,
    /// The exported-durations warning, last.
    last_warnings: Vec<String>,
    first_response: &'static str,
    preset: Option<&'static str>,
    colmap: Map<String, Value>,
}

/// Read the inputs: ticket rows → classified → per (group, period) accumulators, with the row
/// accounting.
fn gather_rows(
    a: &TicketsArgs,
    c: &mut Common,
    sched: &Option<(Schedule, Value)>,
    bucket: Bucket,
    warnings: &mut Vec<String>,
    progress: &Progress,
) -> Result<Gathered> {
    let business = sched.is_some();

    let mut sources = read::open_all_deferred(&c.files, &c.read)?;
    let preset = c.absorb_preset(&mut sources, Kind::Tickets, "tickets")?;

    // Column mapping, per source. A column given to one canonical name with --col is not
    // also detected as another (`--col created_at=First_Response_Time` must not make the
    // same column the first response too).
    let mapper = Mapper::new(&sources, &c.cols);
    let opt = |canon: &Canon| mapper.find_unclaimed(canon);
    let created_idx = mapper.require(&CREATED)?;
    let first_idx = opt(&FIRST)?;
    let minutes_idx = if first_idx.is_none() {
        opt(&FIRST_MINUTES)?
    } else {
        None
    };
    let resolved_idx = opt(&RESOLVED_C)?;
    let reopens_idx = opt(&REOPENS)?;
    let status_idx = opt(&STATUS)?;
    let priority_idx = opt(&PRIORITY)?;
    let channel_idx = opt(&CHANNEL)?;
    let id_idx = if c.keep_duplicates { None } else { opt(&ID)? };
    let upd_idx = if id_idx.is_some() {
        opt(&UPDATED)?
    } else {
        None
    };
    // Exported durations: the calendar columns, or the business-hours ones with business
    // hours.
    let (xfrt_idx, xttr_idx) = if a.use_exported_durations {
        let (fc, tc) = if business {
            (&FIRST_BUSINESS_MINUTES, &RES_BUSINESS_MINUTES)
        } else {
            (&FIRST_MINUTES, &RES_MINUTES)
        };
        let x = (opt(fc)?, opt(tc)?);
        if x.0.is_none() && x.1.is_none() {
            fail!(
                "{}: --use-exported-durations found no exported {} columns ({} or {}); map them with --col {}=\"<column>\", or leave the flag out to compute the durations from the timestamps",
                sources[0].display,
                if business { "business-hours" } else { "calendar" },
                fc.name,
                tc.name,
                fc.name
            );
        }
        for (v, canon, what) in [(&x.0, fc, "first reply"), (&x.1, tc, "resolution")] {
            if v.is_none() {
                warnings.push(format!(
                    "--use-exported-durations: no {} column; {what} times are computed from the timestamps",
                    canon.name
                ));
            }
        }
        x
    } else {
        (None, None)
    };
    // Zendesk writes the first reply only as minutes: without a calendar column, the
    // exported minutes (business minutes with business hours) say which tickets were
    // answered and when at the earliest.
    let minutes_idx = match (&first_idx, minutes_idx) {
        (None, None) => xfrt_idx.clone(),
        (_, m) => m,
    };
    if bucket == Bucket::Resolved && resolved_idx.is_none() {
        fail!(
            "{}: --bucket-by resolved needs a resolved_at column; map it with --col resolved_at=\"<column>\"",
            sources[0].display
        );
    }
    let mut mapped: Vec<(String, Vec<usize>)> = vec![("created_at".into(), created_idx.clone())];
    for (name, idx) in [
        ("first_response_at", &first_idx),
        ("first_response_minutes", &minutes_idx),
        ("resolved_at", &resolved_idx),
        ("reopens", &reopens_idx),
        ("status", &status_idx),
        ("priority", &priority_idx),
        ("channel", &channel_idx),
        ("ticket_id", &id_idx),
        ("updated_at", &upd_idx),
        ("__xfrt", &xfrt_idx),
        ("__xttr", &xttr_idx),
    ] {
        if let Some(v) = idx {
            mapped.push((name.into(), v.clone()));
        }
    }
    super::explain::group_by_column(&sources, c, &mapped)?;
    let (by_idx, where_idx) = user_columns(&sources, &c.by, &c.wheres, &mapped)?;

    // Only the columns the computation reads.
    let mut cols = frame_cols(
        &mapped,
        &[
            "created_at",
            "first_response_at",
            "first_response_minutes",
            "resolved_at",
            "reopens",
            "status",
            "ticket_id",
            "updated_at",
            "__xfrt",
            "__xttr",
        ],
    );
    let (by_names, where_names) = push_user_cols(&mut cols, &by_idx, &where_idx);
    let limit = c.as_of.unwrap_or(c.now_ms);
    let rule = Arc::new(TicketRule {
        na: c.na.clone(),
        wheres: c.wheres.clone(),
        since: c.since,
        until: c.until,
        limit,
        bucket,
        period: c.period.map(|p| (p, c.tz)),
        first_from_minutes: first_idx.is_none() && minutes_idx.is_some(),
    });
    let schedule = sched.as_ref().map(|(s, _)| Arc::new(s.clone()));
    let mut placeholders = Arc::new(tk::TimePlaceholders::default());
    let mut fc = FrameCols {
        first: first_idx.as_ref().map(|_| "first_response_at".to_string()),
        minutes: minutes_idx
            .as_ref()
            .map(|_| "first_response_minutes".to_string()),
        resolved: resolved_idx.as_ref().map(|_| "resolved_at".to_string()),
        reopens: reopens_idx.as_ref().map(|_| "reopens".to_string()),
        status: status_idx.as_ref().map(|_| "status".to_string()),
        wheres: where_names.clone(),
        by: by_names.clone(),
        dup_mask: None,
        exported_frt: xfrt_idx.as_ref().map(|_| "__xfrt".to_string()),
        exported_ttr: xttr_idx.as_ref().map(|_| "__xttr".to_string()),
        placeholders: placeholders.clone(),
    };
    progress.phase("computing");
    let timer = crate::progress::Timer::new();
    // CSV files on disk: cxm's parallel reader classifies and groups them in one pass that
    // also hashes the ids (SPEC 8); when ids repeat, polars finds the rows that lose and a
    // second pass counts them as duplicates. Anything else goes through polars.
    let parser = Arc::new(c.parser.clone());
    let id_col = id_idx.as_ref().map(|_| "ticket_id");
    let upd = upd_idx.as_ref().map(|_| "updated_at");
    let mut agg = match input::direct_eligible(&sources) {
        true => tk::aggregate_direct(
            &sources,
            &cols,
            &rule,
            &parser,
            schedule.as_deref(),
            &fc,
            id_col,
            None,
        )?,
        false => None,
    };
    if agg.is_some() {
        for s in sources.iter_mut() {
            s.checked = true;
        }
    } else {
        for s in sources.iter_mut() {
            read::settle(s)?;
        }
        placeholders = Arc::new(tk::TimePlaceholders::default());
        fc.placeholders = placeholders.clone();
    }
    timer.mark("parallel pass");
    // The frame is built only when a pass needs it: a JSON input's frame reads its columns
    // (the parallel pass above has read them already).
    let frame = || input::frame(&sources, &cols);
    let mut mask: Option<Arc<HashSet<u32>>> = None;
    if let Some(tk::Direct::Repeats { repeated, pieces }) =
        agg.take_if(|d| matches!(d, tk::Direct::Repeats { .. }))
    {
        let losers = Arc::new(duplicate_losers(
            frame()?.with_row_index("__g", None),
            &sources,
            &c.parser,
            "ticket_id",
            upd,
            repeated,
        )?);
        if !losers.is_empty() {
            mask = Some(losers.clone());
        }
        agg = tk::aggregate_direct(
            &sources,
            &cols,
            &rule,
            &parser,
            schedule.as_deref(),
            &fc,
            id_col,
            Some(&input::fast::DupMask::new(losers, &pieces)),
        )?;
        if agg.is_none() {
            return Err(err("internal: the second pass over the tickets failed"));
        }
    }
    let mut lf = None;
    if agg.is_none() && id_idx.is_some() {
        let g = frame()?.with_row_index("__g", None);
        mask = duplicate_rows(g.clone(), &sources, &c.parser, "ticket_id", upd)?.map(Arc::new);
        fc.dup_mask = mask.clone();
        lf = Some(g);
    }
    let (agg, bad_times, mut direct_lists) = match agg.take() {
        Some(tk::Direct::Done {
            agg,
            bad_times,
            lists,
        }) => (agg, Some(bad_times), Some(lists)),
        _ => (
            collect(
                tk::aggregate(
                    match lf {
                        Some(g) => g,
                        None => frame()?,
                    },
                    rule.clone(),
                    parser,
                    schedule.clone(),
                    &fc,
                ),
                &sources,
            )?,
            None,
            None,
        ),
    };

    warnings.extend(placeholders.warnings());
    timer.mark("aggregate frame");

    // Counts → per input accounting; the latest valid time (for the default as-of).
    let (fcol, ccol, ncol) = (
        col_u32(&agg, "__f")?,
        col_i64(&agg, "__c")?,
        col_u64(&agg, "__n")?,
    );
    let tcol = col_i64(&agg, "__tmax")?;
    let (frt_l, ttr_l, open_l) = (
        col_list(&agg, "__frt")?,
        col_list(&agg, "__ttr")?,
        col_list(&agg, "__open")?,
    );
    let lacking: i64 = col_i64(&agg, "__xmiss")?.iter().flatten().sum();
    let bcols: Vec<StringChunked> = by_names
        .iter()
        .map(|b| col_str(&agg, b))
        .collect::<Result<_>>()?;
    let pe = |e: PolarsError| err(e.to_string());
    let mut ledger = Ledger::new(&sources);
    let mut latest: Option<i64> = None;
    let mut solved_no_time = 0u64;
    for r in 0..agg.height() {
        let f = fcol.get(r).unwrap_or(0) as usize;
        let (ordinal, status, flags) = tk::unpack_outcome(ccol.get(r).unwrap_or(0));
        let n = ncol.get(r).unwrap_or(0);
        ledger.note_dst(
            flags & FLAG_DST_GAP != 0,
            flags & FLAG_DST_AMBIGUOUS != 0,
            n,
        );
        let st = Status::from_code(status);
        if matches!(st, Status::Used | Status::Rejected) {
            // Remembered by period, so that `--last` can move them to filtered.
            ledger.count_in_period(f, ordinal, st, n);
        } else {
            ledger.count(f, st, n);
        }
        if status == USED {
            if flags & SOLVED_NO_TIME != 0 {
                solved_no_time += n;
            }
            if let Some(t) = tcol.get(r) {
                latest = Some(latest.map_or(t, |l: i64| l.max(t)));
            }
        }
    }
    ledger.data_rows(&sources, "tickets")?;
    ledger.require_valid(|t| {
        format!(
            "no valid ticket in the inputs ({} rows, {} rejected); check that --col created_at=… names the creation time (see --rejects FILE for the reasons)",
            t.rows, t.rejected
        )
    })?;
    // Counted before --last moves rows to filtered.
    let rejected_warning = ledger.rejected_warning(c.rejects.is_some());
    // The --na-values hint looks at the rows rejected before --last too.
    let rejected = ledger.total().rejected;

    // Rejected rows: positions and reasons from a pass over the inputs that had them.
    c.reject_policy(progress).settle(
        &sources,
        &ledger,
        &mapped,
        &where_idx,
        mask.as_deref(),
        &*rule,
    )?;

    // As-of: the given instant, else the latest valid time (not later than now).
    let as_of = c.as_of.or(latest);
    let age_at = |created: i64| -> i64 {
        let end = as_of.unwrap_or(created);
        tk::elapsed(created, end, schedule.as_deref())
    };

    // Groups → per (group key, period) accumulators.
    let mut cells: BTreeMap<(Vec<Option<String>>, i32), Acc> = BTreeMap::new();
    for r in 0..agg.height() {
        let (ordinal, status, flags) = tk::unpack_outcome(ccol.get(r).unwrap_or(0));
        if !matches!(status, USED | REJECTED) {
            continue;
        }
        let n = ncol.get(r).unwrap_or(0);
        let key: Vec<Option<String>> = bcols.iter().map(|b| norm_key(b.get(r))).collect();
        let cell = cells.entry((key, ordinal)).or_default();
        if status == REJECTED {
            cell.rejected += n;
            continue;
        }
        let [frt, ttr, open] = match direct_lists.as_mut() {
            Some(lists) => std::mem::take(&mut lists[r]),
            None => [
                i64_list(frt_l.get_as_series(r)).map_err(pe)?,
                i64_list(ttr_l.get_as_series(r)).map_err(pe)?,
                i64_list(open_l.get_as_series(r)).map_err(pe)?,
            ],
        };
        append(&mut cell.frt, frt);
        if flags & RESOLVED != 0 {
            cell.resolved += n;
            if flags & REOPENED != 0 {
                cell.reopened += n;
            }
            if flags & ANSWERED == 0 {
                cell.ttr_unanswered.extend_from_slice(&ttr);
            }
            append(&mut cell.ttr, ttr);
        } else {
            cell.open += n;
            let ages = open.into_iter().map(age_at);
            if flags & ANSWERED != 0 {
                cell.open_age_answered.extend(ages);
            } else {
                cell.open_age_unanswered.extend(ages);
            }
        }
    }

    let mut column_warnings: Vec<String> = Vec::new();
    if first_idx.is_none() && minutes_idx.is_none() {
        column_warnings.push("no first response column (first_response_at, or first_response_minutes): FRT fields are null; map a first reply time with --col first_response_at=\"<column>\", or minutes with --col first_response_minutes=\"<column>\"".into());
    }
    if resolved_idx.is_none() {
        column_warnings.push("no resolution column (resolved_at): every ticket counts as open; map one with --col resolved_at=\"<column>\"".into());
    }
    if solved_no_time > 0 {
        column_warnings.push(format!(
            "{solved_no_time} tickets have a solved/closed status but no resolved_at; they count as open"
        ));
    }
    let mut hint_warnings: Vec<String> = Vec::new();
    let time_cols = [
        ("created_at", Some(&created_idx)),
        ("first_response_at", first_idx.as_ref()),
        ("resolved_at", resolved_idx.as_ref()),
    ];
    hint_warnings.extend(match &bad_times {
        // Counted by the parallel reader: the first column that qualifies.
        Some(bad) => time_cols
            .iter()
            .zip(bad)
            .filter(|((_, idx), _)| idx.is_some())
            .find_map(|((canon, _), counts)| {
                input::values::na_hint_counts(canon, counts, rejected)
            }),
        None => time_na_hint(&sources, c, rejected, &time_cols)?,
    });
    let mut last_warnings: Vec<String> = Vec::new();
    if a.use_exported_durations && lacking > 0 {
        last_warnings.push(format!(
            "--use-exported-durations: {lacking} tickets lack exported durations; theirs are computed from the timestamps"
        ));
    }
    let colmap = column_headers(&sources, &mapped, |name| match name {
        "__xfrt" if business => "first_response_business_minutes",
        "__xfrt" => "first_response_minutes",
        "__xttr" if business => "resolution_business_minutes",
        "__xttr" => "resolution_minutes",
        n => n,
    });
    Ok(Gathered {
        cells,
        ledger,
        latest,
        rejected_warning,
        column_warnings,
        hint_warnings,
        last_warnings,
        first_response: if first_idx.is_some() {
            "first_response_at"
        } else if minutes_idx.is_some() {
            "created_at + first_response_minutes"
        } else {
            "none"
        },
        preset: preset.as_ref().map(|p| p.name),
        colmap,
    })
}
