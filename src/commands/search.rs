//! `casefile search`: every incident that contains an indicator, in any spelling of it.

use clap::Args;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::incident::{list_ids, Incident};
use crate::ioc::{self, Indicator, IocType};
use crate::phase::Phase;
use crate::report::text::make_visible;

use super::Context;

/// Find every incident that contains an indicator. The value is refanged and canonicalized
/// first, so `hxxp://Evil[.]com`, `EVIL.COM` and the punycode and Unicode spellings of a
/// domain all match; a domain or IP also matches URLs and e-mail addresses on that host
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Indicator value
    pub value: String,
    /// Type of the value; detected when not given
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<IocType>,
}

/// One incident's sightings of the indicator.
#[derive(Debug, Serialize)]
pub struct Hit {
    pub incident: String,
    pub phase: Phase,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: IocType,
    pub value: String,
    pub first_seen: String,
    pub last_seen: String,
    pub sources: Vec<String>,
}

pub fn run(args: SearchArgs, context: &mut Context) -> Result<i32> {
    let wanted = ioc::parse_indicator(&args.value, args.kind)?;
    let repo = context.repo()?;
    let ids = list_ids(&repo.root)?;
    let loaded: Vec<Result<Incident>> = ids
        .par_iter()
        .map(|id| Incident::load(&repo.root, id))
        .collect();
    let mut hits = Vec::new();
    for incident in loaded {
        let incident = incident?;
        for held in incident.iocs() {
            let candidate = Indicator {
                kind: held.kind,
                value: held.value.clone(),
            };
            if matches(&wanted, &candidate) {
                hits.push(Hit {
                    incident: incident.id().to_string(),
                    phase: incident.phase(),
                    title: incident.file.title.clone(),
                    kind: held.kind,
                    value: held.value,
                    first_seen: held.first_seen,
                    last_seen: held.last_seen,
                    sources: held.sources,
                });
            }
        }
    }
    if context.json {
        context.print_json(&hits)?;
    } else {
        let mut output = String::new();
        for hit in &hits {
            output.push_str(&format!(
                "{}\t{}\t{} {}\t{} .. {}\t{}\n",
                hit.incident,
                hit.phase,
                hit.kind,
                ioc::defang(hit.kind, &hit.value),
                hit.first_seen,
                hit.last_seen,
                make_visible(&hit.sources.join(", "))
            ));
        }
        context.print_data(&output)?;
    }
    if hits.is_empty() {
        context.status(format!(
            "no incident holds {} {}",
            wanted.kind,
            ioc::defang(wanted.kind, &wanted.value)
        ));
        return Ok(1);
    }
    Ok(0)
}

/// Returns whether an incident's indicator is the one searched for, or a URL or address on
/// that host.
fn matches(wanted: &Indicator, held: &Indicator) -> bool {
    if wanted.value == held.value && (wanted.kind == held.kind || !wanted.kind.is_hash()) {
        return true;
    }
    let host_types = matches!(
        wanted.kind,
        IocType::Domain | IocType::Ipv4 | IocType::Ipv6 | IocType::Hostname
    );
    if !host_types {
        return false;
    }
    host_of(held).is_some_and(|host| host == wanted.value)
}

fn host_of(indicator: &Indicator) -> Option<String> {
    match indicator.kind {
        IocType::Email => indicator
            .value
            .rsplit_once('@')
            .map(|(_, host)| host.to_string()),
        IocType::Url => {
            let rest = indicator
                .value
                .split_once("://")
                .map_or(indicator.value.as_str(), |(_, rest)| rest);
            let authority = rest.split(['/', '?', '#']).next()?;
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            let host = if host.starts_with('[') {
                host.trim_start_matches('[').split(']').next()?
            } else {
                host.split(':').next()?
            };
            Some(host.to_ascii_lowercase())
        }
        _ => None,
    }
}
