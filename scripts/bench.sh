#!/usr/bin/env bash
# Benchmarks: cxm against DuckDB on the same generated files, in the same run.
# Usage: scripts/bench.sh [ROWS]   (default 10,000,000 survey responses)
# Writes the data to bench-data/ (git-ignored) and prints a Markdown table of wall time and
# peak memory (RSS) with the ratio cxm / DuckDB. BENCHMARKS.md records the numbers measured.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-10000000}"
python3 -c "import duckdb" 2>/dev/null || pip install --quiet duckdb
cargo build --release --locked
mkdir -p bench-data
exec python3 scripts/bench.py "$ROWS"
