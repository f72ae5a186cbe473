//! Finding the repository around a directory as git does (a `.git` file, a linked work tree,
//! `GIT_DIR`, `GIT_WORK_TREE`), and creating one (for the demo).

use std::fs;
use std::path::Path;

use git2::{ErrorCode, Repository, RepositoryInitOptions, RepositoryOpenFlags};

use super::identity::git_config;
use super::{Context, GitEnv, GitError, Repo};

impl Repo {
    /// The repository whose work tree contains `dir`; Ok(None) outside any git repository.
    ///
    /// As for git, `GIT_DIR` names the git directory instead of a search upwards from `dir`
    /// (which stops at `GIT_CEILING_DIRECTORIES`), and `GIT_WORK_TREE` the work tree; with
    /// `GIT_DIR` alone, `dir` is the top of the work tree unless `core.worktree` says otherwise.
    /// The configuration is read as git reads it for `env` (see [`git_config`]).
    ///
    /// A bare repository, or `dir` inside `.git`, is an error: there is no work tree to write in.
    pub fn discover(dir: &Path, env: &GitEnv) -> Result<Option<Repo>, GitError> {
        read_objects_as_git_does();
        let context = || format!("cannot open the git repository at {}", dir.display());
        let git_dir = env.var("GIT_DIR").map(|git_dir| dir.join(git_dir));
        let opened = match &git_dir {
            Some(git_dir) => Repository::open_ext(
                git_dir,
                RepositoryOpenFlags::NO_SEARCH | RepositoryOpenFlags::NO_DOTGIT,
                std::iter::empty::<&str>(),
            ),
            None => {
                let ceilings = env
                    .var("GIT_CEILING_DIRECTORIES")
                    .map(|v| {
                        v.split(if cfg!(windows) { ';' } else { ':' })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                Repository::open_ext(dir, RepositoryOpenFlags::CROSS_FS, ceilings)
            }
        };
        let repo = match opened {
            Ok(repo) => repo,
            Err(e) if e.code() == ErrorCode::NotFound && git_dir.is_none() => return Ok(None),
            Err(e) => return Err(e).context(context()),
        };
        let config = git_config(env, Some(&repo)).context(context())?;
        repo.set_config(&config).context(context())?;
        if let Some(work_tree) = env.var("GIT_WORK_TREE") {
            repo.set_workdir(&dir.join(work_tree), false)
                .context(context())?;
        } else if git_dir.is_some() && !repo.is_bare() && config.get_path("core.worktree").is_err()
        {
            repo.set_workdir(dir, false).context(context())?;
        }
        let Some(workdir) = repo.workdir() else {
            return Err(GitError::Bare {
                path: repo.path().to_path_buf(),
            });
        };
        let canonical = |p: &Path| fs::canonicalize(p).map_err(GitError::io(p));
        let workdir = canonical(workdir)?;
        let here = canonical(dir)?;
        for gitdir in [repo.path(), repo.commondir()] {
            if here.starts_with(canonical(gitdir)?) {
                return Err(GitError::InGitDir { path: here });
            }
        }
        Ok(Some(Repo {
            repo,
            workdir,
            filters: std::cell::OnceCell::new(),
            index: std::cell::RefCell::default(),
            entries: std::cell::RefCell::default(),
        }))
    }
}

/// Reads objects without hashing each one again, as git does (`git fsck` is what checks them).
///
/// libgit2 re-hashes every object it reads by default; for a walk over thousands of commits
/// that re-reads a tree of 10,000 entries each time, that hashing was four fifths of `xp log`.
/// Objects xp writes are still hashed (that is how their ids are made), and zlib's own check
/// still catches a damaged object.
fn read_objects_as_git_does() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| git2::opts::strict_hash_verification(false));
}

/// Creates a repository at `path`, on branch `main`, with local `user.name` and `user.email`.
pub fn init_repo(path: &Path, name: &str, email: &str) -> Result<(), GitError> {
    let context = || format!("cannot create a git repository at {}", path.display());
    let repo = Repository::init_opts(path, RepositoryInitOptions::new().initial_head("main"))
        .context(context())?;
    let mut local = repo
        .config()
        .context(context())?
        .open_level(git2::ConfigLevel::Local)
        .context(context())?;
    local.set_str("user.name", name).context(context())?;
    local.set_str("user.email", email).context(context())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tempfile::TempDir;

    use super::*;
    use crate::git::tests_support::*;

    #[test]
    fn discover_finds_the_work_tree_root() {
        let fx = fx();
        fs::create_dir_all(fx.root.join("experiments/deep")).unwrap();
        let repo = Repo::discover(&fx.root.join("experiments/deep"), &fx.env)
            .unwrap()
            .unwrap();
        assert_eq!(repo.workdir(), fs::canonicalize(&fx.root).unwrap());
        assert!(format!("{repo:?}").contains("workdir"));
    }

    #[test]
    fn discover_outside_any_repository_is_none() {
        let tmp = TempDir::new().unwrap();
        assert!(Repo::discover(tmp.path(), &bare_env()).unwrap().is_none());
    }

    #[test]
    fn discover_refuses_a_bare_repository_and_the_git_directory() {
        let tmp = TempDir::new().unwrap();
        Repository::init_bare(tmp.path().join("bare.git")).unwrap();
        let err = Repo::discover(&tmp.path().join("bare.git"), &bare_env()).unwrap_err();
        assert!(matches!(err, GitError::Bare { .. }), "{err:?}");
        assert!(err.hint().is_some());

        let fx = fx();
        let err = Repo::discover(&fx.root.join(".git/refs"), &fx.env).unwrap_err();
        assert!(matches!(err, GitError::InGitDir { .. }), "{err:?}");
    }
}
