-- cxm 0.1.0 sql churn --dialect snowflake --table billing.subscriptions
-- As of 2025-04-08T14:00:00+02:00; result: the table `cxm churn FILE --format csv` prints for the same rows.
-- Periods (week) are reported from 2025-03-17T00:00:00+01:00 (the calendar start: --since, else five years before as-of); earlier subscriptions still decide new, reactivated and retained.
-- Columns: customer_id, started_at, ended_at, mrr (and status, canceled_at, trial_end, current_period_end, subscription_id when named with --col).
WITH
cxm_in AS (
  SELECT TRIM(CAST("customer_id" AS VARCHAR)) AS cu, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "started_at"), -2208988800000), -2209161600000), -62135596800000) AS st0, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "ended_at"), -2208988800000), -2209161600000), -62135596800000) AS en0, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "canceled_at"), -2208988800000), -2209161600000), -62135596800000) AS ca, NULLIF(NULLIF(NULLIF(DATE_PART(epoch_millisecond, "trial_end"), -2208988800000), -2209161600000), -62135596800000) AS tr, CAST(NULL AS BIGINT) AS pe, CAST("mrr" AS DOUBLE) AS m0, LOWER(REPLACE(REPLACE(TRIM(CAST("status" AS VARCHAR)), ' ', '_'), '-', '_')) AS ss, NULLIF(TRIM(CAST("sub_id" AS VARCHAR)), '') AS id, NULLIF(TRIM(CAST("plan" AS VARCHAR)), '') AS g1, CASE WHEN TRIM(CAST("sub_id" AS VARCHAR)) = '' THEN NULL ELSE CAST("sub_id" AS VARCHAR) END AS dk, CAST(NULL AS BIGINT) AS du FROM "billing"."subscriptions"
),
cxm_src AS (
  SELECT * FROM (SELECT cxm_in.*, ROW_NUMBER() OVER (PARTITION BY dk ORDER BY COALESCE(du, -9223372036854775807) DESC) AS cxm_rn FROM cxm_in) cxm_d WHERE dk IS NULL OR cxm_rn = 1
),
cxm_r1 AS (
  SELECT r.cu, r.st0, CASE WHEN r.tr IS NOT NULL AND r.tr > r.st0 THEN r.tr ELSE r.st0 END AS s, CASE WHEN r.en0 IS NOT NULL THEN r.en0 WHEN COALESCE(r.ss, '') IN ('canceled', 'cancelled', 'unpaid', 'expired') THEN COALESCE(r.ca, r.pe) ELSE NULL END AS en, CAST(FLOOR(r.m0 * CAST(100.0 AS DOUBLE) + CAST(0.5 AS DOUBLE)) AS BIGINT) AS m, r.id, r.g1 FROM cxm_src r WHERE r.cu IS NOT NULL AND r.cu <> '' AND r.st0 IS NOT NULL AND COALESCE(r.ss, '') NOT IN ('trialing', 'in_trial', 'trial', 'incomplete', 'incomplete_expired', 'future', 'pending', 'failed', 'transferred') AND NOT (r.en0 IS NULL AND COALESCE(r.ss, '') IN ('canceled', 'cancelled', 'unpaid', 'expired') AND r.ca IS NULL AND r.pe IS NULL) AND r.m0 IS NOT NULL AND r.m0 >= CAST(0.0 AS DOUBLE)
),
cxm_subs AS (
  SELECT r.cu, r.s, CASE WHEN r.en > 1744113600000 THEN NULL ELSE r.en END AS e, r.m, r.id, r.g1 FROM cxm_r1 r WHERE (r.en IS NULL OR r.en >= r.st0) AND (r.en IS NULL OR r.en >= r.s) AND r.s <= 1744113600000 AND r.m <> 0
),
cxm_periods AS (
  SELECT CAST(o AS BIGINT) AS o, CAST(s AS BIGINT) AS s, CAST(e AS BIGINT) AS e, CAST(label AS VARCHAR) AS label, CAST(ps AS VARCHAR) AS ps, CAST(pe AS VARCHAR) AS pe, CAST(partial AS BOOLEAN) AS partial, CAST(kept AS BOOLEAN) AS kept FROM (VALUES
      (2881, 1742166000000, 1742770800000, '2025-W12', '2025-03-17T00:00:00+01:00', '2025-03-24T00:00:00+01:00', FALSE, TRUE), (2882, 1742770800000, 1743372000000, '2025-W13', '2025-03-24T00:00:00+01:00', '2025-03-31T00:00:00+02:00', FALSE, TRUE), (2883, 1743372000000, 1743976800000, '2025-W14', '2025-03-31T00:00:00+02:00', '2025-04-07T00:00:00+02:00', FALSE, TRUE), (2884, 1743976800000, 1744113600001, '2025-W15', '2025-04-07T00:00:00+02:00', '2025-04-14T00:00:00+02:00', TRUE, TRUE)
    ) AS cxm_v(o, s, e, label, ps, pe, partial, kept)
),
cxm_first AS (
  SELECT cu, MIN(s) AS f, MAX(CASE WHEN e IS NULL THEN 1 ELSE 0 END) AS op, MAX(e) AS le FROM cxm_subs GROUP BY cu
),
cxm_p AS (
  SELECT cxm_periods.* FROM cxm_periods CROSS JOIN (SELECT MIN(s) AS lo FROM cxm_subs) l WHERE cxm_periods.e > l.lo
),
cxm_bnd AS (
  SELECT DISTINCT b FROM (SELECT s AS b FROM cxm_p UNION ALL SELECT e AS b FROM cxm_p) cxm_u
),
cxm_act AS (
  SELECT x.cu, b.b, x.g1, SUM(x.m) OVER (PARTITION BY x.cu, b.b) AS m, ROW_NUMBER() OVER (PARTITION BY x.cu, b.b ORDER BY x.m DESC, x.s DESC, CASE WHEN x.id IS NULL THEN 0 ELSE 1 END DESC, x.id DESC) AS rn FROM cxm_subs x JOIN cxm_bnd b ON x.s < b.b AND (x.e IS NULL OR b.b <= x.e)
),
cxm_state AS (
  SELECT cu, b, m, g1 FROM cxm_act WHERE rn = 1
),
cxm_fsub AS (
  SELECT * FROM (SELECT cu, g1, ROW_NUMBER() OVER (PARTITION BY cu ORDER BY s, CASE WHEN id IS NULL THEN 0 ELSE 1 END, id) AS rn FROM cxm_subs) cxm_f WHERE rn = 1
),
cxm_cp AS (
  SELECT p.o, p.s, p.e, f.f, CASE WHEN a.cu IS NULL THEN 0 ELSE 1 END AS a_s, CASE WHEN z.cu IS NULL THEN 0 ELSE 1 END AS a_e, COALESCE(a.m, 0) AS m_s, COALESCE(z.m, 0) AS m_e, CASE WHEN a.cu IS NOT NULL THEN a.g1 WHEN z.cu IS NOT NULL THEN z.g1 ELSE fs.g1 END AS g1 FROM cxm_first f JOIN cxm_p p ON p.e > f.f AND (f.op = 1 OR p.s <= f.le) LEFT JOIN cxm_state a ON a.cu = f.cu AND a.b = p.s LEFT JOIN cxm_state z ON z.cu = f.cu AND z.b = p.e LEFT JOIN cxm_fsub fs ON fs.cu = f.cu WHERE a.cu IS NOT NULL OR z.cu IS NOT NULL OR (f.f >= p.s AND f.f < p.e)
),
cxm_cells AS (
  SELECT g1, o, CAST(SUM(a_s) AS BIGINT) AS cs, CAST(SUM(a_e) AS BIGINT) AS ce, CAST(SUM(CASE WHEN a_s = 0 AND a_e = 1 AND f >= s THEN 1 ELSE 0 END) AS BIGINT) AS nw, CAST(SUM(CASE WHEN a_s = 0 AND a_e = 1 AND f < s THEN 1 ELSE 0 END) AS BIGINT) AS re, CAST(SUM(CASE WHEN a_s = 1 AND a_e = 0 THEN 1 ELSE 0 END) AS BIGINT) AS ch, CAST(SUM(CASE WHEN f >= s AND f < e THEN 1 ELSE 0 END) AS BIGINT) AS su, CAST(SUM(m_s) AS BIGINT) AS ms, CAST(SUM(m_e) AS BIGINT) AS me, CAST(SUM(CASE WHEN a_s = 0 AND a_e = 1 AND f >= s THEN m_e ELSE 0 END) AS BIGINT) AS nm, CAST(SUM(CASE WHEN a_s = 0 AND a_e = 1 AND f < s THEN m_e ELSE 0 END) AS BIGINT) AS rm, CAST(SUM(CASE WHEN a_s = 1 AND a_e = 1 AND m_e > m_s THEN m_e - m_s ELSE 0 END) AS BIGINT) AS xm, CAST(SUM(CASE WHEN a_s = 1 AND a_e = 1 AND m_s > m_e THEN m_s - m_e ELSE 0 END) AS BIGINT) AS km, CAST(SUM(CASE WHEN a_s = 1 AND a_e = 0 THEN m_s ELSE 0 END) AS BIGINT) AS cm FROM cxm_cp GROUP BY g1, o
),
cxm_kp AS (
  SELECT o FROM cxm_p WHERE kept
),
cxm_groups AS (
  SELECT DISTINCT g1 FROM cxm_cells
),
cxm_series AS (
  SELECT 0 AS k, g1, o, SUM(cs) AS cs, SUM(ce) AS ce, SUM(nw) AS nw, SUM(re) AS re, SUM(ch) AS ch, SUM(su) AS su, SUM(ms) AS ms, SUM(me) AS me, SUM(nm) AS nm, SUM(rm) AS rm, SUM(xm) AS xm, SUM(km) AS km, SUM(cm) AS cm, CAST(NULL AS BIGINT) AS np FROM (SELECT c.g1, c.o, cs, ce, nw, re, ch, su, ms, me, nm, rm, xm, km, cm FROM cxm_cells c JOIN cxm_kp r ON c.o = r.o UNION ALL SELECT g.g1, r.o, CAST(0 AS BIGINT) AS cs, CAST(0 AS BIGINT) AS ce, CAST(0 AS BIGINT) AS nw, CAST(0 AS BIGINT) AS re, CAST(0 AS BIGINT) AS ch, CAST(0 AS BIGINT) AS su, CAST(0 AS BIGINT) AS ms, CAST(0 AS BIGINT) AS me, CAST(0 AS BIGINT) AS nm, CAST(0 AS BIGINT) AS rm, CAST(0 AS BIGINT) AS xm, CAST(0 AS BIGINT) AS km, CAST(0 AS BIGINT) AS cm FROM cxm_groups g CROSS JOIN cxm_kp r) cxm_u GROUP BY g1, o
  UNION ALL
  SELECT 1 AS k, CAST(NULL AS VARCHAR) AS g1, o, SUM(cs) AS cs, SUM(ce) AS ce, SUM(nw) AS nw, SUM(re) AS re, SUM(ch) AS ch, SUM(su) AS su, SUM(ms) AS ms, SUM(me) AS me, SUM(nm) AS nm, SUM(rm) AS rm, SUM(xm) AS xm, SUM(km) AS km, SUM(cm) AS cm, CAST(NULL AS BIGINT) AS np FROM (SELECT c.o, cs, ce, nw, re, ch, su, ms, me, nm, rm, xm, km, cm FROM cxm_cells c JOIN cxm_kp r ON c.o = r.o UNION ALL SELECT r.o, CAST(0 AS BIGINT) AS cs, CAST(0 AS BIGINT) AS ce, CAST(0 AS BIGINT) AS nw, CAST(0 AS BIGINT) AS re, CAST(0 AS BIGINT) AS ch, CAST(0 AS BIGINT) AS su, CAST(0 AS BIGINT) AS ms, CAST(0 AS BIGINT) AS me, CAST(0 AS BIGINT) AS nm, CAST(0 AS BIGINT) AS rm, CAST(0 AS BIGINT) AS xm, CAST(0 AS BIGINT) AS km, CAST(0 AS BIGINT) AS cm FROM cxm_kp r) cxm_u GROUP BY o
  UNION ALL
  SELECT 2 AS k, CAST(NULL AS VARCHAR) AS g1, t.o, COALESCE(SUM(c.cs), 0) AS cs, COALESCE(SUM(c.ce), 0) AS ce, COALESCE(SUM(c.nw), 0) AS nw, COALESCE(SUM(c.re), 0) AS re, COALESCE(SUM(c.ch), 0) AS ch, COALESCE(SUM(c.su), 0) AS su, COALESCE(SUM(c.ms), 0) AS ms, COALESCE(SUM(c.me), 0) AS me, COALESCE(SUM(c.nm), 0) AS nm, COALESCE(SUM(c.rm), 0) AS rm, COALESCE(SUM(c.xm), 0) AS xm, COALESCE(SUM(c.km), 0) AS km, COALESCE(SUM(c.cm), 0) AS cm, MAX(t.np) AS np FROM (SELECT MAX(r.o) AS o, COUNT(*) AS np FROM cxm_kp r JOIN cxm_p p ON p.o = r.o WHERE NOT p.partial) t LEFT JOIN cxm_cells c ON c.o = t.o GROUP BY t.o
),
cxm_a AS (
  SELECT s.*, p.label AS label, CASE WHEN s.k = 2 THEN FALSE ELSE COALESCE(p.partial, FALSE) END AS partial, p.ps, p.pe, CASE WHEN s.cs = 0 THEN NULL ELSE CAST(100.0 AS DOUBLE) * CAST(s.ch AS DOUBLE) / CAST(s.cs AS DOUBLE) END AS churn FROM cxm_series s LEFT JOIN cxm_p p ON p.o = s.o
)
SELECT CASE WHEN k <> 0 THEN '(all)' WHEN g1 = '(all)' THEN '''(all)' ELSE g1 END AS "plan",
  label AS "period",
  partial AS "partial",
  ps AS "period_start",
  pe AS "period_end",
  cs AS "n",
  cs AS "customers_start",
  ce AS "customers_end",
  nw AS "new",
  re AS "reactivated",
  ch AS "churned",
  su AS "signups",
  churn AS "churn_rate",
  CAST(100.0 AS DOUBLE) - churn AS "retention_rate",
  CAST(ms AS DOUBLE) / CAST(100.0 AS DOUBLE) AS "mrr_start",
  CAST(me AS DOUBLE) / CAST(100.0 AS DOUBLE) AS "mrr_end",
  CAST(nm AS DOUBLE) / CAST(100.0 AS DOUBLE) AS "new_mrr",
  CAST(rm AS DOUBLE) / CAST(100.0 AS DOUBLE) AS "reactivation_mrr",
  CAST(xm AS DOUBLE) / CAST(100.0 AS DOUBLE) AS "expansion_mrr",
  CAST(km AS DOUBLE) / CAST(100.0 AS DOUBLE) AS "contraction_mrr",
  CAST(cm AS DOUBLE) / CAST(100.0 AS DOUBLE) AS "churned_mrr",
  CASE WHEN ms = 0 THEN NULL ELSE CAST(100.0 AS DOUBLE) * CAST(ms - km - cm AS DOUBLE) / CAST(ms AS DOUBLE) END AS "grr",
  CASE WHEN ms = 0 THEN NULL ELSE CAST(100.0 AS DOUBLE) * CAST(ms + xm - km - cm AS DOUBLE) / CAST(ms AS DOUBLE) END AS "nrr",
  CASE WHEN cm + km = 0 THEN NULL ELSE CAST(nm + rm + xm AS DOUBLE) / CAST(cm + km AS DOUBLE) END AS "quick_ratio",
  CASE WHEN ce = 0 THEN NULL ELSE CAST(me AS DOUBLE) / CAST(100.0 AS DOUBLE) / CAST(ce AS DOUBLE) END AS "arpa",
  CASE WHEN ce = 0 OR churn IS NULL OR churn <= CAST(0.0 AS DOUBLE) THEN NULL ELSE CASE WHEN ce = 0 THEN NULL ELSE CAST(me AS DOUBLE) / CAST(100.0 AS DOUBLE) / CAST(ce AS DOUBLE) END / (churn / CAST(100.0 AS DOUBLE)) END AS "ltv",
  CASE WHEN cs < 20 THEN TRUE ELSE FALSE END AS "low_n",
  np AS "periods" FROM cxm_a ORDER BY k, CASE WHEN g1 IS NULL THEN 1 ELSE 0 END, g1, o;
