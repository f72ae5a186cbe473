//! The git write path: one commit holding exactly one file, the user's work left alone.

use crate::support::TestEnv;

/// The state of everything but the record: status, and the index's tree.
fn user_state(env: &TestEnv) -> (String, String) {
    (
        env.git(&["status", "--porcelain=v2", "--untracked-files=all"]),
        env.git(&["write-tree"]),
    )
}

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
fn the_users_other_work_is_left_exactly_as_it_was() {
    let env = TestEnv::repo();
    env.write("README.md", "one\n");
    env.write("src/app.txt", "v1\n");
    env.git(&["add", "."]);
    env.git(&["commit", "-q", "-m", "init"]);
    env.new_cta();
    // Staged, unstaged, untracked, and a staged-then-modified file.
    env.write("README.md", "two\n");
    env.git(&["add", "README.md"]);
    env.write("src/app.txt", "v2 unstaged\n");
    env.write("untracked.txt", "u\n");
    env.write("staged-new.txt", "s\n");
    env.git(&["add", "staged-new.txt"]);
    env.write("staged-new.txt", "s, then changed\n");
    let before = user_state(&env);
    let commits = env.commit_count();

    env.ok(&["note", "homepage-cta-color", "hello"]);
    env.ok(&["update", "homepage-cta-color", "--status", "running"]);
    env.ok(&[
        "new",
        "--title",
        "Second",
        "--hypothesis",
        "h",
        "--metric",
        "m",
        "--baseline",
        "1",
        "--target",
        "2",
    ]);

    assert_eq!(env.commit_count(), commits + 3);
    let after = user_state(&env);
    assert_eq!(after.0, before.0, "git status changed");
    // The index differs from before only by the xp files, which now match HEAD.
    let staged = env.git(&["diff", "--cached", "--name-only"]);
    assert_eq!(staged, "README.md\nstaged-new.txt\n");
    assert_eq!(env.git(&["show", "HEAD:README.md"]), "one\n");
    assert_eq!(env.git(&["show", ":README.md"]), "two\n");
    assert_eq!(env.read("src/app.txt"), "v2 unstaged\n");
    for rev in ["HEAD", "HEAD~1", "HEAD~2"] {
        assert_eq!(
            env.git(&["show", "--name-only", "--format=", rev])
                .lines()
                .count(),
            1,
            "{rev} holds more than one file"
        );
    }
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
fn refuses_during_a_merge_or_rebase_and_with_a_third_staged_version() {
    let env = TestEnv::repo();
    env.new_cta();
    let file = "experiments/homepage-cta-color.yaml";
    let head = env.git(&["rev-parse", "HEAD"]);
    let git_dir = env.path(".git");

    std::fs::write(git_dir.join("MERGE_HEAD"), &head).unwrap();
    let run = env.xp(&["note", "homepage-cta-color", "x"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.to_lowercase().contains("merge"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(git_dir.join("MERGE_HEAD")).unwrap();

    std::fs::create_dir_all(git_dir.join("rebase-merge")).unwrap();
    let run = env.xp(&["note", "homepage-cta-color", "x"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.to_lowercase().contains("rebase"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(git_dir.join("rebase-merge")).unwrap();

    let original = env.read(file);
    env.write(file, &original.replace("status: draft", "status: running"));
    env.git(&["add", file]);
    env.write(file, &original.replace("confidence: 0", "confidence: 5"));
    let index_before = std::fs::read(git_dir.join("index")).unwrap();
    let disk_before = env.bytes(file);
    let run = env.xp(&["note", "homepage-cta-color", "x"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("staged"), "{}", run.stderr);
    assert_eq!(std::fs::read(git_dir.join("index")).unwrap(), index_before);
    assert_eq!(env.bytes(file), disk_before);
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
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
    let run = env.xp(&[
        "new",
        "--title",
        "T",
        "--hypothesis",
        "h",
        "--metric",
        "m",
        "--baseline",
        "1",
        "--target",
        "2",
    ]);
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
fn a_bare_repository_is_refused() {
    let env = TestEnv::plain();
    env.git(&["init", "-q", "--bare", "repo.git"]);
    let run = env.xp_in(&env.path("repo.git"), &["list"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.to_lowercase().contains("bare"), "{}", run.stderr);
}

#[test]
fn index_and_ref_locks_are_named_and_nothing_changes() {
    let env = TestEnv::repo();
    env.new_cta();
    let file = "experiments/homepage-cta-color.yaml";
    let head = env.git(&["rev-parse", "HEAD"]);
    for lock in [".git/index.lock", ".git/refs/heads/main.lock"] {
        std::fs::write(env.path(lock), "").unwrap();
        let before = env.bytes(file);
        let index = env.bytes(".git/index");
        let run = env.xp(&["note", "homepage-cta-color", "x"]);
        assert_eq!(run.code, 1, "{lock}");
        let name = lock.rsplit('/').next().unwrap();
        assert!(run.stderr.contains(name), "{lock}: {}", run.stderr);
        assert_eq!(env.bytes(file), before);
        assert_eq!(env.bytes(".git/index"), index);
        assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
        std::fs::remove_file(env.path(lock)).unwrap();
    }
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
    assert_eq!(log.lines().count(), 6, "{log}");
    assert!(log.contains("bob xp: note on homepage-cta-color"), "{log}");
}
