//! The board: experiments as cards in one column per status, with filters that narrow it and
//! long columns cut to their first cards, linking to the column's own pages.

use maud::{Markup, html};
use serde::Serialize;

use super::layout::{
    COLUMN_CARDS, COLUMNS, Context, Item, Mode, Names, PAGE_CARDS, age, layout, number,
    status_badge,
};
use super::result::result_line;
use crate::learn::search::{self, Excerpt};
use crate::record::{Decision, Status};

/// What the board shows: the filters of its form, and which column page.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Words that must all appear in the card's text (any case).
    pub q: String,
    /// One status: the column's own view, paginated.
    pub status: Option<Status>,
    pub tag: String,
    pub owner: String,
    pub decision: Option<Decision>,
    pub metric: String,
    /// The page of a column's own view or of the table, from 1.
    pub page: usize,
    /// Cards or table; `None`: the table for a status or a large board, else the cards.
    pub view: Option<View>,
    /// The table's order; `None`: most recent activity first.
    pub sort: Option<Sort>,
    /// The table's direction (`dir=asc|desc`); `None`: the column's natural one.
    pub descending: Option<bool>,
    /// What the words of `q` found, once [`Query::searched`] looked.
    pub matched: Option<std::sync::Arc<Matched>>,
}

/// The experiments the search words find, as `xp search` ranks them (BM25 over the record's
/// texts), then those whose owner, name, status or decision hold every word, with where each
/// matched.
#[derive(Debug, Default)]
pub struct Matched {
    /// By record id: the place in the ranking and the excerpt that matched.
    by_id: std::collections::HashMap<String, (usize, Option<Excerpt>)>,
    /// The query's terms (word stems), to mark in titles.
    terms: Vec<String>,
}

impl Matched {
    fn new(found: &[Item], q: &str) -> Matched {
        let records: Vec<_> = found.iter().map(|f| (f.record, f.log)).collect();
        let mut by_id = std::collections::HashMap::new();
        for (rank, hit) in search::search_in(&records, q, usize::MAX)
            .into_iter()
            .enumerate()
        {
            if let Some(f) = found.get(hit.index) {
                by_id.insert(f.record.id.clone(), (rank, Some(hit.excerpt)));
            }
        }
        let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
        let mut rank = by_id.len();
        for f in found {
            if by_id.contains_key(&f.record.id) || words.is_empty() {
                continue;
            }
            let r = &f.record;
            let text = [
                r.owner.as_deref().unwrap_or_default(),
                f.slug,
                &r.id,
                r.status.as_str(),
                r.decision.map_or("", Decision::as_str),
            ]
            .join(" ")
            .to_lowercase();
            if words.iter().all(|w| text.contains(w.as_str())) {
                by_id.insert(f.record.id.clone(), (rank, None));
                rank += 1;
            }
        }
        let mut terms = search::Terms::default();
        let (terms, _) = search::query_terms(q, &mut terms);
        Matched { by_id, terms }
    }

    fn rank(&self, f: &Item) -> usize {
        self.by_id.get(&f.record.id).map_or(usize::MAX, |(r, _)| *r)
    }
}

/// How the board shows its experiments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// One column of cards per status.
    Cards,
    /// One line per experiment, sortable, with status tabs.
    Table,
}

impl View {
    pub fn as_str(self) -> &'static str {
        match self {
            View::Cards => "cards",
            View::Table => "table",
        }
    }
}

/// A column of the table to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Title,
    Status,
    Owner,
    Metric,
    Result,
    Updated,
}

