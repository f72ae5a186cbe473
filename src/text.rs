//! Text from a record shown to people. A record's text is data from strangers: on a terminal
//! its control and bidirectional characters are shown as visible escapes, so that it cannot
//! move the cursor, set a window title, write the clipboard or reorder what is read; in
//! Markdown its markup is escaped, so that it reads as written and injects no HTML, link,
//! image, heading or table cell. A leaf: it names nothing of the crate.

use std::borrow::Cow;

/// Whether a character must not reach a terminal as it is: the C0 and C1 controls and DEL
/// (line breaks and tabs included), the bidirectional controls, and the line and paragraph
/// separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The characters that reorder text on screen and hide what it says (Unicode's
/// `Bidi_Control`).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// Text for one line of a terminal: every unsafe character, line breaks and tabs included,
/// as a visible escape (`\n`, `\r`, `\t`, `\0`, else `\u{1b}`).
pub fn terminal(text: &str) -> Cow<'_, str> {
    escape_where(text, is_unsafe)
}

/// Text for a terminal where it may take several lines: as [`terminal`], but line feeds and
/// tabs stay (a carriage return is still shown as `\r`).
pub fn terminal_lines(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

fn escape_where(text: &str, unsafe_here: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.contains(&unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_here(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A character as a visible escape.
fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c => out.extend(c.escape_unicode()),
    }
}

/// Whether a character breaks a line (CR LF counts once).
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Text for one line of Markdown (a heading, a list item, a table cell) that shows as written
/// under CommonMark and GitHub's Markdown: `&` and `<` as entities (no HTML gets through;
/// `>` alone opens nothing inside a line, so `->` stays readable), markup characters behind a backslash (no emphasis, link, image, code, table cell
/// or heading of the text's own), the places where GitHub would link a bare address (`://`,
/// `www.`, `@`) broken the same way, line breaks as spaces, and other unsafe characters as
/// the terminal's visible escapes.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            c if is_line_break(c) => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '|' | '#' | '~' | '!' | '$' | '@' => {
                out.push('\\');
                out.push(c);
            }
            ':' if chars.peek() == Some(&'/') => out.push_str("\\:"),
            '.' if out
                .get(out.len().saturating_sub(3)..)
                .is_some_and(|end| end.eq_ignore_ascii_case("www")) =>
            {
                out.push_str("\\.");
            }
            c if is_unsafe(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text as a Markdown code span outside a table: a fence longer than any run of backticks in
/// it, line breaks as spaces, unsafe characters as visible escapes. Text of spaces only shows
/// as one more space on each side.
pub fn markdown_code(text: &str) -> String {
    let mut content = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            c if is_line_break(c) => content.push(' '),
            c if is_unsafe(c) => push_visible(&mut content, c),
            c => content.push(c),
        }
    }
    let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A space inside each fence keeps a backtick or space at either end as written.
    let pad = if content.starts_with(['`', ' ']) || content.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{content}{pad}{fence}")
}

