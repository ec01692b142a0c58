//! Renderers: each turns a [`Report`] into bytes. The sink writes them (stdout or an atomic file).

pub mod csv;
pub mod explain;
pub mod html;
pub mod json;
pub mod markdown;
pub mod retention;
pub mod sink;
pub mod svg;
pub mod table;

use anyhow::Result;
use serde_json::Value;

use crate::fail;
use crate::report::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutFormat {
    Table,
    Json,
    Csv,
    Markdown,
    /// The one-metric report page (the `cxm report` renderer).
    Html,
}

impl OutFormat {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s.to_lowercase().as_str() {
            "table" | "txt" | "text" => OutFormat::Table,
            "json" => OutFormat::Json,
            "csv" => OutFormat::Csv,
            "markdown" | "md" => OutFormat::Markdown,
            "html" | "htm" => OutFormat::Html,
            other => fail!("--format {other:?}: use table, json, csv, markdown or html"),
        })
    }

    /// `--format` wins; else `-o`'s extension; else a table.
    pub fn resolve(format: Option<&str>, output: Option<&str>) -> Result<Self> {
        if let Some(f) = format {
            return Self::parse(f);
        }
        let Some(o) = output else {
            return Ok(OutFormat::Table);
        };
        let ext = std::path::Path::new(o)
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_lowercase())
            .unwrap_or_default();
        Ok(match ext.as_str() {
            "json" => OutFormat::Json,
            "csv" => OutFormat::Csv,
            "md" | "markdown" => OutFormat::Markdown,
            "txt" => OutFormat::Table,
            "html" | "htm" => OutFormat::Html,
            _ => fail!("-o {o:?}: cannot tell the format from the extension; add --format table|json|csv|markdown|html"),
        })
    }
}

/// A report's bytes in a format (`wide`: tables keep every column).
pub fn render(report: &Report, format: OutFormat, wide: bool) -> Vec<u8> {
    if report.metric == "retention" {
        if let Some(b) = retention::render(report, format) {
            return b;
        }
    }
    match format {
        OutFormat::Table => table::render(report, wide).into_bytes(),
        OutFormat::Json => json::render(report),
        OutFormat::Csv => csv::render(report),
        OutFormat::Markdown => markdown::render(report, wide).into_bytes(),
        OutFormat::Html => html::page_one(report).into_bytes(),
    }
}

/// Flatten a row's fields into (column, value) pairs: nested objects become `<prefix>_<key>`
/// columns (`distribution` → `dist_<value>`).
pub fn flatten(fields: &serde_json::Map<String, Value>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (k, v) in fields {
        match v {
            Value::Object(m) => {
                let prefix = match k.as_str() {
                    "distribution" => "dist",
                    "reasons" => "reason",
                    other => other,
                };
                for (sk, sv) in m {
                    out.push((format!("{prefix}_{}", slug(sk)), sv.clone()));
                }
            }
            _ => out.push((k.clone(), v.clone())),
        }
    }
    out
}

/// A column-name-safe form of a value: lower case, runs of other characters as `_`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let t = out.trim_matches('_');
    if t.is_empty() {
        "_".into()
    } else {
        t.to_string()
    }
}

/// Column names of a report's rows/total in output order (union, first-seen order).
pub fn field_columns(report: &Report) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for fields in report
        .rows
        .iter()
        .map(|r| &r.fields)
        .chain(std::iter::once(&report.total))
    {
        for (k, _) in flatten(fields) {
            if seen.insert(k.clone()) {
                cols.push(k);
            }
        }
    }
    cols
}
