//! Vendor presets for survey exports (SPEC 5, docs/presets.md): detection, forcing and
//! turning off, multi-row headers, time zones and row filters, with hand-checked figures.

use crate::util::{approx, fixture, json_ok, preset_detected, run, temp_file};

const NOTE: &str = "export format (use --preset none to turn this off)";

fn nps(file: &str, extra: &[&str]) -> (serde_json::Value, String) {
    let mut a = vec!["nps", file, "--format", "json"];
    a.extend_from_slice(extra);
    let o = run(&a);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    (o.json(), o.stderr)
}

#[test]
fn typeform_is_detected_and_reads_the_recommend_question() {
    let (d, err) = nps(&fixture("presets/typeform.csv"), &[]);
    assert!(
        err.contains(&format!("cxm: note: detected the typeform {NOTE}")),
        "{err}"
    );
    // Scores 10 ("10 - Extremely likely"), 9, 9, 8, 7, 6, 3, 10: promoters 4 (10, 9, 9, 10),
    // passives 2 (8, 7), detractors 2 (6, 3); NPS = 100 × (4 − 2) / 8 = 25.
    assert_eq!(d["total"]["n"], 8);
    approx(&d["total"]["nps"], 25.0);
    assert_eq!(d["definition"]["preset"], "typeform");
    assert_eq!(
        d["definition"]["columns"]["submitted_at"],
        "Submit Date (UTC)"
    );
    assert!(d["definition"]["columns"]["score"]
        .as_str()
        .unwrap()
        .starts_with("How likely are you to recommend"));
}

