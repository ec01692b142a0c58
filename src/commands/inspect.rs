//! `cxm inspect` (in progress).

use anyhow::Result;
use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct InspectArgs {
    /// Input
    #[arg(value_name = "FILE")]
    pub path: String,
}

pub fn run(_a: &InspectArgs) -> Result<u8> {
    crate::fail!("cxm inspect is not available in this version")
}
