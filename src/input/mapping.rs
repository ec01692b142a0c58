//! Column mapping (SPEC 4): `--col` overrides, then automatic detection by normalised header
//! names: rank 1 the canonical name, rank 2 the command's own aliases, rank 3 generic aliases.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::error::did_you_mean;
use crate::fail;
use crate::input::read::{Format, Source};

/// Header comparison key: trimmed, lower-cased, space/`_`/`-` the same, trailing `(utc)` dropped.
pub fn normalize(h: &str) -> String {
    let mut s = h.trim().trim_start_matches('\u{feff}').to_lowercase();
    if let Some(stripped) = s.strip_suffix("(utc)") {
        s = stripped.trim_end().to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for c in s.chars() {
        let c = if c == '_' || c == '-' || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if !last_space && !out.is_empty() {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    // Question texts end in `?` or `:` in survey exports ("How likely are you to recommend us?").
    out.trim_end()
        .trim_end_matches(['?', ':', '.', '*'])
        .trim_end()
        .to_string()
}

/// A canonical column a command reads.
#[derive(Clone, Debug)]
pub struct Canon {
    pub name: &'static str,
    pub required: bool,
    /// Rank 2: this command's own aliases.
    pub own: &'static [&'static str],
    /// Rank 3: generic aliases.
    pub generic: &'static [&'static str],
}

/// User overrides from `--col CANON=SOURCE`.
#[derive(Clone, Debug, Default)]
pub struct ColOverrides(pub BTreeMap<String, String>);

impl ColOverrides {
    /// Parse `--col` values, checking CANON against the canonical names `known`.
    pub fn parse(items: &[String], known: &[&str]) -> Result<Self> {
        let mut m = BTreeMap::new();
        for it in items {
            let Some((c, s)) = it.split_once('=') else {
                fail!("--col {it:?}: write CANONICAL=SOURCE, e.g. --col score=\"Likelihood to recommend\"");
            };
            let c = c.trim();
            if !known.contains(&c) {
                let hint = did_you_mean(c, known.iter().copied())
                    .map(|h| format!(" Did you mean {h:?}?"))
                    .unwrap_or_default();
                fail!(
                    "--col {it:?}: {c:?} is not a canonical column of this command (known: {}).{hint}",
                    known.join(", ")
                );
            }
            if m.insert(c.to_string(), s.to_string()).is_some() {
                fail!("--col: {c:?} is mapped twice; give one --col {c}=SOURCE");
            }
        }
        Ok(ColOverrides(m))
    }
}

/// Find a user-named column (`--col` source, `--by`, `--where`): exact match first, then the
/// normalised comparison. Returns the header index.
pub fn find_header(headers: &[String], name: &str) -> Option<usize> {
    if let Some(i) = headers.iter().position(|h| h == name) {
        return Some(i);
    }
    let key = normalize(name);
    let hits: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| normalize(h) == key)
        .map(|(i, _)| i)
        .collect();
    if hits.len() == 1 {
        Some(hits[0])
    } else {
        None
    }
}

/// A header that looks like a survey question: `Q1`, `Q1_1`, `QID12` (Qualtrics, legacy
/// `V`… exports keep `Q` names for questions), or question text (`How …`, `…?`).
fn question_like(h: &str) -> bool {
    let t = h.trim();
    let b = t.as_bytes();
    let q_number = b.len() >= 2
        && (b[0] == b'Q' || b[0] == b'q')
        && (b[1].is_ascii_digit()
            || (t.len() > 3
                && t[1..].to_ascii_uppercase().starts_with("ID")
                && b[3].is_ascii_digit()));
    let lower = t.to_lowercase();
    q_number
        || t.ends_with('?')
        || ["how ", "what ", "would ", "on a scale"]
            .iter()
            .any(|w| lower.starts_with(w))
}

/// The headers for an error message, question-like ones first (so `Q1`, `Q2` are not hidden
/// among "… (8 more)").
fn found_list(headers: &[String]) -> String {
    const MAX: usize = 12;
    let ordered: Vec<&String> = headers
        .iter()
        .filter(|h| question_like(h))
        .chain(headers.iter().filter(|h| !question_like(h)))
        .collect();
    let mut s = ordered
        .iter()
        .map(|h| h.as_str())
        .take(MAX)
        .collect::<Vec<_>>()
        .join(", ");
    if headers.len() > MAX {
        s.push_str(&format!(", … ({} more)", headers.len() - MAX));
    }
    s
}

