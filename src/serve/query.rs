//! The query strings of the listing, the export and the import, read into a filter (422 at
//! `["query", key]` for a value that is not one the parameter takes); other parameters are
//! ignored, as FastAPI does.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::Value;

use crate::export::{self, Column};
use crate::ops::read::Filter;
use crate::record::{Decision, Status};
use crate::rules::Rule;
use crate::serve::error::{ApiError, Invalid};

/// What a listing's or an export's query string asks for.
pub struct Query {
    pub filter: Filter,
    /// The listing: only the experiments these words find, as `xp search` finds them, best
    /// first.
    pub search: Option<String>,
    /// The listing: refuse (409) rather than leave out the records that break rules.
    pub strict: bool,
    /// The listing: at most this many experiments, after skipping `offset` of them.
    pub limit: Option<usize>,
    pub offset: usize,
    pub excel: bool,
    pub columns: Vec<Column>,
}

/// `GET /experiments`'s query: `status` (repeatable), `decision` (`null` for the undecided),
/// `tag`, `owner`, `q`, `strict`, `limit`, `offset`.
pub struct ListQuery(pub Query);

/// `GET /experiments/export.csv`'s query: the listing's filters (not `q`), and `excel` and
/// `columns`.
pub struct ExportQuery(pub Query);

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<ListQuery, ApiError> {
        Ok(ListQuery(parse(parts.uri.query(), Params::List)?))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ExportQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<ExportQuery, ApiError> {
        Ok(ExportQuery(parse(parts.uri.query(), Params::Export)?))
    }
}

/// `POST /experiments/import`'s query: `dry_run`, to be told what would be created and write
/// nothing.
pub struct ImportQuery {
    pub dry_run: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for ImportQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<ImportQuery, ApiError> {
        let dry_run = flag(parts.uri.query(), "dry_run")?;
        Ok(ImportQuery { dry_run })
    }
}

/// A boolean parameter, false when absent, read as FastAPI reads one (`true`, `1`, `yes`,
/// `on` and their opposites; the last when given twice); any other value is refused (422 at
/// `["query", name]`).
pub fn flag(query: Option<&str>, name: &str) -> Result<bool, ApiError> {
    let Some(value) = last(query, name) else {
        return Ok(false);
    };
    Ok(boolean(&value).ok_or_else(|| {
        vec![Invalid::new(
            "bool_parsing",
            &["query", name],
            format!("{name} must be true or false"),
            Value::from(value.as_str()),
        )]
    })?)
}

/// The value a query string gives `name`, decoded: the last when it is given more than once, as
/// FastAPI reads a parameter that takes one value.
pub fn last(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').rev().find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(key) == name).then(|| decode(value))
    })
}

fn names<const N: usize>(list: [&str; N]) -> String {
    list.join(", ")
}

/// Which route's parameters a query string is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Params {
    List,
    Export,
}

