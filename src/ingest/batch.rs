//! Evidence batches: the alerts that one `ingest` run adds to one incident, stored byte for
//! byte in `evidence/alerts-<record id>.json` (alerts separated by a newline) with an index
//! `evidence/alerts-<record id>.index` of one tab-separated line per alert:
//! SHA-256, byte offset, byte length, alert id, rule id, alert time (RFC 3339).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::clock::format_time;
use crate::error::{Error, Result};

/// Lower-case hexadecimal digits, indexed by value.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Bytes buffered per batch before they are appended to its file.
const FLUSH_BYTES: usize = 256 << 10;

/// One parsed index line.
pub struct IndexLine {
    pub sha256: String,
    pub offset: u64,
    pub length: u64,
    pub alert_id: Option<String>,
    pub rule_id: String,
    pub alert_time: String,
}

impl IndexLine {
    pub fn parse(line: &str) -> Option<IndexLine> {
        let mut fields = line.split('\t');
        let sha256 = fields.next()?.to_string();
        let offset = fields.next()?.parse().ok()?;
        let length = fields.next()?.parse().ok()?;
        let alert_id = Some(unescape(fields.next()?)).filter(|id| !id.is_empty());
        let rule_id = unescape(fields.next()?);
        let alert_time = fields.next()?.to_string();
        Some(IndexLine {
            sha256,
            offset,
            length,
            alert_id,
            rule_id,
            alert_time,
        })
    }
}

/// Appends `text` to `output`, escaping tab, newline, carriage return and backslash, which
/// alert ids could contain.
fn push_escaped(output: &mut Vec<u8>, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'\\' => output.extend_from_slice(b"\\\\"),
            b'\t' => output.extend_from_slice(b"\\t"),
            b'\n' => output.extend_from_slice(b"\\n"),
            b'\r' => output.extend_from_slice(b"\\r"),
            other => output.push(other),
        }
    }
}

fn unescape(text: &str) -> String {
    let mut output = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            output.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => output.push('\t'),
            Some('n') => output.push('\n'),
            Some('r') => output.push('\r'),
            Some(other) => output.push(other),
            None => output.push('\\'),
        }
    }
    output
}

/// A batch being written: the data file and its index, both appended as alerts arrive.
pub struct BatchWriter {
    pub data_path: PathBuf,
    pub index_path: PathBuf,
    data: Vec<u8>,
    index: Vec<u8>,
    written: u64,
    pub alerts: u64,
    created: bool,
}

impl BatchWriter {
    /// Prepares a batch at `data_path` (absolute) and its index beside it; nothing is
    /// created on disk until the first flush.
    pub fn new(data_path: PathBuf) -> Self {
        let index_path = data_path.with_extension("index");
        BatchWriter {
            data_path,
            index_path,
            data: Vec::new(),
            index: Vec::new(),
            written: 0,
            alerts: 0,
            created: false,
        }
    }

    /// Appends one alert's bytes and its index line.
    pub fn push(
        &mut self,
        bytes: &[u8],
        sha256: &[u8; 32],
        alert_id: Option<&str>,
        rule_id: &str,
        alert_time: DateTime<Utc>,
    ) -> Result<()> {
        let offset = self.written + self.data.len() as u64;
        self.data.extend_from_slice(bytes);
        self.data.push(b'\n');
        // Written field by field: this runs once per alert, and `format!` with escaped
        // copies allocated six strings a line.
        let index = &mut self.index;
        for byte in sha256 {
            index.push(HEX_DIGITS[usize::from(byte >> 4)]);
            index.push(HEX_DIGITS[usize::from(byte & 0xf)]);
        }
        let _ = write!(index, "\t{offset}\t{}\t", bytes.len());
        push_escaped(index, alert_id.unwrap_or(""));
        index.push(b'\t');
        push_escaped(index, rule_id);
        index.push(b'\t');
        index.extend_from_slice(format_time(alert_time).as_bytes());
        index.push(b'\n');
        self.alerts += 1;
        if self.data.len() >= FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Returns the bytes buffered in memory.
    pub fn buffered(&self) -> usize {
        self.data.len() + self.index.len()
    }

    /// Appends the buffered bytes to the files.
    pub fn flush(&mut self) -> Result<()> {
        if self.data.is_empty() && self.index.is_empty() && self.created {
            return Ok(());
        }
        if !self.created {
            if let Some(parent) = self.data_path.parent() {
                std::fs::create_dir_all(parent).map_err(Error::io("create directory", parent))?;
            }
        }
        append(&self.data_path, &self.data, !self.created)?;
        append(&self.index_path, &self.index, !self.created)?;
        self.created = true;
        self.written += self.data.len() as u64;
        // The buffers are released rather than cleared: a run has one batch per incident, and
        // each would otherwise keep up to twice FLUSH_BYTES of capacity until the commit.
        self.data = Vec::new();
        self.index = Vec::new();
        Ok(())
    }

    /// Removes the files written so far, after a failed run.
    pub fn discard(&self) {
        if self.created {
            let _ = std::fs::remove_file(&self.data_path);
            let _ = std::fs::remove_file(&self.index_path);
        }
    }

    pub fn size(&self) -> u64 {
        self.written + self.data.len() as u64
    }
}

fn append(path: &Path, bytes: &[u8], create_new: bool) -> Result<()> {
    let mut options = OpenOptions::new();
    if create_new {
        options.write(true).create_new(true);
    } else {
        options.append(true);
    }
    let mut file: File = options.open(path).map_err(Error::io("open", path))?;
    file.write_all(bytes).map_err(Error::io("write", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_line_round_trips_escaped_id() {
        let mut batch = BatchWriter::new(PathBuf::from("alerts.json"));
        let time = "2024-01-01T00:00:00Z".parse().unwrap();
        batch.push(b"{}", &[0xab; 32], None, "5710", time).unwrap();
        batch
            .push(b"{\"a\":1}", &[0xab; 32], Some("a\tb\\"), "5710", time)
            .unwrap();
        let text = String::from_utf8(batch.index.clone()).unwrap();
        let second = text.lines().nth(1).unwrap();
        let parsed = IndexLine::parse(second).unwrap();
        assert_eq!(parsed.sha256, "ab".repeat(32));
        assert_eq!(parsed.alert_id.as_deref(), Some("a\tb\\"));
        assert_eq!(parsed.offset, 3);
        assert_eq!(parsed.length, 7);
        assert_eq!(parsed.rule_id, "5710");
        assert_eq!(parsed.alert_time, "2024-01-01T00:00:00Z");
    }
}
