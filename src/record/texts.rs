//! The texts xp writes into decision logs and commit bodies, and reads back: a status move
//! (`status: draft -> running: why`), an amendment of the plan (`amended: target 3.7 -> 3.5:
//! why`), a corrected time (`corrected: at 2029-01-01T00:00:00.000Z -> 2026-02-23T09:00:00.000Z:
//! why`) and a changed field in a commit body (`target: 3.7 -> 3.5`). Each is written here and
//! read here, so that the log, the page, the report and the checks agree on what it says.

use std::fmt;

use crate::record::edit::format_number;
use crate::record::fields::{Field, FieldKind, FieldValue, KEYS, field};
use crate::record::parts::Status;
use crate::text;

const MOVED: &str = "status: ";
const AMENDED: &str = "amended: ";
const CORRECTED: &str = "corrected: at ";
const RESULTS: &str = "results: ";
const OVERRIDE: &str = "override: ";
const ARROW: &str = " -> ";

/// A decision-log note, as xp writes it or as a person wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note<'a> {
    /// The status moved (`status: draft -> running`), with the reason when one came with it.
    Moved {
        from: Status,
        to: Status,
        why: Option<&'a str>,
    },
    /// The plan changed after it was locked: `amended: FIELD FROM -> TO: WHY`; `change` is the
    /// text after the field's name.
    Amended { field: &'a str, change: &'a str },
    /// An entry's time was corrected from `from` to `to` (both as entries write `at`): it was
    /// stamped by a clock that ran ahead. `corrected: at FROM -> TO: WHY`.
    Corrected {
        from: &'a str,
        to: &'a str,
        why: Option<&'a str>,
    },
    /// Results were recorded: `results: control=10000/320, green=10000/371 as of T` (the
    /// results as [`crate::record::results::Results`] shows them).
    Results { results: &'a str },
    /// The team accepts what the evidence says against a decision, with the reason:
    /// `override: WHY`.
    Override { why: &'a str },
    /// Anything else: what a person said.
    Said(&'a str),
}

impl<'a> Note<'a> {
    /// What a note's text says.
    pub fn read(text: &'a str) -> Note<'a> {
        Note::moved_in(text)
            .or_else(|| {
                let rest = text.strip_prefix(AMENDED)?;
                let (field, change) = rest.split_once(' ')?;
                Some(Note::Amended { field, change })
            })
            .or_else(|| {
                let rest = text.strip_prefix(CORRECTED)?;
                let (from, rest) = rest.split_once(ARROW)?;
                let (to, why) = match rest.split_once(": ") {
                    Some((to, why)) => (to, Some(why)),
                    None => (rest, None),
                };
                Some(Note::Corrected {
                    from,
                    to,
                    why: why.filter(|w| !w.trim().is_empty()),
                })
            })
            .or_else(|| {
                let results = text.strip_prefix(RESULTS)?;
                Some(Note::Results { results })
            })
            .or_else(|| {
                let why = text.strip_prefix(OVERRIDE)?;
                (!why.trim().is_empty()).then_some(Note::Override { why })
            })
            .unwrap_or(Note::Said(text))
    }

    fn moved_in(text: &'a str) -> Option<Note<'a>> {
        let rest = text.strip_prefix(MOVED)?;
        let (from, rest) = rest.split_once(ARROW)?;
        let (to, why) = match rest.split_once(": ") {
            Some((to, why)) => (to, Some(why)),
            None => (rest, None),
        };
        Some(Note::Moved {
            from: Status::parse(from)?,
            to: Status::parse(to.trim_end())?,
            why: why.filter(|w| !w.trim().is_empty()),
        })
    }

    /// The note of an amendment of `field` from `from` to `to`, for `why`.
    pub fn amended(field: &'a str, from: &str, to: &str, why: &str) -> String {
        format!("{AMENDED}{field} {from}{ARROW}{to}: {why}")
    }

    /// The reason, when this note amends `field` from `from` to `to` (values as [`shown`]).
    pub fn amends(&self, field: &str, from: &str, to: &str) -> Option<&'a str> {
        match self {
            Note::Amended { field: f, change } if *f == field => change
                .strip_prefix(from)?
                .strip_prefix(ARROW)?
                .strip_prefix(to)?
                .strip_prefix(": "),
            _ => None,
        }
    }

    /// Whether this note amends `field` to `to` (a value as [`shown`]), from whatever value.
    pub fn amends_to(&self, field: &str, to: &str) -> bool {
        match self {
            Note::Amended { field: f, change } if *f == field => {
                change.match_indices(ARROW).any(|(at, arrow)| {
                    change[at + arrow.len()..]
                        .strip_prefix(to)
                        .is_some_and(|rest| rest.starts_with(": "))
                })
            }
            _ => false,
        }
    }

    /// The value an amendment sets: the text between its first ` -> ` and the `: ` after it
    /// (exact for numbers, words and metric names; a text holding those may read short).
    pub fn amended_to(&self) -> Option<&'a str> {
        match self {
            Note::Amended { change, .. } => {
                let (_, rest) = change.split_once(ARROW)?;
                Some(rest.split_once(": ").map_or(rest, |(to, _)| to))
            }
            _ => None,
        }
    }

    /// Whether the note gives a reason: a person's words, or a move with its why.
    pub fn says_why(&self) -> bool {
        match self {
            Note::Said(text) => !text.trim().is_empty(),
            Note::Moved { why, .. } => why.is_some(),
            Note::Override { .. } => true,
            Note::Amended { .. } | Note::Corrected { .. } | Note::Results { .. } => false,
        }
    }
}

impl fmt::Display for Note<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Moved { from, to, why } => {
                write!(f, "{MOVED}{}{ARROW}{}", from.as_str(), to.as_str())?;
                match why {
                    Some(why) => write!(f, ": {why}"),
                    None => Ok(()),
                }
            }
            Note::Amended { field, change } => write!(f, "{AMENDED}{field} {change}"),
            Note::Corrected { from, to, why } => {
                write!(f, "{CORRECTED}{from}{ARROW}{to}")?;
                match why {
                    Some(why) => write!(f, ": {why}"),
                    None => Ok(()),
                }
            }
            Note::Results { results } => write!(f, "{RESULTS}{results}"),
            Note::Override { why } => write!(f, "{OVERRIDE}{why}"),
            Note::Said(text) => f.write_str(text),
        }
    }
}

