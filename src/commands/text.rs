//! `casefile summary`, `recommend` and `retro`: the text of the report and the
//! lessons-learned document.

use clap::Args;

use crate::clock::format_time;
use crate::error::{Error, Result};
use crate::incident::id::new_record_id;
use crate::incident::{record_toml, Recommendation, INCIDENT_FILE, RECOMMENDATIONS_DIR};

use super::owner::edit_incident;
use super::{incident_change, Context};

/// Write the incident summary for the report (replaces the current one)
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Incident ID
    pub id: String,
    /// The summary
    pub text: String,
}

/// Add a lessons-learned recommendation
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Incident ID
    pub id: String,
    /// The recommendation
    pub text: String,
}

/// Record the retrospective fields of the lessons-learned document. Options not given keep
/// their current values
#[derive(Debug, Args)]
pub struct RetroArgs {
    /// Incident ID
    pub id: String,
    /// Account of what happened, in brief; the summary is used when this is not set
    #[arg(long)]
    pub what_happened: Option<String>,
    /// Strengths of the response
    #[arg(long)]
    pub went_well: Option<String>,
    /// Weaknesses of the response
    #[arg(long)]
    pub went_wrong: Option<String>,
    /// The root cause
    #[arg(long)]
    pub root_cause: Option<String>,
}

fn non_empty<'a>(text: &'a str, what: &str) -> Result<&'a str> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(format!("the {what} is empty")));
    }
    Ok(trimmed)
}

pub fn run_summary(args: SummaryArgs, context: &mut Context) -> Result<i32> {
    let text = non_empty(&args.text, "summary")?;
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let mut edit = edit_incident(&workspace, &incident)?;
    edit.set_str("summary", text);
    let mut change = incident_change(incident.id(), "summary", "write the summary");
    change.write(incident.dir.join(INCIDENT_FILE), edit.to_text());
    context.apply(&workspace, &change)?;
    context.status(format!("{}: summary written", incident.id()));
    Ok(0)
}

pub fn run_recommend(args: RecommendArgs, context: &mut Context) -> Result<i32> {
    let text = non_empty(&args.text, "recommendation")?;
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let now = context.clock.now();
    let record = Recommendation {
        id: String::new(),
        text: text.to_string(),
        recorded: format_time(now),
        actor: workspace.actor(),
    };
    let mut change = incident_change(incident.id(), "recommend", "add a recommendation");
    change.write(
        incident
            .dir
            .join(RECOMMENDATIONS_DIR)
            .join(format!("{}.toml", new_record_id(now))),
        record_toml(&record)?,
    );
    context.apply(&workspace, &change)?;
    context.status(format!("{}: recommendation added", incident.id()));
    Ok(0)
}

pub fn run_retro(args: RetroArgs, context: &mut Context) -> Result<i32> {
    let fields = [
        ("what_happened", &args.what_happened),
        ("went_well", &args.went_well),
        ("went_wrong", &args.went_wrong),
        ("root_cause", &args.root_cause),
    ];
    if fields.iter().all(|(_, value)| value.is_none()) {
        return Err(Error::invalid_with_hint(
            "nothing to record",
            "pass at least one of --what-happened, --went-well, --went-wrong, --root-cause",
        ));
    }
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let mut edit = edit_incident(&workspace, &incident)?;
    let mut names = Vec::new();
    for (key, value) in fields {
        if let Some(text) = value {
            edit.set_table_str("lessons", key, non_empty(text, &key.replace('_', " "))?);
            names.push(key.replace('_', " "));
        }
    }
    let mut change = incident_change(
        incident.id(),
        "retro",
        &format!("record lessons: {}", names.join(", ")),
    );
    change.write(incident.dir.join(INCIDENT_FILE), edit.to_text());
    context.apply(&workspace, &change)?;
    context.status(format!("{}: recorded {}", incident.id(), names.join(", ")));
    Ok(0)
}
