//! One module per subcommand. Each has an `Args` struct whose doc comment is its help text
//! and a `run` function that resolves inputs, changes files and reports.

pub mod action;
pub mod advance;
pub mod check;
pub mod classify;
pub mod completions;
pub mod demo;
pub mod doctor;
pub mod enrich;
pub mod export;
pub mod extract;
pub mod followup;
pub mod ingest;
pub mod init;
pub mod ioc;
pub mod list;
pub mod open;
pub mod owner;
pub mod report;
pub mod search;
pub mod show;
pub mod stats;
pub mod text;
pub mod timeline;
pub mod verdict;

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::cli::{Command, GlobalArgs};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::incident::{id::parse_incident_id, Incident};
use crate::phase::Phase;
use crate::repo::{Analyst, Applied, CaseRepo, Change};

/// The global options and the clock that every command receives.
#[derive(Clone)]
pub struct Context {
    pub dir: PathBuf,
    pub no_commit: bool,
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    pub clock: Clock,
    /// Identity used instead of git's, for `demo`.
    pub analyst_override: Option<Analyst>,
    /// Whether data output is suppressed, for commands that `demo` runs.
    pub silent_stdout: bool,
    /// Whether warnings are suppressed, for per-alert work that `ingest` summarizes instead.
    pub mute_warnings: bool,
}

impl Context {
    pub fn new(global: &GlobalArgs, clock: Clock) -> Self {
        Context {
            dir: global.dir.clone(),
            no_commit: global.no_commit,
            json: global.json,
            quiet: global.quiet,
            verbose: global.verbose,
            clock,
            analyst_override: None,
            silent_stdout: false,
            mute_warnings: false,
        }
    }

    /// Opens the case repository at `-C DIR`.
    pub fn repo(&self) -> Result<CaseRepo> {
        CaseRepo::open(&self.dir)
    }

    /// Opens the repository, resolves the analyst and takes the repository's lock, for
    /// commands that change files. The lock is held until the command ends, so commands run
    /// one after another and each sees the commit of the one before.
    pub fn workspace(&self) -> Result<Workspace> {
        let repo = self.repo()?;
        let analyst = match &self.analyst_override {
            Some(analyst) => analyst.clone(),
            None => repo.analyst()?,
        };
        let lock = lock_repository(&repo)?;
        Ok(Workspace {
            repo,
            analyst,
            _lock: lock,
        })
    }

    /// Prints a status line on stderr unless `--quiet`.
    pub fn status(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", message.as_ref());
        }
    }

    /// Prints a warning on stderr, even with `--quiet`.
    pub fn warn(&self, message: impl AsRef<str>) {
        if self.mute_warnings {
            return;
        }
        eprintln!("warning: {}", message.as_ref());
    }

    /// Writes a change and commits it unless `--no-commit`, then reports what happened.
    pub fn apply(&self, workspace: &Workspace, change: &Change) -> Result<Applied> {
        if !self.no_commit {
            reject_uncommitted(&workspace.repo, change)?;
        }
        let applied =
            workspace
                .repo
                .apply(change, &workspace.analyst, &self.clock, !self.no_commit)?;
        match &applied {
            Applied::Committed(oid) if self.verbose > 0 => self.status(format!(
                "committed {} {}",
                &oid.to_string()[..12],
                change.subject
            )),
            Applied::WrittenOnly => self.status(format!(
                "wrote files without committing: {}; commit them with \
                 `git add -A incidents && git commit`",
                change.subject
            )),
            _ => {}
        }
        Ok(applied)
    }
}

/// An opened repository, the analyst who changes it, and the repository's lock.
pub struct Workspace {
    pub repo: CaseRepo,
    pub analyst: Analyst,
    _lock: std::fs::File,
}

/// Rejects a change that rewrites a tracked file with uncommitted edits, because the commit
/// would record those edits as part of this command.
fn reject_uncommitted(repo: &CaseRepo, change: &Change) -> Result<()> {
    // A status query compares the work tree, so it costs far more than a lookup in the index
    // and HEAD's tree. A path in neither is a new file and has no edits to lose.
    let index = repo.git.index().ok();
    let head_tree = repo
        .git
        .head()
        .ok()
        .and_then(|head| head.peel_to_tree().ok());
    for path in change.paths() {
        let in_index = index
            .as_ref()
            .is_some_and(|index| index.get_path(path, 0).is_some());
        let in_head = head_tree
            .as_ref()
            .is_some_and(|tree| tree.get_path(path).is_ok());
        if !in_index && !in_head {
            continue;
        }
        let Ok(status) = repo.git.status_file(path) else {
            continue;
        };
        let edited = status.intersects(
            git2::Status::WT_MODIFIED
                | git2::Status::WT_DELETED
                | git2::Status::INDEX_MODIFIED
                | git2::Status::INDEX_DELETED
                | git2::Status::WT_TYPECHANGE,
        );
        if edited {
            return Err(Error::invalid_with_hint(
                format!(
                    "`{}` has uncommitted changes, which this command's commit would include",
                    path.display()
                ),
                "commit them first (`git commit`), or discard them (`git checkout -- FILE`)",
            ));
        }
    }
    Ok(())
}

