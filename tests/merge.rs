//! Merge safety with plain `git merge`: records appended on two branches merge without
//! conflict and nothing is lost, a single value set differently on two branches conflicts, and
//! files checked out with CRLF line endings still work.

mod common;

use common::{git_stdout, Env};

/// Runs `git merge --no-edit BRANCH` and returns its output, whatever the exit code.
fn merge(env: &Env, branch: &str) -> std::process::Output {
    env.git(&["merge", "--no-edit", branch])
        .output()
        .expect("run git merge")
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Adds two timeline entries, one indicator and one action on the current branch.
fn append_records(env: &Env, id: &str, who: &str, ip: &str) {
    env.ok(&[
        "timeline",
        "add",
        id,
        &format!("{who}: reviewed the SSH log"),
    ]);
    env.ok(&[
        "timeline",
        "add",
        id,
        &format!("{who}: found logins from {ip}"),
        "--kind",
        "finding",
    ]);
    env.ok(&["ioc", "add", id, ip, "--type", "ipv4"]);
    env.ok(&[
        "ioc",
        "add",
        id,
        "203.0.113.250",
        "--type",
        "ipv4",
        "--source",
        who,
    ]);
    env.ok(&["action", "add", id, "block-ip", ip, "--note", who]);
}

#[test]
fn merge_keeps_records_appended_on_two_branches() {
    let mut env = Env::new();
    let id = env.open("SSH brute force on web-01");
    let timeline_before = env.records(&id, "timeline").len();
    git_stdout(&env, &["branch", "alice"]);
    git_stdout(&env, &["branch", "bob"]);

    git_stdout(&env, &["checkout", "-q", "alice"]);
    env.at("2026-03-02T10:00:00Z");
    append_records(&env, &id, "alice", "198.51.100.1");
    let alice_incident = env.open("Phishing mail to finance");

    git_stdout(&env, &["checkout", "-q", "bob"]);
    env.at("2026-03-02T10:00:00Z");
    append_records(&env, &id, "bob", "198.51.100.2");
    let bob_incident = env.open("Phishing mail to finance");
    assert_ne!(
        alice_incident, bob_incident,
        "IDs opened on two branches collide"
    );

    git_stdout(&env, &["checkout", "-q", "main"]);
    let first = merge(&env, "alice");
    assert!(first.status.success(), "{}", text(&first));
    let second = merge(&env, "bob");
    assert!(
        second.status.success(),
        "merge of bob conflicts:\n{}",
        text(&second)
    );

    assert_eq!(env.records(&id, "timeline").len(), timeline_before + 4);
    assert_eq!(env.records(&id, "iocs").len(), 4);
    assert_eq!(env.records(&id, "actions").len(), 2);
    let timeline = env.ok(&["timeline", "list", &id]);
    for line in [
        "alice: reviewed the SSH log",
        "alice: found logins from 198.51.100.1",
        "bob: reviewed the SSH log",
        "bob: found logins from 198.51.100.2",
    ] {
        assert!(
            timeline.contains(line),
            "timeline lacks {line:?}:\n{timeline}"
        );
    }
    let values: Vec<String> = env
        .records(&id, "iocs")
        .iter()
        .map(|file| env.read(file).parse::<toml::Table>().unwrap()["value"].to_string())
        .collect();
    for value in ["198.51.100.1", "198.51.100.2", "203.0.113.250"] {
        let quoted = format!("\"{value}\"");
        assert!(
            values.contains(&quoted),
            "indicators lack {value}: {values:?}"
        );
    }
    let actions = env.ok(&["--json", "action", "list", &id]);
    assert!(
        actions.contains("198.51.100.1") && actions.contains("198.51.100.2"),
        "{actions}"
    );
    assert!(env
        .incident_dir(&alice_incident)
        .join("incident.toml")
        .is_file());
    assert!(env
        .incident_dir(&bob_incident)
        .join("incident.toml")
        .is_file());
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 0, "{findings:#?}");
    assert!(findings.is_empty(), "{findings:#?}");
}

