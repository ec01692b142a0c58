#!/usr/bin/env python3
"""Equivalence suite for `cxm sql` (SPEC 10): the SQL a dialect prints, run on the real
engine, must return the table `cxm METRIC FILE --format csv` prints for the same rows.

Seeded generated exports are written as CSV (read by cxm) and loaded as typed tables into
DuckDB (Python `duckdb`), PostgreSQL 15 (a throw-away cluster on a Unix socket, no TCP) and
Spark (`pyspark`, one local session). Each engine's session time zone is set to a zone other
than any `--tz` used. Counts must be equal; other numbers equal to 1e-9 relative (1e-12
absolute near zero); `p_value` to 1e-7.

    scripts/sql_equiv.py --cxm target/debug/cxm [--engines duckdb,postgres,spark]

With `--approx` (tickets), percentiles are compared within 5 % relative or by rank (see
APPROX_RANK); tables with placeholder dates are loaded into DuckDB and PostgreSQL only.

Prints one line per failure and ends with `N passed, M failed`. An engine that cannot be
started is a failure under CI=true and a loud skip otherwise.
"""
import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

SESSION_ZONES = {"duckdb": "Asia/Tokyo", "postgres": "Australia/Sydney", "spark": "America/Los_Angeles"}
PG_BIN = "/usr/lib/postgresql/15/bin"

SURVEY_COLUMNS = [
    ("response_id", "text"), ("submitted_at", "ts"), ("updated_at", "ts"),
    ("nps_score", "num"), ("csat_score", "num"), ("ces_score", "num"),
    ("csat_binary", "text"), ("pmf_answer", "text"), ("region", "text"), ("plan", "text"),
]


def iso(ms):
    t = dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        s += ".%03d" % (ms % 1000)
    return s + "Z"


def gen_surveys(path, n, seed):
    rnd = random.Random(seed)
    start = int(dt.datetime(2024, 10, 1, tzinfo=dt.timezone.utc).timestamp() * 1000)
    end = int(dt.datetime(2025, 12, 31, tzinfo=dt.timezone.utc).timestamp() * 1000)
    # Instants at and around DST changes and local midnights of month starts.
    hot = [
        dt.datetime(2025, 3, 30, 1, 0), dt.datetime(2025, 10, 26, 1, 0),    # Europe/Berlin DST
        dt.datetime(2025, 3, 9, 7, 0), dt.datetime(2025, 11, 2, 6, 0),      # America/New_York DST
        dt.datetime(2025, 2, 28, 23, 0), dt.datetime(2025, 3, 31, 22, 0),   # Berlin month starts
        dt.datetime(2025, 6, 1, 4, 0), dt.datetime(2025, 12, 1, 5, 0),      # New York month starts
        dt.datetime(2025, 1, 1, 0, 0), dt.datetime(2025, 4, 1, 0, 0),       # UTC month starts
    ]
    hot_ms = [int(h.replace(tzinfo=dt.timezone.utc).timestamp() * 1000) for h in hot]
    rows = []
    ids = []
    for i in range(n):
        if rnd.random() < 0.15:
            t = rnd.choice(hot_ms) + rnd.choice([-1000, -1, 0, 0, 1, 1000, 3_600_000, -3_600_000])
        else:
            t = rnd.randrange(start, end)
            if rnd.random() < 0.7:
                t -= t % 1000
        rid = "r%05d" % i
        if ids and rnd.random() < 0.04:
            rid = rnd.choice(ids)
        ids.append(rid)

        def pick(valid, invalid):
            r = rnd.random()
            if r < 0.03:
                return ""
            if r < 0.05:
                return rnd.choice(invalid)
            return str(rnd.choice(valid))

        rows.append({
            "response_id": rid,
            "submitted_at": "" if rnd.random() < 0.02 else iso(t),
            "updated_at": iso(t + rnd.randrange(0, 10 ** 9)),
            "nps_score": pick(list(range(0, 11)) + [9, 10, 10, 8], ["11", "-1", "9.5"]),
            "csat_score": pick([1, 2, 3, 4, 4, 5, 5], ["0", "6", "2.5"]),
            "ces_score": pick([1, 2, 3, 4, 5, 6, 7, 7], ["8", "0"]),
            "csat_binary": pick(["good", "bad", "Good", "yes", "no"], ["meh", "offered"]),
            "pmf_answer": pick(["Very disappointed", "Somewhat disappointed", "Not disappointed",
                                "N/A - I no longer use it"], ["maybe"]),
            "region": rnd.choice(["EMEA", "EMEA", "AMER", "APAC", "", " EMEA ", "LATAM"]),
            "plan": rnd.choice(["free", "pro", "team"]),
        })
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[c for c, _ in SURVEY_COLUMNS])
        w.writeheader()
        w.writerows(rows)


SUBSCRIPTION_COLUMNS = [
    ("subscription_id", "text"), ("customer_id", "text"), ("started_at", "ts"), ("ended_at", "ts"),
    ("canceled_at", "ts"), ("trial_end", "ts"), ("current_period_end", "ts"), ("status", "text"),
    ("mrr", "num"), ("plan", "text"), ("region", "text"),
]
# What `cxm sql churn|retention` is told about the optional columns (the file side finds them).
SUBSCRIPTION_SQL_COLS = ["--col", "status=status", "--col", "canceled_at=canceled_at", "--col", "trial_end=trial_end",
                         "--col", "current_period_end=current_period_end", "--col", "subscription_id=subscription_id"]


