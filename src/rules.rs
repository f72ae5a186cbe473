//! A record's text -> the record and every problem found, each with its rule name and place.
//! Never stops at the first problem.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::record::{Decision, Direction, KEYS, LogEntry, REQUIRED, Record, Status};
use crate::yaml::{self, Document, Kind, NodeId, Pos, Value};

/// Files larger than this are refused unread.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Most problems listed for one file (one more says the rest are not listed).
pub const MAX_PROBLEMS: usize = 1000;

/// The rules of the spec, each with a stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    YamlSyntax,
    UnknownKey,
    MissingField,
    WrongType,
    TitleLength,
    EmptyField,
    TargetVsBaseline,
    BadStatus,
    BadDecision,
    ConfidenceRange,
    DecisionRequired,
    ShippedNeedsShip,
    BadLogEntry,
    LogOrder,
    DuplicateId,
    LogRewritten,
    IdChanged,
    RecordDeleted,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::YamlSyntax => "yaml-syntax",
            Rule::UnknownKey => "unknown-key",
            Rule::MissingField => "missing-field",
            Rule::WrongType => "wrong-type",
            Rule::TitleLength => "title-length",
            Rule::EmptyField => "empty-field",
            Rule::TargetVsBaseline => "target-vs-baseline",
            Rule::BadStatus => "bad-status",
            Rule::BadDecision => "bad-decision",
            Rule::ConfidenceRange => "confidence-range",
            Rule::DecisionRequired => "decision-required",
            Rule::ShippedNeedsShip => "shipped-needs-ship",
            Rule::BadLogEntry => "bad-log-entry",
            Rule::LogOrder => "log-order",
            Rule::DuplicateId => "duplicate-id",
            Rule::LogRewritten => "log-rewritten",
            Rule::IdChanged => "id-changed",
            Rule::RecordDeleted => "record-deleted",
        }
    }
}

/// One broken rule, at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub rule: Rule,
    pub message: String,
    pub hint: Option<String>,
}

/// What reading one file gave: the record when every rule holds, and the problems otherwise.
#[derive(Debug, Clone)]
pub struct Checked {
    pub record: Option<Record>,
    pub problems: Vec<Problem>,
    /// The id as written, even when other rules fail (for refs and duplicate ids).
    pub id: Option<(String, Pos)>,
    /// The parsed text, when it parsed.
    pub doc: Option<Document>,
    /// The decision-log entries that could be read, even when other rules fail.
    pub log: Option<Vec<LogEntry>>,
}

/// Reads and checks one record file's bytes; `path` is used in messages only.
pub fn check_bytes(path: &Path, bytes: &[u8]) -> Checked {
    check_with(path, bytes, None)
}

/// The problem of a file of `len` bytes, too large to be read at all.
pub fn oversized(path: &Path, len: u64) -> Checked {
    let checker = Checker {
        path,
        problems: Vec::new(),
        doc: None,
        assigned_id: None,
        log: None,
    };
    let problem = checker.problem_at(Pos::start(), Rule::YamlSyntax, too_large(len), None);
    Checked {
        record: None,
        problems: vec![problem],
        id: None,
        doc: None,
        log: None,
    }
}

fn too_large(len: u64) -> String {
    format!("the file is {len} bytes; experiment files are at most {MAX_FILE_BYTES}")
}

/// Checks a payload for a new record (`xp new --from`), which must not carry an id: the id
/// xp assigned stands in for it.
pub fn check_payload(path: &Path, bytes: &[u8], assigned_id: &str) -> Checked {
    check_with(path, bytes, Some(assigned_id))
}

fn check_with(path: &Path, bytes: &[u8], assigned_id: Option<&str>) -> Checked {
    let mut checker = Checker {
        path,
        problems: Vec::new(),
        doc: None,
        assigned_id,
        log: None,
    };
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(problem) => {
            checker
                .problems
                .push(checker.problem_at(problem.0, Rule::YamlSyntax, problem.1, None));
            return checker.finish(None, None);
        }
    };
    match yaml::parse(text) {
        Ok(doc) => {
            let (record, id) = checker.check(&doc);
            checker.doc = Some(doc);
            checker.finish(record, id)
        }
        Err(e) => {
            checker.problems.push(checker.problem_at(
                e.pos,
                Rule::YamlSyntax,
                e.message,
                Some("fix the YAML syntax at this place".into()),
            ));
            checker.finish(None, None)
        }
    }
}

