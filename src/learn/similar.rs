//! "Was this tried before?": how much one experiment looks like others, from the metric they
//! move and the words of their titles and hypotheses, and of what the others learned and
//! noted. Pure: records in, scores out.

use std::collections::HashMap;

use crate::learn::search::{Terms, words};
use crate::record::Record;

/// How much the same primary metric adds to the score, out of 1.
pub const METRIC_WEIGHT: f64 = 0.4;

/// The score below which an experiment is not named: with the same metric, a quarter of the
/// new experiment's word weight must be found in the other one; with another metric, nearly
/// all of it (0.92). Tuned on the demo and the generated corpora (see the README's
/// "Learning" section).
pub const THRESHOLD: f64 = 0.55;

/// How much a word counts when it is found only in the other experiment's learning, or only
/// in its decision-log notes, rather than in its title or hypothesis: a killed test whose
/// learning names the same problem was tried before, but a word in a note says less.
const LEARNING_WEIGHT: f64 = 0.8;
const NOTES_WEIGHT: f64 = 0.6;

/// Fewer shared words than this never make two experiments alike.
const MIN_SHARED: usize = 2;

/// Among this many experiments or more, a word found in more than [`COMMON`] of them says
/// nothing about likeness ("traffic" in every hypothesis) and is not counted.
const MANY: f64 = 20.0;
const COMMON: f64 = 0.2;

/// Words too common to say two experiments are alike.
const STOP: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "by",
    "for",
    "from",
    "in",
    "into",
    "is",
    "it",
    "its",
    "of",
    "on",
    "or",
    "our",
    "over",
    "so",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "this",
    "to",
    "up",
    "was",
    "we",
    "when",
    "will",
    "with",
    "more",
    "less",
    "most",
    "users",
    "user",
    "increase",
    "increases",
    "decrease",
    "decreases",
    "improve",
    "improves",
    "lift",
    "lifts",
    "raise",
    "raises",
    "lower",
    "lowers",
    "reduce",
    "reduces",
    "change",
    "changing",
];