def gen_subscriptions(path, customers, seed):
    """Subscriptions of `customers` customers, 2023-06 to 2026-01, with the row rules' corner
    cases: trials, canceled rows without ended_at, zero-length and reversed spans, free, blank
    and negative MRR, blank ids and starts, identical duplicate rows, starts after as-of, and
    starts and ends exactly on period boundaries of the three zones."""
    rnd = random.Random(seed)
    t0 = int(dt.datetime(2023, 6, 1, tzinfo=dt.timezone.utc).timestamp() * 1000)
    t1 = int(dt.datetime(2026, 1, 20, tzinfo=dt.timezone.utc).timestamp() * 1000)
    day = 86_400_000
    hot = [
        dt.datetime(2025, 1, 1, 0, 0), dt.datetime(2025, 4, 1, 0, 0), dt.datetime(2025, 7, 1, 0, 0),
        dt.datetime(2024, 12, 31, 23, 0), dt.datetime(2025, 3, 31, 22, 0), dt.datetime(2025, 9, 30, 22, 0),
        dt.datetime(2025, 1, 1, 5, 0), dt.datetime(2025, 4, 1, 4, 0), dt.datetime(2025, 10, 1, 4, 0),
        dt.datetime(2025, 3, 30, 1, 0), dt.datetime(2025, 10, 26, 1, 0), dt.datetime(2025, 3, 9, 7, 0),
        dt.datetime(2025, 11, 2, 6, 0), dt.datetime(2025, 6, 2, 0, 0), dt.datetime(2025, 6, 1, 22, 0),
        dt.datetime(2025, 6, 2, 4, 0), dt.datetime(2025, 12, 1, 0, 0), dt.datetime(2025, 12, 1, 5, 0),
    ]
    hot_ms = [int(h.replace(tzinfo=dt.timezone.utc).timestamp() * 1000) for h in hot]

    def when():
        if rnd.random() < 0.2:
            return rnd.choice(hot_ms) + rnd.choice([0, 0, 0, -1, 1, -1000])
        t = rnd.randrange(t0, t1)
        return t - t % 1000 if rnd.random() < 0.8 else t

    rows = []
    n = 0
    for c in range(customers):
        cust = "c%04d" % c
        region = rnd.choice(["EMEA", "AMER", "APAC", "", " EMEA "])
        start = when()
        for _ in range(rnd.choice([1, 1, 1, 2, 2, 3, 4])):
            n += 1
            st = start
            r = rnd.random()
            if r < 0.55:
                en = st + rnd.randrange(day, 500 * day)
                if rnd.random() < 0.25:
                    en = rnd.choice(hot_ms) + rnd.choice([0, 0, -1, 1])
            else:
                en = None
            row = {
                "subscription_id": "s%05d" % n, "customer_id": cust, "started_at": iso(st),
                "ended_at": "" if en is None else iso(en), "canceled_at": "", "trial_end": "",
                "current_period_end": "", "status": rnd.choice(["active", "Active", "past_due", ""]),
                "mrr": "%.2f" % rnd.choice([0, 9.99, 19.5, 49, 99.99, 120, 250.25, 1000.1]),
                "plan": rnd.choice(["free", "pro", "team", "enterprise", ""]), "region": region,
            }
            if en is not None and en <= st:
                row["status"] = "canceled"
            x = rnd.random()
            if x < 0.04:
                row["status"] = rnd.choice(["trialing", "Incomplete Expired", "in-trial", "future"])
            elif x < 0.08 and en is not None:
                # Canceled without ended_at: the end is canceled_at, else current_period_end.
                row["status"] = rnd.choice(["canceled", "Cancelled", "unpaid", "expired"])
                row["ended_at"] = ""
                if rnd.random() < 0.6:
                    row["canceled_at"] = iso(en)
                else:
                    row["current_period_end"] = iso(en)
            elif x < 0.09:
                row["status"] = "canceled"
                row["ended_at"] = ""   # no end at all: rejected
            elif x < 0.12:
                row["trial_end"] = iso(st + rnd.choice([-day, 7 * day, 14 * day, 30 * day]))
            elif x < 0.13:
                row["ended_at"] = iso(st)   # zero length
            elif x < 0.14:
                row["ended_at"] = iso(st - day)   # end before start: rejected
            elif x < 0.15:
                row["mrr"] = rnd.choice(["", "-5.00"])
            elif x < 0.155:
                row["customer_id"] = rnd.choice(["", "  "])
            elif x < 0.16:
                row["started_at"] = ""
            rows.append(row)
            if rnd.random() < 0.02:
                rows.append(dict(row))   # an identical duplicate (same subscription_id)
            # The next subscription: an upgrade at the end, a later return, or an overlap.
            start = en if en is not None and rnd.random() < 0.5 else when()
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[c for c, _ in SUBSCRIPTION_COLUMNS])
        w.writeheader()
        w.writerows(rows)


