//! Who commits and with what settings: identity from the environment and git's config.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, TimeZone};
use git2::{Config, ConfigLevel, Repository, Signature, Time};

use super::{Context, GitEnv, GitError, Repo};

impl Repo {
    /// `user.name` from git's config, if any.
    pub fn user_name(&self) -> Option<String> {
        self.config("user.name")
    }

    /// Whether `commit.gpgsign` is true; libgit2 does not sign, so the caller warns.
    pub fn wants_signing(&self) -> bool {
        self.repo
            .config()
            .and_then(|c| c.get_bool("commit.gpgsign"))
            .unwrap_or(false)
    }

    /// A value of the repository's config (all levels), when set and not blank.
    pub fn config_value(&self, key: &str) -> Option<String> {
        self.config(key)
    }

    /// Sets a value in this repository's own config (`.git/config`).
    pub fn set_local_config(&self, key: &str, value: &str) -> Result<(), GitError> {
        let context = || format!("cannot set {key} in the repository's config");
        let config = self.repo.config().context(context())?;
        let mut local = config
            .open_level(git2::ConfigLevel::Local)
            .context(context())?;
        local.set_str(key, value).context(context())
    }

    /// A config value, when set and not blank.
    pub(super) fn config(&self, key: &str) -> Option<String> {
        self.repo
            .config()
            .and_then(|c| c.get_string(key))
            .ok()
            .filter(|v| !v.trim().is_empty())
    }
}

/// `user.name` from the global git config, for notes written outside any repository.
pub fn global_user_name(env: &GitEnv) -> Option<String> {
    git_config(env, None)
        .and_then(|c| c.get_string("user.name"))
        .ok()
        .filter(|n| !n.trim().is_empty())
}

/// git's configuration as git reads it under `env`, lowest level first: the system file
/// (none with `GIT_CONFIG_NOSYSTEM`; `GIT_CONFIG_SYSTEM` names another); the global one,
/// `GIT_CONFIG_GLOBAL` alone when set, else `$XDG_CONFIG_HOME/git/config` (or
/// `~/.config/git/config`) and `~/.gitconfig`; then `repo`'s own files. Missing files count as
/// empty.
pub(super) fn git_config(env: &GitEnv, repo: Option<&Repository>) -> Result<Config, git2::Error> {
    let mut config = Config::new()?;
    if !env.flag("GIT_CONFIG_NOSYSTEM") {
        let system = match env.var("GIT_CONFIG_SYSTEM") {
            Some(path) => Some(PathBuf::from(path)),
            None => Config::find_system().ok(),
        };
        if let Some(path) = system {
            config.add_file(&path, ConfigLevel::System, false)?;
        }
    }
    let home = env.var("HOME").map(PathBuf::from);
    match env.var("GIT_CONFIG_GLOBAL") {
        Some(path) => config.add_file(Path::new(path), ConfigLevel::Global, false)?,
        None => {
            let xdg = match env.var("XDG_CONFIG_HOME") {
                Some(xdg) => Some(PathBuf::from(xdg)),
                None => home.as_ref().map(|home| home.join(".config")),
            };
            if let Some(xdg) = xdg {
                config.add_file(&xdg.join("git/config"), ConfigLevel::XDG, false)?;
            }
            if let Some(home) = &home {
                config.add_file(&home.join(".gitconfig"), ConfigLevel::Global, false)?;
            }
        }
    }
    if let Some(repo) = repo {
        config.add_file(&repo.commondir().join("config"), ConfigLevel::Local, false)?;
        if config
            .get_bool("extensions.worktreeConfig")
            .unwrap_or(false)
        {
            let worktree = repo.path().join("config.worktree");
            config.add_file(&worktree, ConfigLevel::Worktree, false)?;
        }
    }
    Ok(config)
}

