//! Parsing of JSON-lines alert input on all cores. One thread cuts the input into chunks of
//! whole lines and parses each chunk's lines in parallel. The caller receives the alerts in
//! input order, with the same line numbers and errors as [`crate::alert::AlertReader`].

use std::io::{self, BufRead};
use std::ops::{Deref, Range};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use rayon::prelude::*;

use super::known::AlertKey;
use crate::alert::{
    facts_selection, line_json, parse_facts_with, too_large, AlertFacts, FactsSelection, RawAlert,
    ReadError, Remainder,
};

/// Bytes of input per chunk. Each chunk's parsed alerts are held in memory until the caller
/// takes them, so this and [`CHUNKS_AHEAD`] bound the memory of the pipeline.
const CHUNK_BYTES: usize = 1 << 20;

/// Parsed chunks waiting for the caller.
const CHUNKS_AHEAD: usize = 2;

/// An alert with what grouping needs, or the error of a line that is not one.
pub type Parsed = Result<Prepared, ReadError>;

/// An alert ready for grouping.
pub struct Prepared {
    /// The 1-based line on which the alert starts.
    pub line: usize,
    /// The alert's JSON exactly as in the input.
    pub bytes: AlertBytes,
    /// The key by which the duplicate check finds the alert.
    pub alert_key: AlertKey,
    pub facts: AlertFacts,
}

/// The bytes of one alert: its own, or a range of the input chunk it was read from. The
/// alerts of a chunk share it, so that they are not copied and allocated one by one.
pub enum AlertBytes {
    Owned(Vec<u8>),
    Shared(Arc<Vec<u8>>, Range<usize>),
}

impl Deref for AlertBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            AlertBytes::Owned(bytes) => bytes,
            AlertBytes::Shared(chunk, range) => &chunk[range.clone()],
        }
    }
}

impl Prepared {
    /// Parses the facts of the alert at `range` of `chunk`, which starts on `line`.
    pub fn parse(
        line: usize,
        chunk: &Arc<Vec<u8>>,
        range: Range<usize>,
        dedupe_fields: &[String],
        selection: &FactsSelection,
    ) -> Result<Prepared, ReadError> {
        let json = &chunk[range.clone()];
        let facts = parse_facts_with(json, dedupe_fields, selection)
            .map_err(|error| ReadError::from_alert_error(line, error))?;
        Ok(Prepared {
            line,
            alert_key: AlertKey::new(json, facts.id.as_deref()),
            bytes: AlertBytes::Shared(Arc::clone(chunk), range),
            facts,
        })
    }

    /// Takes the facts of an alert read by [`crate::alert::AlertReader`].
    pub fn from_raw(raw: RawAlert) -> Prepared {
        let facts = AlertFacts::of(raw.alert, raw.dedupe_key);
        Prepared {
            line: raw.line,
            alert_key: AlertKey::new(&raw.bytes, facts.id.as_deref()),
            bytes: AlertBytes::Owned(raw.bytes),
            facts,
        }
    }
}

/// The parsed alerts of one chunk, in input order.
pub struct ParsedChunk {
    pub alerts: Vec<Parsed>,
    /// Bytes consumed from the input up to the end of this chunk, for progress reports.
    pub bytes_read: u64,
}

/// Parses the JSON-lines `remainder` on a new thread of `scope` and returns the chunks as
/// they are parsed. The thread stops at the end of the input, after an I/O error (the last
/// alert of the last chunk is then that error) or when the receiver is dropped.
pub fn parse_in_parallel<'scope, R: BufRead + Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    remainder: Remainder<R>,
    dedupe_fields: &'scope [String],
) -> Receiver<ParsedChunk> {
    let (sender, receiver) = sync_channel(CHUNKS_AHEAD);
    let selection = facts_selection(dedupe_fields);
    scope.spawn(move || {
        let mut chunks = LineChunks::new(remainder);
        loop {
            let (pieces, done) = chunks.next_chunk();
            let alerts = parse_pieces(pieces, chunks.max_alert_bytes, dedupe_fields, &selection);
            let chunk = ParsedChunk {
                alerts,
                bytes_read: chunks.consumed,
            };
            if sender.send(chunk).is_err() || done {
                return;
            }
        }
    });
    receiver
}

/// One piece of the input: whole lines starting on a line number, or a failure there.
enum Piece {
    Lines { line: usize, data: Arc<Vec<u8>> },
    TooLarge { line: usize },
    Failed(ReadError),
}

