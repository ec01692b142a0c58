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

// ---------------------------------------------------------------------------------------
// The one-pass NDJSON reader (SPEC 8) against the frame path (`CXM_NO_FAST=1`).

/// Whether the command's counting pass went through the one-pass NDJSON reader (its timing
/// line, printed with `CXM_TIMINGS`).
fn read_in_one_pass(args: &[&str]) -> bool {
    let o = run_path(args, false, &[("CXM_TIMINGS", "1")]);
    assert!(o.0 == 0, "{args:?}: {}", o.2);
    o.2.contains("one-pass read (json)")
}

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// A survey export as NDJSON, `n` records (about 5 MB for 30,000), deterministic: scores as
/// numbers (whole and with a fraction), as text, blank, null and unreadable; the region
/// nested (`person.region`) with escapes and non-ASCII text; arrays; wrapped records
/// (`{"survey_response": {…}}`); repeated ids (numbers and text) with `updated_at`; blank
/// lines and CRLF line ends.
fn survey_ndjson(dir: &std::path::Path, n: usize) -> String {
    use std::io::Write;
    let p = dir.join("surveys.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        xorshift(&mut x);
        let id = if i % 997 == 5 { i - 1 } else { i };
        let id: Value = if id % 2 == 0 {
            id.into()
        } else {
            format!("r{id}").into()
        };
        let (day, month) = (1 + x % 28, 1 + (x >> 8) % 12);
        let score: Value = match i % 101 {
            0 => Value::Null,
            1 => "n/a".into(),
            2 => 11.into(),
            3 => "".into(),
            4 => 9.0.into(),
            5 => " 7 ".into(),
            6 => 8.5.into(),
            _ => ((x >> 16) % 11).into(),
        };
        let region =
            ["EMEA", "AMER", "APAC, east", "", "say \"hi\"", "Zürich"][(x >> 24) as usize % 6];
        // (A score of 11 always has a time: with a blank time the row is blank, and the
        // --na-values hint of the parallel passes skips blank rows while the frame path's
        // looks at every row, on CSV as on NDJSON.)
        let ts: Value = match i % 211 {
            _ if i % 101 == 2 => format!("2024-{month:02}-{day:02} 10:00:00").into(),
            0 => "not a date".into(),
            1 => Value::Null,
            _ => format!("2024-{month:02}-{day:02} {:02}:30:00", (x >> 32) % 24).into(),
        };
        let mut rec = serde_json::json!({
            "response_id": id,
            "submitted_at": ts,
            "score": score,
            "person": {"region": region, "plan": {"tier": (["pro", "basic"][i % 2])}},
            "updated_at": format!("2025-{month:02}-{day:02} 12:00:00"),
        });
        if i % 3 == 0 {
            rec["tags"] = serde_json::json!(["a", i % 5, {"k": "\u{e9}"}]);
        }
        if i % 7 == 0 {
            rec["comment"] = "two\nlines, \"quoted\" \u{1F600}".into();
        }
        if i % 50 == 0 {
            rec = serde_json::json!({ "survey_response": rec });
        }
        let mut line = rec.to_string();
        if i % 89 == 0 {
            // An escaped region (the same text): unescaped, not borrowed.
            line = line.replace("\"EMEA\"", "\"\\u0045MEA\"");
        }
        let end = if i % 333 == 0 { "\r\n" } else { "\n" };
        write!(f, "{line}{end}").unwrap();
        if i % 1000 == 999 {
            writeln!(f, "   ").unwrap();
        }
    }
    f.flush().unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn the_one_pass_ndjson_reader_gives_the_frame_paths_survey_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = survey_ndjson(dir.path(), 30_000);
    assert!(
        std::fs::metadata(&p).unwrap().len() > 2 << 20,
        "several pieces"
    );
    assert!(read_in_one_pass(&["nps", &p]));
    let cases: Vec<Vec<&str>> = vec![
        vec!["nps", &p],
        vec![
            "nps",
            &p,
            "--by",
            "person.region",
            "--period",
            "month",
            "--tz",
            "Europe/Berlin",
        ],
        vec![
            "csat",
            &p,
            "--scale",
            "10",
            "--where",
            "person.region=EMEA",
            "--where",
            "person.region=AMER",
        ],
        vec![
            "ces",
            &p,
            "--scale",
            "7",
            "--keep-duplicates",
            "--period",
            "quarter",
        ],
        vec!["nps", &p, "--by", "tags", "--by", "person.plan.tier"],
        vec![
            "nps",
            &p,
            "--since",
            "2024-03-01",
            "--until",
            "2024-09-01",
            "--na-values",
            "n/a",
        ],
        vec![
            "nps",
            &p,
            &p,
            "--period",
            "month",
            "--last",
            "3",
            "--as-of",
            "2024-12-31",
        ],
        vec!["nps", &p, "--col", "score=person.plan.tier"],
        vec!["nps", &p, "--rejects", "R", "--by", "person.region"],
    ];
    same_on_both_paths(&cases, dir.path());
}

