//! `casefile ioc add` and `ioc list`: the indicators of an incident.

use clap::{Args, Subcommand};

use crate::clock::{format_time, parse_time};
use crate::error::Result;
use crate::incident::id::new_record_id;
use crate::incident::{record_toml, Incident, IocRecord, IOCS_DIR};
use crate::ioc::{self, Indicator, IocType};
use crate::repo::Change;
use crate::report::text::make_visible;
use crate::tlp::Tlp;

use super::{incident_change, Context, Workspace};

#[derive(Debug, Subcommand)]
pub enum IocCommand {
    Add(AddArgs),
    Extract(ExtractArgs),
    List(ListArgs),
}

/// Extract indicators from a text file (or `-` for stdin) and add them to an incident, with
/// the file's name as their source
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Incident ID
    pub id: String,
    /// Text file, or `-` for standard input
    #[arg(value_name = "FILE")]
    pub input: std::path::PathBuf,
    /// Only these types; repeat or separate with commas
    #[arg(long = "type", value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<IocType>,
    /// TLP marking of these indicators; defaults to the incident's
    #[arg(long)]
    pub tlp: Option<String>,
    /// Leave out known-benign values (private and documentation ranges, empty-file hashes)
    #[arg(long)]
    pub skip_benign: bool,
}

/// Add indicators of compromise. Values are refanged (hxxp, [.], [at]) and validated; a value
/// the incident already has is merged with it, not repeated
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Incident ID
    pub id: String,
    /// Indicator values
    #[arg(required = true, value_name = "VALUE")]
    pub values: Vec<String>,
    /// Type of every value; detected from each value when not given
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<IocType>,
    /// TLP marking of these indicators; defaults to the incident's
    #[arg(long)]
    pub tlp: Option<String>,
    /// When the indicator was first seen (RFC 3339 or with a zone name); defaults to now
    #[arg(long, value_name = "TIME")]
    pub seen: Option<String>,
    /// Source of the indicator, such as a log file or `analyst`
    #[arg(long, default_value = "analyst")]
    pub source: String,
    /// A note on the indicator
    #[arg(long)]
    pub note: Option<String>,
}

/// List the indicators of an incident, defanged unless --no-defang
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Incident ID
    pub id: String,
    /// Print values as stored, not defanged
    #[arg(long)]
    pub no_defang: bool,
}

pub fn run(command: IocCommand, context: &mut Context) -> Result<i32> {
    match command {
        IocCommand::Add(args) => add(args, context),
        IocCommand::Extract(args) => extract(args, context),
        IocCommand::List(args) => list(args, context),
    }
}

fn add(args: AddArgs, context: &mut Context) -> Result<i32> {
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let mut indicators = Vec::new();
    for value in &args.values {
        let indicator = ioc::parse_indicator(value, args.kind)?;
        if let Some(reason) = ioc::benign_reason(&indicator) {
            context.warn(format!(
                "{} {} looks benign: {reason}",
                indicator.kind, indicator.value
            ));
        }
        indicators.push(indicator);
    }
    let tlp = args.tlp.as_deref().map(Tlp::parse).transpose()?;
    let seen = match &args.seen {
        Some(text) => format_time(parse_time(text)?.to_utc()),
        None => format_time(context.clock.now()),
    };
    let sighting = Sighting {
        seen: &seen,
        source: &args.source,
        tlp,
        note: args.note.as_deref(),
    };
    let (change, added) = indicator_change(
        &workspace,
        context,
        &incident,
        &indicators,
        &sighting,
        "ioc add",
    )?;
    if added.is_empty() {
        context.status(format!(
            "{} already has every indicator given",
            incident.id()
        ));
        return Ok(0);
    }
    context.apply(&workspace, &change)?;
    for indicator in &added {
        context.status(format!(
            "added {} {}",
            indicator.kind,
            ioc::defang(indicator.kind, &indicator.value)
        ));
    }
    Ok(0)
}

