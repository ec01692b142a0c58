//! `--explain COL` (SPEC 11): a weighted-mean metric's change between two periods split into
//! **mix** (segment shares moved) and **rate** (the segments' own values moved), by segment,
//! with Kitagawa's (1955) symmetric formula, z tests per segment (Holm-adjusted), the z test
//! of the total change and a Pearson χ² test of the mix. Pure functions: no I/O.
//!
//! With shares w and values r in periods A and B, `M = Σ w·r`, `Δ = M_B − M_A`,
//! `M̄ = (M_A + M_B) / 2`:
//! `rate_k = (r_Bk − r_Ak)·(w_Ak + w_Bk)/2`, `mix_k = (w_Bk − w_Ak)·((r_Ak + r_Bk)/2 − M̄)`,
//! and `Σ (mix_k + rate_k) = Δ` because the shares of each period sum to one.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use super::stats;
use crate::report::{num, Row};

/// The checked `--explain` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The segment column (COL).
    pub column: String,
    /// `--compare A..B` as period ordinals; `None`: the last two complete periods.
    pub compare: Option<(i32, i32)>,
    /// Holm-adjust the per-segment p-values (`--p-adjust holm`, the default).
    pub holm: bool,
}

/// One segment's figures in one period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    /// The weight: what the metric's denominator counts (answers, tickets with the measure,
    /// customers at the period's start). A segment with `n = 0` is absent from the period.
    pub n: u64,
    /// The segment's value in the metric's unit (NPS points, %, hours, scale points).
    pub value: f64,
    /// The variance of one observation in the value's unit squared, so `se² = var / n`;
    /// `None` when it cannot be estimated (a mean of one answer).
    pub var: Option<f64>,
}

impl Cell {
    /// NPS in points from promoters, detractors and answers; var `100²·(p + d − (p − d)²)`.
    pub fn nps(promoters: u64, detractors: u64, n: u64) -> Option<Cell> {
        if n == 0 {
            return None;
        }
        let (p, d) = (promoters as f64 / n as f64, detractors as f64 / n as f64);
        Some(Cell {
            n,
            // As SPEC 6.1 computes it, so equal counts give the metric's value exactly.
            value: 100.0 * (promoters as f64 - detractors as f64) / n as f64,
            var: Some(1e4 * (p + d - (p - d) * (p - d)).max(0.0)),
        })
    }

    /// A percentage `100·k/n`; var `100²·p(1 − p)`.
    pub fn pct(k: u64, n: u64) -> Option<Cell> {
        if n == 0 {
            return None;
        }
        let p = k as f64 / n as f64;
        Some(Cell {
            n,
            value: 100.0 * k as f64 / n as f64,
            var: Some(1e4 * (p * (1.0 - p)).max(0.0)),
        })
    }

    /// A mean from a distribution `(value, count)`; var = the sample variance (n − 1).
    pub fn mean_of_counts(counts: &[(i64, u64)]) -> Option<Cell> {
        let n: u64 = counts.iter().map(|c| c.1).sum();
        let (mean, sd) = stats::mean_sd_from_counts(counts);
        Some(Cell {
            n,
            value: mean?,
            var: sd.map(|s| s * s),
        })
    }

    /// A mean of values scaled by `scale` (e.g. milliseconds → hours).
    pub fn mean_of(values: &[i64], scale: f64) -> Option<Cell> {
        let counts: Vec<(i64, u64)> = values.iter().map(|&v| (v, 1)).collect();
        let c = Cell::mean_of_counts(&counts)?;
        Some(Cell {
            n: c.n,
            value: c.value * scale,
            var: c.var.map(|v| v * scale * scale),
        })
    }
}

/// A segment (a value of COL, `None` = blank) in the two periods.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub key: Option<String>,
    pub a: Option<Cell>,
    pub b: Option<Cell>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Both,
    New,
    Gone,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Both => "both",
            Status::New => "new",
            Status::Gone => "gone",
        }
    }
}

