//! `casefile ingest`: read Wazuh alerts in bulk, group them into incidents and append alerts
//! to the open incident they belong to, in one commit for the whole run.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use clap::Args;
use serde::Serialize;

use crate::alert::{Alert, AlertFacts, AlertReader, InputLayout, Observable};
use crate::clock::{compare_times, format_time};
use crate::error::{Error, Result};
use crate::incident::id::new_record_id;
use crate::incident::{
    incident_dir, record_toml, EntryKind, EvidenceRecord, IocRecord, TimelineEntry, EVIDENCE_DIR,
    IOCS_DIR, TIMELINE_DIR,
};
use crate::ingest::batch::{BatchFiles, BatchWriter};
use crate::ingest::lines::{self, Parsed, Prepared};
use crate::ingest::Existing;
use crate::ioc::{self, IocType};
use crate::repo::Change;

use super::open::{self, AlertInput, OpenArgs};
use super::{Context, Workspace};

/// Alerts of one batch up to which each alert gets its own timeline entry; a larger batch
/// gets one summary entry.
const ENTRIES_PER_ALERT_MAX: usize = 10;

/// Bytes of alerts buffered across all batches before every batch's alerts are flushed to
/// disk.
const BUFFERED_MAX: usize = 32 << 20;

/// Bytes of index lines buffered across all batches before they are flushed too. An index
/// line is about a tenth of its alert, so most flushes leave the index lines in memory. With
/// a thousand incidents, flushing every index each time wrote a thousand pieces of a few KiB,
/// each with its own file append and compressor reset.
const INDEX_BUFFERED_MAX: usize = 16 << 20;

/// Read Wazuh alerts (JSON lines as in alerts.json, a JSON array, or one object) from files or
/// `-` for stdin, group them into incidents by the dedupe key of casefile.toml within its time
/// window, and append each to the open incident with the same key. Alerts already ingested
/// (same SHA-256 or alert id) and alerts below ingest.min_level are skipped. The whole run is
/// one commit. Invalid alerts are reported with their line number and skipped; the exit code
/// is then 1
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Alert files, or `-` for standard input
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print what would be created and appended; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Counts of one ingest run.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub alerts_read: u64,
    pub ingested: u64,
    pub duplicates: u64,
    pub below_min_level: u64,
    pub invalid: Vec<InvalidAlert>,
    pub incidents: Vec<IncidentSummary>,
}

