//! One truth with the team's remote: fetch, integrate, push, never losing a write.
//!
//! A round fetches the remote branch (through the `git` binary), then under xp's write lock
//! integrates it: behind only, the branch moves forward; diverged, xp's own one-file commits
//! the remote lacks are replayed onto its tip, oldest first, each through the record merge
//! the merge driver uses, keeping subject, body, trailer, author and author date. History stays
//! linear: never a merge commit, never a reset, never a force push. A commit whose change the
//! merge cannot settle (both sides set one key to different values) is parked under
//! `refs/xp/parked/`, never dropped, and the round goes on. Then the branch is pushed; a remote
//! that moved meanwhile means another round.

use std::time::Duration;

use serde::Serialize;

use crate::error::Error;
use crate::git::{Id, LocalCommit, NetEnv, NetError, Pushed, Repo};
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::ops::write::{self, Change, Edit, Saved, WriteOptions};
use crate::review::merge;

/// Where parked commits are kept: one ref each, named by the commit.
pub const PARKED: &str = "refs/xp/parked/";

/// How many times a round fetches and integrates again when its push finds the remote moved.
const PUSH_TRIES: u32 = 5;

/// The remote and branches a sync works with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub remote: String,
    /// The local branch.
    pub branch: String,
    /// The remote's branch integrated from.
    pub upstream: String,
    /// The remote's branch pushed to (the upstream, or another branch for a pull request).
    pub push: String,
}

/// Where a sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Ok,
    Offline,
    AuthFailed,
    PushRefused,
    DivergedHistory,
    NeedsAttention,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Offline => "offline",
            State::AuthFailed => "auth-failed",
            State::PushRefused => "push-refused",
            State::DivergedHistory => "diverged-history",
            State::NeedsAttention => "needs-attention",
        }
    }

    /// What the person running the server does about a state.
    pub fn hint(self) -> &'static str {
        match self {
            State::Ok => "",
            State::Offline => "writes wait here and go out once the remote answers",
            State::AuthFailed => "check the credentials git uses for this remote; writes wait here",
            State::PushRefused => {
                "the remote's rules refused the push; writes wait here. Sync to a branch of its own \
                 (`--sync-branch`) and merge through a pull request"
            }
            State::DivergedHistory => {
                "the remote's branch was rewritten; writes are refused until someone runs \
                 `xp sync --reset-to-remote` in the server's clone or pushes by hand"
            }
            State::NeedsAttention => {
                "the server's clone holds changes xp will not move on its own; fix it by hand"
            }
        }
    }
}

/// A commit kept aside because its change conflicts with the remote's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parked {
    pub refname: String,
    pub commit: String,
    /// The record file it changes.
    pub path: String,
    /// Its subject (`xp: note on ...`).
    pub subject: String,
    /// The id its trailer names.
    pub experiment: Option<String>,
    /// The keys both sides set to different values.
    pub fields: Vec<String>,
}

/// What one round did and where it left things.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Round {
    pub target: Target,
    pub state: State,
    /// What went wrong, in the remote's or git's own words.
    pub said: Option<String>,
    /// The remote branch's tip as fetched.
    pub remote_tip: Option<String>,
    /// The local branch's tip afterwards.
    pub head: Option<String>,
    /// Local commits the remote lacks, and remote commits the branch lacks, afterwards.
    pub ahead: usize,
    pub behind: usize,
    /// The branch moved forward to the remote's commits.
    pub fast_forwarded: bool,
    /// Commits replayed onto the remote's tip.
    pub replayed: usize,
    /// The remote has the branch's tip.
    pub pushed: bool,
    /// Commits parked by this round.
    pub parked: Vec<Parked>,
}

impl Round {
    /// A round that has done nothing yet.
    fn new(target: &Target) -> Round {
        Round {
            target: target.clone(),
            state: State::Ok,
            said: None,
            remote_tip: None,
            head: None,
            ahead: 0,
            behind: 0,
            fast_forwarded: false,
            replayed: 0,
            pushed: false,
            parked: Vec::new(),
        }
    }
}

