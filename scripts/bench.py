"""Generate the benchmark files with DuckDB and time cxm against the same query in DuckDB.

Usage: python3 scripts/bench.py [ROWS] [surveys|tickets|churn|json|parquet|all] [--runs N]
       (CXM=path/to/cxm in the environment times that binary instead of target/release/cxm)

ROWS (default 10,000,000) is the number of survey responses; the ticket file has ROWS / 2
tickets and the subscription file ROWS / 10 customers (about 1.5 subscriptions each), so
the default run is 10M responses, 5M tickets and 1M customers. The part defaults to `all`.
The `json` part (not in `all`) reads the ticket file's rows as NDJSON and as one API page
({"tickets": [...]}), and the survey file's rows as NDJSON, written from the CSVs by DuckDB.
The `parquet` part (not in `all`) reads the survey and ticket files' rows as Parquet, every
column text (as DuckDB writes the CSVs read as text) and typed (times as TIMESTAMP, scores
and reopens as INTEGER).

Each timing is the median of N runs (default 3); memory is the peak RSS of the process (cxm)
or of a fresh Python process running the DuckDB query. The DuckDB queries validate like cxm:
numbers and timestamps read with TRY_CAST, rejected rows excluded. After the first run of
each case the outputs of both are compared (cxm's JSON against DuckDB's rows) and the
differences, if any, are printed to standard error."""
import json, math, os, statistics, subprocess, sys, time

ARGS, RUNS, PREPARE = [], 3, False
_argv = sys.argv[1:]
while _argv:
    a = _argv.pop(0)
    if a == "--runs":
        RUNS = int(_argv.pop(0))
    elif a == "--prepare":  # internal: generate the files in a child process (see main)
        PREPARE = True
    else:
        ARGS.append(a)
ROWS = int(ARGS[0]) if ARGS else 10_000_000
PART = ARGS[1] if len(ARGS) > 1 else "all"
if PART not in ("surveys", "tickets", "churn", "json", "parquet", "all"):
    sys.exit(f"unknown part {PART!r}: use surveys, tickets, churn, json, parquet or all")
TICKETS = ROWS // 2
CUSTOMERS = ROWS // 10
DATA = "bench-data"
OUT = f"{DATA}/out"
CXM = os.environ.get("CXM", "target/release/cxm")  # CXM=path times another build
surveys = f"{DATA}/surveys-{ROWS}.csv"
tickets = f"{DATA}/tickets-{TICKETS}.csv"
subscriptions = f"{DATA}/subscriptions-{CUSTOMERS}.csv"
tickets_ndjson = f"{DATA}/tickets-{TICKETS}.ndjson"
tickets_page = f"{DATA}/tickets-{TICKETS}-page.json"
surveys_ndjson = f"{DATA}/surveys-{ROWS}.ndjson"
surveys_parquet = f"{DATA}/surveys-{ROWS}.parquet"
tickets_parquet = f"{DATA}/tickets-{TICKETS}.parquet"
surveys_typed = f"{DATA}/surveys-{ROWS}-typed.parquet"
tickets_typed = f"{DATA}/tickets-{TICKETS}-typed.parquet"
holidays = f"{DATA}/holidays.txt"
TS = "'%Y-%m-%dT%H:%M:%SZ'"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def copy(path, select):
    import duckdb
    if os.path.exists(path):
        return
    t = time.perf_counter()
    tmp = path + ".tmp"
    duckdb.sql(f"COPY ({select}) TO '{tmp}' (HEADER, DELIMITER ',')")
    os.replace(tmp, path)
    log(f"generated {path} ({os.path.getsize(path)/1e6:.0f} MB) in {time.perf_counter()-t:.1f}s")


# ---------------------------------------------------------------------------------------
# Data


def gen_surveys():
    copy(surveys, f"""
        SELECT 'R' || i AS response_id,
               strftime(TIMESTAMP '2024-01-01' + to_seconds(CAST(hash(i, 1) % (730 * 86400) AS BIGINT)), {TS}) AS submitted_at,
               CASE WHEN i % 97 = 0 THEN ''
                    WHEN i % 1009 = 0 THEN 'n/a'
                    ELSE CAST(hash(i, 2) % 11 AS VARCHAR) END AS score,
               ['EMEA','AMER','APAC','LATAM','ANZ'][1 + CAST(hash(i, 3) % 5 AS INTEGER)] AS region,
               'comment ' || (i % 1000) AS comment
        FROM range({ROWS}) t(i)""")


# Planted junk in the ticket file (each rejected by cxm, excluded by the DuckDB query):
#   i % 10007 = 3: resolved_at one day before created_at
#   i % 10009 = 5: first_response_at one hour before created_at
#   i % 20011 = 9: created_at is not a timestamp ("not a date")
TICKET_JUNK = "(i % 10007 = 3) OR (i % 10009 = 5) OR (i % 20011 = 9)"


