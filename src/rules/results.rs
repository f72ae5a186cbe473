//! Reading `results` from a parsed file: the mapping of `as_of`, `source` and `variants`, each
//! variant's mapping, every value of its type, and then what the counts must be
//! ([`Results::faults`]). Every finding is located at the key or value it is about.

use crate::record::results::{self, Measure, Results, Variant};
use crate::yaml::{Document, NodeId, Pos, Value};

/// Which rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    WrongType,
    UnknownKey,
    MissingField,
    /// What the counts must be: two variants or more, names unique and not blank, conversions
    /// at most units, one kind of measure.
    BadResults,
}

/// One thing wrong in a results block.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub at: Pos,
    pub broken: Broken,
    pub message: String,
    pub hint: Option<String>,
}

/// The results a node holds, or every finding that keeps it from being read.
pub fn read(doc: &Document, node: NodeId) -> Result<Results, Vec<Finding>> {
    let mut reader = Reader {
        doc,
        findings: Vec::new(),
    };
    let results = reader.results(node);
    match results {
        Some(results) if reader.findings.is_empty() => {
            let faults = results.faults();
            if faults.is_empty() {
                return Ok(results);
            }
            let places = variant_places(doc, node);
            let start = doc.node(node).start;
            Err(faults
                .iter()
                .map(|f| Finding {
                    at: f
                        .index()
                        .and_then(|i| places.get(i).copied())
                        .unwrap_or(start),
                    broken: Broken::BadResults,
                    message: f.message(&results),
                    hint: Some(f.hint().to_owned()),
                })
                .collect())
        }
        _ => Err(reader.findings),
    }
}

/// Where each variant starts.
fn variant_places(doc: &Document, node: NodeId) -> Vec<Pos> {
    match doc.entry(node, "variants").map(|(_, v)| doc.value(v)) {
        Some(Value::Seq(items)) => items.iter().map(|&i| doc.node(i).start).collect(),
        _ => Vec::new(),
    }
}

struct Reader<'d> {
    doc: &'d Document,
    findings: Vec<Finding>,
}

