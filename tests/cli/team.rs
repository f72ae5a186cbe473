//! A team for the tests: the server's clone, a bare repository as the remote, and a
//! teammate's clone beside them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Run, TestEnv};

/// The server's clone (`env`), the bare remote, and a teammate's clone of it.
pub struct Team {
    pub env: TestEnv,
    pub remote: PathBuf,
    pub mate: PathBuf,
}

impl Team {
    /// A remote holding one experiment, `cta`, pushed from the server's clone; the teammate
    /// has cloned it.
    pub fn new() -> Team {
        let env = TestEnv::repo();
        let top = env.root.parent().unwrap().to_owned();
        let remote = top.join("remote.git");
        let mate = top.join("mate");
        env.git(&[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            remote.to_str().unwrap(),
        ]);
        env.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        env.ok(&["init"]);
        env.git(&["add", ".gitattributes"]);
        env.git(&[
            "commit",
            "-q",
            "-m",
            "Route experiments to xp's merge driver",
        ]);
        env.experiment("CTA").create();
        env.git(&["push", "-q", "-u", "origin", "main"]);
        env.git(&[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            mate.to_str().unwrap(),
        ]);
        let team = Team { env, remote, mate };
        team.mate_git(&["config", "user.name", "Mate"]);
        team.mate_git(&["config", "user.email", "mate@example.com"]);
        team
    }

    pub fn mate_git(&self, args: &[&str]) -> String {
        self.env.git_in(&self.mate, args)
    }

    pub fn mate_xp(&self, args: &[&str]) -> String {
        let run = self.env.xp_in(&self.mate, args);
        assert_eq!(
            run.code, 0,
            "xp {args:?} in the mate's clone:\n{}",
            run.stderr
        );
        run.stdout
    }

    pub fn remote_git(&self, args: &[&str]) -> String {
        let mut all = vec!["--git-dir", self.remote.to_str().unwrap()];
        all.extend_from_slice(args);
        self.env.git(&all)
    }

    /// The notes of `cta` on the remote's main, in order.
    pub fn remote_notes(&self) -> Vec<String> {
        let text = self.remote_git(&["show", "main:experiments/cta.yaml"]);
        crate::support::record_of(text.as_bytes())
            .decision_log
            .into_iter()
            .map(|e| e.note)
            .collect()
    }

    pub fn sync(&self) -> Run {
        self.env.xp(&["sync", "--timeout", "10"])
    }

    pub fn sync_json(&self) -> (Run, Value) {
        let run = self
            .env
            .xp(&["sync", "--timeout", "10", "--format", "json"]);
        let json = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr));
        (run, json)
    }
}

/// Each commit on the remote's main changes one file, and none is a merge.
pub fn linear_one_file_commits(team: &Team) {
    let merges = team.remote_git(&["rev-list", "--merges", "main"]);
    assert_eq!(merges.trim(), "", "merge commits on the remote");
    let log = team.remote_git(&["log", "--format=%H", "main"]);
    for id in log.lines() {
        let files = team.remote_git(&["show", "--name-only", "--format=", id]);
        assert!(files.lines().count() <= 1, "{id} changes {files}");
    }
}

pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
