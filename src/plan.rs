//! Command-line values → checked settings, before any data is read: zones, time arguments,
//! filters, thresholds, the output format, and the output file (opened now so a bad path
//! fails fast).

use anyhow::Result;

use crate::assert::{self, Assertion};
use crate::cli::CommonArgs;
use crate::fail;
use crate::input::mapping::ColOverrides;
use crate::input::presets::{self, Applied, Kind};
use crate::input::read::{parse_delimiter, ReadOptions};
use crate::input::rejects::RejectPolicy;
use crate::input::rows::WhereCol;
use crate::input::schema::{self, Dataset};
use crate::input::Source;
use crate::output::sink::Sink;
use crate::output::OutFormat;
use crate::period::PeriodKind;
use crate::progress::Progress;
use crate::time::{self, TimeArgKind, TimeParser, Tz};
use serde_json::{json, Map, Value};

pub struct Common {
    pub files: Vec<String>,
    pub read: ReadOptions,
    pub cols: ColOverrides,
    pub tz: Tz,
    pub tz_name: String,
    pub parser: TimeParser,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub as_of: Option<i64>,
    pub now_ms: i64,
    pub wheres: Vec<WhereCol>,
    pub by: Vec<String>,
    pub period: Option<PeriodKind>,
    pub last: Option<usize>,
    pub format: OutFormat,
    pub sink: Option<Sink>,
    pub strict: bool,
    pub rejects: Option<String>,
    pub asserts: Vec<Assertion>,
    pub max_rejected: Option<MaxRejected>,
    pub min_n: Option<u64>,
    pub na: Vec<String>,
    pub keep_duplicates: bool,
    pub wide: bool,
    pub quiet: bool,
    pub progress: bool,
    pub confidence: f64,
    pub args: CommonArgs,
    /// `--explain COL` (SPEC 11), set by [`explain`].
    pub explain: Option<crate::metrics::explain::Spec>,
}

/// `--max-rejected N|P%` (SPEC 2): a data-quality threshold on the rejected rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MaxRejected {
    Count(u64),
    Percent(f64),
}

impl MaxRejected {
    pub fn parse(s: &str) -> Result<MaxRejected> {
        let t = s.trim();
        let bad = || {
            crate::error::err(format!(
                "--max-rejected {s:?}: give a number of rows (e.g. 10) or a percentage of the rows (e.g. 0.5%)"
            ))
        };
        if let Some(p) = t.strip_suffix('%') {
            let v: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&v) {
                return Err(bad());
            }
            return Ok(MaxRejected::Percent(v));
        }
        t.parse().map(MaxRejected::Count).map_err(|_| bad())
    }

    /// The check's text in `checks` (`rejected <= 10`, `rejected <= 0.5%`).
    pub fn label(&self) -> String {
        match self {
            MaxRejected::Count(n) => format!("rejected <= {n}"),
            MaxRejected::Percent(p) => format!("rejected <= {p}%"),
        }
    }

    /// The check on a run's rejected rows out of `rows`: the value is the count, or the
    /// percentage for a `P%` threshold.
    pub fn check(&self, rejected: u64, rows: u64) -> crate::report::Check {
        let (value, passed) = match *self {
            MaxRejected::Count(n) => (rejected as f64, rejected <= n),
            MaxRejected::Percent(p) => {
                let pct = if rows == 0 {
                    0.0
                } else {
                    rejected as f64 * 100.0 / rows as f64
                };
                (pct, pct <= p)
            }
        };
        crate::report::Check {
            assert: self.label(),
            value: Some(value),
            passed,
            low_n: false,
        }
    }
}

/// The zone, the time arguments and the periods of a metric, checked: what the metric
/// commands and `cxm sql` share.
pub struct Window {
    pub tz: Tz,
    pub now: i64,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub as_of: Option<i64>,
    pub period: Option<PeriodKind>,
}

/// `--tz`, `--since`, `--until`, `--as-of`, `--period` and `--last`, checked together.
pub fn window(
    tz: &str,
    since: Option<&str>,
    until: Option<&str>,
    as_of: Option<&str>,
    period: Option<&str>,
    last: Option<usize>,
) -> Result<Window> {
    let tz = time::parse_tz(tz).map_err(|e| crate::error::err(format!("--tz: {e}")))?;
    let now = now_ms();
    let targ = |v: Option<&str>, kind: TimeArgKind, flag: &str| -> Result<Option<i64>> {
        v.map(|s| {
            time::parse_time_arg(s, kind, tz, now)
                .map_err(|e| crate::error::err(format!("{flag} {s:?}: {e}")))
        })
        .transpose()
    };
    let since = targ(since, TimeArgKind::Since, "--since")?;
    let until = targ(until, TimeArgKind::Until, "--until")?;
    let as_of = targ(as_of, TimeArgKind::AsOf, "--as-of")?;
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            fail!("--since is not before --until; nothing could match");
        }
    }
    let period = period
        .map(|p| PeriodKind::parse(p).map_err(|e| crate::error::err(format!("--period: {e}"))))
        .transpose()?;
    if last.is_some() && period.is_none() {
        fail!("--last needs --period (it keeps the last N complete periods)");
    }
    if last == Some(0) {
        fail!("--last 0 keeps nothing; give a positive number of periods");
    }
    Ok(Window {
        tz,
        now,
        since,
        until,
        as_of,
        period,
    })
}

