//! The one table of a record's fields: each is written here once, with its name, Rust type,
//! kind of value, whether it is required, its default and what it means, and everything else
//! about a field is built from this table: the [`Record`] struct and its reading and writing by
//! name, the rules' typed reading, the YAML of a new record, its JSON, the flags of `xp new`
//! and `xp update`, the bodies of POST and PATCH, export columns, `xp schema`, the OpenAPI
//! document, the diff and the merge.
//!
//! Adding an optional field is one entry in [`record_fields!`]'s list below.

use crate::record::parts::{Decision, Direction, LogEntry, Status};
use crate::record::results::Results;

/// What kind of value a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string.
    Text,
    /// A finite number, whole or not.
    Number,
    /// A whole number from 0 to 100.
    Percent,
    /// One of these words.
    Enum(&'static [&'static str]),
    /// A list of strings.
    TextList,
    /// A list of finite numbers.
    Numbers,
    /// The measured counts: a mapping of `as_of`, `source` and `variants` (see
    /// [`crate::record::results`]).
    Results,
}

/// When a field's key is written in a new record and answered in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Always written and answered, null when unset: the origin service's keys.
    Always,
    /// Written and answered only when set.
    WhenSet,
    /// Written only when set, answered always (null when unset): a result that derived values
    /// stand beside.
    Answered,
}

/// One field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The key as written in the file, in JSON and in query strings.
    pub name: &'static str,
    pub kind: FieldKind,
    /// The record is broken without it.
    pub required: bool,
    /// `null` is a value of its own (an absent key reads the same).
    pub nullable: bool,
    /// The value an absent key stands for, as it would be written.
    pub default: Option<&'static str>,
    /// One line saying what the field is for.
    pub description: &'static str,
    /// The command-line flag (`--metric`, `--tag`), when not the name with dashes.
    pub flag: Option<&'static str>,
    /// Part of the pre-registered plan: locked once the experiment ran.
    pub plan: bool,
    pub presence: Presence,
}

impl Field {
    /// An optional field that may be null: the shape most fields start from.
    pub const OPTIONAL: Field = Field {
        name: "",
        kind: FieldKind::Text,
        required: false,
        nullable: true,
        default: None,
        description: "",
        flag: None,
        plan: false,
        presence: Presence::WhenSet,
    };

    /// A field every record must have.
    pub const REQUIRED: Field = Field {
        required: true,
        nullable: false,
        presence: Presence::Always,
        ..Field::OPTIONAL
    };

    /// The field's name as a label for people: `Primary metric`.
    pub fn label(&self) -> String {
        let words = self.name.replace('_', " ");
        let mut chars = words.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect()
        })
    }

    /// The command-line flag without its dashes: `metric` for `primary_metric`.
    pub fn flag(&self) -> String {
        self.flag
            .map_or_else(|| self.name.replace('_', "-"), str::to_owned)
    }
}

/// The key of the id: a UUID v4 that `xp new` assigns and no edit changes.
pub const ID: &str = "id";

/// The key of the append-only decision log, always the last key; entries are [`LOG_KEYS`].
pub const DECISION_LOG: &str = "decision_log";

/// The keys of one decision-log entry.
pub const LOG_KEYS: [&str; 3] = ["at", "who", "note"];

/// The words `status` takes.
pub const STATUSES: &[&str] = &["draft", "running", "completed", "killed", "shipped"];

/// The words `decision` takes (or null).
pub const DECISIONS: &[&str] = &["ship", "iterate", "kill", "inconclusive"];

/// The words `direction` takes (or null, which reads as increase).
pub const DIRECTIONS: &[&str] = &["increase", "decrease"];

/// A field's value, whatever its kind: JSON gives numbers as numbers (whole ones without
/// `.0`, as the file writes them) and lists as arrays.
#[derive(Debug, Clone)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Whole(i64),
    List(Vec<String>),
    Numbers(Vec<f64>),
    Results(Box<Results>),
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
            (FieldValue::Numbers(a), FieldValue::Numbers(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
            }
            (FieldValue::Results(a), FieldValue::Results(b)) => a == b,
            _ => false,
        }
    }
}

