//! The retention cohort matrix (SPEC 6.7) as one SQL query: the long CSV `cxm retention
//! FILE --format csv` prints (`cohort, offset, size, retained, pct`, the `all` rows last).
//!
//! A customer's cohort is the period holding its first start; cell (c, k) counts the
//! cohort's customers active (SPEC 6.6) at the boundary that ends period c + k, as
//! `metrics::subscriptions::cohort_matrix` does, with the same subscription rows as churn.

use anyhow::Result;

use crate::period::PeriodKind;
use crate::sql::churn::{first_ordinal, sub_rows, SubRows};
use crate::sql::dialect::{Lit, SqlType};
use crate::sql::{Query, SqlPlan};
use crate::time::format_rfc3339;

/// Settings of the retention query.
pub struct RetentionSql {
    /// Retain MRR instead of customers.
    pub revenue: bool,
}

impl RetentionSql {
    pub fn query(&self, p: &SqlPlan) -> Result<String> {
        let d = p.dialect;
        let pk = p.period.unwrap_or(PeriodKind::Month);
        let tz = p.tz;
        let mut q = Query::new(p, "retention");
        q.comment(&format!(
            "Cohorts ({}) start at {} (the calendar start: --since, else five years before as-of); customers whose first start is earlier are left out.",
            pk.name(),
            format_rfc3339(p.calendar_start(), tz)
        ));
        q.comment("Columns: customer_id, started_at, ended_at, mrr (and status, canceled_at, trial_end, current_period_end, subscription_id when named with --col).");
        sub_rows(
            p,
            &mut q,
            &SubRows {
                exclude_free: false,
                with_id: false,
                accounting: false,
            },
        );
        // Periods from the calendar start to the one holding as-of: start, next start, label.
        let o0 = first_ordinal(p, pk);
        let oa = pk.ordinal_of(p.as_of, tz);
        let mut rows: Vec<Vec<Lit>> = (o0..=oa)
            .map(|o| {
                vec![
                    Lit::Int(o.into()),
                    Lit::Int(pk.start_ms(o, tz)),
                    Lit::Int(pk.end_ms(o, tz)),
                    Lit::Text(pk.label(o)),
                ]
            })
            .collect();
        if rows.is_empty() {
            // No cohort can start: one period no first start falls in.
            rows.push(vec![
                Lit::Int(oa.into()),
                Lit::Int(i64::MIN + 1),
                Lit::Int(i64::MIN + 1),
                Lit::Text(String::new()),
            ]);
        }
        q.cte(
            "cxm_rp",
            &d.inline_table(
                &[
                    ("o", SqlType::Int),
                    ("s", SqlType::Int),
                    ("nx", SqlType::Int),
                    ("label", SqlType::Text),
                ],
                &rows,
            ),
        );
        q.cte(
            "cxm_first",
            "SELECT cu, MIN(s) AS f FROM cxm_subs GROUP BY cu",
        );
        q.cte(
            "cxm_fc",
            "SELECT f.cu, p.o AS c FROM cxm_first f JOIN cxm_rp p ON f.f >= p.s AND f.f < p.nx",
        );
        q.cte(
            "cxm_size",
            "SELECT c, COUNT(*) AS size FROM cxm_fc GROUP BY c",
        );
        // State at each period start up to as-of: active customers and their MRR (cents).
        q.cte(
            "cxm_state",
            "SELECT x.cu, b.o, SUM(x.m) AS m FROM cxm_subs x JOIN cxm_rp b ON x.s < b.s AND (x.e IS NULL OR b.s <= x.e) GROUP BY x.cu, b.o",
        );
        q.cte(
            "cxm_cell",
            &format!(
                "SELECT fc.c, t.o - fc.c - 1 AS k, {} AS n, {} AS m FROM cxm_state t JOIN cxm_fc fc ON fc.cu = t.cu WHERE t.o > fc.c GROUP BY fc.c, t.o",
                d.big("COUNT(*)"),
                d.big("SUM(t.m)")
            ),
        );
        q.cte("cxm_lim", "SELECT MIN(c) AS lo, MAX(c) AS hi FROM cxm_fc");
        q.cte(
            "cxm_co",
            "SELECT p.o AS c, p.label FROM cxm_rp p CROSS JOIN cxm_lim l WHERE p.o >= l.lo AND p.o <= l.hi",
        );
        q.cte(
            "cxm_off",
            &format!(
                "SELECT p.o - l.lo AS k FROM cxm_rp p CROSS JOIN cxm_lim l WHERE p.o >= l.lo AND p.o < {oa}"
            ),
        );
        q.cte(
            "cxm_grid",
            &format!(
                "SELECT co.c, co.label, f.k, {} AS size, CASE WHEN co.c + f.k + 1 <= {oa} THEN 1 ELSE 0 END AS known, COALESCE(x.n, 0) AS n, COALESCE(x.m, 0) AS m, COALESCE(b0.m, 0) AS base FROM cxm_co co CROSS JOIN cxm_off f LEFT JOIN cxm_size z ON z.c = co.c LEFT JOIN cxm_cell x ON x.c = co.c AND x.k = f.k LEFT JOIN cxm_cell b0 ON b0.c = co.c AND b0.k = 0",
                d.big("COALESCE(z.size, 0)")
            ),
        );
        let f = |x: &str| d.dbl(x);
        let hundred = d.dbl_lit(100.0);
        let (retained, pct, counted, num, den, all_retained) = if self.revenue {
            (
                format!("CASE WHEN known = 1 THEN {} / {hundred} END", f("m")),
                format!(
                    "CASE WHEN known = 1 AND base > 0 THEN {hundred} * {} / {} END",
                    f("m"),
                    f("base")
                ),
                "known = 1 AND base > 0",
                "m",
                "base",
                format!("{} / {hundred}", f("num")),
            )
        } else {
            (
                "CASE WHEN known = 1 THEN n END".to_string(),
                format!(
                    "CASE WHEN known = 1 AND size > 0 THEN {hundred} * {} / {} END",
                    f("n"),
                    f("size")
                ),
                "known = 1",
                "n",
                "size",
                "num".to_string(),
            )
        };
        q.cte(
            "cxm_all",
            &format!(
                "SELECT k, {} AS size, {} AS num, {} AS den FROM cxm_grid GROUP BY k",
                d.big(&format!("SUM(CASE WHEN {counted} THEN size ELSE 0 END)")),
                d.big(&format!("SUM(CASE WHEN {counted} THEN {num} ELSE 0 END)")),
                d.big(&format!("SUM(CASE WHEN {counted} THEN {den} ELSE 0 END)"))
            ),
        );
        let (cohort, offset, size, ret, pc) = (
            d.ident("cohort"),
            d.ident("offset"),
            d.ident("size"),
            d.ident("retained"),
            d.ident("pct"),
        );
        q.cte(
            "cxm_out",
            &format!(
                "SELECT 0 AS q, c, label AS {cohort}, k AS {offset}, size AS {size}, {retained} AS {ret}, {pct} AS {pc} FROM cxm_grid\nUNION ALL\nSELECT 1 AS q, {} AS c, 'all' AS {cohort}, k AS {offset}, size AS {size}, {all_retained} AS {ret}, CASE WHEN den = 0 THEN NULL ELSE {hundred} * {} / {} END AS {pc} FROM cxm_all",
                d.big("0"),
                f("num"),
                f("den")
            ),
        );
        q.select(&format!(
            "SELECT {cohort}, {offset}, {size}, {ret}, {pc} FROM cxm_out ORDER BY q, c, {offset}"
        ));
        Ok(q.finish())
    }
}

