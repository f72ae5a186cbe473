//! YAML behind one module: a spanned tree built from the parser's events, scalar typing by the
//! YAML 1.2 core schema, and quoting of values written back.
//!
//! The tree never expands aliases (an alias is a pointer to its anchored node), so an alias
//! bomb costs nothing; nesting and node counts are bounded, so hostile input fails fast.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Marker, Options, Parser, ScalarStyle, Span, StructureStyle, Tag};

/// Index of a node in a [`Document`].
pub type NodeId = usize;

/// Deepest nesting accepted; records are three levels deep.
const MAX_DEPTH: usize = 64;
/// Most nodes accepted in one file.
const MAX_NODES: usize = 1_000_000;

/// A place in the text: line and column from 1 (columns count characters), and byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

impl Pos {
    /// The first character of the text.
    pub fn start() -> Pos {
        Pos {
            line: 1,
            column: 1,
            byte: 0,
        }
    }

    fn from_marker(marker: &Marker) -> Pos {
        Pos {
            line: marker.line(),
            column: marker.col() + 1,
            byte: marker.byte_offset().unwrap_or(0),
        }
    }
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Scalar { text: String, style: Style },
    Seq(Vec<NodeId>),
    Map(Vec<(NodeId, NodeId)>),
    Alias(NodeId),
}

/// One node with the text range it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub start: Pos,
    pub end: Pos,
    /// Written in flow style (`[a, b]`, `{a: b}`).
    pub flow: bool,
    /// The tag as written, e.g. `!!str`.
    pub tag: Option<String>,
    pub anchored: bool,
}

/// A node's value under the core schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
    Seq(&'a [NodeId]),
    Map(&'a [(NodeId, NodeId)]),
    /// A scalar whose tag xp does not read (e.g. `!!binary`, `!custom`).
    Tagged(&'a str),
}

impl Value<'_> {
    /// How the value is called in messages ("a number", "a list").
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Tagged(_) => "a tagged value",
        }
    }
}

/// A parsed YAML document.
#[derive(Debug, Clone)]
pub struct Document {
    pub nodes: Vec<Node>,
    pub root: NodeId,
    /// The text uses anchors or aliases somewhere.
    pub has_anchors: bool,
}

/// Why the text is not one readable YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

impl Document {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Follows an alias to the node it names.
    pub fn target(&self, mut id: NodeId) -> NodeId {
        // Aliases point backwards to anchors defined earlier, so this ends.
        while let Kind::Alias(to) = self.nodes[id].kind {
            id = to;
        }
        id
    }

    /// The node's value under the YAML 1.2 core schema (aliases followed).
    pub fn value(&self, id: NodeId) -> Value<'_> {
        let node = &self.nodes[self.target(id)];
        match &node.kind {
            Kind::Seq(items) => Value::Seq(items),
            Kind::Map(entries) => Value::Map(entries),
            Kind::Alias(_) => Value::Null,
            Kind::Scalar { text, style } => match node.tag.as_deref() {
                None if *style == Style::Plain => resolve_plain(text),
                None | Some("!!str") | Some("!") => Value::Str(text),
                Some("!!int") | Some("!!float") | Some("!!null") | Some("!!bool") => {
                    match resolve_plain(text) {
                        v @ (Value::Int(_) | Value::Float(_))
                            if matches!(node.tag.as_deref(), Some("!!int" | "!!float")) =>
                        {
                            v
                        }
                        v @ Value::Null if node.tag.as_deref() == Some("!!null") => v,
                        v @ Value::Bool(_) if node.tag.as_deref() == Some("!!bool") => v,
                        _ => Value::Tagged(node.tag.as_deref().unwrap_or_default()),
                    }
                }
                Some(other) => Value::Tagged(other),
            },
        }
    }

    /// The value node of `key` in a mapping node, with the key node.
    pub fn entry(&self, map: NodeId, key: &str) -> Option<(NodeId, NodeId)> {
        match &self.nodes[self.target(map)].kind {
            Kind::Map(entries) => entries
                .iter()
                .copied()
                .find(|(k, _)| self.value(*k) == Value::Str(key)),
            _ => None,
        }
    }

    /// The entries of the top-level mapping, if the root is one.
    pub fn root_entries(&self) -> Option<&[(NodeId, NodeId)]> {
        match &self.nodes[self.root].kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The last byte of content under a node, following nested collections.
    pub fn content_end(&self, id: NodeId) -> Pos {
        let node = &self.nodes[id];
        if node.flow {
            return node.end;
        }
        match &node.kind {
            Kind::Seq(items) => items.last().map_or(node.end, |&i| self.content_end(i)),
            Kind::Map(entries) => entries
                .last()
                .map_or(node.end, |&(_, v)| self.content_end(v)),
            _ => node.end,
        }
    }
}

/// Types a plain scalar by the YAML 1.2 core schema.
pub fn resolve_plain(text: &str) -> Value<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(oct) = text.strip_prefix("0o")
        && let Ok(n) = i64::from_str_radix(oct, 8)
    {
        return Value::Int(n);
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(n) = i64::from_str_radix(hex, 16)
    {
        return Value::Int(n);
    }
    if is_decimal_int(text) {
        if let Ok(n) = text.parse::<i64>() {
            return Value::Int(n);
        }
        if let Ok(x) = text.parse::<f64>() {
            return Value::Float(x);
        }
    }
    if is_decimal_float(text)
        && let Ok(x) = text.parse::<f64>()
    {
        return Value::Float(x);
    }
    Value::Str(text)
}

