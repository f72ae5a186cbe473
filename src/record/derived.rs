//! What a record says beyond its fields: values derived from them and never stored (the lift
//! and whether the target was met, the evidence of the results), and the record as JSON, which
//! answers them beside the fields.

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::record::evidence::{Alert, Evidence, SampleRatioCheck, VariantEvidence};
use crate::record::fields::{DECISION_LOG, FIELDS, FieldValue, ID, Presence, Record};
use crate::record::packed::LogRef;
use crate::record::parts::Direction;

/// A value derived from a record, answered in its JSON and offered as an export column.
#[derive(Clone, Copy)]
pub struct Derived {
    pub name: &'static str,
    /// Its JSON Schema type (`number`, `boolean`, `object`), always nullable.
    pub kind: &'static str,
    pub description: &'static str,
    pub value: fn(&Record) -> Option<DerivedValue>,
}

/// Derived values are told apart by name.
impl PartialEq for Derived {
    fn eq(&self, other: &Derived) -> bool {
        self.name == other.name
    }
}

impl Eq for Derived {}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Derived").field("name", &self.name).finish()
    }
}

/// A derived value.
#[derive(Debug, Clone, PartialEq)]
pub enum DerivedValue {
    Number(f64),
    Bool(bool),
    /// What the results say (an object in JSON).
    Evidence(Box<Evidence>),
}

/// Every derived value, in the order JSON answers them (after the fields, before the log).
pub const DERIVED: &[Derived] = &[
    Derived {
        name: "lift",
        kind: "number",
        description: "(observed - baseline) / |baseline|, a fraction; null without observed or with a zero baseline",
        value: |r| r.lift().map(DerivedValue::Number),
    },
    Derived {
        name: "target_met",
        kind: "boolean",
        description: "observed reached target (at or below it with direction decrease); null without observed",
        value: |r| r.target_met().map(DerivedValue::Bool),
    },
    Derived {
        name: "improved",
        kind: "boolean",
        description: "observed moved the way direction wants: above baseline, below it with direction decrease; null without observed",
        value: |r| r.improved().map(DerivedValue::Bool),
    },
    Derived {
        name: "evidence",
        kind: "object",
        description: "what the results say: per variant its rate or mean and, against the control, the difference and relative lift with 95% intervals, the p-value and the chance to beat control; the best treatment; the sample-ratio check; null without results",
        value: |r| r.evidence().map(|e| DerivedValue::Evidence(Box::new(e))),
    },
];

impl Record {
    /// The first eight characters of the id, as `list` shows it.
    pub fn short_id(&self) -> &str {
        self.id.get(..8).unwrap_or(&self.id)
    }

    pub fn direction(&self) -> Direction {
        self.direction.unwrap_or_default()
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().flatten().any(|t| t == tag)
    }

    /// How far the observed value moved from the baseline, as a fraction of the baseline's
    /// size: `(observed - baseline) / |baseline|`, so that a rise is positive whatever the
    /// baseline's sign. `None` without an observed value, and when the baseline is 0 (no
    /// fraction of nothing) or the quotient is not finite.
    pub fn lift(&self) -> Option<f64> {
        let observed = self.observed?;
        if self.baseline == 0.0 {
            return None;
        }
        Some((observed - self.baseline) / self.baseline.abs()).filter(|x| x.is_finite())
    }

    /// Whether the observed value moved the way the metric should: above the baseline, below
    /// it with direction decrease (a lift of `+2.2%` on a metric that should fall is worse).
    /// `None` without an observed value.
    pub fn improved(&self) -> Option<bool> {
        let observed = self.observed?;
        Some(match self.direction() {
            Direction::Increase => observed > self.baseline,
            Direction::Decrease => observed < self.baseline,
        })
    }

    /// What the results say in one line: the best treatment against the control, and a
    /// sample-ratio mismatch when there is one; `None` without results.
    pub fn evidence_shown(&self) -> Option<String> {
        let e = self.evidence()?;
        let best = e.best()?;
        let mut line = format!("{}: {}", best.name, best.summary()?);
        if e.sample_ratio.as_ref().is_some_and(|s| s.alert.is_some()) {
            line.push_str("; sample-ratio mismatch");
        }
        Some(line)
    }

