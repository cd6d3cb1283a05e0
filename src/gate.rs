//! Phase gates: what must hold before an incident may leave its current phase.

use crate::attack;
use crate::config::Config;
use crate::incident::{ActionStatus, Incident};
use crate::phase::Phase;
use crate::playbook::Playbook;
use crate::report::Freshness;

/// What the gate of the incident's current phase needs, and where `advance` goes next.
pub struct GateCheck {
    pub phase: Phase,
    pub next: Phase,
    pub unmet: Vec<String>,
    pub warnings: Vec<String>,
}

/// Documents whose freshness the reporting and lessons-learned gates check.
pub struct Documents {
    pub report: Freshness,
    pub lessons: Freshness,
}

/// Evaluates the gate of the incident's current phase.
pub fn check_gate(
    incident: &Incident,
    config: &Config,
    playbook: Option<&Playbook>,
    documents: &Documents,
) -> GateCheck {
    let phase = incident.phase();
    let mut unmet = Vec::new();
    let mut warnings = Vec::new();
    match phase {
        Phase::Detection => detection(incident, &mut unmet),
        Phase::Triage => {
            if incident.file.owner.is_none() {
                unmet.push(
                    "an owner is set (`casefile take ID` or `casefile assign ID ANALYST`)".into(),
                );
            }
        }
        Phase::Investigation => investigation(incident, &mut unmet),
        Phase::Determination => determination(incident, &mut unmet, &mut warnings),
        Phase::Classification => classification(incident, config, &mut unmet, &mut warnings),
        Phase::Containment | Phase::Eradication | Phase::Recovery => {
            response(incident, phase, playbook, &mut unmet)
        }
        Phase::Reporting => reporting(incident, documents, &mut unmet),
        Phase::LessonsLearned => lessons_learned(incident, documents, &mut unmet),
        Phase::Improvement => improvement(incident, &mut unmet, &mut warnings),
        Phase::Closed => unmet.push("the incident is closed; `casefile reopen` reopens it".into()),
    }
    GateCheck {
        phase,
        next: next_phase(incident),
        unmet,
        warnings,
    }
}

/// Returns the phase `advance` moves to: the next one, except that a false positive or benign
/// verdict goes from determination straight to reporting and from reporting to closed.
pub fn next_phase(incident: &Incident) -> Phase {
    let phase = incident.phase();
    let short_path = incident
        .file
        .verdict
        .is_some_and(|verdict| verdict.skips_response());
    match phase {
        Phase::Determination if short_path => Phase::Reporting,
        Phase::Reporting if short_path => Phase::Closed,
        _ => phase.next().unwrap_or(Phase::Closed),
    }
}

fn missing(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(|text| text.trim().is_empty())
}

fn detection(incident: &Incident, unmet: &mut Vec<String>) {
    let file = &incident.file;
    if file.title.trim().is_empty() {
        unmet.push("the incident has a title".into());
    }
    if missing(&file.detected_at) {
        unmet.push("a detection time is recorded (`detected_at` in incident.toml)".into());
    }
    let has_source = file.source.alert.is_some() || !missing(&file.source.reported_by);
    if !has_source {
        unmet.push("a source is recorded: an alert reference or the reporting analyst".into());
    }
}

fn investigation(incident: &Incident, unmet: &mut Vec<String>) {
    let analyst_entries = incident
        .timeline
        .iter()
        .filter(|entry| entry.kind.is_analyst())
        .count();
    if analyst_entries == 0 {
        unmet.push(
            "at least one analyst timeline entry beyond the automatic ones \
             (`casefile timeline add ID TEXT`)"
                .into(),
        );
    }
    let finding_entries = incident
        .timeline
        .iter()
        .any(|entry| entry.kind == crate::incident::EntryKind::Finding);
    if !finding_entries && !incident.notes_have_findings() {
        unmet.push(
            "findings are recorded: text in notes.md or a timeline entry of kind `finding` \
             (`casefile timeline add ID TEXT --kind finding`)"
                .into(),
        );
    }
}

fn determination(incident: &Incident, unmet: &mut Vec<String>, warnings: &mut Vec<String>) {
    let file = &incident.file;
    match file.verdict {
        None => unmet.push(
            "a verdict is set (`casefile verdict ID true-positive|false-positive|benign --reason R`)"
                .into(),
        ),
        Some(verdict) => {
            if missing(&file.verdict_reason) {
                unmet.push("the verdict has a reason (`--reason`)".into());
            }
            if verdict.skips_response() {
                if let Some(alert) = &file.source.alert {
                    warnings.push(format!(
                        "consider a tuning follow-up for detection rule {}: \
                         `casefile followup add {} siem-rule TEXT --owner O --due DATE`",
                        alert.rule_id, file.id
                    ));
                }
            }
        }
    }
}

