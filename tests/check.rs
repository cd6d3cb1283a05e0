//! `casefile check` on hand-broken repositories: one defect per test, each asserting the
//! finding's code, file, line and message, plus the `--base` history checks and the formats.

mod common;

use common::Env;
use serde_json::Value;

/// Returns the only finding with `code`, failing with every finding when there is not one.
fn only<'a>(findings: &'a [Value], code: &str) -> &'a Value {
    let matching: Vec<&Value> = findings.iter().filter(|f| f["code"] == code).collect();
    assert_eq!(
        matching.len(),
        1,
        "expected one {code} finding in {findings:#?}"
    );
    matching[0]
}

fn message(finding: &Value) -> &str {
    finding["message"].as_str().unwrap_or_default()
}

fn incident_file(id: &str) -> String {
    format!("incidents/{id}/incident.toml")
}

/// Opens an incident by hand and takes it into investigation with its owner set.
fn investigating(env: &Env) -> String {
    let id = env.open("SSH brute force on web-01");
    env.ok(&["advance", &id]);
    env.ok(&["take", &id]);
    env.ok(&["advance", &id]);
    id
}

#[test]
fn check_passes_fresh_incident() {
    let env = Env::new();
    env.open("Port scan from a lab host");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(findings, Vec::<Value>::new());
}

#[test]
fn check_passes_demo_repository() {
    let env = Env::demo();
    let output = env.run(&["check"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("checked 1 incident(s): 0 error(s), 0 warning(s)"),
        "{stderr}"
    );
}

#[test]
fn check_reports_toml_syntax_error_with_line() {
    let env = Env::new();
    let id = env.open("Broken file");
    env.replace(
        &incident_file(&id),
        "title = \"Broken file\"",
        "title = \"Broken file",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "toml-syntax");
    assert_eq!(finding["file"], incident_file(&id));
    assert_eq!(finding["line"], 2);
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["incident"], id.as_str());
}

#[test]
fn check_reports_unknown_enum_value_with_line() {
    let env = Env::new();
    let id = env.open("Bad phase");
    env.replace(
        &incident_file(&id),
        "phase = \"detection\"\ntlp",
        "phase = \"hunting\"\ntlp",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "schema-invalid");
    assert_eq!(finding["line"], 5);
    assert!(message(finding).contains("hunting"), "{finding}");
}

#[test]
fn check_reports_missing_required_field() {
    let env = Env::new();
    let id = env.open("No title");
    env.replace(&incident_file(&id), "title = \"No title\"\n", "");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "schema-invalid");
    assert!(
        message(finding).contains("missing field `title`"),
        "{finding}"
    );
}

#[test]
fn check_reports_id_differing_from_directory() {
    let env = Env::new();
    let id = env.open("Renamed");
    env.replace(
        &incident_file(&id),
        &format!("id = \"{id}\""),
        "id = \"IR-20260302-ZZZZ\"",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "id-mismatch");
    assert_eq!(finding["line"], 1);
    assert!(message(finding).contains("IR-20260302-ZZZZ"), "{finding}");
    assert!(message(finding).contains(&id), "{finding}");
}

#[test]
fn check_reports_duplicate_incident_id() {
    let env = Env::new();
    let id = env.open("Original");
    let copy = "IR-20260302-ZZZZ";
    let original = env.incident_dir(&id);
    let target = env.incident_dir(copy);
    std::fs::create_dir_all(&target).unwrap();
    std::fs::copy(original.join("incident.toml"), target.join("incident.toml")).unwrap();
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let duplicates: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "duplicate-incident-id")
        .collect();
    assert_eq!(duplicates.len(), 2, "{findings:#?}");
    assert_eq!(duplicates[0]["file"], incident_file(&id));
    assert_eq!(duplicates[1]["file"], incident_file(copy));
    assert!(message(duplicates[0]).contains(&format!("incidents/{copy}")));
}

#[test]
fn check_reports_paths_differing_only_in_case() {
    let env = Env::new();
    let id = env.open("Case collision");
    let entries = env.records(&id, "timeline");
    let upper = entries[0].replace(".toml", "").to_uppercase() + ".toml";
    let upper = upper
        .replace("INCIDENTS/", "incidents/")
        .replace("/TIMELINE/", "/timeline/");
    env.write(&upper, &env.read(&entries[0]));
    common::git_stdout(&env, &["add", "-A"]);
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "path-case-collision");
    assert!(
        message(finding).contains("differ only in case"),
        "{finding}"
    );
}

