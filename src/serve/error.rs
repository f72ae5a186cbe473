//! The one error of the HTTP front-end, answered in FastAPI's shapes: `{"detail": ...}` with
//! the status of its kind, a 422's list of problems, a 409's hint, candidates or problems, a
//! 405's `Allow`. An operation's error stays data until it is answered: [`ApiError::from`]
//! keeps it, [`ApiError::about`] says which request body it came from.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{Error, Input, Kind, Refusal};
use crate::git::GitError;
use crate::record::FIELDS;
use crate::record::lifecycle::Breach;

/// One entry of a 422's `detail`, in FastAPI's shape.
#[derive(Debug, Clone, Serialize)]
pub struct Invalid {
    #[serde(rename = "type")]
    pub kind: String,
    pub loc: Vec<Value>,
    pub msg: String,
    pub input: Value,
}

impl Invalid {
    pub fn new(kind: &str, loc: &[&str], msg: impl Into<String>, input: Value) -> Invalid {
        Invalid {
            kind: kind.to_owned(),
            loc: loc.iter().map(|s| Value::from(*s)).collect(),
            msg: msg.into(),
            input,
        }
    }

    /// A problem with the body's key `field`, whose value was `input`.
    pub fn body(kind: &str, field: &str, msg: impl Into<String>, input: &Value) -> Invalid {
        Invalid::new(kind, &["body", field], msg, input.clone())
    }
}

/// What the request gave the operation that failed, to point its errors at.
#[derive(Debug, Clone, Default)]
pub enum Blame {
    /// A read: problems are in files on disk, not in the request.
    #[default]
    Read,
    /// A change of a record, from this body.
    Change(Map<String, Value>),
    /// A create: problems point into this payload.
    Payload(Map<String, Value>),
}

/// Every way a request fails.
#[derive(Debug)]
pub enum ApiError {
    /// An operation failed; answered by what kind of failure it is.
    Failed { error: Error, blame: Blame },
    /// 422: every problem with the request at once.
    Invalid(Vec<Invalid>),
    /// `{"detail": ...}` with a status of its own (400, 404, 413, 415, 500).
    Detail(StatusCode, String),
    /// 401: the token is missing or wrong.
    Unauthorized,
    /// 405, with the methods the path takes (`None`: the router says them).
    NotAllowed {
        detail: String,
        allow: Option<String>,
    },
    /// A body of its own (a sync's conflict or state), with its status.
    Body(StatusCode, Value),
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        ApiError::Failed {
            error,
            blame: Blame::Read,
        }
    }
}

impl From<Vec<Invalid>> for ApiError {
    fn from(list: Vec<Invalid>) -> ApiError {
        ApiError::Invalid(list)
    }
}

impl ApiError {
    /// `{"detail": "Not Found"}` and the like.
    pub fn detail(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError::Detail(status, detail.into())
    }

    /// An operation's error, pointed at what the request gave it.
    pub fn about(self, blame: Blame) -> ApiError {
        match self {
            ApiError::Failed { error, .. } => ApiError::Failed { error, blame },
            other => other,
        }
    }

    /// The error with the paths it names shown relative to `root`, the repository's work
    /// tree: an answer never says where the server's files are.
    pub fn relative_to(self, root: &Path) -> ApiError {
        let shown = |path: PathBuf| match path.strip_prefix(root) {
            Ok(rel) => rel.to_owned(),
            Err(_) if path.is_absolute() => path.file_name().map_or(path.clone(), PathBuf::from),
            Err(_) => path,
        };
        let ApiError::Failed { error, blame } = self else {
            return self;
        };
        let error = match error {
            Error::Git(GitError::Locked { path }) => {
                Error::Git(GitError::Locked { path: shown(path) })
            }
            Error::Git(GitError::Io { path, source }) => Error::Git(GitError::Io {
                path: shown(path),
                source,
            }),
            Error::Git(GitError::Bare { path }) => Error::Git(GitError::Bare { path: shown(path) }),
            Error::Git(GitError::InGitDir { path }) => {
                Error::Git(GitError::InGitDir { path: shown(path) })
            }
            Error::Io { path, source } => Error::Io {
                path: shown(path),
                source,
            },
            other => other,
        };
        ApiError::Failed { error, blame }
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.answer().0
    }

    /// What went wrong in words, for a page.
    pub fn message(&self) -> String {
        match self {
            ApiError::Failed { error, .. } => error.to_string(),
            ApiError::Invalid(list) => {
                let said: Vec<&str> = list.iter().map(|i| i.msg.as_str()).collect();
                said.join("; ")
            }
            other => match other.answer().1.get("detail") {
                Some(Value::String(s)) => s.clone(),
                _ => other.status().to_string(),
            },
        }
    }

