//! What every page shares: the frame, the context, page names, badges and dates.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use crate::ops::log::{History, Line, Revision};
use crate::ops::read::Found;
use crate::ops::workspace::Workspace;
use crate::page::forge::Forge;
use crate::record::texts::Note;
use crate::record::{LogRef, Record, Status};
use crate::time::parse_time;

/// The style sheet, served from the binary.
pub const CSS: &str = include_str!("xp.css");
/// The script that narrows the board as you type; the pages read fine without it.
pub const JS: &str = include_str!("xp.js");
/// The pages' Content-Security-Policy: only the page's own files, nothing inline.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The policy a static page carries in its `<meta>` tag: the same, without what a browser
/// ignores there (`frame-ancestors`, which only a header can say).
pub const CSP_META: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                            img-src 'self' data:; connect-src 'self'; form-action 'self'; \
                            base-uri 'none'";

/// The icon of every page, inline so that no request for it fails.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
                       viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' \
                       fill='%231d2330'/%3E%3Ctext x='16' y='22' font-family='sans-serif' \
                       font-size='15' font-weight='700' text-anchor='middle' \
                       fill='%23fff'%3Exp%3C/text%3E%3C/svg%3E";

/// Cards a board column shows before it links to the column's own pages.
pub const COLUMN_CARDS: usize = 50;
/// Cards on one page of a column's own view.
pub const PAGE_CARDS: usize = 200;

/// Where the pages live, which decides their links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain files: `index.html`, `e/<name>.html`, `<status>.html`; no forms.
    Static,
    /// Served: `/`, `/e/<name>`, `/?status=...`.
    Served,
}

/// What every page needs besides its records.
#[derive(Debug, Clone)]
pub struct Context {
    pub mode: Mode,
    /// Ages count to this moment: the newest log entry for the static site (so one commit
    /// gives the same bytes), the clock when served.
    pub as_of: Option<DateTime<Utc>>,
    pub forge: Option<Forge>,
    /// Served without `--read-only`, on a branch: the story shows its forms.
    pub writable: bool,
    /// Where the server's writes go, said in the header of served pages (None on the static
    /// site, whose bytes depend on the commit alone, and outside git).
    pub branch: Option<Branch>,
    /// On a team server (`xp serve --sync`): where the sync stands, in one line.
    pub sync: Option<SyncLine>,
    /// On a team server: the commits (full ids) the remote does not have yet.
    pub unpushed: Vec<String>,
    /// On a team server, on a story: the changes to this experiment kept aside because the
    /// remote set the same keys differently.
    pub parked: Vec<crate::ops::sync::Parked>,
    /// The search index the board's script loads on the first search, relative to the board
    /// (`assets/index.js` when not set; the static site names it by its content).
    pub index: Option<String>,
    /// The page names of every experiment, made once by a caller that makes many pages of
    /// the same experiments (the static site); made for each page when not set.
    pub names: Option<std::sync::Arc<Names>>,
}

/// Where a team server's sync stands, said in one line at the top of its pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncLine {
    pub text: String,
    pub level: SyncLevel,
}

/// How much a sync line asks for attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncLevel {
    /// In step with the remote (or fetching).
    Calm,
    /// Changes wait here: offline, refused, or not pushed yet.
    Waiting,
    /// A change was parked, or the server needs a person.
    Alarm,
}

impl SyncLine {
    /// The line for a sync worker's status, its last fetch counted to `now`.
    pub fn of(status: &crate::ops::syncer::Status, now: Option<DateTime<Utc>>) -> SyncLine {
        let mut text = crate::ops::syncer::line(status);
        if status.state == "ok" && status.ahead > 0 {
            text.push_str(&format!(
                "; {} change{} not yet pushed",
                status.ahead,
                if status.ahead == 1 { "" } else { "s" }
            ));
        }
        let fetched = status.last_fetch.as_deref().and_then(parse_time);
        if let (Some(at), Some(now)) = (fetched, now) {
            text.push_str(&format!(", fetched {} ago", duration_words(at, now)));
        }
        let level = if !status.parked.is_empty()
            || matches!(
                status.state.as_str(),
                "diverged-history" | "needs-attention"
            ) {
            SyncLevel::Alarm
        } else if status.ahead > 0 || !matches!(status.state.as_str(), "ok" | "fetching") {
            SyncLevel::Waiting
        } else {
            SyncLevel::Calm
        };
        SyncLine { text, level }
    }
}

