//! Full-text search over records: words folded to their stems, ranked by BM25F (BM25 over
//! weighted fields), with an excerpt of where each hit matched. Pure: records in, hits out.

use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;

use crate::record::{LogRef, Record};

/// Where in a record text was found, heaviest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Title,
    Tags,
    PrimaryMetric,
    Hypothesis,
    Learning,
    Notes,
}

impl Place {
    const ALL: [Place; 6] = [
        Place::Title,
        Place::Tags,
        Place::PrimaryMetric,
        Place::Hypothesis,
        Place::Learning,
        Place::Notes,
    ];

    /// How much a match here counts: a title match outranks the same match in a note.
    fn weight(self) -> f64 {
        match self {
            Place::Title => 3.0,
            Place::Tags | Place::PrimaryMetric => 2.0,
            Place::Hypothesis | Place::Learning => 1.5,
            Place::Notes => 1.0,
        }
    }

    /// The name a person reads in front of an excerpt.
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Title => "title",
            Place::Tags => "tags",
            Place::PrimaryMetric => "metric",
            Place::Hypothesis => "hypothesis",
            Place::Learning => "learning",
            Place::Notes => "note",
        }
    }
}

impl Serialize for Place {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Each searchable text of a record with its place; tags and notes one text each.
pub fn texts(r: &Record) -> Vec<(Place, &str)> {
    texts_of(r, LogRef::Entries(&r.decision_log))
}

/// [`texts`], the notes from `log` (the record's own entries, or its log packed beside it).
pub fn texts_of<'a>(r: &'a Record, log: LogRef<'a>) -> Vec<(Place, &'a str)> {
    let mut out = vec![
        (Place::Title, r.title.as_str()),
        (Place::PrimaryMetric, r.primary_metric.as_str()),
        (Place::Hypothesis, r.hypothesis.as_str()),
    ];
    out.extend(r.tags.iter().flatten().map(|t| (Place::Tags, t.as_str())));
    out.extend(r.learning.as_deref().map(|l| (Place::Learning, l)));
    out.extend(log.notes().map(|note| (Place::Notes, note)));
    out
}

/// The words of a text with their byte ranges: runs of letters and digits (`signup_rate` is
/// two words).
pub fn words(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut start = None;
    let mut chars = text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')));
    std::iter::from_fn(move || {
        for (i, c) in chars.by_ref() {
            match (start, c.is_alphanumeric()) {
                (None, true) => start = Some(i),
                (Some(s), false) => {
                    start = None;
                    return Some((s..i, &text[s..i]));
                }
                _ => {}
            }
        }
        None
    })
}

/// Folds words to terms: lower case, then the English Snowball stem ("Buttons" -> "button"),
/// remembering each word's term so that a word is stemmed once per search.
pub struct Terms {
    stemmer: rust_stemmers::Stemmer,
    seen: HashMap<String, String>,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            stemmer: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English),
            seen: HashMap::new(),
        }
    }
}

impl Terms {
    /// The term of one word.
    pub fn term(&mut self, word: &str) -> &str {
        if !self.seen.contains_key(word) {
            let lower = word.to_lowercase();
            let stem = self.stemmer.stem(&lower).into_owned();
            self.seen.insert(word.to_owned(), stem);
        }
        self.seen.get(word).map_or("", String::as_str)
    }

    /// The distinct terms of a text, in order of first appearance.
    pub fn of(&mut self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, word) in words(text) {
            let term = self.term(word);
            if !out.iter().any(|t| t == term) {
                out.push(term.to_owned());
            }
        }
        out
    }
}

/// Words too common to search for: found in nearly every text, they would rank everything.
/// A query's stop words are dropped; a query of stop words alone matches nothing.
pub const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "if",
    "in", "into", "is", "it", "its", "of", "on", "or", "our", "so", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "to", "was", "we", "were", "what", "when",
    "which", "will", "with",
];

