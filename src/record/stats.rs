//! The statistics behind the evidence, as pure functions of counts: two proportions (pooled
//! z-test, Wald interval of the difference, delta-method interval of the relative lift, the
//! exact Beta-Binomial chance to beat control), two means (Welch's t-test), the sample-ratio
//! check (chi-square goodness of fit) and the sample size of a planned test.
//!
//! Closed forms only, no simulation: the same counts give the same digits on every run. Every
//! function answers `None` rather than a NaN or an infinity when its counts cannot say (no
//! units, a control rate of 0 for a relative lift), and works with counts up to 10^12.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};
use statrs::function::gamma::ln_gamma;

/// The two-sided confidence of every interval: 95%.
pub const CONFIDENCE: f64 = 0.95;

/// The exact chance to beat control sums one term per conversion of the smaller arm (plus
/// one); beyond this many terms it is approximated.
pub const EXACT_TERMS: u64 = 10_000;

/// Beyond this many units in an arm the log-gamma differences of the exact sum lose digits,
/// and the chance to beat control is approximated.
pub const EXACT_UNITS: u64 = 1_000_000_000;

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    fn around(center: f64, half: f64) -> Option<Interval> {
        let (low, high) = (center - half, center + half);
        (low.is_finite() && high.is_finite()).then_some(Interval { low, high })
    }
}

/// A treatment against the control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Treatment minus control (rates as fractions, or means).
    pub difference: f64,
    /// The 95% interval of the difference.
    pub difference_interval: Interval,
    /// The difference as a fraction of the control's value; `None` when that is 0.
    pub lift: Option<f64>,
    /// The 95% interval of the lift (delta method); `None` with the lift.
    pub lift_interval: Option<Interval>,
    /// The test statistic: z (proportions) or Welch's t (means).
    pub statistic: f64,
    /// Welch's degrees of freedom (means only).
    pub df: Option<f64>,
    /// The two-sided p-value, in [0, 1].
    pub p_value: f64,
    /// The chance that the treatment's true value is above the control's, in [0, 1].
    pub chance_above: f64,
}

/// The standard normal distribution.
fn normal() -> Option<Normal> {
    Normal::new(0.0, 1.0).ok()
}

/// The normal quantile of a two-sided interval of [`CONFIDENCE`]: 1.959964...
pub fn z_interval() -> f64 {
    z_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0).unwrap_or(1.959_963_984_540_054)
}

/// The standard normal quantile of `p` (in (0, 1)).
pub fn z_quantile(p: f64) -> Option<f64> {
    (p > 0.0 && p < 1.0)
        .then(|| normal().map(|n| n.inverse_cdf(p)))
        .flatten()
        .filter(|z| z.is_finite())
}

/// The chance a standard normal is at most `x`.
fn phi(x: f64) -> f64 {
    normal().map_or(0.5, |n| n.cdf(x)).clamp(0.0, 1.0)
}

/// The two-sided p-value of a standard normal statistic.
fn two_sided_normal(z: f64) -> f64 {
    normal()
        .map_or(1.0, |n| 2.0 * n.sf(z.abs()))
        .clamp(0.0, 1.0)
}

/// The lift `treatment / control - 1` with its interval, from each arm's value and the
/// standard error of that value, using the quantile `q`: on the log of the ratio when both
/// values are positive (Katz's interval for a ratio of rates), else by the delta method on the
/// ratio itself (a mean that is 0 or below).
fn lift(
    control: f64,
    se_control: f64,
    treatment: f64,
    se_treatment: f64,
    q: f64,
) -> Option<(f64, Interval)> {
    if control == 0.0 {
        return None;
    }
    let lift = treatment / control - 1.0;
    let interval = if control > 0.0 && treatment > 0.0 {
        let log = (treatment / control).ln();
        let se = ((se_treatment / treatment).powi(2) + (se_control / control).powi(2)).sqrt();
        Interval {
            low: (log - q * se).exp() - 1.0,
            high: (log + q * se).exp() - 1.0,
        }
    } else {
        let variance = se_treatment.powi(2) / control.powi(2)
            + treatment.powi(2) * se_control.powi(2) / control.powi(4);
        Interval::around(lift, q * variance.sqrt())?
    };
    let finite = [lift, interval.low, interval.high]
        .iter()
        .all(|x| x.is_finite());
    finite.then_some((lift, interval))
}

