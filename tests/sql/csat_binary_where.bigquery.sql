-- cxm 0.1.0 sql csat --dialect bigquery --table ratings
-- As of 2025-06-02T00:00:00+00:00; result: the table `cxm csat FILE --format csv` prints for the same rows.
WITH
cxm_in AS (
  SELECT LOWER(TRIM(CAST(`rating` AS STRING))) AS v, NULLIF(NULLIF(NULLIF(UNIX_MILLIS(`submitted_at`), -2208988800000), -2209161600000), -62135596800000) AS t, COALESCE(TRIM(CAST(`channel` AS STRING)), '') AS w1 FROM `ratings`
),
cxm_rows AS (
  SELECT CAST(NULL AS BIGINT) AS o, CASE WHEN v IS NULL OR v = '' OR v IN ('offered', 'unoffered', 'not offered') THEN 2 WHEN v IN ('good', 'yes', 'true', '1', 'satisfied', '👍', 'good, i\'m satisfied') OR v IN ('bad', 'no', 'false', '0', 'unsatisfied', 'dissatisfied', '👎', 'bad, i\'m unsatisfied') THEN 1 ELSE 3 END AS st, CASE WHEN v IN ('good', 'yes', 'true', '1', 'satisfied', '👍', 'good, i\'m satisfied') THEN 1 ELSE 0 END AS x FROM cxm_in r WHERE r.w1 IN ('email') AND (r.t IS NULL OR (r.t <= 1748822400000))
),
cxm_cells AS (
  SELECT o, SUM(CASE WHEN st = 1 AND x = 0 THEN 1 ELSE 0 END) AS c0, SUM(CASE WHEN st = 1 AND x = 1 THEN 1 ELSE 0 END) AS c1, SUM(CASE WHEN st = 2 THEN 1 ELSE 0 END) AS blank, SUM(CASE WHEN st = 3 THEN 1 ELSE 0 END) AS rejected FROM cxm_rows GROUP BY o
),
cxm_series AS (
  SELECT 2 AS k, CAST(NULL AS BIGINT) AS o, COALESCE(SUM(c0), 0) AS c0, COALESCE(SUM(c1), 0) AS c1, COALESCE(SUM(blank), 0) AS blank, COALESCE(SUM(rejected), 0) AS rejected FROM cxm_cells
),
cxm_a AS (
  SELECT s.k, s.o, CAST(NULL AS STRING) AS label, FALSE AS partial, s.c0, s.c1, s.blank, s.rejected, (c0 + c1) AS n, s.c1 AS sat, (s.c0 * 1 + s.c1 * 2) AS s1 FROM cxm_series s
),
cxm_b AS (
  SELECT cxm_a.*, CAST(NULLIF(n, 0) AS FLOAT64) AS nf, CAST(sat AS FLOAT64) / CAST(NULLIF(n, 0) AS FLOAT64) AS ph, (CAST(1.0 AS FLOAT64) + CAST(3.8414588206941236 AS FLOAT64) / CAST(NULLIF(n, 0) AS FLOAT64)) AS wden FROM cxm_a
),
cxm_c AS (
  SELECT cxm_b.*, (ph + CAST(3.8414588206941236 AS FLOAT64) / (CAST(2.0 AS FLOAT64) * nf)) / wden AS wc, CAST(1.9599639845400536 AS FLOAT64) * SQRT(ph * (CAST(1.0 AS FLOAT64) - ph) / nf + CAST(3.8414588206941236 AS FLOAT64) / (CAST(4.0 AS FLOAT64) * nf * nf)) / wden AS wh FROM cxm_b
)
SELECT n AS `n`,
  blank AS `blank`,
  rejected AS `rejected`,
  sat AS `satisfied`,
  CAST(100.0 AS FLOAT64) * CAST(sat AS FLOAT64) / nf AS `csat`,
  CAST(NULL AS FLOAT64) AS `mean`,
  CASE WHEN n = 0 THEN NULL WHEN sat = 0 THEN CAST(0.0 AS FLOAT64) ELSE CAST(100.0 AS FLOAT64) * LEAST(GREATEST(wc - wh, CAST(0.0 AS FLOAT64)), ph) END AS `ci_low`,
  CASE WHEN n = 0 THEN NULL WHEN sat = n THEN CAST(100.0 AS FLOAT64) ELSE CAST(100.0 AS FLOAT64) * LEAST(GREATEST(wc + wh, ph), CAST(1.0 AS FLOAT64)) END AS `ci_high`,
  c0 AS `dist_bad`,
  c1 AS `dist_good`,
  FALSE AS `low_n` FROM cxm_c ORDER BY k, o;
