//! The canonical columns of each dataset (SPEC 4): their names for `--col`, and the header
//! aliases by which they are found in an export. The metric commands map them and
//! `cxm inspect` shows how they would be mapped.

use std::collections::HashSet;

use anyhow::Result;
use serde_json::{json, Map, Value};

use crate::error::err;
use crate::fail;
use crate::input::mapping::{self, Canon, ColOverrides};
use crate::input::rows::WhereCol;
use crate::input::{FrameCol, Source};

pub use crate::input::presets::Kind as Dataset;

/// The canonical column names `--col` accepts for a dataset.
pub fn columns(d: Dataset) -> &'static [&'static str] {
    match d {
        Dataset::Survey => survey::SURVEY_COLUMNS,
        Dataset::Tickets => tickets::TICKET_COLUMNS,
        Dataset::Subscriptions => subscriptions::SUB_COLUMNS,
    }
}

/// Resolve an optional canonical column in every source: present in all, or in none.
pub fn resolve_all(
    sources: &[Source],
    canon: &Canon,
    cols: &ColOverrides,
) -> Result<Option<Vec<usize>>> {
    let mut found: Vec<Option<usize>> = Vec::new();
    for s in sources {
        found.push(mapping::resolve_source(s, canon, cols)?);
    }
    if found.iter().all(|f| f.is_some()) {
        Ok(Some(found.into_iter().map(|f| f.unwrap_or(0)).collect()))
    } else if found.iter().all(|f| f.is_none()) {
        Ok(None)
    } else {
        let with = sources
            .iter()
            .zip(&found)
            .find(|(_, f)| f.is_some())
            .map(|(s, _)| s.display.clone())
            .unwrap_or_default();
        let without = sources
            .iter()
            .zip(&found)
            .find(|(_, f)| f.is_none())
            .map(|(s, _)| s.display.clone())
            .unwrap_or_default();
        fail!(
            "the inputs do not have the same columns: {with} has a {:?} column and {without} does not; give files of one export, or map it in both with --col {}=…",
            canon.name,
            canon.name
        )
    }
}

/// Finds canonical columns in every input. A header that `--col` gave to one canonical
/// column is not also found as another by its aliases: `--col created_at=First_Response_Time`
/// must not make the same column the first response too.
pub struct Mapper<'s> {
    sources: &'s [Source],
    cols: &'s ColOverrides,
    /// Per input, the header indexes `--col` (or a preset) named.
    claimed: Vec<HashSet<usize>>,
}

impl<'s> Mapper<'s> {
    pub fn new(sources: &'s [Source], cols: &'s ColOverrides) -> Self {
        let claimed = sources
            .iter()
            .map(|s| {
                cols.0
                    .values()
                    .filter_map(|h| mapping::find_header(&s.headers, h))
                    .collect()
            })
            .collect();
        Mapper {
            sources,
            cols,
            claimed,
        }
    }

    /// The column in every input, or in none (see [`resolve_all`]).
    pub fn find(&self, canon: &Canon) -> Result<Option<Vec<usize>>> {
        resolve_all(self.sources, canon, self.cols)
    }

    /// A column the dataset requires (mapping it fails with its own message first).
    pub fn require(&self, canon: &Canon) -> Result<Vec<usize>> {
        self.find(canon)?
            .ok_or_else(|| err(format!("internal: {} is required", canon.name)))
    }

    /// Like [`Mapper::find`], but a header `--col` gave to another canonical column does not
    /// count.
    pub fn find_unclaimed(&self, canon: &Canon) -> Result<Option<Vec<usize>>> {
        let found = self.find(canon)?;
        if self.cols.0.contains_key(canon.name) {
            return Ok(found);
        }
        Ok(found.filter(|v| !v.iter().zip(&self.claimed).any(|(i, cl)| cl.contains(i))))
    }
}

/// `definition.columns`: each mapped canonical column (renamed by `rename`) → its header
/// in the first input.
pub fn column_headers(
    sources: &[Source],
    mapped: &[(String, Vec<usize>)],
    rename: impl Fn(&str) -> &str,
) -> Map<String, Value> {
    mapped
        .iter()
        .map(|(name, idx)| (rename(name).to_string(), json!(sources[0].headers[idx[0]])))
        .collect()
}

