//! `cxm sql` (SPEC 10): golden queries per metric and dialect (the only guard for BigQuery
//! and Snowflake; DuckDB, PostgreSQL and Spark also run `scripts/sql_equiv.py` against the
//! real engines in `.ci/run`), hand-checked calendar values and usage errors.
//!
//! Refresh the golden files after a deliberate change with `CXM_BLESS=1 cargo test --test
//! e2e sql::` and review the diff.

use crate::util::{root, run};

const DIALECTS: [&str; 5] = ["duckdb", "postgres", "spark", "bigquery", "snowflake"];

/// (golden name, arguments after `cxm sql`).
#[rustfmt::skip]
fn golden_cases() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "nps_by_region_week_berlin",
            vec![
                "nps",
                "--table",
                "cx.responses",
                "--by",
                "region",
                "--period",
                "week",
                "--tz",
                "Europe/Berlin",
                "--since",
                "2025-03-20",
                "--as-of",
                "2025-03-31",
                "--col",
                "response_id=response_id",
                "--col",
                "updated_at=updated_at",
                "--min-n",
                "30",
            ],
        ),
        (
            "csat_binary_where",
            vec![
                "csat",
                "--table",
                "ratings",
                "--scale",
                "binary",
                "--where",
                "channel=email",
                "--col",
                "score=rating",
                "--as-of",
                "2025-06-01",
            ],
        ),
        (
            "ces_five_inverted_last_two_months",
            vec![
                "ces",
                "--table",
                "effort",
                "--scale",
                "5",
                "--invert",
                "--period",
                "month",
                "--last",
                "2",
                "--since",
                "2025-01-01",
                "--as-of",
                "2025-04-15",
            ],
        ),
        (
            "pmf_by_plan",
            vec![
                "pmf",
                "--table",
                "pmf_answers",
                "--by",
                "plan",
                "--as-of",
                "2025-06-01",
            ],
        ),
        (
            "tickets_business_sla_by_priority_week",
            vec![
                "tickets", "--table", "support.tickets", "--business-hours",
                "Mon-Fri 09:00-17:00, Sat 22:00-02:00", "--holidays", "tests/sql/holidays.txt",
                "--tz", "Europe/Berlin", "--period", "week", "--by", "priority", "--since",
                "2025-04-10", "--as-of", "2025-04-22", "--sla-first-response", "4h",
                "--sla-resolution", "16h", "--col", "status=status",
            ],
        ),
        (
            "tickets_resolved_by_month",
            vec![
                "tickets", "--table", "tickets", "--bucket-by", "resolved", "--period", "month",
                "--since", "2025-01-01", "--until", "2025-03-01", "--as-of", "2025-03-01",
                "--col", "ticket_id=id", "--col", "updated_at=updated",
            ],
        ),
        (
            "churn_by_plan_week_berlin",
            vec![
                "churn", "--table", "billing.subscriptions", "--period", "week", "--tz",
                "Europe/Berlin", "--by", "plan", "--since", "2025-03-17", "--as-of",
                "2025-04-08T12:00:00Z", "--include-partial", "--exclude-free", "--min-n", "20",
                "--col", "subscription_id=sub_id", "--col", "status=status", "--col",
                "canceled_at=canceled_at", "--col", "trial_end=trial_end",
            ],
        ),
        (
            "retention_revenue_quarter",
            vec![
                "retention", "--table", "subs", "--revenue", "--period", "quarter", "--since",
                "2024-01-01", "--as-of", "2025-07-01", "--where", "region!=test",
                "--col", "mrr=monthly_amount",
            ],
        ),
        (
            "retention_survival_aggregates_gap",
            vec![
                "retention", "--table", "billing.subscriptions", "--survival", "--stage",
                "aggregates", "--gap", "7d", "--as-of", "2025-07-01T00:00:00Z", "--where",
                "region!=test", "--col", "subscription_id=sub_id", "--col", "status=status",
                "--col", "trial_end=trial_end", "--col", "updated_at=updated",
            ],
        ),
        (
            "nps_aggregates_by_region_month",
            vec![
                "nps", "--table", "cx.responses", "--by", "region", "--period", "month",
                "--since", "2025-01-01", "--as-of", "2025-03-31", "--stage", "aggregates",
            ],
        ),
        (
            "tickets_approx_by_priority_month",
            vec![
                "tickets", "--table", "support.tickets", "--approx", "--by", "priority",
                "--period", "month", "--since", "2025-01-01", "--as-of", "2025-04-01",
                "--col", "status=status",
            ],
        ),
        (
            "tickets_aggregates_week",
            vec![
                "tickets", "--table", "support.tickets", "--period", "week", "--since",
                "2025-03-01", "--as-of", "2025-03-31", "--stage", "aggregates",
            ],
        ),
    ]
}

