//! The one value every metric command produces and every renderer consumes (SPEC 6.8).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// Row accounting of one input (SPEC 6): rows = used + blank + rejected + filtered + duplicate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputCount {
    pub path: String,
    pub rows: u64,
    pub used: u64,
    pub blank: u64,
    pub rejected: u64,
    pub filtered: u64,
    pub duplicate: u64,
}

impl InputCount {
    pub fn to_json(&self) -> Value {
        json!({"path": self.path, "rows": self.rows, "used": self.used, "blank": self.blank,
               "rejected": self.rejected, "filtered": self.filtered, "duplicate": self.duplicate})
    }
}

/// One result row: a group and/or a period, with the metric's fields in a fixed order.
#[derive(Clone, Debug)]
pub struct Row {
    /// Group key values in `--by` order (`None` = blank key); `None` for a period-total row.
    pub group: Option<Vec<Option<String>>>,
    pub period: Option<String>,
    pub partial: bool,
    pub fields: Map<String, Value>,
}

/// An evaluated threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub assert: String,
    pub value: Option<f64>,
    pub passed: bool,
    pub low_n: bool,
}

/// How a headline column is shown in tables.
#[derive(Clone, Copy, Debug)]
pub enum ColKind {
    Int,
    /// A number with this many decimals.
    Num(usize),
    /// A percentage with one decimal.
    Pct,
    /// `[lo, hi]` from `ci_low` / `ci_high`, one decimal.
    Interval,
    /// Hours shown as a natural duration (`1d 4h`, `45m`).
    Hours,
}

#[derive(Clone, Debug)]
pub struct Col {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: ColKind,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub metric: String,
    pub as_of: Option<String>,
    pub definition: Map<String, Value>,
    pub inputs: Vec<InputCount>,
    /// `--by` column names.
    pub by: Vec<String>,
    /// The `--period` kind, when given.
    pub period: Option<String>,
    pub rows: Vec<Row>,
    pub total: Map<String, Value>,
    pub checks: Vec<Check>,
    pub warnings: Vec<String>,
    /// The table's headline columns.
    pub headline: Vec<Col>,
    /// Table display unit for durations (`auto|minutes|hours|days`).
    pub unit: Option<String>,
    /// Extra top-level JSON members (e.g. retention cohorts), written after `rows`.
    pub extra: Map<String, Value>,
}

pub const SCHEMA_VERSION: u64 = 1;

impl Report {
    /// The SPEC 6.8 JSON envelope.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("schema_version".into(), json!(SCHEMA_VERSION));
        m.insert("cxm_version".into(), json!(env!("CARGO_PKG_VERSION")));
        m.insert("metric".into(), json!(self.metric));
        m.insert("as_of".into(), json!(self.as_of));
        m.insert("definition".into(), Value::Object(self.definition.clone()));
        m.insert(
            "inputs".into(),
            Value::Array(self.inputs.iter().map(|i| i.to_json()).collect()),
        );
        let rows: Vec<Value> = self.rows.iter().map(|r| self.row_json(r)).collect();
        m.insert("rows".into(), Value::Array(rows));
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        m.insert("total".into(), Value::Object(self.total.clone()));
        m.insert(
            "checks".into(),
            Value::Array(
                self.checks
                    .iter()
                    .map(|c| json!({"assert": c.assert, "value": c.value, "passed": c.passed, "low_n": c.low_n}))
                    .collect(),
            ),
        );
        m.insert("warnings".into(), json!(self.warnings));
        Value::Object(m)
    }

    pub fn row_json(&self, r: &Row) -> Value {
        let mut m = Map::new();
        let group = match &r.group {
            Some(g) if !self.by.is_empty() => {
                let mut gm = Map::new();
                for (k, v) in self.by.iter().zip(g) {
                    gm.insert(k.clone(), json!(v));
                }
                Value::Object(gm)
            }
            _ => Value::Null,
        };
        m.insert("group".into(), group);
        m.insert("period".into(), json!(r.period));
        m.insert("partial".into(), json!(r.partial));
        for (k, v) in &r.fields {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    /// Any failed check.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| !c.passed)
    }
}

/// A JSON number from an optional float; non-finite values become null (SPEC 6: never NaN).
pub fn num(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.is_finite() => {
            // Normalise -0.0 so outputs are stable.
            let x = if x == 0.0 { 0.0 } else { x };
            serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
        }
        _ => Value::Null,
    }
}

/// `100 × a / b`, or null when b is 0.
pub fn pct(a: u64, b: u64) -> Value {
    if b == 0 {
        Value::Null
    } else {
        num(Some(100.0 * a as f64 / b as f64))
    }
}

/// Group keys sort in byte order, blank last.
pub fn group_order(a: &[Option<String>], b: &[Option<String>]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

pub fn norm_key(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The series of result rows over a (group key, period) → cell table: one per group, in
/// [`group_order`], with `--by`; then one over all groups with `--period`. With neither,
/// none (the total only).
pub fn series<C>(
    cells: &BTreeMap<(Vec<Option<String>>, i32), C>,
    grouped: bool,
    periods: bool,
) -> Vec<Option<Vec<Option<String>>>> {
    let mut out = Vec::new();
    if grouped {
        let mut groups: Vec<Vec<Option<String>>> = cells.keys().map(|(g, _)| g.clone()).collect();
        groups.sort_by(|a, b| group_order(a, b));
        groups.dedup();
        out.extend(groups.into_iter().map(Some));
    }
    if periods {
        out.push(None);
    }
    out
}

/// The periods from the first to the last of `ordinals` (empty when there are none).
pub fn span(ordinals: impl Iterator<Item = i32>) -> Vec<i32> {
    let (lo, hi) = ordinals.fold((i32::MAX, i32::MIN), |(lo, hi), o| (lo.min(o), hi.max(o)));
    if lo > hi {
        Vec::new()
    } else {
        (lo..=hi).collect()
    }
}

/// A row's fields with `low_n`: fewer than `--min-n` rows behind them.
pub fn with_low_n(mut m: Map<String, Value>, n: u64, min_n: Option<u64>) -> Map<String, Value> {
    m.insert("low_n".into(), json!(min_n.is_some_and(|k| n < k)));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_groups_in_byte_order_blank_last_then_all_groups() {
        let k = |v: Option<&str>| vec![v.map(str::to_string)];
        let mut cells = BTreeMap::new();
        for (g, o) in [
            (k(Some("b")), 1),
            (k(None), 1),
            (k(Some("B")), 2),
            (k(Some("b")), 2),
        ] {
            cells.insert((g, o), ());
        }
        // "B" (0x42) sorts before "b" (0x62); the blank key comes last; each group once.
        assert_eq!(
            series(&cells, true, true),
            vec![Some(k(Some("B"))), Some(k(Some("b"))), Some(k(None)), None]
        );
        assert_eq!(series(&cells, false, true), vec![None]);
        assert!(series(&cells, false, false).is_empty());
        assert_eq!(span([5, 3, 4, 3].into_iter()), vec![3, 4, 5]);
        assert!(span(std::iter::empty()).is_empty());
    }
}
