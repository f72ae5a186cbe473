//! The listing's answer kept between requests: every record's JSON row is serialized once per
//! change of the record files, with the whole list's body and its ETag, so that a repeated
//! `GET /experiments` costs a `stat` per file and a copy of bytes already made, and nothing
//! more when the client already has them (304 on `If-None-Match`).
//!
//! The rows are kept under the stamps of every record file taken before they were read, and
//! answer only a request that finds the same stamps; while a file changed too recently for its
//! stamp to be trusted, nothing is kept.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha1::{Digest, Sha1};

use crate::error::Error;
use crate::learn::search;
use crate::ops::read::Filter;
use crate::ops::workspace::Workspace;
use crate::record::{LogRef, Record, WithLog};
use crate::serve::cache::{Cache, Kept, Stamps};

/// The rows of the last listing read, while its files are unchanged, with the watch's version
/// they were read at (when the watch holds).
#[derive(Default)]
pub struct Rows {
    kept: Mutex<Option<(Arc<Generation>, Option<u64>)>>,
}

impl Rows {
    /// The rows of the record files as they are now: the kept ones when no file changed, else
    /// read again (through the file cache, which parses only the files that changed). With
    /// `watched` (the watch's version, taken before anything is read), no file's metadata is
    /// read to know that none changed.
    pub fn current(
        &self,
        ws: &Workspace,
        cache: &Cache,
        watched: Option<u64>,
    ) -> Result<Arc<Generation>, Error> {
        if let Some(version) = watched
            && let Ok(kept) = self.kept.lock()
            && let Some((generation, Some(at))) = kept.as_ref()
            && *at == version
        {
            return Ok(Arc::clone(generation));
        }
        let stamps = match watched {
            Some(_) => None,
            None => Stamps::of(ws)?,
        };
        if let Some(stamps) = &stamps
            && let Ok(kept) = self.kept.lock()
            && let Some((generation, _)) = kept.as_ref()
            && generation.stamps.as_ref() == Some(stamps)
        {
            return Ok(Arc::clone(generation));
        }
        let generation = Arc::new(Generation::of(cache.kept(ws)?, stamps)?);
        if (watched.is_some() || generation.stamps.is_some())
            && let Ok(mut kept) = self.kept.lock()
        {
            *kept = Some((Arc::clone(&generation), watched));
        }
        Ok(generation)
    }
}

/// Every record of one version of the record files, in path order, with its JSON row.
pub struct Generation {
    /// The files' stamps before they were read; `None` when one was not settled.
    stamps: Option<Stamps>,
    /// The files whose records could be read, shared with the file cache.
    records: Vec<Arc<Kept>>,
    /// Where each record's row is in `whole`.
    rows: Vec<Range<usize>>,
    /// How many files break rules and are left out.
    pub broken: usize,
    /// The JSON list of every record, and its ETag.
    whole: Bytes,
    whole_tag: String,
}

impl Generation {
    fn of(kept: Vec<Arc<Kept>>, stamps: Option<Stamps>) -> Result<Generation, Error> {
        let broken = kept.iter().filter(|k| k.record().is_none()).count();
        let records: Vec<Arc<Kept>> = kept.into_iter().filter(|k| k.record().is_some()).collect();
        let mut whole = Vec::with_capacity(records.len() * 4096 + 2);
        let mut rows = Vec::with_capacity(records.len());
        whole.push(b'[');
        for (i, (record, log)) in records.iter().filter_map(|k| k.record()).enumerate() {
            if i > 0 {
                whole.push(b',');
            }
            let start = whole.len();
            serde_json::to_writer(&mut whole, &WithLog(record, log)).map_err(|e| {
                Error::failed(
                    format!("an experiment could not be written as JSON: {e}"),
                    "run `xp check`; the file may hold a value JSON cannot carry",
                )
            })?;
            rows.push(start..whole.len());
        }
        whole.push(b']');
        let whole_tag = tag(&whole, broken);
        Ok(Generation {
            stamps,
            records,
            rows,
            broken,
            whole: Bytes::from(whole),
            whole_tag,
        })
    }

    /// Each record with its log, in path order.
    fn records(&self) -> impl Iterator<Item = (&Record, LogRef<'_>)> {
        self.records.iter().filter_map(|k| k.record())
    }

