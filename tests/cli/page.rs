//! The board and the stories in a real browser: `xp site` output read from `file://` by
//! headless Chromium, with the DOM dumped after the page's script ran.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::TestEnv;

/// The demo repository with one experiment in each other column, and its site built.
struct Site {
    env: TestEnv,
    repo: PathBuf,
    out: PathBuf,
}

fn demo_site() -> Site {
    let mut env = TestEnv::plain();
    env.ok(&["demo", "--path", "demo"]);
    let repo = env.root.join("demo");
    let steps: &[(&str, &[&str])] = &[
        (
            "2026-02-10T09:00:00Z",
            &[
                "new",
                "--title",
                "Checkout one-page flow",
                "--hypothesis",
                "A single-page checkout reduces abandonment",
                "--metric",
                "checkout_abandon_rate",
                "--baseline",
                "62",
                "--target",
                "55",
                "--direction",
                "decrease",
                "--owner",
                "carol",
                "--tag",
                "checkout",
                "--tag",
                "q1",
            ],
        ),
        (
            "2026-02-12T10:00:00Z",
            &[
                "update",
                "checkout-one-page-flow",
                "--status",
                "running",
                "-m",
                "Rolled out to half of EU traffic",
            ],
        ),
        (
            "2026-02-21T09:00:00Z",
            &["update", "checkout-one-page-flow", "--confidence", "71"],
        ),
        (
            "2026-02-14T09:00:00Z",
            &[
                "new",
                "--title",
                "Pricing page annual toggle",
                "--hypothesis",
                "Annual prices first lift the annual share",
                "--metric",
                "annual_share",
                "--baseline",
                "0.18",
                "--target",
                "0.25",
                "--owner",
                "erin",
                "--tag",
                "pricing",
            ],
        ),
        (
            "2026-02-15T09:00:00Z",
            &[
                "new",
                "--title",
                "Onboarding checklist",
                "--hypothesis",
                "A checklist raises activation",
                "--metric",
                "activation_w1",
                "--baseline",
                "41",
                "--target",
                "46",
                "--tag",
                "q1",
            ],
        ),
        (
            "2026-02-16T09:00:00Z",
            &["update", "onboarding-checklist", "--status", "running"],
        ),
        (
            "2026-02-19T09:00:00Z",
            &[
                "update",
                "onboarding-checklist",
                "--status",
                "killed",
                "-m",
                "Broke the mobile signup",
            ],
        ),
        (
            "2026-02-20T09:00:00Z",
            &[
                "new",
                "--title",
                "<script>alert(1)</script> & \"quotes\"",
                "--hypothesis",
                "<img src=x onerror=alert(2)>",
                "--metric",
                "m",
                "--baseline",
                "1",
                "--target",
                "2",
            ],
        ),
    ];
    for (now, args) in steps {
        env.now = (*now).into();
        let run = env.xp_in(&repo, args);
        assert_eq!(run.code, 0, "xp {args:?}: {}", run.stderr);
    }
    let run = env.xp_in(&repo, &["site", "-o", "../site"]);
    assert_eq!(run.code, 0, "xp site: {}", run.stderr);
    let out = env.root.join("site");
    Site { env, repo, out }
}

