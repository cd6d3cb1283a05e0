//! Rendering of many incidents at once for `casefile report --all`: which incidents changed
//! since a git revision, and the index page that lists the rendered reports.

use std::collections::BTreeSet;
use std::path::{Component, Path};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::incident::INCIDENTS_DIR;
use crate::repo::CaseRepo;

/// One line of the index page.
#[derive(Debug, Serialize)]
pub struct IndexRow {
    pub id: String,
    pub title: String,
    pub phase: String,
    pub severity: Option<String>,
    pub verdict: Option<String>,
    pub tlp: String,
    /// File name of the rendered report, relative to the index.
    pub file: String,
}

/// Returns the IDs of the incidents whose files differ between the tree of `revision` and the
/// work tree (committed, staged or not), so an incident edited but not yet committed counts.
pub fn changed_since(repo: &CaseRepo, revision: &str) -> Result<BTreeSet<String>> {
    let object = repo.git.revparse_single(revision).map_err(|source| {
        Error::invalid_with_hint(
            format!("git revision `{revision}` not found: {}", source.message()),
            "pass a branch, tag or commit that exists, such as `origin/main`",
        )
    })?;
    let tree = object
        .peel_to_tree()
        .map_err(Error::git(format!("read the tree of `{revision}`")))?;
    let mut options = git2::DiffOptions::new();
    options.pathspec(format!("{INCIDENTS_DIR}/"));
    options.include_untracked(true).recurse_untracked_dirs(true);
    let diff = repo
        .git
        .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut options))
        .map_err(Error::git(format!(
            "compare `{revision}` with the work tree"
        )))?;
    let mut ids = BTreeSet::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(id) = file.path().and_then(incident_of_path) {
                ids.insert(id);
            }
        }
    }
    Ok(ids)
}

/// Returns the incident ID of a path `incidents/<ID>/...`.
fn incident_of_path(path: &Path) -> Option<String> {
    let mut components = path.components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(top)), Some(Component::Normal(id))) if top == INCIDENTS_DIR => {
            Some(id.to_string_lossy().into_owned())
        }
        _ => None,
    }
}

/// Rejects an output directory inside the work tree unless git ignores it, so that a batch
/// render leaves `git status` clean.
pub fn check_output_dir(repo: &CaseRepo, dir: &Path) -> Result<()> {
    let absolute = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(Error::io("read", "the current directory"))?
            .join(dir)
    };
    let absolute = normalize(&absolute);
    let root = repo
        .root
        .canonicalize()
        .unwrap_or_else(|_| repo.root.clone());
    let resolved = resolve_existing_prefix(&absolute);
    let Ok(relative) = resolved.strip_prefix(&root) else {
        return Ok(());
    };
    let ignored =
        !relative.as_os_str().is_empty() && repo.git.is_path_ignored(relative).unwrap_or(false);
    if ignored {
        return Ok(());
    }
    Err(Error::invalid_with_hint(
        format!(
            "output directory `{}` is inside the case repository and not ignored by git",
            dir.display()
        ),
        "pass a directory outside the repository, or add it to .gitignore",
    ))
}

/// Removes `.` and `..` components without touching the file system.
fn normalize(path: &Path) -> std::path::PathBuf {
    let mut normalized = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other),
        }
    }
    normalized
}

/// Canonicalizes the longest existing ancestor of `path` and appends the rest, so that
/// symbolic links in the existing part are followed.
fn resolve_existing_prefix(path: &Path) -> std::path::PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        match existing.file_name() {
            Some(name) => rest.push(name.to_os_string()),
            None => break,
        }
        if !existing.pop() {
            break;
        }
    }
    let mut resolved = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        resolved.push(name);
    }
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_of_path_reads_id() {
        let path = Path::new("incidents/IR-20260302-AB12/timeline/x.toml");
        assert_eq!(incident_of_path(path).as_deref(), Some("IR-20260302-AB12"));
        assert_eq!(incident_of_path(Path::new("casefile.toml")), None);
        assert_eq!(incident_of_path(Path::new("incidents")), None);
    }
}
