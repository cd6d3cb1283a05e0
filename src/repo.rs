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

use git2::{IndexEntry, IndexTime, ObjectType, Oid, Repository, Signature, Time, Tree};
use rayon::prelude::*;

use crate::clock::Clock;
use crate::config::{Config, CONFIG_FILE};
use crate::error::{Error, Result};

pub mod line_endings;
mod pack;

pub use pack::{deflate_piece, DeflateSpool, DeflatedPiece, Spooled};

use line_endings::{converts_line_endings, stores_with_lf, to_lf};

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
    /// Directories the command created in this run, so that no file below them existed
    /// before: their files are written without a journal copy or a temporary file.
    created_dirs: Vec<PathBuf>,
    /// Zlib streams of prewritten files, compressed while they were written.
    spooled: Option<Spooled>,
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

    /// Commits prewritten files from the zlib streams in `spooled` where it has them.
    pub fn spooled(&mut self, spooled: Spooled) {
        self.spooled = Some(spooled);
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

    /// Adds a directory that the caller created in this run, as a path relative to the root.
    /// The caller removes it on failure, as with [`Change::prewritten`] files.
    pub fn created_dir(&mut self, path: impl Into<PathBuf>) {
        self.created_dirs.push(path.into());
    }

    /// Moves the files of `other` into this change, keeping this change's message.
    pub fn absorb(&mut self, other: Change) {
        for (path, content) in other.writes {
            self.write(path, content);
        }
        self.removals.extend(other.removals);
        self.prewritten.extend(other.prewritten);
        self.created_dirs.extend(other.created_dirs);
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.removals.is_empty() && self.prewritten.is_empty()
    }

    /// Returns the number of paths the change writes, removes or has written.
    pub fn len(&self) -> usize {
        self.writes.len() + self.removals.len() + self.prewritten.len()
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

/// The outcome of [`CaseRepo::apply`].
#[derive(Debug)]
pub enum Applied {
    Committed(Oid),
    WrittenOnly,
    Unchanged,
}

impl CaseRepo {
    /// Opens the case repository that contains `dir`, like git does with `-C`.
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::invalid_with_hint(
                format!("directory `{}` does not exist", dir.display()),
                "pass the case repository with `-C DIR`, or create one with `casefile init DIR`",
            ));
        }
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
        for path in change
            .paths()
            .chain(change.created_dirs.iter().map(PathBuf::as_path))
        {
            check_relative(path)?;
        }
        let mut journal = Journal::default();
        for relative in &change.prewritten {
            let path = self.root.join(relative);
            journal.known.insert(path.clone());
            journal.files.push((path, None));
        }
        for relative in &change.created_dirs {
            let path = self.root.join(relative);
            journal.fresh_dirs.insert(path.clone());
            journal.existing_dirs.insert(path);
        }
        let unlocked = if commit {
            self.ensure_index_unlocked()
        } else {
            Ok(())
        };
        let result = unlocked
            .and_then(|()| self.write_files(change, &mut journal))
            .and_then(|mut stats| {
                if commit {
                    self.commit(change, analyst, clock, &mut stats)
                        .map(Applied::Committed)
                } else {
                    Ok(Applied::WrittenOnly)
                }
            });
        if result.is_err() {
            journal.roll_back();
        }
        result
    }

    /// Writes and removes the change's files, and returns the metadata of the files it
    /// created, for the index.
    fn write_files(&self, change: &Change, journal: &mut Journal) -> Result<FileStats> {
        // Checked before anything is written, so that a link stops the change whole.
        let mut checked = std::collections::HashSet::new();
        for relative in change
            .writes
            .keys()
            .chain(&change.removals)
            .chain(&change.prewritten)
        {
            reject_links_below(&self.root, relative, &mut checked)?;
        }
        let mut stats = FileStats::new();
        let mut new_files = Vec::new();
        for (relative, content) in &change.writes {
            let path = self.root.join(relative);
            if let Some(parent) = path.parent() {
                journal.create_dirs(parent)?;
            }
            if journal.remember(&path)? {
                new_files.push((relative, path, content));
            } else {
                write_atomic(&path, content)?;
            }
        }
        // Creating a file costs the file system more than writing a record's few hundred
        // bytes, so the new files of a large change (an ingest's records) are created on all
        // cores. The journal already lists them, so a failure removes every one.
        let create = |(relative, path, content): &(&PathBuf, PathBuf, &Vec<u8>)| {
            write_new(path, content).map(|metadata| ((*relative).clone(), metadata))
        };
        let created: Vec<(PathBuf, fs::Metadata)> = if new_files.len() > PARALLEL_CREATE_MIN {
            new_files.par_iter().map(create).collect::<Result<_>>()?
        } else {
            new_files.iter().map(create).collect::<Result<_>>()?
        };
        stats.extend(created);
        for relative in &change.removals {
            let path = self.root.join(relative);
            journal.remember(&path)?;
            if path.exists() {
                fs::remove_file(&path).map_err(Error::io("remove", &path))?;
            }
        }
        Ok(stats)
    }

    fn commit(
        &self,
        change: &Change,
        analyst: &Analyst,
        clock: &Clock,
        stats: &mut FileStats,
    ) -> Result<Oid> {
        let parent = match self.git.head() {
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
        let base_tree = match &parent {
            Some(parent) => Some(parent.tree().map_err(Error::git("read HEAD's tree"))?),
            None => None,
        };
        let time = Time::new(clock.now().timestamp(), 0);
        let signature = Signature::new(&analyst.name, &analyst.email, &time)
            .map_err(Error::git("build the commit signature"))?;
        let base = CommitBase {
            parent: parent.as_ref(),
            tree: base_tree.as_ref(),
            signature: &signature,
        };
        // libgit2 writes every loose object through a temporary file and rescans the pack
        // directory for each new one, so a large change is written as one pack instead.
        // NOTE: under core.autocrlf, only the loose path stores TOML and Markdown files with
        // LF. A packed commit (a large ingest) stores every file as written.
        let reflogs = Reflogs::mark(&self.git);
        let (oid, staged, pack) = if change.len() > PACK_THRESHOLD {
            self.commit_packed(change, &base, stats)?
        } else {
            let (oid, staged) = self.commit_loose(change, &base)?;
            (oid, staged, None)
        };
        if let Err(error) = self.update_index(change, &staged, stats) {
            // The files are rolled back after this error, so HEAD goes back too: a commit
            // whose files vanished from the work tree would show as staged deletions. The
            // reflogs lose the two lines of the move and its undo, and the new pack goes, so
            // that nothing keeps the commit's objects.
            // NOTE: the loose objects of a small commit stay until `git gc` prunes them.
            restore_head(&self.git, oid, base.parent.map(|commit| commit.id()));
            reflogs.restore();
            for path in pack.into_iter().flatten() {
                let _ = fs::remove_file(path);
            }
            return Err(error);
        }
        Ok(oid)
    }

    /// Returns an error when another git process has the index locked, before a command writes
    /// anything: the commit could not stage its files, and would have to be undone.
    pub fn ensure_index_unlocked(&self) -> Result<()> {
        let lock = self.git.path().join("index.lock");
        if !lock.exists() {
            return Ok(());
        }
        Err(Error::invalid_with_hint(
            format!("the git index is locked: `{}` exists", lock.display()),
            "wait for the other git command to finish; if none is running, remove the file",
        ))
    }

    /// Writes the change's objects as loose objects, like `git commit`, and moves HEAD.
    fn commit_loose(&self, change: &Change, base: &CommitBase) -> Result<(Oid, Staged)> {
        let repo = &self.git;
        let mut staged = Vec::new();
        let mut changes = Vec::new();
        let normalize = converts_line_endings(repo);
        for (relative, content) in &change.writes {
            let content = if normalize && stores_with_lf(relative) {
                to_lf(content)
            } else {
                content.as_slice().into()
            };
            let oid = repo.blob(&content).map_err(Error::git("write a blob"))?;
            staged.push((relative.clone(), oid));
            changes.push((tree_components(relative)?, Some(oid)));
        }
        for relative in &change.prewritten {
            let path = self.root.join(relative);
            let content = fs::read(&path).map_err(Error::io("read", &path))?;
            let content = if normalize && stores_with_lf(relative) {
                to_lf(&content)
            } else {
                content.as_slice().into()
            };
            let oid = repo
                .blob(&content)
                .map_err(Error::git(format!("store `{}`", relative.display())))?;
            staged.push((relative.clone(), oid));
            changes.push((tree_components(relative)?, Some(oid)));
        }
        for relative in &change.removals {
            changes.push((tree_components(relative)?, None));
        }
        let odb = repo.odb().map_err(Error::git("open the object database"))?;
        let mut store = |kind: ObjectType, data: &[u8]| {
            odb.write(kind, data).map_err(Error::git("write a tree"))
        };
        let tree_id = write_root_tree(repo, base.tree, &changes, &mut store)?;
        let tree = repo
            .find_tree(tree_id)
            .map_err(Error::git("read the new tree"))?;
        let parents: Vec<&git2::Commit> = base.parent.into_iter().collect();
        let oid = repo
            .commit(
                Some("HEAD"),
                base.signature,
                base.signature,
                &change.message(),
                &tree,
                &parents,
            )
            .map_err(Error::git("create the commit"))?;
        Ok((oid, staged))
    }

    /// Writes the change's blobs, trees and commit as one pack, then moves HEAD if no other
    /// process moved it meanwhile.
    fn commit_packed(
        &self,
        change: &Change,
        base: &CommitBase,
        stats: &mut FileStats,
    ) -> Result<(Oid, Staged, Option<[PathBuf; 2]>)> {
        let mut pack = pack::PackFile::create(&self.git.path().join("objects"))?;
        let staged = self.pack_blobs(change, &mut pack, stats)?;
        let mut changes = Vec::with_capacity(staged.len() + change.removals.len());
        for (relative, oid) in &staged {
            changes.push((tree_components(relative)?, Some(*oid)));
        }
        for relative in &change.removals {
            changes.push((tree_components(relative)?, None));
        }
        let mut store = |kind: ObjectType, data: &[u8]| {
            let object = pack::encode(kind, data)?;
            pack.add(&object)?;
            Ok(object.id)
        };
        let tree_id = write_root_tree(&self.git, base.tree, &changes, &mut store)?;
        let commit = commit_bytes(tree_id, base, &change.message());
        let oid = store(ObjectType::Commit, &commit)?;
        let created = pack.finish()?;

        let moved = self
            .git
            .odb()
            .and_then(|odb| odb.refresh())
            .map_err(Error::git("read the new pack of objects"))
            .and_then(|()| {
                move_head(
                    &self.git,
                    oid,
                    base.parent.map(|commit| commit.id()),
                    &change.subject,
                )
            });
        if let Err(error) = moved {
            // Nothing refers to the new pack, so it goes with the failed commit.
            for path in created.into_iter().flatten() {
                let _ = fs::remove_file(path);
            }
            return Err(error);
        }
        Ok((oid, staged, created))
    }

    /// Hashes and compresses the change's files on all cores, a group at a time so that
    /// memory holds only one group's compressed bytes, and appends them to the pack.
    fn pack_blobs(
        &self,
        change: &Change,
        pack: &mut pack::PackFile,
        stats: &mut FileStats,
    ) -> Result<Staged> {
        let sources: Vec<(&Path, BlobSource)> = change
            .writes
            .iter()
            .map(|(relative, content)| (relative.as_path(), BlobSource::Memory(content)))
            .chain(
                change
                    .prewritten
                    .iter()
                    // A file written again by the change is committed from `writes`.
                    .filter(|relative| !change.writes.contains_key(*relative))
                    .map(|relative| {
                        (
                            relative.as_path(),
                            BlobSource::File(self.root.join(relative)),
                        )
                    }),
            )
            .collect();
        if let Some(spooled) = &change.spooled {
            spooled.wait_for_ids();
        }
        let mut staged = Vec::with_capacity(sources.len());
        // NOTE: memory contains the compressed bytes of one group, which for a group with a
        // very large file (one incident's whole batch) is about a tenth of that file.
        for group in sources.chunks(BLOBS_PER_GROUP) {
            let encoded: Vec<(pack::Encoded, Option<fs::Metadata>)> = group
                .par_iter()
                .map(|(_, source)| match source {
                    BlobSource::Memory(content) => {
                        pack::encode(ObjectType::Blob, content).map(|object| (object, None))
                    }
                    BlobSource::File(path) => {
                        let spooled = match &change.spooled {
                            Some(spooled) => pack::encode_spooled(path, spooled)?,
                            None => None,
                        };
                        match spooled {
                            Some((object, metadata)) => Ok((object, Some(metadata))),
                            None => pack::encode_file(path)
                                .map(|(object, metadata)| (object, Some(metadata))),
                        }
                    }
                })
                .collect::<Result<_>>()?;
            for ((relative, _), (object, metadata)) in group.iter().zip(encoded) {
                pack.add(&object)?;
                staged.push((relative.to_path_buf(), object.id));
                if let Some(metadata) = metadata {
                    stats.insert(relative.to_path_buf(), metadata);
                }
            }
        }
        Ok(staged)
    }

    /// Stages the committed paths in the real index so that `git status` shows them clean.
    fn update_index(
        &self,
        change: &Change,
        staged: &[(PathBuf, Oid)],
        stats: &FileStats,
    ) -> Result<()> {
        let mut index = self.git.index().map_err(Error::git("open the index"))?;
        // libgit2 checks that each staged object exists by reading its header. This commit
        // wrote every one of them, and for a packed commit the check touched the whole new
        // pack: an ingest of 500 MB mapped 80 MB of it. The check is off while staging.
        git2::opts::strict_object_creation(false);
        let added = staged.iter().try_for_each(|(relative, oid)| {
            let entry = stat_entry(&self.root, relative, *oid, stats.get(relative))?;
            index
                .add(&entry)
                .map_err(Error::git(format!("stage `{}`", relative.display())))
        });
        git2::opts::strict_object_creation(true);
        added?;
        for relative in &change.removals {
            let _ = index.remove_path(relative);
        }
        index.write().map_err(Error::git("write the index"))
    }
}

