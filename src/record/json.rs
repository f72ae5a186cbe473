//! A field's value read from JSON, as a request body, a payload or a flag gives it: each kind
//! of the table read as the file's rules read it, so that the command line's `--results`, POST
//! and PATCH agree with the file. What relates values (conversions at most units, names
//! unique) is the rules' to say once the value is in the record.

use serde_json::Value;

use crate::record::fields::{Field, FieldKind, FieldValue};
use crate::record::results::{self, Measure, Results, Variant};

/// Why a JSON value is not a value of its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad {
    /// The rule it breaks, by its name (`wrong-type`, `unknown-key`, `missing-field`,
    /// `confidence-range`, `bad-status`, `bad-decision`).
    pub rule: &'static str,
    /// Where inside the value (`["variants", "1", "units"]`); empty for the value itself.
    pub path: Vec<String>,
    pub message: String,
}

fn bad(rule: &'static str, path: &[&str], message: impl Into<String>) -> Bad {
    Bad {
        rule,
        path: path.iter().map(|p| (*p).to_owned()).collect(),
        message: message.into(),
    }
}

/// The value of `field` that `v` gives; `Ok(None)` is null, for a field that may be null.
pub fn field_value(field: &Field, v: &Value) -> Result<Option<FieldValue>, Bad> {
    let k = field.name;
    let or_null = if field.nullable { " or null" } else { "" };
    if v.is_null() && field.nullable {
        return Ok(None);
    }
    let wrong = |what: &str| bad("wrong-type", &[], format!("`{k}` must be {what}{or_null}"));
    match (field.kind, v) {
        (FieldKind::Text, Value::String(s)) => Ok(Some(FieldValue::Text(s.clone()))),
        (FieldKind::Text, _) => Err(wrong("a string")),
        (FieldKind::Number, _) => finite(v)
            .map(|x| Some(FieldValue::Number(x)))
            .ok_or_else(|| wrong("a number (not quoted)")),
        (FieldKind::Percent, Value::Number(n)) => match n.as_i64() {
            Some(n) => Ok(Some(FieldValue::Whole(n))),
            None => Err(bad(
                "confidence-range",
                &[],
                format!("{k} must be a whole number from 0 to 100"),
            )),
        },
        (FieldKind::Percent, _) => Err(wrong("a whole number from 0 to 100")),
        (FieldKind::Enum(words), Value::String(s)) if words.contains(&s.as_str()) => {
            Ok(Some(FieldValue::Text(s.clone())))
        }
        (FieldKind::Enum(words), _) => {
            let rule = match k {
                "status" => "bad-status",
                "decision" => "bad-decision",
                _ => "wrong-type",
            };
            Err(bad(
                rule,
                &[],
                format!("{k} must be one of {}{or_null}", words.join(", ")),
            ))
        }
        (FieldKind::TextList, Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(|items| Some(FieldValue::List(items)))
            .ok_or_else(|| wrong("a list of strings")),
        (FieldKind::TextList, _) => Err(wrong("a list of strings")),
        (FieldKind::Numbers, Value::Array(items)) => items
            .iter()
            .map(finite)
            .collect::<Option<Vec<_>>>()
            .map(|items| Some(FieldValue::Numbers(items)))
            .ok_or_else(|| wrong("a list of numbers")),
        (FieldKind::Numbers, _) => Err(wrong("a list of numbers")),
        (FieldKind::Results, _) => read_results(v).map(|r| Some(FieldValue::Results(Box::new(r)))),
    }
}

/// A finite JSON number (never a quoted one).
fn finite(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite() && v.is_number())
}

/// Results from JSON: `{as_of, source?, variants: [{name, units, conversions} | {name, units,
/// mean, sd}]}`.
pub fn read_results(v: &Value) -> Result<Results, Bad> {
    let Value::Object(map) = v else {
        return Err(bad(
            "wrong-type",
            &[],
            "`results` must be an object of as_of, source and variants, or null",
        ));
    };
    if let Some(key) = map.keys().find(|k| !results::KEYS.contains(&k.as_str())) {
        return Err(bad(
            "unknown-key",
            &[key],
            format!("unknown key `{key}` in results; it has only as_of, source and variants"),
        ));
    }
    let as_of = match map.get("as_of") {
        Some(Value::String(s)) if crate::time::parse_utc(s).is_some() => s.clone(),
        Some(_) => {
            return Err(bad(
                "wrong-type",
                &["as_of"],
                "`as_of` must be an RFC 3339 UTC time, like 2026-03-01T00:00:00.000Z",
            ));
        }
        None => return Err(bad("missing-field", &["as_of"], "results have no `as_of`")),
    };
    let source = match map.get("source") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(bad(
                "wrong-type",
                &["source"],
                "`source` must be a string or null",
            ));
        }
    };
    let variants = match map.get("variants") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| variant(item, i))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(bad(
                "wrong-type",
                &["variants"],
                "`variants` must be a list of variants",
            ));
        }
        None => {
            return Err(bad(
                "missing-field",
                &["variants"],
                "results have no `variants`",
            ));
        }
    };
    Ok(Results {
        as_of,
        source,
        variants,
    })
}

