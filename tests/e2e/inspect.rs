//! `cxm inspect`, `cxm completions`, `cxm man` through the binary.

use serde_json::Value;

use crate::util::*;

fn column<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {doc}"))
}

fn warnings(doc: &Value) -> Vec<String> {
    doc["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("string").to_string())
        .collect()
}

// fixtures/surveys/responses.csv: 12 rows; score has one blank (r06), one `n/a` (r09) and a
// label `10 - Extremely likely` (read as 10); submitted_at mixes RFC 3339, `2025-01-08 14:30`
// and `2025-01-09` (all read); comment is blank in 6 rows.
#[test]
fn inspect_json_survey_responses() {
    let f = fixture("surveys/responses.csv");
    let d = json_ok(&["inspect", &f]);
    assert_eq!(d["path"], f.as_str());
    assert_eq!(d["format"], "csv");
    assert_eq!(d["delimiter"], ",");
    assert_eq!(d["encoding"], "utf-8");
    assert_eq!(d["header_rows"], 1);
    assert_eq!(d["rows"], 12);
    assert_eq!(d["preset"], Value::Null);
    let names: Vec<&str> = d["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["response_id", "submitted_at", "score", "region", "comment"]
    );

    let id = column(&d, "response_id");
    assert_eq!(id["type"], "text");
    assert_eq!(id["nulls"], 0);
    assert_eq!(
        id["samples"],
        serde_json::json!(["r01", "r02", "r03", "r04", "r05"])
    );
    assert_eq!(column(&d, "submitted_at")["type"], "datetime");
    // The majority type: 10 of 11 non-blank scores are integers; `n/a` is named in a warning.
    let score = column(&d, "score");
    assert_eq!(score["type"], "integer");
    assert_eq!(score["nulls"], 1);
    assert_eq!(
        score["samples"],
        serde_json::json!(["10", "9", "8", "6", "10 - Extremely likely"])
    );
    // Samples are distinct, in first-seen order.
    assert_eq!(
        column(&d, "region")["samples"],
        serde_json::json!(["EMEA", "AMER", "APAC"])
    );
    assert_eq!(column(&d, "comment")["nulls"], 6);
    assert_eq!(column(&d, "comment")["type"], "text");

    let m = &d["mapping"];
    assert_eq!(m["surveys"]["score"], "score");
    assert_eq!(m["surveys"]["submitted_at"], "submitted_at");
    assert_eq!(m["surveys"]["response_id"], "response_id");
    // Required columns that are missing are null, not an error.
    assert_eq!(m["tickets"]["created_at"], Value::Null);
    assert_eq!(m["subscriptions"]["customer_id"], Value::Null);
    assert_eq!(m["subscriptions"]["started_at"], Value::Null);

    let w = warnings(&d);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("\"score\"") && w[0].contains("\"n/a\"") && w[0].contains("1 of 11"),
        "{w:?}"
    );
}

#[test]
fn inspect_ticket_mapping_and_duplicate_ids() {
    // zendesk.csv: Id 2 occurs twice (lines 3 and 12).
    let d = json_ok(&["inspect", &fixture("tickets/zendesk.csv")]);
    assert_eq!(d["rows"], 13);
    let t = &d["mapping"]["tickets"];
    assert_eq!(t["created_at"], "Created at");
    assert_eq!(t["ticket_id"], "Id");
    assert_eq!(t["resolved_at"], "Solved at");
    assert_eq!(t["reopens"], "Reopens");
    assert_eq!(t["status"], "Status");
    assert_eq!(t["channel"], "Via");
    assert_eq!(t["first_response_at"], Value::Null);
    assert_eq!(t["first_response_minutes"], "First reply time in minutes");
    assert_eq!(d["mapping"]["surveys"]["score"], Value::Null);
    assert_eq!(column(&d, "Created at")["type"], "datetime");
    assert_eq!(column(&d, "Solved at")["nulls"], 4);
    assert_eq!(column(&d, "Reopens")["type"], "integer");
    let w = warnings(&d);
    assert!(
        w.iter().any(|w| w.contains("\"Id\"")
            && w.contains("ticket_id")
            && w.contains("1 id occurs more than once")
            && w.contains("\"2\" ×2")),
        "{w:?}"
    );
}