    /// The lift as a person reads it, with whether that is better or worse: `+16.0% better`,
    /// `+2.2% worse` (see [`judged`]); `None` without a lift.
    pub fn lift_shown(&self) -> Option<String> {
        Some(judged(self.lift()?, self.improved()))
    }

    /// Whether the observed value reached the target: at or above it, at or below it with
    /// direction decrease. `None` without an observed value.
    pub fn target_met(&self) -> Option<bool> {
        let observed = self.observed?;
        Some(match self.direction() {
            Direction::Increase => observed >= self.target,
            Direction::Decrease => observed <= self.target,
        })
    }
}

/// A lift as a person reads it: a signed percentage with one decimal, `+16.0%`, `-2.5%`.
pub fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    // No "-0.0%": a change too small to show is no change.
    let p = if p.abs() < 0.05 { 0.0 } else { p };
    format!("{p:+.1}%")
}

/// A lift with whether it is better or worse for the metric: `-25.0% better`, `+2.2% worse`;
/// a change too small to show (`+0.0%`) is neither.
pub fn judged(lift: f64, improved: Option<bool>) -> String {
    let shown = percent(lift);
    match improved {
        _ if shown == percent(0.0) => shown,
        Some(true) => format!("{shown} better"),
        Some(false) => format!("{shown} worse"),
        None => shown,
    }
}

/// A p-value as people read it: three decimals, `< 0.001` below that.
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".to_owned()
    } else {
        format!("= {p:.3}")
    }
}

/// A fraction as a percentage with one decimal and no sign: `97.6%`.
pub fn share_text(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

impl VariantEvidence {
    /// What was measured: `10000 units, 371 conversions (3.71%)`, `5000 units, mean 12.5
    /// (sd 3.1)`.
    pub fn measured(&self) -> String {
        match (self.conversions, self.rate, self.mean, self.sd) {
            (Some(c), rate, _, _) => {
                let rate = rate.map_or_else(String::new, |r| format!(" ({:.2}%)", r * 100.0));
                format!("{} units, {c} conversions{rate}", self.units)
            }
            (None, _, Some(mean), Some(sd)) => format!(
                "{} units, mean {} (sd {})",
                self.units,
                crate::record::edit::format_number(mean),
                crate::record::edit::format_number(sd)
            ),
            _ => format!("{} units", self.units),
        }
    }

    /// Against the control, on one line: `+15.9% better [+0.1%, +34.3%], p = 0.048, chance to
    /// beat control 97.6%`; `None` for the control or what cannot be compared.
    pub fn summary(&self) -> Option<String> {
        let p = self.p_value?;
        let chance = self.chance_to_beat_control?;
        let lift = match (self.lift, self.lift_interval) {
            (Some(lift), Some([low, high])) => format!(
                "{} [{}, {}]",
                judged(lift, self.better),
                percent(low),
                percent(high)
            ),
            _ => match self.difference {
                Some(d) => format!("difference {}", crate::record::edit::format_number(d)),
                None => String::new(),
            },
        };
        Some(format!(
            "{lift}, p {}, chance to beat control {}",
            p_text(p),
            share_text(chance)
        ))
    }
}

impl SampleRatioCheck {
    /// `p = 0.480 against the planned split 60/40`, `p = 1.000 against an equal split`.
    pub fn summary(&self) -> String {
        let against = if self.planned {
            let shares: Vec<String> = self
                .split
                .iter()
                .map(|s| crate::record::edit::format_number((s * 1000.0).round() / 10.0))
                .collect();
            format!("the planned split {}", shares.join("/"))
        } else {
            "an equal split".to_owned()
        };
        let verdict = match self.alert {
            Some(Alert::Error) => ": the split is broken (sample-ratio mismatch)",
            Some(Alert::Warning) => ": the split looks off",
            None => "",
        };
        format!(
            "chi-square {:.3}, p {} against {against}{verdict}",
            self.chi_square,
            p_text(self.p_value)
        )
    }
}

/// A field's value in a record's JSON: numbers as JSON numbers with their fraction (`3.0`), as
/// the origin service answered them; lists as arrays.
struct Json<'a>(&'a Option<FieldValue>);

