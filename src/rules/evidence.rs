//! The review rules of evidence: what a record's results say against what the record claims.
//! They run in `xp check` (not when a change is written: counts are facts, recorded even when
//! what they reveal breaks a rule), each problem at the key it is about.
//!
//! - `split-mismatch`: the plan's split names a share per variant of the results.
//! - `srm-detected`: the units per variant fit the planned split (an error below p = 0.001, a
//!   warning below 0.01), until the experiment is killed or an `override:` entry accepts it.
//! - `confidence-vs-evidence`: the stated confidence stands within 5 points of the computed
//!   chance to beat control.
//! - `decision-vs-evidence`: `decision: ship` needs a treatment that beats control
//!   significantly in the metric's direction, or an `override:` entry saying why.

use std::path::Path;

use crate::record::Record;
use crate::record::derived::p_text;
use crate::record::evidence::{self, Alert, CONFIDENCE_SLACK};
use crate::record::parts::{Decision, Status};
use crate::rules::{Problem, Rule, Severity};
use crate::yaml::{Document, Pos};

/// Every evidence problem of a record that passed the rules; `doc` places them.
pub fn review(path: &Path, record: &Record, doc: Option<&Document>) -> Vec<Problem> {
    let (Some(results), Some(e)) = (&record.results, record.evidence()) else {
        return Vec::new();
    };
    let at = |key: &str| place(doc, key);
    let problem = |key: &str, rule: Rule, severity: Severity, message: String, hint: &str| {
        let pos = at(key);
        Problem {
            path: path.to_owned(),
            line: pos.line,
            column: pos.column,
            rule,
            message,
            hint: Some(hint.to_owned()),
            field: Some(key.to_owned()),
            severity,
            item: None,
        }
    };
    let accepted = evidence::overridden(&record.decision_log).is_some();
    let mut out = Vec::new();
    if let Some(split) = &record.split
        && split.len() != results.variants.len()
    {
        out.push(problem(
            "split",
            Rule::SplitMismatch,
            Severity::Error,
            format!(
                "split has {} shares and the results {} variants; the sample ratio is checked \
                 against equal shares",
                split.len(),
                results.variants.len()
            ),
            "give one share per variant, in the order of the results (the control first)",
        ));
    }
    if let Some(srm) = &e.sample_ratio
        && let Some(alert) = srm.alert
        && record.status != Status::Killed
        && !accepted
    {
        let units: Vec<String> = results
            .variants
            .iter()
            .map(|v| v.units.to_string())
            .collect();
        let (severity, verdict) = match alert {
            Alert::Error => (Severity::Error, "the split is broken"),
            Alert::Warning => (Severity::Warning, "the split looks off"),
        };
        out.push(problem(
            "results",
            Rule::SrmDetected,
            severity,
            format!(
                "sample-ratio mismatch: units {} against {} give chi-square {:.3}, p {}; {verdict}, \
                 and the comparison cannot be trusted",
                units.join(" / "),
                if srm.planned {
                    "the planned split"
                } else {
                    "an equal split"
                },
                srm.chi_square,
                p_text(srm.p_value)
            ),
            "find why units went missing (assignment, logging, bots); kill the experiment, or log \
             `override: REASON` once the cause is known and harmless",
        ));
    }
    if let Some(computed) = e.confidence()
        && (record.confidence - computed).abs() > CONFIDENCE_SLACK
    {
        out.push(problem(
            "confidence",
            Rule::ConfidenceVsEvidence,
            Severity::Error,
            format!(
                "confidence is {} but the results give a {computed}% chance to beat control",
                record.confidence
            ),
            &format!("set confidence to {computed}, or record the results again with `xp result`"),
        ));
    }
    if record.decision == Some(Decision::Ship) && !e.supports_shipping() && !accepted {
        let said = match e.best() {
            Some(best) => format!(
                "the best treatment, `{}`, has p {} against alpha {}{}",
                best.name,
                best.p_value.map_or_else(|| "-".to_owned(), p_text),
                crate::record::edit::format_number(e.alpha),
                if best.better == Some(false) {
                    ", and it moved the wrong way"
                } else {
                    ""
                }
            ),
            None => "no treatment can be compared with the control".to_owned(),
        };
        out.push(problem(
            "decision",
            Rule::DecisionVsEvidence,
            Severity::Error,
            format!("decision is ship but the evidence does not support it: {said}"),
            "log `override: REASON` saying why it ships anyway, or decide iterate or kill",
        ));
    }
    out
}

