//! Many writers at once, as separate processes of the real binary: every writer lands or says
//! the repository is busy, nothing is lost, every commit holds one file.
//!
//! `XP_SOAK=N` runs each test N rounds (the fast form is one round).

use std::fs::File;
use std::process::Child;
use std::thread;
use std::time::Duration;

use crate::support::{Run, TestEnv, record_of, soak};

const RECORD: &str = "experiments/homepage-cta-color.yaml";

/// Waits for every process; returns what each did, in spawn order.
fn collect(children: Vec<Child>) -> Vec<Run> {
    children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect()
}

/// Holds xp's own write lock, as a running xp command would, so that writers spawned meanwhile
/// queue up and then race for it all at once when the guard is dropped.
fn hold_xp_lock(env: &TestEnv) -> File {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.path(".git/xp.lock"))
        .unwrap();
    file.lock().unwrap();
    file
}

/// Fails unless each run succeeded, or failed (exit 1) naming why it could not write: another
/// xp command, or a lock of another git process. Returns which runs succeeded.
fn landed_or_busy(runs: &[Run], locks_allowed: bool) -> Vec<bool> {
    runs.iter()
        .map(|run| {
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            match run.code {
                0 => true,
                1 => {
                    let busy = run
                        .stderr
                        .contains("another xp command is writing in this repository");
                    let locked = locks_allowed
                        && run
                            .stderr
                            .contains(".lock exists: another git process is running");
                    assert!(busy || locked, "unexpected failure: {}", run.stderr);
                    false
                }
                code => panic!("exit {code}: {}", run.stderr),
            }
        })
        .collect()
}

