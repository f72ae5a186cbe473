//! Finding the repository around a directory, and creating one (for the demo).

use std::fs;
use std::path::Path;

use git2::{ErrorCode, Repository, RepositoryInitOptions};

use super::{Context, GitError, Repo};

impl Repo {
    /// The repository whose work tree contains `dir`; Ok(None) outside any git repository.
    ///
    /// A bare repository, or `dir` inside `.git`, is an error: there is no work tree to write in.
    pub fn discover(dir: &Path) -> Result<Option<Repo>, GitError> {
        let repo = match Repository::discover(dir) {
            Ok(repo) => repo,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).context(format!(
                    "cannot open the git repository at {}",
                    dir.display()
                ));
            }
        };
        let Some(workdir) = repo.workdir() else {
            return Err(GitError::Bare {
                path: repo.path().to_path_buf(),
            });
        };
        let canonical = |p: &Path| {
            fs::canonicalize(p).map_err(|source| GitError::Io {
                path: p.to_path_buf(),
                source,
            })
        };
        let workdir = canonical(workdir)?;
        let here = canonical(dir)?;
        for gitdir in [repo.path(), repo.commondir()] {
            if here.starts_with(canonical(gitdir)?) {
                return Err(GitError::InGitDir { path: here });
            }
        }
        Ok(Some(Repo { repo, workdir }))
    }
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
        let repo = Repo::discover(&fx.root.join("experiments/deep"))
            .unwrap()
            .unwrap();
        assert_eq!(repo.workdir(), fs::canonicalize(&fx.root).unwrap());
        assert!(format!("{repo:?}").contains("workdir"));
    }

    #[test]
    fn discover_outside_any_repository_is_none() {
        let tmp = TempDir::new().unwrap();
        assert!(Repo::discover(tmp.path()).unwrap().is_none());
    }

    #[test]
    fn discover_refuses_a_bare_repository_and_the_git_directory() {
        let tmp = TempDir::new().unwrap();
        Repository::init_bare(tmp.path().join("bare.git")).unwrap();
        let err = Repo::discover(&tmp.path().join("bare.git")).unwrap_err();
        assert!(matches!(err, GitError::Bare { .. }), "{err:?}");
        assert!(err.hint().is_some());

        let fx = fx();
        let err = Repo::discover(&fx.root.join(".git/refs")).unwrap_err();
        assert!(matches!(err, GitError::InGitDir { .. }), "{err:?}");
    }
}