#[test]
fn check_reports_directories_differing_only_in_case() {
    let env = Env::new();
    let id = env.open("Directory case collision");
    let entries = env.records(&id, "timeline");
    let lower = entries[0].replace(&id, &id.to_lowercase());
    let mixed = entries[0].replace("/timeline/", "/Timeline/");
    env.write(&lower, &env.read(&entries[0]));
    env.write(&mixed, &env.read(&entries[0]));
    common::git_stdout(&env, &["add", "-A"]);
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let collisions: Vec<&Value> = findings
        .iter()
        .filter(|finding| finding["code"] == "path-case-collision")
        .collect();
    let files: Vec<&str> = collisions
        .iter()
        .map(|finding| finding["file"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&format!("incidents/{id}").as_str()),
        "{files:?}"
    );
    assert!(
        files.contains(&format!("incidents/{id}/timeline").as_str())
            || files.contains(&format!("incidents/{id}/Timeline").as_str()),
        "{files:?}"
    );
}

#[test]
fn check_reports_windows_reserved_path() {
    let env = Env::new();
    let id = env.open("Reserved names");
    env.write(&format!("incidents/{id}/evidence/capture 10:00.pcap"), "x");
    env.write(&format!("incidents/{id}/evidence/aux.txt"), "x");
    common::git_stdout(&env, &["add", "-A"]);
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let problems: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "path-not-portable")
        .collect();
    assert_eq!(problems.len(), 2, "{findings:#?}");
    assert_eq!(
        problems[0]["file"],
        format!("incidents/{id}/evidence/aux.txt")
    );
    assert!(message(problems[0]).contains("reserved device name AUX"));
    assert!(message(problems[1]).contains("reserved character ':'"));
}

#[test]
fn check_reports_unknown_attack_technique() {
    let env = Env::new();
    let id = env.open("Unknown technique");
    env.replace(
        &incident_file(&id),
        "tlp = \"AMBER\"\n",
        "tlp = \"AMBER\"\nattack = [\"T1110\", \"T9999\"]\n",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "attack-unknown");
    assert_eq!(finding["line"], 7);
    assert!(message(finding).contains("T9999"), "{finding}");
}

/// Needs the full ATT&CK catalog, which lists T1086 as revoked in favour of T1059.001.
#[test]
fn check_reports_revoked_attack_technique() {
    let env = Env::new();
    let id = env.open("Revoked technique");
    env.replace(
        &incident_file(&id),
        "tlp = \"AMBER\"\n",
        "tlp = \"AMBER\"\nattack = [\"T1086\"]\n",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "attack-revoked");
    assert!(message(finding).contains("T1086"), "{finding}");
    assert!(message(finding).contains("T1059.001"), "{finding}");
}

/// Needs the full ATT&CK catalog, which lists T1064 as deprecated.
#[test]
fn check_warns_deprecated_attack_technique() {
    let env = Env::new();
    let id = env.open("Deprecated technique");
    env.replace(
        &incident_file(&id),
        "tlp = \"AMBER\"\n",
        "tlp = \"AMBER\"\nattack = [\"T1064\"]\n",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 0, "{findings:#?}");
    let finding = only(&findings, "attack-deprecated");
    assert_eq!(finding["severity"], "warning");
    assert!(message(finding).contains("T1064"), "{finding}");
}

#[test]
fn check_reports_invalid_ioc_value() {
    let env = Env::new();
    let id = env.open("Bad indicator");
    env.ok(&["ioc", "add", &id, "203.0.113.9", "--type", "ipv4"]);
    let file = env.records(&id, "iocs").remove(0);
    env.replace(&file, "203.0.113.9", "203.0.113.999");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "ioc-invalid");
    assert_eq!(finding["file"], file);
    assert_eq!(finding["line"], 2);
    assert!(message(finding).contains("203.0.113.999"), "{finding}");
}

#[test]
fn check_reports_ioc_not_in_canonical_form() {
    let env = Env::new();
    let id = env.open("Upper-case hash");
    let hash = "44d88612fea8a8f36de82e1278abb02f";
    env.ok(&["ioc", "add", &id, hash, "--type", "md5"]);
    let file = env.records(&id, "iocs").remove(0);
    env.replace(&file, hash, &hash.to_uppercase());
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "ioc-not-canonical");
    assert_eq!(finding["line"], 2);
    assert!(
        message(finding).contains(&format!("store it as `{hash}`")),
        "{finding}"
    );
}

#[test]
fn check_reports_time_without_offset() {
    let env = Env::new();
    let id = env.open("Local time");
    env.ok(&["timeline", "add", &id, "Firewall log reviewed"]);
    let file = env.records(&id, "timeline").pop().unwrap();
    env.replace(
        &file,
        "at = \"2026-03-02T09:00:00Z\"",
        "at = \"2026-03-02 09:00\"",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "time-invalid");
    assert_eq!(finding["file"], file);
    assert_eq!(finding["line"], 1);
    assert!(
        message(finding).contains("`at` is `2026-03-02 09:00`"),
        "{finding}"
    );
}

#[test]
fn check_reports_owner_missing_past_triage() {
    let env = Env::new();
    let id = investigating(&env);
    let owner = format!(
        "owner = \"{} <{}>\"\n",
        common::ANALYST_NAME,
        common::ANALYST_EMAIL
    );
    env.replace(&incident_file(&id), &owner, "");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "owner-missing");
    assert_eq!(finding["file"], incident_file(&id));
    assert_eq!(
        message(finding),
        "the incident is in investigation, past the triage gate, but no owner is set"
    );
}

