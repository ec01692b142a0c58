//! How an `--explain COL` result (SPEC 11) is shown: one table line per segment (`n 100→60`,
//! `share 50%→30%`, values `30.0→20.0`, Δ, mix, rate, p) and a Total line that prints the
//! sums, for terminal tables, Markdown and the HTML report (which adds a waterfall).

use serde_json::{Map, Value};

use super::html::esc;
use super::svg;
use super::table::Grid;
use crate::report::Report;

/// Whether the report is an explanation.
pub fn is_explain(r: &Report) -> bool {
    r.definition.contains_key("explain")
}

/// The explained metric's field name (`nps`, `churn_rate`, `ttr_mean_hours`, …).
fn metric(r: &Report) -> &str {
    r.definition
        .get("explain")
        .and_then(|e| e.get("metric"))
        .and_then(|v| v.as_str())
        .unwrap_or("")
}

/// The label and decimals of the explained value.
pub fn label_of(metric: &str) -> (&'static str, usize) {
    match metric {
        "nps" => ("NPS", 1),
        "csat" => ("CSAT %", 1),
        "ces" => ("CES", 2),
        "pmf" => ("PMF %", 1),
        "churn_rate" => ("churn %", 1),
        "frt_mean_hours" => ("FRT mean h", 2),
        "ttr_mean_hours" => ("TTR mean h", 2),
        "frt_breach_pct" => ("FRT breach %", 1),
        "ttr_breach_pct" => ("TTR breach %", 1),
        "reopen_rate" => ("reopen %", 1),
        _ => ("value", 2),
    }
}

fn f(m: &Map<String, Value>, k: &str) -> Option<f64> {
    m.get(k).and_then(|v| v.as_f64())
}

