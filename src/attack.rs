//! The embedded MITRE ATT&CK Enterprise catalog and technique ID validation.
// Temporary minimal catalog; replaced by the full catalog.

pub const ATTACK_VERSION: &str = "18.1";

pub struct Technique {
    pub id: String,
    pub name: String,
    pub tactics: Vec<String>,
}

pub struct Tactic {
    pub id: String,
    pub name: String,
    pub shortname: String,
    pub order: u32,
}

pub struct Catalog {
    techniques: Vec<Technique>,
    tactics: Vec<Tactic>,
}

impl Catalog {
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        self.techniques.iter().find(|t| t.id == id)
    }
    pub fn tactic(&self, name: &str) -> Option<&Tactic> {
        self.tactics
            .iter()
            .find(|t| t.shortname == name || t.id == name)
    }
}

pub fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        techniques: vec![
            Technique {
                id: "T1110".into(),
                name: "Brute Force".into(),
                tactics: vec!["credential-access".into()],
            },
            Technique {
                id: "T1110.001".into(),
                name: "Password Guessing".into(),
                tactics: vec!["credential-access".into()],
            },
            Technique {
                id: "T1021.004".into(),
                name: "SSH".into(),
                tactics: vec!["lateral-movement".into()],
            },
            Technique {
                id: "T1021".into(),
                name: "Remote Services".into(),
                tactics: vec!["lateral-movement".into()],
            },
        ],
        tactics: vec![
            Tactic {
                id: "TA0006".into(),
                name: "Credential Access".into(),
                shortname: "credential-access".into(),
                order: 7,
            },
            Tactic {
                id: "TA0008".into(),
                name: "Lateral Movement".into(),
                shortname: "lateral-movement".into(),
                order: 9,
            },
        ],
    })
}

pub struct Validated {
    pub technique: &'static Technique,
    pub warning: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    #[error("unknown ATT&CK technique `{id}`")]
    Unknown { id: String },
}

pub fn validate_technique(input: &str) -> Result<Validated, AttackError> {
    let id = input.trim().to_ascii_uppercase();
    catalog()
        .technique(&id)
        .map(|technique| Validated {
            technique,
            warning: None,
        })
        .ok_or(AttackError::Unknown { id })
}
