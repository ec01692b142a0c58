//! JSON and NDJSON inputs read record by record (SPEC 5, 8, 9; issue #11): the same rows give
//! the same figures as CSV whatever the container (NDJSON, array, API page, Stripe and
//! Chargebee lists, NDJSON lines holding pages), whatever the read block size; a broken
//! NDJSON line is a rejected row; a cut-off document is an error naming the byte.

use serde_json::Value;

use crate::util::*;

/// `cxm nps FILE --by person.region` as JSON, with the read block size set (`None`: the
/// default).
fn nps_by_region(file: &str, block: Option<&str>, extra: &[&str]) -> Out {
    let mut c = cmd();
    c.args(["nps", file, "--by", "person.region", "--format", "json"])
        .args(extra);
    if let Some(b) = block {
        c.env("CXM_JSON_BLOCK_BYTES", b);
    }
    let o = c.output().expect("run cxm");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The parts of a report that depend on the rows only (not on the file's name or format).
fn figures(v: &Value) -> Value {
    let i = &v["inputs"][0];
    serde_json::json!({
        "total": v["total"],
        "rows": v["rows"],
        "accounting": [i["rows"], i["used"], i["blank"], i["rejected"], i["filtered"], i["duplicate"]],
    })
}

// fixtures/json/responses.csv and its JSON twins hold the same 8 responses:
//   r1 9 EMEA, r2 10 EMEA, r3 6 AMER, r4 7 AMER, r5 blank EMEA, r6 3 EMEA, r7 "x" AMER, r8 10 AMER
// Valid scores 9 10 6 7 3 10: n 6, promoters 3 (9, 10, 10), detractors 2 (6, 3):
// NPS = 100 × (3 − 2) / 6 = 16.67. Blank 1 (r5), rejected 1 (r7).
// EMEA: 9 10 3 → 100 × (2 − 1) / 3 = 33.33; AMER: 6 7 10 → 100 × (1 − 1) / 3 = 0.
#[test]
fn json_containers_give_the_figures_of_the_same_csv() {
    let csv = nps_by_region(&fixture("json/responses.csv"), None, &[]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let want = figures(&csv.json());
    let t = &want["total"];
    assert_eq!(
        (&t["n"], &t["promoters"], &t["detractors"]),
        (&6.into(), &3.into(), &2.into())
    );
    approx(&t["nps"], 100.0 / 6.0);
    assert_eq!(want["accounting"], serde_json::json!([8, 6, 1, 1, 0, 0]));
    let rows = want["rows"].as_array().unwrap();
    let nps_of = |g: &str| {
        rows.iter()
            .find(|r| r["group"]["person.region"] == g)
            .map(|r| r["nps"].clone())
            .unwrap()
    };
    approx(&nps_of("EMEA"), 100.0 / 3.0);
    approx(&nps_of("AMER"), 0.0);
    for f in [
        "json/responses.ndjson",
        "json/responses_array.json",
        "json/responses_stripe_list.json",
        "json/responses_chargebee_list.json",
        "json/responses_pages.ndjson",
    ] {
        // Blocks of 7 bytes split every record and every page across reads.
        for block in [None, Some("7"), Some("300")] {
            let o = nps_by_region(&fixture(f), block, &[]);
            assert_eq!(o.code, 0, "{f} {block:?}: {}", o.stderr);
            assert_eq!(figures(&o.json()), want, "{f} with block {block:?}");
        }
    }
}

// fixtures/json/responses_broken.ndjson: the 8 responses on lines 1, 2, 4, 5, 8–11, with line
// 3 cut off, line 6 a JSON string and line 7 blank. The two broken lines are rejected
// rows (invalid_json), the blank line is no row: rows 10 = used 6 + blank 1 + rejected 3.
#[test]
fn a_broken_ndjson_line_is_a_rejected_row() {
    let f = fixture("json/responses_broken.ndjson");
    for block in [None, Some("5")] {
        let o = nps_by_region(&f, block, &[]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let v = o.json();
        let i = &v["inputs"][0];
        let got = [&i["rows"], &i["used"], &i["blank"], &i["rejected"]].map(|x| x.as_u64());
        assert_eq!(got, [Some(10), Some(6), Some(1), Some(3)], "{block:?}");
        approx(&v["total"]["nps"], 100.0 / 6.0);
    }
    // --rejects names the physical lines, with the raw text and plain words.
    let dir = tempfile::tempdir().unwrap();
    let rej = dir.path().join("r.csv").to_string_lossy().into_owned();
    let o = nps_by_region(&f, None, &["--rejects", &rej]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(&rej).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let lines: Vec<&str> = recs.iter().map(|x| &x[col("cxm_line")]).collect();
    assert_eq!(lines, ["3", "6", "10"], "{text}");
    assert_eq!(
        &recs[0][col("cxm_reason")],
        "invalid_json: not valid JSON: the line ends before its object is closed (cut off?)"
    );
    assert!(recs[0][col("cxm_raw")].starts_with("{\"response_id\": \"rX\""));
    assert_eq!(
        &recs[1][col("cxm_reason")],
        "invalid_json: the line holds a string, not a JSON object"
    );
    assert_eq!(&recs[1][col("cxm_raw")], "\"just text\"");
    assert!(
        recs[2][col("cxm_reason")].starts_with("invalid_value"),
        "{text}"
    );
    assert!(!text.contains("EOF while parsing"), "{text}");
    // --strict: the first one is an error naming FILE:LINE.
    let o = nps_by_region(&f, None, &["--strict"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("responses_broken.ndjson:3: rejected row (invalid_json: not valid JSON: the line ends before its object is closed (cut off?))"),
        "{}",
        o.stderr
    );
    // A line with a syntax error names the column in plain words.
    let (_d, p) = temp_file("s.ndjson", b"{\"score\": 9}\n{\"score\" 7}\n");
    let v = json_ok(&["nps", &p, "--rejects", &rej]);
    assert_eq!(v["inputs"][0]["rejected"], 1);
    let text = std::fs::read_to_string(&rej).unwrap();
    assert!(
        text.contains("invalid_json: not valid JSON at column 10: a `:` is missing after a key"),
        "{text}"
    );
}

#[test]
fn a_truncated_or_broken_document_is_an_error_naming_the_byte() {
    // An API page cut off inside its third ticket: 2 records read, the file ends at byte 145.
    let page = br#"{"tickets": [{"id": 1, "created_at": "2025-03-03T09:00:00Z"}, {"id": 2, "created_at": "2025-03-03T10:00:00Z"}, {"id": 3, "created_at": "2025-03-0"#;
    assert_eq!(page.len(), 145);
    let (_d, p) = temp_file("export.json", page);
    let o = run(&["tickets", &p]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("export.json: the JSON ends at byte 145 inside record [2] of \"tickets\": the file is truncated; export it again"),
        "{}",
        o.stderr
    );
    // The same page pretty-printed on standard input (sniffed, not named .json).
    let pretty = b"{\n \"tickets\": [\n  {\"id\": 1, \"created_at\": \"2025-03-03T09:00:00Z\"},\n  {\"id\": 2,";
    let o = run_stdin(&["tickets", "-"], Some(pretty));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("<stdin>: the JSON ends at byte 78 inside record [1] of \"tickets\": the file is truncated"),
        "{}",
        o.stderr
    );
    // A broken document: the byte, line and column, in plain words, never serde's text.
    let (_d2, p2) = temp_file("b.json", b"[{\"score\": 9},\n {\"score\" 8}]");
    let o = run(&["nps", &p2]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("b.json:2: invalid JSON at byte 25 (line 2, column 11) inside record [1]: a `:` is missing after a key; fix the file there or export it again"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("expected `:`"), "{}", o.stderr);
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
}

// Nested objects become dotted columns (person.region, usable with --by); arrays stay
// compact JSON text (the group key of --by tags).
#[test]
fn nested_objects_and_arrays() {
    let ndjson = b"{\"score\": 9, \"person\": {\"region\": \"EMEA\", \"plan\": {\"tier\": \"pro\"}}, \"tags\": [\"a\", {\"b\": 1}]}\n\
{\"score\": 3, \"person\": {\"region\": \"AMER\", \"plan\": {\"tier\": \"pro\"}}, \"tags\": []}\n";
    let (_d, p) = temp_file("n.ndjson", ndjson);
    let v = json_ok(&["nps", &p, "--by", "person.plan.tier"]);
    // 9 and 3 in one group: 100 × (1 − 1) / 2 = 0.
    assert_eq!(v["rows"][0]["group"]["person.plan.tier"], "pro");
    assert_eq!(v["rows"][0]["n"], 2);
    let v = json_ok(&["nps", &p, "--by", "tags"]);
    let groups: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group"]["tags"].as_str().unwrap())
        .collect();
    assert!(groups.contains(&"[\"a\",{\"b\":1}]"), "{groups:?}");
    assert!(groups.contains(&"[]"), "{groups:?}");
}

// One response with a 1 MB comment, before and after two small ones: 10, 9, 0 →
// 100 × (2 − 1) / 3 = 33.33, in NDJSON read in 4 KB blocks and in a JSON array.
#[test]
fn a_one_megabyte_string_field() {
    let big = "é".repeat(1 << 19); // 1 MiB of UTF-8
    let lines = [
        serde_json::json!({"score": 10, "comment": "short"}),
        serde_json::json!({"score": 9, "comment": big}),
        serde_json::json!({"score": 0}),
    ];
    let nd: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let (_d, p) = temp_file("big.ndjson", nd.as_bytes());
    let arr = serde_json::to_vec(&Value::Array(lines.to_vec())).unwrap();
    let (_d2, p2) = temp_file("big.json", &arr);
    for (f, block) in [(&p, Some("4096")), (&p, None), (&p2, None)] {
        let mut c = cmd();
        c.args(["nps", f, "--format", "json"]);
        if let Some(b) = block {
            c.env("CXM_JSON_BLOCK_BYTES", b);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["total"]["n"], 3);
        approx(&v["total"]["nps"], 100.0 / 3.0);
    }
}

// A JSON document that is one record is one row, wrapped or bare, for tickets and surveys.
#[test]
fn wrapped_and_bare_single_records() {
    let wrapped = br#"{"ticket": {"id": 7, "created_at": "2025-03-03T09:00:00Z", "solved_at": "2025-03-03T11:00:00Z", "status": "solved"}}"#;
    let bare = br#"{"id": 7, "created_at": "2025-03-03T09:00:00Z", "solved_at": "2025-03-03T11:00:00Z", "status": "solved"}"#;
    for (name, doc) in [("w.json", &wrapped[..]), ("b.json", &bare[..])] {
        let (_d, p) = temp_file(name, doc);
        let v = json_ok(&["tickets", &p, "--as-of", "2025-03-10", "--preset", "none"]);
        assert_eq!(v["inputs"][0]["rows"], 1, "{name}");
        // Resolved 2 h after creation.
        assert_eq!(v["total"]["resolved"], 1, "{name}");
        approx(&v["total"]["ttr_median_hours"], 2.0);
    }
    let (_d, p) = temp_file(
        "s.json",
        br#"{"survey_response": {"score": 10, "comment": "great"}}"#,
    );
    let v = json_ok(&["nps", &p]);
    assert_eq!(
        (&v["inputs"][0]["rows"], &v["total"]["nps"]),
        (&1.into(), &100.0.into())
    );
}

// A Zendesk page whose side-loaded metric_sets come after 300 tickets, in reverse order.
// Ticket t has a first reply after t minutes; ticket 7 is exported twice (updated 03-03,
// then 03-04) and has two metric sets (10, then 40 minutes): the k-th copy gets the k-th
// set, and the later copy (40 min) is the one kept. First replies: 1..300 without 7, plus 40:
// mean (45150 − 7 + 40) / 300 = 150.61 min; sorted, the values up to 40 are 40 (1–6, 8–40 and
// the second 40), so the 150th and 151st are 150 and 151: median 150.5 min.
#[test]
fn zendesk_metric_sets_far_from_their_tickets() {
    let ticket = |id: u32, updated: &str| {
        serde_json::json!({"id": id, "via": {"channel": "web"}, "created_at": "2025-03-03T09:00:00Z",
                           "updated_at": updated, "status": "open"})
    };
    let mut tickets: Vec<Value> = (1..=300)
        .map(|t| ticket(t, "2025-03-03T10:00:00Z"))
        .collect();
    tickets.push(ticket(7, "2025-03-04T10:00:00Z"));
    let set = |id: u32, minutes: u32| {
        serde_json::json!({"id": 9000 + id, "ticket_id": id, "reopens": 0,
                           "reply_time_in_minutes": {"calendar": minutes, "business": minutes}})
    };
    let mut sets: Vec<Value> = (1..=300)
        .rev()
        .filter(|&t| t != 7)
        .map(|t| set(t, t))
        .collect();
    sets.push(set(7, 10));
    sets.push(set(7, 40));
    let page = serde_json::json!({"tickets": tickets, "next_page": null, "metric_sets": sets});
    let (_d, p) = temp_file("z.json", page.to_string().as_bytes());
    let v = json_ok(&["tickets", &p, "--as-of", "2025-03-10"]);
    let i = &v["inputs"][0];
    assert_eq!((&i["rows"], &i["duplicate"]), (&301.into(), &1.into()));
    assert_eq!(v["total"]["n"], 300);
    approx(&v["total"]["frt_mean_hours"], 45183.0 / 300.0 / 60.0);
    approx(&v["total"]["frt_median_hours"], 150.5 / 60.0);
}

// A line with bytes that are not UTF-8 (latin1 "José") is a rejected row (invalid_utf8) when
// it is at most 1 % of the lines: 150 promoters and that line → n 150, rejected 1. With
// the bad line 1 of 2 lines (50 %) the file needs --encoding: an error naming the line.
#[test]
fn an_ndjson_line_that_is_not_utf8() {
    let mut text: Vec<u8> = b"{\"score\": 9}\n".repeat(150);
    text.extend_from_slice(b"{\"score\": 8, \"name\": \"Jos\xe9\"}\n");
    let (_d, p) = temp_file("u.ndjson", &text);
    let v = json_ok(&["nps", &p]);
    let i = &v["inputs"][0];
    assert_eq!((&i["rows"], &i["rejected"]), (&151.into(), &1.into()));
    assert_eq!(v["total"]["n"], 150);
    let (_d2, p2) = temp_file(
        "l.ndjson",
        b"{\"score\": 9}\n{\"score\": 8, \"name\": \"Jos\xe9\"}\n",
    );
    let o = run(&["nps", &p2]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("l.ndjson:2: not valid UTF-8; pass --encoding latin1"),
        "{}",
        o.stderr
    );
}

// One Chargebee list entry as a document ({"subscription": {…}, "customer": {…}}): one row,
// detected as Chargebee. cust_1 from 2025-01-01 12:00Z, 25.00 × 2 = 50 a month, active:
// as of 2025-04-01 the complete months are January (new 50) to March (50 → 50).
#[test]
fn a_wrapped_chargebee_subscription_is_one_row() {
    let list: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("presets/chargebee.json")).unwrap())
            .unwrap();
    let (_d, p) = temp_file("sub.json", list["list"][0].to_string().as_bytes());
    let o = run(&["churn", &p, "--as-of", "2025-04-01", "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(preset_detected(&o.stderr, "chargebee"), "{}", o.stderr);
    let v = o.json();
    assert_eq!(v["inputs"][0]["rows"], 1);
    assert_eq!(v["inputs"][0]["used"], 1);
    approx(&v["rows"][0]["new_mrr"], 50.0);
    approx(&v["total"]["mrr_end"], 50.0);
}
