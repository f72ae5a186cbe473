//! `xp serve --sync`: a team server beside a bare remote and a teammate's clone. Writes reach
//! the remote or say they wait; the teammate's pushes reach the server; a contradicted write
//! is refused with both values; reads never wait on the network.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server::Server;
use crate::team::{Team, linear_one_file_commits, make_executable};

/// Waits until `GET /sync` says `ready`, for up to 20 s; returns the status.
fn wait_sync(server: &Server, ready: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let status = server.get("/sync").expect(200).json();
        if ready(&status) {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the sync never got there: {status}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn syncing(team: &Team, more: &[&str]) -> Server {
    let mut args = vec!["--sync", "--sync-interval", "0", "--sync-timeout", "5"];
    args.extend_from_slice(more);
    let server = Server::start(&team.env, &args);
    wait_sync(&server, |s| s["rounds"].as_u64() >= Some(1));
    server
}

#[test]
fn a_note_through_the_server_reaches_the_remote_before_it_is_answered() {
    let team = Team::new();
    let server = syncing(&team, &[]);
    let answer = server
        .post(
            "/experiments/cta/notes",
            json!({"note": "From the page", "who": "pm"}),
        )
        .expect(200);
    assert_eq!(answer.header("xp-sync"), Some("pushed"));
    assert_eq!(team.remote_notes(), ["From the page"]);
    let status = server.get("/sync").expect(200).json();
    assert_eq!(
        (status["state"].as_str(), status["ahead"].as_u64()),
        (Some("ok"), Some(0))
    );
    linear_one_file_commits(&team);
}

#[test]
fn a_teammates_push_reaches_the_server_on_a_webhook() {
    let team = Team::new();
    let server = syncing(&team, &[]);
    team.mate_xp(&["note", "cta", "Pushed by the mate"]);
    team.mate_git(&["push", "-q"]);
    let before = server.get("/sync").expect(200).json()["rounds"]
        .as_u64()
        .unwrap();
    server.send("POST", "/sync", None).expect(202);
    wait_sync(&server, |s| s["rounds"].as_u64() > Some(before));
    let record = server.get("/experiments/cta").expect(200).json();
    assert_eq!(record["decision_log"][0]["note"], "Pushed by the mate");
    assert_eq!(team.env.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_write_the_remote_contradicts_is_refused_with_both_values_and_nothing_stays() {
    let team = Team::new();
    let server = syncing(&team, &[]);
    team.mate_xp(&["update", "cta", "--owner", "mate-team"]);
    team.mate_git(&["push", "-q"]);
    let refused = server
        .patch("/experiments/cta", json!({"owner": "server-team"}))
        .expect(409)
        .json();
    assert_eq!(
        refused["conflicts"],
        json!([{"field": "owner", "yours": "server-team", "remote": "mate-team"}])
    );
    assert!(
        refused["remote_author"]
            .as_str()
            .is_some_and(|a| a.starts_with("Mate")),
        "{refused}"
    );
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .ends_with("nothing was written")
    );
    let record = server.get("/experiments/cta").expect(200).json();
    assert_eq!(record["owner"], "mate-team");
    assert_eq!(team.env.git(&["for-each-ref", "refs/xp/parked/"]), "");
    assert_eq!(team.env.git(&["status", "--porcelain"]), "");
}

#[test]
fn offline_writes_wait_here_and_go_out_once_the_remote_answers() {
    let team = Team::new();
    let server = syncing(&team, &[]);
    let moved = team.remote.with_extension("away");
    std::fs::rename(&team.remote, &moved).unwrap();
    let answer = server
        .post("/experiments/cta/notes", json!({"note": "Written offline"}))
        .expect(200);
    assert_eq!(answer.header("xp-sync"), Some("pending"));
    let status = wait_sync(&server, |s| s["state"] == "offline");
    assert_eq!(status["ahead"], 1);
    std::fs::rename(&moved, &team.remote).unwrap();
    server.send("POST", "/sync", None).expect(202);
    wait_sync(&server, |s| s["state"] == "ok" && s["ahead"] == 0);
    assert_eq!(team.remote_notes(), ["Written offline"]);
}

#[test]
fn a_rewritten_remote_refuses_writes_and_keeps_answering_reads() {
    let team = Team::new();
    let server = syncing(&team, &[]);
    team.mate_git(&["commit", "-q", "--amend", "-m", "Rewritten"]);
    team.mate_git(&["push", "-q", "--force"]);
    server.send("POST", "/sync", None).expect(202);
    wait_sync(&server, |s| s["state"] == "diverged-history");
    let refused = server
        .post("/experiments/cta/notes", json!({"note": "Not now"}))
        .expect(503)
        .json();
    assert!(
        refused["hint"]
            .as_str()
            .unwrap()
            .contains("xp sync --reset-to-remote"),
        "{refused}"
    );
    server.get("/experiments/cta").expect(200);
}

#[test]
fn reads_never_wait_on_a_remote_that_hangs() {
    let mut team = Team::new();
    let bin = team.env.root.parent().unwrap().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let hangs = bin.join("hanging-ssh");
    std::fs::write(&hangs, "#!/bin/sh\nsleep 30\n").unwrap();
    make_executable(&hangs);
    team.env
        .git(&["remote", "add", "far", "ssh://git@example.invalid/team.git"]);
    team.env
        .vars
        .push(("GIT_SSH_COMMAND".into(), hangs.to_str().unwrap().into()));
    let server = Server::start(
        &team.env,
        &[
            "--sync",
            "far",
            "--sync-interval",
            "0",
            "--sync-timeout",
            "20",
        ],
    );
    for _ in 0..5 {
        let started = Instant::now();
        server.get("/experiments").expect(200);
        server.get("/experiments/cta").expect(200);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a read waited on the remote"
        );
    }
    assert_eq!(server.get("/sync").expect(200).json()["state"], "fetching");
}

#[test]
fn a_clone_with_changes_of_its_own_is_refused_at_start() {
    let team = Team::new();
    team.env.write("README.md", "local\n");
    team.env.git(&["add", "README.md"]);
    let run = team.env.xp(&["serve", "--port", "0", "--sync"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("this clone has changes outside the experiments: README.md"),
        "{}",
        run.stderr
    );
}
