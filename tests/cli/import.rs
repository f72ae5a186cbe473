//! `xp import`: the origin service's CSV and JSON, xp's own exports and spreadsheets, each
//! experiment with its id and whole log, one commit each; every problem before anything is
//! written; a re-run changes nothing; a kill leaves whole records and a re-run finishes.

use std::thread;
use std::time::{Duration, Instant};

use crate::assert_xp_snapshot;
use crate::server::Server;
use crate::support::{Rng, TestEnv, record_of, soak};

const HEADER: &str = "id,title,hypothesis,primary_metric,baseline,target,status,confidence,decision,learning,decision_log\r\n";

/// Three experiments as the origin service's `GET /experiments/export.csv` wrote them (the
/// dialect `xp export` keeps): CRLF, minimal quoting, floats as Python writes them, empty
/// cells for a null decision and learning, the log as compact JSON in one quoted cell, an
/// empty log as `[]`, a line break inside a quoted cell. Rows in the order of their slugs.
const ORIGIN_ROWS: &str = concat!(
    "0b5f3c1e-8a2d-4c7b-9e1f-2a3b4c5d6e7f,Alpha checkout,\"Fewer steps, \"\"one page\"\"\",conversion,0.029134757616042842,0.035,completed,96,ship,\"Shipped: +12%, see \"\"Q3\"\"\",\"[{\"\"at\"\":\"\"2026-01-05T09:00:00.000Z\"\",\"\"who\"\":\"\"alice\"\",\"\"note\"\":\"\"status: draft -> running\"\"},{\"\"at\"\":\"\"2026-01-20T17:45:12.345Z\"\",\"\"who\"\":null,\"\"note\"\":\"\"Café crème, 50% «done»\\nsecond line\"\"},{\"\"at\"\":\"\"2026-01-21T08:00:00.000Z\"\",\"\"who\"\":\"\"bob\"\",\"\"note\"\":\"\"status: running -> completed: significant\"\"}]\"\r\n",
    "1c6a4d2f-9b3e-4d8c-8f2a-3b4c5d6e7f80,Beta onboarding,\"Two lines:\nfirst, then second\",activation,840.0,900.5,draft,0,,,[]\r\n",
    "2d7b5e3a-0c4f-4e9d-a03b-4c5d6e7f8091,Gamma pricing,Lower is better,churn,1e-05,2.5e+16,running,40,,,\"[{\"\"at\"\":\"\"2026-02-01T10:00:00.000Z\"\",\"\"who\"\":\"\"carol\"\",\"\"note\"\":\"\"status: draft -> running\"\"}]\"\r\n",
);

fn origin_csv() -> String {
    format!("{HEADER}{ORIGIN_ROWS}")
}