#[derive(Debug, Serialize)]
pub struct InvalidAlert {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct IncidentSummary {
    pub id: String,
    pub new: bool,
    pub alerts: u64,
    pub dedupe_key: String,
}

/// First and last time an indicator was seen in this run, and the alert field it came from.
type Sighting = (DateTime<Utc>, DateTime<Utc>, Cow<'static, str>);

/// One accepted alert on its way into an incident.
struct Noted<'a> {
    line: usize,
    bytes: &'a [u8],
    /// The SHA-256 of an alert without an id.
    digest: Option<&'a [u8; 32]>,
    facts: &'a AlertFacts,
    time: DateTime<Utc>,
}

/// A value seen in an alert field of one incident in this run, before it is parsed as an
/// indicator: first and last time, the field, and the order in which values were first seen.
struct Observed {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    field: Cow<'static, str>,
    order: usize,
}

/// Parses a whole alert again, for the few uses that need more than its facts. The facts
/// parsed, and `parse_facts` rejects what `parse_alert` rejects, so an error here is a bug.
fn reparse(bytes: &[u8], origin: &str, line: usize) -> Result<Alert> {
    crate::alert::parse_alert(bytes)
        .map_err(|error| Error::invalid(format!("{origin} line {line}: {error}")))
}

/// Everything one run adds to one incident.
struct Touched {
    id: String,
    dedupe_key: String,
    /// Whether this run opened the incident.
    is_new: bool,
    /// Files already on disk: a new incident's files, written as soon as it opens, so that
    /// memory does not keep them for the whole run.
    written: Vec<PathBuf>,
    batch: Option<BatchWriter>,
    batch_record: String,
    alerts: u64,
    entries: Vec<(DateTime<Utc>, String, Option<String>)>,
    /// Batched alerts by rule, up to the last [`Touched::settle`].
    rules: BTreeMap<String, u64>,
    /// Observed values by kind and value as written in the alert, up to the last
    /// [`Touched::settle`]. They are parsed as indicators once, when the run ends.
    observed: HashMap<IocType, HashMap<String, Observed, FastState>, FastState>,
    /// The alerts since the last [`Touched::settle`] by rule and observables, keyed by
    /// [`combination_key`]. The alerts of a long attack repeat one rule and the same few
    /// values, so each alert costs one lookup here instead of one per rule and per value.
    recent: HashMap<Box<[u8]>, Combination, FastState>,
    /// Combinations recorded so far, which orders them.
    combinations: usize,
}

/// Alerts of one incident with one rule and the same observables, from the same fields.
struct Combination {
    alerts: u64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    order: usize,
    rule_id: String,
    observables: Vec<Observable>,
}

/// Combinations an incident keeps before it settles them. The limit bounds the memory of
/// an incident whose alerts all differ.
const COMBINATIONS_MAX: usize = 64;

/// Appends to `key` the rule and the observables of an alert, each part preceded by its
/// length. Two alerts get the same key exactly when they have the same rule and the same
/// observables, in the same order and from the same fields.
fn combination_key(key: &mut Vec<u8>, facts: &AlertFacts) {
    let mut push = |bytes: &[u8]| {
        key.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        key.extend_from_slice(bytes);
    };
    push(facts.rule_id.as_bytes());
    for observable in &facts.observables {
        push(&[observable.kind as u8]);
        push(observable.field.as_bytes());
        push(observable.value.as_bytes());
    }
}

/// The hasher of the maps that are looked up once or more per alert, with keys from alerts:
/// seeded at random, and several times faster than the standard SipHash on short keys.
type FastState = foldhash::fast::RandomState;

/// The state of one run.
struct Run<'a> {
    context: &'a Context,
    workspace: Option<&'a Workspace>,
    existing: Existing,
    touched: Vec<Touched>,
    by_id: HashMap<String, usize, FastState>,
    summary: Summary,
    buffered: usize,
    origins: Vec<String>,
    min_level: u8,
    opened: usize,
    /// The writer of the batches' files, started with the first batch.
    files: Option<BatchFiles>,
    /// A buffer for [`combination_key`], kept to save an allocation per alert.
    combination_key: Vec<u8>,
}

pub fn run(args: IngestArgs, context: &mut Context) -> Result<i32> {
    let (repo, workspace) = if args.dry_run {
        (Some(context.repo()?), None)
    } else {
        (None, Some(context.workspace()?))
    };
    let case_repo = repo
        .as_ref()
        .or(workspace.as_ref().map(|w| &w.repo))
        .expect("a repository is open");
    if workspace.is_some() {
        require_clean_incidents(case_repo)?;
        case_repo.ensure_index_unlocked()?;
        stop_on_interrupt();
    }
    let existing = Existing::load(&case_repo.root, case_repo.git.path())?;
    for (id, reason) in &existing.broken {
        context.warn(format!("incident {id} is skipped: {reason}"));
    }
    for warning in &existing.warnings {
        context.warn(warning.clone());
    }
    let mut state = Run {
        context,
        workspace: workspace.as_ref(),
        existing,
        touched: Vec::new(),
        by_id: HashMap::default(),
        summary: Summary::default(),
        buffered: 0,
        origins: Vec::new(),
        min_level: case_repo.config.ingest.min_level,
        opened: 0,
        files: None,
        combination_key: Vec::new(),
    };
    let result = state
        .read_all(&args.files, case_repo)
        .and_then(|()| state.commit(args.dry_run));
    if result.is_err() {
        state.discard();
    }
    result?;
    state.report(args.dry_run)?;
    Ok(if state.summary.invalid.is_empty() {
        0
    } else {
        1
    })
}

