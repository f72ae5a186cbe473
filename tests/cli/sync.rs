//! `xp sync` against a real remote: a bare repository on disk, a teammate's clone beside the
//! server's, a refusing hook, a fake ssh. Every note lands exactly once, history stays linear,
//! and what cannot be merged is parked, never lost.

use serde_json::{Value, json};

use crate::team::{Team, linear_one_file_commits, make_executable};

#[test]
fn a_round_replays_its_notes_onto_the_teammates_and_pushes_them() {
    let mut team = Team::new();
    team.mate_xp(&["note", "cta", "From the mate", "--who", "mate"]);
    team.mate_git(&["push", "-q"]);
    team.env.now = "2026-02-22T18:40:00Z".into();
    team.env
        .ok(&["note", "cta", "From the server", "--who", "server"]);
    let run = team.sync();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let head = team.env.git(&["rev-parse", "--short=7", "HEAD"]);
    assert_eq!(
        run.stderr,
        format!(
            "main in step with origin/main at {} (replayed 1 commit(s) onto the remote's; \
             pushed to origin/main)\n",
            head.trim()
        )
    );
    assert_eq!(team.remote_notes(), ["From the mate", "From the server"]);
    linear_one_file_commits(&team);
    // The replayed commit keeps its author, date, subject, body and trailer.
    let theirs = team.remote_git(&["log", "-1", "--format=%an|%aI|%s|%b", "main"]);
    assert_eq!(
        theirs.trim(),
        "Test User|2026-02-22T18:40:00Z|xp: note on cta|From the server\n\nExperiment-Id: "
            .to_owned()
            + &team.env.read("experiments/cta.yaml")[4..40]
    );
    // The work tree and the index follow the branch: nothing to commit.
    assert_eq!(team.env.git(&["status", "--porcelain"]), "");
    assert_eq!(team.sync().code, 0, "a second round changes nothing");
    assert_eq!(team.remote_notes(), ["From the mate", "From the server"]);
}

#[test]
fn behind_only_moves_forward_and_writes_the_changed_files() {
    let team = Team::new();
    team.mate_xp(&["update", "cta", "--owner", "growth"]);
    std::fs::write(team.mate.join("README.md"), "# team\n").unwrap();
    team.mate_git(&["add", "README.md"]);
    team.mate_git(&["commit", "-q", "-m", "A readme"]);
    team.mate_git(&["push", "-q"]);
    let (run, json) = team.sync_json();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json["round"]["fast_forwarded"], true);
    assert_eq!(json["round"]["replayed"], 0);
    assert_eq!(team.env.read("README.md"), "# team\n");
    assert!(
        team.env
            .read("experiments/cta.yaml")
            .contains("owner: growth")
    );
    assert_eq!(team.env.git(&["status", "--porcelain"]), "");
    assert_eq!(
        team.env.git(&["rev-parse", "HEAD"]),
        team.remote_git(&["rev-parse", "main"])
    );
}

#[test]
fn a_change_both_sides_made_differently_is_parked_never_lost() {
    let team = Team::new();
    team.mate_xp(&["update", "cta", "--owner", "mate-team"]);
    team.mate_git(&["push", "-q"]);
    team.env.ok(&["update", "cta", "--owner", "server-team"]);
    let parked_commit = team.env.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let (run, json) = team.sync_json();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        json["round"]["parked"][0]["fields"],
        serde_json::json!(["owner"])
    );
    assert_eq!(json["parked"][0]["commit"], parked_commit.as_str());
    // The remote's value stays on the branch; the local commit is kept under refs/xp/parked.
    assert!(
        team.env
            .read("experiments/cta.yaml")
            .contains("owner: mate-team")
    );
    assert_eq!(
        team.env
            .git(&["rev-parse", &format!("refs/xp/parked/{parked_commit}")])
            .trim(),
        parked_commit
    );
    assert!(
        team.env
            .git(&["show", &format!("{parked_commit}:experiments/cta.yaml")])
            .contains("owner: server-team")
    );
    let text = team.env.xp(&["sync"]).stderr;
    assert!(
        text.contains(&format!("warning: parked {}", &parked_commit[..7]))
            && text.contains("conflicts with the remote on owner"),
        "{text}"
    );
}

