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

/// A file of `experiments/x.yaml` as read, holding `record` with no problems.
pub fn loaded(record: crate::record::Record) -> crate::store::Loaded {
    crate::store::Loaded {
        path: "experiments/x.yaml".into(),
        shown: "experiments/x.yaml".into(),
        slug: "x".into(),
        bytes: b"id: x\n".to_vec(),
        checked: crate::rules::Checked {
            record: Some(record),
            problems: Vec::new(),
            id: None,
            doc: None,
            log: None,
        },
    }
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

/// Text for a record's values: words, blanks, and the characters YAML reads otherwise or only
/// as escapes.
pub fn value_text() -> impl Strategy<Value = String> {
    let odd = prop::sample::select(vec![
        ':', '#', '\'', '"', '\\', '-', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '%', '@',
        '`', '?', '~', '.', '0', '1', 'é', '😀', '\t', '\n', '\r', '\0', '\u{7f}', '\u{85}',
        '\u{a0}', '\u{202e}', '\u{2028}', '\u{feff}', '\u{fffe}',
    ]);
    let c = prop_oneof![
        24 => proptest::char::range('a', 'z'),
        8 => Just(' '),
        3 => odd,
        1 => any::<char>(),
    ];
    prop::collection::vec(c, 0..24).prop_map(|v| v.into_iter().collect())
}

/// A double-quoted scalar made of YAML's escapes, each of them sometimes, and broken ones.
pub fn escapes() -> impl Strategy<Value = String> {
    let escape = prop::sample::select(vec![
        "\\0",
        "\\a",
        "\\b",
        "\\t",
        "\\\t",
        "\\n",
        "\\v",
        "\\f",
        "\\r",
        "\\e",
        "\\ ",
        "\\\"",
        "\\/",
        "\\\\",
        "\\N",
        "\\_",
        "\\L",
        "\\P",
        "\\x41",
        "\\xe9",
        "\\x7F",
        "\\u00e9",
        "\\u0085",
        "\\uFEFF",
        "\\U0001F600",
        "\\ud83d\\ude00",
        "\\ud800",
        "\\x4",
        "\\u12",
        "\\U00110000",
        "\\q",
        "\\",
        "x",
        " ",
        "'",
        "#",
        ": ",
        "é",
    ]);
    prop::collection::vec(escape, 0..8).prop_map(|v| format!("\"{}\"", v.concat()))
}

/// The value of a key as xp writes it (quoted by `yaml::quote`), as a hand types it, with
/// escapes, or in one of the shapes only the full parser reads.
pub fn written_value() -> impl Strategy<Value = String> {
    let shapes = prop::sample::select(vec![
        "3.2",
        "-1",
        "0x1F",
        ".5",
        "1e3",
        "null",
        "~",
        "",
        "[]",
        "[ ]",
        "[a, b]",
        "{}",
        "''",
        "\"\"",
        "&a x",
        "*a",
        "!!str 3",
        "!x y",
        "|\n  block\n  text",
        ">-\n  folded\n  text",
        "'multi\n  line'",
        "\"multi\n  line\"",
        "plain\n  continued",
        "a: b",
        "- x",
        "x:",
        "? x",
        "\"x\"y",
        "'x' # c",
        "x #c",
        "x# c",
        "--- x",
        "... x",
        "%x",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        8 => value_text().prop_map(|s| crate::yaml::quote(&s)),
        1 => value_text(),
        1 => escapes(),
        1 => shapes,
    ]
}

/// Records as xp writes them and as people edit them: every key with a value from
/// [`written_value`], tags and links as block or flow lists, log entries at either
/// indentation, comments on their own lines and after values, blank lines, trailing blanks,
/// other indentation, a missing final line break.
pub fn written_record() -> impl Strategy<Value = String> {
    let keys = prop::sample::subsequence(
        vec![
            "id",
            "title",
            "hypothesis",
            "primary_metric",
            "baseline",
            "target",
            "direction",
            "status",
            "confidence",
            "decision",
            "learning",
            "owner",
            "stauts",
        ],
        0..=13,
    );
    let scalars = (keys, prop::collection::vec(written_value(), 13)).prop_map(|(keys, values)| {
        keys.iter()
            .zip(values)
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
    });
    let list = (
        prop::sample::select(vec!["tags", "links"]),
        prop::collection::vec(written_value(), 0..4),
        prop::sample::select(vec!["", "  ", "    "]),
    )
        .prop_map(|(k, items, indent)| {
            let mut lines = vec![format!("{k}:")];
            lines.extend(items.iter().map(|i| format!("{indent}- {i}")));
            lines
        });
    let entry = (
        written_value(),
        prop::option::of(written_value()),
        written_value(),
        any::<bool>(),
    );
    let log = (
        prop::collection::vec(entry, 0..4),
        prop::sample::select(vec!["", "  ", " "]),
    )
        .prop_map(|(entries, indent)| {
            let mut lines = vec!["decision_log:".to_owned()];
            for (at, who, note, at_first) in entries {
                let at = if at_first {
                    "2026-02-22T18:30:00.000Z".to_owned()
                } else {
                    at
                };
                lines.push(format!("{indent}- at: {at}"));
                if let Some(who) = who {
                    lines.push(format!("{indent}  who: {who}"));
                }
                lines.push(format!("{indent}  note: {note}"));
            }
            lines
        });
    (
        scalars,
        prop::collection::vec(list, 0..2),
        log,
        prop::collection::vec(0..32u8, 48),
        any::<bool>(),
    )
        .prop_map(|(scalars, lists, log, edits, final_break)| {
            let lines: Vec<String> = scalars
                .into_iter()
                .chain(lists.into_iter().flatten())
                .chain(log)
                .collect();
            let mut out = String::new();
            for (line, edit) in lines.iter().zip(edits.iter().cycle()) {
                match edit {
                    0 => out.push_str("# a comment\n"),
                    1 => out.push('\n'),
                    2 => out.push_str("   \n"),
                    3 => out.push_str("  # indented comment\n"),
                    _ => {}
                }
                out.push_str(line);
                match edit {
                    4 => out.push_str(" # after"),
                    5 => out.push_str("  "),
                    6 => out.push_str(" #"),
                    _ => {}
                }
                out.push('\n');
            }
            if !final_break {
                out.pop();
            }
            out
        })
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
