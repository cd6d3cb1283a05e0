//! `casefile list`: the incidents of the repository, filtered.

use clap::Args;
use serde::Serialize;

use crate::error::Result;
use crate::incident::{list_ids, Incident};
use crate::phase::Phase;
use crate::report::text::make_visible;

use super::Context;

/// List incidents, optionally filtered by phase, severity, owner or type
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only incidents in this phase; `open` means every phase but closed
    #[arg(long)]
    pub phase: Option<String>,
    /// Only incidents of this severity
    #[arg(long)]
    pub severity: Option<String>,
    /// Only incidents whose owner contains this text (case-insensitive)
    #[arg(long)]
    pub owner: Option<String>,
    /// Only incidents of this type
    #[arg(long = "type", value_name = "TYPE")]
    pub incident_type: Option<String>,
}

/// One row of the listing.
#[derive(Debug, Serialize)]
pub struct Row {
    pub id: String,
    pub phase: Phase,
    pub severity: Option<String>,
    #[serde(rename = "type")]
    pub incident_type: Option<String>,
    pub owner: Option<String>,
    pub verdict: Option<String>,
    pub detected_at: Option<String>,
    pub title: String,
}

pub fn run(args: ListArgs, context: &mut Context) -> Result<i32> {
    let repo = context.repo()?;
    let phase_filter = match args.phase.as_deref() {
        None | Some("open") => None,
        Some(text) => Some(Phase::parse(text)?),
    };
    let only_open = args.phase.as_deref() == Some("open");
    let severity = args
        .severity
        .as_deref()
        .map(|s| repo.config.severity(s))
        .transpose()?;
    let mut rows = Vec::new();
    for id in list_ids(&repo.root)? {
        let incident = Incident::load(&repo.root, &id)?;
        let file = &incident.file;
        let keep = phase_filter.is_none_or(|phase| file.phase == phase)
            && (!only_open || file.phase != Phase::Closed)
            && severity
                .as_ref()
                .is_none_or(|s| file.severity.as_ref() == Some(s))
            && args
                .incident_type
                .as_ref()
                .is_none_or(|t| file.incident_type.as_ref() == Some(t))
            && args.owner.as_ref().is_none_or(|owner| {
                file.owner
                    .as_deref()
                    .is_some_and(|o| o.to_lowercase().contains(&owner.to_lowercase()))
            });
        if keep {
            rows.push(Row {
                id: file.id.clone(),
                phase: file.phase,
                severity: file.severity.clone(),
                incident_type: file.incident_type.clone(),
                owner: file.owner.clone(),
                verdict: file.verdict.map(|v| v.as_str().to_string()),
                detected_at: file.detected_at.clone(),
                title: file.title.clone(),
            });
        }
    }
    if context.json {
        return context.print_json(&rows).map(|()| 0);
    }
    let mut output = String::new();
    for row in &rows {
        output.push_str(&format!(
            "{}  {:<15} {:<8} {:<20} {}\n",
            row.id,
            row.phase.as_str(),
            row.severity.as_deref().unwrap_or("-"),
            make_visible(row.owner.as_deref().unwrap_or("unassigned")),
            make_visible(&row.title)
        ));
    }
    context.print_data(&output)?;
    Ok(0)
}
