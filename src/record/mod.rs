//! The experiment record: its field table and the [`Record`] struct built from it, its parts
//! (status, decision, direction, log entries), what derives from it, the pre-registered plan,
//! its JSON Schema, and the text of a record file: a new one rendered, an existing one edited
//! in place. Pure data and text; no I/O.

pub mod derived;
pub mod edit;
pub mod evidence;
pub mod fields;
pub mod json;
pub mod lifecycle;
pub mod packed;
pub mod parts;
pub mod plan;
pub mod results;
pub mod schema;
pub mod stats;
pub mod texts;

pub use derived::{DERIVED, WithLog, judged, percent};
pub use fields::{FIELDS, Field, FieldKind, FieldValue, KEYS, REQUIRED, Record};
pub use packed::{EntryRef, LogRef, PackedLog};
pub use parts::{Decision, Direction, LogEntry, Status};