/// One segment's part of the change.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub key: Option<String>,
    pub status: Status,
    pub n_a: u64,
    pub n_b: u64,
    pub share_a: f64,
    pub share_b: f64,
    pub value_a: Option<f64>,
    pub value_b: Option<f64>,
    pub delta: Option<f64>,
    pub mix: f64,
    pub rate: f64,
    pub se_rate: Option<f64>,
    pub p_value: Option<f64>,
    pub p_adjusted: Option<f64>,
    pub low_n: bool,
}

/// The whole change.
#[derive(Clone, Debug, PartialEq)]
pub struct Total {
    pub value_a: Option<f64>,
    pub value_b: Option<f64>,
    pub delta: Option<f64>,
    /// Σ mix_k and Σ rate_k.
    pub mix: f64,
    pub rate: f64,
    pub p_value: Option<f64>,
    pub rate_se: Option<f64>,
    pub rate_p_value: Option<f64>,
    pub mix_chi2: Option<f64>,
    pub mix_df: u64,
    pub mix_p_value: Option<f64>,
    pub n_a: u64,
    pub n_b: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// Ordered by |mix + rate| descending, then key (blank last).
    pub parts: Vec<Part>,
    pub total: Total,
}

/// Order of segment keys: byte order, blank last (as `--by` orders groups).
fn key_order(a: &Option<String>, b: &Option<String>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Two-sided z test of `b − a` with `se = √(var_a/n_a + var_b/n_b)`: (se, p). The p-value is
/// `None` when the se is 0 or unknown.
fn z_test(a: &Cell, b: &Cell) -> (Option<f64>, Option<f64>) {
    let (Some(va), Some(vb)) = (a.var, b.var) else {
        return (None, None);
    };
    let se = (va / a.n as f64 + vb / b.n as f64).sqrt();
    if !se.is_finite() {
        return (None, None);
    }
    if se <= 0.0 {
        return (Some(se), None);
    }
    let p = stats::two_sided_p((b.value - a.value) / se);
    (Some(se), p.is_finite().then_some(p))
}

/// Holm's step-down adjustment: sorted ascending, `p̃_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j))`.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut idx: Vec<usize> = (0..m).collect();
    idx.sort_by(|&x, &y| p[x].total_cmp(&p[y]).then(x.cmp(&y)));
    let mut out = vec![0.0; m];
    let mut running = 0.0f64;
    for (j, &i) in idx.iter().enumerate() {
        let adj = ((m - j) as f64 * p[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

/// Decompose the change from A to B. `total_a`/`total_b` are the metric's own totals (their
/// values are `value_a`/`value_b`, their variances give the total's p-value); `None` when
/// the period has no data. `min_n` flags segments with fewer observations in a period
/// where they are present.
pub fn decompose(
    segments: &[Segment],
    total_a: Option<Cell>,
    total_b: Option<Cell>,
    holm_adjust: bool,
    min_n: Option<u64>,
) -> Explanation {
    let segs: Vec<&Segment> = segments
        .iter()
        .filter(|s| s.a.is_some_and(|c| c.n > 0) || s.b.is_some_and(|c| c.n > 0))
        .collect();
    let present = |c: &Option<Cell>| c.filter(|c| c.n > 0);
    let na: u64 = segs.iter().filter_map(|s| present(&s.a)).map(|c| c.n).sum();
    let nb: u64 = segs.iter().filter_map(|s| present(&s.b)).map(|c| c.n).sum();
    let share = |c: &Option<Cell>, n: u64| present(c).map_or(0.0, |c| c.n as f64 / n as f64);
    // M_A, M_B as weighted means of the segments (equal to the metric's totals for weighted
    // means); M̄ centres the mix.
    let m = |pick: fn(&Segment) -> Option<Cell>, n: u64| -> Option<f64> {
        (n > 0).then(|| {
            segs.iter()
                .filter_map(|s| pick(s).filter(|c| c.n > 0))
                .map(|c| c.n as f64 / n as f64 * c.value)
                .sum()
        })
    };
    let ma = m(|s| s.a, na);
    let mb = m(|s| s.b, nb);
    let mbar = match (ma, mb) {
        (Some(a), Some(b)) => (a + b) / 2.0,
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => 0.0,
    };
    let mut parts: Vec<Part> = Vec::with_capacity(segs.len());
    for s in &segs {
        let (a, b) = (present(&s.a), present(&s.b));
        let status = match (a, b) {
            (Some(_), Some(_)) => Status::Both,
            (None, Some(_)) => Status::New,
            _ => Status::Gone,
        };
        let (wa, wb) = (share(&s.a, na), share(&s.b, nb));
        // A new segment takes r_A := r_B, a gone one r_B := r_A: their rate is 0.
        let ra = a.or(b).map_or(0.0, |c| c.value);
        let rb = b.or(a).map_or(0.0, |c| c.value);
        let rate = (rb - ra) * (wa + wb) / 2.0;
        let mix = (wb - wa) * ((ra + rb) / 2.0 - mbar);
        let (se_rate, p_value) = match (a, b) {
            (Some(a), Some(b)) => {
                let (se, p) = z_test(&a, &b);
                (se.map(|se| (wa + wb) / 2.0 * se), p)
            }
            _ => (None, None),
        };
        let low_n = min_n.is_some_and(|k| a.is_some_and(|c| c.n < k) || b.is_some_and(|c| c.n < k));
        parts.push(Part {
            key: s.key.clone(),
            status,
            n_a: a.map_or(0, |c| c.n),
            n_b: b.map_or(0, |c| c.n),
            share_a: wa,
            share_b: wb,
            value_a: a.map(|c| c.value),
            value_b: b.map(|c| c.value),
            delta: match (a, b) {
                (Some(a), Some(b)) => Some(b.value - a.value),
                _ => None,
            },
            mix,
            rate,
            se_rate,
            p_value,
            p_adjusted: None,
            low_n,
        });
    }
    // Holm over the segments present in both periods that have a p-value.
    let tested: Vec<usize> = (0..parts.len())
        .filter(|&i| parts[i].status == Status::Both && parts[i].p_value.is_some())
        .collect();
    let ps: Vec<f64> = tested.iter().filter_map(|&i| parts[i].p_value).collect();
    let adj = if holm_adjust { holm(&ps) } else { ps.clone() };
    for (k, &i) in tested.iter().enumerate() {
        parts[i].p_adjusted = Some(adj[k]);
    }
    parts.sort_by(|x, y| {
        (y.mix + y.rate)
            .abs()
            .total_cmp(&(x.mix + x.rate).abs())
            .then_with(|| key_order(&x.key, &y.key))
    });

    let mix: f64 = parts.iter().map(|p| p.mix).sum();
    let rate: f64 = parts.iter().map(|p| p.rate).sum();
    let total_p = match (total_a, total_b) {
        (Some(a), Some(b)) if a.n > 0 && b.n > 0 => z_test(&a, &b).1,
        _ => None,
    };
    let ses: Vec<f64> = parts.iter().filter_map(|p| p.se_rate).collect();
    let rate_se = (!ses.is_empty()).then(|| ses.iter().map(|s| s * s).sum::<f64>().sqrt());
    let rate_p_value = rate_se
        .filter(|se| *se > 0.0 && se.is_finite())
        .map(|se| stats::two_sided_p(rate / se))
        .filter(|p| p.is_finite());
    let (mix_chi2, mix_df, mix_p_value) = mix_test(&parts, na, nb);
    let value_a = total_a.filter(|c| c.n > 0).map(|c| c.value).or(ma);
    let value_b = total_b.filter(|c| c.n > 0).map(|c| c.value).or(mb);
    Explanation {
        total: Total {
            value_a,
            value_b,
            delta: match (value_a, value_b) {
                (Some(a), Some(b)) => Some(b - a),
                _ => None,
            },
            mix,
            rate,
            p_value: total_p,
            rate_se,
            rate_p_value,
            mix_chi2,
            mix_df,
            mix_p_value,
            n_a: na,
            n_b: nb,
        },
        parts,
    }
}

/// Pearson χ² of the 2 × K table of segment counts (no continuity correction), its degrees
/// of freedom K − 1 and p-value; null statistics when a period is empty or K < 2.
fn mix_test(parts: &[Part], na: u64, nb: u64) -> (Option<f64>, u64, Option<f64>) {
    let k = parts.len() as u64;
    let df = k.saturating_sub(1);
    if na == 0 || nb == 0 || k < 2 {
        return (None, df, None);
    }
    let n = (na + nb) as f64;
    let mut chi2 = 0.0;
    for p in parts {
        let col = (p.n_a + p.n_b) as f64;
        for (obs, row) in [(p.n_a, na), (p.n_b, nb)] {
            let e = row as f64 * col / n;
            let d = obs as f64 - e;
            chi2 += d * d / e;
        }
    }
    (Some(chi2), df, chi2_sf(chi2, df as f64))
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; about 1e-15 relative).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised upper incomplete gamma Q(a, x) (series for x < a + 1, else Lentz's
/// continued fraction).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let lnpre = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut sum, mut term, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        (1.0 - sum * lnpre.exp()).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-17 {
                break;
            }
        }
        (lnpre.exp() * h).clamp(0.0, 1.0)
    }
}

/// Upper tail P(χ²_df > x); `None` for df = 0 or a non-finite x.
pub fn chi2_sf(x: f64, df: f64) -> Option<f64> {
    if df <= 0.0 || !x.is_finite() || x < 0.0 {
        return None;
    }
    let p = gamma_q(df / 2.0, x / 2.0);
    p.is_finite().then_some(p)
}

/// The row fields of one segment (SPEC 11 order).
pub fn part_fields(p: &Part) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("status".into(), json!(p.status.name()));
    m.insert("n_a".into(), json!(p.n_a));
    m.insert("n_b".into(), json!(p.n_b));
    m.insert("share_a".into(), num(Some(p.share_a)));
    m.insert("share_b".into(), num(Some(p.share_b)));
    m.insert("value_a".into(), num(p.value_a));
    m.insert("value_b".into(), num(p.value_b));
    m.insert("delta".into(), num(p.delta));
    m.insert("mix".into(), num(Some(p.mix)));
    m.insert("rate".into(), num(Some(p.rate)));
    m.insert("se_rate".into(), num(p.se_rate));
    m.insert("p_value".into(), num(p.p_value));
    m.insert("p_adjusted".into(), num(p.p_adjusted));
    m.insert("low_n".into(), json!(p.low_n));
    m
}

