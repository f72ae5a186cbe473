//! The parts a record is made of besides plain text and numbers: its status, decision and
//! direction, and the entries of its decision log.

use serde::Serialize;

/// Where an experiment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Draft,
    Running,
    Completed,
    Killed,
    Shipped,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::Running,
        Status::Completed,
        Status::Killed,
        Status::Shipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Killed => "killed",
            Status::Shipped => "shipped",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The moves allowed without `--force`. A completed experiment can still be killed (after
    /// review found it flawed, say); a shipped one cannot.
    pub fn can_move_to(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Draft, Running)
                | (Draft, Killed)
                | (Running, Completed)
                | (Running, Killed)
                | (Completed, Shipped)
                | (Completed, Running)
                | (Completed, Killed)
                | (Killed, Draft)
        )
    }

    /// The statuses this one may move to without `--force`.
    pub fn next(self) -> Vec<Status> {
        Status::ALL
            .into_iter()
            .filter(|to| self.can_move_to(*to))
            .collect()
    }
}

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Ship,
    Iterate,
    Kill,
    Inconclusive,
}

impl Decision {
    pub const ALL: [Decision; 4] = [
        Decision::Ship,
        Decision::Iterate,
        Decision::Kill,
        Decision::Inconclusive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Ship => "ship",
            Decision::Iterate => "iterate",
            Decision::Kill => "kill",
            Decision::Inconclusive => "inconclusive",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// Which way the metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Increase,
    Decrease,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Increase => "increase",
            Direction::Decrease => "decrease",
        }
    }

    pub fn parse(text: &str) -> Option<Direction> {
        match text {
            "increase" => Some(Direction::Increase),
            "decrease" => Some(Direction::Decrease),
            _ => None,
        }
    }
}

/// One entry of the append-only decision log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    /// RFC 3339 UTC timestamp, as written in the file.
    pub at: String,
    pub who: Option<String>,
    pub note: String,
}