#[test]
fn a_parked_change_is_applied_with_the_side_a_person_keeps() {
    let mut team = Team::new();
    team.mate_xp(&[
        "update",
        "cta",
        "--owner",
        "mate-team",
        "-m",
        "Mate's owner",
    ]);
    team.mate_git(&["push", "-q"]);
    team.env.now = "2026-02-22T18:40:00Z".into();
    team.env.ok(&[
        "update",
        "cta",
        "--owner",
        "server-team",
        "-m",
        "Server's owner",
    ]);
    assert_eq!(team.sync().code, 0);
    let run = team
        .env
        .xp(&["sync", "--resolve", "cta", "--keep", "local"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = team.env.read("experiments/cta.yaml");
    assert!(text.contains("owner: server-team"), "{text}");
    // Both notes are in the log, once each.
    let record = team.env.record("experiments/cta.yaml");
    let notes: Vec<&str> = record
        .decision_log
        .iter()
        .map(|e| e.note.as_str())
        .collect();
    assert_eq!(notes, ["Mate's owner", "Server's owner"]);
    assert_eq!(team.env.git(&["for-each-ref", "refs/xp/parked/"]), "");
    let body = team.env.git(&["log", "-1", "--format=%s%n%b"]);
    assert!(
        body.starts_with("xp: resolve parked change on cta\n"),
        "{body}"
    );
    assert!(body.contains("Kept the local value of owner"), "{body}");
    assert_eq!(team.sync().code, 0);
    assert!(
        team.remote_git(&["show", "main:experiments/cta.yaml"])
            .contains("owner: server-team")
    );
    linear_one_file_commits(&team);
}

#[test]
fn reset_to_remote_parks_the_local_commits_and_moves_without_force() {
    let team = Team::new();
    assert_eq!(team.sync().code, 0);
    team.mate_git(&["commit", "-q", "--amend", "-m", "Rewritten"]);
    team.mate_git(&["push", "-q", "--force"]);
    team.env.ok(&["note", "cta", "Kept aside"]);
    let local = team.env.git(&["rev-parse", "HEAD"]).trim().to_owned();
    assert_eq!(team.sync().code, 1);
    let (run, json) = {
        let run = team
            .env
            .xp(&["sync", "--reset-to-remote", "--format", "json"]);
        let json: Value = serde_json::from_str(&run.stdout).unwrap();
        (run, json)
    };
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        team.env.git(&["rev-parse", "HEAD"]),
        team.remote_git(&["rev-parse", "main"])
    );
    assert!(
        json["round"]["parked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["commit"] == local.as_str())
    );
    assert_eq!(
        team.env
            .git(&["rev-parse", &format!("refs/xp/parked/{local}")])
            .trim(),
        local
    );
    assert_eq!(team.sync().code, 0, "in step again");
}

#[test]
fn a_refusing_hook_leaves_the_commits_pending_with_the_remotes_words() {
    let team = Team::new();
    let hook = team.remote.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'main is protected: open a pull request' >&2\nexit 1\n",
    )
    .unwrap();
    make_executable(&hook);
    team.env.ok(&["note", "cta", "Blocked by policy"]);
    let (run, json) = team.sync_json();
    assert_eq!(run.code, 1);
    assert_eq!(json["round"]["state"], "push-refused");
    assert_eq!(
        json["round"]["said"],
        "pre-receive hook declined: main is protected: open a pull request"
    );
    assert_eq!(json["round"]["ahead"], 1);
    assert!(
        run.stderr
            .contains("error: sync push-refused: pre-receive hook declined"),
        "{}",
        run.stderr
    );
    // The same round with the branch of its own the hook allows.
    std::fs::write(&hook, "#!/bin/sh\nwhile read old new ref; do [ \"$ref\" = refs/heads/main ] && exit 1; done\nexit 0\n").unwrap();
    let run = team.env.xp(&["sync", "--sync-branch", "xp/server"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        team.remote_git(&["rev-parse", "xp/server"]),
        team.env.git(&["rev-parse", "HEAD"])
    );
}

#[test]
fn an_unreachable_remote_or_refused_credentials_keep_every_commit() {
    let team = Team::new();
    team.env.ok(&["note", "cta", "Written offline"]);
    let moved = team.remote.with_extension("moved");
    std::fs::rename(&team.remote, &moved).unwrap();
    let (run, json) = team.sync_json();
    assert_eq!(run.code, 1);
    assert_eq!(json["round"]["state"], "offline");
    std::fs::rename(&moved, &team.remote).unwrap();

    // A fake ssh that is refused, and one that never answers.
    let mut env = team.env;
    let bin = env.root.parent().unwrap().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let refused = bin.join("refused-ssh");
    std::fs::write(
        &refused,
        "#!/bin/sh\necho 'git@example.invalid: Permission denied (publickey).' >&2\nexit 255\n",
    )
    .unwrap();
    make_executable(&refused);
    let hangs = bin.join("hanging-ssh");
    std::fs::write(&hangs, "#!/bin/sh\nsleep 30\n").unwrap();
    make_executable(&hangs);
    env.git(&["remote", "add", "far", "ssh://git@example.invalid/team.git"]);
    env.vars
        .push(("GIT_SSH_COMMAND".into(), refused.to_str().unwrap().into()));
    let run = env.xp(&["sync", "far", "--format", "json"]);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["round"]["state"], "auth-failed", "{}", run.stderr);
    env.vars.pop();
    env.vars
        .push(("GIT_SSH_COMMAND".into(), hangs.to_str().unwrap().into()));
    let started = std::time::Instant::now();
    let run = env.xp(&["sync", "far", "--timeout", "1", "--format", "json"]);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["round"]["state"], "offline");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the child was not stopped"
    );
    // Nothing was lost: the note is still the branch's tip.
    assert_eq!(
        env.git(&["log", "-1", "--format=%s"]).trim(),
        "xp: note on cta"
    );
}

