//! A hermetic test environment: a temporary directory (optionally a git repository), a cleared
//! environment, a fixed author and a fixed clock.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const NOW: &str = "2026-02-22T18:30:00Z";

/// The sample record tests start from (`fixtures/valid/sample.yaml`): a running experiment
/// with one log entry, every key on its own line.
pub const SAMPLE: &str = include_str!("../../fixtures/valid/sample.yaml");
pub const ID_PATTERN: &str = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

pub struct TestEnv {
    _dir: tempfile::TempDir,
    /// The work tree (or plain directory) the commands run in.
    pub root: PathBuf,
    home: PathBuf,
    pub now: String,
    /// Extra variables for the next commands.
    pub vars: Vec<(String, String)>,
}

impl TestEnv {
    /// A plain directory, not a git repository.
    pub fn plain() -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join("work");
        let home = dir.path().canonicalize().unwrap().join("home");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        TestEnv {
            _dir: dir,
            root,
            home,
            now: NOW.into(),
            vars: Vec::new(),
        }
    }

    /// A fresh git repository on branch `main` with a fixed author, and no commits.
    pub fn repo() -> TestEnv {
        let env = TestEnv::plain();
        env.git(&["init", "-q", "-b", "main"]);
        env.git(&["config", "user.name", "Test User"]);
        env.git(&["config", "user.email", "test@example.com"]);
        env
    }

    fn clear(&self, cmd: &mut Command, cwd: &Path) {
        cmd.current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"))
            .env("NO_COLOR", "1")
            .env("TZ", "UTC");
    }

    /// The `xp` binary, ready to run in `cwd`.
    pub fn xp_cmd_in(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xp"));
        self.clear(&mut cmd, cwd);
        cmd.env("XP_NOW", &self.now).args(args);
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn xp_cmd(&self, args: &[&str]) -> Command {
        self.xp_cmd_in(&self.root, args)
    }

    pub fn xp(&self, args: &[&str]) -> Run {
        Run::from(self.xp_cmd(args).output().unwrap())
    }

    pub fn xp_in(&self, cwd: &Path, args: &[&str]) -> Run {
        Run::from(self.xp_cmd_in(cwd, args).output().unwrap())
    }

    /// Runs `xp` and fails the test unless it succeeds; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.xp(args);
        assert_eq!(
            run.code, 0,
            "xp {args:?} failed:\n{}{}",
            run.stdout, run.stderr
        );
        run.stdout
    }

    /// Runs git and fails the test unless it succeeds; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        self.clear(&mut cmd, &self.root);
        cmd.env("GIT_AUTHOR_DATE", "2026-02-22T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-02-22T12:00:00Z");
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs git in `dir` (another clone) and fails the test unless it succeeds; returns stdout.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        self.clear(&mut cmd, dir);
        cmd.env("GIT_AUTHOR_DATE", "2026-02-22T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-02-22T12:00:00Z");
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs git and returns whether it succeeded, with stdout.
    pub fn git_try(&self, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new("git");
        self.clear(&mut cmd, &self.root);
        let out = cmd.args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// Runs git with the fixed dates and returns what it did, stderr included.
    pub fn git_run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new("git");
        self.clear(&mut cmd, &self.root);
        cmd.env("GIT_AUTHOR_DATE", "2026-02-22T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-02-22T12:00:00Z");
        Run::from(cmd.args(args).output().unwrap())
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    pub fn bytes(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_default()
    }

    /// Copies a file from `fixtures/` into the experiments directory.
    pub fn fixture(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(from),
        )
        .unwrap();
        self.write(to, &text);
    }

    /// Creates the seed's CTA experiment; returns its id.
    pub fn new_cta(&self) -> String {
        self.experiment("Homepage CTA Color")
            .hypothesis("Changing CTA button from blue to green increases signups by 15%")
            .metric("signup_rate")
            .baseline(3.2)
            .target(3.7)
            .loud()
            .create()
    }

    /// An experiment to create with `xp new`: the fields not given take plain values that
    /// pass every rule (hypothesis "It helps", metric `m`, baseline 1, target 2).
    pub fn experiment(&self, title: &str) -> Experiment<'_> {
        Experiment {
            env: self,
            fields: vec![
                ("title".into(), vec![title.into()]),
                ("hypothesis".into(), vec!["It helps".into()]),
                ("metric".into(), vec!["m".into()]),
                ("baseline".into(), vec!["1".into()]),
                ("target".into(), vec!["2".into()]),
            ],
            quiet: true,
        }
    }

    pub fn commit_count(&self) -> usize {
        let (ok, out) = self.git_try(&["rev-list", "--count", "HEAD"]);
        if ok { out.trim().parse().unwrap() } else { 0 }
    }

    /// Paths changed by the last commit.
    pub fn last_commit_paths(&self) -> Vec<String> {
        self.git(&["show", "--name-only", "--format=", "HEAD"])
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// An experiment about to be made by `xp new` (see [`TestEnv::experiment`]).
pub struct Experiment<'e> {
    env: &'e TestEnv,
    /// Each flag without its dashes, with its values in order.
    fields: Vec<(String, Vec<String>)>,
    quiet: bool,
}

