-- cxm 0.1.0 sql tickets --dialect bigquery --table support.tickets
-- As of 2025-04-23T00:00:00+02:00; result: the table `cxm tickets FILE --format csv` prints for the same rows.
-- The calendar covers 2025-04-10T00:00:00+02:00 to as-of (14 UTC days); tickets created before it are left out.
WITH
cxm_cal AS (
  SELECT * FROM UNNEST([
      STRUCT<day INT64, o0 INT64, s1 INT64, o1 INT64, b0 INT64, p1s INT64, p1e INT64>(20187, 2884, 86400000, 2884, 0, 25200000, 54000000), (20188, 2884, 86400000, 2884, 28800000, 25200000, 54000000), (20189, 2884, 86400000, 2884, 57600000, 25200000, 54000000), (20190, 2884, 86400000, 2884, 86400000, 72000000, 86400000), (20191, 2884, 79200000, 2885, 100800000, 0, 0), (20192, 2885, 86400000, 2885, 100800000, 25200000, 54000000),
      (20193, 2885, 86400000, 2885, 129600000, 25200000, 54000000), (20194, 2885, 86400000, 2885, 158400000, 25200000, 54000000), (20195, 2885, 86400000, 2885, 187200000, 25200000, 54000000), (20196, 2885, 86400000, 2885, 216000000, 0, 0), (20197, 2885, 86400000, 2885, 216000000, 72000000, 86400000), (20198, 2885, 79200000, 2886, 230400000, 0, 0),
      (20199, 2886, 86400000, 2886, 230400000, 25200000, 54000000), (20200, 2886, 86400000, 2886, 259200000, 25200000, 54000000)
    ])
),
cxm_periods AS (
  SELECT * FROM UNNEST([
      STRUCT<o INT64, label STRING, partial BOOL>(2884, '2025-W15', FALSE), (2885, '2025-W16', FALSE), (2886, '2025-W17', TRUE)
    ])
),
cxm_in AS (
  SELECT NULLIF(NULLIF(NULLIF(UNIX_MILLIS(`created_at`), -2208988800000), -2209161600000), -62135596800000) AS tc, NULLIF(NULLIF(NULLIF(UNIX_MILLIS(`first_response_at`), -2208988800000), -2209161600000), -62135596800000) AS tf, NULLIF(NULLIF(NULLIF(UNIX_MILLIS(`resolved_at`), -2208988800000), -2209161600000), -62135596800000) AS tr, CAST(NULL AS FLOAT64) AS reo, LOWER(TRIM(CAST(`status` AS STRING))) AS stx, NULLIF(TRIM(CAST(`priority` AS STRING)), '') AS g1 FROM `support`.`tickets`
),
cxm_a AS (
  SELECT CASE WHEN r.tc IS NULL OR (r.tf IS NOT NULL AND r.tf < r.tc) OR (r.tr IS NOT NULL AND r.tr < r.tc) OR (r.reo IS NOT NULL AND (r.reo < 0 OR r.reo <> FLOOR(r.reo))) THEN 3 ELSE 1 END AS st, r.tc AS tc, CASE WHEN r.tf <= 1745359200000 THEN r.tf END AS f, CASE WHEN r.tr <= 1745359200000 THEN r.tr END AS rs, CASE WHEN r.reo > 0 THEN 1 ELSE 0 END AS reopened, (cc.b0 + LEAST(GREATEST(r.tc - cc.day * 86400000 - cc.p1s, 0), cc.p1e - cc.p1s)) AS bc, (cf.b0 + LEAST(GREATEST(r.tf - cf.day * 86400000 - cf.p1s, 0), cf.p1e - cf.p1s)) AS bf, (cr.b0 + LEAST(GREATEST(r.tr - cr.day * 86400000 - cr.p1s, 0), cr.p1e - cr.p1s)) AS br, CASE WHEN (r.tc - cc.day * 86400000) >= cc.s1 THEN cc.o1 ELSE cc.o0 END AS oc, CASE WHEN (r.tr - cr.day * 86400000) >= cr.s1 THEN cr.o1 ELSE cr.o0 END AS orr, r.g1 FROM cxm_in r LEFT JOIN cxm_cal cc ON cc.day = CAST(FLOOR(CAST(r.tc AS FLOAT64) / 86400000) AS INT64) LEFT JOIN cxm_cal cf ON cf.day = CAST(FLOOR(CAST(r.tf AS FLOAT64) / 86400000) AS INT64) LEFT JOIN cxm_cal cr ON cr.day = CAST(FLOOR(CAST(r.tr AS FLOAT64) / 86400000) AS INT64) WHERE (r.stx IS NULL OR r.stx NOT IN ('deleted', 'spam')) AND (r.tc IS NULL OR r.tc <= 1745359200000) AND (r.tc IS NULL OR r.tc >= 1744236000000) AND (r.tc IS NULL OR r.tc >= 1744236000000)
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
  SELECT 1 AS k, CAST(NULL AS STRING) AS g1, t.o, st, res, ans, reopened, frt, ttr, age FROM cxm_t t JOIN cxm_ords r ON t.o = r.o
  UNION ALL
  SELECT 1 AS k, CAST(NULL AS STRING) AS g1, r.o, 0 AS st, 0 AS res, 0 AS ans, 0 AS reopened, CAST(NULL AS BIGINT) AS frt, CAST(NULL AS BIGINT) AS ttr, CAST(NULL AS BIGINT) AS age FROM cxm_ords r
  UNION ALL
  SELECT 2 AS k, CAST(NULL AS STRING) AS g1, CAST(NULL AS BIGINT) AS o, st, res, ans, reopened, frt, ttr, age FROM cxm_t
  UNION ALL
  SELECT 2 AS k, CAST(NULL AS STRING) AS g1, CAST(NULL AS BIGINT) AS o, 0 AS st, 0 AS res, 0 AS ans, 0 AS reopened, CAST(NULL AS BIGINT) AS frt, CAST(NULL AS BIGINT) AS ttr, CAST(NULL AS BIGINT) AS age FROM (SELECT 1 AS one) cxm_one
),
cxm_g AS (
  SELECT k, g1, o, SUM(CASE WHEN st = 1 THEN 1 ELSE 0 END) AS n, SUM(CASE WHEN st = 1 AND res = 1 THEN 1 ELSE 0 END) AS resolved, SUM(CASE WHEN st = 3 THEN 1 ELSE 0 END) AS rejected, SUM(CASE WHEN st = 1 AND res = 1 AND reopened = 1 THEN 1 ELSE 0 END) AS reopened, COUNT(frt) AS frt_n, CAST(SUM(frt) AS FLOAT64) AS frt_sum, COUNT(ttr) AS ttr_n, CAST(SUM(ttr) AS FLOAT64) AS ttr_sum, SUM(CASE WHEN st <> 1 THEN 0 WHEN ans = 1 AND frt > 14400000 THEN 1 WHEN ans = 0 AND res = 1 AND ttr > 14400000 THEN 1 WHEN ans = 0 AND res = 0 AND age > 14400000 THEN 1 ELSE 0 END) AS frt_b, SUM(CASE WHEN st <> 1 THEN 0 WHEN ans = 1 OR res = 1 THEN 1 WHEN age > 14400000 THEN 1 ELSE 0 END) AS frt_k, SUM(CASE WHEN st <> 1 THEN 0 WHEN res = 1 AND ttr > 57600000 THEN 1 WHEN res = 0 AND age > 57600000 THEN 1 ELSE 0 END) AS ttr_b, SUM(CASE WHEN st <> 1 THEN 0 WHEN res = 1 THEN 1 WHEN age > 57600000 THEN 1 ELSE 0 END) AS ttr_k FROM cxm_x GROUP BY k, g1, o
),
cxm_h_frt AS (
  SELECT k, g1, o, frt AS x, COUNT(*) AS c FROM cxm_x WHERE frt IS NOT NULL GROUP BY k, g1, o, frt
),
cxm_c_frt AS (
  SELECT h.*, SUM(c) OVER (PARTITION BY k, g1, o ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum, SUM(c) OVER (PARTITION BY k, g1, o) AS cnt FROM cxm_h_frt h
),
cxm_q_frt AS (
  SELECT k, g1, o, MIN(CASE WHEN cum > FLOOR((cnt - 1) * CAST(0.5 AS FLOAT64)) THEN x END) AS median_lo, MIN(CASE WHEN cum > LEAST(FLOOR((cnt - 1) * CAST(0.5 AS FLOAT64)) + 1, cnt - 1) THEN x END) AS median_hi, MAX((cnt - 1) * CAST(0.5 AS FLOAT64) - FLOOR((cnt - 1) * CAST(0.5 AS FLOAT64))) AS median_fr, MIN(CASE WHEN cum > FLOOR((cnt - 1) * CAST(0.9 AS FLOAT64)) THEN x END) AS p90_lo, MIN(CASE WHEN cum > LEAST(FLOOR((cnt - 1) * CAST(0.9 AS FLOAT64)) + 1, cnt - 1) THEN x END) AS p90_hi, MAX((cnt - 1) * CAST(0.9 AS FLOAT64) - FLOOR((cnt - 1) * CAST(0.9 AS FLOAT64))) AS p90_fr, MIN(CASE WHEN cum > FLOOR((cnt - 1) * CAST(0.95 AS FLOAT64)) THEN x END) AS p95_lo, MIN(CASE WHEN cum > LEAST(FLOOR((cnt - 1) * CAST(0.95 AS FLOAT64)) + 1, cnt - 1) THEN x END) AS p95_hi, MAX((cnt - 1) * CAST(0.95 AS FLOAT64) - FLOOR((cnt - 1) * CAST(0.95 AS FLOAT64))) AS p95_fr FROM cxm_c_frt GROUP BY k, g1, o
),
cxm_h_ttr AS (
  SELECT k, g1, o, ttr AS x, COUNT(*) AS c FROM cxm_x WHERE ttr IS NOT NULL GROUP BY k, g1, o, ttr
),
cxm_c_ttr AS (
  SELECT h.*, SUM(c) OVER (PARTITION BY k, g1, o ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum, SUM(c) OVER (PARTITION BY k, g1, o) AS cnt FROM cxm_h_ttr h
),
cxm_q_ttr AS (
  SELECT k, g1, o, MIN(CASE WHEN cum > FLOOR((cnt - 1) * CAST(0.5 AS FLOAT64)) THEN x END) AS median_lo, MIN(CASE WHEN cum > LEAST(FLOOR((cnt - 1) * CAST(0.5 AS FLOAT64)) + 1, cnt - 1) THEN x END) AS median_hi, MAX((cnt - 1) * CAST(0.5 AS FLOAT64) - FLOOR((cnt - 1) * CAST(0.5 AS FLOAT64))) AS median_fr, MIN(CASE WHEN cum > FLOOR((cnt - 1) * CAST(0.9 AS FLOAT64)) THEN x END) AS p90_lo, MIN(CASE WHEN cum > LEAST(FLOOR((cnt - 1) * CAST(0.9 AS FLOAT64)) + 1, cnt - 1) THEN x END) AS p90_hi, MAX((cnt - 1) * CAST(0.9 AS FLOAT64) - FLOOR((cnt - 1) * CAST(0.9 AS FLOAT64))) AS p90_fr, MIN(CASE WHEN cum > FLOOR((cnt - 1) * CAST(0.95 AS FLOAT64)) THEN x END) AS p95_lo, MIN(CASE WHEN cum > LEAST(FLOOR((cnt - 1) * CAST(0.95 AS FLOAT64)) + 1, cnt - 1) THEN x END) AS p95_hi, MAX((cnt - 1) * CAST(0.95 AS FLOAT64) - FLOOR((cnt - 1) * CAST(0.95 AS FLOAT64))) AS p95_fr FROM cxm_c_ttr GROUP BY k, g1, o
),
cxm_gq AS (
  SELECT g.*, CASE WHEN q_frt.median_lo = q_frt.median_hi THEN CAST(q_frt.median_lo AS FLOAT64) ELSE CAST(q_frt.median_lo AS FLOAT64) + q_frt.median_fr * CAST((q_frt.median_hi - q_frt.median_lo) AS FLOAT64) END AS frt_median, CASE WHEN q_frt.p90_lo = q_frt.p90_hi THEN CAST(q_frt.p90_lo AS FLOAT64) ELSE CAST(q_frt.p90_lo AS FLOAT64) + q_frt.p90_fr * CAST((q_frt.p90_hi - q_frt.p90_lo) AS FLOAT64) END AS frt_p90, CASE WHEN q_frt.p95_lo = q_frt.p95_hi THEN CAST(q_frt.p95_lo AS FLOAT64) ELSE CAST(q_frt.p95_lo AS FLOAT64) + q_frt.p95_fr * CAST((q_frt.p95_hi - q_frt.p95_lo) AS FLOAT64) END AS frt_p95, CASE WHEN q_ttr.median_lo = q_ttr.median_hi THEN CAST(q_ttr.median_lo AS FLOAT64) ELSE CAST(q_ttr.median_lo AS FLOAT64) + q_ttr.median_fr * CAST((q_ttr.median_hi - q_ttr.median_lo) AS FLOAT64) END AS ttr_median, CASE WHEN q_ttr.p90_lo = q_ttr.p90_hi THEN CAST(q_ttr.p90_lo AS FLOAT64) ELSE CAST(q_ttr.p90_lo AS FLOAT64) + q_ttr.p90_fr * CAST((q_ttr.p90_hi - q_ttr.p90_lo) AS FLOAT64) END AS ttr_p90, CASE WHEN q_ttr.p95_lo = q_ttr.p95_hi THEN CAST(q_ttr.p95_lo AS FLOAT64) ELSE CAST(q_ttr.p95_lo AS FLOAT64) + q_ttr.p95_fr * CAST((q_ttr.p95_hi - q_ttr.p95_lo) AS FLOAT64) END AS ttr_p95 FROM cxm_g g LEFT JOIN cxm_q_frt q_frt ON q_frt.k = g.k AND q_frt.o IS NOT DISTINCT FROM g.o AND q_frt.g1 IS NOT DISTINCT FROM g.g1 LEFT JOIN cxm_q_ttr q_ttr ON q_ttr.k = g.k AND q_ttr.o IS NOT DISTINCT FROM g.o AND q_ttr.g1 IS NOT DISTINCT FROM g.g1
),
cxm_f AS (
  SELECT s.*, p.label, COALESCE(p.partial, FALSE) AS partial FROM cxm_gq s LEFT JOIN cxm_periods p ON p.o = s.o
)
SELECT CASE WHEN k <> 0 THEN '(all)' WHEN g1 = '(all)' THEN '\'(all)' ELSE g1 END AS `priority`,
  label AS `period`,
  partial AS `partial`,
  n AS `tickets`,
  n AS `n`,
  resolved AS `resolved`,
  n - resolved AS `open`,
  rejected AS `rejected`,
  reopened AS `reopened`,
  CAST(100.0 AS FLOAT64) * CAST(reopened AS FLOAT64) / CAST(NULLIF(resolved, 0) AS FLOAT64) AS `reopen_rate`,
  CAST(frt_median AS FLOAT64) / CAST(3600000.0 AS FLOAT64) AS `frt_median_hours`,
  frt_sum / CAST(NULLIF(frt_n, 0) AS FLOAT64) / CAST(3600000.0 AS FLOAT64) AS `frt_mean_hours`,
  CAST(frt_p90 AS FLOAT64) / CAST(3600000.0 AS FLOAT64) AS `frt_p90_hours`,
  CAST(frt_p95 AS FLOAT64) / CAST(3600000.0 AS FLOAT64) AS `frt_p95_hours`,
  CAST(ttr_median AS FLOAT64) / CAST(3600000.0 AS FLOAT64) AS `ttr_median_hours`,
  ttr_sum / CAST(NULLIF(ttr_n, 0) AS FLOAT64) / CAST(3600000.0 AS FLOAT64) AS `ttr_mean_hours`,
  CAST(ttr_p90 AS FLOAT64) / CAST(3600000.0 AS FLOAT64) AS `ttr_p90_hours`,
  CAST(ttr_p95 AS FLOAT64) / CAST(3600000.0 AS FLOAT64) AS `ttr_p95_hours`,
  frt_b AS `frt_breached`,
  CAST(100.0 AS FLOAT64) * CAST(frt_b AS FLOAT64) / CAST(NULLIF(frt_k, 0) AS FLOAT64) AS `frt_breach_pct`,
  ttr_b AS `ttr_breached`,
  CAST(100.0 AS FLOAT64) * CAST(ttr_b AS FLOAT64) / CAST(NULLIF(ttr_k, 0) AS FLOAT64) AS `ttr_breach_pct`,
  FALSE AS `low_n` FROM cxm_f ORDER BY k, CASE WHEN g1 IS NULL THEN 1 ELSE 0 END, g1, o;
