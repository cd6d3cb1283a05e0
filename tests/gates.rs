//! Every phase gate rejects `advance` while its requirement is missing, names the requirement,
//! and leaves the repository exactly as it was.

mod common;

use common::Env;

/// Asserts that `advance` fails with every `expected` text in its message and changes nothing.
fn assert_gate_rejects(env: &Env, id: &str, expected: &[&str]) {
    let before = env.snapshot();
    let phase_before = env.parse_incident(id)["phase"]
        .as_str()
        .unwrap()
        .to_string();
    let error = env.fails(&["advance", id]);
    for text in expected {
        assert!(
            error.contains(text),
            "advance error lacks {text:?}:\n{error}"
        );
    }
    assert_eq!(
        env.snapshot(),
        before,
        "repository changed after a rejected advance"
    );
    assert_eq!(
        env.parse_incident(id)["phase"].as_str().unwrap(),
        phase_before
    );
}

/// Opens an incident and moves it to `phase` along the true-positive path.
fn incident_in(env: &Env, phase: &str) -> String {
    let id = env.open("Gate test");
    let steps: Vec<Vec<&str>> = vec![
        vec!["advance", &id],
        vec!["take", &id],
        vec!["advance", &id],
        vec!["timeline", "add", &id, "Finding", "--kind", "finding"],
        vec!["advance", &id],
        vec!["verdict", &id, "true-positive", "--reason", "Confirmed"],
        vec!["advance", &id],
        vec![
            "classify",
            &id,
            "--type",
            "malware",
            "--severity",
            "low",
            "--attack",
            "T1110",
            "--impact",
            "One host",
        ],
        vec!["advance", &id],
    ];
    let order = [
        "triage",
        "investigation",
        "determination",
        "classification",
        "containment",
    ];
    let stop = order.iter().position(|p| *p == phase).expect("known phase");
    let steps_needed = [1, 3, 5, 7, 9][stop];
    for step in steps.iter().take(steps_needed) {
        env.ok(step);
    }
    assert_eq!(env.parse_incident(&id)["phase"].as_str(), Some(phase));
    id
}

#[test]
fn triage_gate_requires_owner() {
    let env = Env::new();
    let id = incident_in(&env, "triage");
    assert_gate_rejects(&env, &id, &["cannot leave phase triage", "an owner is set"]);
}

#[test]
fn investigation_gate_requires_entry_and_findings() {
    let env = Env::new();
    let id = incident_in(&env, "investigation");
    assert_gate_rejects(
        &env,
        &id,
        &[
            "2 requirement(s) unmet",
            "at least one analyst timeline entry",
            "findings are recorded",
        ],
    );
}

#[test]
fn investigation_gate_accepts_findings_in_notes() {
    let env = Env::new();
    let id = incident_in(&env, "investigation");
    env.ok(&["timeline", "add", &id, "Checked the proxy logs"]);
    assert_gate_rejects(&env, &id, &["findings are recorded"]);
    let notes = env.incident_dir(&id).join("notes.md");
    let mut text = std::fs::read_to_string(&notes).unwrap();
    text.push_str("\nThe proxy shows a download of stage2.bin.\n");
    std::fs::write(&notes, text).unwrap();
    env.git(&["commit", "-qam", "notes"]).assert().success();
    env.ok(&["advance", &id]);
}

#[test]
fn determination_gate_requires_verdict() {
    let env = Env::new();
    let id = incident_in(&env, "determination");
    assert_gate_rejects(&env, &id, &["a verdict is set"]);
}

#[test]
fn classification_gate_lists_every_missing_field() {
    let env = Env::new();
    let id = incident_in(&env, "classification");
    assert_gate_rejects(
        &env,
        &id,
        &[
            "4 requirement(s) unmet",
            "an incident type is set",
            "a severity is set",
            "at least one valid ATT&CK technique",
            "business impact or priority",
        ],
    );
}