/// The total's fields (SPEC 11 order), with `low_n` when either period has fewer than
/// `--min-n` observations.
pub fn total_fields(
    t: &Total,
    period_a: &str,
    period_b: &str,
    min_n: Option<u64>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("period_a".into(), json!(period_a));
    m.insert("period_b".into(), json!(period_b));
    m.insert("value_a".into(), num(t.value_a));
    m.insert("value_b".into(), num(t.value_b));
    m.insert("delta".into(), num(t.delta));
    m.insert("mix".into(), num(Some(t.mix)));
    m.insert("rate".into(), num(Some(t.rate)));
    m.insert("p_value".into(), num(t.p_value));
    m.insert("rate_se".into(), num(t.rate_se));
    m.insert("rate_p_value".into(), num(t.rate_p_value));
    m.insert("mix_chi2".into(), num(t.mix_chi2));
    m.insert("mix_df".into(), json!(t.mix_df));
    m.insert("mix_p_value".into(), num(t.mix_p_value));
    m.insert("n_a".into(), json!(t.n_a));
    m.insert("n_b".into(), json!(t.n_b));
    m.insert(
        "low_n".into(),
        json!(min_n.is_some_and(|k| t.n_a < k || t.n_b < k)),
    );
    m
}

/// Fields of the total an `--assert` may name.
pub const ASSERTABLE: &[&str] = &[
    "value_a",
    "value_b",
    "delta",
    "mix",
    "rate",
    "p_value",
    "rate_se",
    "rate_p_value",
    "mix_chi2",
    "mix_df",
    "mix_p_value",
    "n_a",
    "n_b",
    "low_n",
];

