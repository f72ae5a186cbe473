//! `xp export`: the origin service's CSV, byte for byte, and the other formats.

use crate::support::TestEnv;

const SEED_CSV: &str = "id,title,hypothesis,primary_metric,baseline,target,status,confidence,decision,learning,decision_log\r\n\
9b2e4c10-7a3d-4f5e-8b1c-2d3e4f5a6b7c,Checkout latency: lazy-load reviews,Lazy-loading reviews cuts checkout p95 latency,checkout_p95_ms,840.0,700.0,running,40,,,[]\r\n\
3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58,Homepage CTA Color,Changing CTA button from blue to green increases signups by 15%,signup_rate,3.2,3.7,completed,96,ship,Green CTA outperformed blue,\"[{\"\"at\"\":\"\"2026-02-22T18:30:00.000Z\"\",\"\"who\"\":\"\"alice\"\",\"\"note\"\":\"\"Launched to 10% of users\"\"},{\"\"at\"\":\"\"2026-02-22T18:45:00.000Z\"\",\"\"who\"\":\"\"bob\"\",\"\"note\"\":\"\"p-value dropped below 0.05 after 3 days\"\"}]\"\r\n";

fn setup() -> TestEnv {
    let env = TestEnv::plain();
    env.fixture("valid/checkout-latency.yaml", "experiments/a-checkout.yaml");
    env.fixture("valid/homepage-cta-color.yaml", "experiments/b-cta.yaml");
    env
}

#[test]
fn csv_is_the_seed_format_ordered_by_path_and_deterministic() {
    let env = setup();
    let first = env.ok(&["export"]);
    assert_eq!(first, SEED_CSV);
    assert_eq!(env.ok(&["export"]), first);
}

#[test]
fn columns_status_and_output_file() {
    let env = setup();
    assert_eq!(
        env.ok(&[
            "export",
            "--columns",
            "title,owner,status",
            "--status",
            "completed"
        ]),
        "title,owner,status\r\nHomepage CTA Color,growth-team,completed\r\n"
    );
    let run = env.xp(&["export", "--columns", "title,stauts"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("stauts"), "{}", run.stderr);
    env.ok(&["export", "-o", "out/all.csv"]);
    assert_eq!(env.read("out/all.csv"), SEED_CSV);
}

#[test]
fn excel_guards_formulas_but_not_numbers() {
    let env = TestEnv::plain();
    env.write(
        "experiments/a.yaml",
        "id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58\ntitle: \"=HYPERLINK(1)\"\nhypothesis: \"+1 signups\"\nprimary_metric: \"@m\"\nbaseline: -2.5\ntarget: -1\n",
    );
    let bytes = env.xp_cmd(&["export", "--excel"]).output().unwrap().stdout;
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(
        text.contains(",'=HYPERLINK(1),'+1 signups,'@m,-2.5,-1.0,draft,0,"),
        "{text}"
    );
}

#[test]
fn json_and_jsonl() {
    let env = setup();
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["export", "--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[1]["decision_log"][0]["who"], "alice");
    let jsonl = env.ok(&["export", "--format", "jsonl", "--status", "running"]);
    assert_eq!(jsonl.lines().count(), 1);
    let row: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(row["direction"], "decrease");
}

#[test]
fn export_refuses_broken_records() {
    let env = setup();
    env.fixture("broken/not-yaml.yaml", "experiments/c.yaml");
    let run = env.xp(&["export"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("experiments/c.yaml:2:"),
        "{}",
        run.stderr
    );
}
