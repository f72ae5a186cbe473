//! What a record says beyond its fields: values derived from them and never stored (the lift
//! and whether the target was met), and the record as JSON, which answers them beside the
//! fields.

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::record::fields::{DECISION_LOG, FIELDS, FieldValue, ID, Presence, Record};
use crate::record::parts::Direction;

/// A value derived from a record, answered in its JSON and offered as an export column.
#[derive(Clone, Copy)]
pub struct Derived {
    pub name: &'static str,
    /// Its JSON Schema type (`number`, `boolean`), always nullable.
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DerivedValue {
    Number(f64),
    Bool(bool),
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
        }
    }
}

impl Serialize for DerivedValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            DerivedValue::Number(x) => serializer.serialize_f64(*x),
            DerivedValue::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

/// A record as JSON: its keys in the file's order (a field of [`Presence::WhenSet`] only when
/// set), the derived values, then the decision log.
impl Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(ID, &self.id)?;
        for field in FIELDS {
            let value = self.get(field.name);
            if value.is_some() || field.presence != Presence::WhenSet {
                map.serialize_entry(field.name, &Json(&value))?;
            }
        }
        for derived in DERIVED {
            map.serialize_entry(derived.name, &(derived.value)(self))?;
        }
        map.serialize_entry(DECISION_LOG, &self.decision_log)?;
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
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::record::fields::FieldKind;
    use crate::record::parts::Status;

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
            keys[keys.len() - 5..],
            ["observed", "lift", "target_met", "improved", "decision_log"]
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
