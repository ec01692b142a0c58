//! The row path every metric family shares (SPEC 6 row accounting): one small export per
//! family with a short record, a blank, an unparseable time, a duplicate id, a `--where`
//! miss and a naive time in a daylight-saving gap (2025-03-30 02:30 does not exist in
//! Europe/Paris: clocks jump from 02:00 to 03:00). Each test pins the JSON `inputs` and
//! `warnings`, the `--rejects` file, `--strict`'s message and exit code. Expected values are
//! worked out by hand from the rows listed in the comments.

use serde_json::{json, Value};

use crate::util::*;

/// The JSON `inputs` entry of one file.
fn counts(path: &str, rows: u64, used: u64, blank: u64, rej: u64, filt: u64, dup: u64) -> Value {
    json!([{"path": path, "rows": rows, "used": used, "blank": blank, "rejected": rej,
            "filtered": filt, "duplicate": dup}])
}

/// The `--rejects FILE` text of a run (the run must succeed).
fn rejects_of(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let rej = dir.path().join("rejects.csv");
    let mut a = args.to_vec();
    a.extend(["--rejects", rej.to_str().expect("utf-8 path"), "-q"]);
    let o = run(&a);
    assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
    std::fs::read_to_string(&rej).expect("rejects file")
}

/// `--strict`'s one-line error (exit 2).
fn strict_error(args: &[&str]) -> String {
    let mut a = args.to_vec();
    a.push("--strict");
    let o = run(&a);
    assert_eq!(o.code, 2, "{args:?} --strict should fail: {}", o.stderr);
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    o.stderr.trim_end().to_string()
}

const FIX_HINT: &str = "fix the value, or drop --strict to count such rows as rejected";

// NPS, `--where channel=email --period month --tz Europe/Paris` (the time is needed, so an
// unparseable one is rejected):
//   line  id  submitted_at          score  channel
//   2     r1  2025-03-03 10:00      10     email   used (promoter)
//   3     r2  2025-03-04 10:00      –      email   blank
//   4     r3  not a date            9      email   rejected bad_time (submitted_at)
//   5     r4  2025-03-05 10:00      7      email   duplicate (r4 again on line 6; the last wins)
//   6     r4  2025-03-06 10:00      8      email   used (passive)
//   7     r6  2025-03-07 10:00      9      chat    filtered (--where)
//   8     r7  2025-03-30 02:30      3      email   used (detractor), in the DST gap
//   9     r8  2025-03-08 10:00                     short record: rejected field_count
//   10    r9  2025-03-09 10:00      11     email   rejected out_of_range
// rows 9 = used 3 (r1, r4, r7) + blank 1 + rejected 3 (r3, r8, r9) + filtered 1 + duplicate 1.
const NPS_CSV: &[u8] = b"response_id,submitted_at,score,channel\n\
r1,2025-03-03 10:00:00,10,email\n\
r2,2025-03-04 10:00:00,,email\n\
r3,not a date,9,email\n\
r4,2025-03-05 10:00:00,7,email\n\
r4,2025-03-06 10:00:00,8,email\n\
r6,2025-03-07 10:00:00,9,chat\n\
r7,2025-03-30 02:30:00,3,email\n\
r8,2025-03-08 10:00:00\n\
r9,2025-03-09 10:00:00,11,email\n";

fn nps_args(p: &str) -> Vec<&str> {
    vec![
        "nps",
        p,
        "--where",
        "channel=email",
        "--period",
        "month",
        "--tz",
        "Europe/Paris",
    ]
}

#[test]
fn nps_row_accounting_and_warnings() {
    let (_d, p) = temp_file("nps.csv", NPS_CSV);
    let v = json_ok(&nps_args(&p));
    assert_eq!(v["inputs"], counts(&p, 9, 3, 1, 3, 1, 1));
    assert_eq!(
        v["warnings"],
        json!([
            "1 naive timestamps fell in a daylight-saving gap and were moved forward by the gap",
            "3 rows rejected; write them with their reasons using --rejects FILE"
        ])
    );
    // n 3: promoters 1 (10), passives 1 (8), detractors 1 (3) → NPS 0.
    assert_eq!(v["total"]["n"], 3);
    approx(&v["total"]["nps"], 0.0);
}

