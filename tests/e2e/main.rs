//! End-to-end tests: every user-visible behaviour through the `cxm` binary (stdout, stderr,
//! exit code). One test binary, one module per command family.

mod util;

mod churn;
mod explain;
mod fast_reader;
mod inspect;
mod json_input;
mod malformed;
mod parquet_input;
mod pollution;
mod presets;
mod readme;
mod real_exports;
mod report;
mod rows;
mod shared_data;
mod sql;
mod sql_churn;
mod subscription_presets;
mod survey;
mod ticket_presets;
mod tickets;
