//! Repositories set up the ways git allows beyond `git init`: a `.git` file, linked work trees,
//! `GIT_DIR`/`GIT_WORK_TREE`, line-ending filters, config from `GIT_CONFIG_*`, and history
//! made by plain `git commit`.

use crate::support::TestEnv;

const CTA: &str = "experiments/homepage-cta-color.yaml";

/// The folder that holds the test's work tree (and its HOME).
fn outside(env: &TestEnv) -> std::path::PathBuf {
    env.root.parent().unwrap().to_owned()
}

#[test]
fn a_separate_git_dir_keeps_every_write_in_the_work_tree() {
    let env = TestEnv::plain();
    let git_dir = outside(&env).join("r.git");
    env.git(&[
        "init",
        "-q",
        "-b",
        "main",
        "--separate-git-dir",
        git_dir.to_str().unwrap(),
    ]);
    env.git(&["config", "user.name", "Test User"]);
    env.git(&["config", "user.email", "test@example.com"]);
    assert!(env.path(".git").is_file());

    env.ok(&["init"]);
    env.new_cta();
    assert!(env.path(".gitattributes").is_file());
    assert!(env.path(CTA).is_file());
    assert!(!outside(&env).join("experiments").exists());
    assert!(!outside(&env).join(".gitattributes").exists());
    assert_eq!(env.last_commit_paths(), [CTA]);
    assert_eq!(env.git(&["status", "--porcelain"]), "?? .gitattributes\n");
}

