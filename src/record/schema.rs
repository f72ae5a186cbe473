//! The JSON Schema (draft 2020-12) of a record, built from the field table, so that editors
//! check the shape of a file with the same definitions the rules use.
//!
//! Pure: [`FIELDS`] in, a `serde_json::Value` out. What a schema cannot say (target against
//! baseline with direction, log order, duplicate ids, YAML syntax) stays with `xp check`.

use serde_json::{Map, Value, json};

use crate::record::fields::{self, DECISION_LOG, FIELDS, Field, FieldKind, ID, REQUIRED};

/// The dialect the schema is written in.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A UUID in its hyphenated form, any case (what `id` must be).
pub const UUID_PATTERN: &str =
    "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";

/// An RFC 3339 time in UTC, as the log's `at` is read: `T`, `t` or a space between date and
/// time, any number of fraction digits, `Z` or a zero offset.
pub const UTC_TIME_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+\\-\u{2212}]00:00)$";

/// White space as the rules trim it (Unicode's White_Space, as Rust's `trim`), spelled out:
/// `\s` means other sets in other regex engines (ECMA-262 adds U+FEFF, Python U+001C..U+001F).
macro_rules! white_space {
    () => {
        "\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
    };
}

/// One character of white space, as the rules trim it.
pub const WHITE_SPACE: &str = concat!("[", white_space!(), "]");

/// Text with something other than white space in it.
pub const NOT_BLANK_PATTERN: &str = concat!("[^", white_space!(), "]");

/// A title: 1 to 200 characters once white space at either end is trimmed.
pub const TITLE_PATTERN: &str = concat!(
    "^[",
    white_space!(),
    "]*[^",
    white_space!(),
    "]([\\s\\S]{0,198}[^",
    white_space!(),
    "])?[",
    white_space!(),
    "]*$"
);

/// The schema of one experiment file.
pub fn record_schema() -> Value {
    let mut properties = Map::new();
    properties.insert(
        ID.into(),
        json!({
            "description": "a UUID assigned by `xp new`; it never changes",
            "type": "string",
            "pattern": UUID_PATTERN,
        }),
    );
    for field in FIELDS {
        properties.insert(field.name.into(), field_schema(field));
    }
    properties.insert(
        DECISION_LOG.into(),
        json!({
            "description": "the append-only decision log, oldest entry first; always the last key",
            "type": ["array", "null"],
            "items": { "$ref": "#/$defs/log_entry" },
        }),
    );
    json!({
        "$schema": DIALECT,
        "title": "xp experiment",
        "description": "One product experiment as xp keeps it in experiments/*.yaml. \
                        `xp check` also checks target against baseline, the log's order and \
                        duplicate ids, which this schema cannot.",
        "type": "object",
        "properties": properties,
        "required": REQUIRED,
        "additionalProperties": false,
        "allOf": [
            status_needs("completed", "status completed needs a decision", json!({
                "enum": fields::DECISIONS,
            })),
            status_needs("shipped", "status shipped needs decision ship", json!({
                "const": "ship",
            })),
        ],
        "$defs": { "log_entry": log_entry_schema() },
    })
}

