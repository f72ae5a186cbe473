//! `xp serve`: the real binary on an ephemeral port, spoken to over HTTP — the origin
//! service's requests, every status code, the protections, concurrent writers beside the CLI,
//! generated hostile requests, and the OpenAPI document checked by a validator.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server::{Resp, Server};
use crate::support::TestEnv;

fn cta() -> Value {
    json!({
        "title": "Homepage CTA Color",
        "hypothesis": "Changing CTA button from blue to green increases signups by 15%",
        "primary_metric": "signup_rate",
        "baseline": 3.2,
        "target": 3.7
    })
}

/// A repository with `experiments/`, and a server on it.
fn served(args: &[&str]) -> (TestEnv, Server) {
    let env = TestEnv::repo();
    env.ok(&["init"]);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "init"]);
    let server = Server::start(&env, args);
    (env, server)
}

fn subjects(env: &TestEnv) -> Vec<String> {
    env.git(&["log", "--format=%s"])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_origin_readmes_requests_answer_as_the_origin_did_and_each_write_is_a_commit() {
    let (env, server) = served(&[]);

    server.get("/health").expect(200);
    assert_eq!(
        server.get("/health").json(),
        json!({"status": "ok", "merge_driver": true, "branch": "main"})
    );

    let created = server.post("/experiments", cta()).expect(200).json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["title"], "Homepage CTA Color");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["confidence"], 0);
    assert_eq!(created["decision"], Value::Null);
    assert_eq!(created["learning"], Value::Null);
    assert_eq!(created["decision_log"], json!([]));

    let by_alice = server
        .post(
            &format!("/experiments/{id}/notes"),
            json!({"who": "alice", "note": "Launched to 10% of users"}),
        )
        .expect(200)
        .json();
    assert_eq!(
        by_alice["decision_log"],
        json!([{"at": "2026-02-22T18:30:00.000Z", "who": "alice", "note": "Launched to 10% of users"}])
    );
    let anonymous = server
        .post(
            &format!("/experiments/{id}/notes"),
            json!({"note": "p-value dropped below 0.05 after 3 days"}),
        )
        .expect(200)
        .json();
    assert_eq!(
        anonymous["decision_log"][1],
        json!({"at": "2026-02-22T18:30:00.000Z", "who": null, "note": "p-value dropped below 0.05 after 3 days"}),
        "without `who` the entry names no one, as the origin's did"
    );

    // Read back by id, slug and prefix; the list and its filters.
    let by_id = server.get(&format!("/experiments/{id}")).expect(200).json();
    assert_eq!(by_id, anonymous);
    assert_eq!(
        server
            .get("/experiments/homepage-cta-color")
            .expect(200)
            .json(),
        by_id
    );
    assert_eq!(
        server
            .get(&format!("/experiments/{}", &id[..6]))
            .expect(200)
            .json(),
        by_id
    );
    assert_eq!(
        server.get("/experiments").expect(200).json(),
        json!([by_id])
    );
    assert_eq!(
        server
            .get("/experiments?status=draft&status=running")
            .json(),
        json!([by_id])
    );
    assert_eq!(server.get("/experiments?status=running").json(), json!([]));

    let patched = server
        .patch(
            "/experiments/homepage-cta-color",
            json!({"status": "running", "confidence": 40, "who": "bob"}),
        )
        .expect(200)
        .json();
    assert_eq!(patched["status"], "running");
    assert_eq!(patched["confidence"], 40);
    assert_eq!(
        patched["decision_log"][2],
        json!({"at": "2026-02-22T18:30:00.000Z", "who": "bob", "note": "status: draft -> running"})
    );

    // Once it ran, the plan is locked: a change to it needs a reason, which is logged.
    let locked = server
        .patch("/experiments/homepage-cta-color", json!({"target": 3.9}))
        .expect(409)
        .json();
    assert!(
        locked["hint"].as_str().unwrap().contains("amend"),
        "{locked}"
    );
    let blank = server
        .patch(
            "/experiments/homepage-cta-color",
            json!({"target": 3.9, "amend": " "}),
        )
        .expect(422)
        .json();
    assert_eq!(blank["detail"][0]["loc"], json!(["body", "amend"]));
    let amended = server
        .patch(
            "/experiments/homepage-cta-color",
            json!({"target": 3.9, "amend": "the baseline moved", "who": "bob"}),
        )
        .expect(200)
        .json();
    assert_eq!(amended["target"], 3.9);
    assert!(
        amended["decision_log"][3]["note"]
            .as_str()
            .unwrap()
            .contains("the baseline moved"),
        "{amended}"
    );

    // The export is the bytes of `xp export`.
    let csv = server.get("/experiments/export.csv").expect(200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(csv.text(), env.ok(&["export"]));
    let excel = server.get("/experiments/export.csv?excel=true&status=running");
    assert_eq!(
        excel.text(),
        env.ok(&["export", "--excel", "--status", "running"])
    );

    // Each write is one commit of one file, with the CLI's subjects, by the server's identity.
    assert_eq!(
        subjects(&env)[..5],
        [
            "xp: amend homepage-cta-color",
            "xp: status running on homepage-cta-color",
            "xp: note on homepage-cta-color",
            "xp: note on homepage-cta-color",
            "xp: new homepage-cta-color",
        ]
    );
    assert_eq!(
        env.last_commit_paths(),
        ["experiments/homepage-cta-color.yaml"]
    );
    let last = env.git(&["log", "-1", "--format=%an <%ae>%n%B"]);
    assert!(last.starts_with("Test User <test@example.com>\n"), "{last}");
    assert!(last.contains(&format!("Experiment-Id: {id}")), "{last}");

    // The notes alone, as the record holds them.
    assert_eq!(
        server
            .get("/experiments/homepage-cta-color/notes")
            .expect(200)
            .json(),
        amended["decision_log"]
    );
    // The log beside its commits, as `xp log --format json`.
    let log = server
        .get("/experiments/homepage-cta-color/log")
        .expect(200)
        .json();
    let cli: Value =
        serde_json::from_str(&env.ok(&["log", "homepage-cta-color", "--format", "json"])).unwrap();
    assert_eq!(log, cli);
    assert_eq!(env.xp(&["check"]).code, 0);
}

/// Two records whose ids share the prefix `aaaa`.
fn two_records_sharing_a_prefix(env: &TestEnv) {
    for (slug, id) in [
        ("first", "aaaa1111-7a3d-4f5e-8b1c-2d3e4f5a6b7c"),
        ("second", "aaaa2222-7a3d-4f5e-8b1c-2d3e4f5a6b7c"),
    ] {
        env.write(
            &format!("experiments/{slug}.yaml"),
            &format!(
                "id: {id}\ntitle: {slug}\nhypothesis: h\nprimary_metric: m\nbaseline: 1\n\
                 target: 2\nstatus: draft\nconfidence: 0\ndecision: null\nlearning: null\n\
                 decision_log:\n"
            ),
        );
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "two records"]);
}

