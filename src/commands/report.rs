//! `cxm report CONFIG -o DIR` (SPEC 7): every configured metric, written as a set of files
//! — `summary.json`, `summary.md`, `report.html`, `<name>.csv` — into a temporary sibling
//! directory that is swapped into place when complete. DIR is replaced only when it is empty
//! or holds the `.cxm-report` marker a previous run wrote.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use serde_json::{json, Map, Value};

use crate::config::{self, Config};
use crate::error::{err, EXIT_ASSERT, EXIT_OK};
use crate::fail;
use crate::output::html::{self, CheckLine};
use crate::output::{self, OutFormat};
use crate::report::{Report, SCHEMA_VERSION};

/// The file that marks a directory as written by `cxm report`.
pub const MARKER: &str = ".cxm-report";

#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// The TOML config: sources, metrics and checks
    #[arg(value_name = "CONFIG")]
    pub config: String,
    /// The directory to write (replaced as a whole when complete)
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        required_unless_present = "emit_sql",
        default_value = ""
    )]
    pub output: String,
    /// Instead of a report: write one SQL query per configured metric into DIR
    /// (sources need `table = "…"`; see docs/sql.md)
    #[arg(long, value_name = "DIR")]
    pub emit_sql: Option<String>,
    /// The SQL dialect of --emit-sql
    #[arg(long, value_name = "duckdb|postgres|spark|bigquery|snowflake")]
    pub dialect: Option<String>,
    /// The instant the figures describe; wins over the config's as_of
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub as_of: Option<String>,
    /// No warnings on standard error
    #[arg(short, long)]
    pub quiet: bool,
}

/// Every configured metric, computed in config order.
pub struct Computed {
    pub config: Config,
    pub metrics: Vec<(String, String, Report)>,
    pub checks: Vec<CheckLine>,
    pub warnings: Vec<String>,
}

/// Load the config and compute every metric and check; nothing is written.
pub fn compute_all(path: &str, as_of: Option<&str>) -> Result<Computed> {
    let cfg = config::load(path, as_of)?;
    let mut metrics = Vec::new();
    let mut warnings = Vec::new();
    for m in &cfg.metrics {
        let (r, _c) = config::compute(&cfg, m)?;
        for w in &r.warnings {
            warnings.push(format!("{}: {w}", m.name));
        }
        metrics.push((m.name.clone(), m.kind.clone(), r));
    }
    // Checks in config order: the k-th check of a metric is its report's k-th check.
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut checks = Vec::new();
    for c in &cfg.checks {
        let k = seen.entry(c.metric.as_str()).or_insert(0);
        let (_, _, r) = metrics
            .iter()
            .find(|(n, _, _)| *n == c.metric)
            .ok_or_else(|| err(format!("check on unknown metric {:?}", c.metric)))?;
        let ch = r
            .checks
            .get(*k)
            .ok_or_else(|| err(format!("check {:?} was not evaluated", c.assert)))?;
        *k += 1;
        checks.push(CheckLine {
            metric: c.metric.clone(),
            assert: ch.assert.clone(),
            value: ch.value,
            passed: ch.passed,
            low_n: ch.low_n,
            n: html::check_n(r, &ch.assert),
        });
    }
    // Each metric's `max_rejected` check comes after its asserts.
    for (name, _, r) in &metrics {
        let k = seen.get(name.as_str()).copied().unwrap_or(0);
        for ch in r.checks.iter().skip(k) {
            checks.push(CheckLine {
                metric: name.clone(),
                assert: ch.assert.clone(),
                value: ch.value,
                passed: ch.passed,
                low_n: ch.low_n,
                n: None,
            });
        }
    }
    if !cfg.pinned {
        warnings.push(
            "no as-of in the config or on the command line: figures run to the latest time in the data, so reruns may differ; pin them with --as-of".into(),
        );
    }
    Ok(Computed {
        config: cfg,
        metrics,
        checks,
        warnings,
    })
}

pub fn check_json(c: &CheckLine) -> Value {
    json!({"metric": c.metric, "assert": c.assert, "value": crate::report::num(c.value),
           "passed": c.passed, "low_n": c.low_n, "n": c.n})
}

