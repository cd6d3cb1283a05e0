//! Reading an incident directory for `check`: each file is read once, and a file that does not
//! parse becomes a finding with its line instead of ending the run.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::incident::id::is_record_id;
use crate::incident::{
    ActionRecord, EvidenceRecord, Followup, Incident, IncidentFile, IocRecord, Recommendation,
    TimelineEntry, ACTIONS_DIR, ENRICHMENT_DIR, EVIDENCE_DIR, FOLLOWUPS_DIR, INCIDENTS_DIR,
    INCIDENT_FILE, IOCS_DIR, NOTES_FILE, RECOMMENDATIONS_DIR, TIMELINE_DIR,
};
use crate::report::{LESSONS_FILE, REPORT_FILE};

use super::records::{self, RecordSite};
use super::{incident_path, symlink_finding, Finding};

/// One incident directory after reading: the incident when `incident.toml` parsed, the
/// rendered documents present, and the findings made while reading.
pub struct Checked {
    pub incident: Option<Incident>,
    /// File names of the rendered Markdown documents in the directory.
    pub documents: Vec<&'static str>,
    pub findings: Vec<Finding>,
}

/// The entries of `incidents/` for `check`: the names of the incident directories, and a
/// finding for each entry that is not a directory. Hidden entries, such as `.gitkeep`, are
/// skipped, as every command skips them.
pub struct IncidentDirs {
    pub names: Vec<String>,
    pub findings: Vec<Finding>,
}