def churn_cases():
    """(metric, options) pairs for churn and retention."""
    cases = []
    for period in ["month", "week", "quarter"]:
        for tz in ["UTC", "Europe/Berlin", "America/New_York"]:
            for by in [[], ["plan"]]:
                opts = ["--period", period, "--tz", tz, "--as-of", "2026-01-01"]
                for b in by:
                    opts += ["--by", b]
                cases.append(("churn", opts))
            cases.append(("retention", ["--period", period, "--tz", tz, "--as-of", "2026-01-01"]))
            cases.append(("retention", ["--revenue", "--period", period, "--tz", tz,
                                        "--as-of", "2025-12-15T10:00:00Z"]))
    more = [
        ("churn", ["--as-of", "2025-11-20T12:00:00Z", "--include-partial", "--by", "region", "--tz", "Europe/Berlin"]),
        ("churn", ["--as-of", "2025-10-01", "--exclude-free", "--period", "week", "--tz", "America/New_York",
                   "--since", "2025-03-01", "--until", "2025-07-01"]),
        ("churn", ["--as-of", "2025-12-31T23:59:59Z", "--last", "3", "--min-n", "150", "--by", "plan"]),
        ("churn", ["--as-of", "2026-01-01", "--where", "region=EMEA", "--where", "plan!=free", "--period", "quarter"]),
        ("churn", ["--as-of", "2026-01-01", "--by", "region", "--by", "plan", "--period", "quarter",
                   "--include-partial", "--tz", "America/New_York"]),
        ("churn", ["--as-of", "2025-06-02T04:00:00Z", "--period", "day", "--since", "2025-05-20", "--tz", "America/New_York",
                   "--include-partial"]),
        ("churn", ["--as-of", "2026-01-01", "--period", "year", "--by", "plan", "--exclude-free"]),
        ("churn", ["--as-of", "2024-01-01", "--include-partial", "--period", "month", "--since", "2023-12-20"]),
        ("retention", ["--as-of", "2026-01-01", "--where", "plan!=free"]),
        ("retention", ["--as-of", "2025-10-26T01:30:00Z", "--period", "week", "--tz", "Europe/Berlin", "--revenue"]),
        ("retention", ["--as-of", "2026-01-01", "--period", "year"]),
    ]
    return cases + more + survival_cases()


def survival_cases():
    """Kaplan–Meier survival: only as aggregates (`cxm sql retention --survival --stage
    aggregates`, finished by `cxm retention --survival --from-aggregates`). `--by` is a usage
    error for retention on both sides (SPEC 6.7), so segments are kept with --where."""
    return [
        ("retention", ["--survival", "--as-of", "2026-01-01"]),
        ("retention", ["--survival", "--as-of", "2026-01-01", "--gap", "7d"]),
        ("retention", ["--survival", "--as-of", "2025-10-26T01:30:00Z", "--gap", "30d", "--tz", "Europe/Berlin",
                       "--at", "1,7,30,90,365,730"]),
        ("retention", ["--survival", "--as-of", "2025-06-01", "--gap", "1m", "--where", "region=EMEA"]),
        ("retention", ["--survival", "--as-of", "2026-01-01", "--gap", "90d", "--where", "plan!=free",
                       "--keep-duplicates", "--min-n", "400"]),
        ("retention", ["--survival", "--as-of", "2024-03-01T00:00:00.001Z", "--at", "10,100"]),
    ]


def survey_cases():
    """(metric, score column, options) triples."""
    cases = []
    metrics = [("nps", "nps_score", []), ("csat", "csat_score", []), ("ces", "ces_score", []),
               ("pmf", "pmf_answer", [])]
    for metric, col, extra in metrics:
        for period in [None, "week", "month"]:
            for tz in ["UTC", "Europe/Berlin", "America/New_York"]:
                for by in [[], ["region"]]:
                    opts = ["--tz", tz, "--as-of", "2026-01-01"] + extra
                    if period:
                        opts += ["--period", period]
                    for b in by:
                        opts += ["--by", b]
                    cases.append((metric, col, opts))
    more = [
        ("nps", "nps_score", ["--ci", "wald", "--confidence", "0.9", "--min-n", "40", "--period", "month",
                              "--tz", "Europe/Berlin", "--as-of", "2025-06-15T12:00:00Z"]),
        ("nps", "nps_score", ["--period", "month", "--last", "3", "--by", "region", "--by", "plan",
                              "--tz", "America/New_York", "--as-of", "2025-11-02T05:30:00Z"]),
        ("nps", "nps_score", ["--since", "2025-03-01", "--until", "2025-11-01", "--period", "week",
                              "--tz", "Europe/Berlin", "--as-of", "2025-12-01"]),
        ("nps", "nps_score", ["--where", "region=EMEA", "--where", "plan!=free", "--period", "quarter",
                              "--as-of", "2026-01-01"]),
        ("nps", "nps_score", ["--keep-duplicates", "--period", "day", "--tz", "Europe/Berlin",
                              "--since", "2025-03-25", "--until", "2025-04-05", "--as-of", "2025-04-10"]),
        ("nps", "nps_score", ["--period", "year", "--by", "plan", "--as-of", "2025-07-01"]),
        ("csat", "csat_score", ["--invert", "--satisfied", "5", "--by", "plan", "--as-of", "2026-01-01"]),
        ("csat", "csat_binary", ["--scale", "binary", "--period", "month", "--as-of", "2026-01-01"]),
        ("csat", "csat_binary", ["--scale", "binary", "--invert", "--by", "region", "--as-of", "2026-01-01"]),
        ("ces", "ces_score", ["--scale", "5", "--invert", "--period", "quarter", "--as-of", "2026-01-01"]),
        ("ces", "ces_score", ["--easy", "6", "--min-n", "50", "--by", "plan", "--as-of", "2026-01-01"]),
        ("pmf", "pmf_answer", ["--period", "month", "--last", "2", "--tz", "Europe/Berlin",
                               "--as-of", "2025-10-26T01:30:00Z"]),
    ]
    return cases + more


TICKET_COLUMNS = [
    ("ticket_id", "text"), ("created_at", "ts"), ("first_response_at", "ts"), ("resolved_at", "ts"),
    ("updated_at", "ts"), ("reopens", "num"), ("status", "text"), ("priority", "text"), ("channel", "text"),
]


