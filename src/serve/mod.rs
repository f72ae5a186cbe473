//! `xp serve`: the origin service's HTTP API over the same files and operations as the
//! command line, so that its scripts, bots and `/docs` users keep working.
//!
//! This file starts the server and assembles the router; each resource has its own file of
//! handlers. A handler takes what it needs through extractors (`extract.rs`, `json.rs`,
//! `query.rs`), runs one [`crate::ops`] operation on a blocking thread (`state::blocking`: git
//! and files block) and answers JSON or an [`ApiError`](error::ApiError) (`error.rs`),
//! FastAPI's way. No rule, edit or git step lives here.

// A refused request's error is the answer itself, built once per request.
#![allow(clippy::result_large_err)]

mod body;
mod cache;
mod docs;
mod error;
mod experiments;
mod export;
mod extract;
mod guard;
mod health;
mod import;
mod json;
mod kept;
mod notes;
pub mod openapi;
mod page;
mod query;
mod rows;
mod signin;
mod state;
mod sync;
mod watch;
mod write;

pub use state::MAX_BODY;
use state::{Shared, State};

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::Uri;
use axum::routing::{MethodRouter, get, patch, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use crate::env::Env;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::serve::error::ApiError;

/// How long a client may take to send a request's line and headers (the first request's, or
/// the next one's on a kept-alive connection) before its connection is closed, so that
/// half-sent requests do not hold connections open.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// How long after Ctrl-C or SIGTERM the requests being answered may take; connections still
/// open then are dropped. A write in flight still finishes (it runs on its own thread, and the
/// server waits for it), its answer unsent.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

/// How the server is started.
#[derive(Debug, Clone)]
pub struct Options {
    pub host: String,
    pub port: u16,
    /// Every request must carry `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Answer reads only.
    pub read_only: bool,
    /// Host names accepted in the `Host` header besides the loopback names and the bound address.
    pub allowed_hosts: Vec<String>,
    /// The `--dir` flag.
    pub dir: Option<PathBuf>,
    /// `--sync`: keep one truth with the team's remote.
    pub sync: Option<SyncOptions>,
}

/// How a team server keeps in step with its remote (`--sync`).
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The remote (default: the branch's upstream, else `origin`).
    pub remote: Option<String>,
    /// The remote branch to push to, when not the upstream (`--sync-branch`).
    pub branch: Option<String>,
    /// Between two rounds unpoked (`--sync-interval`; zero: only on demand).
    pub interval: Duration,
    /// How long a fetch or a push may take.
    pub timeout: Duration,
    /// `--sync-mode strict`: answer a write only once the remote has it, else change nothing.
    pub strict: bool,
}

/// The address to bind, refusing one other machines can reach unless a token guards it.
pub fn address(options: &Options) -> Result<SocketAddr, Error> {
    let host = options.host.trim();
    let ip = match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => ip,
        Err(_) if host.eq_ignore_ascii_case("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Err(_) => (host, options.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .map(|a| a.ip())
            .ok_or_else(|| {
                Error::usage(format!(
                    "--host `{host}` is not an IP address or a name this machine can resolve"
                ))
            })?,
    };
    if !ip.is_loopback() && options.token.is_none() && !options.read_only {
        return Err(Error::failed(
            format!("binding {ip} lets other machines reach the API, and no token guards it"),
            "set a token with `--token T` or the XP_TOKEN variable (clients then send \
             `Authorization: Bearer T`; browsers sign in once at /sign-in), add --read-only to \
             share reads only, or bind 127.0.0.1",
        ));
    }
    Ok(SocketAddr::new(ip, options.port))
}

/// Fewest characters of a token: one that can be guessed guards nothing.
pub const MIN_TOKEN: usize = 16;

/// Refuses a token that is empty or short enough to guess.
pub fn check_token(token: &str) -> Result<(), Error> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::usage(
            "the token is empty; pass a secret with --token or XP_TOKEN",
        ));
    }
    let n = token.chars().count();
    if n < MIN_TOKEN {
        return Err(Error::failed(
            format!(
                "the token has {n} character{}; a token needs at least {MIN_TOKEN}, or it can be \
                 guessed",
                if n == 1 { "" } else { "s" }
            ),
            "generate one, e.g. `XP_TOKEN=$(openssl rand -hex 16) xp serve ...`",
        ));
    }
    Ok(())
}

/// The URL a bound address is reached at.
pub fn url(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}", addr.port()),
    }
}

