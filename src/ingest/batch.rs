//! Evidence batches: the alerts that one `ingest` run adds to one incident, stored byte for
//! byte in `evidence/alerts-<record id>.json` (alerts separated by a newline) with an index
//! `evidence/alerts-<record id>.index` of one tab-separated line per alert:
//! SHA-256, byte offset, byte length, alert id, rule id, alert time (RFC 3339).
//!
//! The SHA-256 field is `-` for an alert with an id, because the id identifies the alert
//! too: alerts with the same bytes have the same id. The batch record's SHA-256 covers the
//! bytes of every alert. A hash in hexadecimal is about half of an index line and hardly
//! compresses: with it, the pack of a 500 MB bench ingest (benches/ingest) was 63 MB, and
//! without it 32 MB.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use chrono::{DateTime, Datelike, Timelike, Utc};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::clock::format_time;
use crate::error::{Error, Result};
use crate::repo::{deflate_piece, DeflateSpool, Spooled};

/// Lower-case hexadecimal digits, indexed by value.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The SHA-256 field of an index line whose alert has an id.
const NO_HASH: &str = "-";

/// Bytes buffered per batch before they are appended to its file.
const FLUSH_BYTES: usize = 256 << 10;

/// One parsed index line.
pub struct IndexLine {
    /// The SHA-256 of the alert's bytes in hexadecimal, or `None` for `-`.
    pub sha256: Option<String>,
    pub offset: u64,
    pub length: u64,
    pub alert_id: Option<String>,
    pub rule_id: String,
    pub alert_time: String,
}

impl IndexLine {
    /// Parses one line of exactly six fields, which must list a SHA-256 or an alert id.
    pub fn parse(line: &str) -> Option<IndexLine> {
        let mut fields = line.split('\t');
        let sha256 = Some(fields.next()?)
            .filter(|hash| *hash != NO_HASH)
            .map(str::to_string);
        let offset = fields.next()?.parse().ok()?;
        let length = fields.next()?.parse().ok()?;
        let alert_id = Some(unescape(fields.next()?)).filter(|id| !id.is_empty());
        let rule_id = unescape(fields.next()?);
        let alert_time = fields.next()?.to_string();
        if fields.next().is_some() || (sha256.is_none() && alert_id.is_none()) {
            return None;
        }
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

/// Appends `time` as [`format_time`] writes it, RFC 3339 in UTC with 0, 3, 6 or 9 digits
/// of fraction, without the allocation and the formatter of chrono, once per alert.
fn push_time(output: &mut Vec<u8>, time: DateTime<Utc>) {
    let nanos = time.nanosecond();
    if !(0..=9999).contains(&time.year()) || nanos >= 1_000_000_000 {
        output.extend_from_slice(format_time(time).as_bytes());
        return;
    }
    let digits = |value: u32, width: usize, output: &mut Vec<u8>| {
        let mut buffer = [b'0'; 9];
        let mut rest = value;
        for slot in buffer[..width].iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        output.extend_from_slice(&buffer[..width]);
    };
    digits(time.year() as u32, 4, output);
    for (separator, value) in [
        (b'-', time.month()),
        (b'-', time.day()),
        (b'T', time.hour()),
        (b':', time.minute()),
        (b':', time.second()),
    ] {
        output.push(separator);
        digits(value, 2, output);
    }
    if nanos != 0 {
        output.push(b'.');
        if nanos.is_multiple_of(1_000_000) {
            digits(nanos / 1_000_000, 3, output);
        } else if nanos.is_multiple_of(1_000) {
            digits(nanos / 1_000, 6, output);
        } else {
            digits(nanos, 9, output);
        }
    }
    output.push(b'Z');
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
    /// The earliest and latest alert time of the batch's alerts.
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// The rule of the batch's alerts, while they all have the same one.
    rule: Option<String>,
    mixed_rules: bool,
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
            first: None,
            last: None,
            rule: None,
            mixed_rules: false,
        }
    }

    /// Appends one alert's bytes and its index line, which lists `sha256` when given and
    /// `-` otherwise. Ingest gives the SHA-256 of exactly the alerts without an id.
    pub fn push(
        &mut self,
        bytes: &[u8],
        sha256: Option<&[u8; 32]>,
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
        match sha256 {
            Some(sha256) => {
                for byte in sha256 {
                    index.push(HEX_DIGITS[usize::from(byte >> 4)]);
                    index.push(HEX_DIGITS[usize::from(byte & 0xf)]);
                }
            }
            None => index.extend_from_slice(NO_HASH.as_bytes()),
        }
        let mut number = itoa::Buffer::new();
        index.push(b'\t');
        index.extend_from_slice(number.format(offset).as_bytes());
        index.push(b'\t');
        index.extend_from_slice(number.format(bytes.len()).as_bytes());
        index.push(b'\t');
        push_escaped(index, alert_id.unwrap_or(""));
        index.push(b'\t');
        push_escaped(index, rule_id);
        index.push(b'\t');
        push_time(index, alert_time);
        index.push(b'\n');
        self.alerts += 1;
        self.first = Some(self.first.map_or(alert_time, |first| first.min(alert_time)));
        self.last = Some(self.last.map_or(alert_time, |last| last.max(alert_time)));
        match &self.rule {
            None if !self.mixed_rules => self.rule = Some(rule_id.to_string()),
            Some(rule) if rule != rule_id => {
                self.rule = None;
                self.mixed_rules = true;
            }
            _ => {}
        }
        if self.data.len() >= FLUSH_BYTES {
            self.flush(files)?;
        }
        Ok(())
    }