#[test]
fn check_reports_skipped_phase() {
    let env = Env::new();
    let id = env.open("Skipped triage");
    env.replace(
        &incident_file(&id),
        "phase = \"detection\"\ntlp",
        "phase = \"investigation\"\ntlp",
    );
    let text = env.read(&incident_file(&id));
    env.write(
        &incident_file(&id),
        &format!("{text}\n[[phase_history]]\nphase = \"investigation\"\nentered = \"2026-03-02T09:10:00Z\"\nby = \"Mallory\"\n"),
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "phase-skipped");
    assert_eq!(finding["line"], 17);
    assert_eq!(
        message(finding),
        "the phase history goes from detection to investigation, skipping triage"
    );
}

#[test]
fn check_reports_phase_differing_from_history() {
    let env = Env::new();
    let id = env.open("Phase edited");
    env.replace(
        &incident_file(&id),
        "phase = \"detection\"\ntlp",
        "phase = \"triage\"\ntlp",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "phase-mismatch");
    assert_eq!(finding["line"], 5);
    assert!(message(finding).contains("last [[phase_history]] entry is detection"));
}

#[test]
fn check_reports_waiver_of_unwaivable_gate() {
    let env = Env::new();
    let id = env.open("Waived triage");
    let text = env.read(&incident_file(&id));
    env.write(
        &incident_file(&id),
        &format!("{text}\n[[waivers]]\ngate = \"triage\"\nreason = \"\"\nby = \"Mallory\"\nat = \"2026-03-02T09:10:00Z\"\n"),
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let gate = only(&findings, "waiver-gate");
    assert_eq!(gate["line"], 17);
    assert!(message(gate).contains("the triage gate cannot be waived"));
    let reason = only(&findings, "waiver-reason-missing");
    assert_eq!(reason["line"], 17);
}

#[test]
fn check_reports_classification_data_missing_when_closed() {
    let env = Env::demo();
    let id = env.only_incident();
    env.replace(
        &incident_file(&id),
        "attack = [\"T1110.001\", \"T1021.004\"]\n",
        "",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "attack-missing");
    assert_eq!(
        message(finding),
        "the incident is in closed, past the classification gate, but no valid ATT&CK \
         technique is mapped"
    );
}

#[test]
fn check_reports_changed_evidence() {
    let env = Env::demo();
    let id = env.only_incident();
    let metadata = env.records(&id, "evidence").remove(0);
    let raw = metadata.replace(".toml", ".json");
    let text = env.read(&raw);
    env.write(&raw, &text.replace("attacker", "someone"));
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "evidence-hash-mismatch");
    assert_eq!(finding["file"], metadata);
}

#[test]
fn check_warns_stale_report_before_closing() {
    let env = Env::new();
    let id = env.open("Stale document");
    env.ok(&["lessons", &id]);
    env.ok(&["timeline", "add", &id, "Proxy log reviewed"]);
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 0, "{findings:#?}");
    let finding = only(&findings, "lessons-stale");
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["file"], format!("incidents/{id}/lessons.md"));
}

#[test]
fn check_fails_stale_report_of_closed_incident() {
    let env = Env::demo();
    let id = env.only_incident();
    env.replace(
        &incident_file(&id),
        "priority = \"P2\"",
        "priority = \"P1\"",
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "report-stale");
    assert_eq!(finding["severity"], "error");
    assert!(message(finding).contains(&format!("`casefile report {id}`")));
}

#[test]
fn check_reports_template_syntax_error() {
    let env = Env::new();
    env.open("Template");
    env.write("templates/report.md", "# {{ id \n");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "template-invalid");
    assert_eq!(finding["file"], "templates/report.md");
}

#[test]
fn check_reports_template_failing_for_incident() {
    let env = Env::new();
    let id = env.open("Template");
    env.write("templates/lessons.md", "# {{ no_such_value.field }}\n");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "template-render");
    assert_eq!(finding["incident"], id.as_str());
    assert!(message(finding).contains("lessons.md"), "{finding}");
}

#[test]
fn check_reports_invalid_config() {
    let env = Env::new();
    env.write("casefile.toml", "[incident]\nid_prefix = 7\n");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "config-invalid");
    assert_eq!(finding["file"], "casefile.toml");
    assert_eq!(finding["line"], 2);
}

// --- history against --base ---

/// Creates branch `base` at HEAD, for checks of the changes made after it.
fn mark_base(env: &Env) {
    common::git_stdout(env, &["branch", "base"]);
}

