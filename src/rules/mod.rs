//! A record's text -> the record and every problem found, each with its rule name and place.
//! Never stops at the first problem.

pub mod evidence;
pub mod results;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::record::fields::{self, FIELDS, Field, FieldKind, FieldValue, KEYS, REQUIRED};
use crate::record::{Decision, Direction, LogEntry, Record, Status};
use crate::yaml::{self, Document, NodeId, Pos, Value};

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
    PlanChanged,
    PlanAmendmentMismatch,
    LogTimeAhead,
    BadResults,
    PlanRange,
    SrmDetected,
    SplitMismatch,
    ConfidenceVsEvidence,
    DecisionVsEvidence,
    StoppedEarly,
}

impl Rule {
    /// The rule a value outside an enum field's words breaks.
    pub fn for_bad_word(field: &str) -> Rule {
        match field {
            "status" => Rule::BadStatus,
            "decision" => Rule::BadDecision,
            _ => Rule::WrongType,
        }
    }

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
            Rule::PlanChanged => "plan-changed",
            Rule::PlanAmendmentMismatch => "plan-amendment-mismatch",
            Rule::LogTimeAhead => "log-time-ahead",
            Rule::BadResults => "bad-results",
            Rule::PlanRange => "plan-range",
            Rule::SrmDetected => "srm-detected",
            Rule::SplitMismatch => "split-mismatch",
            Rule::ConfidenceVsEvidence => "confidence-vs-evidence",
            Rule::DecisionVsEvidence => "decision-vs-evidence",
            Rule::StoppedEarly => "stopped-early",
        }
    }
}

/// How much a problem weighs: an error fails `xp check`, a warning is said and does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
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
    /// The key of the record the problem is about, when it is about one (`title`,
    /// `decision_log`, an unknown key as written); front-ends point at it (HTTP's `loc`).
    #[serde(skip)]
    pub field: Option<String>,
    /// Every rule a record must pass is an error; some review rules warn.
    #[serde(skip)]
    pub severity: Severity,
    /// The item of that key's list the problem is about (`tags: [a, 1]`: 1), when it is
    /// about one; HTTP's `loc` ends with it.
    #[serde(skip)]
    pub item: Option<usize>,
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
        field: None,
        item: None,
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

/// The problem of a path that is not a regular file (`what` says what it is instead), which
/// is not read at all.
pub fn not_a_regular_file(path: &Path, what: &str) -> Checked {
    let problem = Problem {
        path: path.to_owned(),
        line: 1,
        column: 1,
        rule: Rule::YamlSyntax,
        message: format!("this is {what}, not a regular file; an experiment is a YAML file"),
        hint: Some("remove it, or move it out of the experiments directory".into()),
        field: None,
        severity: Severity::Error,
        item: None,
    };
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
        field: None,
        item: None,
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
            let problem = match conflict_marker(text) {
                Some(pos) => checker.problem_at(
                    pos,
                    Rule::YamlSyntax,
                    "unresolved merge conflict: git's conflict markers are still in the file"
                        .into(),
                    Some("run `xp resolve`, or keep one side between the markers".into()),
                ),
                None => checker.problem_at(
                    e.pos,
                    Rule::YamlSyntax,
                    e.message,
                    Some("fix the YAML syntax at this place".into()),
                ),
            };
            checker.problems.push(problem);
            checker.finish(None, None)
        }
    }
}

/// Where the first line of a git conflict marker (`<<<<<<<`, `=======`, `>>>>>>>`) starts.
fn conflict_marker(text: &str) -> Option<Pos> {
    let mut byte = 0;
    for (i, line) in text.split('\n').enumerate() {
        if ["<<<<<<<", "=======", ">>>>>>>"]
            .iter()
            .any(|m| line.starts_with(m))
        {
            return Some(Pos {
                line: i + 1,
                column: 1,
                byte,
            });
        }
        byte += line.len() + 1;
    }
    None
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

/// Reports every id shared by two or more files, at each later file's id. Ids are compared
/// without regard to case, as refs are.
pub fn duplicate_ids(ids: &[(PathBuf, String, Pos)]) -> Vec<Problem> {
    let mut first: HashMap<String, &Path> = HashMap::new();
    let mut problems = Vec::new();
    for (path, id, pos) in ids {
        match first.get(&id.to_ascii_lowercase()) {
            Some(other) => problems.push(Problem {
                path: path.clone(),
                line: pos.line,
                column: pos.column,
                rule: Rule::DuplicateId,
                message: format!("id {id} is also the id of {}", other.display()),
                hint: Some("each experiment needs its own id; give this copy a new UUID v4".into()),
                field: Some(fields::ID.to_owned()),
                severity: Severity::Error,
                item: None,
            }),
            None => {
                first.insert(id.to_ascii_lowercase(), path);
            }
        }
    }
    problems
}

struct Checker<'p> {
    path: &'p Path,
    problems: Vec<Problem>,
    /// The key the checks look at now; problems found are about it.
    field: Option<String>,
    /// The item of the key's list the checks look at now.
    item: Option<usize>,
    doc: Option<Document>,
    assigned_id: Option<&'p str>,
    log: Option<Vec<LogEntry>>,
}

/// A field's value as read, with where it was written.
struct Placed<T> {
    value: T,
    at: Pos,
}

/// The recognised keys of a record, each with its key's and its value's node.
type Keys<'d> = HashMap<&'d str, (NodeId, NodeId)>;

