//! The sync worker of a team server: one thread that owns all network I/O, so that no read
//! ever waits on the remote. It runs a round ([`sync::round`]) on its interval (jittered), when
//! poked (a webhook's `POST /sync`, a read finding the last fetch old, a write wanting its
//! push), and backs off while the remote is unreachable. Everyone else reads its [`Status`].

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::git::NetEnv;
use crate::ops::sync::{self, Parked, Round, State, Target};
use crate::ops::workspace::Workspace;

/// Where the sync stands, for `GET /sync`, the board and every write's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub remote: String,
    pub branch: String,
    pub push: String,
    /// `ok`, `fetching`, `pushing`, `offline`, `auth-failed`, `push-refused`,
    /// `diverged-history`, `needs-attention`.
    pub state: String,
    pub last_fetch: Option<String>,
    pub last_push: Option<String>,
    /// What went wrong last, in the remote's or git's words, and what to do.
    pub last_error: Option<String>,
    pub hint: Option<String>,
    /// Local commits the remote lacks (pending), and remote commits the branch lacks.
    pub ahead: usize,
    pub behind: usize,
    pub parked: Vec<Parked>,
    /// How many rounds ran.
    pub rounds: u64,
}

/// What became of a write's commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// The remote has it.
    Pushed,
    /// Not yet: it waits here for the remote (the state says why).
    Pending,
    /// Its change conflicts with the remote's: kept aside, not on the branch.
    Parked(Parked),
}

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: Target,
    pub net: NetEnv,
    /// Between two rounds when nothing pokes it; zero: only when poked.
    pub interval: Duration,
    /// `--sync-mode strict`: a write is answered only once the remote has it.
    pub strict: bool,
}

struct Shared {
    status: Mutex<Status>,
    /// Raised by a poke; the worker sleeps on it.
    wake: Condvar,
    poked: Mutex<bool>,
    /// Raised after every round; writers wait on it for their push.
    done: Condvar,
    stop: Mutex<bool>,
    /// When the last fetch started, to let reads poke only when it is old.
    fetched_at: Mutex<Option<Instant>>,
    /// Held through each round and each strict write, so that they talk to the remote one
    /// at a time.
    network: Mutex<()>,
}

/// The running worker; stopped when dropped.
pub struct Syncer {
    shared: Arc<Shared>,
    settings: Settings,
    thread: Option<JoinHandle<()>>,
}

impl Syncer {
    /// Starts the worker; `workspace` opens the server's workspace for each round.
    pub fn start(
        settings: Settings,
        workspace: impl Fn() -> Result<Workspace, Error> + Send + 'static,
        said: impl Fn(&str) + Send + 'static,
    ) -> Syncer {
        let t = &settings.target;
        let shared = Arc::new(Shared {
            status: Mutex::new(Status {
                remote: t.remote.clone(),
                branch: t.branch.clone(),
                push: t.push.clone(),
                state: "fetching".into(),
                last_fetch: None,
                last_push: None,
                last_error: None,
                hint: None,
                ahead: 0,
                behind: 0,
                parked: Vec::new(),
                rounds: 0,
            }),
            wake: Condvar::new(),
            poked: Mutex::new(true),
            done: Condvar::new(),
            stop: Mutex::new(false),
            fetched_at: Mutex::new(None),
            network: Mutex::new(()),
        });
        let inner = shared.clone();
        let kept = settings.clone();
        let thread = std::thread::spawn(move || work(&inner, &settings, &workspace, &said));
        Syncer {
            shared,
            settings: kept,
            thread: Some(thread),
        }
    }

