//! YAML behind one module: a spanned tree (`tree.rs`) read by a fast reader for the YAML xp
//! writes (`fast.rs`) or else by the full parser's events, scalar typing by the YAML 1.2 core
//! schema, and quoting of values written back.
//!
//! The tree never expands aliases (an alias is a pointer to its anchored node), so an alias
//! bomb costs nothing; nesting and node counts are bounded, so hostile input fails fast.

pub mod fast;
mod tree;

use std::borrow::Cow;

use granit_parser::{Event, Marker, Options, Parser, ScalarStyle, Span, StructureStyle, Tag};

use tree::{Builder, MAX_DEPTH};
pub use tree::{Document, Kind, Node, NodeId, Pos, Run, Style, SyntaxError, Value, resolve_plain};

/// Parses one YAML document into a spanned tree: by the fast reader when the text is in the
/// shape it reads, else by the full parser. Both give the same tree for any text the fast
/// reader takes (a differential fuzz target and property tests hold them to it).
pub fn parse(text: &str) -> Result<Document, SyntaxError> {
    match fast::parse(text) {
        Some(doc) => Ok(doc),
        None => parse_full(text),
    }
}

/// Parses one YAML document with the full parser, whatever its shape.
pub fn parse_full(text: &str) -> Result<Document, SyntaxError> {
    let mut options = Options::default();
    options.block_nesting_limit = MAX_DEPTH;
    options.flow_nesting_limit = MAX_DEPTH;
    // Comments are not part of the tree; caught, they are buffered while the parser looks ahead
    // and a long run of them would be refused as "too many".
    options.set_emit_comments(false);
    let mut builder = Builder::with_capacity(0, 0);
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut documents = 0;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| SyntaxError {
            pos: pos(e.marker()),
            message: e.info(),
        })?;
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        pos: pos(&span.start),
                        message: "a second YAML document starts here; an experiment file holds \
                                  exactly one"
                            .into(),
                    });
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Anchor(..) => {}
            Event::UnresolvedAlias(name) => {
                return Err(SyntaxError {
                    pos: pos(&span.start),
                    message: format!("alias `*{name}` names no anchor defined before it"),
                });
            }
            Event::Alias(anchor) => {
                let Some(target) = builder.anchored(anchor) else {
                    return Err(SyntaxError {
                        pos: pos(&span.start),
                        message: "alias names no anchor defined before it".into(),
                    });
                };
                builder.alias(target, spanned(&span))?;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                };
                let tag = tag.map(|t| short_tag(&t));
                builder.scalar(&value, style, spanned(&span), tag, anchor)?;
            }
            Event::SequenceStart(style, anchor, tag) => {
                let flow = style == StructureStyle::Flow;
                let tag = tag.map(|t| short_tag(&t));
                builder.open(false, flow, spanned(&span), tag, anchor)?;
            }
            Event::MappingStart(style, anchor, tag) => {
                let flow = style == StructureStyle::Flow;
                let tag = tag.map(|t| short_tag(&t));
                builder.open(true, flow, spanned(&span), tag, anchor)?;
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close(spanned(&span))?,
            _ => {}
        }
    }
    builder.finish().ok_or_else(|| SyntaxError {
        pos: Pos::start(),
        message: "the file is empty".into(),
    })
}

/// A parser's place as a [`Pos`]: columns from 1.
fn pos(marker: &Marker) -> Pos {
    Pos {
        line: marker.line(),
        column: marker.col() + 1,
        byte: marker.byte_offset().unwrap_or(0),
    }
}

fn spanned(span: &Span) -> (Pos, Pos) {
    (pos(&span.start), pos(&span.end))
}

/// The tag as a person writes it: `!!str` for core tags, else the original form.
fn short_tag(tag: &Tag) -> String {
    match tag.core_suffix() {
        Some(suffix) => format!("!!{suffix}"),
        None => tag.original(),
    }
}

/// The text of a string value on one line: plain when YAML reads it back as the same string,
/// else quoted. Strings with line breaks come back as a double-quoted scalar with escapes.
pub fn quote(value: &str) -> String {
    if !value.contains(['\n', '\r'])
        && let Ok(text) = serde_saphyr::to_string(&value)
    {
        let text = text.strip_suffix('\n').unwrap_or(&text);
        if !text.contains('\n') && reads_back(text, value) {
            return text.to_owned();
        }
    }
    double_quote(value)
}

