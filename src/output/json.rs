//! The JSON envelope (SPEC 6.8), pretty-printed with a trailing newline.

use crate::report::Report;

pub fn render(report: &Report) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(&report.to_json()).unwrap_or_default();
    out.push(b'\n');
    out
}