/// [`markdown_code`] inside a table cell. A `|` ends a cell even in code, and its escape
/// cannot follow a backslash there, so text with a `|` is [`markdown`] text instead.
pub fn markdown_code_cell(text: &str) -> String {
    if text.contains('|') {
        markdown(text)
    } else {
        markdown_code(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_shows_every_unsafe_character_as_an_escape() {
        assert_eq!(
            terminal("a\u{1b}]0;x\u{7}b\u{1b}[31m\r\n\t\0\u{9b}\u{202e}\u{2028}\u{7f}"),
            "a\\u{1b}]0;x\\u{7}b\\u{1b}[31m\\r\\n\\t\\0\\u{9b}\\u{202e}\\u{2028}\\u{7f}"
        );
        assert_eq!(terminal("Café ✓ 漢字"), "Café ✓ 漢字");
        assert!(matches!(terminal("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn terminal_lines_keep_line_feeds_and_tabs_only() {
        assert_eq!(terminal_lines("a\nb\tc\r\n"), "a\nb\tc\\r\n");
        assert_eq!(terminal_lines("\u{200f}\u{1b}"), "\\u{200f}\\u{1b}");
    }

    #[test]
    fn every_bidi_control_is_unsafe() {
        for c in [
            '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
            '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}',
            '\u{80}', '\u{9f}', '\u{0}', '\u{1f}', '\u{7f}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in ['a', ' ', '\u{a0}', '\u{200d}', 'é', '\u{fffd}'] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }

    #[test]
    fn markdown_escapes_markup_html_and_line_breaks() {
        assert_eq!(
            markdown("a|b *c* <script> [x](y)\r\n## next & ![i](u)"),
            "a\\|b \\*c\\* &lt;script> \\[x\\]\\(y\\) \\#\\# next &amp; \\!\\[i\\]\\(u\\)"
        );
        assert_eq!(markdown("signup_rate"), "signup\\_rate");
        assert_eq!(
            markdown("see https://x.example and WWW.y.example, a@b.example"),
            "see https\\://x.example and WWW\\.y.example, a\\@b.example"
        );
        assert_eq!(markdown("\u{1b}[31m\u{202e}"), "\\u{1b}\\[31m\\u{202e}");
    }

    #[test]
    fn code_spans_hold_any_backticks_and_escape_controls() {
        assert_eq!(markdown_code("a.yaml"), "`a.yaml`");
        assert_eq!(markdown_code("a`b``c"), "```a`b``c```");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_code("a\nb\u{1b}"), "`a b\\u{1b}`");
        assert_eq!(markdown_code("a|b"), "`a|b`");
        assert_eq!(markdown_code_cell("a|b"), "a\\|b");
        assert_eq!(markdown_code_cell("a-b"), "`a-b`");
    }

    /// The escaped text as GitHub's Markdown renders it (comrak, with GitHub's extensions and
    /// raw HTML let through, so that any that got in would show).
    mod rendered {
        #![allow(clippy::unwrap_used)]
        use proptest::prelude::*;

        use super::*;

        /// Text weighted to what breaks Markdown and terminals: markup characters, bare
        /// addresses, HTML, line breaks, control and bidirectional characters.
        fn hostile() -> impl Strategy<Value = String> {
            let special = proptest::sample::select(vec![
                '\\', '`', '*', '_', '[', ']', '(', ')', '|', '#', '~', '!', '$', '@', '<', '>',
                '&', ':', '/', '.', '-', '+', '=', '"', '\'', ' ', '\n', '\r', '\t', '\0',
                '\u{1b}', '\u{7}', '\u{7f}', '\u{85}', '\u{9b}', '\u{202e}', '\u{2028}',
                '\u{2029}', '\u{a0}', ';', '^', '{', '}', '%', 'x',
            ])
            .prop_map(String::from);
            let token = proptest::sample::select(vec![
                "https://evil.example/x?a=1",
                "http://x.example",
                "www.evil.example",
                "WWW.evil.example/p",
                "mailto:a@b.example",
                "ann@evil.example",
                "<img src=x onerror=alert(1)>",
                "<!--",
                "<b>",
                "&lt;",
                "&#60;",
                "[a](http://x.example)",
                "![i](http://x.example/i.png)",
                "[^1]",
                "$x$",
                "~~s~~",
                "**b**",
                "`c`",
                "\n# heading\n",
                "\n| a | b |\n",
                "\r\n---\r\n",
                "\u{1b}]0;title\u{7}",
                "\u{1b}]52;c;aGk=\u{7}",
                "\u{1b}[31m",
            ])
            .prop_map(str::to_owned);
            let piece =
                prop_oneof![2 => any::<char>().prop_map(String::from), 3 => special, 1 => token];
            proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
        }

        fn html(md: &str) -> String {
            let mut options = comrak::Options::default();
            options.extension.strikethrough = true;
            options.extension.table = true;
            options.extension.autolink = true;
            options.extension.footnotes = true;
            options.extension.math_dollars = true;
            options.render.r#unsafe = true;
            comrak::markdown_to_html(md, &options)
        }

        /// What a reader should see of `text`: line breaks as spaces, unsafe characters as
        /// their escapes.
        fn seen(text: &str) -> String {
            let mut out = String::new();
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\r' if chars.peek() == Some(&'\n') => {}
                    c if is_line_break(c) => out.push(' '),
                    c if is_unsafe(c) => push_visible(&mut out, c),
                    c => out.push(c),
                }
            }
            out
        }

        /// The tags of an HTML fragment, and its text with the entities decoded.
        fn parts(html: &str) -> (Vec<String>, String) {
            let mut tags = Vec::new();
            let mut text = String::new();
            let mut rest = html;
            while let Some(open) = rest.find('<') {
                text.push_str(&rest[..open]);
                let close = rest[open..].find('>').unwrap() + open;
                tags.push(rest[open + 1..close].to_owned());
                rest = &rest[close + 1..];
            }
            text.push_str(rest);
            let text = text
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            (tags, text)
        }

        proptest! {
            #[test]
            fn a_heading_shows_the_text_and_nothing_else(s in hostile()) {
                let (tags, text) = parts(&html(&format!("#### {}\n", markdown(&s))));
                prop_assert_eq!(tags, ["h4", "/h4"]);
                prop_assert_eq!(text, format!("{}\n", seen(&s).trim_matches(' ')));
            }

            #[test]
            fn a_list_item_shows_the_text_and_nothing_else(s in hostile()) {
                let (tags, text) = parts(&html(&format!("- **note**: {}\n", markdown(&s))));
                prop_assert_eq!(tags, ["ul", "li", "strong", "/strong", "/li", "/ul"]);
                let line = format!("note: {}", seen(&s));
                prop_assert_eq!(text, format!("\n{}\n\n", line.trim_end_matches(' ')));
            }

            #[test]
            fn a_table_cell_shows_the_text_and_nothing_else(
                s in hostile(),
                code in hostile().prop_filter("a slug is never blank", |s| !seen(s).trim_matches(' ').is_empty()),
            ) {
                let md = format!(
                    "| a | b |\n| --- | --- |\n| {} | {} |\n",
                    markdown(&s),
                    markdown_code_cell(&code)
                );
                let (tags, text) = parts(&html(&md));
                let cell = if code.contains('|') { "" } else { "code /code " };
                prop_assert_eq!(
                    tags.join(" "),
                    format!(
                        "table thead tr th /th th /th /tr /thead tbody tr td /td td {cell}/td \
                         /tr /tbody /table"
                    )
                );
                let code = if code.contains('|') { seen(&code).trim_matches(' ').to_owned() } else { seen(&code) };
                prop_assert_eq!(
                    text,
                    format!("\n\n\na\nb\n\n\n\n\n{}\n{}\n\n\n\n", seen(&s).trim_matches(' '), code)
                );
            }

            #[test]
            fn a_code_span_shows_the_text_as_written(
                s in hostile().prop_filter("a path is never blank", |s| !seen(s).trim_matches(' ').is_empty())
            ) {
                let (tags, text) = parts(&html(&format!("path: {}\n", markdown_code(&s))));
                prop_assert_eq!(tags, ["p", "code", "/code", "/p"]);
                prop_assert_eq!(text, format!("path: {}\n", seen(&s)));
            }
        }
    }
}
