//! Metrics over the incidents of a repository for `casefile stats`: counts, response times
//! with their definitions, SLA breaches and the false-positive rate per detection rule.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::incident::{Incident, Verdict};
use crate::phase::Phase;
use crate::report::view::{milestones, Milestones};

/// The time window of `--since` and `--until`, applied to each incident's detection time
/// (its creation time when it has none). `until` is exclusive.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct Stats {
    pub incidents: usize,
    pub by_phase: BTreeMap<String, usize>,
    pub by_type: BTreeMap<String, usize>,
    pub by_severity: BTreeMap<String, usize>,
    pub by_verdict: BTreeMap<String, usize>,
    pub by_technique: BTreeMap<String, usize>,
    pub times: Vec<TimeMetric>,
    pub sla_breaches: Vec<SlaBreach>,
    pub rules: Vec<RuleRate>,
}

/// A response time over the incidents that reached both of its milestones.
#[derive(Debug, Serialize)]
pub struct TimeMetric {
    pub name: &'static str,
    pub definition: &'static str,
    /// Number of incidents the figures are computed from.
    pub incidents: usize,
    pub mean_seconds: Option<f64>,
    pub median_seconds: Option<f64>,
}

/// A service-level target of `severity.sla` that an incident missed or is past.
#[derive(Debug, Serialize)]
pub struct SlaBreach {
    pub incident: String,
    pub severity: String,
    /// `acknowledge`, `contain` or `resolve`.
    pub target: &'static str,
    pub limit_hours: f64,
    /// Hours from detection to the milestone, or to now when it is not reached yet.
    pub actual_hours: f64,
    /// Whether the milestone is still not reached.
    pub open: bool,
}

/// Verdicts of the incidents that one detection rule raised.
#[derive(Debug, Serialize)]
pub struct RuleRate {
    pub rule_id: String,
    pub incidents: usize,
    pub true_positive: usize,
    pub false_positive: usize,
    pub benign: usize,
    pub undetermined: usize,
    /// False positives divided by incidents with a verdict.
    pub false_positive_rate: Option<f64>,
}

/// Returns whether an incident's detection (or creation) time falls inside the window.
pub fn in_window(incident: &Incident, window: Window) -> bool {
    let file = &incident.file;
    let time = file.detected_at.as_deref().unwrap_or(&file.created);
    let Ok(time) = crate::clock::parse_time(time).map(|t| t.to_utc()) else {
        return window.since.is_none() && window.until.is_none();
    };
    window.since.is_none_or(|since| time >= since) && window.until.is_none_or(|until| time < until)
}

/// Computes the statistics of `incidents`; `now` decides which open incidents are past an SLA.
pub fn compute(incidents: &[Incident], config: &Config, now: DateTime<Utc>) -> Stats {
    let mut stats = Stats {
        incidents: incidents.len(),
        by_phase: BTreeMap::new(),
        by_type: BTreeMap::new(),
        by_severity: BTreeMap::new(),
        by_verdict: BTreeMap::new(),
        by_technique: BTreeMap::new(),
        times: Vec::new(),
        sla_breaches: Vec::new(),
        rules: Vec::new(),
    };
    let mut all_milestones = Vec::with_capacity(incidents.len());
    for incident in incidents {
        count_fields(&mut stats, incident);
        let milestones = milestones(incident);
        stats
            .sla_breaches
            .extend(sla_breaches(incident, &milestones, config, now));
        all_milestones.push((incident, milestones));
    }
    stats.times = time_metrics(&all_milestones);
    stats.rules = rule_rates(incidents);
    stats
}

fn count_fields(stats: &mut Stats, incident: &Incident) {
    let file = &incident.file;
    let unset = |value: &Option<String>| value.clone().unwrap_or_else(|| "not set".into());
    *stats
        .by_phase
        .entry(file.phase.as_str().into())
        .or_default() += 1;
    *stats.by_type.entry(unset(&file.incident_type)).or_default() += 1;
    *stats.by_severity.entry(unset(&file.severity)).or_default() += 1;
    let verdict = file.verdict.map_or("not determined", Verdict::as_str);
    *stats.by_verdict.entry(verdict.into()).or_default() += 1;
    let techniques: BTreeSet<&String> = file.attack.iter().collect();
    for technique in techniques {
        *stats.by_technique.entry(technique.clone()).or_default() += 1;
    }
}

/// Returns when an incident was resolved: the end of recovery, or the close of an incident
/// that took the false-positive or benign path, which has no recovery.
fn resolved(incident: &Incident, milestones: &Milestones) -> Option<DateTime<Utc>> {
    let short_path = incident.file.verdict.is_some_and(Verdict::skips_response);
    if short_path {
        milestones.closed
    } else {
        milestones.recovered
    }
}

