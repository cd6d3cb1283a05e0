//! One incident: `incident.toml` for its single values and phase history, and one directory
//! per kind of append-only record.

mod edit;
pub mod id;
pub mod records;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock::compare_times;
use crate::error::{Error, Result};
use crate::ioc::IocType;
use crate::phase::Phase;
use crate::tlp::Tlp;

pub use edit::IncidentEdit;
pub use records::*;

/// Directory under the repository root that contains one directory per incident.
pub const INCIDENTS_DIR: &str = "incidents";
pub const INCIDENT_FILE: &str = "incident.toml";
pub const NOTES_FILE: &str = "notes.md";
pub const TIMELINE_DIR: &str = "timeline";
pub const IOCS_DIR: &str = "iocs";
pub const ACTIONS_DIR: &str = "actions";
pub const FOLLOWUPS_DIR: &str = "followups";
pub const RECOMMENDATIONS_DIR: &str = "recommendations";
pub const EVIDENCE_DIR: &str = "evidence";
pub const ENRICHMENT_DIR: &str = "enrichment";

/// The determination of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    TruePositive,
    FalsePositive,
    Benign,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::TruePositive => "true-positive",
            Verdict::FalsePositive => "false-positive",
            Verdict::Benign => "benign",
        }
    }

    /// Returns whether the verdict takes the short path that skips classification to recovery.
    pub fn skips_response(self) -> bool {
        !matches!(self, Verdict::TruePositive)
    }
}

/// The origin of an incident: an alert or a reporting analyst.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Source {
    /// `alert` or `analyst`.
    pub kind: String,
    pub reported_by: Option<String>,
    pub alert: Option<AlertSource>,
}

/// The alert an incident was opened from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSource {
    pub siem: String,
    pub alert_id: Option<String>,
    pub rule_id: String,
    pub rule_level: u8,
    pub rule_description: String,
    pub rule_groups: Vec<String>,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub agent_ip: Option<String>,
    pub manager: Option<String>,
    pub location: Option<String>,
    pub evidence: String,
    pub sha256: String,
    pub dedupe_key: Option<String>,
}

/// One entry of the phase history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseChange {
    pub phase: Phase,
    pub entered: String,
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A waived gate, shown in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub gate: Phase,
    pub reason: String,
    pub by: String,
    pub at: String,
}

/// The retrospective fields of the lessons-learned document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Lessons {
    pub what_happened: Option<String>,
    pub went_well: Option<String>,
    pub went_wrong: Option<String>,
    pub root_cause: Option<String>,
}

/// The contents of `incident.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentFile {
    pub id: String,
    pub title: String,
    pub created: String,
    #[serde(default)]
    pub detected_at: Option<String>,
    pub phase: Phase,
    #[serde(default)]
    pub tlp: Option<Tlp>,
    #[serde(default)]
    pub owner: Option<String>,
    /// When an owner was first assigned.
    #[serde(default)]
    pub acknowledged_at: Option<String>,
    #[serde(default)]
    pub verdict: Option<Verdict>,
    #[serde(default)]
    pub verdict_reason: Option<String>,
    #[serde(default, rename = "type")]
    pub incident_type: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub attack: Vec<String>,
    #[serde(default)]
    pub attack_version: Option<String>,
    #[serde(default)]
    pub impact: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub source: Source,
    #[serde(default)]
    pub lessons: Lessons,
    #[serde(default)]
    pub phase_history: Vec<PhaseChange>,
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

/// An indicator with all its sightings in one incident merged.
#[derive(Debug, Clone, Serialize)]
pub struct Ioc {
    #[serde(rename = "type")]
    pub kind: IocType,
    pub value: String,
    pub first_seen: String,
    pub last_seen: String,
    pub sources: Vec<String>,
    pub tlp: Option<Tlp>,
    pub sightings: usize,
    pub records: Vec<String>,
}

/// A fully read incident.
#[derive(Debug, Clone)]
pub struct Incident {
    /// Directory of the incident, relative to the repository root.
    pub dir: PathBuf,
    pub file: IncidentFile,
    /// Text of `incident.toml` as read, for edits that keep the analyst's comments.
    pub text: String,
    pub timeline: Vec<TimelineEntry>,
    pub ioc_records: Vec<IocRecord>,
    pub action_records: Vec<ActionRecord>,
    pub followups: Vec<Followup>,
    pub recommendations: Vec<Recommendation>,
    pub evidence: Vec<EvidenceRecord>,
    pub enrichment: Vec<crate::enrich::EnrichmentRecord>,
    pub notes: Option<String>,
}

/// Returns the directory of incident `id`, relative to the repository root.
pub fn incident_dir(id: &str) -> PathBuf {
    Path::new(INCIDENTS_DIR).join(id)
}

