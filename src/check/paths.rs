//! Checks that every path git tracks under `incidents/` can be checked out on Windows and
//! macOS: no reserved characters or device names, and no two paths that differ only in case.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::incident::INCIDENTS_DIR;

use super::Finding;

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
    let mut by_folded: HashMap<String, String> = HashMap::new();
    // The index is sorted, so a directory shared with the previous path was checked already.
    let mut previous = String::new();
    for entry in index.iter() {
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        if !path.starts_with(&prefix) {
            continue;
        }
        let mut end = 0;
        for component in path.split('/') {
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
            // Directories collide as well as files, so every prefix of the path is compared.
            let folded = partial.to_lowercase();
            match by_folded.get(&folded) {
                Some(existing) if existing != partial => {
                    findings.push(incident_finding(
                        Finding::error(
                            "path-case-collision",
                            partial,
                            format!(
                                "`{partial}` and `{existing}` differ only in case, so they are \
                                 one path on Windows and macOS; rename one of them"
                            ),
                        ),
                        partial,
                    ));
                }
                Some(_) => {}
                None => {
                    by_folded.insert(folded, partial.to_string());
                }
            }
        }
        previous = path;
    }
    Ok(findings)
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