/// Set by Ctrl-C during an ingest that writes.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Set when the ingest has started its commit, which a first Ctrl-C no longer stops.
static COMMITTING: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C stop the ingest at the next alert and remove what it wrote, as any failure
/// does, instead of ending the process with new incidents half written. A second Ctrl-C
/// ends the process at once, for a run that waits on standard input.
fn stop_on_interrupt() {
    let installed = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        if COMMITTING.load(Ordering::SeqCst) {
            eprintln!(
                "ingest is committing and finishes first; Ctrl-C again stops at once and \
                 leaves its files uncommitted"
            );
        } else {
            eprintln!(
                "stopping: ingest removes the files it wrote; press Ctrl-C again to stop at once"
            );
        }
    });
    // Without the handler, Ctrl-C ends the process as it did before.
    let _ = installed;
}

/// Returns an error once Ctrl-C was pressed.
fn check_interrupt() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(Error::invalid(
            "ingest interrupted by Ctrl-C; nothing was ingested",
        ));
    }
    Ok(())
}

/// Refuses to ingest while files under `incidents/` are uncommitted, because the run's one
/// commit must contain exactly what it added.
fn require_clean_incidents(repo: &crate::repo::CaseRepo) -> Result<()> {
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(false)
        .pathspec(crate::incident::INCIDENTS_DIR);
    let statuses = repo
        .git
        .statuses(Some(&mut options))
        .map_err(Error::git("read the status of incidents/"))?;
    let dirty: Vec<String> = statuses
        .iter()
        .filter_map(|entry| entry.path().map(str::to_string))
        .take(3)
        .collect();
    if dirty.is_empty() {
        return Ok(());
    }
    Err(Error::invalid_with_hint(
        format!("incidents/ has uncommitted changes ({})", dirty.join(", ")),
        "commit or remove them (`git status` lists them) and run ingest again",
    ))
}

