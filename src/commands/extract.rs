//! `casefile extract`: indicators from any text, with no case repository needed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ioc::{self, Extractor, Indicator, IocType};

use super::Context;

/// Extract indicators of compromise from a text file or `-` for stdin: IPs, CIDRs, domains,
/// URLs, e-mail addresses, hashes, CVEs, ASNs, MACs, registry keys, file paths and names.
/// Defanged forms (hxxp, [.], [at]) are recognised. Prints `type<TAB>value` once per
/// indicator, in order of first appearance
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Text file, or `-` for standard input
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// Print values defanged, safe to paste into tickets and chats
    #[arg(long)]
    pub defang: bool,
    /// Print every occurrence with its line number instead of each indicator once
    #[arg(long)]
    pub all: bool,
    /// Only these types; repeat or separate with commas
    #[arg(long = "type", value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<IocType>,
}

/// One extracted indicator with where it first appeared and how often.
#[derive(Debug, Serialize)]
pub struct Found {
    #[serde(rename = "type")]
    pub kind: IocType,
    pub value: String,
    pub line: usize,
    pub count: usize,
}

/// Reads `input` line by line and returns each indicator once, in order of first appearance.
pub fn extract_unique(input: &Path, types: &[IocType]) -> Result<Vec<Found>> {
    let mut found: Vec<Found> = Vec::new();
    let mut index: HashMap<Indicator, usize> = HashMap::new();
    for_each_indicator(input, types, |line, indicator| {
        match index.get(&indicator) {
            Some(&position) => found[position].count += 1,
            None => {
                index.insert(indicator.clone(), found.len());
                found.push(Found {
                    kind: indicator.kind,
                    value: indicator.value,
                    line,
                    count: 1,
                });
            }
        }
        Ok(())
    })?;
    Ok(found)
}

/// Calls `each` with the 1-based line number of every indicator in `input`. Bytes that are not
/// UTF-8 are replaced, so binary noise in a log does not stop the scan.
fn for_each_indicator(
    input: &Path,
    types: &[IocType],
    mut each: impl FnMut(usize, Indicator) -> Result<()>,
) -> Result<()> {
    let name = input.display().to_string();
    let reader: Box<dyn BufRead> = if input == Path::new("-") {
        Box::new(BufReader::with_capacity(1 << 20, std::io::stdin().lock()))
    } else {
        let file = std::fs::File::open(input).map_err(Error::io("open", input))?;
        Box::new(BufReader::with_capacity(1 << 20, file))
    };
    let extractor = Extractor::new();
    let mut reader = reader;
    let mut bytes = Vec::new();
    let mut number = 0;
    loop {
        bytes.clear();
        let read = reader
            .read_until(b'\n', &mut bytes)
            .map_err(Error::io("read", &name))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        let text = String::from_utf8_lossy(&bytes);
        for item in extractor.extract(&text) {
            if types.is_empty() || types.contains(&item.indicator.kind) {
                each(number, item.indicator)?;
            }
        }
    }
}

fn shown(kind: IocType, value: &str, defang: bool) -> String {
    let text = if defang {
        ioc::defang(kind, value)
    } else {
        value.to_string()
    };
    crate::report::text::make_visible(&text)
}

pub fn run(args: ExtractArgs, context: &mut Context) -> Result<i32> {
    if args.all {
        return run_all(&args, context);
    }
    let found = extract_unique(&args.input, &args.types)?;
    if context.json {
        let rows: Vec<Found> = found
            .into_iter()
            .map(|item| Found {
                value: if args.defang {
                    ioc::defang(item.kind, &item.value)
                } else {
                    item.value
                },
                ..item
            })
            .collect();
        return context.print_json(&rows).map(|()| 0);
    }
    let mut output = String::new();
    for item in &found {
        output.push_str(&format!(
            "{}\t{}\n",
            item.kind,
            shown(item.kind, &item.value, args.defang)
        ));
    }
    context.print_data(&output)?;
    context.status(format!("{} indicator(s)", found.len()));
    Ok(0)
}

fn run_all(args: &ExtractArgs, context: &Context) -> Result<i32> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut rows = Vec::new();
    for_each_indicator(&args.input, &args.types, |line, indicator| {
        if context.json {
            rows.push(Found {
                kind: indicator.kind,
                value: shown(indicator.kind, &indicator.value, args.defang),
                line,
                count: 1,
            });
            return Ok(());
        }
        writeln!(
            out,
            "{line}\t{}\t{}",
            indicator.kind,
            shown(indicator.kind, &indicator.value, args.defang)
        )
        .map_err(Error::io("write", "standard output"))
    })?;
    out.flush().map_err(Error::io("write", "standard output"))?;
    if context.json {
        context.print_json(&rows)?;
    }
    Ok(0)
}
