//! cxm's parallel CSV reader (SPEC 8) against the polars path on the same files: the survey,
//! ticket, churn and retention metrics read a regular CSV file on disk with their own
//! record-aligned reader, and `CXM_NO_FAST=1` sends the same file through polars. Both must print the same bytes, on a
//! file large enough to be cut into several chunks (quoted newlines and `""` escapes at the
//! cuts), with duplicates, blanks, unreadable scores, placeholder dates and groups.

use std::io::Write;

use crate::util::{run_path, same_on_both_paths, same_on_both_paths_with};

/// A survey export of `n` rows (about 2.5 MB for 30,000), deterministic.
fn survey_file(dir: &std::path::Path, n: usize) -> String {
    let p = dir.join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    writeln!(
        f,
        "response_id,submitted_at,score,region,comment,updated_at"
    )
    .unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Every 997th id repeats the previous one (a duplicate).
        let id = if i % 997 == 5 { i - 1 } else { i };
        let day = 1 + x % 28;
        let month = 1 + (x >> 8) % 12;
        let score = match i % 101 {
            0 => "".to_string(),
            1 => "n/a".to_string(),
            2 => "11".to_string(),
            3 => "\"\"".to_string(),
            _ => ((x >> 16) % 11).to_string(),
        };
        let region =
            ["EMEA", "AMER", "\"APAC, east\"", "", "\"say \"\"hi\"\"\""][(x >> 24) as usize % 5];
        let comment = match i % 7 {
            0 => "\"two\nlines, \"\"quoted\"\"\"",
            1 => "\"\"",
            _ => "fine",
        };
        let updated = if i % 13 == 0 {
            "1900-01-01 00:00:00".to_string()
        } else {
            format!("2025-{month:02}-{day:02} 12:00:00")
        };
        let ts = if i % 211 == 0 {
            "not a date".to_string()
        } else {
            format!("2024-{month:02}-{day:02} {:02}:30:00", (x >> 32) % 24)
        };
        writeln!(f, "r{id},{ts},{score},{region},{comment},{updated}").unwrap();
    }
    f.flush().unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn the_parallel_reader_gives_the_polars_paths_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = survey_file(dir.path(), 30_000);
    assert!(
        std::fs::metadata(&p).unwrap().len() > 1 << 20,
        "several chunks"
    );
    let cases: Vec<Vec<&str>> = vec![
        vec!["nps", &p],
        vec![
            "nps",
            &p,
            "--by",
            "region",
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
            "region=EMEA",
            "--where",
            "region=AMER",
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
        vec!["pmf", &p, "--by", "region"],
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
    ];
    same_on_both_paths(&cases, dir.path());
}

// The rejects pass and `cxm inspect` read a regular file with the parallel reader (eight
// pieces, records with quoted line breaks among them), `cxm inspect --sample` in
// record-aligned pieces of the careful reader, each with the header before it (here of
// 5,000 bytes: about 500 pieces): the rejected rows, their lines, the first one `--strict`
// names and what inspect shows are those of the whole file read at once by the careful
// reader (the frame path).
#[test]
fn the_rejects_pass_reads_a_regular_file_in_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let p = survey_file(dir.path(), 30_000);
    let env = [("CXM_REJECTS_PIECE_BYTES", "5000")];
    let cases: Vec<Vec<&str>> = vec![
        vec!["nps", &p, "--rejects", "R"],
        vec!["nps", &p, &p, "--period", "month", "--rejects", "R"],
        vec![
            "csat",
            &p,
            "--scale",
            "10",
            "--where",
            "region=EMEA",
            "--rejects",
            "R",
        ],
        vec!["nps", &p, "--keep-duplicates", "--rejects", "R"],
        vec!["nps", &p, "--strict"],
        vec!["inspect", &p],
        vec!["inspect", &p, "--sample", "29000"],
    ];
    same_on_both_paths_with(&cases, dir.path(), &env);
    let o = run_path(&["nps", &p, "--strict"], false, &env);
    assert_eq!(o.0, 2, "{}", o.2);
    assert!(o.2.contains("big.csv:"), "{}", o.2);
}

