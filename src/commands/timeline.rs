//! `casefile timeline add` and `timeline list`.

use clap::{Args, Subcommand};

use crate::clock::{format_time, parse_time};
use crate::error::{Error, Result};
use crate::incident::id::{new_record_id, short_record_id};
use crate::incident::{record_toml, EntryKind, TimelineEntry, TIMELINE_DIR};
use crate::tlp::Tlp;

use super::{incident_change, Context};

#[derive(Debug, Subcommand)]
pub enum TimelineCommand {
    Add(AddArgs),
    List(ListArgs),
}

/// Append a timeline entry. The event time is --at (with an explicit offset or zone) or now;
/// the recorded time is always kept separately
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Incident ID
    pub id: String,
    /// What happened
    pub text: String,
    /// When it happened: RFC 3339 (2026-12-04T10:00:00Z) or a local time with a zone name
    /// (2026-12-04 11:00 Europe/Berlin)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Kind of entry
    #[arg(long, value_enum, default_value = "note")]
    pub kind: EntryKind,
    /// Where the information comes from, such as a log file or a ticket
    #[arg(long)]
    pub source: Option<String>,
    /// TLP marking of this entry; defaults to the incident's
    #[arg(long)]
    pub tlp: Option<String>,
}

/// List the timeline of an incident, sorted by event time
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Incident ID
    pub id: String,
}

pub fn run(command: TimelineCommand, context: &mut Context) -> Result<i32> {
    match command {
        TimelineCommand::Add(args) => add(args, context),
        TimelineCommand::List(args) => list(args, context),
    }
}

fn add(args: AddArgs, context: &mut Context) -> Result<i32> {
    if matches!(args.kind, EntryKind::System | EntryKind::Alert) {
        return Err(Error::invalid_with_hint(
            format!(
                "timeline entries of kind `{}` are written by casefile itself",
                args.kind.as_str()
            ),
            "use --kind note, finding, action or communication",
        ));
    }
    let text = args.text.trim();
    if text.is_empty() {
        return Err(Error::invalid("the timeline entry text is empty"));
    }
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let now = context.clock.now();
    let at = match &args.at {
        Some(value) => parse_time(value)?.to_utc(),
        None => now,
    };
    if at > now + chrono::Duration::minutes(5) {
        return Err(Error::invalid_with_hint(
            format!("event time `{}` is in the future", format_time(at)),
            "check the date and the zone of --at",
        ));
    }
    let tlp = args.tlp.as_deref().map(Tlp::parse).transpose()?;
    let entry = TimelineEntry {
        id: String::new(),
        at: format_time(at),
        recorded: format_time(now),
        actor: workspace.actor(),
        kind: args.kind,
        text: text.to_string(),
        source: args.source.clone(),
        tlp,
    };
    let record_id = new_record_id(now);
    let summary = format!("add {} entry", args.kind.as_str());
    let mut change = incident_change(incident.id(), "timeline add", &summary);
    change.write(
        incident
            .dir
            .join(TIMELINE_DIR)
            .join(format!("{record_id}.toml")),
        record_toml(&entry)?,
    );
    context.apply(&workspace, &change)?;
    if context.json {
        context
            .print_json(&serde_json::json!({ "incident": incident.id(), "entry": record_id }))?;
    } else {
        context.status(format!(
            "added {} entry {} to {}",
            args.kind.as_str(),
            short_record_id(&record_id),
            incident.id()
        ));
    }
    Ok(0)
}

fn list(args: ListArgs, context: &mut Context) -> Result<i32> {
    let repo = context.repo()?;
    let id = crate::incident::id::parse_incident_id(&args.id)?;
    let incident = crate::incident::Incident::load(&repo.root, &id)?;
    if context.json {
        let entries: Vec<serde_json::Value> = incident
            .timeline
            .iter()
            .map(|entry| {
                serde_json::json!({
                    "id": entry.id, "at": entry.at, "recorded": entry.recorded, "actor": entry.actor,
                    "kind": entry.kind, "text": entry.text, "source": entry.source, "tlp": entry.tlp,
                })
            })
            .collect();
        return context.print_json(&entries).map(|()| 0);
    }
    let mut output = String::new();
    for entry in &incident.timeline {
        let text = crate::report::text::make_visible(&entry.text.replace('\n', " "));
        let actor = crate::report::text::make_visible(&entry.actor);
        output.push_str(&format!(
            "{}  {:<13} {}  {}\n",
            entry.at,
            entry.kind.as_str(),
            actor,
            text
        ));
    }
    context.print_data(&output)?;
    Ok(0)
}
