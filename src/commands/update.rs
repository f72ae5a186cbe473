//! `xp update`: changes fields like the origin service's PATCH; status moves are checked and
//! logged, and the result must pass every rule or nothing is written.

use crate::commands::note::verify;
use crate::commands::{Change, Workspace, valid};
use crate::env::format_time;
use crate::error::Error;
use crate::record::{Decision, Direction, LogEntry, Record, Status};
use crate::ui::Ui;
use crate::yaml;
use crate::yaml_edit::{self, NewValue};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub hypothesis: Option<String>,
    #[arg(long, visible_alias = "primary-metric")]
    pub metric: Option<String>,
    #[arg(long, allow_negative_numbers = true)]
    pub baseline: Option<f64>,
    #[arg(long, allow_negative_numbers = true)]
    pub target: Option<f64>,
    #[arg(long, value_parser = ["increase", "decrease"])]
    pub direction: Option<String>,
    /// New status; moves outside draft->running|killed, running->completed|killed,
    /// completed->shipped|running, killed->draft need --force
    #[arg(long, value_parser = ["draft", "running", "completed", "killed", "shipped"])]
    pub status: Option<String>,
    /// Whole number 0 to 100
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..=100))]
    pub confidence: Option<i64>,
    /// ship, iterate, kill, inconclusive, or null to clear
    #[arg(long, value_parser = ["ship", "iterate", "kill", "inconclusive", "null"])]
    pub decision: Option<String>,
    /// What was learned; an empty text clears it
    #[arg(long)]
    pub learning: Option<String>,
    /// An empty text clears it
    #[arg(long)]
    pub owner: Option<String>,
    /// Sets the tags (repeat for several; replaces the list)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Sets the links (repeat for several; replaces the list)
    #[arg(long = "link", value_name = "LINK")]
    pub links: Vec<String>,
    /// A note for the decision log (required when killing)
    #[arg(short = 'm', long = "message", value_name = "NOTE")]
    pub message: Option<String>,
    /// Allow any status move
    #[arg(long)]
    pub force: bool,
    /// Who makes the change (default: git's user.name, else $USER)
    #[arg(long)]
    pub who: Option<String>,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let _lock = ws.lock(ui)?;
    let loaded = ws.resolve(&args.reference)?;
    let old = valid(&loaded, "xp does not change a record that breaks a rule")?;
    let mut new = old.clone();
    let edits = apply_flags(&args, &mut new);
    let note = args
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    if args.message.is_some() && note.is_none() {
        return Err(Error::usage("the -m note is blank; say why"));
    }
    if new.status != old.status {
        if !args.force && !old.status.can_move_to(new.status) {
            let next: Vec<&str> = old.status.next().iter().map(|s| s.as_str()).collect();
            return Err(Error::failed(
                format!(
                    "status cannot move from {} to {}",
                    old.status.as_str(),
                    new.status.as_str()
                ),
                format!(
                    "from {} it can move to {}; add --force to move anyway",
                    old.status.as_str(),
                    next.join(" or ")
                ),
            ));
        }
        if new.status == Status::Killed && note.is_none() {
            return Err(Error::usage(
                "killing an experiment needs the reason: add -m \"why it was killed\"",
            ));
        }
    }
    let mut changes: Vec<String> = Vec::new();
    for (key, before, after) in &edits {
        if before != after {
            changes.push(format!("{key}: {before} -> {after}"));
        }
    }
    let status_change = (new.status != old.status)
        .then(|| format!("status: {} -> {}", old.status.as_str(), new.status.as_str()));
    let log_note = match (&status_change, note) {
        (Some(change), Some(note)) => Some(format!("{change}: {note}")),
        (Some(change), None) => Some(change.clone()),
        (None, Some(note)) => Some(note.to_owned()),
        (None, None) => None,
    };
    if changes.is_empty() && log_note.is_none() {
        return Err(Error::failed(
            "nothing to change: every value given is already set",
            "pass a field to change, e.g. --status running, or -m to add a note",
        ));
    }

    let mut text = String::from_utf8_lossy(&loaded.bytes).into_owned();
    for (key, value) in values_to_write(&old, &new) {
        let doc =
            yaml::parse(&text).map_err(|e| Error::failed(e.message, "nothing was written"))?;
        text = yaml_edit::set_field(&text, &doc, key, &value)
            .map_err(|e| Error::failed(e.0, "nothing was written"))?;
    }
    if let Some(note) = &log_note {
        let entry = LogEntry {
            at: format_time(ws.env.now()),
            who: ws.who(args.who.as_deref()),
            note: note.clone(),
        };
        let doc =
            yaml::parse(&text).map_err(|e| Error::failed(e.message, "nothing was written"))?;
        text = yaml_edit::append_log_entry(&text, &doc, &entry)
            .map_err(|e| Error::failed(e.0, "nothing was written"))?;
        new.decision_log.push(entry);
    }
    verify(&loaded.shown, &text, &new)?;

    let mut body: Vec<String> = changes;
    if let Some(note) = note {
        body.push(String::new());
        body.push(note.to_owned());
    }
    let change = Change {
        subject: match &status_change {
            Some(_) => format!("xp: status {} on {}", new.status.as_str(), loaded.slug),
            None => format!("xp: update {}", loaded.slug),
        },
        body: body.join("\n"),
        id: old.id.clone(),
    };
    ws.save(
        ui,
        &loaded.path,
        Some(&loaded.bytes),
        text.as_bytes(),
        &change,
        !args.no_commit,
    )?;
    Ok(())
}

