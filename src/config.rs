//! The TOML config of `cxm report` / `cxm check` (SPEC 7): sources, metrics and checks.
//!
//! A metric's settings become the argument vector of its command (`--by=region`,
//! `--period=week`, …) and go through clap and `plan.rs` exactly like the command line's,
//! so the config takes the same settings with the same validation. Keys are the snake_case
//! of the long flags; which keys a metric kind takes is read from the clap definition.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{ArgAction, CommandFactory, Parser};
use toml::{Table, Value};

use crate::cli::Cli;
use crate::error::{did_you_mean, err};
use crate::fail;
use crate::plan::Common;
use crate::report::Report;

/// The metric kinds, in the order messages list them.
pub const KINDS: &[&str] = &["nps", "csat", "ces", "pmf", "tickets", "churn", "retention"];

/// Keys of a `[sources.NAME]` table.
const SOURCE_KEYS: &[&str] = &[
    "path",
    "table",
    "format",
    "columns",
    "preset",
    "input_tz",
    "delimiter",
    "na_values",
    "encoding",
    "decimal_comma",
    "date_format",
];

/// Flags that are not settings of a metric in a config, and why.
const NOT_IN_CONFIG: &[(&str, &str)] = &[
    ("output", "cxm report writes the files into -o DIR"),
    (
        "format",
        "cxm report writes every format; a source's format is `format` under [sources.NAME]",
    ),
    (
        "col",
        "map columns with `columns = { canonical = \"Source column\" }`",
    ),
    (
        "assert",
        "thresholds are [[checks]] with `metric` and `assert`",
    ),
    ("quiet", "give -q to cxm report / cxm check"),
    (
        "from_aggregates",
        "a metric reads its source; run cxm METRIC --from-aggregates FILE by hand",
    ),
    ("no_progress", "cxm report shows no progress display"),
    ("wide", "it only changes terminal tables"),
    ("help", "it is not a setting"),
    ("version", "it is not a setting"),
];

/// Keys whose values are paths, resolved relative to the config file.
const PATH_KEYS: &[&str] = &["holidays", "schedule", "rejects"];

/// One configured metric: its name, kind and the argument vector of its command.
#[derive(Clone, Debug)]
pub struct MetricSpec {
    pub name: String,
    pub kind: String,
    pub argv: Vec<String>,
    /// The source's `table` (for `cxm report --emit-sql`), and the source's name.
    pub table: Option<String>,
    pub source: String,
}

#[derive(Clone, Debug)]
pub struct CheckSpec {
    pub metric: String,
    pub assert: String,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The config path as given.
    pub path: String,
    /// The as-of the run uses (command line over config), when there is one.
    pub as_of: Option<String>,
    /// The default zone (top-level `tz`, else UTC).
    pub tz: String,
    pub metrics: Vec<MetricSpec>,
    pub checks: Vec<CheckSpec>,
    /// Whether every metric has an as-of (then reruns are byte-identical).
    pub pinned: bool,
}

/// A flag of a metric command as a config key.
#[derive(Clone, Debug)]
struct Flag {
    key: String,
    long: String,
    takes_value: bool,
}

fn flags_of(kind: &str) -> Vec<Flag> {
    let cmd = Cli::command();
    let Some(sub) = cmd.get_subcommands().find(|s| s.get_name() == kind) else {
        return Vec::new();
    };
    sub.get_arguments()
        .filter_map(|a| {
            let long = a.get_long()?.to_string();
            let key = long.replace('-', "_");
            if NOT_IN_CONFIG.iter().any(|(k, _)| *k == key) {
                return None;
            }
            let takes_value = !matches!(
                a.get_action(),
                ArgAction::SetTrue | ArgAction::SetFalse | ArgAction::Count
            );
            Some(Flag {
                key,
                long,
                takes_value,
            })
        })
        .collect()
}

/// Where a key lives, to find its line.
#[derive(Clone, Copy)]
enum Place<'a> {
    Top,
    Source(&'a str),
    Metric(usize),
    Check(usize),
}

