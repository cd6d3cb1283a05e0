//! Playbooks: `playbooks/<type>.toml` lists the actions an incident type requires per phase.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::incident::ActionKind;
use crate::phase::Phase;

/// Directory of playbooks under the repository root.
pub const PLAYBOOKS_DIR: &str = "playbooks";

/// Required actions of one phase.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhaseRequirements {
    pub required: Vec<ActionKind>,
}

/// A playbook for one incident type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    #[serde(skip)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub containment: PhaseRequirements,
    #[serde(default)]
    pub eradication: PhaseRequirements,
    #[serde(default)]
    pub recovery: PhaseRequirements,
}

impl Playbook {
    /// Reads the playbook for `incident_type`, or `None` when the repository has none for it.
    pub fn load(root: &Path, incident_type: &str) -> Result<Option<Playbook>> {
        if !is_type_name(incident_type) {
            return Ok(None);
        }
        let path = root
            .join(PLAYBOOKS_DIR)
            .join(format!("{incident_type}.toml"));
        if !path.is_file() {
            return Ok(None);
        }
        let mut playbook = Self::read(&path)?;
        playbook.name = incident_type.to_string();
        Ok(Some(playbook))
    }

    /// Parses a playbook file.
    pub fn read(path: &Path) -> Result<Playbook> {
        let text = crate::incident::read_case_file(path)?;
        toml::from_str(&text).map_err(|source| Error::Toml {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
    }

    /// Returns the action kinds that must be done in `phase`.
    pub fn required(&self, phase: Phase) -> &[ActionKind] {
        match phase {
            Phase::Containment => &self.containment.required,
            Phase::Eradication => &self.eradication.required,
            Phase::Recovery => &self.recovery.required,
            _ => &[],
        }
    }
}

/// Incident types that casefile knows; any other lower-case slug is accepted too.
pub const KNOWN_TYPES: &[&str] = &[
    "brute-force",
    "malware",
    "unauthorized-access",
    "phishing",
    "web-attack",
    "data-exfiltration",
    "denial-of-service",
    "privilege-escalation",
    "policy-violation",
    "insider-threat",
    "reconnaissance",
    "other",
];

/// Returns whether `name` is a valid incident type: lower-case letters, digits and inner hyphens.
pub fn is_type_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}
