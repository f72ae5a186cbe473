//! Results and learning: `observed` with its lift, `search`, `similar`, the notice on `new`,
//! and `report`.

use crate::support::TestEnv;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn observed_is_set_committed_shown_and_cleared() {
    let env = TestEnv::repo();
    env.new_cta();
    let before = env.commit_count();
    env.ok(&["update", "homepage-cta-color", "--observed", "3.712"]);
    assert_eq!(env.commit_count(), before + 1);
    assert_eq!(
        env.last_commit_paths(),
        ["experiments/homepage-cta-color.yaml"]
    );
    let body = env.git(&["log", "-1", "--format=%B"]);
    assert!(
        body.starts_with("xp: update homepage-cta-color\n\nobserved: null -> 3.712\n"),
        "{body}"
    );
    let text = env.read("experiments/homepage-cta-color.yaml");
    assert!(
        text.contains("learning: null\nobserved: 3.712\ndecision_log:"),
        "{text}"
    );

    let shown = env.ok(&["show", "homepage-cta-color"]);
    assert!(
        shown.contains("  observed       3.712 (+16.0%, target met)\n"),
        "{shown}"
    );
    let list = env.ok(&["list"]);
    assert!(list.contains("  +16.0%  Homepage CTA Color\n"), "{list}");
    let value = json(&env.ok(&["show", "homepage-cta-color", "--format", "json"]));
    assert_eq!(value["observed"], 3.712);
    assert!((value["lift"].as_f64().unwrap() - 0.16).abs() < 1e-9);
    assert_eq!(value["target_met"], true);
    let rows = json(&env.ok(&["list", "--format", "json"]));
    assert_eq!(rows[0]["target_met"], true);
    let exported = json(&env.ok(&["export", "--format", "json"]));
    assert_eq!(exported[0]["observed"], 3.712);
    let csv = env.ok(&["export", "--columns", "id,observed,lift,target_met"]);
    assert!(csv.starts_with("id,observed,lift,target_met\r\n"), "{csv}");
    assert!(csv.ends_with(",3.712,0.16,true\r\n"), "{csv}");

    env.ok(&["update", "homepage-cta-color", "--observed", "-1"]);
    let value = json(&env.ok(&["show", "homepage-cta-color", "--format", "json"]));
    assert_eq!(value["target_met"], false);
    for clear in ["null", ""] {
        env.ok(&["update", "homepage-cta-color", "--observed", "2"]);
        env.ok(&["update", "homepage-cta-color", "--observed", clear]);
        let value = json(&env.ok(&["show", "homepage-cta-color", "--format", "json"]));
        assert_eq!(value["observed"], serde_json::Value::Null);
        assert_eq!(value["lift"], serde_json::Value::Null);
        assert_eq!(value["target_met"], serde_json::Value::Null);
        let body = env.git(&["log", "-1", "--format=%B"]);
        assert!(body.contains("observed: 2 -> null\n"), "{body}");
    }
}

#[test]
fn a_bad_observed_value_is_refused_before_anything_is_written() {
    let env = TestEnv::repo();
    env.new_cta();
    let before = env.read("experiments/homepage-cta-color.yaml");
    let commits = env.commit_count();
    for bad in ["high", "NaN", "inf"] {
        let run = env.xp(&["update", "homepage-cta-color", "--observed", bad]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("--observed"), "{}", run.stderr);
        assert!(run.stderr.contains("not a finite number"), "{}", run.stderr);
    }
    assert_eq!(env.read("experiments/homepage-cta-color.yaml"), before);
    assert_eq!(env.commit_count(), commits);
}
