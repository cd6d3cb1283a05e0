//! Every mutating command makes exactly one commit, authored by the git identity, whose message
//! names the incident and the change.

mod common;

use common::{git_stdout, Env, ANALYST_EMAIL, ANALYST_NAME};

#[test]
fn each_mutation_makes_one_commit() {
    let env = Env::new();
    let id = env.open("Phishing mail");
    let steps: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["take", &id],
            format!("{id}: set owner to {ANALYST_NAME} <{ANALYST_EMAIL}>"),
        ),
        (
            vec!["timeline", "add", &id, "Mail reported"],
            format!("{id}: add note entry"),
        ),
        (
            vec!["ioc", "add", &id, "198.51.100.7", "evil[.]example"],
            format!("{id}: add 2 indicators"),
        ),
        (
            vec!["ioc", "add", &id, "8.8.8.8"],
            format!("{id}: add ipv4 indicator"),
        ),
        (
            vec!["advance", &id],
            format!("{id}: advance from detection to triage"),
        ),
        (
            vec!["summary", &id, "A phishing mail"],
            format!("{id}: write the summary"),
        ),
    ];
    for (args, subject) in steps {
        let before = env.commit_count();
        env.ok(&args);
        assert_eq!(env.commit_count(), before + 1, "{args:?} made one commit");
        assert_eq!(git_stdout(&env, &["log", "-1", "--format=%s"]), subject);
        assert_eq!(
            git_stdout(&env, &["log", "-1", "--format=%an <%ae>"]),
            format!("{ANALYST_NAME} <{ANALYST_EMAIL}>")
        );
        assert!(git_stdout(&env, &["log", "-1", "--format=%b"])
            .contains(&format!("Casefile-Incident: {id}")));
        assert_eq!(env.status(), "", "{args:?} left the tree clean");
    }
}

#[test]
fn open_prints_only_the_id() {
    let env = Env::new();
    let stdout = env.ok(&["open", "--title", "Lost laptop"]);
    let id = stdout.trim();
    assert_eq!(stdout, format!("{id}\n"));
    assert!(id.starts_with("IR-20260302-"), "{id}");
    assert!(env.incident_dir(id).join("incident.toml").is_file());
}

#[test]
fn no_commit_writes_without_committing() {
    let env = Env::new();
    let id = env.open("Lost laptop");
    let before = env.commit_count();
    env.ok(&["--no-commit", "timeline", "add", &id, "Called the user"]);
    assert_eq!(env.commit_count(), before);
    assert!(
        env.status()
            .contains(&format!("?? incidents/{id}/timeline/")),
        "{}",
        env.status()
    );
}

#[test]
fn duplicate_ioc_is_merged_not_repeated() {
    let env = Env::new();
    let id = env.open("Beaconing");
    env.ok(&["ioc", "add", &id, "hxxps://c2[.]example[.]net/beacon"]);
    let before = env.commit_count();
    env.ok(&["ioc", "add", &id, "https://c2.example.net/beacon"]);
    assert_eq!(
        env.commit_count(),
        before,
        "a known indicator adds no commit"
    );
    let listing: serde_json::Value =
        serde_json::from_str(&env.ok(&["--json", "ioc", "list", &id, "--no-defang"])).unwrap();
    assert_eq!(listing.as_array().unwrap().len(), 1);
    assert_eq!(listing[0]["type"], "url");
    assert_eq!(listing[0]["value"], "https://c2.example.net/beacon");
}

#[test]
fn user_staged_changes_stay_out_of_commit() {
    let env = Env::new();
    let id = env.open("Malware");
    std::fs::write(env.repo.join("draft.txt"), "work in progress").unwrap();
    env.git(&["add", "draft.txt"]).assert().success();
    env.ok(&["timeline", "add", &id, "Sample sent to the sandbox"]);
    let files = git_stdout(&env, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(!files.contains("draft.txt"), "{files}");
    assert!(env.status().contains("A  draft.txt"), "{}", env.status());
}

#[test]
fn mutation_without_identity_fails_with_hint() {
    let env = Env::without_identity();
    let output = env
        .casefile(&["init", "cases"])
        .current_dir(env.home.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no git identity is configured"), "{stderr}");
    assert!(stderr.contains("git config --global user.name"), "{stderr}");
    assert!(!env.repo.exists(), "a failed init leaves nothing behind");
}

#[test]
fn concurrent_commands_all_commit() {
    let env = Env::new();
    let id = env.open("Noisy host");
    let before = env.commit_count();
    let children: Vec<_> = (0..8)
        .map(|n| {
            let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("casefile"));
            command
                .args(["timeline", "add", &id, &format!("Parallel note {n}")])
                .current_dir(&env.repo);
            command
                .env("HOME", env.home.path())
                .env("CASEFILE_NOW", common::NOW)
                .env("GIT_CONFIG_NOSYSTEM", "1");
            command.spawn().unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a parallel command failed");
    }
    assert_eq!(env.commit_count(), before + 8);
    assert_eq!(env.status(), "");
    let entries: serde_json::Value =
        serde_json::from_str(&env.ok(&["--json", "timeline", "list", &id])).unwrap();
    let notes = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"].as_str().unwrap().starts_with("Parallel note"))
        .count();
    assert_eq!(notes, 8);
}

#[test]
fn hand_edited_incident_is_not_committed_silently() {
    let env = Env::new();
    let id = env.open("Phishing");
    let path = env.incident_dir(&id).join("incident.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("title = \"Phishing\"", "title = \"Edited\"");
    std::fs::write(&path, text).unwrap();
    let before = env.snapshot();
    let error = env.fails(&["take", &id]);
    assert!(error.contains("has uncommitted changes"), "{error}");
    assert!(error.contains("incident.toml"), "{error}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn failed_index_write_undoes_commit() {
    let env = Env::new();
    let id = env.open("Index held by another program");
    let before = env.snapshot();
    let files_before = git_stdout(&env, &["ls-files"]);
    let data_before = git_data(&env);
    let lock = env.repo.join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();

    let output = env.run(&["timeline", "add", &id, "Entry that cannot be staged"]);
    std::fs::remove_file(&lock).unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("index is locked"), "{stderr}");
    assert_eq!(env.snapshot(), before);
    assert_eq!(git_stdout(&env, &["ls-files"]), files_before);
    assert_eq!(
        git_data(&env),
        data_before,
        "objects and reflogs are unchanged"
    );
}

/// Returns the listing of `.git/objects` and the reflogs' text, which a failed command must
/// leave as they were.
fn git_data(env: &Env) -> (Vec<String>, String) {
    let objects = env.repo.join(".git/objects");
    let mut listing: Vec<String> = walkdir::WalkDir::new(&objects)
        .into_iter()
        .map(|entry| entry.unwrap().path().display().to_string())
        .collect();
    listing.sort();
    let reflog = std::fs::read_to_string(env.repo.join(".git/logs/HEAD")).unwrap_or_default();
    (listing, reflog)
}
