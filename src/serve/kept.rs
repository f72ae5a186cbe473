//! What the pages are made from, kept while nothing it was made from has changed: a story's
//! history (its walk of the history is nearly all of a story's cost), kept under the branch's
//! tip and the exact bytes of the record's file, so a commit by anyone or an edit of the file
//! makes the next request walk again; and the board as rendered, kept under the version of the
//! record files the list's rows were made from and everything else the page shows.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Error;
use crate::git::Id;
use crate::ops::log::{self, History};
use crate::ops::read::Found;
use crate::ops::workspace::Workspace;
use crate::serve::cache::Stamps;

/// How many histories are kept; past it they are all let go, and the next requests walk again.
const KEPT: usize = 512;

/// What a history was made from: the record's file, its content id and the branch's tip.
type Key = (PathBuf, String, Id);

#[derive(Default)]
pub struct Histories {
    kept: Mutex<HashMap<Key, Arc<History>>>,
}

impl Histories {
    /// The history of the experiment `find` finds, walked again unless one made from the same
    /// tip and the same file is kept. Outside git, or on a branch without a tip (or a
    /// detached HEAD), it is always walked.
    pub fn of(
        &self,
        ws: &Workspace,
        find: impl FnOnce() -> Result<Found, Error>,
    ) -> Result<Arc<History>, Error> {
        // The tip first: a commit landing after it makes a key that is never asked again.
        let tip = match ws.repo.as_ref() {
            Some(repo) => repo.current_branch()?.and_then(|b| b.tip),
            None => None,
        };
        let found = find()?;
        let Some(tip) = tip else {
            return Ok(Arc::new(log::history(ws, found)?));
        };
        let key = (
            found.loaded.path.clone(),
            crate::git::content_id(&found.loaded.bytes),
            tip,
        );
        if let Some(kept) = self.lock().get(&key) {
            return Ok(Arc::clone(kept));
        }
        let history = Arc::new(log::history(ws, found)?);
        let mut kept = self.lock();
        if kept.len() >= KEPT {
            kept.clear();
        }
        kept.insert(key, Arc::clone(&history));
        Ok(history)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<History>>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How many rendered boards are kept (one per query, sync line and minute).
const BOARDS: usize = 16;

/// Boards as rendered, by everything they were made from.
#[derive(Default)]
pub struct Boards {
    kept: Mutex<HashMap<String, String>>,
    /// The record files' stamps last seen, and the version they were given.
    seen: Mutex<(Option<Stamps>, u64)>,
}

impl Boards {
    /// A name for the record files as they are now, the same while no file changes: the
    /// watch's version (`watched`) when it holds, else a number kept while every file's
    /// metadata is unchanged (a `stat` of each); `None` while one changed too recently for its
    /// stamp to be trusted.
    pub fn version(&self, ws: &Workspace, watched: Option<u64>) -> Result<Option<String>, Error> {
        if let Some(version) = watched {
            return Ok(Some(format!("w{version}")));
        }
        let Some(stamps) = Stamps::of(ws)? else {
            return Ok(None);
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.0.as_ref() != Some(&stamps) {
            *seen = (Some(stamps), seen.1 + 1);
        }
        Ok(Some(format!("s{}", seen.1)))
    }

    /// The board kept under `key`, else `render`'s, kept. A `key` of `None` (the record files
    /// were changing while they were read) renders every time.
    pub fn of(
        &self,
        key: Option<String>,
        render: impl FnOnce() -> Result<String, Error>,
    ) -> Result<String, Error> {
        let Some(key) = key else {
            return render();
        };
        if let Some(kept) = self.lock().get(&key) {
            return Ok(kept.clone());
        }
        let page = render()?;
        let mut kept = self.lock();
        if kept.len() >= BOARDS {
            kept.clear();
        }
        kept.insert(key, page.clone());
        Ok(page)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