/// Two proportions: `c1` conversions of `n1` units in the control, `c2` of `n2` in the
/// treatment. The pooled two-proportion z-test, the Wald interval of the difference of rates,
/// the delta-method interval of the relative lift and the chance to beat control (see
/// [`chance_above`]). `None` when an arm has no units or counts more conversions than units.
pub fn proportions(c1: u64, n1: u64, c2: u64, n2: u64) -> Option<Comparison> {
    if n1 == 0 || n2 == 0 || c1 > n1 || c2 > n2 {
        return None;
    }
    let (fc1, fn1, fc2, fn2) = (c1 as f64, n1 as f64, c2 as f64, n2 as f64);
    let (p1, p2) = (fc1 / fn1, fc2 / fn2);
    let difference = p2 - p1;
    let pooled = (fc1 + fc2) / (fn1 + fn2);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / fn1 + 1.0 / fn2)).sqrt();
    // Pooled rate 0 or 1: both arms alike, no evidence of a difference.
    let z = if se_pooled > 0.0 {
        difference / se_pooled
    } else {
        0.0
    };
    let (se1, se2) = (
        (p1 * (1.0 - p1) / fn1).sqrt(),
        (p2 * (1.0 - p2) / fn2).sqrt(),
    );
    let q = z_interval();
    let difference_interval = Interval::around(difference, q * (se1.powi(2) + se2.powi(2)).sqrt())?;
    let lifted = lift(p1, se1, p2, se2, q);
    let comparison = Comparison {
        difference,
        difference_interval,
        lift: lifted.map(|l| l.0),
        lift_interval: lifted.map(|l| l.1),
        statistic: z,
        df: None,
        p_value: two_sided_normal(z),
        chance_above: chance_above(c1, n1, c2, n2)?,
    };
    comparison.is_finite().then_some(comparison)
}

impl Comparison {
    fn is_finite(&self) -> bool {
        [
            self.difference,
            self.difference_interval.low,
            self.difference_interval.high,
            self.statistic,
            self.p_value,
            self.chance_above,
        ]
        .iter()
        .chain(self.lift.iter())
        .chain(self.df.iter())
        .all(|x| x.is_finite())
    }
}

/// The chance that the treatment's true rate is above the control's, each rate's belief a
/// Beta distribution from a uniform prior and the arm's counts: Beta(1 + c, 1 + n - c).
///
/// Summed exactly (Evan Miller's closed form, one term per conversion of the smaller arm)
/// while that arm has at most [`EXACT_TERMS`] conversions and no arm more than [`EXACT_UNITS`]
/// units; beyond that, the normal approximation of the two Beta distributions, which is then
/// as good as exact to the digits shown.
pub fn chance_above(c1: u64, n1: u64, c2: u64, n2: u64) -> Option<f64> {
    if c1 > n1 || c2 > n2 {
        return None;
    }
    let (a1, b1) = (1.0 + c1 as f64, 1.0 + (n1 - c1) as f64);
    let (a2, b2) = (1.0 + c2 as f64, 1.0 + (n2 - c2) as f64);
    let exact = c1.min(c2) < EXACT_TERMS && n1.max(n2) <= EXACT_UNITS;
    let chance = if !exact {
        let mean = |a: f64, b: f64| a / (a + b);
        let var = |a: f64, b: f64| a * b / ((a + b).powi(2) * (a + b + 1.0));
        let sd = (var(a1, b1) + var(a2, b2)).sqrt();
        phi((mean(a2, b2) - mean(a1, b1)) / sd)
    } else if c2 <= c1 {
        beta_above(a1, b1, a2, b2)?
    } else {
        1.0 - beta_above(a2, b2, a1, b1)?
    };
    chance.is_finite().then(|| chance.clamp(0.0, 1.0))
}