#[test]
fn nps_rejects_file_and_strict() {
    let (_d, p) = temp_file("nps.csv", NPS_CSV);
    let text = rejects_of(&nps_args(&p));
    // Survey reasons quote the offending cell as the other families do (docs/metrics.md).
    let expected = format!(
        "response_id,submitted_at,score,channel,cxm_file,cxm_line,cxm_reason\n\
         r3,not a date,9,email,{p},4,\"bad_time: unparseable timestamp; pass --date-format for other shapes (e.g. --date-format '%d/%m/%Y %H:%M') (submitted_at \"\"not a date\"\")\"\n\
         r8,2025-03-08 10:00:00,,,{p},9,field_count: the record has 2 fields but the header has 4\n\
         r9,2025-03-09 10:00:00,11,email,{p},10,\"out_of_range: score 11 not in 0–10 (score \"\"11\"\")\"\n"
    );
    assert_eq!(text, expected);
    assert_eq!(
        strict_error(&nps_args(&p)),
        format!(
            "cxm: error: {p}:4:submitted_at: rejected row (bad_time: unparseable timestamp; pass --date-format for other shapes (e.g. --date-format '%d/%m/%Y %H:%M') (submitted_at \"not a date\")); {FIX_HINT}"
        )
    );
}

// Tickets, `--where channel=email --tz Europe/Paris --as-of 2025-04-01`:
//   line  id   created           first reply       resolved          channel
//   2     t1   03-18 09:00       03-18 10:00       03-18 12:00       email  used
//   3     t2   –                 03-18 10:00       –                 email  rejected missing_time
//   4     t3   yesterday         –                 –                 email  rejected bad_time
//   5     t4   03-19 09:00       –                 –                 email  duplicate (t4 again)
//   6     t4   03-19 09:00       03-19 09:30       –                 email  used (open)
//   7     t6   03-20 09:00       –                 –                 chat   filtered (--where)
//   8     t7   03-30 02:30 (gap) –                 –                 email  used, DST gap
//   9     t8   03-21 09:00       (short record)                             rejected field_count
//   10    t9   03-05 09:00       –                 03-04 09:00       email  rejected before_created
//   11    t10  03-04 09:00       03-04 10:00       –                 email  used
// rows 10 = used 4 (t1, t4, t7, t10) + rejected 4 (t2, t3, t8, t9) + filtered 1 + duplicate 1.
const TICKETS_CSV: &[u8] = b"ticket_id,created_at,first_response_at,resolved_at,channel\n\
t1,2025-03-18 09:00:00,2025-03-18 10:00:00,2025-03-18 12:00:00,email\n\
t2,,2025-03-18 10:00:00,,email\n\
t3,yesterday,,,email\n\
t4,2025-03-19 09:00:00,,,email\n\
t4,2025-03-19 09:00:00,2025-03-19 09:30:00,,email\n\
t6,2025-03-20 09:00:00,,,chat\n\
t7,2025-03-30 02:30:00,,,email\n\
t8,2025-03-21 09:00:00\n\
t9,2025-03-05 09:00:00,,2025-03-04 09:00:00,email\n\
t10,2025-03-04 09:00:00,2025-03-04 10:00:00,,email\n";

fn tickets_args(p: &str) -> Vec<&str> {
    vec![
        "tickets",
        p,
        "--where",
        "channel=email",
        "--tz",
        "Europe/Paris",
        "--as-of",
        "2025-04-01",
    ]
}

#[test]
fn tickets_row_accounting_and_warnings() {
    let (_d, p) = temp_file("t.csv", TICKETS_CSV);
    let v = json_ok(&tickets_args(&p));
    assert_eq!(v["inputs"], counts(&p, 10, 4, 0, 4, 1, 1));
    assert_eq!(
        v["warnings"],
        json!([
            "1 tickets had a naive timestamp in a daylight-saving gap, moved forward by the gap",
            "4 rows rejected; write them with their reasons using --rejects FILE"
        ])
    );
}

#[test]
fn tickets_last_weeks_move_rows_to_filtered() {
    // As-of Tue 2025-04-01: the week of 03-31 is not complete, so the last two complete
    // ISO weeks are 03-17..03-23 and 03-24..03-30. Kept: t1, t4 (week 12), t7 (week 13).
    // t10 (week of 03-03) moves from used to filtered; t9 was rejected in that week, so it
    // moves too; t2, t3 and t8 have no week and stay rejected.
    // rows 10 = used 3 + rejected 3 + filtered 3 (t6, t9, t10) + duplicate 1.
    let (_d, p) = temp_file("t.csv", TICKETS_CSV);
    let mut a = tickets_args(&p);
    a.extend(["--period", "week", "--last", "2"]);
    let v = json_ok(&a);
    assert_eq!(v["inputs"], counts(&p, 10, 3, 0, 3, 3, 1));
    let periods: Vec<&str> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["period"].as_str().expect("period"))
        .collect();
    assert_eq!(periods.len(), 2, "{periods:?}");
    assert_eq!(v["total"]["n"], 3);
}

