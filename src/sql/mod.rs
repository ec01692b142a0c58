//! `cxm sql` (SPEC 10): a metric's definition as one SQL query for the engine that holds
//! the data.
//!
//! ```text
//! flags ──► SqlPlan (checked settings; as-of required) ──► family builder ──► Query ──► text
//!                                       calendar.rs (periods from period.rs) ─┘
//!                                       dialect.rs (the few primitives engines differ on)
//! ```
//!
//! The query returns the table `cxm METRIC FILE --format csv` prints for the same rows. Time
//! never depends on the engine: period boundaries and labels are computed here and travel as
//! an inline calendar of UTC epoch-millisecond integers.

pub mod calendar;
pub mod churn;
pub mod dialect;
pub mod retention;
pub mod survey;
pub mod tickets;

use std::collections::BTreeMap;

use crate::input::rows::WhereCol;
use crate::period::PeriodKind;
use crate::time::Tz;
use dialect::Dialect;

/// Checked settings of one `cxm sql` run.
pub struct SqlPlan {
    pub dialect: Dialect,
    pub table: String,
    /// `--col CANONICAL=COLUMN`.
    pub cols: BTreeMap<String, String>,
    pub tz: Tz,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub as_of: i64,
    pub wheres: Vec<WhereCol>,
    pub by: Vec<String>,
    pub period: Option<PeriodKind>,
    pub last: Option<usize>,
    pub min_n: Option<u64>,
    pub keep_duplicates: bool,
}

/// The instants a typed table holds for "no date" written as a date (SPEC 4, placeholder
/// dates; `time::is_placeholder_date` on the file side): 1900-01-01, 1899-12-30 (the
/// spreadsheet epoch) and 0001-01-01 at midnight UTC, in epoch milliseconds. (`0000-00-00`
/// is no timestamp, so a typed column cannot hold it.)
pub const PLACEHOLDER_MS: [i64; 3] = [-2_208_988_800_000, -2_209_161_600_000, -62_135_596_800_000];

/// The epoch milliseconds of timestamp column `col` (quoted SQL), NULL where it holds a
/// placeholder date: the one way every query reads a timestamp column, so that a placeholder
/// means what a placeholder cell means on the file side (blank).
pub fn time_ms(d: Dialect, col: &str) -> String {
    PLACEHOLDER_MS
        .iter()
        .fold(d.epoch_ms(col), |e, ms| format!("NULLIF({e}, {ms})"))
}

/// How far back the calendar reaches without `--since` (SPEC 10: five years).
pub const DEFAULT_SPAN_DAYS: i64 = 1826;

impl SqlPlan {
    /// The quoted column holding canonical column `canon` (its `--col` name, else `canon`).
    pub fn col(&self, canon: &str) -> String {
        self.dialect
            .ident(self.cols.get(canon).map_or(canon, String::as_str))
    }

    /// The epoch milliseconds of canonical timestamp column `canon` ([`time_ms`]).
    pub fn time_ms(&self, canon: &str) -> String {
        time_ms(self.dialect, &self.col(canon))
    }

    /// The id column (and the `updated_at` column) used to drop duplicate rows: only when
    /// the id was named with `--col` (the query cannot see which columns the table has) and
    /// `--keep-duplicates` is off.
    pub fn dedup_id(&self, canon: &str) -> Option<(String, Option<String>)> {
        if self.keep_duplicates || !self.cols.contains_key(canon) {
            return None;
        }
        let upd = self
            .cols
            .contains_key("updated_at")
            .then(|| self.col("updated_at"));
        Some((self.col(canon), upd))
    }

    /// The first instant the calendar covers: `--since`, else five years before as-of.
    pub fn calendar_start(&self) -> i64 {
        self.since
            .unwrap_or(self.as_of - DEFAULT_SPAN_DAYS * calendar::MS_PER_DAY)
    }

    /// `g1`, `g2`, … for the `--by` columns.
    pub fn group_cols(&self) -> Vec<String> {
        (1..=self.by.len()).map(|i| format!("g{i}")).collect()
    }

    /// `CAST(NULL AS text) AS g1, ` … for result rows over all groups.
    pub fn null_group_selects(&self) -> String {
        self.group_cols()
            .iter()
            .map(|g| format!("CAST(NULL AS {}) AS {g}, ", self.dialect.text_type()))
            .collect()
    }

