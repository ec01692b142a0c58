//! JSON inputs: arrays, NDJSON, API pages (`{"tickets": […]}`, Stripe lists, Chargebee
//! lists), wrapped single records and Zendesk side-loaded `metric_sets`, flattened into a
//! [`Table`] of text cells (nested objects become dotted names).

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use crate::error::err;
use crate::fail;
use crate::input::read::{io_reason, strip_bom, Format, LocKind, Table};

/// Text of a JSON value as a cell: strings as they are, numbers and booleans as written,
/// null as no value, arrays and objects as compact JSON.
pub fn json_cell(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn table_from_objects(objs: Vec<(u64, serde_json::Map<String, Value>)>) -> Table {
    let mut t = Table::default();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (_, o) in &objs {
        for k in o.keys() {
            if !index.contains_key(k) {
                index.insert(k.clone(), t.headers.len());
                t.headers.push(k.clone());
            }
        }
    }
    for (loc, o) in objs {
        let mut row = vec![None; t.headers.len()];
        for (k, v) in o.iter() {
            row[index[k]] = json_cell(v);
        }
        t.rows.push(row);
        t.locs.push(loc);
        t.malformed.push(None);
    }
    t
}

/// Keys of an API response object that hold its records, in order of preference (Zendesk
/// `tickets` / `satisfaction_ratings`, Intercom `conversations`, Stripe `data`, Chargebee
/// `list`, Delighted and others).
const ENVELOPES: &[&str] = &[
    "tickets",
    "conversations",
    "subscriptions",
    "satisfaction_ratings",
    "survey_responses",
    "responses",
    "data",
    "list",
    "results",
    "items",
    "records",
];

/// Keys that wrap one record: `{"ticket": {…}}` (Zendesk full JSON export, single-ticket
/// API calls), `{"subscription": {…}, "customer": {…}}` (Chargebee list entries),
/// `{"satisfaction_rating": {…}}` (Zendesk's single-rating API call).
const WRAPPERS: &[&str] = &[
    "ticket",
    "subscription",
    "conversation",
    "survey_response",
    "satisfaction_rating",
];

fn is_object_array(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.iter().all(Value::is_object))
}

/// Keys that surely hold a page of records, also on an NDJSON line.
const PAGE_KEYS: &[&str] = &[
    "tickets",
    "conversations",
    "subscriptions",
    "satisfaction_ratings",
    "survey_responses",
];

/// The key holding the records of an object that is an API response (`{"tickets": […]}`,
/// `{"object": "list", "data": […]}`). `loose` (a whole JSON file) also accepts the other
/// [`ENVELOPES`] names.
fn envelope_key(o: &serde_json::Map<String, Value>, loose: bool) -> Option<String> {
    let holds = |k: &str| o.get(k).is_some_and(is_object_array);
    if let Some(k) = PAGE_KEYS.iter().find(|k| holds(k)) {
        return Some(k.to_string());
    }
    let stripe_list = o.get("object").and_then(Value::as_str) == Some("list");
    if (stripe_list || loose) && holds("data") {
        return Some("data".into());
    }
    if !loose {
        return None;
    }
    ENVELOPES.iter().find(|k| holds(k)).map(|k| k.to_string())
}

/// Take the records out of an API response object (see [`envelope_key`]); Zendesk's
/// side-loaded `metric_sets` are attached to their tickets as `metric_set`.
fn envelope_records(o: &mut serde_json::Map<String, Value>, loose: bool) -> Option<Vec<Value>> {
    let key = envelope_key(o, loose)?;
    let Some(Value::Array(mut records)) = o.remove(&key) else {
        return None;
    };
    if key == "tickets" {
        if let Some(Value::Array(sets)) = o.remove("metric_sets") {
            // The k-th copy of a ticket (time-based exports repeat tickets) gets the k-th
            // metric set of that ticket, else the last one.
            let mut by_ticket: std::collections::HashMap<String, Vec<Value>> =
                std::collections::HashMap::new();
            for m in sets {
                if let Some(id) = m.get("ticket_id").and_then(json_cell) {
                    by_ticket.entry(id).or_default().push(m);
                }
            }
            let mut taken: std::collections::HashMap<String, usize> =
                std::collections::HashMap::new();
            for r in records.iter_mut() {
                if let Value::Object(t) = r {
                    let Some(id) = t.get("id").and_then(json_cell) else {
                        continue;
                    };
                    if let Some(list) = by_ticket.get(&id) {
                        let k = taken.entry(id).or_insert(0);
                        let m = list[(*k).min(list.len() - 1)].clone();
                        *k += 1;
                        t.entry("metric_set").or_insert(m);
                    }
                }
            }
        }
    }
    Some(records)
}

/// Nested objects become dotted names (`via.channel`, `statistics.first_admin_reply_at`);
/// arrays stay compact JSON text.
fn flatten_into(
    prefix: &str,
    o: serde_json::Map<String, Value>,
    out: &mut serde_json::Map<String, Value>,
) {
    for (k, v) in o {
        let name = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => flatten_into(&name, inner, out),
            other => {
                out.insert(name, other);
            }
        }
    }
}