#[test]
fn quiet_hides_the_note() {
    let o = run(&["nps", &fixture("presets/typeform.csv"), "-q"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("note:"), "{}", o.stderr);
}

#[test]
fn preset_none_turns_detection_off() {
    // Without the preset the question-text header is no alias of `score`.
    let o = run(&["nps", &fixture("presets/typeform.csv"), "--preset", "none"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(!o.stderr.contains("note:"), "{}", o.stderr);
    assert!(o.stderr.contains("no column \"score\""), "{}", o.stderr);
}

#[test]
fn a_plain_csv_is_detected_as_none() {
    let o = run(&["nps", &fixture("surveys/responses.csv"), "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("note:"), "{}", o.stderr);
    assert!(o.json()["definition"].get("preset").is_none());
}

#[test]
fn preset_typeform_can_be_forced() {
    // No `#` / `Network ID`: not detected; forced, the recommend question and the UTC
    // submit date are mapped. Scores 10, 9, 0: 100 × (2 − 1) / 3 = 33.3.
    let (_d, f) = temp_file(
        "tf.csv",
        b"How likely is it that you would recommend us?,Submit Date (UTC)\n10,2025-01-01 10:00:00\n9,2025-01-02 10:00:00\n0,2025-01-03 10:00:00\n",
    );
    let o = run(&["nps", &f]);
    assert_eq!(o.code, 2, "not detected, so no score column: {}", o.stderr);
    let (d, err) = nps(&f, &["--preset", "typeform"]);
    assert!(!err.contains("note:"), "forced, not detected: {err}");
    assert_eq!(d["total"]["n"], 3);
    approx(&d["total"]["nps"], 100.0 / 3.0);
    // --col still beats the preset: mapping the date column as the score rejects every row.
    let o = run(&[
        "nps",
        &f,
        "--preset",
        "typeform",
        "--col",
        "score=Submit Date (UTC)",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

#[test]
fn unknown_preset_is_an_error_with_did_you_mean() {
    let o = run(&[
        "nps",
        &fixture("presets/typeform.csv"),
        "--preset",
        "qualtrix",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown preset")
            && o.stderr.contains("typeform, delighted")
            && o.stderr.contains("Did you mean \"qualtrics\""),
        "{}",
        o.stderr
    );
}

#[test]
fn qualtrics_three_header_rows_filters_and_physical_lines() {
    let dir = tempfile::tempdir().unwrap();
    let rej = dir.path().join("rej.csv").to_string_lossy().into_owned();
    let (d, err) = nps(&fixture("presets/qualtrics.csv"), &["--rejects", &rej]);
    assert!(
        err.contains(&format!("detected the qualtrics {NOTE}")),
        "{err}"
    );
    // 9 data rows (lines 4–12): R_5 is a "Survey Preview" and R_6 has Finished=False →
    // 2 filtered; R_7 ("Extremely likely") is rejected; used: 10, 9, 8, 6, 10, 3 →
    // promoters 3, passives 1, detractors 2; NPS = 100 × (3 − 2) / 6 = 16.67.
    let i = &d["inputs"][0];
    assert_eq!(i["rows"], 9);
    assert_eq!(i["used"], 6);
    assert_eq!(i["filtered"], 2);
    assert_eq!(i["rejected"], 1);
    approx(&d["total"]["nps"], 100.0 / 6.0);
    // Row-1 short names are the headers; the NPS question was found by its row-2 text.
    assert_eq!(d["definition"]["columns"]["score"], "Q1");
    assert_eq!(d["definition"]["columns"]["submitted_at"], "RecordedDate");
    // The rejected record is on physical line 10 (three header rows, then R_1 … R_7).
    let text = std::fs::read_to_string(&rej).unwrap();
    assert!(text.contains("qualtrics.csv,10,"), "{text}");
}

#[test]
fn qualtrics_zone_from_the_third_header_row_moves_a_period_boundary() {
    let d = json_ok(&[
        "nps",
        &fixture("presets/qualtrics.csv"),
        "--period",
        "month",
        "-q",
    ]);
    // R_1 was recorded 2025-03-31 20:00 America/Denver (MDT, UTC−6) = 2025-04-01 02:00 UTC,
    // so it is April's: March holds 9, 8, 6 (n 3, NPS 0); April 10, 10, 3 (n 3, NPS 33.3).
    // Read as UTC it would be March's (n 4 and n 2).
    let rows = d["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["period"], "2025-03");
    assert_eq!(rows[0]["n"], 3);
    approx(&rows[0]["nps"], 0.0);
    assert_eq!(rows[1]["period"], "2025-04");
    assert_eq!(rows[1]["n"], 3);
    approx(&rows[1]["nps"], 100.0 / 3.0);
}

#[test]
fn surveymonkey_two_header_rows() {
    let (d, err) = nps(&fixture("presets/surveymonkey.csv"), &["--period", "month"]);
    assert!(
        err.contains(&format!("detected the surveymonkey {NOTE}")),
        "{err}"
    );
    // Row 1 forward-filled, then " - " and row 2's text.
    assert_eq!(
        d["definition"]["columns"]["score"],
        "How likely is it that you would recommend Acme to a friend or colleague? - Response"
    );
    // Scores 10, 10, 9, 9, 9, 8, 4, 0: promoters 5, passives 1, detractors 2;
    // NPS = 100 × (5 − 2) / 8 = 37.5. US-style end dates (06/02/2025 09:14:30 AM …) are
    // all June 2025.
    assert_eq!(d["total"]["n"], 8);
    approx(&d["total"]["nps"], 37.5);
    assert_eq!(d["rows"][0]["period"], "2025-06");
    assert_eq!(d["rows"][0]["n"], 8);
}

#[test]
fn delighted_csv_and_json() {
    let (d, err) = nps(&fixture("presets/delighted.csv"), &[]);
    assert!(
        err.contains(&format!("detected the delighted {NOTE}")),
        "{err}"
    );
    // 10, 9, 8, 8, 7, 6, 5, 0: promoters 2, passives 3, detractors 3 → 100 × (2 − 3) / 8.
    assert_eq!(d["total"]["n"], 8);
    approx(&d["total"]["nps"], -12.5);

    let (d, err) = nps(&fixture("presets/delighted.json"), &["--period", "month"]);
    assert!(
        err.contains(&format!("detected the delighted {NOTE}")),
        "{err}"
    );
    // 10, 10, 10, 9, 8, 7, 2, 1: promoters 4, passives 2, detractors 2 → 100 × 2 / 8 = 25.
    // created_at is Unix seconds from 1746093600 (2025-05-01T10:00:00Z), one a day.
    approx(&d["total"]["nps"], 25.0);
    assert_eq!(d["rows"][0]["period"], "2025-05");
    assert_eq!(d["rows"][0]["n"], 8);
}

#[test]
fn zendesk_satisfaction_ratings_are_detected() {
    // An array: good, bad, good, offered (no answer), unoffered (no answer): CSAT = 2 / 3.
    // An API page {"satisfaction_ratings": […], "next_page": …}: good, good, bad: 2 / 3.
    let (_d, array) = temp_file(
        "ratings.json",
        br#"[{"id":1,"ticket_id":10,"requester_id":5,"assignee_id":7,"score":"good","created_at":"2025-01-01T10:00:00Z"},
{"id":2,"ticket_id":11,"requester_id":5,"assignee_id":7,"score":"bad","created_at":"2025-01-02T10:00:00Z"},
{"id":3,"ticket_id":12,"requester_id":6,"assignee_id":7,"score":"good","created_at":"2025-01-03T10:00:00Z"},
{"id":4,"ticket_id":13,"requester_id":6,"assignee_id":7,"score":"offered","created_at":"2025-01-04T10:00:00Z"},
{"id":5,"ticket_id":14,"requester_id":6,"assignee_id":7,"score":"unoffered","created_at":"2025-01-05T10:00:00Z"}]"#,
    );
    let (_d2, page) = temp_file(
        "ratings_page.json",
        br#"{"satisfaction_ratings":[
{"id":1,"ticket_id":10,"requester_id":5,"assignee_id":7,"score":"good","created_at":"2025-01-01T10:00:00Z"},
{"id":2,"ticket_id":11,"requester_id":5,"assignee_id":7,"score":"good","created_at":"2025-01-02T10:00:00Z"},
{"id":3,"ticket_id":12,"requester_id":6,"assignee_id":7,"score":"bad","created_at":"2025-01-03T10:00:00Z"}],
"next_page":null,"previous_page":null,"count":3}"#,
    );
    for f in [&array, &page] {
        let o = run(&["csat", f, "--scale", "binary", "--format", "json"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(preset_detected(&o.stderr, "zendesk"), "{}", o.stderr);
        let d = o.json();
        assert_eq!(d["total"]["n"], 3);
        approx(&d["total"]["csat"], 2.0 / 3.0 * 100.0);
        assert_eq!(d["definition"]["preset"], "zendesk");
    }
}

#[test]
fn inspect_reports_the_preset() {
    let d = json_ok(&["inspect", &fixture("presets/qualtrics.csv"), "-q"]);
    assert_eq!(d["preset"], "qualtrics");
    assert_eq!(d["header_rows"], 3);
    assert_eq!(d["rows"], 9);
    let d = json_ok(&["inspect", &fixture("surveys/responses.csv")]);
    assert_eq!(d["preset"], serde_json::Value::Null);
}
