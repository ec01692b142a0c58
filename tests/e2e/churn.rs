//! `cxm churn` and `cxm retention` through the binary. Expected figures are worked out by
//! hand from the fixture rows (listed here), not copied from the program's output.

use serde_json::{json, Value};

use crate::util::*;

// fixtures/subscriptions/stripe.csv (Stripe Dashboard subscriptions CSV shape; times are
// naive `(UTC)` columns, all at 00:00). Amount × Quantity per Interval → monthly MRR.
//   line sub  customer plan   MRR    start        end (effective)            notes
//   2    01   A        Basic   50    01-05        –
//   3    02   B        Basic   50    01-10        03-15 (upgrade)
//   4    03   B        Pro    120    03-15        –
//   5    04   C        Pro    120    01-20        02-28 ended (canceled 02-10)   too_expensive
//   6    05   D        Team   100    02-01 00:00  –           1,200/year → 100/month
//   7    06   E        Basic   50    02-03        02-20 (canceled, Ended At blank → Canceled At)
//   8    07   F        Basic   50    01-15        02-05       blank reason
//   9    08   F        Basic   50    04-02        –           win-back
//   10   09   G        Basic  100    01-25        –           2 × 50
//   11   10   G        Addon   30    02-10        04-10
//   12   11   H        Pro    120    trialing → filtered
//   13   12   I        Pro    120    03-15 (trial end; created 03-01)  04-01 00:00   switched_service
//   14   13   J        Pro    120    01-08        03-20 (downgrade)
//   15   14   J        Basic   50    03-20        –
//   16   15   K        Amount -50.00 → rejected negative_mrr
//   17   16   L        ended 03-01 before started 03-10 → rejected end_before_start
//   18   17   M        Basic   50    05-05 00:00  –           the latest time: as-of 2025-05-05
// Rows 17: used 14, rejected 2, filtered 1.
// Active at Feb 1: A50 B50 C120 F50 G100 J120 = 6, 490.00 (D starts exactly at Feb 1: not yet).
// Active at Mar 1: A50 B50 D100 G130 J120 = 5, 450.00.
// Active at Apr 1: A50 B120 D100 G130 I120 (ends exactly Apr 1: still active) J50 = 6, 570.00.
// Active at May 1: A50 B120 D100 F50 G100 J50 = 6, 470.00.
// Jan: new 6 (490), signups 6.
// Feb: new D (100), churned C, F (170), expansion G 30; E joins and leaves (signup only);
//   churn 2/6; GRR 320/490; NRR 350/490; quick 130/170; ARPA 90; LTV 90/(1/3) = 270.
// Mar: new I (120), expansion B 70, contraction J 70; churn 0; GRR 380/450; NRR 100; quick 190/70.
// Apr: reactivated F (50), churned I (120), contraction G 30; churn 1/6; GRR = NRR = 420/570;
//   quick 50/150; ARPA 470/6; LTV 470.
fn stripe() -> String {
    fixture("subscriptions/stripe.csv")
}

fn row<'a>(v: &'a Value, group: Option<(&str, &str)>, period: &str) -> &'a Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["period"] == period
                && match group {
                    None => r["group"].is_null(),
                    Some((k, g)) => r["group"][k] == g,
                }
        })
        .unwrap_or_else(|| panic!("no row {group:?} {period}"))
}

