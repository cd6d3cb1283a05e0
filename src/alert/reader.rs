//! Streaming reader of many alerts from JSON lines, a JSON array or one or more objects.
//!
//! The reader keeps one alert in memory at a time, so memory stays flat in the input size,
//! and a bad alert is reported with its line number without stopping the stream.

use std::error::Error;
use std::fmt;
use std::io::{self, BufRead};

use super::wazuh::parse_keyed;
use super::{Alert, AlertError};

/// The default for [`AlertReader::with_max_alert_bytes`]: 64 MiB. Wazuh alerts are usually a
/// few kilobytes, so this only stops a file without line breaks from filling memory.
pub const DEFAULT_MAX_ALERT_BYTES: usize = 64 * 1024 * 1024;

/// One alert read from the input, with where and how it appeared there.
#[derive(Debug, Clone, PartialEq)]
pub struct RawAlert {
    /// The 1-based line on which the alert starts.
    pub line: usize,
    /// The bytes of the alert's JSON value exactly as in the input, without the surrounding
    /// whitespace, line break or array comma.
    pub bytes: Vec<u8>,
    pub alert: Alert,
    /// The alert's dedupe key from the reader's dedupe fields (see [`super::dedupe_key`]),
    /// empty when it has none.
    pub dedupe_key: String,
}

/// An alert that could not be read. The reader reports it and continues with the next one,
/// except after an I/O error, which ends the stream.
#[derive(Debug)]
pub struct ReadError {
    /// The 1-based line on which the bad alert starts.
    pub line: usize,
    /// Description of the problem, e.g. "alert has no `rule` object".
    pub reason: String,
    pub source: Option<ReadErrorSource>,
}

/// The underlying error of a [`ReadError`].
#[derive(Debug, thiserror::Error)]
pub enum ReadErrorSource {
    #[error(transparent)]
    Json(serde_json::Error),
    #[error(transparent)]
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl Error for ReadError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source
            .as_ref()
            .map(|source| source as &(dyn Error + 'static))
    }
}

impl ReadError {
    fn new(line: usize, reason: impl Into<String>) -> Self {
        ReadError {
            line,
            reason: reason.into(),
            source: None,
        }
    }

    /// Returns the error of a failed read of the input at `line`.
    pub fn from_io(line: usize, error: io::Error) -> Self {
        ReadError {
            line,
            reason: "failed to read the input".to_string(),
            source: Some(ReadErrorSource::Io(error)),
        }
    }

    /// Returns the error of an alert at `line` that did not parse.
    pub fn from_alert_error(line: usize, error: AlertError) -> Self {
        match error {
            // serde_json's message names the problem and its place in the alert.
            AlertError::InvalidJson(source) => ReadError {
                line,
                reason: format!("alert is not valid JSON: {source}"),
                source: Some(ReadErrorSource::Json(source)),
            },
            other => ReadError::new(line, other.to_string()),
        }
    }

    /// Returns true when reading the input failed, after which the reader yields nothing.
    pub fn is_io(&self) -> bool {
        matches!(self.source, Some(ReadErrorSource::Io(_)))
    }
}

/// The unread rest of an input, from [`AlertReader::into_remainder`].
pub struct Remainder<R> {
    /// Bytes read ahead during layout detection, which come before `input`.
    pub pending: Vec<u8>,
    pub input: R,
    /// The 1-based line on which the first unread byte is.
    pub line: usize,
    /// Bytes consumed from `input` so far.
    pub consumed: u64,
    pub max_alert_bytes: usize,
}

/// Returns the JSON of one line of JSON-lines input (with or without its `\n`) that starts
/// on `line`, without surrounding whitespace, as [`AlertReader`] reads it: `None` for a blank
/// line, and an error for a line larger than `max_alert_bytes`.
pub fn line_json(
    line: usize,
    bytes: &[u8],
    max_alert_bytes: usize,
) -> Option<Result<&[u8], ReadError>> {
    if bytes.len() > max_alert_bytes {
        return Some(Err(too_large(line, max_alert_bytes)));
    }
    let trimmed = bytes.trim_ascii();
    (!trimmed.is_empty()).then_some(Ok(trimmed))
}

/// Returns the error of an alert larger than `max_alert_bytes`, which starts on `line`.
pub fn too_large(line: usize, max_alert_bytes: usize) -> ReadError {
    ReadError::new(
        line,
        format!("alert is larger than the limit of {max_alert_bytes} bytes"),
    )
}

/// The layout of the input, decided from its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputLayout {
    /// One compact alert per line, as in Wazuh's `alerts.json`.
    JsonLines,
    /// JSON values one after another, each an alert object or an array of them, in any
    /// layout, e.g. a pretty-printed export.
    JsonValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Undetected,
    Reading(InputLayout),
    Done,
}