/// Sets a single value differently on two branches and asserts that the merge conflicts in
/// incident.toml and nowhere else.
fn assert_conflict(prepare: &[&[&str]], alice: &[&str], bob: &[&str]) {
    let mut env = Env::new();
    let id = env.open("SSH brute force on web-01");
    let with_id = |args: &[&str]| -> Vec<String> {
        args.iter().map(|arg| arg.replace("{id}", &id)).collect()
    };
    for args in prepare {
        let args = with_id(args);
        env.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    git_stdout(&env, &["branch", "alice"]);
    git_stdout(&env, &["branch", "bob"]);
    for (branch, args, time) in [
        ("alice", alice, "2026-03-02T10:00:00Z"),
        ("bob", bob, "2026-03-02T10:05:00Z"),
    ] {
        git_stdout(&env, &["checkout", "-q", branch]);
        env.at(time);
        let args = with_id(args);
        env.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    git_stdout(&env, &["checkout", "-q", "main"]);
    let first = merge(&env, "alice");
    assert!(first.status.success(), "{}", text(&first));
    let second = merge(&env, "bob");
    assert!(
        !second.status.success(),
        "{alice:?} and {bob:?} merged without conflict"
    );
    let output = text(&second);
    let file = format!("incidents/{id}/incident.toml");
    assert!(
        output.contains(&format!("CONFLICT (content): Merge conflict in {file}")),
        "{output}"
    );
    let unmerged = git_stdout(&env, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged, file);
}

#[test]
fn merge_conflicts_on_owner() {
    assert_conflict(
        &[&["take", "{id}"]],
        &["assign", "{id}", "Bob Analyst <bob@example.org>"],
        &["assign", "{id}", "Carol Analyst <carol@example.org>"],
    );
}

#[test]
fn merge_conflicts_on_verdict() {
    assert_conflict(
        &[],
        &[
            "verdict",
            "{id}",
            "true-positive",
            "--reason",
            "Logins succeeded",
        ],
        &[
            "verdict",
            "{id}",
            "false-positive",
            "--reason",
            "Scanner of the red team",
        ],
    );
}

#[test]
fn merge_conflicts_on_severity() {
    assert_conflict(
        &[&["classify", "{id}", "--severity", "medium"]],
        &["classify", "{id}", "--severity", "high"],
        &["classify", "{id}", "--severity", "low"],
    );
}

#[test]
fn merge_conflicts_on_phase() {
    assert_conflict(&[], &["advance", "{id}"], &["advance", "{id}"]);
}

#[test]
fn commands_work_on_crlf_checkout() {
    let env = Env::new();
    let id = env.open("SSH brute force on web-01");
    env.ok(&["ioc", "add", &id, "198.51.100.1", "--type", "ipv4"]);
    // A Windows checkout: git stores LF and writes CRLF into the working tree.
    env.git(&["config", "core.autocrlf", "true"])
        .assert()
        .success();
    std::fs::remove_dir_all(env.repo.join("incidents")).unwrap();
    std::fs::remove_file(env.repo.join("casefile.toml")).unwrap();
    env.git(&["checkout", "--", "."]).assert().success();
    assert!(
        env.read("casefile.toml").contains("\r\n"),
        "the checkout has CRLF endings"
    );
    assert_eq!(env.status(), "", "git sees the CRLF files as unchanged");
    let file = format!("incidents/{id}/incident.toml");

    env.ok(&["advance", &id]);
    env.ok(&["take", &id]);
    env.ok(&[
        "timeline",
        "add",
        &id,
        "Reviewed the SSH log",
        "--kind",
        "finding",
    ]);
    env.ok(&["advance", &id]);

    let text = env.read(&file);
    assert!(
        text.contains("owner = \"Alice Analyst <alice@example.org>\"\r\n"),
        "{text}"
    );
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "incident.toml mixes line endings:\n{text:?}"
    );
    let shown = env.ok(&["--json", "show", &id]);
    assert!(shown.contains("investigation"), "{shown}");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 0, "{findings:#?}");
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(env.status(), "", "the commits store what git would store");
    let stored = common::git_stdout(&env, &["show", &format!("HEAD:{file}")]);
    assert!(!stored.contains('\r'), "the committed blob has LF endings");
}
