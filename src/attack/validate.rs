//! Validation of technique IDs that analysts and alerts give, against the embedded catalog.

use super::{catalog, Catalog, Technique, ATTACK_VERSION};

/// A technique ID that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub technique: &'static Technique,
    /// Set when the technique is valid but should not be used for new mappings, such as a
    /// deprecated technique.
    pub warning: Option<String>,
}

impl Validated {
    /// Returns the canonical upper-case ID, e.g. `T1110.001`.
    pub fn id(&self) -> &'static str {
        self.technique.id
    }
}

/// The reason a technique ID was rejected. Each message names the value and what to use
/// instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttackError {
    #[error(
        "`{input}` is not a valid ATT&CK technique ID: {reason}. Expected T and 4 digits, \
         with . and 3 more digits for a sub-technique, e.g. T1110 or T1110.001"
    )]
    Malformed { input: String, reason: String },

    #[error(
        "{id} is the ATT&CK tactic {name}, not a technique: give a technique of that tactic \
         instead{}",
        example_hint(example)
    )]
    TacticGiven {
        id: String,
        name: String,
        example: Option<String>,
    },

    #[error(
        "ATT&CK technique {id} does not exist in ATT&CK v{}: check the ID at \
         https://attack.mitre.org/techniques/",
        ATTACK_VERSION
    )]
    Unknown { id: String },

    #[error(
        "ATT&CK sub-technique {id} does not exist in ATT&CK v{}: use {parent} ({parent_name}){}",
        ATTACK_VERSION,
        sibling_hint(siblings)
    )]
    UnknownSubtechnique {
        id: String,
        parent: String,
        parent_name: String,
        /// Current sub-techniques of `parent`.
        siblings: Vec<String>,
    },

    #[error(
        "ATT&CK technique {id} ({name}) is revoked: {}",
        replacement_hint(replacement, replacement_name)
    )]
    Revoked {
        id: String,
        name: String,
        /// The current technique that replaces it, after following revocation chains.
        replacement: Option<String>,
        replacement_name: Option<String>,
    },
}

fn example_hint(example: &Option<String>) -> String {
    example
        .as_ref()
        .map(|example| format!(", e.g. {example}"))
        .unwrap_or_default()
}

fn sibling_hint(siblings: &[String]) -> String {
    if siblings.is_empty() {
        " instead, which has no sub-techniques".to_string()
    } else {
        format!(" or one of its sub-techniques {}", siblings.join(", "))
    }
}

fn replacement_hint(replacement: &Option<String>, replacement_name: &Option<String>) -> String {
    match (replacement, replacement_name) {
        (Some(id), Some(name)) => format!("use {id} ({name}) instead"),
        (Some(id), None) => format!("use {id} instead"),
        _ => "MITRE names no replacement, so choose a current technique".to_string(),
    }
}

/// Validates a technique or sub-technique ID such as `T1110` or ` t1110.001 ` against the
/// embedded catalog.
///
/// Rejects malformed IDs, tactic IDs, unknown IDs and revoked techniques, naming the
/// replacement of a revoked one. Accepts a deprecated technique with a warning.
pub fn validate_technique(input: &str) -> Result<Validated, AttackError> {
    let catalog = catalog();
    let id = parse_technique_id(catalog, input)?;
    let Some(technique) = catalog.technique(&id) else {
        return Err(unknown_technique(catalog, id));
    };
    if technique.revoked {
        let replacement = catalog.replacement(technique);
        return Err(AttackError::Revoked {
            id: technique.id.to_string(),
            name: technique.name.to_string(),
            replacement: replacement.map(|replacement| replacement.id.to_string()),
            replacement_name: replacement.map(|replacement| replacement.name.to_string()),
        });
    }
    let warning = technique.deprecated.then(|| {
        format!(
            "ATT&CK technique {} ({}) is deprecated in ATT&CK v{ATTACK_VERSION} and MITRE names \
             no replacement: prefer a current technique",
            technique.id, technique.name
        )
    });
    Ok(Validated { technique, warning })
}

