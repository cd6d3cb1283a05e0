//! `casefile open --alert` on real Wazuh alerts: the values an analyst checks first.

mod common;

use common::{fixture_path, Env};
use serde_json::Value;

struct Expected<'a> {
    fixture: &'a str,
    title: &'a str,
    detected_at: &'a str,
    severity: &'a str,
    attack: &'a [&'a str],
    iocs: &'a [(&'a str, &'a str)],
}

fn open_and_check(expected: &Expected) {
    let env = Env::new();
    let id = env.open_alert(expected.fixture);
    let incident = env.parse_incident(&id);
    assert_eq!(
        incident["title"].as_str(),
        Some(expected.title),
        "{}",
        expected.fixture
    );
    assert_eq!(
        incident["detected_at"].as_str(),
        Some(expected.detected_at),
        "{}",
        expected.fixture
    );
    assert_eq!(
        incident["severity"].as_str(),
        Some(expected.severity),
        "{}",
        expected.fixture
    );
    let attack: Vec<&str> = incident
        .get("attack")
        .and_then(|a| a.as_array())
        .map_or(vec![], |a| a.iter().filter_map(|t| t.as_str()).collect());
    assert_eq!(attack, expected.attack, "{}", expected.fixture);

    let listing: Value =
        serde_json::from_str(&env.ok(&["--json", "ioc", "list", &id, "--no-defang"])).unwrap();
    let iocs: Vec<(String, String)> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|ioc| {
            (
                ioc["type"].as_str().unwrap().to_string(),
                ioc["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (kind, value) in expected.iocs {
        assert!(
            iocs.contains(&(kind.to_string(), value.to_string())),
            "{}: missing {kind} {value} in {iocs:?}",
            expected.fixture
        );
    }

    // The raw alert is kept byte for byte, with its SHA-256.
    let evidence = incident["source"]["alert"]["evidence"].as_str().unwrap();
    let stored = std::fs::read(env.incident_dir(&id).join(evidence)).unwrap();
    let original = std::fs::read(fixture_path(expected.fixture)).unwrap();
    assert_eq!(
        stored, original,
        "{}: evidence differs from the alert",
        expected.fixture
    );
    let sha256 = incident["source"]["alert"]["sha256"].as_str().unwrap();
    assert_eq!(sha256.len(), 64);
}

#[test]
fn open_ssh_brute_force_5712() {
    open_and_check(&Expected {
        fixture: "alerts/sshd-5712.json",
        title: "sshd: brute force trying to get access to the system. Non existent user.",
        detected_at: "2022-05-11T12:29:19.905Z",
        severity: "medium",
        attack: &["T1110"],
        iocs: &[("ipv4", "172.17.1.1"), ("user_account", "paco")],
    });
}

#[test]
fn open_ssh_invalid_user_5710() {
    open_and_check(&Expected {
        fixture: "alerts/sshd-5710.json",
        title: "sshd: Attempt to login using a non-existent user",
        detected_at: "2019-10-15T19:07:57.741Z",
        severity: "low",
        attack: &[],
        iocs: &[("ipv4", "18.18.18.18"), ("user_account", "blimey")],
    });
}

#[test]
fn open_file_integrity_550() {
    open_and_check(&Expected {
        fixture: "alerts/syscheck-550.json",
        title: "Integrity checksum changed.",
        detected_at: "2022-11-14T16:07:18.810Z",
        severity: "medium",
        attack: &["T1565.001"],
        iocs: &[
            ("file_path", "/test/hello"),
            ("md5", "99472f8d2f760bcc394e80d09275150a"),
            ("sha1", "75fdf620d8a1c7e6ea7f4c24ba5ff991fbb82e86"),
            (
                "sha256",
                "a96db6890367a8bc049841501ba1b0ab38bbdca062885d94f0130b17d162dea9",
            ),
        ],
    });
}

#[test]
fn open_file_added_554() {
    open_and_check(&Expected {
        fixture: "alerts/syscheck-554.json",
        title: "File added to the system.",
        detected_at: "2022-11-17T17:17:42.694Z",
        severity: "low",
        attack: &[],
        iocs: &[
            ("file_path", "/media/user/software/suspicious-file.exe"),
            (
                "sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
        ],
    });
}

#[test]
fn open_virustotal_87105() {
    open_and_check(&Expected {
        fixture: "alerts/virustotal-87105.json",
        title: "VirusTotal: Alert - /media/user/software/eicar.com - 66 engines detected this file",
        detected_at: "2022-11-17T17:30:25.085Z",
        severity: "high",
        attack: &["T1203"],
        iocs: &[
            ("md5", "44d88612fea8a8f36de82e1278abb02f"),
            ("sha1", "3395856ce81f2b7382dee72602f798b642f14140"),
            ("file_path", "/media/user/software/eicar.com"),
        ],
    });
}

#[test]
fn open_web_sql_injection_31103() {
    open_and_check(&Expected {
        fixture: "alerts/web-31103.json",
        title: "SQL injection attempt.",
        detected_at: "2023-05-12T14:12:15.875Z",
        severity: "medium",
        attack: &["T1190"],
        iocs: &[("ipv4", "192.168.132.1")],
    });
}

#[test]
fn open_empty_file_hash_warns_benign() {
    let env = Env::new();
    let path = fixture_path("alerts/syscheck-554.json");
    let output = env.run(&["open", "--alert", path.to_str().unwrap()]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.to_lowercase().contains("empty"),
        "no benign warning for the empty-file hash: {stderr}"
    );
}