fn is_decimal_int(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_decimal_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => all_digits(int) && all_digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && all_digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Parses one YAML document into a spanned tree.
pub fn parse(text: &str) -> Result<Document, SyntaxError> {
    let mut options = Options::default();
    options.block_nesting_limit = MAX_DEPTH;
    options.flow_nesting_limit = MAX_DEPTH;
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut documents = 0;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| SyntaxError {
            pos: Pos::from_marker(e.marker()),
            message: e.info(),
        })?;
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        pos: Pos::from_marker(&span.start),
                        message: "a second YAML document starts here; an experiment file holds \
                                  exactly one"
                            .into(),
                    });
                }
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentEnd
            | Event::Comment(..)
            | Event::Anchor(..) => {}
            Event::UnresolvedAlias(name) => {
                return Err(SyntaxError {
                    pos: Pos::from_marker(&span.start),
                    message: format!("alias `*{name}` names no anchor defined before it"),
                });
            }
            Event::Alias(anchor) => {
                let Some(&target) = builder.anchors.get(&anchor) else {
                    return Err(SyntaxError {
                        pos: Pos::from_marker(&span.start),
                        message: "alias names no anchor defined before it".into(),
                    });
                };
                builder.has_anchors = true;
                builder.leaf(Kind::Alias(target), &span, None, 0)?;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                };
                let kind = Kind::Scalar {
                    text: value.into_owned(),
                    style,
                };
                builder.leaf(kind, &span, tag, anchor)?;
            }
            Event::SequenceStart(style, anchor, tag) => {
                builder.open(Kind::Seq(Vec::new()), style, &span, tag, anchor)?;
            }
            Event::MappingStart(style, anchor, tag) => {
                builder.open(Kind::Map(Vec::new()), style, &span, tag, anchor)?;
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close(&span)?,
            _ => {}
        }
    }
    let Some(root) = builder.root else {
        return Err(SyntaxError {
            pos: Pos {
                line: 1,
                column: 1,
                byte: 0,
            },
            message: "the file is empty".into(),
        });
    };
    Ok(Document {
        nodes: builder.nodes,
        root,
        has_anchors: builder.has_anchors,
    })
}

#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    /// Open collections, innermost last, with a pending mapping key.
    stack: Vec<(NodeId, Option<NodeId>)>,
    anchors: HashMap<usize, NodeId>,
    root: Option<NodeId>,
    has_anchors: bool,
}

impl Builder {
    fn push(
        &mut self,
        kind: Kind,
        span: &Span,
        flow: bool,
        tag: Option<Cow<'_, Tag>>,
        anchor: usize,
    ) -> Result<NodeId, SyntaxError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(SyntaxError {
                pos: Pos::from_marker(&span.start),
                message: format!("more than {MAX_NODES} values in one file"),
            });
        }
        let id = self.nodes.len();
        let tag = tag.map(|t| short_tag(&t));
        self.nodes.push(Node {
            kind,
            start: Pos::from_marker(&span.start),
            end: Pos::from_marker(&span.end),
            flow,
            tag,
            anchored: anchor != 0,
        });
        if anchor != 0 {
            self.anchors.insert(anchor, id);
            self.has_anchors = true;
        }
        Ok(id)
    }

    fn leaf(
        &mut self,
        kind: Kind,
        span: &Span,
        tag: Option<Cow<'_, Tag>>,
        anchor: usize,
    ) -> Result<(), SyntaxError> {
        let id = self.push(kind, span, false, tag, anchor)?;
        self.attach(id)
    }

    fn open(
        &mut self,
        kind: Kind,
        style: StructureStyle,
        span: &Span,
        tag: Option<Cow<'_, Tag>>,
        anchor: usize,
    ) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxError {
                pos: Pos::from_marker(&span.start),
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
            });
        }
        let id = self.push(kind, span, style == StructureStyle::Flow, tag, anchor)?;
        self.stack.push((id, None));
        Ok(())
    }

    fn close(&mut self, span: &Span) -> Result<(), SyntaxError> {
        let Some((id, _)) = self.stack.pop() else {
            return Ok(());
        };
        if self.nodes[id].flow {
            self.nodes[id].end = Pos::from_marker(&span.end);
        } else {
            self.nodes[id].end = Pos::from_marker(&span.start);
        }
        self.check_duplicates(id)?;
        self.attach(id)
    }

    /// Puts a finished node into its parent (or makes it the root).
    fn attach(&mut self, id: NodeId) -> Result<(), SyntaxError> {
        let Some((parent, pending)) = self.stack.last_mut() else {
            self.root.get_or_insert(id);
            return Ok(());
        };
        let parent = *parent;
        match pending.take() {
            Some(key) => {
                if let Kind::Map(entries) = &mut self.nodes[parent].kind {
                    entries.push((key, id));
                }
            }
            None => match &mut self.nodes[parent].kind {
                Kind::Seq(items) => items.push(id),
                Kind::Map(_) => *pending = Some(id),
                _ => {}
            },
        }
        Ok(())
    }

    fn check_duplicates(&self, id: NodeId) -> Result<(), SyntaxError> {
        let Kind::Map(entries) = &self.nodes[id].kind else {
            return Ok(());
        };
        let mut seen: HashMap<&str, &Node> = HashMap::new();
        for (key, _) in entries {
            let node = &self.nodes[*key];
            if let Kind::Scalar { text, .. } = &node.kind
                && let Some(first) = seen.insert(text, node)
            {
                return Err(SyntaxError {
                    pos: node.start,
                    message: format!(
                        "duplicate key `{text}` (first on line {}); keep one",
                        first.start.line
                    ),
                });
            }
        }
        Ok(())
    }
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
    }
}
