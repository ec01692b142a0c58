//! Subscription presets (SPEC 5, docs/presets.md): Stripe (Dashboard CSV and API JSON),
//! Chargebee (CSV export and API JSON), Recurly (subscriptions CSV export and v3 API JSON).
//!
//! JSON API objects carry money in minor units and several priced items per subscription;
//! the preset derives one monthly amount per subscription (`mrr`, in major units) into the
//! in-memory table, so the churn computation reads them like any `mrr` column.

use anyhow::Result;
use serde_json::Value;

use super::{derive, ensure_table, find, has, map, Applied};
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
    // Recurly exports and API objects; a warehouse sync (`subscription_history`) has
    // `account_id` instead of `account_code`.
    if has(h, "uuid")
        && (has(h, "account_code") || has(h, "account.code") || has(h, "account_id"))
        && (has(h, "activated_at") || has(h, "state"))
    {
        return Some("recurly");
    }
    // A warehouse sync of Stripe's `subscription` table: the API's fields, flat.
    if has(h, "customer_id")
        && has(h, "start_date")
        && has(h, "status")
        && (has(h, "current_period_end") || has(h, "cancel_at_period_end"))
    {
        return Some("stripe");
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

/// SPEC 6 (never a silent drop): MRR read as `amount` × `quantity` leaves out an add-ons
/// column next to it (Recurly's `add_ons_total`); say so when such a column is not mapped.
pub fn unread_add_ons(headers: &[String], mapped: &[usize]) -> Option<String> {
    let i = headers.iter().position(|x| {
        matches!(
            normalize(x).as_str(),
            "add ons total" | "addons total" | "add on total" | "add ons amount"
        )
    })?;
    (!mapped.contains(&i)).then(|| {
        format!(
            "column {:?} is not part of MRR (amount × quantity leaves add-ons out); pass --preset recurly, which adds it, or give the monthly total with --col mrr=\"<column>\"",
            headers[i]
        )
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
/// prices, in major units of the first price's currency (metered prices add 0); the
/// currency; the latest item `current_period_end` (API 2025-03-31.basil and later). `None`
/// without any recurring item.
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
        let Some(f) = month_factor(unit) else {
            continue;
        };
        // A recurring item counts (its customer is active) even when its monthly amount is
        // unknown: metered prices (billed on usage) and tiered prices without a unit
        // amount add 0.
        priced = true;
        currency.get_or_insert(cur.clone());
        let metered = price
            .get("recurring")
            .and_then(|r| r.get("usage_type"))
            .or_else(|| price.get("usage_type"))
            .and_then(Value::as_str)
            == Some("metered");
        let Some(amount) = amount.filter(|_| !metered) else {
            continue;
        };
        let qty = it.get("quantity").and_then(json_num).unwrap_or(1.0);
        total += amount / minor_per_major(&cur) * qty * f / count.max(1.0);
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
        if matches!(src.format, Format::Json | Format::Ndjson)
            && src.headers.iter().any(|h| h == "items.data")
        {
            ensure_table(src)?;
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
    // A warehouse table exported to CSV: the API's field names (`customer_id`, `start_date`).
    let warehouse = !json && has(h, "customer_id") && has(h, "start_date");
    if warehouse {
        map(a, h, "customer_id", &["customer_id"]);
        map(a, h, "started_at", &["start_date", "created"]);
        map(a, h, "subscription_id", &["id"]);
        map(a, h, "cancel_reason", &["cancellation_details_reason"]);
        map(a, h, "plan", &["plan_id"]);
        map(a, h, "quantity", &["quantity"]);
    } else if json {
        map(a, h, "customer_id", &["customer.id", "customer"]);
        map(a, h, "started_at", &["start_date", "start", "created"]);
        map(a, h, "subscription_id", &["id"]);
        map(a, h, "cancel_reason", &["cancellation_details.reason"]);
        map(a, h, "plan", &["plan.nickname", "plan.id"]);
        map(a, h, "mrr", &["mrr"]);
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

/// An item's amount in major units: `amount` (minor units), else `amount_in_decimal`
/// (major), else `unit_price` × quantity (minor), else `unit_price_in_decimal` × quantity.
fn chargebee_item_amount(it: &Value, per: f64) -> Option<f64> {
    let qty = it
        .get("quantity")
        .and_then(json_num)
        .or_else(|| it.get("quantity_in_decimal").and_then(json_num))
        .unwrap_or(1.0);
    it.get("amount")
        .and_then(json_num)
        .map(|x| x / per)
        .or_else(|| it.get("amount_in_decimal").and_then(json_num))
        .or_else(|| {
            it.get("unit_price")
                .and_then(json_num)
                .map(|p| p * qty / per)
        })
        .or_else(|| {
            it.get("unit_price_in_decimal")
                .and_then(json_num)
                .map(|p| p * qty)
        })
}

/// Chargebee product-catalog-2.0 `subscription_items`: Σ over plan and addon items of the
/// item's amount × f / its billing period (an addon may bill more often than the plan; an
/// item without its own period has the subscription's `unit`/`count`). One-time `charge`
/// items are left out; a recurring item without an amount counts 0. `None` without any
/// plan or addon item.
fn chargebee_items(items: &str, per: f64, unit: &str, count: f64) -> Option<f64> {
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
        priced = true;
        let u = it
            .get("billing_period_unit")
            .and_then(Value::as_str)
            .unwrap_or(unit);
        let n = it
            .get("billing_period")
            .and_then(json_num)
            .filter(|n| *n > 0.0)
            .unwrap_or(count);
        if let (Some(x), Some(f)) = (chargebee_item_amount(it, per), month_factor(u)) {
            total += x * f / n;
        }
    }
    priced.then_some(total)
}

/// Chargebee catalog-1.0 `addons` (recurring addons of the subscription's billing period):
/// Σ amount (else unit_price × quantity), major units.
fn chargebee_addons(addons: &str, per: f64) -> Option<f64> {
    let v: Value = serde_json::from_str(addons).ok()?;
    Some(
        v.as_array()?
            .iter()
            .filter_map(|it| chargebee_item_amount(it, per))
            .sum(),
    )
}

/// Chargebee: the monthly amount in major units of one subscription. `get` reads the row's
/// cell of a header; `field` gives the header of a Chargebee field in this file (bare or
/// `subscriptions.`-prefixed); `minor`: plain amounts are minor units (the API) rather than
/// major units (the CSV export).
fn chargebee_monthly(
    get: &dyn Fn(&str) -> Option<String>,
    field: &dyn Fn(&str) -> String,
    minor: bool,
) -> Option<f64> {
    let g = |name: &str| get(&field(name));
    let cur = g("currency_code")
        .or_else(|| g("currency"))
        .unwrap_or_else(|| "usd".into());
    let per = if minor { minor_per_major(&cur) } else { 1.0 };
    let unit = g("billing_period_unit").unwrap_or_else(|| "month".into());
    let count = num(g("billing_period")).filter(|c| *c > 0.0).unwrap_or(1.0);
    if let Some(m) = g("subscription_items").and_then(|i| chargebee_items(&i, per, &unit, count)) {
        return Some(m);
    }
    // Catalog 1.0: the plan (plan_amount, else unit price × quantity) and its addons, per
    // billing period.
    let plan = num(g("plan_amount"))
        .map(|x| x / per)
        .or_else(|| num(g("plan_amount_in_decimal")))
        .or_else(|| {
            let price = num(g("plan_unit_price"))
                .map(|x| x / per)
                .or_else(|| num(g("plan_unit_price_in_decimal")))?;
            let qty = num(g("plan_quantity"))
                .or_else(|| num(g("plan_quantity_in_decimal")))
                .unwrap_or(1.0);
            Some(price * qty)
        })?;
    let addons = g("addons")
        .and_then(|a| chargebee_addons(&a, per))
        .unwrap_or(0.0);
    Some((plan + addons) * month_factor(&unit)? / count)
}

fn chargebee(sources: &mut [Source], a: &mut Applied) -> Result<()> {
    let json = sources[0].format != Format::Csv;
    if json {
        a.zone = Some(Tz::UTC);
    }
    // The monthly amount per subscription, in major units, into the in-memory table (the
    // CSV export is read into memory for it): the plan with its quantity and addons, or
    // the catalog-2.0 items, over the billing period.
    for src in sources.iter_mut() {
        ensure_table(src)?;
        let headers = src.headers.clone();
        let field = |name: &str| {
            find_cb(&headers, &[name])
                .cloned()
                .unwrap_or_else(|| name.to_string())
        };
        derive(src, "cxm_mrr", |get| {
            chargebee_monthly(get, &field, json).map(fmt_amount)
        });
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
    m(a, "mrr", &["cxm_mrr"]);
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

/// A number cell (`None` when blank or not a number; a currency symbol and thousands
/// separators are allowed, as in any amount column).
fn num(v: Option<String>) -> Option<f64> {
    v.and_then(|x| crate::input::values::parse_amount(&x, false))
        .filter(|x| x.is_finite())
}

/// Recurly: the monthly amount in major units of one subscription row, `(unit_amount ×
/// quantity + add_ons_total) × f / interval_length`. `col` gives the row's cell of a
/// column by its header; `interval` is the billing interval (unit, length).
fn recurly_monthly(
    get: &dyn Fn(&str) -> Option<String>,
    col: &RecurlyCols,
    interval: Option<(String, f64)>,
) -> Option<f64> {
    let cur = col
        .currency
        .as_deref()
        .and_then(get)
        .unwrap_or_else(|| "usd".into());
    let per = minor_per_major(&cur);
    let unit = match (&col.amount, &col.amount_cents) {
        (Some(c), _) if get(c).is_some() => num(get(c))?,
        (_, Some(c)) => num(get(c))? / per,
        _ => return None,
    };
    let qty = col
        .quantity
        .as_deref()
        .and_then(|c| num(get(c)))
        .unwrap_or(1.0);
    let add_ons = col
        .add_ons_total
        .as_deref()
        .and_then(|c| num(get(c)))
        .unwrap_or(0.0);
    let (u, n) = interval?;
    let f = month_factor(&u)?;
    (n > 0.0).then(|| (unit * qty + add_ons) * f / n)
}

/// The columns `recurly_monthly` reads (exact header text).
struct RecurlyCols {
    amount: Option<String>,
    amount_cents: Option<String>,
    quantity: Option<String>,
    add_ons_total: Option<String>,
    currency: Option<String>,
    interval_unit: Option<String>,
    interval_length: Option<String>,
    period_start: Option<String>,
    period_end: Option<String>,
}

fn recurly(sources: &mut [Source], a: &mut Applied) -> Result<()> {
    let json = sources[0].format != Format::Csv;
    if json {
        a.zone = Some(Tz::UTC);
    }
    let h0 = sources[0].headers.clone();
    let f = |names: &[&str]| find(&h0, names).cloned();
    let col = RecurlyCols {
        amount: f(&["unit_amount"]),
        amount_cents: f(&["unit_amount_in_cents"]),
        quantity: f(&["quantity"]),
        add_ons_total: f(&["add_ons_total"]),
        currency: f(&["currency"]),
        interval_unit: f(&["plan_interval_unit", "interval_unit", "plan.interval_unit"]),
        interval_length: f(&[
            "plan_interval_length",
            "interval_length",
            "plan.interval_length",
        ]),
        period_start: f(&["current_period_started_at"]),
        period_end: f(&["current_period_ends_at"]),
    };
    if col.interval_unit.is_none() && col.period_start.is_some() && col.period_end.is_some() {
        a.notes.push("the recurly export has no plan interval; each subscription's interval is taken from the length of its current period (see docs/presets.md)".into());
    }
    // The monthly amount per subscription, in major units, into the in-memory table: the
    // unit amount (or cents), the quantity, the add-ons and the interval together.
    let parser = crate::time::TimeParser::new(a.zone.unwrap_or(Tz::UTC), Vec::new());
    for src in sources.iter_mut() {
        ensure_table(src)?;
        derive(src, "cxm_mrr", |get| {
            let interval = match &col.interval_unit {
                Some(u) => {
                    let n = col
                        .interval_length
                        .as_deref()
                        .and_then(|c| num(get(c)))
                        .unwrap_or(1.0);
                    get(u).map(|u| (u, n))
                }
                None => {
                    let at =
                        |c: &Option<String>| get(c.as_deref()?).and_then(|s| parser.parse(&s).ok());
                    interval_from_period(at(&col.period_start)?.0, at(&col.period_end)?.0)
                        .map(|(u, n)| (u.to_string(), f64::from(n)))
                }
            };
            recurly_monthly(get, &col, interval).map(fmt_amount)
        });
    }
    let h = &sources[0].headers.clone();
    map(
        a,
        h,
        "customer_id",
        &["account_code", "account.code", "account_id"],
    );
    map(a, h, "subscription_id", &["uuid", "id"]);
    map(a, h, "started_at", &["activated_at", "created_at"]);
    // A canceled Recurly subscription runs until `expires_at`.
    map(a, h, "ended_at", &["expires_at", "expired_at"]);
    map(a, h, "canceled_at", &["canceled_at"]);
    map(a, h, "trial_end", &["trial_ends_at", "trial_ended_at"]);
    map(a, h, "current_period_end", &["current_period_ends_at"]);
    map(a, h, "status", &["state", "status"]);
    map(a, h, "currency", &["currency"]);
    map(
        a,
        h,
        "plan",
        &["plan_code", "plan.code", "plan_name", "plan_id"],
    );
    map(a, h, "mrr", &["cxm_mrr"]);
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
    fn stripe_metered_and_amountless_prices_add_zero() {
        // Metered 0.05 per unit (adds 0) + 3 × 10.00 a month = 30.00.
        let items = r#"[{"price":{"unit_amount":5,"currency":"usd","recurring":{"interval":"month","interval_count":1,"usage_type":"metered"}}},
{"price":{"unit_amount":1000,"currency":"usd","recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"}},"quantity":3}]"#;
        assert!((stripe_items(items).unwrap().0 - 30.0).abs() < 1e-9);
        // A tiered price without unit_amount: recurring, 0.
        let tiered = r#"[{"price":{"unit_amount":null,"billing_scheme":"tiered","currency":"eur","recurring":{"interval":"year","interval_count":1}},"quantity":4}]"#;
        let (m, c, _) = stripe_items(tiered).unwrap();
        assert_eq!((m, c.as_str()), (0.0, "eur"));
        // Legacy plan objects: 240.00 every 2 years = 10.00 a month.
        let legacy = r#"[{"plan":{"amount":24000,"currency":"usd","interval":"year","interval_count":2},"quantity":1}]"#;
        assert!((stripe_items(legacy).unwrap().0 - 10.0).abs() < 1e-9);
    }

    fn getter<'a>(cells: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |n: &str| {
            cells
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn chargebee_monthly_amounts() {
        // Catalog 1.0: plan 15.00 × 2 + addon 10.00, every 3 months = 40 / 3.
        let row = [
            ("currency_code", "USD"),
            ("billing_period", "3"),
            ("billing_period_unit", "month"),
            ("plan_unit_price", "1500"),
            ("plan_quantity", "2"),
            ("addons", r#"[{"id":"x","quantity":1,"unit_price":1000}]"#),
        ];
        let m = chargebee_monthly(&getter(&row), &|n: &str| n.to_string(), true).unwrap();
        assert!((m - 40.0 / 3.0).abs() < 1e-9, "{m}");
        // plan_amount wins over unit price × quantity; JPY has no minor unit: ¥12,000 a
        // year = ¥1,000 a month.
        let row = [
            ("currency_code", "JPY"),
            ("billing_period_unit", "year"),
            ("plan_amount", "12000"),
            ("plan_unit_price", "99999"),
        ];
        let m = chargebee_monthly(&getter(&row), &|n: &str| n.to_string(), true).unwrap();
        assert!((m - 1000.0).abs() < 1e-9, "{m}");
        // Catalog 2.0: a yearly plan item (1,200.00 → 100.00) + a weekly addon of its own
        // period (amount_in_decimal 3.00 major units × 52 / 12 = 13.00) + a one-time charge
        // (left out).
        let items = r#"[{"item_type":"plan","amount":120000,"billing_period":1,"billing_period_unit":"year"},
{"item_type":"addon","amount_in_decimal":"3.00","billing_period":1,"billing_period_unit":"week"},
{"item_type":"charge","amount":5000}]"#;
        let row = [
            ("currency_code", "USD"),
            ("billing_period", "1"),
            ("billing_period_unit", "year"),
            ("subscription_items", items),
        ];
        let m = chargebee_monthly(&getter(&row), &|n: &str| n.to_string(), true).unwrap();
        assert!((m - 113.0).abs() < 1e-9, "{m}");
        // No price at all: no amount (the row is blank).
        let row = [("currency_code", "USD"), ("billing_period_unit", "month")];
        assert!(chargebee_monthly(&getter(&row), &|n: &str| n.to_string(), true).is_none());
    }

    #[test]
    fn recurly_monthly_amounts() {
        let col = RecurlyCols {
            amount: Some("unit_amount".into()),
            amount_cents: Some("unit_amount_in_cents".into()),
            quantity: Some("quantity".into()),
            add_ons_total: Some("add_ons_total".into()),
            currency: Some("currency".into()),
            interval_unit: None,
            interval_length: None,
            period_start: None,
            period_end: None,
        };
        // (3 × 10.00 + 6.00) a quarter = 12.00 a month.
        let row = [
            ("unit_amount", "10.00"),
            ("quantity", "3"),
            ("add_ons_total", "6"),
            ("currency", "USD"),
        ];
        let m = recurly_monthly(&getter(&row), &col, Some(("month".into(), 3.0))).unwrap();
        assert!((m - 12.0).abs() < 1e-9, "{m}");
        // Cents when unit_amount is blank: 4,800 cents a year = 4.00 a month.
        let row = [("unit_amount_in_cents", "4800"), ("currency", "USD")];
        let m = recurly_monthly(&getter(&row), &col, Some(("years".into(), 1.0))).unwrap();
        assert!((m - 4.0).abs() < 1e-9, "{m}");
        // Without an interval there is no monthly amount.
        assert!(recurly_monthly(&getter(&row), &col, None).is_none());
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
