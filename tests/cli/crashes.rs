//! xp killed at any moment: the record is the old or the new version, never torn; nothing is
//! left behind in `experiments/`; the repository stays sound; the next command works.
//!
//! `XP_SOAK=N` kills N times as often; `XP_SEED` replays a run.

use std::thread;
use std::time::{Duration, Instant};

use crate::support::{Rng, TestEnv, record_of, soak};

const RECORD: &str = "experiments/homepage-cta-color.yaml";
const SLUG: &str = "homepage-cta-color";

/// Fails unless `experiments/` holds exactly the record files named.
fn assert_only_records(env: &TestEnv, expected: &[&str]) {
    let names: Vec<String> = env
        .files_under("experiments")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, expected, "left behind in experiments/");
}

/// After any command, finished or not: HEAD holds what the work tree holds (or, after a kill,
/// the previous version), the index agrees with one of them, fsck is clean.
fn assert_sound(env: &TestEnv) {
    env.fsck();
    for lock in [
        ".git/index.lock",
        ".git/refs/heads/main.lock",
        ".git/HEAD.lock",
    ] {
        assert!(!env.path(lock).exists(), "{lock} left behind");
    }
}

#[test]
fn notes_killed_at_random_moments_leave_the_old_or_the_new_record() {
    let kills = 30 * soak();
    let env = TestEnv::repo();
    env.new_cta();
    let mut rng = Rng::from_env("kills");
    // How long one note takes on this machine, so that the kills spread over its whole life.
    let mut lives: Vec<u64> = (0..3)
        .map(|k| {
            let started = Instant::now();
            env.ok(&["note", SLUG, &format!("calibration {k}")]);
            started.elapsed().as_micros() as u64
        })
        .collect();
    lives.sort();
    let life = lives[1] * 5 / 4;
    let (mut before, mut written, mut finished, mut repaired) = (0, 0, 0, 0);
    for i in 0..kills {
        let old = env.bytes(RECORD);
        let old_record = record_of(&old);
        let note = format!("killed {i}");
        let mut child = env.xp_spawn(&["note", SLUG, &note]);
        // Half the kills anywhere in the life, half late in it, where the writing is.
        let at = if i % 2 == 0 {
            rng.below(life)
        } else {
            life * 3 / 5 + rng.below(life * 3 / 5)
        };
        thread::sleep(Duration::from_micros(at));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        }

        let now = env.bytes(RECORD);
        let record = record_of(&now);
        if now == old {
            before += 1;
        } else {
            written += 1;
            assert!(now.starts_with(&old), "not a pure append");
            let mut expected = old_record.decision_log.clone();
            expected.push(record.decision_log.last().unwrap().clone());
            assert_eq!(record.decision_log, expected);
            assert_eq!(record.decision_log.last().unwrap().note, note);
        }
        assert_only_records(&env, &[RECORD]);
        let head = env.git(&["show", &format!("HEAD:{RECORD}")]);
        record_of(head.as_bytes());
        assert!(
            head.as_bytes() == now.as_slice() || head.as_bytes() == old.as_slice(),
            "HEAD holds neither the old nor the new version"
        );
        env.fsck();

        // The next note lands, with whatever the killed one wrote.
        let run = env.xp(&["note", SLUG, &format!("after {i}")]);
        assert_eq!(
            run.code, 0,
            "kill {i}: the next note failed: {}",
            run.stderr
        );
        if run.stderr.contains("interrupted xp command") {
            repaired += 1;
        }
        let after = env.record(RECORD);
        assert_eq!(after.decision_log.len(), record.decision_log.len() + 1);
        assert_eq!(
            env.git(&["show", &format!("HEAD:{RECORD}")]),
            env.read(RECORD)
        );
        assert_eq!(env.git(&["status", "--porcelain"]), "", "kill {i}");
        assert_sound(&env);
    }
    eprintln!(
        "{kills} kills over {life} µs lives: {before} before the write, {written} after it \
         ({finished} had finished); the next note repaired git's state {repaired} times"
    );
}

/// Git's view of the user's own work: staged and unstaged changes, untracked files.
fn status(env: &TestEnv) -> String {
    env.git(&["status", "--porcelain=v2", "--untracked-files=all"])
}

/// A repository with the record and some work of the user's: a staged and an unstaged change.
fn with_work() -> TestEnv {
    let env = TestEnv::repo();
    env.write("README.md", "one\n");
    env.git(&["add", "README.md"]);
    env.git(&["commit", "-q", "-m", "readme"]);
    env.new_cta();
    env.write("README.md", "two\n");
    env.git(&["add", "README.md"]);
    env.write("README.md", "three\n");
    env
}

