//! Results and learning: `observed` with its lift, `search`, `similar`, the notice on `new`,
//! and `report`.

use crate::support::TestEnv;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn observed_is_set_committed_shown_and_cleared() {
    let env = TestEnv::repo();
    env.new_cta();
    let before = env.commit_count();
    env.ok(&["update", "homepage-cta-color", "--observed", "3.712"]);
    assert_eq!(env.commit_count(), before + 1);
    assert_eq!(
        env.last_commit_paths(),
        ["experiments/homepage-cta-color.yaml"]
    );
    let body = env.git(&["log", "-1", "--format=%B"]);
    assert!(
        body.starts_with("xp: update homepage-cta-color\n\nobserved: null -> 3.712\n"),
        "{body}"
    );
    let text = env.read("experiments/homepage-cta-color.yaml");
    assert!(
        text.contains("learning: null\nobserved: 3.712\ndecision_log:"),
        "{text}"
    );

    let shown = env.ok(&["show", "homepage-cta-color"]);
    assert!(
        shown.contains("  observed       3.712 (+16.0% better, target met)\n"),
        "{shown}"
    );
    let list = env.ok(&["list"]);
    assert!(
        list.contains("  +16.0% better  Homepage CTA Color\n"),
        "{list}"
    );
    let value = json(&env.ok(&["show", "homepage-cta-color", "--format", "json"]));
    assert_eq!(value["observed"], 3.712);
    assert!((value["lift"].as_f64().unwrap() - 0.16).abs() < 1e-9);
    assert_eq!(value["target_met"], true);
    let rows = json(&env.ok(&["list", "--format", "json"]));
    assert_eq!(rows[0]["target_met"], true);
    let exported = json(&env.ok(&["export", "--format", "json"]));
    assert_eq!(exported[0]["observed"], 3.712);
    let csv = env.ok(&["export", "--columns", "id,observed,lift,target_met"]);
    assert!(csv.starts_with("id,observed,lift,target_met\r\n"), "{csv}");
    assert!(csv.ends_with(",3.712,0.16,true\r\n"), "{csv}");

    env.ok(&["update", "homepage-cta-color", "--observed", "-1"]);
    let value = json(&env.ok(&["show", "homepage-cta-color", "--format", "json"]));
    assert_eq!(value["target_met"], false);
    for clear in ["null", ""] {
        env.ok(&["update", "homepage-cta-color", "--observed", "2"]);
        env.ok(&["update", "homepage-cta-color", "--observed", clear]);
        let value = json(&env.ok(&["show", "homepage-cta-color", "--format", "json"]));
        assert_eq!(value["observed"], serde_json::Value::Null);
        assert_eq!(value["lift"], serde_json::Value::Null);
        assert_eq!(value["target_met"], serde_json::Value::Null);
        let body = env.git(&["log", "-1", "--format=%B"]);
        assert!(body.contains("observed: 2 -> null\n"), "{body}");
    }
}

#[test]
fn a_bad_observed_value_is_refused_before_anything_is_written() {
    let env = TestEnv::repo();
    env.new_cta();
    let before = env.read("experiments/homepage-cta-color.yaml");
    let commits = env.commit_count();
    for bad in ["high", "NaN", "inf"] {
        let run = env.xp(&["update", "homepage-cta-color", "--observed", bad]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("--observed"), "{}", run.stderr);
        assert!(run.stderr.contains("not a finite number"), "{}", run.stderr);
    }
    assert_eq!(env.read("experiments/homepage-cta-color.yaml"), before);
    assert_eq!(env.commit_count(), commits);
}

