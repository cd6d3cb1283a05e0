//! Checks of rendered documents: the repository's templates render every incident, and a
//! `report.md` or `lessons.md` still matches the data it was rendered from.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

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

/// The data shapes whose documents have been rendered already, shared by the threads of one
/// check.
#[derive(Default)]
pub struct RenderedShapes(Mutex<HashSet<u64>>);

/// Returns a key for which parts of the incident are present: the phase, the verdict, each
/// optional field and whether each kind of record is empty.
///
/// Templates fail on missing values and empty lists far more often than on particular text,
/// so rendering one incident per shape finds those failures without rendering thousands of
/// documents. NOTE: a template that fails only for particular values (a filter applied to
/// free text, say) is found only when the first incident of that shape has such a value.
fn shape(incident: &Incident) -> u64 {
    let file = &incident.file;
    let present = [
        file.detected_at.is_some(),
        file.owner.is_some(),
        file.verdict.is_some(),
        file.verdict_reason.is_some(),
        file.incident_type.is_some(),
        file.severity.is_some(),
        file.priority.is_some(),
        file.impact.is_some(),
        file.summary.is_some(),
        file.tlp.is_some(),
        file.source.alert.is_some(),
        file.source.reported_by.is_some(),
        file.lessons.what_happened.is_some(),
        file.lessons.went_well.is_some(),
        file.lessons.went_wrong.is_some(),
        file.lessons.root_cause.is_some(),
        !file.attack.is_empty(),
        !file.waivers.is_empty(),
        !incident.timeline.is_empty(),
        !incident.ioc_records.is_empty(),
        !incident.action_records.is_empty(),
        !incident.followups.is_empty(),
        !incident.recommendations.is_empty(),
        !incident.evidence.is_empty(),
    ];
    let mut key = present
        .iter()
        .enumerate()
        .fold(0u64, |key, (bit, set)| key | (u64::from(*set) << bit));
    key |= (incident.phase() as u64) << 32;
    key |= (file.verdict.map_or(0, |verdict| verdict as u64 + 1)) << 40;
    key
}

/// Renders the incident's report and lessons-learned document with the repository's
/// templates, once per data shape (see [`shape`]), and compares the documents present with
/// their current digest.
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
    rendered: &RenderedShapes,
    findings: &mut Vec<Finding>,
) {
    let site = IncidentSite::new(incident);
    let new_shape = rendered
        .0
        .lock()
        .map(|mut shapes| shapes.insert(shape(incident)))
        .unwrap_or(true);
    let to_render: &[Document] = if new_shape {
        &[Document::Report, Document::Lessons]
    } else {
        &[]
    };
    for &document in to_render {
        if let Err(error) = renderer.render_markdown(document, incident, config, None, None) {
            findings.push(site.error(
                "template-render",
                None,
                format!(
                    "the {} template fails for this incident: {error}",
                    document.template()
                ),
            ));
        }
    }
    let documents = [
        (
            Document::Report,
            REPORT_FILE,
            Phase::Reporting,
            "casefile report",
        ),
        (
            Document::Lessons,
            LESSONS_FILE,
            Phase::LessonsLearned,
            "casefile lessons",
        ),
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
