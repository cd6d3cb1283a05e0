//! Reads a file line by line and prints `type<TAB>value` for every indicator found, the way
//! `casefile extract` will; used by `benches/extract/bench.sh` to time the extractor.
//!
//! Usage: `cargo run --release --example extract_bench -- FILE`

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

use casefile::ioc::Extractor;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: extract_bench FILE");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {path}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &str) -> io::Result<()> {
    let extractor = Extractor::new();
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        for found in extractor.extract(&line) {
            writeln!(out, "{}\t{}", found.indicator.kind, found.indicator.value)?;
        }
    }
    out.flush()
}
