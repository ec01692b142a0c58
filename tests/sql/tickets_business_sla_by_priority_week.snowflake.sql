-- cxm 0.1.0 sql tickets --dialect snowflake --table support.tickets
-- As of 2025-04-23T00:00:00+02:00; result: the table `cxm tickets FILE --format csv` prints for the same rows.
-- The calendar covers 2025-04-10T00:00:00+02:00 to as-of (14 UTC days); tickets created before it are left out.
WITH
cxm_cal AS (
  SELECT CAST(day AS BIGINT) AS day, CAST(o0 AS BIGINT) AS o0, CAST(s1 AS BIGINT) AS s1, CAST(o1 AS BIGINT) AS o1, CAST(b0 AS BIGINT) AS b0, CAST(p1s AS BIGINT) AS p1s, CAST(p1e AS BIGINT) AS p1e FROM (VALUES
      (20187, 2884, 86400000, 2884, 0, 25200000, 54000000), (20188, 2884, 86400000, 2884, 28800000, 25200000, 54000000), (20189, 2884, 86400000, 2884, 57600000, 25200000, 54000000), (20190, 2884, 86400000, 2884, 86400000, 72000000, 86400000), (20191, 2884, 79200000, 2885, 100800000, 0, 0), (20192, 2885, 86400000, 2885, 100800000, 25200000, 54000000),
      (20193, 2885, 86400000, 2885, 129600000, 25200000, 54000000), (20194, 2885, 86400000, 2885, 158400000, 25200000, 54000000), (20195, 2885, 86400000, 2885, 187200000, 25200000, 54000000), (20196, 2885, 86400000, 2885, 216000000, 0, 0), (20197, 2885, 86400000, 2885, 216000000, 72000000, 86400000), (20198, 2885, 79200000, 2886, 230400000, 0, 0),
      (20199, 2886, 86400000, 2886, 230400000, 25200000, 54000000), (20200, 2886, 86400000, 2886, 259200000, 25200000, 54000000)
    ) AS cxm_v(day, o0, s1, o1, b0, p1s, p1e)
),
cxm_periods AS (
  SELECT CAST(o AS BIGINT) AS o, CAST(label AS VARCHAR) AS label, CAST(partial AS BOOLEAN) AS partial FROM (VALUES
      (2884, '2025-W15', FALSE), (2885, '2025-W16', FALSE), (2886, '2025-W17', TRUE)
    ) AS cxm_v(o, label, partial)
),
cxm_in AS (
  SELECT NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "created_at"), -2208988800000), -2209161600000), -62135596800000) AS tc, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "first_response_at"), -2208988800000), -2209161600000), -62135596800000) AS tf, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "resolved_at"), -2208988800000), -2209161600000), -62135596800000) AS tr, CAST(NULL AS DOUBLE) AS reo, LOWER(TRIM(CAST("status" AS VARCHAR))) AS stx, NULLIF(TRIM(CAST("priority" AS VARCHAR)), '') AS g1 FROM "support"."tickets"
),
cxm_a AS (
  SELECT CASE WHEN r.tc IS NULL OR (r.tf IS NOT NULL AND r.tf < r.tc) OR (r.tr IS NOT NULL AND r.tr < r.tc) OR (r.reo IS NOT NULL AND (r.reo < 0 OR r.reo <> FLOOR(r.reo))) THEN 3 ELSE 1 END AS st, r.tc AS tc, CASE WHEN r.tf <= 1745359200000 THEN r.tf END AS f, CASE WHEN r.tr <= 1745359200000 THEN r.tr END AS rs, CASE WHEN r.reo > 0 THEN 1 ELSE 0 END AS reopened, (cc.b0 + LEAST(GREATEST(r.tc - cc.day * 86400000 - cc.p1s, 0), cc.p1e - cc.p1s)) AS bc, (cf.b0 + LEAST(GREATEST(r.tf - cf.day * 86400000 - cf.p1s, 0), cf.p1e - cf.p1s)) AS bf, (cr.b0 + LEAST(GREATEST(r.tr - cr.day * 86400000 - cr.p1s, 0), cr.p1e - cr.p1s)) AS br, CASE WHEN (r.tc - cc.day * 86400000) >= cc.s1 THEN cc.o1 ELSE cc.o0 END AS oc, CASE WHEN (r.tr - cr.day * 86400000) >= cr.s1 THEN cr.o1 ELSE cr.o0 END AS orr, r.g1 FROM cxm_in r LEFT JOIN cxm_cal cc ON cc.day = CAST(FLOOR(CAST(r.tc AS DOUBLE) / 86400000) AS BIGINT) LEFT JOIN cxm_cal cf ON cf.day = CAST(FLOOR(CAST(r.tf AS DOUBLE) / 86400000) AS BIGINT) LEFT JOIN cxm_cal cr ON cr.day = CAST(FLOOR(CAST(r.tr AS DOUBLE) / 86400000) AS BIGINT) WHERE (r.stx IS NULL OR r.stx NOT IN ('deleted', 'spam')) AND (r.tc IS NULL OR r.tc <= 1745359200000) AND (r.tc IS NULL OR r.tc >= 1744236000000) AND (r.tc IS NULL OR r.tc >= 1744236000000)
),
cxm_t AS (
  SELECT g1, st, oc AS o, CASE WHEN st = 1 AND rs IS NOT NULL THEN 1 ELSE 0 END AS res, CASE WHEN st = 1 AND f IS NOT NULL THEN 1 ELSE 0 END AS ans, reopened, CASE WHEN st = 1 AND f IS NOT NULL THEN bf - bc END AS frt, CASE WHEN st = 1 AND rs IS NOT NULL THEN br - bc END AS ttr, CASE WHEN st = 1 AND rs IS NULL THEN 288000000 - bc END AS age FROM cxm_a WHERE 1 = 1
),
cxm_range AS (
  SELECT MIN(o) AS lo, MAX(o) AS hi FROM (SELECT o FROM cxm_t WHERE o IS NOT NULL AND st = 1) cxm_u
),
cxm_ords AS (
  SELECT p.o FROM cxm_periods p JOIN cxm_range r ON p.o >= r.lo AND p.o <= r.hi
),
cxm_groups AS (
  SELECT DISTINCT g1 FROM cxm_t
),
cxm_x AS (
  SELECT 0 AS k, g1, t.o, st, res, ans, reopened, frt, ttr, age FROM cxm_t t JOIN cxm_ords r ON t.o = r.o
  UNION ALL
  SELECT 0 AS k, g1, r.o, 0 AS st, 0 AS res, 0 AS ans, 0 AS reopened, CAST(NULL AS BIGINT) AS frt, CAST(NULL AS BIGINT) AS ttr, CAST(NULL AS BIGINT) AS age FROM cxm_groups CROSS JOIN cxm_ords r
  UNION ALL
  SELECT 1 AS k, CAST(NULL AS VARCHAR) AS g1, t.o, st, res, ans, reopened, frt, ttr, age FROM cxm_t t JOIN cxm_ords r ON t.o = r.o
  UNION ALL
  SELECT 1 AS k, CAST(NULL AS VARCHAR) AS g1, r.o, 0 AS st, 0 AS res, 0 AS ans, 0 AS reopened, CAST(NULL AS BIGINT) AS frt, CAST(NULL AS BIGINT) AS ttr, CAST(NULL AS BIGINT) AS age FROM cxm_ords r
  UNION ALL
  SELECT 2 AS k, CAST(NULL AS VARCHAR) AS g1, CAST(NULL AS BIGINT) AS o, st, res, ans, reopened, frt, ttr, age FROM cxm_t
  UNION ALL
  SELECT 2 AS k, CAST(NULL AS VARCHAR) AS g1, CAST(NULL AS BIGINT) AS o, 0 AS st, 0 AS res, 0 AS ans, 0 AS reopened, CAST(NULL AS BIGINT) AS frt, CAST(NULL AS BIGINT) AS ttr, CAST(NULL AS BIGINT) AS age FROM (SELECT 1 AS one) cxm_one
),
cxm_g AS (
  SELECT k, g1, o, SUM(CASE WHEN st = 1 THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN st = 1 AND res = 1 THEN 1 ELSE 0 END) AS resolved, SUM(CASE WHEN st = 3 THEN 1 ELSE 0 END) AS rejected, SUM(CASE WHEN st = 1 AND res = 1 AND reopened = 1 THEN 1 ELSE 0 END) AS reopened, COUNT(frt) AS frt_n, CAST(SUM(frt) AS DOUBLE) AS frt_sum, COUNT(ttr) AS ttr_n, CAST(SUM(ttr) AS DOUBLE) AS ttr_sum, percentile_cont(CAST(0.5 AS DOUBLE)) WITHIN GROUP (ORDER BY frt) AS frt_median, percentile_cont(CAST(0.9 AS DOUBLE)) WITHIN GROUP (ORDER BY frt) AS frt_p90, percentile_cont(CAST(0.95 AS DOUBLE)) WITHIN GROUP (ORDER BY frt) AS frt_p95, percentile_cont(CAST(0.5 AS DOUBLE)) WITHIN GROUP (ORDER BY ttr) AS ttr_median, percentile_cont(CAST(0.9 AS DOUBLE)) WITHIN GROUP (ORDER BY ttr) AS ttr_p90, percentile_cont(CAST(0.95 AS DOUBLE)) WITHIN GROUP (ORDER BY ttr) AS ttr_p95, SUM(CASE WHEN st <> 1 THEN 0 WHEN ans = 1 AND frt > 14400000 THEN 1 WHEN ans = 0 AND res = 1 AND ttr > 14400000 THEN 1 WHEN ans = 0 AND res = 0 AND age > 14400000 THEN 1 ELSE 0 END) AS frt_b, SUM(CASE WHEN st <> 1 THEN 0 WHEN ans = 1 OR res = 1 THEN 1 WHEN age > 14400000 THEN 1 ELSE 0 END) AS frt_k, SUM(CASE WHEN st <> 1 THEN 0 WHEN res = 1 AND ttr > 57600000 THEN 1 WHEN res = 0 AND age > 57600000 THEN 1 ELSE 0 END) AS ttr_b, SUM(CASE WHEN st <> 1 THEN 0 WHEN res = 1 THEN 1 WHEN age > 57600000 THEN 1 ELSE 0 END) AS ttr_k FROM cxm_x GROUP BY k, g1, o
),
cxm_f AS (
  SELECT s.*, p.label, COALESCE(p.partial, FALSE) AS partial FROM cxm_g s LEFT JOIN cxm_periods p ON p.o = s.o
)
SELECT CASE WHEN k <> 0 THEN '(all)' WHEN g1 = '(all)' THEN '''(all)' ELSE g1 END AS "priority",
  label AS "period",
  partial AS "partial",
  n AS "tickets",
  n AS "n",
  resolved AS "resolved",
  n - resolved AS "open",
  rejected AS "rejected",
  reopened AS "reopened",
  CAST(100.0 AS DOUBLE) * CAST(reopened AS DOUBLE) / CAST(NULLIF(resolved, 0) AS DOUBLE) AS "reopen_rate",
  CAST(frt_median AS DOUBLE) / CAST(3600000.0 AS DOUBLE) AS "frt_median_hours",
  frt_sum / CAST(NULLIF(frt_n, 0) AS DOUBLE) / CAST(3600000.0 AS DOUBLE) AS "frt_mean_hours",
  CAST(frt_p90 AS DOUBLE) / CAST(3600000.0 AS DOUBLE) AS "frt_p90_hours",
  CAST(frt_p95 AS DOUBLE) / CAST(3600000.0 AS DOUBLE) AS "frt_p95_hours",
  CAST(ttr_median AS DOUBLE) / CAST(3600000.0 AS DOUBLE) AS "ttr_median_hours",
  ttr_sum / CAST(NULLIF(ttr_n, 0) AS DOUBLE) / CAST(3600000.0 AS DOUBLE) AS "ttr_mean_hours",
  CAST(ttr_p90 AS DOUBLE) / CAST(3600000.0 AS DOUBLE) AS "ttr_p90_hours",
  CAST(ttr_p95 AS DOUBLE) / CAST(3600000.0 AS DOUBLE) AS "ttr_p95_hours",
  frt_b AS "frt_breached",
  CAST(100.0 AS DOUBLE) * CAST(frt_b AS DOUBLE) / CAST(NULLIF(frt_k, 0) AS DOUBLE) AS "frt_breach_pct",
  ttr_b AS "ttr_breached",
  CAST(100.0 AS DOUBLE) * CAST(ttr_b AS DOUBLE) / CAST(NULLIF(ttr_k, 0) AS DOUBLE) AS "ttr_breach_pct",
  FALSE AS "low_n" FROM cxm_f ORDER BY k, CASE WHEN g1 IS NULL THEN 1 ELSE 0 END, g1, o;
