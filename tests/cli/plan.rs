//! The plan is pre-registered: free while a draft, an amendment with a reason once the
//! experiment ran, caught by `check --base` when changed by hand, shown first by `xp diff`.

use crate::support::TestEnv;

const SLUG: &str = "homepage-cta-color";
const FILE: &str = "experiments/homepage-cta-color.yaml";

/// The CTA experiment, committed and running, on `main`.
fn running() -> TestEnv {
    let mut env = TestEnv::repo();
    env.ok(&["init"]);
    let driver = format!("'{}' merge-driver %O %A %B %P", env!("CARGO_BIN_EXE_xp"));
    env.git(&["config", "merge.xp.driver", &driver]);
    env.git(&["add", ".gitattributes"]);
    env.git(&["commit", "-q", "-m", "attributes"]);
    env.new_cta();
    env.now = "2026-02-22T19:00:00Z".into();
    env.ok(&["update", SLUG, "--status", "running"]);
    env
}

#[test]
fn a_drafts_plan_changes_freely() {
    let env = TestEnv::repo();
    env.new_cta();
    env.ok(&["update", SLUG, "--target", "3.5", "--metric", "signups"]);
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]),
        "xp: update homepage-cta-color\n"
    );
    assert!(!env.read(FILE).contains("amended"));
}

