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

/// `fixtures/subscriptions/survival_small_aggregates.csv` is what `cxm sql retention
/// --survival --stage aggregates --gap 7d --as-of 2025-07-01T00:00:00Z --col
/// subscription_id=subscription_id --col status=status` returns on DuckDB for a table holding
/// `survival_small.csv` (checked by hand; the equivalence suite runs such round trips on real
/// engines). With `--gap 7d` the first spans are:
///
/// - a: Jan 1 → Jan 11, ended: 10 days, event;
/// - b: Jan 1 → Jan 21: 20 days, event;
/// - c: Jan 1 → Jan 11, then Jan 15 → Jan 21 (4 days later, within 7d: one span): 20 days,
///   event;
/// - d: Feb 1, open (its identical duplicate row is dropped): censored at as-of after
///   28 + 31 + 30 + 31 + 30 = 150 days;
/// - e: Mar 1 → Mar 21 (the return on May 1 is a second span): 20 days, event;
/// - g: Jun 11, open (MRR 0 still counts): censored after 20 days;
/// - h: a zero-length subscription only: never active, not in the curve (its row is used).
///
/// Rows: 13 = 9 used (a, b, c×2, d, e×2, g, h) + 1 blank (no start) + 1 rejected (negative
/// MRR) + 1 filtered (trialing) + 1 duplicate. So n = 6, events 4, censored 2, and
/// Kaplan–Meier with Greenwood:
///
/// - t = 10: 6 at risk, 1 event: S = 5/6; Σ d/(n(n−d)) = 1/(6·5) = 1/30;
///   se = 5/6 · √(1/30) = 0.152145154862546…
/// - t = 20: 5 at risk, 3 events (the censoring at 20 comes after them): S = 5/6 · 2/5 = 1/3;
///   Σ = 1/30 + 3/(5·2) = 1/3; se = 1/3 · √(1/3) = 0.192450089729875…
/// - t = 150: censored only. The median is 20 (the first t with S ≤ 0.5).
#[test]
fn survival_from_aggregates_equals_the_rows() {
    let opts = [
        "--survival",
        "--gap",
        "7d",
        "--as-of",
        "2025-07-01T00:00:00Z",
        "--at",
        "5,10,30,200",
    ];
    let agg = "fixtures/subscriptions/survival_small_aggregates.csv";
    let rows = "fixtures/subscriptions/survival_small.csv";
    let mut a = vec!["retention", "--from-aggregates", agg, "--format", "csv"];
    a.extend(opts);
    let from_agg = run(&a);
    assert_eq!(from_agg.code, 0, "{}", from_agg.stderr);
    let lines: Vec<&str> = from_agg.stdout.lines().collect();
    assert_eq!(lines[0], "t,s,se");
    let cell = |line: &str, i: usize| -> f64 { line.split(',').nth(i).unwrap().parse().unwrap() };
    let expect = [
        (5.0, 1.0, 0.0),
        (10.0, 5.0 / 6.0, 5.0 / 6.0 * (1.0f64 / 30.0).sqrt()),
        (30.0, 1.0 / 3.0, 1.0 / 3.0 * (1.0f64 / 3.0).sqrt()),
        (200.0, 1.0 / 3.0, 1.0 / 3.0 * (1.0f64 / 3.0).sqrt()),
    ];
    assert_eq!(lines.len(), 1 + expect.len(), "{}", from_agg.stdout);
    for (line, (t, s, se)) in lines[1..].iter().zip(expect) {
        assert!((cell(line, 0) - t).abs() < 1e-12, "{line}");
        assert!((cell(line, 1) - s).abs() < 1e-12, "{line}");
        assert!((cell(line, 2) - se).abs() < 1e-12, "{line}");
    }
    assert!((0.15214515486254 - 5.0 / 6.0 * (1.0f64 / 30.0).sqrt()).abs() < 1e-13);
    assert!((0.19245008972987 - (1.0f64 / 3.0) * (1.0f64 / 3.0).sqrt()).abs() < 1e-13);

    // The same CSV bytes as on the rows.
    let mut a = vec!["retention", rows, "--format", "csv", "-q"];
    a.extend(opts);
    let on_rows = run(&a);
    assert_eq!(on_rows.code, 0, "{}", on_rows.stderr);
    assert_eq!(on_rows.stdout, from_agg.stdout);

    // JSON: the total and the row accounting are equal too (only the input's path differs).
    let mut a = vec!["retention", "--from-aggregates", agg];
    a.extend(opts);
    let j_agg = json_ok(&a);
    let mut a = vec!["retention", rows, "-q"];
    a.extend(opts);
    let j_rows = json_ok(&a);
    assert_eq!(j_agg["total"], j_rows["total"]);
    let t = &j_agg["total"];
    assert_eq!(
        (&t["n"], &t["events"], &t["censored"]),
        (&6.into(), &4.into(), &2.into())
    );
    approx(&t["median"], 20.0);
    assert_eq!(j_agg["as_of"], j_rows["as_of"]);
    assert_eq!(j_agg["definition"]["gap"], j_rows["definition"]["gap"]);
    let counts = |v: &serde_json::Value| {
        let i = &v["inputs"][0];
        ["rows", "used", "blank", "rejected", "filtered", "duplicate"].map(|k| i[k].clone())
    };
    assert_eq!(counts(&j_agg), counts(&j_rows));
    assert_eq!(
        counts(&j_agg),
        [13, 9, 1, 1, 1, 1].map(serde_json::Value::from)
    );
    assert_eq!(j_agg["inputs"][0]["path"], agg);

    // Without the gap, c's first span ends on Jan 11: the file side differs, so the gap
    // is part of what the aggregates were made with.
    let mut a = vec!["retention", rows, "--format", "csv", "-q"];
    a.extend(&opts[..1]);
    a.extend(&opts[3..]);
    let no_gap = run(&a);
    assert_eq!(no_gap.code, 0, "{}", no_gap.stderr);
    assert_ne!(no_gap.stdout, from_agg.stdout);
}

