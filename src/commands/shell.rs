//! `cxm completions SHELL` and `cxm man` (in progress).

use anyhow::Result;
use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// bash, zsh or fish
    #[arg(value_name = "SHELL")]
    pub shell: String,
}

#[derive(Args, Debug, Clone)]
pub struct ManArgs {}

pub fn completions(_a: &CompletionsArgs) -> Result<u8> {
    crate::fail!("cxm completions is not available in this version")
}

pub fn man(_a: &ManArgs) -> Result<u8> {
    crate::fail!("cxm man is not available in this version")
}