    /// How the worker runs: its remote, branches and mode.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The remote to oneself until the guard is dropped (a strict write's fetch and push):
    /// waits for a round under way to end, and holds the next one off.
    pub fn exclusive(&self) -> std::sync::MutexGuard<'_, ()> {
        lock(&self.shared.network)
    }

    /// Where the sync stands now.
    pub fn status(&self) -> Status {
        lock(&self.shared.status).clone()
    }

    /// Asks for a round at once (a webhook, `POST /sync`).
    pub fn poke(&self) {
        *lock(&self.shared.poked) = true;
        self.shared.wake.notify_all();
    }

    /// A read's poke: a round only when the last fetch is older than `age`; never waits.
    pub fn poke_if_older(&self, age: Duration) {
        let old = lock(&self.shared.fetched_at).is_none_or(|at| at.elapsed() >= age);
        if old {
            self.poke();
        }
    }

    /// Asks for a round and waits up to `budget` for one that ends after now; then tells what
    /// became of `commit` (the full id of a write's commit).
    pub fn wait_for(&self, commit: &str, budget: Duration) -> Fate {
        let before = lock(&self.shared.status).rounds;
        self.poke();
        let deadline = Instant::now() + budget;
        let mut status = lock(&self.shared.status);
        // Two rounds: one may have started before the commit was made.
        while status.rounds < before + 2 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            status = match self.shared.done.wait_timeout(status, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
            if status.rounds > before && status.ahead == 0 && status.state == "ok" {
                break;
            }
        }
        if let Some(p) = status.parked.iter().find(|p| p.commit == commit) {
            return Fate::Parked(p.clone());
        }
        if status.rounds > before && status.state == "ok" && status.ahead == 0 {
            Fate::Pushed
        } else {
            Fate::Pending
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        *lock(&self.shared.stop) = true;
        self.poke();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The worker's loop: a round, then sleep until poked, the interval, or the backoff.
fn work(
    shared: &Shared,
    settings: &Settings,
    workspace: &dyn Fn() -> Result<Workspace, Error>,
    said: &dyn Fn(&str),
) {
    let mut failures: u32 = 0;
    let mut last_state = String::from("fetching");
    loop {
        if *lock(&shared.stop) {
            return;
        }
        *lock(&shared.poked) = false;
        *lock(&shared.fetched_at) = Some(Instant::now());
        let network = lock(&shared.network);
        let outcome = workspace().and_then(|ws| {
            let mut notices = Vec::new();
            let round = sync::round(&ws, &mut notices, &settings.target, &settings.net)?;
            let parked = sync::parked(&ws)?;
            Ok((round, parked))
        });
        drop(network);
        let state = {
            let mut status = lock(&shared.status);
            record(&mut status, outcome);
            status.rounds += 1;
            status.state.clone()
        };
        shared.done.notify_all();
        if state != last_state {
            said(&line(&lock(&shared.status)));
            last_state = state.clone();
        }
        failures = if state == "ok" { 0 } else { failures + 1 };
        let wait = pause(settings.interval, failures, &state);
        let poked = lock(&shared.poked);
        let stopped = *lock(&shared.stop);
        if !*poked && !stopped {
            match wait {
                Some(wait) => drop(shared.wake.wait_timeout(poked, wait)),
                None => drop(shared.wake.wait(poked)),
            }
        }
    }
}

/// How long to sleep before the next round unpoked: the interval give or take a tenth (so that
/// servers do not fetch in step), shorter while the remote is away (backing off from 2 s to
/// five minutes), none at all with an interval of zero unless retrying.
fn pause(interval: Duration, failures: u32, state: &str) -> Option<Duration> {
    if matches!(state, "offline" | "auth-failed") {
        let backoff = Duration::from_secs(2u64.saturating_pow(failures.min(9)));
        return Some(backoff.min(Duration::from_secs(300)));
    }
    if interval.is_zero() {
        return None;
    }
    let tenth = interval / 10;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let spread = tenth.mul_f64(f64::from(nanos % 2000) / 1000.0);
    Some(interval - tenth + spread)
}

/// Puts a round's outcome into the status.
fn record(status: &mut Status, outcome: Result<(Round, Vec<Parked>), Error>) {
    let now = Some(crate::time::format_time(now()));
    match outcome {
        Ok((round, parked)) => {
            status.state = round.state.as_str().into();
            if round.state != State::Offline && round.state != State::AuthFailed {
                status.last_fetch = now.clone();
            }
            if round.pushed {
                status.last_push = now;
            }
            status.last_error = round.said.clone();
            status.hint = (round.state != State::Ok).then(|| round.state.hint().to_owned());
            status.ahead = round.ahead;
            status.behind = round.behind;
            status.parked = parked;
            if !status.parked.is_empty() && round.state == State::Ok {
                status.hint = Some(
                    "a change was parked: `xp sync --resolve REF --keep local|remote` applies it"
                        .into(),
                );
            }
        }
        Err(e) => {
            status.state = "needs-attention".into();
            status.last_error = Some(e.to_string());
            status.hint = e.hint();
        }
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// One line on where the sync stands, for the server's log and the board.
pub fn line(status: &Status) -> String {
    let place = format!("{}/{}", status.remote, status.push);
    match status.state.as_str() {
        "ok" if !status.parked.is_empty() => format!(
            "in sync with {place}; {} change(s) parked: they conflict with the remote",
            status.parked.len()
        ),
        "ok" => format!("in sync with {place}"),
        "fetching" => format!("fetching from {place}"),
        state => format!(
            "sync {state} with {place}: {} pending{}",
            status.ahead,
            status
                .last_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ),
    }
}
