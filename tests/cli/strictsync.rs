//! `xp serve --sync --sync-mode strict`: a write is answered only once the remote has its
//! commit; when the remote cannot take it, the answer is 503 and nothing changed in the
//! server's clone.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server::Server;
use crate::team::{Team, linear_one_file_commits, make_executable};

fn strict(team: &Team) -> Server {
    let server = Server::start(
        &team.env,
        &[
            "--sync",
            "--sync-mode",
            "strict",
            "--sync-interval",
            "0",
            "--sync-timeout",
            "5",
        ],
    );
    let started = Instant::now();
    while server.get("/sync").expect(200).json()["rounds"].as_u64() < Some(1) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no first round"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// Everything a write could change in the server's clone: the branch, the index, the work
/// tree's status and the record's bytes, and any parked change.
fn clone_state(team: &Team) -> (String, String, String, Vec<u8>, String) {
    (
        team.env.git(&["rev-parse", "HEAD"]),
        team.env.git(&["ls-files", "--stage"]),
        team.env
            .git(&["status", "--porcelain", "--untracked-files=all"]),
        std::fs::read(team.env.root.join("experiments/cta.yaml")).unwrap(),
        team.env.git(&["for-each-ref", "refs/xp/parked/"]),
    )
}

#[test]
fn a_strict_write_is_answered_once_the_remote_has_its_commit() {
    let team = Team::new();
    let server = strict(&team);
    let answer = server
        .post("/experiments/cta/notes", json!({"note": "From the page"}))
        .expect(200);
    assert_eq!(answer.header("xp-sync"), Some("pushed"));
    let remote_tip = team.remote_git(&["rev-parse", "main"]);
    assert_eq!(
        answer.header("xp-commit"),
        Some(&remote_tip.trim()[..7]),
        "the answer names the commit the remote has"
    );
    assert_eq!(team.env.git(&["rev-parse", "HEAD"]), remote_tip);
    assert_eq!(team.remote_notes(), ["From the page"]);
    assert_eq!(team.env.git(&["status", "--porcelain"]), "");
    let updated = server
        .patch("/experiments/cta", json!({"owner": "growth"}))
        .expect(200);
    assert_eq!(updated.header("xp-sync"), Some("pushed"));
    assert!(
        team.remote_git(&["show", "main:experiments/cta.yaml"])
            .contains("owner: growth")
    );
    linear_one_file_commits(&team);
}

#[test]
fn a_strict_write_the_remotes_hook_refuses_changes_nothing_here() {
    let team = Team::new();
    let server = strict(&team);
    let hook = team.remote.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'main is protected: open a pull request' >&2\nexit 1\n",
    )
    .unwrap();
    make_executable(&hook);
    let before = clone_state(&team);
    let remote_before = team.remote_git(&["rev-parse", "main"]);
    for (method, path, body) in [
        ("POST", "/experiments/cta/notes", json!({"note": "Refused"})),
        ("PATCH", "/experiments/cta", json!({"owner": "growth"})),
        (
            "POST",
            "/experiments",
            json!({"title": "New one", "hypothesis": "h", "primary_metric": "m", "baseline": 1, "target": 2}),
        ),
    ] {
        let refused = server.send(method, path, Some(&body)).expect(503).json();
        let detail = refused["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("the remote did not take the change:")
                && detail.contains("main is protected: open a pull request"),
            "{refused}"
        );
        assert!(
            refused["hint"]
                .as_str()
                .unwrap()
                .starts_with("nothing was written"),
            "{refused}"
        );
        assert_eq!(
            clone_state(&team),
            before,
            "{method} {path} changed the clone"
        );
    }
    assert_eq!(team.remote_git(&["rev-parse", "main"]), remote_before);
    assert!(!team.env.root.join("experiments/new-one.yaml").exists());
    // Nothing waits to be pushed later either: the hook allowed again, the next write is
    // the only one the remote gets.
    std::fs::remove_file(&hook).unwrap();
    server
        .post("/experiments/cta/notes", json!({"note": "Allowed"}))
        .expect(200);
    assert_eq!(team.remote_notes(), ["Allowed"]);
}

#[test]
fn a_strict_write_to_an_unreachable_remote_changes_nothing_here() {
    let team = Team::new();
    let server = strict(&team);
    let before = clone_state(&team);
    let moved = team.remote.with_extension("away");
    std::fs::rename(&team.remote, &moved).unwrap();
    let refused = server
        .post("/experiments/cta/notes", json!({"note": "Offline"}))
        .expect(503)
        .json();
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .starts_with("the remote did not take the change:"),
        "{refused}"
    );
    assert_eq!(
        refused["hint"],
        "nothing was written; send it again once the remote answers"
    );
    assert_eq!(clone_state(&team), before);
    std::fs::rename(&moved, &team.remote).unwrap();
    server
        .post("/experiments/cta/notes", json!({"note": "Back"}))
        .expect(200);
    assert_eq!(team.remote_notes(), ["Back"]);
}

#[test]
fn a_strict_write_lands_on_a_teammates_push_it_had_not_fetched() {
    let team = Team::new();
    let server = strict(&team);
    team.mate_xp(&["note", "cta", "From the mate"]);
    team.mate_git(&["push", "-q"]);
    let answer = server
        .post("/experiments/cta/notes", json!({"note": "From the page"}))
        .expect(200);
    assert_eq!(answer.header("xp-sync"), Some("pushed"));
    assert_eq!(team.remote_notes(), ["From the mate", "From the page"]);
    assert_eq!(
        team.env.git(&["rev-parse", "HEAD"]),
        team.remote_git(&["rev-parse", "main"])
    );
    linear_one_file_commits(&team);
}

