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
pub mod dialect;
pub mod survey;

use std::collections::BTreeMap;

use crate::metrics::survey::WhereCol;
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

/// How far back the calendar reaches without `--since` (SPEC 10: five years).
pub const DEFAULT_SPAN_DAYS: i64 = 1826;

impl SqlPlan {
    /// The quoted column holding canonical column `canon` (its `--col` name, else `canon`).
    pub fn col(&self, canon: &str) -> String {
        self.dialect
            .ident(self.cols.get(canon).map_or(canon, String::as_str))
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
