//! Bad input gets a clear error, exit code 1, and no partial write.

mod common;

use common::Env;

fn write_alert(env: &Env, name: &str, content: &str) -> String {
    let path = env.home.path().join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_string()
}

/// Asserts that the command fails, its error contains every text, and nothing changed.
fn assert_rejected(env: &Env, args: &[&str], expected: &[&str]) {
    let before = env.snapshot();
    let error = env.fails(args);
    for text in expected {
        assert!(
            error.contains(text),
            "{args:?}: error lacks {text:?}:\n{error}"
        );
    }
    assert_eq!(env.snapshot(), before, "{args:?} changed the repository");
}

#[test]
fn open_rejects_malformed_alert() {
    let env = Env::new();
    let path = write_alert(&env, "bad.json", "{\"rule\": {\"id\": \"5710\", ");
    assert_rejected(
        &env,
        &["open", "--alert", &path],
        &["invalid alert in", "bad.json"],
    );
}

#[test]
fn open_rejects_alert_without_rule() {
    let env = Env::new();
    let path = write_alert(
        &env,
        "norule.json",
        r#"{"timestamp":"2024-01-01T00:00:00.000+0000","id":"1"}"#,
    );
    assert_rejected(&env, &["open", "--alert", &path], &["norule.json", "rule"]);
}

#[test]
fn open_rejects_timestamp_without_offset() {
    let env = Env::new();
    let alert = r#"{"timestamp":"2024-01-01T00:00:00","rule":{"id":"5710","level":5,"description":"x"},"id":"1"}"#;
    let path = write_alert(&env, "nooffset.json", alert);
    assert_rejected(
        &env,
        &["open", "--alert", &path],
        &["nooffset.json", "2024-01-01T00:00:00"],
    );
}

#[test]
fn open_rejects_missing_file() {
    let env = Env::new();
    assert_rejected(
        &env,
        &["open", "--alert", "/nonexistent/alert.json"],
        &["failed to read", "/nonexistent/alert.json"],
    );
}

#[test]
fn classify_rejects_unknown_technique() {
    let env = Env::new();
    let id = env.open("x");
    assert_rejected(
        &env,
        &["classify", &id, "--attack", "T1110,T9999"],
        &["T9999"],
    );
    assert!(
        env.parse_incident(&id).get("attack").is_none(),
        "no technique was written"
    );
}

#[test]
fn classify_rejects_malformed_techniques() {
    let env = Env::new();
    let id = env.open("x");
    for bad in ["T107.004", "T1059.1", "TA0006", "1110"] {
        assert_rejected(&env, &["classify", &id, "--attack", bad], &[bad]);
    }
}

#[test]
fn classify_rejects_revoked_technique_naming_replacement() {
    let env = Env::new();
    let id = env.open("x");
    assert_rejected(
        &env,
        &["classify", &id, "--attack", "T1086"],
        &["T1086", "revoked", "T1059.001"],
    );
}

#[test]
fn classify_warns_on_deprecated_technique() {
    let env = Env::new();
    let id = env.open("x");
    let output = env.run(&["classify", &id, "--attack", "t1064"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("deprecated"));
    assert_eq!(env.parse_incident(&id)["attack"][0].as_str(), Some("T1064"));
}

#[test]
fn classify_rejects_severity_off_scale() {
    let env = Env::new();
    let id = env.open("x");
    assert_rejected(
        &env,
        &["classify", &id, "--severity", "critical"],
        &["critical", "low, medium, high"],
    );
}

#[test]
fn ioc_add_rejects_invalid_ip() {
    let env = Env::new();
    let id = env.open("x");
    assert_rejected(
        &env,
        &["ioc", "add", &id, "10.0.0.1", "999.1.1.1", "--type", "ipv4"],
        &["999.1.1.1"],
    );
    assert!(
        !env.incident_dir(&id).join("iocs").exists(),
        "the valid value was not written either"
    );
}

#[test]
fn timeline_add_rejects_time_without_offset() {
    let env = Env::new();
    let id = env.open("x");
    assert_rejected(
        &env,
        &["timeline", "add", &id, "x", "--at", "2026-03-01T10:00:00"],
        &["no UTC offset"],
    );
}

#[test]
fn timeline_add_accepts_zone_name() {
    let env = Env::new();
    let id = env.open("x");
    env.ok(&[
        "timeline",
        "add",
        &id,
        "Call with the user",
        "--at",
        "2026-03-01 10:00 Europe/Berlin",
    ]);
    let entries: serde_json::Value =
        serde_json::from_str(&env.ok(&["--json", "timeline", "list", &id])).unwrap();
    let entry = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["text"] == "Call with the user")
        .unwrap();
    assert_eq!(entry["at"], "2026-03-01T09:00:00Z");
    assert_eq!(entry["recorded"], "2026-03-02T09:00:00Z");
}