/// The terms of a query to search for, and the words left out as [`STOP_WORDS`].
pub fn query_terms(query: &str, terms: &mut Terms) -> (Vec<String>, Vec<String>) {
    let stop: Vec<String> = STOP_WORDS
        .iter()
        .map(|w| terms.term(w).to_owned())
        .collect();
    let mut wanted: Vec<String> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    for (_, word) in words(query) {
        let term = terms.term(word).to_owned();
        if stop.contains(&term) {
            if !dropped.iter().any(|d| d.eq_ignore_ascii_case(word)) {
                dropped.push(word.to_owned());
            }
        } else if !wanted.contains(&term) {
            wanted.push(term);
        }
    }
    (wanted, dropped)
}

/// BM25's saturation and length normalisation, at their usual values.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// One record that matched: its index in the records searched, its score and an excerpt.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub index: usize,
    pub score: f64,
    pub excerpt: Excerpt,
}

/// A short piece of the text that matched, whitespace folded, with the matched words marked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Excerpt {
    pub place: Place,
    pub text: String,
    /// Byte ranges of `text` that matched a query term.
    #[serde(skip)]
    pub marks: Vec<Range<usize>>,
}

/// What one record holds of the query's terms: per place, its length in words and how often
/// each term occurs.
struct Counts {
    len: [f64; Place::ALL.len()],
    tf: Vec<[f64; Place::ALL.len()]>,
}

/// The records matching any term of `query`, best first (ties in the records' order); at
/// most `limit`. A query without words, or of [`STOP_WORDS`] alone, matches nothing.
pub fn search(records: &[&Record], query: &str, limit: usize) -> Vec<Hit> {
    let records: Vec<(&Record, LogRef)> = records
        .iter()
        .map(|r| (*r, LogRef::Entries(&r.decision_log)))
        .collect();
    search_in(&records, query, limit)
}

/// [`search`] over records whose logs are held apart (see [`texts_of`]).
pub fn search_in(records: &[(&Record, LogRef)], query: &str, limit: usize) -> Vec<Hit> {
    let mut terms = Terms::default();
    let (wanted, _) = query_terms(query, &mut terms);
    if wanted.is_empty() {
        return Vec::new();
    }
    let counts: Vec<Counts> = records
        .iter()
        .map(|&(r, log)| {
            let mut c = Counts {
                len: [0.0; Place::ALL.len()],
                tf: vec![[0.0; Place::ALL.len()]; wanted.len()],
            };
            for (place, text) in texts_of(r, log) {
                let p = place as usize;
                for (_, word) in words(text) {
                    c.len[p] += 1.0;
                    if !could_be(word, &wanted) {
                        continue;
                    }
                    let term = terms.term(word);
                    if let Some(t) = wanted.iter().position(|w| w == term) {
                        c.tf[t][p] += 1.0;
                    }
                }
            }
            c
        })
        .collect();
    let n = records.len() as f64;
    let mut avg = [0.0; Place::ALL.len()];
    for c in &counts {
        for (a, l) in avg.iter_mut().zip(c.len) {
            *a += l / n;
        }
    }
    let idf: Vec<f64> = (0..wanted.len())
        .map(|t| {
            let df = counts
                .iter()
                .filter(|c| c.tf[t].iter().any(|&x| x > 0.0))
                .count() as f64;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        })
        .collect();
    let mut hits: Vec<(usize, f64)> = counts
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let score: f64 = (0..wanted.len())
                .map(|t| {
                    let tf: f64 = Place::ALL
                        .iter()
                        .map(|&place| {
                            let p = place as usize;
                            let norm = if avg[p] > 0.0 {
                                1.0 - B + B * c.len[p] / avg[p]
                            } else {
                                1.0
                            };
                            place.weight() * c.tf[t][p] / norm
                        })
                        .sum();
                    idf[t] * tf * (K1 + 1.0) / (tf + K1)
                })
                .sum();
            (score > 0.0).then_some((i, score))
        })
        .collect();
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    hits.truncate(limit);
    hits.into_iter()
        .map(|(index, score)| Hit {
            index,
            score,
            excerpt: excerpt(records[index], &wanted, &mut terms),
        })
        .collect()
}

/// Whether `word` may fold to one of `wanted`, cheaply: an English stem is never longer
/// than its word and keeps its first letter, so most words are ruled out without stemming.
fn could_be(word: &str, wanted: &[String]) -> bool {
    let first = word.chars().next().map(|c| c.to_lowercase().next());
    wanted.iter().any(|t| {
        word.len() >= t.len() && first == t.chars().next().map(|c| c.to_lowercase().next())
    })
}

