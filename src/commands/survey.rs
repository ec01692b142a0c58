//! `cxm nps|csat|ces|pmf`: map the columns, run the polars aggregation, turn counts into
//! result rows (groups × periods, then the total), evaluate thresholds, write the output.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;
use serde_json::{json, Map, Value};

use super::common::{
    apply_preset, collect, data_rows, duplicate_losers, group_order, handle_rejects, norm_key,
    push_user_cols, repeated_hashes, resolve_all, row_offsets, shared_definition, source_table,
    user_columns, Rejected,
};
use crate::assert;
use crate::error::err;
use crate::fail;
use crate::input::mapping::{self, Canon};
use crate::input::presets::Kind;
use crate::input::{self, read, FrameCol, Source};
use crate::metrics::stats;
use crate::metrics::survey::{self, Counts, FrameCols, RowRule, ScoreKind, Settings};
use crate::plan::Common;
use crate::progress::Progress;
use crate::report::{Col, ColKind, InputCount, Report, Row};
use crate::time;

const GENERIC_SCORE: &[&str] = &["rating", "likelihood to recommend"];

fn score_canon(kind: &ScoreKind) -> Canon {
    let own: &'static [&'static str] = match kind {
        ScoreKind::Nps => &[
            "nps",
            "nps score",
            "likelihood to recommend",
            "how likely are you to recommend us",
        ],
        ScoreKind::Csat { .. } => &[
            "csat",
            "satisfaction",
            "satisfaction score",
            "csat score",
            "satisfaction rating",
            "customer satisfaction rating",
        ],
        ScoreKind::Ces { .. } => &["ces", "effort", "effort score", "ces score"],
        ScoreKind::Pmf { .. } => &["pmf", "pmf score", "disappointment", "how disappointed"],
    };
    Canon {
        name: "score",
        required: true,
        own,
        generic: GENERIC_SCORE,
    }
}

pub const SURVEY_COLUMNS: &[&str] = &[
    "score",
    "submitted_at",
    "response_id",
    "customer_id",
    "comment",
    "updated_at",
];

fn time_canon(required: bool) -> Canon {
    Canon {
        name: "submitted_at",
        required,
        own: &[
            "submitted",
            "submit date",
            "submitted date",
            "date submitted",
            "response date",
            "responded at",
            "completed at",
            "recorded date",
            "end date",
        ],
        generic: &["created_at", "created", "date", "timestamp", "time"],
    }
}
const ID_CANON: Canon = Canon {
    name: "response_id",
    required: false,
    own: &["response id", "responseid", "survey response id"],
    generic: &[],
};
const UPDATED_CANON: Canon = Canon {
    name: "updated_at",
    required: false,
    own: &["updated", "last updated", "modified at"],
    generic: &[],
};

