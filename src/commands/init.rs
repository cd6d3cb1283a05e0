//! `casefile init`: create a case repository, or adopt an existing git repository as one.

use std::fs;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{CONFIG_FILE, CONFIG_TEMPLATE};
use crate::error::{Error, Result};
use crate::incident::INCIDENTS_DIR;
use crate::repo::line_endings::{
    self, EVIDENCE_ATTRIBUTE, EVIDENCE_ATTRIBUTE_BLOCK, GITATTRIBUTES_FILE,
};
use crate::repo::{analyst_from_git, Applied, CaseRepo, Change};

use super::Context;

/// Create a case repository (or adopt an existing git repository) with casefile.toml,
/// incidents/, a .gitattributes line that keeps evidence byte for byte, and an initial commit
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory of the case repository; created when missing
    #[arg(value_name = "DIR")]
    pub target: Option<PathBuf>,

    /// Also write .github/workflows/casefile.yml, which checks incidents on pull requests
    #[arg(long)]
    pub github: bool,

    /// Also write wazuh/custom-casefile, a Wazuh custom integration that runs `casefile ingest`
    /// for each alert, and the ossec.conf block that enables it
    #[arg(long)]
    pub wazuh: bool,
}

pub fn run(args: InitArgs, context: &mut Context) -> Result<i32> {
    let dir = match &args.target {
        Some(dir) if dir.is_absolute() => dir.clone(),
        Some(dir) => context.dir.join(dir),
        None => context.dir.clone(),
    };
    let extras = Extras {
        github: args.github,
        wazuh: args.wazuh,
    };
    let root = init_repository(&dir, context, extras)?;
    context.status(format!("initialized case repository in {}", root.display()));
    Ok(0)
}

/// Optional files that `init` writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    pub github: bool,
    pub wazuh: bool,
}

/// Creates or adopts the repository at `dir` and commits the casefile skeleton; returns its root.
pub fn init_repository(dir: &Path, context: &Context, extras: Extras) -> Result<PathBuf> {
    let created_dir = !dir.exists();
    fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
    let result = init_inside(dir, context, extras);
    if result.is_err() && created_dir {
        let _ = fs::remove_dir_all(dir);
    }
    result
}

fn init_inside(dir: &Path, context: &Context, extras: Extras) -> Result<PathBuf> {
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
    if let Some(attributes) = gitattributes(&git, &root, context)? {
        change.write(GITATTRIBUTES_FILE, attributes);
    }
    let mut optional = Vec::new();
    if extras.github {
        optional.extend(crate::workflow::github_files());
    }
    if extras.wazuh {
        optional.extend(crate::workflow::wazuh_files());
    }
    for (path, content) in optional {
        if !root.join(path).exists() {
            change.write(path, content);
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

/// Returns `.gitattributes` with the evidence attribute appended, or `None` when git already
/// leaves the line endings of evidence alone. The lines already in the file are kept as they
/// are. A file with uncommitted changes is left to the analyst, because the init commit would
/// include those changes.
fn gitattributes(
    git: &git2::Repository,
    root: &Path,
    context: &Context,
) -> Result<Option<Vec<u8>>> {
    let unprotected = line_endings::text_evidence(git, None)
        .map_err(Error::git("read the git attributes of evidence files"))?;
    if unprotected.is_none() {
        return Ok(None);
    }
    let uncommitted = git
        .status_file(Path::new(GITATTRIBUTES_FILE))
        .is_ok_and(|status| !status.is_empty() && status != git2::Status::IGNORED);
    if uncommitted {
        context.warn(format!(
            "{GITATTRIBUTES_FILE} has uncommitted changes, so init leaves it alone; add the \
             line `{EVIDENCE_ATTRIBUTE}` to it, which keeps git from converting the line \
             endings of evidence"
        ));
        return Ok(None);
    }
    let path = root.join(GITATTRIBUTES_FILE);
    let mut content = match fs::read(&path) {
        Ok(content) => content,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(Error::Io {
                action: "read",
                path,
                source,
            })
        }
    };
    if !content.is_empty() {
        if !content.ends_with(b"\n") {
            content.push(b'\n');
        }
        content.push(b'\n');
    }
    content.extend_from_slice(EVIDENCE_ATTRIBUTE_BLOCK.as_bytes());
    Ok(Some(content))
}
