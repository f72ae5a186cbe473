//! The spanned tree both readers build, and its typing by the YAML 1.2 core schema.
//!
//! The tree never expands aliases (an alias is a pointer to its anchored node), so an alias
//! bomb costs nothing; nesting and node counts are bounded, so hostile input fails fast.

use std::collections::HashMap;

/// Index of a node in a [`Document`].
pub type NodeId = usize;

/// Deepest nesting accepted; records are three levels deep.
pub(super) const MAX_DEPTH: usize = 64;
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
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

/// What a node is. Texts, items and entries are kept in the document, one after another
/// (read them with [`Document::text`], [`Document::items`], [`Document::entries`]), so that a
/// document is a few allocations, not one per value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Scalar { text: Run, style: Style },
    Seq(Run),
    Map(Run),
    Alias(NodeId),
}

/// Where a scalar's text, a list's items or a mapping's entries are in their document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Run {
    start: u32,
    len: u32,
}

impl Run {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
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
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub nodes: Vec<Node>,
    pub root: NodeId,
    /// The text uses anchors or aliases somewhere.
    pub has_anchors: bool,
    /// Every scalar's text, list's items and mapping's entries, one after another.
    text: String,
    items: Vec<NodeId>,
    entries: Vec<(NodeId, NodeId)>,
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

    /// A scalar's text.
    pub fn text(&self, text: Run) -> &str {
        &self.text[text.range()]
    }

    /// A list's items.
    pub fn items(&self, items: Run) -> &[NodeId] {
        &self.items[items.range()]
    }

    /// A mapping's entries: (key, value).
    pub fn entries(&self, entries: Run) -> &[(NodeId, NodeId)] {
        &self.entries[entries.range()]
    }

