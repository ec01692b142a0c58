//! Vendor presets (SPEC 5, docs/presets.md): detection from headers, extra header rows, the
//! column mapping, the zone of naive timestamps, value formats and row filters, for survey
//! ([`survey`]), ticket ([`tickets`]) and subscription ([`subscriptions`]) exports.
//!
//! A preset's mapping sits between `--col` and the automatic aliases: it only fills the
//! canonical columns the user did not map with `--col`. JSON API responses are unwrapped
//! and flattened by the reader (`input::read`), so presets see dotted names such as
//! `via.channel` or `statistics.first_admin_reply_at`.

pub mod subscriptions;
pub mod survey;
pub mod tickets;

use std::collections::BTreeMap;

use anyhow::Result;

use crate::error::did_you_mean;
use crate::fail;
use crate::input::mapping::normalize;
use crate::input::read::{self, Format, Source};
use crate::input::rows::WhereCol;
use crate::time::Tz;

/// The kind of dataset a command reads; one preset name may cover several (Zendesk tickets
/// and Zendesk satisfaction ratings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Survey,
    Tickets,
    Subscriptions,
}

impl Kind {
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Kind::Survey => survey::NAMES,
            Kind::Tickets => tickets::NAMES,
            Kind::Subscriptions => subscriptions::NAMES,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Survey => "survey exports (cxm nps, csat, ces, pmf)",
            Kind::Tickets => "ticket exports (cxm tickets)",
            Kind::Subscriptions => "subscription exports (cxm churn, retention)",
        }
    }

    /// The key of this kind in `cxm inspect`'s mapping.
    pub fn inspect_key(self) -> &'static str {
        match self {
            Kind::Survey => "surveys",
            Kind::Tickets => "tickets",
            Kind::Subscriptions => "subscriptions",
        }
    }

    fn detect(self, src: &Source) -> Option<&'static str> {
        match self {
            Kind::Survey => survey::detect(src),
            Kind::Tickets => tickets::detect(src),
            Kind::Subscriptions => subscriptions::detect(src),
        }
    }
}

const KINDS: [Kind; 3] = [Kind::Survey, Kind::Tickets, Kind::Subscriptions];

/// Every built-in preset name, once.
pub fn all_names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for k in KINDS {
        for n in k.names() {
            if !out.contains(n) {
                out.push(n);
            }
        }
    }
    out
}

/// Checks a `--preset` value for a command reading `kind`: `none` or a known name of that
/// kind (else an error with did-you-mean, or naming the kind the preset reads).
pub fn check_name(name: &str, kind: Kind) -> Result<()> {
    if name == "none" || kind.names().contains(&name) {
        return Ok(());
    }
    let all = all_names();
    if let Some(other) = KINDS.iter().find(|k| k.names().contains(&name)) {
        fail!(
            "--preset {name:?}: the {name} preset reads {}; this command reads {}: use one of {}, or none",
            other.what(),
            kind.what(),
            kind.names().join(", ")
        );
    }
    let hint = did_you_mean(name, all.iter().copied())
        .map(|h| format!(" Did you mean {h:?}?"))
        .unwrap_or_default();
    fail!(
        "--preset {name:?}: unknown preset; known: {}, or none.{hint}",
        all.join(", ")
    )
}

/// What a preset contributes to one run.
#[derive(Clone, Debug)]
pub struct Applied {
    pub name: &'static str,
    pub kind: Kind,
    /// The preset was detected from the headers (not forced with `--preset`).
    pub detected: bool,
    pub header_rows: usize,
    /// Canonical column → header (exact text of a header in the first input).
    pub cols: BTreeMap<String, String>,
    /// Zone of naive timestamps (beats `--input-tz`; an offset in the value beats it).
    pub zone: Option<Tz>,
    /// Extra timestamp formats (chrono strftime) the export writes.
    pub date_formats: Vec<&'static str>,
    /// Rows these filters drop are `filtered`.
    pub filters: Vec<WhereCol>,
    /// Notes for stderr (e.g. an unknown zone in a Qualtrics header).
    pub notes: Vec<String>,
}

pub(crate) fn has(headers: &[String], name: &str) -> bool {
    let k = normalize(name);
    headers.iter().any(|h| normalize(h) == k)
}

/// The first header (exact text) matching one of `names`, tried in order.
pub(crate) fn find<'a>(headers: &'a [String], names: &[&str]) -> Option<&'a String> {
    names.iter().find_map(|n| {
        let k = normalize(n);
        headers.iter().find(|h| normalize(h) == k)
    })
}

/// Map `canon` to the first header matching one of `names` (when there is one).
pub(crate) fn map(a: &mut Applied, h: &[String], canon: &str, names: &[&str]) {
    if let Some(x) = find(h, names) {
        a.cols.insert(canon.into(), x.clone());
    }
}

/// Which preset of `kind` the headers look like; `None` for `kind` looks at every kind
/// (`cxm inspect`).
pub fn detect(src: &Source, kind: Option<Kind>) -> Option<(&'static str, Kind)> {
    match kind {
        Some(k) => k.detect(src).map(|n| (n, k)),
        None => KINDS.iter().find_map(|k| k.detect(src).map(|n| (n, *k))),
    }
}

