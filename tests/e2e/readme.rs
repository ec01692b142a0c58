//! e2e tests: readme
