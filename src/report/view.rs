//! The data a report template sees, built from an incident. Values are raw; the built-in
//! templates escape them with the `md`, `md_block` and `code` filters.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::attack;
use crate::clock::parse_time;
use crate::config::Config;
use crate::incident::{Incident, Verdict};
use crate::ioc;
use crate::phase::Phase;
use crate::tlp::Tlp;

#[derive(Debug, Serialize)]
pub struct ReportView {
    pub id: String,
    pub title: String,
    pub phase: String,
    pub tlp: String,
    pub owner: Option<String>,
    pub verdict: Option<String>,
    pub verdict_reason: Option<String>,
    pub short_path: bool,
    pub incident_type: Option<String>,
    pub severity: Option<String>,
    pub priority: Option<String>,
    pub impact: Option<String>,
    pub summary: Option<String>,
    pub detected_at: Option<String>,
    pub created: String,
    pub source: SourceView,
    pub attack_version: String,
    pub attack: Vec<AttackRow>,
    pub timeline: Vec<TimelineRow>,
    pub iocs: Vec<IocRow>,
    pub actions: Vec<ActionRow>,
    pub waivers: Vec<WaiverRow>,
    pub phases: Vec<PhaseRow>,
    pub durations: Vec<DurationRow>,
    pub recommendations: Vec<String>,
    pub followups: Vec<FollowupRow>,
    pub lessons: LessonsView,
    pub flagged: Vec<String>,
    /// Entries and indicators left out because they are marked above the requested TLP.
    pub withheld: usize,
}

#[derive(Debug, Serialize)]
pub struct SourceView {
    pub kind: String,
    pub reported_by: Option<String>,
    pub rule_id: Option<String>,
    pub rule_level: Option<u8>,
    pub rule_description: Option<String>,
    pub agent: Option<String>,
    pub alert_id: Option<String>,
    pub location: Option<String>,
    pub alerts: usize,
}

#[derive(Debug, Serialize)]
pub struct AttackRow {
    pub tactic: String,
    pub technique_id: String,
    pub technique_name: String,
}

#[derive(Debug, Serialize)]
pub struct TimelineRow {
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub text: String,
    pub tlp: String,
}

#[derive(Debug, Serialize)]
pub struct IocRow {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    pub defanged: String,
    pub first_seen: String,
    pub last_seen: String,
    pub sources: String,
    pub tlp: String,
}

