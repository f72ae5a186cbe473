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

/// The README's steps work as written: the CI snippet registers the merge driver before
/// `check --format github` (which warns without it), the manual-page loop names every page,
/// and `xp new` is documented with the status it gives.
#[test]
fn the_readme_shows_steps_that_work_as_written() {
    let readme = read("README.md");
    let snippet = readme
        .split("```yaml")
        .filter_map(|rest| rest.split("```").next())
        .find(|block| block.contains("run: xp check"))
        .unwrap();
    let init = snippet
        .find("run: xp init")
        .expect("the CI snippet runs xp init");
    assert!(init < snippet.find("run: xp check").unwrap(), "{snippet}");

    let start = readme.find("for c in ").unwrap();
    let listed: Vec<&str> = readme[start + "for c in ".len()..]
        .split("; do")
        .next()
        .unwrap()
        .split_whitespace()
        .filter(|w| *w != "\\")
        .collect();
    use clap::CommandFactory;
    let pages = xp::commands::man::subcommands(&xp::cli::Cli::command());
    for page in &pages {
        assert!(
            listed.contains(&page.as_str()),
            "the man loop lacks {page}: {listed:?}"
        );
    }

    let row = readme
        .lines()
        .find(|l| l.starts_with("| `xp new --title"))
        .unwrap();
    assert!(row.contains("created as `draft`"), "{row}");
}