/// Writes the input beside the work tree (not in it) and returns its path.
fn input(env: &TestEnv, name: &str, text: &str) -> String {
    let path = env.root.parent().unwrap().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Subjects of HEAD's history, newest first.
fn subjects(env: &TestEnv) -> Vec<String> {
    env.git(&["log", "--format=%s"])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn origin_csv_comes_across_whole_one_commit_each_and_exports_to_the_same_bytes() {
    let env = TestEnv::repo();
    env.write("README.md", "hello\n");
    env.git(&["add", "README.md"]);
    env.git(&["commit", "-q", "-m", "readme"]);
    let file = input(&env, "origin.csv", &origin_csv());
    let run = env.xp(&["import", &file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "0b5f3c1e-8a2d-4c7b-9e1f-2a3b4c5d6e7f experiments/alpha-checkout.yaml\n\
         1c6a4d2f-9b3e-4d8c-8f2a-3b4c5d6e7f80 experiments/beta-onboarding.yaml\n\
         2d7b5e3a-0c4f-4e9d-a03b-4c5d6e7f8091 experiments/gamma-pricing.yaml\n"
    );

    // Each experiment keeps its id, fields and every log entry exactly.
    let alpha = env.record("experiments/alpha-checkout.yaml");
    assert_eq!(alpha.id, "0b5f3c1e-8a2d-4c7b-9e1f-2a3b4c5d6e7f");
    assert_eq!(alpha.hypothesis, "Fewer steps, \"one page\"");
    assert_eq!(alpha.baseline.to_bits(), 0.029134757616042842f64.to_bits());
    assert_eq!(alpha.learning.as_deref(), Some("Shipped: +12%, see \"Q3\""));
    assert_eq!(alpha.decision_log.len(), 3);
    assert_eq!(alpha.decision_log[1].at, "2026-01-20T17:45:12.345Z");
    assert_eq!(alpha.decision_log[1].who, None);
    assert_eq!(
        alpha.decision_log[1].note,
        "Café crème, 50% «done»\nsecond line"
    );
    let beta = env.record("experiments/beta-onboarding.yaml");
    assert_eq!(beta.hypothesis, "Two lines:\nfirst, then second");
    assert_eq!((beta.decision, beta.learning.clone()), (None, None));
    assert!(beta.decision_log.is_empty());
    let gamma = env.record("experiments/gamma-pricing.yaml");
    assert_eq!((gamma.baseline, gamma.target), (1e-05, 2.5e16));

    // One commit per experiment, in the input's order, each holding only its file, with the
    // trailer, the log's first time as the author date.
    assert_eq!(
        subjects(&env),
        [
            "xp: import gamma-pricing",
            "xp: import beta-onboarding",
            "xp: import alpha-checkout",
            "readme"
        ]
    );
    for (rev, path, id, date) in [
        (
            "HEAD~2",
            "experiments/alpha-checkout.yaml",
            "0b5f3c1e-8a2d-4c7b-9e1f-2a3b4c5d6e7f",
            "2026-01-05T09:00:00Z",
        ),
        (
            "HEAD~1",
            "experiments/beta-onboarding.yaml",
            "1c6a4d2f-9b3e-4d8c-8f2a-3b4c5d6e7f80",
            "2026-02-22T18:30:00Z",
        ),
        (
            "HEAD",
            "experiments/gamma-pricing.yaml",
            "2d7b5e3a-0c4f-4e9d-a03b-4c5d6e7f8091",
            "2026-02-01T10:00:00Z",
        ),
    ] {
        assert_eq!(
            env.git(&["show", "--name-only", "--format=", rev]),
            format!("{path}\n")
        );
        let body = env.git(&["log", "-1", "--format=%B", rev]);
        assert!(
            body.ends_with(&format!("Experiment-Id: {id}\n\n")),
            "{body}"
        );
        assert_eq!(
            env.git(&["log", "-1", "--format=%ad|%cd", "--date=iso-strict", rev]),
            format!("{date}|2026-02-22T18:30:00Z\n")
        );
    }
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    env.fsck();
    assert!(env.ok(&["log", "alpha-checkout"]).contains("Café crème"));

    // The round trip: the same bytes for the same rows.
    assert_eq!(env.ok(&["export"]), origin_csv());
    env.ok(&["check"]);
}

#[test]
fn a_log_cell_that_escapes_non_ascii_reads_as_the_characters() {
    let env = TestEnv::repo();
    let row = "0b5f3c1e-8a2d-4c7b-9e1f-2a3b4c5d6e7f,T,h,m,1.0,2.0,running,0,,,\"[{\"\"at\"\":\"\"2026-01-05T09:00:00Z\"\",\"\"who\"\":\"\"Zo\\u00eb\"\",\"\"note\"\":\"\"caf\\u00e9 \\ud83d\\ude00\"\"}]\"\r\n";
    let file = input(&env, "escaped.csv", &format!("{HEADER}{row}"));
    env.ok(&["import", &file]);
    let record = env.record("experiments/t.yaml");
    assert_eq!(record.decision_log[0].who.as_deref(), Some("Zoë"));
    assert_eq!(record.decision_log[0].note, "café 😀");
    assert_eq!(record.decision_log[0].at, "2026-01-05T09:00:00Z");
}

#[test]
fn origin_json_and_xp_exports_come_across_the_same() {
    let origin = TestEnv::repo();
    let file = input(&origin, "origin.csv", &origin_csv());
    origin.ok(&["import", &file]);
    for format in ["json", "jsonl"] {
        let exported = origin.ok(&["export", "--format", format]);
        let env = TestEnv::repo();
        let file = input(&env, &format!("xp.{format}"), &exported);
        env.ok(&["import", &file]);
        assert_eq!(env.ok(&["export", "--format", format]), exported);
        assert_eq!(env.ok(&["export"]), origin_csv(), "{format}");
        assert_eq!(env.commit_count(), 3);
    }

    // The origin's `GET /experiments`: floats with their fraction, nulls, no derived keys.
    let env = TestEnv::repo();
    let list = r#"[{"id":"3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58","title":"Homepage CTA Color","hypothesis":"Changing CTA button from blue to green increases signups by 15%","primary_metric":"signup_rate","baseline":3.2,"target":3.7,"status":"running","confidence":0,"decision":null,"learning":null,"decision_log":[{"at":"2026-02-22T18:30:00.000Z","who":"alice","note":"Launched to 10% of users"},{"at":"2026-02-22T18:45:00.000Z","who":"bob","note":"p-value dropped below 0.05 after 3 days"}]}]"#;
    let file = input(&env, "list.json", list);
    env.ok(&["import", &file]);
    let record = env.record("experiments/homepage-cta-color.yaml");
    assert_eq!(record.decision_log.len(), 2);
    assert_eq!(
        env.ok(&["export"]),
        format!(
            "{HEADER}3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58,Homepage CTA Color,Changing CTA button from blue to green increases signups by 15%,signup_rate,3.2,3.7,running,0,,,\"[{{\"\"at\"\":\"\"2026-02-22T18:30:00.000Z\"\",\"\"who\"\":\"\"alice\"\",\"\"note\"\":\"\"Launched to 10% of users\"\"}},{{\"\"at\"\":\"\"2026-02-22T18:45:00.000Z\"\",\"\"who\"\":\"\"bob\"\",\"\"note\"\":\"\"p-value dropped below 0.05 after 3 days\"\"}}]\"\r\n"
        )
    );
}

#[test]
fn from_url_fetches_the_list_of_a_running_service() {
    let origin = TestEnv::repo();
    let file = input(&origin, "origin.csv", &origin_csv());
    origin.ok(&["import", &file]);
    let server = Server::start(&origin, &["--read-only"]);
    let env = TestEnv::repo();
    let url = format!("http://{}", server.addr);
    let run = env.xp(&["import", "--from-url", &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.ends_with(&format!(
            "imported 3 experiments (3 commits) from {url}/experiments\n"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(env.ok(&["export"]), origin_csv());

    let run = env.xp(&["import", "--from-url", &format!("{url}/nothing-here")]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("answered 404"), "{}", run.stderr);
    drop(server);
    let run = env.xp(&["import", "--from-url", "https://example.com"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not an http:// address"),
        "{}",
        run.stderr
    );
}

/// Every problem of every row, each at its row and column with the rule `xp check` names.
const HOSTILE: &str = concat!(
    "id,title,hypothesis,primary_metric,baseline,target,status,confidence,decision,learning,decision_log,Notes\r\n",
    "00000000-0000-4000-8000-000000000001,Fine,h,m,1.0,2.0,draft,0,,,[],ok\r\n",
    "00000000-0000-4000-8000-000000000002,TITLE201,h,m,1.0,2.0,draft,0,,,[],\r\n",
    "00000000-0000-4000-8000-000000000003,Below,h,m,3.2,3.0,draft,0,,,[],\r\n",
    "00000000-0000-4000-8000-000000000001,Twice,h,m,1.0,2.0,draft,0,,,[],\r\n",
    "00000000-0000-4000-8000-000000000004,Broken log,h,m,1,2,draft,0,,,\"[{\"\"at\"\": \",\r\n",
    "00000000-0000-4000-8000-000000000005,Many,\" \",m,abc,2,shipped,150,maybe,,\"[{\"\"at\"\":\"\"yesterday\"\",\"\"note\"\":\"\"\"\"}]\",\r\n",
    "not-a-uuid,Id,h,m,1,2,completed,0,,,[],\r\n",
);

fn hostile() -> String {
    HOSTILE.replace("TITLE201", &"x".repeat(201))
}

#[test]
fn every_problem_of_every_row_is_reported_and_nothing_is_written() {
    let mut env = TestEnv::repo();
    env.pin_ids();
    env.new_cta();
    let before = env.snapshot();
    env.write("../hostile.csv", &hostile());
    assert_xp_snapshot!(env, &["import", "../hostile.csv"]);
    assert_eq!(env.snapshot(), before, "nothing written");

    // The valid rows go in with --skip-invalid; the others are reported.
    env.write("../hostile.csv", &hostile());
    let run = env.xp(&[
        "import",
        "../hostile.csv",
        "--skip-invalid",
        "--ignore",
        "Notes",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "00000000-0000-4000-8000-000000000001 experiments/fine.yaml\n"
    );
    assert!(
        run.stderr
            .ends_with("imported 1 experiment (1 commit), 6 rows left out for 12 problems from ../hostile.csv\n"),
        "{}",
        run.stderr
    );
    assert_eq!(env.commit_count(), 2);
}

#[test]
fn text_a_terminal_or_spreadsheet_would_act_on_is_kept_as_written() {
    let env = TestEnv::repo();
    let title = "=HYPERLINK(\"http://x\",\"y\")";
    let hypothesis = "+1 \u{1b}[31mred\u{1b}[0m \u{0} \u{7f}\u{85}\u{202e}";
    let json = serde_json::json!([{
        "id": "00000000-0000-4000-8000-0000000000aa",
        "title": title,
        "hypothesis": hypothesis,
        "primary_metric": "@SUM(A1)",
        "baseline": -1.5,
        "target": -0.5,
        "decision_log": [{"at": "2026-01-01T00:00:00.000Z", "who": "-x", "note": "\u{0}\r\n\t\u{1}"}],
    }]);
    let file = input(&env, "odd.json", &json.to_string());
    let run = env.xp(&["import", &file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains('\u{1b}') && !run.stderr.contains('\u{1b}'));
    let record = env.record("experiments/hyperlink-http-x-y.yaml");
    assert_eq!(record.title, title);
    assert_eq!(record.hypothesis, hypothesis);
    assert_eq!(record.primary_metric, "@SUM(A1)");
    assert_eq!(record.decision_log[0].note, "\u{0}\r\n\t\u{1}");
    // Through CSV too, plain and as `--excel` writes it (its `'` guards removed again).
    for flags in [&[][..], &["--excel"][..]] {
        let mut args = vec!["export"];
        args.extend_from_slice(flags);
        let csv = env.ok(&args);
        let other = TestEnv::repo();
        let file = input(&other, "odd.csv", &csv);
        other.ok(&["import", &file]);
        assert_eq!(
            other.record("experiments/hyperlink-http-x-y.yaml"),
            record,
            "{flags:?}"
        );
    }
}

#[test]
fn running_the_same_import_again_changes_nothing() {
    let env = TestEnv::repo();
    let file = input(&env, "origin.csv", &origin_csv());
    env.ok(&["import", &file]);
    let before = env.snapshot();
    let run = env.xp(&["import", &file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.ends_with(&format!(
            "imported 0 experiments, 3 already present from {file}\n"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(env.snapshot(), before);

    // A record changed since is left as it is, and the difference said.
    env.ok(&["note", "beta-onboarding", "later"]);
    let before = env.snapshot();
    let run = env.xp(&["import", &file]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains(
            "id 1c6a4d2f-9b3e-4d8c-8f2a-3b4c5d6e7f80 is already in experiments/beta-onboarding.yaml (left as it is there; the input differs)"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_dry_run_says_what_would_be_created_and_writes_nothing() {
    let env = TestEnv::repo();
    env.experiment("Alpha checkout").create();
    let before = env.snapshot();
    env.write("../origin.csv", &origin_csv());
    assert_xp_snapshot!(env, &["import", "--dry-run", "../origin.csv"]);
    assert_eq!(env.snapshot(), before);
    // The real run gives the same names: the slug taken gets `-2`, as with `xp new`.
    let run = env.xp(&["import", "../origin.csv"]);
    assert!(
        run.stdout
            .contains("0b5f3c1e-8a2d-4c7b-9e1f-2a3b4c5d6e7f experiments/alpha-checkout-2.yaml"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_spreadsheet_maps_its_columns_and_gets_ids_from_its_rows() {
    let env = TestEnv::repo();
    let sheet = "Name,Idea,Metric,From,To,Stage,Comments\n\
                 Bigger button,Bigger is better,clicks,10,12,running,call Bob\n\
                 Shorter form,Fewer fields,signups,0.3,0.35,draft,\n";
    env.write("../sheet.csv", sheet);
    let run = env.xp(&[
        "import",
        "../sheet.csv",
        "--map",
        "title=Name,hypothesis=Idea,primary_metric=Metric",
        "--map",
        "baseline=From,target=To,status=Stage",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "../sheet.csv: row 1, column 7 (Comments): error[unknown-column]: unknown column `Comments`\n  \
         hint: map it with --map KEY=Comments, or leave it out with --ignore Comments\n\
         error: 1 problem; nothing was imported\n\
         hint: fix each place named above and run the import again, or add --skip-invalid to import the valid rows\n"
    );
    let mut args = vec![
        "import",
        "../sheet.csv",
        "--map",
        "title=Name,hypothesis=Idea,primary_metric=Metric",
        "--map",
        "baseline=From,target=To,status=Stage",
        "--ignore",
        "Comments",
    ];
    let first = env.ok(&args);
    assert_eq!(env.commit_count(), 2);
    let record = env.record("experiments/bigger-button.yaml");
    assert_eq!((record.baseline, record.target), (10.0, 12.0));
    assert_eq!(first.lines().count(), 2);
    // The ids are made from the rows, so the same sheet again finds them present.
    let run = env.xp(&args);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("2 already present"), "{}", run.stderr);
    args.push("--dry-run");
    assert_eq!(env.xp(&args).stdout, "");
    let run = env.xp(&["import", "../sheet.csv", "--map", "titel=Name"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`titel` is not a key"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_50_mb_file_is_answered_in_bounded_time() {
    let env = TestEnv::repo();
    let big = format!(
        "{HEADER}00000000-0000-4000-8000-000000000001,{},h,m,1,2,draft,0,,,[]\r\n",
        "A".repeat(50 << 20)
    );
    let file = input(&env, "big.csv", &big);
    let started = Instant::now();
    let run = env.xp(&["import", &file]);
    assert_eq!(run.code, 1);
    assert!(started.elapsed() < Duration::from_secs(30));
    // One problem said in one line, not the 50 MB cell echoed back.
    assert_eq!(
        run.stderr,
        format!(
            "{file}: row 2: error[yaml-syntax]: this experiment would be a file of 52428958 \
             bytes; experiment files are at most 4194304\n\
             error: 1 problem in 1 of 1 row; nothing was imported\n\
             hint: fix each place named above and run the import again, or add --skip-invalid \
             to import the valid rows\n"
        )
    );
    assert_eq!(env.commit_count(), 0);
    assert!(!env.path("experiments").exists() || env.files_under("experiments").is_empty());
}

/// `n` valid experiments in the origin's CSV, titles chosen so slugs collide sometimes.
fn many(n: usize) -> String {
    let mut text = HEADER.to_owned();
    for i in 0..n {
        text.push_str(&format!(
            "{:08x}-0000-4000-8000-{:012x},Experiment {},Hypothesis {i},m,1.0,2.0,running,0,,,\"[{{\"\"at\"\":\"\"2026-01-01T00:00:00.000Z\"\",\"\"who\"\":\"\"a\"\",\"\"note\"\":\"\"n{i}\"\"}}]\"\r\n",
            i,
            i,
            i % 250
        ));
    }
    text
}

/// After a finished import of `n` rows beside one record made by `xp new`: each experiment
/// once, in one commit of its own, the work tree clean, the repository sound.
fn assert_all_imported(env: &TestEnv, n: usize) {
    let files = env.files_under("experiments");
    assert_eq!(files.len(), n + 1);
    let mut ids: Vec<String> = files.iter().map(|(_, b)| record_of(b).id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n + 1, "an id twice");
    let imports = subjects(env)
        .iter()
        .filter(|s| s.starts_with("xp: import "))
        .count();
    assert_eq!(imports, n, "one commit per experiment");
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    for lock in [".git/index.lock", ".git/refs/heads/main.lock"] {
        assert!(!env.path(lock).exists(), "{lock} left behind");
    }
    let journals = env
        .files_under(".git")
        .into_iter()
        .filter(|(name, _)| name.contains("xp-journal"))
        .count();
    assert_eq!(journals, 0);
    let scratch = env
        .files_under(".git/objects/pack")
        .into_iter()
        .filter(|(name, _)| name.contains("tmp_"))
        .count();
    assert_eq!(scratch, 0, "a half-written pack left behind");
    // Packs are read-only, as git leaves its own.
    for entry in std::fs::read_dir(env.path(".git/objects/pack")).unwrap() {
        let entry = entry.unwrap();
        assert!(
            entry.metadata().unwrap().permissions().readonly(),
            "{:?} is writable",
            entry.file_name()
        );
    }
    env.fsck();
}

#[test]
fn an_import_stopped_at_each_point_leaves_whole_records_and_a_rerun_finishes() {
    const N: usize = 40;
    for point in ["import-half", "before-index", "before-swap", "after-swap"] {
        let mut env = TestEnv::repo();
        env.new_cta();
        let file = input(&env, "many.csv", &many(N));
        env.vars.push(("XP_TEST_FAULT".into(), point.into()));
        let run = env.xp(&["import", &file]);
        env.vars.clear();
        assert_eq!(run.code, -1, "{point}: killed: {}", run.stderr);
        for (name, bytes) in env.files_under("experiments") {
            assert!(name.ends_with(".yaml"), "{point}: {name} left behind");
            record_of(&bytes);
        }
        env.fsck();
        let run = env.xp(&["import", &file]);
        assert_eq!(run.code, 0, "{point}: {}", run.stderr);
        assert_all_imported(&env, N);
    }
}

#[test]
fn an_import_killed_at_random_moments_leaves_whole_records_and_a_rerun_finishes() {
    const N: usize = 300;
    let text = many(N);
    // How long a whole import takes here, so that the kills spread over its life.
    let life = {
        let env = TestEnv::repo();
        let file = input(&env, "many.csv", &text);
        let started = Instant::now();
        env.ok(&["import", &file]);
        started.elapsed().as_micros() as u64
    };
    let mut rng = Rng::from_env("import kills");
    for round in 0..4 * soak() {
        let env = TestEnv::repo();
        env.new_cta();
        let file = input(&env, "many.csv", &text);
        let mut child = env.xp_spawn(&["import", &file]);
        thread::sleep(Duration::from_micros(rng.below(life)));
        let _ = child.kill();
        child.wait().unwrap();
        for (name, bytes) in env.files_under("experiments") {
            assert!(name.ends_with(".yaml"), "round {round}: {name} left behind");
            record_of(&bytes);
        }
        env.fsck();
        let run = env.xp(&["import", &file]);
        assert_eq!(run.code, 0, "round {round}: {}", run.stderr);
        assert_all_imported(&env, N);
    }
}

#[test]
fn the_server_imports_what_another_lists_with_the_same_rules() {
    let origin = TestEnv::repo();
    let file = input(&origin, "origin.csv", &origin_csv());
    origin.ok(&["import", &file]);
    let source = Server::start(&origin, &["--read-only"]);
    let listed = source.get("/experiments").expect(200);
    // A read-only server takes no import.
    let refused = source.raw(
        "POST",
        "/experiments/import",
        &[("Host", &source.addr), ("Content-Type", "application/json")],
        &listed.body,
    );
    assert_eq!(refused.status, 405, "{}", refused.text());

    let env = TestEnv::repo();
    let server = Server::start(&env, &[]);
    let send = |body: &[u8]| {
        server.raw(
            "POST",
            "/experiments/import",
            &[("Host", &server.addr), ("Content-Type", "application/json")],
            body,
        )
    };
    let answer = send(&listed.body).expect(200).json();
    assert_eq!(answer["created"].as_array().unwrap().len(), 3, "{answer}");
    assert_eq!(
        subjects(&env),
        [
            "xp: import gamma-pricing",
            "xp: import beta-onboarding",
            "xp: import alpha-checkout",
        ]
    );
    // The same bytes as the origin's CSV, through the server's list and import.
    assert_eq!(env.ok(&["export"]), origin_csv());
    assert_eq!(
        env.git(&["log", "-1", "--format=%ad", "--date=iso-strict", "HEAD~2"]),
        "2026-01-05T09:00:00Z\n"
    );
    // Again: nothing changes.
    let before = env.snapshot();
    let again = send(&listed.body).expect(200).json();
    assert_eq!(again["created"], serde_json::json!([]));
    assert_eq!(again["present"].as_array().unwrap().len(), 3);
    assert_eq!(env.snapshot(), before);
    // A key given twice in an item is refused, as for any write, and nothing is written.
    let twice = send(br#"[{"title": "a", "title": "b"}]"#);
    assert_eq!(twice.status, 422, "{}", twice.text());
    assert_eq!(
        twice.json()["detail"][0]["loc"],
        serde_json::json!(["body", 0, "title"])
    );
    assert_eq!(env.snapshot(), before);
    // A body that is no list of experiments is said to be so; GET is not this route's.
    let lone = send(b"5").json();
    assert_eq!(
        lone["detail"],
        serde_json::json!([{"type": "json-syntax", "loc": ["body"], "msg": "the JSON is a number; experiments are an array of objects", "input": 5}])
    );
    let got = server.get("/experiments/import");
    assert_eq!((got.status, got.header("allow")), (405, Some("POST")));

    // On a detached HEAD the commits would be on no branch: refused, as every server write.
    let head = env.git(&["rev-parse", "HEAD"]);
    env.git(&["checkout", "-q", "--detach", head.trim()]);
    let before = env.snapshot();
    let body = br#"[{"title": "Detached", "hypothesis": "h", "primary_metric": "m", "baseline": 1, "target": 2}]"#;
    let refused = send(body);
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert!(
        refused.text().contains("HEAD is detached"),
        "{}",
        refused.text()
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn standard_input_is_read_and_format_forces_what_the_content_would_not_say() {
    use std::io::Write;
    use std::process::Stdio;
    let env = TestEnv::repo();
    let mut child = env
        .xp_cmd(&["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(origin_csv().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.ends_with("imported 3 experiments (3 commits) from <stdin>\n"),
        "{stderr}"
    );
    assert_eq!(env.ok(&["export"]), origin_csv());

    // A sheet whose first column's name starts with `[` looks like JSON; --format says CSV.
    let sheet =
        "[Name],hypothesis,primary_metric,baseline,target\nBig button,Bigger,clicks,10,12\n";
    let file = input(&env, "sheet.csv", sheet);
    let run = env.xp(&["import", &file, "--map", "title=[Name]"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with(&format!("{file}: line 1, column 2: error[json-syntax]: ")),
        "{}",
        run.stderr
    );
    let run = env.xp(&["import", &file, "--format", "csv", "--map", "title=[Name]"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(env.record("experiments/big-button.yaml").target, 12.0);
}

/// A one-shot HTTP server on 127.0.0.1 (an ephemeral port): each connection gets the next
/// answer, given whole; the requests' heads come back when it is joined.
fn tiny_server(answers: Vec<Vec<u8>>) -> (String, thread::JoinHandle<Vec<String>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let mut heads = Vec::new();
        for answer in answers {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                head.push(byte[0]);
            }
            heads.push(String::from_utf8_lossy(&head).into_owned());
            stream.write_all(&answer).unwrap();
        }
        heads
    });
    (addr, handle)
}

#[test]
fn from_url_reads_the_origins_answer_and_follows_nothing_else() {
    let env = TestEnv::repo();
    // The origin's `GET /experiments` as uvicorn sends it: chunked, floats with a fraction,
    // null who, learning and decision.
    let list = r#"[{"id":"3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58","title":"Homepage CTA Color","hypothesis":"Green converts","primary_metric":"signup_rate","baseline":3.2,"target":3.7,"status":"running","confidence":0,"decision":null,"learning":null,"decision_log":[{"at":"2026-02-22T18:30:00.000Z","who":null,"note":"Launched"}]}]"#;
    let (first, rest) = list.split_at(100);
    let chunked = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{first}\r\n{:x}\r\n{rest}\r\n0\r\n\r\n",
        first.len(),
        rest.len()
    );
    let redirect = b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://10.0.0.1/experiments\r\ncontent-length: 0\r\n\r\n".to_vec();
    let failing = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 21\r\n\r\nboom \x1b[31mred\x1b[0m ok!".to_vec();
    let (addr, server) = tiny_server(vec![chunked.into_bytes(), redirect, failing]);

    let run = env.xp(&["import", "--from-url", &format!("http://{addr}/api")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = env.record("experiments/homepage-cta-color.yaml");
    assert_eq!((record.baseline, record.target), (3.2, 3.7));
    assert_eq!(record.decision_log[0].who, None);

    let run = env.xp(&["import", "--from-url", &format!("http://{addr}")]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!(
            "{addr} answered 307 (a redirect to http://10.0.0.1/experiments, which xp does not follow)"
        )),
        "{}",
        run.stderr
    );
    let run = env.xp(&["import", "--from-url", &format!("http://{addr}")]);
    assert_eq!(run.code, 1);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{addr} answered 500")),
        "{}",
        run.stderr
    );

    let heads = server.join().unwrap();
    assert_eq!(heads.len(), 3, "one request each, no redirect followed");
    assert!(
        heads[0].starts_with("GET /api/experiments HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
    assert!(
        heads[0].contains(&format!("\r\nHost: {addr}\r\n")),
        "{}",
        heads[0]
    );
    assert!(
        heads[0].contains("\r\nAccept: application/json\r\n"),
        "{}",
        heads[0]
    );
    assert!(
        heads[1].starts_with("GET /experiments HTTP/1.1\r\n"),
        "{}",
        heads[1]
    );
    assert_eq!(env.commit_count(), 1);
}

#[test]
fn a_key_given_twice_in_json_is_refused_not_half_read() {
    let env = TestEnv::repo();
    let item = r#"{"title": "First", "hypothesis": "h", "primary_metric": "m", "baseline": 1, "target": 2, "title": "Second", "decision_log": [{"at": "2026-01-01T00:00:00Z", "note": "a", "note": "b"}]}"#;
    let file = input(&env, "twice.json", &format!("[{item}]"));
    let run = env.xp(&["import", &file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "{file}: $[0].title: error[json-syntax]: the key `title` is given twice in one object; JSON keeps only the last\n  \
             hint: give each key once\n\
             {file}: $[0].decision_log[0].note: error[json-syntax]: the key `note` is given twice in one object; JSON keeps only the last\n  \
             hint: give each key once\n\
             error: 2 problems in 1 of 1 row; nothing was imported\n\
             hint: fix each place named above and run the import again, or add --skip-invalid to import the valid rows\n"
        )
    );
    let file = input(&env, "twice.jsonl", &format!("{item}\n{item}\n"));
    let run = env.xp(&["import", &file, "--format", "jsonl"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{file}: line 2: .title: error[json-syntax]: the key `title` is given twice"
        )),
        "{}",
        run.stderr
    );
    // In a CSV's log cell too.
    let row = "00000000-0000-4000-8000-000000000001,T,h,m,1,2,running,0,,,\"[{\"\"at\"\":\"\"2026-01-01T00:00:00Z\"\",\"\"note\"\":\"\"a\"\",\"\"note\"\":\"\"b\"\"}]\"\r\n";
    let file = input(&env, "twice.csv", &format!("{HEADER}{row}"));
    let run = env.xp(&["import", &file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "{file}: row 2, column 11 (decision_log): error[json-syntax]: `decision_log` gives the key `note` twice in one object (at decision_log[0].note); JSON keeps only the last\n"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(env.commit_count(), 0);
}