#[test]
fn a_crash_at_each_point_leaves_a_sound_repository_the_next_command_repairs() {
    // Where random kills rarely land, xp is stopped by XP_TEST_FAULT, as a kill would stop it:
    // (point, HEAD moved, index.lock left, index entry staged, what the next command says).
    let points = [
        ("after-write", false, false, false, None),
        ("before-index", false, true, false, None),
        (
            "before-swap",
            false,
            true,
            true,
            Some("put back git's index entry"),
        ),
        ("after-swap", true, true, true, None),
    ];
    let next: [&[&str]; 4] = [
        &["update", SLUG, "--confidence", "5"],
        &["note", SLUG, "next"],
        &["note", SLUG, "next"],
        &[
            "new",
            "--title",
            "Other",
            "--hypothesis",
            "h",
            "--metric",
            "m",
            "--baseline",
            "1",
            "--target",
            "2",
        ],
    ];
    for ((point, moves, locked, staged, says), next) in points.into_iter().zip(next) {
        let mut env = with_work();
        let user = status(&env);
        let head = env.git(&["rev-parse", "HEAD"]);
        let old = env.bytes(RECORD);
        env.vars.push(("XP_TEST_FAULT".into(), point.to_string()));
        let run = env.xp(&["note", SLUG, "crashed"]);
        env.vars.clear();
        assert_eq!(run.code, -1, "{point}: killed by a signal: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);

        // Sound: the record is the new version; HEAD is the old commit, or one more holding
        // only the record; git's objects are whole; the index is the old or the new entry.
        let now = env.bytes(RECORD);
        assert!(now.starts_with(&old) && now.len() > old.len(), "{point}");
        assert_eq!(
            env.record(RECORD).decision_log.last().unwrap().note,
            "crashed"
        );
        assert_only_records(&env, &[RECORD]);
        env.fsck();
        assert_eq!(env.git(&["rev-parse", "HEAD"]) != head, moves, "{point}");
        if moves {
            assert_eq!(env.last_commit_paths(), [RECORD]);
            assert_eq!(
                env.git(&["show", &format!("HEAD:{RECORD}")]).as_bytes(),
                now
            );
        }
        assert_eq!(env.path(".git/index.lock").exists(), locked, "{point}");
        let index = env.git(&["show", &format!(":{RECORD}")]);
        assert_eq!(index.as_bytes() == now, staged, "{point}");
        if !staged {
            assert_eq!(index.as_bytes(), old, "{point}");
        }

        // The next command (of any kind) repairs, says so, and lands with the crashed note.
        let run = env.xp(next);
        assert_eq!(run.code, 0, "{point}: {}", run.stderr);
        if locked {
            assert!(
                run.stderr
                    .contains("index.lock left behind by an interrupted xp command"),
                "{point}: {}",
                run.stderr
            );
        }
        if let Some(says) = says {
            assert!(run.stderr.contains(says), "{point}: {}", run.stderr);
        }
        let notes: Vec<String> = env
            .record(RECORD)
            .decision_log
            .into_iter()
            .map(|e| e.note)
            .collect();
        assert!(notes.contains(&"crashed".to_owned()), "{point}: {notes:?}");
        assert_eq!(
            env.git(&["show", &format!("HEAD:{RECORD}")]),
            env.read(RECORD)
        );
        assert_eq!(status(&env), user, "{point}: the user's work changed");
        assert_sound(&env);
        let journals = env
            .files_under(".git")
            .into_iter()
            .filter(|(name, _)| name.contains("xp-"))
            .count();
        assert_eq!(journals, 0, "{point}: journals or scratch files left");
    }
}

#[test]
fn a_failed_index_write_fails_the_command_and_changes_nothing() {
    let mut env = with_work();
    let before = env.snapshot();
    env.vars
        .push(("XP_TEST_FAULT".into(), "index-write".into()));
    let run = env.xp(&["note", SLUG, "never"]);
    env.vars.clear();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("XP_TEST_FAULT=index-write"),
        "{}",
        run.stderr
    );
    assert_eq!(
        env.snapshot(),
        before,
        "the file is put back, HEAD and the index untouched"
    );
    assert_sound(&env);
    env.ok(&["note", SLUG, "next"]);
}

#[test]
fn a_stale_entry_the_user_has_changed_since_is_explained_not_repaired() {
    let mut env = with_work();
    env.vars
        .push(("XP_TEST_FAULT".into(), "before-swap".into()));
    assert_eq!(env.xp(&["note", SLUG, "crashed"]).code, -1);
    env.vars.clear();
    // The entry is staged, HEAD did not move. The user follows git's advice, removes the
    // lock, and stages a third version by hand: xp must not put its old entry back over it.
    std::fs::remove_file(env.path(".git/index.lock")).unwrap();
    let text = env.read(RECORD);
    env.write(RECORD, &text.replace("confidence: 0", "confidence: 9"));
    env.git(&["add", RECORD]);
    env.write(RECORD, &text);
    let before = env.snapshot();
    let run = env.xp(&["note", SLUG, "next"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("staged changes that differ"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("git restore --staged {RECORD}")),
        "{}",
        run.stderr
    );
    assert_eq!(env.snapshot(), before);
    env.git(&["restore", "--staged", RECORD]);
    env.ok(&["note", SLUG, "next"]);
    assert_eq!(
        env.git(&["show", &format!("HEAD:{RECORD}")]),
        env.read(RECORD)
    );
    assert_sound(&env);
}