/// A Rust type a field can have: how its value is seen by name, and set from one.
pub trait FieldType: Sized {
    /// The value, `None` when null or absent.
    fn get(&self) -> Option<FieldValue>;
    /// The typed value of `value` (`None` clears), or `None` when it does not fit.
    fn put(value: Option<FieldValue>) -> Option<Self>;
}

impl FieldType for String {
    fn get(&self) -> Option<FieldValue> {
        Some(FieldValue::Text(self.clone()))
    }
    fn put(value: Option<FieldValue>) -> Option<Self> {
        match value? {
            FieldValue::Text(t) => Some(t),
            _ => None,
        }
    }
}

impl FieldType for f64 {
    fn get(&self) -> Option<FieldValue> {
        Some(FieldValue::Number(*self))
    }
    fn put(value: Option<FieldValue>) -> Option<Self> {
        match value? {
            FieldValue::Number(x) => Some(x),
            _ => None,
        }
    }
}

impl FieldType for i64 {
    fn get(&self) -> Option<FieldValue> {
        Some(FieldValue::Whole(*self))
    }
    fn put(value: Option<FieldValue>) -> Option<Self> {
        match value? {
            FieldValue::Whole(n) => Some(n),
            _ => None,
        }
    }
}

impl FieldType for Vec<String> {
    fn get(&self) -> Option<FieldValue> {
        Some(FieldValue::List(self.clone()))
    }
    fn put(value: Option<FieldValue>) -> Option<Self> {
        match value? {
            FieldValue::List(items) => Some(items),
            _ => None,
        }
    }
}

impl FieldType for Vec<f64> {
    fn get(&self) -> Option<FieldValue> {
        Some(FieldValue::Numbers(self.clone()))
    }
    fn put(value: Option<FieldValue>) -> Option<Self> {
        match value? {
            FieldValue::Numbers(items) => Some(items),
            _ => None,
        }
    }
}

impl FieldType for Results {
    fn get(&self) -> Option<FieldValue> {
        Some(FieldValue::Results(Box::new(self.clone())))
    }
    fn put(value: Option<FieldValue>) -> Option<Self> {
        match value? {
            FieldValue::Results(results) => Some(*results),
            _ => None,
        }
    }
}

impl<T: FieldType> FieldType for Option<T> {
    fn get(&self) -> Option<FieldValue> {
        self.as_ref().and_then(T::get)
    }
    fn put(value: Option<FieldValue>) -> Option<Self> {
        match value {
            None => Some(None),
            some => T::put(some).map(Some),
        }
    }
}

/// The enums are their words.
macro_rules! words {
    ($($t:ty),*) => {$(
        impl FieldType for $t {
            fn get(&self) -> Option<FieldValue> {
                Some(FieldValue::Text(self.as_str().to_owned()))
            }
            fn put(value: Option<FieldValue>) -> Option<Self> {
                match value? {
                    FieldValue::Text(t) => <$t>::parse(&t),
                    _ => None,
                }
            }
        }
    )*};
}
words!(Status, Decision, Direction);

