//! `xp serve`: the origin service's HTTP API over this repository's experiments.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::env::Env;
use crate::error::Error;
use crate::serve::{self, Options, SyncOptions};
use crate::ui::Ui;

/// What `xp serve --help` and xp-serve(1) say beyond the flags: the endpoints, the status
/// codes, the protections. Each paragraph is one item, so that the manual page keeps them apart.
const MORE: &str = "\
Endpoints (the origin service's API; records are JSON with its field names):

  GET /health - {\"status\": \"ok\", \"merge_driver\": true, \"branch\": \"main\"}; merge_driver is false where `xp init` never ran, null outside git; branch is where writes are committed, null on a detached HEAD (writes are refused); with ?sync=1 also `sync`: head, upstream, ahead and behind as of the last fetch, and a team server's state

  POST /experiments - creates a record from the origin's payload (title, hypothesis, primary_metric, baseline, target; optional status, confidence, decision, learning and xp's optional keys); one commit

  GET /experiments - all records; ?status= (repeatable), ?decision= (null: undecided), ?tag=, ?owner=, ?q= (words, as `xp search` finds and ranks them); records that break rules are left out and counted in the xp-broken-files header, or refuse the list (409) with ?strict=true

  GET /experiments/{ref} - one record; {ref} is an id, a slug or a unique id prefix, never a path; its ETag is the record's version (the file's blob id)

  PATCH /experiments/{ref} - changes fields with the rules and status moves of `xp update`; optional note, force, amend, who; one commit; with If-Match, only while the record is that version (412 otherwise)

  POST /experiments/{ref}/notes - {\"note\": ..., \"who\": optional}; the server stamps `at`; one commit

  GET /experiments/{ref}/notes - the decision log's entries, [{at, who, note}]

  GET /experiments/{ref}/log - the decision log beside its commits, as `xp log --format json`

  GET /experiments/{ref}/similar - up to three experiments most like this one, [{score, experiment}]

  GET /experiments/export.csv - the bytes of `xp export`; ?status=, ?excel=true, ?columns=

  POST /experiments/import - a JSON array of experiments (what GET /experiments answers) brought in as `xp import` does: all checked first, all or nothing (422 with every problem), ids already here left as they are; one commit each; ?dry_run=true writes nothing

  GET /openapi.json, GET /docs - the OpenAPI 3.1 document, and Swagger UI served from the binary

  GET /sync, POST /sync - with --sync: where the server stands with its remote; a round at once (202), for a forge's webhook

  GET /, GET /e/{slug} - the board and each experiment's story, with forms unless --read-only; GET /sign-in - where a browser types the token once

Status codes:

  200 success, a create included; 202 a sync round asked for; 400 a Host header this server does not answer to; 401 a token is set and the request lacks `Authorization: Bearer <token>`; 404 an unknown ref or path

  405 a method the path does not take, and every write on a --read-only server; 409 an ambiguous ref, the repository busy, a change `xp update` refuses, a record on disk that breaks rules, a record with someone's changes not committed (the server never commits them under its name), or with --sync a change the remote contradicts (with each field, your value and the remote's; nothing is written)

  412 a PATCH whose If-Match names a version the record no longer is (nothing is written)

  413 a body over 1 MiB (64 MiB for an import); 415 a write that is not application/json; 422 {\"detail\": [{type, loc, msg, input}]} with every problem, `type` the rule's name; 503 git's state forbids writes (a merge in progress, a foreign index.lock, a detached HEAD, or with --sync a remote whose history was rewritten), or with --sync-mode strict the remote did not take the write (nothing was written)

Protections:

  It binds 127.0.0.1 unless told otherwise; any other address needs a token (--token or XP_TOKEN) of 16 characters or more, or --read-only (reads for anyone who can reach it). With a token every request must carry it as `Authorization: Bearer T` (but /docs, /openapi.json and /sign-in); a browser signs in once at /sign-in and gets an HttpOnly, SameSite=Strict cookie, and a write with that cookie must come from the server's own pages (its Origin).

  A request whose Host is not localhost, 127.0.0.1, ::1, the bound address or an --allowed-host is refused (DNS rebinding); writes must be application/json (forms on other sites).

  A request's line and headers must come within 5 seconds. Ctrl-C or SIGTERM stops taking requests and lets those being answered finish for up to 10 seconds; a write in flight always finishes.";

#[derive(Debug, clap::Args)]
#[command(after_long_help = MORE)]
pub struct Args {
    /// Address to bind; any other than loopback needs a token or --read-only
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one; the URL printed has it)
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Every request must carry `Authorization: Bearer T` (also XP_TOKEN, which keeps it out of
    /// the process list); 16 characters or more
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
    /// Answer reads only
    #[arg(long)]
    pub read_only: bool,
    /// Also answer requests whose Host header is H (a name clients reach this machine by)
    #[arg(long, value_name = "H")]
    pub allowed_host: Vec<String>,
    /// Keep one truth with the team's remote: fetch, integrate and push in the background
    /// (REMOTE defaults to the branch's upstream, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    pub sync: Option<String>,
    /// With --sync: seconds between two rounds, give or take a tenth (0: only on demand, by
    /// `POST /sync`, a write or a read)
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub sync_interval: u64,
    /// With --sync: push to this branch of the remote instead of the upstream (for a
    /// protected main merged through pull requests)
    #[arg(long, value_name = "BRANCH", requires = "sync")]
    pub sync_branch: Option<String>,
    /// With --sync: seconds a fetch or a push may take before it is stopped
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub sync_timeout: u64,
    /// With --sync: `queue` commits a write here and pushes it (answering `xp-sync: pending`
    /// when the remote does not take it at once); `strict` answers a write only once the
    /// remote has it, and changes nothing here when it cannot (503)
    #[arg(long, value_enum, value_name = "MODE", default_value_t = SyncMode::Queue, requires = "sync")]
    pub sync_mode: SyncMode,
}

/// What a write on a team server waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SyncMode {
    /// The local commit; the push follows.
    Queue,
    /// The remote taking the commit.
    Strict,
}

/// Prints the URL on stdout once listening, and serves until Ctrl-C or SIGTERM.
pub fn run(args: Args, dir: Option<&Path>, env: &Env, ui: &mut Ui) -> Result<(), Error> {
    let options = Options {
        host: args.host,
        port: args.port,
        token: args
            .token
            .or_else(|| env.var("XP_TOKEN").map(str::to_owned)),
        read_only: args.read_only,
        allowed_hosts: args.allowed_host,
        dir: dir.map(Path::to_owned),
        sync: args.sync.map(|remote| SyncOptions {
            remote: Some(remote).filter(|r| !r.is_empty()),
            branch: args.sync_branch,
            interval: Duration::from_secs(args.sync_interval),
            timeout: Duration::from_secs(args.sync_timeout.max(1)),
            strict: args.sync_mode == SyncMode::Strict,
        }),
    };
    let read_only = options.read_only;
    serve::run(
        options,
        env,
        |url, warnings| {
            let _ = ui.data(&format!("{url}\n"));
            ui.status(&format!(
                "xp serve: listening on {url}{}; docs at {url}/docs; Ctrl-C stops",
                if read_only { " (read-only)" } else { "" }
            ));
            for warning in warnings {
                ui.warning(warning);
            }
            ui.flush();
        },
        |line| {
            // The server's own log: a line on stderr for each state the sync reaches.
            let _ = writeln!(std::io::stderr().lock(), "xp serve: {line}");
        },
    )
}
