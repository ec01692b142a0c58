//! `cxm retention` (in progress).

use anyhow::Result;
use clap::Args;

use crate::cli::CommonArgs;

#[derive(Args, Debug, Clone)]
pub struct RetentionArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_a: &RetentionArgs) -> Result<u8> {
    crate::fail!("cxm retention is not available in this version")
}
