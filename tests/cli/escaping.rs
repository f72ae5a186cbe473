//! Record text is data from strangers: whatever a title, note or name holds (escape sequences
//! that set a window title or write the clipboard, a carriage return, U+202E, a line break),
//! every command that prints it shows it escaped on the terminal, and `xp diff` and
//! `xp report` keep it from becoming Markdown of its own.

use std::process::Command;

use crate::support::{Run, TestEnv};

/// A title that sets the window title, turns text red, goes back to the start of the line,
/// reverses what follows and breaks the line.
const TITLE: &str = "Green signup button\u{1b}]0;pwned\u{7} \u{1b}[31mred\u{1b}[0m\rFORGED \u{202e}desrever\nnext line";
/// A hypothesis that writes the clipboard (OSC 52) and holds a C1 control (CSI).
const HYPOTHESIS: &str =
    "Green signup button increases signups\u{1b}]52;c;cm0gLXJmIH4=\u{7} \u{9b}2J cleared";
/// A note with a bell, a carriage return, a line separator and bidirectional controls.
const NOTE: &str =
    "Launched\u{7}\r\u{2028}to 10%\u{2066}\u{202e}\u{2069} \u{200f}of users\nsecond line";
const WHO: &str = "mallory\u{1b}[2J";
const LEARNING: &str =
    "Green beat blue\u{1b}]8;;https://evil.example\u{7}link\u{1b}]8;;\u{7}\r\nby 16%";

/// A record written by hand, with YAML's escapes for the same characters and DEL.
const HAND_WRITTEN: &str = "id: 7c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f
title: \"Green signup button by hand\\e]0;owned\\a\\r\\u202Egninnur\\nsecond\"
hypothesis: \"Green signup button increases signups\\x9b2J\\x7f\"
primary_metric: signup_rate
baseline: 3.2
target: 3.7
status: completed
confidence: 90
decision: ship
learning: \"Shipped\\e[5m blinking\\u2029done\"
owner: \"\\u202Eeno\"
tags: [\"a\\eb\"]
decision_log:
- at: 2026-02-20T10:00:00.000Z
  who: \"eve\\e]0;x\\a\"
  note: \"status: running -> completed\\r\\n\\u202Eforged\"
";

/// A character that must never reach a terminal as it is.
fn is_raw(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Fails the test when stdout or stderr carries a raw control or bidirectional character.
#[track_caller]
fn assert_clean(args: &[&str], run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let raw: Vec<char> = text.chars().filter(|&c| is_raw(c)).collect();
        assert!(
            raw.is_empty(),
            "xp {args:?} printed {raw:?} raw on {stream}:\n{text:?}"
        );
    }
}

/// Runs xp, checks its output is clean, and gives the run.
#[track_caller]
fn clean(env: &TestEnv, args: &[&str]) -> Run {
    let run = env.xp(args);
    assert_clean(args, &run);
    run
}

/// A repository with one record made through xp from hostile text, one written by hand, and a
/// base commit before them.
fn hostile_records() -> (TestEnv, String) {
    let env = TestEnv::repo();
    env.ok(&["init"]);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "start"]);
    let base = env.git(&["rev-parse", "HEAD"]).trim().to_owned();
    env.write("experiments/by-hand.yaml", HAND_WRITTEN);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "by hand"]);
    let made = clean(
        &env,
        &[
            "new",
            "--title",
            TITLE,
            "--hypothesis",
            HYPOTHESIS,
            "--metric",
            "signup_rate",
            "--baseline",
            "3.2",
            "--target",
            "3.7",
            "--owner",
            WHO,
            "--tag",
            "a\u{1b}[8mhidden",
            "--status",
            "running",
        ],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    (env, base)
}

