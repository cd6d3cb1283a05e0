//! Line endings: which files a commit stores with LF under `core.autocrlf`, and the git
//! attribute that keeps evidence byte for byte in every checkout.
//!
//! Evidence is hashed when it is stored, and `check` compares that SHA-256 with the file in the
//! work tree. Git converts the line endings of a text file on commit (`core.autocrlf=true` or
//! `input`) and on checkout (`core.autocrlf=true`, `eol=crlf`), so evidence must be neither
//! converted by casefile nor treated as text by git.

use std::borrow::Cow;
use std::path::Path;

use git2::{AttrCheckFlags, AttrValue, Repository};

use crate::incident::{EVIDENCE_DIR, INCIDENTS_DIR};

/// The attributes file that `casefile init` writes or extends, at the repository root.
pub const GITATTRIBUTES_FILE: &str = ".gitattributes";

/// The `.gitattributes` line that turns off line-ending conversion for every evidence file.
pub const EVIDENCE_ATTRIBUTE: &str = "incidents/*/evidence/** -text";

/// The lines `casefile init` adds to `.gitattributes`: the reason, then [`EVIDENCE_ATTRIBUTE`].
pub const EVIDENCE_ATTRIBUTE_BLOCK: &str = "\
# Evidence is stored byte for byte and its SHA-256 is recorded, so git must never convert its
# line endings (core.autocrlf, eol). `-text` turns conversion off and still shows changes to
# evidence in diffs; `binary` would also turn those diffs off.
incidents/*/evidence/** -text
";

/// Returns whether git stores text files with LF line endings in this repository (`core.autocrlf` is
/// `true` or `input`), as a Windows checkout usually has it.
pub(super) fn converts_line_endings(repo: &Repository) -> bool {
    let Ok(config) = repo.config() else {
        return false;
    };
    match config.get_string("core.autocrlf") {
        Ok(value) => matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "input" | "yes" | "on" | "1"
        ),
        Err(_) => false,
    }
}

/// Returns whether a commit under `core.autocrlf` stores the file at `relative` with LF line
/// endings: only the TOML and Markdown files that analysts edit, and never a file below an
/// `evidence/` directory, whose bytes must match their recorded SHA-256.
pub(super) fn stores_with_lf(relative: &Path) -> bool {
    let in_evidence = relative.parent().is_some_and(|dir| {
        dir.components()
            .any(|part| part.as_os_str() == EVIDENCE_DIR)
    });
    let edited = relative
        .extension()
        .is_some_and(|extension| extension == "toml" || extension == "md");
    edited && !in_evidence
}

/// Returns text with CRLF turned into LF, as git's `core.autocrlf` stores it. Content with a
/// NUL byte is binary to git and stays as it is.
pub(super) fn to_lf(content: &[u8]) -> Cow<'_, [u8]> {
    let has_crlf = content.windows(2).any(|pair| pair == b"\r\n");
    if !has_crlf || content.contains(&0) {
        return content.into();
    }
    let mut output = Vec::with_capacity(content.len());
    let mut bytes = content.iter().peekable();
    while let Some(&byte) = bytes.next() {
        if byte == b'\r' && bytes.peek() == Some(&&b'\n') {
            continue;
        }
        output.push(byte);
    }
    output.into()
}

/// An evidence path that git treats as text, so a checkout may change its line endings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEvidence {
    /// The path probed, relative to the repository root.
    pub path: String,
    /// The `text` attribute of the path as git resolves it: `set`, `unspecified` or the value.
    pub text: String,
}

/// Looks up git's `text` attribute for each kind of evidence file that casefile writes: a
/// single alert, a batch and its index. The paths are in the incident directory `incident`, or
/// in a sample one. Returns the first path that git would treat as text, where `-text` and
/// `binary` both unset the attribute.
///
/// The `.gitattributes` files are read from the index, which is what the next commit and so
/// every clone contains. libgit2 would merge the work tree's and the index's copies of a file
/// otherwise, so a line removed but not staged would still count.
///
/// NOTE: only these sample paths are looked up, not every evidence file, so an attribute
/// pattern that covers some incident directories or file names but not others goes unnoticed.
pub fn text_evidence(
    git: &Repository,
    incident: Option<&str>,
) -> std::result::Result<Option<TextEvidence>, git2::Error> {
    const SAMPLES: [&str; 3] = [
        "alert-0000000000000000.json",
        "alerts-20260101-000000-000000.json",
        "alerts-20260101-000000-000000.index",
    ];
    let incident = incident.unwrap_or("IR-20260101-AAAA");
    for sample in SAMPLES {
        let path = format!("{INCIDENTS_DIR}/{incident}/{EVIDENCE_DIR}/{sample}");
        let value = git.get_attr(Path::new(&path), "text", AttrCheckFlags::INDEX_ONLY)?;
        let text = match AttrValue::from_string(value) {
            AttrValue::False => continue,
            AttrValue::True => "set".to_string(),
            AttrValue::Unspecified => "unspecified".to_string(),
            AttrValue::String(value) => format!("`{value}`"),
            AttrValue::Bytes(value) => format!("`{}`", String::from_utf8_lossy(value)),
        };
        return Ok(Some(TextEvidence { path, text }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_with_lf_only_edited_files_outside_evidence() {
        assert!(stores_with_lf(Path::new("incidents/IR-1/incident.toml")));
        assert!(stores_with_lf(Path::new("incidents/IR-1/notes.md")));
        assert!(stores_with_lf(Path::new("casefile.toml")));
        assert!(!stores_with_lf(Path::new(
            "incidents/IR-1/evidence/alert-1.json"
        )));
        assert!(!stores_with_lf(Path::new(
            "incidents/IR-1/evidence/alert-1.toml"
        )));
        assert!(!stores_with_lf(Path::new(
            "incidents/IR-1/enrichment/vt-1.json"
        )));
        assert!(stores_with_lf(Path::new("incidents/IR-1/evidence.md")));
    }

    #[test]
    fn to_lf_keeps_binary_and_lone_cr() {
        assert_eq!(to_lf(b"a\r\nb\r\n").as_ref(), b"a\nb\n");
        assert_eq!(to_lf(b"a\rb\n").as_ref(), b"a\rb\n");
        assert_eq!(to_lf(b"a\r\n\0").as_ref(), b"a\r\n\0");
    }
}
