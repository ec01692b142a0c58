//! `cxm report` and `cxm check` through the binary: the example config, atomic output
//! directories, config errors, escaping of hostile data, JUnit XML, and the HTML page in
//! headless Chromium.

use std::path::{Path, PathBuf};

use crate::util::*;

const EXPECTED_FILES: &[&str] = &[
    ".cxm-report",
    "churn.csv",
    "nps_by_region.csv",
    "nps_monthly.csv",
    "report.html",
    "retention.csv",
    "summary.json",
    "summary.md",
    "tickets.csv",
];

fn example() -> String {
    root()
        .join("examples/cxm.toml")
        .to_string_lossy()
        .into_owned()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A config in a temporary directory (paths in it are relative to that directory).
fn config_in(dir: &Path, text: &str) -> String {
    let p = dir.join("cxm.toml");
    std::fs::write(&p, text).unwrap();
    s(&p)
}

fn responses() -> String {
    s(&root().join("examples/responses.csv"))
}

#[test]
fn example_report_is_complete_valid_and_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let o = run(&["report", &example(), "-o", &s(&a), "--as-of", "2025-03-31"]);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    assert_eq!(listing(&a), EXPECTED_FILES);
    // Detected presets are noted per metric.
    assert!(
        o.stderr
            .contains("cxm: note: tickets: detected the zendesk export format")
            && o.stderr
                .contains("cxm: note: churn: detected the stripe export format"),
        "{}",
        o.stderr
    );
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("summary.json")).unwrap()).unwrap();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["as_of"], "2025-04-01T00:00:00+00:00");
    let names: Vec<&str> = j["metrics"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        [
            "nps_monthly",
            "nps_by_region",
            "tickets",
            "churn",
            "retention"
        ]
    );
    assert_eq!(j["metrics"]["nps_monthly"]["metric"], "nps");
    assert_eq!(j["metrics"]["retention"]["metric"], "retention");
    let checks = j["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 3);
    assert!(checks.iter().all(|c| c["passed"] == true), "{checks:?}");
    // The CSV of a metric is the command's CSV.
    let csv = std::fs::read_to_string(a.join("nps_by_region.csv")).unwrap();
    assert!(csv.starts_with("region,"), "{csv}");
    assert!(csv.contains("\n(all),"), "{csv}");

    // A second run into another directory: byte-identical files.
    let o = run(&["report", &example(), "-o", &s(&b), "--as-of", "2025-03-31"]);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    for f in EXPECTED_FILES {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between runs"
        );
    }
    // A rerun replaces the directory it wrote, leaving nothing else behind.
    let o = run(&["report", &example(), "-o", &s(&a), "-q"]);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    assert_eq!(listing(&a), EXPECTED_FILES);
    assert_eq!(listing(tmp.path()), ["a", "b"]);
}

#[test]
fn without_as_of_a_warning_says_reruns_may_differ() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_in(
        tmp.path(),
        &format!(
            "[sources.r]\npath = {:?}\ncolumns = {{ score = \"How likely are you to recommend us?\" }}\n\n[[metrics]]\nkind = \"nps\"\nsource = \"r\"\n",
            responses()
        ),
    );
    let out = tmp.path().join("out");
    let o = run(&["report", &cfg, "-o", &s(&out)]);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    assert!(o.stderr.contains("reruns may differ"), "{}", o.stderr);
    assert!(
        out.join("nps.csv").is_file(),
        "a metric without name is named after its kind"
    );
}

