//! Ticket metrics as one SQL query (SPEC 10 over SPEC 6.5).
//!
//! One row per ticket after the row rule (`cxm_t`: status, period, first response and
//! resolution in calendar or business milliseconds, age at as-of), tagged into the result
//! rows it belongs to (`cxm_x`: per group and period, per period over all groups, the total,
//! plus empty rows for periods without tickets), then one GROUP BY with exact type-7
//! percentiles: the engine's own exact aggregate, or for BigQuery (no exact aggregate) a
//! histogram with running counts; with `--approx`, the engine's approximate aggregate
//! (PostgreSQL has none and stays exact).

use anyhow::Result;

use crate::metrics::business_time::Schedule;
use crate::metrics::tickets::{Bucket, Sla};
use crate::sql::calendar::Calendar;
use crate::sql::dialect::Dialect;
use crate::sql::{Query, SqlPlan};

const USED: i32 = 1;
const REJECTED: i32 = 3;
const QUANTILES: [(&str, f64); 3] = [("median", 0.5), ("p90", 0.9), ("p95", 0.95)];

/// How the query computes exact percentiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Percentiles {
    /// The engine's exact aggregate (`quantile_cont`, `percentile_cont … WITHIN GROUP`,
    /// Spark's `percentile`).
    Native,
    /// Counts per distinct value and a running count (any engine; BigQuery's form).
    Histogram,
    /// `--approx`: the engine's approximate aggregate (`Dialect::approx_quantile`); exact
    /// where the engine has none (PostgreSQL).
    Approx,
}

pub struct TicketsSql<'a> {
    pub schedule: Option<&'a Schedule>,
    pub sla: Sla,
    pub bucket: Bucket,
    pub percentiles: Percentiles,
    /// `--stage aggregates`: counts and duration histograms per group and period, for
    /// `cxm tickets --from-aggregates FILE` to finish.
    pub aggregates: bool,
}

/// The measures of the tickets aggregates stage: counts (no value), and durations in ms
/// with how many tickets have each (`measure, value, count`).
pub const AGG_COUNTS: [&str; 4] = ["used", "resolved", "rejected", "reopened"];
pub const AGG_DURATIONS: [&str; 5] = [
    "frt",
    "ttr",
    "ttr_unanswered",
    "open_age_answered",
    "open_age_unanswered",
];

