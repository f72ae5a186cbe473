//! `/openapi.json`: the OpenAPI 3.1 document, built from the record's field list and the
//! table of paths below (a test holds the table against the running router).

use axum::Json;
use serde_json::{Map, Value, json};

use crate::export::Column;
use crate::record::fields;
use crate::record::schema::{self, NOT_BLANK_PATTERN, WHITE_SPACE};
use crate::record::{Decision, Status};

/// One operation of the API.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The status of a success (200, or 202 for a request taken to be done later).
    pub status: u16,
    /// The request body's schema name, for writes.
    pub body: Option<&'static str>,
    /// The answer's schema (`None`: CSV).
    pub answer: Option<Value>,
    /// The headers a success answers with, besides the content type.
    pub headers: Option<Value>,
    pub query: &'static [&'static str],
    /// Error statuses besides the guard's (400 bad host, 401 token).
    pub errors: &'static [u16],
    pub write: bool,
}

/// The reads that answer 304 to an `If-None-Match` naming their answer's ETag.
const CONDITIONAL: &[&str] = &["/experiments"];

/// Every operation, in the order the docs show them.
pub fn routes() -> Vec<Route> {
    let record = || Some(reference("Experiment"));
    let read_errors: &[u16] = &[404, 409, 422];
    let write_errors: &[u16] = &[404, 405, 409, 413, 415, 422, 503];
    vec![
        Route {
            method: "get",
            path: "/health",
            summary: "Health check",
            status: 200,
            body: None,
            answer: Some(reference("Health")),
            headers: None,
            query: &["sync"],
            errors: &[],
            write: false,
        },
        Route {
            method: "post",
            path: "/experiments",
            summary: "Create an experiment (one commit)",
            status: 200,
            body: Some("ExperimentCreate"),
            answer: record(),
            headers: written(),
            query: &[],
            errors: write_errors,
            write: true,
        },
        Route {
            method: "get",
            path: "/experiments",
            summary: "List experiments (filter by ?status=, repeatable, ?decision=, ?tag=, ?owner=, ?q=; page with ?offset= and ?limit=); files that break rules are left out and counted in the xp-broken-files header, or refuse the list with ?strict=true. The ETag names the answer: send it in If-None-Match to get 304 while nothing changed",
            status: 200,
            body: None,
            answer: Some(json!({ "type": "array", "items": reference("Experiment") })),
            headers: Some(json!({
                "xp-broken-files": { "description": "how many experiment files break rules and were left out (absent when none); strict=true refuses the list instead", "schema": { "type": "integer", "minimum": 1 } },
                "ETag": { "description": "names this answer (the list and the files left out); send it back in If-None-Match to get 304 while it is unchanged", "schema": { "type": "string" } }
            })),
            query: &[
                "status", "decision", "tag", "owner", "q", "strict", "offset", "limit",
            ],
            errors: &[409, 422],
            write: false,
        },
        Route {
            method: "get",
            path: "/experiments/export.csv",
            summary: "All experiments as CSV, the bytes of `xp export`",
            status: 200,
            body: None,
            answer: None,
            headers: None,
            query: &["status", "decision", "tag", "owner", "excel", "columns"],
            errors: &[409, 422],
            write: false,
        },
        Route {
            method: "post",
            path: "/experiments/import",
            status: 200,
            summary: "Bring in experiments with their ids and whole logs, as `xp import` does: all checked first, all or nothing (422 with every problem), an id already here left as it is, one commit each",
            body: Some("ExperimentImport"),
            answer: Some(reference("Imported")),
            headers: None,
            query: &["dry_run"],
            errors: &[405, 409, 413, 415, 422, 503],
            write: true,
        },
        Route {
            method: "get",
            path: "/experiments/{ref}",
            summary: "One experiment by id, slug or unique id prefix; its ETag is the record's version (blob id)",
            status: 200,
            body: None,
            answer: record(),
            headers: Some(json!({ "ETag": etag() })),
            query: &[],
            errors: read_errors,
            write: false,
        },
        Route {
            method: "patch",
            path: "/experiments/{ref}",
            summary: "Change fields, with the status moves of `xp update` (one commit); with If-Match, only while the record is that version (412 otherwise)",
            status: 200,
            body: Some("ExperimentUpdate"),
            answer: record(),
            headers: written(),
            query: &[],
            errors: &[404, 405, 409, 412, 413, 415, 422, 503],
            write: true,
        },
        Route {
            method: "post",
            path: "/experiments/{ref}/notes",
            summary: "Append a decision-log note; the server stamps `at` (one commit)",
            status: 200,
            body: Some("NoteIn"),
            answer: record(),
            headers: written(),
            query: &[],
            errors: write_errors,
            write: true,
        },
        Route {
            method: "get",
            path: "/experiments/{ref}/notes",
            summary: "The decision log's entries, oldest first",
            status: 200,
            body: None,
            answer: Some(json!({ "type": "array", "items": reference("LogEntry") })),
            headers: None,
            query: &[],
            errors: read_errors,
            write: false,
        },
        Route {
            method: "get",
            path: "/experiments/{ref}/log",
            summary: "The decision log beside the commits that added each entry",
            status: 200,
            body: None,
            answer: Some(json!({ "type": "array", "items": reference("LogLine") })),
            headers: None,
            query: &[],
            errors: read_errors,
            write: false,
        },
        Route {
            method: "get",
            path: "/experiments/{ref}/similar",
            summary: "Up to three existing experiments most like this one (was this tried before?)",
            status: 200,
            body: None,
            answer: Some(json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "score": { "type": "number", "description": "how alike, 0 to 1" },
                        "experiment": reference("Experiment"),
                    },
                    "required": ["score", "experiment"],
                    "additionalProperties": false,
                },
            })),
            headers: None,
            query: &[],
            errors: read_errors,
            write: false,
        },
        Route {
            method: "get",
            path: "/sync",
            summary: "Where a team server (`xp serve --sync`) stands with its remote; 404 on a server that does not sync",
            status: 200,
            body: None,
            answer: Some(reference("SyncStatus")),
            headers: None,
            query: &[],
            errors: &[404],
            write: false,
        },
        Route {
            method: "post",
            path: "/sync",
            summary: "Ask for a round with the remote now (for a forge webhook or CI); answers 202 at once with the status so far",
            status: 202,
            body: None,
            answer: Some(reference("SyncStatus")),
            headers: None,
            query: &[],
            errors: &[404],
            write: true,
        },
        Route {
            method: "get",
            path: "/openapi.json",
            summary: "This document",
            status: 200,
            body: None,
            answer: Some(json!({ "type": "object" })),
            headers: None,
            query: &[],
            errors: &[],
            write: false,
        },
    ]
}

