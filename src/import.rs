//! Experiments from elsewhere -> rows -> records and every problem: the origin service's CSV
//! export and JSON list, xp's own JSON and JSONL exports, and spreadsheets' CSV with their own
//! column names.
//!
//! Each row is written as the YAML of a record and checked by [`crate::rules`], so that an
//! import reports the rules, names and messages `xp check` does; each problem is then placed
//! in the input (row and column of a CSV, the JSON path of an item) instead of the YAML.
//! Pure: bytes in, rows and problems out; no I/O.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::export::{json_text, runs_as_formula};
use crate::record::fields::{self, FieldKind, KEYS};
use crate::record::{DERIVED, Record};
use crate::rules;
use crate::yaml;

/// The shape of an import's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A header and one row per experiment, `decision_log` a JSON cell (the origin's
    /// `GET /experiments/export.csv`, `xp export`, a spreadsheet).
    Csv,
    /// One JSON array of objects (the origin's `GET /experiments`, `xp export --format json`),
    /// or one object.
    Json,
    /// One JSON object per line (`xp export --format jsonl`).
    Jsonl,
}

impl Format {
    /// The format the bytes are in: JSON when they start with `[` or `{` (JSONL when that is
    /// not one JSON value), CSV otherwise.
    pub fn detect(bytes: &[u8]) -> Format {
        let bytes = strip_bom(bytes).0;
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => Format::Json,
            Some(b'{') if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => {
                Format::Json
            }
            Some(b'{') => Format::Jsonl,
            _ => Format::Csv,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
        }
    }
}

/// How the input's columns (or keys) map to a record's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// (record key, the input's column) pairs: `title=Name`.
    pub renames: Vec<(String, String)>,
    /// Columns left out on purpose.
    pub ignored: Vec<String>,
}

impl Mapping {
    /// Parses `title=Name,primary_metric=Metric`; an unknown key or a pair without `=` is an
    /// error naming it.
    pub fn parse_renames(list: &str) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        for pair in list.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((key, column)) = pair.split_once('=') else {
                return Err(format!("`{pair}` is not KEY=COLUMN"));
            };
            let key = key.trim();
            if !KEYS.contains(&key) {
                return Err(format!(
                    "`{key}` is not a key of a record; the keys are: {}",
                    KEYS.join(", ")
                ));
            }
            out.push((key.to_owned(), column.to_owned()));
        }
        Ok(out)
    }

    /// The record key a column of this name gives: mapped, a record key itself, or None when
    /// it is ignored (or derived, as exports add them).
    fn key_of(&self, column: &str) -> Lookup {
        if let Some((key, _)) = self.renames.iter().find(|(_, c)| c == column) {
            return Lookup::Key(key.clone());
        }
        if self.ignored.iter().any(|c| c == column) || DERIVED.iter().any(|d| d.name == column) {
            return Lookup::Ignored;
        }
        // A column that another was mapped to stands aside.
        if self.renames.iter().any(|(k, _)| k == column) {
            return Lookup::Ignored;
        }
        if KEYS.contains(&column) {
            Lookup::Key(column.to_owned())
        } else {
            Lookup::Unknown
        }
    }
}

enum Lookup {
    Key(String),
    Ignored,
    Unknown,
}

/// Where a record came from in the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// The whole input, at a line and column (a syntax error).
    File { line: usize, column: usize },
    /// A CSV row, counted as a spreadsheet counts them (the header is row 1), and the line it
    /// starts on.
    Row { row: usize, line: usize },
    /// An item of a JSON array, from 0.
    Item { index: usize },
    /// A line of JSONL, from 1.
    Line { line: usize },
}

/// Where a place comes in the input, for listing problems in its order: the input as a whole
/// first, then each record by its row, item or line.
pub fn order(place: &Place) -> (usize, usize) {
    match place {
        Place::File { line, .. } => (0, *line),
        Place::Row { row, .. } => (1, *row),
        Place::Item { index } => (1, *index),
        Place::Line { line } => (1, *line),
    }
}