/// The remote and branches: `remote`, else the branch's upstream, else `origin`; the branch of
/// the same name there unless the upstream names another; `push`, else that branch.
pub fn target(ws: &Workspace, remote: Option<&str>, push: Option<&str>) -> Result<Target, Error> {
    let repo = repo(ws)?;
    let branch = repo.current_branch()?.ok_or_else(|| {
        Error::failed(
            "HEAD is detached: a sync needs a branch",
            "check out the branch the team shares, e.g. `git switch main`",
        )
    })?;
    let upstream = repo.upstream(&branch.name);
    let remote = remote
        .map(str::to_owned)
        .or_else(|| upstream.as_ref().map(|(r, _)| r.clone()))
        .unwrap_or_else(|| "origin".into());
    if !repo.has_remote(&remote) && !looks_like_url(&remote) {
        return Err(Error::failed(
            format!("no remote named `{remote}`"),
            "name one with `xp sync REMOTE`, or add it: `git remote add origin URL`",
        ));
    }
    let from = upstream
        .filter(|(r, _)| *r == remote)
        .map_or_else(|| branch.name.clone(), |(_, b)| b);
    Ok(Target {
        push: push.map_or_else(|| from.clone(), str::to_owned),
        remote,
        branch: branch.name,
        upstream: from,
    })
}

/// Where the clone's branch stands with its upstream, from what is here (no network): for
/// `GET /health?sync=1` and the board, so that a stale clone is never silent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    /// The branch checked out; None on a detached HEAD.
    pub branch: Option<String>,
    /// HEAD's commit (None on an unborn branch).
    pub head: Option<String>,
    /// The upstream as `remote/branch`; None when the branch tracks none.
    pub upstream: Option<String>,
    /// Commits the upstream lacks, and commits it has that the branch lacks, as of the last
    /// fetch; None without an upstream or before a first fetch.
    pub ahead: Option<usize>,
    pub behind: Option<usize>,
}

/// The clone's [`Standing`]; None outside git.
pub fn standing(ws: &Workspace) -> Result<Option<Standing>, Error> {
    let Some(repo) = ws.repo.as_ref() else {
        return Ok(None);
    };
    let Some(branch) = repo.current_branch()? else {
        return Ok(Some(Standing {
            branch: None,
            head: repo.ref_id("HEAD").map(|id| id.to_string()),
            upstream: None,
            ahead: None,
            behind: None,
        }));
    };
    let upstream = repo.upstream(&branch.name);
    let tracking = upstream
        .as_ref()
        .and_then(|(r, b)| repo.ref_id(&crate::git::tracking_ref(r, b)));
    let counts = match (branch.tip, tracking) {
        (Some(tip), Some(theirs)) => Some(repo.ahead_behind(tip, theirs)),
        _ => None,
    };
    Ok(Some(Standing {
        head: branch.tip.map(|id| id.to_string()),
        branch: Some(branch.name),
        upstream: upstream.map(|(r, b)| format!("{r}/{b}")),
        ahead: counts.map(|(a, _)| a),
        behind: counts.map(|(_, b)| b),
    }))
}

/// A remote given as a path or URL rather than a name.
fn looks_like_url(remote: &str) -> bool {
    remote.contains(['/', ':'])
}

fn repo(ws: &Workspace) -> Result<&Repo, Error> {
    ws.need_repo(
        "a sync",
        "run it in a clone of the team's repository (`git clone URL`)",
    )
}

/// The ref holding the remote tip this clone last integrated with and pushed to.
fn seen_ref(target: &Target) -> String {
    seen_ref_of(&target.remote, &target.push)
}

fn seen_ref_of(remote: &str, push: &str) -> String {
    format!("refs/xp/sync/{}/{push}", sanitize(remote))
}

