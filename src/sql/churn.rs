//! Churn (SPEC 6.6) as one SQL query, and the subscription rows shared with retention.
//!
//! The shape follows the state rule of SPEC 6.6 literally (research §3.3): the subscriptions
//! are joined to the period boundaries they are active at (`start < b ≤ end`), which gives
//! each customer's state (active, MRR, group) at every boundary; each (customer, period)
//! pair then compares the state at the period's start with the state at its end, exactly
//! as `metrics::subscriptions::movements` does, and the pairs are summed per group and
//! period. Money is summed in integer minor units (cents) as on the file side, so sums are
//! exact; ratios are computed with the same order of floating-point operations as
//! `metrics::subscriptions::fields`.

use anyhow::Result;

use crate::period::PeriodKind;
use crate::sql::dialect::{Lit, SqlType};
use crate::sql::{Query, SqlPlan};
use crate::time::format_rfc3339;

use crate::metrics::subscriptions::{STATUS_ENDED as ENDED, STATUS_EXCLUDED as EXCLUDED};

/// Canonical columns `cxm sql churn` and `cxm sql retention` may name with `--col`.
pub const SUB_SQL_COLUMNS: &[&str] = &[
    "customer_id",
    "started_at",
    "ended_at",
    "mrr",
    "status",
    "canceled_at",
    "trial_end",
    "current_period_end",
    "subscription_id",
    "updated_at",
];

/// Settings of the subscription rows.
pub struct SubRows {
    pub exclude_free: bool,
    /// Keep the subscription id (ties of the `--by` group choice).
    pub with_id: bool,
    /// Also count every row of the table by what it ends as (`cxm_acc`).
    pub accounting: bool,
}

/// What a row that fails a rule ends as, with the codes of `cxm_rs.st` (0: used).
#[derive(Clone, Copy)]
enum Ends {
    Blank = 1,
    Rejected = 2,
    Filtered = 3,
}

/// One row rule: the condition a used row meets, what a row failing it ends as, and whether
/// it reads the derived start, end and cents (`s`, `en`, `m`) or only the table's columns.
struct Rule {
    keep: String,
    ends: Ends,
    derived: bool,
    /// A `--where` condition.
    user: bool,
}

/// Whether `--col CANON=…` was given (optional columns are read only then).
fn named(p: &SqlPlan, canon: &str) -> bool {
    p.cols.contains_key(canon)
}

