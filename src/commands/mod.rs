//! One file per subcommand, dispatched from one `match`; shared here: the workspace (where
//! records live, the repository), resolving a `<ref>`, and the write-and-commit path.

pub mod check;
pub mod demo;
pub mod diff;
pub mod export;
pub mod init;
pub mod list;
pub mod log;
pub mod merge_driver;
pub mod new;
pub mod note;
pub mod resolve;
pub mod show;
pub mod update;

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::cli::{Cli, Command};
use crate::env::Env;
use crate::error::Error;
use crate::git::{Repo, WriteLock};
use crate::record::Record;
use crate::rules::{self, Problem};
use crate::store::{Loaded, Store};
use crate::ui::Ui;

/// How long a command waits for another xp command writing in the same repository.
const LOCK_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs one parsed command line.
pub fn run(cli: Cli, env: &Env, ui: &mut Ui) -> Result<(), Error> {
    let cli = match cli.command {
        Command::Demo(args) => return demo::run(args, env, ui),
        Command::MergeDriver(args) => return merge_driver::run(args, env, ui),
        command => Cli { command, ..cli },
    };
    let ws = Workspace::open(env, cli.dir.as_deref())?;
    match cli.command {
        Command::Init(args) => init::run(args, &ws, ui),
        Command::New(args) => new::run(args, &ws, ui),
        Command::List(args) => list::run(args, &ws, ui),
        Command::Show(args) => show::run(args, &ws, ui),
        Command::Update(args) => update::run(args, &ws, ui),
        Command::Note(args) => note::run(args, &ws, ui),
        Command::Log(args) => log::run(args, &ws, ui),
        Command::Check(args) => check::run(args, &ws, ui),
        Command::Export(args) => export::run(args, &ws, ui),
        Command::Diff(args) => diff::run(args, &ws, ui),
        Command::Resolve(args) => resolve::run(args, &ws, ui),
        Command::Demo(_) | Command::MergeDriver(_) => Ok(()),
    }
}

/// Where this command works: the repository (if any) and the experiments directory.
pub struct Workspace {
    pub env: Env,
    pub repo: Option<Repo>,
    pub store: Store,
}

/// A change to record in a commit.
pub struct Change {
    /// The commit subject, e.g. `xp: note on homepage-cta-color`.
    pub subject: String,
    /// What changed, for the commit body.
    pub body: String,
    pub id: String,
}

impl Workspace {
    /// Finds the repository around the current directory and the experiments directory.
    pub fn open(env: &Env, dir_flag: Option<&Path>) -> Result<Workspace, Error> {
        let cwd = env.cwd.canonicalize().map_err(|e| Error::io(&env.cwd, e))?;
        let repo = Repo::discover(&cwd, &env.git())?;
        let root = repo
            .as_ref()
            .map_or_else(|| cwd.clone(), |r| r.workdir().to_owned());
        let dir = match dir_flag
            .map(Path::to_owned)
            .or_else(|| env.var("XP_DIR").map(PathBuf::from))
        {
            Some(dir) => normalize(&cwd.join(dir)),
            None => root.join("experiments"),
        };
        let mut env = env.clone();
        env.set_cwd(cwd.clone());
        let mut store = Store::new(dir, cwd);
        if let Some(repo) = &repo {
            store = store.with_scratch(repo.git_dir().to_owned());
        }
        Ok(Workspace { env, repo, store })
    }

    /// Holds other xp writers off while this command reads, changes, writes and commits, after
    /// finishing what an xp command killed before it left undone (said on stderr).
    pub fn lock(&self, ui: &mut Ui) -> Result<Option<WriteLock>, Error> {
        let Some(repo) = &self.repo else {
            // Outside git the lock lives in the experiments directory, when there is one yet.
            if !self.store.dir.is_dir() {
                return Ok(None);
            }
            let path = self.store.dir.join(".xp.lock");
            return match crate::lockfile::lock_file(&path, LOCK_TIMEOUT) {
                Ok(Some(lock)) => Ok(Some(lock)),
                Ok(None) => Err(Error::failed(
                    "another xp command is writing in this experiments directory",
                    "try again in a moment",
                )),
                Err(e) => Err(Error::io(self.store.show(&path), e)),
            };
        };
        let lock = repo.lock(LOCK_TIMEOUT)?;
        self.store.sweep();
        for repaired in repo.recover()? {
            ui.warning(&repaired);
        }
        Ok(Some(lock))
    }