impl Serialize for Json<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            None => serializer.serialize_none(),
            Some(FieldValue::Text(t)) => serializer.serialize_str(t),
            Some(FieldValue::Number(x)) => serializer.serialize_f64(*x),
            Some(FieldValue::Whole(n)) => serializer.serialize_i64(*n),
            Some(FieldValue::List(items)) => items.serialize(serializer),
            Some(FieldValue::Numbers(items)) => items.serialize(serializer),
            Some(FieldValue::Results(results)) => results.serialize(serializer),
        }
    }
}

impl Serialize for DerivedValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            DerivedValue::Number(x) => serializer.serialize_f64(*x),
            DerivedValue::Bool(b) => serializer.serialize_bool(*b),
            DerivedValue::Evidence(e) => e.serialize(serializer),
        }
    }
}

/// A record as JSON: its keys in the file's order (a field of [`Presence::WhenSet`] only when
/// set), the derived values, then the decision log.
impl Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WithLog(self, LogRef::Entries(&self.decision_log)).serialize(serializer)
    }
}

/// A record whose decision log is held apart (packed), as JSON: the same text as the record
/// with its log in place.
pub struct WithLog<'a>(pub &'a Record, pub LogRef<'a>);

impl Serialize for WithLog<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let WithLog(record, log) = self;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(ID, &record.id)?;
        for field in FIELDS {
            let value = record.get(field.name);
            if value.is_some() || field.presence != Presence::WhenSet {
                map.serialize_entry(field.name, &Json(&value))?;
            }
        }
        for derived in DERIVED {
            map.serialize_entry(derived.name, &(derived.value)(record))?;
        }
        map.serialize_entry(DECISION_LOG, log)?;
        map.end()
    }
}