/// Which of `commits` (full ids) the remote lacks, as of the tip the sync last saw there
/// (else the remote-tracking ref): for the page's "not yet pushed" marks. Nothing is marked
/// before the remote was ever seen.
pub fn unpushed(ws: &Workspace, remote: &str, push: &str, commits: &[&str]) -> Vec<String> {
    let Some(repo) = ws.repo.as_ref() else {
        return Vec::new();
    };
    let Some(seen) = repo
        .ref_id(&seen_ref_of(remote, push))
        .or_else(|| repo.ref_id(&crate::git::tracking_ref(remote, push)))
    else {
        return Vec::new();
    };
    commits
        .iter()
        .filter(|c| Id::parse(c).is_some_and(|id| !repo.descends(seen, id)))
        .map(|c| (*c).to_owned())
        .collect()
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// One round: fetch, integrate, push; see the module's documentation.
pub fn round(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    target: &Target,
    net: &NetEnv,
) -> Result<Round, Error> {
    let repo = repo(ws)?;
    let mut out = Round::new(target);
    if let Some(local) = only_ours_ahead(ws, repo, target)? {
        // A remote that takes a fast-forward of xp's own commits has nothing this clone
        // lacks: no fetch is needed. One that moved refuses, and the round goes on as usual.
        ws.env.crash_point("sync-before-push");
        match repo.push(&target.remote, local, &target.push, net) {
            Ok(Pushed::Done) => {
                repo.set_ref(&seen_ref(target), local, "xp sync: pushed")?;
                out.remote_tip = Some(local.to_string());
                out.pushed = true;
                return Ok(counted(out, repo, target));
            }
            Ok(Pushed::Behind) => {}
            Ok(Pushed::Refused(reason)) => {
                out.state = State::PushRefused;
                out.said = Some(reason);
                return Ok(counted(out, repo, target));
            }
            Err(e) => return Ok(offline(out, e, repo, target)),
        }
    }
    for attempt in 0..PUSH_TRIES {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(50 << attempt));
        }
        let fetched = match repo.fetch(&target.remote, &target.upstream, net) {
            Ok(tip) => tip,
            Err(e) => return Ok(offline(out, e, repo, target)),
        };
        out.remote_tip = fetched.map(|id| id.to_string());
        ws.env.crash_point("sync-fetched");
        let tip = {
            // Taking the lock finishes what a killed command left, a sync's move too.
            let _lock = ws.lock(notices)?;
            match integrate(ws, repo, target, fetched, &mut out)? {
                Some(tip) => tip,
                None => return Ok(counted(out, repo, target)),
            }
        };
        if Some(tip) == fetched && target.push == target.upstream {
            repo.set_ref(&seen_ref(target), tip, "xp sync: in step")?;
            out.pushed = true;
            return Ok(counted(out, repo, target));
        }
        ws.env.crash_point("sync-before-push");
        ws.env.test_run("sync-before-push");
        match repo.push(&target.remote, tip, &target.push, net) {
            Ok(Pushed::Done) => {
                repo.set_ref(&seen_ref(target), tip, "xp sync: pushed")?;
                out.pushed = true;
                return Ok(counted(out, repo, target));
            }
            Ok(Pushed::Behind) => continue,
            Ok(Pushed::Refused(reason)) => {
                out.state = State::PushRefused;
                out.said = Some(reason);
                return Ok(counted(out, repo, target));
            }
            Err(e) => return Ok(offline(out, e, repo, target)),
        }
    }
    out.state = State::Offline;
    out.said = Some(format!(
        "the remote kept moving: {PUSH_TRIES} pushes found it ahead"
    ));
    Ok(counted(out, repo, target))
}

/// Brings the branch in step with the remote before a strict write (a round: fetch,
/// integrate, push what waits); an error, with the remote's words, when the branch cannot be
/// in step, which the write answers without changing anything. A round that ends `ok` has
/// pushed everything: the branch's tip is the remote's.
pub fn in_step(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    target: &Target,
    net: &NetEnv,
) -> Result<Round, Error> {
    let round = round(ws, notices, target, net)?;
    if round.state != State::Ok {
        let said = round.said.clone();
        let reason = said.unwrap_or_else(|| format!("the sync is {}", round.state.as_str()));
        return Err(unpublished(reason, round.state).into());
    }
    Ok(round)
}

/// A strict write the remote did not take, in its words, with what to do about `state`.
fn unpublished(reason: String, state: State) -> crate::git::GitError {
    crate::git::GitError::Unpublished {
        reason,
        hint: strict_hint(state).into(),
    }
}