/// The lengths of the reflogs that a commit appends to, so that an undone commit leaves them
/// as they were.
struct Reflogs(Vec<(PathBuf, Option<u64>)>);

impl Reflogs {
    fn mark(repo: &Repository) -> Reflogs {
        let logs = repo.path().join("logs");
        let mut paths = vec![logs.join("HEAD")];
        if let Some(branch) = repo
            .find_reference("HEAD")
            .ok()
            .and_then(|head| head.symbolic_target().map(str::to_string))
        {
            paths.push(logs.join(branch));
        }
        Reflogs(
            paths
                .into_iter()
                .map(|path| {
                    let length = fs::metadata(&path).ok().map(|metadata| metadata.len());
                    (path, length)
                })
                .collect(),
        )
    }

    /// Cuts each reflog back to its marked length, or removes one that did not exist.
    fn restore(&self) {
        for (path, length) in &self.0 {
            match length {
                Some(length) => {
                    if let Ok(file) = fs::OpenOptions::new().write(true).open(path) {
                        let _ = file.set_len(*length);
                    }
                }
                None => {
                    let _ = fs::remove_file(path);
                }
            }
        }
    }
}

/// Files hashed and compressed in parallel before their objects are appended to the pack.
const BLOBS_PER_GROUP: usize = 16;

