//! The data a report template receives, built from an incident. Values are raw; the built-in
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
    /// The latest threat-intelligence result per provider for each indicator shown.
    pub intel: Vec<IntelRow>,
    /// Values that contain bidirectional control characters, for the report's warning.
    pub flagged: Vec<String>,
    /// Descriptions of what a TLP-limited render left out, one per kind of content.
    pub withheld: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct IntelRow {
    #[serde(rename = "type")]
    pub kind: String,
    pub defanged: String,
    pub provider: String,
    pub verdict: String,
    pub detections: String,
    pub label: Option<String>,
    pub queried: String,
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

/// Builds the view of `incident`, leaving out what is marked above `max_tlp`.
///
/// Timeline entries and indicators without a marking of their own carry the incident's. When
/// the incident itself is marked above `max_tlp`, its free-text fields (title, summary,
/// impact, verdict reason, owner, agent, actions, waiver and phase change reasons, lessons)
/// are replaced by a withheld notice. Then only entries and indicators explicitly marked at or
/// below `max_tlp` remain, beside the structural data: ID, phase, verdict, severity, type,
/// ATT&CK mapping, phase times and durations. `withheld` lists what was left out.
pub fn build(incident: &Incident, config: &Config, max_tlp: Option<Tlp>) -> ReportView {
    let file = &incident.file;
    let default_tlp = Tlp::parse(&config.incident.default_tlp).unwrap_or(Tlp::Amber);
    let incident_tlp = incident.tlp_or(default_tlp);
    let zone = config.timezone();
    let show_time = |text: &str| display_time(text, zone);
    let allowed = |tlp: Tlp| max_tlp.is_none_or(|max| tlp <= max);
    // The highest marking of anything the document shows, for a full report's marking.
    let mut shown_tlp = incident_tlp;
    let mut withheld = Vec::new();

    let mut timeline = Vec::with_capacity(incident.timeline.len());
    let mut withheld_entries = 0;
    for entry in &incident.timeline {
        let tlp = entry.tlp.unwrap_or(incident_tlp);
        if !allowed(tlp) {
            withheld_entries += 1;
            continue;
        }
        shown_tlp = shown_tlp.max(tlp);
        timeline.push(TimelineRow {
            at: show_time(&entry.at),
            kind: entry.kind.as_str().into(),
            actor: entry.actor.clone(),
            text: entry.text.clone(),
            tlp: tlp.to_string(),
        });
    }

    let mut iocs = Vec::new();
    let mut withheld_iocs = 0;
    let mut hidden_values: Vec<String> = Vec::new();
    for indicator in incident.iocs() {
        let tlp = indicator.tlp.unwrap_or(incident_tlp);
        if !allowed(tlp) {
            withheld_iocs += 1;
            hidden_values.push(indicator.value.clone());
            hidden_values.push(ioc::defang(indicator.kind, &indicator.value));
            continue;
        }
        shown_tlp = shown_tlp.max(tlp);
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

    let limit = max_tlp.map_or_else(String::new, |max| max.to_string());
    if withheld_entries > 0 {
        let entries = if withheld_entries == 1 {
            "entry"
        } else {
            "entries"
        };
        withheld.push(format!(
            "{withheld_entries} timeline {entries} marked above {limit}"
        ));
    }
    if withheld_iocs > 0 {
        let indicators = if withheld_iocs == 1 {
            "indicator"
        } else {
            "indicators"
        };
        withheld.push(format!("{withheld_iocs} {indicators} marked above {limit}"));
    }
    let restricted = !allowed(incident_tlp);
    let mut view = ReportView {
        id: file.id.clone(),
        title: file.title.clone(),
        phase: file.phase.as_str().into(),
        tlp: max_tlp.unwrap_or(shown_tlp).to_string(),
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
        intel: intel_rows(incident, &iocs, &show_time),
        iocs,
        actions: action_rows(incident, &show_time),
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
        flagged: Vec::new(),
        withheld,
    };
    if restricted {
        withhold_incident_fields(&mut view, incident_tlp, &limit);
    }
    if redact_values(&mut view, &hidden_values) {
        view.withheld.push(format!(
            "mentions of indicators marked above {limit} in other fields, shown as [withheld]"
        ));
    }
    view.flagged = flag_bidi(&view);
    view
}

/// Returns the latest enrichment result per provider for each indicator the view shows.
fn intel_rows(
    incident: &Incident,
    shown: &[IocRow],
    show_time: &dyn Fn(&str) -> String,
) -> Vec<IntelRow> {
    let mut latest: Vec<&crate::enrich::EnrichmentRecord> = Vec::new();
    for record in &incident.enrichment {
        let visible = shown
            .iter()
            .any(|row| row.kind == record.kind.as_str() && row.value == record.value);
        if !visible {
            continue;
        }
        let same = |other: &&crate::enrich::EnrichmentRecord| {
            other.provider == record.provider
                && other.kind == record.kind
                && other.value == record.value
        };
        match latest.iter_mut().find(|other| same(other)) {
            Some(other) if other.queried < record.queried => *other = record,
            Some(_) => {}
            None => latest.push(record),
        }
    }
    latest
        .into_iter()
        .map(|record| IntelRow {
            kind: record.kind.as_str().into(),
            defanged: ioc::defang(record.kind, &record.value),
            provider: record.provider.clone(),
            verdict: record.verdict.clone(),
            detections: record.detections(),
            label: record.label.clone(),
            queried: show_time(&record.queried),
        })
        .collect()
}

/// Defangs an action target that is a network indicator (an IP, domain or URL to block), as the
/// indicator table does; other targets (hosts, accounts, files) stay as they are.
fn defang_target(target: &str) -> String {
    match ioc::parse_indicator(target, None) {
        Ok(indicator) if indicator.kind.is_network() => {
            ioc::defang(indicator.kind, &indicator.value)
        }
        _ => target.to_string(),
    }
}

fn action_rows(incident: &Incident, show_time: &dyn Fn(&str) -> String) -> Vec<ActionRow> {
    incident
        .actions()
        .into_iter()
        .map(|action| ActionRow {
            id: action.short_id,
            phase: action.phase.as_str().into(),
            kind: action.kind.as_str().into(),
            target: defang_target(&action.target),
            status: action.status.as_str().into(),
            by: action.updated_by,
            at: show_time(&action.updated),
            note: action.note,
        })
        .collect()
}

/// Replaces every mention of a withheld indicator in the view's free text, such as an action
/// target or a waiver reason, by `[withheld]`. Returns whether anything was replaced.
fn redact_values(view: &mut ReportView, values: &[String]) -> bool {
    let values: Vec<String> = values
        .iter()
        .filter(|value| !value.is_empty())
        .map(|value| value.to_lowercase())
        .collect();
    if values.is_empty() {
        return false;
    }
    let mut replaced = false;
    let mut redact = |text: &mut String| {
        let redacted = redact_text(text, &values);
        if redacted != *text {
            *text = redacted;
            replaced = true;
        }
    };
    redact(&mut view.title);
    for field in [
        &mut view.summary,
        &mut view.impact,
        &mut view.verdict_reason,
        &mut view.source.rule_description,
        &mut view.source.agent,
        &mut view.lessons.what_happened,
        &mut view.lessons.went_well,
        &mut view.lessons.went_wrong,
        &mut view.lessons.root_cause,
    ]
    .into_iter()
    .flatten()
    {
        redact(field);
    }
    for entry in &mut view.timeline {
        redact(&mut entry.text);
    }
    for action in &mut view.actions {
        redact(&mut action.target);
        if let Some(note) = &mut action.note {
            redact(note);
        }
    }
    for waiver in &mut view.waivers {
        redact(&mut waiver.reason);
    }
    for phase in &mut view.phases {
        if let Some(reason) = &mut phase.reason {
            redact(reason);
        }
    }
    for text in &mut view.recommendations {
        redact(text);
    }
    for followup in &mut view.followups {
        redact(&mut followup.text);
    }
    replaced
}

/// Replaces case-insensitive occurrences of any of `values` (lower-case) in `text`.
fn redact_text(text: &str, values: &[String]) -> String {
    let lower = text.to_lowercase();
    if lower.len() != text.len() || !values.iter().any(|value| lower.contains(value.as_str())) {
        // Lower-casing changed byte lengths (non-ASCII case pairs), so match exactly instead.
        let mut output = text.to_string();
        for value in values {
            output = output.replace(value.as_str(), "[withheld]");
        }
        return output;
    }
    let mut output = String::with_capacity(text.len());
    let mut position = 0;
    while position < text.len() {
        let found = values
            .iter()
            .filter(|value| lower[position..].starts_with(value.as_str()))
            .map(|value| value.len())
            .max();
        match found {
            Some(length) => {
                output.push_str("[withheld]");
                position += length;
            }
            None => {
                let next = text[position..].chars().next().map_or(1, char::len_utf8);
                output.push_str(&text[position..position + next]);
                position += next;
            }
        }
    }
    output
}

/// Replaces the incident-level free text of a view by a notice, for a render at a TLP below
/// the incident's own marking.
fn withhold_incident_fields(view: &mut ReportView, incident_tlp: Tlp, limit: &str) {
    let notice = format!("withheld: the incident is marked {incident_tlp}, above {limit}");
    let mut fields = vec!["title"];
    view.title = notice.clone();
    for (name, field) in [
        ("summary", &mut view.summary),
        ("impact assessment", &mut view.impact),
        ("verdict reason", &mut view.verdict_reason),
        ("owner", &mut view.owner),
        ("agent", &mut view.source.agent),
        ("alert ID", &mut view.source.alert_id),
        ("log location", &mut view.source.location),
        ("what happened", &mut view.lessons.what_happened),
        ("what went well", &mut view.lessons.went_well),
        ("what did not go well", &mut view.lessons.went_wrong),
        ("root cause", &mut view.lessons.root_cause),
    ] {
        if field.is_some() {
            fields.push(name);
            *field = Some(notice.clone());
        }
    }
    if view.source.rule_description.take().is_some() {
        fields.push("rule description");
    }
    if view.waivers.iter().any(|w| !w.reason.is_empty()) {
        fields.push("waiver reasons");
    }
    for waiver in &mut view.waivers {
        waiver.reason = notice.clone();
        waiver.by = String::new();
    }
    if view.phases.iter().any(|p| p.reason.is_some()) {
        fields.push("phase change reasons");
    }
    for phase in &mut view.phases {
        phase.reason = None;
        phase.by = String::new();
    }
    view.withheld.insert(
        0,
        format!(
            "incident fields marked {incident_tlp}: {}",
            fields.join(", ")
        ),
    );
    for (count, what) in [
        (view.actions.len(), "actions"),
        (view.recommendations.len(), "recommendations"),
        (view.followups.len(), "follow-ups"),
    ] {
        if count > 0 {
            let what = if count == 1 {
                &what[..what.len() - 1]
            } else {
                what
            };
            view.withheld.push(format!(
                "{count} {what} of the incident, marked {incident_tlp}"
            ));
        }
    }
    view.actions.clear();
    view.recommendations.clear();
    view.followups.clear();
}

/// Lists every value of the view that contains bidirectional control characters, each with
/// the field it is in and its text with the controls made visible.
fn flag_bidi(view: &ReportView) -> Vec<String> {
    let mut flagged = Vec::new();
    let Ok(value) = serde_json::to_value(view) else {
        return flagged;
    };
    let serde_json::Value::Object(fields) = value else {
        return flagged;
    };
    for (field, value) in &fields {
        // `defanged` repeats `value`, so flagging it would list each indicator twice.
        walk_strings(value, &mut |key, text| {
            if key != "defanged" && super::text::has_bidi_control(text) {
                let entry = format!(
                    "{} contains bidirectional control characters, a possible masquerade: {}",
                    field_label(field),
                    super::text::make_visible(text)
                );
                if !flagged.contains(&entry) {
                    flagged.push(entry);
                }
            }
        });
    }
    flagged
}

fn walk_strings(value: &serde_json::Value, visit: &mut dyn FnMut(&str, &str)) {
    fn walk(key: &str, value: &serde_json::Value, visit: &mut dyn FnMut(&str, &str)) {
        match value {
            serde_json::Value::String(text) => visit(key, text),
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(key, item, visit);
                }
            }
            serde_json::Value::Object(fields) => {
                for (name, item) in fields {
                    walk(name, item, visit);
                }
            }
            _ => {}
        }
    }
    walk("", value, visit);
}

fn field_label(field: &str) -> String {
    match field {
        "timeline" => "a timeline entry".into(),
        "iocs" => "an indicator".into(),
        "actions" => "an action".into(),
        "waivers" => "a waiver".into(),
        "phases" => "the phase history".into(),
        "recommendations" => "a recommendation".into(),
        "followups" => "a follow-up".into(),
        "lessons" => "the lessons learned".into(),
        "source" => "the alert source".into(),
        other => format!("the incident's {}", other.replace('_', " ")),
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
                            technique_name: technique_full_name(technique.id),
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