/// The schema of one field's value, from its row in the table (the API's document describes
/// its bodies with it too).
pub fn field_schema(field: &Field) -> Value {
    let mut schema = Map::new();
    schema.insert("description".into(), json!(field.description));
    let with_null = |kind: &str| {
        if field.nullable {
            json!([kind, "null"])
        } else {
            json!(kind)
        }
    };
    match field.kind {
        FieldKind::Text => {
            schema.insert("type".into(), with_null("string"));
            if field.name == "title" {
                schema.insert("minLength".into(), json!(1));
                schema.insert("pattern".into(), json!(TITLE_PATTERN));
            } else if field.required {
                schema.insert("pattern".into(), json!(NOT_BLANK_PATTERN));
            }
        }
        FieldKind::Number => {
            schema.insert("type".into(), with_null("number"));
            match field.name {
                "alpha" | "power" => {
                    schema.insert("exclusiveMinimum".into(), json!(0));
                    schema.insert("exclusiveMaximum".into(), json!(1));
                }
                "minimum_detectable_effect" | "expected_daily_units" => {
                    schema.insert("exclusiveMinimum".into(), json!(0));
                }
                _ => {}
            }
        }
        FieldKind::Percent => {
            schema.insert("type".into(), with_null("integer"));
            schema.insert("minimum".into(), json!(0));
            schema.insert("maximum".into(), json!(100));
        }
        FieldKind::Enum(words) => {
            let mut values: Vec<Value> = words.iter().map(|w| json!(w)).collect();
            if field.nullable {
                values.push(Value::Null);
            }
            schema.insert("enum".into(), Value::Array(values));
        }
        FieldKind::TextList => {
            schema.insert("type".into(), with_null("array"));
            schema.insert("items".into(), json!({ "type": "string" }));
        }
        FieldKind::Numbers => {
            schema.insert("type".into(), with_null("array"));
            schema.insert("minItems".into(), json!(2));
            schema.insert(
                "items".into(),
                json!({ "type": "number", "exclusiveMinimum": 0 }),
            );
        }
        FieldKind::Results => {
            if let Value::Object(results) = results_schema() {
                schema.extend(results);
            }
            schema.insert("description".into(), json!(field.description));
            schema.insert("type".into(), with_null("object"));
        }
    }
    if let Some(default) = field.default {
        let value = match field.kind {
            FieldKind::Percent | FieldKind::Number => {
                match (default.parse::<i64>(), default.parse::<f64>()) {
                    (Ok(n), _) => json!(n),
                    (_, Ok(x)) => json!(x),
                    _ => json!(default),
                }
            }
            _ => json!(default),
        };
        schema.insert("default".into(), value);
    }
    Value::Object(schema)
}

/// The schema of `results`: `as_of`, `source` and at least two variants, all counting
/// conversions or all giving mean and sd. Names unique and conversions at most units are the
/// rules' to check (`bad-results`).
pub fn results_schema() -> Value {
    let name = json!({
        "description": "the variant's name; the first variant is the control",
        "type": "string",
        "pattern": NOT_BLANK_PATTERN,
    });
    let count = |what: &str| json!({ "description": what, "type": "integer", "minimum": 0 });
    let conversion = json!({
        "type": "object",
        "properties": {
            "name": name,
            "units": count("units (users, sessions) assigned to the variant"),
            "conversions": count("how many of the units converted, at most units"),
        },
        "required": ["name", "units", "conversions"],
        "additionalProperties": false,
    });
    let mean = json!({
        "type": "object",
        "properties": {
            "name": name,
            "units": count("units (users, sessions) assigned to the variant"),
            "mean": { "description": "the metric's mean over the units", "type": "number" },
            "sd": { "description": "the metric's standard deviation over the units", "type": "number", "minimum": 0 },
        },
        "required": ["name", "units", "mean", "sd"],
        "additionalProperties": false,
    });
    json!({
        "type": "object",
        "properties": {
            "as_of": {
                "description": "when the counts were taken, in RFC 3339 UTC",
                "type": "string",
                "pattern": UTC_TIME_PATTERN,
            },
            "source": {
                "description": "where the counts come from: a dashboard link, a query",
                "type": ["string", "null"],
            },
            "variants": {
                "description": "each variant's counts, the control first",
                "type": "array",
                "minItems": 2,
                "anyOf": [
                    { "items": conversion },
                    { "items": mean },
                ],
            },
        },
        "required": ["as_of", "variants"],
        "additionalProperties": false,
    })
}

/// `if status is <status> then decision must be <decision>` (an absent decision is null).
fn status_needs(status: &str, description: &str, decision: Value) -> Value {
    json!({
        "description": description,
        "if": {
            "properties": { "status": { "const": status } },
            "required": ["status"],
        },
        "then": {
            "properties": { "decision": decision },
            "required": ["decision"],
        },
    })
}

