//! How the command line says things: notices, problems with their source lines, and errors
//! with a hint of what to do next (hints that name xp commands live here, at the edge).

use crate::error::{Error, Input, Refusal, Sources};
use crate::ops::Notice;
use crate::record::FIELDS;
use crate::record::lifecycle::Breach;
use crate::review::merge::Conflict;
use crate::rules::Problem;
use crate::text;
use crate::ui::Ui;

/// Says the notices an operation gave, in order, on stderr.
pub fn notices(ui: &mut Ui, notices: &[Notice]) {
    for notice in notices {
        match notice {
            Notice::Committed { short, subject } => ui.note(&format!("[{short}] {subject}")),
            Notice::Warning(text) => ui.warning(text),
        }
    }
}

/// Problems as human text, each quoting the line of its file, in the order of the files and
/// their places (as `xp check` lists them); coloured when `styled`.
pub fn problems(styled: bool, problems: &[Problem], sources: &Sources) -> String {
    let mut sorted = problems.to_vec();
    crate::ops::read::sort(&mut sorted);
    crate::report::human(&sorted, &|p| sources.get(p), styled)
}

/// Prints an error, the problems it carries, and its hint on stderr.
pub fn error(error: &Error, ui: &mut Ui) {
    if let Error::Problems {
        problems: list,
        sources,
        ..
    } = error
    {
        let text = problems(ui.styled(), list, sources);
        ui.err_raw(&text);
    }
    if let Error::Refused(list) = error {
        for (message, hint) in refusals(list) {
            ui.error(&message);
            if let Some(hint) = hint {
                ui.hint(&hint);
            }
        }
        return;
    }
    ui.error(&error.to_string());
    if let Some(hint) = error.hint() {
        ui.hint(&hint);
    }
}

/// Refusals in the command line's words, each with what to do: its flags, its commands. The
/// plan fields a refusal names are said once, together.
pub fn refusals(list: &[Refusal]) -> Vec<(String, Option<String>)> {
    let locked: Vec<&str> = list
        .iter()
        .filter_map(|r| match r {
            Refusal::Breaks(Breach::PlanChanged { field, .. }) => Some(*field),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    if !locked.is_empty() {
        out.push((
            format!(
                "the plan is locked since the experiment ran: changing {} is an amendment",
                locked.join(", ")
            ),
            Some("say why with --amend \"reason\"; the change and the reason are logged".into()),
        ));
    }
    for refusal in list {
        let said = match refusal {
            Refusal::Breaks(Breach::PlanChanged { .. }) => continue,
            Refusal::Breaks(Breach::Move { from, .. }) => {
                let next: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
                let hint = if next.is_empty() {
                    format!(
                        "{} is the last status: it moves nowhere without --force",
                        from.as_str()
                    )
                } else {
                    format!(
                        "from {} it can move to {}; add --force to move anyway",
                        from.as_str(),
                        next.join(" or ")
                    )
                };
                (refusal_plain(refusal), Some(hint))
            }
            Refusal::Breaks(Breach::KillWithoutReason) => (
                "killing an experiment needs the reason: add -m \"why it was killed\"".into(),
                None,
            ),
            Refusal::NothingToChange => (
                refusal_plain(refusal),
                Some("pass a field to change, e.g. --status running, or -m to add a note".into()),
            ),
            Refusal::Blank(Input::Note) => ("the note is blank; say what happened".into(), None),
            Refusal::Blank(Input::Amend) => (
                "the --amend reason is blank; say why the plan changes".into(),
                None,
            ),
            Refusal::AmendWithoutPlanChange => {
                let flags: Vec<String> = FIELDS
                    .iter()
                    .filter(|f| f.plan)
                    .map(|f| format!("--{}", f.flag()))
                    .collect();
                (
                    format!(
                        "--amend is for a change to the plan ({}), and none is given",
                        flags.join(", ")
                    ),
                    None,
                )
            }
            Refusal::StartsAs(status) => (
                format!(
                    "a new experiment starts as draft or running, not {}; create it, then move it \
                     with `xp update --status` (killing needs a reason, completing a decision)",
                    status.as_str()
                ),
                None,
            ),
            other => (refusal_plain(other), None),
        };
        out.push(said);
    }
    out
}

fn refusal_plain(refusal: &Refusal) -> String {
    Error::Refused(vec![refusal.clone()]).to_string()
}

/// What to tell a person about a conflicted file, and what they can do about it.
pub fn conflicts(path: &str, conflicts: &[Conflict]) -> (String, String) {
    let message = match conflicts {
        [one] => format!("conflict in {path}: {one}"),
        many => {
            let lines: Vec<String> = many.iter().map(|c| format!("  {c}")).collect();
            format!("{} conflicts in {path}:\n{}", many.len(), lines.join("\n"))
        }
    };
    let hint = match conflicts {
        [Conflict::BothCreated { .. }] => {
            format!("run `xp resolve {path}` to keep both experiments, theirs in a file of its own")
        }
        _ if conflicts
            .iter()
            .any(|c| matches!(c, Conflict::Unreadable { .. } | Conflict::Uneditable(_))) =>
        {
            format!(
                "{path} holds both versions whole between conflict markers; make it one valid \
                 record by hand (`xp check {path}`), then `git add {path}`"
            )
        }
        _ => format!(
            "keep one side between each pair of conflict markers in {path}, check it with \
             `xp check {path}`, then `git add {path}`"
        ),
    };
    (message, hint)
}

/// The plan as first registered, beside today's, when they differ.
pub fn registered_plan(amended: &[(&str, String, String)]) -> String {
    if amended.is_empty() {
        return String::new();
    }
    let width = amended.iter().map(|(f, _, _)| f.len()).max().unwrap_or(0);
    let mut out = String::from("the plan as first registered, when the experiment first ran:\n");
    for (field, registered, now) in amended {
        out.push_str(&format!(
            "  {field:width$}  {}  (now {})\n",
            text::terminal(registered),
            text::terminal(now)
        ));
    }
    out.push('\n');
    out
}

/// Data written to stdout, a closed pipe aside, or the error of a failed write.
pub fn out(result: std::io::Result<()>) -> Result<(), Error> {
    result.map_err(|e| Error::io("stdout", e))
}
