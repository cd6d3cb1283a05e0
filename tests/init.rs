//! `casefile init`: new and adopted repositories, and the optional integration files.

mod common;

use common::{git_stdout, Env};

#[test]
fn init_writes_commented_config_and_one_commit() {
    let env = Env::new();
    let config = env.read("casefile.toml");
    assert!(config.contains("id_prefix = \"IR\""));
    assert!(
        config.lines().filter(|l| l.starts_with('#')).count() > 10,
        "the keys are commented"
    );
    assert!(env.repo.join("incidents/.gitkeep").is_file());
    assert_eq!(env.commit_count(), 1);
    assert_eq!(
        git_stdout(&env, &["log", "-1", "--format=%s"]),
        "casefile: initialize the case repository"
    );
}

#[test]
fn init_adopts_existing_repository() {
    let env = Env::bare();
    std::fs::create_dir_all(&env.repo).unwrap();
    env.git(&["init", "-q"]).assert().success();
    std::fs::write(env.repo.join("README.md"), "SOC cases\n").unwrap();
    env.git(&["add", "README.md"]).assert().success();
    env.git(&["commit", "-qm", "start"]).assert().success();
    env.ok(&["init"]);
    assert_eq!(env.commit_count(), 2);
    assert_eq!(env.read("README.md"), "SOC cases\n");
    env.ok(&["init"]);
    assert_eq!(env.commit_count(), 2, "a second init changes nothing");
}

#[test]
fn init_wazuh_writes_integration() {
    let env = Env::bare();
    env.casefile(&["init", "cases", "--wazuh"])
        .current_dir(env.home.path())
        .assert()
        .success();
    let script = env.read("wazuh/custom-casefile");
    assert!(script.starts_with("#!/bin/sh"));
    assert!(script.contains("ingest \"$spooled\""));
    assert!(script.contains("casefile-spool"), "failed alerts are kept");
    let block = env.read("wazuh/ossec-integration.xml");
    assert!(block.contains("<name>custom-casefile</name>"));
    assert!(block.contains("<alert_format>json</alert_format>"));
}

#[test]
fn wazuh_integration_script_ingests_alert() {
    let env = Env::bare();
    env.casefile(&["init", "cases", "--wazuh"])
        .current_dir(env.home.path())
        .assert()
        .success();
    let binary = assert_cmd::cargo::cargo_bin("casefile");
    let alert = common::fixture_path("alerts/sshd-5712.json");
    let log = env.home.path().join("integrations.log");
    let output = std::process::Command::new("sh")
        .arg(env.repo.join("wazuh/custom-casefile"))
        .arg(&alert)
        .arg("unused-api-key")
        .env("HOME", env.home.path())
        .env("CASEFILE_REPO", &env.repo)
        .env("CASEFILE_BIN", &binary)
        .env("CASEFILE_LOG", &log)
        .env("CASEFILE_NOW", common::NOW)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["--json", "list"])).unwrap();
    assert_eq!(
        listed[0]["title"],
        "sshd: brute force trying to get access to the system. Non existent user."
    );
}

#[test]
fn init_marks_evidence_as_not_text() {
    let env = Env::new();
    let attributes = env.read(".gitattributes");
    assert!(
        attributes
            .lines()
            .any(|line| line == "incidents/*/evidence/** -text"),
        "{attributes}"
    );
    assert!(
        attributes.lines().any(|line| line.starts_with("# ")),
        "the file says why: {attributes}"
    );
    let committed = git_stdout(&env, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        committed.lines().any(|path| path == ".gitattributes"),
        "{committed}"
    );
    for path in [
        "incidents/IR-20260302-ABCD/evidence/alert-0123456789abcdef.json",
        "incidents/IR-20260302-ABCD/evidence/alerts-20260302-090000-abcdef.index",
    ] {
        assert_eq!(
            git_stdout(&env, &["check-attr", "text", path]),
            format!("{path}: text: unset")
        );
    }
}

#[test]
fn init_appends_evidence_attribute_to_existing_file() {
    let env = Env::bare();
    std::fs::create_dir_all(&env.repo).unwrap();
    env.git(&["init", "-q"]).assert().success();
    std::fs::write(env.repo.join(".gitattributes"), "*.png binary").unwrap();
    env.git(&["add", ".gitattributes"]).assert().success();
    env.git(&["commit", "-qm", "start"]).assert().success();
    env.ok(&["init"]);
    let attributes = env.read(".gitattributes");
    assert!(attributes.starts_with("*.png binary\n\n# "), "{attributes}");
    assert!(
        attributes.ends_with("\nincidents/*/evidence/** -text\n"),
        "{attributes}"
    );
    assert_eq!(env.status(), "");
    env.ok(&["init"]);
    assert_eq!(env.read(".gitattributes"), attributes, "added once");
}

#[test]
fn init_leaves_uncommitted_attributes_alone() {
    let env = Env::bare();
    std::fs::create_dir_all(&env.repo).unwrap();
    env.git(&["init", "-q"]).assert().success();
    std::fs::write(env.repo.join(".gitattributes"), "*.png binary\n").unwrap();
    let output = env.casefile(&["init"]).output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            ".gitattributes has uncommitted changes, so init leaves it alone; add the line \
             `incidents/*/evidence/** -text`"
        ),
        "{stderr}"
    );
    assert_eq!(env.read(".gitattributes"), "*.png binary\n");
    assert_eq!(env.status(), "?? .gitattributes", "init does not commit it");
}
