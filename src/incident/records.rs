//! Append-only records of an incident, one TOML file each, so that records added on two
//! branches merge without conflict: timeline entries, indicators, actions, follow-ups,
//! recommendations and evidence.

use serde::{Deserialize, Serialize};

use crate::ioc::IocType;
use crate::phase::Phase;
use crate::tlp::Tlp;

/// Kind of a timeline entry. `system` and `alert` entries are written by casefile itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// An analyst's observation.
    Note,
    /// A finding of the investigation.
    Finding,
    /// A response step taken outside casefile's actions.
    Action,
    /// A message to or from people outside the team.
    Communication,
    /// An alert received from the SIEM.
    Alert,
    /// An event recorded by casefile (opened, ownership, phase changes).
    System,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Finding => "finding",
            EntryKind::Action => "action",
            EntryKind::Communication => "communication",
            EntryKind::Alert => "alert",
            EntryKind::System => "system",
        }
    }

    /// Returns whether an analyst wrote the entry, as opposed to casefile.
    pub fn is_analyst(self) -> bool {
        !matches!(self, EntryKind::Alert | EntryKind::System)
    }
}

/// One timeline entry: `timeline/<record id>.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    #[serde(skip)]
    pub id: String,
    /// When the event happened (UTC, RFC 3339).
    pub at: String,
    /// When the entry was written (UTC, RFC 3339).
    pub recorded: String,
    pub actor: String,
    pub kind: EntryKind,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
}

/// One sighting of an indicator: `iocs/<record id>.toml`. Sightings of the same type and
/// value are merged when an incident is read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IocRecord {
    #[serde(skip)]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: IocType,
    /// Canonical value (refanged, lower-case where the type is case-insensitive).
    pub value: String,
    pub first_seen: String,
    pub last_seen: String,
    pub recorded: String,
    pub actor: String,
    /// Source of the indicator: an alert field, a file, `analyst`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Status of a response action or follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    Planned,
    Done,
    Failed,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::Done => "done",
            ActionStatus::Failed => "failed",
        }
    }
}

/// Kind of a containment, eradication or recovery action.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    BlockIp,
    IsolateHost,
    LockAccount,
    MonitorAccount,
    RemoveFile,
    Patch,
    ResetCredentials,
    EnforceMfa,
    UpdateDetection,
    VerifyService,
    MonitorIoc,
    ConfirmNoAccess,
    Other,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::BlockIp => "block-ip",
            ActionKind::IsolateHost => "isolate-host",
            ActionKind::LockAccount => "lock-account",
            ActionKind::MonitorAccount => "monitor-account",
            ActionKind::RemoveFile => "remove-file",
            ActionKind::Patch => "patch",
            ActionKind::ResetCredentials => "reset-credentials",
            ActionKind::EnforceMfa => "enforce-mfa",
            ActionKind::UpdateDetection => "update-detection",
            ActionKind::VerifyService => "verify-service",
            ActionKind::MonitorIoc => "monitor-ioc",
            ActionKind::ConfirmNoAccess => "confirm-no-access",
            ActionKind::Other => "other",
        }
    }

    /// Returns the phase an action of this kind usually belongs to.
    pub fn usual_phase(self) -> Phase {
        match self {
            ActionKind::BlockIp
            | ActionKind::IsolateHost
            | ActionKind::LockAccount
            | ActionKind::MonitorAccount => Phase::Containment,
            ActionKind::RemoveFile
            | ActionKind::Patch
            | ActionKind::ResetCredentials
            | ActionKind::EnforceMfa
            | ActionKind::UpdateDetection => Phase::Eradication,
            ActionKind::VerifyService | ActionKind::MonitorIoc | ActionKind::ConfirmNoAccess => {
                Phase::Recovery
            }
            ActionKind::Other => Phase::Containment,
        }
    }
}

/// A response action (`actions/<record id>.toml`), or a later status update of one, which
/// names the action it updates in `updates`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRecord {
    #[serde(skip)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ActionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub status: ActionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub recorded: String,
    pub actor: String,
}

/// An action with its latest status applied, as commands and reports see it.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub id: String,
    pub short_id: String,
    pub phase: Phase,
    pub kind: ActionKind,
    pub target: String,
    pub status: ActionStatus,
    pub note: Option<String>,
    pub created: String,
    pub created_by: String,
    pub updated: String,
    pub updated_by: String,
}

/// Kind of a continuous-improvement follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum FollowupKind {
    SiemRule,
    Playbook,
    Hunt,
    Training,
    Other,
}

impl FollowupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowupKind::SiemRule => "siem-rule",
            FollowupKind::Playbook => "playbook",
            FollowupKind::Hunt => "hunt",
            FollowupKind::Training => "training",
            FollowupKind::Other => "other",
        }
    }
}

/// A follow-up: `followups/<record id>.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Followup {
    #[serde(skip)]
    pub id: String,
    pub kind: FollowupKind,
    pub text: String,
    #[serde(default)]
    pub owner: String,
    /// Due date, YYYY-MM-DD.
    pub due: String,
    pub recorded: String,
    pub actor: String,
}

/// A lessons-learned recommendation: `recommendations/<record id>.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recommendation {
    #[serde(skip)]
    pub id: String,
    pub text: String,
    pub recorded: String,
    pub actor: String,
}

/// Metadata of one evidence file: `evidence/<name>.toml` beside `evidence/<name>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRecord {
    #[serde(skip)]
    pub id: String,
    /// File name of the evidence inside `evidence/`.
    pub file: String,
    pub sha256: String,
    pub size: u64,
    pub received: String,
    pub actor: String,
    /// Origin of the evidence, such as the alert file's name.
    pub origin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_key: Option<String>,
    /// Number of alerts in a batch file written by `ingest`; a single alert has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<u64>,
    /// Index of a batch: one line per alert with its SHA-256, byte range, id, rule and time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// Time of the earliest alert of a batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_alert_time: Option<String>,
}