/// Where a served page says writes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Branch {
    /// Commits land on this branch.
    Named(String),
    /// HEAD is detached: the server refuses writes.
    Detached,
}

impl Context {
    /// The context of this workspace's pages. Static pages have no forms, and count ages to the
    /// time [`as_of`] finds in the histories, which the site sets (so that one commit gives the
    /// same bytes); served ones count
    /// to the clock, say which branch writes go to, and have forms when `writable` and HEAD is
    /// on a branch.
    /// A page that knows nothing of a repository: no forge, no branch, no team server, no
    /// clock; what every other context starts from.
    pub fn bare(mode: Mode) -> Context {
        Context {
            mode,
            as_of: None,
            forge: None,
            writable: false,
            branch: None,
            sync: None,
            unpushed: Vec::new(),
            parked: Vec::new(),
            index: None,
            names: None,
        }
    }

    pub fn new(ws: &Workspace, mode: Mode, writable: bool) -> Context {
        let forge = ws
            .repo
            .as_ref()
            .and_then(|r| r.config_value("remote.origin.url"))
            .and_then(|url| Forge::from_remote(&url));
        match mode {
            // The site counts to the newest entry no wrong clock stamped: [`as_of`].
            Mode::Static => Context {
                forge,
                ..Context::bare(mode)
            },
            Mode::Served => {
                let branch = ws.repo.as_ref().and_then(|r| match r.branch() {
                    Ok(Some(name)) => Some(Branch::Named(name)),
                    Ok(None) => Some(Branch::Detached),
                    Err(_) => None,
                });
                Context {
                    as_of: Some(ws.env.now()),
                    forge,
                    writable: writable && branch != Some(Branch::Detached),
                    branch,
                    ..Context::bare(mode)
                }
            }
        }
    }
}

/// An experiment as the board shows it: its file's name, its record, and its decision log
/// (the record's own entries, or packed beside it where a server keeps many).
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub slug: &'a str,
    pub record: &'a Record,
    pub log: LogRef<'a>,
}

impl<'a> Item<'a> {
    /// The experiment as read, its log in its record.
    pub fn of(found: &'a Found) -> Item<'a> {
        Item {
            slug: &found.loaded.slug,
            record: &found.record,
            log: LogRef::Entries(&found.record.decision_log),
        }
    }

    /// When its log last changed: the newest entry's time, as written ("" without one).
    pub fn last_at(&self) -> &'a str {
        self.log.last().map_or("", |e| e.at)
    }
}

/// Page names for records: the slug when it is a safe, unique URL segment, else the id.
#[derive(Debug, Clone, Default)]
pub struct Names {
    by_id: HashMap<String, String>,
}

impl Names {
    /// Names for records in path order; a later record whose slug is taken gets its id.
    pub fn new(found: &[Item]) -> Names {
        let mut taken = std::collections::HashSet::new();
        let mut by_id = HashMap::new();
        for f in found {
            let slug = f.slug;
            let safe = !slug.is_empty()
                && slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            let name = if safe && !taken.contains(slug) && !is_status_page(slug) {
                slug.to_owned()
            } else {
                f.record.id.clone()
            };
            taken.insert(name.clone());
            by_id.insert(f.record.id.clone(), name);
        }
        Names { by_id }
    }

    /// The page name of the record with this id (the id itself when not named).
    pub fn of<'a>(&'a self, id: &'a str) -> &'a str {
        self.by_id.get(id).map_or(id, String::as_str)
    }
}

/// Whether a name would collide with a column page of the static site.
pub(super) fn is_status_page(name: &str) -> bool {
    Status::ALL.iter().any(|s| {
        name == s.as_str()
            || name
                .strip_prefix(s.as_str())
                .and_then(|r| r.strip_prefix('-'))
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
    }) || name == "index"
        || name == "assets"
}

/// What the static site counts ages to: the newest `at` of the log entries, leaving out those
/// stamped ahead of the commits that hold them (one wrong clock would make every card "3 years
/// ago"); without any other, the newest commit of the histories.
pub fn as_of(histories: &[History]) -> Option<DateTime<Utc>> {
    let mut as_of = AsOf::default();
    for h in histories {
        as_of.add(&h.lines, &h.revisions);
    }
    as_of.get()
}

/// [`as_of`] taken one history at a time, for a caller that does not keep them all.
#[derive(Debug, Default, Clone, Copy)]
pub struct AsOf {
    entries: Option<DateTime<Utc>>,
    commits: Option<DateTime<Utc>>,
}