impl Sort {
    const ALL: [Sort; 6] = [
        Sort::Title,
        Sort::Status,
        Sort::Owner,
        Sort::Metric,
        Sort::Result,
        Sort::Updated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Title => "title",
            Sort::Status => "status",
            Sort::Owner => "owner",
            Sort::Metric => "metric",
            Sort::Result => "result",
            Sort::Updated => "updated",
        }
    }

    fn parse(text: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn heading(self) -> &'static str {
        match self {
            Sort::Title => "Experiment",
            Sort::Status => "Status",
            Sort::Owner => "Owner",
            Sort::Metric => "Metric",
            Sort::Result => "Result",
            Sort::Updated => "Updated",
        }
    }

    /// Whether the column reads best from the largest down (the newest, the best lift).
    fn descending(self) -> bool {
        matches!(self, Sort::Result | Sort::Updated)
    }
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
                "view" => {
                    query.view = match value {
                        "cards" => Some(View::Cards),
                        "table" => Some(View::Table),
                        _ => None,
                    }
                }
                "sort" => query.sort = Sort::parse(value),
                "dir" => {
                    query.descending = match value {
                        "asc" => Some(false),
                        "desc" => Some(true),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        query
    }

    /// The query with what its words find among `found` (nothing to find without words).
    pub fn searched(&self, found: &[Item]) -> Query {
        let mut query = self.clone();
        query.matched =
            (!self.q.trim().is_empty()).then(|| std::sync::Arc::new(Matched::new(found, &self.q)));
        query
    }

    /// Whether the record's card passes every filter but the status.
    fn keeps(&self, f: &Item) -> bool {
        if let Some(m) = &self.matched
            && !m.by_id.contains_key(&f.record.id)
        {
            return false;
        }
        let r = &f.record;
        // The card's text is made only when there are words to look for.
        let words = || {
            let text = search_text(f);
            self.q
                .split_whitespace()
                .all(|w| text.contains(&w.to_lowercase()))
        };
        (self.q.trim().is_empty() || self.matched.is_some() || words())
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

impl Query {
    /// This query's URL on the server: `./?` with every parameter that is set.
    fn served_href(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = self.view {
            parts.push(format!("view={}", v.as_str()));
        }
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.as_str()));
        }
        if let Some(s) = self.sort {
            parts.push(format!("sort={}", s.as_str()));
        }
        if let Some(d) = self.descending {
            parts.push(format!("dir={}", if d { "desc" } else { "asc" }));
        }
        let filters = self.filters();
        if !filters.is_empty() {
            parts.push(filters);
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() {
            "./".into()
        } else {
            format!("./?{}", parts.join("&"))
        }
    }

    /// This query's page of the table in the static site (sorted by the last update; the
    /// filters for the script after `?`).
    fn static_table_href(&self) -> String {
        let stem = self.status.map_or("table", Status::as_str);
        let file = if self.page <= 1 {
            format!("{stem}.html")
        } else {
            format!("{stem}-{}.html", self.page)
        };
        let filters = self.filters();
        if filters.is_empty() {
            file
        } else {
            format!("{file}?{filters}")
        }
    }

    /// The view this query shows of a board of `count` experiments.
    pub fn view_of(&self, count: usize) -> View {
        self.view
            .unwrap_or(if self.status.is_some() || count > TABLE_FROM {
                View::Table
            } else {
                View::Cards
            })
    }
}

/// From how many experiments the board opens as a table rather than cards.
pub const TABLE_FROM: usize = 60;

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
fn search_text(f: &Item) -> String {
    let r = &f.record;
    let mut text = vec![
        r.title.as_str(),
        &r.hypothesis,
        &r.primary_metric,
        &f.slug,
        r.status.as_str(),
    ];
    text.extend(r.owner.as_deref());
    text.extend(r.learning.as_deref());
    text.extend(r.decision.map(Decision::as_str));
    text.extend(r.tags.iter().flatten().map(String::as_str));
    text.join(" ").to_lowercase()
}

/// The records of one column, most recent activity first, then in path order.
fn column<'a>(found: &'a [Item<'a>], status: Status, query: &Query) -> Vec<&'a Item<'a>> {
    let mut cards: Vec<&Item> = found
        .iter()
        .filter(|f| f.record.status == status && query.keeps(f))
        .collect();
    match &query.matched {
        Some(m) => cards.sort_by_key(|f| m.rank(f)),
        None => cards.sort_by(|a, b| b.last_at().cmp(a.last_at())),
    }
    cards
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
            let mut href = format!("./?view=cards&status={}", status.as_str());
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

/// The board page: the table, every column of cards, or one column's own view.
pub fn board(found: &[Item], broken: usize, query: &Query, ctx: &Context) -> String {
    let names = names_of(found, ctx);
    let names = &*names;
    let query = &query.searched(found);
    let view = query.view_of(found.len());
    let body = html! {
        h1.visually-hidden { "Experiments board" }
        (filters(found, query, view, ctx))
        @if query.matched.is_some() {
            (match_count(found, query))
        } @else if ctx.mode == Mode::Static {
            // The count of a search in the static site, which the script fills.
            p.matches data-shown="" hidden {}
        }
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
                p { "Create one with " code { "xp new --title … --hypothesis … --metric … --baseline … --target …" } ", or try " code { "xp demo" } "." }
            }
        } @else if view == View::Table {
            (view_toggle(view, query, ctx))
            (table_view(found, names, query, ctx))
        } @else if let Some(status) = query.status {
            (view_toggle(view, query, ctx))
            (column_page(found, names, status, query, ctx))
        } @else {
            (view_toggle(view, query, ctx))
            div.board data-board="" {
                @for status in COLUMNS {
                    (board_column(found, names, status, query, ctx))
                }
            }
        }
    };
    let title = match query.status {
        Some(s) => format!("{} experiments", capital(s.as_str())),
        None if view == View::Table => "Experiments".into(),
        None => "Board".into(),
    };
    layout(&title, "", ctx, &["xp.js"], body)
}

