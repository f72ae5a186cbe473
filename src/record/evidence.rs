//! What a record's results say, derived and never stored: per variant its rate (or mean) and,
//! against the control, the difference and relative lift with their 95% intervals, the
//! p-value and the chance to beat control (for the metric's direction); the sample-ratio check
//! against the planned split; and, from the plan, the sample each arm needs and the run time.
//! Pure: a record in, numbers out ([`crate::record::stats`] does the math).

use serde::Serialize;

use crate::record::fields::Record;
use crate::record::parts::{Direction, LogEntry};
use crate::record::results::{Measure, Results};
use crate::record::stats::{self, Comparison, Interval, Sample};
use crate::record::texts::Note;

/// The significance level when the plan names none.
pub const ALPHA: f64 = 0.05;

/// The power when the plan names none.
pub const POWER: f64 = 0.8;

/// Below this sample-ratio p-value the split is broken: an error.
pub const SRM_ERROR: f64 = 0.001;

/// Below this sample-ratio p-value the split looks off: a warning.
pub const SRM_WARNING: f64 = 0.01;

/// How many points a stated confidence may stand from the computed chance to beat control.
pub const CONFIDENCE_SLACK: i64 = 5;

/// What kind of metric the results count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Conversions of units: a rate.
    Conversion,
    /// A continuous value per unit: a mean.
    Mean,
}

/// The evidence of a record's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub metric: Metric,
    pub as_of: String,
    /// The significance level each treatment is held to: the plan's alpha, divided by the
    /// number of treatments when there are several (Bonferroni).
    pub alpha: f64,
    /// Each variant, the control first.
    pub variants: Vec<VariantEvidence>,
    /// The treatment most likely to beat control, when any can be compared.
    pub best: Option<String>,
    /// That treatment's chance to beat control.
    pub chance_to_beat_control: Option<f64>,
    /// The units against the planned split.
    pub sample_ratio: Option<SampleRatioCheck>,
}

/// One variant's evidence; the comparison fields are null for the control and for a variant
/// whose counts cannot be compared (no units).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantEvidence {
    pub name: String,
    pub units: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversions: Option<u64>,
    /// Conversions per unit, a fraction (conversion metrics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// This variant minus the control.
    pub difference: Option<f64>,
    pub difference_interval: Option<[f64; 2]>,
    /// The difference as a fraction of the control's value.
    pub lift: Option<f64>,
    pub lift_interval: Option<[f64; 2]>,
    /// The z statistic (conversion metrics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
    /// Welch's t and its degrees of freedom (mean metrics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    pub p_value: Option<f64>,
    /// The chance this variant is truly better than the control, by the metric's direction.
    pub chance_to_beat_control: Option<f64>,
    /// Whether it moved the way the metric should.
    pub better: Option<bool>,
    /// Whether its p-value is below the alpha it is held to.
    pub significant: Option<bool>,
}

/// The sample-ratio check: the units per variant against the planned shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleRatioCheck {
    /// The shares compared with, as fractions.
    pub split: Vec<f64>,
    /// Whether they are the plan's `split` (else equal shares).
    pub planned: bool,
    pub chi_square: f64,
    pub df: u64,
    pub p_value: f64,
    /// How bad it is, when it is: a warning below 0.01, an error below 0.001.
    pub alert: Option<Alert>,
}

/// How loudly a sample-ratio mismatch is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Alert {
    Warning,
    Error,
}

impl Record {
    /// The plan's significance level, 0.05 when absent.
    pub fn alpha(&self) -> f64 {
        self.alpha.unwrap_or(ALPHA)
    }

    /// The plan's power, 0.8 when absent.
    pub fn power(&self) -> f64 {
        self.power.unwrap_or(POWER)
    }

    /// What the results say; `None` without results.
    pub fn evidence(&self) -> Option<Evidence> {
        evidence(self.results.as_ref()?, self)
    }
}

/// The shares of `k` variants: the plan's split when it names `k` (normalized), else equal.
pub fn shares(record: &Record, k: usize) -> (Vec<f64>, bool) {
    match &record.split {
        Some(split) if split.len() == k && k > 0 => {
            let total: f64 = split.iter().sum();
            if total > 0.0 && total.is_finite() {
                return (split.iter().map(|s| s / total).collect(), true);
            }
            (vec![1.0 / k as f64; k], false)
        }
        _ => (vec![1.0 / k.max(1) as f64; k], false),
    }
}

/// The alpha each of `treatments` comparisons is held to (Bonferroni).
fn alpha_each(alpha: f64, treatments: usize) -> f64 {
    alpha / treatments.max(1) as f64
}

