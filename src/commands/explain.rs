//! `--explain COL` glue for the metric commands (SPEC 11): which two periods, the segment
//! cells of each metric, the row accounting of the periods left out, and the report that
//! replaces the grouped rows. The arithmetic is in `metrics::explain`.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::json;

use crate::input::ledger::Ledger;
use crate::input::mapping;
use crate::input::rows::NO_PERIOD;
use crate::input::Source;
use crate::metrics::explain::{self, Cell, Segment, Spec};
use crate::metrics::subscriptions as subs;
use crate::metrics::survey::{self, Counts, CsatScale, ScoreKind};
use crate::metrics::tickets::{self as tk, Acc, Sla};
use crate::period::PeriodKind;
use crate::plan::Common;
use crate::report::Report;
use crate::time::Tz;
use crate::{error::err, fail};

/// An explanation to make: the settings, the period kind and the two periods (A, B).
pub struct Explained {
    pub spec: Spec,
    pub pk: PeriodKind,
    pub ab: (i32, i32),
}

/// With `--explain`: the two periods, and the rows of the other periods moved to
/// `filtered` (as `--last` does; rows without a period stay).
pub fn prepare(c: &Common, as_of: Option<i64>, ledger: &mut Ledger) -> Option<Explained> {
    let (spec, pk) = (c.explain.clone()?, c.period?);
    let ab = periods(&spec, pk, as_of, c.now_ms, c.tz);
    ledger.filter_periods(|o, _| o != NO_PERIOD && o != ab.0 && o != ab.1);
    Some(Explained { spec, pk, ab })
}

/// Segments and the two periods' totals from per-(group key, period) cells, the key being
/// the one value of COL.
pub fn from_cells<T>(
    cells: &BTreeMap<(Vec<Option<String>>, i32), T>,
    ab: (i32, i32),
    cell: impl Fn(&T) -> Option<Cell>,
    empty: impl Fn() -> T,
    add: impl Fn(&mut T, &T),
) -> (Vec<Segment>, (Option<Cell>, Option<Cell>)) {
    let mut keys: Vec<&Vec<Option<String>>> = cells.keys().map(|(g, _)| g).collect();
    keys.dedup();
    let segs = segments(
        &keys,
        |k| k.first().cloned().flatten(),
        |k, o| cells.get(&((*k).clone(), o)),
        |v| cell(v),
        ab,
    );
    let total = |o: i32| {
        let mut acc = empty();
        for ((_, ord), v) in cells {
            if *ord == o {
                add(&mut acc, v);
            }
        }
        cell(&acc)
    };
    (segs, (total(ab.0), total(ab.1)))
}

/// The periods compared: `--compare A..B`, else the last two complete periods at as-of.
pub fn periods(spec: &Spec, pk: PeriodKind, as_of: Option<i64>, now: i64, tz: Tz) -> (i32, i32) {
    if let Some(x) = spec.compare {
        return x;
    }
    let at = as_of.unwrap_or(now);
    let mut last = pk.ordinal_of(at, tz);
    if pk.end_ms(last, tz) > at {
        last -= 1;
    }
    (last - 1, last)
}

/// Check that COL exists in every input, so the message names `--explain`; then group the
/// computation by it.
pub fn group_by_column(
    sources: &[Source],
    c: &mut Common,
    mapped: &[(String, Vec<usize>)],
) -> Result<()> {
    let Some(spec) = &c.explain else {
        return Ok(());
    };
    for (i, s) in sources.iter().enumerate() {
        let m: Vec<(String, usize)> = mapped.iter().map(|(n, v)| (n.clone(), v[i])).collect();
        mapping::resolve_user(&s.display, &s.headers, &spec.column, "--explain", &m)?;
    }
    c.by = vec![spec.column.clone()];
    Ok(())
}

/// A survey metric's headline value as an explanation cell: NPS points, CSAT %, CES mean,
/// PMF %.
pub fn survey_cell(kind: &ScoreKind, c: &Counts) -> Option<Cell> {
    let n = c.n();
    match kind {
        ScoreKind::Nps => {
            let (p, d, n) = survey::nps_parts(c);
            Cell::nps(p, d, n)
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
            Cell::pct(sat, n)
        }
        ScoreKind::Ces { .. } => {
            let counts: Vec<(i64, u64)> = c
                .dist
                .iter()
                .enumerate()
                .map(|(i, v)| (i as i64 + 1, *v))
                .collect();
            Cell::mean_of_counts(&counts)
        }
        ScoreKind::Pmf { .. } => Cell::pct(c.dist[2], n),
    }
}

/// The field a survey explanation splits.
pub fn survey_metric(kind: &ScoreKind) -> &'static str {
    match kind {
        ScoreKind::Nps => "nps",
        ScoreKind::Csat { .. } => "csat",
        ScoreKind::Ces { .. } => "ces",
        ScoreKind::Pmf { .. } => "pmf",
    }
}

/// The ticket figures `--explain-metric` may name: weighted means of the tickets.
pub const TICKET_METRICS: &[&str] = &[
    "ttr_mean_hours",
    "frt_mean_hours",
    "frt_breach_pct",
    "ttr_breach_pct",
    "reopen_rate",
];

