//! Whole outputs (stdout, stderr, exit code) pinned as snapshots; refresh with
//! `cargo insta review`.

use crate::assert_xp_snapshot;
use crate::support::TestEnv;

#[test]
fn check_human_output() {
    let mut env = TestEnv::plain();
    env.pin_ids();
    env.fixture("broken/every-rule.yaml", "experiments/every-rule.yaml");
    env.fixture("broken/target-below.yaml", "experiments/target-below.yaml");
    assert_xp_snapshot!(env, &["check"]);
}

#[test]
fn check_json_output() {
    let mut env = TestEnv::plain();
    env.pin_ids();
    env.fixture("broken/not-yaml.yaml", "experiments/not-yaml.yaml");
    env.fixture("broken/duplicate-id.yaml", "experiments/a.yaml");
    env.fixture("valid/homepage-cta-color.yaml", "experiments/b.yaml");
    assert_xp_snapshot!(env, &["check", "--format", "json"]);
}

#[test]
fn show_text_output() {
    let mut env = TestEnv::plain();
    env.pin_ids();
    env.fixture(
        "valid/homepage-cta-color.yaml",
        "experiments/homepage-cta-color.yaml",
    );
    assert_xp_snapshot!(env, &["show", "3f9c"]);
}

#[test]
fn git_session_output() {
    let mut env = TestEnv::repo();
    env.pin_ids();
    env.new_cta();
    assert_xp_snapshot!(
        env,
        &["note", "homepage-cta-color", "Launched", "--who", "alice"]
    );
    assert_xp_snapshot!(
        env,
        &["update", "homepage-cta-color", "--status", "completed"]
    );
    assert_xp_snapshot!(env, &["log", "homepage-cta-color"]);
}

#[test]
fn listing_and_exports() {
    let mut env = TestEnv::repo();
    env.pin_ids();
    env.new_cta();
    env.ok(&["note", "homepage-cta-color", "Launched", "--who", "alice"]);
    assert_xp_snapshot!(env, &["list"]);
    assert_xp_snapshot!(env, &["list", "--format", "json"]);
    assert_xp_snapshot!(env, &["show", "homepage-cta-color", "--format", "json"]);
    assert_xp_snapshot!(env, &["log", "homepage-cta-color", "--format", "json"]);
    assert_xp_snapshot!(env, &["export"]);
}

#[test]
fn refused_references_list_their_candidates() {
    let mut env = TestEnv::repo();
    env.pin_ids();
    env.new_cta();
    assert_xp_snapshot!(env, &["show", "homepage-cta"]);
    assert_xp_snapshot!(env, &["note", "abc", "x"]);
    assert_xp_snapshot!(
        env,
        &["update", "homepage-cta-color", "--status", "shipped"]
    );
}

/// The whole demo, every command and what it printed, commit hashes included.
#[test]
fn the_demo_tells_the_whole_story() {
    let mut env = TestEnv::plain();
    env.pin_ids();
    assert_xp_snapshot!(env, &["demo", "--path", "demo"]);
}