/// Reads Wazuh alerts one by one from JSON lines, a JSON array (possibly pretty-printed)
/// or pretty-printed objects, from any [`BufRead`].
///
/// The layout is detected from the first line: a complete JSON value there, or a next line
/// that starts with `{`, means JSON lines, so that one broken line costs only that line.
/// Anything else is read value by value with a bracket scanner.
///
/// NOTE: in the value-by-value layouts an alert whose brackets do not balance (say, cut
/// off in the middle of a pretty-printed file) runs into the alerts after it, which are
/// then reported as one bad alert.
pub struct AlertReader<R: BufRead> {
    input: Input<R>,
    state: State,
    /// 1-based line number of the next unread byte.
    line: usize,
    /// Line where the innermost open top-level array started, if one is open.
    open_array_line: Option<usize>,
    max_alert_bytes: usize,
    /// Fields of the dedupe key built for each alert.
    dedupe_fields: Vec<String>,
    /// An error found during layout detection, returned before the first alert.
    pending_error: Option<ReadError>,
    layout: Option<InputLayout>,
}

impl<R: BufRead> AlertReader<R> {
    /// Creates a reader with the [`DEFAULT_MAX_ALERT_BYTES`] limit.
    pub fn new(input: R) -> Self {
        AlertReader {
            input: Input::new(input),
            state: State::Undetected,
            line: 1,
            open_array_line: None,
            max_alert_bytes: DEFAULT_MAX_ALERT_BYTES,
            dedupe_fields: Vec::new(),
            pending_error: None,
            layout: None,
        }
    }

    /// Sets the size above which an alert is reported as an error and skipped, in bytes.
    pub fn with_max_alert_bytes(mut self, max_alert_bytes: usize) -> Self {
        self.max_alert_bytes = max_alert_bytes;
        self
    }

    /// Sets the fields of the dedupe key that each alert gets in [`RawAlert::dedupe_key`].
    pub fn with_dedupe_fields(mut self, dedupe_fields: &[String]) -> Self {
        self.dedupe_fields = dedupe_fields.to_vec();
        self
    }

    /// Returns the detected layout, or `None` before the first read and for empty input.
    pub fn layout(&self) -> Option<InputLayout> {
        self.layout
    }

    /// Returns how many bytes of the input were consumed, for progress reports.
    pub fn bytes_read(&self) -> u64 {
        self.input.consumed
    }

    /// Returns the input after the alerts read so far, with the line it starts on, so that
    /// the rest of a JSON-lines input can be split and parsed elsewhere with
    /// [`parse_json_line`].
    pub fn into_remainder(self) -> Remainder<R> {
        let pending = if self.input.pending_start < self.input.pending.len() {
            self.input.pending[self.input.pending_start..].to_vec()
        } else {
            Vec::new()
        };
        Remainder {
            pending,
            input: self.input.inner,
            line: self.line,
            consumed: self.input.consumed,
            max_alert_bytes: self.max_alert_bytes,
        }
    }

    fn fail_io(&mut self, error: io::Error) -> ReadError {
        self.state = State::Done;
        ReadError::from_io(self.line, error)
    }

    /// Skips a UTF-8 byte order mark and blank lines, then looks at the first line.
    fn detect_layout(&mut self) -> io::Result<Option<InputLayout>> {
        self.input.skip_prefix(b"\xEF\xBB\xBF")?;
        self.skip_whitespace()?;
        match self.input.peek()? {
            None => Ok(None),
            Some(b'{') => self.detect_object_layout().map(Some),
            Some(b'[') => Ok(Some(InputLayout::JsonValues)),
            Some(_) => Ok(Some(InputLayout::JsonLines)),
        }
    }

    fn detect_object_layout(&mut self) -> io::Result<InputLayout> {
        let mut first = Vec::new();
        let mut second = Vec::new();
        if let LineRead::Line { overflow: true } =
            self.input.read_line(&mut first, self.max_alert_bytes)?
        {
            // Only a line-per-alert file can have a first line this long. Its bytes were
            // dropped, so the line is reported and reading goes on after it.
            self.pending_error = Some(self.too_large(self.line));
            self.line += 1;
            return Ok(InputLayout::JsonLines);
        }
        let first_line_complete = Scanner::default().advance(&first).is_some();
        if !first_line_complete {
            self.input.read_line(&mut second, self.max_alert_bytes)?;
        }
        let second_starts_object = second
            .trim_ascii_start()
            .first()
            .is_none_or(|&byte| byte == b'{');
        first.extend_from_slice(&second);
        self.input.unread(first);
        if first_line_complete || second_starts_object {
            Ok(InputLayout::JsonLines)
        } else {
            Ok(InputLayout::JsonValues)
        }
    }

