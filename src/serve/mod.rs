//! `xp serve`: the origin service's HTTP API over the same files and operations as the
//! command line, so that its scripts, bots and `/docs` users keep working.
//!
//! Handlers parse the request, run one [`crate::ops`] operation on a blocking thread (git and
//! files block) and render JSON; no rule, edit or git step lives here.

// A refused request's error is the answer itself, built once per request.
#![allow(clippy::result_large_err)]

mod api;
mod cache;
mod docs;
mod guard;
pub mod openapi;
mod page;
mod routes;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;

use crate::env::Env;
use crate::error::Error;
use crate::workspace::Workspace;

/// Largest request body read, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

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
}

/// What every request shares.
pub(crate) struct State {
    env: Env,
    dir: Option<PathBuf>,
    token: Option<String>,
    read_only: bool,
    /// Lower-case host names the `Host` header may carry.
    hosts: Vec<String>,
    cache: cache::Cache,
}

pub(crate) type Shared = Arc<State>;

impl State {
    /// Opens the workspace for one request (cheap: a repository discovery; see the benchmark).
    fn workspace(&self) -> Result<Workspace, Error> {
        Workspace::open(&self.env, self.dir.as_deref())
    }
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
    if !ip.is_loopback() && options.token.is_none() {
        return Err(Error::failed(
            format!("binding {ip} lets other machines reach the API, and no token guards it"),
            "set a token with `--token T` or the XP_TOKEN variable (clients then send \
             `Authorization: Bearer T`), or bind 127.0.0.1",
        ));
    }
    Ok(SocketAddr::new(ip, options.port))
}

/// The URL a bound address is reached at.
pub fn url(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}", addr.port()),
    }
}

/// Serves until Ctrl-C or SIGTERM; `listening` is told the URL once the port is bound. Writes
/// in flight finish before it returns.
pub fn run(options: Options, env: &Env, listening: impl FnOnce(&str)) -> Result<(), Error> {
    if options
        .token
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(Error::usage(
            "the token is empty; pass a secret with --token or XP_TOKEN",
        ));
    }
    let addr = address(&options)?;
    // Fail at start, not on the first request, when there is no workspace here or the
    // experiments directory named does not exist.
    Workspace::open(env, options.dir.as_deref())?.need_dir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()
        .map_err(|e| Error::failed(format!("cannot start the server: {e}"), "try again"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            Error::failed(
                format!("cannot listen on {}: {e}", url(addr)),
                "pick another port with --port (0 picks a free one)",
            )
        })?;
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
        });
        listening(&url(bound));
        let app = routes::router(state);
        axum::serve(listener, app)
            .with_graceful_shutdown(stop_signal())
            .await
            .map_err(|e| Error::io("the listening socket", e))
    })?;
    // Dropping the runtime waits for blocking tasks (writes in flight) to finish.
    drop(runtime);
    Ok(())
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