/// The text of a file, or where and why it is not readable UTF-8 within the size limit.
fn decode(bytes: &[u8]) -> Result<&str, (Pos, String)> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err((Pos::start(), too_large(bytes.len() as u64)));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        (
            Pos {
                line,
                column,
                byte: e.valid_up_to(),
            },
            "the file is not valid UTF-8 here; save it as UTF-8".to_owned(),
        )
    })
}

/// Reports every id shared by two or more files, at each later file's id.
pub fn duplicate_ids(ids: &[(PathBuf, String, Pos)]) -> Vec<Problem> {
    let mut first: HashMap<&str, &Path> = HashMap::new();
    let mut problems = Vec::new();
    for (path, id, pos) in ids {
        match first.get(id.as_str()) {
            Some(other) => problems.push(Problem {
                path: path.clone(),
                line: pos.line,
                column: pos.column,
                rule: Rule::DuplicateId,
                message: format!("id {id} is also the id of {}", other.display()),
                hint: Some("each experiment needs its own id; give this copy a new UUID v4".into()),
            }),
            None => {
                first.insert(id, path);
            }
        }
    }
    problems
}

struct Checker<'p> {
    path: &'p Path,
    problems: Vec<Problem>,
    doc: Option<Document>,
    assigned_id: Option<&'p str>,
    log: Option<Vec<LogEntry>>,
}

/// A field's value as read, with where it was written.
struct Field<T> {
    value: T,
    at: Pos,
}