impl Run<'_> {
    fn read_all(&mut self, files: &[PathBuf], repo: &crate::repo::CaseRepo) -> Result<()> {
        for file in files {
            let name = if file == Path::new("-") {
                "stdin".to_string()
            } else {
                file.display().to_string()
            };
            self.origins.push(name.clone());
            let (reader, size): (Box<dyn BufRead + Send>, Option<u64>) = if file == Path::new("-") {
                (
                    Box::new(BufReader::with_capacity(1 << 16, std::io::stdin())),
                    None,
                )
            } else {
                let handle = std::fs::File::open(file).map_err(Error::io("open", file))?;
                let size = handle.metadata().ok().map(|m| m.len());
                (Box::new(BufReader::with_capacity(1 << 16, handle)), size)
            };
            self.read_one(&name, reader, size, repo)?;
        }
        Ok(())
    }

    /// Reads one input. JSON lines, the layout of Wazuh's `alerts.json`, are parsed on all
    /// cores; the other layouts are read alert by alert.
    fn read_one(
        &mut self,
        name: &str,
        mut reader: Box<dyn BufRead + Send>,
        size: Option<u64>,
        repo: &crate::repo::CaseRepo,
    ) -> Result<()> {
        // Wazuh also writes alerts.log, a text format that starts each alert with `** Alert`.
        let head = reader.fill_buf().map_err(Error::io("read", name))?;
        if head.starts_with(b"** Alert ") {
            return Err(Error::invalid_with_hint(
                format!("`{name}` is in Wazuh's plain-text alerts.log format, not JSON"),
                "ingest the JSON alerts instead: /var/ossec/logs/alerts/alerts.json",
            ));
        }
        let progress = progress_bar(self.context, size);
        let dedupe_fields = &repo.config.ingest.dedupe_key;
        let mut alerts = AlertReader::new(reader).with_dedupe_fields(dedupe_fields);
        if let Some(first) = alerts.next() {
            let mut first = first.map(Prepared::from_raw);
            self.take(&mut first, name, repo)?;
        }
        let result = if alerts.layout() == Some(InputLayout::JsonLines) {
            let remainder = alerts.into_remainder();
            std::thread::scope(|scope| {
                let chunks = lines::parse_in_parallel(scope, remainder, dedupe_fields);
                let (spent, spent_receiver) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(4);
                scope.spawn(move || {
                    for alerts in spent_receiver {
                        drop(alerts)
                    }
                });
                for chunk in chunks {
                    if let Some(bar) = &progress {
                        bar.set_position(chunk.bytes_read);
                    }
                    let mut alerts = chunk.alerts;
                    for item in &mut alerts {
                        self.take(item, name, repo)?;
                    }
                    // The alerts were allocated on the parsing threads, and freeing them here
                    // waited on the allocator's locks for those threads' memory. Freed on a
                    // thread of their own, they no longer hold up this thread, which all the
                    // others wait on.
                    let _ = spent.send(alerts);
                }
                Ok(())
            })
        } else {
            self.read_sequentially(alerts, name, repo, progress.as_ref())
        };
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        result
    }

    fn read_sequentially(
        &mut self,
        mut alerts: AlertReader<Box<dyn BufRead + Send>>,
        name: &str,
        repo: &crate::repo::CaseRepo,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Result<()> {
        let mut count: u64 = 0;
        while let Some(item) = alerts.next() {
            count += 1;
            if count.is_multiple_of(4096) {
                if let Some(bar) = progress {
                    bar.set_position(alerts.bytes_read());
                }
            }
            let mut item = item.map(Prepared::from_raw);
            self.take(&mut item, name, repo)?;
        }
        Ok(())
    }

    /// Adds one alert read from `name`, or records why it is invalid.
    fn take(&mut self, item: &mut Parsed, name: &str, repo: &crate::repo::CaseRepo) -> Result<()> {
        check_interrupt()?;
        match item {
            Ok(prepared) => self.add(prepared, name, repo),
            Err(error) if error.is_io() => Err(Error::invalid(format!(
                "failed to read {name} at line {}: {}",
                error.line, error.reason
            ))),
            Err(error) => {
                self.summary.alerts_read += 1;
                self.summary.invalid.push(InvalidAlert {
                    file: name.to_string(),
                    line: error.line,
                    reason: std::mem::take(&mut error.reason),
                });
                Ok(())
            }
        }
    }

    fn add(
        &mut self,
        prepared: &mut Prepared,
        origin: &str,
        repo: &crate::repo::CaseRepo,
    ) -> Result<()> {
        let Prepared {
            line,
            bytes,
            alert_key,
            facts,
        } = prepared;
        let line = *line;
        let key = facts.dedupe_key.as_str();
        self.summary.alerts_read += 1;
        let config = &repo.config;
        if facts.rule_level < config.ingest.min_level {
            self.summary.below_min_level += 1;
            return Ok(());
        }
        let time = facts.timestamp.to_utc();
        if self.existing.known.check_and_insert(*alert_key, time)? {
            self.summary.duplicates += 1;
            return Ok(());
        }
        self.summary.ingested += 1;
        let window = Duration::minutes(config.ingest.window_minutes as i64);
        // A group's slot is its position in `touched`, set when the run first reaches it.
        let joined = self
            .existing
            .join_group(key, time, window)
            .map(|group| group.slot.ok_or_else(|| group.incident.clone()));
        let position = match joined {
            Some(Ok(slot)) => slot,
            Some(Err(id)) => {
                let position = self.touched_position(&id, key);
                self.existing.note_alert(key, &id, time, Some(position));
                position
            }
            None => {
                let position = self.open_incident(bytes.to_vec(), line, origin, key)?;
                let id = self.touched[position].id.clone();
                self.existing.note_alert(key, &id, time, Some(position));
                position
            }
        };
        let alert = Noted {
            line,
            bytes,
            digest: alert_key.sha256(),
            facts,
            time,
        };
        // The first alert of a new incident is its own evidence file, written by `open`.
        let to_batch = !(self.touched[position].is_new && self.touched[position].alerts == 0);
        self.note(position, alert, to_batch, origin, repo)
    }

    fn touched_position(&mut self, id: &str, key: &str) -> usize {
        if let Some(position) = self.by_id.get(id) {
            return *position;
        }
        self.touched
            .push(Touched::new(id, key, false, self.context));
        self.by_id.insert(id.to_string(), self.touched.len() - 1);
        self.touched.len() - 1
    }

    fn open_incident(
        &mut self,
        bytes: Vec<u8>,
        line: usize,
        origin: &str,
        key: &str,
    ) -> Result<usize> {
        self.opened += 1;
        let number = self.opened;
        let (id, mut change) = match self.workspace {
            Some(workspace) => {
                let alert = reparse(&bytes, origin, line)?;
                let input = AlertInput {
                    bytes,
                    alert,
                    origin: format!("{origin} line {line}"),
                };
                let args = OpenArgs::default();
                let mut quiet = self.context.clone();
                quiet.quiet = true;
                quiet.mute_warnings = true;
                let mut new = open::build(workspace, &quiet, &args, Some(&input))?;
                while self.by_id.contains_key(&new.id) {
                    new = open::build(workspace, &quiet, &args, Some(&input))?;
                }
                (new.id, new.change)
            }
            None => (format!("(new {number})"), Change::default()),
        };
        let mut touched = Touched::new(&id, key, true, self.context);
        let writes = change.take_writes();
        touched.written = writes.keys().cloned().collect();
        // Pushed first, so that a failed write still removes the incident's directory.
        self.touched.push(touched);
        self.by_id.insert(id, self.touched.len() - 1);
        if let Some(workspace) = self.workspace {
            let spool_dir = workspace.repo.git.path().to_path_buf();
            let files = self
                .files
                .get_or_insert_with(|| BatchFiles::start(spool_dir));
            for (relative, content) in writes {
                files.create(workspace.repo.root.join(relative), content)?;
            }
        }
        Ok(self.touched.len() - 1)
    }

    fn note(
        &mut self,
        position: usize,
        alert: Noted<'_>,
        to_batch: bool,
        origin: &str,
        repo: &crate::repo::CaseRepo,
    ) -> Result<()> {
        let dry_run = self.workspace.is_none();
        let Noted {
            line,
            bytes,
            digest,
            facts,
            time,
        } = alert;
        let touched = &mut self.touched[position];
        touched.alerts += 1;
        // Only the first few alerts get their own entry, so only they are read whole. The
        // first alert of a new incident has its entry from `open`.
        if to_batch && touched.entries.len() < ENTRIES_PER_ALERT_MAX {
            let text = open::alert_text(&reparse(bytes, origin, line)?);
            touched.entries.push((time, text, facts.id.clone()));
        }
        // The first alert of a new incident has its indicators recorded by `open` already.
        if to_batch {
            touched.record(&mut self.combination_key, facts, time);
        }
        if !to_batch || dry_run {
            return Ok(());
        }
        let batch = touched.batch.get_or_insert_with(|| {
            let path = repo
                .root
                .join(incident_dir(&touched.id))
                .join(EVIDENCE_DIR)
                .join(format!("{}.json", touched.batch_record));
            BatchWriter::new(path)
        });
        let files = self
            .files
            .get_or_insert_with(|| BatchFiles::start(repo.git.path().to_path_buf()));
        let before = batch.buffered_alerts();
        batch.push(
            bytes,
            digest,
            facts.id.as_deref(),
            &facts.rule_id,
            time,
            files,
        )?;
        self.buffered = (self.buffered + batch.buffered_alerts()).saturating_sub(before);
        if self.buffered > BUFFERED_MAX {
            let batches = self.touched.iter_mut().filter_map(|t| t.batch.as_mut());
            let indexed: usize = batches.map(|batch| batch.buffered_index()).sum();
            for batch in self.touched.iter_mut().filter_map(|t| t.batch.as_mut()) {
                if indexed > INDEX_BUFFERED_MAX {
                    batch.flush(files)?;
                } else {
                    batch.flush_alerts(files)?;
                }
            }
            self.buffered = 0;
        }
        Ok(())
    }

    fn commit(&mut self, dry_run: bool) -> Result<()> {
        for touched in &self.touched {
            self.summary.incidents.push(IncidentSummary {
                id: touched.id.clone(),
                new: touched.is_new,
                alerts: touched.alerts,
                dedupe_key: touched.dedupe_key.clone(),
            });
        }
        let Some(workspace) = self.workspace else {
            return Ok(());
        };
        if dry_run || self.touched.is_empty() {
            return Ok(());
        }
        let created = self.opened;
        let subject = format!(
            "ingest: {} alert(s) into {} incident(s), {created} new",
            self.summary.ingested,
            self.touched.len()
        );
        let mut change = Change::new(subject);
        for touched in &self.touched {
            change
                .body
                .push(format!("- {} {} alert(s)", touched.id, touched.alerts));
        }
        change.body.push(String::new());
        change.body.push("Casefile-Command: ingest".into());
        let origins = self.origins.join(", ");
        let mut hashes = HashMap::new();
        if let Some(mut files) = self.files.take() {
            for batch in self.touched.iter_mut().filter_map(|t| t.batch.as_mut()) {
                batch.flush(&mut files)?;
            }
            if let Some(written) = files.finish()? {
                hashes = written.hashes;
                change.spooled(written.spooled);
            }
        }
        for touched in &mut self.touched {
            let existing = self.existing.incidents.get(&touched.id);
            let hash = touched
                .batch
                .as_ref()
                .and_then(|batch| hashes.get(&batch.data_path));
            touched.finish(
                &mut change,
                workspace,
                self.context,
                existing,
                &origins,
                hash,
            )?;
        }
        check_interrupt()?;
        COMMITTING.store(true, Ordering::SeqCst);
        self.context.apply(workspace, &change)?;
        Ok(())
    }

    fn discard(&mut self) {
        // The writer stops before the files it wrote are removed.
        if let Some(mut files) = self.files.take() {
            let _ = files.finish();
        }
        for touched in &self.touched {
            if let Some(batch) = &touched.batch {
                batch.discard();
            }
            if let (true, Some(workspace)) = (touched.is_new, self.workspace) {
                // The directory did not exist before this run: new IDs are checked to be free.
                let _ =
                    std::fs::remove_dir_all(workspace.repo.root.join(incident_dir(&touched.id)));
            }
        }
    }

    fn report(&self, dry_run: bool) -> Result<()> {
        let summary = &self.summary;
        for invalid in &summary.invalid {
            self.context.warn(format!(
                "{} line {}: skipped: {}",
                invalid.file, invalid.line, invalid.reason
            ));
        }
        if self.context.json {
            return self
                .context
                .print_json(&serde_json::json!({ "dry_run": dry_run, "summary": summary }));
        }
        let mut output = String::new();
        for incident in &summary.incidents {
            let verb = if incident.new { "new" } else { "appended" };
            output.push_str(&format!(
                "{}\t{verb}\t{} alert(s)\n",
                incident.id, incident.alerts
            ));
        }
        self.context.print_data(&output)?;
        let prefix = if dry_run { "would ingest" } else { "ingested" };
        self.context.status(format!(
            "{prefix} {} of {} alert(s) into {} incident(s) ({} new); skipped {} already ingested, {} below level {}, {} invalid",
            summary.ingested,
            summary.alerts_read,
            summary.incidents.len(),
            summary.incidents.iter().filter(|i| i.new).count(),
            summary.duplicates,
            summary.below_min_level,
            self.min_level,
            summary.invalid.len()
        ));
        Ok(())
    }
}

