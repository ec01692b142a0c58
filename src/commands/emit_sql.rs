//! `cxm report CONFIG --emit-sql DIR --dialect D` (SPEC 10): one `<metric name>.sql` per
//! configured metric, from the same settings the report computes with, for a scheduler or a
//! dbt model.

use std::collections::HashSet;

use anyhow::Result;
use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::config::{self, MetricSpec};
use crate::error::err;
use crate::fail;
use crate::output::sink::Sink;

/// Metric settings that only concern reading files or presenting results: left out of
/// the query.
const FILE_ONLY: &[&str] = &[
    "preset",
    "input-format",
    "delimiter",
    "encoding",
    "decimal-comma",
    "input-tz",
    "date-format",
    "na-values",
    "strict",
    "rejects",
    "max-rejected",
    "no-progress",
    "quiet",
    "wide",
    "unit",
    "use-exported-durations",
    // The table holds canonical column names; `columns` maps an export's headers.
    "col",
];

/// The long flags `cxm sql` takes.
fn sql_flags() -> HashSet<String> {
    Cli::command()
        .get_subcommands()
        .find(|s| s.get_name() == "sql")
        .map(|s| {
            s.get_arguments()
                .filter_map(|a| a.get_long().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The `cxm sql` argument vector of one configured metric.
fn sql_argv(
    cfg_path: &str,
    m: &MetricSpec,
    dialect: &str,
    flags: &HashSet<String>,
) -> Result<Vec<String>> {
    let Some(table) = &m.table else {
        fail!(
            "{cfg_path}: metric {:?}: [sources.{}] has no table; add table = \"schema.table\" for --emit-sql",
            m.name,
            m.source
        );
    };
    let mut argv: Vec<String> = vec![
        "cxm".into(),
        "sql".into(),
        m.kind.clone(),
        "--dialect".into(),
        dialect.into(),
        "--table".into(),
        table.clone(),
    ];
    for tok in m.argv.iter().take_while(|t| *t != "--") {
        let name = tok
            .trim_start_matches("--")
            .split_once('=')
            .map_or(tok.trim_start_matches("--"), |(n, _)| n);
        if FILE_ONLY.contains(&name) {
            continue;
        }
        if !flags.contains(name) {
            fail!(
                "{cfg_path}: metric {:?}: `{}` has no SQL form in cxm sql; leave it out of this metric for --emit-sql",
                m.name,
                name.replace('-', "_")
            );
        }
        argv.push(tok.clone());
    }
    Ok(argv)
}

pub fn run(
    config: &str,
    as_of: Option<&str>,
    dir: &str,
    dialect: Option<&str>,
    quiet: bool,
) -> Result<u8> {
    let Some(dialect) = dialect else {
        fail!("--emit-sql needs --dialect duckdb|postgres|spark|bigquery|snowflake");
    };
    crate::sql::dialect::Dialect::parse(dialect)?;
    let cfg = config::load(config, as_of)?;
    let flags = sql_flags();
    // Every query first: nothing is written when one metric cannot be expressed.
    let mut out: Vec<(String, String)> = Vec::new();
    for m in &cfg.metrics {
        let argv = sql_argv(&cfg.path, m, dialect, &flags)?;
        let wrap = |msg: String| err(format!("{}: metric {:?}: {msg}", cfg.path, m.name));
        let cli = Cli::try_parse_from(&argv).map_err(|e| {
            let s = e.to_string();
            let first = s
                .lines()
                .next()
                .unwrap_or("invalid settings")
                .trim_start_matches("error:")
                .trim()
                .to_string();
            let rest: Vec<&str> = s
                .lines()
                .skip(1)
                .map(str::trim)
                .filter(|l| l.starts_with("--"))
                .collect();
            wrap(
                format!("{first} {}", rest.join(", ")).trim().to_string()
                    + " (cxm sql needs as_of in the config or --as-of)",
            )
        })?;
        let Command::Sql(a) = cli.command else {
            fail!("internal: not a sql command");
        };
        let text = crate::commands::sql::query(&a).map_err(|e| wrap(crate::error::render(&e)))?;
        out.push((m.name.clone(), text));
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        err(format!(
            "--emit-sql {dir}: cannot create the directory: {e}"
        ))
    })?;
    for (name, text) in &out {
        let path = std::path::Path::new(dir).join(format!("{name}.sql"));
        let shown = path.to_string_lossy().into_owned();
        Sink::open(Some(&shown))?.write(text.as_bytes())?;
        if !quiet {
            eprintln!("cxm: wrote {shown}");
        }
    }
    Ok(crate::error::EXIT_OK)
}