impl Incident {
    /// Reads incident `id` from the repository at `root`.
    pub fn load(root: &Path, id: &str) -> Result<Incident> {
        let dir = incident_dir(id);
        let absolute = root.join(&dir);
        if !absolute.join(INCIDENT_FILE).is_file() {
            return Err(Error::invalid_with_hint(
                format!(
                    "incident {id} not found in `{}`",
                    root.join(INCIDENTS_DIR).display()
                ),
                "`casefile list` shows the incidents of this repository",
            ));
        }
        Self::load_dir(root, &dir)
    }

    /// Reads the incident in `dir` (relative to `root`).
    pub fn load_dir(root: &Path, dir: &Path) -> Result<Incident> {
        let absolute = root.join(dir);
        reject_link(&absolute)?;
        let path = absolute.join(INCIDENT_FILE);
        let text = read_case_file(&path)?;
        let file: IncidentFile = toml::from_str(&text).map_err(|source| Error::Toml {
            path: path.clone(),
            source: Box::new(source),
        })?;
        let notes_path = absolute.join(NOTES_FILE);
        reject_link(&notes_path)?;
        let notes = fs::read_to_string(&notes_path).ok();
        let mut incident = Incident {
            dir: dir.to_path_buf(),
            file,
            text,
            timeline: read_records(
                &absolute.join(TIMELINE_DIR),
                |entry: &mut TimelineEntry, id| entry.id = id,
            )?,
            ioc_records: read_records(&absolute.join(IOCS_DIR), |record: &mut IocRecord, id| {
                record.id = id
            })?,
            action_records: read_records(
                &absolute.join(ACTIONS_DIR),
                |record: &mut ActionRecord, id| record.id = id,
            )?,
            followups: read_records(
                &absolute.join(FOLLOWUPS_DIR),
                |record: &mut Followup, id| record.id = id,
            )?,
            recommendations: read_records(
                &absolute.join(RECOMMENDATIONS_DIR),
                |record: &mut Recommendation, id| record.id = id,
            )?,
            evidence: read_records(
                &absolute.join(EVIDENCE_DIR),
                |record: &mut EvidenceRecord, id| record.id = id,
            )?,
            enrichment: read_records(
                &absolute.join(ENRICHMENT_DIR),
                |record: &mut crate::enrich::EnrichmentRecord, id| record.id = id,
            )?,
            notes,
        };
        incident.sort_timeline();
        Ok(incident)
    }

    pub fn id(&self) -> &str {
        &self.file.id
    }

    pub fn phase(&self) -> Phase {
        self.file.phase
    }

    /// Sorts the timeline by event time; entries with equal times keep their recorded order.
    /// Each time is parsed once, not in every comparison.
    pub(crate) fn sort_timeline(&mut self) {
        let mut keyed: Vec<_> = std::mem::take(&mut self.timeline)
            .into_iter()
            .map(|entry| {
                let key = crate::clock::parse_time(&entry.at).map(|t| t.to_utc()).ok();
                (key, entry)
            })
            .collect();
        keyed.sort_by(|(key_a, a), (key_b, b)| {
            key_a
                .cmp(key_b)
                .then_with(|| a.recorded.cmp(&b.recorded))
                .then_with(|| a.id.cmp(&b.id))
        });
        self.timeline = keyed.into_iter().map(|(_, entry)| entry).collect();
    }

    /// Returns the indicators with sightings of the same type and value merged, in the order
    /// they were first recorded.
    pub fn iocs(&self) -> Vec<Ioc> {
        let mut merged: Vec<Ioc> = Vec::new();
        let mut index: BTreeMap<(IocType, String), usize> = BTreeMap::new();
        for record in &self.ioc_records {
            let key = (record.kind, record.value.clone());
            match index.get(&key) {
                Some(&position) => {
                    let ioc = &mut merged[position];
                    if compare_times(&record.first_seen, &ioc.first_seen).is_lt() {
                        ioc.first_seen = record.first_seen.clone();
                    }
                    if compare_times(&record.last_seen, &ioc.last_seen).is_gt() {
                        ioc.last_seen = record.last_seen.clone();
                    }
                    if !ioc.sources.contains(&record.source) {
                        ioc.sources.push(record.source.clone());
                    }
                    ioc.tlp = ioc.tlp.max(record.tlp);
                    ioc.sightings += 1;
                    ioc.records.push(record.id.clone());
                }
                None => {
                    index.insert(key, merged.len());
                    merged.push(Ioc {
                        kind: record.kind,
                        value: record.value.clone(),
                        first_seen: record.first_seen.clone(),
                        last_seen: record.last_seen.clone(),
                        sources: vec![record.source.clone()],
                        tlp: record.tlp,
                        sightings: 1,
                        records: vec![record.id.clone()],
                    });
                }
            }
        }
        merged
    }

