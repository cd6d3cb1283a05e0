//! Preparation readiness of a case repository (`casefile doctor`): settings, analyst roster,
//! templates, playbooks, ATT&CK version, CI workflow and git remote.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::attack;
use crate::config::{Config, CONFIG_FILE};
use crate::incident::{Incident, IncidentFile, IocRecord, TimelineEntry};
use crate::playbook::{is_type_name, Playbook, PLAYBOOKS_DIR};
use crate::report::{Document, Renderer, BUILT_IN, TEMPLATES_DIR};

/// Path of the workflow that `casefile init --github` writes.
pub const WORKFLOW_FILE: &str = ".github/workflows/casefile.yml";

/// Outcome of one readiness item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Error => "error",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Name of the check: `config`, `roster`, `templates`, `playbooks`, `attack`, `workflow`,
    /// `remote` or `identity`.
    pub check: &'static str,
    pub status: Status,
    pub message: String,
}

impl Item {
    fn new(check: &'static str, status: Status, message: impl Into<String>) -> Self {
        Item {
            check,
            status,
            message: message.into(),
        }
    }
}

/// Runs every readiness check on the repository whose work tree is `root`.
pub fn diagnose(git: &git2::Repository, root: &Path) -> Vec<Item> {
    let mut items = Vec::new();
    let config = match Config::load(root) {
        Ok(config) => {
            items.push(Item::new(
                "config",
                Status::Ok,
                format!("{CONFIG_FILE} is valid"),
            ));
            Some(config)
        }
        Err(error) => {
            let hint = error
                .hint()
                .map(|hint| format!("; {hint}"))
                .unwrap_or_default();
            let cause = std::error::Error::source(&error)
                .map(|cause| format!(": {cause}"))
                .unwrap_or_default();
            items.push(Item::new(
                "config",
                Status::Error,
                format!("{error}{cause}{hint}"),
            ));
            None
        }
    };
    let config = config.unwrap_or_default();
    items.push(roster(&config));
    items.extend(templates(root, &config));
    items.extend(playbooks(root));
    items.push(attack_version(&config));
    items.push(workflow(root));
    items.push(remote(git));
    items.push(identity(git));
    items
}

fn roster(config: &Config) -> Item {
    match config.analysts.len() {
        0 => Item::new(
            "roster",
            Status::Warning,
            format!(
                "the analyst roster is empty, so `assign` accepts any name; add [[analysts]] \
                 entries with name and email to {CONFIG_FILE}"
            ),
        ),
        count => Item::new(
            "roster",
            Status::Ok,
            format!("{count} analyst(s) in the roster"),
        ),
    }
}

/// Loads the templates (built-in and overrides) and renders every document for a sample
/// incident.
fn templates(root: &Path, config: &Config) -> Vec<Item> {
    let overrides: Vec<&str> = BUILT_IN
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| root.join(TEMPLATES_DIR).join(name).is_file())
        .collect();
    let renderer = match Renderer::new(root) {
        Ok(renderer) => renderer,
        Err(error) => return vec![Item::new("templates", Status::Error, error.to_string())],
    };
    let incident = sample_incident();
    let results = [
        renderer.render_markdown(Document::Report, &incident, config, None, None),
        renderer.render_markdown(Document::Lessons, &incident, config, None, None),
        renderer.render_html(&incident, config, None, None),
    ];
    let failures: Vec<Item> = results
        .into_iter()
        .filter_map(|result| result.err())
        .map(|error| Item::new("templates", Status::Error, error.to_string()))
        .collect();
    if !failures.is_empty() {
        return failures;
    }
    let source = if overrides.is_empty() {
        "built-in templates".to_string()
    } else {
        format!(
            "built-in templates with overrides of {}",
            overrides.join(", ")
        )
    };
    vec![Item::new(
        "templates",
        Status::Ok,
        format!("{source} render a sample incident"),
    )]
}

fn playbooks(root: &Path) -> Vec<Item> {
    let dir = root.join(PLAYBOOKS_DIR);
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect(),
        Err(_) => Vec::new(),
    };
    paths.sort();
    if paths.is_empty() {
        return vec![Item::new(
            "playbooks",
            Status::Ok,
            format!("no playbooks in {PLAYBOOKS_DIR}/; response gates need one done action each"),
        )];
    }
    let mut items = Vec::new();
    for path in &paths {
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown = format!("{PLAYBOOKS_DIR}/{stem}.toml");
        if let Err(error) = Playbook::read(path) {
            let cause = std::error::Error::source(&error)
                .map(|cause| format!(": {cause}"))
                .unwrap_or_default();
            items.push(Item::new(
                "playbooks",
                Status::Error,
                format!("{error}{cause}").trim_end().to_string(),
            ));
        } else if !is_type_name(&stem) {
            items.push(Item::new(
                "playbooks",
                Status::Warning,
                format!(
                    "{shown} is never used: `{stem}` is not an incident type (lower-case \
                     letters, digits and hyphens)"
                ),
            ));
        }
    }
    if items.is_empty() {
        items.push(Item::new(
            "playbooks",
            Status::Ok,
            format!("{} playbook(s) parse", paths.len()),
        ));
    }
    items
}

