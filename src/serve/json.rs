//! A request body read as one JSON object, strictly and in plain words: a UTF-8 byte-order mark
//! is skipped (the origin service accepted it), a key given twice is refused naming the key (a
//! record's YAML refuses it too, and "last one wins" loses what a client sent), and half of a
//! UTF-16 surrogate pair is said as what it is.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value, json};

use crate::serve::error::Invalid;

/// The JSON object `bytes` hold, or every reason they are not one, in FastAPI's shape.
pub fn object(bytes: &[u8]) -> Result<Map<String, Value>, Vec<Invalid>> {
    match value(bytes, "a JSON object")? {
        Value::Object(fields) => Ok(fields),
        other => Err(vec![Invalid::new(
            "model_attributes_type",
            &["body"],
            "Input should be a valid dictionary or object to extract fields from",
            other,
        )]),
    }
}

/// The JSON value `bytes` hold, read as strictly as [`object`] reads one; an empty body asks
/// for `wanted`.
pub fn value(bytes: &[u8], wanted: &str) -> Result<Value, Vec<Invalid>> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(vec![Invalid::new(
            "missing",
            &["body"],
            format!("Field required: send {wanted}"),
            Value::Null,
        )]);
    }
    let twice = RefCell::new(None);
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict {
        at: Vec::new(),
        twice: &twice,
    }
    .deserialize(&mut reader)
    .and_then(|value| reader.end().map(|()| value));
    match parsed {
        Ok(value) => Ok(value),
        Err(e) => Err(vec![match (twice.into_inner(), lone_surrogate(bytes)) {
            (Some((loc, key)), _) => Invalid {
                kind: "json_invalid".into(),
                loc,
                msg: format!(
                    "JSON decode error: the key `{key}` is given twice in one object; send \
                     each key once"
                ),
                input: json!({}),
            },
            (None, Some((at, escape))) => Invalid {
                kind: "json_invalid".into(),
                loc: vec!["body".into(), Value::from(at)],
                msg: format!(
                    "JSON decode error: `{escape}` at character {at} is half of a UTF-16 \
                     surrogate pair, not a character; send the character itself (UTF-8), or \
                     both halves of its pair (`\\ud83d\\ude00`)"
                ),
                input: json!({}),
            },
            (None, None) => Invalid {
                kind: "json_invalid".into(),
                loc: vec!["body".into(), Value::from(e.column())],
                msg: format!("JSON decode error: {e}"),
                input: json!({}),
            },
        }]),
    }
}

/// Deserializes a [`Value`] as serde_json does, but refuses an object that names a key twice;
/// `twice` then holds where (as a `loc`) and the key.
struct Strict<'a> {
    /// Where this value is, as a `loc`: `["body", "tags", 0]`.
    at: Vec<Value>,
    twice: &'a RefCell<Option<(Vec<Value>, String)>>,
}

impl Strict<'_> {
    fn child(&self, step: Value) -> Strict<'_> {
        let mut at = if self.at.is_empty() {
            vec![Value::from("body")]
        } else {
            self.at.clone()
        };
        at.push(step);
        Strict {
            at,
            twice: self.twice,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child(Value::from(items.len())))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if fields.contains_key(&key) {
                let at = self.child(Value::from(key.as_str())).at;
                let said = format!("the key `{key}` is given twice");
                *self.twice.borrow_mut() = Some((at, key));
                return Err(de::Error::custom(said));
            }
            let value = map.next_value_seed(self.child(Value::from(key.as_str())))?;
            fields.insert(key, value);
        }
        Ok(Value::Object(fields))
    }
}

/// The first `\uXXXX` escape in a string of `bytes` that is half of a surrogate pair without
/// its other half: its place (in characters from 1, as FastAPI counts) and the escape.
fn lone_surrogate(bytes: &[u8]) -> Option<(usize, String)> {
    let text = String::from_utf8_lossy(bytes);
    let chars: Vec<char> = text.chars().collect();
    let hex = |at: usize| -> Option<u32> {
        let digits: String = chars.get(at..at + 4)?.iter().collect();
        u32::from_str_radix(&digits, 16).ok()
    };
    let escape_at = |at: usize| chars.get(at) == Some(&'\\') && chars.get(at + 1) == Some(&'u');
    let (mut i, mut in_string) = (0, false);
    while i < chars.len() {
        match chars[i] {
            '"' => in_string = !in_string,
            '\\' if in_string => {
                if chars.get(i + 1) == Some(&'u')
                    && let Some(unit) = hex(i + 2)
                {
                    let shown = || chars[i..i + 6].iter().collect::<String>();
                    match unit {
                        0xD800..=0xDBFF => {
                            let paired = escape_at(i + 6)
                                && hex(i + 8).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low));
                            if !paired {
                                return Some((i + 1, shown()));
                            }
                            i += 12;
                            continue;
                        }
                        0xDC00..=0xDFFF => return Some((i + 1, shown())),
                        _ => {}
                    }
                }
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Invalid {
        match object(text.as_bytes()) {
            Err(mut list) => list.remove(0),
            Ok(fields) => panic!("accepted: {fields:?}"),
        }
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let fields = object(b"\xef\xbb\xbf{\"note\": \"x\"}").unwrap_or_default();
        assert_eq!(fields.get("note"), Some(&json!("x")));
    }

    #[test]
    fn a_key_given_twice_is_named_wherever_it_is() {
        let top = refused(r#"{"title": "a", "title": "b"}"#);
        assert_eq!(top.loc, [json!("body"), json!("title")]);
        assert!(top.msg.contains("`title` is given twice"), "{}", top.msg);
        let deep = refused(r#"{"decision_log": [{"at": "x", "at": "y"}]}"#);
        assert_eq!(
            deep.loc,
            [json!("body"), json!("decision_log"), json!(0), json!("at")]
        );
        // The same key in two objects is fine.
        assert!(object(br#"{"a": {"k": 1}, "b": {"k": 2}}"#).is_ok());
    }

    #[test]
    fn half_a_surrogate_pair_is_said_as_such() {
        for (text, escape) in [
            (r#"{"note": "\ud800"}"#, r"\ud800"),
            (r#"{"note": "ab\ud83dx"}"#, r"\ud83d"),
            (r#"{"note": "\udc00"}"#, r"\udc00"),
        ] {
            let said = refused(text);
            assert!(
                said.msg.contains(&format!("`{escape}`")) && said.msg.contains("surrogate"),
                "{text}: {}",
                said.msg
            );
        }
        // A whole pair, and an escaped backslash before a `u`, are fine.
        let fields = object(br#"{"note": "\ud83d\ude00 \\ud800"}"#).unwrap_or_default();
        assert_eq!(fields.get("note"), Some(&json!("\u{1f600} \\ud800")));
    }

    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        let fields = object(
            br#"{"a": 0.029134757616042842, "b": -0.0, "c": 18446744073709551615, "d": -3}"#,
        )
        .unwrap_or_default();
        assert_eq!(fields["a"].as_f64(), Some(0.029134757616042842));
        assert!(
            fields["b"]
                .as_f64()
                .is_some_and(|x| x == 0.0 && x.is_sign_negative())
        );
        assert_eq!(fields["c"].as_u64(), Some(u64::MAX));
        assert_eq!(fields["d"].as_i64(), Some(-3));
    }
}