/// `--confidence`: a fraction in (0, 1).
pub fn check_confidence(confidence: f64) -> Result<()> {
    if !(confidence > 0.0 && confidence < 1.0) {
        fail!("--confidence {confidence}: give a fraction between 0 and 1, e.g. 0.95");
    }
    Ok(())
}

/// `--by` names a column.
pub fn check_by(by: &[String]) -> Result<()> {
    if by.iter().any(|b| b.trim().is_empty()) {
        fail!("--by: give a column name");
    }
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Parse `--where` values into per-column clauses (same column: OR of `=`; `!=` excludes).
impl Common {
    /// How `--strict` and `--rejects FILE` treat the rejected rows of this run.
    pub fn reject_policy<'a>(&'a self, progress: &'a Progress) -> RejectPolicy<'a> {
        RejectPolicy {
            strict: self.strict,
            file: self.rejects.as_deref(),
            parser: &self.parser,
            progress,
        }
    }

    /// The definition members every metric command shares (after its own): the preset, zone,
    /// grouping, period, window, filters, `--min-n` and the columns mapped.
    pub fn definition(
        &self,
        preset: Option<&str>,
        columns: Map<String, Value>,
    ) -> Map<String, Value> {
        let c = self;
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

    /// Decide and apply the vendor preset of a run (SPEC 5): its mapping fills what `--col` left
    /// open, its zone and date formats apply to the time columns, its filters make rows
    /// `filtered`. Prints the detection note and the preset's notes on stderr (not with `-q`).
    pub fn absorb_preset(
        &mut self,
        sources: &mut [Source],
        kind: Kind,
        metric: &str,
    ) -> Result<Option<Applied>> {
        let c = self;
        let Some(p) = presets::prepare(sources, c.args.preset.as_deref(), Some(kind), metric)?
        else {
            return Ok(None);
        };
        if !c.quiet {
            if p.detected {
                crate::diagnostics::note(&format!(
                    "detected the {} export format (use --preset none to turn this off)",
                    p.name
                ));
            }
            for n in &p.notes {
                crate::diagnostics::note(n);
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
}

pub fn parse_wheres(items: &[String]) -> Result<Vec<WhereCol>> {
    let mut out: Vec<WhereCol> = Vec::new();
    for it in items {
        let (name, value, neg) = if let Some((c, v)) = it.split_once("!=") {
            (c, v, true)
        } else if let Some((c, v)) = it.split_once('=') {
            (c, v, false)
        } else {
            fail!("--where {it:?}: write COL=VALUE or COL!=VALUE, e.g. --where region=EMEA");
        };
        let name = name.trim();
        if name.is_empty() {
            fail!("--where {it:?}: no column name before the operator");
        }
        let value = value.trim().to_string();
        let idx = match out.iter().position(|w| w.name == name) {
            Some(i) => i,
            None => {
                out.push(WhereCol {
                    name: name.to_string(),
                    ..Default::default()
                });
                out.len() - 1
            }
        };
        if neg {
            out[idx].not_equals.push(value);
        } else {
            out[idx].equals.push(value);
        }
    }
    Ok(out)
}

pub fn common(args: &CommonArgs, dataset: Dataset) -> Result<Common> {
    let known_cols = schema::columns(dataset);
    if args.from_aggregates.is_some()
        && !matches!(
            dataset,
            Dataset::Survey | Dataset::Tickets | Dataset::Subscriptions
        )
    {
        fail!("--from-aggregates reads the aggregates of nps, csat, ces, pmf, tickets and retention --survival; give this metric its input files");
    }
    let w = window(
        &args.tz,
        args.since.as_deref(),
        args.until.as_deref(),
        args.as_of.as_deref(),
        args.period.as_deref(),
        args.last,
    )?;
    let (tz, now, since, until, as_of, period) = (w.tz, w.now, w.since, w.until, w.as_of, w.period);
    let input_tz = match &args.input_tz {
        Some(z) => time::parse_tz(z).map_err(|e| crate::error::err(format!("--input-tz: {e}")))?,
        None => tz,
    };
    check_confidence(args.confidence)?;
    if let Some(p) = &args.preset {
        crate::input::presets::check_name(p, dataset)?;
    }
    check_by(&args.by)?;
    let delimiter = match &args.delimiter {
        Some(d) => Some(parse_delimiter(d)?),
        None => None,
    };
    let asserts = args
        .assert
        .iter()
        .map(|a| assert::parse(a))
        .collect::<Result<Vec<_>>>()?;
    let format = OutFormat::resolve(args.format.as_deref(), args.output.as_deref())?;
    let na: Vec<String> = args
        .na_values
        .as_deref()
        .map(|s| {
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let cols = ColOverrides::parse(&args.col, known_cols)?;
    let sink = Some(Sink::open(args.output.as_deref())?);
    if let Some(r) = &args.rejects {
        let dir = std::path::Path::new(r)
            .parent()
            .filter(|p| !p.as_os_str().is_empty());
        if let Some(d) = dir {
            if !d.is_dir() {
                fail!(
                    "--rejects {r}: the directory {} does not exist",
                    d.display()
                );
            }
        }
    }
    use std::io::IsTerminal;
    Ok(Common {
        files: args.files.clone(),
        read: ReadOptions {
            input_format: args.input_format.clone(),
            delimiter,
            encoding: args.encoding.clone(),
        },
        cols,
        tz,
        tz_name: args.tz.clone(),
        parser: TimeParser::new(input_tz, args.date_format.clone()),
        since,
        until,
        as_of,
        now_ms: now,
        wheres: parse_wheres(&args.where_)?,
        by: args.by.clone(),
        period,
        last: args.last,
        format,
        sink,
        strict: args.strict,
        rejects: args.rejects.clone(),
        asserts,
        max_rejected: args
            .max_rejected
            .as_deref()
            .map(MaxRejected::parse)
            .transpose()?,
        min_n: args.min_n,
        na,
        keep_duplicates: args.keep_duplicates,
        wide: args.wide,
        quiet: args.quiet,
        progress: !args.no_progress && std::io::stderr().is_terminal(),
        confidence: args.confidence,
        args: args.clone(),
        explain: None,
    })
}

/// Check `--explain`, `--compare` and `--p-adjust` against the other settings and store them
/// in `c.explain` (SPEC 11).
pub fn explain(a: &crate::cli::ExplainArgs, c: &mut Common) -> Result<()> {
    let Some(column) = &a.explain else {
        if a.compare.is_some() {
            fail!(
                "--compare needs --explain COL (it names the two periods the explanation compares)"
            );
        }
        if a.p_adjust.is_some() {
            fail!("--p-adjust needs --explain COL (it adjusts the explanation's p-values)");
        }
        return Ok(());
    };
    let column = column.trim();
    if column.is_empty() {
        fail!("--explain: give a column name, e.g. --explain region");
    }
    let Some(pk) = c.period else {
        fail!("--explain {column} needs --period (it compares two periods), e.g. --period month");
    };
    if !c.by.is_empty() {
        fail!("--explain {column} cannot be combined with --by (the segments are the values of {column}); drop --by");
    }
    if c.last.is_some() {
        fail!("--explain {column} cannot be combined with --last: it compares the last two complete periods, or name them with --compare A..B");
    }
    if let Some(x) = c.asserts.iter().find(|x| x.latest) {
        fail!(
            "--assert {:?}: with --explain the fields are the explanation's total, without `latest.`; e.g. --assert 'rate >= -3'",
            x.text
        );
    }
    let holm = match a
        .p_adjust
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("holm") => true,
        Some("none") => false,
        Some(other) => fail!("--p-adjust {other:?}: use holm or none"),
    };
    let compare = match &a.compare {
        None => None,
        Some(s) => {
            let Some((x, y)) = s.split_once("..") else {
                fail!(
                    "--compare {s:?}: write two {} labels as A..B, e.g. {}",
                    pk.name(),
                    example(pk)
                );
            };
            let parse = |t: &str| -> Result<i32> {
                match pk.parse_label(t) {
                    Some(o) => Ok(o),
                    None => fail!(
                        "--compare {s:?}: {:?} is not a {} label; write it as {}",
                        t.trim(),
                        pk.name(),
                        example(pk)
                    ),
                }
            };
            let (oa, ob) = (parse(x)?, parse(y)?);
            if oa == ob {
                fail!("--compare {s:?}: name two different periods");
            }
            Some((oa, ob))
        }
    };
    c.explain = Some(crate::metrics::explain::Spec {
        column: column.to_string(),
        compare,
        holm,
    });
    Ok(())
}

/// An example `--compare` value for a period kind.
fn example(pk: PeriodKind) -> &'static str {
    match pk {
        PeriodKind::Day => "2025-03-01..2025-03-02",
        PeriodKind::Week => "2025-W09..2025-W10",
        PeriodKind::Month => "2025-02..2025-03",
        PeriodKind::Quarter => "2025-Q1..2025-Q2",
        PeriodKind::Year => "2024..2025",
    }
}
