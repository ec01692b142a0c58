//! e2e tests: tickets
