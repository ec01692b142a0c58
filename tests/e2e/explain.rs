//! `--explain COL` (SPEC 11) through the binary. Every figure is worked out by hand from the
//! fixture rows (in the comments), not copied from the program's output.

use serde_json::{json, Value};

use crate::util::*;

fn close(v: &Value, want: f64, tol: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((x - want).abs() <= tol, "{x} != {want} (tol {tol})");
}

// fixtures/surveys/explain_regions.csv (the worked example of SPEC 11):
//   2025-01: 3 answers (outside the compared months: filtered)
//   2025-02 (A): EMEA 100 = 50 promoters, 30 passives, 20 detractors → NPS 30;
//                AMER 100 = 30 / 40 / 30 → NPS 0;            total 200: (80 − 50)/200 = 15
//   2025-03 (B): EMEA 60 = 27 / 18 / 15 → NPS 20; AMER 120 = 36 / 48 / 36 → 0;
//                APAC 20 = 12 / 6 / 2 → NPS 50 (new);       total 200: (75 − 53)/200 = 11
fn regions() -> String {
    fixture("surveys/explain_regions.csv")
}

fn worked_json(extra: &[&str]) -> Value {
    let f = regions();
    let mut a = vec![
        "nps",
        f.as_str(),
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
        "--explain",
        "region",
    ];
    a.extend_from_slice(extra);
    json_ok(&a)
}

