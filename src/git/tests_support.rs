//! The fixture the git tests share: a fresh repository with a fixed identity and clock.

#![allow(clippy::unwrap_used)]

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use git2::build::TreeUpdateBuilder;
use git2::{Commit, FileMode, Oid, Repository, Signature};
use tempfile::TempDir;

use super::recover::JOURNAL;
use super::{Committed, GitEnv, Repo, init_repo};

pub const NOW: &str = "2026-02-22T18:30:00Z";
pub const RECORD: &str = "experiments/cta.yaml";

/// A fresh repository on `main` with a fixed identity and clock, and a HOME for the git CLI.
pub struct Fx {
    _tmp: TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub repo: Repo,
    pub env: GitEnv,
}

pub fn fx() -> Fx {
    let tmp = TempDir::new().unwrap();
    let (root, home) = (tmp.path().join("repo"), tmp.path().join("home"));
    fs::create_dir_all(&home).unwrap();
    init_repo(&root, "Config Name", "config@example.com").unwrap();
    let vars = [
        ("GIT_AUTHOR_NAME", "Alice"),
        ("GIT_AUTHOR_EMAIL", "alice@example.com"),
        ("GIT_COMMITTER_NAME", "Bob"),
        ("GIT_COMMITTER_EMAIL", "bob@example.com"),
    ];
    let vars = vars.map(|(k, v)| (k.to_owned(), v.to_owned()));
    let env = GitEnv::new(vars, now());
    let repo = Repo::discover(&root, &env).unwrap().unwrap();
    Fx {
        _tmp: tmp,
        root,
        home,
        repo,
        env,
    }
}

impl Fx {
    /// Runs the git CLI in the work tree with a cleared environment; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(&self.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "git {args:?} failed: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    pub fn backdate(&self, rels: &[&str], secs: u64) {
        let when = std::time::UNIX_EPOCH + Duration::from_secs(secs);
        for rel in rels {
            let file = File::options().write(true).open(self.root.join(rel));
            file.unwrap().set_modified(when).unwrap();
        }
    }

    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        fs::read(self.root.join(rel)).ok()
    }

    /// What xp does: preflight against the work file, write it, commit it.
    pub fn xp_commit(&self, rel: &str, content: &str, message: &str) -> Committed {
        self.repo.preflight(rel, self.read(rel).as_deref()).unwrap();
        self.write(rel, content);
        self.repo
            .commit_file(rel, content.as_bytes(), message, &self.env)
            .unwrap()
    }

    /// Commits with the git CLI whatever is staged after `git add` of `paths`.
    pub fn cli_commit(&self, paths: &[&str], message: &str) {
        self.git(&[&["add", "--"][..], paths].concat());
        self.git(&["commit", "-q", "-m", message]);
    }

    pub fn commit(&self, rev: &str) -> Commit<'_> {
        self.repo
            .repo
            .revparse_single(rev)
            .unwrap()
            .peel_to_commit()
            .unwrap()
    }

    /// HEAD, the branch ref and the index file, byte for byte.
    pub fn snapshot(&self) -> Vec<Option<Vec<u8>>> {
        let git = self.root.join(".git");
        ["HEAD", "refs/heads/main", "index"]
            .iter()
            .map(|f| fs::read(git.join(f)).ok())
            .collect()
    }

    /// Every index entry but `except`, with all its fields.
    pub fn index_entries(&self, except: &str) -> Vec<String> {
        let mut index = self.repo.repo.index().unwrap();
        index.read(true).unwrap();
        index
            .iter()
            .filter(|e| e.path != except.as_bytes())
            .map(|e| {
                let ctime = (e.ctime.seconds(), e.ctime.nanoseconds());
                let mtime = (e.mtime.seconds(), e.mtime.nanoseconds());
                let stat = (e.dev, e.ino, e.uid, e.gid, e.file_size);
                let path = String::from_utf8_lossy(&e.path);
                let (id, mode, flags, ext) = (e.id, e.mode, e.flags, e.flags_extended);
                format!("{path} {id} {mode:o} {ctime:?} {mtime:?} {stat:?} {flags} {ext}")
            })
            .collect()
    }

    pub fn fsck(&self) {
        self.git(&["fsck", "--strict", "--no-progress"]);
    }

    /// How many journals of commits under way are in the git directory.
    pub fn journals(&self) -> usize {
        fs::read_dir(self.root.join(".git"))
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().starts_with(JOURNAL)
            })
            .count()
    }
}

pub fn paths_changed(fx: &Fx, commit: &Commit) -> Vec<String> {
    let parent_tree = commit.parent(0).ok().map(|p| p.tree().unwrap());
    let diff = fx
        .repo
        .repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&commit.tree().unwrap()), None)
        .unwrap();
    diff.deltas()
        .map(|d| d.new_file().path().unwrap().to_str().unwrap().to_owned())
        .collect()
}

/// An environment with no variables at all, at [`NOW`].
pub fn bare_env() -> GitEnv {
    GitEnv::new([], now())
}

/// The fixed clock, [`NOW`].
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc()
}

/// Makes a commit with another handle, as a concurrent git process would.
pub fn outside_commit(root: &Path, rel: &str, content: &str) -> Oid {
    let repo = Repository::open(root).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let blob = repo.blob(content.as_bytes()).unwrap();
    let tree = TreeUpdateBuilder::new()
        .upsert(rel, blob, FileMode::Blob)
        .create_updated(&repo, &head.tree().unwrap())
        .unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let sig = Signature::now("Outsider", "out@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "outside\n", &tree, &[&head])
        .unwrap()
}