def gen_tickets(path, n, seed):
    rnd = random.Random(seed)
    start = int(dt.datetime(2024, 11, 1, tzinfo=dt.timezone.utc).timestamp() * 1000)
    end = int(dt.datetime(2025, 12, 20, tzinfo=dt.timezone.utc).timestamp() * 1000)
    hot = [dt.datetime(2025, 3, 30, 0, 30), dt.datetime(2025, 10, 25, 23, 0), dt.datetime(2025, 3, 8, 22, 0),
           dt.datetime(2025, 11, 1, 20, 0), dt.datetime(2025, 3, 28, 16, 0), dt.datetime(2025, 4, 17, 15, 0)]
    hot_ms = [int(h.replace(tzinfo=dt.timezone.utc).timestamp() * 1000) for h in hot]
    rows, ids = [], []
    minute, hour = 60_000, 3_600_000
    for i in range(n):
        if rnd.random() < 0.15:
            c = rnd.choice(hot_ms) + rnd.randrange(-6 * hour, 6 * hour, minute)
        else:
            c = rnd.randrange(start, end, 1000)
        tid = "t%05d" % i
        if ids and rnd.random() < 0.03:
            tid = rnd.choice(ids)
        ids.append(tid)
        r = rnd.random()
        first = None if r < 0.15 else (c - rnd.randrange(1, 5) * hour if r < 0.17
                                       else c + rnd.choice([rnd.randrange(0, 4 * hour, 1000), rnd.randrange(0, 200 * hour, minute)]))
        r = rnd.random()
        res = None if r < 0.25 else (c - hour if r < 0.27
                                     else max(c, first or c) + rnd.randrange(0, 400 * hour, 1000))
        reo = rnd.choice(["0", "0", "0", "1", "2", "", "", "-1", "1.5"]) if rnd.random() < 0.5 else "0"
        rows.append({
            "ticket_id": tid,
            "created_at": "" if rnd.random() < 0.01 else iso(c),
            "first_response_at": "" if first is None else iso(first),
            "resolved_at": "" if res is None else iso(res),
            "updated_at": iso(c + rnd.randrange(0, 10 ** 9)),
            "reopens": reo,
            "status": rnd.choice(["open", "solved", "closed", "pending", "Deleted", "spam", "solved"]),
            "priority": rnd.choice(["low", "normal", "normal", "high", "urgent", ""]),
            "channel": rnd.choice(["email", "chat", "web"]),
        })
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[c for c, _ in TICKET_COLUMNS])
        w.writeheader()
        w.writerows(rows)


# Placeholder dates (SPEC 4): the text a file holds for "no date", and the instant a typed
# table holds for it (midnight UTC).
PLACEHOLDERS = [
    ("1900-01-01", "1900-01-01T00:00:00Z"), ("1900-01-01 00:00:00", "1900-01-01T00:00:00Z"),
    ("1899-12-30", "1899-12-30T00:00:00Z"), ("1899-12-30T00:00:00Z", "1899-12-30T00:00:00Z"),
    ("0001-01-01T00:00:00.000+00:00", "0001-01-01T00:00:00Z"), ("0001-01-01 00:00", "0001-01-01T00:00:00Z"),
]
# Tables holding placeholders, and the engines they are loaded into (DuckDB and PostgreSQL;
# Spark's CSV reader is not asked to read year 1 here).
PLACEHOLDER_ENGINES = {"duckdb", "postgres"}


def with_placeholders(src, file_path, table_path, columns, id_col, seed):
    """A copy of the export `src` in which timestamp cells hold placeholder dates: most blank
    cells, and a few filled ones (which then mean blank on both sides). `file_path` gets the
    placeholder texts cxm reads, `table_path` the same rows with the placeholder instants for
    the engines. An `updated_at` placeholder goes to at most one copy of an id (two copies
    without a real update tie, and which one survives is then up to the engine)."""
    rnd = random.Random(seed)
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    ts = [c for c, t in columns if t == "ts"]
    seen_upd = set()
    decided = {}
    file_rows, table_rows = [], []
    for r in rows:
        fr, tr = dict(r), dict(r)
        for c in ts:
            p = 0.7 if r[c] == "" else 0.03
            if c == "updated_at":
                if r[id_col] in seen_upd:
                    continue
                p = 0.05
            hit = rnd.random() < p
            if r[c] != "" and c != "updated_at":
                # A filled cell turned blank: alike in every copy of the id, so that identical
                # duplicate rows stay identical (the file side keeps the last, SQL any).
                hit = decided.setdefault((r[id_col], c), hit)
            if hit:
                text, instant = rnd.choice(PLACEHOLDERS)
                fr[c], tr[c] = text, instant
                if c == "updated_at":
                    seen_upd.add(r[id_col])
        file_rows.append(fr)
        table_rows.append(tr)
    for path, out in [(file_path, file_rows), (table_path, table_rows)]:
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=[c for c, _ in columns])
            w.writeheader()
            w.writerows(out)