impl Touched {
    fn new(id: &str, key: &str, is_new: bool, context: &Context) -> Self {
        Touched {
            id: id.to_string(),
            dedupe_key: key.to_string(),
            is_new,
            written: Vec::new(),
            batch: None,
            batch_record: format!("alerts-{}", new_record_id(context.clock.now())),
            alerts: 0,
            entries: Vec::new(),
            rules: BTreeMap::new(),
            observed: HashMap::default(),
            recent: HashMap::default(),
            combinations: 0,
        }
    }

    /// Records the rule and the observables of an alert at `time`, with `key` as the buffer
    /// for its [`combination_key`].
    fn record(&mut self, key: &mut Vec<u8>, facts: &AlertFacts, time: DateTime<Utc>) {
        key.clear();
        combination_key(key, facts);
        if let Some(seen) = self.recent.get_mut(key.as_slice()) {
            seen.alerts += 1;
            seen.first = seen.first.min(time);
            seen.last = seen.last.max(time);
            return;
        }
        if self.recent.len() >= COMBINATIONS_MAX {
            self.settle();
        }
        let combination = Combination {
            alerts: 1,
            first: time,
            last: time,
            order: self.combinations,
            rule_id: facts.rule_id.clone(),
            observables: facts.observables.clone(),
        };
        self.recent.insert(key.as_slice().into(), combination);
        self.combinations += 1;
    }

