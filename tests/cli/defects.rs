//! Defects a new user met, each pinned end to end: merged logs against a base, ids by case,
//! other log layouts, control characters, special files, diff and export values, and messages
//! that say what to do.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Run, SAMPLE, TestEnv};

const RECORD: &str = "experiments/homepage-cta-color.yaml";

/// A record as a person writes it, with the given decision log lines.
fn record(id: &str, log: &str) -> String {
    let head = SAMPLE.split("decision_log:").next().unwrap_or_default();
    format!("{}decision_log:\n{log}", head.replace(ID, id))
}

const ID: &str = "3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58";

/// Runs a prepared command, killing it and failing the test if it takes more than 20 s.
fn within_time(mut cmd: Command) -> Run {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("xp hung: still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Run::from(child.wait_with_output().unwrap())
}

/// Registers the merge driver and commits `.gitattributes`, as `xp init` does.
fn use_the_driver(env: &TestEnv) {
    let command = format!("'{}' merge-driver %O %A %B %P", env!("CARGO_BIN_EXE_xp"));
    env.git(&["config", "merge.xp.name", "xp"]);
    env.git(&["config", "merge.xp.driver", &command]);
    env.write(
        ".gitattributes",
        "experiments/*.yaml merge=xp\nexperiments/*.yml merge=xp\n",
    );
    env.git(&["add", ".gitattributes"]);
    env.git(&["commit", "-q", "-m", "Merge experiment files with xp"]);
}

fn note(env: &mut TestEnv, time: &str, text: &str) {
    env.now = format!("2026-02-23T{time}Z");
    env.ok(&["note", "homepage-cta-color", text, "--who", "alice"]);
}

fn notes(env: &TestEnv) -> Vec<String> {
    env.read(RECORD)
        .lines()
        .filter_map(|l| l.strip_prefix("  note: "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn check_base_accepts_mains_notes_merged_around_a_branch_note() {
    let mut env = TestEnv::repo();
    use_the_driver(&env);
    env.now = "2026-02-23T09:00:00Z".into();
    env.new_cta();
    note(&mut env, "10:00:00", "A");
    env.git(&["checkout", "-q", "-b", "feature"]);
    note(&mut env, "11:00:00", "B");
    env.git(&["checkout", "-q", "main"]);
    note(&mut env, "12:00:00", "C");
    env.git(&["checkout", "-q", "feature"]);
    let run = env.git_run(&["merge", "--no-edit", "main"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(notes(&env), ["A", "B", "C"]);
    let run = env.xp(&["check", "--base", "main"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    // Dropping one of main's entries is still a rewrite.
    let a = "- at: 2026-02-23T10:00:00.000Z\n  who: alice\n  note: A\n";
    let text = env.read(RECORD);
    assert!(text.contains(a), "{text}");
    env.write(RECORD, &text.replace(a, ""));
    let run = env.xp(&["check", "--base", "main"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("error[log-rewritten]") && run.stdout.contains("was removed"),
        "{}",
        run.stdout
    );
}

#[test]
fn ids_differing_only_by_case_are_duplicate_ids() {
    let env = TestEnv::plain();
    env.write("experiments/a.yaml", &record(ID, ""));
    env.write(
        "experiments/b.yaml",
        &record(&ID.to_ascii_uppercase(), "").replace("Homepage", "Other"),
    );
    let run = env.xp(&["check"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("experiments/b.yaml:1:5: error[duplicate-id]"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_note_follows_entries_written_with_blanks_after_the_dash() {
    let env = TestEnv::plain();
    let text = record(
        ID,
        "-   at: 2026-02-22T18:30:00.000Z\n    who: alice\n    note: Launched\n",
    );
    env.write(RECORD, &text);
    env.ok(&["note", "homepage-cta-color", "Halfway", "--who", "bob"]);
    assert_eq!(
        env.read(RECORD),
        format!("{text}-   at: 2026-02-22T18:30:00.000Z\n    who: bob\n    note: Halfway\n")
    );
    env.ok(&["check"]);
}

#[test]
fn del_written_as_an_escape_survives_export_and_diff() {
    let env = TestEnv::repo();
    env.write("README", "x\n");
    env.git(&["add", "README"]);
    env.git(&["commit", "-q", "-m", "start"]);
    env.write(
        RECORD,
        &record(ID, "").replace("title: Homepage CTA Color", "title: \"CTA\\u007f Color\""),
    );
    let out = env.ok(&["export", "--format", "json"]);
    assert!(out.contains(r#""title": "CTA\u007f Color""#), "{out:?}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["title"], "CTA\u{7f} Color");
    let out = env.ok(&["export", "--format", "jsonl"]);
    let row: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(row["title"], "CTA\u{7f} Color");
    let out = env.ok(&["diff", "main", "--format", "json"]);
    let diff: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(diff["experiments"][0]["title"], "CTA\u{7f} Color", "{out}");
    // Data on stdout reaches the reader byte for byte: show, list and CSV keep DEL too.
    let out = env.ok(&["show", "homepage-cta-color", "--format", "json"]);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["title"], "CTA\u{7f} Color");
    let out = env.ok(&["list", "--format", "json"]);
    assert!(out.contains("CTA\u{7f} Color"), "{out:?}");
    assert!(env.ok(&["export"]).contains("CTA\u{7f} Color"));
}

#[cfg(unix)]
#[test]
fn a_named_pipe_among_the_records_is_reported_and_never_opened() {
    let env = TestEnv::plain();
    env.write(RECORD, &record(ID, ""));
    let made = Command::new("mkfifo")
        .arg(env.path("experiments/x.yaml"))
        .status()
        .unwrap();
    assert!(made.success());
    for args in [&["check"][..], &["list"], &["export"], &["show", "x"]] {
        let run = within_time(env.xp_cmd(args));
        assert_eq!(run.code, 1, "{args:?}: {}{}", run.stdout, run.stderr);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(
            said.contains("experiments/x.yaml")
                && said.contains("this is a named pipe, not a regular file"),
            "{args:?}: {said}"
        );
    }
    // Named by its path, it is not opened either, and is said to be a pipe.
    let run = within_time(env.xp_cmd(&["show", "experiments/x.yaml"]));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("this is a named pipe, not a regular file"),
        "{}",
        run.stderr
    );
    // Nor is a payload that is not a regular file read forever.
    let run = within_time(env.xp_cmd(&["new", "--from", "/dev/zero"]));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("/dev/zero is a device, not a regular file"),
        "{}",
        run.stderr
    );
    // The record beside it still reads.
    let run = within_time(env.xp_cmd(&["show", "homepage-cta-color"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_device_is_not_a_file_of_zero_bytes() {
    let env = TestEnv::plain();
    env.write(RECORD, &record(ID, ""));
    let run = within_time(env.xp_cmd(&["check", "/dev/zero"]));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("this is a device, not a regular file"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("0 bytes"), "{}", run.stdout);
}

#[test]
fn diff_json_gives_numbers_as_numbers_and_null_as_null() {
    let env = TestEnv::repo();
    env.new_cta();
    env.ok(&["update", "homepage-cta-color", "--confidence", "40"]);
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.ok(&[
        "update",
        "homepage-cta-color",
        "--confidence",
        "97",
        "--baseline",
        "3.4",
        "--owner",
        "alice",
    ]);
    let out = env.ok(&["diff", "main", "--format", "json"]);
    let diff: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fields = diff["experiments"][0]["fields"].as_array().unwrap().clone();
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f["field"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {out}"))
    };
    assert_eq!(field("confidence")["from"], serde_json::json!(40), "{out}");
    assert_eq!(field("confidence")["to"], serde_json::json!(97), "{out}");
    assert_eq!(field("baseline")["from"], serde_json::json!(3.2), "{out}");
    assert_eq!(field("baseline")["to"], serde_json::json!(3.4), "{out}");
    assert_eq!(field("owner")["from"], serde_json::Value::Null, "{out}");
    assert_eq!(field("owner")["to"], "alice", "{out}");
}

#[test]
fn rule_messages_name_the_field_and_say_what_to_write() {
    let env = TestEnv::plain();
    env.write(
        RECORD,
        &record(ID, "")
            .replace("hypothesis: Green beats blue", "hypothesis: ''")
            .replace("confidence: 0", "confidence: 120")
            .replace("decision: null", "decision: \"null\""),
    );
    let run = env.xp(&["check"]);
    assert_eq!(run.code, 1);
    for expected in [
        "experiments/homepage-cta-color.yaml:3:13: error[empty-field]: `hypothesis` is blank; it must not be",
        "help: write what the change is expected to do after `hypothesis:`",
        "error[confidence-range]: confidence must be a whole number from 0 to 100, not `120`",
        "error[bad-decision]: decision is the text \"null\" in quotes, not null",
        "help: null is written without quotes (`decision: null`)",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.stdout);
    }
}

#[test]
fn a_payload_with_nan_or_text_is_not_told_to_remove_quotes() {
    let env = TestEnv::plain();
    env.write(
        "payload.json",
        "{\"title\": \"T\", \"hypothesis\": \"h\", \"primary_metric\": \"m\",\n \
         \"baseline\": NaN, \"target\": \"x\"}\n",
    );
    let run = env.xp(&["new", "--from", "payload.json"]);
    assert_eq!(run.code, 1);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("`baseline` must be a finite number, not `NaN`"),
        "{said}"
    );
    assert!(
        said.contains("`target` must be a number, not a string"),
        "{said}"
    );
    assert!(!said.contains("remove the quotes"), "{said}");
    env.write(
        "payload.json",
        "{\"title\": \"T\", \"hypothesis\": \"h\", \"primary_metric\": \"m\",\n \
         \"baseline\": \"3.2\", \"target\": 3.7}\n",
    );
    let run = env.xp(&["new", "--from", "payload.json"]);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("remove the quotes"), "{said}");
}

#[test]
fn conflict_markers_are_an_unresolved_merge_conflict() {
    let mut env = TestEnv::repo();
    use_the_driver(&env);
    env.new_cta();
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.ok(&["update", "homepage-cta-color", "--confidence", "40"]);
    env.git(&["checkout", "-q", "main"]);
    env.now = "2026-02-23T10:00:00Z".into();
    env.ok(&["update", "homepage-cta-color", "--confidence", "60"]);
    let run = env.git_run(&["merge", "--no-edit", "feature"]);
    assert_ne!(run.code, 0);
    let line = env
        .read(RECORD)
        .lines()
        .position(|l| l.starts_with("<<<<<<<"))
        .unwrap()
        + 1;
    let run = env.xp(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains(&format!(
            "{RECORD}:{line}:1: error[yaml-syntax]: unresolved merge conflict"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("help: run `xp resolve`, or keep one side between the markers"),
        "{}",
        run.stdout
    );
}

#[test]
fn export_writes_log_times_in_the_millisecond_utc_form() {
    let env = TestEnv::plain();
    env.write(
        RECORD,
        &record(
            ID,
            "- at: 2026-02-22T18:30:00Z\n  note: one\n- at: 2026-02-22T19:00:00.5+00:00\n  note: two\n",
        ),
    );
    let csv = env.ok(&["export"]);
    assert!(
        csv.contains(r#"""at"":""2026-02-22T18:30:00.000Z"""#)
            && csv.contains(r#"""at"":""2026-02-22T19:00:00.500Z"""#),
        "{csv}"
    );
    let json = env.ok(&["export", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["decision_log"][0]["at"], "2026-02-22T18:30:00.000Z");
    assert_eq!(rows[0]["decision_log"][1]["at"], "2026-02-22T19:00:00.500Z");
    // The file itself is left as written.
    assert!(env.read(RECORD).contains("- at: 2026-02-22T18:30:00Z\n"));
}

#[test]
fn non_ascii_titles_are_transliterated_into_the_slug() {
    let env = TestEnv::plain();
    let out = env
        .experiment("Café Menü Größe")
        .hypothesis("h")
        .loud()
        .ok();
    assert!(
        out.trim_end()
            .ends_with("experiments/cafe-menu-grosse.yaml"),
        "{out}"
    );
    env.ok(&["show", "cafe-menu-grosse"]);
}