#[test]
fn every_status_code_answers_as_fastapi_would() {
    let (env, server) = served(&[]);
    two_records_sharing_a_prefix(&env);

    // 404: an unknown ref or path, as {"detail": "..."}.
    let missing = server.get("/experiments/no-such-thing").expect(404).json();
    assert!(
        missing["detail"]
            .as_str()
            .unwrap()
            .contains("no-such-thing")
    );
    assert_eq!(
        server.get("/nope").expect(404).json(),
        json!({"detail": "Not Found"})
    );
    server
        .post("/experiments/no-such-thing/notes", json!({"note": "x"}))
        .expect(404);
    // A path never reaches the file system through a ref.
    server
        .get("/experiments/..%2F..%2Fetc%2Fpasswd")
        .expect(404);
    server.get("/experiments/first.yaml").expect(404);

    // 405 with Allow.
    let wrong = server
        .send("DELETE", "/experiments/first", None)
        .expect(405);
    assert_eq!(wrong.json(), json!({"detail": "Method Not Allowed"}));
    let allow = wrong.header("allow").unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("PATCH"), "{allow}");
    server.send("PUT", "/health", None).expect(405);

    // 409: an ambiguous ref lists the candidates.
    let ambiguous = server.get("/experiments/aaaa").expect(409).json();
    assert_eq!(ambiguous["candidates"].as_array().unwrap().len(), 2);
    // 409: a status move xp update refuses.
    let refused = server
        .patch("/experiments/first", json!({"status": "shipped"}))
        .expect(409)
        .json();
    assert!(
        refused["hint"].as_str().unwrap().contains("force"),
        "{refused}"
    );

    // 422: every problem at once, each with its rule, field, message and input.
    let bad = server
        .post(
            "/experiments",
            json!({"title": "", "hypothesis": " ", "primary_metric": "m", "baseline": "3.2",
                   "target": 3.7, "confidence": 101, "colour": "green"}),
        )
        .expect(422)
        .json();
    let detail = bad["detail"].as_array().unwrap();
    let found: Vec<(String, Value)> = detail
        .iter()
        .map(|d| (d["type"].as_str().unwrap().to_owned(), d["loc"].clone()))
        .collect();
    for (rule, field) in [
        ("title-length", "title"),
        ("empty-field", "hypothesis"),
        ("wrong-type", "baseline"),
        ("confidence-range", "confidence"),
        ("unknown-key", "colour"),
    ] {
        assert!(
            found.contains(&(rule.to_owned(), json!(["body", field]))),
            "{rule} at {field} missing from {bad}"
        );
    }
    let baseline = detail.iter().find(|d| d["type"] == "wrong-type").unwrap();
    assert_eq!(baseline["input"], "3.2");
    assert!(baseline["msg"].as_str().unwrap().contains("baseline"));

    let broken_by_change = server
        .patch("/experiments/first", json!({"target": 0.5, "title": 7}))
        .expect(422)
        .json();
    assert_eq!(
        broken_by_change["detail"][0]["loc"],
        json!(["body", "title"]),
        "{broken_by_change}"
    );
    let rule = server
        .patch("/experiments/first", json!({"target": 0.5}))
        .expect(422)
        .json();
    assert_eq!(rule["detail"][0]["type"], "target-vs-baseline");
    assert_eq!(rule["detail"][0]["loc"], json!(["body", "target"]));
    server
        .post("/experiments/first/notes", json!({"note": "  "}))
        .expect(422);
    server
        .post("/experiments/first/notes", json!({"who": "alice"}))
        .expect(422);

    // 422 json_invalid for bad JSON; a body that is no object is refused too.
    let headers = [
        ("Host", server.addr.as_str()),
        ("Content-Type", "application/json"),
    ];
    let invalid = server
        .raw("POST", "/experiments", &headers, b"{\"title\": ")
        .expect(422)
        .json();
    assert_eq!(invalid["detail"][0]["type"], "json_invalid");
    server
        .raw("POST", "/experiments", &headers, b"[1, 2]")
        .expect(422);
    server
        .raw("POST", "/experiments", &headers, b"")
        .expect(422);
    server
        .raw("POST", "/experiments", &headers, b"\xff\xfe")
        .expect(422);
    let query = server.get("/experiments?status=bogus").expect(422).json();
    assert_eq!(query["detail"][0]["loc"], json!(["query", "status"]));

    // 415: a write that is not JSON.
    let form = [
        ("Host", server.addr.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    server
        .raw("POST", "/experiments/first/notes", &form, b"note=hi")
        .expect(415);
    server
        .raw(
            "POST",
            "/experiments/first/notes",
            &[("Host", &server.addr)],
            b"{\"note\": \"hi\"}",
        )
        .expect(415);

    // 413: a body over 1 MiB, declared or streamed.
    let declared = format!(
        "POST /experiments/first/notes HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 2000000\r\nConnection: close\r\n\r\n",
        server.addr
    );
    server.exchange(declared.as_bytes()).expect(413);
    let big = format!("{{\"note\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let mut chunked = format!(
        "POST /experiments/first/notes HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.addr
    )
    .into_bytes();
    for chunk in big.as_bytes().chunks(64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    server.exchange(&chunked).expect(413);

    // 503: git's state forbids writes; the CLI's message and fix.
    let head = env.git(&["rev-parse", "HEAD"]);
    env.write(".git/index.lock", "");
    let locked = server
        .post("/experiments/first/notes", json!({"note": "blocked"}))
        .expect(503)
        .json();
    // The lock is named from the repository's root: an answer never says where the
    // server's files are.
    assert_eq!(
        locked["detail"], ".git/index.lock exists: another git process is running",
        "{locked}"
    );
    let hint = locked["hint"].as_str().unwrap();
    assert!(hint.ends_with("remove .git/index.lock"), "{locked}");
    let root = env.root.canonicalize().unwrap();
    assert!(
        !locked.to_string().contains(root.to_str().unwrap()),
        "{locked}"
    );
    std::fs::remove_file(env.path(".git/index.lock")).unwrap();
    assert_eq!(
        env.git(&["rev-parse", "HEAD"]),
        head,
        "nothing was committed"
    );

    // Nothing above was written.
    assert_eq!(subjects(&env), ["two records", "init"]);
    assert!(env.git(&["status", "--porcelain"]).is_empty());
}

/// A path with a trailing slash is redirected (307, which keeps the method and body) to the
/// route without it, as FastAPI does; a path no route takes either way stays 404.
#[test]
fn a_trailing_slash_is_redirected_to_the_route_as_fastapi_does() {
    let (env, server) = served(&[]);
    env.new_cta();
    let before = env.commit_count();
    for (path, to) in [
        ("/experiments/", "/experiments"),
        ("/experiments/?status=draft", "/experiments?status=draft"),
        (
            "/experiments/homepage-cta-color/",
            "/experiments/homepage-cta-color",
        ),
        ("/health/", "/health"),
    ] {
        let moved = server.get(path).expect(307);
        assert_eq!(moved.header("location"), Some(to), "{path}");
        server.get(to).expect(200);
    }
    let post = server
        .post(
            "/experiments/homepage-cta-color/notes/",
            json!({"note": "x"}),
        )
        .expect(307);
    assert_eq!(
        post.header("location"),
        Some("/experiments/homepage-cta-color/notes")
    );
    assert_eq!(env.commit_count(), before, "a redirect writes nothing");
    server.get("/nope/").expect(404);
    server.get("//evil.example/").expect(404);
}

/// JSON bodies: a byte-order mark is accepted, as the origin accepted it; a key given twice is
/// refused naming the key, as a record's YAML refuses it; half a surrogate pair is said as such.
#[test]
fn json_bodies_are_read_as_the_origin_read_them_and_in_plain_words() {
    let (env, server) = served(&[]);
    let headers = [
        ("Host", server.addr.as_str()),
        ("Content-Type", "application/json"),
    ];
    let mut with_bom = b"\xef\xbb\xbf".to_vec();
    with_bom.extend_from_slice(cta().to_string().as_bytes());
    let created = server
        .raw("POST", "/experiments", &headers, &with_bom)
        .expect(200)
        .json();
    assert_eq!(created["title"], "Homepage CTA Color");
    let before = env.commit_count();

    let twice = server
        .raw(
            "POST",
            "/experiments/homepage-cta-color/notes",
            &headers,
            br#"{"note": "keep", "note": "lose"}"#,
        )
        .expect(422)
        .json();
    assert_eq!(
        twice["detail"][0]["loc"],
        json!(["body", "note"]),
        "{twice}"
    );
    assert!(
        twice["detail"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("`note` is given twice"),
        "{twice}"
    );
    let half = server
        .raw(
            "POST",
            "/experiments/homepage-cta-color/notes",
            &headers,
            br#"{"note": "\ud800"}"#,
        )
        .expect(422)
        .json();
    let said = half["detail"][0]["msg"].as_str().unwrap();
    assert!(
        said.contains(r"`\ud800`") && said.contains("half of a UTF-16 surrogate pair"),
        "{half}"
    );
    assert_eq!(env.commit_count(), before, "nothing was written");
}

/// A list with items of the wrong type has a problem per item, each at its index.
#[test]
fn each_bad_item_of_a_list_is_its_own_problem_at_its_index() {
    let (env, server) = served(&[]);
    let mut payload = cta();
    payload["tags"] = json!(["ok", 1, true]);
    let created = server.post("/experiments", payload).expect(422).json();
    env.new_cta();
    let changed = server
        .patch(
            "/experiments/homepage-cta-color",
            json!({"tags": ["ok", 1, true]}),
        )
        .expect(422)
        .json();
    for answer in [created, changed] {
        let detail = answer["detail"].as_array().unwrap();
        let places: Vec<(&Value, &Value)> =
            detail.iter().map(|d| (&d["loc"], &d["input"])).collect();
        assert_eq!(
            places,
            [
                (&json!(["body", "tags", 1]), &json!(1)),
                (&json!(["body", "tags", 2]), &json!(true)),
            ],
            "{answer}"
        );
        assert!(
            detail[0]["msg"].as_str().unwrap().contains("`tags[1]`"),
            "{answer}"
        );
    }
}

/// The listing filters by owner, by words (as `xp search` finds and ranks them), and keeps the
/// undecided with `decision=null`.
#[test]
fn the_listing_filters_by_owner_words_and_no_decision() {
    let (env, server) = served(&[]);
    let make = |title: &str, hypothesis: &str, owner: &str| {
        let mut payload = cta();
        payload["title"] = json!(title);
        payload["hypothesis"] = json!(hypothesis);
        payload["owner"] = json!(owner);
        server.post("/experiments", payload).expect(200);
    };
    make(
        "Green checkout button",
        "A green button lifts checkout",
        "alice",
    );
    make("Checkout in one page", "One page beats three", "bob");
    make("Pricing toggle", "Annual prices first", "Alice");
    server
        .patch(
            "/experiments/pricing-toggle",
            json!({"status": "running", "decision": "iterate"}),
        )
        .expect(200);
    let titles = |path: &str| -> Vec<String> {
        server
            .get(path)
            .expect(200)
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles("/experiments?owner=alice"),
        ["Green checkout button", "Pricing toggle"]
    );
    assert_eq!(titles("/experiments?owner=nobody"), Vec::<String>::new());
    assert_eq!(titles("/experiments?owner="), titles("/experiments"));
    assert_eq!(
        titles("/experiments?decision=null"),
        ["Checkout in one page", "Green checkout button"]
    );
    assert_eq!(titles("/experiments?decision=iterate"), ["Pricing toggle"]);
    // Words, best first, as `xp search` finds and ranks them: here in the title and the
    // hypothesis beats in the title alone.
    assert_eq!(
        titles("/experiments?q=checkouts"),
        ["Green checkout button", "Checkout in one page"]
    );
    let cli = env.ok(&["search", "checkouts", "--format", "json"]);
    let cli: Vec<String> = serde_json::from_str::<Value>(&cli)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles("/experiments?q=checkouts"), cli);
    assert_eq!(
        titles("/experiments?q=green&owner=bob"),
        Vec::<String>::new()
    );
    assert_eq!(titles("/experiments?q=the"), Vec::<String>::new());
    assert_eq!(titles("/experiments?q=%21%21"), Vec::<String>::new());
    // The export takes the same filters, but for the words.
    let csv = server
        .get("/experiments/export.csv?owner=bob&decision=null")
        .expect(200)
        .text();
    assert_eq!(csv.lines().count(), 2, "{csv}");
}

/// The entries the server writes on its own (a status move, on a create or a PATCH) name the
/// request's `who`, and nobody without one, as the origin's notes did; the commit's author is
/// the server's git identity either way.
#[test]
fn entries_the_server_writes_name_the_requests_who_and_else_nobody() {
    let (env, server) = served(&[]);
    let mut running = cta();
    running["status"] = json!("running");
    let created = server.post("/experiments", running).expect(200).json();
    assert_eq!(
        created["decision_log"],
        json!([{"at": "2026-02-22T18:30:00.000Z", "who": null, "note": "status: draft -> running"}])
    );
    let stopped = server
        .patch(
            "/experiments/homepage-cta-color",
            json!({"status": "killed", "note": "no lift"}),
        )
        .expect(200)
        .json();
    assert_eq!(stopped["decision_log"][1]["who"], Value::Null);
    let named = server
        .patch(
            "/experiments/homepage-cta-color",
            json!({"status": "draft", "who": "bob"}),
        )
        .expect(200)
        .json();
    assert_eq!(named["decision_log"][2]["who"], "bob");
    assert_eq!(
        env.git(&["log", "-3", "--format=%an"]),
        "Test User\nTest User\nTest User\n"
    );
}

/// A note may hold any character, NUL included: the record keeps it, and the commit message
/// (which cannot hold a NUL) says it escaped, as a terminal shows it (`\0`).
#[test]
fn a_nul_in_a_note_is_kept_in_the_record_and_said_in_the_commit() {
    let (env, server) = served(&[]);
    server.post("/experiments", cta()).expect(200);
    let noted = server
        .post(
            "/experiments/homepage-cta-color/notes",
            json!({"note": "\u{0}\u{fd}a"}),
        )
        .expect(200)
        .json();
    assert_eq!(noted["decision_log"][0]["note"], "\u{0}\u{fd}a");
    assert_eq!(
        env.git(&["log", "-1", "--format=%b"]).lines().next(),
        Some("\\0\u{fd}a")
    );
    assert_eq!(env.xp(&["check"]).code, 0);
    assert!(env.git(&["status", "--porcelain"]).is_empty());
}

#[test]
fn forty_notes_at_once_all_land_one_commit_each() {
    let (env, server) = served(&[]);
    let id = server.post("/experiments", cta()).expect(200).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = env.commit_count();
    let server = std::sync::Arc::new(server);
    let threads: Vec<_> = (0..40)
        .map(|i| {
            let server = server.clone();
            let path = format!("/experiments/{id}/notes");
            std::thread::spawn(move || {
                server
                    .post(&path, json!({"note": format!("note {i}"), "who": "load"}))
                    .status
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(env.commit_count(), before + 40);
    let record = server.get(&format!("/experiments/{id}")).expect(200).json();
    let mut notes: Vec<String> = record["decision_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["note"].as_str().unwrap().to_owned())
        .collect();
    notes.sort();
    let mut wanted: Vec<String> = (0..40).map(|i| format!("note {i}")).collect();
    wanted.sort();
    assert_eq!(notes, wanted);
    assert_eq!(env.xp(&["check"]).code, 0);
    assert!(env.git(&["status", "--porcelain"]).is_empty());
}

#[test]
fn the_cli_and_the_server_see_one_truth_and_no_change_is_served_stale() {
    let (env, server) = served(&[]);
    env.new_cta();
    // A CLI note is seen by the next request.
    env.ok(&[
        "note",
        "homepage-cta-color",
        "from the terminal",
        "--who",
        "carol",
    ]);
    let record = server
        .get("/experiments/homepage-cta-color")
        .expect(200)
        .json();
    assert_eq!(record["decision_log"][0]["note"], "from the terminal");
    // A server note is seen by the CLI, and CLI and server writes interleave.
    server
        .post(
            "/experiments/homepage-cta-color/notes",
            json!({"note": "from HTTP"}),
        )
        .expect(200);
    assert!(
        env.ok(&["show", "homepage-cta-color"])
            .contains("from HTTP")
    );
    assert_eq!(env.commit_count(), 4);

    // A file changed in place keeps its size, and even its mtime: the list still sees it.
    let rel = "experiments/homepage-cta-color.yaml";
    let old_time = |env: &TestEnv| {
        let status = std::process::Command::new("touch")
            .args(["-d", "2020-01-01T00:00:00"])
            .arg(env.path(rel))
            .status()
            .unwrap();
        assert!(status.success());
    };
    old_time(&env);
    let listed = server.get("/experiments").expect(200).json();
    assert_eq!(listed[0]["confidence"], 0);
    let listed_again = server.get("/experiments").expect(200).json();
    assert_eq!(listed_again, listed, "kept while unchanged");
    let text = env.read(rel).replace("confidence: 0", "confidence: 7");
    std::fs::OpenOptions::new()
        .write(true)
        .open(env.path(rel))
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    old_time(&env);
    assert_eq!(server.get("/experiments").json()[0]["confidence"], 7);
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        server.get(&format!("/experiments/{id}")).json()["confidence"],
        7
    );

    // A file broken by hand is left out of the list, named, and refused for writes.
    env.write(rel, &text.replace("confidence: 7", "confidence: lots"));
    let broken = server.get("/experiments").expect(200);
    assert_eq!(broken.header("xp-broken-files"), Some("1"));
    assert_eq!(broken.json(), json!([]));
    server.get("/experiments/export.csv").expect(409);
    // A client that must not miss a record asks for all or nothing, as the export is.
    let strict = server.get("/experiments?strict=true").expect(409).json();
    assert_eq!(strict["problems"][0]["path"], rel, "{strict}");
    assert_eq!(strict["problems"][0]["rule"], "wrong-type", "{strict}");
    assert!(
        strict["hint"].as_str().unwrap().contains("xp check"),
        "{strict}"
    );
    server.get("/experiments?strict=maybe").expect(422);
    assert_eq!(server.get("/experiments?strict=false").json(), json!([]));
    let refused = server
        .post(
            "/experiments/homepage-cta-color/notes",
            json!({"note": "x"}),
        )
        .expect(409)
        .json();
    assert_eq!(refused["problems"][0]["rule"], "wrong-type");
    // Mended, the strict list is the whole list, without the header.
    env.write(rel, &text);
    let whole = server.get("/experiments?strict=true").expect(200);
    assert_eq!(whole.header("xp-broken-files"), None);
    assert_eq!(whole.json().as_array().unwrap().len(), 1);
}

/// A person's edit of a record, not committed, is never committed under the server's name:
/// a write to that record is refused with what to do, and nothing changes.
#[test]
fn a_hand_edit_not_committed_is_refused_not_committed_by_the_server() {
    let (env, server) = served(&[]);
    env.new_cta();
    let file = "experiments/homepage-cta-color.yaml";
    let edited = env
        .read(file)
        .replace("learning: null", "learning: WIP do not publish");
    env.write(file, &edited);
    let head = env.git(&["rev-parse", "HEAD"]);
    for (method, path, body) in [
        (
            "POST",
            "/experiments/homepage-cta-color/notes",
            json!({"note": "x"}),
        ),
        (
            "PATCH",
            "/experiments/homepage-cta-color",
            json!({"confidence": 5}),
        ),
    ] {
        let refused = server.send(method, path, Some(&body)).expect(409).json();
        let detail = refused["detail"].as_str().unwrap();
        assert!(
            detail.contains(file) && detail.contains("not committed (learning)"),
            "{refused}"
        );
        let hint = refused["hint"].as_str().unwrap();
        assert!(
            hint.contains(&format!("git commit {file}")) && hint.contains("git restore"),
            "{refused}"
        );
    }
    // Staged, it is still someone's edit.
    env.git(&["add", file]);
    server
        .post(
            "/experiments/homepage-cta-color/notes",
            json!({"note": "x"}),
        )
        .expect(409);
    assert_eq!(
        env.git(&["rev-parse", "HEAD"]),
        head,
        "nothing was committed"
    );
    assert_eq!(env.read(file), edited, "the edit is as it was");
    // Once it is committed, the server writes again.
    env.git(&["commit", "-qm", "learning by hand"]);
    server
        .post(
            "/experiments/homepage-cta-color/notes",
            json!({"note": "x"}),
        )
        .expect(200);
    // A record never committed is someone's too.
    env.write(
        "experiments/mine.yaml",
        &env.read(file)
            .replace("Homepage CTA Color", "Mine")
            .replace(&env.record(file).id, "0b7e7a52-7a3d-4f5e-8b1c-2d3e4f5a6b7c"),
    );
    let refused = server
        .post("/experiments/mine/notes", json!({"note": "x"}))
        .expect(409)
        .json();
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("was never committed"),
        "{refused}"
    );
}

/// On a detached HEAD the server's commits would be on no branch: gone from the board after
/// `git checkout main`, or landing on whatever branch is checked out next. It refuses writes
/// there, and says where writes go in `/health` and on the board.
#[test]
fn writes_on_a_detached_head_are_refused_and_the_branch_is_said() {
    let (env, server) = served(&[]);
    env.new_cta();
    let board = server.get("/").expect(200).text();
    assert!(
        board.contains("Writes go to branch <code>main</code>"),
        "{board}"
    );
    env.git(&["checkout", "-q", "--detach"]);
    let head = env.git(&["rev-parse", "HEAD"]);
    assert_eq!(server.get("/health").json()["branch"], Value::Null);
    for (method, path, body) in [
        ("POST", "/experiments", cta()),
        (
            "POST",
            "/experiments/homepage-cta-color/notes",
            json!({"note": "x"}),
        ),
        (
            "PATCH",
            "/experiments/homepage-cta-color",
            json!({"confidence": 5}),
        ),
    ] {
        let refused = server.send(method, path, Some(&body)).expect(503).json();
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("HEAD is detached")
                && refused["hint"].as_str().unwrap().contains("git switch"),
            "{refused}"
        );
    }
    assert_eq!(
        env.git(&["rev-parse", "HEAD"]),
        head,
        "nothing was committed"
    );
    assert!(env.git(&["status", "--porcelain"]).is_empty());
    let board = server.get("/").expect(200).text();
    assert!(
        board.contains("HEAD is detached: writes are refused"),
        "{board}"
    );
    let story = server.get("/e/homepage-cta-color").expect(200).text();
    assert!(!story.contains("data-form"), "no forms that would fail");
    // Back on a branch, writes land there.
    env.git(&["switch", "-q", "-c", "feat/a"]);
    assert_eq!(server.get("/health").json()["branch"], "feat/a");
    server
        .post(
            "/experiments/homepage-cta-color/notes",
            json!({"note": "x"}),
        )
        .expect(200);
    assert_eq!(
        env.git(&["log", "-1", "--format=%s", "feat/a"]).trim(),
        "xp: note on homepage-cta-color"
    );
    // The command line keeps working on a detached HEAD, as git does.
    env.git(&["checkout", "-q", "--detach"]);
    env.ok(&["note", "homepage-cta-color", "from the terminal"]);
}

#[test]
fn protections_keep_other_sites_and_other_machines_out() {
    let env = TestEnv::repo();
    env.ok(&["init"]);
    {
        let server = Server::start(&env, &[]);
        // DNS rebinding: a page on another site reaching 127.0.0.1 still says its own Host.
        let evil = server.raw("GET", "/experiments", &[("Host", "evil.example:8000")], b"");
        assert_eq!(evil.status, 400, "{}", evil.text());
        server.raw("GET", "/health", &[], b"").expect(400);
        server
            .raw("GET", "/health", &[("Host", "localhost")], b"")
            .expect(200);
        // A form on another site cannot post: writes are JSON only.
        let form = server.raw(
            "POST",
            "/experiments",
            &[("Host", &server.addr), ("Content-Type", "text/plain")],
            cta().to_string().as_bytes(),
        );
        assert_eq!(form.status, 415);
        assert_eq!(env.commit_count(), 0);
    }
    {
        let server = Server::start(&env, &["--allowed-host", "xp.team.internal"]);
        server
            .raw("GET", "/health", &[("Host", "XP.team.internal:8000")], b"")
            .expect(200);
    }
    {
        let secret = "s3cret-s3cret-s3cret";
        let server = Server::start(&env, &["--token", secret]);
        server.get("/health").expect(401);
        let wrong = server.raw(
            "GET",
            "/experiments",
            &[
                ("Host", &server.addr),
                ("Authorization", "Bearer s3cret-s3cret-s3cres"),
            ],
            b"",
        );
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
        // The scheme's name is case-insensitive, as HTTP says.
        let lower = format!("bearer {secret}");
        server
            .raw(
                "GET",
                "/health",
                &[("Host", &server.addr), ("Authorization", &lower)],
                b"",
            )
            .expect(200);
        let server = server.with_token(secret);
        server.get("/health").expect(200);
        server.post("/experiments", cta()).expect(200);
        // Swagger UI's page and the document are the same for every xp; they need no token.
        server
            .raw("GET", "/docs", &[("Host", &server.addr)], b"")
            .expect(200);
    }
    {
        env.ok(&[
            "new",
            "--title",
            "T",
            "--hypothesis",
            "H",
            "--metric",
            "m",
            "--baseline",
            "1",
            "--target",
            "2",
        ]);
        let mut env2 = TestEnv::repo();
        env2.vars
            .push(("XP_TOKEN".into(), "from-the-environment".into()));
        env2.ok(&["init"]);
        let server = Server::start(&env2, &[]).with_token("from-the-environment");
        server.get("/health").expect(200);
        server
            .with_token("other-than-the-environment")
            .get("/health")
            .expect(401);
    }
    // A token short enough to guess is refused at start, with how to make one.
    for short in ["t", "fifteen-chars-x"] {
        let refused = finished(env.xp_cmd(&["serve", "--port", "0", "--token", short]));
        assert_eq!(refused.code, 1, "{}", refused.stderr);
        assert!(
            refused.stderr.contains("at least 16")
                && refused.stderr.contains("openssl rand -hex 16"),
            "{}",
            refused.stderr
        );
        assert!(refused.stdout.is_empty());
    }
    {
        let server = Server::start(&env, &["--read-only"]);
        server.get("/experiments/t").expect(200);
        let write = server.post("/experiments", cta()).expect(405);
        assert!(write.header("allow").unwrap().contains("GET"));
        server
            .patch("/experiments/t", json!({"confidence": 5}))
            .expect(405);
        // Every refused write names the methods the path still takes.
        for (method, path) in [
            ("POST", "/experiments"),
            ("PATCH", "/experiments/t"),
            ("POST", "/experiments/t/notes"),
        ] {
            let refused = server
                .send(method, path, Some(&json!({"note": "x"})))
                .expect(405);
            assert_eq!(refused.header("allow"), Some("GET,HEAD"), "{method} {path}");
        }
        assert_eq!(
            server.get("/experiments/t/notes").expect(200).json(),
            json!([])
        );
    }
    // Another address than loopback without a token is refused at start, saying how to set one.
    let refused = env.xp(&["serve", "--host", "0.0.0.0", "--port", "0"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("--token"), "{}", refused.stderr);
    assert!(refused.stderr.contains("XP_TOKEN"), "{}", refused.stderr);
    assert!(refused.stdout.is_empty());
}

#[test]
fn sigterm_lets_writes_in_flight_finish_and_exits_cleanly() {
    let (env, server) = served(&[]);
    let id = server.post("/experiments", cta()).expect(200).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let addr = server.addr.clone();
    let before = env.commit_count();
    let threads: Vec<_> = (0..40)
        .map(|i| {
            let addr = addr.clone();
            let path = format!("/experiments/{id}/notes");
            std::thread::spawn(move || {
                let body = json!({"note": format!("late {i}")}).to_string();
                let message = format!(
                    "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let Ok(mut stream) = TcpStream::connect(&addr) else {
                    return (None, Instant::now());
                };
                let _ = stream.write_all(message.as_bytes());
                let mut bytes = Vec::new();
                let _ = stream.read_to_end(&mut bytes);
                let status = (bytes.len() > 12).then(|| Resp::parse(&bytes).status);
                (status, Instant::now())
            })
        })
        .collect();
    // Stop the server as soon as the first of the forty writes has landed.
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.commit_count() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let signalled = Instant::now();
    let results: Vec<(Option<u16>, Instant)> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let answered: Vec<Option<u16>> = results.iter().map(|(s, _)| *s).collect();
    let after_signal = results
        .iter()
        .filter(|(s, t)| *s == Some(200) && *t > signalled)
        .count();
    assert!(
        after_signal > 0,
        "some writes were in flight at the signal and finished: {answered:?}"
    );
    let mut server = server;
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let landed = answered.iter().filter(|s| **s == Some(200)).count();
    assert!(
        answered.iter().all(|s| matches!(s, None | Some(200))),
        "{answered:?}"
    );
    // Every answered write is a commit; none is half done.
    assert_eq!(env.commit_count(), 2 + landed, "{answered:?}");
    assert_eq!(env.xp(&["check"]).code, 0);
    assert!(env.git(&["status", "--porcelain"]).is_empty());
    let log = env.ok(&["log", "homepage-cta-color", "--format", "json"]);
    let entries: Value = serde_json::from_str(&log).unwrap();
    assert!(entries.as_array().unwrap().len() >= landed);
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["commit"].is_object())
    );
}

#[test]
fn docs_are_served_from_the_binary() {
    let (_env, server) = served(&[]);
    let page = server.get("/docs").expect(200).text();
    assert!(page.contains("/docs/swagger-ui-bundle.js"), "{page}");
    assert!(page.contains("/openapi.json"));
    let query = server.get("/docs?x=%22%3E%3Cscript%3E").expect(200).text();
    assert!(
        !query.contains("script%3E"),
        "the page never echoes the query"
    );
    let js = server.get("/docs/swagger-ui-bundle.js").expect(200);
    assert!(js.body.len() > 100_000);
    server.get("/docs/swagger-ui.css").expect(200);
}

/// The published OpenAPI document, to check answers against.
pub(crate) struct Published {
    doc: Value,
    compiler: boon::Compiler,
    schemas: boon::Schemas,
}

impl Published {
    pub(crate) fn fetch(server: &Server) -> Published {
        let doc = server.get("/openapi.json").expect(200).json();
        let mut compiler = boon::Compiler::new();
        compiler
            .add_resource("urn:xp:openapi", doc.clone())
            .unwrap();
        Published {
            doc,
            compiler,
            schemas: boon::Schemas::new(),
        }
    }

    /// The documented path a concrete one matches (static segments win, as in the router).
    fn template(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, String)> = None;
        for template in self.doc["paths"].as_object().unwrap().keys() {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let fits = parts
                .iter()
                .zip(&segments)
                .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()));
            let statics = parts.iter().filter(|t| !t.starts_with('{')).count();
            if fits && best.as_ref().is_none_or(|(n, _)| statics > *n) {
                best = Some((statics, template.clone()));
            }
        }
        best.map(|(_, t)| t)
    }

    /// Fails unless the answer's status is documented for the operation and its JSON body
    /// matches the documented schema.
    pub(crate) fn check(&mut self, method: &str, path: &str, answer: &Resp) -> Result<(), String> {
        let path = path.split('?').next().unwrap_or("");
        let said = || format!("{method} {path}: {} {}", answer.status, answer.text());
        // The board, the stories and their assets are pages, not part of the API's document.
        if path == "/" || path.starts_with("/e/") || path.starts_with("/assets/") {
            return Ok(());
        }
        if answer.status == 307 {
            // A trailing slash leads to a documented path without it.
            let to = answer.header("location").unwrap_or_default();
            let to = to.split('?').next().unwrap_or_default();
            let fits = path.strip_suffix('/') == Some(to)
                && (self.template(to).is_some() || to == "/" || to.starts_with("/e/"));
            return fits.then_some(()).ok_or_else(said);
        }
        let Some(template) = self.template(path) else {
            return (answer.status == 404).then_some(()).ok_or_else(said);
        };
        let method = method.to_ascii_lowercase();
        let Some(operation) = self.doc["paths"][&template].get(&method) else {
            return (answer.status == 405).then_some(()).ok_or_else(said);
        };
        let status = answer.status.to_string();
        let Some(response) = operation["responses"].get(&status) else {
            return Err(format!("undocumented status: {}", said()));
        };
        let Some(content) = response["content"].get("application/json") else {
            return Ok(());
        };
        if content.get("schema").is_none() {
            return Ok(());
        }
        let pointer: String = [
            "paths",
            &template,
            &method,
            "responses",
            &status,
            "content",
            "application/json",
            "schema",
        ]
        .iter()
        .map(|p| {
            p.replace('~', "~0")
                .replace('/', "~1")
                .replace('{', "%7B")
                .replace('}', "%7D")
        })
        .collect::<Vec<_>>()
        .join("/");
        let index = self
            .compiler
            .compile(&format!("urn:xp:openapi#/{pointer}"), &mut self.schemas)
            .map_err(|e| format!("{e:#}"))?;
        let body: Value =
            serde_json::from_slice(&answer.body).map_err(|e| format!("{e}: {}", said()))?;
        self.schemas
            .validate(&body, index)
            .map_err(|e| format!("{}\n{e:#}", said()))
    }
}

