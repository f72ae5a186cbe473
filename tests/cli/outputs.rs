//! Every command's whole output, for a person and as data, on one repository of four
//! experiments (shipped, running with a falling metric, killed, draft), pinned as snapshots:
//! the exit code, stdout and stderr, nothing cut out. Refresh with `cargo insta review`.

use crate::support::TestEnv;

/// Pins `xp ARGS`'s whole outcome as the snapshot `name`.
#[track_caller]
fn pin(env: &TestEnv, name: &str, args: &[&str]) {
    let run = env.xp(args);
    let root = env.root.to_string_lossy().into_owned();
    insta::assert_snapshot!(name, run.whole().replace(&root, "[ROOT]"));
}

/// Four experiments with a history, their ids pinned and each step a few minutes apart.
fn repository() -> TestEnv {
    let mut env = TestEnv::repo();
    env.pin_ids();
    let mut minute = 0;
    let mut at = |env: &mut TestEnv| {
        minute += 15;
        env.now = format!(
            "2026-02-{:02}T{:02}:{:02}:00Z",
            22 + minute / 1440,
            minute / 60 % 24,
            minute % 60
        );
    };
    env.ok(&["init"]);
    env.git(&["add", ".gitattributes"]);
    env.git(&[
        "commit",
        "-q",
        "-m",
        "Route experiments to xp's merge driver",
    ]);
    at(&mut env);
    env.experiment("Homepage CTA Color")
        .hypothesis("Changing CTA button from blue to green increases signups by 15%")
        .metric("signup_rate")
        .baseline(3.2)
        .target(3.7)
        .owner("growth")
        .tag("homepage")
        .create();
    at(&mut env);
    env.ok(&[
        "note",
        "homepage-cta-color",
        "Launched to 10% of users",
        "--who",
        "alice",
    ]);
    at(&mut env);
    env.ok(&["update", "homepage-cta-color", "--status", "running"]);
    at(&mut env);
    env.ok(&[
        "update",
        "homepage-cta-color",
        "--status",
        "completed",
        "--decision",
        "ship",
        "--confidence",
        "96",
        "--observed",
        "3.712",
        "--learning",
        "Green CTA outperformed blue by 16% on signups",
        "-m",
        "Significant at 96% confidence",
    ]);
    at(&mut env);
    env.ok(&["update", "homepage-cta-color", "--status", "shipped"]);
    at(&mut env);
    env.experiment("Checkout latency")
        .hypothesis("Inlining the payment form cuts p95 checkout latency")
        .metric("checkout_p95_ms")
        .baseline(820.0)
        .target(650.0)
        .direction("decrease")
        .status("running")
        .create();
    at(&mut env);
    env.ok(&[
        "note",
        "checkout-latency",
        "p95 at 700 ms after a week",
        "--who",
        "bob",
    ]);
    at(&mut env);
    env.experiment("Free shipping banner")
        .hypothesis("A free-shipping banner raises signups")
        .metric("signup_rate")
        .baseline(3.2)
        .target(3.5)
        .status("running")
        .create();
    at(&mut env);
    env.ok(&[
        "update",
        "free-shipping-banner",
        "--status",
        "killed",
        "-m",
        "No lift after two weeks; the banner hid the CTA",
    ]);
    at(&mut env);
    env.experiment("Onboarding checklist").create();
    env
}