/// Check `--explain-metric` (default `ttr_mean_hours`); medians and percentiles are refused.
pub fn ticket_metric(given: Option<&str>, explain: bool, sla: &Sla) -> Result<&'static str> {
    let Some(g) = given else {
        return Ok(TICKET_METRICS[0]);
    };
    if !explain {
        fail!("--explain-metric needs --explain COL");
    }
    let g = g.trim();
    if let Some(&m) = TICKET_METRICS.iter().find(|m| **m == g) {
        if m == "frt_breach_pct" && sla.first_response.is_none() {
            fail!("--explain-metric frt_breach_pct needs --sla-first-response (e.g. 4h)");
        }
        if m == "ttr_breach_pct" && sla.resolution.is_none() {
            fail!("--explain-metric ttr_breach_pct needs --sla-resolution (e.g. 24h)");
        }
        return Ok(m);
    }
    if g.contains("median") || g.contains("_p90") || g.contains("_p95") {
        let mean = if g.starts_with("frt") {
            "frt_mean_hours or frt_breach_pct"
        } else {
            "ttr_mean_hours or ttr_breach_pct"
        };
        fail!("--explain-metric {g}: a median or percentile is not a weighted mean of the segments, so it does not split into mix and rate; use {mean}");
    }
    let hint = crate::error::did_you_mean(g, TICKET_METRICS.iter().copied())
        .map(|h| format!(" Did you mean {h:?}?"))
        .unwrap_or_default();
    Err(err(format!(
        "--explain-metric {g:?}: use one of {}.{hint}",
        TICKET_METRICS.join(", ")
    )))
}

/// A ticket cell for one of [`TICKET_METRICS`]: durations in hours, percentages 0–100.
pub fn ticket_cell(metric: &str, a: &Acc, sla: &Sla) -> Option<Cell> {
    const MS_PER_HOUR: f64 = 3_600_000.0;
    match metric {
        "frt_mean_hours" => Cell::mean_of(&a.frt, 1.0 / MS_PER_HOUR),
        "ttr_mean_hours" => Cell::mean_of(&a.ttr, 1.0 / MS_PER_HOUR),
        "frt_breach_pct" => {
            let ((b, k), _) = tk::sla_outcomes(a, sla.first_response?);
            Cell::pct(b, k)
        }
        "ttr_breach_pct" => {
            let (_, (b, k)) = tk::sla_outcomes(a, sla.resolution?);
            Cell::pct(b, k)
        }
        "reopen_rate" => Cell::pct(a.reopened, a.resolved),
        _ => None,
    }
}

/// A churn cell: `churn_rate` weighted by the customers at the period's start.
pub fn churn_cell(a: &subs::Acc) -> Option<Cell> {
    Cell::pct(a.churned, a.customers_start)
}

/// Segments and totals from per-(key, period) cells: `cell` turns a key's data in one
/// period into a cell, `sum` the data of all keys of a period.
pub fn segments<K, T>(
    keys: &[K],
    label: impl Fn(&K) -> Option<String>,
    get: impl Fn(&K, i32) -> Option<T>,
    cell: impl Fn(&T) -> Option<Cell>,
    (a, b): (i32, i32),
) -> Vec<Segment> {
    keys.iter()
        .map(|k| Segment {
            key: label(k),
            a: get(k, a).as_ref().and_then(&cell),
            b: get(k, b).as_ref().and_then(&cell),
        })
        .collect()
}

/// Replace the grouped rows of `report` by the explanation of the change from period A to
/// B; `metric` is the field explained, `totals` the metric's totals of A and B.
pub fn apply(
    report: &mut Report,
    x: &Explained,
    metric: &str,
    segments: &[Segment],
    totals: (Option<Cell>, Option<Cell>),
    min_n: Option<u64>,
) {
    let (spec, pk, (a, b)) = (&x.spec, x.pk, x.ab);
    let e = explain::decompose(segments, totals.0, totals.1, spec.holm, min_n);
    let (la, lb) = (pk.label(a), pk.label(b));
    report.rows = explain::rows(&e);
    report.total = explain::total_fields(&e.total, &la, &lb, min_n);
    report.by = vec![spec.column.clone()];
    report.period = None;
    report.headline = Vec::new();
    report.definition.insert(
        "explain".into(),
        json!({
            "column": spec.column,
            "method": "kitagawa_1955",
            "metric": metric,
            "p_adjust": if spec.holm { "holm" } else { "none" },
        }),
    );
    for (n, l) in [(e.total.n_a, &la), (e.total.n_b, &lb)] {
        if n == 0 {
            report.warnings.push(format!(
                "--explain: period {l} has no data; every segment is new or gone (name the periods with --compare A..B)"
            ));
        }
    }
}

/// An error about the grouping column, reworded for `--explain` (churn resolves its groups
/// while loading, as `--by`).
pub fn rename_flag(e: anyhow::Error, column: &str) -> anyhow::Error {
    let msg = e.to_string();
    let by = format!("--by {column:?}");
    if msg.contains(&by) {
        err(msg.replace(&by, &format!("--explain {column:?}")))
    } else {
        e
    }
}