/// The metric as compared: lower case, letters and digits only (`Signup-Rate` is
/// `signup_rate`).
fn metric_key(metric: &str) -> String {
    metric
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The distinct terms of a record's title and hypothesis that can say it is alike: no stop
/// words, no numbers, none of its metric's words (the metric is scored on its own).
fn profile(r: &Record, terms: &mut Terms) -> Vec<String> {
    weighed(r, terms, false)
        .into_iter()
        .filter(|(_, w)| *w >= 1.0)
        .map(|(t, _)| t)
        .collect()
}

/// The terms a record can be found alike by, each with how much it counts: 1 from its title
/// or hypothesis, [`LEARNING_WEIGHT`] from its learning only, [`NOTES_WEIGHT`] from its notes
/// only (with `all`; a status move's or amendment's own words left out, its reason kept).
fn weighed(r: &Record, terms: &mut Terms, all: bool) -> Vec<(String, f64)> {
    let stop: Vec<String> = STOP.iter().map(|w| terms.term(w).to_owned()).collect();
    let metric = terms.of(&r.primary_metric);
    let mut texts: Vec<(&str, f64)> = vec![(&r.title, 1.0), (&r.hypothesis, 1.0)];
    if all {
        texts.extend(r.learning.as_deref().map(|l| (l, LEARNING_WEIGHT)));
        texts.extend(
            r.decision_log
                .iter()
                .map(|e| (reason(&e.note), NOTES_WEIGHT)),
        );
    }
    let mut out: Vec<(String, f64)> = Vec::new();
    for (text, weight) in texts {
        for (_, word) in words(text) {
            if word.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let term = terms.term(word);
            if stop.iter().any(|s| s == term) || metric.iter().any(|m| m == term) {
                continue;
            }
            match out.iter_mut().find(|(t, _)| t == term) {
                Some((_, w)) => *w = w.max(weight),
                None => out.push((term.to_owned(), weight)),
            }
        }
    }
    out
}

/// What a note says in words of its own: the reason after a status move or an amendment
/// (`status: running -> killed: no lift` is `no lift`), else the whole note.
fn reason(note: &str) -> &str {
    if !(note.starts_with("status: ") || note.starts_with("amended: ")) {
        return note;
    }
    note.split_once(" -> ")
        .and_then(|(_, rest)| rest.split_once(": "))
        .map_or("", |(_, why)| why)
}

/// The others that look like `one`, best first, at most `limit`, each with its score from 0
/// to 1: [`METRIC_WEIGHT`] when the primary metric is the same, plus the rest times the share
/// of `one`'s title-and-hypothesis terms found in the other's title, hypothesis, learning or
/// notes (the last two count less), each term weighted by how rare it is among them all
/// (inverse document frequency). Only scores of [`THRESHOLD`] or more, with at least
/// [`MIN_SHARED`] terms shared.
pub fn similar(one: &Record, others: &[&Record], limit: usize) -> Vec<(usize, f64)> {
    let mut terms = Terms::default();
    let mine = profile(one, &mut terms);
    let theirs: Vec<Vec<(String, f64)>> = others
        .iter()
        .map(|r| weighed(r, &mut terms, true))
        .collect();
    // Rarity is counted over every experiment, `one` among them, and `one`'s own terms once
    // more; a new `one` is counted among them as if it were there already, so that the notice
    // on `xp new` and `xp similar` afterwards give one pair the same score.
    let present = others.iter().any(|r| r.id == one.id);
    let added: Vec<(String, f64)> = if present {
        Vec::new()
    } else {
        weighed(one, &mut terms, true)
    };
    let mut df: HashMap<&str, f64> = HashMap::new();
    for t in theirs
        .iter()
        .flatten()
        .chain(&added)
        .map(|(t, _)| t)
        .chain(&mine)
    {
        *df.entry(t.as_str()).or_default() += 1.0;
    }
    let n = others.len() as f64 + if present { 1.0 } else { 2.0 };
    let telling = |t: &String| n < MANY || df.get(t.as_str()).copied().unwrap_or(0.0) <= COMMON * n;
    let mine: Vec<&String> = mine.iter().filter(|t| telling(t)).collect();
    let idf = |t: &str| (1.0 + n / df.get(t).copied().unwrap_or(1.0)).ln();
    let whole: f64 = mine.iter().map(|t| idf(t)).sum();
    let my_metric = metric_key(&one.primary_metric);
    let mut scored: Vec<(usize, f64)> = others
        .iter()
        .zip(&theirs)
        .enumerate()
        .filter(|(_, (r, _))| r.id != one.id)
        .filter_map(|(i, (r, p))| {
            let shared: Vec<(&String, f64)> = mine
                .iter()
                .filter_map(|t| p.iter().find(|(o, _)| o == *t).map(|(_, w)| (*t, *w)))
                .collect();
            if shared.len() < MIN_SHARED || whole <= 0.0 {
                return None;
            }
            let found = shared.iter().map(|(t, w)| w * idf(t)).sum::<f64>() / whole;
            let metric = if metric_key(&r.primary_metric) == my_metric {
                METRIC_WEIGHT
            } else {
                0.0
            };
            let score = metric + (1.0 - METRIC_WEIGHT) * found;
            (score >= THRESHOLD).then_some((i, score))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(limit);
    scored
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::record::Status;

    fn record(id: &str, title: &str, hypothesis: &str, metric: &str) -> Record {
        Record {
            id: id.into(),
            title: title.into(),
            hypothesis: hypothesis.into(),
            primary_metric: metric.into(),
            status: Status::Shipped,
            decision_log: Vec::new(),
            ..crate::test_support::sample()
        }
    }

    fn past() -> Vec<Record> {
        vec![
            record(
                "1",
                "Homepage CTA Color",
                "Changing CTA button from blue to green increases signups by 15%",
                "signup_rate",
            ),
            record(
                "2",
                "Checkout page speed",
                "A faster checkout page lowers abandonment",
                "checkout_abandonment",
            ),
            record(
                "3",
                "Onboarding email",
                "A welcome email raises the signup rate",
                "signup_rate",
            ),
        ]
    }

    fn ids(one: &Record, records: &[Record]) -> Vec<String> {
        let refs: Vec<&Record> = records.iter().collect();
        similar(one, &refs, 3)
            .into_iter()
            .map(|(i, _)| records[i].id.clone())
            .collect()
    }

    #[test]
    fn an_obvious_repeat_on_the_same_metric_is_named() {
        let new = record(
            "n",
            "Green signup button",
            "A green button gets more signups",
            "signup_rate",
        );
        assert_eq!(ids(&new, &past()), ["1"]);
    }

    #[test]
    fn the_same_metric_alone_is_not_enough() {
        let new = record(
            "n",
            "Referral programme",
            "Invites from friends convert",
            "signup_rate",
        );
        assert!(ids(&new, &past()).is_empty());
    }

    #[test]
    fn the_same_words_on_another_metric_need_to_be_nearly_all_the_same() {
        let near = record(
            "n",
            "Homepage CTA colour",
            "A green CTA button",
            "click_through_rate",
        );
        assert!(ids(&near, &past()).is_empty());
        let same = record(
            "n",
            "Homepage CTA Color",
            "Changing CTA button from blue to green",
            "ctr",
        );
        assert_eq!(ids(&same, &past()), ["1"]);
    }

    #[test]
    fn among_many_a_word_in_most_of_them_does_not_count() {
        let mut records: Vec<Record> = (0..30)
            .map(|i| {
                record(
                    &i.to_string(),
                    &format!("Idea{i} banner"),
                    &format!("Idea{i} banner lifts signups for mobile traffic"),
                    "signup_rate",
                )
            })
            .collect();
        records.push(record(
            "x",
            "Pricing page",
            "Annual plans first for mobile traffic",
            "signup_rate",
        ));
        let new = record(
            "n",
            "Mobile traffic badge",
            "A badge for mobile traffic",
            "signup_rate",
        );
        assert!(ids(&new, &records).is_empty());
        let repeat = record("n", "Pricing page", "Annual plans first", "signup_rate");
        assert_eq!(ids(&repeat, &records), ["x"]);
    }

    #[test]
    fn a_learning_or_a_note_that_names_the_same_problem_counts() {
        let mut killed = record(
            "k",
            "Free shipping threshold",
            "Free shipping over $50 lifts conversion",
            "conversion_rate",
        );
        let new = record(
            "n",
            "Shipping fee on the product page",
            "Showing the shipping fee before checkout lifts conversion",
            "conversion_rate",
        );
        let mut records = past();
        records.push(killed.clone());
        assert!(ids(&new, &records).is_empty(), "the titles share one word");
        killed.learning =
            Some("Shoppers left when the shipping fee showed up at the last step".into());
        records.pop();
        records.push(killed.clone());
        let refs: Vec<&Record> = records.iter().collect();
        let by_learning = similar(&new, &refs, 3);
        assert_eq!(ids(&new, &records), ["k"]);
        // A note says it too, counted for less; a status move's own words say nothing.
        killed.learning = None;
        killed.decision_log = vec![crate::record::LogEntry {
            at: "2026-02-22T18:30:00.000Z".into(),
            who: None,
            note: "status: running -> killed: shoppers left when the shipping fee showed up at \
                   the last step"
                .into(),
        }];
        records.pop();
        records.push(killed);
        let refs: Vec<&Record> = records.iter().collect();
        let by_note = similar(&new, &refs, 3);
        assert_eq!(by_note.len(), 1);
        assert_eq!(records[by_note[0].0].id, "k");
        assert!(
            by_note[0].1 < by_learning[0].1,
            "{by_note:?} {by_learning:?}"
        );
        // The same pair scores the same whether the new one is among the others yet or not.
        let mut with_new = records.clone();
        with_new.push(new.clone());
        let refs: Vec<&Record> = with_new.iter().collect();
        assert_eq!(similar(&new, &refs, 3), by_note);
        assert_eq!(reason("status: running -> killed: no lift"), "no lift");
        assert_eq!(reason("status: draft -> running"), "");
        assert_eq!(reason("amended: target 3.7 -> 3.5: too bold"), "too bold");
        assert_eq!(reason("launched: to all"), "launched: to all");
    }

    #[test]
    fn an_experiment_is_not_like_itself_and_metrics_compare_loosely() {
        let records = past();
        assert!(ids(&records[0], &records).is_empty());
        let new = record("n", "Green signup button", "A green button", "Signup-Rate");
        assert_eq!(ids(&new, &records), ["1"]);
    }
}