/// About how many characters an excerpt shows, and how many of them before the first match.
const EXCERPT: usize = 100;
const BEFORE: usize = 30;

/// The excerpt of the heaviest place that matched.
fn excerpt((r, log): (&Record, LogRef), wanted: &[String], terms: &mut Terms) -> Excerpt {
    let mut texts = texts_of(r, log);
    texts.sort_by_key(|(place, _)| *place as usize);
    for (place, text) in texts {
        let marks: Vec<Range<usize>> = words(text)
            .filter(|(_, word)| {
                let term = terms.term(word);
                wanted.iter().any(|w| w == term)
            })
            .map(|(range, _)| range)
            .collect();
        if let Some(first) = marks.first() {
            return cut(place, text, first.start, &marks);
        }
    }
    Excerpt {
        place: Place::Title,
        text: fold(&r.title),
        marks: Vec::new(),
    }
}

/// About [`EXCERPT`] characters of `text` around byte `at`, whitespace and control characters
/// folded to single spaces, `…` where it was cut; `marks` moved into the excerpt.
fn cut(place: Place, text: &str, at: usize, marks: &[Range<usize>]) -> Excerpt {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let first = chars.iter().position(|&(i, _)| i >= at).unwrap_or(0);
    let mut from = first.saturating_sub(BEFORE);
    let to = (from + EXCERPT).min(chars.len());
    from = to.saturating_sub(EXCERPT).min(from);
    // Start and end on a word's edge where one is near.
    let from = (from..first)
        .find(|&k| k == 0 || !chars[k - 1].1.is_alphanumeric())
        .unwrap_or(from);
    let end = (to..chars.len())
        .take(15)
        .find(|&k| !chars[k].1.is_alphanumeric())
        .unwrap_or(to);
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut moved = Vec::new();
    let mut open = None;
    let mut space = false;
    for &(i, c) in &chars[from..end] {
        if let Some(m) = marks.iter().find(|m| m.start == i) {
            if space {
                out.push(' ');
                space = false;
            }
            open = Some((out.len(), m.end));
        }
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty() && !out.ends_with('…');
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
        if let Some((start, stop)) = open
            && i + c.len_utf8() == stop
        {
            moved.push(start..out.len());
            open = None;
        }
    }
    if end < chars.len() {
        out.push('…');
    }
    Excerpt {
        place,
        text: out,
        marks: moved,
    }
}