/// Number of files above which a commit's objects are written as one pack.
const PACK_THRESHOLD: usize = 200;

/// New files in a change above which they are created on all cores.
const PARALLEL_CREATE_MIN: usize = 64;

/// The metadata of files written or read in this run by relative path, taken from the open
/// file so that the index needs no `stat` of its own.
type FileStats = std::collections::HashMap<PathBuf, fs::Metadata>;

/// The committed paths and their blob ids, for the index.
type Staged = Vec<(PathBuf, Oid)>;

/// The base of a new commit: HEAD's commit and tree, if any, and the author.
struct CommitBase<'a> {
    parent: Option<&'a git2::Commit<'a>>,
    tree: Option<&'a Tree<'a>>,
    signature: &'a Signature<'a>,
}

/// The location of a blob's bytes: in the change, or in a file the command already wrote.
enum BlobSource<'a> {
    Memory(&'a [u8]),
    File(PathBuf),
}

/// Serializes a commit object as git does, with the author also as committer.
fn commit_bytes(tree: Oid, base: &CommitBase, message: &str) -> Vec<u8> {
    let mut commit = format!("tree {tree}\n").into_bytes();
    if let Some(parent) = base.parent {
        commit.extend_from_slice(format!("parent {}\n", parent.id()).as_bytes());
    }
    let signature = base.signature;
    let when = signature.when();
    let offset = when.offset_minutes();
    let sign = if offset < 0 { '-' } else { '+' };
    let identity = format!(
        " <{}> {} {sign}{:02}{:02}\n",
        String::from_utf8_lossy(signature.email_bytes()),
        when.seconds(),
        offset.abs() / 60,
        offset.abs() % 60
    );
    for role in ["author ", "committer "] {
        commit.extend_from_slice(role.as_bytes());
        commit.extend_from_slice(signature.name_bytes());
        commit.extend_from_slice(identity.as_bytes());
    }
    commit.push(b'\n');
    commit.extend_from_slice(message.as_bytes());
    commit
}

