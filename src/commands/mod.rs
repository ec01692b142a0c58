//! One thin file per subcommand: glue between the input layer, the metrics and the output.

pub mod aggregates;
pub mod check;
pub mod churn;
pub mod emit_sql;
pub mod explain;
pub mod inspect;
pub mod report;
pub mod retention;
pub mod shell;
pub mod sql;
pub mod survey;
pub mod tickets;

use anyhow::Result;
use serde_json::{json, Map};

use crate::cli::{CesArgs, Command, CsatArgs, NpsArgs, PmfArgs};
use crate::error::{EXIT_ASSERT, EXIT_OK};
use crate::fail;
use crate::input::schema::Dataset;
use crate::metrics::stats::{self, NpsMethod};
use crate::metrics::survey::{CsatScale, ScoreKind, Settings};
use crate::output;
use crate::plan::{self, Common};
use crate::report::{InputCount, Report};

/// A metric command's report, computed without printing or writing anything; `None` for the
/// commands that are not metrics. The one dispatch of metric commands: `cxm` emits the
/// report, `cxm report` and `cxm check` collect it.
pub fn compute(cmd: &Command) -> Option<Result<(Report, Common)>> {
    let once = || match cmd {
        Command::Nps(a) => Some(nps_compute(a)),
        Command::Csat(a) => Some(csat_compute(a)),
        Command::Ces(a) => Some(ces_compute(a)),
        Command::Pmf(a) => Some(pmf_compute(a)),
        Command::Tickets(a) => Some(tickets::compute(a)),
        Command::Churn(a) => Some(churn::compute(a)),
        Command::Retention(a) => Some(retention::compute(a)),
        _ => None,
    };
    crate::input::read::take_warnings();
    crate::input::read::heads_taken();
    let mut out = once()?;
    // A large NDJSON input opened by its head: a run that fails (the head lacked a column,
    // or the pass found one) runs again on inputs opened in full, which decides; the notes
    // already printed are not printed again.
    if let Err(e) = &out {
        if crate::input::read::run_again(e) {
            crate::input::read::take_warnings();
            crate::diagnostics::replay();
            out = once()?;
        }
    }
    // The read's warnings (skipped lines, malformed records) come first.
    Some(out.map(|(mut report, c)| {
        let mut w = crate::input::read::take_warnings();
        if !w.is_empty() {
            w.append(&mut report.warnings);
            report.warnings = w;
        }
        // `--max-rejected` is checked after the asserts, so their order is the config's.
        if let Some(m) = c.max_rejected {
            let rejected = report.inputs.iter().map(|i| i.rejected).sum();
            let rows = report.inputs.iter().map(|i| i.rows).sum();
            report.checks.push(m.check(rejected, rows));
        }
        (report, c)
    }))
}

/// Render a computed report in its command's format, write it (stdout or `-o`), print the
/// warnings and return the exit code.
pub fn emit(report: &Report, c: Common) -> Result<u8> {
    let bytes = output::render(report, c.format, c.wide);
    let mut c = c;
    if let Some(sink) = c.sink.take() {
        sink.write(&bytes)?;
    }
    finish(report, &c)
}

fn settings(confidence: f64, method: NpsMethod) -> Settings {
    Settings {
        z: stats::z_for(confidence),
        nps_method: method,
    }
}

/// The NPS report, computed without printing or writing.
pub fn nps_compute(a: &NpsArgs) -> Result<(Report, Common)> {
    let mut c = plan::common(&a.common, Dataset::Survey)?;
    plan::explain(&a.explain, &mut c)?;
    let method = nps_method(&a.ci)?;
    let mut d = Map::new();
    d.insert("scale".into(), json!("0-10"));
    d.insert("promoters".into(), json!("9-10"));
    d.insert("passives".into(), json!("7-8"));
    d.insert("detractors".into(), json!("0-6"));
    d.insert("ci".into(), json!(a.ci));
    d.insert("confidence".into(), json!(c.confidence));
    let s = settings(c.confidence, method);
    survey::compute(ScoreKind::Nps, c, s, d)
}

/// The CSAT report, computed without printing or writing.
pub fn csat_compute(a: &CsatArgs) -> Result<(Report, Common)> {
    let mut c = plan::common(&a.common, Dataset::Survey)?;
    plan::explain(&a.explain, &mut c)?;
    let (scale, satisfied) = csat_scale(&a.scale, a.satisfied)?;
    let mut d = Map::new();
    d.insert("scale".into(), json!(a.scale));
    d.insert(
        "satisfied".into(),
        if scale == CsatScale::Binary {
            json!("good")
        } else {
            json!(format!(">= {satisfied}"))
        },
    );
    d.insert("invert".into(), json!(a.invert));
    d.insert("interval".into(), json!("wilson"));
    d.insert("confidence".into(), json!(c.confidence));
    let s = settings(c.confidence, NpsMethod::AdjustedWald);
    survey::compute(
        ScoreKind::Csat {
            scale,
            invert: a.invert,
            satisfied,
        },
        c,
        s,
        d,
    )
}

