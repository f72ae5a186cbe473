//! The one table of a record's editable fields: name, type, whether required, what it means.
//!
//! Pure data. The rules read it to know the keys and their types; flags, export columns, diff
//! and merge can be built from it too, so that a new field is added in one place.

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
}

/// One editable field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The key as written in the file.
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

/// Every editable field, in the order xp writes them (between `id` and `decision_log`).
pub const FIELDS: &[Field] = &[
    Field {
        name: "title",
        kind: FieldKind::Text,
        required: true,
        nullable: false,
        default: None,
        description: "what the experiment is called, 1 to 200 characters",
    },
    Field {
        name: "hypothesis",
        kind: FieldKind::Text,
        required: true,
        nullable: false,
        default: None,
        description: "what the change is expected to do",
    },
    Field {
        name: "primary_metric",
        kind: FieldKind::Text,
        required: true,
        nullable: false,
        default: None,
        description: "the metric that decides",
    },
    Field {
        name: "baseline",
        kind: FieldKind::Number,
        required: true,
        nullable: false,
        default: None,
        description: "the metric's value before the change",
    },
    Field {
        name: "target",
        kind: FieldKind::Number,
        required: true,
        nullable: false,
        default: None,
        description: "the value that counts as success: above baseline, below it with direction decrease",
    },
    Field {
        name: "status",
        kind: FieldKind::Enum(STATUSES),
        required: false,
        nullable: false,
        default: Some("draft"),
        description: "where the experiment stands",
    },
    Field {
        name: "confidence",
        kind: FieldKind::Percent,
        required: false,
        nullable: false,
        default: Some("0"),
        description: "how sure the result is, a whole number from 0 to 100",
    },
    Field {
        name: "decision",
        kind: FieldKind::Enum(DECISIONS),
        required: false,
        nullable: true,
        default: None,
        description: "what was decided; status completed needs one, shipped needs ship",
    },
    Field {
        name: "learning",
        kind: FieldKind::Text,
        required: false,
        nullable: true,
        default: None,
        description: "what the team learnt",
    },
    Field {
        name: "direction",
        kind: FieldKind::Enum(DIRECTIONS),
        required: false,
        nullable: true,
        default: Some("increase"),
        description: "which way the metric should move; absent means increase",
    },
    Field {
        name: "owner",
        kind: FieldKind::Text,
        required: false,
        nullable: true,
        default: None,
        description: "who answers for the experiment",
    },
    Field {
        name: "tags",
        kind: FieldKind::TextList,
        required: false,
        nullable: true,
        default: None,
        description: "words to filter by",
    },
    Field {
        name: "links",
        kind: FieldKind::TextList,
        required: false,
        nullable: true,
        default: None,
        description: "dashboards, documents and tickets about the experiment",
    },
    Field {
        name: "observed",
        kind: FieldKind::Number,
        required: false,
        nullable: true,
        default: None,
        description: "the measured value of the primary metric; lift and target_met derive from it",
    },
];

/// The field named `name`, if it is an editable one.
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
    use crate::record::{Decision, Direction, Status};

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
        assert_eq!(KEYS.len(), 16);
        assert_eq!(KEYS[0], "id");
        assert_eq!(KEYS[14], "observed");
        assert_eq!(KEYS[15], "decision_log");
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
    }
}