#[test]
fn failing_check_exits_1_with_the_report_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_in(
        tmp.path(),
        &format!(
            "as_of = \"2025-03-31\"\n[sources.r]\npath = {:?}\ncolumns = {{ score = \"How likely are you to recommend us?\" }}\n\n[[metrics]]\nname = \"nps\"\nkind = \"nps\"\nsource = \"r\"\nperiod = \"month\"\n\n[[checks]]\nmetric = \"nps\"\nassert = \"nps >= 90\"\n\n[[checks]]\nmetric = \"nps\"\nassert = \"latest.n > 10\"\n",
            responses()
        ),
    );
    let out = tmp.path().join("out");
    let o = run(&["report", &cfg, "-o", &s(&out)]);
    assert_eq!(o.code, 1, "stderr: {}", o.stderr);
    assert!(
        o.stderr.contains("FAIL nps: nps >= 90 (value "),
        "{}",
        o.stderr
    );
    assert_eq!(
        listing(&out),
        [
            ".cxm-report",
            "nps.csv",
            "report.html",
            "summary.json",
            "summary.md"
        ]
    );
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(j["checks"][0]["passed"], false);
    assert_eq!(j["checks"][1]["passed"], true);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("FAIL") && html.contains("PASS"));

    // cxm check: one line per check, exit 1; JSON; JUnit XML.
    let junit = tmp.path().join("junit.xml");
    let o = run(&["check", &cfg, "--junit", &s(&junit)]);
    assert_eq!(o.code, 1, "stderr: {}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", o.stdout);
    assert!(
        lines[0].starts_with("FAIL nps: nps >= 90 (value "),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("PASS nps: latest.n > 10 (value 202, n 202)"),
        "{}",
        lines[1]
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    well_formed(&xml);
    assert!(
        xml.contains("<testsuite name=\"cxm\" tests=\"2\" failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase classname=\"nps\" name=\"nps &gt;= 90\">"),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"value "), "{xml}");

    let o = run(&["check", &cfg, "--format", "json"]);
    assert_eq!(o.code, 1);
    let j = o.json();
    assert_eq!(j["passed"], false);
    assert_eq!(j["checks"].as_array().unwrap().len(), 2);
    assert_eq!(j["checks"][1]["n"], 202);
}

#[test]
fn broken_source_path_exits_2_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_in(
        tmp.path(),
        "[sources.r]\npath = \"missing.csv\"\n\n[[metrics]]\nkind = \"nps\"\nsource = \"r\"\n",
    );
    let out = tmp.path().join("out");
    let o = run(&["report", &cfg, "-o", &s(&out)]);
    assert_eq!(o.code, 2, "stderr: {}", o.stderr);
    assert!(o.stderr.starts_with("cxm: error: "), "{}", o.stderr);
    assert!(o.stderr.contains("missing.csv"), "{}", o.stderr);
    assert!(!out.exists());
    assert_eq!(
        listing(tmp.path()),
        ["cxm.toml"],
        "no temporary directory left"
    );

    // A glob that matches nothing.
    let cfg = config_in(
        tmp.path(),
        "[sources.r]\npath = \"exports-*.csv\"\n\n[[metrics]]\nkind = \"nps\"\nsource = \"r\"\n",
    );
    let o = run(&["report", &cfg, "-o", &s(&out)]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no file matches"), "{}", o.stderr);
    assert_eq!(listing(tmp.path()), ["cxm.toml"]);
}

#[test]
fn output_directory_that_cannot_be_written() {
    let tmp = tempfile::tempdir().unwrap();
    // The parent is a file.
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let o = run(&["report", &example(), "-o", &s(&file.join("out"))]);
    assert_eq!(o.code, 2, "stderr: {}", o.stderr);
    assert!(o.stderr.contains("cannot write"), "{}", o.stderr);

    // A directory with someone else's files is not replaced.
    let theirs = tmp.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "keep me").unwrap();
    let o = run(&["report", &example(), "-o", &s(&theirs)]);
    assert_eq!(o.code, 2, "stderr: {}", o.stderr);
    assert!(o.stderr.contains("was not written by cxm"), "{}", o.stderr);
    assert_eq!(listing(&theirs), ["notes.txt"]);
    assert_eq!(listing(tmp.path()), ["file", "theirs"]);

    // An empty directory is fine.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = run(&["report", &example(), "-o", &s(&empty), "-q"]);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    assert_eq!(listing(&empty), EXPECTED_FILES);
}

