//! `casefile open`: open an incident by hand or from a Wazuh alert.

use std::path::{Path, PathBuf};

use clap::Args;
use sha2::{Digest, Sha256};

use crate::alert::{self, Alert};
use crate::clock::{format_time, parse_time};
use crate::error::{Error, Result};
use crate::incident::id::{new_incident_id, new_record_id};
use crate::incident::{
    incident_dir, record_toml, AlertSource, EntryKind, EvidenceRecord, IocRecord, TimelineEntry,
    EVIDENCE_DIR, INCIDENT_FILE, IOCS_DIR, NOTES_FILE, TIMELINE_DIR,
};
use crate::ioc;
use crate::playbook;
use crate::repo::Change;
use crate::tlp::Tlp;

use super::{incident_change, Context, Workspace};

/// Open an incident and print its ID. With --alert, fill it from a Wazuh alert (the
/// alerts.json format, one object): title, detection time, source, IOCs, ATT&CK IDs and a
/// severity suggestion, keeping the raw alert as evidence
#[derive(Debug, Default, Args)]
pub struct OpenArgs {
    /// Title of the incident; defaults to the alert's rule description
    #[arg(long, required_unless_present = "alert")]
    pub title: Option<String>,

    /// Wazuh alert file (JSON) to open the incident from
    #[arg(long, value_name = "FILE")]
    pub alert: Option<PathBuf>,

    /// Severity on the repository's scale; defaults to the alert's suggestion
    #[arg(long)]
    pub severity: Option<String>,

    /// Incident type, such as brute-force, malware or unauthorized-access
    #[arg(long = "type", value_name = "TYPE")]
    pub incident_type: Option<String>,

    /// Detection time (RFC 3339 or with a zone name); defaults to the alert's time or now
    #[arg(long, value_name = "TIME")]
    pub detected: Option<String>,

    /// TLP marking of the incident; defaults to incident.default_tlp in casefile.toml
    #[arg(long)]
    pub tlp: Option<String>,
}

/// A new incident assembled in memory before anything is written.
pub struct NewIncident {
    pub id: String,
    pub change: Change,
}

pub fn run(args: OpenArgs, context: &mut Context) -> Result<i32> {
    let workspace = context.workspace()?;
    let alert = match &args.alert {
        Some(path) => Some(read_alert(path)?),
        None => None,
    };
    let new = build(&workspace, context, &args, alert.as_ref())?;
    context.apply(&workspace, &new.change)?;
    if context.json {
        context.print_json(&serde_json::json!({ "id": new.id }))?;
    } else {
        context.print_data(&new.id)?;
    }
    Ok(0)
}

/// An alert file's bytes, parsed alert and name.
pub struct AlertInput {
    pub bytes: Vec<u8>,
    pub alert: Alert,
    pub origin: String,
}

/// Reads and parses one alert file.
pub fn read_alert(path: &Path) -> Result<AlertInput> {
    let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
    let alert = alert::parse_alert(&bytes).map_err(|source| Error::Alert {
        path: path.to_path_buf(),
        source,
    })?;
    let origin = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(AlertInput {
        bytes,
        alert,
        origin,
    })
}