/// P(Y > X) for X ~ Beta(a1, b1) and Y ~ Beta(a2, b2) with `a2` a whole number: the sum over
/// i < a2 of B(a1 + i, b1 + b2) / ((b2 + i) B(1 + i, b2) B(a1, b1)).
fn beta_above(a1: f64, b1: f64, a2: f64, b2: f64) -> Option<f64> {
    let ln_beta = |a: f64, b: f64| ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    let fixed = ln_beta(a1, b1);
    let mut total = 0.0;
    let mut i = 0.0;
    while i < a2 {
        total += (ln_beta(a1 + i, b1 + b2) - (b2 + i).ln() - ln_beta(1.0 + i, b2) - fixed).exp();
        i += 1.0;
    }
    total.is_finite().then_some(total)
}

/// A mean with its standard deviation over `n` units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
}

/// Two means: Welch's t-test (unequal variances, Welch–Satterthwaite degrees of freedom), the
/// t interval of the difference, the delta-method interval of the relative lift, and the chance
/// to beat control from the normal approximation, Φ(difference / standard error). `None` with
/// fewer than two units in an arm, or when both deviations are 0 and the means differ.
pub fn means(control: Sample, treatment: Sample) -> Option<Comparison> {
    if control.n < 2 || treatment.n < 2 {
        return None;
    }
    let finite = [control.mean, control.sd, treatment.mean, treatment.sd];
    if finite.iter().any(|x| !x.is_finite()) || control.sd < 0.0 || treatment.sd < 0.0 {
        return None;
    }
    let (n1, n2) = (control.n as f64, treatment.n as f64);
    let (v1, v2) = (control.sd.powi(2) / n1, treatment.sd.powi(2) / n2);
    let se = (v1 + v2).sqrt();
    let difference = treatment.mean - control.mean;
    let (t, df, p_value, chance_above) = if se > 0.0 {
        let df = (v1 + v2).powi(2) / (v1.powi(2) / (n1 - 1.0) + v2.powi(2) / (n2 - 1.0));
        let t = difference / se;
        (t, df, two_sided_t(t, df), phi(t))
    } else if difference == 0.0 {
        (0.0, n1 + n2 - 2.0, 1.0, 0.5)
    } else {
        return None;
    };
    let q = t_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0, df)?;
    let lifted = lift(control.mean, v1.sqrt(), treatment.mean, v2.sqrt(), q);
    let comparison = Comparison {
        difference,
        difference_interval: Interval::around(difference, q * se)?,
        lift: lifted.map(|l| l.0),
        lift_interval: lifted.map(|l| l.1),
        statistic: t,
        df: Some(df),
        p_value,
        chance_above,
    };
    comparison.is_finite().then_some(comparison)
}

/// Past this many degrees of freedom Student's t is the normal distribution to every digit
/// shown, and the normal is used.
const T_AS_NORMAL: f64 = 1e7;

/// The two-sided p-value of Student's t with `df` degrees of freedom.
fn two_sided_t(t: f64, df: f64) -> f64 {
    if df > T_AS_NORMAL {
        return two_sided_normal(t);
    }
    StudentsT::new(0.0, 1.0, df)
        .map_or(1.0, |d| 2.0 * d.sf(t.abs()))
        .clamp(0.0, 1.0)
}

/// The quantile `p` of Student's t with `df` degrees of freedom.
fn t_quantile(p: f64, df: f64) -> Option<f64> {
    if df > T_AS_NORMAL {
        return z_quantile(p);
    }
    StudentsT::new(0.0, 1.0, df)
        .ok()
        .map(|d| d.inverse_cdf(p))
        .filter(|q| q.is_finite())
}

/// The sample-ratio check: chi-square goodness of fit of the units per arm against the planned
/// shares (any positive numbers; they are normalized).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleRatio {
    pub chi_square: f64,
    pub df: u64,
    pub p_value: f64,
}

