//! Checks of single record files: well-formed times, indicators in canonical form, complete
//! actions, valid due dates and evidence that still matches its SHA-256.

use std::path::Path;

use chrono::DateTime;
use sha2::{Digest, Sha256};

use crate::incident::{
    ActionRecord, EvidenceRecord, Followup, IocRecord, Recommendation, TimelineEntry,
};
use crate::ioc;

use super::load::key_line;
use super::Finding;

/// The file and text of a record, for the file and line of findings.
pub struct RecordSite<'a> {
    /// Path shown in findings.
    pub file: &'a str,
    pub text: &'a str,
    /// Name of the incident directory.
    pub incident: &'a str,
    /// Path on disk.
    pub path: &'a Path,
}

impl RecordSite<'_> {
    pub(super) fn error(&self, code: &'static str, key: &str, message: String) -> Finding {
        Finding::error(code, self.file, message)
            .at_line(key_line(self.text, key))
            .in_incident(self.incident)
    }

    fn warning(&self, code: &'static str, key: &str, message: String) -> Finding {
        Finding::warning(code, self.file, message)
            .at_line(key_line(self.text, key))
            .in_incident(self.incident)
    }
}

/// Returns the finding for a stored time that is not RFC 3339 with an offset, if it is not.
pub fn time_finding(value: &str, key: &str, file: &str, text: &str) -> Option<Finding> {
    if DateTime::parse_from_rfc3339(value).is_ok() {
        return None;
    }
    Some(
        Finding::error(
            "time-invalid",
            file,
            format!(
                "`{key}` is `{value}`, which is not an RFC 3339 time with an offset \
                 (such as 2026-03-02T09:00:00Z)"
            ),
        )
        .at_line(key_line(text, key)),
    )
}

fn check_times(site: &RecordSite, times: &[(&str, &str)], findings: &mut Vec<Finding>) {
    for (key, value) in times {
        if let Some(finding) = time_finding(value, key, site.file, site.text) {
            findings.push(finding.in_incident(site.incident));
        }
    }
}

pub fn check_timeline(entry: &TimelineEntry, site: &RecordSite, findings: &mut Vec<Finding>) {
    check_times(
        site,
        &[("at", &entry.at), ("recorded", &entry.recorded)],
        findings,
    );
    if entry.text.trim().is_empty() {
        findings.push(site.error(
            "entry-text-missing",
            "text",
            "the timeline entry has no text".into(),
        ));
    }
}

/// Checks an indicator by parsing its value again with its stored type: the stored value must
/// be valid and already in the canonical form that `ioc add` writes.
pub fn check_ioc(record: &IocRecord, site: &RecordSite, findings: &mut Vec<Finding>) {
    check_times(
        site,
        &[
            ("first_seen", &record.first_seen),
            ("last_seen", &record.last_seen),
            ("recorded", &record.recorded),
        ],
        findings,
    );
    match ioc::parse_indicator(&record.value, Some(record.kind)) {
        Err(error) => findings.push(site.error("ioc-invalid", "value", error.to_string())),
        Ok(indicator) if indicator.value != record.value => findings.push(site.error(
            "ioc-not-canonical",
            "value",
            format!(
                "{} `{}` is not in canonical form; store it as `{}`",
                record.kind.as_str(),
                record.value,
                indicator.value
            ),
        )),
        Ok(_) => {}
    }
    let first = DateTime::parse_from_rfc3339(&record.first_seen);
    let last = DateTime::parse_from_rfc3339(&record.last_seen);
    if let (Ok(first), Ok(last)) = (first, last) {
        if first > last {
            findings.push(site.warning(
                "ioc-seen-order",
                "first_seen",
                format!(
                    "first_seen {} is later than last_seen {}",
                    record.first_seen, record.last_seen
                ),
            ));
        }
    }
}

