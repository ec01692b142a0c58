"""Write the typed Parquet fixtures of fixtures/parquet/ with DuckDB (pip install duckdb).

Usage: python3 scripts/make_parquet_fixtures.py [spark]   (from the repository root)

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

# spark.parquet (only with `spark` as the argument; needs pyspark and Java): twelve responses
# as Spark writes them, submitted_at as INT96 (Spark's legacy timestamps), a DECIMAL amount, a
# SMALLINT and an array column.
import sys

if sys.argv[1:] == ["spark"]:
    import glob, os, shutil, tempfile
    from pyspark.sql import SparkSession
    s = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.parquet.outputTimestampType", "INT96").getOrCreate())
    out = tempfile.mkdtemp()
    s.sql("""
    SELECT concat('r', id) AS response_id, CAST(id % 11 AS INT) AS score,
           CAST(from_unixtime(1735689600 + id * 3600) AS TIMESTAMP) AS submitted_at,
           CAST(id * 1.25 AS DECIMAL(10,2)) AS amount, CAST(id % 3 AS SHORT) AS region_code,
           array(1, 2) AS tags
    FROM range(12)""").coalesce(1).write.mode("overwrite").parquet(out)
    s.stop()
    shutil.copy(glob.glob(os.path.join(out, "*.parquet"))[0], "fixtures/parquet/spark.parquet")
    shutil.rmtree(out)
