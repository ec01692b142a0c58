//! Subscription presets (SPEC 5, docs/presets.md): Stripe (Dashboard CSV and API JSON),
//! Chargebee (CSV export and API JSON), Recurly (subscriptions CSV export and v3 API JSON).
//!
//! JSON API objects carry money in minor units and several priced items per subscription;
//! the preset derives one monthly amount per subscription (`mrr`, in major units) into the
//! in-memory table, so the churn computation reads them like any `mrr` column.

use anyhow::Result;
use serde_json::Value;

use super::{derive, ensure_table, find, has, Applied};
use crate::input::mapping::normalize;
use crate::input::read::{Format, Source};
use crate::time::Tz;

/// The subscription presets, in detection order.
pub const NAMES: &[&str] = &["stripe", "chargebee", "recurly"];

/// Currencies whose API amounts are whole units (Stripe's zero-decimal list; Chargebee and
/// Recurly follow ISO 4217 minor units the same way).
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];
/// Currencies with three decimals.
const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];

/// Minor units per major unit of `currency`.
pub fn minor_per_major(currency: &str) -> f64 {
    let c = currency.trim().to_ascii_lowercase();
    if ZERO_DECIMAL.contains(&c.as_str()) {
        1.0
    } else if THREE_DECIMAL.contains(&c.as_str()) {
        1000.0
    } else {
        100.0
    }
}

fn has_utc_header(h: &[String]) -> bool {
    h.iter().any(|x| x.trim().ends_with("(UTC)"))
}

/// Chargebee's CSV export prefixes columns with the entity (`subscriptions.id`); the
/// API names have no prefix.
fn cb(h: &[String], name: &str) -> bool {
    has(h, name) || has(h, &format!("subscriptions.{name}"))
}

/// Which subscription preset the headers look like, if any.
pub fn detect(src: &Source) -> Option<&'static str> {
    let h = &src.headers;
    // Stripe Dashboard CSV: `(UTC)` time columns, `Customer ID`, a start column.
    if has_utc_header(h)
        && has(h, "Customer ID")
        && has(h, "Status")
        && (has(h, "Start") || has(h, "Start Date"))
    {
        return Some("stripe");
    }
    // Stripe API subscription objects: `items` list and `start_date`.
    if (has(h, "customer") || has(h, "customer.id"))
        && has(h, "start_date")
        && (has(h, "items.data") || has(h, "items.object"))
    {
        return Some("stripe");
    }
    if cb(h, "customer_id")
        && (cb(h, "billing_period_unit") || cb(h, "subscription_items"))
        && (cb(h, "current_term_end") || cb(h, "activated_at") || cb(h, "started_at"))
    {
        return Some("chargebee");
    }
    if has(h, "uuid")
        && (has(h, "account_code") || has(h, "account.code"))
        && (has(h, "activated_at") || has(h, "state"))
    {
        return Some("recurly");
    }
    None
}

/// The first header matching one of `names`, also with Chargebee's `subscriptions.` prefix.
fn find_cb<'a>(h: &'a [String], names: &[&str]) -> Option<&'a String> {
    names.iter().find_map(|n| {
        find(h, &[n]).or_else(|| {
            let k = normalize(&format!("subscriptions.{n}"));
            h.iter().find(|x| normalize(x) == k)
        })
    })
}

/// Apply subscription preset `name`.
pub fn apply(sources: &mut [Source], name: &str, a: &mut Applied) -> Result<()> {
    match name {
        "stripe" => stripe(sources, a),
        "chargebee" => chargebee(sources, a),
        _ => recurly(sources, a),
    }
}

fn map(a: &mut Applied, h: &[String], canon: &str, names: &[&str]) {
    if let Some(x) = find(h, names) {
        a.cols.insert(canon.into(), x.clone());
    }
}

