//! Where an operation works: the repository (if any), the experiments directory, and the
//! captured environment; the write lock, who writes, and when.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::env::Env;
use crate::error::Error;
use crate::git::{GitError, Id, Repo, WriteLock};
use crate::ops::notice::Notice;
use crate::store::Store;

/// How long a command waits for another xp command writing in the same repository.
const LOCK_TIMEOUT: Duration = Duration::from_secs(20);

/// The repository (if any), the experiments directory, and the environment of this run.
pub struct Workspace {
    pub env: Env,
    pub repo: Option<Repo>,
    pub store: Store,
    /// The experiments directory as the user named it (`--dir`, `XP_DIR`), when it was named
    /// rather than found.
    pub dir_given: Option<PathBuf>,
    /// What each commit must pass before the branch moves to it: a team server's strict mode
    /// pushes it there, so that the branch moves only once the remote has it.
    pub gate: Option<Gate>,
}

/// See [`Workspace::gate`]: an error leaves the branch, the index and the file as they were.
pub type Gate = Box<dyn Fn(&Repo, Id) -> Result<(), GitError> + Send + Sync>;

impl Workspace {
    /// Finds the repository around the current directory and the experiments directory
    /// (`dir_flag`, else `XP_DIR`, else `experiments/` at the root of the work tree).
    pub fn open(env: &Env, dir_flag: Option<&Path>) -> Result<Workspace, Error> {
        let cwd = env.cwd.canonicalize().map_err(|e| Error::io(&env.cwd, e))?;
        let repo = Repo::discover(&cwd, &env.git())?;
        let root = repo
            .as_ref()
            .map_or_else(|| cwd.clone(), |r| r.workdir().to_owned());
        let named = dir_flag
            .map(Path::to_owned)
            .or_else(|| env.var("XP_DIR").map(PathBuf::from));
        let dir = match &named {
            Some(dir) => normalize(&cwd.join(dir)),
            None => root.join("experiments"),
        };
        let mut env = env.clone();
        env.set_cwd(cwd.clone());
        let mut store = Store::new(dir, cwd);
        if let Some(repo) = &repo {
            store = store.with_scratch(repo.git_dir().to_owned());
        }
        Ok(Workspace {
            env,
            repo,
            store,
            dir_given: named,
            gate: None,
        })
    }

    /// Refuses an experiments directory that cannot hold records: one named by `--dir` or
    /// `XP_DIR` that does not exist, or one that is not a folder; the error names the path as
    /// given. A repository whose `experiments/` does not exist yet is fresh, not wrong: it
    /// passes, and reading it finds no records.
    pub fn need_dir(&self) -> Result<(), Error> {
        let dir = &self.store.dir;
        let shown = self
            .dir_given
            .clone()
            .unwrap_or_else(|| self.store.show(dir));
        match std::fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(Error::failed(
                format!("{} is not a directory", shown.display()),
                if self.dir_given.is_some() {
                    "point --dir (or XP_DIR) at the folder that holds the experiment files"
                } else {
                    "move that file away; `xp init` then creates the experiments directory"
                },
            )),
            Err(_) if self.dir_given.is_none() => Ok(()),
            Err(_) => Err(Error::failed(
                format!(
                    "the experiments directory {} does not exist",
                    shown.display()
                ),
                "check the --dir (or XP_DIR) path; `xp init` creates the directory",
            )),
        }
    }

    /// Holds other xp writers off while this operation reads, changes, writes and commits,
    /// after finishing what an xp command killed before it left undone (said as warnings).
    pub fn lock(&self, notices: &mut Vec<Notice>) -> Result<Option<WriteLock>, Error> {
        let Some(repo) = &self.repo else {
            // Outside git the lock lives in the experiments directory, when there is one yet.
            if !self.store.dir.is_dir() {
                return Ok(None);
            }
            let path = self.store.dir.join(".xp.lock");
            return match crate::lockfile::lock_file(&path, LOCK_TIMEOUT) {
                Ok(Some(lock)) => Ok(Some(lock)),
                Ok(None) => Err(Error::Busy {
                    message: "another xp command is writing in this experiments directory".into(),
                }),
                Err(e) => Err(Error::io(self.store.show(&path), e)),
            };
        };
        let lock = repo.lock(LOCK_TIMEOUT)?;
        self.store.sweep();
        for repaired in repo.recover()? {
            notices.push(Notice::Warning(repaired));
        }
        Ok(Some(lock))
    }

    /// Who writes: the given name, else the commit's author (`GIT_AUTHOR_NAME`, else git's
    /// user.name), else `USER`, else nobody.
    pub fn who(&self, given: Option<&str>) -> Option<String> {
        given
            .map(str::to_owned)
            .filter(|w| !w.trim().is_empty())
            .or_else(|| {
                self.env
                    .var("GIT_AUTHOR_NAME")
                    .filter(|w| !w.trim().is_empty())
                    .map(str::to_owned)
            })
            .or_else(|| match &self.repo {
                Some(repo) => repo.user_name(),
                None => crate::git::global_user_name(&self.env.git()),
            })
            .or_else(|| self.env.var("USER").map(str::to_owned))
    }

    /// A path relative to the repository's work tree, with forward slashes.
    pub fn repo_path(&self, repo: &Repo, path: &Path) -> Result<String, Error> {
        repo.relative(path).ok_or_else(|| {
            Error::failed(
                format!(
                    "{} is outside the git work tree {}",
                    path.display(),
                    repo.workdir().display()
                ),
                "use --no-commit to write without committing, or move the experiments directory \
                 into the repository",
            )
        })
    }

    /// The repository, or an error saying that `what` needs one.
    pub fn need_repo(&self, what: &str, hint: &str) -> Result<&Repo, Error> {
        self.repo
            .as_ref()
            .ok_or_else(|| Error::failed(format!("{what} needs a git repository"), hint))
    }

    /// The experiments directory relative to the work tree.
    pub fn repo_dir(&self, repo: &Repo) -> Result<String, Error> {
        repo.relative(&self.store.dir).ok_or_else(|| {
            Error::failed(
                "the experiments directory is outside the git work tree",
                "pass --dir with a directory inside the repository",
            )
        })
    }

    /// A path the user named, made absolute against the current directory.
    pub fn user_path(&self, path: &Path) -> PathBuf {
        normalize(&self.env.cwd.join(path))
    }

    /// Whether `path` (absolute) is the experiments directory or inside it, by its name or
    /// through a symbolic link on the way: every file there is taken for a record.
    pub fn in_experiments(&self, path: &Path) -> bool {
        let dir = &self.store.dir;
        if path.starts_with(dir) {
            return true;
        }
        let Ok(real_dir) = dir.canonicalize() else {
            return false;
        };
        // The real path of the part that exists, and the rest as named.
        let mut existing = path;
        let mut rest = Vec::new();
        while let Some(parent) = existing.parent() {
            if existing.exists() {
                break;
            }
            rest.extend(existing.file_name());
            existing = parent;
        }
        existing.canonicalize().is_ok_and(|real| {
            let whole = rest.iter().rev().fold(real, |p, part| p.join(part));
            whole.starts_with(&real_dir)
        })
    }
}

/// Removes `.` and resolves `..` lexically (without following links).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