#[test]
fn worked_example_nps_by_region() {
    let v = worked_json(&[]);
    assert_eq!(
        v["definition"]["explain"],
        json!({"column": "region", "method": "kitagawa_1955", "metric": "nps", "p_adjust": "holm"})
    );
    let t = &v["total"];
    assert_eq!(
        (t["period_a"].as_str(), t["period_b"].as_str()),
        (Some("2025-02"), Some("2025-03"))
    );
    close(&t["value_a"], 15.0, 1e-9);
    close(&t["value_b"], 11.0, 1e-9);
    close(&t["delta"], -4.0, 1e-9);
    // Shares moved a lot but net 0; the whole −4 is rate.
    close(&t["mix"], 0.0, 1e-9);
    close(&t["rate"], -4.0, 1e-9);
    // Total Δ: var_A = .4 + .25 − .15² = .6275, var_B = .375 + .265 − .11² = .6279;
    // se = 100·√((.6275 + .6279)/200) = 7.9228; z = −4/7.9228 = −0.5049; p = 0.6136.
    close(&t["p_value"], 0.6136, 1e-4);
    // Rate se: √((0.4·13.0767)² + (0.55·10.4881)²) = 7.7868; p(z = −0.5137) = 0.6075.
    close(&t["rate_se"], 7.7868, 1e-4);
    close(&t["rate_p_value"], 0.6075, 1e-4);
    // χ² of [[100, 100, 0], [60, 120, 20]]: expected [[80, 110, 10], [80, 110, 10]];
    // 2·(400/80 + 100/110 + 100/10) = 31.818; df 2; p = e^(−31.818/2) = 1.2325e-7.
    close(&t["mix_chi2"], 31.818_18, 1e-5);
    assert_eq!(t["mix_df"], 2);
    close(&t["mix_p_value"], 1.2325e-7, 1e-10);
    assert_eq!(
        (t["n_a"].as_u64(), t["n_b"].as_u64()),
        (Some(200), Some(200))
    );
    assert_eq!(t["low_n"], false);

    // Rows by |mix + rate|: EMEA 6.4, APAC 3.7, AMER 1.3. M̄ = 13.
    let rows = v["rows"].as_array().unwrap();
    let keys: Vec<&str> = rows
        .iter()
        .map(|r| r["group"]["region"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["EMEA", "APAC", "AMER"]);
    let (emea, apac, amer) = (&rows[0], &rows[1], &rows[2]);
    // EMEA: shares .5 → .3; mix −0.2·(25 − 13) = −2.4; rate (20 − 30)·0.4 = −4.
    assert_eq!(emea["status"], "both");
    assert_eq!(
        (emea["n_a"].as_u64(), emea["n_b"].as_u64()),
        (Some(100), Some(60))
    );
    close(&emea["share_a"], 0.5, 1e-12);
    close(&emea["share_b"], 0.3, 1e-12);
    close(&emea["value_a"], 30.0, 1e-9);
    close(&emea["value_b"], 20.0, 1e-9);
    close(&emea["delta"], -10.0, 1e-9);
    close(&emea["mix"], -2.4, 1e-9);
    close(&emea["rate"], -4.0, 1e-9);
    // se = 100·√(.61/100 + .66/60) = 13.0767; z = −0.7647; p = 0.4444; se_rate = 0.4·se.
    close(&emea["p_value"], 0.4444, 1e-4);
    close(&emea["se_rate"], 5.2307, 1e-4);
    // Holm over EMEA and AMER: 2·0.4444 = 0.8889.
    close(&emea["p_adjusted"], 0.8889, 1e-4);
    // AMER: mix (0.6 − 0.5)·(0 − 13) = −1.3, rate 0, p 1.
    close(&amer["mix"], -1.3, 1e-9);
    close(&amer["rate"], 0.0, 1e-12);
    close(&amer["p_value"], 1.0, 1e-12);
    close(&amer["p_adjusted"], 1.0, 1e-12);
    // APAC (new): mix 0.1·(50 − 13) = +3.7, rate 0; no A value, delta or test.
    assert_eq!(apac["status"], "new");
    close(&apac["mix"], 3.7, 1e-9);
    close(&apac["rate"], 0.0, 1e-12);
    for k in ["value_a", "delta", "se_rate", "p_value", "p_adjusted"] {
        assert_eq!(apac[k], Value::Null, "{k}");
    }
    close(&apac["value_b"], 50.0, 1e-9);
    // Row accounting: the 3 January answers are filtered.
    let i = &v["inputs"][0];
    assert_eq!(
        (
            i["rows"].as_u64(),
            i["used"].as_u64(),
            i["filtered"].as_u64()
        ),
        (Some(403), Some(400), Some(3))
    );
}

#[test]
fn worked_example_table_prints_the_sums() {
    let f = regions();
    let o = run(&[
        "nps",
        &f,
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
        "--explain",
        "region",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "NPS 2025-02 → 2025-03 by region (Kitagawa: mix + rate = Δ)"
    );
    let line = |start: &str| -> Vec<&str> {
        let l = lines
            .iter()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?} in\n{}", o.stdout));
        l.split_whitespace().collect()
    };
    assert_eq!(
        line("EMEA"),
        [
            "EMEA",
            "100→60",
            "50%→30%",
            "30.0→20.0",
            "-10.0",
            "-2.4",
            "-4.0",
            "0.444",
            "0.889"
        ]
    );
    assert_eq!(
        line("APAC"),
        [
            "APAC",
            "(new)",
            "0→20",
            "0%→10%",
            "–→50.0",
            "–",
            "+3.7",
            "0.0",
            "–",
            "–"
        ]
    );
    assert_eq!(
        line("AMER"),
        [
            "AMER",
            "100→120",
            "50%→60%",
            "0.0→0.0",
            "0.0",
            "-1.3",
            "0.0",
            "1.000",
            "1.000"
        ]
    );
    // Total: −2.4 − 1.3 + 3.7 = 0.0 mix, −4.0 rate; Δ −4.0; p 0.614.
    assert_eq!(
        line("Total"),
        [
            "Total",
            "200→200",
            "15.0→11.0",
            "-4.0",
            "0.0",
            "-4.0",
            "0.614"
        ]
    );
    assert!(o.stdout.contains("χ² 31.8, df 2, p <0.001"), "{}", o.stdout);
    assert!(o.stderr.contains("403 rows, 400 used"), "{}", o.stderr);
}

#[test]
fn asserts_on_the_rate_and_not_on_the_mix() {
    let f = regions();
    let base = [
        "nps",
        &f,
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
        "--explain",
        "region",
        "--format",
        "json",
    ];
    // rate −4: fails `rate >= -3`; mix 0 passes `mix >= -1`.
    let mut a = base.to_vec();
    a.extend(["--assert", "rate >= -3", "--assert", "mix >= -1"]);
    let o = run(&a);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let v = o.json();
    assert_eq!(v["checks"][0]["passed"], false);
    assert_eq!(v["checks"][1]["passed"], true);
    // `latest.` and unknown fields are usage errors.
    for bad in ["latest.rate >= 0", "nps >= 0"] {
        let mut a = base.to_vec();
        a.extend(["--assert", bad]);
        let o = run(&a);
        assert_eq!(o.code, 2, "{bad}: {}", o.stderr);
        assert!(o.stderr.starts_with("cxm: error:"), "{}", o.stderr);
    }
}

#[test]
fn holm_off_and_min_n() {
    let v = worked_json(&["--p-adjust", "none", "--min-n", "50"]);
    assert_eq!(v["definition"]["explain"]["p_adjust"], "none");
    let rows = v["rows"].as_array().unwrap();
    for r in rows {
        assert_eq!(r["p_adjusted"], r["p_value"]);
    }
    // APAC has 20 < 50 answers in B: low_n; EMEA 100 and 60, AMER 100 and 120: not.
    let low: Vec<bool> = rows.iter().map(|r| r["low_n"].as_bool().unwrap()).collect();
    assert_eq!(low, [false, true, false]);
}

#[test]
fn csv_and_markdown_and_html() {
    let f = regions();
    let base = [
        "nps",
        &f,
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
        "--explain",
        "region",
    ];
    let mut a = base.to_vec();
    a.extend(["--format", "csv"]);
    let o = run(&a);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mut lines = o.stdout.lines();
    assert_eq!(
        lines.next().unwrap(),
        "region,status,n_a,n_b,share_a,share_b,value_a,value_b,delta,mix,rate,se_rate,p_value,p_adjusted,low_n,period_a,period_b,rate_se,rate_p_value,mix_chi2,mix_df,mix_p_value"
    );
    assert!(o
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("EMEA,both,100,60,0.5,0.3,30,20,-10,"));
    assert!(o
        .stdout
        .lines()
        .last()
        .unwrap()
        .starts_with("(all),,200,200,,,15,11,-4,"));

    let mut a = base.to_vec();
    a.extend(["--format", "markdown"]);
    let o = run(&a);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains(
            "| EMEA | 100→60 | 50%→30% | 30.0→20.0 | -10.0 | -2.4 | -4.0 | 0.444 | 0.889 |"
        ),
        "{}",
        o.stdout
    );

    let mut a = base.to_vec();
    a.extend(["--format", "html"]);
    let o = run(&a);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("<svg class=\"chart waterfall\""),
        "no waterfall"
    );
    // Start 15.0, steps EMEA mix −2.4, EMEA rate −4.0, APAC mix +3.7, AMER mix −1.3, end 11.0.
    for label in ["EMEA mix", "EMEA rate", "APAC mix", "AMER mix"] {
        assert!(o.stdout.contains(&format!(">{label}<")), "{label}");
    }
    assert!(
        !o.stdout.contains(">APAC rate<"),
        "a zero step is not drawn"
    );
}

