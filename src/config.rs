//! `casefile.toml`: the case repository's settings, read with serde and written once by `init`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// File name of the settings file at the root of a case repository.
pub const CONFIG_FILE: &str = "casefile.toml";

/// The settings of one case repository. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[derive(Default)]
pub struct Config {
    pub incident: IncidentSettings,
    pub severity: SeveritySettings,
    pub attack: AttackSettings,
    pub ingest: IngestSettings,
    pub check: CheckSettings,
    pub enrich: EnrichSettings,
    pub blocklist: BlocklistSettings,
    pub analysts: Vec<AnalystEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentSettings {
    /// Prefix of incident IDs, such as `IR` in `IR-20261204-K7Q2`.
    pub id_prefix: String,
    /// IANA time zone in which reports show times.
    pub timezone: String,
    /// TLP marking of a new incident.
    pub default_tlp: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeveritySettings {
    /// Severity levels from lowest to highest.
    pub scale: Vec<String>,
    /// Lowest Wazuh rule level (0-15) that suggests each severity.
    pub wazuh_levels: BTreeMap<String, u8>,
    /// Service-level targets per severity, in hours.
    pub sla: BTreeMap<String, SlaHours>,
}

/// Service-level targets for one severity, in hours from detection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaHours {
    pub acknowledge: Option<f64>,
    pub contain: Option<f64>,
    pub resolve: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttackSettings {
    /// ATT&CK Enterprise version that classifications are validated against.
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestSettings {
    /// Alert fields whose values together decide which incident an alert belongs to.
    pub dedupe_key: Vec<String>,
    /// Alerts with the same key within this many minutes of the incident's last alert join it.
    pub window_minutes: u64,
    /// Alerts below this Wazuh rule level are skipped.
    pub min_level: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckSettings {
    /// Hours by which an entry's event time may precede the commit that added it before
    /// `check --base` flags it as back-dated.
    pub backdate_tolerance_hours: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichSettings {
    /// Base URL of the VirusTotal API v3.
    pub virustotal_url: String,
    /// Name of the environment variable that contains the VirusTotal API key.
    pub virustotal_key_env: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlocklistSettings {
    /// Values never exported to a blocklist: IPs, CIDR ranges or domains (and their subdomains).
    pub allow: Vec<String>,
}

/// One analyst of the roster.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AnalystEntry {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub handle: Option<String>,
}

impl Default for IncidentSettings {
    fn default() -> Self {
        IncidentSettings {
            id_prefix: "IR".into(),
            timezone: "UTC".into(),
            default_tlp: "AMBER".into(),
        }
    }
}

impl Default for SeveritySettings {
    fn default() -> Self {
        let scale: Vec<String> = ["low", "medium", "high"].map(String::from).to_vec();
        let wazuh_levels = [("low", 0), ("medium", 7), ("high", 12)]
            .into_iter()
            .map(|(name, level)| (name.to_string(), level))
            .collect();
        let sla = [
            ("low", 24.0, 72.0, 336.0),
            ("medium", 4.0, 24.0, 168.0),
            ("high", 1.0, 4.0, 72.0),
        ]
        .into_iter()
        .map(|(name, acknowledge, contain, resolve)| {
            let hours = SlaHours {
                acknowledge: Some(acknowledge),
                contain: Some(contain),
                resolve: Some(resolve),
            };
            (name.to_string(), hours)
        })
        .collect();
        SeveritySettings {
            scale,
            wazuh_levels,
            sla,
        }
    }
}

impl Default for AttackSettings {
    fn default() -> Self {
        AttackSettings {
            version: crate::attack::ATTACK_VERSION.into(),
        }
    }
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            dedupe_key: ["rule.id", "agent.id", "data.srcip"]
                .map(String::from)
                .to_vec(),
            window_minutes: 60,
            min_level: 0,
        }
    }
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            backdate_tolerance_hours: 72.0,
        }
    }
}

impl Default for EnrichSettings {
    fn default() -> Self {
        EnrichSettings {
            virustotal_url: "https://www.virustotal.com/api/v3".into(),
            virustotal_key_env: "VT_API_KEY".into(),
        }
    }
}

impl Config {
    /// Reads and validates `casefile.toml` from the repository root.
    pub fn load(root: &Path) -> Result<Self> {
        let path = root.join(CONFIG_FILE);
        // A parse error quotes the line it failed on, so a link could show another file's.
        let text = crate::incident::read_case_file(&path)?;
        Self::parse(&text, &path)
    }

