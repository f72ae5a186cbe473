//! A reader for the YAML xp itself writes, which builds the same tree as the full parser at a
//! fraction of its cost: block mappings and block lists, one-line plain and quoted scalars,
//! `[]`, comments and blank lines, LF line breaks.
//!
//! It never guesses: at anything outside that shape (a tab, a CR, a tag, an anchor, a flow
//! collection with items, a block or multi-line scalar, an odd escape, a duplicate key, a
//! syntax error, ...) it gives up and the caller reads the text with the full parser, so a file
//! is never read differently. `yaml::tests` and the `reader` fuzz target hold the two readers
//! to the same trees.

use super::tree::{Builder, Document, Pos, Style};

/// The tree of `text` when it is in the shape this reader takes; `None` means "ask the full
/// parser", never that the text is wrong.
pub fn parse(text: &str) -> Option<Document> {
    let characters = characters(text);
    if characters == Characters::Other {
        return None;
    }
    let mut reader = Reader {
        text,
        ascii: characters == Characters::Ascii,
        bytes: text.as_bytes(),
        at: 0,
        line: 1,
        line_start: 0,
        indent: None,
        // A record has a node for about every 20 bytes, and most of its bytes in scalars.
        builder: Builder::with_capacity(text.len() / 16 + 8, text.len()),
        scratch: String::new(),
    };
    reader.document()?;
    reader.builder.finish()
}

/// Which characters the text holds.
#[derive(PartialEq)]
enum Characters {
    Ascii,
    Unicode,
    /// One the reader does not handle as the full parser does: a tab, a CR, a control or
    /// non-printable character, a byte-order mark.
    Other,
}

fn characters(text: &str) -> Characters {
    let bytes = text.as_bytes();
    // Most text is printable ASCII and line breaks: whole blocks are checked without a branch.
    let special = |b: u8| (b < 0x20 && b != b'\n') || b >= 0x7f;
    let mut i = 0;
    while i + 32 <= bytes.len() && !bytes[i..i + 32].iter().fold(false, |a, &b| a | special(b)) {
        i += 32;
    }
    let mut ascii = true;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if special(b) {
                return Characters::Other;
            }
            i += 1;
            continue;
        }
        ascii = false;
        let Some(c) = text[i..].chars().next() else {
            return Characters::Other;
        };
        // YAML 1.2 reads NEL, NBSP and the Unicode line and paragraph separators as ordinary
        // characters; the other C1 controls are not printable.
        if matches!(c, '\u{80}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
        {
            return Characters::Other;
        }
        i += c.len_utf8();
    }
    if ascii {
        Characters::Ascii
    } else {
        Characters::Unicode
    }
}

struct Reader<'t> {
    text: &'t str,
    /// The text is ASCII: columns count bytes.
    ascii: bool,
    bytes: &'t [u8],
    /// The next byte to read.
    at: usize,
    /// The line of `at`, from 1, and the byte its line starts at.
    line: usize,
    line_start: usize,
    /// The indentation of the line `at` stands on, once [`Reader::next_content`] found one;
    /// `None` at the end of the text.
    indent: Option<usize>,
    builder: Builder,
    /// A quoted scalar's text, read.
    scratch: String,
}