fn evidence(results: &Results, record: &Record) -> Option<Evidence> {
    let control = results.variants.first()?;
    let treatments = results.variants.len().saturating_sub(1);
    let alpha = alpha_each(record.alpha(), treatments);
    let increase = record.direction() == Direction::Increase;
    let metric = if results.conversions() {
        Metric::Conversion
    } else {
        Metric::Mean
    };
    let variants: Vec<VariantEvidence> = results
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let comparison = (i > 0)
                .then(|| compare(&control.measure, control.units, v))
                .flatten();
            let (conversions, rate, mean, sd) = match v.measure {
                Measure::Conversions(c) => (
                    Some(c),
                    (v.units > 0).then(|| c as f64 / v.units as f64),
                    None,
                    None,
                ),
                Measure::Mean { mean, sd } => (None, None, Some(mean), Some(sd)),
            };
            let pair = |i: Interval| [i.low, i.high];
            let c = comparison.as_ref();
            VariantEvidence {
                name: v.name.clone(),
                units: v.units,
                conversions,
                rate,
                mean,
                sd,
                difference: c.map(|c| c.difference),
                difference_interval: c.map(|c| pair(c.difference_interval)),
                lift: c.and_then(|c| c.lift),
                lift_interval: c.and_then(|c| c.lift_interval.map(pair)),
                z: c.filter(|c| c.df.is_none()).map(|c| c.statistic),
                t: c.filter(|c| c.df.is_some()).map(|c| c.statistic),
                df: c.and_then(|c| c.df),
                p_value: c.map(|c| c.p_value),
                chance_to_beat_control: c.map(|c| {
                    if increase {
                        c.chance_above
                    } else {
                        1.0 - c.chance_above
                    }
                }),
                better: c.map(|c| {
                    if increase {
                        c.difference > 0.0
                    } else {
                        c.difference < 0.0
                    }
                }),
                significant: c.map(|c| c.p_value < alpha),
            }
        })
        .collect();
    let best = variants
        .iter()
        .skip(1)
        .filter_map(|v| Some((v, v.chance_to_beat_control?)))
        .fold(
            None::<(&VariantEvidence, f64)>,
            |best, (v, chance)| match best {
                Some((_, top)) if top >= chance => best,
                _ => Some((v, chance)),
            },
        );
    let units = results.units();
    let (split, planned) = shares(record, units.len());
    let sample_ratio = stats::sample_ratio(&units, &split).map(|s| SampleRatioCheck {
        alert: if s.p_value < SRM_ERROR {
            Some(Alert::Error)
        } else if s.p_value < SRM_WARNING {
            Some(Alert::Warning)
        } else {
            None
        },
        split,
        planned,
        chi_square: s.chi_square,
        df: s.df,
        p_value: s.p_value,
    });
    Some(Evidence {
        metric,
        as_of: results.as_of.clone(),
        alpha,
        best: best.map(|(v, _)| v.name.clone()),
        chance_to_beat_control: best.map(|(_, c)| c),
        variants,
        sample_ratio,
    })
}

/// A treatment against the control, when both are measured alike and can be compared.
fn compare(
    control: &Measure,
    control_units: u64,
    v: &crate::record::results::Variant,
) -> Option<Comparison> {
    match (*control, v.measure) {
        (Measure::Conversions(c1), Measure::Conversions(c2)) => {
            stats::proportions(c1, control_units, c2, v.units)
        }
        (Measure::Mean { mean: m1, sd: s1 }, Measure::Mean { mean: m2, sd: s2 }) => stats::means(
            Sample {
                n: control_units,
                mean: m1,
                sd: s1,
            },
            Sample {
                n: v.units,
                mean: m2,
                sd: s2,
            },
        ),
        _ => None,
    }
}

impl Evidence {
    /// The computed chance to beat control as a whole percentage, the way `confidence` says it.
    pub fn confidence(&self) -> Option<i64> {
        self.chance_to_beat_control
            .map(|c| (c * 100.0).round().clamp(0.0, 100.0) as i64)
    }

    /// The best treatment's evidence.
    pub fn best(&self) -> Option<&VariantEvidence> {
        let name = self.best.as_deref()?;
        self.variants.iter().skip(1).find(|v| v.name == name)
    }

    /// Whether some treatment beats control significantly, the way the metric should move.
    pub fn supports_shipping(&self) -> bool {
        self.variants
            .iter()
            .skip(1)
            .any(|v| v.significant == Some(true) && v.better == Some(true))
    }
}

