-- cxm 0.1.0 sql retention --dialect postgres --table billing.subscriptions
-- As of 2025-07-01T00:00:00+00:00; result: the table `cxm retention FILE --format csv` prints for the same rows.
-- Stage: aggregates (Kaplan–Meier survival). Save the result as CSV and finish it with `cxm retention --survival --from-aggregates FILE` and the same options (--as-of, --gap, --where).
-- Columns of the result: duration_ms (first start to the end of the first continuous active span, or to as-of; --gap 604800000 ms), events, censored; the first record (duration_ms NULL) counts the table's rows: used, blank, rejected, filtered, duplicate.
-- Columns: customer_id, started_at, ended_at, mrr (and status, canceled_at, trial_end, current_period_end, subscription_id when named with --col).
WITH
cxm_in AS (
  SELECT TRIM(CAST("customer_id" AS TEXT)) AS cu, NULLIF(NULLIF(NULLIF(CAST(FLOOR(EXTRACT(EPOCH FROM "started_at") * 1000) AS BIGINT), -2208988800000), -2209161600000), -62135596800000) AS st0, NULLIF(NULLIF(NULLIF(CAST(FLOOR(EXTRACT(EPOCH FROM "ended_at") * 1000) AS BIGINT), -2208988800000), -2209161600000), -62135596800000) AS en0, CAST(NULL AS BIGINT) AS ca, NULLIF(NULLIF(NULLIF(CAST(FLOOR(EXTRACT(EPOCH FROM "trial_end") * 1000) AS BIGINT), -2208988800000), -2209161600000), -62135596800000) AS tr, CAST(NULL AS BIGINT) AS pe, CAST("mrr" AS DOUBLE PRECISION) AS m0, LOWER(REPLACE(REPLACE(TRIM(CAST("status" AS TEXT)), ' ', '_'), '-', '_')) AS ss, COALESCE(TRIM(CAST("region" AS TEXT)), '') AS w1, CASE WHEN TRIM(CAST("sub_id" AS TEXT)) = '' THEN NULL ELSE CAST("sub_id" AS TEXT) END AS dk, NULLIF(NULLIF(NULLIF(CAST(FLOOR(EXTRACT(EPOCH FROM "updated") * 1000) AS BIGINT), -2208988800000), -2209161600000), -62135596800000) AS du FROM "billing"."subscriptions"
),
cxm_src AS (
  SELECT * FROM (SELECT cxm_in.*, ROW_NUMBER() OVER (PARTITION BY dk ORDER BY COALESCE(du, -9223372036854775807) DESC) AS cxm_rn FROM cxm_in) cxm_d WHERE dk IS NULL OR cxm_rn = 1
),
cxm_r1 AS (
  SELECT r.cu, r.st0, CASE WHEN r.tr IS NOT NULL AND r.tr > r.st0 THEN r.tr ELSE r.st0 END AS s, CASE WHEN r.en0 IS NOT NULL THEN r.en0 WHEN COALESCE(r.ss, '') IN ('canceled', 'cancelled', 'unpaid', 'expired') THEN COALESCE(r.ca, r.pe) ELSE NULL END AS en, CAST(FLOOR(r.m0 * CAST(100.0 AS DOUBLE PRECISION) + CAST(0.5 AS DOUBLE PRECISION)) AS BIGINT) AS m FROM cxm_src r WHERE r.cu IS NOT NULL AND r.cu <> '' AND r.st0 IS NOT NULL AND COALESCE(r.ss, '') NOT IN ('trialing', 'in_trial', 'trial', 'incomplete', 'incomplete_expired', 'future', 'pending', 'failed', 'transferred') AND NOT (r.en0 IS NULL AND COALESCE(r.ss, '') IN ('canceled', 'cancelled', 'unpaid', 'expired') AND r.ca IS NULL AND r.pe IS NULL) AND r.m0 IS NOT NULL AND r.m0 >= CAST(0.0 AS DOUBLE PRECISION) AND r.w1 NOT IN ('test')
),
cxm_subs AS (
  SELECT r.cu, r.s, CASE WHEN r.en > 1751328000000 THEN NULL ELSE r.en END AS e, r.m FROM cxm_r1 r WHERE (r.en IS NULL OR r.en >= r.st0) AND (r.en IS NULL OR r.en >= r.s) AND r.s <= 1751328000000
),
cxm_rs AS (
  SELECT CASE WHEN NOT COALESCE(r.w1 NOT IN ('test'), FALSE) THEN 3 WHEN NOT COALESCE(r.cu IS NOT NULL, FALSE) THEN 2 WHEN NOT COALESCE(r.cu <> '', FALSE) THEN 2 WHEN NOT COALESCE(r.st0 IS NOT NULL, FALSE) THEN 1 WHEN NOT COALESCE(COALESCE(r.ss, '') NOT IN ('trialing', 'in_trial', 'trial', 'incomplete', 'incomplete_expired', 'future', 'pending', 'failed', 'transferred'), FALSE) THEN 3 WHEN NOT COALESCE(NOT (r.en0 IS NULL AND COALESCE(r.ss, '') IN ('canceled', 'cancelled', 'unpaid', 'expired') AND r.ca IS NULL AND r.pe IS NULL), FALSE) THEN 2 WHEN NOT COALESCE((r.en IS NULL OR r.en >= r.st0), FALSE) THEN 2 WHEN NOT COALESCE(r.m0 IS NOT NULL, FALSE) THEN 1 WHEN NOT COALESCE(r.m0 >= CAST(0.0 AS DOUBLE PRECISION), FALSE) THEN 2 WHEN NOT COALESCE((r.en IS NULL OR r.en >= r.s), FALSE) THEN 3 WHEN NOT COALESCE(r.s <= 1751328000000, FALSE) THEN 3 ELSE 0 END AS st FROM (SELECT r.*, CASE WHEN r.tr IS NOT NULL AND r.tr > r.st0 THEN r.tr ELSE r.st0 END AS s, CASE WHEN r.en0 IS NOT NULL THEN r.en0 WHEN COALESCE(r.ss, '') IN ('canceled', 'cancelled', 'unpaid', 'expired') THEN COALESCE(r.ca, r.pe) ELSE NULL END AS en, CASE WHEN r.m0 >= CAST(0.0 AS DOUBLE PRECISION) THEN CAST(FLOOR(r.m0 * CAST(100.0 AS DOUBLE PRECISION) + CAST(0.5 AS DOUBLE PRECISION)) AS BIGINT) END AS m FROM cxm_src r) r
),
cxm_acc AS (
  SELECT CAST(COALESCE(SUM(CASE WHEN st = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS used, CAST(COALESCE(SUM(CASE WHEN st = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS blank, CAST(COALESCE(SUM(CASE WHEN st = 2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS rejected, CAST(COALESCE(SUM(CASE WHEN st = 3 THEN 1 ELSE 0 END), 0) AS BIGINT) AS filtered, CAST(COALESCE(MAX(i.n), 0) - COUNT(*) AS BIGINT) AS duplicate FROM cxm_rs CROSS JOIN (SELECT COUNT(*) AS n FROM cxm_in) i
),
cxm_sp AS (
  SELECT cu, s, e FROM cxm_subs WHERE e IS NULL OR e > s
),
cxm_run AS (
  SELECT cu, s, e, MAX(e) OVER (PARTITION BY cu ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pm, MAX(CASE WHEN e IS NULL THEN 1 ELSE 0 END) OVER (PARTITION BY cu ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS po FROM cxm_sp
),
cxm_brk AS (
  SELECT cu, MIN(s) AS b FROM cxm_run WHERE po = 0 AND s - pm > 604800000 GROUP BY cu
),
cxm_span AS (
  SELECT r.cu, MIN(r.s) AS f, MAX(CASE WHEN r.e IS NULL THEN 1 ELSE 0 END) AS op, MAX(r.e) AS le FROM cxm_run r LEFT JOIN cxm_brk k ON k.cu = r.cu WHERE k.b IS NULL OR r.s < k.b GROUP BY r.cu
),
cxm_obs AS (
  SELECT CASE WHEN op = 0 THEN le ELSE 1751328000000 END - f AS d, CASE WHEN op = 0 THEN 1 ELSE 0 END AS ev FROM cxm_span
),
cxm_out AS (
  SELECT 0 AS q, CAST(NULL AS BIGINT) AS "duration_ms", CAST(0 AS BIGINT) AS "events", CAST(0 AS BIGINT) AS "censored", used AS "used", blank AS "blank", rejected AS "rejected", filtered AS "filtered", duplicate AS "duplicate" FROM cxm_acc
  UNION ALL
  SELECT 1 AS q, d AS "duration_ms", CAST(SUM(ev) AS BIGINT) AS "events", CAST(SUM(1 - ev) AS BIGINT) AS "censored", CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT) FROM cxm_obs GROUP BY d
)
SELECT "duration_ms", "events", "censored", "used", "blank", "rejected", "filtered", "duplicate" FROM cxm_out ORDER BY q, "duration_ms";