/// A ticket export as NDJSON, `n` records (about 6 MB for 30,000), deterministic:
/// unparseable and placeholder times, resolutions before creation, open tickets, reopens as
/// numbers, the channel nested (`via.channel`), wrapped records (`{"ticket": {…}}`),
/// a repeated id when `repeat_id`.
fn ticket_ndjson(dir: &std::path::Path, n: usize, repeat_id: bool) -> String {
    use std::io::Write;
    let p = dir.join("tickets.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..n {
        xorshift(&mut x);
        let id = if repeat_id && i == n - 1 { 0 } else { i };
        let (day, hour) = (1 + x % 27, (x >> 8) % 24);
        let created = match i % 503 {
            0 => "not a date".to_string(),
            1 => "1900-01-01".to_string(),
            _ => format!("2024-03-{day:02}T{hour:02}:{:02}:00Z", (x >> 16) % 60),
        };
        let first: Value = match i % 17 {
            0 => Value::Null,
            1 => "n/a".into(),
            2 => "".into(),
            _ => format!("2024-03-{day:02}T{:02}:05:00+01:00", (hour + 1) % 24).into(),
        };
        let resolved = match i % 5 {
            0 => None,
            1 => Some(format!("2024-03-{:02}T08:00:00Z", day.max(2) - 1)),
            _ => Some(format!("2024-03-{:02}T{hour:02}:30:00Z", day + 1)),
        };
        let status = if resolved.is_none() { "open" } else { "solved" };
        let mut rec = serde_json::json!({
            "ticket_id": format!("T{id}"),
            "created_at": created,
            "first_response_at": first,
            "resolved_at": resolved,
            "reopens": (x >> 32) % 3,
            "status": status,
            "priority": (["low", "normal", "high, urgent", ""][(x >> 24) as usize % 4]),
            "via": {"channel": (["web", "email", "chat"][i % 3])},
            "subject": if i % 9 == 0 { "Refund\nplease, \"now\"" } else { "Login" },
        });
        if i % 40 == 0 {
            rec = serde_json::json!({ "ticket": rec });
        }
        writeln!(f, "{rec}").unwrap();
    }
    f.flush().unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn the_one_pass_ndjson_reader_gives_the_frame_paths_ticket_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = ticket_ndjson(dir.path(), 30_000, false);
    assert!(
        std::fs::metadata(&p).unwrap().len() > 2 << 20,
        "several pieces"
    );
    assert!(read_in_one_pass(&["tickets", &p, "--as-of", "2024-04-01"]));
    let h = dir.path().join("holidays.txt");
    std::fs::write(&h, "2024-03-08\n2024-03-18\n").unwrap();
    let h = h.to_string_lossy().into_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec!["tickets", &p, "--as-of", "2024-04-01"],
        vec![
            "tickets",
            &p,
            "--as-of",
            "2024-04-01",
            "--by",
            "via.channel",
            "--period",
            "week",
        ],
        vec![
            "tickets",
            &p,
            "--as-of",
            "2024-04-01",
            "--business-hours",
            "Mon-Fri 09:00-17:00",
            "--holidays",
            &h,
            "--tz",
            "Europe/Berlin",
            "--sla-first-response",
            "4h",
        ],
        vec![
            "tickets",
            &p,
            "--as-of",
            "2024-03-20",
            "--bucket-by",
            "resolved",
            "--period",
            "day",
        ],
        vec![
            "tickets",
            &p,
            "--as-of",
            "2024-04-01",
            "--where",
            "priority=low",
            "--na-values",
            "n/a",
        ],
        vec!["tickets", &p, "--as-of", "2024-04-01", "--rejects", "R"],
    ];
    same_on_both_paths(&cases, dir.path());
    // A repeated id (the last record repeats T0): the second pass counts one duplicate.
    let d2 = tempfile::tempdir().unwrap();
    let p2 = ticket_ndjson(d2.path(), 30_000, true);
    same_on_both_paths(&[vec!["tickets", &p2, "--as-of", "2024-04-01"]], d2.path());
    let v: Value = serde_json::from_str(
        &run_path(
            &["tickets", &p2, "--as-of", "2024-04-01", "--format", "json"],
            false,
            &[],
        )
        .1,
    )
    .unwrap();
    assert_eq!(v["inputs"][0]["duplicate"], 1);
    assert_eq!(v["inputs"][0]["rows"], 30_000);
}

