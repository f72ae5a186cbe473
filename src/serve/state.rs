//! What every request of a running server shares.

use std::path::PathBuf;
use std::sync::Arc;

use crate::env::Env;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::serve::cache::Cache;

/// Largest request body read, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// What every request shares.
pub(crate) struct State {
    pub env: Env,
    pub dir: Option<PathBuf>,
    pub token: Option<String>,
    pub read_only: bool,
    /// Lower-case host names the `Host` header may carry.
    pub hosts: Vec<String>,
    pub cache: Cache,
}

pub(crate) type Shared = Arc<State>;

impl State {
    /// Opens the workspace for one request (cheap: a repository discovery; see the benchmark).
    pub fn workspace(&self) -> Result<Workspace, Error> {
        Workspace::open(&self.env, self.dir.as_deref())
    }
}
