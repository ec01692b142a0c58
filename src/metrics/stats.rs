//! Statistical primitives for the metric commands (SPEC section 6).
//!
//! Pure functions, no I/O and no panics on any input. Values that are undefined (a
//! denominator of 0, invalid counts, a non-finite input) come back as `None`, so callers
//! can write `null` instead of NaN or infinity.

/// Exact normal quantile Φ⁻¹(p) for 0 < p < 1 (Wichura's algorithm AS 241, PPND16,
/// about 1e-16 relative accuracy).
///
/// Outside the open interval: `p == 0` gives −∞, `p == 1` gives +∞, and `p < 0`, `p > 1`
/// or NaN give NaN (callers validate `--confidence` before getting here).
// The coefficients are written as published (more digits than an f64 holds).
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    // AS 241 coefficients, constant term first.
    const A: [f64; 8] = [
        3.387_132_872_796_366_608_0,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083_0e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061_0e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561_0e3,
    ];
    const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_90,
        5.769_497_221_460_691_405_50,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_70e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_40e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_40,
        6.897_673_349_851_000_045_50e-1,
        1.481_039_764_274_800_745_90e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946_00e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    const E: [f64; 8] = [
        6.657_904_643_501_103_777_20,
        5.463_784_911_164_114_369_90,
        1.784_826_539_917_291_335_80,
        2.965_605_718_285_048_912_30e-1,
        2.653_218_952_657_612_309_30e-2,
        1.242_660_947_388_078_438_60e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_90e-1,
        1.369_298_809_227_358_053_10e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591_00e-4,
        1.846_318_317_510_054_681_80e-5,
        1.421_511_758_316_445_888_70e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * horner(&A, r) / horner(&B, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-tail.ln()).sqrt();
    let val = if r <= 5.0 {
        let r = r - 1.6;
        horner(&C, r) / horner(&D, r)
    } else {
        let r = r - 5.0;
        horner(&E, r) / horner(&F, r)
    };
    if q < 0.0 {
        -val
    } else {
        val
    }
}

/// Polynomial with coefficients `c[0] + c[1]·x + …`, by Horner's rule.
fn horner(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

/// z for a two-sided interval at `confidence` in (0, 1): Φ⁻¹(1 − (1 − confidence)/2).
///
/// Outside (0, 1) the result is not finite (NaN, or +∞ at exactly 1) except at 0 where it
/// is 0; [`wilson`] and [`nps_interval`] answer `None` for a non-finite or negative z.
pub fn z_for(confidence: f64) -> f64 {
    if confidence.is_nan() || !(0.0..=1.0).contains(&confidence) {
        return f64::NAN;
    }
    normal_quantile(1.0 - (1.0 - confidence) / 2.0)
}

/// Both tails of the standard normal distribution, `(Φ(x), 1 − Φ(x))`, each computed
/// directly (no `1 − small` cancellation for the small one).
///
/// W. J. Cody's rational Chebyshev approximations (ACM TOMS 715, ANORM, the algorithm
/// behind R's `pnorm`), with the `exp(-x²/2)` split so the tail keeps full relative
/// accuracy. NaN gives `(NaN, NaN)`.
// The coefficients are written as published (more digits than an f64 holds).
#[allow(clippy::excessive_precision)]
pub fn normal_tails(x: f64) -> (f64, f64) {
    const A: [f64; 5] = [
        2.235_252_035_460_683_928_7,
        1.610_282_310_685_558_788_1e2,
        1.067_689_485_460_370_958_2e3,
        1.815_498_125_334_356_124_9e4,
        6.568_233_791_820_744_911_3e-2,
    ];
    const B: [f64; 4] = [
        4.720_258_190_468_824_187e1,
        9.760_985_517_377_766_932_2e2,
        1.026_093_220_861_897_820_5e4,
        4.550_778_933_502_672_995_6e4,
    ];
    const C: [f64; 9] = [
        3.989_415_120_881_346_676_4e-1,
        8.883_149_794_388_375_941_2,
        9.350_665_613_217_785_597_9e1,
        5.972_702_763_948_002_622_6e2,
        2.494_537_585_290_372_671_1e3,
        6.848_190_450_536_282_332_6e3,
        1.160_265_143_764_735_012_4e4,
        9.842_714_838_383_978_021_8e3,
        1.076_557_677_372_019_231_7e-8,
    ];
    const D: [f64; 8] = [
        2.226_668_804_432_811_569_1e1,
        2.353_879_017_826_249_986_1e2,
        1.519_377_599_407_554_805e3,
        6.485_558_298_266_760_755e3,
        1.861_557_164_088_509_809_1e4,
        3.490_095_272_114_597_726_6e4,
        3.891_200_328_609_327_141_1e4,
        1.968_542_967_685_999_072_7e4,
    ];
    const P: [f64; 6] = [
        2.158_985_340_579_569_9e-1,
        1.274_011_611_602_473_639e-1,
        2.223_527_787_064_980_7e-2,
        1.421_619_193_227_893_466e-3,
        2.911_287_495_116_879_2e-5,
        2.307_344_176_494_017_303e-2,
    ];
    const Q: [f64; 5] = [
        1.284_260_096_144_911_21,
        4.682_382_124_808_651_18e-1,
        6.598_813_786_892_855_15e-2,
        3.782_396_332_027_582_44e-3,
        7.297_515_550_839_662_05e-5,
    ];
    const ONE_OVER_SQRT_2PI: f64 = 0.398_942_280_401_432_677_939_946_059_934;
    const SQRT_32: f64 = 5.656_854_249_492_380_195_206_754_896_838;

    if x.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    let y = x.abs();
    if y <= 0.674_489_75 {
        let (xnum, xden) = if y > f64::EPSILON * 0.5 {
            let xsq = x * x;
            let mut xnum = A[4] * xsq;
            let mut xden = xsq;
            for i in 0..3 {
                xnum = (xnum + A[i]) * xsq;
                xden = (xden + B[i]) * xsq;
            }
            (xnum, xden)
        } else {
            (0.0, 0.0)
        };
        let temp = x * (xnum + A[3]) / (xden + B[3]);
        return (0.5 + temp, 0.5 - temp);
    }
    // `small` is the tail beyond |x|: 1 − Φ(|x|) = Φ(−|x|).
    let small = if y <= SQRT_32 {
        let mut xnum = C[8] * y;
        let mut xden = y;
        for i in 0..7 {
            xnum = (xnum + C[i]) * y;
            xden = (xden + D[i]) * y;
        }
        let temp = (xnum + C[7]) / (xden + D[7]);
        gauss_tail_scale(y) * temp
    } else if y < 37.5193 {
        let xsq = 1.0 / (y * y);
        let mut xnum = P[5] * xsq;
        let mut xden = xsq;
        for i in 0..4 {
            xnum = (xnum + P[i]) * xsq;
            xden = (xden + Q[i]) * xsq;
        }
        let temp = xsq * (xnum + P[4]) / (xden + Q[4]);
        let temp = (ONE_OVER_SQRT_2PI - temp) / y;
        gauss_tail_scale(y) * temp
    } else {
        0.0
    };
    if x > 0.0 {
        (1.0 - small, small)
    } else {
        (small, 1.0 - small)
    }
}

/// `exp(-y²/2)` evaluated as `exp(-ys²/2)·exp(-(y−ys)(y+ys)/2)` with `ys = trunc(16y)/16`,
/// so that the rounding error of `y²` does not spoil the relative accuracy.
fn gauss_tail_scale(y: f64) -> f64 {
    let ysq = (y * 16.0).trunc() / 16.0;
    let del = (y - ysq) * (y + ysq);
    (-ysq * ysq * 0.5).exp() * (-del * 0.5).exp()
}

/// Standard normal CDF Φ(x) (Cody's ANORM, about 1e-15 relative accuracy). NaN for NaN.
pub fn normal_cdf(x: f64) -> f64 {
    normal_tails(x).0
}

/// Two-sided p-value `2·(1 − Φ(|z|))`, computed from the upper tail directly (no
/// cancellation), in [0, 1]. NaN for NaN.
pub fn two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    (2.0 * normal_tails(z.abs()).1).min(1.0)
}

