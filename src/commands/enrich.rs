//! `casefile enrich`: look up an incident's indicators in VirusTotal or offline feeds and store
//! the dated results in the incident.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::clock::format_time;
use crate::enrich::feed::Feed;
use crate::enrich::virustotal::{self, Client, Lookup};
use crate::enrich::{virustotal_supports, EnrichmentRecord};
use crate::error::{Error, Result};
use crate::incident::id::new_record_id;
use crate::incident::{record_toml, Incident, Ioc, ENRICHMENT_DIR};
use crate::ioc::Indicator;

use super::{incident_change, Context, Workspace};

/// Enrich an incident's indicators with threat intelligence: VirusTotal API v3 (key from the
/// environment variable named by enrich.virustotal_key_env, VT_API_KEY by default) and offline
/// feed files. Results are stored as dated files, so reports re-render offline
#[derive(Debug, Args)]
pub struct EnrichArgs {
    /// Incident ID
    pub id: String,
    /// Offline feed file: one indicator per line, optionally `,label`; repeatable
    #[arg(long, value_name = "FILE")]
    pub feed: Vec<PathBuf>,
    /// Use only the feeds given with --feed; do not query VirusTotal
    #[arg(long)]
    pub offline: bool,
    /// Query again indicators that already have a VirusTotal result younger than this many days
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub max_age: u32,
    /// Seconds to wait between VirusTotal requests (the public API allows 4 a minute)
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    pub interval: f64,
    /// Maximum number of VirusTotal requests in this run
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Also send known-benign values (private and documentation ranges, reserved names) to
    /// VirusTotal, which learns every value it is asked about
    #[arg(long)]
    pub include_benign: bool,
}

pub fn run(args: EnrichArgs, context: &mut Context) -> Result<i32> {
    if !args.interval.is_finite() || args.interval < 0.0 {
        return Err(Error::invalid(format!(
            "--interval {} is not a number of seconds >= 0",
            args.interval
        )));
    }
    let feeds = args
        .feed
        .iter()
        .map(|path| Feed::load(path))
        .collect::<Result<Vec<_>>>()?;
    for feed in &feeds {
        if feed.skipped > 0 {
            let lines: Vec<String> = feed
                .skipped_lines
                .iter()
                .take(5)
                .map(usize::to_string)
                .collect();
            context.warn(format!(
                "feed {}: skipped {} line(s) that are not indicators (line {})",
                feed.name,
                feed.skipped,
                lines.join(", ")
            ));
        }
    }
    if args.offline && feeds.is_empty() {
        return Err(Error::invalid_with_hint(
            "--offline without --feed has nothing to look up",
            "pass --feed FILE",
        ));
    }
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let client = if args.offline {
        None
    } else {
        Some(virustotal_client(&workspace)?)
    };

    let mut results = Vec::new();
    let iocs = incident.iocs();
    for ioc in &iocs {
        let indicator = Indicator {
            kind: ioc.kind,
            value: ioc.value.clone(),
        };
        for feed in &feeds {
            let Some(label) = feed.matches(&indicator) else {
                continue;
            };
            let provider = format!("feed:{}", feed.name);
            let known = incident.enrichment.iter().any(|record| {
                record.provider == provider
                    && record.kind == ioc.kind
                    && record.value == ioc.value
                    && record.label.as_deref().unwrap_or("") == label
            });
            if !known {
                results.push((feed_record(&workspace, context, feed, ioc, label), None));
            }
        }
    }
    if let Some(client) = &client {
        let due: Vec<&Ioc> = iocs
            .iter()
            .filter(|ioc| {
                let indicator = Indicator {
                    kind: ioc.kind,
                    value: ioc.value.clone(),
                };
                let benign = crate::ioc::benign_reason(&indicator).is_some();
                virustotal_supports(ioc.kind)
                    && (args.include_benign || !benign)
                    && !recently_enriched(&incident, ioc, args.max_age, context)
            })
            .take(args.limit)
            .collect();
        for (index, ioc) in due.iter().enumerate() {
            if index > 0 {
                std::thread::sleep(Duration::from_secs_f64(args.interval));
            }
            context.status(format!(
                "VirusTotal: {} {}",
                ioc.kind,
                crate::ioc::defang(ioc.kind, &ioc.value)
            ));
            match lookup_record(&workspace, context, client, ioc) {
                Ok(result) => results.push(result),
                Err(error) if !results.is_empty() => {
                    // Keep what the quota already paid for, then report the failure.
                    let stored = results.len();
                    write_results(&workspace, context, &incident, results)?;
                    context.warn(format!(
                        "stored {stored} result(s) fetched before the failure"
                    ));
                    return Err(error);
                }
                Err(error) => return Err(error),
            }
        }
    }
    if results.is_empty() {
        context.status(format!("{}: nothing to enrich", incident.id()));
        return Ok(0);
    }
    write_results(&workspace, context, &incident, results)
}

