//! `xp completions` and `xp man`: scripts that parse in their shells, refs completed to the
//! repository's slugs, and manual pages that render.

use std::path::Path;
use std::process::Command;

use crate::support::TestEnv;

const SHELLS: &[&str] = &["bash", "zsh", "fish", "elvish", "powershell"];

/// Whether a program is on PATH.
fn installed(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Each script, dynamic and static, parses in its shell. bash is required (CI has it); zsh
/// and fish are checked only where they are installed, which this test says on stderr; elvish
/// and PowerShell scripts are checked to be generated and to call xp back.
#[test]
fn every_completion_script_parses_in_its_shell() {
    let env = TestEnv::plain();
    for shell in SHELLS {
        for extra in [&[][..], &["--static"][..]] {
            let mut args = vec!["completions", shell];
            args.extend_from_slice(extra);
            let script = env.ok(&args);
            assert!(script.contains("xp"), "{shell} {extra:?}: {script}");
            if extra.is_empty() {
                assert!(
                    script.contains("COMPLETE"),
                    "{shell} calls xp back:\n{script}"
                );
            }
            let file = env.path(&format!("xp.{shell}"));
            std::fs::write(&file, &script).unwrap();
            let check = match *shell {
                "bash" => Some(vec!["bash", "-n"]),
                "zsh" => Some(vec!["zsh", "-n"]),
                "fish" => Some(vec!["fish", "--no-execute"]),
                _ => None,
            };
            let Some(check) = check else { continue };
            if *shell != "bash" && !installed(check[0]) {
                eprintln!("{shell} is not installed: its script was not parsed");
                continue;
            }
            let out = Command::new(check[0])
                .args(&check[1..])
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{shell} {extra:?} does not parse:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let env = TestEnv::plain();
    let run = env.xp(&["completions", "tcsh"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("bash"), "{}", run.stderr);
}

/// What bash offers after `words`, with the dynamic script loaded and xp on PATH.
fn bash_complete(env: &TestEnv, words: &[&str]) -> Vec<String> {
    bash_complete_in(env, &env.root, words)
}

fn bash_complete_in(env: &TestEnv, cwd: &Path, words: &[&str]) -> Vec<String> {
    let script = env.ok(&["completions", "bash"]);
    let file = env.path("xp.bash");
    std::fs::write(&file, script).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_xp")).parent().unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source {}\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_TYPE=9\n_clap_complete_xp xp '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        file.display(),
        quoted.join(" "),
        words.len() - 1,
        words.last().unwrap(),
        words[words.len() - 2],
    );
    let cmd = env.xp_cmd(&[]);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(program)
        .current_dir(cwd)
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// What bash offers that is not a flag (an empty word is offered the flags too).
fn values(offered: Vec<String>) -> Vec<String> {
    offered
        .into_iter()
        .filter(|c| !c.starts_with('-'))
        .collect()
}

#[test]
fn refs_complete_to_the_slugs_of_the_repository() {
    let env = TestEnv::repo();
    env.fixture(
        "valid/homepage-cta-color.yaml",
        "experiments/homepage-cta-color.yaml",
    );
    env.fixture(
        "valid/checkout-latency.yaml",
        "experiments/growth/checkout-latency.yaml",
    );
    env.write("experiments/notes.txt", "not a record");
    assert_eq!(
        values(bash_complete(&env, &["xp", "show", ""])),
        ["checkout-latency", "homepage-cta-color"]
    );
    assert_eq!(
        bash_complete(&env, &["xp", "note", "home"]),
        ["homepage-cta-color"]
    );
    assert_eq!(
        bash_complete(&env, &["xp", "edit", "check"]),
        ["checkout-latency"]
    );
    // The note after the ref is free text: no slugs there.
    assert!(
        values(bash_complete(
            &env,
            &["xp", "note", "homepage-cta-color", ""]
        ))
        .is_empty()
    );
    // From a subdirectory, the repository's experiments are found all the same.
    std::fs::create_dir_all(env.path("src/app")).unwrap();
    assert_eq!(
        values(bash_complete_in(
            &env,
            &env.path("src/app"),
            &["xp", "log", ""]
        )),
        ["checkout-latency", "homepage-cta-color"]
    );
}

#[test]
fn status_and_decision_complete_to_their_values() {
    let env = TestEnv::repo();
    assert_eq!(
        bash_complete(&env, &["xp", "list", "--status", ""]),
        ["completed", "draft", "killed", "running", "shipped"]
    );
    let decisions = bash_complete(&env, &["xp", "update", "x", "--decision", ""]);
    for d in ["ship", "iterate", "kill", "inconclusive", "null"] {
        assert!(decisions.iter().any(|c| c == d), "{decisions:?}");
    }
    let commands = bash_complete(&env, &["xp", "ed"]);
    assert_eq!(commands, ["edit"]);
}

#[test]
fn outside_a_repository_refs_complete_to_nothing_without_an_error() {
    let env = TestEnv::plain();
    let offered = bash_complete(&env, &["xp", "show", ""]);
    assert!(offered.contains(&"--help".to_owned()), "{offered:?}");
    assert!(values(offered).is_empty());
}

/// The subcommands with a page of their own: those `xp --help` lists.
fn subcommands(env: &TestEnv) -> Vec<String> {
    let help = env.ok(&["--help"]);
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// The page as `man -l` renders it to plain text.
fn render(env: &TestEnv, roff: &str, name: &str) -> String {
    let file = env.path(&format!("{name}.1"));
    std::fs::write(&file, roff).unwrap();
    crate::support::need("man", "man-db");
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("man (Debian's man-db) is installed: .ci/run installs it");
    assert!(
        out.status.success(),
        "man -l {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_man_page_renders_and_names_every_subcommand() {
    let env = TestEnv::plain();
    let subs = subcommands(&env);
    assert!(subs.len() >= 15, "{subs:?}");
    let roff = env.ok(&["man"]);
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH XP 1"),
        "{roff}"
    );
    let text = render(&env, &roff, "xp");
    for sub in &subs {
        assert!(
            text.contains(&format!("xp-{sub}(1)")) || text.contains(sub.as_str()),
            "xp(1) names {sub}:\n{text}"
        );
    }
    assert!(
        !text.contains("merge-driver"),
        "the hidden driver has no place in xp(1)"
    );
}

#[test]
fn each_subcommand_has_its_own_page() {
    let env = TestEnv::plain();
    for sub in subcommands(&env) {
        let roff = env.ok(&["man", &sub]);
        let title = format!(".TH XP-{} 1", sub.to_uppercase());
        assert!(roff.contains(&title), "{sub}: {roff}");
        let text = render(&env, &roff, &format!("xp-{sub}"));
        assert!(text.contains(&format!("xp-{sub}")), "{sub}:\n{text}");
    }
    let note = render(&env, &env.ok(&["man", "note"]), "xp-note");
    assert!(note.contains("--who"), "{note}");
    // xp-serve(1) says what the server answers, not only its flags.
    let serve = render(&env, &env.ok(&["man", "serve"]), "xp-serve");
    let serve = serve.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "POST /experiments/{ref}/notes",
        "GET /experiments/export.csv",
        "422",
        "415",
        "Host",
        "--allowed-host",
        "5 seconds",
    ] {
        assert!(serve.contains(said), "xp-serve(1) lacks {said:?}:\n{serve}");
    }
    let run = env.xp(&["man", "nope"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("there is no subcommand `nope`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("note"), "{}", run.stderr);
}
