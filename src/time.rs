//! Time as records write it: RFC 3339 in UTC with milliseconds and `Z`, read back strictly
//! (log entries) or leniently (`XP_NOW`, `--since`).

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

/// Parses an RFC 3339 time into UTC.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Parses an RFC 3339 time that is in UTC (`Z` or `+00:00`).
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    let time = DateTime::parse_from_rfc3339(text).ok()?;
    (time.offset().local_minus_utc() == 0).then(|| time.with_timezone(&Utc))
}

/// Formats a time the way records store it: UTC, milliseconds, `Z`.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// How much later than a commit that holds it a log entry may be stamped before it counts as
/// stamped by a clock that ran ahead: machines' clocks differ, by minutes, rarely by hours.
pub const AHEAD_SLACK: TimeDelta = TimeDelta::days(1);
