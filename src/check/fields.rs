//! Checks of the single values in `incident.toml`: the ID against its directory, times,
//! severity, incident type and ATT&CK techniques.

use crate::attack;
use crate::config::Config;
use crate::incident::id::is_incident_id;
use crate::incident::{Incident, INCIDENT_FILE};
use crate::playbook::is_type_name;

use super::load::{key_line, table_line};
use super::records::time_finding;
use super::Finding;

/// The file and text of an incident, for findings in its `incident.toml`.
pub struct IncidentSite<'a> {
    pub file: String,
    pub text: &'a str,
    pub name: &'a str,
    pub id: &'a str,
}

impl<'a> IncidentSite<'a> {
    pub fn new(incident: &'a Incident) -> Self {
        let name = incident
            .dir
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        IncidentSite {
            file: super::incident_path(name, INCIDENT_FILE),
            text: &incident.text,
            name,
            id: incident.id(),
        }
    }

    pub fn error(&self, code: &'static str, line: Option<usize>, message: String) -> Finding {
        Finding::error(code, self.file.as_str(), message)
            .at_line(line)
            .in_incident(self.name)
    }

    pub fn warning(&self, code: &'static str, line: Option<usize>, message: String) -> Finding {
        Finding::warning(code, self.file.as_str(), message)
            .at_line(line)
            .in_incident(self.name)
    }

    pub fn key(&self, key: &str) -> Option<usize> {
        key_line(self.text, key)
    }
}

pub fn check_fields(incident: &Incident, config: &Config, findings: &mut Vec<Finding>) {
    let site = IncidentSite::new(incident);
    check_id(&site, findings);
    check_times(incident, &site, findings);
    let file = &incident.file;
    if let Some(severity) = &file.severity {
        if config.severity_rank(severity).is_none() {
            findings.push(site.error(
                "severity-invalid",
                site.key("severity"),
                format!(
                    "severity `{severity}` is not on this repository's scale ({})",
                    config.severity.scale.join(", ")
                ),
            ));
        }
    }
    if let Some(kind) = &file.incident_type {
        if !is_type_name(kind) {
            findings.push(site.error(
                "type-invalid",
                site.key("type"),
                format!("incident type `{kind}` is not a lower-case slug such as `brute-force`"),
            ));
        }
    }
    check_attack(incident, config, &site, findings);
}

fn check_id(site: &IncidentSite, findings: &mut Vec<Finding>) {
    if !is_incident_id(site.id) {
        findings.push(site.error(
            "id-invalid",
            site.key("id"),
            format!(
                "`{}` is not an incident ID of the form PREFIX-YYYYMMDD-XXXX",
                site.id
            ),
        ));
    }
    if site.id != site.name {
        findings.push(site.error(
            "id-mismatch",
            site.key("id"),
            format!(
                "`id` is {} but the directory is {}; they must be equal",
                site.id, site.name
            ),
        ));
    }
}

fn check_times(incident: &Incident, site: &IncidentSite, findings: &mut Vec<Finding>) {
    let file = &incident.file;
    let mut single = vec![("created", file.created.as_str())];
    single.extend(
        file.detected_at
            .as_deref()
            .map(|time| ("detected_at", time)),
    );
    single.extend(
        file.acknowledged_at
            .as_deref()
            .map(|time| ("acknowledged_at", time)),
    );
    for (key, value) in single {
        if let Some(finding) = time_finding(value, key, &site.file, site.text) {
            findings.push(finding.in_incident(site.name));
        }
    }
    for (n, change) in file.phase_history.iter().enumerate() {
        if let Some(finding) = time_finding(&change.entered, "entered", &site.file, site.text) {
            let line = table_line(site.text, "phase_history", n).map(|line| line + 1);
            findings.push(finding.at_line(line).in_incident(site.name));
        }
    }
    for (n, waiver) in file.waivers.iter().enumerate() {
        if let Some(finding) = time_finding(&waiver.at, "at", &site.file, site.text) {
            let line = table_line(site.text, "waivers", n);
            findings.push(finding.at_line(line).in_incident(site.name));
        }
    }
}

/// Checks each technique against the embedded catalog: unknown and revoked ones are errors
/// (the message of a revoked one names its replacement), deprecated ones warnings.
fn check_attack(
    incident: &Incident,
    config: &Config,
    site: &IncidentSite,
    findings: &mut Vec<Finding>,
) {
    let line = site.key("attack");
    for technique in &incident.file.attack {
        match attack::validate_technique(technique) {
            Ok(validated) => {
                if let Some(warning) = validated.warning {
                    findings.push(site.warning("attack-deprecated", line, warning));
                }
            }
            Err(error) => {
                let message = error.to_string();
                // NOTE: the catalog's error type is matched by its message, because
                // revoked and unknown techniques share one error type.
                let code = if message.contains("revoked") {
                    "attack-revoked"
                } else {
                    "attack-unknown"
                };
                findings.push(site.error(code, line, message));
            }
        }
    }
    if let Some(version) = &incident.file.attack_version {
        if !incident.file.attack.is_empty() && version != &config.attack.version {
            findings.push(site.warning(
                "attack-version",
                site.key("attack_version"),
                format!(
                    "techniques were mapped with ATT&CK {version}, but the repository uses {}",
                    config.attack.version
                ),
            ));
        }
    }
}