    fn skip_whitespace(&mut self) -> io::Result<()> {
        loop {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                return Ok(());
            }
            let blank = available
                .iter()
                .take_while(|byte| byte.is_ascii_whitespace())
                .count();
            self.line += memchr::memchr_iter(b'\n', &available[..blank]).count();
            let done = blank < available.len();
            self.input.consume(blank);
            if done {
                return Ok(());
            }
        }
    }

    fn next_line_alert(&mut self) -> Option<Result<RawAlert, ReadError>> {
        loop {
            let mut buffer = Vec::new();
            let line = self.line;
            let overflow = match self.input.read_line(&mut buffer, self.max_alert_bytes) {
                Ok(LineRead::Eof) => {
                    self.state = State::Done;
                    return None;
                }
                Ok(LineRead::Line { overflow }) => overflow,
                Err(error) => return Some(Err(self.fail_io(error))),
            };
            self.line += 1;
            if overflow {
                return Some(Err(self.too_large(line)));
            }
            if let Some(bytes) = trim_in_place(buffer) {
                return Some(parse_raw(line, bytes, &self.dedupe_fields));
            }
        }
    }

    fn next_value_alert(&mut self) -> Option<Result<RawAlert, ReadError>> {
        loop {
            if let Err(error) = self.skip_whitespace_and_commas() {
                return Some(Err(self.fail_io(error)));
            }
            let byte = match self.input.peek() {
                Ok(byte) => byte,
                Err(error) => return Some(Err(self.fail_io(error))),
            };
            match byte {
                None => return self.finish_values(),
                Some(b'[') if self.open_array_line.is_none() => {
                    self.open_array_line = Some(self.line);
                    self.input.consume(1);
                }
                Some(b']') if self.open_array_line.is_some() => {
                    self.open_array_line = None;
                    self.input.consume(1);
                }
                Some(b'{' | b'[') => return Some(self.read_value()),
                Some(_) => return Some(Err(self.skip_non_object())),
            }
        }
    }

    fn skip_whitespace_and_commas(&mut self) -> io::Result<()> {
        loop {
            self.skip_whitespace()?;
            match self.input.peek()? {
                Some(b',') if self.open_array_line.is_some() => self.input.consume(1),
                _ => return Ok(()),
            }
        }
    }

    fn finish_values(&mut self) -> Option<Result<RawAlert, ReadError>> {
        self.state = State::Done;
        let line = self.open_array_line.take()?;
        Some(Err(ReadError::new(
            line,
            "the JSON array starting here is not closed with `]`",
        )))
    }

    /// Reads one bracketed value starting at the next byte.
    fn read_value(&mut self) -> Result<RawAlert, ReadError> {
        let line = self.line;
        let mut buffer = Vec::new();
        let mut scanner = Scanner::default();
        let mut overflow = false;
        loop {
            let available = match self.input.fill_buf() {
                Ok(available) => available,
                Err(error) => return Err(self.fail_io(error)),
            };
            if available.is_empty() {
                self.state = State::Done;
                self.open_array_line = None;
                return Err(ReadError::new(line, "the input ends inside this alert"));
            }
            let end = scanner.advance(available);
            let chunk = &available[..end.unwrap_or(available.len())];
            if overflow || buffer.len() + chunk.len() > self.max_alert_bytes {
                overflow = true;
            } else {
                buffer.extend_from_slice(chunk);
            }
            self.line += memchr::memchr_iter(b'\n', chunk).count();
            let chunk_length = chunk.len();
            self.input.consume(chunk_length);
            if end.is_some() {
                break;
            }
        }
        if overflow {
            return Err(self.too_large(line));
        }
        parse_raw(line, buffer, &self.dedupe_fields)
    }

    /// Skips something that is not an object or array: the rest of the line, or inside an
    /// array up to the next `,` or `]`.
    fn skip_non_object(&mut self) -> ReadError {
        let line = self.line;
        let in_array = self.open_array_line.is_some();
        loop {
            let available = match self.input.fill_buf() {
                Ok(available) => available,
                Err(error) => return self.fail_io(error),
            };
            if available.is_empty() {
                break;
            }
            let stop = if in_array {
                memchr::memchr3(b',', b']', b'\n', available)
            } else {
                memchr::memchr(b'\n', available)
            };
            let length = stop.unwrap_or(available.len());
            self.input.consume(length);
            if stop.is_some() {
                break;
            }
        }
        let reason = if in_array {
            "array element is not an alert object"
        } else {
            "expected an alert object starting with `{`, found other text"
        };
        ReadError::new(line, reason)
    }

    fn too_large(&self, line: usize) -> ReadError {
        too_large(line, self.max_alert_bytes)
    }
}