/// Serves until Ctrl-C or SIGTERM; `listening` is told the URL once the port is bound, with
/// warnings to show, and `said` every line the server has to say later (the sync's states).
/// Writes in flight finish before it returns.
pub fn run(
    options: Options,
    env: &Env,
    listening: impl FnOnce(&str, &[String]),
    said: impl Fn(&str) + Send + 'static,
) -> Result<(), Error> {
    if let Some(token) = options.token.as_deref() {
        check_token(token)?;
    }
    let addr = address(&options)?;
    // Fail at start, not on the first request, when there is no workspace here or the
    // experiments directory named does not exist.
    let ws = Workspace::open(env, options.dir.as_deref())?;
    ws.need_dir()?;
    let root = ws
        .repo
        .as_ref()
        .map_or_else(|| ws.env.cwd.clone(), |r| r.workdir().to_owned());
    let mut warnings = Vec::new();
    if !addr.ip().is_loopback() && options.token.is_none() {
        warnings.push(format!(
            "anyone who can reach {} reads every experiment (the server is read-only and \
             no token guards it); set --token to let only the team in",
            addr.ip()
        ));
    }
    if crate::ops::init::driver_registered(&ws) == Some(false) {
        warnings.push(
            "this clone does not merge experiment files with xp's merge driver, so notes \
             written here and on another branch will conflict when the branches are merged; \
             run `xp init` once in this clone to register it"
                .to_owned(),
        );
    }
    if let Some(repo) = &ws.repo
        && !options.read_only
        && matches!(repo.branch(), Ok(None))
    {
        warnings.push(
            "HEAD is detached, so writes are refused (their commits would be on no branch); \
             check out the branch the experiments belong on (`git switch main`)"
                .to_owned(),
        );
    }
    let syncer = match &options.sync {
        Some(sync) => Some(start_sync(sync, &ws, env, options.dir.clone(), said)?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::failed(format!("cannot start the server: {e}"), "try again"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| bind_error(addr, &e))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::io("the listening socket", e))?;
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .iter()
            .map(|h| (*h).to_owned())
            .collect();
        hosts.push(bound.ip().to_string());
        hosts.extend(options.allowed_hosts.iter().map(|h| h.to_ascii_lowercase()));
        let state = Arc::new(State {
            env: env.clone(),
            dir: options.dir.clone(),
            token: options.token.clone(),
            read_only: options.read_only,
            hosts,
            cache: cache::Cache::default(),
            rows: rows::Rows::default(),
            histories: kept::Histories::default(),
            boards: kept::Boards::default(),
            watch: watch::Watch::default(),
            known: std::sync::Mutex::default(),
            root,
            syncer,
        });
        // The watch is set before the first request, which then does not pay for it.
        if let Ok(ws) = state.workspace() {
            state.watched(&ws);
        }
        listening(&url(bound), &warnings);
        serve(listener, router(state), stop_signal()).await;
        Ok::<(), Error>(())
    })?;
    // Dropping the runtime waits for blocking tasks (writes in flight) to finish.
    drop(runtime);
    Ok(())
}

/// Starts the sync worker, after making sure the clone is one a server can keep in step on its
/// own; each state it reaches is said as one line.
fn start_sync(
    sync: &SyncOptions,
    ws: &Workspace,
    env: &Env,
    dir: Option<PathBuf>,
    said: impl Fn(&str) + Send + 'static,
) -> Result<crate::ops::syncer::Syncer, Error> {
    use crate::ops::sync;
    use crate::ops::syncer::{Settings, Syncer};
    let target = sync::target(ws, sync.remote.as_deref(), sync.branch.as_deref())?;
    sync::dedicated(ws, &target)?;
    let settings = Settings {
        target,
        net: env.net(sync.timeout),
        interval: sync.interval,
        strict: sync.strict,
    };
    let env = env.clone();
    Ok(Syncer::start(
        settings,
        move || Workspace::open(&env, dir.as_deref()),
        said,
    ))
}

/// Every route of the API, the pages and the docs, behind the guard. On a `--read-only`
/// server every write answers 405, allowing the reads.
fn router(state: Shared) -> Router {
    let (create, change, note, import) = if state.read_only {
        (
            post(read_only),
            patch(read_only),
            post(read_only),
            post(read_only_import),
        )
    } else {
        (
            post(experiments::create),
            patch(experiments::update),
            post(notes::add),
            post(import::import),
        )
    };
    let routes: [(&str, MethodRouter<Shared>); 17] = [
        ("/health", get(health::health)),
        ("/sync", get(sync::status).post(sync::poke)),
        ("/experiments", get(experiments::list).merge(create)),
        ("/experiments/export.csv", get(export::csv)),
        ("/experiments/import", import),
        ("/experiments/{ref}", get(experiments::get).merge(change)),
        ("/experiments/{ref}/log", get(experiments::log)),
        ("/experiments/{ref}/similar", get(experiments::similar)),
        ("/experiments/{ref}/notes", get(notes::list).merge(note)),
        ("/openapi.json", get(openapi::serve)),
        ("/", get(page::board)),
        ("/sign-in", get(signin::form).post(signin::sign_in)),
        ("/sign-out", post(signin::sign_out)),
        ("/e/{name}", get(page::story)),
        ("/assets/xp.css", get(page::css)),
        ("/assets/xp.js", get(page::js)),
        ("/assets/index.js", get(page::index)),
    ];
    let paths: Vec<&str> = routes.iter().map(|(path, _)| *path).collect();
    let mut app = Router::new();
    for (path, route) in routes {
        app = app.route(path, route);
    }
    app.fallback(move |uri: Uri, headers: axum::http::HeaderMap| async move {
        guard::unrouted(&uri, &headers, &paths)
    })
    .with_state(state.clone())
    .merge(docs::routes())
    .layer(axum::middleware::from_fn_with_state(state, guard::check))
}

