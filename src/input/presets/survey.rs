//! Survey presets (SPEC 5, docs/presets.md): Qualtrics, SurveyMonkey, Typeform, Delighted
//! and Zendesk satisfaction ratings.

use anyhow::Result;

use super::{find, has, map, reread, Applied};
use crate::input::read::{Format, Source};
use crate::input::rows::WhereCol;
use crate::time::{self, Tz};

/// The survey presets, in detection order.
pub const NAMES: &[&str] = &[
    "qualtrics",
    "surveymonkey",
    "typeform",
    "delighted",
    "zendesk",
];

/// Which survey preset the (first-row) headers look like, if any.
pub fn detect(src: &Source) -> Option<&'static str> {
    let h = &src.headers;
    let csv = src.format == Format::Csv;
    let all = |names: &[&str]| names.iter().all(|n| has(h, n));
    // `ResponseId` and four of Qualtrics' typical metadata columns (an export may leave one
    // out, e.g. `Status`).
    let count = |names: &[&str]| names.iter().filter(|n| has(h, n)).count();
    if csv
        && has(h, "ResponseId")
        && count(&[
            "StartDate",
            "EndDate",
            "Status",
            "Finished",
            "RecordedDate",
            "Progress",
            "Duration (in seconds)",
            "DistributionChannel",
        ]) >= 4
    {
        return Some("qualtrics");
    }
    if csv && is_legacy_qualtrics(h) {
        return Some("qualtrics");
    }
    if csv
        && all(&["Respondent ID", "Collector ID"])
        && (has(h, "End Date") || has(h, "Date Created"))
    {
        return Some("surveymonkey");
    }
    if h.iter().any(|x| x.trim() == "Submit Date (UTC)")
        && (has(h, "Network ID") || h.iter().any(|x| x.trim() == "#"))
    {
        return Some("typeform");
    }
    if all(&["score", "permalink"]) && (has(h, "created at") || has(h, "created")) {
        return Some("delighted");
    }
    if all(&["score", "ticket id", "created at"])
        && (has(h, "requester id") || has(h, "assignee id"))
    {
        return Some("zendesk");
    }
    None
}

/// The older Qualtrics layout: `V1` … `V10` (ResponseID … Finished) and `Q` columns in the
/// first header row, the field names and question texts in the second (two header rows).
fn is_legacy_qualtrics(h: &[String]) -> bool {
    let v = |n: &str| h.iter().any(|x| x.trim() == n);
    ["V1", "V7", "V8", "V9", "V10"].iter().all(|n| v(n))
        && h.iter().any(|x| {
            let b = x.trim().as_bytes();
            b.len() >= 2 && b[0] == b'Q' && b[1].is_ascii_digit()
        })
}

/// Legacy Qualtrics names: a `V…` column takes its second-row field name (`ResponseID`,
/// `StartDate`, …); the others (`Q1`, `Q3_1`) keep their first-row name.
fn legacy_qualtrics_names(h: &[Vec<String>]) -> Vec<String> {
    h[0].iter()
        .enumerate()
        .map(|(i, n)| {
            let t = n.trim();
            let second = h.get(1).and_then(|r| r.get(i)).map(|s| s.trim());
            let is_v =
                t.len() >= 2 && t.starts_with('V') && t[1..].bytes().all(|b| b.is_ascii_digit());
            match second {
                Some(s) if is_v && !s.is_empty() => s.to_string(),
                _ => t.to_string(),
            }
        })
        .collect()
}

/// Whether a Qualtrics header row is the ImportId row (`{"ImportId":"QID1"}` cells).
fn is_import_row(row: &[String]) -> bool {
    row.iter().any(|c| c.contains("ImportId"))
}

/// The NPS question by its wording ("how likely … recommend").
fn is_recommend(text: &str) -> bool {
    let t = text.to_lowercase();
    t.contains("recommend") && t.contains("likely")
}

