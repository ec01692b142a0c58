-- cxm 0.1.0 sql nps --dialect postgres --table cx.responses
-- As of 2025-04-01T00:00:00+00:00; result: the table `cxm nps FILE --format csv` prints for the same rows.
-- The calendar covers 2025-01-01T00:00:00+00:00 to as-of (month periods of 91 UTC days); rows before it are left out.
-- Stage: aggregates. Save the result as CSV and finish it with `cxm METRIC --from-aggregates FILE` and the same options.
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
      (20179, 24303)
    ) AS cxm_v(day, o0)
),
cxm_periods AS (
  SELECT CAST(o AS BIGINT) AS o, CAST(label AS TEXT) AS label, CAST(partial AS BOOLEAN) AS partial FROM (VALUES
      (24300, '2025-01', FALSE), (24301, '2025-02', FALSE), (24302, '2025-03', FALSE), (24303, '2025-04', TRUE)
    ) AS cxm_v(o, label, partial)
),
cxm_in AS (
  SELECT CAST("score" AS DOUBLE PRECISION) AS v, NULLIF(NULLIF(NULLIF(CAST(FLOOR(EXTRACT(EPOCH FROM "submitted_at") * 1000) AS BIGINT), -2208988800000), -2209161600000), -62135596800000) AS t, NULLIF(TRIM(CAST("region" AS TEXT)), '') AS g1 FROM "cx"."responses"
),
cxm_rows AS (
  SELECT r.g1, c.o0 AS o, CASE WHEN r.t IS NULL THEN 2 WHEN v IS NULL THEN 2 WHEN v = FLOOR(v) AND v >= 0 AND v <= 10 THEN 1 ELSE 3 END AS st, CASE WHEN v = FLOOR(v) AND v >= 0 AND v <= 10 THEN CAST(v AS BIGINT) - 0 ELSE 0 END AS x FROM cxm_in r LEFT JOIN cxm_cal c ON c.day = CAST(FLOOR(CAST(r.t AS DOUBLE PRECISION) / 86400000) AS BIGINT) WHERE (r.t IS NULL OR (r.t <= 1743465600000 AND r.t >= 1735689600000 AND c.day IS NOT NULL))
),
cxm_cells AS (
  SELECT g1, o, SUM(CASE WHEN st = 1 AND x = 0 THEN 1 ELSE 0 END) AS c0, SUM(CASE WHEN st = 1 AND x = 1 THEN 1 ELSE 0 END) AS c1, SUM(CASE WHEN st = 1 AND x = 2 THEN 1 ELSE 0 END) AS c2, SUM(CASE WHEN st = 1 AND x = 3 THEN 1 ELSE 0 END) AS c3, SUM(CASE WHEN st = 1 AND x = 4 THEN 1 ELSE 0 END) AS c4, SUM(CASE WHEN st = 1 AND x = 5 THEN 1 ELSE 0 END) AS c5, SUM(CASE WHEN st = 1 AND x = 6 THEN 1 ELSE 0 END) AS c6, SUM(CASE WHEN st = 1 AND x = 7 THEN 1 ELSE 0 END) AS c7, SUM(CASE WHEN st = 1 AND x = 8 THEN 1 ELSE 0 END) AS c8, SUM(CASE WHEN st = 1 AND x = 9 THEN 1 ELSE 0 END) AS c9, SUM(CASE WHEN st = 1 AND x = 10 THEN 1 ELSE 0 END) AS c10, SUM(CASE WHEN st = 2 THEN 1 ELSE 0 END) AS blank, SUM(CASE WHEN st = 3 THEN 1 ELSE 0 END) AS rejected FROM cxm_rows GROUP BY g1, o
)
SELECT c.g1 AS "region",
  p.label AS "period",
  c.c0 AS "dist_0",
  c.c1 AS "dist_1",
  c.c2 AS "dist_2",
  c.c3 AS "dist_3",
  c.c4 AS "dist_4",
  c.c5 AS "dist_5",
  c.c6 AS "dist_6",
  c.c7 AS "dist_7",
  c.c8 AS "dist_8",
  c.c9 AS "dist_9",
  c.c10 AS "dist_10",
  c.blank AS "blank",
  c.rejected AS "rejected" FROM cxm_cells c LEFT JOIN cxm_periods p ON p.o = c.o ORDER BY CASE WHEN c.g1 IS NULL THEN 1 ELSE 0 END, c.g1 COLLATE "C", c.o;
