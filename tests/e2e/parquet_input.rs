//! Parquet inputs read by cxm's one-pass reader (SPEC 8; issue #11): each row group's needed
//! columns decoded and visited on one core, as many groups at once as there are cores (or,
//! for a file of few row groups, polars decodes a batch of rows while the last batch is
//! visited on every core). The outputs are those of the frame path (`CXM_NO_FAST=1`), read
//! either way and whatever the batch size.

use polars::prelude::*;

use crate::util::*;

fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// A survey export as a table to write as Parquet, `n` rows, deterministic: scores as
/// integers (nulls, 11, negative), times as text (unparseable, blank, null), regions with
/// nulls, repeated ids with an `updated_at`, and a float `rating`; typed copies: `typed_at`
/// the times as a millisecond TIMESTAMP (null where the text is not a time; a placeholder
/// 1900-01-01 in some rows), `nano_at` a nanosecond TIMESTAMP a little later than those,
/// `zoned_at` as a microsecond TIMESTAMP in UTC, `day` a DATE,
/// `score_u32` the scores as UInt32 (null where negative).
fn survey_parquet(n: usize) -> DataFrame {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let (mut ids, mut ts, mut score, mut region, mut upd, mut rating) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut typed_at, mut day_of) = (vec![], vec![]);
    for i in 0..n {
        next(&mut x);
        let id = if i % 613 == 9 { i - 3 } else { i };
        ids.push(format!("r{id}"));
        let (day, month) = (1 + x % 28, 1 + (x >> 8) % 12);
        ts.push(match i % 97 {
            0 => None,
            1 => Some("not a date".to_string()),
            2 => Some(String::new()),
            _ => Some(format!(
                "2024-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
                (x >> 16) % 24,
                (x >> 44) % 60,
                (x >> 50) % 60
            )),
        });
        score.push(match i % 89 {
            0 => None,
            1 => Some(11),
            2 => Some(-1),
            _ => Some(((x >> 24) % 11) as i32),
        });
        let r = ["EMEA", "AMER", "APAC", ""][(x >> 32) as usize % 4];
        region.push((!(x >> 40).is_multiple_of(17)).then(|| r.to_string()));
        upd.push(format!("2025-{month:02}-{day:02} 08:00:00"));
        rating.push(((x >> 48) % 50) as f64 / 10.0);
        let at = chrono::NaiveDate::from_ymd_opt(2024, month as u32, day as u32)
            .unwrap()
            .and_hms_milli_opt(
                ((x >> 16) % 24) as u32,
                ((x >> 44) % 60) as u32,
                ((x >> 50) % 60) as u32,
                (i % 3 * 125) as u32,
            )
            .unwrap();
        let at = if i % 211 == 5 {
            chrono::NaiveDate::from_ymd_opt(1900, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        } else {
            at
        };
        typed_at.push((i % 97 > 2).then_some(at));
        day_of.push((i % 97 > 2).then_some(at.date()));
    }
    let score_u32: Vec<Option<u32>> = score
        .iter()
        .map(|s: &Option<i32>| s.and_then(|v| u32::try_from(v).ok()))
        .collect();
    let mut df = df!(
        "response_id" => ids,
        "submitted_at" => ts,
        "score" => score,
        "region" => region,
        "updated_at" => upd,
        "rating" => rating,
        "score_u32" => score_u32,
    )
    .unwrap();
    let typed = Series::new("typed_at".into(), typed_at.clone());
    let zoned = typed
        .cast(&DataType::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::UTC),
        ))
        .unwrap()
        .with_name("zoned_at".into());
    // Nanoseconds with parts below the millisecond, which the text truncates.
    let nanos: Vec<Option<i64>> = typed_at
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.map(|t| t.and_utc().timestamp_millis() * 1_000_000 + (i as i64 % 7) * 123_457)
        })
        .collect();
    let nano = Series::new("nano_at".into(), nanos)
        .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
        .unwrap();
    df.with_column(nano.into_column()).unwrap();
    df.with_column(typed.into_column()).unwrap();
    df.with_column(zoned.into_column()).unwrap();
    df.with_column(Series::new("day".into(), day_of).into_column())
        .unwrap();
    df
}

