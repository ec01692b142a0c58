#!/usr/bin/env bash
# Benchmarks: cxm against DuckDB on the same generated files, in the same run.
# Usage: scripts/bench.sh [ROWS] [surveys|tickets|churn|json|parquet|all] [--runs N]
#   ROWS: survey responses (default 10,000,000); the ticket file has ROWS/2 tickets and the
#   subscription file ROWS/10 customers (~1.5 subscriptions each). The part defaults to all.
#   Example, a quick check of the ticket part: scripts/bench.sh 20000 tickets --runs 1
# Writes the data to bench-data/ (git-ignored) and prints a Markdown table per part of wall
# time and peak memory (RSS) with the ratio cxm / DuckDB, then checks that both computed the
# same numbers. BENCHMARKS.md records the numbers measured.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import duckdb" 2>/dev/null || pip install --quiet duckdb
cargo build --release --locked
mkdir -p bench-data
exec python3 scripts/bench.py "$@"