impl TicketsSql<'_> {
    pub fn query(&self, p: &SqlPlan) -> Result<String> {
        let d = p.dialect;
        let mut q = Query::new(p, "tickets");
        let gcols = p.group_cols();
        let gk: String = gcols.iter().map(|g| format!("{g}, ")).collect();
        let business = self.schedule.is_some();
        let percentiles = match self.percentiles {
            Percentiles::Approx if d.approx_quantile_name().is_some() => Percentiles::Approx,
            _ if d == Dialect::BigQuery => Percentiles::Histogram,
            Percentiles::Approx => Percentiles::Native,
            other => other,
        };
        if self.percentiles == Percentiles::Approx {
            q.comment(&match d.approx_quantile_name() {
                Some(f) => format!(
                    "--approx: the median, p90 and p95 columns come from {f}, an approximate percentile: they are estimates, not comparable to `cxm tickets` at 1e-9 (counts and means stay exact)."
                ),
                None => "--approx: PostgreSQL has no approximate percentile function; the percentiles stay exact (percentile_cont), equal to `cxm tickets`.".to_string(),
            });
        }

        // The calendar: periods and/or the business clock. Bucketing by resolution, a ticket
        // created before --since may be resolved after it, so the calendar then reaches back
        // the default span too.
        let cal_start = match self.bucket {
            Bucket::Created => p.calendar_start(),
            Bucket::Resolved => p
                .calendar_start()
                .min(p.as_of - crate::sql::DEFAULT_SPAN_DAYS * crate::sql::calendar::MS_PER_DAY),
        };
        let cal = (p.period.is_some() || business)
            .then(|| Calendar::build_with(p.period, p.tz, self.schedule, cal_start, p.as_of));
        let last_range = p.last_range();
        if let Some(cal) = &cal {
            q.comment(&format!(
                "The calendar covers {} to as-of ({} UTC days); tickets created before it are left out.",
                crate::time::format_rfc3339(cal_start, p.tz),
                cal.days.len()
            ));
            q.cte("cxm_cal", &cal.table(d));
            p.periods_cte(&mut q, cal, last_range);
        }

        // Typed columns.
        let mut sel = vec![
            format!("{} AS tc", p.time_ms("created_at")),
            format!("{} AS tf", p.time_ms("first_response_at")),
            format!("{} AS tr", p.time_ms("resolved_at")),
        ];
        sel.push(if p.cols.contains_key("reopens") {
            format!("{} AS reo", d.dbl(&p.col("reopens")))
        } else {
            format!("CAST(NULL AS {}) AS reo", d.double_type())
        });
        sel.push(if p.cols.contains_key("status") {
            format!("LOWER(TRIM({})) AS stx", d.to_text(&p.col("status")))
        } else {
            format!("CAST(NULL AS {}) AS stx", d.text_type())
        });
        sel.extend(p.user_column_selects());
        let src = p.dedup_ctes(&mut q, "ticket_id", sel);

        // The row rule (SPEC 6.5, the order of metrics::tickets::TicketRule::classify).
        let mut keep = p.where_preds("r");
        keep.push("(r.stx IS NULL OR r.stx NOT IN ('deleted', 'spam'))".into());
        keep.push(format!("(r.tc IS NULL OR r.tc <= {})", p.as_of));
        if self.bucket == Bucket::Created {
            if let Some(s) = p.since {
                keep.push(format!("(r.tc IS NULL OR r.tc >= {s})"));
            }
            if let Some(u) = p.until {
                keep.push(format!("(r.tc IS NULL OR r.tc < {u})"));
            }
        }
        if cal.is_some() {
            keep.push(format!("(r.tc IS NULL OR r.tc >= {cal_start})"));
        }
        let mut joins = String::new();
        if cal.is_some() {
            for (alias, col) in [("cc", "tc"), ("cf", "tf"), ("cr", "tr")] {
                joins.push_str(&format!(
                    " LEFT JOIN cxm_cal {alias} ON {alias}.day = {}",
                    d.utc_day(&format!("r.{col}"))
                ));
            }
        }
        let rejected = "r.tc IS NULL OR (r.tf IS NOT NULL AND r.tf < r.tc) OR (r.tr IS NOT NULL AND r.tr < r.tc) OR (r.reo IS NOT NULL AND (r.reo < 0 OR r.reo <> FLOOR(r.reo)))";
        let clock = |c: &str, t: &str| match &cal {
            Some(cal) if business => cal.clock_expr(c, t),
            _ => t.to_string(),
        };
        let mut a_cols = vec![
            format!("CASE WHEN {rejected} THEN {REJECTED} ELSE {USED} END AS st"),
            "r.tc AS tc".to_string(),
            format!("CASE WHEN r.tf <= {} THEN r.tf END AS f", p.as_of),
            format!("CASE WHEN r.tr <= {} THEN r.tr END AS rs", p.as_of),
            "CASE WHEN r.reo > 0 THEN 1 ELSE 0 END AS reopened".to_string(),
            // Business (or calendar) clock at each instant.
            format!("{} AS bc", clock("cc", "r.tc")),
            format!("{} AS bf", clock("cf", "r.tf")),
            format!("{} AS br", clock("cr", "r.tr")),
        ];
        let ord = |c: &str, t: &str| match &cal {
            Some(cal) if p.period.is_some() => cal.ordinal_expr(c, t),
            _ => "CAST(NULL AS BIGINT)".to_string(),
        };
        a_cols.push(format!("{} AS oc", ord("cc", "r.tc")));
        a_cols.push(format!("{} AS orr", ord("cr", "r.tr")));
        a_cols.extend(gcols.iter().map(|g| format!("r.{g}")));
        q.cte(
            "cxm_a",
            &format!(
                "SELECT {} FROM {src} r{joins} WHERE {}",
                a_cols.join(", "),
                keep.join(" AND ")
            ),
        );

        // Bucketing by resolution: since/until on resolved_at, open tickets only in the total.
        let mut t_keep = vec!["1 = 1".to_string()];
        let ordinal = match self.bucket {
            // A blank creation time joins no calendar row, so its period is NULL already.
            Bucket::Created => "oc".to_string(),
            Bucket::Resolved => {
                let mut cond = Vec::new();
                if let Some(s) = p.since {
                    cond.push(format!("rs < {s}"));
                }
                if let Some(u) = p.until {
                    cond.push(format!("rs >= {u}"));
                }
                if !cond.is_empty() {
                    t_keep.push(format!(
                        "NOT (st = {USED} AND (rs IS NULL OR {}))",
                        cond.join(" OR ")
                    ));
                }
                format!("CASE WHEN st = {USED} AND rs IS NOT NULL THEN orr END")
            }
        };
        let as_of_clock = match &cal {
            Some(cal) if business => cal
                .clock_at(p.as_of)
                .map_or_else(|| "NULL".to_string(), |v| v.to_string()),
            _ => p.as_of.to_string(),
        };
        let t_cols = [
            format!("{gk}st"),
            format!("{ordinal} AS o"),
            format!("CASE WHEN st = {USED} AND rs IS NOT NULL THEN 1 ELSE 0 END AS res"),
            format!("CASE WHEN st = {USED} AND f IS NOT NULL THEN 1 ELSE 0 END AS ans"),
            "reopened".to_string(),
            format!("CASE WHEN st = {USED} AND f IS NOT NULL THEN bf - bc END AS frt"),
            format!("CASE WHEN st = {USED} AND rs IS NOT NULL THEN br - bc END AS ttr"),
            format!("CASE WHEN st = {USED} AND rs IS NULL THEN {as_of_clock} - bc END AS age"),
        ];
        let mut t_sql = format!(
            "SELECT {} FROM cxm_a WHERE {}",
            t_cols.join(", "),
            t_keep.join(" AND ")
        );
        if let Some((a, b)) = last_range {
            // --last: rows of other periods leave; a used ticket without a period too.
            t_sql = format!(
                "SELECT * FROM ({t_sql}) cxm_l WHERE (o IS NULL AND st = {REJECTED}) OR (o >= {a} AND o <= {b})"
            );
        }
        q.cte("cxm_t", &t_sql);
        if self.aggregates {
            return Ok(self.aggregates_select(p, q));
        }

        // Result rows: tag each ticket with the rows it counts in; add empty period rows.
        let vals = "st, res, ans, reopened, frt, ttr, age";
        let empty = "0 AS st, 0 AS res, 0 AS ans, 0 AS reopened, CAST(NULL AS BIGINT) AS frt, CAST(NULL AS BIGINT) AS ttr, CAST(NULL AS BIGINT) AS age";
        let null_gs = p.null_group_selects();
        let mut parts = Vec::new();
        if p.period.is_some() {
            p.range_ctes(
                &mut q,
                last_range,
                &format!("SELECT o FROM cxm_t WHERE o IS NOT NULL AND st = {USED}"),
            );
            if !gcols.is_empty() {
                q.cte(
                    "cxm_groups",
                    &format!("SELECT DISTINCT {} FROM cxm_t", gcols.join(", ")),
                );
                parts.push(format!(
                    "SELECT 0 AS k, {gk}t.o, {vals} FROM cxm_t t JOIN cxm_ords r ON t.o = r.o"
                ));
                parts.push(format!(
                    "SELECT 0 AS k, {gk}r.o, {empty} FROM cxm_groups CROSS JOIN cxm_ords r"
                ));
            }
            parts.push(format!(
                "SELECT 1 AS k, {null_gs}t.o, {vals} FROM cxm_t t JOIN cxm_ords r ON t.o = r.o"
            ));
            parts.push(format!(
                "SELECT 1 AS k, {null_gs}r.o, {empty} FROM cxm_ords r"
            ));
        } else if !gcols.is_empty() {
            parts.push(format!(
                "SELECT 0 AS k, {gk}CAST(NULL AS BIGINT) AS o, {vals} FROM cxm_t"
            ));
        }
        parts.push(format!(
            "SELECT 2 AS k, {null_gs}CAST(NULL AS BIGINT) AS o, {vals} FROM cxm_t"
        ));
        // The total exists even without tickets.
        parts.push(format!(
            "SELECT 2 AS k, {null_gs}CAST(NULL AS BIGINT) AS o, {empty} FROM (SELECT 1 AS one) cxm_one"
        ));
        q.cte("cxm_x", &parts.join("\nUNION ALL\n"));

        // Aggregates per result row.
        let key = format!("k, {gk}o");
        let mut agg = vec![
            key.clone(),
            format!("SUM(CASE WHEN st = {USED} THEN 1 ELSE 0 END) AS n"),
            format!("SUM(CASE WHEN st = {USED} AND res = 1 THEN 1 ELSE 0 END) AS resolved"),
            format!("SUM(CASE WHEN st = {REJECTED} THEN 1 ELSE 0 END) AS rejected"),
            format!("SUM(CASE WHEN st = {USED} AND res = 1 AND reopened = 1 THEN 1 ELSE 0 END) AS reopened"),
            "COUNT(frt) AS frt_n".into(),
            format!("{} AS frt_sum", d.dbl("SUM(frt)")),
            "COUNT(ttr) AS ttr_n".into(),
            format!("{} AS ttr_sum", d.dbl("SUM(ttr)")),
        ];
        if percentiles != Percentiles::Histogram {
            for v in ["frt", "ttr"] {
                for (name, qv) in QUANTILES {
                    let e = if percentiles == Percentiles::Approx {
                        d.approx_quantile(v, qv)
                    } else {
                        d.exact_quantile(v, qv)
                    };
                    agg.push(format!("{} AS {v}_{name}", e.unwrap_or_default()));
                }
            }
        }
        if let Some(t) = self.sla.first_response {
            agg.push(format!("SUM(CASE WHEN st <> {USED} THEN 0 WHEN ans = 1 AND frt > {t} THEN 1 WHEN ans = 0 AND res = 1 AND ttr > {t} THEN 1 WHEN ans = 0 AND res = 0 AND age > {t} THEN 1 ELSE 0 END) AS frt_b"));
            agg.push(format!("SUM(CASE WHEN st <> {USED} THEN 0 WHEN ans = 1 OR res = 1 THEN 1 WHEN age > {t} THEN 1 ELSE 0 END) AS frt_k"));
        }
        if let Some(t) = self.sla.resolution {
            agg.push(format!("SUM(CASE WHEN st <> {USED} THEN 0 WHEN res = 1 AND ttr > {t} THEN 1 WHEN res = 0 AND age > {t} THEN 1 ELSE 0 END) AS ttr_b"));
            agg.push(format!("SUM(CASE WHEN st <> {USED} THEN 0 WHEN res = 1 THEN 1 WHEN age > {t} THEN 1 ELSE 0 END) AS ttr_k"));
        }
        q.cte(
            "cxm_g",
            &format!("SELECT {} FROM cxm_x GROUP BY {key}", agg.join(", ")),
        );
        let mut from = "cxm_g".to_string();
        if percentiles == Percentiles::Histogram {
            let part = format!("k, {gk}o");
            for v in ["frt", "ttr"] {
                q.cte(
                    &format!("cxm_h_{v}"),
                    &format!("SELECT {part}, {v} AS x, COUNT(*) AS c FROM cxm_x WHERE {v} IS NOT NULL GROUP BY {part}, {v}"),
                );
                q.cte(
                    &format!("cxm_c_{v}"),
                    &format!(
                        "SELECT h.*, SUM(c) OVER (PARTITION BY {part} ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum, SUM(c) OVER (PARTITION BY {part}) AS cnt FROM cxm_h_{v} h"
                    ),
                );
                let mut cols = vec![part.clone()];
                for (name, qv) in QUANTILES {
                    let pos = format!("(cnt - 1) * {}", d.dbl_lit(qv));
                    cols.push(format!(
                        "MIN(CASE WHEN cum > FLOOR({pos}) THEN x END) AS {name}_lo"
                    ));
                    cols.push(format!("MIN(CASE WHEN cum > LEAST(FLOOR({pos}) + 1, cnt - 1) THEN x END) AS {name}_hi"));
                    cols.push(format!("MAX({pos} - FLOOR({pos})) AS {name}_fr"));
                }
                q.cte(
                    &format!("cxm_q_{v}"),
                    &format!("SELECT {} FROM cxm_c_{v} GROUP BY {part}", cols.join(", ")),
                );
            }
            let mut sel = vec!["g.*".to_string()];
            for v in ["frt", "ttr"] {
                for (name, _) in QUANTILES {
                    sel.push(format!(
                        "CASE WHEN q_{v}.{name}_lo = q_{v}.{name}_hi THEN {} ELSE {} + q_{v}.{name}_fr * {} END AS {v}_{name}",
                        d.dbl(&format!("q_{v}.{name}_lo")),
                        d.dbl(&format!("q_{v}.{name}_lo")),
                        d.dbl(&format!("(q_{v}.{name}_hi - q_{v}.{name}_lo)"))
                    ));
                }
            }
            let on = |v: &str| {
                let mut c = vec![
                    format!("q_{v}.k = g.k"),
                    format!("q_{v}.o IS NOT DISTINCT FROM g.o"),
                ];
                c.extend(
                    gcols
                        .iter()
                        .map(|x| format!("q_{v}.{x} IS NOT DISTINCT FROM g.{x}")),
                );
                c.join(" AND ")
            };
            q.cte(
                "cxm_gq",
                &format!(
                    "SELECT {} FROM cxm_g g LEFT JOIN cxm_q_frt q_frt ON {} LEFT JOIN cxm_q_ttr q_ttr ON {}",
                    sel.join(", "),
                    on("frt"),
                    on("ttr")
                ),
            );
            from = "cxm_gq".into();
        }

        // Fields.
        let hour = d.dbl_lit(3_600_000.0);
        let hundred = d.dbl_lit(100.0);
        let pct = |a: &str, b: &str| {
            format!(
                "{hundred} * {} / {}",
                d.dbl(a),
                d.dbl(&format!("NULLIF({b}, 0)"))
            )
        };
        let mut fields: Vec<(String, String)> = vec![
            ("tickets".into(), "n".into()),
            ("n".into(), "n".into()),
            ("resolved".into(), "resolved".into()),
            ("open".into(), "n - resolved".into()),
            ("rejected".into(), "rejected".into()),
            ("reopened".into(), "reopened".into()),
            ("reopen_rate".into(), pct("reopened", "resolved")),
        ];
        for v in ["frt", "ttr"] {
            let [(m, _), (p90, _), (p95, _)] = QUANTILES;
            fields.push((
                format!("{v}_median_hours"),
                format!("{} / {hour}", d.dbl(&format!("{v}_{m}"))),
            ));
            fields.push((
                format!("{v}_mean_hours"),
                format!("{v}_sum / {} / {hour}", d.dbl(&format!("NULLIF({v}_n, 0)"))),
            ));
            fields.push((
                format!("{v}_p90_hours"),
                format!("{} / {hour}", d.dbl(&format!("{v}_{p90}"))),
            ));
            fields.push((
                format!("{v}_p95_hours"),
                format!("{} / {hour}", d.dbl(&format!("{v}_{p95}"))),
            ));
        }
        for (v, set) in [
            ("frt", self.sla.first_response.is_some()),
            ("ttr", self.sla.resolution.is_some()),
        ] {
            if set {
                fields.push((format!("{v}_breached"), format!("{v}_b")));
                fields.push((
                    format!("{v}_breach_pct"),
                    pct(&format!("{v}_b"), &format!("{v}_k")),
                ));
            } else {
                fields.push((format!("{v}_breached"), "CAST(NULL AS BIGINT)".into()));
                fields.push((
                    format!("{v}_breach_pct"),
                    format!("CAST(NULL AS {})", d.double_type()),
                ));
            }
        }
        fields.push(("low_n".into(), p.low_n_expr("n")));
        let src_f = if p.period.is_some() {
            q.cte(
                "cxm_f",
                &format!("SELECT s.*, p.label, COALESCE(p.partial, FALSE) AS partial FROM {from} s LEFT JOIN cxm_periods p ON p.o = s.o"),
            );
            "cxm_f".to_string()
        } else {
            from
        };
        q.select(&p.final_select(&src_f, &fields));
        Ok(q.finish())
    }
}

