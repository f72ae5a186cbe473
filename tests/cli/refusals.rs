//! A refused change is one fact, phrased by each front-end in its own words: the command line
//! names its flags, HTTP its body keys (and never a flag).

use serde_json::{Value, json};

use crate::server::Server;
use crate::support::TestEnv;

/// A draft experiment made over HTTP, and its id.
fn draft(server: &Server) -> String {
    let created = server
        .post(
            "/experiments",
            json!({"title": "T", "hypothesis": "H", "primary_metric": "m",
                   "baseline": 1, "target": 2}),
        )
        .expect(200)
        .json();
    created["id"].as_str().unwrap().to_owned()
}

/// No flag of the command line in an answer.
#[track_caller]
fn speaks_http(answer: &Value) {
    let text = answer.to_string();
    for flag in ["--force", "--amend", "-m ", "xp update"] {
        assert!(!text.contains(flag), "{flag} in {text}");
    }
}

#[test]
fn over_http_a_refusal_names_the_body_key_that_answers_it() {
    let env = TestEnv::repo();
    env.ok(&["init"]);
    let server = Server::start(&env, &[]);
    let id = draft(&server);
    let path = format!("/experiments/{id}");

    let moved = server
        .patch(&path, json!({"status": "shipped"}))
        .expect(409)
        .json();
    speaks_http(&moved);
    assert_eq!(
        moved,
        json!({"detail": "status cannot move from draft to shipped",
               "hint": "from draft it can move to running or killed; send \"force\": true to move anyway"})
    );

    let killed = server
        .patch(&path, json!({"status": "killed"}))
        .expect(422)
        .json();
    speaks_http(&killed);
    assert_eq!(killed["detail"][0]["loc"], json!(["body", "note"]));

    let blank = server
        .patch(&path, json!({"title": "U", "amend": " "}))
        .expect(422)
        .json();
    assert_eq!(blank["detail"][0]["loc"], json!(["body", "amend"]));
    let no_plan = server
        .patch(&path, json!({"title": "U", "amend": "why"}))
        .expect(422)
        .json();
    speaks_http(&no_plan);
    assert_eq!(no_plan["detail"][0]["loc"], json!(["body", "amend"]));

    let nothing = server
        .patch(&path, json!({"title": "T"}))
        .expect(409)
        .json();
    speaks_http(&nothing);
    assert_eq!(nothing["hint"], "send a field to change, or a `note`");

    server
        .patch(&path, json!({"status": "running"}))
        .expect(200);
    let locked = server.patch(&path, json!({"target": 3})).expect(409).json();
    speaks_http(&locked);
    assert_eq!(
        locked,
        json!({"detail": "the plan is locked since the experiment ran: changing target is an amendment",
               "hint": "send `amend` with the reason; the change and the reason are logged"})
    );
    let amended = server
        .patch(&path, json!({"target": 3, "amend": "more traffic"}))
        .expect(200)
        .json();
    assert_eq!(amended["target"], 3.0);
    let note = server
        .post(&format!("{path}/notes"), json!({"note": " "}))
        .expect(422)
        .json();
    assert_eq!(note["detail"][0]["loc"], json!(["body", "note"]));
}

#[test]
fn on_the_command_line_a_refusal_names_the_flag_that_answers_it() {
    let env = TestEnv::repo();
    env.ok(&["init"]);
    env.experiment("T").hypothesis("H").ok();
    let run = env.xp(&["update", "t", "--status", "shipped"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            1,
            "error: status cannot move from draft to shipped\n\
             hint: from draft it can move to running or killed; add --force to move anyway\n"
        )
    );
    let run = env.xp(&["update", "t", "--status", "killed"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "error: killing an experiment needs the reason: add -m \"why it was killed\"\n"
        )
    );
    let run = env.xp(&["update", "t", "--title", "T2", "--amend", "why"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --amend is for a change to the plan (--hypothesis, --metric, --baseline, \
         --target, --direction, --alpha, --power, --split, --minimum-detectable-effect, --expected-daily-units), and none is given\n"
    );
    env.ok(&["update", "t", "--status", "running"]);
    let run = env.xp(&["update", "t", "--target", "3", "--baseline", "0.5"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            1,
            "error: the plan is locked since the experiment ran: changing baseline, target is \
             an amendment\nhint: say why with --amend \"reason\"; the change and the reason are \
             logged\n"
        )
    );
}