/// The as-of of the whole run: the one every metric shares, else null.
fn run_as_of(c: &Computed) -> Value {
    let mut it = c.metrics.iter().map(|(_, _, r)| r.as_of.clone());
    match it.next() {
        Some(Some(first)) if it.all(|a| a.as_deref() == Some(first.as_str())) => json!(first),
        _ => Value::Null,
    }
}

fn summary_json(c: &Computed) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("schema_version".into(), json!(SCHEMA_VERSION));
    m.insert("cxm_version".into(), json!(env!("CARGO_PKG_VERSION")));
    m.insert("as_of".into(), run_as_of(c));
    m.insert("config".into(), json!(c.config.path));
    let mut metrics = Map::new();
    for (name, _, r) in &c.metrics {
        metrics.insert(name.clone(), r.to_json());
    }
    m.insert("metrics".into(), Value::Object(metrics));
    m.insert(
        "checks".into(),
        Value::Array(c.checks.iter().map(check_json).collect()),
    );
    let mut out = serde_json::to_vec_pretty(&Value::Object(m)).unwrap_or_default();
    out.push(b'\n');
    out
}

fn summary_md(c: &Computed) -> Vec<u8> {
    let mut s = String::from("# cxm report\n\n");
    if let Some(a) = run_as_of(c).as_str() {
        s.push_str(&format!("As of {a}.\n\n"));
    }
    if !c.checks.is_empty() {
        s.push_str(
            "## Checks\n\n| status | metric | check | value | n |\n|---|---|---|---:|---:|\n",
        );
        for ch in &c.checks {
            s.push_str(&format!(
                "| {}{} | {} | `{}` | {} | {} |\n",
                if ch.passed { "PASS" } else { "FAIL" },
                if ch.low_n { " (low n)" } else { "" },
                ch.metric.replace('|', "\\|"),
                ch.assert.replace('|', "\\|"),
                ch.value.map_or("null".into(), html::short_number),
                ch.n.map_or("–".into(), |n| n.to_string())
            ));
        }
        s.push('\n');
    }
    for (name, kind, r) in &c.metrics {
        s.push_str(&format!("## {name} ({kind})\n\n"));
        let body =
            String::from_utf8_lossy(&output::render(r, OutFormat::Markdown, false)).into_owned();
        s.push_str(body.trim_end());
        s.push_str("\n\n");
    }
    s.into_bytes()
}

/// Whether DIR may be replaced: missing, empty, or written by cxm report.
fn check_target(dir: &Path, shown: &str) -> Result<bool> {
    match std::fs::symlink_metadata(dir) {
        Err(_) => Ok(false),
        Ok(m) if !m.is_dir() => {
            fail!("-o {shown}: exists and is not a directory; give a directory name")
        }
        Ok(_) => {
            let mut entries =
                std::fs::read_dir(dir).map_err(|e| err(format!("-o {shown}: cannot read: {e}")))?;
            let empty = entries.next().is_none();
            if !empty && !dir.join(MARKER).is_file() {
                fail!("-o {shown}: {shown} exists and was not written by cxm; give a new or empty directory, or remove it");
            }
            Ok(true)
        }
    }
}

fn parent_of(dir: &Path) -> PathBuf {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Exchange two paths in one atomic step (Linux `renameat2` with `RENAME_EXCHANGE`).
/// `false` when the system or file system does not support it.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let (Ok(ca), Ok(cb)) = (
        std::ffi::CString::new(a.as_os_str().as_bytes()),
        std::ffi::CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    // SAFETY: both arguments are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> bool {
    false
}

