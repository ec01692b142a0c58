//! `cxm nps|csat|ces|pmf` through the binary. Expected figures are worked out by hand from
//! the fixture rows (listed in the comments), not copied from the program's output.

use serde_json::Value;

use crate::util::*;

const Z95: f64 = 1.959963984540054;

// fixtures/surveys/responses.csv, scores by row:
//   r01 10 EMEA 2025-01-06 | r02 9 EMEA 01-07 | r03 8 AMER 01-08 | r04 6 AMER 01-09
//   r05 "10 - Extremely likely" APAC 01-15 | r06 blank EMEA 01-20 | r07 3 EMEA 01-22
//   r08 9 AMER 02-03 | r09 n/a AMER 02-04 | r10 7 APAC 02-05 | r11 10 EMEA 02-10
//   r12 0 APAC 02-11 (quoted comment with an embedded newline)
// Valid: 10 answers; promoters 5 (r01 r02 r05 r08 r11), passives 2 (r03 r10),
// detractors 3 (r04 r07 r12); 1 blank, 1 rejected; NPS = 100 × (5 − 3) / 10 = 20.
fn responses() -> String {
    fixture("surveys/responses.csv")
}

#[test]
fn nps_total_with_adjusted_wald_interval() {
    let v = json_ok(&["nps", &responses()]);
    let t = &v["total"];
    assert_eq!(t["n"], 10);
    assert_eq!(t["blank"], 1);
    assert_eq!(t["rejected"], 1);
    assert_eq!(
        (
            t["promoters"].as_u64(),
            t["passives"].as_u64(),
            t["detractors"].as_u64()
        ),
        (Some(5), Some(2), Some(3))
    );
    approx(&t["nps"], 20.0);
    approx(&t["promoters_pct"], 50.0);
    approx(&t["passives_pct"], 20.0);
    approx(&t["detractors_pct"], 30.0);
    // Adjusted-Wald: n' = 13, p' = 5.75/13, d' = 3.75/13, centre 100 × 2/13;
    // var' = 9.5/13 − (2/13)² = 119.5/169; se' = sqrt(119.5/169/13).
    let se = (119.5f64 / 169.0 / 13.0).sqrt();
    let centre = 2.0 / 13.0;
    approx(&t["se"], 100.0 * se);
    approx(&t["ci_low"], 100.0 * (centre - Z95 * se));
    approx(&t["ci_high"], 100.0 * (centre + Z95 * se));
    let d = t["distribution"].as_object().unwrap();
    assert_eq!(d.len(), 11, "keys 0…10 all present");
    assert_eq!(d["10"], 3);
    assert_eq!(d["9"], 2);
    assert_eq!(d["5"], 0);
    assert_eq!(t["low_n"], false);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["metric"], "nps");
    assert_eq!(v["rows"], Value::Array(vec![]));
    assert_eq!(v["inputs"][0]["rows"], 12);
    assert_eq!(v["inputs"][0]["used"], 10);
    // as-of defaults to the latest valid submitted_at (r12).
    assert_eq!(v["as_of"], "2025-02-11T09:00:00+00:00");
    for k in ["definition", "checks", "warnings"] {
        assert!(v.get(k).is_some(), "envelope has {k}");
    }
}

#[test]
fn nps_wald_interval() {
    let v = json_ok(&["nps", &responses(), "--ci", "wald"]);
    // p = 0.5, d = 0.3, var = 0.8 − 0.04 = 0.76, se = sqrt(0.076).
    let se = 0.076f64.sqrt();
    approx(&v["total"]["se"], 100.0 * se);
    approx(&v["total"]["ci_low"], 100.0 * (0.2 - Z95 * se));
    approx(&v["total"]["ci_high"], 100.0 * (0.2 + Z95 * se));
}

