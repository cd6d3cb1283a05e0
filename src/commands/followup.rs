//! `casefile followup add` and `followup list`: continuous-improvement follow-ups.

use clap::{Args, Subcommand};

use crate::clock::{format_time, parse_date};
use crate::error::{Error, Result};
use crate::incident::id::{new_record_id, short_record_id};
use crate::incident::{record_toml, Followup, FollowupKind, Incident, FOLLOWUPS_DIR};
use crate::report::text::make_visible;

use super::owner::resolve_analyst;
use super::{incident_change, Context};

#[derive(Debug, Subcommand)]
pub enum FollowupCommand {
    Add(AddArgs),
    List(ListArgs),
}

/// Add a follow-up: a SIEM rule update, playbook change, threat hunt or training
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Incident ID
    pub id: String,
    /// Kind of follow-up
    #[arg(value_enum)]
    pub kind: FollowupKind,
    /// Description of the work
    pub text: String,
    /// Owner: a roster name, e-mail address or handle, or any name or team when the
    /// roster is empty
    #[arg(long)]
    pub owner: String,
    /// Due date, YYYY-MM-DD
    #[arg(long)]
    pub due: String,
}

/// List the follow-ups of an incident
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Incident ID
    pub id: String,
}

pub fn run(command: FollowupCommand, context: &mut Context) -> Result<i32> {
    match command {
        FollowupCommand::Add(args) => add(args, context),
        FollowupCommand::List(args) => list(args, context),
    }
}

fn add(args: AddArgs, context: &mut Context) -> Result<i32> {
    let text = args.text.trim();
    if text.is_empty() {
        return Err(Error::invalid("the follow-up text is empty"));
    }
    let due = parse_date(&args.due)?;
    let workspace = context.workspace()?;
    let owner = resolve_analyst(&workspace, &args.owner, false)?;
    let incident = workspace.open_incident(&args.id)?;
    let now = context.clock.now();
    if due < now.date_naive() {
        context.warn(format!("due date {due} is in the past"));
    }
    let record = Followup {
        id: String::new(),
        kind: args.kind,
        text: text.to_string(),
        owner,
        due: due.to_string(),
        recorded: format_time(now),
        actor: workspace.actor(),
    };
    let record_id = new_record_id(now);
    let mut change = incident_change(
        incident.id(),
        "followup add",
        &format!("add {} follow-up", args.kind.as_str()),
    );
    change.write(
        incident
            .dir
            .join(FOLLOWUPS_DIR)
            .join(format!("{record_id}.toml")),
        record_toml(&record)?,
    );
    context.apply(&workspace, &change)?;
    context.status(format!(
        "{}: added {} follow-up {}",
        incident.id(),
        args.kind.as_str(),
        short_record_id(&record_id)
    ));
    Ok(0)
}

fn list(args: ListArgs, context: &mut Context) -> Result<i32> {
    let repo = context.repo()?;
    let id = crate::incident::id::parse_incident_id(&args.id)?;
    let incident = Incident::load(&repo.root, &id)?;
    if context.json {
        let rows: Vec<serde_json::Value> = incident
            .followups
            .iter()
            .map(|f| serde_json::json!({ "id": short_record_id(&f.id), "kind": f.kind, "text": f.text, "owner": f.owner, "due": f.due }))
            .collect();
        return context.print_json(&rows).map(|()| 0);
    }
    let mut output = String::new();
    for followup in &incident.followups {
        output.push_str(&format!(
            "{}  {:<9} due {}  {}  {}\n",
            short_record_id(&followup.id),
            followup.kind.as_str(),
            followup.due,
            make_visible(&followup.owner),
            make_visible(&followup.text)
        ));
    }
    context.print_data(&output)?;
    Ok(0)
}