/// How many experiments the search finds (with the other filters), or that none does.
fn match_count(found: &[Item], query: &Query) -> Markup {
    let n = found
        .iter()
        .filter(|f| query.keeps(f) && query.status.is_none_or(|s| f.record.status == s))
        .count();
    html! {
        p.matches role="status" data-matches="" {
            @if n == 0 {
                "Nothing matches \u{201c}" (query.q) "\u{201d}. Search looks through titles, "
                "hypotheses, metrics, tags, learnings and notes; try fewer or other words, or "
                a href="./" { "see every experiment" } "."
            } @else {
                strong { (n) } " experiment" (if n == 1 { " matches" } else { "s match" })
                " \u{201c}" (query.q) "\u{201d}, best match first"
            }
        }
    }
}

/// `text` with the words whose stem is one of `terms` marked; all of it escaped.
fn marked(text: &str, terms: &[String]) -> Markup {
    let mut stems = search::Terms::default();
    let mut pieces: Vec<(&str, bool)> = Vec::new();
    let mut at = 0;
    for (range, word) in search::words(text) {
        if terms.iter().any(|t| t == stems.term(word)) {
            pieces.push((&text[at..range.start], false));
            pieces.push((word, true));
            at = range.end;
        }
    }
    pieces.push((&text[at..], false));
    html! {
        @for (piece, hit) in pieces {
            @if hit { mark { (piece) } } @else { (piece) }
        }
    }
}

/// Where a search found an experiment, its words marked: "note: …half of <mark>EU</mark>…".
fn excerpt_line(f: &Item, query: &Query) -> Option<Markup> {
    let m = query.matched.as_ref()?;
    let (_, Some(e)) = m.by_id.get(&f.record.id)? else {
        return None;
    };
    if e.place == search::Place::Title {
        return None;
    }
    let mut pieces: Vec<(&str, bool)> = Vec::new();
    let mut at = 0;
    for r in &e.marks {
        if r.start >= at {
            pieces.push((e.text.get(at..r.start).unwrap_or_default(), false));
            pieces.push((e.text.get(r.clone()).unwrap_or_default(), true));
            at = r.end;
        }
    }
    pieces.push((e.text.get(at..).unwrap_or_default(), false));
    Some(html! {
        p.excerpt {
            span.place { (e.place.as_str()) ": " }
            @for (piece, hit) in pieces {
                @if hit { mark { (piece) } } @else { (piece) }
            }
        }
    })
}

/// A title, its matched words marked while searching.
fn title_text(f: &Item, query: &Query) -> Markup {
    match &query.matched {
        Some(m) => marked(&f.record.title, &m.terms),
        None => html! { (f.record.title) },
    }
}

/// Links between the two views, the current one marked.
fn view_toggle(view: View, query: &Query, ctx: &Context) -> Markup {
    let href = |v: View| match ctx.mode {
        Mode::Static => format!("{}.html", v.as_str()),
        Mode::Served => Query {
            view: Some(v),
            status: None,
            page: 1,
            sort: None,
            descending: None,
            ..query.clone()
        }
        .served_href(),
    };
    html! {
        nav.views aria-label="View" {
            @for v in [View::Table, View::Cards] {
                a href=(href(v)) aria-current=[(v == view).then_some("page")] {
                    @if v == View::Table { "Table" } @else { "Cards" }
                }
            }
        }
    }
}

