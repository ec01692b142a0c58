//! `cxm sql churn` and `cxm sql retention` through the binary: usage errors and the shape of
//! the query. That the queries return cxm's own figures is proven on DuckDB, PostgreSQL and
//! Spark by `scripts/sql_equiv.py`.

use crate::util::*;

fn sql(args: &[&str]) -> Out {
    let mut a = vec!["sql"];
    a.extend_from_slice(args);
    run(&a)
}

#[test]
fn as_of_is_required() {
    let o = sql(&["churn", "--dialect", "duckdb", "--table", "subs"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.starts_with("cxm: error: ") && o.stderr.contains("required"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn survey_options_are_usage_errors() {
    for (metric, flag, value) in [
        ("churn", "--scale", Some("5")),
        ("churn", "--ci", Some("wald")),
        ("retention", "--invert", None),
        ("retention", "--confidence", Some("0.9")),
    ] {
        let mut args = vec![
            metric,
            "--dialect",
            "postgres",
            "--table",
            "subs",
            "--as-of",
            "2026-01-01",
            flag,
        ];
        args.extend(value);
        let o = sql(&args);
        assert_eq!(o.code, 2, "{metric} {flag}: {}", o.stderr);
        assert!(
            o.stderr.starts_with("cxm: error: ") && o.stderr.contains(flag),
            "{metric} {flag}: {}",
            o.stderr
        );
        assert_eq!(o.stderr.trim_end().lines().count(), 1, "{}", o.stderr);
    }
}

#[test]
fn options_of_the_other_subscription_metric_are_usage_errors() {
    let base = [
        "--dialect",
        "duckdb",
        "--table",
        "subs",
        "--as-of",
        "2026-01-01",
    ];
    for (metric, flag) in [
        ("churn", "--revenue"),
        ("retention", "--include-partial"),
        ("retention", "--exclude-free"),
        ("nps", "--include-partial"),
    ] {
        let mut args = vec![metric];
        args.extend(base);
        args.push(flag);
        let o = sql(&args);
        assert_eq!(o.code, 2, "{metric} {flag}: {}", o.stderr);
        assert!(o.stderr.contains(flag), "{metric} {flag}: {}", o.stderr);
    }
    let mut args = vec!["retention"];
    args.extend(base);
    args.extend(["--by", "plan"]);
    let o = sql(&args);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("--by does not apply"), "{}", o.stderr);
    let mut args = vec!["retention"];
    args.extend(base);
    args.extend(["--until", "2025-06-01"]);
    let o = sql(&args);
    assert_eq!(o.code, 2, "{}", o.stderr);
    // A column the subscription queries do not know.
    let mut args = vec!["churn"];
    args.extend(base);
    args.extend(["--col", "score=x"]);
    let o = sql(&args);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("score"), "{}", o.stderr);
}

#[test]
fn churn_query_shape() {
    let o = sql(&[
        "churn",
        "--dialect",
        "postgres",
        "--table",
        "billing.subs",
        "--as-of",
        "2025-04-01",
        "--period",
        "month",
        "--since",
        "2025-01-01",
        "--by",
        "plan",
        "--col",
        "subscription_id=sub_id",
        "--col",
        "mrr=monthly",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let q = &o.stdout;
    assert!(q.starts_with("-- cxm "), "{q}");
    assert!(q.contains("FROM \"billing\".\"subs\""), "{q}");
    assert!(q.contains("\"sub_id\"") && q.contains("\"monthly\""), "{q}");
    // Three complete months from --since to as-of: January, February, March 2025, with
    // their labels and boundaries (2025-01-01T00:00Z = 1735689600000 ms).
    for label in ["'2025-01'", "'2025-02'", "'2025-03'"] {
        assert!(q.contains(label), "{label}: {q}");
    }
    assert!(!q.contains("'2025-04'"), "{q}");
    assert!(q.contains("1735689600000"), "{q}");
    assert!(q.contains("COLLATE \"C\""), "{q}");
    assert!(q.trim_end().ends_with(';'), "{q}");
    let body: String = q
        .lines()
        .filter(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(body.matches(';').count(), 1, "one statement: {q}");
}

#[test]
fn retention_query_shape() {
    let o = sql(&[
        "retention",
        "--dialect",
        "spark",
        "--table",
        "subs",
        "--as-of",
        "2025-04-01",
        "--since",
        "2025-01-01",
        "--revenue",
        "--tz",
        "Europe/Berlin",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let q = &o.stdout;
    assert!(q.contains("FROM `subs`"), "{q}");
    assert!(q.contains("`offset`") && q.contains("`pct`"), "{q}");
    // Berlin's 2025-01-01 00:00 is 2024-12-31T23:00Z = 1735686000000 ms.
    assert!(q.contains("1735686000000"), "{q}");
    assert!(q.contains("'all'"), "{q}");
}
