-- cxm 0.1.0 sql tickets --dialect duckdb --table support.tickets
-- As of 2025-04-02T00:00:00+00:00; result: the table `cxm tickets FILE --format csv` prints for the same rows.
-- --approx: the median, p90 and p95 columns come from approx_quantile, an approximate percentile: they are estimates, not comparable to `cxm tickets` at 1e-9 (counts and means stay exact).
-- The calendar covers 2025-01-01T00:00:00+00:00 to as-of (92 UTC days); tickets created before it are left out.
WITH
cxm_cal AS (
  SELECT CAST(day AS BIGINT) AS day, CAST(o0 AS BIGINT) AS o0 FROM (VALUES
      (20089, 24300), (20090, 24300), (20091, 24300), (20092, 24300), (20093, 24300), (20094, 24300),
      (20095, 24300), (20096, 24300), (20097, 24300), (20098, 24300), (20099, 24300), (20100, 24300),
      (20101, 24300), (20102, 24300), (20103, 24300), (20104, 24300), (20105, 24300), (20106, 24300),
      (20107, 24300), (20108, 24300), (20109, 24300), (20110, 24300), (20111, 24300), (20112, 24300),
      (20113, 24300), (20114, 24300), (20115, 24300), (20116, 24300), (20117, 24300), (20118, 24300),
      (20119, 24300), (20120, 24301), (20121, 24301), (20122, 24301), (20123, 24301), (20124, 24301),
      (20125, 24301), (20126, 24301), (20127, 24301), (20128, 24301), (20129, 24301), (20130, 24301),
      (20131, 24301), (20132, 24301), (20133, 24301), (20134, 24301), (20135, 24301), (20136, 24301),
      (20137, 24301), (20138, 24301), (20139, 24301), (20140, 24301), (20141, 24301), (20142, 24301),
      (20143, 24301), (20144, 24301), (20145, 24301), (20146, 24301), (20147, 24301), (20148, 24302),
      (20149, 24302), (20150, 24302), (20151, 24302), (20152, 24302), (20153, 24302), (20154, 24302),
      (20155, 24302), (20156, 24302), (20157, 24302), (20158, 24302), (20159, 24302), (20160, 24302),
      (20161, 24302), (20162, 24302), (20163, 24302), (20164, 24302), (20165, 24302), (20166, 24302),
      (20167, 24302), (20168, 24302), (20169, 24302), (20170, 24302), (20171, 24302), (20172, 24302),
      (20173, 24302), (20174, 24302), (20175, 24302), (20176, 24302), (20177, 24302), (20178, 24302),
      (20179, 24303), (20180, 24303)
    ) AS cxm_v(day, o0)
),
cxm_periods AS (
  SELECT CAST(o AS BIGINT) AS o, CAST(label AS VARCHAR) AS label, CAST(partial AS BOOLEAN) AS partial FROM (VALUES
      (24300, '2025-01', FALSE), (24301, '2025-02', FALSE), (24302, '2025-03', FALSE), (24303, '2025-04', TRUE)
    ) AS cxm_v(o, label, partial)
),
cxm_in AS (
  SELECT NULLIF(NULLIF(NULLIF(epoch_ms("created_at"), -2208988800000), -2209161600000), -62135596800000) AS tc, NULLIF(NULLIF(NULLIF(epoch_ms("first_response_at"), -2208988800000), -2209161600000), -62135596800000) AS tf, NULLIF(NULLIF(NULLIF(epoch_ms("resolved_at"), -2208988800000), -2209161600000), -62135596800000) AS tr, CAST(NULL AS DOUBLE) AS reo, LOWER(TRIM(CAST("status" AS VARCHAR))) AS stx, NULLIF(TRIM(CAST("priority" AS VARCHAR)), '') AS g1 FROM "support"."tickets"
),
cxm_a AS (
  SELECT CASE WHEN r.tc IS NULL OR (r.tf IS NOT NULL AND r.tf < r.tc) OR (r.tr IS NOT NULL AND r.tr < r.tc) OR (r.reo IS NOT NULL AND (r.reo < 0 OR r.reo <> FLOOR(r.reo))) THEN 3 ELSE 1 END AS st, r.tc AS tc, CASE WHEN r.tf <= 1743552000000 THEN r.tf END AS f, CASE WHEN r.tr <= 1743552000000 THEN r.tr END AS rs, CASE WHEN r.reo > 0 THEN 1 ELSE 0 END AS reopened, r.tc AS bc, r.tf AS bf, r.tr AS br, cc.o0 AS oc, cr.o0 AS orr, r.g1 FROM cxm_in r LEFT JOIN cxm_cal cc ON cc.day = CAST(FLOOR(CAST(r.tc AS DOUBLE) / 86400000) AS BIGINT) LEFT JOIN cxm_cal cf ON cf.day = CAST(FLOOR(CAST(r.tf AS DOUBLE) / 86400000) AS BIGINT) LEFT JOIN cxm_cal cr ON cr.day = CAST(FLOOR(CAST(r.tr AS DOUBLE) / 86400000) AS BIGINT) WHERE (r.stx IS NULL OR r.stx NOT IN ('deleted', 'spam')) AND (r.tc IS NULL OR r.tc <= 1743552000000) AND (r.tc IS NULL OR r.tc >= 1735689600000) AND (r.tc IS NULL OR r.tc >= 1735689600000)
),
cxm_t AS (
  SELECT g1, st, oc AS o, CASE WHEN st = 1 AND rs IS NOT NULL THEN 1 ELSE 0 END AS res, CASE WHEN st = 1 AND f IS NOT NULL THEN 1 ELSE 0 END AS ans, reopened, CASE WHEN st = 1 AND f IS NOT NULL THEN bf - bc END AS frt, CASE WHEN st = 1 AND rs IS NOT NULL THEN br - bc END AS ttr, CASE WHEN st = 1 AND rs IS NULL THEN 1743552000000 - bc END AS age FROM cxm_a WHERE 1 = 1
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
  SELECT k, g1, o, SUM(CASE WHEN st = 1 THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN st = 1 AND res = 1 THEN 1 ELSE 0 END) AS resolved, SUM(CASE WHEN st = 3 THEN 1 ELSE 0 END) AS rejected, SUM(CASE WHEN st = 1 AND res = 1 AND reopened = 1 THEN 1 ELSE 0 END) AS reopened, COUNT(frt) AS frt_n, CAST(SUM(frt) AS DOUBLE) AS frt_sum, COUNT(ttr) AS ttr_n, CAST(SUM(ttr) AS DOUBLE) AS ttr_sum, approx_quantile(frt, 0.5) AS frt_median, approx_quantile(frt, 0.9) AS frt_p90, approx_quantile(frt, 0.95) AS frt_p95, approx_quantile(ttr, 0.5) AS ttr_median, approx_quantile(ttr, 0.9) AS ttr_p90, approx_quantile(ttr, 0.95) AS ttr_p95 FROM cxm_x GROUP BY k, g1, o
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
  CAST(NULL AS BIGINT) AS "frt_breached",
  CAST(NULL AS DOUBLE) AS "frt_breach_pct",
  CAST(NULL AS BIGINT) AS "ttr_breached",
  CAST(NULL AS DOUBLE) AS "ttr_breach_pct",
  FALSE AS "low_n" FROM cxm_f ORDER BY k, CASE WHEN g1 IS NULL THEN 1 ELSE 0 END, g1, o;
