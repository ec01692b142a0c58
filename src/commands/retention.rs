//! `cxm retention`: the cohort retention matrix (customers or MRR) and Kaplan–Meier survival
//! over subscriptions or tenure snapshots (SPEC 6.7). Subscriptions are read by the churn
//! loader.

use anyhow::Result;
use clap::Args;
use polars::prelude::*;
use serde_json::{json, Map, Value};

use super::churn::{base_definition, check_currencies, common_with_month, load, LoadOpts};
use crate::assert;
use crate::cli::CommonArgs;
use crate::error::err;
use crate::fail;
use crate::input::ledger::Ledger;
use crate::input::schema::subscriptions::{CHURNED, TENURE};
use crate::input::schema::{column_headers, frame_cols, push_user_cols, resolve_all, user_columns};
use crate::input::{self, col_str, read, Source};
use crate::metrics::stats::KaplanMeier;
use crate::metrics::subscriptions::{self as subs, Snapshot, SurvivalCount, TenureRule};
use crate::period::PeriodKind;
use crate::plan::Common;
use crate::progress::Progress;
use crate::report::{num, InputCount, Report};
use crate::time;

#[derive(Args, Debug, Clone)]
pub struct RetentionArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Retain MRR instead of customers (net revenue retention per cohort)
    #[arg(long)]
    pub revenue: bool,
    /// Kaplan–Meier survival over customers (or tenure snapshots) instead of the matrix;
    /// with --from-aggregates FILE, from the durations of `cxm sql retention --survival
    /// --stage aggregates`
    #[arg(long)]
    pub survival: bool,
    /// Survival time points, comma-separated (default 30,90,180,365 days; 1,3,6,12,24 months of tenure)
    #[arg(long, value_name = "LIST")]
    pub at: Option<String>,
    /// A gap up to this long between subscriptions continues the active span, e.g. 7d
    #[arg(long, value_name = "DURATION")]
    pub gap: Option<String>,
    /// Unit of the tenure column of snapshots
    #[arg(long, value_name = "days|weeks|months|years", default_value = "months")]
    pub tenure_unit: String,
}

fn parse_at(s: &str) -> Result<Vec<f64>> {
    let mut v = Vec::new();
    for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match p.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => v.push(x),
            _ => fail!("--at {s:?}: {p:?} is not a number ≥ 0; give a list such as 30,90,180,365"),
        }
    }
    if v.is_empty() {
        fail!("--at {s:?}: give at least one time point, e.g. --at 30,90,180");
    }
    Ok(v)
}

/// The total of a survival run.
fn survival_total(
    km: &KaplanMeier,
    at: &[f64],
    unit: &str,
    min_n: Option<u64>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("n".into(), json!(km.n()));
    m.insert("events".into(), json!(km.events()));
    m.insert("censored".into(), json!(km.censored()));
    m.insert("median".into(), num(km.median()));
    m.insert("unit".into(), json!(unit));
    let pts: Vec<Value> = at
        .iter()
        .map(|&t| {
            let (s, se) = match km.at(t) {
                Some((s, se)) => (num(Some(s)), num(Some(se))),
                None => (Value::Null, Value::Null),
            };
            json!({"t": num(Some(t)), "s": s, "se": se})
        })
        .collect();
    m.insert("survival".into(), Value::Array(pts));
    m.insert(
        "low_n".into(),
        json!(min_n.is_some_and(|k| (km.n() as u64) < k)),
    );
    m
}

/// Observations, row accounting, the mapping and warnings of a tenure-snapshot input.
type Tenure = (
    Vec<(f64, bool)>,
    Vec<InputCount>,
    Map<String, Value>,
    Vec<String>,
);

