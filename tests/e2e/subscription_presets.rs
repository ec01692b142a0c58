//! End-to-end tests of the subscription presets (SPEC 5, docs/presets.md): stripe,
//! chargebee and recurly exports through `cxm churn` / `cxm retention`, detection and
//! `--preset`. Every figure is worked out by hand in the comments; all runs use
//! `--as-of 2025-04-01`, so the complete months are January, February and March 2025 and
//! the total is March.

use serde_json::Value;

use crate::util::*;

fn churn(file: &str, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["churn", file, "--as-of", "2025-04-01", "--format", "json"];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    (serde_json::from_str(&o.stdout).unwrap(), o.stderr)
}

#[test]
fn stripe_api_json_sums_items_in_major_units() {
    let f = fixture("presets/stripe.json");
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "stripe"), "{err}");
    assert_eq!(d["definition"]["preset"], "stripe");
    // cus_A: 2 × 29.00 a month + 120.00 a year = 58 + 10 = 68.00 (items in minor units,
    // current periods on the items only). cus_B: 50.00, canceled 10 March. cus_E: 100.00,
    // past_due (still active). cus_C trialing and cus_D incomplete never count: filtered.
    assert_eq!(d["inputs"][0]["used"], 3);
    assert_eq!(d["inputs"][0]["filtered"], 2);
    let t = &d["total"];
    // March: active on 1 March A, B, E (68 + 50 + 100 = 218); on 1 April A, E (168).
    assert_eq!(t["customers_start"], 3);
    assert_eq!(t["churned"], 1);
    approx(&t["mrr_start"], 218.0);
    approx(&t["churned_mrr"], 50.0);
    approx(&t["mrr_end"], 168.0);
    approx(&t["churn_rate"], 100.0 / 3.0);
    assert_eq!(t["periods"], 3);
    // February: E is new with 100.00.
    approx(&d["rows"][1]["new_mrr"], 100.0);
    // --reasons reads cancellation_details.reason.
    let (d, _) = churn(&f, &["--reasons"]);
    assert_eq!(d["total"]["reasons"]["cancellation_requested"], 1);
}

#[test]
fn stripe_json_zero_decimal_currency_and_expanded_customer() {
    // ¥3,000 a quarter (JPY has no minor unit) = ¥1,000 a month; the customer is an
    // expanded object (customer.id).
    let (_d, f) = temp_file(
        "jpy.json",
        br#"{"object":"list","data":[
{"id":"sub_J","object":"subscription","customer":{"id":"cus_J","object":"customer"},"status":"active","start_date":1735689600,
 "items":{"object":"list","data":[{"price":{"unit_amount":3000,"currency":"jpy","recurring":{"interval":"month","interval_count":3}},"quantity":1}]}}]}"#,
    );
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "stripe"), "{err}");
    // Started 2025-01-01 00:00 UTC: not active at the January boundary, new in January.
    approx(&d["rows"][0]["new_mrr"], 1000.0);
    approx(&d["total"]["mrr_end"], 1000.0);
    assert_eq!(d["total"]["customers_end"], 1);
}

#[test]
fn stripe_dashboard_csv_start_variant_reads_utc() {
    let f = fixture("presets/stripe_start.csv");
    // `(UTC)` columns are UTC whatever --input-tz says: sub_2 ends 2025-02-28 20:00 UTC
    // (February); read as Los Angeles time it would be 1 March 04:00 UTC.
    let (d, err) = churn(&f, &["--input-tz", "America/Los_Angeles"]);
    assert!(preset_detected(&err, "stripe"), "{err}");
    // Started from `Start (UTC)`, not `Created (UTC)` (2024-12-20 for sub_1): periods are
    // January–March only.
    assert_eq!(d["total"]["periods"], 3);
    assert_eq!(d["rows"][0]["period"], "2025-01");
    // January: cus_1 30.00 a month, cus_2 240.00 a year = 20.00 → new_mrr 50.
    approx(&d["rows"][0]["new_mrr"], 50.0);
    // February: cus_2 canceled on 28 February (20.00); cus_3 new with 45.00.
    assert_eq!(d["rows"][1]["churned"], 1);
    approx(&d["rows"][1]["churned_mrr"], 20.0);
    approx(&d["rows"][1]["churn_rate"], 50.0);
    // March: cus_1 adds 15.00 on 15 March: expansion 15, 75 → 90. cus_4 trialing: filtered.
    approx(&d["total"]["expansion_mrr"], 15.0);
    approx(&d["total"]["mrr_start"], 75.0);
    approx(&d["total"]["mrr_end"], 90.0);
    assert_eq!(d["inputs"][0]["filtered"], 1);
}