/// How many pages the table of `status` (all experiments for `None`) has, at least one.
pub fn table_count(found: &[Item], status: Option<Status>) -> usize {
    let n = found
        .iter()
        .filter(|f| status.is_none_or(|s| f.record.status == s))
        .count();
    n.div_ceil(PAGE_CARDS).max(1)
}

/// The rows in the order asked for, ties most recent first, then in path order.
fn sort_rows(rows: &mut [&Item], sort: Sort, descending: bool) {
    use std::cmp::Ordering;
    let flip = |o: Ordering| if descending { o.reverse() } else { o };
    // Rows without a value come last in either direction.
    let last_none = |a: Option<Ordering>, a_some: bool, b_some: bool| match (a_some, b_some) {
        (true, true) => flip(a.unwrap_or(Ordering::Equal)),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => Ordering::Equal,
    };
    let rank = |s: Status| COLUMNS.iter().position(|c| *c == s).unwrap_or(0);
    // A lift that is better for the metric is larger.
    let gain = |f: &Item| {
        let r = &f.record;
        r.lift().map(|l| {
            if r.direction() == crate::record::Direction::Decrease {
                -l
            } else {
                l
            }
        })
    };
    let lower = |f: &Item| f.record.title.to_lowercase();
    rows.sort_by(|a, b| {
        let (ra, rb) = (&a.record, &b.record);
        let by = match sort {
            Sort::Title => flip(lower(a).cmp(&lower(b))),
            Sort::Status => flip(rank(ra.status).cmp(&rank(rb.status))),
            Sort::Owner => {
                let (x, y) = (ra.owner.as_deref(), rb.owner.as_deref());
                let o = x
                    .zip(y)
                    .map(|(x, y)| x.to_lowercase().cmp(&y.to_lowercase()));
                last_none(o, x.is_some(), y.is_some())
            }
            Sort::Metric => flip(ra.primary_metric.cmp(&rb.primary_metric)),
            Sort::Result => {
                let (x, y) = (gain(a), gain(b));
                last_none(
                    x.zip(y).map(|(x, y)| x.total_cmp(&y)),
                    x.is_some(),
                    y.is_some(),
                )
            }
            Sort::Updated => flip(a.last_at().cmp(b.last_at())),
        };
        by.then_with(|| b.last_at().cmp(a.last_at()))
    });
}

