//! casefile keeps security incidents as TOML and Markdown files in a git repository and
//! enforces the incident-response phases with evidence gates.

pub mod alert;
pub mod attack;
pub mod check;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod enrich;
pub mod error;
pub mod export;
pub mod gate;
pub mod incident;
pub mod ingest;
pub mod ioc;
pub mod phase;
pub mod playbook;
pub mod repo;
pub mod report;
pub mod stats;
pub mod tlp;
pub mod workflow;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs the command and prints any error as `error:`, `caused by:`
/// and `hint:` lines. Returns 0 on success, 1 on failure and 2 on a usage error.
pub fn main_entry() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = clock::Clock::from_env().and_then(|clock| {
        let mut context = commands::Context::new(&cli.global, clock);
        commands::run(cli.command, &mut context)
    });
    match result {
        Ok(code) => ExitCode::from(code as u8),
        // A reader such as `head` that closes the pipe early is not a failure.
        Err(error::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            print_error(&error);
            ExitCode::from(1)
        }
    }
}

/// Prints an error with its causes and hint. Messages can quote input, so control characters
/// are shown as `[U+XXXX]` instead of reaching the terminal.
fn print_error(error: &error::Error) {
    let visible = |text: String| report::text::make_visible(&text);
    eprintln!("error: {}", visible(error.to_string()));
    for detail in error.details() {
        eprintln!("  - {}", visible(detail.clone()));
    }
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        eprintln!("caused by: {}", visible(inner.to_string()));
        cause = inner.source();
    }
    if let Some(hint) = error.hint() {
        eprintln!("hint: {}", visible(hint));
    }
}