/// What to do when a strict write could not reach the remote: nothing was written.
fn strict_hint(state: State) -> &'static str {
    match state {
        State::Offline => "nothing was written; send it again once the remote answers",
        State::AuthFailed => "nothing was written; check the credentials git uses for this remote",
        State::PushRefused => {
            "nothing was written; the remote's rules refuse the push: allow it, or sync to a \
             branch of its own (`--sync-branch`)"
        }
        State::Ok | State::DivergedHistory | State::NeedsAttention => state.hint(),
    }
}

/// The gate of a strict write ([`Workspace::gate`]): each commit is pushed, exactly, before the
/// branch moves to it. The remote moved since the fetch: [`crate::git::GitError::RemoteMoved`],
/// to try again after another round; refused or unreachable: the remote's words. A second
/// commit after one was taken (this clone's branch moved meanwhile) is not pushed.
pub fn push_first(ws: &Workspace, target: &Target, net: &NetEnv) -> crate::ops::workspace::Gate {
    use crate::git::GitError;
    let (target, net, env) = (target.clone(), net.clone(), ws.env.clone());
    let taken = std::sync::atomic::AtomicBool::new(false);
    Box::new(move |repo: &Repo, commit: Id| {
        if taken.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(GitError::MovedAfterPush);
        }
        env.test_run("strict-before-push");
        match repo.push(&target.remote, commit, &target.push, &net) {
            Ok(Pushed::Done) => {
                taken.store(true, std::sync::atomic::Ordering::SeqCst);
                repo.set_ref(&seen_ref(&target), commit, "xp sync: pushed")
            }
            Ok(Pushed::Behind) => Err(GitError::RemoteMoved),
            Ok(Pushed::Refused(reason)) => Err(unpublished(reason, State::PushRefused)),
            Err(e) => Err(unpublished(e.to_string(), state_of(&e))),
        }
    })
}

/// The branch's tip, when all it has beyond the remote tip last seen is xp's own one-file
/// commits (what writes since the last round made), pushed to the branch integrated from.
fn only_ours_ahead(ws: &Workspace, repo: &Repo, target: &Target) -> Result<Option<Id>, Error> {
    if target.push != target.upstream {
        return Ok(None);
    }
    let (Some(local), Some(seen)) = (
        repo.current_branch()?.and_then(|b| b.tip),
        repo.ref_id(&seen_ref(target)),
    ) else {
        return Ok(None);
    };
    if local == seen || !repo.descends(local, seen) {
        return Ok(None);
    }
    let commits = repo.commits_since(Some(seen), local)?;
    Ok(commits
        .iter()
        .all(|c| is_xp_commit(ws, repo, c))
        .then_some(local))
}

/// The round as the network failure leaves it.
fn offline(mut out: Round, e: NetError, repo: &Repo, target: &Target) -> Round {
    out.state = state_of(&e);
    out.said = Some(e.to_string());
    counted(out, repo, target)
}

/// Where a network failure leaves the sync.
fn state_of(e: &NetError) -> State {
    match e {
        NetError::AuthFailed(_) => State::AuthFailed,
        NetError::Offline(_) | NetError::NoGit(_) => State::Offline,
    }
}

/// The round with the branch's tip and how far it is from the remote's: ahead counts the
/// commits not yet pushed (against the tip last pushed, or the remote's when none was),
/// behind the remote's commits the branch lacks.
fn counted(mut out: Round, repo: &Repo, target: &Target) -> Round {
    let head = repo.current_branch().ok().flatten().and_then(|b| b.tip);
    let remote = repo.ref_id(&crate::git::tracking_ref(&target.remote, &target.upstream));
    let pushed = repo.ref_id(&seen_ref(target)).or(remote);
    out.head = head.map(|id| id.to_string());
    if let (Some(h), Some(p)) = (head, pushed) {
        out.ahead = repo.ahead_behind(h, p).0;
    }
    if let (Some(h), Some(r)) = (head, remote) {
        out.behind = repo.ahead_behind(h, r).1;
    }
    out
}