/// Adds `cxm_in` (typed columns), `cxm_src` (duplicates dropped) and `cxm_subs`: one row per
/// used subscription with `cu` (customer), `s` (effective start, ms), `e` (end, ms; NULL when
/// open or after as-of), `m` (MRR in cents), `id` (trimmed subscription id, with `with_id`)
/// and `g1…` (the `--by` keys). The row rules are `subscriptions::RowRule::classify` and the
/// as-of rules of the churn loader, held once, in that order, as a list: the used rows meet
/// them all, and with `accounting` the first rule a row fails says what it ends as
/// (`cxm_acc(used, blank, rejected, filtered, duplicate)`, the row accounting of the file
/// side).
pub fn sub_rows(p: &SqlPlan, q: &mut Query, o: &SubRows) {
    let d = p.dialect;
    let ms = |canon: &str| {
        if named(p, canon) || canon == "ended_at" {
            p.time_ms(canon)
        } else {
            "CAST(NULL AS BIGINT)".to_string()
        }
    };
    let mut sel = vec![
        format!("TRIM({}) AS cu", d.to_text(&p.col("customer_id"))),
        format!("{} AS st0", p.time_ms("started_at")),
        format!("{} AS en0", ms("ended_at")),
        format!("{} AS ca", ms("canceled_at")),
        format!("{} AS tr", ms("trial_end")),
        format!("{} AS pe", ms("current_period_end")),
        format!("{} AS m0", d.dbl(&p.col("mrr"))),
    ];
    sel.push(if named(p, "status") {
        format!(
            "LOWER(REPLACE(REPLACE(TRIM({}), ' ', '_'), '-', '_')) AS ss",
            d.to_text(&p.col("status"))
        )
    } else {
        format!("CAST(NULL AS {}) AS ss", d.text_type())
    });
    if o.with_id {
        sel.push(if named(p, "subscription_id") {
            format!(
                "NULLIF(TRIM({}), '') AS id",
                d.to_text(&p.col("subscription_id"))
            )
        } else {
            format!("CAST(NULL AS {}) AS id", d.text_type())
        });
    }
    sel.extend(p.user_column_selects());
    let dedup = p.dedup_id("subscription_id");
    if let Some((id, upd)) = &dedup {
        sel.push(format!(
            "CASE WHEN TRIM({0}) = '' THEN NULL ELSE {0} END AS dk",
            d.to_text(id)
        ));
        sel.push(match upd {
            Some(u) => format!("{} AS du", crate::sql::time_ms(d, u)),
            None => "CAST(NULL AS BIGINT) AS du".into(),
        });
    }
    q.cte(
        "cxm_in",
        &format!("SELECT {} FROM {}", sel.join(", "), d.table(&p.table)),
    );
    let src = if dedup.is_some() {
        q.cte(
            "cxm_src",
            "SELECT * FROM (SELECT cxm_in.*, ROW_NUMBER() OVER (PARTITION BY dk ORDER BY COALESCE(du, -9223372036854775807) DESC) AS cxm_rn FROM cxm_in) cxm_d WHERE dk IS NULL OR cxm_rn = 1",
        );
        "cxm_src"
    } else {
        "cxm_in"
    };

    // The end: ended_at, else for ended statuses canceled_at, else current_period_end.
    let list = |xs: &[&str]| xs.iter().map(|x| d.text(x)).collect::<Vec<_>>().join(", ");
    let ended = format!("COALESCE(r.ss, '') IN ({})", list(ENDED));
    let gk: String = (1..=p.by.len()).map(|i| format!(", r.g{i}")).collect();
    let id = if o.with_id { ", r.id" } else { "" };
    let start = "CASE WHEN r.tr IS NOT NULL AND r.tr > r.st0 THEN r.tr ELSE r.st0 END";
    let end = format!(
        "CASE WHEN r.en0 IS NOT NULL THEN r.en0 WHEN {ended} THEN COALESCE(r.ca, r.pe) ELSE NULL END"
    );
    let cents = d.big(&format!(
        "FLOOR(r.m0 * {} + {})",
        d.dbl_lit(100.0),
        d.dbl_lit(0.5)
    ));
    let rule = |keep: String, ends: Ends, derived: bool| Rule {
        keep,
        ends,
        derived,
        user: false,
    };
    // The file side's order (`RowRule::classify`, then the loader's as-of rule).
    let mut rules: Vec<Rule> = p
        .where_preds("r")
        .into_iter()
        .map(|keep| Rule {
            keep,
            ends: Ends::Filtered,
            derived: false,
            user: true,
        })
        .collect();
    rules.extend([
        rule("r.cu IS NOT NULL".into(), Ends::Rejected, false),
        rule("r.cu <> ''".into(), Ends::Rejected, false),
        rule("r.st0 IS NOT NULL".into(), Ends::Blank, false),
        rule(
            format!("COALESCE(r.ss, '') NOT IN ({})", list(EXCLUDED)),
            Ends::Filtered,
            false,
        ),
        rule(
            format!("NOT (r.en0 IS NULL AND {ended} AND r.ca IS NULL AND r.pe IS NULL)"),
            Ends::Rejected,
            false,
        ),
        // Rejected: an end before the start.
        rule(
            "(r.en IS NULL OR r.en >= r.st0)".into(),
            Ends::Rejected,
            true,
        ),
        rule("r.m0 IS NOT NULL".into(), Ends::Blank, false),
        rule(format!("r.m0 >= {}", d.dbl_lit(0.0)), Ends::Rejected, false),
        // Filtered: never active (ended by the end of its trial), started after as-of (the
        // loader's rule; ends after as-of leave the subscription open), free with
        // --exclude-free.
        rule("(r.en IS NULL OR r.en >= r.s)".into(), Ends::Filtered, true),
        rule(format!("r.s <= {}", p.as_of), Ends::Filtered, true),
    ]);
    if o.exclude_free {
        rules.push(rule("r.m <> 0".into(), Ends::Filtered, true));
    }
    let keep = |derived: bool| -> String {
        let on = |user: bool| {
            rules
                .iter()
                .filter(move |r| r.derived == derived && r.user == user)
                .map(|r| r.keep.as_str())
        };
        on(false).chain(on(true)).collect::<Vec<_>>().join(" AND ")
    };
    q.cte(
        "cxm_r1",
        &format!(
            "SELECT r.cu, r.st0, {start} AS s, {end} AS en, {cents} AS m{id}{gk} FROM {src} r WHERE {}",
            keep(false)
        ),
    );
    q.cte(
        "cxm_subs",
        &format!(
            "SELECT r.cu, r.s, CASE WHEN r.en > {} THEN NULL ELSE r.en END AS e, r.m{id}{gk} FROM cxm_r1 r WHERE {}",
            p.as_of,
            keep(true)
        ),
    );
    if o.accounting {
        // The same rules in order: the first one a row fails says what it ends as.
        let case: String = rules
            .iter()
            .map(|r| {
                format!(
                    " WHEN NOT COALESCE({}, FALSE) THEN {}",
                    r.keep, r.ends as u8
                )
            })
            .collect();
        q.cte(
            "cxm_rs",
            &format!(
                "SELECT CASE{case} ELSE 0 END AS st FROM (SELECT r.*, {start} AS s, {end} AS en, CASE WHEN r.m0 >= {} THEN {cents} END AS m FROM {src} r) r",
                d.dbl_lit(0.0)
            ),
        );
        let count = |st: u8| {
            d.big(&format!(
                "COALESCE(SUM(CASE WHEN st = {st} THEN 1 ELSE 0 END), 0)"
            ))
        };
        q.cte(
            "cxm_acc",
            &format!(
                "SELECT {} AS used, {} AS blank, {} AS rejected, {} AS filtered, {} AS duplicate FROM cxm_rs CROSS JOIN (SELECT COUNT(*) AS n FROM cxm_in) i",
                count(0),
                count(Ends::Blank as u8),
                count(Ends::Rejected as u8),
                count(Ends::Filtered as u8),
                d.big("COALESCE(MAX(i.n), 0) - COUNT(*)")
            ),
        );
    }
}

