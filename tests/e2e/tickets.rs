//! `cxm tickets` through the binary. Expected figures are worked out by hand from the
//! fixture rows (listed in the comments), not copied from the program's output.

use crate::util::*;

// fixtures/tickets/zendesk.csv (Zendesk admin CSV shape; naive times read in UTC). FRT is
// created + "First reply time in minutes" (the CSV has no first-reply timestamp).
//   line  Id  prio    created        solved         reopens  FRT min
//   2     1   high    Mon 01-06 09   01-06 12 (3h)    0        30
//   3     2   normal  Mon 01-06 10   01-07 10 (24h)   1        60   (updated 01-07 10)
//   4     3   low     Mon 01-06 16   01-09 16 (72h)   0       120
//   5     4   urgent  Tue 01-07 08   01-07 09 (1h)    0        10
//   6     5   high    Tue 01-07 15   open             0        45
//   7     6   normal  Wed 01-08 11   open             0        –   (unanswered)
//   8     7   normal  Thu 01-09 09   01-10 17 (32h)   2       240
//   9     8   low     Fri 01-10 16   01-13 10 (66h)   0        90
//   10    9   high    Mon 01-13 09   01-13 09:30 (.5h) 0       15
//   11    10  normal  Mon 01-13 12   01-10 12 → rejected before_created
//   12    2   (older updated_at 01-06 11) → duplicate
//   13    12  urgent  Tue 01-14 10   01-14 14 (4h)    0        30
//   14    13  low     Tue 01-14 11   open, status "solved" (warning)   20
// Valid 11, resolved 8, open 3 (5, 6, 13); reopened 2 of 8 → 25 %.
// As-of (default): the latest valid time, 01-14 14:00.
// TTR sorted: 0.5 1 3 4 24 32 66 72 → median (4+24)/2 = 14; p90 at 6.3 → 66 + .3·6 = 67.8;
//   p95 at 6.65 → 69.9; mean 202.5/8 = 25.3125.
// FRT minutes sorted: 10 15 20 30 30 45 60 90 120 240 → median 37.5 m = .625 h;
//   p90 at 8.1 → 132 m = 2.2 h; p95 at 8.55 → 186 m = 3.1 h; mean 66 m = 1.1 h.
// SLA 1h / 24h: FRT > 60 m: 3 (120, 240, 90) + ticket 6 unanswered, 147 h old → 4 of 11.
//   TTR > 24 h: 72, 32, 66 + open 5 (167 h) and 6 (147 h); 13 is 3 h old (unknown) → 5 of 10.
fn zendesk() -> String {
    fixture("tickets/zendesk.csv")
}

// fixtures/tickets/freshdesk.csv (Freshdesk shape; "Initial response time" is the first
// response timestamp, "First response time (in hrs)" is ignored).
//   101 FRT 1 TTR 8 | 102 FRT .5 TTR 24 | 103 FRT 4 open | 104 FRT .25 TTR 2
//   105 unanswered open (02-05 14:00) | 106 FRT 18 TTR 48 | 107 FRT 1 TTR 12
//   108 unanswered, TTR 66 | 109 FRT 5 m TTR 1 | 110 first response before created → rejected
//   111 FRT .5 open (02-11 09:00) | 112 FRT 2 TTR 30
// As-of 02-12 16:00 (112's resolution). Valid 11, resolved 8, open 3.
// TTR sorted 1 2 8 12 24 30 48 66 → median 18; p90 at 6.3 → 48 + .3·18 = 53.4; p95 59.7;
//   mean 191/8 = 23.875.
// FRT sorted 1/12 .25 .5 .5 1 1 2 4 18 → median 1; p90 at 7.2 → 4 + .2·14 = 6.8;
//   p95 at 7.6 → 12.4; mean (82/3)/9 = 82/27.
// SLA 4h FRT: 18 h; 108 resolved unanswered (clock stopped at 66 h); 105 unanswered 170 h
//   old → 3 of 11 (9 answered + 108 + 105). SLA 24h TTR: 30, 48, 66 + open 103 (199 h),
//   105 (170 h), 111 (31 h) → 6 of 11.
fn freshdesk() -> String {
    fixture("tickets/freshdesk.csv")
}

