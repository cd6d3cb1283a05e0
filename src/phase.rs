//! The incident-response phases in their fixed order.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A phase of an incident. Preparation is a property of the repository (`casefile doctor`),
/// so incidents start in detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Detection,
    Triage,
    Investigation,
    Determination,
    Classification,
    Containment,
    Eradication,
    Recovery,
    Reporting,
    LessonsLearned,
    Improvement,
    Closed,
}

impl Phase {
    pub const ALL: [Phase; 12] = [
        Phase::Detection,
        Phase::Triage,
        Phase::Investigation,
        Phase::Determination,
        Phase::Classification,
        Phase::Containment,
        Phase::Eradication,
        Phase::Recovery,
        Phase::Reporting,
        Phase::LessonsLearned,
        Phase::Improvement,
        Phase::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Detection => "detection",
            Phase::Triage => "triage",
            Phase::Investigation => "investigation",
            Phase::Determination => "determination",
            Phase::Classification => "classification",
            Phase::Containment => "containment",
            Phase::Eradication => "eradication",
            Phase::Recovery => "recovery",
            Phase::Reporting => "reporting",
            Phase::LessonsLearned => "lessons-learned",
            Phase::Improvement => "improvement",
            Phase::Closed => "closed",
        }
    }

    /// Returns the step number of the phase in the twelve-step process (preparation is 1).
    pub fn number(self) -> usize {
        Phase::ALL
            .iter()
            .position(|phase| *phase == self)
            .unwrap_or(0)
            + 2
    }

    /// Returns the next phase on the true-positive path, or `None` for closed.
    pub fn next(self) -> Option<Phase> {
        let index = Phase::ALL.iter().position(|phase| *phase == self)?;
        Phase::ALL.get(index + 1).copied()
    }

    /// Returns whether the phase records response actions (containment, eradication, recovery).
    pub fn takes_actions(self) -> bool {
        matches!(
            self,
            Phase::Containment | Phase::Eradication | Phase::Recovery
        )
    }

    /// Returns whether the phase's gate may be waived with a reason.
    pub fn waivable(self) -> bool {
        self.takes_actions()
    }

    /// Parses a phase name; `lessons`, `lessons_learned` and the step number are accepted too.
    pub fn parse(input: &str) -> Result<Phase> {
        let name = input.trim().to_ascii_lowercase().replace('_', "-");
        let name = if name == "lessons" {
            "lessons-learned".to_string()
        } else {
            name
        };
        Phase::ALL
            .iter()
            .copied()
            .find(|phase| phase.as_str() == name || phase.number().to_string() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Phase::ALL.iter().map(|phase| phase.as_str()).collect();
                Error::invalid_with_hint(
                    format!("phase `{input}` is not a phase"),
                    format!("use one of: {}", names.join(", ")),
                )
            })
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Phase {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self> {
        Phase::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_next_follows_order() {
        assert_eq!(Phase::Detection.next(), Some(Phase::Triage));
        assert_eq!(Phase::Improvement.next(), Some(Phase::Closed));
        assert_eq!(Phase::Closed.next(), None);
    }

    #[test]
    fn phase_numbers_start_after_preparation() {
        assert_eq!(Phase::Detection.number(), 2);
        assert_eq!(Phase::Improvement.number(), 12);
    }

    #[test]
    fn phase_parse_accepts_aliases() {
        assert_eq!(Phase::parse("lessons").unwrap(), Phase::LessonsLearned);
        assert_eq!(
            Phase::parse("Lessons_Learned").unwrap(),
            Phase::LessonsLearned
        );
    }
}