/// The frame columns for the mapped columns named in `names`, in `names`' order.
pub fn frame_cols(mapped: &[(String, Vec<usize>)], names: &[&str]) -> Vec<FrameCol> {
    names
        .iter()
        .filter_map(|n| {
            mapped
                .iter()
                .find(|(m, _)| m == n)
                .map(|(m, idx)| FrameCol {
                    name: m.clone(),
                    index: idx.clone(),
                })
        })
        .collect()
}

/// A column's header index in each input.
pub type ColumnIndex = Vec<usize>;

/// Resolve the `--by` and `--where` columns in every input: a header, or a canonical column
/// already mapped (`mapped`: canonical name → header index per input).
pub fn user_columns(
    sources: &[Source],
    by: &[String],
    wheres: &[WhereCol],
    mapped: &[(String, Vec<usize>)],
) -> Result<(Vec<ColumnIndex>, Vec<ColumnIndex>)> {
    let user_col = |name: &str, flag: &str| -> Result<Vec<usize>> {
        sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let m: Vec<(String, usize)> =
                    mapped.iter().map(|(n, v)| (n.clone(), v[i])).collect();
                mapping::resolve_user(&s.display, &s.headers, name, flag, &m)
            })
            .collect()
    };
    let by = by
        .iter()
        .map(|b| user_col(b, "--by"))
        .collect::<Result<_>>()?;
    let wheres = wheres
        .iter()
        .map(|w| user_col(&w.name, "--where"))
        .collect::<Result<_>>()?;
    Ok((by, wheres))
}

/// Adds the `--by` and `--where` columns to the frame columns as `__by{i}` / `__w{i}` and
/// returns those names.
pub fn push_user_cols(
    cols: &mut Vec<FrameCol>,
    by_idx: &[Vec<usize>],
    where_idx: &[Vec<usize>],
) -> (Vec<String>, Vec<String>) {
    let mut named = |prefix: &str, idx: &[Vec<usize>]| -> Vec<String> {
        idx.iter()
            .enumerate()
            .map(|(i, v)| {
                let name = format!("{prefix}{i}");
                cols.push(FrameCol {
                    name: name.clone(),
                    index: v.clone(),
                });
                name
            })
            .collect()
    };
    let by = named("__by", by_idx);
    let wh = named("__w", where_idx);
    (by, wh)
}

pub mod survey {
    use crate::input::mapping::Canon;

    const GENERIC_SCORE: &[&str] = &["rating", "likelihood to recommend"];

    /// The score column as metric `metric` (nps, csat, ces, pmf) finds it.
    pub fn score_canon(metric: &str) -> Canon {
        let own: &'static [&'static str] = match metric {
            "nps" => &[
                "nps",
                "nps score",
                "likelihood to recommend",
                "how likely are you to recommend us",
            ],
            "csat" => &[
                "csat",
                "satisfaction",
                "satisfaction score",
                "csat score",
                "satisfaction rating",
                "customer satisfaction rating",
            ],
            "ces" => &["ces", "effort", "effort score", "ces score"],
            _ => &["pmf", "pmf score", "disappointment", "how disappointed"],
        };
        Canon {
            name: "score",
            required: true,
            own,
            generic: GENERIC_SCORE,
        }
    }

    pub const SURVEY_COLUMNS: &[&str] = &[
        "score",
        "submitted_at",
        "response_id",
        "customer_id",
        "comment",
        "updated_at",
    ];

    pub fn time_canon(required: bool) -> Canon {
        Canon {
            name: "submitted_at",
            required,
            own: &[
                "submitted",
                "submit date",
                "submitted date",
                "date submitted",
                "response date",
                "responded at",
                "completed at",
                "recorded date",
                "end date",
            ],
            generic: &["created_at", "created", "date", "timestamp", "time"],
        }
    }
    pub const ID_CANON: Canon = Canon {
        name: "response_id",
        required: false,
        own: &["response id", "responseid", "survey response id"],
        generic: &[],
    };
    pub const UPDATED_CANON: Canon = Canon {
        name: "updated_at",
        required: false,
        own: &["updated", "last updated", "modified at"],
        generic: &[],
    };

    /// The survey columns as the metric commands map them, for `cxm inspect`: the score as each
    /// metric (nps, csat, ces, pmf) maps it, then `submitted_at`, `response_id`, `updated_at`.
    pub fn inspect_canons() -> (Vec<(&'static str, Canon)>, Vec<Canon>) {
        let scores = ["nps", "csat", "ces", "pmf"]
            .into_iter()
            .map(|m| (m, score_canon(m)))
            .collect();
        (scores, vec![time_canon(false), ID_CANON, UPDATED_CANON])
    }
}