/// A field's value as read (`None` is null or absent), with where it was written.
type Read = Placed<Option<FieldValue>>;

/// A record's values as typed; each is `None` when its value broke a rule.
struct Typed {
    id: Option<Placed<String>>,
    /// Each field's, in the order of [`FIELDS`].
    values: Vec<Option<Read>>,
    log: Option<Vec<LogEntry>>,
}

impl Typed {
    /// The field's value as read, when it could be.
    fn get(&self, name: &str) -> Option<&Read> {
        let i = FIELDS.iter().position(|f| f.name == name)?;
        self.values.get(i)?.as_ref()
    }

    /// A text field's value (a word of an enum too), when set.
    fn text(&self, name: &str) -> Option<Placed<&str>> {
        match self.get(name)? {
            Placed {
                value: Some(FieldValue::Text(t)),
                at,
            } => Some(Placed { value: t, at: *at }),
            _ => None,
        }
    }

    /// A number field's value, when set.
    fn number(&self, name: &str) -> Option<Placed<f64>> {
        match self.get(name)? {
            Placed {
                value: Some(FieldValue::Number(x)),
                at,
            } => Some(Placed { value: *x, at: *at }),
            _ => None,
        }
    }

    /// The record, when every value could be read.
    fn into_record(self) -> Option<Record> {
        let mut record = Record {
            id: self.id?.value,
            decision_log: self.log?,
            ..Record::default()
        };
        for (field, read) in FIELDS.iter().zip(self.values) {
            if !record.set(field.name, read?.value) {
                return None;
            }
        }
        Some(record)
    }
}

/// Whether a number is in a plan field's range.
type Fits = fn(f64) -> bool;

