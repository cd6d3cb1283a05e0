//! Checks of the history between a base revision and `HEAD` (`check --base REF`). Records that
//! existed at the base are never edited or removed, and a closed incident changes only through
//! a recorded reopen. New timeline entries are not back-dated far beyond their commit.
//!
//! The comparison starts at the merge base of REF and `HEAD`, as `git diff REF...HEAD` does,
//! so that changes made on REF after the branch started do not count as changes of the branch.

use std::collections::{BTreeMap, HashMap};

use git2::{Delta, DiffOptions, Oid, Repository, Sort, Tree};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::incident::{
    EntryKind, TimelineEntry, ACTIONS_DIR, EVIDENCE_DIR, INCIDENTS_DIR, INCIDENT_FILE, IOCS_DIR,
    TIMELINE_DIR,
};
use crate::report::{LESSONS_FILE, REPORT_FILE, REPORT_HTML_FILE};

use super::load::key_line;
use super::Finding;

/// Record directories whose files are append-only.
const APPEND_ONLY: &[&str] = &[TIMELINE_DIR, IOCS_DIR, ACTIONS_DIR, EVIDENCE_DIR];

/// Rendered documents, which may change in a closed incident without a reopen.
const RENDERED: &[&str] = &[REPORT_FILE, REPORT_HTML_FILE, LESSONS_FILE];

/// A changed path under `incidents/<name>/`.
struct Changed {
    name: String,
    /// Path inside the incident directory, such as `timeline/<id>.toml`.
    inner: String,
    path: String,
    status: Delta,
}

pub fn check_history(git: &Repository, base: &str, config: &Config) -> Result<Vec<Finding>> {
    let base_commit = resolve(git, base)?;
    let head = git
        .head()
        .and_then(|head| head.peel_to_commit())
        .map_err(Error::git("read HEAD"))?;
    let start = match git.merge_base(base_commit.id(), head.id()) {
        Ok(oid) => git
            .find_commit(oid)
            .map_err(Error::git("read the merge base"))?,
        Err(_) => base_commit,
    };
    let start_tree = start.tree().map_err(Error::git("read the base tree"))?;
    let head_tree = head.tree().map_err(Error::git("read HEAD's tree"))?;
    let changed = changed_paths(git, &start_tree, &head_tree)?;

    let mut findings = Vec::new();
    let mut by_incident: BTreeMap<&str, Vec<&Changed>> = BTreeMap::new();
    let mut added_entries = Vec::new();
    for change in &changed {
        by_incident.entry(&change.name).or_default().push(change);
        let kind = change.inner.split('/').next().unwrap_or_default();
        let append_only = APPEND_ONLY.contains(&kind) && change.inner.contains('/');
        match change.status {
            Delta::Modified | Delta::Typechange if append_only => findings.push(
                Finding::error(
                    "record-edited",
                    change.path.as_str(),
                    format!(
                        "this {kind} record existed at {base} and was edited; records are \
                         append-only, so add a new record instead"
                    ),
                )
                .in_incident(&change.name),
            ),
            Delta::Deleted if append_only => findings.push(
                Finding::error(
                    "record-removed",
                    change.path.as_str(),
                    format!("this {kind} record existed at {base} and was removed; records are append-only"),
                )
                .in_incident(&change.name),
            ),
            Delta::Added if kind == TIMELINE_DIR => added_entries.push(change),
            _ => {}
        }
    }
    for (name, changes) in &by_incident {
        findings.extend(check_incident_file(
            git,
            &start_tree,
            &head_tree,
            name,
            changes,
            base,
        )?);
    }
    if !added_entries.is_empty() {
        let tolerance = config.check.backdate_tolerance_hours;
        findings.extend(backdated(
            git,
            &head,
            start.id(),
            &head_tree,
            &added_entries,
            tolerance,
        )?);
    }
    Ok(findings)
}