/// Result rows, one per segment, in the explanation's order.
pub fn rows(e: &Explanation) -> Vec<Row> {
    e.parts
        .iter()
        .map(|p| Row {
            group: Some(vec![p.key.clone()]),
            period: None,
            partial: false,
            fields: part_fields(p),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} != {b} (tol {tol})");
    }

    fn seg(key: &str, a: Option<(u64, u64, u64)>, b: Option<(u64, u64, u64)>) -> Segment {
        let c = |x: Option<(u64, u64, u64)>| x.and_then(|(n, p, d)| Cell::nps(p, d, n));
        Segment {
            key: Some(key.into()),
            a: c(a),
            b: c(b),
        }
    }

    /// The worked example of SPEC 11 / research note: EMEA 100 (P 50, D 20) → 60 (27, 15),
    /// AMER 100 (30, 30) → 120 (36, 36), APAC new with 20 (12, 2).
    fn worked() -> Explanation {
        let segs = vec![
            seg("EMEA", Some((100, 50, 20)), Some((60, 27, 15))),
            seg("AMER", Some((100, 30, 30)), Some((120, 36, 36))),
            seg("APAC", None, Some((20, 12, 2))),
        ];
        decompose(
            &segs,
            Cell::nps(80, 50, 200),
            Cell::nps(75, 53, 200),
            true,
            None,
        )
    }

    #[test]
    fn worked_example_by_hand() {
        let e = worked();
        let t = &e.total;
        // A: (80 − 50)/200 = 15; B: (75 − 53)/200 = 11; Δ = −4.
        close(t.value_a.unwrap(), 15.0, 1e-12);
        close(t.value_b.unwrap(), 11.0, 1e-12);
        close(t.delta.unwrap(), -4.0, 1e-12);
        close(t.mix, 0.0, 1e-12);
        close(t.rate, -4.0, 1e-12);
        // Order by |mix + rate|: EMEA |−2.4 − 4| = 6.4, APAC 3.7, AMER 1.3.
        let keys: Vec<&str> = e.parts.iter().map(|p| p.key.as_deref().unwrap()).collect();
        assert_eq!(keys, ["EMEA", "APAC", "AMER"]);
        let (emea, apac, amer) = (&e.parts[0], &e.parts[1], &e.parts[2]);
        // M̄ = 13. EMEA: mix (0.3 − 0.5)·((30 + 20)/2 − 13) = −2.4; rate (20 − 30)·0.4 = −4.
        close(emea.mix, -2.4, 1e-12);
        close(emea.rate, -4.0, 1e-12);
        // AMER: mix (0.6 − 0.5)·(0 − 13) = −1.3; rate 0.
        close(amer.mix, -1.3, 1e-12);
        close(amer.rate, 0.0, 1e-12);
        // APAC (new): mix (0.1 − 0)·(50 − 13) = 3.7; rate 0.
        close(apac.mix, 3.7, 1e-12);
        assert_eq!(apac.rate, 0.0);
        assert_eq!(apac.status, Status::New);
        assert_eq!((apac.value_a, apac.delta, apac.p_value), (None, None, None));
        // EMEA: var_A = .5 + .2 − .3² = .61, var_B = .45 + .25 − .2² = .66;
        // se = 100·√(.61/100 + .66/60) = 13.0767; z = −10/13.0767 = −0.7647; p = 0.4444.
        close(emea.p_value.unwrap(), 0.4444, 5e-5);
        close(emea.se_rate.unwrap(), 0.4 * 13.0767, 5e-4);
        // AMER: Δ 0 → z 0 → p 1. Holm over two tests: EMEA 2·0.4444 = 0.8889, AMER
        // max(0.8889, 1·1) = 1.
        close(amer.p_value.unwrap(), 1.0, 1e-12);
        close(emea.p_adjusted.unwrap(), 0.8889, 5e-5);
        close(amer.p_adjusted.unwrap(), 1.0, 1e-12);
        // Total: var_A = .4 + .25 − .15² = .6275, var_B = .375 + .265 − .11² = .6279;
        // se = 100·√((.6275 + .6279)/200) = 7.9228; z = −0.50487; p = 0.61365.
        close(t.p_value.unwrap(), 0.61365, 5e-5);
        // Rate se: AMER var .6 both: se 100·√(.6/100 + .6/120) = 10.488, ×0.55 = 5.7685;
        // √(5.2307² + 5.7685²) = 7.787; z = −4/7.787 = −0.5137; p = 0.6075.
        close(t.rate_se.unwrap(), 7.787, 5e-4);
        close(t.rate_p_value.unwrap(), 0.6075, 5e-4);
        // χ² on [[100, 100, 0], [60, 120, 20]]: expected 80, 110, 10 per row;
        // 2·(20²/80 + 10²/110 + 10²/10) = 2·(5 + 0.90909 + 10) = 31.818; df 2;
        // p = e^(−31.818/2) = 1.23e-7.
        close(t.mix_chi2.unwrap(), 31.818_181_8, 1e-6);
        assert_eq!(t.mix_df, 2);
        close(
            t.mix_p_value.unwrap(),
            (-31.818_181_818_181_8f64 / 2.0).exp(),
            1e-15,
        );
        close(t.mix_p_value.unwrap(), 1.23e-7, 5e-10);
    }

    #[test]
    fn agrees_with_statsmodels_reimers_two_fold() {
        // The research note's independent check (statsmodels 0.15 OaxacaBlinder, two_fold
        // "reimers"): A: EMEA 100 (P 50, D 20), AMER 100 (30, 30), APAC 25 (10, 5);
        // B: EMEA 60 (27, 15), AMER 120 (36, 36), APAC 20 (12, 2). Explained (mix) −4.0000,
        // unexplained (rate) −0.5556, Δ = 11 − 100·35/225 = −4.5556.
        let segs = vec![
            seg("EMEA", Some((100, 50, 20)), Some((60, 27, 15))),
            seg("AMER", Some((100, 30, 30)), Some((120, 36, 36))),
            seg("APAC", Some((25, 10, 5)), Some((20, 12, 2))),
        ];
        let e = decompose(
            &segs,
            Cell::nps(90, 55, 225),
            Cell::nps(75, 53, 200),
            true,
            None,
        );
        close(e.total.mix, -4.0, 5e-5);
        close(e.total.rate, -0.5556, 5e-5);
        close(e.total.delta.unwrap(), -4.5556, 5e-5);
        // By hand: APAC A 20, B 50; shares A 100/225, 100/225, 25/225, B .3, .6, .1.
        // rate = −10·(4/9 + .3)/2 − 0 + 30·(1/9 + .1)/2 = −3.7222 + 3.1667 = −0.5556.
        close(
            e.total.rate,
            -10.0 * (4.0 / 9.0 + 0.3) / 2.0 + 30.0 * (1.0 / 9.0 + 0.1) / 2.0,
            1e-12,
        );
    }

    #[test]
    fn blank_key_is_its_own_segment_and_sorts_last() {
        // Two segments with the same |mix + rate|: the named one first, the blank one last.
        let segs = vec![
            Segment {
                key: None,
                a: Cell::pct(1, 2),
                b: Cell::pct(1, 2),
            },
            Segment {
                key: Some("x".into()),
                a: Cell::pct(1, 2),
                b: Cell::pct(1, 2),
            },
        ];
        let e = decompose(&segs, Cell::pct(2, 4), Cell::pct(2, 4), true, None);
        assert_eq!(e.parts.len(), 2);
        assert_eq!(e.parts[0].key.as_deref(), Some("x"));
        assert_eq!(e.parts[1].key, None);
    }

    #[test]
    fn simpsons_paradox() {
        // Both segments improve; the low one grows from 20 % to 80 % of answers.
        let segs = vec![
            Segment {
                key: Some("hi".into()),
                a: Cell::pct(72, 80), // 90 %
                b: Cell::pct(19, 20), // 95 %
            },
            Segment {
                key: Some("lo".into()),
                a: Cell::pct(10, 20), // 50 %
                b: Cell::pct(44, 80), // 55 %
            },
        ];
        // A: 82/100 = 82 %; B: 63/100 = 63 %; Δ = −19.
        let e = decompose(&segs, Cell::pct(82, 100), Cell::pct(63, 100), true, None);
        close(e.total.delta.unwrap(), -19.0, 1e-12);
        assert!(e.parts.iter().all(|p| p.rate > 0.0));
        // rate: hi (95 − 90)·(0.8 + 0.2)/2 = 2.5, lo (55 − 50)·0.5 = 2.5 → +5;
        // M̄ = 72.5; mix: hi (0.2 − 0.8)·(92.5 − 72.5) = −12, lo 0.6·(52.5 − 72.5) = −12.
        close(e.total.rate, 5.0, 1e-12);
        close(e.total.mix, -24.0, 1e-12);
    }

    #[test]
    fn holm_by_hand() {
        // Sorted .01, .02, .04 → 3·.01 = .03, max(.03, 2·.02 = .04) = .04, max(.04, .04) = .04.
        let h = holm(&[0.04, 0.01, 0.02]);
        close(h[0], 0.04, 1e-15);
        close(h[1], 0.03, 1e-15);
        close(h[2], 0.04, 1e-15);
        assert_eq!(holm(&[0.9, 0.8]), vec![1.0, 1.0]);
    }

    #[test]
    fn chi2_tail_known_values() {
        // 5 % critical values: df 1 3.841459, df 5 11.070498, df 10 18.307038.
        close(chi2_sf(3.841_458_820_694_124, 1.0).unwrap(), 0.05, 1e-12);
        close(chi2_sf(11.070_497_693_516_35, 5.0).unwrap(), 0.05, 1e-12);
        close(chi2_sf(18.307_038_053_275_146, 10.0).unwrap(), 0.05, 1e-12);
        // df 2 is exponential: Q = e^(−x/2).
        close(chi2_sf(1.0, 2.0).unwrap(), (-0.5f64).exp(), 1e-15);
        assert_eq!(chi2_sf(0.0, 3.0), Some(1.0));
        assert_eq!(chi2_sf(1.0, 0.0), None);
        // df 1: P(χ² > x) = P(|Z| > √x).
        close(
            chi2_sf(2.5, 1.0).unwrap(),
            stats::two_sided_p(2.5f64.sqrt()),
            1e-13,
        );
    }

    #[test]
    fn gone_and_single_segment() {
        let segs = vec![
            seg("X", Some((10, 5, 1)), Some((10, 6, 1))),
            seg("Y", Some((10, 0, 5)), None),
        ];
        let e = decompose(
            &segs,
            Cell::nps(5, 6, 20),
            Cell::nps(6, 1, 10),
            false,
            Some(15),
        );
        let y = e
            .parts
            .iter()
            .find(|p| p.key.as_deref() == Some("Y"))
            .unwrap();
        assert_eq!(y.status, Status::Gone);
        assert_eq!((y.rate, y.value_b, y.p_adjusted), (0.0, None, None));
        assert!(y.low_n);
        // --p-adjust none: p_adjusted = p_value.
        let x = e
            .parts
            .iter()
            .find(|p| p.key.as_deref() == Some("X"))
            .unwrap();
        assert_eq!(x.p_adjusted, x.p_value);
        let one = decompose(&segs[..1], None, None, true, None);
        assert_eq!((one.total.mix_chi2, one.total.mix_df), (None, 0));
    }

    /// A segment's (n, value) in A and in B, either possibly absent.
    type Pair = (Option<(u64, f64)>, Option<(u64, f64)>);

    fn cells() -> impl Strategy<Value = Vec<Pair>> {
        let cell = prop::option::weighted(0.85, (1u64..500, -100.0f64..100.0));
        prop::collection::vec((cell.clone(), cell), 1..8)
    }

    fn build(v: &[Pair]) -> Vec<Segment> {
        v.iter()
            .enumerate()
            .map(|(i, (a, b))| {
                let c = |x: &Option<(u64, f64)>| {
                    x.map(|(n, value)| Cell {
                        n,
                        value,
                        var: Some(100.0),
                    })
                };
                Segment {
                    key: Some(format!("s{i}")),
                    a: c(a),
                    b: c(b),
                }
            })
            .collect()
    }

    proptest! {
        #[test]
        fn parts_sum_to_delta(v in cells()) {
            let e = decompose(&build(&v), None, None, true, None);
            if let Some(d) = e.total.delta {
                let s: f64 = e.parts.iter().map(|p| p.mix + p.rate).sum();
                prop_assert!((s - d).abs() <= 1e-12, "{s} vs {d}");
            }
        }

        #[test]
        fn swapping_periods_negates(v in cells()) {
            let segs = build(&v);
            let swapped: Vec<Segment> = segs.iter().map(|s| Segment { key: s.key.clone(), a: s.b, b: s.a }).collect();
            let e = decompose(&segs, None, None, true, None);
            let f = decompose(&swapped, None, None, true, None);
            for p in &e.parts {
                let q = f.parts.iter().find(|q| q.key == p.key).unwrap();
                prop_assert!((p.mix + q.mix).abs() < 1e-9 && (p.rate + q.rate).abs() < 1e-9);
                prop_assert_eq!(p.p_value, q.p_value);
            }
            prop_assert!((e.total.mix + f.total.mix).abs() < 1e-9);
            prop_assert!((e.total.rate + f.total.rate).abs() < 1e-9);
        }

        #[test]
        fn equal_shares_no_mix(v in prop::collection::vec((1u64..50, -100.0f64..100.0, -100.0f64..100.0), 1..8), k in 1u64..4) {
            // B has k times A's counts in every segment: the same shares.
            let segs: Vec<Segment> = v.iter().enumerate().map(|(i, &(n, ra, rb))| Segment {
                key: Some(format!("s{i}")),
                a: Some(Cell { n, value: ra, var: None }),
                b: Some(Cell { n: n * k, value: rb, var: None }),
            }).collect();
            let e = decompose(&segs, None, None, true, None);
            for p in &e.parts { prop_assert!(p.mix.abs() < 1e-9); }
        }

        #[test]
        fn equal_values_no_rate(v in prop::collection::vec((1u64..50, 1u64..50, -100.0f64..100.0), 1..8)) {
            let segs: Vec<Segment> = v.iter().enumerate().map(|(i, &(na, nb, r))| Segment {
                key: Some(format!("s{i}")),
                a: Some(Cell { n: na, value: r, var: None }),
                b: Some(Cell { n: nb, value: r, var: None }),
            }).collect();
            let e = decompose(&segs, None, None, true, None);
            for p in &e.parts { prop_assert_eq!(p.rate, 0.0); }
        }

        #[test]
        fn order_and_labels_do_not_matter(v in cells(), seed in any::<u64>()) {
            let segs = build(&v);
            let mut shuffled = segs.clone();
            // A deterministic shuffle and a relabelling that keeps each key distinct.
            let n = shuffled.len();
            for i in (1..n).rev() {
                let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % (i as u64 + 1)) as usize;
                shuffled.swap(i, j);
            }
            for s in &mut shuffled { s.key = s.key.as_ref().map(|k| format!("z{k}")); }
            let e = decompose(&segs, None, None, true, None);
            let f = decompose(&shuffled, None, None, true, None);
            prop_assert!((e.total.mix - f.total.mix).abs() < 1e-9);
            prop_assert!((e.total.rate - f.total.rate).abs() < 1e-9);
            prop_assert_eq!(e.total.mix_chi2.map(|x| (x * 1e6).round()), f.total.mix_chi2.map(|x| (x * 1e6).round()));
            for p in &e.parts {
                let k = p.key.as_ref().map(|k| format!("z{k}"));
                let q = f.parts.iter().find(|q| q.key == k).unwrap();
                prop_assert!((p.mix - q.mix).abs() < 1e-9 && (p.rate - q.rate).abs() < 1e-9);
                prop_assert_eq!(p.p_adjusted.map(|x| (x * 1e9).round()), q.p_adjusted.map(|x| (x * 1e9).round()));
            }
        }
    }
}