impl AsOf {
    /// Counts one history's entries and revisions.
    pub fn add(&mut self, lines: &[Line], revisions: &[Revision]) {
        let entry = lines
            .iter()
            .filter(|l| !l.ahead(None))
            .filter_map(|l| parse_time(&l.entry.at))
            .max();
        let commit = revisions.iter().map(|r| r.time.with_timezone(&Utc)).max();
        self.entries = self.entries.max(entry);
        self.commits = self.commits.max(commit);
    }

    /// The time ages count to, as [`as_of`] gives it.
    pub fn get(&self) -> Option<DateTime<Utc>> {
        self.entries.or(self.commits)
    }
}

/// The frame of every page: head with the style sheet and script, header, main, footer.
pub(super) fn layout(
    title: &str,
    root: &str,
    ctx: &Context,
    scripts: &[&str],
    body: Markup,
) -> String {
    let home = match ctx.mode {
        Mode::Static => format!("{root}index.html"),
        Mode::Served => format!("{root}./"),
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if ctx.mode == Mode::Static {
                    meta http-equiv="Content-Security-Policy" content=(CSP_META);
                }
                meta name="referrer" content="no-referrer";
                title { (title) " · xp" }
                link rel="icon" href=(FAVICON);
                link rel="stylesheet" href={ (root) "assets/xp.css" };
                @for script in scripts {
                    script src={ (root) "assets/" (script) } defer {}
                }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href=(home) { span.logo aria-hidden="true" { "xp" } " Experiments" }
                    @match &ctx.branch {
                        Some(Branch::Named(name)) => {
                            span.branch { "Writes go to branch " code { (name) } }
                        }
                        Some(Branch::Detached) => {
                            span.branch.detached {
                                "HEAD is detached: writes are refused until a branch is checked out"
                            }
                        }
                        None => {}
                    }
                    @if let Some(sync) = &ctx.sync {
                        span class={ "sync sync-" (match sync.level {
                            SyncLevel::Calm => "calm",
                            SyncLevel::Waiting => "waiting",
                            SyncLevel::Alarm => "alarm",
                        }) } data-sync="" { (sync.text) }
                    }
                    @if let Some(as_of) = ctx.as_of {
                        @if ctx.mode == Mode::Static {
                            span.asof {
                                "As of "
                                time datetime=(as_of.format("%Y-%m-%dT%H:%M:%SZ")) {
                                    (as_of.format("%Y-%m-%d"))
                                }
                            }
                        }
                    }
                }
                main #main { (body) }
                footer.foot {
                    p { "Every change is a git commit of one file in " code { "experiments/" } "." }
                }
            }
        }
    };
    page.into_string()
}

/// A page that says what went wrong (an unknown experiment, a broken file), for the server;
/// `suggestions` are stories (page name, title) the reader may have meant.
pub fn problem(code: u16, message: &str, suggestions: &[(String, String)]) -> String {
    let ctx = Context::bare(Mode::Served);
    let title = if code == 404 {
        "Not found"
    } else {
        "Cannot show this"
    };
    let body = html! {
        nav.crumbs aria-label="Breadcrumb" { a href="/" { "← Board" } }
        div.empty {
            h1 { (title) }
            p { (message) }
            @if !suggestions.is_empty() {
                h2 { "Did you mean" }
                ul.suggestions {
                    @for (name, title) in suggestions {
                        li { a href={ "/e/" (name) } { (title) } " " code { (name) } }
                    }
                }
            }
            p { a href="/" { "Go to the board" } }
        }
    };
    layout(title, "/", &ctx, &[], body)
}

/// The sign-in form of a server guarded by a token, with what went wrong last (`said`), going
/// on to `next` (a path on this server).
pub fn sign_in(said: Option<&str>, next: &str) -> String {
    let ctx = Context::bare(Mode::Served);
    let body = html! {
        div.empty {
            h1 { "Sign in" }
            p { "This board is guarded by a token. Type it once; this browser remembers it for 30 days." }
            form.form method="post" action="/sign-in" {
                input type="hidden" name="next" value=(next);
                div.row {
                    label for="token" { "Token" }
                    input #token type="password" name="token" autocomplete="current-password"
                        required aria-describedby=[said.map(|_| "token-problem")];
                    @if let Some(said) = said {
                        p.problem #token-problem role="alert" { (said) }
                    }
                }
                div { button type="submit" { "Sign in" } }
            }
        }
    };
    layout("Sign in", "/", &ctx, &[], body)
}