fn json_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn fmt_amount(x: f64) -> String {
    let s = format!("{x:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Months per unit, as in SPEC 4's `monthly = amount × quantity × f / interval_count`.
fn month_factor(unit: &str) -> Option<f64> {
    crate::metrics::subscriptions::Interval::parse(unit).map(|i| i.factor())
}

/// Stripe `items.data`: Σ unit_amount × quantity × f / interval_count over recurring
/// prices, in major units of the first price's currency. `None` without any priced item.
fn stripe_items(items: &str) -> Option<(f64, String, Option<String>)> {
    let v: Value = serde_json::from_str(items).ok()?;
    let mut total = 0.0;
    let mut priced = false;
    let mut currency: Option<String> = None;
    let mut period_end: Option<i64> = None;
    for it in v.as_array()? {
        if let Some(e) = it.get("current_period_end").and_then(Value::as_i64) {
            period_end = Some(period_end.map_or(e, |p| p.max(e)));
        }
        let price = it.get("price").or_else(|| it.get("plan"))?;
        let cur = price
            .get("currency")
            .and_then(Value::as_str)
            .unwrap_or("usd")
            .to_string();
        let amount = price
            .get("unit_amount")
            .and_then(json_num)
            .or_else(|| price.get("unit_amount_decimal").and_then(json_num))
            .or_else(|| price.get("amount").and_then(json_num));
        let (unit, count) = match price.get("recurring") {
            Some(r) if r.is_object() => (
                r.get("interval").and_then(Value::as_str).unwrap_or("month"),
                r.get("interval_count").and_then(json_num).unwrap_or(1.0),
            ),
            // Legacy plan objects carry the interval themselves.
            _ => match price.get("interval").and_then(Value::as_str) {
                Some(u) => (
                    u,
                    price
                        .get("interval_count")
                        .and_then(json_num)
                        .unwrap_or(1.0),
                ),
                None => continue, // a one-time price is not recurring revenue
            },
        };
        let (Some(amount), Some(f)) = (amount, month_factor(unit)) else {
            continue;
        };
        let qty = it.get("quantity").and_then(json_num).unwrap_or(1.0);
        total += amount / minor_per_major(&cur) * qty * f / count.max(1.0);
        priced = true;
        currency.get_or_insert(cur);
    }
    priced.then(|| {
        (
            total,
            currency.unwrap_or_else(|| "usd".into()),
            period_end.map(|e| e.to_string()),
        )
    })
}

fn stripe(sources: &mut [Source], a: &mut Applied) -> Result<()> {
    a.zone = Some(Tz::UTC);
    for src in sources.iter_mut() {
        if src.table.is_some() && src.headers.iter().any(|h| h == "items.data") {
            derive(src, "mrr", |get| {
                stripe_items(&get("items.data")?).map(|(m, _, _)| fmt_amount(m))
            });
            derive(src, "currency", |get| {
                stripe_items(&get("items.data")?).map(|(_, c, _)| c)
            });
            derive(src, "current_period_end", |get| {
                stripe_items(&get("items.data")?).and_then(|(_, _, e)| e)
            });
        }
    }
    let h = &sources[0].headers;
    let json = sources[0].format != Format::Csv;
    if json {
        map(a, h, "customer_id", &["customer.id", "customer"]);
        map(a, h, "started_at", &["start_date", "start", "created"]);
        map(a, h, "subscription_id", &["id"]);
        map(a, h, "cancel_reason", &["cancellation_details.reason"]);
        map(a, h, "plan", &["plan.nickname", "plan.id"]);
        if has(h, "mrr") {
            map(a, h, "mrr", &["mrr"]);
        }
    } else {
        map(a, h, "customer_id", &["Customer ID"]);
        // `Start (UTC)` or `Start Date (UTC)`; never `Created (UTC)`.
        map(a, h, "started_at", &["Start Date", "Start"]);
        map(a, h, "subscription_id", &["id"]);
        map(a, h, "cancel_reason", &["Cancellation Reason"]);
        map(a, h, "amount", &["Amount"]);
        map(a, h, "interval", &["Interval"]);
        map(a, h, "interval_count", &["Interval Count"]);
        map(a, h, "quantity", &["Quantity"]);
        map(a, h, "plan", &["Plan", "Product", "Price ID"]);
    }
    map(a, h, "ended_at", &["ended_at", "Ended At"]);
    map(a, h, "canceled_at", &["canceled_at", "Canceled At"]);
    map(a, h, "trial_end", &["trial_end", "Trial End"]);
    map(
        a,
        h,
        "current_period_end",
        &["current_period_end", "Current Period End"],
    );
    map(a, h, "status", &["status", "Status"]);
    map(a, h, "currency", &["currency", "Currency"]);
    Ok(())
}

/// Chargebee product-catalog-2.0 `subscription_items`: Σ over plan and addon items of the
/// item amount (else unit_price × quantity), minor units → major.
fn chargebee_items(items: &str, currency: &str) -> Option<f64> {
    let v: Value = serde_json::from_str(items).ok()?;
    let mut total = 0.0;
    let mut priced = false;
    for it in v.as_array()? {
        let kind = it
            .get("item_type")
            .and_then(Value::as_str)
            .unwrap_or("plan");
        if kind == "charge" {
            continue; // one-time charges are not recurring revenue
        }
        let qty = it.get("quantity").and_then(json_num).unwrap_or(1.0);
        let amount = it
            .get("amount")
            .and_then(json_num)
            .or_else(|| it.get("unit_price").and_then(json_num).map(|p| p * qty));
        if let Some(x) = amount {
            total += x;
            priced = true;
        }
    }
    priced.then(|| total / minor_per_major(currency))
}

fn chargebee(sources: &mut [Source], a: &mut Applied) -> Result<()> {
    let json = sources[0].format != Format::Csv;
    if json {
        a.zone = Some(Tz::UTC);
        for src in sources.iter_mut() {
            let cur_col = ["currency_code", "currency"]
                .into_iter()
                .find(|c| src.headers.iter().any(|h| h == c))
                .unwrap_or("currency_code")
                .to_string();
            // The monthly amount in major units: plan_unit_price × plan_quantity (catalog
            // 1.0) or the items' amounts (catalog 2.0), per billing period.
            derive(src, "cxm_mrr", |get| {
                let cur = get(&cur_col).unwrap_or_else(|| "usd".into());
                let per = minor_per_major(&cur);
                let f =
                    month_factor(&get("billing_period_unit").unwrap_or_else(|| "month".into()))?;
                let count: f64 = get("billing_period")
                    .and_then(|q| q.trim().parse().ok())
                    .filter(|c: &f64| *c > 0.0)
                    .unwrap_or(1.0);
                let period = match get("subscription_items").and_then(|i| chargebee_items(&i, &cur))
                {
                    Some(x) => x,
                    None => {
                        let price: f64 = get("plan_unit_price")?.trim().parse().ok()?;
                        let qty: f64 = get("plan_quantity")
                            .and_then(|q| q.trim().parse().ok())
                            .unwrap_or(1.0);
                        price * qty / per
                    }
                };
                Some(fmt_amount(period * f / count))
            });
        }
    }
    let h = &sources[0].headers;
    let m = |a: &mut Applied, canon: &str, names: &[&str]| {
        if let Some(x) = find_cb(h, names) {
            a.cols.insert(canon.into(), x.clone());
        }
    };
    m(a, "customer_id", &["customer_id", "customer.id"]);
    m(
        a,
        "started_at",
        &["started_at", "activated_at", "created_at"],
    );
    // `cancelled_at` is the actual or the scheduled end (non_renewing subscriptions).
    m(a, "ended_at", &["cancelled_at"]);
    m(a, "trial_end", &["trial_end"]);
    m(a, "current_period_end", &["current_term_end"]);
    m(a, "status", &["status"]);
    m(a, "currency", &["currency_code", "currency"]);
    m(a, "cancel_reason", &["cancel_reason", "cancel_reason_code"]);
    m(a, "subscription_id", &["id"]);
    m(a, "plan", &["plan_id"]);
    m(a, "interval", &["billing_period_unit"]);
    m(a, "interval_count", &["billing_period"]);
    if json {
        m(a, "mrr", &["cxm_mrr"]);
    } else {
        m(a, "amount", &["plan_amount", "plan_unit_price"]);
        if a.cols
            .get("amount")
            .is_some_and(|c| normalize(c).ends_with("unit price"))
        {
            m(a, "quantity", &["plan_quantity"]);
        }
    }
    Ok(())
}

/// Billing interval from the current period's length (Recurly's subscription objects do
/// not carry the plan's interval): about a month, a quarter, half a year, a year or a week,
/// else that many days.
pub fn interval_from_period(start: i64, end: i64) -> Option<(&'static str, u32)> {
    if end <= start {
        return None;
    }
    let days = ((end - start) as f64 / 86_400_000.0).round() as i64;
    Some(match days {
        28..=31 => ("month", 1),
        59..=62 => ("month", 2),
        89..=92 => ("month", 3),
        181..=184 => ("month", 6),
        365..=366 => ("year", 1),
        730..=731 => ("year", 2),
        7 => ("week", 1),
        14 => ("week", 2),
        d => ("day", d as u32),
    })
}

fn recurly(sources: &mut [Source], a: &mut Applied) -> Result<()> {
    let h0 = sources[0].headers.clone();
    let has_interval = find(&h0, &["plan_interval_unit", "interval_unit"]).is_some();
    let period_cols = (
        find(&h0, &["current_period_started_at"]).cloned(),
        find(&h0, &["current_period_ends_at"]).cloned(),
    );
    let json = sources[0].format != Format::Csv;
    if json {
        a.zone = Some(Tz::UTC);
    }
    let mut derived = false;
    if !has_interval {
        if let (Some(ps), Some(pe)) = &period_cols {
            let parser = crate::time::TimeParser::new(a.zone.unwrap_or(Tz::UTC), Vec::new());
            for src in sources.iter_mut() {
                ensure_table(src)?;
                let at = |v: Option<String>| v.and_then(|s| parser.parse(&s).ok());
                let span = |get: &dyn Fn(&str) -> Option<String>| {
                    interval_from_period(at(get(ps))?.0, at(get(pe))?.0)
                };
                derive(src, "cxm_interval", |get| {
                    span(get).map(|(u, _)| u.to_string())
                });
                derive(src, "cxm_interval_count", |get| {
                    span(get).map(|(_, n)| n.to_string())
                });
            }
            derived = true;
            a.notes.push("the recurly export has no plan interval; each subscription's interval is taken from the length of its current period (see docs/presets.md)".into());
        }
    }
    let h = &sources[0].headers.clone();
    map(a, h, "customer_id", &["account_code", "account.code"]);
    map(a, h, "subscription_id", &["uuid", "id"]);
    map(a, h, "started_at", &["activated_at", "created_at"]);
    // A canceled Recurly subscription runs until `expires_at`.
    map(a, h, "ended_at", &["expires_at", "expired_at"]);
    map(a, h, "canceled_at", &["canceled_at"]);
    map(a, h, "trial_end", &["trial_ends_at", "trial_ended_at"]);
    map(a, h, "current_period_end", &["current_period_ends_at"]);
    map(a, h, "status", &["state", "status"]);
    map(a, h, "currency", &["currency"]);
    map(a, h, "plan", &["plan_code", "plan.code", "plan_name"]);
    map(a, h, "quantity", &["quantity"]);
    map(a, h, "amount", &["unit_amount", "unit_amount_in_cents"]);
    if a.cols
        .get("amount")
        .is_some_and(|c| normalize(c) == "unit amount in cents")
    {
        // Cents: turn them into major units in a derived column.
        let col = a.cols["amount"].clone();
        for src in sources.iter_mut() {
            ensure_table(src)?;
            derive(src, "cxm_unit_amount", |get| {
                let cur = get("currency").unwrap_or_else(|| "usd".into());
                let x: f64 = get(&col)?.trim().parse().ok()?;
                Some(fmt_amount(x / minor_per_major(&cur)))
            });
        }
        a.cols.insert("amount".into(), "cxm_unit_amount".into());
    }
    if derived {
        a.cols.insert("interval".into(), "cxm_interval".into());
        a.cols
            .insert("interval_count".into(), "cxm_interval_count".into());
    } else {
        map(a, h, "interval", &["plan_interval_unit", "interval_unit"]);
        map(
            a,
            h,
            "interval_count",
            &["plan_interval_length", "interval_length"],
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_items_sum_monthly_major_units() {
        // 2 × 29.00 USD a month + 120.00 USD a year (= 10.00 a month) = 68.00.
        let items = r#"[{"price":{"unit_amount":2900,"currency":"usd","recurring":{"interval":"month","interval_count":1}},"quantity":2,"current_period_end":1748736000},
{"price":{"unit_amount":12000,"currency":"usd","recurring":{"interval":"year","interval_count":1}},"quantity":1,"current_period_end":1767225600}]"#;
        let (m, c, e) = stripe_items(items).unwrap();
        assert!((m - 68.0).abs() < 1e-9, "{m}");
        assert_eq!(c, "usd");
        assert_eq!(e.as_deref(), Some("1767225600"));
        // JPY is zero-decimal: 3000 is ¥3000 a quarter = ¥1000 a month.
        let jpy = r#"[{"price":{"unit_amount":3000,"currency":"jpy","recurring":{"interval":"month","interval_count":3}},"quantity":1}]"#;
        assert!((stripe_items(jpy).unwrap().0 - 1000.0).abs() < 1e-9);
        // A one-time price only: no recurring revenue.
        assert!(stripe_items(
            r#"[{"price":{"unit_amount":500,"currency":"usd","recurring":null}}]"#
        )
        .is_none());
    }

    #[test]
    fn minor_units_per_currency() {
        assert_eq!(minor_per_major("USD"), 100.0);
        assert_eq!(minor_per_major("jpy"), 1.0);
        assert_eq!(minor_per_major("KWD"), 1000.0);
    }

    #[test]
    fn interval_from_the_period_length() {
        let day = 86_400_000;
        assert_eq!(interval_from_period(0, 31 * day), Some(("month", 1)));
        assert_eq!(interval_from_period(0, 365 * day), Some(("year", 1)));
        assert_eq!(interval_from_period(0, 91 * day), Some(("month", 3)));
        assert_eq!(interval_from_period(0, 10 * day), Some(("day", 10)));
        assert_eq!(interval_from_period(5, 5), None);
    }
}