impl Checker<'_> {
    fn finish(self, record: Option<Record>, id: Option<(String, Pos)>) -> Checked {
        let record = if self.problems.is_empty() {
            record
        } else {
            None
        };
        Checked {
            record,
            problems: self.problems,
            id,
            doc: self.doc,
            log: self.log,
        }
    }

    fn problem_at(&self, pos: Pos, rule: Rule, message: String, hint: Option<String>) -> Problem {
        Problem {
            path: self.path.to_owned(),
            line: pos.line,
            column: pos.column,
            rule,
            message,
            hint,
        }
    }

    /// Adds a problem; past [`MAX_PROBLEMS`] in one file, one last problem says the rest are
    /// not listed, so that a hostile file costs bounded time and memory.
    fn report(&mut self, pos: Pos, rule: Rule, message: impl Into<String>, hint: Option<&str>) {
        let problem = match self.problems.len() {
            n if n < MAX_PROBLEMS => {
                self.problem_at(pos, rule, message.into(), hint.map(str::to_owned))
            }
            n if n == MAX_PROBLEMS => self.problem_at(
                pos,
                rule,
                format!("more than {MAX_PROBLEMS} problems in this file; the rest are not listed"),
                Some("fix the problems above first".into()),
            ),
            _ => return,
        };
        self.problems.push(problem);
    }

    fn check(&mut self, doc: &Document) -> (Option<Record>, Option<(String, Pos)>) {
        let root = doc.node(doc.root);
        let Some(entries) = doc.root_entries() else {
            self.report(
                root.start,
                Rule::YamlSyntax,
                format!(
                    "the top level is {}; an experiment is a mapping of keys to values",
                    doc.value(doc.root).describe()
                ),
                Some("start the file with `id: ...`, `title: ...` and the other keys"),
            );
            return (None, None);
        };
        let mut values: HashMap<&str, (NodeId, NodeId)> = HashMap::new();
        for &(key, value) in entries {
            match doc.value(key) {
                Value::Str(name) if KEYS.contains(&name) => {
                    values.insert(name, (key, value));
                }
                // Past the limit the problem is not listed: skip the costly suggestion.
                Value::Str(_) if self.problems.len() > MAX_PROBLEMS => {}
                Value::Str(name) => {
                    let hint = nearest_key(name)
                        .map(|k| format!("did you mean `{k}`?"))
                        .unwrap_or_else(|| format!("the keys are: {}", KEYS.join(", ")));
                    self.report(
                        doc.node(key).start,
                        Rule::UnknownKey,
                        format!("unknown key `{name}`"),
                        Some(&hint),
                    );
                }
                other => self.report(
                    doc.node(key).start,
                    Rule::UnknownKey,
                    format!("a key must be a name, not {}", other.describe()),
                    None,
                ),
            }
        }
        for name in REQUIRED {
            let assigned = name == "id" && self.assigned_id.is_some();
            if !assigned && !values.contains_key(name) {
                self.report(
                    root.start,
                    Rule::MissingField,
                    format!("missing `{name}`"),
                    Some(&format!("add `{name}: ...`")),
                );
            }
        }
        let get = |name: &str| values.get(name).map(|&(_, v)| v);

        let id = match (get("id"), self.assigned_id) {
            (Some(v), Some(_)) => {
                self.report(
                    doc.node(v).start,
                    Rule::UnknownKey,
                    "`id` is assigned by xp and cannot be given",
                    Some("remove `id` from the payload"),
                );
                None
            }
            (Some(v), None) => self.id(doc, v),
            (None, Some(assigned)) => Some(Field {
                value: assigned.to_owned(),
                at: root.start,
            }),
            (None, None) => None,
        };
        let title = get("title").and_then(|v| self.string(doc, v, "title"));
        let hypothesis = get("hypothesis").and_then(|v| self.string(doc, v, "hypothesis"));
        let metric = get("primary_metric").and_then(|v| self.string(doc, v, "primary_metric"));
        let baseline = get("baseline").and_then(|v| self.number(doc, v, "baseline"));
        let target = get("target").and_then(|v| self.number(doc, v, "target"));
        let status = match get("status") {
            Some(v) => self.status(doc, v),
            None => Some(Field {
                value: Status::default(),
                at: root.start,
            }),
        };
        let confidence = match get("confidence") {
            Some(v) => self.confidence(doc, v),
            None => Some(0),
        };
        let decision = match get("decision") {
            Some(v) => self.decision(doc, v),
            None => Some(Field {
                value: None,
                at: root.start,
            }),
        };
        let learning = self.optional_string(doc, get("learning"), "learning");
        let owner = self.optional_string(doc, get("owner"), "owner");
        let direction = match get("direction") {
            Some(v) => self.direction(doc, v),
            None => Some(Field {
                value: None,
                at: root.start,
            }),
        };
        let tags = self.string_list(doc, get("tags"), "tags");
        let links = self.string_list(doc, get("links"), "links");
        let log = self.log(doc, get("decision_log"));

        if let Some(title) = &title {
            let len = title.value.trim().chars().count();
            if !(1..=200).contains(&len) {
                self.report(
                    title.at,
                    Rule::TitleLength,
                    format!("title is {len} characters after trimming; it must be 1 to 200"),
                    None,
                );
            }
        }
        for field in [&hypothesis, &metric].into_iter().flatten() {
            if field.value.trim().is_empty() {
                self.report(field.at, Rule::EmptyField, "this must not be blank", None);
            }
        }
        if let (Some(b), Some(t), Some(d)) = (&baseline, &target, &direction) {
            let decrease = d.value == Some(Direction::Decrease);
            if decrease && t.value >= b.value {
                self.report(
                    t.at,
                    Rule::TargetVsBaseline,
                    format!(
                        "target {} must be below baseline {} when direction is decrease",
                        t.value, b.value
                    ),
                    None,
                );
            } else if !decrease && t.value <= b.value {
                self.report(
                    t.at,
                    Rule::TargetVsBaseline,
                    format!("target {} must be above baseline {}", t.value, b.value),
                    Some("if lower is better for this metric, add `direction: decrease`"),
                );
            }
        }
        if let (Some(s), Some(d)) = (&status, &decision) {
            if s.value == Status::Completed && d.value.is_none() {
                self.report(
                    s.at,
                    Rule::DecisionRequired,
                    "status completed needs a decision",
                    Some("set `decision:` to ship, iterate, kill or inconclusive"),
                );
            }
            if s.value == Status::Shipped && d.value != Some(Decision::Ship) {
                self.report(
                    s.at,
                    Rule::ShippedNeedsShip,
                    "status shipped needs `decision: ship`",
                    None,
                );
            }
        }

        let id_at = id.as_ref().map(|f| (f.value.clone(), f.at));
        let record = (|| {
            Some(Record {
                id: id?.value,
                title: title?.value,
                hypothesis: hypothesis?.value,
                primary_metric: metric?.value,
                baseline: baseline?.value,
                target: target?.value,
                status: status?.value,
                confidence: confidence?,
                decision: decision?.value,
                learning: learning?,
                direction: direction?.value,
                owner: owner?,
                tags: tags?,
                links: links?,
                decision_log: log?,
            })
        })();
        (record, id_at)
    }

    fn wrong_type(&mut self, doc: &Document, node: NodeId, name: &str, expected: &str) {
        let got = doc.value(node);
        let hint = match (expected, got) {
            ("a number", Value::Str(_)) => Some("remove the quotes: a quoted number is text"),
            ("a string", Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
                Some("put the value in quotes to make it text")
            }
            _ => None,
        };
        self.report(
            doc.node(node).start,
            Rule::WrongType,
            format!("`{name}` must be {expected}, not {}", got.describe()),
            hint,
        );
    }

    fn id(&mut self, doc: &Document, node: NodeId) -> Option<Field<String>> {
        let at = doc.node(node).start;
        match doc.value(node) {
            Value::Str(s) if is_uuid(s) => Some(Field {
                value: s.to_owned(),
                at,
            }),
            Value::Str(s) => {
                self.report(
                    at,
                    Rule::WrongType,
                    format!("`id` must be a UUID, not `{s}`"),
                    Some("ids are assigned by `xp new` and never change"),
                );
                None
            }
            _ => {
                self.wrong_type(doc, node, "id", "a UUID");
                None
            }
        }
    }

    fn string(&mut self, doc: &Document, node: NodeId, name: &str) -> Option<Field<String>> {
        match doc.value(node) {
            Value::Str(s) => Some(Field {
                value: s.to_owned(),
                at: doc.node(node).start,
            }),
            _ => {
                self.wrong_type(doc, node, name, "a string");
                None
            }
        }
    }

    fn optional_string(
        &mut self,
        doc: &Document,
        node: Option<NodeId>,
        name: &str,
    ) -> Option<Option<String>> {
        let Some(node) = node else {
            return Some(None);
        };
        match doc.value(node) {
            Value::Null => Some(None),
            Value::Str(s) => Some(Some(s.to_owned())),
            _ => {
                self.wrong_type(doc, node, name, "a string or null");
                None
            }
        }
    }

    fn number(&mut self, doc: &Document, node: NodeId, name: &str) -> Option<Field<f64>> {
        let at = doc.node(node).start;
        match doc.value(node) {
            Value::Int(n) => Some(Field {
                value: n as f64,
                at,
            }),
            Value::Float(x) if x.is_finite() => Some(Field { value: x, at }),
            Value::Float(_) => {
                self.report(
                    at,
                    Rule::WrongType,
                    format!("`{name}` must be a finite number"),
                    None,
                );
                None
            }
            _ => {
                self.wrong_type(doc, node, name, "a number");
                None
            }
        }
    }

    fn status(&mut self, doc: &Document, node: NodeId) -> Option<Field<Status>> {
        let at = doc.node(node).start;
        if let Value::Str(s) = doc.value(node)
            && let Some(value) = Status::parse(s)
        {
            return Some(Field { value, at });
        }
        let list: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
        self.report(
            at,
            Rule::BadStatus,
            format!(
                "status {} is not one of {}",
                shown(doc, node),
                list.join(", ")
            ),
            None,
        );
        None
    }

    fn decision(&mut self, doc: &Document, node: NodeId) -> Option<Field<Option<Decision>>> {
        let at = doc.node(node).start;
        match doc.value(node) {
            Value::Null => return Some(Field { value: None, at }),
            Value::Str(s) => {
                if let Some(d) = Decision::parse(s) {
                    return Some(Field { value: Some(d), at });
                }
            }
            _ => {}
        }
        let list: Vec<_> = Decision::ALL.iter().map(|d| d.as_str()).collect();
        self.report(
            at,
            Rule::BadDecision,
            format!(
                "decision {} is not one of {} or null",
                shown(doc, node),
                list.join(", ")
            ),
            None,
        );
        None
    }

    fn direction(&mut self, doc: &Document, node: NodeId) -> Option<Field<Option<Direction>>> {
        let at = doc.node(node).start;
        match doc.value(node) {
            Value::Null => return Some(Field { value: None, at }),
            Value::Str(s) => {
                if let Some(d) = Direction::parse(s) {
                    return Some(Field { value: Some(d), at });
                }
            }
            _ => {}
        }
        self.report(
            at,
            Rule::WrongType,
            format!(
                "direction {} is not `increase` or `decrease`",
                shown(doc, node)
            ),
            None,
        );
        None
    }

    fn confidence(&mut self, doc: &Document, node: NodeId) -> Option<i64> {
        let at = doc.node(node).start;
        match doc.value(node) {
            Value::Int(n) if (0..=100).contains(&n) => Some(n),
            Value::Int(_) | Value::Float(_) => {
                self.report(
                    at,
                    Rule::ConfidenceRange,
                    format!(
                        "confidence {} must be a whole number from 0 to 100",
                        shown(doc, node)
                    ),
                    None,
                );
                None
            }
            _ => {
                self.wrong_type(doc, node, "confidence", "a number");
                None
            }
        }
    }

    fn string_list(
        &mut self,
        doc: &Document,
        node: Option<NodeId>,
        name: &str,
    ) -> Option<Option<Vec<String>>> {
        let Some(node) = node else {
            return Some(None);
        };
        match doc.value(node) {
            Value::Null => Some(None),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for &item in items {
                    match doc.value(item) {
                        Value::Str(s) => out.push(s.to_owned()),
                        _ => {
                            self.wrong_type(doc, item, name, "a list of strings");
                            ok = false;
                        }
                    }
                }
                ok.then_some(Some(out))
            }
            _ => {
                self.wrong_type(doc, node, name, "a list of strings");
                None
            }
        }
    }

    fn log(&mut self, doc: &Document, node: Option<NodeId>) -> Option<Vec<LogEntry>> {
        let Some(node) = node else {
            self.log = Some(Vec::new());
            return Some(Vec::new());
        };
        let items = match doc.value(node) {
            Value::Null => {
                self.log = Some(Vec::new());
                return Some(Vec::new());
            }
            Value::Seq(items) => items,
            other => {
                self.report(
                    doc.node(node).start,
                    Rule::BadLogEntry,
                    format!(
                        "`decision_log` must be a list of entries, not {}",
                        other.describe()
                    ),
                    Some("write `decision_log:` alone (or `decision_log: []`) for an empty log"),
                );
                return None;
            }
        };
        let mut entries = Vec::with_capacity(items.len());
        let mut ok = true;
        let mut previous: Option<chrono::DateTime<chrono::Utc>> = None;
        for &item in items {
            match self.log_entry(doc, item) {
                Some((entry, time, at)) => {
                    if previous.is_some_and(|p| time < p) {
                        self.report(
                            at,
                            Rule::LogOrder,
                            format!("entry at {} is earlier than the entry before it", entry.at),
                            Some("log entries are in time order; new entries go at the end"),
                        );
                        ok = false;
                    }
                    previous = Some(time);
                    entries.push(entry);
                }
                None => ok = false,
            }
        }
        self.log = Some(entries.clone());
        ok.then_some(entries)
    }

    fn log_entry(
        &mut self,
        doc: &Document,
        item: NodeId,
    ) -> Option<(LogEntry, chrono::DateTime<chrono::Utc>, Pos)> {
        let start = doc.node(item).start;
        let Value::Map(fields) = doc.value(item) else {
            self.report(
                start,
                Rule::BadLogEntry,
                format!(
                    "a log entry must be a mapping with `at`, `who` and `note`, not {}",
                    doc.value(item).describe()
                ),
                None,
            );
            return None;
        };
        let mut ok = true;
        for &(key, _) in fields {
            if !matches!(doc.value(key), Value::Str("at" | "who" | "note")) {
                self.report(
                    doc.node(key).start,
                    Rule::BadLogEntry,
                    format!("unknown key {} in a log entry", shown(doc, key)),
                    Some("a log entry has only `at`, `who` and `note`"),
                );
                ok = false;
            }
        }
        let at = match doc.entry(item, "at") {
            None => {
                self.report(start, Rule::BadLogEntry, "log entry has no `at`", None);
                None
            }
            Some((_, v)) => match doc.value(v) {
                Value::Str(s) => match parse_utc(s) {
                    Some(time) => Some((s.to_owned(), time, doc.node(v).start)),
                    None => {
                        self.report(
                            doc.node(v).start,
                            Rule::BadLogEntry,
                            format!("`at` is `{s}`, not an RFC 3339 UTC time"),
                            Some("write it like 2026-02-22T18:30:00.000Z"),
                        );
                        None
                    }
                },
                other => {
                    self.report(
                        doc.node(v).start,
                        Rule::BadLogEntry,
                        format!(
                            "`at` must be an RFC 3339 UTC time, not {}",
                            other.describe()
                        ),
                        None,
                    );
                    None
                }
            },
        };
        let who = match doc.entry(item, "who") {
            None => Some(None),
            Some((_, v)) => match doc.value(v) {
                Value::Null => Some(None),
                Value::Str(s) => Some(Some(s.to_owned())),
                other => {
                    self.report(
                        doc.node(v).start,
                        Rule::BadLogEntry,
                        format!("`who` must be a string or null, not {}", other.describe()),
                        None,
                    );
                    None
                }
            },
        };
        let note = match doc.entry(item, "note") {
            None => {
                self.report(start, Rule::BadLogEntry, "log entry has no `note`", None);
                None
            }
            Some((_, v)) => match doc.value(v) {
                Value::Str(s) if !s.trim().is_empty() => Some(s.to_owned()),
                Value::Str(_) => {
                    self.report(
                        doc.node(v).start,
                        Rule::BadLogEntry,
                        "`note` is blank",
                        None,
                    );
                    None
                }
                other => {
                    self.report(
                        doc.node(v).start,
                        Rule::BadLogEntry,
                        format!("`note` must be a string, not {}", other.describe()),
                        None,
                    );
                    None
                }
            },
        };
        let (at, time, at_pos) = at?;
        ok.then_some((
            LogEntry {
                at,
                who: who?,
                note: note?,
            },
            time,
            at_pos,
        ))
    }
}

