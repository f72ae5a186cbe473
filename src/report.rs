//! Problems -> human text with the source line, or JSON (a stable, documented shape). The
//! human text escapes what it quotes of a file (its name, its values in messages, its lines)
//! for the terminal, and GitHub's annotations do the same for the Actions log.

use std::collections::HashMap;
use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::rules::{Problem, Severity};
use crate::text;

/// The version of the JSON shape; raised on any change that could break a reader.
pub const JSON_VERSION: u32 = 1;

const BOLD: Style = Style::new().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// Most problems shown one by one per file; the rest are counted (JSON lists them all).
pub const MAX_SHOWN: usize = 100;

/// How much of a source line is quoted around a problem, in bytes before and after it.
const AROUND: (usize, usize) = (60, 100);

/// Each problem as `path:line:column: error[rule]: message`, then the source line and hint.
///
/// Hostile files stay cheap: each file's lines are indexed once, only a window of a long line
/// is quoted, and past [`MAX_SHOWN`] problems in one file the rest are only counted.
pub fn human<'a>(
    problems: &[Problem],
    source: &dyn Fn(&Path) -> Option<&'a str>,
    styled: bool,
) -> String {
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let (bold, error, warning) = if styled {
        (BOLD, ERROR, WARNING)
    } else {
        (Style::new(), Style::new(), Style::new())
    };
    let mut out = String::new();
    let mut lines: HashMap<&Path, Option<(&str, Vec<usize>)>> = HashMap::new();
    let mut shown: HashMap<&Path, usize> = HashMap::new();
    let mut hidden: Vec<(&Path, usize)> = Vec::new();
    for p in problems {
        let count = shown.entry(&p.path).or_default();
        if *count == MAX_SHOWN {
            match hidden.iter_mut().find(|(path, _)| *path == p.path) {
                Some((_, n)) => *n += 1,
                None => hidden.push((&p.path, 1)),
            }
            continue;
        }
        *count += 1;
        let (level, style) = match p.severity {
            Severity::Error => (Level::ERROR, error),
            Severity::Warning => (Level::WARNING, warning),
        };
        out.push_str(&format!(
            "{bold}{}:{}:{}:{bold:#} {style}{}[{}]{style:#}{bold}: {}{bold:#}\n",
            text::terminal(&p.path.to_string_lossy()),
            p.line,
            p.column,
            p.severity.name(),
            p.rule.name(),
            text::terminal(&p.message)
        ));
        let indexed = lines
            .entry(&p.path)
            .or_insert_with(|| source(&p.path).map(|text| (text, line_starts(text))));
        let quoted = indexed
            .as_ref()
            .and_then(|(text, starts)| excerpt(text, starts, p.line, p.column));
        let mut group = Group::with_level(level);
        let mut has_body = false;
        if let Some((window, span)) = quoted {
            let snippet = Snippet::source(window)
                .line_start(p.line)
                .annotation(AnnotationKind::Primary.span(span));
            group = group.element(snippet);
            has_body = true;
        }
        if let Some(hint) = &p.hint {
            group = group.element(Level::HELP.message(text::terminal_lines(hint)));
            has_body = true;
        }
        if has_body {
            out.push_str(&renderer.render(&[group]));
            out.push_str("\n\n");
        }
    }
    for (path, n) in hidden {
        out.push_str(&format!(
            "{bold}{}:{bold:#} ... and {n} more problem{} (`xp check --format json` lists all)\n",
            text::terminal(&path.to_string_lossy()),
            if n == 1 { "" } else { "s" }
        ));
    }
    out
}

