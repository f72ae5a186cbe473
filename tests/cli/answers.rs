//! Every shape of answer the API gives, whole (status, the headers a client reads, the body),
//! pinned as snapshots on one repository: reads, writes, and each kind of refusal.

use serde_json::{Value, json};

use crate::server::{Resp, Server};
use crate::support::TestEnv;

/// The answer as a client sees it: status line, the headers that carry meaning, the body
/// (JSON pretty-printed, with commit ids named by their place).
fn whole(resp: &Resp) -> String {
    let mut out = format!("status: {}\n", resp.status);
    for name in [
        "content-type",
        "allow",
        "location",
        "www-authenticate",
        "xp-commit",
        "xp-broken-files",
        "content-disposition",
    ] {
        if let Some(value) = resp.header(name) {
            let value = if name == "xp-commit" {
                "[commit]"
            } else {
                value
            };
            out.push_str(&format!("{name}: {value}\n"));
        }
    }
    out.push('\n');
    let body = match serde_json::from_slice::<Value>(&resp.body) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
        Err(_) => resp.text(),
    };
    out.push_str(&body);
    out.push('\n');
    out
}

#[track_caller]
fn pin(name: &str, resp: Resp) {
    insta::assert_snapshot!(name, whole(&resp));
}

fn repository() -> TestEnv {
    let mut env = TestEnv::repo();
    env.pin_ids();
    env.ok(&["init"]);
    env.experiment("Homepage CTA Color")
        .metric("signup_rate")
        .baseline(3.2)
        .target(3.7)
        .status("running")
        .create();
    env
}

#[test]
fn reads_answer_the_origin_services_shapes() {
    let env = repository();
    let server = Server::start(&env, &[]);
    pin("health", server.get("/health"));
    pin("list", server.get("/experiments"));
    pin("one", server.get("/experiments/homepage-cta-color"));
    pin("log", server.get("/experiments/homepage-cta-color/log"));
    pin(
        "similar",
        server.get("/experiments/homepage-cta-color/similar"),
    );
    pin("export", server.get("/experiments/export.csv"));
    pin(
        "unknown_experiment",
        server.get("/experiments/no-such-thing"),
    );
    pin("unknown_path", server.get("/nowhere"));
    pin("bad_query", server.get("/experiments?status=done"));
    pin("wrong_method", server.send("DELETE", "/experiments", None));
}

#[test]
fn writes_and_their_refusals() {
    let mut env = repository();
    env.now = "2026-02-22T19:00:00Z".into();
    let server = Server::start(&env, &[]);
    pin(
        "create",
        server.post(
            "/experiments",
            json!({"title": "Checkout latency", "hypothesis": "Inline payment", "primary_metric": "p95",
                   "baseline": 800, "target": 650, "direction": "decrease"}),
        ),
    );
    pin(
        "create_invalid",
        server.post(
            "/experiments",
            json!({"title": "", "hypothesis": "h", "primary_metric": "m", "baseline": 2,
                   "target": 1, "stauts": "x"}),
        ),
    );
    pin(
        "patch",
        server.patch(
            "/experiments/homepage-cta-color",
            json!({"observed": 3.712, "note": "Measured"}),
        ),
    );
    pin(
        "patch_unknown_key",
        server.patch(
            "/experiments/homepage-cta-color",
            json!({"colour": "green"}),
        ),
    );
    pin(
        "patch_refused_move",
        server.patch(
            "/experiments/homepage-cta-color",
            json!({"status": "shipped"}),
        ),
    );
    pin(
        "patch_kill_without_note",
        server.patch(
            "/experiments/homepage-cta-color",
            json!({"status": "killed"}),
        ),
    );
    pin(
        "patch_locked_plan",
        server.patch("/experiments/homepage-cta-color", json!({"target": 3.9})),
    );
    pin(
        "note",
        server.post(
            "/experiments/homepage-cta-color/notes",
            json!({"note": "Checked the funnel", "who": "ann"}),
        ),
    );
    pin(
        "note_blank",
        server.post(
            "/experiments/homepage-cta-color/notes",
            json!({"note": " "}),
        ),
    );
    pin(
        "not_json",
        server.raw(
            "POST",
            "/experiments/homepage-cta-color/notes",
            &[("Host", &server.addr), ("Content-Type", "text/plain")],
            b"note",
        ),
    );
    pin(
        "broken_json",
        server.raw(
            "POST",
            "/experiments/homepage-cta-color/notes",
            &[("Host", &server.addr), ("Content-Type", "application/json")],
            b"{\"note\": ",
        ),
    );
}

