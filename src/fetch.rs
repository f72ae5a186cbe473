//! One plain HTTP/1.1 GET over `std::net`, for `xp import --from-url`: the origin service's
//! `GET /experiments` on the address given. No TLS, no redirects, no proxy; a leaf.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long connecting, and each read or write, may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a GET gave no body.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("`{0}` is not an http:// address")]
    NotHttp(String),
    #[error("cannot reach {address}: {source}")]
    Connect {
        address: String,
        source: std::io::Error,
    },
    /// `said` is what follows the status: `: ` and the start of the body, or where a
    /// redirect pointed.
    #[error("{address} answered {status}{said}")]
    Status {
        address: String,
        status: u16,
        said: String,
    },
    #[error("{address} sent an answer xp cannot read: {why}")]
    Garbled { address: String, why: String },
    #[error("{address} sent more than {limit} bytes")]
    TooLarge { address: String, limit: usize },
}

/// An `http://host[:port][/path]` address taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Url {
    /// Parses an http:// address; the path defaults to `/`.
    pub fn parse(text: &str) -> Result<Url, FetchError> {
        let bad = || FetchError::NotHttp(text.to_owned());
        let rest = text.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains(['@', ' ']) {
            return Err(bad());
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
                (host, port.parse().map_err(|_| bad())?)
            }
            _ => (authority, 80),
        };
        if host.is_empty() || path.contains(['\r', '\n', ' ']) {
            return Err(bad());
        }
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        Ok(Url {
            host: host.to_owned(),
            port,
            path,
        })
    }

    /// `host:port`, as the request's Host header and messages name it.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// GETs `url` and returns the body of a 200 answer, at most `limit` bytes.
pub fn get(url: &Url, accept: &str, limit: usize) -> Result<Vec<u8>, FetchError> {
    let address = url.authority();
    let connect = |source| FetchError::Connect {
        address: address.clone(),
        source,
    };
    let host = url.host.trim_start_matches('[').trim_end_matches(']');
    let addrs = (host, url.port).to_socket_addrs().map_err(connect)?;
    let mut last = None;
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| {
        connect(last.unwrap_or_else(|| std::io::Error::other("the name has no address")))
    })?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(connect)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(connect)?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {address}\r\nAccept: {accept}\r\nUser-Agent: xp/{}\r\nConnection: close\r\n\r\n",
        url.path,
        env!("CARGO_PKG_VERSION")
    );
    stream.write_all(request.as_bytes()).map_err(connect)?;
    let mut answer = Vec::new();
    stream
        .take(limit as u64 + 64 * 1024)
        .read_to_end(&mut answer)
        .map_err(connect)?;
    let garbled = |why: &str| FetchError::Garbled {
        address: address.clone(),
        why: why.to_owned(),
    };
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| garbled("no end of headers"))?;
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let mut body = answer.split_off(end + 4);
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| garbled("no status line"))?;
    let mut chunked = false;
    let mut length = None;
    let mut location = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("location") {
            location = Some(value.to_owned());
        }
    }
    if chunked {
        body = dechunk(&body).ok_or_else(|| garbled("a broken chunked body"))?;
    } else if let Some(length) = length {
        if body.len() < length {
            return Err(garbled("the body ended early"));
        }
        body.truncate(length);
    }
    if body.len() > limit {
        return Err(FetchError::TooLarge { address, limit });
    }
    if status != 200 {
        let said = match location {
            Some(to) if (300..400).contains(&status) => {
                let to: String = to.chars().take(200).collect();
                format!(" (a redirect to {to}, which xp does not follow)")
            }
            _ => {
                let text = String::from_utf8_lossy(&body);
                let text: String = text.trim().chars().take(200).collect();
                if text.is_empty() {
                    String::new()
                } else {
                    format!(": {text}")
                }
            }
        };
        return Err(FetchError::Status {
            address,
            status,
            said,
        });
    }
    Ok(body)
}

/// A chunked body's data.
fn dechunk(mut bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = bytes.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&bytes[..line_end]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(bytes.get(..size)?);
        bytes = bytes.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_are_taken_apart() {
        let url = Url::parse("http://127.0.0.1:8000/experiments").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("127.0.0.1", 8000, "/experiments")
        );
        let url = Url::parse("http://crm.internal").unwrap();
        assert_eq!((url.port, url.path.as_str()), (80, "/"));
        let url = Url::parse("http://[::1]:9/x?y=1").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("[::1]", 9));
        for bad in [
            "https://x",
            "ftp://x",
            "http://",
            "http://a:b/",
            "http://u@x/",
            "http://x/a b",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert!(dechunk(b"5\r\nab").is_none());
    }
}