#[test]
fn zendesk_calendar_hours() {
    let v = json_ok(&[
        "tickets",
        &zendesk(),
        "--sla-first-response",
        "1h",
        "--sla-resolution",
        "24h",
    ]);
    let t = &v["total"];
    assert_eq!(v["metric"], "tickets");
    assert_eq!(v["as_of"], "2025-01-14T14:00:00+00:00");
    assert_eq!(
        (&t["tickets"], &t["n"], &t["resolved"], &t["open"]),
        (&11.into(), &11.into(), &8.into(), &3.into())
    );
    assert_eq!(t["rejected"], 1);
    assert_eq!(t["reopened"], 2);
    approx(&t["reopen_rate"], 25.0);
    approx(&t["ttr_median_hours"], 14.0);
    approx(&t["ttr_mean_hours"], 25.3125);
    approx(&t["ttr_p90_hours"], 67.8);
    approx(&t["ttr_p95_hours"], 69.9);
    approx(&t["frt_median_hours"], 0.625);
    approx(&t["frt_mean_hours"], 1.1);
    approx(&t["frt_p90_hours"], 2.2);
    approx(&t["frt_p95_hours"], 3.1);
    assert_eq!(t["frt_breached"], 4);
    approx(&t["frt_breach_pct"], 400.0 / 11.0);
    assert_eq!(t["ttr_breached"], 5);
    approx(&t["ttr_breach_pct"], 50.0);
    assert_eq!(t["low_n"], false);
    let i = &v["inputs"][0];
    assert_eq!(
        (&i["rows"], &i["used"], &i["rejected"], &i["duplicate"]),
        (&13.into(), &11.into(), &1.into(), &1.into())
    );
    let w = v["warnings"].to_string();
    assert!(w.contains("solved/closed status but no resolved_at"), "{w}");
    assert_eq!(
        v["definition"]["first_response"],
        "created_at + first_response_minutes"
    );
}

// Business hours Mon–Fri 09:00–17:00 UTC, Wednesday 2025-01-08 a holiday.
// TTR: 1: 3 | 2: Mon 10–17 + Tue 9–10 = 8 | 3: Mon 1 + Tue 8 + Wed 0 + Thu 7 = 16 |
//   4: Tue 08→09 = 0 | 7: Thu 8 + Fri 8 = 16 | 8: Fri 1 + Mon 1 = 2 | 9: .5 | 12: 4
//   sorted 0 .5 2 3 4 8 16 16 → median 3.5, p90 = p95 = 16, mean 49.5/8 = 6.1875.
// FRT (created + minutes, then business time): .5, 1, 1 (16:00 + 2 h), 0 (before 09:00),
//   .75, 4, 1 (16:00 + 90 m), .25, .5, 1/3 → sorted 0 .25 1/3 .5 .5 .75 1 1 1 4:
//   median .625, p90 at 8.1 → 1.3, p95 at 8.55 → 2.65, mean (28/3)/10 = 14/15.
// SLA 1h: FRT > 1 h: ticket 7 (4 h) + ticket 6 open unanswered since the holiday:
//   Thu 8 + Fri 8 + Mon 8 + Tue 5 = 29 h → 2 of 11. SLA 24h: no resolved ticket over;
//   open 5: Tue 2 + 8 + 8 + 8 + 5 = 31 h, 6: 29 h, 13: 3 h → 2 of 10.
#[test]
fn zendesk_business_hours_with_a_holiday() {
    let v = json_ok(&[
        "tickets",
        &zendesk(),
        "--business-hours",
        "Mon-Fri 09:00-17:00",
        "--holidays",
        &fixture("tickets/holidays.txt"),
        "--sla-first-response",
        "1h",
        "--sla-resolution",
        "24h",
    ]);
    let t = &v["total"];
    approx(&t["ttr_median_hours"], 3.5);
    approx(&t["ttr_p90_hours"], 16.0);
    approx(&t["ttr_p95_hours"], 16.0);
    approx(&t["ttr_mean_hours"], 6.1875);
    approx(&t["frt_median_hours"], 0.625);
    approx(&t["frt_p90_hours"], 1.3);
    approx(&t["frt_p95_hours"], 2.65);
    approx(&t["frt_mean_hours"], 14.0 / 15.0);
    assert_eq!(t["frt_breached"], 2);
    approx(&t["frt_breach_pct"], 200.0 / 11.0);
    assert_eq!(t["ttr_breached"], 2);
    approx(&t["ttr_breach_pct"], 20.0);
    assert_eq!(t["open"], 3);
    assert_eq!(v["definition"]["time"], "business");
    // Without the holiday ticket 3 takes Mon 1 + Tue 8 + Wed 8 + Thu 7 = 24 h, which moves
    // the upper TTR statistics: sorted 0 .5 2 3 4 8 16 24 → p90 at 6.3 → 16 + .3·8 = 18.4.
    let v = json_ok(&[
        "tickets",
        &zendesk(),
        "--business-hours",
        "Mon-Fri 09:00-17:00",
    ]);
    approx(&v["total"]["ttr_p90_hours"], 18.4);
    approx(&v["total"]["ttr_median_hours"], 3.5);
}

