-- cxm 0.1.0 sql tickets --dialect snowflake --table support.tickets
-- As of 2025-04-01T00:00:00+00:00; result: the table `cxm tickets FILE --format csv` prints for the same rows.
-- The calendar covers 2025-03-01T00:00:00+00:00 to as-of (32 UTC days); tickets created before it are left out.
-- Stage: aggregates. Save the result as CSV and finish it with `cxm tickets --from-aggregates FILE` and the same options.
WITH
cxm_cal AS (
  SELECT CAST(day AS BIGINT) AS day, CAST(o0 AS BIGINT) AS o0 FROM (VALUES
      (20148, 2878), (20149, 2878), (20150, 2879), (20151, 2879), (20152, 2879), (20153, 2879),
      (20154, 2879), (20155, 2879), (20156, 2879), (20157, 2880), (20158, 2880), (20159, 2880),
      (20160, 2880), (20161, 2880), (20162, 2880), (20163, 2880), (20164, 2881), (20165, 2881),
      (20166, 2881), (20167, 2881), (20168, 2881), (20169, 2881), (20170, 2881), (20171, 2882),
      (20172, 2882), (20173, 2882), (20174, 2882), (20175, 2882), (20176, 2882), (20177, 2882),
      (20178, 2883), (20179, 2883)
    ) AS cxm_v(day, o0)
),
cxm_periods AS (
  SELECT CAST(o AS BIGINT) AS o, CAST(label AS VARCHAR) AS label, CAST(partial AS BOOLEAN) AS partial FROM (VALUES
      (2878, '2025-W09', FALSE), (2879, '2025-W10', FALSE), (2880, '2025-W11', FALSE), (2881, '2025-W12', FALSE), (2882, '2025-W13', FALSE), (2883, '2025-W14', TRUE)
    ) AS cxm_v(o, label, partial)
),
cxm_in AS (
  SELECT NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "created_at"), -2208988800000), -2209161600000), -62135596800000) AS tc, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "first_response_at"), -2208988800000), -2209161600000), -62135596800000) AS tf, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "resolved_at"), -2208988800000), -2209161600000), -62135596800000) AS tr, CAST(NULL AS DOUBLE) AS reo, CAST(NULL AS VARCHAR) AS stx FROM "support"."tickets"
),
cxm_a AS (
  SELECT CASE WHEN r.tc IS NULL OR (r.tf IS NOT NULL AND r.tf < r.tc) OR (r.tr IS NOT NULL AND r.tr < r.tc) OR (r.reo IS NOT NULL AND (r.reo < 0 OR r.reo <> FLOOR(r.reo))) THEN 3 ELSE 1 END AS st, r.tc AS tc, CASE WHEN r.tf <= 1743465600000 THEN r.tf END AS f, CASE WHEN r.tr <= 1743465600000 THEN r.tr END AS rs, CASE WHEN r.reo > 0 THEN 1 ELSE 0 END AS reopened, r.tc AS bc, r.tf AS bf, r.tr AS br, cc.o0 AS oc, cr.o0 AS orr FROM cxm_in r LEFT JOIN cxm_cal cc ON cc.day = CAST(FLOOR(CAST(r.tc AS DOUBLE) / 86400000) AS BIGINT) LEFT JOIN cxm_cal cf ON cf.day = CAST(FLOOR(CAST(r.tf AS DOUBLE) / 86400000) AS BIGINT) LEFT JOIN cxm_cal cr ON cr.day = CAST(FLOOR(CAST(r.tr AS DOUBLE) / 86400000) AS BIGINT) WHERE (r.stx IS NULL OR r.stx NOT IN ('deleted', 'spam')) AND (r.tc IS NULL OR r.tc <= 1743465600000) AND (r.tc IS NULL OR r.tc >= 1740787200000) AND (r.tc IS NULL OR r.tc >= 1740787200000)
),
cxm_t AS (
  SELECT st, oc AS o, CASE WHEN st = 1 AND rs IS NOT NULL THEN 1 ELSE 0 END AS res, CASE WHEN st = 1 AND f IS NOT NULL THEN 1 ELSE 0 END AS ans, reopened, CASE WHEN st = 1 AND f IS NOT NULL THEN bf - bc END AS frt, CASE WHEN st = 1 AND rs IS NOT NULL THEN br - bc END AS ttr, CASE WHEN st = 1 AND rs IS NULL THEN 1743465600000 - bc END AS age FROM cxm_a WHERE 1 = 1
),
cxm_agg AS (
  SELECT t.o, 'used' AS measure, CAST(NULL AS BIGINT) AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE st = 1 GROUP BY t.o
  UNION ALL
  SELECT t.o, 'resolved' AS measure, CAST(NULL AS BIGINT) AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE st = 1 AND res = 1 GROUP BY t.o
  UNION ALL
  SELECT t.o, 'rejected' AS measure, CAST(NULL AS BIGINT) AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE st = 3 GROUP BY t.o
  UNION ALL
  SELECT t.o, 'reopened' AS measure, CAST(NULL AS BIGINT) AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE st = 1 AND res = 1 AND reopened = 1 GROUP BY t.o
  UNION ALL
  SELECT t.o, 'frt' AS measure, t.frt AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE frt IS NOT NULL GROUP BY t.o, t.frt
  UNION ALL
  SELECT t.o, 'ttr' AS measure, t.ttr AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE ttr IS NOT NULL GROUP BY t.o, t.ttr
  UNION ALL
  SELECT t.o, 'ttr_unanswered' AS measure, t.ttr AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE ttr IS NOT NULL AND ans = 0 GROUP BY t.o, t.ttr
  UNION ALL
  SELECT t.o, 'open_age_answered' AS measure, t.age AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE age IS NOT NULL AND ans = 1 GROUP BY t.o, t.age
  UNION ALL
  SELECT t.o, 'open_age_unanswered' AS measure, t.age AS value_ms, COUNT(*) AS cnt FROM cxm_t t WHERE age IS NOT NULL AND ans = 0 GROUP BY t.o, t.age
)
SELECT pr.label AS "period", a.measure AS "measure", a.value_ms AS "value_ms", a.cnt AS "count" FROM cxm_agg a LEFT JOIN cxm_periods pr ON pr.o = a.o ORDER BY a.o, a.measure, a.value_ms;