/// The 1-based line of `key` in its table, found in the text (best effort).
fn line_of(text: &str, place: Place, key: &str) -> Option<usize> {
    // Section boundaries: (line index, header).
    let lines: Vec<&str> = text.lines().collect();
    let mut start = 0usize;
    let mut found = matches!(place, Place::Top);
    let (mut mi, mut ci) = (0usize, 0usize);
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if !t.starts_with('[') {
            continue;
        }
        if found {
            // The section we were in ends here.
            return search(&lines[start..i], key).map(|k| start + k + 1);
        }
        let h = t.trim_start_matches('[').trim_end_matches(']').trim();
        let hit = match place {
            Place::Metric(n) if t.starts_with("[[") && h == "metrics" => {
                mi += 1;
                mi == n + 1
            }
            Place::Check(n) if t.starts_with("[[") && h == "checks" => {
                ci += 1;
                ci == n + 1
            }
            Place::Source(name) => {
                h == format!("sources.{name}") || h == format!("sources.\"{name}\"")
            }
            _ => false,
        };
        if hit {
            found = true;
            start = i + 1;
        }
    }
    if found {
        return search(&lines[start..], key).map(|k| start + k + 1);
    }
    search(&lines, key).map(|k| k + 1)
}

fn search(lines: &[&str], key: &str) -> Option<usize> {
    lines.iter().position(|l| {
        let t = l.trim_start();
        let t = t.trim_start_matches('"');
        t.strip_prefix(key)
            .map(|r| r.trim_start_matches('"').trim_start().starts_with('='))
            .unwrap_or(false)
    })
}

/// `"{file}:{line}: "` for a message.
fn at(path: &str, text: &str, place: Place, key: &str) -> String {
    match line_of(text, place, key) {
        Some(l) => format!("{path}:{l}: "),
        None => format!("{path}: "),
    }
}

fn hint<'a>(name: &str, cands: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(name, cands)
        .map(|h| format!("; did you mean {h:?}?"))
        .unwrap_or_default()
}

/// Match a file name against a pattern with `*` (any run) and `?` (one character).
pub fn glob_match(pat: &str, name: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A path relative to the config's directory (absolute paths as they are).
fn rel(dir: &Path, p: &str) -> String {
    let pp = Path::new(p);
    if pp.is_absolute() || dir.as_os_str().is_empty() {
        p.to_string()
    } else {
        dir.join(pp).to_string_lossy().into_owned()
    }
}

/// A source's files: the path, or the files its glob (in the file name) matches, sorted.
fn expand(dir: &Path, pattern: &str, what: &str) -> Result<Vec<String>> {
    let full = rel(dir, pattern);
    let fp = Path::new(&full);
    let name = fp
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = fp.parent().map(Path::to_path_buf).unwrap_or_default();
    if parent.to_string_lossy().contains(['*', '?']) {
        fail!("{what}: path {pattern:?}: a glob may use * and ? only in the file name, not in directories");
    }
    if !name.contains(['*', '?']) {
        return Ok(vec![full]);
    }
    let read_dir = if parent.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        parent.clone()
    };
    let entries = std::fs::read_dir(&read_dir).map_err(|e| {
        err(format!(
            "{what}: path {pattern:?}: cannot read the directory {}: {e}",
            read_dir.display()
        ))
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| !t.is_dir()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| (!n.starts_with('.') || name.starts_with('.')) && glob_match(&name, n))
        .collect();
    names.sort();
    if names.is_empty() {
        fail!("{what}: no file matches {pattern:?}; check the path (relative to the config file)");
    }
    Ok(names
        .into_iter()
        .map(|n| {
            if parent.as_os_str().is_empty() {
                n
            } else {
                parent.join(n).to_string_lossy().into_owned()
            }
        })
        .collect())
}

/// A TOML value as flag text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Datetime(d) => Some(d.to_string()),
        _ => None,
    }
}

