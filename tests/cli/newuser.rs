//! Defects a new user found: each test failed before its fix (issue "Defects found trying xp
//! as a new user would": nested records, vacuous checks, `who`, twin files, creation rules and
//! messages that did not say what to do).

use crate::support::TestEnv;

const RECORD: &str = "id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58
title: Nested one
hypothesis: It helps
primary_metric: m
baseline: 1
target: 2
decision_log:
";

fn record(id_tail: &str, title: &str) -> String {
    RECORD
        .replace("7e2b6d4a1c58", id_tail)
        .replace("Nested one", title)
}

/// 6: `xp init` routes records in folders below `experiments/` to the driver, and a nested
/// record's slug resolves.
#[test]
fn nested_records_resolve_by_slug_and_merge_with_the_driver() {
    let mut env = TestEnv::repo();
    env.ok(&["init"]);
    assert_eq!(
        env.read(".gitattributes"),
        "experiments/**/*.yaml merge=xp\nexperiments/**/*.yml merge=xp\n"
    );
    let driver = format!("'{}' merge-driver %O %A %B %P", env!("CARGO_BIN_EXE_xp"));
    env.git(&["config", "merge.xp.driver", &driver]);
    env.write("experiments/team-a/x.yml", RECORD);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "nested"]);
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.now = "2026-02-22T19:00:00Z".into();
    env.ok(&["note", "x", "from feature", "--who", "f"]);
    env.git(&["checkout", "-q", "main"]);
    env.now = "2026-02-22T19:30:00Z".into();
    env.ok(&["note", "x", "from main", "--who", "m"]);
    let merge = env.git_run(&["merge", "-q", "--no-edit", "feature"]);
    assert_eq!(merge.code, 0, "{}{}", merge.stdout, merge.stderr);
    let text = env.read("experiments/team-a/x.yml");
    assert!(text.contains("note: from feature") && text.contains("note: from main"));
    env.ok(&["check"]);
}

