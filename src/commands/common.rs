//! Glue shared by the metric commands: mapping a canonical column across every input,
//! collecting with readable errors, group order, rejected-row files, the stderr summary and
//! the exit code.

use anyhow::Result;
use serde_json::{json, Map, Value};

use crate::error::{EXIT_ASSERT, EXIT_OK};
use crate::fail;
use crate::input::mapping::{self, Canon};
use crate::input::presets::{self, Applied, Kind};
use crate::input::rejects::RejectPolicy;
use crate::input::{FrameCol, Source};
use crate::output;
use crate::plan::Common;
use crate::progress::Progress;
use crate::report::{InputCount, Report};

/// Resolve an optional canonical column in every source: present in all, or in none.
pub fn resolve_all(sources: &[Source], canon: &Canon, c: &Common) -> Result<Option<Vec<usize>>> {
    let mut found: Vec<Option<usize>> = Vec::new();
    for s in sources {
        found.push(mapping::resolve(&s.display, &s.headers, canon, &c.cols)?);
    }
    if found.iter().all(|f| f.is_some()) {
        Ok(Some(found.into_iter().map(|f| f.unwrap_or(0)).collect()))
    } else if found.iter().all(|f| f.is_none()) {
        Ok(None)
    } else {
        let with = sources
            .iter()
            .zip(&found)
            .find(|(_, f)| f.is_some())
            .map(|(s, _)| s.display.clone())
            .unwrap_or_default();
        let without = sources
            .iter()
            .zip(&found)
            .find(|(_, f)| f.is_none())
            .map(|(s, _)| s.display.clone())
            .unwrap_or_default();
        fail!(
            "the inputs do not have the same columns: {with} has a {:?} column and {without} does not; give files of one export, or map it in both with --col {}=…",
            canon.name,
            canon.name
        )
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

/// A column's header index in each input.
pub type ColumnIndex = Vec<usize>;

/// Resolve the `--by` and `--where` columns in every input: a header, or a canonical column
/// already mapped (`mapped`: canonical name → header index per input).
pub fn user_columns(
    sources: &[Source],
    c: &Common,
    mapped: &[(String, Vec<usize>)],
) -> Result<(Vec<ColumnIndex>, Vec<ColumnIndex>)> {
    let user_col = |name: &str, flag: &str| -> Result<Vec<usize>> {
        sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let m: Vec<(String, usize)> =
                    mapped.iter().map(|(n, v)| (n.clone(), v[i])).collect();
                mapping::resolve_user(&s.display, &s.headers, name, flag, &m)
            })
            .collect()
    };
    let by =
        c.by.iter()
            .map(|b| user_col(b, "--by"))
            .collect::<Result<_>>()?;
    let wheres = c
        .wheres
        .iter()
        .map(|w| user_col(&w.name, "--where"))
        .collect::<Result<_>>()?;
    Ok((by, wheres))
}

/// How `--strict` and `--rejects FILE` treat the rejected rows of this run.
pub fn reject_policy<'a>(c: &'a Common, progress: &'a Progress) -> RejectPolicy<'a> {
    RejectPolicy {
        strict: c.strict,
        file: c.rejects.as_deref(),
        parser: &c.parser,
        progress,
    }
}

/// `responses.csv: 10,000 rows, 9,812 used, 150 blank, 38 rejected`
pub fn summary_line(i: &InputCount) -> String {
    use output::table::thousands;
    let mut s = format!(
        "{}: {} rows, {} used, {} blank, {} rejected",
        i.path,
        thousands(i.rows),
        thousands(i.used),
        thousands(i.blank),
        thousands(i.rejected)
    );
    if i.filtered > 0 {
        s.push_str(&format!(", {} filtered", thousands(i.filtered)));
    }
    if i.duplicate > 0 {
        s.push_str(&format!(", {} duplicate", thousands(i.duplicate)));
    }
    s
}