fn attack_version(config: &Config) -> Item {
    let pinned = &config.attack.version;
    if pinned == attack::ATTACK_VERSION {
        Item::new(
            "attack",
            Status::Ok,
            format!("ATT&CK Enterprise {pinned} matches the embedded catalog"),
        )
    } else {
        Item::new(
            "attack",
            Status::Error,
            format!(
                "{CONFIG_FILE} pins ATT&CK {pinned}, but this casefile embeds {}; set \
                 attack.version = \"{}\" or install a casefile with that catalog",
                attack::ATTACK_VERSION,
                attack::ATTACK_VERSION
            ),
        )
    }
}

fn workflow(root: &Path) -> Item {
    if root.join(WORKFLOW_FILE).is_file() {
        Item::new(
            "workflow",
            Status::Ok,
            format!("{WORKFLOW_FILE} is present"),
        )
    } else {
        Item::new(
            "workflow",
            Status::Warning,
            format!(
                "{WORKFLOW_FILE} is missing, so pull requests are not checked; \
                 `casefile init --github` writes it"
            ),
        )
    }
}

fn remote(git: &git2::Repository) -> Item {
    let remotes = git.remotes().ok();
    let names: Vec<&str> = remotes
        .as_ref()
        .map(|names| names.iter().flatten().collect())
        .unwrap_or_default();
    if names.is_empty() {
        Item::new(
            "remote",
            Status::Warning,
            "no git remote is configured, so the work is not shared; add one with \
             `git remote add origin URL`",
        )
    } else {
        Item::new(
            "remote",
            Status::Ok,
            format!("remote(s): {}", names.join(", ")),
        )
    }
}

fn identity(git: &git2::Repository) -> Item {
    match crate::repo::analyst_from_git(git) {
        Ok(analyst) => Item::new(
            "identity",
            Status::Ok,
            format!("commits are made as {analyst}"),
        ),
        Err(error) => {
            let hint = error
                .hint()
                .map(|hint| format!("; {hint}"))
                .unwrap_or_default();
            Item::new("identity", Status::Warning, format!("{error}{hint}"))
        }
    }
}

const SAMPLE_INCIDENT: &str = r#"
id = "IR-20260101-SAMP"
title = "Sample: SSH brute force against a lab host"
created = "2026-01-01T10:00:00Z"
detected_at = "2026-01-01T09:58:00Z"
phase = "closed"
owner = "Sample Analyst <sample@example.org>"
verdict = "true-positive"
verdict_reason = "Repeated failed logins from one source."
type = "brute-force"
severity = "medium"
attack = ["T1110"]
impact = "No account was compromised."
summary = "A sample incident used to render the templates."

[source]
kind = "analyst"
reported_by = "Sample Analyst <sample@example.org>"

[[phase_history]]
phase = "detection"
entered = "2026-01-01T10:00:00Z"
by = "Sample Analyst <sample@example.org>"

[[phase_history]]
phase = "triage"
entered = "2026-01-01T10:05:00Z"
by = "Sample Analyst <sample@example.org>"
"#;

const SAMPLE_ENTRY: &str = r#"
at = "2026-01-01T09:58:00Z"
recorded = "2026-01-01T10:10:00Z"
actor = "Sample Analyst <sample@example.org>"
kind = "finding"
text = "Forty failed logins for `root` within a minute."
"#;

const SAMPLE_IOC: &str = r#"
type = "ipv4"
value = "203.0.113.7"
first_seen = "2026-01-01T09:58:00Z"
last_seen = "2026-01-01T09:59:00Z"
recorded = "2026-01-01T10:10:00Z"
actor = "Sample Analyst <sample@example.org>"
source = "analyst"
"#;

/// Builds the incident that templates are rendered with.
fn sample_incident() -> Incident {
    let file: IncidentFile = toml::from_str(SAMPLE_INCIDENT).expect("the sample incident parses");
    let mut entry: TimelineEntry = toml::from_str(SAMPLE_ENTRY).expect("the sample entry parses");
    entry.id = "20260101-101000-sample".into();
    let mut ioc: IocRecord = toml::from_str(SAMPLE_IOC).expect("the sample indicator parses");
    ioc.id = "20260101-101000-sampl2".into();
    Incident {
        dir: PathBuf::from("incidents/IR-20260101-SAMP"),
        file,
        text: SAMPLE_INCIDENT.to_string(),
        timeline: vec![entry],
        ioc_records: vec![ioc],
        action_records: Vec::new(),
        followups: Vec::new(),
        recommendations: Vec::new(),
        evidence: Vec::new(),
        enrichment: Vec::new(),
        notes: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_incident_renders_with_built_in_templates() {
        let dir = tempfile::tempdir().unwrap();
        let items = templates(dir.path(), &Config::default());
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0].status, Status::Ok, "{items:?}");
    }
}