// fixtures/surveys/explain_simpson.csv, CSAT 1–5 (satisfied ≥ 4), by channel:
//   2025-W10: chat 80 (72 satisfied, 90 %), email 20 (10, 50 %): 82/100 = 82 %
//   2025-W11: chat 20 (19, 95 %),  email 80 (44, 55 %):          63/100 = 63 %
//   2025-W12: 5 answers (not compared)
// Both channels improve by 5 points; the total falls 19 (Simpson's paradox).
// M̄ = 72.5. chat: rate 5·(0.8 + 0.2)/2 = 2.5, mix (0.2 − 0.8)·(92.5 − 72.5) = −12;
// email: rate 5·0.5 = 2.5, mix 0.6·(52.5 − 72.5) = −12. Σ: rate +5, mix −24 = −19.
#[test]
fn simpsons_paradox_with_compare() {
    let f = fixture("surveys/explain_simpson.csv");
    let v = json_ok(&[
        "csat",
        &f,
        "--period",
        "week",
        "--explain",
        "channel",
        "--compare",
        "2025-W10..2025-W11",
    ]);
    let t = &v["total"];
    assert_eq!(
        (t["period_a"].as_str(), t["period_b"].as_str()),
        (Some("2025-W10"), Some("2025-W11"))
    );
    assert_eq!(v["definition"]["explain"]["metric"], "csat");
    close(&t["value_a"], 82.0, 1e-9);
    close(&t["value_b"], 63.0, 1e-9);
    close(&t["delta"], -19.0, 1e-9);
    close(&t["rate"], 5.0, 1e-9);
    close(&t["mix"], -24.0, 1e-9);
    for r in v["rows"].as_array().unwrap() {
        close(&r["rate"], 2.5, 1e-9);
        close(&r["mix"], -12.0, 1e-9);
    }
    // W12's 5 answers are filtered.
    assert_eq!(v["inputs"][0]["filtered"], 5);
    // Swapped periods negate every part.
    let w = json_ok(&[
        "csat",
        &f,
        "--period",
        "week",
        "--explain",
        "channel",
        "--compare",
        "2025-W11..2025-W10",
    ]);
    close(&w["total"]["rate"], -5.0, 1e-9);
    close(&w["total"]["mix"], 24.0, 1e-9);
}