#[test]
fn the_one_pass_ndjson_reader_gives_the_frame_paths_churn_and_retention() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("subs.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let mut x: u64 = 0x1234_5678_9abc_def1;
    let day = |d: i64| {
        let t = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(d);
        t.format("%Y-%m-%d").to_string()
    };
    for i in 0..25_000usize {
        xorshift(&mut x);
        let sub = if i % 1009 == 7 { i - 1 } else { i };
        let start = 1 + (x % 700) as i64;
        let end: Value = match i % 4 {
            0 => day(start + 30 + (x >> 12) as i64 % 300).into(),
            _ if i % 997 == 3 => day(start - 5).into(),
            _ => Value::Null,
        };
        let k = (x >> 20) as usize % 3;
        let rec = serde_json::json!({
            "subscription_id": format!("s{sub}"),
            "customer": {"id": format!("c{}", i / 2)},
            "started_at": day(start),
            "ended_at": end,
            "mrr": ([19.0, 49.5, 99.0][k]),
            "plan": (["basic", "pro, annual", "team"][k]),
            "updated_at": format!("2025-0{}-01", 1 + i % 9),
        });
        writeln!(f, "{rec}").unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let p = p.to_string_lossy().into_owned();
    assert!(read_in_one_pass(&[
        "churn",
        &p,
        "--as-of",
        "2026-01-01",
        "--col",
        "customer_id=customer.id"
    ]));
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "churn",
            &p,
            "--as-of",
            "2026-01-01",
            "--period",
            "month",
            "--col",
            "customer_id=customer.id",
        ],
        vec![
            "churn",
            &p,
            "--as-of",
            "2026-01-01",
            "--period",
            "quarter",
            "--by",
            "plan",
            "--col",
            "customer_id=customer.id",
        ],
        vec![
            "retention",
            &p,
            "--as-of",
            "2026-01-01",
            "--period",
            "month",
            "--col",
            "customer_id=customer.id",
        ],
        vec![
            "retention",
            &p,
            "--as-of",
            "2026-01-01",
            "--survival",
            "--col",
            "customer_id=customer.id",
        ],
    ];
    same_on_both_paths(&cases, dir.path());
}