#[test]
fn nps_by_region_rows_then_total() {
    let v = json_ok(&["nps", &responses(), "--by", "region"]);
    let rows = v["rows"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["group"]["region"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["AMER", "APAC", "EMEA"]);
    // AMER: 8, 6, 9 (+ n/a rejected) → P 1, D 1 → 0. APAC: 10, 7, 0 → 0.
    // EMEA: 10, 9, 3, 10 (+ a blank) → P 3, D 1 → 50.
    assert_eq!(rows[0]["n"], 3);
    assert_eq!(rows[0]["rejected"], 1);
    approx(&rows[0]["nps"], 0.0);
    approx(&rows[1]["nps"], 0.0);
    assert_eq!(rows[2]["n"], 4);
    assert_eq!(rows[2]["blank"], 1);
    approx(&rows[2]["nps"], 50.0);
    approx(&v["total"]["nps"], 20.0);
}

#[test]
fn nps_by_month_with_delta_and_p_value() {
    let v = json_ok(&["nps", &responses(), "--period", "month"]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    // January: 10, 9, 8, 6, 10, 3 → P 3, D 2, n 6 → 100/6. February: 9, 7, 10, 0 → 25.
    assert_eq!(rows[0]["period"], "2025-01");
    assert_eq!(rows[0]["partial"], false);
    assert_eq!(rows[0]["n"], 6);
    approx(&rows[0]["nps"], 100.0 / 6.0);
    assert_eq!(rows[0]["delta"], Value::Null);
    assert_eq!(rows[1]["period"], "2025-02");
    // As-of is 2025-02-11 09:00, so February has not ended: partial.
    assert_eq!(rows[1]["partial"], true);
    approx(&rows[1]["nps"], 25.0);
    approx(&rows[1]["delta"], 25.0 - 100.0 / 6.0);
    // var1 = 5/6 − (1/6)², var2 = 0.75 − 0.25²; z = (0.25 − 1/6) / sqrt(var1/6 + var2/4) ≈ 0.1506;
    // two-sided p ≈ 0.880.
    let p = rows[1]["p_value"].as_f64().unwrap();
    assert!((p - 0.8803).abs() < 0.001, "p_value {p}");
}

#[test]
fn latest_assert_uses_last_complete_period() {
    // February is partial at the default as-of, so latest = January (16.7).
    let o = run(&[
        "nps",
        &responses(),
        "--period",
        "month",
        "--assert",
        "latest.nps >= 20",
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("assert failed: latest.nps >= 20"),
        "{}",
        o.stderr
    );
    // With as-of the end of 2025-02-28, February is complete: latest = 25.
    let o = run(&[
        "nps",
        &responses(),
        "--period",
        "month",
        "--as-of",
        "2025-02-28",
        "--assert",
        "latest.nps >= 20",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn assert_exit_codes() {
    let pass = run(&[
        "nps",
        &responses(),
        "--assert",
        "nps >= 20",
        "--assert",
        "n==10",
    ]);
    assert_eq!(pass.code, 0, "{}", pass.stderr);
    let fail = run(&[
        "nps",
        &responses(),
        "--assert",
        "nps > 20",
        "--format",
        "json",
    ]);
    assert_eq!(fail.code, 1);
    let v = fail.json();
    assert_eq!(v["checks"][0]["passed"], false);
    approx(&v["checks"][0]["value"], 20.0);
    // A low-n total fails its assert even when the value passes.
    let low = run(&[
        "nps",
        &responses(),
        "--min-n",
        "11",
        "--assert",
        "nps >= 0",
        "--format",
        "json",
    ]);
    assert_eq!(low.code, 1);
    assert_eq!(low.json()["checks"][0]["low_n"], true);
    assert_eq!(low.json()["total"]["low_n"], true);
    // Unknown field: a usage error (2) with a hint.
    let bad = run(&["nps", &responses(), "--assert", "npz >= 1"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.starts_with("cxm: error:") && bad.stderr.contains("Did you mean \"nps\""),
        "{}",
        bad.stderr
    );
    // A null value fails: no answers after filtering.
    let null = run(&[
        "nps",
        &responses(),
        "--where",
        "region=Mars",
        "--assert",
        "nps >= 0",
        "--format",
        "json",
    ]);
    assert_eq!(null.code, 1);
    assert_eq!(null.json()["total"]["nps"], Value::Null);
    assert_eq!(null.json()["total"]["n"], 0);
}

#[test]
fn where_since_until_filters_count_as_filtered() {
    let v = json_ok(&["nps", &responses(), "--where", "region=EMEA"]);
    assert_eq!(v["total"]["n"], 4);
    approx(&v["total"]["nps"], 50.0);
    assert_eq!(v["inputs"][0]["filtered"], 7);
    assert_eq!(v["inputs"][0]["blank"], 1);
    // Same column repeated: OR of the values; `!=` excludes.
    let v = json_ok(&[
        "nps",
        &responses(),
        "--where",
        "region=EMEA",
        "--where",
        "region=APAC",
    ]);
    assert_eq!(v["total"]["n"], 7);
    let v = json_ok(&[
        "nps",
        &responses(),
        "--where",
        "region!=EMEA",
        "--where",
        "region!=APAC",
    ]);
    assert_eq!(v["total"]["n"], 3);
    // since is inclusive, until exclusive: Feb rows r08…r12 → 9, 7, 10, 0 (+ n/a).
    let v = json_ok(&["nps", &responses(), "--since", "2025-02-01"]);
    assert_eq!(v["total"]["n"], 4);
    assert_eq!(v["inputs"][0]["filtered"], 7);
    // r04 is 2025-01-09 00:00, the until instant itself: excluded.
    let v = json_ok(&["nps", &responses(), "--until", "2025-01-09"]);
    assert_eq!(v["total"]["n"], 3);
    let i = &v["inputs"][0];
    let sum: u64 = ["used", "blank", "rejected", "filtered", "duplicate"]
        .iter()
        .map(|k| i[k].as_u64().unwrap())
        .sum();
    assert_eq!(sum, i["rows"].as_u64().unwrap());
}

#[test]
fn last_n_keeps_complete_periods() {
    // As-of end of 2025-02-28: both months complete; --last 1 keeps February only.
    let v = json_ok(&[
        "nps",
        &responses(),
        "--period",
        "month",
        "--as-of",
        "2025-02-28",
        "--last",
        "1",
    ]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["period"], "2025-02");
    assert_eq!(v["total"]["n"], 4);
    // January's 7 rows (6 used + 1 blank) are filtered.
    assert_eq!(v["inputs"][0]["filtered"], 7);
    assert_eq!(v["inputs"][0]["used"], 4);
}

#[test]
fn every_input_format_reads_the_same() {
    for f in [
        "responses.csv",
        "responses.tsv",
        "responses_semicolon.csv",
        "responses.json",
        "responses.ndjson",
        "responses_bom.csv",
        "responses_utf16.csv",
        "responses.csv.gz",
    ] {
        let v = json_ok(&["nps", &fixture(&format!("surveys/{f}"))]);
        assert_eq!(v["total"]["n"], 10, "{f}");
        assert_eq!(v["total"]["blank"], 1, "{f}");
        assert_eq!(v["total"]["rejected"], 1, "{f}");
        approx(&v["total"]["nps"], 20.0);
    }
}

// A .gz input is decompressed through a buffer into a temporary file: a cut-off or damaged
// one is an error naming the file, never an engine message.
#[test]
fn a_damaged_gzip_input_is_an_error_naming_it() {
    let gz = std::fs::read(fixture("surveys/responses.csv.gz")).unwrap();
    let mut damaged = gz.clone();
    damaged[12] ^= 0xFF;
    for (name, bytes) in [
        ("cut.csv.gz", &gz[..gz.len() / 2]),
        ("bad.csv.gz", &damaged[..]),
    ] {
        let (_d, p) = temp_file(name, bytes);
        let o = run(&["nps", &p]);
        assert_eq!(o.code, 2, "{name}: {}", o.stderr);
        assert!(
            o.stderr.contains(&format!("{name}: not a valid gzip file")),
            "{name}: {}",
            o.stderr
        );
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    }
}

#[test]
fn stdin_is_sniffed() {
    let data = std::fs::read(responses()).unwrap();
    let o = run_stdin(&["nps", "-", "--format", "json"], Some(&data));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["total"]["n"], 10);
    assert_eq!(o.json()["inputs"][0]["path"], "<stdin>");
    let ndjson = std::fs::read(fixture("surveys/responses.ndjson")).unwrap();
    let o = run_stdin(&["nps", "-", "--format", "json"], Some(&ndjson));
    assert_eq!(o.json()["total"]["n"], 10);
}

#[test]
fn several_files_are_concatenated_and_deduplicated_by_id() {
    // The same 12 response ids twice: the later file's rows win, the first file's are duplicates.
    let v = json_ok(&["nps", &responses(), &fixture("surveys/responses.tsv")]);
    assert_eq!(v["total"]["n"], 10);
    assert_eq!(v["inputs"][0]["duplicate"], 12);
    assert_eq!(v["inputs"][1]["used"], 10);
    let v = json_ok(&[
        "nps",
        &responses(),
        &fixture("surveys/responses.tsv"),
        "--keep-duplicates",
    ]);
    assert_eq!(v["total"]["n"], 20);
}

#[test]
fn duplicate_ids_keep_latest_updated_at() {
    let (_d, p) = temp_file(
        "dups.csv",
        b"response_id,updated_at,score\na,2025-01-02,0\na,2025-01-05,10\na,2025-01-03,5\nb,2025-01-01,9\n",
    );
    let v = json_ok(&["nps", &p]);
    // a keeps the 2025-01-05 row (10); b 9 → two promoters, NPS 100.
    assert_eq!(v["total"]["n"], 2);
    approx(&v["total"]["nps"], 100.0);
    assert_eq!(v["inputs"][0]["duplicate"], 2);
}

#[test]
fn csat_five_point_scale() {
    // ratings 5 4 4 3 2 5 1 5, a blank, a 6 (out of range). satisfied (≥ 4): 5 of 8.
    let v = json_ok(&["csat", &fixture("surveys/csat.csv")]);
    let t = &v["total"];
    assert_eq!(t["n"], 8);
    assert_eq!(t["satisfied"], 5);
    assert_eq!(t["blank"], 1);
    assert_eq!(t["rejected"], 1);
    approx(&t["csat"], 62.5);
    approx(&t["mean"], 29.0 / 8.0);
    // Wilson: p̂ = 0.625, n = 8.
    let (p, n, z) = (0.625f64, 8.0f64, Z95);
    let c = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let h = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    approx(&t["ci_low"], 100.0 * (c - h));
    approx(&t["ci_high"], 100.0 * (c + h));
    assert_eq!(t["distribution"]["5"], 3);
    assert_eq!(t["distribution"].as_object().unwrap().len(), 5);
}

#[test]
fn csat_threshold_and_invert() {
    let v = json_ok(&["csat", &fixture("surveys/csat.csv"), "--satisfied", "5"]);
    assert_eq!(v["total"]["satisfied"], 3);
    approx(&v["total"]["csat"], 37.5);
    // Inverted (x → 6 − x): 1 2 2 3 4 1 5 1 → satisfied 4, 5 → 2 of 8.
    let v = json_ok(&["csat", &fixture("surveys/csat.csv"), "--invert"]);
    approx(&v["total"]["csat"], 25.0);
    assert_eq!(v["total"]["distribution"]["1"], 3);
    approx(&v["total"]["mean"], 19.0 / 8.0);
}

#[test]
fn csat_binary_zendesk_words() {
    // Good, Bad, good, Offered, Not Offered, bad, Good → 3 good of 5; offered words are blank.
    let v = json_ok(&[
        "csat",
        &fixture("surveys/zendesk_csat.csv"),
        "--scale",
        "binary",
    ]);
    let t = &v["total"];
    assert_eq!(t["n"], 5);
    assert_eq!(t["blank"], 2);
    approx(&t["csat"], 60.0);
    assert_eq!(t["mean"], Value::Null);
    assert_eq!(t["distribution"]["good"], 3);
    assert_eq!(t["distribution"]["bad"], 2);
}

#[test]
fn ces_seven_point() {
    // 7 6 5 4 3 2 7 1: mean 35/8; easy (≥ 5) 4 of 8; difficult (≤ 3) 3 of 8;
    // squared deviations sum 35.875 → sd = sqrt(35.875 / 7).
    let v = json_ok(&["ces", &fixture("surveys/ces.csv")]);
    let t = &v["total"];
    approx(&t["ces"], 4.375);
    approx(&t["easy_pct"], 50.0);
    approx(&t["difficult_pct"], 37.5);
    let sd = (35.875f64 / 7.0).sqrt();
    approx(&t["sd"], sd);
    approx(&t["ci_low"], 4.375 - Z95 * sd / 8f64.sqrt());
    approx(&t["ci_high"], 4.375 + Z95 * sd / 8f64.sqrt());
}

#[test]
fn pmf_answers() {
    // very ×3, somewhat ×2 (one "Mildly"), not ×1, N/A blank → 3 of 6 = 50 %.
    let v = json_ok(&["pmf", &fixture("surveys/pmf.csv"), "--col", "score=answer"]);
    let t = &v["total"];
    assert_eq!(
        (
            t["very"].as_u64(),
            t["somewhat"].as_u64(),
            t["not"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(t["blank"], 1);
    approx(&t["pmf"], 50.0);
    assert_eq!(t["pmf_reached"], true);
}

#[test]
fn one_response_and_zero_answers() {
    let (_d, p) = temp_file("one.csv", b"score\n9\n");
    let v = json_ok(&["nps", &p]);
    approx(&v["total"]["nps"], 100.0);
    // Filters that leave nothing: exit 0, n 0, null metrics, a warning.
    let o = run(&["nps", &p, "--where", "score=1", "--format", "json"]);
    assert_eq!(o.code, 0);
    let v = o.json();
    assert_eq!(v["total"]["n"], 0);
    assert_eq!(v["total"]["nps"], Value::Null);
    assert_eq!(v["total"]["promoters_pct"], Value::Null);
    assert!(!v["warnings"].as_array().unwrap().is_empty());
    // All blank: no valid answer is an error.
    let (_d2, p2) = temp_file("blank.csv", b"score\n\n \n,\n");
    let o = run(&["nps", &p2]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

#[test]
fn csv_markdown_and_table_outputs() {
    let o = run(&["nps", &responses(), "--by", "region", "--format", "csv"]);
    assert_eq!(o.code, 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(
        lines[0].starts_with("region,n,blank,rejected,promoters"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("dist_0") && lines[0].contains("dist_10"));
    assert!(lines[1].starts_with("AMER,3,"));
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("(all),10,1,1,5,2,3,50,20,30,20,"),
        "{}",
        lines.last().unwrap()
    );
    let md = run(&[
        "nps",
        &responses(),
        "--by",
        "region",
        "--format",
        "markdown",
    ]);
    assert!(
        md.stdout.contains("| region |") && md.stdout.contains("| EMEA |"),
        "{}",
        md.stdout
    );
    let t = run(&["nps", &responses(), "--by", "region"]);
    assert!(
        t.stdout.lines().all(|l| l.chars().count() <= 80),
        "table fits 80 columns:\n{}",
        t.stdout
    );
    assert!(t.stdout.lines().next_back().unwrap().contains("Total"));
    assert!(
        t.stderr
            .contains("responses.csv: 12 rows, 10 used, 1 blank, 1 rejected"),
        "{}",
        t.stderr
    );
    // A JSON output has no summary line on stderr but keeps the warnings.
    let j = run(&["nps", &responses(), "--format", "json"]);
    assert!(!j.stderr.contains("12 rows"));
}

#[test]
fn output_file_is_written_atomically_with_format_from_extension() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nps.json");
    let o = run(&["nps", &responses(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["total"]["n"], 10);
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let bad = run(&["nps", &responses(), "-o", "/nonexistent-dir/x.json"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .starts_with("cxm: error: -o /nonexistent-dir/x.json"),
        "{}",
        bad.stderr
    );
    let unknown = run(&["nps", &responses(), "-o", "x.xyz"]);
    assert_eq!(unknown.code, 2);
}

#[test]
fn csv_cells_that_look_like_formulas_are_neutralised() {
    let (_d, p) = temp_file(
        "f.csv",
        b"score,segment\n9,=HYPERLINK(\"http://x\")\n7,(all)\n3,-5\n",
    );
    let o = run(&["nps", &p, "--by", "segment", "--format", "csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("'(all)"), "{}", o.stdout);
    assert!(o.stdout.contains("\"'=HYPERLINK("), "{}", o.stdout);
    // A number is left alone.
    assert!(
        o.stdout.lines().any(|l| l.starts_with("-5,")),
        "{}",
        o.stdout
    );
}

// ---- bad input: a clear error (exit 2) or a counted rejection, never a panic ----

fn err_of(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(
        o.code, 2,
        "{args:?} should fail; stdout {} stderr {}",
        o.stdout, o.stderr
    );
    assert!(o.stderr.starts_with("cxm: error: "), "{}", o.stderr);
    assert_eq!(
        o.stderr.trim_end().lines().count(),
        1,
        "one line: {}",
        o.stderr
    );
    assert!(!o.stderr.contains("panicked"));
    o.stderr
}

#[test]
fn missing_empty_and_header_only_files() {
    assert!(err_of(&["nps", "no-such-file.csv"])
        .contains("no-such-file.csv: cannot open: no such file"));
    let (_d, p) = temp_file("empty.csv", b"");
    assert!(err_of(&["nps", &p]).contains("empty"));
    let (_d2, p2) = temp_file("header.csv", b"id,score\n");
    assert!(err_of(&["nps", &p2]).contains("no data rows"));
}

#[test]
fn missing_score_column_suggests() {
    let (_d, p) = temp_file("x.csv", b"id,Score_Value,region\n1,9,EU\n");
    let e = err_of(&["nps", &p]);
    assert!(
        e.contains("no column \"score\"") && e.contains("found: id, Score_Value, region"),
        "{e}"
    );
    assert!(e.contains("--col score="), "{e}");
}

#[test]
fn invalid_scores_are_rejected_with_reasons() {
    let (_d, p) = temp_file("s.csv", b"id,score\n1,11\n2,-1\n3,n/a\n4,9.5\n5,\n6,8\n");
    let v = json_ok(&["nps", &p]);
    assert_eq!(v["total"]["n"], 1);
    assert_eq!(v["total"]["blank"], 1);
    assert_eq!(v["total"]["rejected"], 4);
    let dir = tempfile::tempdir().unwrap();
    let rej = dir.path().join("rejects.csv");
    let o = run(&["nps", &p, "--rejects", rej.to_str().unwrap(), "-q"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(&rej).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,score,cxm_file,cxm_line,cxm_reason");
    assert_eq!(lines.len(), 5);
    assert!(
        lines[1].starts_with("1,11,")
            && lines[1].ends_with(",2,\"out_of_range: score 11 not in 0–10 (score \"\"11\"\")\""),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains(",3,\"out_of_range"), "{}", lines[2]);
    assert!(
        lines[3].contains(",4,\"invalid_value: score \"\"n/a\"\" is not a number\""),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].ends_with(",5,\"not_integer: score 9.5 is not an integer (score \"\"9.5\"\")\""),
        "{}",
        lines[4]
    );
    // --strict: the first rejected row is an error naming FILE:LINE:COLUMN.
    let e = err_of(&["nps", &p, "--strict"]);
    assert!(
        e.contains("s.csv:2:score") && e.contains("out_of_range"),
        "{e}"
    );
}

#[test]
fn rejects_positions_in_json_and_ndjson() {
    let (_d, p) = temp_file("a.json", br#"[{"score": 9}, {"score": "x"}]"#);
    let e = err_of(&["nps", &p, "--strict"]);
    assert!(e.contains("a.json[1]:score"), "{e}");
    let (_d2, p2) = temp_file("a.ndjson", b"{\"score\": 9}\n\n{\"score\": 12}\n");
    let e = err_of(&["nps", &p2, "--strict"]);
    assert!(e.contains("a.ndjson:3:score"), "{e}");
}

#[test]
fn unparseable_date_with_period() {
    let (_d, p) = temp_file(
        "d.csv",
        b"submitted_at,score\n03/04/2025,9\n2025-01-01,8\n,7\n",
    );
    let v = json_ok(&["nps", &p, "--period", "month"]);
    assert_eq!(v["total"]["n"], 1);
    assert_eq!(v["inputs"][0]["rejected"], 1);
    assert_eq!(v["inputs"][0]["blank"], 1);
    let e = err_of(&["nps", &p, "--period", "month", "--strict"]);
    assert!(
        e.contains("d.csv:2:submitted_at") && e.contains("--date-format"),
        "{e}"
    );
    // With the format given, the row is read.
    let v = json_ok(&["nps", &p, "--period", "month", "--date-format", "%d/%m/%Y"]);
    assert_eq!(v["total"]["n"], 2);
}

#[test]
fn mixed_columns_across_files() {
    let (_d, a) = temp_file("a.csv", b"submitted_at,score\n2025-01-01,9\n");
    let (_d2, b) = temp_file("b.csv", b"score\n7\n");
    let e = err_of(&["nps", &a, &b]);
    assert!(e.contains("do not have the same columns"), "{e}");
}

#[test]
fn json_api_pages_and_nested_objects() {
    // An API page: the records are under "survey_responses"; nested objects become dotted
    // names usable with --by. 9, 10 → promoters 2; 3 → detractor 1: NPS = 100 × (2 − 1) / 3.
    let (_d, p) = temp_file(
        "page.json",
        br#"{"survey_responses": [
  {"score": 9, "person": {"plan": "pro"}},
  {"score": "10 - Extremely likely", "person": {"plan": "pro"}},
  {"score": 3, "person": {"plan": "basic"}}], "next_page": null}"#,
    );
    let o = run(&["nps", &p, "--by", "person.plan", "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let d: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    approx(&d["total"]["nps"], 100.0 / 3.0);
    assert_eq!(d["rows"][0]["group"]["person.plan"], "basic");
    approx(&d["rows"][0]["nps"], -100.0);
    // NDJSON lines that wrap one record each ({"survey_response": {…}}).
    let (_d2, p2) = temp_file(
        "wrapped.ndjson",
        b"{\"survey_response\": {\"score\": 10}}\n{\"survey_response\": {\"score\": 0}}\n",
    );
    let o = run(&["nps", &p2, "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let d: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    approx(&d["total"]["nps"], 0.0);
    assert_eq!(d["total"]["n"], 2);
}

#[test]
fn json_that_is_not_an_array_of_objects() {
    // A document that is one object is one record (score 9: a promoter of n 1).
    let (_d, p) = temp_file("o.json", br#"{"score": 9}"#);
    let v = json_ok(&["nps", &p]);
    assert_eq!(
        (&v["total"]["n"], &v["total"]["promoters"]),
        (&1.into(), &1.into())
    );
    let (_d4, p4) = temp_file("s.json", br#""score""#);
    assert!(err_of(&["nps", &p4]).contains("not an array of objects"));
    let (_d1, p1) = temp_file("e.json", br#"{"responses": []}"#);
    assert!(err_of(&["nps", &p1]).contains("e.json: the JSON holds no records"));
    let (_d2, p2) = temp_file("n.json", b"[1, 2]");
    assert!(err_of(&["nps", &p2]).contains("n.json[0]: expected an object"));
    // Cut off after the first record (14 bytes): the byte where it ends and the record.
    let (_d3, p3) = temp_file("bad.json", b"[{\"score\": 9},");
    let e = err_of(&["nps", &p3]);
    assert!(
        e.contains("bad.json: the JSON ends at byte 14 inside record [1]: the file is truncated; export it again"),
        "{e}"
    );
}

#[test]
fn invalid_utf8_and_encoding_flag() {
    let (_d, p) = temp_file("l.csv", b"id,score,name\n1,9,Jos\xe9\n");
    let e = err_of(&["nps", &p]);
    assert!(
        e.contains("l.csv:2:name") && e.contains("--encoding latin1"),
        "{e}"
    );
    let v = json_ok(&["nps", &p, "--encoding", "latin1"]);
    assert_eq!(v["total"]["n"], 1);
}

#[test]
fn csv_record_field_counts() {
    // More fields: rejected as too_many_fields (SPEC 9), an error only under --strict.
    let (_d, p) = temp_file("long.csv", b"id,score\n1,9\n2,8,7\n");
    let v = json_ok(&["nps", &p]);
    assert_eq!(
        (&v["total"]["n"], &v["total"]["rejected"]),
        (&1.into(), &1.into())
    );
    let e = err_of(&["nps", &p, "--strict"]);
    assert!(
        e.contains("long.csv:3")
            && e.contains("too_many_fields: the record has 3 fields but the header has 2"),
        "{e}"
    );
    // Fewer fields: the record is rejected as field_count.
    let (_d2, p2) = temp_file("short.csv", b"id,score,c\n1,9,x\n2,8\n");
    let v = json_ok(&["nps", &p2]);
    assert_eq!(v["total"]["n"], 1);
    assert_eq!(v["total"]["rejected"], 1);
}

#[test]
fn usage_errors_are_one_line() {
    assert!(err_of(&["nps", &responses(), "--bogus"]).contains("--bogus"));
    assert!(err_of(&["nps", &responses(), "--col", "scroe=x"]).contains("Did you mean \"score\""));
    assert!(err_of(&["nps", &responses(), "--by", "regoin"]).contains("Did you mean \"region\""));
    assert!(err_of(&["nps", &responses(), "--tz", "Mars/Base"]).contains("--tz"));
    assert!(err_of(&["nps", &responses(), "--period", "fortnight"]).contains("--period"));
    assert!(err_of(&["nps", &responses(), "--since", "yesterday"]).contains("--since"));
    assert!(err_of(&["csat", &responses(), "--scale", "4"]).contains("--scale"));
}

#[test]
fn week_periods_are_iso_weeks_in_tz() {
    // r01 is Monday 2025-01-06 09:15 UTC → 2025-W02. In Pacific/Kiritimati (UTC+14) r02
    // (Tue 10:00 UTC) is Wednesday: still W02.
    let v = json_ok(&["nps", &responses(), "--period", "week"]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows[0]["period"], "2025-W02");
    // Weeks run contiguously to the last week with data (2025-W07); empty weeks have n 0.
    assert_eq!(rows.last().unwrap()["period"], "2025-W07");
    assert!(rows.iter().any(|r| r["n"] == 0 && r["nps"].is_null()));
}

#[test]
fn closed_stdout_exits_zero() {
    use std::io::Read;
    use std::process::Stdio;
    let mut body = String::from("id,score\n");
    for i in 0..20000 {
        body.push_str(&format!("{i},{}\n", i % 11));
    }
    let (_d, p) = temp_file("big.csv", body.as_bytes());
    let mut child = cmd()
        .args(["nps", &p, "--by", "id", "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 64];
    out.read_exact(&mut buf).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn format_and_delimiter_overrides() {
    // A .txt holding semicolon-separated CSV: detected by content, delimiter sniffed.
    let data = std::fs::read(fixture("surveys/responses_semicolon.csv")).unwrap();
    let (_d, p) = temp_file("export.txt", &data);
    assert_eq!(json_ok(&["nps", &p])["total"]["n"], 10);
    // A JSON file without a telling extension, with --input-format.
    let data = std::fs::read(fixture("surveys/responses.json")).unwrap();
    let (_d2, p2) = temp_file("export.data", &data);
    assert_eq!(
        json_ok(&["nps", &p2, "--input-format", "json"])["total"]["n"],
        10
    );
    // A pipe-separated file whose header also holds commas inside quotes.
    let (_d3, p3) = temp_file("p.csv", b"\"id, internal\"|score\n1|9\n2|10\n");
    assert_eq!(json_ok(&["nps", &p3])["total"]["n"], 2);
    assert_eq!(json_ok(&["nps", &p3, "--delimiter", "|"])["total"]["n"], 2);
}

#[test]
fn na_values_are_blank_not_rejected() {
    let (_d, p) = temp_file("na.csv", b"score\n9\nNA\nnull\n7\n");
    let v = json_ok(&["nps", &p]);
    assert_eq!(v["total"]["rejected"], 2);
    let v = json_ok(&["nps", &p, "--na-values", "NA,null"]);
    assert_eq!(v["total"]["rejected"], 0);
    assert_eq!(v["total"]["blank"], 2);
    assert_eq!(v["total"]["n"], 2);
}

#[test]
fn periods_follow_tz_and_input_tz() {
    // 2025-01-31 23:30 UTC is February 1 in Berlin (UTC+1).
    let (_d, p) = temp_file(
        "tz.csv",
        b"submitted_at,score\n2025-01-31T23:30:00Z,10\n2025-01-15 12:00,0\n",
    );
    let v = json_ok(&["nps", &p, "--period", "month"]);
    assert_eq!(v["rows"].as_array().unwrap().len(), 1);
    let v = json_ok(&["nps", &p, "--period", "month", "--tz", "Europe/Berlin"]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["period"], "2025-02");
    assert_eq!(rows[1]["n"], 1);
    // as_of carries the zone's offset.
    assert_eq!(v["as_of"], "2025-02-01T00:30:00+01:00");
    // The naive time is read in --input-tz: 2025-01-15 12:00 in Tokyo is 03:00 UTC.
    let v = json_ok(&["nps", &p, "--period", "day", "--input-tz", "Asia/Tokyo"]);
    assert_eq!(v["rows"][0]["period"], "2025-01-15");
}

#[test]
fn wide_tables_and_no_progress_when_piped() {
    let o = run(&["nps", &responses(), "--by", "region", "--wide"]);
    assert_eq!(o.code, 0);
    assert!(
        o.stdout.contains("dist_10") && o.stdout.contains("ci_high"),
        "{}",
        o.stdout
    );
    // stderr is not a terminal here: no spinner, only the summary line.
    assert!(!o.stderr.contains('\r'), "{:?}", o.stderr);
    assert_eq!(
        o.stderr
            .lines()
            .filter(|l| !l.starts_with("cxm: warning"))
            .count(),
        1,
        "{}",
        o.stderr
    );
    let q = run(&["nps", &responses(), "-q", "--no-progress"]);
    assert!(q.stderr.is_empty(), "{}", q.stderr);
}

#[test]
fn parquet_input() {
    let v = json_ok(&[
        "nps",
        &fixture("surveys/responses.parquet"),
        "--by",
        "region",
    ]);
    assert_eq!(v["total"]["n"], 10);
    approx(&v["rows"][2]["nps"], 50.0);
    let o = run(&["nps", &fixture("surveys/responses.parquet"), "--strict"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("responses.parquet[8]:score"),
        "{}",
        o.stderr
    );
}

// fixtures/parquet/zoned.parquet (written by DuckDB): `submitted_at` is a TIMESTAMPTZ
// column (Parquet instants adjusted to UTC), `score` an INTEGER column:
//   r1 2024-01-31 23:30 UTC 10 (00:30 on 1 February in Berlin), r2 2024-01-15 12:00 UTC 3,
//   r3 2024-02-10 08:00 UTC 9, r4 2024-02-20 08:00:00.25 UTC 7.
// By UTC month: January 10, 3 → NPS 100 × (1 − 1) / 2 = 0; February 9, 7 → 100 × 1 / 2 = 50.
// By Berlin month: January 3 → −100; February 10, 9, 7 → 100 × 2 / 3 = 66.67.
#[test]
fn parquet_instants_with_a_zone_are_read_as_utc() {
    let f = fixture("parquet/zoned.parquet");
    for (tz, jan, feb) in [("UTC", 0.0, 50.0), ("Europe/Berlin", -100.0, 200.0 / 3.0)] {
        let v = json_ok(&["nps", &f, "--period", "month", "--tz", tz]);
        let rows = v["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{v}");
        assert_eq!(rows[0]["period"], "2024-01");
        approx(&rows[0]["nps"], jan);
        assert_eq!(rows[1]["period"], "2024-02");
        approx(&rows[1]["nps"], feb);
        assert_eq!(v["inputs"][0]["used"], 4);
    }
}

#[test]
fn blank_lines_are_not_records_and_lines_are_physical() {
    // Line 3 is empty and line 5 holds a quoted newline: the 11 starts on physical line 7.
    let (_d, p) = temp_file(
        "bl.csv",
        b"id,score,c\n1,9,a\n\n2,8,\"x\ny\"\n3,7,b\n4,11,z\n",
    );
    let v = json_ok(&["nps", &p]);
    assert_eq!(v["inputs"][0]["rows"], 4);
    assert_eq!(v["total"]["blank"], 0);
    assert_eq!(v["total"]["rejected"], 1);
    let o = run(&["nps", &p, "--strict"]);
    assert!(o.stderr.contains("bl.csv:7:score"), "{}", o.stderr);
    // CRLF line ends.
    let (_d2, p2) = temp_file("crlf.csv", b"id,score\r\n1,9\r\n\r\n2,12\r\n");
    let o = run(&["nps", &p2, "--strict"]);
    assert!(o.stderr.contains("crlf.csv:4:score"), "{}", o.stderr);
    assert_eq!(json_ok(&["nps", &p2])["inputs"][0]["rows"], 2);
}

#[test]
fn every_survey_command_in_every_format() {
    let cases: [(&str, String, &[&str]); 4] = [
        ("nps", responses(), &["--by", "region"]),
        ("csat", fixture("surveys/csat.csv"), &["--by", "channel"]),
        ("ces", fixture("surveys/ces.csv"), &[]),
        (
            "pmf",
            fixture("surveys/pmf.csv"),
            &["--col", "score=answer"],
        ),
    ];
    for (command, file, extra) in &cases {
        for format in ["table", "json", "csv", "markdown"] {
            let mut args = vec![*command, file.as_str(), "--format", format];
            args.extend(extra.iter());
            let o = run(&args);
            assert_eq!(o.code, 0, "{command} {format}: {}", o.stderr);
            match format {
                "json" => assert_eq!(o.json()["metric"], *command),
                "csv" => {
                    let mut r = csv::Reader::from_reader(o.stdout.as_bytes());
                    let width = r.headers().unwrap().len();
                    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
                    assert!(
                        !rows.is_empty() && rows.iter().all(|x| x.len() == width),
                        "{command} csv"
                    );
                    assert!(r.headers().unwrap().iter().any(|h| h == "n"));
                }
                "markdown" => assert!(
                    o.stdout
                        .contains(&format!("### {}", command.to_uppercase())),
                    "{}",
                    o.stdout
                ),
                _ => assert!(
                    o.stdout.starts_with(&command.to_uppercase()),
                    "{}",
                    o.stdout
                ),
            }
        }
    }
}
