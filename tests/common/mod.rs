//! Test environment: a throwaway case repository with pinned time, HOME, git configuration
//! and identity, and helpers that run the real `casefile` binary in it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

pub const ANALYST_NAME: &str = "Alice Analyst";
pub const ANALYST_EMAIL: &str = "alice@example.org";
pub const NOW: &str = "2026-03-02T09:00:00Z";

/// A temporary HOME with a git identity, and a case repository inside it.
pub struct Env {
    pub home: TempDir,
    pub repo: PathBuf,
    pub now: String,
}

impl Env {
    /// Creates HOME and runs `casefile init` in `HOME/cases`.
    pub fn new() -> Env {
        let env = Env::bare();
        let repo = env.repo.to_str().expect("the temporary path is UTF-8");
        env.casefile(&["init", repo])
            .current_dir(env.home.path())
            .assert()
            .success();
        env
    }

    /// Creates HOME with a git identity but no case repository.
    pub fn bare() -> Env {
        let home = tempfile::tempdir().expect("create a temporary directory");
        let gitconfig = format!(
            "[user]\n\tname = {ANALYST_NAME}\n\temail = {ANALYST_EMAIL}\n[init]\n\tdefaultBranch = main\n"
        );
        std::fs::write(home.path().join(".gitconfig"), gitconfig).expect("write .gitconfig");
        let repo = home.path().join("cases");
        Env {
            home,
            repo,
            now: NOW.to_string(),
        }
    }

    /// Creates HOME with no git identity at all.
    pub fn without_identity() -> Env {
        let env = Env::bare();
        std::fs::write(
            env.home.path().join(".gitconfig"),
            "[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        env
    }

    /// Returns a `casefile` command run in the case repository with the pinned environment.
    pub fn casefile(&self, args: &[&str]) -> Command {
        let mut command = Command::cargo_bin("casefile").expect("the casefile binary is built");
        command.args(args).current_dir(&self.repo);
        self.pin(&mut command);
        command
    }

    /// Returns the casefile binary as a `std::process::Command`, for a test that talks to
    /// the running process, with the same directory and environment as [`Env::casefile`].
    pub fn casefile_process(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("casefile"));
        command
            .args(args)
            .current_dir(&self.repo)
            .env_clear()
            .envs(self.pinned_env());
        command
    }

    /// Returns a `git` command run in the case repository with the pinned environment.
    pub fn git(&self, args: &[&str]) -> Command {
        let mut command = Command::new("git");
        command.args(args).current_dir(&self.repo);
        self.pin(&mut command);
        command
    }

    fn pin(&self, command: &mut Command) {
        command.env_clear().envs(self.pinned_env());
    }

    /// Returns the environment every command runs with: a private HOME and git
    /// configuration, and a fixed time, time zone and locale.
    fn pinned_env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        let home = self.home.path();
        vec![
            ("PATH", std::env::var_os("PATH").unwrap_or_default()),
            ("HOME", home.into()),
            ("XDG_CONFIG_HOME", home.join(".config").into()),
            ("GIT_CONFIG_GLOBAL", home.join(".gitconfig").into()),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            ("GIT_AUTHOR_DATE", self.now.clone().into()),
            ("GIT_COMMITTER_DATE", self.now.clone().into()),
            ("CASEFILE_NOW", self.now.clone().into()),
            ("TZ", "UTC".into()),
            ("LC_ALL", "C".into()),
        ]
    }

    /// Sets the pinned time for the commands that follow.
    pub fn at(&mut self, time: &str) -> &mut Env {
        self.now = time.to_string();
        self
    }

    /// Runs casefile, asserts success, and returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.casefile(args).output().expect("run casefile");
        assert!(
            output.status.success(),
            "casefile {args:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("stdout is UTF-8")
    }

    /// Runs casefile, asserts exit code 1, and returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.casefile(args).output().expect("run casefile");
        assert_eq!(
            output.status.code(),
            Some(1),
            "casefile {args:?} should fail with 1\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stderr).expect("stderr is UTF-8")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.casefile(args).output().expect("run casefile")
    }

    /// Opens an incident by hand and returns its ID.
    pub fn open(&self, title: &str) -> String {
        self.ok(&["open", "--title", title]).trim().to_string()
    }

    /// Opens an incident from an alert fixture and returns its ID.
    pub fn open_alert(&self, fixture: &str) -> String {
        let path = fixture_path(fixture);
        self.ok(&["open", "--alert", path.to_str().unwrap()])
            .trim()
            .to_string()
    }

    pub fn incident_dir(&self, id: &str) -> PathBuf {
        self.repo.join("incidents").join(id)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.repo.join(relative))
            .unwrap_or_else(|e| panic!("read {relative}: {e}"))
    }

    pub fn head(&self) -> String {
        git_stdout(self, &["rev-parse", "HEAD"])
    }

    pub fn status(&self) -> String {
        git_stdout(self, &["status", "--porcelain", "--untracked-files=all"])
    }

    pub fn commit_count(&self) -> usize {
        git_stdout(self, &["rev-list", "--count", "HEAD"])
            .parse()
            .unwrap()
    }

    /// Returns `(HEAD, status, index)` to compare before and after a failing command.
    pub fn snapshot(&self) -> (String, String, String) {
        (
            self.head(),
            self.status(),
            git_stdout(self, &["ls-files", "--stage"]),
        )
    }

    pub fn parse_incident(&self, id: &str) -> toml::Table {
        self.read(&format!("incidents/{id}/incident.toml"))
            .parse()
            .expect("incident.toml parses")
    }
}

