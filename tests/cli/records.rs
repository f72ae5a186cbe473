//! Creating, finding, listing, showing and checking records, outside git.

use std::io::Write;

use crate::support::{ID_PATTERN, TestEnv};

#[test]
fn new_names_the_file_from_the_title_and_writes_keys_in_order() {
    let env = TestEnv::plain();
    let out = env
        .experiment("Homepage CTA Color!")
        .hypothesis("Green wins")
        .metric("signup_rate")
        .baseline(3.2)
        .target(3.7)
        .tag("no")
        .owner("growth")
        .loud()
        .ok();
    let (id, path) = out.trim().split_once(' ').unwrap();
    assert_eq!(path, "experiments/homepage-cta-color.yaml");
    let text = env.read(path);
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(['-', ' ']))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "title",
            "hypothesis",
            "primary_metric",
            "baseline",
            "target",
            "status",
            "confidence",
            "decision",
            "learning",
            "owner",
            "tags",
            "decision_log"
        ]
    );
    assert!(text.starts_with(&format!("id: {id}\ntitle: Homepage CTA Color!\n")));
    assert!(text.contains("tags:\n- \"no\"\n"), "{text}");
    assert!(text.ends_with("decision_log:\n"));
    assert!(regex_lite(id));
}

fn regex_lite(id: &str) -> bool {
    // A UUID v4: version nibble 4, variant 8..b.
    id.len() == 36
        && id.as_bytes()[14] == b'4'
        && matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b')
        && ID_PATTERN.starts_with("[0-9a-f]{8}")
}

#[test]
fn slugs_get_numbered_on_collision() {
    let env = TestEnv::plain();
    env.new_cta();
    let second = env
        .experiment("homepage  cta COLOR")
        .hypothesis("h")
        .loud()
        .ok();
    assert!(
        second
            .trim()
            .ends_with("experiments/homepage-cta-color-2.yaml")
    );
}

