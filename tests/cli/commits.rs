//! The git write path: one commit holding exactly one file, the user's work left alone.

use crate::support::TestEnv;

#[test]
fn new_on_an_unborn_branch_makes_the_first_commit() {
    let env = TestEnv::repo();
    let id = env.new_cta();
    assert_eq!(env.commit_count(), 1);
    assert_eq!(
        env.last_commit_paths(),
        ["experiments/homepage-cta-color.yaml"]
    );
    let message = env.git(&["log", "-1", "--format=%B"]);
    assert_eq!(
        message,
        format!("xp: new homepage-cta-color\n\nHomepage CTA Color\n\nExperiment-Id: {id}\n\n")
    );
    assert_eq!(
        env.git(&["log", "-1", "--format=%an <%ae> %cn %aI"]),
        "Test User <test@example.com> Test User 2026-02-22T18:30:00Z\n"
    );
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn each_change_is_one_commit_of_one_file_with_subject_body_and_trailer() {
    let env = TestEnv::repo();
    let id = env.new_cta();
    env.ok(&[
        "note",
        "homepage-cta-color",
        "Launched to 10% of users",
        "--who",
        "alice",
    ]);
    assert_eq!(env.commit_count(), 2);
    assert_eq!(
        env.last_commit_paths(),
        ["experiments/homepage-cta-color.yaml"]
    );
    assert_eq!(
        env.git(&["log", "-1", "--format=%B"]),
        format!(
            "xp: note on homepage-cta-color\n\nLaunched to 10% of users\n\nExperiment-Id: {id}\n\n"
        )
    );
    let diff = env.git(&["diff", "HEAD~1", "HEAD", "--unified=0"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert!(changed.iter().all(|l| l.starts_with('+')), "{diff}");
    assert_eq!(changed.len(), 3);

    env.ok(&[
        "update",
        "homepage-cta-color",
        "--status",
        "running",
        "--confidence",
        "20",
    ]);
    assert_eq!(env.commit_count(), 3);
    assert_eq!(
        env.git(&["log", "-1", "--format=%B"]),
        format!(
            "xp: status running on homepage-cta-color\n\nconfidence: 0 -> 20\n\nExperiment-Id: {id}\n\n"
        )
    );
}

#[test]
fn works_from_a_subdirectory_and_on_a_detached_head() {
    let env = TestEnv::repo();
    env.new_cta();
    std::fs::create_dir_all(env.path("src/deep")).unwrap();
    let run = env.xp_in(
        &env.path("src/deep"),
        &["note", "homepage-cta-color", "from below"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(env.commit_count(), 2);
    let run = env.xp_in(&env.path("src/deep"), &["list", "--format", "json"]);
    assert!(
        run.stdout
            .contains("../../experiments/homepage-cta-color.yaml"),
        "{}",
        run.stdout
    );

    env.git(&["checkout", "-q", "--detach"]);
    env.ok(&["note", "homepage-cta-color", "detached"]);
    assert_eq!(env.git(&["rev-parse", "--abbrev-ref", "HEAD"]), "HEAD\n");
    assert_eq!(env.commit_count(), 3);
    assert_eq!(
        env.git(&["rev-list", "--count", "main"]),
        "2\n",
        "main must not move"
    );
}

#[test]
fn a_hand_edit_in_the_work_tree_is_committed_with_the_change() {
    let env = TestEnv::repo();
    env.new_cta();
    let file = "experiments/homepage-cta-color.yaml";
    env.write(
        file,
        &env.read(file)
            .replace("confidence: 0", "confidence: 7  # by hand"),
    );
    env.ok(&["note", "homepage-cta-color", "x"]);
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    assert!(
        env.git(&["show", &format!("HEAD:{file}")])
            .contains("confidence: 7  # by hand")
    );
    // The body lists every field the commit changes: the hand-edited one too.
    assert_eq!(
        env.git(&["log", "-1", "--format=%B"]).trim_end(),
        format!(
            "xp: note on homepage-cta-color\n\nconfidence: 0 -> 7\n\nx\n\nExperiment-Id: {}",
            env.record(file).id
        )
    );
    // An update lists its own fields and the hand-edited ones, each from HEAD's value.
    env.write(
        file,
        &env.read(file)
            .replace("learning: null", "learning: WIP do not publish"),
    );
    env.ok(&["update", "homepage-cta-color", "--confidence", "9"]);
    let body = env.git(&["log", "-1", "--format=%b"]);
    assert!(
        body.starts_with("confidence: 7 -> 9\nlearning: null -> WIP do not publish\n"),
        "{body}"
    );
}

#[test]
fn author_comes_from_git_variables_and_signing_is_reported() {
    let mut env = TestEnv::repo();
    env.vars.push(("GIT_AUTHOR_NAME".into(), "Ada".into()));
    env.vars
        .push(("GIT_AUTHOR_EMAIL".into(), "ada@example.com".into()));
    env.new_cta();
    assert_eq!(
        env.git(&["log", "-1", "--format=%an <%ae> / %cn"]),
        "Ada <ada@example.com> / Test User\n"
    );

    env.git(&["config", "commit.gpgsign", "true"]);
    let run = env.xp(&["note", "homepage-cta-color", "x"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("gpgsign"), "{}", run.stderr);
}

#[test]
fn no_identity_is_a_clear_error() {
    let env = TestEnv::plain();
    env.git(&["init", "-q", "-b", "main"]);
    let run = env.experiment("T").hypothesis("h").loud().run();
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("user.name"), "{}", run.stderr);
    assert!(
        !env.path("experiments/t.yaml").exists(),
        "the file is put back when the commit fails"
    );
}

#[test]
fn who_defaults_to_git_user_name() {
    let env = TestEnv::repo();
    env.new_cta();
    env.ok(&["note", "homepage-cta-color", "x"]);
    assert!(
        env.read("experiments/homepage-cta-color.yaml")
            .contains("who: Test User\n")
    );
}

#[test]
fn no_commit_and_outside_git_write_the_file_only() {
    let env = TestEnv::repo();
    env.new_cta();
    env.ok(&["note", "homepage-cta-color", "draft note", "--no-commit"]);
    assert_eq!(env.commit_count(), 1);
    assert!(
        env.git(&["status", "--porcelain"])
            .contains("experiments/homepage-cta-color.yaml")
    );

    let plain = TestEnv::plain();
    plain.new_cta();
    plain.ok(&["note", "homepage-cta-color", "x"]);
    assert!(!plain.path(".git").exists());
    assert!(
        plain
            .read("experiments/homepage-cta-color.yaml")
            .contains("note: x")
    );
}

#[test]
fn log_shows_each_entry_beside_its_commit_even_after_a_rename() {
    let mut env = TestEnv::repo();
    env.new_cta();
    env.now = "2026-02-22T18:30:00Z".into();
    env.ok(&["note", "homepage-cta-color", "Launched", "--who", "alice"]);
    env.now = "2026-02-23T09:00:00Z".into();
    env.vars
        .push(("GIT_AUTHOR_NAME".into(), "Bob Builder".into()));
    env.ok(&["note", "homepage-cta-color", "Significant", "--who", "bob"]);
    let note_commit = env.git(&["rev-parse", "--short=7", "HEAD"]);

    env.git(&[
        "mv",
        "experiments/homepage-cta-color.yaml",
        "experiments/cta.yaml",
    ]);
    env.git(&["commit", "-q", "-m", "rename"]);
    env.ok(&["note", "cta", "After the rename"]);
    env.write(
        "experiments/cta.yaml",
        &format!(
            "{}- at: 2026-02-24T00:00:00.000Z\n  note: uncommitted\n",
            env.read("experiments/cta.yaml")
        ),
    );

    let out = env.ok(&["log", "cta"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].contains("Test User") && lines[0].contains("Launched"),
        "{out}"
    );
    assert!(
        lines[1].starts_with(note_commit.trim())
            && lines[1].contains("Bob Builder")
            && lines[1].contains(" 2026-02-23 "),
        "{out}"
    );
    assert!(lines[2].contains("After the rename"), "{out}");
    assert!(lines[3].starts_with("-------  not committed"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["log", "cta", "--format", "json"])).unwrap();
    assert_eq!(json[1]["who"], "bob");
    assert_eq!(json[1]["commit"]["author"], "Bob Builder");
    assert!(json[3]["commit"].is_null());
}

#[test]
fn the_demo_runs_the_whole_story() {
    let env = TestEnv::plain();
    let out = env.ok(&["demo", "--path", "demo-repo"]);
    for expected in [
        "$ xp new --title 'Homepage CTA Color'",
        "$ xp note homepage-cta-color 'Launched to 10% of users' --who alice",
        "id,title,hypothesis,primary_metric,baseline,target,status,confidence,decision,learning,decision_log",
        "shipped",
        "The demo repository is at",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    let demo = TestEnv::plain();
    let _ = demo;
    let (ok, log) = env.git_try(&["-C", "demo-repo", "log", "--format=%an %s"]);
    assert!(ok);
    assert_eq!(log.lines().count(), 17, "{log}");
    // One experiment in every status, so that a first board is not empty.
    let statuses: Vec<String> = std::fs::read_dir(env.path("demo-repo/experiments"))
        .unwrap()
        .map(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let line = text.lines().find(|l| l.starts_with("status: ")).unwrap();
            line["status: ".len()..].to_owned()
        })
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect();
    assert_eq!(
        statuses,
        ["completed", "draft", "killed", "running", "shipped"],
        "{log}"
    );
    assert!(log.contains("bob xp: note on homepage-cta-color"), "{log}");
    assert!(
        log.contains("bob xp: results of homepage-cta-color"),
        "{log}"
    );
    // `.gitattributes` is committed, as `xp init` asks: nothing is left untracked.
    assert!(
        out.contains("$ git add .gitattributes && git commit -m 'Merge experiment files with xp'"),
        "{out}"
    );
    assert!(
        log.ends_with("alice Merge experiment files with xp\n"),
        "{log}"
    );
    let (ok, status) = env.git_try(&["-C", "demo-repo", "status", "--porcelain"]);
    assert!(ok);
    assert_eq!(status, "");
}
