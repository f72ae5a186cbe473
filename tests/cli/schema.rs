//! `xp schema`: the JSON Schema on stdout or in a file, valid for the records xp accepts.

use std::path::Path;

use crate::support::TestEnv;

fn fixture_json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn the_schema_is_json_schema_2020_12_and_takes_the_valid_fixtures() {
    let env = TestEnv::plain();
    let run = env.xp(&["schema"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for name in [
        "valid/homepage-cta-color.yaml",
        "valid/checkout-latency.yaml",
    ] {
        let errors: Vec<String> = validator
            .iter_errors(&fixture_json(name))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    assert!(!validator.is_valid(&fixture_json("broken/every-rule.yaml")));
}

#[test]
fn dash_o_writes_the_schema_where_the_team_commits_it() {
    let env = TestEnv::repo();
    let sub = env.path("docs");
    std::fs::create_dir_all(&sub).unwrap();
    let run = env.xp_in(&sub, &["schema", "-o", "../schema/experiment.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("schema/experiment.json"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read("schema/experiment.json"), env.ok(&["schema"]));
}

#[test]
fn dash_o_into_a_folder_that_cannot_be_made_fails_clearly() {
    let env = TestEnv::plain();
    env.write("file", "x");
    let run = env.xp(&["schema", "-o", "file/schema.json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot write file/schema.json"),
        "{}",
        run.stderr
    );
}
