//! Merging experiment files with real `git merge`: the merge driver, and `xp resolve` after a
//! merge made without it.

use crate::support::{Run, TestEnv};

const RECORD: &str = "experiments/homepage-cta-color.yaml";
const SECOND: &str = "experiments/homepage-cta-color-2.yaml";

/// What `xp init` writes to `.gitattributes`, committed.
fn attributes(env: &TestEnv) {
    env.write(
        ".gitattributes",
        "experiments/*.yaml merge=xp\nexperiments/*.yml merge=xp\n",
    );
    env.git(&["add", ".gitattributes"]);
    env.git(&["commit", "-q", "-m", "Merge experiment files with xp"]);
}

/// Registers the merge driver in the repository's config, as `xp init` does.
fn driver(env: &TestEnv) {
    let command = format!("'{}' merge-driver %O %A %B %P", env!("CARGO_BIN_EXE_xp"));
    env.git(&["config", "merge.xp.name", "xp"]);
    env.git(&["config", "merge.xp.driver", &command]);
}

fn no_driver(env: &TestEnv) {
    env.git(&["config", "--remove-section", "merge.xp"]);
}

fn at(env: &mut TestEnv, time: &str) {
    env.now = format!("2026-02-23T{time}Z");
}

fn note(env: &mut TestEnv, time: &str, text: &str) {
    at(env, time);
    env.ok(&["note", "homepage-cta-color", text, "--who", "alice"]);
}

/// A record with one note on `main`; `feature` adds two notes around the one `main` adds.
fn notes_on_two_branches(env: &mut TestEnv) {
    attributes(env);
    at(env, "08:00:00");
    env.new_cta();
    note(env, "08:30:00", "Launched");
    env.git(&["checkout", "-q", "-b", "feature"]);
    note(env, "09:00:00", "feature early");
    note(env, "11:00:00", "feature late");
    env.git(&["checkout", "-q", "main"]);
    note(env, "10:00:00", "main");
}

fn notes(env: &TestEnv) -> Vec<String> {
    env.read(RECORD)
        .lines()
        .filter_map(|l| l.strip_prefix("  note: "))
        .map(str::to_owned)
        .collect()
}

fn merge(env: &TestEnv) -> Run {
    env.git_run(&["merge", "--no-edit", "feature"])
}

fn unmerged(env: &TestEnv) -> String {
    env.git(&["diff", "--name-only", "--diff-filter=U"])
}

#[test]
fn notes_on_both_branches_merge_cleanly_with_the_driver() {
    let mut env = TestEnv::repo();
    driver(&env);
    notes_on_two_branches(&mut env);
    let run = merge(&env);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        notes(&env),
        ["Launched", "feature early", "main", "feature late"]
    );
    env.ok(&["check"]);
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    let parents = env.git(&["log", "-1", "--format=%p"]);
    assert_eq!(parents.split_whitespace().count(), 2, "a merge commit");
}

#[test]
fn one_field_changed_on_both_branches_conflicts_with_markers() {
    let mut env = TestEnv::repo();
    driver(&env);
    attributes(&env);
    env.new_cta();
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.ok(&["update", "homepage-cta-color", "--confidence", "40"]);
    env.git(&["checkout", "-q", "main"]);
    at(&mut env, "10:00:00");
    env.ok(&["update", "homepage-cta-color", "--confidence", "60"]);
    let run = merge(&env);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("conflict in experiments/homepage-cta-color.yaml: `confidence` was changed on both sides"),
        "{}",
        run.stderr
    );
    let text = env.read(RECORD);
    assert!(
        text.contains("<<<<<<< ours\nconfidence: 60\n=======\nconfidence: 40\n>>>>>>> theirs\n"),
        "{text}"
    );
    assert_eq!(unmerged(&env), format!("{RECORD}\n"));
}