#[test]
fn new_from_the_seed_payload_file_and_stdin() {
    let env = TestEnv::plain();
    let payload = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/payload.json");
    let out = env.ok(&["new", "--from", payload.to_str().unwrap()]);
    assert!(out.trim().ends_with("experiments/homepage-cta-color.yaml"));
    let text = env.read("experiments/homepage-cta-color.yaml");
    assert!(
        text.contains("baseline: 3.2\ntarget: 3.7\nstatus: draft\n"),
        "{text}"
    );

    let mut cmd = env.xp_cmd(&["new", "--from", "-"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"title: From stdin\nhypothesis: h\nprimary_metric: m\nbaseline: 1\ntarget: 2\ntags: [a]\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        env.read("experiments/from-stdin.yaml")
            .contains("tags:\n- a\n")
    );
}

#[test]
fn new_from_a_bad_payload_points_into_the_payload_and_writes_nothing() {
    let env = TestEnv::plain();
    env.write("p.json", "{\"title\": \"T\", \"hypothesis\": \"h\",\n \"primary_metric\": \"m\", \"baseline\": \"3.2\", \"target\": 3, \"stauts\": \"x\"}\n");
    let run = env.xp(&["new", "--from", "p.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("p.json:2:"), "{}", run.stderr);
    assert!(run.stderr.contains("error[wrong-type]"), "{}", run.stderr);
    assert!(run.stderr.contains("error[unknown-key]"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `status`?"),
        "{}",
        run.stderr
    );
    assert!(
        !env.path("experiments").exists()
            || std::fs::read_dir(env.path("experiments")).unwrap().count() == 0
    );
}

#[test]
fn new_refuses_a_record_that_breaks_a_rule() {
    let env = TestEnv::plain();
    let run = env
        .experiment("T")
        .hypothesis("h")
        .set("baseline", "3")
        .loud()
        .run();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("error[target-vs-baseline]"),
        "{}",
        run.stderr
    );
    assert!(!env.path("experiments/t.yaml").exists());
    let run = env.xp(&["new", "--title", "T"]);
    assert_eq!(run.code, 2, "missing flags are bad usage");
}

#[test]
fn refs_resolve_by_id_prefix_slug_and_path() {
    let env = TestEnv::repo();
    let id = env.new_cta();
    for reference in [
        id.as_str(),
        &id[..4],
        &id[..10],
        &id.to_uppercase(),
        "homepage-cta-color",
        "experiments/homepage-cta-color.yaml",
    ] {
        let out = env.ok(&["show", reference, "--format", "json"]);
        assert!(out.contains(&id), "{reference}");
    }
    let sub = env.path("experiments");
    let run = env.xp_in(
        &sub,
        &["show", "homepage-cta-color.yaml", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn ids_are_found_through_the_index_and_checked_against_the_files() {
    let env = TestEnv::repo();
    let ids = [
        ("one", "aaaa1111-0000-4000-8000-000000000001"),
        ("two", "aaaa2222-0000-4000-8000-000000000002"),
        ("three", "bbbb3333-0000-4000-8000-000000000003"),
    ];
    let settle = |slug: &str| {
        let status = std::process::Command::new("touch")
            .args(["-d", "2020-01-01T00:00:00"])
            .arg(env.path(&format!("experiments/{slug}.yaml")))
            .status()
            .unwrap();
        assert!(status.success());
    };
    for (slug, id) in ids {
        env.write(
            &format!("experiments/{slug}.yaml"),
            &format!("id: {id}\ntitle: {slug}\nhypothesis: h\nprimary_metric: m\nbaseline: 1\ntarget: 2\n"),
        );
        settle(slug);
    }
    let title = |reference: &str| {
        let out = env.ok(&["show", reference, "--format", "json"]);
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["title"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(title("bbbb"), "three");
    let index = env.read(".git/xp-ids");
    assert_eq!(
        index.lines().filter(|l| !l.contains("\t/")).count(),
        4,
        "a header and a line per file: {index}"
    );
    // From the index: the same answers as from the files.
    assert_eq!(title("BBBB3333-0000-4000-8000-000000000003"), "three");
    assert_eq!(title("aaaa2"), "two");
    let run = env.xp(&["show", "aaaa"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("matches 2 experiments"),
        "{}",
        run.stderr
    );
    assert_eq!(env.xp(&["show", "cccc"]).code, 1);

    // A file changed in place, its size and modification time kept, is read again.
    let rel = "experiments/three.yaml";
    let text = env.read(rel).replace("bbbb3333", "cccc3333");
    std::fs::OpenOptions::new()
        .write(true)
        .open(env.path(rel))
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    settle("three");
    assert_eq!(title("cccc"), "three");
    assert_eq!(env.xp(&["show", "bbbb"]).code, 1);

    // An index that names the wrong file is caught by reading the file it names.
    let swapped = env
        .read(".git/xp-ids")
        .replace("aaaa1111", "swap")
        .replace("aaaa2222", "aaaa1111")
        .replace("swap", "aaaa2222");
    env.write(".git/xp-ids", &swapped);
    assert_eq!(title("aaaa1111"), "one");
    assert_eq!(title("aaaa2222"), "two");
    // One that is not an index at all is ignored.
    env.write(".git/xp-ids", "xp-ids 1\nnonsense\n");
    assert_eq!(title("aaaa1"), "one");
}

/// While no folder of the experiments changed, an id is looked for in the index's lines
/// alone; a file added, moved or removed changes a folder, and an id the index does not know
/// is looked for through every file.
#[test]
fn ids_are_found_from_the_index_alone_while_the_folders_are_unchanged() {
    let env = TestEnv::repo();
    let settle = |rel: &str| {
        let status = std::process::Command::new("touch")
            .args(["-d", "2020-01-01T00:00:00"])
            .arg(env.path(rel))
            .status()
            .unwrap();
        assert!(status.success());
    };
    let record = |id: &str, title: &str| {
        format!(
            "id: {id}\ntitle: {title}\nhypothesis: h\nprimary_metric: m\nbaseline: 1\ntarget: 2\n"
        )
    };
    for (slug, id) in [
        ("one", "aaaa1111-0000-4000-8000-000000000001"),
        ("two", "aaaa2222-0000-4000-8000-000000000002"),
        ("three", "bbbb3333-0000-4000-8000-000000000003"),
    ] {
        env.write(&format!("experiments/{slug}.yaml"), &record(id, slug));
        settle(&format!("experiments/{slug}.yaml"));
    }
    settle("experiments");
    let title = |reference: &str| {
        let run = env.xp(&["show", reference, "--format", "json"]);
        if run.code != 0 {
            return run.stderr;
        }
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()["title"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(title("bbbb"), "three");
    assert!(
        env.read(".git/xp-ids").contains("\tfolder\t/\n"),
        "the settled folder's stamp is kept: {}",
        env.read(".git/xp-ids")
    );
    assert_eq!(title("aaaa2"), "two");
    assert!(title("aaaa").contains("matches 2 experiments"));

    // Rewritten in place (same size, same time), `two` now holds an id that `bbbb` also
    // starts: the folder did not change, so the index alone answers `bbbb` with `three`
    // (the one case it cannot see); the new id itself is not in the index, so it is looked
    // for through every file, which writes the index again.
    let text = record("bbbb2222-0000-4000-8000-000000000002", "two");
    std::fs::OpenOptions::new()
        .write(true)
        .open(env.path("experiments/two.yaml"))
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    settle("experiments/two.yaml");
    assert_eq!(title("bbbb"), "three");
    assert_eq!(title("bbbb2"), "two");
    assert!(title("bbbb").contains("matches 2 experiments"));
    assert!(
        title("aaaa2").contains("no experiment"),
        "{}",
        title("aaaa2")
    );

    // A file added, moved into a folder, or removed changes a folder: found as it is now.
    env.write(
        "experiments/four.yaml",
        &record("cccc4444-0000-4000-8000-000000000004", "four"),
    );
    assert_eq!(title("cccc"), "four");
    settle("experiments");
    assert_eq!(title("cccc"), "four");
    std::fs::create_dir(env.path("experiments/old")).unwrap();
    std::fs::rename(
        env.path("experiments/one.yaml"),
        env.path("experiments/old/one.yaml"),
    )
    .unwrap();
    assert_eq!(title("aaaa1"), "one");
    std::fs::remove_file(env.path("experiments/four.yaml")).unwrap();
    assert!(title("cccc").contains("no experiment"), "{}", title("cccc"));

    // A file in a folder below named like an id is a slug, and a slug comes first, also
    // while the index alone could answer.
    env.write(
        "experiments/old/bbbb2.yaml",
        &record("eeee5555-0000-4000-8000-000000000005", "slugged"),
    );
    for rel in [
        "experiments/old/bbbb2.yaml",
        "experiments/old",
        "experiments",
    ] {
        settle(rel);
    }
    assert_eq!(title("eeee"), "slugged");
    assert!(env.read(".git/xp-ids").contains("\tfolder\t/old/\n"));
    assert_eq!(title("bbbb2"), "slugged");
    assert_eq!(title("bbbb22"), "two");
}

#[test]
fn ambiguous_and_unknown_refs_list_candidates() {
    let env = TestEnv::plain();
    let a = "aaaa1111-0000-4000-8000-000000000001";
    let b = "aaaa2222-0000-4000-8000-000000000002";
    for (slug, id) in [("one", a), ("two", b)] {
        env.write(
            &format!("experiments/{slug}.yaml"),
            &format!("id: {id}\ntitle: {slug}\nhypothesis: h\nprimary_metric: m\nbaseline: 1\ntarget: 2\n"),
        );
    }
    let run = env.xp(&["show", "aaaa"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("matches 2 experiments"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("aaaa1111  one  one") && run.stderr.contains("aaaa2222  two"));
    assert_eq!(env.xp(&["show", "aaaa1"]).code, 0);
    let run = env.xp(&["show", "onw"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no experiment matches `onw`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("one"), "{}", run.stderr);
    let run = env.xp(&["show", "aaa"]);
    assert!(
        run.stderr.contains("at least 4 characters"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_reports_every_problem_in_every_file_at_once() {
    let env = TestEnv::plain();
    for name in ["every-rule", "target-below", "not-yaml", "duplicate-id"] {
        env.fixture(
            &format!("broken/{name}.yaml"),
            &format!("experiments/{name}.yaml"),
        );
    }
    env.fixture(
        "valid/homepage-cta-color.yaml",
        "experiments/homepage-cta-color.yaml",
    );
    let run = env.xp(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mut rules: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rule"].as_str().unwrap().to_owned())
        .collect();
    rules.sort();
    rules.dedup();
    assert_eq!(
        rules,
        [
            "bad-decision",
            "bad-log-entry",
            "bad-status",
            "confidence-range",
            "decision-required",
            "duplicate-id",
            "empty-field",
            "log-order",
            "shipped-needs-ship",
            "target-vs-baseline",
            "title-length",
            "unknown-key",
            "wrong-type",
            "yaml-syntax"
        ]
    );
    assert_eq!(report["files"], 5);
    for p in report["problems"].as_array().unwrap() {
        assert!(p["line"].as_u64().unwrap() >= 1 && p["column"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn check_is_silent_on_success_and_counts_with_verbose() {
    let env = TestEnv::plain();
    env.fixture("valid/homepage-cta-color.yaml", "experiments/a.yaml");
    env.fixture("valid/checkout-latency.yaml", "experiments/b.yml");
    env.write("experiments/notes.txt", "not a record");
    env.write("experiments/.draft.yaml", "not: [valid");
    let run = env.xp(&["check"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
    let run = env.xp(&["check", "-v"]);
    assert!(
        run.stderr.contains("2 experiment file(s) checked"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_accepts_paths() {
    let env = TestEnv::plain();
    env.fixture("broken/target-below.yaml", "elsewhere/x.yaml");
    env.fixture("valid/homepage-cta-color.yaml", "experiments/a.yaml");
    assert_eq!(env.xp(&["check"]).code, 0);
    let run = env.xp(&["check", "elsewhere"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("elsewhere/x.yaml:6:9: error[target-vs-baseline]"),
        "{}",
        run.stdout
    );
    assert_eq!(env.xp(&["check", "experiments/a.yaml"]).code, 0);
}

#[test]
fn list_filters_and_formats() {
    let env = TestEnv::plain();
    env.fixture("valid/homepage-cta-color.yaml", "experiments/a.yaml");
    env.fixture("valid/checkout-latency.yaml", "experiments/b.yaml");
    let table = env.ok(&["list"]);
    assert_eq!(
        table,
        "3f9c2a71  completed  ship   96  Homepage CTA Color\n\
         9b2e4c10  running    -      40  Checkout latency: lazy-load reviews\n"
    );
    assert_eq!(
        env.ok(&["list", "--status", "running", "--format", "ids"]),
        "9b2e4c10-7a3d-4f5e-8b1c-2d3e4f5a6b7c\n"
    );
    assert_eq!(
        env.ok(&["list", "--tag", "homepage", "--format", "ids"])
            .lines()
            .count(),
        1
    );
    assert_eq!(env.ok(&["list", "--decision", "kill"]), "");
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["list", "--format", "json"])).unwrap();
    assert_eq!(json[1]["path"], "experiments/b.yaml");
    assert_eq!(json[0]["decision"], "ship");
}

#[test]
fn list_with_a_broken_file_lists_the_rest_and_fails() {
    let env = TestEnv::plain();
    env.fixture("valid/homepage-cta-color.yaml", "experiments/a.yaml");
    env.fixture("broken/not-yaml.yaml", "experiments/b.yaml");
    let run = env.xp(&["list"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("Homepage CTA Color"));
    assert!(
        run.stderr.contains("experiments/b.yaml:2:"),
        "{}",
        run.stderr
    );
}

#[test]
fn show_formats() {
    let env = TestEnv::plain();
    env.fixture("valid/homepage-cta-color.yaml", "experiments/a.yaml");
    let yaml = env.ok(&["show", "a", "--format", "yaml"]);
    assert_eq!(yaml, env.read("experiments/a.yaml"));
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["show", "a", "--format", "json"])).unwrap();
    assert_eq!(json["baseline"], 3.2);
    assert_eq!(json["decision_log"][1]["who"], "bob");
    assert_eq!(json["tags"][1], "no");
    let text = env.ok(&["show", "a"]);
    assert!(text.contains("p-value dropped below 0.05 after 3 days"));
}

#[test]
fn a_broken_record_is_never_rewritten() {
    let env = TestEnv::plain();
    env.fixture("broken/target-below.yaml", "experiments/a.yaml");
    let before = env.bytes("experiments/a.yaml");
    for args in [
        &["note", "a", "hello"][..],
        &["update", "a", "--confidence", "5"],
        &["show", "a"],
    ] {
        let run = env.xp(args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(
            run.stderr
                .contains("experiments/a.yaml:6:9: error[target-vs-baseline]"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(env.bytes("experiments/a.yaml"), before);
}

#[test]
fn dir_flag_and_xp_dir_move_the_store() {
    let mut env = TestEnv::plain();
    env.fixture("valid/homepage-cta-color.yaml", "records/a.yaml");
    assert_eq!(
        env.ok(&["list", "--dir", "records", "--format", "ids"])
            .lines()
            .count(),
        1
    );
    env.vars.push(("XP_DIR".into(), "records".into()));
    assert_eq!(env.ok(&["list", "--format", "ids"]).lines().count(), 1);
}

#[test]
fn symlinked_records_and_directories_are_refused() {
    let env = TestEnv::plain();
    env.fixture("valid/homepage-cta-color.yaml", "outside/a.yaml");
    std::fs::create_dir_all(env.path("experiments")).unwrap();
    std::os::unix::fs::symlink(env.path("outside/a.yaml"), env.path("experiments/a.yaml")).unwrap();
    let run = env.xp(&["note", "a", "x"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    // Every command that reads all records refuses the link too, beside a real record.
    env.fixture("valid/homepage-cta-color.yaml", "experiments/b.yaml");
    for args in [&["list"][..], &["check"], &["export", "-o", "out.csv"]] {
        let run = env.xp(args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(
            run.stderr.contains("experiments/a.yaml is a symbolic link"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(!env.path("out.csv").exists());
    std::fs::remove_dir_all(env.path("experiments")).unwrap();
    std::os::unix::fs::symlink(env.path("outside"), env.path("experiments")).unwrap();
    let run = env.xp(&["list"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert!(!env.read("outside/a.yaml").contains("note: x"));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let env = TestEnv::plain();
    assert_eq!(env.xp(&["frobnicate"]).code, 2);
    assert_eq!(env.xp(&["list", "--status", "done"]).code, 2);
    assert_eq!(env.xp(&["update", "x", "--confidence", "101"]).code, 2);
    let help = env.xp(&["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("note"));
    let mut bad = env.xp_cmd(&["list"]);
    bad.env("XP_NOW", "yesterday");
    let run: crate::support::Run = bad.output().unwrap().into();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("XP_NOW"), "{}", run.stderr);
}

#[test]
fn hostile_files_never_panic() {
    let env = TestEnv::plain();
    let mut cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"- a\n- b\n".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        b"a: &a [x,x]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nd: [*c,*c,*c,*c]\n".to_vec(),
        format!("a: {}\n", "[".repeat(10_000)).into_bytes(),
        b"id: 1\nid: 2\n".to_vec(),
        b"a: 1\n---\nb: 2\n".to_vec(),
        b"\tid: x\n".to_vec(),
        b"id: !!binary aGk=\ntitle: !custom x\n".to_vec(),
        b"\xef\xbb\xbfid: x\r\n".to_vec(),
    ];
    cases.push(vec![b'a'; 5 * 1024 * 1024]);
    for (i, bytes) in cases.iter().enumerate() {
        std::fs::create_dir_all(env.path("experiments")).unwrap();
        std::fs::write(env.path(&format!("experiments/h{i}.yaml")), bytes).unwrap();
    }
    let run = env.xp(&["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for i in 0..cases.len() {
        let file = format!("experiments/h{i}.yaml:");
        assert!(
            run.stdout.contains(&file),
            "no problem reported for case {i}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = TestEnv::plain();
    let big = "x".repeat(2 * 1024 * 1024);
    env.write(
        "experiments/a.yaml",
        &format!("id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58\ntitle: T\nhypothesis: h\nprimary_metric: m\nbaseline: 1\ntarget: 2\nlearning: {big}\n"),
    );
    let mut child = env.xp_spawn(&["show", "a", "--format", "yaml"]);
    let mut first = [0u8; 16];
    use std::io::Read;
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is dropped here, as `xp show ... | head -c 16` would.
    let run = crate::support::Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
}

#[test]
fn colour_follows_the_flag_then_no_color() {
    let env = TestEnv::plain();
    env.fixture("broken/target-below.yaml", "experiments/a.yaml");
    // The harness sets NO_COLOR=1: no escape codes unless --color always asks.
    let plain = env.xp(&["show", "a"]);
    assert!(!plain.stderr.contains('\u{1b}'), "{:?}", plain.stderr);
    let always = env.xp(&["show", "a", "--color", "always"]);
    assert!(always.stderr.contains("\u{1b}["), "{:?}", always.stderr);
    let never = env.xp(&["show", "a", "--color", "never"]);
    assert_eq!(never.stderr, plain.stderr);
}
