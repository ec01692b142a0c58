//! End-to-end tests of the ticket presets (SPEC 5, docs/presets.md): zendesk, freshdesk,
//! intercom and jira-sm exports through `cxm tickets`, detection, `--preset`, duplicates
//! from Zendesk incremental exports and `--use-exported-durations`. Every figure is worked
//! out by hand in the comments.

use serde_json::Value;

use crate::util::*;

fn tickets(file: &str, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["tickets", file, "--format", "json"];
    if !extra.contains(&"--as-of") {
        args.extend(["--as-of", "2025-04-10"]);
    }
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    (serde_json::from_str(&o.stdout).unwrap(), o.stderr)
}

fn inspect(file: &str) -> Value {
    json_ok(&["inspect", file])
}

const H: f64 = 1.0;
const MIN: f64 = 1.0 / 60.0;

#[test]
fn zendesk_incremental_json_with_metric_sets_and_duplicates() {
    let f = fixture("presets/zendesk_incremental.json");
    let (d, err) = tickets(&f, &[]);
    assert!(preset_detected(&err, "zendesk"), "{err}");
    assert_eq!(d["definition"]["preset"], "zendesk");
    // Six records, ticket 2 twice: the copy with the later updated_at (solved, 4 March)
    // is kept, the other counts as duplicate.
    let i = &d["inputs"][0];
    assert_eq!(i["rows"], 6);
    assert_eq!(i["used"], 5);
    assert_eq!(i["duplicate"], 1);
    let t = &d["total"];
    // Resolved: 1 (4 h), 2 (24 h), 5 (closed, 2 h). Open: 3 (pending) and 4 (reopened:
    // status open although its metric set still has a solved_at).
    assert_eq!(t["resolved"], 3);
    assert_eq!(t["open"], 2);
    approx(&t["ttr_median_hours"], 4.0 * H);
    approx(&t["ttr_mean_hours"], (4.0 + 24.0 + 2.0) / 3.0);
    // Reopened: resolved with metric_set.reopens > 0 → ticket 2 only: 100 × 1 / 3.
    assert_eq!(t["reopened"], 1);
    approx(&t["reopen_rate"], 100.0 / 3.0);
    // First replies from reply_time_in_minutes.calendar: 30, 60, 15, 20 (ticket 5 had
    // none) → sorted 15, 20, 30, 60: median (20 + 30) / 2 = 25 min; mean 31.25 min.
    approx(&t["frt_median_hours"], 25.0 * MIN);
    approx(&t["frt_mean_hours"], 31.25 * MIN);
    // --by channel uses via.channel: chat holds only ticket 4 (open).
    let (d, _) = tickets(&f, &["--by", "channel"]);
    let chat = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"]["channel"] == "chat")
        .unwrap();
    assert_eq!(chat["open"], 1);
}

#[test]
fn zendesk_exported_durations_calendar_and_business() {
    let f = fixture("presets/zendesk_incremental.json");
    // Business hours Mon–Fri 09:00–17:00 UTC. Computed resolution times: ticket 1 Mon
    // 09:00–13:00 = 4 h; ticket 2 Mon 10:00 → Tue 10:00 = 7 h + 1 h = 8 h; ticket 5 Thu
    // 09:00–11:00 = 2 h → mean 14 / 3.
    let bh = ["--business-hours", "Mon-Fri 09:00-17:00"];
    let (d, _) = tickets(&f, &bh);
    approx(&d["total"]["ttr_mean_hours"], 14.0 / 3.0);
    assert_eq!(d["definition"]["use_exported_durations"], false);
    // Exported (…business): ticket 1 240 min, ticket 2 420 min (Zendesk's schedule knew a
    // holiday hour), ticket 5 has none → computed 2 h and counted: mean (4 + 7 + 2) / 3.
    let mut args = bh.to_vec();
    args.push("--use-exported-durations");
    let (d, _) = tickets(&f, &args);
    approx(&d["total"]["ttr_mean_hours"], 13.0 / 3.0);
    approx(&d["total"]["ttr_median_hours"], 4.0);
    // First replies, business minutes exported: 30, 60, 0, 20 → mean 27.5 min.
    approx(&d["total"]["frt_mean_hours"], 27.5 * MIN);
    assert_eq!(d["definition"]["use_exported_durations"], true);
    assert_eq!(
        d["definition"]["columns"]["resolution_business_minutes"],
        "metric_set.full_resolution_time_in_minutes.business"
    );
    let w = d["warnings"].as_array().unwrap();
    assert!(
        w.iter().any(|x| x
            .as_str()
            .unwrap()
            .contains("1 tickets lack exported durations")),
        "{w:?}"
    );
    // Calendar: full_resolution_time_in_minutes.calendar 240, 1440 (and ticket 5 computed,
    // 2 h): the same as the timestamps here → mean 10 h.
    let (d, _) = tickets(&f, &["--use-exported-durations"]);
    approx(&d["total"]["ttr_mean_hours"], 10.0);
}

