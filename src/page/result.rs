//! An experiment's result as the pages show it: the observed value, the values derived from
//! it (the lift, whether the target was met, and every other derived value the record
//! answers), and a verdict badge: won, lost or inconclusive.

use maud::{Markup, html};

use super::layout::number;
use crate::record::derived::{DERIVED, DerivedValue};
use crate::record::{Direction, Record};

/// What the observed value says, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The target was met.
    Won,
    /// The metric moved the wrong way (or not at all).
    Lost,
    /// Better than the baseline, short of the target.
    Inconclusive,
}

impl Verdict {
    /// The verdict of a record with an observed value; `None` without one.
    pub fn of(r: &Record) -> Option<Verdict> {
        Some(match (r.target_met()?, r.improved()?) {
            (true, _) => Verdict::Won,
            (false, false) => Verdict::Lost,
            (false, true) => Verdict::Inconclusive,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Won => "won",
            Verdict::Lost => "lost",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// What the badge means, said in full.
    fn meaning(self) -> &'static str {
        match self {
            Verdict::Won => "target met",
            Verdict::Lost => "no better than the baseline",
            Verdict::Inconclusive => "better than the baseline, short of the target",
        }
    }
}

/// The verdict as a small coloured label.
pub fn verdict_badge(v: Verdict) -> Markup {
    html! { span class={ "badge res-" (v.as_str()) } title=(v.meaning()) { (v.as_str()) } }
}

/// The result on one line, for a card or a table row: the badge, the observed value and the
/// lift; nothing without an observed value.
pub fn result_line(r: &Record) -> Option<Markup> {
    let observed = r.observed?;
    let verdict = Verdict::of(r)?;
    Some(html! {
        (verdict_badge(verdict)) " "
        span.nums {
            (number(observed))
            @if let Some(lift) = r.lift_shown() { " · " (lift) }
        }
    })
}

/// A derived value's name as a label: `target_met` is "Target met".
fn label(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// A derived value as a person reads it: the lift as a judged percentage, yes or no, a number;
/// the evidence as the line the story's summary shows.
fn derived_text(r: &Record, name: &str, value: DerivedValue) -> String {
    match value {
        DerivedValue::Number(_) if name == "lift" => r.lift_shown().unwrap_or_default(),
        DerivedValue::Number(x) => number((x * 10_000.0).round() / 10_000.0),
        DerivedValue::Bool(true) => "yes".into(),
        DerivedValue::Bool(false) => "no".into(),
        DerivedValue::Evidence(_) => r.evidence_shown().unwrap_or_default(),
    }
}

/// The story's result block: the verdict, the observed value against baseline and target,
/// and every derived value the record has; `None` without an observed value.
pub fn result_block(r: &Record) -> Option<Markup> {
    let observed = r.observed?;
    let verdict = Verdict::of(r)?;
    let wanted = match r.direction() {
        Direction::Increase => "at least",
        Direction::Decrease => "at most",
    };
    Some(html! {
        section.result aria-labelledby="h-result" {
            h2 #h-result { "Result " (verdict_badge(verdict)) }
            p.verdict { (capital(verdict.meaning())) ": observed " strong.nums { (number(observed)) }
                " against a baseline of " span.nums { (number(r.baseline)) }
                " and a target of " (wanted) " " span.nums { (number(r.target)) } "." }
            dl.derived {
                div { dt { "Observed" } dd.nums { (number(observed)) } }
                @for d in DERIVED {
                    @if let Some(value) = (d.value)(r) {
                        div class=[(d.name == "evidence").then_some("wide")] { dt { (label(d.name)) } dd.nums { (derived_text(r, d.name, value)) } }
                    }
                }
            }
        }
    })
}

fn capital(text: &str) -> String {
    label(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Status;

    fn observed(baseline: f64, target: f64, observed: f64, direction: Direction) -> Record {
        Record {
            baseline,
            target,
            observed: Some(observed),
            direction: Some(direction),
            status: Status::Completed,
            ..crate::test_support::sample()
        }
    }

    #[test]
    fn the_verdict_follows_the_target_and_the_direction() {
        let v = |b, t, o, d| Verdict::of(&observed(b, t, o, d));
        assert_eq!(v(3.2, 3.7, 3.8, Direction::Increase), Some(Verdict::Won));
        assert_eq!(
            v(3.2, 3.7, 3.5, Direction::Increase),
            Some(Verdict::Inconclusive)
        );
        assert_eq!(v(3.2, 3.7, 3.0, Direction::Increase), Some(Verdict::Lost));
        assert_eq!(v(10.0, 8.0, 7.0, Direction::Decrease), Some(Verdict::Won));
        assert_eq!(v(10.0, 8.0, 11.0, Direction::Decrease), Some(Verdict::Lost));
        let none = Record {
            observed: None,
            ..observed(1.0, 2.0, 0.0, Direction::Increase)
        };
        assert_eq!(Verdict::of(&none), None);
        assert!(result_line(&none).is_none() && result_block(&none).is_none());
    }

    #[test]
    fn every_derived_value_is_shown_with_a_label() {
        let r = observed(3.2, 3.7, 3.712, Direction::Increase);
        let html = result_block(&r)
            .map(Markup::into_string)
            .unwrap_or_default();
        // Without results there is no evidence; every other derived value is there.
        for d in DERIVED {
            assert_eq!(
                html.contains(&format!("<dt>{}</dt>", label(d.name))),
                (d.value)(&r).is_some(),
                "{}: {html}",
                d.name
            );
        }
        let present = DERIVED.iter().filter(|d| (d.value)(&r).is_some()).count();
        assert_eq!(
            html.matches("<dt>").count(),
            1 + present,
            "Observed and each: {html}"
        );
        assert!(
            html.contains("<dd class=\"nums\">+16.0% better</dd>"),
            "{html}"
        );
        assert_eq!(label("target_met"), "Target met");
    }
}
