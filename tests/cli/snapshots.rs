//! Whole outputs (stdout, stderr, exit code) pinned as snapshots; refresh with
//! `cargo insta review`.

use insta_cmd::assert_cmd_snapshot;

use crate::support::TestEnv;
use crate::with_filters;

#[test]
fn check_human_output() {
    let env = TestEnv::plain();
    env.fixture("broken/every-rule.yaml", "experiments/every-rule.yaml");
    env.fixture("broken/target-below.yaml", "experiments/target-below.yaml");
    with_filters!(env, {
        assert_cmd_snapshot!(env.xp_cmd(&["check"]));
    });
}

#[test]
fn check_json_output() {
    let env = TestEnv::plain();
    env.fixture("broken/not-yaml.yaml", "experiments/not-yaml.yaml");
    env.fixture("broken/duplicate-id.yaml", "experiments/a.yaml");
    env.fixture("valid/homepage-cta-color.yaml", "experiments/b.yaml");
    with_filters!(env, {
        assert_cmd_snapshot!(env.xp_cmd(&["check", "--format", "json"]));
    });
}

#[test]
fn show_text_output() {
    let env = TestEnv::plain();
    env.fixture(
        "valid/homepage-cta-color.yaml",
        "experiments/homepage-cta-color.yaml",
    );
    with_filters!(env, {
        assert_cmd_snapshot!(env.xp_cmd(&["show", "3f9c"]));
    });
}

#[test]
fn git_session_output() {
    let env = TestEnv::repo();
    env.new_cta();
    with_filters!(env, {
        assert_cmd_snapshot!(env.xp_cmd(&[
            "note",
            "homepage-cta-color",
            "Launched",
            "--who",
            "alice"
        ]));
        assert_cmd_snapshot!(env.xp_cmd(&[
            "update",
            "homepage-cta-color",
            "--status",
            "completed"
        ]));
        assert_cmd_snapshot!(env.xp_cmd(&["log", "homepage-cta-color"]));
    });
}
