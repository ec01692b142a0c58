//! `cxm churn`: map the subscription columns, read them with polars (only the needed
//! columns, as text), classify and parse every row in Rust, then sweep the subscriptions per
//! customer into per-period movements (SPEC 6.6). The loader here is shared with
//! `cxm retention`.

use std::collections::{BTreeSet, HashSet};

// A fast hash for the maps keyed by column names and customer ids that `load` consults on
// every row (SipHash was a fifth of a churn run).
use rustc_hash::FxHashMap as HashMap;

use anyhow::Result;
use clap::Args;
use polars::prelude::*;
use serde_json::{json, Map, Value};

use crate::assert;
use crate::cli::CommonArgs;
use crate::fail;
use crate::input::dedup::duplicate_rows;
use crate::input::ledger::Ledger;
use crate::input::mapping::Canon;
use crate::input::presets::Kind;
use crate::input::rows::Status;
use crate::input::schema::subscriptions::{
    AMOUNT, CANCELED, CURRENCY, CUSTOMER, ENDED, INTERVAL, INTERVAL_COUNT, MRR, PERIOD_END, PLAN,
    QUANTITY, REASON, STARTED, STATUS, SUB_ID, TRIAL_END, UPDATED,
};
use crate::input::schema::Dataset;
use crate::input::schema::{column_headers, frame_cols, push_user_cols, user_columns, Mapper};
use crate::input::{self, col_str, col_u32, read, Source};
use crate::metrics::subscriptions::{self as subs, Acc, Money, RowRule, Sub};
use crate::period::PeriodKind;
use crate::plan::{self, Common};
use crate::progress::Progress;
use crate::report::{group_order, norm_key};
use crate::report::{Col, ColKind, InputCount, Report, Row};
use crate::time;

#[derive(Args, Debug, Clone)]
pub struct ChurnArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Add the current, incomplete period (its end is as-of), marked partial
    #[arg(long)]
    pub include_partial: bool,
    /// Count churned customers by the cancel reason of their last subscription
    #[arg(long)]
    pub reasons: bool,
    /// Drop subscriptions whose MRR is 0 (free plans)
    #[arg(long)]
    pub exclude_free: bool,
    #[command(flatten)]
    pub explain: crate::cli::ExplainArgs,
}

/// What the loader needs beyond the common settings.
pub(crate) struct LoadOpts {
    pub exclude_free: bool,
    pub reasons: bool,
}

/// Used subscriptions and everything known about them.
pub(crate) struct Loaded {
    pub inputs: Vec<InputCount>,
    pub subs: Vec<Sub>,
    /// Group keys by group number (one empty key without `--by`).
    pub groups: Vec<Vec<Option<String>>>,
    /// Cancel reasons by number.
    pub reasons: Vec<String>,
    pub has_money: bool,
    pub as_of: i64,
    pub warnings: Vec<String>,
    pub columns: Map<String, Value>,
    pub currencies: BTreeSet<String>,
    /// The vendor preset applied (SPEC 5).
    pub preset: Option<&'static str>,
}

/// Column slots of the frame, in this order.
const SLOTS: &[&str] = &[
    "customer_id",
    "started_at",
    "ended_at",
    "canceled_at",
    "trial_end",
    "current_period_end",
    "status",
    "mrr",
    "amount",
    "interval",
    "interval_count",
    "quantity",
    "currency",
    "cancel_reason",
    "subscription_id",
    "updated_at",
];