/// Apply survey preset `name` (rewriting multi-row headers); `metric` is nps, csat, ces or
/// pmf.
pub fn apply(sources: &mut [Source], name: &str, metric: &str, a: &mut Applied) -> Result<()> {
    match name {
        "qualtrics" => qualtrics(sources, metric, a)?,
        "surveymonkey" => surveymonkey(sources, metric, a)?,
        "typeform" => {
            let h = &sources[0].headers;
            if metric == "nps" {
                if let Some(q) = h.iter().find(|x| is_recommend(x)) {
                    a.cols.insert("score".into(), q.clone());
                }
            }
            if let Some(t) = h.iter().find(|x| x.trim() == "Submit Date (UTC)") {
                a.cols.insert("submitted_at".into(), t.clone());
            }
            map(a, h, "response_id", &["Response ID", "#"]);
            a.zone = Some(Tz::UTC);
        }
        "delighted" => {
            let h = &sources[0].headers;
            for (canon, names) in [
                ("score", &["score"][..]),
                ("submitted_at", &["created at", "created"][..]),
                ("response_id", &["response id", "id"][..]),
                ("updated_at", &["updated at"][..]),
                ("comment", &["comment"][..]),
            ] {
                map(a, h, canon, names);
            }
            a.zone = Some(Tz::UTC);
        }
        _ => {
            // zendesk satisfaction ratings: good / bad / offered / unoffered.
            let h = &sources[0].headers;
            for (canon, names) in [
                ("score", &["score"][..]),
                ("submitted_at", &["created at"][..]),
                ("response_id", &["id"][..]),
                ("updated_at", &["updated at"][..]),
                ("comment", &["comment"][..]),
            ] {
                map(a, h, canon, names);
            }
        }
    }
    Ok(())
}

fn qualtrics(sources: &mut [Source], metric: &str, a: &mut Applied) -> Result<()> {
    if is_legacy_qualtrics(&sources[0].headers) {
        return qualtrics_legacy(sources, metric, a);
    }
    a.header_rows = 3;
    let mut hdr = reread(sources, 3, "qualtrics", |h| h[0].clone())?;
    // Header rows and data disagree: a third row that is not the ImportId row is a
    // response (an export without that row); read it as data, and say so.
    if hdr.len() == 3 && !is_import_row(&hdr[2]) {
        a.notes.push(format!(
            "{}: line 3 is not Qualtrics' ImportId header row ({{\"ImportId\": …}}) but a response; read with 2 header rows (names, question texts), so line 3 is the first response",
            sources[0].display
        ));
        a.header_rows = 2;
        hdr = reread(sources, 2, "qualtrics", |h| h[0].clone())?;
    }
    let names = &sources[0].headers;
    let texts = hdr.get(1).cloned().unwrap_or_default();
    let import = hdr.get(2).cloned().unwrap_or_default();
    if metric == "nps" {
        if let Some(i) = texts.iter().position(|t| is_recommend(t)) {
            a.cols.insert("score".into(), names[i].clone());
        }
    }
    let time_col = names
        .iter()
        .position(|h| h == "RecordedDate")
        .or_else(|| names.iter().position(|h| h == "EndDate"));
    if let Some(i) = time_col {
        a.cols.insert("submitted_at".into(), names[i].clone());
    }
    map(a, names, "response_id", &["ResponseId"]);
    // The zone: the time column's ImportId JSON, else any column's.
    let zone_of = |cell: &str| -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(cell.trim()).ok()?;
        v.get("timeZone")?.as_str().map(str::to_string)
    };
    let zone = time_col
        .and_then(|i| import.get(i))
        .and_then(|c| zone_of(c))
        .or_else(|| import.iter().find_map(|c| zone_of(c)));
    if let Some(z) = zone {
        match time::parse_tz(&z) {
            Ok(tz) => a.zone = Some(tz),
            Err(_) => a.notes.push(format!(
                "the qualtrics time zone {z:?} in the third header row is not a known zone; naive times are read in --input-tz (or --tz)"
            )),
        }
    }
    qualtrics_filters(a, names);
    Ok(())
}