/// A write on a `--read-only` server: 405, allowing the reads (every path that takes a write
/// takes a read too).
async fn read_only() -> ApiError {
    ApiError::NotAllowed {
        detail: "this server is read-only (started with --read-only)".into(),
        allow: Some("GET,HEAD".into()),
    }
}

/// An import on a `--read-only` server: 405; the path takes no read.
async fn read_only_import() -> ApiError {
    ApiError::NotAllowed {
        detail: "this server is read-only (started with --read-only)".into(),
        allow: Some(String::new()),
    }
}

/// Answers connections until `stop` resolves, then lets the requests being answered finish
/// for up to [`SHUTDOWN_DEADLINE`]; each request's headers must come within
/// [`HEADER_TIMEOUT`].
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    stop: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let service = TowerToHyperService::new(app.clone());
                    let connection = http.serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        // A client that goes away, or is too slow, is no error of the server's.
                        let _ = connection.await;
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionRefused
                    ) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            },
            () = &mut stop => break,
        }
    }
    drop(listener);
    // Connections answering a request finish it; idle ones close now. Past the deadline the
    // rest are dropped with the runtime.
    let _ = tokio::time::timeout(SHUTDOWN_DEADLINE, graceful.shutdown()).await;
}

/// The error for an address that cannot be listened on, with the hint that fits its cause.
fn bind_error(addr: SocketAddr, e: &std::io::Error) -> Error {
    use std::io::ErrorKind;
    let at = url(addr);
    let (port, ip) = (addr.port(), addr.ip());
    match e.kind() {
        ErrorKind::AddrInUse => Error::failed(
            format!("cannot listen on {at}: port {port} is already in use there"),
            "pick another port with --port (0 picks a free one), or stop the program that \
             listens on it",
        ),
        ErrorKind::AddrNotAvailable => Error::failed(
            format!("cannot listen on {at}: {ip} is not an address of this machine"),
            "bind one of this machine's addresses with --host (`ip addr` lists them): \
             127.0.0.1 for this machine only, 0.0.0.0 for all of them",
        ),
        ErrorKind::PermissionDenied => Error::failed(
            format!("cannot listen on {at}: not allowed to use port {port}"),
            "ports below 1024 need administrator rights; pick one from 1024 up with --port \
             (0 picks a free one)",
        ),
        _ => Error::failed(
            format!("cannot listen on {at}: {e}"),
            "check --host and --port",
        ),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bind_error_gets_its_own_hint() {
        use std::io::{Error as IoError, ErrorKind};
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 255, 255, 1)), 80);
        let said = |kind: ErrorKind| match bind_error(addr, &IoError::from(kind)) {
            Error::Failed { message, hint } => (message, hint.unwrap_or_default()),
            other => panic!("{other:?}"),
        };
        let (message, hint) = said(ErrorKind::AddrNotAvailable);
        assert!(
            message.ends_with("10.255.255.1 is not an address of this machine"),
            "{message}"
        );
        assert!(
            hint.contains("--host") && !hint.contains("--port"),
            "{hint}"
        );
        let (message, hint) = said(ErrorKind::AddrInUse);
        assert!(
            message.ends_with("port 80 is already in use there"),
            "{message}"
        );
        assert!(hint.starts_with("pick another port"), "{hint}");
        let (message, hint) = said(ErrorKind::PermissionDenied);
        assert!(message.ends_with("not allowed to use port 80"), "{message}");
        assert!(hint.contains("below 1024"), "{hint}");
    }

    #[test]
    fn beyond_loopback_a_token_or_read_only_is_needed() {
        let options = |read_only: bool, token: Option<&str>| Options {
            host: "10.1.2.3".into(),
            port: 8000,
            token: token.map(str::to_owned),
            read_only,
            allowed_hosts: Vec::new(),
            dir: None,
            sync: None,
        };
        match address(&options(false, None)) {
            Err(refused) => assert!(
                refused.hint().is_some_and(|h| h.contains("--read-only")),
                "{refused}"
            ),
            Ok(addr) => panic!("{addr} bound without a token"),
        }
        assert!(address(&options(true, None)).is_ok());
        assert!(address(&options(false, Some("0123456789abcdef"))).is_ok());
        let local = Options {
            host: "127.0.0.1".into(),
            ..options(false, None)
        };
        assert!(address(&local).is_ok());
    }
}