#[derive(Debug, Serialize)]
pub struct ActionRow {
    pub id: String,
    pub phase: String,
    pub kind: String,
    pub target: String,
    pub status: String,
    pub by: String,
    pub at: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct WaiverRow {
    pub gate: String,
    pub reason: String,
    pub by: String,
    pub at: String,
}

#[derive(Debug, Serialize)]
pub struct PhaseRow {
    pub phase: String,
    pub entered: String,
    pub by: String,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DurationRow {
    pub name: String,
    pub from: String,
    pub to: String,
    pub duration: String,
    pub seconds: i64,
}

#[derive(Debug, Serialize)]
pub struct FollowupRow {
    pub kind: String,
    pub text: String,
    pub owner: String,
    pub due: String,
}

#[derive(Debug, Serialize)]
pub struct LessonsView {
    pub what_happened: Option<String>,
    pub went_well: Option<String>,
    pub went_wrong: Option<String>,
    pub root_cause: Option<String>,
}

/// Builds the view of `incident`, leaving out entries and indicators marked above `max_tlp`.
pub fn build(incident: &Incident, config: &Config, max_tlp: Option<Tlp>) -> ReportView {
    let file = &incident.file;
    let default_tlp = Tlp::parse(&config.incident.default_tlp).unwrap_or(Tlp::Amber);
    let incident_tlp = incident.tlp_or(default_tlp);
    let zone = config.timezone();
    let show_time = |text: &str| display_time(text, zone);
    let allowed = |tlp: Tlp| max_tlp.is_none_or(|max| tlp <= max);
    let mut withheld = 0;
    let mut flagged = Vec::new();

    let mut timeline = Vec::new();
    for entry in &incident.timeline {
        let tlp = entry.tlp.unwrap_or(incident_tlp);
        if !allowed(tlp) {
            withheld += 1;
            continue;
        }
        flag_bidi(&mut flagged, "timeline entry", &entry.text);
        timeline.push(TimelineRow {
            at: show_time(&entry.at),
            kind: entry.kind.as_str().into(),
            actor: entry.actor.clone(),
            text: entry.text.clone(),
            tlp: tlp.to_string(),
        });
    }

    let mut iocs = Vec::new();
    for indicator in incident.iocs() {
        let tlp = indicator.tlp.unwrap_or(incident_tlp);
        if !allowed(tlp) {
            withheld += 1;
            continue;
        }
        flag_bidi(&mut flagged, "indicator", &indicator.value);
        iocs.push(IocRow {
            kind: indicator.kind.as_str().into(),
            defanged: ioc::defang(indicator.kind, &indicator.value),
            value: indicator.value,
            first_seen: show_time(&indicator.first_seen),
            last_seen: show_time(&indicator.last_seen),
            sources: indicator.sources.join(", "),
            tlp: tlp.to_string(),
        });
    }

    let actions = incident
        .actions()
        .into_iter()
        .map(|action| {
            flag_bidi(&mut flagged, "action target", &action.target);
            ActionRow {
                id: action.short_id,
                phase: action.phase.as_str().into(),
                kind: action.kind.as_str().into(),
                target: action.target,
                status: action.status.as_str().into(),
                by: action.updated_by,
                at: show_time(&action.updated),
                note: action.note,
            }
        })
        .collect();

    for text in [
        &file.title,
        file.summary.as_deref().unwrap_or(""),
        file.impact.as_deref().unwrap_or(""),
    ] {
        flag_bidi(&mut flagged, "incident field", text);
    }

    ReportView {
        id: file.id.clone(),
        title: file.title.clone(),
        phase: file.phase.as_str().into(),
        tlp: max_tlp.unwrap_or(incident_tlp).to_string(),
        owner: file.owner.clone(),
        verdict: file.verdict.map(|verdict| verdict.as_str().into()),
        verdict_reason: file.verdict_reason.clone(),
        short_path: file.verdict.is_some_and(Verdict::skips_response),
        incident_type: file.incident_type.clone(),
        severity: file.severity.clone(),
        priority: file.priority.clone(),
        impact: file.impact.clone(),
        summary: file.summary.clone(),
        detected_at: file.detected_at.as_deref().map(show_time),
        created: show_time(&file.created),
        source: source_view(incident),
        attack_version: file
            .attack_version
            .clone()
            .unwrap_or_else(|| attack::ATTACK_VERSION.into()),
        attack: attack_rows(&file.attack),
        timeline,
        iocs,
        actions,
        waivers: file
            .waivers
            .iter()
            .map(|waiver| WaiverRow {
                gate: waiver.gate.as_str().into(),
                reason: waiver.reason.clone(),
                by: waiver.by.clone(),
                at: show_time(&waiver.at),
            })
            .collect(),
        phases: file
            .phase_history
            .iter()
            .map(|change| PhaseRow {
                phase: change.phase.as_str().into(),
                entered: show_time(&change.entered),
                by: change.by.clone(),
                reason: change.reason.clone(),
            })
            .collect(),
        durations: durations(incident),
        recommendations: incident
            .recommendations
            .iter()
            .map(|r| r.text.clone())
            .collect(),
        followups: incident
            .followups
            .iter()
            .map(|followup| FollowupRow {
                kind: followup.kind.as_str().into(),
                text: followup.text.clone(),
                owner: followup.owner.clone(),
                due: followup.due.clone(),
            })
            .collect(),
        lessons: LessonsView {
            what_happened: file.lessons.what_happened.clone(),
            went_well: file.lessons.went_well.clone(),
            went_wrong: file.lessons.went_wrong.clone(),
            root_cause: file.lessons.root_cause.clone(),
        },
        flagged,
        withheld,
    }
}

fn flag_bidi(flagged: &mut Vec<String>, what: &str, text: &str) {
    if super::text::has_bidi_control(text) {
        flagged.push(format!(
            "a {what} contains bidirectional control characters, a possible masquerade: {}",
            super::text::make_visible(text)
        ));
    }
}

fn source_view(incident: &Incident) -> SourceView {
    let source = &incident.file.source;
    let alert = source.alert.as_ref();
    SourceView {
        kind: source.kind.clone(),
        reported_by: source.reported_by.clone(),
        rule_id: alert.map(|a| a.rule_id.clone()),
        rule_level: alert.map(|a| a.rule_level),
        rule_description: alert.map(|a| a.rule_description.clone()),
        agent: alert.and_then(|a| {
            let name = a.agent_name.clone()?;
            Some(match (&a.agent_id, &a.agent_ip) {
                (Some(id), Some(ip)) => format!("{name} (agent {id}, {ip})"),
                (Some(id), None) => format!("{name} (agent {id})"),
                _ => name,
            })
        }),
        alert_id: alert.and_then(|a| a.alert_id.clone()),
        location: alert.and_then(|a| a.location.clone()),
        alerts: incident
            .evidence
            .iter()
            .filter(|e| e.rule_id.is_some())
            .count(),
    }
}

/// Returns one row per technique and tactic, in the order of the ATT&CK matrix.
pub fn attack_rows(techniques: &[String]) -> Vec<AttackRow> {
    let catalog = attack::catalog();
    let mut rows = Vec::new();
    for id in techniques {
        match catalog.technique(id) {
            Some(technique) if !technique.tactics.is_empty() => {
                for tactic in &technique.tactics {
                    let tactic_name = catalog
                        .tactic(tactic)
                        .map_or(tactic.to_string(), |t| t.name.to_string());
                    rows.push((
                        catalog
                            .tactic(tactic)
                            .map_or(usize::MAX, |t| t.order as usize),
                        AttackRow {
                            tactic: tactic_name,
                            technique_id: technique.id.to_string(),
                            technique_name: technique_full_name(technique.id.as_ref()),
                        },
                    ));
                }
            }
            _ => rows.push((
                usize::MAX,
                AttackRow {
                    tactic: "unknown".into(),
                    technique_id: id.clone(),
                    technique_name: "not in the ATT&CK catalog".into(),
                },
            )),
        }
    }
    rows.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.technique_id.cmp(&b.1.technique_id))
    });
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Returns "Parent: Sub-technique" for a sub-technique and the plain name otherwise.
fn technique_full_name(id: &str) -> String {
    let catalog = attack::catalog();
    let Some(technique) = catalog.technique(id) else {
        return String::new();
    };
    match id.split_once('.') {
        Some((parent, _)) => match catalog.technique(parent) {
            Some(parent) => format!("{}: {}", parent.name, technique.name),
            None => technique.name.to_string(),
        },
        None => technique.name.to_string(),
    }
}