impl<R: BufRead> Iterator for AlertReader<R> {
    type Item = Result<RawAlert, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state == State::Undetected {
            match self.detect_layout() {
                Ok(Some(layout)) => {
                    self.state = State::Reading(layout);
                    self.layout = Some(layout);
                }
                Ok(None) => self.state = State::Done,
                Err(error) => return Some(Err(self.fail_io(error))),
            }
        }
        if let Some(error) = self.pending_error.take() {
            return Some(Err(error));
        }
        match self.state {
            State::Reading(InputLayout::JsonLines) => self.next_line_alert(),
            State::Reading(InputLayout::JsonValues) => self.next_value_alert(),
            State::Undetected | State::Done => None,
        }
    }
}

/// Strips surrounding ASCII whitespace, including the line break, without copying the
/// bytes when nothing precedes the value. Returns `None` for a blank line.
fn trim_in_place(mut bytes: Vec<u8>) -> Option<Vec<u8>> {
    let trailing = bytes.len() - bytes.trim_ascii_end().len();
    bytes.truncate(bytes.len() - trailing);
    let leading = bytes.len() - bytes.trim_ascii_start().len();
    if leading == bytes.len() {
        return None;
    }
    bytes.drain(..leading);
    Some(bytes)
}

fn parse_raw(line: usize, bytes: Vec<u8>, dedupe_fields: &[String]) -> Result<RawAlert, ReadError> {
    match parse_keyed(&bytes, dedupe_fields) {
        Ok((alert, dedupe_key)) => Ok(RawAlert {
            line,
            bytes,
            alert,
            dedupe_key,
        }),
        Err(error) => Err(ReadError::from_alert_error(line, error)),
    }
}

/// Finds the end of a JSON object or array by counting brackets outside strings. It does
/// not validate JSON, which serde_json does once the value's bytes are collected.
#[derive(Debug, Default)]
struct Scanner {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Scanner {
    /// Feeds the next bytes and returns the index just past the closing bracket, if the
    /// value closes within them.
    fn advance(&mut self, bytes: &[u8]) -> Option<usize> {
        for (index, &byte) in bytes.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(index + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

enum LineRead {
    Eof,
    Line { overflow: bool },
}

/// A [`BufRead`] wrapper that can put bytes back in front of the input, which layout
/// detection needs after reading ahead.
struct Input<R> {
    inner: R,
    pending: Vec<u8>,
    pending_start: usize,
    /// Bytes consumed from `inner`, not counting re-reads of bytes put back.
    consumed: u64,
}

impl<R: BufRead> Input<R> {
    fn new(inner: R) -> Self {
        Input {
            inner,
            pending: Vec::new(),
            pending_start: 0,
            consumed: 0,
        }
    }

    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pending_start < self.pending.len() {
            return Ok(&self.pending[self.pending_start..]);
        }
        loop {
            match self.inner.fill_buf() {
                Ok(_) => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if self.pending_start < self.pending.len() {
            self.pending_start += amount;
            if self.pending_start >= self.pending.len() {
                self.pending.clear();
                self.pending_start = 0;
            }
        } else {
            self.inner.consume(amount);
            self.consumed += amount as u64;
        }
    }

    /// Puts bytes back so they are read again before the rest of the input. Only valid
    /// when no earlier put-back bytes are left.
    fn unread(&mut self, bytes: Vec<u8>) {
        debug_assert!(self.pending_start >= self.pending.len());
        self.pending = bytes;
        self.pending_start = 0;
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.fill_buf()?.first().copied())
    }

    fn skip_prefix(&mut self, prefix: &[u8]) -> io::Result<()> {
        if self.fill_buf()?.starts_with(prefix) {
            self.consume(prefix.len());
        }
        Ok(())
    }

    /// Appends the next line, including its `\n`, to `buffer`. Bytes past `max_bytes` are
    /// consumed but not stored, and reported as overflow.
    fn read_line(&mut self, buffer: &mut Vec<u8>, max_bytes: usize) -> io::Result<LineRead> {
        let mut read_any = false;
        let mut overflow = false;
        loop {
            let available = self.fill_buf()?;
            if available.is_empty() {
                return Ok(if read_any {
                    LineRead::Line { overflow }
                } else {
                    LineRead::Eof
                });
            }
            read_any = true;
            let newline = memchr::memchr(b'\n', available);
            let chunk = &available[..newline.map_or(available.len(), |index| index + 1)];
            if overflow || buffer.len() + chunk.len() > max_bytes {
                overflow = true;
            } else {
                buffer.extend_from_slice(chunk);
            }
            let chunk_length = chunk.len();
            self.consume(chunk_length);
            if newline.is_some() {
                return Ok(LineRead::Line { overflow });
            }
        }
    }
}
