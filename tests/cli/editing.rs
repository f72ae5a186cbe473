//! `note` and `update`: what they change, what they keep byte for byte, what they refuse.

use crate::support::TestEnv;

const HAND_WRITTEN: &str = "# Written by hand; xp must keep every byte of this.
id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58   # never changes
title: 'Homepage CTA Color'
hypothesis: >-
  Changing CTA button from blue to green
  increases signups by 15%

primary_metric: \"signup_rate\"
baseline: 3.20
target: 3.7
status: draft     # review on Tuesday
confidence: 0
decision: ~
learning:
tags: [homepage, cta]
decision_log:
  # notes below
  - at: 2026-02-22T18:00:00.000Z
    who: carol
    note: |
      Planned with design.
      Two lines.
";

fn setup() -> TestEnv {
    let env = TestEnv::plain();
    env.write("experiments/cta.yaml", HAND_WRITTEN);
    env
}

#[test]
fn a_note_appends_lines_and_keeps_everything_else() {
    let env = setup();
    env.ok(&["note", "cta", "Launched to 10% of users", "--who", "alice"]);
    assert_eq!(
        env.read("experiments/cta.yaml"),
        format!(
            "{HAND_WRITTEN}  - at: 2026-02-22T18:30:00.000Z\n    who: alice\n    note: Launched to 10% of users\n"
        )
    );
}

#[test]
fn who_comes_from_flag_then_user() {
    let mut env = setup();
    env.vars.push(("USER".into(), "dana".into()));
    env.ok(&["note", "cta", "from USER"]);
    assert!(
        env.read("experiments/cta.yaml")
            .ends_with("    who: dana\n    note: from USER\n")
    );
    env.vars.clear();
    env.ok(&["note", "cta", "from nobody"]);
    assert!(env.read("experiments/cta.yaml").ends_with(
        "    note: from USER\n  - at: 2026-02-22T18:30:00.000Z\n    note: from nobody\n"
    ));
}

#[test]
fn values_yaml_would_misread_are_quoted() {
    let env = setup();
    for note in [
        "no",
        "on",
        "1e3",
        "- x",
        "#",
        "a: b",
        "  leading",
        "two\nlines",
        "null",
        "@here",
    ] {
        env.ok(&["note", "cta", "--who", "yes", "--", note]);
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["show", "cta", "--format", "json"])).unwrap();
        let last = json["decision_log"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["note"], note);
        assert_eq!(last["who"], "yes");
    }
    assert!(env.read("experiments/cta.yaml").contains("note: \"no\"\n"));
}

#[test]
fn update_changes_only_the_values_named() {
    let env = setup();
    env.ok(&[
        "update",
        "cta",
        "--confidence",
        "40",
        "--owner",
        "growth",
        "--tag",
        "web",
    ]);
    let expected = HAND_WRITTEN
        .replace("confidence: 0\n", "confidence: 40\n")
        .replace("tags: [homepage, cta]\n", "tags:\n- web\nowner: growth\n");
    assert_eq!(env.read("experiments/cta.yaml"), expected);
}

