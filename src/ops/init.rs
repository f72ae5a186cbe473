//! Setting up a repository for xp: the experiments directory, `.gitattributes` lines and the
//! merge driver in this clone's config; safe to run twice.

use std::path::PathBuf;

use crate::error::Error;
use crate::git::Committed;
use crate::ops::workspace::Workspace;
use crate::review::attributes::{self, DRIVER, DRIVER_NAME};

/// What `init` found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initialized {
    /// The experiments directory as shown.
    pub dir: PathBuf,
    /// It was made now (else it existed).
    pub created: bool,
    pub git: GitSetup,
}

/// The git side of `init`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitSetup {
    /// Not in a git repository: records are written without commits.
    NoRepository,
    /// The experiments directory is outside the work tree: no driver registered.
    Outside,
    Registered {
        /// This clone's config file, as shown.
        config: PathBuf,
        /// Lines added to `.gitattributes` (empty: they were there).
        attributes_added: Vec<String>,
        /// The driver was written into this clone's config (else it was there).
        config_changed: bool,
    },
}

/// Creates the experiments directory and registers the merge driver.
pub fn init(ws: &Workspace) -> Result<Initialized, Error> {
    ws.store.check_dir()?;
    let dir = &ws.store.dir;
    let shown = ws.store.show(dir);
    let created = !dir.is_dir();
    if created {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(&shown, e))?;
    }
    let done = |git| Initialized {
        dir: shown.clone(),
        created,
        git,
    };
    let Some(repo) = &ws.repo else {
        return Ok(done(GitSetup::NoRepository));
    };
    let Some(rel) = repo.relative(dir) else {
        return Ok(done(GitSetup::Outside));
    };
    let path = repo.workdir().join(".gitattributes");
    let text = attributes::read(&path)?;
    let missing = attributes::missing(&text, &attributes::wanted(&rel));
    if !missing.is_empty() {
        attributes::append(&path, &text, &missing)?;
    }
    let mut config_changed = false;
    for (key, value) in [("merge.xp.name", DRIVER_NAME), ("merge.xp.driver", DRIVER)] {
        if repo.config_value(key).as_deref() != Some(value) {
            repo.set_local_config(key, value)?;
            config_changed = true;
        }
    }
    Ok(done(GitSetup::Registered {
        config: ws.store.show(&repo.git_dir().join("config")),
        attributes_added: missing,
        config_changed,
    }))
}

/// Whether git merges the records here with the xp merge driver: `.gitattributes` routes them
/// to it and this clone's config names it. `None` outside a git repository, or when the
/// experiments directory is outside its work tree.
pub fn driver_registered(ws: &Workspace) -> Option<bool> {
    let repo = ws.repo.as_ref()?;
    repo.relative(&ws.store.dir)?;
    let text = attributes::read(&repo.workdir().join(".gitattributes")).unwrap_or_default();
    Some(attributes::names_driver(&text) && repo.config_value("merge.xp.driver").is_some())
}

/// Commits `.gitattributes` alone, as it is in the work tree, as `xp init` asks people to do so
/// that every clone merges records with the driver (the demo does it). `None` when there is
/// none, or HEAD holds it as it is.
pub fn commit_attributes(ws: &Workspace, message: &str) -> Result<Option<Committed>, Error> {
    const PATH: &str = ".gitattributes";
    let repo = ws.need_repo("committing .gitattributes", "run it inside a git work tree")?;
    let bytes = match std::fs::read(repo.workdir().join(PATH)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(PATH, e)),
    };
    if repo.head_content(PATH)?.as_deref() == Some(bytes.as_slice()) {
        return Ok(None);
    }
    let mut notices = Vec::new();
    let _lock = ws.lock(&mut notices)?;
    Ok(Some(repo.commit_file(
        PATH,
        &bytes,
        message,
        &ws.env.git(),
    )?))
}