/// The settings of one metric, in order, a later key replacing an earlier one.
#[derive(Default)]
struct Settings {
    items: Vec<(String, Value, String)>, // (key, value, where: for messages)
}

impl Settings {
    fn set(&mut self, key: &str, v: Value, at: String) {
        if let Some(i) = self.items.iter().position(|(k, _, _)| k == key) {
            self.items.remove(i);
        }
        self.items.push((key.to_string(), v, at));
    }
}

/// Read and check a config; `cli_as_of` (the command line's `--as-of`) wins over the config's.
pub fn load(path: &str, cli_as_of: Option<&str>) -> Result<Config> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(format!("{path}: cannot read the config: {e}")))?;
    let root: Table = text.parse::<Table>().map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let msg = e.message().replace('\n', " ");
        match line {
            Some(l) => err(format!("{path}:{l}: invalid TOML: {msg}")),
            None => err(format!("{path}: invalid TOML: {msg}")),
        }
    })?;
    let dir = Path::new(path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();

    let kind_flags: Vec<(&str, Vec<Flag>)> = KINDS.iter().map(|k| (*k, flags_of(k))).collect();
    let all_flag_keys: Vec<String> = {
        let mut v: Vec<String> = kind_flags
            .iter()
            .flat_map(|(_, f)| f.iter().map(|x| x.key.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    };

    // Top level: tables and defaults.
    let mut defaults: Vec<(String, Value)> = Vec::new();
    for (k, v) in &root {
        match k.as_str() {
            "sources" | "metrics" | "checks" => {}
            _ if all_flag_keys.iter().any(|f| f == k) => defaults.push((k.clone(), v.clone())),
            _ => {
                let why = NOT_IN_CONFIG
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, w)| format!(" ({w})"))
                    .unwrap_or_default();
                let mut cands: Vec<&str> = all_flag_keys.iter().map(String::as_str).collect();
                cands.extend(["sources", "metrics", "checks"]);
                fail!(
                    "{}unknown key {k:?} at the top level{why}{}",
                    at(path, &text, Place::Top, k),
                    hint(k, cands)
                );
            }
        }
    }
    let tz = root
        .get("tz")
        .and_then(|v| v.as_str())
        .unwrap_or("UTC")
        .to_string();
    let config_as_of = root.get("as_of").and_then(scalar);

    // Sources.
    let empty = Table::new();
    let sources = match root.get("sources") {
        None => &empty,
        Some(Value::Table(t)) => t,
        Some(_) => fail!(
            "{}`sources` must be tables: [sources.NAME] with path = \"…\"",
            at(path, &text, Place::Top, "sources")
        ),
    };
    for (name, s) in sources {
        let Value::Table(t) = s else {
            fail!("{path}: sources.{name} must be a table with path = \"…\"");
        };
        for k in t.keys() {
            if !SOURCE_KEYS.contains(&k.as_str()) {
                fail!(
                    "{}unknown key {k:?} in [sources.{name}]; a source takes {}{}",
                    at(path, &text, Place::Source(name), k),
                    SOURCE_KEYS.join(", "),
                    hint(k, SOURCE_KEYS.iter().copied())
                );
            }
        }
        if !t.contains_key("path") {
            fail!("{path}: [sources.{name}] has no path; add path = \"exports/file.csv\"");
        }
    }

    // Metrics.
    let metrics_v: Vec<Value> = match root.get("metrics") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => fail!(
            "{}`metrics` must be an array of tables: [[metrics]]",
            at(path, &text, Place::Top, "metrics")
        ),
    };
    if metrics_v.is_empty() {
        fail!("{path}: no [[metrics]]; add one with kind = \"nps\" and source = \"…\"");
    }
    let mut metrics: Vec<MetricSpec> = Vec::new();
    let mut all_pinned = true;
    for (i, mv) in metrics_v.iter().enumerate() {
        let Value::Table(m) = mv else {
            fail!("{path}: metrics must be tables: [[metrics]]");
        };
        let place = Place::Metric(i);
        let Some(kind_v) = m.get("kind") else {
            fail!(
                "{path}: metric #{} has no kind; add kind = one of {}",
                i + 1,
                KINDS.join(", ")
            );
        };
        let kind = kind_v.as_str().unwrap_or("").to_string();
        let Some((_, flags)) = kind_flags.iter().find(|(k, _)| *k == kind) else {
            fail!(
                "{}unknown metric kind {kind:?}; use one of {}{}",
                at(path, &text, place, "kind"),
                KINDS.join(", "),
                hint(&kind, KINDS.iter().copied())
            );
        };
        let name = match m.get("name") {
            None => kind.clone(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => fail!("{}name must be text", at(path, &text, place, "name")),
        };
        let ok_name = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !ok_name {
            fail!(
                "{}metric name {name:?}: use letters, digits, _ - and . (it names the file <name>.csv)",
                at(path, &text, place, "name")
            );
        }
        if metrics.iter().any(|x| x.name == name) {
            fail!(
                "{}two metrics are named {name:?}; give one a different name = \"…\" (a metric without a name is named after its kind)",
                at(path, &text, place, "name")
            );
        }
        let what = format!("{path}: metric {name:?}");
        // Keys of the metric.
        for k in m.keys() {
            if matches!(k.as_str(), "name" | "kind" | "source" | "columns") {
                continue;
            }
            if !flags.iter().any(|f| &f.key == k) {
                let takes_elsewhere: Vec<&str> = kind_flags
                    .iter()
                    .filter(|(_, fl)| fl.iter().any(|f| &f.key == k))
                    .map(|(kk, _)| *kk)
                    .collect();
                let why = if let Some((_, w)) = NOT_IN_CONFIG.iter().find(|(n, _)| n == k) {
                    format!(" ({w})")
                } else if !takes_elsewhere.is_empty() {
                    format!(
                        " (a {kind} metric does not take it; {} do)",
                        takes_elsewhere.join(", ")
                    )
                } else {
                    String::new()
                };
                let mut cands: Vec<&str> = flags.iter().map(|f| f.key.as_str()).collect();
                cands.extend(["name", "kind", "source", "columns"]);
                fail!(
                    "{}unknown key {k:?} in metric {name:?}{why}{}",
                    at(path, &text, place, k),
                    hint(k, cands)
                );
            }
        }
        let src_name = match m.get("source") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => fail!("{}source must be text", at(path, &text, place, "source")),
            None => {
                let names: Vec<&str> = sources.keys().map(String::as_str).collect();
                fail!(
                    "{what}: no source; add source = one of {}",
                    if names.is_empty() {
                        "the [sources.NAME] tables (there are none)".to_string()
                    } else {
                        names.join(", ")
                    }
                );
            }
        };
        let Some(Value::Table(src)) = sources.get(&src_name) else {
            fail!(
                "{}metric {name:?}: no source {src_name:?}{}",
                at(path, &text, place, "source"),
                hint(&src_name, sources.keys().map(String::as_str))
            );
        };

        // Settings: defaults the kind takes, then the source's, then the metric's own.
        let mut st = Settings::default();
        for (k, v) in &defaults {
            if flags.iter().any(|f| &f.key == k) {
                st.set(k, v.clone(), at(path, &text, Place::Top, k));
            }
        }
        let mut cols: Vec<(String, String)> = Vec::new();
        for (k, v) in src {
            let key = match k.as_str() {
                "path" | "table" => continue,
                "format" => "input_format",
                "columns" => {
                    cols = columns_of(v, &at(path, &text, Place::Source(&src_name), k))?;
                    continue;
                }
                other => other,
            };
            st.set(key, v.clone(), at(path, &text, Place::Source(&src_name), k));
        }
        for (k, v) in m {
            match k.as_str() {
                "name" | "kind" | "source" => {}
                "columns" => {
                    for (c, s) in columns_of(v, &at(path, &text, place, k))? {
                        cols.retain(|(x, _)| *x != c);
                        cols.push((c, s));
                    }
                }
                _ => st.set(k, v.clone(), at(path, &text, place, k)),
            }
        }
        if let Some(a) = cli_as_of {
            st.set("as_of", Value::String(a.to_string()), String::new());
        }
        if !st.items.iter().any(|(k, _, _)| k == "as_of") {
            all_pinned = false;
        }

        // The argument vector.
        let mut argv: Vec<String> = vec!["--no-progress".into()];
        for (c, s) in &cols {
            argv.push(format!("--col={c}={s}"));
        }
        for (k, v, w) in &st.items {
            let Some(f) = flags.iter().find(|f| &f.key == k) else {
                continue;
            };
            if !f.takes_value {
                match v {
                    Value::Boolean(true) => argv.push(format!("--{}", f.long)),
                    Value::Boolean(false) => {}
                    _ => fail!("{w}{k} takes true or false"),
                }
                continue;
            }
            let mut vals: Vec<String> = match v {
                Value::Array(a) if k == "na_values" => {
                    vec![a.iter().filter_map(scalar).collect::<Vec<_>>().join(",")]
                }
                Value::Array(a) => {
                    let mut out = Vec::new();
                    for x in a {
                        match scalar(x) {
                            Some(s) => out.push(s),
                            None => fail!("{w}{k}: give text or numbers in the list"),
                        }
                    }
                    out
                }
                Value::Boolean(_) => fail!("{w}{k} takes a value, not true or false"),
                Value::Table(_) => fail!("{w}{k} takes a value, not a table"),
                other => vec![scalar(other).unwrap_or_default()],
            };
            if PATH_KEYS.contains(&k.as_str()) {
                for x in vals.iter_mut() {
                    *x = match x.split_once('#') {
                        Some((f, id)) => format!("{}#{id}", rel(&dir, f)),
                        None => rel(&dir, x),
                    };
                }
            }
            for x in vals {
                argv.push(format!("--{}={x}", f.long));
            }
        }
        let Some(Value::String(p)) = src.get("path") else {
            fail!("{path}: [sources.{src_name}] path must be text");
        };
        argv.push("--".into());
        argv.extend(expand(&dir, p, &format!("{path}: [sources.{src_name}]"))?);
        let table = match src.get("table") {
            None => None,
            Some(Value::String(t)) => Some(t.clone()),
            Some(_) => fail!("{path}: [sources.{src_name}] table must be text"),
        };
        metrics.push(MetricSpec {
            name,
            kind,
            argv,
            table,
            source: src_name.clone(),
        });
    }

    // Checks.
    let checks_v: Vec<Value> = match root.get("checks") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => fail!("{path}: `checks` must be an array of tables: [[checks]]"),
    };
    let mut checks = Vec::new();
    for (i, cv) in checks_v.iter().enumerate() {
        let Value::Table(c) = cv else {
            fail!("{path}: checks must be tables: [[checks]]");
        };
        let place = Place::Check(i);
        for k in c.keys() {
            if !matches!(k.as_str(), "metric" | "assert") {
                fail!(
                    "{}unknown key {k:?} in check #{}; a check takes metric and assert{}",
                    at(path, &text, place, k),
                    i + 1,
                    hint(k, ["metric", "assert"])
                );
            }
        }
        let (Some(Value::String(metric)), Some(Value::String(assert))) =
            (c.get("metric"), c.get("assert"))
        else {
            fail!(
                "{path}: check #{} needs metric = \"<metric name>\" and assert = \"FIELD OP NUMBER\"",
                i + 1
            );
        };
        let Some(m) = metrics.iter_mut().find(|m| &m.name == metric) else {
            fail!(
                "{}check #{}: no metric named {metric:?}{}",
                at(path, &text, place, "metric"),
                i + 1,
                hint(metric, metrics.iter().map(|m| m.name.as_str()))
            );
        };
        crate::assert::parse(assert).map_err(|e| {
            err(format!(
                "{}check #{}: {}",
                at(path, &text, place, "assert"),
                i + 1,
                crate::error::render(&e)
            ))
        })?;
        // Before the `--` that starts the files.
        let pos = m
            .argv
            .iter()
            .position(|a| a == "--")
            .unwrap_or(m.argv.len());
        m.argv.insert(pos, format!("--assert={assert}"));
        checks.push(CheckSpec {
            metric: metric.clone(),
            assert: assert.trim().to_string(),
        });
    }
    let as_of = cli_as_of.map(str::to_string).or(config_as_of);
    Ok(Config {
        path: path.to_string(),
        as_of,
        tz,
        metrics,
        checks,
        pinned: all_pinned,
    })
}

