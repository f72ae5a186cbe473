//! The counts an experiment measured, `results`: when they were taken (`as_of`), where from
//! (`source`) and, per variant (the control first), its units and either its conversions or
//! the mean and standard deviation of a continuous metric. Facts, typed; what follows from them
//! is [`crate::record::evidence`]'s.

use std::fmt;

use serde::Serialize;
use serde::ser::SerializeMap;

/// The keys of `results`.
pub const KEYS: [&str; 3] = ["as_of", "source", "variants"];

/// The keys of one variant.
pub const VARIANT_KEYS: [&str; 5] = ["name", "units", "conversions", "mean", "sd"];

/// The measured counts of an experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// When the counts were taken, RFC 3339 UTC.
    pub as_of: String,
    /// Where they come from: a dashboard, a query, a notebook.
    pub source: Option<String>,
    /// Each variant's counts, the control first.
    pub variants: Vec<Variant>,
}

/// One variant's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub name: String,
    /// Units (users, sessions) assigned to it.
    pub units: u64,
    pub measure: Measure,
}

/// What was measured of a variant's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// How many of the units converted: a conversion metric.
    Conversions(u64),
    /// The mean and standard deviation of a continuous metric over the units.
    Mean { mean: f64, sd: f64 },
}

/// Something wrong with results whose values each have their type: the `bad-results` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Fewer than two variants: nothing to compare.
    TooFewVariants { count: usize },
    /// A variant's name is blank.
    BlankName { index: usize },
    /// A variant has the name of an earlier one.
    DuplicateName { index: usize, first: usize },
    /// More conversions than units.
    ConversionsAboveUnits { index: usize },
    /// A variant measured otherwise than the control (conversions beside means).
    MixedMeasures { index: usize },
}

impl Fault {
    /// The variant the fault is about, when it is about one (0 is the control).
    pub fn index(&self) -> Option<usize> {
        match self {
            Fault::TooFewVariants { .. } => None,
            Fault::BlankName { index }
            | Fault::DuplicateName { index, .. }
            | Fault::ConversionsAboveUnits { index }
            | Fault::MixedMeasures { index } => Some(*index),
        }
    }

    /// What is wrong, in a sentence.
    pub fn message(&self, results: &Results) -> String {
        let name = |i: usize| {
            results
                .variants
                .get(i)
                .map_or_else(String::new, |v| v.name.clone())
        };
        match self {
            Fault::TooFewVariants { count } => format!(
                "results have {count} variant{}; a test compares at least two (the control first)",
                if *count == 1 { "" } else { "s" }
            ),
            Fault::BlankName { index } => format!("variant {} has a blank name", index + 1),
            Fault::DuplicateName { index, first } => format!(
                "variant {} is named `{}`, as variant {} is; each variant needs its own name",
                index + 1,
                name(*index),
                first + 1
            ),
            Fault::ConversionsAboveUnits { index } => {
                let v = &results.variants[*index];
                let conversions = match v.measure {
                    Measure::Conversions(c) => c,
                    Measure::Mean { .. } => 0,
                };
                format!(
                    "variant `{}` has {conversions} conversions of {} units; conversions cannot \
                     exceed units",
                    v.name, v.units
                )
            }
            Fault::MixedMeasures { index } => format!(
                "variant `{}` is measured otherwise than the control: every variant has \
                 conversions, or every variant has mean and sd",
                name(*index)
            ),
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Fault::TooFewVariants { .. } => "list the control and each treatment under `variants`",
            Fault::BlankName { .. } | Fault::DuplicateName { .. } => {
                "name each variant as the experiment's split does: control, green, ..."
            }
            Fault::ConversionsAboveUnits { .. } => {
                "check the counts: units are who was exposed, conversions who of them converted"
            }
            Fault::MixedMeasures { .. } => "record one metric per results block",
        }
    }
}

