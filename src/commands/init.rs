//! `casefile init`: create a case repository, or adopt an existing git repository as one.

use std::fs;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{CONFIG_FILE, CONFIG_TEMPLATE};
use crate::error::{Error, Result};
use crate::incident::INCIDENTS_DIR;
use crate::repo::{analyst_from_git, Applied, CaseRepo, Change};

use super::Context;

/// Create a case repository (or adopt an existing git repository) with casefile.toml,
/// incidents/ and an initial commit
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory of the case repository; created when missing
    // A distinct id, because clap would otherwise fill the global `-C DIR` (also `dir`) with
    // this value and `init cases` would create `cases/cases`.
    #[arg(value_name = "DIR", id = "repository_dir")]
    pub dir: Option<PathBuf>,

    /// Also write .github/workflows/casefile.yml, which checks incidents on pull requests
    #[arg(long)]
    pub github: bool,
}

pub fn run(args: InitArgs, context: &mut Context) -> Result<i32> {
    let dir = match &args.dir {
        Some(dir) if dir.is_absolute() => dir.clone(),
        Some(dir) => context.dir.join(dir),
        None => context.dir.clone(),
    };
    let root = init_repository(&dir, context, args.github)?;
    context.status(format!("initialized case repository in {}", root.display()));
    Ok(0)
}

/// Creates or adopts the repository at `dir` and commits the casefile skeleton; returns its root.
pub fn init_repository(dir: &Path, context: &Context, github: bool) -> Result<PathBuf> {
    let created_dir = !dir.exists();
    fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
    let result = init_inside(dir, context, github);
    if result.is_err() && created_dir {
        let _ = fs::remove_dir_all(dir);
    }
    result
}

fn init_inside(dir: &Path, context: &Context, github: bool) -> Result<PathBuf> {
    let (git, created_git) = match git2::Repository::open(dir) {
        Ok(git) => (git, false),
        Err(_) => {
            let git = git2::Repository::init(dir)
                .map_err(Error::git(format!("initialize `{}`", dir.display())))?;
            (git, true)
        }
    };
    let root = git.workdir().unwrap_or(dir).to_path_buf();
    let analyst = match &context.analyst_override {
        Some(analyst) => analyst.clone(),
        None => match analyst_from_git(&git) {
            Ok(analyst) => analyst,
            Err(error) => {
                if created_git {
                    let _ = fs::remove_dir_all(root.join(".git"));
                }
                return Err(error);
            }
        },
    };

    let mut change = Change::new("casefile: initialize the case repository");
    change.body.push("Casefile-Command: init".into());
    if !root.join(CONFIG_FILE).exists() {
        change.write(CONFIG_FILE, CONFIG_TEMPLATE);
    }
    let keep = Path::new(INCIDENTS_DIR).join(".gitkeep");
    if !root.join(INCIDENTS_DIR).exists() {
        change.write(keep, "");
    }
    if github {
        for (path, content) in crate::workflow::github_files() {
            if !root.join(path).exists() {
                change.write(path, content);
            }
        }
    }
    if change.is_empty() {
        context.status(format!("{} is already a case repository", root.display()));
        return Ok(root);
    }

    // Adopting a repository works with the files written into its existing history.
    let repo = CaseRepo {
        root: root.clone(),
        git,
        config: crate::config::Config::default(),
    };
    match repo.apply(&change, &analyst, &context.clock, !context.no_commit) {
        Ok(Applied::Committed(_) | Applied::WrittenOnly | Applied::Unchanged) => Ok(root),
        Err(error) => {
            if created_git {
                let _ = fs::remove_dir_all(root.join(".git"));
            }
            Err(error)
        }
    }
}