impl Reader<'_> {
    fn found(&mut self, at: Pos, broken: Broken, message: String, hint: Option<&str>) {
        self.findings.push(Finding {
            at,
            broken,
            message,
            hint: hint.map(str::to_owned),
        });
    }

    fn wrong(&mut self, node: NodeId, what: &str, expected: &str, hint: Option<&str>) {
        let got = self.doc.value(node).describe();
        self.found(
            self.doc.node(node).start,
            Broken::WrongType,
            format!("{what} must be {expected}, not {got}"),
            hint,
        );
    }

    /// The keys of a mapping: each known one's value, and an `unknown-key` for the others.
    fn keys(
        &mut self,
        entries: &[(NodeId, NodeId)],
        known: &[&'static str],
        within: &str,
    ) -> Vec<(String, NodeId, NodeId)> {
        let mut out = Vec::new();
        for &(key, value) in entries {
            match self.doc.value(key) {
                Value::Str(name) if known.contains(&name) => {
                    out.push((name.to_owned(), key, value));
                }
                Value::Str(name) => {
                    let hint = nearest(name, known).map_or_else(
                        || format!("{within} has only {}", known.join(", ")),
                        |k| format!("did you mean `{k}`?"),
                    );
                    self.found(
                        self.doc.node(key).start,
                        Broken::UnknownKey,
                        format!("unknown key `{name}` in {within}"),
                        Some(&hint),
                    );
                }
                other => {
                    let got = other.describe();
                    self.found(
                        self.doc.node(key).start,
                        Broken::UnknownKey,
                        format!("a key in {within} must be a name, not {got}"),
                        None,
                    );
                }
            }
        }
        out
    }

    fn results(&mut self, node: NodeId) -> Option<Results> {
        let Value::Map(entries) = self.doc.value(node) else {
            self.wrong(
                node,
                "`results`",
                "a mapping of as_of, source and variants",
                Some("write `results:` with `as_of:`, `variants:` and maybe `source:` under it"),
            );
            return None;
        };
        let keys = self.keys(entries, &results::KEYS, "results");
        let get = |name: &str| keys.iter().find(|(k, _, _)| k == name).map(|(_, _, v)| *v);
        let start = self.doc.node(node).start;
        let as_of = match get("as_of") {
            Some(v) => self.time(v),
            None => {
                self.found(
                    start,
                    Broken::MissingField,
                    "results have no `as_of`: when were the counts taken?".into(),
                    Some("add `as_of:` with a UTC time, like 2026-03-01T00:00:00.000Z"),
                );
                None
            }
        };
        let source = match get("source") {
            None => Some(None),
            Some(v) => match self.doc.value(v) {
                Value::Null => Some(None),
                Value::Str(s) => Some(Some(s.to_owned())),
                _ => {
                    self.wrong(
                        v,
                        "`source`",
                        "a string or null",
                        Some("a dashboard link or a query's name"),
                    );
                    None
                }
            },
        };
        let variants = match get("variants") {
            Some(v) => self.variants(v),
            None => {
                self.found(
                    start,
                    Broken::MissingField,
                    "results have no `variants`".into(),
                    Some("list the control and each treatment under `variants:`"),
                );
                None
            }
        };
        Some(Results {
            as_of: as_of?,
            source: source?,
            variants: variants?,
        })
    }

    fn time(&mut self, node: NodeId) -> Option<String> {
        match self.doc.value(node) {
            Value::Str(s) if crate::time::parse_utc(s).is_some() => Some(s.to_owned()),
            Value::Str(s) => {
                self.found(
                    self.doc.node(node).start,
                    Broken::WrongType,
                    format!("`as_of` is `{s}`, not an RFC 3339 UTC time"),
                    Some("write it like 2026-03-01T00:00:00.000Z"),
                );
                None
            }
            _ => {
                self.wrong(
                    node,
                    "`as_of`",
                    "an RFC 3339 UTC time",
                    Some("write it like 2026-03-01T00:00:00.000Z"),
                );
                None
            }
        }
    }

    fn variants(&mut self, node: NodeId) -> Option<Vec<Variant>> {
        let Value::Seq(items) = self.doc.value(node) else {
            self.wrong(
                node,
                "`variants`",
                "a list of variants",
                Some("write each variant as `- name: control` with `units:` and `conversions:` under it"),
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, &item) in items.iter().enumerate() {
            match self.variant(item, i) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn variant(&mut self, node: NodeId, index: usize) -> Option<Variant> {
        let label = format!("variant {}", index + 1);
        let Value::Map(entries) = self.doc.value(node) else {
            self.wrong(
                node,
                &label,
                "a mapping of name, units and conversions (or mean and sd)",
                None,
            );
            return None;
        };
        let keys = self.keys(entries, &results::VARIANT_KEYS, &label);
        let get = |name: &str| keys.iter().find(|(k, _, _)| k == name).map(|(_, _, v)| *v);
        let start = self.doc.node(node).start;
        let missing = |reader: &mut Self, key: &str| {
            reader.found(
                start,
                Broken::MissingField,
                format!("{label} has no `{key}`"),
                Some(&format!("add `{key}:` to the variant")),
            );
        };
        let name = match get("name") {
            Some(v) => match self.doc.value(v) {
                Value::Str(s) => Some(s.to_owned()),
                _ => {
                    self.wrong(
                        v,
                        &format!("the name of {label}"),
                        "a string",
                        Some("put the name in quotes to make it text"),
                    );
                    None
                }
            },
            None => {
                missing(self, "name");
                None
            }
        };
        let units = match get("units") {
            Some(v) => self.count(v, "units"),
            None => {
                missing(self, "units");
                None
            }
        };
        let measure = match (get("conversions"), get("mean"), get("sd")) {
            (Some(c), None, None) => self.count(c, "conversions").map(Measure::Conversions),
            (None, Some(m), Some(s)) => {
                let mean = self.finite(m, "mean", false);
                let sd = self.finite(s, "sd", true);
                Some(Measure::Mean {
                    mean: mean?,
                    sd: sd?,
                })
            }
            (None, None, None) => {
                self.found(
                    start,
                    Broken::MissingField,
                    format!("{label} has no `conversions` (or `mean` and `sd`)"),
                    Some("a conversion metric counts `conversions:`; a continuous one gives `mean:` and `sd:`"),
                );
                None
            }
            (None, Some(_), None) => {
                missing(self, "sd");
                None
            }
            (None, None, Some(_)) => {
                missing(self, "mean");
                None
            }
            (Some(c), _, _) => {
                self.found(
                    self.doc.node(c).start,
                    Broken::BadResults,
                    format!("{label} has both `conversions` and `mean`/`sd`; it has one or the other"),
                    Some("keep `conversions:` for a conversion metric, `mean:` and `sd:` for a continuous one"),
                );
                None
            }
        };
        Some(Variant {
            name: name?,
            units: units?,
            measure: measure?,
        })
    }

    /// A whole number of 0 or more.
    fn count(&mut self, node: NodeId, what: &str) -> Option<u64> {
        match self.doc.value(node) {
            Value::Int(n) if n >= 0 => u64::try_from(n).ok(),
            Value::Float(x) if x.fract() == 0.0 && (0.0..9.007_199_254_740_992e15).contains(&x) => {
                Some(x as u64)
            }
            Value::Float(x) if x.fract() == 0.0 && x > 0.0 => {
                self.found(
                    self.doc.node(node).start,
                    Broken::WrongType,
                    format!(
                        "`{what}` is {}, too large to count exactly; a count is at most {}",
                        shown(self.doc, node),
                        i64::MAX
                    ),
                    None,
                );
                None
            }
            Value::Int(_) | Value::Float(_) => {
                self.found(
                    self.doc.node(node).start,
                    Broken::WrongType,
                    format!(
                        "`{what}` must be a whole number of 0 or more, not {}",
                        shown(self.doc, node)
                    ),
                    Some("counts are whole numbers: units and conversions as counted"),
                );
                None
            }
            _ => {
                let hint = quoted_number(self.doc, node);
                self.wrong(
                    node,
                    &format!("`{what}`"),
                    "a whole number of 0 or more",
                    hint,
                );
                None
            }
        }
    }

    /// A finite number (`non_negative`: of 0 or more).
    fn finite(&mut self, node: NodeId, what: &str, non_negative: bool) -> Option<f64> {
        let x = match self.doc.value(node) {
            Value::Int(n) => n as f64,
            Value::Float(x) => x,
            _ => {
                let hint = quoted_number(self.doc, node);
                self.wrong(node, &format!("`{what}`"), "a number", hint);
                return None;
            }
        };
        if !x.is_finite() || (non_negative && x < 0.0) {
            let expected = if non_negative {
                "a finite number of 0 or more"
            } else {
                "a finite number"
            };
            self.found(
                self.doc.node(node).start,
                Broken::WrongType,
                format!("`{what}` must be {expected}, not {}", shown(self.doc, node)),
                None,
            );
            return None;
        }
        Some(x)
    }
}

/// The hint for a number in quotes.
fn quoted_number(doc: &Document, node: NodeId) -> Option<&'static str> {
    match doc.value(node) {
        Value::Str(s) if s.trim().parse::<f64>().is_ok() => {
            Some("remove the quotes: a quoted number is text")
        }
        _ => None,
    }
}

/// A scalar's text as written, in backticks, when short.
fn shown(doc: &Document, node: NodeId) -> String {
    match &doc.node(doc.target(node)).kind {
        crate::yaml::Kind::Scalar { text, .. } if doc.text(*text).chars().count() <= 40 => {
            format!("`{}`", doc.text(*text))
        }
        _ => doc.value(node).describe().to_owned(),
    }
}

/// The known key closest to a misspelt one.
fn nearest(name: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}