def gen_tickets():
    copy(tickets, f"""
        WITH b AS (
          SELECT i,
                 TIMESTAMP '2024-01-01' + to_seconds(CAST(hash(i, 1) % (730 * 86400) AS BIGINT)) AS c,
                 -- first response: 2 minutes to ~3 days later (skewed to short), 5% never
                 CASE WHEN hash(i, 2) % 20 = 0 THEN NULL
                      ELSE 120 + CAST(pow(CAST(hash(i, 3) % 1000 AS DOUBLE), 3) / 1000000000.0 * 259200 AS BIGINT) END AS fr_s,
                 -- resolution: 85% resolved, 0 to ~14 days after the first response
                 CASE WHEN hash(i, 4) % 100 < 85
                      THEN 600 + CAST(pow(CAST(hash(i, 5) % 1000 AS DOUBLE), 2) / 1000000.0 * 1209600 AS BIGINT) END AS res_s,
                 CAST(hash(i, 6) % 10 AS INTEGER) AS ro
          FROM range({TICKETS}) t(i))
        SELECT 'T' || i AS ticket_id,
               CASE WHEN i % 20011 = 9 THEN 'not a date' ELSE strftime(c, {TS}) END AS created_at,
               CASE WHEN i % 10009 = 5 THEN strftime(c - INTERVAL 1 HOUR, {TS})
                    WHEN fr_s IS NULL THEN NULL
                    ELSE strftime(c + to_seconds(fr_s), {TS}) END AS first_response_at,
               CASE WHEN i % 10007 = 3 THEN strftime(c - INTERVAL 1 DAY, {TS})
                    WHEN res_s IS NULL THEN NULL
                    ELSE strftime(c + to_seconds(coalesce(fr_s, 0) + res_s), {TS}) END AS resolved_at,
               CASE WHEN ro < 7 THEN 0 WHEN ro < 9 THEN 1 ELSE 2 END AS reopens,
               CASE WHEN res_s IS NULL AND i % 10007 <> 3 THEN (CASE WHEN hash(i, 7) % 3 = 0 THEN 'pending' ELSE 'open' END)
                    ELSE 'solved' END AS status,
               ['low','normal','high','urgent'][1 + CAST(hash(i, 8) % 4 AS INTEGER)] AS priority,
               ['email','chat','phone','web'][1 + CAST(hash(i, 9) % 4 AS INTEGER)] AS channel
        FROM b""")
    if not os.path.exists(holidays):
        days = ["2024-01-01", "2024-03-29", "2024-04-01", "2024-05-01", "2024-05-09",
                "2024-05-20", "2024-10-03", "2024-12-24", "2024-12-25", "2024-12-26",
                "2024-12-31", "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-01",
                "2025-05-29", "2025-06-09", "2025-10-03", "2025-12-25", "2025-12-26"]
        with open(holidays, "w") as f:
            f.write("".join(d + "\n" for d in days))


# The ticket rows as JSON: NDJSON (one object per line, every value a string or null) and
# one API page {"tickets": [...], "next_page": null} holding the same objects.
def gen_tickets_json():
    import duckdb
    cols = f"SELECT * FROM read_csv('{tickets}', all_varchar = true, header = true)"
    if not os.path.exists(tickets_ndjson):
        tmp = tickets_ndjson + ".tmp"
        duckdb.sql(f"COPY ({cols}) TO '{tmp}' (FORMAT JSON)")
        os.replace(tmp, tickets_ndjson)
        log(f"generated {tickets_ndjson} ({os.path.getsize(tickets_ndjson)/1e6:.0f} MB)")
    if not os.path.exists(tickets_page):
        arr = tickets_page + ".array.tmp"
        duckdb.sql(f"COPY ({cols}) TO '{arr}' (FORMAT JSON, ARRAY true)")
        tmp = tickets_page + ".tmp"
        with open(tmp, "wb") as out, open(arr, "rb") as a:
            out.write(b'{"tickets": ')
            while True:
                b = a.read(1 << 24)
                if not b:
                    break
                out.write(b)
            out.write(b', "next_page": null}\n')
        os.remove(arr)
        os.replace(tmp, tickets_page)
        log(f"generated {tickets_page} ({os.path.getsize(tickets_page)/1e6:.0f} MB)")


# The survey rows as NDJSON (every value a string).
def gen_surveys_json():
    import duckdb
    if not os.path.exists(surveys_ndjson):
        tmp = surveys_ndjson + ".tmp"
        duckdb.sql(f"COPY (SELECT * FROM read_csv('{surveys}', all_varchar = true, header = true)) TO '{tmp}' (FORMAT JSON)")
        os.replace(tmp, surveys_ndjson)
        log(f"generated {surveys_ndjson} ({os.path.getsize(surveys_ndjson)/1e6:.0f} MB)")