def placeholder_cases(holidays):
    """(table, metric, options for both sides, extra SQL options) on the tables with
    placeholder dates: every timestamp column a query reads."""
    survey_dedup = ["--col", "response_id=response_id", "--col", "updated_at=updated_at"]
    ticket_cols = ["--col", "reopens=reopens", "--col", "status=status", "--col", "ticket_id=ticket_id",
                   "--col", "updated_at=updated_at"]
    return [
        ("surveys_ph", "nps", ["--col", "score=nps_score", "--period", "month", "--tz", "Europe/Berlin",
                               "--by", "region", "--as-of", "2026-01-01"], survey_dedup),
        ("surveys_ph", "csat", ["--col", "score=csat_score", "--since", "2025-01-01", "--until", "2025-10-01",
                                "--as-of", "2026-01-01"], survey_dedup),
        ("surveys_ph", "nps", ["--col", "score=nps_score", "--keep-duplicates", "--as-of", "2026-01-01"], []),
        ("tickets_ph", "tickets", ["--period", "week", "--by", "priority", "--tz", "America/New_York",
                                   "--as-of", "2026-01-01", "--since", "2024-06-01",
                                   "--sla-first-response", "4h", "--sla-resolution", "2d"], ticket_cols),
        ("tickets_ph", "tickets", ["--business-hours", "Mon-Fri 09:00-17:00", "--holidays", holidays,
                                   "--tz", "Europe/Berlin", "--period", "month", "--as-of", "2026-01-01",
                                   "--since", "2024-06-01"], ticket_cols),
        ("tickets_ph", "tickets", ["--bucket-by", "resolved", "--period", "month", "--as-of", "2025-12-01"],
         ticket_cols),
        ("subscriptions_ph", "churn", ["--period", "month", "--by", "plan", "--as-of", "2026-01-01"],
         SUBSCRIPTION_SQL_COLS),
        ("subscriptions_ph", "churn", ["--period", "quarter", "--include-partial", "--tz", "Europe/Berlin",
                                       "--as-of", "2025-11-20T12:00:00Z"], SUBSCRIPTION_SQL_COLS),
        ("subscriptions_ph", "retention", ["--period", "quarter", "--as-of", "2026-01-01"], SUBSCRIPTION_SQL_COLS),
        ("subscriptions_ph", "retention", ["--revenue", "--period", "month", "--as-of", "2026-01-01"],
         SUBSCRIPTION_SQL_COLS),
        ("subscriptions_ph", "retention", ["--survival", "--as-of", "2026-01-01", "--gap", "7d"],
         SUBSCRIPTION_SQL_COLS),
    ]


def ticket_cases(holidays):
    """(metric, file-side options, extra SQL options) triples."""
    cases = []
    business = ["--business-hours", "Mon-Fri 09:00-17:00, Sat 22:00-02:00", "--holidays", holidays]
    for period in [None, "week", "month"]:
        for tz in ["UTC", "Europe/Berlin", "America/New_York"]:
            for hours in [[], business]:
                for by in [[], ["--by", "priority"]]:
                    opts = ["--tz", tz, "--as-of", "2026-01-01", "--since", "2024-06-01"] + hours + by
                    if period:
                        opts += ["--period", period]
                    cases.append(("tickets", opts, []))
    more = [
        ["--sla-first-response", "2h", "--sla-resolution", "1d", "--period", "month", "--tz", "Europe/Berlin",
         "--as-of", "2025-07-01T10:00:00Z", "--by", "priority"],
        ["--sla-first-response", "4h", "--sla-resolution", "16h", "--business-hours", "Mon-Fri 09:00-17:00",
         "--holidays", holidays, "--tz", "Europe/Berlin", "--as-of", "2025-10-26T12:00:00Z", "--period", "week",
         "--last", "6"],
        ["--bucket-by", "resolved", "--period", "month", "--as-of", "2025-12-01", "--by", "channel"],
        ["--bucket-by", "resolved", "--since", "2025-03-01", "--until", "2025-09-01", "--period", "week",
         "--tz", "America/New_York", "--as-of", "2025-12-01"],
        ["--where", "channel=email", "--where", "priority!=low", "--min-n", "60", "--period", "quarter",
         "--as-of", "2026-01-01"],
        ["--keep-duplicates", "--sla-resolution", "8h", "--business-hours", "Mon-Sun 00:00-24:00", "--tz",
         "Europe/Berlin", "--as-of", "2025-12-01"],
        ["--period", "day", "--tz", "Europe/Berlin", "--since", "2025-03-27", "--until", "2025-04-03",
         "--as-of", "2025-04-10", "--business-hours", "Mon-Fri 08:00-20:00"],
    ]
    cases += [("tickets", o, []) for o in more]
    # BigQuery's histogram percentiles, checked on the engines that run here.
    cases += [("tickets", o, ["--histogram-percentiles"]) for o in [
        ["--period", "month", "--by", "priority", "--as-of", "2026-01-01", "--since", "2024-06-01"],
        ["--business-hours", "Mon-Fri 09:00-17:00", "--holidays", holidays, "--tz", "Europe/Berlin",
         "--period", "week", "--as-of", "2025-06-01", "--since", "2025-01-01"],
    ]]
    # --approx: counts and means exact, percentiles within APPROX_REL (PostgreSQL has no
    # approximate function and stays exact). The total only: about 2,600 tickets, so that
    # neighbouring durations near a percentile lie close together (Spark's percentile_approx
    # returns one of them where type 7 interpolates; in groups of a few hundred tickets the
    # neighbours near the FRT median lie an hour apart, over 10 %).
    cases += [("tickets", ["--as-of", "2026-01-01", "--since", "2024-06-01"], ["--approx"])]
    return cases