/// How long from `from` to `to`, in words a person uses: "3 days", "5 hours".
pub fn duration_words(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let secs = (to - from).num_seconds().max(0);
    let (n, unit) = match secs {
        s if s < 60 => return "less than a minute".into(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 86_400 * 60 => (s / 86_400, "day"),
        s if s < 86_400 * 730 => (s / (86_400 * 30), "month"),
        s => (s / (86_400 * 365), "year"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// An age: "3 days ago", counted to `as_of`.
pub(super) fn age(at: &str, ctx: &Context) -> Option<String> {
    let at = parse_time(at)?;
    let as_of = ctx.as_of?;
    Some(format!("{} ago", duration_words(at, as_of)))
}

/// A number as people write it: `3.2`, `840`.
pub(super) fn number(x: f64) -> String {
    format!("{x}")
}

/// A status as a small coloured label.
pub(super) fn status_badge(status: Status) -> Markup {
    html! { span class={ "badge st-" (status.as_str()) } { (status.as_str()) } }
}

/// A status move a log entry records: `status: from -> to`, maybe `: why`.
pub(super) fn status_move(note: &str) -> Option<(Status, Status, Option<&str>)> {
    match Note::read(note) {
        Note::Moved { from, to, why } => Some((from, to, why)),
        _ => None,
    }
}

/// The board's columns, left to right.
pub const COLUMNS: [Status; 5] = [
    Status::Draft,
    Status::Running,
    Status::Completed,
    Status::Shipped,
    Status::Killed,
];

/// The text of a `<time>` element's `datetime` attribute and its shown date.
pub(super) fn time_el(at: &str) -> Markup {
    let shown = parse_time(at).map_or_else(
        || at.to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    html! { time datetime=(at) { (shown) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        let t = |s: &str| parse_time(s).unwrap_or_default();
        let from = t("2026-02-20T10:00:00Z");
        assert_eq!(
            duration_words(from, t("2026-02-20T10:00:30Z")),
            "less than a minute"
        );
        assert_eq!(duration_words(from, t("2026-02-20T11:00:00Z")), "1 hour");
        assert_eq!(duration_words(from, t("2026-02-23T10:00:00Z")), "3 days");
        assert_eq!(duration_words(from, t("2026-08-20T10:00:00Z")), "6 months");
        assert_eq!(
            duration_words(from, t("2019-02-20T10:00:00Z")),
            "less than a minute"
        );
    }

    /// The contrast of two `#rrggbb` colours, as WCAG 2 computes it.
    fn contrast(a: &str, b: &str) -> f64 {
        let lum = |hex: &str| {
            let c: Vec<f64> = (0..3)
                .map(|i| {
                    let v =
                        f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap_or(0))
                            / 255.0;
                    if v <= 0.039_28 {
                        v / 12.92
                    } else {
                        ((v + 0.055) / 1.055).powf(2.4)
                    }
                })
                .collect();
            0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// Every badge's text on its background, and the muted text on the page, reads at 4.5:1 at
    /// least, in the light and the dark scheme.
    #[test]
    fn badges_and_muted_text_have_enough_contrast() {
        let dark_at = CSS.find("prefers-color-scheme: dark").unwrap_or(CSS.len());
        for scheme in [&CSS[..dark_at], &CSS[dark_at..]] {
            let var = |name: &str| -> &str {
                let at = scheme
                    .find(&format!("--{name}:"))
                    .unwrap_or_else(|| panic!("--{name}"));
                let rest = scheme[at..]
                    .split(':')
                    .nth(1)
                    .unwrap_or_default()
                    .trim_start();
                &rest[..7]
            };
            let mut pairs: Vec<(String, String)> = COLUMNS
                .iter()
                .map(|s| (s.as_str().to_owned(), format!("{}-bg", s.as_str())))
                .collect();
            pairs.extend([
                ("muted".to_owned(), "bg".to_owned()),
                ("muted".to_owned(), "panel".to_owned()),
                ("amber".to_owned(), "amber-bg".to_owned()),
            ]);
            for (fg, bg) in pairs {
                let ratio = contrast(var(&fg), var(&bg));
                assert!(ratio >= 4.5, "--{fg} on --{bg}: {ratio:.2}:1");
            }
        }
    }

    #[test]
    fn column_page_names_are_kept_for_columns() {
        assert!(is_status_page("shipped"));
        assert!(is_status_page("shipped-2"));
        assert!(!is_status_page("shipped-cta"));
        assert!(is_status_page("index"));
    }
}