# The survey and ticket rows as Parquet: every column text, and typed (times as TIMESTAMP,
# scores and reopens as INTEGER; a cell that is not one becomes NULL, as a warehouse export
# of the same rows would hold it).
def gen_parquet():
    import duckdb
    typed_surveys = ("SELECT response_id, TRY_CAST(submitted_at AS TIMESTAMP) AS submitted_at, "
                     "TRY_CAST(trim(score) AS INTEGER) AS score, region, comment FROM ")
    typed_tickets = ("SELECT ticket_id, TRY_CAST(created_at AS TIMESTAMP) AS created_at, "
                     "TRY_CAST(first_response_at AS TIMESTAMP) AS first_response_at, "
                     "TRY_CAST(resolved_at AS TIMESTAMP) AS resolved_at, "
                     "TRY_CAST(reopens AS INTEGER) AS reopens, status, priority, channel FROM ")
    for csv, pq, select in ((surveys, surveys_parquet, "SELECT * FROM "),
                            (tickets, tickets_parquet, "SELECT * FROM "),
                            (surveys, surveys_typed, typed_surveys),
                            (tickets, tickets_typed, typed_tickets)):
        if not os.path.exists(pq):
            tmp = pq + ".tmp"
            # Through a table: DuckDB would push the casts into the CSV reader, which stops at
            # the first junk cell instead of making it NULL.
            duckdb.sql(f"CREATE OR REPLACE TEMP TABLE src AS SELECT * FROM read_csv('{csv}', all_varchar = true, header = true)")
            duckdb.sql(f"COPY ({select} src) TO '{tmp}' (FORMAT PARQUET)")
            duckdb.sql("DROP TABLE src")
            os.replace(tmp, pq)
            log(f"generated {pq} ({os.path.getsize(pq)/1e6:.0f} MB)")


# Subscriptions: customer c has 1 (40%), 2 (30%) or 3 (30%) subscriptions in a chain. Each
# later one is an upgrade (starts the instant the previous ends, one plan up) or a win-back
# (starts 30-119 days after the previous ends, random plan). The first starts uniformly over
# 2024-2025; each lasts 30-359 days; the last one of a chain ends with probability 1/16.
# Everything after 2025-12-31 has not happened: such starts are dropped and such ends blank
# (status active). Planted junk: customers with c % 5003 = 7 have their first subscription's
# ended_at one day before its started_at (rejected by cxm as end_before_start).
SUB_JUNK = "c % 5003 = 7"
PLANS = "['basic','pro','business','enterprise']"
PRICES = "[19.0, 49.0, 99.0, 299.0]"


def gen_subscriptions():
    copy(subscriptions, f"""
        WITH cu AS (
          SELECT c,
                 CASE WHEN hash(c, 1) % 100 < 40 THEN 1 WHEN hash(c, 1) % 100 < 70 THEN 2 ELSE 3 END AS k,
                 TIMESTAMP '2024-01-01' + to_seconds(CAST(hash(c, 2) % (730 * 86400) AS BIGINT)) AS s0,
                 to_days(CAST(30 + hash(c, 3) % 330 AS INTEGER)) AS d0,
                 to_days(CAST(30 + hash(c, 4) % 330 AS INTEGER)) AS d1,
                 to_days(CAST(30 + hash(c, 5) % 330 AS INTEGER)) AS d2,
                 hash(c, 6) % 2 = 0 AS up1, hash(c, 7) % 2 = 0 AS up2,
                 to_days(CAST(30 + hash(c, 8) % 90 AS INTEGER)) AS g1,
                 to_days(CAST(30 + hash(c, 9) % 90 AS INTEGER)) AS g2,
                 CAST(hash(c, 10) % 4 AS INTEGER) AS p0,
                 CAST(hash(c, 11) % 4 AS INTEGER) AS q1,
                 CAST(hash(c, 12) % 4 AS INTEGER) AS q2,
                 hash(c, 13) % 16 = 0 AS last_ends
          FROM range({CUSTOMERS}) t(c)),
        ch AS (
          SELECT *, s0 + d0 AS e0,
                 s0 + d0 + CASE WHEN up1 THEN INTERVAL 0 DAY ELSE g1 END AS s1,
                 CASE WHEN up1 THEN least(p0 + 1, 3) ELSE q1 END AS p1
          FROM cu),
        ch2 AS (
          SELECT *, s1 + d1 AS e1,
                 s1 + d1 + CASE WHEN up2 THEN INTERVAL 0 DAY ELSE g2 END AS s2,
                 CASE WHEN up2 THEN least(p1 + 1, 3) ELSE q2 END AS p2,
                 s1 + d1 + CASE WHEN up2 THEN INTERVAL 0 DAY ELSE g2 END + d2 AS e2
          FROM ch),
        subs AS (
          SELECT c, j,
                 [s0, s1, s2][j + 1] AS s,
                 CASE WHEN j + 1 < k OR last_ends THEN [e0, e1, e2][j + 1] END AS e,
                 [p0, p1, p2][j + 1] AS p
          FROM (SELECT *, unnest(range(k)) AS j FROM ch2))
        SELECT 'S' || c || '-' || j AS subscription_id,
               'C' || c AS customer_id,
               strftime(s, {TS}) AS started_at,
               CASE WHEN {SUB_JUNK} AND j = 0 THEN strftime(s - INTERVAL 1 DAY, {TS})
                    WHEN e < TIMESTAMP '2026-01-01' THEN strftime(e, {TS}) END AS ended_at,
               printf('%.2f', {PRICES}[p + 1]) AS mrr,
               CASE WHEN ({SUB_JUNK} AND j = 0) OR e < TIMESTAMP '2026-01-01' THEN 'canceled' ELSE 'active' END AS status,
               {PLANS}[p + 1] AS plan
        FROM subs
        WHERE s < TIMESTAMP '2026-01-01'
        ORDER BY c, j""")


# ---------------------------------------------------------------------------------------
# Running


