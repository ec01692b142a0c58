//! cxm: customer-experience metrics from help-desk, survey and billing exports.
//!
//! The data flow is the architecture:
//!
//! ```text
//! FILE… ──► input/ ──────────────► metrics/ ────────► report ────► output/ ──► stdout / -o FILE
//!           read, map columns,     pure polars:          one value    table, json, csv,
//!           parse, validate,       LazyFrame in,         type that    markdown
//!           count blank/rejected   counts out            all commands
//! cli.rs (clap) ──► plan.rs (checked settings, reads no data) ──► commands/ (glue)
//! ```

pub mod assert;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostics;
pub mod error;
pub mod input;
pub mod metrics;
pub mod output;
pub mod period;
pub mod plan;
pub mod progress;
pub mod report;
pub mod sql;
pub mod time;

use std::ffi::OsString;

use anyhow::Result;
use clap::Parser;

use cli::{Cli, Command};

/// Parse the command line and run; returns the exit code (0 / 1), or an error (exit 2).
pub fn run<I, T>(args: I) -> Result<u8>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    return Ok(
                        if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                            error::EXIT_ERROR
                        } else {
                            error::EXIT_OK
                        },
                    );
                }
                _ => return Err(error::err(clap_message(&e.to_string()))),
            }
        }
    };
    match &cli.command {
        Command::Report(a) => commands::report::run(a),
        Command::Check(a) => commands::check::run(a),
        Command::Inspect(a) => commands::inspect::run(a),
        Command::Sql(a) => commands::sql::run(a),
        Command::Completions(a) => commands::shell::completions(a),
        Command::Man(a) => commands::shell::man(a),
        metric => match commands::compute(metric) {
            Some(r) => {
                let (report, c) = r?;
                commands::emit(&report, c)
            }
            None => Err(error::err("internal: not a metric command")),
        },
    }
}

/// clap's multi-line message → one line: the error, its tip, and where to look.
fn clap_message(s: &str) -> String {
    let mut lines = s.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error:")
        .trim()
        .to_string();
    // "the following required arguments were not provided:" lists them on the next lines.
    if first.ends_with(':') {
        let items: Vec<&str> = lines
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("tip:"))
            .collect();
        first = format!("{} {}", first, items.join(", "));
    }
    let tip = s
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("tip:"))
        .map(|t| format!("; {}", t.trim_start_matches("tip:").trim()));
    format!("{first}{}; see cxm --help", tip.unwrap_or_default())
}
