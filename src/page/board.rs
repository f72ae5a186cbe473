//! The board: experiments as cards in one column per status, with filters that narrow it and
//! long columns cut to their first cards, linking to the column's own pages.

use maud::{Markup, html};
use serde::Serialize;

use super::layout::{COLUMN_CARDS, COLUMNS, Context, Mode, Names, PAGE_CARDS, age, layout, number};
use crate::ops::read::Found;
use crate::record::{Decision, Status};

/// What the board shows: the filters of its form, and which column page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Words that must all appear in the card's text (any case).
    pub q: String,
    /// One status: the column's own view, paginated.
    pub status: Option<Status>,
    pub tag: String,
    pub owner: String,
    pub decision: Option<Decision>,
    pub metric: String,
    /// The page of a column's own view, from 1.
    pub page: usize,
}

impl Query {
    /// The query of a URL's parameters; unknown parameters and values are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Query {
        let mut query = Query {
            page: 1,
            ..Query::default()
        };
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "q" => query.q = value.chars().take(200).collect(),
                "status" => query.status = Status::parse(value),
                "tag" => query.tag = value.chars().take(200).collect(),
                "owner" => query.owner = value.chars().take(200).collect(),
                "decision" => query.decision = Decision::parse(value),
                "metric" => query.metric = value.chars().take(200).collect(),
                "page" => query.page = value.parse().unwrap_or(1).max(1),
                _ => {}
            }
        }
        query
    }

    /// Whether the record's card passes every filter but the status.
    fn keeps(&self, f: &Found) -> bool {
        let r = &f.record;
        let text = search_text(f);
        self.q
            .split_whitespace()
            .all(|w| text.contains(&w.to_lowercase()))
            && (self.tag.is_empty() || r.has_tag(&self.tag))
            && (self.owner.is_empty()
                || r.owner
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(&self.owner)))
            && self.decision.is_none_or(|d| r.decision == Some(d))
            && (self.metric.is_empty() || r.primary_metric == self.metric)
    }

    /// The filters as URL parameters (status and page left out), `&`-separated, or empty.
    fn filters(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", self.q.as_str()),
            ("tag", &self.tag),
            ("owner", &self.owner),
            ("decision", self.decision.map_or("", Decision::as_str)),
            ("metric", &self.metric),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        }
        parts.join("&")
    }
}

/// A query parameter's value percent-encoded.
fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What the search box looks through: title, hypothesis, metric, owner, tags, decision,
/// learning, name; lower case.
fn search_text(f: &Found) -> String {
    let r = &f.record;
    let mut text = vec![
        r.title.as_str(),
        &r.hypothesis,
        &r.primary_metric,
        &f.loaded.slug,
        r.status.as_str(),
    ];
    text.extend(r.owner.as_deref());
    text.extend(r.learning.as_deref());
    text.extend(r.decision.map(Decision::as_str));
    text.extend(r.tags.iter().flatten().map(String::as_str));
    text.join(" ").to_lowercase()
}

/// The records of one column, most recent activity first, then in path order.
fn column<'a>(found: &'a [Found], status: Status, query: &Query) -> Vec<&'a Found> {
    let mut cards: Vec<&Found> = found
        .iter()
        .filter(|f| f.record.status == status && query.keeps(f))
        .collect();
    cards.sort_by(|a, b| last_at(b).cmp(last_at(a)));
    cards
}

fn last_at(f: &Found) -> &str {
    f.record.decision_log.last().map_or("", |e| e.at.as_str())
}

/// How many pages the column's own view of `status` has (at least one).
pub fn column_count(found: &[Found], status: Status) -> usize {
    let n = found.iter().filter(|f| f.record.status == status).count();
    n.div_ceil(PAGE_CARDS).max(1)
}

/// Where a story lives, from the board's pages.
fn story_href(name: &str, ctx: &Context) -> String {
    match ctx.mode {
        Mode::Static => format!("e/{name}.html"),
        Mode::Served => format!("e/{name}"),
    }
}

