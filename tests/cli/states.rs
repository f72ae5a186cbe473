//! Repository states xp must refuse, and the user's own work it must never touch.
//!
//! Each refusal: exit 1, a message naming the cause and a hint naming the fix, and the record,
//! HEAD, the refs and the index byte for byte as they were.

use crate::support::TestEnv;

const RECORD: &str = "experiments/homepage-cta-color.yaml";

/// The three commands that change records.
fn mutating() -> Vec<Vec<&'static str>> {
    vec![
        vec!["note", "homepage-cta-color", "a note"],
        vec![
            "update",
            "homepage-cta-color",
            "--confidence",
            "5",
            "-m",
            "why",
        ],
        vec![
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
        ],
    ]
}

/// A repository with the CTA record and `other.txt` committed.
fn repo() -> TestEnv {
    let env = TestEnv::repo();
    env.write("other.txt", "base\n");
    env.git(&["add", "other.txt"]);
    env.git(&["commit", "-q", "-m", "base"]);
    env.new_cta();
    env
}

/// Every file under the git directory, by name, with its bytes.
fn git_dir_files(env: &TestEnv) -> Vec<String> {
    env.files_under(".git")
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// Runs each command in `commands` and checks the refusal and that nothing changed.
fn assert_refused(env: &TestEnv, commands: &[Vec<&str>], cause: &str, fix: &str) {
    for args in commands {
        let before = env.snapshot();
        let files = git_dir_files(env);
        let run = env.xp(args);
        assert_eq!(run.code, 1, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(cause),
            "{args:?}: no {cause:?} in {}",
            run.stderr
        );
        let hint = run.stderr.split("hint:").nth(1).unwrap_or_default();
        assert!(
            hint.contains(fix),
            "{args:?}: no {fix:?} in the hint: {}",
            run.stderr
        );
        assert_eq!(env.snapshot(), before, "{args:?} changed something");
        assert_eq!(git_dir_files(env), files, "{args:?} left files in .git");
    }
}

#[test]
fn an_index_lock_is_named_with_its_fix() {
    let env = repo();
    std::fs::write(env.path(".git/index.lock"), "").unwrap();
    assert_refused(&env, &mutating(), ".git/index.lock exists", "remove");
}

#[test]
fn a_lock_on_the_branch_is_named_with_its_fix() {
    let env = repo();
    std::fs::write(env.path(".git/refs/heads/main.lock"), "").unwrap();
    assert_refused(
        &env,
        &mutating(),
        ".git/refs/heads/main.lock exists",
        "remove",
    );
}

/// `other.txt` changed one way on `side` and another on `main`.
fn diverged() -> TestEnv {
    let env = repo();
    env.git(&["checkout", "-q", "-b", "side"]);
    env.write("other.txt", "side\n");
    env.git(&["commit", "-q", "-am", "side"]);
    env.git(&["checkout", "-q", "main"]);
    env.write("other.txt", "main\n");
    env.git(&["commit", "-q", "-am", "main"]);
    env
}

#[test]
fn a_merge_in_progress_is_refused() {
    let env = diverged();
    assert!(
        !env.git_try(&["merge", "side"]).0,
        "the merge must stop on a conflict"
    );
    assert!(env.path(".git/MERGE_HEAD").exists());
    assert_refused(
        &env,
        &mutating(),
        "a git merge is in progress",
        "git merge --abort",
    );
}

#[test]
fn a_rebase_in_progress_is_refused() {
    let env = diverged();
    env.git(&["checkout", "-q", "side"]);
    assert!(!env.git_try(&["rebase", "main"]).0, "the rebase must stop");
    assert!(env.path(".git/rebase-merge").exists());
    assert_refused(
        &env,
        &mutating(),
        "a git rebase is in progress",
        "git rebase --abort",
    );
}

#[test]
fn a_cherry_pick_or_bisect_in_progress_is_refused() {
    let env = diverged();
    assert!(!env.git_try(&["cherry-pick", "side"]).0);
    assert_refused(
        &env,
        &mutating(),
        "a git cherry-pick is in progress",
        "git cherry-pick --abort",
    );
    env.git(&["cherry-pick", "--abort"]);
    env.git(&["bisect", "start"]);
    assert_refused(
        &env,
        &mutating(),
        "a git bisect is in progress",
        "git bisect reset",
    );
}

#[test]
fn the_record_staged_with_other_content_is_refused() {
    let env = repo();
    let original = env.read(RECORD);
    env.write(RECORD, &original.replace("confidence: 0", "confidence: 1"));
    env.git(&["add", RECORD]);
    env.write(RECORD, &original.replace("confidence: 0", "confidence: 2"));
    let commands = &mutating()[..2];
    assert_refused(
        &env,
        commands,
        &format!("{RECORD} has staged changes that differ from both HEAD and the work tree"),
        &format!("git restore --staged {RECORD}"),
    );
    // A new record is another file: it is not held up.
    env.ok(&mutating()[2]);
    assert_eq!(
        env.git(&["diff", "--cached", "--name-only"]),
        format!("{RECORD}\n")
    );
}

#[test]
fn a_bare_repository_is_refused_and_left_alone() {
    let env = TestEnv::plain();
    let src = TestEnv::repo();
    src.new_cta();
    env.git(&[
        "clone",
        "-q",
        "--bare",
        src.root.to_str().unwrap(),
        "repo.git",
    ]);
    let bare = env.path("repo.git");
    let before = env.files_under("repo.git");
    let mut commands = mutating();
    commands.push(vec!["list"]);
    for args in commands {
        let run = env.xp_in(&bare, &args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("is a bare git repository"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("hint: run xp in a clone that has a work tree"),
            "{}",
            run.stderr
        );
        assert_eq!(env.files_under("repo.git"), before, "{args:?}");
    }
}

/// Everything about the user's own work: status, staged and unstaged diffs, the index's tree,
/// untracked and ignored files.
#[derive(Debug, PartialEq, Eq)]
struct Work {
    status: String,
    staged: String,
    unstaged: String,
    tree: String,
    loose: Vec<(String, Vec<u8>)>,
}

fn work(env: &TestEnv) -> Work {
    Work {
        status: env.git(&[
            "status",
            "--porcelain=v2",
            "--untracked-files=all",
            "--ignored",
        ]),
        staged: env.git(&["diff", "--cached", "--binary"]),
        unstaged: env.git(&["diff", "--binary"]),
        tree: env.git(&["write-tree"]).trim().to_owned(),
        loose: ["untracked.txt", "notes/draft.md", "build.log"]
            .iter()
            .map(|f| (f.to_string(), env.bytes(f)))
            .collect(),
    }
}

#[test]
fn every_mutating_command_leaves_the_users_work_as_it_was() {
    let env = repo();
    env.write("README.md", "one\n");
    env.write("gone.txt", "soon staged as deleted\n");
    env.write("script.sh", "echo hi\n");
    env.write(".gitignore", "*.log\n");
    env.git(&["add", "."]);
    env.git(&["commit", "-q", "-m", "more"]);
    // Staged, unstaged, staged-then-edited, staged new, staged deletion, a mode change,
    // untracked and ignored files.
    env.write("README.md", "two\n");
    env.git(&["add", "README.md"]);
    env.write("other.txt", "edited, not staged\n");
    env.write("new.txt", "new\n");
    env.git(&["add", "new.txt"]);
    env.write("new.txt", "new, then edited\n");
    env.git(&["rm", "-q", "--cached", "gone.txt"]);
    env.git(&["update-index", "--chmod=+x", "script.sh"]);
    env.write("untracked.txt", "u\n");
    env.write("notes/draft.md", "d\n");
    env.write("build.log", "ignored\n");

    let steps: Vec<Vec<&str>> = vec![
        vec!["note", "homepage-cta-color", "hello"],
        vec!["update", "homepage-cta-color", "--status", "running"],
        vec![
            "update",
            "homepage-cta-color",
            "--confidence",
            "30",
            "-m",
            "why",
        ],
        vec!["note", "homepage-cta-color", "draft", "--no-commit"],
        vec!["note", "homepage-cta-color", "with the draft"],
        mutating()[2].clone(),
    ];
    for args in steps {
        let before = work(&env);
        let commits = env.commit_count();
        env.ok(&args);
        let after = work(&env);
        let changed = env.git(&["diff-tree", "-r", "--name-only", &before.tree, &after.tree]);
        if args.contains(&"--no-commit") {
            assert_eq!(env.commit_count(), commits);
            assert_eq!(changed, "", "{args:?} touched the index");
            assert_eq!(after.staged, before.staged);
            assert!(after.unstaged.contains(RECORD));
            continue;
        }
        assert_eq!(env.commit_count(), commits + 1);
        let path = env.last_commit_paths().join("\n");
        assert_eq!(
            changed.trim(),
            path,
            "{args:?}: the index changed elsewhere"
        );
        assert_eq!(after.staged, before.staged, "{args:?}");
        let unstaged_before = before
            .unstaged
            .split("diff --git")
            .filter(|d| !d.contains(RECORD));
        let unstaged_after: Vec<&str> = after.unstaged.split("diff --git").collect();
        assert_eq!(
            unstaged_before.collect::<Vec<_>>(),
            unstaged_after,
            "{args:?}"
        );
        if before.unstaged.contains(RECORD) {
            continue;
        }
        assert_eq!(after.status, before.status, "{args:?}");
        assert_eq!(after.loose, before.loose, "{args:?}");
    }
    assert_eq!(env.git(&["show", ":script.sh"]), "echo hi\n");
    assert!(
        env.git(&["ls-files", "-s", "script.sh"])
            .starts_with("100755")
    );
}
