-- cxm 0.1.0 sql nps --dialect snowflake --table cx.responses
-- As of 2025-04-01T00:00:00+02:00; result: the table `cxm nps FILE --format csv` prints for the same rows.
-- The calendar covers 2025-03-20T00:00:00+01:00 to as-of (week periods of 13 UTC days); rows before it are left out.
WITH
cxm_cal AS (
  SELECT CAST(day AS BIGINT) AS day, CAST(o0 AS BIGINT) AS o0, CAST(s1 AS BIGINT) AS s1, CAST(o1 AS BIGINT) AS o1 FROM (VALUES
      (20166, 2881, 86400000, 2881), (20167, 2881, 86400000, 2881), (20168, 2881, 86400000, 2881), (20169, 2881, 86400000, 2881), (20170, 2881, 82800000, 2882), (20171, 2882, 86400000, 2882),
      (20172, 2882, 86400000, 2882), (20173, 2882, 86400000, 2882), (20174, 2882, 86400000, 2882), (20175, 2882, 86400000, 2882), (20176, 2882, 86400000, 2882), (20177, 2882, 79200000, 2883),
      (20178, 2883, 86400000, 2883)
    ) AS cxm_v(day, o0, s1, o1)
),
cxm_periods AS (
  SELECT CAST(o AS BIGINT) AS o, CAST(label AS VARCHAR) AS label, CAST(partial AS BOOLEAN) AS partial FROM (VALUES
      (2881, '2025-W12', FALSE), (2882, '2025-W13', FALSE), (2883, '2025-W14', TRUE)
    ) AS cxm_v(o, label, partial)
),
cxm_in AS (
  SELECT CAST("score" AS DOUBLE) AS v, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "submitted_at"), -2208988800000), -2209161600000), -62135596800000) AS t, NULLIF(TRIM(CAST("region" AS VARCHAR)), '') AS g1, CASE WHEN TRIM(CAST("response_id" AS VARCHAR)) = '' THEN NULL ELSE CAST("response_id" AS VARCHAR) END AS id, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "updated_at"), -2208988800000), -2209161600000), -62135596800000) AS u FROM "cx"."responses"
),
cxm_src AS (
  SELECT * FROM (SELECT cxm_in.*, ROW_NUMBER() OVER (PARTITION BY id ORDER BY COALESCE(u, -9223372036854775807) DESC) AS cxm_rn FROM cxm_in) cxm_d WHERE id IS NULL OR cxm_rn = 1
),
cxm_rows AS (
  SELECT r.g1, CASE WHEN (r.t - c.day * 86400000) >= c.s1 THEN c.o1 ELSE c.o0 END AS o, CASE WHEN r.t IS NULL THEN 2 WHEN v IS NULL THEN 2 WHEN v = FLOOR(v) AND v >= 0 AND v <= 10 THEN 1 ELSE 3 END AS st, CASE WHEN v = FLOOR(v) AND v >= 0 AND v <= 10 THEN CAST(v AS BIGINT) - 0 ELSE 0 END AS x FROM cxm_src r LEFT JOIN cxm_cal c ON c.day = CAST(FLOOR(CAST(r.t AS DOUBLE) / 86400000) AS BIGINT) WHERE (r.t IS NULL OR (r.t <= 1743458400000 AND r.t >= 1742425200000 AND c.day IS NOT NULL))
),
cxm_cells AS (
  SELECT g1, o, SUM(CASE WHEN st = 1 AND x = 0 THEN 1 ELSE 0 END) AS c0, SUM(CASE WHEN st = 1 AND x = 1 THEN 1 ELSE 0 END) AS c1, SUM(CASE WHEN st = 1 AND x = 2 THEN 1 ELSE 0 END) AS c2, SUM(CASE WHEN st = 1 AND x = 3 THEN 1 ELSE 0 END) AS c3, SUM(CASE WHEN st = 1 AND x = 4 THEN 1 ELSE 0 END) AS c4, SUM(CASE WHEN st = 1 AND x = 5 THEN 1 ELSE 0 END) AS c5, SUM(CASE WHEN st = 1 AND x = 6 THEN 1 ELSE 0 END) AS c6, SUM(CASE WHEN st = 1 AND x = 7 THEN 1 ELSE 0 END) AS c7, SUM(CASE WHEN st = 1 AND x = 8 THEN 1 ELSE 0 END) AS c8, SUM(CASE WHEN st = 1 AND x = 9 THEN 1 ELSE 0 END) AS c9, SUM(CASE WHEN st = 1 AND x = 10 THEN 1 ELSE 0 END) AS c10, SUM(CASE WHEN st = 2 THEN 1 ELSE 0 END) AS blank, SUM(CASE WHEN st = 3 THEN 1 ELSE 0 END) AS rejected FROM cxm_rows GROUP BY g1, o
),
cxm_range AS (
  SELECT MIN(o) AS lo, MAX(o) AS hi FROM (SELECT o FROM cxm_cells WHERE o IS NOT NULL AND c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 > 0) cxm_u
),
cxm_ords AS (
  SELECT p.o FROM cxm_periods p JOIN cxm_range r ON p.o >= r.lo AND p.o <= r.hi
),
cxm_groups AS (
  SELECT DISTINCT g1 FROM cxm_cells
),
cxm_series AS (
  SELECT 0 AS k, g1, o, SUM(c0) AS c0, SUM(c1) AS c1, SUM(c2) AS c2, SUM(c3) AS c3, SUM(c4) AS c4, SUM(c5) AS c5, SUM(c6) AS c6, SUM(c7) AS c7, SUM(c8) AS c8, SUM(c9) AS c9, SUM(c10) AS c10, SUM(blank) AS blank, SUM(rejected) AS rejected FROM (SELECT g1, c.o, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, blank, rejected FROM cxm_cells c JOIN cxm_ords r ON c.o = r.o UNION ALL SELECT g1, r.o, 0 AS c0, 0 AS c1, 0 AS c2, 0 AS c3, 0 AS c4, 0 AS c5, 0 AS c6, 0 AS c7, 0 AS c8, 0 AS c9, 0 AS c10, 0 AS blank, 0 AS rejected FROM cxm_groups CROSS JOIN cxm_ords r) cxm_u GROUP BY g1, o
  UNION ALL
  SELECT 1 AS k, CAST(NULL AS VARCHAR) AS g1, o, SUM(c0) AS c0, SUM(c1) AS c1, SUM(c2) AS c2, SUM(c3) AS c3, SUM(c4) AS c4, SUM(c5) AS c5, SUM(c6) AS c6, SUM(c7) AS c7, SUM(c8) AS c8, SUM(c9) AS c9, SUM(c10) AS c10, SUM(blank) AS blank, SUM(rejected) AS rejected FROM (SELECT c.o, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, blank, rejected FROM cxm_cells c JOIN cxm_ords r ON c.o = r.o UNION ALL SELECT r.o, 0 AS c0, 0 AS c1, 0 AS c2, 0 AS c3, 0 AS c4, 0 AS c5, 0 AS c6, 0 AS c7, 0 AS c8, 0 AS c9, 0 AS c10, 0 AS blank, 0 AS rejected FROM cxm_ords r) cxm_u GROUP BY o
  UNION ALL
  SELECT 2 AS k, CAST(NULL AS VARCHAR) AS g1, CAST(NULL AS BIGINT) AS o, COALESCE(SUM(c0), 0) AS c0, COALESCE(SUM(c1), 0) AS c1, COALESCE(SUM(c2), 0) AS c2, COALESCE(SUM(c3), 0) AS c3, COALESCE(SUM(c4), 0) AS c4, COALESCE(SUM(c5), 0) AS c5, COALESCE(SUM(c6), 0) AS c6, COALESCE(SUM(c7), 0) AS c7, COALESCE(SUM(c8), 0) AS c8, COALESCE(SUM(c9), 0) AS c9, COALESCE(SUM(c10), 0) AS c10, COALESCE(SUM(blank), 0) AS blank, COALESCE(SUM(rejected), 0) AS rejected FROM cxm_cells
),
cxm_a AS (
  SELECT s.k, s.o, p.label AS label, COALESCE(p.partial, FALSE) AS partial, s.g1, s.c0, s.c1, s.c2, s.c3, s.c4, s.c5, s.c6, s.c7, s.c8, s.c9, s.c10, s.blank, s.rejected, (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10) AS n, (s.c9 + s.c10) AS pro, (s.c0 + s.c1 + s.c2 + s.c3 + s.c4 + s.c5 + s.c6) AS det FROM cxm_series s LEFT JOIN cxm_periods p ON p.o = s.o
),
cxm_b AS (
  SELECT cxm_a.*, CAST(NULLIF(n, 0) AS DOUBLE) AS nf, CAST(NULLIF(CAST(n AS DOUBLE) + CAST(3.0 AS DOUBLE), 0) AS DOUBLE) AS nn, CAST((CAST(pro AS DOUBLE) + CAST(0.75 AS DOUBLE)) AS DOUBLE) / CAST(NULLIF(CAST(n AS DOUBLE) + CAST(3.0 AS DOUBLE), 0) AS DOUBLE) AS pr, CAST((CAST(det AS DOUBLE) + CAST(0.75 AS DOUBLE)) AS DOUBLE) / CAST(NULLIF(CAST(n AS DOUBLE) + CAST(3.0 AS DOUBLE), 0) AS DOUBLE) AS dr, CAST(pro AS DOUBLE) / CAST(NULLIF(n, 0) AS DOUBLE) AS pw, CAST(100.0 AS DOUBLE) * (CAST(pro AS DOUBLE) - CAST(det AS DOUBLE)) / CAST(NULLIF(n, 0) AS DOUBLE) AS npsv, CAST(det AS DOUBLE) / CAST(NULLIF(n, 0) AS DOUBLE) AS dw FROM cxm_a
),
cxm_c AS (
  SELECT cxm_b.*, SQRT(GREATEST(pr + dr - (pr - dr) * (pr - dr), CAST(0.0 AS DOUBLE)) / nn) AS se0, GREATEST(pw + dw - (pw - dw) * (pw - dw), CAST(0.0 AS DOUBLE)) / nf AS vn FROM cxm_b
),
cxm_l AS (
  SELECT cxm_c.*, LAG(n) OVER (PARTITION BY k, g1 ORDER BY o) AS n_p, LAG(pw) OVER (PARTITION BY k, g1 ORDER BY o) AS pw_p, LAG(dw) OVER (PARTITION BY k, g1 ORDER BY o) AS dw_p, LAG(vn) OVER (PARTITION BY k, g1 ORDER BY o) AS vn_p, LAG(npsv) OVER (PARTITION BY k, g1 ORDER BY o) AS npsv_p FROM cxm_c
),
cxm_z AS (
  SELECT cxm_l.*, CASE WHEN k = 2 OR n_p IS NULL OR n_p = 0 OR n = 0 OR SQRT(vn_p + vn) <= 0 THEN NULL ELSE ABS(((pw_p - dw_p) - (pw - dw)) / SQRT(vn_p + vn)) END AS zabs FROM cxm_l
)
SELECT CASE WHEN k <> 0 THEN '(all)' WHEN g1 = '(all)' THEN '''(all)' ELSE g1 END AS "region",
  label AS "period",
  partial AS "partial",
  n AS "n",
  blank AS "blank",
  rejected AS "rejected",
  pro AS "promoters",
  n - pro - det AS "passives",
  det AS "detractors",
  CAST(100.0 AS DOUBLE) * CAST(pro AS DOUBLE) / nf AS "promoters_pct",
  CAST(100.0 AS DOUBLE) * CAST(n - pro - det AS DOUBLE) / nf AS "passives_pct",
  CAST(100.0 AS DOUBLE) * CAST(det AS DOUBLE) / nf AS "detractors_pct",
  npsv AS "nps",
  CASE WHEN n = 0 THEN NULL ELSE CAST(100.0 AS DOUBLE) * se0 END AS "se",
  CASE WHEN n = 0 THEN NULL ELSE LEAST(GREATEST(CAST(100.0 AS DOUBLE) * ((pr - dr) - CAST(1.9599639845400536 AS DOUBLE) * se0), CAST(-100.0 AS DOUBLE)), CAST(100.0 AS DOUBLE)) END AS "ci_low",
  CASE WHEN n = 0 THEN NULL ELSE LEAST(GREATEST(CAST(100.0 AS DOUBLE) * ((pr - dr) + CAST(1.9599639845400536 AS DOUBLE) * se0), CAST(-100.0 AS DOUBLE)), CAST(100.0 AS DOUBLE)) END AS "ci_high",
  c0 AS "dist_0",
  c1 AS "dist_1",
  c2 AS "dist_2",
  c3 AS "dist_3",
  c4 AS "dist_4",
  c5 AS "dist_5",
  c6 AS "dist_6",
  c7 AS "dist_7",
  c8 AS "dist_8",
  c9 AS "dist_9",
  c10 AS "dist_10",
  CASE WHEN k = 2 OR n_p IS NULL OR n_p = 0 OR n = 0 THEN NULL ELSE npsv - npsv_p END AS "delta",
  CASE WHEN zabs IS NULL THEN NULL ELSE LEAST(CAST(2.0 AS DOUBLE) * (CASE WHEN zabs > CAST(37.0 AS DOUBLE) THEN CAST(0.0 AS DOUBLE) WHEN zabs < CAST(7.07106781186547 AS DOUBLE) THEN EXP(-(LEAST(zabs, CAST(37.0 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE))) / CAST(2.0 AS DOUBLE)) * ((((((CAST(0.0352624965998911 AS DOUBLE) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(0.700383064443688 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(6.37396220353165 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(33.912866078383 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(112.079291497871 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(221.213596169931 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(220.206867912376 AS DOUBLE)) / (((((((CAST(0.0883883476483184 AS DOUBLE) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(1.75566716318264 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(16.064177579207 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(86.7807322029461 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(296.564248779674 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(637.333633378831 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(793.826512519948 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(440.413735824752 AS DOUBLE)) ELSE EXP(-(LEAST(zabs, CAST(37.0 AS DOUBLE)) * LEAST(zabs, CAST(37.0 AS DOUBLE))) / CAST(2.0 AS DOUBLE)) / (LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(1.0 AS DOUBLE) / (LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(2.0 AS DOUBLE) / (LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(3.0 AS DOUBLE) / (LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(4.0 AS DOUBLE) / (LEAST(zabs, CAST(37.0 AS DOUBLE)) + CAST(0.65 AS DOUBLE)))))) / CAST(2.506628274631 AS DOUBLE) END), CAST(1.0 AS DOUBLE)) END AS "p_value",
  CASE WHEN n < 30 THEN TRUE ELSE FALSE END AS "low_n" FROM cxm_z ORDER BY k, CASE WHEN g1 IS NULL THEN 1 ELSE 0 END, g1, o;
