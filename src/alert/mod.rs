//! Security alerts as received from a SIEM, parsed into the facts an incident needs.
// Temporary minimal parser; replaced by the full parser.

use chrono::{DateTime, FixedOffset};

use crate::ioc::IocType;

pub struct Alert {
    pub id: Option<String>,
    pub timestamp: DateTime<FixedOffset>,
    pub rule: Rule,
    pub agent: Option<Agent>,
    pub manager: Option<String>,
    pub location: Option<String>,
    pub decoder: Option<String>,
    pub full_log: Option<String>,
    pub observables: Vec<Observable>,
    pub raw: serde_json::Value,
}

pub struct Rule {
    pub id: String,
    pub level: u8,
    pub description: String,
    pub groups: Vec<String>,
    pub mitre_ids: Vec<String>,
    pub mitre_tactics: Vec<String>,
    pub firedtimes: Option<u64>,
}

pub struct Agent {
    pub id: String,
    pub name: String,
    pub ip: Option<String>,
}

pub struct Observable {
    pub kind: IocType,
    pub value: String,
    pub field: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{0}")]
    Invalid(String),
}

fn text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn parse_alert(json: &[u8]) -> Result<Alert, AlertError> {
    let raw: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| AlertError::Invalid(e.to_string()))?;
    let rule = raw
        .get("rule")
        .ok_or_else(|| AlertError::Invalid("alert has no `rule` object".into()))?;
    let stamp = raw
        .get("timestamp")
        .and_then(text)
        .ok_or_else(|| AlertError::Invalid("no timestamp".into()))?;
    let timestamp =
        crate::clock::parse_time(&stamp).map_err(|e| AlertError::Invalid(e.to_string()))?;
    let agent = raw.get("agent").map(|a| Agent {
        id: a.get("id").and_then(text).unwrap_or_default(),
        name: a.get("name").and_then(text).unwrap_or_default(),
        ip: a.get("ip").and_then(text),
    });
    let mut observables = Vec::new();
    if let Some(ip) = raw.pointer("/data/srcip").and_then(text) {
        observables.push(Observable {
            kind: IocType::Ipv4,
            value: ip,
            field: "data.srcip".into(),
        });
    }
    if let Some(user) = raw.pointer("/data/srcuser").and_then(text) {
        observables.push(Observable {
            kind: IocType::UserAccount,
            value: user,
            field: "data.srcuser".into(),
        });
    }
    Ok(Alert {
        id: raw.get("id").and_then(text),
        timestamp,
        rule: Rule {
            id: rule.get("id").and_then(text).unwrap_or_default(),
            level: rule.get("level").and_then(|l| l.as_u64()).unwrap_or(0) as u8,
            description: rule.get("description").and_then(text).unwrap_or_default(),
            groups: vec![],
            mitre_ids: rule
                .pointer("/mitre/id")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(text).collect())
                .unwrap_or_default(),
            mitre_tactics: vec![],
            firedtimes: None,
        },
        agent,
        manager: raw.pointer("/manager/name").and_then(text),
        location: raw.get("location").and_then(text),
        decoder: None,
        full_log: raw.get("full_log").and_then(text),
        observables,
        raw,
    })
}

impl Alert {
    pub fn dedupe_key(&self, fields: &[String]) -> String {
        fields
            .iter()
            .map(|f| self.field(f).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("|")
    }
    pub fn field(&self, path: &str) -> Option<String> {
        let pointer = format!("/{}", path.replace('.', "/"));
        self.raw.pointer(&pointer).and_then(text)
    }
}