    /// The list a query asks for: the records the filter keeps (with `search`, the ones its
    /// words find, best first), `offset` of them skipped, at most `limit`.
    pub fn answer(
        &self,
        filter: &Filter,
        search: Option<&str>,
        offset: usize,
        limit: Option<usize>,
    ) -> Answer {
        let limit = limit.unwrap_or(usize::MAX);
        let everything = search.is_none()
            && offset == 0
            && limit >= self.records.len()
            && self.records().all(|(r, _)| filter.keeps(r));
        if everything {
            return Answer {
                body: self.whole.clone(),
                etag: self.whole_tag.clone(),
                broken: self.broken,
            };
        }
        let records: Vec<(&Record, LogRef)> = self.records().collect();
        let kept: Vec<usize> = (0..records.len())
            .filter(|&i| filter.keeps(records[i].0))
            .collect();
        let picked: Vec<usize> = match search {
            Some(words) => {
                let records: Vec<(&Record, LogRef)> = kept.iter().map(|&i| records[i]).collect();
                search::search_in(&records, words, usize::MAX)
                    .into_iter()
                    .filter_map(|hit| kept.get(hit.index).copied())
                    .collect()
            }
            None => kept,
        };
        let mut body = Vec::new();
        body.push(b'[');
        for (n, &i) in picked.iter().skip(offset).take(limit).enumerate() {
            if n > 0 {
                body.push(b',');
            }
            body.extend_from_slice(&self.whole[self.rows[i].clone()]);
        }
        body.push(b']');
        Answer {
            etag: tag(&body, self.broken),
            body: Bytes::from(body),
            broken: self.broken,
        }
    }
}

/// The ETag of a listing: its body and how many files it left out.
fn tag(body: &[u8], broken: usize) -> String {
    let mut hash = Sha1::new();
    hash.update(broken.to_string().as_bytes());
    hash.update(b"\n");
    hash.update(body);
    let digest = hash.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// A listing's answer: its JSON body, its ETag, how many files it left out.
pub struct Answer {
    body: Bytes,
    etag: String,
    broken: usize,
}

impl Answer {
    /// The answer to a request with these headers: 304 without a body when its
    /// `If-None-Match` names the ETag (or is `*`), else the list.
    pub fn respond(self, request: &HeaderMap) -> Response {
        let etag = HeaderValue::from_str(&self.etag).ok();
        let mut res = if none_match(request, &self.etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut res = Response::new(Body::from(self.body));
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if self.broken > 0 {
                res.headers_mut()
                    .insert("xp-broken-files", HeaderValue::from(self.broken));
            }
            res
        };
        if let Some(etag) = etag {
            res.headers_mut().insert(header::ETAG, etag);
        }
        res
    }
}

/// Whether `If-None-Match` names this ETag (compared weakly, as the header is) or is `*`.
fn none_match(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::record::Status;

    fn generation(records: Vec<Record>) -> Generation {
        let loaded = records
            .into_iter()
            .map(|record| Arc::new(Kept::of(crate::test_support::loaded(record))))
            .collect();
        Generation::of(loaded, None).unwrap()
    }

    fn record(title: &str, status: Status) -> Record {
        Record {
            title: title.into(),
            status,
            ..crate::test_support::sample()
        }
    }

    #[test]
    fn rows_make_the_bytes_of_the_list_serialized_whole() {
        let records = vec![
            record("A \"quoted\" one", Status::Draft),
            record("B", Status::Running),
            record("C é", Status::Draft),
        ];
        let g = generation(records.clone());
        let all = g.answer(&Filter::default(), None, 0, None);
        assert_eq!(all.body, serde_json::to_vec(&records).unwrap());
        assert_eq!(all.etag, g.whole_tag);
        let drafts = Filter {
            statuses: vec![Status::Draft],
            ..Filter::default()
        };
        let kept = vec![records[0].clone(), records[2].clone()];
        let some = g.answer(&drafts, None, 0, None);
        assert_eq!(some.body, serde_json::to_vec(&kept).unwrap());
        assert_ne!(some.etag, all.etag);
        let page = g.answer(&Filter::default(), None, 1, Some(1));
        assert_eq!(page.body, serde_json::to_vec(&records[1..2]).unwrap());
        let past = g.answer(&Filter::default(), None, 5, Some(1));
        assert_eq!(&past.body[..], b"[]");
        let none = g.answer(&Filter::default(), None, 0, Some(0));
        assert_eq!(&none.body[..], b"[]");
        assert_eq!(
            generation(Vec::new())
                .answer(&Filter::default(), None, 0, None)
                .body,
            "[]"
        );
    }

    #[test]
    fn the_etag_names_the_body_and_the_files_left_out() {
        assert_eq!(tag(b"[]", 0), tag(b"[]", 0));
        assert_ne!(tag(b"[]", 0), tag(b"[]", 1));
        assert_ne!(tag(b"[1]", 0), tag(b"[2]", 0));
        assert!(tag(b"[]", 0).starts_with('"') && tag(b"[]", 0).ends_with('"'));
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_any_of_a_list() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(none_match(&with("\"a\""), "\"a\""));
        assert!(none_match(&with("W/\"a\""), "\"a\""));
        assert!(none_match(&with("\"b\", \"a\""), "\"a\""));
        assert!(none_match(&with("*"), "\"a\""));
        assert!(!none_match(&with("\"b\""), "\"a\""));
        assert!(!none_match(&with("a"), "\"a\""));
        assert!(!none_match(&HeaderMap::new(), "\"a\""));
    }
}