fn extract(args: ExtractArgs, context: &mut Context) -> Result<i32> {
    let workspace = context.workspace()?;
    let incident = workspace.open_incident(&args.id)?;
    let tlp = args.tlp.as_deref().map(Tlp::parse).transpose()?;
    let found = super::extract::extract_unique(&args.input, &args.types)?;
    let mut indicators = Vec::new();
    let mut benign = 0;
    for item in found {
        let indicator = Indicator {
            kind: item.kind,
            value: item.value,
        };
        if ioc::benign_reason(&indicator).is_some() {
            benign += 1;
            if args.skip_benign {
                continue;
            }
        }
        indicators.push(indicator);
    }
    if benign > 0 {
        let what = if args.skip_benign {
            "left out"
        } else {
            "kept; --skip-benign leaves them out"
        };
        context.warn(format!("{benign} known-benign indicator(s) {what}"));
    }
    let source = if args.input == std::path::Path::new("-") {
        "extract: stdin".to_string()
    } else {
        let name = args
            .input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("extract: {name}")
    };
    let seen = format_time(context.clock.now());
    let sighting = Sighting {
        seen: &seen,
        source: &source,
        tlp,
        note: None,
    };
    let (change, added) = indicator_change(
        &workspace,
        context,
        &incident,
        &indicators,
        &sighting,
        "ioc extract",
    )?;
    if added.is_empty() {
        context.status(format!(
            "{}: no new indicators in {}",
            incident.id(),
            args.input.display()
        ));
        return Ok(0);
    }
    context.apply(&workspace, &change)?;
    let mut output = String::new();
    for indicator in &added {
        output.push_str(&format!(
            "{}\t{}\n",
            indicator.kind,
            ioc::defang(indicator.kind, &indicator.value)
        ));
    }
    context.print_data(&output)?;
    context.status(format!(
        "{}: added {} indicator(s)",
        incident.id(),
        added.len()
    ));
    Ok(0)
}

/// The time, source and marking of a set of indicators being added.
pub struct Sighting<'a> {
    pub seen: &'a str,
    pub source: &'a str,
    pub tlp: Option<Tlp>,
    pub note: Option<&'a str>,
}

/// Builds the change that adds indicators; ones the incident already has from the same source
/// are left out. Returns the change and the indicators it adds.
pub fn indicator_change(
    workspace: &Workspace,
    context: &Context,
    incident: &Incident,
    indicators: &[Indicator],
    sighting: &Sighting,
    command: &str,
) -> Result<(Change, Vec<Indicator>)> {
    let now = context.clock.now();
    let mut added: Vec<Indicator> = Vec::new();
    let mut change = Change::default();
    for indicator in indicators {
        // A sighting already recorded from the same source adds nothing, unless this one
        // carries a stricter TLP marking, which must win in every report and export.
        let known = incident.ioc_records.iter().any(|record| {
            record.kind == indicator.kind
                && record.value == indicator.value
                && record.source == sighting.source
                && sighting
                    .tlp
                    .is_none_or(|tlp| record.tlp.is_some_and(|known| known >= tlp))
        });
        if known || added.contains(indicator) {
            continue;
        }
        let record = IocRecord {
            id: String::new(),
            kind: indicator.kind,
            value: indicator.value.clone(),
            first_seen: sighting.seen.to_string(),
            last_seen: sighting.seen.to_string(),
            recorded: format_time(now),
            actor: workspace.actor(),
            source: sighting.source.to_string(),
            tlp: sighting.tlp,
            note: sighting.note.map(str::to_string),
        };
        change.write(
            incident
                .dir
                .join(IOCS_DIR)
                .join(format!("{}.toml", new_record_id(now))),
            record_toml(&record)?,
        );
        added.push(indicator.clone());
    }
    let summary = match added.as_slice() {
        [single] => format!("add {} indicator", single.kind),
        many => format!("add {} indicators", many.len()),
    };
    let mut described = incident_change(incident.id(), command, &summary);
    for indicator in &added {
        described.body.insert(
            0,
            format!(
                "- {} {}",
                indicator.kind,
                ioc::defang(indicator.kind, &indicator.value)
            ),
        );
    }
    if !added.is_empty() {
        described.body.insert(added.len(), String::new());
    }
    described.absorb(change);
    Ok((described, added))
}

fn list(args: ListArgs, context: &mut Context) -> Result<i32> {
    let repo = context.repo()?;
    let id = crate::incident::id::parse_incident_id(&args.id)?;
    let incident = Incident::load(&repo.root, &id)?;
    let iocs = incident.iocs();
    if context.json {
        let rows: Vec<serde_json::Value> = iocs
            .iter()
            .map(|indicator| {
                let shown = if args.no_defang { indicator.value.clone() } else { ioc::defang(indicator.kind, &indicator.value) };
                serde_json::json!({
                    "type": indicator.kind, "value": shown, "first_seen": indicator.first_seen,
                    "last_seen": indicator.last_seen, "sources": indicator.sources, "tlp": indicator.tlp,
                    "sightings": indicator.sightings,
                })
            })
            .collect();
        return context.print_json(&rows).map(|()| 0);
    }
    let mut output = String::new();
    for indicator in &iocs {
        let shown = if args.no_defang {
            indicator.value.clone()
        } else {
            ioc::defang(indicator.kind, &indicator.value)
        };
        output.push_str(&format!(
            "{:<12} {}  first seen {}  ({})\n",
            indicator.kind.as_str(),
            make_visible(&shown),
            indicator.first_seen,
            make_visible(&indicator.sources.join(", "))
        ));
    }
    if iocs.is_empty() {
        context.status(format!("{} has no indicators", incident.id()));
    }
    context.print_data(&output)?;
    Ok(0)
}