#[test]
fn containment_gate_requires_done_action() {
    let env = Env::new();
    let id = incident_in(&env, "containment");
    assert_gate_rejects(&env, &id, &["at least one containment action is done"]);
    let action = env
        .ok(&["action", "add", &id, "isolate-host", "ws-042"])
        .trim()
        .to_string();
    assert_gate_rejects(
        &env,
        &id,
        &[&format!("planned containment action {action}")],
    );
    env.ok(&["action", "done", &id, &action]);
    env.ok(&["advance", &id]);
}

#[test]
fn containment_gate_enforces_playbook() {
    let env = Env::new();
    std::fs::create_dir_all(env.repo.join("playbooks")).unwrap();
    std::fs::write(
        env.repo.join("playbooks/malware.toml"),
        "description = \"Malware on an endpoint\"\n[containment]\nrequired = [\"isolate-host\"]\n",
    )
    .unwrap();
    env.git(&["add", "playbooks"]).assert().success();
    env.git(&["commit", "-qm", "playbook"]).assert().success();
    let id = incident_in(&env, "containment");
    env.ok(&[
        "action",
        "add",
        &id,
        "block-ip",
        "203.0.113.9",
        "--status",
        "done",
    ]);
    assert_gate_rejects(
        &env,
        &id,
        &["playbook `malware` requires a done `isolate-host` action in containment"],
    );
}

#[test]
fn reporting_gate_requires_summary_and_current_report() {
    let env = Env::new();
    let id = incident_in(&env, "containment");
    for (kind, target) in [
        ("block-ip", "203.0.113.9"),
        ("remove-file", "/tmp/x"),
        ("verify-service", "web"),
    ] {
        env.ok(&["action", "add", &id, kind, target, "--status", "done"]);
        env.ok(&["advance", &id]);
    }
    assert_gate_rejects(
        &env,
        &id,
        &["a summary is written", "the report is rendered"],
    );
    env.ok(&["summary", &id, "Contained"]);
    env.ok(&["report", &id]);
    env.ok(&["timeline", "add", &id, "Late detail"]);
    assert_gate_rejects(&env, &id, &["the report is current"]);
    env.ok(&["report", &id]);
    env.ok(&["advance", &id]);
}

#[test]
fn lessons_gate_requires_recommendation() {
    let env = Env::new();
    let id = env.open("Benign");
    env.ok(&["advance", &id]);
    env.ok(&["take", &id]);
    env.ok(&["advance", &id]);
    env.ok(&["timeline", "add", &id, "Backup job", "--kind", "finding"]);
    env.ok(&["advance", &id]);
    env.ok(&["verdict", &id, "true-positive", "--reason", "x"]);
    env.ok(&["advance", &id]);
    env.ok(&[
        "classify",
        &id,
        "--type",
        "malware",
        "--severity",
        "low",
        "--attack",
        "T1110",
        "--impact",
        "none",
    ]);
    env.ok(&["advance", &id]);
    for gate in ["containment", "eradication", "recovery"] {
        env.ok(&["advance", &id, "--waive", gate, "--reason", "Nothing to do"]);
    }
    env.ok(&["summary", &id, "Done"]);
    env.ok(&["report", &id]);
    env.ok(&["advance", &id]);
    assert_gate_rejects(
        &env,
        &id,
        &[
            "at least one recommendation",
            "lessons-learned document is rendered",
        ],
    );
}

#[test]
fn gates_cannot_be_waived_outside_response() {
    let env = Env::new();
    let id = incident_in(&env, "triage");
    let before = env.snapshot();
    let error = env.fails(&["advance", &id, "--waive", "triage", "--reason", "skip"]);
    assert!(
        error.contains("the triage gate cannot be waived"),
        "{error}"
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn detection_gate_requires_time_and_source() {
    let env = Env::new();
    let id = env.open("Reported by phone");
    let path = env.incident_dir(&id).join("incident.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited: String = text
        .lines()
        .filter(|line| !line.starts_with("detected_at") && !line.starts_with("reported_by"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&path, edited).unwrap();
    env.git(&["commit", "-qam", "remove the detection time and reporter"])
        .assert()
        .success();
    assert_gate_rejects(
        &env,
        &id,
        &[
            "cannot leave phase detection",
            "a detection time is recorded",
            "a source is recorded",
        ],
    );
}