#[test]
fn a_large_file_that_is_not_regular_is_read_by_the_careful_reader() {
    // Regular for its first 64 KiB, then a record with an extra field and a footer: the
    // parallel reader gives up, the careful reader counts the record as rejected.
    let dir = tempfile::tempdir().unwrap();
    let p = survey_file(dir.path(), 30_000);
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(
        b"r999999,2024-05-05 10:00:00,9,EMEA,fine,2025-01-01 00:00:00,extra\nTotal: 30001\n",
    )
    .unwrap();
    drop(f);
    let args = ["nps", p.as_str(), "--format", "json"];
    let fast = run_path(&args, false, &[]);
    let slow = run_path(&args, true, &[]);
    assert_eq!(fast.0, 0, "{}", fast.2);
    assert_eq!(fast.1, slow.1);
    let v: serde_json::Value = serde_json::from_str(&fast.1).unwrap();
    assert_eq!(v["inputs"][0]["rows"], 30_001);
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("1 malformed record rejected, at line"),
        "{warnings}"
    );
    assert!(warnings.contains("\\\"Total: 30001\\\""), "{warnings}");
}

/// A ticket export of `n` rows (about 3 MB for 30,000), deterministic: unparseable and
/// placeholder times, resolutions before creation, open tickets, reopens, quoted subjects.
fn ticket_file(dir: &std::path::Path, n: usize, repeat_id: bool) -> String {
    let p = dir.join("tickets.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    writeln!(
        f,
        "ticket_id,created_at,first_response_at,resolved_at,reopens,status,priority,subject"
    )
    .unwrap();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = if repeat_id && i == n - 1 { 0 } else { i };
        let (day, hour) = (1 + x % 27, (x >> 8) % 24);
        let created = match i % 503 {
            0 => "not a date".to_string(),
            1 => "1900-01-01".to_string(),
            _ => format!("2024-03-{day:02}T{hour:02}:{:02}:00Z", (x >> 16) % 60),
        };
        let first = match i % 17 {
            0 => String::new(),
            1 => "n/a".to_string(),
            _ => format!("2024-03-{day:02}T{:02}:05:00+01:00", (hour + 1) % 24),
        };
        let resolved = match i % 5 {
            0 => String::new(),
            1 => format!("2024-03-{:02}T08:00:00Z", day.max(2) - 1),
            _ => format!("2024-03-{:02}T{hour:02}:30:00Z", day + 1),
        };
        let status = if resolved.is_empty() {
            "open"
        } else {
            "solved"
        };
        let priority = ["low", "normal", "\"high, urgent\"", ""][(x >> 24) as usize % 4];
        let subject = if i % 9 == 0 {
            "\"Refund\nplease, \"\"now\"\"\""
        } else {
            "Login"
        };
        writeln!(
            f,
            "T{id},{created},{first},{resolved},{},{status},{priority},{subject}",
            (x >> 32) % 3
        )
        .unwrap();
    }
    f.flush().unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn the_parallel_reader_gives_the_polars_paths_ticket_figures() {
    let dir = tempfile::tempdir().unwrap();
    let p = ticket_file(dir.path(), 30_000, false);
    assert!(
        std::fs::metadata(&p).unwrap().len() > 1 << 20,
        "several chunks"
    );
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
            "priority",
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
    ];
    same_on_both_paths(&cases, dir.path());
    // A repeated id (the last row repeats T0): the parallel reader leaves the file to the
    // polars path and its duplicate pass; without updated_at the later row is kept, so one
    // row is a duplicate.
    let d2 = tempfile::tempdir().unwrap();
    let p2 = ticket_file(d2.path(), 30_000, true);
    let args = [
        "tickets",
        p2.as_str(),
        "--as-of",
        "2024-04-01",
        "--format",
        "json",
    ];
    let fast = run_path(&args, false, &[]);
    assert_eq!(fast.1, run_path(&args, true, &[]).1);
    let v: serde_json::Value = serde_json::from_str(&fast.1).unwrap();
    assert_eq!(v["inputs"][0]["duplicate"], 1);
}