/// Brings the branch in step with the remote tip `fetched`, under the write lock; returns the
/// tip to push, or None when the round stops here (its state says why).
fn integrate(
    ws: &Workspace,
    repo: &Repo,
    target: &Target,
    fetched: Option<Id>,
    out: &mut Round,
) -> Result<Option<Id>, Error> {
    let branch = repo.current_branch()?.ok_or_else(|| {
        Error::failed(
            "HEAD became detached during the sync",
            "check out the shared branch again",
        )
    })?;
    let Some(local) = branch.tip else {
        // An unborn branch takes the remote's history as it is.
        let Some(remote) = fetched else {
            return Ok(None);
        };
        repo.set_ref(&branch.refname, remote, "xp sync: from the remote")?;
        out.fast_forwarded = true;
        return Ok(Some(remote));
    };
    let Some(remote) = fetched else {
        // The remote has no such branch yet: the push creates it.
        return Ok(Some(local));
    };
    if let Some(seen) = repo.ref_id(&seen_ref(target))
        && !repo.descends(remote, seen)
    {
        out.state = State::DivergedHistory;
        out.said = Some(format!(
            "the remote's {} was rewritten: its tip {} does not descend from {}, the tip \
             this clone last saw",
            target.upstream,
            remote.short(),
            seen.short()
        ));
        return Ok(None);
    }
    if repo.descends(remote, local) {
        if remote != local {
            if let Err(e) = repo.advance(&branch.refname, local, remote, &ws.env.git()) {
                out.state = State::NeedsAttention;
                out.said = Some(e.to_string());
                return Ok(None);
            }
            out.fast_forwarded = true;
        }
        return Ok(Some(remote));
    }
    if repo.descends(local, remote) {
        return Ok(Some(local));
    }
    let base = repo.base_of(local, remote);
    let commits = repo.commits_since(base, local)?;
    if let Some(foreign) = commits.iter().find(|c| !is_xp_commit(ws, repo, c)) {
        out.state = State::NeedsAttention;
        out.said = Some(format!(
            "commit {} on {} is not one of xp's one-file commits to experiment files, so it \
             cannot be replayed onto the remote's commits",
            foreign.id.short(),
            target.branch
        ));
        return Ok(None);
    }
    let mut tip = remote;
    for commit in &commits {
        match replay(ws, repo, tip, commit)? {
            Replayed::Onto(new) => {
                tip = new;
                out.replayed += 1;
            }
            Replayed::Already => {}
            Replayed::Parked(parked) => out.parked.push(parked),
        }
    }
    ws.env.crash_point("sync-replayed");
    if let Err(e) = repo.advance(&branch.refname, local, tip, &ws.env.git()) {
        out.state = State::NeedsAttention;
        out.said = Some(e.to_string());
        return Ok(None);
    }
    Ok(Some(tip))
}

/// Whether a commit is one xp made: a single record file changed (not removed), with the
/// `Experiment-Id` trailer.
fn is_xp_commit(ws: &Workspace, repo: &Repo, commit: &LocalCommit) -> bool {
    let Ok(dir) = ws.repo_dir(repo) else {
        return false;
    };
    let in_records = |path: &str| {
        (dir.is_empty() || path.starts_with(&format!("{dir}/")))
            && (path.ends_with(".yaml") || path.ends_with(".yml"))
    };
    !commit.merge
        && experiment_of(&commit.message).is_some()
        && matches!(&commit.changes[..], [change] if change.after.is_some() && in_records(&change.path))
}

/// The id a commit message's `Experiment-Id` trailer names.
fn experiment_of(message: &str) -> Option<String> {
    message
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("Experiment-Id: "))
        .map(|id| id.trim().to_owned())
}

/// What became of one local commit.
enum Replayed {
    /// Made again on the tip: the new tip.
    Onto(Id),
    /// The tip already holds its change.
    Already,
    /// Kept aside: its change conflicts with the tip's.
    Parked(Parked),
}