/// The author or committer (`role`): `GIT_<role>_NAME`/`_EMAIL`/`_DATE`, else git's config.
///
/// The email falls back to `EMAIL`, as git's does; the time to `env.now()` at +0000.
pub(super) fn signature(
    env: &GitEnv,
    role: &str,
    config_name: Option<&str>,
    config_email: Option<&str>,
) -> Result<Signature<'static>, GitError> {
    let name = env.var(&format!("GIT_{role}_NAME")).or(config_name);
    let email = env
        .var(&format!("GIT_{role}_EMAIL"))
        .or(config_email)
        .or_else(|| env.var("EMAIL"));
    let (Some(name), Some(email)) = (name, email) else {
        return Err(GitError::NoIdentity);
    };
    let date_var = format!("GIT_{role}_DATE");
    let time = match env.var(&date_var) {
        Some(text) => parse_git_date(text).ok_or_else(|| GitError::BadDate {
            var: date_var,
            value: text.to_owned(),
        })?,
        None => env.now.fixed_offset(),
    };
    let time = Time::new(time.timestamp(), time.offset().local_minus_utc() / 60);
    Signature::new(name, email, &time)
        .context(format!("`{name} <{email}>` is not a valid identity"))
}

/// Parses RFC 3339, or git's internal `@<secs> <+hhmm>` / `<secs> <+hhmm>` (offset optional).
fn parse_git_date(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time);
    }
    let text = text.strip_prefix('@').unwrap_or(text);
    let (secs, offset) = match text.split_once(' ') {
        Some((secs, offset)) => (secs, parse_offset(offset.trim())?),
        None => (text, 0),
    };
    let secs: i64 = secs.parse().ok()?;
    FixedOffset::east_opt(offset)?
        .timestamp_opt(secs, 0)
        .single()
}