fn chromium_cmd(profile: &Path) -> Command {
    crate::support::need("chromium", "chromium");
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// The DOM of a page after its scripts ran.
fn dump(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = chromium_cmd(profile.path())
        .args(["--dump-dom", url])
        .output()
        .expect("Debian's `chromium` runs the browser tests (.ci/run installs it)");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A picture of a page, saved under `target/page-shots/`, to look at.
fn screenshot(url: &str, name: &str, width: u32, height: u32, dark: bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/page-shots");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    let _ = std::fs::remove_file(&file);
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = chromium_cmd(profile.path());
    if dark {
        cmd.args([
            "--force-dark-mode",
            "--blink-settings=preferredColorScheme=0",
        ]);
    }
    let out = cmd
        .arg(format!("--screenshot={}", file.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&file).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{name} is not a picture"
    );
}

fn url(path: &Path, query: &str) -> String {
    format!("file://{}{query}", path.display())
}

/// The titles of the cards in the board's column of `status`, and its count.
fn column(dom: &str, status: &str) -> (Vec<String>, String, bool) {
    let start = dom
        .find(&format!("data-col=\"{status}\""))
        .unwrap_or_else(|| panic!("no {status} column"));
    let tag_start = dom[..start].rfind("<section").unwrap();
    let end = dom[start..].find("</section>").unwrap() + start;
    let section = &dom[tag_start..end];
    let hidden = section[..section.find('>').unwrap()].contains(" hidden");
    let count = section
        .split("data-count=\"\"")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_owned();
    let titles = section
        .split("<h3>")
        .skip(1)
        .filter_map(|h| h.split("\">").nth(1)?.split("</a>").next())
        .map(|t| t.replace("<mark>", "").replace("</mark>", ""))
        .collect();
    (titles, count, hidden)
}

#[test]
fn the_board_shows_each_experiment_in_its_column_and_the_script_ran() {
    let site = demo_site();
    let dom = dump(&url(&site.out.join("index.html"), ""));
    assert!(
        !dom.contains("data-pending") && dom.contains("data-filters"),
        "the script shows the filters once it runs from file://"
    );
    let expect = [
        (
            "draft",
            vec![
                "Annual plan discount",
                "Pricing page annual toggle",
                "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"quotes\"",
            ],
        ),
        (
            "running",
            vec!["Search suggestions", "Checkout one-page flow"],
        ),
        ("completed", vec!["Free shipping threshold"]),
        ("shipped", vec!["Homepage CTA Color"]),
        ("killed", vec!["Onboarding video", "Onboarding checklist"]),
    ];
    for (status, titles) in expect {
        let (found, count, hidden) = column(&dom, status);
        assert_eq!(found, titles, "{status} column");
        assert_eq!(count, titles.len().to_string(), "{status} count");
        assert!(!hidden);
    }
    assert!(!dom.contains("<script>alert"), "user text is escaped");
    assert!(!dom.contains("<img src=x"), "user text is escaped");
    // The columns are in the board's order.
    let at = |s: &str| dom.find(&format!("data-col=\"{s}\"")).unwrap();
    assert!(at("draft") < at("running") && at("running") < at("completed"));
    assert!(at("completed") < at("shipped") && at("shipped") < at("killed"));
}

#[test]
fn the_search_and_filters_in_the_url_narrow_the_board() {
    let site = demo_site();
    let index = site.out.join("index.html");
    let dom = dump(&url(&index, "?q=CHECKOUT"));
    assert_eq!(column(&dom, "running").0, ["Checkout one-page flow"]);
    assert_eq!(column(&dom, "completed").0, ["Free shipping threshold"]);
    for status in ["draft", "shipped", "killed"] {
        let (titles, count, _) = column(&dom, status);
        assert!(titles.is_empty(), "{status}: {titles:?}");
        assert_eq!(count, "0");
    }
    assert!(
        dom.contains("data-live=\"\">2 experiments match<"),
        "said to screen readers"
    );

    let dom = dump(&url(&index, "?tag=q1"));
    assert_eq!(column(&dom, "running").0, ["Checkout one-page flow"]);
    assert_eq!(column(&dom, "killed").0, ["Onboarding checklist"]);
    assert!(column(&dom, "shipped").0.is_empty());

    let dom = dump(&url(&index, "?status=shipped&q=green"));
    let (titles, _, hidden) = column(&dom, "shipped");
    assert_eq!(titles, ["Homepage CTA Color"]);
    assert!(!hidden);
    assert!(column(&dom, "running").2, "other columns are hidden");

    // Words all have to match, in any field: owner and metric here.
    let dom = dump(&url(&index, "?q=carol+abandon"));
    assert_eq!(column(&dom, "running").0, ["Checkout one-page flow"]);
    let dom = dump(&url(&index, "?q=carol+signup"));
    assert!(column(&dom, "running").0.is_empty());
}

#[test]
fn a_story_shows_its_timeline_with_the_commits_of_git_log() {
    let site = demo_site();
    let page = site.out.join("e/homepage-cta-color.html");
    let dom = dump(&url(&page, ""));
    let hashes: Vec<&str> = dom
        .split("data-hash=\"\"")
        .skip(1)
        .filter_map(|s| s.split('>').nth(1)?.split('<').next())
        .collect();
    let log = git(
        &site.repo,
        &[
            "log",
            "--format=%h",
            "--",
            "experiments/homepage-cta-color.yaml",
        ],
    );
    let git: Vec<&str> = log.lines().collect();
    assert_eq!(hashes, git);
    assert_eq!(git.len(), 7, "new, two notes, results, three status moves");
    for text in [
        "Homepage CTA Color",
        "Changing CTA button from blue to green increases signups by 15%",
        "Green CTA outperformed blue by 16% on signups",
        "Launched to 10% of users",
        "p-value dropped below 0.05 after 3 days",
        "Significant at 96% confidence",
        ">confidence</code>: <span class=\"from\">98</span> → <span class=\"to\">96</span>",
        "results: blue=10000/320, green=10000/371",
        "Status <span class=\"badge st-running\">running</span> → <span class=\"badge st-completed\">completed</span>",
        "experiments/homepage-cta-color.yaml",
    ] {
        assert!(dom.contains(text), "the story lacks {text:?}");
    }
    // An update with no note is in the timeline too, as its field change.
    let dom = dump(&url(&site.out.join("e/checkout-one-page-flow.html"), ""));
    assert!(dom.contains(
        ">confidence</code>: <span class=\"from\">0</span> → <span class=\"to\">71</span>"
    ));
    assert!(
        dom.contains("Running for 10 days"),
        "counted to the newest entry"
    );
}

#[test]
fn the_site_is_the_same_bytes_for_the_same_commit_and_links_stay_relative() {
    let site = demo_site();
    let again = site.env.root.join("again");
    let run = site.env.xp_in(&site.repo, &["site", "-o", "../again"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files = walk(&site.out);
    assert_eq!(files, walk(&again));
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("e/homepage-cta-color.html"))
    );
    for rel in &files {
        let a = std::fs::read(site.out.join(rel)).unwrap();
        assert_eq!(a, std::fs::read(again.join(rel)).unwrap(), "{rel} differs");
        if rel.ends_with(".html") {
            let text = String::from_utf8(a).unwrap();
            for absolute in [
                "href=\"/",
                "src=\"/",
                "href=\"http",
                "src=\"http",
                "style=",
                "<script>",
            ] {
                assert!(!text.contains(absolute), "{rel} has {absolute}");
            }
            assert!(
                text.contains("Content-Security-Policy"),
                "{rel} has no policy"
            );
            assert!(!text.contains("<form") || !text.contains("method=\"post\""));
        }
    }
    // A story's links reach the board and the assets from its folder.
    let story = std::fs::read_to_string(site.out.join("e/homepage-cta-color.html")).unwrap();
    assert!(
        story.contains("href=\"../index.html\"") && story.contains("href=\"../assets/xp.css\"")
    );
}

#[test]
fn forge_links_follow_the_origin_remote() {
    let site = demo_site();
    git(
        &site.repo,
        &["remote", "add", "origin", "git@github.com:acme/growth.git"],
    );
    let run = site.env.xp_in(&site.repo, &["site", "-o", "../forge"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let story =
        std::fs::read_to_string(site.env.root.join("forge/e/homepage-cta-color.html")).unwrap();
    let head = git(
        &site.repo,
        &[
            "log",
            "-1",
            "--format=%H",
            "--",
            "experiments/homepage-cta-color.yaml",
        ],
    );
    let head = head.trim();
    assert!(story.contains(&format!(
        "href=\"https://github.com/acme/growth/commit/{head}\""
    )));
    assert!(story.contains(&format!(
        "href=\"https://github.com/acme/growth/blob/{head}/experiments/homepage-cta-color.yaml\""
    )));
}

#[test]
fn screenshots_of_the_board_and_a_story() {
    let site = demo_site();
    let board = url(&site.out.join("index.html"), "");
    let story = url(&site.out.join("e/homepage-cta-color.html"), "");
    screenshot(&board, "board-desktop.png", 1280, 900, false);
    screenshot(&board, "board-narrow.png", 360, 1600, false);
    screenshot(&board, "board-dark.png", 1280, 900, true);
    screenshot(&story, "story-desktop.png", 1280, 1300, false);
    screenshot(&story, "story-narrow.png", 360, 1800, false);
    screenshot(&story, "story-dark.png", 1280, 1300, true);
}

/// Git in the demo repository, which carries its own identity; returns stdout.
fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn walk(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir(dir)
        .into_iter()
        .map(|p| {
            p.strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    files
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_example_workflow_publishes_the_site() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github-actions.yml"),
    )
    .unwrap();
    let doc = xp::yaml::parse(&text).unwrap();
    assert!(text.contains("run: xp site -o site"));
    assert!(text.contains("name: experiments-site\n          path: site\n"));
    assert!(doc.entry(doc.root, "jobs").is_some());
}

/// `xp serve --port 0` in a repository, stopped when dropped.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Served {
    fn start(env: &TestEnv, repo: &Path, args: &[&str]) -> Served {
        use std::io::BufRead;
        let mut all = vec!["serve", "--port", "0"];
        all.extend(args);
        let mut child = env
            .xp_cmd_in(repo, &all)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "no URL: {line:?}");
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange over a plain socket: (status, headers in lower case, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    // Read the head, then exactly the body it announces: a server may keep the connection.
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the connection closed before the head ended");
        bytes.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let have = bytes.len() - head_end - 4;
        let done = match length {
            Some(n) => have >= n,
            None if chunked => bytes.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
        }
    }
    let body = String::from_utf8_lossy(&bytes[head_end + 4..]).into_owned();
    let rest = if chunked { dechunk(&body) } else { body };
    (status, head, rest)
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        text = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Chromium driven through chromedriver's WebDriver protocol (JSON over HTTP).
struct Browser {
    driver: std::process::Child,
    addr: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        crate::support::need("chromedriver", "chromium-driver");
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("Debian's `chromium-driver` drives the form tests (.ci/run installs it)");
        let addr = format!("127.0.0.1:{port}");
        let ready = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::net::TcpStream::connect(&addr).is_ok()
        });
        assert!(ready, "chromedriver did not start");
        let profile = tempfile::tempdir().unwrap();
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     format!("--user-data-dir={}", profile.path().display())]
        }}}});
        let (status, _, body) = http(&addr, "POST", "/session", Some(&caps));
        assert_eq!(status, 200, "{body}");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        let session = value["value"]["sessionId"].as_str().unwrap().to_owned();
        Browser {
            driver,
            addr,
            session,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let path = format!("/session/{}{path}", self.session);
        let (status, _, text) = http(&self.addr, method, &path, Some(&body));
        assert_eq!(status, 200, "{method} {path}: {text}");
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["value"].clone()
    }

    fn open(&self, url: &str) {
        self.call("POST", "/url", serde_json::json!({ "url": url }));
    }

    fn element(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            serde_json::json!({"using": "css selector", "value": css}),
        );
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap()
            .to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            serde_json::json!({ "text": text }),
        );
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &format!("/element/{id}/click"),
            serde_json::json!({}),
        );
    }

    /// What a script run in the page returns.
    fn script(&self, body: &str) -> serde_json::Value {
        self.call(
            "POST",
            "/execute/sync",
            serde_json::json!({ "script": body, "args": [] }),
        )
    }

    fn source(&self) -> String {
        let path = format!("/session/{}/source", self.session);
        let (_, _, text) = http(&self.addr, "GET", &path, None);
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The page source once `wanted` is in it (within ten seconds).
    fn wait_for(&self, wanted: &str) -> String {
        for _ in 0..100 {
            let source = self.source();
            if source.contains(wanted) {
                return source;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the page never showed {wanted:?}:\n{}", self.source());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.session);
        let _ = std::panic::catch_unwind(|| http(&self.addr, "DELETE", &path, None));
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn served_pages_carry_the_security_headers_and_read_only_has_no_forms() {
    let site = demo_site();
    let server = Served::start(&site.env, &site.repo, &[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    for path in [
        "/",
        "/e/homepage-cta-color",
        "/assets/xp.css",
        "/?status=running&q=eu",
    ] {
        let (status, head, _) = http(&addr, "GET", path, None);
        assert_eq!(status, 200, "{path}");
        assert!(
            head.contains("content-security-policy: default-src 'none'; script-src 'self'"),
            "{path}"
        );
        assert!(
            head.contains("frame-ancestors 'none'")
                && head.contains("x-content-type-options: nosniff")
        );
    }
    let (status, _, body) = http(&addr, "GET", "/e/no-such-thing", None);
    assert_eq!(status, 404);
    assert!(body.contains("No experiment is called “no-such-thing”."));
    // The plain GET form filters on the server, without the script.
    let (_, _, body) = http(&addr, "GET", "/?q=checkout", None);
    assert!(
        body.contains("<mark>Checkout</mark> one-page flow")
            && !body.contains("Homepage CTA Color")
    );
    let (_, _, body) = http(&addr, "GET", "/e/homepage-cta-color", None);
    assert!(body.contains("data-form=\"note\""));
    drop(server);

    let server = Served::start(&site.env, &site.repo, &["--read-only"]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (_, _, body) = http(&addr, "GET", "/e/homepage-cta-color", None);
    assert!(body.contains("Launched to 10% of users") && !body.contains("data-form"));
}

#[test]
fn a_note_through_the_form_lands_as_a_commit_and_shows_in_the_timeline() {
    let site = demo_site();
    let server = Served::start(&site.env, &site.repo, &[]);
    let browser = Browser::start();
    let before = git(&site.repo, &["rev-list", "--count", "HEAD"]);
    browser.open(&format!("{}/e/homepage-cta-color", server.url));
    browser.type_into("#n-note", "Reviewed in the weekly <b>meeting</b>");
    browser.type_into("#n-who", "zoe");
    browser.click("[data-form=note] button");
    let page = browser.wait_for("Note added and committed.");
    assert!(
        page.contains("Reviewed in the weekly &lt;b&gt;meeting&lt;/b&gt;"),
        "escaped, in the timeline"
    );
    let after = git(&site.repo, &["rev-list", "--count", "HEAD"]);
    assert_eq!(
        after.trim().parse::<u32>().unwrap(),
        before.trim().parse::<u32>().unwrap() + 1
    );
    let last = git(&site.repo, &["log", "-1", "--format=%h %s"]);
    let (short, subject) = last.trim().split_once(' ').unwrap();
    assert_eq!(subject, "xp: note on homepage-cta-color");
    assert!(
        page.contains(&format!(">{short}</code>")),
        "the new commit is in the timeline"
    );
    let file =
        std::fs::read_to_string(site.repo.join("experiments/homepage-cta-color.yaml")).unwrap();
    assert!(file.contains("who: zoe"));
}

#[test]
fn a_broken_rule_in_the_form_says_why_beside_the_field_and_writes_nothing() {
    let site = demo_site();
    let server = Served::start(&site.env, &site.repo, &[]);
    let browser = Browser::start();
    let record = site.repo.join("experiments/checkout-one-page-flow.yaml");
    let file = std::fs::read(&record).unwrap();
    let head = git(&site.repo, &["rev-parse", "HEAD"]);
    browser.open(&format!("{}/e/checkout-one-page-flow", server.url));
    // Completing without a decision breaks decision-required.
    browser.click("[data-form=status] button");
    let page = browser.wait_for("Choose a decision");
    let at = page.find("data-problem=\"decision\"").unwrap();
    assert!(page[at..at + 120].contains("Choose a decision: a completed experiment needs one."));
    assert!(page.contains("aria-invalid=\"true\""));
    assert_eq!(
        std::fs::read(&record).unwrap(),
        file,
        "the record is as it was"
    );
    assert_eq!(git(&site.repo, &["rev-parse", "HEAD"]), head, "no commit");
}

/// A branch and main each add notes, main is merged in twice (once cleanly, once with a
/// conflict settled by hand to a third value): the story shows the log in the order of `at`,
/// as `xp log` does, the clean merge folded away and the hand-settled one with its field.
#[test]
fn a_story_follows_the_log_order_and_folds_merges_that_change_nothing() {
    let mut env = TestEnv::repo();
    env.ok(&["init"]);
    let driver = format!("'{}' merge-driver %O %A %B %P", env!("CARGO_BIN_EXE_xp"));
    env.git(&["config", "merge.xp.driver", &driver]);
    env.git(&["add", ".gitattributes"]);
    env.git(&["commit", "-qm", "Merge experiment files with xp"]);
    let at = |env: &mut TestEnv, time: &str| env.now = format!("2026-03-01T{time}Z");
    at(&mut env, "09:00:00");
    env.new_cta();
    env.git(&["branch", "feature"]);
    at(&mut env, "10:00:00");
    env.ok(&["note", "homepage-cta-color", "A from main"]);
    env.git(&["checkout", "-q", "feature"]);
    at(&mut env, "11:00:00");
    env.ok(&["note", "homepage-cta-color", "B from feature"]);
    env.git(&["checkout", "-q", "main"]);
    at(&mut env, "12:00:00");
    env.ok(&["note", "homepage-cta-color", "C from main"]);
    at(&mut env, "13:00:00");
    env.ok(&["update", "homepage-cta-color", "--confidence", "10"]);
    env.git(&["checkout", "-q", "feature"]);
    // A clean merge: the driver joins the notes.
    env.git(&["merge", "-q", "--no-commit", "main~1"]);
    env.git(&[
        "commit",
        "-q",
        "--date",
        "2026-03-01T12:30:00Z",
        "-m",
        "Merge main into feature",
    ]);
    at(&mut env, "13:30:00");
    env.ok(&["update", "homepage-cta-color", "--confidence", "20"]);
    // Both sides changed the confidence: settled by hand at a third value.
    let run = env.git_run(&["merge", "-q", "--no-commit", "main"]);
    assert_ne!(run.code, 0, "a conflict: {}", run.stderr);
    let file = "experiments/homepage-cta-color.yaml";
    let text = env.read(file);
    let start = text.find("<<<<<<<").unwrap();
    let end = text[start..].find(">>>>>>>").unwrap() + start;
    let end = text[end..].find('\n').unwrap() + end + 1;
    env.write(
        file,
        &format!("{}confidence: 30\n{}", &text[..start], &text[end..]),
    );
    assert_eq!(env.xp(&["check"]).code, 0, "{}", env.read(file));
    env.git(&["add", file]);
    env.git(&[
        "commit",
        "-q",
        "--date",
        "2026-03-01T14:00:00Z",
        "-m",
        "Settle the confidence at 30",
    ]);

    let out = env.path("site");
    env.ok(&["site", "-o", out.to_str().unwrap()]);
    let site = std::fs::read_to_string(out.join("e/homepage-cta-color.html")).unwrap();
    let server = Served::start(&env, &env.root, &[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (status, _, served) = http(&addr, "GET", "/e/homepage-cta-color", None);
    assert_eq!(status, 200);
    for page in [&site, &served] {
        let confidence = |from: &str, to: &str| {
            format!(
                ">confidence</code>: <span class=\"from\">{from}</span> → <span class=\"to\">{to}</span>"
            )
        };
        // Newest first.
        let order = [
            "Settle the confidence at 30".to_owned(),
            confidence("20", "30"),
            confidence("0", "20"),
            confidence("0", "10"),
            "C from main".to_owned(),
            "B from feature".to_owned(),
            "A from main".to_owned(),
            "Created".to_owned(),
        ];
        let places: Vec<Option<usize>> = order.iter().map(|t| page.find(t.as_str())).collect();
        assert!(
            places.iter().all(Option::is_some) && places.is_sorted(),
            "the timeline is not in log order: {places:?}\n{page}"
        );
        assert!(!page.contains("Merge main into feature"), "{page}");
    }
    // The same order as `xp log`.
    let log = env.ok(&["log", "homepage-cta-color"]);
    let notes: Vec<usize> = ["A from main", "B from feature", "C from main"]
        .iter()
        .map(|n| log.find(n).unwrap())
        .collect();
    assert!(notes.is_sorted(), "{log}");
}

/// `xp site -o DIR` writes only into a folder that is new, empty or its own, and removes only
/// files it wrote itself; it refuses a file and a folder inside the experiments directory, as
/// `xp schema -o` refuses a file there.
#[test]
fn site_writes_only_where_it_may_and_removes_only_its_own_files() {
    let env = TestEnv::repo();
    env.new_cta();
    // A folder of someone else's is refused and left as it was.
    env.write("public/index.html", "<h1>Our own page</h1>");
    let run = env.xp(&["site", "-o", "public"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: public holds files that `xp site` did not write\nhint: name a new or empty \
             folder, so that nothing of yours is overwritten or removed"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(env.read("public/index.html"), "<h1>Our own page</h1>");
    assert_eq!(env.files_under("public").len(), 1);

    // A new folder, then the same folder again: its own files are rewritten, the user's kept,
    // and a story for an experiment that is gone (renamed here) removed.
    env.ok(&["site", "-o", "site"]);
    assert!(
        env.read("site/.xp-site")
            .lines()
            .any(|l| l == "e/homepage-cta-color.html")
    );
    env.write("site/e/about.html", "About us");
    env.write("site/notes.txt", "mine");
    env.git(&[
        "mv",
        "experiments/homepage-cta-color.yaml",
        "experiments/cta.yaml",
    ]);
    let run = env.xp(&["site", "-o", "site"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The old story, and the search index named by the old content.
    assert!(
        run.stderr.contains("(removed 2 file(s) it wrote before"),
        "{}",
        run.stderr
    );
    assert!(!env.path("site/e/homepage-cta-color.html").exists());
    assert!(env.path("site/e/cta.html").exists());
    assert_eq!(env.read("site/e/about.html"), "About us");
    assert_eq!(env.read("site/notes.txt"), "mine");
    assert!(!env.read("site/.xp-site").contains("homepage-cta-color"));

    // An empty folder is fine.
    std::fs::create_dir(env.path("empty")).unwrap();
    env.ok(&["site", "-o", "empty"]);
    assert!(env.path("empty/index.html").exists());

    // A file, and a folder inside the experiments directory, are refused with a hint.
    env.write("report.html", "x");
    let run = env.xp(&["site", "-o", "report.html"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            1,
            "error: report.html is a file, not a folder\nhint: name a new or empty folder for \
             the site, e.g. `xp site -o site`\n"
        )
    );
    assert_eq!(env.read("report.html"), "x");
    let run = env.xp(&["site", "-o", "experiments/site"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            1,
            "error: experiments/site is inside the experiments directory, where every file is a \
             record\nhint: write the site elsewhere, e.g. `xp site -o site` beside the \
             experiments directory\n"
        )
    );
    assert!(!env.path("experiments/site").exists());
    let run = env.xp(&["schema", "-o", "experiments/schema.json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: experiments/schema.json is inside the experiments directory, where every \
             file is a record\nhint: "
        ),
        "{}",
        run.stderr
    );
    assert!(!env.path("experiments/schema.json").exists());
    env.ok(&["schema", "-o", "schema/experiment.json"]);
}

#[test]
fn site_run_again_replaces_only_the_pages_that_changed() {
    use std::os::unix::fs::MetadataExt;
    let env = TestEnv::repo();
    env.new_cta();
    env.experiment("Checkout copy").create();
    env.ok(&["site", "-o", "site"]);
    let inode = |rel: &str| std::fs::metadata(env.path(rel)).unwrap().ino();
    let (cta, checkout) = (
        inode("site/e/homepage-cta-color.html"),
        inode("site/e/checkout-copy.html"),
    );
    let story = env.read("site/e/checkout-copy.html");

    // A note on one experiment: its story is written anew, the other's left as it was.
    env.ok(&["note", "checkout-copy", "Copy reviewed"]);
    env.ok(&["site", "-o", "site"]);
    assert_eq!(inode("site/e/homepage-cta-color.html"), cta);
    assert_ne!(inode("site/e/checkout-copy.html"), checkout);
    assert_ne!(env.read("site/e/checkout-copy.html"), story);
    assert!(
        env.read("site/e/checkout-copy.html")
            .contains("Copy reviewed")
    );

    // A page changed by hand is written again.
    env.write("site/e/homepage-cta-color.html", "changed by hand");
    env.ok(&["site", "-o", "site"]);
    assert!(
        env.read("site/e/homepage-cta-color.html")
            .contains("Homepage CTA Color")
    );
}

/// A repository of `n` experiments written as files in one commit: statuses in turn, owners
/// from a short list, an observed value on the completed and shipped ones.
fn many(n: usize) -> TestEnv {
    let env = TestEnv::repo();
    let statuses = ["draft", "running", "completed", "shipped", "killed"];
    let owners = ["ann", "bo", "cy"];
    for i in 0..n {
        let status = statuses[i % statuses.len()];
        let (decision, observed) = match status {
            "completed" | "shipped" => (
                "ship",
                format!("observed: {}\n", 3.0 + (i % 9) as f64 / 10.0),
            ),
            "killed" => ("kill", String::new()),
            _ => ("null", String::new()),
        };
        let text = format!(
            "id: {i:08x}-0000-4000-8000-000000000000\ntitle: Experiment {i:03}\nhypothesis: H{i}\n\
             primary_metric: m{}\nbaseline: 3.2\ntarget: 3.7\nstatus: {status}\nconfidence: 0\n\
             decision: {decision}\nlearning: null\nowner: {}\n{observed}decision_log:\n\
             - at: 2026-02-{:02}T10:{:02}:00.000Z\n  note: Step {i}\n",
            i % 4,
            owners[i % owners.len()],
            1 + i / 60,
            i % 60,
        );
        env.write(&format!("experiments/e{i:03}.yaml"), &text);
    }
    env.git(&["add", "experiments"]);
    env.git(&["commit", "-qm", "Many experiments"]);
    let run = env.xp(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    env
}

/// The titles of the table's rows, in order.
fn table_titles(html: &str) -> Vec<String> {
    let Some(body) = html.split("<tbody").nth(1) else {
        return Vec::new();
    };
    let body = body.split("</tbody>").next().unwrap();
    body.split("class=\"c-title\"")
        .skip(1)
        .filter_map(|s| s.split("\">").nth(1)?.split("</a>").next())
        .map(str::to_owned)
        .collect()
}

/// A large board opens as a table: status tabs with counts, one line per experiment, sorted
/// by the column asked for, paged; all of it plain links that work without the script.
#[test]
fn a_large_board_is_a_sortable_table_with_status_tabs() {
    let env = many(250);
    let server = Served::start(&env, &env.root, &[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (status, _, page) = http(&addr, "GET", "/", None);
    assert_eq!(status, 200);
    for tab in [
        "aria-current=\"page\">All <span class=\"count\">250</span>",
        ">Draft <span class=\"count\">50</span>",
        ">Killed <span class=\"count\">50</span>",
    ] {
        assert!(page.contains(tab), "no {tab:?}");
    }
    let rows = table_titles(&page);
    assert_eq!(rows.len(), 200, "a page of rows");
    assert_eq!(rows[0], "Experiment 249", "most recently updated first");
    assert!(page.contains("Page 1 of 2") && page.contains("href=\"./?page=2\""));
    assert!(!page.contains("class=\"card\""), "no cards");

    // Sorted by title, then the other way round by the same link.
    let (_, _, page) = http(&addr, "GET", "/?sort=title", None);
    let rows = table_titles(&page);
    assert_eq!(
        &rows[..3],
        ["Experiment 000", "Experiment 001", "Experiment 002"]
    );
    assert!(page.contains("aria-sort=\"ascending\""));
    assert!(
        page.contains("href=\"./?sort=title&amp;dir=desc\""),
        "the header turns it round"
    );
    let (_, _, page) = http(&addr, "GET", "/?sort=title&dir=desc", None);
    assert_eq!(table_titles(&page)[0], "Experiment 249");

    // A tab narrows to one status, the filters kept in its links; a result sorts best first.
    let (_, _, page) = http(&addr, "GET", "/?status=shipped&owner=ann&sort=result", None);
    let rows = table_titles(&page);
    assert!(!rows.is_empty() && rows.len() < 50, "{rows:?}");
    assert!(rows.iter().all(|t| {
        let n: usize = t[11..].parse().unwrap();
        n % 5 == 3 && n.is_multiple_of(3)
    }));
    let n: usize = rows[0][11..].parse().unwrap();
    assert_eq!(n % 9, 6, "the best lift first: {rows:?}");
    assert!(page.contains("3.6 · +12.5% better"));
    assert!(
        page.contains("href=\"./?status=killed&amp;sort=result&amp;owner=ann\""),
        "tabs keep sort and filters"
    );

    // The cards are one link away.
    let (_, _, page) = http(&addr, "GET", "/?view=cards", None);
    assert!(page.contains("class=\"card\"") && !page.contains("<table"));

    // A page the browser holds is not sent again.
    let (_, head, _) = http(&addr, "GET", "/?sort=owner", None);
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .expect("an etag")
        .replacen("w/", "W/", 1);
    let (status, head, body) = get_with(&addr, "/?sort=owner", &format!("If-None-Match: {etag}"));
    assert_eq!((status, body.as_str()), (304, ""));
    assert!(head.contains(&format!("etag: {}", etag.to_lowercase())));
    let (status, _, body) = get_with(&addr, "/?sort=title", &format!("If-None-Match: {etag}"));
    assert_eq!(status, 200);
    assert!(!body.is_empty());

    // The static site opens on the same table, its pages and tabs as files.
    env.ok(&["site", "-o", "site"]);
    let index = env.read("site/index.html");
    assert_eq!(table_titles(&index).len(), 200);
    assert_eq!(table_titles(&index)[0], "Experiment 249");
    assert!(
        index.contains("<a rel=\"next\" href=\"table-2.html\">"),
        "{index}"
    );
    assert!(index.contains("href=\"killed.html\">Killed <span class=\"count\">50</span>"));
    let last = env.read("site/table-2.html");
    assert_eq!(table_titles(&last).len(), 50);
    assert_eq!(table_titles(&env.read("site/killed.html")).len(), 50);
    assert!(env.read("site/cards.html").contains("class=\"card\""));
}

/// The table in a browser: no horizontal scroll on a phone, and pictures to look at.
#[test]
fn the_table_fits_a_phone_and_a_desktop() {
    let env = many(120);
    let server = Served::start(&env, &env.root, &[]);
    let browser = Browser::start();
    for (width, height, name) in [
        (1280, 900, "table-desktop.png"),
        (390, 844, "table-phone.png"),
    ] {
        browser.call(
            "POST",
            "/window/rect",
            serde_json::json!({"width": width, "height": height}),
        );
        browser.open(&format!("{}/", server.url));
        let inner = browser.script("return window.innerWidth");
        let scroll = browser.script("return document.documentElement.scrollWidth");
        assert!(
            scroll.as_u64().unwrap() <= inner.as_u64().unwrap(),
            "{name}: the page scrolls sideways ({scroll} > {inner})"
        );
        let rows = browser.script("return document.querySelectorAll('tbody tr').length");
        assert_eq!(rows, 120);
        screenshot(&format!("{}/", server.url), name, width, height, false);
    }
}

/// The story's summary on a desktop and on the narrowest phones: the sample's long value takes
/// two cells' room and stays on one line where there is room, and the page never scrolls
/// sideways.
#[test]
fn the_story_summary_fits_a_desktop_and_a_small_phone() {
    let site = demo_site();
    let story = url(&site.out.join("e/homepage-cta-color.html"), "");
    let browser = Browser::start();
    for (width, one_line) in [(1280, true), (390, false), (320, false)] {
        // The viewport itself, as a phone has it (a window is never narrower than 500 px).
        browser.call(
            "POST",
            "/goog/cdp/execute",
            serde_json::json!({ "cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500 } }),
        );
        browser.open(&story);
        let inner = browser.script("return window.innerWidth");
        assert_eq!(inner, width);
        let scroll = browser.script("return document.documentElement.scrollWidth");
        assert!(
            scroll.as_u64().unwrap() <= inner.as_u64().unwrap(),
            "{width}: the story scrolls sideways ({scroll} > {inner})"
        );
        let lines = browser.script(
            "var dd = [...document.querySelectorAll('.summary dt')] \
               .find(function (dt) { return dt.textContent === 'Sample'; }).nextElementSibling; \
             return Math.round(dd.getBoundingClientRect().height \
               / parseFloat(getComputedStyle(dd).lineHeight));",
        );
        if one_line {
            assert_eq!(lines, 1, "{width}: the sample wraps");
        }
    }
}

/// The text of the element whose opening tag holds `marker`, tags and all.
fn element<'a>(html: &'a str, marker: &str, tag: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker:?}"));
    let start = html[..at].rfind(&format!("<{tag}")).unwrap();
    let end = html[at..].find(&format!("</{tag}>")).unwrap() + at;
    &html[start..end]
}

/// The result comes first: on each card with an observed value its verdict, the value and the
/// lift; at the top of the story the same with every derived value; a draft's card says no
/// confidence or decision it does not have.
#[test]
fn results_show_first_on_cards_and_stories() {
    let site = demo_site();
    let dom = dump(&url(&site.out.join("cards.html"), ""));
    let card = |title: &str| element(&dom, &format!(">{title}</a>"), "article").to_owned();
    let cta = card("Homepage CTA Color");
    assert!(
        cta.contains(
            "<p class=\"result-line\"><span class=\"badge res-won\" title=\"target met\">won</span> \
             <span class=\"nums\">3.712 · +16.0% better</span></p>"
        ),
        "{cta}"
    );
    let shipping = card("Free shipping threshold");
    assert!(shipping.contains(">inconclusive</span> <span class=\"nums\">44.1 · +5.0% better"));
    let video = card("Onboarding video");
    assert!(
        video.contains(">lost</span> <span class=\"nums\">38.5 · -6.1% worse"),
        "{video}"
    );
    let draft = card("Annual plan discount");
    assert!(
        !draft.contains("Confidence")
            && !draft.contains("Decision")
            && !draft.contains("result-line"),
        "{draft}"
    );
    assert!(draft.contains("<dt>Owner</dt><dd>dave</dd>"), "{draft}");

    let story = dump(&url(&site.out.join("e/homepage-cta-color.html"), ""));
    let result = element(&story, "id=\"h-result\"", "section");
    for text in [
        ">won</span>",
        "Target met: observed <strong class=\"nums\">3.712</strong> against a baseline of",
        "<dt>Observed</dt><dd class=\"nums\">3.712</dd>",
        "<dt>Lift</dt><dd class=\"nums\">+16.0% better</dd>",
        "<dt>Target met</dt><dd class=\"nums\">yes</dd>",
    ] {
        assert!(result.contains(text), "no {text:?} in {result}");
    }
    let at = |t: &str| story.find(t).unwrap_or_else(|| panic!("no {t}"));
    assert!(at("h-result") < at("class=\"summary\"") && at("class=\"summary\"") < at("h-log"));
}

/// A served story: the decision log before the forms, newest first; after a note the focus is
/// on the message that says it was saved; after a refusal, on the field in error, whose
/// problem it is described by.
#[test]
fn the_story_puts_the_log_first_and_moves_focus_after_a_submit() {
    let site = demo_site();
    let server = Served::start(&site.env, &site.repo, &[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (_, _, page) = http(&addr, "GET", "/e/checkout-one-page-flow", None);
    assert!(page.find("id=\"h-log\"").unwrap() < page.find("data-actions").unwrap());
    let rolled = page.find("Rolled out to half of EU traffic").unwrap();
    assert!(
        page.find("71</span>").unwrap() < rolled,
        "the newest step first"
    );

    let browser = Browser::start();
    browser.open(&format!("{}/e/checkout-one-page-flow", server.url));
    browser.click("[data-form=status] button");
    browser.wait_for("Choose a decision");
    assert_eq!(
        browser.script("return document.activeElement.id"),
        "s-decision"
    );
    assert_eq!(
        browser.script("return document.activeElement.getAttribute('aria-describedby')"),
        "s-decision-problem"
    );
    browser.type_into("#n-note", "Checked with finance");
    browser.click("[data-form=note] button");
    browser.wait_for("Note added and committed.");
    assert_eq!(
        browser.script("return document.activeElement.textContent"),
        "Note added and committed."
    );
}

/// An unknown story is a page that says so in words and offers the closest ones; any other
/// unknown path is a page for a browser and FastAPI's JSON for an API client.
#[test]
fn unknown_pages_are_pages_for_browsers_and_json_for_clients() {
    let site = demo_site();
    let server = Served::start(&site.env, &site.repo, &[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (status, head, page) = http(&addr, "GET", "/e/homepage-cta", None);
    assert_eq!(status, 404);
    assert!(head.contains("content-type: text/html"));
    assert!(!page.contains('`'), "{page}");
    assert!(
        page.contains("No experiment is called “homepage-cta”."),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"/e/homepage-cta-color\">Homepage CTA Color</a>"),
        "{page}"
    );
    let (status, head, page) = get_accepting(&addr, "/no/such/page", "text/html,*/*;q=0.8");
    assert_eq!(status, 404);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(page.contains("<h1>Not found</h1>") && page.contains("href=\"/\""));
    let (status, _, body) = get_accepting(&addr, "/no/such/page", "application/json");
    assert_eq!((status, body.as_str()), (404, "{\"detail\":\"Not Found\"}"));
    let (status, _, body) = http(&addr, "GET", "/no/such/page", None);
    assert_eq!((status, body.as_str()), (404, "{\"detail\":\"Not Found\"}"));
}

/// A GET with an `Accept` header: (status, head in lower case, body).
fn get_accepting(addr: &str, path: &str, accept: &str) -> (u16, String, String) {
    get_with(addr, path, &format!("Accept: {accept}"))
}

/// A GET with one more header line: (status, head in lower case, body).
fn get_with(addr: &str, path: &str, line: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{line}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, head.to_ascii_lowercase(), body)
}

/// Static pages: a policy a `<meta>` tag can carry (no `frame-ancestors`), an inline icon
/// (no request that fails), and the filters' place kept while the script loads.
#[test]
fn static_pages_carry_a_meta_policy_an_icon_and_reserve_the_filters() {
    let site = demo_site();
    for rel in [
        "index.html",
        "table.html",
        "draft.html",
        "e/homepage-cta-color.html",
    ] {
        let text = std::fs::read_to_string(site.out.join(rel)).unwrap();
        let at = text.find("http-equiv=\"Content-Security-Policy\"").unwrap();
        let meta = &text[at..at + text[at..].find('>').unwrap()];
        assert!(!meta.contains("frame-ancestors"), "{rel}: {meta}");
        assert!(
            text.contains("<link rel=\"icon\" href=\"data:image/svg+xml,"),
            "{rel}"
        );
        if !rel.starts_with("e/") {
            assert!(
                text.contains("data-filters=\"\" data-index=\"assets/index-")
                    && text.contains(".js\" data-pending"),
                "{rel}"
            );
        }
    }
    // The served pages say frame-ancestors in the header, where it counts.
    let server = Served::start(&site.env, &site.repo, &[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (_, head, page) = http(&addr, "GET", "/", None);
    assert!(head.contains("frame-ancestors 'none'") && !page.contains("http-equiv"));
}

/// The static table: a page per status, filtered by the script from the search index.
#[test]
fn the_static_table_filters_its_rows_from_the_index() {
    let site = demo_site();
    let dom = dump(&url(&site.out.join("table.html"), "?owner=carol"));
    assert_eq!(
        table_titles(&dom),
        ["Free shipping threshold", "Checkout one-page flow"]
    );
    assert!(dom.contains("data-live=\"\">2 experiments match<"));
    let dom = dump(&url(&site.out.join("killed.html"), ""));
    assert_eq!(
        table_titles(&dom),
        ["Onboarding video", "Onboarding checklist"]
    );
    assert!(dom.contains("aria-current=\"page\">Killed <span class=\"count\">2</span>"));
    // A draft whose log is still empty has no time to show: a dash says so, as for no owner.
    let drafts = std::fs::read_to_string(site.out.join("draft.html")).unwrap();
    let draft = drafts
        .split("<tr")
        .find(|r| r.contains(">Annual plan discount<"))
        .unwrap();
    assert!(
        draft.contains("data-label=\"Updated\"><span class=\"muted\">—</span></td>"),
        "{draft}"
    );
    let dom = dump(&url(&site.out.join("table.html"), "?q=nothing-like-this"));
    assert!(dom.contains("data-live=\"\">No experiment matches<"));
    assert!(
        dom.contains("data-shown=\"\">Nothing matches “nothing-like-this”."),
        "{dom}"
    );
    assert!(table_titles(&dom).is_empty());
    // The words found are marked in the titles, and the count is shown.
    let dom = dump(&url(&site.out.join("index.html"), "?q=checkout"));
    assert!(dom.contains("<mark>Checkout</mark> one-page flow"), "{dom}");
    assert!(dom.contains("experiments match “checkout”</p>"), "{dom}");
    let dom = dump(&url(&site.out.join("index.html"), "?q=%3Cscript"));
    assert!(dom.contains("<mark>&lt;script</mark>&gt;alert(1)"), "{dom}");
}
#[test]
fn a_browser_signs_in_once_with_the_token_and_then_reads_and_writes() {
    let site = demo_site();
    let token = "board-token-0123456789";
    let server = Served::start(&site.env, &site.repo, &["--token", token]);
    let browser = Browser::start();
    let before = git(&site.repo, &["rev-list", "--count", "HEAD"]);
    browser.open(&format!("{}/e/homepage-cta-color", server.url));
    browser.wait_for("guarded by a token");
    browser.type_into("#token", "not-the-token-at-all");
    browser.click("form button");
    browser.wait_for("That is not this server");
    browser.type_into("#token", token);
    browser.click("form button");
    // Back where the person was going, signed in; the form's writes carry the cookie.
    browser.wait_for("Launched to 10% of users");
    browser.type_into("#n-note", "Signed in from the page");
    browser.click("[data-form=note] button");
    browser.wait_for("Note added and committed.");
    let after = git(&site.repo, &["rev-list", "--count", "HEAD"]);
    assert_eq!(
        after.trim().parse::<u32>().unwrap(),
        before.trim().parse::<u32>().unwrap() + 1
    );
}

/// A story's forms send the version the page shows: when the record changed since the page
/// was loaded, the change is refused (412), the page says so and keeps what was typed, and
/// offers the latest version, from which the change goes through.
#[test]
fn a_stale_form_is_refused_and_keeps_what_was_typed() {
    let site = demo_site();
    let server = Served::start(&site.env, &site.repo, &[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (_, head, _) = http(&addr, "GET", "/experiments/checkout-one-page-flow", None);
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .unwrap()
        .trim()
        .to_owned();
    let (_, _, page) = http(&addr, "GET", "/e/checkout-one-page-flow", None);
    assert!(
        page.contains(&format!("data-etag=\"{}\"", etag.replace('"', "&quot;"))),
        "the page carries the record's version {etag}"
    );

    let browser = Browser::start();
    browser.open(&format!("{}/e/checkout-one-page-flow", server.url));
    // Someone else changes the record after the page was loaded.
    let run = site.env.xp_in(
        &site.repo,
        &["update", "checkout-one-page-flow", "--owner", "dave"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = site.repo.join("experiments/checkout-one-page-flow.yaml");
    let file = std::fs::read(&record).unwrap();
    browser.script(
        "var s = document.getElementById('s-status'); s.value = 'killed'; \
         s.dispatchEvent(new Event('change', {bubbles: true}));",
    );
    browser.type_into("#s-note", "No lift after two weeks");
    browser.click("[data-form=status] button[type=submit]");
    browser.wait_for("changed since this page was loaded");
    assert_eq!(std::fs::read(&record).unwrap(), file, "nothing written");
    assert_eq!(
        browser.script("return document.getElementById('s-note').value"),
        "No lift after two weeks"
    );
    assert_eq!(
        browser.script("return document.activeElement.getAttribute('data-problem')"),
        ""
    );
    browser.click("[data-reload]");
    browser.wait_for("This is the latest version");
    let page = browser.source();
    assert!(page.contains("dave"), "the latest version shows");
    assert_eq!(
        browser.script("return [document.getElementById('s-status').value, document.getElementById('s-note').value]"),
        serde_json::json!(["killed", "No lift after two weeks"])
    );
    browser.click("[data-form=status] button[type=submit]");
    browser.wait_for("Status moved and committed.");
    let text = std::fs::read_to_string(&record).unwrap();
    assert!(
        text.contains("status: killed") && text.contains("owner: dave"),
        "{text}"
    );
}

/// A served board searches on the server, ranked as `xp search` ranks: the count, the words
/// marked in titles and in where they matched (escaped), best match first, and a line that
/// says when nothing matches.
#[test]
fn a_served_search_counts_marks_and_says_when_nothing_matches() {
    let site = demo_site();
    let server = Served::start(&site.env, &site.repo, &[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (status, _, page) = http(&addr, "GET", "/?q=eu", None);
    assert_eq!(status, 200);
    assert!(
        page.contains("<strong>2</strong> experiments match “eu”, best match first"),
        "{page}"
    );
    assert!(
        page.contains("Rolled out to half of <mark>EU</mark> traffic</p>"),
        "{page}"
    );
    // Stems match: "checkouts" finds "checkout", marked in the title.
    let (_, _, page) = http(&addr, "GET", "/?view=table&q=checkouts", None);
    assert!(
        page.contains("<mark>Checkout</mark> one-page flow"),
        "{page}"
    );
    let titles = table_titles(&page);
    assert_eq!(
        titles.first().map(String::as_str),
        Some("<mark>Checkout</mark> one-page flow"),
        "{titles:?}"
    );
    assert!(page.contains("best match first"));
    // Record text and the query are escaped.
    let (_, _, page) = http(&addr, "GET", "/?q=script", None);
    assert!(
        page.contains("&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"),
        "{page}"
    );
    let (_, _, page) = http(&addr, "GET", "/?q=%3Czzqx%3Eyyqz", None);
    assert!(
        page.contains("Nothing matches “&lt;zzqx&gt;yyqz”."),
        "{page}"
    );
    assert!(!page.contains("<zzqx>"));
}

/// The first step of a story's timeline, as the page shows it.
fn first_step(html: &str) -> &str {
    let at = html.find("data-timeline").unwrap();
    let from = at + html[at..].find("<li").unwrap();
    let to = from + html[from..].find("</li>").unwrap();
    &html[from..to]
}

/// The timeline turns around, with a link that works without the script (served), in place
/// with it, and from `?order=oldest` in the static site; a refused form's problems are said
/// at once in a live region.
#[test]
fn the_timeline_turns_around_and_problems_are_announced() {
    let site = demo_site();
    let server = Served::start(&site.env, &site.repo, &[]);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (_, _, page) = http(&addr, "GET", "/e/checkout-one-page-flow", None);
    assert!(first_step(&page).contains("71</span>"), "newest first");
    assert!(page.contains("href=\"?order=oldest\">Show oldest first</a>"));
    let (_, _, page) = http(&addr, "GET", "/e/checkout-one-page-flow?order=oldest", None);
    assert!(
        first_step(&page).contains("Created"),
        "{}",
        first_step(&page)
    );
    assert!(page.contains("href=\"?order=newest\">Show newest first</a>"));

    let browser = Browser::start();
    browser.open(&format!("{}/e/checkout-one-page-flow", server.url));
    browser.click("[data-order-toggle]");
    let page = browser.wait_for("Show newest first");
    assert!(
        first_step(&page).contains("Created"),
        "{}",
        first_step(&page)
    );
    assert_eq!(browser.script("return location.search"), "?order=oldest");
    browser.click("[data-order-toggle]");
    let page = browser.wait_for("Show oldest first");
    assert!(first_step(&page).contains("71</span>"));

    browser.click("[data-form=status] button[type=submit]");
    browser.wait_for("Not saved. Choose a decision");
    let region = browser.script(
        "var r = document.querySelector('[data-form=status] [data-announce]'); \
         return [r.getAttribute('aria-live'), r.textContent]",
    );
    assert_eq!(
        region,
        serde_json::json!([
            "assertive",
            "Not saved. Choose a decision: a completed experiment needs one."
        ])
    );

    let dom = dump(&url(
        &site.out.join("e/checkout-one-page-flow.html"),
        "?order=oldest",
    ));
    assert!(first_step(&dom).contains("Created"), "{}", first_step(&dom));
}

/// axe-core's script, from its npm package: installed under `target/axe-core` when missing
/// (with `npm`); a test that needs it fails, saying how to install it, when it cannot be had.
fn axe_source() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/axe-core");
    let file = dir.join("node_modules/axe-core/axe.min.js");
    if !file.exists() {
        static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
        if !file.exists() {
            std::fs::create_dir_all(&dir).unwrap();
            let _ = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .arg("axe-core@4")
                .output();
        }
    }
    std::fs::read_to_string(&file).unwrap_or_else(|_| {
        panic!(
            "the accessibility test needs axe-core: `npm install --prefix {} axe-core@4`",
            dir.display()
        )
    })
}

impl Browser {
    /// axe-core's violations on the page open now, one line each: rule, impact, where.
    fn axe(&self, source: &str) -> Vec<String> {
        self.script(&format!("{source}\nreturn true;"));
        let found = self.call(
            "POST",
            "/execute/async",
            serde_json::json!({ "script": "var done = arguments[arguments.length - 1]; \
                axe.run(document, { resultTypes: ['violations'] }).then(function (r) { \
                  done({ passes: r.passes.length, violations: r.violations.map(function (v) { \
                    return v.id + ' (' + v.impact + '): ' + \
                    v.nodes.map(function (n) { return n.target.join(' ') + ' ' + \
                      (n.failureSummary || '').replace(/\\s+/g, ' '); }).join(' | '); }) }); \
                }, function (e) { done({ passes: 0, violations: ['axe failed: ' + e] }); });", "args": [] }),
        );
        // axe ran its rules: some passed.
        assert!(found["passes"].as_u64() > Some(5), "{found}");
        found["violations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// axe-core finds no violation on the demo's board (cards and table), a search, a story (its
/// forms shown) and the 404 page, served; nor on the static board and a static story; in the
/// light and the dark scheme.
#[test]
fn axe_finds_no_accessibility_violations() {
    let source = axe_source();
    let site = demo_site();
    let server = Served::start(&site.env, &site.repo, &[]);
    let browser = Browser::start();
    let mut found = Vec::new();
    let pages = [
        format!("{}/?view=cards", server.url),
        format!("{}/?view=table", server.url),
        format!("{}/?view=table&q=checkout", server.url),
        format!("{}/?q=nothing-like-this-anywhere", server.url),
        format!("{}/e/checkout-one-page-flow", server.url),
        format!("{}/e/homepage-cta", server.url),
        url(&site.out.join("index.html"), "?q=checkout"),
        url(&site.out.join("table.html"), ""),
        url(&site.out.join("e/homepage-cta-color.html"), ""),
    ];
    for scheme in ["light", "dark"] {
        browser.call(
            "POST",
            "/goog/cdp/execute",
            serde_json::json!({ "cmd": "Emulation.setEmulatedMedia", "params": {
                "features": [{ "name": "prefers-color-scheme", "value": scheme }] } }),
        );
        for page in &pages {
            browser.open(page);
            assert_eq!(
                browser.script("return matchMedia('(prefers-color-scheme: dark)').matches"),
                scheme == "dark"
            );
            for v in browser.axe(&source) {
                found.push(format!("{scheme} {page}: {v}"));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// Each story of `xp site` is the page its whole history makes, byte for byte, however the
/// site gathers the histories: the pages are pinned as the site wrote them when it still held
/// every history at once. The repository has notes from xp and from plain commits, a record
/// renamed, one deleted and made again, a plan amended after it ran, and a merge that set a
/// field itself.
#[test]
fn site_stories_are_the_pages_their_histories_make() {
    let mut env = TestEnv::repo();
    env.pin_ids();
    env.new_cta();
    env.ok(&["note", "homepage-cta-color", "Kickoff", "--who", "alice"]);
    env.ok(&["update", "homepage-cta-color", "--status", "running"]);
    env.ok(&[
        "update",
        "homepage-cta-color",
        "--target",
        "3.9",
        "--amend",
        "Target raised after the first week",
    ]);
    env.experiment("Checkout one page").create();
    env.experiment("Pricing page copy").create();
    env.experiment("Onboarding emails").create();
    // Renamed by hand, then noted under its new name.
    env.git(&[
        "mv",
        "experiments/checkout-one-page.yaml",
        "experiments/checkout-single-page.yaml",
    ]);
    env.git(&["commit", "-q", "-m", "Shorter name"]);
    env.ok(&["note", "checkout-single-page", "Renamed, same test"]);
    // Deleted, then made again from its last version with an entry added by hand.
    let text = env.read("experiments/pricing-page-copy.yaml");
    env.git(&["rm", "-q", "experiments/pricing-page-copy.yaml"]);
    env.git(&["commit", "-q", "-m", "Drop pricing for now"]);
    env.write(
        "experiments/pricing-page-copy.yaml",
        &format!("{text}  - at: 2026-02-22T12:00:00Z\n    note: Back on the roadmap\n"),
    );
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "Pricing is back"]);
    // Two branches note on the same record; the merge sets the title to a third value.
    env.git(&["checkout", "-q", "-b", "side"]);
    env.ok(&["note", "onboarding-emails", "From the side"]);
    env.git(&["checkout", "-q", "main"]);
    env.ok(&["note", "homepage-cta-color", "From main"]);
    env.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    let merged = env
        .read("experiments/onboarding-emails.yaml")
        .replace("title: Onboarding emails", "title: Onboarding email series");
    env.write("experiments/onboarding-emails.yaml", &merged);
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "-m", "Merge side"]);
    env.ok(&["site", "-o", "site"]);

    let stories = [
        "homepage-cta-color",
        "checkout-single-page",
        "pricing-page-copy",
        "onboarding-emails",
    ];
    let written: Vec<String> = env
        .files_under("site/e")
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    let mut wanted: Vec<String> = stories.iter().map(|s| format!("site/e/{s}.html")).collect();
    wanted.sort();
    assert_eq!(written, wanted);
    for slug in stories {
        insta::assert_snapshot!(
            format!("site_story_{slug}"),
            env.read(&format!("site/e/{slug}.html"))
        );
    }
}

/// The static site's search index is small (no card in it), named by its content so that a
/// browser may keep it, loaded by no page until the first search, and replaced (the old one
/// removed) when the experiments change.
#[test]
fn site_search_index_is_named_by_its_content_and_loaded_on_the_first_search() {
    let env = TestEnv::repo();
    env.new_cta();
    env.experiment("Checkout one page").create();
    env.ok(&["site", "-o", "site"]);
    let index_of = |env: &TestEnv| -> String {
        let board = env.read("site/index.html");
        let at = board.find("data-index=\"").unwrap() + "data-index=\"".len();
        board[at..at + board[at..].find('"').unwrap()].to_owned()
    };
    let name = index_of(&env);
    let hex = name
        .strip_prefix("assets/index-")
        .and_then(|n| n.strip_suffix(".js"))
        .unwrap_or_else(|| panic!("{name}"));
    assert!(
        hex.len() == 10 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );
    assert!(!env.path("site/assets/index.js").exists());
    for page in ["index.html", "table.html", "draft.html"] {
        let text = env.read(&format!("site/{page}"));
        assert!(
            !text.contains("<script src=\"assets/index"),
            "{page} loads the index"
        );
    }
    let index = env.read(&format!("site/{name}"));
    assert!(index.starts_with("window.XP_INDEX = [["), "{index}");
    assert!(!index.contains("<article"), "{index}");
    assert!(index.contains("\"homepage-cta-color\",\"Homepage CTA Color\",\"draft\""));
    assert!(env.read("site/.xp-site").lines().any(|l| l == name));

    // The same commit gives the same name; a change gives another, and the old file goes.
    env.ok(&["site", "-o", "site"]);
    assert_eq!(index_of(&env), name);
    env.ok(&["note", "homepage-cta-color", "Kickoff"]);
    env.ok(&["site", "-o", "site"]);
    let again = index_of(&env);
    assert_ne!(again, name);
    assert!(env.path(&format!("site/{again}")).exists());
    assert!(!env.path(&format!("site/{name}")).exists());
}
