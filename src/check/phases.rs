//! Checks that an incident's phase history is a legal walk through the phases. It also checks
//! that every gate the incident has passed still holds on the data, so an incident past triage
//! has an owner and one past classification a type, severity and technique.

use crate::attack;
use crate::config::Config;
use crate::incident::{ActionStatus, EntryKind, Incident, PhaseChange};
use crate::phase::Phase;

use super::fields::{self, IncidentSite};
use super::load::table_line;
use super::Finding;

/// Runs every incident-level check on an incident whose `incident.toml` parsed.
pub fn check_incident(incident: &Incident, config: &Config, findings: &mut Vec<Finding>) {
    fields::check_fields(incident, config, findings);
    let site = IncidentSite::new(incident);
    check_history(incident, &site, findings);
    check_waivers(incident, &site, findings);
    check_passed_gates(incident, &site, findings);
    check_action_updates(incident, &site, findings);
}

/// Returns whether the incident takes the false-positive or benign path.
pub fn short_path(incident: &Incident) -> bool {
    incident
        .file
        .verdict
        .is_some_and(|verdict| verdict.skips_response())
}

/// Returns whether the incident has passed the gate of `gate`. The false-positive path
/// passes no gate from classification to recovery, nor lessons learned and improvement.
pub fn passed(incident: &Incident, gate: Phase) -> bool {
    let skipped = short_path(incident)
        && (matches!(gate, Phase::LessonsLearned | Phase::Improvement)
            || (Phase::Classification..=Phase::Recovery).contains(&gate));
    incident.phase() > gate && !skipped
}

fn check_history(incident: &Incident, site: &IncidentSite, findings: &mut Vec<Finding>) {
    let history = &incident.file.phase_history;
    let Some(first) = history.first() else {
        findings.push(site.error(
            "phase-history-missing",
            site.key("phase"),
            "incident.toml has no [[phase_history]] entry".into(),
        ));
        return;
    };
    let entry_line = |n: usize| table_line(site.text, "phase_history", n);
    if first.phase != Phase::Detection {
        findings.push(site.error(
            "phase-history-start",
            entry_line(0),
            format!("the phase history starts in {}, not detection", first.phase),
        ));
    }
    let short = short_path(incident);
    for (n, pair) in history.windows(2).enumerate() {
        if let Some((code, message)) = transition_problem(&pair[0], &pair[1], short) {
            findings.push(site.error(code, entry_line(n + 1), message));
        }
    }
    let last = history.last().map(|change| change.phase);
    if last != Some(incident.phase()) {
        findings.push(site.error(
            "phase-mismatch",
            site.key("phase"),
            format!(
                "`phase` is {} but the last [[phase_history]] entry is {}",
                incident.phase(),
                last.map(Phase::as_str).unwrap_or_default()
            ),
        ));
    }
}

/// Returns the problem of one step of the phase history, if it is not a legal step: the next
/// phase, the false-positive shortcut, or a reopen of a closed incident with a reason.
fn transition_problem(
    from: &PhaseChange,
    to: &PhaseChange,
    short: bool,
) -> Option<(&'static str, String)> {
    let (a, b) = (from.phase, to.phase);
    let shortcut = short
        && matches!(
            (a, b),
            (Phase::Determination, Phase::Reporting) | (Phase::Reporting, Phase::Closed)
        );
    if a.next() == Some(b) || shortcut {
        return None;
    }
    if a == Phase::Closed && b != Phase::Closed && b != Phase::Detection {
        let has_reason = to.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
        return (!has_reason).then(|| {
            (
                "reopen-reason-missing",
                format!("the incident was reopened into {b} without a reason"),
            )
        });
    }
    if b > a {
        let skipped = a.next().map(Phase::as_str).unwrap_or_default();
        let hint = if a == Phase::Determination && b == Phase::Reporting {
            " (only a false-positive or benign verdict skips to reporting)"
        } else {
            ""
        };
        Some((
            "phase-skipped",
            format!("the phase history goes from {a} to {b}, skipping {skipped}{hint}"),
        ))
    } else {
        Some((
            "phase-order",
            format!("the phase history goes from {a} back to {b} without a reopen"),
        ))
    }
}

fn check_waivers(incident: &Incident, site: &IncidentSite, findings: &mut Vec<Finding>) {
    for (n, waiver) in incident.file.waivers.iter().enumerate() {
        let line = table_line(site.text, "waivers", n);
        if !waiver.gate.waivable() {
            findings.push(site.error(
                "waiver-gate",
                line,
                format!(
                    "the {} gate cannot be waived; only containment, eradication and \
                     recovery can",
                    waiver.gate
                ),
            ));
        }
        if waiver.reason.trim().is_empty() {
            findings.push(site.error(
                "waiver-reason-missing",
                line,
                format!("the waiver of the {} gate has no reason", waiver.gate),
            ));
        }
    }
}

