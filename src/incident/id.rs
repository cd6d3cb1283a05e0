//! Incident and record identifiers.
//!
//! An incident ID is `PREFIX-YYYYMMDD-XXXX`: the prefix from `casefile.toml`, the UTC date it
//! was opened, and four random Crockford base-32 characters (about a million values a day), so
//! IDs opened on two branches do not collide in practice, sort by date and can be read aloud.
//! Record file names are `YYYYMMDD-HHMMSS-xxxxxx`, lower case so that no two differ only in case.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// Crockford's base-32 alphabet: no I, L, O or U, so IDs survive being read over the phone.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn random_symbols(count: usize) -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes
        .iter()
        .take(count)
        .map(|byte| CROCKFORD[(byte & 31) as usize] as char)
        .collect()
}

/// Returns a new incident ID for `prefix` opened at `now`.
pub fn new_incident_id(prefix: &str, now: DateTime<Utc>) -> String {
    format!("{prefix}-{}-{}", now.format("%Y%m%d"), random_symbols(4))
}

/// Returns a new record ID: the recorded time, two symbols counting the records this process
/// made (so records of one command sort in the order they were made), then four random ones.
pub fn new_record_id(now: DateTime<Utc>) -> String {
    static SEQUENCE: AtomicUsize = AtomicUsize::new(0);
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed) % 1024;
    let counter = [
        CROCKFORD[sequence / 32] as char,
        CROCKFORD[sequence % 32] as char,
    ];
    let suffix: String = counter.iter().collect::<String>() + &random_symbols(4);
    format!(
        "{}-{}",
        now.format("%Y%m%d-%H%M%S"),
        suffix.to_ascii_lowercase()
    )
}

/// Returns the short form of a record ID that commands accept: its random suffix.
pub fn short_record_id(record_id: &str) -> &str {
    record_id.rsplit('-').next().unwrap_or(record_id)
}

/// Normalizes an incident ID given on the command line, rejecting anything that is not of the
/// ID's form (and so anything that could name a path outside `incidents/`).
pub fn parse_incident_id(input: &str) -> Result<String> {
    let id = input.trim().to_ascii_uppercase();
    if is_incident_id(&id) {
        Ok(id)
    } else {
        Err(Error::invalid_with_hint(
            format!("`{input}` is not an incident ID"),
            "incident IDs look like IR-20261204-K7Q2; `casefile list` shows them",
        ))
    }
}

/// Returns whether `id` has the form `PREFIX-YYYYMMDD-XXXX` with an upper-case prefix.
pub fn is_incident_id(id: &str) -> bool {
    let mut parts = id.split('-');
    let (Some(prefix), Some(date), Some(suffix), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let prefix_ok = (1..=8).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let date_ok = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
    let suffix_ok = suffix.len() == 4 && suffix.bytes().all(|b| CROCKFORD.contains(&b));
    prefix_ok && date_ok && suffix_ok
}

/// Returns whether `name` (without `.toml`) is a record ID as [`new_record_id`] makes them.
pub fn is_record_id(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 22
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[8] == b'-'
        && bytes[9..15].iter().all(u8::is_ascii_digit)
        && bytes[15] == b'-'
        && bytes[16..]
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_id_has_prefix_date_and_suffix() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T08:00:00Z")
            .unwrap()
            .to_utc();
        let id = new_incident_id("IR", now);
        assert!(id.starts_with("IR-20261204-"), "{id}");
        assert!(is_incident_id(&id), "{id}");
    }

    #[test]
    fn parse_incident_id_rejects_path() {
        assert!(parse_incident_id("../../etc").is_err());
        assert!(parse_incident_id("IR-20261204-K7Q2/../x").is_err());
    }

    #[test]
    fn parse_incident_id_uppercases() {
        assert_eq!(
            parse_incident_id("ir-20261204-k7q2").unwrap(),
            "IR-20261204-K7Q2"
        );
    }

    #[test]
    fn record_id_round_trips() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T08:05:09Z")
            .unwrap()
            .to_utc();
        let id = new_record_id(now);
        assert!(is_record_id(&id), "{id}");
        assert_eq!(short_record_id(&id).len(), 6);
    }
}