/// The survey columns as the metric commands map them, for `cxm inspect`: the score as each
/// metric (nps, csat, ces, pmf) maps it, then `submitted_at`, `response_id`, `updated_at`.
pub fn inspect_canons() -> (Vec<(&'static str, Canon)>, Vec<Canon>) {
    let csat = ScoreKind::Csat {
        scale: survey::CsatScale::Points(5),
        invert: false,
        satisfied: 4,
    };
    let ces = ScoreKind::Ces {
        scale: 7,
        invert: false,
        easy: 5,
    };
    let scores = vec![
        ("nps", score_canon(&ScoreKind::Nps)),
        ("csat", score_canon(&csat)),
        ("ces", score_canon(&ces)),
        ("pmf", score_canon(&ScoreKind::Pmf { numeric: false })),
    ];
    (scores, vec![time_canon(false), ID_CANON, UPDATED_CANON])
}

/// Re-read the inputs that had rejections, record by record, with the same rule.
#[allow(clippy::too_many_arguments)]
fn find_rejects(
    sources: &[Source],
    rejected_per_source: &[u64],
    rule: &RowRule,
    c: &Common,
    score_idx: &[usize],
    time_idx: Option<&Vec<usize>>,
    where_idx: &[Vec<usize>],
    mask: Option<&HashSet<u32>>,
    offsets: &[usize],
    time_name: &str,
    first_only: bool,
) -> Result<Vec<Rejected>> {
    let mut out = Vec::new();
    for (si, src) in sources.iter().enumerate() {
        if rejected_per_source[si] == 0 {
            continue;
        }
        let table = source_table(src)?;
        for (k, row) in table.rows.iter().enumerate() {
            let cell = |i: usize| row.get(i).and_then(|v| v.as_deref());
            let ts = time_idx.map(|t| survey::time_cell(&c.parser, cell(t[si]), &c.na));
            let wh: Vec<Option<&str>> = where_idx.iter().map(|w| cell(w[si])).collect();
            let dup = mask.is_some_and(|m| m.contains(&((offsets[si] + k) as u32)));
            let o = rule.classify(table.short[k], dup, &wh, ts, cell(score_idx[si]), time_name);
            if let Some(r) = o.reject {
                let column = match r.column.as_str() {
                    "score" => src.headers[score_idx[si]].clone(),
                    "" => String::new(),
                    _ => time_idx
                        .map(|t| src.headers[t[si]].clone())
                        .unwrap_or_default(),
                };
                out.push(Rejected::row(
                    si,
                    &table,
                    k,
                    column,
                    format!("{}: {}", r.code, r.detail),
                ));
                if first_only {
                    return Ok(out);
                }
            }
        }
    }
    Ok(out)
}

fn headline(kind: &ScoreKind) -> Vec<Col> {
    let c = |key, label, kind| Col { key, label, kind };
    match kind {
        ScoreKind::Nps => vec![
            c("n", "n", ColKind::Int),
            c("nps", "NPS", ColKind::Num(1)),
            c("ci", "CI", ColKind::Interval),
            c("promoters_pct", "prom.", ColKind::Pct),
            c("passives_pct", "pass.", ColKind::Pct),
            c("detractors_pct", "detr.", ColKind::Pct),
        ],
        ScoreKind::Csat { .. } => vec![
            c("n", "n", ColKind::Int),
            c("csat", "CSAT", ColKind::Pct),
            c("ci", "CI", ColKind::Interval),
            c("mean", "mean", ColKind::Num(2)),
        ],
        ScoreKind::Ces { .. } => vec![
            c("n", "n", ColKind::Int),
            c("ces", "CES", ColKind::Num(2)),
            c("ci", "CI", ColKind::Interval),
            c("easy_pct", "easy", ColKind::Pct),
            c("difficult_pct", "difficult", ColKind::Pct),
        ],
        ScoreKind::Pmf { .. } => vec![
            c("n", "n", ColKind::Int),
            c("pmf", "PMF", ColKind::Pct),
            c("ci", "CI", ColKind::Interval),
            c("pmf_reached", "≥ 40%", ColKind::Num(0)),
        ],
    }
}

/// Compute a survey metric's report without printing or writing anything.
pub fn compute(
    kind: ScoreKind,
    mut c: Common,
    settings: Settings,
    mut definition: Map<String, Value>,
) -> Result<(Report, Common)> {
    let progress = Progress::start(c.progress);
    let asserts_fields = match c.explain {
        Some(_) => crate::metrics::explain::ASSERTABLE.to_vec(),
        None => survey::assertable(&kind, c.period.is_some()),
    };
    assert::validate(&c.asserts, &asserts_fields, c.period.is_some())?;

    let timer = crate::progress::Timer::new();
    let mut sources = read::open_all(&c.files, &c.read)?;
    // A vendor preset (SPEC 5): its mapping fills what --col left open; its zone and date
    // formats apply to the time columns; its filters make rows `filtered`.
    let preset = apply_preset(&mut c, &mut sources, Kind::Survey, kind.name())?.map(|p| p.name);
    timer.mark("open and check inputs");
    let time_needed = c.period.is_some() || c.since.is_some() || c.until.is_some();

    // Column mapping, per source.
    let score_c = score_canon(&kind);
    let mut score_idx = Vec::new();
    for s in &sources {
        score_idx.push(mapping::resolve_source(s, &score_c, &c.cols)?.unwrap_or(0));
    }
    let time_idx = resolve_all(&sources, &time_canon(time_needed), &c)?;
    let id_idx = if c.keep_duplicates {
        None
    } else {
        resolve_all(&sources, &ID_CANON, &c)?
    };
    let upd_idx = if id_idx.is_some() {
        resolve_all(&sources, &UPDATED_CANON, &c)?
    } else {
        None
    };
    let mut mapped: Vec<(String, Vec<usize>)> = vec![("score".into(), score_idx.clone())];
    if let Some(t) = &time_idx {
        mapped.push(("submitted_at".into(), t.clone()));
    }
    super::explain::group_by_column(&sources, &mut c, &mapped)?;
    let (by_idx, where_idx) = user_columns(&sources, &c, &mapped)?;

    let mut cols = vec![FrameCol {
        name: "score".into(),
        index: score_idx.clone(),
    }];
    if let Some(t) = &time_idx {
        cols.push(FrameCol {
            name: "submitted_at".into(),
            index: t.clone(),
        });
    }
    if let Some(t) = &id_idx {
        cols.push(FrameCol {
            name: "response_id".into(),
            index: t.clone(),
        });
    }
    if let Some(t) = &upd_idx {
        cols.push(FrameCol {
            name: "updated_at".into(),
            index: t.clone(),
        });
    }
    let (by_names, where_names) = push_user_cols(&mut cols, &by_idx, &where_idx);
    let mut lf = input::frame(&sources, &cols)?;

    let time_limit = c.as_of.or(Some(c.now_ms));
    let rule = Arc::new(RowRule {
        kind: kind.clone(),
        na: c.na.clone(),
        wheres: c.wheres.clone(),
        time_needed,
        since: c.since,
        until: c.until,
        time_limit: if time_idx.is_some() { time_limit } else { None },
        period: c.period.map(|p| (p, c.tz)),
    });
    let parser = Arc::new(c.parser.clone());
    let mut fc = FrameCols {
        score: "score".into(),
        time: time_idx.as_ref().map(|_| "submitted_at".to_string()),
        wheres: where_names.clone(),
        by: by_names.clone(),
        dup_mask: None,
        id_hashes: None,
        placeholders: Arc::default(),
    };
    // Duplicate ids: the counting pass also hashes every id. Only when a hash repeats (rare)
    // are the repeated rows read to pick the survivors, and the counts taken again.
    let hashes = Arc::new(std::sync::Mutex::new(Vec::new()));
    if id_idx.is_some() {
        fc.id_hashes = Some(("response_id".to_string(), hashes.clone()));
    }
    progress.phase("computing");
    let mut latest_used = Arc::new(survey::Latest::default());
    let mut agg = collect(
        survey::aggregate(
            lf.clone(),
            rule.clone(),
            parser.clone(),
            &fc,
            latest_used.clone(),
        ),
        &sources,
    )?;
    timer.mark("aggregate");
    let mut mask: Option<Arc<HashSet<u32>>> = None;
    if id_idx.is_some() {
        let hv = std::mem::take(&mut *hashes.lock().map_err(|_| err("internal: hash lock"))?);
        let repeated = repeated_hashes(hv);
        if !repeated.is_empty() {
            let losers = duplicate_losers(
                lf.clone().with_row_index("__g", None),
                &sources,
                &c,
                "response_id",
                upd_idx.as_ref().map(|_| "updated_at"),
                repeated,
            )?;
            if !losers.is_empty() {
                let m = Arc::new(losers);
                mask = Some(m.clone());
                fc.dup_mask = Some(m);
                fc.id_hashes = None;
                lf = lf.with_row_index("__g", None);
                latest_used = Arc::new(survey::Latest::default());
                fc.placeholders = Arc::default();
                agg = collect(
                    survey::aggregate(lf, rule.clone(), parser, &fc, latest_used.clone()),
                    &sources,
                )?;
            }
        }
        timer.mark("duplicate ids");
    }

    // Counts → per input accounting and per (group, period) cells.
    let points = kind.points().len();
    let mut inputs: Vec<InputCount> = sources
        .iter()
        .map(|s| InputCount {
            path: s.display.clone(),
            ..Default::default()
        })
        .collect();
    let mut cells: BTreeMap<(Vec<Option<String>>, i32), Counts> = BTreeMap::new();
    // used + blank + rejected rows per (input, period), so `--last` can move them to filtered.
    let mut per_file_period: BTreeMap<(usize, i32, u8), u64> = BTreeMap::new();
    let latest = latest_used.get();
    let (mut dst_gap, mut dst_amb) = (0u64, 0u64);
    let fcol = agg
        .column("__f")
        .and_then(|x| x.u32().cloned())
        .map_err(|e| err(e.to_string()))?;
    let ccol = agg
        .column("__c")
        .and_then(|x| x.i64().cloned())
        .map_err(|e| err(e.to_string()))?;
    let ncol = agg
        .column("__n")
        .and_then(|x| x.cast(&DataType::UInt64))
        .and_then(|x| x.u64().cloned())
        .map_err(|e| err(e.to_string()))?;
    let bcols: Vec<StringChunked> = by_names
        .iter()
        .map(|b| agg.column(b).and_then(|x| x.str().cloned()))
        .collect::<PolarsResult<_>>()
        .map_err(|e| err(e.to_string()))?;
    for r in 0..agg.height() {
        let f = fcol.get(r).unwrap_or(0) as usize;
        let (ordinal, status_flags, value) = survey::unpack_outcome(ccol.get(r).unwrap_or(0));
        let n = ncol.get(r).unwrap_or(0);
        let status = status_flags & 0x0F;
        if status_flags & survey::FLAG_DST_GAP != 0 {
            dst_gap += n;
        }
        if status_flags & survey::FLAG_DST_AMBIGUOUS != 0 {
            dst_amb += n;
        }
        let ic = &mut inputs[f];
        ic.rows += n;
        match status {
            survey::USED => ic.used += n,
            survey::BLANK => ic.blank += n,
            survey::REJECTED => ic.rejected += n,
            survey::FILTERED => ic.filtered += n,
            _ => ic.duplicate += n,
        }
        if matches!(status, survey::USED | survey::BLANK | survey::REJECTED) {
            *per_file_period.entry((f, ordinal, status)).or_default() += n;
            let key: Vec<Option<String>> = bcols.iter().map(|b| norm_key(b.get(r))).collect();
            let cell = cells
                .entry((key, ordinal))
                .or_insert_with(|| Counts::new(points));
            match status {
                survey::USED => cell.dist[value as usize] += n,
                survey::BLANK => cell.blank += n,
                _ => cell.rejected += n,
            }
        }
    }
    let total_rows = data_rows(&sources, &inputs, "responses")?;
    let used: u64 = inputs.iter().map(|i| i.used).sum();
    let filtered: u64 = inputs.iter().map(|i| i.filtered).sum();
    let rejected: u64 = inputs.iter().map(|i| i.rejected).sum();
    // The --na-values hint (SPEC 6): most rejected scores one text.
    let na_hint = || -> Result<Option<String>> {
        if rejected == 0 {
            return Ok(None);
        }
        let (k, na) = (kind.clone(), c.na.clone());
        let bad = move |t: &str| k.read(Some(t), &na).is_err();
        input::values::na_hint(&sources, "score", &score_idx, rejected, bad)
    };
    if used == 0 && filtered == 0 {
        let blank: u64 = inputs.iter().map(|i| i.blank).sum();
        let hint = na_hint()?.map(|h| format!("; {h}")).unwrap_or_default();
        fail!(
            "no valid {} answer in the inputs ({} rows: {} blank, {} rejected); check that --col score=… names the right column (see --rejects FILE for the reasons){hint}",
            kind.name(),
            total_rows,
            blank,
            rejected
        );
    }

    // Rejected rows: positions and reasons from a per-record pass over the inputs that had them.
    if rejected > 0 && (c.strict || c.rejects.is_some()) {
        progress.phase("finding rejected rows");
        let rej_per: Vec<u64> = inputs.iter().map(|i| i.rejected).collect();
        let offsets = row_offsets(&inputs);
        let time_name = time_idx.as_ref().map(|_| "submitted_at").unwrap_or("");
        let found = find_rejects(
            &sources,
            &rej_per,
            &rule,
            &c,
            &score_idx,
            time_idx.as_ref(),
            &where_idx,
            mask.as_deref(),
            &offsets,
            time_name,
            c.strict,
        )?;
        handle_rejects(&found, &sources, &c)?;
    } else {
        handle_rejects(&[], &sources, &c)?;
    }

    // As-of: the given instant, else the latest valid time (not later than now).
    let as_of = c.as_of.or(latest);
    let explained = super::explain::prepare(&c, as_of, &per_file_period, &mut inputs);

    // Period range and --last.
    let mut warnings: Vec<String> = Vec::new();
    warnings.extend(fc.placeholders.warning("submitted_at"));
    let mut ordinals: Vec<i32> = Vec::new();
    if let Some(pk) = c.period {
        let used_ords: Vec<i32> = cells
            .iter()
            .filter(|((_, o), v)| *o != survey::NO_PERIOD && v.n() > 0)
            .map(|((_, o), _)| *o)
            .collect();
        if let (Some(&lo), Some(&hi)) = (used_ords.iter().min(), used_ords.iter().max()) {
            ordinals = (lo..=hi).collect();
        }
        if let Some(n) = c.last {
            let a = as_of.unwrap_or(c.now_ms);
            // The last complete period: the latest whose end is at or before as-of.
            let mut last_complete = pk.ordinal_of(a, c.tz);
            if pk.end_ms(last_complete, c.tz) > a {
                last_complete -= 1;
            }
            let first = last_complete - n as i32 + 1;
            ordinals = (first..=last_complete).collect();
            // Rows outside the kept periods are filtered.
            let outside = |o: i32| o != survey::NO_PERIOD && (o < first || o > last_complete);
            cells.retain(|(_, o), _| !outside(*o));
            for ((f, o, st), n) in &per_file_period {
                if outside(*o) {
                    let i = &mut inputs[*f];
                    i.filtered += n;
                    match *st {
                        survey::USED => i.used -= n,
                        survey::BLANK => i.blank -= n,
                        _ => i.rejected -= n,
                    }
                }
            }
        }
    }
    let min_n = c.min_n;
    let with_low_n = |mut m: Map<String, Value>, n: u64| {
        m.insert("low_n".into(), json!(min_n.is_some_and(|k| n < k)));
        m
    };
    let mut groups: Vec<Vec<Option<String>>> = cells.keys().map(|(g, _)| g.clone()).collect();
    groups.sort_by(|a, b| group_order(a, b));
    groups.dedup();
    let grouped = !c.by.is_empty();
    let is_nps = matches!(kind, ScoreKind::Nps);
    let mut rows: Vec<Row> = Vec::new();
    let mut total = Counts::new(points);
    for v in cells.values() {
        total.add(v);
    }
    // One series of rows per group (and, with --by and --period, one over all groups).
    let mut series: Vec<Option<Vec<Option<String>>>> = Vec::new();
    if grouped {
        series.extend(groups.iter().cloned().map(Some));
    }
    if c.period.is_some() && (grouped || series.is_empty()) {
        series.push(None);
    }
    if !grouped && c.period.is_none() {
        series.clear();
    }
    for g in series {
        let pick = |o: Option<i32>| -> Counts {
            let mut acc = Counts::new(points);
            for ((k, ord), v) in &cells {
                if g.as_ref().is_none_or(|gk| gk == k) && o.is_none_or(|o| o == *ord) {
                    acc.add(v);
                }
            }
            acc
        };
        match c.period {
            None => {
                let cnt = pick(None);
                let n = cnt.n();
                rows.push(Row {
                    group: g.clone(),
                    period: None,
                    partial: false,
                    fields: with_low_n(survey::fields(&kind, &cnt, &settings), n),
                });
            }
            Some(pk) => {
                let mut prev: Option<Counts> = None;
                for &o in &ordinals {
                    let cnt = pick(Some(o));
                    let n = cnt.n();
                    let mut f = survey::fields(&kind, &cnt, &settings);
                    if is_nps {
                        let (mut delta, mut pv) = (Value::Null, Value::Null);
                        if let Some(p) = &prev {
                            let (p1, d1, n1) = survey::nps_parts(p);
                            let (p2, d2, n2) = survey::nps_parts(&cnt);
                            if n1 > 0 && n2 > 0 {
                                let a = 100.0 * (p1 as f64 - d1 as f64) / n1 as f64;
                                let b = 100.0 * (p2 as f64 - d2 as f64) / n2 as f64;
                                delta = crate::report::num(Some(b - a));
                                pv = crate::report::num(stats::nps_p_value(p1, d1, n1, p2, d2, n2));
                            }
                        }
                        f.insert("delta".into(), delta);
                        f.insert("p_value".into(), pv);
                    }
                    let partial = as_of.is_none_or(|a| pk.end_ms(o, c.tz) > a);
                    rows.push(Row {
                        group: g.clone(),
                        period: Some(pk.label(o)),
                        partial,
                        fields: with_low_n(f, n),
                    });
                    prev = Some(cnt);
                }
            }
        }
    }
    let tn = total.n();
    let total_fields = with_low_n(survey::fields(&kind, &total, &settings), tn);

    if tn == 0 {
        warnings.push("no answers left after filtering: n is 0 and the metrics are null".into());
    }
    if dst_gap > 0 {
        warnings.push(format!("{dst_gap} naive timestamps fell in a daylight-saving gap and were moved forward by the gap"));
    }
    if dst_amb > 0 {
        warnings.push(format!("{dst_amb} naive timestamps occurred twice at a daylight-saving change; the earlier instant was taken"));
    }
    if rejected > 0 && c.rejects.is_none() {
        warnings.push(format!(
            "{rejected} rows rejected; write them with their reasons using --rejects FILE"
        ));
    }
    warnings.extend(na_hint()?);
    if let Some(k) = min_n {
        if tn < k {
            warnings.push(format!("only {tn} answers, fewer than --min-n {k}"));
        }
    }

    let mut colmap = Map::new();
    for (name, idx) in &mapped {
        colmap.insert(name.clone(), json!(sources[0].headers[idx[0]]));
    }
    definition.extend(shared_definition(&c, preset, colmap));

    let mut report = Report {
        metric: kind.name().into(),
        as_of: as_of.map(|a| time::format_rfc3339(a, c.tz)),
        definition,
        inputs,
        by: c.by.clone(),
        period: c.period.map(|p| p.name().to_string()),
        rows,
        total: total_fields,
        checks: Vec::new(),
        warnings,
        headline: headline(&kind),
        unit: None,
        extra: Map::new(),
    };
    if let Some(x) = explained {
        let cell = |v: &Counts| super::explain::survey_cell(&kind, v);
        let (segs, totals) =
            super::explain::from_cells(&cells, x.ab, cell, || Counts::new(points), Counts::add);
        let metric = super::explain::survey_metric(&kind);
        super::explain::apply(&mut report, &x, metric, &segs, totals, min_n);
    }
    report.checks = assert::evaluate(&c.asserts, &report);
    progress.finish();
    Ok((report, c))
}
