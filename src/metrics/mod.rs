//! Pure computations: no I/O, no printing. Survey metrics, statistics.

pub mod business_time;
pub mod explain;
pub mod stats;
pub mod subscriptions;
pub mod survey;
pub mod tickets;