#[test]
fn unknown_keys_and_kinds_name_the_line_and_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let base = format!(
        "tz = \"UTC\"\n\n[sources.r]\npath = {:?}\n\n[[metrics]]\nkind = \"nps\"\nsource = \"r\"\n\n[[metrics]]\nname = \"second\"\nkind = \"nps\"\nsource = \"r\"\nperod = \"month\"\n",
        responses()
    );
    let cfg = config_in(tmp.path(), &base);
    let out = tmp.path().join("out");
    let o = run(&["report", &cfg, "-o", &s(&out)]);
    assert_eq!(o.code, 2, "stderr: {}", o.stderr);
    assert!(o.stderr.contains("cxm.toml:14:"), "{}", o.stderr);
    assert!(o.stderr.contains("\"perod\""), "{}", o.stderr);
    assert!(o.stderr.contains("did you mean \"period\""), "{}", o.stderr);
    assert!(!out.exists());

    let cfg = config_in(
        tmp.path(),
        &base.replace("perod = \"month\"\n", "").replace(
            "kind = \"nps\"\nsource = \"r\"\n\n[[metrics]]",
            "kind = \"npss\"\nsource = \"r\"\n\n[[metrics]]",
        ),
    );
    let o = run(&["check", &cfg]);
    assert_eq!(o.code, 2, "stderr: {}", o.stderr);
    assert!(o.stderr.contains("cxm.toml:7:"), "{}", o.stderr);
    assert!(o.stderr.contains("did you mean \"nps\""), "{}", o.stderr);

    // A key another kind takes.
    let cfg = config_in(
        tmp.path(),
        &base.replace("perod = \"month\"", "sla_resolution = \"1d\""),
    );
    let o = run(&["check", &cfg]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("tickets do"), "{}", o.stderr);

    // Two metrics with one name.
    let cfg = config_in(
        tmp.path(),
        &base
            .replace("perod = \"month\"\n", "")
            .replace("name = \"second\"", "name = \"nps\""),
    );
    let o = run(&["check", &cfg]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("two metrics are named \"nps\""),
        "{}",
        o.stderr
    );

    // Invalid TOML names the line.
    let cfg = config_in(tmp.path(), "tz = \"UTC\"\nperiod = \n");
    let o = run(&["check", &cfg]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("cxm.toml:2: invalid TOML"),
        "{}",
        o.stderr
    );
}

#[test]
fn hostile_segment_names_are_escaped_and_neutralised() {
    let tmp = tempfile::tempdir().unwrap();
    let mut csv = String::from("score,submitted_at,segment\n");
    for i in 0..30 {
        let seg = match i % 3 {
            0 => "<script>alert(1)</script>",
            1 => "\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"",
            _ => "plain & simple",
        };
        csv.push_str(&format!(
            "{},2025-01-{:02}T10:00:00Z,{seg}\n",
            i % 11,
            i % 28 + 1
        ));
    }
    std::fs::write(tmp.path().join("r.csv"), csv).unwrap();
    let cfg = config_in(
        tmp.path(),
        "as_of = \"2025-01-31\"\n[sources.r]\npath = \"r.csv\"\n\n[[metrics]]\nname = \"seg\"\nkind = \"nps\"\nsource = \"r\"\nby = [\"segment\"]\n",
    );
    let out = tmp.path().join("out");
    let o = run(&["report", &cfg, "-o", &s(&out)]);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        !html.to_lowercase().contains("<script"),
        "no script element"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("plain &amp; simple"));
    let csv = std::fs::read_to_string(out.join("seg.csv")).unwrap();
    assert!(csv.contains("'=HYPERLINK("), "{csv}");
    assert!(
        !csv.lines()
            .any(|l| l.starts_with("=") || l.starts_with("\"=")),
        "{csv}"
    );
}

#[test]
fn metric_command_writes_the_html_page() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("nps.html");
    let o = run(&[
        "nps",
        &responses(),
        "--col",
        "score=How likely are you to recommend us?",
        "--period",
        "month",
        "-o",
        &s(&page),
    ]);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg class=\"chart trend\""));
    assert!(html.contains("<svg class=\"chart bars\""));
    assert!(!html.contains("<script") && !html.contains("<link"));
}