#[test]
fn freshdesk_export() {
    let v = json_ok(&[
        "tickets",
        &freshdesk(),
        "--sla-first-response",
        "4h",
        "--sla-resolution",
        "24h",
    ]);
    let t = &v["total"];
    assert_eq!(v["as_of"], "2025-02-12T16:00:00+00:00");
    assert_eq!(
        (&t["n"], &t["resolved"], &t["open"]),
        (&11.into(), &8.into(), &3.into())
    );
    assert_eq!(t["rejected"], 1);
    approx(&t["ttr_median_hours"], 18.0);
    approx(&t["ttr_mean_hours"], 23.875);
    approx(&t["ttr_p90_hours"], 53.4);
    approx(&t["ttr_p95_hours"], 59.7);
    approx(&t["frt_median_hours"], 1.0);
    approx(&t["frt_p90_hours"], 6.8);
    approx(&t["frt_p95_hours"], 12.4);
    approx(&t["frt_mean_hours"], 82.0 / 27.0);
    assert_eq!(t["frt_breached"], 3);
    approx(&t["frt_breach_pct"], 300.0 / 11.0);
    assert_eq!(t["ttr_breached"], 6);
    approx(&t["ttr_breach_pct"], 600.0 / 11.0);
    // No reopens column: 0 of 8 resolved.
    assert_eq!(t["reopened"], 0);
    approx(&t["reopen_rate"], 0.0);
    let cols = &v["definition"]["columns"];
    assert_eq!(cols["created_at"], "Created time");
    assert_eq!(cols["first_response_at"], "Initial response time");
    assert_eq!(cols["resolved_at"], "Resolved time");
    assert_eq!(cols["channel"], "Source");
}

#[test]
fn explicit_as_of_leaves_later_events_unhappened() {
    // As of 2025-02-10 00:00 (the end of 02-09): tickets 101–108 exist; 108's resolution
    // (02-10 10:00) has not happened, so 108 is open; 109–112 are filtered.
    let v = json_ok(&["tickets", &freshdesk(), "--as-of", "2025-02-09"]);
    assert_eq!(v["as_of"], "2025-02-10T00:00:00+00:00");
    let t = &v["total"];
    assert_eq!(
        (&t["n"], &t["resolved"], &t["open"]),
        (&8.into(), &5.into(), &3.into())
    );
    // TTR 8 24 2 48 12 → sorted 2 8 12 24 48 → median 12.
    approx(&t["ttr_median_hours"], 12.0);
    assert_eq!(v["inputs"][0]["filtered"], 4);
}