impl TicketsSql<'_> {
    /// The aggregates stage: one row per (group, period, measure, value) with a count; the
    /// CSV `cxm tickets --from-aggregates` reads (long: `--by` columns, `period`, `measure`,
    /// `value_ms`, `count`).
    fn aggregates_select(&self, p: &SqlPlan, mut q: Query) -> String {
        let d = p.dialect;
        let gcols = p.group_cols();
        let gk: String = gcols.iter().map(|g| format!("t.{g}, ")).collect();
        let gby: String = gcols.iter().map(|g| format!("t.{g}, ")).collect();
        q.comment("Stage: aggregates. Save the result as CSV and finish it with `cxm tickets --from-aggregates FILE` and the same options.");
        let mut parts = Vec::new();
        let counts = [
            ("used", format!("st = {USED}")),
            ("resolved", format!("st = {USED} AND res = 1")),
            ("rejected", format!("st = {REJECTED}")),
            (
                "reopened",
                format!("st = {USED} AND res = 1 AND reopened = 1"),
            ),
        ];
        for (m, cond) in counts {
            parts.push(format!(
                "SELECT {gk}t.o, '{m}' AS measure, CAST(NULL AS BIGINT) AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE {cond} GROUP BY {gby}t.o"
            ));
        }
        let durations = [
            ("frt", "frt", "frt IS NOT NULL"),
            ("ttr", "ttr", "ttr IS NOT NULL"),
            ("ttr_unanswered", "ttr", "ttr IS NOT NULL AND ans = 0"),
            ("open_age_answered", "age", "age IS NOT NULL AND ans = 1"),
            ("open_age_unanswered", "age", "age IS NOT NULL AND ans = 0"),
        ];
        for (m, v, cond) in durations {
            parts.push(format!(
                "SELECT {gk}t.o, '{m}' AS measure, t.{v} AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE {cond} GROUP BY {gby}t.o, t.{v}"
            ));
        }
        q.cte("cxm_agg", &parts.join("\nUNION ALL\n"));
        let mut out: Vec<String> = gcols
            .iter()
            .zip(&p.by)
            .map(|(g, b)| format!("a.{g} AS {}", d.ident(b)))
            .collect();
        let mut order: Vec<String> = Vec::new();
        for g in &gcols {
            order.push(format!("CASE WHEN a.{g} IS NULL THEN 1 ELSE 0 END"));
            order.push(d.byte_order(&format!("a.{g}")));
        }
        let mut from = "cxm_agg a".to_string();
        if p.period.is_some() {
            out.push(format!("pr.label AS {}", d.ident("period")));
            from.push_str(" LEFT JOIN cxm_periods pr ON pr.o = a.o");
        }
        order.extend(["a.o".to_string(), "a.measure".into(), "a.value_ms".into()]);
        out.push(format!("a.measure AS {}", d.ident("measure")));
        out.push(format!("a.value_ms AS {}", d.ident("value_ms")));
        out.push(format!("a.cnt AS {}", d.ident("count")));
        q.select(&format!(
            "SELECT {} FROM {from} ORDER BY {}",
            out.join(", "),
            order.join(", ")
        ));
        q.finish()
    }
}
