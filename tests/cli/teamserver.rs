//! `xp serve --sync`: a team server beside a bare remote and a teammate's clone. Writes reach
//! the remote or say they wait; the teammate's pushes reach the server; a contradicted write
//! is refused with both values; reads never wait on the network.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve::Published;
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

#[test]
fn an_import_through_a_team_server_reaches_the_remote_one_commit_each() {
    let team = Team::new();
    let server = syncing(&team, &[]);
    let before = server.get("/sync").expect(200).json()["rounds"]
        .as_u64()
        .unwrap();
    let answer = server
        .post(
            "/experiments/import",
            json!([
                {"id": "00000000-0000-4000-8000-0000000000a1", "title": "Imported one",
                 "hypothesis": "h", "primary_metric": "m", "baseline": 1, "target": 2,
                 "decision_log": [{"at": "2025-06-01T10:00:00.000Z", "who": "ann", "note": "Old news"}]},
                {"id": "00000000-0000-4000-8000-0000000000a2", "title": "Imported two",
                 "hypothesis": "h", "primary_metric": "m", "baseline": 1, "target": 2},
            ]),
        )
        .expect(200)
        .json();
    assert_eq!(answer["created"].as_array().unwrap().len(), 2, "{answer}");
    // The import pokes the sync: the next round pushes both commits.
    wait_sync(&server, |s| {
        s["rounds"].as_u64() > Some(before) && s["ahead"] == 0 && s["state"] == "ok"
    });
    let subjects = team.remote_git(&["log", "-2", "--format=%s|%ad", "--date=short", "main"]);
    assert_eq!(
        subjects,
        format!(
            "xp: import imported-two|{}\nxp: import imported-one|2025-06-01\n",
            team.env.now.get(..10).unwrap()
        )
    );
    linear_one_file_commits(&team);
}

#[test]
fn health_says_where_the_branch_stands_even_without_sync() {
    let team = Team::new();
    let head = team.env.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let plain = Server::start(&team.env, &[]);
    // Without ?sync=1 the origin's answer stays as it was; given twice, the last one counts
    // (as FastAPI reads it), and a value that is no boolean is refused where it is.
    assert_eq!(plain.get("/health").json().get("sync"), None);
    assert_eq!(
        plain
            .get("/health?sync=1&sync=0")
            .expect(200)
            .json()
            .get("sync"),
        None
    );
    assert!(plain.get("/health?sync=0&sync=1").expect(200).json()["sync"].is_object());
    let refused = plain.get("/health?sync=null&sync=%FF").expect(422).json();
    assert_eq!(
        refused["detail"][0]["loc"],
        json!(["query", "sync"]),
        "{refused}"
    );
    let standing = plain.get("/health?sync=1").expect(200).json();
    assert_eq!(
        standing["sync"],
        json!({
            "branch": "main", "head": head, "upstream": "origin/main",
            "ahead": 0, "behind": 0, "state": null, "last_fetch": null,
        })
    );
    // A teammate's push, once fetched, shows as behind; a local commit as ahead.
    team.mate_xp(&["note", "cta", "Pushed by the mate"]);
    team.mate_git(&["push", "-q"]);
    team.env.git(&["fetch", "-q"]);
    team.env.ok(&["note", "cta", "Only here"]);
    let standing = plain.get("/health?sync=1").expect(200).json();
    assert_eq!(
        (&standing["sync"]["ahead"], &standing["sync"]["behind"]),
        (&json!(1), &json!(1))
    );
    drop(plain);

    // A team server adds its worker's state.
    let server = syncing(&team, &[]);
    let standing = server.get("/health?sync=1").expect(200).json();
    assert_eq!(standing["sync"]["state"], "ok", "{standing}");
    assert_eq!(
        (&standing["sync"]["ahead"], &standing["sync"]["behind"]),
        (&json!(0), &json!(0)),
        "the round integrated and pushed: {standing}"
    );
    assert!(standing["sync"]["last_fetch"].is_string(), "{standing}");
    // What the team server answers about its sync is what the document says.
    let mut published = Published::fetch(&server);
    for (method, path) in [
        ("GET", "/sync"),
        ("POST", "/sync"),
        ("GET", "/health?sync=1"),
    ] {
        let answer = server.send(method, path, None);
        published
            .check(method, path.split('?').next().unwrap(), &answer)
            .unwrap();
    }
}