#[test]
fn monthly_figures_by_hand() {
    let v = json_ok(&["churn", &stripe()]);
    assert_eq!(v["metric"], "churn");
    assert_eq!(v["as_of"], "2025-05-05T00:00:00+00:00");
    assert_eq!(
        v["inputs"][0],
        json!({"path": stripe(), "rows": 17, "used": 14, "blank": 0, "rejected": 2,
               "filtered": 1, "duplicate": 0})
    );
    let c = &v["definition"]["columns"];
    assert_eq!(c["customer_id"], "Customer ID");
    assert_eq!(c["started_at"], "Start Date (UTC)");
    assert_eq!(c["amount"], "Amount");
    assert_eq!(c["subscription_id"], "id");
    assert_eq!(c["cancel_reason"], "Cancellation Reason");
    let periods: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2025-01", "2025-02", "2025-03", "2025-04"]);

    let jan = row(&v, None, "2025-01");
    assert_eq!(jan["period_start"], "2025-01-01T00:00:00+00:00");
    assert_eq!(jan["period_end"], "2025-02-01T00:00:00+00:00");
    assert_eq!((jan["n"].as_u64(), jan["new"].as_u64()), (Some(0), Some(6)));
    approx(&jan["new_mrr"], 490.0);
    assert!(jan["churn_rate"].is_null() && jan["grr"].is_null() && jan["ltv"].is_null());
    assert_eq!(jan["low_n"], false);

    let feb = row(&v, None, "2025-02");
    for (k, want) in [
        ("customers_start", 6),
        ("customers_end", 5),
        ("new", 1),
        ("reactivated", 0),
        ("churned", 2),
        ("signups", 2),
    ] {
        assert_eq!(feb[k], want, "{k}");
    }
    approx(&feb["churn_rate"], 100.0 / 3.0);
    approx(&feb["retention_rate"], 200.0 / 3.0);
    approx(&feb["mrr_start"], 490.0);
    approx(&feb["mrr_end"], 450.0);
    approx(&feb["new_mrr"], 100.0);
    approx(&feb["expansion_mrr"], 30.0);
    approx(&feb["contraction_mrr"], 0.0);
    approx(&feb["churned_mrr"], 170.0);
    approx(&feb["grr"], 100.0 * 320.0 / 490.0);
    approx(&feb["nrr"], 100.0 * 350.0 / 490.0);
    approx(&feb["quick_ratio"], 130.0 / 170.0);
    approx(&feb["arpa"], 90.0);
    assert!((feb["ltv"].as_f64().unwrap() - 270.0).abs() < 1e-6);

    let mar = row(&v, None, "2025-03");
    assert_eq!((mar["n"].as_u64(), mar["new"].as_u64()), (Some(5), Some(1)));
    approx(&mar["expansion_mrr"], 70.0);
    approx(&mar["contraction_mrr"], 70.0);
    approx(&mar["churn_rate"], 0.0);
    approx(&mar["grr"], 100.0 * 380.0 / 450.0);
    approx(&mar["nrr"], 100.0);
    approx(&mar["quick_ratio"], 190.0 / 70.0);
    assert!(mar["ltv"].is_null());

    let apr = row(&v, None, "2025-04");
    assert_eq!(apr["reactivated"], 1);
    assert_eq!(apr["churned"], 1);
    approx(&apr["reactivation_mrr"], 50.0);
    approx(&apr["churned_mrr"], 120.0);
    approx(&apr["contraction_mrr"], 30.0);
    approx(&apr["mrr_end"], 470.0);
    approx(&apr["grr"], 100.0 * 420.0 / 570.0);

    // The total is the latest complete period, with the number of periods.
    let t = &v["total"];
    assert_eq!(t["periods"], 4);
    assert_eq!(t["period_start"], "2025-04-01T00:00:00+00:00");
    approx(&t["churn_rate"], 100.0 / 6.0);
    approx(&t["arpa"], 470.0 / 6.0);
    assert!((t["ltv"].as_f64().unwrap() - 470.0).abs() < 1e-6);
    // Continuity between periods.
    let rows = v["rows"].as_array().unwrap();
    for w in rows.windows(2) {
        assert_eq!(w[0]["customers_end"], w[1]["customers_start"]);
        approx(&w[1]["mrr_start"], w[0]["mrr_end"].as_f64().unwrap());
    }
}

#[test]
fn partial_period_and_as_of() {
    let v = json_ok(&["churn", &stripe(), "--include-partial"]);
    let may = row(&v, None, "2025-05");
    assert_eq!(may["partial"], true);
    // The partial period's end is its calendar end; its figures stop at as-of (05-05).
    assert_eq!(may["period_end"], "2025-06-01T00:00:00+00:00");
    assert_eq!(v["as_of"], "2025-05-05T00:00:00+00:00");
    // M starts exactly at as-of: included.
    assert_eq!(
        (may["new"].as_u64(), may["customers_end"].as_u64()),
        (Some(1), Some(7))
    );
    // The total stays the latest complete period, and says which.
    assert_eq!(v["total"]["period"], "2025-04");
    assert_eq!(v["total"]["period_start"], "2025-04-01T00:00:00+00:00");
    assert_eq!(v["total"]["period_end"], "2025-05-01T00:00:00+00:00");
    assert_eq!(v["total"]["partial"], false);
    assert_eq!(v["total"]["periods"], 4);
    assert_eq!(v["total"]["churned"], 1);

    // As-of 2025-03-31 (the end of that day): March is the last complete period; G's add-on
    // ending 04-10 has not ended, and F's win-back (04-02) and M have not started.
    let v = json_ok(&["churn", &stripe(), "--as-of", "2025-03-31"]);
    assert_eq!(v["as_of"], "2025-04-01T00:00:00+00:00");
    assert_eq!(v["total"]["periods"], 3);
    assert_eq!(v["total"]["customers_end"], 6);
    assert_eq!(v["inputs"][0]["filtered"], 3);
    assert_eq!(v["inputs"][0]["used"], 12);
}

