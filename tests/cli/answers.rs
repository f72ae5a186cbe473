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
