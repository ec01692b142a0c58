//! Terminal tables (comfy-table): headline columns that fit 80 columns, the total row last;
//! a total-only result is a field/value list of every field.

use comfy_table::{presets, CellAlignment, ContentArrangement, Table, TableComponent};
use serde_json::{Map, Value};

use super::flatten;
use crate::report::{ColKind, Report};

/// A rectangular grid of display strings shared by the table and Markdown renderers.
pub struct Grid {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns holding numbers (right-aligned).
    pub numeric: Vec<bool>,
}

fn fmt_num(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Group digits of an integer: 10000 → 10,000.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in hours shown naturally: `45m`, `3h 20m`, `1d 4h`.
pub fn natural_hours(h: f64, unit: Option<&str>) -> String {
    match unit {
        Some("minutes") => return format!("{}m", fmt_num(h * 60.0, 1)),
        Some("hours") => return format!("{}h", fmt_num(h, 2)),
        Some("days") => return format!("{}d", fmt_num(h / 24.0, 2)),
        _ => {}
    }
    let total_min = (h * 60.0).round() as i64;
    if total_min < 60 {
        return format!("{total_min}m");
    }
    let (d, rem) = (total_min / 1440, total_min % 1440);
    let (hh, mm) = (rem / 60, rem % 60);
    if d > 0 {
        format!("{d}d {hh}h")
    } else {
        format!("{hh}h {mm}m")
    }
}

pub fn display_value(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => {
            if let Some(i) = n.as_u64() {
                thousands(i)
            } else if let Some(i) = n.as_i64() {
                i.to_string()
            } else {
                fmt_num(n.as_f64().unwrap_or(0.0), 2)
            }
        }
        Value::String(s) => s.clone(),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k}:{}", display_value(v)))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Array(a) => a.iter().map(display_value).collect::<Vec<_>>().join(", "),
    }
}

pub fn headline_cell(
    fields: &Map<String, Value>,
    key: &str,
    kind: ColKind,
    unit: Option<&str>,
) -> String {
    let get = |k: &str| fields.get(k).and_then(|v| v.as_f64());
    match kind {
        ColKind::Interval => match (get("ci_low"), get("ci_high")) {
            (Some(l), Some(h)) => format!("[{}, {}]", fmt_num(l, 1), fmt_num(h, 1)),
            _ => "–".into(),
        },
        ColKind::Int => fields
            .get(key)
            .map(display_value)
            .unwrap_or_else(|| "–".into()),
        ColKind::Num(d) => {
            get(key)
                .map(|x| fmt_num(x, d))
                .unwrap_or_else(|| match fields.get(key) {
                    Some(Value::Bool(_)) => display_value(&fields[key]),
                    _ => "–".into(),
                })
        }
        ColKind::Pct => get(key)
            .map(|x| format!("{}%", fmt_num(x, 1)))
            .unwrap_or_else(|| "–".into()),
        ColKind::Hours => get(key)
            .map(|x| natural_hours(x, unit))
            .unwrap_or_else(|| "–".into()),
    }
}

fn group_cells(report: &Report, group: Option<&Vec<Option<String>>>, total: bool) -> Vec<String> {
    match group {
        Some(g) => g
            .iter()
            .map(|v| v.clone().unwrap_or_else(|| "(blank)".into()))
            .collect(),
        None => vec![
            if total {
                "Total".into()
            } else {
                "(all)".into()
            };
            report.by.len()
        ],
    }
}

