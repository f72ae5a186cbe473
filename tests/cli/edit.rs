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
    env.vars
        .push(("XP_BIN".into(), env!("CARGO_BIN_EXE_xp").into()));
    env
}

/// The path of the kept edit a run names on stderr (`... kept in PATH; ...`), from the root.
fn kept_path(env: &TestEnv, stderr: &str) -> std::path::PathBuf {
    let (_, rest) = stderr
        .split_once("kept in ")
        .unwrap_or_else(|| panic!("no kept edit named: {stderr}"));
    let path = rest.split(';').next().unwrap().trim();
    assert!(
        path.starts_with(".git/xp-kept-edit-homepage-cta-color-") && path.ends_with(".yaml"),
        "{path}"
    );
    env.path(path)
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
    // What was typed is kept, and said where.
    let kept = std::fs::read_to_string(kept_path(&env, &run.stderr)).unwrap();
    assert!(kept.contains("confidence: 5\n"), "{kept}");
}

/// A note that lands while the editor is open (a bot, the server) is merged with the edit,
/// as the merge driver would: the edit is not lost, nor the note.
#[test]
fn a_note_landing_while_the_editor_is_open_is_merged_with_the_edit() {
    let env = with_editor(
        "\"$XP_BIN\" note homepage-cta-color 'Bot: traffic doubled' --who bot; \
         sed -i 's/^confidence: 0$/confidence: 40/' \"$1\"",
    );
    let commits = env.commit_count();
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "got 1 new decision-log entry while it was open in the editor; your edit is merged"
        ),
        "{}",
        run.stderr
    );
    let record = env.record(FILE);
    assert_eq!(record.confidence, 40);
    let notes: Vec<&str> = record
        .decision_log
        .iter()
        .map(|e| e.note.as_str())
        .collect();
    assert_eq!(notes, ["status: draft -> running", "Bot: traffic doubled"]);
    assert_eq!(env.commit_count(), commits + 2);
    assert_eq!(env.last_commit_paths(), [FILE]);
    let body = env.git(&["log", "-1", "--format=%B"]);
    assert!(
        body.starts_with("xp: edit homepage-cta-color\n\nconfidence: 0 -> 40\n"),
        "{body}"
    );
    env.ok(&["check", "--base", "HEAD~2"]);
    assert!(!env.path(".git").read_dir().unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("xp-kept-edit-")
    }));
}

/// A field changed meanwhile is not merged over: nothing is written, and the edit is kept.
#[test]
fn a_field_changed_while_the_editor_is_open_refuses_and_keeps_the_edit() {
    let env = with_editor(
        "\"$XP_BIN\" update homepage-cta-color --learning 'from the server'; \
         sed -i 's/^confidence: 0$/confidence: 40/' \"$1\"",
    );
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "was changed while it was open in the editor, in more than new decision-log entries"
        ),
        "{}",
        run.stderr
    );
    let record = env.record(FILE);
    assert_eq!(record.confidence, 0);
    assert_eq!(record.learning.as_deref(), Some("from the server"));
    let kept = std::fs::read_to_string(kept_path(&env, &run.stderr)).unwrap();
    assert!(
        kept.contains("confidence: 40\n") && kept.contains("learning: null\n"),
        "{kept}"
    );
}

/// An editor that changes the file the same wrong way every time is not re-opened forever:
/// after three rounds with the same problems xp stops, keeping the text.
#[test]
fn an_editor_that_never_fixes_the_problem_is_stopped_and_the_text_kept() {
    let env =
        with_editor("sed -i 's/^confidence: 0$/confidence: 500/' \"$1\"; echo '# again' >> \"$1\"");
    let before = env.read(FILE);
    let commits = env.commit_count();
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(rounds(&env), 3);
    assert!(
        run.stderr
            .contains("breaks the same rules 3 rounds in a row"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("error[confidence-range]"),
        "{}",
        run.stderr
    );
    let kept = std::fs::read_to_string(kept_path(&env, &run.stderr)).unwrap();
    assert!(
        kept.starts_with("id: ") && kept.contains("confidence: 500\n"),
        "{kept}"
    );
    assert_eq!(kept.matches("# again").count(), 3, "{kept}");
    assert_eq!((env.read(FILE), env.commit_count()), (before, commits));
}

/// An editor that keeps xp's problems inside the text (here: a line put above them) would
/// pile them up round after round; xp stops at once when it sees that.
#[test]
fn problems_kept_inside_the_text_stop_the_rounds() {
    let env = with_editor(
        "sed -i '1i # mine' \"$1\"; sed -i 's/^confidence: 0$/confidence: 500/' \"$1\"",
    );
    let run = env.xp(&["edit", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(rounds(&env), 2);
    let kept = std::fs::read_to_string(kept_path(&env, &run.stderr)).unwrap();
    assert_eq!(kept.matches("# xp edit: ").count(), 1, "{kept}");
}

/// A killed `xp edit` leaves its temporary copy in the git directory; the next `xp edit` removes
/// such leftovers, but never while another `xp edit` is running, and never a file not named
/// as xp names its copies.
#[test]
fn leftovers_of_killed_edits_are_removed_when_no_edit_runs() {
    let env = with_editor(
        "if [ \"$ROUND\" = 1 ]; then while [ ! -f \"$XP_TEST_DIR/go\" ]; do sleep 0.05; done; fi; \
         sed -i 's/^confidence: [0-9]*$/confidence: 1'$ROUND'/' \"$1\"",
    );
    let git = env.path(".git");
    let leftover = git.join("xp-edit-homepage-cta-color-a1B2c3.yaml");
    let others = [
        git.join("xp-kept-edit-homepage-cta-color-x.yaml"),
        git.join("notes.yaml"),
    ];
    // An edit waits in its editor; another one meanwhile removes nothing.
    let mut first = Waiting {
        go: env.path("../scratch/go"),
        child: Some(env.xp_spawn(&["edit", "homepage-cta-color"])),
    };
    let open = env.path("../scratch/path-1");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !open.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first editor never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for path in std::iter::once(&leftover).chain(&others) {
        std::fs::write(path, "typed before a kill\n").unwrap();
    }
    let second = env.xp(&["edit", "homepage-cta-color", "--no-commit"]);
    assert!(!second.stderr.contains("removed"), "{}", second.stderr);
    assert!(leftover.exists());
    let first_copy = std::path::PathBuf::from(env.read("../scratch/path-1").trim());
    assert!(first_copy.exists(), "the running edit's copy is kept");
    std::fs::write(env.path("../scratch/go"), "").unwrap();
    first.child.take().unwrap().wait_with_output().unwrap();
    assert!(!first_copy.exists());
    // With no edit running, the leftover goes, and only it.
    let run = env.xp(&["edit", "homepage-cta-color", "--no-commit"]);
    assert!(
        run.stderr
            .contains("removed 1 temporary copy that earlier `xp edit` runs"),
        "{}",
        run.stderr
    );
    assert!(!leftover.exists());
    for path in &others {
        assert!(path.exists(), "{}", path.display());
    }
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

/// A spawned `xp edit` whose editor waits for the file `go`: released (and stopped) when
/// dropped, also when the test fails half way.
struct Waiting {
    go: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.go, "");
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