/// Whether `z` can serve as an interval multiplier.
fn usable_z(z: f64) -> bool {
    z.is_finite() && z >= 0.0
}

/// Wilson score interval for `k` successes in `n` trials, as fractions in [0, 1]:
/// `(p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`.
///
/// `None` when `n == 0`, `k > n`, or `z` is negative or not finite. The result always lies
/// in [0, 1] and contains `k/n` (bounds are clamped against last-bit rounding; for `k = 0`
/// the low end is exactly 0 and for `k = n` the high end exactly 1).
pub fn wilson(k: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 || k > n || !usable_z(z) {
        return None;
    }
    let nf = n as f64;
    let phat = k as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (phat + z2 / (2.0 * nf)) / denom;
    let half = z * (phat * (1.0 - phat) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    if !(centre.is_finite() && half.is_finite()) {
        return None;
    }
    let low = if k == 0 {
        0.0
    } else {
        (centre - half).clamp(0.0, phat)
    };
    let high = if k == n {
        1.0
    } else {
        (centre + half).clamp(phat, 1.0)
    };
    Some((low, high))
}

/// NPS interval method (`--ci`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NpsMethod {
    /// Adds 0.75 promoters, 0.75 detractors and 1.5 passives (n' = n + 3). The default.
    #[default]
    AdjustedWald,
    /// Plain Wald interval centred on the NPS.
    Wald,
}

/// An NPS interval, all in NPS points (−100..100).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NpsInterval {
    /// Standard error of the method used, in NPS points (100 × se).
    pub se: f64,
    pub low: f64,
    pub high: f64,
}

/// Variance of one answer's promoter(+1)/detractor(−1) score: `p + d − (p − d)²`, never
/// negative (clamped against rounding).
fn nps_var(p: f64, d: f64) -> f64 {
    (p + d - (p - d) * (p - d)).max(0.0)
}

/// The NPS itself, `100 × (P − D) / n`. `None` when `n == 0` or `P + D > n`.
pub fn nps(p: u64, d: u64, n: u64) -> Option<f64> {
    if n == 0 || !counts_fit(p, d, n) {
        return None;
    }
    Some(100.0 * (p as f64 - d as f64) / n as f64)
}

fn counts_fit(p: u64, d: u64, n: u64) -> bool {
    p.checked_add(d).is_some_and(|s| s <= n)
}

/// NPS interval (SPEC 6.1) for `p` promoters and `d` detractors among `n` answers.
///
/// Wald: `p = P/n, d = D/n, var = p + d − (p − d)², se = sqrt(var/n)`, interval
/// `100 × ((p − d) ± z·se)` clipped to [−100, 100]. Adjusted-Wald: the same with
/// `n' = n + 3, p' = (P + 0.75)/n', d' = (D + 0.75)/n'`, centred on `100 × (p' − d')`.
/// `se` is in NPS points. `None` when `n == 0`, `P + D > n`, or `z` is negative or not
/// finite.
///
/// The interval always contains its centre. It contains the NPS itself for every P, D
/// exactly when `z² ≥ 2(n + 3)/(n + 1)` (adjusted-Wald; always for Wald): at the default
/// 95 % that is every n ≥ 2, at lower confidence levels small n may miss it.
pub fn nps_interval(p: u64, d: u64, n: u64, method: NpsMethod, z: f64) -> Option<NpsInterval> {
    if n == 0 || !counts_fit(p, d, n) || !usable_z(z) {
        return None;
    }
    let (pf, df, nf) = match method {
        NpsMethod::Wald => (p as f64, d as f64, n as f64),
        NpsMethod::AdjustedWald => (p as f64 + 0.75, d as f64 + 0.75, n as f64 + 3.0),
    };
    let pr = pf / nf;
    let dr = df / nf;
    let centre = pr - dr;
    let se = (nps_var(pr, dr) / nf).sqrt();
    let margin = z * se;
    let low = (100.0 * (centre - margin)).clamp(-100.0, 100.0);
    let high = (100.0 * (centre + margin)).clamp(-100.0, 100.0);
    let se = 100.0 * se;
    if !(se.is_finite() && low.is_finite() && high.is_finite()) {
        return None;
    }
    Some(NpsInterval { se, low, high })
}

/// Two-sided p-value of a z test for the difference of two NPS (SPEC 6.1, `--period`),
/// with unadjusted Wald variances: `se_diff = sqrt(var1/n1 + var2/n2)`.
///
/// `None` when `n1` or `n2` is 0, the counts do not fit (`P + D > n`), or `se_diff == 0`.
pub fn nps_p_value(p1: u64, d1: u64, n1: u64, p2: u64, d2: u64, n2: u64) -> Option<f64> {
    if n1 == 0 || n2 == 0 || !counts_fit(p1, d1, n1) || !counts_fit(p2, d2, n2) {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let (pa, da) = (p1 as f64 / n1f, d1 as f64 / n1f);
    let (pb, db) = (p2 as f64 / n2f, d2 as f64 / n2f);
    let se_diff = (nps_var(pa, da) / n1f + nps_var(pb, db) / n2f).sqrt();
    if se_diff.is_nan() || se_diff <= 0.0 {
        return None;
    }
    let z = ((pa - da) - (pb - db)) / se_diff;
    let pv = two_sided_p(z);
    pv.is_finite().then_some(pv)
}

/// Percentile "type 7" of an already sorted slice: linear interpolation between the closest
/// ranks at position `q·(n − 1)`. `None` for an empty slice, `q` outside [0, 1] (or NaN),
/// or a non-finite result.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let (lo, hi, frac) = type7_position(sorted.len(), q)?;
    let a = *sorted.get(lo)?;
    let b = *sorted.get(hi)?;
    let v = if frac == 0.0 || a == b {
        a
    } else {
        let diff = b - a;
        if diff.is_finite() {
            a + frac * diff
        } else {
            a * (1.0 - frac) + b * frac
        }
    };
    v.is_finite().then_some(v)
}