/// [`SampleRatio`] of `units` against `shares`; `None` without units, with fewer than two
/// arms, with a share that is not positive, or when the lists differ in length.
pub fn sample_ratio(units: &[u64], shares: &[f64]) -> Option<SampleRatio> {
    if units.len() < 2 || units.len() != shares.len() {
        return None;
    }
    if shares.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return None;
    }
    let total: f64 = units.iter().map(|&u| u as f64).sum();
    let share_total: f64 = shares.iter().sum();
    if total <= 0.0 || !share_total.is_finite() {
        return None;
    }
    let chi_square: f64 = units
        .iter()
        .zip(shares)
        .map(|(&u, s)| {
            let expected = total * s / share_total;
            (u as f64 - expected).powi(2) / expected
        })
        .sum();
    let df = (units.len() - 1) as u64;
    let p_value = ChiSquared::new(df as f64)
        .ok()?
        .sf(chi_square)
        .clamp(0.0, 1.0);
    (chi_square.is_finite() && p_value.is_finite()).then_some(SampleRatio {
        chi_square,
        df,
        p_value,
    })
}

/// The units the control arm needs for a two-sided test at `alpha` to find the difference
/// between rates `p1` (control) and `p2` with `power`, when each treatment arm gets `ratio`
/// times the control's units:
/// `(z(1-alpha/2) sqrt(p q (1 + 1/r)) + z(power) sqrt(p1 q1 + p2 q2 / r))^2 / (p2 - p1)^2`,
/// with `p` the rate pooled by the split. Not rounded.
pub fn proportions_sample(p1: f64, p2: f64, alpha: f64, power: f64, ratio: f64) -> Option<f64> {
    let rate = |p: f64| p > 0.0 && p < 1.0;
    if !(rate(p1) && rate(p2) && p1 != p2 && ratio.is_finite() && ratio > 0.0) {
        return None;
    }
    let (za, zb) = (z_quantile(1.0 - alpha / 2.0)?, z_quantile(power)?);
    let pooled = (p1 + ratio * p2) / (1.0 + ratio);
    let spread = za * (pooled * (1.0 - pooled) * (1.0 + 1.0 / ratio)).sqrt()
        + zb * (p1 * (1.0 - p1) + p2 * (1.0 - p2) / ratio).sqrt();
    let n = spread.powi(2) / (p2 - p1).powi(2);
    (n.is_finite() && n > 0.0).then_some(n)
}