#[test]
fn tickets_rejects_file_and_strict() {
    let (_d, p) = temp_file("t.csv", TICKETS_CSV);
    let text = rejects_of(&tickets_args(&p));
    let expected = format!(
        "ticket_id,created_at,first_response_at,resolved_at,channel,cxm_file,cxm_line,cxm_reason\n\
         t2,,2025-03-18 10:00:00,,email,{p},3,missing_time: created_at is blank; every ticket needs its creation time\n\
         t3,yesterday,,,email,{p},4,\"bad_time: created_at is not a timestamp; pass --date-format for other shapes (e.g. --date-format '%d/%m/%Y %H:%M') (created_at \"\"yesterday\"\")\"\n\
         t8,2025-03-21 09:00:00,,,,{p},9,field_count: the record has 2 fields but the header has 5\n\
         t9,2025-03-05 09:00:00,,2025-03-04 09:00:00,email,{p},10,\"before_created: resolved_at is earlier than created_at (resolved_at \"\"2025-03-04 09:00:00\"\")\"\n"
    );
    assert_eq!(text, expected);
    assert_eq!(
        strict_error(&tickets_args(&p)),
        format!(
            "cxm: error: {p}:3:created_at: rejected row (missing_time: created_at is blank; every ticket needs its creation time); {FIX_HINT}"
        )
    );
}

// Churn, `--where plan=pro --tz Europe/Paris`:
//   line  sub  customer  started           mrr  plan
//   2     s1   c1        2025-01-01        100  pro   used
//   3     s2   c2        –                 100  pro   blank (no start)
//   4     s3   c3        garbage           100  pro   rejected bad_time
//   5     s4   c4        2025-01-05        50   pro   duplicate (s4 again on line 6)
//   6     s4   c4        2025-01-05        50   pro   used
//   7     s6   c6        2025-01-06        70   free  filtered (--where)
//   8     s7   c7        2025-03-30 02:30  80   pro   used, DST gap
//   9     s8   c8        (short record)               rejected field_count
//   10    s9   –         2025-01-09        90   pro   rejected missing_customer
// rows 9 = used 3 (s1, s4, s7) + blank 1 + rejected 3 (s3, s8, s9) + filtered 1 + duplicate 1.
const CHURN_CSV: &[u8] = b"subscription_id,customer_id,started_at,mrr,plan\n\
s1,c1,2025-01-01,100,pro\n\
s2,c2,,100,pro\n\
s3,c3,garbage,100,pro\n\
s4,c4,2025-01-05,50,pro\n\
s4,c4,2025-01-05,50,pro\n\
s6,c6,2025-01-06,70,free\n\
s7,c7,2025-03-30 02:30:00,80,pro\n\
s8,c8\n\
s9,,2025-01-09,90,pro\n";

fn churn_args(p: &str) -> Vec<&str> {
    vec!["churn", p, "--where", "plan=pro", "--tz", "Europe/Paris"]
}

#[test]
fn churn_row_accounting_and_warnings() {
    let (_d, p) = temp_file("subs.csv", CHURN_CSV);
    let v = json_ok(&churn_args(&p));
    assert_eq!(v["inputs"], counts(&p, 9, 3, 1, 3, 1, 1));
    assert_eq!(
        v["warnings"],
        json!([
            "1 subscriptions had a naive timestamp in a daylight-saving gap, moved forward by the gap",
            "3 rows rejected; write them with their reasons using --rejects FILE"
        ])
    );
}

#[test]
fn churn_rejects_file_and_strict() {
    let (_d, p) = temp_file("subs.csv", CHURN_CSV);
    let text = rejects_of(&churn_args(&p));
    let expected = format!(
        "subscription_id,customer_id,started_at,mrr,plan,cxm_file,cxm_line,cxm_reason\n\
         s3,c3,garbage,100,pro,{p},4,\"bad_time: started_at is not a timestamp; pass --date-format for other shapes (e.g. --date-format '%d/%m/%Y') (started_at \"\"garbage\"\")\"\n\
         s8,c8,,,,{p},9,field_count: the record has 2 fields but the header has 5\n\
         s9,,2025-01-09,90,pro,{p},10,missing_customer: customer_id is blank; every subscription needs its customer\n"
    );
    assert_eq!(text, expected);
    assert_eq!(
        strict_error(&churn_args(&p)),
        format!(
            "cxm: error: {p}:4:started_at: rejected row (bad_time: started_at is not a timestamp; pass --date-format for other shapes (e.g. --date-format '%d/%m/%Y') (started_at \"garbage\")); {FIX_HINT}"
        )
    );
}