fn classification(
    incident: &Incident,
    config: &Config,
    unmet: &mut Vec<String>,
    warnings: &mut Vec<String>,
) {
    let file = &incident.file;
    if missing(&file.incident_type) {
        unmet.push("an incident type is set (`casefile classify ID --type T`)".into());
    }
    match &file.severity {
        None => unmet.push("a severity is set (`casefile classify ID --severity S`)".into()),
        Some(severity) if config.severity_rank(severity).is_none() => unmet.push(format!(
            "severity `{severity}` is on the scale ({})",
            config.severity.scale.join(", ")
        )),
        Some(_) => {}
    }
    let mut valid = 0;
    for technique in &file.attack {
        match attack::validate_technique(technique) {
            Ok(validated) => {
                valid += 1;
                warnings.extend(validated.warning);
            }
            Err(error) => unmet.push(format!("ATT&CK technique `{technique}` is valid: {error}")),
        }
    }
    if valid == 0 {
        unmet.push(
            "at least one valid ATT&CK technique is mapped (`casefile classify ID --attack T1110`)"
                .into(),
        );
    }
    if missing(&file.impact) && missing(&file.priority) {
        unmet.push(
            "the business impact or priority is assessed (`casefile classify ID --impact TEXT`)"
                .into(),
        );
    }
}

fn response(
    incident: &Incident,
    phase: Phase,
    playbook: Option<&Playbook>,
    unmet: &mut Vec<String>,
) {
    if incident
        .file
        .waivers
        .iter()
        .any(|waiver| waiver.gate == phase)
    {
        return;
    }
    let actions: Vec<_> = incident
        .actions()
        .into_iter()
        .filter(|action| action.phase == phase)
        .collect();
    if !actions
        .iter()
        .any(|action| action.status == ActionStatus::Done)
    {
        unmet.push(format!(
            "at least one {phase} action is done (`casefile action add ID KIND TARGET --status done`), \
             or the gate is waived"
        ));
    }
    for action in actions
        .iter()
        .filter(|action| action.status == ActionStatus::Planned)
    {
        unmet.push(format!(
            "planned {phase} action {} ({} {}) is done or failed (`casefile action done ID {}`)",
            action.short_id,
            action.kind.as_str(),
            action.target,
            action.short_id
        ));
    }
    if let Some(playbook) = playbook {
        for kind in playbook.required(phase) {
            let done = actions
                .iter()
                .any(|action| action.kind == *kind && action.status == ActionStatus::Done);
            if !done {
                unmet.push(format!(
                    "playbook `{}` requires a done `{}` action in {phase}",
                    playbook.name,
                    kind.as_str()
                ));
            }
        }
    }
}

fn reporting(incident: &Incident, documents: &Documents, unmet: &mut Vec<String>) {
    let file = &incident.file;
    if missing(&file.summary) {
        unmet.push("a summary is written (`casefile summary ID TEXT`)".into());
    }
    let short_path = file.verdict.is_some_and(|verdict| verdict.skips_response());
    if !short_path && missing(&file.impact) {
        unmet.push("an impact assessment is written (`casefile classify ID --impact TEXT`)".into());
    }
    match documents.report {
        Freshness::Missing => unmet.push("the report is rendered (`casefile report ID`)".into()),
        Freshness::Stale => unmet.push(
            "the report is current: the incident changed since report.md was rendered \
             (`casefile report ID`)"
                .into(),
        ),
        Freshness::Current => {}
    }
}

fn lessons_learned(incident: &Incident, documents: &Documents, unmet: &mut Vec<String>) {
    if incident.recommendations.is_empty() {
        unmet.push("at least one recommendation is recorded (`casefile recommend ID TEXT`)".into());
    }
    match documents.lessons {
        Freshness::Missing => {
            unmet.push("the lessons-learned document is rendered (`casefile lessons ID`)".into())
        }
        Freshness::Stale => unmet.push(
            "the lessons-learned document is current: the incident changed since lessons.md \
             was rendered (`casefile lessons ID`)"
                .into(),
        ),
        Freshness::Current => {}
    }
}

fn improvement(incident: &Incident, unmet: &mut Vec<String>, warnings: &mut Vec<String>) {
    if incident.followups.is_empty() {
        warnings.push("no follow-up is recorded for this incident".into());
    }
    for followup in &incident.followups {
        if followup.owner.trim().is_empty() {
            unmet.push(format!(
                "follow-up {} ({}) has an owner",
                crate::incident::id::short_record_id(&followup.id),
                followup.text
            ));
        }
    }
}
