//! End-to-end tests: the real `xp` binary in temporary directories and repositories.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod commits;
mod concurrency;
mod crashes;
mod editing;
mod export;
mod hostile;
mod paths;
mod records;
mod snapshots;
mod states;
