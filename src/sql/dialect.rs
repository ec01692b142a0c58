//! The SQL dialects `cxm sql` writes: a handful of primitives that differ between engines
//! (SPEC 10, `docs/sql.md`). Everything else in a query is plain ANSI SQL written once.
//!
//! No transpiler and no general AST: each primitive is a few lines per engine, chosen
//! because engines disagree on it (epoch of a timestamp, numeric literal types, inline
//! tables, identifier quoting, byte-order sorting).

use crate::fail;

/// Rows of an inline table written on one line.
const ROWS_PER_LINE: usize = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Postgres,
    Spark,
    BigQuery,
    Snowflake,
}

/// The type of an inline-table column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlType {
    Int,
    Text,
    Bool,
}

/// A literal of an inline table.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Int(i64),
    Text(String),
    Bool(bool),
}

impl Dialect {
    pub const NAMES: &'static str = "duckdb, postgres, spark, bigquery or snowflake";

    pub fn parse(s: &str) -> anyhow::Result<Dialect> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "duckdb" => Dialect::DuckDb,
            "postgres" | "postgresql" => Dialect::Postgres,
            "spark" | "databricks" => Dialect::Spark,
            "bigquery" => Dialect::BigQuery,
            "snowflake" => Dialect::Snowflake,
            other => fail!("--dialect {other:?}: use {}", Dialect::NAMES),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::Spark => "spark",
            Dialect::BigQuery => "bigquery",
            Dialect::Snowflake => "snowflake",
        }
    }

    /// One identifier, quoted (embedded quote characters doubled).
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark | Dialect::BigQuery => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A table name, each dot-separated part quoted (`catalog.schema.table`).
    pub fn table(self, name: &str) -> String {
        name.split('.')
            .map(|p| self.ident(p))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// A text literal.
    pub fn text(self, s: &str) -> String {
        match self {
            // Spark and BigQuery read backslash escapes inside string literals.
            Dialect::Spark | Dialect::BigQuery => {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            }
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    pub fn double_type(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            Dialect::BigQuery => "FLOAT64",
            _ => "DOUBLE",
        }
    }

    pub fn int_type(self) -> &'static str {
        match self {
            Dialect::BigQuery => "INT64",
            _ => "BIGINT",
        }
    }

    pub fn text_type(self) -> &'static str {
        match self {
            Dialect::Postgres => "TEXT",
            Dialect::Spark | Dialect::BigQuery => "STRING",
            _ => "VARCHAR",
        }
    }

    /// `expr` as a double (so that no engine computes in DECIMAL or integer arithmetic).
    pub fn dbl(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.double_type())
    }

    /// A double literal: written with all the digits of its shortest round-trip form.
    pub fn dbl_lit(self, x: f64) -> String {
        self.dbl(&format!("{x:?}"))
    }

    /// `expr` as text.
    pub fn to_text(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.text_type())
    }

    /// `expr` as a 64-bit integer.
    pub fn big(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.int_type())
    }

    /// Milliseconds since 1970-01-01 UTC of a timestamp column (with time zone, or a UTC
    /// timestamp). Never depends on the session's time zone.
    pub fn epoch_ms(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("epoch_ms({expr})"),
            Dialect::Postgres => {
                format!("CAST(FLOOR(EXTRACT(EPOCH FROM {expr}) * 1000) AS BIGINT)")
            }
            Dialect::Spark => format!("unix_millis({expr})"),
            Dialect::BigQuery => format!("UNIX_MILLIS({expr})"),
            Dialect::Snowflake => format!("DATE_PART(epoch_millisecond, {expr})"),
        }
    }

    /// The exact type-7 percentile aggregate of `x` at `q` (None: BigQuery has no exact
    /// aggregate; its query uses a histogram and a running count instead).
    pub fn exact_quantile(self, x: &str, q: f64) -> Option<String> {
        let ql = self.dbl_lit(q);
        match self {
            Dialect::DuckDb => Some(format!("quantile_cont({x}, {ql})")),
            Dialect::Postgres | Dialect::Snowflake => {
                Some(format!("percentile_cont({ql}) WITHIN GROUP (ORDER BY {x})"))
            }
            Dialect::Spark => Some(format!("percentile({x}, {ql})")),
            Dialect::BigQuery => None,
        }
    }

    /// The engine's approximate percentile aggregate of `x` at `q`, for `--approx` (None:
    /// PostgreSQL has none). BigQuery's takes the percentile from 100 approximate quantile
    /// boundaries, so `q` is rounded to a whole percent there.
    pub fn approx_quantile(self, x: &str, q: f64) -> Option<String> {
        let ql = self.dbl_lit(q);
        match self {
            // DuckDB takes the position as FLOAT: a plain literal, not a DOUBLE.
            Dialect::DuckDb => Some(format!("approx_quantile({x}, {q:?})")),
            Dialect::Spark => Some(format!("percentile_approx({x}, {ql})")),
            Dialect::BigQuery => Some(format!(
                "APPROX_QUANTILES({x}, 100)[SAFE_OFFSET({})]",
                (q * 100.0).round() as i64
            )),
            // Snowflake asks for a constant: a plain literal.
            Dialect::Snowflake => Some(format!("APPROX_PERCENTILE({x}, {q:?})")),
            Dialect::Postgres => None,
        }
    }

    /// The name of [`Dialect::approx_quantile`]'s function, for the query's comment.
    pub fn approx_quantile_name(self) -> Option<&'static str> {
        match self {
            Dialect::DuckDb => Some("approx_quantile"),
            Dialect::Spark => Some("percentile_approx"),
            Dialect::BigQuery => Some("APPROX_QUANTILES(x, 100)[SAFE_OFFSET(k)]"),
            Dialect::Snowflake => Some("APPROX_PERCENTILE"),
            Dialect::Postgres => None,
        }
    }

    /// The UTC day number (`floor(ms / 86,400,000)`) of an epoch-millisecond integer.
    pub fn utc_day(self, ms: &str) -> String {
        self.big(&format!("FLOOR({} / 86400000)", self.dbl(ms)))
    }

    /// An ORDER BY term that sorts text by bytes (UTF-8 code points), whatever the
    /// database's collation (PostgreSQL's default collation follows the locale; DuckDB,
    /// Spark, BigQuery and Snowflake without a collation compare bytes or code points).
    pub fn byte_order(self, expr: &str) -> String {
        match self {
            Dialect::Postgres => format!("{expr} COLLATE \"C\""),
            _ => expr.to_string(),
        }
    }

    fn lit(self, v: &Lit) -> String {
        match v {
            Lit::Int(i) => i.to_string(),
            Lit::Text(s) => self.text(s),
            Lit::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        }
    }

    fn sql_type(self, t: SqlType) -> &'static str {
        match t {
            SqlType::Int => self.int_type(),
            SqlType::Text => self.text_type(),
            SqlType::Bool => match self {
                Dialect::BigQuery => "BOOL",
                _ => "BOOLEAN",
            },
        }
    }

    /// The body of a CTE holding literal rows: `SELECT … FROM (VALUES …)` with typed
    /// columns. `rows` must not be empty.
    pub fn inline_table(self, cols: &[(&str, SqlType)], rows: &[Vec<Lit>]) -> String {
        let tuple = |r: &Vec<Lit>| {
            format!(
                "({})",
                r.iter().map(|v| self.lit(v)).collect::<Vec<_>>().join(", ")
            )
        };
        if self == Dialect::BigQuery {
            let header = cols
                .iter()
                .map(|(n, t)| format!("{n} {}", self.sql_type(*t)))
                .collect::<Vec<_>>()
                .join(", ");
            let items: Vec<String> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    if i == 0 {
                        format!("STRUCT<{header}>{}", tuple(r))
                    } else {
                        tuple(r)
                    }
                })
                .collect();
            let body = items
                .chunks(ROWS_PER_LINE)
                .map(|c| c.join(", "))
                .collect::<Vec<_>>()
                .join(",\n    ");
            return format!("SELECT * FROM UNNEST([\n    {body}\n  ])");
        }
        // Cast every column in the select list so that each engine types them alike
        // (DuckDB types integer literals as INTEGER, which overflows in ms arithmetic).
        let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
        let select = cols
            .iter()
            .map(|(n, t)| format!("CAST({n} AS {}) AS {n}", self.sql_type(*t)))
            .collect::<Vec<_>>()
            .join(", ");
        // Several rows to a line: a five-year day calendar stays a few hundred lines.
        let body = rows
            .chunks(ROWS_PER_LINE)
            .map(|c| c.iter().map(tuple).collect::<Vec<_>>().join(", "))
            .collect::<Vec<_>>()
            .join(",\n    ");
        let alias = format!("cxm_v({})", names.join(", "));
        match self {
            Dialect::Spark => format!("SELECT {select} FROM VALUES\n    {body}\n  AS {alias}"),
            _ => format!("SELECT {select} FROM (VALUES\n    {body}\n  ) AS {alias}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_literals() {
        assert_eq!(Dialect::Postgres.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::DuckDb.table("s.t"), "\"s\".\"t\"");
        assert_eq!(Dialect::DuckDb.text("it's"), "'it''s'");
        assert_eq!(Dialect::Spark.text("it's \\"), "'it\\'s \\\\'");
        assert_eq!(
            Dialect::Postgres.dbl_lit(1.959963984540054),
            "CAST(1.959963984540054 AS DOUBLE PRECISION)"
        );
        assert!(Dialect::parse("oracle").is_err());
        assert_eq!(Dialect::parse("PostgreSQL").unwrap(), Dialect::Postgres);
    }

    #[test]
    fn percentile_aggregates() {
        assert!(Dialect::BigQuery.exact_quantile("x", 0.5).is_none());
        assert_eq!(
            Dialect::BigQuery.approx_quantile("x", 0.95).unwrap(),
            "APPROX_QUANTILES(x, 100)[SAFE_OFFSET(95)]"
        );
        assert_eq!(
            Dialect::DuckDb.approx_quantile("x", 0.9).unwrap(),
            "approx_quantile(x, 0.9)"
        );
        assert!(Dialect::Postgres.approx_quantile("x", 0.5).is_none());
        assert!(Dialect::Postgres.approx_quantile_name().is_none());
        for d in [
            Dialect::DuckDb,
            Dialect::Spark,
            Dialect::BigQuery,
            Dialect::Snowflake,
        ] {
            let name = d.approx_quantile_name().unwrap();
            let f = d.approx_quantile("x", 0.5).unwrap();
            assert!(f.starts_with(name.split('(').next().unwrap()), "{f}");
        }
    }

    #[test]
    fn inline_tables() {
        let rows = vec![
            vec![Lit::Int(1), Lit::Text("a".into())],
            vec![Lit::Int(2), Lit::Text("b".into())],
        ];
        let cols = [("o", SqlType::Int), ("label", SqlType::Text)];
        let bq = Dialect::BigQuery.inline_table(&cols, &rows);
        assert!(bq.contains("STRUCT<o INT64, label STRING>(1, 'a')"), "{bq}");
        let sp = Dialect::Spark.inline_table(&cols, &rows);
        assert!(sp.contains("FROM VALUES"), "{sp}");
        let pg = Dialect::Postgres.inline_table(&cols, &rows);
        assert!(pg.contains("FROM (VALUES"), "{pg}");
        assert!(pg.contains("CAST(o AS BIGINT) AS o"), "{pg}");
    }
}
