//! `xp demo`: walks the origin service's story in a scratch repository, printing each command
//! and what it printed.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use crate::env::Env;
use crate::error::Error;
use crate::git;
use crate::ops;
use crate::ops::workspace::Workspace;
use crate::time::{format_time, parse_time};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Build the demo repository here (must not exist yet) instead of a temporary directory
    #[arg(long, value_name = "DIR")]
    pub path: Option<std::path::PathBuf>,
}

/// The steps of the story, each an `xp` command line with the author of its commit.
const STORY: &[(&str, &[&str])] = &[
    ("alice", &["init"]),
    (
        "alice",
        &[
            "new",
            "--title",
            "Homepage CTA Color",
            "--hypothesis",
            "Changing CTA button from blue to green increases signups by 15%",
            "--metric",
            "signup_rate",
            "--baseline",
            "3.2",
            "--target",
            "3.7",
        ],
    ),
    (
        "alice",
        &[
            "note",
            "homepage-cta-color",
            "Launched to 10% of users",
            "--who",
            "alice",
        ],
    ),
    (
        "bob",
        &[
            "note",
            "homepage-cta-color",
            "p-value dropped below 0.05 after 3 days",
            "--who",
            "bob",
        ],
    ),
    (
        "alice",
        &["update", "homepage-cta-color", "--status", "running"],
    ),
    (
        "bob",
        &[
            "result",
            "homepage-cta-color",
            "--variant",
            "blue=10000/320",
            "--variant",
            "green=10000/371",
            "--source",
            "https://dashboard.example/experiments/homepage-cta-color",
            "--who",
            "bob",
        ],
    ),
    (
        "alice",
        &[
            "update",
            "homepage-cta-color",
            "--status",
            "completed",
            "--decision",
            "ship",
            "--confidence",
            "96",
            "--learning",
            "Green CTA outperformed blue by 16% on signups",
            "-m",
            "Significant at 96% confidence",
            "--who",
            "alice",
        ],
    ),
    (
        "bob",
        &[
            "update",
            "homepage-cta-color",
            "--status",
            "shipped",
            "--observed",
            "3.712",
        ],
    ),
    // A few more, in every other status, so that the board shows what it is for.
    (
        "carol",
        &[
            "new",
            "--title",
            "Free shipping threshold",
            "--hypothesis",
            "Free shipping from 50 EUR raises the average order value",
            "--metric",
            "avg_order_value",
            "--baseline",
            "42",
            "--target",
            "46",
            "--owner",
            "carol",
            "--tag",
            "checkout",
        ],
    ),
    (
        "carol",
        &[
            "update",
            "free-shipping-threshold",
            "--status",
            "running",
            "-m",
            "Live for all EU visitors",
        ],
    ),
    (
        "carol",
        &[
            "update",
            "free-shipping-threshold",
            "--status",
            "completed",
            "--decision",
            "iterate",
            "--confidence",
            "88",
            "--observed",
            "44.1",
            "--learning",
            "Orders grew, but less than hoped; try 40 EUR next",
            "-m",
            "Better than the baseline, short of the target",
        ],
    ),
    (
        "bob",
        &[
            "new",
            "--title",
            "Onboarding video",
            "--hypothesis",
            "A 60-second video on first login raises week-one activation",
            "--metric",
            "activation_w1",
            "--baseline",
            "41",
            "--target",
            "45",
            "--owner",
            "bob",
            "--tag",
            "onboarding",
        ],
    ),
    (
        "bob",
        &["update", "onboarding-video", "--status", "running"],
    ),
    (
        "bob",
        &[
            "update",
            "onboarding-video",
            "--status",
            "killed",
            "--observed",
            "38.5",
            "--learning",
            "People skip videos on first login; activation fell, so show the checklist instead",
            "-m",
            "Activation dropped in the first week",
        ],
    ),
    (
        "alice",
        &[
            "new",
            "--title",
            "Search suggestions",
            "--hypothesis",
            "Suggestions while typing shorten the time to the first search result",
            "--metric",
            "time_to_result_s",
            "--baseline",
            "9.5",
            "--target",
            "7",
            "--direction",
            "decrease",
            "--owner",
            "alice",
            "--tag",
            "search",
        ],
    ),
    (
        "alice",
        &[
            "update",
            "search-suggestions",
            "--status",
            "running",
            "-m",
            "Half of the traffic sees suggestions",
        ],
    ),
    (
        "dave",
        &[
            "new",
            "--title",
            "Annual plan discount",
            "--hypothesis",
            "Showing the annual discount first lifts the annual share",
            "--metric",
            "annual_share",
            "--baseline",
            "0.18",
            "--target",
            "0.22",
            "--owner",
            "dave",
            "--tag",
            "pricing",
        ],
    ),
    ("alice", &["list"]),
    ("alice", &["check", "--verbose"]),
    ("alice", &["export"]),
    ("alice", &["log", "homepage-cta-color"]),
];

