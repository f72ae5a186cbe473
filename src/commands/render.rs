//! How the command line says things: notices, problems with their source lines, and errors
//! with a hint of what to do next (hints that name xp commands live here, at the edge).

use crate::error::{Error, Sources};
use crate::git::GitError;
use crate::merge::Conflict;
use crate::ops::Notice;
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

/// Problems as human text, each quoting the line of its file; coloured when `styled`.
pub fn problems(styled: bool, problems: &[Problem], sources: &Sources) -> String {
    crate::report::human(problems, &|p| sources.get(p), styled)
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
    ui.error(&error.to_string());
    if let Some(hint) = hint(error) {
        ui.hint(&hint);
    }
}

/// What the user can do about an error, when we know.
pub fn hint(error: &Error) -> Option<String> {
    match error {
        Error::Failed { hint, .. } | Error::Problems { hint, .. } => hint.clone(),
        Error::WouldBreak { .. } => {
            Some("nothing was written; change the values and run the command again".into())
        }
        Error::NotFound {
            reference,
            candidates,
        } => Some(
            if reference.len() < 4 && reference.bytes().all(|b| b.is_ascii_hexdigit()) {
                "an id prefix needs at least 4 characters".to_owned()
            } else if candidates.is_empty() {
                "there are no experiments yet; create one with `xp new`".to_owned()
            } else {
                let list: Vec<String> = candidates.iter().map(|c| c.describe()).collect();
                format!(
                    "name an experiment by slug, id prefix (4+ characters) or path; closest:\n  {}",
                    list.join("\n  ")
                )
            },
        ),
        Error::Ambiguous { .. } => Some("use more characters of the id, or the slug".into()),
        Error::Busy { .. } => Some("try again in a moment".into()),
        Error::Git(GitError::Conflicted { path }) => Some(format!(
            "resolve it first: `xp resolve {path}` merges and stages it, or edit it by hand and \
             `git add {path}`"
        )),
        Error::Git(e) => e.hint(),
        Error::Usage { .. } => Some("run `xp --help` for usage".into()),
        Error::Io { .. } => None,
    }
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