/// `df` written to `dir/name` in row groups of `group` rows and data pages of `page` bytes
/// (polars' default, one page per column chunk, when `None`).
fn write_parquet(
    dir: &std::path::Path,
    name: &str,
    df: &mut DataFrame,
    group: usize,
    page: Option<usize>,
) -> String {
    let p = dir.join(name);
    ParquetWriter::new(std::fs::File::create(&p).unwrap())
        .with_row_group_size(Some(group))
        .with_data_page_size(page)
        .finish(df)
        .unwrap();
    p.to_string_lossy().into_owned()
}

fn one_pass_cases(p: &str) -> Vec<Vec<&str>> {
    let col = "--col";
    vec![
        vec!["nps", p],
        vec!["nps", p, "--by", "region", "--period", "month"],
        vec!["nps", p, "--keep-duplicates", "--since", "2024-03-01"],
        vec!["csat", p, "--scale", "5", col, "score=rating"],
        vec!["nps", p, "--rejects", "R", "--where", "region=EMEA"],
        vec!["nps", p, col, "submitted_at=typed_at", "--period", "week"],
        vec![
            "nps",
            p,
            col,
            "submitted_at=zoned_at",
            "--tz",
            "America/New_York",
        ],
        vec![
            "nps",
            p,
            col,
            "submitted_at=day",
            col,
            "score=score_u32",
            "--by",
            "day",
        ],
        vec![
            "nps",
            p,
            col,
            "submitted_at=typed_at",
            "--input-tz",
            "Europe/Berlin",
            "--period",
            "day",
        ],
        vec![
            "nps",
            p,
            col,
            "submitted_at=zoned_at",
            "--input-tz",
            "Asia/Tokyo",
            "--period",
            "day",
        ],
        vec![
            "nps",
            p,
            col,
            "submitted_at=nano_at",
            "--since",
            "2024-06-01T05:45:00.000123",
        ],
        vec![
            "nps",
            p,
            col,
            "submitted_at=typed_at",
            "--na-values",
            "1900-01-01T00:00:00",
        ],
        vec!["inspect", p],
    ]
}

// The same 30,000 responses laid out four ways, each read as the frame path reads them.
#[test]
fn the_one_pass_parquet_reader_gives_the_frame_paths_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut df = survey_parquet(30_000);
    let d = dir.path();
    // (file, environment, how it is read)
    type Layout<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);
    let layouts: [Layout; 4] = [
        // Row groups of about 4,000 rows (polars writes 7 of 4,285 or 4,286): each read and
        // visited on one core.
        (
            write_parquet(d, "groups.parquet", &mut df, 4_000, None),
            vec![],
            "read in 7 pieces of row groups",
        ),
        // One row group of small pages, read in parts of 2,500 rows.
        (
            write_parquet(d, "pages.parquet", &mut df, 30_000, Some(2_048)),
            vec![("CXM_PARQUET_PIECE_ROWS", "2500")],
            "read in 12 pieces of row groups",
        ),
        // One row group of one page per column: decoded whole, visited on every core.
        (
            write_parquet(d, "one.parquet", &mut df, 30_000, None),
            vec![("CXM_PARQUET_PIECE_ROWS", "2500")],
            "read in batches",
        ),
        // The seven row groups in batches of 7,000 rows (two groups each).
        (
            write_parquet(d, "batches.parquet", &mut df, 4_000, None),
            vec![
                ("CXM_PARQUET_BATCHED", "1"),
                ("CXM_PARQUET_BATCH_ROWS", "7000"),
            ],
            "read in batches",
        ),
    ];
    for (p, env, how) in &layouts {
        let mut timed = env.clone();
        timed.push(("CXM_TIMINGS", "1"));
        let o = run_path(&["nps", p], false, &timed);
        assert!(o.2.contains(how), "{p}: {}", o.2);
        assert!(o.2.contains("one-pass read (parquet)"), "{}", o.2);
        same_on_both_paths_with(&one_pass_cases(p), d, env);
    }
}

