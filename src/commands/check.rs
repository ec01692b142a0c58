//! `cxm check CONFIG` (SPEC 7): the configured checks only — one PASS/FAIL line per check,
//! `--format json`, `--junit FILE` for CI systems; exit 1 when any check fails.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use crate::error::{EXIT_ASSERT, EXIT_OK};
use crate::fail;
use crate::output::html::{short_number, CheckLine};
use crate::output::sink::Sink;

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// The TOML config: sources, metrics and checks
    #[arg(value_name = "CONFIG")]
    pub config: String,
    /// The instant the figures describe; wins over the config's as_of
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub as_of: Option<String>,
    /// Output format
    #[arg(long, value_name = "text|json", default_value = "text")]
    pub format: String,
    /// Also write JUnit XML (one testcase per check) to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<String>,
    /// No warnings on standard error
    #[arg(short, long)]
    pub quiet: bool,
}

/// `PASS nps_by_region: latest.nps >= 30 (value 41.27, n 812)`
pub fn line(c: &CheckLine) -> String {
    let mut s = format!(
        "{} {}: {} (value {}",
        if c.passed { "PASS" } else { "FAIL" },
        c.metric,
        c.assert,
        c.value.map_or("null".into(), short_number)
    );
    if let Some(n) = c.n {
        s.push_str(&format!(", n {n}"));
    }
    if c.low_n {
        s.push_str(", low n");
    }
    s.push(')');
    s
}

/// Escape text for XML content and attribute values.
pub fn xml_esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn junit(checks: &[CheckLine]) -> String {
    let failures = checks.iter().filter(|c| !c.passed).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuite name=\"cxm\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n",
        checks.len()
    ));
    for c in checks {
        let head = format!(
            "  <testcase classname=\"{}\" name=\"{}\"",
            xml_esc(&c.metric),
            xml_esc(&c.assert)
        );
        if c.passed {
            s.push_str(&head);
            s.push_str("/>\n");
        } else {
            let mut msg = format!("value {}", c.value.map_or("null".into(), short_number));
            if c.low_n {
                msg.push_str(", low n");
            }
            s.push_str(&format!(
                "{head}>\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
                xml_esc(&msg),
                xml_esc(&line(c))
            ));
        }
    }
    s.push_str("</testsuite>\n");
    s
}

pub fn run(a: &CheckArgs) -> Result<u8> {
    let json_out = match a.format.to_ascii_lowercase().as_str() {
        "text" | "table" => false,
        "json" => true,
        other => fail!("--format {other:?}: use text or json"),
    };
    // Opened first so a bad path fails before the computation.
    let junit_sink = match &a.junit {
        Some(f) => Some(Sink::open(Some(f))?),
        None => None,
    };
    let c = super::report::compute_all(&a.config, a.as_of.as_deref())?;
    if c.checks.is_empty() && !a.quiet {
        eprintln!(
            "cxm: warning: {} has no [[checks]]; add one with metric = \"…\" and assert = \"FIELD OP NUMBER\"",
            c.config.path
        );
    }
    if !a.quiet {
        for w in &c.warnings {
            eprintln!("cxm: warning: {w}");
        }
    }
    let passed = c.checks.iter().all(|ch| ch.passed);
    let out = if json_out {
        let v = json!({
            "passed": passed,
            "checks": c.checks.iter().map(super::report::check_json).collect::<Vec<_>>(),
        });
        let mut b = serde_json::to_vec_pretty(&v).unwrap_or_default();
        b.push(b'\n');
        b
    } else {
        let mut s = String::new();
        for ch in &c.checks {
            s.push_str(&line(ch));
            s.push('\n');
        }
        s.into_bytes()
    };
    if let Some(sink) = junit_sink {
        sink.write(junit(&c.checks).as_bytes())?;
    }
    Sink::Stdout.write(&out)?;
    Ok(if passed { EXIT_OK } else { EXIT_ASSERT })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(passed: bool) -> CheckLine {
        CheckLine {
            metric: "nps<x>".into(),
            assert: "latest.nps >= 30".into(),
            value: Some(41.2666),
            passed,
            low_n: false,
            n: Some(812),
        }
    }

    #[test]
    fn lines_and_junit() {
        assert_eq!(
            line(&ch(true)),
            "PASS nps<x>: latest.nps >= 30 (value 41.27, n 812)"
        );
        let x = junit(&[ch(true), ch(false)]);
        assert!(x.contains("<testsuite name=\"cxm\" tests=\"2\" failures=\"1\""));
        assert!(x.contains("classname=\"nps&lt;x&gt;\" name=\"latest.nps &gt;= 30\""));
        assert!(x.contains("<failure message=\"value 41.27\">"));
    }
}
