//! Checks that every path git tracks under `incidents/` can be checked out on Windows and
//! macOS: no reserved characters or device names, no two paths that differ only in case, no
//! symbolic links, and evidence that git never converts to other line endings.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::incident::INCIDENTS_DIR;
use crate::repo::line_endings::{self, EVIDENCE_ATTRIBUTE, GITATTRIBUTES_FILE};

use super::{symlink_finding, Finding};

/// The file mode git records for a symbolic link.
const SYMLINK_MODE: u32 = 0o120000;

/// Characters that Windows rejects in file names, besides control characters.
const RESERVED_CHARACTERS: &[char] = &['<', '>', ':', '"', '\\', '|', '?', '*'];

/// Device names that Windows reserves with any extension, compared case-insensitively.
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Checks the paths under `incidents/` in the git index at `index_path`, which lists what the
/// next commit contains. A missing index file counts as an empty index.
pub fn check_tracked_paths(index_path: &Path) -> Result<Vec<Finding>> {
    let index = git2::Index::open(index_path).map_err(Error::git("read the index"))?;
    let prefix = format!("{INCIDENTS_DIR}/");
    let mut findings = Vec::new();
    // Two paths that differ only in case first differ in one component below the same
    // parent, so each component is compared with its siblings only, and one collision is
    // reported where it starts. Two such components cannot both be lower-case ASCII. So a
    // lower-case component, such as a record's file name, is skipped. A component with
    // capitals is looked up in lower case, in the index and among its siblings seen so far.
    let mut by_folded: HashMap<String, String> = HashMap::new();
    // The index is sorted, so a directory shared with the previous path was checked already.
    let mut previous = String::new();
    for entry in index.iter() {
        let path = String::from_utf8_lossy(&entry.path);
        if !path.starts_with(&prefix) {
            continue;
        }
        // A checkout without symbolic links (Windows, `core.symlinks=false`) writes a link as
        // a file that contains its target, so the work tree alone does not show it.
        if entry.mode == SYMLINK_MODE {
            findings.push(symlink_finding(&path));
        }
        let mut end = 0;
        for component in path.split('/') {
            let start = end;
            end += component.len();
            let partial = &path[..end];
            end += 1;
            let known_dir = previous.len() > partial.len()
                && previous.starts_with(partial)
                && previous.as_bytes()[partial.len()] == b'/';
            if known_dir {
                continue;
            }
            if let Some(problem) = component_problem(component) {
                findings.push(incident_finding(
                    Finding::error(
                        "path-not-portable",
                        partial,
                        format!(
                            "`{component}` {problem}, so the path cannot be checked out on Windows"
                        ),
                    ),
                    partial,
                ));
            }
            let lower_case = component
                .bytes()
                .all(|byte| byte.is_ascii() && !byte.is_ascii_uppercase());
            if lower_case {
                continue;
            }
            let folded = format!("{}{}", &path[..start], component.to_lowercase());
            let other = match by_folded.get(&folded) {
                Some(existing) => Some(existing.clone()),
                None if tracked(&index, &folded) => Some(folded.clone()),
                None => None,
            };
            if let Some(other) = other.filter(|other| other != partial) {
                findings.push(case_collision(partial, &other));
            }
            by_folded
                .entry(folded)
                .or_insert_with(|| partial.to_string());
        }
        previous.clear();
        previous.push_str(&path);
    }
    Ok(findings)
}

/// Returns a warning when git treats evidence files as text, because a checkout with
/// `core.autocrlf=true` or `eol=crlf` then changes their line endings, and so their SHA-256.
/// `incident` names an incident directory to look the attribute up in, when there is one.
pub fn check_evidence_attribute(git: &git2::Repository, incident: Option<&str>) -> Option<Finding> {
    let fix = format!(
        "add the line `{EVIDENCE_ATTRIBUTE}` to {GITATTRIBUTES_FILE} (`casefile init` adds it)"
    );
    let message = match line_endings::text_evidence(git, incident) {
        Ok(None) => return None,
        Ok(Some(text)) => format!(
            "git may convert the line endings of evidence files, because the `text` \
             attribute of `{}` is {}, so a checkout with core.autocrlf=true can change their \
             bytes and their SHA-256; {fix}",
            text.path, text.text
        ),
        Err(error) => format!(
            "cannot read the git attributes of evidence files ({}); {fix}",
            error.message()
        ),
    };
    Some(Finding::warning(
        "evidence-attribute-missing",
        GITATTRIBUTES_FILE,
        message,
    ))
}

/// Returns whether the index has a file at `path` or a file below a directory `path`.
fn tracked(index: &git2::Index, path: &str) -> bool {
    index.get_path(Path::new(path), 0).is_some() || index.find_prefix(format!("{path}/")).is_ok()
}

fn case_collision(path: &str, other: &str) -> Finding {
    incident_finding(
        Finding::error(
            "path-case-collision",
            path,
            format!(
                "`{path}` and `{other}` differ only in case, so they are one path on Windows \
                 and macOS; rename one of them"
            ),
        ),
        path,
    )
}

fn incident_finding(finding: Finding, path: &str) -> Finding {
    match path.split('/').nth(1) {
        Some(name) => finding.in_incident(name),
        None => finding,
    }
}

/// Returns why one path component is not portable, if it is not.
pub fn component_problem(component: &str) -> Option<String> {
    if let Some(c) = component
        .chars()
        .find(|c| RESERVED_CHARACTERS.contains(c) || c.is_control())
    {
        return Some(format!("contains the reserved character {c:?}"));
    }
    if component.ends_with('.') || component.ends_with(' ') {
        return Some("ends with a dot or a space".into());
    }
    let stem = component.split('.').next().unwrap_or(component).trim_end();
    if RESERVED_NAMES
        .iter()
        .any(|name| name.eq_ignore_ascii_case(stem))
    {
        return Some(format!(
            "is the reserved device name {}",
            stem.to_uppercase()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_problem_finds_colon_and_devices() {
        assert!(component_problem("20260302-090000-abcdef.toml").is_none());
        assert!(component_problem("a:b").is_some());
        assert!(component_problem("con").is_some());
        assert!(component_problem("Aux.toml").is_some());
        assert!(component_problem("notes.md ").is_some());
        assert!(component_problem("console.md").is_none());
    }
}