/// The paths each commit after `base` changed, oldest first.
fn commits_since(env: &TestEnv, base: &str) -> Vec<Vec<String>> {
    env.git(&["rev-list", "--reverse", &format!("{base}..HEAD")])
        .lines()
        .map(|rev| {
            env.git(&["show", "--name-only", "--format=", rev])
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn head(env: &TestEnv) -> String {
    env.git(&["rev-parse", "HEAD"]).trim().to_owned()
}

/// The notes of a record file, sorted.
fn notes(env: &TestEnv, rel: &str) -> Vec<String> {
    let mut notes: Vec<String> = env
        .record(rel)
        .decision_log
        .into_iter()
        .map(|e| e.note)
        .collect();
    notes.sort();
    notes
}

#[test]
fn fifty_notes_on_one_record_at_once_all_land() {
    const WRITERS: usize = 50;
    for round in 0..soak() {
        let env = TestEnv::repo();
        env.new_cta();
        let base = head(&env);
        // Every other round the writers start behind xp's lock and race for it together.
        let gate = (round % 2 == 0).then(|| hold_xp_lock(&env));
        let children: Vec<Child> = (0..WRITERS)
            .map(|i| env.xp_spawn(&["note", "homepage-cta-color", &format!("note {i:02}")]))
            .collect();
        if gate.is_some() {
            thread::sleep(Duration::from_millis(300));
        }
        drop(gate);
        let runs = collect(children);
        let ok = landed_or_busy(&runs, false);
        let successes = ok.iter().filter(|&&ok| ok).count();

        let mut expected: Vec<String> = (0..WRITERS)
            .filter(|&i| ok[i])
            .map(|i| format!("note {i:02}"))
            .collect();
        expected.sort();
        assert_eq!(notes(&env, RECORD), expected, "entries are the successes");
        let commits = commits_since(&env, &base);
        assert_eq!(commits.len(), successes, "one commit per success");
        for paths in &commits {
            assert_eq!(paths, &[RECORD], "a commit holds only the record");
        }
        assert_eq!(
            env.git(&["show", &format!("HEAD:{RECORD}")]),
            env.read(RECORD)
        );
        assert_eq!(env.git(&["status", "--porcelain"]), "");
        env.fsck();
        eprintln!("round {round}: {WRITERS} writers, {successes} landed");
        assert_eq!(successes, WRITERS, "the lock waits long enough for all");
    }
}

#[test]
fn twenty_writers_over_five_records_all_land() {
    const WRITERS: usize = 20;
    const RECORDS: usize = 5;
    for round in 0..soak() {
        let env = TestEnv::repo();
        for r in 0..RECORDS {
            env.ok(&[
                "new",
                "--title",
                &format!("Record {r}"),
                "--hypothesis",
                "h",
                "--metric",
                "m",
                "--baseline",
                "1",
                "--target",
                "2",
            ]);
        }
        let base = head(&env);
        let gate = (round % 2 == 0).then(|| hold_xp_lock(&env));
        let children: Vec<Child> = (0..WRITERS)
            .map(|i| {
                let slug = format!("record-{}", i % RECORDS);
                let note = format!("writer {i:02}");
                if i % 2 == 0 {
                    env.xp_spawn(&["note", &slug, &note])
                } else {
                    let confidence = i.to_string();
                    env.xp_spawn(&["update", &slug, "--confidence", &confidence, "-m", &note])
                }
            })
            .collect();
        if gate.is_some() {
            thread::sleep(Duration::from_millis(200));
        }
        drop(gate);
        let runs = collect(children);
        let ok = landed_or_busy(&runs, false);
        let commits = commits_since(&env, &base);
        assert_eq!(commits.len(), ok.iter().filter(|&&ok| ok).count());
        for r in 0..RECORDS {
            let rel = format!("experiments/record-{r}.yaml");
            let mut expected: Vec<String> = (0..WRITERS)
                .filter(|&i| i % RECORDS == r && ok[i])
                .map(|i| format!("writer {i:02}"))
                .collect();
            expected.sort();
            assert_eq!(notes(&env, &rel), expected, "{rel}");
            let touching = commits
                .iter()
                .filter(|p| p.as_slice() == [rel.as_str()])
                .count();
            assert_eq!(touching, expected.len(), "commits of {rel}");
        }
        assert!(commits.iter().all(|p| p.len() == 1), "{commits:?}");
        assert_eq!(env.git(&["status", "--porcelain"]), "");
        env.fsck();
        assert!(
            ok.iter().all(|&ok| ok),
            "the lock waits long enough for all"
        );
    }
}

/// `git add other.txt && git commit`, retried while another process holds a lock, as a person
/// or a CI script would; returns how many attempts failed.
fn outside_commit(env: &TestEnv, content: &str, message: &str) -> usize {
    env.write("other.txt", content);
    let mut errors = Vec::new();
    for failures in 0..400 {
        let added = env.git_run(&["add", "other.txt"]);
        if added.code != 0 {
            errors.push(format!("add: {}{}", added.stdout, added.stderr));
        } else {
            let committed = env.git_run(&["commit", "-q", "-m", message]);
            if committed.code == 0 {
                return failures;
            }
            errors.push(format!("commit: {}{}", committed.stdout, committed.stderr));
        }
        thread::sleep(Duration::from_millis(5));
    }
    errors.dedup();
    panic!("the outside commit never got through: {errors:?}");
}

#[test]
fn writers_racing_an_outside_git_commit_both_survive() {
    const WRITERS: usize = 20;
    const OUTSIDE: usize = 20;
    for _round in 0..soak() {
        let env = TestEnv::repo();
        env.write("other.txt", "start\n");
        env.git(&["add", "other.txt"]);
        env.git(&["commit", "-q", "-m", "start"]);
        env.new_cta();
        let base = head(&env);
        let runs = thread::scope(|scope| {
            let outside = scope.spawn(|| {
                (0..OUTSIDE)
                    .map(|k| outside_commit(&env, &format!("{k}\n"), &format!("outside {k}")))
                    .sum::<usize>()
            });
            let mut children = Vec::new();
            for i in 0..WRITERS {
                children.push(env.xp_spawn(&["note", "homepage-cta-color", &format!("n{i:02}")]));
                thread::sleep(Duration::from_millis(7));
            }
            let runs = collect(children);
            let retries = outside.join().unwrap();
            eprintln!("the outside committer retried {retries} times");
            runs
        });
        let ok = landed_or_busy(&runs, true);
        let successes = ok.iter().filter(|&&ok| ok).count();
        let commits = commits_since(&env, &base);
        let mine = commits.iter().filter(|p| p == &&[RECORD]).count();
        let theirs = commits.iter().filter(|p| p == &&["other.txt"]).count();
        for rev in env.git(&["rev-list", &format!("{base}..HEAD")]).lines() {
            let paths = env.git(&["show", "--name-only", "--format=", rev]);
            if paths.lines().count() > 1 {
                eprintln!(
                    "more than one file: {}",
                    env.git(&["show", "--format=%s %H %P", rev])
                );
            }
        }
        assert_eq!(
            (mine, theirs, commits.len()),
            (successes, OUTSIDE, successes + OUTSIDE),
            "each commit holds one file: {commits:?}"
        );
        let at_head = env.git(&["show", &format!("HEAD:{RECORD}")]);
        assert_eq!(record_of(at_head.as_bytes()).decision_log.len(), successes);
        assert_eq!(at_head, env.read(RECORD));
        assert_eq!(
            env.git(&["show", "HEAD:other.txt"]),
            format!("{}\n", OUTSIDE - 1)
        );
        assert_eq!(env.git(&["status", "--porcelain"]), "");
        env.fsck();
        eprintln!("{WRITERS} xp writers ({successes} landed) raced {OUTSIDE} git commits");
    }
}

/// A commit of `plumb.txt` made with plumbing and a compare-and-swap on HEAD, as another tool
/// would; retried until the swap holds. Returns how many swaps lost.
fn plumbing_commit(env: &TestEnv, k: usize) -> usize {
    let blob = {
        let mut cmd = std::process::Command::new("git");
        cmd.current_dir(&env.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(["hash-object", "-w", "--stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{k}\n").as_bytes())
            .unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    for lost in 0..400 {
        let old = head(env);
        let mut entries: Vec<String> = env
            .git(&["ls-tree", &old])
            .lines()
            .filter(|l| !l.ends_with("\tplumb.txt"))
            .map(str::to_owned)
            .collect();
        entries.push(format!("100644 blob {}\tplumb.txt", blob.trim()));
        let tree = mktree(env, &entries.join("\n"));
        let commit = env.git(&[
            "commit-tree",
            &tree,
            "-p",
            &old,
            "-m",
            &format!("plumb {k}"),
        ]);
        if env.git_try(&["update-ref", "HEAD", commit.trim(), &old]).0 {
            return lost;
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("the plumbing commit never got through");
}

fn mktree(env: &TestEnv, entries: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("git")
        .current_dir(&env.root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .arg("mktree")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{entries}\n").as_bytes())
        .unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn writers_racing_a_tool_that_moves_head_retry_and_both_survive() {
    const WRITERS: usize = 20;
    const OUTSIDE: usize = 30;
    for _round in 0..soak() {
        let env = TestEnv::repo();
        env.new_cta();
        let base = head(&env);
        let runs = thread::scope(|scope| {
            let outside = scope.spawn(|| (0..OUTSIDE).map(|k| plumbing_commit(&env, k)).sum());
            let mut children = Vec::new();
            for i in 0..WRITERS {
                children.push(env.xp_spawn(&["note", "homepage-cta-color", &format!("n{i:02}")]));
                thread::sleep(Duration::from_millis(5));
            }
            let runs = collect(children);
            let lost: usize = outside.join().unwrap();
            eprintln!("the outside tool lost {lost} swaps to xp");
            runs
        });
        let ok = landed_or_busy(&runs, false);
        let successes = ok.iter().filter(|&&ok| ok).count();
        assert_eq!(successes, WRITERS);
        let commits = commits_since(&env, &base);
        let mine = commits.iter().filter(|p| p == &&[RECORD]).count();
        let theirs = commits.iter().filter(|p| p == &&["plumb.txt"]).count();
        assert_eq!(
            (mine, theirs, commits.len()),
            (WRITERS, OUTSIDE, WRITERS + OUTSIDE),
            "{commits:?}"
        );
        let at_head = env.git(&["show", &format!("HEAD:{RECORD}")]);
        assert_eq!(record_of(at_head.as_bytes()).decision_log.len(), WRITERS);
        assert_eq!(at_head, env.read(RECORD));
        assert_eq!(
            env.git(&["show", "HEAD:plumb.txt"]),
            format!("{}\n", OUTSIDE - 1)
        );
        // The tool committed behind the index's back: only its file shows as changed.
        assert_eq!(env.git(&["status", "--porcelain"]), "D  plumb.txt\n");
        env.fsck();
    }
}

#[test]
fn notes_outside_git_queue_on_a_lock_and_all_land() {
    const WRITERS: usize = 20;
    for round in 0..soak() {
        let env = TestEnv::plain();
        env.new_cta();
        let children: Vec<Child> = (0..WRITERS)
            .map(|i| env.xp_spawn(&["note", "homepage-cta-color", &format!("note {i:02}")]))
            .collect();
        let runs = collect(children);
        for run in &runs {
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
        let expected: Vec<String> = (0..WRITERS).map(|i| format!("note {i:02}")).collect();
        assert_eq!(
            notes(&env, RECORD),
            expected,
            "round {round}: every note landed"
        );
        assert!(env.path("experiments/.xp.lock").exists());
        assert_eq!(
            env.ok(&["list", "--format", "ids"]).lines().count(),
            1,
            "the lock file is not a record"
        );
    }
}
