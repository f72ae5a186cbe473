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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<String>>,
    pub decision_log: Vec<LogEntry>,
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
}

/// A field's value: JSON gives numbers as numbers (whole ones without `.0`, as the file
/// writes them) and lists as arrays.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Whole(i64),
    List(Vec<String>),
}

impl Serialize for FieldValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// Whole numbers below 2^53 are exact as integers.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        match self {
            FieldValue::Text(t) => serializer.serialize_str(t),
            FieldValue::Number(x) if x.fract() == 0.0 && x.abs() < EXACT => {
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
}
