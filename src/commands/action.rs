//! `casefile action add`, `action done` and `action list`: containment, eradication and
//! recovery actions.

use clap::{Args, Subcommand};

use crate::clock::format_time;
use crate::error::{Error, Result};
use crate::incident::id::{new_record_id, short_record_id};
use crate::incident::{
    record_toml, Action, ActionKind, ActionRecord, ActionStatus, Incident, ACTIONS_DIR,
};
use crate::phase::Phase;
use crate::report::text::make_visible;

use super::{incident_change, Context};

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    Add(AddArgs),
    Done(DoneArgs),
    List(ListArgs),
}

/// Record a containment, eradication or recovery action. It belongs to the incident's
/// current phase unless --phase names another
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Incident ID
    pub id: String,
    /// Kind of action
    #[arg(value_enum)]
    pub kind: ActionKind,
    /// Target of the action: an IP, a host, an account, a file
    pub target: String,
    /// Status of the action
    #[arg(long, value_enum, default_value = "planned")]
    pub status: ActionStatus,
    /// Phase the action belongs to: containment, eradication or recovery
    #[arg(long)]
    pub phase: Option<String>,
    /// A note on the action
    #[arg(long)]
    pub note: Option<String>,
}

/// Mark an action done (or failed with --failed)
#[derive(Debug, Args)]
pub struct DoneArgs {
    /// Incident ID
    pub id: String,
    /// Action ID as `action list` shows it, or its number in that list
    pub action: String,
    /// Mark the action failed instead of done
    #[arg(long)]
    pub failed: bool,
    /// A note on the outcome
    #[arg(long)]
    pub note: Option<String>,
}

/// List the actions of an incident with their current status
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Incident ID
    pub id: String,
}

pub fn run(command: ActionCommand, context: &mut Context) -> Result<i32> {
    match command {
        ActionCommand::Add(args) => add(args, context),
        ActionCommand::Done(args) => done(args, context),
        ActionCommand::List(args) => list(args, context),
    }
}

fn add(args: AddArgs, context: &mut Context) -> Result<i32> {
    let target = args.target.trim();
    if target.is_empty() {
        return Err(Error::invalid("the action target is empty"));
    }
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let phase = match &args.phase {
        Some(text) => Phase::parse(text)?,
        None if incident.phase().takes_actions() => incident.phase(),
        None => args.kind.usual_phase(),
    };
    if !phase.takes_actions() {
        return Err(Error::invalid_with_hint(
            format!("actions belong to containment, eradication or recovery, not {phase}"),
            "pass --phase containment, eradication or recovery",
        ));
    }
    if phase < incident.phase()
        && incident.phase() != Phase::Closed
        && incident.phase() <= Phase::Recovery
    {
        context.warn(format!(
            "{} has already left {phase}; the action is recorded there anyway",
            incident.id()
        ));
    }
    let now = context.clock.now();
    let record = ActionRecord {
        id: String::new(),
        updates: None,
        phase: Some(phase),
        kind: Some(args.kind),
        target: Some(target.to_string()),
        status: args.status,
        note: args.note.clone(),
        recorded: format_time(now),
        actor: workspace.actor(),
    };
    let record_id = new_record_id(now);
    let summary = format!(
        "add {phase} action {} {}",
        args.kind.as_str(),
        super::open::one_line(target, 40)
    );
    let mut change = incident_change(incident.id(), "action add", &summary);
    change.write(
        incident
            .dir
            .join(ACTIONS_DIR)
            .join(format!("{record_id}.toml")),
        record_toml(&record)?,
    );
    context.apply(&workspace, &change)?;
    if context.json {
        context.print_json(&serde_json::json!({ "incident": incident.id(), "action": short_record_id(&record_id) }))?;
    } else {
        context.print_data(short_record_id(&record_id))?;
        context.status(format!(
            "added {phase} action {} ({})",
            short_record_id(&record_id),
            args.status.as_str()
        ));
    }
    Ok(0)
}

/// Finds an action by short ID, full ID or 1-based list number.
fn find_action<'a>(incident: &Incident, actions: &'a [Action], wanted: &str) -> Result<&'a Action> {
    let wanted = wanted.trim().to_ascii_lowercase();
    if let Ok(number) = wanted.parse::<usize>() {
        if (1..=actions.len()).contains(&number) && wanted.len() < 4 {
            return Ok(&actions[number - 1]);
        }
    }
    actions
        .iter()
        .find(|action| action.short_id == wanted || action.id == wanted)
        .ok_or_else(|| {
            Error::invalid_with_hint(
                format!("action `{wanted}` not found in incident {}", incident.id()),
                format!(
                    "`casefile action list {}` shows the actions and their IDs",
                    incident.id()
                ),
            )
        })
}

fn done(args: DoneArgs, context: &mut Context) -> Result<i32> {
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let actions = incident.actions();
    let action = find_action(&incident, &actions, &args.action)?;
    let status = if args.failed {
        ActionStatus::Failed
    } else {
        ActionStatus::Done
    };
    if action.status == status && args.note.is_none() {
        context.status(format!(
            "action {} is already {}",
            action.short_id,
            status.as_str()
        ));
        return Ok(0);
    }
    let now = context.clock.now();
    let record = ActionRecord {
        id: String::new(),
        updates: Some(action.id.clone()),
        phase: None,
        kind: None,
        target: None,
        status,
        note: args.note.clone(),
        recorded: format_time(now),
        actor: workspace.actor(),
    };
    let summary = format!(
        "mark {} action {} {}",
        action.phase,
        action.short_id,
        status.as_str()
    );
    let mut change = incident_change(incident.id(), "action done", &summary);
    change.write(
        incident
            .dir
            .join(ACTIONS_DIR)
            .join(format!("{}.toml", new_record_id(now))),
        record_toml(&record)?,
    );
    context.apply(&workspace, &change)?;
    context.status(format!(
        "action {} ({} {}) is {}",
        action.short_id,
        action.kind.as_str(),
        action.target,
        status.as_str()
    ));
    Ok(0)
}

fn list(args: ListArgs, context: &mut Context) -> Result<i32> {
    let repo = context.repo()?;
    let id = crate::incident::id::parse_incident_id(&args.id)?;
    let incident = Incident::load(&repo.root, &id)?;
    let actions = incident.actions();
    if context.json {
        return context.print_json(&actions).map(|()| 0);
    }
    let mut output = String::new();
    for (number, action) in actions.iter().enumerate() {
        output.push_str(&format!(
            "{:>2}. {}  {:<12} {:<18} {:<8} {}\n",
            number + 1,
            action.short_id,
            action.phase.as_str(),
            action.kind.as_str(),
            action.status.as_str(),
            make_visible(&action.target)
        ));
    }
    context.print_data(&output)?;
    Ok(0)
}