#[test]
fn survival_aggregates_query_shape() {
    let o = sql(&[
        "retention",
        "--dialect",
        "postgres",
        "--table",
        "billing.subs",
        "--survival",
        "--stage",
        "aggregates",
        "--gap",
        "7d",
        "--as-of",
        "2025-07-01T00:00:00Z",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let q = &o.stdout;
    assert!(q.contains("FROM \"billing\".\"subs\""), "{q}");
    // 7 days = 604,800,000 ms; as-of 2025-07-01T00:00Z = 1,751,328,000,000 ms.
    assert!(q.contains("s - pm > 604800000"), "{q}");
    assert!(q.contains("1751328000000"), "{q}");
    for col in [
        "duration_ms",
        "events",
        "censored",
        "used",
        "blank",
        "rejected",
        "filtered",
        "duplicate",
    ] {
        assert!(q.contains(&format!("AS \"{col}\"")), "{col}: {q}");
    }
    assert!(
        q.contains("cxm retention --survival --from-aggregates FILE"),
        "{q}"
    );
}

#[test]
fn survival_usage_errors() {
    let base = [
        "retention",
        "--dialect",
        "duckdb",
        "--table",
        "subs",
        "--as-of",
        "2026-01-01",
    ];
    for (extra, needle) in [
        (vec!["--survival"], "--survival needs --stage aggregates"),
        (vec!["--stage", "aggregates"], "retention --survival"),
        (vec!["--gap", "7d"], "--gap applies to retention --survival"),
        (
            vec!["--survival", "--stage", "aggregates", "--revenue"],
            "--revenue does not apply to --survival",
        ),
        (
            vec!["--survival", "--stage", "aggregates", "--by", "plan"],
            "--by does not apply",
        ),
        (
            vec![
                "--survival",
                "--stage",
                "aggregates",
                "--since",
                "2025-01-01",
            ],
            "--since does not apply",
        ),
        (
            vec!["--survival", "--stage", "aggregates", "--gap", "7x"],
            "--gap",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend(extra.iter());
        let o = sql(&args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.starts_with("cxm: error: "), "{}", o.stderr);
        assert_eq!(o.stderr.trim_end().lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
        assert!(o.stdout.is_empty());
    }
    let o = sql(&[
        "churn",
        "--dialect",
        "duckdb",
        "--table",
        "subs",
        "--as-of",
        "2026-01-01",
        "--survival",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("--survival does not apply to cxm sql churn"),
        "{}",
        o.stderr
    );

    // The finishing side: the matrix has no aggregates; a file of other columns says so.
    let agg = "fixtures/subscriptions/survival_small_aggregates.csv";
    let o = run(&[
        "retention",
        "--from-aggregates",
        agg,
        "--as-of",
        "2025-07-01",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("add --survival"), "{}", o.stderr);
    let o = run(&["retention", "--survival", "--from-aggregates", agg]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("--from-aggregates needs --as-of"),
        "{}",
        o.stderr
    );
    let o = run(&[
        "retention",
        "--survival",
        "--from-aggregates",
        "fixtures/surveys/nps_aggregates.csv",
        "--as-of",
        "2025-07-01",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("no column \"duration_ms\""),
        "{}",
        o.stderr
    );
    assert_eq!(o.stderr.trim_end().lines().count(), 1, "{}", o.stderr);
}