fn parse_pieces(
    pieces: Vec<Piece>,
    max_alert_bytes: usize,
    dedupe_fields: &[String],
    selection: &FactsSelection,
) -> Vec<Parsed> {
    let mut jobs: Vec<Job> = Vec::new();
    for piece in &pieces {
        match piece {
            Piece::Lines { line, data } => jobs.extend(
                split_lines(data)
                    .enumerate()
                    .map(|(offset, bytes)| Job::Line(line + offset, data, bytes)),
            ),
            Piece::TooLarge { line } => jobs.push(Job::TooLarge(*line)),
            Piece::Failed(_) => {}
        }
    }
    let mut alerts: Vec<Parsed> = jobs
        .into_par_iter()
        .filter_map(|job| match job {
            Job::Line(line, chunk, bytes) => line_json(line, bytes, max_alert_bytes).map(|json| {
                json.and_then(|json| {
                    let start = json.as_ptr() as usize - chunk.as_ptr() as usize;
                    let range = start..start + json.len();
                    Prepared::parse(line, chunk, range, dedupe_fields, selection)
                })
            }),
            Job::TooLarge(line) => Some(Err(too_large(line, max_alert_bytes))),
        })
        .collect();
    // A read failure can only end the last chunk.
    if let Some(Piece::Failed(_)) = pieces.last() {
        if let Some(Piece::Failed(error)) = pieces.into_iter().last() {
            alerts.push(Err(error));
        }
    }
    alerts
}

/// One line to parse, with the chunk it is part of, or a line to report as too large.
enum Job<'a> {
    Line(usize, &'a Arc<Vec<u8>>, &'a [u8]),
    TooLarge(usize),
}

/// Splits bytes into lines, each with its `\n` except perhaps the last.
fn split_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |index| index + 1);
        let (line, after) = rest.split_at(end);
        rest = after;
        Some(line)
    })
}

/// Cuts the input into chunks that end at a line break.
struct LineChunks<R> {
    input: R,
    /// Bytes after the last line break read so far.
    carry: Vec<u8>,
    line: usize,
    consumed: u64,
    max_alert_bytes: usize,
}

impl<R: BufRead> LineChunks<R> {
    fn new(remainder: Remainder<R>) -> Self {
        LineChunks {
            input: remainder.input,
            carry: remainder.pending,
            line: remainder.line,
            consumed: remainder.consumed,
            max_alert_bytes: remainder.max_alert_bytes,
        }
    }

    /// Reads about [`CHUNK_BYTES`] of whole lines and returns them, and whether the input
    /// has ended.
    fn next_chunk(&mut self) -> (Vec<Piece>, bool) {
        let mut pieces = Vec::new();
        let mut size = 0;
        while size < CHUNK_BYTES {
            let available = match fill_buf(&mut self.input) {
                Ok(available) => available,
                Err(error) => {
                    let failed = ReadError::from_io(self.line, error);
                    pieces.push(Piece::Failed(failed));
                    return (pieces, true);
                }
            };
            if available.is_empty() {
                let data = std::mem::take(&mut self.carry);
                if !data.is_empty() {
                    pieces.push(Piece::Lines {
                        line: self.line,
                        data: Arc::new(data),
                    });
                }
                return (pieces, true);
            }
            let length = available.len();
            let mut data = Vec::new();
            match memchr::memrchr(b'\n', available) {
                Some(index) => {
                    data = std::mem::take(&mut self.carry);
                    data.extend_from_slice(&available[..=index]);
                    self.carry.extend_from_slice(&available[index + 1..]);
                }
                None => self.carry.extend_from_slice(available),
            }
            self.input.consume(length);
            self.consumed += length as u64;
            if !data.is_empty() {
                let line = self.line;
                self.line += memchr::memchr_iter(b'\n', &data).count();
                size += data.len();
                pieces.push(Piece::Lines {
                    line,
                    data: Arc::new(data),
                });
            } else if self.carry.len() > self.max_alert_bytes {
                // A line longer than the limit is skipped without holding it in memory.
                pieces.push(Piece::TooLarge { line: self.line });
                if let Err(error) = self.skip_line() {
                    pieces.push(Piece::Failed(ReadError::from_io(self.line, error)));
                    return (pieces, true);
                }
                self.line += 1;
            }
        }
        (pieces, false)
    }

    /// Drops the carried bytes and the input up to and including the next line break.
    fn skip_line(&mut self) -> io::Result<()> {
        self.carry.clear();
        loop {
            let available = fill_buf(&mut self.input)?;
            if available.is_empty() {
                return Ok(());
            }
            let newline = memchr::memchr(b'\n', available);
            let length = newline.map_or(available.len(), |index| index + 1);
            self.input.consume(length);
            self.consumed += length as u64;
            if newline.is_some() {
                return Ok(());
            }
        }
    }
}

fn fill_buf<R: BufRead>(input: &mut R) -> io::Result<&[u8]> {
    loop {
        match input.fill_buf() {
            Ok(_) => break,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    input.fill_buf()
}