def busy_seconds():
    """CPU seconds spent by the whole machine so far (all cores, not idle or iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


OTHER = []  # CPU seconds used by other processes during each timed run


def run(argv, out=None):
    """Wall seconds and peak RSS (MB) of one process; its standard output goes to `out`.
    Also records how much CPU the rest of the machine used meanwhile (in OTHER)."""
    sink = open(out, "wb") if out else subprocess.DEVNULL
    b0 = busy_seconds()
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE)
    err = p.stderr.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    OTHER.append(max(0.0, busy_seconds() - b0 - ru.ru_utime - ru.ru_stime))
    if out:
        sink.close()
    # cxm exits 1 when an --assert fails (none here); anything else is a failure.
    if os.waitstatus_to_exitcode(status) not in ((0, 1) if argv[0] == CXM else (0,)):
        sys.exit(f"failed: {' '.join(argv)}\n{err}")
    return wall, ru.ru_maxrss / 1024


def duck(sql, setup=None, sql_file=None):
    """A fresh Python process running the query (or the query in `sql_file`, after the
    statement `setup`); prints the rows as JSON (column → value)."""
    query = f"open({sql_file!r}).read()" if sql_file else f"'''{sql}'''"
    code = (
        "import duckdb, json\n"
        "duckdb.sql('SET enable_progress_bar = false')\n"
        + (f"duckdb.sql('''{setup}''')\n" if setup else "")
        + f"r = duckdb.sql({query})\n"
        "cols = r.columns\n"
        "print(json.dumps([dict(zip(cols, row)) for row in r.fetchall()], default=str))\n"
    )
    return [sys.executable, "-c", code]


def close(a, b, tol=1e-6):
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def compare(name, pairs):
    """pairs: (label, cxm value, DuckDB value). Prints every pair on a small run, else the
    mismatches; returns the number of mismatches."""
    bad = [p for p in pairs if not close(p[1], p[2])]
    log(f"  check {name}: {len(pairs)} values compared, {len(bad)} differ")
    if ROWS <= 100_000:  # a small run: show values side by side (the first ones and the last)
        show = pairs if len(pairs) <= 40 else pairs[:26] + pairs[-1:] + [p for p in bad if p not in pairs[:26]][:20]
    else:
        show = bad[:20]
    for label, a, b in show:
        log(f"    {'  ' if close(a, b) else '!!'} {label}: cxm {a}  duckdb {b}")
    return len(bad)


# --- surveys

SURVEY_VALID = """
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


def check_nps_total(c, d):
    t, r = c["total"], d[0]
    return [(k, t.get(k), r[k]) for k in ("n", "nps")]


def check_nps_grouped(c, d):
    rows = {(x["group"]["region"] if isinstance(x.get("group"), dict) else None, x.get("period")): x
            for x in c["rows"]}
    pairs = []
    for r in d:
        key = (r["region"], r["m"][:7])
        x = rows.get(key)
        pairs += [(f"{key} {k}", x and x.get(k), r[k]) for k in ("n", "nps")]
    return pairs


def survey_cases():
    f = surveys
    return [
        ("nps total", [CXM, "nps", f, "--format", "json", "-q", "--no-progress"],
         duck(SURVEY_VALID.format(f=f) + f"SELECT {NPS} FROM r"), check_nps_total),
        ("nps --by region --period month", [CXM, "nps", f, "--by", "region", "--period", "month", "--format", "json", "-q", "--no-progress"],
         duck(SURVEY_VALID.format(f=f) + f"SELECT region, strftime(date_trunc('month', ts), '%Y-%m') AS m, {NPS} FROM r WHERE ts IS NOT NULL GROUP BY ALL ORDER BY ALL"),
         check_nps_grouped),
    ]


SURVEY_JSON_COLS = ("{response_id: 'VARCHAR', submitted_at: 'VARCHAR', score: 'VARCHAR', "
                    "region: 'VARCHAR', comment: 'VARCHAR'}")


def survey_json_cases():
    f = surveys_ndjson
    src = f"read_json('{f}', format = 'newline_delimited', columns = {SURVEY_JSON_COLS})"
    valid = SURVEY_VALID.replace("read_csv('{f}', all_varchar = true, header = true)", src)
    return [
        ("nps total (NDJSON)", [CXM, "nps", f, "--format", "json", "-q", "--no-progress"],
         duck(valid + f"SELECT {NPS} FROM r"), check_nps_total),
    ]


def survey_parquet_cases(f=surveys_parquet, typed=False):
    valid = SURVEY_VALID.replace("read_csv('{f}', all_varchar = true, header = true)", f"read_parquet('{f}')")
    if typed:
        valid = valid.replace("trim(score)", "trim(score::VARCHAR)")
    # cxm's report holds the as-of (the latest submitted_at) and the duplicate count (from
    # response_id): the first case computes them in DuckDB too. From a columnar file DuckDB
    # reads only the columns its query names, so the second case, the score statistics alone,
    # reads one of the three columns cxm's report needs.
    same = valid.replace("SELECT region,", "SELECT region, response_id,")
    label = " (Parquet, typed)" if typed else " (Parquet)"
    return [
        ("nps total" + label, [CXM, "nps", f, "--format", "json", "-q", "--no-progress"],
         duck(same + f"SELECT {NPS}, max(ts) AS latest, count(DISTINCT response_id) AS ids FROM r"),
         check_nps_total),
        ("nps total" + label + ", DuckDB: the score statistics alone", [CXM, "nps", f, "--format", "json", "-q", "--no-progress"],
         duck(valid + f"SELECT {NPS} FROM r"), check_nps_total),
    ]


