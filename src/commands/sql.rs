//! `cxm sql METRIC`: print the metric as one SQL query (SPEC 10); reads no data.

use anyhow::Result;
use clap::Args;

use crate::commands::{ces_scale, csat_scale, nps_method, pmf_numeric};
use crate::fail;
use crate::input::mapping::ColOverrides;
use crate::metrics::stats::{self, NpsMethod};
use crate::metrics::survey::ScoreKind;
use crate::metrics::tickets::{Bucket, Sla};
use crate::output::sink::Sink;
use crate::sql::churn::{ChurnSql, SUB_SQL_COLUMNS};
use crate::sql::dialect::Dialect;
use crate::sql::retention::{RetentionSql, SurvivalSql};
use crate::sql::survey::SurveySql;
use crate::sql::tickets::{Percentiles, TicketsSql};
use crate::sql::SqlPlan;

#[derive(Args, Debug, Clone)]
pub struct SqlArgs {
    /// The metric: nps, csat, ces, pmf, tickets, churn or retention (the cohort matrix;
    /// Kaplan–Meier survival with --survival --stage aggregates)
    #[arg(value_name = "METRIC")]
    pub metric: String,
    /// The SQL dialect of the engine that runs the query
    #[arg(long, value_name = "duckdb|postgres|spark|bigquery|snowflake")]
    pub dialect: String,
    /// The table (or view) holding the canonical columns; may be qualified (schema.table)
    #[arg(long, value_name = "NAME")]
    pub table: String,
    /// The table's column for a canonical column, e.g. --col score=likelihood
    #[arg(long = "col", value_name = "CANONICAL=COLUMN")]
    pub col: Vec<String>,
    /// IANA zone for period boundaries and date arguments
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,
    /// Keep rows whose metric time is at or after T (also where the calendar starts)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Keep rows whose metric time is before T
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// The instant the figures describe (required: cxm does not see the data)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub as_of: String,
    /// Keep rows by a column's trimmed text: COL=VALUE or COL!=VALUE (repeatable)
    #[arg(long = "where", value_name = "COL=VALUE")]
    pub where_: Vec<String>,
    /// One result row per group of this column, plus the total (repeatable)
    #[arg(long, value_name = "COL")]
    pub by: Vec<String>,
    /// One result row per period of the metric time
    #[arg(long, value_name = "day|week|month|quarter|year")]
    pub period: Option<String>,
    /// With --period: keep the last N complete periods before as-of
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    /// Rows with fewer than N valid answers are flagged low_n
    #[arg(long, value_name = "N")]
    pub min_n: Option<u64>,
    /// Keep every row even when ids repeat
    #[arg(long)]
    pub keep_duplicates: bool,
    /// Confidence level of intervals, a fraction in (0, 1)
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95)]
    pub confidence: f64,
    /// NPS interval method
    #[arg(long, value_name = "adjusted-wald|wald")]
    pub ci: Option<String>,
    /// Rating scale (CSAT: 2|3|5|7|10|binary, default 5; CES: 5|7, default 7; PMF: 3)
    #[arg(long, value_name = "SCALE")]
    pub scale: Option<String>,
    /// CSAT: lowest rating that counts as satisfied
    #[arg(long, value_name = "K")]
    pub satisfied: Option<i64>,
    /// CES: lowest rating that counts as easy
    #[arg(long, value_name = "K")]
    pub easy: Option<i64>,
    /// CSAT and CES: reverse the scale (x → min + max − x)
    #[arg(long)]
    pub invert: bool,
    /// Churn: add the current, incomplete period (its end is as-of), marked partial
    #[arg(long)]
    pub include_partial: bool,
    /// Churn: drop subscriptions whose MRR is 0 (free plans)
    #[arg(long)]
    pub exclude_free: bool,
    /// Retention: retain MRR instead of customers
    #[arg(long)]
    pub revenue: bool,
    /// Retention: Kaplan–Meier survival (with --stage aggregates: the table of first-span
    /// durations `cxm retention --survival --from-aggregates FILE` finishes)
    #[arg(long)]
    pub survival: bool,
    /// Retention --survival: a gap up to this long between subscriptions continues the
    /// active span, e.g. 7d
    #[arg(long, value_name = "DURATION")]
    pub gap: Option<String>,
    #[command(flatten)]
    pub ticket: crate::commands::tickets::TicketTimeArgs,
    /// Tickets: the time that puts a ticket into a period
    #[arg(long, value_name = "created|resolved")]
    pub bucket_by: Option<String>,
    /// Tickets: the engine's approximate percentile function for the FRT and TTR median,
    /// p90 and p95 (estimates, named in the query's first comments; PostgreSQL has none and
    /// stays exact)
    #[arg(long)]
    pub approx: bool,
    /// Tickets: percentiles by counts per value and a running count (BigQuery's form) on
    /// every dialect; for checking that form on engines that run here
    #[arg(long, hide = true)]
    pub histogram_percentiles: bool,
    /// `aggregates`: a query of counts per group and period, finished by
    /// `cxm METRIC --from-aggregates FILE` (nps, csat, ces, pmf, tickets; retention with
    /// --survival: counts per duration); `final` (default): the result
    #[arg(long, value_name = "final|aggregates", default_value = "final")]
    pub stage: String,
    /// Write the query to FILE (atomically) instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
}