/// Reports every requirement of a passed gate that the data no longer meets.
fn check_passed_gates(incident: &Incident, site: &IncidentSite, findings: &mut Vec<Finding>) {
    let file = &incident.file;
    let phase = incident.phase();
    let mut unmet = |gate: Phase, code: &'static str, key: &str, what: &str| {
        findings.push(site.error(
            code,
            site.key(key).or(site.key("phase")),
            format!("the incident is in {phase}, past the {gate} gate, but {what}"),
        ));
    };
    let blank = |value: &Option<String>| value.as_deref().is_none_or(|t| t.trim().is_empty());

    if passed(incident, Phase::Detection) {
        if file.title.trim().is_empty() {
            unmet(
                Phase::Detection,
                "title-missing",
                "title",
                "it has no title",
            );
        }
        if blank(&file.detected_at) {
            unmet(
                Phase::Detection,
                "detection-time-missing",
                "detected_at",
                "`detected_at` is not set",
            );
        }
        if file.source.alert.is_none() && blank(&file.source.reported_by) {
            unmet(
                Phase::Detection,
                "source-missing",
                "kind",
                "no source (alert or reporting analyst) is recorded",
            );
        }
    }
    if passed(incident, Phase::Triage) && blank(&file.owner) {
        unmet(Phase::Triage, "owner-missing", "owner", "no owner is set");
    }
    if passed(incident, Phase::Investigation) {
        if !incident
            .timeline
            .iter()
            .any(|entry| entry.kind.is_analyst())
        {
            unmet(
                Phase::Investigation,
                "analyst-entry-missing",
                "phase",
                "the timeline has no analyst entry",
            );
        }
        let has_finding = incident
            .timeline
            .iter()
            .any(|entry| entry.kind == EntryKind::Finding);
        if !has_finding && !incident.notes_have_findings() {
            unmet(
                Phase::Investigation,
                "findings-missing",
                "phase",
                "no findings are recorded in notes.md or a `finding` entry",
            );
        }
    }
    if passed(incident, Phase::Determination) {
        if file.verdict.is_none() {
            unmet(
                Phase::Determination,
                "verdict-missing",
                "verdict",
                "no verdict is set",
            );
        } else if blank(&file.verdict_reason) {
            unmet(
                Phase::Determination,
                "verdict-reason-missing",
                "verdict",
                "the verdict has no reason",
            );
        }
    }
    if passed(incident, Phase::Classification) {
        if blank(&file.incident_type) {
            unmet(
                Phase::Classification,
                "type-missing",
                "type",
                "no incident type is set",
            );
        }
        if file.severity.is_none() {
            unmet(
                Phase::Classification,
                "severity-missing",
                "severity",
                "no severity is set",
            );
        }
        let valid = file
            .attack
            .iter()
            .any(|technique| attack::validate_technique(technique).is_ok());
        if !valid {
            unmet(
                Phase::Classification,
                "attack-missing",
                "attack",
                "no valid ATT&CK technique is mapped",
            );
        }
        if blank(&file.impact) && blank(&file.priority) {
            unmet(
                Phase::Classification,
                "impact-missing",
                "impact",
                "neither the business impact nor a priority is recorded",
            );
        }
    }
    for gate in [Phase::Containment, Phase::Eradication, Phase::Recovery] {
        if passed(incident, gate) && !response_done(incident, gate) {
            unmet(
                gate,
                "response-missing",
                "phase",
                &format!("no {gate} action is done and the gate is not waived"),
            );
        }
    }
    if passed(incident, Phase::Reporting) && blank(&file.summary) {
        unmet(
            Phase::Reporting,
            "summary-missing",
            "summary",
            "no summary is written",
        );
    }
    if passed(incident, Phase::LessonsLearned) && incident.recommendations.is_empty() {
        unmet(
            Phase::LessonsLearned,
            "recommendation-missing",
            "phase",
            "no recommendation is recorded",
        );
    }
    if passed(incident, Phase::Improvement) {
        for followup in incident
            .followups
            .iter()
            .filter(|f| f.owner.trim().is_empty())
        {
            unmet(
                Phase::Improvement,
                "followup-owner-missing",
                "phase",
                &format!("follow-up {} has no owner", followup.id),
            );
        }
    }
}

fn response_done(incident: &Incident, gate: Phase) -> bool {
    let waived = incident
        .file
        .waivers
        .iter()
        .any(|waiver| waiver.gate == gate);
    waived
        || incident
            .actions()
            .iter()
            .any(|action| action.phase == gate && action.status == ActionStatus::Done)
}

/// Reports status updates that name an action the incident does not have.
fn check_action_updates(incident: &Incident, site: &IncidentSite, findings: &mut Vec<Finding>) {
    for record in &incident.action_records {
        let Some(target) = &record.updates else {
            continue;
        };
        let known = incident
            .action_records
            .iter()
            .any(|action| action.updates.is_none() && &action.id == target);
        if !known {
            let file = super::incident_path(
                site.name,
                &format!("{}/{}.toml", crate::incident::ACTIONS_DIR, record.id),
            );
            findings.push(
                Finding::error(
                    "action-update-unknown",
                    file,
                    format!("the status update names action {target}, which this incident does not have"),
                )
                .in_incident(site.name),
            );
        }
    }
}