fn variant(v: &Value, index: usize) -> Result<Variant, Bad> {
    let at = index.to_string();
    let label = format!("variant {}", index + 1);
    let Value::Object(map) = v else {
        return Err(bad(
            "wrong-type",
            &["variants", &at],
            format!("{label} must be an object of name, units and conversions (or mean and sd)"),
        ));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !results::VARIANT_KEYS.contains(&k.as_str()))
    {
        return Err(bad(
            "unknown-key",
            &["variants", &at, key],
            format!("unknown key `{key}` in {label}"),
        ));
    }
    let missing = |key: &str| {
        bad(
            "missing-field",
            &["variants", &at, key],
            format!("{label} has no `{key}`"),
        )
    };
    let count = |key: &str| -> Result<u64, Bad> {
        let v = map.get(key).ok_or_else(|| missing(key))?;
        v.as_u64().ok_or_else(|| {
            bad(
                "wrong-type",
                &["variants", &at, key],
                format!("`{key}` of {label} must be a whole number of 0 or more"),
            )
        })
    };
    let number = |key: &str| -> Result<f64, Bad> {
        let v = map.get(key).ok_or_else(|| missing(key))?;
        finite(v).ok_or_else(|| {
            bad(
                "wrong-type",
                &["variants", &at, key],
                format!("`{key}` of {label} must be a finite number"),
            )
        })
    };
    let name = match map.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(bad(
                "wrong-type",
                &["variants", &at, "name"],
                format!("the name of {label} must be a string"),
            ));
        }
        None => return Err(missing("name")),
    };
    let units = count("units")?;
    let measure = if map.contains_key("conversions") {
        if map.contains_key("mean") || map.contains_key("sd") {
            return Err(bad(
                "bad-results",
                &["variants", &at],
                format!("{label} has both `conversions` and `mean`/`sd`; it has one or the other"),
            ));
        }
        Measure::Conversions(count("conversions")?)
    } else if map.contains_key("mean") || map.contains_key("sd") {
        let sd = number("sd")?;
        if sd < 0.0 {
            return Err(bad(
                "wrong-type",
                &["variants", &at, "sd"],
                format!("`sd` of {label} must be 0 or more"),
            ));
        }
        Measure::Mean {
            mean: number("mean")?,
            sd,
        }
    } else {
        return Err(missing("conversions"));
    };
    Ok(Variant {
        name,
        units,
        measure,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::record::fields::field;
    use serde_json::json;

    fn results() -> &'static Field {
        field("results").unwrap()
    }

    #[test]
    fn results_read_from_json_as_the_file_writes_them() {
        let v = json!({
            "as_of": "2026-03-01T00:00:00.000Z",
            "source": "https://dash.example/cta",
            "variants": [
                {"name": "control", "units": 10000, "conversions": 320},
                {"name": "green", "units": 10000, "conversions": 371},
            ]
        });
        let Some(FieldValue::Results(r)) = field_value(results(), &v).unwrap() else {
            panic!("not results");
        };
        assert_eq!(serde_json::to_value(&*r).unwrap(), v);
        assert_eq!(field_value(results(), &Value::Null), Ok(None));
    }

    #[test]
    fn every_malformed_part_is_named_with_its_place() {
        let cases = [
            (json!([]), "wrong-type", vec![]),
            (
                json!({"as_of": "x", "variants": []}),
                "wrong-type",
                vec!["as_of"],
            ),
            (json!({"variants": []}), "missing-field", vec!["as_of"]),
            (
                json!({"as_of": "2026-03-01T00:00:00Z", "varients": []}),
                "unknown-key",
                vec!["varients"],
            ),
            (
                json!({"as_of": "2026-03-01T00:00:00Z"}),
                "missing-field",
                vec!["variants"],
            ),
            (
                json!({"as_of": "2026-03-01T00:00:00Z", "variants": [{"name": "a", "units": -1, "conversions": 0}]}),
                "wrong-type",
                vec!["variants", "0", "units"],
            ),
            (
                json!({"as_of": "2026-03-01T00:00:00Z", "variants": [{"name": "a", "units": 1.5, "conversions": 0}]}),
                "wrong-type",
                vec!["variants", "0", "units"],
            ),
            (
                json!({"as_of": "2026-03-01T00:00:00Z", "variants": [{"name": "a", "units": 1}]}),
                "missing-field",
                vec!["variants", "0", "conversions"],
            ),
            (
                json!({"as_of": "2026-03-01T00:00:00Z", "variants": [{"name": "a", "units": 1, "mean": 1}]}),
                "missing-field",
                vec!["variants", "0", "sd"],
            ),
            (
                json!({"as_of": "2026-03-01T00:00:00Z", "variants": [{"name": "a", "units": 1, "mean": 1, "sd": -1}]}),
                "wrong-type",
                vec!["variants", "0", "sd"],
            ),
            (
                json!({"as_of": "2026-03-01T00:00:00Z", "variants": [{"name": "a", "units": 1, "conversions": 1, "mean": 1}]}),
                "bad-results",
                vec!["variants", "0"],
            ),
            (
                json!({"as_of": "2026-03-01T00:00:00Z", "variants": [{"name": 1, "units": 1, "conversions": 1}]}),
                "wrong-type",
                vec!["variants", "0", "name"],
            ),
        ];
        for (v, rule, path) in cases {
            let e = field_value(results(), &v).unwrap_err();
            assert_eq!(
                (e.rule, e.path.clone()),
                (rule, path.iter().map(|p| p.to_string()).collect()),
                "{v}: {}",
                e.message
            );
        }
        let split = field("split").unwrap();
        assert_eq!(
            field_value(split, &json!([50, 50.5])),
            Ok(Some(FieldValue::Numbers(vec![50.0, 50.5])))
        );
        assert_eq!(
            field_value(split, &json!(["50"])).unwrap_err().rule,
            "wrong-type"
        );
    }
}
