//! STIX 2.1 bundle of one incident. It holds the producing identity, an `incident`, and per IOC
//! an indicator with a STIX pattern, the observables (SCOs) it is based on and a sighting.
//! ATT&CK attack patterns, vulnerabilities for CVEs, relationships and TLP 2.0 markings follow.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::{format_utc, last_modified, parse_utc, stable_uuid, ExportIoc};
use crate::attack;
use crate::incident::Incident;
use crate::ioc::IocType;
use crate::tlp::Tlp;

/// Namespace of STIX 2.1 SCO identifiers (STIX 2.1, section 2.9).
pub const SCO_NAMESPACE: Uuid = Uuid::from_u128(0x00abedb4_aa42_466c_9c01_fed23315a9b7);

/// The STIX extension that defines TLP 2.0 marking definitions, and the fixed IDs of those
/// definitions, as OASIS publishes them (created 2022-10-01).
const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

fn tlp_marking_id(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
}

fn tlp_marking(tlp: Tlp) -> Value {
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp_marking_id(tlp),
        "created": "2022-10-01T00:00:00.000Z",
        "name": tlp.to_string(),
        "extensions": {
            TLP2_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": tlp.as_str().to_ascii_lowercase(),
            }
        }
    })
}

/// Builds the bundle. `iocs` are the incident's indicators after any TLP filtering.
pub fn bundle(incident: &Incident, incident_tlp: Tlp, iocs: &[ExportIoc]) -> Value {
    let mut builder = Builder::new(incident, incident_tlp);
    builder.add_identity();
    builder.add_incident();
    for ioc in iocs {
        builder.add_indicator(ioc);
    }
    for technique in &incident.file.attack {
        builder.add_attack_pattern(technique);
    }
    builder.finish()
}

struct Builder<'a> {
    incident: &'a Incident,
    incident_tlp: Tlp,
    created: String,
    modified: String,
    identity_id: String,
    incident_id: String,
    objects: Vec<Value>,
    markings: Vec<Tlp>,
}

impl<'a> Builder<'a> {
    fn new(incident: &'a Incident, incident_tlp: Tlp) -> Self {
        let created = parse_utc(&incident.file.created).unwrap_or_default();
        let modified = last_modified(incident);
        Builder {
            incident,
            incident_tlp,
            created: format_utc(created),
            modified: format_utc(modified.max(created)),
            identity_id: format!("identity--{}", stable_uuid(&["identity", "casefile"])),
            incident_id: format!("incident--{}", stable_uuid(&["incident", incident.id()])),
            objects: Vec::new(),
            markings: Vec::new(),
        }
    }

    fn marking_refs(&mut self, tlp: Tlp) -> Value {
        if !self.markings.contains(&tlp) {
            self.markings.push(tlp);
        }
        json!([tlp_marking_id(tlp)])
    }

    /// Adds an SDO or SRO with the common properties: creator, times and marking.
    fn push_domain_object(&mut self, kind: &str, id: String, tlp: Tlp, mut properties: Value) {
        let markings = self.marking_refs(tlp);
        let object = properties
            .as_object_mut()
            .expect("properties are an object");
        let mut full = Map::new();
        full.insert("type".into(), kind.into());
        full.insert("spec_version".into(), "2.1".into());
        full.insert("id".into(), id.into());
        full.insert("created_by_ref".into(), self.identity_id.clone().into());
        full.insert("created".into(), self.created.clone().into());
        full.insert("modified".into(), self.modified.clone().into());
        full.append(object);
        full.insert("object_marking_refs".into(), markings);
        self.objects.push(Value::Object(full));
    }