/// Where a problem is: the record's place, and in it the key (with its CSV column) and the
/// way into its value (`[2].at` in the decision log).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Spot {
    pub place: Place,
    /// The record key, when the problem is about one.
    pub key: Option<String>,
    /// The CSV column it came from: its number (from 1) and its name in the header.
    pub column: Option<(usize, String)>,
    /// The way into the value: `[2].at`.
    pub inner: String,
}

impl Spot {
    fn at(place: Place) -> Spot {
        Spot {
            place,
            key: None,
            column: None,
            inner: String::new(),
        }
    }

    /// The JSON path of the problem (`$[3].decision_log[2].at`, `.title` for JSONL), for
    /// front-ends that answer with one.
    pub fn path(&self) -> Vec<PathStep> {
        let mut steps = Vec::new();
        match &self.place {
            Place::Item { index } => steps.push(PathStep::Index(*index)),
            Place::Row { row, .. } => steps.push(PathStep::Index(*row)),
            Place::Line { line } => steps.push(PathStep::Index(*line)),
            Place::File { .. } => {}
        }
        if let Some(key) = &self.key {
            steps.push(PathStep::Key(key.clone()));
        }
        for part in self.inner.split(['.', '[']).filter(|p| !p.is_empty()) {
            match part.strip_suffix(']').and_then(|n| n.parse().ok()) {
                Some(n) => steps.push(PathStep::Index(n)),
                None => steps.push(PathStep::Key(part.to_owned())),
            }
        }
        steps
    }
}

/// One step of a path into the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Index(usize),
    Key(String),
}

impl fmt::Display for Spot {
    /// `row 4, column 6 (target)`, `$[3].decision_log[2].at`, `line 2: .title`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        match &self.place {
            Place::File { line, column } => write!(f, "line {line}, column {column}"),
            Place::Row { row, line } => {
                write!(f, "row {row}")?;
                if line != row {
                    write!(f, " (line {line})")?;
                }
                match (&self.column, &self.key) {
                    (Some((n, name)), _) => write!(f, ", column {n} ({name}){inner}"),
                    (None, Some(key)) => write!(f, ", {key}{inner}"),
                    (None, None) => Ok(()),
                }
            }
            Place::Item { index } => match &self.key {
                Some(key) => write!(f, "$[{index}].{key}{inner}"),
                None => write!(f, "$[{index}]"),
            },
            Place::Line { line } => match &self.key {
                Some(key) => write!(f, "line {line}: .{key}{inner}"),
                None => write!(f, "line {line}"),
            },
        }
    }
}

/// What an import problem breaks: one of the record's rules, or the input's own shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(into = "&'static str")]
pub enum Rule {
    Record(rules::Rule),
    /// The CSV cannot be read here: not UTF-8, a row with more cells than the header, a column
    /// given twice.
    CsvSyntax,
    /// JSON that does not parse (the whole input, a line, or a CSV cell), or an item that is
    /// not an object.
    JsonSyntax,
    /// A CSV column that is no record key and was neither mapped nor ignored.
    UnknownColumn,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Record(rule) => rule.name(),
            Rule::CsvSyntax => "csv-syntax",
            Rule::JsonSyntax => "json-syntax",
            Rule::UnknownColumn => "unknown-column",
        }
    }
}

impl From<Rule> for &'static str {
    fn from(rule: Rule) -> &'static str {
        rule.name()
    }
}

/// One problem of an import, at its place in the input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub spot: Spot,
    pub rule: Rule,
    pub message: String,
    pub hint: Option<String>,
}

/// One value of a row: the record key it goes to, the value, and the CSV column it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub key: String,
    pub value: Value,
    pub column: Option<(usize, String)>,
}

/// One experiment as the input gives it, before any rule is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub place: Place,
    pub cells: Vec<Cell>,
    /// What could not be read of it (a broken JSON cell): the row is not valid.
    pub problems: Vec<Problem>,
}

/// What an input gave: its rows, and the problems of the input as a whole (a header, a syntax
/// error outside any row).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
}