    /// The select items of the `--by` (`gK`: trimmed text, blank → NULL) and `--where`
    /// (`wK`: trimmed text, NULL → '') columns.
    pub fn user_column_selects(&self) -> Vec<String> {
        let d = self.dialect;
        let mut sel = Vec::new();
        for (i, b) in self.by.iter().enumerate() {
            sel.push(format!(
                "NULLIF(TRIM({}), '') AS g{}",
                d.to_text(&d.ident(b)),
                i + 1
            ));
        }
        for (i, w) in self.wheres.iter().enumerate() {
            sel.push(format!(
                "COALESCE(TRIM({}), '') AS w{}",
                d.to_text(&d.ident(&w.name)),
                i + 1
            ));
        }
        sel
    }

    /// The `--where` conditions on row alias `r`.
    pub fn where_preds(&self, r: &str) -> Vec<String> {
        let d = self.dialect;
        self.wheres
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let list =
                    |xs: &[String]| xs.iter().map(|x| d.text(x)).collect::<Vec<_>>().join(", ");
                let mut parts = Vec::new();
                if !w.equals.is_empty() {
                    parts.push(format!("{r}.w{} IN ({})", i + 1, list(&w.equals)));
                }
                if !w.not_equals.is_empty() {
                    parts.push(format!("{r}.w{} NOT IN ({})", i + 1, list(&w.not_equals)));
                }
                parts.join(" AND ")
            })
            .collect()
    }

    /// `cxm_in` (the table's typed columns, `sel`) and, when ids are de-duplicated, `cxm_src`
    /// keeping one row per id (the latest `updated_at`); returns the CTE to read rows from.
    pub fn dedup_ctes(&self, q: &mut Query, id_canon: &str, mut sel: Vec<String>) -> &'static str {
        let d = self.dialect;
        let dedup = self.dedup_id(id_canon);
        if let Some((id, upd)) = &dedup {
            sel.push(format!(
                "CASE WHEN TRIM({0}) = '' THEN NULL ELSE {0} END AS id",
                d.to_text(id)
            ));
            sel.push(match upd {
                Some(u) => format!("{} AS u", time_ms(d, u)),
                None => "CAST(NULL AS BIGINT) AS u".into(),
            });
        }
        q.cte(
            "cxm_in",
            &format!("SELECT {} FROM {}", sel.join(", "), d.table(&self.table)),
        );
        if dedup.is_none() {
            return "cxm_in";
        }
        q.cte(
            "cxm_src",
            "SELECT * FROM (SELECT cxm_in.*, ROW_NUMBER() OVER (PARTITION BY id ORDER BY COALESCE(u, -9223372036854775807) DESC) AS cxm_rn FROM cxm_in) cxm_d WHERE id IS NULL OR cxm_rn = 1",
        );
        "cxm_src"
    }

    /// With `--last N`: the ordinals of the last N complete periods before as-of.
    pub fn last_range(&self) -> Option<(i32, i32)> {
        let (k, n) = (self.period?, self.last?);
        let mut last_complete = k.ordinal_of(self.as_of, self.tz);
        if k.end_ms(last_complete, self.tz) > self.as_of {
            last_complete -= 1;
        }
        Some((last_complete - n as i32 + 1, last_complete))
    }

    /// `cxm_periods` for every ordinal of the calendar and of `--last`.
    pub fn periods_cte(&self, q: &mut Query, cal: &calendar::Calendar, last: Option<(i32, i32)>) {
        let Some(k) = self.period else { return };
        let (mut lo, mut hi) = (
            cal.first_ordinal().unwrap_or(0),
            cal.last_ordinal().unwrap_or(0),
        );
        if let Some((a, b)) = last {
            lo = lo.min(a);
            hi = hi.max(b);
        }
        q.cte(
            "cxm_periods",
            &calendar::periods_table(self.dialect, k, self.tz, lo, hi, self.as_of),
        );
    }

    /// `cxm_range` (the first and last period holding a valid row, from `used_ords`, a
    /// query of one column `o`; or the `--last` range) and `cxm_ords`, the periods between.
    pub fn range_ctes(&self, q: &mut Query, last: Option<(i32, i32)>, used_ords: &str) {
        let range = match last {
            Some((a, b)) => format!("SELECT {a} AS lo, {b} AS hi"),
            None => format!("SELECT MIN(o) AS lo, MAX(o) AS hi FROM ({used_ords}) cxm_u"),
        };
        q.cte("cxm_range", &range);
        q.cte(
            "cxm_ords",
            "SELECT p.o FROM cxm_periods p JOIN cxm_range r ON p.o >= r.lo AND p.o <= r.hi",
        );
    }

    /// `low_n` of a row with `n` valid answers or entities.
    pub fn low_n_expr(&self, n: &str) -> String {
        match self.min_n {
            Some(m) => format!("CASE WHEN {n} < {m} THEN TRUE ELSE FALSE END"),
            None => "FALSE".into(),
        }
    }

    /// The final SELECT over `src` (columns `k`, `gK`, `o`, and with a period `label` and
    /// `partial`): the group columns (`(all)` for rows over all groups and the total), the
    /// period, `partial`, then `fields`; ordered like cxm's CSV (per group in byte order with
    /// the blank key last, then period; then the period rows over all groups; the total).
    pub fn final_select(&self, src: &str, fields: &[(String, String)]) -> String {
        let d = self.dialect;
        let gcols = self.group_cols();
        let mut out: Vec<String> = Vec::new();
        for (g, b) in gcols.iter().zip(&self.by) {
            out.push(format!(
                "CASE WHEN k <> 0 THEN '(all)' WHEN {g} = '(all)' THEN {} ELSE {g} END AS {}",
                d.text("'(all)"),
                d.ident(b)
            ));
        }
        if self.period.is_some() {
            out.push(format!("label AS {}", d.ident("period")));
            out.push(format!("partial AS {}", d.ident("partial")));
        }
        for (name, e) in fields {
            out.push(format!("{e} AS {}", d.ident(name)));
        }
        let mut order = vec!["k".to_string()];
        for g in &gcols {
            order.push(format!("CASE WHEN {g} IS NULL THEN 1 ELSE 0 END"));
            order.push(d.byte_order(g));
        }
        order.push("o".into());
        format!(
            "SELECT {} FROM {src} ORDER BY {}",
            out.join(",\n  "),
            order.join(", ")
        )
    }
}