/// [`percentile_sorted`] on integer values (e.g. milliseconds); the difference between
/// neighbours is taken exactly, so no overflow for any i64 values.
pub fn percentile_sorted_i64(sorted: &[i64], q: f64) -> Option<f64> {
    let (lo, hi, frac) = type7_position(sorted.len(), q)?;
    type7_between(*sorted.get(lo)?, *sorted.get(hi)?, frac)
}

/// The type-7 value `frac` of the way from order statistic `a` to the next, `b`.
pub fn type7_between(a: i64, b: i64, frac: f64) -> Option<f64> {
    if frac == 0.0 || a == b {
        return Some(a as f64);
    }
    let diff = (i128::from(b) - i128::from(a)) as f64;
    let v = a as f64 + frac * diff;
    v.is_finite().then_some(v)
}

/// Lower index, upper index and fraction for type-7 interpolation.
pub fn type7_position(len: usize, q: f64) -> Option<(usize, usize, f64)> {
    if len == 0 || q.is_nan() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let last = len - 1;
    let pos = q * last as f64;
    let lo_f = pos.floor();
    // `pos` lies in [0, last], so the casts are in range; `min` guards against rounding.
    let lo = (lo_f as usize).min(last);
    let hi = (lo + 1).min(last);
    let frac = if lo == last { 0.0 } else { pos - lo_f };
    Some((lo, hi, frac))
}

/// Mean and sample standard deviation (n − 1) of a distribution given as
/// `(value, count)` pairs (values may repeat; zero counts are ignored).
///
/// Mean is `None` for n = 0, sd `None` for n < 2. Computed as a shifted, corrected two-pass
/// sum (values are taken relative to the first one, the second pass subtracts the residual
/// of the mean), so large offsets such as epoch milliseconds do not lose precision.
pub fn mean_sd_from_counts(counts: &[(i64, u64)]) -> (Option<f64>, Option<f64>) {
    let nonzero = || counts.iter().filter(|&&(_, c)| c > 0);
    let Some(&(shift, _)) = nonzero().next() else {
        return (None, None);
    };
    let n: u128 = nonzero().map(|&(_, c)| u128::from(c)).sum();
    let nf = n as f64;
    let rel = |v: i64| (i128::from(v) - i128::from(shift)) as f64;
    // First pass: mean of the shifted values.
    let sum: f64 = nonzero().map(|&(v, c)| c as f64 * rel(v)).sum();
    let mean_rel = sum / nf;
    let mean = shift as f64 + mean_rel;
    if !mean.is_finite() {
        return (None, None);
    }
    if n < 2 {
        return (Some(mean), None);
    }
    // Second pass: corrected sum of squares around the mean.
    let (mut ss, mut resid) = (0.0f64, 0.0f64);
    for &(v, c) in nonzero() {
        let dev = rel(v) - mean_rel;
        let cf = c as f64;
        ss += cf * dev * dev;
        resid += cf * dev;
    }
    let ss = (ss - resid * resid / nf).max(0.0);
    let sd = (ss / (nf - 1.0)).sqrt();
    (Some(mean), sd.is_finite().then_some(sd))
}

/// One step of the Kaplan–Meier curve, at an event time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct KmStep {
    t: f64,
    s: f64,
    se: f64,
}

/// Kaplan–Meier survival estimate with Greenwood standard errors (SPEC 6.7).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KaplanMeier {
    n: usize,
    events: usize,
    censored: usize,
    /// One entry per distinct event time, ascending.
    steps: Vec<KmStep>,
}

/// Slack when asking whether S(t) ≤ 0.5: a survival that is exactly one half in exact
/// arithmetic may come out a few ulps above it after the products.
const MEDIAN_TOLERANCE: f64 = 1e-12;

impl KaplanMeier {
    /// Fits the estimator to `(duration, event)` pairs (`event == false`: censored).
    ///
    /// Durations must be finite and ≥ 0; other observations are ignored (not counted in
    /// `n`). At a time with both events and censorings, events come first: subjects
    /// censored at t are still at risk at t.
    pub fn fit(obs: &[(f64, bool)]) -> KaplanMeier {
        let table: Vec<(f64, u64, u64)> = obs
            .iter()
            .map(|&(t, event)| (t, u64::from(event), u64::from(!event)))
            .collect();
        KaplanMeier::from_table(&table)
    }

    /// Fits the estimator to a table of `(duration, events, censored)`: how many subjects
    /// ended at each duration with an event and how many were censored there (the
    /// aggregates of `cxm sql retention --survival --stage aggregates`). The rows may come
    /// in any order and repeat a duration; durations that are not finite and ≥ 0 are
    /// ignored. Gives exactly what [`KaplanMeier::fit`] gives on the same subjects.
    pub fn from_table(table: &[(f64, u64, u64)]) -> KaplanMeier {
        let mut v: Vec<(f64, u64, u64)> = table
            .iter()
            .copied()
            .filter(|&(t, d, c)| t.is_finite() && t >= 0.0 && d + c > 0)
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = v.iter().map(|r| (r.1 + r.2) as usize).sum::<usize>();
        let events = v.iter().map(|r| r.1 as usize).sum::<usize>();
        let mut steps = Vec::new();

        // S is kept as `base × at_risk_now / run_start`, where a "run" is a stretch with no
        // censoring: within it the factors (n_j − d_j)/n_j telescope, so S is a single
        // correctly rounded ratio there (exact when S is e.g. 1/2 without censoring).
        let mut at_risk = n;
        let mut base = 1.0f64;
        let mut run_start = n;
        let mut greenwood = 0.0f64;
        let mut reached_zero = false;
        let mut i = 0;
        while i < v.len() {
            let t = v[i].0;
            let mut j = i;
            let (mut d, mut c) = (0usize, 0usize);
            while j < v.len() && v[j].0 == t {
                d += v[j].1 as usize;
                c += v[j].2 as usize;
                j += 1;
            }
            if d > 0 && !reached_zero {
                let survivors = at_risk - d;
                let (s, se) = if survivors == 0 {
                    reached_zero = true;
                    (0.0, 0.0)
                } else {
                    greenwood += d as f64 / (at_risk as f64 * survivors as f64);
                    let s = base * (survivors as f64 / run_start as f64);
                    (s, s * greenwood.sqrt())
                };
                steps.push(KmStep { t, s, se });
            }
            at_risk -= d + c;
            if c > 0 && !reached_zero {
                base = steps.last().map_or(1.0, |st| st.s);
                run_start = at_risk;
            }
            i = j;
        }
        KaplanMeier {
            n,
            events,
            censored: n - events,
            steps,
        }
    }

