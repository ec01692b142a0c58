//! NPS, CSAT, CES and PMF as one SQL query (SPEC 10 over SPEC 6.1–6.4).
//!
//! The query has the shape of the file path: rows → a status and a value code per row
//! (`cxm_rows`) → counts per group and period (`cxm_cells`) → one result row per group ×
//! period, the period series over all groups and the total (`cxm_series`) → the fields,
//! computed from the counts with the same formulas and the same order of floating-point
//! operations as `metrics::survey::fields` and `metrics::stats`.

use anyhow::Result;

use crate::metrics::stats::NpsMethod;
use crate::metrics::survey::{CsatScale, ScoreKind, CSAT_BAD, CSAT_GOOD, CSAT_NO_ANSWER};
use crate::sql::calendar::Calendar;
use crate::sql::{normal_tail, Query, SqlPlan};

/// Status codes of `cxm_rows.st`.
const USED: i32 = 1;
const BLANK: i32 = 2;
const REJECTED: i32 = 3;

/// Settings of the survey formulas.
pub struct SurveySql {
    pub kind: ScoreKind,
    pub method: NpsMethod,
    pub z: f64,
    /// `--stage aggregates`: stop at the counts per group and period, for
    /// `cxm METRIC --from-aggregates FILE` to finish.
    pub aggregates: bool,
}

impl SurveySql {
    fn points(&self) -> usize {
        self.kind.points().len()
    }

    /// Whether the score column is read as text (binary CSAT, PMF answers) or as a number.
    fn text_score(&self) -> bool {
        matches!(
            self.kind,
            ScoreKind::Pmf { .. }
                | ScoreKind::Csat {
                    scale: CsatScale::Binary,
                    ..
                }
        )
    }

    /// (blank condition, valid condition, value code) of the score in column `v`.
    fn score_rule(&self, p: &SqlPlan) -> (String, String, String) {
        let d = p.dialect;
        let list = |xs: &[&str]| xs.iter().map(|x| d.text(x)).collect::<Vec<_>>().join(", ");
        match &self.kind {
            ScoreKind::Csat {
                scale: CsatScale::Binary,
                invert,
                ..
            } => {
                let good = if *invert { "0" } else { "1" };
                let bad = if *invert { "1" } else { "0" };
                (
                    format!("v IS NULL OR v = '' OR v IN ({})", list(CSAT_NO_ANSWER)),
                    format!("v IN ({}) OR v IN ({})", list(CSAT_GOOD), list(CSAT_BAD)),
                    format!(
                        "CASE WHEN v IN ({}) THEN {good} ELSE {bad} END",
                        list(CSAT_GOOD)
                    ),
                )
            }
            ScoreKind::Pmf { numeric } => {
                let very = "v LIKE '%very disappointed%' OR v = 'very'";
                let some = "v LIKE '%somewhat disappointed%' OR v LIKE '%mildly disappointed%' OR v = 'somewhat' OR v = 'mildly'";
                let not = "v LIKE '%not disappointed%' OR v = 'not'";
                let (n1, n2, n3) = if *numeric {
                    (
                        " OR v IN ('1', '1.0')",
                        " OR v IN ('2', '2.0')",
                        " OR v IN ('3', '3.0')",
                    )
                } else {
                    ("", "", "")
                };
                (
                    "v IS NULL OR v = '' OR v = 'n/a' OR v LIKE 'n/a %' OR v LIKE 'n/a -%' OR v LIKE '%no longer use%'".into(),
                    format!("{very} OR {some} OR {not}{n1}{n2}{n3}"),
                    format!(
                        "CASE WHEN {very} THEN 2 WHEN {some} THEN 1 WHEN {not} THEN 0 WHEN v IN ('3', '3.0') THEN 2 WHEN v IN ('2', '2.0') THEN 1 ELSE 0 END"
                    ),
                )
            }
            kind => {
                let (lo, hi) = match kind {
                    ScoreKind::Nps => (0, 10),
                    ScoreKind::Csat {
                        scale: CsatScale::Points(k),
                        ..
                    } => (1, *k),
                    ScoreKind::Ces { scale, .. } => (1, *scale),
                    _ => (0, 0),
                };
                let invert = matches!(
                    kind,
                    ScoreKind::Csat { invert: true, .. } | ScoreKind::Ces { invert: true, .. }
                );
                let code = if invert {
                    format!("{} - {}", hi, d.big("v"))
                } else {
                    format!("{} - {lo}", d.big("v"))
                };
                (
                    "v IS NULL".into(),
                    format!("v = FLOOR(v) AND v >= {lo} AND v <= {hi}"),
                    format!(
                        "CASE WHEN v = FLOOR(v) AND v >= {lo} AND v <= {hi} THEN {code} ELSE 0 END"
                    ),
                )
            }
        }
    }

