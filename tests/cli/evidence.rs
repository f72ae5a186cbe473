//! Evidence: `xp result` records counts as one commit with a log entry and the computed
//! confidence; `xp check` says what the counts reveal (a broken split, a claim the evidence does
//! not back) in every format; PATCH takes results; `xp plan` gives the sample each arm needs.

use serde_json::json;

use crate::server::Server;
use crate::support::TestEnv;

const SLUG: &str = "homepage-cta-color";
const FILE: &str = "experiments/homepage-cta-color.yaml";

/// The CTA experiment (3.2% -> 3.7%), committed and running.
fn running() -> TestEnv {
    let env = TestEnv::repo();
    env.new_cta();
    env.ok(&["update", SLUG, "--status", "running"]);
    env
}

#[test]
fn result_records_the_counts_in_one_commit_and_sets_confidence() {
    let env = running();
    let commits = env.commit_count();
    let run = env.xp(&[
        "result",
        SLUG,
        "--variant",
        "control=10000/320",
        "--variant",
        "green=10000/371",
        "--source",
        "https://dash.example/cta",
        "--as-of",
        "2026-02-22T18:00:00+01:00",
    ]);
    assert_eq!(
        run.stdout,
        "  results        as of 2026-02-22T17:00:00.000Z, from https://dash.example/cta\n    \
         control: 10000 units, 320 conversions (3.20%)\n    \
         green: 10000 units, 371 conversions (3.71%): +15.9% better [+0.1%, +34.3%], p = 0.048, \
         chance to beat control 97.6%\n  \
         sample ratio   chi-square 0.000, p = 1.000 against an equal split\n",
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 0);
    assert_eq!(env.commit_count(), commits + 1);
    assert_eq!(env.last_commit_paths(), vec![FILE.to_owned()]);
    assert_eq!(
        env.git(&["log", "-1", "--format=%s%n%b"]),
        "xp: results of homepage-cta-color\nconfidence: 0 -> 98\nresults: null -> \
         control=10000/320, green=10000/371 as of 2026-02-22T17:00:00.000Z\n\n\
         Experiment-Id: "
            .to_owned()
            + &env.record(FILE).id
            + "\n\n"
    );
    let text = env.read(FILE);
    assert!(text.contains("confidence: 98\n"), "{text}");
    assert!(
        text.contains(
            "results:\n  as_of: 2026-02-22T17:00:00.000Z\n  source: https://dash.example/cta\n  \
             variants:\n  - name: control\n    units: 10000\n    conversions: 320\n  \
             - name: green\n    units: 10000\n    conversions: 371\n"
        ),
        "{text}"
    );
    let record = env.record(FILE);
    assert_eq!(
        record.decision_log.last().unwrap().note,
        "results: control=10000/320, green=10000/371 as of 2026-02-22T17:00:00.000Z"
    );
    env.ok(&["check"]);

    // Means: Welch's t. The same counts again change nothing.
    env.ok(&[
        "result",
        SLUG,
        "--variant",
        "control=500:12.5:3",
        "--variant",
        "green=520:13:3.5",
        "--as-of",
        "2026-02-23T00:00:00Z",
    ]);
    let shown = env.ok(&["show", SLUG]);
    assert!(
        shown.contains(
            "    green: 520 units, mean 13 (sd 3.5): +4.0% better [+0.8%, +7.3%], p = 0.014, \
             chance to beat control 99.3%\n"
        ),
        "{shown}"
    );
    let again = env.xp(&[
        "result",
        SLUG,
        "--variant",
        "control=500:12.5:3",
        "--variant",
        "green=520:13:3.5",
        "--as-of",
        "2026-02-23T00:00:00Z",
    ]);
    assert_eq!(again.code, 1, "{}", again.stderr);
}