/// Checks the shape of an ID and returns it in upper case.
fn parse_technique_id(catalog: &Catalog, input: &str) -> Result<String, AttackError> {
    let malformed = |reason: &str| AttackError::Malformed {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let id = input.trim().to_ascii_uppercase();
    if id.is_empty() {
        return Err(malformed("the ID is empty"));
    }
    if let Some(number) = id.strip_prefix("TA") {
        return Err(tactic_given(catalog, &id, number).unwrap_or_else(|| {
            malformed("TA starts a tactic ID, and no ATT&CK tactic has this one")
        }));
    }
    let Some(number) = id.strip_prefix('T') else {
        return Err(malformed("it must start with T"));
    };
    let (technique, subtechnique) = match number.split_once('.') {
        Some((technique, subtechnique)) => (technique, Some(subtechnique)),
        None => (number, None),
    };
    if !is_digits(technique, 4) {
        return Err(malformed("the technique number must have exactly 4 digits"));
    }
    if subtechnique.is_some_and(|subtechnique| !is_digits(subtechnique, 3)) {
        return Err(malformed(
            "the sub-technique number must have exactly 3 digits",
        ));
    }
    Ok(id)
}

fn is_digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn tactic_given(catalog: &Catalog, id: &str, number: &str) -> Option<AttackError> {
    if !is_digits(number, 4) {
        return None;
    }
    let tactic = catalog.tactic(id)?;
    let example = catalog
        .techniques()
        .find(|technique| {
            technique.is_current()
                && !technique.is_subtechnique
                && technique.tactics.contains(&tactic.shortname)
        })
        .map(|technique| format!("{} ({})", technique.id, technique.name));
    Some(AttackError::TacticGiven {
        id: tactic.id.to_string(),
        name: tactic.name.to_string(),
        example,
    })
}

fn unknown_technique(catalog: &Catalog, id: String) -> AttackError {
    let parent = id
        .split_once('.')
        .and_then(|(parent, _)| catalog.technique(parent));
    match parent {
        Some(parent) if !parent.revoked => AttackError::UnknownSubtechnique {
            siblings: catalog
                .subtechniques(parent.id)
                .map(|sibling| sibling.id.to_string())
                .collect(),
            id,
            parent: parent.id.to_string(),
            parent_name: parent.name.to_string(),
        },
        _ => AttackError::Unknown { id },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(input: &str) -> AttackError {
        validate_technique(input).expect_err(input)
    }

    #[test]
    fn validate_accepts_technique() {
        let validated = validate_technique("T1110").expect("valid");
        assert_eq!(validated.id(), "T1110");
        assert_eq!(validated.technique.name, "Brute Force");
        assert_eq!(validated.warning, None);
    }

    #[test]
    fn validate_accepts_subtechnique() {
        let validated = validate_technique("T1110.001").expect("valid");
        assert_eq!(validated.id(), "T1110.001");
        assert_eq!(validated.technique.parent_id, Some("T1110"));
    }

    #[test]
    fn validate_canonicalizes_case_and_space() {
        let validated = validate_technique("  t1059.001\t").expect("valid");
        assert_eq!(validated.id(), "T1059.001");
        assert_eq!(validated.technique.name, "PowerShell");
    }

    #[test]
    fn validate_rejects_malformed_ids() {
        let cases = [
            ("T107.004", "exactly 4 digits"),
            ("T1059.1", "exactly 3 digits"),
            ("T11100", "exactly 4 digits"),
            ("", "empty"),
            ("   ", "empty"),
            ("1110", "must start with T"),
            ("T1110.", "exactly 3 digits"),
            ("T1110.001.002", "exactly 3 digits"),
            ("T１１１０", "exactly 4 digits"),
            ("TA9999", "no ATT&CK tactic"),
        ];
        for (input, reason) in cases {
            match rejected(input) {
                AttackError::Malformed {
                    input: given,
                    reason: actual,
                } => {
                    assert_eq!(given, input);
                    assert!(actual.contains(reason), "{input}: {actual}");
                }
                other => panic!("{input}: expected Malformed, got {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_message_names_value_and_format() {
        let message = rejected("T107.004").to_string();
        assert!(message.contains("`T107.004`"), "{message}");
        assert!(message.contains("e.g. T1110 or T1110.001"), "{message}");
    }

    #[test]
    fn validate_rejects_tactic_id() {
        let error = rejected("ta0006");
        assert_eq!(
            error,
            AttackError::TacticGiven {
                id: "TA0006".to_string(),
                name: "Credential Access".to_string(),
                example: Some("T1003 (OS Credential Dumping)".to_string()),
            }
        );
        assert_eq!(
            error.to_string(),
            "TA0006 is the ATT&CK tactic Credential Access, not a technique: give a technique \
             of that tactic instead, e.g. T1003 (OS Credential Dumping)"
        );
    }

    #[test]
    fn validate_rejects_unknown_technique() {
        let error = rejected("T9999");
        assert_eq!(
            error,
            AttackError::Unknown {
                id: "T9999".to_string()
            }
        );
        assert!(error
            .to_string()
            .contains("T9999 does not exist in ATT&CK v18.1"));
    }

    #[test]
    fn validate_rejects_unknown_subtechnique() {
        let error = rejected("T1110.009");
        let AttackError::UnknownSubtechnique {
            ref parent,
            ref siblings,
            ..
        } = error
        else {
            panic!("expected UnknownSubtechnique, got {error:?}");
        };
        assert_eq!(parent, "T1110");
        assert_eq!(siblings.len(), 4);
        assert!(error
            .to_string()
            .contains("use T1110 (Brute Force) or one of its sub-techniques"));
    }

    #[test]
    fn validate_rejects_revoked_with_replacement() {
        let error = rejected("T1086");
        assert_eq!(
            error.to_string(),
            "ATT&CK technique T1086 (PowerShell) is revoked: use T1059.001 (PowerShell) instead"
        );
        let AttackError::Revoked { replacement, .. } = error else {
            unreachable!()
        };
        assert_eq!(replacement.as_deref(), Some("T1059.001"));
    }

    #[test]
    fn validate_rejects_revoked_chain_with_final_replacement() {
        let AttackError::Revoked { replacement, .. } = rejected("T1073") else {
            panic!("T1073 is revoked");
        };
        assert_eq!(replacement.as_deref(), Some("T1574.001"));
    }

    #[test]
    fn validate_warns_on_deprecated() {
        let validated = validate_technique("T1064").expect("deprecated is still valid");
        assert_eq!(validated.id(), "T1064");
        assert!(validated.technique.deprecated);
        let warning = validated
            .warning
            .expect("deprecated techniques get a warning");
        assert!(
            warning.contains("T1064 (Scripting) is deprecated"),
            "{warning}"
        );
    }
}