/// Decide the preset for a run (`choice` is `--preset`; `kind` `None` means any kind, for
/// `cxm inspect`), rewrite multi-row headers, and return the preset's contribution.
/// `metric` is the survey metric (nps, csat, ces, pmf) or the command name.
pub fn prepare(
    sources: &mut [Source],
    choice: Option<&str>,
    kind: Option<Kind>,
    metric: &str,
) -> Result<Option<Applied>> {
    let (name, kind, detected) = match choice {
        Some("none") => return Ok(None),
        Some(n) => {
            let k = kind.unwrap_or(Kind::Survey);
            check_name(n, k)?;
            let name = k
                .names()
                .iter()
                .copied()
                .find(|x| *x == n)
                .unwrap_or("none");
            (name, k, false)
        }
        None => {
            let found: Vec<Option<(&'static str, Kind)>> =
                sources.iter().map(|s| detect(s, kind)).collect();
            let Some(first) = found[0] else {
                return Ok(None);
            };
            if let Some((i, other)) = found.iter().enumerate().find(|(_, f)| **f != Some(first)) {
                fail!(
                    "{} looks like a {} export but {} is {}; give files of one export, or pass --preset none",
                    sources[0].display,
                    first.0,
                    sources[i].display,
                    other.map_or("not one".to_string(), |o| format!("a {} export", o.0))
                );
            }
            (first.0, first.1, true)
        }
    };
    let mut a = Applied {
        name,
        kind,
        detected,
        header_rows: 1,
        cols: BTreeMap::new(),
        zone: None,
        date_formats: Vec::new(),
        filters: Vec::new(),
        notes: Vec::new(),
    };
    match kind {
        Kind::Survey => survey::apply(sources, name, metric, &mut a)?,
        Kind::Tickets => tickets::apply(sources, name, &mut a)?,
        Kind::Subscriptions => subscriptions::apply(sources, name, &mut a)?,
    }
    Ok(Some(a))
}

/// Re-read every input with `rows` header rows; `merge` turns the header rows into names.
/// Returns the first input's header rows.
pub(crate) fn reread(
    sources: &mut [Source],
    rows: usize,
    name: &str,
    merge: impl Fn(&[Vec<String>]) -> Vec<String>,
) -> Result<Vec<Vec<String>>> {
    let mut first = Vec::new();
    for (i, src) in sources.iter_mut().enumerate() {
        if src.format != Format::Csv {
            fail!(
                "{}: the {name} preset reads CSV exports; pass the CSV download, or --preset none",
                src.display
            );
        }
        let (hdr, mut t) = read::read_csv_table_with_headers(src, rows)?;
        let names = merge(&hdr);
        t.headers = names.clone();
        src.headers = names;
        src.rows = Some(t.rows.len() as u64);
        src.table = Some(t);
        if i == 0 {
            first = hdr;
        }
    }
    Ok(first)
}

/// Load a CSV or JSON source into memory (small exports) so derived columns can be added.
pub(crate) fn ensure_table(src: &mut Source) -> Result<()> {
    if src.table.is_none() && src.format == Format::Csv {
        let t = read::read_csv_table(src)?;
        src.rows = Some(t.rows.len() as u64);
        src.table = Some(t);
    }
    if src.table.is_none() && matches!(src.format, Format::Json | Format::Ndjson) {
        let (t, _) = crate::input::json::read_json(&src.path, &src.display, src.format)?;
        src.headers = t.headers.clone();
        src.rows = Some(t.rows.len() as u64);
        src.json_nonnull = None;
        src.table = Some(t);
        // Read in full: no longer opened by its head.
        src.checked = true;
    }
    Ok(())
}

/// Adds (or fills, when a column of that name exists) a column computed per row from the
/// row's cells; `f` gets a lookup by header name. No-op for sources without a table.
pub(crate) fn derive(
    src: &mut Source,
    name: &str,
    f: impl Fn(&dyn Fn(&str) -> Option<String>) -> Option<String>,
) {
    let Some(t) = src.table.as_mut() else {
        return;
    };
    let existing = t.headers.iter().position(|h| h == name);
    let idx = existing.unwrap_or(t.headers.len());
    let headers = t.headers.clone();
    for row in t.rows.iter_mut() {
        let get = |n: &str| -> Option<String> {
            headers
                .iter()
                .position(|h| h == n)
                .and_then(|i| row.get(i).cloned().flatten())
                .filter(|v| !v.trim().is_empty())
        };
        let v = if existing.is_some() {
            get(name).or_else(|| f(&get))
        } else {
            f(&get)
        };
        if idx < row.len() {
            row[idx] = v;
        } else {
            row.resize(idx, None);
            row.push(v);
        }
    }
    if existing.is_none() {
        t.headers.push(name.to_string());
        src.headers.push(name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_did_you_mean() {
        assert!(check_name("none", Kind::Survey).is_ok());
        assert!(check_name("qualtrics", Kind::Survey).is_ok());
        let e = check_name("typefrom", Kind::Survey)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Did you mean \"typeform\"") && e.contains("known:"),
            "{e}"
        );
        let e = check_name("qualtrics", Kind::Tickets)
            .unwrap_err()
            .to_string();
        assert!(e.contains("reads survey exports"), "{e}");
    }
}