/// Three experiments whose words are known: only a note of the first says "refund".
fn searchable() -> TestEnv {
    let env = TestEnv::plain();
    let new = |title: &str, hypothesis: &str, metric: &str, tag: &str| {
        env.ok(&[
            "new",
            "--title",
            title,
            "--hypothesis",
            hypothesis,
            "--metric",
            metric,
            "--baseline",
            "1",
            "--target",
            "2",
            "--tag",
            tag,
        ]);
    };
    new(
        "Checkout copy",
        "Shorter copy lifts conversion",
        "conversion_rate",
        "checkout",
    );
    new(
        "Refund page redesign",
        "A clearer page cuts tickets",
        "support_tickets",
        "support",
    );
    new(
        "Green signup button",
        "A green button gets more signups",
        "signup_rate",
        "checkout",
    );
    env.ok(&["note", "checkout-copy", "Two customers asked for a refund"]);
    env.ok(&["update", "refund-page-redesign", "--status", "running"]);
    env
}

fn slugs(env: &TestEnv, args: &[&str]) -> Vec<String> {
    let mut all = vec!["search", "--format", "json"];
    all.extend_from_slice(args);
    json(&env.ok(&all))
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn search_finds_a_note_and_ranks_a_title_above_it() {
    let env = searchable();
    assert_eq!(
        slugs(&env, &["refund"]),
        ["refund-page-redesign", "checkout-copy"]
    );
    let hits = json(&env.ok(&["search", "customers", "--format", "json"]));
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["place"], "note");
    assert_eq!(hits[0]["excerpt"], "Two customers asked for a refund");
    assert_eq!(slugs(&env, &["BUTTONS"]), ["green-signup-button"]);
    assert_eq!(slugs(&env, &["zebra"]), Vec::<String>::new());
}

#[test]
fn search_filters_combine() {
    let env = searchable();
    assert_eq!(
        slugs(&env, &["refund", "--status", "draft"]),
        ["checkout-copy"]
    );
    assert_eq!(
        slugs(
            &env,
            &["refund", "--status", "draft", "--status", "running"]
        )
        .len(),
        2
    );
    assert_eq!(
        slugs(&env, &["refund", "--tag", "support"]),
        ["refund-page-redesign"]
    );
    assert_eq!(
        slugs(
            &env,
            &["refund", "--tag", "checkout", "--metric", "conversion_rate"]
        ),
        ["checkout-copy"]
    );
    assert!(slugs(&env, &["refund", "--tag", "support", "--status", "draft"]).is_empty());
    assert_eq!(
        slugs(&env, &["refund", "--limit", "1"]),
        ["refund-page-redesign"]
    );
}