/// Lists `incidents/` without following symbolic links; a missing `incidents/` has no entries.
pub fn incident_dirs(root: &Path) -> Result<IncidentDirs> {
    let mut listed = IncidentDirs {
        names: Vec::new(),
        findings: Vec::new(),
    };
    let dir = root.join(INCIDENTS_DIR);
    match fs::symlink_metadata(&dir) {
        Ok(metadata) if metadata.is_symlink() => {
            listed.findings.push(symlink_finding(INCIDENTS_DIR));
            return Ok(listed);
        }
        Ok(metadata) if !metadata.is_dir() => {
            listed.findings.push(Finding::error(
                "incident-not-directory",
                INCIDENTS_DIR,
                format!(
                    "`{INCIDENTS_DIR}` is not a directory, so no incident is checked; rename \
                     the file and restore {INCIDENTS_DIR}/ from git"
                ),
            ));
            return Ok(listed);
        }
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(listed),
        Err(source) => {
            return Err(Error::Io {
                action: "read",
                path: dir,
                source,
            })
        }
    }
    let entries = fs::read_dir(&dir).map_err(Error::io("read directory", &dir))?;
    for entry in entries {
        let entry = entry.map_err(Error::io("read directory", &dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(Error::io("read", entry.path()))?;
        let shown = format!("{INCIDENTS_DIR}/{name}");
        if kind.is_dir() {
            listed.names.push(name);
        } else if kind.is_symlink() {
            listed.findings.push(symlink_finding(&shown));
        } else {
            listed.findings.push(not_directory_finding(&shown, &name));
        }
    }
    listed.names.sort();
    Ok(listed)
}

/// Returns the finding for an entry `incidents/<name>` that is not a directory.
fn not_directory_finding(shown: &str, name: &str) -> Finding {
    Finding::error(
        "incident-not-directory",
        shown,
        format!(
            "`{shown}` is not a directory, but {INCIDENTS_DIR}/ contains one directory per \
             incident; move the file out of {INCIDENTS_DIR}/, or restore the incident \
             directory from git"
        ),
    )
    .in_incident(name)
}

/// Reads every file of the incident in `incidents/<name>` and checks each record on the way.
pub fn load_incident(root: &Path, name: &str) -> Checked {
    let relative = Path::new(INCIDENTS_DIR).join(name);
    let absolute = root.join(&relative);
    let listing = Listing::read(&absolute);
    let mut findings = Vec::new();
    for link in &listing.links {
        findings.push(symlink_finding(&incident_path(name, link)));
    }
    for kind in RECORD_DIRS {
        if listing.has_file(kind) {
            findings.push(
                Finding::error(
                    "record-dir-not-directory",
                    incident_path(name, kind),
                    format!(
                        "`{}` is a file, but casefile reads the {kind} records from a directory \
                         of that name, so none of them is checked; move the file away and \
                         restore the directory from git",
                        incident_path(name, kind)
                    ),
                )
                .in_incident(name),
            );
        }
    }
    let file_path = incident_path(name, INCIDENT_FILE);
    if listing.has_link(INCIDENT_FILE) {
        return Checked {
            incident: None,
            documents: Vec::new(),
            findings,
        };
    }
    if !listing.has_file(INCIDENT_FILE) {
        findings.push(Finding::error(
            "incident-file-missing",
            format!("{INCIDENTS_DIR}/{name}"),
            format!(
                "directory {INCIDENTS_DIR}/{name} has no {INCIDENT_FILE}; add one or move the \
                 directory out of {INCIDENTS_DIR}/"
            ),
        ));
        return Checked {
            incident: None,
            documents: Vec::new(),
            findings,
        };
    }
    let parsed = read_toml::<IncidentFile>(&absolute.join(INCIDENT_FILE), &file_path, name)
        .map_err(|finding| findings.push(finding))
        .ok();

    let mut reader = RecordReader {
        absolute: &absolute,
        listing: &listing,
        name,
        findings: &mut findings,
    };
    let timeline = reader.read(TIMELINE_DIR, true, records::check_timeline);
    let ioc_records = reader.read(IOCS_DIR, true, records::check_ioc);
    let action_records = reader.read(ACTIONS_DIR, true, records::check_action);
    let followups = reader.read(FOLLOWUPS_DIR, true, records::check_followup);
    let recommendations = reader.read(RECOMMENDATIONS_DIR, true, records::check_recommendation);
    let evidence = reader.read(EVIDENCE_DIR, false, records::check_evidence);
    let enrichment = reader.read(ENRICHMENT_DIR, false, records::check_enrichment);

    let documents = [REPORT_FILE, LESSONS_FILE]
        .into_iter()
        .filter(|file| listing.has_file(file))
        .collect();
    let mut notes = None;
    if listing.has_file(NOTES_FILE) {
        match read_text(&absolute.join(NOTES_FILE)) {
            Ok(text) => notes = Some(text),
            Err(error) => findings.push(
                Finding::error(
                    "file-unreadable",
                    incident_path(name, NOTES_FILE),
                    format!("cannot read the file: {error}"),
                )
                .in_incident(name),
            ),
        }
    }
    let incident = parsed.map(|(file, text)| {
        let mut incident = Incident {
            dir: relative.clone(),
            file,
            text,
            timeline,
            ioc_records,
            action_records,
            followups,
            recommendations,
            evidence,
            enrichment,
            notes,
        };
        incident.sort_timeline();
        incident
    });
    Checked {
        incident,
        documents,
        findings,
    }
}

/// The record directories of an incident.
const RECORD_DIRS: [&str; 7] = [
    TIMELINE_DIR,
    IOCS_DIR,
    ACTIONS_DIR,
    FOLLOWUPS_DIR,
    RECOMMENDATIONS_DIR,
    EVIDENCE_DIR,
    ENRICHMENT_DIR,
];

/// The entries of one directory, read once so that each later question about a file or
/// subdirectory costs no system call.
///
/// In a repository of 10,000 incidents, looking up each optional file and record directory
/// by name cost about 70,000 of a check's one million system calls (`strace -c`).
struct Listing {
    /// Names of regular files, sorted.
    files: Vec<String>,
    /// Names of directories, sorted.
    dirs: Vec<String>,
    /// Names of symbolic links, sorted. They are not followed, because a link could point
    /// outside the repository, so a link to a file is in neither `files` nor `dirs`.
    links: Vec<String>,
}

impl Listing {
    /// Reads the entries of `dir`. A directory that cannot be read has no entries.
    fn read(dir: &Path) -> Listing {
        let mut listing = Listing {
            files: Vec::new(),
            dirs: Vec::new(),
            links: Vec::new(),
        };
        let Ok(entries) = fs::read_dir(dir) else {
            return listing;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if kind.is_symlink() {
                listing.links.push(name);
            } else if kind.is_file() {
                listing.files.push(name);
            } else if kind.is_dir() {
                listing.dirs.push(name);
            }
        }
        listing.files.sort();
        listing.dirs.sort();
        listing.links.sort();
        listing
    }

    fn has_link(&self, name: &str) -> bool {
        self.links
            .binary_search_by(|link| link.as_str().cmp(name))
            .is_ok()
    }

    fn has_file(&self, name: &str) -> bool {
        self.files
            .binary_search_by(|file| file.as_str().cmp(name))
            .is_ok()
    }

    fn has_dir(&self, name: &str) -> bool {
        self.dirs
            .binary_search_by(|dir| dir.as_str().cmp(name))
            .is_ok()
    }
}

/// Reads a whole file as UTF-8 text.
///
/// `fs::read_to_string` queries the file's size first with one `statx` call. Reading through
/// `Take` into a buffer sized for a typical record skips that call, which adds up over the
/// 100,000 small files of a large repository.
fn read_text(path: &Path) -> io::Result<String> {
    let file = File::open(path)?;
    let mut bytes = Vec::with_capacity(2048);
    (&file).take(u64::MAX).read_to_end(&mut bytes)?;
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// Reads the records of one kind of an incident.
struct RecordReader<'a> {
    absolute: &'a Path,
    listing: &'a Listing,
    name: &'a str,
    findings: &'a mut Vec<Finding>,
}

impl RecordReader<'_> {
    /// Reads every `*.toml` file of `kind`, in file-name order, and passes each record to
    /// `check`. With `record_names`, file names must be record IDs and other files are noted.
    fn read<T: DeserializeOwned + HasId>(
        &mut self,
        kind: &str,
        record_names: bool,
        check: fn(&T, &RecordSite, &mut Vec<Finding>),
    ) -> Vec<T> {
        if !self.listing.has_dir(kind) {
            return Vec::new();
        }
        let dir = self.absolute.join(kind);
        let Ok(entries) = fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut file_names = Vec::new();
        for entry in entries.filter_map(|entry| entry.ok()) {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().is_ok_and(|kind| kind.is_symlink()) {
                let shown = incident_path(self.name, &format!("{kind}/{file_name}"));
                self.findings.push(symlink_finding(&shown));
            } else {
                file_names.push(file_name);
            }
        }
        file_names.sort();
        let mut records = Vec::with_capacity(file_names.len());
        for file_name in file_names {
            let path = dir.join(&file_name);
            let shown = incident_path(self.name, &format!("{kind}/{file_name}"));
            let Some(stem) = file_name.strip_suffix(".toml") else {
                if record_names {
                    self.findings.push(
                        Finding::warning(
                            "stray-file",
                            shown,
                            format!(
                                "{kind}/ holds only `.toml` records, so casefile ignores this file"
                            ),
                        )
                        .in_incident(self.name),
                    );
                }
                continue;
            };
            if record_names && !is_record_id(stem) {
                self.findings.push(
                    Finding::warning(
                        "record-id-invalid",
                        shown.clone(),
                        format!(
                            "record file name `{stem}` is not a record ID of the form \
                             YYYYMMDD-HHMMSS-xxxxxx (lower case), so its order is undefined"
                        ),
                    )
                    .in_incident(self.name),
                );
            }
            match read_toml::<T>(&path, &shown, self.name) {
                Ok((mut record, text)) => {
                    record.set_id(stem.to_string());
                    let site = RecordSite {
                        file: &shown,
                        text: &text,
                        incident: self.name,
                        path: &path,
                    };
                    check(&record, &site, self.findings);
                    records.push(record);
                }
                Err(finding) => self.findings.push(finding),
            }
        }
        records
    }
}

/// Reads and parses one TOML file, turning a failure into a finding with the line.
fn read_toml<T: DeserializeOwned>(
    path: &Path,
    shown: &str,
    incident: &str,
) -> std::result::Result<(T, String), Finding> {
    let text = read_text(path).map_err(|error| {
        Finding::error(
            "file-unreadable",
            shown,
            format!("cannot read the file: {error}"),
        )
        .in_incident(incident)
    })?;
    match toml::from_str::<T>(&text) {
        Ok(value) => Ok((value, text)),
        Err(error) => {
            let code = if text.parse::<toml::Table>().is_err() {
                "toml-syntax"
            } else {
                "schema-invalid"
            };
            let message = error.message().trim().to_string();
            Err(Finding::error(code, shown, message)
                .at_line(toml_error_line(&text, &error))
                .in_incident(incident))
        }
    }
}

/// Returns the 1-based line that a TOML parse error points at.
pub fn toml_error_line(text: &str, error: &toml::de::Error) -> Option<usize> {
    error.span().map(|span| offset_line(text, span.start))
}

/// Returns the 1-based line of a byte offset.
pub fn offset_line(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Returns the 1-based line on which `key = ...` is first set.
pub fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|index| index + 1)
}

/// Returns the 1-based line of the header of the `n`th (0-based) `[[name]]` table.
pub fn table_line(text: &str, name: &str, n: usize) -> Option<usize> {
    let header = format!("[[{name}]]");
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == header)
        .nth(n)
        .map(|(index, _)| index + 1)
}

/// Records whose ID is their file name.
pub trait HasId {
    fn set_id(&mut self, id: String);
}

macro_rules! has_id {
    ($($record:ty),*) => {
        $(impl HasId for $record {
            fn set_id(&mut self, id: String) {
                self.id = id;
            }
        })*
    };
}

has_id!(
    TimelineEntry,
    IocRecord,
    ActionRecord,
    Followup,
    Recommendation,
    EvidenceRecord,
    crate::enrich::EnrichmentRecord
);