fn time_metrics(incidents: &[(&Incident, Milestones)]) -> Vec<TimeMetric> {
    type Span = fn(&Incident, &Milestones) -> Option<(DateTime<Utc>, DateTime<Utc>)>;
    let definitions: [(&str, &str, Span); 4] = [
        (
            "MTTD",
            "mean time to detect: from the earliest event on the timeline to detection",
            |_, m| Some((m.first_event?, m.detected?)),
        ),
        (
            "MTTA",
            "mean time to acknowledge: from detection to the first owner (the end of triage)",
            |_, m| Some((m.detected?, m.acknowledged?)),
        ),
        (
            "MTTC",
            "mean time to contain: from detection to the end of containment (entering eradication)",
            |_, m| Some((m.detected?, m.contained?)),
        ),
        (
            "MTTR",
            "mean time to resolve: from detection to the end of recovery (entering reporting), \
             or to closing for false positives and benign incidents",
            |incident, m| Some((m.detected?, resolved(incident, m)?)),
        ),
    ];
    definitions
        .into_iter()
        .map(|(name, definition, span)| {
            let mut seconds: Vec<f64> = incidents
                .iter()
                .filter_map(|(incident, m)| span(incident, m))
                .map(|(from, to)| (to - from).num_milliseconds() as f64 / 1000.0)
                .collect();
            seconds.sort_by(f64::total_cmp);
            TimeMetric {
                name,
                definition,
                incidents: seconds.len(),
                mean_seconds: mean(&seconds),
                median_seconds: median(&seconds),
            }
        })
        .collect()
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Returns the median of sorted values: the middle one, or the mean of the two middle ones.
fn median(sorted: &[f64]) -> Option<f64> {
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

fn sla_breaches(
    incident: &Incident,
    milestones: &Milestones,
    config: &Config,
    now: DateTime<Utc>,
) -> Vec<SlaBreach> {
    let file = &incident.file;
    let (Some(severity), Some(detected)) = (&file.severity, milestones.detected) else {
        return Vec::new();
    };
    let Some(sla) = config.severity.sla.get(severity) else {
        return Vec::new();
    };
    let short_path = file.verdict.is_some_and(Verdict::skips_response);
    let closed = file.phase == Phase::Closed;
    let targets = [
        (
            "acknowledge",
            sla.acknowledge,
            milestones.acknowledged,
            true,
        ),
        ("contain", sla.contain, milestones.contained, !short_path),
        ("resolve", sla.resolve, resolved(incident, milestones), true),
    ];
    let mut breaches = Vec::new();
    for (target, limit, reached, applies) in targets {
        let Some(limit_hours) = limit.filter(|_| applies) else {
            continue;
        };
        // A closed incident that never reached the milestone (a waived gate) has no figure.
        let (end, open) = match reached {
            Some(time) => (time, false),
            None if closed => continue,
            None => (now, true),
        };
        let actual_hours = (end - detected).num_seconds() as f64 / 3600.0;
        if actual_hours > limit_hours {
            breaches.push(SlaBreach {
                incident: file.id.clone(),
                severity: severity.clone(),
                target,
                limit_hours,
                actual_hours,
                open,
            });
        }
    }
    breaches
}

/// Returns the detection rules of an incident: the Wazuh rule it was opened from and the
/// rules of the alerts kept as its evidence.
pub fn rule_ids(incident: &Incident) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    if let Some(alert) = &incident.file.source.alert {
        if !alert.rule_id.is_empty() {
            ids.insert(alert.rule_id.clone());
        }
    }
    for evidence in &incident.evidence {
        if let Some(rule) = evidence.rule_id.as_ref().filter(|rule| !rule.is_empty()) {
            ids.insert(rule.clone());
        }
    }
    ids
}

fn rule_rates(incidents: &[Incident]) -> Vec<RuleRate> {
    let mut rates: BTreeMap<String, RuleRate> = BTreeMap::new();
    for incident in incidents {
        for rule_id in rule_ids(incident) {
            let rate = rates.entry(rule_id.clone()).or_insert_with(|| RuleRate {
                rule_id,
                incidents: 0,
                true_positive: 0,
                false_positive: 0,
                benign: 0,
                undetermined: 0,
                false_positive_rate: None,
            });
            rate.incidents += 1;
            match incident.file.verdict {
                Some(Verdict::TruePositive) => rate.true_positive += 1,
                Some(Verdict::FalsePositive) => rate.false_positive += 1,
                Some(Verdict::Benign) => rate.benign += 1,
                None => rate.undetermined += 1,
            }
        }
    }
    let mut rates: Vec<RuleRate> = rates.into_values().collect();
    for rate in &mut rates {
        let determined = rate.true_positive + rate.false_positive + rate.benign;
        rate.false_positive_rate =
            (determined > 0).then(|| rate.false_positive as f64 / determined as f64);
    }
    // The rules most worth tuning first.
    rates.sort_by(|a, b| {
        let rate = |r: &RuleRate| r.false_positive_rate.unwrap_or(-1.0);
        rate(b)
            .total_cmp(&rate(a))
            .then(b.incidents.cmp(&a.incidents))
            .then(a.rule_id.cmp(&b.rule_id))
    });
    rates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_count_is_mean_of_middle() {
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), Some(3.0));
        assert_eq!(median(&[1.0, 2.0, 4.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }
}