    /// The text and style of a scalar node (aliases not followed).
    pub fn scalar(&self, id: NodeId) -> Option<(&str, Style)> {
        match self.nodes[id].kind {
            Kind::Scalar { text, style } => Some((self.text(text), style)),
            _ => None,
        }
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
        match node.kind {
            Kind::Seq(items) => Value::Seq(self.items(items)),
            Kind::Map(entries) => Value::Map(self.entries(entries)),
            Kind::Alias(_) => Value::Null,
            Kind::Scalar { text, style } => match node.tag.as_deref() {
                None if style == Style::Plain => resolve_plain(self.text(text)),
                None | Some("!!str") | Some("!") => Value::Str(self.text(text)),
                Some("!!int") | Some("!!float") | Some("!!null") | Some("!!bool") => {
                    match resolve_plain(self.text(text)) {
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
        match self.nodes[self.target(map)].kind {
            // A key reads as `key` only if its text is `key`: compare the text first.
            Kind::Map(entries) => self.entries(entries).iter().copied().find(|&(k, _)| {
                self.scalar(self.target(k))
                    .is_some_and(|(text, _)| text == key)
                    && self.value(k) == Value::Str(key)
            }),
            _ => None,
        }
    }

    /// The entries of the top-level mapping, if the root is one.
    pub fn root_entries(&self) -> Option<&[(NodeId, NodeId)]> {
        match self.nodes[self.root].kind {
            Kind::Map(entries) => Some(self.entries(entries)),
            _ => None,
        }
    }

    /// The last byte of content under a node, following nested collections.
    pub fn content_end(&self, id: NodeId) -> Pos {
        let node = &self.nodes[id];
        if node.flow {
            return node.end;
        }
        match node.kind {
            Kind::Seq(items) => self
                .items(items)
                .last()
                .map_or(node.end, |&i| self.content_end(i)),
            Kind::Map(entries) => self
                .entries(entries)
                .last()
                .map_or(node.end, |&(_, v)| self.content_end(v)),
            _ => node.end,
        }
    }
}

/// Types a plain scalar by the YAML 1.2 core schema.
pub fn resolve_plain(text: &str) -> Value<'_> {
    // Every null, boolean and number of the core schema starts with one of these.
    match text.as_bytes().first() {
        Some(b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'~' | b'.' | b'+' | b'-') => {}
        Some(b) if b.is_ascii_digit() => {}
        Some(_) => return Value::Str(text),
        None => return Value::Null,
    }
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

/// Builds a [`Document`] from a reader's events: a scalar, an alias, a collection opened and
/// closed. Both readers feed it, so the same events make the same tree.
pub(super) struct Builder {
    nodes: Vec<Node>,
    text: String,
    items: Vec<NodeId>,
    entries: Vec<(NodeId, NodeId)>,
    /// Open collections, innermost last.
    stack: Vec<Open>,
    /// The items and entries of the open collections so far, innermost last; each is moved
    /// to the document when its collection closes.
    open_items: Vec<NodeId>,
    open_entries: Vec<(NodeId, NodeId)>,
    anchors: HashMap<usize, NodeId>,
    root: Option<NodeId>,
    has_anchors: bool,
}

/// A collection being read: its node, a mapping's key waiting for its value, and where its
/// items or entries start among the open ones.
struct Open {
    id: NodeId,
    key: Option<NodeId>,
    from: usize,
}

impl Builder {
    /// A builder with room for about `nodes` nodes and `text` bytes of scalars.
    pub(super) fn with_capacity(nodes: usize, text: usize) -> Builder {
        Builder {
            nodes: Vec::with_capacity(nodes.min(MAX_NODES)),
            text: String::with_capacity(text),
            items: Vec::new(),
            entries: Vec::with_capacity(nodes / 2),
            stack: Vec::new(),
            open_items: Vec::new(),
            open_entries: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            has_anchors: false,
        }
    }

    /// The node an anchor (by the reader's number) was put on, when it was.
    pub(super) fn anchored(&mut self, anchor: usize) -> Option<NodeId> {
        let target = self.anchors.get(&anchor).copied()?;
        self.has_anchors = true;
        Some(target)
    }

    fn push(
        &mut self,
        kind: Kind,
        (start, end): (Pos, Pos),
        flow: bool,
        tag: Option<String>,
        anchor: usize,
    ) -> Result<NodeId, SyntaxError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(SyntaxError {
                pos: start,
                message: format!("more than {MAX_NODES} values in one file"),
            });
        }
        let id = self.nodes.len();
        self.nodes.push(Node {
            kind,
            start,
            end,
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

    /// A scalar, put into the open collection.
    pub(super) fn scalar(
        &mut self,
        text: &str,
        style: Style,
        span: (Pos, Pos),
        tag: Option<String>,
        anchor: usize,
    ) -> Result<(), SyntaxError> {
        let run = run(self.text.len(), text.len(), span.0)?;
        self.text.push_str(text);
        let id = self.push(Kind::Scalar { text: run, style }, span, false, tag, anchor)?;
        self.attach(id)
    }

    /// An alias of the node `target`, put into the open collection.
    pub(super) fn alias(&mut self, target: NodeId, span: (Pos, Pos)) -> Result<(), SyntaxError> {
        let id = self.push(Kind::Alias(target), span, false, None, 0)?;
        self.attach(id)
    }

    /// Opens a list (`map` false) or a mapping, which the next events fill.
    pub(super) fn open(
        &mut self,
        map: bool,
        flow: bool,
        span: (Pos, Pos),
        tag: Option<String>,
        anchor: usize,
    ) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxError {
                pos: span.0,
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
            });
        }
        let (kind, from) = if map {
            (Kind::Map(Run::default()), self.open_entries.len())
        } else {
            (Kind::Seq(Run::default()), self.open_items.len())
        };
        let id = self.push(kind, span, flow, tag, anchor)?;
        self.stack.push(Open {
            id,
            key: None,
            from,
        });
        Ok(())
    }

    /// Closes the innermost open collection at the span of its end: a flow collection ends
    /// after its bracket, a block collection where the next token starts.
    pub(super) fn close(&mut self, (start, end): (Pos, Pos)) -> Result<(), SyntaxError> {
        let Some(open) = self.stack.pop() else {
            return Ok(());
        };
        let kind = match self.nodes[open.id].kind {
            Kind::Seq(_) => {
                let items = run(self.items.len(), self.open_items.len() - open.from, start)?;
                self.items.extend_from_slice(&self.open_items[open.from..]);
                self.open_items.truncate(open.from);
                Kind::Seq(items)
            }
            _ => {
                self.check_duplicates(open.from)?;
                let len = self.open_entries.len() - open.from;
                let entries = run(self.entries.len(), len, start)?;
                self.entries
                    .extend_from_slice(&self.open_entries[open.from..]);
                self.open_entries.truncate(open.from);
                Kind::Map(entries)
            }
        };
        let node = &mut self.nodes[open.id];
        node.kind = kind;
        node.end = if node.flow { end } else { start };
        self.attach(open.id)
    }

    /// The document, once a root was read.
    pub(super) fn finish(self) -> Option<Document> {
        Some(Document {
            root: self.root?,
            nodes: self.nodes,
            has_anchors: self.has_anchors,
            text: self.text,
            items: self.items,
            entries: self.entries,
        })
    }

    /// Puts a finished node into the open collection (or makes it the root).
    fn attach(&mut self, id: NodeId) -> Result<(), SyntaxError> {
        let Some(open) = self.stack.last_mut() else {
            self.root.get_or_insert(id);
            return Ok(());
        };
        match (self.nodes[open.id].kind, open.key.take()) {
            (Kind::Seq(_), _) => self.open_items.push(id),
            (_, Some(key)) => self.open_entries.push((key, id)),
            (_, None) => open.key = Some(id),
        }
        Ok(())
    }

    /// Refuses a mapping (whose entries start at `from` among the open ones) with a key twice.
    fn check_duplicates(&self, from: usize) -> Result<(), SyntaxError> {
        let entries = &self.open_entries[from..];
        let text_of = |&(key, _): &(NodeId, NodeId)| match self.nodes[key].kind {
            Kind::Scalar { text, .. } => Some(&self.text[text.range()]),
            _ => None,
        };
        // A record's mappings are small: comparing each key with those before it costs less
        // than hashing them.
        let mut seen: HashMap<&str, &Node> = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            let node = &self.nodes[entry.0];
            let Some(text) = text_of(entry) else {
                continue;
            };
            let first = if entries.len() <= 16 {
                entries[..i]
                    .iter()
                    .find(|e| text_of(e) == Some(text))
                    .map(|e| &self.nodes[e.0])
            } else {
                seen.insert(text, node)
            };
            if let Some(first) = first {
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

/// The run of `len` from `start`; a document's storage is addressed with 32 bits, far beyond
/// any file xp reads.
fn run(start: usize, len: usize, at: Pos) -> Result<Run, SyntaxError> {
    match (u32::try_from(start), u32::try_from(len)) {
        (Ok(start), Ok(len)) if start.checked_add(len).is_some() => Ok(Run { start, len }),
        _ => Err(SyntaxError {
            pos: at,
            message: "the text is too large to read".into(),
        }),
    }
}