/// Survey columns a survey query may name with `--col`.
const SURVEY_SQL_COLUMNS: &[&str] = &["score", "submitted_at", "response_id", "updated_at"];

pub fn run(a: &SqlArgs) -> Result<u8> {
    let sink = Sink::open(a.output.as_deref())?;
    let text = query(a)?;
    sink.write(text.as_bytes())?;
    Ok(crate::error::EXIT_OK)
}

/// The query text for the arguments.
pub fn query(a: &SqlArgs) -> Result<String> {
    let metric = a.metric.trim().to_ascii_lowercase();
    let only = |flag: &str, set: bool, metrics: &[&str]| -> Result<()> {
        if set && !metrics.contains(&metric.as_str()) {
            fail!(
                "{flag} does not apply to cxm sql {metric} (it is an option of {})",
                metrics.join(", ")
            );
        }
        Ok(())
    };
    only("--ci", a.ci.is_some(), &["nps"])?;
    only("--scale", a.scale.is_some(), &["csat", "ces", "pmf"])?;
    only("--satisfied", a.satisfied.is_some(), &["csat"])?;
    only("--easy", a.easy.is_some(), &["ces"])?;
    only("--invert", a.invert, &["csat", "ces"])?;
    only("--include-partial", a.include_partial, &["churn"])?;
    only("--exclude-free", a.exclude_free, &["churn"])?;
    only("--revenue", a.revenue, &["retention"])?;
    only("--survival", a.survival, &["retention"])?;
    only("--gap", a.gap.is_some(), &["retention"])?;
    if a.approx && metric != "tickets" {
        fail!("--approx does not apply to cxm sql {metric}: it has no percentiles (only tickets has: the FRT and TTR median, p90 and p95)");
    }
    for (flag, set) in [
        ("--business-hours", a.ticket.business_hours.is_some()),
        ("--holidays", a.ticket.holidays.is_some()),
        ("--schedule", a.ticket.schedule.is_some()),
        (
            "--sla-first-response",
            a.ticket.sla_first_response.is_some(),
        ),
        ("--sla-resolution", a.ticket.sla_resolution.is_some()),
        ("--bucket-by", a.bucket_by.is_some()),
    ] {
        only(flag, set, &["tickets"])?;
    }
    if metric == "tickets" {
        return tickets_query(a);
    }
    if metric == "churn" || metric == "retention" {
        return subscription_query(a, &metric);
    }
    let kind = match metric.as_str() {
        "nps" => ScoreKind::Nps,
        "csat" => {
            let (scale, satisfied) = csat_scale(a.scale.as_deref().unwrap_or("5"), a.satisfied)?;
            ScoreKind::Csat {
                scale,
                invert: a.invert,
                satisfied,
            }
        }
        "ces" => {
            let (scale, easy) = ces_scale(a.scale.as_deref().unwrap_or("7"), a.easy)?;
            ScoreKind::Ces {
                scale,
                invert: a.invert,
                easy,
            }
        }
        "pmf" => ScoreKind::Pmf {
            numeric: pmf_numeric(a.scale.as_deref())?,
        },
        other => fail!(
            "cxm sql {other:?}: unknown metric; use nps, csat, ces, pmf, tickets, churn or retention"
        ),
    };
    let method = match &a.ci {
        Some(ci) => nps_method(ci)?,
        None => NpsMethod::AdjustedWald,
    };
    crate::plan::check_confidence(a.confidence)?;
    let plan = plan(a, SURVEY_SQL_COLUMNS)?;
    SurveySql {
        kind,
        method,
        z: stats::z_for(a.confidence),
        aggregates: stage(a)?,
    }
    .query(&plan)
}

/// Ticket columns a tickets query may name with `--col`.
const TICKET_SQL_COLUMNS: &[&str] = &[
    "created_at",
    "first_response_at",
    "resolved_at",
    "reopens",
    "status",
    "ticket_id",
    "updated_at",
];

/// `--stage`: whether the query stops at the aggregates.
fn stage(a: &SqlArgs) -> Result<bool> {
    match a.stage.trim().to_ascii_lowercase().as_str() {
        "final" => Ok(false),
        "aggregates" => Ok(true),
        other => fail!("--stage {other:?}: use final or aggregates"),
    }
}