/// The table: status tabs with their counts, one line per experiment, sortable, paged.
fn table_view(found: &[Item], names: &Names, query: &Query, ctx: &Context) -> Markup {
    let kept: Vec<&Item> = found.iter().filter(|f| query.keeps(f)).collect();
    let count = |s: Status| kept.iter().filter(|f| f.record.status == s).count();
    let mut rows: Vec<&Item> = kept
        .iter()
        .copied()
        .filter(|f| query.status.is_none_or(|s| f.record.status == s))
        .collect();
    let sort = query.sort.unwrap_or(Sort::Updated);
    let descending = query.descending.unwrap_or(sort.descending());
    match (&query.matched, query.sort) {
        (Some(m), None) => rows.sort_by_key(|f| m.rank(f)),
        _ => sort_rows(&mut rows, sort, descending),
    }
    let pages = rows.len().div_ceil(PAGE_CARDS).max(1);
    let page = query.page.clamp(1, pages);
    let from = (page - 1) * PAGE_CARDS;
    let shown = &rows[from.min(rows.len())..(from + PAGE_CARDS).min(rows.len())];
    let tab_href = |status: Option<Status>| {
        let q = Query {
            status,
            page: 1,
            ..query.clone()
        };
        match ctx.mode {
            Mode::Static => q.static_table_href(),
            Mode::Served => q.served_href(),
        }
    };
    let page_href = |page: usize| {
        let q = Query {
            page,
            ..query.clone()
        };
        match ctx.mode {
            Mode::Static => q.static_table_href(),
            Mode::Served => q.served_href(),
        }
    };
    let sort_href = |s: Sort| {
        // A click on the column sorted by turns its direction around.
        let dir = if s == sort { Some(!descending) } else { None };
        Query {
            sort: Some(s),
            descending: dir,
            page: 1,
            ..query.clone()
        }
        .served_href()
    };
    let order = if descending {
        "descending"
    } else {
        "ascending"
    };
    let status_attr = query.status.map_or("", Status::as_str);
    html! {
        nav.tabs aria-label="Status" {
            ul {
                li { a href=(tab_href(None)) aria-current=[query.status.is_none().then_some("page")] {
                    "All " span.count { (kept.len()) }
                } }
                @for s in COLUMNS {
                    li { a class={ "tab-" (s.as_str()) } href=(tab_href(Some(s))) aria-current=[(query.status == Some(s)).then_some("page")] {
                        (capital(s.as_str())) " " span.count { (count(s)) }
                    } }
                }
            }
        }
        section.rows data-col=(status_attr) data-rows="" data-limit=(PAGE_CARDS)
            aria-label="Experiments" {
            p.summary-line {
                span data-count="" { (rows.len()) } " experiment" (if rows.len() == 1 { "" } else { "s" })
                @if query.matched.is_some() && query.sort.is_none() {
                    ", best match first"
                } @else if ctx.mode == Mode::Served || sort != Sort::Updated {
                    ", by " (sort.heading().to_lowercase()) " " (order)
                } @else {
                    ", most recently updated first"
                }
            }
            table.xp-table {
                caption.visually-hidden { "Experiments, one per line" }
                thead {
                    tr {
                        @for s in Sort::ALL {
                            th scope="col" class={ "c-" (s.as_str()) }
                                aria-sort=[(s == sort).then_some(order)] {
                                @if ctx.mode == Mode::Served {
                                    a href=(sort_href(s)) {
                                        (s.heading())
                                        @if s == sort { span aria-hidden="true" { @if descending { " ↓" } @else { " ↑" } } }
                                    }
                                } @else {
                                    (s.heading())
                                }
                            }
                        }
                    }
                }
                tbody data-cards="" {
                    @for f in shown { (row(f, names, query, ctx)) }
                }
            }
            p.col-empty data-empty="" hidden[!rows.is_empty()] { "No experiment matches." }
            @if pages > 1 {
                nav.pager aria-label="Pages" data-more="" {
                    @if page > 1 {
                        a rel="prev" href=(page_href(page - 1)) { "← Previous" }
                    }
                    span { "Page " (page) " of " (pages) }
                    @if page < pages {
                        a rel="next" href=(page_href(page + 1)) { "Next →" }
                    }
                }
            }
        }
    }
}

/// One experiment as a line of the table.
fn row(f: &Item, names: &Names, query: &Query, ctx: &Context) -> Markup {
    let r = &f.record;
    let last = f.log.last();
    html! {
        tr {
            th scope="row" class="c-title" {
                a href=(story_href(names.of(&r.id), ctx)) { (title_text(f, query)) }
                @if let Some(e) = excerpt_line(f, query) { (e) }
            }
            td.c-status data-label="Status" { (status_badge(r.status)) }
            td.c-owner data-label="Owner" {
                @match &r.owner { Some(o) => (o), None => span.muted { "—" } }
            }
            td.c-metric data-label="Metric" { code { (r.primary_metric) } }
            td.c-result data-label="Result" {
                @match result_line(r) {
                    Some(line) => (line),
                    None => @match r.decision {
                        Some(d) => span class={ "dec dec-" (d.as_str()) } { (d.as_str()) },
                        None => span.muted { "—" },
                    },
                }
            }
            td.c-updated data-label="Updated" {
                @if let Some(last) = last {
                    @match age(last.at, ctx) {
                        Some(a) => time datetime=(last.at) { (a) },
                        None => time datetime=(last.at) { (last.at.get(..10).unwrap_or(last.at)) },
                    }
                } @else {
                    span.muted { "—" }
                }
            }
        }
    }
}

