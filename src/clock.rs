//! The one place casefile reads the time, and parsing of times given by users and alerts.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};

use crate::error::{Error, Result};

/// Environment variable that pins the current time (RFC 3339), for tests and reproducible demos.
pub const NOW_VARIABLE: &str = "CASEFILE_NOW";

/// The current time of one command run; read once so that every record of a run agrees.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    now: DateTime<Utc>,
}

impl Clock {
    /// Builds a clock from `CASEFILE_NOW` when set, or the system time.
    pub fn from_env() -> Result<Self> {
        match std::env::var(NOW_VARIABLE) {
            Ok(value) if !value.trim().is_empty() => {
                let now = parse_time(&value).map_err(|_| {
                    Error::invalid_with_hint(
                        format!("{NOW_VARIABLE} is `{value}`, which is not an RFC 3339 time"),
                        format!("set {NOW_VARIABLE}=2026-01-31T12:00:00Z or unset it"),
                    )
                })?;
                Ok(Clock {
                    now: now.with_timezone(&Utc),
                })
            }
            _ => Ok(Clock { now: Utc::now() }),
        }
    }

    /// Builds a clock fixed at `now`.
    pub fn fixed(now: DateTime<Utc>) -> Self {
        Clock { now }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }
}

/// Formats a time the way casefile stores it: RFC 3339 in UTC, with fractional seconds only
/// when present.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Compares two times of records by the instant they name. Text comparison put
/// `09:59:00.5Z` before `09:59:00Z`, and an offset such as `+02:00` anywhere. A value that
/// is not RFC 3339, which `casefile check` reports, is compared as text.
pub fn compare_times(a: &str, b: &str) -> std::cmp::Ordering {
    match (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    }
}

/// Parses a time that carries an explicit offset or zone.
///
/// Accepted: RFC 3339 (`2026-12-04T10:00:00Z`, `...+01:00`), offsets without a colon as Wazuh
/// writes them (`2019-03-27T10:41:21.085+0000`), a space instead of `T`, and a local time
/// followed by an IANA zone name (`2026-12-04 10:00 Europe/Berlin`) or `UTC`.
pub fn parse_time(input: &str) -> Result<DateTime<FixedOffset>> {
    let time = parse_any_time(input)?;
    if time.year() < 1970 {
        return Err(Error::invalid_with_hint(
            format!("time `{}` is before 1970", input.trim()),
            "check the year",
        ));
    }
    Ok(time)
}

fn parse_any_time(input: &str) -> Result<DateTime<FixedOffset>> {
    let text = input.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time);
    }
    let with_t = text.replacen(' ', "T", 1);
    if let Ok(time) = DateTime::parse_from_rfc3339(&with_t) {
        return Ok(time);
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(time) = DateTime::parse_from_str(&with_t, format) {
            return Ok(time);
        }
        if let Ok(time) = DateTime::parse_from_str(text, format) {
            return Ok(time);
        }
    }
    if let Some(time) = parse_with_zone_name(text)? {
        return Ok(time);
    }
    if parse_naive(text).is_some() {
        return Err(Error::invalid_with_hint(
            format!("time `{text}` has no UTC offset or time zone"),
            "add `Z`, an offset such as `+01:00`, or a zone name such as `Europe/Berlin`",
        ));
    }
    Err(Error::invalid_with_hint(
        format!("time `{text}` is not a valid time"),
        "use RFC 3339, for example `2026-12-04T10:00:00Z` or `2026-12-04 11:00 Europe/Berlin`",
    ))
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    let with_t = text.replacen(' ', "T", 1);
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&with_t, format).ok())
}

/// Parses `local-time ZONE`. A local time that a daylight-saving change skips or repeats is an
/// error, because no single instant is meant.
fn parse_with_zone_name(text: &str) -> Result<Option<DateTime<FixedOffset>>> {
    let Some((local, zone_name)) = text.rsplit_once(' ') else {
        return Ok(None);
    };
    let Some(naive) = parse_naive(local.trim()) else {
        return Ok(None);
    };
    let zone: chrono_tz::Tz = match zone_name {
        "UTC" | "utc" | "Z" => chrono_tz::UTC,
        name => match name.parse() {
            Ok(zone) => zone,
            Err(_) => return Ok(None),
        },
    };
    match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(time) => Ok(Some(time.fixed_offset())),
        chrono::LocalResult::None => Err(Error::invalid_with_hint(
            format!(
                "`{local}` does not exist in {zone_name}: the clocks skip it for daylight saving"
            ),
            "give the time with an explicit offset, such as `+01:00`",
        )),
        chrono::LocalResult::Ambiguous(first, second) => Err(Error::invalid_with_hint(
            format!(
                "`{local}` happens twice in {zone_name}, at offsets {} and {}",
                first.offset(),
                second.offset()
            ),
            "give the time with an explicit offset to say which one",
        )),
    }
}

/// Parses a calendar date (`2026-12-31`), used for due dates.
pub fn parse_date(input: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid_with_hint(
            format!("date `{input}` is not a valid date"),
            "write the date as YYYY-MM-DD, for example 2026-12-31",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_times_compare_by_instant() {
        use std::cmp::Ordering;
        assert_eq!(
            compare_times("2026-01-01T09:59:00.5Z", "2026-01-01T09:59:00Z"),
            Ordering::Greater
        );
        assert_eq!(
            compare_times("2026-01-01T11:00:00+02:00", "2026-01-01T10:00:00Z"),
            Ordering::Less
        );
        assert_eq!(
            compare_times("2026-01-01T12:00:00+02:00", "2026-01-01T10:00:00Z"),
            Ordering::Equal
        );
        assert_eq!(
            compare_times("not a time", "2026-01-01T10:00:00Z"),
            Ordering::Greater
        );
    }

    #[test]
    fn parse_time_accepts_wazuh_offset_without_colon() {
        let time = parse_time("2019-03-27T10:41:21.085+0000").unwrap();
        assert_eq!(
            format_time(time.with_timezone(&Utc)),
            "2019-03-27T10:41:21.085Z"
        );
    }

    #[test]
    fn parse_time_accepts_zone_name() {
        let time = parse_time("2026-07-01 12:00 Europe/Berlin").unwrap();
        assert_eq!(
            format_time(time.with_timezone(&Utc)),
            "2026-07-01T10:00:00Z"
        );
    }

    #[test]
    fn parse_time_rejects_missing_offset() {
        let error = parse_time("2026-07-01T12:00:00").unwrap_err();
        assert!(error.to_string().contains("no UTC offset"), "{error}");
    }

    #[test]
    fn parse_time_rejects_daylight_saving_gap() {
        let error = parse_time("2026-03-29 02:30 Europe/Berlin").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("does not exist in Europe/Berlin"),
            "{error}"
        );
    }

    #[test]
    fn parse_time_rejects_repeated_local_time() {
        let error = parse_time("2026-10-25 02:30 Europe/Berlin").unwrap_err();
        assert!(error.to_string().contains("happens twice"), "{error}");
    }

    #[test]
    fn parse_time_rejects_year_one() {
        let error = parse_time("0001-01-01T00:00:00Z").unwrap_err();
        assert!(error.to_string().contains("before 1970"), "{error}");
    }

    #[test]
    fn parse_time_rejects_garbage() {
        let error = parse_time("yesterday").unwrap_err();
        assert!(error.to_string().contains("not a valid time"), "{error}");
    }
}
