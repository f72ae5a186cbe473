//! The network, only through the `git` binary: `git fetch` and `git push --porcelain`, so that
//! every credential set-up a team already has works (ssh agent, credential helpers, deploy keys,
//! `insteadOf`, proxies) and xp carries no TLS of its own.
//!
//! The child runs with no terminal to prompt on (`GIT_TERMINAL_PROMPT=0`, stdin closed), ssh in
//! batch mode unless the user chose an ssh command, and a hard deadline after which it is
//! killed. What it says is read into a typed outcome; nothing here retries.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Id, Repo};

/// What the git child needs: the process's whole environment (credentials live there), and how
/// long it may take.
#[derive(Debug, Clone)]
pub struct NetEnv {
    pub vars: Vec<(String, String)>,
    pub timeout: Duration,
}

/// Why the network did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The remote is unreachable, missing, or answered nothing in time.
    #[error("the remote cannot be reached: {0}")]
    Offline(String),
    /// The remote refused who we are.
    #[error("the remote refused the credentials: {0}")]
    AuthFailed(String),
    /// `git` itself could not run.
    #[error("cannot run git: {0}")]
    NoGit(String),
}

/// How a push ended, as git's porcelain line for the ref says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// The remote branch is now the commit (or already was).
    Done,
    /// The remote moved on meanwhile: fetch, integrate, push again.
    Behind,
    /// The remote's policy said no (a protected branch, a hook, a size limit): its reason.
    Refused(String),
}

impl Repo {
    /// Fetches `branch` of `remote` into `refs/remotes/REMOTE/BRANCH` (as `git fetch` does) and
    /// returns its tip, None when the remote has no such branch.
    pub fn fetch(&self, remote: &str, branch: &str, net: &NetEnv) -> Result<Option<Id>, NetError> {
        let tracking = tracking_ref(remote, branch);
        let spec = format!("+refs/heads/{branch}:{tracking}");
        let out = self.run_git(net, &["fetch", "--no-tags", "--quiet", remote, &spec])?;
        if !out.ok {
            if missing_branch(&out.stderr) {
                return Ok(None);
            }
            return Err(classify(&out.stderr, out.timed_out));
        }
        Ok(self.repo.refname_to_id(&tracking).ok().map(Id))
    }

    /// Pushes `commit` to `refs/heads/BRANCH` of `remote`, never forcing.
    pub fn push(
        &self,
        remote: &str,
        commit: Id,
        branch: &str,
        net: &NetEnv,
    ) -> Result<Pushed, NetError> {
        let spec = format!("{commit}:refs/heads/{branch}");
        let out = self.run_git(net, &["push", "--porcelain", remote, &spec])?;
        let target = format!("refs/heads/{branch}");
        // `<flag>\t<from>:<to>\t<summary> (<reason>)`, one line per ref.
        let line = out
            .stdout
            .lines()
            .find(|l| l.split('\t').nth(1).is_some_and(|r| r.ends_with(&target)));
        match line.map(|l| (l.chars().next(), l)) {
            Some((Some(' ' | '+' | '=' | '*'), _)) => Ok(Pushed::Done),
            Some((Some('!'), l)) => {
                let summary = l.split('\t').nth(2).unwrap_or_default();
                if summary.starts_with("[remote rejected]") {
                    Ok(Pushed::Refused(reason(summary, &out.stderr)))
                } else if summary.contains("fetch first") || summary.contains("non-fast-forward") {
                    Ok(Pushed::Behind)
                } else {
                    Ok(Pushed::Refused(reason(summary, &out.stderr)))
                }
            }
            _ if out.ok => Ok(Pushed::Done),
            _ => Err(classify(&out.stderr, out.timed_out)),
        }
    }