#[test]
fn inspect_subscriptions_mapping() {
    let d = json_ok(&["inspect", &fixture("subscriptions/stripe.csv")]);
    let s = &d["mapping"]["subscriptions"];
    assert_eq!(s["customer_id"], "Customer ID");
    assert_eq!(s["started_at"], "Start Date (UTC)");
    assert_eq!(s["ended_at"], "Ended At (UTC)");
    assert_eq!(s["mrr"], Value::Null);
    assert_eq!(s["amount"], "Amount");
    assert_eq!(s["interval"], "Interval");
    assert_eq!(s["subscription_id"], "id");
    assert_eq!(column(&d, "Amount")["type"], "decimal");
    assert_eq!(column(&d, "Quantity")["type"], "integer");
    assert_eq!(warnings(&d), Vec::<String>::new());
}

#[test]
fn inspect_semicolon_file_warns_about_the_delimiter() {
    let d = json_ok(&["inspect", &fixture("surveys/responses_semicolon.csv")]);
    assert_eq!(d["delimiter"], ";");
    assert_eq!(d["rows"], 12);
    assert_eq!(d["mapping"]["surveys"]["score"], "score");
    let w = warnings(&d);
    assert!(
        w.iter()
            .any(|w| w.contains("delimiter is \";\", not a comma")),
        "{w:?}"
    );
}

#[test]
fn inspect_bom_file() {
    let d = json_ok(&["inspect", &fixture("surveys/responses_bom.csv")]);
    assert_eq!(d["encoding"], "utf-8-bom");
    // The BOM is not part of the first column's name.
    assert_eq!(d["columns"][0]["name"], "response_id");
    assert_eq!(d["mapping"]["surveys"]["response_id"], "response_id");
    assert_eq!(column(&d, "score")["nulls"], 1);
    assert!(
        warnings(&d).iter().any(|w| w.contains("byte-order mark")),
        "{d}"
    );
}

#[test]
fn inspect_json_file() {
    let d = json_ok(&["inspect", &fixture("surveys/responses.json")]);
    assert_eq!(d["format"], "json");
    assert_eq!(d["header_rows"], 0);
    assert_eq!(d["delimiter"], Value::Null);
    assert_eq!(d["rows"], 12);
    assert_eq!(column(&d, "score")["type"], "integer");
    assert_eq!(column(&d, "submitted_at")["type"], "datetime");
    assert_eq!(d["mapping"]["surveys"]["score"], "score");
}

#[test]
fn inspect_dirty_file_warnings() {
    let (_d, f) = temp_file(
        "dirty.csv",
        b"Ticket ID,Created,NPS,CSAT,flag,empty\n\
          7,2025-01-06 09:00,9,4,yes,\n\
          7,03/04/2025,10,5,no,\n\
          8,2025-01-08T10:00:00Z,3,2,true,\n\
          9,2025-01-09,8,4,no,\n",
    );
    let d = json_ok(&["inspect", &f]);
    assert_eq!(column(&d, "Created")["type"], "datetime");
    assert_eq!(column(&d, "flag")["type"], "boolean");
    assert_eq!(column(&d, "empty")["type"], "empty");
    assert_eq!(column(&d, "empty")["nulls"], 4);
    assert_eq!(column(&d, "empty")["samples"], serde_json::json!([]));
    assert_eq!(d["mapping"]["tickets"]["created_at"], "Created");
    assert_eq!(d["mapping"]["tickets"]["ticket_id"], "Ticket ID");
    let w = warnings(&d);
    // Mixed date formats: `03/04/2025` is not read without --date-format.
    assert!(
        w.iter().any(|w| w.contains("\"Created\"")
            && w.contains("\"03/04/2025\"")
            && w.contains("--date-format")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("\"Ticket ID\"") && w.contains("\"7\" ×2")),
        "{w:?}"
    );
    // nps reads "NPS", csat reads "CSAT": the score column depends on the metric.
    assert!(
        w.iter()
            .any(|w| w.contains("nps reads \"NPS\"") && w.contains("csat reads \"CSAT\"")),
        "{w:?}"
    );
    // Warnings also go to stderr.
    let o = run(&["inspect", &f, "--format", "json"]);
    assert!(o.stderr.contains("cxm: warning: "), "{}", o.stderr);
}