/// Assembles the files of a new incident; nothing is written yet.
pub fn build(
    workspace: &Workspace,
    context: &Context,
    args: &OpenArgs,
    alert: Option<&AlertInput>,
) -> Result<NewIncident> {
    let config = &workspace.repo.config;
    let now = context.clock.now();
    let recorded = format_time(now);
    let actor = workspace.actor();

    // A title is one line: rule descriptions sometimes carry line breaks.
    let title = match (&args.title, alert) {
        (Some(title), _) => one_line(title, 500),
        (None, Some(input)) => one_line(&input.alert.rule.description, 500),
        (None, None) => String::new(),
    };
    if title.is_empty() {
        return Err(Error::invalid_with_hint(
            "the incident title is empty",
            "pass `--title TEXT`",
        ));
    }
    let severity = match (&args.severity, alert) {
        (Some(severity), _) => Some(config.severity(severity)?),
        (None, Some(input)) => config.severity_for_wazuh_level(input.alert.rule.level),
        (None, None) => None,
    };
    if let Some(kind) = &args.incident_type {
        validate_type(kind)?;
    }
    let tlp = match &args.tlp {
        Some(text) => Tlp::parse(text)?,
        None => Tlp::parse(&config.incident.default_tlp)?,
    };
    let detected_at = match (&args.detected, alert) {
        (Some(text), _) => parse_time(text)?.to_utc(),
        (None, Some(input)) => input.alert.timestamp.to_utc(),
        (None, None) => now,
    };
    let future = detected_at - now;
    if args.detected.is_some() && future > chrono::Duration::minutes(5) {
        return Err(Error::invalid_with_hint(
            format!(
                "detection time `{}` is in the future",
                format_time(detected_at)
            ),
            "check the date and the zone of --detected",
        ));
    }
    if future > chrono::Duration::hours(1) {
        context.warn(format!(
            "the alert's time {} is {} ahead of this machine's clock; check the agent's clock",
            format_time(detected_at),
            crate::report::view::format_duration(future.num_seconds())
        ));
    }

    let id = unique_id(workspace, context)?;
    let dir = incident_dir(&id);
    let mut change = incident_change(
        &id,
        "open",
        &format!("open incident \"{}\"", one_line(&title, 60)),
    );

    let mut document = toml_edit::DocumentMut::new();
    document["id"] = toml_edit::value(&id);
    document["title"] = toml_edit::value(&title);
    document["created"] = toml_edit::value(&recorded);
    document["detected_at"] = toml_edit::value(format_time(detected_at));
    document["phase"] = toml_edit::value("detection");
    document["tlp"] = toml_edit::value(tlp.as_str());
    if let Some(severity) = &severity {
        document["severity"] = toml_edit::value(severity);
    }
    if let Some(kind) = &args.incident_type {
        document["type"] = toml_edit::value(kind);
    }

    let mut attack_ids = Vec::new();
    let mut source = toml_edit::Table::new();
    match alert {
        Some(input) => {
            let (alert_source, evidence_writes) =
                alert_evidence(input, &dir, &recorded, &actor, config)?;
            for (path, content) in evidence_writes {
                change.write(path, content);
            }
            source["kind"] = toml_edit::value("alert");
            let alert_table = toml_edit::ser::to_document(&alert_source)
                .map_err(|error| Error::invalid(format!("internal error: {error}")))?;
            source["alert"] = toml_edit::Item::Table(alert_table.as_table().clone());
            attack_ids = valid_attack_ids(&input.alert, context);
            add_alert_records(&mut change, &dir, input, &recorded, &actor, context);
        }
        None => {
            source["kind"] = toml_edit::value("analyst");
            source["reported_by"] = toml_edit::value(&actor);
        }
    }
    if !attack_ids.is_empty() {
        let mut array = toml_edit::Array::new();
        for technique in &attack_ids {
            array.push(technique.as_str());
        }
        document["attack"] = toml_edit::value(array);
        document["attack_version"] = toml_edit::value(crate::attack::ATTACK_VERSION);
    }
    document["source"] = toml_edit::Item::Table(source);
    let mut history = toml_edit::ArrayOfTables::new();
    let mut entered = toml_edit::Table::new();
    entered["phase"] = toml_edit::value("detection");
    entered["entered"] = toml_edit::value(&recorded);
    entered["by"] = toml_edit::value(&actor);
    history.push(entered);
    document["phase_history"] = toml_edit::Item::ArrayOfTables(history);

    change.write(dir.join(INCIDENT_FILE), document.to_string());
    change.write(dir.join(NOTES_FILE), notes_template(&id, &title));
    let opened = TimelineEntry {
        id: String::new(),
        at: recorded.clone(),
        recorded: recorded.clone(),
        actor: actor.clone(),
        kind: EntryKind::System,
        text: format!("Incident opened by {actor}"),
        source: None,
        tlp: None,
    };
    change.write(
        dir.join(TIMELINE_DIR)
            .join(format!("{}.toml", new_record_id(now))),
        record_toml(&opened)?,
    );
    Ok(NewIncident { id, change })
}

fn unique_id(workspace: &Workspace, context: &Context) -> Result<String> {
    let prefix = &workspace.repo.config.incident.id_prefix;
    for _ in 0..64 {
        let id = new_incident_id(prefix, context.clock.now());
        if !workspace.repo.root.join(incident_dir(&id)).exists() {
            return Ok(id);
        }
    }
    Err(Error::invalid(
        "internal error: could not find a free incident ID after 64 tries",
    ))
}

/// Checks that an incident type is a lower-case slug.
pub fn validate_type(kind: &str) -> Result<()> {
    if playbook::is_type_name(kind) {
        return Ok(());
    }
    Err(Error::invalid_with_hint(
        format!("incident type `{kind}` is not valid"),
        format!(
            "use lower-case letters, digits and hyphens, for example: {}",
            playbook::KNOWN_TYPES.join(", ")
        ),
    ))
}

