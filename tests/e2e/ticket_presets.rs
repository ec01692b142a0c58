//! End-to-end tests of the ticket presets (SPEC 5, docs/presets.md).

#[allow(unused_imports)]
use crate::util::*;
