//! The story of one experiment: what it claims and what was decided on top, then its
//! decision log as a timeline of the commits that changed it.

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::layout::{
    Context, Mode, duration_words, layout, number, status_badge, status_move, time_el,
};
use super::result::result_block;
use crate::ops::log::{CommitRef, History, Revision};
use crate::record::texts::Changed;
use crate::record::{FIELDS, Field, FieldValue, LogEntry, Record, Status};
use crate::time::parse_time;

/// One step of the timeline: a commit with the entries it added, or an entry no commit holds.
#[derive(Debug)]
enum Step<'a> {
    Commit {
        revision: &'a Revision,
        entries: Vec<&'a LogEntry>,
    },
    Uncommitted(&'a LogEntry),
}

/// The timeline in the log's order, as `xp log` shows it: each entry with the commit that
/// added it (entries a commit added in a row are one step). The commits that added no entry
/// (the creation, an update of fields, a merge that set a field itself) stand among them by
/// time, ties in history order; a merge that only joined two sides' notes is left out.
fn timeline(history: &History) -> Vec<Step<'_>> {
    let revisions = &history.revisions;
    let position = |c: &CommitRef| revisions.iter().position(|r| r.commit.id == c.id);
    let mut credited = vec![false; revisions.len()];
    // Each step with its place: (when, position in history; entries no commit holds last).
    let mut logged: Vec<(When, Step)> = Vec::new();
    for line in &history.lines {
        let when = parse_time(&line.entry.at);
        let Some(at) = line.commit.as_ref().and_then(position) else {
            logged.push(((when, usize::MAX), Step::Uncommitted(&line.entry)));
            continue;
        };
        credited[at] = true;
        if let Some((_, Step::Commit { revision, entries })) = logged.last_mut()
            && revision.commit.id == revisions[at].commit.id
        {
            entries.push(&line.entry);
            continue;
        }
        logged.push((
            (when, at),
            Step::Commit {
                revision: &revisions[at],
                entries: vec![&line.entry],
            },
        ));
    }
    let mut others: Vec<(When, Step)> = revisions
        .iter()
        .enumerate()
        .filter(|&(i, r)| !credited[i] && r.merge.as_ref().is_none_or(|set| !set.is_empty()))
        .map(|(i, revision)| {
            let when = (Some(revision.time.with_timezone(&Utc)), i);
            (
                when,
                Step::Commit {
                    revision,
                    entries: Vec::new(),
                },
            )
        })
        .collect();
    others.sort_by_key(|(when, _)| *when);
    let mut others = others.into_iter().peekable();
    let mut steps = Vec::new();
    for (when, step) in logged {
        while let Some((_, other)) = others.next_if(|(w, _)| *w < when) {
            steps.push(other);
        }
        steps.push(step);
    }
    steps.extend(others.map(|(_, step)| step));
    steps
}

/// Where a step stands in the timeline: its time, then its commit's place in history.
type When = (Option<DateTime<Utc>>, usize);

/// The `field: old -> new` lines of a commit message's body (the paragraph after the subject).
fn field_changes(message: &str) -> Vec<Changed<'_>> {
    let mut paragraphs = message.split("\n\n");
    let subject = paragraphs.next().unwrap_or_default();
    if !(subject.starts_with("xp: update ") || subject.starts_with("xp: status ")) {
        return Vec::new();
    }
    let Some(body) = paragraphs.next() else {
        return Vec::new();
    };
    body.lines().filter_map(Changed::read).collect()
}

/// How long the experiment ran: "Running for 3 days" or "Ran for 5 days".
fn running_time(record: &Record, ctx: &Context) -> Option<String> {
    let mut since: Option<DateTime<Utc>> = None;
    let mut ran: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for e in &record.decision_log {
        let Some((from, to, _)) = status_move(&e.note) else {
            continue;
        };
        let at = parse_time(&e.at);
        if to == Status::Running {
            since = at;
        } else if from == Status::Running {
            if let (Some(s), Some(end)) = (since, at) {
                ran = Some((s, end));
            }
            since = None;
        }
    }
    match (record.status, since, ran) {
        (Status::Running, Some(s), _) => ctx
            .as_of
            .map(|now| format!("Running for {}", duration_words(s, now))),
        (_, _, Some((s, end))) => Some(format!("Ran for {}", duration_words(s, end))),
        _ => None,
    }
}

