//! What every request of a running server shares, and the one way a handler runs blocking
//! work (files, git) off the async threads.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;

use crate::env::Env;
use crate::error::Error;
use crate::ops::read::Found;
use crate::ops::refs::Known;
use crate::ops::syncer::Syncer;
use crate::ops::workspace::Workspace;
use crate::serve::cache::Cache;
use crate::serve::error::ApiError;
use crate::serve::rows::Rows;
use crate::serve::watch::Watch;

/// Largest request body read, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// Largest body of `POST /experiments/import`, in bytes: some 20,000 experiments as
/// `GET /experiments` answers them.
pub const MAX_IMPORT_BODY: usize = 64 * 1024 * 1024;

/// What every request shares.
pub(crate) struct State {
    pub env: Env,
    pub dir: Option<PathBuf>,
    pub token: Option<String>,
    pub read_only: bool,
    /// Lower-case host names the `Host` header may carry.
    pub hosts: Vec<String>,
    pub cache: Cache,
    /// The listing's rows, serialized once per change of the record files.
    pub rows: Rows,
    /// Stories' histories, kept per branch tip and file content.
    pub histories: crate::serve::kept::Histories,
    /// Boards as rendered, kept per version of the record files and query.
    pub boards: crate::serve::kept::Boards,
    /// The root of the work tree (the working directory outside git): answers name paths
    /// relative to it, never where the server's files are.
    pub root: PathBuf,
    /// With `--sync`: the worker that keeps the clone in step with the team's remote.
    pub syncer: Option<Syncer>,
    /// The kernel's watch on the record files, which proves them unchanged between requests.
    pub watch: Watch,
    /// The record files and their ids, kept under the watch's version they were read at.
    pub known: Mutex<Option<(u64, Arc<Known>)>>,
}

pub(crate) type Shared = Arc<State>;

/// A read older than this asks the sync worker for a fetch (and is answered at once, from
/// what is here).
pub const FRESH: Duration = Duration::from_secs(5);

impl State {
    /// Opens the workspace for one request (cheap: a repository discovery; see the benchmark).
    pub fn workspace(&self) -> Result<Workspace, Error> {
        Workspace::open(&self.env, self.dir.as_deref())
    }

    /// The watch's version of the workspace's record files now (see [`Watch::version`]);
    /// `None` with `XP_SERVE_WATCH=off`, and every request checks every file's metadata.
    pub fn watched(&self, ws: &Workspace) -> Option<u64> {
        if self.env.var("XP_SERVE_WATCH") == Some("off") {
            return None;
        }
        self.watch.version(&ws.store.dir)
    }

    /// The experiment a reference names, as [`crate::ops::read::get`] finds it; while the
    /// watch proves the record files unchanged, an id or a prefix is found in the ids kept
    /// (its file is still read and checked), without a look at every file.
    pub fn get(&self, ws: &Workspace, reference: &str) -> Result<Found, Error> {
        let known = self
            .watched(ws)
            .map(|version| move || self.known(ws, version));
        crate::ops::read::get_known(ws, reference, known, || self.cache.load_all(ws))
    }

    /// The record files and their ids as of the watch's `version`: the kept ones, else listed
    /// again (the ids from git's directory's index of them, else from every file).
    fn known(&self, ws: &Workspace, version: u64) -> Result<Arc<Known>, Error> {
        let lock = || self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, known)) = lock().as_ref()
            && *at == version
        {
            return Ok(Arc::clone(known));
        }
        let files = ws.store.files()?;
        let known = match crate::ops::ids::all(ws, &files) {
            Some(ids) => Known { files, ids },
            None => {
                let all = self.cache.load_all(ws)?;
                Known {
                    ids: all
                        .iter()
                        .map(|l| l.checked.id.as_ref().map(|(id, _)| id.to_ascii_lowercase()))
                        .collect(),
                    files: all.into_iter().map(|l| l.path).collect(),
                }
            }
        };
        let known = Arc::new(known);
        *lock() = Some((version, Arc::clone(&known)));
        Ok(known)
    }

    /// Before a read: asks the sync worker for a fetch when the last one is old; never waits.
    pub fn fresh(&self) {
        if let Some(syncer) = &self.syncer {
            syncer.poke_if_older(FRESH);
        }
    }
}

/// Runs `work` on a blocking thread; its error becomes the answer, with the paths it names
/// relative to the repository.
pub(crate) async fn blocking<T: Send + 'static>(
    state: Shared,
    work: impl FnOnce(&State) -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    let done = tokio::task::spawn_blocking(move || {
        work(&state).map_err(|e| ApiError::from(e).relative_to(&state.root))
    })
    .await;
    done.unwrap_or_else(|_| {
        Err(ApiError::Detail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request failed inside the server".into(),
        ))
    })
}
