//! Malformed CSV records (SPEC 9): counted rejects with their physical line and reason,
//! `--max-rejected` (SPEC 2) on the command line and in configs, and `cxm inspect`'s
//! `malformed` count. Figures are worked out by hand from the rows in the comments.

use serde_json::json;

use crate::util::*;

/// Line 1 a title, 2 an export date (a preamble), 3 the header; data on lines 4–11:
/// 4 r1 9; 5 r2 "10 with an unclosed quote — closed at the line end it gives 2 fields,
/// read literally 3: kept with score `"10`, rejected as not a number; 6 r3 5" ok (a literal
/// quote in an unquoted comment); 7 r4 has a fourth field (too_many_fields); 8 r5 has two
/// fields (field_count); 9 r6 ` 9 ` (spaces read); 10 blank line; 11 r7 10 (CR line end);
/// 12 r8 0; 13 "Total: 8" (a footer).
const POLLUTED: &[u8] = b"Survey export\n\
Exported 2025-01-31\n\
id,score,comment\n\
r1,9,fine\n\
r2,\"10,ok\n\
r3,7,5\" screen\n\
r4,7,a,b\n\
r5,8\n\
r6, 9 ,x\n\
\n\
r7,10,y\r\
r8,0,z\n\
Total: 8\n";

#[test]
fn malformed_records_are_counted_located_and_reasoned() {
    let (d, p) = temp_file("polluted.csv", POLLUTED);
    let rej = d.path().join("rej.csv");
    let o = run(&[
        "nps",
        &p,
        "--format",
        "json",
        "--rejects",
        rej.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = o.json();
    // Records r1..r8: 8 rows; rejected r2 (score "10 not a number), r4, r5 → 3;
    // used r1 9, r3 7, r6 9, r7 10, r8 0 → promoters 3, passives 1, detractors 1,
    // NPS = 100 × (3 − 1) / 5 = 40.
    assert_eq!(
        v["inputs"][0],
        json!({"path": p, "rows": 8, "used": 5, "blank": 0, "rejected": 3, "filtered": 0, "duplicate": 0})
    );
    assert_eq!(v["total"]["nps"], 40.0);
    let text = std::fs::read_to_string(&rej).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,score,comment,cxm_raw,cxm_file,cxm_line,cxm_reason"
    );
    assert!(
        lines[1].contains(",5,") && lines[1].contains("invalid_value"),
        "{text}"
    );
    assert_eq!(
        lines[2],
        format!("r4,7,a,\"r4,7,a,b\",{p},7,too_many_fields: the record has 4 fields but the header has 3")
    );
    assert_eq!(
        lines[3],
        format!("r5,8,,,{p},8,field_count: the record has 2 fields but the header has 3")
    );
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w[0].as_str()
            .unwrap()
            .contains("skipped 2 lines before the header"),
        "{w:?}"
    );
    assert!(
        w[1].as_str().unwrap().contains("line 13 \"Total: 8\""),
        "{w:?}"
    );
    assert_eq!(
        w[2],
        format!("{p}: 2 malformed records rejected, at line 7 (too_many_fields), 8 (field_count)")
    );
    // Under --strict the first rejected row is the error (r2 on line 5).
    let s = run(&["nps", &p, "--strict"]);
    assert_eq!(s.code, 2);
    assert!(s.stderr.contains("polluted.csv:5:score"), "{}", s.stderr);
}

#[test]
fn an_unclosed_quote_that_fits_nothing_is_rejected_with_its_raw_line() {
    // Line 3 opens a quote before "a,b" and never closes it: closed at the line end the
    // record has 2 fields (r2 | a,b,7), read literally 4 (r2 | "a | b | 7); the header has
    // 3 → unclosed_quote, and line 4 is read on its own.
    let (d, p) = temp_file("u.csv", b"id,c,score\nr1,x,9\nr2,\"a,b,7\nr3,y,10\n");
    let rej = d.path().join("rej.ndjson");
    let v = json_ok(&["nps", &p, "--rejects", rej.to_str().unwrap()]);
    assert_eq!(v["inputs"][0]["rows"], 3);
    assert_eq!(v["inputs"][0]["rejected"], 1);
    // Used 9 and 10: NPS 100.
    assert_eq!(v["total"]["nps"], 100.0);
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&rej).unwrap().trim()).unwrap();
    assert_eq!(line["cxm_line"], 3);
    assert_eq!(line["cxm_raw"], "r2,\"a,b,7");
    assert_eq!(
        line["cxm_reason"],
        "unclosed_quote: a quoted field is not closed on its line"
    );
}