/// The story page of the experiment the history is of, its timeline newest first, or oldest
/// first with `oldest_first`.
pub fn story(history: &History, ctx: &Context, oldest_first: bool) -> String {
    let r = &history.found.record;
    let last = history.revisions.last();
    let path = last.map_or_else(
        || {
            history
                .found
                .loaded
                .shown
                .to_string_lossy()
                .replace('\\', "/")
        },
        |rev| rev.path.clone(),
    );
    let file_href = match (&ctx.forge, last) {
        (Some(forge), Some(rev)) => Some(forge.file(&rev.commit.id, &rev.path)),
        _ => None,
    };
    let back = match ctx.mode {
        Mode::Static => "../index.html",
        Mode::Served => "../",
    };
    let body = html! {
        nav.crumbs aria-label="Breadcrumb" { a href=(back) { "← Board" } }
        article.story {
            header.story-head {
                p.kicker { (status_badge(r.status)) @if let Some(t) = running_time(r, ctx) { span.ran { (t) } } }
                h1 { (r.title) }
                p.hypothesis { (r.hypothesis) }
            }
            @if let Some(result) = result_block(r) { (result) }
            dl.summary {
                div { dt { "Metric" } dd { code { (r.primary_metric) } } }
                div { dt { "Baseline → target" } dd.nums { (number(r.baseline)) " → " (number(r.target)) @if r.direction.is_some() { " " span.muted { "(" (r.direction().as_str()) ")" } } } }
                @if r.confidence > 0 || r.decision.is_some() {
                    div { dt { "Confidence" } dd.nums { (r.confidence) "%" } }
                }
                @if let Some(d) = r.decision {
                    div { dt { "Decision" } dd { span class={ "dec dec-" (d.as_str()) } { (d.as_str()) } } }
                }
                @if let Some(owner) = &r.owner { div { dt { "Owner" } dd { (owner) } } }
                @if let Some(tags) = r.tags.as_ref().filter(|t| !t.is_empty()) {
                    div { dt { "Tags" } dd { ul.tags { @for t in tags { li { (t) } } } } }
                }
                @for (field, value) in others(r) {
                    div class=[(field.name == "results").then_some("wide")] { dt { (field.label()) } dd { (value) } }
                }
                // With an observed value the result block above shows the evidence.
                @if let Some(evidence) = r.evidence_shown().filter(|_| r.observed.is_none()) {
                    div.wide { dt { "Evidence" } dd.nums { (evidence) } }
                }
                @if let Some((counted, planned)) = crate::record::evidence::progress(r) {
                    div.two { dt { "Sample" } dd.nums { (counted) " of " (planned) " planned units" } }
                }
            }
            @if !history.amended_plan.is_empty() {
                section.amended aria-labelledby="h-amended" {
                    h2 #h-amended { "Plan amended since it started running" }
                    ul.changes {
                        @for (field, registered, now) in &history.amended_plan {
                            li { code.fname { (field) } ": " span.from { (shown(registered)) } " → " span.to { (shown(now)) } }
                        }
                    }
                }
            }
            @if let Some(learning) = &r.learning {
                section.learning aria-labelledby="h-learning" {
                    h2 #h-learning { "Learning" }
                    p { (learning) }
                }
            }
            @if let Some(links) = r.links.as_ref().filter(|l| !l.is_empty()) {
                section aria-labelledby="h-links" {
                    h2 #h-links { "Links" }
                    ul.links { @for l in links { li { (link(l)) } } }
                }
            }
            p.file {
                "File "
                @match &file_href {
                    Some(href) => a href=(href) { code { (path) } },
                    None => code { (path) },
                }
                " · id " code { (r.id) }
            }
            @if !ctx.parked.is_empty() {
                section.parked aria-labelledby="h-parked" data-parked="" {
                    h2 #h-parked { "Parked changes" }
                    p.muted { "Made here while the remote set the same keys differently: the remote's values stand, and these wait aside until someone keeps one side." }
                    ul {
                        @for p in &ctx.parked {
                            li {
                                code { (p.commit.get(..7).unwrap_or(&p.commit)) } " " (p.subject)
                                @if !p.fields.is_empty() { " · differs on " (p.fields.join(", ")) }
                                br;
                                code { "xp sync --resolve " (p.commit) " --keep local" } " or " code { "--keep remote" }
                            }
                        }
                    }
                }
            }
            section.history aria-labelledby="h-log" {
                div.log-head {
                    h2 #h-log { "Decision log" }
                    p.order {
                        span data-order-now="" { @if oldest_first { "Oldest first" } @else { "Newest first" } }
                        " · "
                        a data-order-toggle="" href=(if oldest_first { "?order=newest" } else { "?order=oldest" }) {
                            @if oldest_first { "Show newest first" } @else { "Show oldest first" }
                        }
                    }
                }
                (timeline_markup(history, ctx, oldest_first))
            }
            @if ctx.mode == Mode::Served && ctx.writable {
                (forms(r, &crate::git::content_id(&history.found.loaded.bytes)))
            }
        }
    };
    layout(&r.title, "../", ctx, &["xp.js"], body)
}