/// Tenure snapshots: `(tenure, churned)` per row, with the row accounting.
fn load_tenure(
    c: &Common,
    progress: &Progress,
) -> Result<std::result::Result<Tenure, Vec<Source>>> {
    let mut sources = read::open_all_deferred(&c.files, &c.read)?;
    let Some(tenure_idx) = resolve_all(&sources, &TENURE, &c.cols)? else {
        return Ok(Err(sources));
    };
    let churned_idx = resolve_all(&sources, &CHURNED, &c.cols)?
        .ok_or_else(|| err("internal: churned is required"))?;
    let mapped = [
        ("tenure".to_string(), tenure_idx),
        ("churned".to_string(), churned_idx),
    ];
    let (_, where_idx) = user_columns(&sources, &[], &c.wheres, &mapped)?;
    let mut cols = frame_cols(&mapped, &["tenure", "churned"]);
    push_user_cols(&mut cols, &[], &where_idx);
    progress.phase("reading");
    let df = input::read_frame(&mut sources, &cols)?;
    let s = |n: &str| col_str(&df, n);
    let (tcol, ccol) = (s("tenure")?, s("churned")?);
    let wcols: Vec<StringChunked> = (0..where_idx.len())
        .map(|i| s(&format!("__w{i}")))
        .collect::<Result<_>>()?;
    let (fcol, short) = input::row_origin(&df)?;
    let mut ledger = Ledger::new(&sources);
    let rule = TenureRule {
        na: c.na.clone(),
        wheres: c.wheres.clone(),
        decimal_comma: c.args.decimal_comma,
    };
    let mut obs = Vec::new();
    let mut wh: Vec<Option<&str>> = Vec::with_capacity(wcols.len());
    for r in 0..df.height() {
        wh.clear();
        wh.extend(wcols.iter().map(|w| w.get(r)));
        let row = rule.classify(short.get(r).unwrap_or(false), &wh, tcol.get(r), ccol.get(r));
        ledger.count(fcol.get(r).unwrap_or(0) as usize, row.status(), 1);
        if let Snapshot::Used(t, churned) = row {
            obs.push((t, churned));
        }
    }
    let t = ledger.total();
    // One wording for one or several header-only inputs here.
    if t.rows == 0 {
        fail!("the inputs have no data rows (only headers)");
    }
    ledger.require_valid(|t| {
        format!(
            "no valid tenure snapshot in the inputs ({} rows, {} rejected); check --col tenure=… and --col churned=… (see --rejects FILE for the reasons)",
            t.rows, t.rejected
        )
    })?;
    c.reject_policy(progress)
        .settle(&sources, &ledger, &mapped, &where_idx, None, &rule)?;
    let warnings: Vec<String> = ledger
        .rejected_warning(c.rejects.is_some())
        .into_iter()
        .collect();
    let columns = column_headers(&sources, &mapped, |n| n);
    Ok(Ok((obs, ledger.into_inputs(), columns, warnings)))
}

/// Survival over subscriptions, finished from the table of first-span durations (from the
/// rows, or from `cxm sql retention --survival --stage aggregates`): Kaplan–Meier with
/// Greenwood standard errors at the `--at` points.
fn survival_report(
    c: &Common,
    a: &RetentionArgs,
    table: &[SurvivalCount],
    as_of: i64,
    mut definition: Map<String, Value>,
    inputs: Vec<InputCount>,
    warnings: Vec<String>,
) -> Result<Report> {
    let at = match &a.at {
        Some(s) => parse_at(s)?,
        None => vec![30.0, 90.0, 180.0, 365.0],
    };
    let rows: Vec<(f64, u64, u64)> = table
        .iter()
        .map(|r| (subs::survival_days(r.duration_ms), r.events, r.censored))
        .collect();
    let km = KaplanMeier::from_table(&rows);
    let total = survival_total(&km, &at, "days", c.min_n);
    definition.insert("estimator".into(), json!("kaplan-meier, greenwood se"));
    definition.insert("input".into(), json!("subscriptions"));
    definition.insert(
        "duration".into(),
        json!("first start to the end of the first continuous active span, in days"),
    );
    definition.insert("gap".into(), json!(a.gap));
    definition.insert("at".into(), json!(at));
    definition.remove("period");
    let report = Report {
        metric: "retention".into(),
        as_of: Some(time::format_rfc3339(as_of, c.tz)),
        definition,
        inputs,
        total,
        warnings,
        ..Default::default()
    };
    Ok(assert::checked(report, &c.asserts))
}