/// Partial responses (`Finished` false or 0) and previews, tests and spam (`Status`) are
/// filtered.
fn qualtrics_filters(a: &mut Applied, names: &[String]) {
    if let Some(f) = find(names, &["Finished"]) {
        a.filters.push(WhereCol {
            name: f.clone(),
            equals: Vec::new(),
            not_equals: ["False", "false", "FALSE", "0"].map(String::from).to_vec(),
        });
    }
    if let Some(s) = find(names, &["Status"]) {
        a.filters.push(WhereCol {
            name: s.clone(),
            equals: Vec::new(),
            not_equals: [
                "Survey Preview",
                "Survey Test",
                "Spam",
                "preview",
                "Preview",
                "spam",
                "1",
                "2",
                "8",
            ]
            .map(String::from)
            .to_vec(),
        });
    }
}

/// The older Qualtrics layout (SPEC 5): two header rows, `V1`… names with field names and
/// question texts in the second row; no ImportId row, so naive times follow `--input-tz`.
fn qualtrics_legacy(sources: &mut [Source], metric: &str, a: &mut Applied) -> Result<()> {
    a.header_rows = 2;
    let hdr = reread(sources, 2, "qualtrics", legacy_qualtrics_names)?;
    let names = &sources[0].headers;
    let texts = hdr.get(1).cloned().unwrap_or_default();
    if metric == "nps" {
        if let Some(i) = texts.iter().position(|t| is_recommend(t)) {
            a.cols.insert("score".into(), names[i].clone());
        }
    }
    map(a, names, "submitted_at", &["EndDate"]);
    map(a, names, "response_id", &["ResponseID"]);
    qualtrics_filters(a, names);
    Ok(())
}

/// SurveyMonkey column names: the first row's text forward-filled, then ` - ` and the
/// second row's text when it is not empty (SPEC 5).
pub fn surveymonkey_names(h: &[Vec<String>]) -> Vec<String> {
    let mut last = String::new();
    let second = h.get(1);
    h[0].iter()
        .enumerate()
        .map(|(i, t)| {
            if !t.trim().is_empty() {
                last = t.trim().to_string();
            }
            match second.and_then(|s| s.get(i)).map(|s| s.trim()) {
                Some(s) if !s.is_empty() => format!("{last} - {s}"),
                _ => last.clone(),
            }
        })
        .collect()
}

fn surveymonkey(sources: &mut [Source], metric: &str, a: &mut Applied) -> Result<()> {
    a.header_rows = 2;
    let hdr = reread(sources, 2, "surveymonkey", surveymonkey_names)?;
    let names = &sources[0].headers;
    if metric == "nps" {
        // The question text is in the first row, forward-filled over its columns.
        let mut last = String::new();
        for (i, t) in hdr[0].iter().enumerate() {
            if !t.trim().is_empty() {
                last = t.clone();
            }
            if is_recommend(&last) {
                a.cols.insert("score".into(), names[i].clone());
                break;
            }
        }
    }
    map(a, names, "submitted_at", &["End Date", "Date Created"]);
    map(a, names, "response_id", &["Respondent ID"]);
    a.date_formats = vec![
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ];
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surveymonkey_headers_forward_fill() {
        let h = vec![
            vec!["Respondent ID".to_string(), "Q1".into(), "".into()],
            vec!["".to_string(), "Response".into(), "Other".into()],
        ];
        assert_eq!(
            surveymonkey_names(&h),
            vec!["Respondent ID", "Q1 - Response", "Q1 - Other"]
        );
    }

    #[test]
    fn recommend_wording() {
        assert!(is_recommend(
            "How <strong>likely</strong> are you to recommend us?"
        ));
        assert!(!is_recommend("Why did you give that score?"));
    }
}