// Five responses whose submitted_at is a nanosecond TIMESTAMP without a zone, in row groups
// of one row (so each is read and visited on its own): r1 at 2025-03-01 10:00:00.000999999
// (score 10), r2 at 10:00:00.001 (0), r3 at the placeholder 1900-01-01 00:00:00 (9), r4 at
// 2025-03-02 08:00 (9), r5 at 2025-03-30 02:30 (7), which in Berlin falls in the DST gap.
#[test]
fn typed_timestamps_are_read_as_their_text_is() {
    let dir = tempfile::tempdir().unwrap();
    let ms = |d: &str| {
        chrono::NaiveDateTime::parse_from_str(d, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_millis()
            * 1_000_000
    };
    let at = [
        ms("2025-03-01 10:00:00") + 999_999,
        ms("2025-03-01 10:00:00") + 1_000_000,
        ms("1900-01-01 00:00:00"),
        ms("2025-03-02 08:00:00"),
        ms("2025-03-30 02:30:00"),
    ];
    let at = Series::new("submitted_at".into(), at)
        .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
        .unwrap();
    let mut df = df!(
        "response_id" => ["r1", "r2", "r3", "r4", "r5"],
        "score" => [10, 0, 9, 9, 7],
    )
    .unwrap();
    df.with_column(at.into_column()).unwrap();
    let p = dir.path().join("s.parquet");
    ParquetWriter::new(std::fs::File::create(&p).unwrap())
        .with_row_group_size(Some(1))
        .finish(&mut df)
        .unwrap();
    let p = p.to_string_lossy().into_owned();
    let placeholder =
        "1 submitted_at cell holds 1900-01-01T00:00:00, a placeholder for no date: read as blank";
    let since = ["nps", &p, "--since", "2025-03-01T10:00:00.001"];
    let berlin = [
        "nps",
        &p,
        "--input-tz",
        "Europe/Berlin",
        "--since",
        "2025-03-01",
    ];
    let na = [
        "nps",
        &p,
        "--na-values",
        "2025-03-02T08:00:00",
        "--since",
        "2025-03-01",
    ];
    // The text of r1 is 10:00:00.000999999, which is 10:00:00.000: before --since (filtered);
    // r3 has no time (blank); r2, r4, r5 count: 0, 9, 7 → NPS 0.
    let v = json_ok(&since);
    let i = &v["inputs"][0];
    let counts = (&i["used"], &i["blank"], &i["filtered"]);
    assert_eq!(counts, (&3.into(), &1.into(), &1.into()), "{v}");
    approx(&v["total"]["nps"], 0.0);
    assert_eq!(v["warnings"][0], placeholder, "{v}");
    // In Berlin, r5's 02:30 is moved forward by the gap: 03:30 CEST, 01:30Z, the latest.
    let v = json_ok(&berlin);
    assert_eq!(v["as_of"], "2025-03-30T01:30:00+00:00", "{v}");
    assert_eq!(v["inputs"][0]["used"], 4, "{v}");
    let gap = v["warnings"].to_string();
    assert!(gap.contains("daylight-saving gap"), "{v}");
    // r4's time is an --na-values text: blank like r3; r1, r2, r5 count: 10, 0, 7 → NPS 0.
    let v = json_ok(&na);
    let i = &v["inputs"][0];
    assert_eq!((&i["used"], &i["blank"]), (&3.into(), &2.into()), "{v}");
    approx(&v["total"]["nps"], 0.0);
    assert_eq!(v["total"]["promoters"], 1, "{v}");
    let mut by_day = berlin.to_vec();
    by_day.splice(4.., ["--period", "day"]);
    same_on_both_paths(&[since.to_vec(), by_day, na.to_vec()], dir.path());
}

// Five tickets as Parquet (text columns, as a warehouse export would hold them), as of
// 2025-03-10: first replies after 1, 0.5 and 2 h (median 1 h); resolutions after 4, 24 and
// 6 h (median 6 h); t5's creation time is unreadable (rejected).
#[test]
fn tickets_from_parquet_give_the_hand_computed_figures() {
    let dir = tempfile::tempdir().unwrap();
    let mut df = df!(
        "ticket_id" => ["t1", "t2", "t3", "t4", "t5"],
        "created_at" => ["2025-03-03T09:00:00Z", "2025-03-03T09:00:00Z", "2025-03-04T10:00:00Z", "2025-03-04T10:00:00Z", "not a date"],
        "first_response_at" => [Some("2025-03-03T10:00:00Z"), Some("2025-03-03T09:30:00Z"), Some("2025-03-04T12:00:00Z"), None, None],
        "resolved_at" => [Some("2025-03-03T13:00:00Z"), Some("2025-03-04T09:00:00Z"), None, Some("2025-03-04T16:00:00Z"), None],
        "status" => ["solved", "solved", "open", "solved", "open"],
    )
    .unwrap();
    // The figures above, read from `df` written as Parquet in row groups of `group` rows.
    let figures = |df: &mut DataFrame, name: &str, group: usize| {
        let p = write_parquet(dir.path(), name, df, group, None);
        let v = json_ok(&["tickets", &p, "--as-of", "2025-03-10"]);
        let t = &v["total"];
        approx(&t["frt_median_hours"], 1.0);
        approx(&t["frt_mean_hours"], 3.5 / 3.0);
        approx(&t["ttr_median_hours"], 6.0);
        approx(&t["ttr_mean_hours"], 34.0 / 3.0);
        same_on_both_paths(&[vec!["tickets", &p, "--as-of", "2025-03-10"]], dir.path());
        v
    };
    let v = figures(&mut df, "t.parquet", 5);
    assert_eq!(v["inputs"][0]["rejected"], 1, "{v}");

    // The same tickets with the times as microsecond TIMESTAMPs in UTC, in row groups of one
    // ticket; t5 was created at the placeholder 1900-01-01 (no creation time).
    let at = |name: &str, t: [Option<&str>; 5]| {
        let us: Vec<Option<i64>> = t
            .iter()
            .map(|t| {
                t.map(|t| {
                    let t = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").unwrap();
                    t.and_utc().timestamp_micros()
                })
            })
            .collect();
        let zone = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
        Series::new(name.into(), us)
            .cast(&zone)
            .unwrap()
            .into_column()
    };
    let mut df = df!("ticket_id" => ["t1", "t2", "t3", "t4", "t5"]).unwrap();
    for c in [
        at(
            "created_at",
            [
                Some("2025-03-03 09:00"),
                Some("2025-03-03 09:00"),
                Some("2025-03-04 10:00"),
                Some("2025-03-04 10:00"),
                Some("1900-01-01 00:00"),
            ],
        ),
        at(
            "first_response_at",
            [
                Some("2025-03-03 10:00"),
                Some("2025-03-03 09:30"),
                Some("2025-03-04 12:00"),
                None,
                None,
            ],
        ),
        at(
            "resolved_at",
            [
                Some("2025-03-03 13:00"),
                Some("2025-03-04 09:00"),
                None,
                Some("2025-03-04 16:00"),
                None,
            ],
        ),
    ] {
        df.with_column(c).unwrap();
    }
    let v = figures(&mut df, "typed.parquet", 1);
    assert_eq!(v["inputs"][0]["used"], 4, "{v}");
    let w = "1 created_at cell holds 1900-01-01T00:00:00, a placeholder for no date: read as blank";
    assert_eq!(v["warnings"][0], w, "{v}");
}

// fixtures/parquet/typed.parquet (scripts/make_parquet_fixtures.py, written by DuckDB): six
// responses r1..r6 whose score is stored as TINYINT, UTINYINT, SMALLINT, USMALLINT, BIGINT
// and DECIMAL(4,1): 10, 9, 7, 3, null, 11; submitted_at a millisecond TIMESTAMP, 2025-03-01
// to 2025-03-06 at 10:00:00.250; amount DECIMAL(18,2) 12.50 × row; day a DATE (2025-03-01
// to 2025-03-06); plan team/pro alternating; raw a BLOB ("x1".."x6"); bin a BLOB (bytes FF 01
// in r1, not UTF-8, then "b2".."b6"); uid a UUID (00000000-0000-4000-8000-00000000000i).
// NPS: 4 valid scores (10 and 9 promoters, 7 passive, 3 detractor), the null blank, the 11
// rejected: 100 × (2 − 1) / 4 = 25.
#[test]
fn typed_parquet_columns_are_read_as_their_values() {
    let f = fixture("parquet/typed.parquet");
    for score in [
        "score",
        "score_u8",
        "score_i16",
        "score_u16",
        "score_i64",
        "score_dec",
    ] {
        let col = format!("score={score}");
        let v = json_ok(&["nps", &f, "--col", &col]);
        let t = &v["total"];
        assert_eq!(t["n"], 4, "{score}: {v}");
        assert_eq!(t["blank"], 1, "{score}");
        assert_eq!(t["rejected"], 1, "{score}");
        assert_eq!(t["promoters"], 2, "{score}");
        assert_eq!(t["passives"], 1, "{score}");
        assert_eq!(t["detractors"], 1, "{score}");
        approx(&t["nps"], 25.0);
        // The latest valid response (r4; r5 is blank, r6 rejected), a naive time read as
        // UTC, with its milliseconds.
        let as_of = v["as_of"].as_str().unwrap();
        assert!(as_of.starts_with("2025-03-04T10:00:00.25"), "{as_of}");
    }
    // The NPS of the group `value` of `--by column`.
    let group_nps = |column: &str, value: &str| {
        let v = json_ok(&["nps", &f, "--by", column]);
        let rows = v["rows"].as_array().unwrap();
        let g = rows.iter().find(|r| r["group"][column] == value);
        g.unwrap_or_else(|| panic!("no {value} group: {v}"))["nps"].clone()
    };
    // By the DATE column: one group a day; 2025-03-02 holds r2 (9, promoter): NPS 100.
    approx(&group_nps("day", "2025-03-02"), 100.0);
    // By the DECIMAL amount: r4 (3, detractor) is the 50.00 group.
    approx(&group_nps("amount", "50.00"), -100.0);
    // --since on the millisecond timestamps: r3 (7), r4 (3), r5 (blank), r6 (11) are kept:
    // n 2, NPS 100 × (0 − 1) / 2 = −50.
    let v = json_ok(&["nps", &f, "--since", "2025-03-03T10:00:00.250"]);
    assert_eq!(v["total"]["n"], 2, "{v}");
    approx(&v["total"]["nps"], -50.0);
    let dir = tempfile::tempdir().unwrap();
    // The rejects file holds r6 with its cells as text.
    let r = dir.path().join("r.csv").to_string_lossy().into_owned();
    json_ok(&["nps", &f, "--rejects", &r]);
    let rows = std::fs::read_to_string(&r).unwrap();
    let mut lines = rows.lines().skip(1);
    let r6 = lines.next().unwrap();
    assert!(
        r6.starts_with("r6,2025-03-06T10:00:00.250,11,11,11,11,11,11.0,75.00,2025-03-06,pro,x6,b6,00000000-0000-4000-8000-000000000006,"),
        "{rows}"
    );
    assert!(
        r6.ends_with(r#","out_of_range: score 11 not in 0–10 (score ""11"")""#),
        "{rows}"
    );
    assert_eq!(lines.next(), None, "{rows}");
    same_on_both_paths(
        &[
            vec!["nps", &f, "--by", "day", "--rejects", "R"],
            vec![
                "nps",
                &f,
                "--by",
                "submitted_at",
                "--col",
                "score=score_dec",
            ],
            vec!["nps", &f, "--by", "plan", "--col", "score=score_u16"],
            vec!["nps", &f, "--by", "amount", "--period", "day"],
            vec!["nps", &f, "--by", "bin", "--col", "response_id=uid"],
        ],
        dir.path(),
    );
}

// A column of a type cxm cannot read stops the run with one line naming it, even when no
// metric reads it (polars cannot open such a file at all).
#[test]
fn parquet_columns_cxm_cannot_read_are_named() {
    let f = fixture("parquet/interval.parquet");
    for args in [vec!["nps", f.as_str()], vec!["inspect", f.as_str()]] {
        let o = run(&args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(
            o.stderr
                .contains(r#"column "wait" holds values of type INTERVAL"#),
            "{}",
            o.stderr
        );
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
        assert_eq!(o.stderr.trim_end().lines().count(), 1, "{}", o.stderr);
    }
}

// Bytes are read as the text they spell (some writers store strings without marking them
// as text), bytes that are not UTF-8 as hex, and UUIDs in their usual form: in
// fixtures/parquet/typed.parquet (above), ids from the UUID column find no duplicates, and
// grouping by the BLOB columns gives one group per row, r1's `bin` as 0xff01.
#[test]
fn parquet_bytes_and_uuids_are_read_as_text() {
    let f = fixture("parquet/typed.parquet");
    let v = json_ok(&["nps", &f, "--col", "response_id=uid", "--by", "bin"]);
    assert_eq!(v["inputs"][0]["duplicate"], 0, "{v}");
    let rows = v["rows"].as_array().unwrap();
    let groups: Vec<&str> = rows
        .iter()
        .map(|r| r["group"]["bin"].as_str().unwrap())
        .collect();
    for g in ["0xff01", "b2", "b3", "b4"] {
        assert!(groups.contains(&g), "{g}: {groups:?}");
    }
    let r1 = rows.iter().find(|r| r["group"]["bin"] == "0xff01").unwrap();
    approx(&r1["nps"], 100.0);
    // --where on a UUID: r3 alone (7, passive): NPS 0.
    let v = json_ok(&[
        "nps",
        &f,
        "--where",
        "uid=00000000-0000-4000-8000-000000000003",
    ]);
    assert_eq!(v["total"]["n"], 1, "{v}");
    assert_eq!(v["total"]["passives"], 1, "{v}");
    // The BLOB "x1".."x6" as scores: not numbers, each rejected.
    let o = run(&["nps", &f, "--col", "score=raw"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("(6 rows: 0 blank, 6 rejected)"),
        "{}",
        o.stderr
    );
}

// fixtures/parquet/nested.parquet: response_id r0..r11, score i % 11, tags a list per row.
// `cxm inspect` shows every column, the list as empty with a warning naming it as nested,
// instead of failing.
#[test]
fn inspect_shows_a_parquet_file_with_a_nested_column() {
    let f = fixture("parquet/nested.parquet");
    let v = json_ok(&["inspect", &f]);
    let cols = v["columns"].as_array().unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["response_id", "score", "tags"], "{v}");
    assert_eq!(cols[1]["type"], "integer");
    // The SPEC lists no type for it: no cell read, so empty, every row null.
    assert_eq!(cols[2]["type"], "empty");
    assert_eq!(cols[2]["nulls"], 12);
    assert_eq!(v["rows"], 12, "{v}");
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains(r#"column \"tags\" holds nested values (list[i64])"#),
        "{warnings}"
    );
}

// fixtures/parquet/spark.parquet (scripts/make_parquet_fixtures.py spark): twelve responses
// r0..r11 as Spark writes them; score id % 11 (0..10, 0); submitted_at an INT96 timestamp,
// 2025-01-01 00:00 UTC plus id hours; a DECIMAL amount, a SMALLINT and an array column.
// NPS: promoters 9, 10; passives 7, 8; detractors 0–6 and 0: 100 × (2 − 8) / 12 = −50, as of
// 11:00. From 06:00: 6, 7, 8, 9, 10, 0: 100 × (2 − 2) / 6 = 0.
#[test]
fn a_spark_parquet_export_is_read() {
    let f = fixture("parquet/spark.parquet");
    let v = json_ok(&["nps", &f]);
    assert_eq!(v["total"]["n"], 12, "{v}");
    approx(&v["total"]["nps"], -50.0);
    assert_eq!(v["as_of"], "2025-01-01T11:00:00+00:00");
    let v = json_ok(&["nps", &f, "--since", "2025-01-01T06:00:00Z"]);
    assert_eq!(v["total"]["n"], 6, "{v}");
    approx(&v["total"]["nps"], 0.0);
    // By the SMALLINT: ids 0, 3, 6, 9 (scores 0, 3, 6, 9): 100 × (1 − 3) / 4 = −50.
    let v = json_ok(&["nps", &f, "--by", "region_code"]);
    let g0 = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"]["region_code"] == "0")
        .cloned()
        .unwrap_or_else(|| panic!("no group 0: {v}"));
    approx(&g0["nps"], -50.0);
    let dir = tempfile::tempdir().unwrap();
    same_on_both_paths(
        &[
            vec!["nps", &f, "--by", "amount"],
            vec!["nps", &f, "--period", "day", "--by", "region_code"],
        ],
        dir.path(),
    );
}