/// A boolean as FastAPI reads one.
fn boolean(value: &str) -> Option<bool> {
    match value {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A count as FastAPI reads an integer that must not be negative: the kind and the message
/// of a value that is not one.
/// A count past `usize` is as good as unlimited.
fn count(value: &str) -> Result<usize, (&'static str, &'static str)> {
    let value = value.trim();
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    let (negative, magnitude) = match value.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    if !digits(magnitude) {
        return Err(("int_parsing", "must be a whole number"));
    }
    if negative && magnitude.bytes().any(|b| b != b'0') {
        return Err(("greater_than_equal", "must be 0 or more"));
    }
    Ok(magnitude.parse().unwrap_or(usize::MAX))
}

/// Reads `status` (repeatable), `decision`, `tag`, `owner`; for the listing `q`, `strict`,
/// `limit` and `offset`, for the export `excel` and `columns`. A blank `owner` or `q` filters nothing, as the
/// board's form sends them; a `q` without a word to search for finds nothing.
fn parse(raw: Option<&str>, params: Params) -> Result<Query, Vec<Invalid>> {
    let export_params = params == Params::Export;
    let mut q = Query {
        filter: Filter::default(),
        search: None,
        strict: false,
        limit: None,
        offset: 0,
        excel: false,
        columns: Column::defaults(),
    };
    let mut bad = Vec::new();
    let pairs: Vec<(String, String)> = raw
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect();
    // A parameter that takes one value is read from its last occurrence only; `status` from
    // every one.
    let read: Vec<bool> = {
        let last: HashMap<&str, usize> = pairs
            .iter()
            .enumerate()
            .map(|(i, (key, _))| (key.as_str(), i))
            .collect();
        (pairs.iter().enumerate())
            .map(|(i, (key, _))| key == "status" || last.get(key.as_str()) == Some(&i))
            .collect()
    };
    for ((key, value), _) in pairs.into_iter().zip(read).filter(|(_, read)| *read) {
        let input = Value::from(value.as_str());
        let at = |kind: &str, msg: String| Invalid::new(kind, &["query", &key], msg, input.clone());
        match key.as_str() {
            "status" => match Status::parse(&value) {
                Some(s) => q.filter.statuses.push(s),
                None => bad.push(at(
                    Rule::BadStatus.name(),
                    format!(
                        "status must be one of {}",
                        names(Status::ALL.map(Status::as_str))
                    ),
                )),
            },
            "decision" if value == "null" => q.filter.decision = Some(None),
            "decision" => match Decision::parse(&value) {
                Some(d) => q.filter.decision = Some(Some(d)),
                None => bad.push(at(
                    Rule::BadDecision.name(),
                    format!(
                        "decision must be one of {}, or null for the undecided",
                        names(Decision::ALL.map(Decision::as_str))
                    ),
                )),
            },
            "tag" => q.filter.tag = Some(value),
            "owner" if value.trim().is_empty() => {}
            "owner" => q.filter.owner = Some(value),
            "q" if params == Params::List && value.trim().is_empty() => {}
            "q" if params == Params::List => q.search = Some(value),
            "strict" if params == Params::List => match boolean(&value) {
                Some(b) => q.strict = b,
                None => bad.push(at("bool_parsing", "strict must be true or false".into())),
            },
            "limit" if params == Params::List => match count(&value) {
                Ok(n) => q.limit = Some(n),
                Err((kind, msg)) => bad.push(at(kind, format!("limit {msg}"))),
            },
            "offset" if params == Params::List => match count(&value) {
                Ok(n) => q.offset = n,
                Err((kind, msg)) => bad.push(at(kind, format!("offset {msg}"))),
            },
            "excel" if export_params => match boolean(&value) {
                Some(b) => q.excel = b,
                None => bad.push(at("bool_parsing", "excel must be true or false".into())),
            },
            "columns" if export_params => match export::parse_columns(&value) {
                Ok(columns) => q.columns = columns,
                Err(e) => bad.push(at("value_error", e)),
            },
            _ => {}
        }
    }
    if bad.is_empty() { Ok(q) } else { Err(bad) }
}

/// Percent-decoding of one query component (`+` is a space); invalid UTF-8 is replaced.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_parameter_given_twice_counts_its_last_value() {
        assert_eq!(
            last(Some("a=1&sync=0&sync=1"), "sync").as_deref(),
            Some("1")
        );
        assert_eq!(last(Some("sync=1&sync=0"), "sync").as_deref(), Some("0"));
        assert_eq!(last(Some("s%79nc=a+b%21"), "sync").as_deref(), Some("a b!"));
        assert_eq!(last(Some("sync"), "sync").as_deref(), Some(""));
        assert_eq!(last(Some("synced=1&async=1"), "sync"), None);
        assert_eq!(last(None, "sync"), None);
    }

    #[test]
    fn only_the_last_of_a_repeated_parameter_is_read_but_every_status() {
        let q = parse(
            Some("strict=ture&strict=true&limit=-1&limit=2&q=a&q=b"),
            Params::List,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(q.strict);
        assert_eq!((q.limit, q.search.as_deref()), (Some(2), Some("b")));
        let q = parse(Some("status=draft&status=killed"), Params::List)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(q.filter.statuses, [Status::Draft, Status::Killed]);
        let bad = parse(
            Some("strict=true&strict=ture&status=nope&status=draft"),
            Params::List,
        )
        .err()
        .unwrap_or_default();
        let places: Vec<_> = bad.iter().map(|i| i.loc.clone()).collect();
        assert_eq!(
            places,
            [
                vec![Value::from("query"), Value::from("strict")],
                vec![Value::from("query"), Value::from("status")]
            ]
        );
    }

    #[test]
    fn a_flag_is_a_boolean_or_refused_where_it_is() {
        assert!(!flag(None, "sync").unwrap());
        assert!(!flag(Some("other=1"), "sync").unwrap());
        assert!(flag(Some("sync=yes"), "sync").unwrap());
        assert!(flag(Some("sync=0&sync=true"), "sync").unwrap());
        assert!(!flag(Some("sync=1&sync=off"), "sync").unwrap());
        let Err(ApiError::Invalid(refused)) = flag(Some("sync=ture"), "sync") else {
            panic!("`ture` taken as a boolean");
        };
        let refused = serde_json::to_value(&refused).unwrap();
        assert_eq!(
            refused,
            serde_json::json!([{"type": "bool_parsing", "loc": ["query", "sync"],
                "msg": "sync must be true or false", "input": "ture"}])
        );
    }

    #[test]
    fn query_strings_are_decoded_and_repeated_statuses_kept() {
        assert_eq!(decode("a%20b+c%zz%4"), "a b c%zz%4");
        assert_eq!(decode("%2B%ff"), "+\u{fffd}");
        let q = parse(
            Some("status=running&status=draft&tag=a%2Fb&other=1"),
            Params::List,
        )
        .unwrap_or_else(|_| panic!("a good query"));
        assert_eq!(q.filter.statuses, [Status::Running, Status::Draft]);
        assert_eq!(q.filter.tag.as_deref(), Some("a/b"));
        assert!(
            parse(Some("excel=true"), Params::List).is_ok(),
            "ignored outside export"
        );
        assert!(parse(Some("excel=maybe"), Params::Export).is_err());
        assert!(parse(Some("strict=maybe"), Params::List).is_err());
        assert!(
            parse(Some("strict=maybe"), Params::Export).is_ok(),
            "ignored outside the listing"
        );
        assert!(
            parse(Some("status=done&decision=nope"), Params::List).is_err_and(|bad| bad.len() == 2)
        );
        let q = parse(
            Some("decision=null&owner=Alice&q=green+button"),
            Params::List,
        )
        .unwrap_or_else(|_| panic!("a good query"));
        assert_eq!(q.filter.decision, Some(None));
        assert_eq!(q.filter.owner.as_deref(), Some("Alice"));
        assert_eq!(q.search.as_deref(), Some("green button"));
        let blank =
            parse(Some("owner=&q=+"), Params::List).unwrap_or_else(|_| panic!("a good query"));
        assert!(blank.filter.owner.is_none() && blank.search.is_none());
        assert!(
            parse(Some("q=%21%21"), Params::Export).is_ok_and(|q| q.search.is_none()),
            "ignored by the export"
        );
        let page = parse(Some("limit=2&offset=%2B3"), Params::List)
            .unwrap_or_else(|_| panic!("a good query"));
        assert_eq!((page.limit, page.offset), (Some(2), 3));
        let huge = parse(Some("limit=99999999999999999999999"), Params::List)
            .unwrap_or_else(|_| panic!("a good query"));
        assert_eq!(huge.limit, Some(usize::MAX));
        let none = parse(None, Params::List).unwrap_or_else(|_| panic!("a good query"));
        assert_eq!((none.limit, none.offset), (None, 0));
        // The limit, and the last offset (the one read).
        assert!(
            parse(Some("limit=-1&offset=x&offset=1.5"), Params::List)
                .is_err_and(|bad| bad.len() == 2)
        );
        assert!(
            parse(Some("limit=x"), Params::Export).is_ok(),
            "ignored outside the listing"
        );
    }
}