#[test]
fn exported_durations_need_a_column() {
    // A plain file without exported minutes: a clear error naming the columns.
    let (_d, f) = temp_file(
        "plain.csv",
        b"created_at,resolved_at\n2025-01-01 09:00,2025-01-01 10:00\n",
    );
    let o = run(&["tickets", &f, "--use-exported-durations"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("--use-exported-durations found no exported calendar columns")
            && o.stderr.contains("resolution_minutes"),
        "{}",
        o.stderr
    );
    // Mapped with --col it works: 90 exported minutes instead of the 60 computed.
    let (_d2, g) = temp_file(
        "mins.csv",
        b"created_at,resolved_at,res_min\n2025-01-01 09:00,2025-01-01 10:00,90\n",
    );
    let (d, _) = tickets(
        &g,
        &[
            "--use-exported-durations",
            "--col",
            "resolution_minutes=res_min",
        ],
    );
    approx(&d["total"]["ttr_median_hours"], 1.5);
}

#[test]
fn zendesk_api_page_on_standard_input() {
    // A pretty-printed page on stdin is sniffed as NDJSON (it starts with `{`) and read as
    // one JSON document: the same 5 tickets and 1 duplicate as from the file.
    let page = std::fs::read(fixture("presets/zendesk_incremental.json")).unwrap();
    let o = run_stdin(
        &["tickets", "-", "--as-of", "2025-04-10", "--format", "json"],
        Some(&page),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(preset_detected(&o.stderr, "zendesk"), "{}", o.stderr);
    let d = o.json();
    assert_eq!(d["total"]["tickets"], 5);
    assert_eq!(d["inputs"][0]["duplicate"], 1);
}

#[test]
fn zendesk_full_export_ndjson() {
    let f = fixture("presets/zendesk_export.ndjson");
    let (d, err) = tickets(&f, &[]);
    assert!(preset_detected(&err, "zendesk"), "{err}");
    // Lines {"ticket": {…, "metric_set": {…}}}: tickets 1 (solved, 4 h, reply 30 min), 3
    // (pending, reply 15 min), 5 (closed, 2 h, no reply).
    let t = &d["total"];
    assert_eq!(t["tickets"], 3);
    assert_eq!(t["resolved"], 2);
    approx(&t["ttr_median_hours"], 3.0);
    approx(&t["frt_median_hours"], 22.5 * MIN);
}

#[test]
fn zendesk_admin_csv() {
    // fixtures/tickets/zendesk.csv: the admin CSV export (Summation column, Id, …).
    let f = fixture("tickets/zendesk.csv");
    let (d, err) = tickets(&f, &["-q", "--as-of", "2025-02-01"]);
    assert!(err.is_empty(), "{err}");
    assert_eq!(d["definition"]["preset"], "zendesk");
    assert_eq!(d["definition"]["columns"]["ticket_id"], "Id");
    // Rows 2 and 11 are ticket 2: the later `Updated at` (7 January, solved) wins.
    assert_eq!(d["inputs"][0]["duplicate"], 1);
    let o = run(&["tickets", &f]);
    assert!(preset_detected(&o.stderr, "zendesk"), "{}", o.stderr);
}

#[test]
fn freshdesk_csv_and_hour_durations() {
    let f = fixture("tickets/freshdesk.csv");
    let (d, err) = tickets(&f, &["--as-of", "2025-03-01"]);
    assert!(preset_detected(&err, "freshdesk"), "{err}");
    // Resolved time, else Closed time: 101 8 h, 102 24 h, 104 2 h, 106 48 h, 107 12 h,
    // 108 66 h, 109 1 h, 112 30 h; 110 is rejected (first response before creation).
    // Sorted 1, 2, 8, 12, 24, 30, 48, 66: median (12 + 24) / 2 = 18 h.
    let t = &d["total"];
    assert_eq!(t["resolved"], 8);
    approx(&t["ttr_median_hours"], 18.0);
    // The "(in hrs)" HH:MM:SS cells become minutes (derived cxm_* columns): exported
    // resolution 08:00:00 … give the same figures.
    let (d, _) = tickets(&f, &["--as-of", "2025-03-01", "--use-exported-durations"]);
    approx(&d["total"]["ttr_median_hours"], 18.0);
    let i = inspect(&f);
    assert_eq!(i["preset"], "freshdesk");
    assert_eq!(
        i["mapping"]["tickets"]["resolution_minutes"],
        "cxm_resolution_minutes"
    );
}

#[test]
fn freshdesk_first_response_from_hours_when_no_timestamp() {
    // No `Initial response time`: the first response is created + "First response time (in
    // hrs)" (01:30:00 = 90 min; 2.5 = 150 min) → median 120 min.
    let (_d, f) = temp_file(
        "fd.csv",
        b"Ticket ID,Status,Created time,Resolved time,First response time (in hrs)\n\
1,Resolved,2025-02-03 09:00:00,2025-02-03 12:00:00,01:30:00\n\
2,Open,2025-02-03 10:00:00,,2.5\n",
    );
    let (d, err) = tickets(&f, &[]);
    assert!(preset_detected(&err, "freshdesk"), "{err}");
    approx(&d["total"]["frt_median_hours"], 2.0);
}

#[test]
fn intercom_conversations() {
    let f = fixture("presets/intercom.json");
    let (d, err) = tickets(&f, &[]);
    assert!(preset_detected(&err, "intercom"), "{err}");
    let t = &d["total"];
    // Closed: 101 (1 h), 102 (24 h, reopened once), 105 (6 h). 103 was closed and then
    // reopened (state open): open. 104 snoozed: open.
    assert_eq!(t["resolved"], 3);
    assert_eq!(t["open"], 2);
    approx(&t["ttr_median_hours"], 6.0);
    approx(&t["ttr_mean_hours"], 31.0 / 3.0);
    assert_eq!(t["reopened"], 1);
    // statistics.first_admin_reply_at: 10, 60, 30, 20 min (104 none) → median 25 min.
    approx(&t["frt_median_hours"], 25.0 * MIN);
    approx(&t["frt_mean_hours"], 30.0 * MIN);
}

#[test]
fn jira_service_management_csv() {
    let f = fixture("presets/jira_sm.csv");
    let (d, err) = tickets(&f, &[]);
    assert!(preset_detected(&err, "jira-sm"), "{err}");
    // Dates like `03/Mar/25 9:00 AM`: HELP-1 2 h, HELP-2 24 h, HELP-4 4 h; HELP-3 open.
    let t = &d["total"];
    assert_eq!(t["resolved"], 3);
    assert_eq!(t["open"], 1);
    approx(&t["ttr_median_hours"], 4.0);
    approx(&t["ttr_mean_hours"], 10.0);
    // No first-response timestamp in the export: FRT is null and a warning says so.
    assert_eq!(t["frt_median_hours"], Value::Null);
    assert_eq!(d["definition"]["columns"]["ticket_id"], "Issue key");
}

#[test]
fn ticket_detection_and_preset_choice() {
    for (f, name) in [
        ("presets/zendesk_incremental.json", "zendesk"),
        ("presets/zendesk_export.ndjson", "zendesk"),
        ("tickets/zendesk.csv", "zendesk"),
        ("tickets/freshdesk.csv", "freshdesk"),
        ("presets/intercom.json", "intercom"),
        ("presets/jira_sm.csv", "jira-sm"),
    ] {
        assert_eq!(inspect(&fixture(f))["preset"], name, "{f}");
    }
    // inspect shows the preset's ticket mapping.
    let i = inspect(&fixture("presets/intercom.json"));
    assert_eq!(
        i["mapping"]["tickets"]["first_response_at"],
        "statistics.first_admin_reply_at"
    );
    // A plain ticket file is no preset.
    let (_d, plain) = temp_file(
        "plain.csv",
        b"created_at,resolved_at\n2025-01-01 09:00,2025-01-01 10:00\n",
    );
    assert_eq!(inspect(&plain)["preset"], Value::Null);
    let (_d2, err) = tickets(&plain, &[]);
    assert!(!err.contains("detected the"), "{err}");
    // --preset none: no note; the automatic aliases still read the Zendesk CSV.
    let (d, err) = tickets(&fixture("tickets/zendesk.csv"), &["--preset", "none"]);
    assert!(!err.contains("detected the"), "{err}");
    assert!(d["definition"].get("preset").is_none());
    // --preset forces one (no note); a ticket preset on a survey command is an error.
    let (d, err) = tickets(&fixture("presets/jira_sm.csv"), &["--preset", "jira-sm"]);
    assert!(!err.contains("detected the"), "{err}");
    assert_eq!(d["definition"]["preset"], "jira-sm");
    let o = run(&[
        "nps",
        &fixture("surveys/responses.csv"),
        "--preset",
        "intercom",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("the intercom preset reads ticket exports"),
        "{}",
        o.stderr
    );
}