/// Returns the alert's ATT&CK IDs that the catalog accepts, warning about the others.
fn valid_attack_ids(alert: &Alert, context: &Context) -> Vec<String> {
    let mut ids = Vec::new();
    for raw in &alert.rule.mitre_ids {
        match crate::attack::validate_technique(raw) {
            Ok(validated) => {
                if let Some(warning) = validated.warning {
                    context.warn(warning);
                }
                let id = validated.technique.id.to_string();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Err(error) => context.warn(format!("alert ATT&CK ID left out: {error}")),
        }
    }
    ids
}

/// A file to write: its path relative to the repository root and its content.
pub type FileWrite = (PathBuf, Vec<u8>);

/// Builds the evidence files (the raw alert byte for byte and its metadata) and the alert
/// reference stored in incident.toml.
pub fn alert_evidence(
    input: &AlertInput,
    dir: &Path,
    recorded: &str,
    actor: &str,
    config: &crate::config::Config,
) -> Result<(AlertSource, Vec<FileWrite>)> {
    let sha256 = crate::report::hex(&Sha256::digest(&input.bytes));
    let name = format!("alert-{}", &sha256[..16]);
    let evidence_file = format!("{name}.json");
    let alert = &input.alert;
    let dedupe_key = alert::dedupe_key(&input.bytes, &config.ingest.dedupe_key)
        .map_err(|source| Error::invalid(format!("{}: {source}", input.origin)))?;
    let record = EvidenceRecord {
        id: String::new(),
        file: evidence_file.clone(),
        sha256: sha256.clone(),
        size: input.bytes.len() as u64,
        received: recorded.to_string(),
        actor: actor.to_string(),
        origin: input.origin.clone(),
        alert_id: alert.id.clone(),
        rule_id: Some(alert.rule.id.clone()),
        alert_time: Some(format_time(alert.timestamp.to_utc())),
        dedupe_key: Some(dedupe_key.clone()),
        alerts: None,
        index: None,
        first_alert_time: None,
    };
    let evidence_dir = dir.join(EVIDENCE_DIR);
    let writes = vec![
        (evidence_dir.join(&evidence_file), input.bytes.clone()),
        (
            evidence_dir.join(format!("{name}.toml")),
            record_toml(&record)?.into_bytes(),
        ),
    ];
    let source = AlertSource {
        siem: "wazuh".into(),
        alert_id: alert.id.clone(),
        rule_id: alert.rule.id.clone(),
        rule_level: alert.rule.level,
        rule_description: alert.rule.description.clone(),
        rule_groups: alert.rule.groups.clone(),
        agent_id: alert.agent.as_ref().map(|agent| agent.id.clone()),
        agent_name: alert.agent.as_ref().map(|agent| agent.name.clone()),
        agent_ip: alert.agent.as_ref().and_then(|agent| agent.ip.clone()),
        manager: alert.manager.clone(),
        location: alert.location.clone(),
        evidence: format!("{EVIDENCE_DIR}/{evidence_file}"),
        sha256,
        dedupe_key: Some(dedupe_key),
    };
    Ok((source, writes))
}

/// Adds the alert's timeline entry and its indicators to a change.
pub fn add_alert_records(
    change: &mut Change,
    dir: &Path,
    input: &AlertInput,
    recorded: &str,
    actor: &str,
    context: &Context,
) {
    let alert = &input.alert;
    let at = format_time(alert.timestamp.to_utc());
    let now = context.clock.now();
    let text = alert_text(alert);
    let entry = TimelineEntry {
        id: String::new(),
        at: at.clone(),
        recorded: recorded.to_string(),
        actor: actor.to_string(),
        kind: EntryKind::Alert,
        text,
        source: Some(format!(
            "wazuh alert {}",
            alert.id.as_deref().unwrap_or("without id")
        )),
        tlp: None,
    };
    if let Ok(content) = record_toml(&entry) {
        change.write(
            dir.join(TIMELINE_DIR)
                .join(format!("{}.toml", new_record_id(now))),
            content,
        );
    }
    let mut seen = std::collections::HashSet::new();
    for observable in &alert.observables {
        let indicator = match ioc::parse_indicator(&observable.value, Some(observable.kind)) {
            Ok(indicator) => indicator,
            Err(error) => {
                context.warn(format!(
                    "alert field {} left out: {error}",
                    observable.field
                ));
                continue;
            }
        };
        if !seen.insert((indicator.kind, indicator.value.clone())) {
            continue;
        }
        if let Some(reason) = ioc::benign_reason(&indicator) {
            context.warn(format!(
                "{} {} from {} looks benign: {reason}",
                indicator.kind, indicator.value, observable.field
            ));
        }
        let record = IocRecord {
            id: String::new(),
            kind: indicator.kind,
            value: indicator.value,
            first_seen: at.clone(),
            last_seen: at.clone(),
            recorded: recorded.to_string(),
            actor: actor.to_string(),
            source: format!("alert field {}", observable.field),
            tlp: None,
            note: None,
        };
        if let Ok(content) = record_toml(&record) {
            change.write(
                dir.join(IOCS_DIR)
                    .join(format!("{}.toml", new_record_id(now))),
                content,
            );
        }
    }
}

fn notes_template(id: &str, title: &str) -> String {
    format!(
        "# {id}: {}\n\n<!-- The analyst's own notes. casefile never rewrites this file.\n\
         Text outside comments and headings counts as findings for the investigation gate. -->\n\n\
         ## Findings\n\n## Open questions\n",
        one_line(title, 200)
    )
}

/// Returns the timeline text of an alert: rule, level, description and agent.
pub fn alert_text(alert: &Alert) -> String {
    let mut text = format!(
        "Wazuh alert: rule {} (level {}): {}",
        alert.rule.id, alert.rule.level, alert.rule.description
    );
    if let Some(agent) = &alert.agent {
        text.push_str(&format!(" on agent {} ({})", agent.name, agent.id));
    }
    text
}

/// Shortens text to one line of at most `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        line
    } else {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}
