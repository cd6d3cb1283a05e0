//! `casefile show`: one incident with its gate status.

use clap::Args;

use crate::error::Result;
use crate::incident::id::parse_incident_id;
use crate::incident::Incident;
use crate::ioc;
use crate::report::text::make_visible;

use super::advance::evaluate;
use super::Context;

/// Show an incident: its fields, counts of records, and what its current gate still needs
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Incident ID
    pub id: String,
}

pub fn run(args: ShowArgs, context: &mut Context) -> Result<i32> {
    let repo = context.repo()?;
    let id = parse_incident_id(&args.id)?;
    let incident = Incident::load(&repo.root, &id)?;
    let check = evaluate(&repo, &incident)?;
    let file = &incident.file;
    let iocs = incident.iocs();
    let actions = incident.actions();
    if context.json {
        return context.print_json(&serde_json::json!({
            "incident": file,
            "iocs": iocs,
            "actions": actions,
            "timeline_entries": incident.timeline.len(),
            "followups": incident.followups.len(),
            "recommendations": incident.recommendations.len(),
            "evidence": incident.evidence.iter().map(|e| &e.file).collect::<Vec<_>>(),
            "gate": { "phase": check.phase, "next": check.next, "holds": check.unmet.is_empty(), "unmet": check.unmet },
        }))
        .map(|()| 0);
    }
    let visible = |value: Option<&str>| make_visible(value.unwrap_or("-"));
    let mut out = String::new();
    out.push_str(&format!("{}  {}\n", file.id, make_visible(&file.title)));
    out.push_str(&format!("phase:     {}\n", file.phase));
    out.push_str(&format!("owner:     {}\n", visible(file.owner.as_deref())));
    out.push_str(&format!(
        "detected:  {}\n",
        visible(file.detected_at.as_deref())
    ));
    out.push_str(&format!(
        "severity:  {}\n",
        visible(file.severity.as_deref())
    ));
    out.push_str(&format!(
        "type:      {}\n",
        visible(file.incident_type.as_deref())
    ));
    out.push_str(&format!(
        "verdict:   {}\n",
        visible(file.verdict.map(|v| v.as_str()))
    ));
    out.push_str(&format!(
        "ATT&CK:    {}\n",
        if file.attack.is_empty() {
            "-".into()
        } else {
            file.attack.join(", ")
        }
    ));
    if let Some(alert) = &file.source.alert {
        out.push_str(&format!(
            "source:    Wazuh rule {} (level {}) {}\n",
            alert.rule_id,
            alert.rule_level,
            make_visible(&alert.rule_description)
        ));
    }
    out.push_str(&format!(
        "records:   timeline entries {}, indicators {}, actions {}, follow-ups {}\n",
        incident.timeline.len(),
        iocs.len(),
        actions.len(),
        incident.followups.len()
    ));
    for indicator in &iocs {
        out.push_str(&format!(
            "  ioc {:<12} {}\n",
            indicator.kind.as_str(),
            make_visible(&ioc::defang(indicator.kind, &indicator.value))
        ));
    }
    if check.phase == crate::phase::Phase::Closed {
        out.push_str("gate:      closed; `casefile reopen ID --reason TEXT` reopens it\n");
    } else if check.unmet.is_empty() {
        out.push_str(&format!(
            "gate:      {} gate holds; `casefile advance` moves to {}\n",
            check.phase, check.next
        ));
    } else {
        out.push_str(&format!("gate:      {} gate needs:\n", check.phase));
        for requirement in &check.unmet {
            out.push_str(&format!("  - {requirement}\n"));
        }
    }
    context.print_data(&out)?;
    Ok(0)
}
