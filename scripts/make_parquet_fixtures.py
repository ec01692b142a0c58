"""Write the typed Parquet fixtures of fixtures/parquet/ with DuckDB (pip install duckdb).

Usage: python3 scripts/make_parquet_fixtures.py   (from the repository root)

typed.parquet: six survey responses whose score is stored as every integer width and as a
DECIMAL, with a DECIMAL amount, a DATE and a millisecond TIMESTAMP (the types billing and
warehouse exports use), two BLOBs (one cell not UTF-8) and a UUID. interval.parquet: three responses and an INTERVAL column, a type
cxm cannot read."""
import duckdb

duckdb.sql("""
COPY (
  SELECT 'r' || i AS response_id,
         TIMESTAMP_MS '2025-03-01 10:00:00.250' + INTERVAL (i - 1) DAY AS submitted_at,
         s::TINYINT AS score, s::UTINYINT AS score_u8, s::SMALLINT AS score_i16,
         s::USMALLINT AS score_u16, s::BIGINT AS score_i64, s::DECIMAL(4, 1) AS score_dec,
         (i * 12.5)::DECIMAL(18, 2) AS amount, DATE '2025-03-01' + (i - 1) AS day,
         CASE WHEN i % 2 = 0 THEN 'pro' ELSE 'team' END AS plan, ('x' || i)::BLOB AS raw,
         CASE WHEN i = 1 THEN '\\xFF\\x01'::BLOB ELSE ('b' || i)::BLOB END AS bin,
         ('00000000-0000-4000-8000-' || lpad(i::VARCHAR, 12, '0'))::UUID AS uid
  FROM (VALUES (1, 10), (2, 9), (3, 7), (4, 3), (5, NULL), (6, 11)) t(i, s)
) TO 'fixtures/parquet/typed.parquet' (FORMAT PARQUET)""")

duckdb.sql("""
COPY (
  SELECT 'r' || i AS response_id, i + 7 AS score, INTERVAL (i) HOUR AS wait
  FROM range(1, 4) t(i)
) TO 'fixtures/parquet/interval.parquet' (FORMAT PARQUET)""")
