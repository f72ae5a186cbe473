//! The experiment record and its enums: pure data, no I/O.

use serde::Serialize;

/// Every key a record may hold and the keys it must have, from the field table.
pub use crate::fields::{KEYS, REQUIRED};

/// Where an experiment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Draft,
    Running,
    Completed,
    Killed,
    Shipped,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::Running,
        Status::Completed,
        Status::Killed,
        Status::Shipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Killed => "killed",
            Status::Shipped => "shipped",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The moves allowed without `--force`.
    pub fn can_move_to(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Draft, Running)
                | (Draft, Killed)
                | (Running, Completed)
                | (Running, Killed)
                | (Completed, Shipped)
                | (Completed, Running)
                | (Killed, Draft)
        )
    }

    /// The statuses this one may move to without `--force`.
    pub fn next(self) -> Vec<Status> {
        Status::ALL
            .into_iter()
            .filter(|to| self.can_move_to(*to))
            .collect()
    }
}

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Ship,
    Iterate,
    Kill,
    Inconclusive,
}

impl Decision {
    pub const ALL: [Decision; 4] = [
        Decision::Ship,
        Decision::Iterate,
        Decision::Kill,
        Decision::Inconclusive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Ship => "ship",
            Decision::Iterate => "iterate",
            Decision::Kill => "kill",
            Decision::Inconclusive => "inconclusive",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// Which way the metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Increase,
    Decrease,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Increase => "increase",
            Direction::Decrease => "decrease",
        }
    }

    pub fn parse(text: &str) -> Option<Direction> {
        match text {
            "increase" => Some(Direction::Increase),
            "decrease" => Some(Direction::Decrease),
            _ => None,
        }
    }
}

/// One entry of the append-only decision log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    /// RFC 3339 UTC timestamp, as written in the file.
    pub at: String,
    pub who: Option<String>,
    pub note: String,
}

/// A record that passed every rule.
///
/// As JSON it is its keys in the file's order, with `observed` always present and the derived
/// `lift` and `target_met` beside it (see [`Record::lift`] and [`Record::target_met`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: String,
    pub title: String,
    pub hypothesis: String,
    pub primary_metric: String,
    pub baseline: f64,
    pub target: f64,
    pub status: Status,
    pub confidence: i64,
    pub decision: Option<Decision>,
    pub learning: Option<String>,
    pub direction: Option<Direction>,
    pub owner: Option<String>,
    pub tags: Option<Vec<String>>,
    pub links: Option<Vec<String>>,
    /// The measured value of the primary metric, once there is one.
    pub observed: Option<f64>,
    pub decision_log: Vec<LogEntry>,
}

/// A record as JSON: the optional keys only when present, the results always.
#[derive(Serialize)]
struct Shown<'a> {
    id: &'a str,
    title: &'a str,
    hypothesis: &'a str,
    primary_metric: &'a str,
    baseline: f64,
    target: f64,
    status: Status,
    confidence: i64,
    decision: Option<Decision>,
    learning: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    direction: Option<Direction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<&'a [String]>,
    observed: Option<f64>,
    lift: Option<f64>,
    target_met: Option<bool>,
    decision_log: &'a [LogEntry],
}

impl Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Shown {
            id: &self.id,
            title: &self.title,
            hypothesis: &self.hypothesis,
            primary_metric: &self.primary_metric,
            baseline: self.baseline,
            target: self.target,
            status: self.status,
            confidence: self.confidence,
            decision: self.decision,
            learning: self.learning.as_deref(),
            direction: self.direction,
            owner: self.owner.as_deref(),
            tags: self.tags.as_deref(),
            links: self.links.as_deref(),
            observed: self.observed,
            lift: self.lift(),
            target_met: self.target_met(),
            decision_log: &self.decision_log,
        }
        .serialize(serializer)
    }
}

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

/// A field's value: JSON gives numbers as numbers (whole ones without `.0`, as the file
/// writes them) and lists as arrays.
#[derive(Debug, Clone)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Whole(i64),
    List(Vec<String>),
}