/// A double-quoted scalar with JSON-style escapes, which YAML reads back exactly.
pub fn double_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if is_escaped(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a double-quoted scalar writes a character as an escape: outside YAML's printable
/// set (DEL, the C1 controls, U+FFFE, U+FFFF), a bidirectional control, or a byte-order mark.
fn is_escaped(c: char) -> bool {
    !is_printable(c) || crate::text::is_bidi_control(c) || c == '\u{feff}'
}

fn push_escape(out: &mut String, c: char) {
    match u16::try_from(u32::from(c)) {
        Ok(unit) => out.push_str(&format!("\\u{unit:04x}")),
        Err(_) => out.push_str(&format!("\\U{:08x}", u32::from(c))),
    }
}

/// JSON text as YAML reads it: JSON is YAML, but its strings may hold characters raw that YAML
/// reads only as escapes (DEL, the C1 controls, U+FFFE, U+FFFF), so those are written as
/// escapes, which read back as the same text. Outside strings JSON has only ASCII, which is
/// left alone.
pub fn json_as_yaml(json: &str) -> Cow<'_, str> {
    if !json.contains(is_escaped) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_escaped(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// YAML's printable set, which may stand unescaped in a scalar.
fn is_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Whether `text`, as the value of a key, reads back as the string `value` and nothing else.
/// YAML 1.1 booleans (`no`, `on`, `y`) are quoted too, for tools that still read them so.
fn reads_back(text: &str, value: &str) -> bool {
    const YAML11: [&str; 20] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF", "=", "<<", "true", "false",
    ];
    if text == value && YAML11.contains(&value) {
        return false;
    }
    if value.chars().any(|c| c.is_control() || is_escaped(c)) {
        return false;
    }
    let doc = format!("k: {text}\n");
    let Ok(parsed) = parse(&doc) else {
        return false;
    };
    parsed
        .entry(parsed.root, "k")
        .is_some_and(|(_, v)| parsed.value(v) == Value::Str(value))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn value_of(text: &str) -> String {
        let doc = parse(&format!("k: {text}\n")).unwrap();
        let (_, v) = doc.entry(doc.root, "k").unwrap();
        match doc.value(v) {
            Value::Str(s) => s.to_owned(),
            other => panic!("{text} read as {other:?}"),
        }
    }

    #[test]
    fn core_schema_types_plain_scalars() {
        assert_eq!(resolve_plain("3.2"), Value::Float(3.2));
        assert_eq!(resolve_plain("-3"), Value::Int(-3));
        assert_eq!(resolve_plain("1e3"), Value::Float(1000.0));
        assert_eq!(resolve_plain(".5"), Value::Float(0.5));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("true"), Value::Bool(true));
        assert_eq!(resolve_plain("no"), Value::Str("no"));
        assert_eq!(resolve_plain("1.2.3"), Value::Str("1.2.3"));
        assert_eq!(resolve_plain("e3"), Value::Str("e3"));
        assert_eq!(resolve_plain("."), Value::Str("."));
    }

    #[test]
    fn escaped_control_characters_are_kept() {
        // DEL is outside YAML's printable set but may be written as an escape.
        assert_eq!(value_of("\"a\\u007fb\""), "a\u{7f}b");
        assert_eq!(value_of("\"\\x7f\""), "\u{7f}");
        assert_eq!(value_of("\"a\\u0001b\""), "a\u{1}b");
        assert_eq!(value_of("\"\\u007f\""), "\u{7f}");
    }

    #[test]
    fn quoted_number_is_a_string() {
        let doc = parse("a: \"3.2\"\nb: 3.2\nc: !!str 3\n").unwrap();
        let get = |k| doc.value(doc.entry(doc.root, k).unwrap().1);
        assert_eq!(get("a"), Value::Str("3.2"));
        assert_eq!(get("b"), Value::Float(3.2));
        assert_eq!(get("c"), Value::Str("3"));
    }

    #[test]
    fn quote_protects_values_yaml_would_misread() {
        for s in [
            "no", "on", "yes", "1e3", "- x", "#", "a: b", " lead", "trail ", "null", "~", "3.2",
            "", "x #y", "[a]", "{a}", "*a", "&a", "!t", "%x", "@x", "`x", "'q'", "\"q\"", "? x",
            "|", ">", "tab\tin",
        ] {
            let q = quote(s);
            assert_ne!(q, s, "{s:?} must be quoted");
            assert_eq!(value_of(&q), s);
        }
        assert_eq!(quote("Homepage CTA Color"), "Homepage CTA Color");
        assert_eq!(quote("O'Brien"), "O'Brien");
        assert_eq!(quote("line\nbreak"), "\"line\\nbreak\"");
        assert_eq!(value_of(&quote("line\nbreak")), "line\nbreak");
        assert_eq!(quote("a\0b"), "\"a\\0b\"");
        assert_eq!(value_of(&quote("a\0b")), "a\0b");
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let doc = parse("id: x\ntitle: \"Q\" # c\n").unwrap();
        let (k, v) = doc.entry(doc.root, "title").unwrap();
        assert_eq!((doc.node(k).start.line, doc.node(k).start.column), (2, 1));
        assert_eq!(doc.node(v).start.column, 8);
        assert_eq!(doc.node(v).start.byte..doc.node(v).end.byte, 13..16);
    }

    #[test]
    fn refuses_what_a_record_cannot_be() {
        let err = |t: &str| parse(t).unwrap_err().message;
        assert!(err("").contains("empty"));
        assert!(err("a: 1\n---\nb: 2\n").contains("second YAML document"));
        assert!(err("a: 1\nb: 2\na: 3\n").contains("duplicate key `a`"));
        let deep = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn aliases_point_at_their_anchor_without_expanding() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 0..30 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("b{}", i - 1)
            };
            bomb.push_str(&format!(
                "b{i}: &b{i} [{}]\n",
                vec![format!("*{prev}"); 9].join(", ")
            ));
        }
        let doc = parse(&bomb).unwrap();
        assert!(doc.has_anchors);
        assert!(doc.nodes.len() < 1000);
    }

    /// Text weighted to the characters YAML reads only as escapes, or reads otherwise.
    fn controls() -> impl Strategy<Value = String> {
        let hostile = proptest::sample::select(vec![
            '\0', '\u{7}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{80}', '\u{85}', '\u{9f}',
            '\u{a0}', '\u{fffe}', '\u{ffff}', '\u{feff}', '\u{2028}', '\u{2029}', '\u{202e}',
            '\u{61c}', '"', '\\', '\'', ':', '#', ' ',
        ]);
        let c = prop_oneof![
            2 => any::<char>(),
            3 => hostile,
            1 => proptest::char::range('\u{0}', '\u{9f}'),
        ];
        proptest::collection::vec(c, 0..24).prop_map(|v| v.into_iter().collect())
    }

    /// The fast reader's tree, when it takes the text, is the full parser's; says whether it
    /// took it.
    fn readers_agree(text: &str) -> bool {
        let Some(doc) = fast::parse(text) else {
            return false;
        };
        assert_eq!(parse_full(text), Ok(doc), "the readers differ on {text:?}");
        true
    }

    #[test]
    fn the_fast_reader_takes_what_xp_writes() {
        use crate::record::{Direction, LogEntry, Record, edit};
        let files = [
            crate::test_support::SAMPLE,
            include_str!("../../fixtures/valid/checkout-latency.yaml"),
            include_str!("../../fixtures/valid/homepage-cta-color.yaml"),
        ];
        for text in files {
            assert!(readers_agree(text), "{text}");
        }
        let record = Record {
            title: "Checkout: one page, \"fast\" #1".into(),
            hypothesis: "It's quicker; 'really' \\ 100%".into(),
            direction: Some(Direction::Decrease),
            owner: Some("Zoë".into()),
            tags: Some(vec!["q1".into(), "no".into(), "- x".into(), "a: b".into()]),
            links: Some(vec!["https://example.com/a?b=c#d".into()]),
            ..crate::test_support::sample()
        };
        let mut text = edit::render_record(&record);
        for note in [
            "plain",
            "with: colon",
            "line\nbreak",
            "tab\there",
            "bell\u{7}",
            "é\u{202e}",
        ] {
            let entry = LogEntry {
                at: "2026-03-01T00:00:00.000Z".into(),
                who: Some("o'brien".into()),
                note: note.into(),
            };
            assert!(readers_agree(&text), "{text}");
            text = edit::append_log_entry(&text, &parse(&text).unwrap(), &entry).unwrap();
        }
        assert!(readers_agree(&text), "{text}");
    }

    #[test]
    fn generated_records_reach_the_fast_reader() {
        // The differential properties prove little unless the fast reader takes most of the
        // records they make that YAML reads.
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = crate::test_support::written_record();
        let (mut read, mut taken) = (0, 0);
        for _ in 0..2000 {
            let text = strategy.new_tree(&mut runner).unwrap().current();
            read += usize::from(parse_full(&text).is_ok());
            taken += usize::from(readers_agree(&text));
        }
        assert!(taken * 2 > read, "the fast reader took {taken} of {read}");
    }

    #[test]
    fn the_readers_agree_on_hand_written_shapes() {
        // In the fast reader's shape: the same tree.
        for text in [
            "a: b\n",
            "a: b",
            "a: b   \n\n\n",
            "a:\n",
            "a:",
            "a:   \nb: c\n",
            "a: # c\nb: c\n",
            "a:\n# c\n  # d\nb: c\n",
            "# head\n\n  # more\na: 1\n# tail",
            "a: x # c\nb: 'y' # c\nc: \"z\"  #c\n",
            "a: x#y\nb: x #\nc: -1\nd: -x\ne: x:y\nf: x - y\ng: x [y\nh: x]\n",
            "a: []\nb: [] # c\n",
            "l:\n- a\n-   b\n- 'c'\n- \"d\"\nm: x\n",
            "l:\n  - a\n  - b\nm:\n    - c\n",
            "log:\n- at: 1\n  who: x\n\n  # c\n  note: y\n- at: 2\n  note: z\n",
            "log:\n  - at: 1\n    note: y\n  -   at: 2\n      note: z\nk: v\n",
            "m:\n  a: 1\n  b:\n    c: 2\nn: 3\n",
            "a: 'it''s'\nb: ''''\nc: ''\nd: \"\"\n",
            "a: \"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\\"\\/\\\\\\N\\_\\L\\P\"\n",
            "a: \"\\x41\\xe9\\u00e9\\U0001F600\\u0085\\ufeff\"\n",
            "a: é\nb: 'ü' # ä\nc: \"😀\" \nd: x😀y\n",
            "t: 2026-02-22T18:30:00.000Z\nu: https://x.example/a#b\n",
            &format!("a:\n{}b: c\n", "# c\n".repeat(500)),
            &format!("a: \n{}", "#\n#A %\n".repeat(200)),
        ] {
            assert!(readers_agree(text), "the fast reader gave up on {text:?}");
        }
        // Outside it: the full parser reads them, whatever they are.
        for text in [
            "",
            "# only a comment\n",
            "\u{feff}a: b\n",
            "a: b\r\n",
            "a:\tb\n",
            "a: &x b\nc: *x\n",
            "a: !!str 3\n",
            "a: [b, c]\n",
            "a: {b: c}\n",
            "{a: b}\n",
            "a: |\n  x\n",
            "a: >\n  x\n",
            "a: b\n  c\n",
            "a: 'b\n  c'\n",
            "a: \"b\\\n  c\"\n",
            "a: \"\\q\"\n",
            "a: \"\\ud800\"\n",
            "a: b\na: c\n",
            "a: b: c\n",
            "a: b:\n",
            "'a': b\n",
            "a : b\n",
            "  a: b\n",
            "- a\n- b\n",
            "a: b\n- c\n",
            "a:\n-\n",
            "a:\n- - b\n",
            "a:\n  b\n",
            "---\na: b\n",
            "a: b\n---\nc: d\n",
            "a: b\n...\n",
            "%YAML 1.2\n---\na: b\n",
            "a: 'x'y\n",
            "a: x\n   # c\n",
            "a: \u{84}\n",
            "a: \u{7f}\n",
        ] {
            assert!(!readers_agree(text), "the fast reader took {text:?}");
        }
    }

    proptest! {
        #[test]
        fn any_string_round_trips_through_quote(s in any::<String>()) {
            prop_assert_eq!(value_of(&quote(&s)), s);
        }

        #[test]
        fn control_characters_round_trip_through_quote(s in controls()) {
            prop_assert_eq!(value_of(&quote(&s)), s);
        }

        #[test]
        fn any_json_string_reads_back_as_yaml(s in prop_oneof![any::<String>(), controls()]) {
            let json = serde_json::to_string(&s).unwrap();
            prop_assert_eq!(value_of(&json_as_yaml(&json)), s);
        }

        #[test]
        fn any_text_parses_without_panic(s in any::<String>()) {
            let _ = parse(&s);
        }

        #[test]
        fn written_records_read_the_same_by_both_readers(
            text in crate::test_support::written_record()
        ) {
            readers_agree(&text);
        }

        #[test]
        fn edited_records_read_the_same_by_both_readers(
            text in prop_oneof![
                crate::test_support::mutated_record(),
                crate::test_support::mutated_with(crate::test_support::GENTLE, 1..6),
                crate::test_support::hostile_bytes()
                    .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
                crate::test_support::written_value().prop_map(|v| format!("k: {v}\nl:\n- {v}\n")),
            ]
        ) {
            readers_agree(&text);
        }
    }
}
