//! The process environment, read once at the edge and passed down, so that the domain code
//! never reads the clock, the environment or the working directory itself.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::git::GitEnv;
use crate::time::parse_time;

/// What the outside world told this run: variables, working directory and the clock.
#[derive(Debug, Clone)]
pub struct Env {
    vars: BTreeMap<String, String>,
    pub cwd: PathBuf,
    now: Option<DateTime<Utc>>,
    /// How many ids this run has made (for `XP_ID_SEED`).
    ids: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Env {
    /// Captures the real process environment.
    pub fn from_process() -> Result<Env, Error> {
        let cwd = std::env::current_dir().map_err(|e| Error::Failed {
            message: format!("cannot read the current directory: {e}"),
            hint: None,
        })?;
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Env::new(vars, cwd)
    }

    /// An environment made of the given variables; `XP_NOW` among them fixes the clock.
    pub fn new(vars: BTreeMap<String, String>, cwd: PathBuf) -> Result<Env, Error> {
        let now = match vars.get("XP_NOW") {
            Some(text) if !text.is_empty() => Some(parse_time(text).ok_or_else(|| Error::Usage {
                message: format!(
                    "XP_NOW is `{text}`, which is not an RFC 3339 time; use e.g. 2026-02-22T18:30:00Z"
                ),
            })?),
            _ => None,
        };
        Ok(Env {
            vars,
            cwd,
            now,
            ids: Default::default(),
        })
    }

    /// A variable, when set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Test-only: whether `XP_TEST_FAULT` names this point, where a test wants a failure;
    /// never without the `test-faults` feature, which only `cargo test` turns on.
    pub fn fault(&self, point: &str) -> bool {
        cfg!(feature = "test-faults") && self.var("XP_TEST_FAULT") == Some(point)
    }

    /// Test-only: dies at once, as a kill would (no clean-up, no output), when `XP_TEST_FAULT`
    /// names this point; tests use it to stop xp where random kills rarely land.
    pub fn crash_point(&self, point: &str) {
        if self.fault(point) {
            std::process::abort();
        }
    }

    /// Test-only: runs `XP_TEST_RUN` through `sh -c` when `XP_TEST_RUN_AT` names this point,
    /// so that a test makes something happen exactly there (a teammate's push between a
    /// sync's fetch and its push); never without the `test-faults` feature.
    pub fn test_run(&self, point: &str) {
        if !cfg!(feature = "test-faults") || self.var("XP_TEST_RUN_AT") != Some(point) {
            return;
        }
        if let Some(command) = self.var("XP_TEST_RUN") {
            let _ = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .env_clear()
                .envs(self.vars.iter().filter(|(k, _)| !k.starts_with("XP_")))
                .stdin(std::process::Stdio::null())
                .status();
        }
    }

    /// What git needs of this environment: its variables, the time now, the test fault point.
    pub fn git(&self) -> GitEnv {
        let vars = self.vars.iter().map(|(k, v)| (k.clone(), v.clone()));
        let fault = self
            .var("XP_TEST_FAULT")
            .filter(|_| cfg!(feature = "test-faults"));
        GitEnv::new(vars, self.now()).with_fault(fault)
    }

    /// What a `git` child talking to a remote gets: the whole environment (its credentials,
    /// ssh agent and proxies live there), and how long it may take.
    pub fn net(&self, timeout: std::time::Duration) -> crate::git::NetEnv {
        crate::git::NetEnv {
            vars: self
                .vars
                .iter()
                .filter(|(k, _)| !k.starts_with("XP_"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            timeout,
        }
    }

    /// Whether `XP_NOW` fixes the clock.
    pub fn clock_is_fixed(&self) -> bool {
        self.now.is_some()
    }

    /// The current time: `XP_NOW` when set, else the system clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }

    /// A new record id: a random UUID v4, or with `XP_ID_SEED` set, one derived from the seed, the
    /// clock, `salt` (what the record is made from) and a count, so tests can pin whole outputs.
    pub fn new_id(&self, salt: &[u8]) -> String {
        let Some(seed) = self.var("XP_ID_SEED") else {
            return uuid::Uuid::new_v4().to_string();
        };
        let n = self.ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut name = format!("{seed}/{}/{n}/", self.now().timestamp_millis()).into_bytes();
        name.extend_from_slice(salt);
        let hashed = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, &name);
        uuid::Builder::from_random_bytes(*hashed.as_bytes())
            .into_uuid()
            .to_string()
    }

    /// Replaces the clock (the demo advances it between steps).
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = Some(now);
    }

    /// Replaces the working directory.
    pub fn set_cwd(&mut self, cwd: PathBuf) {
        self.cwd = cwd;
    }

    /// Sets or removes a variable.
    pub fn set_var(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(v) => self.vars.insert(name.to_owned(), v.to_owned()),
            None => self.vars.remove(name),
        };
    }
}
