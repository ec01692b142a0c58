//! Ticket presets (SPEC 5, docs/presets.md): Zendesk, Freshdesk, Intercom, Jira Service
//! Management.

use anyhow::Result;

use super::Applied;
use crate::input::read::Source;

/// The ticket presets, in detection order.
pub const NAMES: &[&str] = &["zendesk", "freshdesk", "intercom", "jira-sm"];

/// Which ticket preset the headers look like, if any.
pub fn detect(_src: &Source) -> Option<&'static str> {
    None
}

/// Apply ticket preset `name`.
pub fn apply(_sources: &mut [Source], _name: &str, _a: &mut Applied) -> Result<()> {
    Ok(())
}
