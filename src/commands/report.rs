//! `cxm report` (in progress).

use anyhow::Result;
use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Input
    #[arg(value_name = "FILE")]
    pub path: String,
}

pub fn run(_a: &ReportArgs) -> Result<u8> {
    crate::fail!("cxm report is not available in this version")
}