impl Serialize for FieldValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// Whole numbers below 2^53 are exact as integers.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        match self {
            FieldValue::Text(t) => serializer.serialize_str(t),
            FieldValue::Number(x)
                if x.fract() == 0.0 && x.abs() < EXACT && !(*x == 0.0 && x.is_sign_negative()) =>
            {
                serializer.serialize_i64(*x as i64)
            }
            FieldValue::Number(x) => serializer.serialize_f64(*x),
            FieldValue::Whole(n) => serializer.serialize_i64(*n),
            FieldValue::List(items) => items.serialize(serializer),
            FieldValue::Numbers(items) => items
                .iter()
                .map(|x| FieldValue::Number(*x))
                .collect::<Vec<_>>()
                .serialize(serializer),
            FieldValue::Results(results) => results.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::record::fields::FieldKind;
    use crate::record::parts::Status;

    fn log_entry(at: &str, who: Option<&str>, note: &str) -> crate::record::parts::LogEntry {
        crate::record::parts::LogEntry {
            at: at.into(),
            who: who.map(Into::into),
            note: note.into(),
        }
    }

    #[test]
    fn a_record_with_its_log_packed_is_the_same_json() {
        let mut record = crate::test_support::sample();
        record.decision_log = vec![
            log_entry(
                "2026-02-22T18:30:00.000Z",
                Some("alice"),
                "Started \"quoted\"",
            ),
            log_entry("2026-02-23T09:00:00.000Z", None, "status: draft -> running"),
        ];
        let whole = serde_json::to_string(&record).unwrap();
        let packed = crate::record::packed::PackedLog::pack(&record.decision_log).unwrap();
        let mut apart = record.clone();
        apart.decision_log = Vec::new();
        let with = WithLog(&apart, LogRef::Packed(&packed));
        assert_eq!(serde_json::to_string(&with).unwrap(), whole);
        assert!(whole.contains("\"who\":null"));
    }

    fn record() -> Record {
        Record {
            baseline: 1.0,
            target: 2.0,
            status: Status::Draft,
            decision_log: Vec::new(),
            ..crate::test_support::sample()
        }
    }

    /// Every field of the table can be read and written by name, with a value of its kind,
    /// and a value of another kind is refused without a change.
    #[test]
    fn every_field_of_the_table_is_read_and_written_by_name() {
        for field in FIELDS {
            let value = match field.kind {
                FieldKind::Text => FieldValue::Text("x".into()),
                FieldKind::Number => FieldValue::Number(7.5),
                FieldKind::Percent => FieldValue::Whole(42),
                FieldKind::Enum(words) => FieldValue::Text(words[words.len() - 1].into()),
                FieldKind::TextList => FieldValue::List(vec!["a".into()]),
                FieldKind::Numbers => FieldValue::Numbers(vec![60.0, 40.0]),
                FieldKind::Results => FieldValue::Results(Box::new(results())),
            };
            let mut r = record();
            assert!(r.set(field.name, Some(value.clone())), "{}", field.name);
            assert_eq!(r.get(field.name), Some(value), "{}", field.name);
            let wrong = match field.kind {
                FieldKind::TextList => FieldValue::Whole(1),
                _ => FieldValue::List(Vec::new()),
            };
            let before = r.clone();
            assert!(!r.set(field.name, Some(wrong)), "{}", field.name);
            assert_eq!(r, before);
            assert_eq!(r.set(field.name, None), field.nullable, "{}", field.name);
        }
        assert!(!record().set("id", Some(FieldValue::Text("x".into()))));
    }

    fn results() -> crate::record::results::Results {
        crate::record::results::Results {
            as_of: "2026-03-01T00:00:00.000Z".into(),
            source: Some("https://dash.example/cta".into()),
            variants: ["control=10000/320", "green=10000/371"]
                .iter()
                .map(|v| crate::record::results::Variant::parse(v).unwrap())
                .collect(),
        }
    }

    #[test]
    fn json_carries_results_and_their_evidence_before_the_log() {
        let r = Record {
            results: Some(results()),
            split: Some(vec![50.0, 50.0]),
            ..record()
        };
        let json = serde_json::to_value(&r).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys[keys.len() - 8..],
            [
                "observed",
                "split",
                "results",
                "lift",
                "target_met",
                "improved",
                "evidence",
                "decision_log"
            ]
        );
        assert_eq!(json["split"], serde_json::json!([50.0, 50.0]));
        assert_eq!(json["results"]["variants"][1]["conversions"], 371);
        assert_eq!(json["evidence"]["best"], "green");
        assert_eq!(json["evidence"]["variants"][1]["rate"], 0.0371);
        let plain = serde_json::to_value(record()).unwrap();
        assert_eq!(plain["results"], serde_json::Value::Null);
        assert_eq!(plain["evidence"], serde_json::Value::Null);
    }

    fn observed(baseline: f64, target: f64, observed: f64, direction: Direction) -> Record {
        Record {
            baseline,
            target,
            observed: Some(observed),
            direction: Some(direction),
            ..record()
        }
    }

    #[test]
    fn lift_and_target_met_when_the_metric_should_rise() {
        let r = observed(3.2, 3.7, 3.712, Direction::Increase);
        assert!((r.lift().unwrap() - 0.16).abs() < 1e-12);
        assert_eq!(percent(r.lift().unwrap()), "+16.0%");
        assert_eq!(r.target_met(), Some(true));
        let short = observed(3.2, 3.7, 3.5, Direction::Increase);
        assert_eq!(short.target_met(), Some(false));
        let exactly = observed(3.2, 3.7, 3.7, Direction::Increase);
        assert_eq!(exactly.target_met(), Some(true));
        let fell = observed(4.0, 5.0, 3.0, Direction::Increase);
        assert_eq!(fell.lift(), Some(-0.25));
        assert_eq!(percent(-0.25), "-25.0%");
    }

    #[test]
    fn lift_and_target_met_when_the_metric_should_fall() {
        let r = observed(10.0, 8.0, 7.5, Direction::Decrease);
        assert_eq!(r.lift(), Some(-0.25));
        assert_eq!(r.target_met(), Some(true));
        let r = observed(10.0, 8.0, 9.0, Direction::Decrease);
        assert_eq!(r.lift(), Some(-0.1));
        assert_eq!(r.target_met(), Some(false));
        let worse = observed(10.0, 8.0, 11.0, Direction::Decrease);
        assert_eq!(worse.lift(), Some(0.1));
        assert_eq!(worse.target_met(), Some(false));
        // A rise is worse for a metric that should fall, and said so.
        assert_eq!(worse.improved(), Some(false));
        assert_eq!(worse.lift_shown().as_deref(), Some("+10.0% worse"));
        let better = observed(10.0, 8.0, 7.5, Direction::Decrease);
        assert_eq!(better.improved(), Some(true));
        assert_eq!(better.lift_shown().as_deref(), Some("-25.0% better"));
        let json = serde_json::to_value(&worse).unwrap();
        assert_eq!(json["improved"], false);
    }

    #[test]
    fn a_lift_says_better_or_worse_as_the_direction_wants() {
        let up = observed(3.2, 3.7, 3.712, Direction::Increase);
        assert_eq!(up.lift_shown().as_deref(), Some("+16.0% better"));
        let down = observed(3.2, 3.7, 3.0, Direction::Increase);
        assert_eq!(down.lift_shown().as_deref(), Some("-6.3% worse"));
        let same = observed(3.2, 3.7, 3.2, Direction::Increase);
        assert_eq!(same.improved(), Some(false));
        assert_eq!(same.lift_shown().as_deref(), Some("+0.0%"));
        // No lift from a zero baseline, but still a direction.
        let zero = observed(0.0, 1.0, 0.5, Direction::Increase);
        assert_eq!((zero.lift_shown(), zero.improved()), (None, Some(true)));
        assert_eq!(record().improved(), None);
    }

    #[test]
    fn no_lift_from_a_zero_baseline_nor_without_an_observed_value() {
        let r = observed(0.0, 1.0, 2.0, Direction::Increase);
        assert_eq!(r.lift(), None);
        assert_eq!(r.target_met(), Some(true));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["lift"], serde_json::Value::Null);
        assert_eq!(json["target_met"], true);
        assert_eq!(record().lift(), None);
        assert_eq!(record().target_met(), None);
        // Finite operands whose quotient is not finite give no lift either.
        let huge = observed(-f64::MAX, 0.0, f64::MAX, Direction::Increase);
        assert_eq!(huge.lift(), None);
    }

    #[test]
    fn a_negative_baseline_divides_by_its_size_so_a_rise_is_positive() {
        let r = observed(-4.0, -2.0, -3.0, Direction::Increase);
        assert_eq!(r.lift(), Some(0.25));
        assert_eq!(r.target_met(), Some(false));
        let r = observed(-4.0, -6.0, -6.0, Direction::Decrease);
        assert_eq!(r.lift(), Some(-0.5));
        assert_eq!(r.target_met(), Some(true));
    }

    #[test]
    fn json_carries_observed_lift_and_target_met_before_the_log() {
        let r = observed(2.0, 3.0, 3.0, Direction::Increase);
        let json = serde_json::to_value(&r).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys[keys.len() - 7..],
            [
                "observed",
                "results",
                "lift",
                "target_met",
                "improved",
                "evidence",
                "decision_log"
            ]
        );
        assert_eq!(json["observed"], 3.0);
        assert_eq!(json["lift"], 0.5);
        assert_eq!(json["target_met"], true);
        let plain = serde_json::to_value(record()).unwrap();
        assert_eq!(plain["observed"], serde_json::Value::Null);
        assert!(plain.get("owner").is_none());
    }

    #[test]
    fn percent_has_a_sign_and_one_decimal() {
        assert_eq!(percent(0.0), "+0.0%");
        assert_eq!(percent(-0.0001), "+0.0%");
        assert_eq!(percent(1.5), "+150.0%");
    }
}
