//! `casefile export`: an incident, or all of them, as STIX 2.1, MISP, CSV, an ATT&CK Navigator
//! layer or a blocklist, on stdout or into a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::error::{Error, Result};
use crate::export::{self, blocklist, csv, misp, navigator, stix};
use crate::incident::{self, Incident};
use crate::repo::{write_atomic, CaseRepo};
use crate::tlp::Tlp;

use super::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// STIX 2.1 bundle (one incident)
    Stix,
    /// MISP event in the MISP core format (one incident)
    Misp,
    /// IOC table, RFC 4180 CSV
    Csv,
    /// ATT&CK Navigator layer, format 4.5
    Navigator,
    /// IP addresses, CIDR ranges and domains to block, one per line
    Blocklist,
}

/// Export an incident for other tools: a STIX 2.1 bundle, a MISP event, a CSV of its IOCs, an
/// ATT&CK Navigator layer or a blocklist. Prints to stdout unless `-o FILE` is given.
///
/// IOC values are exported refanged (the real values), since the tools that read these
/// formats match on them. In CSV, a value starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'` so that spreadsheets do not run it as a formula.
///
/// The blocklist leaves out private, loopback, link-local, multicast, reserved and
/// documentation ranges, reserved domains (`example.com`, `.test`, `.local`, ...), values
/// overlapping `blocklist.allow` in casefile.toml, and the IOCs of incidents whose verdict is
/// false-positive or benign. It lists each value left out on stderr.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Incident ID
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub id: Option<String>,
    /// Output format
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Export every incident (csv, navigator and blocklist only)
    #[arg(long)]
    pub all: bool,
    /// Output file; stdout by default
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Export only IOCs marked at or below this TLP level (CLEAR, GREEN, AMBER,
    /// AMBER+STRICT, RED)
    #[arg(long, value_name = "LEVEL")]
    pub tlp: Option<String>,
    /// With `--format blocklist`, print a Wazuh CDB list (`key:` lines)
    #[arg(long)]
    pub cdb: bool,
}

pub fn run(args: ExportArgs, context: &mut Context) -> Result<i32> {
    let max_tlp = args.tlp.as_deref().map(Tlp::parse).transpose()?;
    check_flags(&args)?;
    let repo = context.repo()?;
    let incidents = load_incidents(&repo, args.id.as_deref())?;

    let text = match args.format {
        ExportFormat::Stix => {
            let incident = &incidents[0];
            let tlp = export::incident_tlp(incident, &repo.config);
            let iocs = export::indicators(incident, &repo.config, max_tlp);
            to_json(&stix::bundle(incident, tlp, &iocs))?
        }
        ExportFormat::Misp => {
            let incident = &incidents[0];
            let tlp = export::incident_tlp(incident, &repo.config);
            let iocs = export::indicators(incident, &repo.config, max_tlp);
            to_json(&misp::event(incident, &repo.config, tlp, &iocs))?
        }
        ExportFormat::Csv => csv::render(&all_indicators(&repo, &incidents, max_tlp)),
        ExportFormat::Navigator => {
            let name = match &args.id {
                Some(_) => format!("casefile {}", incidents[0].id()),
                None => format!("casefile: {} incidents", incidents.len()),
            };
            let version = export::attack_major(&repo.config.attack.version);
            to_json(&navigator::layer(&name, &incidents, &version))?
        }
        ExportFormat::Blocklist => render_blocklist(context, &repo, &incidents, max_tlp, args.cdb),
    };

    match &args.output {
        Some(path) if path.as_os_str() != "-" => {
            write_output(path, text.as_bytes())?;
            context.status(format!("wrote {}", path.display()));
        }
        _ => context.print_data(&text)?,
    }
    Ok(0)
}

/// Writes a document to a file the user named. A regular file is replaced atomically. Anything
/// else that exists, such as `/dev/null` or a named pipe, is written in place, because
/// renaming over it would replace the device or pipe with a regular file.
pub fn write_output(path: &Path, content: &[u8]) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() && !metadata.is_dir() => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(Error::io("open", path))?;
            file.write_all(content).map_err(Error::io("write", path))
        }
        _ => write_atomic(path, content),
    }
}

fn check_flags(args: &ExportArgs) -> Result<()> {
    let single = matches!(args.format, ExportFormat::Stix | ExportFormat::Misp);
    if args.all && single {
        return Err(Error::invalid_with_hint(
            "`--all` works with csv, navigator and blocklist, not with stix or misp",
            "export one incident at a time: `casefile export ID --format stix`",
        ));
    }
    if args.cdb && args.format != ExportFormat::Blocklist {
        return Err(Error::invalid_with_hint(
            "`--cdb` applies only to `--format blocklist`",
            "add `--format blocklist`, or drop `--cdb`",
        ));
    }
    Ok(())
}

fn load_incidents(repo: &CaseRepo, id: Option<&str>) -> Result<Vec<Incident>> {
    match id {
        Some(input) => {
            let id = incident::id::parse_incident_id(input)?;
            Ok(vec![Incident::load(&repo.root, &id)?])
        }
        None => incident::list_ids(&repo.root)?
            .iter()
            .map(|id| Incident::load(&repo.root, id))
            .collect(),
    }
}

fn all_indicators(
    repo: &CaseRepo,
    incidents: &[Incident],
    max_tlp: Option<Tlp>,
) -> Vec<export::ExportIoc> {
    incidents
        .iter()
        .flat_map(|incident| export::indicators(incident, &repo.config, max_tlp))
        .collect()
}

fn render_blocklist(
    context: &Context,
    repo: &CaseRepo,
    incidents: &[Incident],
    max_tlp: Option<Tlp>,
    cdb: bool,
) -> String {
    let (malicious, not_malicious): (Vec<&Incident>, Vec<&Incident>) = incidents
        .iter()
        .partition(|incident| !export::is_not_malicious(incident));
    for incident in not_malicious {
        context.status(format!(
            "left out the IOCs of {}: its verdict is {}",
            incident.id(),
            incident.file.verdict.map_or("none", |v| v.as_str())
        ));
    }
    let iocs: Vec<export::ExportIoc> = malicious
        .into_iter()
        .flat_map(|incident| export::indicators(incident, &repo.config, max_tlp))
        .collect();
    let (entries, mut skipped) = blocklist::build(&iocs, &repo.config.blocklist.allow);
    let text = if cdb {
        let (text, unexpressible) = blocklist::cdb(&entries);
        skipped.extend(unexpressible);
        text
    } else {
        entries.iter().map(|entry| format!("{entry}\n")).collect()
    };
    for item in skipped {
        context.status(format!("left out {}: {}", item.value, item.reason));
    }
    text
}

fn to_json(value: &serde_json::Value) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|source| Error::Json {
        context: "the export".into(),
        source,
    })
}
