//! Checks of the evidence batches that `ingest` writes: the metadata record names an index
//! beside the batch, the index has one valid line per alert of the record's `alerts` count,
//! and every line's byte range lies inside the batch file.

use std::io;

use crate::incident::EvidenceRecord;
use crate::ingest::batch::IndexLine;

use super::records::{read_unless_symlink, RecordSite};
use super::Finding;

/// Checks the index of the batch that `record` describes. `batch_size` is the length of the
/// batch file in bytes, or `None` when it could not be read (which is reported already).
pub fn check_batch(
    record: &EvidenceRecord,
    site: &RecordSite,
    batch_size: Option<u64>,
    findings: &mut Vec<Finding>,
) {
    let Some(index) = read_index(record, site, findings) else {
        return;
    };
    let lines: Vec<&str> = index.text.lines().collect();
    check_count(record, site, &index, lines.len(), findings);

    let mut invalid = Vec::new();
    let mut outside = Vec::new();
    for (number, line) in (1..).zip(&lines) {
        let Some(entry) = IndexLine::parse(line).filter(|entry| is_sha256(&entry.sha256)) else {
            invalid.push(number);
            continue;
        };
        let end = entry.offset.checked_add(entry.length);
        if let Some(size) = batch_size.filter(|size| end.is_none_or(|end| end > *size)) {
            outside.push((number, entry, size));
        }
    }
    if let Some(&first) = invalid.first() {
        let message = format!(
            "line {first} is not an index line of six tab-separated fields (SHA-256, byte \
             offset, byte length, alert id, rule id, alert time){}; {}",
            more_lines(invalid.len()),
            index.restore
        );
        findings.push(index.finding("batch-index-invalid", first, message, site));
    }
    if let Some((first, entry, size)) = outside.first() {
        let message = format!(
            "line {first} points at bytes {}..{} of evidence/{}, which has only {size} \
             bytes{}; {}",
            entry.offset,
            u128::from(entry.offset) + u128::from(entry.length),
            record.file,
            more_lines(outside.len()),
            index.restore
        );
        findings.push(index.finding("batch-index-out-of-range", *first, message, site));
    }
}

/// A batch index as read: its name inside evidence/, its path as findings show it, its text,
/// and the hint for restoring it.
struct Index {
    name: String,
    path: String,
    text: String,
    restore: String,
}

impl Index {
    fn finding(
        &self,
        code: &'static str,
        line: usize,
        message: String,
        site: &RecordSite,
    ) -> Finding {
        Finding::error(code, &self.path, message)
            .at_line(Some(line))
            .in_incident(site.incident)
    }
}

/// Reads the index that `record` names, or reports why there is none to read. A symbolic
/// link is not read, because it is reported where the evidence directory is read.
fn read_index(
    record: &EvidenceRecord,
    site: &RecordSite,
    findings: &mut Vec<Finding>,
) -> Option<Index> {
    let Some(name) = &record.index else {
        let stem = record.file.strip_suffix(".json").unwrap_or(&record.file);
        findings.push(site.error(
            "batch-index-missing",
            "alerts",
            format!(
                "the batch record of evidence/{} has `alerts` but no `index`; add \
                 `index = \"{stem}.index\"`, the name ingest gives the index of this batch",
                record.file
            ),
        ));
        return None;
    };
    if !super::records::is_file_name(name) {
        findings.push(site.error(
            "batch-index-missing",
            "index",
            format!("`index` is `{name}`, not a file name inside evidence/"),
        ));
        return None;
    }
    let path = sibling(site.file, name);
    let restore = format!(
        "restore it from the commit that added the batch, which \
         `git log --diff-filter=A -- {path}` shows"
    );
    let text = match read_unless_symlink(&site.path.with_file_name(name)) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(None) => return None,
        Err(error) => {
            let problem = if error.kind() == io::ErrorKind::NotFound {
                "is missing".to_string()
            } else {
                format!("cannot be read ({error})")
            };
            findings.push(site.error(
                "batch-index-missing",
                "index",
                format!(
                    "batch index evidence/{name} {problem}, and `casefile ingest` fails \
                     until it is back; {restore}"
                ),
            ));
            return None;
        }
    };
    Some(Index {
        name: name.clone(),
        path,
        text,
        restore,
    })
}

/// Reports an index whose number of lines differs from the record's `alerts`.
fn check_count(
    record: &EvidenceRecord,
    site: &RecordSite,
    index: &Index,
    lines: usize,
    findings: &mut Vec<Finding>,
) {
    let name = &index.name;
    let message = match record.alerts {
        Some(alerts) if alerts == lines as u64 => return,
        Some(alerts) => format!(
            "batch index evidence/{name} has {lines} line(s), but the record's `alerts` is \
             {alerts}, so lines were added to or removed from the index; {}",
            index.restore
        ),
        None => format!(
            "the batch record has an `index` but no `alerts`; set `alerts = {lines}`, the \
             number of lines of evidence/{name}"
        ),
    };
    let key = if record.alerts.is_some() {
        "alerts"
    } else {
        "index"
    };
    findings.push(site.error("batch-count-mismatch", key, message));
}

/// Returns the path of the file `name` in the directory of the path `file`, as findings show it.
fn sibling(file: &str, name: &str) -> String {
    match file.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name.to_string(),
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Returns how many more lines share a problem, after the first one that a finding names.
fn more_lines(count: usize) -> String {
    match count {
        0 | 1 => String::new(),
        2 => " (and 1 more line)".to_string(),
        count => format!(" (and {} more lines)", count - 1),
    }
}
