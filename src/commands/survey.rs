//! `cxm nps|csat|ces|pmf`: map the columns, run the polars aggregation, turn counts into
//! result rows (groups × periods, then the total), evaluate thresholds, write the output.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;
use serde_json::{Map, Value};

use crate::assert;
use crate::error::err;
use crate::input::dedup::{duplicate_losers, repeated_hashes};
use crate::input::ledger::Ledger;
use crate::input::mapping;
use crate::input::presets::Kind;
use crate::input::rows::Status;
use crate::input::schema::survey::{score_canon, time_canon, ID_CANON, UPDATED_CANON};
use crate::input::schema::{column_headers, push_user_cols, resolve_all, user_columns};
use crate::input::{self, col_i64, col_str, col_u32, col_u64, collect, read, rows, FrameCol};
use crate::metrics::stats;
use crate::metrics::survey::{self, Counts, FrameCols, RowRule, ScoreKind, Settings};
use crate::plan::Common;
use crate::progress::Progress;
use crate::report::{norm_key, series, span, with_low_n};
use crate::report::{Col, ColKind, Report, Row};
use crate::time;

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

    let Gathered {
        mut cells,
        mut ledger,
        latest,
        rejected_warning,
        na_hint,
        placeholder_warning,
        preset,
        colmap,
    } = match c.args.from_aggregates.clone() {
        Some(path) => {
            let (cells, ledger) = super::aggregates::survey_cells(&path, &kind, &c)?;
            let rejected_warning = ledger.rejected_warning(true);
            Gathered {
                cells,
                ledger,
                latest: None,
                rejected_warning,
                na_hint: None,
                placeholder_warning: None,
                preset: None,
                colmap: Map::new(),
            }
        }
        None => gather_rows(&kind, &mut c, &progress)?,
    };
    let points = kind.points().len();

    // As-of: the given instant, else the latest valid time (not later than now).
    let as_of = c.as_of.or(latest);
    let explained = super::explain::prepare(&c, as_of, &mut ledger);

    // Period range and --last.
    let mut warnings: Vec<String> = Vec::new();
    warnings.extend(placeholder_warning);
    let mut ordinals: Vec<i32> = Vec::new();
    if let Some(pk) = c.period {
        ordinals = span(
            cells
                .iter()
                .filter(|((_, o), v)| *o != rows::NO_PERIOD && v.n() > 0)
                .map(|((_, o), _)| *o),
        );
        if let Some(n) = c.last {
            let last_complete = pk.last_complete(as_of.unwrap_or(c.now_ms), c.tz);
            let first = last_complete - n as i32 + 1;
            ordinals = (first..=last_complete).collect();
            // Rows outside the kept periods are filtered.
            let outside = |o: i32| o != rows::NO_PERIOD && (o < first || o > last_complete);
            cells.retain(|(_, o), _| !outside(*o));
            ledger.filter_periods(|o, _| outside(o));
        }
    }
    let min_n = c.min_n;
    let with_low_n = |m: Map<String, Value>, n: u64| with_low_n(m, n, min_n);
    let is_nps = matches!(kind, ScoreKind::Nps);
    let mut rows: Vec<Row> = Vec::new();
    let mut total = Counts::new(points);
    for v in cells.values() {
        total.add(v);
    }
    for g in series(&cells, !c.by.is_empty(), c.period.is_some()) {
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
    warnings.extend(ledger.dst_warnings(None));
    warnings.extend(rejected_warning);
    warnings.extend(na_hint);
    if let Some(k) = min_n {
        if tn < k {
            warnings.push(format!("only {tn} answers, fewer than --min-n {k}"));
        }
    }

    definition.extend(c.definition(preset.as_deref(), colmap));

    let mut report = Report {
        metric: kind.name().into(),
        as_of: as_of.map(|a| time::format_rfc3339(a, c.tz)),
        definition,
        inputs: ledger.into_inputs(),
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
    let report = assert::checked(report, &c.asserts);
    progress.finish();
    Ok((report, c))
}

/// What the rows of the inputs (or a warehouse's aggregates) give the report.
struct Gathered {
    cells: BTreeMap<(Vec<Option<String>>, i32), Counts>,
    ledger: Ledger,
    latest: Option<i64>,
    rejected_warning: Option<String>,
    /// The `--na-values` hint, when most rejected scores are one text.
    na_hint: Option<String>,
    /// Placeholder dates in `submitted_at` (SPEC 4), read as blank.
    placeholder_warning: Option<String>,
    preset: Option<String>,
    colmap: Map<String, Value>,
}

/// Read the inputs: rows → classified → counts per (group, period), with the row accounting.
fn gather_rows(kind: &ScoreKind, c: &mut Common, progress: &Progress) -> Result<Gathered> {
    let timer = crate::progress::Timer::new();
    let mut sources = read::open_all_deferred(&c.files, &c.read)?;
    // A vendor preset (SPEC 5): its mapping fills what --col left open; its zone and date
    // formats apply to the time columns; its filters make rows `filtered`.
    let preset = c
        .absorb_preset(&mut sources, Kind::Survey, kind.name())?
        .map(|p| p.name);
    timer.mark("open and check inputs");
    let time_needed = c.period.is_some() || c.since.is_some() || c.until.is_some();

    // Column mapping, per source.
    let score_c = score_canon(kind.name());
    let mut score_idx = Vec::new();
    for s in &sources {
        score_idx.push(mapping::resolve_source(s, &score_c, &c.cols)?.unwrap_or(0));
    }
    let time_idx = resolve_all(&sources, &time_canon(time_needed), &c.cols)?;
    let id_idx = if c.keep_duplicates {
        None
    } else {
        resolve_all(&sources, &ID_CANON, &c.cols)?
    };
    let upd_idx = if id_idx.is_some() {
        resolve_all(&sources, &UPDATED_CANON, &c.cols)?
    } else {
        None
    };
    let mut mapped: Vec<(String, Vec<usize>)> = vec![("score".into(), score_idx.clone())];
    if let Some(t) = &time_idx {
        mapped.push(("submitted_at".into(), t.clone()));
    }
    super::explain::group_by_column(&sources, c, &mapped)?;
    let (by_idx, where_idx) = user_columns(&sources, &c.by, &c.wheres, &mapped)?;

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
        bad_texts: None,
    };
    // Duplicate ids: the counting pass also hashes every id. Only when a hash repeats (rare)
    // are the repeated rows read to pick the survivors, and the counts taken again.
    let hashes = Arc::new(std::sync::Mutex::new(Vec::new()));
    if id_idx.is_some() {
        fc.id_hashes = Some(("response_id".to_string(), hashes.clone()));
    }
    progress.phase("computing");
    let mut latest_used = Arc::new(survey::Latest::default());
    // CSV files on disk: cxm's parallel reader counts them in one pass (SPEC 8); anything
    // else, or a file that is not regular CSV, goes through polars.
    let mut agg = match input::direct_eligible(&sources) {
        true => survey::aggregate_direct(&sources, &cols, &rule, &parser, &fc, &latest_used, None)?,
        false => None,
    };
    match &agg {
        Some(d) => {
            for (s, r) in sources.iter_mut().zip(&d.rows) {
                s.checked = true;
                s.rows = Some(*r);
            }
        }
        None => {
            for s in sources.iter_mut() {
                read::settle(s)?;
            }
            fc.placeholders = Arc::default();
        }
    }
    // The frame is built only when a pass needs it: a JSON input's frame reads its columns
    // (the parallel pass above has read them already).
    let frame = || input::frame(&sources, &cols);
    // The unreadable score texts (for the --na-values hint), counted by the first pass.
    let mut bad_scores = agg
        .as_mut()
        .map(|d| std::mem::take(&mut d.bad_scores))
        .unwrap_or_default();
    let pieces = agg.as_mut().map(|d| std::mem::take(&mut d.pieces));
    let mut agg = match agg.take() {
        Some(d) => d.agg,
        None => {
            // The unreadable scores are counted by the first pass only, as in the parallel
            // pass (the pass for duplicates leaves them).
            let texts: survey::BadTexts = Arc::default();
            fc.bad_texts = Some(texts.clone());
            let agg = collect(
                survey::aggregate(
                    frame()?,
                    rule.clone(),
                    parser.clone(),
                    &fc,
                    latest_used.clone(),
                ),
                &sources,
            )?;
            fc.bad_texts = None;
            let counted = std::mem::take(&mut *texts.lock().map_err(|_| err("internal: texts"))?);
            bad_scores = counted.into_iter().collect();
            agg
        }
    };
    timer.mark("aggregate");
    let mut mask: Option<Arc<HashSet<u32>>> = None;
    if id_idx.is_some() {
        let hv = std::mem::take(&mut *hashes.lock().map_err(|_| err("internal: hash lock"))?);
        let repeated = repeated_hashes(hv);
        if !repeated.is_empty() {
            let lf = frame()?.with_row_index("__g", None);
            let losers = duplicate_losers(
                lf.clone(),
                &sources,
                &c.parser,
                "response_id",
                upd_idx.as_ref().map(|_| "updated_at"),
                repeated,
            )?;
            if !losers.is_empty() {
                let m = Arc::new(losers);
                mask = Some(m.clone());
                fc.dup_mask = Some(m.clone());
                fc.id_hashes = None;
                latest_used = Arc::new(survey::Latest::default());
                fc.placeholders = Arc::default();
                // The parallel reader's second pass knows each record's global number from
                // the first pass's counts per piece.
                let again = match &pieces {
                    Some(p) => survey::aggregate_direct(
                        &sources,
                        &cols,
                        &rule,
                        &parser,
                        &fc,
                        &latest_used,
                        Some(&input::fast::DupMask::new(m.clone(), p)),
                    )?,
                    None => None,
                };
                // A pass that gives up notes nothing: the polars pass starts from the same
                // reset state.
                agg = match again {
                    Some(d) => d.agg,
                    None => collect(
                        survey::aggregate(lf, rule.clone(), parser, &fc, latest_used.clone()),
                        &sources,
                    )?,
                };
            }
        }
        timer.mark("duplicate ids");
    }

    // Counts → per input accounting and per (group, period) cells.
    let points = kind.points().len();
    let mut ledger = Ledger::new(&sources);
    let mut cells: BTreeMap<(Vec<Option<String>>, i32), Counts> = BTreeMap::new();
    let latest = latest_used.get();
    let (fcol, ccol, ncol) = (
        col_u32(&agg, "__f")?,
        col_i64(&agg, "__c")?,
        col_u64(&agg, "__n")?,
    );
    let bcols: Vec<StringChunked> = by_names
        .iter()
        .map(|b| col_str(&agg, b))
        .collect::<Result<_>>()?;
    for r in 0..agg.height() {
        let f = fcol.get(r).unwrap_or(0) as usize;
        let (ordinal, status_flags, value) = survey::unpack_outcome(ccol.get(r).unwrap_or(0));
        let n = ncol.get(r).unwrap_or(0);
        ledger.note_dst(
            status_flags & rows::FLAG_DST_GAP != 0,
            status_flags & rows::FLAG_DST_AMBIGUOUS != 0,
            n,
        );
        let status = Status::from_code(status_flags);
        if !matches!(status, Status::Used | Status::Blank | Status::Rejected) {
            ledger.count(f, status, n);
            continue;
        }
        // Remembered by period, so that `--last` can move them to filtered.
        ledger.count_in_period(f, ordinal, status, n);
        let key: Vec<Option<String>> = bcols.iter().map(|b| norm_key(b.get(r))).collect();
        let cell = cells
            .entry((key, ordinal))
            .or_insert_with(|| Counts::new(points));
        match status {
            Status::Used => cell.dist[value as usize] += n,
            Status::Blank => cell.blank += n,
            _ => cell.rejected += n,
        }
    }
    ledger.data_rows(&sources, "responses")?;
    // The --na-values hint (SPEC 6): most rejected scores one text (counted before --last).
    let rejected = ledger.total().rejected;
    let na_hint = || -> Result<Option<String>> {
        if rejected == 0 {
            return Ok(None);
        }
        Ok(input::values::na_hint_counts(
            "score",
            &bad_scores,
            rejected,
        ))
    };
    let t = ledger.total();
    let hint = if t.used == 0 && t.filtered == 0 {
        na_hint()?.map(|h| format!("; {h}")).unwrap_or_default()
    } else {
        String::new()
    };
    ledger.require_valid(|t| {
        format!(
            "no valid {} answer in the inputs ({} rows: {} blank, {} rejected); check that --col score=… names the right column (see --rejects FILE for the reasons){hint}",
            kind.name(),
            t.rows,
            t.blank,
            t.rejected
        )
    })?;
    // Counted before --last moves rows to filtered.
    let rejected_warning = ledger.rejected_warning(c.rejects.is_some());

    // Rejected rows: positions and reasons from a pass over the inputs that had them.
    c.reject_policy(progress).settle(
        &sources,
        &ledger,
        &mapped,
        &where_idx,
        mask.as_deref(),
        &*rule,
    )?;

    Ok(Gathered {
        cells,
        ledger,
        latest,
        rejected_warning,
        na_hint: na_hint()?,
        placeholder_warning: fc.placeholders.warning("submitted_at"),
        preset: preset.map(str::to_string),
        colmap: column_headers(&sources, &mapped, |n| n),
    })
}
