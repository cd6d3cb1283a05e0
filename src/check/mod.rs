//! Validation of a whole case repository for CI: every incident's files, their phase history,
//! the paths git tracks, rendered documents and, against a base revision, the history itself.
//!
//! Every problem becomes a [`Finding`] with a stable code. Nothing here aborts on bad data, so
//! one broken file does not hide the problems of the others.

mod batches;
mod documents;
mod fields;
mod history;
mod load;
mod paths;
mod phases;
mod records;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::config::{Config, CONFIG_FILE};
use crate::error::Result;
use crate::incident::INCIDENTS_DIR;
use crate::report::Renderer;

pub use load::toml_error_line;

/// Severity of a finding: errors fail `check`, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable identifier of the kind of problem, such as `attack-revoked`.
    pub code: &'static str,
    /// The incident the finding belongs to, when it belongs to one.
    pub incident: Option<String>,
    /// Path relative to the repository root, with `/` separators.
    pub file: String,
    /// 1-based line in `file`, when the problem sits on one line.
    pub line: Option<usize>,
    pub message: String,
}

impl Finding {
    pub fn error(code: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            code,
            incident: None,
            file: file.into(),
            line: None,
            message: message.into(),
        }
    }

    pub fn warning(
        code: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(code, file, message)
        }
    }

    pub fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub fn in_incident(mut self, incident: &str) -> Self {
        self.incident = Some(incident.to_string());
        self
    }
}

/// Options of one check run.
pub struct CheckOptions<'a> {
    /// Revision to compare the history against (`--base`).
    pub base: Option<&'a str>,
}

/// The outcome of a check: the findings, sorted by file and line, and how much was checked.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub findings: Vec<Finding>,
    pub incidents: usize,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.severity == severity)
            .count()
    }
}

/// Checks the case repository whose work tree is `root`.
///
/// Fails only when the repository cannot be read at all (no git repository, an unknown
/// `--base` revision); every problem in the data becomes a finding.
pub fn check_repository(
    git: &git2::Repository,
    root: &Path,
    options: &CheckOptions,
) -> Result<CheckReport> {
    let mut findings = Vec::new();
    let config = load_config(root, &mut findings);
    let renderer = match Renderer::new(root) {
        Ok(renderer) => Some(renderer),
        Err(error) => {
            findings.push(documents::template_finding(&error));
            None
        }
    };

    let listed = load::incident_dirs(root)?;
    findings.extend(listed.findings);
    let names = listed.names;
    findings.extend(paths::check_evidence_attribute(
        git,
        names.first().map(String::as_str),
    ));
    let rendered = documents::RenderedShapes::default();
    let check_one = |name: &String| {
        let checked = load::load_incident(root, name);
        let mut findings = checked.findings;
        let Some(incident) = checked.incident else {
            return Loaded { id: None, findings };
        };
        phases::check_incident(&incident, &config, &mut findings);
        if let Some(renderer) = &renderer {
            documents::check_documents(
                root,
                &incident,
                &checked.documents,
                &config,
                renderer,
                &rendered,
                &mut findings,
            );
        }
        // Only the ID outlives the checks, so a large repository is never all in memory.
        Loaded {
            id: Some((incident.id().to_string(), incident.dir.clone())),
            findings,
        }
    };
    // The tracked paths come from the git index, which one thread reads while the others
    // read the incidents.
    let index_path = git.path().join("index");
    let (loaded, tracked) = std::thread::scope(|scope| {
        let tracked = scope.spawn(|| paths::check_tracked_paths(&index_path));
        let loaded: Vec<Loaded> = match io_pool() {
            Some(pool) => pool.install(|| names.par_iter().map(check_one).collect()),
            None => names.par_iter().map(check_one).collect(),
        };
        (loaded, tracked.join())
    });
    let tracked = match tracked {
        Ok(tracked) => tracked?,
        Err(panic) => std::panic::resume_unwind(panic),
    };

    findings.extend(duplicate_ids(&loaded));
    let incidents = loaded.len();
    for loaded in loaded {
        findings.extend(loaded.findings);
    }
    findings.extend(tracked);
    if let Some(base) = options.base {
        findings.extend(history::check_history(git, base, &config)?);
    }

    findings.sort_by(|a, b| {
        (&a.file, a.line, a.severity, a.code).cmp(&(&b.file, b.line, b.severity, b.code))
    });
    findings.dedup();
    Ok(CheckReport {
        findings,
        incidents,
    })
}

