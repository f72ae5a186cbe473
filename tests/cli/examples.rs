//! The shipped examples parse as YAML and call xp the way the README says.

use std::path::Path;

use xp::yaml::{self, Value};

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

#[test]
fn the_github_workflow_checks_diffs_and_exports() {
    let text = read("examples/github-actions.yml");
    let doc = yaml::parse(&text).unwrap();
    let (_, jobs) = doc.entry(doc.root, "jobs").unwrap();
    let (_, job) = doc.entry(jobs, "experiments").unwrap();
    let (_, steps) = doc.entry(job, "steps").unwrap();
    let Value::Seq(steps) = doc.value(steps) else {
        panic!("steps is not a list")
    };
    let runs: Vec<String> = steps
        .iter()
        .filter_map(|&s| doc.entry(s, "run"))
        .filter_map(|(_, r)| match doc.value(r) {
            Value::Str(s) => Some(s.to_owned()),
            _ => None,
        })
        .collect();
    let all = runs.join("\n");
    for expected in [
        "xp init",
        "xp check --base \"origin/${{ github.base_ref }}\" --format github",
        "xp diff \"origin/${{ github.base_ref }}\" > xp-diff.md",
        "--body-file xp-diff.md",
        "xp export -o experiments.csv",
    ] {
        assert!(all.contains(expected), "missing {expected:?}");
    }
    assert!(read("README.md").contains("examples/github-actions.yml"));
}

#[test]
fn the_pre_commit_hook_runs_check_on_experiment_files() {
    let text = read(".pre-commit-hooks.yaml");
    let doc = yaml::parse(&text).unwrap();
    let Value::Seq(hooks) = doc.value(doc.root) else {
        panic!("not a list")
    };
    let get = |k: &str| match doc.value(doc.entry(hooks[0], k).unwrap().1) {
        Value::Str(s) => s.to_owned(),
        other => format!("{other:?}"),
    };
    assert_eq!(get("id"), "xp-check");
    assert_eq!(get("entry"), "xp check");
    assert_eq!(get("files"), "^experiments/.*\\.ya?ml$");
}