fn utc(text: &str) -> Option<DateTime<Utc>> {
    parse_time(text).ok().map(|time| time.to_utc())
}

fn display_time(text: &str, zone: chrono_tz::Tz) -> String {
    match utc(text) {
        Some(time) if zone == chrono_tz::UTC => time.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Some(time) => time
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string(),
        None => text.to_string(),
    }
}

/// Formats a number of seconds as `3d 4h 5m 6s`, leaving out leading zero units.
pub fn format_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let total = seconds.unsigned_abs();
    let (days, hours, minutes, secs) = (
        total / 86_400,
        total / 3_600 % 24,
        total / 60 % 60,
        total % 60,
    );
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 || !parts.is_empty() {
        parts.push(format!("{hours}h"));
    }
    if minutes > 0 || !parts.is_empty() {
        parts.push(format!("{minutes}m"));
    }
    parts.push(format!("{secs}s"));
    format!("{sign}{}", parts.join(" "))
}

/// The milestones of an incident, used by reports and `casefile stats`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Milestones {
    pub first_event: Option<DateTime<Utc>>,
    pub detected: Option<DateTime<Utc>>,
    pub acknowledged: Option<DateTime<Utc>>,
    pub contained: Option<DateTime<Utc>>,
    pub recovered: Option<DateTime<Utc>>,
    pub closed: Option<DateTime<Utc>>,
}

/// Returns the milestones: the earliest event on the timeline, detection, the first owner
/// (the end of triage), the end of containment, the end of recovery, and closing.
pub fn milestones(incident: &Incident) -> Milestones {
    let file = &incident.file;
    let history = &file.phase_history;
    let entered_first = |phase: Phase| {
        history
            .iter()
            .find(|change| change.phase == phase)
            .and_then(|change| utc(&change.entered))
    };
    let entered_last = |phase: Phase| {
        history
            .iter()
            .rev()
            .find(|change| change.phase == phase)
            .and_then(|change| utc(&change.entered))
    };
    let detected = file.detected_at.as_deref().and_then(utc);
    let first_event = incident
        .timeline
        .iter()
        .filter_map(|entry| utc(&entry.at))
        .min();
    let first_event = match (first_event, detected) {
        (Some(event), Some(detected)) => Some(event.min(detected)),
        (event, detected) => event.or(detected),
    };
    Milestones {
        first_event,
        detected,
        acknowledged: file
            .acknowledged_at
            .as_deref()
            .and_then(utc)
            .or_else(|| entered_first(Phase::Investigation)),
        contained: entered_first(Phase::Eradication),
        recovered: entered_first(Phase::Reporting)
            .filter(|_| entered_first(Phase::Recovery).is_some()),
        closed: entered_last(Phase::Closed).filter(|_| file.phase == Phase::Closed),
    }
}

fn durations(incident: &Incident) -> Vec<DurationRow> {
    let milestones = milestones(incident);
    let pairs = [
        (
            "Time to detect",
            milestones.first_event,
            milestones.detected,
        ),
        (
            "Time to acknowledge",
            milestones.detected,
            milestones.acknowledged,
        ),
        ("Time to contain", milestones.detected, milestones.contained),
        ("Time to recover", milestones.detected, milestones.recovered),
        ("Time to close", milestones.detected, milestones.closed),
    ];
    pairs
        .into_iter()
        .filter_map(|(name, from, to)| {
            let (from, to) = (from?, to?);
            let seconds = (to - from).num_seconds();
            Some(DurationRow {
                name: name.into(),
                from: from.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                to: to.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                duration: format_duration(seconds),
                seconds,
            })
        })
        .collect()
}
