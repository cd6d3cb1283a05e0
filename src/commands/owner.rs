//! `casefile take` and `casefile assign`: incident ownership.

use clap::Args;

use crate::clock::format_time;
use crate::error::{Error, Result};
use crate::incident::id::new_record_id;
use crate::incident::{
    record_toml, EntryKind, Incident, IncidentEdit, TimelineEntry, INCIDENT_FILE, TIMELINE_DIR,
};

use super::{incident_change, Context, Workspace};

/// Take ownership of an incident as the current git identity
#[derive(Debug, Args)]
pub struct TakeArgs {
    /// Incident ID
    pub id: String,
}

/// Assign an incident to an analyst from the roster in casefile.toml (name, e-mail address or
/// handle), or to `Name <email>` when the roster is empty
#[derive(Debug, Args)]
pub struct AssignArgs {
    /// Incident ID
    pub id: String,
    /// The analyst who becomes the owner
    pub analyst: String,
}

pub fn run_take(args: TakeArgs, context: &mut Context) -> Result<i32> {
    let workspace = context.workspace()?;
    let owner = workspace.actor();
    set_owner(&workspace, context, &args.id, &owner, "take")
}

pub fn run_assign(args: AssignArgs, context: &mut Context) -> Result<i32> {
    let workspace = context.workspace()?;
    let owner = resolve_analyst(&workspace, &args.analyst, true)?;
    set_owner(&workspace, context, &args.id, &owner, "assign")
}

/// Resolves an analyst named on the command line against the roster. With an empty roster
/// any name is taken, or with `require_address` only an e-mail address or `Name <email>`.
pub fn resolve_analyst(
    workspace: &Workspace,
    input: &str,
    require_address: bool,
) -> Result<String> {
    let roster = &workspace.repo.config.analysts;
    let wanted = input.trim();
    if roster.is_empty() {
        let has_address =
            wanted.contains('@') && !wanted.starts_with('@') && !wanted.ends_with('@');
        let named = !wanted.is_empty() && (has_address || !require_address);
        if !named || wanted.chars().any(char::is_control) {
            return Err(Error::invalid_with_hint(
                format!("analyst `{input}` is not an e-mail address or `Name <email>`"),
                "name the analyst by address, or add an [[analysts]] roster to casefile.toml",
            ));
        }
        return Ok(wanted.to_string());
    }
    let lower = wanted.to_lowercase();
    roster
        .iter()
        .find(|entry| {
            entry.name.to_lowercase() == lower
                || entry.email.to_lowercase() == lower
                || entry
                    .handle
                    .as_deref()
                    .is_some_and(|handle| handle.to_lowercase() == lower)
                || format!("{} <{}>", entry.name, entry.email).to_lowercase() == lower
        })
        .map(|entry| format!("{} <{}>", entry.name, entry.email))
        .ok_or_else(|| {
            let names: Vec<String> = roster.iter().map(|entry| entry.name.clone()).collect();
            Error::invalid_with_hint(
                format!("analyst `{input}` is not in the roster of casefile.toml"),
                format!(
                    "use one of: {}, or add the analyst to [[analysts]]",
                    names.join(", ")
                ),
            )
        })
}

fn set_owner(
    workspace: &Workspace,
    context: &Context,
    id: &str,
    owner: &str,
    command: &str,
) -> Result<i32> {
    let incident = workspace.open_incident(id)?;
    if incident.file.owner.as_deref() == Some(owner) {
        context.status(format!("{} is already owned by {owner}", incident.id()));
        return Ok(0);
    }
    let now = format_time(context.clock.now());
    let mut edit = edit_incident(workspace, &incident)?;
    edit.set_str("owner", owner);
    if incident.file.acknowledged_at.is_none() {
        edit.set_str("acknowledged_at", &now);
    }
    let mut change = incident_change(incident.id(), command, &format!("set owner to {owner}"));
    change.write(incident.dir.join(INCIDENT_FILE), edit.to_text());
    let text = match &incident.file.owner {
        Some(previous) => format!("Owner changed from {previous} to {owner}"),
        None => format!("Owner set to {owner}"),
    };
    system_entry(&mut change, workspace, context, &incident, &text)?;
    context.apply(workspace, &change)?;
    context.status(format!("{} is now owned by {owner}", incident.id()));
    Ok(0)
}

/// Parses the incident's `incident.toml` for editing.
pub fn edit_incident(workspace: &Workspace, incident: &Incident) -> Result<IncidentEdit> {
    IncidentEdit::parse(
        &incident.text,
        &workspace.repo.root.join(&incident.dir).join(INCIDENT_FILE),
    )
}

/// Adds an automatic timeline entry to a change and returns it.
pub fn system_entry(
    change: &mut crate::repo::Change,
    workspace: &Workspace,
    context: &Context,
    incident: &Incident,
    text: &str,
) -> Result<TimelineEntry> {
    let now = context.clock.now();
    let record_id = new_record_id(now);
    let entry = TimelineEntry {
        id: record_id.clone(),
        at: format_time(now),
        recorded: format_time(now),
        actor: workspace.actor(),
        kind: EntryKind::System,
        text: text.to_string(),
        source: None,
        tlp: None,
    };
    change.write(
        incident
            .dir
            .join(TIMELINE_DIR)
            .join(format!("{record_id}.toml")),
        record_toml(&entry)?,
    );
    Ok(entry)
}