/// Reads an input in `format` (detected from the bytes when None).
pub fn parse(bytes: &[u8], format: Option<Format>, mapping: &Mapping) -> Parsed {
    match format.unwrap_or_else(|| Format::detect(bytes)) {
        Format::Csv => parse_csv(bytes, mapping),
        Format::Json => parse_json(bytes, mapping),
        Format::Jsonl => parse_jsonl(bytes, mapping),
    }
}

/// The rows of a JSON value already parsed: an array of objects, or one object (the body of
/// `POST /experiments/import`).
pub fn from_json(value: Value, mapping: &Mapping) -> Parsed {
    let mut parsed = Parsed::default();
    match value {
        Value::Array(items) => {
            for (index, item) in items.into_iter().enumerate() {
                parsed.push_item(Place::Item { index }, item, mapping);
            }
        }
        object @ Value::Object(_) => parsed.push_item(Place::Item { index: 0 }, object, mapping),
        other => parsed.problems.push(Problem {
            spot: Spot::at(Place::File { line: 1, column: 1 }),
            rule: Rule::JsonSyntax,
            message: format!(
                "the JSON is {}; experiments are an array of objects",
                describe(&other)
            ),
            hint: None,
        }),
    }
    parsed
}

impl Parsed {
    fn push_item(&mut self, place: Place, item: Value, mapping: &Mapping) {
        let Value::Object(map) = item else {
            self.problems.push(Problem {
                spot: Spot::at(place),
                rule: Rule::JsonSyntax,
                message: format!("this is {}; an experiment is an object", describe(&item)),
                hint: None,
            });
            return;
        };
        let cells = map
            .into_iter()
            .filter_map(|(key, value)| {
                let key = match mapping.key_of(&key) {
                    Lookup::Key(key) => key,
                    Lookup::Ignored => return None,
                    // Unknown keys go into the record, where `unknown-key` names them.
                    Lookup::Unknown => key,
                };
                Some(Cell {
                    key,
                    value,
                    column: None,
                })
            })
            .collect();
        self.rows.push(Row {
            place,
            cells,
            problems: Vec::new(),
        });
    }
}

impl Parsed {
    /// A key given twice in one object of the record at `place`, at `path` in it: JSON keeps
    /// the last and loses the first, so the row is refused rather than read so.
    fn twice(&mut self, place: Place, path: &[Step], key: &str) {
        let mut inner = String::new();
        for step in path.iter().skip(1) {
            match step {
                Step::Index(i) => inner.push_str(&format!("[{i}]")),
                Step::Key(k) => inner.push_str(&format!(".{k}")),
            }
        }
        let top = match path.first() {
            Some(Step::Key(k)) => Some(k.clone()),
            _ => None,
        };
        let problem = Problem {
            spot: Spot {
                key: top,
                inner,
                ..Spot::at(place.clone())
            },
            rule: Rule::JsonSyntax,
            message: format!(
                "the key `{key}` is given twice in one object; JSON keeps only the last"
            ),
            hint: Some("give each key once".into()),
        };
        match self.rows.iter_mut().find(|r| r.place == place) {
            Some(row) => row.problems.push(problem),
            None => self.problems.push(problem),
        }
    }
}

/// A step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Index(usize),
    Key(String),
}

/// Every key given twice in one object of the JSON `bytes` (which parse): the path to it (the
/// key itself last) and the key.
fn keys_twice(bytes: &[u8]) -> Vec<(Vec<Step>, String)> {
    use serde::de::DeserializeSeed;
    let found = std::cell::RefCell::new(Vec::new());
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let seed = Twice {
        path: Vec::new(),
        found: &found,
    };
    if seed.deserialize(&mut reader).is_err() {
        return Vec::new();
    }
    found.into_inner()
}

/// Walks a JSON value, noting each key an object gives twice.
struct Twice<'a> {
    path: Vec<Step>,
    found: &'a std::cell::RefCell<Vec<(Vec<Step>, String)>>,
}

