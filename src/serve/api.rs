//! The API's JSON: request bodies and query strings read into the operations' typed input
//! (every problem at once), and errors rendered as FastAPI's status codes and shapes.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{Error, Input, Kind, Refusal};
use crate::export::{self, Column};
use crate::ops::note::NewNote;
use crate::ops::read::Filter;
use crate::ops::update::Changes;
use crate::record::FIELDS;
use crate::record::fields;
use crate::record::lifecycle::Breach;
use crate::record::{Decision, Field, FieldKind, FieldValue, Status};
use crate::rules::Rule;

/// One entry of a 422's `detail`, in FastAPI's shape.
#[derive(Debug, Clone, Serialize)]
pub struct Invalid {
    #[serde(rename = "type")]
    pub kind: String,
    pub loc: Vec<Value>,
    pub msg: String,
    pub input: Value,
}

impl Invalid {
    fn new(kind: &str, loc: &[&str], msg: impl Into<String>, input: Value) -> Invalid {
        Invalid {
            kind: kind.to_owned(),
            loc: loc.iter().map(|s| Value::from(*s)).collect(),
            msg: msg.into(),
            input,
        }
    }

    fn body(kind: &str, field: &str, msg: impl Into<String>, input: &Value) -> Invalid {
        Invalid::new(kind, &["body", field], msg, input.clone())
    }
}

/// A JSON answer.
pub fn json(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => detail(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// `{"detail": "..."}`.
pub fn detail(status: StatusCode, message: &str) -> Response {
    json(status, &json!({ "detail": message }))
}

/// `{"detail": message, "hint": hint}`.
fn explained(status: StatusCode, message: &str, hint: Option<String>) -> Response {
    json(status, &json!({ "detail": message, "hint": hint }))
}

/// A 422 listing every problem.
pub fn unprocessable(list: Vec<Invalid>) -> Response {
    json(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "detail": list }))
}

/// What a request body said, kept to point problems at its fields.
pub struct Body {
    /// The body as an object.
    pub fields: Map<String, Value>,
}

impl Body {
    /// Reads a body that must be one JSON object.
    pub fn parse(bytes: &[u8]) -> Result<Body, Response> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(unprocessable(vec![Invalid::new(
                "missing",
                &["body"],
                "Field required: send a JSON object",
                Value::Null,
            )]));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(fields)) => Ok(Body { fields }),
            Ok(other) => Err(unprocessable(vec![Invalid::new(
                "model_attributes_type",
                &["body"],
                "Input should be a valid dictionary or object to extract fields from",
                other,
            )])),
            Err(e) => Err(unprocessable(vec![Invalid {
                kind: "json_invalid".into(),
                loc: vec!["body".into(), Value::from(e.column())],
                msg: format!("JSON decode error: {e}"),
                input: json!({}),
            }])),
        }
    }

    fn input(&self, field: &str) -> Value {
        self.fields.get(field).cloned().unwrap_or(Value::Null)
    }
}