    /// The status and the JSON body.
    fn answer(&self) -> (StatusCode, Value) {
        match self {
            ApiError::Failed { error, blame } => failed(error, blame),
            ApiError::Invalid(list) => unprocessable(list),
            ApiError::Detail(status, detail) => (*status, json!({ "detail": detail })),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                json!({ "detail": "Not authenticated: send `Authorization: Bearer <token>`" }),
            ),
            ApiError::NotAllowed { detail, .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, json!({ "detail": detail }))
            }
            ApiError::Body(status, body) => (*status, body.clone()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = self.answer();
        let mut res = (status, axum::Json(body)).into_response();
        let headers = res.headers_mut();
        match &self {
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::NotAllowed {
                allow: Some(allow), ..
            } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    headers.insert(header::ALLOW, value);
                }
            }
            _ => {}
        }
        res
    }
}

fn unprocessable(list: &[Invalid]) -> (StatusCode, Value) {
    (StatusCode::UNPROCESSABLE_ENTITY, json!({ "detail": list }))
}

/// `{"detail": message, "hint": hint}`.
fn explained(status: StatusCode, message: String, hint: Option<String>) -> (StatusCode, Value) {
    (status, json!({ "detail": message, "hint": hint }))
}

/// An operation's error, FastAPI's way: what the request got wrong is a 422 at its body key,
/// a record on disk that breaks rules or a refused change a 409, git's state a 503.
fn failed(e: &Error, blame: &Blame) -> (StatusCode, Value) {
    let body = match blame {
        Blame::Payload(body) | Blame::Change(body) => Some(body),
        Blame::Read => None,
    };
    let input = |field: &str| {
        body.and_then(|b| b.get(field))
            .cloned()
            .unwrap_or(Value::Null)
    };
    match e {
        Error::Problems { problems, .. } if !matches!(blame, Blame::Payload(_)) => (
            StatusCode::CONFLICT,
            json!({ "detail": e.to_string(), "hint": e.hint(), "problems": problems }),
        ),
        Error::Problems { problems, .. } | Error::WouldBreak { problems } => {
            let list: Vec<Invalid> = problems
                .iter()
                .map(|p| {
                    let mut loc = vec![Value::from("body")];
                    loc.extend(p.field.iter().map(|f| Value::from(f.as_str())));
                    let mut value = p.field.as_deref().map_or(Value::Null, input);
                    if let Some(item) = p.item {
                        loc.push(Value::from(item));
                        value = value.get(item).cloned().unwrap_or(Value::Null);
                    }
                    Invalid {
                        kind: p.rule.name().to_owned(),
                        loc,
                        msg: p.message.clone(),
                        input: value,
                    }
                })
                .collect();
            unprocessable(&list)
        }
        Error::Refused(list) => refused(list, body),
        Error::Usage { message } => unprocessable(&[Invalid::new(
            "value_error",
            &["body"],
            message.clone(),
            body.map_or(Value::Null, |b| Value::Object(b.clone())),
        )]),
        Error::NotFound { .. } => (StatusCode::NOT_FOUND, json!({ "detail": e.to_string() })),
        Error::Ambiguous { candidates, .. } => (
            StatusCode::CONFLICT,
            json!({ "detail": e.to_string(), "candidates": candidates }),
        ),
        Error::Failed { message, hint } => {
            explained(StatusCode::CONFLICT, message.clone(), hint.clone())
        }
        _ => {
            let status = match e.kind() {
                Kind::Busy => StatusCode::CONFLICT,
                Kind::GitState => StatusCode::SERVICE_UNAVAILABLE,
                Kind::BadInput | Kind::Rules | Kind::NotFound | Kind::Ambiguous => {
                    StatusCode::CONFLICT
                }
                Kind::Failed => StatusCode::INTERNAL_SERVER_ERROR,
            };
            explained(status, e.to_string(), e.hint())
        }
    }
}