#[test]
fn malformed_counts_are_refused_and_nothing_is_written() {
    let env = running();
    let before = env.read(FILE);
    let commits = env.commit_count();
    let run = env.xp(&[
        "result",
        SLUG,
        "--variant",
        "control=100/320",
        "--variant",
        "control=100/3",
    ]);
    assert_eq!(
        run.whole(),
        "exit: 1\n----- stdout -----\n----- stderr -----\n\
         error: the result would break the rules:\n  \
         error[bad-results]: variant `control` has 320 conversions of 100 units; conversions \
         cannot exceed units\n  \
         error[bad-results]: variant 2 is named `control`, as variant 1 is; each variant needs \
         its own name\n\
         hint: nothing was written; change the values and run the command again\n"
    );
    let run = env.xp(&["result", SLUG, "--variant", "control=10000/32x"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: invalid value 'control=10000/32x' for '--variant <NAME=COUNTS>': conversions `32x` is not a whole number of 0 or more;"),
        "{}",
        run.stderr
    );
    assert_eq!((env.read(FILE), env.commit_count()), (before, commits));
}

#[test]
fn a_broken_split_is_recorded_and_then_reported_until_overridden() {
    let env = running();
    env.ok(&[
        "result",
        SLUG,
        "--variant",
        "control=10000/320",
        "--variant",
        "green=10600/371",
        "--as-of",
        "2026-02-22T18:00:00Z",
    ]);
    let run = env.xp(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["problems"],
        json!([{
            "path": FILE,
            "line": 11,
            "column": 1,
            "rule": "srm-detected",
            "severity": "error",
            "message": "sample-ratio mismatch: units 10000 / 10600 against an equal split give chi-square 17.476, p < 0.001; the split is broken, and the comparison cannot be trusted",
            "hint": "find why units went missing (assignment, logging, bots); kill the experiment, or log `override: REASON` once the cause is known and harmless",
        }])
    );
    assert_eq!(report["ok"], json!(false));
    let github = env.xp(&["check", "--format", "github"]);
    assert!(
        github.stdout.starts_with(
            "::error file=experiments/homepage-cta-color.yaml,line=11,col=1,title=srm-detected::sample-ratio mismatch"
        ),
        "{}",
        github.stdout
    );

    // A split that only looks off warns, and the check passes.
    env.ok(&[
        "result",
        SLUG,
        "--variant",
        "control=10000/320",
        "--variant",
        "green=10400/371",
        "--as-of",
        "2026-02-22T18:00:00Z",
    ]);
    let run = env.xp(&["check"]);
    assert_eq!(
        run.whole(),
        "exit: 0\n----- stdout -----\n\
         experiments/homepage-cta-color.yaml:11:1: warning[srm-detected]: sample-ratio mismatch: \
         units 10000 / 10400 against an equal split give chi-square 7.843, p = 0.005; the split \
         looks off, and the comparison cannot be trusted\n   \
         |\n11 | results:\n   | ^^^^^^^^\n   |\n   \
         = help: find why units went missing (assignment, logging, bots); kill the experiment, \
         or log `override: REASON` once the cause is known and harmless\n\n\
         ----- stderr -----\n"
    );
    let github = env.ok(&["check", "--format", "github"]);
    assert!(github.starts_with("::warning file="), "{github}");

    // Broken again; an override accepts it.
    env.ok(&[
        "result",
        SLUG,
        "--variant",
        "control=10000/320",
        "--variant",
        "green=10600/371",
        "--as-of",
        "2026-02-22T18:00:00Z",
    ]);
    assert_eq!(env.xp(&["check"]).code, 1);
    env.ok(&[
        "note",
        SLUG,
        "override: the green arm also got the bot traffic, filtered from conversions",
    ]);
    env.ok(&["check"]);
}

#[test]
fn shipping_needs_the_evidence_or_an_override() {
    let env = running();
    env.ok(&[
        "result",
        SLUG,
        "--variant",
        "control=10000/320",
        "--variant",
        "green=10000/360",
        "--as-of",
        "2026-02-22T18:00:00Z",
    ]);
    env.ok(&[
        "update",
        SLUG,
        "--status",
        "completed",
        "--decision",
        "ship",
    ]);
    let run = env.xp(&["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rules: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["decision-vs-evidence"], "{report}");
    env.ok(&[
        "note",
        SLUG,
        "override: a tie is enough, green is cheaper to serve",
    ]);
    env.ok(&["check"]);
    // A confidence typed far from the computed chance is caught.
    env.ok(&["update", SLUG, "--confidence", "60"]);
    let run = env.xp(&["check"]);
    assert!(
        run.stdout.starts_with(
            "experiments/homepage-cta-color.yaml:8:1: error[confidence-vs-evidence]: confidence \
             is 60 but the results give a 94% chance to beat control\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn patch_takes_results_and_answers_the_evidence() {
    let env = running();
    let server = Server::start(&env, &[]);
    let body = json!({
        "results": {
            "as_of": "2026-02-22T18:00:00.000Z",
            "variants": [
                {"name": "control", "units": 10000, "conversions": 320},
                {"name": "green", "units": 10000, "conversions": 371},
            ],
        },
    });
    let answer = server
        .patch(&format!("/experiments/{SLUG}"), body)
        .expect(200)
        .json();
    assert_eq!(answer["confidence"], json!(98));
    let green = &answer["evidence"]["variants"][1];
    assert_eq!(green["name"], json!("green"));
    assert_eq!(green["rate"], json!(0.0371));
    assert_eq!(
        format!("{:.4}", green["z"].as_f64().unwrap()),
        "1.9745",
        "{answer}"
    );
    assert_eq!(
        format!("{:.4}", green["p_value"].as_f64().unwrap()),
        "0.0483"
    );
    assert_eq!(
        format!("{:.4}", green["chance_to_beat_control"].as_f64().unwrap()),
        "0.9758"
    );
    assert_eq!(
        answer["decision_log"].as_array().unwrap().last().unwrap()["note"],
        json!("results: control=10000/320, green=10000/371 as of 2026-02-22T18:00:00.000Z")
    );
    let bad = server
        .patch(
            &format!("/experiments/{SLUG}"),
            json!({"results": {"as_of": "2026-02-22T18:00:00Z", "variants": [{"name": "control", "units": "10", "conversions": 1}]}}),
        )
        .expect(422)
        .json();
    assert_eq!(
        bad["detail"][0]["loc"],
        json!(["body", "results", "variants", 0, "units"]),
        "{bad}"
    );
}

#[test]
fn plan_gives_the_sample_each_arm_needs_and_the_progress() {
    let env = running();
    // 3.2% to 3.7% at alpha 0.05 and power 0.8: 20,915 per arm.
    let run = env.xp(&["plan", SLUG]);
    assert_eq!(
        run.whole(),
        "exit: 0\n----- stdout -----\n\
         \x20 metric         signup_rate rate 3.2% -> 3.7%\n\
         \x20 test           two-sided, alpha 0.05, power 0.8\n\
         \x20 sample         41830 units in all: control 20915, treatment 20915\n\
         \x20 run time       - (set expected_daily_units for it)\n\
         ----- stderr -----\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["plan", SLUG, "--format", "json"])).unwrap();
    assert_eq!(
        (&json["scale"], &json["control"], &json["treatment"]),
        (&json!("percent"), &json!(0.032), &json!(0.037))
    );
    // 5% to 5.5% with a 50/50 split and 5,000 units a day: 31,234 per arm, 13 days; results
    // name the arms and count the progress.
    let env = TestEnv::repo();
    env.experiment("Checkout copy")
        .baseline(0.05)
        .target(0.055)
        .add("split", "50")
        .add("split", "50")
        .set("expected-daily-units", 5000)
        .create();
    env.ok(&[
        "result",
        "checkout-copy",
        "--variant",
        "control=15000/750",
        "--variant",
        "short=15000/790",
        "--as-of",
        "2026-02-22T00:00:00Z",
    ]);
    let run = env.xp(&["plan", "checkout-copy"]);
    assert_eq!(
        run.stdout,
        "  metric         m rate 0.05 -> 0.055\n\
         \x20 test           two-sided, alpha 0.05, power 0.8\n\
         \x20 sample         62468 units in all: control 31234, short 31234\n\
         \x20 run time       13 days at 5000 units a day\n\
         \x20 progress       30000 of 62468 units (48.0%) as of 2026-02-22T00:00:00.000Z\n",
        "{}",
        run.stderr
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["plan", "checkout-copy", "--format", "json"])).unwrap();
    assert_eq!(
        (&json["total"], &json["days"], &json["progress"]["total"]),
        (&json!(62468), &json!(13), &json!(30000))
    );
    assert_eq!(
        (&json["control"], &json["treatment"]),
        (&json!(0.05), &json!(0.055))
    );
    assert_eq!(
        json["variants"],
        json!([{"name": "control", "units": 31234}, {"name": "short", "units": 31234}])
    );
    assert_eq!(
        json["progress"]["units"],
        json!([{"name": "control", "units": 15000}, {"name": "short", "units": 15000}])
    );
    // A continuous metric needs its deviation.
    let env = TestEnv::repo();
    env.experiment("Latency")
        .baseline(250.0)
        .target(240.0)
        .direction("decrease")
        .create();
    let run = env.xp(&["plan", "latency"]);
    assert_eq!(
        run.whole(),
        "exit: 1\n----- stdout -----\n----- stderr -----\n\
         error: baseline 250 and target 240 are not rates (0 to 1, or 0 to 100 as percentages)\n\
         hint: for a continuous metric give its standard deviation with --sd\n"
    );
    let run = env.xp(&["plan", "latency", "--sd", "100"]);
    assert!(
        run.stdout
            .contains("  sample         3140 units in all: control 1570, treatment 1570\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn review_catches_a_test_stopped_early_and_shows_the_evidence_first() {
    let env = running();
    env.git(&["checkout", "-q", "-b", "stop"]);
    env.ok(&[
        "result",
        SLUG,
        "--variant",
        "control=10000/320",
        "--variant",
        "green=10000/371",
        "--as-of",
        "2026-02-22T18:00:00Z",
    ]);
    env.ok(&[
        "update",
        SLUG,
        "--status",
        "completed",
        "--decision",
        "ship",
    ]);
    let run = env.xp(&["check", "--base", "main", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["problems"],
        json!([{
            "path": FILE,
            "line": 7,
            "column": 1,
            "rule": "stopped-early",
            "severity": "error",
            "message": "the experiment was running at main and is completed now, before the sample its plan needs: `control` has 10000 units of 20915, `green` has 10000 units of 20915; a test stopped early overstates what it found",
            "hint": "let it run to the planned sample, or log `override: REASON` saying why it stopped",
        }])
    );
    // Without --base there is no history to see.
    env.ok(&["check"]);
    env.ok(&[
        "note",
        SLUG,
        "override: significant at half the sample; the launch date cannot move",
    ]);
    env.ok(&["check", "--base", "main"]);
    let md = env.ok(&["diff", "main"]);
    assert!(
        md.contains(
            "`experiments/homepage-cta-color.yaml`\n\n\
             - **evidence**: green: +15.9% better \\[+0.1%, +34.3%\\], p = 0.048, chance to beat \
             control 97.6%\n\
             - **override**: significant at half the sample; the launch date cannot move\n\
             - **status**: running -> completed\n"
        ),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["diff", "main", "--format", "json"])).unwrap();
    assert_eq!(
        json["experiments"][0]["overrides"],
        json!(["significant at half the sample; the launch date cannot move"])
    );
}

#[test]
fn the_board_and_the_story_show_the_evidence() {
    let env = running();
    env.ok(&[
        "result",
        SLUG,
        "--variant",
        "control=10000/320",
        "--variant",
        "green=10600/371",
        "--as-of",
        "2026-02-22T18:00:00Z",
    ]);
    env.ok(&["site", "-o", "site"]);
    let board = env.read("site/index.html");
    assert!(
        board.contains("<div><dt>Chance to win</dt><dd>88.4%</dd></div>"),
        "{board}"
    );
    let story = env.read(&format!("site/e/{SLUG}.html"));
    assert!(
        story.contains(
            "<div class=\"wide\"><dt>Evidence</dt><dd class=\"nums\">green: +9.4% better [-5.6%, +26.7%], \
             p = 0.232, chance to beat control 88.4%; sample-ratio mismatch</dd></div>\
             <div class=\"two\"><dt>Sample</dt><dd class=\"nums\">20600 of 41830 planned units</dd></div>"
        ),
        "{story}"
    );
}

#[test]
fn the_report_gives_each_decided_test_its_measured_lift() {
    let env = running();
    env.ok(&[
        "result",
        SLUG,
        "--variant",
        "control=10000/320",
        "--variant",
        "green=10000/371",
        "--as-of",
        "2026-02-22T18:00:00Z",
    ]);
    env.ok(&[
        "update",
        SLUG,
        "--status",
        "completed",
        "--decision",
        "ship",
    ]);
    let md = env.ok(&["report"]);
    assert_eq!(
        md,
        "# What we learned\n\n1 decided experiment, by primary metric.\n\n## signup\\_rate\n\n\
         | experiment | status | decision | lift | measured | target | learning |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n\
         | Homepage CTA Color (`homepage-cta-color`) | completed | ship | - | green: +15.9% \
         better \\[+0.1%, +34.3%\\], p = 0.048, chance to beat control 97.6% | - | - |\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["report", "--format", "json"])).unwrap();
    let measured = &json["metrics"][0]["experiments"][0]["measured"];
    assert_eq!(measured["variant"], json!("green"));
    let interval = measured["lift_interval"].as_array().unwrap();
    assert_eq!(
        (
            format!("{:.6}", interval[0].as_f64().unwrap()),
            format!("{:.6}", interval[1].as_f64().unwrap())
        ),
        ("0.000944".to_owned(), "0.342883".to_owned())
    );
}