#[test]
fn golden_queries_per_metric_and_dialect() {
    let bless = std::env::var("CXM_BLESS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (name, args) in golden_cases() {
        for d in DIALECTS {
            let mut a = vec!["sql"];
            a.extend(&args);
            a.extend(["--dialect", d]);
            let o = run(&a);
            assert_eq!(o.code, 0, "cxm {a:?}: {}", o.stderr);
            let path = root().join("tests/sql").join(format!("{name}.{d}.sql"));
            if bless {
                std::fs::write(&path, &o.stdout).expect("write golden file");
                continue;
            }
            let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
                panic!(
                    "{} is missing; create it with CXM_BLESS=1 cargo test --test e2e sql::",
                    path.display()
                )
            });
            if want != o.stdout {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "the query text changed for {stale:?}; review and refresh with CXM_BLESS=1"
    );
}

#[test]
fn calendar_splits_utc_days_at_local_midnight() {
    // Europe/Berlin weeks: ISO week 2025-W13 starts Mon 2025-03-24 00:00 CET = 2025-03-23
    // 23:00Z, so UTC day 20170 (2025-03-23 = 1,742,688,000 s / 86,400) switches at
    // 23 h = 82,800,000 ms; 2025-W14 starts Mon 2025-03-31 00:00 CEST = 2025-03-30 22:00Z,
    // so UTC day 20177 switches at 22 h = 79,200,000 ms (after the DST change).
    let o = run(&[
        "sql",
        "nps",
        "--dialect",
        "duckdb",
        "--table",
        "t",
        "--period",
        "week",
        "--tz",
        "Europe/Berlin",
        "--since",
        "2025-03-20",
        "--as-of",
        "2025-03-31",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let (w13, w14) = (week_ordinal(2025, 3, 24), week_ordinal(2025, 3, 31));
    assert!(
        o.stdout
            .contains(&format!("(20170, {}, 82800000, {w13})", w13 - 1)),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains(&format!("(20177, {w13}, 79200000, {w14})")),
        "{}",
        o.stdout
    );
    // The period labels, and partial only for the week that ends after as-of
    // (as-of 2025-03-31 = the end of that day, inside 2025-W14).
    assert!(o.stdout.contains(&format!("({w13}, '2025-W13', FALSE)")));
    assert!(o.stdout.contains(&format!("({w14}, '2025-W14', TRUE)")));
    // z for 95 % written with all its digits.
    assert!(o.stdout.contains("CAST(1.95996398454005"));
}

/// Week ordinals as `period.rs` numbers them: week 0 starts Monday 1969-12-29.
pub fn week_ordinal(y: i32, m: u32, d: u32) -> i64 {
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let day = (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days();
    (day + 3).div_euclid(7)
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "sql",
                "nps",
                "--dialect",
                "oracle",
                "--table",
                "t",
                "--as-of",
                "2025-01-01",
            ],
            "--dialect \"oracle\"",
        ),
        (
            vec!["sql", "nps", "--dialect", "duckdb", "--table", "t"],
            "--as-of",
        ),
        (
            vec![
                "sql",
                "csat",
                "--dialect",
                "duckdb",
                "--table",
                "t",
                "--as-of",
                "2025-01-01",
                "--ci",
                "wald",
            ],
            "--ci does not apply to cxm sql csat",
        ),
        (
            vec![
                "sql",
                "nps",
                "--dialect",
                "duckdb",
                "--table",
                "t",
                "--as-of",
                "2025-01-01",
                "--delimiter",
                ";",
            ],
            "--delimiter",
        ),
        (
            vec![
                "sql",
                "nps",
                "--dialect",
                "duckdb",
                "--table",
                "t",
                "--as-of",
                "2025-01-01",
                "--last",
                "2",
            ],
            "--last needs --period",
        ),
        (
            vec![
                "sql",
                "nps",
                "--dialect",
                "duckdb",
                "--table",
                "t",
                "--as-of",
                "2025-01-01",
                "--col",
                "scroe=x",
            ],
            "Did you mean \"score\"?",
        ),
        (
            vec![
                "sql",
                "mrr",
                "--dialect",
                "duckdb",
                "--table",
                "t",
                "--as-of",
                "2025-01-01",
            ],
            "unknown metric",
        ),
        (
            vec![
                "sql",
                "nps",
                "--dialect",
                "duckdb",
                "--table",
                "t",
                "--as-of",
                "2025-01-01",
                "--approx",
            ],
            "--approx does not apply to cxm sql nps: it has no percentiles",
        ),
        (
            vec![
                "sql",
                "churn",
                "--dialect",
                "spark",
                "--table",
                "t",
                "--as-of",
                "2025-01-01",
                "--approx",
            ],
            "--approx does not apply to cxm sql churn",
        ),
        (
            vec![
                "sql",
                "tickets",
                "--dialect",
                "duckdb",
                "--table",
                "t",
                "--as-of",
                "2025-01-01",
                "--approx",
                "--stage",
                "aggregates",
            ],
            "--approx does not apply to --stage aggregates",
        ),
    ];
    for (args, needle) in cases {
        let o = run(&args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(
            o.stderr.starts_with("cxm: error:"),
            "{args:?}: {}",
            o.stderr
        );
        assert_eq!(o.stderr.trim_end().lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
        assert!(o.stdout.is_empty());
    }
}

/// `--approx` (SPEC 10): the approximate function is named in a comment at the top of the
/// query and is the one the percentiles use; PostgreSQL has none and says it stays exact.
#[test]
fn approx_names_its_function_at_the_top() {
    for (dialect, func, exact) in [
        ("duckdb", "approx_quantile(frt, ", "quantile_cont("),
        ("spark", "percentile_approx(frt, ", "percentile(frt"),
        (
            "bigquery",
            "APPROX_QUANTILES(frt, 100)[SAFE_OFFSET(95)]",
            "cxm_h_frt",
        ),
        ("snowflake", "APPROX_PERCENTILE(frt, ", "percentile_cont("),
    ] {
        let args = [
            "sql",
            "tickets",
            "--dialect",
            dialect,
            "--table",
            "t",
            "--as-of",
            "2025-01-01",
        ];
        let o = run(&[&args[..], &["--approx"]].concat());
        assert_eq!(o.code, 0, "{dialect}: {}", o.stderr);
        let head: Vec<&str> = o
            .stdout
            .lines()
            .take_while(|l| l.starts_with("-- "))
            .collect();
        let name = func.split('(').next().unwrap();
        assert!(
            head.iter().any(|l| l.contains("--approx")
                && l.contains(name)
                && l.contains("not comparable")),
            "{dialect}: {head:?}"
        );
        assert!(o.stdout.contains(func), "{dialect}");
        assert!(
            !o.stdout.contains(exact),
            "{dialect}: an exact percentile is left"
        );
        // Without --approx, no approximate function and no such comment.
        let o = run(&args);
        assert!(
            !o.stdout.contains(name) && !o.stdout.contains("--approx"),
            "{dialect}"
        );
    }
    let o = run(&[
        "sql",
        "tickets",
        "--dialect",
        "postgres",
        "--table",
        "t",
        "--as-of",
        "2025-01-01",
        "--approx",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let head: Vec<&str> = o
        .stdout
        .lines()
        .take_while(|l| l.starts_with("-- "))
        .collect();
    assert!(
        head.iter()
            .any(|l| l.contains("--approx: PostgreSQL has no approximate percentile")),
        "{head:?}"
    );
    assert!(o.stdout.contains("percentile_cont("));
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nps.sql");
    let p = path.to_string_lossy().into_owned();
    let o = run(&[
        "sql",
        "nps",
        "--dialect",
        "postgres",
        "--table",
        "s.t",
        "--as-of",
        "2025-01-01",
        "-o",
        &p,
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("-- cxm "));
    assert!(text.contains("FROM \"s\".\"t\""));
    assert!(text.trim_end().ends_with(';'));
}

#[test]
fn report_emit_sql_writes_one_query_per_metric() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("cx.toml");
    std::fs::write(
        &cfg,
        "tz = \"Europe/Berlin\"\nas_of = \"2025-03-31\"\nperiod = \"week\"\n\n\
         [sources.responses]\npath = \"responses.csv\"\ntable = \"cx.responses\"\n\
         columns = { score = \"How likely are you to recommend us?\" }\n\n\
         [sources.tickets]\npath = \"tickets.csv\"\ntable = \"support.tickets\"\n\n\
         [[metrics]]\nname = \"nps_by_region\"\nkind = \"nps\"\nsource = \"responses\"\nby = [\"region\"]\nsince = \"2025-03-01\"\n\n\
         [[metrics]]\nkind = \"tickets\"\nsource = \"tickets\"\nbusiness_hours = \"Mon-Fri 09:00-17:00\"\n\
         sla_resolution = \"24h\"\nsince = \"2025-03-01\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("responses.csv"), "score,region\n9,EMEA\n").unwrap();
    std::fs::write(dir.path().join("tickets.csv"), "created_at\n2025-03-03\n").unwrap();
    let out = dir.path().join("sql");
    let (cfg_s, out_s) = (
        cfg.to_string_lossy().into_owned(),
        out.to_string_lossy().into_owned(),
    );
    let o = run(&[
        "report",
        &cfg_s,
        "--emit-sql",
        &out_s,
        "--dialect",
        "spark",
        "-q",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The same queries as `cxm sql` with the settings the config gives each metric (the
    // export's `columns` are left out: the table holds canonical names).
    let nps = run(&[
        "sql",
        "nps",
        "--dialect",
        "spark",
        "--table",
        "cx.responses",
        "--tz",
        "Europe/Berlin",
        "--as-of",
        "2025-03-31",
        "--period",
        "week",
        "--by",
        "region",
        "--since",
        "2025-03-01",
    ]);
    let tickets = run(&[
        "sql",
        "tickets",
        "--dialect",
        "spark",
        "--table",
        "support.tickets",
        "--tz",
        "Europe/Berlin",
        "--as-of",
        "2025-03-31",
        "--period",
        "week",
        "--business-hours",
        "Mon-Fri 09:00-17:00",
        "--sla-resolution",
        "24h",
        "--since",
        "2025-03-01",
    ]);
    assert_eq!(
        std::fs::read_to_string(out.join("nps_by_region.sql")).unwrap(),
        nps.stdout
    );
    assert_eq!(
        std::fs::read_to_string(out.join("tickets.sql")).unwrap(),
        tickets.stdout
    );

    // A source without a table: exit 2, nothing written.
    let out2 = dir.path().join("sql2");
    let o = run(&[
        "report",
        "examples/cxm.toml",
        "--emit-sql",
        &out2.to_string_lossy(),
        "--dialect",
        "duckdb",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("[sources.responses] has no table"),
        "{}",
        o.stderr
    );
    assert!(!out2.exists());
}

#[test]
fn from_aggregates_finishes_the_warehouse_counts() {
    // fixtures/surveys/nps_aggregates.csv: counts per region and month as
    // `cxm sql nps --by region --period month --stage aggregates` returns them.
    // EMEA 2025-01: 3×10, 1×9, 2×7, 2×3 → n 8, P 4, D 2 → NPS 100·(4−2)/8 = 25.
    // EMEA 2025-02: 1×10, 1×0 → NPS 0. AMER 2025-01: 2×8 → NPS 0; AMER 2025-02: none.
    // Blank region 2025-02: 1×9 → 100.
    // All regions 2025-01: n 10, P 4, D 2 → 20; 2025-02: n 3, P 2, D 1 → 33.33…, delta
    // +13.33…. Total: n 13, P 6, D 3 → 100·3/13 = 23.0769…
    let v = crate::util::json_ok(&[
        "nps",
        "--from-aggregates",
        "fixtures/surveys/nps_aggregates.csv",
        "--by",
        "region",
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
    ]);
    let rows = v["rows"].as_array().unwrap();
    let find = |g: serde_json::Value, p: &str| {
        rows.iter()
            .find(|r| r["group"]["region"] == g && r["period"] == p)
            .unwrap_or_else(|| panic!("no row {g} {p}"))
            .clone()
    };
    crate::util::approx(&find("EMEA".into(), "2025-01")["nps"], 25.0);
    assert_eq!(find("EMEA".into(), "2025-01")["blank"], 1);
    crate::util::approx(&find("EMEA".into(), "2025-02")["nps"], 0.0);
    assert_eq!(find("AMER".into(), "2025-02")["n"], 0);
    assert_eq!(find("AMER".into(), "2025-01")["rejected"], 1);
    crate::util::approx(&find(serde_json::Value::Null, "2025-02")["nps"], 100.0);
    let all = rows
        .iter()
        .filter(|r| r["group"].is_null())
        .collect::<Vec<_>>();
    assert_eq!(all.len(), 2);
    crate::util::approx(&all[0]["nps"], 20.0);
    crate::util::approx(&all[1]["nps"], 100.0 / 3.0);
    crate::util::approx(&all[1]["delta"], 100.0 / 3.0 - 20.0);
    crate::util::approx(&v["total"]["nps"], 300.0 / 13.0);
    assert_eq!(v["total"]["n"], 13);
    // One input: the aggregates file, with its used, blank and rejected rows.
    assert_eq!(v["inputs"][0]["rows"], 15);
    assert_eq!(v["inputs"][0]["used"], 13);
    assert_eq!(v["inputs"][0]["blank"], 1);
    assert_eq!(v["inputs"][0]["rejected"], 1);

    // It needs the as-of the query used; other metric families read their rows.
    let o = run(&[
        "nps",
        "--from-aggregates",
        "fixtures/surveys/nps_aggregates.csv",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--from-aggregates needs --as-of"),
        "{}",
        o.stderr
    );
    let o = run(&[
        "churn",
        "--from-aggregates",
        "x.csv",
        "--as-of",
        "2025-01-01",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("--from-aggregates does not apply to cxm churn"),
        "{}",
        o.stderr
    );
    // A file from other options names what is missing.
    let o = run(&[
        "nps",
        "--from-aggregates",
        "fixtures/surveys/nps_aggregates.csv",
        "--by",
        "plan",
        "--as-of",
        "2025-03-31",
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no column \"plan\""), "{}", o.stderr);
}

#[test]
fn tickets_from_aggregates_finishes_the_histograms() {
    // Ticket aggregates as `cxm sql tickets --stage aggregates --by priority` returns them:
    // counts per group, and durations in ms with how many tickets have each.
    // high: 3 used, 2 resolved (1 reopened), FRT 1 h ×2 and 3 h, TTR 2 h and 6 h, one
    // open ticket answered, aged 30 h. low: 1 used, unanswered and open, aged 10 h; 1
    // rejected.
    let csv = "priority,measure,value_ms,count\n\
               high,used,,3\nhigh,resolved,,2\nhigh,reopened,,1\n\
               high,frt,3600000,2\nhigh,frt,10800000,1\n\
               high,ttr,7200000,1\nhigh,ttr,21600000,1\n\
               high,open_age_answered,108000000,1\n\
               low,used,,1\nlow,rejected,,1\nlow,open_age_unanswered,36000000,1\n";
    let (_d, path) = crate::util::temp_file("agg.csv", csv.as_bytes());
    let v = crate::util::json_ok(&[
        "tickets",
        "--from-aggregates",
        &path,
        "--by",
        "priority",
        "--as-of",
        "2025-03-31",
        "--sla-first-response",
        "2h",
        "--sla-resolution",
        "24h",
    ]);
    let high = &v["rows"][0];
    assert_eq!(high["group"]["priority"], "high");
    assert_eq!(high["tickets"], 3);
    assert_eq!(high["open"], 1);
    // FRT sorted 1, 1, 3 h: median 1 h, mean 5/3 h, p90 at position 1.8 → 1 + 0.8·2 = 2.6 h.
    crate::util::approx(&high["frt_median_hours"], 1.0);
    crate::util::approx(&high["frt_mean_hours"], 5.0 / 3.0);
    crate::util::approx(&high["frt_p90_hours"], 2.6);
    // TTR 2 and 6 h: median 4 h; reopen rate 1 of 2 resolved = 50 %.
    crate::util::approx(&high["ttr_median_hours"], 4.0);
    crate::util::approx(&high["reopen_rate"], 50.0);
    // FRT SLA 2 h: one answered ticket over it (3 h) of three known → 33.3 %.
    assert_eq!(high["frt_breached"], 1);
    // TTR SLA 24 h: resolved 2 and 6 h are within; the open one aged 30 h is known late:
    // 1 of 3.
    assert_eq!(high["ttr_breached"], 1);
    crate::util::approx(&high["ttr_breach_pct"], 100.0 / 3.0);
    let low = &v["rows"][1];
    assert_eq!(low["tickets"], 1);
    assert_eq!(low["rejected"], 1);
    // The unanswered open ticket aged 10 h is past the 2 h FRT target: known and breached.
    assert_eq!(low["frt_breached"], 1);
    crate::util::approx(&low["frt_breach_pct"], 100.0);
    assert_eq!(v["total"]["tickets"], 4);
    assert_eq!(v["inputs"][0]["used"], 4);
    assert_eq!(v["inputs"][0]["rejected"], 1);
}

/// Every golden query parses in its dialect's grammar (sqlparser): for BigQuery and
/// Snowflake, which CI cannot run, the only check beyond the text. Spark's goldens are run
/// on Spark by the equivalence suite instead (sqlparser's Spark grammar lacks the backslash
/// escapes Spark string literals have).
#[test]
fn golden_queries_parse_in_their_dialect() {
    use sqlparser::dialect::{
        BigQueryDialect, Dialect, DuckDbDialect, PostgreSqlDialect, SnowflakeDialect,
    };
    let dir = crate::util::root().join("tests/sql");
    let mut parsed = 0;
    let mut failed = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/sql") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let dialect: Box<dyn Dialect> = match name.rsplit('.').nth(1) {
            Some("duckdb") => Box::new(DuckDbDialect {}),
            Some("postgres") => Box::new(PostgreSqlDialect {}),
            Some("bigquery") => Box::new(BigQueryDialect {}),
            Some("snowflake") => Box::new(SnowflakeDialect {}),
            _ => continue,
        };
        let text = std::fs::read_to_string(&path).expect("golden");
        match sqlparser::parser::Parser::parse_sql(&*dialect, &text) {
            Ok(statements) if statements.len() == 1 => parsed += 1,
            Ok(statements) => failed.push(format!("{name}: {} statements", statements.len())),
            Err(e) => failed.push(format!("{name}: {e}")),
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    // 12 queries in 4 dialects.
    assert_eq!(parsed, 48);
}