#[test]
fn by_plan() {
    let v = json_ok(&["churn", &stripe(), "--by", "plan"]);
    // February by the plan of each customer's largest subscription at Feb 1:
    //   Basic A B F G (250.00): F churns, G expands 30, E signs up and leaves (first sub Basic).
    //   Pro C J (240.00): C churns. Team: D is new (its plan at Mar 1).
    let b = row(&v, Some(("plan", "Basic")), "2025-02");
    assert_eq!((b["n"].as_u64(), b["churned"].as_u64()), (Some(4), Some(1)));
    assert_eq!(b["signups"], 1);
    approx(&b["churn_rate"], 25.0);
    approx(&b["mrr_end"], 230.0);
    let p = row(&v, Some(("plan", "Pro")), "2025-02");
    approx(&p["churn_rate"], 50.0);
    let t = row(&v, Some(("plan", "Team")), "2025-02");
    assert_eq!(t["new"], 1);
    // The add-on was never a customer's largest subscription: no rows.
    assert!(!v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["group"]["plan"] == "Addon"));
    // Rows over all plans follow, then the total (all customers, latest period).
    assert_eq!(row(&v, None, "2025-02")["churned"], 2);
    approx(&v["total"]["churn_rate"], 100.0 / 6.0);
    // The identities hold per group.
    for r in v["rows"].as_array().unwrap() {
        let n = |k: &str| r[k].as_i64().unwrap();
        assert_eq!(
            n("customers_end"),
            n("customers_start") + n("new") + n("reactivated") - n("churned")
        );
    }
}

