//! `xp edit` driven by scripted editors: what a good edit commits, how broken edits are
//! re-opened with their problems and abandoned, and what an edit may not change.

use std::os::unix::fs::PermissionsExt;

use crate::support::TestEnv;

const FILE: &str = "experiments/homepage-cta-color.yaml";

/// A repository with the CTA experiment (running, one log entry) and `script` as the editor:
/// a shell script run as `editor FILE`; `$ROUND` counts the rounds from 1.
fn with_editor(script: &str) -> TestEnv {
    let mut env = TestEnv::repo();
    env.new_cta();
    env.ok(&["update", "homepage-cta-color", "--status", "running"]);
    let path = env.path("editor.sh");
    let full = format!(
        "#!/bin/sh\nset -e\nROUND=$(( $(cat \"$XP_TEST_DIR/rounds\" 2>/dev/null || echo 0) + 1 ))\necho $ROUND > \"$XP_TEST_DIR/rounds\"\ncp \"$1\" \"$XP_TEST_DIR/seen-$ROUND\"\necho \"$1\" > \"$XP_TEST_DIR/path-$ROUND\"\n{script}\n"
    );
    std::fs::write(&path, full).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let scratch = env.path("../scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    env.vars
        .push(("GIT_EDITOR".into(), path.display().to_string()));
    env.vars
        .push(("XP_TEST_DIR".into(), scratch.display().to_string()));
    env
}

fn seen(env: &TestEnv, round: usize) -> String {
    env.read(&format!("../scratch/seen-{round}"))
}

fn rounds(env: &TestEnv) -> usize {
    env.read("../scratch/rounds").trim().parse().unwrap()
}

#[test]
fn a_good_edit_is_checked_written_and_committed_as_one_file() {
    let env = with_editor(
        "sed -i 's/^confidence: 0$/confidence: 40/; s/^learning: null$/learning: Green looks better/' \"$1\"",
    );
    let before = env.read(FILE);
    let commits = env.commit_count();
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("xp: edit homepage-cta-color"),
        "{}",
        run.stderr
    );
    assert_eq!(rounds(&env), 1);
    assert_eq!(seen(&env, 1), before, "the editor gets the file as it is");
    let after = env.read(FILE);
    assert_eq!(
        after,
        before
            .replace("confidence: 0\n", "confidence: 40\n")
            .replace("learning: null\n", "learning: Green looks better\n")
    );
    assert_eq!(env.commit_count(), commits + 1);
    assert_eq!(env.last_commit_paths(), [FILE]);
    let id = env.record(FILE).id;
    assert_eq!(
        env.git(&["log", "-1", "--format=%B"]),
        format!(
            "xp: edit homepage-cta-color\n\nconfidence: 0 -> 40\nlearning: null -> Green looks better\n\nExperiment-Id: {id}\n\n"
        )
    );
    // The temporary copy was in the git directory, with a .yaml name, and is gone.
    let copy = env.read("../scratch/path-1");
    let copy = copy.trim();
    assert!(copy.contains("/.git/") && copy.ends_with(".yaml"), "{copy}");
    assert!(!std::path::Path::new(copy).exists());
    assert_eq!(env.git(&["status", "--porcelain"]), "?? editor.sh\n");
}

#[test]
fn a_broken_edit_is_reopened_with_its_problems_and_fixed_on_the_second_round() {
    let env = with_editor(
        "if [ $ROUND = 1 ]; then sed -i 's/^confidence: 0$/confidence: \"40\"/' \"$1\"; \
         else sed -i 's/^confidence: \"40\"$/confidence: 40/' \"$1\"; fi",
    );
    let before = env.read(FILE);
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("opening the editor again"),
        "{}",
        run.stderr
    );
    assert_eq!(rounds(&env), 2);
    let second = seen(&env, 2);
    assert!(second.starts_with("# xp edit: "), "{second}");
    assert!(
        second.contains(&format!(
            "# {FILE}:8:13: error[wrong-type]: `confidence` must be"
        )),
        "{second}"
    );
    assert!(
        second.contains("# ---- xp removes the lines above before checking ----\nid: "),
        "{second}"
    );
    let after = env.read(FILE);
    assert_eq!(after, before.replace("confidence: 0\n", "confidence: 40\n"));
    assert!(!after.contains("# xp edit"));
    let body = env.git(&["log", "-1", "--format=%B"]);
    assert!(body.contains("\nconfidence: 0 -> 40\n"), "{body}");
}

#[test]
fn a_broken_edit_abandoned_by_emptying_the_file_changes_nothing() {
    let env = with_editor(
        "if [ $ROUND = 1 ]; then sed -i 's/^status: running$/status: paused/' \"$1\"; \
         else : > \"$1\"; fi",
    );
    let before = env.read(FILE);
    let commits = env.commit_count();
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the file was emptied: the edit is abandoned"),
        "{}",
        run.stderr
    );
    assert!(
        seen(&env, 2).contains("error[bad-status]"),
        "{}",
        seen(&env, 2)
    );
    assert_eq!(env.read(FILE), before);
    assert_eq!(env.commit_count(), commits);
}

#[test]
fn saving_the_file_unchanged_aborts_with_exit_1() {
    let env = with_editor("true");
    let before = env.read(FILE);
    let commits = env.commit_count();
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(env.read(FILE), before);
    assert_eq!(env.commit_count(), commits);
}

