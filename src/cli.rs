//! The command line (clap derive): global options shared by every metric command, and one
//! subcommand per metric. Values are raw here; `plan.rs` checks and resolves them.

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "cxm",
    version,
    about = "Customer-experience metrics from help-desk, survey and billing exports",
    long_about = "cxm reads survey responses, support tickets and subscriptions exported as CSV, TSV, JSON, NDJSON or Parquet and computes NPS, CSAT, CES, PMF and more.\n\nExit codes: 0 success, 1 a threshold (--assert) failed, 2 an error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Net Promoter Score: promoters, passives, detractors and a confidence interval
    Nps(NpsArgs),
    /// Customer satisfaction: % satisfied, mean, distribution, Wilson interval
    Csat(CsatArgs),
    /// Customer effort score: mean, % easy, % difficult, interval on the mean
    Ces(CesArgs),
    /// Sean Ellis product-market-fit score (% "very disappointed")
    Pmf(PmfArgs),
    /// Support tickets: first response time, time to resolution, backlog, reopens, SLA breaches
    Tickets(crate::commands::tickets::TicketsArgs),
    /// Subscriptions: customers, churn, MRR movements, GRR/NRR, quick ratio, ARPA, LTV per period
    Churn(crate::commands::churn::ChurnArgs),
    /// Cohort retention matrix (customers or revenue) and Kaplan-Meier survival
    Retention(crate::commands::retention::RetentionArgs),
    /// Every configured metric, written as a set of report files
    Report(crate::commands::report::ReportArgs),
    /// Only the configured checks: PASS/FAIL per check
    Check(crate::commands::check::CheckArgs),
    /// How cxm reads an export: columns, types, nulls, samples, preset, mapping
    Inspect(crate::commands::inspect::InspectArgs),
    /// The metric as one SQL query for DuckDB, PostgreSQL, Spark, BigQuery or Snowflake
    Sql(crate::commands::sql::SqlArgs),
    /// Shell completions generated from the command-line definition
    Completions(crate::commands::shell::CompletionsArgs),
    /// The man page, generated from the command-line definition
    Man(crate::commands::shell::ManArgs),
}

/// Options shared by every metric command (SPEC 2).
#[derive(Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// Input files (`-` for standard input); several are concatenated
    #[arg(value_name = "FILE", required_unless_present = "from_aggregates")]
    pub files: Vec<String>,
    /// Finish the counts a warehouse computed with `cxm sql METRIC --stage aggregates`
    /// (saved as CSV) instead of reading rows (nps, csat, ces, pmf, tickets, retention
    /// --survival)
    #[arg(long, value_name = "FILE", conflicts_with = "files")]
    pub from_aggregates: Option<String>,

    /// Map an export column to a canonical column, e.g. --col score="How likely…"
    #[arg(long = "col", value_name = "CANONICAL=SOURCE")]
    pub col: Vec<String>,
    /// A built-in mapping for a known export; `none` turns detection off
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Override format detection
    #[arg(long, value_name = "csv|tsv|json|ndjson|parquet")]
    pub input_format: Option<String>,
    /// CSV delimiter: one character or `tab` (default: detected among , ; tab |)
    #[arg(long, value_name = "C")]
    pub delimiter: Option<String>,
    /// Input text encoding when not UTF-8
    #[arg(long, value_name = "latin1|cp1252")]
    pub encoding: Option<String>,
    /// Read numbers written with a decimal comma (29,90)
    #[arg(long)]
    pub decimal_comma: bool,
    /// IANA zone for period boundaries, date arguments and displayed times
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,
    /// Zone of naive timestamps in the input (default: --tz)
    #[arg(long, value_name = "ZONE")]
    pub input_tz: Option<String>,
    /// Extra strftime format for timestamps, tried in order (repeatable)
    #[arg(long = "date-format", value_name = "FMT")]
    pub date_format: Vec<String>,
    /// Keep rows whose metric time is at or after T
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Keep rows whose metric time is before T
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// The instant the figures describe (default: the latest time in the data)
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub as_of: Option<String>,
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
    /// Output format (default: from -o's extension, else table)
    #[arg(long, value_name = "table|json|csv|markdown|html")]
    pub format: Option<String>,
    /// Write to FILE (atomically) instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// Any rejected row is an error naming FILE:LINE:COLUMN
    #[arg(long)]
    pub strict: bool,
    /// Fail like an assert (exit 1, output complete) when more than N rows (or P % of the rows) are rejected
    #[arg(long, value_name = "N|P%")]
    pub max_rejected: Option<String>,
    /// Write every rejected row, with its reason, to FILE (CSV, or NDJSON for .ndjson/.jsonl)
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<String>,
    /// A threshold on the total (or `latest.FIELD` on the last complete period); exit 1 when it fails
    #[arg(
        long = "assert",
        value_name = "'FIELD OP NUMBER'",
        allow_hyphen_values = true
    )]
    pub assert: Vec<String>,
    /// Rows with fewer than N valid answers are flagged low_n
    #[arg(long, value_name = "N")]
    pub min_n: Option<u64>,
    /// Extra cell texts that mean "no answer" (comma-separated)
    #[arg(long, value_name = "LIST")]
    pub na_values: Option<String>,
    /// Keep every row even when ids repeat
    #[arg(long)]
    pub keep_duplicates: bool,
    /// Tables show every field, not only the headline columns
    #[arg(long)]
    pub wide: bool,
    /// No warnings on standard error
    #[arg(short, long)]
    pub quiet: bool,
    /// No progress display
    #[arg(long)]
    pub no_progress: bool,
    /// Confidence level of intervals, a fraction in (0, 1)
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95)]
    pub confidence: f64,
}