    /// The first value of the scale (distribution keys are `lo + code`).
    fn dist_names(&self) -> Vec<String> {
        self.kind
            .points()
            .iter()
            .map(|k| format!("dist_{k}"))
            .collect()
    }

    /// The whole query.
    pub fn query(&self, p: &SqlPlan) -> Result<String> {
        let d = p.dialect;
        let mut q = Query::new(p, self.kind.name());
        let time_needed = p.period.is_some() || p.since.is_some() || p.until.is_some();
        let ng = p.by.len();
        let gcols = p.group_cols();
        let pts = self.points();
        let cells: Vec<String> = (0..pts).map(|i| format!("c{i}")).collect();

        // The calendar and the period table.
        let cal = p.period.map(|k| {
            let from = p.calendar_start();
            Calendar::build(k, p.tz, from, p.as_of)
        });
        let last_range = p.last_range();
        if let (Some(k), Some(cal)) = (p.period, &cal) {
            q.comment(&format!(
                "The calendar covers {} to as-of ({} periods of {} UTC days); rows before it are left out.",
                crate::time::format_rfc3339(p.calendar_start(), p.tz),
                k.name(),
                cal.days.len()
            ));
            q.cte("cxm_cal", &cal.table(d));
            p.periods_cte(&mut q, cal, last_range);
        }

        // Rows: the typed columns the metric needs.
        let score = p.col("score");
        let v = if self.text_score() {
            format!("LOWER(TRIM({}))", d.to_text(&score))
        } else {
            d.dbl(&score)
        };
        let mut sel = vec![
            format!("{v} AS v"),
            format!("{} AS t", p.time_ms("submitted_at")),
        ];
        sel.extend(p.user_column_selects());
        let src = p.dedup_ctes(&mut q, "response_id", sel);

        // Status and value code per row; filtered rows leave here.
        let (blank, valid, code) = self.score_rule(p);
        let mut keep = p.where_preds("r");
        let mut time_ok = vec![format!("r.t <= {}", p.as_of)];
        if let Some(s) = p.since {
            time_ok.push(format!("r.t >= {s}"));
        }
        if let Some(u) = p.until {
            time_ok.push(format!("r.t < {u}"));
        }
        if cal.is_some() {
            time_ok.push("c.day IS NOT NULL".into());
        }
        keep.push(format!("(r.t IS NULL OR ({}))", time_ok.join(" AND ")));
        let ordinal = match &cal {
            Some(cal) => cal.ordinal_expr("c", "r.t"),
            None => "CAST(NULL AS BIGINT)".into(),
        };
        let null_time = if time_needed {
            format!("WHEN r.t IS NULL THEN {BLANK} ")
        } else {
            String::new()
        };
        let g_sel: String = gcols.iter().map(|g| format!("r.{g}, ")).collect();
        let join = if cal.is_some() {
            format!(" LEFT JOIN cxm_cal c ON c.day = {}", d.utc_day("r.t"))
        } else {
            String::new()
        };
        q.cte(
            "cxm_rows",
            &format!(
                "SELECT {g_sel}{ordinal} AS o, CASE {null_time}WHEN {blank} THEN {BLANK} WHEN {valid} THEN {USED} ELSE {REJECTED} END AS st, {code} AS x FROM {src} r{join} WHERE {}",
                keep.join(" AND ")
            ),
        );

        // Counts per (group, period).
        let sums: Vec<String> = (0..pts)
            .map(|i| format!("SUM(CASE WHEN st = {USED} AND x = {i} THEN 1 ELSE 0 END) AS c{i}"))
            .collect();
        let gk: String = gcols.iter().map(|g| format!("{g}, ")).collect();
        let mut cells_sql = format!(
            "SELECT {gk}o, {}, SUM(CASE WHEN st = {BLANK} THEN 1 ELSE 0 END) AS blank, SUM(CASE WHEN st = {REJECTED} THEN 1 ELSE 0 END) AS rejected FROM cxm_rows GROUP BY {gk}o",
            sums.join(", ")
        );
        if let Some((a, b)) = last_range {
            cells_sql = format!(
                "SELECT * FROM ({cells_sql}) cxm_c WHERE o IS NULL OR (o >= {a} AND o <= {b})"
            );
        }
        q.cte("cxm_cells", &cells_sql);
        if self.aggregates {
            q.comment("Stage: aggregates. Save the result as CSV and finish it with `cxm METRIC --from-aggregates FILE` and the same options.");
            let mut out: Vec<String> = Vec::new();
            for (g, b) in gcols.iter().zip(&p.by) {
                out.push(format!("c.{g} AS {}", d.ident(b)));
            }
            let mut order: Vec<String> = Vec::new();
            for g in &gcols {
                order.push(format!("CASE WHEN c.{g} IS NULL THEN 1 ELSE 0 END"));
                order.push(d.byte_order(&format!("c.{g}")));
            }
            let mut from = "cxm_cells c".to_string();
            if p.period.is_some() {
                out.push(format!("p.label AS {}", d.ident("period")));
                from.push_str(" LEFT JOIN cxm_periods p ON p.o = c.o");
                order.push("c.o".into());
            }
            for (i, name) in self.dist_names().iter().enumerate() {
                out.push(format!("c.c{i} AS {}", d.ident(name)));
            }
            out.push(format!("c.blank AS {}", d.ident("blank")));
            out.push(format!("c.rejected AS {}", d.ident("rejected")));
            let order = if order.is_empty() {
                String::new()
            } else {
                format!(" ORDER BY {}", order.join(", "))
            };
            q.select(&format!("SELECT {} FROM {from}{order}", out.join(",\n  ")));
            return Ok(q.finish());
        }

        // Result rows: k = 0 per group, 1 the period series over all groups, 2 the total.
        let cnt_cols: Vec<String> = cells
            .iter()
            .cloned()
            .chain(["blank".to_string(), "rejected".to_string()])
            .collect();
        let sum_cols = cnt_cols
            .iter()
            .map(|c| format!("SUM({c}) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let zeros = cnt_cols
            .iter()
            .map(|c| format!("0 AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let cnt_list = cnt_cols.join(", ");
        let null_gs = p.null_group_selects();
        let n_expr = cells.join(" + ");
        let mut parts: Vec<String> = Vec::new();
        if p.period.is_some() {
            p.range_ctes(
                &mut q,
                last_range,
                &format!("SELECT o FROM cxm_cells WHERE o IS NOT NULL AND {n_expr} > 0"),
            );
            if ng > 0 {
                q.cte(
                    "cxm_groups",
                    &format!("SELECT DISTINCT {} FROM cxm_cells", gcols.join(", ")),
                );
                parts.push(format!(
                    "SELECT 0 AS k, {gk}o, {sum_cols} FROM (SELECT {gk}c.o, {cnt_list} FROM cxm_cells c JOIN cxm_ords r ON c.o = r.o UNION ALL SELECT {gk}r.o, {zeros} FROM cxm_groups CROSS JOIN cxm_ords r) cxm_u GROUP BY {gk}o"
                ));
            }
            parts.push(format!(
                "SELECT 1 AS k, {null_gs}o, {sum_cols} FROM (SELECT c.o, {cnt_list} FROM cxm_cells c JOIN cxm_ords r ON c.o = r.o UNION ALL SELECT r.o, {zeros} FROM cxm_ords r) cxm_u GROUP BY o"
            ));
        } else if ng > 0 {
            parts.push(format!(
                "SELECT 0 AS k, {gk}CAST(NULL AS BIGINT) AS o, {sum_cols} FROM cxm_cells GROUP BY {}",
                gcols.join(", ")
            ));
        }
        let total_sums = cnt_cols
            .iter()
            .map(|c| format!("COALESCE(SUM({c}), 0) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        parts.push(format!(
            "SELECT 2 AS k, {null_gs}CAST(NULL AS BIGINT) AS o, {total_sums} FROM cxm_cells"
        ));
        q.cte("cxm_series", &parts.join("\nUNION ALL\n"));

        // Fields.
        let (label, partial, pjoin) = if p.period.is_some() {
            (
                "p.label".to_string(),
                "COALESCE(p.partial, FALSE)",
                " LEFT JOIN cxm_periods p ON p.o = s.o",
            )
        } else {
            (format!("CAST(NULL AS {})", d.text_type()), "FALSE", "")
        };
        let f = |x: &str| d.dbl(x);
        let mut a_cols = vec![
            format!("s.k"),
            format!("s.o"),
            format!("{label} AS label"),
            format!("{partial} AS partial"),
        ];
        a_cols.extend(gcols.iter().map(|g| format!("s.{g}")));
        a_cols.extend(cnt_cols.iter().map(|c| format!("s.{c}")));
        a_cols.push(format!("({n_expr}) AS n"));
        let sum_of = |range: &mut dyn Iterator<Item = usize>| -> String {
            let v: Vec<String> = range.map(|i| format!("s.c{i}")).collect();
            if v.is_empty() {
                "0".into()
            } else {
                format!("({})", v.join(" + "))
            }
        };
        match &self.kind {
            ScoreKind::Nps => {
                a_cols.push(format!("{} AS pro", sum_of(&mut (9..=10))));
                a_cols.push(format!("{} AS det", sum_of(&mut (0..=6))));
            }
            ScoreKind::Csat {
                scale, satisfied, ..
            } => {
                let sat = match scale {
                    CsatScale::Binary => "s.c1".to_string(),
                    CsatScale::Points(_) => {
                        sum_of(&mut (0..pts).filter(|i| (*i as i64 + 1) >= *satisfied))
                    }
                };
                a_cols.push(format!("{sat} AS sat"));
                let s1: Vec<String> = (0..pts).map(|i| format!("s.c{i} * {}", i + 1)).collect();
                a_cols.push(format!("({}) AS s1", s1.join(" + ")));
            }
            ScoreKind::Ces { scale, easy, .. } => {
                let dmax = if *scale == 7 { 3 } else { 2 };
                a_cols.push(format!(
                    "{} AS easy",
                    sum_of(&mut (0..pts).filter(|i| (*i as i64 + 1) >= *easy))
                ));
                a_cols.push(format!(
                    "{} AS diff",
                    sum_of(&mut (0..pts).filter(|i| (*i as i64 + 1) <= dmax))
                ));
                let s1: Vec<String> = (0..pts).map(|i| format!("s.c{i} * {}", i + 1)).collect();
                let s2: Vec<String> = (0..pts)
                    .map(|i| format!("s.c{i} * {}", (i + 1) * (i + 1)))
                    .collect();
                a_cols.push(format!("({}) AS s1", s1.join(" + ")));
                a_cols.push(format!("({}) AS s2", s2.join(" + ")));
            }
            ScoreKind::Pmf { .. } => {}
        }
        q.cte(
            "cxm_a",
            &format!("SELECT {} FROM cxm_series s{pjoin}", a_cols.join(", ")),
        );

        // Ratios (cxm_b), then the fields (cxm_f).
        let nf = f("NULLIF(n, 0)");
        let hundred = d.dbl_lit(100.0);
        let z = d.dbl_lit(self.z);
        let z2 = d.dbl_lit(self.z * self.z);
        let mut b_cols = vec!["cxm_a.*".to_string(), format!("{nf} AS nf")];
        let mut fields: Vec<(String, String)> = Vec::new();
        let pct = |a: &str| format!("{hundred} * {} / nf", f(a));
        let wilson = |k: &str, b_cols: &mut Vec<String>| {
            b_cols.push(format!("{} / {nf} AS ph", f(k)));
            b_cols.push(format!("({} + {z2} / {nf}) AS wden", d.dbl_lit(1.0)));
        };
        match &self.kind {
            ScoreKind::Nps => {
                let (pf, df, nn) = match self.method {
                    NpsMethod::Wald => ("pro".to_string(), "det".to_string(), "n".to_string()),
                    NpsMethod::AdjustedWald => (
                        format!("{} + {}", f("pro"), d.dbl_lit(0.75)),
                        format!("{} + {}", f("det"), d.dbl_lit(0.75)),
                        format!("{} + {}", f("n"), d.dbl_lit(3.0)),
                    ),
                };
                b_cols.push(format!("{} AS nn", f(&format!("NULLIF({nn}, 0)"))));
                b_cols.push(format!(
                    "{} / {} AS pr",
                    f(&format!("({pf})")),
                    f(&format!("NULLIF({nn}, 0)"))
                ));
                b_cols.push(format!(
                    "{} / {} AS dr",
                    f(&format!("({df})")),
                    f(&format!("NULLIF({nn}, 0)"))
                ));
                b_cols.push(format!("{} / {nf} AS pw", f("pro")));
                b_cols.push(format!(
                    "{hundred} * ({} - {}) / {nf} AS npsv",
                    f("pro"),
                    f("det")
                ));
                b_cols.push(format!("{} / {nf} AS dw", f("det")));
                for (name, e) in [
                    ("promoters", "pro".to_string()),
                    ("passives", "n - pro - det".to_string()),
                    ("detractors", "det".to_string()),
                    ("promoters_pct", pct("pro")),
                    ("passives_pct", pct("n - pro - det")),
                    ("detractors_pct", pct("det")),
                    ("nps", "npsv".to_string()),
                    ("se", format!("CASE WHEN n = 0 THEN NULL ELSE {hundred} * se0 END")),
                    ("ci_low", format!("CASE WHEN n = 0 THEN NULL ELSE LEAST(GREATEST({hundred} * ((pr - dr) - {z} * se0), {}), {hundred}) END", d.dbl_lit(-100.0))),
                    ("ci_high", format!("CASE WHEN n = 0 THEN NULL ELSE LEAST(GREATEST({hundred} * ((pr - dr) + {z} * se0), {}), {hundred}) END", d.dbl_lit(-100.0))),
                ] {
                    fields.push((name.into(), e));
                }
            }
            ScoreKind::Csat { scale, .. } => {
                wilson("sat", &mut b_cols);
                fields.push(("satisfied".into(), "sat".into()));
                fields.push(("csat".into(), pct("sat")));
                let mean = match scale {
                    CsatScale::Binary => format!("CAST(NULL AS {})", d.double_type()),
                    CsatScale::Points(_) => format!("{} / nf", f("s1")),
                };
                fields.push(("mean".into(), mean));
                wilson_fields("sat", &hundred, p, &mut fields);
            }
            ScoreKind::Ces { .. } => {
                b_cols.push(format!("{} / {nf} AS mu", f("s1")));
                b_cols.push(format!(
                    "CASE WHEN n < 2 THEN NULL ELSE SQRT(GREATEST({} - {} * {} / {nf}, {}) / ({nf} - {})) END AS sd",
                    f("s2"), f("s1"), f("s1"), d.dbl_lit(0.0), d.dbl_lit(1.0)
                ));
                fields.push(("ces".into(), "mu".into()));
                fields.push(("easy_pct".into(), pct("easy")));
                fields.push(("difficult_pct".into(), pct("diff")));
                fields.push(("sd".into(), "sd".into()));
                fields.push(("ci_low".into(), format!("mu - {z} * sd / SQRT(nf)")));
                fields.push(("ci_high".into(), format!("mu + {z} * sd / SQRT(nf)")));
            }
            ScoreKind::Pmf { .. } => {
                wilson("c2", &mut b_cols);
                fields.push(("very".into(), "c2".into()));
                fields.push(("somewhat".into(), "c1".into()));
                fields.push(("not".into(), "c0".into()));
                fields.push(("pmf".into(), pct("c2")));
                wilson_fields("c2", &hundred, p, &mut fields);
                fields.push((
                    "pmf_reached".into(),
                    format!(
                        "CASE WHEN n = 0 THEN NULL WHEN {} >= {} THEN TRUE ELSE FALSE END",
                        pct("c2"),
                        d.dbl_lit(40.0)
                    ),
                ));
            }
        }
        if !matches!(self.kind, ScoreKind::Pmf { .. }) {
            for (i, name) in self.dist_names().into_iter().enumerate() {
                fields.push((name, format!("c{i}")));
            }
        }
        q.cte("cxm_b", &format!("SELECT {} FROM cxm_a", b_cols.join(", ")));
        let mut c_cols = vec!["cxm_b.*".to_string()];
        if matches!(self.kind, ScoreKind::Nps) {
            c_cols.push(format!(
                "SQRT(GREATEST(pr + dr - (pr - dr) * (pr - dr), {}) / nn) AS se0",
                d.dbl_lit(0.0)
            ));
            // Unadjusted Wald variance over n, for the p-value between periods.
            c_cols.push(format!(
                "GREATEST(pw + dw - (pw - dw) * (pw - dw), {}) / nf AS vn",
                d.dbl_lit(0.0)
            ));
        }
        if matches!(self.kind, ScoreKind::Csat { .. } | ScoreKind::Pmf { .. }) {
            c_cols.push(format!(
                "(ph + {z2} / ({} * nf)) / wden AS wc",
                d.dbl_lit(2.0)
            ));
            c_cols.push(format!(
                "{z} * SQRT(ph * ({} - ph) / nf + {z2} / ({} * nf * nf)) / wden AS wh",
                d.dbl_lit(1.0),
                d.dbl_lit(4.0)
            ));
        }
        q.cte("cxm_c", &format!("SELECT {} FROM cxm_b", c_cols.join(", ")));
        let with_delta = p.period.is_some() && matches!(self.kind, ScoreKind::Nps);
        let mut src_f = "cxm_c".to_string();
        if with_delta {
            let part: Vec<String> = std::iter::once("k".to_string())
                .chain(gcols.iter().cloned())
                .collect();
            let over = format!("OVER (PARTITION BY {} ORDER BY o)", part.join(", "));
            q.cte(
                "cxm_l",
                &format!(
                    "SELECT cxm_c.*, LAG(n) {over} AS n_p, LAG(pw) {over} AS pw_p, LAG(dw) {over} AS dw_p, LAG(vn) {over} AS vn_p, LAG(npsv) {over} AS npsv_p FROM cxm_c"
                ),
            );
            q.cte(
                "cxm_z",
                "SELECT cxm_l.*, CASE WHEN k = 2 OR n_p IS NULL OR n_p = 0 OR n = 0 OR SQRT(vn_p + vn) <= 0 THEN NULL ELSE ABS(((pw_p - dw_p) - (pw - dw)) / SQRT(vn_p + vn)) END AS zabs FROM cxm_l",
            );
            src_f = "cxm_z".into();
            fields.push((
                "delta".into(),
                "CASE WHEN k = 2 OR n_p IS NULL OR n_p = 0 OR n = 0 THEN NULL ELSE npsv - npsv_p END".to_string(),
            ));
            fields.push((
                "p_value".into(),
                format!(
                    "CASE WHEN zabs IS NULL THEN NULL ELSE LEAST({} * {}, {}) END",
                    d.dbl_lit(2.0),
                    normal_tail(d, "zabs"),
                    d.dbl_lit(1.0)
                ),
            ));
        }
        fields.push(("low_n".into(), p.low_n_expr("n")));
        let mut all = vec![
            ("n".to_string(), "n".to_string()),
            ("blank".into(), "blank".into()),
            ("rejected".into(), "rejected".into()),
        ];
        all.extend(fields);
        q.select(&p.final_select(&src_f, &all));
        Ok(q.finish())
    }
}

/// CSAT's and PMF's Wilson interval fields from `ph` (k / n), `wc` (the centre) and `wh`
/// (the half-width), clamped as `stats::wilson` clamps them.
fn wilson_fields(k: &str, hundred: &str, p: &SqlPlan, fields: &mut Vec<(String, String)>) {
    let d = p.dialect;
    fields.push((
            "ci_low".into(),
            format!(
                "CASE WHEN n = 0 THEN NULL WHEN {k} = 0 THEN {} ELSE {hundred} * LEAST(GREATEST(wc - wh, {}), ph) END",
                d.dbl_lit(0.0),
                d.dbl_lit(0.0)
            ),
        ));
    fields.push((
            "ci_high".into(),
            format!(
                "CASE WHEN n = 0 THEN NULL WHEN {k} = n THEN {hundred} ELSE {hundred} * LEAST(GREATEST(wc + wh, ph), {}) END",
                d.dbl_lit(1.0)
            ),
        ));
}