/// Compute the retention report without printing or writing anything.
pub fn compute(a: &RetentionArgs) -> Result<(Report, Common)> {
    let mut c = common_with_month(&a.common)?;
    if !c.by.is_empty() {
        fail!("--by does not apply to cxm retention (a cohort is the period of the first start); use --where to keep one segment");
    }
    let fields: &[&str] = if a.survival {
        &["n", "events", "censored", "median", "low_n"]
    } else {
        &["n", "cohorts", "low_n"]
    };
    assert::validate(&c.asserts, fields, false)?;
    let pk = c.period.unwrap_or(PeriodKind::Month);
    let gap_ms = match &a.gap {
        None => 0,
        Some(g) => time::parse_duration(g).map_err(|e| err(format!("--gap: {e}")))?,
    };
    let unit = match a.tenure_unit.to_ascii_lowercase().as_str() {
        u @ ("days" | "weeks" | "months" | "years") => u.to_string(),
        other => fail!("--tenure-unit {other:?}: use days, weeks, months or years"),
    };
    if c.args.from_aggregates.is_some() && !a.survival {
        fail!("--from-aggregates reads the survival table of cxm sql retention --survival --stage aggregates; add --survival, or give the cohort matrix its input files (cxm sql retention prints it as one final query)");
    }
    let progress = Progress::start(c.progress);

    if let (true, Some(path)) = (a.survival, c.args.from_aggregates.clone()) {
        let (table, ledger) = super::aggregates::survival_cells(&path, &c)?;
        let as_of = c
            .as_of
            .ok_or_else(|| err("--from-aggregates needs --as-of"))?;
        let mut definition = c.definition(None, Map::new());
        definition.remove("by");
        let report = survival_report(
            &c,
            a,
            &table,
            as_of,
            definition,
            ledger.into_inputs(),
            Vec::new(),
        )?;
        progress.finish();
        return Ok((report, c));
    }

    let mut opened = None;
    if a.survival {
        let found = load_tenure(&c, &progress)?;
        if let Err(sources) = found {
            opened = Some(sources);
        } else if let Ok((obs, inputs, columns, warnings)) = found {
            let at = match &a.at {
                Some(s) => parse_at(s)?,
                None => match unit.as_str() {
                    "days" => vec![30.0, 90.0, 180.0, 365.0],
                    "weeks" => vec![4.0, 13.0, 26.0, 52.0],
                    "years" => vec![1.0, 2.0, 3.0, 5.0],
                    _ => vec![1.0, 3.0, 6.0, 12.0, 24.0],
                },
            };
            let km = KaplanMeier::fit(&obs);
            let total = survival_total(&km, &at, &unit, c.min_n);
            let mut d = Map::new();
            d.insert("estimator".into(), json!("kaplan-meier, greenwood se"));
            d.insert("input".into(), json!("tenure snapshots"));
            d.insert("tenure_unit".into(), json!(unit));
            d.insert("at".into(), json!(at));
            d.insert("where".into(), json!(c.args.where_));
            d.insert("columns".into(), Value::Object(columns));
            let report = Report {
                metric: "retention".into(),
                as_of: None,
                definition: d,
                inputs,
                total,
                warnings,
                ..Default::default()
            };
            let report = assert::checked(report, &c.asserts);
            progress.finish();
            return Ok((report, c));
        }
    }

    let mut l = load(
        &mut c,
        &LoadOpts {
            exclude_free: false,
            reasons: false,
        },
        &progress,
        opened,
    )?;
    check_currencies(&l, &c)?;
    let as_of = l.as_of;
    let mut definition = base_definition(&c, &l);
    definition.remove("by");
    let mut warnings = std::mem::take(&mut l.warnings);

    if a.survival {
        let spans = subs::survival_spans(&mut l.subs, gap_ms, as_of);
        let table = subs::survival_table(&spans);
        let report = survival_report(&c, a, &table, as_of, definition, l.inputs, warnings)?;
        progress.finish();
        return Ok((report, c));
    }

    if a.revenue && !l.has_money {
        fail!("--revenue needs an mrr or amount column; map one with --col mrr=\"<column>\" or --col amount=\"<column>\"");
    }
    // Cohorts: from the period of the earliest first start to that of the latest; cells up to
    // the last boundary at or before as-of.
    let first = l.subs.iter().map(|s| s.start).min().unwrap_or(as_of);
    let last_first = {
        // The latest first start over customers (their numbers are dense, from 0).
        let n = l
            .subs
            .iter()
            .map(|s| s.customer as usize + 1)
            .max()
            .unwrap_or(0);
        let mut firsts = vec![i64::MAX; n];
        for s in &l.subs {
            let e = &mut firsts[s.customer as usize];
            *e = (*e).min(s.start);
        }
        firsts
            .into_iter()
            .filter(|&t| t != i64::MAX)
            .max()
            .unwrap_or(first)
    };
    let lo = pk.ordinal_of(first, c.tz);
    let hi_cohort = pk.ordinal_of(last_first, c.tz);
    let hi_bound = pk.ordinal_of(as_of, c.tz).max(hi_cohort) + 1;
    let bounds: Vec<i64> = (lo..=hi_bound).map(|o| pk.start_ms(o, c.tz)).collect();
    let known = bounds.iter().rposition(|&b| b <= as_of).unwrap_or(0);
    let n_cohorts = if l.subs.is_empty() {
        0
    } else {
        (hi_cohort - lo + 1) as usize
    };
    let matrix = subs::cohort_matrix(&mut l.subs, &bounds, n_cohorts, known);
    let width = known; // offsets of the first cohort
    let mut cohorts_json = Vec::new();
    let mut all_num = vec![0i64; width];
    let mut all_den = vec![0i64; width];
    let mut all_size = vec![0u64; width];
    let mut customers = 0u64;
    for (ci, co) in matrix.iter().enumerate() {
        customers += co.size;
        let mrr0 = co.mrr.first().copied();
        let mut retained = Vec::with_capacity(width);
        let mut pct = Vec::with_capacity(width);
        for k in 0..width {
            match (co.retained.get(k), co.mrr.get(k)) {
                (Some(&n), Some(&m)) => {
                    if a.revenue {
                        retained.push(subs::major(m));
                        let base = mrr0.unwrap_or(0);
                        pct.push(if base == 0 {
                            Value::Null
                        } else {
                            num(Some(100.0 * m as f64 / base as f64))
                        });
                        if base > 0 {
                            all_num[k] += m;
                            all_den[k] += base;
                            all_size[k] += co.size;
                        }
                    } else {
                        retained.push(json!(n));
                        pct.push(crate::report::pct(n, co.size));
                        all_num[k] += n as i64;
                        all_den[k] += co.size as i64;
                        all_size[k] += co.size;
                    }
                }
                _ => {
                    retained.push(Value::Null);
                    pct.push(Value::Null);
                }
            }
        }
        cohorts_json.push(json!({
            "cohort": pk.label(lo + ci as i32),
            "size": co.size,
            "mrr": if l.has_money { mrr0.map_or(Value::Null, subs::major) } else { Value::Null },
            "retained": retained,
            "pct": pct,
        }));
    }
    let all_pct: Vec<Value> = (0..width)
        .map(|k| {
            if all_den[k] == 0 {
                Value::Null
            } else {
                num(Some(100.0 * all_num[k] as f64 / all_den[k] as f64))
            }
        })
        .collect();
    let all_retained: Vec<Value> = (0..width)
        .map(|k| {
            if a.revenue {
                subs::major(all_num[k])
            } else {
                json!(all_num[k])
            }
        })
        .collect();
    let all = json!({"pct": all_pct, "retained": all_retained, "size": all_size});
    if c.last.is_some() || c.since.is_some() || c.until.is_some() {
        warnings.push("--last, --since and --until do not apply to the retention matrix; every cohort is shown".into());
    }
    definition.insert(
        "measure".into(),
        json!(if a.revenue { "mrr" } else { "customers" }),
    );
    definition.insert(
        "cell".into(),
        json!("cohort members active at the boundary ending period cohort + offset"),
    );
    let mut total = Map::new();
    total.insert("n".into(), json!(customers));
    total.insert("cohorts".into(), json!(matrix.len()));
    total.insert(
        "low_n".into(),
        json!(c.min_n.is_some_and(|k| customers < k)),
    );
    let mut extra = Map::new();
    extra.insert("cohorts".into(), Value::Array(cohorts_json.clone()));
    extra.insert("all".into(), all.clone());
    let report = Report {
        metric: "retention".into(),
        as_of: Some(time::format_rfc3339(as_of, c.tz)),
        definition,
        inputs: l.inputs,
        period: Some(pk.name().to_string()),
        total,
        warnings,
        extra,
        ..Default::default()
    };
    let report = assert::checked(report, &c.asserts);
    progress.finish();
    Ok((report, c))
}