#[test]
fn guards_answer_before_any_handler() {
    let env = repository();
    let server = Server::start(&env, &["--token", "a-token-long-enough-to-guess-never"]);
    pin("no_token", server.get("/experiments"));
    pin(
        "wrong_host",
        server.raw("GET", "/health", &[("Host", "evil.example")], b""),
    );
    let read_only = Server::start(&env, &["--read-only"]);
    pin(
        "read_only_write",
        read_only.post(
            "/experiments/homepage-cta-color/notes",
            json!({"note": "x"}),
        ),
    );
}

#[test]
fn imports_answer_what_was_created_or_every_problem() {
    let env = repository();
    let server = Server::start(&env, &[]);
    let commits = env.commit_count();
    let log = json!([{"at": "2026-01-05T09:00:00.000Z", "who": "alice", "note": "Launched"}]);
    // Every problem of every item at once, at its place in the body; nothing written.
    pin(
        "import_invalid",
        server.post(
            "/experiments/import",
            json!([
                {"id": "00000000-0000-4000-8000-000000000001", "title": "Fine", "hypothesis": "h",
                 "primary_metric": "m", "baseline": 1, "target": 2, "status": "running",
                 "decision_log": log},
                {"id": "00000000-0000-4000-8000-000000000002", "title": "x".repeat(201),
                 "hypothesis": "h", "primary_metric": "m", "baseline": 3.2, "target": 3.0},
                {"id": "00000000-0000-4000-8000-000000000001", "title": "Twice", "hypothesis": "h",
                 "primary_metric": "m", "baseline": 1, "target": 2,
                 "decision_log": [{"at": "yesterday", "who": null, "note": ""}], "colour": "red"},
                "not an experiment",
            ]),
        ),
    );
    assert_eq!(env.commit_count(), commits, "nothing written");
    let body = json!([
        {"id": "00000000-0000-4000-8000-000000000001", "title": "Checkout latency",
         "hypothesis": "Inline payment", "primary_metric": "p95", "baseline": 800.0,
         "target": 650, "direction": "decrease", "status": "completed", "confidence": 97,
         "decision": "ship", "learning": "Faster", "decision_log": log},
        {"title": "Homepage CTA Color", "hypothesis": "Green", "primary_metric": "signups",
         "baseline": 1, "target": 2},
    ]);
    // A dry run says what would be created, and writes nothing.
    pin(
        "import_dry_run",
        server.post("/experiments/import?dry_run=true", body.clone()),
    );
    assert_eq!(env.commit_count(), commits, "nothing written");
    pin(
        "import_bad_query",
        server.post("/experiments/import?dry_run=maybe", body.clone()),
    );
    pin(
        "import",
        commits_named(server.post("/experiments/import", body.clone())),
    );
    assert_eq!(env.commit_count(), commits + 2);
    pin("import_again", server.post("/experiments/import", body));
    assert_eq!(env.commit_count(), commits + 2, "a re-run changes nothing");
}

/// The answer with each `"commit"` of its body named by its place, as `xp-commit` is.
fn commits_named(mut resp: Resp) -> Resp {
    let mut body: Value = serde_json::from_slice(&resp.body).unwrap();
    for created in body["created"].as_array_mut().unwrap() {
        assert!(created["commit"].as_str().is_some_and(|c| c.len() == 7));
        created["commit"] = json!("[commit]");
    }
    resp.body = body.to_string().into_bytes();
    resp
}