/// Balanced tags and well-formed entities: enough XML to be sure CI systems can read it.
fn well_formed(xml: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    assert!(rest.starts_with("<?xml "), "{xml}");
    while let Some(i) = rest.find('<') {
        let text = &rest[..i];
        check_entities(text);
        let Some(j) = rest[i..].find('>') else {
            panic!("unclosed tag in {xml}");
        };
        let tag = &rest[i + 1..i + j];
        rest = &rest[i + j + 1..];
        if tag.starts_with('?') {
            continue;
        }
        check_entities(tag);
        assert!(!tag.contains('<'), "'<' inside a tag: {tag}");
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "{xml}");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap_or("").to_string());
        }
    }
    check_entities(rest);
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

fn check_entities(t: &str) {
    for (i, _) in t.match_indices('&') {
        let ent = &t[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| ent.starts_with(e)),
            "bad entity in {t}"
        );
    }
}

#[test]
fn junit_is_well_formed_with_hostile_names() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_in(
        tmp.path(),
        &format!(
            "as_of = \"2025-03-31\"\n[sources.r]\npath = {:?}\ncolumns = {{ score = \"How likely are you to recommend us?\" }}\n\n[[metrics]]\nname = \"a-b.c\"\nkind = \"nps\"\nsource = \"r\"\n\n[[checks]]\nmetric = \"a-b.c\"\nassert = \"nps < 0\"\n\n[[checks]]\nmetric = \"a-b.c\"\nassert = \"n >= 1\"\n",
            responses()
        ),
    );
    let junit = tmp.path().join("j.xml");
    let o = run(&["check", &cfg, "--junit", &s(&junit), "-q"]);
    assert_eq!(o.code, 1, "stderr: {}", o.stderr);
    let xml = std::fs::read_to_string(&junit).unwrap();
    well_formed(&xml);
    assert!(xml.contains("name=\"nps &lt; 0\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 2);
    assert_eq!(xml.matches("<failure ").count(), 1);
}

fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/chromium");
    p.exists().then_some(p)
}

/// Run with a time limit; returns (status ok, stdout).
fn run_limited(mut c: std::process::Command, secs: u64) -> (bool, String) {
    use std::io::Read;
    let mut child = c
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn chromium");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let start = std::time::Instant::now();
    let ok = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.success();
        }
        if start.elapsed().as_secs() > secs {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    (ok, reader.join().unwrap_or_default())
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true and /usr/bin/chromium is missing: install Debian's chromium package (.ci/run does)");
        }
        eprintln!("note: /usr/bin/chromium not found; skipping the headless Chromium test");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let o = run(&["report", &example(), "-o", &s(&out), "-q"]);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    let url = format!("file://{}", s(&out.join("report.html")));
    let profile = tmp.path().join("profile");
    let shot = tmp.path().join("shot.png");
    let base = |c: &mut std::process::Command| {
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", s(&profile)));
    };
    let mut c = std::process::Command::new(&bin);
    base(&mut c);
    c.arg(format!("--screenshot={}", s(&shot)))
        .arg("--window-size=1280,2000")
        .arg(&url);
    let (ok, _) = run_limited(c, 120);
    assert!(ok, "chromium --screenshot failed");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 10_000, "screenshot suspiciously small");

    let mut c = std::process::Command::new(&bin);
    base(&mut c);
    c.arg("--dump-dom").arg(&url);
    let (ok, dom) = run_limited(c, 120);
    assert!(ok, "chromium --dump-dom failed");
    assert!(
        dom.contains("<svg class=\"chart trend\""),
        "no trend chart in the DOM"
    );
    assert!(
        dom.contains("<svg class=\"chart bars\""),
        "no distribution chart in the DOM"
    );
    assert!(
        dom.contains("class=\"heat\""),
        "no cohort heat map in the DOM"
    );
    assert!(dom.contains("<polyline"), "no trend line drawn");
    assert!(
        dom.matches("class=\"metric\"").count() >= 5,
        "a section per metric"
    );
}