/// Points the branch HEAD names (or a detached HEAD) at `oid`, if it still points at
/// `expected`, with a reflog entry like the one `git commit` writes.
fn move_head(repo: &Repository, oid: Oid, expected: Option<Oid>, subject: &str) -> Result<()> {
    let log = format!("commit: {subject}");
    let head = repo
        .find_reference("HEAD")
        .map_err(Error::git("read HEAD"))?;
    match head.symbolic_target() {
        Some(branch) => {
            let result = match expected {
                Some(previous) => repo.reference_matching(branch, oid, true, previous, &log),
                None => repo.reference(branch, oid, false, &log),
            };
            result.map_err(Error::git(format!("move {branch} to the new commit")))?;
        }
        None => repo
            .set_head_detached(oid)
            .map_err(Error::git("move HEAD to the new commit"))?,
    }
    Ok(())
}

/// Moves HEAD from the commit `oid` back to `previous`, or removes the branch it created
/// when there was no commit before. A failure here leaves the commit in place, and the
/// error that led here is the one reported.
fn restore_head(repo: &Repository, oid: Oid, previous: Option<Oid>) {
    let log = "casefile: undo a commit whose index could not be written";
    let Ok(head) = repo.find_reference("HEAD") else {
        return;
    };
    match (head.symbolic_target(), previous) {
        (Some(branch), Some(previous)) => {
            let _ = repo.reference_matching(branch, previous, true, oid, log);
        }
        (Some(branch), None) => {
            if let Ok(mut reference) = repo.find_reference(branch) {
                if reference.target() == Some(oid) {
                    let _ = reference.delete();
                }
            }
        }
        (None, Some(previous)) => {
            let _ = repo.set_head_detached(previous);
        }
        (None, None) => {}
    }
}