    /// The one experiment a `<ref>` names: a path, a slug, a full id or an id prefix (>= 4).
    pub fn resolve(&self, reference: &str) -> Result<Loaded, Error> {
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(Error::usage("the experiment reference is empty"));
        }
        let looks_like_path = reference.contains(['/', '\\'])
            || reference.ends_with(".yaml")
            || reference.ends_with(".yml");
        if looks_like_path {
            let path = normalize(&self.env.cwd.join(reference));
            if path.is_file() {
                if !path.starts_with(&self.store.dir) {
                    return Err(Error::failed(
                        format!(
                            "{reference} is not in the experiments directory {}",
                            self.store.show(&self.store.dir).display()
                        ),
                        "name a file inside it, or pass --dir",
                    ));
                }
                return self.store.load(&path);
            }
        }
        let is_slug = reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if is_slug {
            for ext in ["yaml", "yml"] {
                let path = self.store.dir.join(format!("{reference}.{ext}"));
                if std::fs::symlink_metadata(&path).is_ok() {
                    return self.store.load(&path);
                }
            }
        }
        let all = self.store.load_all()?;
        let wanted = reference.to_ascii_lowercase();
        let matches: Vec<&Loaded> = if reference.len() >= 4 {
            let exact: Vec<&Loaded> = all
                .iter()
                .filter(|l| id_of(l).is_some_and(|id| id.eq_ignore_ascii_case(&wanted)))
                .collect();
            if exact.is_empty() {
                all.iter()
                    .filter(|l| {
                        id_of(l).is_some_and(|id| id.to_ascii_lowercase().starts_with(&wanted))
                    })
                    .collect()
            } else {
                exact
            }
        } else {
            Vec::new()
        };
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => {
                let hint =
                    if reference.len() < 4 && reference.bytes().all(|b| b.is_ascii_hexdigit()) {
                        "an id prefix needs at least 4 characters".to_owned()
                    } else {
                        candidates(&all, reference)
                    };
                Err(Error::failed(
                    format!("no experiment matches `{reference}`"),
                    hint,
                ))
            }
            many => {
                let list: Vec<String> = many.iter().map(|l| describe(l)).collect();
                Err(Error::failed(
                    format!(
                        "`{reference}` matches {} experiments:\n  {}",
                        many.len(),
                        list.join("\n  ")
                    ),
                    "use more characters of the id, or the slug",
                ))
            }
        }
    }

    /// Who wrote a note: `--who`, else git's user.name, else `USER`, else nobody.
    pub fn who(&self, flag: Option<&str>) -> Option<String> {
        flag.map(str::to_owned)
            .filter(|w| !w.trim().is_empty())
            .or_else(|| match &self.repo {
                Some(repo) => repo.user_name(),
                None => crate::git::global_user_name(&self.env.git()),
            })
            .or_else(|| self.env.var("USER").map(str::to_owned))
    }

    /// Writes a record atomically and, in a git work tree, commits exactly that file.
    /// On a failed commit the file is put back as it was.
    pub fn save(
        &self,
        ui: &mut Ui,
        path: &Path,
        old: Option<&[u8]>,
        new: &[u8],
        change: &Change,
        commit: bool,
    ) -> Result<(), Error> {
        let repo = self.repo.as_ref().filter(|_| commit);
        let rel = match repo {
            Some(repo) => Some(repo_path(repo, path)?),
            None => None,
        };
        if let (Some(repo), Some(rel)) = (repo, &rel) {
            repo.preflight(rel, old)?;
        }
        self.store.write(path, new)?;
        self.env.crash_point("after-write");
        let (Some(repo), Some(rel)) = (repo, &rel) else {
            return Ok(());
        };
        let message = commit_message(change);
        match repo.commit_file(rel, new, &message, &self.env.git()) {
            Ok(done) => {
                ui.note(&format!("[{}] {}", done.short, change.subject));
                if repo.wants_signing() {
                    ui.warning(
                        "commit.gpgsign is set, but xp's commits are not signed (nor are git \
                         hooks run); sign them later with `git rebase --exec 'git commit \
                         --amend --no-edit -S'` if you need to",
                    );
                }
                Ok(())
            }
            Err(e) => {
                let restored = match old {
                    Some(old) => self.store.write(path, old),
                    None => std::fs::remove_file(path).map_err(|e| Error::io(path, e)),
                };
                if let Err(r) = restored {
                    ui.warning(&format!("could not put the file back as it was: {r}"));
                }
                Err(e.into())
            }
        }
    }
}