/// A line of a commit body that says a field changed: `target: 3.7 -> 3.5`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed<'a> {
    pub field: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

impl<'a> Changed<'a> {
    /// The change a body line records, when it names a key of the record.
    pub fn read(line: &'a str) -> Option<Changed<'a>> {
        let (field, rest) = line.split_once(": ")?;
        let (from, to) = rest.split_once(ARROW)?;
        KEYS.contains(&field).then_some(Changed { field, from, to })
    }
}

/// On its one line: a line break or another control character in a value is shown escaped
/// ([`text::terminal`]), so that each change keeps to its line of the commit body.
impl fmt::Display for Changed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}{ARROW}{}",
            self.field,
            text::terminal(self.from),
            text::terminal(self.to)
        )
    }
}

/// A field's value as the log and commit bodies show it: `3.2`, `[a, b]`, `null`; an absent
/// value that stands for a default shows the default (`increase`), a list shows `[]`.
pub fn shown(name: &str, value: &Option<FieldValue>) -> String {
    let field: Option<&Field> = field(name);
    match value {
        None if field.is_some_and(|f| f.kind == FieldKind::TextList) => "[]".into(),
        None => field.and_then(|f| f.default).unwrap_or("null").into(),
        Some(FieldValue::List(items)) => format!("[{}]", items.join(", ")),
        Some(FieldValue::Number(x)) => format_number(*x),
        Some(FieldValue::Whole(n)) => n.to_string(),
        Some(FieldValue::Text(t)) => t.clone(),
        Some(FieldValue::Numbers(items)) => {
            let items: Vec<String> = items.iter().map(|x| format_number(*x)).collect();
            format!("[{}]", items.join(", "))
        }
        Some(FieldValue::Results(results)) => results.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_is_written_and_read_back() {
        let moved = Note::Moved {
            from: Status::Running,
            to: Status::Killed,
            why: Some("no lift: none at all"),
        };
        let text = moved.to_string();
        assert_eq!(text, "status: running -> killed: no lift: none at all");
        assert_eq!(Note::read(&text), moved);
        assert!(moved.says_why());
        let bare = Note::read("status: draft -> running");
        assert_eq!(
            bare,
            Note::Moved {
                from: Status::Draft,
                to: Status::Running,
                why: None
            }
        );
        assert!(!bare.says_why());
        assert_eq!(
            Note::read("status: paused -> running"),
            Note::Said("status: paused -> running")
        );
    }

    #[test]
    fn an_amendment_reads_back_its_reason() {
        let text = Note::amended("target", "3.7", "3.5", "traffic halved: a smaller lift");
        assert_eq!(
            text,
            "amended: target 3.7 -> 3.5: traffic halved: a smaller lift"
        );
        let note = Note::read(&text);
        assert_eq!(
            note.amends("target", "3.7", "3.5"),
            Some("traffic halved: a smaller lift")
        );
        assert_eq!(note.amends("target", "3.7", "3.4"), None);
        assert_eq!(note.amends("baseline", "3.7", "3.5"), None);
        assert!(note.amends_to("target", "3.5"));
        assert!(!note.amends_to("target", "3.7"));
        assert!(!note.amends_to("baseline", "3.5"));
        assert_eq!(note.amended_to(), Some("3.5"));
        let arrow_in_from = Note::amended("hypothesis", "a -> b", "c", "why");
        assert!(Note::read(&arrow_in_from).amends_to("hypothesis", "c"));
        assert_eq!(note.to_string(), text);
        assert!(!note.says_why());
    }

    #[test]
    fn a_corrected_time_is_written_and_read_back() {
        let corrected = Note::Corrected {
            from: "2029-01-01T00:00:00.000Z",
            to: "2026-02-23T09:00:00.000Z",
            why: Some("stamped ahead of its commit"),
        };
        let text = corrected.to_string();
        assert_eq!(
            text,
            "corrected: at 2029-01-01T00:00:00.000Z -> 2026-02-23T09:00:00.000Z: stamped ahead \
             of its commit"
        );
        assert_eq!(Note::read(&text), corrected);
        assert!(!corrected.says_why());
        assert_eq!(
            Note::read("corrected: the typo"),
            Note::Said("corrected: the typo")
        );
    }

    #[test]
    fn results_and_overrides_are_written_and_read_back() {
        let results = Note::Results {
            results: "control=10000/320, green=10000/371 as of 2026-03-01T00:00:00.000Z",
        };
        assert_eq!(Note::read(&results.to_string()), results);
        assert!(!results.says_why());
        let text = Note::Override {
            why: "bot traffic on one arm, filtered",
        }
        .to_string();
        assert_eq!(text, "override: bot traffic on one arm, filtered");
        assert!(Note::read(&text).says_why());
        assert_eq!(Note::read("override:  "), Note::Said("override:  "));
        assert_eq!(
            shown("split", &Some(FieldValue::Numbers(vec![60.0, 40.5]))),
            "[60, 40.5]"
        );
        assert_eq!(shown("split", &None), "null");
        assert_eq!(shown("alpha", &None), "0.05");
    }

    #[test]
    fn a_body_line_names_a_key_of_the_record() {
        let line = Changed {
            field: "target",
            from: "3.7",
            to: "3.5",
        };
        assert_eq!(line.to_string(), "target: 3.7 -> 3.5");
        assert_eq!(Changed::read("target: 3.7 -> 3.5"), Some(line));
        assert_eq!(Changed::read("Amended: a -> b"), None);
        assert_eq!(Changed::read("just a note"), None);
    }

    #[test]
    fn a_changed_value_keeps_to_its_line() {
        let line = Changed {
            field: "learning",
            from: "a\nb",
            to: "c\u{0}",
        };
        assert_eq!(line.to_string(), "learning: a\\nb -> c\\0");
    }

    #[test]
    fn values_show_their_defaults_when_absent() {
        assert_eq!(shown("direction", &None), "increase");
        assert_eq!(shown("decision", &None), "null");
        assert_eq!(shown("tags", &None), "[]");
        assert_eq!(
            shown(
                "tags",
                &Some(FieldValue::List(vec!["a".into(), "b".into()]))
            ),
            "[a, b]"
        );
        assert_eq!(shown("baseline", &Some(FieldValue::Number(3.0))), "3");
        assert_eq!(shown("baseline", &Some(FieldValue::Number(3.5))), "3.5");
        assert_eq!(shown("links", &Some(FieldValue::List(Vec::new()))), "[]");
        assert_eq!(shown("confidence", &None), "0");
        assert_eq!(shown("status", &None), "draft");
        assert_eq!(shown("confidence", &Some(FieldValue::Whole(96))), "96");
        assert_eq!(
            shown("learning", &Some(FieldValue::Text("green".into()))),
            "green"
        );
    }
}
