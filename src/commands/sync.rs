//! `xp sync`: one round with the team's remote (fetch, integrate, push), for cron and CI.

use std::time::Duration;

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::ops::WriteOptions;
use crate::ops::sync::{self, Keep, Round, State};
use crate::ops::workspace::Workspace;
use crate::text;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote (default: the branch's upstream, else `origin`)
    #[arg(value_name = "REMOTE")]
    pub remote: Option<String>,
    /// Push to this branch of the remote instead of the upstream (for teams whose main is
    /// protected and who merge through pull requests)
    #[arg(long, value_name = "BRANCH")]
    pub sync_branch: Option<String>,
    /// Seconds a fetch or push may take before it is stopped
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,
    /// After the remote's history was rewritten: park every commit the branch has that the
    /// remote lacks, then move the branch to the remote's tip (nothing is pushed or forced)
    #[arg(long, conflicts_with = "resolve")]
    pub reset_to_remote: bool,
    /// Apply the parked changes of this experiment (or this parked commit) as normal commits
    #[arg(long, value_name = "REF", requires = "keep")]
    pub resolve: Option<String>,
    /// With --resolve: whose value to keep where both sides set a key differently
    #[arg(long, value_enum)]
    pub keep: Option<KeepSide>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Whose value `--resolve` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeepSide {
    /// The parked change's
    Local,
    /// The one the remote gave the branch
    Remote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let mut notices = Vec::new();
    if let (Some(which), Some(keep)) = (&args.resolve, args.keep) {
        let keep = match keep {
            KeepSide::Local => Keep::Local,
            KeepSide::Remote => Keep::Remote,
        };
        let result = sync::resolve(ws, &mut notices, which, keep, WriteOptions::default());
        render::notices(ui, &notices);
        for saved in result? {
            ui.status(&format!(
                "applied the parked change to {} (run `xp sync` to push it)",
                saved.shown.display()
            ));
        }
        return Ok(());
    }
    let target = sync::target(ws, args.remote.as_deref(), args.sync_branch.as_deref())?;
    let net = ws.env.net(Duration::from_secs(args.timeout.max(1)));
    let result = if args.reset_to_remote {
        sync::reset_to_remote(ws, &mut notices, &target, &net)
    } else {
        sync::round(ws, &mut notices, &target, &net)
    };
    render::notices(ui, &notices);
    let round = result?;
    let parked = sync::parked(ws)?;
    match args.format {
        Format::Json => out(ui.json(&serde_json::json!({
            "round": round,
            "parked": parked,
        })))?,
        Format::Text => {
            ui.status(&summary(&round));
            for p in &parked {
                ui.warning(&format!(
                    "parked {} ({}): {} conflicts with the remote on {}; it is kept under {}",
                    &p.commit[..7],
                    text::terminal(&p.subject),
                    text::terminal(&p.path),
                    text::terminal(&p.fields.join(", ")),
                    p.refname
                ));
            }
        }
    }
    match round.state {
        State::Ok => Ok(()),
        state => Err(Error::failed(
            format!(
                "sync {}: {}",
                state.as_str(),
                text::terminal(round.said.as_deref().unwrap_or("no reason given"))
            ),
            hint(state),
        )),
    }
}

/// One line on where the branch stands with the remote.
fn summary(round: &Round) -> String {
    let t = &round.target;
    let head = round.head.as_deref().map_or("-", |h| &h[..7.min(h.len())]);
    let mut done = Vec::new();
    if round.fast_forwarded {
        done.push("moved forward to the remote's commits".to_owned());
    }
    if round.replayed > 0 {
        done.push(format!(
            "replayed {} commit(s) onto the remote's",
            round.replayed
        ));
    }
    if round.pushed {
        done.push(format!("pushed to {}/{}", t.remote, t.push));
    }
    let state = if round.state == State::Ok {
        format!(
            "{} in step with {}/{} at {head}",
            t.branch, t.remote, t.upstream
        )
    } else {
        format!(
            "{} is {} ahead and {} behind {}/{}",
            t.branch, round.ahead, round.behind, t.remote, t.upstream
        )
    };
    if done.is_empty() {
        state
    } else {
        format!("{state} ({})", done.join("; "))
    }
}

/// What to do about a state other than ok.
fn hint(state: State) -> String {
    match state {
        State::Ok => String::new(),
        State::Offline => {
            "the commits stay here; run `xp sync` again once the remote answers".into()
        }
        State::AuthFailed => "check the credentials git uses for this remote (`git fetch` by hand \
             shows the same); the commits stay here"
            .into(),
        State::PushRefused => {
            "the remote's rules refused the push; the commits stay here. Push to \
             a branch of its own with `--sync-branch` and merge through a pull request, or ask \
             the remote's owner"
                .into()
        }
        State::DivergedHistory => {
            "someone rewrote the remote's branch; xp never resets or forces. \
             Look at it with `git log`, then push by hand"
                .into()
        }
        State::NeedsAttention => "this clone holds changes xp will not move on its own; see the \
             reason, fix it by hand (`git status`, `git log`), then run `xp sync` again"
            .into(),
    }
}