fn capital(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// One column of the board: its first cards and a link to the rest.
fn board_column(
    found: &[Item],
    names: &Names,
    status: Status,
    query: &Query,
    ctx: &Context,
) -> Markup {
    let cards = column(found, status, query);
    let total = cards.len();
    let shown = &cards[..total.min(COLUMN_CARDS)];
    html! {
        section class={ "column col-" (status.as_str()) } data-col=(status.as_str())
            aria-label=(status.as_str()) {
            h2.col-title {
                (status_badge(status))
                span.count data-count="" { (total) }
                span.visually-hidden { " experiments" }
            }
            ol.cards data-cards="" {
                @for f in shown { li { (card(f, names, query, ctx)) } }
            }
            p.col-empty data-empty="" hidden[total > 0] { "None" }
            p.more data-more="" hidden[total <= COLUMN_CARDS] {
                a href=(column_href(status, 1, query, ctx)) {
                    "All " (total) " " (status.as_str()) " →"
                }
            }
        }
    }
}

/// A column's own view: one page of its cards and links to the other pages.
fn column_page(
    found: &[Item],
    names: &Names,
    status: Status,
    query: &Query,
    ctx: &Context,
) -> Markup {
    let cards = column(found, status, query);
    let pages = cards.len().div_ceil(PAGE_CARDS).max(1);
    let page = query.page.clamp(1, pages);
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
                (status_badge(status))
                span.count data-count="" { (cards.len()) }
                span.visually-hidden { " experiments" }
            }
            ol.cards.grid data-cards="" {
                @for f in shown { li { (card(f, names, query, ctx)) } }
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
fn card(f: &Item, names: &Names, query: &Query, ctx: &Context) -> Markup {
    let r = &f.record;
    let arrow = if r.direction() == crate::record::Direction::Decrease {
        "↘"
    } else {
        "↗"
    };
    html! {
        article.card {
            h3 { a href=(story_href(names.of(&r.id), ctx)) { (title_text(f, query)) } }
            @if let Some(e) = excerpt_line(f, query) { (e) }
            p.metric {
                code { (r.primary_metric) }
                " " span.nums { (number(r.baseline)) " " span aria-hidden="true" { (arrow) } span.visually-hidden { "to" } " " (number(r.target)) }
            }
            @if let Some(line) = result_line(r) {
                p.result-line { (line) }
            }
            @if r.confidence > 0 || r.decision.is_some() || r.owner.is_some() || r.results.is_some() {
                dl.facts {
                    @if r.confidence > 0 { div { dt { "Confidence" } dd { (r.confidence) "%" } } }
                    @if let Some(chance) = r.evidence().and_then(|e| e.chance_to_beat_control) {
                        div { dt { "Chance to win" } dd { (crate::record::derived::share_text(chance)) } }
                    }
                    @if let Some(d) = r.decision { div { dt { "Decision" } dd { span class={ "dec dec-" (d.as_str()) } { (d.as_str()) } } } }
                    @if let Some(owner) = &r.owner { div { dt { "Owner" } dd { (owner) } } }
                }
            }
            @if let Some(tags) = r.tags.as_ref().filter(|t| !t.is_empty()) {
                ul.tags aria-label="Tags" { @for t in tags { li { (t) } } }
            }
            @if let Some(last) = f.log.last() {
                p.last {
                    @match super::layout::status_move(last.note) {
                        Some((from, to, why)) => span.note {
                            "Moved " (from.as_str()) " → " strong { (to.as_str()) }
                            @if let Some(why) = why { ": " (why) }
                        },
                        None => span.note { (last.note) },
                    }
                    " "
                    span.by {
                        @if let Some(who) = &last.who { (who) " · " }
                        @match age(last.at, ctx) {
                            Some(a) => time datetime=(last.at) { (a) },
                            None => time datetime=(last.at) { (last.at.get(..10).unwrap_or(last.at)) },
                        }
                    }
                }
            }
        }
    }
}

/// The filter bar: a GET form when served; in the static site, controls the script shows.
fn filters(found: &[Item], query: &Query, view: View, ctx: &Context) -> Markup {
    // Borrowed, not copied: a board of 10,000 makes these on every page.
    fn distinct<'a>(all: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let set: std::collections::BTreeSet<&str> = all.collect();
        set.into_iter().take(300).collect()
    }
    let tags = distinct(
        found
            .iter()
            .flat_map(|f| f.record.tags.iter().flatten().map(String::as_str)),
    );
    let owners = distinct(found.iter().filter_map(|f| f.record.owner.as_deref()));
    let metrics = distinct(found.iter().map(|f| f.record.primary_metric.as_str()));
    let action = match ctx.mode {
        Mode::Static => None,
        Mode::Served => Some("./"),
    };
    html! {
        // The static site's form works through the script: until it runs, the form keeps its
        // place unseen (no layout shift when it shows).
        form.filters role="search" method="get" action=[action] data-filters="" data-index=(ctx.index.as_deref().unwrap_or("assets/index.js"))
            data-pending[ctx.mode == Mode::Static] {
            @if ctx.mode == Mode::Served {
                @if let Some(v) = query.view { input type="hidden" name="view" value=(v.as_str()); }
                @if let Some(s) = query.sort { input type="hidden" name="sort" value=(s.as_str()); }
                @if let Some(d) = query.descending { input type="hidden" name="dir" value=(if d { "desc" } else { "asc" }); }
                @if view == View::Table { @if let Some(s) = query.status { input type="hidden" name="status" value=(s.as_str()); } }
            }
            div.field.grow {
                label for="f-q" { "Search" }
                input #f-q type="search" name="q" value=(query.q) placeholder="Title, hypothesis, metric…" autocomplete="off";
            }
            @if view == View::Cards && query.status.is_none() { div.field {
                label for="f-status" { "Status" }
                select #f-status name="status" {
                    option value="" { "Any" }
                    @for s in Status::ALL {
                        option value=(s.as_str()) selected[query.status == Some(s)] { (s.as_str()) }
                    }
                }
            } }
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

/// One experiment in the search index the script filters, as a JSON array (no keys repeated
/// ten thousand times): its page name, title, status, last update (`at` of its newest entry,
/// what the table sorts by) and that time as the board says it, the text the search looks
/// through (lower case), tags, owner, decision, metric, and its result (verdict and the
/// observed value with the lift) when it has one. The script makes its card or row from it.
#[derive(Serialize)]
struct IndexEntry<'a>(
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    String,
    String,
    &'a [String],
    &'a str,
    &'a str,
    &'a str,
    Option<(&'static str, String)>,
);

/// The search index: every experiment with what the filters look at and what its card shows
/// in short, in board order, as a script (a script loads from `file://`, where `fetch` of a
/// JSON file does not). About 250 bytes an experiment: the cards themselves are made by the
/// script for the matches it shows.
pub fn index_js(found: &[Item], ctx: &Context) -> String {
    let names = names_of(found, ctx);
    let all = Query::default();
    // Written entry by entry into the script's one buffer: the index is the largest thing
    // `xp site` holds, and is held once.
    let mut script = b"window.XP_INDEX = [".to_vec();
    for (i, f) in COLUMNS
        .into_iter()
        .flat_map(|s| column(found, s, &all))
        .enumerate()
    {
        let r = &f.record;
        let at = f.last_at();
        let when = age(at, ctx).unwrap_or_else(|| at.get(..10).unwrap_or(at).to_owned());
        let entry = IndexEntry(
            names.of(&r.id),
            &r.title,
            r.status.as_str(),
            at,
            if at.is_empty() { String::new() } else { when },
            search_text(f),
            r.tags.as_deref().unwrap_or_default(),
            r.owner.as_deref().unwrap_or_default(),
            r.decision.map_or("", Decision::as_str),
            &r.primary_metric,
            result_text(r),
        );
        if i > 0 {
            script.push(b',');
        }
        if serde_json::to_writer(&mut script, &entry).is_err() {
            return "window.XP_INDEX = [];\n".into();
        }
    }
    script.extend_from_slice(b"];\n");
    String::from_utf8(script).unwrap_or_else(|_| "window.XP_INDEX = [];\n".into())
}

/// The page names of `found`: the context's, else made now.
fn names_of<'a>(found: &[Item], ctx: &'a Context) -> std::borrow::Cow<'a, Names> {
    match &ctx.names {
        Some(names) => std::borrow::Cow::Borrowed(&**names),
        None => std::borrow::Cow::Owned(Names::new(found)),
    }
}

/// The verdict and the observed value with the lift, as the result line shows them.
fn result_text(r: &crate::record::Record) -> Option<(&'static str, String)> {
    let observed = r.observed?;
    let verdict = super::result::Verdict::of(r)?;
    let mut text = number(observed);
    if let Some(lift) = r.lift_shown() {
        text.push_str(" · ");
        text.push_str(&lift);
    }
    Some((verdict.as_str(), text))
}

/// The name the static site gives its search index: by its content, so that a browser may
/// keep it as long as it likes and still never shows an old one.
pub fn index_name(index: &str) -> String {
    use sha1::{Digest, Sha1};
    let digest = Sha1::digest(index.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("assets/index-{hex}.js")
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
