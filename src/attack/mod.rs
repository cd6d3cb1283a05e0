//! The embedded MITRE ATT&CK® Enterprise catalog and technique ID validation.
//!
//! The catalog is compiled into the binary from `data/attack/`, derived from MITRE's
//! published STIX data (© The MITRE Corporation, licence in `data/attack/LICENSE-ATTACK.txt`),
//! so validation works offline and is pinned to [`ATTACK_VERSION`].

mod validate;

use std::cmp::Ordering;
use std::sync::OnceLock;

pub use validate::{validate_technique, AttackError, Validated};

/// The ATT&CK Enterprise version of the embedded catalog.
pub const ATTACK_VERSION: &str = "18.1";

const TECHNIQUES_TSV: &str =
    include_str!("../../data/attack/enterprise-attack-v18.1-techniques.tsv");
const TACTICS_TSV: &str = include_str!("../../data/attack/enterprise-attack-v18.1-tactics.tsv");

/// An ATT&CK technique or sub-technique, including revoked and deprecated ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    /// Canonical upper-case ID, `T1110` or `T1110.001`.
    pub id: &'static str,
    pub name: &'static str,
    /// Shortnames of the tactics this technique serves, e.g. `credential-access`.
    pub tactics: Vec<&'static str>,
    pub is_subtechnique: bool,
    /// Parent technique of a sub-technique. MITRE drops this link when it revokes a
    /// sub-technique, so revoked sub-techniques have none.
    pub parent_id: Option<&'static str>,
    pub revoked: bool,
    /// The technique MITRE names as the direct replacement of a revoked one. It can itself
    /// be revoked, and [`Catalog::replacement`] follows the chain to a current one.
    pub revoked_by: Option<&'static str>,
    pub deprecated: bool,
}

impl Technique {
    /// Returns the technique's page on attack.mitre.org.
    pub fn url(&self) -> String {
        format!(
            "https://attack.mitre.org/techniques/{}",
            self.id.replace('.', "/")
        )
    }

    /// Returns true when the technique is neither revoked nor deprecated.
    pub fn is_current(&self) -> bool {
        !self.revoked && !self.deprecated
    }
}

/// An ATT&CK Enterprise tactic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tactic {
    /// Upper-case ID, e.g. `TA0006`.
    pub id: &'static str,
    /// Display name, e.g. `Credential Access`.
    pub name: &'static str,
    /// The name techniques use for the tactic, e.g. `credential-access`.
    pub shortname: &'static str,
    /// Position in the Enterprise matrix, from 1 (Reconnaissance).
    pub order: u8,
}

/// The techniques and tactics of one ATT&CK version.
#[derive(Debug)]
pub struct Catalog {
    /// Sorted by ID, which [`Catalog::technique`] relies on for binary search.
    techniques: Vec<Technique>,
    /// In matrix order.
    tactics: Vec<Tactic>,
}

impl Catalog {
    /// Looks up a technique or sub-technique by ID, ignoring ASCII case and surrounding space.
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        let id = id.trim();
        self.techniques
            .binary_search_by(|technique| compare_ignore_ascii_case(technique.id, id))
            .ok()
            .map(|index| &self.techniques[index])
    }

    /// Looks up a tactic by ID (`TA0006`), shortname (`credential-access`) or name
    /// (`Credential Access`, as Wazuh writes in `rule.mitre.tactic`), ignoring ASCII case.
    pub fn tactic(&self, key: &str) -> Option<&Tactic> {
        let key = key.trim();
        self.tactics.iter().find(|tactic| {
            tactic.id.eq_ignore_ascii_case(key)
                || tactic.shortname.eq_ignore_ascii_case(key)
                || tactic.name.eq_ignore_ascii_case(key)
        })
    }

    /// Returns every technique and sub-technique, revoked and deprecated ones included,
    /// sorted by ID.
    pub fn techniques(&self) -> impl Iterator<Item = &Technique> {
        self.techniques.iter()
    }

    /// Returns the tactics in matrix order.
    pub fn tactics(&self) -> impl Iterator<Item = &Tactic> {
        self.tactics.iter()
    }

    /// Returns the sub-techniques of `parent_id` that are not revoked, sorted by ID.
    pub fn subtechniques<'a>(&'a self, parent_id: &'a str) -> impl Iterator<Item = &'a Technique> {
        self.techniques
            .iter()
            .filter(move |technique| technique.parent_id == Some(parent_id) && !technique.revoked)
    }

    /// Returns the technique that replaces a revoked one, following `revoked_by` until it
    /// reaches a technique that is not revoked. Returns `None` for a technique that is not
    /// revoked or has no replacement.
    pub fn replacement(&self, technique: &Technique) -> Option<&Technique> {
        let mut current = self.technique(technique.revoked_by?)?;
        // Each step leaves a revoked technique, so the chain is at most as long as the catalog.
        for _ in 0..self.techniques.len() {
            if !current.revoked {
                return Some(current);
            }
            current = self.technique(current.revoked_by?)?;
        }
        None
    }
}

/// Returns the embedded catalog, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        techniques: parse_techniques(TECHNIQUES_TSV),
        tactics: parse_tactics(TACTICS_TSV),
    })
}

