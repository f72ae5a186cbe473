//! Strategies shared by the property tests: text that looks like YAML and records that have
//! been edited by a clumsy hand, to reach the loader's and editor's odd corners.

use proptest::prelude::*;

/// The sample record the tests start from (`fixtures/valid/sample.yaml`): a running
/// experiment with one log entry, every key on its own line.
pub const SAMPLE: &str = include_str!("../fixtures/valid/sample.yaml");

/// The sample record, read: tests set the fields they are about over it
/// (`Record { status: Status::Draft, ..sample() }`).
pub fn sample() -> crate::record::Record {
    crate::rules::check_bytes(std::path::Path::new("sample.yaml"), SAMPLE.as_bytes())
        .record
        .unwrap_or_default()
}

/// Pieces of YAML, good and bad, that random edits splice into a record.
pub const TOKENS: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    " ",
    "  ",
    "\t",
    "#",
    " # c",
    "-",
    "- ",
    ":",
    ": ",
    "'",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "!x ",
    "|",
    "|-\n  ",
    ">",
    "---\n",
    "...\n",
    "? ",
    "~",
    "null",
    "no",
    "on",
    "1e3",
    "0x1F",
    ".5",
    "-3",
    "\u{feff}",
    "é",
    "\u{202e}",
    "\\",
    "\0",
    "%YAML 1.2\n",
    "decision_log:",
    "tags:",
    "learning:",
    "owner: x\n",
    "links: []\n",
    "note: ",
    "at: 2026-01-01T00:00:00Z",
    "who: ",
    "- at: 2026-02-23T00:00:00.000Z\n  note: y\n",
    "  - at: 2026-02-23T00:00:00.000Z\n    note: y\n",
];

/// Records in the shapes people write: comments, blank lines, indented or flow lists, quotes,
/// block scalars, CRLF, a byte-order mark, an empty log, the plan of a test and its results.
pub const BASES: &[&str] = &[
    SAMPLE,
    include_str!("../fixtures/valid/signup-button-results.yaml"),
    "# The CTA experiment\nid: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58   # never changes\ntitle: 'Homepage: CTA'\nhypothesis: \"Green\\twins\"\nprimary_metric: signup_rate\nbaseline: 3.2\ntarget: 3.7\nstatus: completed  # review\nconfidence: 96\ndecision: ship\nlearning: |\n  Green won.\n  By a lot.\n\nowner: growth\ntags: [homepage, \"no\"]\ndecision_log:\n  - at: 2026-02-22T18:30:00.000Z\n    who: alice\n    note: Launched\n  - at: 2026-02-22T18:45:00.000Z\n    note: >\n      folded\n      note\n# the end\n",
    "id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58\r\ntitle: T\r\nhypothesis: H\r\nprimary_metric: m\r\nbaseline: 1\r\ntarget: 2\r\ndecision_log:\r\n",
    "\u{feff}id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58\ntitle: T\nhypothesis: H\nprimary_metric: m\nbaseline: -1\ntarget: -2\ndirection: decrease\ntags:\n- a\nlinks:\n  - https://example.com\ndecision_log: []\n",
];

/// Edits a careful person makes by hand, which mostly keep a record valid.
pub const GENTLE: &[&str] = &[
    " ", "  ", "\n", "\n\n", "# c\n", " # c", "\r\n", "x", "é", "'", "\"", "-", " - ", "\t",
];

/// A base record with one to four random insertions, deletions or replacements of tokens.
pub fn mutated_record() -> impl Strategy<Value = String> {
    mutated_with(TOKENS, 1..5)
}

/// A base record with a few random edits from `tokens`.
pub fn mutated_with(
    tokens: &'static [&'static str],
    edits: std::ops::Range<usize>,
) -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0..3u8,
        prop::sample::select(tokens),
        0..4usize,
    );
    (
        prop::sample::select(BASES),
        prop::collection::vec(edit, edits),
    )
        .prop_map(|(base, edits)| {
            let mut text = base.to_owned();
            for (at, kind, token, len) in edits {
                let start = floor(&text, at.index(text.len() + 1));
                let end = floor(&text, (start + len).min(text.len()));
                match kind {
                    0 => text.insert_str(start, token),
                    1 => text.replace_range(start..end, ""),
                    _ => text.replace_range(start..end, token),
                }
            }
            text
        })
}

/// Bytes of every kind: random, random text, YAML-like token soup, edited records.
pub fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        any::<String>().prop_map(String::into_bytes),
        prop::collection::vec(prop::sample::select(TOKENS), 0..60)
            .prop_map(|t| t.concat().into_bytes()),
        mutated_record().prop_map(String::into_bytes),
    ]
}

/// The largest char boundary at or before `i`.
fn floor(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How many cases a property runs: `PROPTEST_CASES` when set (for long runs), else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