/// Replays one of xp's one-file commits onto `tip` through the record merge.
fn replay(ws: &Workspace, repo: &Repo, tip: Id, commit: &LocalCommit) -> Result<Replayed, Error> {
    let [change] = &commit.changes[..] else {
        return unreachable_change();
    };
    let Some(after) = change.after else {
        return unreachable_change();
    };
    let current = repo.blob_at(tip, &change.path)?;
    if current == Some(after) {
        return Ok(Replayed::Already);
    }
    let blob = if current == change.before {
        after
    } else {
        let read = |id: Option<Id>| id.map(|id| repo.blob_bytes(id)).transpose();
        let (base, ours, theirs) = (read(change.before)?, read(current)?, read(Some(after))?);
        let merged = merge::merge(
            base.as_deref(),
            ours.as_deref().unwrap_or_default(),
            theirs.as_deref().unwrap_or_default(),
        );
        if !merged.is_clean() {
            let parked = park(repo, commit, &change.path, &merged.conflicts)?;
            return Ok(Replayed::Parked(parked));
        }
        repo.write_blob(&merged.text)?
    };
    let id = repo.replay(tip, &change.path, blob, commit.id, &ws.env.git())?;
    Ok(Replayed::Onto(id))
}

fn unreachable_change<T>() -> Result<T, Error> {
    Err(Error::failed(
        "a commit to replay changes no single record file",
        "report this; nothing was changed",
    ))
}

/// Keeps a commit under [`PARKED`], with what it conflicts on.
fn park(
    repo: &Repo,
    commit: &LocalCommit,
    path: &str,
    conflicts: &[merge::Conflict],
) -> Result<Parked, Error> {
    let refname = format!("{PARKED}{}", commit.id);
    repo.set_ref(&refname, commit.id, "xp sync: parked, its change conflicts")?;
    Ok(Parked {
        refname,
        commit: commit.id.to_string(),
        path: path.to_owned(),
        subject: commit.message.lines().next().unwrap_or_default().to_owned(),
        experiment: experiment_of(&commit.message),
        fields: conflict_keys(conflicts),
    })
}