fn compare_ignore_ascii_case(left: &str, right: &str) -> Ordering {
    let left = left.bytes().map(|byte| byte.to_ascii_uppercase());
    let right = right.bytes().map(|byte| byte.to_ascii_uppercase());
    left.cmp(right)
}

// The embedded files are generated and checked by the tests below, so a malformed row is a
// build defect rather than a user error, and panicking with the row is the useful report.
fn data_rows(tsv: &'static str, columns: usize) -> impl Iterator<Item = Vec<&'static str>> {
    tsv.lines()
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(move |line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                fields.len(),
                columns,
                "embedded ATT&CK row has the wrong column count: {line}"
            );
            fields
        })
}

fn parse_techniques(tsv: &'static str) -> Vec<Technique> {
    let non_empty = |field: &'static str| (!field.is_empty()).then_some(field);
    data_rows(tsv, 8)
        .map(|fields| Technique {
            id: fields[0],
            name: fields[1],
            tactics: fields[2]
                .split(',')
                .filter(|tactic| !tactic.is_empty())
                .collect(),
            is_subtechnique: fields[3] == "1",
            parent_id: non_empty(fields[4]),
            revoked: fields[5] == "1",
            revoked_by: non_empty(fields[6]),
            deprecated: fields[7] == "1",
        })
        .collect()
}

fn parse_tactics(tsv: &'static str) -> Vec<Tactic> {
    data_rows(tsv, 4)
        .map(|fields| Tactic {
            id: fields[0],
            name: fields[1],
            shortname: fields[2],
            order: fields[3]
                .parse()
                .expect("embedded ATT&CK tactic order is a number"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_counts_match_release() {
        let catalog = catalog();
        assert_eq!(catalog.techniques().count(), 835);
        assert_eq!(catalog.tactics().count(), 14);
        let active_parents = catalog
            .techniques()
            .filter(|technique| technique.is_current() && !technique.is_subtechnique)
            .count();
        assert_eq!(active_parents, 216);
    }

    #[test]
    fn catalog_is_sorted_by_id() {
        let ids: Vec<&str> = catalog()
            .techniques()
            .map(|technique| technique.id)
            .collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn technique_lookup_ignores_case() {
        let technique = catalog()
            .technique(" t1110.001 ")
            .expect("T1110.001 exists");
        assert_eq!(technique.id, "T1110.001");
        assert_eq!(technique.name, "Password Guessing");
        assert_eq!(technique.tactics, vec!["credential-access"]);
        assert!(technique.is_subtechnique);
        assert_eq!(technique.parent_id, Some("T1110"));
        assert_eq!(
            technique.url(),
            "https://attack.mitre.org/techniques/T1110/001"
        );
    }

    #[test]
    fn technique_lookup_misses_unknown() {
        assert!(catalog().technique("T9999").is_none());
        assert!(catalog().technique("").is_none());
    }

    #[test]
    fn tactic_lookup_by_id_shortname_and_name() {
        let catalog = catalog();
        for key in ["TA0006", "ta0006", "credential-access", "Credential Access"] {
            let tactic = catalog.tactic(key).expect(key);
            assert_eq!(tactic.id, "TA0006", "{key}");
        }
        assert_eq!(
            catalog.tactic("credential-access").map(|t| t.order),
            Some(8)
        );
    }

    #[test]
    fn tactics_are_in_matrix_order() {
        let orders: Vec<u8> = catalog().tactics().map(|tactic| tactic.order).collect();
        assert_eq!(orders, (1..=14).collect::<Vec<u8>>());
        assert_eq!(
            catalog().tactics().next().map(|t| t.shortname),
            Some("reconnaissance")
        );
    }

    #[test]
    fn every_technique_tactic_exists() {
        let catalog = catalog();
        for technique in catalog.techniques() {
            assert!(
                !technique.tactics.is_empty(),
                "{} has no tactic",
                technique.id
            );
            for shortname in &technique.tactics {
                assert!(
                    catalog.tactic(shortname).is_some(),
                    "{}: {shortname}",
                    technique.id
                );
            }
        }
    }

    #[test]
    fn replacement_follows_revocation_chain() {
        let catalog = catalog();
        let dll_side_loading = catalog.technique("T1073").expect("T1073 exists");
        assert_eq!(dll_side_loading.revoked_by, Some("T1574.002"));
        let replacement = catalog
            .replacement(dll_side_loading)
            .expect("has a replacement");
        assert_eq!(replacement.id, "T1574.001");
        assert!(catalog
            .replacement(catalog.technique("T1110").expect("exists"))
            .is_none());
    }

    #[test]
    fn every_revoked_technique_has_current_replacement() {
        let catalog = catalog();
        for technique in catalog.techniques().filter(|technique| technique.revoked) {
            let replacement = catalog.replacement(technique);
            assert!(replacement.is_some(), "{} has no replacement", technique.id);
        }
    }

    #[test]
    fn subtechniques_lists_active_children() {
        let ids: Vec<&str> = catalog().subtechniques("T1110").map(|t| t.id).collect();
        assert_eq!(
            ids,
            vec!["T1110.001", "T1110.002", "T1110.003", "T1110.004"]
        );
    }
}