#[test]
fn unknown_incident_id_is_rejected() {
    let env = Env::new();
    assert_rejected(
        &env,
        &["take", "IR-20990101-ZZZZ"],
        &["incident IR-20990101-ZZZZ not found"],
    );
    assert_rejected(&env, &["take", "../../etc"], &["is not an incident ID"]);
}

#[test]
fn outside_case_repository_fails_with_hint() {
    let env = Env::bare();
    std::fs::create_dir_all(&env.repo).unwrap();
    let error = env.fails(&["list"]);
    assert!(error.contains("not inside a git repository"), "{error}");
    assert!(error.contains("casefile init"), "{error}");
}

#[test]
fn usage_error_exits_two() {
    let env = Env::new();
    let output = env.run(&["verdict", "IR-20260302-AAAA", "maybe", "--reason", "x"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn open_rejects_future_detection_time() {
    let env = Env::new();
    assert_rejected(
        &env,
        &["open", "--title", "x", "--detected", "2099-01-01T00:00:00Z"],
        &["is in the future"],
    );
}

#[test]
fn timeline_list_shows_control_characters_visibly() {
    let env = Env::new();
    let id = env.open("x");
    env.ok(&["timeline", "add", &id, "x \u{1b}]0;pwn\u{7}\u{1b}[2J done"]);
    let listing = env.ok(&["timeline", "list", &id]);
    assert!(!listing.contains('\u{1b}'), "{listing:?}");
    assert!(
        listing.contains("x [U+001B]]0;pwn[U+0007][U+001B][2J done"),
        "{listing:?}"
    );
}

#[test]
fn error_message_shows_control_characters_visibly() {
    let env = Env::new();
    let error = env.fails(&["show", "\u{1b}[2Jx"]);
    assert!(!error.contains('\u{1b}'), "{error:?}");
    assert!(error.contains("[U+001B]"), "{error:?}");
}

#[test]
fn missing_directory_is_named() {
    let env = Env::new();
    let error = env.fails(&["-C", "/nonexistent/cases", "list"]);
    assert!(
        error.contains("directory `/nonexistent/cases` does not exist"),
        "{error}"
    );
}

#[test]
fn gate_hint_offers_waiver_only_where_allowed() {
    let env = Env::new();
    let id = env.open("x");
    env.ok(&["advance", &id]);
    let error = env.fails(&["advance", &id]);
    assert!(
        !error.contains("--waive"),
        "triage cannot be waived: {error}"
    );
}

#[test]
fn author_environment_sets_analyst() {
    let env = Env::new();
    let output = env
        .casefile(&["open", "--title", "x"])
        .env("GIT_AUTHOR_NAME", "Bob Builder")
        .env("GIT_AUTHOR_EMAIL", "bob@example.org")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        common::git_stdout(&env, &["log", "-1", "--format=%an <%ae>"]),
        "Bob Builder <bob@example.org>"
    );
}

#[test]
fn assign_without_roster_needs_address() {
    let env = Env::new();
    let id = env.open("x");
    assert_rejected(
        &env,
        &["assign", &id, "nobody"],
        &["`nobody` is not an e-mail address"],
    );
    env.ok(&["assign", &id, "Bob <bob@example.org>"]);
    assert_eq!(
        env.parse_incident(&id)["owner"].as_str(),
        Some("Bob <bob@example.org>")
    );
}
