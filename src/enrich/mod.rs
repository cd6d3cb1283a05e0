//! Threat-intelligence enrichment of indicators, stored as dated files under an incident's
//! `enrichment/` directory so that reports re-render offline.

pub mod feed;
pub mod virustotal;

use serde::{Deserialize, Serialize};

use crate::ioc::IocType;

/// One enrichment result: `enrichment/<record id>.toml`, with the provider's raw reply beside
/// it in `<record id>.json` when there is one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrichmentRecord {
    #[serde(skip)]
    pub id: String,
    /// `virustotal` or `feed:<file name>`.
    pub provider: String,
    #[serde(rename = "type")]
    pub kind: IocType,
    pub value: String,
    /// When the provider was queried (UTC, RFC 3339).
    pub queried: String,
    pub actor: String,
    /// `malicious`, `suspicious`, `harmless`, `unknown` or `not-found`.
    pub verdict: String,
    #[serde(default)]
    pub malicious: u64,
    #[serde(default)]
    pub suspicious: u64,
    #[serde(default)]
    pub harmless: u64,
    #[serde(default)]
    pub undetected: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reputation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_analysis: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl EnrichmentRecord {
    /// Returns "7/72 engines" for reports, or the verdict when there are no counts.
    pub fn detections(&self) -> String {
        let total = self.malicious + self.suspicious + self.harmless + self.undetected;
        if total == 0 {
            self.verdict.clone()
        } else {
            format!(
                "{} malicious, {} suspicious of {total} engines",
                self.malicious, self.suspicious
            )
        }
    }
}

/// Returns whether VirusTotal indexes indicators of this type.
pub fn virustotal_supports(kind: IocType) -> bool {
    matches!(
        kind,
        IocType::Ipv4
            | IocType::Ipv6
            | IocType::Domain
            | IocType::Url
            | IocType::Md5
            | IocType::Sha1
            | IocType::Sha256
    )
}