    /// Number of observations used.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of events.
    pub fn events(&self) -> usize {
        self.events
    }

    /// Number of censored observations.
    pub fn censored(&self) -> usize {
        self.censored
    }

    /// `(S(t), se)`: the survival at `t` and its Greenwood standard error
    /// `S(t)·sqrt(Σ d_j/(n_j(n_j − d_j)))` over event times ≤ t. Before the first event
    /// `(1, 0)`; past the last observed time S keeps its last value; where S reaches 0 its
    /// se is 0. `None` when there are no observations or `t` is NaN.
    pub fn at(&self, t: f64) -> Option<(f64, f64)> {
        if self.n == 0 || t.is_nan() {
            return None;
        }
        let k = self.steps.partition_point(|st| st.t <= t);
        Some(match k {
            0 => (1.0, 0.0),
            _ => {
                let st = self.steps[k - 1];
                (st.s, st.se)
            }
        })
    }

    /// Median survival: the smallest event time t with S(t) ≤ 0.5; `None` if never reached.
    pub fn median(&self) -> Option<f64> {
        self.steps
            .iter()
            .find(|st| st.s <= 0.5 + MEDIAN_TOLERANCE)
            .map(|st| st.t)
    }

    /// The event times with S and se after each, ascending: `(t, s, se)`.
    pub fn steps(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        self.steps.iter().map(|st| (st.t, st.s, st.se))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const Z95: f64 = 1.959_963_984_540_054;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    macro_rules! assert_close {
        ($a:expr, $b:expr, $tol:expr) => {{
            let (a, b): (f64, f64) = ($a, $b);
            assert!(close(a, b, $tol), "{a} vs {b} (tol {})", $tol);
        }};
        ($a:expr, $b:expr) => {
            assert_close!($a, $b, 1e-12)
        };
    }

    // ---------------------------------------------------------------- quantile, CDF

    #[test]
    fn quantile_reference_values() {
        // Φ⁻¹(0.975) = 1.959963984540054235… (to 40 digits with mpmath).
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() <= 1e-15);
        assert_eq!(normal_quantile(0.5), 0.0);
        // Symmetry: Φ⁻¹(p) = −Φ⁻¹(1 − p).
        assert_close!(normal_quantile(0.025), -1.959_963_984_540_054, 1e-15);
        // Φ⁻¹(0.00134989803163009452665) = −3 (Φ(−3) to 20 digits); central, tail and far
        // tail branches.
        assert_close!(normal_quantile(0.001_349_898_031_630_094_5), -3.0, 1e-14);
        // Φ(−20) = 2.7536241186062336951e-89, the r > 5 branch.
        assert_close!(normal_quantile(2.753_624_118_606_233_7e-89), -20.0, 1e-14);
        // Φ(0.3) = 0.61791142218895263307.
        assert_close!(normal_quantile(0.617_911_422_188_952_6), 0.3, 1e-14);
    }