/// Builds the index entry of a file just written and stored as blob `oid`, with the file's
/// stat data so that `git status` finds it unchanged without hashing it again.
fn stat_entry(
    root: &Path,
    relative: &Path,
    oid: Oid,
    known: Option<&fs::Metadata>,
) -> Result<IndexEntry> {
    let read;
    let metadata = match known {
        Some(metadata) => metadata,
        None => {
            let path = root.join(relative);
            read = fs::metadata(&path).map_err(Error::io("read", &path))?;
            &read
        }
    };
    let name = relative
        .to_str()
        .ok_or_else(|| Error::invalid(format!("path `{}` is not UTF-8", relative.display())))?
        .replace('\\', "/");
    let (ctime, mtime, dev, ino, uid, gid) = stat_fields(metadata);
    Ok(IndexEntry {
        ctime,
        mtime,
        dev,
        ino,
        mode: 0o100644,
        uid,
        gid,
        file_size: metadata.len() as u32,
        id: oid,
        flags: name.len().min(0xfff) as u16,
        flags_extended: 0,
        path: name.into_bytes(),
    })
}

#[cfg(unix)]
fn stat_fields(metadata: &fs::Metadata) -> (IndexTime, IndexTime, u32, u32, u32, u32) {
    use std::os::unix::fs::MetadataExt;
    (
        IndexTime::new(metadata.ctime() as i32, metadata.ctime_nsec() as u32),
        IndexTime::new(metadata.mtime() as i32, metadata.mtime_nsec() as u32),
        metadata.dev() as u32,
        metadata.ino() as u32,
        metadata.uid(),
        metadata.gid(),
    )
}

