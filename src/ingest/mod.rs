//! Grouping of ingested alerts into incidents, and the record of alerts already ingested.
//!
//! An alert is known when its SHA-256 or its Wazuh alert id is in any incident's evidence.
//! It joins the open incident with the same dedupe key whose latest alert is at most the
//! window earlier or later than it. Otherwise it opens a new incident.

pub mod batch;
pub mod known;
pub mod lines;

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use crate::clock::parse_time;
use crate::error::{Error, Result};
use crate::incident::{list_ids, EvidenceRecord, Incident, EVIDENCE_DIR};
use crate::phase::Phase;

pub use known::KnownAlerts;

/// The open incident that alerts with one dedupe key join, and its latest alert time.
#[derive(Debug, Clone)]
pub struct Group {
    pub incident: String,
    pub last_alert: DateTime<Utc>,
    /// The caller's index of the incident among the incidents its run has touched, once
    /// it has one, which saves a lookup by incident ID for every alert.
    pub slot: Option<usize>,
}

/// The state of the repository that ingest needs: known alerts and open groups.
#[derive(Default)]
pub struct Existing {
    pub known: KnownAlerts,
    /// Groups by dedupe key. Keys come from alerts, so the hasher is seeded at random;
    /// foldhash is several times faster than the standard SipHash on short keys.
    pub groups: HashMap<String, Vec<Group>, foldhash::fast::RandomState>,
    pub incidents: HashMap<String, Incident>,
    /// Incidents that could not be read, with the reason.
    pub broken: Vec<(String, String)>,
    /// Problems in readable incidents that make alerts look new, such as index lines that do
    /// not parse.
    pub warnings: Vec<String>,
}

impl Existing {
    /// Reads every incident's evidence records and batch indexes. Keys of known alerts
    /// that do not fit in memory go to a temporary file in `spill_dir`.
    pub fn load(root: &Path, spill_dir: &Path) -> Result<Existing> {
        let mut existing = Existing::default();
        existing.known.spill_in(spill_dir);
        for id in list_ids(root)? {
            let incident = match Incident::load(root, &id) {
                Ok(incident) => incident,
                Err(error) => {
                    // One broken incident must not stop alerts for the others. Its alerts
                    // are still known, when its evidence records can be read, but it gets
                    // no new alerts.
                    let evidence = crate::incident::load_evidence(root, &id);
                    let reason = match &evidence {
                        Ok(_) => format!("{error}; it gets no new alerts until it is fixed"),
                        Err(_) => format!("{error}; its alerts may be ingested again"),
                    };
                    existing.broken.push((id.clone(), reason));
                    let dir = crate::incident::incident_dir(&id);
                    for record in evidence.unwrap_or_default() {
                        existing.remember(root, &dir, &record)?;
                    }
                    continue;
                }
            };
            let open = incident.phase() != Phase::Closed;
            for record in &incident.evidence {
                existing.remember(root, &incident.dir, record)?;
                let time = record
                    .alert_time
                    .as_deref()
                    .and_then(|t| parse_time(t).ok());
                if let (true, Some(key), Some(time)) = (open, &record.dedupe_key, time) {
                    existing.note_alert(key, &id, time.to_utc(), None);
                }
            }
            existing.incidents.insert(id, incident);
        }
        Ok(existing)
    }

    /// Remembers the alerts of one evidence record of the incident in `dir`: the record's own
    /// alert, or every alert of its batch index.
    fn remember(&mut self, root: &Path, dir: &Path, record: &EvidenceRecord) -> Result<()> {
        let time = record.alert_time.as_deref().and_then(stored_time);
        self.known
            .insert_stored(Some(&record.sha256), record.alert_id.as_deref(), time)?;
        // An index is a file beside the record; any other name is not followed.
        let Some(index) = record.index.as_deref().filter(|name| is_file_name(name)) else {
            return Ok(());
        };
        let path = root.join(dir).join(EVIDENCE_DIR).join(index);
        crate::incident::reject_link(&path)?;
        // Read as bytes, so that a line that is not UTF-8 is one unreadable line rather than
        // an error that stops every ingest until the index is restored.
        let bytes = std::fs::read(&path).map_err(Error::io("read", &path))?;
        // Lines as `str::lines` splits them: ended by `\n` or `\r\n`, the last one maybe not.
        let lines = bytes.split_inclusive(|byte| *byte == b'\n').map(|line| {
            match line.strip_suffix(b"\n") {
                Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
                None => line,
            }
        });
        let mut unreadable = Vec::new();
        for (number, line) in (1..).zip(lines) {
            let entry = std::str::from_utf8(line)
                .ok()
                .and_then(batch::IndexLine::parse);
            let Some(entry) = entry else {
                unreadable.push(number);
                continue;
            };
            let time = stored_time(&entry.alert_time);
            self.known
                .insert_stored(entry.sha256.as_deref(), entry.alert_id.as_deref(), time)?;
        }
        if let Some(first) = unreadable.first() {
            let more = match unreadable.len() {
                1 => String::new(),
                count => format!(" and {} more", count - 1),
            };
            self.warnings.push(format!(
                "{} line {first}{more} is not an index line, so the alerts it lists may be \
                 ingested again; `casefile check` reports it and how to restore the index",
                path.strip_prefix(root).unwrap_or(&path).display()
            ));
        }
        Ok(())
    }

    /// Records that incident `id` has an alert with `key` at `time`, and the caller's `slot`
    /// for the incident when given.
    pub fn note_alert(&mut self, key: &str, id: &str, time: DateTime<Utc>, slot: Option<usize>) {
        // Most alerts join a key seen before, so the key is copied only for a new one.
        let groups = match self.groups.get_mut(key) {
            Some(groups) => groups,
            None => self.groups.entry(key.to_string()).or_default(),
        };
        match groups.iter_mut().find(|group| group.incident == id) {
            Some(group) => {
                group.last_alert = group.last_alert.max(time);
                group.slot = slot.or(group.slot);
            }
            None => groups.push(Group {
                incident: id.to_string(),
                last_alert: time,
                slot,
            }),
        }
    }

    /// Returns the open incident an alert with `key` at `time` joins, if any: the one whose
    /// latest alert is closest in time, within `window`. The alert is recorded in it.
    pub fn join_group(
        &mut self,
        key: &str,
        time: DateTime<Utc>,
        window: Duration,
    ) -> Option<&mut Group> {
        let group = self
            .groups
            .get_mut(key)?
            .iter_mut()
            .filter(|group| (time - group.last_alert).abs() <= window)
            .min_by_key(|group| (time - group.last_alert).abs())?;
        group.last_alert = group.last_alert.max(time);
        Some(group)
    }
}

/// Reads an alert time as casefile writes it (RFC 3339 in UTC), or in any form
/// [`parse_time`] accepts.
fn stored_time(text: &str) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(time) => Some(time.to_utc()),
        Err(_) => parse_time(text).ok().map(|time| time.to_utc()),
    }
}

/// Returns whether `name` names a file in the same directory: no separator, not `.` or `..`.
fn is_file_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != ".."
}