impl Results {
    /// Every fault of these results, in the order of the variants.
    pub fn faults(&self) -> Vec<Fault> {
        let mut faults = Vec::new();
        if self.variants.len() < 2 {
            faults.push(Fault::TooFewVariants {
                count: self.variants.len(),
            });
        }
        let control = self.variants.first().map(|v| v.measure);
        for (index, v) in self.variants.iter().enumerate() {
            if v.name.trim().is_empty() {
                faults.push(Fault::BlankName { index });
            } else if let Some(first) = self.variants[..index].iter().position(|o| o.name == v.name)
            {
                faults.push(Fault::DuplicateName { index, first });
            }
            if let Measure::Conversions(c) = v.measure
                && c > v.units
            {
                faults.push(Fault::ConversionsAboveUnits { index });
            }
            let same = matches!(
                (control, v.measure),
                (Some(Measure::Conversions(_)), Measure::Conversions(_))
                    | (Some(Measure::Mean { .. }), Measure::Mean { .. })
            );
            if !same {
                faults.push(Fault::MixedMeasures { index });
            }
        }
        faults
    }

    /// Whether every variant counts conversions (else means).
    pub fn conversions(&self) -> bool {
        self.variants
            .first()
            .is_some_and(|v| matches!(v.measure, Measure::Conversions(_)))
    }

    /// The units of each variant, in order.
    pub fn units(&self) -> Vec<u64> {
        self.variants.iter().map(|v| v.units).collect()
    }
}

impl Variant {
    /// A variant as the command line gives it: `name=units/conversions` for a conversion
    /// metric, `name=units:mean:sd` for a continuous one (the name is what comes before the
    /// last `=`).
    pub fn parse(text: &str) -> Result<Variant, String> {
        let how = "write a variant as NAME=UNITS/CONVERSIONS (control=10000/320) or \
                   NAME=UNITS:MEAN:SD (control=5000:12.5:3.1)";
        let Some((name, counts)) = text.rsplit_once('=') else {
            return Err(format!("`{text}` has no `=`; {how}"));
        };
        if name.trim().is_empty() {
            return Err(format!("`{text}` has no name before `=`; {how}"));
        }
        let whole = |part: &str, what: &str| match part.trim().parse::<u64>() {
            Ok(n) if i64::try_from(n).is_ok() => Ok(n),
            Ok(_) => Err(format!(
                "{what} `{}` is too large to count exactly; a count is at most {}",
                part.trim(),
                i64::MAX
            )),
            Err(_) => Err(format!(
                "{what} `{}` is not a whole number of 0 or more; {how}",
                part.trim()
            )),
        };
        let finite = |part: &str, what: &str| match part.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(format!(
                "{what} `{}` is not a finite number; {how}",
                part.trim()
            )),
        };
        let measure_and_units = if let Some((units, conversions)) = counts.split_once('/') {
            (
                whole(units, "units")?,
                Measure::Conversions(whole(conversions, "conversions")?),
            )
        } else {
            let parts: Vec<&str> = counts.split(':').collect();
            let [units, mean, sd] = parts[..] else {
                return Err(format!(
                    "`{counts}` is neither UNITS/CONVERSIONS nor UNITS:MEAN:SD; {how}"
                ));
            };
            let sd = finite(sd, "sd")?;
            if sd < 0.0 {
                return Err(format!("sd `{sd}` is below 0; {how}"));
            }
            (
                whole(units, "units")?,
                Measure::Mean {
                    mean: finite(mean, "mean")?,
                    sd,
                },
            )
        };
        let (units, measure) = measure_and_units;
        Ok(Variant {
            name: name.trim().to_owned(),
            units,
            measure,
        })
    }
}

/// The variant as the command line writes it: `control=10000/320`, `control=5000:12.5:3.1`.
impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.measure {
            Measure::Conversions(c) => write!(f, "{}={}/{c}", self.name, self.units),
            Measure::Mean { mean, sd } => write!(f, "{}={}:{mean}:{sd}", self.name, self.units),
        }
    }
}