pub mod tickets {
    use crate::input::mapping::Canon;

    /// Canonical ticket columns (SPEC 4), for `--col`.
    pub const TICKET_COLUMNS: &[&str] = &[
        "created_at",
        "ticket_id",
        "first_response_at",
        "first_response_minutes",
        "first_response_business_minutes",
        "resolution_minutes",
        "resolution_business_minutes",
        "resolved_at",
        "reopens",
        "status",
        "priority",
        "channel",
        "updated_at",
    ];

    pub const CREATED: Canon = Canon {
        name: "created_at",
        required: true,
        own: &[
            "created",
            "created time",
            "created date",
            "opened at",
            "date created",
            "created on",
            "creation date",
        ],
        generic: &[],
    };
    pub const ID: Canon = Canon {
        name: "ticket_id",
        required: false,
        own: &["id", "ticket id", "ticket number", "ticket"],
        generic: &[],
    };
    pub const FIRST: Canon = Canon {
        name: "first_response_at",
        required: false,
        own: &[
            "first reply at",
            "first responded at",
            "first response time",
            "first response at",
            "initial response time",
            "first replied at",
        ],
        generic: &[],
    };
    /// Zendesk's CSV export has no first-reply timestamp, only the elapsed calendar minutes.
    pub const FIRST_MINUTES: Canon = Canon {
        name: "first_response_minutes",
        required: false,
        own: &["first reply time in minutes", "first reply time minutes"],
        generic: &[],
    };
    /// Exported durations (`--use-exported-durations`), in minutes.
    pub const FIRST_BUSINESS_MINUTES: Canon = Canon {
        name: "first_response_business_minutes",
        required: false,
        own: &["first reply time in minutes within business hours"],
        generic: &[],
    };
    pub const RES_MINUTES: Canon = Canon {
        name: "resolution_minutes",
        required: false,
        own: &["full resolution time in minutes"],
        generic: &[],
    };
    pub const RES_BUSINESS_MINUTES: Canon = Canon {
        name: "resolution_business_minutes",
        required: false,
        own: &["full resolution time in minutes within business hours"],
        generic: &[],
    };
    pub const RESOLVED_C: Canon = Canon {
        name: "resolved_at",
        required: false,
        own: &[
            "solved at",
            "solved",
            "resolved time",
            "resolved",
            "closed at",
            "resolved date",
            "solved time",
        ],
        generic: &[],
    };
    pub const REOPENS: Canon = Canon {
        name: "reopens",
        required: false,
        own: &["reopen count", "reopened count", "number of reopens"],
        generic: &[],
    };
    pub const STATUS: Canon = Canon {
        name: "status",
        required: false,
        own: &["ticket status", "state"],
        generic: &[],
    };
    pub const PRIORITY: Canon = Canon {
        name: "priority",
        required: false,
        own: &["ticket priority"],
        generic: &[],
    };
    pub const CHANNEL: Canon = Canon {
        name: "channel",
        required: false,
        own: &["via", "source", "ticket channel", "via channel"],
        generic: &[],
    };
    pub const UPDATED: Canon = Canon {
        name: "updated_at",
        required: false,
        own: &[
            "updated",
            "last updated",
            "last updated time",
            "updated time",
        ],
        generic: &[],
    };

    /// The ticket columns in the order `cxm tickets` maps them, for `cxm inspect`
    /// (`first_response_minutes` is used only without `first_response_at`).
    pub fn inspect_canons() -> Vec<Canon> {
        vec![
            CREATED,
            ID,
            FIRST,
            FIRST_MINUTES,
            FIRST_BUSINESS_MINUTES,
            RES_MINUTES,
            RES_BUSINESS_MINUTES,
            RESOLVED_C,
            REOPENS,
            STATUS,
            PRIORITY,
            CHANNEL,
            UPDATED,
        ]
    }
}

pub mod subscriptions {
    use crate::input::mapping::Canon;

    /// Canonical subscription columns (SPEC 4), for `--col`.
    pub const SUB_COLUMNS: &[&str] = &[
        "customer_id",
        "started_at",
        "ended_at",
        "mrr",
        "amount",
        "interval",
        "interval_count",
        "quantity",
        "plan",
        "status",
        "currency",
        "cancel_reason",
        "subscription_id",
        "canceled_at",
        "trial_end",
        "current_period_end",
        "tenure",
        "churned",
    ];