/// The CES report, computed without printing or writing.
pub fn ces_compute(a: &CesArgs) -> Result<(Report, Common)> {
    let mut c = plan::common(&a.common, Dataset::Survey)?;
    plan::explain(&a.explain, &mut c)?;
    let (scale, easy) = ces_scale(&a.scale, a.easy)?;
    let mut d = Map::new();
    d.insert("scale".into(), json!(format!("1-{scale}")));
    d.insert("easy".into(), json!(format!(">= {easy}")));
    d.insert(
        "difficult".into(),
        json!(format!("<= {}", if scale == 7 { 3 } else { 2 })),
    );
    d.insert("invert".into(), json!(a.invert));
    d.insert("confidence".into(), json!(c.confidence));
    let s = settings(c.confidence, NpsMethod::AdjustedWald);
    survey::compute(
        ScoreKind::Ces {
            scale,
            invert: a.invert,
            easy,
        },
        c,
        s,
        d,
    )
}

/// The PMF report, computed without printing or writing.
pub fn pmf_compute(a: &PmfArgs) -> Result<(Report, Common)> {
    let mut c = plan::common(&a.common, Dataset::Survey)?;
    plan::explain(&a.explain, &mut c)?;
    let numeric = pmf_numeric(a.scale.as_deref())?;
    let mut d = Map::new();
    d.insert(
        "answers".into(),
        json!([
            "very disappointed",
            "somewhat disappointed",
            "not disappointed"
        ]),
    );
    d.insert("threshold".into(), json!(40));
    d.insert("confidence".into(), json!(c.confidence));
    let s = settings(c.confidence, NpsMethod::AdjustedWald);
    survey::compute(ScoreKind::Pmf { numeric }, c, s, d)
}

/// `--ci` of NPS.
pub fn nps_method(ci: &str) -> Result<NpsMethod> {
    Ok(match ci {
        "adjusted-wald" => NpsMethod::AdjustedWald,
        "wald" => NpsMethod::Wald,
        other => fail!("--ci {other:?}: use adjusted-wald or wald"),
    })
}

/// CSAT's `--scale` and `--satisfied`, checked (SPEC 6.2): the scale and the lowest
/// satisfied point.
pub fn csat_scale(scale: &str, satisfied: Option<i64>) -> Result<(CsatScale, i64)> {
    let (scale, default_sat) = match scale.to_lowercase().as_str() {
        "2" => (CsatScale::Points(2), 2),
        "3" => (CsatScale::Points(3), 3),
        "5" => (CsatScale::Points(5), 4),
        "7" => (CsatScale::Points(7), 6),
        "10" => (CsatScale::Points(10), 8),
        "binary" => (CsatScale::Binary, 1),
        other => fail!("--scale {other:?}: use 2, 3, 5, 7, 10 or binary"),
    };
    let given = satisfied;
    let satisfied = satisfied.unwrap_or(default_sat);
    if let CsatScale::Points(k) = scale {
        if satisfied < 1 || satisfied > k {
            fail!("--satisfied {satisfied}: must be a point of the 1–{k} scale");
        }
    } else if given.is_some() {
        fail!("--satisfied does not apply to --scale binary (good is satisfied)");
    }
    Ok((scale, satisfied))
}

/// CES's `--scale` and `--easy`, checked (SPEC 6.3): the scale and the lowest easy point.
pub fn ces_scale(scale: &str, easy: Option<i64>) -> Result<(i64, i64)> {
    let scale: i64 = match scale {
        "5" => 5,
        "7" => 7,
        other => fail!("--scale {other:?}: use 5 or 7"),
    };
    let easy = easy.unwrap_or(if scale == 7 { 5 } else { 4 });
    if easy < 1 || easy > scale {
        fail!("--easy {easy}: must be a point of the 1–{scale} scale");
    }
    Ok((scale, easy))
}

/// PMF's `--scale` (SPEC 6.4): whether answers 1–3 are read.
pub fn pmf_numeric(scale: Option<&str>) -> Result<bool> {
    let numeric = match scale {
        None => false,
        Some("3") => true,
        Some(other) => fail!("--scale {other:?}: the only numeric PMF scale is 3 (1 = not, 2 = somewhat, 3 = very disappointed)"),
    };
    Ok(numeric)
}

/// `responses.csv: 10,000 rows, 9,812 used, 150 blank, 38 rejected`
pub fn summary_line(i: &InputCount) -> String {
    use output::table::thousands;
    let mut s = format!(
        "{}: {} rows, {} used, {} blank, {} rejected",
        i.path,
        thousands(i.rows),
        thousands(i.used),
        thousands(i.blank),
        thousands(i.rejected)
    );
    if i.filtered > 0 {
        s.push_str(&format!(", {} filtered", thousands(i.filtered)));
    }
    if i.duplicate > 0 {
        s.push_str(&format!(", {} duplicate", thousands(i.duplicate)));
    }
    s
}

/// Warnings, per-input summary lines and failed checks on stderr; the exit code.
pub fn finish(report: &Report, c: &Common) -> Result<u8> {
    if !c.quiet {
        for w in &report.warnings {
            eprintln!("cxm: warning: {w}");
        }
        if matches!(
            c.format,
            output::OutFormat::Table | output::OutFormat::Markdown
        ) {
            for i in &report.inputs {
                eprintln!("{}", summary_line(i));
            }
        }
    }
    for ch in &report.checks {
        if !ch.passed {
            let v = ch.value.map_or("null".to_string(), |v| format!("{v}"));
            eprintln!(
                "cxm: assert failed: {} (value {v}{})",
                ch.assert,
                if ch.low_n { ", low n" } else { "" }
            );
        }
    }
    Ok(if report.failed() {
        EXIT_ASSERT
    } else {
        EXIT_OK
    })
}