#[test]
fn check_base_reports_edited_past_entry() {
    let env = Env::new();
    let id = env.open("Edited entry");
    env.ok(&[
        "timeline",
        "add",
        &id,
        "Blocked 203.0.113.9 at the firewall",
    ]);
    mark_base(&env);
    let file = env
        .records(&id, "timeline")
        .into_iter()
        .find(|file| env.read(file).contains("Blocked 203.0.113.9"))
        .expect("the entry was written");
    env.replace(&file, "Blocked 203.0.113.9", "Blocked 203.0.113.10");
    env.commit_all("Fix a typo");
    let (code, findings) = env.check_json(&["--base", "base"]);
    assert_eq!(code, 1);
    let finding = only(&findings, "record-edited");
    assert_eq!(finding["file"], file);
    assert!(
        message(finding).contains("existed at base and was edited"),
        "{finding}"
    );
    let (code, _) = env.check_json(&[]);
    assert_eq!(code, 0, "without --base the edit is not visible");
}

#[test]
fn check_base_reports_removed_ioc() {
    let env = Env::new();
    let id = env.open("Removed indicator");
    env.ok(&["ioc", "add", &id, "evil.example.com", "--type", "domain"]);
    mark_base(&env);
    let file = env.records(&id, "iocs").remove(0);
    common::git_stdout(&env, &["rm", "-q", &file]);
    common::git_stdout(&env, &["commit", "-q", "-m", "Drop an indicator"]);
    let (code, findings) = env.check_json(&["--base", "base"]);
    assert_eq!(code, 1);
    let finding = only(&findings, "record-removed");
    assert_eq!(finding["file"], file);
    assert!(message(finding).contains("iocs record"), "{finding}");
}

#[test]
fn check_base_reports_closed_incident_changed_without_reopen() {
    let env = Env::demo();
    let id = env.only_incident();
    mark_base(&env);
    env.replace(
        &incident_file(&id),
        "priority = \"P2\"",
        "priority = \"P1\"",
    );
    env.commit_all("Raise the priority");
    let (code, findings) = env.check_json(&["--base", "base"]);
    assert_eq!(code, 1, "{findings:#?}");
    let finding = only(&findings, "closed-changed");
    assert_eq!(finding["file"], incident_file(&id));
    assert!(message(finding).contains("(incident.toml)"), "{finding}");
}

#[test]
fn check_base_accepts_reopened_incident() {
    let env = Env::demo();
    let id = env.only_incident();
    mark_base(&env);
    env.ok(&["reopen", &id, "--reason", "A second source showed up"]);
    env.ok(&["timeline", "add", &id, "Second source 203.0.113.20 seen"]);
    let (code, findings) = env.check_json(&["--base", "base"]);
    assert!(
        !findings.iter().any(|f| f["code"] == "closed-changed"),
        "{findings:#?}"
    );
    assert_eq!(code, 0, "{findings:#?}");
}

#[test]
fn check_base_accepts_rendered_documents_of_closed_incident() {
    let env = Env::demo();
    let id = env.only_incident();
    mark_base(&env);
    let report = format!("incidents/{id}/report.md");
    let text = env.read(&report);
    env.write(&format!("incidents/{id}/report.html"), "<p>rendered</p>\n");
    env.write(&report, &text.replace("## Summary", "## Summary\n"));
    env.commit_all("Render the HTML report");
    let (code, findings) = env.check_json(&["--base", "base"]);
    assert_eq!(code, 0, "{findings:#?}");
}

#[test]
fn check_base_warns_backdated_entry() {
    let mut env = Env::new();
    let id = env.open("Back-dated entry");
    mark_base(&env);
    env.at("2026-03-10T09:00:00Z");
    env.ok(&[
        "timeline",
        "add",
        &id,
        "Login seen in the VPN log",
        "--at",
        "2026-03-01T09:00:00Z",
    ]);
    env.ok(&[
        "timeline",
        "add",
        &id,
        "Proxy log reviewed",
        "--at",
        "2026-03-09T12:00:00Z",
    ]);
    let (code, findings) = env.check_json(&["--base", "base"]);
    assert_eq!(code, 0, "a back-dated entry is a warning: {findings:#?}");
    let finding = only(&findings, "entry-backdated");
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["line"], 1);
    assert!(
        message(finding).contains("2026-03-01T09:00:00Z is 216 hours before the commit"),
        "{finding}"
    );
}

#[test]
fn check_base_rejects_unknown_revision() {
    let env = Env::new();
    let stderr = env.fails(&["check", "--base", "no-such-branch"]);
    assert!(
        stderr.contains("--base `no-such-branch` is not a commit"),
        "{stderr}"
    );
}

// --- output formats ---

/// Sets `phase` to triage while the history ends in detection: one `phase-mismatch` error.
fn mismatched_phase(env: &Env) -> String {
    let id = env.open("Phase edited");
    env.replace(
        &incident_file(&id),
        "phase = \"detection\"\ntlp",
        "phase = \"triage\"\ntlp",
    );
    id
}

const MISMATCH: &str = "`phase` is triage but the last [[phase_history]] entry is detection";