/// Runs one `xp` command line (without the program name) in-process.
pub type RunLine = fn(&[&str], &Env, &mut Ui) -> Result<(), Error>;

/// Builds the demo repository, running each step of the story with `xp`.
pub fn run(args: Args, env: &Env, ui: &mut Ui, xp: RunLine) -> Result<(), Error> {
    let root = match &args.path {
        Some(path) => {
            let path = env.cwd.join(path);
            if path.exists() {
                return Err(Error::failed(
                    format!("{} already exists", path.display()),
                    "name a directory that does not exist yet",
                ));
            }
            std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
            path
        }
        None => tempfile::Builder::new()
            .prefix("xp-demo-")
            .tempdir()
            .map_err(|e| Error::io("temporary directory", e))?
            .keep(),
    };
    let root = root.canonicalize().map_err(|e| Error::io(&root, e))?;
    git::init_repo(&root, "Demo User", "demo@example.invalid")?;

    let start = env
        .var("XP_NOW")
        .and_then(parse_time)
        .or_else(|| parse_time("2026-02-22T18:00:00Z"))
        .unwrap_or_else(Utc::now);
    let mut step_env = env.clone();
    step_env.set_cwd(root.clone());
    // The demo shows its own commits: identity and dates come from the story, not the machine.
    for name in ["GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "XP_DIR"] {
        step_env.set_var(name, None);
    }
    show(
        ui,
        &format!("# a scratch repository at {}\n", root.display()),
    );
    for (i, (author, argv)) in STORY.iter().enumerate() {
        let now: DateTime<Utc> = start + Duration::minutes(15 * i as i64);
        step_env.set_now(now);
        step_env.set_var("GIT_AUTHOR_NAME", Some(author));
        step_env.set_var("GIT_AUTHOR_EMAIL", Some(&format!("{author}@example.com")));
        step_env.set_var("GIT_COMMITTER_NAME", Some(author));
        step_env.set_var(
            "GIT_COMMITTER_EMAIL",
            Some(&format!("{author}@example.com")),
        );
        show(
            ui,
            &format!(
                "\n$ xp {}    # {author}, {}\n",
                shell_words(argv),
                format_time(now)
            ),
        );
        run_step(argv, &step_env, &root, ui, xp)?;
        if argv == &["init"] {
            commit_attributes(&step_env, &root, ui, author, now)?;
        }
    }
    show(
        ui,
        &format!(
            "\nThe demo repository is at {}\nLook around: cd {} && git log --stat\n",
            root.display(),
            root.display()
        ),
    );
    Ok(())
}

/// Runs one command in-process and prints what it wrote to stdout and stderr.
fn run_step(argv: &[&str], env: &Env, root: &Path, ui: &mut Ui, xp: RunLine) -> Result<(), Error> {
    let (mut inner, out, err) = Ui::capture();
    let result = xp(argv, env, &mut inner);
    show(ui, &out.take());
    show(ui, &err.take());
    result.map_err(|e| {
        Error::failed(
            format!("the demo stopped at `xp {}`: {e}", argv.join(" ")),
            format!("the scratch repository is kept at {}", root.display()),
        )
    })
}

/// Commits `.gitattributes` as `xp init` asks, so that the demo repository's work tree is
/// clean and every clone of it merges records with xp; shown as the git command a person runs.
fn commit_attributes(
    env: &Env,
    root: &Path,
    ui: &mut Ui,
    author: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SUBJECT: &str = "Merge experiment files with xp";
    show(
        ui,
        &format!(
            "\n$ git add .gitattributes && git commit -m '{SUBJECT}'    # {author}, {}\n",
            format_time(now)
        ),
    );
    let ws = Workspace::open(env, None)?;
    match ops::init::commit_attributes(&ws, &format!("{SUBJECT}\n")) {
        Ok(Some(commit)) => {
            show(ui, &format!("[{}] {SUBJECT}\n", commit.short));
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(Error::failed(
            format!("the demo stopped committing .gitattributes: {e}"),
            format!("the scratch repository is kept at {}", root.display()),
        )),
    }
}

fn show(ui: &mut Ui, text: &str) {
    let _ = ui.data(text);
}

/// The arguments as a person would type them in a shell.
fn shell_words(argv: &[&str]) -> String {
    argv.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
            {
                (*a).to_owned()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
