//! Problems -> human text with the source line, or JSON (a stable, documented shape).

use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::rules::Problem;

/// The version of the JSON shape; raised on any change that could break a reader.
pub const JSON_VERSION: u32 = 1;

const BOLD: Style = Style::new().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();

/// Each problem as `path:line:column: error[rule]: message`, then the source line and hint.
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
    let mut out = String::new();
    for p in problems {
        let (bold, error) = if styled {
            (BOLD, ERROR)
        } else {
            (Style::new(), Style::new())
        };
        out.push_str(&format!(
            "{bold}{}:{}:{}:{bold:#} {error}error[{}]{error:#}{bold}: {}{bold:#}\n",
            p.path.display(),
            p.line,
            p.column,
            p.rule.name(),
            p.message
        ));
        let text = source(&p.path);
        let span = text.and_then(|t| span_at(t, p.line, p.column).map(|s| (t, s)));
        let mut group = Group::with_level(Level::ERROR);
        let mut has_body = false;
        if let Some((text, span)) = span {
            group =
                group.element(Snippet::source(text).annotation(AnnotationKind::Primary.span(span)));
            has_body = true;
        }
        if let Some(hint) = &p.hint {
            group = group.element(Level::HELP.message(hint.as_str()));
            has_body = true;
        }
        if has_body {
            out.push_str(&renderer.render(&[group]));
            out.push_str("\n\n");
        }
    }
    out
}

/// The byte range of the word at a line and column (both from 1) of a text.
fn span_at(text: &str, line: usize, column: usize) -> Option<std::ops::Range<usize>> {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    let line_text = text[line_start..].split(['\n', '\r']).next().unwrap_or("");
    let start = line_start
        + line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i);
    let rest = &text[start..];
    let len = rest
        .find(|c: char| c.is_whitespace())
        .unwrap_or(rest.len())
        .max(rest.chars().next().map_or(0, char::len_utf8));
    Some(start..start + len)
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
        ok: problems.is_empty(),
        files,
        warnings,
        problems: problems
            .iter()
            .map(|p| JsonProblem {
                path: p.path.to_string_lossy().replace('\\', "/"),
                line: p.line,
                column: p.column,
                rule: p.rule.name(),
                severity: "error",
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
            "::error file={},line={},col={},title={}::{}\n",
            escape_property(&p.path.to_string_lossy().replace('\\', "/")),
            p.line,
            p.column,
            p.rule.name(),
            escape_data(&message)
        ));
    }
    out
}

/// Escapes a workflow command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
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

    fn problem() -> Problem {
        Problem {
            path: PathBuf::from("experiments/a.yaml"),
            line: 2,
            column: 9,
            rule: Rule::TargetVsBaseline,
            message: "target 3 must be above baseline 3.2".into(),
            hint: Some("if lower is better, add `direction: decrease`".into()),
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
        assert_eq!(&text[span_at(text, 2, 5).unwrap()], "hello");
        assert_eq!(span_at(text, 9, 1), None);
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
