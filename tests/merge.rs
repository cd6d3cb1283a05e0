//! Merge safety with plain `git merge`: records appended on two branches merge without
//! conflict and nothing is lost, a single value set differently on two branches conflicts,
//! files checked out with CRLF line endings still work, and evidence keeps its bytes in such a
//! checkout.

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

/// Returns the bytes of `HEAD:path` as git stores them.
fn committed_blob(env: &Env, path: &str) -> Vec<u8> {
    let output = env
        .git(&["cat-file", "blob", &format!("HEAD:{path}")])
        .output()
        .expect("run git cat-file");
    assert!(output.status.success(), "no blob at HEAD:{path}");
    output.stdout
}

fn carriage_returns(bytes: &[u8]) -> usize {
    bytes.iter().filter(|byte| **byte == b'\r').count()
}

/// Returns the evidence files of `id` that are not metadata records, relative to the root.
fn evidence_files(env: &Env, id: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(env.incident_dir(id).join("evidence"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".toml"))
        .map(|name| format!("incidents/{id}/evidence/{name}"))
        .collect();
    files.sort();
    files
}

#[test]
fn evidence_stays_byte_exact_in_crlf_clone() {
    let env = Env::new();
    env.git(&["config", "core.autocrlf", "true"])
        .assert()
        .success();

    // A pretty-printed alert whose first lines end in CRLF and the others in LF, as a file
    // pieced together on Windows would have them.
    let demo =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/wazuh-alert-100003.json");
    let mut alert: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo).unwrap()).unwrap();
    let pretty = serde_json::to_string_pretty(&alert).unwrap();
    let (head, tail) = pretty.split_at(pretty.find("\n  \"rule\"").unwrap());
    let mixed = format!("{}{tail}\r\n", head.replace('\n', "\r\n"));
    let alert_path = env.home.path().join("mixed-endings.json");
    std::fs::write(&alert_path, &mixed).unwrap();
    let opened = env
        .ok(&["open", "--alert", alert_path.to_str().unwrap()])
        .trim()
        .to_string();

    // JSON lines (LF only) of one attack: the first alert becomes the new incident's own
    // evidence file, the others a batch with an index.
    let lines: Vec<String> = (0..3)
        .map(|n| {
            alert["id"] = format!("1700000000.{n}").into();
            alert["timestamp"] = format!("2026-03-01T08:0{n}:00.000+0000").into();
            serde_json::to_string(&alert).unwrap()
        })
        .collect();
    let input = env.home.path().join("alerts.json");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    env.ok(&["ingest", input.to_str().unwrap()]);
    let ingested = std::fs::read_dir(env.repo.join("incidents"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with("IR-") && *name != opened)
        .expect("the ingest opened a second incident");

    let opened_evidence = evidence_files(&env, &opened);
    assert_eq!(opened_evidence.len(), 1, "{opened_evidence:?}");
    let ingested_evidence = evidence_files(&env, &ingested);
    assert_eq!(ingested_evidence.len(), 3, "{ingested_evidence:?}");
    let originals: Vec<(String, Vec<u8>)> = opened_evidence
        .iter()
        .chain(&ingested_evidence)
        .map(|path| (path.clone(), std::fs::read(env.repo.join(path)).unwrap()))
        .collect();
    assert_eq!(
        originals[0].1,
        mixed.as_bytes(),
        "open keeps the alert's bytes"
    );
    for (path, bytes) in &originals {
        let committed = committed_blob(&env, path);
        assert!(
            committed == *bytes,
            "the commit changed {path}: {} CR bytes stored, {} in the file",
            carriage_returns(&committed),
            carriage_returns(bytes)
        );
    }
    assert_eq!(env.status(), "", "git sees the evidence as committed");

    let clone = env.home.path().join("clone");
    env.git(&[
        "clone",
        "-q",
        "-c",
        "core.autocrlf=true",
        ".",
        clone.to_str().unwrap(),
    ])
    .assert()
    .success();
    let config = std::fs::read(clone.join("casefile.toml")).unwrap();
    assert!(
        config.windows(2).any(|pair| pair == b"\r\n"),
        "the clone converts text files to CRLF"
    );
    for (path, bytes) in &originals {
        let checked_out = std::fs::read(clone.join(path)).unwrap();
        assert!(
            checked_out == *bytes,
            "the clone changed {path}: {} CR bytes checked out, {} committed",
            carriage_returns(&checked_out),
            carriage_returns(bytes)
        );
    }
    let output = env
        .casefile(&["-C", clone.to_str().unwrap(), "check", "--format", "json"])
        .output()
        .unwrap();
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{findings:#?}");
    assert!(findings.is_empty(), "{findings:#?}");
}