/// The commit message: subject, body, and the trailer `xp log` follows.
pub fn commit_message(change: &Change) -> String {
    let body = change.body.trim();
    if body.is_empty() {
        format!("{}\n\nExperiment-Id: {}\n", change.subject, change.id)
    } else {
        format!(
            "{}\n\n{}\n\nExperiment-Id: {}\n",
            change.subject, body, change.id
        )
    }
}

/// A path relative to the repository's work tree, with forward slashes.
fn repo_path(repo: &Repo, path: &Path) -> Result<String, Error> {
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

/// Removes `.` and resolves `..` lexically (without following links).
pub(crate) fn normalize(path: &Path) -> PathBuf {
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

fn id_of(loaded: &Loaded) -> Option<&str> {
    loaded.checked.id.as_ref().map(|(id, _)| id.as_str())
}

/// `3f9c2a71  homepage-cta-color  Homepage CTA Color`
fn describe(loaded: &Loaded) -> String {
    let id = id_of(loaded).map_or("--------", |id| id.get(..8).unwrap_or(id));
    match &loaded.checked.record {
        Some(r) => format!("{id}  {}  {}", loaded.slug, r.title),
        None => format!("{id}  {}", loaded.slug),
    }
}

/// A hint listing the experiments closest to an unknown reference.
fn candidates(all: &[Loaded], reference: &str) -> String {
    if all.is_empty() {
        return "there are no experiments yet; create one with `xp new`".into();
    }
    let mut scored: Vec<(f64, &Loaded)> = all
        .iter()
        .map(|l| (strsim::jaro_winkler(&l.slug, reference), l))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let list: Vec<String> = scored.iter().take(5).map(|(_, l)| describe(l)).collect();
    format!(
        "name an experiment by slug, id prefix (4+ characters) or path; closest:\n  {}",
        list.join("\n  ")
    )
}

/// The record of a loaded file, or its problems as the error.
pub fn valid(loaded: &Loaded, what: &str) -> Result<Record, Error> {
    match &loaded.checked.record {
        Some(record) => Ok(record.clone()),
        None => Err(Error::Problems {
            problems: loaded.checked.problems.clone(),
            hint: Some(format!("fix the file first; {what}",)),
        }),
    }
}

/// The error for a change whose result would break rules: nothing is written.
pub fn would_break(problems: &[Problem]) -> Error {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| format!("error[{}]: {}", p.rule.name(), p.message))
        .collect();
    Error::failed(
        format!(
            "the result would break the rules:\n  {}",
            lines.join("\n  ")
        ),
        "nothing was written; change the values and run the command again",
    )
}

/// Every problem of the loaded files, duplicate ids included.
pub fn problems_of(all: &[Loaded]) -> Vec<Problem> {
    let mut problems: Vec<Problem> = all
        .iter()
        .flat_map(|l| l.checked.problems.iter().cloned())
        .collect();
    let ids: Vec<_> = all
        .iter()
        .filter_map(|l| {
            l.checked
                .id
                .as_ref()
                .map(|(id, pos)| (l.shown.clone(), id.clone(), *pos))
        })
        .collect();
    problems.extend(rules::duplicate_ids(&ids));
    problems.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    problems
}

/// Problems as human text, each quoting the line of its file.
pub fn render_problems(all: &[Loaded], problems: &[Problem], ui: &Ui) -> String {
    let texts: std::collections::HashMap<&Path, &str> = all
        .iter()
        .filter_map(|l| Some((l.shown.as_path(), std::str::from_utf8(&l.bytes).ok()?)))
        .collect();
    crate::report::human(problems, &|p| texts.get(p).copied(), ui.styled())
}
