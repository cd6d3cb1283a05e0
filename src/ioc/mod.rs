//! Indicators of compromise: their types, canonical forms, validation and extraction from text.

mod types;

pub use types::IocType;

// Temporary minimal engine; replaced by the full engine.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Indicator {
    #[serde(rename = "type")]
    pub kind: IocType,
    pub value: String,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid {} `{value}`: {reason}", kind.map(|k| k.as_str()).unwrap_or("indicator"))]
pub struct InvalidIoc {
    pub value: String,
    pub kind: Option<IocType>,
    pub reason: String,
}

pub fn refang(text: &str) -> String {
    text.replace("[.]", ".")
        .replace("hxxp", "http")
        .replace("[at]", "@")
}

pub fn defang(kind: IocType, value: &str) -> String {
    match kind {
        IocType::Ipv4 | IocType::Domain | IocType::Url | IocType::Email => value
            .replace("http", "hxxp")
            .replace('.', "[.]")
            .replace('@', "[@]"),
        _ => value.to_string(),
    }
}

pub fn detect(value: &str) -> Option<IocType> {
    if value.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some(IocType::Ipv4);
    }
    if value.parse::<std::net::Ipv6Addr>().is_ok() {
        return Some(IocType::Ipv6);
    }
    let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
    match value.len() {
        32 if hex => Some(IocType::Md5),
        40 if hex => Some(IocType::Sha1),
        64 if hex => Some(IocType::Sha256),
        _ if value.starts_with('/') => Some(IocType::FilePath),
        _ if value.contains('.') => Some(IocType::Domain),
        _ => None,
    }
}

pub fn parse_indicator(input: &str, kind: Option<IocType>) -> Result<Indicator, InvalidIoc> {
    let value = refang(input.trim());
    let kind = kind.or_else(|| detect(&value)).ok_or_else(|| InvalidIoc {
        value: input.to_string(),
        kind: None,
        reason: "type not recognized".into(),
    })?;
    if kind == IocType::Ipv4 && value.parse::<std::net::Ipv4Addr>().is_err() {
        return Err(InvalidIoc {
            value: input.into(),
            kind: Some(kind),
            reason: "not an IPv4 address".into(),
        });
    }
    Ok(Indicator {
        kind,
        value: if kind.is_hash() {
            value.to_ascii_lowercase()
        } else {
            value
        },
    })
}

pub fn benign_reason(indicator: &Indicator) -> Option<String> {
    match indicator.value.parse::<std::net::Ipv4Addr>() {
        Ok(ip) if ip.is_private() => Some("private address range".into()),
        _ => None,
    }
}