impl Twice<'_> {
    fn child(&self, step: Step) -> Twice<'_> {
        let mut path = self.path.clone();
        path.push(step);
        Twice {
            path,
            found: self.found,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Twice<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Twice<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq.next_element_seed(self.child(Step::Index(i)))?.is_some() {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(Step::Key(key.clone()));
            if !seen.insert(key.clone()) {
                self.found.borrow_mut().push((child.path.clone(), key));
            }
            map.next_value_seed(child)?;
        }
        Ok(())
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn strip_bom(bytes: &[u8]) -> (&[u8], bool) {
    match bytes.strip_prefix("\u{feff}".as_bytes()) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    }
}

fn syntax(rule: Rule, line: usize, column: usize, message: String) -> Problem {
    Problem {
        spot: Spot::at(Place::File { line, column }),
        rule,
        message,
        hint: None,
    }
}

fn parse_json(bytes: &[u8], mapping: &Mapping) -> Parsed {
    let bytes = strip_bom(bytes).0;
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => {
            let mut parsed = from_json(value, mapping);
            let single = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
            for (path, key) in keys_twice(bytes) {
                let (index, path) = match (single, path.first()) {
                    (true, _) => (0, &path[..]),
                    (false, Some(Step::Index(i))) => (*i, &path[1..]),
                    (false, _) => continue,
                };
                parsed.twice(Place::Item { index }, path, &key);
            }
            parsed
        }
        Err(e) => Parsed {
            rows: Vec::new(),
            problems: vec![syntax(
                Rule::JsonSyntax,
                e.line(),
                e.column(),
                format!("the JSON does not parse: {e}"),
            )],
        },
    }
}

fn parse_jsonl(bytes: &[u8], mapping: &Mapping) -> Parsed {
    let bytes = strip_bom(bytes).0;
    let mut parsed = Parsed::default();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let place = Place::Line { line: i + 1 };
        match serde_json::from_slice::<Value>(line) {
            Ok(value) => {
                parsed.push_item(place.clone(), value, mapping);
                for (path, key) in keys_twice(line) {
                    parsed.twice(place.clone(), &path, &key);
                }
            }
            Err(e) => parsed.problems.push(syntax(
                Rule::JsonSyntax,
                i + 1,
                e.column(),
                format!("this line does not parse as JSON: {e}"),
            )),
        }
    }
    parsed
}

fn parse_csv(bytes: &[u8], mapping: &Mapping) -> Parsed {
    let (bytes, excel) = strip_bom(bytes);
    let mut parsed = Parsed::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return parsed,
        Some(Err(e)) => {
            parsed.problems.push(csv_error(&e));
            return parsed;
        }
        Some(Ok(header)) => header,
    };
    let columns = header_columns(&header, mapping, excel, &mut parsed.problems);
    // Lines counted as far as the last row's start.
    let (mut line, mut counted) = (1, 0);
    for (i, record) in records.enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                parsed.problems.push(csv_error(&e));
                break;
            }
        };
        // A record starts where the one before ended, perhaps at its CRLF's `\n`.
        let mut start = record.position().map_or(counted, |p| p.byte() as usize);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += memchr::memchr_iter(b'\n', &bytes[counted.min(start)..start]).count();
        counted = start;
        let place = Place::Row { row: i + 2, line };
        if record.len() == 1 && record.get(0) == Some(b"") {
            continue;
        }
        parsed
            .rows
            .push(csv_row(place, &record, &columns, header.len(), excel));
    }
    parsed
}

