//! The HTML report page (SPEC 7): one self-contained file — inline CSS and SVG, no scripts,
//! fonts or anything else from the network. A headline card per metric (the latest complete
//! period and its delta when a period is set, else the total; the interval), a trend line
//! per period, the NPS/CSAT/CES distribution as bars, groups as bars, the cohort retention
//! matrix as a heat map, the table of every row, and the checks. Every value that came from
//! the data is HTML-escaped.

use serde_json::{Map, Value};

use super::svg::{self, Point};
use super::table::{self, natural_hours};
use crate::report::{ColKind, Report, Row};

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One evaluated check as the page (and `cxm check`) shows it.
#[derive(Clone, Debug)]
pub struct CheckLine {
    pub metric: String,
    pub assert: String,
    pub value: Option<f64>,
    pub passed: bool,
    pub low_n: bool,
    pub n: Option<u64>,
}

/// A value for people: integers as such, else at most two decimals without trailing zeros.
pub fn short_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

const CSS: &str = r#"
:root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--bg:#f7f8fa;--card:#fff;--accent:#2f6fdf;--good:#1a7f4b;--bad:#c0362c;--warn:#b7791f}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1080px;margin:0 auto;padding:28px 24px 48px}
header h1{margin:0 0 4px;font-size:26px}
.muted{color:var(--muted);fill:var(--muted)}
section.metric,section.checks{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 22px;margin:18px 0;break-inside:avoid-page}
h2{margin:0 0 12px;font-size:20px}
h2 .kind{font-weight:400;color:var(--muted);font-size:14px;margin-left:8px}
h3{font-size:14px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:18px 0 6px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:150px;background:#fbfcfe}
.card.main{min-width:230px;border-color:#c9d8f5}
.card .label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:30px;font-weight:650;line-height:1.2}
.card .sub{font-size:13px;color:var(--muted)}
.card .stat{font-size:20px;font-weight:600}
.up{color:var(--good)}.down{color:var(--bad)}
.badge{display:inline-block;font-size:11px;font-weight:700;padding:1px 7px;border-radius:9px;color:#fff;vertical-align:middle}
.badge.pass{background:var(--good)}.badge.fail{background:var(--bad)}.badge.low{background:var(--warn)}
svg.chart{width:100%;height:auto;display:block;max-width:760px}
svg .grid{stroke:var(--line);stroke-width:1}
svg .axis{font-size:11px;fill:var(--muted)}
svg .line{fill:none;stroke:var(--accent);stroke-width:2.5;stroke-linejoin:round}
svg .dot{fill:var(--accent)}svg .dot.partial{fill:#fff;stroke:var(--accent);stroke-width:2}
svg .bar{fill:var(--accent)}svg .bar.detractor{fill:#d9534f}svg .bar.passive{fill:#c7ccd6}svg .bar.promoter{fill:#2e9e62}
svg .bar.unsatisfied{fill:#d9534f}svg .bar.satisfied{fill:#2e9e62}
table{border-collapse:collapse;font-size:13px;margin-top:6px}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{color:var(--muted);font-weight:600;background:#fafbfc}
td.key,th.key{text-align:left}
tr.total td{font-weight:650;border-top:2px solid var(--line)}
.scroll{overflow-x:auto}
table.heat td{text-align:center;min-width:52px;border:1px solid #fff}
ul.warn{color:var(--warn);font-size:13px;margin:6px 0;padding-left:18px}
.checks td.status{text-align:left}
section.overview{margin:18px 0}a.cardlink{color:inherit;text-decoration:none}section.overview .card{background:var(--card)}
footer{color:var(--muted);font-size:12px;margin-top:24px}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@media print{body{background:#fff;font-size:12px}main{max-width:none;padding:0}section.metric,section.checks{border-color:#ccc;break-inside:avoid}.scroll{overflow:visible}}
"#;

/// How a metric's headline value is shown.
#[derive(Clone, Copy)]
enum Fmt {
    Num(usize),
    Pct,
    Hours,
    Int,
}

/// The headline field of a metric kind: (field, label, format).
fn main_field(metric: &str) -> (&'static str, &'static str, Fmt) {
    match metric {
        "nps" => ("nps", "NPS", Fmt::Num(1)),
        "csat" => ("csat", "CSAT", Fmt::Pct),
        "ces" => ("ces", "CES", Fmt::Num(2)),
        "pmf" => ("pmf", "PMF (very disappointed)", Fmt::Pct),
        "tickets" => ("frt_median_hours", "First response, median", Fmt::Hours),
        "churn" => ("churn_rate", "Customer churn", Fmt::Pct),
        _ => ("n", "Customers", Fmt::Int),
    }
}

fn fmt_value(v: f64, f: Fmt, unit: Option<&str>) -> String {
    match f {
        Fmt::Num(d) => format!("{v:.d$}"),
        Fmt::Pct => format!("{v:.1}%"),
        Fmt::Hours => natural_hours(v, unit),
        Fmt::Int => table::display_value(&serde_json::json!(v.round() as i64)),
    }
}

fn fmt_delta(d: f64, f: Fmt, unit: Option<&str>) -> String {
    let sign = if d > 0.0 {
        "+"
    } else if d < 0.0 {
        "−"
    } else {
        "±"
    };
    let a = d.abs();
    let body = match f {
        Fmt::Num(dd) => format!("{a:.dd$}"),
        Fmt::Pct => format!("{a:.1} pts"),
        Fmt::Hours => natural_hours(a, unit),
        Fmt::Int => format!("{}", a.round() as i64),
    };
    format!("{sign}{body}")
}

fn get_f(fields: &Map<String, Value>, k: &str) -> Option<f64> {
    fields.get(k).and_then(|v| match v {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        v => v.as_f64(),
    })
}

/// Rows over all groups with a period (the series of the trend), in order.
fn period_rows(r: &Report) -> Vec<&Row> {
    r.rows
        .iter()
        .filter(|row| row.period.is_some() && (r.by.is_empty() || row.group.is_none()))
        .collect()
}

fn group_label(g: &[Option<String>]) -> String {
    g.iter()
        .map(|v| v.clone().unwrap_or_else(|| "(blank)".into()))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The page for several metrics and their checks.
pub fn page(
    title: &str,
    as_of: Option<&str>,
    metrics: &[(String, &Report)],
    checks: &[CheckLine],
) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    s.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    s.push_str(&format!(
        "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(title)
    ));
    s.push_str(&format!("<header><h1>{}</h1>", esc(title)));
    let mut sub = Vec::new();
    if let Some(a) = as_of {
        sub.push(format!("as of {}", esc(a)));
    }
    let failed = checks.iter().filter(|c| !c.passed).count();
    if !checks.is_empty() {
        sub.push(if failed == 0 {
            format!("{} checks, all passed", checks.len())
        } else {
            format!("{} of {} checks failed", failed, checks.len())
        });
    }
    sub.push(format!(
        "{} metric{}",
        metrics.len(),
        if metrics.len() == 1 { "" } else { "s" }
    ));
    s.push_str(&format!(
        "<div class=\"muted\">{}</div></header>\n",
        sub.join(" · ")
    ));
    if !checks.is_empty() {
        s.push_str(&checks_section(checks));
    }
    if metrics.len() > 1 {
        s.push_str("<section class=\"overview\"><div class=\"cards\">");
        for (name, r) in metrics {
            let (_, label, _) = main_field(&r.metric);
            let card = if super::explain::is_explain(r) {
                super::explain::overview_card(r, name)
            } else {
                headline_card(r, Some(&format!("{name} · {label}"))).0
            };
            s.push_str(&format!(
                "<a class=\"cardlink\" href=\"#m-{}\">{card}</a>",
                esc(&super::slug(name))
            ));
        }
        s.push_str("</div></section>\n");
    }
    for (name, r) in metrics {
        s.push_str(&metric_section(name, r));
    }
    s.push_str(&format!(
        "<footer>Made by cxm {}. Intervals are confidence intervals at the level in each metric's definition; a hollow point is a partial period.</footer>\n",
        env!("CARGO_PKG_VERSION")
    ));
    s.push_str("</main>\n</body>\n</html>\n");
    s
}

/// The page for one metric (`--format html` of a metric command).
pub fn page_one(r: &Report) -> String {
    let checks: Vec<CheckLine> = r
        .checks
        .iter()
        .map(|c| CheckLine {
            metric: r.metric.clone(),
            assert: c.assert.clone(),
            value: c.value,
            passed: c.passed,
            low_n: c.low_n,
            n: check_n(r, &c.assert),
        })
        .collect();
    page(
        &format!("cxm {}", r.metric),
        r.as_of.as_deref(),
        &[(r.metric.clone(), r)],
        &checks,
    )
}

/// The `n` of the row a check looked at: the total, or the latest complete period.
pub fn check_n(r: &Report, assert: &str) -> Option<u64> {
    let row = if assert.trim_start().starts_with("latest.") {
        period_rows(r)
            .into_iter()
            .rev()
            .find(|row| !row.partial)
            .map(|row| &row.fields)
    } else {
        Some(&r.total)
    };
    row.and_then(|f| f.get("n")).and_then(|v| v.as_u64())
}

fn checks_section(checks: &[CheckLine]) -> String {
    let mut s = String::from("<section class=\"checks\"><h2>Checks</h2><table class=\"checks\"><thead><tr><th class=\"key\">status</th><th class=\"key\">metric</th><th class=\"key\">check</th><th>value</th><th>n</th></tr></thead><tbody>\n");
    for c in checks {
        let badge = if c.passed {
            "<span class=\"badge pass\">PASS</span>"
        } else {
            "<span class=\"badge fail\">FAIL</span>"
        };
        s.push_str(&format!(
            "<tr><td class=\"status\">{badge}{}</td><td class=\"key\">{}</td><td class=\"key\"><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
            if c.low_n { " <span class=\"badge low\">low n</span>" } else { "" },
            esc(&c.metric),
            esc(&c.assert),
            c.value.map_or("null".into(), short_number),
            c.n.map_or("–".into(), table::thousands),
        ));
    }
    s.push_str("</tbody></table></section>\n");
    s
}

/// The headline card of a metric: the latest complete period and its delta when a period
/// is set, else the total; the interval; n. Returns the card, the fields it shows and the
/// period it describes.
fn headline_card<'r>(
    r: &'r Report,
    title: Option<&str>,
) -> (String, &'r Map<String, Value>, Option<String>) {
    let (key, label, f) = main_field(&r.metric);
    let unit = r.unit.as_deref();
    // Headline: the latest complete period (and its delta) when a period is set, else the total.
    let series = period_rows(r);
    let complete: Vec<&&Row> = series.iter().filter(|row| !row.partial).collect();
    let is_matrix = r.extra.contains_key("cohorts");
    let (fields, when, prev) = if r.period.is_some() && !complete.is_empty() && !is_matrix {
        let last = complete[complete.len() - 1];
        let prev = if complete.len() >= 2 {
            Some(complete[complete.len() - 2])
        } else {
            None
        };
        (&last.fields, last.period.clone(), prev)
    } else {
        (&r.total, None, None)
    };
    let value = get_f(fields, key);
    let mut card = format!(
        "<div class=\"card main\"><div class=\"label\">{}{}</div><div class=\"value\">{}</div>",
        esc(title.unwrap_or(label)),
        when.as_ref()
            .map(|p| format!(" · {}", esc(p)))
            .unwrap_or_else(|| " · total".into()),
        value.map_or("–".into(), |v| esc(&fmt_value(v, f, unit)))
    );
    if let (Some(lo), Some(hi)) = (get_f(fields, "ci_low"), get_f(fields, "ci_high")) {
        card.push_str(&format!(
            "<div class=\"sub\">interval [{}, {}]</div>",
            esc(&fmt_value(lo, f, unit)),
            esc(&fmt_value(hi, f, unit))
        ));
    }
    if let Some(p) = prev {
        if let (Some(v), Some(pv)) = (value, get_f(&p.fields, key)) {
            let d = v - pv;
            // Green for better: lower is better for churn and ticket times.
            let lower_better = matches!(r.metric.as_str(), "churn" | "tickets");
            let better = if lower_better { d < 0.0 } else { d > 0.0 };
            let class = if d == 0.0 {
                ""
            } else if better {
                "up"
            } else {
                "down"
            };
            card.push_str(&format!(
                "<div class=\"sub\"><span class=\"{class}\">{}</span> vs {}</div>",
                esc(&fmt_delta(d, f, unit)),
                esc(p.period.as_deref().unwrap_or(""))
            ));
        }
    }
    if let Some(n) = fields.get("n").and_then(|v| v.as_u64()) {
        card.push_str(&format!(
            "<div class=\"sub\">n {}{}</div>",
            table::thousands(n),
            if fields.get("low_n").and_then(|v| v.as_bool()) == Some(true) {
                " <span class=\"badge low\">low n</span>"
            } else {
                ""
            }
        ));
    }
    card.push_str("</div>");
    (card, fields, when)
}

fn metric_section(name: &str, r: &Report) -> String {
    let (key, label, f) = main_field(&r.metric);
    let unit = r.unit.as_deref();
    let mut s = format!(
        "<section class=\"metric\" id=\"m-{}\"><h2>{}<span class=\"kind\">{}</span></h2>\n",
        esc(&super::slug(name)),
        esc(name),
        esc(&r.metric)
    );
    if super::explain::is_explain(r) {
        s.push_str(&super::explain::html_body(r));
        s.push_str("<h3>Segments</h3>");
        s.push_str(&grid_table(r));
        s.push_str(&inputs_and_warnings(r));
        s.push_str("</section>\n");
        return s;
    }
    let series = period_rows(r);
    let is_matrix = r.extra.contains_key("cohorts");
    let (card, fields, when) = headline_card(r, None);
    s.push_str("<div class=\"cards\">");
    s.push_str(&card);
    // Other headline columns as small cards.
    for c in &r.headline {
        if c.key == key || c.key == "ci" || c.key == "n" {
            continue;
        }
        let shown = match c.kind {
            ColKind::Interval => continue,
            _ => table::headline_cell(fields, c.key, c.kind, unit),
        };
        s.push_str(&format!(
            "<div class=\"card\"><div class=\"label\">{}</div><div class=\"stat\">{}</div></div>",
            esc(c.label),
            esc(&shown)
        ));
    }
    if is_matrix {
        if let Some(n) = r.total.get("cohorts").and_then(|v| v.as_u64()) {
            s.push_str(&format!(
                "<div class=\"card\"><div class=\"label\">Cohorts</div><div class=\"stat\">{n}</div></div>"
            ));
        }
    }
    if let Some(m) = get_f(&r.total, "median") {
        let u = r
            .total
            .get("unit")
            .and_then(|v| v.as_str())
            .unwrap_or("days");
        s.push_str(&format!(
            "<div class=\"card\"><div class=\"label\">Median survival</div><div class=\"stat\">{} {}</div></div>",
            short_number(m),
            esc(u)
        ));
    }
    s.push_str("</div>\n");

    // Trend over periods.
    if r.period.is_some() && !series.is_empty() && !is_matrix {
        let pts: Vec<Point> = series
            .iter()
            .map(|row| Point {
                label: row.period.clone().unwrap_or_default(),
                value: get_f(&row.fields, key),
                partial: row.partial,
            })
            .collect();
        s.push_str(&format!(
            "<h3>{} per {}</h3>",
            esc(label),
            esc(r.period.as_deref().unwrap_or("period"))
        ));
        s.push_str(&svg::trend(&pts, &format!("{label} per period"), &|v| {
            fmt_value(v, f, unit)
        }));
        s.push('\n');
    }

    // Groups: the total per group, or the latest complete period's value per group.
    if !r.by.is_empty() {
        let latest = when.clone();
        let items: Vec<(String, Option<f64>)> = r
            .rows
            .iter()
            .filter(|row| row.group.is_some() && row.period == latest)
            .map(|row| {
                (
                    group_label(row.group.as_deref().unwrap_or(&[])),
                    get_f(&row.fields, key),
                )
            })
            .collect();
        if !items.is_empty() {
            s.push_str(&format!(
                "<h3>{} by {}{}</h3>",
                esc(label),
                esc(&r.by.join(", ")),
                latest
                    .map(|p| format!(" · {}", esc(&p)))
                    .unwrap_or_default()
            ));
            s.push_str(&svg::hbars(&items, &format!("{label} by group"), &|v| {
                fmt_value(v, f, unit)
            }));
            s.push('\n');
        }
    }

    // Distribution.
    if let Some(Value::Object(dist)) = r.total.get("distribution") {
        let sat: Option<i64> = r
            .definition
            .get("satisfied")
            .and_then(|v| v.as_str())
            .and_then(|t| t.trim_start_matches(">=").trim().parse().ok());
        let items: Vec<(String, f64, &str)> = dist
            .iter()
            .map(|(k, v)| {
                let x: Option<i64> = k.parse().ok();
                let class = match (r.metric.as_str(), x) {
                    ("nps", Some(x)) if x <= 6 => "detractor",
                    ("nps", Some(x)) if x <= 8 => "passive",
                    ("nps", Some(_)) => "promoter",
                    ("csat", Some(x)) => match sat {
                        Some(t) if x >= t => "satisfied",
                        Some(_) => "unsatisfied",
                        None => "",
                    },
                    _ => "",
                };
                (k.clone(), v.as_f64().unwrap_or(0.0), class)
            })
            .collect();
        s.push_str("<h3>Distribution of answers</h3>");
        s.push_str(&svg::bars(&items, "distribution of answers"));
        s.push('\n');
    }

    // Survival curve.
    if let Some(Value::Array(pts)) = r.total.get("survival") {
        let u = r
            .total
            .get("unit")
            .and_then(|v| v.as_str())
            .unwrap_or("days");
        let points: Vec<Point> = pts
            .iter()
            .map(|p| Point {
                label: format!(
                    "{} {u}",
                    p.get("t")
                        .and_then(|v| v.as_f64())
                        .map_or("?".into(), short_number)
                ),
                value: p.get("s").and_then(|v| v.as_f64()).map(|x| 100.0 * x),
                partial: false,
            })
            .collect();
        if !points.is_empty() {
            s.push_str("<h3>Survival (Kaplan–Meier), % still active</h3>");
            s.push_str(&svg::trend(&points, "survival", &|v| format!("{v:.0}%")));
            s.push('\n');
        }
    }

    // Cohort heat map.
    if let Some(Value::Array(cohorts)) = r.extra.get("cohorts") {
        let revenue = r.definition.get("measure").and_then(|v| v.as_str()) == Some("mrr");
        s.push_str(&heat_map(cohorts, r.extra.get("all"), revenue));
    }

    // Every row.
    if !r.rows.is_empty() {
        s.push_str("<h3>Rows</h3>");
        s.push_str(&grid_table(r));
    } else if !is_matrix {
        s.push_str("<h3>All fields</h3>");
        s.push_str(&grid_table(r));
    }

    s.push_str(&inputs_and_warnings(r));
    s.push_str("</section>\n");
    s
}

/// The row accounting of the inputs and the warnings, under a metric's section.
fn inputs_and_warnings(r: &Report) -> String {
    let mut s = String::new();
    if !r.inputs.is_empty() {
        let parts: Vec<String> = r
            .inputs
            .iter()
            .map(|i| {
                esc(&format!(
                    "{}: {} rows, {} used, {} blank, {} rejected",
                    i.path,
                    table::thousands(i.rows),
                    table::thousands(i.used),
                    table::thousands(i.blank),
                    table::thousands(i.rejected)
                ))
            })
            .collect();
        s.push_str(&format!("<p class=\"muted\">{}</p>", parts.join("<br>")));
    }
    if !r.warnings.is_empty() {
        s.push_str("<ul class=\"warn\">");
        for w in &r.warnings {
            s.push_str(&format!("<li>{}</li>", esc(w)));
        }
        s.push_str("</ul>");
    }
    s
}

fn grid_table(r: &Report) -> String {
    let g = if super::explain::is_explain(r) {
        super::explain::grid(r)
    } else if r.rows.is_empty() {
        table::field_list(r)
    } else {
        table::grid(r, false)
    };
    let lead = if r.rows.is_empty() {
        1
    } else {
        r.by.len() + usize::from(r.period.is_some())
    };
    let mut s = String::from("<div class=\"scroll\"><table class=\"rows\"><thead><tr>");
    for (i, h) in g.header.iter().enumerate() {
        s.push_str(&format!(
            "<th{}>{}</th>",
            if i < lead { " class=\"key\"" } else { "" },
            esc(h)
        ));
    }
    s.push_str("</tr></thead><tbody>\n");
    let n = g.rows.len();
    for (ri, row) in g.rows.iter().enumerate() {
        let total = !r.rows.is_empty() && ri + 1 == n;
        s.push_str(if total {
            "<tr class=\"total\">"
        } else {
            "<tr>"
        });
        for (i, c) in row.iter().enumerate() {
            s.push_str(&format!(
                "<td{}>{}</td>",
                if i < lead || r.rows.is_empty() {
                    " class=\"key\""
                } else {
                    ""
                },
                esc(c)
            ));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table></div>\n");
    s
}

fn heat_map(cohorts: &[Value], all: Option<&Value>, revenue: bool) -> String {
    let width = cohorts
        .iter()
        .filter_map(|c| c["pct"].as_array().map(|a| a.len()))
        .max()
        .unwrap_or(0);
    let mut s = format!(
        "<h3>Cohort retention, {}</h3><div class=\"scroll\"><table class=\"heat\"><thead><tr><th class=\"key\">cohort</th><th>size</th>",
        if revenue {
            "% of the cohort's MRR in its first period"
        } else {
            "% of the cohort's customers"
        }
    );
    for k in 0..width {
        s.push_str(&format!("<th>+{k}</th>"));
    }
    s.push_str("</tr></thead><tbody>\n");
    let cell = |v: &Value| -> String {
        match v.as_f64() {
            Some(p) => {
                let t = (p / 100.0).clamp(0.0, 1.0);
                // Light to deep blue.
                let l = 96.0 - 58.0 * t;
                let fg = if t > 0.55 { "#fff" } else { "#1d2330" };
                format!("<td style=\"background:hsl(215,70%,{l:.0}%);color:{fg}\">{p:.0}%</td>")
            }
            None => "<td class=\"muted\">·</td>".into(),
        }
    };
    for co in cohorts {
        s.push_str(&format!(
            "<tr><td class=\"key\">{}</td><td>{}</td>",
            esc(co["cohort"].as_str().unwrap_or("")),
            esc(&table::display_value(&co["size"]))
        ));
        let p = co["pct"].as_array().cloned().unwrap_or_default();
        for k in 0..width {
            s.push_str(&p.get(k).map_or("<td></td>".into(), cell));
        }
        s.push_str("</tr>\n");
    }
    if let Some(all) = all {
        s.push_str("<tr class=\"total\"><td class=\"key\">all</td><td></td>");
        let p = all["pct"].as_array().cloned().unwrap_or_default();
        for k in 0..width {
            s.push_str(&p.get(k).map_or("<td></td>".into(), cell));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table></div>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(41.2666), "41.27");
        assert_eq!(short_number(21.4), "21.4");
        assert_eq!(short_number(30.0), "30");
    }
}