/// Warnings, per-input summary lines and failed checks on stderr; the exit code.
pub fn finish(report: &Report, c: &Common) -> Result<u8> {
    if !c.quiet {
        for w in &report.warnings {
            eprintln!("cxm: warning: {w}");
        }
        if matches!(
            c.format,
            output::OutFormat::Table | output::OutFormat::Markdown
        ) {
            for i in &report.inputs {
                eprintln!("{}", summary_line(i));
            }
        }
    }
    for ch in &report.checks {
        if !ch.passed {
            let v = ch.value.map_or("null".to_string(), |v| format!("{v}"));
            eprintln!(
                "cxm: assert failed: {} (value {v}{})",
                ch.assert,
                if ch.low_n { ", low n" } else { "" }
            );
        }
    }
    Ok(if report.failed() {
        EXIT_ASSERT
    } else {
        EXIT_OK
    })
}

/// The definition members every metric command shares (after its own): the preset, zone,
/// grouping, period, window, filters, `--min-n` and the columns mapped.
pub fn shared_definition(
    c: &Common,
    preset: Option<&str>,
    columns: Map<String, Value>,
) -> Map<String, Value> {
    let mut d = Map::new();
    if let Some(p) = preset {
        d.insert("preset".into(), json!(p));
    }
    d.insert("tz".into(), json!(c.tz_name));
    d.insert("by".into(), json!(c.by));
    d.insert("period".into(), json!(c.period.map(|p| p.name())));
    d.insert(
        "since".into(),
        json!(c.since.map(|t| crate::time::format_rfc3339(t, c.tz))),
    );
    d.insert(
        "until".into(),
        json!(c.until.map(|t| crate::time::format_rfc3339(t, c.tz))),
    );
    d.insert("where".into(), json!(c.args.where_));
    d.insert("min_n".into(), json!(c.min_n));
    d.insert("columns".into(), Value::Object(columns));
    d
}

/// Adds the `--by` and `--where` columns to the frame columns as `__by{i}` / `__w{i}` and
/// returns those names.
pub fn push_user_cols(
    cols: &mut Vec<FrameCol>,
    by_idx: &[Vec<usize>],
    where_idx: &[Vec<usize>],
) -> (Vec<String>, Vec<String>) {
    let mut named = |prefix: &str, idx: &[Vec<usize>]| -> Vec<String> {
        idx.iter()
            .enumerate()
            .map(|(i, v)| {
                let name = format!("{prefix}{i}");
                cols.push(FrameCol {
                    name: name.clone(),
                    index: v.clone(),
                });
                name
            })
            .collect()
    };
    let by = named("__by", by_idx);
    let wh = named("__w", where_idx);
    (by, wh)
}

thread_local! {
    /// The metric a `cxm report` / `cxm check` run is computing, named in notes.
    static NOTE_CONTEXT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Name the metric being computed in the notes printed meanwhile (`None` to stop).
pub fn set_note_context(name: Option<&str>) {
    NOTE_CONTEXT.with(|c| *c.borrow_mut() = name.map(str::to_string));
}

/// One `cxm: note: …` line on standard error, prefixed with the metric name inside
/// `cxm report` / `cxm check`.
pub fn note(msg: &str) {
    NOTE_CONTEXT.with(|c| match c.borrow().as_deref() {
        Some(name) => eprintln!("cxm: note: {name}: {msg}"),
        None => eprintln!("cxm: note: {msg}"),
    });
}

/// Decide and apply the vendor preset of a run (SPEC 5): its mapping fills what `--col` left
/// open, its zone and date formats apply to the time columns, its filters make rows
/// `filtered`. Prints the detection note and the preset's notes on stderr (not with `-q`).
pub fn apply_preset(
    c: &mut Common,
    sources: &mut [Source],
    kind: Kind,
    metric: &str,
) -> Result<Option<Applied>> {
    let Some(p) = presets::prepare(sources, c.args.preset.as_deref(), Some(kind), metric)? else {
        return Ok(None);
    };
    if !c.quiet {
        if p.detected {
            note(&format!(
                "detected the {} export format (use --preset none to turn this off)",
                p.name
            ));
        }
        for n in &p.notes {
            note(n);
        }
    }
    for (canon, header) in &p.cols {
        c.cols
            .0
            .entry(canon.clone())
            .or_insert_with(|| header.clone());
    }
    c.parser = c.parser.with_preset(p.zone, &p.date_formats);
    c.wheres.extend(p.filters.iter().cloned());
    Ok(Some(p))
}