// Tenure snapshots, `retention --survival --where segment=smb` (no id, no time columns):
//   line  customer  tenure  churned  segment
//   2     c1        12      yes      smb   used (event at 12)
//   3     c2        –       no       smb   blank
//   4     c3        abc     no       smb   rejected bad_tenure
//   5     c4        5       maybe    smb   rejected bad_churned
//   6     c5        3       no       ent   filtered (--where)
//   7     c6        4       no             short record (so no segment): the record is
//   8     c7        2                      checked before --where, as in every family →
//                                          rejected field_count
//   9     c8        24      1        smb   used (event at 24)
// rows 8 = used 2 + blank 1 + rejected 4 (c3, c4, c6, c7) + filtered 1 (c5).
const TENURE_CSV: &[u8] = b"customer_id,tenure,churned,segment\n\
c1,12,yes,smb\n\
c2,,no,smb\n\
c3,abc,no,smb\n\
c4,5,maybe,smb\n\
c5,3,no,ent\n\
c6,4,no\n\
c7,2\n\
c8,24,1,smb\n";

fn tenure_args(p: &str) -> Vec<&str> {
    vec!["retention", p, "--survival", "--where", "segment=smb"]
}

#[test]
fn tenure_row_accounting_and_warnings() {
    let (_d, p) = temp_file("tenure.csv", TENURE_CSV);
    let v = json_ok(&tenure_args(&p));
    assert_eq!(v["inputs"], counts(&p, 8, 2, 1, 4, 1, 0));
    assert_eq!(
        v["warnings"],
        json!(["4 rows rejected; write them with their reasons using --rejects FILE"])
    );
    // Two churned customers, at 12 and 24 months: n 2, events 2, no censoring.
    assert_eq!(v["total"]["n"], 2);
    assert_eq!(v["total"]["events"], 2);
}

#[test]
fn tenure_rejects_file_and_strict() {
    let (_d, p) = temp_file("tenure.csv", TENURE_CSV);
    let text = rejects_of(&tenure_args(&p));
    let expected = format!(
        "customer_id,tenure,churned,segment,cxm_file,cxm_line,cxm_reason\n\
         c3,abc,no,smb,{p},4,\"bad_tenure: tenure \"\"abc\"\" is not a number ≥ 0\"\n\
         c4,5,maybe,smb,{p},5,\"bad_churned: churned \"\"maybe\"\" is not yes/no/true/false/1/0\"\n\
         c6,4,no,,{p},7,field_count: the record has 3 fields but the header has 4\n\
         c7,2,,,{p},8,field_count: the record has 2 fields but the header has 4\n"
    );
    assert_eq!(text, expected);
    assert_eq!(
        strict_error(&tenure_args(&p)),
        format!(
            "cxm: error: {p}:4:tenure: rejected row (bad_tenure: tenure \"abc\" is not a number ≥ 0); {FIX_HINT}"
        )
    );
}

// A header `--col` gives to one canonical column is not also found as another by its name:
// `--col created_at=first_response_at` leaves the ticket without a first response column.
//   line  id  first_response_at   resolved_at
//   2     1   2025-01-06 10:00    2025-01-06 12:00   created 10:00 (the mapped column), TTR 2 h
#[test]
fn a_column_given_with_col_is_not_found_again() {
    let (_d, p) = temp_file(
        "t.csv",
        b"id,first_response_at,resolved_at\n1,2025-01-06 10:00:00,2025-01-06 12:00:00\n",
    );
    let v = json_ok(&["tickets", &p, "--col", "created_at=first_response_at"]);
    let cols = &v["definition"]["columns"];
    assert_eq!(cols["created_at"], "first_response_at");
    assert_eq!(cols["resolved_at"], "resolved_at");
    assert!(cols["first_response_at"].is_null(), "{cols}");
    assert_eq!(v["total"]["n"], 1);
    assert!(v["warnings"].as_array().expect("warnings").iter().any(|w| w
        .as_str()
        .is_some_and(|w| w.starts_with("no first response column"))));
}