/// One decision-log entry: `at`, `note`, and `who` or not.
fn log_entry_schema() -> Value {
    json!({
        "description": "one entry of the decision log",
        "type": "object",
        "properties": {
            "at": {
                "description": "when, in RFC 3339 UTC, like 2026-02-22T18:30:00.000Z",
                "type": "string",
                "pattern": UTC_TIME_PATTERN,
            },
            "who": {
                "description": "who wrote it, or null",
                "type": ["string", "null"],
            },
            "note": {
                "description": "what happened or was decided",
                "type": "string",
                "pattern": NOT_BLANK_PATTERN,
            },
        },
        "required": ["at", "note"],
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::path::{Path, PathBuf};
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;
    use crate::rules::{self, Rule};
    use crate::test_support;
    use crate::yaml::{self, Document, NodeId};

    /// The rules a schema cannot express. `yaml-syntax` is left out: text that does not parse
    /// has no JSON to validate, and those files are not compared.
    const NOT_EXPRESSIBLE: &[Rule] = &[
        Rule::TargetVsBaseline,
        Rule::LogOrder,
        Rule::DuplicateId,
        Rule::PlanAmendmentMismatch,
        Rule::BadResults,
    ];

    /// The schema compiled once for all the tests.
    static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
        jsonschema::draft202012::new(&record_schema()).expect("the schema compiles")
    });

    fn validator() -> &'static jsonschema::Validator {
        &VALIDATOR
    }

    /// A parsed document as the JSON an editor's YAML reader would validate, typed by the
    /// same core schema the rules use; values JSON cannot hold become values no field takes.
    fn to_json(doc: &Document, id: NodeId) -> Value {
        match doc.value(id) {
            yaml::Value::Null => Value::Null,
            yaml::Value::Bool(b) => json!(b),
            yaml::Value::Int(n) => json!(n),
            yaml::Value::Float(x) if x.is_finite() => json!(x),
            yaml::Value::Float(x) => json!({ "not a finite number": x.to_string() }),
            yaml::Value::Str(s) => json!(s),
            yaml::Value::Tagged(tag) => json!({ "tagged": tag }),
            yaml::Value::Seq(items) => items.iter().map(|&i| to_json(doc, i)).collect(),
            yaml::Value::Map(entries) => {
                let mut map = Map::new();
                for (n, &(k, v)) in entries.iter().enumerate() {
                    let key = match doc.value(k) {
                        yaml::Value::Str(s) => s.to_owned(),
                        _ => format!("\u{0}not a string key {n}"),
                    };
                    map.insert(key, to_json(doc, v));
                }
                Value::Object(map)
            }
        }
    }

    /// The JSON of a file's bytes, when they are UTF-8 and parse as YAML.
    fn json_of(bytes: &[u8]) -> Option<Value> {
        let text = std::str::from_utf8(bytes).ok()?;
        let doc = yaml::parse(text).ok()?;
        Some(to_json(&doc, doc.root))
    }

    /// Whether confidence is a whole number written with a fraction (`96.0`): JSON has one kind
    /// of number, so the schema takes it and the rules do not.
    fn whole_float_confidence(json: &Value) -> bool {
        json.get("confidence")
            .and_then(Value::as_f64)
            .is_some_and(|x| x.fract() == 0.0 && !json["confidence"].is_i64())
    }

    /// Schema and rules agree on one file: what the rules take the schema takes, and what the
    /// schema takes breaks no rule but those it cannot express. Returns whether both took it.
    fn agree(name: &str, bytes: &[u8], validator: &jsonschema::Validator) -> bool {
        let checked = rules::check_bytes(Path::new(name), bytes);
        let Some(json) = json_of(bytes) else {
            assert!(
                checked.problems.iter().any(|p| p.rule == Rule::YamlSyntax),
                "{name}: unreadable YAML passed the rules"
            );
            return false;
        };
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if checked.problems.is_empty() {
            assert!(
                errors.is_empty(),
                "{name}: the rules take it, the schema does not: {errors:?}\n{}",
                String::from_utf8_lossy(bytes)
            );
            return true;
        }
        if errors.is_empty() {
            let left: Vec<_> = checked
                .problems
                .iter()
                .filter(|p| !NOT_EXPRESSIBLE.contains(&p.rule))
                .filter(|p| !(p.rule == Rule::ConfidenceRange && whole_float_confidence(&json)))
                .collect();
            assert!(
                left.is_empty(),
                "{name}: the schema takes it, the rules do not: {left:?}\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
        false
    }

    fn fixtures(dir: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(dir);
        let mut out: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn the_schema_is_valid_draft_2020_12() {
        let schema = record_schema();
        let meta = jsonschema::meta::validate(&schema);
        assert!(meta.is_ok(), "{meta:?}");
        assert_eq!(schema["$schema"], DIALECT);
        assert_eq!(schema["additionalProperties"], false);
        let keys: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, fields::KEYS);
        assert_eq!(
            schema["properties"]["status"]["enum"],
            json!(fields::STATUSES)
        );
        assert_eq!(schema["properties"]["status"]["default"], "draft");
        assert_eq!(schema["properties"]["confidence"]["default"], 0);
        for field in FIELDS {
            assert_eq!(
                schema["properties"][field.name]["description"],
                field.description
            );
        }
    }

    #[test]
    fn every_fixture_agrees_with_the_rules() {
        let v = validator();
        for (path, bytes) in fixtures("valid") {
            let name = path.display().to_string();
            assert!(agree(&name, &bytes, v), "{name} is a valid fixture");
        }
        for (path, bytes) in fixtures("broken") {
            let name = path.display().to_string();
            // A duplicate id is a problem between files: alone, the copy is a valid record.
            let alone_valid = path.ends_with("duplicate-id.yaml");
            assert!(!agree(&name, &bytes, v) || alone_valid, "{name}");
        }
    }

    #[test]
    fn the_broken_fixture_of_every_rule_fails_the_schema() {
        let v = validator();
        let every = fixtures("broken")
            .into_iter()
            .find(|(p, _)| p.ends_with("every-rule.yaml"))
            .unwrap();
        assert!(!v.is_valid(&json_of(&every.1).unwrap()));
    }

    const GOOD: &str = crate::test_support::SAMPLE;

    /// One edit of the good record per rule the schema expresses, each failing both.
    #[test]
    fn each_expressible_rule_fails_the_schema() {
        let v = validator();
        let cases: &[(Rule, &str, &str)] = &[
            (
                Rule::UnknownKey,
                "learning: null\n",
                "learning: null\nlearnings: x\n",
            ),
            (Rule::MissingField, "primary_metric: signup_rate\n", ""),
            (Rule::WrongType, "baseline: 3.2", "baseline: '3.2'"),
            (Rule::WrongType, "id: 3f9c2a71", "id: 3f9c2a7"),
            (Rule::WrongType, "learning: null", "learning: [a]"),
            (
                Rule::TitleLength,
                "title: Homepage CTA Color",
                "title: '   '",
            ),
            (
                Rule::EmptyField,
                "hypothesis: Green beats blue",
                "hypothesis: ' '",
            ),
            (Rule::BadStatus, "status: running", "status: paused"),
            (Rule::BadDecision, "decision: null", "decision: maybe"),
            (Rule::ConfidenceRange, "confidence: 0", "confidence: 101"),
            (Rule::ConfidenceRange, "confidence: 0", "confidence: 10.5"),
            (
                Rule::DecisionRequired,
                "status: running",
                "status: completed",
            ),
            (
                Rule::ShippedNeedsShip,
                "status: running\nconfidence: 0\ndecision: null",
                "status: shipped\nconfidence: 0\ndecision: iterate",
            ),
            (
                Rule::BadLogEntry,
                "  note: Launched to 10% of users",
                "  note: ''",
            ),
            (
                Rule::BadLogEntry,
                "at: 2026-02-22T18:30:00.000Z",
                "at: 2026-02-22T18:30:00+01:00",
            ),
            (Rule::BadLogEntry, "  who: alice", "  who: [alice]"),
            (Rule::BadLogEntry, "  who: alice", "  by: alice"),
        ];
        let long = format!("title: {}", "x".repeat(201));
        let padded = format!("title: '  {}  '", "x".repeat(200));
        let mut all: Vec<(Rule, String)> = cases
            .iter()
            .map(|(rule, from, to)| {
                assert!(GOOD.contains(from), "{from}");
                (*rule, GOOD.replacen(from, to, 1))
            })
            .collect();
        all.push((
            Rule::TitleLength,
            GOOD.replacen("title: Homepage CTA Color", &long, 1),
        ));
        for (rule, text) in &all {
            let checked = rules::check_bytes(Path::new("x.yaml"), text.as_bytes());
            assert!(
                checked.problems.iter().any(|p| p.rule == *rule),
                "{rule:?}: {:?}\n{text}",
                checked.problems
            );
            assert!(
                !v.is_valid(&json_of(text.as_bytes()).unwrap()),
                "{rule:?}\n{text}"
            );
        }
        // A padded title of 200 characters is fine for both.
        let text = GOOD.replacen("title: Homepage CTA Color", &padded, 1);
        assert!(agree("padded", text.as_bytes(), v));
        assert!(agree("good", GOOD.as_bytes(), v));
        // Completed with a decision, shipped with ship, and an absent log are fine.
        let done = GOOD
            .replacen("status: running", "status: shipped", 1)
            .replacen("decision: null", "decision: ship", 1);
        assert!(agree("done", done.as_bytes(), v));
    }

    /// What the schema cannot express passes it, and is said in the README.
    #[test]
    fn the_rules_a_schema_cannot_express_pass_it() {
        let v = validator();
        let below = GOOD.replacen("target: 3.7", "target: 3.0", 1);
        let out_of_order = GOOD.replacen(
            "  note: Launched to 10% of users\n",
            "  note: Launched to 10% of users\n- at: 2026-02-21T00:00:00Z\n  note: earlier\n",
            1,
        );
        let mismatched = format!(
            "{GOOD}- at: 2026-02-23T00:00:00Z\n  note: \"amended: target 3.2 -> 3.9: more\"\n"
        );
        for text in [below, out_of_order, mismatched] {
            let checked = rules::check_bytes(Path::new("x.yaml"), text.as_bytes());
            assert!(!checked.problems.is_empty());
            assert!(v.is_valid(&json_of(text.as_bytes()).unwrap()), "{text}");
        }
        let readme = include_str!("../../README.md");
        for rule in NOT_EXPRESSIBLE.iter().chain([&Rule::YamlSyntax]) {
            let listed = format!("`{}`", rule.name());
            assert!(readme.contains(&listed), "README lists {listed}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(test_support::cases(512)))]

        /// Hand-edited records: the schema and the rules agree on every one.
        #[test]
        fn edited_records_agree(text in test_support::mutated_record()) {
            agree("generated.yaml", text.as_bytes(), validator());
        }

        /// Gentle edits, which mostly keep a record valid, agree too.
        #[test]
        fn gently_edited_records_agree(text in test_support::mutated_with(test_support::GENTLE, 1..4)) {
            agree("generated.yaml", text.as_bytes(), validator());
        }
    }

    #[test]
    fn the_bases_pass_both() {
        let v = validator();
        for base in test_support::BASES {
            assert!(agree("base.yaml", base.as_bytes(), v), "{base}");
        }
    }
}