/// One record as flat cells: a wrapped record (`{"ticket": {…}}`, every other key an object
/// too) is unwrapped (its other keys keep their name as a prefix), and nested objects are
/// flattened.
fn flat_record(mut o: serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    // A record with values of its own (an Intercom conversation whose `ticket` is an
    // object) is not a wrapper: its nested objects only flatten.
    let own_values = o
        .values()
        .any(|v| !matches!(v, Value::Object(_) | Value::Null));
    let wrapper = WRAPPERS
        .iter()
        .find(|k| matches!(o.get(**k), Some(Value::Object(_))))
        .filter(|_| !own_values);
    if let Some(w) = wrapper {
        if let Some(Value::Object(inner)) = o.remove(*w) {
            flatten_into("", inner, &mut out);
        }
        for (k, v) in o {
            match v {
                Value::Object(inner) => flatten_into(&k, inner, &mut out),
                other => {
                    out.entry(k).or_insert(other);
                }
            }
        }
        return out;
    }
    flatten_into("", o, &mut out);
    out
}

pub fn read_json(path: &Path, display: &str, format: Format) -> Result<(Table, LocKind)> {
    let raw = std::fs::read(path)
        .map_err(|e| err(format!("{display}: cannot read: {}", io_reason(&e))))?;
    let text = match std::str::from_utf8(strip_bom(&raw)) {
        Ok(t) => t,
        Err(e) => {
            let line = raw[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            fail!("{display}:{line}: not valid UTF-8; pass --encoding latin1 (or cp1252) if the export uses that encoding");
        }
    };
    let mut objs = Vec::new();
    let mut loc_kind = LocKind::Line;
    // A document sniffed as NDJSON (it starts with `{`) whose first line is not a whole
    // object is one pretty-printed JSON object, e.g. an API page on standard input.
    let format = if format == Format::Ndjson
        && text
            .lines()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| serde_json::from_str::<Value>(l.trim()).is_err())
        && serde_json::from_str::<Value>(text).is_ok()
    {
        Format::Json
    } else {
        format
    };
    if format == Format::Json {
        loc_kind = LocKind::Index;
        let v: Value = serde_json::from_str(text).map_err(|e| {
            err(format!("{display}:{}: invalid JSON: {e}; a JSON input must be an array of objects (or use NDJSON, one object per line)", e.line()))
        })?;
        let arr = match v {
            Value::Array(a) => a,
            Value::Object(mut o) => match envelope_records(&mut o, true) {
                Some(a) => a,
                // A document that is one record (SPEC 5): a bare object (a single Stripe
                // subscription or Freshdesk ticket from the API) or one wrapped record such
                // as {"ticket": {…}} or {"satisfaction_rating": {…}}.
                None => vec![Value::Object(o)],
            },
            _ => fail!("{display}: the JSON is not an array of objects; pass an array like [{{\"score\": 9}}, …]"),
        };
        for (i, item) in arr.into_iter().enumerate() {
            match item {
                Value::Object(o) => objs.push((i as u64, flat_record(o))),
                other => fail!(
                    "{display}[{i}]: expected an object, found {}; a JSON input must be an array of objects",
                    json_kind(&other)
                ),
            }
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(l).map_err(|e| {
                err(format!(
                    "{display}:{}: invalid JSON line: {e}; NDJSON needs one JSON object per line",
                    i + 1
                ))
            })?;
            match v {
                // A line holding a whole API page (`{"tickets": […]}`) gives all its records.
                Value::Object(mut o) => match envelope_records(&mut o, false) {
                    Some(records) => {
                        for r in records {
                            if let Value::Object(ro) = r {
                                objs.push(((i + 1) as u64, flat_record(ro)));
                            }
                        }
                    }
                    None => objs.push(((i + 1) as u64, flat_record(o))),
                },
                other => fail!(
                    "{display}:{}: expected a JSON object, found {}",
                    i + 1,
                    json_kind(&other)
                ),
            }
        }
    }
    if objs.is_empty() {
        fail!("{display}: the JSON holds no records; export some rows (an empty array or API page has nothing to compute)");
    }
    Ok((table_from_objects(objs), loc_kind))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_cells_keep_their_text() {
        assert_eq!(json_cell(&serde_json::json!(9)), Some("9".into()));
        assert_eq!(json_cell(&serde_json::json!(null)), None);
        assert_eq!(json_cell(&serde_json::json!(true)), Some("true".into()));
        assert_eq!(
            json_cell(&serde_json::json!({"a": 1})),
            Some("{\"a\":1}".into())
        );
    }

    fn flat(v: serde_json::Value) -> Vec<(String, Value)> {
        let Value::Object(o) = v else {
            panic!("not an object")
        };
        flat_record(o).into_iter().collect()
    }

    #[test]
    fn wrappers_unwrap_only_records_without_values_of_their_own() {
        // {"ticket": {…}} alone: unwrapped.
        let f = flat(serde_json::json!({"ticket": {"id": 7, "via": {"channel": "web"}}}));
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["id", "via.channel"]);
        // Chargebee: every key an object; the others keep their prefix.
        let f = flat(serde_json::json!({"subscription": {"id": "s"}, "customer": {"id": "c"}}));
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["id", "customer.id"]);
        // An Intercom conversation with a `ticket` object: a record, flattened.
        let f = flat(serde_json::json!({"id": "201", "ticket": {"id": "9"}}));
        let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["id", "ticket.id"]);
        assert_eq!(f[0].1, serde_json::json!("201"));
    }
}