impl Experiment<'_> {
    /// Sets a flag (`--NAME VALUE`), replacing an earlier value.
    pub fn set(mut self, flag: &str, value: impl ToString) -> Self {
        self.fields.retain(|(f, _)| f != flag);
        self.fields.push((flag.into(), vec![value.to_string()]));
        self
    }

    /// Adds a value to a repeated flag (`--tag`, `--link`).
    pub fn add(mut self, flag: &str, value: &str) -> Self {
        match self.fields.iter_mut().find(|(f, _)| f == flag) {
            Some((_, values)) => values.push(value.into()),
            None => self.fields.push((flag.into(), vec![value.into()])),
        }
        self
    }

    pub fn hypothesis(self, text: &str) -> Self {
        self.set("hypothesis", text)
    }
    pub fn metric(self, name: &str) -> Self {
        self.set("metric", name)
    }
    pub fn baseline(self, value: f64) -> Self {
        self.set("baseline", value)
    }
    pub fn target(self, value: f64) -> Self {
        self.set("target", value)
    }
    pub fn status(self, status: &str) -> Self {
        self.set("status", status)
    }
    pub fn direction(self, direction: &str) -> Self {
        self.set("direction", direction)
    }
    pub fn owner(self, owner: &str) -> Self {
        self.set("owner", owner)
    }
    pub fn tag(self, tag: &str) -> Self {
        self.add("tag", tag)
    }

    /// Lets `xp new` say which experiments look like this one (it is `--quiet` otherwise).
    pub fn loud(mut self) -> Self {
        self.quiet = false;
        self
    }

    /// The `xp new` command line.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["new".to_owned()];
        if self.quiet {
            args.push("--quiet".into());
        }
        for (flag, values) in &self.fields {
            for value in values {
                // `=` keeps a value that starts with a dash a value.
                args.push(format!("--{flag}={value}"));
            }
        }
        args
    }

    /// Runs `xp new`, failing the test unless it succeeds; returns the new id.
    pub fn create(self) -> String {
        let args = self.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.env.ok(&args);
        out.split_whitespace().next().unwrap().to_owned()
    }

    /// Runs `xp new`, failing the test unless it succeeds; returns its stdout (`ID PATH`).
    pub fn ok(self) -> String {
        let args = self.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.env.ok(&args)
    }

    /// Runs `xp new` and returns what it did.
    pub fn run(self) -> Run {
        let args = self.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.env.xp(&args)
    }
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// The whole outcome as a snapshot pins it: exit code, stdout and stderr.
    pub fn whole(&self) -> String {
        format!(
            "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl TestEnv {
    /// Fixes the ids xp makes (`XP_ID_SEED`), so that with the fixed clock and author whole
    /// outputs, commit hashes included, are the same on every run.
    pub fn pin_ids(&mut self) {
        self.vars.push(("XP_ID_SEED".into(), "snapshots".into()));
    }
}

/// Pins the whole outcome of `xp ARGS` (exit code, stdout, stderr) as a snapshot; only the
/// temporary directory is named `[ROOT]`. Refresh with `cargo insta review`.
#[macro_export]
macro_rules! assert_xp_snapshot {
    ($env:expr, $args:expr) => {{
        let run = $env.xp($args);
        let root = $env.root.to_string_lossy().into_owned();
        insta::assert_snapshot!(run.whole().replace(&root, "[ROOT]"));
    }};
}

/// How many times longer the soak forms run: `XP_SOAK=N` (default 1, the fast form).
pub fn soak() -> usize {
    std::env::var("XP_SOAK")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n >= 1)
        .unwrap_or(1)
}