/// A text on one line: whitespace and control characters folded to single spaces.
fn fold(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::record::LogEntry;

    fn record(title: &str, hypothesis: &str, metric: &str, notes: &[&str]) -> Record {
        Record {
            id: format!("{title}-id"),
            title: title.into(),
            hypothesis: hypothesis.into(),
            primary_metric: metric.into(),
            decision_log: notes
                .iter()
                .map(|n| LogEntry {
                    at: "2026-01-01T00:00:00.000Z".into(),
                    who: None,
                    note: (*n).into(),
                })
                .collect(),
            ..crate::test_support::sample()
        }
    }

    fn set() -> Vec<Record> {
        vec![
            record(
                "Checkout copy",
                "Shorter copy lifts conversion",
                "conversion_rate",
                &["Customers asked for a refund twice", "Launched"],
            ),
            record(
                "Refund page redesign",
                "A clearer page cuts tickets",
                "support_tickets",
                &["Launched"],
            ),
            record(
                "Green button",
                "A green signup button beats blue",
                "signup_rate",
                &["Launched to 10% of users"],
            ),
            record("Pricing table", "Annual first", "revenue", &[]),
        ]
    }

    fn found(records: &[Record], query: &str) -> Vec<String> {
        let refs: Vec<&Record> = records.iter().collect();
        search(&refs, query, 10)
            .into_iter()
            .map(|h| records[h.index].title.clone())
            .collect()
    }

    #[test]
    fn a_title_match_outranks_a_note_match() {
        assert_eq!(
            found(&set(), "refund"),
            ["Refund page redesign", "Checkout copy"]
        );
    }

    #[test]
    fn a_note_only_match_is_found_with_its_excerpt() {
        let records = set();
        let refs: Vec<&Record> = records.iter().collect();
        let hits = search(&refs, "customers", 10);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].index, 0);
        let e = &hits[0].excerpt;
        assert_eq!(e.place, Place::Notes);
        assert_eq!(e.text, "Customers asked for a refund twice");
        assert_eq!(e.marks.len(), 1);
        assert_eq!(e.marks[0], 0..9);
    }

    #[test]
    fn words_match_whatever_their_case_and_inflection() {
        assert_eq!(found(&set(), "BUTTONS"), ["Green button"]);
        assert_eq!(found(&set(), "signups"), ["Green button"]);
        assert_eq!(found(&set(), "launching"), found(&set(), "launched"));
        assert_eq!(found(&set(), "signup_rate")[0], "Green button");
    }

    #[test]
    fn a_query_without_words_or_matches_finds_nothing() {
        assert!(found(&set(), "  ?! ").is_empty());
        assert!(found(&set(), "zebra").is_empty());
        assert!(found(&[], "refund").is_empty());
    }

    #[test]
    fn stop_words_alone_match_nothing_and_are_dropped_from_a_query() {
        assert!(found(&set(), "the").is_empty());
        assert!(found(&set(), "The of A").is_empty());
        assert_eq!(found(&set(), "the refund"), found(&set(), "refund"));
        let records = set();
        let refs: Vec<&Record> = records.iter().collect();
        let e = &search(&refs, "for the refund", 10)[1].excerpt;
        // Only the word searched for is marked, not "for".
        assert_eq!(e.text, "Customers asked for a refund twice");
        assert_eq!(e.marks.len(), 1);
        assert_eq!(e.marks[0], 22..28);
        assert_eq!(
            query_terms("The buttons of the page", &mut Terms::default()),
            (
                vec!["button".to_owned(), "page".to_owned()],
                vec!["The".to_owned(), "of".to_owned()]
            )
        );
    }

    #[test]
    fn more_of_the_query_ranks_higher_and_the_limit_cuts() {
        let records = set();
        assert_eq!(found(&records, "green signup page")[0], "Green button");
        let refs: Vec<&Record> = records.iter().collect();
        assert_eq!(search(&refs, "launched", 1).len(), 1);
        assert_eq!(search(&refs, "launched", 10).len(), 3);
    }

    #[test]
    fn excerpts_fold_lines_cut_long_text_and_mark_every_match() {
        let long = format!(
            "{} the refund came\nback, refunds again {}",
            "a ".repeat(80),
            "z ".repeat(80)
        );
        let records = [record("T", "H", "m", &[&long])];
        let refs: Vec<&Record> = records.iter().collect();
        let e = &search(&refs, "refund", 1)[0].excerpt;
        assert!(
            e.text.starts_with('…') && e.text.ends_with('…'),
            "{}",
            e.text
        );
        assert!(
            e.text.contains("the refund came back, refunds again"),
            "{}",
            e.text
        );
        let marked: Vec<&str> = e.marks.iter().map(|m| &e.text[m.clone()]).collect();
        assert_eq!(marked, ["refund", "refunds"]);
        assert!(e.text.chars().count() <= EXCERPT + 20, "{}", e.text);
    }

    #[test]
    fn the_quick_test_never_rules_out_a_word_that_folds_to_a_term() {
        let mut terms = Terms::default();
        for word in [
            "Buttons",
            "dying",
            "lying",
            "skies",
            "happily",
            "ugly",
            "early",
            "news",
            "Yelling",
            "generously",
            "caresses",
            "ponies",
            "über",
            "Ärger",
            "cost",
            "x",
        ] {
            let term = terms.term(word).to_owned();
            assert!(
                could_be(word, std::slice::from_ref(&term)),
                "{word} -> {term}"
            );
        }
        assert!(!could_be("refund", &["button".to_owned()]));
    }

    #[test]
    fn words_split_on_anything_but_letters_and_digits() {
        let got: Vec<&str> = words("signup_rate, p-value 0.05 über")
            .map(|(_, w)| w)
            .collect();
        assert_eq!(got, ["signup", "rate", "p", "value", "0", "05", "über"]);
    }
}