/// A subscription export of `n` rows (about 2 MB for 25,000): chains of subscriptions per
/// customer, cancellations, a repeated subscription id every 1,009 rows (with a later
/// `updated_at`), a start after the end every 997 rows, quoted plan names.
fn subscription_file(dir: &std::path::Path, n: usize) -> String {
    let p = dir.join("subs.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    writeln!(
        f,
        "subscription_id,customer_id,started_at,ended_at,mrr,plan,updated_at"
    )
    .unwrap();
    let mut x: u64 = 0x1234_5678_9abc_def1;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let sub = if i % 1009 == 7 { i - 1 } else { i };
        let start = 1 + (x % 700) as i64;
        let day = |d: i64| {
            let t =
                chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(d);
            t.format("%Y-%m-%d").to_string()
        };
        let end = match i % 4 {
            0 => day(start + 30 + (x >> 12) as i64 % 300),
            _ if i % 997 == 3 => day(start - 5),
            _ => String::new(),
        };
        let plan = ["basic", "\"pro, annual\"", "team"][(x >> 20) as usize % 3];
        let mrr = [19, 49, 99][(x >> 20) as usize % 3];
        writeln!(
            f,
            "s{sub},c{},{},{end},{mrr}.00,{plan},2025-0{}-01",
            i / 2,
            day(start),
            1 + i % 9
        )
        .unwrap();
    }
    f.flush().unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn the_parallel_reader_gives_the_polars_paths_churn_and_retention() {
    let dir = tempfile::tempdir().unwrap();
    let p = subscription_file(dir.path(), 25_000);
    assert!(
        std::fs::metadata(&p).unwrap().len() > 1 << 20,
        "several chunks"
    );
    let cases: Vec<Vec<&str>> = vec![
        vec!["churn", &p, "--as-of", "2026-01-01", "--period", "month"],
        vec![
            "churn",
            &p,
            "--as-of",
            "2026-01-01",
            "--period",
            "quarter",
            "--by",
            "plan",
        ],
        vec![
            "retention",
            &p,
            "--as-of",
            "2026-01-01",
            "--period",
            "month",
        ],
        vec!["retention", &p, "--as-of", "2026-01-01", "--survival"],
    ];
    same_on_both_paths(&cases, dir.path());
    // The repeated ids are found in memory: row i repeats row i − 1's id when i % 1009 = 7,
    // i = 7 + 1009k < 25,000 for k = 0..=24: 25 pairs, one row of each (the one with the
    // older updated_at) a duplicate.
    let v: serde_json::Value = serde_json::from_str(
        &run_path(
            &["churn", &p, "--as-of", "2026-01-01", "--format", "json"],
            false,
            &[],
        )
        .1,
    )
    .unwrap();
    assert_eq!(v["inputs"][0]["duplicate"], 25);
}

#[test]
fn a_delimiter_ending_the_file_is_an_empty_last_cell() {
    // The last record holds quotes and ends with a delimiter and no line break: its score
    // is blank, not the score of the record before it (found by fuzzing the readers).
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.csv");
    std::fs::write(
        &p,
        "response_id,submitted_at,score\n\"r1\",\"2024-05-01T10:00:00Z\",10\n\"r2\",\"2024-05-02T10:00:00Z\",",
    )
    .unwrap();
    let p = p.to_string_lossy().into_owned();
    same_on_both_paths(&[vec!["nps", &p]], dir.path());
    let (code, out, _) = run_path(&["nps", &p, "--format", "json"], false, &[]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // One promoter (r1) and one blank answer (r2): n 1, NPS 100.
    assert_eq!(v["total"]["n"], 1);
    assert_eq!(v["total"]["nps"], 100.0);
    assert_eq!(v["inputs"][0]["blank"], 1);
}

// The --na-values hint counts the unreadable scores of rows neither used nor blank, on both
// paths: r4's time is blank with --period, so r4 is a blank row and its "n/a" is not among
// the 2 rejected rows (r2, r3). The frame path used to count every "n/a" of the column
// ("3 of the 2 rejected rows").
#[test]
fn the_na_values_hint_counts_only_the_rejected_rows_on_both_paths() {
    let (dir, p) = crate::util::temp_file(
        "na.csv",
        b"id,submitted_at,score\nr1,2024-01-05,9\nr2,2024-01-06,n/a\nr3,2024-01-07,n/a\nr4,,n/a\nr5,2024-01-08,7\n",
    );
    for no_fast in [false, true] {
        let (code, out, err) = run_path(
            &["nps", &p, "--period", "month", "--format", "json"],
            no_fast,
            &[],
        );
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["inputs"][0]["rejected"], 2);
        assert_eq!(v["inputs"][0]["blank"], 1);
        let w = v["warnings"].to_string();
        assert!(
            w.contains("2 of the 2 rejected rows hold \\\"n/a\\\""),
            "{no_fast}: {w}"
        );
    }
    same_on_both_paths(&[vec!["nps", &p, "--period", "month"]], dir.path());
}