/// Bytes that may not start a plain scalar (or that start something else).
fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    )
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl Reader<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    /// The place of a byte on the current line.
    fn pos(&self, byte: usize) -> Pos {
        let column = if self.ascii {
            byte - self.line_start
        } else {
            self.text[self.line_start..byte].chars().count()
        };
        Pos {
            line: self.line,
            column: column + 1,
            byte,
        }
    }

    fn here(&self) -> Pos {
        self.pos(self.at)
    }

    /// Steps over the line break `at` stands on (if any) to the next line's start.
    fn next_line(&mut self) {
        if self.byte(self.at) == Some(b'\n') {
            self.at += 1;
            self.line += 1;
            self.line_start = self.at;
        }
    }

    /// From a line's start, skips blank lines and comment lines to the first character of the
    /// next line with content, and notes its indentation (`None` at the end of the text).
    fn next_content(&mut self) {
        loop {
            let mut i = self.at;
            while self.byte(i) == Some(b' ') {
                i += 1;
            }
            match self.byte(i) {
                None => {
                    self.at = i;
                    self.indent = None;
                    return;
                }
                Some(b'\n') => {
                    self.at = i;
                    self.next_line();
                }
                Some(b'#') => {
                    self.at = self.line_end(i);
                    self.next_line();
                }
                Some(_) => {
                    self.indent = Some(i - self.line_start);
                    self.at = i;
                    return;
                }
            }
        }
    }

    /// The byte of the line break ending the line that holds `from`, or the text's end.
    fn line_end(&self, from: usize) -> usize {
        memchr::memchr(b'\n', &self.bytes[from..]).map_or(self.bytes.len(), |i| from + i)
    }

    /// Whether `at` stands on a `- ` that starts a list item.
    fn at_item(&self) -> bool {
        self.byte(self.at) == Some(b'-') && self.byte(self.at + 1) == Some(b' ')
    }

    /// The end of a simple key (`name:` followed by a blank or the line's end) at `at`.
    fn key_end(&self) -> Option<usize> {
        let first = self.byte(self.at)?;
        if !(first.is_ascii_alphanumeric() || first == b'_') {
            return None;
        }
        let mut i = self.at + 1;
        while self.byte(i).is_some_and(is_key_byte) {
            i += 1;
        }
        let after = self.byte(i + 1);
        (self.byte(i) == Some(b':') && matches!(after, None | Some(b' ' | b'\n'))).then_some(i)
    }

    fn document(&mut self) -> Option<()> {
        self.next_content();
        if self.indent != Some(0) {
            return None;
        }
        self.block_map(0)?;
        // The top-level mapping ends only at the text's end.
        self.indent.is_none().then_some(())
    }

    /// A block mapping whose keys stand at column `indent`, from its first key; returns at the
    /// first content less indented, or at the end.
    fn block_map(&mut self, indent: usize) -> Option<()> {
        let start = self.here();
        self.builder
            .open(true, false, (start, start), None, 0)
            .ok()?;
        loop {
            self.entry(indent)?;
            match self.indent {
                Some(i) if i == indent && !self.at_item() => continue,
                Some(i) if i >= indent => return None,
                _ => break,
            }
        }
        let end = self.here();
        self.builder.close((end, end)).ok()
    }

    /// One `key: value` of a mapping at `indent`, from its key to the next content.
    fn entry(&mut self, indent: usize) -> Option<()> {
        let colon = self.key_end()?;
        let start = self.here();
        let key = &self.text[self.at..colon];
        let colon_pos = self.pos(colon);
        let span = (start, colon_pos);
        self.builder.scalar(key, Style::Plain, span, None, 0).ok()?;
        self.at = colon + 1;
        while self.byte(self.at) == Some(b' ') {
            self.at += 1;
        }
        match self.byte(self.at) {
            None | Some(b'\n' | b'#') => {
                self.at = self.line_end(self.at);
                self.next_line();
                self.next_content();
                match self.indent {
                    Some(i) if i > indent && self.at_item() => self.block_seq(i, false),
                    Some(i) if i == indent && self.at_item() => self.block_seq(i, true),
                    Some(i) if i > indent && self.key_end().is_some() => self.block_map(i),
                    Some(i) if i > indent => None,
                    _ => self
                        .builder
                        .scalar("~", Style::Plain, (colon_pos, colon_pos), None, 0)
                        .ok(),
                }
            }
            Some(_) => self.inline_value(indent),
        }
    }

    /// A block list whose dashes stand at column `indent`, from its first dash. A list at
    /// its key's indentation (`compact`) starts, for the full parser, at its first item's
    /// content; a list indented further, at its first dash.
    fn block_seq(&mut self, indent: usize, compact: bool) -> Option<()> {
        if !compact {
            let start = self.here();
            self.builder
                .open(false, false, (start, start), None, 0)
                .ok()?;
        }
        let mut first = compact;
        loop {
            // `at` is on `- `.
            self.at += 1;
            while self.byte(self.at) == Some(b' ') {
                self.at += 1;
            }
            if first {
                let start = self.here();
                self.builder
                    .open(false, false, (start, start), None, 0)
                    .ok()?;
                first = false;
            }
            match self.byte(self.at) {
                None | Some(b'\n' | b'#') => return None,
                Some(b'-') if matches!(self.byte(self.at + 1), None | Some(b' ' | b'\n')) => {
                    return None;
                }
                _ if self.key_end().is_some() => {
                    let column = self.at - self.line_start;
                    self.block_map(column)?;
                }
                _ => self.inline_value(indent)?,
            }
            match self.indent {
                Some(i) if i == indent && self.at_item() => continue,
                Some(i) if i > indent => return None,
                _ => break,
            }
        }
        let end = self.here();
        self.builder.close((end, end)).ok()
    }

    /// A value on the line of its key or dash (in a collection at `indent`), then the rest of
    /// the line, to the next content.
    fn inline_value(&mut self, indent: usize) -> Option<()> {
        let start = self.here();
        let plain = match self.byte(self.at)? {
            b'"' => {
                self.double_quoted()?;
                self.quoted(start)?;
                false
            }
            b'\'' => {
                self.single_quoted()?;
                self.quoted(start)?;
                false
            }
            b'[' if self.byte(self.at + 1) == Some(b']') => {
                let open = (start, self.pos(self.at + 1));
                self.builder.open(false, true, open, None, 0).ok()?;
                self.at += 2;
                let close = (self.pos(self.at - 1), self.here());
                self.builder.close(close).ok()?;
                false
            }
            b'-' if !matches!(self.byte(self.at + 1), None | Some(b' ' | b'\n')) => {
                self.plain()?;
                true
            }
            b if is_indicator(b) => return None,
            _ => {
                self.plain()?;
                true
            }
        };
        // The rest of the line: blanks, then a comment or nothing.
        let blanks = self.at;
        while self.byte(self.at) == Some(b' ') {
            self.at += 1;
        }
        let commented = match self.byte(self.at) {
            None | Some(b'\n') => false,
            Some(b'#') if self.at > blanks => true,
            Some(_) => return None,
        };
        self.at = self.line_end(self.at);
        self.next_line();
        if plain && !commented && self.more_indented_line_follows(indent) {
            // It may go on as a multi-line scalar.
            return None;
        }
        self.next_content();
        Some(())
    }

    /// Whether the next line that is not blank is indented more than `indent`.
    fn more_indented_line_follows(&self, indent: usize) -> bool {
        let mut i = self.at;
        loop {
            let start = i;
            while self.byte(i) == Some(b' ') {
                i += 1;
            }
            match self.byte(i) {
                None => return false,
                Some(b'\n') => i += 1,
                Some(_) => return i - start > indent,
            }
        }
    }

    /// A plain scalar on one line, from `at`; `at` ends after its last character.
    fn plain(&mut self) -> Option<()> {
        let start = self.here();
        let line_end = self.line_end(self.at);
        let line = &self.bytes[self.at..line_end];
        let mut end = line.len();
        for i in memchr::memchr2_iter(b':', b'#', line) {
            match line[i] {
                b':' if matches!(line.get(i + 1), None | Some(b' ')) => return None,
                b'#' if i > 0 && line[i - 1] == b' ' => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        while end > 0 && line[end - 1] == b' ' {
            end -= 1;
        }
        let text = &self.text[self.at..self.at + end];
        self.at += end;
        let span = (start, self.here());
        self.builder.scalar(text, Style::Plain, span, None, 0).ok()
    }

    /// The quoted scalar just read into `scratch`, from `start` to `at`.
    fn quoted(&mut self, start: Pos) -> Option<()> {
        let span = (start, self.here());
        let text = std::mem::take(&mut self.scratch);
        let done = self.builder.scalar(&text, Style::Quoted, span, None, 0);
        self.scratch = text;
        done.ok()
    }

    /// A single-quoted scalar on one line, from its opening quote to after its closing one,
    /// read into `scratch`.
    fn single_quoted(&mut self) -> Option<()> {
        self.scratch.clear();
        let mut i = self.at + 1;
        loop {
            let rest = &self.bytes[i..];
            let quote = memchr::memchr2(b'\'', b'\n', rest)?;
            if rest[quote] == b'\n' {
                return None;
            }
            self.scratch.push_str(&self.text[i..i + quote]);
            i += quote + 1;
            if self.bytes.get(i) == Some(&b'\'') {
                self.scratch.push('\'');
                i += 1;
            } else {
                self.at = i;
                return Some(());
            }
        }
    }

    /// A double-quoted scalar on one line, from its opening quote to after its closing one,
    /// with its escapes read, into `scratch`.
    fn double_quoted(&mut self) -> Option<()> {
        self.scratch.clear();
        let mut i = self.at + 1;
        loop {
            let rest = &self.bytes[i..];
            let stop = memchr::memchr3(b'"', b'\\', b'\n', rest)?;
            self.scratch.push_str(&self.text[i..i + stop]);
            i += stop;
            match self.bytes[i] {
                b'"' => {
                    self.at = i + 1;
                    return Some(());
                }
                b'\\' => {
                    let (c, len) = self.escape(i + 1)?;
                    self.scratch.push(c);
                    i += 1 + len;
                }
                _ => return None,
            }
        }
    }

    /// The character an escape stands for (the byte after its backslash at `at`), and how
    /// many bytes follow the backslash.
    fn escape(&self, at: usize) -> Option<(char, usize)> {
        let c = match self.byte(at)? {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' => return self.hex(at + 1, 2),
            b'u' => return self.hex(at + 1, 4),
            b'U' => return self.hex(at + 1, 8),
            _ => return None,
        };
        Some((c, 1))
    }

    /// A character written as `digits` hex digits from `at` (not a surrogate).
    fn hex(&self, at: usize, digits: usize) -> Option<(char, usize)> {
        let hex = self.bytes.get(at..at + digits)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let value = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        Some((char::from_u32(value)?, 1 + digits))
    }
}
