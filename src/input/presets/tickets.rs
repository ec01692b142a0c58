//! Ticket presets (SPEC 5, docs/presets.md): Zendesk (admin CSV export, API / incremental
//! JSON with side-loaded `metric_sets`, full JSON export as NDJSON), Freshdesk (CSV),
//! Intercom (conversations JSON) and Jira Service Management (CSV).

use anyhow::Result;

use super::{derive, ensure_table, find, has, map, Applied};
use crate::input::read::{Format, Source};
use crate::time::Tz;

/// The ticket presets, in detection order.
pub const NAMES: &[&str] = &["zendesk", "freshdesk", "intercom", "jira-sm"];

/// Which ticket preset the headers look like, if any.
pub fn detect(src: &Source) -> Option<&'static str> {
    let h = &src.headers;
    let any = |names: &[&str]| names.iter().any(|n| has(h, n));
    // Zendesk admin CSV export: `Id` and `Created at`, and at least three of its typical
    // headers, so that one missing (an export with `Requester id` but no `Requester`) does
    // not hide the format.
    let count = |names: &[&str]| names.iter().filter(|n| has(h, n)).count();
    if has(h, "Id")
        && has(h, "Created at")
        && count(&[
            "Requester",
            "Requester id",
            "Summation column",
            "First reply time in minutes",
            "Solved at",
            "Ticket type",
            "Assignee",
            "Via",
            "Full resolution time in minutes",
            "Requester wait time in minutes",
        ]) >= 3
    {
        return Some("zendesk");
    }
    // Zendesk API ticket objects (flattened): `via.channel`, or a side-loaded metric set.
    if has(h, "id")
        && has(h, "created_at")
        && (has(h, "via.channel") || h.iter().any(|x| x.starts_with("metric_set.")))
    {
        return Some("zendesk");
    }
    // A warehouse sync of Zendesk's `ticket` table (Fivetran and others write `via.channel`
    // as `via_channel`).
    if has(h, "id")
        && has(h, "created_at")
        && has(h, "via_channel")
        && (has(h, "requester_id") || has(h, "status"))
    {
        return Some("zendesk");
    }
    if has(h, "Ticket ID")
        && has(h, "Created time")
        && any(&["Resolved time", "Closed time", "Initial response time"])
    {
        return Some("freshdesk");
    }
    // Intercom conversations: `statistics` (an object, or null in every record) and
    // Intercom's state / open fields.
    if has(h, "id")
        && has(h, "created_at")
        && (has(h, "statistics") || h.iter().any(|x| x.starts_with("statistics.")))
        && (has(h, "state") || has(h, "open"))
    {
        return Some("intercom");
    }
    // A warehouse sync of Intercom's `conversation_history` table: `source.*` and
    // `statistics.*` become `source_type`, `source_delivered_as`, ….
    if has(h, "id")
        && has(h, "created_at")
        && has(h, "updated_at")
        && has(h, "state")
        && (has(h, "source_delivered_as") || has(h, "source_type"))
    {
        return Some("intercom");
    }
    if has(h, "Issue key")
        && has(h, "Created")
        && any(&["Status Category", "Custom field (Request Type)", "Issue id"])
    {
        return Some("jira-sm");
    }
    None
}

/// Minutes from a Freshdesk "(in hrs)" cell: `HH:MM:SS` (or `HH:MM`), or decimal hours.
pub fn hours_cell_minutes(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return None;
        }
        let nums: Option<Vec<f64>> = parts
            .iter()
            .map(|p| {
                let p = p.trim();
                (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse::<f64>().ok())
                    .flatten()
            })
            .collect();
        let n = nums?;
        if n[1] >= 60.0 || n.get(2).is_some_and(|x| *x >= 60.0) {
            return None;
        }
        return Some(n[0] * 60.0 + n[1] + n.get(2).copied().unwrap_or(0.0) / 60.0);
    }
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
        .map(|h| h * 60.0)
}