    /// Returns the bytes of alerts buffered in memory.
    pub fn buffered_alerts(&self) -> usize {
        self.data.len()
    }

    /// Returns the bytes of index lines buffered in memory.
    pub fn buffered_index(&self) -> usize {
        self.index.len()
    }

    /// Hands the buffered alerts and index lines to `files`, which appends them to the
    /// batch's files.
    pub fn flush(&mut self, files: &mut BatchFiles) -> Result<()> {
        self.send(files, true)
    }

    /// Hands the buffered alerts to `files` and keeps the index lines in memory.
    pub fn flush_alerts(&mut self, files: &mut BatchFiles) -> Result<()> {
        self.send(files, false)
    }

    fn send(&mut self, files: &mut BatchFiles, with_index: bool) -> Result<()> {
        let index_empty = self.index.is_empty() || !with_index;
        if self.data.is_empty() && index_empty && self.created {
            return Ok(());
        }
        // The buffers are handed over, not copied. Each incident of a run has a batch, and
        // keeping their capacity would hold up to twice FLUSH_BYTES each until the commit.
        self.written += self.data.len() as u64;
        let index = if with_index {
            std::mem::take(&mut self.index)
        } else {
            Vec::new()
        };
        files.send(Job::Append(Append {
            data_path: self.data_path.clone(),
            index_path: self.index_path.clone(),
            data: std::mem::take(&mut self.data),
            index,
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

    /// Returns the rule of the batch's alerts, or `None` when they have several.
    pub fn rule(&self) -> Option<&str> {
        self.rule.as_deref()
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

/// The writer thread's result: each batch's SHA-256, and the zlib streams of the batch files
/// for the commit.
pub struct Written {
    pub hashes: BatchHashes,
    pub spooled: Spooled,
}

/// Jobs waiting for the writer thread.
const JOBS_QUEUED: usize = 16;

/// Bytes of a batch buffer compressed on their own. Smaller pieces spread better over the
/// cores, larger ones compress better: at 128 KiB the bench ingest's pack grows by about 4%.
const PIECE_BYTES: usize = 128 << 10;

/// The thread that writes an ingest's files while alerts are grouped: it creates the files of
/// each new incident, appends every batch's buffers to its files, and hashes each batch's
/// data on the way. The thread grouping alerts waits only when [`JOBS_QUEUED`] jobs are
/// pending, not on each file creation, which cost 0.1 to 0.5 ms on the benches/ingest machine.
pub struct BatchFiles {
    sender: Option<SyncSender<Job>>,
    /// The thread's result, sent when the last job is done. The thread goes on to hash the
    /// batch files as blobs for the commit, which it receives with the spool.
    written: Receiver<Written>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl BatchFiles {
    /// Starts the writer thread, which keeps compressed evidence in a temporary file in
    /// `spool_dir`.
    pub fn start(spool_dir: PathBuf) -> BatchFiles {
        let (sender, receiver) = sync_channel::<Job>(JOBS_QUEUED);
        let (written_sender, written) = sync_channel::<Written>(1);
        let thread = std::thread::spawn(move || {
            let mut hashes: HashMap<PathBuf, Sha256> = HashMap::new();
            let mut spool = DeflateSpool::new(&spool_dir)?;
            while let Ok(first) = receiver.recv() {
                // The jobs waiting are taken together, so that their buffers compress on all
                // cores, in pieces: one job alone is a data buffer and a smaller index.
                let mut jobs = vec![first];
                while jobs.len() < JOBS_QUEUED {
                    match receiver.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let buffers: Vec<&[u8]> = jobs
                    .iter()
                    .filter_map(|job| match job {
                        Job::Append(job) => Some([job.data.as_slice(), job.index.as_slice()]),
                        Job::Create { .. } => None,
                    })
                    .flatten()
                    .flat_map(|buffer| buffer.chunks(PIECE_BYTES))
                    .collect();
                let mut pieces = buffers
                    .par_iter()
                    .map(|buffer| deflate_piece(buffer))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter();
                for job in jobs {
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
                    // An empty buffer appends nothing, so its file is opened only to create it.
                    if job.create || !job.data.is_empty() {
                        append(&job.data_path, &job.data, job.create)?;
                    }
                    if job.create || !job.index.is_empty() {
                        append(&job.index_path, &job.index, job.create)?;
                    }
                    for piece in pieces.by_ref().take(job.data.chunks(PIECE_BYTES).len()) {
                        spool.append(&job.data_path, piece)?;
                    }
                    for piece in pieces.by_ref().take(job.index.chunks(PIECE_BYTES).len()) {
                        spool.append(&job.index_path, piece)?;
                    }
                    hashes.entry(job.data_path).or_default().update(&job.data);
                }
            }
            let hashes = hashes
                .into_iter()
                .map(|(path, hash)| (path, hash.finalize().into()))
                .collect();
            let mut spooled = spool.finish();
            let files = spooled.files();
            let (ids_sender, ids) = channel();
            spooled.expect_ids(ids);
            // After a failed run the result has no receiver, so a failed send is no error.
            let _ = written_sender.send(Written { hashes, spooled });
            // A blob id is the SHA-1 of a header with the blob's size and then its bytes, so
            // it needs the whole file. The files are read again here, while the ingest
            // writes its records, and not later in the commit.
            let _ = ids_sender.send(Spooled::hash_files(files));
            Ok(())
        });
        BatchFiles {
            sender: Some(sender),
            written,
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
    /// batch's data file by path and the batch files' zlib streams. Returns `None` when the
    /// thread was finished already. The thread goes on hashing the files for the commit,
    /// but writes nothing more.
    pub fn finish(&mut self) -> Result<Option<Written>> {
        self.sender = None;
        let Some(thread) = self.thread.take() else {
            return Ok(None);
        };
        if let Ok(written) = self.written.recv() {
            return Ok(Some(written));
        }
        // The thread stopped before it sent its result, with an error or a panic.
        match thread.join() {
            Ok(Err(error)) => Err(error),
            Ok(Ok(())) => Err(Error::invalid(
                "internal error: the evidence writer stopped without its result",
            )),
            Err(panic) => std::panic::resume_unwind(panic),
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
    fn index_time_matches_format_time() {
        let base: DateTime<Utc> = "2024-05-01T23:59:58Z".parse().unwrap();
        for nanos in [
            0,
            1,
            999,
            1_000,
            120_000,
            5_000_000,
            741_000_000,
            999_999_999,
        ] {
            let time = base + chrono::Duration::nanoseconds(nanos);
            let mut written = Vec::new();
            push_time(&mut written, time);
            assert_eq!(String::from_utf8(written).unwrap(), format_time(time));
        }
        for text in [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.5Z",
            "1970-01-01T00:00:00Z",
        ] {
            let time: DateTime<Utc> = text.parse().unwrap();
            let mut written = Vec::new();
            push_time(&mut written, time);
            assert_eq!(String::from_utf8(written).unwrap(), format_time(time));
        }
    }

    #[test]
    fn batch_rule_only_while_alerts_share_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = BatchFiles::start(dir.path().to_path_buf());
        let mut batch = BatchWriter::new(dir.path().join("alerts.json"));
        let time = "2024-01-01T00:00:00Z".parse().unwrap();
        batch
            .push(b"{}", Some(&[0; 32]), None, "5710", time, &mut files)
            .unwrap();
        batch
            .push(b"{}", Some(&[1; 32]), None, "5710", time, &mut files)
            .unwrap();
        assert_eq!(batch.rule(), Some("5710"));
        batch
            .push(b"{}", Some(&[2; 32]), None, "5712", time, &mut files)
            .unwrap();
        assert_eq!(batch.rule(), None);
        batch
            .push(b"{}", Some(&[3; 32]), None, "5710", time, &mut files)
            .unwrap();
        assert_eq!(batch.rule(), None);
    }

    #[test]
    fn index_line_round_trips_escaped_id() {
        let mut batch = BatchWriter::new(PathBuf::from("alerts.json"));
        let dir = tempfile::tempdir().unwrap();
        let mut files = BatchFiles::start(dir.path().to_path_buf());
        let time = "2024-01-01T00:00:00Z".parse().unwrap();
        let id = Some("a\tb\\");
        batch
            .push(b"{}", Some(&[0xab; 32]), None, "5710", time, &mut files)
            .unwrap();
        batch
            .push(b"{\"a\":1}", None, id, "5710", time, &mut files)
            .unwrap();
        let text = String::from_utf8(batch.index.clone()).unwrap();
        let first = IndexLine::parse(text.lines().next().unwrap()).unwrap();
        assert_eq!(first.sha256, Some("ab".repeat(32)));
        assert_eq!(first.alert_id, None);
        let second = text.lines().nth(1).unwrap();
        assert!(second.starts_with("-\t3\t7\t"), "{second}");
        let parsed = IndexLine::parse(second).unwrap();
        assert_eq!(parsed.sha256, None);
        assert_eq!(parsed.alert_id.as_deref(), Some("a\tb\\"));
        assert_eq!(parsed.offset, 3);
        assert_eq!(parsed.length, 7);
        assert_eq!(parsed.rule_id, "5710");
        assert_eq!(parsed.alert_time, "2024-01-01T00:00:00Z");
        // Nothing reached the size that flushes, so nothing was written.
        assert!(files.finish().unwrap().unwrap().hashes.is_empty());
    }
}