#[test]
fn check_human_format_lists_findings() {
    let env = Env::new();
    let id = mismatched_phase(&env);
    let output = env.run(&["check"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        format!("error: incidents/{id}/incident.toml:5: {MISMATCH} [phase-mismatch]\n")
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("1 error(s), 0 warning(s)"), "{stderr}");
}

#[test]
fn check_github_format_writes_workflow_commands() {
    let env = Env::new();
    let id = mismatched_phase(&env);
    env.ok(&["lessons", &id]);
    env.ok(&["timeline", "add", &id, "Proxy log reviewed"]);
    let output = env.run(&["check", "--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        format!(
            "::error file=incidents/{id}/incident.toml,line=5,title=phase-mismatch::{MISMATCH}"
        )
    );
    assert!(
        lines[1].starts_with(&format!(
            "::warning file=incidents/{id}/lessons.md,title=lessons-stale::lessons.md does not match"
        )),
        "{}",
        lines[1]
    );
}

#[test]
fn check_json_flag_selects_json_format() {
    let env = Env::new();
    let id = mismatched_phase(&env);
    let output = env.run(&["--json", "check"]);
    assert_eq!(output.status.code(), Some(1));
    let findings: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(findings.len(), 1);
    let finding = &findings[0];
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["code"], "phase-mismatch");
    assert_eq!(finding["incident"], id.as_str());
    assert_eq!(finding["file"], incident_file(&id));
    assert_eq!(finding["line"], 5);
    assert_eq!(finding["message"], MISMATCH);
}

#[test]
fn check_reports_directory_without_incident_file() {
    let env = Env::new();
    env.write("incidents/IR-20260302-ABCD/notes.md", "# notes\n");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "incident-file-missing");
    assert_eq!(finding["file"], "incidents/IR-20260302-ABCD");
}

#[test]
fn check_reports_notes_that_are_not_utf8() {
    let env = Env::new();
    let id = env.open("Notes in another encoding");
    std::fs::write(
        env.repo.join(format!("incidents/{id}/notes.md")),
        b"caf\xe9 latin-1\n",
    )
    .unwrap();
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "file-unreadable");
    assert_eq!(finding["file"], format!("incidents/{id}/notes.md"));
}

#[test]
fn check_warns_evidence_attribute_missing() {
    let env = Env::new();
    env.open("Evidence line endings");
    let cases = [
        ("", "unspecified"),
        ("* text=auto\n", "`auto`"),
        ("incidents/** text\n", "set"),
    ];
    for (attributes, value) in cases {
        env.write(".gitattributes", attributes);
        env.commit_all("change the attributes");
        let (code, findings) = env.check_json(&[]);
        assert_eq!(code, 0, "a warning alone passes: {findings:#?}");
        let finding = only(&findings, "evidence-attribute-missing");
        assert_eq!(finding["severity"], "warning", "{attributes:?}");
        assert_eq!(finding["file"], ".gitattributes", "{attributes:?}");
        let text = message(finding);
        assert!(
            text.contains("attribute of `incidents/IR-"),
            "{attributes:?}: {text}"
        );
        assert!(
            text.contains(&format!("is {value}")),
            "{attributes:?}: {text}"
        );
        assert!(
            text.contains("add the line `incidents/*/evidence/** -text` to .gitattributes"),
            "{attributes:?}: {text}"
        );
    }
    env.write(".gitattributes", "*.json -text\n");
    env.commit_all("leave the batch index out");
    let (_, findings) = env.check_json(&[]);
    let text = message(only(&findings, "evidence-attribute-missing"));
    assert!(text.contains(".index` is unspecified"), "{text}");

    for attributes in ["incidents/*/evidence/** -text\n", "incidents/** binary\n"] {
        env.write(".gitattributes", attributes);
        env.commit_all("keep evidence byte for byte");
        let (code, findings) = env.check_json(&[]);
        assert_eq!(code, 0, "{attributes:?}");
        assert_eq!(findings, Vec::<Value>::new(), "{attributes:?}");
    }
}

#[test]
fn check_reads_evidence_attribute_from_index() {
    let env = Env::new();
    env.write(".gitattributes", "");
    let (_, findings) = env.check_json(&[]);
    assert!(
        findings.is_empty(),
        "the committed attribute counts until the change is staged: {findings:#?}"
    );
    common::git_stdout(&env, &["add", ".gitattributes"]);
    let (_, findings) = env.check_json(&[]);
    only(&findings, "evidence-attribute-missing");
}

/// Returns one Wazuh SSH brute-force alert as a JSON line, with its id and time replaced.
fn brute_force_line(id: &str, minute: u32) -> String {
    let text = std::fs::read_to_string(common::fixture_path("alerts/sshd-5712.json")).unwrap();
    let mut alert: Value = serde_json::from_str(&text).unwrap();
    alert["id"] = id.into();
    alert["timestamp"] = format!("2024-05-01T09:{minute:02}:00.000+0000").into();
    serde_json::to_string(&alert).unwrap()
}