// A broken line far into a large NDJSON file: the one-pass reader gives the file to the
// frame path, which rejects the line (and names it) as for a small file.
#[test]
fn a_broken_line_in_a_large_ndjson_file_is_still_a_rejected_row() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let p = survey_ndjson(dir.path(), 30_000);
    let counts = |p: &str| {
        let (code, out, err) = run_path(
            &["nps", p, "--keep-duplicates", "--format", "json"],
            false,
            &[],
        );
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let i = &v["inputs"][0];
        [&i["rows"], &i["used"], &i["rejected"]].map(|x| x.as_u64().unwrap())
    };
    let before = counts(&p);
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(b"{\"score\": 9, \"person\": {\"region\": \"EMEA\"}\n{\"score\": 10}\n")
        .unwrap();
    drop(f);
    assert!(!read_in_one_pass(&["nps", &p]));
    same_on_both_paths(&[vec!["nps", &p, "--rejects", "R"]], dir.path());
    // One more rejected row (the cut-off line) and one more used (the last).
    let after = counts(&p);
    assert_eq!(after, [before[0] + 2, before[1] + 1, before[2] + 1]);
}

// The same 5 tickets as CSV, NDJSON (read in one pass) and one API page (nulls for the
// CSV's empty cells, the id a number in JSON), as of 2025-03-10:
//   t1 created 03-03 09:00, first reply 10:00 (1 h), resolved 13:00 (4 h)
//   t2 created 03-03 09:00, first reply 09:30 (0.5 h), resolved 03-04 09:00 (24 h)
//   t3 created 03-04 10:00, first reply 12:00 (2 h), open
//   t4 created 03-04 10:00, no first reply, resolved 16:00 (6 h)
//   t5 created "not a date": rejected
// FRT 0.5, 1, 2 h: median 1 h, mean 3.5 / 3 h. TTR 4, 6, 24 h: median 6 h, mean 34 / 3 h.
#[test]
fn tickets_as_csv_ndjson_and_api_page_give_the_same_hand_computed_figures() {
    let csv = "ticket_id,created_at,first_response_at,resolved_at,status\n\
t1,2025-03-03T09:00:00Z,2025-03-03T10:00:00Z,2025-03-03T13:00:00Z,solved\n\
t2,2025-03-03T09:00:00Z,2025-03-03T09:30:00Z,2025-03-04T09:00:00Z,solved\n\
t3,2025-03-04T10:00:00Z,2025-03-04T12:00:00Z,,open\n\
t4,2025-03-04T10:00:00Z,,2025-03-04T16:00:00Z,solved\n\
t5,not a date,,,open\n";
    let mut records = Vec::new();
    for (k, line) in csv.lines().skip(1).enumerate() {
        let c: Vec<&str> = line.split(',').collect();
        let opt = |s: &str| if s.is_empty() { Value::Null } else { s.into() };
        records.push(serde_json::json!({
            "ticket_id": k + 1, "created_at": c[1], "first_response_at": opt(c[2]),
            "resolved_at": opt(c[3]), "status": c[4],
        }));
    }
    let nd: String = records.iter().map(|r| format!("{r}\n")).collect();
    let page = serde_json::json!({"tickets": records, "next_page": null}).to_string();
    let (_a, pc) = temp_file("t.csv", csv.as_bytes());
    let (_b, pn) = temp_file("t.ndjson", nd.as_bytes());
    let (_c, pp) = temp_file("t.json", page.as_bytes());
    assert!(read_in_one_pass(&["tickets", &pn, "--as-of", "2025-03-10"]));
    let mut seen = Vec::new();
    for p in [&pc, &pn, &pp] {
        let v = json_ok(&["tickets", p, "--as-of", "2025-03-10", "--preset", "none"]);
        let i = &v["inputs"][0];
        assert_eq!(
            (&i["rows"], &i["used"], &i["rejected"]),
            (&5.into(), &4.into(), &1.into()),
            "{p}"
        );
        let t = &v["total"];
        assert_eq!(t["resolved"], 3, "{p}");
        approx(&t["frt_median_hours"], 1.0);
        approx(&t["frt_mean_hours"], 3.5 / 3.0);
        approx(&t["ttr_median_hours"], 6.0);
        approx(&t["ttr_mean_hours"], 34.0 / 3.0);
        seen.push(figures(&v));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
}

// ---------------------------------------------------------------------------------------
// Flat NDJSON lines (the strict reader ahead of serde_json) and large files opened by their
// head (`CXM_JSON_HEAD_BYTES` makes any file one, with a head that small).

/// A flat survey export (no nested object on most lines), `n` records: every way JSON can
/// write a value that the strict reader must read as serde_json does or leave to it
/// (fractions, exponents, `-0`, long integers, escapes, `\u` escapes, booleans, arrays, odd
/// spacing, repeated keys, keys in another order, a nested object now and then).
fn flat_survey_ndjson(dir: &std::path::Path, n: usize) -> String {
    use std::io::Write;
    let p = dir.join("flat.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..n {
        xorshift(&mut x);
        let score = match i % 37 {
            0 => "null".to_string(),
            1 => "\"n/a\"".into(),
            2 => "9.0".into(),
            3 => "1e1".into(),
            4 => "-0".into(),
            5 => "\" 7 \"".into(),
            6 => "\"\\u0039\"".into(),
            7 => "true".into(),
            8 => "12345678901234567890".into(),
            9 => "[9]".into(),
            10 => "\"8\"".into(),
            11 => "0".into(),
            _ => ((x >> 16) % 11).to_string(),
        };
        let region = [
            "\"EMEA\"",
            "\"AMER\"",
            "\"say \\\"hi\\\"\"",
            "\"Z\u{fc}rich\"",
            "\"a\\/b\"",
            "null",
            "\"\\u0045MEA\"",
            "\"\"",
            "7",
            "false",
        ][(x >> 24) as usize % 10];
        let (day, month) = (1 + (x >> 32) % 28, 1 + (x >> 40) % 12);
        let ts = if i % 53 == 0 {
            "\"not a date\"".to_string()
        } else {
            format!("\"2024-{month:02}-{day:02}T{:02}:15:00Z\"", (x >> 48) % 24)
        };
        let id = if i % 401 == 7 { i - 1 } else { i };
        let line = match i % 13 {
            0 => format!(
                "{{ \"response_id\" : \"r{id}\" ,\t\"score\" : {score} , \"region\":{region}, \"submitted_at\":{ts} }}"
            ),
            1 => format!(
                "{{\"submitted_at\":{ts},\"region\":{region},\"score\":{score},\"response_id\":\"r{id}\",\"tags\":[1,\"two\",null,true,2.5e3]}}"
            ),
            2 => format!(
                "{{\"response_id\":\"r{id}\",\"score\":3,\"score\":{score},\"region\":{region},\"submitted_at\":{ts},\"amount\":-12.75e-2}}"
            ),
            3 => format!(
                "{{\"response_id\":\"r{id}\",\"score\":{score},\"region\":{region},\"submitted_at\":{ts},\"meta\":{{\"k\":1}}}}"
            ),
            4 => format!(
                "{{\"response_id\":\"r{id}\",\"score\":{score},\"region\":{region},\"submitted_at\":{ts},\"comment\":\"tab\\there, \\\"q\\\" \\ud83d\\ude00\"}}"
            ),
            _ => format!(
                "{{\"response_id\":\"r{id}\",\"score\":{score},\"region\":{region},\"submitted_at\":{ts},\"comment\":\"a plain comment that is longer than sixteen bytes\"}}"
            ),
        };
        writeln!(f, "{line}").unwrap();
    }
    f.flush().unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn the_strict_flat_line_reader_gives_the_frame_paths_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = flat_survey_ndjson(dir.path(), 20_000);
    assert!(read_in_one_pass(&["nps", &p]));
    let cases: Vec<Vec<&str>> = vec![
        vec!["nps", &p],
        vec!["nps", &p, "--by", "region", "--period", "month"],
        vec!["csat", &p, "--scale", "10", "--by", "region"],
        vec!["nps", &p, "--by", "tags", "--keep-duplicates"],
        vec!["nps", &p, "--rejects", "R", "--by", "meta.k"],
    ];
    same_on_both_paths(&cases, dir.path());
}

/// Runs `args` (with `--format json`) on a file opened in full and on the same file opened
/// by a head of `head` bytes: the same exit code, stdout and stderr.
fn same_by_head(args: &[&str], head: &str) {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let full = run_path(&args, false, &[]);
    let by_head = run_path(&args, false, &[("CXM_JSON_HEAD_BYTES", head)]);
    assert_eq!(full.0, by_head.0, "{args:?}: exit codes ({})", by_head.2);
    assert_eq!(full.1, by_head.1, "{args:?}: stdout");
    assert_eq!(full.2, by_head.2, "{args:?}: stderr");
}

#[test]
fn a_file_opened_by_its_head_gives_what_the_full_open_gives() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let plain = flat_survey_ndjson(dir.path(), 3_000);
    // The head is regular: the pass reads the file by it.
    let o = run_path(
        &["nps", &plain],
        false,
        &[("CXM_JSON_HEAD_BYTES", "4000"), ("CXM_TIMINGS", "1")],
    );
    assert!(o.2.contains("one-pass read (json)"), "{}", o.2);
    for args in [
        vec!["nps", &plain],
        vec!["nps", &plain, "--by", "region", "--period", "quarter"],
        vec!["nps", &plain, "--by", "meta.k"],
    ] {
        same_by_head(&args, "4000");
    }
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        p.to_string_lossy().into_owned()
    };
    let head: String = (0..40)
        .map(|i| {
            format!(
                "{{\"response_id\":\"h{i}\",\"score\":{},\"rating\":null}}\n",
                i % 11
            )
        })
        .collect();
    // A column the head does not have (`region`): the run that maps on the head fails, and
    // the run on the full open decides (the grouping works).
    let later_column = write(
        "later.ndjson",
        &format!("{head}{{\"response_id\":\"x\",\"score\":9,\"region\":\"EMEA\"}}\n"),
    );
    // A value under a name that is null throughout the head.
    let later_value = write(
        "value.ndjson",
        &format!("{head}{{\"response_id\":\"x\",\"score\":9,\"rating\":\"5\"}}\n"),
    );
    // A nested object whose dotted names the head does not have, and a wrapped record.
    let later_nested = write(
        "nested.ndjson",
        &format!(
            "{head}{{\"response_id\":\"x\",\"score\":9,\"person\":{{\"region\":\"EMEA\"}}}}\n{{\"survey_response\":{{\"response_id\":\"y\",\"score\":2}}}}\n"
        ),
    );
    // A broken line and a line that is not an object, after a regular head.
    let broken = write(
        "broken.ndjson",
        &format!("{head}{{\"response_id\":\"x\",\"score\":9\n[1, 2]\n{{\"response_id\":\"z\",\"score\":1}}\n"),
    );
    for f in [&later_column, &later_value, &later_nested, &broken] {
        for args in [
            vec!["nps", f.as_str()],
            vec!["nps", f, "--by", "region"],
            vec!["nps", f, "--by", "person.region"],
            vec!["csat", f, "--scale", "5", "--col", "score=rating"],
        ] {
            same_by_head(&args, "300");
        }
    }
    // Hand-checked: the later column groups its one response (9: NPS 100 in EMEA).
    let o = run_path(
        &["nps", &later_column, "--by", "region", "--format", "json"],
        false,
        &[("CXM_JSON_HEAD_BYTES", "300")],
    );
    assert_eq!(o.0, 0, "{}", o.2);
    let v: Value = serde_json::from_str(&o.1).unwrap();
    let emea = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"]["region"] == "EMEA")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(emea["n"], 1);
    approx(&emea["nps"], 100.0);
    // The broken lines are rejected and named (lines 41 and 42), as with the full open.
    let rejects = dir.path().join("rejects.csv");
    let o = run_path(
        &[
            "nps",
            &broken,
            "--format",
            "json",
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        false,
        &[("CXM_JSON_HEAD_BYTES", "300")],
    );
    assert_eq!(o.0, 0, "{}", o.2);
    let v: Value = serde_json::from_str(&o.1).unwrap();
    assert_eq!(v["inputs"][0]["rejected"], 2, "{v}");
    let r = std::fs::read_to_string(&rejects).unwrap();
    assert!(r.contains(",41,") && r.contains(",42,"), "{r}");
}

