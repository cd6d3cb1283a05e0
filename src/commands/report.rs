//! `casefile report` and `casefile lessons`: render documents into the incident's directory
//! (and commit them) or to a file or stdout.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::error::{Error, Result};
use crate::incident::Incident;
use crate::repo::write_atomic;
use crate::report::{Document, Renderer, REPORT_HTML_FILE};
use crate::tlp::Tlp;

use super::{incident_change, Context, Workspace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Markdown,
    Html,
}

/// Render the final report: summary, timeline, IOCs, actions, impact, ATT&CK mapping, verdict,
/// severity and durations. By default it is written into the incident's directory and
/// committed; `-o -` prints it
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Incident ID
    #[arg(required = true)]
    pub id: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: Format,
    /// Render only what may be shared at this TLP level, and mark the document with it
    #[arg(long)]
    pub tlp: Option<String>,
    /// Output file, or `-` for stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Render the lessons-learned document: what happened, what went well and what did not, root
/// cause, recommendations and follow-ups
#[derive(Debug, Args)]
pub struct LessonsArgs {
    /// Incident ID
    pub id: String,
    /// Output file, or `-` for stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run_report(args: ReportArgs, context: &mut Context) -> Result<i32> {
    let tlp = args.tlp.as_deref().map(Tlp::parse).transpose()?;
    let id = args.id.as_deref().unwrap_or_default();
    let (document, format) = (Document::Report, args.format);
    render_one(context, id, document, format, tlp, args.output.as_deref())
}

pub fn run_lessons(args: LessonsArgs, context: &mut Context) -> Result<i32> {
    render_one(
        context,
        &args.id,
        Document::Lessons,
        Format::Markdown,
        None,
        args.output.as_deref(),
    )
}

/// Renders one document as text.
pub fn render_text(
    workspace_root: &Path,
    config: &crate::config::Config,
    incident: &Incident,
    document: Document,
    format: Format,
    tlp: Option<Tlp>,
    commit: Option<&str>,
) -> Result<String> {
    let renderer = Renderer::new(workspace_root)?;
    match format {
        Format::Markdown => renderer.render_markdown(document, incident, config, tlp, commit),
        Format::Html => renderer.render_html(incident, config, tlp, commit),
    }
}

fn render_one(
    context: &mut Context,
    id: &str,
    document: Document,
    format: Format,
    tlp: Option<Tlp>,
    output: Option<&Path>,
) -> Result<i32> {
    // Printing or writing elsewhere needs no identity; writing into the incident commits.
    let into_incident = output.is_none();
    let (repo, workspace) = if into_incident {
        let workspace = context.workspace()?;
        (None, Some(workspace))
    } else {
        (Some(context.repo()?), None)
    };
    let repo_ref = repo
        .as_ref()
        .or(workspace.as_ref().map(|w| &w.repo))
        .expect("a repository is open");
    let incident_id = crate::incident::id::parse_incident_id(id)?;
    let incident = Incident::load(&repo_ref.root, &incident_id)?;
    let commit = repo_ref.head_commit();
    let text = render_text(
        &repo_ref.root,
        &repo_ref.config,
        &incident,
        document,
        format,
        tlp,
        commit.as_deref(),
    )?;

    match (output, workspace) {
        (Some(path), _) if path == Path::new("-") => context.print_data(&text)?,
        (Some(path), _) => {
            write_atomic(path, text.as_bytes())?;
            context.status(format!("wrote {}", path.display()));
        }
        (None, Some(workspace)) => {
            write_into_incident(context, &workspace, &incident, document, format, tlp, &text)?
        }
        (None, None) => unreachable!("a workspace is opened when writing into the incident"),
    }
    Ok(0)
}

fn write_into_incident(
    context: &Context,
    workspace: &Workspace,
    incident: &Incident,
    document: Document,
    format: Format,
    tlp: Option<Tlp>,
    text: &str,
) -> Result<()> {
    if tlp.is_some() {
        return Err(Error::invalid_with_hint(
            "a TLP-limited report is not written into the incident, whose report.md is the full one",
            "add `-o FILE` (or `-o -`) to write the limited report elsewhere",
        ));
    }
    let file_name = match (document, format) {
        (Document::Report, Format::Html) => REPORT_HTML_FILE,
        _ => document.file_name(),
    };
    let path = incident.dir.join(file_name);
    let existing = std::fs::read_to_string(workspace.repo.root.join(&path)).ok();
    let same_data = existing
        .as_deref()
        .and_then(crate::report::recorded_digest)
        .is_some_and(|digest| Some(digest) == crate::report::recorded_digest(text));
    if same_data {
        context.status(format!("{} is current", path.display()));
        return Ok(());
    }
    let mut change = incident_change(
        incident.id(),
        document.template(),
        &format!("render {file_name}"),
    );
    change.write(&path, text.as_bytes().to_vec());
    context.apply(workspace, &change)?;
    context.status(format!("wrote {}", path.display()));
    // The report's path on stdout lets scripts pick it up.
    context.print_data(&workspace.repo.root.join(&path).display().to_string())?;
    Ok(())
}
