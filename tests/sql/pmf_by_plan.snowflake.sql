-- cxm 0.1.0 sql pmf --dialect snowflake --table pmf_answers
-- As of 2025-06-02T00:00:00+00:00; result: the table `cxm pmf FILE --format csv` prints for the same rows.
WITH
cxm_in AS (
  SELECT LOWER(TRIM(CAST("score" AS VARCHAR))) AS v, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "submitted_at"), -2208988800000), -2209161600000), -62135596800000) AS t, NULLIF(TRIM(CAST("plan" AS VARCHAR)), '') AS g1 FROM "pmf_answers"
),
cxm_rows AS (
  SELECT r.g1, CAST(NULL AS BIGINT) AS o, CASE WHEN v IS NULL OR v = '' OR v = 'n/a' OR v LIKE 'n/a %' OR v LIKE 'n/a -%' OR v LIKE '%no longer use%' THEN 2 WHEN v LIKE '%very disappointed%' OR v = 'very' OR v LIKE '%somewhat disappointed%' OR v LIKE '%mildly disappointed%' OR v = 'somewhat' OR v = 'mildly' OR v LIKE '%not disappointed%' OR v = 'not' THEN 1 ELSE 3 END AS st, CASE WHEN v LIKE '%very disappointed%' OR v = 'very' THEN 2 WHEN v LIKE '%somewhat disappointed%' OR v LIKE '%mildly disappointed%' OR v = 'somewhat' OR v = 'mildly' THEN 1 WHEN v LIKE '%not disappointed%' OR v = 'not' THEN 0 WHEN v IN ('3', '3.0') THEN 2 WHEN v IN ('2', '2.0') THEN 1 ELSE 0 END AS x FROM cxm_in r WHERE (r.t IS NULL OR (r.t <= 1748822400000))
),
cxm_cells AS (
  SELECT g1, o, SUM(CASE WHEN st = 1 AND x = 0 THEN 1 ELSE 0 END) AS c0, SUM(CASE WHEN st = 1 AND x = 1 THEN 1 ELSE 0 END) AS c1, SUM(CASE WHEN st = 1 AND x = 2 THEN 1 ELSE 0 END) AS c2, SUM(CASE WHEN st = 2 THEN 1 ELSE 0 END) AS blank, SUM(CASE WHEN st = 3 THEN 1 ELSE 0 END) AS rejected FROM cxm_rows GROUP BY g1, o
),
cxm_series AS (
  SELECT 0 AS k, g1, CAST(NULL AS BIGINT) AS o, SUM(c0) AS c0, SUM(c1) AS c1, SUM(c2) AS c2, SUM(blank) AS blank, SUM(rejected) AS rejected FROM cxm_cells GROUP BY g1
  UNION ALL
  SELECT 2 AS k, CAST(NULL AS VARCHAR) AS g1, CAST(NULL AS BIGINT) AS o, COALESCE(SUM(c0), 0) AS c0, COALESCE(SUM(c1), 0) AS c1, COALESCE(SUM(c2), 0) AS c2, COALESCE(SUM(blank), 0) AS blank, COALESCE(SUM(rejected), 0) AS rejected FROM cxm_cells
),
cxm_a AS (
  SELECT s.k, s.o, CAST(NULL AS VARCHAR) AS label, FALSE AS partial, s.g1, s.c0, s.c1, s.c2, s.blank, s.rejected, (c0 + c1 + c2) AS n FROM cxm_series s
),
cxm_b AS (
  SELECT cxm_a.*, CAST(NULLIF(n, 0) AS DOUBLE) AS nf, CAST(c2 AS DOUBLE) / CAST(NULLIF(n, 0) AS DOUBLE) AS ph, (CAST(1.0 AS DOUBLE) + CAST(3.8414588206941236 AS DOUBLE) / CAST(NULLIF(n, 0) AS DOUBLE)) AS wden FROM cxm_a
),
cxm_c AS (
  SELECT cxm_b.*, (ph + CAST(3.8414588206941236 AS DOUBLE) / (CAST(2.0 AS DOUBLE) * nf)) / wden AS wc, CAST(1.9599639845400536 AS DOUBLE) * SQRT(ph * (CAST(1.0 AS DOUBLE) - ph) / nf + CAST(3.8414588206941236 AS DOUBLE) / (CAST(4.0 AS DOUBLE) * nf * nf)) / wden AS wh FROM cxm_b
)
SELECT CASE WHEN k <> 0 THEN '(all)' WHEN g1 = '(all)' THEN '''(all)' ELSE g1 END AS "plan",
  n AS "n",
  blank AS "blank",
  rejected AS "rejected",
  c2 AS "very",
  c1 AS "somewhat",
  c0 AS "not",
  CAST(100.0 AS DOUBLE) * CAST(c2 AS DOUBLE) / nf AS "pmf",
  CASE WHEN n = 0 THEN NULL WHEN c2 = 0 THEN CAST(0.0 AS DOUBLE) ELSE CAST(100.0 AS DOUBLE) * LEAST(GREATEST(wc - wh, CAST(0.0 AS DOUBLE)), ph) END AS "ci_low",
  CASE WHEN n = 0 THEN NULL WHEN c2 = n THEN CAST(100.0 AS DOUBLE) ELSE CAST(100.0 AS DOUBLE) * LEAST(GREATEST(wc + wh, ph), CAST(1.0 AS DOUBLE)) END AS "ci_high",
  CASE WHEN n = 0 THEN NULL WHEN CAST(100.0 AS DOUBLE) * CAST(c2 AS DOUBLE) / nf >= CAST(40.0 AS DOUBLE) THEN TRUE ELSE FALSE END AS "pmf_reached",
  FALSE AS "low_n" FROM cxm_c ORDER BY k, CASE WHEN g1 IS NULL THEN 1 ELSE 0 END, g1, o;