/// What each conflict is about: a key, or what else went wrong.
fn conflict_keys(conflicts: &[merge::Conflict]) -> Vec<String> {
    conflicts
        .iter()
        .map(|c| match c {
            merge::Conflict::Field(key) => key.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The commits parked so far, with what they conflict on against the branch's tip now.
pub fn parked(ws: &Workspace) -> Result<Vec<Parked>, Error> {
    let repo = repo(ws)?;
    let head = repo.current_branch()?.and_then(|b| b.tip);
    let mut out = Vec::new();
    for (refname, id) in repo.refs_under(PARKED)? {
        let commit = repo.local_commit(id)?;
        let Some(change) = commit.changes.first() else {
            continue;
        };
        let fields = match (head, change.after) {
            (Some(head), Some(after)) => {
                let read = |id: Option<Id>| id.map(|id| repo.blob_bytes(id)).transpose();
                let ours = read(repo.blob_at(head, &change.path)?)?;
                let merged = merge::merge(
                    read(change.before)?.as_deref(),
                    ours.as_deref().unwrap_or_default(),
                    &repo.blob_bytes(after)?,
                );
                conflict_keys(&merged.conflicts)
            }
            _ => Vec::new(),
        };
        out.push(Parked {
            refname,
            commit: id.to_string(),
            path: change.path.clone(),
            subject: commit.message.lines().next().unwrap_or_default().to_owned(),
            experiment: experiment_of(&commit.message),
            fields,
        });
    }
    Ok(out)
}

/// Which side a person keeps for a key both sides set to different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The parked commit's value.
    Local,
    /// The value on the branch, which came from the remote.
    Remote,
}

impl Keep {
    fn as_str(self) -> &'static str {
        match self {
            Keep::Local => "local",
            Keep::Remote => "remote",
        }
    }
}

/// Applies the parked commits `which` names (a commit id prefix of 4+ characters, or an
/// experiment's ref for all of its parked commits) as normal one-file commits, keeping `keep`'s
/// value where both sides differ; each parked ref goes once its change is committed.
pub fn resolve(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    which: &str,
    keep: Keep,
    options: WriteOptions,
) -> Result<Vec<Saved>, Error> {
    let repo = repo(ws)?;
    let all = parked(ws)?;
    let by_commit: Vec<&Parked> = all
        .iter()
        .filter(|p| which.len() >= 4 && p.commit.starts_with(&which.to_ascii_lowercase()))
        .collect();
    let chosen: Vec<&Parked> = if by_commit.is_empty() {
        let record = crate::ops::read::get(ws, which)?;
        all.iter()
            .filter(|p| p.experiment.as_deref() == Some(record.record.id.as_str()))
            .collect()
    } else {
        by_commit
    };
    if chosen.is_empty() {
        return Err(Error::failed(
            format!("no parked change matches `{which}`"),
            "`xp sync` lists the parked changes; name one by its commit or its experiment",
        ));
    }
    let mut saved = Vec::new();
    for p in chosen {
        let Some(commit) = Id::parse(&p.commit) else {
            continue;
        };
        let parked = repo.local_commit(commit)?;
        let [change] = &parked.changes[..] else {
            return unreachable_change();
        };
        let Some(after) = change.after else {
            return unreachable_change();
        };
        let before = change.before.map(|id| repo.blob_bytes(id)).transpose()?;
        let theirs = repo.blob_bytes(after)?;
        let experiment = p.experiment.clone().unwrap_or_default();
        let done = write::edit(ws, notices, &experiment, options, |loaded, old, _| {
            let winner = match keep {
                Keep::Local => merge::Side::Theirs,
                Keep::Remote => merge::Side::Ours,
            };
            let merged = merge::merge_settled(before.as_deref(), &loaded.bytes, &theirs, winner);
            if !merged.is_clean() {
                let why: Vec<String> = merged.conflicts.iter().map(|c| c.to_string()).collect();
                return Err(Error::failed(
                    format!("the parked change cannot be applied: {}", why.join("; ")),
                    "apply it by hand from the parked commit (`git show COMMIT`)",
                ));
            }
            let text = String::from_utf8(merged.text)
                .map_err(|_| Error::failed("the merged record is not UTF-8", "apply it by hand"))?;
            let checked = crate::rules::check_bytes(&loaded.shown, text.as_bytes());
            let expected = checked.record.ok_or(Error::WouldBreak {
                problems: checked.problems,
            })?;
            let body = format!(
                "{}\n\nKept the {} value of {}; the change was parked as {}.",
                p.subject,
                keep.as_str(),
                if p.fields.is_empty() {
                    "no key".to_owned()
                } else {
                    p.fields.join(", ")
                },
                p.commit
            );
            Ok(Edit {
                text,
                expected,
                change: Change {
                    subject: format!("xp: resolve parked change on {}", loaded.slug),
                    fields: Vec::new(),
                    body,
                    id: old.id,
                },
            })
        })?;
        repo.delete_ref(&p.refname)?;
        saved.push(done);
    }
    Ok(saved)
}

/// Moves the branch to the remote's tip after its history was rewritten, parking every commit
/// the branch has that the remote lacks first; never a reset of the work tree's own changes.
pub fn reset_to_remote(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    target: &Target,
    net: &NetEnv,
) -> Result<Round, Error> {
    let repo = repo(ws)?;
    let fetched = repo
        .fetch(&target.remote, &target.upstream, net)
        .map_err(|e| Error::failed(e.to_string(), "run it again once the remote answers"))?
        .ok_or_else(|| {
            Error::failed(
                format!("the remote has no branch {}", target.upstream),
                "there is nothing to reset to",
            )
        })?;
    let _lock = ws.lock(notices)?;
    let branch = repo
        .current_branch()?
        .ok_or_else(|| Error::failed("HEAD is detached", "check out the shared branch first"))?;
    let mut out = Round {
        remote_tip: Some(fetched.to_string()),
        ..Round::new(target)
    };
    if let Some(local) = branch.tip {
        let base = repo.base_of(local, fetched);
        for commit in repo.commits_since(base, local)? {
            let path = commit
                .changes
                .first()
                .map(|c| c.path.clone())
                .unwrap_or_default();
            out.parked.push(park(repo, &commit, &path, &[])?);
        }
        if local != fetched {
            repo.advance(&branch.refname, local, fetched, &ws.env.git())?;
            out.fast_forwarded = true;
        }
    } else {
        repo.set_ref(&branch.refname, fetched, "xp sync: from the remote")?;
    }
    repo.set_ref(&seen_ref(target), fetched, "xp sync: reset to the remote")?;
    Ok(counted(out, repo, target))
}

/// Refuses a clone a team server cannot keep in step on its own: a git operation in progress,
/// tracked files changed outside the experiments directory, or commits the remote lacks that
/// are not xp's one-file commits.
pub fn dedicated(ws: &Workspace, target: &Target) -> Result<(), Error> {
    let repo = repo(ws)?;
    if let Some(operation) = repo.operation_in_progress() {
        return Err(Error::failed(
            format!("a git {operation} is in progress in this clone"),
            format!("finish it or abort it (`git {operation} --abort`), then start the server"),
        ));
    }
    let dir = ws.repo_dir(repo)?;
    let outside: Vec<String> = repo
        .changed_files()?
        .into_iter()
        .filter(|p| !(dir.is_empty() || p.starts_with(&format!("{dir}/"))))
        .collect();
    if !outside.is_empty() {
        return Err(Error::failed(
            format!(
                "this clone has changes outside the experiments: {}",
                outside.join(", ")
            ),
            "a team server's clone holds only what xp writes: commit and push the changes, or \
             discard them (`git restore`), or serve from a clone of its own",
        ));
    }
    let branch = repo.current_branch()?.and_then(|b| b.tip);
    let remote = repo.ref_id(&crate::git::tracking_ref(&target.remote, &target.upstream));
    // Without a fetch yet, the first round tells what the remote lacks.
    if let (Some(local), Some(remote)) = (branch, remote) {
        let base = repo.base_of(local, remote);
        if let Some(foreign) = repo
            .commits_since(base, local)?
            .iter()
            .find(|c| !is_xp_commit(ws, repo, c))
        {
            return Err(Error::failed(
                format!(
                    "{} holds commit {} that the remote lacks and that is not one of xp's \
                     one-file commits",
                    target.branch,
                    foreign.id.short()
                ),
                "push it by hand first (`git push`), or serve from a clone of its own",
            ));
        }
    }
    Ok(())
}

/// Who set a parked change's conflicting keys on the branch, and their values on both sides:
/// for a write's refusal. (key, this write's value, the branch's value), and the branch's
/// last commit to the file with its author.
pub fn conflict_of(ws: &Workspace, parked: &Parked) -> Result<ConflictInfo, Error> {
    let repo = repo(ws)?;
    let commit = repo.local_commit(
        Id::parse(&parked.commit)
            .ok_or_else(|| Error::failed("a parked commit id is not valid", "report this"))?,
    )?;
    let head = repo.current_branch()?.and_then(|b| b.tip);
    let record_at = |bytes: Option<Vec<u8>>| {
        bytes.and_then(|b| crate::rules::check_bytes(std::path::Path::new(&parked.path), &b).record)
    };
    let after = commit.changes.first().and_then(|c| c.after);
    let mine = record_at(after.map(|id| repo.blob_bytes(id)).transpose()?);
    let blob = head
        .map(|h| repo.blob_at(h, &parked.path))
        .transpose()?
        .flatten();
    let theirs = record_at(blob.map(|id| repo.blob_bytes(id)).transpose()?);
    let fields = parked
        .fields
        .iter()
        .map(|key| {
            let value = |r: &Option<crate::record::Record>| {
                r.as_ref()
                    .map(|r| crate::record::texts::shown(key, &r.get(key)))
                    .unwrap_or_default()
            };
            (key.clone(), value(&mine), value(&theirs))
        })
        .collect();
    let mut by = None;
    if let (Some(head), Some(parent)) = (head, commit.parent) {
        let touched = repo
            .commits_since(Some(parent), head)?
            .into_iter()
            .rev()
            .find(|c| c.changes.iter().any(|ch| ch.path == parked.path));
        if let Some(c) = touched {
            by = Some((c.id.short(), repo.author_of(c.id)?));
        }
    }
    Ok(ConflictInfo { fields, by })
}

/// What a write whose change was parked conflicts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictInfo {
    /// Each key: (name, this write's value, the branch's value).
    pub fields: Vec<(String, String, String)>,
    /// The branch's last commit to the file and its author.
    pub by: Option<(String, String)>,
}

/// Forgets a parked commit whose write was refused before it was answered: nothing of it is
/// on the branch, so nothing was written.
pub fn unpark(ws: &Workspace, parked: &Parked) -> Result<(), Error> {
    repo(ws)?.delete_ref(&parked.refname)?;
    Ok(())
}
