//! `casefile check`: validate every incident of the repository, for CI.

use std::fmt::Write as _;

use clap::{Args, ValueEnum};

use crate::check::{self, CheckOptions, CheckReport, Finding};
use crate::error::{Error, Result};

use super::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per finding: severity, file:line, message and code
    Human,
    /// A JSON array of findings with severity, code, incident, file, line and message
    Json,
    /// GitHub Actions workflow commands, which annotate the files of a pull request
    Github,
}

/// Validate every incident: required fields, phase history against the data, ATT&CK
/// techniques, indicators, times, duplicate IDs, portable paths, symbolic links (reported, never
/// followed), evidence hashes and batch indexes, the attribute that keeps git from converting
/// evidence line endings, templates and rendered documents. With --base, also check the history
/// since REF: records only appended, closed incidents changed only through a reopen, no
/// back-dated entries. Exits 1 when an error is found; warnings alone exit 0
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also check the commits since this revision (a branch, tag or commit), from the merge base
    /// to HEAD as `git diff REF...HEAD` compares them; uncommitted changes are not included
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,

    /// Output format; --json is the same as --format json
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

pub fn run(args: CheckArgs, context: &mut Context) -> Result<i32> {
    let git = git2::Repository::discover(&context.dir).map_err(|source| {
        Error::invalid_with_hint(
            format!(
                "`{}` is not inside a git repository: {source}",
                context.dir.display()
            ),
            "run `casefile check` in a case repository, or pass `-C DIR`",
        )
    })?;
    let root = git
        .workdir()
        .ok_or_else(|| Error::invalid("the repository is bare; casefile needs a work tree"))?
        .to_path_buf();
    let options = CheckOptions {
        base: args.base.as_deref(),
    };

    let report = check::check_repository(&git, &root, &options)?;

    let format = if context.json {
        Format::Json
    } else {
        args.format
    };
    let output = match format {
        Format::Human => human(&report),
        Format::Json => json(&report)?,
        Format::Github => github(&report),
    };
    context.print_data(&output)?;
    context.status(format!(
        "checked {} incident(s): {} error(s), {} warning(s)",
        report.incidents,
        report.errors(),
        report.warnings()
    ));
    Ok(if report.errors() > 0 { 1 } else { 0 })
}

fn location(finding: &Finding) -> String {
    match finding.line {
        Some(line) => format!("{}:{line}", finding.file),
        None => finding.file.clone(),
    }
}

fn human(report: &CheckReport) -> String {
    let mut output = String::new();
    for finding in &report.findings {
        let _ = writeln!(
            output,
            "{}: {}: {} [{}]",
            finding.severity.as_str(),
            location(finding),
            finding.message,
            finding.code
        );
    }
    output
}

fn json(report: &CheckReport) -> Result<String> {
    serde_json::to_string_pretty(&report.findings).map_err(|source| Error::Json {
        context: "the findings".into(),
        source,
    })
}

/// Formats findings as workflow commands; GitHub requires `%`, CR and LF escaped in the
/// message, and `:` and `,` too in property values.
fn github(report: &CheckReport) -> String {
    let mut output = String::new();
    for finding in &report.findings {
        let mut properties = format!("file={}", escape_property(&finding.file));
        if let Some(line) = finding.line {
            let _ = write!(properties, ",line={line}");
        }
        let _ = write!(properties, ",title={}", escape_property(finding.code));
        let _ = writeln!(
            output,
            "::{} {properties}::{}",
            finding.severity.as_str(),
            escape_data(&finding.message)
        );
    }
    output
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