# --- tickets

TICKET_VALID = """
  WITH t AS (SELECT priority, TRY_CAST(created_at AS TIMESTAMP) AS c,
                    TRY_CAST(first_response_at AS TIMESTAMP) AS f,
                    TRY_CAST(resolved_at AS TIMESTAMP) AS r
             FROM read_csv('{f}', all_varchar = true, header = true)),
       v AS (SELECT priority, c,
                    (epoch_ms(f) - epoch_ms(c)) / 3600000.0 AS frt,
                    (epoch_ms(r) - epoch_ms(c)) / 3600000.0 AS ttr
             FROM t
             WHERE c IS NOT NULL AND (f IS NULL OR f >= c) AND (r IS NULL OR r >= c))
"""
TSTATS = """count(*) AS n, count(ttr) AS resolved, count(*) - count(ttr) AS open,
  median(frt) AS frt_median_hours, avg(frt) AS frt_mean_hours,
  quantile_cont(frt, 0.9) AS frt_p90_hours, quantile_cont(frt, 0.95) AS frt_p95_hours,
  median(ttr) AS ttr_median_hours, avg(ttr) AS ttr_mean_hours,
  quantile_cont(ttr, 0.9) AS ttr_p90_hours, quantile_cont(ttr, 0.95) AS ttr_p95_hours"""
TKEYS = ["n", "resolved", "open", "frt_median_hours", "frt_mean_hours", "frt_p90_hours",
         "frt_p95_hours", "ttr_median_hours", "ttr_mean_hours", "ttr_p90_hours", "ttr_p95_hours"]


def check_tickets_total(c, d):
    t, r = c["total"], d[0]
    pairs = [(k, t.get(k), r[k]) for k in TKEYS]
    rej = sum(i.get("rejected", 0) for i in c.get("inputs", []))
    pairs.append(("rejected rows (cxm) vs planted junk", rej, JUNK["tickets"]))
    return pairs


def check_tickets_grouped(c, d):
    rows = {((x.get("group") or {}).get("priority"), x.get("period")): x for x in c["rows"]}
    pairs = []
    for r in d:
        key = (r["priority"], r["m"])
        x = rows.get(key)
        pairs += [(f"{key} {k}", x and x.get(k), r[k]) for k in TKEYS]
    return pairs


# Business hours in DuckDB: the query `cxm sql tickets --dialect duckdb` prints for the same
# options (cxm's SQL equivalence suite checks that it gives the file side's figures), over a
# view of the CSV with the timestamps cast (a junk cell becomes NULL).
TICKET_VIEW = """CREATE VIEW t AS SELECT ticket_id,
  TRY_CAST(nullif(created_at, '') AS TIMESTAMPTZ) AS created_at,
  TRY_CAST(nullif(first_response_at, '') AS TIMESTAMPTZ) AS first_response_at,
  TRY_CAST(nullif(resolved_at, '') AS TIMESTAMPTZ) AS resolved_at,
  reopens, status, priority, channel
  FROM read_csv('{f}', all_varchar = true, header = true)"""
BH_AS_OF = "2026-01-01T00:00:00Z"


def check_tickets_bh(c, d):
    t, r = c["total"], d[0]
    return [(k, t.get(k), r[k]) for k in TKEYS]


def ticket_cases():
    f = tickets
    base = [CXM, "tickets", f, "--format", "json", "-q", "--no-progress"]
    bh = ["--business-hours", "Mon-Fri 09:00-17:00", "--tz", "Europe/Berlin", "--holidays", holidays,
          "--as-of", BH_AS_OF]
    bh_sql = f"{OUT}/tickets-business-hours.duckdb.sql"
    os.makedirs(OUT, exist_ok=True)
    with open(bh_sql, "w") as out:
        subprocess.run([CXM, "sql", "tickets", "--dialect", "duckdb", "--table", "t"] + bh,
                       stdout=out, check=True)
    return [
        ("tickets total (calendar hours)", base,
         duck(TICKET_VALID.format(f=f) + f"SELECT {TSTATS} FROM v"), check_tickets_total),
        ("tickets total, business hours + holidays", base + bh,
         duck(None, setup=TICKET_VIEW.format(f=f), sql_file=bh_sql), check_tickets_bh),
        ("tickets --by priority --period month", base + ["--by", "priority", "--period", "month"],
         duck(TICKET_VALID.format(f=f) + f"SELECT priority, strftime(date_trunc('month', c), '%Y-%m') AS m, {TSTATS} FROM v GROUP BY ALL ORDER BY ALL"),
         check_tickets_grouped),
    ]


# --- tickets as JSON: the same rows and query, DuckDB reading the JSON (every column text)

TICKET_JSON_COLS = ("{ticket_id: 'VARCHAR', created_at: 'VARCHAR', first_response_at: 'VARCHAR', "
                    "resolved_at: 'VARCHAR', reopens: 'VARCHAR', status: 'VARCHAR', "
                    "priority: 'VARCHAR', channel: 'VARCHAR'}")
