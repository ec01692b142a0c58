-- cxm 0.1.0 sql ces --dialect bigquery --table effort
-- As of 2025-04-16T00:00:00+00:00; result: the table `cxm ces FILE --format csv` prints for the same rows.
-- The calendar covers 2025-01-01T00:00:00+00:00 to as-of (month periods of 106 UTC days); rows before it are left out.
WITH
cxm_cal AS (
  SELECT * FROM UNNEST([
      STRUCT<day INT64, o0 INT64>(20089, 24300), (20090, 24300), (20091, 24300), (20092, 24300), (20093, 24300), (20094, 24300),
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
      (20179, 24303), (20180, 24303), (20181, 24303), (20182, 24303), (20183, 24303), (20184, 24303),
      (20185, 24303), (20186, 24303), (20187, 24303), (20188, 24303), (20189, 24303), (20190, 24303),
      (20191, 24303), (20192, 24303), (20193, 24303), (20194, 24303)
    ])
),
cxm_periods AS (
  SELECT * FROM UNNEST([
      STRUCT<o INT64, label STRING, partial BOOL>(24300, '2025-01', FALSE), (24301, '2025-02', FALSE), (24302, '2025-03', FALSE), (24303, '2025-04', TRUE)
    ])
),
cxm_in AS (
  SELECT CAST(`score` AS FLOAT64) AS v, NULLIF(NULLIF(NULLIF(UNIX_MILLIS(`submitted_at`), -2208988800000), -2209161600000), -62135596800000) AS t FROM `effort`
),
cxm_rows AS (
  SELECT c.o0 AS o, CASE WHEN r.t IS NULL THEN 2 WHEN v IS NULL THEN 2 WHEN v = FLOOR(v) AND v >= 1 AND v <= 5 THEN 1 ELSE 3 END AS st, CASE WHEN v = FLOOR(v) AND v >= 1 AND v <= 5 THEN 5 - CAST(v AS INT64) ELSE 0 END AS x FROM cxm_in r LEFT JOIN cxm_cal c ON c.day = CAST(FLOOR(CAST(r.t AS FLOAT64) / 86400000) AS INT64) WHERE (r.t IS NULL OR (r.t <= 1744761600000 AND r.t >= 1735689600000 AND c.day IS NOT NULL))
),
cxm_cells AS (
  SELECT * FROM (SELECT o, SUM(CASE WHEN st = 1 AND x = 0 THEN 1 ELSE 0 END) AS c0, SUM(CASE WHEN st = 1 AND x = 1 THEN 1 ELSE 0 END) AS c1, SUM(CASE WHEN st = 1 AND x = 2 THEN 1 ELSE 0 END) AS c2, SUM(CASE WHEN st = 1 AND x = 3 THEN 1 ELSE 0 END) AS c3, SUM(CASE WHEN st = 1 AND x = 4 THEN 1 ELSE 0 END) AS c4, SUM(CASE WHEN st = 2 THEN 1 ELSE 0 END) AS blank, SUM(CASE WHEN st = 3 THEN 1 ELSE 0 END) AS rejected FROM cxm_rows GROUP BY o) cxm_c WHERE o IS NULL OR (o >= 24301 AND o <= 24302)
),
cxm_range AS (
  SELECT 24301 AS lo, 24302 AS hi
),
cxm_ords AS (
  SELECT p.o FROM cxm_periods p JOIN cxm_range r ON p.o >= r.lo AND p.o <= r.hi
),
cxm_series AS (
  SELECT 1 AS k, o, SUM(c0) AS c0, SUM(c1) AS c1, SUM(c2) AS c2, SUM(c3) AS c3, SUM(c4) AS c4, SUM(blank) AS blank, SUM(rejected) AS rejected FROM (SELECT c.o, c0, c1, c2, c3, c4, blank, rejected FROM cxm_cells c JOIN cxm_ords r ON c.o = r.o UNION ALL SELECT r.o, 0 AS c0, 0 AS c1, 0 AS c2, 0 AS c3, 0 AS c4, 0 AS blank, 0 AS rejected FROM cxm_ords r) cxm_u GROUP BY o
  UNION ALL
  SELECT 2 AS k, CAST(NULL AS BIGINT) AS o, COALESCE(SUM(c0), 0) AS c0, COALESCE(SUM(c1), 0) AS c1, COALESCE(SUM(c2), 0) AS c2, COALESCE(SUM(c3), 0) AS c3, COALESCE(SUM(c4), 0) AS c4, COALESCE(SUM(blank), 0) AS blank, COALESCE(SUM(rejected), 0) AS rejected FROM cxm_cells
),
cxm_a AS (
  SELECT s.k, s.o, p.label AS label, COALESCE(p.partial, FALSE) AS partial, s.c0, s.c1, s.c2, s.c3, s.c4, s.blank, s.rejected, (c0 + c1 + c2 + c3 + c4) AS n, (s.c3 + s.c4) AS easy, (s.c0 + s.c1) AS diff, (s.c0 * 1 + s.c1 * 2 + s.c2 * 3 + s.c3 * 4 + s.c4 * 5) AS s1, (s.c0 * 1 + s.c1 * 4 + s.c2 * 9 + s.c3 * 16 + s.c4 * 25) AS s2 FROM cxm_series s LEFT JOIN cxm_periods p ON p.o = s.o
),
cxm_b AS (
  SELECT cxm_a.*, CAST(NULLIF(n, 0) AS FLOAT64) AS nf, CAST(s1 AS FLOAT64) / CAST(NULLIF(n, 0) AS FLOAT64) AS mu, CASE WHEN n < 2 THEN NULL ELSE SQRT(GREATEST(CAST(s2 AS FLOAT64) - CAST(s1 AS FLOAT64) * CAST(s1 AS FLOAT64) / CAST(NULLIF(n, 0) AS FLOAT64), CAST(0.0 AS FLOAT64)) / (CAST(NULLIF(n, 0) AS FLOAT64) - CAST(1.0 AS FLOAT64))) END AS sd FROM cxm_a
),
cxm_c AS (
  SELECT cxm_b.* FROM cxm_b
)
SELECT label AS `period`,
  partial AS `partial`,
  n AS `n`,
  blank AS `blank`,
  rejected AS `rejected`,
  mu AS `ces`,
  CAST(100.0 AS FLOAT64) * CAST(easy AS FLOAT64) / nf AS `easy_pct`,
  CAST(100.0 AS FLOAT64) * CAST(diff AS FLOAT64) / nf AS `difficult_pct`,
  sd AS `sd`,
  mu - CAST(1.9599639845400536 AS FLOAT64) * sd / SQRT(nf) AS `ci_low`,
  mu + CAST(1.9599639845400536 AS FLOAT64) * sd / SQRT(nf) AS `ci_high`,
  c0 AS `dist_1`,
  c1 AS `dist_2`,
  c2 AS `dist_3`,
  c3 AS `dist_4`,
  c4 AS `dist_5`,
  FALSE AS `low_n` FROM cxm_c ORDER BY k, o;