fn resolve<'r>(git: &'r Repository, base: &str) -> Result<git2::Commit<'r>> {
    git.revparse_single(base)
        .and_then(|object| object.peel_to_commit())
        .map_err(|_| {
            Error::invalid_with_hint(
                format!("--base `{base}` is not a commit of this repository"),
                "name a branch, tag or commit, such as `origin/main`; in CI, fetch the history \
                 (actions/checkout with fetch-depth: 0)",
            )
        })
}

/// Lists the paths under `incidents/<name>/` that differ between two trees.
fn changed_paths(git: &Repository, from: &Tree, to: &Tree) -> Result<Vec<Changed>> {
    let mut options = DiffOptions::new();
    options.pathspec(format!("{INCIDENTS_DIR}/"));
    let diff = git
        .diff_tree_to_tree(Some(from), Some(to), Some(&mut options))
        .map_err(Error::git("compare the base with HEAD"))?;
    let mut changed = Vec::new();
    for delta in diff.deltas() {
        let file = match delta.status() {
            Delta::Deleted => delta.old_file(),
            _ => delta.new_file(),
        };
        let Some(path) = file.path().and_then(|path| path.to_str()) else {
            continue;
        };
        let path = path.replace('\\', "/");
        let mut parts = path.splitn(3, '/');
        let (Some(_), Some(name), Some(inner)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        changed.push(Changed {
            name: name.to_string(),
            inner: inner.to_string(),
            path: path.clone(),
            status: delta.status(),
        });
    }
    Ok(changed)
}

/// The phase and phase history of an `incident.toml` read from a tree.
struct PhaseState {
    phase: String,
    history: Vec<toml::Value>,
    text: String,
}

fn phase_state(git: &Repository, tree: &Tree, name: &str) -> Option<PhaseState> {
    let path = format!("{INCIDENTS_DIR}/{name}/{INCIDENT_FILE}");
    let entry = tree.get_path(std::path::Path::new(&path)).ok()?;
    let blob = git.find_blob(entry.id()).ok()?;
    let text = String::from_utf8_lossy(blob.content()).into_owned();
    let table: toml::Table = text.parse().ok()?;
    let phase = table.get("phase")?.as_str()?.to_string();
    let history = table
        .get("phase_history")
        .and_then(|value| value.as_array())
        .cloned()
        .unwrap_or_default();
    Some(PhaseState {
        phase,
        history,
        text,
    })
}

/// Checks the incident-level rules for one changed incident: its phase history only grows,
/// and a closed incident changes only through a reopen.
fn check_incident_file(
    git: &Repository,
    start: &Tree,
    head: &Tree,
    name: &str,
    changes: &[&Changed],
    base: &str,
) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let (Some(before), Some(after)) = (phase_state(git, start, name), phase_state(git, head, name))
    else {
        return Ok(findings);
    };
    let file = format!("{INCIDENTS_DIR}/{name}/{INCIDENT_FILE}");
    let kept = after.history.len() >= before.history.len()
        && after.history[..before.history.len()] == before.history[..];
    if !kept {
        findings.push(
            Finding::error(
                "phase-history-rewritten",
                file.as_str(),
                format!("[[phase_history]] entries that existed at {base} were changed or removed; the phase history is append-only"),
            )
            .at_line(key_line(&after.text, "phase"))
            .in_incident(name),
        );
    }
    if before.phase != "closed" {
        return Ok(findings);
    }
    let reopened = kept
        && after.history[before.history.len()..].iter().any(|entry| {
            let phase = entry.get("phase").and_then(|v| v.as_str());
            let reason = entry.get("reason").and_then(|v| v.as_str());
            phase.is_some_and(|p| p != "closed") && reason.is_some_and(|r| !r.trim().is_empty())
        });
    let edited: Vec<&str> = changes
        .iter()
        .filter(|change| !RENDERED.contains(&change.inner.as_str()))
        .map(|change| change.inner.as_str())
        .collect();
    if !reopened && !edited.is_empty() {
        findings.push(
            Finding::error(
                "closed-changed",
                file.as_str(),
                format!(
                    "the incident was closed at {base} and changed without a reopen ({}); \
                     reopen it with `casefile reopen {name} --reason TEXT` first",
                    edited.join(", ")
                ),
            )
            .at_line(key_line(&after.text, "phase"))
            .in_incident(name),
        );
    }
    Ok(findings)
}