/// The byte offset where each line of a text starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The part of a line worth quoting for a problem at a line and column (both from 1): a window
/// around the place, marked `...` where cut, escaped for the terminal, and the span of the word
/// there within it.
fn excerpt(
    text: &str,
    starts: &[usize],
    line: usize,
    column: usize,
) -> Option<(String, std::ops::Range<usize>)> {
    let line_start = *starts.get(line.checked_sub(1)?)?;
    let line_text = text[line_start..].split(['\n', '\r']).next().unwrap_or("");
    let at = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    let floor = |mut i: usize| {
        while !line_text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let from = floor(at.saturating_sub(AROUND.0));
    let to = floor((at + AROUND.1).min(line_text.len()));
    let rest = &line_text[at..to];
    let len = rest
        .find(char::is_whitespace)
        .unwrap_or(rest.len())
        .max(rest.chars().next().map_or(0, char::len_utf8));
    let (lead, tail) = (
        if from > 0 { "..." } else { "" },
        if to < line_text.len() { "..." } else { "" },
    );
    // The line holds no line feed; its tabs are the renderer's to show.
    let before = text::terminal_lines(&line_text[from..at]);
    let word = text::terminal_lines(&line_text[at..at + len]);
    let after = text::terminal_lines(&line_text[at + len..to]);
    let window = format!("{lead}{before}{word}{after}{tail}");
    let start = lead.len() + before.len();
    Some((window, start..start + word.len()))
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    ok: bool,
    files: usize,
    problems: Vec<JsonProblem<'a>>,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    path: String,
    line: usize,
    column: usize,
    rule: &'static str,
    severity: &'static str,
    message: &'a str,
    hint: Option<&'a str>,
}

/// The JSON report of `xp check --format json`.
pub fn json(problems: &[Problem], files: usize, warnings: &[String]) -> String {
    let report = JsonReport {
        version: JSON_VERSION,
        ok: !problems.iter().any(|p| p.severity == Severity::Error),
        files,
        warnings,
        problems: problems
            .iter()
            .map(|p| JsonProblem {
                path: p.path.to_string_lossy().replace('\\', "/"),
                line: p.line,
                column: p.column,
                rule: p.rule.name(),
                severity: p.severity.name(),
                message: &p.message,
                hint: p.hint.as_deref(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// Problems as GitHub Actions workflow commands, so they show on the pull request's diff.
/// Paths must be relative to the repository's root.
pub fn github(problems: &[Problem], warnings: &[String]) -> String {
    let mut out = String::new();
    for w in warnings {
        out.push_str(&format!("::warning title=xp::{}\n", escape_data(w)));
    }
    for p in problems {
        let message = match &p.hint {
            Some(hint) => format!("{}\nhint: {hint}", p.message),
            None => p.message.clone(),
        };
        out.push_str(&format!(
            "::{} file={},line={},col={},title={}::{}\n",
            p.severity.name(),
            escape_property(&p.path.to_string_lossy().replace('\\', "/")),
            p.line,
            p.column,
            p.rule.name(),
            escape_data(&message)
        ));
    }
    out
}

/// Escapes a workflow command's message (the log shows control characters escaped).
fn escape_data(text: &str) -> String {
    text::terminal_lines(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::rules::Rule;
    use std::path::PathBuf;

    fn problem_at(line: usize, column: usize) -> Problem {
        Problem {
            field: None,
            line,
            column,
            ..problem()
        }
    }

    fn problem() -> Problem {
        Problem {
            field: None,
            item: None,
            path: PathBuf::from("experiments/a.yaml"),
            line: 2,
            column: 9,
            rule: Rule::TargetVsBaseline,
            message: "target 3 must be above baseline 3.2".into(),
            hint: Some("if lower is better, add `direction: decrease`".into()),
            severity: crate::rules::Severity::Error,
        }
    }

    #[test]
    fn human_names_place_rule_and_shows_the_line() {
        let text = "baseline: 3.2\ntarget: 3   # oops\n";
        let out = human(&[problem()], &|_| Some(text), false);
        assert!(out.starts_with(
            "experiments/a.yaml:2:9: error[target-vs-baseline]: target 3 must be above baseline 3.2\n"
        ));
        assert!(out.contains("target: 3   # oops"), "{out}");
        assert!(out.contains("direction: decrease"), "{out}");
    }

    #[test]
    fn github_annotations_carry_file_line_col_and_rule() {
        let mut p = problem();
        p.path = PathBuf::from("experiments/a,b:c.yaml");
        p.message = "100% wrong\nreally".into();
        assert_eq!(
            github(&[p], &["driver missing".into()]),
            "::warning title=xp::driver missing\n\
             ::error file=experiments/a%2Cb%3Ac.yaml,line=2,col=9,title=target-vs-baseline::\
             100%25 wrong%0Areally%0Ahint: if lower is better, add `direction: decrease`\n"
        );
    }

    #[test]
    fn spans_cover_the_word_at_the_place() {
        let text = "a: 1\nbb: hello world\n";
        let starts = line_starts(text);
        let (window, span) = excerpt(text, &starts, 2, 5).unwrap();
        assert_eq!(
            (window.as_str(), &window[span]),
            ("bb: hello world", "hello")
        );
        assert_eq!(excerpt(text, &starts, 9, 1), None);
        assert_eq!(excerpt(text, &starts, 0, 1), None);
    }

    #[test]
    fn long_lines_are_quoted_around_the_place_only() {
        let text = format!("a: {}é{}\n", "x ".repeat(100_000), "y".repeat(1_000_000));
        let starts = line_starts(&text);
        let column = 3 + 200_000 + 1;
        let (window, span) = excerpt(&text, &starts, 1, column).unwrap();
        assert!(window.len() < 200, "{}", window.len());
        assert!(
            window.starts_with("...x x") && window.ends_with("yyy..."),
            "{window}"
        );
        assert!(window[span].starts_with('é'));
        let out = human(&[problem_at(1, column)], &|_| Some(&text), false);
        assert!(out.len() < 1_000, "{out}");
    }

    #[test]
    fn past_the_limit_problems_are_counted_not_shown() {
        let text = "a: 1\n".repeat(MAX_SHOWN + 5);
        let problems: Vec<Problem> = (1..=MAX_SHOWN + 5).map(|l| problem_at(l, 1)).collect();
        let out = human(&problems, &|_| Some(&text), false);
        assert_eq!(out.matches("error[target-vs-baseline]").count(), MAX_SHOWN);
        assert!(
            out.ends_with(
                "experiments/a.yaml: ... and 5 more problems (`xp check --format json` lists all)\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn json_shape_is_stable() {
        let warnings = vec!["a warning".to_owned()];
        let value: serde_json::Value =
            serde_json::from_str(&json(&[problem()], 3, &warnings)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "version": 1,
                "ok": false,
                "files": 3,
                "problems": [{
                    "path": "experiments/a.yaml",
                    "line": 2,
                    "column": 9,
                    "rule": "target-vs-baseline",
                    "severity": "error",
                    "message": "target 3 must be above baseline 3.2",
                    "hint": "if lower is better, add `direction: decrease`"
                }],
                "warnings": ["a warning"]
            })
        );
    }
}