/// Sets a file's modification time long past, as a file untouched for a while has.
fn settle(env: &TestEnv, rel: &str) {
    let status = std::process::Command::new("touch")
        .args(["-d", "2020-01-01T00:00:00"])
        .arg(env.path(rel))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn the_list_has_an_etag_answers_304_until_a_record_changes_and_pages() {
    let (env, server) = served(&[]);
    for title in ["Alpha", "Beta", "Gamma"] {
        env.experiment(title).create();
    }
    let files = ["alpha", "beta", "gamma"].map(|s| format!("experiments/{s}.yaml"));
    files.iter().for_each(|f| settle(&env, f));
    let titles = |resp: &Resp| -> Vec<String> {
        resp.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let get_if = |path: &str, tag: &str| {
        server.raw(
            "GET",
            path,
            &[("Host", &server.addr), ("If-None-Match", tag)],
            b"",
        )
    };

    let first = server.get("/experiments").expect(200);
    assert_eq!(titles(&first), ["Alpha", "Beta", "Gamma"]);
    let tag = first.header("etag").unwrap().to_owned();
    assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
    let again = server.get("/experiments").expect(200);
    assert_eq!(
        (again.header("etag"), &again.body),
        (Some(tag.as_str()), &first.body)
    );
    // The client that holds the answer gets 304 and no body, by the tag, a weak form of it,
    // one of a list, or `*`; another tag gets the list.
    for held in [
        tag.clone(),
        format!("W/{tag}"),
        format!("\"x\", {tag}"),
        "*".to_owned(),
    ] {
        let not_modified = get_if("/experiments", &held).expect(304);
        assert!(not_modified.body.is_empty(), "{held}");
        assert_eq!(not_modified.header("etag"), Some(tag.as_str()));
    }
    assert_eq!(
        get_if("/experiments", "\"other\"").expect(200).body,
        first.body
    );

    // A file changed in place, its size and modification time kept, is a new answer.
    let rel = &files[1];
    let text = env.read(rel).replace("target: 2", "target: 7");
    std::fs::OpenOptions::new()
        .write(true)
        .open(env.path(rel))
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    settle(&env, rel);
    let changed = get_if("/experiments", &tag).expect(200);
    assert_eq!(changed.json()[1]["target"].as_f64(), Some(7.0));
    let changed_tag = changed.header("etag").unwrap().to_owned();
    assert_ne!(changed_tag, tag);
    get_if("/experiments", &changed_tag).expect(304);

    // A write through the server, a file removed, a file broken: each a new answer.
    server
        .patch("/experiments/alpha", json!({"confidence": 3}))
        .expect(200);
    let written = get_if("/experiments", &changed_tag).expect(200);
    assert_eq!(written.json()[0]["confidence"], 3);
    std::fs::remove_file(env.path(&files[2])).unwrap();
    let removed = server.get("/experiments").expect(200);
    assert_eq!(titles(&removed), ["Alpha", "Beta"]);
    let removed_tag = removed.header("etag").unwrap().to_owned();
    env.write(&files[2], "title: [\n");
    settle(&env, &files[2]);
    let broken = get_if("/experiments", &removed_tag).expect(200);
    assert_eq!(broken.header("xp-broken-files"), Some("1"));
    assert_eq!(broken.body, removed.body, "the same records");
    assert_ne!(
        broken.header("etag"),
        Some(removed_tag.as_str()),
        "one more file left out"
    );

    // Pages: `offset` of the kept ones skipped, at most `limit`, each with its own tag.
    let page = |q: &str| titles(&server.get(&format!("/experiments?{q}")).expect(200));
    assert_eq!(page("limit=1"), ["Alpha"]);
    assert_eq!(page("offset=1&limit=5"), ["Beta"]);
    assert_eq!(page("offset=1"), ["Beta"]);
    assert_eq!(page("offset=9"), Vec::<String>::new());
    assert_eq!(page("limit=0"), Vec::<String>::new());
    assert_eq!(page("q=beta&limit=1"), ["Beta"]);
    assert_eq!(page("q=beta&offset=1"), Vec::<String>::new());
    let one = server.get("/experiments?limit=1").expect(200);
    let one_tag = one.header("etag").unwrap();
    assert_ne!(Some(one_tag), broken.header("etag"));
    get_if("/experiments?limit=1", one_tag).expect(304);
    get_if("/experiments?offset=1", one_tag).expect(200);
    for (q, key) in [
        ("limit=-1", "limit"),
        ("offset=x", "offset"),
        ("limit=1.5", "limit"),
    ] {
        let refused = server.get(&format!("/experiments?{q}")).expect(422).json();
        assert_eq!(
            refused["detail"][0]["loc"],
            json!(["query", key]),
            "{refused}"
        );
    }
}

#[test]
fn the_openapi_document_is_valid_and_matches_the_router() {
    let (env, server) = served(&[]);
    env.new_cta();
    let doc = server.get("/openapi.json").expect(200).json();

    // Valid OpenAPI 3.1: the OpenAPI Initiative's JSON Schema for 3.1 documents (vendored from
    // PyPI's openapi-spec-validator, Apache-2.0), checked by a JSON Schema 2020-12 validator.
    let schema: Value = serde_json::from_str(include_str!("openapi-3.1-schema.json")).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource(
            "https://spec.openapis.org/oas/3.1/schema/2022-10-07",
            schema,
        )
        .unwrap();
    let index = compiler
        .compile(
            "https://spec.openapis.org/oas/3.1/schema/2022-10-07",
            &mut schemas,
        )
        .unwrap();
    if let Err(e) = schemas.validate(&doc, index) {
        panic!("not valid OpenAPI 3.1: {e:#}");
    }
    // What a careful client needs to know of the listing is in the document.
    let listing = &doc["paths"]["/experiments"]["get"];
    assert!(
        listing["responses"]["200"]["headers"]["xp-broken-files"].is_object(),
        "{listing}"
    );
    assert!(
        listing["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "strict"),
        "{listing}"
    );
    // The validator can fail: a document without `info` is refused.
    let mut broken = doc.clone();
    broken.as_object_mut().unwrap().remove("info");
    assert!(schemas.validate(&broken, index).is_err());

    // Every documented operation is answered; every other method on a documented path is 405.
    let paths = doc["paths"].as_object().unwrap();
    for (path, operations) in paths {
        let concrete = path.replace("{ref}", "homepage-cta-color");
        for method in ["get", "post", "patch", "put", "delete"] {
            let documented = operations.get(method).is_some();
            let body = (method != "get").then(|| json!({"note": "probe", "confidence": 1}));
            let answer = server.send(&method.to_uppercase(), &concrete, body.as_ref());
            // This server does not sync: `/sync` says so (the team server's tests answer it).
            let not_syncing =
                path == "/sync" && answer.status == 404 && answer.text().contains("does not sync");
            if not_syncing {
                assert!(
                    documented,
                    "{method} /sync answers without being documented"
                );
            } else if documented {
                assert!(
                    ![404, 405].contains(&answer.status),
                    "{method} {path} is documented but answered {}",
                    answer.status
                );
                let declared = operations[method]["responses"]
                    .get(answer.status.to_string())
                    .is_some();
                assert!(
                    declared,
                    "{method} {path} answered undocumented {}",
                    answer.status
                );
            } else {
                assert_eq!(answer.status, 405, "{method} {path} is not documented");
            }
        }
    }

    // The checker the property test uses holds answers to the document, and can fail.
    let mut published = Published::fetch(&server);
    for path in [
        "/experiments/homepage-cta-color",
        "/experiments",
        "/experiments/nope",
        "/nope",
    ] {
        let answer = server.get(path);
        published.check("GET", path, &answer).unwrap();
    }
    let fake = |status: u16, body: Value| Resp {
        status,
        headers: Vec::new(),
        body: body.to_string().into_bytes(),
    };
    assert!(
        published
            .check("GET", "/experiments/x", &fake(200, json!({"id": 1})))
            .is_err()
    );
    assert!(
        published
            .check("GET", "/experiments/x", &fake(404, json!({"no": "detail"})))
            .is_err()
    );
    assert!(
        published
            .check("GET", "/experiments/x", &fake(418, json!({"detail": "x"})))
            .is_err()
    );
    assert!(
        published
            .check("GET", "/nope", &fake(200, json!({})))
            .is_err()
    );

    // Answers match their documented schemas: the record and the validation error.
    let record = server.get("/experiments/homepage-cta-color").json();
    let component = |name: &str, value: &Value| {
        let mut full = doc.clone();
        full["$ref"] = json!(format!("#/components/schemas/{name}"));
        let mut c = boon::Compiler::new();
        let mut s = boon::Schemas::new();
        c.add_resource("urn:xp:openapi", full).unwrap();
        let i = c.compile("urn:xp:openapi", &mut s).unwrap();
        s.validate(value, i).map_err(|e| format!("{e:#}"))
    };
    component("Experiment", &record).unwrap();
    let invalid = server
        .post("/experiments", json!({"title": 1}))
        .expect(422)
        .json();
    component("HTTPValidationError", &invalid).unwrap();
    assert!(component("Experiment", &json!({"id": 1})).is_err());

    // The constraints the server enforces are in the document, and agree with the server:
    // what the document refuses, the server refuses, and the other way round.
    let mut body = cta();
    for (title, ok) in [
        (" ", false),
        ("", false),
        ("x", true),
        (" padded ", true),
        ("\u{a0}", false),
        ("\u{feff}", true),
    ] {
        body["title"] = json!(title);
        assert_eq!(
            component("ExperimentCreate", &body).is_ok(),
            ok,
            "document, title {title:?}"
        );
        let answer = server.post("/experiments", body.clone());
        assert_eq!(
            answer.status == 200,
            ok,
            "server, title {title:?}: {}",
            answer.text()
        );
    }
    body["title"] = json!("x".repeat(201));
    assert!(component("ExperimentCreate", &body).is_err());
    server.post("/experiments", body.clone()).expect(422);
    body["title"] = json!(format!(" {} ", "y".repeat(200)));
    component("ExperimentCreate", &body).unwrap();
    for note in ["", " \n\t"] {
        assert!(component("NoteIn", &json!({ "note": note })).is_err());
        assert!(component("ExperimentUpdate", &json!({ "note": note })).is_err());
        server
            .post(
                "/experiments/homepage-cta-color/notes",
                json!({ "note": note }),
            )
            .expect(422);
    }
    component("NoteIn", &json!({"note": "ok"})).unwrap();
    // A new experiment starts as draft or running; `amend` comes with a field of the plan.
    let mut completed = cta();
    completed["status"] = json!("completed");
    assert!(component("ExperimentCreate", &completed).is_err());
    server.post("/experiments", completed).expect(422);
    assert!(component("ExperimentUpdate", &json!({"amend": "why"})).is_err());
    server
        .patch("/experiments/homepage-cta-color", json!({"amend": "why"}))
        .expect(422);
    component("ExperimentUpdate", &json!({"amend": "why", "target": 4})).unwrap();
    let columns = doc["paths"]["/experiments/export.csv"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "columns")
        .unwrap()["schema"]
        .clone();
    let mut c = boon::Compiler::new();
    let mut s = boon::Schemas::new();
    c.add_resource("urn:xp:columns", columns).unwrap();
    let columns = c.compile("urn:xp:columns", &mut s).unwrap();
    for (value, ok) in [
        ("", false),
        (" ", false),
        ("id, title", true),
        ("bogus", false),
    ] {
        assert_eq!(
            s.validate(&json!(value), columns).is_ok(),
            ok,
            "columns={value:?}"
        );
        let answer = server.get(&format!(
            "/experiments/export.csv?columns={}",
            value.replace(' ', "%20")
        ));
        assert_eq!(
            answer.status == 200,
            ok,
            "columns={value:?}: {}",
            answer.text()
        );
    }

    // A client that created an experiment follows links to it, by its id.
    let operations: Vec<&str> = paths
        .values()
        .flat_map(|ops| ops.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    for (path, method) in [
        ("/experiments", "post"),
        ("/experiments/{ref}", "patch"),
        ("/experiments/{ref}/notes", "post"),
    ] {
        let links = doc["paths"][path][method]["responses"]["200"]["links"]
            .as_object()
            .unwrap_or_else(|| panic!("no links from {method} {path}"));
        for wanted in [
            "get_experiments__ref_",
            "patch_experiments__ref_",
            "post_experiments__ref__notes",
            "get_experiments__ref__log",
        ] {
            let link = &links[wanted];
            assert!(operations.contains(&link["operationId"].as_str().unwrap()));
            assert_eq!(link["parameters"]["ref"], "$response.body#/id");
        }
    }
}

mod hostile {
    use proptest::prelude::*;

    use super::*;

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("experiments".to_owned()),
            Just("homepage-cta-color".to_owned()),
            Just("notes".to_owned()),
            Just("log".to_owned()),
            Just("export.csv".to_owned()),
            Just("..".to_owned()),
            Just("%2e%2e%2f".to_owned()),
            Just("%ff%00".to_owned()),
            "[a-zA-Z0-9%._~-]{0,12}",
        ]
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        let field = prop_oneof![
            Just("title"),
            Just("hypothesis"),
            Just("primary_metric"),
            Just("baseline"),
            Just("target"),
            Just("status"),
            Just("confidence"),
            Just("decision"),
            Just("note"),
            Just("who"),
            Just("force"),
            Just("tags"),
            Just("decision_log"),
            Just("id"),
        ];
        let value = prop_oneof![
            any::<f64>().prop_map(|x| json!(x)),
            any::<i64>().prop_map(|x| json!(x)),
            ".{0,20}".prop_map(|s| json!(s)),
            Just(json!(null)),
            Just(json!(true)),
            Just(json!(["a", 1])),
            Just(json!({"at": "x"})),
            Just(json!("completed")),
            Just(json!("shipped")),
        ];
        prop_oneof![
            proptest::collection::btree_map(field, value, 0..8)
                .prop_map(|m| serde_json::to_vec(&m).unwrap()),
            proptest::collection::vec(any::<u8>(), 0..64),
            ".{0,40}".prop_map(String::into_bytes),
        ]
    }

    fn percent_decoded(path: &str) -> String {
        if path.contains('%') {
            String::new()
        } else {
            path.to_owned()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

        #[test]
        fn generated_requests_never_get_a_5xx_nor_crash_the_server(
            cases in proptest::collection::vec(
                (
                    prop_oneof![Just("GET"), Just("POST"), Just("PATCH"), Just("DELETE")],
                    proptest::collection::vec(segment(), 1..5),
                    "[a-z=&%0-9]{0,16}",
                    body(),
                ),
                1..6,
            )
        ) {
            let (env, server) = served(&[]);
            server.post("/experiments", cta()).expect(200);
            let mut published = Published::fetch(&server);
            for (method, segments, query, body) in &cases {
                let path = format!("/{}?{query}", segments.join("/"));
                let headers = [("Host", server.addr.as_str()), ("Content-Type", "application/json")];
                let answer = server.raw(method, &path, &headers, body);
                prop_assert!(answer.status < 500, "{method} {path}: {} {}", answer.status, answer.text());
                let decoded = percent_decoded(&path);
                if !decoded.contains("//") && decoded == path {
                    // Answers match the published document (paths with escapes aside, whose
                    // routing the decoder here cannot mirror).
                    let checked = published.check(method, &path, &answer);
                    prop_assert!(checked.is_ok(), "{}", checked.unwrap_err());
                }
            }
            server.get("/health").expect(200);
            prop_assert_eq!(env.xp(&["check"]).code, 0);
        }
    }
}

/// `GET /experiments/{ref}/similar` lists what `xp similar` lists: the CTA experiment for a
/// green signup button on the same metric, nothing for an unrelated one.
#[test]
fn similar_experiments_are_served_as_xp_similar_lists_them() {
    let (env, server) = served(&[]);
    assert_eq!(
        server.send("POST", "/experiments", Some(&cta())).status,
        200
    );
    let button = json!({
        "title": "Green signup button",
        "hypothesis": "A green signup button increases signups",
        "primary_metric": "signup_rate",
        "baseline": 3.2,
        "target": 3.6
    });
    assert_eq!(
        server.send("POST", "/experiments", Some(&button)).status,
        200
    );
    let unrelated = json!({
        "title": "Faster checkout page",
        "hypothesis": "Caching the cart halves checkout latency",
        "primary_metric": "checkout_ms",
        "baseline": 800,
        "target": 400,
        "direction": "decrease"
    });
    assert_eq!(
        server.send("POST", "/experiments", Some(&unrelated)).status,
        200
    );
    let res = server.send("GET", "/experiments/green-signup-button/similar", None);
    assert_eq!(res.status, 200);
    let list = res.json();
    assert_eq!(
        list[0]["experiment"]["title"], "Homepage CTA Color",
        "{list}"
    );
    assert!(
        env.ok(&["similar", "green-signup-button"])
            .contains("homepage-cta-color")
    );
    let res = server.send("GET", "/experiments/faster-checkout-page/similar", None);
    assert_eq!(res.json(), json!([]));
    // What an experiment learned counts: this one shares one word of its title with the next.
    let tried = json!({
        "title": "Free shipping threshold",
        "hypothesis": "Free shipping over $50 lifts conversion",
        "primary_metric": "conversion_rate",
        "baseline": 2.1,
        "target": 2.4,
        "learning": "Shoppers left when the shipping fee showed up at the last step"
    });
    server.post("/experiments", tried).expect(200);
    let fee = json!({
        "title": "Shipping fee on the product page",
        "hypothesis": "Showing the shipping fee before checkout lifts conversion",
        "primary_metric": "conversion_rate",
        "baseline": 2.1,
        "target": 2.5
    });
    server.post("/experiments", fee).expect(200);
    let list = server
        .get("/experiments/shipping-fee-on-the-product-page/similar")
        .expect(200)
        .json();
    assert_eq!(
        list[0]["experiment"]["title"], "Free shipping threshold",
        "{list}"
    );
    assert_eq!(
        server.send("GET", "/experiments/nope/similar", None).status,
        404
    );
}

/// The build users get reads JSON numbers exactly. `cargo test` cannot show it by running xp:
/// a dev-dependency (jsonschema) turns serde_json's `float_roundtrip` on for every binary the
/// tests build, so `cargo tree` is asked what a build without dev-dependencies gets.
#[test]
fn the_build_users_get_reads_json_numbers_exactly() {
    let out = std::process::Command::new(option_env!("CARGO").unwrap_or("cargo"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "-e",
            "no-dev,features",
            "-i",
            "serde_json",
        ])
        .output()
        .unwrap();
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        tree.contains("serde_json feature \"float_roundtrip\""),
        "without `float_roundtrip` serde_json reads 0.029134757616042842 as \
         0.02913475761604284:\n{tree}"
    );
}

/// Every number sent in a POST or a PATCH comes back as the same number, bit for bit: in the
/// answers, in the file, in `GET`, in `xp export` (CSV and JSON) and in the served CSV.
/// Random doubles of all sizes and realistic rates (17 significant digits) alike.
#[test]
fn numbers_round_trip_exactly_through_the_api_the_file_and_the_export() {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let (env, server) = served(&[]);
    let any_finite = {
        use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
        POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
    };
    let number = prop_oneof![any_finite, 0.0f64..1.0, 0.0f64..100.0];
    let mut runner = TestRunner::default();
    let draw = |runner: &mut TestRunner| number.new_tree(runner).unwrap().current();
    // Two numbers in increasing order, as baseline and target.
    let ordered = |a: f64, b: f64| match a.partial_cmp(&b) {
        Some(std::cmp::Ordering::Less) => (a, b),
        Some(std::cmp::Ordering::Greater) => (b, a),
        _ if a < f64::MAX => (a, a.next_up()),
        _ => (a.next_down(), a),
    };
    let bits = |v: &Value| v.as_f64().map(f64::to_bits);
    // (id, path, baseline, target, observed) as last sent.
    let mut sent: Vec<(String, String, f64, f64, f64)> = Vec::new();
    // (baseline, target, observed) that have gone wrong somewhere, then random ones.
    let mut fixed = vec![
        (0.029134757616042842, 0.030454021835758726, -0.0),
        (-0.0, 5e-324, 0.0),
        (f64::MIN, f64::MAX, 1e-300),
        (0.1, 0.30000000000000004, 2.5e-8),
    ]
    .into_iter();
    for i in 0..40 {
        let next = fixed.next();
        let (baseline, target) = match next {
            Some((b, t, _)) => (b, t),
            None => ordered(draw(&mut runner), draw(&mut runner)),
        };
        let created = server
            .post(
                "/experiments",
                json!({
                    "title": format!("Rate {i}"),
                    "hypothesis": "Numbers keep every digit",
                    "primary_metric": "rate",
                    "baseline": baseline,
                    "target": target,
                }),
            )
            .expect(200)
            .json();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(
            bits(&created["baseline"]),
            Some(baseline.to_bits()),
            "{baseline:e}"
        );
        assert_eq!(
            bits(&created["target"]),
            Some(target.to_bits()),
            "{target:e}"
        );
        let (baseline, target, observed) = match next {
            Some((b, t, o)) => (b / 2.0 + t / 2.0, t, o),
            None => {
                let (b, t) = ordered(draw(&mut runner), draw(&mut runner));
                (b, t, draw(&mut runner))
            }
        };
        let changed = server
            .patch(
                &format!("/experiments/{id}"),
                json!({"baseline": baseline, "target": target, "observed": observed}),
            )
            .expect(200)
            .json();
        for (key, x) in [
            ("baseline", baseline),
            ("target", target),
            ("observed", observed),
        ] {
            assert_eq!(bits(&changed[key]), Some(x.to_bits()), "PATCH {key} {x:e}");
        }
        let read = server.get(&format!("/experiments/{id}")).expect(200).json();
        for (key, x) in [
            ("baseline", baseline),
            ("target", target),
            ("observed", observed),
        ] {
            assert_eq!(bits(&read[key]), Some(x.to_bits()), "GET {key} {x:e}");
        }
        let path = format!("experiments/rate-{i}.yaml");
        let record = env.record(&path);
        assert_eq!(
            (
                record.baseline.to_bits(),
                record.target.to_bits(),
                record.observed.map(f64::to_bits)
            ),
            (
                baseline.to_bits(),
                target.to_bits(),
                Some(observed.to_bits())
            ),
            "{path}:\n{}",
            env.read(&path)
        );
        sent.push((id, path, baseline, target, observed));
    }

    let csv = env.ok(&["export", "--columns", "id,baseline,target,observed"]);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), sent.len());
    let json_export: Value =
        serde_json::from_str(&env.ok(&["export", "--format", "json"])).unwrap();
    for (id, _, baseline, target, observed) in &sent {
        let row = rows.iter().find(|r| r[0] == **id).unwrap();
        let cells: Vec<u64> = (1..4)
            .map(|c| row[c].parse::<f64>().unwrap().to_bits())
            .collect();
        assert_eq!(
            cells,
            [baseline.to_bits(), target.to_bits(), observed.to_bits()],
            "CSV row {row:?}"
        );
        let record = json_export
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id.as_str())
            .unwrap();
        for (key, x) in [
            ("baseline", baseline),
            ("target", target),
            ("observed", observed),
        ] {
            assert_eq!(
                bits(&record[key]),
                Some(x.to_bits()),
                "JSON export {key} {x:e}"
            );
        }
    }
    let served_csv = server.get("/experiments/export.csv").expect(200);
    assert_eq!(served_csv.text(), env.ok(&["export"]));
}

