//! `casefile report` and `casefile lessons`: render documents into the incident's directory
//! (and commit them) or to a file or stdout.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::error::{Error, Result};
use crate::incident::Incident;
use crate::repo::write_atomic;
use crate::report::{batch, Document, Renderer, REPORT_HTML_FILE};
use crate::tlp::Tlp;

use super::{incident_change, Context, Workspace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Markdown,
    Html,
}

/// Render the final report: summary, timeline, IOCs, actions, impact, ATT&CK mapping, verdict,
/// severity, waivers and durations. By default it is written into the incident's directory and
/// committed; `-o -` prints it.
///
/// With `--tlp LEVEL` the report contains only what may be shared at that level and is marked
/// with it. Timeline entries and IOCs without a marking of their own carry the incident's. When
/// the incident itself is marked above LEVEL, its free-text fields (title, summary, impact,
/// verdict reason, owner, agent, actions, waiver reasons, lessons) are withheld too. Then only
/// entries and IOCs explicitly marked at or below LEVEL remain, beside the structural data (ID,
/// phase, verdict, severity, type, ATT&CK mapping, phase times, durations). The report lists
/// what it withheld.
///
/// `--all --out DIR` renders every incident, or with `--since REV` those whose files changed
/// between that git revision and the work tree, into DIR as `<ID>.md` or `<ID>.html` plus an
/// index. It makes no commit and writes nothing into the repository: a DIR inside the work tree
/// must be ignored by git.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Incident ID
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub id: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: Format,
    /// Render only what may be shared at this TLP level (CLEAR, GREEN, AMBER, AMBER+STRICT,
    /// RED), and mark the document with it
    #[arg(long, value_name = "LEVEL")]
    pub tlp: Option<String>,
    /// Output file, or `-` for stdout
    #[arg(short, long, value_name = "FILE", conflicts_with = "all")]
    pub output: Option<PathBuf>,
    /// Render every incident into the directory given by `--out`
    #[arg(long, requires = "out")]
    pub all: bool,
    /// Directory for `--all`, created if missing
    #[arg(long, value_name = "DIR", requires = "all")]
    pub out: Option<PathBuf>,
    /// With `--all`, render only incidents changed since this git revision
    #[arg(long, value_name = "REV", requires = "all")]
    pub since: Option<String>,
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
    if let (true, Some(out)) = (args.all, args.out.as_deref()) {
        return render_all(context, out, args.since.as_deref(), args.format, tlp);
    }
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
            super::export::write_output(path, text.as_bytes())?;
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

/// Renders every incident, or those changed since `since`, into `out` with an index page.
fn render_all(
    context: &Context,
    out: &Path,
    since: Option<&str>,
    format: Format,
    tlp: Option<Tlp>,
) -> Result<i32> {
    let repo = context.repo()?;
    batch::check_output_dir(&repo, out)?;
    let mut ids = crate::incident::list_ids(&repo.root)?;
    if let Some(revision) = since {
        let changed = batch::changed_since(&repo, revision)?;
        ids.retain(|id| changed.contains(id));
    }
    let renderer = Renderer::new(&repo.root)?;
    let commit = repo.head_commit();
    std::fs::create_dir_all(out).map_err(Error::io("create directory", out))?;

    let extension = match format {
        Format::Markdown => "md",
        Format::Html => "html",
    };
    let mut rows = Vec::with_capacity(ids.len());
    for id in &ids {
        let incident = Incident::load(&repo.root, id)?;
        let text = match format {
            Format::Markdown => renderer.render_markdown(
                Document::Report,
                &incident,
                &repo.config,
                tlp,
                commit.as_deref(),
            )?,
            Format::Html => {
                renderer.render_html(&incident, &repo.config, tlp, commit.as_deref())?
            }
        };
        let file = format!("{id}.{extension}");
        write_atomic(&out.join(&file), text.as_bytes())?;
        let view = crate::report::view::build(&incident, &repo.config, tlp);
        rows.push(batch::IndexRow {
            id: view.id,
            title: view.title,
            phase: view.phase,
            severity: view.severity,
            verdict: view.verdict,
            tlp: view.tlp,
            file,
        });
    }

    let index = render_index(&renderer, &rows, since, tlp, commit.as_deref(), format)?;
    let index_path = out.join(format!("index.{extension}"));
    write_atomic(&index_path, index.as_bytes())?;
    context.status(format!(
        "rendered {} report(s) into {}",
        rows.len(),
        out.display()
    ));
    context.print_data(&index_path.display().to_string())?;
    Ok(0)
}

fn render_index(
    renderer: &Renderer,
    rows: &[batch::IndexRow],
    since: Option<&str>,
    tlp: Option<Tlp>,
    commit: Option<&str>,
    format: Format,
) -> Result<String> {
    let mut index_context = tera::Context::new();
    index_context.insert("reports", rows);
    index_context.insert("since", &since);
    index_context.insert("tlp", &tlp.map(|tlp| tlp.to_string()));
    index_context.insert(
        "commit",
        &commit.map(|c| c.chars().take(12).collect::<String>()),
    );
    index_context.insert("version", env!("CARGO_PKG_VERSION"));
    let markdown = renderer.render_with(crate::report::INDEX_TEMPLATE, &index_context)?;
    let markdown = markdown.trim_start().to_string();
    match format {
        Format::Markdown => Ok(markdown),
        Format::Html => {
            let marking = tlp.map_or_else(String::new, |tlp| tlp.to_string());
            let body = crate::report::markdown_to_html(&markdown);
            renderer.wrap_html("Incident reports", &marking, &body, "")
        }
    }
}