/// The form's version is checked against the remote's record, not the stale clone's: a
/// teammate's change the server had not fetched makes the form stale (412), and nothing is
/// written.
#[test]
fn a_stale_form_is_refused_against_the_remotes_record() {
    let team = Team::new();
    let server = strict(&team);
    let read = server.get("/experiments/cta").expect(200);
    let version = read.header("etag").unwrap().to_owned();
    team.mate_xp(&["update", "cta", "--owner", "mate-team"]);
    team.mate_git(&["push", "-q"]);
    let body = json!({"owner": "server-team"}).to_string();
    server
        .raw(
            "PATCH",
            "/experiments/cta",
            &[
                ("Host", &server.addr),
                ("Content-Type", "application/json"),
                ("If-Match", &version),
            ],
            body.as_bytes(),
        )
        .expect(412);
    let record: Value = server.get("/experiments/cta").expect(200).json();
    assert_eq!(record["owner"], "mate-team");
    assert!(
        team.remote_git(&["show", "main:experiments/cta.yaml"])
            .contains("owner: mate-team")
    );
}

/// A teammate pushes after the write's fetch and before its push: the push is refused as
/// behind, the server fetches again and makes the write again on the teammate's commit; the
/// note lands once.
#[test]
fn a_remote_that_moves_under_a_strict_push_is_fetched_and_the_write_made_again() {
    let mut team = Team::new();
    team.mate_xp(&["note", "cta", "From the mate"]);
    let marker = team.env.root.parent().unwrap().join("pushed-once");
    let push = format!(
        "[ -e '{m}' ] || {{ touch '{m}'; git -C '{mate}' push -q; }}",
        m = marker.display(),
        mate = team.mate.display()
    );
    team.env
        .vars
        .push(("XP_TEST_RUN_AT".into(), "strict-before-push".into()));
    team.env.vars.push(("XP_TEST_RUN".into(), push));
    let server = strict(&team);
    let answer = server
        .post("/experiments/cta/notes", json!({"note": "From the page"}))
        .expect(200);
    assert!(marker.exists(), "the teammate's push ran at the seam");
    assert_eq!(answer.header("xp-sync"), Some("pushed"));
    assert_eq!(team.remote_notes(), ["From the mate", "From the page"]);
    assert_eq!(
        team.env.git(&["rev-parse", "HEAD"]),
        team.remote_git(&["rev-parse", "main"])
    );
    assert_eq!(team.env.git(&["status", "--porcelain"]), "");
    linear_one_file_commits(&team);
}

#[test]
fn the_sync_mode_needs_sync() {
    let team = Team::new();
    let run = team
        .env
        .xp(&["serve", "--port", "0", "--sync-mode", "strict"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--sync"), "{}", run.stderr);
}

/// The server is killed after the remote took a strict write and before its branch moved:
/// the write was never answered, the remote has it, and the restarted server brings it here
/// once, with nothing left half-done in the clone.
#[test]
fn a_kill_between_the_push_and_the_branch_move_loses_nothing_and_doubles_nothing() {
    let mut team = Team::new();
    team.env
        .vars
        .push(("XP_TEST_FAULT".into(), "before-swap".into()));
    let server = strict(&team);
    let body = json!({"note": "Pushed, then killed"}).to_string();
    let request = format!(
        "POST /experiments/cta/notes HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.addr,
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty(), "the killed server answered");
    drop(server);
    assert_eq!(team.remote_notes(), ["Pushed, then killed"]);
    team.env.vars.retain(|(k, _)| k != "XP_TEST_FAULT");
    let server = strict(&team);
    let started = Instant::now();
    loop {
        let status = server.get("/sync").expect(200).json();
        if status["state"] == "ok" && status["behind"] == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{status}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let record = server.get("/experiments/cta").expect(200).json();
    assert_eq!(
        record["decision_log"].as_array().unwrap().len(),
        1,
        "{record}"
    );
    assert_eq!(
        team.env.git(&["rev-parse", "HEAD"]),
        team.remote_git(&["rev-parse", "main"])
    );
    assert_eq!(team.env.git(&["status", "--porcelain"]), "");
    server
        .post(
            "/experiments/cta/notes",
            json!({"note": "After the restart"}),
        )
        .expect(200);
    assert_eq!(
        team.remote_notes(),
        ["Pushed, then killed", "After the restart"]
    );
}

/// A remote that moves under every push: the write is made again on each new tip four times,
/// then answered 503, and nothing of it is anywhere.
#[test]
fn a_remote_that_keeps_moving_refuses_the_write_after_four_tries() {
    let mut team = Team::new();
    let count = team.env.root.parent().unwrap().join("pushes");
    let push = format!(
        "echo >> '{count}' && git -C '{mate}' commit -q --allow-empty -m 'Moves main' && \
         git -C '{mate}' push -q",
        count = count.display(),
        mate = team.mate.display()
    );
    team.env
        .vars
        .push(("XP_TEST_RUN_AT".into(), "strict-before-push".into()));
    team.env.vars.push(("XP_TEST_RUN".into(), push));
    let server = strict(&team);
    let refused = server
        .post("/experiments/cta/notes", json!({"note": "Never lands"}))
        .expect(503)
        .json();
    assert_eq!(
        (&refused["detail"], &refused["hint"]),
        (
            &json!("the remote's branch moved while the change was pushed"),
            &json!("send the change again")
        )
    );
    assert_eq!(std::fs::read_to_string(&count).unwrap().lines().count(), 4);
    assert_eq!(team.remote_notes(), Vec::<String>::new());
    let record = server.get("/experiments/cta").expect(200).json();
    assert_eq!(record["decision_log"], json!([]));
    assert_eq!(team.env.git(&["status", "--porcelain"]), "");
}
