//! Links to a record's file and commits on GitHub or GitLab, from `remote.origin.url`.

/// A repository on a forge whose pages can be linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forge {
    kind: Kind,
    /// `https://host/owner/repo`.
    base: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    GitHub,
    GitLab,
}

impl Forge {
    /// The forge of a remote URL in ssh (`git@host:owner/repo.git`, `ssh://git@host/...`) or
    /// https form, when its host is GitHub's or GitLab's; anything else gives no links.
    pub fn from_remote(url: &str) -> Option<Forge> {
        let url = url.trim();
        let (host, path) = if let Some(rest) = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .or_else(|| url.strip_prefix("ssh://"))
            .or_else(|| url.strip_prefix("git+ssh://"))
        {
            let (authority, path) = rest.split_once('/')?;
            let host = authority.rsplit('@').next()?;
            (host.split(':').next()?, path)
        } else {
            // scp-like: [user@]host:path
            let (authority, path) = url.split_once(':')?;
            if authority.contains('/') {
                return None;
            }
            (authority.rsplit('@').next()?, path)
        };
        let host = host.to_ascii_lowercase();
        let kind = if host == "github.com" || host.starts_with("github.") {
            Kind::GitHub
        } else if host == "gitlab.com" || host.starts_with("gitlab.") {
            Kind::GitLab
        } else {
            return None;
        };
        let safe_host = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let parts: Vec<&str> = path.split('/').collect();
        let safe_parts = parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        });
        let count_ok = match kind {
            Kind::GitHub => parts.len() == 2,
            Kind::GitLab => parts.len() >= 2,
        };
        (safe_host && safe_parts && count_ok).then(|| Forge {
            kind,
            base: format!("https://{host}/{}", parts.join("/")),
        })
    }

    /// The page of one commit.
    pub fn commit(&self, id: &str) -> String {
        match self.kind {
            Kind::GitHub => format!("{}/commit/{id}", self.base),
            Kind::GitLab => format!("{}/-/commit/{id}", self.base),
        }
    }

    /// A file as it was at a commit; `path` is relative to the work tree.
    pub fn file(&self, id: &str, path: &str) -> String {
        let path: Vec<String> = path.split('/').map(encode).collect();
        match self.kind {
            Kind::GitHub => format!("{}/blob/{id}/{}", self.base, path.join("/")),
            Kind::GitLab => format!("{}/-/blob/{id}/{}", self.base, path.join("/")),
        }
    }
}

/// A path segment percent-encoded for a URL.
fn encode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_and_gitlab_remotes_in_ssh_and_https_form() {
        let base = |u: &str| Forge::from_remote(u).map(|f| f.commit("abc"));
        let gh = Some("https://github.com/acme/growth/commit/abc".to_owned());
        assert_eq!(base("git@github.com:acme/growth.git"), gh);
        assert_eq!(base("ssh://git@github.com/acme/growth.git"), gh);
        assert_eq!(base("https://github.com/acme/growth"), gh);
        assert_eq!(base("https://token@github.com/acme/growth.git/"), gh);
        assert_eq!(
            base("git@gitlab.com:acme/web/growth.git"),
            Some("https://gitlab.com/acme/web/growth/-/commit/abc".to_owned())
        );
        assert_eq!(
            base("ssh://git@git.example.org:2222/acme/growth.git"),
            None,
            "a host that is neither GitHub's nor GitLab's"
        );
        assert_eq!(
            base("ssh://git@gitlab.acme.org:2222/team/growth.git"),
            Some("https://gitlab.acme.org/team/growth/-/commit/abc".to_owned())
        );
        assert_eq!(base("/srv/git/growth.git"), None);
        assert_eq!(base("https://github.com/acme/../x"), None);
        assert_eq!(base("https://github.com/acme/x\"onclick"), None);
    }

    #[test]
    fn file_links_encode_the_path() {
        let f = Forge::from_remote("git@github.com:acme/growth.git");
        assert_eq!(
            f.map(|f| f.file("abc", "experiments/a b.yaml")),
            Some("https://github.com/acme/growth/blob/abc/experiments/a%20b.yaml".to_owned())
        );
    }
}