/// Applies the flags to `new`; returns (key, before, after) for every field named.
fn apply_flags(args: &Args, new: &mut Record) -> Vec<(&'static str, String, String)> {
    let mut edits = Vec::new();
    let text = |s: &str| s.to_owned();
    let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "null".into());
    if let Some(v) = &args.title {
        edits.push(("title", new.title.clone(), v.clone()));
        new.title = v.clone();
    }
    if let Some(v) = &args.hypothesis {
        edits.push(("hypothesis", new.hypothesis.clone(), v.clone()));
        new.hypothesis = v.clone();
    }
    if let Some(v) = &args.metric {
        edits.push(("primary_metric", new.primary_metric.clone(), v.clone()));
        new.primary_metric = v.clone();
    }
    if let Some(v) = args.baseline {
        edits.push(("baseline", fmt(new.baseline), fmt(v)));
        new.baseline = v;
    }
    if let Some(v) = args.target {
        edits.push(("target", fmt(new.target), fmt(v)));
        new.target = v;
    }
    if let Some(v) = args.direction.as_deref().and_then(Direction::parse) {
        let before = new.direction.unwrap_or_default().as_str();
        edits.push(("direction", text(before), text(v.as_str())));
        new.direction = Some(v);
    }
    if let Some(v) = args.status.as_deref().and_then(Status::parse) {
        new.status = v;
    }
    if let Some(v) = args.confidence {
        edits.push(("confidence", new.confidence.to_string(), v.to_string()));
        new.confidence = v;
    }
    if let Some(v) = &args.decision {
        let d = Decision::parse(v);
        let show = |d: Option<Decision>| d.map_or("null", |d| d.as_str()).to_owned();
        edits.push(("decision", show(new.decision), show(d)));
        new.decision = d;
    }
    if let Some(v) = &args.learning {
        let v = Some(v.clone()).filter(|s| !s.is_empty());
        edits.push(("learning", opt(&new.learning), opt(&v)));
        new.learning = v;
    }
    if let Some(v) = &args.owner {
        let v = Some(v.clone()).filter(|s| !s.is_empty());
        edits.push(("owner", opt(&new.owner), opt(&v)));
        new.owner = v;
    }
    if !args.tags.is_empty() {
        let v = Some(args.tags.clone());
        edits.push(("tags", show_list(&new.tags), show_list(&v)));
        new.tags = v;
    }
    if !args.links.is_empty() {
        let v = Some(args.links.clone());
        edits.push(("links", show_list(&new.links), show_list(&v)));
        new.links = v;
    }
    edits
}

/// A list as the commit body shows it: `[a, b]`.
fn show_list(list: &Option<Vec<String>>) -> String {
    format!("[{}]", list.as_deref().unwrap_or_default().join(", "))
}

fn fmt(x: f64) -> String {
    yaml_edit::format_number(x)
}

/// The text edits that turn `old` into `new` (fields whose value changed).
fn values_to_write(old: &Record, new: &Record) -> Vec<(&'static str, NewValue)> {
    let mut out = Vec::new();
    let text = |s: &str| yaml_edit::scalar(s);
    let word = |s: &str| NewValue::Scalar(s.to_owned());
    let opt = |s: &Option<String>| s.as_deref().map_or_else(|| word("null"), text);
    if old.title != new.title {
        out.push(("title", text(&new.title)));
    }
    if old.hypothesis != new.hypothesis {
        out.push(("hypothesis", text(&new.hypothesis)));
    }
    if old.primary_metric != new.primary_metric {
        out.push(("primary_metric", text(&new.primary_metric)));
    }
    if old.baseline != new.baseline {
        out.push(("baseline", yaml_edit::number(new.baseline)));
    }
    if old.target != new.target {
        out.push(("target", yaml_edit::number(new.target)));
    }
    if old.direction != new.direction {
        out.push((
            "direction",
            word(new.direction.unwrap_or_default().as_str()),
        ));
    }
    if old.status != new.status {
        out.push(("status", word(new.status.as_str())));
    }
    if old.confidence != new.confidence {
        out.push(("confidence", word(&new.confidence.to_string())));
    }
    if old.decision != new.decision {
        out.push((
            "decision",
            word(new.decision.map_or("null", |d| d.as_str())),
        ));
    }
    if old.learning != new.learning {
        out.push(("learning", opt(&new.learning)));
    }
    if old.owner != new.owner {
        out.push(("owner", opt(&new.owner)));
    }
    if old.tags != new.tags {
        out.push(("tags", NewValue::List(new.tags.clone().unwrap_or_default())));
    }
    if old.links != new.links {
        out.push((
            "links",
            NewValue::List(new.links.clone().unwrap_or_default()),
        ));
    }
    out
}
