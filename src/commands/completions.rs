//! `casefile completions` and `casefile man`.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::{Error, Result};

/// Print a shell completion script
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Print the man page (roff)
#[derive(Debug, Args)]
pub struct ManArgs {}

pub fn run_completions(args: CompletionsArgs) -> Result<i32> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "casefile", &mut std::io::stdout());
    Ok(0)
}

pub fn run_man(_args: ManArgs) -> Result<i32> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut buffer = Vec::new();
    page.render(&mut buffer)
        .map_err(Error::io("render", "the man page"))?;
    std::io::stdout()
        .write_all(&buffer)
        .map_err(Error::io("write", "standard output"))?;
    Ok(0)
}