/// A tiny seeded generator (xorshift64*), so that a failing random run can be replayed with
/// `XP_SEED=<seed>`.
pub struct Rng(u64);

impl Rng {
    /// Seeded from `XP_SEED` when set, else from the clock; the seed is printed.
    pub fn from_env(test: &str) -> Rng {
        let seed = std::env::var("XP_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("{test}: XP_SEED={seed}");
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// HEAD, the ref it names, the index and every file under `experiments/`, byte for byte.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub head: Vec<u8>,
    pub refs: Vec<(String, Vec<u8>)>,
    pub index: Vec<u8>,
    pub records: Vec<(String, Vec<u8>)>,
}

impl TestEnv {
    /// Spawns `xp` with its output captured.
    pub fn xp_spawn(&self, args: &[&str]) -> std::process::Child {
        use std::process::Stdio;
        self.xp_cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// The state a refused command must leave as it was.
    pub fn snapshot(&self) -> Snapshot {
        let git = self.path(".git");
        let mut refs = Vec::new();
        for entry in walkdir::WalkDir::new(git.join("refs")).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(&git).unwrap();
                refs.push((
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(entry.path()).unwrap(),
                ));
            }
        }
        if let Ok(packed) = std::fs::read(git.join("packed-refs")) {
            refs.push(("packed-refs".into(), packed));
        }
        Snapshot {
            head: std::fs::read(git.join("HEAD")).unwrap_or_default(),
            refs,
            index: std::fs::read(git.join("index")).unwrap_or_default(),
            records: self.files_under("experiments"),
        }
    }

    /// Every file under `rel` (links included, not followed), with its bytes, sorted.
    pub fn files_under(&self, rel: &str) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let root = self.path(rel);
        if std::fs::symlink_metadata(&root).is_err() {
            return out;
        }
        for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let entry = entry.unwrap();
            if !entry.file_type().is_dir() {
                let name = entry.path().strip_prefix(&self.root).unwrap();
                let bytes = if entry.file_type().is_symlink() {
                    std::fs::read_link(entry.path())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                        .into_bytes()
                } else {
                    std::fs::read(entry.path()).unwrap()
                };
                out.push((name.to_string_lossy().into_owned(), bytes));
            }
        }
        out
    }

    /// Runs `git fsck --strict` and fails the test on anything but dangling objects.
    pub fn fsck(&self) {
        let mut cmd = Command::new("git");
        self.clear(&mut cmd, &self.root);
        let out = cmd
            .args(["fsck", "--strict", "--no-progress", "--no-dangling"])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && text.trim().is_empty(),
            "git fsck: {text}"
        );
    }

    /// The record at `rel` as xp reads it; fails the test when it breaks a rule.
    pub fn record(&self, rel: &str) -> xp::record::Record {
        let bytes = std::fs::read(self.path(rel)).unwrap();
        record_of(&bytes)
    }
}

/// Reads record bytes with xp's own loader; fails the test when they break a rule.
pub fn record_of(bytes: &[u8]) -> xp::record::Record {
    let checked = xp::rules::check_bytes(Path::new("record.yaml"), bytes);
    assert!(
        checked.problems.is_empty(),
        "the record breaks rules: {:?}\n{}",
        checked.problems,
        String::from_utf8_lossy(bytes)
    );
    checked.record.unwrap()
}

/// Makes sure a program the tests drive is installed: on a fresh Debian machine, as root,
/// `cargo test` installs its package with apt-get once (as `.ci/run` does); elsewhere a
/// missing one fails the test with the command that installs it.
pub fn need(program: &str, package: &str) {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let found = || {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {program}"))
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if found() {
        return;
    }
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if found() {
        return;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package}"
            ))
            .output();
    }
    assert!(
        found(),
        "the tests need `{program}`: install Debian's package with `apt-get install -y {package}`"
    );
}
