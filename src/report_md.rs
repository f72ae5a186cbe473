//! The learning report as Markdown for a wiki page or a sprint review, every text from a
//! record escaped so that it reads as written.

use crate::ops::report::Report;
use crate::record;

/// The report as Markdown: a heading, then per primary metric a table of its experiments
/// with decision, lift and learning.
pub fn markdown(report: &Report) -> String {
    let count: usize = report.metrics.iter().map(|m| m.experiments.len()).sum();
    let mut out = String::from("# What we learned\n\n");
    let since = report
        .since
        .as_deref()
        .map(|s| format!(" since {}", s.get(..10).unwrap_or(s)))
        .unwrap_or_default();
    if count == 0 {
        out.push_str(&format!("No experiment was decided{since}.\n"));
        return out;
    }
    out.push_str(&format!(
        "{count} decided experiment{}{since}, by primary metric.\n",
        if count == 1 { "" } else { "s" }
    ));
    for m in &report.metrics {
        out.push_str(&format!("\n## {}\n\n", escape(&m.metric)));
        out.push_str("| experiment | status | decision | lift | target | learning |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for e in &m.experiments {
            let target = match e.target_met {
                Some(true) => "met",
                Some(false) => "missed",
                None => "-",
            };
            out.push_str(&format!(
                "| {} (`{}`) | {} | {} | {} | {target} | {} |\n",
                escape(&e.title),
                e.slug,
                e.status.as_str(),
                e.decision.as_str(),
                e.lift.map_or("-".to_owned(), record::percent),
                e.learning.as_deref().map_or("-".to_owned(), escape),
            ));
        }
    }
    out
}

/// Text that Markdown shows as written, on one line of a table cell: its markup characters
/// escaped, `<` and `&` as entities (no HTML gets through), line breaks as spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_user_text_is_escaped() {
        assert_eq!(
            escape("a|b *c* <script> [x](y)\nnext"),
            "a\\|b \\*c\\* &lt;script&gt; \\[x\\]\\(y\\) next"
        );
        assert_eq!(escape("signup_rate"), "signup\\_rate");
    }
}
