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
    let life = (0..3)
        .map(|k| {
            let started = Instant::now();
            env.ok(&["note", SLUG, &format!("calibration {k}")]);
            started.elapsed().as_micros() as u64
        })
        .min()
        .unwrap();
    let (mut before, mut written, mut finished, mut repaired) = (0, 0, 0, 0);
    for i in 0..kills {
        let old = env.bytes(RECORD);
        let old_record = record_of(&old);
        let note = format!("killed {i}");
        let mut child = env.xp_spawn(&["note", SLUG, &note]);
        thread::sleep(Duration::from_micros(rng.below(life)));
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
