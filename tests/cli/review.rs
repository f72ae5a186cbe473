//! Review in pull requests and CI: check --base, GitHub annotations, diff, driver registration.

use crate::assert_xp_snapshot;
use crate::support::TestEnv;

/// A repository whose `main` holds the CTA record with two notes, on a branch `feature`.
fn with_base() -> TestEnv {
    let mut env = TestEnv::repo();
    env.pin_ids();
    env.new_cta();
    env.ok(&["note", "homepage-cta-color", "Launched", "--who", "alice"]);
    env.now = "2026-02-22T19:00:00Z".into();
    env.ok(&["note", "homepage-cta-color", "Significant", "--who", "bob"]);
    env.git(&["tag", "v1"]);
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.now = "2026-02-23T09:00:00Z".into();
    env
}

const FILE: &str = "experiments/homepage-cta-color.yaml";

#[test]
fn a_pure_append_and_a_rename_pass_against_branch_tag_and_commit() {
    let env = with_base();
    env.ok(&["note", "homepage-cta-color", "Shipped to all"]);
    env.git(&["mv", FILE, "experiments/cta.yaml"]);
    let main = env.git(&["rev-parse", "main"]);
    for base in ["main", "v1", main.trim(), "HEAD~1"] {
        let run = env.xp(&["check", "--base", base]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, ""),
            "{base}: {}",
            run.stderr
        );
    }
    let run = env.xp(&["check", "--base", "nope"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`nope` names no commit"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_rewritten_entry_is_caught_with_its_rule_and_place() {
    let env = with_base();
    env.write(
        FILE,
        &env.read(FILE)
            .replace("note: Significant", "note: Not significant"),
    );
    let run = env.xp(&["check", "--base", "main"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with(&format!(
            "{FILE}:15:3: error[log-rewritten]: decision-log entry 2 at main"
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("was changed"), "{}", run.stdout);
}

#[test]
fn a_deleted_record_and_a_changed_id_are_caught() {
    let env = with_base();
    let text = env.read(FILE);
    std::fs::remove_file(env.path(FILE)).unwrap();
    let run = env.xp(&["check", "--base", "main", "--format", "json"]);
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["problems"][0]["rule"], "record-deleted");
    assert_eq!(json["problems"][0]["path"], FILE);

    let other = "7c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
    let id_line = text.lines().next().unwrap().to_owned();
    env.write(FILE, &text.replace(&id_line, &format!("id: {other}")));
    let run = env.xp(&["check", "--base", "main"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with(&format!("{FILE}:1:5: error[id-changed]")),
        "{}",
        run.stdout
    );
}

/// Creates an experiment titled `title` (its slug is the title's).
fn new_experiment(env: &TestEnv, title: &str) {
    env.ok(&[
        "new",
        "--title",
        title,
        "--hypothesis",
        "Annual plans first sell more",
        "--metric",
        "plan_upgrades",
        "--baseline",
        "1",
        "--target",
        "2",
    ]);
}

#[test]
fn a_branch_behind_its_base_is_compared_with_the_merge_base() {
    let mut env = with_base();
    env.ok(&[
        "note",
        "homepage-cta-color",
        "Branch note",
        "--who",
        "carol",
    ]);
    // Teammates go on on main after the branch was cut: a note, a new record, and a record
    // with the slug the branch uses too (another id).
    env.git(&["checkout", "-q", "main"]);
    env.now = "2026-02-23T10:00:00Z".into();
    env.ok(&["note", "homepage-cta-color", "Main note", "--who", "dave"]);
    new_experiment(&env, "Pricing page");
    new_experiment(&env, "Annual plans");
    env.git(&["checkout", "-q", "feature"]);
    env.now = "2026-02-23T11:00:00Z".into();
    new_experiment(&env, "Annual plans");
    let run = env.xp(&["check", "--base", "main"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );

    // An entry the branch point held is still guarded, and the message says which commit
    // was compared.
    let base = env.git(&["merge-base", "HEAD", "main"]);
    env.write(
        FILE,
        &env.read(FILE).replace("note: Launched", "note: Started"),
    );
    let run = env.xp(&["check", "--base", "main"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains(&format!(
            "error[log-rewritten]: decision-log entry 1 at the merge base of HEAD and main ({})",
            &base[..7]
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn a_base_that_shares_no_history_is_said_so() {
    let env = with_base();
    env.git(&["checkout", "-q", "--orphan", "lonely"]);
    env.git(&["commit", "-q", "-m", "another history"]);
    let run = env.xp(&["check", "--base", "main"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: HEAD shares no history with `main`"),
        "{}",
        run.stderr
    );
}

#[test]
fn github_format_annotates_with_repository_paths() {
    let env = with_base();
    env.write(
        FILE,
        &env.read(FILE).replace("confidence: 0", "confidence: 120"),
    );
    std::fs::create_dir_all(env.path("sub")).unwrap();
    let run = env.xp_in(&env.path("sub"), &["check", "--format", "github"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        format!(
            "::error file={FILE},line=8,col=13,title=confidence-range::confidence must be a whole number from 0 to 100, not `120`\n"
        )
    );
}

#[test]
fn init_registers_the_driver_once_and_check_warns_without_it() {
    let env = TestEnv::repo();
    env.write(".gitattributes", "*.png binary");
    env.ok(&["init"]);
    let attributes = env.read(".gitattributes");
    assert_eq!(
        attributes,
        "*.png binary\nexperiments/**/*.yaml merge=xp\nexperiments/**/*.yml merge=xp\n"
    );
    assert_eq!(
        env.git(&["config", "merge.xp.driver"]),
        "xp merge-driver %O %A %B %P\n"
    );
    let config = env.bytes(".git/config");
    let run = env.xp(&["init"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("already registered"), "{}", run.stderr);
    assert_eq!(env.read(".gitattributes"), attributes);
    assert_eq!(env.bytes(".git/config"), config);

    let run = env.xp(&["check"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            0,
            "warning: no experiment files to check in experiments; `xp new` creates one\n"
        )
    );
    env.git(&["config", "--unset", "merge.xp.driver"]);
    let run = env.xp(&["check"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr
            .contains("warning: .gitattributes names the xp merge driver"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("xp init"), "{}", run.stderr);
    let run = env.xp(&["check", "--format", "github"]);
    assert!(
        run.stdout.starts_with("::warning title=xp::"),
        "{}",
        run.stdout
    );
}

#[test]
fn diff_summarises_a_branch_for_a_pull_request() {
    let mut env = with_base();
    env.experiment("Checkout latency")
        .hypothesis("Lazy reviews cut p95")
        .metric("p95_ms")
        .set("baseline", "840")
        .set("target", "700")
        .direction("decrease")
        .loud()
        .ok();
    env.ok(&[
        "update",
        "homepage-cta-color",
        "--status",
        "running",
        "--who",
        "alice",
    ]);
    env.now = "2026-02-24T09:00:00Z".into();
    env.ok(&[
        "update",
        "homepage-cta-color",
        "--status",
        "completed",
        "--decision",
        "ship",
        "--confidence",
        "96",
        "--learning",
        "Green wins",
        "--who",
        "bob",
    ]);
    env.ok(&[
        "note",
        "homepage-cta-color",
        "Rolling out",
        "--who",
        "carol",
    ]);
    assert_xp_snapshot!(env, &["diff"]);
    assert_xp_snapshot!(env, &["diff", "main", "HEAD", "--format", "json"]);
    env.git(&["checkout", "-q", "main"]);
    let run = env.xp(&["diff"]);
    assert!(
        run.stdout.contains("No experiment changed"),
        "{}",
        run.stdout
    );
}

/// One machine's clock three years ahead stamps its note in 2029, and every note after it is
/// stamped 2029 too, to keep the log in order, with a warning that names `xp fix-time`.
/// `check --base` flags the entries stamped ahead of the commits that hold them; `xp fix-time`
/// moves them back, logging each move, and review accepts that; a branch that still holds the
/// old times merges without bringing them back; the site's "As of" is never dragged ahead.
#[test]
fn a_clock_that_ran_ahead_is_caught_corrected_and_accepted() {
    let mut env = TestEnv::repo();
    env.ok(&["init"]);
    let driver = format!("'{}' merge-driver %O %A %B %P", env!("CARGO_BIN_EXE_xp"));
    env.git(&["config", "merge.xp.driver", &driver]);
    env.git(&["add", ".gitattributes"]);
    env.git(&["commit", "-q", "-m", "attributes"]);
    env.new_cta();
    env.now = "2026-02-22T19:00:00Z".into();
    env.ok(&["note", "homepage-cta-color", "Launched", "--who", "alice"]);
    env.git(&["tag", "start"]);
    env.now = "2029-03-01T00:00:00Z".into();
    env.ok(&[
        "note",
        "homepage-cta-color",
        "From a wrong clock",
        "--who",
        "bob",
    ]);
    env.now = "2026-02-23T09:00:00Z".into();
    let run = env.xp(&["note", "homepage-cta-color", "Day two", "--who", "alice"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("is stamped 2029-03-01T00:00:00.000Z")
            && run.stderr.contains("`xp fix-time` moves such times back"),
        "{}",
        run.stderr
    );

    // The site counts ages to the newest entry that is not ahead of its commits.
    env.ok(&["site", "-o", "site"]);
    let board = env.read("site/index.html");
    assert!(
        board.contains("As of <time datetime=\"2026-02-22T19:00:00Z\">2026-02-22</time>"),
        "{board}"
    );

    let run = env.xp(&["check", "--base", "start"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout.matches("error[log-time-ahead]").count(),
        2,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "decision-log entry 2 is stamped 2029-03-01T00:00:00.000Z, more than a day after \
             the commit that holds it (2026-02-23T09:00:00.000Z)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("run `xp fix-time homepage-cta-color`"),
        "{}",
        run.stdout
    );

    // A branch from here adds a note, stamped 2029 too.
    env.git(&["branch", "other"]);
    env.git(&["checkout", "-q", "other"]);
    env.now = "2026-02-23T09:30:00Z".into();
    env.ok(&["note", "homepage-cta-color", "On a branch", "--who", "dan"]);
    env.git(&["checkout", "-q", "main"]);

    env.now = "2026-02-23T10:00:00Z".into();
    env.ok(&["fix-time", "homepage-cta-color", "--who", "carol"]);
    let record = env.record(FILE);
    let log: Vec<(&str, &str)> = record
        .decision_log
        .iter()
        .map(|e| (e.at.as_str(), e.note.as_str()))
        .collect();
    assert_eq!(
        log,
        [
            ("2026-02-22T19:00:00.000Z", "Launched"),
            ("2026-02-23T09:00:00.000Z", "From a wrong clock"),
            ("2026-02-23T09:00:00.000Z", "Day two"),
            (
                "2026-02-23T10:00:00.000Z",
                "corrected: at 2029-03-01T00:00:00.000Z -> 2026-02-23T09:00:00.000Z: stamped by \
                 a clock that ran ahead; moved back to its commit's time"
            ),
            (
                "2026-02-23T10:00:00.000Z",
                "corrected: at 2029-03-01T00:00:00.000Z -> 2026-02-23T09:00:00.000Z: stamped by \
                 a clock that ran ahead; moved back to its commit's time"
            ),
        ]
    );
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]),
        "xp: fix times on homepage-cta-color\n"
    );
    assert_eq!(env.last_commit_paths(), [FILE]);
    // Review accepts the moved times (they were at the base), and nothing is ahead any more.
    env.ok(&["check", "--base", "HEAD~1"]);
    env.ok(&["check", "--base", "start"]);
    let run = env.xp(&["fix-time", "homepage-cta-color"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("nothing to correct"), "{}", run.stderr);

    // The branch still holds the old times: the merge keeps the corrected entries once, and
    // the branch's own note, which a second fix-time moves back in turn.
    let merge = env.git_run(&["merge", "-q", "--no-edit", "other"]);
    assert_eq!(merge.code, 0, "{}{}", merge.stdout, merge.stderr);
    let notes: Vec<String> = env
        .record(FILE)
        .decision_log
        .into_iter()
        .map(|e| format!("{} {}", e.at, e.note.split(':').next().unwrap()))
        .collect();
    assert_eq!(
        notes,
        [
            "2026-02-22T19:00:00.000Z Launched",
            "2026-02-23T09:00:00.000Z From a wrong clock",
            "2026-02-23T09:00:00.000Z Day two",
            "2026-02-23T10:00:00.000Z corrected",
            "2026-02-23T10:00:00.000Z corrected",
            "2029-03-01T00:00:00.000Z On a branch",
        ]
    );
    let run = env.xp(&["check", "--base", "HEAD^1"]);
    assert_eq!(
        run.stdout.matches("error[log-time-ahead]").count(),
        1,
        "{}",
        run.stdout
    );
    env.now = "2026-02-23T11:00:00Z".into();
    env.ok(&["fix-time", "homepage-cta-color"]);
    env.ok(&["check", "--base", "start"]);
    // A note now is stamped now, without a warning.
    env.now = "2026-02-23T12:00:00Z".into();
    let run = env.xp(&["note", "homepage-cta-color", "Back to normal"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let record = env.record(FILE);
    assert_eq!(
        record.decision_log.last().unwrap().at,
        "2026-02-23T12:00:00.000Z"
    );
}