fn virustotal_client(workspace: &Workspace) -> Result<Client> {
    let settings = &workspace.repo.config.enrich;
    let key = std::env::var(&settings.virustotal_key_env).unwrap_or_default();
    if key.trim().is_empty() {
        return Err(Error::invalid_with_hint(
            format!(
                "no VirusTotal API key: the environment variable {} is empty",
                settings.virustotal_key_env
            ),
            format!(
                "export {}=YOUR_KEY, or pass --offline with --feed FILE",
                settings.virustotal_key_env
            ),
        ));
    }
    Ok(Client::new(
        &settings.virustotal_url,
        key.trim().to_string(),
        Duration::from_secs(30),
        Duration::from_secs(15),
    ))
}

fn recently_enriched(incident: &Incident, ioc: &Ioc, max_age_days: u32, context: &Context) -> bool {
    let cutoff = context.clock.now() - chrono::Duration::days(i64::from(max_age_days));
    incident.enrichment.iter().any(|record| {
        record.provider == "virustotal"
            && record.kind == ioc.kind
            && record.value == ioc.value
            && crate::clock::parse_time(&record.queried).is_ok_and(|time| time.to_utc() > cutoff)
    })
}

fn base_record(
    workspace: &Workspace,
    context: &Context,
    provider: &str,
    ioc: &Ioc,
    verdict: &str,
) -> EnrichmentRecord {
    EnrichmentRecord {
        id: String::new(),
        provider: provider.to_string(),
        kind: ioc.kind,
        value: ioc.value.clone(),
        queried: format_time(context.clock.now()),
        actor: workspace.actor(),
        verdict: verdict.to_string(),
        malicious: 0,
        suspicious: 0,
        harmless: 0,
        undetected: 0,
        reputation: None,
        label: None,
        last_analysis: None,
        link: None,
        raw: None,
    }
}

fn feed_record(
    workspace: &Workspace,
    context: &Context,
    feed: &Feed,
    ioc: &Ioc,
    label: &str,
) -> EnrichmentRecord {
    let mut record = base_record(
        workspace,
        context,
        &format!("feed:{}", feed.name),
        ioc,
        "malicious",
    );
    record.label = (!label.is_empty()).then(|| label.to_string());
    record
}

fn lookup_record(
    workspace: &Workspace,
    context: &Context,
    client: &Client,
    ioc: &Ioc,
) -> Result<(EnrichmentRecord, Option<Vec<u8>>)> {
    match client.lookup(ioc.kind, &ioc.value)? {
        Lookup::NotFound => Ok((
            base_record(workspace, context, "virustotal", ioc, "not-found"),
            None,
        )),
        Lookup::Found(reply) => {
            let summary = virustotal::summarize(ioc.kind, &ioc.value, &reply);
            let verdict = if summary.malicious > 0 {
                "malicious"
            } else if summary.suspicious > 0 {
                "suspicious"
            } else if summary.harmless > 0 {
                "harmless"
            } else {
                "unknown"
            };
            let mut record = base_record(workspace, context, "virustotal", ioc, verdict);
            record.malicious = summary.malicious;
            record.suspicious = summary.suspicious;
            record.harmless = summary.harmless;
            record.undetected = summary.undetected;
            record.reputation = summary.reputation;
            record.label = summary.label;
            record.last_analysis = summary
                .last_analysis
                .and_then(|seconds| chrono::DateTime::from_timestamp(seconds, 0))
                .map(format_time);
            record.link = summary.gui_link;
            let raw = serde_json::to_vec_pretty(&reply).map_err(|source| Error::Json {
                context: "a VirusTotal reply".into(),
                source,
            })?;
            Ok((record, Some(raw)))
        }
    }
}

fn write_results(
    workspace: &Workspace,
    context: &Context,
    incident: &Incident,
    results: Vec<(EnrichmentRecord, Option<Vec<u8>>)>,
) -> Result<i32> {
    let now = context.clock.now();
    let count = results.len();
    let mut change = incident_change(
        incident.id(),
        "enrich",
        &format!("add {count} enrichment result(s)"),
    );
    let mut lines = Vec::new();
    for (mut record, raw) in results {
        let record_id = new_record_id(now);
        let dir = incident.dir.join(ENRICHMENT_DIR);
        if let Some(raw) = raw {
            record.raw = Some(format!("{record_id}.json"));
            change.write(dir.join(format!("{record_id}.json")), raw);
        }
        lines.push(format!(
            "{} {} {}: {}",
            record.provider,
            record.kind,
            crate::ioc::defang(record.kind, &record.value),
            record.detections()
        ));
        change.write(dir.join(format!("{record_id}.toml")), record_toml(&record)?);
    }
    context.apply(workspace, &change)?;
    if context.json {
        context.print_json(&lines)?;
    } else {
        context.print_data(&lines.join("\n"))?;
    }
    Ok(0)
}
