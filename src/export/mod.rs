//! Exports of incidents for other tools: STIX 2.1 bundles, MISP events, IOC CSV files,
//! ATT&CK Navigator layers and firewall blocklists.
//!
//! Indicator values are exported refanged (the real value), because every one of these
//! formats is read by machines that match on the value. Only the Markdown and HTML reports
//! defang.

pub mod blocklist;
pub mod csv;
pub mod misp;
pub mod navigator;
pub mod stix;

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::clock::parse_time;
use crate::config::Config;
use crate::incident::{Incident, Verdict};
use crate::ioc::IocType;
use crate::tlp::Tlp;

/// Namespace of the UUIDv5 identifiers casefile derives for exported objects other than STIX
/// observables, so that exporting the same incident twice gives the same identifiers.
pub const CASEFILE_NAMESPACE: Uuid = Uuid::from_u128(0xf032e79b_c31b_48f1_9795_9e21b4a76889);

/// One indicator of an incident as the exports see it.
#[derive(Debug, Clone)]
pub struct ExportIoc {
    pub incident: String,
    pub kind: IocType,
    /// The real, refanged value.
    pub value: String,
    pub first_seen: String,
    pub last_seen: String,
    pub sources: Vec<String>,
    pub tlp: Tlp,
    pub sightings: usize,
}

/// Returns the TLP of `incident`, falling back to the repository's default marking.
pub fn incident_tlp(incident: &Incident, config: &Config) -> Tlp {
    let default = Tlp::parse(&config.incident.default_tlp).unwrap_or(Tlp::Amber);
    incident.tlp_or(default)
}

/// Returns the indicators of `incident` marked at or below `max_tlp`, each with the incident's
/// marking when it has none of its own.
pub fn indicators(incident: &Incident, config: &Config, max_tlp: Option<Tlp>) -> Vec<ExportIoc> {
    let default = incident_tlp(incident, config);
    incident
        .iocs()
        .into_iter()
        .map(|ioc| ExportIoc {
            incident: incident.id().to_string(),
            kind: ioc.kind,
            tlp: ioc.tlp.unwrap_or(default),
            value: ioc.value,
            first_seen: ioc.first_seen,
            last_seen: ioc.last_seen,
            sources: ioc.sources,
            sightings: ioc.sightings,
        })
        .filter(|ioc| max_tlp.is_none_or(|max| ioc.tlp <= max))
        .collect()
}

/// Returns whether the incident's verdict is false-positive or benign, so its indicators are not
/// malicious.
pub fn is_not_malicious(incident: &Incident) -> bool {
    incident.file.verdict.is_some_and(Verdict::skips_response)
}

/// Derives a stable UUIDv5 from the casefile namespace and the given parts.
pub fn stable_uuid(parts: &[&str]) -> Uuid {
    Uuid::new_v5(&CASEFILE_NAMESPACE, parts.join("\u{1f}").as_bytes())
}

/// Parses a stored time, or returns `None` for text that is not a time.
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    parse_time(text).ok().map(|time| time.to_utc())
}

/// Formats a time as STIX and MISP expect it: RFC 3339 in UTC with milliseconds.
pub fn format_utc(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Returns the latest time the incident's files record: its last phase change, or its
/// creation when it has none.
pub fn last_modified(incident: &Incident) -> DateTime<Utc> {
    let created = parse_utc(&incident.file.created).unwrap_or_default();
    incident
        .file
        .phase_history
        .iter()
        .filter_map(|change| parse_utc(&change.entered))
        .chain(
            incident
                .timeline
                .iter()
                .filter_map(|entry| parse_utc(&entry.recorded)),
        )
        .fold(created, DateTime::max)
}

/// Returns the major version of an ATT&CK version string, such as `18` for `18.1`.
pub fn attack_major(version: &str) -> String {
    version.split('.').next().unwrap_or(version).to_string()
}
