//! CSV (SPEC 6.8): group columns and `period` first, one line per row, the total last with
//! `(all)` in the group columns; numbers in shortest round-trip form; cells that a
//! spreadsheet would run as a formula are neutralised with a leading `'`.

use serde_json::Value;

use super::{field_columns, flatten};
use crate::report::Report;

/// A cell that starts with `=`, `+`, `-`, `@`, tab or CR and is not a number gets a leading `'`.
pub fn neutralise(s: &str) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && s.trim().parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(n),
        Value::String(s) => neutralise(s),
        other => neutralise(&other.to_string()),
    }
}

/// Shortest round-trip text of a number; integral floats without `.0` (`50`, not `50.0`).
pub fn number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(x) if n.is_f64() && x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        _ => n.to_string(),
    }
}

pub fn render(report: &Report) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let has_period = report.period.is_some();
    // With a period, `period` and `partial` are the leading columns; a total that carries
    // its own (churn's latest complete period) fills them there, not twice.
    let fields: Vec<String> = field_columns(report)
        .into_iter()
        .filter(|f| !(has_period && (f == "period" || f == "partial")))
        .collect();
    let mut header: Vec<String> = report.by.iter().map(|b| neutralise(b)).collect();
    if has_period {
        header.push("period".into());
        header.push("partial".into());
    }
    header.extend(fields.iter().map(|f| neutralise(f)));
    let _ = w.write_record(&header);
    let write_row = |w: &mut csv::Writer<Vec<u8>>,
                     group: Vec<String>,
                     period: Option<String>,
                     partial: bool,
                     f: &serde_json::Map<String, Value>| {
        let flat: std::collections::HashMap<String, Value> = flatten(f).into_iter().collect();
        let mut rec = group;
        if has_period {
            rec.push(period.map(|p| neutralise(&p)).unwrap_or_default());
            rec.push(partial.to_string());
        }
        for c in &fields {
            rec.push(flat.get(c).map(cell).unwrap_or_default());
        }
        let _ = w.write_record(&rec);
    };
    for r in &report.rows {
        let group: Vec<String> = match &r.group {
            Some(g) => g
                .iter()
                .map(|v| match v.as_deref() {
                    None => String::new(),
                    Some("(all)") => "'(all)".to_string(),
                    Some(s) => neutralise(s),
                })
                .collect(),
            None => vec!["(all)".to_string(); report.by.len()],
        };
        write_row(&mut w, group, r.period.clone(), r.partial, &r.fields);
    }
    write_row(
        &mut w,
        vec!["(all)".to_string(); report.by.len()],
        report
            .total
            .get("period")
            .and_then(Value::as_str)
            .map(str::to_string),
        report
            .total
            .get("partial")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        &report.total,
    );
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_formulas_not_numbers() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-12.5"), "-12.5");
        assert_eq!(neutralise("+1"), "+1");
        assert_eq!(neutralise("@sum"), "'@sum");
        assert_eq!(neutralise("-"), "'-");
        assert_eq!(neutralise("EMEA"), "EMEA");
    }
}