/// Swap the complete temporary directory into place: on Linux one atomic exchange (the old
/// report then sits at the temporary name and is deleted); elsewhere, or where the file
/// system refuses, rename-aside (the old DIR moves to a hidden sibling, the new one takes
/// its name, the old one is deleted).
fn swap_into_place(tmp: PathBuf, dir: &Path, shown: &str) -> Result<()> {
    let exists = check_target(dir, shown)?;
    if exists && exchange(&tmp, dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Ok(());
    }
    if !exists {
        return std::fs::rename(&tmp, dir).map_err(|e| {
            let _ = std::fs::remove_dir_all(&tmp);
            err(format!(
                "-o {shown}: cannot move the report into place: {e}"
            ))
        });
    }
    let parent = parent_of(dir);
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let mut old = parent.join(format!(".{base}.cxm-old-{}", std::process::id()));
    let mut k = 0;
    while old.exists() {
        k += 1;
        old = parent.join(format!(".{base}.cxm-old-{}-{k}", std::process::id()));
    }
    if let Err(e) = std::fs::rename(dir, &old) {
        let _ = std::fs::remove_dir_all(&tmp);
        fail!("-o {shown}: cannot replace the old report: {e}");
    }
    if let Err(e) = std::fs::rename(&tmp, dir) {
        let _ = std::fs::rename(&old, dir);
        let _ = std::fs::remove_dir_all(&tmp);
        fail!("-o {shown}: cannot move the report into place: {e}");
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

pub fn run(a: &ReportArgs) -> Result<u8> {
    if let Some(dir) = &a.emit_sql {
        return super::emit_sql::run(
            &a.config,
            a.as_of.as_deref(),
            dir,
            a.dialect.as_deref(),
            a.quiet,
        );
    }
    if a.dialect.is_some() {
        fail!("--dialect belongs to --emit-sql DIR");
    }
    let shown = a.output.trim_end_matches('/').to_string();
    if shown.is_empty() {
        fail!("-o: give a directory name");
    }
    let dir = PathBuf::from(&shown);
    // Fail fast: a directory we may not replace, or a parent we cannot write in.
    check_target(&dir, &shown)?;
    let parent = parent_of(&dir);
    let tmp = tempfile::Builder::new()
        .prefix(".cxm-report-")
        .tempdir_in(&parent)
        .map_err(|e| {
            err(format!(
                "-o {shown}: cannot write in {}: {e}; check the directory exists and is writable",
                parent.display()
            ))
        })?;

    let c = compute_all(&a.config, a.as_of.as_deref())?;

    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            MARKER.into(),
            b"written by cxm report; this directory is replaced by each run\n".to_vec(),
        ),
        ("summary.json".into(), summary_json(&c)),
        ("summary.md".into(), summary_md(&c)),
    ];
    let pages: Vec<(String, &Report)> = c.metrics.iter().map(|(n, _, r)| (n.clone(), r)).collect();
    let as_of = run_as_of(&c);
    files.push((
        "report.html".into(),
        html::page("cxm report", as_of.as_str(), &pages, &c.checks).into_bytes(),
    ));
    for (name, _, r) in &c.metrics {
        files.push((
            format!("{name}.csv"),
            output::render(r, OutFormat::Csv, false),
        ));
    }
    for (name, bytes) in &files {
        std::fs::write(tmp.path().join(name), bytes)
            .map_err(|e| err(format!("-o {shown}: cannot write {name}: {e}")))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755));
    }
    let tmp_path = tmp.keep();
    swap_into_place(tmp_path, &dir, &shown)?;

    if !a.quiet {
        for w in &c.warnings {
            eprintln!("cxm: warning: {w}");
        }
        let failed = c.checks.iter().filter(|ch| !ch.passed).count();
        eprintln!(
            "cxm: wrote {shown}/: report.html, summary.json, summary.md and {} CSV file{}; {}",
            c.metrics.len(),
            if c.metrics.len() == 1 { "" } else { "s" },
            match (c.checks.len(), failed) {
                (0, _) => "no checks".to_string(),
                (n, 0) => format!("{n} of {n} checks passed"),
                (n, f) => format!("{f} of {n} checks failed"),
            }
        );
    }
    for ch in c.checks.iter().filter(|ch| !ch.passed) {
        eprintln!("cxm: {}", super::check::line(ch));
    }
    Ok(if c.checks.iter().any(|ch| !ch.passed) {
        EXIT_ASSERT
    } else {
        EXIT_OK
    })
}