#[test]
fn usage_errors() {
    let f = regions();
    let cases: &[(&[&str], &str)] = &[
        (&["--explain", "region"], "needs --period"),
        (
            &["--explain", "region", "--period", "month", "--by", "region"],
            "--by",
        ),
        (
            &["--explain", "region", "--period", "month", "--last", "2"],
            "--last",
        ),
        (
            &["--explain", "regoin", "--period", "month"],
            "--explain \"regoin\": no such column",
        ),
        (
            &[
                "--explain",
                "region",
                "--period",
                "month",
                "--compare",
                "2025-2..2025-03",
            ],
            "is not a month label",
        ),
        (
            &[
                "--explain",
                "region",
                "--period",
                "month",
                "--p-adjust",
                "bonferroni",
            ],
            "holm or none",
        ),
        (
            &["--compare", "2025-02..2025-03", "--period", "month"],
            "needs --explain",
        ),
    ];
    for (args, msg) in cases {
        let mut a = vec!["nps", f.as_str()];
        a.extend_from_slice(args);
        let o = run(&a);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(
            o.stderr.starts_with("cxm: error:") && o.stderr.contains(msg),
            "{args:?}: {}",
            o.stderr
        );
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    }
}

#[test]
fn ces_mean_and_pmf() {
    // CES 1–7: A (2025-02): web 2 answers 6, 4 (mean 5); app 2 answers 2, 2 (mean 2) → 3.5.
    // B (2025-03): web 1 answer 7; app 3 answers 3, 3, 3 (mean 3) → (7 + 9)/4 = 4.
    // M̄ = 3.75. web: rate (7 − 5)·(0.5 + 0.25)/2 = 0.75, mix (−0.25)·(6 − 3.75) = −0.5625;
    // app: rate 1·(0.5 + 0.75)/2 = 0.625, mix 0.25·(2.5 − 3.75) = −0.3125. Σ = 0.5 = Δ.
    let csv = "submitted_at,score,app\n2025-02-03,6,web\n2025-02-04,4,web\n2025-02-05,2,ios\n2025-02-06,2,ios\n2025-03-03,7,web\n2025-03-04,3,ios\n2025-03-05,3,ios\n2025-03-06,3,ios\n";
    let (_d, f) = temp_file("ces.csv", csv.as_bytes());
    let v = json_ok(&[
        "ces",
        &f,
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
        "--explain",
        "app",
    ]);
    let t = &v["total"];
    close(&t["delta"], 0.5, 1e-12);
    close(&t["rate"], 1.375, 1e-12);
    close(&t["mix"], -0.875, 1e-12);
    let web = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"]["app"] == "web")
        .unwrap();
    close(&web["rate"], 0.75, 1e-12);
    close(&web["mix"], -0.5625, 1e-12);
    // web B has one answer: no variance, no test.
    assert_eq!(web["p_value"], Value::Null);

    // PMF: A: 2 of 4 very (50 %), all "a"; B: 1 of 4 very (25 %), all "a": rate −25, mix 0.
    let csv = "submitted_at,score,seg\n2025-02-01,very disappointed,a\n2025-02-02,Very disappointed,a\n2025-02-03,not disappointed,a\n2025-02-04,somewhat disappointed,a\n2025-03-01,very disappointed,a\n2025-03-02,not disappointed,a\n2025-03-03,not disappointed,a\n2025-03-04,not disappointed,a\n";
    let (_d, f) = temp_file("pmf.csv", csv.as_bytes());
    let v = json_ok(&[
        "pmf",
        &f,
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
        "--explain",
        "seg",
    ]);
    close(&v["total"]["rate"], -25.0, 1e-12);
    close(&v["total"]["mix"], 0.0, 1e-12);
    assert_eq!(v["total"]["mix_df"], 0);
    assert_eq!(v["total"]["mix_chi2"], Value::Null);
}