/// The files of an evidence batch, as paths relative to the repository root.
struct Batch {
    id: String,
    record: String,
    index: String,
    data: String,
}

/// Ingests four alerts of one attack, so that the last three form a batch, and checks that
/// the repository passes before a test breaks it.
fn ingested_batch(env: &Env) -> Batch {
    let lines: Vec<String> = (0..4)
        .map(|n| brute_force_line(&format!("5.{n}"), n))
        .collect();
    let input = env.home.path().join("alerts.json");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    env.ok(&["ingest", input.to_str().unwrap()]);
    let id = env.only_incident();
    let record = env
        .records(&id, "evidence")
        .into_iter()
        .find(|record| record.contains("/evidence/alerts-"))
        .expect("a batch record");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 0, "{findings:#?}");
    assert_eq!(findings, Vec::<Value>::new());
    assert!(
        env.read(&record).contains("alerts = 3"),
        "{}",
        env.read(&record)
    );
    Batch {
        id,
        index: record.replace(".toml", ".index"),
        data: record.replace(".toml", ".json"),
        record,
    }
}

#[test]
fn check_reports_missing_batch_index() {
    let env = Env::new();
    let batch = ingested_batch(&env);
    std::fs::remove_file(env.repo.join(&batch.index)).unwrap();
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "batch-index-missing");
    assert_eq!(finding["file"], batch.record);
    assert_eq!(finding["incident"], batch.id.as_str());
    let name = batch.index.rsplit('/').next().unwrap();
    let text = message(finding);
    assert!(
        text.contains(&format!("evidence/{name} is missing")),
        "{text}"
    );
    assert!(
        text.contains(&format!("git log --diff-filter=A -- {}", batch.index)),
        "{text}"
    );
}

#[test]
fn check_reports_batch_record_without_index() {
    let env = Env::new();
    let batch = ingested_batch(&env);
    let name = batch.index.rsplit('/').next().unwrap();
    env.replace(&batch.record, &format!("index = \"{name}\"\n"), "");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "batch-index-missing");
    assert_eq!(finding["file"], batch.record);
    assert!(
        message(finding).contains(&format!("add `index = \"{name}\"`")),
        "{finding}"
    );
}

#[test]
fn check_reports_batch_index_line_count() {
    let env = Env::new();
    let batch = ingested_batch(&env);
    let index = env.read(&batch.index);
    let lines: Vec<&str> = index.lines().collect();
    let alerts_line = env
        .read(&batch.record)
        .lines()
        .position(|line| line.starts_with("alerts = "))
        .unwrap()
        + 1;
    let cases = [
        (lines[..2].join("\n") + "\n", 2),
        (index.clone() + lines[0] + "\n", 4),
    ];
    for (broken, count) in cases {
        env.write(&batch.index, &broken);
        let (code, findings) = env.check_json(&[]);
        assert_eq!(code, 1);
        let finding = only(&findings, "batch-count-mismatch");
        assert_eq!(finding["file"], batch.record);
        assert_eq!(finding["line"], alerts_line);
        let text = message(finding);
        assert!(text.contains(&format!("has {count} line(s)")), "{text}");
        assert!(text.contains("`alerts` is 3"), "{text}");
    }
}

#[test]
fn check_reports_batch_index_out_of_range() {
    let env = Env::new();
    let batch = ingested_batch(&env);
    let size = std::fs::metadata(env.repo.join(&batch.data)).unwrap().len();
    let index = env.read(&batch.index);
    let second: Vec<&str> = index.lines().nth(1).unwrap().split('\t').collect();
    let length: u64 = second[2].parse().unwrap();
    let moved = format!("{}\t{size}\t{}", second[0], second[2..].join("\t"));
    env.write(
        &batch.index,
        &index.replacen(index.lines().nth(1).unwrap(), &moved, 1),
    );
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "batch-index-out-of-range");
    assert_eq!(finding["file"], batch.index);
    assert_eq!(finding["line"], 2);
    let name = batch.data.rsplit('/').next().unwrap();
    let text = message(finding);
    assert!(
        text.contains(&format!(
            "points at bytes {size}..{} of evidence/{name}, which has only {size} bytes",
            size + length
        )),
        "{text}"
    );
    assert!(findings.iter().all(|f| f["code"] != "batch-count-mismatch"));
}

#[test]
fn check_reports_invalid_batch_index_line() {
    let env = Env::new();
    let batch = ingested_batch(&env);
    let index = env.read(&batch.index);
    let last = index.lines().last().unwrap();
    env.write(&batch.index, &index.replace(last, "not an index line"));
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "batch-index-invalid");
    assert_eq!(finding["file"], batch.index);
    assert_eq!(finding["line"], 3);
    assert!(
        message(finding).contains("six tab-separated fields"),
        "{finding}"
    );
}