/// The `--na-values` hint (SPEC 6): the first of the money and time columns whose rejected
/// cells are mostly one text, from the cells in memory.
fn na_hint(
    text: &HashMap<String, StringChunked>,
    rejected: u64,
    rule: &RowRule,
    c: &Common,
) -> Option<String> {
    let blank = |t: &str| input::values::is_blank(t, &rule.na);
    for slot in ["mrr", "amount"] {
        let Some(ca) = text.get(slot) else { continue };
        let bad =
            |t: &str| !blank(t) && input::values::parse_amount(t, rule.decimal_comma).is_none();
        if let Some(h) = input::values::na_hint_cells(slot, ca.iter(), rejected, bad) {
            return Some(h);
        }
    }
    for slot in [
        "started_at",
        "ended_at",
        "canceled_at",
        "current_period_end",
    ] {
        let Some(ca) = text.get(slot) else { continue };
        // The usual timestamp shape first (a shortcut of the full parser: this looks at
        // every cell of the column).
        let bad = |t: &str| {
            c.parser.parse_common(t.as_bytes()).is_none()
                && !blank(t)
                && !time::is_placeholder_date(t)
                && c.parser.parse(t).is_err()
        };
        if let Some(h) = input::values::na_hint_cells(slot, ca.iter(), rejected, bad) {
            return Some(h);
        }
    }
    None
}

/// Map, read and classify the subscription rows; the as-of; rejected rows (`--strict`,
/// `--rejects`).
/// Numbers 0, 1, 2… for keys in the order they first come.
struct Numbering<K> {
    ids: HashMap<K, u32>,
    /// The keys by number.
    keys: Vec<K>,
}

