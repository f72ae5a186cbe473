//! Every field of the table walks every way in and out: `xp new` (flags and `--from`),
//! `xp update`, POST and PATCH, `xp show --format json`, `GET`, the export and the schemas.
//! The values are made from each field's kind, so a field added to the table is walked too.

use serde_json::{Map, Value, json};
use xp::record::{FIELDS, Field, FieldKind};

use crate::server::Server;
use crate::support::TestEnv;

/// A value of the field for round 0 (a new record) or 1 (its update), within the rules: the
/// update moves draft to running and turns the metric around (direction decrease).
fn sample(field: &Field, round: usize) -> Value {
    match (field.name, field.kind) {
        ("status", _) => json!(["draft", "running"][round]),
        ("direction", _) => json!(["increase", "decrease"][round]),
        ("baseline", _) => json!([1.5, 9.5][round]),
        ("target", _) => json!([2.5, 1.25][round]),
        ("alpha", _) => json!([0.05, 0.01][round]),
        ("power", _) => json!([0.8, 0.9][round]),
        (name, FieldKind::Text) => json!(format!("{name} {round}: ü \"quoted\" # not a comment")),
        (_, FieldKind::Number) => json!(7.125 + round as f64),
        (_, FieldKind::Percent) => json!(42 + round),
        (_, FieldKind::Enum(words)) => json!(words[round % words.len()]),
        (name, FieldKind::TextList) => json!([format!("{name}-{round}"), "b"]),
        (_, FieldKind::Numbers) => json!([60.5 + round as f64, 39.5]),
        (_, FieldKind::Results) => json!({
            "as_of": format!("2026-03-0{}T00:00:00.000Z", round + 1),
            "source": format!("https://dash.example/{round} \"q\" # not a comment"),
            "variants": [
                {"name": "control", "units": 1000 + round, "conversions": 30},
                {"name": format!("green {round}: ü"), "units": 1000, "conversions": 40 + round},
            ],
        }),
    }
}

fn payload(round: usize) -> Map<String, Value> {
    FIELDS
        .iter()
        .map(|f| (f.name.to_owned(), sample(f, round)))
        .collect()
}

/// The flags that give every field its value of `round`.
fn flags(round: usize) -> Vec<String> {
    let mut out = Vec::new();
    for field in FIELDS {
        let flag = format!("--{}", field.flag());
        match sample(field, round) {
            Value::Array(items) => {
                for item in items {
                    out.push(flag.clone());
                    out.push(match item {
                        Value::String(s) => s,
                        other => other.to_string(),
                    });
                }
            }
            Value::String(s) => {
                out.push(flag);
                out.push(s);
            }
            other => out.push(format!("{flag}={other}")),
        }
    }
    out
}

/// Each field of `answer` (a record's JSON) holds its value of `round`.
#[track_caller]
fn holds(answer: &Value, round: usize, how: &str) {
    for field in FIELDS {
        assert_eq!(
            answer[field.name],
            sample(field, round),
            "{how}: {} in {answer}",
            field.name
        );
    }
}

fn args(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

#[test]
fn every_field_walks_through_the_command_line() {
    let env = TestEnv::repo();
    env.ok(&["init"]);
    env.write("p.json", &Value::Object(payload(0)).to_string());
    let out = env.ok(&["new", "--from", "p.json", "--quiet"]);
    let id = out.split(' ').next().unwrap().to_owned();
    holds(
        &serde_json::from_str(&env.ok(&["show", &id, "--format", "json"])).unwrap(),
        0,
        "new --from",
    );

    let mut new = vec!["new".to_owned(), "--quiet".to_owned()];
    new.extend(flags(0));
    let out = env.ok(&args(&new));
    let by_flags = out.split(' ').next().unwrap().to_owned();
    holds(
        &serde_json::from_str(&env.ok(&["show", &by_flags, "--format", "json"])).unwrap(),
        0,
        "new with flags",
    );

    let mut update = vec!["update".to_owned(), id.clone()];
    update.extend(flags(1));
    env.ok(&args(&update));
    let shown: Value = serde_json::from_str(&env.ok(&["show", &id, "--format", "json"])).unwrap();
    holds(&shown, 1, "update");

    // Every text field set is shown to people: on the terminal and on the story page.
    let text = env.ok(&["show", &id]);
    env.ok(&["site", "-o", "site"]);
    let slug = env.ok(&["list", "--format", "json"]);
    let slug: Value = serde_json::from_str(&slug).unwrap();
    let slug = slug
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap()["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = env.read(&format!("site/e/{slug}.html"));
    for field in FIELDS.iter().filter(|f| f.kind == FieldKind::Text) {
        let value = sample(field, 1);
        let value = value.as_str().unwrap();
        assert!(
            text.contains(value),
            "xp show lacks {}:\n{text}",
            field.name
        );
        let escaped = value.replace('&', "&amp;").replace('"', "&quot;");
        assert!(page.contains(&escaped), "the story lacks {}", field.name);
    }

    let rows: Value = serde_json::from_str(&env.ok(&["export", "--format", "json"])).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap();
    holds(row, 1, "export --format json");
    let columns: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
    let csv = env.ok(&["export", "--columns", &format!("id,{}", columns.join(","))]);
    assert_eq!(
        csv.lines().next().unwrap(),
        format!("id,{}", columns.join(","))
    );

    let schema: Value = serde_json::from_str(&env.ok(&["schema"])).unwrap();
    for field in FIELDS {
        assert!(
            schema["properties"].get(field.name).is_some(),
            "xp schema lacks {}",
            field.name
        );
    }
}

#[test]
fn every_field_walks_through_the_api() {
    let env = TestEnv::repo();
    env.ok(&["init"]);
    let server = Server::start(&env, &[]);
    let created = server
        .post("/experiments", Value::Object(payload(0)))
        .expect(200)
        .json();
    holds(&created, 0, "POST");
    let id = created["id"].as_str().unwrap().to_owned();
    let patched = server
        .patch(&format!("/experiments/{id}"), Value::Object(payload(1)))
        .expect(200)
        .json();
    holds(&patched, 1, "PATCH");
    let got = server.get(&format!("/experiments/{id}")).expect(200).json();
    holds(&got, 1, "GET");
    let listed = server.get("/experiments").expect(200).json();
    holds(&listed[0], 1, "GET /experiments");

    let document = server.get("/openapi.json").expect(200).json();
    for schema in ["Experiment", "ExperimentCreate", "ExperimentUpdate"] {
        let properties = &document["components"]["schemas"][schema]["properties"];
        for field in FIELDS {
            assert!(
                properties.get(field.name).is_some(),
                "{schema} lacks {}",
                field.name
            );
        }
    }
}
