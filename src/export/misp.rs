//! MISP event of one incident in the MISP core format: attributes with MISP types and their
//! default categories, `to_ids` on actionable indicators, TLP tags and ATT&CK galaxy tags.

use serde_json::{json, Value};

use super::{last_modified, parse_utc, stable_uuid, ExportIoc};
use crate::attack;
use crate::config::Config;
use crate::incident::Incident;
use crate::ioc::{self, IocType};
use crate::phase::Phase;
use crate::tlp::Tlp;

/// Returns the MISP attribute type and its default category (from MISP's describeTypes) for
/// an indicator type.
pub fn attribute_type(kind: IocType) -> (&'static str, &'static str) {
    match kind {
        IocType::Ipv4 | IocType::Ipv6 | IocType::Cidr => ("ip-src", "Network activity"),
        IocType::Domain => ("domain", "Network activity"),
        IocType::Hostname => ("hostname", "Network activity"),
        IocType::Url => ("url", "Network activity"),
        IocType::Email => ("email-src", "Payload delivery"),
        IocType::Md5 => ("md5", "Payload delivery"),
        IocType::Sha1 => ("sha1", "Payload delivery"),
        IocType::Sha256 => ("sha256", "Payload delivery"),
        IocType::Sha512 => ("sha512", "Payload delivery"),
        IocType::Cve => ("vulnerability", "External analysis"),
        IocType::Asn => ("AS", "Network activity"),
        IocType::Mac => ("mac-address", "Network activity"),
        IocType::RegistryKey => ("regkey", "Persistence mechanism"),
        IocType::FilePath | IocType::FileName => ("filename", "Payload delivery"),
        IocType::UserAccount => ("target-user", "Targeting data"),
    }
}

/// Returns whether an indicator type is one that detection systems can match on (MISP's `to_ids`).
fn actionable(kind: IocType) -> bool {
    !matches!(
        kind,
        IocType::Cve | IocType::Asn | IocType::Mac | IocType::UserAccount
    )
}

/// Returns the MISP tag of a TLP marking, such as `tlp:amber+strict`.
pub fn tlp_tag(tlp: Tlp) -> Value {
    json!({ "name": format!("tlp:{}", tlp.as_str().to_ascii_lowercase()) })
}

/// Builds the event, wrapped in `{"Event": ...}` as MISP's API and PyMISP read it.
pub fn event(incident: &Incident, config: &Config, tlp: Tlp, iocs: &[ExportIoc]) -> Value {
    let file = &incident.file;
    let detected = file
        .detected_at
        .as_deref()
        .or(Some(file.created.as_str()))
        .and_then(parse_utc)
        .unwrap_or_default();
    let timestamp = last_modified(incident).timestamp().to_string();
    let not_malicious = super::is_not_malicious(incident);
    let attributes: Vec<Value> = iocs
        .iter()
        .map(|ioc| attribute(incident, ioc, not_malicious, &timestamp))
        .collect();
    let mut tags = vec![tlp_tag(tlp)];
    tags.extend(file.attack.iter().map(|id| galaxy_tag(id)));
    json!({
        "Event": {
            "uuid": stable_uuid(&["misp-event", incident.id()]).to_string(),
            "info": format!("{}: {}", file.id, file.title),
            "date": detected.format("%Y-%m-%d").to_string(),
            "threat_level_id": threat_level(config, file.severity.as_deref()),
            "analysis": analysis(file.phase),
            // Your organisation only: sharing wider is a decision for the MISP instance.
            "distribution": "0",
            "published": false,
            "timestamp": timestamp,
            "Attribute": attributes,
            "Tag": tags,
        }
    })
}

fn attribute(incident: &Incident, ioc: &ExportIoc, not_malicious: bool, timestamp: &str) -> Value {
    let (kind, category) = attribute_type(ioc.kind);
    let indicator = ioc::Indicator {
        kind: ioc.kind,
        value: ioc.value.clone(),
    };
    let benign = ioc::benign_reason(&indicator);
    let mut comment = format!(
        "casefile {}; source: {}",
        incident.id(),
        ioc.sources.join(", ")
    );
    if let Some(reason) = &benign {
        comment.push_str(&format!("; known benign: {reason}"));
    }
    let mut attribute = json!({
        "uuid": stable_uuid(&["misp-attribute", incident.id(), ioc.kind.as_str(), &ioc.value])
            .to_string(),
        "type": kind,
        "category": category,
        "value": ioc.value,
        "to_ids": actionable(ioc.kind) && !not_malicious && benign.is_none(),
        "comment": comment,
        "timestamp": timestamp,
        "distribution": "5",
        "Tag": [tlp_tag(ioc.tlp)],
    });
    for (field, time) in [
        ("first_seen", &ioc.first_seen),
        ("last_seen", &ioc.last_seen),
    ] {
        if let Some(time) = parse_utc(time) {
            attribute[field] = super::format_utc(time).into();
        }
    }
    attribute
}

/// Returns the MISP galaxy tag of an ATT&CK technique: `Name - ID`, the cluster value form of
/// MISP's mitre-attack-pattern galaxy.
fn galaxy_tag(technique_id: &str) -> Value {
    let name = attack::catalog()
        .technique(technique_id)
        .map_or(technique_id.to_string(), |t| t.name.to_string());
    json!({ "name": format!("misp-galaxy:mitre-attack-pattern=\"{name} - {technique_id}\"") })
}

/// Maps the severity to MISP's threat level: 1 high (top of the scale), 3 low (bottom), 2
/// medium in between, 4 undefined.
fn threat_level(config: &Config, severity: Option<&str>) -> &'static str {
    let scale = config.severity.scale.len();
    match severity.and_then(|name| config.severity_rank(name)) {
        Some(rank) if rank + 1 == scale => "1",
        Some(0) => "3",
        Some(_) => "2",
        None => "4",
    }
}

/// Maps the phase to MISP's analysis state: 0 initial, 1 ongoing, 2 complete.
fn analysis(phase: Phase) -> &'static str {
    match phase {
        Phase::Detection | Phase::Triage => "0",
        Phase::LessonsLearned | Phase::Improvement | Phase::Closed => "2",
        _ => "1",
    }
}
