//! `casefile verdict`: the true-positive / false-positive determination.

use clap::Args;

use crate::error::{Error, Result};
use crate::incident::{Verdict, INCIDENT_FILE};

use super::owner::{edit_incident, system_entry};
use super::{incident_change, Context};

/// Record the determination: true-positive, false-positive or benign, with the reason. A false
/// positive or benign verdict takes the incident from determination straight to reporting
#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// Incident ID
    pub id: String,
    /// The verdict
    #[arg(value_enum)]
    pub verdict: Verdict,
    /// Why: the evidence behind the verdict
    #[arg(long)]
    pub reason: String,
}

pub fn run(args: VerdictArgs, context: &mut Context) -> Result<i32> {
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid_with_hint(
            "the verdict reason is empty",
            "say why with `--reason TEXT`",
        ));
    }
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let mut edit = edit_incident(&workspace, &incident)?;
    edit.set_str("verdict", args.verdict.as_str());
    edit.set_str("verdict_reason", reason);
    let mut change = incident_change(
        incident.id(),
        "verdict",
        &format!("set verdict {}", args.verdict.as_str()),
    );
    change.write(incident.dir.join(INCIDENT_FILE), edit.to_text());
    system_entry(
        &mut change,
        &workspace,
        context,
        &incident,
        &format!("Verdict: {} ({reason})", args.verdict.as_str()),
    )?;
    context.apply(&workspace, &change)?;
    context.status(format!(
        "{}: verdict {}",
        incident.id(),
        args.verdict.as_str()
    ));
    if args.verdict.skips_response() {
        if let Some(alert) = &incident.file.source.alert {
            context.status(format!(
                "hint: consider tuning detection rule {}: `casefile followup add {} siem-rule TEXT --owner O --due DATE`",
                alert.rule_id,
                incident.id()
            ));
        }
    }
    Ok(0)
}