/// The forms that act through the JSON API: a note, a status move. Hidden until the script,
/// which sends them with `fetch`, shows them.
fn forms(r: &Record, version: &str) -> Markup {
    let next = r.status.next();
    html! {
        section.forms aria-label="Act on this experiment" data-actions=""
            data-api={ "../experiments/" (r.id) } data-etag={ "\"" (version) "\"" } hidden {
            form.form data-form="note" novalidate {
                h2 { "Add a note" }
                div.row {
                    label for="n-note" { "Note" }
                    textarea #n-note name="note" aria-describedby="n-note-problem" {}
                    p.problem #n-note-problem data-problem="note" hidden {}
                }
                div.row {
                    label for="n-who" { "Your name (optional)" }
                    input #n-who name="who" autocomplete="name";
                }
                p.problem data-problem="" role="alert" tabindex="-1" hidden {}
                p.saved data-saved="" role="status" tabindex="-1" {}
                p.visually-hidden data-announce="" aria-live="assertive" {}
                div { button type="submit" { "Add note" } }
            }
            @if !next.is_empty() {
                form.form data-form="status" novalidate {
                    h2 { "Move the status" }
                    div.row {
                        label for="s-status" { "New status" }
                        select #s-status name="status" aria-describedby="s-status-problem" {
                            @for s in &next { option value=(s.as_str()) { (s.as_str()) } }
                        }
                        p.problem #s-status-problem data-problem="status" hidden {}
                    }
                    @if next.contains(&Status::Completed) {
                        div.row data-when="completed" {
                            label for="s-decision" { "Decision" }
                            select #s-decision name="decision" aria-describedby="s-decision-problem" {
                                option value="" { "Choose…" }
                                @for d in crate::record::Decision::ALL { option value=(d.as_str()) { (d.as_str()) } }
                            }
                            p.problem #s-decision-problem data-problem="decision" hidden {}
                        }
                        div.row data-when="completed" {
                            label for="s-confidence" { "Confidence (0–100)" }
                            input #s-confidence name="confidence" type="number" min="0" max="100" step="1"
                                inputmode="numeric" value=(r.confidence) aria-describedby="s-confidence-problem";
                            p.problem #s-confidence-problem data-problem="confidence" hidden {}
                        }
                        div.row data-when="completed" {
                            label for="s-learning" { "Learning" }
                            textarea #s-learning name="learning" aria-describedby="s-learning-problem" { (r.learning.as_deref().unwrap_or_default()) }
                            p.problem #s-learning-problem data-problem="learning" hidden {}
                        }
                    }
                    div.row {
                        label for="s-note" data-label-killed="Why it is killed (needed)" { "Note (optional)" }
                        textarea #s-note name="note" aria-describedby="s-note-problem" {}
                        p.problem #s-note-problem data-problem="note" hidden {}
                    }
                    div.row {
                        label for="s-who" { "Your name (optional)" }
                        input #s-who name="who" autocomplete="name";
                    }
                    p.problem data-problem="" role="alert" tabindex="-1" hidden {}
                    p.saved data-saved="" role="status" tabindex="-1" {}
                    p.visually-hidden data-announce="" aria-live="assertive" {}
                    div { button type="submit" { "Move" } }
                }
            }
        }
    }
}

/// A record's link: a real link only for http(s), text otherwise.
fn link(l: &str) -> Markup {
    let web = l.starts_with("https://") || l.starts_with("http://");
    html! {
        @if web { a href=(l) rel="noopener noreferrer" { (l) } } @else { (l) }
    }
}

fn timeline_markup(history: &History, ctx: &Context, oldest_first: bool) -> Markup {
    let steps = timeline(history);
    html! {
        @if steps.is_empty() {
            p.muted { "Nothing in the decision log yet." }
        } @else if oldest_first {
            ol.timeline data-timeline="" {
                @for step in &steps { (step_markup(step, ctx)) }
            }
        } @else {
            ol.timeline data-timeline="" reversed {
                @for step in steps.iter().rev() { (step_markup(step, ctx)) }
            }
        }
    }
}