/// A query under construction: header comments, named CTEs, the final SELECT.
pub struct Query {
    comments: Vec<String>,
    ctes: Vec<(String, String)>,
    select: String,
}

impl Query {
    pub fn new(p: &SqlPlan, metric: &str) -> Query {
        let mut q = Query {
            comments: Vec::new(),
            ctes: Vec::new(),
            select: String::new(),
        };
        q.comment(&format!(
            "cxm {} sql {metric} --dialect {} --table {}",
            env!("CARGO_PKG_VERSION"),
            p.dialect.name(),
            p.table
        ));
        q.comment(&format!(
            "As of {}; result: the table `cxm {metric} FILE --format csv` prints for the same rows.",
            crate::time::format_rfc3339(p.as_of, p.tz)
        ));
        q
    }

    pub fn comment(&mut self, text: &str) {
        self.comments.push(text.replace('\n', " "));
    }

    pub fn cte(&mut self, name: &str, body: &str) {
        self.ctes.push((name.to_string(), body.to_string()));
    }

    pub fn select(&mut self, sql: &str) {
        self.select = sql.to_string();
    }

    pub fn finish(self) -> String {
        let mut out = String::new();
        for c in &self.comments {
            out.push_str("-- ");
            out.push_str(c);
            out.push('\n');
        }
        if !self.ctes.is_empty() {
            out.push_str("WITH\n");
            let parts: Vec<String> = self
                .ctes
                .iter()
                .map(|(n, b)| format!("{n} AS (\n  {}\n)", b.replace('\n', "\n  ")))
                .collect();
            out.push_str(&parts.join(",\n"));
            out.push('\n');
        }
        out.push_str(&self.select);
        out.push_str(";\n");
        out
    }
}

/// Horner form of a polynomial in `x` with the highest coefficient first.
fn horner(d: Dialect, coef: &[f64], x: &str) -> String {
    let mut s = d.dbl_lit(coef[0]);
    for c in &coef[1..] {
        s = format!("({s} * {x} + {})", d.dbl_lit(*c));
    }
    s
}

