//! `casefile doctor`: the preparation-phase readiness checklist.

use std::fmt::Write as _;

use clap::Args;

use crate::doctor::{self, Status};
use crate::error::{Error, Result};

use super::Context;

/// Check preparation readiness: a valid casefile.toml, an analyst roster, templates that
/// render, playbooks that parse, the ATT&CK version, the CI workflow and a git remote. Prints a
/// checklist (or JSON with --json); exits 1 when any item is an error
#[derive(Debug, Args)]
pub struct DoctorArgs {}

pub fn run(_args: DoctorArgs, context: &mut Context) -> Result<i32> {
    let git = git2::Repository::discover(&context.dir).map_err(|_| {
        Error::invalid_with_hint(
            format!("`{}` is not inside a git repository", context.dir.display()),
            "run `casefile init` to create a case repository, or pass `-C DIR`",
        )
    })?;
    let root = git
        .workdir()
        .ok_or_else(|| Error::invalid("the repository is bare; casefile needs a work tree"))?
        .to_path_buf();

    let items = doctor::diagnose(&git, &root);

    if context.json {
        context.print_json(&items)?;
    } else {
        let mut output = String::new();
        for item in &items {
            let _ = writeln!(
                output,
                "{:<8} {:<10} {}",
                item.status.as_str(),
                item.check,
                item.message
            );
        }
        context.print_data(&output)?;
    }
    let failed = items.iter().any(|item| item.status == Status::Error);
    Ok(if failed { 1 } else { 0 })
}