#[test]
fn a_rewritten_remote_stops_the_sync_until_someone_looks() {
    let team = Team::new();
    assert_eq!(team.sync().code, 0);
    team.mate_git(&["commit", "-q", "--amend", "-m", "Rewritten"]);
    team.mate_git(&["push", "-q", "--force"]);
    team.env.ok(&["note", "cta", "Kept here"]);
    let (run, json) = team.sync_json();
    assert_eq!(run.code, 1);
    assert_eq!(json["round"]["state"], "diverged-history");
    assert_eq!(
        team.env.git(&["log", "-1", "--format=%s"]).trim(),
        "xp: note on cta"
    );
}

#[test]
fn a_commit_made_by_hand_in_the_clone_needs_attention() {
    let team = Team::new();
    team.mate_xp(&["note", "cta", "From the mate"]);
    team.mate_git(&["push", "-q"]);
    team.env.write("notes.txt", "by hand\n");
    team.env.git(&["add", "notes.txt"]);
    team.env.git(&["commit", "-q", "-m", "By hand"]);
    let (run, json) = team.sync_json();
    assert_eq!(run.code, 1);
    assert_eq!(json["round"]["state"], "needs-attention");
    assert!(
        json["round"]["said"]
            .as_str()
            .unwrap()
            .contains("is not one of xp's one-file commits")
    );
}

