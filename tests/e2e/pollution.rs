//! The pollution corpus (SPEC 9): `scripts/pollute.py` writes, from a clean export of each
//! dataset kind, one variant per pollution class real exports show, with the outcome cxm
//! documents for it (`docs/metrics.md`, "Malformed records"). Every variant goes through the
//! binary: no panic, no engine message, every row accounted, the rejected lines named, and
//! the clean twin's figures where the pollution changes no value.

use std::process::Command;

use serde_json::Value;

use crate::util::{root, run};

fn metric_args(kind: &str) -> Vec<&'static str> {
    match kind {
        "surveys" => vec!["nps"],
        "tickets" => vec!["tickets", "--as-of", "2025-08-01"],
        _ => vec!["churn", "--as-of", "2025-08-01", "--period", "month"],
    }
}

/// The `cxm_line` column of a rejects CSV.
fn rejected_lines(path: &std::path::Path) -> Vec<(u64, String)> {
    let mut r = csv::Reader::from_path(path).expect("rejects file");
    let h = r.headers().expect("header").clone();
    let li = h.iter().position(|x| x == "cxm_line").expect("cxm_line");
    let ri = h
        .iter()
        .position(|x| x == "cxm_reason")
        .expect("cxm_reason");
    r.records()
        .map(|x| {
            let x = x.expect("record");
            (x[li].parse().expect("line"), x[ri].to_string())
        })
        .collect()
}

fn engine_message(stderr: &str) -> bool {
    [
        "panicked",
        "polars",
        "ComputeError",
        "as dtype",
        "serde",
        "RUST_BACKTRACE",
    ]
    .iter()
    .any(|m| stderr.contains(m))
}

#[test]
fn every_polluted_export_is_read_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(root().join("scripts/pollute.py"))
        .arg(dir.path())
        .output()
        .expect("python3 runs scripts/pollute.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    assert!(manifest.len() >= 75, "{} cases", manifest.len());

    let mut failures: Vec<String> = Vec::new();
    let mut read_like_twin = 0usize;
    let mut readable = 0usize;
    let mut clean: std::collections::HashMap<String, Value> = Default::default();
    for case in &manifest {
        let kind = case["kind"].as_str().unwrap();
        let file = dir.path().join(case["file"].as_str().unwrap());
        let file = file.to_string_lossy().into_owned();
        let twin = clean.entry(kind.to_string()).or_insert_with(|| {
            let p = dir.path().join(kind).join("clean.csv");
            let mut args = metric_args(kind);
            let p = p.to_string_lossy().into_owned();
            args.extend(["--format", "json", "-q"]);
            args.insert(1, &p);
            let o = run(&args);
            assert_eq!(o.code, 0, "clean {kind}: {}", o.stderr);
            o.json()
        });
        let rej = dir.path().join(format!(
            "rej_{}_{}.csv",
            kind,
            case["class"].as_str().unwrap()
        ));
        let rej_s = rej.to_string_lossy().into_owned();
        let mut args = metric_args(kind);
        args.insert(1, &file);
        args.extend(["--format", "json", "--rejects", &rej_s]);
        let o = run(&args);
        let name = case["file"].as_str().unwrap();
        let mut fail = |what: String| failures.push(format!("{name}: {what}"));
        if engine_message(&o.stderr) {
            fail(format!("engine message or panic: {}", o.stderr));
            continue;
        }
        let outcome = case["outcome"].as_str().unwrap();
        if outcome == "error" {
            let want = case["error"].as_str().unwrap();
            if o.code != 2
                || !o.stderr.starts_with("cxm: error: ")
                || !o.stderr.contains(want)
                || o.stderr.trim_end().lines().count() != 1
            {
                fail(format!(
                    "expected one error line with {want:?}, got {} {}",
                    o.code, o.stderr
                ));
            }
            continue;
        }
        readable += 1;
        if o.code != 0 {
            fail(format!("exit {}: {}", o.code, o.stderr));
            continue;
        }
        let v = o.json();
        let i = &v["inputs"][0];
        let rows = i["rows"].as_u64().unwrap();
        let parts: u64 = ["used", "blank", "rejected", "filtered", "duplicate"]
            .iter()
            .map(|k| i[k].as_u64().unwrap())
            .sum();
        if parts != rows {
            fail(format!("rows {rows} but the parts add up to {parts}: {i}"));
        }
        let want_rows = case["rows"].as_u64().unwrap();
        if rows != want_rows {
            fail(format!("rows {rows}, expected {want_rows}"));
        }
        let twin_rejected = twin["inputs"][0]["rejected"].as_u64().unwrap();
        let want_lines: Vec<u64> = case["rejected_lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        let got = rejected_lines(&rej);
        let got_lines: Vec<u64> = got.iter().map(|x| x.0).collect();
        if twin_rejected == 0 && got_lines != want_lines {
            fail(format!("rejected lines {got:?}, expected {want_lines:?}"));
        }
        if let Some(reason) = case["reason"].as_str() {
            if !got.iter().all(|(_, r)| r.starts_with(reason)) {
                fail(format!("reasons {got:?}, expected {reason}"));
            }
        }
        if rows == twin["inputs"][0]["rows"].as_u64().unwrap()
            && v["definition"]["columns"] == twin["definition"]["columns"]
        {
            read_like_twin += 1;
        }
        if outcome == "same" && (v["rows"] != twin["rows"] || v["total"] != twin["total"]) {
            fail(format!(
                "figures differ from the clean twin's: {} vs {}",
                v["total"], twin["total"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every variant but the two-row header keeps the clean twin's rows and columns.
    let two_row = manifest
        .iter()
        .filter(|c| c["class"] == "two_row_header")
        .count();
    assert_eq!(read_like_twin, readable - two_row);
}