fn step_markup(step: &Step, ctx: &Context) -> Markup {
    match step {
        Step::Uncommitted(entry) => html! {
            li.step.uncommitted {
                div.commit { span.muted { "not committed" } }
                div.what { (entry_markup(entry)) }
            }
        },
        Step::Commit { revision, entries } => {
            let c = &revision.commit;
            let subject = revision.message.lines().next().unwrap_or_default();
            let created = subject.starts_with("xp: new ");
            let merge = revision.merge.is_some();
            let changes: Vec<Changed> = match &revision.merge {
                Some(set) => set
                    .iter()
                    .map(|f| Changed {
                        field: f.field,
                        from: &f.from,
                        to: &f.to,
                    })
                    .collect(),
                None => field_changes(&revision.message)
                    .into_iter()
                    .filter(|f| f.field != "status" || entries.is_empty())
                    .collect(),
            };
            let moved = entries.iter().any(|e| status_move(&e.note).is_some());
            let class = if moved {
                "step move"
            } else if created {
                "step created"
            } else if entries.is_empty() {
                "step update"
            } else {
                "step note"
            };
            html! {
                li class=(class) {
                    div.commit {
                        @match &ctx.forge {
                            Some(f) => a.hash href=(f.commit(&c.id)) title=(c.id) { code data-hash="" { (c.short) } },
                            None => code.hash data-hash="" title=(c.id) { (c.short) },
                        }
                        span.author { (c.author) }
                        time datetime=(c.date) { (c.date) }
                        @if ctx.unpushed.contains(&c.id) {
                            span.unpushed data-unpushed="" { "not yet pushed" }
                        }
                    }
                    div.what {
                        @if created { p.event { "Created" } }
                        @if merge { p.event.muted { (subject) } }
                        @if !changes.is_empty() {
                            ul.changes aria-label="Changed fields" {
                                @for f in &changes {
                                    li { code.fname { (f.field) } ": " span.from { (shown(f.from)) } " → " span.to { (shown(f.to)) } }
                                }
                            }
                        }
                        @for e in entries.iter().rev() { (entry_markup(e)) }
                        @if !created && !merge && changes.is_empty() && entries.is_empty() {
                            p.event.muted { (subject) }
                        }
                    }
                }
            }
        }
    }
}

/// A value from a commit body as a person reads it: `null` is "none".
fn shown(value: &str) -> &str {
    match value {
        "null" => "none",
        "" | "\"\"" => "empty",
        v => v,
    }
}

fn entry_markup(e: &LogEntry) -> Markup {
    html! {
        div.entry {
            @match status_move(&e.note) {
                Some((from, to, why)) => {
                    p.event { "Status " (status_badge(from)) " → " (status_badge(to)) }
                    @if let Some(why) = why { p.note { (why) } }
                },
                None => p.note { (e.note) },
            }
            p.by {
                @if let Some(who) = &e.who { span.who { (who) } " · " }
                (time_el(&e.at))
            }
        }
    }
}

/// The fields this page shows in places of their own.
const SHOWN_APART: [&str; 14] = [
    "title",
    "hypothesis",
    "primary_metric",
    "baseline",
    "target",
    "direction",
    "confidence",
    "decision",
    "owner",
    "tags",
    "learning",
    "links",
    "status",
    "observed",
];

/// The other fields that are set, in the table's order, each with its value as text.
fn others(r: &Record) -> Vec<(&'static Field, String)> {
    FIELDS
        .iter()
        .filter(|f| !SHOWN_APART.contains(&f.name))
        .filter_map(|f| {
            let text = match r.get(f.name)? {
                FieldValue::Text(t) => t,
                FieldValue::Number(x) => number(x),
                FieldValue::Whole(n) => n.to_string(),
                FieldValue::List(items) => items.join(", "),
                other => crate::record::texts::shown(f.name, &Some(other)),
            };
            Some((f, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_bodies_give_their_field_changes() {
        let message = "xp: status completed on cta\n\nstatus: running -> completed\nconfidence: 0 -> 96\n\
                       decision: null -> ship\n\nSignificant: yes -> no\n\nExperiment-Id: 1\n";
        assert_eq!(
            field_changes(message),
            vec![
                Changed {
                    field: "status",
                    from: "running",
                    to: "completed"
                },
                Changed {
                    field: "confidence",
                    from: "0",
                    to: "96"
                },
                Changed {
                    field: "decision",
                    from: "null",
                    to: "ship"
                },
            ]
        );
        assert!(field_changes("xp: note on cta\n\nstatus: a -> b is a note\n").is_empty());
    }

    #[test]
    fn status_moves_are_read_from_notes() {
        assert_eq!(
            status_move("status: running -> killed: no lift"),
            Some((Status::Running, Status::Killed, Some("no lift")))
        );
        assert_eq!(
            status_move("status: draft -> running"),
            Some((Status::Draft, Status::Running, None))
        );
        assert_eq!(status_move("status: draft -> flying"), None);
        assert_eq!(status_move("launched"), None);
    }
}