    /// Parses and validates the text of a settings file; `path` is used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let config: Config = toml::from_str(text).map_err(|source| Error::Toml {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let file = path.display();
        let prefix = &self.incident.id_prefix;
        let prefix_ok = !prefix.is_empty()
            && prefix.len() <= 8
            && prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !prefix_ok {
            return Err(Error::invalid_with_hint(
                format!("`incident.id_prefix` in {file} is `{prefix}`"),
                "use 1 to 8 upper-case letters or digits, such as `IR`",
            ));
        }
        if self.incident.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(Error::invalid_with_hint(
                format!(
                    "`incident.timezone` in {file} is `{}`, not an IANA zone",
                    self.incident.timezone
                ),
                "use a zone name such as `UTC` or `Europe/Berlin`",
            ));
        }
        if crate::tlp::Tlp::parse(&self.incident.default_tlp).is_err() {
            return Err(Error::invalid_with_hint(
                format!(
                    "`incident.default_tlp` in {file} is `{}`",
                    self.incident.default_tlp
                ),
                "use CLEAR, GREEN, AMBER, AMBER+STRICT or RED",
            ));
        }
        if self.severity.scale.is_empty() {
            return Err(Error::invalid(format!(
                "`severity.scale` in {file} is empty"
            )));
        }
        for name in self
            .severity
            .wazuh_levels
            .keys()
            .chain(self.severity.sla.keys())
        {
            if !self.severity.scale.contains(name) {
                return Err(Error::invalid_with_hint(
                    format!("severity `{name}` in {file} is not in `severity.scale`"),
                    format!("use one of: {}", self.severity.scale.join(", ")),
                ));
            }
        }
        if self.ingest.dedupe_key.is_empty() {
            return Err(Error::invalid(format!(
                "`ingest.dedupe_key` in {file} is empty"
            )));
        }
        Ok(())
    }

    /// Returns the canonical severity name for user input, or an error listing the scale.
    pub fn severity(&self, input: &str) -> Result<String> {
        let wanted = input.trim().to_ascii_lowercase();
        self.severity
            .scale
            .iter()
            .find(|name| name.to_ascii_lowercase() == wanted)
            .cloned()
            .ok_or_else(|| {
                Error::invalid_with_hint(
                    format!("severity `{input}` is not on this repository's scale"),
                    format!("use one of: {}", self.severity.scale.join(", ")),
                )
            })
    }

    /// Returns the severity that a Wazuh rule level suggests: the highest whose threshold it meets.
    pub fn severity_for_wazuh_level(&self, level: u8) -> Option<String> {
        self.severity
            .scale
            .iter()
            .rev()
            .find(|name| {
                self.severity
                    .wazuh_levels
                    .get(*name)
                    .is_some_and(|min| level >= *min)
            })
            .cloned()
    }

    /// Returns the position of a severity on the scale, 0 for the lowest.
    pub fn severity_rank(&self, name: &str) -> Option<usize> {
        self.severity.scale.iter().position(|entry| entry == name)
    }

    /// Returns the time zone for displaying times.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.incident.timezone.parse().unwrap_or(chrono_tz::UTC)
    }
}

/// The commented `casefile.toml` that `init` writes. It parses to [`Config::default`].
pub const CONFIG_TEMPLATE: &str = include_str!("../templates/casefile.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_template_parses_to_defaults() {
        let config = Config::parse(CONFIG_TEMPLATE, Path::new("casefile.toml")).unwrap();
        assert_eq!(config.incident.id_prefix, "IR");
        assert_eq!(config.severity.scale, vec!["low", "medium", "high"]);
        assert_eq!(config.ingest.window_minutes, 60);
    }

    #[test]
    fn severity_for_wazuh_level_uses_thresholds() {
        let config = Config::default();
        assert_eq!(config.severity_for_wazuh_level(5).as_deref(), Some("low"));
        assert_eq!(
            config.severity_for_wazuh_level(10).as_deref(),
            Some("medium")
        );
        assert_eq!(config.severity_for_wazuh_level(12).as_deref(), Some("high"));
    }

    #[test]
    fn config_rejects_unknown_key() {
        let error = Config::parse("[incident]\nprefix = \"X\"\n", Path::new("casefile.toml"));
        assert!(error.is_err());
    }
}
