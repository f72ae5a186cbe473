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
    std::fs::create_dir(env.path("out")).unwrap();
    env.ok(&["export", "-o", "out/all.csv"]);
    assert_eq!(env.read("out/all.csv"), SEED_CSV);
}

/// `-o` never writes into the experiments directory, nor makes a folder that is not there.
#[test]
fn output_into_the_records_or_a_missing_folder_is_refused() {
    let env = setup();
    let before = env.read("experiments/b-cta.yaml");
    let run = env.xp(&["export", "-o", "experiments/b-cta.yaml"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: experiments/b-cta.yaml is inside the experiments directory, where every file is a \
         record\nhint: write the export elsewhere, e.g. `-o experiments.csv` beside the \
         experiments directory\n"
    );
    assert_eq!(env.read("experiments/b-cta.yaml"), before);
    let run = env.xp(&["export", "-o", "missing/all.csv"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: the folder missing does not exist\nhint: create it first (`mkdir -p missing`), \
         or name a file in a folder that exists\n"
    );
    assert!(!env.path("missing").exists());
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

/// Records whose text looks like spreadsheet formulas, with negative numbers.
fn formula_like() -> TestEnv {
    let env = TestEnv::plain();
    let made = env.ok(&[
        "new",
        "--title",
        "=HYPERLINK(\"http://evil\",\"x\")",
        "--hypothesis",
        "+1 signups, \"quoted\"\nand a second line",
        "--metric",
        "@sum(a1)",
        "--baseline",
        "-2.5",
        "--target",
        "-3",
        "--direction",
        "decrease",
        "--owner=-owner",
        "--tag",
        "\tTab",
        "--tag",
        "=1+1",
    ]);
    let slug = made
        .trim()
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".yaml");
    env.ok(&[
        "update",
        slug,
        "--learning",
        "=cmd|' /C calc'!A0",
        "-m",
        "\rnote",
    ]);
    env.experiment("Plain")
        .hypothesis("h")
        .set("baseline", "0")
        .set("target", "1e3")
        .loud()
        .ok();
    env
}

const ALL_COLUMNS: &str = "id,title,hypothesis,primary_metric,baseline,target,status,confidence,\
                           decision,learning,decision_log,direction,owner,tags,links";

fn rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn exported_csv_parses_back_to_the_records_values() {
    let env = formula_like();
    let table = rows(&env.ok(&["export", "--columns", ALL_COLUMNS]));
    let header = &table[0];
    assert_eq!(header.join(","), ALL_COLUMNS.replace(' ', ""));
    let records: serde_json::Value =
        serde_json::from_str(&env.ok(&["export", "--format", "json"])).unwrap();
    assert_eq!(table.len() - 1, records.as_array().unwrap().len());
    for (row, record) in table[1..].iter().zip(records.as_array().unwrap()) {
        for (name, cell) in header.iter().zip(row) {
            let value = &record[name.as_str()];
            match value {
                serde_json::Value::Null => assert_eq!(cell, "", "{name}"),
                serde_json::Value::String(s) => assert_eq!(cell, s, "{name}"),
                serde_json::Value::Number(n) => {
                    let parsed: f64 = cell.parse().unwrap();
                    assert_eq!(parsed, n.as_f64().unwrap(), "{name}");
                }
                other => {
                    let parsed: serde_json::Value = serde_json::from_str(cell).unwrap();
                    assert_eq!(&parsed, other, "{name}");
                }
            }
        }
    }
}

#[test]
fn excel_escapes_formula_like_text_and_never_numbers() {
    let env = formula_like();
    let plain = env.ok(&["export", "--columns", ALL_COLUMNS]);
    let excel = env.ok(&["export", "--columns", ALL_COLUMNS, "--excel"]);
    let excel = excel.strip_prefix('\u{feff}').expect("a byte-order mark");
    let (plain, excel) = (rows(&plain), rows(excel));
    assert_eq!(
        plain[0], excel[0],
        "the header has no formula-like cell to escape"
    );
    let numbers = ["baseline", "target", "confidence"];
    let mut escaped = 0;
    for (p_row, e_row) in plain[1..].iter().zip(&excel[1..]) {
        for ((name, p), e) in plain[0].iter().zip(p_row).zip(e_row) {
            let formula = p.starts_with(['=', '+', '-', '@', '\t', '\r', '\0']);
            if formula && !numbers.contains(&name.as_str()) {
                assert_eq!(e, &format!("'{p}"), "{name}");
                escaped += 1;
            } else {
                assert_eq!(e, p, "{name}");
            }
        }
    }
    // title, hypothesis, metric, learning, owner; the numbers -2.5 and -3 stay as they are.
    assert_eq!(escaped, 5);
    assert!(plain[1].contains(&"-2.5".to_owned()) && excel[1].contains(&"-2.5".to_owned()));
}