    /// Runs `git` in the work tree with the network's environment, killed past the deadline.
    fn run_git(&self, net: &NetEnv, args: &[&str]) -> Result<Ran, NetError> {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.workdir)
            .env_clear()
            .envs(net.vars.iter().map(|(k, v)| (k, v)))
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_DIR", self.repo.path())
            .env("GIT_WORK_TREE", &self.workdir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let chose_ssh = net
            .vars
            .iter()
            .any(|(k, _)| k == "GIT_SSH_COMMAND" || k == "GIT_SSH")
            || self.config("core.sshCommand").is_some();
        if !chose_ssh {
            cmd.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
        }
        let mut child = cmd.spawn().map_err(|e| NetError::NoGit(e.to_string()))?;
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        // Read both pipes on threads, so a chatty child never blocks on a full pipe.
        let out = std::thread::spawn(move || read_all(stdout.as_mut()));
        let err = std::thread::spawn(move || read_all(stderr.as_mut()));
        let started = Instant::now();
        let (status, timed_out) = loop {
            match child.try_wait() {
                Ok(Some(status)) => break (Some(status), false),
                Ok(None) if started.elapsed() >= net.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break (None, true);
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(NetError::NoGit(e.to_string())),
            }
        };
        Ok(Ran {
            ok: status.is_some_and(|s| s.success()),
            timed_out,
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        })
    }
}

/// The remote-tracking ref a fetch of `branch` updates.
pub fn tracking_ref(remote: &str, branch: &str) -> String {
    format!("refs/remotes/{remote}/{branch}")
}

/// What a git child did.
struct Ran {
    ok: bool,
    timed_out: bool,
    stdout: String,
    stderr: String,
}

fn read_all(pipe: Option<&mut impl Read>) -> String {
    let mut bytes = Vec::new();
    if let Some(pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether git said the remote has no such branch (a remote without it yet is empty, not down).
fn missing_branch(stderr: &str) -> bool {
    stderr.contains("couldn't find remote ref")
}

/// A failed fetch or push: credentials refused, else unreachable.
fn classify(stderr: &str, timed_out: bool) -> NetError {
    let said = last_words(stderr);
    if timed_out {
        return NetError::Offline(format!("no answer before the deadline{}", colon(&said)));
    }
    let lower = stderr.to_ascii_lowercase();
    let auth = [
        "permission denied",
        "authentication failed",
        "could not read username",
        "invalid username or password",
        "403",
        "access denied",
        "host key verification failed",
    ];
    if auth.iter().any(|a| lower.contains(a)) {
        NetError::AuthFailed(said)
    } else {
        NetError::Offline(said)
    }
}

/// The remote's reason for a refused ref: the porcelain summary's parenthesis, with the
/// `remote:` lines a hook printed.
fn reason(summary: &str, stderr: &str) -> String {
    let why = summary
        .split_once('(')
        .map_or(summary, |(_, rest)| rest.trim_end_matches(')'));
    let hook: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("remote:"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if hook.is_empty() {
        why.to_owned()
    } else {
        format!("{why}: {}", hook.join(" "))
    }
}

/// The last lines git wrote on stderr, without its `fatal:`/`error:` prefixes, on one line.
fn last_words(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches("fatal: ")
                .trim_start_matches("error: ")
        })
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(3);
    lines[start..].join(" ")
}

fn colon(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_ref_gives_the_remotes_words() {
        assert_eq!(
            reason(
                "[remote rejected] (pre-receive hook declined)",
                "remote: main is protected\nremote: \nTo /srv/repo.git\n"
            ),
            "pre-receive hook declined: main is protected"
        );
        assert_eq!(reason("[rejected] (fetch first)", ""), "fetch first");
    }

    #[test]
    fn failures_are_told_apart_by_what_git_said() {
        assert!(matches!(
            classify(
                "git@host: Permission denied (publickey).\nfatal: Could not read from remote repository.\n",
                false
            ),
            NetError::AuthFailed(_)
        ));
        assert!(matches!(
            classify(
                "fatal: '/nope' does not appear to be a git repository\n",
                false
            ),
            NetError::Offline(_)
        ));
        assert_eq!(
            classify("", true),
            NetError::Offline("no answer before the deadline".into())
        );
    }
}
