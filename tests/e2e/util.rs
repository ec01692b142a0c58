//! Running the binary hermetically and reading its output.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// The repository root (fixtures and examples are addressed from there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> String {
    root()
        .join("fixtures")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

/// What one run printed and returned.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cxm"));
    // Hermetic: no colour or width settings from the developer's shell.
    c.env_remove("NO_COLOR")
        .env_remove("CXM_DEBUG")
        .env_remove("CXM_NO_FAST")
        .env_remove("CXM_TIMINGS")
        .env_remove("CXM_JSON_HEAD_BYTES")
        .env_remove("CXM_PARQUET_BATCH_ROWS")
        .env_remove("CXM_PARQUET_BATCHED")
        .env_remove("CXM_PARQUET_PIECE_ROWS")
        .env_remove("COLUMNS")
        .env_remove("TZ")
        .current_dir(root());
    c
}

pub fn run(args: &[&str]) -> Out {
    run_stdin(args, None)
}

pub fn run_stdin(args: &[&str], stdin: Option<&[u8]>) -> Out {
    let mut c = cmd();
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = c.spawn().expect("spawn cxm");
    if let Some(data) = stdin {
        let mut s = child.stdin.take().expect("stdin");
        s.write_all(data).expect("write stdin");
    }
    let o = child.wait_with_output().expect("wait cxm");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A temporary file with this content and file name (the extension matters for detection).
pub fn temp_file(name: &str, content: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join(name);
    std::fs::write(&p, content).expect("write temp file");
    let s = p.to_string_lossy().into_owned();
    (dir, s)
}

/// Run and parse JSON output, asserting the exit code.
pub fn json_ok(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let o = run(&a);
    assert_eq!(o.code, 0, "exit code for {args:?}; stderr: {}", o.stderr);
    o.json()
}

pub fn approx(a: &Value, b: f64) {
    let x = a.as_f64().unwrap_or_else(|| panic!("not a number: {a}"));
    assert!((x - b).abs() < 1e-9, "{x} != {b}");
}

/// Whether stderr holds the note a metric command prints for a detected preset.
pub fn preset_detected(stderr: &str, name: &str) -> bool {
    stderr.contains(&format!(
        "cxm: note: detected the {name} export format (use --preset none to turn this off)"
    ))
}

/// The preset `cxm inspect FILE` reports (null when none).
pub fn inspected_preset(file: &str) -> Value {
    json_ok(&["inspect", file])["preset"].clone()
}

/// Runs cxm with `env` set, through its one-pass readers or (`no_fast`) through polars'
/// frame path (`CXM_NO_FAST=1`): exit code, stdout, stderr.
pub fn run_path(args: &[&str], no_fast: bool, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = cmd();
    c.args(args).stdin(Stdio::null());
    if no_fast {
        c.env("CXM_NO_FAST", "1");
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("run cxm");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Each command (with `--format json`) prints the same bytes (stdout, stderr, exit code, and
/// the `--rejects` file when one is asked for, written in `dir`) through the one-pass
/// readers and through the frame path.
pub fn same_on_both_paths(cases: &[Vec<&str>], dir: &std::path::Path) {
    same_on_both_paths_with(cases, dir, &[]);
}

/// [`same_on_both_paths`] with `env` set for both runs.
pub fn same_on_both_paths_with(cases: &[Vec<&str>], dir: &std::path::Path, env: &[(&str, &str)]) {
    for case in cases {
        let mut args = case.clone();
        args.extend(["--format", "json"]);
        let rej = dir.join("rejects.csv").to_string_lossy().into_owned();
        let with_rejects = args.contains(&"--rejects");
        if with_rejects {
            let at = args.iter().position(|a| *a == "--rejects").unwrap();
            args[at + 1] = &rej;
        }
        let fast = run_path(&args, false, env);
        let fast_rej = std::fs::read_to_string(&rej).unwrap_or_default();
        let _ = std::fs::remove_file(&rej);
        let slow = run_path(&args, true, env);
        let slow_rej = std::fs::read_to_string(&rej).unwrap_or_default();
        let _ = std::fs::remove_file(&rej);
        assert_eq!(fast.0, slow.0, "{case:?}: exit codes ({})", fast.2);
        assert_eq!(fast.1, slow.1, "{case:?}: stdout");
        assert_eq!(fast.2, slow.2, "{case:?}: stderr");
        assert_eq!(fast_rej, slow_rej, "{case:?}: rejects");
        if with_rejects {
            assert!(fast_rej.lines().count() > 1, "{case:?}: some rows rejected");
        }
    }
}