#[test]
fn reasons() {
    let v = json_ok(&["churn", &stripe(), "--reasons"]);
    assert_eq!(
        row(&v, None, "2025-02")["reasons"],
        json!({"(none)": 1, "switched_service": 0, "too_expensive": 1})
    );
    assert_eq!(
        v["total"]["reasons"],
        json!({"(none)": 0, "switched_service": 1, "too_expensive": 0})
    );
    let o = run(&["churn", &stripe(), "--reasons", "--format", "csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let head = o.stdout.lines().next().unwrap();
    assert!(
        head.contains("reason_none,reason_switched_service,reason_too_expensive,low_n"),
        "{head}"
    );
}

#[test]
fn asserts_exit_codes() {
    let o = run(&["churn", &stripe(), "--assert", "churn_rate <= 3"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("assert failed: churn_rate <= 3"),
        "{}",
        o.stderr
    );
    let o = run(&["churn", &stripe(), "--assert", "churn_rate <= 20", "-q"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // latest. checks the last complete period too; with --by the over-all row.
    let o = run(&[
        "churn",
        &stripe(),
        "--by",
        "plan",
        "--assert",
        "latest.nrr >= 70",
        "--assert",
        "periods == 4",
        "-q",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(&["churn", &stripe(), "--assert", "chrun_rate <= 3"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("Did you mean \"churn_rate\""),
        "{}",
        o.stderr
    );
    // --min-n: the latest period has 6 customers.
    let o = run(&[
        "churn",
        &stripe(),
        "--min-n",
        "10",
        "--assert",
        "churn_rate <= 20",
        "-q",
    ]);
    assert_eq!(o.code, 1);
}

#[test]
fn strict_and_rejects() {
    let o = run(&["churn", &stripe(), "--strict"]);
    assert_eq!(o.code, 2);
    // The detected preset's note comes first; the error is one line.
    assert!(o
        .stderr
        .starts_with("cxm: note: detected the stripe export format"));
    let errors: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| !l.starts_with("cxm: note:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", o.stderr);
    assert!(
        errors[0].starts_with("cxm: error: ")
            && o.stderr.contains("stripe.csv:16:Amount")
            && o.stderr.contains("negative_mrr"),
        "{}",
        o.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let rej = dir.path().join("rejects.csv");
    let o = run(&["churn", &stripe(), "--rejects", rej.to_str().unwrap(), "-q"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(&rej).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    let pos = |n: &str| h.iter().position(|x| x == n).unwrap();
    let recs: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(recs.len(), 2);
    assert_eq!(&recs[0][pos("id")], "sub_15");
    assert_eq!(&recs[0][pos("cxm_line")], "16");
    assert!(recs[0][pos("cxm_reason")].starts_with("negative_mrr: "));
    assert_eq!(&recs[1][pos("cxm_line")], "17");
    assert!(recs[1][pos("cxm_reason")].starts_with("end_before_start: "));
}

#[test]
fn formats() {
    let o = run(&["churn", &stripe(), "--format", "csv"]);
    assert_eq!(o.code, 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines[0].starts_with("period,partial,period_start,period_end,n,customers_start"));
    assert_eq!(lines.len(), 6, "4 periods + header + total");
    assert!(lines[2].starts_with("2025-02,false,"));
    let o = run(&["churn", &stripe()]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.starts_with("CHURN\n"), "{}", o.stdout);
    assert!(o.stdout.contains("2025-02") && o.stdout.contains("33.3%"));
    assert!(o
        .stderr
        .contains("stripe.csv: 17 rows, 14 used, 0 blank, 2 rejected, 1 filtered"));
    let o = run(&["churn", &stripe(), "--format", "markdown", "-q"]);
    assert!(o.stdout.starts_with("### CHURN"), "{}", o.stdout);
}

#[test]
fn currencies_and_mapping() {
    let csv = "customer,start,mrr,currency\nc1,2025-01-03,10,usd\nc2,2025-01-04,20,eur\nc1,2025-03-05,5,usd\n";
    let (_d, p) = temp_file("subs.csv", csv.as_bytes());
    let o = run(&["churn", &p]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("several currencies") && o.stderr.contains("--by currency"));
    let v = json_ok(&["churn", &p, "--by", "currency", "-q"]);
    approx(
        &row(&v, Some(("currency", "eur")), "2025-02")["mrr_start"],
        20.0,
    );
    approx(
        &row(&v, Some(("currency", "usd")), "2025-02")["mrr_start"],
        10.0,
    );
    // Without money columns the MRR fields are null and counts still compute.
    let csv = "Customer ID,Start Date,End Date\nc1,2025-01-03,2025-02-10\nc2,2025-01-04,\nc3,2025-03-02,\n";
    let (_d, p) = temp_file("subs.csv", csv.as_bytes());
    let o = run(&["churn", &p, "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = o.json();
    assert!(o.stderr.contains("MRR fields are null"));
    let feb = row(&v, None, "2025-02");
    assert_eq!(
        (feb["n"].as_u64(), feb["churned"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(feb["mrr_start"].is_null() && feb["grr"].is_null());
    // A missing required column names it.
    let (_d, p) = temp_file("x.csv", b"who,when\na,2025-01-01\n");
    let o = run(&["churn", &p]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("no column \"customer_id\""),
        "{}",
        o.stderr
    );
}

#[test]
fn retention_matrix() {
    // Cohorts by first start: Jan A B C F G J (6); Feb D E (2); Mar I (1); Apr none; May M.
    // Known boundaries up to May 1 (as-of May 5): offsets 0..3.
    // Jan: active at Feb 1 6, Mar 1 A B G J 4, Apr 1 4, May 1 (+F back) 5.
    // Feb: D only at Mar/Apr/May 1. Mar: I at Apr 1, gone at May 1.
    let v = json_ok(&["retention", &stripe()]);
    assert_eq!(v["rows"], json!([]));
    let co = v["cohorts"].as_array().unwrap();
    assert_eq!(co.len(), 5);
    assert_eq!(co[0]["cohort"], "2025-01");
    assert_eq!(co[0]["size"], 6);
    assert_eq!(co[0]["retained"], json!([6, 4, 4, 5]));
    approx(&co[0]["pct"][1], 200.0 / 3.0);
    assert_eq!(co[1]["retained"], json!([1, 1, 1, null]));
    assert_eq!(co[2]["retained"], json!([1, 0, null, null]));
    assert_eq!(co[3]["size"], 0);
    assert_eq!(co[4]["pct"], json!([null, null, null, null]));
    // all: size-weighted over the cohorts whose cell is known.
    let all = &v["all"]["pct"];
    approx(&all[0], 100.0 * 8.0 / 9.0);
    approx(&all[1], 100.0 * 5.0 / 9.0);
    approx(&all[2], 100.0 * 5.0 / 8.0);
    approx(&all[3], 100.0 * 5.0 / 6.0);
    assert_eq!(v["total"]["n"], 10);

    // Revenue: Jan cohort 490.00 at the end of January; 370.00 at May 1.
    let v = json_ok(&["retention", &stripe(), "--revenue"]);
    let co = &v["cohorts"][0];
    approx(&co["mrr"], 490.0);
    approx(&co["pct"][3], 100.0 * 370.0 / 490.0);

    let o = run(&["retention", &stripe(), "--format", "csv"]);
    assert_eq!(o.code, 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[0], "cohort,offset,size,retained,pct");
    assert_eq!(lines[1], "2025-01,0,6,6,100");
    assert_eq!(lines[4], "2025-01,3,6,5,83.33333333333333");
    assert!(lines.last().unwrap().starts_with("all,3,6,5,83.3"));
    let o = run(&["retention", &stripe()]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("2025-01") && o.stdout.contains("66.7%"));
    assert!(o.stdout.lines().any(|l| l.starts_with("all")));
    let o = run(&["retention", &stripe(), "--by", "plan"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("--by does not apply"));
}

#[test]
fn survival_on_subscriptions() {
    // First spans (days): C 39, E 17, F 21, I 17 (from its trial end) are events; A B D G J M
    // are censored at as-of (M at 0). At 17: 9 at risk, 2 events → 7/9; at 21: 7 at risk →
    // 6/9; at 39: 6 at risk → 5/9; the median is never reached.
    let v = json_ok(&["retention", &stripe(), "--survival"]);
    let t = &v["total"];
    assert_eq!((t["n"].as_u64(), t["events"].as_u64()), (Some(10), Some(4)));
    assert_eq!(t["censored"], 6);
    assert!(t["median"].is_null());
    let s = t["survival"].as_array().unwrap();
    assert_eq!(s.len(), 4);
    approx(&s[0]["t"], 30.0);
    approx(&s[0]["s"], 2.0 / 3.0);
    // Greenwood: (2/3)·sqrt(2/(9·7) + 1/(7·6)) = (2/3)·sqrt(1/18).
    approx(&s[0]["se"], 2.0 / 3.0 * (1.0f64 / 18.0).sqrt());
    approx(&s[1]["s"], 5.0 / 9.0);
    // A 60-day gap lets F's win-back continue its first span: 3 events.
    let v = json_ok(&[
        "retention",
        &stripe(),
        "--survival",
        "--gap",
        "60d",
        "--at",
        "20,40",
    ]);
    assert_eq!(v["total"]["events"], 3);
    approx(&v["total"]["survival"][0]["s"], 7.0 / 9.0);
    let o = run(&["retention", &stripe(), "--survival", "--format", "csv"]);
    assert!(
        o.stdout.starts_with("t,s,se\n30,0.6666666666666666,"),
        "{}",
        o.stdout
    );
}

#[test]
fn csv_names_each_column_once_and_the_total_carries_its_period() {
    let o = run(&[
        "churn",
        "examples/subscriptions.csv",
        "--as-of",
        "2025-03-31",
        "--format",
        "csv",
        "-q",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let mut seen = std::collections::HashSet::new();
    for h in &header {
        assert!(seen.insert(*h), "column {h} twice in {}", lines[0]);
    }
    assert_eq!(&header[..2], &["period", "partial"]);
    // The total (last line) is the latest complete period, March 2025 at as-of 2025-03-31.
    let total: Vec<&str> = lines.last().unwrap().split(',').collect();
    assert_eq!(&total[..2], &["2025-03", "false"]);
}

// An amount has its currency code and sign before or after the number, never inside it:
// c1 100 and c3 "USD 50" are active all February (MRR 150 at both ends, ARPA 75); c2's
// "12-15" (a range, not -1215) and c4's "12x5" (not 125) are rejected rows.
#[test]
fn an_amount_with_a_sign_inside_is_rejected() {
    let (d, p) = temp_file(
        "subs.csv",
        b"customer_id,started_at,ended_at,mrr\nc1,2025-01-01,,100\nc2,2025-01-01,,12-15\nc3,2025-01-01,,USD 50\nc4,2025-01-01,,12x5\nc5,2025-01-01,,$1.5k\n",
    );
    let r = d.path().join("r.csv").to_string_lossy().into_owned();
    let v = json_ok(&["churn", &p, "--as-of", "2025-03-01", "--rejects", &r]);
    // c2, c4 and c5 (a thousand and a half, not 1.5) are rejected: c1 and c3 remain.
    assert_eq!(v["inputs"][0]["rejected"], 3, "{v}");
    let feb = v["rows"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(feb["period"], "2025-02");
    approx(&feb["mrr_start"], 150.0);
    approx(&feb["mrr_end"], 150.0);
    approx(&feb["arpa"], 75.0);
    let rejects = std::fs::read_to_string(&r).unwrap();
    assert!(
        rejects.contains(r#"c2,2025-01-01,,12-15,"#)
            && rejects.contains(r#"c4,2025-01-01,,12x5,"#)
            && rejects.contains(r#"c5,2025-01-01,,$1.5k,"#)
            && rejects.matches("bad_amount").count() == 3,
        "{rejects}"
    );
}