#[test]
fn different_fields_changed_on_two_branches_merge_cleanly() {
    let mut env = TestEnv::repo();
    driver(&env);
    attributes(&env);
    env.new_cta();
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.ok(&["update", "homepage-cta-color", "--learning", "Green wins"]);
    env.git(&["checkout", "-q", "main"]);
    at(&mut env, "10:00:00");
    env.ok(&["update", "homepage-cta-color", "--confidence", "60"]);
    let run = merge(&env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = env.read(RECORD);
    assert!(text.contains("confidence: 60\n"), "{text}");
    assert!(text.contains("learning: Green wins\n"), "{text}");
    env.ok(&["check"]);
}

#[test]
fn resolve_after_a_merge_without_the_driver_writes_what_the_driver_would() {
    let mut env = TestEnv::repo();
    driver(&env);
    notes_on_two_branches(&mut env);
    assert_eq!(merge(&env).code, 0);
    let by_driver = env.bytes(RECORD);

    // The same merge again, in this clone without the driver, as a forge's button makes it.
    env.git(&["reset", "-q", "--hard", "HEAD~1"]);
    no_driver(&env);
    let run = merge(&env);
    assert_ne!(run.code, 0, "git's own text merge conflicts");
    assert!(env.read(RECORD).contains("<<<<<<<"));

    let run = env.xp(&["resolve"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("merged experiments/homepage-cta-color.yaml")
    );
    assert_eq!(env.bytes(RECORD), by_driver);
    assert_eq!(unmerged(&env), "");
    assert_eq!(
        env.git(&["show", &format!(":{RECORD}")]).into_bytes(),
        by_driver
    );
    assert_eq!(
        env.git(&["status", "--porcelain"]),
        format!("M  {RECORD}\n")
    );
    env.git(&["commit", "-q", "--no-edit"]);
    env.ok(&["check"]);
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn resolve_leaves_a_real_conflict_conflicted_with_markers() {
    let mut env = TestEnv::repo();
    attributes(&env);
    env.new_cta();
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.ok(&["update", "homepage-cta-color", "--confidence", "40"]);
    env.git(&["checkout", "-q", "main"]);
    at(&mut env, "10:00:00");
    env.ok(&["update", "homepage-cta-color", "--confidence", "60"]);
    assert_ne!(merge(&env).code, 0);

    let run = env.xp(&["resolve"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("`confidence` was changed on both sides"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1 experiment file is still conflicted"));
    let text = env.read(RECORD);
    assert!(
        text.contains("<<<<<<< ours\nconfidence: 60\n=======\nconfidence: 40\n>>>>>>> theirs\n"),
        "{text}"
    );
    assert_eq!(unmerged(&env), format!("{RECORD}\n"));
}

/// `main` and `feature` each create an experiment with the same title.
fn created_on_two_branches(env: &TestEnv) -> (String, String) {
    attributes(env);
    env.git(&["checkout", "-q", "-b", "feature"]);
    let theirs = env.new_cta();
    env.git(&["checkout", "-q", "main"]);
    let ours = env.new_cta();
    assert_ne!(ours, theirs);
    (ours, theirs)
}

fn assert_kept_both(env: &TestEnv, run: &Run, (ours, theirs): (String, String)) {
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "kept both experiments: ours in experiments/homepage-cta-color.yaml, theirs in \
             experiments/homepage-cta-color-2.yaml"
        ),
        "{}",
        run.stderr
    );
    assert!(env.read(RECORD).starts_with(&format!("id: {ours}\n")));
    assert!(env.read(SECOND).starts_with(&format!("id: {theirs}\n")));
    assert_eq!(unmerged(env), "");
    env.ok(&["check"]);
    env.git(&["commit", "-q", "--no-edit"]);
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    let tree = env.git(&["ls-tree", "--name-only", "HEAD", "experiments/"]);
    assert_eq!(tree, format!("{SECOND}\n{RECORD}\n"));
}

#[test]
fn both_branches_creating_one_slug_keep_both_records() {
    let env = TestEnv::repo();
    let ids = created_on_two_branches(&env);
    assert_ne!(merge(&env).code, 0, "add/add conflicts without the driver");
    let run = env.xp(&["resolve"]);
    assert_kept_both(&env, &run, ids);
}

#[test]
fn the_driver_leaves_both_created_records_to_resolve() {
    let env = TestEnv::repo();
    driver(&env);
    let ids = created_on_two_branches(&env);
    let run = merge(&env);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("xp resolve"), "{}", run.stderr);
    let run = env.xp(&["resolve", RECORD]);
    assert_kept_both(&env, &run, ids);
}

#[test]
fn resolve_with_nothing_conflicted_or_a_wrong_name() {
    let env = TestEnv::repo();
    env.new_cta();
    let run = env.xp(&["resolve"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("no experiment file is conflicted"));
    let run = env.xp(&["resolve", RECORD]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("has no conflict to resolve"),
        "{}",
        run.stderr
    );
    let run = env.xp(&["resolve", "README.md"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("is not an experiment file"),
        "{}",
        run.stderr
    );
}