#[test]
fn inspect_ambiguous_mapping_is_a_warning() {
    let (_d, f) = temp_file("amb.csv", b"rating,Rating \n9,10\n");
    let d = json_ok(&["inspect", &f]);
    assert_eq!(d["mapping"]["surveys"]["score"], Value::Null);
    assert!(
        warnings(&d).iter().any(|w| w.contains("could both be")),
        "{d}"
    );
}

#[test]
fn inspect_sample_limits_rows() {
    let f = fixture("surveys/responses.csv");
    let d = json_ok(&["inspect", &f, "--sample", "3"]);
    assert_eq!(d["rows"], 3);
    assert_eq!(
        column(&d, "response_id")["samples"],
        serde_json::json!(["r01", "r02", "r03"])
    );
    // The first three scores are all integers: no warning about `n/a`.
    assert_eq!(warnings(&d), Vec::<String>::new());
    // The in-memory path (JSON) and standard input honour --sample too.
    let d = json_ok(&[
        "inspect",
        &fixture("surveys/responses.json"),
        "--sample",
        "2",
    ]);
    assert_eq!(d["rows"], 2);
    let data = std::fs::read(&f).expect("fixture");
    let o = run_stdin(
        &["inspect", "-", "--sample", "4", "--format", "json"],
        Some(&data),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let d = o.json();
    assert_eq!(d["path"], "<stdin>");
    assert_eq!(d["rows"], 4);
}

#[test]
fn inspect_table_output() {
    let o = run(&["inspect", &fixture("surveys/responses.csv")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s = &o.stdout;
    for want in [
        "responses.csv",
        "12 rows",
        "preset: none",
        "column",
        "type",
        "nulls",
        "samples",
        "submitted_at",
        "datetime",
        "score ← \"score\"",
        "missing required: created_at",
        "warnings:",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    for line in s.lines() {
        assert!(
            line.trim_end().chars().count() <= 80,
            "line wider than 80: {line:?}"
        );
    }
}

#[test]
fn inspect_errors() {
    let o = run(&["inspect", "no-such-file.csv"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.starts_with("cxm: error: "), "{}", o.stderr);
    let o = run(&[
        "inspect",
        &fixture("surveys/responses.csv"),
        "--format",
        "csv",
    ]);
    assert_eq!(o.code, 2);
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.code, 0, "{shell}: {}", o.stderr);
        assert!(!o.stdout.is_empty(), "{shell}");
        assert!(o.stdout.contains("nps"), "{shell}");
        assert!(o.stdout.contains("inspect"), "{shell}");
    }
}

#[test]
fn completions_unknown_shell_is_a_usage_error() {
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    assert!(
        o.stderr.starts_with("cxm: error: ") && o.stderr.contains("tcsh"),
        "{}",
        o.stderr
    );
}

#[test]
fn man_page() {
    let o = run(&["man"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(".TH"), "{}", o.stdout);
    assert!(o.stdout.contains("cxm"));
    assert!(o.stdout.contains("nps"));
}

#[test]
fn inspect_repeated_column_names() {
    let (_d, f) = temp_file("dup.csv", b"a,a,b\n1,2,3\n");
    let d = json_ok(&["inspect", &f]);
    assert_eq!(d["columns"][0]["samples"], serde_json::json!(["1"]));
    assert_eq!(d["columns"][1]["samples"], serde_json::json!(["2"]));
    assert!(
        warnings(&d)
            .iter()
            .any(|w| w.contains("repeats column names")),
        "{d}"
    );
}
