//! Subscription presets (SPEC 5, docs/presets.md): Stripe, Chargebee, Recurly.

use anyhow::Result;

use super::Applied;
use crate::input::read::Source;

/// The subscription presets, in detection order.
pub const NAMES: &[&str] = &["stripe", "chargebee", "recurly"];

/// Which subscription preset the headers look like, if any.
pub fn detect(_src: &Source) -> Option<&'static str> {
    None
}

/// Apply subscription preset `name`.
pub fn apply(_sources: &mut [Source], _name: &str, _a: &mut Applied) -> Result<()> {
    Ok(())
}