// ---------------------------------------------------------------------------------------
// JSON documents (an array of records, an API page, a Stripe list) read by the one-pass
// reader: the records array is found by a scan of strings and brackets and cut between
// elements; the outputs are the frame path's.

#[test]
fn the_one_pass_reader_gives_the_frame_paths_output_for_json_documents() {
    let dir = tempfile::tempdir().unwrap();
    let nd = survey_ndjson(dir.path(), 6_000);
    let records: Vec<String> = std::fs::read_to_string(&nd)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    // Pretty spacing between elements, a page's other keys before and after the records.
    let body = records.join(",\n  ");
    let docs = [
        ("array.json", format!("[\n  {body}\n]\n")),
        (
            "page.json",
            format!("{{\"count\": 6000, \"facets\": {{\"x\": [1, {{\"survey_responses\": []}}]}}, \"survey_responses\": [{body}], \"next_page\": null}}"),
        ),
        (
            "stripe.json",
            format!("{{\"object\": \"list\", \"data\": [ {body} ], \"has_more\": false, \"url\": \"/v1/x\"}}"),
        ),
    ];
    for (name, text) in docs {
        let p = dir.path().join(name);
        std::fs::write(&p, &text).unwrap();
        let p = p.to_string_lossy().into_owned();
        let env = [("CXM_JSON_BLOCK_BYTES", "5000")];
        let o = run_path(&["nps", &p], false, &[env[0], ("CXM_TIMINGS", "1")]);
        assert!(o.2.contains("one-pass read (json)"), "{name}: {}", o.2);
        let cases: Vec<Vec<&str>> = vec![
            vec!["nps", &p, "--by", "person.region", "--period", "month"],
            vec!["csat", &p, "--scale", "10", "--keep-duplicates"],
            vec!["nps", &p, "--rejects", "R", "--by", "tags"],
        ];
        same_on_both_paths_with(&cases, dir.path(), &env);
        same_on_both_paths(&cases[..1], dir.path());
    }
}

