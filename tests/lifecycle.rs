//! An incident worked through every phase with the real binary, and the false-positive path.

mod common;

use common::Env;

#[test]
fn demo_builds_repository_with_complete_report() {
    let env = Env::bare();
    let target = env.home.path().join("demo");
    let output = env
        .casefile(&["demo", target.to_str().unwrap()])
        .current_dir(env.home.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let report_path = stdout.trim();
    assert!(report_path.ends_with("report.md"), "stdout: {stdout}");
    let report = std::fs::read_to_string(report_path).unwrap();
    for section in [
        "## Summary",
        "## Impact assessment",
        "## Timeline of events",
        "## Indicators of compromise",
        "## Actions taken",
        "## MITRE ATT&CK mapping",
        "## Verdict and severity",
        "## Durations",
    ] {
        assert!(report.contains(section), "report lacks {section}");
    }
    assert!(report.contains("| Credential Access | T1110.001 | Brute Force: Password Guessing |"));
    assert!(report.contains("phase **closed**"));
    assert!(report.contains("| Time to close |"));
}

/// Runs `advance` and asserts the phase it reached.
fn advance(env: &Env, id: &str, expected: &str) {
    env.ok(&["advance", id]);
    let incident = env.parse_incident(id);
    assert_eq!(
        incident["phase"].as_str(),
        Some(expected),
        "after advancing {id}"
    );
}

#[test]
fn incident_walks_every_phase_to_closed() {
    let mut env = Env::new();
    env.at("2026-03-02T09:00:00Z");
    let id = env.open_alert("alerts/sshd-5712.json");
    advance(&env, &id, "triage");
    env.at("2026-03-02T09:05:00Z").ok(&["take", &id]);
    advance(&env, &id, "investigation");
    env.at("2026-03-02T09:20:00Z");
    env.ok(&[
        "timeline",
        "add",
        &id,
        "Seven invalid-user attempts for paco from 172.17.1.1",
        "--at",
        "2022-05-11T12:29:00Z",
        "--kind",
        "finding",
    ]);
    env.ok(&[
        "ioc",
        "add",
        &id,
        "hxxp://evil[.]example[.]com/payload",
        "--type",
        "url",
    ]);
    advance(&env, &id, "determination");
    env.ok(&[
        "verdict",
        &id,
        "true-positive",
        "--reason",
        "Repeated failures from one source",
    ]);
    advance(&env, &id, "classification");
    env.ok(&[
        "classify",
        &id,
        "--type",
        "brute-force",
        "--severity",
        "High",
        "--attack",
        "t1110.001",
        "--impact",
        "No access gained",
    ]);
    advance(&env, &id, "containment");
    env.at("2026-03-02T10:00:00Z");
    let action = env
        .ok(&["action", "add", &id, "block-ip", "172.17.1.1"])
        .trim()
        .to_string();
    env.ok(&["action", "done", &id, &action]);
    advance(&env, &id, "eradication");
    env.ok(&[
        "action",
        "add",
        &id,
        "enforce-mfa",
        "sshd",
        "--status",
        "done",
    ]);
    advance(&env, &id, "recovery");
    env.at("2026-03-02T11:00:00Z");
    env.ok(&[
        "action",
        "add",
        &id,
        "verify-service",
        "sshd",
        "--status",
        "done",
    ]);
    advance(&env, &id, "reporting");
    env.ok(&[
        "summary",
        &id,
        "SSH brute force from 172.17.1.1 blocked | no access",
    ]);
    env.ok(&["report", &id]);
    advance(&env, &id, "lessons-learned");
    env.ok(&["recommend", &id, "Disable password authentication"]);
    env.ok(&["lessons", &id]);
    advance(&env, &id, "improvement");
    env.ok(&[
        "followup",
        "add",
        &id,
        "siem-rule",
        "Lower the threshold of rule 5712",
        "--owner",
        "Alice Analyst",
        "--due",
        "2026-04-01",
    ]);
    advance(&env, &id, "closed");
    env.at("2026-03-02T12:00:00Z").ok(&["report", &id]);

    let report = env.read(&format!("incidents/{id}/report.md"));
    assert!(report.contains("phase **closed**"));
    assert!(report.contains("verdict **true-positive**"));
    assert!(report.contains("severity **high**"));
    assert!(report.contains("| Credential Access | T1110.001 | Brute Force: Password Guessing |"));
    assert!(
        report.contains("`hxxp://evil[.]example[.]com/payload`"),
        "IOC is defanged"
    );
    assert!(report.contains("| containment | block-ip | `172.17.1[.]1` | done | Alice Analyst"));
    assert!(report.contains("SSH brute force from 172.17.1.1 blocked \\| no access"));
    assert!(report
        .contains("| Time to acknowledge | 2022-05-11 12:29:19 UTC | 2026-03-02 09:05:00 UTC |"));
    assert!(report.contains("No access gained"));
    let lessons = env.read(&format!("incidents/{id}/lessons.md"));
    assert!(lessons.contains("1. Disable password authentication"));
    assert_eq!(env.status(), "", "working tree is clean");

    // A closed incident rejects changes until it is reopened.
    let error = env.fails(&["timeline", "add", &id, "late note"]);
    assert!(error.contains("is closed"), "{error}");
    env.ok(&["reopen", &id, "--reason", "New evidence from the firewall"]);
    assert_eq!(
        env.parse_incident(&id)["phase"].as_str(),
        Some("investigation")
    );
    env.ok(&["timeline", "add", &id, "late note"]);
}

#[test]
fn false_positive_skips_response_phases() {
    let env = Env::new();
    let id = env.open_alert("alerts/sshd-5710.json");
    advance(&env, &id, "triage");
    env.ok(&["take", &id]);
    advance(&env, &id, "investigation");
    env.ok(&[
        "timeline",
        "add",
        &id,
        "The source is the vulnerability scanner",
        "--kind",
        "finding",
    ]);
    advance(&env, &id, "determination");
    let output = env
        .casefile(&[
            "verdict",
            &id,
            "false-positive",
            "--reason",
            "Authorized scan",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("consider tuning detection rule 5710"),
        "{stderr}"
    );
    advance(&env, &id, "reporting");
    env.ok(&["summary", &id, "Authorized vulnerability scan"]);
    env.ok(&["report", &id]);
    advance(&env, &id, "closed");

    let report = env.read(&format!("incidents/{id}/report.md"));
    assert!(report.contains("verdict **false-positive**"));
    assert!(report.contains("containment, eradication and recovery were skipped"));
    let phases: Vec<String> = env.parse_incident(&id)["phase_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["phase"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        phases,
        [
            "detection",
            "triage",
            "investigation",
            "determination",
            "reporting",
            "closed"
        ]
    );
}

#[test]
fn waiver_passes_gate_and_appears_in_report() {
    let env = Env::new();
    let id = env.open("Suspicious login");
    for step in [
        vec!["advance", &id],
        vec!["take", &id],
        vec!["advance", &id],
        vec![
            "timeline",
            "add",
            &id,
            "Login from a new country",
            "--kind",
            "finding",
        ],
        vec!["advance", &id],
        vec![
            "verdict",
            &id,
            "true-positive",
            "--reason",
            "User denies it",
        ],
        vec!["advance", &id],
        vec![
            "classify",
            &id,
            "--type",
            "unauthorized-access",
            "--severity",
            "medium",
            "--attack",
            "T1110",
            "--priority",
            "P3",
        ],
        vec!["advance", &id],
    ] {
        env.ok(&step);
    }
    let error = env.fails(&["advance", &id, "--waive", "eradication", "--reason", "x"]);
    assert!(error.contains("names the eradication gate"), "{error}");
    env.ok(&[
        "advance",
        &id,
        "--waive",
        "containment",
        "--reason",
        "Account already disabled by HR",
    ]);
    let incident = env.parse_incident(&id);
    assert_eq!(incident["phase"].as_str(), Some("eradication"));
    assert_eq!(
        incident["waivers"][0]["reason"].as_str(),
        Some("Account already disabled by HR")
    );
    let report = env.ok(&["report", &id, "-o", "-"]);
    assert!(report.contains("| containment | Account already disabled by HR | Alice Analyst"));
}