/// Whether header `i` of `src` is a nested object rather than a value (SPEC 5: it never
/// becomes a canonical column by alias): a flattened JSON object leaves dotted names
/// (`ticket.id`), and a JSON field that is null in every record (Intercom's `ticket` when no
/// conversation is a ticket) holds no value either.
fn nested_object(src: &Source, i: usize) -> bool {
    let h = &src.headers[i];
    let prefix = format!("{h}.");
    if src.headers.iter().any(|x| x.starts_with(&prefix)) {
        return true;
    }
    if !matches!(src.format, Format::Json | Format::Ndjson) {
        return false;
    }
    if let Some(nn) = &src.json_nonnull {
        return src.rows.unwrap_or(0) > 0 && nn.get(i) == Some(&false);
    }
    src.table.as_ref().is_some_and(|t| {
        !t.rows.is_empty() && t.rows.iter().all(|r| r.get(i).is_none_or(Option::is_none))
    })
}

/// [`resolve`] for one opened input: a nested object is not mapped by alias (only by its
/// exact canonical name or `--col`).
pub fn resolve_source(src: &Source, canon: &Canon, cols: &ColOverrides) -> Result<Option<usize>> {
    resolve_with(&src.display, &src.headers, canon, cols, &|i| {
        nested_object(src, i)
    })
}

/// Resolve one canonical column in one file. `Ok(None)`: optional and absent.
pub fn resolve(
    display: &str,
    headers: &[String],
    canon: &Canon,
    cols: &ColOverrides,
) -> Result<Option<usize>> {
    resolve_with(display, headers, canon, cols, &|_| false)
}

fn resolve_with(
    display: &str,
    headers: &[String],
    canon: &Canon,
    cols: &ColOverrides,
    nested: &dyn Fn(usize) -> bool,
) -> Result<Option<usize>> {
    if let Some(src) = cols.0.get(canon.name) {
        return match find_header(headers, src) {
            Some(i) => Ok(Some(i)),
            None => {
                let hint = did_you_mean(src, headers.iter().map(|s| s.as_str()))
                    .map(|h| format!(" Did you mean {h:?}?"))
                    .unwrap_or_default();
                fail!(
                    "{display}: --col {}={src:?}: no such column; found: {}.{hint}",
                    canon.name,
                    found_list(headers)
                )
            }
        };
    }
    let norm: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let ranks: [Vec<String>; 3] = [
        vec![normalize(canon.name)],
        canon.own.iter().map(|a| normalize(a)).collect(),
        canon.generic.iter().map(|a| normalize(a)).collect(),
    ];
    for (r, rank) in ranks.iter().enumerate() {
        let hits: Vec<usize> = (0..headers.len())
            .filter(|&i| rank.contains(&norm[i]) && (r == 0 || !nested(i)))
            .collect();
        match hits.len() {
            0 => continue,
            1 => return Ok(Some(hits[0])),
            _ => fail!(
                "{display}: columns {:?} and {:?} could both be {:?}; choose one with --col {}=\"{}\"",
                headers[hits[0]],
                headers[hits[1]],
                canon.name,
                canon.name,
                headers[hits[0]]
            ),
        }
    }
    if canon.required {
        let hint = did_you_mean(canon.name, headers.iter().map(|s| s.as_str())).or_else(|| {
            canon
                .own
                .iter()
                .chain(canon.generic.iter())
                .find_map(|a| did_you_mean(a, headers.iter().map(|s| s.as_str())))
        });
        // NPS: say what was looked for (the question by its wording), questions first.
        let nps = canon.name == "score" && canon.own.contains(&"likelihood to recommend");
        if nps && hint.is_none() {
            fail!(
                "{display}: no NPS question: no column \"score\" and no \"how likely … recommend\" question; found: {}. Map the NPS question with --col score=\"<column>\"",
                found_list(headers)
            );
        }
        match hint {
            Some(h) => fail!(
                "{display}: no column {:?}; found: {}. Did you mean {h:?}? Map it with --col {}=\"{h}\"",
                canon.name,
                found_list(headers),
                canon.name
            ),
            None => fail!(
                "{display}: no column {:?}; found: {}. Map one with --col {}=\"<column>\"",
                canon.name,
                found_list(headers),
                canon.name
            ),
        }
    }
    Ok(None)
}