#[test]
fn stripe_dashboard_csv_start_date_variant() {
    // fixtures/subscriptions/stripe.csv has `Start Date (UTC)` and is detected too.
    let f = fixture("subscriptions/stripe.csv");
    let o = run(&["churn", &f, "--format", "json", "--as-of", "2025-06-01"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(preset_detected(&o.stderr, "stripe"), "{}", o.stderr);
    assert_eq!(inspected_preset(&f), "stripe");
}

#[test]
fn chargebee_api_json_plan_prices_and_items() {
    let f = fixture("presets/chargebee.json");
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "chargebee"), "{err}");
    // cust_1: 25.00 × 2 a month = 50 (plan_unit_price in cents); cust_2: 1,200.00 a year =
    // 100 a month, cancelled 5 March; cust_3: items plan 80 + addon 2 × 10 = 100 a month
    // (the one-time charge is not recurring), non_renewing until 15 April (still active).
    // cust_4 in_trial and cust_5 future: filtered.
    assert_eq!(d["inputs"][0]["used"], 3);
    assert_eq!(d["inputs"][0]["filtered"], 2);
    approx(&d["rows"][0]["new_mrr"], 150.0);
    approx(&d["rows"][1]["new_mrr"], 100.0);
    let t = &d["total"];
    approx(&t["mrr_start"], 250.0);
    approx(&t["churned_mrr"], 100.0);
    approx(&t["mrr_end"], 150.0);
    approx(&t["churn_rate"], 100.0 / 3.0);
    let (d, _) = churn(&f, &["--reasons"]);
    assert_eq!(d["total"]["reasons"]["not_paid"], 1);
}

#[test]
fn chargebee_csv_export() {
    let f = fixture("presets/chargebee.csv");
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "chargebee"), "{err}");
    // cust_1: 25.00 × 2 = 50; cust_2: 1,200.00 a year = 100; cust_3: 300.00 every 3 months
    // = 100, non_renewing until 15 May. March: 250 at the start, cust_2 cancelled (100).
    approx(&d["rows"][0]["new_mrr"], 150.0);
    approx(&d["rows"][1]["new_mrr"], 100.0);
    approx(&d["total"]["mrr_start"], 250.0);
    approx(&d["total"]["mrr_end"], 150.0);
    assert_eq!(d["total"]["churned"], 1);
    assert_eq!(d["inputs"][0]["filtered"], 2);
}

#[test]
fn recurly_csv_interval_from_the_current_period() {
    let f = fixture("presets/recurly.csv");
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "recurly"), "{err}");
    assert!(err.contains("has no plan interval"), "{err}");
    // acct-1: 40 EUR, period of 31 days → monthly. acct-2: 360 EUR, period of 365 days →
    // yearly = 30 a month; canceled but runs until expires_at (2026). acct-3: 2 × 40 = 80
    // a month, expired on 20 March. acct-4 future without activation: blank. acct-5 is
    // `active` in a trial until 15 April (Recurly has no trial state): it starts at the
    // trial end, after as-of, so it is filtered.
    approx(&d["rows"][0]["new_mrr"], 150.0);
    let t = &d["total"];
    approx(&t["mrr_start"], 150.0);
    approx(&t["churned_mrr"], 80.0);
    approx(&t["mrr_end"], 70.0);
    assert_eq!(t["churned"], 1);
    assert_eq!(d["inputs"][0]["blank"], 1);
    assert_eq!(d["inputs"][0]["filtered"], 1);
}

