//! `cxm check` (in progress).

use anyhow::Result;
use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Input
    #[arg(value_name = "FILE")]
    pub path: String,
}

pub fn run(_a: &CheckArgs) -> Result<u8> {
    crate::fail!("cxm check is not available in this version")
}