fn columns_of(v: &Value, w: &str) -> Result<Vec<(String, String)>> {
    let Value::Table(t) = v else {
        fail!("{w}columns must be a table: columns = {{ score = \"Source column\" }}");
    };
    let mut out = Vec::new();
    for (k, v) in t {
        match v {
            Value::String(s) => out.push((k.clone(), s.clone())),
            _ => fail!("{w}columns.{k} must be the source column's name as text"),
        }
    }
    Ok(out)
}

/// Compute one configured metric: its command's arguments through clap, then the command's
/// computation. Errors name the config and the metric.
pub fn compute(cfg: &Config, m: &MetricSpec) -> Result<(Report, Common)> {
    let mut args: Vec<String> = vec!["cxm".into(), m.kind.clone()];
    args.extend(m.argv.iter().cloned());
    let wrap = |msg: String| err(format!("{}: metric {:?}: {msg}", cfg.path, m.name));
    let cli = Cli::try_parse_from(&args).map_err(|e| {
        let s = e.to_string();
        let first = s
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid settings")
            .trim()
            .trim_start_matches("error:")
            .trim()
            .to_string();
        wrap(format!("{first} (the setting of that flag in the config)"))
    })?;
    use crate::commands;
    crate::diagnostics::set_note_context(Some(&m.name));
    let r = commands::compute(&cli.command);
    crate::diagnostics::set_note_context(None);
    match r {
        Some(r) => r.map_err(|e| wrap(crate::error::render(&e))),
        None => fail!(
            "{}: metric {:?}: unknown kind {:?}",
            cfg.path,
            m.name,
            m.kind
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("responses-*.csv", "responses-2025-01.csv"));
        assert!(glob_match("*.csv", "a.csv"));
        assert!(!glob_match("*.csv", "a.csv.gz"));
        assert!(glob_match("r?.csv", "r1.csv"));
        assert!(!glob_match("r?.csv", "r10.csv"));
        assert!(glob_match("*", "x"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
    }

    #[test]
    fn kinds_have_flags() {
        let f = flags_of("tickets");
        assert!(f
            .iter()
            .any(|x| x.key == "sla_first_response" && x.takes_value));
        assert!(f
            .iter()
            .any(|x| x.key == "keep_duplicates" && !x.takes_value));
        assert!(!f.iter().any(|x| x.key == "output"));
        assert!(flags_of("nps").iter().any(|x| x.key == "where"));
    }

    #[test]
    fn finds_lines_per_section() {
        let t = "tz = \"UTC\"\n[sources.a]\npath = \"x\"\n[[metrics]]\nkind = \"nps\"\n[[metrics]]\nkind = \"csat\"\nbyy = 1\n";
        assert_eq!(line_of(t, Place::Metric(1), "byy"), Some(8));
        assert_eq!(line_of(t, Place::Metric(1), "kind"), Some(7));
        assert_eq!(line_of(t, Place::Source("a"), "path"), Some(3));
        assert_eq!(line_of(t, Place::Top, "tz"), Some(1));
    }
}