/// What a request gave an operation, for pointing its errors at the request.
pub enum Blame<'a> {
    /// A create: problems point into the payload.
    Payload { body: &'a Body },
    /// A change of a record.
    Change { body: &'a Body },
    /// A read: problems are in files on disk, not in the request.
    Read,
}

/// How an operation's error answers, FastAPI's way.
pub fn error(e: &Error, blame: Blame<'_>) -> Response {
    let body = match &blame {
        Blame::Payload { body, .. } | Blame::Change { body, .. } => Some(*body),
        Blame::Read => None,
    };
    match e {
        Error::Problems { problems, .. } if !matches!(blame, Blame::Payload { .. }) => json(
            StatusCode::CONFLICT,
            &json!({
                "detail": e.to_string(),
                "hint": e.hint(),
                "problems": problems,
            }),
        ),
        Error::Problems { problems, .. } | Error::WouldBreak { problems } => {
            let list = problems
                .iter()
                .map(|p| {
                    let field = p.field.clone();
                    let input = match (&field, body) {
                        (Some(f), Some(b)) => b.input(f),
                        _ => Value::Null,
                    };
                    let mut loc = vec![Value::from("body")];
                    loc.extend(field.map(Value::from));
                    Invalid {
                        kind: p.rule.name().to_owned(),
                        loc,
                        msg: p.message.clone(),
                        input,
                    }
                })
                .collect();
            unprocessable(list)
        }
        Error::Refused(list) => refused(list, body),
        Error::Usage { message } => {
            let input = body.map_or(Value::Null, |b| b.input("body"));
            unprocessable(vec![Invalid::new(
                "value_error",
                &["body"],
                message.clone(),
                input,
            )])
        }
        Error::NotFound { .. } => detail(StatusCode::NOT_FOUND, &e.to_string()),
        Error::Ambiguous { candidates, .. } => json(
            StatusCode::CONFLICT,
            &json!({ "detail": e.to_string(), "candidates": candidates }),
        ),
        Error::Failed { message, hint } => explained(StatusCode::CONFLICT, message, hint.clone()),
        _ => {
            let status = match e.kind() {
                Kind::Busy => StatusCode::CONFLICT,
                Kind::GitState => StatusCode::SERVICE_UNAVAILABLE,
                Kind::BadInput | Kind::Rules | Kind::NotFound | Kind::Ambiguous => {
                    StatusCode::CONFLICT
                }
                Kind::Failed => StatusCode::INTERNAL_SERVER_ERROR,
            };
            explained(status, &e.to_string(), e.hint())
        }
    }
}

/// A refused change, in HTTP's words: what the input lacks is a 422 at its body key, what the
/// rules refuse a 409 that says which key would allow it.
fn refused(list: &[Refusal], body: Option<&Body>) -> Response {
    let key = |input: Input| match input {
        Input::Note => "note",
        Input::Amend => "amend",
        Input::Force => "force",
    };
    let plan: Vec<&str> = FIELDS.iter().filter(|f| f.plan).map(|f| f.name).collect();
    let input_problems: Vec<Invalid> = list
        .iter()
        .filter(|r| r.about_input())
        .map(|r| {
            let field = match r {
                Refusal::StartsAs(_) => "status",
                other => other.input().map_or("body", key),
            };
            let msg = match r {
                Refusal::Breaks(Breach::KillWithoutReason) => {
                    "killing an experiment needs the reason: say why in `note`".to_owned()
                }
                Refusal::Blank(Input::Note) => "`note` is blank; say what happened".to_owned(),
                Refusal::Blank(Input::Amend) => {
                    "`amend` is blank; say why the plan changes".to_owned()
                }
                Refusal::AmendWithoutPlanChange => format!(
                    "`amend` is for a change to the plan ({}), and none is given",
                    plan.join(", ")
                ),
                other => Error::Refused(vec![other.clone()]).to_string(),
            };
            let input = body.map_or(Value::Null, |b| b.input(field));
            Invalid::new("value_error", &["body", field], msg, input)
        })
        .collect();
    if !input_problems.is_empty() {
        return unprocessable(input_problems);
    }
    let hint = list.first().map(|r| match r {
        Refusal::Breaks(Breach::Move { from, .. }) => {
            let next: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
            if next.is_empty() {
                format!(
                    "{} is the last status; send \"force\": true to move it anyway",
                    from.as_str()
                )
            } else {
                format!(
                    "from {} it can move to {}; send \"force\": true to move anyway",
                    from.as_str(),
                    next.join(" or ")
                )
            }
        }
        Refusal::Breaks(Breach::PlanChanged { .. }) => {
            "send `amend` with the reason; the change and the reason are logged".to_owned()
        }
        Refusal::NothingToChange => "send a field to change, or a `note`".to_owned(),
        _ => "nothing was written".to_owned(),
    });
    explained(
        StatusCode::CONFLICT,
        &Error::Refused(list.to_vec()).to_string(),
        hint,
    )
}

/// The canonical text of a body for the payload rules: JSON is YAML, and re-written by
/// serde_json it holds no escapes YAML reads differently; the characters serde_json leaves
/// raw in strings that YAML reads only as escapes (DEL, C1, U+FFFE, U+FFFF) become escapes.
pub fn payload_text(body: &Body) -> String {
    let json = serde_json::to_string_pretty(&body.fields).unwrap_or_default();
    crate::yaml::json_as_yaml(&json).into_owned()
}

/// A PATCH body: the fields to change (any field of the table), `note`, `amend`, `force`
/// and `who`.
pub fn changes(body: &Body) -> Result<Changes, Vec<Invalid>> {
    let mut c = Changes::default();
    let mut bad = Vec::new();
    for (key, v) in &body.fields {
        let k = key.as_str();
        if let Some(field) = fields::field(k) {
            match field_value(field, v) {
                Ok(value) => c.set(field, value),
                Err(invalid) => bad.push(invalid),
            }
            continue;
        }
        let wrong = |what: &str| Invalid::body("wrong-type", k, format!("`{k}` must be {what}"), v);
        match (k, v) {
            ("note", Value::String(s)) => c.note = Some(s.clone()),
            ("amend", Value::String(s)) => c.amend = Some(s.clone()),
            ("note" | "amend", _) => bad.push(wrong("a string")),
            ("who", Value::String(s)) => c.who = Some(s.clone()),
            ("who", Value::Null) => c.who = None,
            ("who", _) => bad.push(wrong("a string or null")),
            ("force", Value::Bool(b)) => c.force = *b,
            ("force", _) => bad.push(wrong("true or false")),
            ("id", _) => bad.push(Invalid::body(
                Rule::UnknownKey.name(),
                k,
                "`id` is assigned when an experiment is created and never changes",
                v,
            )),
            ("decision_log", _) => bad.push(Invalid::body(
                Rule::UnknownKey.name(),
                k,
                "the decision log is append-only: add to it with POST /experiments/{ref}/notes, \
                 or with `note` here",
                v,
            )),
            _ => bad.push(unknown(k, v)),
        }
    }
    if bad.is_empty() { Ok(c) } else { Err(bad) }
}

/// A field's new value from JSON, as its kind says (`null` clears a field that may be null).
fn field_value(field: &Field, v: &Value) -> Result<Option<FieldValue>, Invalid> {
    let k = field.name;
    let or_null = if field.nullable { " or null" } else { "" };
    if v.is_null() && field.nullable {
        return Ok(None);
    }
    let wrong = |what: &str| {
        Invalid::body(
            Rule::WrongType.name(),
            k,
            format!("`{k}` must be {what}{or_null}"),
            v,
        )
    };
    match (field.kind, v) {
        (FieldKind::Text, Value::String(s)) => Ok(Some(FieldValue::Text(s.clone()))),
        (FieldKind::Text, _) => Err(wrong("a string")),
        (FieldKind::Number, _) => match v.as_f64().filter(|x| x.is_finite() && v.is_number()) {
            Some(x) => Ok(Some(FieldValue::Number(x))),
            None => Err(wrong("a number (not quoted)")),
        },
        (FieldKind::Percent, Value::Number(n)) => match n.as_i64() {
            Some(n) => Ok(Some(FieldValue::Whole(n))),
            None => Err(Invalid::body(
                Rule::ConfidenceRange.name(),
                k,
                format!("{k} must be a whole number from 0 to 100"),
                v,
            )),
        },
        (FieldKind::Percent, _) => Err(wrong("a whole number from 0 to 100")),
        (FieldKind::Enum(words), Value::String(s)) if words.contains(&s.as_str()) => {
            Ok(Some(FieldValue::Text(s.clone())))
        }
        (FieldKind::Enum(words), _) => Err(Invalid::body(
            Rule::for_bad_word(k).name(),
            k,
            format!("{k} must be one of {}{or_null}", words.join(", ")),
            v,
        )),
        (FieldKind::TextList, Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(|items| Some(FieldValue::List(items)))
            .ok_or_else(|| wrong("a list of strings")),
        (FieldKind::TextList, _) => Err(wrong("a list of strings")),
        (FieldKind::Numbers | FieldKind::Results, _) => crate::record::json::field_value(field, v)
            .map_err(|bad| Invalid::body(bad.rule, k, bad.message, v)),
    }
}

/// A notes body: `{"note": ..., "who": optional}`.
pub fn note(body: &Body) -> Result<NewNote, Vec<Invalid>> {
    let mut bad = Vec::new();
    let mut note = None;
    let mut who = None;
    for (key, v) in &body.fields {
        match (key.as_str(), v) {
            ("note", Value::String(s)) => note = Some(s.clone()),
            ("note", _) => bad.push(Invalid::body(
                "wrong-type",
                "note",
                "`note` must be a string",
                v,
            )),
            ("who", Value::String(s)) => who = Some(s.clone()),
            ("who", Value::Null) => {}
            ("who", _) => bad.push(Invalid::body(
                "wrong-type",
                "who",
                "`who` must be a string or null",
                v,
            )),
            (k, _) => bad.push(unknown(k, v)),
        }
    }
    if note.is_none() && !body.fields.contains_key("note") {
        bad.push(Invalid::new(
            Rule::MissingField.name(),
            &["body", "note"],
            "missing `note`",
            Value::Object(body.fields.clone()),
        ));
    }
    match note {
        Some(note) if bad.is_empty() => Ok(NewNote { note, who }),
        _ => Err(bad),
    }
}

fn unknown(key: &str, v: &Value) -> Invalid {
    Invalid::body(
        Rule::UnknownKey.name(),
        key,
        format!("unknown key `{key}`"),
        v,
    )
}

fn names<const N: usize>(list: [&str; N]) -> String {
    list.join(", ")
}

/// What a listing's or an export's query string asks for.
pub struct Query {
    pub filter: Filter,
    pub excel: bool,
    pub columns: Vec<Column>,
}

/// Reads `status` (repeatable), `decision`, `tag`, and for the export `excel` and `columns`;
/// other parameters are ignored, as FastAPI does.
pub fn query(raw: Option<&str>, export_params: bool) -> Result<Query, Vec<Invalid>> {
    let mut q = Query {
        filter: Filter::default(),
        excel: false,
        columns: Column::defaults(),
    };
    let mut bad = Vec::new();
    for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key);
        let value = decode(value);
        let input = Value::from(value.as_str());
        let at = |kind: &str, msg: String| Invalid::new(kind, &["query", &key], msg, input.clone());
        match key.as_str() {
            "status" => match Status::parse(&value) {
                Some(s) => q.filter.statuses.push(s),
                None => bad.push(at(
                    Rule::BadStatus.name(),
                    format!(
                        "status must be one of {}",
                        names(Status::ALL.map(Status::as_str))
                    ),
                )),
            },
            "decision" => match Decision::parse(&value) {
                Some(d) => q.filter.decision = Some(d),
                None => bad.push(at(
                    Rule::BadDecision.name(),
                    format!(
                        "decision must be one of {}",
                        names(Decision::ALL.map(Decision::as_str))
                    ),
                )),
            },
            "tag" => q.filter.tag = Some(value),
            "excel" if export_params => match value.as_str() {
                "true" | "1" | "yes" | "on" => q.excel = true,
                "false" | "0" | "no" | "off" => q.excel = false,
                _ => bad.push(at("bool_parsing", "excel must be true or false".into())),
            },
            "columns" if export_params => match export::parse_columns(&value) {
                Ok(columns) => q.columns = columns,
                Err(e) => bad.push(at("value_error", e)),
            },
            _ => {}
        }
    }
    if bad.is_empty() { Ok(q) } else { Err(bad) }
}

