//! `cxm churn` (in progress).

use anyhow::Result;
use clap::Args;

use crate::cli::CommonArgs;

#[derive(Args, Debug, Clone)]
pub struct ChurnArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_a: &ChurnArgs) -> Result<u8> {
    crate::fail!("cxm churn is not available in this version")
}
