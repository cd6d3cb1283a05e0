//! `casefile stats`: counts, response times, SLA breaches and false-positive rates over the
//! incidents of the repository.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::Args;

use crate::error::{Error, Result};
use crate::incident::{self, Incident};
use crate::report::view::format_duration;
use crate::stats::{self, Stats, Window};

use super::Context;

/// Show incident metrics: counts by phase, type, severity, verdict and ATT&CK technique, and
/// the mean and median time to detect, acknowledge, contain and resolve. Also lists breaches of
/// the SLAs in casefile.toml (`severity.sla.<name>`, hours from detection) and the
/// false-positive rate per detection rule. The output defines each time it measures, and
/// `--json` prints the same data
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Only incidents detected on or after this date (YYYY-MM-DD, UTC) or time (RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only incidents detected before the end of this date (YYYY-MM-DD, UTC) or before this
    /// time (RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
}

pub fn run(args: StatsArgs, context: &mut Context) -> Result<i32> {
    let window = Window {
        since: args
            .since
            .as_deref()
            .map(|d| parse_bound(d, "--since", false))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|d| parse_bound(d, "--until", true))
            .transpose()?,
    };
    let repo = context.repo()?;
    let mut incidents = Vec::new();
    for id in incident::list_ids(&repo.root)? {
        let incident = Incident::load(&repo.root, &id)?;
        if stats::in_window(&incident, window) {
            incidents.push(incident);
        }
    }

    let stats = stats::compute(&incidents, &repo.config, context.clock.now());
    if context.json {
        context.print_json(&stats)
    } else {
        context.print_data(&render_table(&stats))
    }?;
    Ok(0)
}

/// Parses a `--since` or `--until` bound. A date alone means its start, or for `until` its
/// end, so `--until 2026-03-31` includes that day.
fn parse_bound(input: &str, flag: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    if let Ok(date) = NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d") {
        let start = date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc();
        return Ok(if end_of_day {
            start + Duration::days(1)
        } else {
            start
        });
    }
    crate::clock::parse_time(input)
        .map(|time| time.to_utc())
        .map_err(|_| {
            Error::invalid_with_hint(
                format!("{flag} `{input}` is not a date or time"),
                "use a date such as 2026-03-01 or an RFC 3339 time such as 2026-03-01T12:00:00Z",
            )
        })
}

fn render_table(stats: &Stats) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Incidents: {}", stats.incidents);
    for (title, counts) in [
        ("By phase", &stats.by_phase),
        ("By type", &stats.by_type),
        ("By severity", &stats.by_severity),
        ("By verdict", &stats.by_verdict),
        ("By ATT&CK technique", &stats.by_technique),
    ] {
        push_counts(&mut out, title, counts);
    }
    push_times(&mut out, stats);
    push_breaches(&mut out, stats);
    push_rules(&mut out, stats);
    out
}

fn push_counts(out: &mut String, title: &str, counts: &BTreeMap<String, usize>) {
    let _ = writeln!(out, "\n{title}");
    if counts.is_empty() {
        let _ = writeln!(out, "  none");
    }
    let width = counts.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    for (name, count) in counts {
        let _ = writeln!(out, "  {name:<width$}  {count:>5}");
    }
}

fn push_times(out: &mut String, stats: &Stats) {
    let _ = writeln!(out, "\nResponse times");
    let _ = writeln!(
        out,
        "  {:<6} {:>14} {:>14} {:>9}",
        "", "mean", "median", "incidents"
    );
    let show =
        |seconds: Option<f64>| seconds.map_or("-".into(), |s| format_duration(s.round() as i64));
    for metric in &stats.times {
        let _ = writeln!(
            out,
            "  {:<6} {:>14} {:>14} {:>9}",
            metric.name,
            show(metric.mean_seconds),
            show(metric.median_seconds),
            metric.incidents
        );
    }
    for metric in &stats.times {
        let _ = writeln!(out, "  {}: {}", metric.name, metric.definition);
    }
}

fn push_breaches(out: &mut String, stats: &Stats) {
    let _ = writeln!(out, "\nSLA breaches (hours from detection)");
    if stats.sla_breaches.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for breach in &stats.sla_breaches {
        let state = if breach.open { " (still open)" } else { "" };
        let _ = writeln!(
            out,
            "  {}  {}  {}: {:.1} h, target {} h{state}",
            breach.incident,
            breach.severity,
            breach.target,
            breach.actual_hours,
            breach.limit_hours
        );
    }
}

fn push_rules(out: &mut String, stats: &Stats) {
    let _ = writeln!(out, "\nFalse-positive rate per detection rule");
    if stats.rules.is_empty() {
        let _ = writeln!(out, "  no incidents from detection rules");
        return;
    }
    let _ = writeln!(
        out,
        "  {:<10} {:>9} {:>4} {:>4} {:>6} {:>12} {:>8}",
        "rule", "incidents", "TP", "FP", "benign", "undetermined", "FP rate"
    );
    for rule in &stats.rules {
        let rate = rule
            .false_positive_rate
            .map_or("-".into(), |rate| format!("{:.0}%", rate * 100.0));
        let _ = writeln!(
            out,
            "  {:<10} {:>9} {:>4} {:>4} {:>6} {:>12} {:>8}",
            rule.rule_id,
            rule.incidents,
            rule.true_positive,
            rule.false_positive,
            rule.benign,
            rule.undetermined,
            rate
        );
    }
    let _ = writeln!(
        out,
        "  FP rate: false positives divided by incidents with a verdict; benign is counted apart"
    );
}