/// Upper tail `1 − Φ(x)` of the standard normal for `x ≥ 0`, as an SQL expression (SQL has
/// no normal distribution function). Hart's double-precision algorithm (1968, as published
/// by West, "Better approximations to cumulative normal functions", 2005): relative error
/// below 1e-8 (absolute far below), inside SPEC 10's 1e-7 for `p_value`.
pub fn normal_tail(d: Dialect, x: &str) -> String {
    let xs = format!("LEAST({x}, {})", d.dbl_lit(37.0));
    let e = format!("EXP(-({xs} * {xs}) / {})", d.dbl_lit(2.0));
    let num = horner(d, &HART_NUM, &xs);
    let den = horner(d, &HART_DEN, &xs);
    let cf = format!(
        "({xs} + {} / ({xs} + {} / ({xs} + {} / ({xs} + {} / ({xs} + {})))))",
        d.dbl_lit(1.0),
        d.dbl_lit(2.0),
        d.dbl_lit(3.0),
        d.dbl_lit(4.0),
        d.dbl_lit(0.65)
    );
    format!(
        "(CASE WHEN {x} > {} THEN {} WHEN {x} < {} THEN {e} * {num} / {den} ELSE {e} / {cf} / {} END)",
        d.dbl_lit(37.0),
        d.dbl_lit(0.0),
        d.dbl_lit(7.07106781186547),
        d.dbl_lit(2.506628274631)
    )
}

const HART_NUM: [f64; 7] = [
    3.52624965998911e-2,
    0.700383064443688,
    6.37396220353165,
    33.912866078383,
    112.079291497871,
    221.213596169931,
    220.206867912376,
];
const HART_DEN: [f64; 8] = [
    8.83883476483184e-2,
    1.75566716318264,
    16.064177579207,
    86.7807322029461,
    296.564248779674,
    637.333633378831,
    793.826512519948,
    440.413735824752,
];

/// The same algorithm in Rust, to check it against `stats::normal_tails`.
#[cfg(test)]
fn hart_tail(x: f64) -> f64 {
    if x > 37.0 {
        return 0.0;
    }
    let e = (-(x * x) / 2.0).exp();
    let h = |c: &[f64]| c[1..].iter().fold(c[0], |acc, k| acc * x + k);
    if x < 7.07106781186547 {
        e * h(&HART_NUM) / h(&HART_DEN)
    } else {
        e / (x + 1.0 / (x + 2.0 / (x + 3.0 / (x + 4.0 / (x + 0.65))))) / 2.506628274631
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hart_tail_matches_cody() {
        // Relative agreement with cxm's own normal tail (Cody's ANORM) over the range a
        // p-value needs (worst about 9e-9, near x = 7.8 where the two branches meet); far below SPEC 10's 1e-7.
        let mut x = 0.0;
        while x < 30.0 {
            let a = hart_tail(x);
            let b = crate::metrics::stats::normal_tails(x).1;
            assert!(((a - b) / b).abs() < 2e-8, "x {x}: {a} vs {b}");
            x += 0.013;
        }
        assert_eq!(hart_tail(40.0), 0.0);
    }

    #[test]
    fn placeholders_are_the_file_sides() {
        for (ms, (y, m, dd)) in PLACEHOLDER_MS
            .iter()
            .zip([(1900, 1, 1), (1899, 12, 30), (1, 1, 1)])
        {
            let t = chrono::NaiveDate::from_ymd_opt(y, m, dd)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc();
            assert_eq!(t.timestamp_millis(), *ms);
            let text = t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            assert!(crate::time::is_placeholder_date(&text), "{text}");
        }
        assert_eq!(
            time_ms(Dialect::DuckDb, "\"t\""),
            "NULLIF(NULLIF(NULLIF(epoch_ms(\"t\"), -2208988800000), -2209161600000), -62135596800000)"
        );
    }

    #[test]
    fn query_layout() {
        let p = SqlPlan {
            dialect: Dialect::DuckDb,
            table: "t".into(),
            cols: BTreeMap::new(),
            tz: Tz::UTC,
            since: None,
            until: None,
            as_of: 0,
            wheres: Vec::new(),
            by: Vec::new(),
            period: None,
            last: None,
            min_n: None,
            keep_duplicates: false,
        };
        let mut q = Query::new(&p, "nps");
        q.cte("a", "SELECT 1 AS x");
        q.select("SELECT x FROM a");
        let s = q.finish();
        assert!(s.starts_with("-- cxm "), "{s}");
        assert!(
            s.contains("WITH\na AS (\n  SELECT 1 AS x\n)\nSELECT x FROM a;\n"),
            "{s}"
        );
    }
}