#[test]
fn a_running_plan_changes_only_as_an_amendment_with_its_reason() {
    let mut env = running();
    let before = env.read(FILE);
    let commits = env.commit_count();
    let run = env.xp(&["update", SLUG, "--target", "3.5"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: the plan is locked since the experiment ran: changing target is an \
         amendment\nhint: say why with --amend \"reason\"; the change and the reason are \
         logged\n"
    );
    assert_eq!((env.read(FILE), env.commit_count()), (before, commits));

    env.now = "2026-02-22T20:00:00Z".into();
    env.ok(&[
        "update",
        SLUG,
        "--target",
        "3.5",
        "--amend",
        "traffic halved",
        "--who",
        "alice",
    ]);
    assert!(
        env.read(FILE).ends_with(
            "- at: 2026-02-22T20:00:00.000Z\n  who: alice\n  note: \"amended: target 3.7 -> \
             3.5: traffic halved\"\n"
        ),
        "{}",
        env.read(FILE)
    );
    assert_eq!(
        env.git(&["log", "-1", "--format=%B"]),
        "xp: amend homepage-cta-color\n\ntarget: 3.7 -> 3.5\n\nAmended: traffic halved\n\n\
         Experiment-Id: "
            .to_owned()
            + env
                .read(FILE)
                .lines()
                .next()
                .unwrap()
                .trim_start_matches("id: ")
            + "\n\n"
    );
    env.ok(&["check", "--base", "HEAD~1"]);
    let run = env.xp(&["update", SLUG, "--title", "New title", "--amend", "why"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_hand_change_of_a_running_plan_is_caught_against_the_base() {
    let env = running();
    env.git(&["checkout", "-q", "-b", "feature"]);
    let text = env.read(FILE).replace("target: 3.7", "target: 3.5");
    env.write(FILE, &text);
    let run = env.xp(&["check", "--base", "main"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with(
            "experiments/homepage-cta-color.yaml:6:1: error[plan-changed]: target was 3.7 at \
             main, when the experiment was already running, and is 3.5 now, with no amendment \
             logged; the plan is pre-registered\n"
        ),
        "{}",
        run.stdout
    );
    let run = env.xp(&["check", "--base", "main", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["problems"][0]["rule"], "plan-changed");
    assert_eq!(report["problems"][0]["line"], 6);
    let run = env.xp(&["check", "--base", "main", "--format", "github"]);
    assert!(
        run.stdout.starts_with(
            "::error file=experiments/homepage-cta-color.yaml,line=6,col=1,title=plan-changed::"
        ),
        "{}",
        run.stdout
    );
    // Made through xp with a reason instead, it passes and xp diff shows it first.
    env.git(&["checkout", "--", FILE]);
    env.ok(&[
        "update",
        SLUG,
        "--target",
        "3.5",
        "--amend",
        "traffic halved",
    ]);
    env.ok(&["check", "--base", "main"]);
    let md = env.ok(&["diff", "main"]);
    assert!(
        md.contains("`experiments/homepage-cta-color.yaml`\n\n- **target** (amended): 3.7 -> 3.5 — traffic halved\n"),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["diff", "main", "--format", "json"])).unwrap();
    assert_eq!(
        json["experiments"][0]["amendments"],
        serde_json::json!([{"field": "target", "from": "3.7", "to": "3.5", "reason": "traffic halved"}])
    );
}

#[test]
fn an_amendment_and_notes_merge_and_two_amendments_conflict() {
    let mut env = running();
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.now = "2026-02-22T20:00:00Z".into();
    env.ok(&[
        "update",
        SLUG,
        "--target",
        "3.5",
        "--amend",
        "traffic halved",
    ]);
    env.git(&["checkout", "-q", "main"]);
    env.now = "2026-02-22T21:00:00Z".into();
    env.ok(&["note", SLUG, "Day two", "--who", "bob"]);
    let merge = env.git_run(&["merge", "-q", "--no-edit", "feature"]);
    assert_eq!(merge.code, 0, "{}{}", merge.stdout, merge.stderr);
    let text = env.read(FILE);
    assert!(
        text.contains("target: 3.5") && text.contains("note: Day two"),
        "{text}"
    );
    env.ok(&["check", "--base", "main~1"]);

    env.git(&["checkout", "-q", "-b", "other"]);
    env.ok(&["update", SLUG, "--target", "3.4", "--amend", "a"]);
    env.git(&["checkout", "-q", "main"]);
    env.ok(&["update", SLUG, "--target", "3.3", "--amend", "b"]);
    let merge = env.git_run(&["merge", "-q", "--no-edit", "other"]);
    assert_ne!(merge.code, 0, "{}{}", merge.stdout, merge.stderr);
    assert!(
        env.read(FILE).contains("<<<<<<< ours"),
        "{}",
        env.read(FILE)
    );
}

/// One side amends the target and back, the other amends it once, between the first side's
/// two: taken field by field the merge keeps the other side's value while the merged log's
/// last amendment says the first side's. That is a conflict; kept by hand without an
/// amendment saying so, `xp check` names the mismatch, and an appended amendment settles it.
#[test]
fn a_value_its_last_amendment_does_not_set_conflicts_and_is_checked() {
    let mut env = running();
    env.git(&["checkout", "-q", "-b", "other"]);
    env.now = "2026-02-22T21:00:00Z".into();
    env.ok(&["update", SLUG, "--target", "3.6", "--amend", "b"]);
    env.git(&["checkout", "-q", "main"]);
    env.now = "2026-02-22T20:00:00Z".into();
    env.ok(&["update", SLUG, "--target", "3.5", "--amend", "a"]);
    env.now = "2026-02-22T22:00:00Z".into();
    env.ok(&["update", SLUG, "--target", "3.7", "--amend", "back"]);
    let merge = env.git_run(&["merge", "-q", "--no-edit", "other"]);
    assert_ne!(merge.code, 0, "{}{}", merge.stdout, merge.stderr);
    assert!(
        merge.stderr.contains("plan-amendment-mismatch"),
        "{}",
        merge.stderr
    );
    let text = env.read(FILE);
    let marked = "<<<<<<< ours\ntarget: 3.7\n=======\ntarget: 3.6\n>>>>>>> theirs\n";
    assert!(text.contains(marked), "{text}");

    // Kept theirs by hand: the log's last amendment still says 3.7.
    env.write(FILE, &text.replace(marked, "target: 3.6\n"));
    let run = env.xp(&["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "error[plan-amendment-mismatch]: target is 3.6, but the last amendment of it \
             (decision-log entry 4) sets it to 3.7"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("note: \"amended: target 3.7 -> 3.6: why\""),
        "{}",
        run.stdout
    );
    let settled = env.read(FILE)
        + "- at: 2026-02-22T23:00:00.000Z\n  note: \"amended: target 3.7 -> 3.6: kept the other branch's\"\n";
    env.write(FILE, &settled);
    env.ok(&["check"]);
}

/// `xp log` shows the plan as it was when the experiment first ran, found from history, after
/// several amendments and a rename of the file.
#[test]
fn the_log_shows_the_plan_as_first_registered_across_amendments_and_a_rename() {
    let mut env = running();
    // While the plan is as registered, the log says nothing of it.
    assert!(!env.ok(&["log", SLUG]).contains("registered"));
    env.now = "2026-02-22T20:00:00Z".into();
    env.ok(&[
        "update",
        SLUG,
        "--target",
        "3.5",
        "--amend",
        "traffic halved",
    ]);
    env.now = "2026-02-22T21:00:00Z".into();
    env.ok(&[
        "update",
        SLUG,
        "--target",
        "3.4",
        "--baseline",
        "3.1",
        "--amend",
        "new data",
    ]);
    env.git(&["mv", FILE, "experiments/cta.yaml"]);
    env.git(&["commit", "-q", "-m", "shorter name"]);
    let shown = env.ok(&["show", "cta"]);
    assert!(
        shown.ends_with(
            "\nthe plan as first registered, when the experiment first ran:\n  baseline  3.2  (now \
             3.1)\n  target    3.7  (now 3.4)\n"
        ),
        "{shown}"
    );
    let out = env.ok(&["log", "cta"]);
    assert!(
        out.starts_with(
            "the plan as first registered, when the experiment first ran:\n  baseline  3.2  (now \
             3.1)\n  target    3.7  (now 3.4)\n\n"
        ),
        "{out}"
    );
}
