"""Generate the benchmark files with DuckDB and time cxm against the same query in DuckDB.

Each timing is the median of 3 runs; memory is the peak RSS of the process (cxm) or of a
fresh Python process running the DuckDB query. DuckDB's query validates like cxm: scores
read with TRY_CAST, blank and rejected counted, timestamps parsed with TRY_CAST."""
import os, statistics, subprocess, sys, time

ROWS = int(sys.argv[1])
DATA = "bench-data"
CXM = "target/release/cxm"
surveys = f"{DATA}/surveys-{ROWS}.csv"

def gen():
    import duckdb
    if os.path.exists(surveys):
        return
    t = time.perf_counter()
    duckdb.sql(f"""
      COPY (
        SELECT 'R' || i AS response_id,
               strftime(TIMESTAMP '2024-01-01' + to_seconds(CAST(hash(i, 1) % (730 * 86400) AS BIGINT)), '%Y-%m-%dT%H:%M:%SZ') AS submitted_at,
               CASE WHEN i % 97 = 0 THEN ''
                    WHEN i % 1009 = 0 THEN 'n/a'
                    ELSE CAST(hash(i, 2) % 11 AS VARCHAR) END AS score,
               ['EMEA','AMER','APAC','LATAM','ANZ'][1 + CAST(hash(i, 3) % 5 AS INTEGER)] AS region,
               'comment ' || (i % 1000) AS comment
        FROM range({ROWS}) t(i)
      ) TO '{surveys}' (HEADER, DELIMITER ',')""")
    print(f"generated {surveys} ({os.path.getsize(surveys)/1e6:.0f} MB) in {time.perf_counter()-t:.1f}s", file=sys.stderr)

def run(argv):
    """Wall seconds and peak RSS (MB) of one process."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"failed: {' '.join(argv)}\n{err}")
    return wall, ru.ru_maxrss / 1024

def duck(sql):
    code = f"import duckdb; duckdb.sql('''{sql}''').fetchall()"
    return [sys.executable, "-c", code]

VALID = """
  WITH r AS (SELECT region, TRY_CAST(submitted_at AS TIMESTAMP) AS ts,
                    TRY_CAST(trim(score) AS INTEGER) AS s,
                    (score IS NULL OR trim(score) = '') AS blank
             FROM read_csv('{f}', all_varchar = true, header = true))
"""
NPS = """count(*) FILTER (WHERE s BETWEEN 0 AND 10) AS n,
  count(*) FILTER (WHERE blank) AS blank,
  count(*) FILTER (WHERE NOT blank AND (s IS NULL OR s NOT BETWEEN 0 AND 10)) AS rejected,
  100.0 * (count(*) FILTER (WHERE s BETWEEN 9 AND 10) - count(*) FILTER (WHERE s BETWEEN 0 AND 6))
        / nullif(count(*) FILTER (WHERE s BETWEEN 0 AND 10), 0) AS nps"""

def cases():
    f = surveys
    return [
        ("nps total", [CXM, "nps", f, "--format", "json", "-q", "--no-progress"],
         duck(VALID.format(f=f) + f"SELECT {NPS} FROM r")),
        ("nps --by region --period month", [CXM, "nps", f, "--by", "region", "--period", "month", "--format", "json", "-q", "--no-progress"],
         duck(VALID.format(f=f) + f"SELECT region, date_trunc('month', ts) AS m, {NPS} FROM r WHERE ts IS NOT NULL GROUP BY ALL ORDER BY ALL")),
    ]

def main():
    gen()
    size = os.path.getsize(surveys) / 1e6
    print(f"\n{ROWS:,} rows, {size:.0f} MB CSV, {os.cpu_count()} cores\n")
    print("| query | cxm (s) | DuckDB (s) | ratio | cxm peak RSS (MB) | DuckDB peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, c, d in cases():
        cr = [run(c) for _ in range(3)]
        dr = [run(d) for _ in range(3)]
        ct = statistics.median(x[0] for x in cr)
        dt = statistics.median(x[0] for x in dr)
        print(f"| {name} | {ct:.2f} | {dt:.2f} | {ct/dt:.2f} | {max(x[1] for x in cr):.0f} | {max(x[1] for x in dr):.0f} |")

main()