#[test]
fn status_moves_are_checked_and_logged() {
    let env = setup();
    let run = env.xp(&[
        "update",
        "cta",
        "--status",
        "completed",
        "--decision",
        "ship",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot move from draft to completed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("running or killed"), "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(env.read("experiments/cta.yaml"), HAND_WRITTEN);

    env.ok(&["update", "cta", "--status", "running", "--who", "alice"]);
    let text = env.read("experiments/cta.yaml");
    assert!(
        text.contains("status: running     # review on Tuesday\n"),
        "{text}"
    );
    assert!(
        text.ends_with("    who: alice\n    note: \"status: draft -> running\"\n"),
        "{text}"
    );

    env.ok(&[
        "update",
        "cta",
        "--status",
        "completed",
        "--decision",
        "ship",
        "-m",
        "won",
        "--who",
        "bob",
    ]);
    assert!(
        env.read("experiments/cta.yaml")
            .ends_with("note: \"status: running -> completed: won\"\n")
    );

    env.ok(&[
        "update", "cta", "--status", "draft", "--force", "--who", "bob",
    ]);
    assert!(
        env.read("experiments/cta.yaml")
            .contains("status: draft     # review")
    );
}

#[test]
fn killing_needs_a_reason() {
    let env = setup();
    let run = env.xp(&["update", "cta", "--status", "killed"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("-m"), "{}", run.stderr);
    env.ok(&["update", "cta", "--status", "killed", "-m", "No traffic"]);
    assert!(
        env.read("experiments/cta.yaml")
            .contains("note: \"status: draft -> killed: No traffic\"")
    );
}

#[test]
fn an_update_that_would_break_a_rule_writes_nothing() {
    let env = setup();
    let run = env.xp(&["update", "cta", "--target", "3.0"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("error[target-vs-baseline]"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(env.read("experiments/cta.yaml"), HAND_WRITTEN);
    env.ok(&["update", "cta", "--status", "running"]);
    let run = env.xp(&["update", "cta", "--status", "completed"]);
    assert!(
        run.stderr.contains("error[decision-required]"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_update_with_nothing_new_says_so() {
    let env = setup();
    let run = env.xp(&["update", "cta", "--confidence", "0"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("nothing to change"), "{}", run.stderr);
}

#[test]
fn update_with_only_a_message_adds_a_note() {
    let env = setup();
    env.ok(&["update", "cta", "-m", "just a note", "--who", "eve"]);
    assert!(
        env.read("experiments/cta.yaml")
            .ends_with("    who: eve\n    note: just a note\n")
    );
}

#[test]
fn unsafe_shapes_are_refused_without_writing() {
    let env = TestEnv::plain();
    let anchored = "id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58\ntitle: &t Title\nhypothesis: *t\nprimary_metric: m\nbaseline: 1\ntarget: 2\n";
    env.write("experiments/a.yaml", anchored);
    let run = env.xp(&["note", "a", "x"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("anchors or aliases"), "{}", run.stderr);
    assert_eq!(env.read("experiments/a.yaml"), anchored);

    let flow = "id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58\ntitle: T\nhypothesis: h\nprimary_metric: m\nbaseline: 1\ntarget: 2\ndecision_log: [{at: 2026-02-22T18:00:00Z, note: a}]\n";
    env.write("experiments/a.yaml", flow);
    let run = env.xp(&["note", "a", "x"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("flow"), "{}", run.stderr);
    assert_eq!(env.read("experiments/a.yaml"), flow);
}

#[test]
fn crlf_files_stay_crlf() {
    let env = TestEnv::plain();
    env.write("experiments/a.yaml", &HAND_WRITTEN.replace('\n', "\r\n"));
    env.ok(&["note", "a", "hello", "--who", "w"]);
    env.ok(&["update", "a", "--confidence", "5"]);
    let text = env.read("experiments/a.yaml");
    assert!(!text.replace("\r\n", "").contains('\n'), "{text:?}");
    assert!(text.contains("confidence: 5\r\n"));
}

/// Another machine's clock ran ahead: the note is never refused; it is stamped at the log's
/// last time, said on stderr, and the log stays in order.
#[test]
fn a_note_from_a_clock_behind_the_log_is_stamped_at_the_last_entry() {
    let mut env = setup();
    env.now = "2026-01-01T00:00:00Z".into();
    let run = env.xp(&["note", "cta", "time travel", "--who", "w"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "warning: the log's last entry is stamped 2026-02-22T18:00:00.000Z, later than this \
         clock (2026-01-01T00:00:00.000Z); the new entry is stamped 2026-02-22T18:00:00.000Z \
         too, so that the log stays in order; if a clock that ran ahead stamped it, `xp \
         fix-time` moves such times back\n"
    );
    assert_eq!(
        env.read("experiments/cta.yaml"),
        format!(
            "{HAND_WRITTEN}  - at: 2026-02-22T18:00:00.000Z\n    who: w\n    note: time travel\n"
        )
    );
    env.ok(&["update", "cta", "--status", "running", "--who", "w"]);
    env.ok(&["check"]);
}

#[test]
fn fixed_clock_makes_runs_reproducible_apart_from_ids() {
    let run_story = || {
        let env = TestEnv::plain();
        let id = env.new_cta();
        env.ok(&["note", "homepage-cta-color", "Launched", "--who", "alice"]);
        env.ok(&[
            "update",
            "homepage-cta-color",
            "--status",
            "running",
            "--who",
            "bob",
        ]);
        env.read("experiments/homepage-cta-color.yaml")
            .replace(&id, "ID")
    };
    assert_eq!(run_story(), run_story());
}