/// The first ordinal whose period starts at or after the calendar start.
pub fn first_ordinal(p: &SqlPlan, pk: PeriodKind) -> i32 {
    let start = p.calendar_start();
    let mut o = pk.ordinal_of(start, p.tz);
    if pk.start_ms(o, p.tz) < start {
        o += 1;
    }
    o
}

/// The last ordinal whose period ends at or before as-of.
pub fn last_complete(p: &SqlPlan, pk: PeriodKind) -> i32 {
    let mut hi = pk.ordinal_of(p.as_of, p.tz);
    if pk.end_ms(hi, p.tz) > p.as_of {
        hi -= 1;
    }
    hi
}

/// Settings of the churn query.
pub struct ChurnSql {
    pub include_partial: bool,
    pub exclude_free: bool,
}

const COUNTS: &[&str] = &[
    "cs", "ce", "nw", "re", "ch", "su", "ms", "me", "nm", "rm", "xm", "km", "cm",
];

impl ChurnSql {
    /// The periods table `cxm_periods(o, s, e, label, ps, pe, partial, kept)`: every period
    /// from the calendar start to the last complete one (and the current one with
    /// `--include-partial`, whose end boundary is as-of + 1 ms); `kept` marks those
    /// `--since`, `--until` and `--last` report.
    fn periods(&self, p: &SqlPlan, pk: PeriodKind) -> String {
        let d = p.dialect;
        let tz = p.tz;
        let o0 = first_ordinal(p, pk);
        let hi = last_complete(p, pk);
        let in_range = |s: i64| p.since.is_none_or(|t| s >= t) && p.until.is_none_or(|u| s < u);
        let complete_kept: Vec<i32> = (o0..=hi)
            .filter(|&o| in_range(pk.start_ms(o, tz)))
            .collect();
        let cut = match p.last {
            Some(n) => complete_kept.len().saturating_sub(n),
            None => 0,
        };
        let kept: Vec<i32> = complete_kept[cut..].to_vec();
        let mut rows: Vec<Vec<Lit>> = Vec::new();
        for o in o0..=hi {
            let (s, e) = (pk.start_ms(o, tz), pk.end_ms(o, tz));
            rows.push(vec![
                Lit::Int(o.into()),
                Lit::Int(s),
                Lit::Int(e),
                Lit::Text(pk.label(o)),
                Lit::Text(format_rfc3339(s, tz)),
                Lit::Text(format_rfc3339(e, tz)),
                Lit::Bool(false),
                Lit::Bool(kept.contains(&o)),
            ]);
        }
        if self.include_partial {
            let o = hi + 1;
            let s = pk.start_ms(o, tz);
            rows.push(vec![
                Lit::Int(o.into()),
                Lit::Int(s),
                Lit::Int(p.as_of + 1),
                Lit::Text(pk.label(o)),
                Lit::Text(format_rfc3339(s, tz)),
                Lit::Text(format_rfc3339(pk.end_ms(o, tz), tz)),
                Lit::Bool(true),
                Lit::Bool(in_range(s)),
            ]);
        }
        if rows.is_empty() {
            // No period at all: one row no subscription reaches.
            rows.push(vec![
                Lit::Int(o0.into()),
                Lit::Int(i64::MIN + 1),
                Lit::Int(i64::MIN + 1),
                Lit::Text(pk.label(o0)),
                Lit::Text(String::new()),
                Lit::Text(String::new()),
                Lit::Bool(false),
                Lit::Bool(false),
            ]);
        }
        d.inline_table(
            &[
                ("o", SqlType::Int),
                ("s", SqlType::Int),
                ("e", SqlType::Int),
                ("label", SqlType::Text),
                ("ps", SqlType::Text),
                ("pe", SqlType::Text),
                ("partial", SqlType::Bool),
                ("kept", SqlType::Bool),
            ],
            &rows,
        )
    }