/// The `override:` entry that accepts what the evidence says: the last one logged after the
/// results were last recorded (a `results:` entry), or anywhere when the log records none.
pub fn overridden(log: &[LogEntry]) -> Option<&LogEntry> {
    let since = log
        .iter()
        .rposition(|e| matches!(Note::read(&e.note), Note::Results { .. }))
        .map_or(0, |i| i + 1);
    log[since..]
        .iter()
        .rev()
        .find(|e| matches!(Note::read(&e.note), Note::Override { .. }))
}

/// How the plan's baseline and target were read for a sample size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Rates written as fractions (0.032).
    Fraction,
    /// Rates written as percentages (3.2).
    Percent,
    /// Means, in the metric's units.
    Units,
}

/// The sample the plan needs: per variant, and the days it takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedSample {
    pub metric: Metric,
    pub scale: Scale,
    /// The control's value and the value the test is powered to tell from it (rates as
    /// fractions).
    pub control: f64,
    pub treatment: f64,
    /// The standard deviation assumed (mean metrics).
    pub sd: Option<f64>,
    /// The plan's alpha, and the one each treatment is held to.
    pub alpha: f64,
    pub alpha_each: f64,
    pub power: f64,
    /// Each variant and the units it needs.
    pub variants: Vec<Arm>,
    pub total: u64,
    /// Days at the plan's expected daily units, when it names them.
    pub days: Option<u64>,
}

/// A variant and its units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arm {
    pub name: String,
    pub units: u64,
}

/// Why the plan gives no sample size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanGap {
    /// A continuous metric needs a standard deviation (results with means, or given).
    NeedsSd,
    /// The effect to find is zero.
    NoEffect,
    /// The baseline and the value to find are not rates in 0..1 or 0..100.
    NotRates,
    /// The effect is so small (or alpha and power so strict) that the sample is beyond any
    /// count.
    BeyondCounting,
}

/// The sample each variant needs for the plan: a two-sided test at alpha (divided among
/// several treatments) with the plan's power, to find the minimum detectable effect (absent:
/// target - baseline) from the baseline, the way the direction wants. A conversion metric reads
/// baseline and target as fractions when both are at most 1, else as percentages; a mean
/// metric (results with means, or `sd` given) needs a standard deviation: `sd`, else the
/// control's in the results.
pub fn planned_sample(record: &Record, sd: Option<f64>) -> Result<PlannedSample, PlanGap> {
    let effect = record
        .minimum_detectable_effect
        .unwrap_or((record.target - record.baseline).abs())
        .abs();
    if effect == 0.0 || !effect.is_finite() {
        return Err(PlanGap::NoEffect);
    }
    let signed = match record.direction() {
        Direction::Increase => effect,
        Direction::Decrease => -effect,
    };
    let results = record.results.as_ref();
    let names: Vec<String> = match results {
        Some(r) if r.variants.len() >= 2 => r.variants.iter().map(|v| v.name.clone()).collect(),
        _ => {
            let k = record.split.as_ref().map_or(2, |s| s.len().max(2));
            (0..k)
                .map(|i| match i {
                    0 => "control".to_owned(),
                    _ if k == 2 => "treatment".to_owned(),
                    _ => format!("treatment {i}"),
                })
                .collect()
        }
    };
    let k = names.len();
    let (split, _) = shares(record, k);
    let alpha = record.alpha();
    let each = alpha_each(alpha, k - 1);
    let power = record.power();
    let results_sd = results.and_then(|r| match r.variants.first()?.measure {
        Measure::Mean { sd, .. } => Some(sd),
        Measure::Conversions(_) => None,
    });
    let means = sd.is_some() || results.is_some_and(|r| !r.conversions());
    let (metric, scale, control, treatment, sd) = if means {
        let sd = sd
            .or(results_sd)
            .filter(|s| *s > 0.0)
            .ok_or(PlanGap::NeedsSd)?;
        let b = record.baseline;
        (Metric::Mean, Scale::Units, b, b + signed, Some(sd))
    } else {
        let (b, t) = (record.baseline, record.baseline + signed);
        let in_range = |lo: f64, hi: f64| b > lo && b < hi && t > lo && t < hi;
        let (scale, divide) = if in_range(0.0, 1.0) {
            (Scale::Fraction, 1.0)
        } else if in_range(0.0, 100.0) {
            (Scale::Percent, 100.0)
        } else {
            return Err(PlanGap::NotRates);
        };
        // Rates as people wrote them (3.7% is 0.037, not 0.037000000000000005).
        let tidy = |x: f64| (x / divide * 1e12).round() / 1e12;
        (Metric::Conversion, scale, tidy(b), tidy(t), None)
    };
    // The control's units: enough for every treatment at its share.
    let mut control_units: f64 = 0.0;
    for share in &split[1..] {
        let ratio = share / split[0];
        let n = match (metric, sd) {
            (Metric::Mean, Some(sd)) => stats::means_sample(signed, sd, each, power, ratio),
            _ => stats::proportions_sample(control, treatment, each, power, ratio),
        }
        .filter(|n| n.is_finite() && *n < i64::MAX as f64)
        .ok_or(PlanGap::BeyondCounting)?;
        control_units = control_units.max(n);
    }
    let variants: Vec<Arm> = names
        .into_iter()
        .zip(&split)
        .map(|(name, share)| Arm {
            name,
            units: (control_units * share / split[0]).ceil() as u64,
        })
        .collect();
    let total = variants
        .iter()
        .fold(0u64, |sum, a| sum.saturating_add(a.units));
    let days = record
        .expected_daily_units
        .filter(|d| *d > 0.0)
        .map(|d| (total as f64 / d).ceil() as u64);
    Ok(PlannedSample {
        metric,
        scale,
        control,
        treatment,
        sd,
        alpha,
        alpha_each: each,
        power,
        variants,
        total,
        days,
    })
}