/// Kaplan–Meier survival (SPEC 6.7) as an aggregates query (SPEC 10 `--stage aggregates`):
/// the table of first-span durations `cxm retention --survival --from-aggregates FILE`
/// finishes. One record per distinct duration: `duration_ms` (from the customer's first
/// start to the end of its first continuous active span, or to as-of when the span is
/// still open), `events`, `censored`; and a first record with a NULL `duration_ms` carrying
/// the row accounting (`used`, `blank`, `rejected`, `filtered`, `duplicate`).
///
/// The spans are `metrics::subscriptions::survival_spans` as gaps and islands: per
/// customer, the non-zero-length subscriptions ordered by start; a subscription starts a
/// new island when no earlier one is open and it starts more than `--gap` after the
/// latest earlier end. The first island runs from the first start to the latest end of
/// the subscriptions that start before the first such break.
pub struct SurvivalSql {
    /// `--gap`: a gap up to this long continues the span.
    pub gap_ms: i64,
}

impl SurvivalSql {
    pub fn query(&self, p: &SqlPlan) -> Result<String> {
        let d = p.dialect;
        let mut q = Query::new(p, "retention");
        q.comment("Stage: aggregates (Kaplan–Meier survival). Save the result as CSV and finish it with `cxm retention --survival --from-aggregates FILE` and the same options (--as-of, --gap, --where).");
        q.comment(&format!(
            "Columns of the result: duration_ms (first start to the end of the first continuous active span, or to as-of; --gap {} ms), events, censored; the first record (duration_ms NULL) counts the table's rows: used, blank, rejected, filtered, duplicate.",
            self.gap_ms
        ));
        q.comment("Columns: customer_id, started_at, ended_at, mrr (and status, canceled_at, trial_end, current_period_end, subscription_id when named with --col).");
        sub_rows(
            p,
            &mut q,
            &SubRows {
                exclude_free: false,
                with_id: false,
                accounting: true,
            },
        );
        // Subscriptions that are ever active; `pm`/`po`: the latest end of the earlier ones
        // and whether one of them is open.
        q.cte(
            "cxm_sp",
            "SELECT cu, s, e FROM cxm_subs WHERE e IS NULL OR e > s",
        );
        let earlier =
            "OVER (PARTITION BY cu ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)";
        q.cte(
            "cxm_run",
            &format!(
                "SELECT cu, s, e, MAX(e) {earlier} AS pm, MAX(CASE WHEN e IS NULL THEN 1 ELSE 0 END) {earlier} AS po FROM cxm_sp"
            ),
        );
        q.cte(
            "cxm_brk",
            &format!(
                "SELECT cu, MIN(s) AS b FROM cxm_run WHERE po = 0 AND s - pm > {} GROUP BY cu",
                self.gap_ms
            ),
        );
        q.cte(
            "cxm_span",
            "SELECT r.cu, MIN(r.s) AS f, MAX(CASE WHEN r.e IS NULL THEN 1 ELSE 0 END) AS op, MAX(r.e) AS le FROM cxm_run r LEFT JOIN cxm_brk k ON k.cu = r.cu WHERE k.b IS NULL OR r.s < k.b GROUP BY r.cu",
        );
        // Ends after as-of are NULL in cxm_subs: such a span is open, censored at as-of.
        q.cte(
            "cxm_obs",
            &format!(
                "SELECT CASE WHEN op = 0 THEN le ELSE {0} END - f AS d, CASE WHEN op = 0 THEN 1 ELSE 0 END AS ev FROM cxm_span",
                p.as_of
            ),
        );
        let cols = [
            "duration_ms",
            "events",
            "censored",
            "used",
            "blank",
            "rejected",
            "filtered",
            "duplicate",
        ];
        let id: Vec<String> = cols.iter().map(|c| d.ident(c)).collect();
        let zero = d.big("0");
        q.cte(
            "cxm_out",
            &format!(
                "SELECT 0 AS q, {} AS {}, {zero} AS {}, {zero} AS {}, used AS {}, blank AS {}, rejected AS {}, filtered AS {}, duplicate AS {} FROM cxm_acc\nUNION ALL\nSELECT 1 AS q, d AS {}, {} AS {}, {} AS {}, {zero}, {zero}, {zero}, {zero}, {zero} FROM cxm_obs GROUP BY d",
                d.big("NULL"),
                id[0],
                id[1],
                id[2],
                id[3],
                id[4],
                id[5],
                id[6],
                id[7],
                id[0],
                d.big("SUM(ev)"),
                id[1],
                d.big("SUM(1 - ev)"),
                id[2],
            ),
        );
        q.select(&format!(
            "SELECT {} FROM cxm_out ORDER BY q, {}",
            id.join(", "),
            id[0]
        ));
        Ok(q.finish())
    }
}