/// A log entry as read, with its time and where `at` was written.
type ReadEntry = (LogEntry, chrono::DateTime<chrono::Utc>, Pos);

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
            field: self.field.clone(),
            severity: Severity::Error,
            item: self.item,
        }
    }

    /// Says which key the next problems are about.
    fn about(&mut self, field: Option<&str>) {
        self.field = field.map(str::to_owned);
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

    /// Every rule over one parsed document, in the order its problems are listed.
    fn check(&mut self, doc: &Document) -> (Option<Record>, Option<(String, Pos)>) {
        let Some(entries) = doc.root_entries() else {
            self.not_a_mapping(doc);
            return (None, None);
        };
        let keys = self.collect_keys(doc, entries);
        self.missing_fields(doc, &keys);
        let typed = self.read_values(doc, &keys);
        self.about(Some("title"));
        self.title_length(&typed);
        self.empty_fields(&typed);
        self.about(Some("target"));
        self.target_vs_baseline(&typed);
        self.about(Some("decision"));
        self.decision_required(&typed);
        self.shipped_needs_ship(&typed);
        self.plan_ranges(&typed);
        self.about(None);
        let id_at = typed.id.as_ref().map(|f| (f.value.clone(), f.at));
        let places: Vec<(&str, Pos)> = FIELDS
            .iter()
            .filter(|f| f.plan)
            .filter_map(|f| Some((f.name, typed.get(f.name)?.at)))
            .collect();
        let record = typed.into_record();
        if let Some(record) = &record {
            self.plan_amendment_mismatch(record, &places);
            self.about(None);
        }
        (record, id_at)
    }

    /// `plan-amendment-mismatch`: a field of a locked plan holds the value its last `amended:`
    /// entry set (two branches amending it differently merge into a log that says otherwise).
    fn plan_amendment_mismatch(&mut self, record: &Record, places: &[(&str, Pos)]) {
        for m in crate::record::plan::mismatches(record) {
            let at = places
                .iter()
                .find(|(name, _)| *name == m.field)
                .map_or_else(Pos::start, |(_, at)| *at);
            let amendment =
                crate::record::texts::Note::amended(m.field, &m.amended_to, &m.value, "why");
            self.about(Some(m.field));
            self.report(
                at,
                Rule::PlanAmendmentMismatch,
                format!(
                    "{} is {}, but the last amendment of it (decision-log entry {}) sets it to {}",
                    m.field,
                    m.value,
                    m.entry + 1,
                    m.amended_to
                ),
                Some(&format!(
                    "if {} is right, append an entry saying so, `note: \"{amendment}\"`; \
                     else set {} back to {}",
                    m.value, m.field, m.amended_to
                )),
            );
        }
    }

    /// `yaml-syntax`: the top level must be a mapping.
    fn not_a_mapping(&mut self, doc: &Document) {
        self.report(
            doc.node(doc.root).start,
            Rule::YamlSyntax,
            format!(
                "the top level is {}; an experiment is a mapping of keys to values",
                doc.value(doc.root).describe()
            ),
            Some("start the file with `id: ...`, `title: ...` and the other keys"),
        );
    }

    /// The known keys of the top level; each other key is an `unknown-key`.
    fn collect_keys<'d>(&mut self, doc: &'d Document, entries: &[(NodeId, NodeId)]) -> Keys<'d> {
        let mut keys = Keys::new();
        for &(key, value) in entries {
            match doc.value(key) {
                Value::Str(name) if KEYS.contains(&name) => {
                    keys.insert(name, (key, value));
                }
                _ => self.unknown_key(doc, key),
            }
        }
        keys
    }

    /// `unknown-key`: a key that is not one of [`KEYS`], with the likeliest one it meant.
    fn unknown_key(&mut self, doc: &Document, key: NodeId) {
        match doc.value(key) {
            // Past the limit the problem is not listed: skip the costly suggestion.
            Value::Str(_) if self.problems.len() > MAX_PROBLEMS => {}
            Value::Str(name) => {
                self.about(Some(name));
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

    /// `missing-field`: each of [`REQUIRED`] is present (a payload's id is xp's to assign).
    fn missing_fields(&mut self, doc: &Document, keys: &Keys) {
        for name in REQUIRED {
            let assigned = name == fields::ID && self.assigned_id.is_some();
            if !assigned && !keys.contains_key(name) {
                self.about(Some(name));
                self.report(
                    doc.node(doc.root).start,
                    Rule::MissingField,
                    format!("missing `{name}`"),
                    Some(&format!("add `{name}: ...`")),
                );
            }
        }
    }

    /// Each value read as its type (`wrong-type`, `bad-status`, `bad-decision`,
    /// `confidence-range`, the log's rules), an absent one as its default.
    fn read_values(&mut self, doc: &Document, keys: &Keys) -> Typed {
        let root = doc.node(doc.root).start;
        let values = FIELDS
            .iter()
            .map(|field| match keys.get(field.name) {
                Some(&(_, node)) => {
                    self.about(Some(field.name));
                    self.value(doc, node, field)
                }
                None if field.required => None,
                None => Some(Placed {
                    value: default_of(field),
                    at: root,
                }),
            })
            .collect();
        self.about(Some(fields::ID));
        let id = self.read_id(doc, keys.get(fields::ID).map(|&(_, v)| v));
        self.about(Some(fields::DECISION_LOG));
        let log = self.log(doc, keys.get(fields::DECISION_LOG).map(|&(_, v)| v));
        self.about(None);
        Typed { id, values, log }
    }

    /// One field's value, read as its kind says.
    fn value(&mut self, doc: &Document, node: NodeId, field: &Field) -> Option<Read> {
        let at = doc.node(node).start;
        let placed = |value| Some(Placed { value, at });
        let value = doc.value(node);
        if value == Value::Null && field.nullable {
            return placed(None);
        }
        let name = field.name;
        match (field.kind, value) {
            (FieldKind::Text, Value::Str(s)) => placed(Some(FieldValue::Text(s.to_owned()))),
            (FieldKind::Number, Value::Int(n)) => placed(Some(FieldValue::Number(n as f64))),
            (FieldKind::Number, Value::Float(x)) if x.is_finite() => {
                placed(Some(FieldValue::Number(x)))
            }
            (FieldKind::Number, Value::Float(_)) => {
                self.not_finite(doc, node, name);
                None
            }
            (FieldKind::Number, Value::Str(s)) if is_not_finite_word(s) => {
                self.not_finite(doc, node, name);
                None
            }
            (FieldKind::Percent, Value::Int(n)) if (0..=100).contains(&n) => {
                placed(Some(FieldValue::Whole(n)))
            }
            (FieldKind::Percent, Value::Int(_) | Value::Float(_)) => {
                self.report(
                    at,
                    Rule::ConfidenceRange,
                    format!(
                        "{name} must be a whole number from 0 to 100, not {}",
                        shown(doc, node)
                    ),
                    None,
                );
                None
            }
            (FieldKind::Enum(words), Value::Str(s)) if words.contains(&s) => {
                placed(Some(FieldValue::Text(s.to_owned())))
            }
            (FieldKind::Enum(words), _) => {
                self.bad_word(doc, node, field, words);
                None
            }
            (FieldKind::Results, _) => match results::read(doc, node) {
                Ok(read) => placed(Some(FieldValue::Results(Box::new(read)))),
                Err(findings) => {
                    for f in findings {
                        let rule = match f.broken {
                            results::Broken::WrongType => Rule::WrongType,
                            results::Broken::UnknownKey => Rule::UnknownKey,
                            results::Broken::MissingField => Rule::MissingField,
                            results::Broken::BadResults => Rule::BadResults,
                        };
                        self.report(f.at, rule, f.message, f.hint.as_deref());
                    }
                    None
                }
            },
            (FieldKind::Numbers, Value::Seq(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for &item in items {
                    match doc.value(item) {
                        Value::Int(n) => out.push(n as f64),
                        Value::Float(x) if x.is_finite() => out.push(x),
                        Value::Float(_) => self.not_finite(doc, item, name),
                        _ => self.wrong_type(doc, item, name, "a list of numbers"),
                    }
                }
                (out.len() == items.len()).then_some(Placed {
                    value: Some(FieldValue::Numbers(out)),
                    at,
                })
            }
            (FieldKind::TextList, Value::Seq(items)) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, &item) in items.iter().enumerate() {
                    match doc.value(item) {
                        Value::Str(s) => out.push(s.to_owned()),
                        _ => {
                            self.item = Some(i);
                            self.wrong_type(doc, item, &format!("{name}[{i}]"), "a string");
                            self.item = None;
                            ok = false;
                        }
                    }
                }
                ok.then_some(Placed {
                    value: Some(FieldValue::List(out)),
                    at,
                })
            }
            _ => {
                self.wrong_type(doc, node, name, expected(name));
                None
            }
        }
    }

    /// A value of an enum field that is not one of its words (`bad-status`, `bad-decision`,
    /// else `wrong-type`), told apart from a null in quotes.
    fn bad_word(&mut self, doc: &Document, node: NodeId, field: &Field, words: &[&str]) {
        let name = field.name;
        let rule = Rule::for_bad_word(name);
        let at = doc.node(node).start;
        if field.nullable
            && let Some(text) = quoted_null(doc, node)
        {
            self.report(
                at,
                rule,
                format!("{name} is the text \"{text}\" in quotes, not null"),
                Some(&format!(
                    "null is written without quotes (`{name}: null`); or set one of {}",
                    words.join(", ")
                )),
            );
            return;
        }
        self.report(
            at,
            rule,
            format!(
                "{name} {} is not one of {}{}",
                shown(doc, node),
                words.join(", "),
                if field.nullable { " or null" } else { "" }
            ),
            None,
        );
    }

    /// `title-length`: 1 to 200 characters after trimming.
    fn title_length(&mut self, typed: &Typed) {
        let Some(title) = typed.text("title") else {
            return;
        };
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

    /// `empty-field`: hypothesis and primary_metric are not blank.
    fn empty_fields(&mut self, typed: &Typed) {
        for name in ["hypothesis", "primary_metric"] {
            let Some(field) = typed.text(name) else {
                continue;
            };
            if field.value.trim().is_empty() {
                let what = fields::field(name).map_or("", |f| f.description);
                self.about(Some(name));
                self.report(
                    field.at,
                    Rule::EmptyField,
                    format!("`{name}` is blank; it must not be"),
                    Some(&format!("write {what} after `{name}:`")),
                );
            }
        }
    }

    /// `target-vs-baseline`: target above baseline, below it with direction decrease.
    fn target_vs_baseline(&mut self, typed: &Typed) {
        let (Some(b), Some(t), Some(d)) = (
            typed.number("baseline"),
            typed.number("target"),
            typed.get("direction"),
        ) else {
            return;
        };
        let decrease = d.value == Some(FieldValue::Text(Direction::Decrease.as_str().into()));
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

    /// `decision-required`: status completed needs a decision.
    fn decision_required(&mut self, typed: &Typed) {
        if let (Some(s), Some(d)) = (typed.text("status"), typed.get("decision"))
            && s.value == Status::Completed.as_str()
            && d.value.is_none()
        {
            self.report(
                s.at,
                Rule::DecisionRequired,
                "status completed needs a decision",
                Some("set `decision:` to ship, iterate, kill or inconclusive"),
            );
        }
    }

    /// `shipped-needs-ship`: status shipped needs decision ship.
    fn shipped_needs_ship(&mut self, typed: &Typed) {
        if let (Some(s), Some(d)) = (typed.text("status"), typed.get("decision"))
            && s.value == Status::Shipped.as_str()
            && d.value != Some(FieldValue::Text(Decision::Ship.as_str().into()))
        {
            self.report(
                s.at,
                Rule::ShippedNeedsShip,
                "status shipped needs `decision: ship`",
                None,
            );
        }
    }

    /// `plan-range`: the test's plan in its ranges: alpha and power between 0 and 1, the
    /// minimum detectable effect and the daily units above 0, a split of two shares or more,
    /// each above 0.
    fn plan_ranges(&mut self, typed: &Typed) {
        let ranges: [(&str, Fits, &str); 4] = [
            (
                "alpha",
                |x| x > 0.0 && x < 1.0,
                "between 0 and 1, like 0.05",
            ),
            ("power", |x| x > 0.0 && x < 1.0, "between 0 and 1, like 0.8"),
            (
                "minimum_detectable_effect",
                |x| x > 0.0,
                "above 0, in the metric's units",
            ),
            ("expected_daily_units", |x| x > 0.0, "above 0"),
        ];
        for (name, fits, range) in ranges {
            if let Some(v) = typed.number(name)
                && !fits(v.value)
            {
                self.about(Some(name));
                self.report(
                    v.at,
                    Rule::PlanRange,
                    format!(
                        "{name} is {}; it must be {range}",
                        crate::record::edit::format_number(v.value)
                    ),
                    None,
                );
            }
        }
        if let Some(Placed {
            value: Some(FieldValue::Numbers(split)),
            at,
        }) = typed.get("split")
        {
            let at = *at;
            self.about(Some("split"));
            if split.len() < 2 {
                self.report(
                    at,
                    Rule::PlanRange,
                    format!(
                        "split has {} share{}; it has one per variant, at least two",
                        split.len(),
                        if split.len() == 1 { "" } else { "s" }
                    ),
                    Some("write the control's share first, like `split: [50, 50]`"),
                );
            } else if split.iter().any(|s| *s <= 0.0) {
                self.report(
                    at,
                    Rule::PlanRange,
                    "every share of split must be above 0".to_owned(),
                    Some("a variant that gets no units is not in the test; leave it out"),
                );
            }
        }
    }

    /// `wrong-type`: a value that is not of its field's type, with a hint when quotes are the
    /// likely cause.
    fn wrong_type(&mut self, doc: &Document, node: NodeId, name: &str, expected: &str) {
        let got = doc.value(node);
        let hint = match (expected, got) {
            ("a number", Value::Str(s)) if is_number_text(s) => {
                Some("remove the quotes: a quoted number is text")
            }
            ("a number", Value::Str(_)) => Some("write the number in digits, like 3.2"),
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

    /// The id as written, or the one xp assigned to a payload (which must not carry one).
    fn read_id(&mut self, doc: &Document, node: Option<NodeId>) -> Option<Placed<String>> {
        match (node, self.assigned_id) {
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
            (None, Some(assigned)) => Some(Placed {
                value: assigned.to_owned(),
                at: doc.node(doc.root).start,
            }),
            (None, None) => None,
        }
    }

    /// `wrong-type` of `id`: a UUID.
    fn id(&mut self, doc: &Document, node: NodeId) -> Option<Placed<String>> {
        let at = doc.node(node).start;
        match doc.value(node) {
            Value::Str(s) if is_uuid(s) => Some(Placed {
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
                self.wrong_type(doc, node, fields::ID, "a UUID");
                None
            }
        }
    }

    /// `wrong-type`: NaN and infinities are no measure.
    fn not_finite(&mut self, doc: &Document, node: NodeId, name: &str) {
        self.report(
            doc.node(node).start,
            Rule::WrongType,
            format!("`{name}` must be a finite number, not {}", shown(doc, node)),
            Some("write the number in digits, like 3.2"),
        );
    }

    /// The decision log: a list of entries (`bad-log-entry`) in time order (`log-order`).
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
                    ok &= self.log_order(previous, time, &entry, at);
                    previous = Some(time);
                    entries.push(entry);
                }
                None => ok = false,
            }
        }
        self.log = Some(entries.clone());
        ok.then_some(entries)
    }

    /// `log-order`: an entry is not earlier than the one before it.
    fn log_order(
        &mut self,
        previous: Option<chrono::DateTime<chrono::Utc>>,
        time: chrono::DateTime<chrono::Utc>,
        entry: &LogEntry,
        at: Pos,
    ) -> bool {
        if previous.is_some_and(|p| time < p) {
            self.report(
                at,
                Rule::LogOrder,
                format!("entry at {} is earlier than the entry before it", entry.at),
                Some("log entries are in time order; new entries go at the end"),
            );
            return false;
        }
        true
    }

    /// `bad-log-entry`: a mapping of `at`, `who` and `note`, each of its type.
    fn log_entry(&mut self, doc: &Document, item: NodeId) -> Option<ReadEntry> {
        let start = doc.node(item).start;
        let Value::Map(entry_keys) = doc.value(item) else {
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
        let ok = self.log_entry_keys(doc, entry_keys);
        let at = self.log_at(doc, item);
        let who = self.log_who(doc, item);
        let note = self.log_note(doc, item);
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

    /// `bad-log-entry`: an entry has no key but [`fields::LOG_KEYS`].
    fn log_entry_keys(&mut self, doc: &Document, entry_keys: &[(NodeId, NodeId)]) -> bool {
        let mut ok = true;
        for &(key, _) in entry_keys {
            if !matches!(doc.value(key), Value::Str(k) if fields::LOG_KEYS.contains(&k)) {
                self.report(
                    doc.node(key).start,
                    Rule::BadLogEntry,
                    format!("unknown key {} in a log entry", shown(doc, key)),
                    Some("a log entry has only `at`, `who` and `note`"),
                );
                ok = false;
            }
        }
        ok
    }

    /// `bad-log-entry`: `at` is an RFC 3339 UTC time.
    fn log_at(
        &mut self,
        doc: &Document,
        item: NodeId,
    ) -> Option<(String, chrono::DateTime<chrono::Utc>, Pos)> {
        let Some((_, v)) = doc.entry(item, "at") else {
            let start = doc.node(item).start;
            self.report(start, Rule::BadLogEntry, "log entry has no `at`", None);
            return None;
        };
        match doc.value(v) {
            Value::Str(s) => match crate::time::parse_utc(s) {
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
        }
    }

    /// `bad-log-entry`: `who` is text, null or absent.
    fn log_who(&mut self, doc: &Document, item: NodeId) -> Option<Option<String>> {
        let Some((_, v)) = doc.entry(item, "who") else {
            return Some(None);
        };
        match doc.value(v) {
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
        }
    }

    /// `bad-log-entry`: `note` is text that is not blank.
    fn log_note(&mut self, doc: &Document, item: NodeId) -> Option<String> {
        let Some((_, v)) = doc.entry(item, "note") else {
            let start = doc.node(item).start;
            self.report(start, Rule::BadLogEntry, "log entry has no `note`", None);
            return None;
        };
        match doc.value(v) {
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
        }
    }
}

/// What a field's value must be, as a `wrong-type` message says it, from the field table.
fn expected(name: &str) -> &'static str {
    match fields::field(name).map(|f| (f.kind, f.nullable)) {
        Some((FieldKind::Text, false)) => "a string",
        Some((FieldKind::Text, true)) => "a string or null",
        Some((FieldKind::Number | FieldKind::Percent, _)) => "a number",
        Some((FieldKind::TextList, _)) => "a list of strings",
        Some((FieldKind::Numbers, _)) => "a list of numbers",
        Some((FieldKind::Results, _)) => "a mapping of as_of, source and variants",
        Some((FieldKind::Enum(_), _)) | None => "a value of its own kind",
    }
}

/// What an absent key stands for: the default of a field that cannot be null (`draft`, `0`);
/// none for the others, whose absence is their null.
fn default_of(field: &Field) -> Option<FieldValue> {
    let default = field.default.filter(|_| !field.nullable)?;
    match field.kind {
        FieldKind::Percent => default.parse().ok().map(FieldValue::Whole),
        FieldKind::Number => default.parse().ok().map(FieldValue::Number),
        _ => Some(FieldValue::Text(default.to_owned())),
    }
}

/// Whether text in quotes would be a finite number without them.
fn is_number_text(text: &str) -> bool {
    match yaml::resolve_plain(text.trim()) {
        Value::Int(_) => true,
        Value::Float(x) => x.is_finite(),
        _ => false,
    }
}

/// Whether text names NaN or an infinity, as JSON and spreadsheets write them (`NaN`, `inf`,
/// `-Infinity`, `.nan`).
fn is_not_finite_word(text: &str) -> bool {
    let word = text
        .trim()
        .trim_start_matches(['+', '-'])
        .trim_start_matches('.');
    ["nan", "inf", "infinity"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
}

/// The text of a quoted scalar that would be null without its quotes (`"null"`, `""`, `'~'`).
fn quoted_null(doc: &Document, node: NodeId) -> Option<&str> {
    match doc.scalar(doc.target(node)) {
        Some((text, yaml::Style::Quoted)) if yaml::resolve_plain(text) == Value::Null => Some(text),
        _ => None,
    }
}

/// A value as it appears in a message: the text of a scalar, else what it is.
fn shown(doc: &Document, node: NodeId) -> String {
    match doc.scalar(doc.target(node)) {
        Some((text, _)) if text.chars().count() <= 40 => format!("`{text}`"),
        _ => doc.value(node).describe().to_owned(),
    }
}

/// Whether the text is a UUID in its hyphenated form.
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

/// The known key closest to a misspelt one, when it is close enough to be a likely typo.
pub fn nearest_key(name: &str) -> Option<&'static str> {
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

    const GOOD: &str = crate::test_support::SAMPLE;

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

    /// Each problem names the key it is about, so that front-ends point at it without reading
    /// the message back.
    #[test]
    fn every_problem_names_its_field() {
        let fields = |text: &str| -> Vec<(Rule, Option<String>)> {
            check_bytes(Path::new("x.yaml"), text.as_bytes())
                .problems
                .into_iter()
                .map(|p| (p.rule, p.field))
                .collect()
        };
        let some = |f: &str| Some(f.to_owned());
        let text = GOOD
            .replace("status: running", "stauts: running\nstatus: completed")
            .replace("baseline: 3.2", "baseline: \"3.2\"")
            .replace("title: Homepage CTA Color", "title: \" \"")
            .replace("hypothesis: ", "hypothesis: \" \" # ")
            .replace("target: 3.7", "target: 1.0")
            .replace("- at: 2026-02-22T18:30:00.000Z", "- at: yesterday");
        assert_eq!(
            fields(&text),
            vec![
                (Rule::UnknownKey, some("stauts")),
                (Rule::WrongType, some("baseline")),
                (Rule::BadLogEntry, some("decision_log")),
                (Rule::TitleLength, some("title")),
                (Rule::EmptyField, some("hypothesis")),
                (Rule::DecisionRequired, some("decision")),
            ]
        );
        assert_eq!(
            fields("title: T\n"),
            vec![
                (Rule::MissingField, some("id")),
                (Rule::MissingField, some("hypothesis")),
                (Rule::MissingField, some("primary_metric")),
                (Rule::MissingField, some("baseline")),
                (Rule::MissingField, some("target")),
            ]
        );
        assert_eq!(fields("- a\n"), vec![(Rule::YamlSyntax, None)]);
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
    fn observed_is_an_optional_finite_number() {
        let with = |value: &str| {
            GOOD.replace(
                "learning: null",
                &format!("learning: null\nobserved: {value}"),
            )
        };
        let read = |text: &str| check_bytes(Path::new("x.yaml"), text.as_bytes()).record;
        assert_eq!(read(&with("3.9")).unwrap().observed, Some(3.9));
        assert_eq!(read(&with("4")).unwrap().observed, Some(4.0));
        assert_eq!(read(&with("null")).unwrap().observed, None);
        assert_eq!(read(GOOD).unwrap().observed, None);
        for bad in ["\"3.9\"", ".nan", "-.inf", "high", "[1]"] {
            let found = rules(&with(bad));
            assert_eq!(found, vec![(Rule::WrongType, 11, 11)], "{bad}");
        }
        let problem = first(&with("\"3.9\""));
        assert!(
            problem.message.contains("`observed`"),
            "{}",
            problem.message
        );
    }

    /// Results as `xp result` writes them, after the learning.
    fn with_results(block: &str) -> String {
        GOOD.replace(
            "learning: null\n",
            &format!("learning: null\nresults:\n{block}"),
        )
    }

    const RESULTS: &str = "  as_of: 2026-03-01T00:00:00.000Z\n  variants:\n  - name: control\n    units: 10000\n    conversions: 320\n  - name: green\n    units: 10000\n    conversions: 371\n";

    #[test]
    fn results_are_read_whole() {
        let checked = check_bytes(Path::new("x.yaml"), with_results(RESULTS).as_bytes());
        assert_eq!(checked.problems, vec![]);
        let results = checked.record.unwrap().results.unwrap();
        assert_eq!(
            results.to_string(),
            "control=10000/320, green=10000/371 as of 2026-03-01T00:00:00.000Z"
        );
        let means = "  as_of: 2026-03-01T00:00:00Z\n  source: null\n  variants: [{name: a, units: 50, mean: 12.5, sd: 3}, {name: b, units: 50, mean: 13, sd: 0}]\n";
        assert_eq!(rules(&with_results(means)), vec![]);
    }

    /// Every malformed part of a results block is named at its place, all at once.
    #[test]
    fn every_malformed_results_block_is_located() {
        type Case<'a> = (&'a str, &'a str, Vec<(Rule, usize, usize)>);
        let cases: &[Case] = &[
            ("not a mapping", "  - a\n", vec![(Rule::WrongType, 12, 3)]),
            (
                "no as_of, no variants",
                "  source: x\n",
                vec![(Rule::MissingField, 12, 3), (Rule::MissingField, 12, 3)],
            ),
            (
                "as_of not a time, an unknown key",
                "  as_of: yesterday\n  varients: []\n",
                vec![
                    (Rule::UnknownKey, 13, 3),
                    (Rule::WrongType, 12, 10),
                    (Rule::MissingField, 12, 3),
                ],
            ),
            (
                "variants not a list",
                "  as_of: 2026-03-01T00:00:00Z\n  variants: 2\n",
                vec![(Rule::WrongType, 13, 13)],
            ),
            (
                "a variant not a mapping, a variant without conversions",
                "  as_of: 2026-03-01T00:00:00Z\n  variants:\n  - 3\n  - name: b\n    units: 4\n",
                vec![(Rule::WrongType, 14, 5), (Rule::MissingField, 15, 5)],
            ),
            (
                "counts not whole and not positive, sd below 0",
                "  as_of: 2026-03-01T00:00:00Z\n  variants:\n  - name: a\n    units: 1.5\n    conversions: -1\n  - name: b\n    units: '4'\n    mean: 1\n    sd: -2\n",
                vec![
                    (Rule::WrongType, 15, 12),
                    (Rule::WrongType, 16, 18),
                    (Rule::WrongType, 18, 12),
                    (Rule::WrongType, 20, 9),
                ],
            ),
            (
                "both conversions and mean, an unknown variant key",
                "  as_of: 2026-03-01T00:00:00Z\n  variants:\n  - name: a\n    units: 1\n    conversions: 1\n    mean: 1\n    sd: 1\n    colour: red\n",
                vec![(Rule::UnknownKey, 19, 5), (Rule::BadResults, 16, 18)],
            ),
            (
                "one variant",
                "  as_of: 2026-03-01T00:00:00Z\n  variants:\n  - name: a\n    units: 1\n    conversions: 1\n",
                vec![(Rule::BadResults, 12, 3)],
            ),
            (
                "a name twice, conversions above units, measured otherwise",
                "  as_of: 2026-03-01T00:00:00Z\n  variants:\n  - name: a\n    units: 10\n    conversions: 11\n  - name: a\n    units: 10\n    conversions: 1\n  - name: c\n    units: 10\n    mean: 1\n    sd: 1\n",
                vec![
                    (Rule::BadResults, 14, 5),
                    (Rule::BadResults, 17, 5),
                    (Rule::BadResults, 20, 5),
                ],
            ),
            (
                "a blank name",
                "  as_of: 2026-03-01T00:00:00Z\n  variants:\n  - name: ' '\n    units: 10\n    conversions: 1\n  - name: b\n    units: 10\n    conversions: 1\n",
                vec![(Rule::BadResults, 14, 5)],
            ),
        ];
        for (what, block, expected) in cases {
            let text = with_results(block);
            assert_eq!(&rules(&text), expected, "{what}:\n{text}");
            let checked = check_bytes(Path::new("x.yaml"), text.as_bytes());
            for p in &checked.problems {
                assert_eq!(p.field.as_deref(), Some("results"), "{what}: {p:?}");
            }
        }
        let p = first(&with_results(
            "  as_of: 2026-03-01T00:00:00Z\n  variants:\n  - {name: a, units: 18446744073709551615, conversions: 0}\n  - {name: b, units: 1, conversions: 0}\n",
        ));
        assert_eq!(
            (p.rule, p.message.as_str()),
            (
                Rule::WrongType,
                "`units` is `18446744073709551615`, too large to count exactly; a count is at most 9223372036854775807"
            )
        );
        let p = first(&with_results(
            "  as_of: 2026-03-01T00:00:00Z\n  varients: []\n",
        ));
        assert_eq!(p.message, "unknown key `varients` in results");
        assert_eq!(p.hint.as_deref(), Some("did you mean `variants`?"));
    }

    #[test]
    fn the_plan_is_held_to_its_ranges() {
        let with =
            |lines: &str| GOOD.replace("learning: null\n", &format!("learning: null\n{lines}"));
        assert_eq!(
            rules(&with(
                "alpha: 0.01\npower: 0.9\nsplit: [1, 2]\nminimum_detectable_effect: 0.3\nexpected_daily_units: 900\n"
            )),
            vec![]
        );
        assert_eq!(
            rules(&with(
                "alpha: 1\npower: 0\nsplit: [1]\nminimum_detectable_effect: -1\nexpected_daily_units: 0\n"
            )),
            vec![
                (Rule::PlanRange, 11, 8),
                (Rule::PlanRange, 12, 8),
                (Rule::PlanRange, 14, 28),
                (Rule::PlanRange, 15, 23),
                (Rule::PlanRange, 13, 8),
            ]
        );
        assert_eq!(
            rules(&with("split: [50, 0]\n")),
            vec![(Rule::PlanRange, 11, 8)]
        );
        assert_eq!(
            rules(&with("split: [50, x]\n")),
            vec![(Rule::WrongType, 11, 13)]
        );
        let p = first(&with("alpha: 5\n"));
        assert_eq!(
            p.message,
            "alpha is 5; it must be between 0 and 1, like 0.05"
        );
        assert_eq!(p.field.as_deref(), Some("alpha"));
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
    fn duplicate_ids_differing_only_by_case_are_duplicates() {
        let pos = Pos::start();
        let ids = vec![
            (
                PathBuf::from("a.yaml"),
                "3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58".to_owned(),
                pos,
            ),
            (
                PathBuf::from("b.yaml"),
                "3F9C2A71-5B1E-4D8A-9C0F-7E2B6D4A1C58".to_owned(),
                pos,
            ),
        ];
        let problems = duplicate_ids(&ids);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, PathBuf::from("b.yaml"));
    }

    fn first(text: &str) -> Problem {
        check_bytes(Path::new("x.yaml"), text.as_bytes())
            .problems
            .into_iter()
            .next()
            .unwrap()
    }

    #[test]
    fn a_blank_field_is_named_and_pointed_at() {
        let p = first(&GOOD.replace("hypothesis: Green beats blue", "hypothesis: \"  \""));
        assert_eq!((p.rule, p.line, p.column), (Rule::EmptyField, 3, 13));
        assert_eq!(p.message, "`hypothesis` is blank; it must not be");
        assert_eq!(
            p.hint.as_deref(),
            Some("write what the change is expected to do after `hypothesis:`")
        );
        let p = first(&GOOD.replace("primary_metric: signup_rate", "primary_metric: ''"));
        assert!(
            p.message.starts_with("`primary_metric` is blank"),
            "{}",
            p.message
        );
    }

    #[test]
    fn confidence_out_of_range_reads_as_a_sentence() {
        let p = first(&GOOD.replace("confidence: 0", "confidence: 101"));
        assert_eq!(
            p.message,
            "confidence must be a whole number from 0 to 100, not `101`"
        );
        let long = format!("confidence: 1.{}", "5".repeat(50));
        let p = first(&GOOD.replace("confidence: 0", &long));
        assert_eq!(
            p.message,
            "confidence must be a whole number from 0 to 100, not a number"
        );
    }

    #[test]
    fn a_quoted_null_is_told_apart_from_null() {
        let p = first(&GOOD.replace("decision: null", "decision: \"null\""));
        assert_eq!(p.rule, Rule::BadDecision);
        assert_eq!(
            p.message,
            "decision is the text \"null\" in quotes, not null"
        );
        assert!(
            p.hint.as_deref().unwrap().contains("without quotes"),
            "{:?}",
            p.hint
        );
        let p = first(&GOOD.replace("target: 3.7", "target: 3.7\ndirection: ''"));
        assert_eq!(p.message, "direction is the text \"\" in quotes, not null");
    }

    #[test]
    fn only_a_quoted_number_is_told_to_lose_its_quotes() {
        let payload = |baseline: &str, target: &str| {
            let text = format!(
                "{{\"title\": \"T\", \"hypothesis\": \"h\", \"primary_metric\": \"m\", \
                 \"baseline\": {baseline}, \"target\": {target}}}"
            );
            check_payload(
                Path::new("p.json"),
                text.as_bytes(),
                "3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58",
            )
            .problems
        };
        let problems = payload("NaN", "\"x\"");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(
            problems[0].message,
            "`baseline` must be a finite number, not `NaN`"
        );
        assert_eq!(
            problems[1].message,
            "`target` must be a number, not a string"
        );
        for p in &problems {
            let hint = p.hint.as_deref().unwrap_or("");
            assert!(!hint.contains("quotes"), "{hint}");
        }
        let problems = payload("\"-Infinity\"", "\"3.7\"");
        assert_eq!(
            problems[0].message,
            "`baseline` must be a finite number, not `-Infinity`"
        );
        assert_eq!(
            problems[1].hint.as_deref(),
            Some("remove the quotes: a quoted number is text")
        );
        let problems = payload(".inf", "2");
        assert_eq!(
            problems[0].message,
            "`baseline` must be a finite number, not `.inf`"
        );
    }

    #[test]
    fn conflict_markers_are_an_unresolved_merge_conflict() {
        let text = GOOD.replace(
            "confidence: 0\n",
            "<<<<<<< ours\nconfidence: 10\n=======\nconfidence: 20\n>>>>>>> theirs\n",
        );
        let p = first(&text);
        assert_eq!((p.rule, p.line, p.column), (Rule::YamlSyntax, 8, 1));
        assert!(
            p.message.starts_with("unresolved merge conflict"),
            "{}",
            p.message
        );
        assert_eq!(
            p.hint.as_deref(),
            Some("run `xp resolve`, or keep one side between the markers")
        );
        let p = first(&GOOD.replace("confidence: 0\n", "=======\n"));
        assert_eq!((p.line, p.message.starts_with("unresolved")), (8, true));
    }

    #[test]
    fn nearest_key_suggests_only_close_names() {
        assert_eq!(nearest_key("stauts"), Some("status"));
        assert_eq!(nearest_key("decisionlog"), Some("decision_log"));
        assert_eq!(nearest_key("zzzzzz"), None);
    }
}