/// 6 and 14: a slug shared by two files (two folders, or `.yaml` beside `.yml`) lists both.
#[test]
fn a_slug_shared_by_two_files_lists_both_as_candidates() {
    let env = TestEnv::plain();
    env.write(
        "experiments/base.yaml",
        &record("000000000001", "Base yaml"),
    );
    env.write("experiments/base.yml", &record("000000000002", "Base yml"));
    let run = env.xp(&["show", "base"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: `base` matches 2 experiments:\n  \
         3f9c2a71  base  Base yaml\n  3f9c2a71  base  Base yml\n\
         hint: name one by its path: `experiments/base.yaml` or `experiments/base.yml`\n"
    );
    env.write("experiments/a/t.yaml", &record("000000000003", "In a"));
    env.write("experiments/b/t.yaml", &record("000000000004", "In b"));
    let run = env.xp(&["note", "t", "which one?"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("`t` matches 2 experiments:\n  3f9c2a71  t  In a\n  3f9c2a71  t  In b"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with(
            "hint: name one by its path: `experiments/a/t.yaml` or `experiments/b/t.yaml`\n"
        ),
        "{}",
        run.stderr
    );
    // A path names one of them.
    env.ok(&["show", "experiments/b/t.yaml"]);
    // Ids that share a prefix still get the hint about ids.
    let run = env.xp(&["show", "3f9c2a71"]);
    assert!(
        run.stderr
            .ends_with("hint: use more characters of the id, or the slug\n"),
        "{}",
        run.stderr
    );
    assert_eq!(
        env.read("experiments/a/t.yaml"),
        record("000000000003", "In a")
    );
    // A record directly in experiments/ wins over one of its slug in a folder below.
    env.write("experiments/t.yaml", &record("000000000005", "At the top"));
    assert!(env.ok(&["show", "t"]).starts_with("At the top\n"));
}

/// 11: a check that finds nothing to check says so, and a named directory that is missing or a
/// file is an error, so a typo in CI does not go green.
#[test]
fn check_never_passes_vacuously() {
    let env = TestEnv::repo();
    let run = env.xp(&["check"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            0,
            "warning: no experiment files to check in experiments; `xp new` creates one\n"
        )
    );
    let run = env.xp(&["check", "--dir", "exprements"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: the experiments directory exprements does not exist\nhint: check the --dir (or \
         XP_DIR) path; `xp init` creates the directory\n"
    );
    env.write("file.txt", "not a folder");
    let run = env.xp(&["check", "--dir", "file.txt"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: file.txt is not a directory\n"),
        "{}",
        run.stderr
    );
    let run = env.xp(&["check", "nonexist.yaml"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: nonexist.yaml does not exist\nhint: name experiment files or folders that \
         exist; `xp check` with no paths checks the whole experiments directory\n"
    );
}

/// A wrong `--dir` or `XP_DIR` is an error for every command that reads the experiments, not
/// an empty list, CSV or board; the error names the path as it was given. A repository whose
/// `experiments/` does not exist yet is fresh: reads find nothing and succeed.
#[test]
fn every_read_refuses_a_named_directory_that_does_not_exist() {
    let mut env = TestEnv::repo();
    let absolute = env.path("nope").to_string_lossy().into_owned();
    let reads: [&[&str]; 8] = [
        &["list"],
        &["export"],
        &["search", "cta"],
        &["report"],
        &["site", "-o", "site"],
        &["similar", "cta"],
        &["show", "cta"],
        &["check"],
    ];
    for given in [absolute.as_str(), "nope"] {
        for args in reads {
            let mut all = args.to_vec();
            all.extend(["--dir", given]);
            for run in [env.xp(&all), {
                env.vars = vec![("XP_DIR".into(), given.into())];
                let run = env.xp(args);
                env.vars.clear();
                run
            }] {
                assert_eq!(
                    (run.code, run.stdout.as_str(), run.stderr.as_str()),
                    (
                        1,
                        "",
                        format!(
                            "error: the experiments directory {given} does not exist\nhint: \
                             check the --dir (or XP_DIR) path; `xp init` creates the directory\n"
                        )
                        .as_str()
                    ),
                    "{args:?}"
                );
            }
        }
    }
    assert!(!env.path("site").exists());

    // `xp serve` refuses at start instead of serving an empty board.
    let mut child = env
        .xp_cmd(&["serve", "--port", "0", "--dir", &absolute])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("xp serve --dir {absolute} is serving");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let served = crate::support::Run::from(child.wait_with_output().unwrap());
    assert_eq!(served.code, 1, "{}", served.stderr);
    assert!(
        served.stderr.starts_with(&format!(
            "error: the experiments directory {absolute} does not exist"
        )),
        "{}",
        served.stderr
    );

    // Without --dir, a repository with no experiments yet lists nothing, and says nothing wrong.
    assert_eq!(env.ok(&["list"]), "");
    let csv = env.ok(&["export"]);
    assert!(csv.starts_with("id,title,"), "{csv}");
    assert_eq!(csv.lines().count(), 1);
}

/// 11: under `--base`, records the base had and the work tree lacks are an error.
#[test]
fn check_against_a_base_with_records_fails_when_none_are_left() {
    let env = TestEnv::repo();
    env.write("experiments/x.yaml", RECORD);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "one"]);
    std::fs::remove_dir_all(env.path("experiments")).unwrap();
    let run = env.xp(&["check", "--base", "HEAD"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("error[record-deleted]"),
        "{}",
        run.stdout
    );
}

/// 13: `who` is the commit's author: `GIT_AUTHOR_NAME` wins over `user.name`.
#[test]
fn who_defaults_to_the_commit_author() {
    let mut env = TestEnv::repo();
    env.vars.push(("GIT_AUTHOR_NAME".into(), "alice".into()));
    env.new_cta();
    env.ok(&["note", "homepage-cta-color", "hello"]);
    let text = env.read("experiments/homepage-cta-color.yaml");
    assert!(text.contains("  who: alice\n  note: hello\n"), "{text}");
    assert_eq!(env.git(&["log", "-1", "--format=%an"]), "alice\n");
}

/// 16: creation goes through the rules of status moves: a new experiment starts as draft or
/// running, with an empty log.
#[test]
fn creation_follows_the_status_rules() {
    let env = TestEnv::repo();
    let run = env
        .experiment("T")
        .hypothesis("H")
        .status("completed")
        .loud()
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("a new experiment starts as draft or running, not completed"),
        "{}",
        run.stderr
    );

    env.write(
        "p.json",
        r#"{"title": "T", "hypothesis": "H", "primary_metric": "m", "baseline": 1, "target": 2,
            "status": "shipped", "decision": "ship",
            "decision_log": [{"at": "2020-01-01T00:00:00.000Z", "note": "back-dated"}]}"#,
    );
    let run = env.xp(&["new", "--from", "p.json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "p.json:2:13: error[bad-status]: a new experiment starts as draft or running, not \
             shipped"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("error[bad-log-entry]: a new experiment's decision log starts empty"),
        "{}",
        run.stderr
    );
    assert!(!env.path("experiments/t.yaml").exists());

    env.experiment("T")
        .hypothesis("H")
        .status("running")
        .loud()
        .ok();
    let text = env.read("experiments/t.yaml");
    assert!(
        text.ends_with(
            "decision_log:\n- at: 2026-02-22T18:30:00.000Z\n  who: Test User\n  note: \"status: draft -> running\"\n"
        ),
        "{text}"
    );
    env.ok(&["check"]);
}

/// Messages: the last status names no empty list of moves; `--tag ""` clears the tags; `show`
/// escapes a carriage return; `--from` of a missing file and `init` name what to do and where.
#[test]
fn messages_say_what_to_do() {
    let env = TestEnv::repo();
    env.new_cta();
    let slug = "homepage-cta-color";
    env.ok(&["update", slug, "--status", "running"]);
    env.ok(&[
        "update",
        slug,
        "--status",
        "completed",
        "--decision",
        "ship",
        "--confidence",
        "90",
    ]);
    env.ok(&["update", slug, "--status", "shipped"]);
    let run = env.xp(&["update", slug, "--status", "draft"]);
    assert_eq!(
        run.stderr,
        "error: status cannot move from shipped to draft\nhint: shipped is the last status: it \
         moves nowhere without --force\n"
    );

    env.ok(&["update", slug, "--tag", "a", "--tag", "b"]);
    env.ok(&["update", slug, "--tag", ""]);
    let text = env.read(&format!("experiments/{slug}.yaml"));
    assert!(text.contains("\ntags: []\n"), "{text}");

    env.ok(&["note", slug, "line\rover"]);
    assert!(env.ok(&["show", slug]).contains("      line\\rover\n"));

    let run = env.xp(&["new", "--from", "/nonexistent.json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.ends_with(
            "hint: name a JSON or YAML file that exists, or `-` to read the payload from \
             standard input\n"
        ),
        "{}",
        run.stderr
    );
}

/// `xp init` in a submodule names the config file it wrote, not `.git/config`.
#[test]
fn init_in_a_submodule_names_the_config_it_wrote() {
    let module = TestEnv::repo();
    module.write("README", "module\n");
    module.git(&["add", "-A"]);
    module.git(&["commit", "-q", "-m", "module"]);
    let env = TestEnv::repo();
    let url = module.root.to_string_lossy().into_owned();
    env.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "-q",
        "add",
        &url,
        "sub",
    ]);
    let run = env.xp_in(&env.path("sub"), &["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("registered the merge driver in ../.git/modules/sub/config: merge.xp.driver"),
        "{}",
        run.stderr
    );
}

/// A value that starts with `-` gets a tip that works for it (clap's `-- -1` does not work for
/// an option's value).
#[test]
fn a_value_starting_with_a_dash_gets_a_tip_that_works() {
    let env = TestEnv::repo();
    // The value must be its own argument, as a person types it: the builder writes `--title=...`.
    let run = env.xp(&[
        "new",
        "--title",
        "-10% test",
        "--hypothesis",
        "h",
        "--metric",
        "m",
        "--baseline",
        "1",
        "--target",
        "2",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: unexpected argument '-1' found\n\n  tip: -1 starts a value, not a flag; write \
         the value after `=`: --title='-10% test'\n\nUsage: xp new [OPTIONS]\n\nFor more \
         information, try '--help'.\n"
    );
    env.ok(&[
        "new",
        "--title=-10% test",
        "--hypothesis",
        "h",
        "--metric",
        "m",
        "--baseline",
        "1",
        "--target",
        "2",
    ]);
    let run = env.xp(&["note", "10-test", "-5% fewer"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("put `--` before it: -- '-5% fewer'"),
        "{}",
        run.stderr
    );
    env.ok(&["note", "10-test", "--", "-5% fewer"]);
}
