//! The case repository: locating it, and writing a change as files plus exactly one git commit.
//!
//! A change is applied all or nothing. Files are written first, then one commit is built from
//! `HEAD`'s tree plus the changed paths, so that whatever else the user has staged stays staged
//! and out of casefile's commit. When any step fails, the files written so far are restored and
//! `HEAD` and the index stay as they were.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Signature, Time, Tree};

use crate::clock::Clock;
use crate::config::{Config, CONFIG_FILE};
use crate::error::{Error, Result};

/// The analyst who runs a command: the git identity of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analyst {
    pub name: String,
    pub email: String,
}

impl std::fmt::Display for Analyst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// An opened case repository.
pub struct CaseRepo {
    pub root: PathBuf,
    pub git: Repository,
    pub config: Config,
}

/// The files one command writes or removes, and the commit message that describes them.
#[derive(Debug, Default)]
pub struct Change {
    /// Files to write by relative path; a later write of a path replaces the earlier one.
    writes: BTreeMap<PathBuf, Vec<u8>>,
    removals: Vec<PathBuf>,
    /// New files the command already wrote to disk, such as large evidence batches written
    /// while streaming; they are committed from disk and removed on rollback.
    prewritten: Vec<PathBuf>,
    pub subject: String,
    pub body: Vec<String>,
}

impl Change {
    pub fn new(subject: impl Into<String>) -> Self {
        Change {
            subject: subject.into(),
            ..Change::default()
        }
    }

    /// Adds a file to write, as a path relative to the repository root.
    pub fn write(&mut self, path: impl Into<PathBuf>, content: impl Into<Vec<u8>>) {
        self.writes.insert(path.into(), content.into());
    }

    /// Adds a tracked file to delete, as a path relative to the repository root.
    pub fn remove(&mut self, path: impl Into<PathBuf>) {
        self.removals.push(path.into());
    }

    /// Takes the files to write out of the change, leaving its message.
    pub fn take_writes(&mut self) -> BTreeMap<PathBuf, Vec<u8>> {
        std::mem::take(&mut self.writes)
    }

    /// Adds a new file that the caller has already written, as a path relative to the root.
    pub fn prewritten(&mut self, path: impl Into<PathBuf>) {
        self.prewritten.push(path.into());
    }

    /// Moves the files of `other` into this change, keeping this change's message.
    pub fn absorb(&mut self, other: Change) {
        for (path, content) in other.writes {
            self.write(path, content);
        }
        self.removals.extend(other.removals);
        self.prewritten.extend(other.prewritten);
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.removals.is_empty() && self.prewritten.is_empty()
    }

    /// Returns every path the change writes, removes or has written.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.writes
            .keys()
            .map(|path| path.as_path())
            .chain(self.removals.iter().map(|p| p.as_path()))
            .chain(self.prewritten.iter().map(|p| p.as_path()))
    }

    fn message(&self) -> String {
        let mut message = self.subject.clone();
        if !self.body.is_empty() {
            message.push_str("\n\n");
            message.push_str(&self.body.join("\n"));
        }
        message.push('\n');
        message
    }
}

/// What [`CaseRepo::apply`] did.
#[derive(Debug)]
pub enum Applied {
    Committed(Oid),
    WrittenOnly,
    Unchanged,
}

impl CaseRepo {
    /// Opens the case repository that contains `dir`, like git does with `-C`.
    pub fn open(dir: &Path) -> Result<Self> {
        let git = Repository::discover(dir).map_err(|source| {
            if source.code() == git2::ErrorCode::NotFound {
                Error::invalid_with_hint(
                    format!("`{}` is not inside a git repository", dir.display()),
                    "run `casefile init` to create a case repository, or pass `-C DIR`",
                )
            } else {
                Error::Git {
                    action: format!("open the repository at `{}`", dir.display()),
                    source,
                }
            }
        })?;
        let root = git
            .workdir()
            .ok_or_else(|| Error::invalid("the repository is bare; casefile needs a work tree"))?
            .to_path_buf();
        if !root.join(CONFIG_FILE).is_file() {
            return Err(Error::invalid_with_hint(
                format!(
                    "`{}` has no {CONFIG_FILE}, so it is not a case repository",
                    root.display()
                ),
                format!("run `casefile init {}` to adopt it", root.display()),
            ));
        }
        let config = Config::load(&root)?;
        Ok(CaseRepo { root, git, config })
    }

    /// Returns the analyst from git's `user.name` and `user.email`.
    pub fn analyst(&self) -> Result<Analyst> {
        analyst_from_git(&self.git)
    }

    /// Returns the short id of `HEAD`, or `None` in a repository with no commit.
    pub fn head_commit(&self) -> Option<String> {
        let head = self.git.head().ok()?.peel_to_commit().ok()?;
        Some(head.id().to_string())
    }