/// Each header column's record key (None: ignored), with the problems of the header.
fn header_columns(
    header: &csv::ByteRecord,
    mapping: &Mapping,
    excel: bool,
    problems: &mut Vec<Problem>,
) -> Vec<Option<(String, String)>> {
    let spot = |n: usize, name: &str| Spot {
        column: Some((n, name.to_owned())),
        ..Spot::at(Place::Row { row: 1, line: 1 })
    };
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut columns = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        let name = String::from_utf8_lossy(raw).into_owned();
        let name = unguard(excel, name);
        let key = match mapping.key_of(&name) {
            Lookup::Key(key) => Some(key),
            Lookup::Ignored => None,
            Lookup::Unknown => {
                problems.push(Problem {
                    spot: spot(i + 1, &name),
                    rule: Rule::UnknownColumn,
                    message: format!("unknown column `{name}`"),
                    hint: rules::nearest_key(&name).map(|k| format!("did you mean `{k}`?")),
                });
                None
            }
        };
        if let Some(key) = &key
            && let Some(other) = seen.insert(key.clone(), name.clone())
        {
            problems.push(Problem {
                spot: spot(i + 1, &name),
                rule: Rule::CsvSyntax,
                message: format!("columns `{other}` and `{name}` both give `{key}`"),
                hint: Some("keep one of them, or leave one out on purpose".into()),
            });
        }
        columns.push(key.map(|k| (k, name)));
    }
    for (key, column) in &mapping.renames {
        if !columns.iter().flatten().any(|(_, name)| name == column) {
            problems.push(Problem {
                spot: Spot::at(Place::Row { row: 1, line: 1 }),
                rule: Rule::UnknownColumn,
                message: format!(
                    "`{key}` is mapped to the column `{column}`, which the header lacks"
                ),
                hint: Some(format!(
                    "the columns are: {}",
                    header
                        .iter()
                        .map(String::from_utf8_lossy)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            });
        }
    }
    columns
}

fn csv_error(e: &csv::Error) -> Problem {
    let (line, record) = e
        .position()
        .map_or((0, 0), |p| (p.line() as usize, p.record() as usize));
    Problem {
        spot: Spot::at(Place::Row {
            row: record + 1,
            line,
        }),
        rule: Rule::CsvSyntax,
        message: format!("the CSV cannot be read here: {e}"),
        hint: None,
    }
}

/// A cell's text without the `'` that `xp export --excel` puts before formula-like text (the
/// file then starts with a byte-order mark).
fn unguard(excel: bool, text: String) -> String {
    match text.strip_prefix('\'') {
        Some(rest) if excel && runs_as_formula(rest) => rest.to_owned(),
        _ => text,
    }
}

/// A CSV row's cells as values of their keys' kinds: numbers where the key holds one and the
/// text reads as one, null for empty nullable cells, JSON for the log and lists.
fn csv_row(
    place: Place,
    record: &csv::ByteRecord,
    columns: &[Option<(String, String)>],
    width: usize,
    excel: bool,
) -> Row {
    let mut row = Row {
        place: place.clone(),
        cells: Vec::new(),
        problems: Vec::new(),
    };
    if record.len() > width {
        row.problems.push(Problem {
            spot: Spot::at(place.clone()),
            rule: Rule::CsvSyntax,
            message: format!(
                "this row has {} cells; the header has {width} columns",
                record.len()
            ),
            hint: Some("quote cells that hold a comma".into()),
        });
    }
    for (i, raw) in record.iter().enumerate() {
        let Some(Some((key, name))) = columns.get(i) else {
            continue;
        };
        let column = Some((i + 1, name.clone()));
        let spot = Spot {
            key: Some(key.clone()),
            column: column.clone(),
            ..Spot::at(place.clone())
        };
        let text = match std::str::from_utf8(raw) {
            Ok(text) => unguard(excel, text.to_owned()),
            Err(_) => {
                row.problems.push(Problem {
                    spot,
                    rule: Rule::CsvSyntax,
                    message: "this cell is not valid UTF-8".into(),
                    hint: Some("save the file as UTF-8".into()),
                });
                continue;
            }
        };
        match cell_value(key, text) {
            Ok(Some(value)) => row.cells.push(Cell {
                key: key.clone(),
                value,
                column,
            }),
            Ok(None) => {}
            Err(message) => row.problems.push(Problem {
                spot,
                rule: Rule::JsonSyntax,
                message,
                hint: Some("the cell holds JSON, as `xp export` writes it".into()),
            }),
        }
    }
    row
}

/// The value a CSV cell gives its key; None for an empty cell that stands for nothing.
fn cell_value(key: &str, text: String) -> Result<Option<Value>, String> {
    let json = |text: &str| {
        let value = serde_json::from_str::<Value>(text)
            .map_err(|e| format!("`{key}` is not valid JSON: {e}"))?;
        match keys_twice(text.as_bytes()).first() {
            Some((path, twice)) => {
                let at: String = path
                    .iter()
                    .map(|step| match step {
                        Step::Index(i) => format!("[{i}]"),
                        Step::Key(k) => format!(".{k}"),
                    })
                    .collect();
                Err(format!(
                    "`{key}` gives the key `{twice}` twice in one object (at {key}{at}); JSON \
                     keeps only the last"
                ))
            }
            None => Ok(value),
        }
    };
    if key == fields::DECISION_LOG {
        return match text.trim() {
            "" => Ok(Some(Value::Array(Vec::new()))),
            text => json(text).map(Some),
        };
    }
    if key == fields::ID {
        return Ok((!text.is_empty()).then_some(Value::String(text)));
    }
    let Some(field) = fields::field(key) else {
        return Ok(Some(Value::String(text)));
    };
    Ok(match field.kind {
        _ if text.is_empty() && field.nullable => None,
        FieldKind::TextList | FieldKind::Numbers | FieldKind::Results => Some(json(&text)?),
        FieldKind::Number | FieldKind::Percent if text.is_empty() => Some(Value::Null),
        FieldKind::Number | FieldKind::Percent => {
            Some(number(&text).unwrap_or(Value::String(text)))
        }
        FieldKind::Text | FieldKind::Enum(_) => Some(Value::String(text)),
    })
}

/// The number a cell's text reads as in YAML, when it reads as one.
fn number(text: &str) -> Option<Value> {
    match yaml::resolve_plain(text) {
        yaml::Value::Int(n) => Some(Value::from(n)),
        yaml::Value::Float(x) => serde_json::Number::from_f64(x).map(Value::Number),
        _ => None,
    }
}

/// A row checked: the record when every rule holds, and the problems at their places.
#[derive(Debug, Clone)]
pub struct Checked {
    pub place: Place,
    /// The row's id as given (or made), valid or not: two rows with one id are said to be
    /// whatever else is wrong with them.
    pub id: Option<String>,
    pub record: Option<Record>,
    pub problems: Vec<Problem>,
}

/// Checks a row with the record's rules. A row without an id gets one made from its
/// content, the same for the same row, so that importing it again finds it present.
pub fn check(row: &Row) -> Checked {
    let mut cells: Vec<&Cell> = row.cells.iter().collect();
    let made;
    if !cells
        .iter()
        .any(|c| c.key == fields::ID && !c.value.is_null())
    {
        cells.retain(|c| c.key != fields::ID);
        made = Cell {
            key: fields::ID.to_owned(),
            value: Value::String(id_of(&row.cells)),
            column: None,
        };
        cells.insert(0, &made);
    }
    let id = cells
        .iter()
        .find(|c| c.key == fields::ID)
        .and_then(|c| c.value.as_str())
        .map(str::to_owned);
    let (text, lines) = render(&cells);
    let mut problems = row.problems.clone();
    let mut record = None;
    if text.len() > rules::MAX_FILE_BYTES {
        problems.push(Problem {
            spot: Spot::at(row.place.clone()),
            rule: Rule::Record(rules::Rule::YamlSyntax),
            message: format!(
                "this experiment would be a file of {} bytes; experiment files are at most {}",
                text.len(),
                rules::MAX_FILE_BYTES
            ),
            hint: None,
        });
    } else {
        let checked = rules::check_bytes(Path::new("row"), text.as_bytes());
        for p in checked.problems {
            problems.push(place(&row.place, &cells, &lines, p));
        }
        record = checked.record;
    }
    Checked {
        place: row.place.clone(),
        id,
        record: record.filter(|_| problems.is_empty()),
        problems,
    }
}

/// A problem of the rendered YAML, placed in the input.
fn place(at: &Place, cells: &[&Cell], lines: &[(usize, String)], p: rules::Problem) -> Problem {
    let (cell, inner) = lines
        .get(p.line.saturating_sub(1))
        .map_or((None, ""), |(i, inner)| (cells.get(*i), inner.as_str()));
    let key = p.field.clone().or_else(|| cell.map(|c| c.key.clone()));
    let same = cell.is_some_and(|c| Some(&c.key) == key.as_ref());
    let column = match (same, cell) {
        (true, Some(cell)) => cell.column.clone(),
        _ => cells
            .iter()
            .find(|c| Some(&c.key) == key.as_ref())
            .and_then(|c| c.column.clone()),
    };
    Problem {
        spot: Spot {
            place: at.clone(),
            key,
            column,
            inner: if same {
                inner.to_owned()
            } else {
                String::new()
            },
        },
        rule: Rule::Record(p.rule),
        message: p.message,
        hint: p.hint,
    }
}

/// A row's cells as the YAML of a record, one line per scalar; with each line, the cell it
/// belongs to and the way into that cell's value.
fn render(cells: &[&Cell]) -> (String, Vec<(usize, String)>) {
    let mut text = String::new();
    let mut lines = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let key = if KEYS.contains(&cell.key.as_str()) {
            cell.key.clone()
        } else {
            yaml::double_quote(&cell.key)
        };
        match &cell.value {
            Value::Array(items) if !items.is_empty() => {
                text.push_str(&format!("{key}:\n"));
                lines.push((i, String::new()));
                for (n, item) in items.iter().enumerate() {
                    match item {
                        Value::Object(entry) if !entry.is_empty() => {
                            for (k, (name, value)) in entry.iter().enumerate() {
                                let dash = if k == 0 { "- " } else { "  " };
                                let name_text = if fields::LOG_KEYS.contains(&name.as_str()) {
                                    name.clone()
                                } else {
                                    yaml::double_quote(name)
                                };
                                text.push_str(&format!("{dash}{name_text}: {}\n", scalar(value)));
                                lines.push((i, format!("[{n}].{name}")));
                            }
                        }
                        other => {
                            text.push_str(&format!("- {}\n", scalar(other)));
                            lines.push((i, format!("[{n}]")));
                        }
                    }
                }
            }
            value => {
                text.push_str(&format!("{key}: {}\n", scalar(value)));
                lines.push((i, String::new()));
            }
        }
    }
    (text, lines)
}