/// Numbers are the same when they are to the bit, as the file and the exports write them:
/// `0.0` after `-0.0` is a change.
impl PartialEq for FieldValue {
    fn eq(&self, other: &FieldValue) -> bool {
        match (self, other) {
            (FieldValue::Text(a), FieldValue::Text(b)) => a == b,
            (FieldValue::Number(a), FieldValue::Number(b)) => a.to_bits() == b.to_bits(),
            (FieldValue::Whole(a), FieldValue::Whole(b)) => a == b,
            (FieldValue::List(a), FieldValue::List(b)) => a == b,
            _ => false,
        }
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

impl Record {
    /// A field's value by its name in [`crate::fields::FIELDS`]; `None` is null or absent.
    pub fn get(&self, name: &str) -> Option<FieldValue> {
        let text = |t: &str| Some(FieldValue::Text(t.to_owned()));
        match name {
            "title" => text(&self.title),
            "hypothesis" => text(&self.hypothesis),
            "primary_metric" => text(&self.primary_metric),
            "baseline" => Some(FieldValue::Number(self.baseline)),
            "target" => Some(FieldValue::Number(self.target)),
            "status" => text(self.status.as_str()),
            "confidence" => Some(FieldValue::Whole(self.confidence)),
            "decision" => self.decision.and_then(|d| text(d.as_str())),
            "learning" => self.learning.as_deref().and_then(text),
            "direction" => self.direction.and_then(|d| text(d.as_str())),
            "owner" => self.owner.as_deref().and_then(text),
            "tags" => self.tags.clone().map(FieldValue::List),
            "links" => self.links.clone().map(FieldValue::List),
            "observed" => self.observed.map(FieldValue::Number),
            _ => None,
        }
    }

    /// Sets a field by its name; `None` clears it. Returns false, changing nothing, when the
    /// value does not fit the field (a required field cleared, a word not in its list).
    pub fn set(&mut self, name: &str, value: Option<FieldValue>) -> bool {
        use FieldValue::{List, Number, Text, Whole};
        match (name, value) {
            ("title", Some(Text(t))) => self.title = t,
            ("hypothesis", Some(Text(t))) => self.hypothesis = t,
            ("primary_metric", Some(Text(t))) => self.primary_metric = t,
            ("baseline", Some(Number(x))) => self.baseline = x,
            ("target", Some(Number(x))) => self.target = x,
            ("status", Some(Text(t))) => match Status::parse(&t) {
                Some(s) => self.status = s,
                None => return false,
            },
            ("confidence", Some(Whole(n))) => self.confidence = n,
            ("decision", None) => self.decision = None,
            ("decision", Some(Text(t))) => match Decision::parse(&t) {
                Some(d) => self.decision = Some(d),
                None => return false,
            },
            ("learning", v) => match v {
                None => self.learning = None,
                Some(Text(t)) => self.learning = Some(t),
                _ => return false,
            },
            ("direction", None) => self.direction = None,
            ("direction", Some(Text(t))) => match Direction::parse(&t) {
                Some(d) => self.direction = Some(d),
                None => return false,
            },
            ("owner", v) => match v {
                None => self.owner = None,
                Some(Text(t)) => self.owner = Some(t),
                _ => return false,
            },
            ("tags", v) => match v {
                None => self.tags = None,
                Some(List(items)) => self.tags = Some(items),
                _ => return false,
            },
            ("links", v) => match v {
                None => self.links = None,
                Some(List(items)) => self.links = Some(items),
                _ => return false,
            },
            ("observed", None) => self.observed = None,
            ("observed", Some(Number(x))) => self.observed = Some(x),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::fields::{FIELDS, FieldKind};

    fn record() -> Record {
        Record {
            id: "3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58".into(),
            title: "T".into(),
            hypothesis: "H".into(),
            primary_metric: "m".into(),
            baseline: 1.0,
            target: 2.0,
            status: Status::Draft,
            confidence: 0,
            decision: None,
            learning: None,
            direction: None,
            owner: None,
            tags: None,
            links: None,
            observed: None,
            decision_log: Vec::new(),
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
            keys[keys.len() - 4..],
            ["observed", "lift", "target_met", "decision_log"]
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