#[test]
fn a_linked_work_tree_commits_on_its_own_branch() {
    let env = TestEnv::repo();
    env.new_cta();
    let linked = outside(&env).join("linked");
    env.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "side",
        linked.to_str().unwrap(),
    ]);

    let run = env.xp_in(&linked, &["note", "homepage-cta-color", "On the side"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let at = |rev: &str| env.git(&["log", "-1", "--format=%s", rev]);
    assert_eq!(at("side"), "xp: note on homepage-cta-color\n");
    assert_eq!(at("main"), "xp: new homepage-cta-color\n");
    assert!(
        std::fs::read_to_string(linked.join(CTA))
            .unwrap()
            .contains("On the side")
    );
    assert!(!env.read(CTA).contains("On the side"));
    let linked_dir = linked.to_str().unwrap();
    assert_eq!(env.git(&["-C", linked_dir, "status", "--porcelain"]), "");
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn git_dir_and_git_work_tree_name_the_repository_as_for_git() {
    let mut env = TestEnv::repo();
    env.new_cta();
    let moved = outside(&env).join("moved.git");
    std::fs::rename(env.path(".git"), &moved).unwrap();
    let (moved, root) = (
        moved.to_str().unwrap(),
        env.root.to_str().unwrap().to_owned(),
    );
    let git = |env: &TestEnv, args: &[&str]| {
        env.git(&[&["--git-dir", moved, "--work-tree", &root][..], args].concat())
    };
    env.vars.push(("GIT_DIR".into(), moved.into()));
    env.vars.push(("GIT_WORK_TREE".into(), root.clone()));

    env.ok(&["note", "homepage-cta-color", "Found through GIT_DIR"]);
    assert_eq!(git(&env, &["rev-list", "--count", "HEAD"]), "2\n");
    assert_eq!(
        git(&env, &["log", "-1", "--format=%s"]),
        "xp: note on homepage-cta-color\n"
    );
    assert_eq!(git(&env, &["status", "--porcelain"]), "");

    // GIT_DIR alone: the current directory is the top of the work tree, as for git.
    env.vars.retain(|(k, _)| k != "GIT_WORK_TREE");
    env.ok(&["note", "homepage-cta-color", "From the top"]);
    assert_eq!(git(&env, &["rev-list", "--count", "HEAD"]), "3\n");
    assert_eq!(git(&env, &["status", "--porcelain"]), "");
}

#[test]
fn autocrlf_commits_only_the_added_lines_and_leaves_status_clean() {
    let env = TestEnv::repo();
    env.git(&["config", "core.autocrlf", "true"]);
    env.new_cta();
    // The work tree as Git for Windows checks it out: CRLF, the repository LF.
    let crlf = env.read(CTA).replace('\n', "\r\n");
    env.write(CTA, &crlf);
    env.git(&["add", CTA]);
    assert_eq!(env.git(&["status", "--porcelain"]), "");

    env.ok(&["note", "homepage-cta-color", "Launched to 10% of users"]);
    assert_eq!(
        env.git(&["show", "--numstat", "--format=", "HEAD"]),
        format!("3\t0\t{CTA}\n")
    );
    assert!(
        env.git(&["show", "--stat", "--format=", "HEAD"])
            .contains("1 file changed, 3 insertions(+)\n")
    );
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    assert_eq!(env.git(&["diff", "HEAD"]), "");
    let blob = env.git(&["cat-file", "blob", &format!("HEAD:{CTA}")]);
    assert!(!blob.contains('\r'), "the repository keeps LF: {blob:?}");
    assert!(
        env.read(CTA)
            .ends_with("note: Launched to 10% of users\r\n")
    );
}

#[test]
fn gitattributes_eol_rules_are_applied_to_the_committed_blob() {
    let env = TestEnv::repo();
    env.write(".gitattributes", "*.yaml text eol=crlf\n");
    env.git(&["add", ".gitattributes"]);
    env.git(&["commit", "-q", "-m", "attributes"]);
    env.new_cta();
    let crlf = env.read(CTA).replace('\n', "\r\n");
    env.write(CTA, &crlf);
    env.git(&["add", CTA]);
    env.ok(&["note", "homepage-cta-color", "Launched"]);
    assert_eq!(
        env.git(&["show", "--numstat", "--format=", "HEAD"]),
        format!("3\t0\t{CTA}\n")
    );
    assert_eq!(env.git(&["status", "--porcelain"]), "");
}

#[test]
fn identity_comes_from_git_config_global_as_for_git() {
    let mut env = TestEnv::repo();
    env.git(&["config", "--unset", "user.name"]);
    env.git(&["config", "--unset", "user.email"]);
    let home_config = outside(&env).join("home/.gitconfig");
    std::fs::write(
        &home_config,
        "[user]\n\tname = Home Name\n\temail = home@x\n",
    )
    .unwrap();
    let global = outside(&env).join("global.gitconfig");
    std::fs::write(
        &global,
        "[user]\n\tname = Global Name\n\temail = global@x\n",
    )
    .unwrap();
    env.vars
        .push(("GIT_CONFIG_GLOBAL".into(), global.to_str().unwrap().into()));

    env.new_cta();
    env.ok(&["note", "homepage-cta-color", "Launched"]);
    assert_eq!(
        env.git(&["log", "-1", "--format=%an <%ae> %cn <%ce>"]),
        "Global Name <global@x> Global Name <global@x>\n"
    );
    assert!(
        env.read(CTA).contains("who: Global Name\n"),
        "{}",
        env.read(CTA)
    );

    // Only the file GIT_CONFIG_GLOBAL names counts: with no identity there, xp refuses as git.
    std::fs::write(&global, "").unwrap();
    let run = env.xp(&["note", "homepage-cta-color", "Again"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("git does not know who you are"),
        "{}",
        run.stderr
    );
}

#[test]
fn log_finds_entries_committed_with_plain_git_across_a_rename() {
    let env = TestEnv::repo();
    env.new_cta();
    env.ok(&["note", "homepage-cta-color", "By xp", "--who", "alice"]);
    let append = |rel: &str, at: &str, note: &str| {
        let text = env.read(rel);
        env.write(
            rel,
            &format!("{text}- at: {at}\n  who: bob\n  note: {note}\n"),
        );
    };
    append(CTA, "2026-02-23T10:00:00.000Z", "By hand");
    env.git(&["commit", "-q", "-am", "a note by hand"]);
    let by_hand = env.git(&["rev-parse", "HEAD"]);
    env.git(&["mv", CTA, "experiments/cta.yaml"]);
    env.git(&["commit", "-q", "-m", "shorter name"]);
    append(
        "experiments/cta.yaml",
        "2026-02-24T10:00:00.000Z",
        "After the rename",
    );
    env.git(&["commit", "-q", "-am", "another note by hand"]);
    let after = env.git(&["rev-parse", "HEAD"]);
    // A record that later took the old path is another experiment: its commits are not these.
    env.experiment("Homepage CTA Color")
        .hypothesis("h")
        .loud()
        .ok();

    let run = env.xp(&["log", "cta", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let commits: Vec<(&str, &str)> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["note"].as_str().unwrap(),
                l["commit"]["id"].as_str().unwrap_or("none"),
            )
        })
        .collect();
    assert_eq!(commits.len(), 3, "{commits:?}");
    assert_eq!(commits[0].0, "By xp");
    assert_ne!(commits[0].1, "none");
    assert_eq!(commits[1], ("By hand", by_hand.trim()));
    assert_eq!(commits[2], ("After the rename", after.trim()));
    let text = env.ok(&["log", "cta"]);
    assert!(!text.contains("not committed"), "{text}");
}