/// A value as one line of YAML: scalars as themselves (text always double-quoted, which reads
/// back exactly and costs no trial parse), lists and objects as JSON flow collections.
fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml::double_quote(s),
        other => json_text(serde_json::to_string(other).unwrap_or_default()),
    }
}

/// An id for a row that has none: a UUID v4 made from the row's keys and values.
fn id_of(cells: &[Cell]) -> String {
    use sha1::{Digest, Sha1};
    let mut hasher = Sha1::new();
    for cell in cells.iter().filter(|c| c.key != fields::ID) {
        hasher.update(cell.key.as_bytes());
        hasher.update([0]);
        hasher.update(cell.value.to_string().as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The later rows whose id an earlier row has (compared without regard to case, as refs
/// are), as `duplicate-id` problems.
pub fn duplicate_ids(checked: &[Checked]) -> Vec<(usize, Problem)> {
    let mut first: HashMap<String, &Place> = HashMap::new();
    let mut out = Vec::new();
    for (i, row) in checked.iter().enumerate() {
        let Some(id) = &row.id else {
            continue;
        };
        match first.get(&id.to_ascii_lowercase()) {
            Some(other) => out.push((
                i,
                Problem {
                    spot: Spot {
                        key: Some(fields::ID.to_owned()),
                        ..Spot::at(row.place.clone())
                    },
                    rule: Rule::Record(rules::Rule::DuplicateId),
                    message: format!("id {id} is also the id of {}", Spot::at((*other).clone())),
                    hint: Some("each experiment needs its own id".into()),
                },
            )),
            None => {
                first.insert(id.to_ascii_lowercase(), &row.place);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ID: &str = "00000000-0000-4000-8000-000000000001";

    fn csv(text: &str) -> Parsed {
        parse(text.as_bytes(), None, &Mapping::default())
    }

    #[test]
    fn the_format_is_told_from_the_content() {
        assert_eq!(Format::detect(b"id,title\r\n"), Format::Csv);
        assert_eq!(Format::detect(b"\xef\xbb\xbfid,title\r\n"), Format::Csv);
        assert_eq!(Format::detect(b"  [\n{}]"), Format::Json);
        assert_eq!(Format::detect(b"{\"id\": 1}\n"), Format::Json);
        assert_eq!(Format::detect(b"{\"id\": 1}\n{\"id\": 2}\n"), Format::Jsonl);
    }

    #[test]
    fn rows_are_counted_as_a_spreadsheet_does_and_lines_as_an_editor_does() {
        let parsed = csv("id,title\r\na,\"two\r\nlines\"\r\nb,x\r\n\r\nc,y\r\n");
        let places: Vec<Place> = parsed.rows.iter().map(|r| r.place.clone()).collect();
        assert_eq!(
            places,
            [
                Place::Row { row: 2, line: 2 },
                Place::Row { row: 3, line: 4 },
                Place::Row { row: 4, line: 6 },
            ]
        );
        assert_eq!(
            parsed.rows[0].cells[1].value,
            Value::String("two\r\nlines".into())
        );
    }

    #[test]
    fn cells_take_their_keys_kinds() {
        let parsed = csv(
            "id,baseline,target,confidence,decision,learning,observed,tags,decision_log\n\
             x,3.2,1e+16,96,,,,\"[\"\"a\"\"]\",\n",
        );
        let values: Vec<(&str, &Value)> = parsed.rows[0]
            .cells
            .iter()
            .map(|c| (c.key.as_str(), &c.value))
            .collect();
        assert_eq!(
            values,
            [
                ("id", &Value::String("x".into())),
                ("baseline", &serde_json::json!(3.2)),
                ("target", &serde_json::json!(1e16)),
                ("confidence", &serde_json::json!(96)),
                ("tags", &serde_json::json!(["a"])),
                ("decision_log", &serde_json::json!([])),
            ]
        );
    }

    #[test]
    fn an_excel_export_loses_its_formula_guards_and_only_then() {
        let text = "id,title,hypothesis\r\nx,'=1+1,'plain\r\n";
        let plain = csv(text);
        let excel = csv(&format!("\u{feff}{text}"));
        assert_eq!(plain.rows[0].cells[1].value, Value::String("'=1+1".into()));
        assert_eq!(excel.rows[0].cells[1].value, Value::String("=1+1".into()));
        assert_eq!(excel.rows[0].cells[2].value, Value::String("'plain".into()));
    }

    #[test]
    fn problems_point_into_the_input() {
        let row = format!(
            "{{\"id\":\"{ID}\",\"title\":\"t\",\"hypothesis\":\"h\",\"primary_metric\":\"m\",\
             \"baseline\":2,\"target\":1,\"decision_log\":[{{\"at\":\"2026-01-01T00:00:00Z\",\"note\":\"\"}}]}}"
        );
        let parsed = parse(format!("[{row}]").as_bytes(), None, &Mapping::default());
        let checked = check(&parsed.rows[0]);
        let spots: Vec<(String, &str)> = checked
            .problems
            .iter()
            .map(|p| (p.spot.to_string(), p.rule.name()))
            .collect();
        assert_eq!(
            spots,
            [
                ("$[0].decision_log[0].note".to_owned(), "bad-log-entry"),
                ("$[0].target".to_owned(), "target-vs-baseline"),
            ]
        );
        assert_eq!(
            checked.problems[0].spot.path(),
            [
                PathStep::Index(0),
                PathStep::Key("decision_log".into()),
                PathStep::Index(0),
                PathStep::Key("note".into()),
            ]
        );
    }

    #[test]
    fn a_row_without_an_id_gets_the_same_one_each_time() {
        let parsed = csv("title,hypothesis,primary_metric,baseline,target\na,h,m,1,2\nb,h,m,1,2\n");
        let ids: Vec<String> = parsed
            .rows
            .iter()
            .map(|r| check(r).record.unwrap().id)
            .collect();
        assert_ne!(ids[0], ids[1]);
        assert_eq!(check(&parsed.rows[0]).record.unwrap().id, ids[0]);
        assert!(rules::is_uuid(&ids[0]) && ids[0].as_bytes()[14] == b'4');
    }
}
