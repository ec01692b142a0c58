//! Markdown: the table's columns as a pipe table.

use crate::report::Report;

fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &Report, wide: bool) -> String {
    let explain = super::explain::is_explain(report);
    let g = if explain {
        super::explain::grid(report)
    } else if report.rows.is_empty() {
        super::table::field_list(report)
    } else {
        super::table::grid(report, wide)
    };
    let mut s = if explain {
        format!("### {}\n\n", esc(&super::explain::caption(report)))
    } else {
        format!("### {}\n\n", report.metric.to_uppercase())
    };
    s.push_str(&format!(
        "| {} |\n",
        g.header
            .iter()
            .map(|h| esc(h))
            .collect::<Vec<_>>()
            .join(" | ")
    ));
    s.push_str(&format!(
        "|{}|\n",
        g.numeric
            .iter()
            .map(|n| if *n { "---:" } else { "---" })
            .collect::<Vec<_>>()
            .join("|")
    ));
    for r in &g.rows {
        s.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    if explain {
        s.push('\n');
        for l in super::explain::notes(report) {
            s.push_str(&format!("{}  \n", esc(&l)));
        }
    }
    if report.rows.iter().any(|r| r.partial) {
        s.push_str("\n\\* partial period (ends after as-of)\n");
    }
    if let Some(a) = &report.as_of {
        s.push_str(&format!("\nAs of {a}.\n"));
    }
    s
}
