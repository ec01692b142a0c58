//! `cxm tickets` (in progress).

use anyhow::Result;
use clap::Args;

use crate::cli::CommonArgs;

#[derive(Args, Debug, Clone)]
pub struct TicketsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_a: &TicketsArgs) -> Result<u8> {
    crate::fail!("cxm tickets is not available in this version")
}