#[test]
fn recurly_api_json() {
    let f = fixture("presets/recurly.json");
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "recurly"), "{err}");
    // acct-1 40 a month; acct-2 480 a year = 40, expired 15 March; acct-3 3 × 40 = 120
    // (paused still counts as active).
    approx(&d["rows"][0]["new_mrr"], 80.0);
    approx(&d["rows"][1]["new_mrr"], 120.0);
    approx(&d["total"]["mrr_start"], 200.0);
    approx(&d["total"]["churned_mrr"], 40.0);
    approx(&d["total"]["mrr_end"], 160.0);
}

#[test]
fn retention_reads_presets() {
    // Cohorts of the Stripe API fixture: January (A, B; 68 + 50 = 118.00), February (E).
    // Offsets 0, 1, 2 are the boundaries 1 February, 1 March, 1 April: both, both, then A
    // only (B ended 10 March).
    let f = fixture("presets/stripe.json");
    let o = run(&["retention", &f, "--as-of", "2025-04-01", "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(preset_detected(&o.stderr, "stripe"), "{}", o.stderr);
    let d: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(d["definition"]["preset"], "stripe");
    assert_eq!(d["total"]["cohorts"], 2);
    let jan = &d["cohorts"][0];
    assert_eq!(jan["cohort"], "2025-01");
    assert_eq!(jan["size"], 2);
    approx(&jan["mrr"], 118.0);
    assert_eq!(jan["retained"], serde_json::json!([2, 2, 1]));
}

#[test]
fn subscription_detection_and_preset_choice() {
    for (f, name) in [
        ("presets/stripe.json", "stripe"),
        ("presets/stripe_start.csv", "stripe"),
        ("presets/chargebee.json", "chargebee"),
        ("presets/chargebee.csv", "chargebee"),
        ("presets/recurly.csv", "recurly"),
        ("presets/recurly.json", "recurly"),
    ] {
        assert_eq!(inspected_preset(&fixture(f)), name, "{f}");
    }
    // A plain subscriptions file is no preset.
    let (_d, plain) = temp_file(
        "plain.csv",
        b"customer_id,started_at,ended_at,mrr\nc1,2025-01-05,,10\nc2,2025-01-06,2025-02-10,20\n",
    );
    assert_eq!(inspected_preset(&plain), Value::Null);
    let (d, err) = churn(&plain, &[]);
    assert!(!err.contains("detected the"), "{err}");
    assert!(d["definition"].get("preset").is_none());
    // --preset none: the Stripe CSV is read with the automatic aliases (no note).
    let (_d2, err) = churn(&fixture("presets/stripe_start.csv"), &["--preset", "none"]);
    assert!(!err.contains("detected the"), "{err}");
    // A survey preset on churn, and a subscription preset on nps, are errors.
    let o = run(&["churn", &plain, "--preset", "typeform"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("reads survey exports"), "{}", o.stderr);
    let o = run(&[
        "nps",
        &fixture("surveys/responses.csv"),
        "--preset",
        "stripe",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("the stripe preset reads subscription exports"),
        "{}",
        o.stderr
    );
}

#[test]
fn stripe_basil_item_periods_unpaid_metered_and_paused() {
    // API 2025-03-31.basil: no current_period_end on the subscriptions, only on the items.
    // cus_U unpaid (no canceled_at/ended_at) ends at its item's period end, 10 March;
    // 40.00 a month from 10 January. cus_X incomplete_expired: filtered. cus_M: a metered
    // price (adds 0) + 3 × 10.00 = 30.00 from 20 January. cus_P paused (counts as active),
    // 20.00, starts at its trial end 5 February. cus_Q: metered only, 0.00 from
    // 20 February (active, with no MRR).
    let f = fixture("presets/stripe_basil.json");
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "stripe"), "{err}");
    assert_eq!(d["inputs"][0]["used"], 4);
    assert_eq!(d["inputs"][0]["filtered"], 1);
    assert_eq!(d["inputs"][0]["rejected"], 0);
    // January: U and M new (40 + 30 = 70).
    assert_eq!(d["rows"][0]["new"], 2);
    approx(&d["rows"][0]["new_mrr"], 70.0);
    // February: P (20) and Q (0) new.
    assert_eq!(d["rows"][1]["new"], 2);
    approx(&d["rows"][1]["new_mrr"], 20.0);
    assert_eq!(d["rows"][1]["churned"], 0);
    // March: U, M, P, Q at the start (40 + 30 + 20 + 0 = 90); U ends 10 March.
    let t = &d["total"];
    assert_eq!(t["customers_start"], 4);
    assert_eq!(t["churned"], 1);
    approx(&t["mrr_start"], 90.0);
    approx(&t["churned_mrr"], 40.0);
    approx(&t["mrr_end"], 50.0);
    approx(&t["churn_rate"], 25.0);
}

#[test]
fn chargebee_items_with_their_own_periods_addons_and_transferred() {
    // cust_A (catalog 2.0): 1,200.00 a year plan = 100.00 a month + an addon billed
    // monthly, 4 × 5.00 = 20.00 → 120.00, from 10 January. cust_B (catalog 1.0):
    // plan_amount 30.00 + addon 10.00 = 40.00 a month from 3 February. cust_C transferred to
    // another business entity: filtered. cust_D paused (active): 25.00 from 5 January.
    let f = fixture("presets/chargebee_items.json");
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "chargebee"), "{err}");
    assert_eq!(d["inputs"][0]["used"], 3);
    assert_eq!(d["inputs"][0]["filtered"], 1);
    // January: A and D new (120 + 25 = 145); February: B new (40).
    approx(&d["rows"][0]["new_mrr"], 145.0);
    approx(&d["rows"][1]["new_mrr"], 40.0);
    // March: 3 customers, 185.00, nobody leaves.
    let t = &d["total"];
    assert_eq!(t["customers_start"], 3);
    approx(&t["mrr_start"], 185.0);
    approx(&t["mrr_end"], 185.0);
    approx(&t["churn_rate"], 0.0);
}