#[test]
fn search_refund_shows_the_note_plainly_when_not_a_terminal() {
    let env = searchable();
    let run = env.xp(&["search", "refund", "--tag", "checkout"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "checkout-copy  draft  -  -\n    note: Two customers asked for a refund\n"
    );
    let coloured = env.ok(&["search", "refund", "--tag", "checkout", "--color", "always"]);
    assert!(
        coloured.contains("asked for a \u{1b}[1m\u{1b}[33mrefund\u{1b}[0m\n"),
        "{coloured:?}"
    );
    let none = env.xp(&["search", "zebra"]);
    assert_eq!((none.code, none.stdout.as_str()), (0, ""));
    assert!(
        none.stderr.contains("no experiment matches `zebra`"),
        "{}",
        none.stderr
    );
    let blank = env.xp(&["search", "--", "?!"]);
    assert_eq!(blank.code, 2, "{}", blank.stderr);
    assert!(blank.stderr.contains("no words"), "{}", blank.stderr);
    // A stop word alone matches nothing, rather than everything, and the output says why.
    let common = env.xp(&["search", "the"]);
    assert_eq!(
        (common.code, common.stdout.as_str(), common.stderr.as_str()),
        (
            0,
            "",
            "warning: `the` is too common to search for, so nothing matches; add a word that \
             tells experiments apart, like `xp search refund`\nno experiment matches `the`\n"
        )
    );
    assert_eq!(
        env.ok(&["search", "the", "refund", "--tag", "checkout"]),
        env.ok(&["search", "refund", "--tag", "checkout"])
    );
}

/// The demo's repository: one shipped CTA experiment with its learning.
fn demo() -> TestEnv {
    let env = TestEnv::plain();
    let path = env.path("demo");
    let run = env.xp(&["demo", "--path", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    env
}

#[test]
fn new_names_the_experiment_tried_before_and_still_creates_the_record() {
    let env = demo();
    let dir = env.path("demo");
    let run = env.xp_in(
        &dir,
        &[
            "new",
            "--title",
            "Green signup button",
            "--hypothesis",
            "A green signup button gets more people to sign up",
            "--metric",
            "signup_rate",
            "--baseline",
            "3.2",
            "--target",
            "3.6",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "warning: this looks like an experiment tried before (`xp show SLUG` for more):\n  \
             homepage-cta-color  Homepage CTA Color  (score 0.60)\n    \
             shipped, decision ship\n    \
             learning: Green CTA outperformed blue by 16% on signups\n"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .ends_with(" experiments/green-signup-button.yaml\n"),
        "{}",
        run.stdout
    );
    assert!(dir.join("experiments/green-signup-button.yaml").exists());

    let similar = env.xp_in(&dir, &["similar", "green-signup-button"]);
    assert_eq!(
        similar.stdout,
        "  homepage-cta-color  Homepage CTA Color  (score 0.60)\n    \
         shipped, decision ship\n    \
         learning: Green CTA outperformed blue by 16% on signups\n"
    );
    let back = env.xp_in(&dir, &["similar", "homepage-cta-color", "--format", "json"]);
    assert_eq!(json(&back.stdout)[0]["slug"], "green-signup-button");
}

#[test]
fn an_unrelated_experiment_or_quiet_gets_no_notice() {
    let env = demo();
    let dir = env.path("demo");
    let unrelated = env.xp_in(
        &dir,
        &[
            "new",
            "--title",
            "Checkout page load time",
            "--hypothesis",
            "Lazy images make checkout faster",
            "--metric",
            "checkout_p95_ms",
            "--baseline",
            "900",
            "--target",
            "700",
            "--direction",
            "decrease",
        ],
    );
    assert_eq!(unrelated.code, 0, "{}", unrelated.stderr);
    assert!(
        !unrelated.stderr.contains("warning"),
        "{}",
        unrelated.stderr
    );
    let same_metric_only = env.xp_in(
        &dir,
        &[
            "new",
            "--title",
            "Referral programme",
            "--hypothesis",
            "Invites from friends convert",
            "--metric",
            "signup_rate",
            "--baseline",
            "3.2",
            "--target",
            "3.6",
        ],
    );
    assert!(
        !same_metric_only.stderr.contains("warning"),
        "{}",
        same_metric_only.stderr
    );
    let quiet = env.xp_in(
        &dir,
        &[
            "new",
            "--quiet",
            "--title",
            "Green signup button",
            "--hypothesis",
            "A green signup button gets more people to sign up",
            "--metric",
            "signup_rate",
            "--baseline",
            "3.2",
            "--target",
            "3.6",
        ],
    );
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
    let none = env.xp_in(&dir, &["similar", "checkout-page-load-time"]);
    assert_eq!((none.code, none.stdout.as_str()), (0, ""));
    assert!(
        none.stderr
            .contains("no experiment looks like checkout-page-load-time")
    );
}

/// A lift says whether it is better or worse for the metric: a rise on a metric that should
/// fall is worse, wherever a lift is shown (list, show, report, search, similar, the story
/// page, JSON as `improved`).
#[test]
fn a_lift_says_better_or_worse_by_the_direction() {
    let env = TestEnv::repo();
    for (title, observed) in [("Checkout speed", "920"), ("Checkout speed again", "810")] {
        env.ok(&[
            "new",
            "--title",
            title,
            "--hypothesis",
            "Faster checkout pages sell more",
            "--metric",
            "checkout_p95_ms",
            "--baseline",
            "900",
            "--target",
            "800",
            "--direction",
            "decrease",
            "-q",
        ]);
        let slug = title.to_lowercase().replace(' ', "-");
        env.ok(&["update", &slug, "--observed", observed]);
    }
    let list = env.ok(&["list"]);
    assert!(list.contains("   +2.2% worse  Checkout speed\n"), "{list}");
    assert!(
        list.contains("  -10.0% better  Checkout speed again\n"),
        "{list}"
    );
    let shown = env.ok(&["show", "checkout-speed"]);
    assert!(
        shown.contains("  observed       920 (+2.2% worse, target missed)\n"),
        "{shown}"
    );
    let value = json(&env.ok(&["show", "checkout-speed", "--format", "json"]));
    assert_eq!(value["improved"], false);
    let rows = json(&env.ok(&["list", "--format", "json"]));
    assert_eq!(rows[0]["improved"], true);
    let found = env.ok(&["search", "checkout"]);
    assert!(found.contains("+2.2% worse"), "{found}");
    let alike = env.ok(&["similar", "checkout-speed"]);
    assert!(alike.contains(", lift -10.0% better\n"), "{alike}");
    env.ok(&["update", "checkout-speed", "--status", "running"]);
    env.ok(&[
        "update",
        "checkout-speed",
        "--status",
        "killed",
        "-m",
        "Slower",
    ]);
    let report = env.ok(&["report"]);
    assert!(
        report.contains("| kill | +2.2% worse | missed |"),
        "{report}"
    );
    let export = env.ok(&["export", "--columns", "id,lift,improved"]);
    assert!(
        export.contains(",0.022222222222222223,false\r\n"),
        "{export}"
    );
    env.ok(&["site", "-o", "site"]);
    let story = env.read("site/e/checkout-speed.html");
    assert!(story.contains("+2.2% worse"), "{story}");
}

/// Decided and undecided experiments on two metrics, with results and text that Markdown
/// would misread.
fn decided() -> TestEnv {
    let mut env = TestEnv::repo();
    env.pin_ids();
    env.new_cta();
    env.ok(&["update", "homepage-cta-color", "--status", "running"]);
    env.ok(&[
        "update",
        "homepage-cta-color",
        "--status",
        "completed",
        "--decision",
        "ship",
        "--observed",
        "3.712",
        "--learning",
        "Green *beats* blue | by 16%",
    ]);
    env.experiment("Checkout <b>speed</b>")
        .hypothesis("Faster pages sell more")
        .metric("checkout_p95_ms")
        .set("baseline", "900")
        .set("target", "700")
        .direction("decrease")
        .status("running")
        .loud()
        .ok();
    env.ok(&[
        "update",
        "checkout-b-speed-b",
        "--status",
        "killed",
        "--decision",
        "kill",
        "--observed",
        "950",
        "-m",
        "No change after two weeks",
    ]);
    env.experiment("Still running")
        .hypothesis("H")
        .metric("signup_rate")
        .status("running")
        .loud()
        .ok();
    env
}

#[test]
fn report_markdown_output() {
    let env = decided();
    crate::assert_xp_snapshot!(env, &["report"]);
}

#[test]
fn report_since_and_json() {
    let env = decided();
    let value = json(&env.ok(&["report", "--format", "json"]));
    let metrics: Vec<&str> = value["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metric"].as_str().unwrap())
        .collect();
    assert_eq!(metrics, ["checkout_p95_ms", "signup_rate"]);
    assert_eq!(value["metrics"][0]["experiments"][0]["target_met"], false);
    let later = env.ok(&["report", "--since", "2026-02-23"]);
    assert_eq!(
        later,
        "# What we learned\n\nNo experiment was decided since 2026-02-23.\n"
    );
    let earlier = json(&env.ok(&["report", "--since", "2026-02-22", "--format", "json"]));
    assert_eq!(earlier["metrics"].as_array().unwrap().len(), 2);
    let bad = env.xp(&["report", "--since", "last week"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("--since `last week` is not a date"),
        "{}",
        bad.stderr
    );
}

/// A completed experiment can be killed after review without `--force`; a kill without a
/// decision decides `kill` (in the file and the commit body), and the report lists it with
/// the reason from its log.
#[test]
fn a_kill_decides_kill_and_the_report_says_why() {
    let env = TestEnv::repo();
    env.new_cta();
    env.ok(&["update", "homepage-cta-color", "--status", "running"]);
    env.ok(&[
        "update",
        "homepage-cta-color",
        "--status",
        "completed",
        "--decision",
        "ship",
    ]);
    env.ok(&[
        "update",
        "homepage-cta-color",
        "--status",
        "killed",
        "-m",
        "Review found a tracking bug",
    ]);
    let text = env.read("experiments/homepage-cta-color.yaml");
    assert!(text.contains("status: killed\n"), "{text}");
    assert!(text.contains("decision: kill\n"), "{text}");
    assert!(
        text.contains("note: \"status: completed -> killed: Review found a tracking bug\""),
        "{text}"
    );
    let body = env.git(&["log", "-1", "--format=%B"]);
    assert!(
        body.starts_with(
            "xp: status killed on homepage-cta-color\n\ndecision: ship -> kill\n\nReview found a tracking bug\n"
        ),
        "{body}"
    );

    // A decision given with the kill is kept.
    env.ok(&[
        "new",
        "--title",
        "Checkout speed",
        "--hypothesis",
        "Faster pages sell more",
        "--metric",
        "checkout_rate",
        "--baseline",
        "1",
        "--target",
        "2",
    ]);
    env.ok(&[
        "update",
        "checkout-speed",
        "--status",
        "killed",
        "--decision",
        "inconclusive",
        "-m",
        "No traffic",
    ]);
    let checkout = env.read("experiments/checkout-speed.yaml");
    assert!(checkout.contains("decision: inconclusive\n"), "{checkout}");

    let report = env.ok(&["report"]);
    assert!(
        report.contains(
            "| Homepage CTA Color (`homepage-cta-color`) | killed | kill | - | - | killed: Review found a tracking bug |"
        ),
        "{report}"
    );
    assert!(
        report.contains("| killed | inconclusive | - | - | killed: No traffic |"),
        "{report}"
    );
    let value = json(&env.ok(&["report", "--format", "json"]));
    assert_eq!(
        value["metrics"][1]["experiments"][0]["reason"],
        "Review found a tracking bug"
    );
}

/// "Was this tried before?" finds a killed test whose learning names the same problem, though
/// its title and hypothesis share one word with the new one: on `xp new`, in `xp similar`
/// (with title and score), and through the API.
#[test]
fn a_killed_test_whose_learning_names_the_problem_was_tried_before() {
    let env = TestEnv::repo();
    env.experiment("Free shipping threshold")
        .hypothesis("Free shipping over $50 lifts conversion")
        .metric("conversion_rate")
        .baseline(2.1)
        .target(2.4)
        .loud()
        .ok();
    env.ok(&[
        "update",
        "free-shipping-threshold",
        "--status",
        "killed",
        "--learning",
        "Shoppers left when the shipping fee showed up at the last step",
        "-m",
        "No lift after two weeks",
    ]);
    let run = env
        .experiment("Shipping fee on the product page")
        .hypothesis("Showing the shipping fee before checkout lifts conversion")
        .metric("conversion_rate")
        .baseline(2.1)
        .target(2.5)
        .loud()
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let named = "  free-shipping-threshold  Free shipping threshold  (score 0.59)\n    \
                 killed, decision kill\n    \
                 learning: Shoppers left when the shipping fee showed up at the last step\n";
    assert!(
        run.stderr.starts_with(&format!(
            "warning: this looks like an experiment tried before (`xp show SLUG` for more):\n{named}"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        env.ok(&["similar", "shipping-fee-on-the-product-page"]),
        named
    );
    let json = json(&env.ok(&[
        "similar",
        "shipping-fee-on-the-product-page",
        "--format",
        "json",
    ]));
    assert_eq!(json[0]["title"], "Free shipping threshold");
    assert!(json[0]["score"].as_f64().unwrap() >= 0.55);
}