/// Maximum time a command waits for another casefile command on the same repository.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Takes an exclusive lock on `.git/casefile.lock`, waiting up to [`LOCK_WAIT`] for another
/// casefile command to finish. The operating system releases the lock when the process ends.
fn lock_repository(repo: &CaseRepo) -> Result<std::fs::File> {
    let path = repo.git.path().join("casefile.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(Error::io("open", &path))?;
    let started = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::invalid_with_hint(
                    format!(
                        "another casefile command has held `{}` for over a minute",
                        path.display()
                    ),
                    "wait for it to finish and run the command again",
                ))
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(Error::Io {
                    action: "lock",
                    path,
                    source,
                })
            }
        }
    }
}

impl Workspace {
    /// Loads an incident by the ID the user typed.
    pub fn incident(&self, input: &str) -> Result<Incident> {
        let id = parse_incident_id(input)?;
        Incident::load(&self.repo.root, &id)
    }

    /// Loads an incident that may still change: one that is not closed.
    pub fn open_incident(&self, input: &str) -> Result<Incident> {
        let incident = self.incident(input)?;
        if incident.phase() == Phase::Closed {
            return Err(Error::invalid_with_hint(
                format!("incident {} is closed, so it cannot change", incident.id()),
                format!(
                    "reopen it first with `casefile reopen {} --reason TEXT`",
                    incident.id()
                ),
            ));
        }
        Ok(incident)
    }

    pub fn actor(&self) -> String {
        self.analyst.to_string()
    }
}

/// Builds a change for `incident` whose commit message names it and the command.
pub fn incident_change(incident_id: &str, command: &str, summary: &str) -> Change {
    // Summaries can quote alert fields, and git rejects a NUL in a commit message.
    let summary = crate::report::text::make_visible(summary).replace('\n', " ");
    let mut change = Change::new(format!("{incident_id}: {summary}"));
    change
        .body
        .push(format!("Casefile-Incident: {incident_id}"));
    change.body.push(format!("Casefile-Command: {command}"));
    change
}

impl Context {
    /// Prints a value as pretty JSON on stdout.
    pub fn print_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        if self.silent_stdout {
            return Ok(());
        }
        let text = serde_json::to_string_pretty(value).map_err(|source| Error::Json {
            context: "the output".into(),
            source,
        })?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{text}").map_err(Error::io("write", "standard output"))
    }

    /// Prints data on stdout, adding a final newline when missing.
    pub fn print_data(&self, text: &str) -> Result<()> {
        if self.silent_stdout || text.is_empty() {
            return Ok(());
        }
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .map_err(Error::io("write", "standard output"))?;
        if !text.ends_with('\n') {
            stdout
                .write_all(b"\n")
                .map_err(Error::io("write", "standard output"))?;
        }
        Ok(())
    }
}

/// Runs the parsed command.
pub fn run(command: Command, context: &mut Context) -> Result<i32> {
    match command {
        Command::Init(args) => init::run(args, context),
        Command::Demo(args) => demo::run(args, context),
        Command::Open(args) => open::run(args, context),
        Command::Ingest(args) => ingest::run(args, context),
        Command::List(args) => list::run(args, context),
        Command::Show(args) => show::run(args, context),
        Command::Take(args) => owner::run_take(args, context),
        Command::Assign(args) => owner::run_assign(args, context),
        Command::Timeline(command) => timeline::run(command, context),
        Command::Ioc(command) => ioc::run(command, context),
        Command::Extract(args) => extract::run(args, context),
        Command::Search(args) => search::run(args, context),
        Command::Enrich(args) => enrich::run(args, context),
        Command::Verdict(args) => verdict::run(args, context),
        Command::Classify(args) => classify::run(args, context),
        Command::Action(command) => action::run(command, context),
        Command::Summary(args) => text::run_summary(args, context),
        Command::Recommend(args) => text::run_recommend(args, context),
        Command::Retro(args) => text::run_retro(args, context),
        Command::Followup(command) => followup::run(command, context),
        Command::Advance(args) => advance::run_advance(args, context),
        Command::Reopen(args) => advance::run_reopen(args, context),
        Command::Report(args) => report::run_report(args, context),
        Command::Lessons(args) => report::run_lessons(args, context),
        Command::Export(args) => export::run(args, context),
        Command::Stats(args) => stats::run(args, context),
        Command::Check(args) => check::run(args, context),
        Command::Doctor(args) => doctor::run(args, context),
        Command::Completions(args) => completions::run_completions(args),
        Command::Man(args) => completions::run_man(args),
    }
}
