//! `casefile export` in every format, checked with the OASIS stix2 library, PyMISP and the
//! Navigator layer format through the scripts in tests/validators.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Env;
use serde_json::Value;

/// Returns whether `python3` can import `module`, printing why the caller skips when not.
fn python_has(module: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        eprintln!(
            "skipped: python3 cannot import {module}; install it with \
             `python3 -m pip install -r tests/validators/requirements.txt`"
        );
    }
    found
}

/// Runs a validator script on `file` and returns its JSON report, asserting it succeeded.
fn validate(script: &str, file: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/validators")
        .join(script);
    let output = Command::new("python3")
        .arg(&script)
        .arg(file)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{} printed no JSON ({error}): {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(report["errors"], Value::Array(Vec::new()), "{report}");
    assert!(output.status.success(), "{report}");
    report
}

/// Opens an AMBER incident with IOCs of many types, one of them RED.
fn incident_with_iocs(env: &Env, title: &str) -> String {
    let id = env
        .ok(&["open", "--title", title, "--tlp", "AMBER"])
        .trim()
        .to_string();
    env.ok(&[
        "classify",
        &id,
        "--attack",
        "T1110.001",
        "--attack",
        "T1021.004",
    ]);
    let iocs = [
        ("ipv4", "45.33.32.156", None),
        ("ipv4", "10.0.0.5", None),
        ("cidr", "185.220.101.0/24", None),
        ("ipv6", "2a01:4f8::1", None),
        ("domain", "c2.badhost.ru", None),
        ("url", "http://c2.badhost.ru/gate.php?id=1", None),
        ("email", "phish@badhost.ru", None),
        ("sha256", &"a".repeat(64), None),
        ("md5", &"b".repeat(32), None),
        ("file_path", "/tmp/.x/miner", None),
        ("file_name", "=HYPERLINK(\"http://x\")", None),
        ("registry_key", "HKLM\\Software\\Run\\it's", None),
        ("user_account", "attacker", None),
        ("cve", "cve-2024-3094", None),
        ("asn", "AS64500", None),
        ("ipv4", "203.0.113.9", Some("RED")),
    ];
    for (index, (kind, value, tlp)) in iocs.iter().enumerate() {
        env.write_ioc(
            &id,
            &format!("20260302-090000-{index:06}"),
            kind,
            value,
            *tlp,
        );
    }
    id
}

fn export_to(env: &Env, args: &[&str], name: &str) -> PathBuf {
    let path = env.home.path().join(name);
    let mut full = vec!["export"];
    full.extend_from_slice(args);
    full.extend(["-o", path.to_str().unwrap()]);
    env.ok(&full);
    path
}

#[test]
fn stix_bundle_passes_stix2_validation() {
    if !python_has("stix2") {
        return;
    }
    let env = Env::new();
    let id = incident_with_iocs(&env, "STIX export");
    let bundle = export_to(&env, &[&id, "--format", "stix"], "bundle.json");
    let report = validate("validate_stix.py", &bundle);
    assert_eq!(report["spec_version"], "2.1");
    assert_eq!(report["counts"]["incident"], 1);
    assert_eq!(report["counts"]["identity"], 1);
    assert_eq!(report["counts"]["indicator"], 15);
    assert_eq!(report["counts"]["sighting"], 15);
    assert_eq!(report["counts"]["vulnerability"], 1);
    assert_eq!(report["counts"]["attack-pattern"], 2);
    let patterns = report["patterns"].to_string();
    assert!(
        patterns.contains("[ipv4-addr:value = '45.33.32.156']"),
        "{patterns}"
    );
    assert!(
        patterns.contains("ISSUBSET '185.220.101.0/24'"),
        "{patterns}"
    );
}

#[test]
fn stix_observable_ids_match_across_incidents() {
    let env = Env::new();
    let first = incident_with_iocs(&env, "First");
    let second = incident_with_iocs(&env, "Second");
    let ids = |id: &str| -> Vec<String> {
        let bundle: Value =
            serde_json::from_str(&env.ok(&["export", id, "--format", "stix"])).unwrap();
        let mut ids: Vec<String> = bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o.get("created").is_none() && o["type"] != "marking-definition")
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let first_ids = ids(&first);
    // The ID the stix2 library (3.0.2) derives for IPv4Address(value="45.33.32.156").
    assert!(
        first_ids.contains(&"ipv4-addr--7b645e01-c287-5ea5-9127-1ba855366718".to_string()),
        "{first_ids:?}"
    );
    assert_eq!(first_ids, ids(&second));
}

#[test]
fn stix_export_honors_tlp_limit() {
    let env = Env::new();
    let id = incident_with_iocs(&env, "Limited");
    let full = env.ok(&["export", &id, "--format", "stix"]);
    assert!(full.contains("203.0.113.9"));
    let limited = env.ok(&["export", &id, "--format", "stix", "--tlp", "AMBER"]);
    assert!(!limited.contains("203.0.113.9"));
    assert!(limited.contains("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"));
}

#[test]
fn misp_event_loads_in_pymisp() {
    if !python_has("pymisp") {
        return;
    }
    let env = Env::new();
    let id = incident_with_iocs(&env, "MISP export");
    let event = export_to(&env, &[&id, "--format", "misp"], "event.json");
    let report = validate("validate_misp.py", &event);
    let tags = report["tags"].to_string();
    assert!(tags.contains("tlp:amber"), "{tags}");
    assert!(
        tags.contains(r#"misp-galaxy:mitre-attack-pattern=\"Password Guessing - T1110.001\""#),
        "{tags}"
    );
    let attributes = report["attributes"].as_array().unwrap();
    assert_eq!(attributes.len(), 16);
    let find = |value: &str| attributes.iter().find(|a| a["value"] == value).unwrap();
    assert_eq!(find("45.33.32.156")["type"], "ip-src");
    assert_eq!(find("45.33.32.156")["to_ids"], true);
    assert_eq!(find("10.0.0.5")["to_ids"], false);
    assert_eq!(find(&"a".repeat(64))["category"], "Payload delivery");
    assert_eq!(find("cve-2024-3094")["type"], "vulnerability");
    assert_eq!(find("cve-2024-3094")["to_ids"], false);
    assert_eq!(find("203.0.113.9")["tags"][0], "tlp:red");
}

#[test]
fn navigator_layer_scores_by_incident_count() {
    let env = Env::new();
    incident_with_iocs(&env, "One");
    let other = env.open("Two");
    env.ok(&["classify", &other, "--attack", "T1110.001"]);
    let layer = export_to(&env, &["--all", "--format", "navigator"], "layer.json");
    let report = validate("validate_navigator.py", &layer);
    assert_eq!(report["scores"]["T1110.001"], 2);
    assert_eq!(report["scores"]["T1021.004"], 1);
    assert_eq!(report["versions"]["layer"], "4.5");
    assert_eq!(report["versions"]["attack"], "18");
    let text = std::fs::read_to_string(layer).unwrap();
    assert!(text.contains("\"domain\": \"enterprise-attack\""));
}

#[test]
fn csv_quotes_and_defuses_formulas() {
    let env = Env::new();
    let id = incident_with_iocs(&env, "CSV export");
    let csv = env.ok(&["export", &id, "--format", "csv"]);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "incident,type,value,first_seen,last_seen,source,tlp,sightings"
    );
    assert_eq!(lines.len(), 18, "{csv}");
    assert!(
        csv.contains(",file_name,\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{csv}"
    );
    assert!(csv.contains(",ipv4,45.33.32.156,"), "{csv}");
    assert!(csv.contains("TLP:RED"));
}

#[test]
fn blocklist_skips_private_and_allowed() {
    let env = Env::new();
    let id = incident_with_iocs(&env, "Blocklist");
    let config = env.read("casefile.toml");
    let config = config.replace("allow = []", "allow = [\"badhost.ru\"]");
    assert!(
        config.contains("allow = [\"badhost.ru\"]"),
        "casefile.toml has no allow list"
    );
    std::fs::write(env.repo.join("casefile.toml"), config).unwrap();
    let output = env.run(&["export", &id, "--format", "blocklist"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout, "185.220.101.0/24\n2a01:4f8::1\n45.33.32.156\n");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("left out 10.0.0.5"), "{stderr}");
    assert!(stderr.contains("left out 203.0.113.9"), "{stderr}");
    assert!(stderr.contains("left out c2.badhost.ru"), "{stderr}");
}

#[test]
fn blocklist_cdb_prints_keys() {
    let env = Env::new();
    let id = incident_with_iocs(&env, "CDB");
    let cdb = env.ok(&["export", &id, "--format", "blocklist", "--cdb"]);
    assert_eq!(
        cdb,
        "185.220.101.:\n\"2a01:4f8::1\":\n45.33.32.156:\nc2.badhost.ru:\n"
    );
}

#[test]
fn blocklist_leaves_out_false_positives() {
    let env = Env::new();
    let id = incident_with_iocs(&env, "Scanner");
    env.ok(&["advance", &id]);
    env.ok(&["take", &id]);
    env.ok(&[
        "timeline",
        "add",
        &id,
        "authorized scan",
        "--kind",
        "finding",
    ]);
    env.ok(&["advance", &id]);
    env.ok(&["advance", &id]);
    env.ok(&["verdict", &id, "false-positive", "--reason", "red team"]);
    assert_eq!(env.ok(&["export", "--all", "--format", "blocklist"]), "");
}

#[test]
fn export_rejects_all_with_stix() {
    let env = Env::new();
    let stderr = env.fails(&["export", "--all", "--format", "stix"]);
    assert!(stderr.contains("--all"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn export_to_dev_null_keeps_device() {
    use std::os::unix::fs::FileTypeExt;
    let env = Env::new();
    let id = incident_with_iocs(&env, "Discarded");
    env.ok(&["export", &id, "--format", "csv", "-o", "/dev/null"]);
    env.ok(&["report", &id, "-o", "/dev/null"]);
    let metadata = std::fs::metadata("/dev/null").unwrap();
    assert!(metadata.file_type().is_char_device());
}
