-- cxm 0.1.0 sql retention --dialect spark --table subs
-- As of 2025-07-02T00:00:00+00:00; result: the table `cxm retention FILE --format csv` prints for the same rows.
-- Cohorts (quarter) start at 2024-01-01T00:00:00+00:00 (the calendar start: --since, else five years before as-of); customers whose first start is earlier are left out.
-- Columns: customer_id, started_at, ended_at, mrr (and status, canceled_at, trial_end, current_period_end, subscription_id when named with --col).
WITH
cxm_in AS (
  SELECT TRIM(CAST(`customer_id` AS STRING)) AS cu, NULLIF(NULLIF(NULLIF(unix_millis(`started_at`), -2208988800000), -2209161600000), -62135596800000) AS st0, NULLIF(NULLIF(NULLIF(unix_millis(`ended_at`), -2208988800000), -2209161600000), -62135596800000) AS en0, CAST(NULL AS BIGINT) AS ca, CAST(NULL AS BIGINT) AS tr, CAST(NULL AS BIGINT) AS pe, CAST(`monthly_amount` AS DOUBLE) AS m0, CAST(NULL AS STRING) AS ss, COALESCE(TRIM(CAST(`region` AS STRING)), '') AS w1 FROM `subs`
),
cxm_r1 AS (
  SELECT r.cu, r.st0, CASE WHEN r.tr IS NOT NULL AND r.tr > r.st0 THEN r.tr ELSE r.st0 END AS s, CASE WHEN r.en0 IS NOT NULL THEN r.en0 WHEN COALESCE(r.ss, '') IN ('canceled', 'cancelled', 'unpaid', 'expired') THEN COALESCE(r.ca, r.pe) ELSE NULL END AS en, CAST(FLOOR(r.m0 * CAST(100.0 AS DOUBLE) + CAST(0.5 AS DOUBLE)) AS BIGINT) AS m FROM cxm_in r WHERE r.cu IS NOT NULL AND r.cu <> '' AND r.st0 IS NOT NULL AND COALESCE(r.ss, '') NOT IN ('trialing', 'in_trial', 'trial', 'incomplete', 'incomplete_expired', 'future', 'pending', 'failed', 'transferred') AND NOT (r.en0 IS NULL AND COALESCE(r.ss, '') IN ('canceled', 'cancelled', 'unpaid', 'expired') AND r.ca IS NULL AND r.pe IS NULL) AND r.m0 IS NOT NULL AND r.m0 >= CAST(0.0 AS DOUBLE) AND r.w1 NOT IN ('test')
),
cxm_subs AS (
  SELECT r.cu, r.s, CASE WHEN r.en > 1751414400000 THEN NULL ELSE r.en END AS e, r.m FROM cxm_r1 r WHERE (r.en IS NULL OR r.en >= r.st0) AND (r.en IS NULL OR r.en >= r.s) AND r.s <= 1751414400000
),
cxm_rp AS (
  SELECT CAST(o AS BIGINT) AS o, CAST(s AS BIGINT) AS s, CAST(nx AS BIGINT) AS nx, CAST(label AS STRING) AS label FROM VALUES
      (8096, 1704067200000, 1711929600000, '2024-Q1'), (8097, 1711929600000, 1719792000000, '2024-Q2'), (8098, 1719792000000, 1727740800000, '2024-Q3'), (8099, 1727740800000, 1735689600000, '2024-Q4'), (8100, 1735689600000, 1743465600000, '2025-Q1'), (8101, 1743465600000, 1751328000000, '2025-Q2'),
      (8102, 1751328000000, 1759276800000, '2025-Q3')
    AS cxm_v(o, s, nx, label)
),
cxm_first AS (
  SELECT cu, MIN(s) AS f FROM cxm_subs GROUP BY cu
),
cxm_fc AS (
  SELECT f.cu, p.o AS c FROM cxm_first f JOIN cxm_rp p ON f.f >= p.s AND f.f < p.nx
),
cxm_size AS (
  SELECT c, COUNT(*) AS size FROM cxm_fc GROUP BY c
),
cxm_state AS (
  SELECT x.cu, b.o, SUM(x.m) AS m FROM cxm_subs x JOIN cxm_rp b ON x.s < b.s AND (x.e IS NULL OR b.s <= x.e) GROUP BY x.cu, b.o
),
cxm_cell AS (
  SELECT fc.c, t.o - fc.c - 1 AS k, CAST(COUNT(*) AS BIGINT) AS n, CAST(SUM(t.m) AS BIGINT) AS m FROM cxm_state t JOIN cxm_fc fc ON fc.cu = t.cu WHERE t.o > fc.c GROUP BY fc.c, t.o
),
cxm_lim AS (
  SELECT MIN(c) AS lo, MAX(c) AS hi FROM cxm_fc
),
cxm_co AS (
  SELECT p.o AS c, p.label FROM cxm_rp p CROSS JOIN cxm_lim l WHERE p.o >= l.lo AND p.o <= l.hi
),
cxm_off AS (
  SELECT p.o - l.lo AS k FROM cxm_rp p CROSS JOIN cxm_lim l WHERE p.o >= l.lo AND p.o < 8102
),
cxm_grid AS (
  SELECT co.c, co.label, f.k, CAST(COALESCE(z.size, 0) AS BIGINT) AS size, CASE WHEN co.c + f.k + 1 <= 8102 THEN 1 ELSE 0 END AS known, COALESCE(x.n, 0) AS n, COALESCE(x.m, 0) AS m, COALESCE(b0.m, 0) AS base FROM cxm_co co CROSS JOIN cxm_off f LEFT JOIN cxm_size z ON z.c = co.c LEFT JOIN cxm_cell x ON x.c = co.c AND x.k = f.k LEFT JOIN cxm_cell b0 ON b0.c = co.c AND b0.k = 0
),
cxm_all AS (
  SELECT k, CAST(SUM(CASE WHEN known = 1 AND base > 0 THEN size ELSE 0 END) AS BIGINT) AS size, CAST(SUM(CASE WHEN known = 1 AND base > 0 THEN m ELSE 0 END) AS BIGINT) AS num, CAST(SUM(CASE WHEN known = 1 AND base > 0 THEN base ELSE 0 END) AS BIGINT) AS den FROM cxm_grid GROUP BY k
),
cxm_out AS (
  SELECT 0 AS q, c, label AS `cohort`, k AS `offset`, size AS `size`, CASE WHEN known = 1 THEN CAST(m AS DOUBLE) / CAST(100.0 AS DOUBLE) END AS `retained`, CASE WHEN known = 1 AND base > 0 THEN CAST(100.0 AS DOUBLE) * CAST(m AS DOUBLE) / CAST(base AS DOUBLE) END AS `pct` FROM cxm_grid
  UNION ALL
  SELECT 1 AS q, CAST(0 AS BIGINT) AS c, 'all' AS `cohort`, k AS `offset`, size AS `size`, CAST(num AS DOUBLE) / CAST(100.0 AS DOUBLE) AS `retained`, CASE WHEN den = 0 THEN NULL ELSE CAST(100.0 AS DOUBLE) * CAST(num AS DOUBLE) / CAST(den AS DOUBLE) END AS `pct` FROM cxm_all
)
SELECT `cohort`, `offset`, `size`, `retained`, `pct` FROM cxm_out ORDER BY q, c, `offset`;
