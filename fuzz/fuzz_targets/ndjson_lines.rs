//! Any line through the strict NDJSON reader (`cxm::input::json::flat`): a line it accepts
//! is a JSON object for serde_json, with the same members in the same order and, for each
//! value whose text the reader gives, the text serde_json gives it.
#![no_main]

use cxm::input::json::flat::{fields, Val};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let mut mine: Vec<(String, Val)> = Vec::new();
    if !fields(line, |k, v| {
        mine.push((k.to_string(), v));
        true
    }) {
        return;
    }
    let theirs: serde_json::Value = serde_json::from_str(line).expect("accepted, so JSON");
    let obj = theirs.as_object().expect("accepted, so an object");
    // serde_json keeps a repeated key once, at its first place, with its last value.
    let mut order: Vec<&str> = Vec::new();
    for (k, _) in &mine {
        if !order.contains(&k.as_str()) {
            order.push(k);
        }
    }
    assert_eq!(order, obj.keys().map(String::as_str).collect::<Vec<_>>());
    for (k, v) in obj {
        let last = mine.iter().rev().find(|(mk, _)| mk == k).map(|(_, v)| *v);
        match last.expect("a member") {
            Val::Str(s) => assert_eq!(v.as_str(), Some(s)),
            Val::Int(s) => assert_eq!(v.to_string(), s),
            Val::Bool(b) => assert_eq!(v.as_bool(), Some(b)),
            Val::Null => assert!(v.is_null()),
            Val::Opaque => assert!(!v.is_object()),
        }
    }
});
