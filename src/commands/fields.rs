//! The field table as flags: `xp new` and `xp update` take one flag per field of
//! [`FIELDS`], named, explained and parsed from the table, so that a new field is a new flag
//! without a line here.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::record::{FIELDS, Field, FieldKind, FieldValue};

/// Which command the flags are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `xp new`: values of a new record; required fields unless `--from` is given.
    New,
    /// `xp update`: values to change; an empty text (or `null`) clears a field that may be null.
    Update,
}

/// A flag's value: a field's value, or `None` for null.
#[derive(Debug, Clone)]
struct Given(Option<FieldValue>);

/// The fields given as flags to `xp new`, in the table's order.
#[derive(Debug, Clone, Default)]
pub struct NewFields {
    pub values: Vec<(&'static Field, FieldValue)>,
}

/// The fields given as flags to `xp update`, each with its new value (`None` clears it).
#[derive(Debug, Clone, Default)]
pub struct ChangedFields {
    pub values: Vec<(&'static Field, Option<FieldValue>)>,
}

/// The flags of every field.
fn augment(cmd: Command, mode: Mode) -> Command {
    FIELDS
        .iter()
        .fold(cmd, |cmd, field| cmd.arg(arg(field, mode)))
}

/// One field's flag.
fn arg(field: &'static Field, mode: Mode) -> Arg {
    let flag = field.flag();
    let mut arg = Arg::new(field.name)
        .long(flag.clone())
        .help(help(field, mode))
        .value_name(flag.to_uppercase());
    if field.name.contains('_') && field.name.replace('_', "-") != flag {
        arg = arg.visible_alias(field.name.replace('_', "-"));
    }
    if mode == Mode::New && field.required {
        arg = arg.required_unless_present("from");
    }
    if mode == Mode::New {
        arg = arg.conflicts_with("from");
    }
    let clears = mode == Mode::Update && field.nullable;
    match field.kind {
        FieldKind::Text => arg.value_parser(move |text: &str| -> Result<Given, String> {
            Ok(Given(match text {
                "" if field.nullable => None,
                _ => Some(FieldValue::Text(text.to_owned())),
            }))
        }),
        FieldKind::Number => arg
            .allow_negative_numbers(true)
            .value_name("NUMBER")
            .value_parser(move |text: &str| number(text, clears)),
        FieldKind::Percent => arg.value_name("PERCENT").value_parser(
            clap::value_parser!(i64)
                .range(0..=100)
                .map(|n| Given(Some(FieldValue::Whole(n)))),
        ),
        FieldKind::Enum(words) => {
            let mut choices: Vec<&'static str> = words.to_vec();
            if clears {
                choices.push("null");
            }
            arg.value_parser(
                PossibleValuesParser::new(choices)
                    .map(|word| Given((word != "null").then_some(FieldValue::Text(word)))),
            )
        }
        FieldKind::TextList => arg.action(ArgAction::Append),
        FieldKind::Numbers => arg
            .action(ArgAction::Append)
            .allow_negative_numbers(true)
            .value_name("NUMBER")
            .value_parser(move |text: &str| number(text, clears)),
        FieldKind::Results => arg
            .value_name("JSON")
            .value_parser(move |text: &str| results(field, text, clears)),
    }
}

/// A `--results` flag: the JSON of results (`{"as_of": .., "variants": [..]}`), as the API
/// takes them; `null` or an empty text clears them when the field may be null.
fn results(field: &'static Field, text: &str, clears: bool) -> Result<Given, String> {
    if clears && matches!(text.trim(), "" | "null") {
        return Ok(Given(None));
    }
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        format!("not JSON ({e}); give results as {{\"as_of\": \"...\", \"variants\": [...]}}, or record them with `xp result`")
    })?;
    crate::record::json::field_value(field, &json)
        .map(Given)
        .map_err(|bad| match bad.path.is_empty() {
            true => bad.message,
            false => format!("{} (at {})", bad.message, bad.path.join(".")),
        })
}

/// A number flag: finite; `null` or an empty text clears it when the field may be null.
fn number(text: &str, clears: bool) -> Result<Given, String> {
    let text = text.trim();
    if clears && (text.is_empty() || text == "null") {
        return Ok(Given(None));
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Given(Some(FieldValue::Number(x)))),
        _ if clears => Err(format!(
            "`{text}` is not a finite number; write it in digits, like 3.9, or `null` to clear it"
        )),
        _ => Err(format!(
            "`{text}` is not a finite number; write it in digits, like 3.9"
        )),
    }
}