# --approx: a percentile passes within APPROX_REL of cxm's, or, where the durations near it
# lie far apart, when its rank among the exact durations is within APPROX_RANK of q. (The
# FRT median sits at the edge of the generator's 4-hour cluster: DuckDB's t-digest, which
# is not deterministic across threads, was seen up to 10 % off there, at rank 0.5076, and
# over 30 runs never further than 0.0076 from q.)
APPROX_REL = 0.05
APPROX_RANK = 0.02
APPROX_Q = {"median": 0.5, "p90": 0.9, "p95": 0.95}
APPROX_COLUMNS = {"%s_%s_hours" % (v, q) for v in ("frt", "ttr") for q in APPROX_Q}


def approx_check(cxm, engine, ename, table, opts, extra, exp, cols, got):
    """The percentile columns of an --approx result (the total row; the other columns were
    compared as usual). The exact durations come from the aggregates stage on the engine."""
    sql_extra = [x for x in extra if x != "--approx"]
    p = subprocess.run([cxm, "sql", "tickets", "--dialect", ename, "--table", table, "--stage", "aggregates"]
                       + opts + sql_extra, capture_output=True, text=True)
    if p.returncode != 0:
        return "cxm sql --stage aggregates: " + p.stderr.strip()
    h, rows = engine.run(p.stdout)
    dist = {"frt": [], "ttr": []}
    for r in rows:
        d = dict(zip(h, r))
        if d["measure"] in dist:
            dist[d["measure"]].append((int(d["value_ms"]), int(d["count"])))
    want, have = dict(zip(exp[0], exp[1][-1])), dict(zip(cols, got[-1]))
    for c in sorted(APPROX_COLUMNS):
        a, b = float(want[c]), float(have[c])
        if abs(a - b) <= APPROX_REL * max(abs(a), abs(b)):
            continue
        v, q = c.split("_")[0], APPROX_Q[c.split("_")[1]]
        x = round(b * 3_600_000)
        n = sum(k for _, k in dist[v])
        lo = sum(k for val, k in dist[v] if val < x) / n
        hi = sum(k for val, k in dist[v] if val <= x) / n
        if lo - APPROX_RANK <= q <= hi + APPROX_RANK:
            continue
        return "column %s: cxm %r, SQL %r (%.1f %% off; its rank %.4f to %.4f, not within %g of %g)" % (
            c, a, b, 100 * abs(a - b) / max(abs(a), abs(b)), lo, hi, APPROX_RANK, q)
    return None


# ---------------------------------------------------------------------------- engines

class DuckDB:
    name = "duckdb"

    def __init__(self, tables):
        import duckdb
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = '%s'" % SESSION_ZONES["duckdb"])
        for table, (path, cols) in tables.items():
            types = {"text": "VARCHAR", "num": "DOUBLE", "ts": "TIMESTAMPTZ"}
            spec = ", ".join("'%s': '%s'" % (c, types[t]) for c, t in cols)
            self.con.execute(
                "CREATE TABLE %s AS SELECT * FROM read_csv('%s', header = true, columns = {%s})"
                % (table, path, spec))

    def run(self, sql):
        res = self.con.execute(sql)
        return [d[0] for d in res.description], res.fetchall()

    def close(self):
        self.con.close()