// A Delighted export as NDJSON whose last record has a key the head did not show: the pass
// ends there, the run starts again on the file opened in full (its timings show two opens),
// and the preset's note is printed once; the figures are those of the full open.
#[test]
fn a_run_started_again_prints_its_notes_once() {
    let recs: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("presets/delighted.json")).unwrap())
            .unwrap();
    let mut text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    let mut extra = recs[0].clone();
    extra["id"] = "7100".into();
    extra["extra"] = "new".into();
    text.push_str(&format!("{extra}\n"));
    let (_d, p) = temp_file("delighted.ndjson", text.as_bytes());
    let o = run_path(
        &["nps", &p, "--format", "json"],
        false,
        &[("CXM_JSON_HEAD_BYTES", "300"), ("CXM_TIMINGS", "1")],
    );
    assert_eq!(o.0, 0, "{}", o.2);
    assert_eq!(o.2.matches("open and check inputs").count(), 2, "{}", o.2);
    assert_eq!(
        o.2.matches("detected the delighted export format").count(),
        1,
        "{}",
        o.2
    );
    same_by_head(&["nps", &p], "300");
    // The Delighted fixture's 8 scores plus the copy of the first (10): n 9.
    let v: Value = serde_json::from_str(&o.1).unwrap();
    assert_eq!(v["total"]["n"], 9);
}

