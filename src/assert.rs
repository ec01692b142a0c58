//! `--assert 'FIELD OP NUMBER'` thresholds (SPEC 2, 9): parsed before any data is read,
//! evaluated on the total or, with `latest.`, on the last non-partial period row.

use anyhow::Result;
use serde_json::Value;

use crate::error::did_you_mean;
use crate::fail;
use crate::report::{Check, Report};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    pub text: String,
    pub latest: bool,
    pub field: String,
    pub op: Op,
    pub value: f64,
}

pub fn parse(text: &str) -> Result<Assertion> {
    let t = text.trim();
    let ops = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    let Some((pos, sym, op)) = ops
        .iter()
        .filter_map(|(s, o)| t.find(s).map(|p| (p, *s, *o)))
        .min_by_key(|(p, s, _)| (*p, usize::MAX - s.len()))
    else {
        fail!("--assert {text:?}: write FIELD OP NUMBER with OP one of < <= > >= == !=, e.g. --assert 'nps >= 30'");
    };
    let field = t[..pos].trim();
    let num = t[pos + sym.len()..].trim();
    if field.is_empty() {
        fail!("--assert {text:?}: no field before {sym}; e.g. --assert 'nps >= 30'");
    }
    if num.ends_with('%') {
        fail!("--assert {text:?}: write the number without %; percentages are 0–100");
    }
    let value: f64 = match num.parse() {
        Ok(v) if f64::is_finite(v) => v,
        _ => fail!("--assert {text:?}: {num:?} is not a number"),
    };
    let (latest, field) = match field.strip_prefix("latest.") {
        Some(f) => (true, f.trim()),
        None => (false, field),
    };
    Ok(Assertion {
        text: t.to_string(),
        latest,
        field: field.to_string(),
        op,
        value,
    })
}

/// Check that every assertion names a numeric or boolean field of the metric.
pub fn validate(asserts: &[Assertion], fields: &[&str], has_period: bool) -> Result<()> {
    for a in asserts {
        if !fields.contains(&a.field.as_str()) {
            let hint = did_you_mean(&a.field, fields.iter().copied())
                .map(|h| format!(" Did you mean {h:?}?"))
                .unwrap_or_default();
            fail!(
                "--assert {:?}: unknown field {:?}; fields: {}.{hint}",
                a.text,
                a.field,
                fields.join(", ")
            );
        }
        if a.latest && !has_period {
            fail!(
                "--assert {:?}: `latest.` needs --period (it checks the last complete period)",
                a.text
            );
        }
    }
    Ok(())
}

fn value_of(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// Evaluate every assertion on the report; a null value or a low-n row fails.
/// The report with its `--assert` checks evaluated.
pub fn checked(mut report: Report, asserts: &[Assertion]) -> Report {
    report.checks = evaluate(asserts, &report);
    report
}

pub fn evaluate(asserts: &[Assertion], report: &Report) -> Vec<Check> {
    asserts
        .iter()
        .map(|a| {
            let row = if a.latest {
                report
                    .rows
                    .iter()
                    .rev()
                    .find(|r| {
                        !r.partial
                            && r.period.is_some()
                            && (report.by.is_empty() || r.group.is_none())
                    })
                    .map(|r| &r.fields)
            } else {
                Some(&report.total)
            };
            let value = row.and_then(|f| value_of(f.get(&a.field)));
            let low_n = row
                .and_then(|f| f.get("low_n"))
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let passed = match value {
                None => false,
                Some(v) if !low_n => match a.op {
                    Op::Lt => v < a.value,
                    Op::Le => v <= a.value,
                    Op::Gt => v > a.value,
                    Op::Ge => v >= a.value,
                    Op::Eq => v == a.value,
                    Op::Ne => v != a.value,
                },
                Some(_) => false,
            };
            Check {
                assert: a.text.clone(),
                value,
                passed,
                low_n,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_spaces() {
        let a = parse("nps>=30").unwrap();
        assert_eq!(
            (a.field.as_str(), a.op, a.value, a.latest),
            ("nps", Op::Ge, 30.0, false)
        );
        let a = parse(" latest.churn_rate <= -1.5 ").unwrap();
        assert_eq!(
            (a.field.as_str(), a.op, a.value, a.latest),
            ("churn_rate", Op::Le, -1.5, true)
        );
        assert_eq!(parse("n != 0").unwrap().op, Op::Ne);
        assert_eq!(parse("n < 5").unwrap().op, Op::Lt);
        assert!(parse("nps >= 30%").is_err());
        assert!(parse("nps 30").is_err());
        assert!(parse(">= 30").is_err());
        assert!(parse("nps >= abc").is_err());
    }

    #[test]
    fn evaluates_null_and_low_n_as_failures() {
        let mut r = Report::default();
        r.total.insert("nps".into(), serde_json::json!(40.0));
        r.total.insert("low_n".into(), serde_json::json!(false));
        let c = evaluate(
            &[parse("nps >= 30").unwrap(), parse("nps > 40").unwrap()],
            &r,
        );
        assert!(c[0].passed && !c[1].passed);
        r.total.insert("nps".into(), Value::Null);
        assert!(!evaluate(&[parse("nps >= 30").unwrap()], &r)[0].passed);
        r.total.insert("nps".into(), serde_json::json!(50.0));
        r.total.insert("low_n".into(), serde_json::json!(true));
        let c = evaluate(&[parse("nps >= 30").unwrap()], &r);
        assert!(!c[0].passed && c[0].low_n);
    }

    #[test]
    fn unknown_field_is_usage_error() {
        let e = validate(&[parse("npz >= 1").unwrap()], &["nps", "n"], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Did you mean \"nps\""), "{e}");
    }
}
