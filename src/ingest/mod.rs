//! Grouping of ingested alerts into incidents, and the record of alerts already ingested.
//!
//! An alert is known when its SHA-256 or its Wazuh alert id is in any incident's evidence.
//! It joins the open incident with the same dedupe key whose latest alert is at most the
//! window earlier or later than it. Otherwise it opens a new incident.

pub mod batch;
pub mod lines;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::clock::parse_time;
use crate::error::Result;
use crate::incident::{list_ids, Incident, EVIDENCE_DIR};
use crate::phase::Phase;

/// Alerts that casefile has already stored, by SHA-256 of their bytes and by alert id.
///
/// A run remembers every alert it reads, so both sets keep only the first 128 bits of a
/// SHA-256 (of the alert, and of its id). That is an estimated 40 bytes per alert instead of
/// 100 for full digests and id strings. Two different alerts share a prefix with a
/// probability near 2^-128.
#[derive(Default)]
pub struct KnownAlerts {
    hashes: HashSet<u128>,
    ids: HashSet<u128>,
}

/// Returns the first 128 bits of a SHA-256 digest.
fn prefix(sha256: &[u8; 32]) -> u128 {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&sha256[..16]);
    u128::from_be_bytes(bytes)
}

fn id_key(alert_id: &str) -> u128 {
    prefix(&Sha256::digest(alert_id.as_bytes()).into())
}

impl KnownAlerts {
    /// Returns whether an alert is known; records it as known when it is not.
    pub fn check_and_insert(&mut self, sha256: [u8; 32], alert_id: Option<&str>) -> bool {
        let id = alert_id.map(id_key);
        let known_id = id.is_some_and(|id| self.ids.contains(&id));
        let hash = prefix(&sha256);
        if known_id || self.hashes.contains(&hash) {
            return true;
        }
        self.hashes.insert(hash);
        if let Some(id) = id {
            self.ids.insert(id);
        }
        false
    }

    fn insert_hex(&mut self, hex: &str, alert_id: Option<&str>) {
        if let Some(bytes) = decode_sha256(hex) {
            self.hashes.insert(prefix(&bytes));
        }
        if let Some(id) = alert_id.filter(|id| !id.is_empty()) {
            self.ids.insert(id_key(id));
        }
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// The open incident that alerts with one dedupe key join, and its latest alert time.
#[derive(Debug, Clone)]
pub struct Group {
    pub incident: String,
    pub last_alert: DateTime<Utc>,
}

/// The state of the repository that ingest needs: known alerts and open groups.
#[derive(Default)]
pub struct Existing {
    pub known: KnownAlerts,
    pub groups: HashMap<String, Vec<Group>>,
    pub incidents: HashMap<String, Incident>,
    /// Incidents that could not be read, with the reason.
    pub broken: Vec<(String, String)>,
}

impl Existing {
    /// Reads every incident's evidence records and batch indexes.
    pub fn load(root: &Path) -> Result<Existing> {
        let mut existing = Existing::default();
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
                    for record in evidence.unwrap_or_default() {
                        existing
                            .known
                            .insert_hex(&record.sha256, record.alert_id.as_deref());
                    }
                    continue;
                }
            };
            let open = incident.phase() != Phase::Closed;
            for record in &incident.evidence {
                existing
                    .known
                    .insert_hex(&record.sha256, record.alert_id.as_deref());
                if let Some(index) = &record.index {
                    let path = root.join(&incident.dir).join(EVIDENCE_DIR).join(index);
                    let text = std::fs::read_to_string(&path)
                        .map_err(crate::error::Error::io("read", &path))?;
                    for line in text.lines() {
                        let entry = batch::IndexLine::parse(line);
                        if let Some(entry) = entry {
                            existing
                                .known
                                .insert_hex(&entry.sha256, entry.alert_id.as_deref());
                        }
                    }
                }
                let time = record
                    .alert_time
                    .as_deref()
                    .and_then(|t| parse_time(t).ok());
                if let (true, Some(key), Some(time)) = (open, &record.dedupe_key, time) {
                    existing.note_alert(key, &id, time.to_utc());
                }
            }
            existing.incidents.insert(id, incident);
        }
        Ok(existing)
    }

    /// Records that incident `id` has an alert with `key` at `time`.
    pub fn note_alert(&mut self, key: &str, id: &str, time: DateTime<Utc>) {
        // Most alerts join a key seen before, so the key is copied only for a new one.
        let groups = match self.groups.get_mut(key) {
            Some(groups) => groups,
            None => self.groups.entry(key.to_string()).or_default(),
        };
        match groups.iter_mut().find(|group| group.incident == id) {
            Some(group) => group.last_alert = group.last_alert.max(time),
            None => groups.push(Group {
                incident: id.to_string(),
                last_alert: time,
            }),
        }
    }

    /// Returns the open incident an alert with `key` at `time` joins, if any: the one whose
    /// latest alert is closest in time, within `window`.
    pub fn find_group(&self, key: &str, time: DateTime<Utc>, window: Duration) -> Option<&Group> {
        self.groups
            .get(key)?
            .iter()
            .filter(|group| (time - group.last_alert).abs() <= window)
            .min_by_key(|group| (time - group.last_alert).abs())
    }
}

fn decode_sha256(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(bytes)
}
