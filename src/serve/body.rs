//! Request bodies read into the operations' typed input, every problem at once: a PATCH's
//! changes (any field of the table), a note, and a create's payload as the rules read it.

use serde_json::{Map, Value};

use crate::ops::note::NewNote;
use crate::ops::update::Changes;
use crate::record::fields;
use crate::record::{Field, FieldKind, FieldValue};
use crate::rules::Rule;
use crate::serve::error::Invalid;

/// The canonical text of a body for the payload rules: JSON is YAML, and re-written by
/// serde_json it holds no escapes YAML reads differently.
pub fn payload_text(body: &Map<String, Value>) -> String {
    let json = serde_json::to_string_pretty(body).unwrap_or_default();
    crate::yaml::json_as_yaml(&json).into_owned()
}

/// A PATCH body: the fields to change (any field of the table), `note`, `amend`, `force`
/// and `who`.
pub fn changes(body: &Map<String, Value>) -> Result<Changes, Vec<Invalid>> {
    let mut c = Changes::default();
    let mut bad = Vec::new();
    for (key, v) in body {
        let k = key.as_str();
        if let Some(field) = fields::field(k) {
            match field_value(field, v) {
                Ok(value) => c.set(field, value),
                Err(invalid) => bad.extend(invalid),
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

/// A field's new value from JSON, as its kind says (`null` clears a field that may be null);
/// in a list, each item that is not a string is a problem of its own, at its index.
fn field_value(field: &Field, v: &Value) -> Result<Option<FieldValue>, Vec<Invalid>> {
    let (FieldKind::TextList, Value::Array(items)) = (field.kind, v) else {
        return one_value(field, v).map_err(|invalid| vec![invalid]);
    };
    let k = field.name;
    let mut list = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => list.push(s.clone()),
            other => bad.push(Invalid {
                kind: Rule::WrongType.name().to_owned(),
                loc: vec!["body".into(), k.into(), i.into()],
                msg: format!("`{k}[{i}]` must be a string"),
                input: other.clone(),
            }),
        }
    }
    if bad.is_empty() {
        Ok(Some(FieldValue::List(list)))
    } else {
        Err(bad)
    }
}

fn one_value(field: &Field, v: &Value) -> Result<Option<FieldValue>, Invalid> {
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
        (FieldKind::TextList, _) => Err(wrong("a list of strings")),
        (FieldKind::Numbers | FieldKind::Results, _) => {
            crate::record::json::field_value(field, v).map_err(|bad| {
                // `loc` goes into the value: `["body", "results", "variants", 1, "units"]`.
                let mut loc = vec![Value::from("body"), Value::from(k)];
                loc.extend(bad.path.iter().map(|p| match p.parse::<u64>() {
                    Ok(i) => Value::from(i),
                    Err(_) => Value::from(p.as_str()),
                }));
                Invalid {
                    kind: bad.rule.to_owned(),
                    loc,
                    msg: bad.message,
                    input: v.clone(),
                }
            })
        }
    }
}

/// A notes body: `{"note": ..., "who": optional}`.
pub fn note(body: &Map<String, Value>) -> Result<NewNote, Vec<Invalid>> {
    let mut bad = Vec::new();
    let mut note = None;
    let mut who = None;
    for (key, v) in body {
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
    if note.is_none() && !body.contains_key("note") {
        bad.push(Invalid::new(
            Rule::MissingField.name(),
            &["body", "note"],
            "missing `note`",
            Value::Object(body.clone()),
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
