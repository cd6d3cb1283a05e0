//! Checks of the evidence batches that `ingest` writes. The metadata record names an index
//! beside the batch, and the index has one valid line per alert of the record's `alerts`
//! count. The lines' byte ranges lie inside the batch file and cover it in order, one alert
//! and its newline after another. Each range hashes to its line's SHA-256 when the line
//! lists one, and contains the alert of its line's id. The duplicate check of `ingest` reads
//! the index, so a wrong line makes an alert ingest again.

use std::io;

use sha2::{Digest, Sha256};

use crate::alert::alert_id;
use crate::incident::EvidenceRecord;
use crate::ingest::batch::IndexLine;

use super::records::{read_unless_symlink, RecordSite};
use super::Finding;

/// Checks the index of the batch that `record` describes. `batch` is the batch file's
/// content, or `None` when it could not be read (which is reported already).
pub fn check_batch(
    record: &EvidenceRecord,
    site: &RecordSite,
    batch: Option<&[u8]>,
    findings: &mut Vec<Finding>,
) {
    let batch_size = batch.map(|bytes| bytes.len() as u64);
    let Some(index) = read_index(record, site, findings) else {
        return;
    };
    let lines: Vec<&str> = index.text.lines().collect();
    check_count(record, site, &index, lines.len(), findings);

    let mut invalid = Vec::new();
    let mut outside = Vec::new();
    let mut misplaced = Vec::new();
    let mut mismatched = Vec::new();
    let mut wrong_ids = Vec::new();
    // Where the next alert starts: ingest writes each alert and a newline after the last.
    let mut expected_offset = Some(0u64);
    let listed_hash = |entry: &IndexLine| entry.sha256.as_deref().is_none_or(is_sha256);
    for (number, line) in (1..).zip(&lines) {
        let Some(entry) = IndexLine::parse(line).filter(listed_hash) else {
            invalid.push(number);
            expected_offset = None;
            continue;
        };
        let end = entry.offset.checked_add(entry.length);
        if let Some(size) = batch_size.filter(|size| end.is_none_or(|end| end > *size)) {
            outside.push((number, entry, size));
            expected_offset = None;
            continue;
        }
        if expected_offset.is_some_and(|expected| expected != entry.offset) {
            misplaced.push((number, entry.offset, expected_offset.unwrap_or_default()));
        }
        expected_offset = end.map(|end| end + 1);
        if let (Some(bytes), Some(end)) = (batch, end) {
            let range = &bytes[entry.offset as usize..end as usize];
            if let Some(listed) = &entry.sha256 {
                let digest = crate::report::hex(&Sha256::digest(range));
                if !digest.eq_ignore_ascii_case(listed) {
                    mismatched.push((number, digest, listed.clone()));
                }
            }
            if let Some(listed) = &entry.alert_id {
                let found = alert_id(range).ok().flatten();
                if found.as_deref() != Some(listed.as_str()) {
                    wrong_ids.push((number, listed.clone(), found));
                }
            }
        }
    }
    if let (Some(end), Some(size)) = (expected_offset, batch_size) {
        if end != size && !lines.is_empty() {
            let message = format!(
                "the index's last alert ends at byte {} of evidence/{}, which has {size} \
                 bytes, so lines for the rest were removed; {}",
                end - 1,
                record.file,
                index.restore
            );
            findings.push(index.finding("batch-index-misplaced", lines.len(), message, site));
        }
    }
    if let Some((first, offset, expected)) = misplaced.first() {
        let message = format!(
            "line {first} starts at byte {offset} of evidence/{}, but the alert before it \
             ends at byte {expected}, so lines were added, removed, reordered or edited{}; {}",
            record.file,
            more_lines(misplaced.len()),
            index.restore
        );
        findings.push(index.finding("batch-index-misplaced", *first, message, site));
    }
    if let Some((first, digest, listed)) = mismatched.first() {
        let message = format!(
            "line {first} lists SHA-256 {listed}, but its bytes of evidence/{} hash to \
             {digest}{}; {}",
            record.file,
            more_lines(mismatched.len()),
            index.restore
        );
        findings.push(index.finding("batch-alert-hash-mismatch", *first, message, site));
    }
    if let Some((first, listed, found)) = wrong_ids.first() {
        let contents = match found {
            Some(found) => format!("the alert with id {found}"),
            None => "no alert id".to_string(),
        };
        let message = format!(
            "line {first} lists alert id {listed}, but its bytes of evidence/{} \
             contain {contents}{}; {}",
            record.file,
            more_lines(wrong_ids.len()),
            index.restore
        );
        findings.push(index.finding("batch-alert-id-mismatch", *first, message, site));
    }
    if let Some(&first) = invalid.first() {
        let message = format!(
            "line {first} is not an index line of six tab-separated fields (SHA-256, or `-` \
             for an alert with an id, byte offset, byte length, alert id, rule id, alert \
             time){}; {}",
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
