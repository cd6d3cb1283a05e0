//! The sample case repository at the project root (casefile.toml, playbooks/, incidents/),
//! built by scripts/sample-incidents.sh, stays valid.

use assert_cmd::Command;
use serde_json::Value;

fn casefile(args: &[&str]) -> Command {
    let mut command = Command::cargo_bin("casefile").unwrap();
    command.arg("-C").arg(env!("CARGO_MANIFEST_DIR")).args(args);
    command.env("GIT_CONFIG_NOSYSTEM", "1");
    command
}

#[test]
fn sample_repository_checks_clean() {
    if !std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".git")
        .exists()
    {
        eprintln!("skipped: the project is not a git checkout, and check reads tracked paths");
        return;
    }
    let output = casefile(&["check", "--format", "json"]).output().unwrap();
    let findings: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    let errors: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn sample_repository_spans_phases() {
    let output = casefile(&["--json", "list"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let incidents: Value = serde_json::from_slice(&output.stdout).unwrap();
    let phases: Vec<&str> = incidents
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["phase"].as_str().unwrap())
        .collect();
    for phase in ["closed", "containment", "investigation", "triage"] {
        assert!(
            phases.contains(&phase),
            "no sample incident in {phase}: {phases:?}"
        );
    }
    let verdicts: Vec<&str> = incidents
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["verdict"].as_str())
        .collect();
    assert!(verdicts.contains(&"false-positive"));
    assert!(verdicts.contains(&"true-positive"));
}

#[test]
fn sample_closed_report_is_complete() {
    let output = casefile(&[
        "--json",
        "list",
        "--phase",
        "closed",
        "--type",
        "brute-force",
    ])
    .output()
    .unwrap();
    let incidents: Value = serde_json::from_slice(&output.stdout).unwrap();
    let id = incidents[0]["id"]
        .as_str()
        .expect("a closed brute-force sample");
    let report = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("incidents")
            .join(id)
            .join("report.md"),
    )
    .unwrap();
    assert!(report.contains("phase **closed**"));
    assert!(report.contains("| Credential Access | T1110.001 | Brute Force: Password Guessing |"));
    assert!(report.contains("| Time to close |"));
}

#[test]
fn sample_reports_render_for_ci() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("rendered");
    let output = casefile(&[
        "report",
        "--all",
        "--format",
        "html",
        "--out",
        target.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let index = std::fs::read_to_string(target.join("index.html")).unwrap();
    let listed = casefile(&["--json", "list"]).output().unwrap();
    let incidents: Value = serde_json::from_slice(&listed.stdout).unwrap();
    for incident in incidents.as_array().unwrap() {
        let id = incident["id"].as_str().unwrap();
        assert!(index.contains(id), "index lacks {id}");
        let page = std::fs::read_to_string(target.join(format!("{id}.html"))).unwrap();
        assert!(page.contains("<h2>Timeline of events</h2>"), "{id}");
        assert!(!page.contains("<script"), "{id}");
    }
}