fn fmt_minutes(m: f64) -> String {
    let s = format!("{m:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Apply ticket preset `name`.
pub fn apply(sources: &mut [Source], name: &str, a: &mut Applied) -> Result<()> {
    match name {
        "zendesk" => zendesk(sources, a),
        "freshdesk" => freshdesk(sources, a),
        "intercom" => intercom(sources, a),
        _ => jira(sources, a),
    }
}

fn solved(status: Option<String>) -> bool {
    status.is_some_and(|s| matches!(s.trim().to_ascii_lowercase().as_str(), "solved" | "closed"))
}

fn zendesk(sources: &mut [Source], a: &mut Applied) -> Result<()> {
    let json = sources[0].format != Format::Csv;
    if json {
        a.zone = Some(Tz::UTC);
        // A metric set's `solved_at` stays after a reopen; the ticket counts as resolved
        // only while its status is solved or closed.
        for src in sources.iter_mut() {
            if src.headers.iter().any(|h| h == "metric_set.solved_at") {
                ensure_table(src)?;
                derive(src, "cxm_resolved_at", |get| {
                    if solved(get("status")) {
                        get("metric_set.solved_at")
                    } else {
                        None
                    }
                });
            }
        }
    }
    // Canonical column, API / JSON export field, admin CSV header.
    const COLS: &[(&str, &str, &str)] = &[
        ("ticket_id", "id", "Id"),
        ("created_at", "created_at", "Created at"),
        ("updated_at", "updated_at", "Updated at"),
        ("status", "status", "Status"),
        ("priority", "priority", "Priority"),
        ("channel", "via.channel", "Via"),
        ("resolved_at", "cxm_resolved_at", "Solved at"),
        ("reopens", "metric_set.reopens", "Reopens"),
        (
            "first_response_minutes",
            "metric_set.reply_time_in_minutes.calendar",
            "First reply time in minutes",
        ),
        (
            "first_response_business_minutes",
            "metric_set.reply_time_in_minutes.business",
            "First reply time in minutes within business hours",
        ),
        (
            "resolution_minutes",
            "metric_set.full_resolution_time_in_minutes.calendar",
            "Full resolution time in minutes",
        ),
        (
            "resolution_business_minutes",
            "metric_set.full_resolution_time_in_minutes.business",
            "Full resolution time in minutes within business hours",
        ),
    ];
    // The admin CSV writes dates in the account's time zone (naive → --input-tz / --tz).
    // A warehouse table exported to CSV has the API's field names with `_` for `.`.
    let h = &sources[0].headers;
    for (canon, field, header) in COLS {
        if json {
            map(a, h, canon, &[field]);
        } else {
            map(a, h, canon, &[header, &field.replace('.', "_")]);
        }
    }
    Ok(())
}

fn freshdesk(sources: &mut [Source], a: &mut Applied) -> Result<()> {
    let h0 = sources[0].headers.clone();
    let first_hrs = find(&h0, &["First response time (in hrs)"]).cloned();
    let res_hrs = find(&h0, &["Resolution time (in hrs)"]).cloned();
    // The "(in hrs)" durations (`HH:MM:SS` or decimal hours) become minutes.
    if first_hrs.is_some() || res_hrs.is_some() {
        for src in sources.iter_mut() {
            ensure_table(src)?;
            for (from, to) in [
                (&first_hrs, "cxm_first_response_minutes"),
                (&res_hrs, "cxm_resolution_minutes"),
            ] {
                if let Some(col) = from {
                    derive(src, to, |get| {
                        get(col)
                            .and_then(|v| hours_cell_minutes(&v))
                            .map(fmt_minutes)
                    });
                }
            }
        }
    }
    let h = &sources[0].headers;
    map(a, h, "ticket_id", &["Ticket ID"]);
    map(a, h, "created_at", &["Created time"]);
    map(a, h, "first_response_at", &["Initial response time"]);
    // Used for the first response only without `Initial response time`, and as the
    // exported duration with --use-exported-durations.
    map(
        a,
        h,
        "first_response_minutes",
        &["cxm_first_response_minutes"],
    );
    map(a, h, "resolution_minutes", &["cxm_resolution_minutes"]);
    // Resolved, else Closed (a closed ticket was resolved at the latest then).
    map(a, h, "resolved_at", &["Resolved time", "Closed time"]);
    map(a, h, "updated_at", &["Last updated time"]);
    map(a, h, "status", &["Status"]);
    map(a, h, "priority", &["Priority"]);
    map(a, h, "channel", &["Source"]);
    Ok(())
}

fn intercom(sources: &mut [Source], a: &mut Applied) -> Result<()> {
    a.zone = Some(Tz::UTC);
    // A conversation that is not closed now is open, even with an earlier close.
    for src in sources.iter_mut() {
        // A warehouse table exported to CSV is read into memory to add the column.
        ensure_table(src)?;
        derive(src, "cxm_resolved_at", |get| {
            let closed = get("state").is_some_and(|s| s.trim().eq_ignore_ascii_case("closed"))
                || get("open").is_some_and(|s| s.trim() == "false");
            if closed {
                get("statistics.last_close_at")
                    .or_else(|| get("statistics_last_close_at"))
                    .or_else(|| get("updated_at"))
            } else {
                None
            }
        });
    }
    let h = &sources[0].headers;
    map(a, h, "ticket_id", &["id"]);
    map(a, h, "created_at", &["created_at"]);
    map(a, h, "updated_at", &["updated_at"]);
    map(
        a,
        h,
        "first_response_at",
        &[
            "statistics.first_admin_reply_at",
            "statistics_first_admin_reply_at",
        ],
    );
    map(a, h, "resolved_at", &["cxm_resolved_at"]);
    map(
        a,
        h,
        "reopens",
        &["statistics.count_reopens", "statistics_count_reopens"],
    );
    map(a, h, "status", &["state"]);
    map(a, h, "priority", &["priority"]);
    map(
        a,
        h,
        "channel",
        &[
            "source.delivered_as",
            "source.type",
            "source_delivered_as",
            "source_type",
        ],
    );
    Ok(())
}

fn jira(sources: &mut [Source], a: &mut Applied) -> Result<()> {
    // `15/Jan/25 9:05 AM` (the default Jira date format; naive local time).
    a.date_formats = vec!["%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p"];
    let h = &sources[0].headers;
    map(a, h, "ticket_id", &["Issue key", "Issue id"]);
    map(a, h, "created_at", &["Created"]);
    map(a, h, "resolved_at", &["Resolved"]);
    map(a, h, "updated_at", &["Updated"]);
    map(a, h, "status", &["Status"]);
    map(a, h, "priority", &["Priority"]);
    map(a, h, "channel", &["Custom field (Request Type)"]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshdesk_hours_cells() {
        assert_eq!(hours_cell_minutes("01:30:00"), Some(90.0));
        assert_eq!(hours_cell_minutes("26:00:30"), Some(1560.5));
        assert_eq!(hours_cell_minutes("0:45"), Some(45.0));
        assert_eq!(hours_cell_minutes("1.5"), Some(90.0));
        assert_eq!(hours_cell_minutes("01:75:00"), None);
        assert_eq!(hours_cell_minutes("soon"), None);
        assert_eq!(hours_cell_minutes("-1"), None);
    }
}