/// Declares the record's fields once: the [`Record`] struct, the [`FIELDS`] table, and
/// [`Record::get`]/[`Record::set`] by name.
macro_rules! record_fields {
    ($( $(#[doc = $doc:literal])* $name:ident : $ty:ty = $spec:expr ;)*) => {
        /// A record that passed every rule: its id, the fields of [`FIELDS`] in the order
        /// xp writes them, and the decision log.
        ///
        /// As JSON it is its keys in the file's order (see [`Presence`]), with the derived
        /// values of [`crate::record::DERIVED`] before the log.
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct Record {
            pub id: String,
            $( $(#[doc = $doc])* pub $name: $ty, )*
            pub decision_log: Vec<LogEntry>,
        }

        /// Every field, in the order xp writes them (between `id` and `decision_log`).
        pub const FIELDS: &[Field] = &[ $( Field { name: stringify!($name), ..$spec } ),* ];

        impl Record {
            /// A field's value by its name in [`FIELDS`]; `None` is null or absent.
            pub fn get(&self, name: &str) -> Option<FieldValue> {
                match name {
                    $( stringify!($name) => FieldType::get(&self.$name), )*
                    _ => None,
                }
            }

            /// Sets a field by its name; `None` clears it. Returns false, changing nothing,
            /// when the value does not fit the field (a required field cleared, a word not in
            /// its list).
            pub fn set(&mut self, name: &str, value: Option<FieldValue>) -> bool {
                match name {
                    $( stringify!($name) => match FieldType::put(value) {
                        Some(v) => {
                            self.$name = v;
                            true
                        }
                        None => false,
                    }, )*
                    _ => false,
                }
            }
        }
    };
}

record_fields! {
    title: String = Field {
        description: "what the experiment is called, 1 to 200 characters",
        ..Field::REQUIRED
    };
    hypothesis: String = Field {
        description: "what the change is expected to do",
        plan: true,
        ..Field::REQUIRED
    };
    primary_metric: String = Field {
        description: "the metric that decides",
        flag: Some("metric"),
        plan: true,
        ..Field::REQUIRED
    };
    baseline: f64 = Field {
        kind: FieldKind::Number,
        description: "the metric's value before the change",
        plan: true,
        ..Field::REQUIRED
    };
    target: f64 = Field {
        kind: FieldKind::Number,
        description: "the value that counts as success: above baseline, below it with direction decrease",
        plan: true,
        ..Field::REQUIRED
    };
    status: Status = Field {
        kind: FieldKind::Enum(STATUSES),
        required: false,
        default: Some("draft"),
        description: "where the experiment stands",
        ..Field::REQUIRED
    };
    confidence: i64 = Field {
        kind: FieldKind::Percent,
        required: false,
        default: Some("0"),
        description: "how sure the result is, a whole number from 0 to 100",
        ..Field::REQUIRED
    };
    decision: Option<Decision> = Field {
        kind: FieldKind::Enum(DECISIONS),
        description: "what was decided; status completed needs one, shipped needs ship",
        presence: Presence::Always,
        ..Field::OPTIONAL
    };
    learning: Option<String> = Field {
        description: "what the team learnt",
        presence: Presence::Always,
        ..Field::OPTIONAL
    };
    direction: Option<Direction> = Field {
        kind: FieldKind::Enum(DIRECTIONS),
        default: Some("increase"),
        description: "which way the metric should move; absent means increase",
        plan: true,
        ..Field::OPTIONAL
    };
    owner: Option<String> = Field {
        description: "who answers for the experiment, a person or a team",
        ..Field::OPTIONAL
    };
    tags: Option<Vec<String>> = Field {
        kind: FieldKind::TextList,
        description: "words to filter by",
        flag: Some("tag"),
        ..Field::OPTIONAL
    };
    links: Option<Vec<String>> = Field {
        kind: FieldKind::TextList,
        description: "dashboards, documents and tickets about the experiment",
        flag: Some("link"),
        ..Field::OPTIONAL
    };
    /// The measured value of the primary metric, once there is one.
    observed: Option<f64> = Field {
        kind: FieldKind::Number,
        description: "the measured value of the primary metric; lift and target_met derive from it",
        presence: Presence::Answered,
        ..Field::OPTIONAL
    };
    /// The significance level the plan accepts.
    alpha: Option<f64> = Field {
        kind: FieldKind::Number,
        default: Some("0.05"),
        description: "the significance level: the chance of a false positive the test accepts, between 0 and 1; absent means 0.05",
        plan: true,
        ..Field::OPTIONAL
    };
    /// The power the plan wants.
    power: Option<f64> = Field {
        kind: FieldKind::Number,
        default: Some("0.8"),
        description: "the power: the chance of finding the minimum detectable effect when it is there, between 0 and 1; absent means 0.8",
        plan: true,
        ..Field::OPTIONAL
    };
    /// Each variant's planned share of units.
    split: Option<Vec<f64>> = Field {
        kind: FieldKind::Numbers,
        description: "each variant's planned share of units, in the order of the results' variants (the control first), as numbers that are normalized (50, 50); absent means equal shares",
        plan: true,
        ..Field::OPTIONAL
    };
    /// The smallest difference worth finding.
    minimum_detectable_effect: Option<f64> = Field {
        kind: FieldKind::Number,
        description: "the smallest difference of the primary metric worth finding, in the metric's units, above 0; absent means the distance from baseline to target",
        plan: true,
        ..Field::OPTIONAL
    };
    /// Units expected per day.
    expected_daily_units: Option<f64> = Field {
        kind: FieldKind::Number,
        description: "units (users, sessions) expected per day across all variants, above 0, for the planned run time",
        plan: true,
        ..Field::OPTIONAL
    };
    /// The measured counts, once there are some.
    results: Option<Results> = Field {
        kind: FieldKind::Results,
        description: "the measured counts: as_of, source, and variants (the control first), each with name, units and conversions, or name, units, mean and sd; the evidence derives from them",
        presence: Presence::Answered,
        ..Field::OPTIONAL
    };
}

/// The field named `name`, if it is one of [`FIELDS`].
pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// Every key a record may hold, in the order xp writes them: `id`, the fields, `decision_log`.
pub const KEYS: [&str; FIELDS.len() + 2] = keys();

/// The keys a record must have: `id` and the required fields.
pub const REQUIRED: [&str; required_count() + 1] = required();

const fn keys() -> [&'static str; FIELDS.len() + 2] {
    let mut out = [""; FIELDS.len() + 2];
    out[0] = ID;
    let mut i = 0;
    while i < FIELDS.len() {
        out[i + 1] = FIELDS[i].name;
        i += 1;
    }
    out[FIELDS.len() + 1] = DECISION_LOG;
    out
}

const fn required_count() -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < FIELDS.len() {
        if FIELDS[i].required {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn required() -> [&'static str; required_count() + 1] {
    let mut out = [""; required_count() + 1];
    out[0] = ID;
    let mut n = 1;
    let mut i = 0;
    while i < FIELDS.len() {
        if FIELDS[i].required {
            out[n] = FIELDS[i].name;
            n += 1;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_records_enums() {
        let statuses: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(statuses, STATUSES);
        let decisions: Vec<_> = Decision::ALL.iter().map(|d| d.as_str()).collect();
        assert_eq!(decisions, DECISIONS);
        let directions: Vec<_> = [Direction::Increase, Direction::Decrease]
            .iter()
            .map(|d| d.as_str())
            .collect();
        assert_eq!(directions, DIRECTIONS);
    }

    #[test]
    fn keys_and_required_come_from_the_table() {
        assert_eq!(KEYS.len(), FIELDS.len() + 2);
        assert_eq!(KEYS[0], "id");
        assert_eq!(KEYS[1], "title");
        assert_eq!(KEYS[KEYS.len() - 1], "decision_log");
        assert_eq!(
            REQUIRED,
            [
                "id",
                "title",
                "hypothesis",
                "primary_metric",
                "baseline",
                "target"
            ]
        );
        assert_eq!(
            field("confidence").map(|f| f.kind),
            Some(FieldKind::Percent)
        );
        assert_eq!(field("id"), None);
        let plan: Vec<&str> = FIELDS.iter().filter(|f| f.plan).map(|f| f.name).collect();
        assert_eq!(
            plan,
            [
                "hypothesis",
                "primary_metric",
                "baseline",
                "target",
                "direction",
                "alpha",
                "power",
                "split",
                "minimum_detectable_effect",
                "expected_daily_units"
            ]
        );
        let flag = |name| field(name).map(Field::flag);
        assert_eq!(flag("primary_metric").as_deref(), Some("metric"));
        assert_eq!(flag("tags").as_deref(), Some("tag"));
        assert_eq!(flag("learning").as_deref(), Some("learning"));
    }

    /// The defaults of a new record are the table's defaults.
    #[test]
    fn a_default_record_holds_the_tables_defaults() {
        let r = Record::default();
        for f in FIELDS {
            let shown = match r.get(f.name) {
                Some(FieldValue::Text(t)) if !f.required => Some(t),
                Some(FieldValue::Whole(n)) => Some(n.to_string()),
                _ => None,
            };
            let expected = f.default.filter(|_| !f.nullable).map(str::to_owned);
            assert_eq!(shown, expected, "{}", f.name);
        }
    }
}