    /// Writes the change and, unless `commit` is false, records it as one commit.
    pub fn apply(
        &self,
        change: &Change,
        analyst: &Analyst,
        clock: &Clock,
        commit: bool,
    ) -> Result<Applied> {
        if change.is_empty() {
            return Ok(Applied::Unchanged);
        }
        for path in change.paths() {
            check_relative(path)?;
        }
        let mut journal = Journal::default();
        for relative in &change.prewritten {
            let path = self.root.join(relative);
            journal.known.insert(path.clone());
            journal.files.push((path, None));
        }
        let result = self.write_files(change, &mut journal).and_then(|()| {
            if commit {
                self.commit(change, analyst, clock).map(Applied::Committed)
            } else {
                Ok(Applied::WrittenOnly)
            }
        });
        if result.is_err() {
            journal.roll_back();
        }
        result
    }

    fn write_files(&self, change: &Change, journal: &mut Journal) -> Result<()> {
        for (relative, content) in &change.writes {
            let path = self.root.join(relative);
            journal.remember(&path)?;
            if let Some(parent) = path.parent() {
                journal.create_dirs(parent)?;
            }
            write_atomic(&path, content)?;
        }
        for relative in &change.removals {
            let path = self.root.join(relative);
            journal.remember(&path)?;
            if path.exists() {
                fs::remove_file(&path).map_err(Error::io("remove", &path))?;
            }
        }
        Ok(())
    }

    fn commit(&self, change: &Change, analyst: &Analyst, clock: &Clock) -> Result<Oid> {
        let repo = &self.git;
        let parent = match repo.head() {
            Ok(head) => Some(head.peel_to_commit().map_err(Error::git("read HEAD"))?),
            Err(error) if error.code() == git2::ErrorCode::UnbornBranch => None,
            Err(error) if error.code() == git2::ErrorCode::NotFound => None,
            Err(source) => {
                return Err(Error::Git {
                    action: "read HEAD".into(),
                    source,
                })
            }
        };

        // The commit's tree is HEAD's tree plus this change only. Only the trees on the
        // changed paths are rewritten, so the cost does not grow with the repository's size.
        let mut staged = Vec::new();
        let mut changes = Vec::new();
        for (relative, content) in &change.writes {
            let oid = repo.blob(content).map_err(Error::git("write a blob"))?;
            staged.push((relative.clone(), oid));
            changes.push((tree_components(relative)?, Some(oid)));
        }
        for relative in &change.prewritten {
            let path = self.root.join(relative);
            let oid = repo
                .blob_path(&path)
                .map_err(Error::git(format!("store `{}`", relative.display())))?;
            staged.push((relative.clone(), oid));
            changes.push((tree_components(relative)?, Some(oid)));
        }
        for relative in &change.removals {
            changes.push((tree_components(relative)?, None));
        }
        let base_tree = match &parent {
            Some(parent) => Some(parent.tree().map_err(Error::git("read HEAD's tree"))?),
            None => None,
        };
        let tree_id = match update_tree(repo, base_tree.as_ref(), &changes)? {
            Some(oid) => oid,
            None => repo
                .treebuilder(None)
                .and_then(|builder| builder.write())
                .map_err(Error::git("write the tree"))?,
        };
        let tree = repo
            .find_tree(tree_id)
            .map_err(Error::git("read the new tree"))?;

        let time = Time::new(clock.now().timestamp(), 0);
        let signature = Signature::new(&analyst.name, &analyst.email, &time)
            .map_err(Error::git("build the commit signature"))?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let message = change.message();
        let oid = repo
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                &message,
                &tree,
                &parents,
            )
            .map_err(Error::git("create the commit"))?;

        self.update_index(change, &staged)?;
        Ok(oid)
    }

    /// Stages the committed paths in the real index so that `git status` shows them clean.
    fn update_index(&self, change: &Change, staged: &[(PathBuf, Oid)]) -> Result<()> {
        let mut index = self.git.index().map_err(Error::git("open the index"))?;
        for (relative, _) in staged {
            index
                .add_path(relative)
                .map_err(Error::git(format!("stage `{}`", relative.display())))?;
        }
        for relative in &change.removals {
            let _ = index.remove_path(relative);
        }
        index.write().map_err(Error::git("write the index"))
    }
}

/// Reads the analyst identity from a repository's git configuration.
pub fn analyst_from_git(repo: &Repository) -> Result<Analyst> {
    let missing = || {
        Error::invalid_with_hint(
            "no git identity is configured, so casefile cannot record who made this change",
            "set one with `git config --global user.name \"Your Name\"` and \
             `git config --global user.email you@example.org`",
        )
    };
    let config = repo
        .config()
        .map_err(Error::git("read the git configuration"))?;
    let name = config
        .get_string("user.name")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let email = config
        .get_string("user.email")
        .ok()
        .filter(|v| !v.trim().is_empty());
    match (name, email) {
        (Some(name), Some(email)) => Ok(Analyst { name, email }),
        _ => Err(missing()),
    }
}