    /// Adds the recent combinations to the counts by rule and to the observed values. They
    /// are added in the order they were first seen, so each value keeps the order in which
    /// the alerts first had it.
    fn settle(&mut self) {
        let mut recent: Vec<Combination> = self.recent.drain().map(|(_, seen)| seen).collect();
        recent.sort_unstable_by_key(|combination| combination.order);
        for combination in recent {
            *self.rules.entry(combination.rule_id).or_default() += combination.alerts;
            for observable in &combination.observables {
                self.observe(observable, combination.first, combination.last);
            }
        }
    }

    /// Records that `observable` was seen first at `first` and last at `last`.
    fn observe(&mut self, observable: &Observable, first: DateTime<Utc>, last: DateTime<Utc>) {
        let values = self.observed.entry(observable.kind).or_default();
        if let Some(seen) = values.get_mut(observable.value.as_str()) {
            seen.first = seen.first.min(first);
            seen.last = seen.last.max(last);
            return;
        }
        let order = values.len();
        values.insert(
            observable.value.clone(),
            Observed {
                first,
                last,
                field: observable.field.clone(),
                order,
            },
        );
    }

    /// Parses the observed values as indicators and merges the spellings of one indicator:
    /// earliest first time, latest last time, and the field of the spelling seen first.
    fn sightings(&self) -> BTreeMap<(IocType, String), Sighting> {
        let mut merged: BTreeMap<(IocType, String), (Sighting, usize)> = BTreeMap::new();
        for (kind, values) in &self.observed {
            for (value, seen) in values {
                let Ok(indicator) = ioc::parse_indicator(value, Some(*kind)) else {
                    continue;
                };
                let entry = merged
                    .entry((indicator.kind, indicator.value))
                    .or_insert(((seen.first, seen.last, seen.field.clone()), seen.order));
                let ((first, last, field), order) = entry;
                *first = (*first).min(seen.first);
                *last = (*last).max(seen.last);
                if seen.order < *order {
                    *field = seen.field.clone();
                    *order = seen.order;
                }
            }
        }
        merged
            .into_iter()
            .map(|(key, (sighting, _))| (key, sighting))
            .collect()
    }