/// Flags new timeline entries whose event time is more than `tolerance_hours` before the
/// commit that added them. Alert entries are left out: their time is the alert's own, kept
/// with the raw alert as evidence, and ingesting old alerts is routine.
fn backdated(
    git: &Repository,
    head: &git2::Commit,
    start: Oid,
    head_tree: &Tree,
    added: &[&Changed],
    tolerance_hours: f64,
) -> Result<Vec<Finding>> {
    let commit_times = adding_commits(git, head, start, added)?;
    let mut findings = Vec::new();
    for change in added {
        let Some(&committed) = commit_times.get(&change.path) else {
            continue;
        };
        let Some(text) = blob_text(git, head_tree, &change.path) else {
            continue;
        };
        let Ok(entry) = toml::from_str::<TimelineEntry>(&text) else {
            continue;
        };
        let Ok(at) = chrono::DateTime::parse_from_rfc3339(&entry.at) else {
            continue;
        };
        if entry.kind == EntryKind::Alert {
            continue;
        }
        let hours = (committed - at.timestamp()) as f64 / 3600.0;
        if hours > tolerance_hours {
            findings.push(
                Finding::warning(
                    "entry-backdated",
                    change.path.as_str(),
                    format!(
                        "the event time {} is {:.0} hours before the commit that added the entry \
                         (more than check.backdate_tolerance_hours = {tolerance_hours})",
                        entry.at, hours
                    ),
                )
                .at_line(key_line(&text, "at"))
                .in_incident(&change.name),
            );
        }
    }
    Ok(findings)
}

/// Returns, for each added path, the commit time (Unix seconds) of the oldest commit between
/// `start` and `head` that added it.
fn adding_commits(
    git: &Repository,
    head: &git2::Commit,
    start: Oid,
    added: &[&Changed],
) -> Result<HashMap<String, i64>> {
    let wanted: std::collections::HashSet<&str> =
        added.iter().map(|change| change.path.as_str()).collect();
    let mut walk = git.revwalk().map_err(Error::git("walk the history"))?;
    walk.set_sorting(Sort::TOPOLOGICAL)
        .map_err(Error::git("walk the history"))?;
    walk.push(head.id())
        .map_err(Error::git("walk the history"))?;
    walk.hide(start).map_err(Error::git("walk the history"))?;
    let mut times = HashMap::new();
    for oid in walk {
        let oid = oid.map_err(Error::git("walk the history"))?;
        let commit = git.find_commit(oid).map_err(Error::git("read a commit"))?;
        let tree = commit.tree().map_err(Error::git("read a commit's tree"))?;
        let parent_tree = match commit.parent(0) {
            Ok(parent) => Some(parent.tree().map_err(Error::git("read a commit's tree"))?),
            Err(_) => None,
        };
        let mut options = DiffOptions::new();
        options.pathspec(format!("{INCIDENTS_DIR}/"));
        let diff = git
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut options))
            .map_err(Error::git("compare a commit with its parent"))?;
        for delta in diff.deltas().filter(|delta| delta.status() == Delta::Added) {
            let Some(path) = delta.new_file().path().and_then(|path| path.to_str()) else {
                continue;
            };
            if wanted.contains(path) {
                // The walk goes from newest to oldest, so the last write is the oldest commit.
                times.insert(path.to_string(), commit.time().seconds());
            }
        }
    }
    Ok(times)
}

fn blob_text(git: &Repository, tree: &Tree, path: &str) -> Option<String> {
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    let blob = git.find_blob(entry.id()).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}