/// What a field's flag says in `--help`: the table's description, and how to give it.
fn help(field: &Field, mode: Mode) -> String {
    let mut help = capitalized(field.description);
    let how = match (field.kind, mode) {
        (FieldKind::TextList, Mode::New) => Some("repeat for several".to_owned()),
        (FieldKind::TextList, Mode::Update) => Some(format!(
            "repeat for several; replaces the list; `--{} \"\"` clears it",
            field.flag()
        )),
        (FieldKind::Text, Mode::Update) if field.nullable => {
            Some("an empty text clears it".to_owned())
        }
        (FieldKind::Number, Mode::Update) if field.nullable => {
            Some("`null` or an empty text clears it".to_owned())
        }
        (FieldKind::Enum(_), Mode::Update) if field.nullable => Some("`null` clears it".to_owned()),
        (FieldKind::Numbers, Mode::New) => Some("repeat for each, in order".to_owned()),
        (FieldKind::Numbers, Mode::Update) => Some(format!(
            "repeat for each, in order; replaces the list; `--{} null` clears it",
            field.flag()
        )),
        (FieldKind::Results, _) => {
            Some("as JSON, the file's keys; `xp result` records them from counts".to_owned())
        }
        _ => None,
    };
    if let Some(how) = how {
        help.push_str("; ");
        help.push_str(&how);
    }
    if field.plan && mode == Mode::Update {
        help.push_str(" (part of the plan: once the experiment ran, a change needs --amend)");
    }
    help
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The value of each field flag given on the command line, in the table's order.
fn given(matches: &ArgMatches) -> Vec<(&'static Field, Option<FieldValue>)> {
    let mut out = Vec::new();
    for field in FIELDS {
        if matches.value_source(field.name) != Some(ValueSource::CommandLine) {
            continue;
        }
        let value = match field.kind {
            FieldKind::TextList => {
                let items: Vec<String> = matches
                    .get_many::<String>(field.name)
                    .into_iter()
                    .flatten()
                    .filter(|v| !v.trim().is_empty())
                    .cloned()
                    .collect();
                (!items.is_empty()).then_some(FieldValue::List(items))
            }
            FieldKind::Numbers => {
                let given: Vec<&Given> = matches
                    .get_many::<Given>(field.name)
                    .into_iter()
                    .flatten()
                    .collect();
                let numbers: Option<Vec<f64>> = given
                    .iter()
                    .map(|g| match &g.0 {
                        Some(FieldValue::Number(x)) => Some(*x),
                        _ => None,
                    })
                    .collect();
                numbers.filter(|n| !n.is_empty()).map(FieldValue::Numbers)
            }
            _ => matches
                .get_one::<Given>(field.name)
                .and_then(|given| given.0.clone()),
        };
        out.push((field, value));
    }
    out
}

impl clap::FromArgMatches for NewFields {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let values = given(matches)
            .into_iter()
            .filter_map(|(field, value)| Some((field, value?)))
            .collect();
        Ok(NewFields { values })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for NewFields {
    fn augment_args(cmd: Command) -> Command {
        augment(cmd, Mode::New)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        augment(cmd, Mode::New)
    }
}

impl clap::FromArgMatches for ChangedFields {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(ChangedFields {
            values: given(matches),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for ChangedFields {
    fn augment_args(cmd: Command) -> Command {
        augment(cmd, Mode::Update)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        augment(cmd, Mode::Update)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::{Args, FromArgMatches};

    use super::*;

    fn update(args: &[&str]) -> Result<ChangedFields, clap::Error> {
        let cmd = ChangedFields::augment_args(Command::new("update").no_binary_name(true));
        let matches = cmd.try_get_matches_from(args)?;
        ChangedFields::from_arg_matches(&matches)
    }

    fn names(c: &ChangedFields) -> Vec<(&str, Option<FieldValue>)> {
        c.values.iter().map(|(f, v)| (f.name, v.clone())).collect()
    }

    #[test]
    fn every_field_has_a_flag_of_its_kind() {
        let given = update(&[
            "--metric",
            "m",
            "--baseline",
            "-1.5",
            "--confidence",
            "42",
            "--decision",
            "null",
            "--learning",
            "",
            "--tag",
            "a",
            "--tag",
            "b",
            "--observed",
            "null",
        ])
        .unwrap();
        assert_eq!(
            names(&given),
            [
                ("primary_metric", Some(FieldValue::Text("m".into()))),
                ("baseline", Some(FieldValue::Number(-1.5))),
                ("confidence", Some(FieldValue::Whole(42))),
                ("decision", None),
                ("learning", None),
                ("tags", Some(FieldValue::List(vec!["a".into(), "b".into()]))),
                ("observed", None),
            ]
        );
        let every: Vec<String> = FIELDS.iter().map(|f| format!("--{}", f.flag())).collect();
        let cmd = ChangedFields::augment_args(Command::new("update"));
        for flag in every {
            assert!(
                cmd.get_arguments()
                    .any(|a| a.get_long().is_some_and(|l| format!("--{l}") == flag)),
                "{flag}"
            );
        }
    }

    #[test]
    fn values_outside_a_field_are_refused_with_the_flag_named() {
        for bad in [
            &["--confidence", "101"][..],
            &["--baseline", "NaN"],
            &["--status", "done"],
            &["--baseline", ""],
        ] {
            let e = update(bad).unwrap_err().to_string();
            assert!(e.contains(bad[0]), "{e}");
        }
        assert!(update(&["--tag", ""]).is_ok_and(|c| names(&c) == [("tags", None)]));
    }
}