impl<K> Default for Numbering<K> {
    fn default() -> Self {
        Numbering {
            ids: HashMap::default(),
            keys: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Numbering<K> {
    fn with_capacity(n: usize) -> Self {
        Numbering {
            ids: HashMap::with_capacity_and_hasher(n, Default::default()),
            keys: Vec::with_capacity(n),
        }
    }

    fn number(&mut self, key: K) -> u32 {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.ids.insert(key.clone(), id);
        self.keys.push(key);
        id
    }

    /// The numbers this numbering's keys get in `all`, by this numbering's numbers.
    fn numbered_in(self, all: &mut Numbering<K>) -> Vec<u32> {
        self.keys.into_iter().map(|k| all.number(k)).collect()
    }
}

/// What one range of rows gives [`load`]: counts per input and status, used subscriptions
/// with numbers local to the part, and those numbers' texts in order of first appearance.
#[derive(Default)]
struct RowsPart<'a> {
    counts: Vec<[u64; 5]>,
    /// Used subscriptions with a time in a daylight-saving gap / overlap.
    dst: (u64, u64),
    customers: Numbering<&'a str>,
    groups: Numbering<Vec<Option<String>>>,
    reasons: Numbering<String>,
    /// Upper-cased, in order of first appearance (at most 64).
    currencies: Vec<String>,
    out: Vec<Sub>,
    sub_src: Vec<u32>,
    sub_ids: Vec<Option<String>>,
    latest: Option<i64>,
}

pub(crate) fn load(
    c: &mut Common,
    o: &LoadOpts,
    progress: &Progress,
    opened: Option<Vec<Source>>,
) -> Result<Loaded> {
    let mut sources = match opened {
        Some(s) => s,
        None => read::open_all_deferred(&c.files, &c.read)?,
    };
    let preset = c
        .absorb_preset(&mut sources, Kind::Subscriptions, "churn")?
        .map(|p| p.name);
    let c: &Common = c;
    let mapper = Mapper::new(&sources, &c.cols);
    let opt = |canon: &Canon| mapper.find_unclaimed(canon);
    let mut mapped: Vec<(String, Vec<usize>)> = Vec::new();
    for canon in [&CUSTOMER, &STARTED] {
        mapped.push((canon.name.into(), mapper.require(canon)?));
    }
    // An `amount` mapped with --col or by a preset beats an `mrr` column found only by
    // the automatic aliases (Chargebee's often-zero `mrr` next to `plan_amount`).
    let explicit_amount = c.cols.0.contains_key("amount") && !c.cols.0.contains_key("mrr");
    let mrr = if explicit_amount { None } else { opt(&MRR)? };
    let amount = if mrr.is_none() { opt(&AMOUNT)? } else { None };
    let money = if mrr.is_some() {
        Money::Mrr
    } else if amount.is_some() {
        Money::Amount
    } else {
        Money::None
    };
    let mut optional: Vec<(&str, Option<Vec<usize>>)> = vec![("mrr", mrr), ("amount", amount)];
    for canon in [
        &ENDED,
        &CANCELED,
        &TRIAL_END,
        &PERIOD_END,
        &STATUS,
        &CURRENCY,
        &REASON,
        &PLAN,
    ] {
        optional.push((canon.name, opt(canon)?));
    }
    if money == Money::Amount {
        for canon in [&INTERVAL, &INTERVAL_COUNT, &QUANTITY] {
            optional.push((canon.name, opt(canon)?));
        }
    }
    if !c.keep_duplicates || !c.by.is_empty() {
        let sub_id = opt(&SUB_ID)?;
        // SPEC 4 duplicates: the row with the latest `updated_at` wins (a warehouse
        // `subscription_history` table holds one row per change).
        if sub_id.is_some() && !c.keep_duplicates {
            optional.push(("updated_at", opt(&UPDATED)?));
        }
        optional.push(("subscription_id", sub_id));
    }
    for (name, v) in optional {
        if let Some(v) = v {
            mapped.push((name.into(), v));
        }
    }
    let idx_of = |name: &str| mapped.iter().position(|(n, _)| n == name);
    let (by_idx, where_idx) = user_columns(&sources, &c.by, &c.wheres, &mapped)?;
    let mut input_warnings = Vec::new();
    if money == Money::Amount {
        let used: Vec<usize> = mapped.iter().map(|(_, v)| v[0]).collect();
        input_warnings.extend(input::presets::subscriptions::unread_add_ons(
            &sources[0].headers,
            &used,
        ));
    }

    let slots: Vec<&str> = SLOTS
        .iter()
        .copied()
        .filter(|s| *s != "cancel_reason" || o.reasons)
        .collect();
    let mut cols = frame_cols(&mapped, &slots);
    let (by_names, where_names) = push_user_cols(&mut cols, &by_idx, &where_idx);
    let present: Vec<String> = cols.iter().map(|f| f.name.clone()).collect();
    // One read of the needed columns (cxm's parallel reader for regular CSV files); the
    // duplicate ids are then found in memory.
    progress.phase("reading");
    let timer = crate::progress::Timer::new();
    let df = input::read_frame(&mut sources, &cols)?
        .with_row_index("__g".into(), None)
        .map_err(|e| crate::error::err(format!("internal: {e}")))?;
    let has_id = present.iter().any(|n| n == "subscription_id");
    let mask = if has_id && !c.keep_duplicates {
        let upd = present
            .iter()
            .any(|n| n == "updated_at")
            .then_some("updated_at");
        duplicate_rows(
            df.clone().lazy(),
            &sources,
            &c.parser,
            "subscription_id",
            upd,
        )?
    } else {
        None
    };
    timer.mark("read and duplicate ids");
    progress.phase("computing");
    let text: HashMap<String, StringChunked> = present
        .iter()
        .map(|n| Ok((n.clone(), col_str(&df, n)?)))
        .collect::<Result<_>>()?;
    // Placeholder dates (SPEC 4), one warning per time column, from the cells in memory.
    for slot in [
        "started_at",
        "ended_at",
        "canceled_at",
        "trial_end",
        "current_period_end",
    ] {
        if let Some(ca) = text.get(slot) {
            input_warnings.extend(input::values::placeholder_warning(slot, ca.iter()));
        }
    }
    let (fcol, short) = input::row_origin(&df)?;
    let gcol = col_u32(&df, "__g")?;
    let rule = RowRule {
        na: c.na.clone(),
        wheres: c.wheres.clone(),
        money,
        decimal_comma: c.args.decimal_comma,
        exclude_free: o.exclude_free,
    };
    let mut ledger = Ledger::new(&sources);
    let by_cols: Vec<&StringChunked> = by_names.iter().map(|n| &text[n]).collect();
    let where_cols: Vec<&StringChunked> = where_names.iter().map(|n| &text[n]).collect();
    let n_inputs = sources.len();
    // The rows of `range` classified; ids (customers, groups, reasons) numbered within the
    // part in order of first appearance, renumbered when the parts are joined in order.
    let classify_rows = |range: std::ops::Range<usize>| -> RowsPart<'_> {
        let mut part = RowsPart {
            counts: vec![[0; 5]; n_inputs],
            customers: Numbering::with_capacity(range.len()),
            ..RowsPart::default()
        };
        let mut wh: Vec<Option<&str>> = Vec::with_capacity(where_cols.len());
        for r in range {
            let f = fcol.get(r).unwrap_or(0) as usize;
            let g = gcol.get(r).unwrap_or(0);
            let dup = mask.as_ref().is_some_and(|m| m.contains(&g));
            wh.clear();
            wh.extend(where_cols.iter().map(|w| w.get(r)));
            let get = |name: &str| text.get(name).map(|ca| ca.get(r));
            let cells = rule.cells(&c.parser, short.get(r).unwrap_or(false), dup, &wh, &get);
            let p = rule.classify(&cells);
            let status = Status::from_code(p.status);
            part.counts[f][status as usize] += 1;
            if status != Status::Used {
                continue;
            }
            // Only used subscriptions count towards the daylight-saving warnings.
            part.dst.0 += u64::from(p.notes & 1 != 0);
            part.dst.1 += u64::from(p.notes & 2 != 0);
            for t in std::iter::once(p.start).chain(p.end) {
                if t <= c.now_ms {
                    part.latest = Some(part.latest.map_or(t, |l: i64| l.max(t)));
                }
            }
            // The id as `cells` has it, borrowed from the column (which outlives the map).
            let cust = text
                .get("customer_id")
                .and_then(|ca| ca.get(r))
                .unwrap_or("")
                .trim();
            let customer = part.customers.number(cust);
            let key: Vec<Option<String>> = by_cols.iter().map(|b| norm_key(b.get(r))).collect();
            let group = part.groups.number(key);
            let reason = match text.get("cancel_reason").and_then(|ca| norm_key(ca.get(r))) {
                None => u32::MAX,
                Some(s) => part.reasons.number(s),
            };
            if let Some(cur) = text.get("currency").and_then(|ca| norm_key(ca.get(r))) {
                let cur = cur.to_uppercase();
                if part.currencies.len() < 64 && !part.currencies.contains(&cur) {
                    part.currencies.push(cur);
                }
            }
            if !c.by.is_empty() {
                part.sub_ids.push(
                    text.get("subscription_id")
                        .and_then(|ca| ca.get(r))
                        .map(|s| s.trim().to_string()),
                );
            }
            part.sub_src.push(f as u32);
            part.out.push(Sub {
                customer,
                start: p.start,
                end: p.end,
                mrr: p.mrr,
                group,
                tie: u64::from(g),
                reason,
            });
        }
        part
    };
    // Large inputs on every core, in contiguous ranges of rows (the loop was most of a churn
    // run); small ones in one part.
    let rows = df.height();
    let threads = if rows < 1 << 16 {
        1
    } else {
        input::fast::threads()
    };
    let ranges: Vec<std::ops::Range<usize>> = (0..threads)
        .map(|k| rows * k / threads..rows * (k + 1) / threads)
        .collect();
    let parts: Vec<RowsPart<'_>> = if threads == 1 {
        ranges.into_iter().map(classify_rows).collect()
    } else {
        std::thread::scope(|s| {
            let jobs: Vec<_> = ranges
                .into_iter()
                .map(|range| s.spawn(|| classify_rows(range)))
                .collect();
            jobs.into_iter()
                .map(|j| j.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    // Joined in order: a part's ids become the numbers they get in a serial reading.
    let mut customers: Numbering<&str> = Numbering::with_capacity(rows);
    let mut groups: Numbering<Vec<Option<String>>> = Numbering::default();
    let mut reasons: Numbering<String> = Numbering::default();
    let mut currencies: BTreeSet<String> = BTreeSet::new();
    let mut out: Vec<Sub> = Vec::with_capacity(parts.iter().map(|p| p.out.len()).sum());
    // Per used sub: its source (to move it to `filtered` after as-of) and id (tie-break).
    let mut sub_src: Vec<u32> = Vec::new();
    let mut sub_ids: Vec<Option<String>> = Vec::new();
    let mut latest: Option<i64> = None;
    for part in parts {
        for (f, counts) in part.counts.iter().enumerate() {
            for (k, &n) in counts.iter().enumerate() {
                if n > 0 {
                    ledger.count(f, Status::from_code(k as u8), n);
                }
            }
        }
        ledger.note_dst(true, false, part.dst.0);
        ledger.note_dst(false, true, part.dst.1);
        let customer_no = part.customers.numbered_in(&mut customers);
        let group_no = part.groups.numbered_in(&mut groups);
        let reason_no = part.reasons.numbered_in(&mut reasons);
        for cur in part.currencies {
            if currencies.len() < 64 {
                currencies.insert(cur);
            }
        }
        out.extend(part.out.into_iter().map(|mut s| {
            s.customer = customer_no[s.customer as usize];
            s.group = group_no[s.group as usize];
            if s.reason != u32::MAX {
                s.reason = reason_no[s.reason as usize];
            }
            s
        }));
        sub_src.extend(part.sub_src);
        sub_ids.extend(part.sub_ids);
        latest = latest.max(part.latest);
    }
    let (mut groups, reasons) = (groups.keys, reasons.keys);
    if groups.is_empty() {
        groups.push(vec![None; c.by.len()]);
    }
    ledger.data_rows(&sources, "subscriptions")?;
    ledger.require_valid(|t| {
        format!(
            "no valid subscription in the inputs ({} rows: {} blank, {} rejected); check that --col customer_id=… and --col started_at=… name the right columns (see --rejects FILE for the reasons)",
            t.rows, t.blank, t.rejected
        )
    })?;

    // Rejected rows: positions and reasons from a pass over the inputs that had them.
    c.reject_policy(progress).settle(
        &sources,
        &ledger,
        &mapped,
        &where_idx,
        mask.as_ref(),
        &rule,
    )?;

    // As-of: the given instant, else the latest start or end (not later than now).
    let mut warnings = input_warnings;
    let as_of = match c.as_of.or(latest) {
        Some(t) => t,
        None => {
            warnings.push(
                "no subscription left after filtering (or none starts before now): the figures are empty"
                    .to_string(),
            );
            c.now_ms
        }
    };
    // Starts after as-of have not happened (filtered); ends after it leave the subscription active.
    let mut kept = Vec::with_capacity(out.len());
    let mut kept_ids = Vec::new();
    for (i, mut s) in out.into_iter().enumerate() {
        if s.start > as_of {
            ledger.refilter_used(sub_src[i] as usize);
            continue;
        }
        if s.end.is_some_and(|e| e > as_of) {
            s.end = None;
        }
        if !sub_ids.is_empty() {
            kept_ids.push(sub_ids[i].take());
        }
        kept.push(s);
    }
    // Ties between subscriptions of one customer: the greatest subscription id (as text),
    // then the input order.
    if !kept_ids.is_empty() && has_id {
        let mut order: Vec<usize> = (0..kept.len()).collect();
        order.sort_by(|&a, &b| kept_ids[a].cmp(&kept_ids[b]).then(a.cmp(&b)));
        for (rank, i) in order.into_iter().enumerate() {
            kept[i].tie = rank as u64;
        }
    }

    if money == Money::None {
        warnings.push("no mrr or amount column: MRR fields are null; map one with --col mrr=\"<column>\" or --col amount=\"<column>\"".to_string());
    }
    if o.reasons && idx_of("cancel_reason").is_none() {
        warnings.push("--reasons: no cancel_reason column, so every reason is \"(none)\"; map one with --col cancel_reason=\"<column>\"".to_string());
    }
    warnings.extend(ledger.dst_warnings(Some("subscriptions")));
    warnings.extend(ledger.rejected_warning(c.rejects.is_some()));
    warnings.extend(na_hint(&text, ledger.total().rejected, &rule, c));
    let columns = column_headers(&sources, &mapped, |n| n);
    timer.mark("rows classified");
    Ok(Loaded {
        inputs: ledger.into_inputs(),
        subs: kept,
        groups,
        reasons,
        has_money: money != Money::None,
        as_of,
        warnings,
        columns,
        currencies,
        preset,
    })
}

/// Settings common to churn and retention: `--period` defaults to month.
pub(crate) fn common_with_month(args: &CommonArgs) -> Result<Common> {
    let mut a = args.clone();
    if a.period.is_none() {
        a.period = Some("month".into());
    }
    plan::common(&a, Dataset::Subscriptions)
}

/// Several currencies are an error unless the rows are grouped by currency.
pub(crate) fn check_currencies(l: &Loaded, c: &Common) -> Result<()> {
    if l.currencies.len() > 1 {
        let by_currency = c.by.iter().any(|b| {
            b == "currency" || l.columns.get("currency").and_then(|v| v.as_str()) == Some(b)
        });
        if !by_currency {
            let list: Vec<&str> = l.currencies.iter().map(|s| s.as_str()).collect();
            fail!(
                "the subscriptions are in several currencies ({}); MRR cannot be summed across them: add --by currency, or keep one with --where currency=…",
                list.join(", ")
            );
        }
    }
    Ok(())
}

/// The basic definition members.
pub(crate) fn base_definition(c: &Common, l: &Loaded) -> Map<String, Value> {
    c.definition(l.preset, l.columns.clone())
}

fn headline() -> Vec<Col> {
    let c = |key, label, kind| Col { key, label, kind };
    vec![
        c("n", "n", ColKind::Int),
        c("new", "new", ColKind::Int),
        c("reactivated", "react", ColKind::Int),
        c("churned", "churned", ColKind::Int),
        c("churn_rate", "churn", ColKind::Pct),
        c("mrr_end", "MRR", ColKind::Num(2)),
        c("grr", "GRR", ColKind::Pct),
        c("nrr", "NRR", ColKind::Pct),
    ]
}

/// The churn total (SPEC 6.6): the latest complete period's row led by its `period`,
/// `period_start`, `period_end`, `partial` (always false) and `periods` (the number of
/// complete periods reported); `period` is null when there is none.
fn total_head(
    mut row: Map<String, Value>,
    period: Option<String>,
    periods: usize,
) -> Map<String, Value> {
    let mut t = Map::new();
    t.insert("period".into(), json!(period));
    for (k, v) in row.iter_mut() {
        t.insert(k.clone(), v.take());
        if k == "period_end" {
            t.insert("partial".into(), json!(false));
            t.insert("periods".into(), json!(periods));
        }
    }
    t
}

/// Fields an `--assert` may name.
fn assertable() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = subs::FIELDS.to_vec();
    v.push("periods");
    v.push("low_n");
    v
}

/// Compute the churn report without printing or writing anything.
pub fn compute(a: &ChurnArgs) -> Result<(Report, Common)> {
    if a.common.from_aggregates.is_some() {
        fail!("--from-aggregates does not apply to cxm churn (cxm sql churn prints it as one final query); give it its input files");
    }
    let mut c = common_with_month(&a.common)?;
    plan::explain(&a.explain, &mut c)?;
    match &c.explain {
        Some(_) => assert::validate(&c.asserts, crate::metrics::explain::ASSERTABLE, true)?,
        None => assert::validate(&c.asserts, &assertable(), true)?,
    }
    let pk = c.period.unwrap_or(PeriodKind::Month);
    let progress = Progress::start(c.progress);
    // --explain COL groups the customers by COL as --by does (SPEC 11: a customer's segment
    // as in 6.6).
    let explain_col = c.explain.as_ref().map(|x| x.column.clone());
    if let Some(col) = &explain_col {
        c.by = vec![col.clone()];
    }
    let mut l = load(
        &mut c,
        &LoadOpts {
            exclude_free: a.exclude_free,
            reasons: a.reasons,
        },
        &progress,
        None,
    )
    .map_err(|e| match &explain_col {
        Some(col) => super::explain::rename_flag(e, col),
        None => e,
    })?;
    check_currencies(&l, &c)?;
    let as_of = l.as_of;

    // Periods: from the one holding the earliest start to the last that ends at or before
    // as-of; with --include-partial the current one, ending at as-of + 1 ms.
    let mut ordinals: Vec<i32> = Vec::new();
    let mut bounds: Vec<i64> = Vec::new();
    let mut partial_ordinal = None;
    if let Some(first) = l.subs.iter().map(|s| s.start).min() {
        let lo = pk.ordinal_of(first, c.tz);
        let mut hi = pk.ordinal_of(as_of, c.tz);
        if pk.end_ms(hi, c.tz) > as_of {
            hi -= 1;
        }
        ordinals = (lo..=hi).collect();
        bounds = (lo..=hi.max(lo - 1) + 1)
            .map(|o| pk.start_ms(o, c.tz))
            .collect();
        if a.include_partial && as_of + 1 > *bounds.last().unwrap_or(&i64::MIN) {
            partial_ordinal = Some(hi + 1);
            bounds.push(as_of + 1);
        }
    }
    let cells = subs::movements(&mut l.subs, l.groups.len(), &bounds);
    let n_complete = ordinals.len();
    let mut all_ordinals = ordinals.clone();
    all_ordinals.extend(partial_ordinal);

    // Which periods are reported: --since/--until select periods by their start; --last N
    // the last N complete ones (and the partial one).
    let mut keep: Vec<usize> = (0..all_ordinals.len())
        .filter(|&k| {
            let s = bounds[k];
            c.since.is_none_or(|t| s >= t) && c.until.is_none_or(|t| s < t)
        })
        .collect();
    if let Some(n) = c.last {
        let complete: Vec<usize> = keep.iter().copied().filter(|&k| k < n_complete).collect();
        let cut = complete.len().saturating_sub(n);
        let drop: HashSet<usize> = complete[..cut].iter().copied().collect();
        keep.retain(|k| !drop.contains(k));
    }

    let reasons = if a.reasons {
        Some(l.reasons.as_slice())
    } else {
        None
    };
    // Every reason that occurs is a member of every row (0 where none churned for it).
    let all_reasons: std::collections::BTreeSet<u32> = cells
        .iter()
        .flatten()
        .flat_map(|a| a.reasons.keys().copied())
        .collect();
    let min_n = c.min_n;
    let row_fields = |acc: &Acc, k: Option<usize>| -> Map<String, Value> {
        let mut acc = acc.clone();
        if a.reasons {
            for r in &all_reasons {
                acc.reasons.entry(*r).or_insert(0);
            }
        }
        let acc = &acc;
        let mut m = Map::new();
        let (ps, pe) = match k {
            Some(k) => (
                json!(time::format_rfc3339(bounds[k], c.tz)),
                json!(time::format_rfc3339(
                    // A partial period's end is still its calendar end (its figures stop
                    // at as-of).
                    if Some(all_ordinals[k]) == partial_ordinal {
                        pk.end_ms(all_ordinals[k], c.tz)
                    } else {
                        bounds[k + 1]
                    },
                    c.tz
                )),
            ),
            None => (Value::Null, Value::Null),
        };
        m.insert("period_start".into(), ps);
        m.insert("period_end".into(), pe);
        m.extend(subs::fields(acc, l.has_money, reasons));
        m.insert(
            "low_n".into(),
            json!(min_n.is_some_and(|n| acc.customers_start < n)),
        );
        m
    };
    let mut order: Vec<usize> = (0..l.groups.len()).collect();
    order.sort_by(|&x, &y| group_order(&l.groups[x], &l.groups[y]));
    // A group none of whose customers ever counted in it (e.g. an add-on plan that was never
    // a customer's largest subscription) has no rows.
    order.retain(|&g| cells[g].iter().any(|acc| *acc != Acc::default()));
    let grouped = !c.by.is_empty();
    let mut rows: Vec<Row> = Vec::new();
    let row = |group: Option<Vec<Option<String>>>, k: usize, acc: &Acc| Row {
        group,
        period: Some(pk.label(all_ordinals[k])),
        partial: Some(all_ordinals[k]) == partial_ordinal,
        fields: row_fields(acc, Some(k)),
    };
    if grouped {
        for &g in &order {
            for &k in &keep {
                rows.push(row(Some(l.groups[g].clone()), k, &cells[g][k]));
            }
        }
    }
    let mut totals: Vec<Acc> = vec![Acc::default(); all_ordinals.len()];
    for g in &cells {
        for (k, acc) in g.iter().enumerate() {
            totals[k].add(acc);
        }
    }
    for &k in &keep {
        rows.push(row(None, k, &totals[k]));
    }
    let complete_kept: Vec<usize> = keep.iter().copied().filter(|&k| k < n_complete).collect();
    let total = match complete_kept.last() {
        Some(&k) => row_fields(&totals[k], Some(k)),
        None => row_fields(&Acc::default(), None),
    };
    let total = total_head(
        total,
        complete_kept.last().map(|&k| pk.label(all_ordinals[k])),
        complete_kept.len(),
    );

    let mut warnings = std::mem::take(&mut l.warnings);
    if complete_kept.is_empty() {
        warnings.push(
            "no complete period before as-of: the total is empty; add --include-partial to see the current period"
                .into(),
        );
    }
    if let Some(n) = min_n {
        if total.get("n").and_then(|v| v.as_u64()).unwrap_or(0) < n {
            warnings.push(format!(
                "the latest complete period has fewer customers than --min-n {n}"
            ));
        }
    }
    let mut definition = Map::new();
    definition.insert(
        "active".into(),
        json!("started_at < b <= ended_at, at each period boundary b"),
    );
    definition.insert(
        "mrr".into(),
        json!(if l.has_money {
            "amount × quantity × f / interval_count, monthly; summed in minor units"
        } else {
            "none"
        }),
    );
    definition.insert("include_partial".into(), json!(a.include_partial));
    definition.insert("exclude_free".into(), json!(a.exclude_free));
    definition.insert("reasons".into(), json!(a.reasons));
    definition.insert(
        "quick_ratio".into(),
        json!("(new + reactivation + expansion) / (churned + contraction)"),
    );
    definition.extend(base_definition(&c, &l));

    let mut report = Report {
        metric: "churn".into(),
        as_of: Some(time::format_rfc3339(as_of, c.tz)),
        definition,
        inputs: l.inputs,
        by: c.by.clone(),
        period: Some(pk.name().to_string()),
        rows,
        total,
        checks: Vec::new(),
        warnings,
        headline: headline(),
        unit: None,
        extra: Map::new(),
    };
    if let Some(spec) = c.explain.clone() {
        let x = super::explain::Explained {
            ab: super::explain::periods(&spec, pk, Some(as_of), c.now_ms, c.tz),
            spec,
            pk,
        };
        // Complete periods only: `cells[g][k]` for `ordinals[k]`.
        let index = |o: i32| ordinals.iter().position(|&p| p == o);
        let keys: Vec<usize> = (0..l.groups.len()).collect();
        let segs = super::explain::segments(
            &keys,
            |&g| l.groups[g].first().cloned().flatten(),
            |&g, o| index(o).map(|k| &cells[g][k]),
            |acc| super::explain::churn_cell(acc),
            x.ab,
        );
        let total_of = |o: i32| index(o).and_then(|k| super::explain::churn_cell(&totals[k]));
        let ends = (total_of(x.ab.0), total_of(x.ab.1));
        super::explain::apply(&mut report, &x, "churn_rate", &segs, ends, min_n);
    }
    let report = assert::checked(report, &c.asserts);
    progress.finish();
    Ok((report, c))
}