#[test]
fn by_priority() {
    let v = json_ok(&["tickets", &zendesk(), "--by", "priority"]);
    let rows = v["rows"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["group"]["priority"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["high", "low", "normal", "urgent"]);
    // high: 1 (3 h), 5 open, 9 (.5 h) → TTR median 1.75; normal: 2 (24), 6 open, 7 (32) →
    // median 28, plus the rejected ticket 10; urgent: 4 (1), 12 (4) → 2.5.
    assert_eq!((&rows[0]["n"], &rows[0]["open"]), (&3.into(), &1.into()));
    approx(&rows[0]["ttr_median_hours"], 1.75);
    approx(&rows[2]["ttr_median_hours"], 28.0);
    assert_eq!(rows[2]["rejected"], 1);
    approx(&rows[3]["ttr_median_hours"], 2.5);
    assert_eq!(v["total"]["n"], 11);
}

#[test]
fn period_week_by_creation_and_by_resolution() {
    let v = json_ok(&["tickets", &zendesk(), "--period", "week"]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    // W02: tickets 1–8 (TTR 3 24 72 1 32 66 → median 28, p90 at 4.5 → 69);
    // W03: 9, 12, 13 + the rejected 10; partial (ends 01-20, after as-of).
    assert_eq!(rows[0]["period"], "2025-W02");
    assert_eq!(rows[0]["partial"], false);
    assert_eq!(rows[0]["n"], 8);
    approx(&rows[0]["ttr_median_hours"], 28.0);
    approx(&rows[0]["ttr_p90_hours"], 69.0);
    assert_eq!(rows[1]["period"], "2025-W03");
    assert_eq!(rows[1]["partial"], true);
    assert_eq!(
        (&rows[1]["n"], &rows[1]["rejected"]),
        (&3.into(), &1.into())
    );
    approx(&rows[1]["ttr_median_hours"], 2.25);
    // By resolution: W02 holds the resolutions of 1, 2, 4, 3, 7 (3 24 1 72 32 → median 24);
    // W03 holds 8, 9, 12; open tickets appear only in the total.
    let v = json_ok(&[
        "tickets",
        &zendesk(),
        "--period",
        "week",
        "--bucket-by",
        "resolved",
    ]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!((&rows[0]["n"], &rows[1]["n"]), (&5.into(), &3.into()));
    approx(&rows[0]["ttr_median_hours"], 24.0);
    assert_eq!(v["total"]["n"], 11);
    assert_eq!(v["total"]["open"], 3);
}

#[test]
fn assert_pass_and_fail() {
    let ok = run(&[
        "tickets",
        &zendesk(),
        "--assert",
        "ttr_p90_hours <= 72",
        "-q",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let bad = run(&[
        "tickets",
        &zendesk(),
        "--assert",
        "ttr_p90_hours <= 48",
        "-q",
    ]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("ttr_p90_hours <= 48"), "{}", bad.stderr);
    assert!(bad.stdout.contains("TICKETS"), "output still written");
    let unknown = run(&["tickets", &zendesk(), "--assert", "ttr_p99_hours <= 48"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.starts_with("cxm: error:"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn strict_names_file_line_column() {
    let o = run(&["tickets", &zendesk(), "--strict"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("zendesk.csv:11:Solved at") && o.stderr.contains("before_created"),
        "{}",
        o.stderr
    );
    // One error line after the note naming the detected preset.
    let lines: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", o.stderr);
    assert!(lines[0].starts_with("cxm: note: detected the zendesk export format"));
    assert!(lines[1].starts_with("cxm: error: "));
}

#[test]
fn rejects_file_lists_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rej.csv").to_string_lossy().into_owned();
    let o = run(&["tickets", &freshdesk(), "--rejects", &p, "-q"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(&p).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].ends_with("cxm_file,cxm_line,cxm_reason"), "{text}");
    assert!(lines[1].starts_with("110,"), "{text}");
    assert!(
        lines[1].contains(",11,") && lines[1].contains("before_created: first_response_at"),
        "{text}"
    );
}

#[test]
fn bad_cells_are_rejected_with_codes() {
    let (_d, p) = temp_file(
        "t.csv",
        b"id,created_at,resolved_at,reopens\n\
          1,2025-01-06 09:00,2025-01-06 10:00,0\n\
          2,,2025-01-06 10:00,0\n\
          3,06/01/2025,,0\n\
          4,2025-01-06 09:00,soon,0\n\
          5,2025-01-06 09:00,,-1\n\
          6,2025-01-06 09:00\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.ndjson").to_string_lossy().into_owned();
    let v = json_ok(&["tickets", &p, "--rejects", &r]);
    assert_eq!(v["total"]["n"], 1);
    assert_eq!(v["inputs"][0]["rejected"], 5);
    let text = std::fs::read_to_string(&r).unwrap();
    let codes: Vec<String> = text
        .lines()
        .map(|l| {
            let j: serde_json::Value = serde_json::from_str(l).unwrap();
            j["cxm_reason"]
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        codes,
        [
            "missing_time",
            "bad_time",
            "bad_time",
            "bad_reopens",
            "field_count"
        ]
    );
}

#[test]
fn formats_table_csv_markdown() {
    let t = run(&["tickets", &zendesk(), "--sla-resolution", "24h"]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    // Total-only table: field/value list with natural durations (14 h, 2d 19h 48m → 2d 19h).
    assert!(t.stdout.contains("ttr_median_hours"), "{}", t.stdout);
    assert!(t.stdout.contains("(14h 0m)"), "{}", t.stdout);
    assert!(t.stdout.contains("(2d 19h)"), "{}", t.stdout);
    assert!(
        t.stderr.contains("13 rows, 11 used, 0 blank, 1 rejected"),
        "{}",
        t.stderr
    );
    // Headline table with --by; --unit hours.
    let t = run(&[
        "tickets",
        &zendesk(),
        "--by",
        "priority",
        "--unit",
        "hours",
        "-q",
    ]);
    assert!(t.stdout.contains("TTR p90"), "{}", t.stdout);
    assert!(t.stdout.contains("28.00h"), "{}", t.stdout);
    for line in t.stdout.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
    let c = run(&["tickets", &zendesk(), "--by", "priority", "--format", "csv"]);
    assert_eq!(c.code, 0);
    let lines: Vec<&str> = c.stdout.lines().collect();
    assert!(
        lines[0].starts_with(
            "priority,tickets,n,resolved,open,rejected,reopened,reopen_rate,frt_median_hours"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].ends_with("ttr_breached,ttr_breach_pct,low_n"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 6);
    assert!(
        lines[5].starts_with("(all),11,11,8,3,1,2,25,0.625,"),
        "{}",
        lines[5]
    );
    let m = run(&[
        "tickets",
        &zendesk(),
        "--by",
        "priority",
        "--format",
        "markdown",
    ]);
    assert_eq!(m.code, 0);
    assert!(m.stdout.contains("| priority |"), "{}", m.stdout);
    assert!(m.stdout.contains("FRT med"), "{}", m.stdout);
}

#[test]
fn where_since_until_and_min_n() {
    // Channel "email": tickets 1, 3, 5, 7, 9, 12 → n 6; 6 filtered (the duplicate row of
    // ticket 2 stays a duplicate).
    let v = json_ok(&[
        "tickets",
        &zendesk(),
        "--where",
        "channel=email",
        "--min-n",
        "10",
    ]);
    assert_eq!(v["total"]["n"], 6);
    assert_eq!(v["total"]["low_n"], true);
    assert_eq!(v["inputs"][0]["filtered"], 6);
    // Created in [01-07, 01-09): tickets 4, 5, 6.
    let v = json_ok(&[
        "tickets",
        &zendesk(),
        "--since",
        "2025-01-07",
        "--until",
        "2025-01-09",
    ]);
    assert_eq!(v["total"]["n"], 3);
    let i = &v["inputs"][0];
    let sum: u64 = ["used", "blank", "rejected", "filtered", "duplicate"]
        .iter()
        .map(|k| i[k].as_u64().unwrap())
        .sum();
    assert_eq!(i["rows"].as_u64().unwrap(), sum);
}

#[test]
fn usage_errors() {
    let o = run(&[
        "tickets",
        &zendesk(),
        "--business-hours",
        "Mon-Fri 09:00-17:00",
        "--schedule",
        "x.json",
    ]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.starts_with("cxm: error:"), "{}", o.stderr);
    let o = run(&["tickets", &zendesk(), "--sla-resolution", "soon"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("--sla-resolution"), "{}", o.stderr);
    let o = run(&[
        "tickets",
        &zendesk(),
        "--holidays",
        &fixture("tickets/holidays.txt"),
    ]);
    assert_eq!(o.code, 2);
}

/// SPEC 4: a placeholder `updated_at` is blank, so among copies of one id it loses to a real
/// update and, with none, the last copy wins (as for blank updates); `cxm sql` reads the
/// placeholder as NULL alike.
#[test]
fn placeholder_updated_at_is_blank_for_duplicates() {
    let csv = "ticket_id,created_at,resolved_at,updated_at\n\
               a,2025-01-06T09:00:00Z,2025-01-06T12:00:00Z,1900-01-01 00:00:00\n\
               a,2025-01-06T09:00:00Z,,\n\
               b,2025-01-07T09:00:00Z,2025-01-07T10:00:00Z,2025-01-07T10:00:00Z\n\
               b,2025-01-07T09:00:00Z,,0001-01-01T00:00:00Z\n";
    let (_d, path) = temp_file("t.csv", csv.as_bytes());
    let v = json_ok(&["tickets", &path, "--as-of", "2025-02-01"]);
    let t = &v["total"];
    // a: the blank copy (the later one) wins, open; b: the real update wins, resolved.
    assert_eq!((&t["n"], &t["resolved"]), (&2.into(), &1.into()));
    approx(&t["ttr_median_hours"], 1.0);
    assert_eq!(v["inputs"][0]["duplicate"], 2);
}
