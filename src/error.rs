//! The error type every command returns, with the hint and exit code that `main` prints.

use std::path::PathBuf;

use crate::alert::AlertError;
use crate::attack::AttackError;
use crate::ioc::InvalidIoc;

/// Result alias used across casefile.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error that ends a command with exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that the user can correct: a bad value, a missing field, a wrong state.
    #[error("{message}")]
    Invalid {
        message: String,
        hint: Option<String>,
    },

    /// A phase gate that does not hold, with every unmet requirement.
    #[error("incident {incident} cannot leave phase {phase}: {} requirement(s) unmet", unmet.len())]
    GateUnmet {
        incident: String,
        phase: String,
        unmet: Vec<String>,
    },

    #[error("failed to {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("git: failed to {action}")]
    Git {
        action: String,
        #[source]
        source: git2::Error,
    },

    #[error("invalid TOML in `{}`", path.display())]
    Toml {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("invalid JSON in {context}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("invalid alert in `{}`", path.display())]
    Alert {
        path: PathBuf,
        #[source]
        source: AlertError,
    },

    #[error(transparent)]
    Ioc(#[from] InvalidIoc),

    #[error(transparent)]
    Attack(#[from] AttackError),

    #[error("template `{name}` failed to render: {message}")]
    Template { name: String, message: String },
}

impl Error {
    /// Builds an [`Error::Invalid`] without a hint.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
            hint: None,
        }
    }

    /// Builds an [`Error::Invalid`] with a hint saying how to fix it.
    pub fn invalid_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// Wraps a git2 error with the action that failed.
    pub fn git(action: impl Into<String>) -> impl FnOnce(git2::Error) -> Self {
        let action = action.into();
        move |source| Error::Git { action, source }
    }

    /// Wraps an I/O error with the action and the path.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// Returns the hint printed after the error, if any.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Invalid { hint, .. } => hint.clone(),
            Error::GateUnmet {
                incident, phase, ..
            } => {
                let waivable = matches!(phase.as_str(), "containment" | "eradication" | "recovery");
                Some(if waivable {
                    format!(
                        "meet the requirements, or waive the gate with \
                         `casefile advance {incident} --waive {phase} --reason TEXT`"
                    )
                } else {
                    format!("meet the requirements; `casefile show {incident}` lists them")
                })
            }
            Error::Toml { path, .. } => Some(format!(
                "fix the syntax of `{}` and run the command again",
                path.display()
            )),
            _ => None,
        }
    }

    /// Returns the lines listed under the error, such as unmet gate requirements.
    pub fn details(&self) -> &[String] {
        match self {
            Error::GateUnmet { unmet, .. } => unmet,
            _ => &[],
        }
    }
}
