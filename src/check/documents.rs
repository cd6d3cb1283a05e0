//! Checks of rendered documents: the repository's templates render every incident, and a
//! `report.md` or `lessons.md` still matches the data it was rendered from.

use std::path::Path;

use crate::config::Config;
use crate::error::Error;
use crate::incident::Incident;
use crate::phase::Phase;
use crate::report::{Document, Freshness, Renderer, LESSONS_FILE, REPORT_FILE, TEMPLATES_DIR};

use super::fields::IncidentSite;
use super::phases::passed;
use super::Finding;

/// Returns the finding for a template set that does not load.
pub fn template_finding(error: &Error) -> Finding {
    let file = match error {
        Error::Template { name, .. } => format!("{TEMPLATES_DIR}/{name}"),
        _ => TEMPLATES_DIR.to_string(),
    };
    Finding::error("template-invalid", file, error.to_string())
}

/// Renders the incident's report and lessons-learned document with the repository's
/// templates, and compares the documents present with their current digest.
///
/// A missing document is an error once the incident has passed the gate that requires it. A
/// stale one is a warning until the incident is closed, and an error after: the documents show
/// the phase history, so every `advance` makes them stale until they are rendered again.
pub fn check_documents(
    root: &Path,
    incident: &Incident,
    present: &[&str],
    config: &Config,
    renderer: &Renderer,
    findings: &mut Vec<Finding>,
) {
    let site = IncidentSite::new(incident);
    for document in [Document::Report, Document::Lessons] {
        if let Err(error) = renderer.render_markdown(document, incident, config, None, None) {
            findings.push(site.error(
                "template-render",
                None,
                format!("the {} template fails for this incident: {error}", document.template()),
            ));
        }
    }
    let documents = [
        (Document::Report, REPORT_FILE, Phase::Reporting, "casefile report"),
        (Document::Lessons, LESSONS_FILE, Phase::LessonsLearned, "casefile lessons"),
    ];
    for (document, file_name, gate, command) in documents {
        let file = super::incident_path(site.name, file_name);
        let past_gate = passed(incident, gate);
        if !present.contains(&file_name) {
            if past_gate {
                findings.push(site.error(
                    missing_code(document),
                    site.key("phase"),
                    format!(
                        "the incident is past {gate} but {file_name} is missing; render it with \
                         `{command} {}`",
                        site.id
                    ),
                ));
            }
            continue;
        }
        let Ok(Freshness::Stale) = renderer.freshness(root, document, incident, config) else {
            continue;
        };
        let message = format!(
            "{file_name} does not match the incident's current data; render it again with \
             `{command} {}`",
            site.id
        );
        let finding = if incident.phase() == Phase::Closed {
            Finding::error(stale_code(document), file, message)
        } else {
            Finding::warning(stale_code(document), file, message)
        };
        findings.push(finding.in_incident(site.name));
    }
}

fn missing_code(document: Document) -> &'static str {
    match document {
        Document::Report => "report-missing",
        Document::Lessons => "lessons-missing",
    }
}

fn stale_code(document: Document) -> &'static str {
    match document {
        Document::Report => "report-stale",
        Document::Lessons => "lessons-stale",
    }
}
