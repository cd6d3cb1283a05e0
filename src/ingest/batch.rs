//! Evidence batches: the alerts that one `ingest` run adds to one incident, stored byte for
//! byte in `evidence/alerts-<record id>.json` (alerts separated by a newline) with an index
//! `evidence/alerts-<record id>.index` of one tab-separated line per alert:
//! SHA-256, byte offset, byte length, alert id, rule id, alert time (RFC 3339).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

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
        files: &mut BatchFiles,
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
            self.flush(files)?;
        }
        Ok(())
    }

    /// Returns the bytes buffered in memory.
    pub fn buffered(&self) -> usize {
        self.data.len() + self.index.len()
    }

    /// Hands the buffered bytes to `files`, which appends them to the batch's files.
    pub fn flush(&mut self, files: &mut BatchFiles) -> Result<()> {
        if self.data.is_empty() && self.index.is_empty() && self.created {
            return Ok(());
        }
        // The buffers are handed over, not copied. Each incident of a run has a batch, and
        // keeping their capacity would hold up to twice FLUSH_BYTES each until the commit.
        self.written += self.data.len() as u64;
        files.send(Job::Append(Append {
            data_path: self.data_path.clone(),
            index_path: self.index_path.clone(),
            data: std::mem::take(&mut self.data),
            index: std::mem::take(&mut self.index),
            create: !self.created,
        }))?;
        self.created = true;
        Ok(())
    }

    /// Removes the files written so far, after a failed run whose [`BatchFiles`] has
    /// stopped.
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

/// One piece of work for the writer thread.
enum Job {
    Append(Append),
    /// A new file of a new incident, created with its directories.
    Create {
        path: PathBuf,
        content: Vec<u8>,
    },
}

/// Bytes appended to one batch's files, in the order they were buffered.
struct Append {
    data_path: PathBuf,
    index_path: PathBuf,
    data: Vec<u8>,
    index: Vec<u8>,
    /// Whether the files are new: they are created, and must not exist yet.
    create: bool,
}

/// The SHA-256 of each batch's data file, by path.
pub type BatchHashes = HashMap<PathBuf, [u8; 32]>;

/// Jobs waiting for the writer thread.
const JOBS_QUEUED: usize = 16;

/// The thread that writes an ingest's files while alerts are grouped: it creates the files of
/// each new incident, appends every batch's buffers to its files, and hashes each batch's
/// data on the way. The thread grouping alerts waits only when [`JOBS_QUEUED`] jobs are
/// pending, not on each file creation, which cost 0.1 to 0.5 ms on the benches/ingest machine.
pub struct BatchFiles {
    sender: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<Result<BatchHashes>>>,
}

impl BatchFiles {
    /// Starts the writer thread.
    pub fn start() -> BatchFiles {
        let (sender, receiver) = sync_channel::<Job>(JOBS_QUEUED);
        let thread = std::thread::spawn(move || {
            let mut hashes: HashMap<PathBuf, Sha256> = HashMap::new();
            for job in receiver {
                let job = match job {
                    Job::Append(job) => job,
                    Job::Create { path, content } => {
                        create(&path, &content)?;
                        continue;
                    }
                };
                if job.create {
                    if let Some(parent) = job.data_path.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(Error::io("create directory", parent))?;
                    }
                }
                append(&job.data_path, &job.data, job.create)?;
                append(&job.index_path, &job.index, job.create)?;
                hashes.entry(job.data_path).or_default().update(&job.data);
            }
            Ok(hashes
                .into_iter()
                .map(|(path, hash)| (path, hash.finalize().into()))
                .collect())
        });
        BatchFiles {
            sender: Some(sender),
            thread: Some(thread),
        }
    }

    /// Creates the new file `path` with `content`, and the directories above it.
    pub fn create(&mut self, path: PathBuf, content: Vec<u8>) -> Result<()> {
        self.send(Job::Create { path, content })
    }

    fn send(&mut self, job: Job) -> Result<()> {
        let sent = self
            .sender
            .as_ref()
            .is_some_and(|sender| sender.send(job).is_ok());
        if sent {
            return Ok(());
        }
        // The writer stops only on an error, which it returns.
        self.finish()?;
        Err(Error::invalid(
            "internal error: the evidence writer stopped",
        ))
    }

    /// Waits for every buffer handed over to be written, and returns the SHA-256 of each
    /// batch's data file by path.
    pub fn finish(&mut self) -> Result<BatchHashes> {
        self.sender = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Ok(HashMap::new()),
        }
    }
}

fn create(path: &Path, content: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(Error::io("create directory", parent))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(Error::io("create", path))?;
    file.write_all(content).map_err(Error::io("write", path))
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
        let mut files = BatchFiles::start();
        let time = "2024-01-01T00:00:00Z".parse().unwrap();
        let id = Some("a\tb\\");
        batch
            .push(b"{}", &[0xab; 32], None, "5710", time, &mut files)
            .unwrap();
        batch
            .push(b"{\"a\":1}", &[0xab; 32], id, "5710", time, &mut files)
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
        // Nothing reached the size that flushes, so nothing was written.
        assert!(files.finish().unwrap().is_empty());
    }
}