    const fn canon(name: &'static str, required: bool, own: &'static [&'static str]) -> Canon {
        Canon {
            name,
            required,
            own,
            generic: &[],
        }
    }

    pub const CUSTOMER: Canon = canon(
        "customer_id",
        true,
        &[
            "customer",
            "customer uuid",
            "account code",
            "account id",
            "client id",
            "customer external id",
        ],
    );
    pub const STARTED: Canon = Canon {
        name: "started_at",
        required: true,
        own: &[
            "start date",
            "start",
            "started",
            "start time",
            "started on",
            "activated at",
            "subscription start",
            "subscription start date",
        ],
        generic: &["created", "created at", "created date"],
    };
    pub const ENDED: Canon = canon(
        "ended_at",
        false,
        &[
            "ended",
            "end date",
            "end",
            "ended on",
            "ended date",
            "expires at",
            "expired at",
            "subscription end",
            "subscription end date",
        ],
    );
    pub const MRR: Canon = canon(
        "mrr",
        false,
        &["monthly recurring revenue", "mrr amount", "monthly amount"],
    );
    pub const AMOUNT: Canon = canon(
        "amount",
        false,
        &[
            "price",
            "unit amount",
            "plan amount",
            "plan unit price",
            "unit price",
        ],
    );
    pub const INTERVAL: Canon = canon(
        "interval",
        false,
        &[
            "billing interval",
            "billing period unit",
            "interval unit",
            "plan interval",
            "recurring interval",
        ],
    );
    pub const INTERVAL_COUNT: Canon = canon(
        "interval_count",
        false,
        &[
            "billing period",
            "plan interval count",
            "recurring interval count",
        ],
    );
    pub const QUANTITY: Canon = canon("quantity", false, &["qty", "plan quantity", "seats"]);
    pub const PLAN: Canon = canon(
        "plan",
        false,
        &["plan name", "plan id", "plan nickname", "price id"],
    );
    pub const STATUS: Canon = canon(
        "status",
        false,
        &["subscription status", "state", "subscription state"],
    );
    pub const CURRENCY: Canon = canon(
        "currency",
        false,
        &["currency code", "billing currency", "plan currency"],
    );
    pub const REASON: Canon = canon(
        "cancel_reason",
        false,
        &[
            "cancellation reason",
            "cancel reason",
            "cancel reason code",
            "churn reason",
            "cancellation details reason",
            "cancellation reason code",
        ],
    );
    pub const SUB_ID: Canon = canon(
        "subscription_id",
        false,
        &["id", "subscription", "uuid", "subscription uuid"],
    );
    pub const UPDATED: Canon = canon(
        "updated_at",
        false,
        &["updated", "last updated", "modified at"],
    );
    pub const CANCELED: Canon = canon(
        "canceled_at",
        false,
        &[
            "cancelled at",
            "canceled",
            "cancelled",
            "cancellation date",
            "canceled date",
        ],
    );
    pub const TRIAL_END: Canon = canon(
        "trial_end",
        false,
        &[
            "trial end",
            "trial ends at",
            "trial end date",
            "trial ended at",
        ],
    );
    pub const PERIOD_END: Canon = canon(
        "current_period_end",
        false,
        &["current period end", "current term end", "period end"],
    );

    /// The subscription columns `cxm churn` maps, for `cxm inspect` (`amount` is used only
    /// without `mrr`; `interval`, `interval_count` and `quantity` only with `amount`).
    pub fn inspect_canons() -> Vec<Canon> {
        vec![
            CUSTOMER,
            STARTED,
            ENDED,
            MRR,
            AMOUNT,
            INTERVAL,
            INTERVAL_COUNT,
            QUANTITY,
            PLAN,
            STATUS,
            CURRENCY,
            REASON,
            SUB_ID,
            UPDATED,
            CANCELED,
            TRIAL_END,
            PERIOD_END,
        ]
    }

    pub const TENURE: Canon = Canon {
        name: "tenure",
        required: false,
        own: &[
            "tenure months",
            "tenure in months",
            "months active",
            "lifetime months",
        ],
        generic: &[],
    };
    pub const CHURNED: Canon = Canon {
        name: "churned",
        required: true,
        own: &[
            "churn",
            "is churned",
            "has churned",
            "exited",
            "attrition",
            "attrited",
        ],
        generic: &[],
    };
}