    fn add_identity(&mut self) {
        // The producing system, with a fixed creation time so that its ID always names the
        // same object.
        self.objects.push(json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": self.identity_id,
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": "casefile",
            "identity_class": "system",
        }));
    }

    fn add_incident(&mut self) {
        let file = &self.incident.file;
        let mut properties = json!({
            "name": file.title,
            "external_references": [{ "source_name": "casefile", "external_id": file.id }],
        });
        if let Some(summary) = &file.summary {
            properties["description"] = summary.clone().into();
        }
        let labels: Vec<String> = [file.incident_type.clone(), file.severity.clone()]
            .into_iter()
            .flatten()
            .collect();
        if !labels.is_empty() {
            properties["labels"] = labels.into();
        }
        let id = self.incident_id.clone();
        self.push_domain_object("incident", id, self.incident_tlp, properties);
    }

    fn add_indicator(&mut self, ioc: &ExportIoc) {
        let key = [self.incident.id(), ioc.kind.as_str(), ioc.value.as_str()];
        if ioc.kind == IocType::Cve {
            self.add_vulnerability(ioc);
            return;
        }
        let Some((observables, pattern)) = observables_and_pattern(ioc) else {
            return;
        };
        let first = parse_utc(&ioc.first_seen)
            .map(format_utc)
            .unwrap_or(self.created.clone());
        let last = parse_utc(&ioc.last_seen)
            .map(format_utc)
            .unwrap_or(first.clone());
        let sco_ids: Vec<Value> = observables.iter().map(|sco| sco["id"].clone()).collect();
        for mut sco in observables {
            sco["object_marking_refs"] = self.marking_refs(ioc.tlp);
            self.objects.push(sco);
        }

        let observed_id = format!(
            "observed-data--{}",
            stable_uuid(&prefixed("observed", &key))
        );
        let observed = json!({
            "first_observed": first,
            "last_observed": last,
            "number_observed": ioc.sightings.max(1),
            "object_refs": sco_ids,
        });
        self.push_domain_object("observed-data", observed_id.clone(), ioc.tlp, observed);

        let indicator_id = format!("indicator--{}", stable_uuid(&prefixed("indicator", &key)));
        let indicator_type = if super::is_not_malicious(self.incident) {
            "benign"
        } else {
            "malicious-activity"
        };
        let indicator = json!({
            "name": format!("{} {}", ioc.kind.as_str(), ioc.value),
            "indicator_types": [indicator_type],
            "pattern": pattern,
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": first,
        });
        self.push_domain_object("indicator", indicator_id.clone(), ioc.tlp, indicator);

        let sighting = json!({
            "sighting_of_ref": indicator_id,
            "observed_data_refs": [observed_id],
            "where_sighted_refs": [self.identity_id],
            "first_seen": first,
            "last_seen": last,
            "count": ioc.sightings.max(1),
        });
        let sighting_id = format!("sighting--{}", stable_uuid(&prefixed("sighting", &key)));
        self.push_domain_object("sighting", sighting_id, ioc.tlp, sighting);
        self.add_relationship(&indicator_id, "based-on", &observed_id, ioc.tlp);
        let incident_id = self.incident_id.clone();
        self.add_relationship(&indicator_id, "related-to", &incident_id, ioc.tlp);
    }

    fn add_vulnerability(&mut self, ioc: &ExportIoc) {
        let name = ioc.value.to_ascii_uppercase();
        let id = format!("vulnerability--{}", stable_uuid(&["vulnerability", &name]));
        let properties = json!({
            "name": name,
            "external_references": [{ "source_name": "cve", "external_id": name }],
        });
        self.push_domain_object("vulnerability", id.clone(), ioc.tlp, properties);
        let incident_id = self.incident_id.clone();
        self.add_relationship(&id, "related-to", &incident_id, ioc.tlp);
    }

    fn add_attack_pattern(&mut self, technique_id: &str) {
        let catalog = attack::catalog();
        let technique = catalog.technique(technique_id);
        let name = technique.map_or(technique_id.to_string(), |t| t.name.to_string());
        let url_path = technique_id.replace('.', "/");
        let mut properties = json!({
            "name": name,
            "external_references": [{
                "source_name": "mitre-attack",
                "external_id": technique_id,
                "url": format!("https://attack.mitre.org/techniques/{url_path}/"),
            }],
        });
        if let Some(technique) = technique.filter(|t| !t.tactics.is_empty()) {
            let phases: Vec<Value> = technique
                .tactics
                .iter()
                .map(|tactic| json!({ "kill_chain_name": "mitre-attack", "phase_name": tactic }))
                .collect();
            properties["kill_chain_phases"] = phases.into();
        }
        let id = format!(
            "attack-pattern--{}",
            stable_uuid(&["attack-pattern", technique_id])
        );
        let tlp = self.incident_tlp;
        self.push_domain_object("attack-pattern", id.clone(), tlp, properties);
        let incident_id = self.incident_id.clone();
        self.add_relationship(&incident_id, "uses", &id, tlp);
    }

    fn add_relationship(&mut self, source: &str, kind: &str, target: &str, tlp: Tlp) {
        let id = format!(
            "relationship--{}",
            stable_uuid(&["relationship", source, kind, target])
        );
        let properties = json!({
            "relationship_type": kind,
            "source_ref": source,
            "target_ref": target,
        });
        self.push_domain_object("relationship", id, tlp, properties);
    }

    fn finish(mut self) -> Value {
        self.markings.sort();
        let mut objects: Vec<Value> = self.markings.iter().map(|tlp| tlp_marking(*tlp)).collect();
        objects.append(&mut self.objects);
        json!({
            "type": "bundle",
            "id": format!("bundle--{}", stable_uuid(&["bundle", self.incident.id()])),
            "objects": objects,
        })
    }
}