#[test]
fn recurly_json_add_ons_and_will_not_renew() {
    // acct-a: (2 × 10.00 + add_ons_total 15.00) a month (period 5 March–5 April, 31 days)
    // = 35.00 from 5 January. acct-b: 60.00 a quarter (20 January–20 April, 90 days) =
    // 20.00 a month; canceled on 15 February but runs until expires_at, 20 April. acct-c:
    // 30.00 a month (28-day period), expired 10 March.
    let f = fixture("presets/recurly_addons.json");
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "recurly"), "{err}");
    // January: a and b new (35 + 20 = 55); February: c new (30).
    approx(&d["rows"][0]["new_mrr"], 55.0);
    approx(&d["rows"][1]["new_mrr"], 30.0);
    // March: 85.00 at the start; c expires (30); b is still active on 1 April.
    let t = &d["total"];
    assert_eq!(t["customers_start"], 3);
    assert_eq!(t["churned"], 1);
    approx(&t["mrr_start"], 85.0);
    approx(&t["churned_mrr"], 30.0);
    approx(&t["mrr_end"], 55.0);
    approx(&t["churn_rate"], 100.0 / 3.0);
    // Retention: cohort January (a, b) is whole at 1 February, 1 March and 1 April;
    // cohort February (c) is 1 at 1 March and 0 at 1 April; its third cell (1 May) lies
    // after as-of: null.
    let o = run(&["retention", &f, "--as-of", "2025-04-01", "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(preset_detected(&o.stderr, "recurly"), "{}", o.stderr);
    let r = o.json();
    assert_eq!(r["cohorts"][0]["size"], 2);
    approx(&r["cohorts"][0]["mrr"], 55.0);
    assert_eq!(r["cohorts"][0]["retained"], serde_json::json!([2, 2, 2]));
    assert_eq!(r["cohorts"][1]["retained"], serde_json::json!([1, 0, null]));
}

#[test]
fn vendor_status_words_in_any_file() {
    // The status vocabulary holds without a preset too (this file is detected as none).
    // Never active: failed (Recurly), transferred (Chargebee), Incomplete Expired (Stripe,
    // as a Dashboard may write it), pending, in_trial, future. Active: past_due,
    // non_renewing (until its ended_at, 15 March), Paused. Unpaid with no ended_at ends at
    // its current_period_end, 10 February.
    let (_d, f) = temp_file(
        "statuses.csv",
        b"customer_id,started_at,ended_at,mrr,status,current_period_end
c1,2025-01-10,,10,failed,
c2,2025-01-10,,10,transferred,
c3,2025-01-10,,10,Incomplete Expired,
c4,2025-01-10,,10,pending,
c5,2025-01-10,,10,in_trial,
c6,2025-01-10,,10,future,
c7,2025-01-10,,10,past_due,
c8,2025-01-10,2025-03-15,10,non_renewing,
c9,2025-01-10,,10,Paused,
c10,2025-01-10,,10,Unpaid,2025-02-10
",
    );
    let (d, err) = churn(&f, &[]);
    assert!(!err.contains("detected the"), "{err}");
    assert_eq!(d["inputs"][0]["used"], 4);
    assert_eq!(d["inputs"][0]["filtered"], 6);
    // January: c7–c10 new (40). February: c10 ends 10 February (1 of 4). March: c8 ends
    // 15 March (1 of 3).
    assert_eq!(d["rows"][0]["new"], 4);
    assert_eq!(d["rows"][1]["churned"], 1);
    approx(&d["rows"][1]["churn_rate"], 25.0);
    assert_eq!(d["total"]["customers_start"], 3);
    assert_eq!(d["total"]["churned"], 1);
    approx(&d["total"]["churn_rate"], 100.0 / 3.0);
    approx(&d["total"]["mrr_end"], 20.0);
}

#[test]
fn new_fixtures_are_detected() {
    for (f, name) in [
        ("presets/stripe_basil.json", "stripe"),
        ("presets/chargebee_items.json", "chargebee"),
        ("presets/recurly_addons.json", "recurly"),
    ] {
        assert_eq!(inspected_preset(&fixture(f)), name, "{f}");
    }
    // inspect shows the derived monthly amount as the preset's mrr column.
    let o = run(&[
        "inspect",
        &fixture("presets/recurly_addons.json"),
        "--format",
        "json",
    ]);
    let d = o.json();
    assert_eq!(d["mapping"]["subscriptions"]["mrr"], "cxm_mrr");
    assert_eq!(d["mapping"]["subscriptions"]["customer_id"], "account.code");
}

#[test]
fn chargebee_csv_bare_names_with_plan_amount_and_a_zero_mrr_column() {
    // Bare API names; plan_amount already holds the quantity (3 × 10.00 = 30.00: not
    // multiplied by plan_quantity again); Chargebee's own `mrr` column (0 without its MRR
    // setting) is not read. c2: 600.00 every 6 months = 100.00 a month, cancelled on
    // 20 February.
    let (_d, f) = temp_file(
        "cb_bare.csv",
        b"id,customer_id,plan_id,plan_quantity,plan_unit_price,plan_amount,billing_period,billing_period_unit,currency_code,status,started_at,current_term_end,cancelled_at,mrr
s1,c1,basic,3,10.00,30.00,1,month,USD,active,2025-01-05 00:00:00,2025-04-05 00:00:00,,0
s2,c2,pro,1,600.00,600.00,6,month,USD,cancelled,2025-01-07 00:00:00,,2025-02-20 00:00:00,0
",
    );
    let (d, err) = churn(&f, &[]);
    assert!(preset_detected(&err, "chargebee"), "{err}");
    // January: 30 + 100 = 130 new. February: c2 leaves (100). March: 30.
    approx(&d["rows"][0]["new_mrr"], 130.0);
    approx(&d["rows"][1]["churned_mrr"], 100.0);
    approx(&d["total"]["mrr_start"], 30.0);
    approx(&d["total"]["mrr_end"], 30.0);
}

#[test]
fn an_amount_mapped_with_col_beats_an_automatic_mrr_column() {
    // 120.00 a year = 10.00 a month with --col amount=price; the automatic `mrr` (0)
    // otherwise.
    let (_d, f) = temp_file(
        "amount.csv",
        b"customer_id,started_at,mrr,price,interval\nc1,2025-01-05,0,120,year\n",
    );
    let o = run(&[
        "churn",
        &f,
        "--as-of",
        "2025-03-01",
        "--format",
        "json",
        "--col",
        "amount=price",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    approx(&o.json()["total"]["mrr_start"], 10.0);
    let (d, _) = churn(&f, &[]);
    approx(&d["total"]["mrr_start"], 0.0);
}