/// The units the control arm needs for a two-sided test of means at `alpha` to find a
/// difference `delta` with `power`, the metric's standard deviation `sd` in both arms:
/// `(z(1-alpha/2) + z(power))^2 sd^2 (1 + 1/r) / delta^2`. Not rounded.
pub fn means_sample(delta: f64, sd: f64, alpha: f64, power: f64, ratio: f64) -> Option<f64> {
    if !(delta.is_finite() && delta != 0.0 && sd.is_finite() && sd > 0.0) {
        return None;
    }
    if !(ratio.is_finite() && ratio > 0.0) {
        return None;
    }
    let (za, zb) = (z_quantile(1.0 - alpha / 2.0)?, z_quantile(power)?);
    let n = (za + zb).powi(2) * sd.powi(2) * (1.0 + 1.0 / ratio) / delta.powi(2);
    (n.is_finite() && n > 0.0).then_some(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn near(a: f64, b: f64, within: f64) -> bool {
        (a - b).abs() <= within
    }

    /// The vectors the README pins, computed with the standard formulas.
    #[test]
    fn pinned_vectors_of_two_proportions() {
        let c = proportions(320, 10_000, 371, 10_000).unwrap();
        assert!(near(c.statistic, 1.974541, 5e-7), "z {}", c.statistic);
        assert!(near(c.p_value, 0.048320, 5e-7), "p {}", c.p_value);
        let i = c.difference_interval;
        assert!(near(i.low, 0.000038, 5e-7), "low {}", i.low);
        assert!(near(i.high, 0.010162, 5e-7), "high {}", i.high);
        assert!(
            near(c.chance_above, 0.975798, 5e-7),
            "chance {}",
            c.chance_above
        );
        assert!(near(c.difference, 0.0051, 1e-12));
        assert!(near(c.lift.unwrap(), 0.159375, 1e-12));
        let l = c.lift_interval.unwrap();
        assert!(
            near(l.low, 0.000944, 5e-7) && near(l.high, 0.342883, 5e-7),
            "{l:?}"
        );
    }

    #[test]
    fn pinned_vectors_of_the_sample_ratio() {
        let s = sample_ratio(&[10_000, 10_300], &[50.0, 50.0]).unwrap();
        assert!(near(s.chi_square, 4.433498, 5e-7), "{s:?}");
        assert!(near(s.p_value, 0.035240, 5e-7), "{s:?}");
        assert_eq!(s.df, 1);
        let s = sample_ratio(&[10_000, 10_100], &[0.5, 0.5]).unwrap();
        assert!(near(s.p_value, 0.480595, 5e-7), "{s:?}");
    }

    #[test]
    fn pinned_vectors_of_the_sample_size() {
        let n = proportions_sample(0.05, 0.055, 0.05, 0.8, 1.0).unwrap();
        assert_eq!(n.ceil(), 31_234.0, "{n}");
        let n = proportions_sample(0.032, 0.037, 0.05, 0.8, 1.0).unwrap();
        assert_eq!(n.ceil(), 20_915.0, "{n}");
        // Means: (1.959964 + 0.841621)^2 * 2 * 10^2 / 1^2 = 1569.8
        let n = means_sample(1.0, 10.0, 0.05, 0.8, 1.0).unwrap();
        assert_eq!(n.ceil(), 1_570.0, "{n}");
    }

    /// Welch's test: means 20 and 22, deviations 4 and 5, 30 and 40 units: t = 1.8583,
    /// df = 67.68, p = 0.0675 (the regularized incomplete beta, to 30 digits).
    #[test]
    fn welch_matches_the_textbook() {
        let c = means(
            Sample {
                n: 30,
                mean: 20.0,
                sd: 4.0,
            },
            Sample {
                n: 40,
                mean: 22.0,
                sd: 5.0,
            },
        )
        .unwrap();
        assert!(near(c.statistic, 1.858289, 5e-7), "{c:?}");
        assert!(near(c.df.unwrap(), 67.680858, 5e-7), "{c:?}");
        assert!(near(c.p_value, 0.067477, 5e-7), "{c:?}");
        assert!(near(c.chance_above, phi(c.statistic), 1e-12));
        assert!(c.difference_interval.low < 0.0 && c.difference_interval.high > 0.0);
    }

    /// Vectors computed independently with SciPy 1.17 (`stats.chisquare`,
    /// `stats.ttest_ind_from_stats(equal_var=False)`, `stats.norm`, `stats.t.ppf`), to six
    /// decimals.
    #[test]
    fn vectors_computed_with_scipy() {
        let s = sample_ratio(&[10_000, 10_600], &[1.0, 1.0]).unwrap();
        assert!(near(s.chi_square, 17.475728, 5e-7), "{s:?}");
        assert!(near(s.p_value, 0.0000291, 5e-8), "{s:?}");
        let s = sample_ratio(&[10_000, 10_400], &[1.0, 1.0]).unwrap();
        assert!(near(s.chi_square, 7.843137, 5e-7), "{s:?}");
        assert!(near(s.p_value, 0.005101, 5e-7), "{s:?}");
        let c = proportions(320, 10_000, 360, 10_000).unwrap();
        assert!(near(c.statistic, 1.560691, 5e-7), "{c:?}");
        assert!(near(c.p_value, 0.118597, 5e-7), "{c:?}");
        let c = means(
            Sample {
                n: 500,
                mean: 12.5,
                sd: 3.0,
            },
            Sample {
                n: 520,
                mean: 13.0,
                sd: 3.5,
            },
        )
        .unwrap();
        assert!(near(c.statistic, 2.452699, 5e-7), "{c:?}");
        assert!(near(c.df.unwrap(), 1004.914901, 5e-6), "{c:?}");
        assert!(near(c.p_value, 0.014348, 5e-7), "{c:?}");
        let d = c.difference_interval;
        assert!(
            near(d.low, 0.099966, 5e-7) && near(d.high, 0.900034, 5e-7),
            "{d:?}"
        );
        // On the log of the ratio: exp(ln(13 / 12.5) -+ t(0.975, df) * se) - 1.
        let l = c.lift_interval.unwrap();
        assert!(
            near(l.low, 0.007941, 5e-7) && near(l.high, 0.073079, 5e-7),
            "{l:?}"
        );
        assert!(near(c.chance_above, 0.992911, 5e-7), "{c:?}");
    }

    /// The exact sum and its approximation agree where both are good.
    #[test]
    fn the_exact_chance_and_its_approximation_agree_on_large_counts() {
        let exact = chance_above(9_000, 200_000, 9_300, 200_000).unwrap();
        let (a1, b1) = (9_001.0_f64, 191_001.0_f64);
        let (a2, b2) = (9_301.0_f64, 190_701.0_f64);
        let var = |a: f64, b: f64| a * b / ((a + b).powi(2) * (a + b + 1.0));
        let approx = phi((a2 / (a2 + b2) - a1 / (a1 + b1)) / (var(a1, b1) + var(a2, b2)).sqrt());
        assert!(near(exact, approx, 2e-3), "{exact} {approx}");
        // Past the limit, the approximation answers.
        let big = chance_above(20_000, 400_000, 20_600, 400_000).unwrap();
        assert!(big > 0.99, "{big}");
    }

    #[test]
    fn nothing_to_compare_is_none_not_nan() {
        assert_eq!(proportions(0, 0, 1, 10), None);
        assert_eq!(proportions(11, 10, 1, 10), None);
        let none = proportions(0, 100, 0, 100).unwrap();
        assert_eq!((none.statistic, none.p_value, none.lift), (0.0, 1.0, None));
        assert!(near(none.chance_above, 0.5, 1e-12), "{none:?}");
        let all = proportions(100, 100, 100, 100).unwrap();
        assert_eq!((all.statistic, all.p_value), (0.0, 1.0));
        let one = Sample {
            n: 1,
            mean: 1.0,
            sd: 0.0,
        };
        let two = Sample {
            n: 2,
            mean: 1.0,
            sd: 0.0,
        };
        assert_eq!(means(one, two), None);
        assert_eq!(means(two, Sample { mean: 2.0, ..two }), None);
        assert_eq!(means(two, two).map(|c| c.p_value), Some(1.0));
        assert_eq!(sample_ratio(&[0, 0], &[1.0, 1.0]), None);
        assert_eq!(sample_ratio(&[1, 2], &[1.0]), None);
        assert_eq!(sample_ratio(&[1, 2], &[1.0, 0.0]), None);
        assert_eq!(proportions_sample(0.0, 0.1, 0.05, 0.8, 1.0), None);
        assert_eq!(proportions_sample(0.1, 0.1, 0.05, 0.8, 1.0), None);
        assert_eq!(means_sample(0.0, 1.0, 0.05, 0.8, 1.0), None);
    }

    fn counts() -> impl Strategy<Value = (u64, u64)> {
        prop_oneof![
            (0u64..2_000).prop_flat_map(|n| (0..=n, Just(n))),
            (0u64..=1_000_000_000_000).prop_flat_map(|n| (0..=n, Just(n))),
            (0u64..=1_000_000_000_000).prop_flat_map(|n| (0..=n.min(30), Just(n))),
        ]
    }

    fn all_finite(c: &Comparison) -> bool {
        c.is_finite()
            && c.lift_interval
                .is_none_or(|i| i.low.is_finite() && i.high.is_finite())
            && (0.0..=1.0).contains(&c.p_value)
            && (0.0..=1.0).contains(&c.chance_above)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::test_support::cases(500)))]

        /// Any counts, up to 10^12: a comparison with every number finite and p in [0, 1], or
        /// none only when an arm has no units.
        #[test]
        fn any_counts_give_finite_numbers((c1, n1) in counts(), (c2, n2) in counts()) {
            match proportions(c1, n1, c2, n2) {
                Some(c) => prop_assert!(all_finite(&c), "{:?}", c),
                None => prop_assert!(n1 == 0 || n2 == 0),
            }
            if let Some(s) = sample_ratio(&[n1, n2], &[1.0, 1.0]) {
                prop_assert!((0.0..=1.0).contains(&s.p_value) && s.chi_square.is_finite());
            }
        }

        /// Swapping the arms flips the difference and the statistic, keeps the p-value, and
        /// turns the chance to beat into its complement.
        #[test]
        fn swapping_the_arms_is_symmetric((c1, n1) in counts(), (c2, n2) in counts()) {
            if let (Some(a), Some(b)) = (proportions(c1, n1, c2, n2), proportions(c2, n2, c1, n1)) {
                prop_assert!(near(a.difference, -b.difference, 1e-12));
                prop_assert!(near(a.statistic, -b.statistic, 1e-9 * a.statistic.abs().max(1.0)));
                prop_assert!(near(a.p_value, b.p_value, 1e-9));
                prop_assert!(near(a.chance_above, 1.0 - b.chance_above, 1e-4), "{} {}", a.chance_above, b.chance_above);
            }
        }

        /// More conversions in the treatment never lower its chance to beat control, nor do
        /// more in the control raise it.
        #[test]
        fn the_chance_is_monotonic_in_the_counts(
            n1 in 1u64..5_000, n2 in 1u64..5_000, f1 in 0.0f64..1.0, f2 in 0.0f64..1.0,
        ) {
            let c1 = ((n1 as f64) * f1) as u64;
            let c2 = ((n2 as f64) * f2) as u64;
            let base = chance_above(c1, n1, c2, n2).unwrap();
            if c2 < n2 {
                let up = chance_above(c1, n1, c2 + 1, n2).unwrap();
                prop_assert!(up >= base - 1e-9, "{} -> {}", base, up);
                let z = proportions(c1, n1, c2, n2).unwrap().statistic;
                let z_up = proportions(c1, n1, c2 + 1, n2).unwrap().statistic;
                prop_assert!(z_up >= z - 1e-9);
            }
            if c1 < n1 {
                let down = chance_above(c1 + 1, n1, c2, n2).unwrap();
                prop_assert!(down <= base + 1e-9, "{} -> {}", base, down);
            }
        }

        /// Means of any size give finite numbers, and the p-value is in [0, 1].
        #[test]
        fn any_means_give_finite_numbers(
            n1 in 0u64..=1_000_000_000_000, n2 in 0u64..=1_000_000_000_000,
            m1 in -1e9f64..1e9, m2 in -1e9f64..1e9, s1 in 0.0f64..1e6, s2 in 0.0f64..1e6,
        ) {
            let a = Sample { n: n1, mean: m1, sd: s1 };
            let b = Sample { n: n2, mean: m2, sd: s2 };
            if let Some(c) = means(a, b) {
                prop_assert!(all_finite(&c), "{:?}", c);
                let back = means(b, a).unwrap();
                prop_assert!(near(c.p_value, back.p_value, 1e-9));
            }
        }

        /// Units that match the plan's shares exactly never alert.
        #[test]
        fn an_exact_split_has_no_mismatch(n in 1u64..=1_000_000_000, k in 2usize..5) {
            let s = sample_ratio(&vec![n; k], &vec![1.0; k]).unwrap();
            prop_assert!(s.chi_square == 0.0 && near(s.p_value, 1.0, 1e-12));
        }
    }
}
