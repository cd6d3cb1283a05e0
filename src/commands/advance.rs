//! `casefile advance` and `casefile reopen`: phase transitions.

use clap::Args;

use crate::clock::format_time;
use crate::error::{Error, Result};
use crate::gate::{self, Documents};
use crate::incident::{Incident, INCIDENT_FILE};
use crate::phase::Phase;
use crate::playbook::Playbook;
use crate::report::{Document, Renderer};

use super::owner::{edit_incident, system_entry};
use crate::repo::CaseRepo;

use super::{incident_change, Context};

/// Move an incident to its next phase when the current phase's gate holds; otherwise list
/// every unmet requirement and change nothing
#[derive(Debug, Args)]
pub struct AdvanceArgs {
    /// Incident ID
    pub id: String,
    /// Waive the gate of the current phase (containment, eradication or recovery)
    #[arg(long, value_name = "GATE", requires = "reason")]
    pub waive: Option<String>,
    /// Reason for the waiver, shown in the report
    #[arg(long)]
    pub reason: Option<String>,
    /// Only report whether the gate holds; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Reopen a closed incident; the reason is recorded in the phase history
#[derive(Debug, Args)]
pub struct ReopenArgs {
    /// Incident ID
    pub id: String,
    /// Reason for reopening, recorded in the phase history
    #[arg(long)]
    pub reason: String,
    /// Phase to return to
    #[arg(long, default_value = "investigation")]
    pub to: String,
}

/// Evaluates the gate of an incident's current phase, with the playbook and documents it needs.
pub fn evaluate(repo: &CaseRepo, incident: &Incident) -> Result<gate::GateCheck> {
    let root = &repo.root;
    let config = &repo.config;
    let playbook = match &incident.file.incident_type {
        Some(kind) => Playbook::load(root, kind)?,
        None => None,
    };
    let renderer = Renderer::new(root)?;
    let documents = Documents {
        report: renderer.freshness(root, Document::Report, incident, config)?,
        lessons: renderer.freshness(root, Document::Lessons, incident, config)?,
    };
    Ok(gate::check_gate(
        incident,
        config,
        playbook.as_ref(),
        &documents,
    ))
}

pub fn run_advance(args: AdvanceArgs, context: &mut Context) -> Result<i32> {
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let phase = incident.phase();
    let waiver = match &args.waive {
        Some(gate_name) => Some(validate_waiver(
            &incident,
            gate_name,
            args.reason.as_deref(),
        )?),
        None => None,
    };

    let mut check = evaluate(&workspace.repo, &incident)?;
    if waiver.is_some() {
        check.unmet.clear();
    }
    for warning in &check.warnings {
        context.warn(warning);
    }
    if args.dry_run {
        let holds = check.unmet.is_empty();
        if context.json {
            context.print_json(&serde_json::json!({
                "incident": incident.id(), "phase": phase, "next": check.next,
                "holds": holds, "unmet": check.unmet,
            }))?;
        } else if holds {
            context.status(format!(
                "{}: the {phase} gate holds; next phase {}",
                incident.id(),
                check.next
            ));
        } else {
            for requirement in &check.unmet {
                context.status(format!("unmet: {requirement}"));
            }
        }
        return Ok(if holds { 0 } else { 1 });
    }
    if !check.unmet.is_empty() {
        return Err(Error::GateUnmet {
            incident: incident.id().to_string(),
            phase: phase.to_string(),
            unmet: check.unmet,
        });
    }

    let now = format_time(context.clock.now());
    let actor = workspace.actor();
    let next = check.next;
    let mut edit = edit_incident(&workspace, &incident)?;
    edit.set_str("phase", next.as_str());
    edit.push_table(
        "phase_history",
        &[("phase", next.as_str()), ("entered", &now), ("by", &actor)],
    );
    let subject = match &waiver {
        Some(_) => format!("waive the {phase} gate and advance to {next}"),
        None => format!("advance from {phase} to {next}"),
    };
    let mut change = incident_change(incident.id(), "advance", &subject);
    if let Some(reason) = &waiver {
        edit.push_table(
            "waivers",
            &[
                ("gate", phase.as_str()),
                ("reason", reason),
                ("by", &actor),
                ("at", &now),
            ],
        );
        change.body.insert(0, format!("Waiver reason: {reason}\n"));
    }
    let new_text = edit.to_text();
    change.write(incident.dir.join(INCIDENT_FILE), new_text.clone());
    let text = match &waiver {
        Some(reason) => format!("Phase {phase} gate waived ({reason}); phase {next} entered"),
        None => format!("Phase {next} entered"),
    };
    let entry = system_entry(&mut change, &workspace, context, &incident, &text)?;
    if next == Phase::Closed {
        rerender_documents(&workspace.repo, &incident, &new_text, entry, &mut change)?;
    }
    context.apply(&workspace, &change)?;
    context.status(format!("{}: {phase} -> {next}", incident.id()));
    Ok(0)
}

/// Renders the report and lessons-learned documents the incident already has again, as they
/// read once it is closed, so that closing leaves no stale document behind.
fn rerender_documents(
    repo: &CaseRepo,
    incident: &Incident,
    new_text: &str,
    entry: crate::incident::TimelineEntry,
    change: &mut crate::repo::Change,
) -> Result<()> {
    let path = repo.root.join(&incident.dir).join(INCIDENT_FILE);
    let mut closed = incident.clone();
    closed.file = toml::from_str(new_text).map_err(|source| Error::Toml {
        path,
        source: Box::new(source),
    })?;
    closed.text = new_text.to_string();
    closed.timeline.push(entry);
    closed.sort_timeline();
    let renderer = Renderer::new(&repo.root)?;
    let commit = repo.head_commit();
    for document in [Document::Report, Document::Lessons] {
        let target = incident.dir.join(document.file_name());
        if repo.root.join(&target).is_file() {
            let text = renderer.render_markdown(
                document,
                &closed,
                &repo.config,
                None,
                commit.as_deref(),
            )?;
            change.write(target, text);
        }
    }
    Ok(())
}

fn validate_waiver(incident: &Incident, gate_name: &str, reason: Option<&str>) -> Result<String> {
    let gate_phase = Phase::parse(gate_name)?;
    let phase = incident.phase();
    if gate_phase != phase {
        return Err(Error::invalid_with_hint(
            format!(
                "`--waive {gate_name}` names the {gate_phase} gate, but {} is in {phase}",
                incident.id()
            ),
            format!("waive the gate of the current phase: `--waive {phase}`"),
        ));
    }
    if !phase.waivable() {
        return Err(Error::invalid_with_hint(
            format!("the {phase} gate cannot be waived"),
            "only the containment, eradication and recovery gates can be waived; meet the requirements instead",
        ));
    }
    let reason = reason.map(str::trim).unwrap_or_default();
    if reason.is_empty() {
        return Err(Error::invalid_with_hint(
            "a waiver needs a reason",
            "pass `--reason TEXT`",
        ));
    }
    Ok(reason.to_string())
}

pub fn run_reopen(args: ReopenArgs, context: &mut Context) -> Result<i32> {
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid_with_hint(
            "the reopen reason is empty",
            "say why with `--reason TEXT`",
        ));
    }
    let target = Phase::parse(&args.to)?;
    if target == Phase::Closed || target == Phase::Detection {
        return Err(Error::invalid(format!(
            "an incident cannot be reopened into {target}"
        )));
    }
    let workspace = context.workspace()?;
    let incident = workspace.incident(&args.id)?;
    if incident.phase() != Phase::Closed {
        return Err(Error::invalid_with_hint(
            format!(
                "incident {} is not closed; it is in {}",
                incident.id(),
                incident.phase()
            ),
            "only closed incidents are reopened",
        ));
    }
    let now = format_time(context.clock.now());
    let actor = workspace.actor();
    let mut edit = edit_incident(&workspace, &incident)?;
    edit.set_str("phase", target.as_str());
    edit.push_table(
        "phase_history",
        &[
            ("phase", target.as_str()),
            ("entered", &now),
            ("by", &actor),
            ("reason", reason),
        ],
    );
    let mut change = incident_change(incident.id(), "reopen", &format!("reopen into {target}"));
    change.body.insert(0, format!("Reopen reason: {reason}\n"));
    change.write(incident.dir.join(INCIDENT_FILE), edit.to_text());
    system_entry(
        &mut change,
        &workspace,
        context,
        &incident,
        &format!("Reopened into {target}: {reason}"),
    )?;
    context.apply(&workspace, &change)?;
    context.status(format!("{}: reopened into {target}", incident.id()));
    Ok(0)
}