#[test]
fn max_rejected_fails_like_an_assert_with_the_output_complete() {
    let (_d, p) = temp_file("polluted.csv", POLLUTED);
    // 3 rejected of 8 rows.
    let o = run(&["nps", &p, "--format", "json", "-q", "--max-rejected", "2"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let v = o.json();
    assert_eq!(
        v["checks"],
        json!([{"assert": "rejected <= 2", "value": 3.0, "passed": false, "low_n": false}])
    );
    assert_eq!(v["total"]["n"], 5);
    assert!(o
        .stderr
        .contains("cxm: assert failed: rejected <= 2 (value 3)"));
    assert_eq!(run(&["nps", &p, "-q", "--max-rejected", "3"]).code, 0);
    // As a share: 3 / 8 = 37.5 % of the rows.
    let o = run(&["nps", &p, "--format", "json", "-q", "--max-rejected", "40%"]);
    assert_eq!(o.code, 0);
    assert_eq!(o.json()["checks"][0]["value"], 37.5);
    assert_eq!(run(&["nps", &p, "-q", "--max-rejected", "37%"]).code, 1);
    // With an assert: the assert first, then the data-quality check; exit 1 if either fails.
    let o = run(&[
        "nps",
        &p,
        "--format",
        "json",
        "-q",
        "--assert",
        "nps >= 0",
        "--max-rejected",
        "1",
    ]);
    assert_eq!(o.code, 1);
    let checks = &o.json()["checks"];
    assert_eq!(checks[0]["assert"], "nps >= 0");
    assert_eq!(checks[0]["passed"], true);
    assert_eq!(checks[1]["assert"], "rejected <= 1");
    // A bad threshold is a usage error.
    let e = run(&["nps", &p, "--max-rejected", "lots"]);
    assert_eq!(e.code, 2);
    assert!(e.stderr.contains("--max-rejected \"lots\""), "{}", e.stderr);
}

#[test]
fn max_rejected_in_a_config_is_a_listed_check() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("polluted.csv"), POLLUTED).unwrap();
    let cfg = d.path().join("cxm.toml");
    std::fs::write(
        &cfg,
        "as_of = \"2025-02-01\"\nmax_rejected = 5\n\
         [sources.s]\npath = \"polluted.csv\"\n\
         [[metrics]]\nname = \"nps_all\"\nkind = \"nps\"\nsource = \"s\"\n\
         [[metrics]]\nname = \"nps_strict\"\nkind = \"nps\"\nsource = \"s\"\nmax_rejected = \"10%\"\n\
         [[checks]]\nmetric = \"nps_all\"\nassert = \"nps >= 0\"\n",
    )
    .unwrap();
    let o = run(&["check", cfg.to_str().unwrap(), "--format", "json"]);
    // nps_all: 3 ≤ 5 passes; nps_strict: 37.5 % > 10 % fails → exit 1.
    assert_eq!(o.code, 1, "{} {}", o.stdout, o.stderr);
    let v = o.json();
    let checks: Vec<(String, String, bool)> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["metric"].as_str().unwrap().to_string(),
                c["assert"].as_str().unwrap().to_string(),
                c["passed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        checks,
        [
            ("nps_all".into(), "nps >= 0".into(), true),
            ("nps_all".into(), "rejected <= 5".into(), true),
            ("nps_strict".into(), "rejected <= 10%".into(), false),
        ]
    );
}

#[test]
fn inspect_counts_malformed_records_and_names_their_lines() {
    let (_d, p) = temp_file("polluted.csv", POLLUTED);
    let o = run(&["inspect", &p, "--format", "json", "-q"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = o.json();
    // Every data record counts, malformed ones included: r1..r8.
    assert_eq!(v["rows"], 8);
    assert_eq!(v["malformed"], 2);
    assert_eq!(v["malformed_lines"], json!([7, 8]));
    let t = run(&["inspect", &p]);
    assert!(
        t.stdout
            .contains("malformed: 2 records at line 7, 8 (the metric commands reject them"),
        "{}",
        t.stdout
    );
}

#[test]
fn inspect_counts_broken_ndjson_lines() {
    // Line 2 is cut off: not valid JSON, an `invalid_json` record of the metric commands.
    let (_d, p) = temp_file(
        "b.ndjson",
        b"{\"score\": 9, \"id\": 1}\n{\"score\": 7, \"id\": 2\n{\"score\": 10, \"id\": 3}\n",
    );
    let o = run(&["inspect", &p, "--format", "json", "-q"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = o.json();
    assert_eq!(v["rows"], 3);
    assert_eq!(v["malformed"], 1);
    assert_eq!(v["malformed_lines"], json!([2]));
    let n = json_ok(&["nps", &p, "-q"]);
    assert_eq!(n["inputs"][0]["rejected"], 1);
}

#[test]
fn parquet_errors_are_cxm_messages_not_the_engines() {
    // fixtures/parquet/nested.parquet: response_id r0..r11, score i % 11 (0..10, 0), tags a
    // list per row. Scores 0,1,…,10,0: promoters 9 and 10 → 2; detractors 0–6 → 8 (0
    // twice); NPS = 100 × (2 − 8) / 12 = −50.
    let p = fixture("parquet/nested.parquet");
    let v = json_ok(&["nps", &p, "-q"]);
    assert_eq!(v["total"]["n"], 12);
    assert_eq!(v["total"]["nps"], -50.0);
    let e = run(&["nps", &p, "--by", "tags"]);
    assert_eq!(e.code, 2);
    assert_eq!(
        e.stderr.trim_end(),
        format!("cxm: error: {p}: column \"tags\" holds nested values (list[i64]), not one value per row; map another column, or flatten it before exporting")
    );
    // Cut off after its first 300 bytes, and bytes that are no Parquet at all.
    let bytes = std::fs::read(&p).unwrap();
    for (name, content) in [
        ("cut.parquet", &bytes[..300]),
        ("junk.parquet", &b"garbage"[..]),
    ] {
        let (_d, q) = temp_file(name, content);
        let o = run(&["nps", &q]);
        assert_eq!(o.code, 2);
        assert_eq!(
            o.stderr.trim_end(),
            format!("cxm: error: {q}: not a readable Parquet file (damaged, cut off, or another format); export it again, or pass --input-format csv|json|ndjson if it is not Parquet")
        );
    }
}