/// `+hhmm` or `-hhmm` in seconds east of UTC.
fn parse_offset(text: &str) -> Option<i32> {
    let (sign, digits) = match text.split_at_checked(1)? {
        ("+", digits) => (1, digits),
        ("-", digits) => (-1, digits),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes): (i32, i32) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    (minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::fs;

    use super::*;
    use crate::git::tests_support::*;

    #[test]
    fn identity_comes_from_the_environment_then_the_config() {
        let env = |vars: &[(&str, &str)]| {
            let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            GitEnv::new(vars, now())
        };
        let fixed = env(&[
            ("XP_NOW", NOW),
            ("GIT_AUTHOR_NAME", "Env"),
            ("GIT_AUTHOR_EMAIL", "e@x"),
        ]);
        let sig = signature(&fixed, "AUTHOR", Some("Cfg"), Some("c@x")).unwrap();
        assert_eq!(
            (sig.name().ok(), sig.email().ok()),
            (Some("Env"), Some("e@x"))
        );
        assert_eq!(sig.when().seconds(), now().timestamp());
        let sig = signature(&fixed, "COMMITTER", Some("Cfg"), Some("c@x")).unwrap();
        assert_eq!(
            (sig.name().ok(), sig.email().ok()),
            (Some("Cfg"), Some("c@x"))
        );

        let err = signature(&env(&[]), "AUTHOR", Some("Cfg"), None)
            .err()
            .unwrap();
        assert!(matches!(err, GitError::NoIdentity));
        let hint = err.hint().unwrap();
        assert!(
            hint.contains("git config user.name \"Your Name\""),
            "{hint}"
        );
        assert!(
            hint.contains("git config user.email you@example.com"),
            "{hint}"
        );
        let sig = signature(&env(&[("EMAIL", "m@x")]), "AUTHOR", Some("Cfg"), None).unwrap();
        assert_eq!(sig.email().ok(), Some("m@x"));

        let dated = env(&[("GIT_COMMITTER_DATE", "@1700000000 +0130")]);
        let sig = signature(&dated, "COMMITTER", Some("C"), Some("c@x")).unwrap();
        assert_eq!(
            (sig.when().seconds(), sig.when().offset_minutes()),
            (1_700_000_000, 90)
        );
        let bad = env(&[("GIT_AUTHOR_DATE", "yesterday")]);
        let err = signature(&bad, "AUTHOR", Some("C"), Some("c@x"))
            .err()
            .unwrap();
        assert!(matches!(&err, GitError::BadDate { var, .. } if var == "GIT_AUTHOR_DATE"));
        let err = signature(&env(&[]), "AUTHOR", Some("A <b>"), Some("c@x"))
            .err()
            .unwrap();
        assert!(matches!(err, GitError::Git { .. }), "{err:?}");
    }

    #[test]
    fn git_dates_in_every_accepted_form() {
        let at = |s: &str| parse_git_date(s).map(|t| (t.timestamp(), t.offset().local_minus_utc()));
        assert_eq!(at("2026-02-22T18:30:00Z"), Some((1_771_785_000, 0)));
        assert_eq!(at("2026-02-22T19:30:00+01:00"), Some((1_771_785_000, 3600)));
        assert_eq!(at("@1700000000 +0000"), Some((1_700_000_000, 0)));
        assert_eq!(at("1700000000 -0230"), Some((1_700_000_000, -9000)));
        assert_eq!(at("@1700000000"), Some((1_700_000_000, 0)));
        for bad in [
            "", "@", "@x +0000", "@1 +000", "@1 0000", "@1 +0060", "@1 +00a0",
        ] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn config_files_are_the_ones_git_reads() {
        let tmp = tempfile::TempDir::new().unwrap();
        let file = |name: &str, user: &str| {
            let path = tmp.path().join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, format!("[user]\n\tname = {user}\n")).unwrap();
            path.to_str().unwrap().to_owned()
        };
        let system = file("system", "System");
        let home = tmp.path().join("home");
        file("home/.gitconfig", "Home");
        file("xdg/git/config", "Xdg");
        let global = file("global", "Global");
        let name = |vars: &[(&str, &str)]| {
            let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            global_user_name(&GitEnv::new(vars, now()))
        };
        let home = home.to_str().unwrap();
        let xdg_home = tmp.path().join("xdg");
        let xdg_home = xdg_home.to_str().unwrap();
        assert_eq!(
            name(&[("GIT_CONFIG_SYSTEM", &system)]).as_deref(),
            Some("System")
        );
        let no_system = [
            ("GIT_CONFIG_SYSTEM", system.as_str()),
            ("GIT_CONFIG_NOSYSTEM", "1"),
        ];
        assert_eq!(name(&no_system), None);
        assert_eq!(
            name(&[("GIT_CONFIG_NOSYSTEM", "1"), ("HOME", home)]).as_deref(),
            Some("Home")
        );
        // ~/.gitconfig wins over the XDG file, as in git.
        std::fs::write(tmp.path().join("home/.gitconfig"), "").unwrap();
        let vars = [
            ("GIT_CONFIG_NOSYSTEM", "1"),
            ("HOME", home),
            ("XDG_CONFIG_HOME", xdg_home),
        ];
        assert_eq!(name(&vars).as_deref(), Some("Xdg"));
        // GIT_CONFIG_GLOBAL replaces both.
        let vars = [
            ("GIT_CONFIG_NOSYSTEM", "true"),
            ("HOME", home),
            ("XDG_CONFIG_HOME", xdg_home),
            ("GIT_CONFIG_GLOBAL", global.as_str()),
        ];
        assert_eq!(name(&vars).as_deref(), Some("Global"));
    }

    #[test]
    fn config_answers_name_and_signing() {
        let fx = fx();
        assert_eq!(fx.repo.user_name().as_deref(), Some("Config Name"));
        let mut config = fx
            .repo
            .repo
            .config()
            .unwrap()
            .open_level(git2::ConfigLevel::Local)
            .unwrap();
        config.set_bool("commit.gpgsign", true).unwrap();
        assert!(fx.repo.wants_signing());
        config.set_bool("commit.gpgsign", false).unwrap();
        assert!(!fx.repo.wants_signing());
    }
}