/// Resolve a user-named grouping/filter column: a header, or a canonical column mapped in
/// `mapped` (e.g. `--by channel` when `channel` came from an alias).
pub fn resolve_user(
    display: &str,
    headers: &[String],
    name: &str,
    flag: &str,
    mapped: &[(String, usize)],
) -> Result<usize> {
    if let Some(i) = find_header(headers, name) {
        return Ok(i);
    }
    if let Some((_, i)) = mapped.iter().find(|(c, _)| c == name) {
        return Ok(*i);
    }
    let hint = did_you_mean(name, headers.iter().map(|s| s.as_str()))
        .map(|h| format!(" Did you mean {h:?}?"))
        .unwrap_or_default();
    fail!(
        "{display}: {flag} {name:?}: no such column; found: {}.{hint}",
        found_list(headers)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const SCORE: Canon = Canon {
        name: "score",
        required: true,
        own: &["nps"],
        generic: &["rating", "likelihood to recommend"],
    };

    #[test]
    fn question_like_headers_come_first_in_messages() {
        let headers = h(&[
            "StartDate",
            "EndDate",
            "Status",
            "Q1",
            "QID2_TEXT",
            "How likely is it?",
            "Region",
        ]);
        assert_eq!(
            found_list(&headers),
            "Q1, QID2_TEXT, How likely is it?, StartDate, EndDate, Status, Region"
        );
        assert!(!question_like("Quantity") && !question_like("QA team"));
    }

    #[test]
    fn nested_objects_are_not_mapped_by_alias() {
        let id = Canon {
            name: "ticket_id",
            required: false,
            own: &["ticket", "id"],
            generic: &[],
        };
        let headers = h(&["id", "ticket", "ticket.id"]);
        let nested = |i: usize| i == 1;
        let cols = ColOverrides::default();
        // Without the rule "id" and "ticket" compete; with it `ticket` is skipped.
        assert!(resolve("f", &headers, &id, &cols).is_err());
        assert_eq!(
            resolve_with("f", &headers, &id, &cols, &nested).unwrap(),
            Some(0)
        );
    }

    #[test]
    fn normalises_headers() {
        assert_eq!(normalize("  Submit Date (UTC) "), "submit date");
        assert_eq!(normalize("created_at"), "created at");
        assert_eq!(normalize("First-Reply  At"), "first reply at");
        assert_eq!(
            normalize("How likely are you to recommend us?"),
            "how likely are you to recommend us"
        );
    }

    #[test]
    fn ranks_and_overrides() {
        let cols = ColOverrides::default();
        assert_eq!(
            resolve("f", &h(&["id", "Rating", "NPS"]), &SCORE, &cols).unwrap(),
            Some(2)
        );
        assert_eq!(
            resolve("f", &h(&["SCORE", "nps"]), &SCORE, &cols).unwrap(),
            Some(0)
        );
        let cols = ColOverrides::parse(&["score=Rating".into()], &["score"]).unwrap();
        assert_eq!(
            resolve("f", &h(&["id", "Rating", "NPS"]), &SCORE, &cols).unwrap(),
            Some(1)
        );
    }

    #[test]
    fn ambiguity_and_missing_are_errors() {
        let cols = ColOverrides::default();
        let e = resolve("f.csv", &h(&["rating", "Rating "]), &SCORE, &cols)
            .unwrap_err()
            .to_string();
        assert!(e.contains("could both be"), "{e}");
        let e = resolve("f.csv", &h(&["id", "scor"]), &SCORE, &cols)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no column \"score\"") && e.contains("Did you mean \"scor\""),
            "{e}"
        );
    }

    #[test]
    fn col_parse_errors() {
        assert!(ColOverrides::parse(&["scroe=x".into()], &["score"])
            .unwrap_err()
            .to_string()
            .contains("Did you mean \"score\""));
        assert!(ColOverrides::parse(&["score=a".into(), "score=b".into()], &["score"]).is_err());
        assert!(ColOverrides::parse(&["score".into()], &["score"]).is_err());
        // Split at the first `=`: the source may contain `=`.
        let c = ColOverrides::parse(&["score=a=b".into()], &["score"]).unwrap();
        assert_eq!(c.0["score"], "a=b");
    }
}