// Standard input is never opened by its head: a run started again could not read it again.
#[test]
fn ndjson_on_standard_input_is_opened_in_full() {
    use std::io::Write;
    let recs: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("presets/delighted.json")).unwrap())
            .unwrap();
    let mut text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    let mut extra = recs[0].clone();
    extra["id"] = "7100".into();
    extra["extra"] = "new".into();
    text.push_str(&format!("{extra}\n"));
    let mut c = cmd();
    c.args(["nps", "-", "--format", "json"])
        .env("CXM_JSON_HEAD_BYTES", "300")
        .env("CXM_TIMINGS", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err.matches("open and check inputs").count(), 1, "{err}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"]["n"], 9);
}

// The rejects pass reads NDJSON a block of lines at a time (here blocks of 512 bytes, about
// 12 blocks): 200 responses, r3 and r150 scored 11 (rejected), and a field `extra` only on
// the last line. The rejects file holds both rows with their lines and the `extra` column
// (empty for them), as when the file was read whole.
#[test]
fn the_rejects_pass_reads_ndjson_in_blocks() {
    let mut text = String::new();
    for i in 1..=200 {
        let score = if i == 3 || i == 150 { 11 } else { i % 11 };
        if i == 200 {
            text.push_str(&format!(
                "{{\"response_id\":\"r{i}\",\"score\":{score},\"extra\":\"x\"}}\n"
            ));
        } else {
            text.push_str(&format!("{{\"response_id\":\"r{i}\",\"score\":{score}}}\n"));
        }
    }
    rejects_in_blocks_of_512_and_whole("blocks.ndjson", &text, (3, 150));
}