fn tickets_query(a: &SqlArgs) -> Result<String> {
    let plan = plan(a, TICKET_SQL_COLUMNS)?;
    let bucket = Bucket::parse(a.bucket_by.as_deref().unwrap_or("created"))
        .map_err(|e| crate::error::err(format!("--bucket-by: {e}")))?;
    let sched = crate::commands::tickets::schedule_from(
        a.ticket.business_hours.as_deref(),
        a.ticket.holidays.as_deref(),
        a.ticket.schedule.as_deref(),
        plan.tz,
    )?
    .map(|(s, _)| s);
    let business = sched.is_some();
    let mut warnings = Vec::new();
    let sla = Sla {
        first_response: crate::commands::tickets::sla_of(
            "--sla-first-response",
            &a.ticket.sla_first_response,
            business,
            &mut warnings,
        )?,
        resolution: crate::commands::tickets::sla_of(
            "--sla-resolution",
            &a.ticket.sla_resolution,
            business,
            &mut warnings,
        )?,
    };
    for w in warnings {
        eprintln!("cxm: warning: {w}");
    }
    let aggregates = stage(a)?;
    if a.approx && aggregates {
        fail!("--approx does not apply to --stage aggregates: the aggregates carry every duration and cxm tickets --from-aggregates computes exact percentiles");
    }
    if a.approx && a.histogram_percentiles {
        fail!("--approx and --histogram-percentiles exclude each other; drop one of them");
    }
    TicketsSql {
        schedule: sched.as_ref(),
        sla,
        bucket,
        percentiles: if a.approx {
            Percentiles::Approx
        } else if a.histogram_percentiles {
            Percentiles::Histogram
        } else {
            Percentiles::Native
        },
        aggregates,
    }
    .query(&plan)
}

/// `cxm sql churn` and `cxm sql retention` (SPEC 6.6, 6.7): `--period` defaults to month.
fn subscription_query(a: &SqlArgs, metric: &str) -> Result<String> {
    let survey_only = [
        ("--ci", a.ci.is_some()),
        ("--scale", a.scale.is_some()),
        ("--satisfied", a.satisfied.is_some()),
        ("--easy", a.easy.is_some()),
        ("--invert", a.invert),
        ("--confidence", a.confidence != 0.95),
    ];
    if let Some((flag, _)) = survey_only.iter().find(|(_, set)| *set) {
        fail!("{flag} does not apply to cxm sql {metric} (it is an option of the survey metrics)");
    }
    let aggregates = stage(a)?;
    if aggregates && !a.survival {
        fail!("--stage aggregates is available for nps, csat, ces, pmf, tickets and retention --survival; {metric} runs as one final query");
    }
    if a.survival && !aggregates {
        fail!("--survival needs --stage aggregates: the query returns the durations and cxm retention --survival --from-aggregates FILE computes Kaplan–Meier");
    }
    if a.gap.is_some() && !a.survival {
        fail!("--gap applies to retention --survival (the gap that continues an active span)");
    }
    let mut a = a.clone();
    a.period.get_or_insert_with(|| "month".to_string());
    let plan = plan(&a, SUB_SQL_COLUMNS)?;
    if metric == "churn" {
        return ChurnSql {
            include_partial: a.include_partial,
            exclude_free: a.exclude_free,
        }
        .query(&plan);
    }
    if !plan.by.is_empty() {
        fail!("--by does not apply to cxm sql retention (a cohort is the period of the first start); use --where to keep one segment");
    }
    if a.until.is_some() || a.last.is_some() {
        fail!("--until and --last do not apply to cxm sql retention (every cohort is shown); --since sets where the cohorts start");
    }
    if a.survival {
        if a.revenue {
            fail!("--revenue does not apply to --survival (Kaplan–Meier counts customers); drop one of them");
        }
        if a.since.is_some() {
            fail!("--since does not apply to cxm sql retention --survival (every customer's first span counts, as in cxm retention --survival); keep a segment with --where");
        }
        let gap_ms = match &a.gap {
            None => 0,
            Some(g) => crate::time::parse_duration(g)
                .map_err(|e| crate::error::err(format!("--gap: {e}")))?,
        };
        return SurvivalSql { gap_ms }.query(&plan);
    }
    RetentionSql { revenue: a.revenue }.query(&plan)
}

/// Checked settings shared by every metric's query.
fn plan(a: &SqlArgs, known: &[&str]) -> Result<SqlPlan> {
    let dialect = Dialect::parse(&a.dialect)?;
    if a.table.trim().is_empty() {
        fail!("--table: give the table's name, e.g. --table analytics.survey_responses");
    }
    let w = crate::plan::window(
        &a.tz,
        a.since.as_deref(),
        a.until.as_deref(),
        Some(&a.as_of),
        a.period.as_deref(),
        a.last,
    )?;
    let (tz, since, until, period) = (w.tz, w.since, w.until, w.period);
    // Required by clap, so always there.
    let as_of = w.as_of.unwrap_or(w.now);
    if since.is_some_and(|s| s > as_of) {
        fail!("--since is after --as-of; nothing could match");
    }
    crate::plan::check_by(&a.by)?;
    Ok(SqlPlan {
        dialect,
        table: a.table.trim().to_string(),
        cols: ColOverrides::parse(&a.col, known)?.0,
        tz,
        since,
        until,
        as_of,
        wheres: crate::plan::parse_wheres(&a.where_)?,
        by: a.by.clone(),
        period,
        last: a.last,
        min_n: a.min_n,
        keep_duplicates: a.keep_duplicates,
    })
}