#[cfg(not(unix))]
fn stat_fields(metadata: &fs::Metadata) -> (IndexTime, IndexTime, u32, u32, u32, u32) {
    let seconds = |time: std::io::Result<std::time::SystemTime>| {
        time.ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(IndexTime::new(0, 0), |d| {
                IndexTime::new(d.as_secs() as i32, d.subsec_nanos())
            })
    };
    (
        seconds(metadata.created()),
        seconds(metadata.modified()),
        0,
        0,
        0,
        0,
    )
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
    // GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL take precedence over the configuration, as in git.
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let name = from_env("GIT_AUTHOR_NAME").or_else(|| {
        config
            .get_string("user.name")
            .ok()
            .filter(|v| !v.trim().is_empty())
    });
    let email = from_env("GIT_AUTHOR_EMAIL").or_else(|| {
        config
            .get_string("user.email")
            .ok()
            .filter(|v| !v.trim().is_empty())
    });
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

/// Stores an object (as a loose object or in a pack) and returns its id.
type StoreObject<'a> = dyn FnMut(ObjectType, &[u8]) -> Result<Oid> + 'a;

/// Writes the root tree with `changes` applied, which is the empty tree when nothing is left.
fn write_root_tree(
    repo: &Repository,
    tree: Option<&Tree>,
    changes: &[TreeChange],
    store: &mut StoreObject,
) -> Result<Oid> {
    match update_tree(repo, tree, changes, store)? {
        Some(oid) => Ok(oid),
        None => store(ObjectType::Tree, &[]),
    }
}

/// Writes `tree` with `changes` applied and returns the new tree's id, or `None` when the
/// tree ends up empty (git stores no empty directories, so the caller drops the entry).
/// Only the trees on the changed paths are rewritten, so the cost does not grow with the
/// repository's size.
fn update_tree(
    repo: &Repository,
    tree: Option<&Tree>,
    changes: &[TreeChange],
    store: &mut StoreObject,
) -> Result<Option<Oid>> {
    // Entries by name: file mode and id.
    let mut entries: BTreeMap<Vec<u8>, (i32, Oid)> = BTreeMap::new();
    if let Some(tree) = tree {
        for entry in tree.iter() {
            entries.insert(entry.name_bytes().to_vec(), (entry.filemode(), entry.id()));
        }
    }
    let mut subtrees: BTreeMap<&str, Vec<TreeChange>> = BTreeMap::new();
    for (components, blob) in changes {
        match components.as_slice() {
            [] => {}
            [name] => match blob {
                Some(oid) => {
                    entries.insert(name.as_bytes().to_vec(), (0o100644, *oid));
                }
                None => {
                    // Removing a path that HEAD does not have is not an error.
                    entries.remove(name.as_bytes());
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
        match update_tree(repo, existing.as_ref(), &sub_changes, store)? {
            Some(oid) => {
                entries.insert(name.as_bytes().to_vec(), (0o040000, oid));
            }
            None => {
                entries.remove(name.as_bytes());
            }
        }
    }
    if entries.is_empty() {
        return Ok(None);
    }
    store(ObjectType::Tree, &tree_bytes(entries)).map(Some)
}

/// Serializes tree entries as git does: `<octal mode> <name>\0<20-byte id>`, sorted by name
/// with each directory's name compared as if it ended in `/`.
fn tree_bytes(entries: BTreeMap<Vec<u8>, (i32, Oid)>) -> Vec<u8> {
    let mut sorted: Vec<(Vec<u8>, Vec<u8>, i32, Oid)> = entries
        .into_iter()
        .map(|(name, (mode, oid))| {
            let mut key = name.clone();
            if mode == 0o040000 {
                key.push(b'/');
            }
            (key, name, mode, oid)
        })
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut bytes = Vec::with_capacity(sorted.len() * 64);
    for (_, name, mode, oid) in sorted {
        bytes.extend_from_slice(format!("{mode:o} ").as_bytes());
        bytes.extend_from_slice(&name);
        bytes.push(0);
        bytes.extend_from_slice(oid.as_bytes());
    }
    bytes
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
/// Like git with its default `core.fsync`, it does not flush to the disk: the commit that
/// follows is the durable record.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.casefile-tmp"));
    let mut file = fs::File::create(&temporary).map_err(Error::io("create", &temporary))?;
    if let Err(source) = file.write_all(content) {
        // A full disk fails here; the temporary file would otherwise stay behind as an
        // uncommitted change that blocks the next ingest.
        drop(file);
        let _ = fs::remove_file(&temporary);
        return Err(Error::Io {
            action: "write",
            path: temporary,
            source,
        });
    }
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

/// Returns an error when `relative`, or a directory between the repository root and it, is
/// a symbolic link, which a write could follow out of the repository. `checked` contains
/// the paths found to be no link, so that the files of one directory check it once.
fn reject_links_below(
    root: &Path,
    relative: &Path,
    checked: &mut std::collections::HashSet<PathBuf>,
) -> Result<()> {
    let mut current = root.to_path_buf();
    for component in relative.components() {
        current.push(component);
        if checked.contains(&current) {
            continue;
        }
        crate::incident::reject_link(&current)?;
        checked.insert(current.clone());
    }
    Ok(())
}

/// Creates a file that does not exist yet and returns its metadata after the write.
/// Unlike [`write_atomic`] it needs no temporary file, because no earlier version exists
/// that a reader could expect to see whole.
fn write_new(path: &Path, content: &[u8]) -> Result<fs::Metadata> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(Error::io("create", path))?;
    file.write_all(content).map_err(Error::io("write", path))?;
    file.metadata().map_err(Error::io("read", path))
}

/// The previous state of every file and directory a change touches, for rolling back.
#[derive(Default)]
struct Journal {
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
    known: std::collections::HashSet<PathBuf>,
    created_dirs: Vec<PathBuf>,
    /// Directories created in this run, by the journal or the command: files below them
    /// are new.
    fresh_dirs: std::collections::HashSet<PathBuf>,
    /// Directories known to exist, so each is checked once.
    existing_dirs: std::collections::HashSet<PathBuf>,
}

impl Journal {
    /// Records the previous content of `path` and returns true when the file is certainly
    /// new, because a directory above it was created in this run.
    fn remember(&mut self, path: &Path) -> Result<bool> {
        if !self.known.insert(path.to_path_buf()) {
            return Ok(false);
        }
        if path
            .ancestors()
            .skip(1)
            .any(|dir| self.fresh_dirs.contains(dir))
        {
            self.files.push((path.to_path_buf(), None));
            return Ok(true);
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
        Ok(false)
    }

    fn create_dirs(&mut self, dir: &Path) -> Result<()> {
        let mut missing = Vec::new();
        let mut current = Some(dir);
        while let Some(path) = current {
            if self.existing_dirs.contains(path) || path.exists() {
                break;
            }
            missing.push(path.to_path_buf());
            current = path.parent();
        }
        for path in missing.iter().rev() {
            fs::create_dir(path).map_err(Error::io("create directory", path))?;
            self.created_dirs.push(path.clone());
            self.fresh_dirs.insert(path.clone());
        }
        self.existing_dirs.insert(dir.to_path_buf());
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