/// Twenty writers send notes on five records through a team server while a teammate loops
/// `xp note && git pull --rebase && git push` on the same records: every note lands on the
/// remote exactly once, history stays linear, one file per commit.
#[test]
fn a_soak_of_writers_and_a_pushing_teammate_loses_nothing() {
    let team = Team::new();
    let slugs = ["cta", "two", "three", "four", "five"];
    for title in ["Two", "Three", "Four", "Five"] {
        team.env.experiment(title).create();
    }
    team.env.git(&["push", "-q"]);
    team.mate_git(&["pull", "-q"]);
    team.mate_xp(&["init"]);
    // The teammate's git runs the merge driver by path (this test's xp is on no PATH).
    let driver = format!("'{}' merge-driver %O %A %B %P", env!("CARGO_BIN_EXE_xp"));
    team.mate_git(&["config", "merge.xp.driver", &driver]);
    let server = Server::start(
        &team.env,
        &["--sync", "--sync-interval", "1", "--sync-timeout", "5"],
    );
    let mate = team.mate.to_str().unwrap().to_owned();
    let mut expected: Vec<(String, String)> = Vec::new();
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..20)
            .map(|w| {
                let server = &server;
                scope.spawn(move || {
                    let mut sent = Vec::new();
                    for n in 0..2 {
                        let slug = ["cta", "two", "three", "four", "five"][(w + n) % 5];
                        let note = format!("server writer {w} note {n}");
                        server
                            .post(
                                &format!("/experiments/{slug}/notes"),
                                json!({"note": note, "who": format!("w{w}")}),
                            )
                            .expect(200);
                        sent.push((slug.to_owned(), note));
                    }
                    sent
                })
            })
            .collect();
        for i in 0..8 {
            let slug = slugs[i % 5];
            let note = format!("mate note {i}");
            team.mate_xp(&["note", slug, &note]);
            expected.push((slug.to_owned(), note));
            let mut said = Vec::new();
            let pushed = (0..20).any(|_| {
                let pull = team.env.git_run(&["-C", &mate, "pull", "-q", "--rebase"]);
                let push = (pull.code == 0).then(|| team.env.git_run(&["-C", &mate, "push", "-q"]));
                said.push(format!(
                    "{}{}",
                    pull.stderr,
                    push.as_ref().map_or("", |p| &p.stderr)
                ));
                push.is_some_and(|p| p.code == 0)
            });
            assert!(pushed, "the teammate could not push note {i}: {said:#?}");
        }
        for writer in writers {
            expected.extend(writer.join().unwrap());
        }
    });
    server.send("POST", "/sync", None).expect(202);
    wait_sync(&server, |s| s["state"] == "ok" && s["ahead"] == 0);
    for slug in slugs {
        let text = team.remote_git(&["show", &format!("main:experiments/{slug}.yaml")]);
        let mut landed: Vec<String> = crate::support::record_of(text.as_bytes())
            .decision_log
            .into_iter()
            .map(|e| e.note)
            .collect();
        landed.sort();
        let mut wanted: Vec<String> = expected
            .iter()
            .filter(|(s, _)| s == slug)
            .map(|(_, n)| n.clone())
            .collect();
        wanted.sort();
        assert_eq!(landed, wanted, "{slug}: every note once");
    }
    linear_one_file_commits(&team);
    assert_eq!(team.env.git(&["status", "--porcelain"]), "");
}

