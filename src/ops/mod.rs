//! What a user can do with experiments, one function each: typed input in, typed values or a
//! typed [`Error`](crate::error::Error) out. Nothing here prints or reads the process
//! environment or clock: the [`Workspace`](crate::ops::workspace::Workspace) carries them, and what
//! a person should be told along the way comes back as [`Notice`]s.

pub mod check;
pub mod create;
pub mod diff;
pub mod edit;
pub mod fix_time;
pub mod ids;
pub mod import;
pub mod init;
pub mod log;
pub mod note;
pub mod notice;
pub mod read;
pub mod refs;
pub mod report;
pub mod resolve;
pub mod search;
pub mod similar;
pub mod sync;
pub mod syncer;
pub mod update;
pub mod workspace;
pub mod write;

pub use notice::Notice;
pub use write::{Change, Saved, WriteOptions};