#[test]
fn check_reports_batch_index_that_misleads_ingest() {
    let env = Env::new();
    let batch = ingested_batch(&env);
    let original = env.read(&batch.index);
    let lines: Vec<String> = original.lines().map(str::to_string).collect();
    let original_record = env.read(&batch.record);
    let with_alerts =
        |count: usize| original_record.replace("alerts = 3", &format!("alerts = {count}"));

    // An alert with an id is listed by its id, without a SHA-256.
    let first = lines[0].clone();
    let fields: Vec<&str> = first.split('\t').collect();
    assert_eq!((fields[0], fields[3]), ("-", "5.1"), "{first}");

    // The id changed: a second ingest would take the alert for a new one.
    let wrong_id = first.replacen("\t5.1\t", "\t5.9\t", 1);
    env.write(&batch.index, &original.replacen(&first, &wrong_id, 1));
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "batch-alert-id-mismatch");
    assert_eq!(finding["file"], batch.index);
    assert_eq!(finding["line"], 1);
    assert!(
        message(finding).contains("lists alert id 5.9, but its bytes")
            && message(finding).contains("contain the alert with id 5.1"),
        "{finding}"
    );

    // A seventh field.
    env.write(
        &batch.index,
        &original.replacen(&first, &format!("{first}\textra"), 1),
    );
    let (_, findings) = env.check_json(&[]);
    assert_eq!(only(&findings, "batch-index-invalid")["line"], 1);

    // Neither a SHA-256 nor an id: the line names no alert.
    let nameless = first.replacen("\t5.1\t", "\t\t", 1);
    env.write(&batch.index, &original.replacen(&first, &nameless, 1));
    let (_, findings) = env.check_json(&[]);
    assert_eq!(only(&findings, "batch-index-invalid")["line"], 1);

    // A SHA-256 in place of `-` that the alert's bytes do not hash to.
    let wrong_hash = first.replacen('-', &"0".repeat(64), 1);
    env.write(&batch.index, &original.replacen(&first, &wrong_hash, 1));
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "batch-alert-hash-mismatch");
    assert_eq!(finding["line"], 1);
    let digest = message(finding)
        .split("hash to ")
        .nth(1)
        .and_then(|rest| rest.get(..64))
        .expect("the message gives the bytes' SHA-256")
        .to_string();

    // The right SHA-256 beside the id, as indexes written before `-` list it, passes.
    let both = first.replacen('-', &digest, 1);
    env.write(&batch.index, &original.replacen(&first, &both, 1));
    let (code, findings) = env.check_json(&[]);
    assert_eq!((code, findings), (0, Vec::<Value>::new()));

    // A line repeated, with `alerts` raised to match: the copy starts where no alert does.
    let repeated = [lines[0].as_str(), lines[0].as_str(), &lines[1], &lines[2]].join("\n") + "\n";
    env.write(&batch.index, &repeated);
    env.write(&batch.record, &with_alerts(4));
    let (_, findings) = env.check_json(&[]);
    assert_eq!(only(&findings, "batch-index-misplaced")["line"], 2);

    // A middle line removed, with `alerts` lowered to match.
    env.write(
        &batch.index,
        &([lines[0].as_str(), &lines[2]].join("\n") + "\n"),
    );
    env.write(&batch.record, &with_alerts(2));
    let (_, findings) = env.check_json(&[]);
    assert_eq!(only(&findings, "batch-index-misplaced")["line"], 2);

    // The last line removed: the last alert's bytes are listed by no line.
    env.write(
        &batch.index,
        &([lines[0].as_str(), &lines[1]].join("\n") + "\n"),
    );
    let (_, findings) = env.check_json(&[]);
    let finding = only(&findings, "batch-index-misplaced");
    assert!(
        message(finding).contains("lines for the rest were removed"),
        "{finding}"
    );

    // An offset moved to another alert's start.
    let fields: Vec<&str> = lines[1].split('\t').collect();
    let moved = format!("{}\t0\t{}", fields[0], fields[2..].join("\t"));
    env.write(&batch.index, &original.replacen(&lines[1], &moved, 1));
    env.write(&batch.record, &original_record);
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(only(&findings, "batch-index-misplaced")["line"], 2);
}

/// Returns a directory outside the case repository with a file `name` of `content`.
#[cfg(unix)]
fn outside_file(env: &Env, name: &str, content: &str) -> std::path::PathBuf {
    let dir = env.home.path().join("outside");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), content).unwrap();
    dir
}