class Postgres:
    name = "postgres"

    def __init__(self, tables):
        self.dir = tempfile.mkdtemp(prefix="cxm-pg-")
        os.chmod(self.dir, 0o777)
        self.data = os.path.join(self.dir, "data")
        self.sock = self.dir
        as_pg = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        subprocess.run(as_pg + [PG_BIN + "/initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                                "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8"],
                       check=True, capture_output=True)
        subprocess.run(as_pg + [PG_BIN + "/pg_ctl", "-D", self.data, "-w", "-l",
                                os.path.join(self.dir, "log"), "-o",
                                "-c listen_addresses='' -k %s -c fsync=off" % self.sock, "start"],
                       check=True, capture_output=True)
        self.as_pg = as_pg
        types = {"text": "TEXT", "num": "DOUBLE PRECISION", "ts": "TIMESTAMPTZ"}
        for table, (path, cols) in tables.items():
            ddl = "CREATE TABLE %s (%s);" % (table, ", ".join("%s %s" % (c, types[t]) for c, t in cols))
            self.psql(ddl + "\n\\copy %s FROM '%s' WITH (FORMAT csv, HEADER true)" % (table, path))

    def psql(self, sql):
        p = subprocess.run(["psql", "-X", "-q", "-h", self.sock, "-U", "postgres", "-d", "postgres",
                            "-v", "ON_ERROR_STOP=1", "--csv", "-f", "-"],
                           input="SET TIME ZONE '%s';\n%s" % (SESSION_ZONES["postgres"], sql),
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.strip()[:2000])
        return p.stdout

    def run(self, sql):
        out = self.psql(sql)
        rows = list(csv.reader(io.StringIO(out)))
        return rows[0], [tuple(None if v == "" else v for v in r) for r in rows[1:]]

    def close(self):
        subprocess.run(self.as_pg + [PG_BIN + "/pg_ctl", "-D", self.data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class Spark:
    name = "spark"

    def __init__(self, tables):
        from pyspark.sql import SparkSession
        from pyspark.sql import types as T
        self.spark = (SparkSession.builder.master("local[2]").appName("cxm-sql-equiv")
                      .config("spark.ui.enabled", "false")
                      # The default 1 GB driver heap runs out on the larger churn and
                      # retention aggregations of one long session.
                      .config("spark.driver.memory", "4g")
                      .config("spark.ui.showConsoleProgress", "false")
                      .config("spark.sql.shuffle.partitions", "2")
                      .config("spark.sql.session.timeZone", SESSION_ZONES["spark"])
                      .getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")
        types = {"text": T.StringType(), "num": T.DoubleType(), "ts": T.TimestampType()}
        for table, (path, cols) in tables.items():
            schema = T.StructType([T.StructField(c, types[t], True) for c, t in cols])
            df = (self.spark.read.option("header", "true")
                  .option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss[.SSS]XXX")
                  .schema(schema).csv(path))
            df.cache().createOrReplaceTempView(table)

    def run(self, sql):
        df = self.spark.sql(sql.strip().rstrip(";"))
        return df.columns, [tuple(r) for r in df.collect()]

    def close(self):
        self.spark.stop()


ENGINES = {"duckdb": DuckDB, "postgres": Postgres, "spark": Spark}

# ---------------------------------------------------------------------------- comparison


def as_float(v):
    if v is None or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def norm_bool(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v in ("t", "f"):
        return "true" if v == "t" else "false"
    return v


def compare(header, rows, cols, got, skip=()):
    """None when equal; else what differs. `skip`: columns left to another check."""
    if list(cols) != header:
        return "columns differ:\n  cxm %s\n  sql %s" % (header, list(cols))
    if len(got) != len(rows):
        return "%d rows from cxm, %d from SQL" % (len(rows), len(got))
    for i, (want, have) in enumerate(zip(rows, got)):
        for name, a, b in zip(header, want, have):
            b = norm_bool(b)
            if name in skip or (a == "" and b is None):
                continue
            if isinstance(b, str) and a == b:
                continue
            fa, fb = as_float(a), as_float(b)
            if fa is not None and fb is not None:
                tol_rel, tol_abs = (1e-7, 1e-7) if name == "p_value" else (1e-9, 1e-12)
                if abs(fa - fb) <= max(tol_abs, tol_rel * max(abs(fa), abs(fb))):
                    continue
            if str(b) == a:
                continue
            return "row %d (%s) column %s: cxm %r, SQL %r" % (i, want[:3], name, a, b)
    return None


def cell_text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def aggregates_round_trip(cxm, engine, ename, work, n, table, metric, opts, extra, exp, source=None,
                          sql_opts=None):
    """`cxm sql --stage aggregates` on the engine, saved as CSV, then `cxm METRIC
    --from-aggregates FILE` with the same options: the output must equal cxm's on the rows
    (`source`). `sql_opts`: the options without those only the finishing command takes."""
    p = subprocess.run([cxm, "sql", metric, "--dialect", ename, "--table", table, "--stage", "aggregates"]
                       + (opts if sql_opts is None else sql_opts) + extra, capture_output=True, text=True)
    if p.returncode != 0:
        return "cxm sql: " + p.stderr.strip()
    try:
        cols, got = engine.run(p.stdout)
    except Exception as e:  # noqa: BLE001
        return "the engine refused the query: " + str(e)[:1500]
    path = os.path.join(work, "agg-%s-%03d.csv" % (ename, n))
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in got:
            w.writerow([cell_text(v) for v in r])
    q = subprocess.run([cxm, metric, "--from-aggregates", path, "--format", "csv", "-q"] + opts,
                       capture_output=True, text=True)
    if q.returncode not in (0, 1):
        return "cxm --from-aggregates: " + q.stderr.strip()
    r = list(csv.reader(io.StringIO(q.stdout)))
    if r[0] != exp[0] or r[1:] != exp[1]:
        return compare(exp[0], exp[1], r[0], [tuple(x) for x in r[1:]]) or "not byte-identical"
    if "--survival" in opts:
        # The CSV holds S(t) and se only: n, events, censored, median and the row accounting
        # must be equal too (the input's path aside).
        def report(args):
            j = subprocess.run([cxm, metric] + args + ["--format", "json", "-q"] + opts,
                               capture_output=True, text=True)
            if j.returncode not in (0, 1):
                return None
            doc = json.loads(j.stdout)
            ins = [{k: v for k, v in i.items() if k != "path"} for i in doc["inputs"]]
            return doc["total"], ins, doc["as_of"], doc["checks"]
        want, have = report([source]), report(["--from-aggregates", path])
        if want is None or have is None or want != have:
            return "JSON differs:\n  cxm %s\n  agg %s" % (want, have)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cxm", required=True)
    ap.add_argument("--engines", default="duckdb,postgres,spark")
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--keep", action="store_true", help="keep the generated files and queries")
    ap.add_argument("--only", help="run only the metrics whose name contains this text "
                                   "(`survival`: the retention --survival cases; `placeholder`: "
                                   "the tables holding placeholder dates; `approx`: --approx)")
    args = ap.parse_args()
    ci = os.environ.get("CI") == "true"
    work = tempfile.mkdtemp(prefix="cxm-sql-equiv-")
    surveys = os.path.join(work, "surveys.csv")
    gen_surveys(surveys, args.rows, 20261130)
    tickets = os.path.join(work, "tickets.csv")
    gen_tickets(tickets, args.rows, 20261201)
    holidays = os.path.join(work, "holidays.txt")
    with open(holidays, "w") as f:
        f.write("# public holidays\n2025-04-18\n2025-12-24..2025-12-26\n2025-05-01\n")
    subscriptions = os.path.join(work, "subscriptions.csv")
    gen_subscriptions(subscriptions, args.rows // 6, 20261130)
    tables = {"surveys": (surveys, SURVEY_COLUMNS), "tickets": (tickets, TICKET_COLUMNS),
              "subscriptions": (subscriptions, SUBSCRIPTION_COLUMNS)}
    # The same exports with placeholder dates: `<name>_ph.csv` for cxm, `<name>_ph_table.csv`
    # for the engines (the tables `<name>_ph`).
    ph_files, ph_tables = {}, {}
    for i, (name, id_col) in enumerate([("surveys", "response_id"), ("tickets", "ticket_id"),
                                        ("subscriptions", "subscription_id")]):
        src, columns = tables[name]
        fp, tp = os.path.join(work, name + "_ph.csv"), os.path.join(work, name + "_ph_table.csv")
        with_placeholders(src, fp, tp, columns, id_col, 20261213 + i)
        ph_files[name + "_ph"] = fp
        ph_tables[name + "_ph"] = (tp, columns)
    # (table, file, metric, options for both sides, extra SQL-side options)
    cases = []
    for metric, col, opts in survey_cases():
        dedup = [] if "--keep-duplicates" in opts else [
            "--col", "response_id=response_id", "--col", "updated_at=updated_at"]
        cases.append(("surveys", surveys, metric, ["--col", "score=" + col] + opts, dedup))
    for metric, opts, extra in ticket_cases(holidays):
        cols = ["--col", "reopens=reopens", "--col", "status=status"]
        if "--keep-duplicates" not in opts:
            cols += ["--col", "ticket_id=ticket_id", "--col", "updated_at=updated_at"]
        cases.append(("tickets", tickets, metric, opts, cols + extra))
    for metric, opts in churn_cases():
        cases.append(("subscriptions", subscriptions, metric, opts, SUBSCRIPTION_SQL_COLS))
    for table, metric, opts, extra in placeholder_cases(holidays):
        cases.append((table, ph_files[table], metric, opts, extra))

    # cxm's own output, once per case.
    expected = []
    for table, path, metric, opts, _ in cases:
        p = subprocess.run([args.cxm, metric, path, "--format", "csv", "-q"] + opts,
                           capture_output=True, text=True)
        if p.returncode not in (0, 1):
            print("FAIL cxm %s %s: %s" % (metric, " ".join(opts), p.stderr.strip()))
            expected.append(None)
            continue
        r = list(csv.reader(io.StringIO(p.stdout)))
        expected.append((r[0], r[1:]))

    passed = failed = 0
    for ename in [e.strip() for e in args.engines.split(",") if e.strip()]:
        try:
            engine = ENGINES[ename](dict(tables, **ph_tables) if ename in PLACEHOLDER_ENGINES else tables)
        except Exception as e:  # noqa: BLE001 - any start-up failure is reported the same way
            msg = "%s could not be started: %s" % (ename, str(e).splitlines()[0] if str(e) else type(e).__name__)
            if ci:
                print("FAIL " + msg)
                failed += 1
            else:
                print("SKIPPED (not under CI=true): " + msg)
            continue
        try:
            for n, ((table, source, metric, opts, extra), exp) in enumerate(zip(cases, expected)):
                tags = metric + (" survival" if "--survival" in opts else "") \
                    + (" placeholder" if table in ph_tables else "") + (" approx" if "--approx" in extra else "")
                if args.only and args.only not in tags:
                    continue
                if table in ph_tables and ename not in PLACEHOLDER_ENGINES:
                    continue
                label = "%s %s: cxm sql %s %s %s" % (ename, n, metric, " ".join(opts), " ".join(extra))
                if exp is None:
                    failed += 1
                    continue
                if "--survival" in opts:
                    # Survival exists only as aggregates: the round trip is the check, on
                    # every engine.
                    sql_opts = list(opts)
                    if "--at" in opts:   # where S(t) is read: the finishing command's option
                        i = opts.index("--at")
                        sql_opts = opts[:i] + opts[i + 2:]
                    why = aggregates_round_trip(args.cxm, engine, ename, work, n, table, metric, opts, extra,
                                                exp, source, sql_opts)
                    if why:
                        print("FAIL %s --stage aggregates: %s" % (label, why))
                        failed += 1
                    else:
                        passed += 1
                    continue
                p = subprocess.run([args.cxm, "sql", metric, "--dialect", ename, "--table", table] + opts + extra,
                                   capture_output=True, text=True)
                if p.returncode != 0:
                    print("FAIL %s: cxm sql: %s" % (label, p.stderr.strip()))
                    failed += 1
                    continue
                if args.keep:
                    with open(os.path.join(work, "%s-%03d.sql" % (ename, n)), "w") as f:
                        f.write(p.stdout)
                try:
                    cols, got = engine.run(p.stdout)
                except Exception as e:  # noqa: BLE001
                    print("FAIL %s: the engine refused the query: %s" % (label, str(e)[:1500]))
                    failed += 1
                    continue
                # --approx: PostgreSQL stays exact; elsewhere the percentiles are estimates.
                approx = "--approx" in extra and ename != "postgres"
                why = compare(exp[0], exp[1], cols, got, APPROX_COLUMNS if approx else ())
                if approx and not why:
                    why = approx_check(args.cxm, engine, ename, table, opts, extra, exp, cols, got)
                if why:
                    print("FAIL %s: %s" % (label, why))
                    failed += 1
                else:
                    passed += 1
                if ename in ("duckdb", "postgres") and "--histogram-percentiles" not in extra \
                        and "--approx" not in extra and not table.startswith("subscriptions"):
                    # The aggregates stage: the warehouse counts, cxm finishes.
                    why = aggregates_round_trip(args.cxm, engine, ename, work, n, table, metric, opts, extra, exp)
                    if why:
                        print("FAIL %s --stage aggregates: %s" % (label, why))
                        failed += 1
                    else:
                        passed += 1
        finally:
            engine.close()
    if args.keep:
        print("files kept in " + work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
