//! `/openapi.json`: the OpenAPI 3.1 document, built from the record's field list and the
//! table of paths below (a test holds the table against the running router).

use serde_json::{Map, Value, json};

use crate::record::fields::{self, FieldKind};
use crate::record::{Decision, Status};

/// One operation of the API.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The request body's schema name, for writes.
    pub body: Option<&'static str>,
    /// The answer's schema (`None`: CSV).
    pub answer: Option<Value>,
    pub query: &'static [&'static str],
    /// Error statuses besides the guard's (400 bad host, 401 token).
    pub errors: &'static [u16],
    pub write: bool,
}

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
            body: None,
            answer: Some(reference("Health")),
            query: &[],
            errors: &[],
            write: false,
        },
        Route {
            method: "post",
            path: "/experiments",
            summary: "Create an experiment (one commit)",
            body: Some("ExperimentCreate"),
            answer: record(),
            query: &[],
            errors: write_errors,
            write: true,
        },
        Route {
            method: "get",
            path: "/experiments",
            summary: "List experiments (filter by ?status=, repeatable, ?decision=, ?tag=)",
            body: None,
            answer: Some(json!({ "type": "array", "items": reference("Experiment") })),
            query: &["status", "decision", "tag"],
            errors: &[409, 422],
            write: false,
        },
        Route {
            method: "get",
            path: "/experiments/export.csv",
            summary: "All experiments as CSV, the bytes of `xp export`",
            body: None,
            answer: None,
            query: &["status", "decision", "tag", "excel", "columns"],
            errors: &[409, 422],
            write: false,
        },
        Route {
            method: "get",
            path: "/experiments/{ref}",
            summary: "One experiment by id, slug or unique id prefix",
            body: None,
            answer: record(),
            query: &[],
            errors: read_errors,
            write: false,
        },
        Route {
            method: "patch",
            path: "/experiments/{ref}",
            summary: "Change fields, with the status moves of `xp update` (one commit)",
            body: Some("ExperimentUpdate"),
            answer: record(),
            query: &[],
            errors: write_errors,
            write: true,
        },
        Route {
            method: "post",
            path: "/experiments/{ref}/notes",
            summary: "Append a decision-log note; the server stamps `at` (one commit)",
            body: Some("NoteIn"),
            answer: record(),
            query: &[],
            errors: write_errors,
            write: true,
        },
        Route {
            method: "get",
            path: "/experiments/{ref}/log",
            summary: "The decision log beside the commits that added each entry",
            body: None,
            answer: Some(json!({ "type": "array", "items": reference("LogLine") })),
            query: &[],
            errors: read_errors,
            write: false,
        },
        Route {
            method: "get",
            path: "/experiments/{ref}/similar",
            summary: "Up to three existing experiments most like this one (was this tried before?)",
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
            query: &[],
            errors: read_errors,
            write: false,
        },
        Route {
            method: "get",
            path: "/openapi.json",
            summary: "This document",
            body: None,
            answer: Some(json!({ "type": "object" })),
            query: &[],
            errors: &[],
            write: false,
        },
    ]
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
    let table = fields::FIELDS.iter().map(|f| {
        let (kind, mut schema) = match f.kind {
            FieldKind::Text => ("string", json!({})),
            FieldKind::Number => ("number", json!({})),
            FieldKind::Percent => ("integer", json!({ "minimum": 0, "maximum": 100 })),
            FieldKind::Enum(words) => {
                let mut values: Vec<Value> = words.iter().map(|w| Value::from(*w)).collect();
                if f.nullable {
                    values.push(Value::Null);
                }
                ("string", json!({ "enum": values }))
            }
            FieldKind::TextList => ("array", json!({ "items": { "type": "string" } })),
            FieldKind::Numbers => ("array", json!({ "items": { "type": "number" } })),
            FieldKind::Results => ("object", crate::record::schema::results_schema()),
        };
        schema["type"] = if f.nullable {
            json!([kind, "null"])
        } else {
            json!(kind)
        };
        schema["description"] = json!(f.description);
        if let Some(default) = f.default {
            schema["default"] = serde_json::from_str(default).unwrap_or_else(|_| json!(default));
        }
        Field {
            name: f.name,
            schema,
            required: f.required,
        }
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
    let create = object(
        fields
            .iter()
            .filter(|f| f.name != "id")
            .map(|f| (f.name, f.schema.clone()))
            .collect(),
        fields
            .iter()
            .filter(|f| f.required && f.name != "id")
            .map(|f| f.name)
            .collect(),
        "The origin service's payload; unknown keys are refused",
    );
    let mut changes: Vec<(&str, Value)> = fields
        .iter()
        .filter(|f| !matches!(f.name, "id" | "decision_log"))
        .map(|f| (f.name, f.schema.clone()))
        .collect();
    changes.push(("note", json!({ "type": "string", "description": "a note for the decision log (required when killing)" })));
    changes.push((
        "force",
        json!({ "type": "boolean", "description": "allow any status move" }),
    ));
    changes.push(("amend", json!({ "type": "string", "description": "why the plan (hypothesis, metric, baseline, target, direction) changes once the experiment ran; logged" })));
    changes.push((
        "who",
        json!({ "type": ["string", "null"], "description": "who the log entry names" }),
    ));
    let update = object(
        changes,
        Vec::new(),
        "Fields to change; absent ones stay as they are",
    );
    let who = json!({ "type": ["string", "null"] });
    json!({
        "Experiment": experiment,
        "ExperimentCreate": create,
        "ExperimentUpdate": update,
        "NoteIn": object(vec![("note", json!({ "type": "string" })), ("who", who.clone())], vec!["note"], "A note; `at` is stamped by the server"),
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
        "Health": object(vec![("status", json!({ "const": "ok" })), ("merge_driver", json!({ "type": ["boolean", "null"], "description": "this clone merges experiment files with xp's merge driver (`xp init` registers it); null outside git" }))], vec!["status", "merge_driver"], "Health"),
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
            "An ambiguous reference, a busy repository, a refused status move, or a record on disk that breaks rules"
        }
        413 => "The body is over 1 MiB",
        415 => "The body is not application/json",
        422 => "Every broken rule at once",
        503 => "Git's state forbids writes (a merge in progress, a foreign index.lock)",
        _ => "Error",
    }
}

fn parameter(name: &str) -> Value {
    let status: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let decision: Vec<&str> = Decision::ALL.iter().map(|d| d.as_str()).collect();
    let schema = match name {
        "status" => json!({ "type": "array", "items": { "type": "string", "enum": status } }),
        "decision" => json!({ "type": "string", "enum": decision }),
        "excel" => json!({ "type": "boolean", "default": false }),
        _ => json!({ "type": "string" }),
    };
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "style": "form", "explode": true })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in routes() {
        let mut responses = Map::new();
        let ok = match &route.answer {
            Some(schema) => {
                json!({ "description": "Success", "content": { "application/json": { "schema": schema } } })
            }
            None => {
                json!({ "description": "CSV", "content": { "text/csv": { "schema": { "type": "string" } } } })
            }
        };
        responses.insert("200".into(), ok);
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
        if route.path.contains("{ref}") {
            parameters.insert(0, json!({ "name": "ref", "in": "path", "required": true, "description": "id, slug or unique id prefix (4+ characters)", "schema": { "type": "string" } }));
        }
        let mut operation = json!({
            "summary": route.summary,
            "operationId": format!("{}_{}", route.method, route.path.trim_matches('/').replace(['/', '{', '}', '.'], "_")),
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