    pub fn query(&self, p: &SqlPlan) -> Result<String> {
        let d = p.dialect;
        let pk = p.period.unwrap_or(PeriodKind::Month);
        let mut q = Query::new(p, "churn");
        let gcols = p.group_cols();
        let grouped = !gcols.is_empty();
        q.comment(&format!(
            "Periods ({}) are reported from {} (the calendar start: --since, else five years before as-of); earlier subscriptions still decide new, reactivated and retained.",
            pk.name(),
            format_rfc3339(p.calendar_start(), p.tz)
        ));
        q.comment("Columns: customer_id, started_at, ended_at, mrr (and status, canceled_at, trial_end, current_period_end, subscription_id when named with --col).");
        sub_rows(
            p,
            &mut q,
            &SubRows {
                exclude_free: self.exclude_free,
                with_id: grouped,
                accounting: false,
            },
        );
        q.cte("cxm_periods", &self.periods(p, pk));
        // Each customer's first start, and its last end (`op` = 1: still open).
        q.cte(
            "cxm_first",
            "SELECT cu, MIN(s) AS f, MAX(CASE WHEN e IS NULL THEN 1 ELSE 0 END) AS op, MAX(e) AS le FROM cxm_subs GROUP BY cu",
        );
        // Periods from the one holding the earliest start.
        q.cte(
            "cxm_p",
            "SELECT cxm_periods.* FROM cxm_periods CROSS JOIN (SELECT MIN(s) AS lo FROM cxm_subs) l WHERE cxm_periods.e > l.lo",
        );
        q.cte(
            "cxm_bnd",
            "SELECT DISTINCT b FROM (SELECT s AS b FROM cxm_p UNION ALL SELECT e AS b FROM cxm_p) cxm_u",
        );
        // Each customer's state at each boundary: active (a row), MRR, and the group of the
        // active subscription with the largest MRR (ties: latest start, greatest id).
        let xg: String = gcols.iter().map(|g| format!(", x.{g}")).collect();
        if grouped {
            q.cte(
                "cxm_act",
                &format!(
                    "SELECT x.cu, b.b{xg}, SUM(x.m) OVER (PARTITION BY x.cu, b.b) AS m, ROW_NUMBER() OVER (PARTITION BY x.cu, b.b ORDER BY x.m DESC, x.s DESC, CASE WHEN x.id IS NULL THEN 0 ELSE 1 END DESC, {} DESC) AS rn FROM cxm_subs x JOIN cxm_bnd b ON x.s < b.b AND (x.e IS NULL OR b.b <= x.e)",
                    d.byte_order("x.id")
                ),
            );
            q.cte(
                "cxm_state",
                &format!(
                    "SELECT cu, b, m{} FROM cxm_act WHERE rn = 1",
                    gcols.iter().map(|g| format!(", {g}")).collect::<String>()
                ),
            );
            // The group of the customer's first subscription (its signup period).
            q.cte(
                "cxm_fsub",
                &format!(
                    "SELECT * FROM (SELECT cu{}, ROW_NUMBER() OVER (PARTITION BY cu ORDER BY s, CASE WHEN id IS NULL THEN 0 ELSE 1 END, {}) AS rn FROM cxm_subs) cxm_f WHERE rn = 1",
                    gcols.iter().map(|g| format!(", {g}")).collect::<String>(),
                    d.byte_order("id")
                ),
            );
        } else {
            q.cte(
                "cxm_state",
                "SELECT x.cu, b.b, SUM(x.m) AS m FROM cxm_subs x JOIN cxm_bnd b ON x.s < b.b AND (x.e IS NULL OR b.b <= x.e) GROUP BY x.cu, b.b",
            );
        }
        // (customer, period) pairs within the customer's lifetime with something to count:
        // active at the start or the end, or signed up in the period.
        let mut cp = vec![
            "p.o".to_string(),
            "p.s".into(),
            "p.e".into(),
            "f.f".into(),
            "CASE WHEN a.cu IS NULL THEN 0 ELSE 1 END AS a_s".into(),
            "CASE WHEN z.cu IS NULL THEN 0 ELSE 1 END AS a_e".into(),
            "COALESCE(a.m, 0) AS m_s".into(),
            "COALESCE(z.m, 0) AS m_e".into(),
        ];
        for g in &gcols {
            cp.push(format!(
                "CASE WHEN a.cu IS NOT NULL THEN a.{g} WHEN z.cu IS NOT NULL THEN z.{g} ELSE fs.{g} END AS {g}"
            ));
        }
        let fs_join = if grouped {
            " LEFT JOIN cxm_fsub fs ON fs.cu = f.cu"
        } else {
            ""
        };
        q.cte(
            "cxm_cp",
            &format!(
                "SELECT {} FROM cxm_first f JOIN cxm_p p ON p.e > f.f AND (f.op = 1 OR p.s <= f.le) LEFT JOIN cxm_state a ON a.cu = f.cu AND a.b = p.s LEFT JOIN cxm_state z ON z.cu = f.cu AND z.b = p.e{fs_join} WHERE a.cu IS NOT NULL OR z.cu IS NOT NULL OR (f.f >= p.s AND f.f < p.e)",
                cp.join(", ")
            ),
        );
        // Movements per (group, period), SPEC 6.6.
        let sum_if = |cond: &str, v: &str| format!("SUM(CASE WHEN {cond} THEN {v} ELSE 0 END)");
        let gk: String = gcols.iter().map(|g| format!("{g}, ")).collect();
        let cells = [
            ("cs", "SUM(a_s)".to_string()),
            ("ce", "SUM(a_e)".to_string()),
            ("nw", sum_if("a_s = 0 AND a_e = 1 AND f >= s", "1")),
            ("re", sum_if("a_s = 0 AND a_e = 1 AND f < s", "1")),
            ("ch", sum_if("a_s = 1 AND a_e = 0", "1")),
            ("su", sum_if("f >= s AND f < e", "1")),
            ("ms", "SUM(m_s)".to_string()),
            ("me", "SUM(m_e)".to_string()),
            ("nm", sum_if("a_s = 0 AND a_e = 1 AND f >= s", "m_e")),
            ("rm", sum_if("a_s = 0 AND a_e = 1 AND f < s", "m_e")),
            (
                "xm",
                sum_if("a_s = 1 AND a_e = 1 AND m_e > m_s", "m_e - m_s"),
            ),
            (
                "km",
                sum_if("a_s = 1 AND a_e = 1 AND m_s > m_e", "m_s - m_e"),
            ),
            ("cm", sum_if("a_s = 1 AND a_e = 0", "m_s")),
        ];
        q.cte(
            "cxm_cells",
            &format!(
                "SELECT {gk}o, {} FROM cxm_cp GROUP BY {gk}o",
                cells
                    .iter()
                    .map(|(n, e)| format!("{} AS {n}", d.big(e)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        q.cte("cxm_kp", "SELECT o FROM cxm_p WHERE kept");

        // Result rows: k = 0 per group and period, 1 per period over all groups, 2 the total.
        let sums = COUNTS
            .iter()
            .map(|c| format!("SUM({c}) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let zeros = COUNTS
            .iter()
            .map(|c| format!("{} AS {c}", d.big("0")))
            .collect::<Vec<_>>()
            .join(", ");
        let cnt_list = COUNTS.join(", ");
        let null_gs = p.null_group_selects();
        let mut parts = Vec::new();
        if grouped {
            q.cte(
                "cxm_groups",
                &format!("SELECT DISTINCT {} FROM cxm_cells", gcols.join(", ")),
            );
            let cg: String = gcols.iter().map(|g| format!("c.{g}, ")).collect();
            let gg: String = gcols.iter().map(|g| format!("g.{g}, ")).collect();
            parts.push(format!(
                "SELECT 0 AS k, {gk}o, {sums}, CAST(NULL AS BIGINT) AS np FROM (SELECT {cg}c.o, {cnt_list} FROM cxm_cells c JOIN cxm_kp r ON c.o = r.o UNION ALL SELECT {gg}r.o, {zeros} FROM cxm_groups g CROSS JOIN cxm_kp r) cxm_u GROUP BY {gk}o"
            ));
        }
        parts.push(format!(
            "SELECT 1 AS k, {null_gs}o, {sums}, CAST(NULL AS BIGINT) AS np FROM (SELECT c.o, {cnt_list} FROM cxm_cells c JOIN cxm_kp r ON c.o = r.o UNION ALL SELECT r.o, {zeros} FROM cxm_kp r) cxm_u GROUP BY o"
        ));
        let tsums = COUNTS
            .iter()
            .map(|c| format!("COALESCE(SUM(c.{c}), 0) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        parts.push(format!(
            "SELECT 2 AS k, {null_gs}t.o, {tsums}, MAX(t.np) AS np FROM (SELECT MAX(r.o) AS o, COUNT(*) AS np FROM cxm_kp r JOIN cxm_p p ON p.o = r.o WHERE NOT p.partial) t LEFT JOIN cxm_cells c ON c.o = t.o GROUP BY t.o"
        ));
        q.cte("cxm_series", &parts.join("\nUNION ALL\n"));

        // Fields (metrics::subscriptions::fields).
        let f = |x: &str| d.dbl(x);
        let hundred = d.dbl_lit(100.0);
        q.cte(
            "cxm_a",
            &format!(
                "SELECT s.*, p.label AS label, CASE WHEN s.k = 2 THEN FALSE ELSE COALESCE(p.partial, FALSE) END AS partial, p.ps, p.pe, CASE WHEN s.cs = 0 THEN NULL ELSE {hundred} * {} / {} END AS churn FROM cxm_series s LEFT JOIN cxm_p p ON p.o = s.o",
                f("s.ch"),
                f("s.cs")
            ),
        );
        let money = |c: &str| format!("{} / {hundred}", f(c));
        let ratio = |a: &str, b: &str, scale: Option<&str>| {
            let num = match scale {
                Some(s) => format!("{s} * {}", f(a)),
                None => f(a),
            };
            format!("CASE WHEN {b} = 0 THEN NULL ELSE {num} / {} END", f(b))
        };
        let arpa = format!(
            "CASE WHEN ce = 0 THEN NULL ELSE {} / {hundred} / {} END",
            f("me"),
            f("ce")
        );
        let fields: Vec<(&str, String)> = vec![
            ("period_start", "ps".into()),
            ("period_end", "pe".into()),
            ("n", "cs".into()),
            ("customers_start", "cs".into()),
            ("customers_end", "ce".into()),
            ("new", "nw".into()),
            ("reactivated", "re".into()),
            ("churned", "ch".into()),
            ("signups", "su".into()),
            ("churn_rate", "churn".into()),
            ("retention_rate", format!("{hundred} - churn")),
            ("mrr_start", money("ms")),
            ("mrr_end", money("me")),
            ("new_mrr", money("nm")),
            ("reactivation_mrr", money("rm")),
            ("expansion_mrr", money("xm")),
            ("contraction_mrr", money("km")),
            ("churned_mrr", money("cm")),
            ("grr", ratio("ms - km - cm", "ms", Some(&hundred))),
            ("nrr", ratio("ms + xm - km - cm", "ms", Some(&hundred))),
            ("quick_ratio", ratio("nm + rm + xm", "cm + km", None)),
            ("arpa", arpa.clone()),
            (
                "ltv",
                format!(
                    "CASE WHEN ce = 0 OR churn IS NULL OR churn <= {} THEN NULL ELSE {arpa} / (churn / {hundred}) END",
                    d.dbl_lit(0.0)
                ),
            ),
            ("low_n", p.low_n_expr("cs")),
            // The total's period and `partial` fill the leading columns (the latest
            // complete period); `periods` counts the complete periods.
            ("periods", "np".into()),
        ];
        let fields: Vec<(String, String)> = fields
            .into_iter()
            .map(|(n, e)| (n.to_string(), e))
            .collect();
        q.select(&p.final_select("cxm_a", &fields));
        Ok(q.finish())
    }
}
