//! End-to-end tests: the real `xp` binary in temporary directories and repositories.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod server;
mod support;
mod team;

mod answers;
mod commits;
mod concurrency;
mod crashes;
mod defects;
mod edit;
mod editing;
mod escaping;
mod evidence;
mod examples;
mod export;
mod fields;
mod gitsetups;
mod hostile;
mod import;
mod layout;
mod learning;
mod merging;
mod newuser;
mod outputs;
mod page;
mod paths;
mod plan;
mod records;
mod refusals;
mod review;
mod schema;
mod serve;
mod snapshots;
mod states;
mod strictsync;
mod sync;
mod teamserver;
mod toolbox;