TICKET_STRUCT = ("STRUCT(ticket_id VARCHAR, created_at VARCHAR, first_response_at VARCHAR, "
                 "resolved_at VARCHAR, reopens VARCHAR, status VARCHAR, priority VARCHAR, channel VARCHAR)[]")


def ticket_json_valid(source):
    return TICKET_VALID.replace("read_csv('{f}', all_varchar = true, header = true)", source)


def ticket_json_cases():
    nd = ticket_json_valid(f"read_json('{tickets_ndjson}', format = 'newline_delimited', columns = {TICKET_JSON_COLS})")
    page = ticket_json_valid(
        f"(SELECT unnest(tickets, recursive := true) FROM read_json('{tickets_page}', "
        f"format = 'unstructured', maximum_object_size = 4000000000, columns = {{tickets: '{TICKET_STRUCT}'}}))")
    cases = []
    for label, f, sql in (("NDJSON", tickets_ndjson, nd), ("JSON page", tickets_page, page)):
        cases.append((f"tickets total ({label})", [CXM, "tickets", f, "--format", "json", "-q", "--no-progress"],
                      duck(sql + f"SELECT {TSTATS} FROM v"), check_tickets_total))
    return cases


def ticket_parquet_cases(f=tickets_parquet, typed=False):
    sql = TICKET_VALID.replace("read_csv('{f}', all_varchar = true, header = true)", f"read_parquet('{f}')")
    # cxm's ticket report also holds the duplicate count (ticket_id), reopens, and the
    # statuses and channels it saw: the first case computes them in DuckDB too; the second,
    # the durations alone, reads four of the eight columns cxm's report needs.
    same = sql.replace("WITH t AS (SELECT priority,", "WITH t AS (SELECT priority, ticket_id, reopens, status, channel,") \
              .replace("v AS (SELECT priority, c,", "v AS (SELECT priority, c, ticket_id, reopens, status, channel,")
    label = " (Parquet, typed)" if typed else " (Parquet)"
    return [
        ("tickets total" + label, [CXM, "tickets", f, "--format", "json", "-q", "--no-progress"],
         duck(same + f"SELECT {TSTATS}, count(DISTINCT ticket_id) AS ids, sum(TRY_CAST(reopens AS INTEGER)) AS reopens, "
              "count(DISTINCT status) AS statuses, count(DISTINCT channel) AS channels FROM v"),
         check_tickets_total),
        ("tickets total" + label + ", DuckDB: the durations alone", [CXM, "tickets", f, "--format", "json", "-q", "--no-progress"],
         duck(sql + f"SELECT {TSTATS} FROM v"), check_tickets_total),
    ]


# --- churn

# The monthly churn table of `cxm churn` in SQL: subscriptions validated like cxm (bad or
# blank times and money excluded, ended before started rejected, zero-length never active);
# as-of is the latest start or end; ends after as-of do not count. A customer is active at
# boundary b when one of its subscriptions has started_at < b <= ended_at (or no end); its
# MRR there is the sum over those. Periods are the calendar months (UTC) from the one holding
# the earliest start to the last one ending at or before as-of.
CHURN_SQL = """
  WITH s AS (SELECT trim(customer_id) AS cust,
                    TRY_CAST(started_at AS TIMESTAMP) AS st,
                    TRY_CAST(ended_at AS TIMESTAMP) AS en,
                    TRY_CAST(mrr AS DECIMAL(18, 2)) AS m
             FROM read_csv('{f}', all_varchar = true, header = true)),
       v0 AS (SELECT * FROM s
              WHERE cust IS NOT NULL AND cust <> '' AND st IS NOT NULL AND m IS NOT NULL AND m >= 0
                AND (en IS NULL OR en > st)),
       lim AS (SELECT greatest(max(st), max(en)) AS a FROM v0),
       v AS (SELECT cust, st, CASE WHEN en <= (SELECT a FROM lim) THEN en END AS en, m
             FROM v0 WHERE st <= (SELECT a FROM lim)),
       bounds AS (SELECT unnest(generate_series(date_trunc('month', (SELECT min(st) FROM v)),
                                                (SELECT a FROM lim), INTERVAL 1 MONTH)) AS b),
       periods AS (SELECT b AS ps, b + INTERVAL 1 MONTH AS pe FROM bounds
                   WHERE b + INTERVAL 1 MONTH <= (SELECT a FROM lim)),
       act AS (SELECT bounds.b, v.cust, sum(v.m) AS mrr
               FROM bounds JOIN v ON v.st < bounds.b AND (v.en IS NULL OR bounds.b <= v.en)
               GROUP BY ALL),
       firsts AS (SELECT cust, min(st) AS fs FROM v GROUP BY cust),
       pc AS (SELECT ps, cust, max(m0) AS m0, max(m1) AS m1
              FROM (SELECT p.ps, a.cust, a.mrr AS m0, NULL AS m1 FROM periods p JOIN act a ON a.b = p.ps
                    UNION ALL
                    SELECT p.ps, a.cust, NULL, a.mrr FROM periods p JOIN act a ON a.b = p.pe)
              GROUP BY ALL)
  SELECT strftime(ps, '%Y-%m') AS period,
         count(m0) AS customers_start, count(m1) AS customers_end,
         count(*) FILTER (WHERE m0 IS NULL AND fs >= ps) AS new,
         count(*) FILTER (WHERE m0 IS NULL AND fs < ps) AS reactivated,
         count(*) FILTER (WHERE m1 IS NULL) AS churned,
         100.0 * count(*) FILTER (WHERE m1 IS NULL) / nullif(count(m0), 0) AS churn_rate,
         coalesce(sum(m0), 0) AS mrr_start, coalesce(sum(m1), 0) AS mrr_end,
         coalesce(sum(m1) FILTER (WHERE m0 IS NULL AND fs >= ps), 0) AS new_mrr,
         coalesce(sum(m1) FILTER (WHERE m0 IS NULL AND fs < ps), 0) AS reactivation_mrr,
         coalesce(sum(greatest(m1 - m0, 0)), 0) AS expansion_mrr,
         coalesce(sum(greatest(m0 - m1, 0)), 0) AS contraction_mrr,
         coalesce(sum(m0) FILTER (WHERE m1 IS NULL), 0) AS churned_mrr
  FROM pc JOIN firsts USING (cust)
  GROUP BY ps ORDER BY ps
"""
CKEYS = ["customers_start", "customers_end", "new", "reactivated", "churned", "churn_rate",
         "mrr_start", "mrr_end", "new_mrr", "reactivation_mrr", "expansion_mrr",
         "contraction_mrr", "churned_mrr"]