fn fixed(x: f64, d: usize) -> String {
    let s = format!("{x:.d$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// A signed change: `+3.7`, `-2.4`, `0.0`.
fn signed(x: Option<f64>, d: usize) -> String {
    match x {
        None => "–".into(),
        Some(x) => {
            let s = fixed(x, d);
            if x > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
                format!("+{s}")
            } else {
                s
            }
        }
    }
}

fn value(x: Option<f64>, d: usize) -> String {
    x.map_or("–".into(), |x| fixed(x, d))
}

/// A p-value for people: `< 0.001` below, else three decimals.
pub fn p_text(p: Option<f64>) -> String {
    match p {
        None => "–".into(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

fn pct0(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.0}%", 100.0 * x))
}

fn count(m: &Map<String, Value>, k: &str) -> String {
    m.get(k)
        .and_then(|v| v.as_u64())
        .map_or("–".into(), super::table::thousands)
}

/// The table grid: segment lines, then the Total line with the sums of mix and rate.
pub fn grid(r: &Report) -> Grid {
    let (label, d) = label_of(metric(r));
    let mut header: Vec<String> = r.by.clone();
    header.extend(
        ["n", "share", label, "Δ", "mix", "rate", "p", "p adj"]
            .iter()
            .map(|s| s.to_string()),
    );
    let mut rows = Vec::new();
    for row in &r.rows {
        let m = &row.fields;
        let mut key: String = row
            .group
            .as_ref()
            .and_then(|g| g.first().cloned())
            .flatten()
            .unwrap_or_else(|| "(blank)".into());
        match m.get("status").and_then(|v| v.as_str()) {
            Some("new") => key.push_str(" (new)"),
            Some("gone") => key.push_str(" (gone)"),
            _ => {}
        }
        if m.get("low_n").and_then(|v| v.as_bool()) == Some(true) {
            key.push_str(" †");
        }
        rows.push(vec![
            key,
            format!("{}→{}", count(m, "n_a"), count(m, "n_b")),
            format!("{}→{}", pct0(f(m, "share_a")), pct0(f(m, "share_b"))),
            format!(
                "{}→{}",
                value(f(m, "value_a"), d),
                value(f(m, "value_b"), d)
            ),
            signed(f(m, "delta"), d),
            signed(f(m, "mix"), d),
            signed(f(m, "rate"), d),
            p_text(f(m, "p_value")),
            p_text(f(m, "p_adjusted")),
        ]);
    }
    let t = &r.total;
    let mix: f64 = r.rows.iter().filter_map(|x| f(&x.fields, "mix")).sum();
    let rate: f64 = r.rows.iter().filter_map(|x| f(&x.fields, "rate")).sum();
    rows.push(vec![
        "Total".into(),
        format!("{}→{}", count(t, "n_a"), count(t, "n_b")),
        String::new(),
        format!(
            "{}→{}",
            value(f(t, "value_a"), d),
            value(f(t, "value_b"), d)
        ),
        signed(f(t, "delta"), d),
        signed(Some(mix), d),
        signed(Some(rate), d),
        p_text(f(t, "p_value")),
        String::new(),
    ]);
    let mut numeric = vec![false; r.by.len()];
    numeric.extend(std::iter::repeat_n(true, 8));
    Grid {
        header,
        rows,
        numeric,
    }
}

/// The line above the table: `NPS 2025-02 → 2025-03 by region (Kitagawa: mix + rate = Δ)`.
pub fn caption(r: &Report) -> String {
    let (label, _) = label_of(metric(r));
    let s = |k: &str| r.total.get(k).and_then(|v| v.as_str()).unwrap_or("?");
    format!(
        "{label} {} → {} by {} (Kitagawa: mix + rate = Δ)",
        s("period_a"),
        s("period_b"),
        r.by.join(", ")
    )
}

/// The lines under the table: what the markers mean, the tests of the mix and of the rate.
pub fn notes(r: &Report) -> Vec<String> {
    let (_, d) = label_of(metric(r));
    let t = &r.total;
    let mut out = Vec::new();
    if r.rows.iter().any(|x| {
        matches!(
            x.fields.get("status").and_then(|v| v.as_str()),
            Some("new" | "gone")
        )
    }) {
        out.push(
            "(new)/(gone): a segment present in one period only; its whole contribution is mix"
                .to_string(),
        );
    }
    if r.rows
        .iter()
        .any(|x| x.fields.get("low_n").and_then(|v| v.as_bool()) == Some(true))
    {
        out.push("†: fewer than --min-n observations in a period".into());
    }
    let mix: f64 = r.rows.iter().filter_map(|x| f(&x.fields, "mix")).sum();
    let rate: f64 = r.rows.iter().filter_map(|x| f(&x.fields, "rate")).sum();
    out.push(match f(t, "mix_chi2") {
        Some(c) => format!(
            "mix: shares moved χ² {:.1}, df {}, p {}; net {} points",
            c,
            t.get("mix_df").and_then(|v| v.as_u64()).unwrap_or(0),
            p_text(f(t, "mix_p_value")),
            signed(Some(mix), d)
        ),
        None => format!("mix: net {} points (no χ² test)", signed(Some(mix), d)),
    });
    out.push(format!(
        "rate: {} points, se {}, p {}; p adj: Holm-adjusted over the segments in both periods",
        signed(Some(rate), d),
        value(f(t, "rate_se"), d.max(1) + 1),
        p_text(f(t, "rate_p_value"))
    ));
    if r.definition
        .get("explain")
        .and_then(|e| e.get("p_adjust"))
        .and_then(|v| v.as_str())
        == Some("none")
    {
        if let Some(l) = out.last_mut() {
            *l = l.replace(
                "Holm-adjusted over the segments in both periods",
                "not adjusted (--p-adjust none)",
            );
        }
    }
    out
}

/// The HTML body of an explanation: a card with the change, the waterfall, the table.
pub fn html_body(r: &Report) -> String {
    let (label, d) = label_of(metric(r));
    let t = &r.total;
    let pa = t.get("period_a").and_then(|v| v.as_str()).unwrap_or("A");
    let pb = t.get("period_b").and_then(|v| v.as_str()).unwrap_or("B");
    let mut s = String::from("<div class=\"cards\">");
    s.push_str(&format!(
        "<div class=\"card main\"><div class=\"label\">{} · {} → {}</div><div class=\"value\">{} → {}</div><div class=\"sub\">Δ {} (p {})</div></div>",
        esc(label),
        esc(pa),
        esc(pb),
        esc(&value(f(t, "value_a"), d)),
        esc(&value(f(t, "value_b"), d)),
        esc(&signed(f(t, "delta"), d)),
        esc(&p_text(f(t, "p_value")))
    ));
    s.push_str(&format!(
        "<div class=\"card\"><div class=\"label\">rate (segments changed)</div><div class=\"stat\">{}</div><div class=\"sub\">p {}</div></div>",
        esc(&signed(f(t, "rate"), d)),
        esc(&p_text(f(t, "rate_p_value")))
    ));
    s.push_str(&format!(
        "<div class=\"card\"><div class=\"label\">mix (shares moved)</div><div class=\"stat\">{}</div><div class=\"sub\">χ² p {}</div></div>",
        esc(&signed(f(t, "mix"), d)),
        esc(&p_text(f(t, "mix_p_value")))
    ));
    s.push_str("</div>\n");
    if let (Some(a), Some(b)) = (f(t, "value_a"), f(t, "value_b")) {
        let mut steps: Vec<(String, f64)> = Vec::new();
        for row in &r.rows {
            let key = row
                .group
                .as_ref()
                .and_then(|g| g.first().cloned())
                .flatten()
                .unwrap_or_else(|| "(blank)".into());
            for part in ["mix", "rate"] {
                if let Some(v) = f(&row.fields, part) {
                    if v != 0.0 {
                        steps.push((format!("{key} {part}"), v));
                    }
                }
            }
        }
        s.push_str(&format!(
            "<h3>{} {} → {}: mix and rate by {}</h3>",
            esc(label),
            esc(pa),
            esc(pb),
            esc(&r.by.join(", "))
        ));
        s.push_str(&svg::waterfall(
            (pa, a),
            &steps,
            (pb, b),
            &format!("{label} waterfall"),
            &|v| fixed(v, d),
        ));
        s.push('\n');
    }
    s
}

/// The small card of an explanation in the report's overview: the change and its split.
pub fn overview_card(r: &Report, name: &str) -> String {
    let (label, d) = label_of(metric(r));
    let t = &r.total;
    let p = |k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("?");
    format!(
        "<div class=\"card main\"><div class=\"label\">{} · {} Δ {} → {}</div><div class=\"value\">{}</div><div class=\"sub\">mix {} · rate {}</div></div>",
        esc(name),
        esc(label),
        esc(p("period_a")),
        esc(p("period_b")),
        esc(&signed(f(t, "delta"), d)),
        esc(&signed(f(t, "mix"), d)),
        esc(&signed(f(t, "rate"), d))
    )
}