/// The pages of a team server say where the sync stands in one line, amber while a change
/// waits for the remote, and mark on a story the commits the remote does not have yet; a
/// server without `--sync` says nothing of it.
#[test]
fn the_board_says_where_the_sync_stands_and_a_story_marks_what_is_not_pushed() {
    let team = Team::new();
    let plain = Server::start(&team.env, &[]);
    let board = plain.get("/").expect(200).text();
    assert!(!board.contains("data-sync"), "{board}");
    drop(plain);

    let server = syncing(&team, &[]);
    let board = server.get("/").expect(200).text();
    let at = board.find("data-sync").expect("a sync line");
    let line = &board[board[..at].rfind('<').unwrap()..at + board[at..].find("</span>").unwrap()];
    assert!(line.contains("sync-calm"), "{line}");
    assert!(line.contains("in sync with origin/main, fetched"), "{line}");
    let story = server.get("/e/cta").expect(200).text();
    assert!(!story.contains("not yet pushed"), "{story}");

    let moved = team.remote.with_extension("away");
    std::fs::rename(&team.remote, &moved).unwrap();
    server
        .post("/experiments/cta/notes", json!({"note": "Written offline"}))
        .expect(200);
    wait_sync(&server, |s| s["state"] == "offline");
    let board = server.get("/").expect(200).text();
    assert!(
        board.contains(
            "class=\"sync sync-waiting\" data-sync=\"\">sync offline with origin/main: 1 pending"
        ),
        "{board}"
    );
    let story = server.get("/e/cta").expect(200).text();
    assert_eq!(story.matches("data-unpushed").count(), 1, "{story}");
    let head = team.env.git(&["rev-parse", "--short", "HEAD"]);
    let mark = story.find("data-unpushed").unwrap();
    let step = &story[story[..mark].rfind("<li").unwrap()..mark];
    assert!(
        step.contains(head.trim()),
        "the new commit is marked: {step}"
    );

    std::fs::rename(&moved, &team.remote).unwrap();
    server.send("POST", "/sync", None).expect(202);
    wait_sync(&server, |s| s["state"] == "ok" && s["ahead"] == 0);
    let story = server.get("/e/cta").expect(200).text();
    assert!(!story.contains("data-unpushed"), "pushed now");
}

#[test]
fn a_parked_change_is_shown_on_its_story_with_how_to_keep_a_side() {
    let team = Team::new();
    let server = syncing(&team, &[]);
    let story = server.get("/e/cta").expect(200).text();
    assert!(!story.contains("data-parked"), "{story}");

    // Answered while the remote was away; meanwhile a teammate set the same key differently.
    let moved = team.remote.with_extension("away");
    std::fs::rename(&team.remote, &moved).unwrap();
    let answer = server
        .patch("/experiments/cta", json!({"owner": "server-team"}))
        .expect(200);
    assert_eq!(answer.header("xp-sync"), Some("pending"));
    std::fs::rename(&moved, &team.remote).unwrap();
    team.mate_xp(&["update", "cta", "--owner", "mate-team"]);
    team.mate_git(&["push", "-q"]);
    server.send("POST", "/sync", None).expect(202);
    let status = wait_sync(&server, |s| {
        s["parked"].as_array().is_some_and(|p| !p.is_empty())
    });
    let commit = status["parked"][0]["commit"].as_str().unwrap().to_owned();

    let story = server.get("/e/cta").expect(200).text();
    let at = story.find("data-parked").expect("a parked section");
    let section = &story[at..at + story[at..].find("</section>").unwrap()];
    assert!(section.contains("differs on owner"), "{section}");
    assert!(
        section.contains(&format!("xp sync --resolve {commit} --keep local")),
        "{section}"
    );
    assert_eq!(
        server.get("/experiments/cta").expect(200).json()["owner"],
        "mate-team",
        "the remote's value stands"
    );
    // Another experiment's story says nothing of it.
    server
        .post(
            "/experiments",
            json!({"title": "Other", "hypothesis": "h", "primary_metric": "m", "baseline": 1, "target": 2}),
        )
        .expect(200);
    let other = server.get("/e/other").expect(200).text();
    assert!(!other.contains("data-parked"), "{other}");
}