pub fn git_stdout(env: &Env, args: &[&str]) -> String {
    let output = env.git(args).output().expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Returns the path of a file under `tests/fixtures`.
pub fn fixture_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

impl Env {
    /// Writes a record file `incidents/<id>/<dir>/<name>.toml` directly, as a merge or a hand
    /// edit would, without committing it.
    pub fn write_record(&self, id: &str, dir: &str, name: &str, toml: &str) {
        let dir = self.incident_dir(id).join(dir);
        std::fs::create_dir_all(&dir).expect("create the record directory");
        std::fs::write(dir.join(format!("{name}.toml")), toml).expect("write the record");
    }

    /// Writes an indicator record directly, so that any value reaches the report unchanged.
    pub fn write_ioc(&self, id: &str, name: &str, kind: &str, value: &str, tlp: Option<&str>) {
        let mut record = toml::Table::new();
        record.insert("type".into(), kind.into());
        record.insert("value".into(), value.into());
        for field in ["first_seen", "last_seen", "recorded"] {
            record.insert(field.into(), self.now.clone().into());
        }
        record.insert(
            "actor".into(),
            format!("{ANALYST_NAME} <{ANALYST_EMAIL}>").into(),
        );
        record.insert("source".into(), "test".into());
        if let Some(tlp) = tlp {
            record.insert("tlp".into(), tlp.into());
        }
        self.write_record(id, "iocs", name, &toml::to_string(&record).unwrap());
    }

    /// Renders the report of `id` with extra arguments and returns it.
    pub fn report(&self, id: &str, extra: &[&str]) -> String {
        let mut args = vec!["report", id, "-o", "-"];
        args.extend_from_slice(extra);
        self.ok(&args)
    }
}

impl Env {
    /// Writes a copy of the bundled Wazuh demo alert with another rule, level and time, and
    /// returns its path.
    pub fn alert_file(&self, rule_id: &str, level: u64, timestamp: &str) -> PathBuf {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/wazuh-alert-100003.json");
        let mut alert: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(demo).unwrap()).unwrap();
        alert["rule"]["id"] = rule_id.into();
        alert["rule"]["level"] = level.into();
        alert["timestamp"] = timestamp.into();
        alert["@timestamp"] = timestamp.into();
        alert["id"] = format!("{rule_id}.{level}").into();
        alert["_id"] = format!("{rule_id}-{level}").into();
        let path = self
            .home
            .path()
            .join(format!("alert-{rule_id}-{level}.json"));
        std::fs::write(&path, serde_json::to_vec(&alert).unwrap()).unwrap();
        path
    }
}

impl Env {
    /// Creates HOME and builds the demo case repository in `HOME/cases`: one incident from
    /// the bundled Wazuh alert, walked through every phase to closed.
    pub fn demo() -> Env {
        let env = Env::bare();
        env.casefile(&["demo", "cases"])
            .current_dir(env.home.path())
            .assert()
            .success();
        env
    }

    /// Returns the ID of the only incident of the repository.
    pub fn only_incident(&self) -> String {
        let mut ids: Vec<String> = std::fs::read_dir(self.repo.join("incidents"))
            .unwrap()
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.path().is_dir())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(ids.len(), 1, "expected one incident, found {ids:?}");
        ids.pop().unwrap()
    }

    /// Writes a file relative to the repository root, creating its directory.
    pub fn write(&self, relative: &str, content: &str) {
        let path = self.repo.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("write {relative}: {e}"));
    }

    /// Replaces `from` with `to` in a file, asserting that the file contains `from`.
    pub fn replace(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert!(
            text.contains(from),
            "{relative} does not contain {from:?}:\n{text}"
        );
        self.write(relative, &text.replacen(from, to, 1));
    }

    /// Stages everything and commits it with `git`.
    pub fn commit_all(&self, message: &str) {
        git_stdout(self, &["add", "-A"]);
        git_stdout(self, &["commit", "-q", "-m", message]);
    }

    /// Returns the relative paths of the files in one record directory of an incident.
    pub fn records(&self, id: &str, kind: &str) -> Vec<String> {
        let dir = self.incident_dir(id).join(kind);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok())
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .filter(|name| name.ends_with(".toml"))
                    .map(|name| format!("incidents/{id}/{kind}/{name}"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Runs `casefile check --format json` with extra arguments; returns the exit code and the
    /// findings.
    pub fn check_json(&self, extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        let output = self.run(&args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let findings: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "check output is not JSON ({e}):\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (output.status.code().unwrap_or(-1), findings)
    }
}