pub fn grid(report: &Report, wide: bool) -> Grid {
    let has_period = report.period.is_some();
    let mut header: Vec<String> = report.by.clone();
    let lead = header.len() + usize::from(has_period);
    if has_period {
        header.push("period".into());
    }
    let mut numeric = vec![false; lead];
    let mut rows = Vec::new();
    let unit = report.unit.as_deref();
    if wide {
        let cols = super::field_columns(report);
        header.extend(cols.iter().cloned());
        numeric.extend(std::iter::repeat_n(true, cols.len()));
        let mut push = |g: Vec<String>, p: Option<String>, f: &Map<String, Value>| {
            let flat: std::collections::HashMap<String, Value> = flatten(f).into_iter().collect();
            let mut r = g;
            if has_period {
                r.push(p.unwrap_or_else(|| "Total".into()));
            }
            for c in &cols {
                r.push(flat.get(c).map(display_value).unwrap_or_else(|| "–".into()));
            }
            rows.push(r);
        };
        for r in &report.rows {
            push(
                group_cells(report, r.group.as_ref(), false),
                r.period.clone().map(|p| partial_label(p, r.partial)),
                &r.fields,
            );
        }
        push(group_cells(report, None, true), None, &report.total);
    } else {
        for c in &report.headline {
            header.push(c.label.to_string());
            numeric.push(true);
        }
        let mut push = |g: Vec<String>, p: Option<String>, f: &Map<String, Value>| {
            let mut r = g;
            if has_period {
                r.push(p.unwrap_or_else(|| "Total".into()));
            }
            for c in &report.headline {
                r.push(headline_cell(f, c.key, c.kind, unit));
            }
            rows.push(r);
        };
        for r in &report.rows {
            push(
                group_cells(report, r.group.as_ref(), false),
                r.period.clone().map(|p| partial_label(p, r.partial)),
                &r.fields,
            );
        }
        push(group_cells(report, None, true), None, &report.total);
    }
    Grid {
        header,
        rows,
        numeric,
    }
}

fn partial_label(p: String, partial: bool) -> String {
    if partial {
        format!("{p}*")
    } else {
        p
    }
}

/// The field/value list of a total-only result.
pub fn field_list(report: &Report) -> Grid {
    let mut rows = Vec::new();
    for (k, v) in &report.total {
        let shown = match (k.as_str(), v) {
            (k, Value::Number(_)) if k.ends_with("_hours") => {
                format!(
                    "{} ({})",
                    display_value(v),
                    natural_hours(v.as_f64().unwrap_or(0.0), report.unit.as_deref())
                )
            }
            _ => display_value(v),
        };
        rows.push(vec![k.clone(), shown]);
    }
    Grid {
        header: vec!["field".into(), "value".into()],
        rows,
        numeric: vec![false, false],
    }
}

pub fn render(report: &Report, wide: bool) -> String {
    let explain = super::explain::is_explain(report);
    let g = if explain {
        super::explain::grid(report)
    } else if report.rows.is_empty() {
        field_list(report)
    } else {
        grid(report, wide)
    };
    let mut t = Table::new();
    // Only a rule under the header: dense enough for 80 columns, easy to scan.
    t.load_preset(presets::NOTHING);
    // No vertical borders at all (NOTHING draws them as spaces): columns are separated by
    // their padding alone, which keeps a ticket table with both SLAs inside 80 columns.
    for c in [
        TableComponent::LeftBorder,
        TableComponent::RightBorder,
        TableComponent::VerticalLines,
        TableComponent::LeftHeaderIntersection,
        TableComponent::RightHeaderIntersection,
        TableComponent::MiddleHeaderIntersections,
        TableComponent::LeftBorderIntersections,
        TableComponent::RightBorderIntersections,
        TableComponent::MiddleIntersections,
    ] {
        t.remove_style(c);
    }
    t.set_style(TableComponent::HeaderLines, '─');
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(g.header.clone());
    for r in &g.rows {
        t.add_row(r.clone());
    }
    for (i, num) in g.numeric.iter().enumerate() {
        if *num {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
    }
    let mut s = if explain {
        format!("{}\n", super::explain::caption(report))
    } else {
        format!("{}\n", report.metric.to_uppercase())
    };
    s.push_str(&t.to_string());
    s.push('\n');
    if explain {
        for l in super::explain::notes(report) {
            s.push_str(&l);
            s.push('\n');
        }
    }
    if report.rows.iter().any(|r| r.partial) {
        s.push_str("* partial period (ends after as-of)\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_durations() {
        assert_eq!(natural_hours(0.75, None), "45m");
        assert_eq!(natural_hours(3.5, None), "3h 30m");
        assert_eq!(natural_hours(28.0, None), "1d 4h");
        assert_eq!(natural_hours(2.0, Some("minutes")), "120.0m");
        assert_eq!(thousands(10000), "10,000");
        assert_eq!(thousands(999), "999");
    }
}