pub fn check_action(record: &ActionRecord, site: &RecordSite, findings: &mut Vec<Finding>) {
    check_times(site, &[("recorded", &record.recorded)], findings);
    if record.updates.is_some() {
        return;
    }
    let mut missing = Vec::new();
    if record.kind.is_none() {
        missing.push("kind");
    }
    if record.target.as_deref().is_none_or(|t| t.trim().is_empty()) {
        missing.push("target");
    }
    match record.phase {
        None => missing.push("phase"),
        Some(phase) if !phase.takes_actions() => findings.push(site.error(
            "action-phase-invalid",
            "phase",
            format!("actions belong to containment, eradication or recovery, not {phase}"),
        )),
        Some(_) => {}
    }
    if !missing.is_empty() {
        findings.push(site.error(
            "action-incomplete",
            "status",
            format!(
                "the action lacks {}; an action needs kind, target and phase unless it \
                 `updates` another action",
                missing.join(", ")
            ),
        ));
    }
}

pub fn check_followup(record: &Followup, site: &RecordSite, findings: &mut Vec<Finding>) {
    check_times(site, &[("recorded", &record.recorded)], findings);
    if crate::clock::parse_date(&record.due).is_err() {
        findings.push(site.error(
            "date-invalid",
            "due",
            format!(
                "`due` is `{}`, not a date of the form YYYY-MM-DD",
                record.due
            ),
        ));
    }
}

pub fn check_recommendation(
    record: &Recommendation,
    site: &RecordSite,
    findings: &mut Vec<Finding>,
) {
    check_times(site, &[("recorded", &record.recorded)], findings);
}

/// Checks an enrichment result's time and that the raw reply it names is beside it.
pub fn check_enrichment(
    record: &crate::enrich::EnrichmentRecord,
    site: &RecordSite,
    findings: &mut Vec<Finding>,
) {
    check_times(site, &[("queried", &record.queried)], findings);
    if let Some(raw) = &record.raw {
        let name_ok = !raw.is_empty() && !raw.contains(['/', '\\']) && raw != "..";
        if !name_ok || !site.path.with_file_name(raw).is_file() {
            findings.push(site.error(
                "evidence-missing",
                "raw",
                format!("the raw reply `{raw}` of this enrichment result is missing"),
            ));
        }
    }
}

/// Checks that the evidence file a metadata record names exists and hashes to its SHA-256,
/// and for a batch of `ingest`, its index.
pub fn check_evidence(record: &EvidenceRecord, site: &RecordSite, findings: &mut Vec<Finding>) {
    check_times(site, &[("received", &record.received)], findings);
    if !is_file_name(&record.file) {
        findings.push(site.error(
            "evidence-missing",
            "file",
            format!(
                "`file` is `{}`, not a file name inside evidence/",
                record.file
            ),
        ));
        return;
    }
    let evidence_path = site.path.with_file_name(&record.file);
    let mut batch = None;
    match read_unless_symlink(&evidence_path) {
        Err(_) => findings.push(site.error(
            "evidence-missing",
            "file",
            format!("evidence file evidence/{} is missing", record.file),
        )),
        // A link is reported where the evidence directory is read, and is not followed.
        Ok(None) => {}
        Ok(Some(content)) => {
            let digest = crate::report::hex(&Sha256::digest(&content));
            if !digest.eq_ignore_ascii_case(&record.sha256) {
                findings.push(site.error(
                    "evidence-hash-mismatch",
                    "sha256",
                    format!(
                        "evidence/{} has SHA-256 {digest}, but its record says {}",
                        record.file, record.sha256
                    ),
                ));
            }
            batch = Some(content);
        }
    }
    if record.alerts.is_some() || record.index.is_some() {
        super::batches::check_batch(record, site, batch.as_deref(), findings);
    }
}

/// Returns whether `name` names a file in the same directory: no separator, not `.` or `..`.
pub(super) fn is_file_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != ".."
}

/// Reads a whole file, or returns `None` without reading when `path` is a symbolic link.
pub(super) fn read_unless_symlink(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    if std::fs::symlink_metadata(path)?.is_symlink() {
        return Ok(None);
    }
    std::fs::read(path).map(Some)
}