/// Where a column's own view (page `page`) lives, with the filters kept.
fn column_href(status: Status, page: usize, query: &Query, ctx: &Context) -> String {
    let filters = query.filters();
    match ctx.mode {
        Mode::Static => {
            let file = if page <= 1 {
                format!("{}.html", status.as_str())
            } else {
                format!("{}-{page}.html", status.as_str())
            };
            if filters.is_empty() {
                file
            } else {
                format!("{file}?{filters}")
            }
        }
        Mode::Served => {
            let mut href = format!("./?status={}", status.as_str());
            if page > 1 {
                href.push_str(&format!("&page={page}"));
            }
            if !filters.is_empty() {
                href.push('&');
                href.push_str(&filters);
            }
            href
        }
    }
}

/// The board page: every column, or one column's own view when the query names a status.
pub fn board(found: &[Found], broken: usize, query: &Query, ctx: &Context) -> String {
    let names = Names::new(found);
    let body = html! {
        h1.visually-hidden { "Experiments board" }
        (filters(found, query, ctx))
        @if broken > 0 {
            p.notice role="status" {
                (broken) " experiment file" (if broken == 1 { "" } else { "s" })
                " break" (if broken == 1 { "s" } else { "" })
                " rules and " (if broken == 1 { "is" } else { "are" }) " not shown: run "
                code { "xp check" } " to see why."
            }
        }
        @if found.is_empty() {
            div.empty {
                h2 { "No experiments yet" }
                p { "Create one with " code { "xp new --title … --hypothesis … --metric … --baseline … --target …" } "." }
            }
        } @else if let Some(status) = query.status {
            (column_page(found, &names, status, query, ctx))
        } @else {
            div.board data-board="" {
                @for status in COLUMNS {
                    (board_column(found, &names, status, query, ctx))
                }
            }
        }
    };
    let title = match query.status {
        Some(s) => format!("{} experiments", capital(s.as_str())),
        None => "Board".into(),
    };
    layout(&title, "", ctx, &["xp.js"], body)
}