/// Percent-decoding of one query component (`+` is a space); invalid UTF-8 is replaced.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::GitError;

    fn status(e: Error) -> u16 {
        error(&e, Blame::Read).status().as_u16()
    }

    #[test]
    fn each_kind_of_error_answers_fastapis_status() {
        assert_eq!(
            status(Error::Busy {
                message: "busy".into()
            }),
            409
        );
        assert_eq!(status(Error::Git(GitError::Busy)), 409);
        assert_eq!(status(Error::Git(GitError::Contended)), 409);
        assert_eq!(
            status(Error::Git(GitError::InProgress { operation: "merge" })),
            503
        );
        assert_eq!(
            status(Error::Git(GitError::Locked {
                path: "index.lock".into()
            })),
            503
        );
        assert_eq!(
            status(Error::NotFound {
                reference: "x".into(),
                candidates: Vec::new()
            }),
            404
        );
        assert_eq!(
            status(Error::Ambiguous {
                reference: "abcd".into(),
                candidates: Vec::new()
            }),
            409
        );
        assert_eq!(status(Error::failed("refused", "do this")), 409);
        assert_eq!(status(Error::usage("blank")), 422);
        assert_eq!(
            status(Error::WouldBreak {
                problems: Vec::new()
            }),
            422
        );
        assert_eq!(status(Error::io("x", std::io::Error::other("disk"))), 500);
    }

    #[test]
    fn query_strings_are_decoded_and_repeated_statuses_kept() {
        assert_eq!(decode("a%20b+c%zz%4"), "a b c%zz%4");
        assert_eq!(decode("%2B%ff"), "+\u{fffd}");
        let q = query(Some("status=running&status=draft&tag=a%2Fb&other=1"), false)
            .unwrap_or_else(|_| panic!("a good query"));
        assert_eq!(q.filter.statuses, [Status::Running, Status::Draft]);
        assert_eq!(q.filter.tag.as_deref(), Some("a/b"));
        assert!(
            query(Some("excel=true"), false).is_ok(),
            "ignored outside export"
        );
        assert!(query(Some("excel=maybe"), true).is_err());
        assert!(query(Some("status=done&decision=nope"), false).is_err_and(|bad| bad.len() == 2));
    }
}