/// Splits a relative path into the names of its components, as tree entries name them.
fn tree_components(relative: &Path) -> Result<Vec<String>> {
    relative
        .components()
        .map(|component| {
            component
                .as_os_str()
                .to_str()
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::invalid(format!("path `{}` is not UTF-8", relative.display()))
                })
        })
        .collect()
}

/// A path inside a tree, as component names, and the blob to store there (`None` removes it).
type TreeChange = (Vec<String>, Option<Oid>);

/// Writes `tree` with `changes` applied and returns the new tree's id, or `None` when the
/// tree ends up empty (git stores no empty directories, so the caller drops the entry).
fn update_tree(
    repo: &Repository,
    tree: Option<&Tree>,
    changes: &[TreeChange],
) -> Result<Option<Oid>> {
    let mut builder = repo.treebuilder(tree).map_err(Error::git("read a tree"))?;
    let mut subtrees: BTreeMap<&str, Vec<TreeChange>> = BTreeMap::new();
    for (components, blob) in changes {
        match components.as_slice() {
            [] => {}
            [name] => match blob {
                Some(oid) => {
                    builder
                        .insert(name, *oid, 0o100644)
                        .map_err(Error::git(format!("stage `{name}`")))?;
                }
                None => {
                    // Removing a path that HEAD does not have is not an error.
                    let _ = builder.remove(name);
                }
            },
            [name, rest @ ..] => subtrees
                .entry(name.as_str())
                .or_default()
                .push((rest.to_vec(), *blob)),
        }
    }
    for (name, sub_changes) in subtrees {
        let existing = match tree.and_then(|tree| tree.get_name(name)) {
            Some(entry) if entry.kind() == Some(ObjectType::Tree) => Some(
                repo.find_tree(entry.id())
                    .map_err(Error::git("read a tree"))?,
            ),
            _ => None,
        };
        match update_tree(repo, existing.as_ref(), &sub_changes)? {
            Some(oid) => {
                builder
                    .insert(name, oid, 0o040000)
                    .map_err(Error::git(format!("stage `{name}`")))?;
            }
            None => {
                let _ = builder.remove(name);
            }
        }
    }
    if builder.is_empty() {
        return Ok(None);
    }
    builder
        .write()
        .map(Some)
        .map_err(Error::git("write the tree"))
}

/// Rejects paths that could leave the repository; every path casefile writes is built from
/// validated IDs, so this is a second line of defence.
fn check_relative(path: &Path) -> Result<()> {
    let ok = path
        .components()
        .all(|component| matches!(component, Component::Normal(_)));
    if !ok || path.as_os_str().is_empty() {
        return Err(Error::invalid(format!(
            "internal error: refusing to write `{}`, which is not a plain relative path",
            path.display()
        )));
    }
    Ok(())
}

/// Writes a file through a temporary sibling and a rename, so a reader never sees half a file.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.casefile-tmp"));
    let mut file = fs::File::create(&temporary).map_err(Error::io("create", &temporary))?;
    file.write_all(content)
        .map_err(Error::io("write", &temporary))?;
    file.sync_all().map_err(Error::io("flush", &temporary))?;
    drop(file);
    fs::rename(&temporary, path).map_err(|source| {
        let _ = fs::remove_file(&temporary);
        Error::Io {
            action: "replace",
            path: path.to_path_buf(),
            source,
        }
    })
}

/// The previous state of every file and directory a change touches, for rolling back.
#[derive(Default)]
struct Journal {
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
    known: std::collections::HashSet<PathBuf>,
    created_dirs: Vec<PathBuf>,
}

impl Journal {
    fn remember(&mut self, path: &Path) -> Result<()> {
        if !self.known.insert(path.to_path_buf()) {
            return Ok(());
        }
        let previous = match fs::read(path) {
            Ok(content) => Some(content),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(Error::Io {
                    action: "read",
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        self.files.push((path.to_path_buf(), previous));
        Ok(())
    }

    fn create_dirs(&mut self, dir: &Path) -> Result<()> {
        let mut missing = Vec::new();
        let mut current = Some(dir);
        while let Some(path) = current {
            if path.exists() {
                break;
            }
            missing.push(path.to_path_buf());
            current = path.parent();
        }
        for path in missing.iter().rev() {
            fs::create_dir(path).map_err(Error::io("create directory", path))?;
            self.created_dirs.push(path.clone());
        }
        Ok(())
    }

    fn roll_back(self) {
        for (path, previous) in self.files.into_iter().rev() {
            let _ = match previous {
                Some(content) => fs::write(&path, content),
                None => fs::remove_file(&path).or(Ok(())),
            };
        }
        for dir in self.created_dirs.into_iter().rev() {
            let _ = fs::remove_dir(&dir);
        }
    }
}