/// Where a top-level key is written; the file's start when it is not.
fn place(doc: Option<&Document>, key: &str) -> Pos {
    doc.and_then(|doc| {
        doc.root_entries()?
            .iter()
            .find(|(k, _)| doc.value(*k) == crate::yaml::Value::Str(key))
            .map(|(k, _)| doc.node(*k).start)
    })
    .unwrap_or(Pos {
        line: 1,
        column: 1,
        byte: 0,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::rules::check_bytes;

    const SIGNUP: &str = include_str!("../../fixtures/valid/signup-button-results.yaml");

    /// (rule, severity, line, column) of each problem of the text.
    fn found(text: &str) -> Vec<(Rule, Severity, usize, usize)> {
        let checked = check_bytes(Path::new("x.yaml"), text.as_bytes());
        assert_eq!(checked.problems, vec![], "{text}");
        let record = checked.record.unwrap();
        review(Path::new("x.yaml"), &record, checked.doc.as_ref())
            .into_iter()
            .map(|p| (p.rule, p.severity, p.line, p.column))
            .collect()
    }

    #[test]
    fn evidence_that_supports_the_record_is_quiet() {
        assert_eq!(found(SIGNUP), vec![]);
    }

    #[test]
    fn a_broken_split_is_reported_until_killed_or_overridden() {
        let broken = SIGNUP.replacen("units: 10000", "units: 10600", 1);
        assert_eq!(
            found(&broken),
            vec![(Rule::SrmDetected, Severity::Error, 16, 1)]
        );
        let checked = check_bytes(Path::new("x.yaml"), broken.as_bytes());
        let p = &review(
            Path::new("x.yaml"),
            checked.record.as_ref().unwrap(),
            checked.doc.as_ref(),
        )[0];
        assert_eq!(
            p.message,
            "sample-ratio mismatch: units 10600 / 10000 against the planned split give \
             chi-square 17.476, p < 0.001; the split is broken, and the comparison cannot be \
             trusted"
        );
        let off = SIGNUP.replacen("units: 10000", "units: 10400", 1);
        assert_eq!(
            found(&off),
            vec![(Rule::SrmDetected, Severity::Warning, 16, 1)]
        );
        let killed = broken
            .replace("status: completed", "status: killed")
            .replace("decision: ship", "decision: kill");
        assert_eq!(found(&killed), vec![]);
        let accepted = format!(
            "{broken}- at: 2026-03-10T10:00:00.000Z\n  note: 'override: bots on the control, filtered'\n"
        );
        assert_eq!(found(&accepted), vec![]);
        // Results recorded after the override need an override of their own.
        let again = format!(
            "{accepted}- at: 2026-03-11T10:00:00.000Z\n  note: 'results: control=10600/320, start-free=10000/371 as of 2026-03-11T00:00:00.000Z'\n"
        );
        assert_eq!(
            found(&again),
            vec![(Rule::SrmDetected, Severity::Error, 16, 1)]
        );
    }

    #[test]
    fn a_split_names_a_share_per_variant() {
        let text = SIGNUP.replace("split: [50, 50]", "split: [40, 30, 30]");
        assert_eq!(
            found(&text),
            vec![(Rule::SplitMismatch, Severity::Error, 13, 1)]
        );
    }

    #[test]
    fn confidence_stands_near_the_computed_chance() {
        // 97.6% computed: 93 is within 5 points, 92 is not.
        assert_eq!(
            found(&SIGNUP.replace("confidence: 98", "confidence: 93")),
            vec![]
        );
        assert_eq!(
            found(&SIGNUP.replace("confidence: 98", "confidence: 92")),
            vec![(Rule::ConfidenceVsEvidence, Severity::Error, 8, 1)]
        );
    }

    #[test]
    fn shipping_without_significance_needs_an_override() {
        // 320 vs 360: z = 1.561, p = 0.119.
        let weak = SIGNUP
            .replace("conversions: 371", "conversions: 360")
            .replace("confidence: 98", "confidence: 94");
        assert_eq!(
            found(&weak),
            vec![(Rule::DecisionVsEvidence, Severity::Error, 9, 1)]
        );
        let checked = check_bytes(Path::new("x.yaml"), weak.as_bytes());
        let p = &review(
            Path::new("x.yaml"),
            checked.record.as_ref().unwrap(),
            checked.doc.as_ref(),
        )[0];
        assert_eq!(
            p.message,
            "decision is ship but the evidence does not support it: the best treatment, \
             `start-free`, has p = 0.119 against alpha 0.05"
        );
        let accepted = format!(
            "{weak}- at: 2026-03-10T10:00:00.000Z\n  note: 'override: cheaper to serve, a tie is enough'\n"
        );
        assert_eq!(found(&accepted), vec![]);
        assert_eq!(
            found(&weak.replace("decision: ship", "decision: iterate")),
            vec![]
        );
    }
}
