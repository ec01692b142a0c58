//! Real vendor layouts that real exports showed (synthetic rows): placeholder dates,
//! detection with a missing typical header, deleted and spam tickets, single-record JSON
//! documents, Intercom's nested `ticket`, exported business durations, and churn totals.
//! Every figure is worked out by hand in the comments.

use serde_json::{json, Value};

use crate::util::*;

const MIN: f64 = 1.0 / 60.0;

fn warnings(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

fn ok(args: &[&str]) -> (Value, String) {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let o = run(&a);
    assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
    (o.json(), o.stderr)
}

// fixtures/tickets/zendesk_admin.csv: a Zendesk admin CSV (Support → export) with
// `Requester id` but no `Requester`, and no calendar `First reply time in minutes`. Naive
// times, read in UTC. Unsolved tickets carry `Solved at` = 1900-01-01 00:00:00.
//   Id   status   created           solved            FRT biz min  full res min (biz)
//   501  Solved   Mon 03-03 09:00   03-03 13:00 (4 h)   30          240 (240)
//   502  Closed   Tue 03-04 10:00   03-05 10:00 (24 h)  60         1440 (480)
//   503  Open     Wed 03-05 09:00   1900-01-01          15
//   504  Pending  Thu 03-06 09:00   1900-01-01          –
//   505  Hold     Thu 03-06 12:00   1900-01-01         120
//   506  New      Fri 03-07 08:00   1900-01-01          –
// All 6 used: resolved 2 (501, 502), open 4 (503–506). Four placeholder cells.
// TTR from the timestamps: 4 h and 24 h → median = mean = 14 h.
fn zendesk_admin() -> String {
    fixture("tickets/zendesk_admin.csv")
}

#[test]
fn placeholder_solved_at_is_blank_and_the_backlog_stays_open() {
    let (v, err) = ok(&["tickets", &zendesk_admin(), "--as-of", "2025-03-10"]);
    // Detected although `Requester` is missing (`Requester id` is there).
    assert!(preset_detected(&err, "zendesk"), "{err}");
    assert_eq!(v["definition"]["preset"], "zendesk");
    assert_eq!(v["definition"]["columns"]["resolved_at"], "Solved at");
    assert_eq!(
        v["inputs"][0],
        json!({"path": zendesk_admin(), "rows": 6, "used": 6, "blank": 0, "rejected": 0,
               "filtered": 0, "duplicate": 0})
    );
    let t = &v["total"];
    assert_eq!((&t["resolved"], &t["open"]), (&2.into(), &4.into()));
    assert_eq!(t["rejected"], 0);
    approx(&t["ttr_median_hours"], 14.0);
    approx(&t["ttr_mean_hours"], 14.0);
    let w = warnings(&v);
    assert!(
        w.contains(
            &"4 resolved_at cells hold 1900-01-01 00:00:00, a placeholder for no date: read as blank"
                .to_string()
        ),
        "{w:?}"
    );
    // No first reply column at all: FRT is null and the warning names both ways to map one.
    assert!(t["frt_median_hours"].is_null());
    assert!(
        w.iter().any(|x| x.contains("first_response_minutes")),
        "{w:?}"
    );
}

#[test]
fn zendesk_admin_csv_is_detected_without_requester() {
    assert_eq!(inspected_preset(&zendesk_admin()), "zendesk");
    // inspect counts the placeholders as nulls and names them.
    let d = json_ok(&["inspect", &zendesk_admin()]);
    let solved = d["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Solved at")
        .unwrap();
    assert_eq!(
        (&solved["type"], &solved["nulls"]),
        (&"datetime".into(), &4.into())
    );
    assert!(
        d["warnings"].as_array().unwrap().contains(&json!(
            "column \"Solved at\": 4 cells hold 1900-01-01 00:00:00, a placeholder for no date; the metric commands read them as blank"
        )),
        "{}",
        d["warnings"]
    );
    // Two typical headers only (Id, Created at + Requester, Subject): not Zendesk.
    let (_d, f) = temp_file(
        "plain.csv",
        b"Id,Requester,Subject,Created at\n1,Ana,Hi,2025-03-03 09:00\n",
    );
    assert!(inspected_preset(&f).is_null());
}

// --use-exported-durations with --business-hours: the first reply comes from
// `First reply time in minutes within business hours` (the only first reply column), the
// resolution from `Full resolution time in minutes within business hours`.
//   FRT business minutes 30, 60, 15, 120 (503 and 505 are open but answered) → sorted
//   15 30 60 120: median (30 + 60) / 2 = 45 min, mean 225 / 4 = 56.25 min.
//   TTR business minutes 240, 480 → 4 h and 8 h: median = mean = 6 h.
#[test]
fn exported_business_durations_from_a_zendesk_admin_csv() {
    let (v, _) = ok(&[
        "tickets",
        &zendesk_admin(),
        "--as-of",
        "2025-03-10",
        "--business-hours",
        "Mon-Fri 09:00-17:00",
        "--use-exported-durations",
    ]);
    let t = &v["total"];
    approx(&t["frt_median_hours"], 45.0 * MIN);
    approx(&t["frt_mean_hours"], 56.25 * MIN);
    approx(&t["ttr_median_hours"], 6.0);
    approx(&t["ttr_mean_hours"], 6.0);
    assert_eq!((&t["resolved"], &t["open"]), (&2.into(), &4.into()));
    assert_eq!(
        v["definition"]["columns"]["first_response_business_minutes"],
        "First reply time in minutes within business hours"
    );
    let w = warnings(&v);
    assert!(!w.iter().any(|x| x.contains("first_response_at")), "{w:?}");
}

// fixtures/tickets/zendesk_incremental_deleted.json: an incremental export page (API JSON,
// side-loaded metric sets) where tickets 3 and 4 are `deleted` and 5 is `spam`.
//   1 solved  03-03 09:00Z, solved 11:00 (2 h), first reply 30 min
//   2 open    03-04 09:00Z, first reply 60 min
//   6 pending 03-05 12:00Z, no reply
// Used 3, filtered 3; resolved 1, open 2 (not 5); FRT 30 and 60 → median = mean = 45 min.
#[test]
fn deleted_and_spam_tickets_are_filtered() {
    let f = fixture("tickets/zendesk_incremental_deleted.json");
    let (v, err) = ok(&["tickets", &f, "--as-of", "2025-03-10"]);
    assert!(preset_detected(&err, "zendesk"), "{err}");
    assert_eq!(
        v["inputs"][0],
        json!({"path": f, "rows": 6, "used": 3, "blank": 0, "rejected": 0,
               "filtered": 3, "duplicate": 0})
    );
    let t = &v["total"];
    assert_eq!((&t["resolved"], &t["open"]), (&1.into(), &2.into()));
    approx(&t["ttr_median_hours"], 2.0);
    approx(&t["frt_median_hours"], 45.0 * MIN);
    approx(&t["frt_mean_hours"], 45.0 * MIN);
    // Without the preset the status column still filters them (any export).
    let (v, _) = ok(&["tickets", &f, "--as-of", "2025-03-10", "--preset", "none"]);
    assert_eq!(v["inputs"][0]["filtered"], 3);
    assert_eq!(v["inputs"][0]["used"], 3);
}

// A JSON document that is one record is one row, bare or wrapped.
#[test]
fn single_record_json_documents_are_one_row() {
    // {"satisfaction_rating": {…}}, score "good" → CSAT 1 of 1 = 100 %.
    let f = fixture("presets/zendesk_rating_wrapped.json");
    let (v, err) = ok(&["csat", &f, "--scale", "binary"]);
    assert!(preset_detected(&err, "zendesk"), "{err}");
    assert_eq!(v["inputs"][0]["rows"], 1);
    assert_eq!(v["total"]["n"], 1);
    approx(&v["total"]["csat"], 100.0);
    // A bare rating, score "bad" → 0 of 1 = 0 %.
    let f = fixture("presets/zendesk_rating_bare.json");
    let (v, _) = ok(&["csat", &f, "--scale", "binary"]);
    assert_eq!(v["total"]["n"], 1);
    approx(&v["total"]["csat"], 0.0);
    // A single Freshdesk API ticket (no stats): one open ticket.
    let f = fixture("tickets/freshdesk_single.json");
    let (v, _) = ok(&["tickets", &f, "--as-of", "2025-03-10"]);
    assert_eq!(v["inputs"][0]["used"], 1);
    assert_eq!(
        (&v["total"]["n"], &v["total"]["open"]),
        (&1.into(), &1.into())
    );
    // A bare Stripe subscription: cus_Z from 2025-01-01, 49.00 a month. As of 03-01 the
    // complete periods are January (new 1) and February (1 → 1, no churn).
    let f = fixture("presets/stripe_single.json");
    let (v, err) = ok(&["churn", &f, "--as-of", "2025-03-01"]);
    assert!(preset_detected(&err, "stripe"), "{err}");
    let t = &v["total"];
    assert_eq!(t["period"], "2025-02");
    assert_eq!(
        (&t["customers_start"], &t["customers_end"]),
        (&1.into(), &1.into())
    );
    approx(&t["mrr_end"], 49.0);
    let jan = &v["rows"][0];
    assert_eq!(
        (&jan["period"], &jan["new"]),
        (&"2025-01".into(), &1.into())
    );
}

// fixtures/tickets/intercom_ticket_field.json: Intercom's list-conversations page, where
// `ticket` is an object on 202 and null elsewhere, and 203 has `statistics: null`.
//   201 closed  03-04 09:00Z, first admin reply 09:30, last close 11:00 (2 h)
//   202 open    03-05 10:00Z, first admin reply 11:00 (1 h); a ticket object
//   203 closed  03-06 10:00Z, no statistics: closed at updated_at 12:00 (2 h)
// Resolved 2, open 1; TTR 2 h, 2 h → median 2 h; FRT 30 and 60 min → median 45 min.
#[test]
fn intercom_nested_ticket_is_not_a_ticket_id() {
    let f = fixture("tickets/intercom_ticket_field.json");
    let (v, err) = ok(&["tickets", &f, "--as-of", "2025-03-10"]);
    assert!(preset_detected(&err, "intercom"), "{err}");
    assert_eq!(v["definition"]["columns"]["ticket_id"], "id");
    assert_eq!(v["inputs"][0]["used"], 3);
    let t = &v["total"];
    assert_eq!((&t["resolved"], &t["open"]), (&2.into(), &1.into()));
    approx(&t["ttr_median_hours"], 2.0);
    approx(&t["frt_median_hours"], 45.0 * MIN);
    // The conversation holding a ticket object stays a conversation (not unwrapped).
    assert_eq!(json_ok(&["inspect", &f])["rows"], 3);
    // Without the preset the nested object does not compete with `id` for ticket_id.
    let (v, _) = ok(&["tickets", &f, "--as-of", "2025-03-10", "--preset", "none"]);
    assert_eq!(v["definition"]["columns"]["ticket_id"], "id");
    assert_eq!(v["inputs"][0]["used"], 3);
}

// fixtures/tickets/intercom_no_statistics.json: `statistics` and `ticket` null in every
// record. 301 closed (03-04 09:00Z → updated 11:00: 2 h), 302 open.
#[test]
fn intercom_is_detected_when_statistics_is_null() {
    let f = fixture("tickets/intercom_no_statistics.json");
    let (v, err) = ok(&["tickets", &f, "--as-of", "2025-03-10"]);
    assert!(preset_detected(&err, "intercom"), "{err}");
    let t = &v["total"];
    assert_eq!((&t["resolved"], &t["open"]), (&1.into(), &1.into()));
    approx(&t["ttr_median_hours"], 2.0);
    assert_eq!(v["definition"]["columns"]["ticket_id"], "id");
}

// fixtures/subscriptions/stripe_zero_length.csv (Stripe Dashboard CSV), 50.00 a month each:
//   sub_z1 cus_A  01-10 → –
//   sub_z2 cus_B  01-20 → 01-20 (ends the instant it starts: never active, but a start)
//   sub_z3 cus_B  03-05 → –      (B's first-ever start is 01-20: reactivated, not new)
//   sub_z4 cus_C  02-14 → 02-14  (only a zero-length subscription: a signup, never active)
// As of 2025-04-01: January, February and March are complete.
//   Jan: new A (50), signups A and B = 2; 0 → 1.
//   Feb: signups C = 1; 1 → 1.
//   Mar: reactivated B (50); 1 → 2; churn 0 %.
#[test]
fn zero_length_subscriptions_are_starts() {
    let f = fixture("subscriptions/stripe_zero_length.csv");
    let (v, _) = ok(&["churn", &f, "--as-of", "2025-04-01"]);
    assert_eq!(
        v["inputs"][0],
        json!({"path": f, "rows": 4, "used": 4, "blank": 0, "rejected": 0,
               "filtered": 0, "duplicate": 0})
    );
    let rows = v["rows"].as_array().unwrap();
    let got: Vec<(&str, u64, u64, u64, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["period"].as_str().unwrap(),
                r["customers_start"].as_u64().unwrap(),
                r["new"].as_u64().unwrap(),
                r["reactivated"].as_u64().unwrap(),
                r["signups"].as_u64().unwrap(),
                r["customers_end"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2025-01", 0, 1, 0, 2, 1),
            ("2025-02", 1, 0, 0, 1, 1),
            ("2025-03", 1, 0, 1, 0, 2),
        ]
    );
    approx(&rows[2]["reactivation_mrr"], 50.0);
    // The total is March, and says so.
    let t = &v["total"];
    assert_eq!(t["period"], "2025-03");
    assert_eq!(t["period_start"], "2025-03-01T00:00:00+00:00");
    assert_eq!(t["period_end"], "2025-04-01T00:00:00+00:00");
    assert_eq!(t["partial"], false);
    assert_eq!(t["periods"], 3);
    assert_eq!(t["reactivated"], 1);
    // --since/--until select the periods reported (a period is kept when it starts in
    // [since, until)); B's January start still makes March a reactivation.
    let (v, _) = ok(&[
        "churn",
        &f,
        "--as-of",
        "2025-04-01",
        "--since",
        "2025-03-01",
        "--until",
        "2025-04-01",
    ]);
    assert_eq!(v["rows"].as_array().unwrap().len(), 1);
    assert_eq!(v["total"]["period"], "2025-03");
    assert_eq!(v["total"]["periods"], 1);
    assert_eq!(v["total"]["reactivated"], 1);
    assert_eq!(v["total"]["new"], 0);
    // Survival: a zero-length subscription forms no active span. A (from 01-10) and B
    // (from 03-05) are censored; C, never active, is not in the curve: n 2, events 0.
    let (v, _) = ok(&["retention", &f, "--survival", "--as-of", "2025-04-01"]);
    let t = &v["total"];
    assert_eq!(
        (&t["n"], &t["events"], &t["censored"]),
        (&2.into(), &0.into(), &2.into())
    );
    // Cohorts by first start, zero-length ones included: January A, B (active at the end
    // of Jan: A; Feb: A; Mar: A, B → 1, 1, 2); February C (never active: 0, 0).
    let (v, _) = ok(&["retention", &f, "--as-of", "2025-04-01"]);
    let sizes: Vec<(&str, u64)> = v["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["cohort"].as_str().unwrap(), c["size"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, [("2025-01", 2), ("2025-02", 1)]);
    assert_eq!(v["cohorts"][0]["retained"], json!([1, 1, 2]));
    assert_eq!(v["cohorts"][1]["retained"], json!([0, 0, null]));
}

// fixtures/surveys/r_write_csv.csv: a data frame written by R's write.csv (row.names =
// FALSE): missing answers are NA. Scores 10, 9, 7, 3, NA, NA, NA, "?".
//   Without flags: 4 rejected (NA × 3, "?"); 3 of 4 are "NA" → the --na-values hint.
//   With --na-values=NA: blank 3, rejected 1; n 4: promoters 2 (10, 9), passive 1 (7),
//   detractor 1 (3) → NPS 100 × (2 − 1) / 4 = 25.
#[test]
fn most_rejects_one_text_suggests_na_values() {
    let f = fixture("surveys/r_write_csv.csv");
    let (v, _) = ok(&["nps", &f]);
    assert_eq!(v["total"]["rejected"], 4);
    let w = warnings(&v);
    assert!(
        w.contains(&"3 of the 4 rejected rows hold \"NA\" in score; if it means no answer, pass --na-values='NA' to count them as blank".to_string()),
        "{w:?}"
    );
    let (v, _) = ok(&["nps", &f, "--na-values=NA"]);
    let t = &v["total"];
    assert_eq!(
        (&t["n"], &t["blank"], &t["rejected"]),
        (&4.into(), &3.into(), &1.into())
    );
    approx(&t["nps"], 25.0);
    assert!(!warnings(&v).iter().any(|x| x.contains("--na-values")));
    // Every answer NA: the error itself carries the hint.
    let (_d0, z) = temp_file("all_na.csv", b"respondent,nps\nr1,NA\nr2,NA\nr3,NA\n");
    let o = run(&["nps", &z]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("no valid nps answer in the inputs (3 rows: 0 blank, 3 rejected)")
            && o.stderr.trim_end().ends_with(
                "3 of the 3 rejected rows hold \"NA\" in score; if it means no answer, pass --na-values='NA' to count them as blank"
            ),
        "{}",
        o.stderr
    );
    // Rejects spread over several texts: no hint ("x", "y", "NA": none is most).
    let (_d, g) = temp_file("spread.csv", b"nps\n9\nx\ny\nNA\n");
    let (v, _) = ok(&["nps", &g]);
    assert_eq!(v["total"]["rejected"], 3);
    assert!(!warnings(&v).iter().any(|x| x.contains("--na-values")));
    // A spreadsheet's "-" in a ticket time column.
    let (_d2, h) = temp_file(
        "sheet.csv",
        b"ticket_id,created_at,resolved_at\n1,2025-03-03 09:00,2025-03-03 10:00\n2,2025-03-03 09:00,-\n3,2025-03-03 09:00,-\n",
    );
    let (v, _) = ok(&["tickets", &h, "--as-of", "2025-03-10"]);
    assert_eq!(v["inputs"][0]["rejected"], 2);
    let w = warnings(&v);
    assert!(
        w.iter()
            .any(|x| x.contains("hold \"-\" in resolved_at") && x.contains("--na-values='-'")),
        "{w:?}"
    );
    // A spreadsheet's "#N/A" in a subscription's MRR: 3 of the 4 rejected rows ("oops" is
    // the fourth); a, the only readable row, stays.
    let (_d3, s) = temp_file(
        "subs.csv",
        b"customer_id,started_at,mrr\na,2025-01-10,10\nb,2025-01-11,#N/A\nc,2025-01-12,#N/A\nd,2025-01-13,#N/A\ne,2025-01-14,oops\n",
    );
    let (v, _) = ok(&["churn", &s, "--as-of", "2025-03-01"]);
    assert_eq!(v["inputs"][0]["rejected"], 4);
    assert!(
        warnings(&v).contains(&"3 of the 4 rejected rows hold \"#N/A\" in mrr; if it means no answer, pass --na-values='#N/A' to count them as blank".to_string()),
        "{:?}",
        warnings(&v)
    );
}

// fixtures/presets/qualtrics_no_nps.csv: a Qualtrics export (19 columns) whose questions
// are a satisfaction rating (Q1) and a comment (Q2): no NPS question. The error says what
// was looked for and lists Q1, Q2 first instead of hiding them among "… (7 more)".
#[test]
fn a_survey_without_an_nps_question_says_so() {
    let f = fixture("presets/qualtrics_no_nps.csv");
    let o = run(&["nps", &f]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let e = o.stderr.lines().last().unwrap();
    assert!(
        e.starts_with(&format!(
            "cxm: error: {f}: no NPS question: no column \"score\" and no \"how likely … recommend\" question; found: Q1, Q2, StartDate, EndDate,"
        )) && e.contains("(7 more)")
            && e.ends_with("Map the NPS question with --col score=\"<column>\""),
        "{e}"
    );
    // CSAT reads the same file once told the question: Q1 4 and 5 on 1–5 → 2 of 2 satisfied.
    let (v, _) = ok(&["csat", &f, "--col", "score=Q1", "--scale", "5"]);
    approx(&v["total"]["csat"], 100.0);
}

// fixtures/presets/qualtrics_legacy.csv: the older Qualtrics layout, `V1`…`V10` names and
// one question-text row (two header rows, no ImportId row). Responses (lines 3–7):
//   R_3… 10, R_1… 9, R_2… 6; R_4… Status 1 (Survey Preview) and R_5… Finished 0: filtered.
// NPS over 10, 9, 6: promoters 2, detractor 1, n 3 → 100 × (2 − 1) / 3 = 33.33….
#[test]
fn legacy_qualtrics_is_a_qualtrics_export() {
    let f = fixture("presets/qualtrics_legacy.csv");
    let i = json_ok(&["inspect", &f]);
    assert_eq!(
        (&i["preset"], &i["header_rows"]),
        (&"qualtrics".into(), &2.into())
    );
    for extra in [&[][..], &["--preset", "qualtrics"][..]] {
        let mut args = vec!["nps", f.as_str()];
        args.extend_from_slice(extra);
        let (v, _) = ok(&args);
        assert_eq!(v["definition"]["columns"]["score"], "Q1");
        assert_eq!(v["definition"]["columns"]["submitted_at"], "EndDate");
        assert_eq!(
            v["inputs"][0],
            json!({"path": f, "rows": 5, "used": 3, "blank": 0, "rejected": 0,
                   "filtered": 2, "duplicate": 0})
        );
        approx(&v["total"]["nps"], 100.0 / 3.0);
    }
}

// A Qualtrics export whose third line is a response, not the ImportId row (header rows and
// data disagree): read as 2 header rows with a note, not "no data rows". One response, 9.
#[test]
fn qualtrics_without_the_import_id_row_says_so() {
    let (_d, f) = temp_file(
        "two_rows.csv",
        b"StartDate,EndDate,Status,Finished,ResponseId,Q1\n\
Start Date,End Date,Response Type,Finished,Response ID,How likely are you to recommend us?\n\
2025-03-03 10:00:00,2025-03-03 10:02:00,IP Address,True,R_1,9\n",
    );
    let (v, err) = ok(&["nps", &f, "--preset", "qualtrics"]);
    assert!(
        err.contains("line 3 is not Qualtrics' ImportId header row")
            && err.contains("2 header rows"),
        "{err}"
    );
    assert_eq!(
        (&v["inputs"][0]["rows"], &v["total"]["n"]),
        (&1.into(), &1.into())
    );
    approx(&v["total"]["nps"], 100.0);
}

// fixtures/presets/chargebee_items.json: Chargebee subscriptions with `plan_amount` and
// `plan_unit_price`; the chargebee preset derives the monthly amount (cxm_mrr), so neither
// is read and `inspect` has no "could both be amount" warning for them.
#[test]
fn inspect_has_no_ambiguity_for_columns_the_preset_decides() {
    let d = json_ok(&["inspect", &fixture("presets/chargebee_items.json")]);
    assert_eq!(d["preset"], "chargebee");
    let m = &d["mapping"]["subscriptions"];
    assert_eq!(m["mrr"], "cxm_mrr");
    assert!(m["amount"].is_null(), "{m}");
    let w = d["warnings"].as_array().unwrap();
    assert!(
        !w.iter()
            .any(|x| x.as_str().unwrap().contains("could both be")),
        "{w:?}"
    );
    // Without the preset the ambiguity is real and still reported.
    let o = run(&[
        "churn",
        &fixture("presets/chargebee_items.json"),
        "--preset",
        "none",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("could both be \"amount\""),
        "{}",
        o.stderr
    );
}

// Warehouse syncs (the tables a connector such as Fivetran writes, exported to CSV): the
// API's fields, flat (`via_channel`, `source_delivered_as`), times as `… UTC`.

// fixtures/warehouse/zendesk_ticket.csv: Zendesk's `ticket` table. 701 open (email),
// 702 solved (web), 703 pending (email), 704 deleted → filtered. The table has no solve
// time, so the three others are open (702 counted in the solved-without-time warning).
#[test]
fn warehouse_zendesk_ticket_table() {
    let f = fixture("warehouse/zendesk_ticket.csv");
    let (v, err) = ok(&["tickets", &f, "--as-of", "2025-03-10", "--by", "channel"]);
    assert!(preset_detected(&err, "zendesk"), "{err}");
    assert_eq!(v["definition"]["columns"]["channel"], "via_channel");
    assert_eq!(
        (&v["inputs"][0]["used"], &v["inputs"][0]["filtered"]),
        (&3.into(), &1.into())
    );
    assert_eq!(v["total"]["open"], 3);
    let email = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"]["channel"] == "email")
        .unwrap();
    assert_eq!(email["open"], 2);
    assert!(warnings(&v)
        .iter()
        .any(|w| w.starts_with("1 tickets have a solved/closed status")));
}

// fixtures/warehouse/intercom_conversation_history.csv: one row per update. 401 open at
// 09:05, closed at 11:00 (created 09:00: 2 h); 402 open; 403 closed at 03-06 12:00, then
// open again at 03-07 09:00. The latest row per id counts: rows 5, duplicate 2; resolved 1
// (401, 2 h), open 2.
#[test]
fn warehouse_intercom_conversation_history() {
    let f = fixture("warehouse/intercom_conversation_history.csv");
    let (v, err) = ok(&["tickets", &f, "--as-of", "2025-03-10"]);
    assert!(preset_detected(&err, "intercom"), "{err}");
    assert_eq!(
        v["inputs"][0],
        json!({"path": f, "rows": 5, "used": 3, "blank": 0, "rejected": 0,
               "filtered": 0, "duplicate": 2})
    );
    let t = &v["total"];
    assert_eq!((&t["resolved"], &t["open"]), (&1.into(), &2.into()));
    approx(&t["ttr_median_hours"], 2.0);
    assert_eq!(v["definition"]["columns"]["channel"], "source_delivered_as");
}

// fixtures/warehouse/recurly_subscription_history.csv: `account_id` (not `account_code`),
// `add_ons_total`, no plan interval (taken from the current period's length), one row per
// change: s2's older row (updated 01-20, 80.00) comes after its current one (updated 03-20)
// and is the duplicate (the latest updated_at wins, not the last row).
//   s1 acct_a 30.00 × 2 + 15.00 add-ons, monthly       = 75
//   s2 acct_b 100.00 × 1, monthly                      = 100
//   s3 acct_c (1,200.00 + 120.00 add-ons) a year / 12  = 110
// MRR at the end of March: 75 + 100 + 110 = 285, 3 customers.
#[test]
fn warehouse_recurly_subscription_history() {
    let f = fixture("warehouse/recurly_subscription_history.csv");
    let (v, err) = ok(&["churn", &f, "--as-of", "2025-04-01"]);
    assert!(preset_detected(&err, "recurly"), "{err}");
    assert_eq!(v["definition"]["columns"]["customer_id"], "account_id");
    assert_eq!(v["definition"]["columns"]["updated_at"], "updated_at");
    assert_eq!(
        v["inputs"][0],
        json!({"path": f, "rows": 4, "used": 3, "blank": 0, "rejected": 0,
               "filtered": 0, "duplicate": 1})
    );
    let t = &v["total"];
    assert_eq!(t["period"], "2025-03");
    assert_eq!(t["customers_end"], 3);
    approx(&t["mrr_end"], 285.0);
    // Read without the preset, amount × quantity leaves the add-ons out: a warning says so.
    let (v, _) = ok(&[
        "churn",
        &f,
        "--as-of",
        "2025-04-01",
        "--preset",
        "none",
        "--col",
        "subscription_id=uuid",
    ]);
    assert!(
        warnings(&v).iter().any(|w| w.starts_with(
            "column \"add_ons_total\" is not part of MRR (amount × quantity leaves add-ons out)"
        )),
        "{:?}",
        warnings(&v)
    );
}

// fixtures/warehouse/stripe_subscription.csv: Stripe's `subscription` table (no prices).
//   sub_w1 cus_w1 01-08 → –; sub_w2 cus_w2 01-15 → ended 02-20; sub_w3 cus_w3 created 02-03,
//   trial to 02-10 → starts 02-10.
// Jan: new 2, 0 → 2; Feb: new 1 (w3), churned 1 (w2), 2 → 2; Mar: 2 → 2. MRR null.
#[test]
fn warehouse_stripe_subscription_table() {
    let f = fixture("warehouse/stripe_subscription.csv");
    let (v, err) = ok(&["churn", &f, "--as-of", "2025-04-01"]);
    assert!(preset_detected(&err, "stripe"), "{err}");
    assert_eq!(v["definition"]["columns"]["customer_id"], "customer_id");
    assert_eq!(v["definition"]["columns"]["started_at"], "start_date");
    let got: Vec<(u64, u64, u64, u64)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            (
                n("customers_start"),
                n("new"),
                n("churned"),
                n("customers_end"),
            )
        })
        .collect();
    assert_eq!(got, [(0, 2, 0, 2), (2, 1, 1, 2), (2, 0, 0, 2)]);
    assert!(v["total"]["mrr_end"].is_null());
}

// A subscriptions table dumped from a database writes "no end" as 0000-00-00 00:00:00:
//   a 01-10 → (none) 10; b 01-15 → 02-10 20; c 02-01 → (none) 30.
// As of 03-01: February starts with a, b (30) and ends with a, c (40): churned b, new c.
#[test]
fn placeholder_end_dates_in_subscriptions_are_blank() {
    let (_d, f) = temp_file(
        "subs.csv",
        b"customer_id,started_at,ended_at,mrr\n\
a,2025-01-10,0000-00-00 00:00:00,10\n\
b,2025-01-15,2025-02-10,20\n\
c,2025-02-01,0000-00-00 00:00:00,30\n",
    );
    let (v, _) = ok(&["churn", &f, "--as-of", "2025-03-01"]);
    assert_eq!(v["inputs"][0]["used"], 3);
    let t = &v["total"];
    assert_eq!(t["period"], "2025-02");
    assert_eq!(
        (
            &t["customers_start"],
            &t["churned"],
            &t["new"],
            &t["customers_end"]
        ),
        (&2.into(), &1.into(), &1.into(), &2.into())
    );
    approx(&t["mrr_end"], 40.0);
    assert!(
        warnings(&v).contains(
            &"2 ended_at cells hold 0000-00-00 00:00:00, a placeholder for no date: read as blank"
                .to_string()
        ),
        "{:?}",
        warnings(&v)
    );
}

// A survey sheet kept in Excel: a missing date becomes 1899-12-30 (Excel's day 0).
// With --period month those rows have no time: blank; the others are January: 10, 6 → NPS 0.
#[test]
fn placeholder_survey_dates_are_blank() {
    let (_d, f) = temp_file(
        "sheet.csv",
        b"respondent,submitted,nps\nr1,2025-01-05,10\nr2,1899-12-30,9\nr3,2025-01-20,6\nr4,1899-12-30,8\n",
    );
    let (v, _) = ok(&["nps", &f, "--period", "month"]);
    assert_eq!(
        (&v["inputs"][0]["used"], &v["inputs"][0]["blank"]),
        (&2.into(), &2.into())
    );
    approx(&v["total"]["nps"], 0.0);
    assert!(
        warnings(&v).contains(
            &"2 submitted_at cells hold 1899-12-30, a placeholder for no date: read as blank"
                .to_string()
        ),
        "{:?}",
        warnings(&v)
    );
}

// Qualtrics detection tolerates a missing metadata column: fixtures/presets/qualtrics.csv
// without `Status`. Nothing marks R_5 (10) as a preview any more, so it counts; R_6
// (Finished False) is filtered, R_7 rejected. Used: 10, 9, 8, 6, 10, 10, 3 → promoters 4,
// passives 1, detractors 2; NPS = 100 × (4 − 2) / 7 = 28.57….
#[test]
fn qualtrics_without_status_is_still_qualtrics() {
    let text = std::fs::read_to_string(fixture("presets/qualtrics.csv")).unwrap();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut w = csv::Writer::from_writer(Vec::new());
    for rec in r.records() {
        let rec = rec.unwrap();
        let kept: Vec<&str> = rec
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(_, x)| x)
            .collect();
        w.write_record(&kept).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    assert!(String::from_utf8_lossy(&bytes).starts_with("StartDate,EndDate,IPAddress,"));
    let (_d, f) = temp_file("no_status.csv", &bytes);
    let (v, err) = ok(&["nps", &f]);
    assert!(preset_detected(&err, "qualtrics"), "{err}");
    let i = &v["inputs"][0];
    assert_eq!(
        (&i["rows"], &i["used"], &i["filtered"], &i["rejected"]),
        (&9.into(), &7.into(), &1.into(), &1.into())
    );
    approx(&v["total"]["nps"], 200.0 / 7.0);
}