#[test]
fn a_changed_id_is_refused() {
    let env = with_editor("sed -i 's/^id: .*/id: 00000000-0000-4000-8000-000000000000/' \"$1\"");
    let before = env.read(FILE);
    let commits = env.commit_count();
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        seen(&env, 2).contains("# the id was changed from "),
        "{}",
        seen(&env, 2)
    );
    assert!(run.stderr.contains("the id was changed"), "{}", run.stderr);
    assert_eq!(env.read(FILE), before);
    assert_eq!(env.commit_count(), commits);
}

#[test]
fn a_rewritten_log_entry_is_refused() {
    let env = with_editor("sed -i 's/note: .status: draft -> running.$/note: started/' \"$1\"");
    let before = env.read(FILE);
    assert!(
        before.contains("note: \"status: draft -> running\""),
        "{before}"
    );
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("decision-log entry 1 was changed; the log is append-only"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read(FILE), before);
}

#[test]
fn a_status_changed_by_hand_is_logged_as_update_would() {
    let env = with_editor(
        "sed -i 's/^status: running$/status: completed/; s/^decision: null$/decision: ship/' \"$1\"",
    );
    let before = env.read(FILE);
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = env.read(FILE);
    let expected = before
        .replace("status: running\n", "status: completed\n")
        .replace("decision: null\n", "decision: ship\n")
        + "- at: 2026-02-22T18:30:00.000Z\n  who: Test User\n  note: \"status: running -> completed\"\n";
    assert_eq!(after, expected);
    let body = env.git(&["log", "-1", "--format=%B"]);
    assert!(
        body.starts_with(
            "xp: edit homepage-cta-color\n\nstatus: running -> completed\ndecision: null -> ship\n"
        ),
        "{body}"
    );
}

#[test]
fn a_status_move_update_refuses_is_refused_and_killing_needs_an_entry() {
    let env = with_editor("sed -i 's/^status: running$/status: draft/' \"$1\"");
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("status cannot move from running to draft"),
        "{}",
        run.stderr
    );

    let env = with_editor("sed -i 's/^status: running$/status: killed/' \"$1\"");
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("killing an experiment needs the reason"),
        "{}",
        run.stderr
    );

    // An entry appended by hand is the reason; xp's status entry follows it.
    let env = with_editor(
        "sed -i 's/^status: running$/status: killed/' \"$1\"; \
         printf -- '- at: 2026-02-22T18:30:00.000Z\\n  who: alice\\n  note: Broke checkout\\n' >> \"$1\"",
    );
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = env.record(FILE);
    assert_eq!(record.decision, Some(xp::record::Decision::Kill));
    let notes: Vec<&str> = record
        .decision_log
        .iter()
        .map(|e| e.note.as_str())
        .collect();
    assert_eq!(
        notes,
        [
            "status: draft -> running",
            "Broke checkout",
            "status: running -> killed"
        ]
    );
    let body = env.git(&["log", "-1", "--format=%B"]);
    assert!(
        body.contains("status: running -> killed\ndecision: null -> kill\n\nBroke checkout\n"),
        "{body}"
    );
}

#[test]
fn without_a_terminal_or_an_editor_it_says_so() {
    let env = TestEnv::repo();
    env.new_cta();
    let before = env.read(FILE);
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no editor is configured and there is no terminal"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("GIT_EDITOR"), "{}", run.stderr);
    assert_eq!(env.read(FILE), before);
}

#[test]
fn the_editor_is_the_one_git_would_use() {
    let env = with_editor("sed -i 's/^confidence: 0$/confidence: 1/' \"$1\"");
    let script = env.path("editor.sh").display().to_string();
    let mut env = env;
    env.vars.retain(|(k, _)| k != "GIT_EDITOR");
    // core.editor comes before VISUAL and EDITOR, which name a failing editor here.
    env.git(&["config", "core.editor", &script]);
    env.vars.push(("VISUAL".into(), "false".into()));
    env.vars.push(("EDITOR".into(), "false".into()));
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.read(FILE).contains("confidence: 1\n"));
    // VISUAL before EDITOR; a failing editor changes nothing.
    env.git(&["config", "--unset", "core.editor"]);
    let before = env.read(FILE);
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("the editor `false` failed"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read(FILE), before);
}

#[test]
fn a_record_changed_while_the_editor_was_open_is_not_overwritten() {
    let env = with_editor(&format!(
        "sed -i 's/^confidence: 0$/confidence: 5/' \"$1\"; printf '# meanwhile\\n' >> {FILE}"
    ));
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("was changed while it was open in the editor"),
        "{}",
        run.stderr
    );
    let now = env.read(FILE);
    assert!(
        now.ends_with("# meanwhile\n") && now.contains("confidence: 0\n"),
        "{now}"
    );
}

/// The plan of a running experiment changes in an edit only with an `amended:` entry
/// appended; without one the editor is opened again with the problem.
#[test]
fn an_edit_of_a_locked_plan_needs_its_amendment_entry() {
    let env = with_editor(
        "if [ \"$ROUND\" = 1 ]; then sed -i 's/^target: 3.7$/target: 3.5/' \"$1\"; \
         else sed -i '/^#/d' \"$1\"; printf -- '- at: 2026-02-22T18:30:00.000Z\\n  note: \"amended: target 3.7 -> 3.5: traffic halved\"\\n' >> \"$1\"; fi",
    );
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(rounds(&env), 2);
    assert!(
        seen(&env, 2).contains("the plan is locked since the experiment ran: changing target"),
        "{}",
        seen(&env, 2)
    );
    let after = env.read(FILE);
    assert!(after.contains("target: 3.5\n"), "{after}");
    assert!(
        after.contains("amended: target 3.7 -> 3.5: traffic halved"),
        "{after}"
    );
    env.ok(&["check", "--base", "HEAD~1"]);
}
