//! Hostile and odd YAML through every command that reads or edits a record: a located error or
//! a correct result, never a panic, nothing written on error, bounded time and memory.

use std::time::{Duration, Instant};

use crate::support::{Run, SAMPLE, TestEnv, record_of};

const FILE: &str = "experiments/h.yaml";
const SLUG: &str = "h";

/// Wall time allowed for one command: only a guard against hangs.
const HANG: Duration = Duration::from_secs(10);

/// Address space allowed for one command, in KiB: far above what xp needs, far below what
/// reading a 50 MB file or expanding an alias would take.
const MEMORY_KIB: u64 = 256 * 1024;

/// A valid record, each line ending in `\n`.
fn record() -> String {
    SAMPLE.to_owned()
}

/// What a command must do with a file.
enum Expect {
    /// Every command fails with this rule at this line and column, and writes nothing.
    Error(&'static str, usize, usize),
    /// Every command succeeds; the check runs on the file after `note` and `update`.
    Fine(fn(&[u8])),
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

fn alias_bomb() -> Vec<u8> {
    let base = record();
    let mut text = base[..base.find("decision_log:").unwrap()].to_owned();
    text.push_str("links: &l0 [a, b, c, d, e, f, g, h, i]\n");
    for i in 1..40 {
        let prev = format!("*l{}", i - 1);
        text.push_str(&format!("k{i}: &l{i} [{}]\n", vec![prev; 9].join(", ")));
    }
    text.push_str("tags: [*l39, *l39, *l39]\ndecision_log: [*l39, *l39]\n");
    text.into_bytes()
}

fn cases() -> Vec<Case> {
    let crlf = record().replace('\n', "\r\n").into_bytes();
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend(record().as_bytes());
    let mut not_utf8 = record().into_bytes();
    not_utf8.splice(26..26, [0xff, 0xfe]);
    let big = vec![b'a'; 50 * 1024 * 1024];
    let long_line = record().replace(
        "learning: null",
        &format!("learning: [{}x]", "x, ".repeat(900_000)),
    );
    let mut many_problems = record();
    for i in 0..100_000 {
        many_problems.push_str(&format!("k{i}: 1\n"));
    }
    vec![
        Case {
            name: "alias bomb",
            bytes: alias_bomb(),
            expect: Expect::Error("unknown-key", 12, 1),
        },
        Case {
            name: "10,000-deep nesting",
            bytes: record()
                .replace(
                    "learning: null",
                    &format!("learning: {}", "[".repeat(10_000)),
                )
                .into_bytes(),
            expect: Expect::Error("yaml-syntax", 10, 75),
        },
        Case {
            name: "50 MB file",
            bytes: big,
            expect: Expect::Error("yaml-syntax", 1, 1),
        },
        Case {
            name: "a 2.7 MB line",
            bytes: long_line.into_bytes(),
            expect: Expect::Error("wrong-type", 10, 11),
        },
        Case {
            name: "100,000 problems",
            bytes: many_problems.into_bytes(),
            expect: Expect::Error("unknown-key", 15, 1),
        },
        Case {
            name: "duplicate keys",
            bytes: record()
                .replace("status: running\n", "status: running\nbaseline: 3\n")
                .into_bytes(),
            expect: Expect::Error("yaml-syntax", 8, 1),
        },
        Case {
            name: "several documents",
            bytes: format!("{}---\n{}", record(), record()).into_bytes(),
            expect: Expect::Error("yaml-syntax", 15, 1),
        },
        Case {
            name: "non-UTF-8 bytes",
            bytes: not_utf8,
            expect: Expect::Error("yaml-syntax", 1, 27),
        },
        Case {
            name: "tab indentation",
            bytes: record()
                .replace("  who: alice", "\twho: alice")
                .into_bytes(),
            expect: Expect::Error("yaml-syntax", 12, 7),
        },
        Case {
            name: "!!binary and other tags",
            bytes: record()
                .replace("title: Homepage CTA Color", "title: !!binary aGk=")
                .replace("hypothesis: Green beats blue", "hypothesis: !custom x")
                .into_bytes(),
            expect: Expect::Error("wrong-type", 2, 17),
        },
        Case {
            name: "empty file",
            bytes: Vec::new(),
            expect: Expect::Error("yaml-syntax", 1, 1),
        },
        Case {
            name: "only a comment",
            bytes: b"# nothing here\n".to_vec(),
            expect: Expect::Error("yaml-syntax", 1, 1),
        },
        Case {
            name: "a top-level list",
            bytes: b"- id: x\n- title: y\n".to_vec(),
            expect: Expect::Error("yaml-syntax", 1, 1),
        },
        Case {
            name: "a UTF-8 byte-order mark",
            bytes: bom,
            expect: Expect::Fine(|bytes| {
                assert!(bytes.starts_with("\u{feff}id: ".as_bytes()), "BOM kept");
                assert_eq!(record_of(bytes).title, "Homepage CTA Color");
            }),
        },
        Case {
            name: "CRLF line endings",
            bytes: crlf,
            expect: Expect::Fine(|bytes| {
                let text = std::str::from_utf8(bytes).unwrap();
                assert!(
                    !text.replace("\r\n", "").contains('\n'),
                    "CRLF kept: {text:?}"
                );
                assert!(text.ends_with("\r\n"));
            }),
        },
        Case {
            name: "tabs inside values",
            bytes: record()
                .replace("Green beats blue", "Green\twins  \t# a comment")
                .into_bytes(),
            expect: Expect::Fine(|bytes| {
                assert_eq!(record_of(bytes).hypothesis, "Green\twins");
                assert!(bytes.windows(7).any(|w| w == b"\t# a co"), "comment kept");
            }),
        },
        Case {
            name: "core tags",
            bytes: record()
                .replace("title: Homepage CTA Color", "title: !!str 123")
                .replace("baseline: 3.2", "baseline: !!float 3.2")
                .into_bytes(),
            expect: Expect::Fine(|bytes| {
                let r = record_of(bytes);
                assert_eq!((r.title.as_str(), r.baseline), ("123", 3.2));
            }),
        },
        Case {
            name: "YAML 1.1 booleans",
            bytes: record()
                .replace("title: Homepage CTA Color", "title: no")
                .replace("learning: null", "learning: on\nowner: off\ntags: [yes, n]")
                .into_bytes(),
            expect: Expect::Fine(|bytes| {
                let r = record_of(bytes);
                assert_eq!(r.title, "no");
                assert_eq!(
                    (r.learning.as_deref(), r.owner.as_deref()),
                    (Some("on"), Some("off"))
                );
                assert_eq!(r.tags.unwrap(), ["yes", "n"]);
            }),
        },
    ]
}

/// Runs xp under the memory limit; fails the test on a hang, a crash or a panic.
fn bounded(env: &TestEnv, args: &[&str]) -> Run {
    let started = Instant::now();
    let cmd = env.xp_cmd(args);
    let program = cmd.get_program().to_owned();
    let mut limited = std::process::Command::new("sh");
    limited
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(program)
        .args(cmd.get_args())
        .current_dir(env.root.clone())
        .env_clear();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            limited.env(key, value);
        }
    }
    let run = Run::from(limited.output().unwrap());
    let took = started.elapsed();
    assert!(took < HANG, "xp {args:?} took {took:?}");
    assert!(
        matches!(run.code, 0 | 1),
        "xp {args:?} exited {}: {}",
        run.code,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// The cases that take the loader longest run in a test of their own, beside the others.
const HEAVY: [&str; 3] = ["50 MB file", "a 2.7 MB line", "100,000 problems"];

#[test]
fn hostile_yaml_gets_a_located_error_or_a_correct_result_from_every_command() {
    run_cases(|name| !HEAVY.contains(&name));
}

#[test]
fn huge_yaml_costs_bounded_time_and_memory() {
    run_cases(|name| HEAVY.contains(&name));
}

fn run_cases(pick: fn(&str) -> bool) {
    for case in cases().into_iter().filter(|c| pick(c.name)) {
        let env = TestEnv::repo();
        std::fs::create_dir_all(env.path("experiments")).unwrap();
        std::fs::write(env.path(FILE), &case.bytes).unwrap();
        env.git(&["add", FILE]);
        env.git(&["commit", "-q", "-m", "hostile"]);
        let commands: [&[&str]; 6] = [
            &["check"],
            &["check", "--format", "json"],
            &["show", SLUG, "--format", "json"],
            &["list"],
            &["note", SLUG, "a note"],
            &["update", SLUG, "--confidence", "20", "-m", "why"],
        ];
        match case.expect {
            Expect::Error(rule, line, column) => {
                let before = env.snapshot();
                let place = format!("{FILE}:{line}:{column}: error[{rule}]");
                for args in commands {
                    let run = bounded(&env, args);
                    assert_eq!(run.code, 1, "{}: {args:?}", case.name);
                    if args.contains(&"json") && args[0] == "check" {
                        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
                        let first = &report["problems"][0];
                        assert_eq!(
                            (&first["rule"], &first["line"], &first["column"]),
                            (&rule.into(), &line.into(), &column.into()),
                            "{}",
                            case.name
                        );
                        continue;
                    }
                    let out = format!("{}{}", run.stdout, run.stderr);
                    assert!(
                        out.contains(&place),
                        "{}: {args:?}: no {place} in\n{out:.2000}",
                        case.name
                    );
                    assert_eq!(env.snapshot(), before, "{}: {args:?} wrote", case.name);
                }
            }
            Expect::Fine(check) => {
                for args in commands {
                    let run = bounded(&env, args);
                    assert_eq!(run.code, 0, "{}: {args:?}: {}", case.name, run.stderr);
                }
                let bytes = env.bytes(FILE);
                check(&bytes);
                let log = record_of(&bytes).decision_log;
                let notes: Vec<&str> = log.iter().map(|e| e.note.as_str()).collect();
                assert_eq!(
                    notes,
                    ["Launched to 10% of users", "a note", "why"],
                    "{}",
                    case.name
                );
                assert_eq!(record_of(&bytes).confidence, 20);
                assert_eq!(
                    env.git(&["show", &format!("HEAD:{FILE}")]).as_bytes(),
                    bytes,
                    "{}",
                    case.name
                );
                assert_eq!(env.git(&["status", "--porcelain"]), "", "{}", case.name);
            }
        }
    }
}