/// A refused change, in HTTP's words: what the input lacks is a 422 at its body key, what the
/// rules refuse a 409 that says which key would allow it.
fn refused(list: &[Refusal], body: Option<&Map<String, Value>>) -> (StatusCode, Value) {
    let key = |input: Input| match input {
        Input::Note => "note",
        Input::Amend => "amend",
        Input::Force => "force",
    };
    let plan: Vec<&str> = FIELDS.iter().filter(|f| f.plan).map(|f| f.name).collect();
    let input_problems: Vec<Invalid> = list
        .iter()
        .filter(|r| r.about_input())
        .map(|r| {
            let field = match r {
                Refusal::StartsAs(_) => "status",
                other => other.input().map_or("body", key),
            };
            let msg = match r {
                Refusal::Breaks(Breach::KillWithoutReason) => {
                    "killing an experiment needs the reason: say why in `note`".to_owned()
                }
                Refusal::Blank(Input::Note) => "`note` is blank; say what happened".to_owned(),
                Refusal::Blank(Input::Amend) => {
                    "`amend` is blank; say why the plan changes".to_owned()
                }
                Refusal::AmendWithoutPlanChange => format!(
                    "`amend` is for a change to the plan ({}), and none is given",
                    plan.join(", ")
                ),
                other => Error::Refused(vec![other.clone()]).to_string(),
            };
            let input = body
                .and_then(|b| b.get(field))
                .cloned()
                .unwrap_or(Value::Null);
            Invalid::new("value_error", &["body", field], msg, input)
        })
        .collect();
    if !input_problems.is_empty() {
        return unprocessable(&input_problems);
    }
    if let Some(Refusal::Stale { .. }) = list.first() {
        return explained(
            StatusCode::PRECONDITION_FAILED,
            Error::Refused(list.to_vec()).to_string(),
            Some(
                "nothing was written; read the experiment again (its ETag is the version), \
                 then send the change you still want with that ETag in If-Match"
                    .into(),
            ),
        );
    }
    let hint = list.first().map(|r| match r {
        Refusal::Breaks(Breach::Move { from, .. }) => {
            let next: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
            if next.is_empty() {
                format!(
                    "{} is the last status; send \"force\": true to move it anyway",
                    from.as_str()
                )
            } else {
                format!(
                    "from {} it can move to {}; send \"force\": true to move anyway",
                    from.as_str(),
                    next.join(" or ")
                )
            }
        }
        Refusal::Breaks(Breach::PlanChanged { .. }) => {
            "send `amend` with the reason; the change and the reason are logged".to_owned()
        }
        Refusal::NothingToChange => "send a field to change, or a `note`".to_owned(),
        Refusal::Uncommitted {
            path, new: true, ..
        } => format!(
            "nothing was written; in the server's clone, commit the file (`git add {path} && \
             git commit`) or move it away, then send the request again"
        ),
        Refusal::Uncommitted { path, .. } => format!(
            "nothing was written; in the server's clone, commit the edit (`git commit {path}`) \
             or discard it (`git restore --staged --worktree {path}`), then send the request \
             again"
        ),
        _ => "nothing was written".to_owned(),
    });
    explained(
        StatusCode::CONFLICT,
        Error::Refused(list.to_vec()).to_string(),
        hint,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(e: Error) -> u16 {
        ApiError::from(e).status().as_u16()
    }

    #[test]
    fn each_kind_of_error_answers_fastapis_status() {
        assert_eq!(
            status(Error::Busy {
                message: "busy".into()
            }),
            409
        );
        assert_eq!(status(Error::Git(GitError::Busy)), 409);
        assert_eq!(status(Error::Git(GitError::Contended)), 409);
        assert_eq!(
            status(Error::Git(GitError::InProgress { operation: "merge" })),
            503
        );
        assert_eq!(
            status(Error::Git(GitError::Locked {
                path: "index.lock".into()
            })),
            503
        );
        assert_eq!(
            status(Error::NotFound {
                reference: "x".into(),
                candidates: Vec::new()
            }),
            404
        );
        assert_eq!(
            status(Error::Ambiguous {
                reference: "abcd".into(),
                candidates: Vec::new()
            }),
            409
        );
        assert_eq!(status(Error::failed("refused", "do this")), 409);
        assert_eq!(status(Error::usage("blank")), 422);
        assert_eq!(
            status(Error::WouldBreak {
                problems: Vec::new()
            }),
            422
        );
        assert_eq!(status(Error::io("x", std::io::Error::other("disk"))), 500);
    }

    #[test]
    fn paths_in_answers_are_relative_to_the_repository() {
        let root = Path::new("/srv/team/repo");
        let locked = ApiError::from(Error::Git(GitError::Locked {
            path: root.join(".git/index.lock"),
        }))
        .relative_to(root);
        assert_eq!(
            locked.message(),
            ".git/index.lock exists: another git process is running"
        );
        let elsewhere = ApiError::from(Error::io(
            "/elsewhere/x/index.lock",
            std::io::Error::other("disk"),
        ))
        .relative_to(root);
        assert_eq!(elsewhere.message(), "index.lock: disk");
    }
}
