//! `cxm retention`'s own shapes: the cohort matrix and the survival curve as a text table,
//! Markdown or CSV (JSON and HTML go through the common renderers).

use serde_json::{Map, Value};

use crate::output::{self, OutFormat};
use crate::report::Report;

/// The retention report as text, Markdown or CSV: the cohort matrix or the survival curve;
/// `None` for JSON and HTML, which the common renderers write.
pub fn render(report: &Report, format: OutFormat) -> Option<Vec<u8>> {
    if matches!(format, OutFormat::Json | OutFormat::Html) {
        return None;
    }
    Some(
        match (report.extra.get("cohorts"), report.extra.get("all")) {
            (Some(Value::Array(cohorts)), Some(all)) => {
                let revenue =
                    report.definition.get("measure").and_then(|v| v.as_str()) == Some("mrr");
                match format {
                    OutFormat::Csv => matrix_csv(cohorts, all),
                    OutFormat::Markdown => matrix_text(cohorts, all, revenue, true).into_bytes(),
                    _ => matrix_text(cohorts, all, revenue, false).into_bytes(),
                }
            }
            _ => match format {
                OutFormat::Csv => survival_csv(&report.total),
                OutFormat::Markdown => survival_text(&report.total, true).into_bytes(),
                _ => survival_text(&report.total, false).into_bytes(),
            },
        },
    )
}

/// CSV of a survival result: `t, s, se`.
fn survival_csv(total: &Map<String, Value>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["t", "s", "se"]);
    if let Some(Value::Array(pts)) = total.get("survival") {
        for p in pts {
            let cell = |k: &str| output::csv::cell(p.get(k).unwrap_or(&Value::Null));
            let _ = w.write_record([cell("t"), cell("s"), cell("se")]);
        }
    }
    w.into_inner().unwrap_or_default()
}

fn pad(rows: &[Vec<String>], header: &[String], markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        out.push_str(&format!(
            "|{}|\n",
            header
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---" } else { "---:" })
                .collect::<Vec<_>>()
                .join("|")
        ));
        for r in rows {
            out.push_str(&format!("| {} |\n", r.join(" | ")));
        }
        return out;
    }
    let n = header.len();
    let mut width = vec![0usize; n];
    for r in std::iter::once(header).chain(rows.iter().map(|r| r.as_slice())) {
        for (i, cell) in r.iter().enumerate() {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let line = |r: &[String]| -> String {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let padn = width[i] - cell.chars().count();
                if i == 0 {
                    format!("{cell}{}", " ".repeat(padn))
                } else {
                    format!("{}{cell}", " ".repeat(padn))
                }
            })
            .collect();
        format!("{}\n", cells.join("  ").trim_end())
    };
    out.push_str(&line(header));
    let total: usize = width.iter().sum::<usize>() + 2 * n.saturating_sub(1);
    out.push_str(&"─".repeat(total));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

fn fmt(v: Option<f64>, d: usize) -> String {
    v.map_or("–".into(), |x| format!("{x:.d$}"))
}

fn survival_text(total: &Map<String, Value>, markdown: bool) -> String {
    let g = |k: &str| total.get(k).cloned().unwrap_or(Value::Null);
    let mut s = if markdown {
        "### RETENTION (survival)\n\n".to_string()
    } else {
        "RETENTION (survival)\n".to_string()
    };
    let unit = g("unit").as_str().unwrap_or("days").to_string();
    s.push_str(&format!(
        "n {}, events {}, censored {}, median {}\n\n",
        g("n"),
        g("events"),
        g("censored"),
        g("median")
            .as_f64()
            .map_or("not reached".to_string(), |m| format!("{m:.2} {unit}"))
    ));
    let header = vec![format!("t ({unit})"), "S(t)".into(), "se".into()];
    let rows: Vec<Vec<String>> = match g("survival") {
        Value::Array(pts) => pts
            .iter()
            .map(|p| {
                let f = |k: &str| p.get(k).and_then(|v| v.as_f64());
                vec![
                    f("t").map_or("–".into(), |t| format!("{t}")),
                    fmt(f("s"), 4),
                    fmt(f("se"), 4),
                ]
            })
            .collect(),
        _ => vec![],
    };
    s.push_str(&pad(&rows, &header, markdown));
    s
}

/// CSV of the matrix: `cohort, offset, size, retained, pct`, the `all` rows last.
fn matrix_csv(cohorts: &[Value], all: &Value) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["cohort", "offset", "size", "retained", "pct"]);
    for co in cohorts {
        let label = co["cohort"].as_str().unwrap_or("").to_string();
        let size = output::csv::cell(&co["size"]);
        if let (Some(r), Some(p)) = (co["retained"].as_array(), co["pct"].as_array()) {
            for (k, (rv, pv)) in r.iter().zip(p).enumerate() {
                let _ = w.write_record([
                    label.clone(),
                    k.to_string(),
                    size.clone(),
                    output::csv::cell(rv),
                    output::csv::cell(pv),
                ]);
            }
        }
    }
    if let (Some(r), Some(p), Some(sz)) = (
        all["retained"].as_array(),
        all["pct"].as_array(),
        all["size"].as_array(),
    ) {
        for (k, ((rv, pv), sv)) in r.iter().zip(p).zip(sz).enumerate() {
            let _ = w.write_record([
                "all".to_string(),
                k.to_string(),
                output::csv::cell(sv),
                output::csv::cell(rv),
                output::csv::cell(pv),
            ]);
        }
    }
    w.into_inner().unwrap_or_default()
}

fn matrix_text(cohorts: &[Value], all: &Value, revenue: bool, markdown: bool) -> String {
    let width = all["pct"].as_array().map_or(0, |a| a.len());
    let mut header = vec![
        "cohort".to_string(),
        if revenue { "MRR".into() } else { "size".into() },
    ];
    header.extend((0..width).map(|k| format!("+{k}")));
    let pct = |v: &Value| v.as_f64().map_or("–".into(), |x| format!("{x:.1}%"));
    let mut rows = Vec::new();
    for co in cohorts {
        let mut r = vec![
            co["cohort"].as_str().unwrap_or("").to_string(),
            if revenue {
                co["mrr"].as_f64().map_or("–".into(), |x| format!("{x:.2}"))
            } else {
                co["size"].to_string()
            },
        ];
        let p = co["pct"].as_array().cloned().unwrap_or_default();
        for k in 0..width {
            r.push(p.get(k).map_or("–".into(), pct));
        }
        rows.push(r);
    }
    let mut r = vec!["all".to_string(), String::new()];
    for v in all["pct"].as_array().cloned().unwrap_or_default() {
        r.push(pct(&v));
    }
    rows.push(r);
    let title = if revenue {
        "RETENTION (revenue, % of the cohort's MRR at the end of its first period)"
    } else {
        "RETENTION (customers, % of the cohort)"
    };
    let mut s = if markdown {
        format!("### {title}\n\n")
    } else {
        format!("{title}\n")
    };
    s.push_str(&pad(&rows, &header, markdown));
    s
}