/// `--explain COL` and its options (SPEC 11), on nps, csat, ces, pmf, tickets and churn.
#[derive(Args, Debug, Clone, Default)]
pub struct ExplainArgs {
    /// Split the change between two periods into mix and rate by the segments of COL (needs --period)
    #[arg(long, value_name = "COL")]
    pub explain: Option<String>,
    /// With --explain: the two periods to compare, e.g. 2025-02..2025-03 (default: the last two complete periods)
    #[arg(long, value_name = "A..B")]
    pub compare: Option<String>,
    /// With --explain: adjustment of the per-segment p-values [default: holm]
    #[arg(long, value_name = "holm|none")]
    pub p_adjust: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct NpsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub explain: ExplainArgs,
    /// Interval method
    #[arg(
        long,
        value_name = "adjusted-wald|wald",
        default_value = "adjusted-wald"
    )]
    pub ci: String,
}

#[derive(Args, Debug, Clone)]
pub struct CsatArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub explain: ExplainArgs,
    /// Rating scale
    #[arg(long, value_name = "2|3|5|7|10|binary", default_value = "5")]
    pub scale: String,
    /// Lowest rating that counts as satisfied (default depends on the scale)
    #[arg(long, value_name = "K")]
    pub satisfied: Option<i64>,
    /// Reverse the scale (x → min + max − x) before anything else
    #[arg(long)]
    pub invert: bool,
}

#[derive(Args, Debug, Clone)]
pub struct CesArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub explain: ExplainArgs,
    /// Rating scale (7: the 1–7 agree scale where 7 = very easy)
    #[arg(long, value_name = "5|7", default_value = "7")]
    pub scale: String,
    /// Lowest rating that counts as easy (default 5 on 7-pt, 4 on 5-pt)
    #[arg(long, value_name = "K")]
    pub easy: Option<i64>,
    /// For the effort scale where 1 = least effort
    #[arg(long)]
    pub invert: bool,
}

#[derive(Args, Debug, Clone)]
pub struct PmfArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub explain: ExplainArgs,
    /// `3` reads numeric answers 1 = not, 2 = somewhat, 3 = very disappointed (Delighted)
    #[arg(long, value_name = "3")]
    pub scale: Option<String>,
}