#[test]
fn reading_commands_for_people_and_as_data() {
    let env = repository();
    pin(&env, "list_table", &["list"]);
    pin(&env, "list_json", &["list", "--format", "json"]);
    pin(&env, "list_ids", &["list", "--format", "ids"]);
    pin(&env, "show_text", &["show", "homepage-cta-color"]);
    pin(
        &env,
        "show_json",
        &["show", "checkout-latency", "--format", "json"],
    );
    pin(
        &env,
        "show_yaml",
        &["show", "free-shipping-banner", "--format", "yaml"],
    );
    pin(&env, "log_text", &["log", "homepage-cta-color"]);
    pin(
        &env,
        "log_json",
        &["log", "homepage-cta-color", "--format", "json"],
    );
    pin(&env, "export_csv", &["export"]);
    pin(&env, "export_json", &["export", "--format", "json"]);
    pin(
        &env,
        "export_jsonl",
        &["export", "--format", "jsonl", "--status", "running"],
    );
    pin(
        &env,
        "export_columns_excel",
        &[
            "export",
            "--columns",
            "id,title,owner,observed,lift,target_met",
            "--excel",
        ],
    );
    pin(&env, "search_table", &["search", "signups"]);
    pin(
        &env,
        "search_json",
        &["search", "signups", "--format", "json"],
    );
    pin(&env, "similar_text", &["similar", "free-shipping-banner"]);
    pin(
        &env,
        "similar_json",
        &["similar", "free-shipping-banner", "--format", "json"],
    );
    pin(&env, "report_markdown", &["report"]);
    pin(&env, "report_json", &["report", "--format", "json"]);
    pin(&env, "check_quiet", &["check"]);
    pin(&env, "check_verbose", &["check", "-v"]);
}

#[test]
fn review_commands_for_people_and_as_data() {
    let mut env = repository();
    env.git(&["checkout", "-q", "-b", "review"]);
    env.now = "2026-02-23T09:00:00Z".into();
    env.ok(&[
        "note",
        "checkout-latency",
        "p95 at 640 ms: target met",
        "--who",
        "bob",
    ]);
    env.ok(&["update", "onboarding-checklist", "--status", "running"]);
    pin(&env, "diff_markdown", &["diff", "main"]);
    pin(&env, "diff_json", &["diff", "main", "--format", "json"]);
    let path = "experiments/checkout-latency.yaml";
    let text = env.read(path).replace("p95 at 700 ms", "p95 at 690 ms");
    env.write(path, &text);
    pin(&env, "check_base_human", &["check", "--base", "main"]);
    pin(
        &env,
        "check_base_json",
        &["check", "--base", "main", "--format", "json"],
    );
    pin(
        &env,
        "check_base_github",
        &["check", "--base", "main", "--format", "github"],
    );
}

#[test]
fn writing_commands_say_what_they_did() {
    let mut env = TestEnv::repo();
    env.pin_ids();
    pin(&env, "init", &["init"]);
    pin(&env, "init_again", &["init"]);
    let new = env
        .experiment("Homepage CTA Color")
        .metric("signup_rate")
        .baseline(3.2)
        .target(3.7)
        .args();
    let new: Vec<&str> = new.iter().map(String::as_str).collect();
    pin(&env, "new", &new);
    env.now = "2026-02-22T19:00:00Z".into();
    pin(
        &env,
        "note",
        &["note", "homepage-cta-color", "Launched", "--who", "alice"],
    );
    pin(
        &env,
        "update_move",
        &[
            "update",
            "homepage-cta-color",
            "--status",
            "running",
            "-m",
            "Live for 10%",
        ],
    );
    pin(
        &env,
        "update_amend",
        &[
            "update",
            "homepage-cta-color",
            "--target",
            "3.6",
            "--amend",
            "Half the traffic",
        ],
    );
    pin(
        &env,
        "update_refused",
        &["update", "homepage-cta-color", "--status", "shipped"],
    );
    pin(
        &env,
        "update_nothing",
        &["update", "homepage-cta-color", "--target", "3.6"],
    );
    pin(
        &env,
        "no_commit",
        &[
            "note",
            "homepage-cta-color",
            "Written, not committed",
            "--no-commit",
        ],
    );
    pin(&env, "site", &["site", "-o", "site"]);
}

#[test]
fn broken_files_are_reported_for_people_and_machines() {
    let mut env = TestEnv::plain();
    env.pin_ids();
    env.fixture("broken/every-rule.yaml", "experiments/every-rule.yaml");
    env.fixture("broken/duplicate-id.yaml", "experiments/duplicate.yaml");
    env.fixture(
        "valid/homepage-cta-color.yaml",
        "experiments/homepage-cta-color.yaml",
    );
    pin(
        &env,
        "broken_check_github",
        &["check", "--format", "github"],
    );
    pin(&env, "broken_list", &["list"]);
    pin(&env, "broken_export", &["export"]);
    pin(&env, "broken_show", &["show", "every-rule"]);
}
