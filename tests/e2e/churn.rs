//! e2e tests: churn