def check_churn(c, d):
    rows = {x.get("period"): x for x in c["rows"] if not x.get("group")}
    pairs = []
    if len(rows) != len(d):
        pairs.append(("number of periods", len(rows), len(d)))
    for r in d:
        x = rows.get(r["period"])
        pairs += [(f"{r['period']} {k}", x and x.get(k), r[k]) for k in CKEYS]
    rej = sum(i.get("rejected", 0) for i in c.get("inputs", []))
    pairs.append(("rejected rows (cxm) vs planted junk", rej, JUNK["churn"]))
    return pairs


# Retention in DuckDB: the query `cxm sql retention --dialect duckdb` prints for the same
# as-of (the SQL equivalence suite checks it against the file side), over a view of the CSV
# with typed columns (a junk cell becomes NULL).
SUBS_VIEW = """CREATE VIEW s AS SELECT subscription_id, customer_id,
  TRY_CAST(nullif(started_at, '') AS TIMESTAMPTZ) AS started_at,
  TRY_CAST(nullif(ended_at, '') AS TIMESTAMPTZ) AS ended_at,
  TRY_CAST(nullif(mrr, '') AS DOUBLE) AS mrr, status, plan
  FROM read_csv('{f}', all_varchar = true, header = true)"""
RETENTION_AS_OF = "2026-01-01T00:00:00Z"


def check_retention(c, d):
    cohorts = {x["cohort"]: x for x in c["cohorts"]}
    pairs = []
    for r in d:
        k = r["offset"]
        if r["cohort"] == "all":  # every cohort's offset k together: sizes by offset
            a = c["all"]
            if k < len(a["size"]):
                pairs.append((f"all +{k} size", a["size"][k], r["size"]))
                pairs.append((f"all +{k} retained", a["retained"][k], r["retained"]))
            continue
        x = cohorts.get(r["cohort"])
        pairs.append((f"{r['cohort']} size", x and x["size"], r["size"]))
        if x is not None and k < len(x["retained"]):
            pairs.append((f"{r['cohort']} +{k} retained", x["retained"][k], r["retained"]))
    return pairs


def churn_cases():
    f = subscriptions
    ret_sql = f"{OUT}/retention.duckdb.sql"
    os.makedirs(OUT, exist_ok=True)
    with open(ret_sql, "w") as out:
        subprocess.run([CXM, "sql", "retention", "--dialect", "duckdb", "--table", "s",
                        "--as-of", RETENTION_AS_OF], stdout=out, check=True)
    return [
        ("churn (monthly)", [CXM, "churn", f, "--format", "json", "-q", "--no-progress"],
         duck(CHURN_SQL.format(f=f)), check_churn),
        ("retention (cohort matrix)",
         [CXM, "retention", f, "--as-of", RETENTION_AS_OF, "--format", "json", "-q", "--no-progress"],
         duck(None, setup=SUBS_VIEW.format(f=f), sql_file=ret_sql), check_retention),
    ]


# ---------------------------------------------------------------------------------------

JUNK = {}


def count_junk():
    import duckdb
    if PART in ("tickets", "json", "parquet", "all"):
        JUNK["tickets"] = duckdb.sql(f"SELECT count(*) FROM range({TICKETS}) t(i) WHERE {TICKET_JUNK}").fetchall()[0][0]
    if PART in ("churn", "all"):
        JUNK["churn"] = duckdb.sql(
            f"SELECT count(*) FROM read_csv('{subscriptions}', all_varchar = true) "
            "WHERE TRY_CAST(ended_at AS TIMESTAMP) < TRY_CAST(started_at AS TIMESTAMP)").fetchall()[0][0]