/// Runs a prepared command to its end, failing the test if it takes more than 20 s.
fn finished(mut cmd: std::process::Command) -> crate::support::Run {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    crate::support::Run::from(child.wait_with_output().unwrap())
}

/// A client that sends half a request line is cut off after a few seconds, while the server
/// goes on answering others.
#[test]
fn a_half_sent_request_is_cut_off_after_a_few_seconds() {
    let (_env, server) = served(&[]);
    let mut half = TcpStream::connect(&server.addr).unwrap();
    half.write_all(b"GET /experim").unwrap();
    half.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let start = Instant::now();
    let mut answer = Vec::new();
    let closed = half.read_to_end(&mut answer);
    let took = start.elapsed();
    assert!(
        closed.is_ok() && took < Duration::from_secs(10),
        "the connection stayed open {took:?}: {closed:?}"
    );
    server.get("/health").expect(200);
}

/// SIGTERM while a client holds a request open (half a request line on one connection, a body
/// that never comes on another): the server stops within its shutdown deadline, exit 0.
#[test]
fn sigterm_stops_the_server_within_its_deadline_despite_open_connections() {
    let (_env, server) = served(&[]);
    let mut half = TcpStream::connect(&server.addr).unwrap();
    half.write_all(b"GET /experim").unwrap();
    let mut slow = TcpStream::connect(&server.addr).unwrap();
    slow.write_all(
        format!(
            "POST /experiments HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: 100\r\n\r\n{{\"title\"",
            server.addr
        )
        .as_bytes(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let signalled = Instant::now();
    let mut server = server;
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(25),
            "still running 25 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(15),
        "stopped only after {:?}",
        signalled.elapsed()
    );
    drop((half, slow));
}

/// Each reason a port cannot be listened on gets its own message and hint.
#[test]
fn bind_errors_say_what_is_wrong_and_what_to_do() {
    let env = TestEnv::repo();
    // 192.0.2.1 is reserved for documentation: no machine has it.
    let run = finished(env.xp_cmd(&[
        "serve",
        "--host",
        "192.0.2.1",
        "--port",
        "0",
        "--token",
        "a-token-long-enough-to-guard",
    ]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("192.0.2.1 is not an address of this machine")
            && run
                .stderr
                .contains("hint: bind one of this machine's addresses with --host"),
        "{}",
        run.stderr
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = finished(env.xp_cmd(&["serve", "--port", &port]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("port {port} is already in use"))
            && run.stderr.contains("hint: pick another port with --port"),
        "{}",
        run.stderr
    );
}

/// A server in a repository where `xp init` never ran says that the merge driver is not
/// registered, at start and in `/health`, and changes no config.
#[test]
fn a_server_without_the_merge_driver_says_so() {
    let env = TestEnv::repo();
    let config = env.bytes(".git/config");
    let mut child = env
        .xp_cmd(&["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().strip_prefix("http://").unwrap().to_owned();
    let server = Server {
        child,
        addr,
        token: None,
    };
    assert_eq!(
        server.get("/health").expect(200).json(),
        json!({"status": "ok", "merge_driver": false, "branch": "main"})
    );
    server.post("/experiments", cta()).expect(200);
    let mut server = server;
    let _ = server.child.kill();
    let mut stderr = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr
            .contains("warning: this clone does not merge experiment files with xp's merge driver")
            && stderr.contains("`xp init`"),
        "{stderr}"
    );
    assert_eq!(env.bytes(".git/config"), config);
}

/// NUL in a title, a note, a name or a learning is accepted as the origin accepted it: stored
/// with YAML's escape, served back as it was sent, and escaped in the commit message.
#[test]
fn nul_in_any_text_is_accepted_and_never_a_5xx() {
    let (env, server) = served(&[]);
    let mut payload = cta();
    payload["title"] = json!("Null\u{0}title");
    payload["owner"] = json!("\u{0}");
    let made = server.post("/experiments", payload).expect(200).json();
    assert_eq!(made["title"], "Null\u{0}title");
    let id = made["id"].as_str().unwrap().to_owned();
    let patched = server
        .patch(
            &format!("/experiments/{id}"),
            json!({"learning": "a\u{0}b", "hypothesis": "h\u{0}", "note": "n\u{0}", "who": "w\u{0}"}),
        )
        .expect(200)
        .json();
    assert_eq!(patched["learning"], "a\u{0}b");
    let noted = server
        .post(
            &format!("/experiments/{id}/notes"),
            json!({"note": "\u{0}note", "who": "\u{0}"}),
        )
        .expect(200)
        .json();
    let log = noted["decision_log"].as_array().unwrap();
    assert_eq!(log.last().unwrap()["note"], "\u{0}note");
    assert_eq!(log.last().unwrap()["who"], "\u{0}");
    let got = server.get(&format!("/experiments/{id}")).expect(200).json();
    assert_eq!(got, noted);
    let file = env.read("experiments/null-title.yaml");
    assert!(file.contains("title: \"Null\\0title\"\n"), "{file}");
    assert!(file.contains("  note: \"\\0note\"\n"), "{file}");
    let messages = env.git(&["log", "--format=%B"]);
    assert!(!messages.contains('\0'), "{messages:?}");
    assert!(messages.contains("Null\\0title"), "{messages}");
    assert!(messages.contains("\\0note"), "{messages}");
    assert!(messages.contains("learning: null -> a\\0b"), "{messages}");
    env.ok(&["check"]);
    env.fsck();
}

/// Any text, control characters, NUL, DEL, C1, U+FFFE/U+FFFF, a lone carriage return and
/// U+2028 included, in any text field, goes in through `POST /experiments`, `PATCH` and the
/// notes, and comes back byte for byte from the answer, the file, `GET` and the export.
#[test]
fn any_text_round_trips_through_every_write_the_file_and_every_read() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    fn text() -> impl Strategy<Value = String> {
        let hostile = proptest::sample::select(vec![
            '\0', '\u{7}', '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{80}',
            '\u{85}', '\u{9b}', '\u{9f}', '\u{a0}', '\u{fffe}', '\u{ffff}', '\u{feff}', '\u{2028}',
            '\u{2029}', '\u{202e}', '\u{200f}', '"', '\\', '\'', ':', '#', '-', ' ', '{', '}', '[',
            ']', '&', '*', '!', '|', '>', '%', '@', '`',
        ]);
        let c = prop_oneof![
            3 => any::<char>(),
            3 => hostile,
            1 => proptest::char::range('\u{0}', '\u{9f}'),
        ];
        prop_oneof![
            any::<String>(),
            proptest::collection::vec(c, 0..40).prop_map(|v| v.into_iter().collect()),
        ]
    }
    /// The text inside marks, so that a field is never blank (which some reject by rule).
    fn marked(s: &str) -> String {
        format!("«{s}»")
    }

    let (env, server) = served(&[]);
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&(text(), text()), |(a, b)| {
        let (a, b) = (marked(&a), marked(&b));
        let sent = json!({
            "title": a, "hypothesis": a, "primary_metric": a, "baseline": 1, "target": 2,
            "learning": a, "owner": a, "tags": [a, b], "links": [b],
        });
        let made = server.post("/experiments", sent.clone());
        prop_assert_eq!(made.status, 200, "POST: {}", made.text());
        let made = made.json();
        for key in [
            "title",
            "hypothesis",
            "primary_metric",
            "learning",
            "owner",
            "tags",
            "links",
        ] {
            prop_assert_eq!(&made[key], &sent[key], "POST answers {}", key);
        }
        let id = made["id"].as_str().unwrap().to_owned();
        let patch =
            json!({"title": b, "learning": b, "owner": b, "tags": [b], "note": b, "who": a});
        let patched = server.patch(&format!("/experiments/{id}"), patch.clone());
        prop_assert_eq!(patched.status, 200, "PATCH: {}", patched.text());
        let patched = patched.json();
        for key in ["title", "learning", "owner", "tags"] {
            prop_assert_eq!(&patched[key], &patch[key], "PATCH answers {}", key);
        }
        let noted = server.post(
            &format!("/experiments/{id}/notes"),
            json!({"note": a, "who": b}),
        );
        prop_assert_eq!(noted.status, 200, "notes: {}", noted.text());
        let noted = noted.json();
        let log = noted["decision_log"].as_array().unwrap();
        prop_assert_eq!(log.len(), 2);
        prop_assert_eq!((&log[0]["note"], &log[0]["who"]), (&json!(b), &json!(a)));
        prop_assert_eq!((&log[1]["note"], &log[1]["who"]), (&json!(a), &json!(b)));

        prop_assert_eq!(
            &server.get(&format!("/experiments/{id}")).expect(200).json(),
            &noted
        );
        let path = env
            .files_under("experiments")
            .into_iter()
            .map(|(path, bytes)| (path, crate::support::record_of(&bytes)))
            .find(|(_, r)| r.id == id)
            .unwrap();
        let record = path.1;
        prop_assert_eq!(&record.title, &b);
        prop_assert_eq!(&record.hypothesis, &a);
        prop_assert_eq!(&record.primary_metric, &a);
        prop_assert_eq!(record.learning.as_deref(), Some(b.as_str()));
        prop_assert_eq!(record.owner.as_deref(), Some(b.as_str()));
        prop_assert_eq!(record.tags.as_deref(), Some(&[b.clone()][..]));
        prop_assert_eq!(record.links.as_deref(), Some(&[b.clone()][..]));
        prop_assert_eq!(&record.decision_log[1].note, &a);

        let csv = server.get("/experiments/export.csv").expect(200).body;
        let mut rows = csv::Reader::from_reader(csv.as_slice());
        let row = rows
            .records()
            .map(Result::unwrap)
            .find(|r| r.get(0) == Some(id.as_str()))
            .unwrap();
        prop_assert_eq!(row.get(1), Some(b.as_str()));
        prop_assert_eq!(row.get(2), Some(a.as_str()));
        prop_assert_eq!(row.get(9), Some(b.as_str()));
        let exported: Value = serde_json::from_str(row.get(10).unwrap()).unwrap();
        prop_assert_eq!(&exported[1]["note"], &json!(a));
        prop_assert_eq!(&exported[0]["who"], &json!(a));
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    env.ok(&["check"]);
    env.fsck();
}

/// A payload with DEL, C1 controls or U+FFFF in its text is read like any other: its real
/// problems are each named at their field, and none is said to be the YAML's.
#[test]
fn control_characters_in_a_payload_hide_no_other_problem() {
    let (_env, server) = served(&[]);
    let mut payload = cta();
    payload["title"] = json!("CTA\u{7f}\u{9b}\u{ffff}");
    payload["learning"] = json!("\u{85}\u{fffe}");
    payload["target"] = json!(1);
    let answer = server.post("/experiments", payload).expect(422).json();
    let found: Vec<(String, Value)> = answer["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["type"].as_str().unwrap().to_owned(), d["loc"].clone()))
        .collect();
    assert_eq!(
        found,
        [("target-vs-baseline".to_owned(), json!(["body", "target"]))],
        "{answer}"
    );
}

/// Sends a PATCH with an `If-Match` header.
fn patch_if(server: &Server, path: &str, tag: &str, body: Value) -> Resp {
    let bytes = body.to_string().into_bytes();
    server.raw(
        "PATCH",
        path,
        &[
            ("Host", &server.addr),
            ("Content-Type", "application/json"),
            ("If-Match", tag),
        ],
        &bytes,
    )
}

#[test]
fn a_change_made_against_an_old_version_is_refused_and_nothing_is_written() {
    let (env, server) = served(&[]);
    let id = server.post("/experiments", cta()).expect(200).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/experiments/{id}");
    let read = server.get(&path).expect(200);
    let tag = read.header("etag").unwrap().to_owned();
    assert_eq!(
        tag,
        format!(
            "\"{}\"",
            env.git(&["hash-object", "experiments/homepage-cta-color.yaml"])
                .trim()
        ),
        "the ETag is the file's blob id"
    );

    // A teammate's change lands after the form was read.
    server.patch(&path, json!({"owner": "ana"})).expect(200);
    let commits = subjects(&env).len();
    let stale = patch_if(&server, &path, &tag, json!({"owner": "ben"})).expect(412);
    let body = stale.json();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("experiments/homepage-cta-color.yaml changed since this change was made"),
        "{body}"
    );
    assert_eq!(subjects(&env).len(), commits, "nothing was committed");
    assert_eq!(server.get(&path).json()["owner"], "ana");

    // With the version it holds now, the change lands, and its answer carries the new version.
    let now = server.get(&path).header("etag").unwrap().to_owned();
    let written = patch_if(&server, &path, &now, json!({"owner": "ben"})).expect(200);
    let next = written.header("etag").unwrap().to_owned();
    assert_ne!(next, now);
    assert_eq!(server.get(&path).header("etag"), Some(next.as_str()));
    // `*` and no header at all change whatever is there; a weak tag never matches.
    patch_if(&server, &path, "*", json!({"owner": "cy"})).expect(200);
    patch_if(&server, &path, &format!("W/{next}"), json!({"owner": "di"})).expect(412);
    // A list of tags matches any of them; notes need no precondition.
    let now = server.get(&path).header("etag").unwrap().to_owned();
    patch_if(
        &server,
        &path,
        &format!("\"0000\", {now}"),
        json!({"owner": "ed"}),
    )
    .expect(200);
    server
        .post(&format!("{path}/notes"), json!({"note": "still fine"}))
        .expect(200);
}

#[test]
fn a_browser_without_the_token_gets_the_sign_in_page_and_its_cookie_is_guarded() {
    let token = "team-token-0123456789";
    let (_env, server) = served(&["--token", token]);
    let host = server.addr.clone();
    let page = server.raw(
        "GET",
        "/e/x?y=1",
        &[("Host", &host), ("Accept", "text/html")],
        b"",
    );
    assert_eq!(page.status, 401);
    assert!(
        page.text().contains(r#"name="next" value="/e/x?y=1""#),
        "{}",
        page.text()
    );
    // An API client still gets FastAPI's JSON.
    let api = server.raw("GET", "/experiments", &[("Host", &host)], b"");
    assert_eq!(
        (api.status, api.header("www-authenticate")),
        (401, Some("Bearer"))
    );

    let form = |body: &str| {
        server.raw(
            "POST",
            "/sign-in",
            &[
                ("Host", &host),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
    };
    let wrong = form("token=guess&next=%2Fe%2Fx");
    assert_eq!((wrong.status, wrong.header("set-cookie")), (401, None));
    // A field given twice counts its last value, as a query string's does; a body that is no
    // form holds no token: either way the answer is the page, never a bare error.
    let twice = form(&format!("token={token}&token=guess"));
    assert_eq!((twice.status, twice.header("set-cookie")), (401, None));
    assert!(
        twice.text().contains("not this server's token"),
        "{}",
        twice.text()
    );
    let last = form(&format!(
        "token=guess&token={token}&next=%2Fa&next=%2Fe%2Fx"
    ));
    assert_eq!((last.status, last.header("location")), (303, Some("/e/x")));
    let json_body = server.raw(
        "POST",
        "/sign-in",
        &[("Host", &host), ("Content-Type", "application/json")],
        format!(r#"{{"token": "{token}"}}"#).as_bytes(),
    );
    assert_eq!(json_body.status, 401);
    assert!(json_body.text().contains("<form"), "{}", json_body.text());
    let asked = server.raw(
        "GET",
        "/sign-in?next=%2Fa&next=%2Fe%2Fx",
        &[("Host", &host), ("Accept", "text/html")],
        b"",
    );
    assert_eq!(asked.status, 200);
    assert!(
        asked.text().contains(r#"name="next" value="/e/x""#),
        "{}",
        asked.text()
    );
    // Another site is never where a sign-in leads.
    let right = form(&format!("token={token}&next=%2F%2Fevil.example%2F"));
    assert_eq!((right.status, right.header("location")), (303, Some("/")));
    let cookie = right.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();

    // The cookie reads like the token; a write with it must come from this server's pages.
    let read = server.raw(
        "GET",
        "/experiments",
        &[("Host", &host), ("Cookie", &pair)],
        b"",
    );
    assert_eq!(read.status, 200);
    let body = cta().to_string();
    let write = |origin: &str| {
        server.raw(
            "POST",
            "/experiments",
            &[
                ("Host", &host),
                ("Cookie", &pair),
                ("Origin", origin),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    assert_eq!(write("http://evil.example").status, 403);
    assert_eq!(write(&format!("http://{host}")).status, 200);
    // A cookie with another value is no sign-in.
    let forged = server.raw(
        "GET",
        "/experiments",
        &[("Host", &host), ("Cookie", "xp-token=00")],
        b"",
    );
    assert_eq!(forged.status, 401);
}

#[test]
fn a_story_is_never_served_from_a_history_that_changed() {
    let (env, server) = served(&[]);
    server.post("/experiments", cta()).expect(200);
    let slug = "homepage-cta-color";
    let story = |server: &Server| server.get(&format!("/e/{slug}")).expect(200).text();
    assert!(!story(&server).contains("Launched to ten percent"));
    // Asked twice, so that a kept history would be answered.
    story(&server);

    // A note from the command line: a new commit and a new file.
    env.ok(&["note", slug, "Launched to ten percent"]);
    let after_note = story(&server);
    assert!(
        after_note.contains("Launched to ten percent"),
        "{after_note}"
    );

    // The note's commit made again: the same file, another commit; the story names the new one.
    env.git(&[
        "commit",
        "-q",
        "--amend",
        "--no-edit",
        "--date",
        "2026-01-01T00:00:00Z",
    ]);
    let head = env.git(&["rev-parse", "--short", "HEAD"]);
    let remade = story(&server);
    assert!(remade.contains(head.trim()), "{head}: {remade}");

    // A commit that leaves the file as it is: the tip moves, the story stays whole.
    env.git(&["commit", "-q", "--allow-empty", "-m", "Unrelated"]);
    assert!(story(&server).contains("Launched to ten percent"));

    // A hand edit of the file, not committed: the story shows the file as it is.
    let path = env.path(&format!("experiments/{slug}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("learning: null"), "{text}");
    std::fs::write(
        &path,
        text.replace("learning: null", "learning: Typed by hand"),
    )
    .unwrap();
    let edited = story(&server);
    assert!(edited.contains("Typed by hand"), "{edited}");

    // A commit that rewrites history under the same file: the story follows the new tip.
    env.git(&["checkout", "-q", "--", "."]);
    env.git(&["reset", "-q", "--hard", "HEAD~2"]);
    let reset = story(&server);
    assert!(!reset.contains("Launched to ten percent"), "{reset}");
}

/// The column of the board a title is shown in.
fn column_of<'a>(board: &'a str, title: &str) -> &'a str {
    let at = board
        .find(&format!(">{title}<"))
        .expect("the title on the board");
    let col = board[..at].rfind("data-col=\"").expect("a column") + "data-col=\"".len();
    &board[col..col + board[col..].find('"').unwrap()]
}

#[test]
fn a_kept_board_gives_way_to_any_change_of_the_records() {
    let (env, server) = served(&[]);
    for title in ["Alpha", "Beta"] {
        env.experiment(title).create();
    }
    let settle_all = || {
        for f in [
            "experiments/alpha.yaml",
            "experiments/beta.yaml",
            "experiments",
        ] {
            if env.path(f).exists() {
                settle(&env, f);
            }
        }
    };
    settle_all();
    let board = || server.get("/").expect(200).text();
    let first = board();
    assert!(first.contains("Alpha") && first.contains("Beta"), "{first}");
    assert_eq!(
        board(),
        first,
        "the same records, query and minute: the same page"
    );

    // A status change from the command line, settled at once: the board shows it.
    env.ok(&["update", "alpha", "--status", "running"]);
    settle_all();
    let moved = board();
    assert_ne!(moved, first);
    assert_eq!(column_of(&first, "Alpha"), "draft");
    assert_eq!(column_of(&moved, "Alpha"), "running");

    // A title edited by hand, settled: the board shows the new title.
    let path = env.path("experiments/beta.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("title: Beta", "title: Beta renamed")).unwrap();
    settle_all();
    assert!(board().contains("Beta renamed"));

    // Another query is another page.
    let table = server.get("/?view=table").expect(200).text();
    assert_ne!(table, board());
}

/// Every change to the record files between two requests, by any means, is seen by the next
/// lookup by id or id prefix, the next list (a held ETag is no longer 304) and the next story:
/// with the server's watch on the files, and with it off (`XP_SERVE_WATCH=off`, a check of
/// every file's metadata).
fn ids_and_the_list_are_never_served_stale(watch: bool) {
    let env = {
        let mut env = TestEnv::repo();
        if !watch {
            env.vars.push(("XP_SERVE_WATCH".into(), "off".into()));
        }
        env
    };
    env.ok(&["init"]);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "init"]);
    for title in ["Alpha", "Beta"] {
        env.experiment(title).create();
    }
    let server = Server::start(&env, &[]);
    let alpha = "experiments/alpha.yaml";
    let id_of = |rel: &str| {
        env.read(rel)
            .lines()
            .find_map(|l| l.strip_prefix("id: ").map(str::to_owned))
            .unwrap()
    };
    let id = id_of(alpha);
    let by_id = |id: &str| server.get(&format!("/experiments/{id}"));
    let title = |id: &str| by_id(id).expect(200).json()["title"].clone();
    let titles = || -> Vec<Value> {
        let list = server.get("/experiments").expect(200).json();
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].clone())
            .collect()
    };
    let tag = || {
        server
            .get("/experiments")
            .expect(200)
            .header("etag")
            .unwrap()
            .to_owned()
    };
    let held = |tag: &str| {
        server
            .raw(
                "GET",
                "/experiments",
                &[("Host", &server.addr), ("If-None-Match", tag)],
                b"",
            )
            .status
    };
    let story = |name: &str| server.get(&format!("/e/{name}")).expect(200).text();
    // Asked twice each, so that what is kept answers.
    for _ in 0..2 {
        assert_eq!(title(&id), "Alpha");
        assert_eq!(title(&id[..8]), "Alpha");
        assert!(story(&id[..8]).contains("Alpha"));
        assert_eq!(titles(), ["Alpha", "Beta"]);
    }
    let first = tag();
    assert_eq!(held(&first), 304);

    // Changed in place by hand, its size and modification time kept.
    let rewrite = |path: &std::path::Path, from: &str, to: &str| {
        let text = std::fs::read_to_string(path).unwrap().replace(from, to);
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    };
    rewrite(&env.path(alpha), "title: Alpha", "title: Alpho");
    settle(&env, alpha);
    assert_eq!(title(&id), "Alpho");
    assert_eq!(title(&id[..8]), "Alpho");
    assert!(story(&id[..8]).contains("Alpho"));
    assert_eq!(held(&first), 200);
    assert_eq!(titles(), ["Alpho", "Beta"]);

    // Changed through another name of the same file, outside the experiments folder.
    std::fs::hard_link(env.path(alpha), env.path("elsewhere.yaml")).unwrap();
    let linked = tag();
    assert_eq!(held(&linked), 304);
    rewrite(&env.path("elsewhere.yaml"), "title: Alpho", "title: Alphi");
    settle(&env, "elsewhere.yaml");
    assert_eq!(title(&id), "Alphi");
    assert_eq!(held(&linked), 200);
    std::fs::remove_file(env.path("elsewhere.yaml")).unwrap();

    // A file added by hand, then moved into a new folder, renamed there, its id changed, gone.
    // Two more ids, each differing from alpha's in its first character.
    let mut firsts = ['0', '1', '2'].into_iter().filter(|c| !id.starts_with(*c));
    let (other, third) = (firsts.next().unwrap(), firsts.next().unwrap());
    let gamma_id = format!("{other}{}", &id[1..]);
    let gamma = env
        .read(alpha)
        .replace(&id, &gamma_id)
        .replace("title: Alphi", "title: Gamma");
    env.write("experiments/gamma.yaml", &gamma);
    assert_eq!(title(&gamma_id), "Gamma");
    assert_eq!(titles(), ["Alphi", "Beta", "Gamma"]);
    std::fs::create_dir(env.path("experiments/team")).unwrap();
    std::fs::rename(
        env.path("experiments/gamma.yaml"),
        env.path("experiments/team/gamma.yaml"),
    )
    .unwrap();
    assert_eq!(title(&gamma_id), "Gamma");
    assert!(story("gamma").contains("Gamma"));
    std::fs::rename(
        env.path("experiments/team/gamma.yaml"),
        env.path("experiments/team/delta.yaml"),
    )
    .unwrap();
    assert!(story(&gamma_id[..8]).contains("Gamma"));
    server.get("/e/gamma").expect(404);
    let before = tag();
    let delta = "experiments/team/delta.yaml";
    let delta_id = format!("{third}{}", &id[1..]);
    env.write(delta, &env.read(delta).replace(&gamma_id, &delta_id));
    by_id(&gamma_id).expect(404);
    assert_eq!(title(&delta_id), "Gamma");
    assert_eq!(held(&before), 200);
    std::fs::remove_file(env.path(delta)).unwrap();
    by_id(&delta_id).expect(404);
    assert_eq!(titles(), ["Alphi", "Beta"]);

    // A commit, then a reset that takes it back.
    env.git(&["checkout", "-q", "--", "."]);
    assert_eq!(title(&id), "Alpha");
    env.ok(&["note", "alpha", "Seen by the next lookup"]);
    let noted = by_id(&id).expect(200).json();
    assert_eq!(noted["decision_log"][0]["note"], "Seen by the next lookup");
    let committed = tag();
    env.git(&["reset", "-q", "--hard", "HEAD~1"]);
    assert_eq!(by_id(&id).expect(200).json()["decision_log"], json!([]));
    assert_eq!(held(&committed), 200);

    // The whole folder replaced by another.
    std::fs::rename(env.path("experiments"), env.path("old")).unwrap();
    std::fs::create_dir(env.path("experiments")).unwrap();
    for name in ["alpha.yaml", "beta.yaml"] {
        std::fs::copy(
            env.path(&format!("old/{name}")),
            env.path(&format!("experiments/{name}")),
        )
        .unwrap();
    }
    rewrite(&env.path(alpha), "title: Alpha", "title: Alpho");
    settle(&env, alpha);
    assert_eq!(title(&id[..8]), "Alpho");
    assert_eq!(titles(), ["Alpho", "Beta"]);
}

#[test]
fn ids_and_the_list_are_never_served_stale_with_the_watch() {
    ids_and_the_list_are_never_served_stale(true);
}

#[test]
fn ids_and_the_list_are_never_served_stale_without_the_watch() {
    ids_and_the_list_are_never_served_stale(false);
}