/// The results on one line, as logs and commit bodies show them:
/// `control=10000/320, green=10000/371 as of 2026-03-01T00:00:00.000Z`.
impl fmt::Display for Results {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variants: Vec<String> = self.variants.iter().map(Variant::to_string).collect();
        write!(f, "{} as of {}", variants.join(", "), self.as_of)
    }
}

/// As JSON: `{as_of, source, variants: [{name, units, conversions} | {name, units, mean, sd}]}`,
/// the keys of the file.
impl Serialize for Results {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("as_of", &self.as_of)?;
        map.serialize_entry("source", &self.source)?;
        map.serialize_entry("variants", &self.variants)?;
        map.end()
    }
}

impl Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("units", &self.units)?;
        match self.measure {
            Measure::Conversions(c) => map.serialize_entry("conversions", &c)?,
            Measure::Mean { mean, sd } => {
                map.serialize_entry("mean", &mean)?;
                map.serialize_entry("sd", &sd)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn results(variants: &[&str]) -> Results {
        Results {
            as_of: "2026-03-01T00:00:00.000Z".into(),
            source: None,
            variants: variants
                .iter()
                .map(|v| Variant::parse(v).unwrap())
                .collect(),
        }
    }

    #[test]
    fn variants_are_read_and_written_as_the_command_line_gives_them() {
        let v = Variant::parse("control=10000/320").unwrap();
        assert_eq!(
            v,
            Variant {
                name: "control".into(),
                units: 10_000,
                measure: Measure::Conversions(320)
            }
        );
        assert_eq!(v.to_string(), "control=10000/320");
        let m = Variant::parse("a=b=5000:12.5:3").unwrap();
        assert_eq!(m.name, "a=b");
        assert_eq!(
            m.measure,
            Measure::Mean {
                mean: 12.5,
                sd: 3.0
            }
        );
        assert_eq!(m.to_string(), "a=b=5000:12.5:3");
        for bad in [
            "control",
            "=10/1",
            "c=10",
            "c=-1/0",
            "c=10/1.5",
            "c=10:1",
            "c=10:x:1",
            "c=10:1:-1",
            "c=10:1:inf",
        ] {
            assert!(Variant::parse(bad).is_err(), "{bad}");
        }
        // The largest count a file holds exactly, and one past it.
        assert_eq!(
            Variant::parse("c=9223372036854775807/0").unwrap().units,
            9_223_372_036_854_775_807
        );
        assert_eq!(
            Variant::parse("c=9223372036854775808/0"),
            Err(
                "units `9223372036854775808` is too large to count exactly; a count is at most \
                 9223372036854775807"
                    .to_owned()
            )
        );
        let r = results(&["control=10000/320", "green=10000/371"]);
        assert_eq!(
            r.to_string(),
            "control=10000/320, green=10000/371 as of 2026-03-01T00:00:00.000Z"
        );
    }

    #[test]
    fn faults_name_the_variant() {
        assert_eq!(results(&["a=10/1", "b=10/2"]).faults(), vec![]);
        assert_eq!(
            results(&["a=10/1"]).faults(),
            vec![Fault::TooFewVariants { count: 1 }]
        );
        let r = results(&["a=10/1", "a=10/11", "c=10:1:1"]);
        assert_eq!(
            r.faults(),
            vec![
                Fault::DuplicateName { index: 1, first: 0 },
                Fault::ConversionsAboveUnits { index: 1 },
                Fault::MixedMeasures { index: 2 },
            ]
        );
        assert_eq!(
            r.faults()[1].message(&r),
            "variant `a` has 11 conversions of 10 units; conversions cannot exceed units"
        );
    }

    #[test]
    fn json_has_the_files_keys() {
        let r = results(&["control=10000/320", "b=20:1.5:0.25"]);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "as_of": "2026-03-01T00:00:00.000Z",
                "source": null,
                "variants": [
                    {"name": "control", "units": 10000, "conversions": 320},
                    {"name": "b", "units": 20, "mean": 1.5, "sd": 0.25},
                ]
            })
        );
    }
}