// Tickets by team, resolution time (TTR) in hours:
//   2025-02 (A): x 2h, 4h (mean 3); y 10h, 14h (mean 12) → (2 + 4 + 10 + 14)/4 = 7.5
//   2025-03 (B): x 1h, 2h, 3h (mean 2) and one open ticket; y 12h → (1 + 2 + 3 + 12)/4 = 4.5
// Δ −3; M̄ 6. x: rate (2 − 3)·(0.5 + 0.75)/2 = −0.625, mix 0.25·(2.5 − 6) = −0.875;
// y: rate 0, mix (−0.25)·(12 − 6) = −1.5.
const TICKETS: &str = "created_at,resolved_at,team
2025-02-03 09:00,2025-02-03 11:00,x
2025-02-04 09:00,2025-02-04 13:00,x
2025-02-05 08:00,2025-02-05 18:00,y
2025-02-06 08:00,2025-02-06 22:00,y
2025-03-03 09:00,2025-03-03 10:00,x
2025-03-04 09:00,2025-03-04 11:00,x
2025-03-05 09:00,2025-03-05 12:00,x
2025-03-06 09:00,,x
2025-03-07 08:00,2025-03-07 20:00,y
";

#[test]
fn tickets_mean_resolution_time() {
    let (_d, f) = temp_file("t.csv", TICKETS.as_bytes());
    let v = json_ok(&[
        "tickets",
        &f,
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
        "--explain",
        "team",
    ]);
    assert_eq!(v["definition"]["explain"]["metric"], "ttr_mean_hours");
    let t = &v["total"];
    close(&t["value_a"], 7.5, 1e-9);
    close(&t["value_b"], 4.5, 1e-9);
    close(&t["rate"], -0.625, 1e-9);
    close(&t["mix"], -2.375, 1e-9);
    let rows = v["rows"].as_array().unwrap();
    // |−0.625 − 0.875| = 1.5 ties y's |−1.5|: then by key, x before y.
    let x = &rows[0];
    assert_eq!(x["group"]["team"], "x");
    assert_eq!((x["n_a"].as_u64(), x["n_b"].as_u64()), (Some(2), Some(3)));
    close(&x["mix"], -0.875, 1e-9);
    // x: var_A = 2 (sample variance of 2, 4), var_B = 1 (of 1, 2, 3);
    // se = √(2/2 + 1/3) = 1.1547; z = −0.866; p = 0.3865.
    close(&x["p_value"], 0.3865, 1e-4);
    close(&rows[1]["mix"], -1.5, 1e-9);

    // Resolution SLA 5h, breach % over the tickets whose outcome is known:
    // A: x 0 of 2, y 2 of 2 → 2/4 = 50 %; B: x 1 of 4 (the open ticket is 25 days old at
    // as-of), y 1 of 1 → 2/5 = 40 %. Δ −10, M̄ 45. x: rate 25·(0.5 + 0.8)/2 = 16.25,
    // mix (0.8 − 0.5)·(12.5 − 45) = −9.75; y: rate 0, mix (0.2 − 0.5)·(100 − 45) = −16.5.
    let v = json_ok(&[
        "tickets",
        &f,
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
        "--explain",
        "team",
        "--sla-resolution",
        "5h",
        "--explain-metric",
        "ttr_breach_pct",
    ]);
    let t = &v["total"];
    close(&t["value_a"], 50.0, 1e-9);
    close(&t["value_b"], 40.0, 1e-9);
    close(&t["rate"], 16.25, 1e-9);
    close(&t["mix"], -26.25, 1e-9);
    assert_eq!((t["n_a"].as_u64(), t["n_b"].as_u64()), (Some(4), Some(5)));

    // Medians are refused with the hint.
    let o = run(&[
        "tickets",
        &f,
        "--period",
        "month",
        "--explain",
        "team",
        "--explain-metric",
        "ttr_median_hours",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("not a weighted mean") && o.stderr.contains("use ttr_mean_hours"),
        "{}",
        o.stderr
    );
    let o = run(&[
        "tickets",
        &f,
        "--period",
        "month",
        "--explain",
        "team",
        "--explain-metric",
        "frt_breach_pct",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("needs --sla-first-response"),
        "{}",
        o.stderr
    );
}

// Subscriptions by plan (one per customer, no MRR):
//   basic b1–b4 start 2025-01-05; b1 ends 2025-02-10, b2 ends 2025-03-10.
//   pro p1, p2 start 2025-01-07, p1 ends 2025-02-20; p3–p6 start 2025-02-15, p3 ends 2025-03-05.
// Feb (A): basic 4 at start, 1 churned (25 %); pro 2, 1 (50 %): total 2/6 = 33.33 %.
// Mar (B): basic 3, 1 (33.33 %); pro 5, 1 (20 %): total 2/8 = 25 %. Δ = −25/3.
// M̄ = 175/6. basic: rate (25/3)·(4/6 + 3/8)/2 = 625/144, mix (3/8 − 4/6)·(175/6 − 175/6) = 0;
// pro: rate (−30)·(2/6 + 5/8)/2 = −14.375, mix (5/8 − 2/6)·(35 − 175/6) = 245/144.
const SUBS: &str = "customer_id,started_at,ended_at,plan
b1,2025-01-05,2025-02-10,basic
b2,2025-01-05,2025-03-10,basic
b3,2025-01-05,,basic
b4,2025-01-05,,basic
p1,2025-01-07,2025-02-20,pro
p2,2025-01-07,,pro
p3,2025-02-15,2025-03-05,pro
p4,2025-02-15,,pro
p5,2025-02-15,,pro
p6,2025-02-15,,pro
";

#[test]
fn churn_rate_by_plan() {
    let (_d, f) = temp_file("s.csv", SUBS.as_bytes());
    let v = json_ok(&["churn", &f, "--as-of", "2025-03-31", "--explain", "plan"]);
    assert_eq!(v["definition"]["explain"]["metric"], "churn_rate");
    let t = &v["total"];
    assert_eq!(
        (t["period_a"].as_str(), t["period_b"].as_str()),
        (Some("2025-02"), Some("2025-03"))
    );
    close(&t["value_a"], 100.0 / 3.0, 1e-9);
    close(&t["value_b"], 25.0, 1e-9);
    close(&t["delta"], -25.0 / 3.0, 1e-9);
    assert_eq!((t["n_a"].as_u64(), t["n_b"].as_u64()), (Some(6), Some(8)));
    let rows = v["rows"].as_array().unwrap();
    let pro = rows.iter().find(|r| r["group"]["plan"] == "pro").unwrap();
    let basic = rows.iter().find(|r| r["group"]["plan"] == "basic").unwrap();
    close(&basic["rate"], 625.0 / 144.0, 1e-9);
    close(&basic["mix"], 0.0, 1e-9);
    close(&pro["rate"], -14.375, 1e-9);
    close(&pro["mix"], 245.0 / 144.0, 1e-9);
    assert_eq!(rows[0]["group"]["plan"], "pro");
}

#[test]
fn report_config_explain_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("cxm.toml");
    std::fs::write(
        &cfg,
        format!(
            "as_of = \"2025-03-31\"\n[sources.r]\npath = {:?}\n\n[[metrics]]\nname = \"why\"\nkind = \"nps\"\nsource = \"r\"\nperiod = \"month\"\nexplain = \"region\"\n\n[[checks]]\nmetric = \"why\"\nassert = \"rate >= -3\"\n",
            regions()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = run(&[
        "report",
        &cfg.to_string_lossy(),
        "-o",
        &out.to_string_lossy(),
    ]);
    // rate −4 < −3: the check fails, the report is written.
    assert_eq!(o.code, 1, "{}", o.stderr);
    let j: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let m = &j["metrics"]["why"];
    assert_eq!(m["definition"]["explain"]["column"], "region");
    close(&m["total"]["rate"], -4.0, 1e-9);
    assert_eq!(j["checks"][0]["passed"], false);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("chart waterfall"));
    let csv = std::fs::read_to_string(out.join("why.csv")).unwrap();
    assert!(csv.starts_with("region,status,"), "{csv}");
}

#[test]
fn blank_key_is_a_segment() {
    // A: "a" 2 answers (10, 0 → NPS 0), blank 2 (10, 10 → 100): total 50.
    // B: "a" 2 (10, 10 → 100), blank 2 (10, 10 → 100): total 100. Δ 50, shares unchanged:
    // mix 0; rate: a (100 − 0)·0.5 = 50, blank 0.
    let csv = "submitted_at,score,region\n2025-02-01,10,a\n2025-02-02,0,a\n2025-02-03,10,\n2025-02-04,10, \n2025-03-01,10,a\n2025-03-02,10,a\n2025-03-03,10,\n2025-03-04,10,\n";
    let (_d, f) = temp_file("b.csv", csv.as_bytes());
    let args = [
        "nps",
        &f,
        "--period",
        "month",
        "--as-of",
        "2025-03-31",
        "--explain",
        "region",
    ];
    let v = json_ok(&args);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["group"]["region"], "a");
    close(&rows[0]["rate"], 50.0, 1e-9);
    assert_eq!(rows[1]["group"]["region"], Value::Null);
    close(&rows[1]["rate"], 0.0, 1e-12);
    close(&v["total"]["mix"], 0.0, 1e-12);
    let o = run(&args);
    assert!(
        o.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("(blank)")),
        "{}",
        o.stdout
    );
}
