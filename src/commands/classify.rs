//! `casefile classify`: incident type, severity, priority, ATT&CK mapping and impact.

use clap::Args;

use crate::attack;
use crate::error::{Error, Result};
use crate::incident::INCIDENT_FILE;

use super::open::validate_type;
use super::owner::edit_incident;
use super::{incident_change, Context};

/// Classify an incident: type, severity, ATT&CK techniques, business impact and priority.
/// Options not given keep their current values
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Incident ID
    pub id: String,
    /// Incident type, such as brute-force, malware or unauthorized-access
    #[arg(long = "type", value_name = "TYPE")]
    pub incident_type: Option<String>,
    /// Severity on the repository's scale (by default low, medium, high)
    #[arg(long)]
    pub severity: Option<String>,
    /// ATT&CK technique or sub-technique ID, such as T1110 or T1110.001; repeat or separate
    /// with commas. Replaces the current mapping
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub attack: Vec<String>,
    /// Business impact assessment
    #[arg(long)]
    pub impact: Option<String>,
    /// Priority by business risk, such as P1 to P4
    #[arg(long)]
    pub priority: Option<String>,
}

pub fn run(args: ClassifyArgs, context: &mut Context) -> Result<i32> {
    let nothing = args.incident_type.is_none()
        && args.severity.is_none()
        && args.attack.is_empty()
        && args.impact.is_none()
        && args.priority.is_none();
    if nothing {
        return Err(Error::invalid_with_hint(
            "nothing to classify",
            "pass at least one of --type, --severity, --attack, --impact, --priority",
        ));
    }
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let config = &workspace.repo.config;

    // Validate everything before writing anything.
    if let Some(kind) = &args.incident_type {
        validate_type(kind)?;
    }
    let severity = args
        .severity
        .as_deref()
        .map(|text| config.severity(text))
        .transpose()?;
    let mut techniques = Vec::new();
    for input in &args.attack {
        let validated = attack::validate_technique(input)?;
        if let Some(warning) = validated.warning {
            context.warn(warning);
        }
        let id = validated.technique.id.to_string();
        if !techniques.contains(&id) {
            techniques.push(id);
        }
    }

    let mut edit = edit_incident(&workspace, &incident)?;
    let mut changed = Vec::new();
    if let Some(kind) = &args.incident_type {
        edit.set_str("type", kind);
        changed.push(format!("type {kind}"));
    }
    if let Some(severity) = &severity {
        edit.set_str("severity", severity);
        changed.push(format!("severity {severity}"));
    }
    if !techniques.is_empty() {
        edit.set_str_array("attack", &techniques);
        edit.set_str("attack_version", attack::ATTACK_VERSION);
        changed.push(format!("ATT&CK {}", techniques.join(", ")));
    }
    if let Some(impact) = &args.impact {
        edit.set_str("impact", impact.trim());
        changed.push("impact".into());
    }
    if let Some(priority) = &args.priority {
        edit.set_str("priority", priority.trim());
        changed.push(format!("priority {}", priority.trim()));
    }
    let mut change = incident_change(
        incident.id(),
        "classify",
        &format!("classify: {}", changed.join(", ")),
    );
    change.write(incident.dir.join(INCIDENT_FILE), edit.to_text());
    context.apply(&workspace, &change)?;
    context.status(format!("{}: {}", incident.id(), changed.join(", ")));
    Ok(0)
}