/// The `ETag` header: a record's version.
fn etag() -> Value {
    json!({ "description": "the record's version (its git blob id), quoted; send it back in If-Match to change only that version", "schema": { "type": "string" } })
}

/// The headers of a write's answer.
fn written() -> Option<Value> {
    Some(json!({
        "ETag": etag(),
        "xp-commit": { "description": "the short hash of the commit made (absent when nothing was committed)", "schema": { "type": "string" } },
        "xp-sync": { "description": "on a team server (`xp serve --sync`): whether the remote has the commit (`pushed`), or it waits here to be pushed (`pending`)", "schema": { "type": "string", "enum": ["pushed", "pending"] } },
    }))
}

/// The name an operation is known by: `get_experiments__ref_`.
fn operation_id(route: &Route) -> String {
    format!(
        "{}_{}",
        route.method,
        route
            .path
            .trim_matches('/')
            .replace(['/', '{', '}', '.'], "_")
    )
}

/// The links from a write's answer (an experiment) to every operation on that experiment, by
/// its id: a client follows them from what it just wrote.
fn links(routes: &[Route]) -> Value {
    let links: Map<String, Value> = routes
        .iter()
        .filter(|r| r.path.contains("{ref}"))
        .map(|r| {
            let id = operation_id(r);
            let link = json!({
                "operationId": id,
                "parameters": { "ref": "$response.body#/id" },
                "description": format!("{} {} of the experiment answered", r.method.to_uppercase(), r.path),
            });
            (id, link)
        })
        .collect();
    Value::Object(links)
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// One field of the record, as the schemas describe it.
struct Field {
    name: &'static str,
    schema: Value,
    required: bool,
}

/// The record's keys with their JSON Schemas, from the one field table.
fn fields() -> Vec<Field> {
    let id = Field {
        name: fields::ID,
        schema: json!({ "type": "string", "format": "uuid", "description": "UUID v4, assigned on create, never changes" }),
        required: true,
    };
    let log = Field {
        name: fields::DECISION_LOG,
        schema: json!({ "type": "array", "items": reference("LogEntry"), "description": "append-only: add to it with POST /experiments/{ref}/notes" }),
        required: false,
    };
    // Each field as `xp schema` describes it: its type, its values, and the constraints the
    // rules hold it to (a title of 1 to 200 characters, no blank hypothesis or metric).
    let table = fields::FIELDS.iter().map(|f| Field {
        name: f.name,
        schema: schema::field_schema(f),
        required: f.required,
    });
    std::iter::once(id)
        .chain(table)
        .chain(std::iter::once(log))
        .collect()
}

/// An object schema of the given properties.
fn object(properties: Vec<(&str, Value)>, required: Vec<&str>, description: &str) -> Value {
    let props: Map<String, Value> = properties
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    json!({
        "type": "object",
        "description": description,
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

fn schemas() -> Value {
    let fields = fields();
    let answered = [
        "status",
        "confidence",
        "decision",
        "learning",
        "decision_log",
    ];
    let mut shown: Vec<(&str, Value)> = fields.iter().map(|f| (f.name, f.schema.clone())).collect();
    // Derived from `observed`, answered beside it, never written.
    for derived in crate::record::DERIVED {
        shown.push((
            derived.name,
            json!({ "type": [derived.kind, "null"], "readOnly": true, "description": derived.description }),
        ));
    }
    let experiment = object(
        shown,
        fields
            .iter()
            .filter(|f| f.required || answered.contains(&f.name))
            .map(|f| f.name)
            .collect(),
        "An experiment record, as stored in experiments/<slug>.yaml",
    );
    // A new experiment starts as draft or running, with an empty log.
    let starts = |f: &Field| match f.name {
        "status" => {
            let mut schema = f.schema.clone();
            schema["enum"] = json!(["draft", "running"]);
            schema
        }
        fields::DECISION_LOG => {
            json!({ "type": "array", "maxItems": 0, "description": "a new experiment's log starts empty" })
        }
        _ => f.schema.clone(),
    };
    let create = object(
        fields
            .iter()
            .filter(|f| f.name != "id")
            .map(|f| (f.name, starts(f)))
            .collect(),
        fields
            .iter()
            .filter(|f| f.required && f.name != "id")
            .map(|f| f.name)
            .collect(),
        "The origin service's payload; unknown keys are refused",
    );
    // An import keeps what the experiment had: any status, its log, its id (or one made).
    let mut kept = experiment.clone();
    kept["required"] = json!(
        fields
            .iter()
            .filter(|f| f.required && f.name != "id")
            .map(|f| f.name)
            .collect::<Vec<_>>()
    );
    kept["description"] = json!(
        "An experiment as GET /experiments answers it; without `id`, one is made from its keys and values"
    );
    let import = json!({
        "description": "The experiments to bring in, in order (or one experiment); the derived keys are left out",
        "oneOf": [
            { "type": "array", "items": reference("ExperimentIn") },
            reference("ExperimentIn"),
        ],
    });
    let item = |extra: (&'static str, Value), description: &str| {
        let name = extra.0;
        object(
            vec![
                (
                    "item",
                    json!({ "type": "integer", "minimum": 0, "description": "its index in the body" }),
                ),
                ("id", json!({ "type": "string", "format": "uuid" })),
                (
                    "path",
                    json!({ "type": "string", "description": "its file, from the repository's root" }),
                ),
                extra,
            ],
            vec!["item", "id", "path", name],
            description,
        )
    };
    let imported = object(
        vec![
            (
                "created",
                json!({ "type": "array", "items": item(("commit", json!({ "type": ["string", "null"], "description": "its commit's short hash; null outside git" })), "An experiment created") }),
            ),
            (
                "present",
                json!({ "type": "array", "items": item(("same", json!({ "type": "boolean", "description": "whether its file holds exactly what the body sent" })), "An item whose id an experiment here already has: left as it is") }),
            ),
        ],
        vec!["created", "present"],
        "What the import did",
    );
    let mut changes: Vec<(&str, Value)> = fields
        .iter()
        .filter(|f| !matches!(f.name, "id" | "decision_log"))
        .map(|f| (f.name, f.schema.clone()))
        .collect();
    changes.push(("note", json!({ "type": "string", "pattern": NOT_BLANK_PATTERN, "description": "a note for the decision log (required when killing); not blank" })));
    changes.push((
        "force",
        json!({ "type": "boolean", "description": "allow any status move" }),
    ));
    changes.push(("amend", json!({ "type": "string", "pattern": NOT_BLANK_PATTERN, "description": "why the plan (hypothesis, metric, baseline, target, direction) changes once the experiment ran; logged; not blank" })));
    changes.push((
        "who",
        json!({ "type": ["string", "null"], "description": "who the log entry names" }),
    ));
    let mut update = object(
        changes,
        Vec::new(),
        "Fields to change; absent ones stay as they are",
    );
    // `amend` is the reason for a change of the plan: it comes with a field of the plan.
    let plan: Vec<Value> = fields::FIELDS
        .iter()
        .filter(|f| f.plan)
        .map(|f| json!({ "required": [f.name] }))
        .collect();
    update["dependentSchemas"] = json!({ "amend": { "anyOf": plan } });
    let who = json!({ "type": ["string", "null"] });
    json!({
        "Experiment": experiment,
        "ExperimentCreate": create,
        "ExperimentUpdate": update,
        "ExperimentIn": kept,
        "ExperimentImport": import,
        "Imported": imported,
        "NoteIn": object(vec![("note", json!({ "type": "string", "pattern": NOT_BLANK_PATTERN, "description": "what happened or was decided; not blank" })), ("who", who.clone())], vec!["note"], "A note; `at` is stamped by the server"),
        "LogEntry": object(vec![("at", json!({ "type": "string", "format": "date-time" })), ("who", who.clone()), ("note", json!({ "type": "string" }))], vec!["at", "who", "note"], "One decision-log entry"),
        "LogLine": {
            "type": "object",
            "description": "A log entry beside the commit that added it",
            "properties": {
                "at": { "type": "string", "format": "date-time" },
                "who": who,
                "note": { "type": "string" },
                "commit": {
                    "anyOf": [
                        object(vec![("id", json!({ "type": "string" })), ("short", json!({ "type": "string" })), ("author", json!({ "type": "string" })), ("date", json!({ "type": "string", "format": "date" }))], vec!["id", "short", "author", "date"], "A commit"),
                        { "type": "null" }
                    ]
                }
            },
            "required": ["at", "who", "note", "commit"]
        },
        "Health": object(vec![("status", json!({ "const": "ok" })), ("merge_driver", json!({ "type": ["boolean", "null"], "description": "this clone merges experiment files with xp's merge driver (`xp init` registers it); null outside git" })), ("branch", json!({ "type": ["string", "null"], "description": "the branch writes are committed to; null on a detached HEAD (writes are refused with 503) and outside git" })), ("sync", json!({ "type": ["object", "null"], "description": "with ?sync=1: `branch`, `head`, `upstream`, `ahead` and `behind` as of the last fetch, and on a team server `state` and `last_fetch` (null outside git)" }))], vec!["status", "merge_driver", "branch"], "Health"),
        "SyncStatus": {
            "type": "object",
            "description": "Where a team server stands with its remote",
            "properties": {
                "remote": { "type": "string" },
                "branch": { "type": "string", "description": "the local branch" },
                "push": { "type": "string", "description": "the remote branch pushed to" },
                "state": { "type": "string", "enum": ["ok", "fetching", "pushing", "offline", "auth-failed", "push-refused", "diverged-history", "needs-attention"] },
                "last_fetch": { "type": ["string", "null"], "format": "date-time" },
                "last_push": { "type": ["string", "null"], "format": "date-time" },
                "last_error": { "type": ["string", "null"], "description": "what went wrong last, in the remote's or git's words" },
                "hint": { "type": ["string", "null"], "description": "what to do about it" },
                "ahead": { "type": "integer", "minimum": 0, "description": "commits here the remote lacks (pending)" },
                "behind": { "type": "integer", "minimum": 0 },
                "parked": { "type": "array", "description": "changes kept aside under refs/xp/parked/ because the remote contradicts them; `xp sync --resolve` re-applies one", "items": { "type": "object" } },
                "rounds": { "type": "integer", "minimum": 0 }
            },
            "required": ["remote", "branch", "push", "state", "ahead", "behind", "parked"]
        },
        "Error": {
            "type": "object",
            "properties": {
                "detail": { "type": "string" },
                "hint": { "type": ["string", "null"] },
                "candidates": { "type": "array", "items": { "type": "object" } },
                "problems": { "type": "array", "items": { "type": "object" } }
            },
            "required": ["detail"]
        },
        "ValidationError": {
            "type": "object",
            "properties": {
                "type": { "type": "string", "description": "the rule broken, e.g. target-vs-baseline, or json_invalid" },
                "loc": { "type": "array", "items": { "type": ["string", "integer"] } },
                "msg": { "type": "string" },
                "input": {}
            },
            "required": ["type", "loc", "msg", "input"]
        },
        "HTTPValidationError": {
            "type": "object",
            "properties": { "detail": { "type": "array", "items": reference("ValidationError") } },
            "required": ["detail"]
        }
    })
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => "The Host header names another site",
        401 => "The token is missing or wrong",
        404 => "No experiment matches the reference",
        405 => "Method not allowed (a write on a --read-only server)",
        409 => {
            "An ambiguous reference, a busy repository, a refused status move, a record on disk that breaks rules, or on a team server a change the remote contradicts (with `conflicts`: each field, your value and the remote's)"
        }
        412 => "The record changed since the version named in If-Match; nothing was written",
        413 => "The body is too large: over 1 MiB (64 MiB for an import)",
        415 => "The body is not application/json",
        422 => "Every broken rule at once",
        503 => {
            "Git's state forbids writes (a merge in progress, a foreign index.lock, a detached HEAD, or on a team server a remote whose history was rewritten)"
        }
        _ => "Error",
    }
}

fn parameter(name: &str) -> Value {
    let status: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let decision: Vec<&str> = Decision::ALL.iter().map(|d| d.as_str()).collect();
    let schema = match name {
        "status" => json!({ "type": "array", "items": { "type": "string", "enum": status } }),
        "decision" => {
            let mut values = decision.clone();
            values.push("null");
            json!({ "type": "string", "enum": values, "description": "`null` keeps the experiments without a decision" })
        }
        "owner" => {
            json!({ "type": "string", "description": "only this owner's experiments (case does not matter)" })
        }
        "q" => {
            json!({ "type": "string", "description": "only the experiments these words find, best first, as `xp search` finds and ranks them" })
        }
        "excel" => json!({ "type": "boolean", "default": false }),
        "columns" => {
            let names: Vec<&str> = Column::all().iter().map(|c| c.name()).collect();
            let one = format!("{WHITE_SPACE}*({}){WHITE_SPACE}*", names.join("|"));
            json!({ "type": "string", "pattern": format!("^{one}(,{one})*$"), "description": format!("the columns, in order, each once, separated by commas: {}", names.join(", ")) })
        }
        "dry_run" => {
            json!({ "type": "boolean", "default": false, "description": "answer what would be created (each `commit` null) and write nothing" })
        }
        "sync" => {
            json!({ "type": "boolean", "default": false, "description": "add `sync`: HEAD, the upstream and ahead/behind as of the last fetch, and a team server's sync state" })
        }
        "strict" => {
            json!({ "type": "boolean", "default": false, "description": "refuse (409, with the problems) instead of leaving out the records that break rules" })
        }
        "offset" => {
            json!({ "type": "integer", "minimum": 0, "default": 0, "description": "skip this many of the experiments the other parameters keep" })
        }
        "limit" => {
            json!({ "type": "integer", "minimum": 0, "description": "at most this many experiments (default: all of them)" })
        }
        _ => json!({ "type": "string" }),
    };
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "style": "form", "explode": true })
}

/// `GET /openapi.json`.
pub async fn serve() -> Json<Value> {
    Json(document())
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let all = routes();
    for route in &all {
        let mut responses = Map::new();
        let ok = match &route.answer {
            Some(schema) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": schema } } })
            }
            None => {
                json!({ "description": "CSV", "content": { "text/csv": { "schema": { "type": "string" } } } })
            }
        };
        let mut ok = ok;
        if let Some(headers) = &route.headers {
            ok["headers"] = headers.clone();
        }
        if route.write && route.answer == Some(reference("Experiment")) {
            ok["links"] = links(&all);
        }
        responses.insert(route.status.to_string(), ok);
        for &status in route.errors.iter().chain(&[400u16, 401]) {
            let schema = if status == 422 {
                "HTTPValidationError"
            } else {
                "Error"
            };
            responses.insert(
                status.to_string(),
                json!({ "description": describe(status), "content": { "application/json": { "schema": reference(schema) } } }),
            );
        }
        let mut parameters: Vec<Value> = route.query.iter().map(|q| parameter(q)).collect();
        if route.method == "get" && CONDITIONAL.contains(&route.path) {
            responses.insert(
                "304".into(),
                json!({ "description": "Not modified: the answer is still the one If-None-Match names (no body)", "headers": { "ETag": { "schema": { "type": "string" } } } }),
            );
            parameters.push(json!({ "name": "If-None-Match", "in": "header", "required": false, "description": "the ETag of an answer already held: 304 without a body while it is unchanged", "schema": { "type": "string" } }));
        }
        if route.method == "patch" {
            parameters.push(json!({ "name": "If-Match", "in": "header", "required": false, "description": "the ETag the record was read with: the change is made only while the record is that version (412 otherwise)", "schema": { "type": "string" } }));
        }
        if route.path.contains("{ref}") {
            parameters.insert(0, json!({ "name": "ref", "in": "path", "required": true, "description": "id, slug or unique id prefix (4+ characters)", "schema": { "type": "string" } }));
        }
        let mut operation = json!({
            "summary": route.summary,
            "operationId": operation_id(route),
            "parameters": parameters,
            "responses": responses,
        });
        if let (Some(body), Some(op)) = (route.body, operation.as_object_mut()) {
            op.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { "application/json": { "schema": reference(body) } } }),
            );
        }
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        if let Some(entry) = entry.as_object_mut() {
            entry.insert(route.method.to_owned(), operation);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "xp",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Product experiments as YAML files in a git repository; every write is one commit of one file."
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "needed when the server was started with a token" } }
        },
        "security": [{}, { "bearer": [] }]
    })
}