    /// Adds this incident's files to the run's change.
    fn finish(
        &mut self,
        change: &mut Change,
        workspace: &Workspace,
        context: &Context,
        existing: Option<&crate::incident::Incident>,
        origins: &str,
        batch_hash: Option<&[u8; 32]>,
    ) -> Result<()> {
        self.settle();
        let dir = incident_dir(&self.id);
        let now = context.clock.now();
        let recorded = format_time(now);
        let actor = workspace.actor();
        let is_new = self.is_new;
        for path in self.written.drain(..) {
            change.prewritten(path);
        }
        if is_new {
            change.created_dir(&dir);
        }
        let batched = self
            .batch
            .as_ref()
            .and_then(|batch| Some((batch.alerts, batch.first?, batch.last?)));
        if let Some(batch) = &self.batch {
            let sha256 = batch_hash.ok_or_else(|| {
                Error::invalid(format!(
                    "internal error: no SHA-256 for {}",
                    batch.data_path.display()
                ))
            })?;
            let file = batch
                .data_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let index = batch
                .index_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            change.prewritten(dir.join(EVIDENCE_DIR).join(&file));
            change.prewritten(dir.join(EVIDENCE_DIR).join(&index));
            let record = EvidenceRecord {
                id: String::new(),
                file,
                sha256: crate::report::hex(sha256),
                size: batch.size(),
                received: recorded.clone(),
                actor: actor.clone(),
                origin: origins.to_string(),
                alert_id: None,
                rule_id: batch.rule().map(str::to_string),
                alert_time: batch.last.map(format_time),
                dedupe_key: Some(self.dedupe_key.clone()),
                alerts: Some(batch.alerts),
                index: Some(index),
                first_alert_time: batch.first.map(format_time),
            };
            change.write(
                dir.join(EVIDENCE_DIR)
                    .join(format!("{}.toml", self.batch_record)),
                record_toml(&record)?,
            );
        }
        self.timeline(change, &dir, &recorded, &actor, batched, context)?;
        self.indicators(change, &dir, &recorded, &actor, existing, context)
    }