/// The units the results count and the total the plan needs, when both are known.
pub fn progress(record: &Record) -> Option<(u64, u64)> {
    let results = record.results.as_ref()?;
    let plan = planned_sample(record, None).ok()?;
    let counted = results
        .variants
        .iter()
        .fold(0u64, |sum, v| sum.saturating_add(v.units));
    Some((counted, plan.total))
}

/// The variants whose units fell short of the planned sample, each with (units, needed): what
/// a move to completed before the planned sample leaves. Empty without results or without a
/// sample size from the plan.
pub fn short_of_plan(record: &Record) -> Vec<(String, u64, u64)> {
    let (Some(results), Ok(plan)) = (&record.results, planned_sample(record, None)) else {
        return Vec::new();
    };
    results
        .variants
        .iter()
        .zip(&plan.variants)
        .filter(|(v, arm)| v.units < arm.units)
        .map(|(v, arm)| (v.name.clone(), v.units, arm.units))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::record::results::Variant;

    fn with(variants: &[&str]) -> Record {
        Record {
            results: Some(Results {
                as_of: "2026-03-01T00:00:00.000Z".into(),
                source: None,
                variants: variants
                    .iter()
                    .map(|v| Variant::parse(v).unwrap())
                    .collect(),
            }),
            ..crate::test_support::sample()
        }
    }

    #[test]
    fn the_pinned_test_reads_as_evidence() {
        let e = with(&["control=10000/320", "green=10000/371"])
            .evidence()
            .unwrap();
        assert_eq!(e.metric, Metric::Conversion);
        assert_eq!(e.best.as_deref(), Some("green"));
        assert_eq!(e.confidence(), Some(98));
        let green = e.best().unwrap();
        assert_eq!(green.rate, Some(0.0371));
        assert_eq!((green.better, green.significant), (Some(true), Some(true)));
        assert!(e.supports_shipping());
        let control = &e.variants[0];
        assert_eq!((control.p_value, control.lift), (None, None));
        let srm = e.sample_ratio.unwrap();
        assert_eq!((srm.planned, srm.alert, srm.chi_square), (false, None, 0.0));
        // Direction decrease turns the chance around: green is worse.
        let mut down = with(&["control=10000/320", "green=10000/371"]);
        down.direction = Some(Direction::Decrease);
        let e = down.evidence().unwrap();
        assert_eq!(e.confidence(), Some(2));
        assert!(!e.supports_shipping());
    }

    #[test]
    fn a_broken_split_is_an_alert() {
        let e = with(&["control=10000/320", "green=10300/371"])
            .evidence()
            .unwrap();
        assert_eq!(e.sample_ratio.unwrap().alert, None);
        let e = with(&["control=10000/320", "green=10600/371"])
            .evidence()
            .unwrap();
        // chi-square 17.5, p = 0.00003
        assert_eq!(e.sample_ratio.unwrap().alert, Some(Alert::Error));
        let e = with(&["control=10000/320", "green=10400/371"])
            .evidence()
            .unwrap();
        // chi-square 7.84, p = 0.0051
        assert_eq!(e.sample_ratio.unwrap().alert, Some(Alert::Warning));
        // A planned 60/40 split makes 12000 vs 8000 right.
        let mut planned = with(&["control=12000/320", "green=8000/371"]);
        planned.split = Some(vec![60.0, 40.0]);
        let srm = planned.evidence().unwrap().sample_ratio.unwrap();
        assert_eq!((srm.planned, srm.alert), (true, None));
        assert_eq!(srm.split, vec![0.6, 0.4]);
    }

    #[test]
    fn several_treatments_share_alpha() {
        let e = with(&["control=10000/320", "a=10000/371", "b=10000/330"])
            .evidence()
            .unwrap();
        assert_eq!(e.alpha, 0.025);
        assert_eq!(e.best.as_deref(), Some("a"));
        // p = 0.048 is not below 0.025.
        assert_eq!(e.best().unwrap().significant, Some(false));
        assert!(!e.supports_shipping());
    }

    #[test]
    fn the_plan_gives_the_pinned_sample_sizes() {
        // The sample record: baseline 3.2, target 3.7, read as percentages.
        let plan = planned_sample(&crate::test_support::sample(), None).unwrap();
        assert_eq!(plan.scale, Scale::Percent);
        assert_eq!(
            plan.variants,
            vec![
                Arm {
                    name: "control".into(),
                    units: 20_915
                },
                Arm {
                    name: "treatment".into(),
                    units: 20_915
                }
            ]
        );
        assert_eq!((plan.total, plan.days), (41_830, None));
        let r = Record {
            baseline: 0.05,
            target: 0.055,
            expected_daily_units: Some(5_000.0),
            ..crate::test_support::sample()
        };
        let plan = planned_sample(&r, None).unwrap();
        assert_eq!(plan.scale, Scale::Fraction);
        assert_eq!(plan.variants[0].units, 31_234);
        assert_eq!(plan.days, Some(13));
        // A continuous metric needs a deviation.
        let r = Record {
            baseline: 250.0,
            target: 260.0,
            ..crate::test_support::sample()
        };
        assert_eq!(planned_sample(&r, None), Err(PlanGap::NotRates));
        let tiny = Record {
            minimum_detectable_effect: Some(1e-300),
            ..crate::test_support::sample()
        };
        assert_eq!(planned_sample(&tiny, None), Err(PlanGap::BeyondCounting));
        assert_eq!(
            planned_sample(&r, Some(100.0)).unwrap().variants[0].units,
            1_570
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(crate::test_support::cases(200)))]

        /// Any counts of two to four variants, up to 10^12 units: the evidence's JSON holds
        /// only finite numbers (never a null where a NaN was), every p-value and chance in
        /// [0, 1], and the planned progress never overflows.
        #[test]
        fn any_counts_give_finite_evidence(
            arms in proptest::collection::vec((0u64..=1_000_000_000_000, 0u64..=1_000), 2..5),
            split in proptest::collection::vec(1u32..100, 2..5),
        ) {
            let variants: Vec<String> = arms
                .iter()
                .enumerate()
                .map(|(i, (units, per_mille))| format!("v{i}={units}/{}", units / 1000 * per_mille))
                .collect();
            let refs: Vec<&str> = variants.iter().map(String::as_str).collect();
            let mut r = with(&refs);
            r.split = Some(split.iter().map(|s| f64::from(*s)).collect());
            let e = r.evidence().unwrap();
            let json = serde_json::to_value(&e).unwrap();
            fn numbers(v: &serde_json::Value, out: &mut Vec<f64>) {
                match v {
                    serde_json::Value::Number(n) => out.push(n.as_f64().unwrap()),
                    serde_json::Value::Array(items) => items.iter().for_each(|i| numbers(i, out)),
                    serde_json::Value::Object(map) => map.values().for_each(|i| numbers(i, out)),
                    _ => {}
                }
            }
            let mut all = Vec::new();
            numbers(&json, &mut all);
            proptest::prop_assert!(all.iter().all(|x| x.is_finite()), "{}", json);
            for v in &e.variants[1..] {
                let both = v.units > 0 && e.variants[0].units > 0;
                proptest::prop_assert_eq!(v.p_value.is_some(), both, "{}", json);
                for x in [v.p_value, v.chance_to_beat_control].into_iter().flatten() {
                    proptest::prop_assert!((0.0..=1.0).contains(&x), "{}", json);
                }
            }
            let _ = progress(&r);
            let _ = short_of_plan(&r);
        }
    }

    #[test]
    fn an_override_counts_after_the_last_results() {
        let entry = |note: &str| LogEntry {
            at: "2026-03-01T00:00:00.000Z".into(),
            who: None,
            note: note.into(),
        };
        let log = vec![entry("override: known bot traffic"), entry("note")];
        assert_eq!(
            overridden(&log).map(|e| &e.note[..]),
            Some("override: known bot traffic")
        );
        let mut later = log.clone();
        later.push(entry(
            "results: a=1/0, b=1/0 as of 2026-03-01T00:00:00.000Z",
        ));
        assert_eq!(overridden(&later), None);
    }
}