fn capital(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// One column of the board: its first cards and a link to the rest.
fn board_column(
    found: &[Found],
    names: &Names,
    status: Status,
    query: &Query,
    ctx: &Context,
) -> Markup {
    let cards = column(found, status, query);
    let total = cards.len();
    let shown = &cards[..total.min(COLUMN_CARDS)];
    let heading = html! {
        h2.col-title {
            (super::layout::status_badge(status))
            span.count data-count="" aria-label={ (total) " experiments" } { (total) }
        }
    };
    let list = html! {
        ol.cards data-cards="" {
            @for f in shown { li { (card(f, names, ctx)) } }
        }
        p.col-empty data-empty="" hidden[total > 0] { "None" }
        p.more data-more="" hidden[total <= COLUMN_CARDS] {
            a href=(column_href(status, 1, query, ctx)) {
                "All " (total) " " (status.as_str()) " →"
            }
        }
    };
    let collapsible = matches!(status, Status::Killed | Status::Shipped);
    html! {
        section class={ "column col-" (status.as_str()) } data-col=(status.as_str())
            aria-label=(status.as_str()) {
            @if collapsible {
                details open[total <= 6] {
                    summary { (heading) }
                    (list)
                }
            } @else {
                (heading)
                (list)
            }
        }
    }
}

/// A column's own view: one page of its cards and links to the other pages.
fn column_page(
    found: &[Found],
    names: &Names,
    status: Status,
    query: &Query,
    ctx: &Context,
) -> Markup {
    let cards = column(found, status, query);
    let pages = cards.len().div_ceil(PAGE_CARDS).max(1);
    let page = query.page.min(pages);
    let from = (page - 1) * PAGE_CARDS;
    let shown = &cards[from.min(cards.len())..(from + PAGE_CARDS).min(cards.len())];
    let board_href = match ctx.mode {
        Mode::Static => "index.html".to_owned(),
        Mode::Served => {
            let f = query.filters();
            if f.is_empty() {
                "./".into()
            } else {
                format!("./?{f}")
            }
        }
    };
    html! {
        nav.crumbs aria-label="Breadcrumb" { a href=(board_href) { "← Board" } }
        section class={ "column single col-" (status.as_str()) } data-col=(status.as_str())
            data-limit=(PAGE_CARDS) aria-label=(status.as_str()) {
            h2.col-title {
                (super::layout::status_badge(status))
                span.count data-count="" { (cards.len()) }
            }
            ol.cards.grid data-cards="" {
                @for f in shown { li { (card(f, names, ctx)) } }
            }
            p.col-empty data-empty="" hidden[!cards.is_empty()] { "None" }
            @if pages > 1 {
                nav.pager aria-label="Pages" data-more="" {
                    @if page > 1 {
                        a rel="prev" href=(column_href(status, page - 1, query, ctx)) { "← Newer" }
                    }
                    span { "Page " (page) " of " (pages) }
                    @if page < pages {
                        a rel="next" href=(column_href(status, page + 1, query, ctx)) { "Older →" }
                    }
                }
            }
        }
    }
}

/// One experiment's card.
fn card(f: &Found, names: &Names, ctx: &Context) -> Markup {
    let r = &f.record;
    let arrow = if r.direction() == crate::record::Direction::Decrease {
        "↘"
    } else {
        "↗"
    };
    html! {
        article.card {
            h3 { a href=(story_href(names.of(&r.id), ctx)) { (r.title) } }
            p.metric {
                code { (r.primary_metric) }
                " " span.nums { (number(r.baseline)) " " span aria-hidden="true" { (arrow) } span.visually-hidden { "to" } " " (number(r.target)) }
            }
            dl.facts {
                div { dt { "Confidence" } dd { (r.confidence) "%" } }
                @if let Some(chance) = r.evidence().and_then(|e| e.chance_to_beat_control) {
                    div { dt { "Chance to win" } dd { (crate::record::derived::share_text(chance)) } }
                }
                div { dt { "Decision" } dd { @match r.decision { Some(d) => span class={ "dec dec-" (d.as_str()) } { (d.as_str()) }, None => span.muted { "none" } } } }
                @if let Some(owner) = &r.owner { div { dt { "Owner" } dd { (owner) } } }
            }
            @if let Some(tags) = r.tags.as_ref().filter(|t| !t.is_empty()) {
                ul.tags aria-label="Tags" { @for t in tags { li { (t) } } }
            }
            @if let Some(last) = r.decision_log.last() {
                p.last {
                    @match super::layout::status_move(&last.note) {
                        Some((from, to, why)) => span.note {
                            "Moved " (from.as_str()) " → " strong { (to.as_str()) }
                            @if let Some(why) = why { ": " (why) }
                        },
                        None => span.note { (last.note) },
                    }
                    " "
                    span.by {
                        @if let Some(who) = &last.who { (who) " · " }
                        @match age(&last.at, ctx) {
                            Some(a) => time datetime=(last.at) { (a) },
                            None => time datetime=(last.at) { (last.at.get(..10).unwrap_or(&last.at)) },
                        }
                    }
                }
            }
        }
    }
}

/// The filter bar: a GET form when served; in the static site, controls the script shows.
fn filters(found: &[Found], query: &Query, ctx: &Context) -> Markup {
    let distinct = |get: &dyn Fn(&Found) -> Vec<String>| {
        let mut all: Vec<String> = found.iter().flat_map(get).collect();
        all.sort();
        all.dedup();
        all.truncate(300);
        all
    };
    let tags = distinct(&|f| f.record.tags.clone().unwrap_or_default());
    let owners = distinct(&|f| f.record.owner.clone().into_iter().collect());
    let metrics = distinct(&|f| vec![f.record.primary_metric.clone()]);
    let action = match ctx.mode {
        Mode::Static => None,
        Mode::Served => Some("./"),
    };
    html! {
        form.filters role="search" method="get" action=[action] data-filters="" data-index="assets/index.js"
            hidden[ctx.mode == Mode::Static] {
            div.field.grow {
                label for="f-q" { "Search" }
                input #f-q type="search" name="q" value=(query.q) placeholder="Title, hypothesis, metric…" autocomplete="off";
            }
            div.field {
                label for="f-status" { "Status" }
                select #f-status name="status" {
                    option value="" { "Any" }
                    @for s in Status::ALL {
                        option value=(s.as_str()) selected[query.status == Some(s)] { (s.as_str()) }
                    }
                }
            }
            div.field {
                label for="f-decision" { "Decision" }
                select #f-decision name="decision" {
                    option value="" { "Any" }
                    @for d in Decision::ALL {
                        option value=(d.as_str()) selected[query.decision == Some(d)] { (d.as_str()) }
                    }
                }
            }
            div.field {
                label for="f-tag" { "Tag" }
                input #f-tag name="tag" list="l-tag" value=(query.tag) autocomplete="off";
                datalist #l-tag { @for t in &tags { option value=(t) {} } }
            }
            div.field {
                label for="f-owner" { "Owner" }
                input #f-owner name="owner" list="l-owner" value=(query.owner) autocomplete="off";
                datalist #l-owner { @for o in &owners { option value=(o) {} } }
            }
            div.field {
                label for="f-metric" { "Metric" }
                input #f-metric name="metric" list="l-metric" value=(query.metric) autocomplete="off";
                datalist #l-metric { @for m in &metrics { option value=(m) {} } }
            }
            div.actions {
                @if ctx.mode == Mode::Served {
                    button type="submit" { "Filter" }
                    a.clear href="./" { "Clear" }
                } @else {
                    button type="reset" data-clear="" { "Clear" }
                }
            }
            p.visually-hidden aria-live="polite" data-live="" {}
        }
    }
}