    /// Returns the actions with their status updates applied, in the order they were created.
    pub fn actions(&self) -> Vec<Action> {
        let mut actions: Vec<Action> = Vec::new();
        for record in self
            .action_records
            .iter()
            .filter(|record| record.updates.is_none())
        {
            let (Some(kind), Some(phase)) = (record.kind, record.phase) else {
                continue;
            };
            actions.push(Action {
                id: record.id.clone(),
                short_id: id::short_record_id(&record.id).to_string(),
                phase,
                kind,
                target: record.target.clone().unwrap_or_default(),
                status: record.status,
                note: record.note.clone(),
                created: record.recorded.clone(),
                created_by: record.actor.clone(),
                updated: record.recorded.clone(),
                updated_by: record.actor.clone(),
            });
        }
        for update in self
            .action_records
            .iter()
            .filter(|record| record.updates.is_some())
        {
            let target = update.updates.as_deref().unwrap_or_default();
            if let Some(action) = actions.iter_mut().find(|action| action.id == target) {
                if compare_times(&update.recorded, &action.updated).is_ge() {
                    action.status = update.status;
                    action.updated = update.recorded.clone();
                    action.updated_by = update.actor.clone();
                    if update.note.is_some() {
                        action.note = update.note.clone();
                    }
                }
            }
        }
        actions
    }

    /// Returns the TLP of the incident, or `default` when the file sets none.
    pub fn tlp_or(&self, default: Tlp) -> Tlp {
        self.file.tlp.unwrap_or(default)
    }

    /// Returns when the incident entered `phase` last, if it did.
    pub fn entered(&self, phase: Phase) -> Option<&str> {
        self.file
            .phase_history
            .iter()
            .rev()
            .find(|change| change.phase == phase)
            .map(|change| change.entered.as_str())
    }

    /// Returns whether the analyst's notes contain text beyond the template's headings and
    /// comments.
    pub fn notes_have_findings(&self) -> bool {
        let Some(notes) = &self.notes else {
            return false;
        };
        let mut in_comment = false;
        notes.lines().any(|line| {
            let line = line.trim();
            if line.starts_with("<!--") {
                in_comment = !line.ends_with("-->");
                return false;
            }
            if in_comment {
                in_comment = !line.ends_with("-->");
                return false;
            }
            !line.is_empty() && !line.starts_with('#')
        })
    }
}

/// Reads only the evidence records of incident `id`, for callers that must know its alerts even
/// when another of its files is broken.
pub fn load_evidence(root: &Path, id: &str) -> Result<Vec<EvidenceRecord>> {
    let dir = root.join(incident_dir(id)).join(EVIDENCE_DIR);
    read_records(&dir, |record: &mut EvidenceRecord, name| record.id = name)
}

/// Lists the incident IDs of the repository at `root`: the directories under `incidents/`
/// that contain an `incident.toml`, sorted.
pub fn list_ids(root: &Path) -> Result<Vec<String>> {
    let dir = root.join(INCIDENTS_DIR);
    let mut ids = incident_dir_names(root)?;
    ids.retain(|name| dir.join(name).join(INCIDENT_FILE).is_file());
    Ok(ids)
}

/// Lists the directories under `incidents/`, sorted, leaving out hidden ones; a missing
/// `incidents/` has none.
pub fn incident_dir_names(root: &Path) -> Result<Vec<String>> {
    let dir = root.join(INCIDENTS_DIR);
    reject_link(&dir)?;
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                action: "read directory",
                path: dir,
                source,
            })
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io("read directory", &dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
        if is_dir && !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Returns an error when `path` is a symbolic link. A case repository comes from pull
/// requests, and a link could make a report or CI job read a file outside it, such as a
/// key of the runner. A missing path is not an error.
pub fn reject_link(path: &Path) -> Result<()> {
    let is_link =
        fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_symlink());
    if !is_link {
        return Ok(());
    }
    Err(Error::invalid_with_hint(
        format!(
            "`{}` is a symbolic link; casefile reads no case file through a link",
            path.display()
        ),
        "replace the link with the file or directory itself (`casefile check` lists every link)",
    ))
}

/// Reads a file of the case repository as text, refusing a symbolic link.
pub fn read_case_file(path: &Path) -> Result<String> {
    reject_link(path)?;
    fs::read_to_string(path).map_err(Error::io("read", path))
}

/// Reads every `*.toml` record of a directory, in file-name (and so recorded-time) order.
fn read_records<T: DeserializeOwned>(
    dir: &Path,
    set_id: impl Fn(&mut T, String),
) -> Result<Vec<T>> {
    reject_link(dir)?;
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                action: "read directory",
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    let mut records = Vec::with_capacity(paths.len());
    for path in paths {
        let text = read_case_file(&path)?;
        let mut record: T = toml::from_str(&text).map_err(|source| Error::Toml {
            path: path.clone(),
            source: Box::new(source),
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        set_id(&mut record, stem);
        records.push(record);
    }
    Ok(records)
}

/// Serializes a record to TOML for a new file.
pub fn record_toml<T: Serialize>(record: &T) -> Result<String> {
    toml::to_string(record).map_err(|error| Error::invalid(format!("internal error: {error}")))
}