#[test]
fn every_command_shows_record_text_escaped_on_the_terminal() {
    let (env, _) = hostile_records();
    let slug = env
        .ok(&["list", "--format", "json"])
        .split("\"slug\": \"")
        .nth(2)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert!(slug.starts_with("green-signup-button-"), "{slug}");
    assert_eq!(
        clean(&env, &["note", &slug, NOTE, "--who", WHO]).code,
        0,
        "the note is written"
    );
    let moved = clean(
        &env,
        &[
            "update",
            &slug,
            "--status",
            "completed",
            "--decision",
            "ship",
            "--confidence",
            "95",
            "--learning",
            LEARNING,
            "-m",
            NOTE,
        ],
    );
    assert_eq!(moved.code, 0, "{}", moved.stderr);

    // The notice on `new` names the experiments tried before, with their learning.
    let again = clean(
        &env,
        &[
            "new",
            "--title",
            "Green signup button",
            "--hypothesis",
            "Green signup button increases signups",
            "--metric",
            "signup_rate",
            "--baseline",
            "3.2",
            "--target",
            "3.7",
        ],
    );
    assert!(
        again.stderr.contains("by-hand") && again.stderr.contains("\\u{1b}[5m blinking"),
        "{}",
        again.stderr
    );

    let list = clean(&env, &["list"]);
    assert!(
        list.stdout.contains(
            "Green signup button\\u{1b}]0;pwned\\u{7} \\u{1b}[31mred\\u{1b}[0m\\rFORGED \
             \\u{202e}desrever\\nnext line\n"
        ),
        "{}",
        list.stdout
    );
    assert_eq!(list.stdout.lines().count(), 3, "one line per experiment");
    let shown = clean(&env, &["show", &slug]);
    let first = shown.stdout.lines().next().unwrap();
    assert!(first.ends_with("\\u{202e}desrever\\nnext line"), "{first}");
    assert!(
        shown.stdout.contains("\\u{9b}2J cleared") && shown.stdout.contains("mallory\\u{1b}[2J"),
        "{}",
        shown.stdout
    );
    let log = clean(&env, &["log", &slug]);
    assert!(
        log.stdout.contains("Launched\\u{7}\\r\\u{2028}to 10%"),
        "{}",
        log.stdout
    );
    // Each entry keeps to its line: the line break in a note is shown, not made.
    assert_eq!(log.stdout.lines().count(), 3, "{}", log.stdout);
    for args in [
        vec!["show", "by-hand"],
        vec!["log", "by-hand"],
        vec!["search", "green"],
        vec!["search", "blinking"],
        vec!["search", "forged"],
        vec!["similar", "by-hand"],
        vec!["similar", "green-signup-button"],
        vec!["report"],
        vec!["check", "-v"],
    ] {
        let run = clean(&env, &args);
        assert_eq!(run.code, 0, "xp {args:?}: {}", run.stderr);
        assert!(!run.stdout.is_empty() || args[0] == "check", "xp {args:?}");
    }
    // Data for pipes is not escaped: `show --format yaml` is the file byte for byte, and the
    // exports hold the text as it is.
    let yaml = env.xp(&["show", "by-hand", "--format", "yaml"]);
    assert_eq!(yaml.stdout, HAND_WRITTEN);
    assert!(
        env.ok(&["export"])
            .contains("by hand\u{1b}]0;owned\u{7}\r\u{202e}")
    );

    // Hints that quote titles: an unknown ref lists the closest experiments.
    let unknown = clean(&env, &["show", "green-signup"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("by hand\\u{1b}]0;owned\\u{7}\\r\\u{202e}gninnur\\nsecond"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn check_quotes_hostile_lines_escaped() {
    let env = TestEnv::plain();
    // U+202E is text YAML reads: the rules see the record and quote its lines.
    env.write(
        "experiments/bidi.yaml",
        &HAND_WRITTEN
            .replace("confidence: 90", "confidence: 900 # \u{202e}eno")
            .replace(
                "primary_metric: signup_rate",
                "primary_metric: signup_rate\nstauts: \u{202e}\u{2066}x",
            ),
    );
    // Raw escape sequences and C1 controls are not: they are quoted where the YAML breaks.
    env.write(
        "experiments/ctl.yaml",
        "id: 7c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2e\ntitle: raw \u{1b}]0;pwned\u{7} title\n",
    );
    env.write(
        "experiments/c1.yaml",
        "id: 7c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2d\ntitle: raw \u{9b}31m title\n",
    );
    let run = clean(&env, &["check"]);
    assert_eq!(run.code, 1);
    for expected in [
        "error[confidence-range]",
        "confidence: 900 # \\u{202e}eno",
        "error[unknown-key]",
        "stauts: \\u{202e}\\u{2066}x",
        "ctl.yaml:2:",
        "raw \\u{1b}]0;pwned\\u{7} title",
        "c1.yaml:2:",
        "raw \\u{9b}31m title",
    ] {
        assert!(run.stdout.contains(expected), "{expected}:\n{}", run.stdout);
    }
    let github = clean(&env, &["check", "--format", "github"]);
    assert_eq!(github.code, 1);
    // Commands that refuse the broken records quote them the same way on stderr.
    let list = clean(&env, &["list"]);
    assert_eq!(list.code, 1);
    assert!(
        list.stderr.contains("raw \\u{1b}]0;pwned\\u{7} title"),
        "{}",
        list.stderr
    );
}

#[test]
fn diff_and_report_keep_record_text_from_becoming_markdown() {
    let (env, base) = hostile_records();
    env.write(
        "experiments/markup.yaml",
        &HAND_WRITTEN
            .replace(
                "7c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
                "7c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e20",
            )
            .replace(
                "title: \"Green signup button by hand",
                "title: \"<img src=x onerror=alert(1)> [click](https://evil.example) \
                 ![i](https://evil.example/i.png) | cell \\n## Approved by security",
            )
            .replace(
                "learning: \"Shipped",
                "learning: \"<!-- hidden --> | x | \\n| forged | row |\\n@team www.evil.example",
            ),
    );
    let diff = clean(&env, &["diff", &base]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    let report = clean(&env, &["report"]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    for (what, md) in [("diff", &diff.stdout), ("report", &report.stdout)] {
        for bad in [
            "<img",
            "<!--",
            "](https",
            "](http",
            "\n## Approved",
            "https://",
            "www.e",
        ] {
            assert!(!md.contains(bad), "{what} carries {bad:?}:\n{md}");
        }
        assert!(
            md.contains("&lt;img src=x onerror=alert\\(1\\)>"),
            "{what}:\n{md}"
        );
        assert!(
            md.contains("\\[click\\]\\(https\\://evil.example\\)"),
            "{what}:\n{md}"
        );
    }
    // The diff's headings are its own: one per experiment, the title on its line.
    let headings: Vec<&str> = diff.stdout.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(headings.len(), 4, "{}", diff.stdout);
    // The report's tables keep their six cells in every row.
    for row in report.stdout.lines().filter(|l| l.starts_with('|')) {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 7, "{row}");
    }
    assert!(
        report.stdout.contains(
            "| &lt;\\!-- hidden --> \\| x \\|  \\| forged \\| row \\| \\@team www\\.evil.example"
        ),
        "{}",
        report.stdout
    );
}

/// Runs `xp ARGS` with `input` on standard input.
fn xp_with_stdin(env: &TestEnv, args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = env
        .xp_cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    Run::from(child.wait_with_output().unwrap())
}

/// Every commit message on HEAD's history, byte for byte.
fn commit_messages(env: &TestEnv) -> Vec<u8> {
    let out = Command::new("git")
        .current_dir(&env.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["log", "--format=%B%x01"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn commit_messages_carry_record_text_escaped() {
    let (env, _) = hostile_records();
    let messages = commit_messages(&env);
    let text = String::from_utf8_lossy(&messages);
    assert!(
        text.contains(
            "Green signup button\\u{1b}]0;pwned\\u{7} \\u{1b}[31mred\\u{1b}[0m\\rFORGED \
             \\u{202e}desrever\nnext line"
        ),
        "{text}"
    );
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| c != '\u{1}' && is_raw(c))
        .collect();
    assert!(raw.is_empty(), "{raw:?} raw in commit messages:\n{text:?}");
}

/// NUL in a title, a note or a learning is stored with YAML's escape, shown escaped, and
/// carried escaped by the commit message (git cannot store it raw).
#[test]
fn nul_in_text_is_stored_escaped_and_committed() {
    let env = TestEnv::repo();
    env.ok(&["init"]);
    let payload = br#"{"title": "Null\u0000title", "hypothesis": "h\u0000", "primary_metric": "m",
        "baseline": 1, "target": 2, "learning": "before\u0000after"}"#;
    let made = xp_with_stdin(&env, &["new", "--from", "-"], payload);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let file = env.read("experiments/null-title.yaml");
    assert!(file.contains("title: \"Null\\0title\"\n"), "{file}");
    assert!(file.contains("learning: \"before\\0after\"\n"), "{file}");
    let record = env.record("experiments/null-title.yaml");
    assert_eq!(record.title, "Null\0title");

    // A note on it, and a learning replacing the one with a NUL: the commit body shows the
    // old value escaped.
    let noted = clean(&env, &["note", "null-title", "no NUL here", "--who", "ann"]);
    assert_eq!(noted.code, 0, "{}", noted.stderr);
    let updated = clean(&env, &["update", "null-title", "--learning", "clean"]);
    assert_eq!(updated.code, 0, "{}", updated.stderr);
    let body = env.git(&["log", "-1", "--format=%B"]);
    assert!(
        body.contains("learning: before\\0after -> clean\n"),
        "{body}"
    );
    let messages = commit_messages(&env);
    assert!(!messages.contains(&0), "a NUL in a commit message");
    assert!(
        String::from_utf8_lossy(&messages).contains("Null\\0title"),
        "the new record's commit names its title"
    );
    let shown = clean(&env, &["show", "null-title"]);
    assert!(
        shown.stdout.starts_with("Null\\0title\n"),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains("  hypothesis     h\\0\n"),
        "{}",
        shown.stdout
    );
    assert_eq!(clean(&env, &["list"]).code, 0);
    assert_eq!(clean(&env, &["log", "null-title"]).code, 0);
    env.ok(&["check"]);
    env.fsck();
}