/// Asserts one `path-symlink` finding for `path` and no finding from reading through it.
#[cfg(unix)]
fn assert_symlink_reported(env: &Env, path: &str, incident: &str) {
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "path-symlink");
    assert_eq!(finding["file"], path);
    assert_eq!(finding["incident"], incident);
    assert!(message(finding).contains("does not follow"), "{finding}");
    for code in ["toml-syntax", "evidence-hash-mismatch"] {
        assert!(
            findings.iter().all(|f| f["code"] != code),
            "the link was followed: {findings:#?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn check_reports_symlinked_incident_directory() {
    let env = Env::new();
    env.open("A real incident");
    let outside = outside_file(&env, "incident.toml", "title = \"broken");
    let link = "incidents/IR-20260302-LINK";
    std::os::unix::fs::symlink(&outside, env.repo.join(link)).unwrap();
    assert_symlink_reported(&env, link, "IR-20260302-LINK");
}

#[cfg(unix)]
#[test]
fn check_reports_symlinked_incidents_directory() {
    let env = Env::new();
    let id = env.open("Moved away");
    let outside = env.home.path().join("outside-incidents");
    std::fs::rename(env.repo.join("incidents"), &outside).unwrap();
    std::fs::write(outside.join(&id).join("incident.toml"), "title = \"broken").unwrap();
    std::os::unix::fs::symlink(&outside, env.repo.join("incidents")).unwrap();
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "path-symlink");
    assert_eq!(finding["file"], "incidents");
    assert_eq!(finding["incident"], Value::Null);
    assert!(
        findings.iter().all(|f| f["code"] != "toml-syntax"),
        "the link was followed: {findings:#?}"
    );
}

#[cfg(unix)]
#[test]
fn check_reports_symlinked_record_directory() {
    let env = Env::new();
    let id = env.open("Linked timeline");
    let timeline = format!("incidents/{id}/timeline");
    std::fs::remove_dir_all(env.repo.join(&timeline)).unwrap();
    let outside = outside_file(&env, "20260302-090000-abcdef.toml", "at = \"broken");
    std::os::unix::fs::symlink(&outside, env.repo.join(&timeline)).unwrap();
    assert_symlink_reported(&env, &timeline, &id);
}

#[cfg(unix)]
#[test]
fn check_reports_symlinked_record_file() {
    let env = Env::new();
    let id = env.open("Linked entry");
    let entry = env.records(&id, "timeline").remove(0);
    let outside = outside_file(&env, "entry.toml", "at = \"broken");
    std::fs::remove_file(env.repo.join(&entry)).unwrap();
    std::os::unix::fs::symlink(outside.join("entry.toml"), env.repo.join(&entry)).unwrap();
    assert_symlink_reported(&env, &entry, &id);
}

#[cfg(unix)]
#[test]
fn check_reports_symlinked_evidence_file() {
    let env = Env::demo();
    let id = env.only_incident();
    let raw = env
        .records(&id, "evidence")
        .remove(0)
        .replace(".toml", ".json");
    let outside = outside_file(&env, "alert.json", "{\"other\": \"alert\"}\n");
    std::fs::remove_file(env.repo.join(&raw)).unwrap();
    std::os::unix::fs::symlink(outside.join("alert.json"), env.repo.join(&raw)).unwrap();
    assert_symlink_reported(&env, &raw, &id);
}

#[cfg(unix)]
#[test]
fn check_reports_symlink_tracked_by_git() {
    let env = Env::new();
    let id = env.open("Committed link");
    let link = format!("incidents/{id}/evidence/capture.pcap");
    std::fs::create_dir_all(env.repo.join(format!("incidents/{id}/evidence"))).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", env.repo.join(&link)).unwrap();
    env.commit_all("add a link");
    let (_, findings) = env.check_json(&[]);
    let finding = only(&findings, "path-symlink");
    assert_eq!(
        finding["file"], link,
        "the index and the work tree name one link once"
    );
    // A checkout without symbolic links, as on Windows, writes the link as a plain file.
    common::git_stdout(&env, &["config", "core.symlinks", "false"]);
    std::fs::remove_file(env.repo.join(&link)).unwrap();
    common::git_stdout(&env, &["checkout", "--", &link]);
    assert!(!env.repo.join(&link).is_symlink());
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "path-symlink");
    assert_eq!(finding["file"], link);
    assert_eq!(finding["incident"], id.as_str());
}

#[test]
fn check_reports_record_directory_replaced_by_file() {
    let env = Env::new();
    let id = env.open("Timeline as a file");
    let timeline = format!("incidents/{id}/timeline");
    std::fs::remove_dir_all(env.repo.join(&timeline)).unwrap();
    env.write(&timeline, "at = \"2026-03-02T09:00:00Z\"\n");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "record-dir-not-directory");
    assert_eq!(finding["file"], timeline);
    assert_eq!(finding["incident"], id.as_str());
    assert!(
        message(finding).contains("restore the directory from git"),
        "{finding}"
    );
}

#[test]
fn check_reports_file_in_place_of_incident_directory() {
    let env = Env::new();
    env.open("A real incident");
    env.write("incidents/IR-20260302-FILE", "id = \"IR-20260302-FILE\"\n");
    let (code, findings) = env.check_json(&[]);
    assert_eq!(code, 1);
    let finding = only(&findings, "incident-not-directory");
    assert_eq!(finding["file"], "incidents/IR-20260302-FILE");
    assert!(
        message(finding).contains("move the file out of incidents/"),
        "{finding}"
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
}
