//! TLP-limited rendering: a report rendered at a level contains nothing marked above it.

mod common;

use common::Env;

/// Opens an AMBER incident with timeline entries and indicators at every level, and returns
/// its ID.
fn marked_incident(env: &Env) -> String {
    let id = env.ok(&["open", "--title", "Secret title AMBER", "--tlp", "AMBER"]);
    let id = id.trim().to_string();
    env.ok(&["summary", &id, "Summary text AMBER"]);
    env.ok(&[
        "classify",
        &id,
        "--impact",
        "Impact text AMBER",
        "--attack",
        "T1110",
    ]);
    for (text, tlp) in [
        ("entry-clear", Some("CLEAR")),
        ("entry-green", Some("GREEN")),
        ("entry-amber-default", None),
        ("entry-strict", Some("AMBER+STRICT")),
        ("entry-red", Some("RED")),
    ] {
        let mut args = vec!["timeline", "add", &id, text];
        if let Some(tlp) = tlp {
            args.extend(["--tlp", tlp]);
        }
        env.ok(&args);
    }
    env.write_ioc(
        &id,
        "20260302-090000-000001",
        "file_name",
        "ioc-clear.exe",
        Some("CLEAR"),
    );
    env.write_ioc(
        &id,
        "20260302-090000-000002",
        "file_name",
        "ioc-amber.exe",
        None,
    );
    env.write_ioc(
        &id,
        "20260302-090000-000003",
        "file_name",
        "ioc-red.exe",
        Some("RED"),
    );
    env.ok(&["action", "add", &id, "block-ip", "action-target-amber"]);
    id
}

#[test]
fn clear_report_has_no_amber_or_red_content() {
    let env = Env::new();
    let id = marked_incident(&env);
    let out = env.home.path().join("clear.md");
    env.ok(&["report", &id, "--tlp", "CLEAR", "-o", out.to_str().unwrap()]);
    let report = std::fs::read_to_string(out).unwrap();
    assert!(report.contains("entry-clear"));
    assert!(report.contains("ioc-clear.exe"));
    for secret in [
        "entry-green",
        "entry-amber-default",
        "entry-strict",
        "entry-red",
        "ioc-amber.exe",
        "ioc-red.exe",
        "Secret title",
        "Summary text",
        "Impact text",
        "action-target-amber",
        "Incident opened",
    ] {
        assert!(!report.contains(secret), "TLP:CLEAR report shows {secret}");
    }
}

#[test]
fn clear_report_is_marked_and_lists_withheld() {
    let env = Env::new();
    let id = marked_incident(&env);
    let report = env.report(&id, &["--tlp", "clear"]);
    assert!(report.contains("**TLP:CLEAR**"));
    assert!(!report.contains("TLP:AMBER**"));
    assert!(report.contains("### Withheld at TLP:CLEAR"));
    assert!(report.contains("incident fields marked TLP:AMBER: title, summary"));
    assert!(report.contains("indicators marked above TLP:CLEAR"));
    assert!(report.contains("1 action of the incident"));
    assert!(report.contains("| Credential Access | T1110 | Brute Force |"));
}

#[test]
fn green_report_of_green_incident_keeps_fields() {
    let env = Env::new();
    let id = env.ok(&["open", "--title", "Shared phishing wave", "--tlp", "GREEN"]);
    let id = id.trim();
    env.ok(&["timeline", "add", id, "entry-green"]);
    env.ok(&["timeline", "add", id, "entry-amber", "--tlp", "AMBER"]);
    let report = env.report(id, &["--tlp", "GREEN"]);
    assert!(report.contains("Shared phishing wave"));
    assert!(report.contains("entry-green"));
    assert!(!report.contains("entry-amber"));
    assert!(!report.contains("incident fields marked"));
}

#[test]
fn full_report_is_marked_with_highest_entry() {
    let env = Env::new();
    let id = marked_incident(&env);
    let report = env.report(&id, &[]);
    assert!(report.contains("**TLP:RED**"));
    assert!(report.contains("entry-red"));
}

#[test]
fn html_clear_report_has_no_amber_content() {
    let env = Env::new();
    let id = marked_incident(&env);
    let html = env.report(&id, &["--tlp", "CLEAR", "--format", "html"]);
    assert!(html.contains("<p class=\"tlp\">TLP:CLEAR</p>"));
    assert!(html.contains("entry-clear"));
    assert!(!html.contains("entry-amber-default"));
    assert!(!html.contains("Secret title"));
}

#[test]
fn limited_report_into_incident_is_rejected() {
    let env = Env::new();
    let id = marked_incident(&env);
    env.git(&["add", "-A"]).assert().success();
    env.git(&["commit", "-q", "-m", "records"])
        .assert()
        .success();
    let before = env.snapshot();
    let stderr = env.fails(&["report", &id, "--tlp", "CLEAR"]);
    assert!(stderr.contains("-o FILE"), "{stderr}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn invalid_tlp_is_rejected() {
    let env = Env::new();
    let id = env.open("Any");
    let stderr = env.fails(&["report", &id, "--tlp", "PURPLE", "-o", "-"]);
    assert!(stderr.contains("PURPLE"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn stricter_tlp_on_known_indicator_wins() {
    let env = Env::new();
    let id = env
        .ok(&["open", "--title", "Shared scan", "--tlp", "CLEAR"])
        .trim()
        .to_string();
    env.ok(&["ioc", "add", &id, "9.9.9.9", "--tlp", "CLEAR"]);
    let commits = env.commit_count();
    env.ok(&["ioc", "add", &id, "9.9.9.9", "--tlp", "RED"]);
    assert_eq!(
        env.commit_count(),
        commits + 1,
        "the stricter marking is recorded"
    );
    let listing: serde_json::Value =
        serde_json::from_str(&env.ok(&["--json", "ioc", "list", &id])).unwrap();
    assert_eq!(listing[0]["tlp"], "RED");
    let report = env.ok(&["report", &id, "--tlp", "CLEAR", "-o", "-"]);
    assert!(!report.contains("9.9.9"), "{report}");
}

#[test]
fn clear_report_redacts_mentions_of_red_indicator() {
    let env = Env::new();
    let id = env
        .ok(&["open", "--title", "Targeted intrusion", "--tlp", "CLEAR"])
        .trim()
        .to_string();
    env.ok(&["ioc", "add", &id, "6.6.6.6", "--tlp", "RED"]);
    env.ok(&[
        "timeline",
        "add",
        &id,
        "Outbound beacon to 6.6.6.6 every minute",
        "--kind",
        "finding",
    ]);
    env.ok(&[
        "action",
        "add",
        &id,
        "block-ip",
        "6.6.6.6",
        "--phase",
        "containment",
        "--status",
        "done",
        "--note",
        "6.6.6.6 dropped",
    ]);
    let report = env.ok(&["report", &id, "--tlp", "CLEAR", "-o", "-"]);
    assert!(!report.contains("6.6.6"), "{report}");
    assert!(
        report.contains("Outbound beacon to \\[withheld\\] every minute"),
        "{report}"
    );
    assert!(report.contains("`[withheld]`"), "action target: {report}");
    let full = env.ok(&["report", &id, "-o", "-"]);
    assert!(
        full.contains("`6.6.6[.]6`"),
        "the full report keeps the value, defanged"
    );
}