/// One card in the search index the script filters.
#[derive(Serialize)]
struct IndexEntry<'a> {
    /// The card's HTML, escaped as on the page.
    h: String,
    s: &'a str,
    k: String,
    t: &'a [String],
    o: &'a str,
    d: &'a str,
    m: &'a str,
}

/// `assets/index.js`: every card with what the filters look at, in board order, as a
/// script (a script loads from `file://`, where `fetch` of a JSON file does not).
pub fn index_js(found: &[Found], ctx: &Context) -> String {
    let names = Names::new(found);
    let all = Query::default();
    let entries: Vec<IndexEntry> = COLUMNS
        .into_iter()
        .flat_map(|s| column(found, s, &all))
        .map(|f| IndexEntry {
            h: card(f, &names, ctx).into_string(),
            s: f.record.status.as_str(),
            k: search_text(f),
            t: f.record.tags.as_deref().unwrap_or_default(),
            o: f.record.owner.as_deref().unwrap_or_default(),
            d: f.record.decision.map_or("", Decision::as_str),
            m: &f.record.primary_metric,
        })
        .collect();
    let json = serde_json::to_string(&entries).unwrap_or_else(|_| "[]".into());
    format!("window.XP_INDEX = {json};\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_read_what_they_know_and_ignore_the_rest() {
        let q = Query::from_pairs([
            ("q", " cta "),
            ("status", "shipped"),
            ("decision", "bogus"),
            ("page", "x"),
            ("evil", "<script>"),
        ]);
        assert_eq!(q.q, "cta");
        assert_eq!(q.status, Some(Status::Shipped));
        assert_eq!(q.decision, None);
        assert_eq!(q.page, 1);
    }

    #[test]
    fn filters_round_trip_as_parameters() {
        let q = Query {
            q: "green & blue".into(),
            tag: "ä".into(),
            ..Query::default()
        };
        assert_eq!(q.filters(), "q=green+%26+blue&tag=%C3%A4");
    }
}