/// A value as it appears in a message: the text of a scalar, else what it is.
fn shown(doc: &Document, node: NodeId) -> String {
    match &doc.node(doc.target(node)).kind {
        Kind::Scalar { text, .. } if text.chars().count() <= 40 => format!("`{text}`"),
        _ => doc.value(node).describe().to_owned(),
    }
}

/// Parses an RFC 3339 time that is in UTC (`Z` or `+00:00`).
pub fn parse_utc(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let time = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    (time.offset().local_minus_utc() == 0).then(|| time.with_timezone(&chrono::Utc))
}

/// Whether the text is a UUID in its hyphenated form.
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

/// The known key closest to a misspelt one, when it is close enough to be a likely typo.
fn nearest_key(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const GOOD: &str = "id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58
title: Homepage CTA Color
hypothesis: Green beats blue
primary_metric: signup_rate
baseline: 3.2
target: 3.7
status: running
confidence: 0
decision: null
learning: null
decision_log:
- at: 2026-02-22T18:30:00.000Z
  who: alice
  note: Launched to 10% of users
";

    fn rules(text: &str) -> Vec<(Rule, usize, usize)> {
        check_bytes(Path::new("x.yaml"), text.as_bytes())
            .problems
            .iter()
            .map(|p| (p.rule, p.line, p.column))
            .collect()
    }

    #[test]
    fn problems_stop_after_the_limit() {
        let mut text = GOOD.to_owned();
        for i in 0..5_000 {
            text.push_str(&format!("k{i}: 1\n"));
        }
        let problems = check_bytes(Path::new("x.yaml"), text.as_bytes()).problems;
        assert_eq!(problems.len(), MAX_PROBLEMS + 1);
        assert!(
            problems[MAX_PROBLEMS]
                .message
                .contains("the rest are not listed")
        );
        let checked = oversized(Path::new("x.yaml"), 5 << 20);
        assert_eq!(
            checked.problems[0].message,
            format!("the file is 5242880 bytes; experiment files are at most {MAX_FILE_BYTES}")
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(crate::test_support::cases(2_000)))]

        /// Any bytes at all: a record with no problem, or problems and no record; no panic.
        #[test]
        fn any_bytes_are_checked_without_panic(bytes in crate::test_support::hostile_bytes()) {
            let checked = check_bytes(Path::new("x.yaml"), &bytes);
            proptest::prop_assert_eq!(checked.record.is_some(), checked.problems.is_empty());
            for p in &checked.problems {
                proptest::prop_assert!(p.line >= 1 && p.column >= 1);
            }
        }
    }

    #[test]
    fn a_good_record_reads_whole() {
        let checked = check_bytes(Path::new("x.yaml"), GOOD.as_bytes());
        assert_eq!(checked.problems, vec![]);
        let record = checked.record.unwrap();
        assert_eq!(record.baseline, 3.2);
        assert_eq!(record.decision_log.len(), 1);
        assert_eq!(record.decision_log[0].who.as_deref(), Some("alice"));
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_place() {
        let text = GOOD
            .replace("status: running", "stauts: running\nstatus: done")
            .replace("baseline: 3.2", "baseline: \"3.2\"")
            .replace("confidence: 0", "confidence: 101");
        assert_eq!(
            rules(&text),
            vec![
                (Rule::UnknownKey, 7, 1),
                (Rule::WrongType, 5, 11),
                (Rule::BadStatus, 8, 9),
                (Rule::ConfidenceRange, 9, 13),
            ]
        );
        let checked = check_bytes(Path::new("x.yaml"), text.as_bytes());
        assert_eq!(
            checked.problems[0].hint.as_deref(),
            Some("did you mean `status`?")
        );
    }

    #[test]
    fn each_rule_fires() {
        let cases: Vec<(String, Rule)> = vec![
            ("- a\n".into(), Rule::YamlSyntax),
            (
                GOOD.replace("title: Homepage CTA Color\n", ""),
                Rule::MissingField,
            ),
            (
                GOOD.replace("Homepage CTA Color", "\"  \""),
                Rule::TitleLength,
            ),
            (
                GOOD.replace("Homepage CTA Color", &"x".repeat(201)),
                Rule::TitleLength,
            ),
            (GOOD.replace("Green beats blue", "\" \""), Rule::EmptyField),
            (
                GOOD.replace("target: 3.7", "target: 3.2"),
                Rule::TargetVsBaseline,
            ),
            (
                GOOD.replace("target: 3.7", "target: 3.7\ndirection: decrease"),
                Rule::TargetVsBaseline,
            ),
            (
                GOOD.replace("decision: null", "decision: maybe"),
                Rule::BadDecision,
            ),
            (
                GOOD.replace("confidence: 0", "confidence: 9.5"),
                Rule::ConfidenceRange,
            ),
            (
                GOOD.replace("status: running", "status: completed"),
                Rule::DecisionRequired,
            ),
            (
                GOOD.replace("status: running", "status: shipped")
                    .replace("decision: null", "decision: kill"),
                Rule::ShippedNeedsShip,
            ),
            (
                GOOD.replace("who: alice", "who: [alice]"),
                Rule::BadLogEntry,
            ),
            (GOOD.replace(".000Z", "+02:00"), Rule::BadLogEntry),
            (
                GOOD.replace("  note: Launched to 10% of users\n", ""),
                Rule::BadLogEntry,
            ),
            (
                format!("{GOOD}- at: 2026-02-21T00:00:00Z\n  note: earlier\n"),
                Rule::LogOrder,
            ),
            (
                GOOD.replace("title: Homepage CTA Color", "title: 2024"),
                Rule::WrongType,
            ),
            (GOOD.replace("3f9c2a71-5b1e", "nope"), Rule::WrongType),
        ];
        for (text, rule) in cases {
            let found = rules(&text);
            assert!(
                found.iter().any(|(r, _, _)| *r == rule),
                "{rule:?} not found in {found:?} for\n{text}"
            );
        }
    }

    #[test]
    fn direction_decrease_turns_the_target_rule_around() {
        let text = GOOD.replace("target: 3.7", "target: 2.9\ndirection: decrease");
        assert_eq!(rules(&text), vec![]);
    }

    #[test]
    fn non_utf8_is_located() {
        let mut bytes = b"id: x\ntitle: ab".to_vec();
        bytes.push(0xff);
        let checked = check_bytes(Path::new("x.yaml"), &bytes);
        let p = &checked.problems[0];
        assert_eq!((p.rule, p.line, p.column), (Rule::YamlSyntax, 2, 10));
    }

    #[test]
    fn duplicate_ids_point_at_the_second_file() {
        let pos = Pos {
            line: 1,
            column: 5,
            byte: 4,
        };
        let ids = vec![
            (PathBuf::from("a.yaml"), "x".to_owned(), pos),
            (PathBuf::from("b.yaml"), "x".to_owned(), pos),
            (PathBuf::from("c.yaml"), "y".to_owned(), pos),
        ];
        let problems = duplicate_ids(&ids);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, PathBuf::from("b.yaml"));
        assert!(problems[0].message.contains("a.yaml"));
    }

    #[test]
    fn nearest_key_suggests_only_close_names() {
        assert_eq!(nearest_key("stauts"), Some("status"));
        assert_eq!(nearest_key("decisionlog"), Some("decision_log"));
        assert_eq!(nearest_key("zzzzzz"), None);
    }
}