    fn timeline(
        &self,
        change: &mut Change,
        dir: &Path,
        recorded: &str,
        actor: &str,
        batched: Option<(u64, DateTime<Utc>, DateTime<Utc>)>,
        context: &Context,
    ) -> Result<()> {
        let now = context.clock.now();
        let mut write_entry =
            |at: DateTime<Utc>, text: String, source: Option<String>| -> Result<()> {
                let entry = TimelineEntry {
                    id: String::new(),
                    at: format_time(at),
                    recorded: recorded.to_string(),
                    actor: actor.to_string(),
                    kind: EntryKind::Alert,
                    text,
                    source,
                    tlp: None,
                };
                change.write(
                    dir.join(TIMELINE_DIR)
                        .join(format!("{}.toml", new_record_id(now))),
                    record_toml(&entry)?,
                );
                Ok(())
            };
        let Some((batched_alerts, first, last)) = batched else {
            return Ok(());
        };
        if self.alerts as usize <= ENTRIES_PER_ALERT_MAX {
            for (at, text, alert_id) in &self.entries {
                write_entry(
                    *at,
                    text.clone(),
                    Some(format!(
                        "wazuh alert {}",
                        alert_id.as_deref().unwrap_or("without id")
                    )),
                )?;
            }
            return Ok(());
        }
        let rules: Vec<String> = self
            .rules
            .iter()
            .map(|(rule, count)| format!("rule {rule} x{count}"))
            .collect();
        let text = format!(
            "{batched_alerts} more Wazuh alerts ({}) between {} and {}, kept in evidence/{}.json",
            rules.join(", "),
            format_time(first),
            format_time(last),
            self.batch_record
        );
        write_entry(first, text, Some("casefile ingest".into()))
    }

    fn indicators(
        &self,
        change: &mut Change,
        dir: &Path,
        recorded: &str,
        actor: &str,
        existing: Option<&crate::incident::Incident>,
        context: &Context,
    ) -> Result<()> {
        let now = context.clock.now();
        for ((kind, value), (first, last, field)) in &self.sightings() {
            let source = format!("alert field {field}");
            let (first, last) = (format_time(*first), format_time(*last));
            let covered = existing.is_some_and(|incident| {
                incident.ioc_records.iter().any(|record| {
                    record.kind == *kind
                        && &record.value == value
                        && record.source == source
                        && compare_times(&record.last_seen, &last).is_ge()
                })
            });
            if covered {
                continue;
            }
            let record = IocRecord {
                id: String::new(),
                kind: *kind,
                value: value.clone(),
                first_seen: first,
                last_seen: last,
                recorded: recorded.to_string(),
                actor: actor.to_string(),
                source,
                tlp: None,
                note: None,
            };
            change.write(
                dir.join(IOCS_DIR)
                    .join(format!("{}.toml", new_record_id(now))),
                record_toml(&record)?,
            );
        }
        Ok(())
    }
}

fn progress_bar(context: &Context, size: Option<u64>) -> Option<indicatif::ProgressBar> {
    if context.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    match size {
        Some(bytes) if bytes >= 8 << 20 => {
            let bar = indicatif::ProgressBar::new(bytes);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            Some(bar)
        }
        Some(_) => None,
        None => Some(indicatif::ProgressBar::new_spinner()),
    }
}