/// Returns a thread pool for reading incidents, or `None` to use rayon's global pool.
///
/// Reading 100,000 small files waits on the file system more than on the CPU, so the pool has
/// more threads than cores. On a loaded 2-core machine, 16 threads read a generated repository
/// of 10,000 incidents in about 60% of the time that 2 threads take (benches/check/bench.sh).
fn io_pool() -> Option<rayon::ThreadPool> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    rayon::ThreadPoolBuilder::new()
        .num_threads((cores * 8).clamp(8, 64))
        .build()
        .ok()
}

/// Reads `casefile.toml`; a broken one becomes a finding and the defaults are used.
fn load_config(root: &Path, findings: &mut Vec<Finding>) -> Config {
    let path = root.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            findings.push(Finding::error(
                "config-invalid",
                CONFIG_FILE,
                format!("cannot read {CONFIG_FILE}: {error}"),
            ));
            return Config::default();
        }
    };
    if let Err(error) = toml::from_str::<Config>(&text) {
        findings.push(
            Finding::error("config-invalid", CONFIG_FILE, error.message().to_string())
                .at_line(toml_error_line(&text, &error)),
        );
        return Config::default();
    }
    match Config::parse(&text, &path) {
        Ok(config) => config,
        Err(error) => {
            let message = match error.hint() {
                Some(hint) => format!("{error}; {hint}"),
                None => error.to_string(),
            };
            findings.push(Finding::error("config-invalid", CONFIG_FILE, message));
            Config::default()
        }
    }
}

/// The result of checking one incident: its ID and directory (when `incident.toml` parsed)
/// and its findings.
struct Loaded {
    id: Option<(String, PathBuf)>,
    findings: Vec<Finding>,
}

/// Reports incident IDs that more than one directory claims.
fn duplicate_ids(loaded: &[Loaded]) -> Vec<Finding> {
    let mut by_id: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, dir) in loaded.iter().filter_map(|loaded| loaded.id.as_ref()) {
        let dir = dir.to_str().unwrap_or_default();
        by_id.entry(id.as_str()).or_default().push(dir);
    }
    let mut findings = Vec::new();
    for (id, dirs) in by_id.into_iter().filter(|(_, dirs)| dirs.len() > 1) {
        for dir in &dirs {
            let others: Vec<&str> = dirs.iter().filter(|d| *d != dir).copied().collect();
            let file = format!(
                "{}/{}",
                dir.replace('\\', "/"),
                crate::incident::INCIDENT_FILE
            );
            findings.push(
                Finding::error(
                    "duplicate-incident-id",
                    file,
                    format!(
                        "incident ID {id} is also used by {}; give one of them a new ID",
                        others.join(", ")
                    ),
                )
                .in_incident(id),
            );
        }
    }
    findings
}

/// Returns the finding for a symbolic link at `path`, relative to the root with `/`
/// separators. `check` reports a link instead of reading through it.
fn symlink_finding(path: &str) -> Finding {
    let finding = Finding::error(
        "path-symlink",
        path,
        format!(
            "`{path}` is a symbolic link, which casefile does not follow because it could point \
             outside the repository; replace the link with the file or directory itself"
        ),
    );
    match path.split('/').nth(1) {
        Some(name) => finding.in_incident(name),
        None => finding,
    }
}

/// Returns the path of a file inside an incident directory, as findings show it.
fn incident_path(dir_name: &str, relative: &str) -> String {
    format!("{INCIDENTS_DIR}/{dir_name}/{relative}")
}