fn prefixed<'k>(prefix: &'k str, key: &[&'k str]) -> Vec<&'k str> {
    let mut parts = vec![prefix];
    parts.extend_from_slice(key);
    parts
}

/// Returns the SCOs of an indicator and its STIX pattern, or `None` for a type without one.
fn observables_and_pattern(ioc: &ExportIoc) -> Option<(Vec<Value>, String)> {
    let value = ioc.value.as_str();
    let literal = pattern_string(value);
    let simple = |kind: &str, property: &str, operator: &str| {
        let sco = observable(kind, json!({ property: value }), Map::new());
        let pattern = format!("[{kind}:{property} {operator} {literal}]");
        Some((vec![sco], pattern))
    };
    match ioc.kind {
        IocType::Ipv4 => simple("ipv4-addr", "value", "="),
        IocType::Ipv6 => simple("ipv6-addr", "value", "="),
        IocType::Cidr if value.contains(':') => simple("ipv6-addr", "value", "ISSUBSET"),
        IocType::Cidr => simple("ipv4-addr", "value", "ISSUBSET"),
        // STIX has no host name object; a domain-name is the usual stand-in.
        IocType::Domain | IocType::Hostname => simple("domain-name", "value", "="),
        IocType::Url => simple("url", "value", "="),
        IocType::Email => simple("email-addr", "value", "="),
        IocType::Mac => simple("mac-addr", "value", "="),
        IocType::RegistryKey => simple("windows-registry-key", "key", "="),
        IocType::FileName => simple("file", "name", "="),
        IocType::UserAccount => simple("user-account", "account_login", "="),
        IocType::Md5 | IocType::Sha1 | IocType::Sha256 | IocType::Sha512 => {
            let algorithm = hash_algorithm(ioc.kind);
            let sco = observable(
                "file",
                json!({ "hashes": { algorithm: value } }),
                Map::new(),
            );
            let pattern = format!("[file:hashes.'{algorithm}' = {literal}]");
            Some((vec![sco], pattern))
        }
        IocType::Asn => {
            let number: u64 = value
                .trim_start_matches(['A', 'S', 'a', 's'])
                .parse()
                .ok()?;
            let sco = observable("autonomous-system", json!({ "number": number }), Map::new());
            Some((vec![sco], format!("[autonomous-system:number = {number}]")))
        }
        IocType::FilePath => Some(file_path_observables(value)),
        IocType::Cve => None,
    }
}

fn hash_algorithm(kind: IocType) -> &'static str {
    match kind {
        IocType::Md5 => "MD5",
        IocType::Sha1 => "SHA-1",
        IocType::Sha512 => "SHA-512",
        _ => "SHA-256",
    }
}

/// Splits a path at its last `/` or `\` into a `directory` and a `file` that refers to it.
fn file_path_observables(path: &str) -> (Vec<Value>, String) {
    let literal = pattern_string(path);
    let Some(split) = path.rfind(['/', '\\']) else {
        let sco = observable("file", json!({ "name": path }), Map::new());
        return (vec![sco], format!("[file:name = {literal}]"));
    };
    let (directory, name) = (&path[..split.max(1)], &path[split + 1..]);
    let directory_sco = observable("directory", json!({ "path": directory }), Map::new());
    let file_sco = observable(
        "file",
        json!({ "name": name, "parent_directory_ref": directory_sco["id"] }),
        Map::new(),
    );
    let pattern = format!(
        "[file:name = {} AND file:parent_directory_ref.path = {}]",
        pattern_string(name),
        pattern_string(directory)
    );
    (vec![directory_sco, file_sco], pattern)
}

/// Builds an SCO whose ID is derived from `contributing`, the properties that STIX 2.1 names
/// as ID-contributing for its type, plus `other` properties that do not count.
fn observable(kind: &str, contributing: Value, other: Map<String, Value>) -> Value {
    let id = format!("{kind}--{}", sco_uuid(&contributing));
    let mut object = Map::new();
    object.insert("type".into(), kind.into());
    object.insert("spec_version".into(), "2.1".into());
    object.insert("id".into(), id.into());
    if let Value::Object(properties) = contributing {
        object.extend(properties);
    }
    object.extend(other);
    Value::Object(object)
}

/// Returns the UUIDv5 of an SCO: the SCO namespace and the JSON Canonicalization Scheme
/// (RFC 8785) form of its ID-contributing properties.
pub fn sco_uuid(contributing: &Value) -> Uuid {
    Uuid::new_v5(&SCO_NAMESPACE, canonical_json(contributing).as_bytes())
}

/// Serializes JSON with sorted keys and no whitespace. For strings and integers, serde_json's
/// escaping is the one RFC 8785 prescribes; keys here are ASCII, so byte order is UTF-16 order.
fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|key| {
                    format!(
                        "{}:{}",
                        Value::from(key.as_str()),
                        canonical_json(&map[key])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// Quotes a value as a STIX pattern string literal, escaping `\` and `'`.
fn pattern_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sco_uuid_matches_stix2_library() {
        // The stix2 Python library (3.0.2) derives this ID for IPv4Address(value=...).
        let uuid = sco_uuid(&json!({ "value": "198.51.100.3" }));
        assert_eq!(uuid.to_string(), "28bb3599-77cd-5a82-a950-b5bc3caf07c4");
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let value = json!({ "b": 1, "a": { "d": "x\"y", "c": [1, 2] } });
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":[1,2],"d":"x\"y"},"b":1}"#
        );
    }

    #[test]
    fn pattern_string_escapes_quote_and_backslash() {
        assert_eq!(pattern_string(r"HKLM\Run'x"), r"'HKLM\\Run\'x'");
    }
}