    #[test]
    fn quantile_outside_domain() {
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(-0.1).is_nan());
        assert!(normal_quantile(1.1).is_nan());
        assert!(normal_quantile(f64::NAN).is_nan());
    }

    #[test]
    fn z_for_levels() {
        // 0.95 → Φ⁻¹(0.975) = 1.959963984540054235…; 0.90 → Φ⁻¹(0.95) = 1.644853626951472714…
        assert!((z_for(0.95) - 1.959_963_984_540_054).abs() <= 1e-15);
        assert!((z_for(0.90) - 1.644_853_626_951_472_2).abs() <= 1e-15);
        assert!(z_for(1.5).is_nan());
        assert!(z_for(f64::NAN).is_nan());
    }

    #[test]
    fn cdf_reference_values() {
        assert_eq!(normal_cdf(0.0), 0.5);
        // Φ(−1) = 0.15865525393145705141…
        assert_close!(normal_cdf(-1.0), 0.158_655_253_931_457_05, 1e-15);
        assert_close!(normal_cdf(1.0), 1.0 - 0.158_655_253_931_457_05, 1e-15);
        // Φ(0.3) = 0.61791142218895263307 (central branch).
        assert_close!(normal_cdf(0.3), 0.617_911_422_188_952_6, 1e-15);
        // Φ(−5) = 2.866515718791939117e-7 (middle branch, relative accuracy).
        assert_close!(normal_cdf(-5.0), 2.866_515_718_791_939e-7, 1e-14);
        // Φ(−10) = 7.619853024160526066e-24 (asymptotic branch).
        assert_close!(normal_cdf(-10.0), 7.619_853_024_160_526e-24, 1e-14);
        // Φ(Φ⁻¹(0.975)) = 0.975 (to 1e-17 at the rounded z).
        assert_close!(normal_cdf(Z95), 0.975, 1e-15);
        assert_eq!(normal_cdf(f64::INFINITY), 1.0);
        assert_eq!(normal_cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(normal_cdf(-40.0), 0.0);
        assert!(normal_cdf(f64::NAN).is_nan());
    }

    #[test]
    fn two_sided_p_values() {
        assert_eq!(two_sided_p(0.0), 1.0);
        assert_close!(two_sided_p(Z95), 0.05, 1e-14);
        assert_close!(two_sided_p(-Z95), 0.05, 1e-14);
        // Upper tail used directly: 2·Φ(−10) = 1.5239706048321052132e-23, which
        // 2·(1 − Φ(10)) would round to 0.
        assert_close!(two_sided_p(10.0), 1.523_970_604_832_105e-23, 1e-14);
        assert_eq!(two_sided_p(f64::INFINITY), 0.0);
        assert!(two_sided_p(f64::NAN).is_nan());
    }

    // ---------------------------------------------------------------- Wilson

    #[test]
    fn wilson_eight_of_ten() {
        // k=8, n=10, z=1.96: p̂ = 0.8, z² = 3.8416, z²/n = 0.38416, denom = 1.38416
        // centre = (0.8 + 3.8416/20)/1.38416 = 0.99208/1.38416 = 0.716737949…
        // half = 1.96·sqrt(0.8·0.2/10 + 3.8416/400)/1.38416
        //      = 1.96·sqrt(0.016 + 0.009604)/1.38416 = 1.96·0.1600125/1.38416 = 0.226581103…
        // → (0.490156847, 0.943319052)
        let (lo, hi) = wilson(8, 10, 1.96).unwrap();
        assert_close!(lo, 0.490_156_846_720_723_3);
        assert_close!(hi, 0.943_319_052_019_306_7);
    }

    #[test]
    fn wilson_extremes() {
        // k = 0: low = 0, high = (z²/2n + z·sqrt(z²/4n²))/(1 + z²/n) = (z²/n)/(1 + z²/n)
        //        = z²/(n + z²) = 3.8416/13.8416 = 0.277540169
        let (lo, hi) = wilson(0, 10, 1.96).unwrap();
        assert_eq!(lo, 0.0);
        assert_close!(hi, 3.8416 / 13.8416);
        // k = n: mirror image, low = n/(n + z²) = 10/13.8416 = 0.722459831, high = 1.
        let (lo, hi) = wilson(10, 10, 1.96).unwrap();
        assert_close!(lo, 10.0 / 13.8416);
        assert_eq!(hi, 1.0);
        assert_eq!(wilson(0, 0, 1.96), None);
        assert_eq!(wilson(3, 2, 1.96), None);
        assert_eq!(wilson(1, 2, f64::NAN), None);
        assert_eq!(wilson(1, 2, f64::INFINITY), None);
        // z = 0 collapses to the point estimate.
        assert_eq!(wilson(1, 4, 0.0), Some((0.25, 0.25)));
    }

    // ---------------------------------------------------------------- NPS

    #[test]
    fn nps_value() {
        assert_eq!(nps(5, 2, 10), Some(30.0));
        assert_eq!(nps(0, 0, 0), None);
        assert_eq!(nps(6, 5, 10), None);
        assert_eq!(nps(u64::MAX, 1, u64::MAX), None);
    }

    #[test]
    fn nps_wald_worked() {
        // P=5, D=2, n=10: p = 0.5, d = 0.2, var = 0.7 − 0.3² = 0.61,
        // se = sqrt(0.61/10) = sqrt(0.061) = 0.2469817807 → 24.69817807 points;
        // interval 30 ± 1.959963984540054 × 24.69817807 = 30 ± 48.40753950
        // → (−18.40753950, 78.40753950).
        let iv = nps_interval(5, 2, 10, NpsMethod::Wald, Z95).unwrap();
        assert_close!(iv.se, 24.698_178_070_456_94);
        assert_close!(iv.low, -18.407_539_501_852_56);
        assert_close!(iv.high, 78.407_539_501_852_57);
    }

    #[test]
    fn nps_adjusted_wald_worked() {
        // P=5, D=2, n=10: n' = 13, p' = 5.75/13, d' = 2.75/13, centre = 100·3/13 = 23.0769231
        // p' + d' = 8.5/13, (p' − d')² = 9/169, var' = 110.5/169 − 9/169 = 101.5/169
        // se = sqrt(101.5/169/13) = sqrt(101.5/2197) = 0.2149403703 → 21.49403703 points
        // interval 23.0769231 ± 1.959963984540054 × 21.49403703 = 23.0769231 ± 42.1276…
        // → (−19.05061538, 65.20446153).
        let iv = nps_interval(5, 2, 10, NpsMethod::AdjustedWald, Z95).unwrap();
        assert_close!(iv.se, 21.494_037_025_977_715);
        assert_close!(iv.low, -19.050_615_376_363_663);
        assert_close!(iv.high, 65.204_461_530_209_81);
        assert_eq!(NpsMethod::default(), NpsMethod::AdjustedWald);
    }

    #[test]
    fn nps_clipping() {
        // All promoters, Wald: p = 1, d = 0, var = 1 − 1 = 0 → se 0, interval [100, 100].
        let iv = nps_interval(10, 0, 10, NpsMethod::Wald, Z95).unwrap();
        assert_eq!((iv.se, iv.low, iv.high), (0.0, 100.0, 100.0));
        // P=9, D=0, n=10, Wald: var = 0.9 − 0.81 = 0.09, se = sqrt(0.009) = 9.48683298 points;
        // 90 + 1.96·9.4868 = 108.59 → clipped to 100; low = 90 − 18.5939 = 71.40614903.
        let iv = nps_interval(9, 0, 10, NpsMethod::Wald, Z95).unwrap();
        assert_close!(iv.se, 9.486_832_980_505_138);
        assert_close!(iv.low, 71.406_149_030_863_16);
        assert_eq!(iv.high, 100.0);
        // All promoters, adjusted: n' = 13, centre = 100·10/13 = 76.9230769,
        // var' = 11.5/13 − 100/169 = 49.5/169, se = sqrt(49.5/2197) = 15.01023774 points,
        // high = 76.92 + 29.42 = 106.34 → 100; low = 47.50355154.
        let iv = nps_interval(10, 0, 10, NpsMethod::AdjustedWald, Z95).unwrap();
        assert_close!(iv.se, 15.010_237_744_338_252);
        assert_close!(iv.low, 47.503_551_544_790_21);
        assert_eq!(iv.high, 100.0);
        // All detractors mirror it at −100.
        let iv = nps_interval(0, 10, 10, NpsMethod::AdjustedWald, Z95).unwrap();
        assert_close!(iv.high, -47.503_551_544_790_21);
        assert_eq!(iv.low, -100.0);
    }

    #[test]
    fn nps_single_answer() {
        // n = 1, one promoter, adjusted: n' = 4, p' = 1.75/4 = 0.4375, d' = 0.75/4 = 0.1875,
        // centre 25, var' = 0.625 − 0.0625 = 0.5625, se = sqrt(0.5625/4) = 0.375 → 37.5,
        // interval 25 ± 73.49864942 = (−48.49864942, 98.49864942): misses nps = 100.
        let iv = nps_interval(1, 0, 1, NpsMethod::AdjustedWald, Z95).unwrap();
        assert_close!(iv.se, 37.5);
        assert_close!(iv.low, -48.498_649_420_252_02);
        assert_close!(iv.high, 98.498_649_420_252_02);
        // Wald with n = 1: variance 0, a point.
        let iv = nps_interval(1, 0, 1, NpsMethod::Wald, Z95).unwrap();
        assert_eq!((iv.se, iv.low, iv.high), (0.0, 100.0, 100.0));
        let iv = nps_interval(0, 0, 1, NpsMethod::Wald, Z95).unwrap();
        assert_eq!((iv.se, iv.low, iv.high), (0.0, 0.0, 0.0));
    }

    #[test]
    fn nps_interval_invalid() {
        assert_eq!(nps_interval(0, 0, 0, NpsMethod::Wald, Z95), None);
        assert_eq!(nps_interval(0, 0, 0, NpsMethod::AdjustedWald, Z95), None);
        assert_eq!(nps_interval(6, 5, 10, NpsMethod::Wald, Z95), None);
        assert_eq!(nps_interval(5, 2, 10, NpsMethod::Wald, f64::NAN), None);
        assert_eq!(nps_interval(5, 2, 10, NpsMethod::Wald, -1.0), None);
        let big = nps_interval(u64::MAX / 2, u64::MAX / 2, u64::MAX, NpsMethod::Wald, Z95);
        assert!(big.is_some_and(|iv| iv.low.is_finite() && iv.high.is_finite()));
    }

    #[test]
    fn nps_p_value_worked() {
        // Period 1: P=50, D=20, n=100 → p=0.5, d=0.2, var1 = 0.7 − 0.09 = 0.61, nps 30.
        // Period 2: P=30, D=30, n=100 → p=d=0.3, var2 = 0.6 − 0 = 0.6, nps 0.
        // se_diff = sqrt(0.61/100 + 0.6/100) = sqrt(0.0121) = 0.11,
        // z = 0.3/0.11 = 2.727272…, p = 2·(1 − Φ(2.727272…)) = erfc(z/√2)
        //   = 0.0063860232827070544 (mpmath, 40 digits).
        let p = nps_p_value(50, 20, 100, 30, 30, 100).unwrap();
        assert_close!(p, 0.006_386_023_282_707_054, 1e-12);
        // Symmetric in the order of the periods.
        assert_close!(nps_p_value(30, 30, 100, 50, 20, 100).unwrap(), p, 1e-14);
        // Equal NPS → z = 0 → p = 1.
        assert_eq!(nps_p_value(5, 2, 10, 50, 20, 100), Some(1.0));
    }

    #[test]
    fn nps_p_value_null_cases() {
        assert_eq!(nps_p_value(1, 0, 0, 1, 0, 1), None);
        assert_eq!(nps_p_value(1, 0, 1, 0, 0, 0), None);
        // Both all promoters: var = 0 on both sides → se_diff = 0.
        assert_eq!(nps_p_value(10, 0, 10, 5, 0, 5), None);
        // All promoters vs all detractors: still se_diff = 0.
        assert_eq!(nps_p_value(10, 0, 10, 0, 5, 5), None);
        assert_eq!(nps_p_value(6, 5, 10, 1, 1, 2), None);
    }

    // ---------------------------------------------------------------- percentiles

    #[test]
    fn percentile_type7() {
        let x = [1.0, 2.0, 3.0, 4.0];
        // q = 0.5: position 0.5·3 = 1.5 → 2 + 0.5·(3 − 2) = 2.5
        assert_close!(percentile_sorted(&x, 0.5).unwrap(), 2.5);
        // q = 0.9: position 2.7 → 3 + 0.7·(4 − 3) = 3.7
        assert_close!(percentile_sorted(&x, 0.9).unwrap(), 3.7);
        assert_eq!(percentile_sorted(&x, 0.0), Some(1.0));
        assert_eq!(percentile_sorted(&x, 1.0), Some(4.0));
        // Single value: every q gives it.
        assert_eq!(percentile_sorted(&[7.5], 0.0), Some(7.5));
        assert_eq!(percentile_sorted(&[7.5], 0.95), Some(7.5));
        // Odd count [1,3,5,7,9]: median at position 2 → 5; q = 0.25 → position 1 → 3;
        // q = 0.1 → position 0.4 → 1 + 0.4·2 = 1.8; q = 0.95 → 3.8 → 7 + 0.8·2 = 8.6.
        let y = [1.0, 3.0, 5.0, 7.0, 9.0];
        assert_eq!(percentile_sorted(&y, 0.5), Some(5.0));
        assert_eq!(percentile_sorted(&y, 0.25), Some(3.0));
        assert_close!(percentile_sorted(&y, 0.1).unwrap(), 1.8);
        assert_close!(percentile_sorted(&y, 0.95).unwrap(), 8.6);
        assert_eq!(percentile_sorted(&[], 0.5), None);
        assert_eq!(percentile_sorted(&x, 1.5), None);
        assert_eq!(percentile_sorted(&x, -0.1), None);
        assert_eq!(percentile_sorted(&x, f64::NAN), None);
        // Extreme neighbours: no overflow to infinity.
        let w = [-f64::MAX, f64::MAX];
        assert_close!(percentile_sorted(&w, 0.5).unwrap(), 0.0);
        assert_eq!(percentile_sorted(&[1.0, f64::INFINITY], 0.5), None);
    }

    #[test]
    fn percentile_i64() {
        // Milliseconds [1000, 2000, 3000, 4000] at 0.9 → 3000 + 0.7·1000 = 3700.
        let x = [1000, 2000, 3000, 4000];
        assert_close!(percentile_sorted_i64(&x, 0.9).unwrap(), 3700.0);
        assert_close!(percentile_sorted_i64(&x, 0.5).unwrap(), 2500.0);
        assert_eq!(percentile_sorted_i64(&[42], 0.3), Some(42.0));
        assert_eq!(percentile_sorted_i64(&[], 0.3), None);
        // i64::MIN..i64::MAX: the difference 2^64 − 1 is taken in i128, midpoint ≈ 0.
        let m = percentile_sorted_i64(&[i64::MIN, i64::MAX], 0.5).unwrap();
        assert!(m.abs() <= 1.0, "{m}");
    }

    // ---------------------------------------------------------------- mean / sd

    #[test]
    fn mean_sd_counts() {
        // Values 1,1,2,2,2,5: n = 6, Σx = 13, mean = 13/6 = 2.1666…,
        // Σx² = 1+1+4+4+4+25 = 39, SS = 39 − 13²/6 = 65/6, var = SS/5 = 13/6,
        // sd = sqrt(13/6) = 1.4719601443879744.
        let (m, sd) = mean_sd_from_counts(&[(1, 2), (2, 3), (5, 1)]);
        assert_close!(m.unwrap(), 13.0 / 6.0);
        assert_close!(sd.unwrap(), 1.471_960_144_387_974_4);
        // Same spread shifted by 10^15: deviations unchanged, so sd is unchanged.
        let o = 1_000_000_000_000_000i64;
        let (m, sd) = mean_sd_from_counts(&[(o + 1, 2), (o + 2, 3), (o + 5, 1)]);
        assert_close!(m.unwrap(), 1e15 + 13.0 / 6.0);
        assert_close!(sd.unwrap(), 1.471_960_144_387_974_4, 1e-9);
        // Order, repeated values and zero counts do not matter.
        let (m, sd) = mean_sd_from_counts(&[(5, 0), (2, 1), (5, 1), (1, 2), (9, 0), (2, 2)]);
        assert_close!(m.unwrap(), 13.0 / 6.0);
        assert_close!(sd.unwrap(), 1.471_960_144_387_974_4);
    }

    #[test]
    fn mean_sd_small_n() {
        assert_eq!(mean_sd_from_counts(&[]), (None, None));
        assert_eq!(mean_sd_from_counts(&[(3, 0)]), (None, None));
        assert_eq!(mean_sd_from_counts(&[(3, 1)]), (Some(3.0), None));
        // Constant data: sd exactly 0.
        assert_eq!(mean_sd_from_counts(&[(4, 5)]), (Some(4.0), Some(0.0)));
        // Two values 1 and 7 (CES-like): mean 4, var = (9 + 9)/1 = 18, sd = sqrt(18).
        let (m, sd) = mean_sd_from_counts(&[(1, 1), (7, 1)]);
        assert_eq!(m, Some(4.0));
        assert_close!(sd.unwrap(), 18f64.sqrt());
        // Extreme values stay finite.
        let (m, sd) = mean_sd_from_counts(&[(i64::MIN, u64::MAX), (i64::MAX, u64::MAX)]);
        assert!(m.unwrap().abs() <= 1.0);
        assert!(sd.unwrap().is_finite());
    }

    // ---------------------------------------------------------------- Kaplan–Meier

    #[test]
    fn km_ties_and_censoring() {
        // (1,E) (2,E) (2,C) (3,E) (4,C) (5,E):
        // t=1: n=6, d=1 → S = 5/6;            G = 1/(6·5) = 1/30
        // t=2: n=5 (the censored at 2 is at risk), d=1 → S = 5/6·4/5 = 2/3;
        //      G = 1/30 + 1/(5·4) = 1/12
        // t=3: n=3, d=1 → S = 2/3·2/3 = 4/9;  G = 1/12 + 1/(3·2) = 1/4
        // t=4: censored only, n=2, no step
        // t=5: n=1, d=1 → S = 0, se 0.
        // se(1) = 5/6·sqrt(1/30) = 0.152145155, se(2) = 2/3·sqrt(1/12) = 0.192450090,
        // se(3) = 4/9·sqrt(1/4) = 2/9.
        let km = KaplanMeier::fit(&[
            (1.0, true),
            (2.0, true),
            (2.0, false),
            (3.0, true),
            (4.0, false),
            (5.0, true),
        ]);
        assert_eq!((km.n(), km.events(), km.censored()), (6, 4, 2));
        assert_eq!(km.at(0.0), Some((1.0, 0.0)));
        assert_eq!(km.at(0.999), Some((1.0, 0.0)));
        let (s, se) = km.at(1.0).unwrap();
        assert_close!(s, 5.0 / 6.0);
        assert_close!(se, 5.0 / 6.0 * (1.0f64 / 30.0).sqrt());
        let (s, se) = km.at(2.5).unwrap();
        assert_close!(s, 2.0 / 3.0);
        assert_close!(se, 2.0 / 3.0 * (1.0f64 / 12.0).sqrt());
        let (s, se) = km.at(4.5).unwrap();
        assert_close!(s, 4.0 / 9.0);
        assert_close!(se, 2.0 / 9.0);
        // S reaches 0 at t=5: se is 0 there and after.
        assert_eq!(km.at(5.0), Some((0.0, 0.0)));
        assert_eq!(km.at(1e9), Some((0.0, 0.0)));
        // Median: S(1) = 0.83, S(2) = 0.67, S(3) = 0.44 ≤ 0.5 → 3.
        assert_eq!(km.median(), Some(3.0));
        // Input order does not matter; censoring listed before the event at the same time
        // still counts as at risk.
        let km2 = KaplanMeier::fit(&[
            (5.0, true),
            (4.0, false),
            (2.0, false),
            (3.0, true),
            (2.0, true),
            (1.0, true),
        ]);
        assert_eq!(km, km2);
        assert_eq!(km.steps().count(), 4);
    }

    #[test]
    fn km_past_last_time_and_no_median() {
        // (1,E) (2,C) (3,C): t=1: n=3, d=1 → S = 2/3, G = 1/(3·2) = 1/6,
        // se = 2/3·sqrt(1/6) = 0.272165527; nothing after, so S stays 2/3 for ever.
        let km = KaplanMeier::fit(&[(1.0, true), (2.0, false), (3.0, false)]);
        let (s, se) = km.at(100.0).unwrap();
        assert_close!(s, 2.0 / 3.0);
        assert_close!(se, 2.0 / 3.0 * (1.0f64 / 6.0).sqrt());
        assert_eq!(km.median(), None);
        assert_eq!((km.n(), km.events(), km.censored()), (3, 1, 2));
    }

    #[test]
    fn km_median_exactly_half() {
        // Four events, no censoring: S(2) = 2/4 = 0.5 exactly → median 2.
        let km = KaplanMeier::fit(&[(1.0, true), (2.0, true), (3.0, true), (4.0, true)]);
        assert_eq!(km.at(2.0).unwrap().0, 0.5);
        assert_eq!(km.median(), Some(2.0));
        // Six events: after three, S = 3/6 = 1/2 (the product 5/6·4/5·3/4 in floats might
        // land an ulp above 0.5; the telescoped ratio is exact).
        let obs: Vec<(f64, bool)> = (1..=6).map(|t| (f64::from(t), true)).collect();
        let km = KaplanMeier::fit(&obs);
        assert_eq!(km.at(3.0).unwrap().0, 0.5);
        assert_eq!(km.median(), Some(3.0));
        // With censoring: (1,E) (2,C) (3,E) (4,E): S(1) = 3/4, at t=3 n=2, S = 3/4·1/2 = 3/8
        // → median 3.
        let km = KaplanMeier::fit(&[(1.0, true), (2.0, false), (3.0, true), (4.0, true)]);
        assert_close!(km.at(3.0).unwrap().0, 0.375);
        assert_eq!(km.median(), Some(3.0));
    }

    #[test]
    fn km_all_tied_events_reach_zero() {
        // Two events at t=1: n=2, d=2 → S = 0, se 0 (the Greenwood term would divide by 0).
        let km = KaplanMeier::fit(&[(1.0, true), (1.0, true)]);
        assert_eq!(km.at(1.0), Some((0.0, 0.0)));
        assert_eq!(km.median(), Some(1.0));
        // Event and censoring at the same last time: n=2, d=1 → S = 1/2, G = 1/(2·1),
        // se = 0.5·sqrt(0.5).
        let km = KaplanMeier::fit(&[(3.0, true), (3.0, false)]);
        let (s, se) = km.at(3.0).unwrap();
        assert_eq!(s, 0.5);
        assert_close!(se, 0.5 * 0.5f64.sqrt());
        assert_eq!(km.median(), Some(3.0));
    }

    #[test]
    fn km_empty_and_invalid() {
        let km = KaplanMeier::fit(&[]);
        assert_eq!((km.n(), km.events(), km.censored()), (0, 0, 0));
        assert_eq!(km.at(1.0), None);
        assert_eq!(km.median(), None);
        // Negative, NaN and infinite durations are ignored.
        let km = KaplanMeier::fit(&[
            (f64::NAN, true),
            (-1.0, true),
            (f64::INFINITY, false),
            (2.0, true),
            (0.0, false),
        ]);
        assert_eq!((km.n(), km.events(), km.censored()), (2, 1, 1));
        // t=0 censored (at risk only at 0), t=2: n=1, d=1 → S = 0.
        assert_eq!(km.at(2.0), Some((0.0, 0.0)));
        assert_eq!(km.at(f64::NAN), None);
        assert_eq!(km.at(-5.0), Some((1.0, 0.0)));
        // Only censored: S = 1 everywhere, no median.
        let km = KaplanMeier::fit(&[(1.0, false), (2.0, false)]);
        assert_eq!(km.at(10.0), Some((1.0, 0.0)));
        assert_eq!(km.median(), None);
    }

    // ---------------------------------------------------------------- properties

    fn pdn() -> impl Strategy<Value = (u64, u64, u64)> {
        (2u64..5000)
            .prop_flat_map(|n| (0..=n, Just(n)))
            .prop_flat_map(|(p, n)| (Just(p), 0..=n - p, Just(n)))
    }

    proptest! {
        #[test]
        fn prop_nps_interval_contains_centre_and_nps(
            (p, d, n) in pdn(),
            adjusted in any::<bool>(),
            confidence in 0.95f64..0.9999,
        ) {
            let z = z_for(confidence);
            let method = if adjusted { NpsMethod::AdjustedWald } else { NpsMethod::Wald };
            let iv = nps_interval(p, d, n, method, z).unwrap();
            let score = nps(p, d, n).unwrap();
            let centre = if adjusted {
                100.0 * ((p as f64 + 0.75) / (n as f64 + 3.0) - (d as f64 + 0.75) / (n as f64 + 3.0))
            } else {
                score
            };
            prop_assert!(-100.0 <= iv.low && iv.low <= iv.high && iv.high <= 100.0);
            prop_assert!(iv.low <= centre && centre <= iv.high, "{iv:?} centre {centre}");
            prop_assert!(iv.low <= score && score <= iv.high, "{iv:?} nps {score}");
            prop_assert!(iv.se.is_finite() && iv.se >= 0.0);
        }

        #[test]
        fn prop_nps_interval_any_input_no_panic(
            p in any::<u64>(), d in any::<u64>(), n in any::<u64>(), z in any::<f64>(),
        ) {
            for m in [NpsMethod::Wald, NpsMethod::AdjustedWald] {
                if let Some(iv) = nps_interval(p, d, n, m, z) {
                    prop_assert!(iv.low.is_finite() && iv.high.is_finite() && iv.se.is_finite());
                    prop_assert!(-100.0 <= iv.low && iv.low <= iv.high && iv.high <= 100.0);
                }
            }
            if let Some(pv) = nps_p_value(p, d, n, d, p, n) {
                prop_assert!((0.0..=1.0).contains(&pv));
            }
        }

        #[test]
        fn prop_wilson_within_unit_and_contains_phat(
            (k, n) in (1u64..1_000_000).prop_flat_map(|n| (0..=n, Just(n))),
            z in 0.0f64..6.0,
        ) {
            let (lo, hi) = wilson(k, n, z).unwrap();
            let phat = k as f64 / n as f64;
            prop_assert!((0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi));
            prop_assert!(lo <= phat && phat <= hi, "({lo}, {hi}) vs {phat}");
        }

        #[test]
        fn prop_quantile_inverts_cdf(x in -8.0f64..8.0) {
            let p = normal_cdf(x);
            prop_assume!(p > 0.0 && p < 1.0);
            // Near the upper end Φ(x) rounds to a coarse grid; compare via the lower tail.
            let back = if x > 0.0 { -normal_quantile(normal_cdf(-x)) } else { normal_quantile(p) };
            prop_assert!((back - x).abs() <= 1e-12 * x.abs().max(1.0), "{x} -> {back}");
        }

        #[test]
        fn prop_percentile_within_range(
            mut v in prop::collection::vec(-1e12f64..1e12, 1..50), q in 0.0f64..=1.0,
        ) {
            v.sort_by(f64::total_cmp);
            let r = percentile_sorted(&v, q).unwrap();
            prop_assert!(v[0] <= r && r <= v[v.len() - 1]);
        }

        #[test]
        fn prop_km_table_equals_observations(
            obs in prop::collection::vec((0u8..20, any::<bool>()), 0..60),
        ) {
            // The aggregates path: one (duration, events, censored) row per duration, in
            // reverse order, gives bit for bit what the observations give.
            let obs: Vec<(f64, bool)> = obs.into_iter().map(|(t, e)| (f64::from(t) / 7.0, e)).collect();
            let mut table: std::collections::BTreeMap<u64, (u64, u64)> = Default::default();
            for &(t, e) in &obs {
                let cell = table.entry(t.to_bits()).or_default();
                if e { cell.0 += 1 } else { cell.1 += 1 }
            }
            let rows: Vec<(f64, u64, u64)> = table
                .into_iter()
                .rev()
                .map(|(t, (d, c))| (f64::from_bits(t), d, c))
                .collect();
            prop_assert_eq!(KaplanMeier::from_table(&rows), KaplanMeier::fit(&obs));
        }

        #[test]
        fn prop_km_monotone(
            obs in prop::collection::vec((0u8..20, any::<bool>()), 0..60),
        ) {
            let obs: Vec<(f64, bool)> = obs.into_iter().map(|(t, e)| (f64::from(t), e)).collect();
            let km = KaplanMeier::fit(&obs);
            prop_assert_eq!(km.n(), obs.len());
            let mut prev = 1.0;
            for t in 0..25 {
                if let Some((s, se)) = km.at(f64::from(t)) {
                    prop_assert!((0.0..=prev).contains(&s));
                    prop_assert!(se.is_finite() && se >= 0.0);
                    prev = s;
                }
            }
            if let Some(m) = km.median() {
                prop_assert!(km.at(m).unwrap().0 <= 0.5 + 1e-12);
            }
        }
    }
}