/// Writes `text` to `name` and checks the rejects file of `cxm nps` read in blocks of 512
/// bytes and whole: r3 and r150, at `at`, with the `extra` column empty.
fn rejects_in_blocks_of_512_and_whole(name: &str, text: &str, at: (u64, u64)) {
    let (d, p) = temp_file(name, text.as_bytes());
    let r = d.path().join("r.csv").to_string_lossy().into_owned();
    for block in ["512", "1000000"] {
        let o = cmd()
            .args(["nps", &p, "--rejects", &r, "-q", "--format", "json"])
            .env("CXM_JSON_BLOCK_BYTES", block)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let want = format!(
            "response_id,score,extra,cxm_file,cxm_line,cxm_reason\n\
             r3,11,,{p},{},\"out_of_range: score 11 not in 0–10 (score \"\"11\"\")\"\n\
             r150,11,,{p},{},\"out_of_range: score 11 not in 0–10 (score \"\"11\"\")\"\n",
            at.0, at.1
        );
        assert_eq!(std::fs::read_to_string(&r).unwrap(), want, "block {block}");
    }
}

// The same for a JSON document: an API page of 200 responses cut by the open step's scan
// into pieces of 512 bytes, read a piece at a time; records are numbered by their position
// in the array (r3 is 2, r150 is 149).
#[test]
fn the_rejects_pass_reads_a_json_page_in_pieces() {
    let mut recs: Vec<String> = Vec::new();
    for i in 1..=200 {
        let score = if i == 3 || i == 150 { 11 } else { i % 11 };
        recs.push(if i == 200 {
            format!("{{\"response_id\":\"r{i}\",\"score\":{score},\"extra\":\"x\"}}")
        } else {
            format!("{{\"response_id\":\"r{i}\",\"score\":{score}}}")
        });
    }
    let text = format!(
        "{{\"responses\": [\n{}\n], \"next_page\": null}}",
        recs.join(",\n")
    );
    rejects_in_blocks_of_512_and_whole("page.json", &text, (2, 149));
}