def describe():
    import duckdb
    if PART in ("tickets", "all"):
        r = duckdb.sql(f"""SELECT count(*), count(resolved_at), count(first_response_at)
                           FROM read_csv('{tickets}', all_varchar = true)""").fetchall()[0]
        log(f"{tickets}: {r[0]:,} tickets, {r[1]:,} with resolved_at ({100*r[1]/r[0]:.1f}%), "
            f"{r[2]:,} with first_response_at; {JUNK['tickets']} planted junk rows")
    if PART in ("churn", "all"):
        r = duckdb.sql(f"""SELECT count(*), count(DISTINCT customer_id), count(ended_at)
                           FROM read_csv('{subscriptions}', all_varchar = true)""").fetchall()[0]
        log(f"{subscriptions}: {r[0]:,} subscriptions of {r[1]:,} customers, {r[2]:,} ended "
            f"({100*r[2]/r[0]:.1f}%); {JUNK['churn']} planted junk rows")


def table(title, path, cases):
    size = os.path.getsize(path) / 1e6
    print(f"\n### {title}: {path} ({size:.0f} MB), {os.cpu_count()} cores, median of {RUNS} runs\n")
    print("| query | cxm (s) | DuckDB (s) | ratio | cxm peak RSS (MB) | DuckDB peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    times = {}
    for i, (name, c, d, check) in enumerate(cases):
        tag = f"{os.path.basename(path)}.{i}"
        OTHER.clear()
        cr = [run(c, f"{OUT}/{tag}.cxm.json" if k == 0 else None) for k in range(RUNS)]
        ct = statistics.median(x[0] for x in cr)
        times[name] = ct
        if d is None:
            print(f"| {name} | {ct:.2f} | – | – | {max(x[1] for x in cr):.0f} | – |", flush=True)
            log(f"  {name}: cxm runs {', '.join(f'{x[0]:.2f}' for x in cr)} s; "
                f"other processes used {max(OTHER):.1f} CPU s at most during one run")
            continue
        dr = [run(d, f"{OUT}/{tag}.duckdb.json" if k == 0 else None) for k in range(RUNS)]
        dt = statistics.median(x[0] for x in dr)
        print(f"| {name} | {ct:.2f} | {dt:.2f} | {ct/dt:.2f} | {max(x[1] for x in cr):.0f} | {max(x[1] for x in dr):.0f} |", flush=True)
        log(f"  {name}: cxm runs {', '.join(f'{x[0]:.2f}' for x in cr)} s; DuckDB runs {', '.join(f'{x[0]:.2f}' for x in dr)} s; "
            f"other processes used {max(OTHER):.1f} CPU s at most during one run")
        with open(f"{OUT}/{tag}.cxm.json") as fc, open(f"{OUT}/{tag}.duckdb.json") as fd:
            compare(name, check(json.load(fc), json.load(fd)))
    return times


def prepare():
    import duckdb
    duckdb.sql("SET enable_progress_bar = false")
    if PART in ("surveys", "json", "parquet", "all"):
        gen_surveys()
    if PART in ("tickets", "json", "parquet", "all"):
        gen_tickets()
    if PART == "json":
        gen_tickets_json()
        gen_surveys_json()
    if PART == "parquet":
        gen_parquet()
    if PART in ("churn", "all"):
        gen_subscriptions()
    count_junk()
    describe()
    with open(f"{OUT}/junk.json", "w") as f:
        json.dump(JUNK, f)


def main():
    os.makedirs(OUT, exist_ok=True)
    if PREPARE:
        return prepare()
    # DuckDB runs in a child process so that this one stays small: a child's peak RSS
    # (ru_maxrss) starts at its parent's RSS when it was spawned (vfork/fork, then exec), so
    # a parent that had read the big files with DuckDB would inflate every measurement.
    subprocess.run([sys.executable, __file__, str(ROWS), PART, "--prepare"], check=True)
    with open(f"{OUT}/junk.json") as f:
        JUNK.update(json.load(f))
    if PART in ("surveys", "all"):
        table(f"Surveys ({ROWS:,} responses)", surveys, survey_cases())
    if PART in ("tickets", "all"):
        t = table(f"Tickets ({TICKETS:,} tickets)", tickets, ticket_cases())
        b = t["tickets total, business hours + holidays"] / t["tickets total (calendar hours)"]
        print(f"\ncxm business hours / calendar hours: {b:.2f}x")
    if PART == "json":
        table(f"Tickets as NDJSON ({TICKETS:,} tickets)", tickets_ndjson, ticket_json_cases()[:1])
        table(f"Tickets as one API page ({TICKETS:,} tickets)", tickets_page, ticket_json_cases()[1:])
        table(f"Surveys as NDJSON ({ROWS:,} responses)", surveys_ndjson, survey_json_cases())
    if PART == "parquet":
        table(f"Tickets as Parquet ({TICKETS:,} tickets)", tickets_parquet, ticket_parquet_cases())
        table(f"Surveys as Parquet ({ROWS:,} responses)", surveys_parquet, survey_parquet_cases())
        table(f"Tickets as typed Parquet ({TICKETS:,} tickets)", tickets_typed,
              ticket_parquet_cases(tickets_typed, True))
        table(f"Surveys as typed Parquet ({ROWS:,} responses)", surveys_typed,
              survey_parquet_cases(surveys_typed, True))
    if PART in ("churn", "all"):
        table(f"Subscriptions ({CUSTOMERS:,} customers)", subscriptions, churn_cases())


main()