/// A sync killed at each point of its round loses nothing: the next round finishes it, and
/// the server, the remote and the teammate agree on every note, once each.
#[test]
fn a_sync_killed_anywhere_loses_nothing() {
    for point in [
        "sync-fetched",
        "sync-replayed",
        "advance-checked-out",
        "sync-before-push",
    ] {
        let mut team = Team::new();
        team.mate_xp(&["note", "cta", "From the mate"]);
        team.mate_git(&["push", "-q"]);
        team.env.now = "2026-02-22T18:40:00Z".into();
        team.env.ok(&["note", "cta", "From the server"]);
        team.env.vars.push(("XP_TEST_FAULT".into(), point.into()));
        let killed = team.sync();
        assert_ne!(killed.code, 0, "{point}: the sync was not stopped");
        team.env.vars.pop();
        let run = team.sync();
        assert_eq!(run.code, 0, "{point}: {}", run.stderr);
        assert_eq!(
            team.remote_notes(),
            ["From the mate", "From the server"],
            "{point}"
        );
        assert_eq!(team.env.git(&["status", "--porcelain"]), "", "{point}");
        assert_eq!(
            team.env.git(&["rev-parse", "HEAD"]),
            team.remote_git(&["rev-parse", "main"]),
            "{point}"
        );
        team.env.ok(&["check"]);
        team.mate_git(&["pull", "-q", "--ff-only"]);
        linear_one_file_commits(&team);
    }
}

/// The build gains no TLS library: the network is the `git` binary's.
#[test]
fn no_tls_library_enters_the_build() {
    let out = std::process::Command::new(option_env!("CARGO").unwrap_or("cargo"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    for tls in ["openssl-sys", "native-tls", "rustls"] {
        assert!(
            !tree.lines().any(|l| l.starts_with(tls)),
            "{tls} is in the build"
        );
    }
}

/// A teammate pushes after the round fetched and before it pushes: the push finds the remote
/// moved, the round fetches again, replays onto the teammate's commit and pushes; each note
/// lands once.
#[test]
fn a_teammate_pushing_between_the_fetch_and_the_push_is_replayed_onto() {
    let mut team = Team::new();
    team.mate_xp(&["note", "cta", "From the mate"]);
    team.env.now = "2026-02-22T18:40:00Z".into();
    team.env.ok(&["note", "cta", "From the server"]);
    let push = format!("git -C '{}' push -q", team.mate.display());
    team.env
        .vars
        .push(("XP_TEST_RUN_AT".into(), "sync-before-push".into()));
    team.env.vars.push(("XP_TEST_RUN".into(), push));
    let (run, answer) = team.sync_json();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let round = &answer["round"];
    // The teammate's commit reached the remote only after the fetch: replaying onto it is
    // the round finding the remote moved under its push.
    assert_eq!(
        (&round["replayed"], &round["pushed"], &round["state"]),
        (&json!(1), &json!(true), &json!("ok")),
        "{round}"
    );
    assert_eq!(team.remote_notes(), ["From the mate", "From the server"]);
    linear_one_file_commits(&team);
}

/// After a round, the clone's own notes are pushed at once; when the remote moved meanwhile
/// that push is refused, and the round fetches, replays and pushes as usual.
#[test]
fn a_push_at_once_that_finds_the_remote_moved_falls_back_to_a_full_round() {
    let mut team = Team::new();
    assert_eq!(team.sync().code, 0);
    team.env.ok(&["note", "cta", "Pushed at once"]);
    let (run, answer) = team.sync_json();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        (&answer["round"]["replayed"], &answer["round"]["pushed"]),
        (&json!(0), &json!(true))
    );
    team.mate_git(&["pull", "-q"]);
    team.mate_xp(&["note", "cta", "From the mate"]);
    team.mate_git(&["push", "-q"]);
    team.env.now = "2026-02-22T18:40:00Z".into();
    team.env.ok(&["note", "cta", "From the server"]);
    let (run, answer) = team.sync_json();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        (&answer["round"]["replayed"], &answer["round"]["pushed"]),
        (&json!(1), &json!(true))
    );
    assert_eq!(
        team.remote_notes(),
        ["Pushed at once", "From the mate", "From the server"]
    );
    linear_one_file_commits(&team);
}
