//! Parsing real Wazuh alerts from `tests/fixtures/alerts` and streaming them through
//! `AlertReader` in every supported layout.

use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

use casefile::alert::{
    dedupe_key, field, parse_alert, Alert, AlertReader, InputLayout, RawAlert, ReadError,
};
use casefile::attack::validate_technique;
use casefile::ioc::IocType;

/// Fixtures that hold one compact alert on one line.
const ONE_LINE_FIXTURES: &[&str] = &[
    "sshd-5712.json",
    "syscheck-550.json",
    "syscheck-554.json",
    "virustotal-87101.json",
    "virustotal-87104.json",
    "virustotal-87105.json",
    "web-31103.json",
    "windows-defender-62124.json",
    "windows-defender-62152.json",
    "windows-defender-62130.json",
    "clamav-52502.json",
    "clamav-52510.json",
    "clamav-52507.json",
    "clamav-52505.json",
    "osquery-24010.json",
];

const PRETTY_FIXTURES: &[&str] = &["sshd-5710.json", "sshd-100003-dashboard-export.json"];

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/alerts")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn parse_fixture(name: &str) -> Alert {
    parse_alert(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn observables(alert: &Alert) -> Vec<(IocType, &str, &str)> {
    alert
        .observables
        .iter()
        .map(|observable| {
            (
                observable.kind,
                observable.value.as_str(),
                observable.field.as_ref(),
            )
        })
        .collect()
}

fn utc(alert: &Alert) -> String {
    alert
        .timestamp_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn read_all(input: &[u8]) -> Vec<Result<RawAlert, ReadError>> {
    AlertReader::new(Cursor::new(input.to_vec())).collect()
}

fn one_line_input(names: &[&str]) -> Vec<u8> {
    names.iter().flat_map(|name| fixture(name)).collect()
}

#[test]
fn sshd_5710_invalid_user() {
    let alert = parse_fixture("sshd-5710.json");
    assert_eq!(
        alert.title(),
        "sshd: Attempt to login using a non-existent user"
    );
    assert_eq!(utc(&alert), "2019-10-15T19:07:57.741Z");
    assert_eq!(alert.rule.id, "5710");
    assert_eq!(alert.rule.level, 5);
    assert_eq!(alert.rule.firedtimes, Some(7));
    assert!(alert
        .rule
        .groups
        .contains(&"authentication_failed".to_string()));
    assert!(
        alert.rule.mitre_ids.is_empty(),
        "this 2019 alert predates the rule's mapping"
    );

    assert_eq!(alert.id.as_deref(), Some("1571166477.30198"));
    assert_eq!(alert.manager.as_deref(), Some("wazuh-manager-master-0"));
    assert_eq!(alert.location.as_deref(), Some("/var/log/auth.log"));
    assert_eq!(alert.decoder.as_deref(), Some("sshd"));

    let agent = alert.agent.as_ref().expect("agent");
    assert_eq!(
        (agent.id.as_str(), agent.name.as_str(), agent.ip.as_deref()),
        ("001", "linux-agent", None)
    );

    assert_eq!(
        observables(&alert),
        vec![
            (IocType::Ipv4, "18.18.18.18", "data.srcip"),
            (IocType::UserAccount, "blimey", "data.srcuser"),
            (IocType::Hostname, "linux-agent", "agent.name"),
        ]
    );
}

#[test]
fn sshd_5712_brute_force_on_manager() {
    let alert = parse_fixture("sshd-5712.json");
    assert_eq!(
        alert.title(),
        "sshd: brute force trying to get access to the system. Non existent user."
    );
    assert_eq!(utc(&alert), "2022-05-11T12:29:19.905Z");
    assert_eq!(alert.rule.level, 10);
    assert_eq!(alert.rule.mitre_ids, vec!["T1110"]);
    assert_eq!(alert.rule.mitre_tactics, vec!["Credential Access"]);
    assert!(alert.agent.as_ref().expect("agent").is_manager());
    assert_eq!(
        observables(&alert),
        vec![
            (IocType::Ipv4, "172.17.1.1", "data.srcip"),
            (IocType::UserAccount, "paco", "data.srcuser"),
            (IocType::Hostname, "localhost.localdomain", "agent.name"),
        ]
    );
}

#[test]
fn dashboard_export_uses_timestamp() {
    let alert = parse_fixture("sshd-100003-dashboard-export.json");
    assert_eq!(
        alert.title(),
        "sshd: brute force trying to get access to the system."
    );
    assert_eq!(utc(&alert), "2023-05-22T10:40:43.395Z");
    assert_eq!(alert.rule.id, "100003");
    assert_eq!(alert.rule.mitre_ids, vec!["T1110"]);
    assert_eq!(
        observables(&alert),
        vec![
            (IocType::Ipv4, "192.168.121.127", "data.srcip"),
            (IocType::UserAccount, "attacker", "data.srcuser"),
            (IocType::Ipv4, "192.168.121.78", "agent.ip"),
            (IocType::Hostname, "Ubuntu-22", "agent.name"),
        ]
    );
}

#[test]
fn syscheck_550_checksum_changed() {
    let alert = parse_fixture("syscheck-550.json");
    assert_eq!(alert.title(), "Integrity checksum changed.");
    assert_eq!(utc(&alert), "2022-11-14T16:07:18.810Z");
    assert_eq!(alert.timestamp.offset().local_minus_utc(), 2 * 3600);
    assert_eq!(alert.rule.level, 7);
    assert_eq!(alert.rule.mitre_ids, vec!["T1565.001"]);
    assert_eq!(
        observables(&alert),
        vec![
            (IocType::FilePath, "/test/hello", "syscheck.path"),
            (
                IocType::Md5,
                "99472f8d2f760bcc394e80d09275150a",
                "syscheck.md5_after"
            ),
            (
                IocType::Sha1,
                "75fdf620d8a1c7e6ea7f4c24ba5ff991fbb82e86",
                "syscheck.sha1_after"
            ),
            (
                IocType::Sha256,
                "a96db6890367a8bc049841501ba1b0ab38bbdca062885d94f0130b17d162dea9",
                "syscheck.sha256_after"
            ),
            (IocType::Ipv4, "10.0.2.15", "agent.ip"),
            (IocType::Hostname, "Ubuntu", "agent.name"),
        ]
    );
}

#[test]
fn syscheck_554_file_added() {
    let alert = parse_fixture("syscheck-554.json");
    assert_eq!(alert.title(), "File added to the system.");
    assert_eq!(alert.rule.level, 5);
    let found = observables(&alert);
    assert!(found.contains(&(
        IocType::FilePath,
        "/media/user/software/suspicious-file.exe",
        "syscheck.path"
    )));
    assert!(found.contains(&(
        IocType::Md5,
        "d41d8cd98f00b204e9800998ecf8427e",
        "syscheck.md5_after"
    )));
}

#[test]
fn virustotal_87105_malicious_file() {
    let alert = parse_fixture("virustotal-87105.json");
    assert_eq!(
        alert.title(),
        "VirusTotal: Alert - /media/user/software/eicar.com - 66 engines detected this file"
    );
    assert_eq!(utc(&alert), "2022-11-17T17:30:25.085Z");
    assert_eq!(alert.rule.level, 12);
    assert_eq!(alert.rule.mitre_ids, vec!["T1203"]);
    assert_eq!(alert.rule.mitre_tactics, vec!["Execution"]);
    assert_eq!(
        observables(&alert),
        vec![
            (IocType::FilePath, "/media/user/software/eicar.com", "data.virustotal.source.file"),
            (IocType::Md5, "44d88612fea8a8f36de82e1278abb02f", "data.virustotal.source.md5"),
            (IocType::Sha1, "3395856ce81f2b7382dee72602f798b642f14140", "data.virustotal.source.sha1"),
            (
                IocType::Url,
                "https://www.virustotal.com/gui/file/275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f/detection/f-275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f-1668705304",
                "data.virustotal.permalink"
            ),
            (IocType::Ipv4, "10.0.2.15", "agent.ip"),
            (IocType::Hostname, "Ubuntu", "agent.name"),
        ]
    );
}

#[test]
fn virustotal_87104_no_positives() {
    let alert = parse_fixture("virustotal-87104.json");
    assert_eq!(alert.rule.level, 3);
    assert_eq!(
        field(
            &fixture("virustotal-87104.json"),
            "data.virustotal.positives"
        )
        .unwrap()
        .as_deref(),
        Some("0")
    );
    let found = observables(&alert);
    assert!(found.contains(&(
        IocType::FilePath,
        "/media/user/software/suspicious-file10.exe",
        "data.virustotal.source.file"
    )));
    assert!(found
        .iter()
        .any(|(kind, _, field)| *kind == IocType::Url && *field == "data.virustotal.permalink"));
}

#[test]
fn virustotal_87101_rate_limit_on_manager() {
    let alert = parse_fixture("virustotal-87101.json");
    assert_eq!(
        alert.title(),
        "VirusTotal: Error: Public API request rate limit reached"
    );
    assert_eq!(
        alert.agent.as_ref().map(|agent| agent.ip.clone()),
        Some(None)
    );
    assert_eq!(
        observables(&alert),
        vec![(IocType::Hostname, "localhost.localdomain", "agent.name")]
    );
}

#[test]
fn web_31103_sql_injection() {
    let alert = parse_fixture("web-31103.json");
    assert_eq!(alert.title(), "SQL injection attempt.");
    // `timestamp` (+0300) and `@timestamp` (Z) name the same instant.
    assert_eq!(utc(&alert), "2023-05-12T14:12:15.875Z");
    assert_eq!(alert.timestamp.offset().local_minus_utc(), 3 * 3600);
    assert_eq!(alert.rule.level, 7);
    assert_eq!(alert.rule.mitre_ids, vec!["T1190"]);
    let full_log = alert.full_log.as_deref().expect("full_log");
    let event: serde_json::Value = serde_json::from_str(full_log).expect("full_log is JSON");
    assert_eq!(event["stream"], "stdout");
    assert_eq!(
        observables(&alert),
        vec![
            (IocType::Ipv4, "192.168.132.1", "data.srcip"),
            (IocType::Ipv4, "192.168.132.140", "agent.ip"),
            (IocType::Hostname, "Ubuntu22", "agent.name"),
        ]
    );
}

#[test]
fn windows_defender_62124_quarantine() {
    let alert = parse_fixture("windows-defender-62124.json");
    assert_eq!(
        alert.title(),
        "Windows Defender: Antimalware platform performed an action to protect you from potentially unwanted software ()"
    );
    assert_eq!(utc(&alert), "2023-01-05T09:45:06.032Z");
    assert_eq!(alert.rule.level, 3);

    let found = observables(&alert);
    let temp_file = r"C:\Users\win11\AppData\Local\Temp\36f9c971-77e5-4f5e-bbef-f7162522dee1.tmp";
    assert!(
        found.contains(&(IocType::FilePath, temp_file, "data.win.eventdata.path")),
        "{found:?}"
    );
    assert!(found.contains(&(
        IocType::Url,
        "https://secure.eicar.org/eicar.com.txt",
        "data.win.eventdata.path"
    )));
    assert!(found.contains(&(
        IocType::UserAccount,
        r"Windows-11\win11",
        "data.win.eventdata.detection User"
    )));
    assert!(found.contains(&(IocType::Hostname, "Windows-11", "data.win.system.computer")));
    assert!(found.contains(&(IocType::Ipv4, "10.0.2.15", "agent.ip")));

    let file_paths = found
        .iter()
        .filter(|(kind, _, _)| *kind == IocType::FilePath)
        .count();
    assert_eq!(
        file_paths, 1,
        "file and webfile entries name the same file: {found:?}"
    );
    assert!(
        !found.iter().any(|(_, value, _)| value.contains(r"\\")),
        "{found:?}"
    );
}

#[test]
fn windows_defender_62130_account() {
    let alert = parse_fixture("windows-defender-62130.json");
    let found = observables(&alert);
    assert!(found.contains(&(IocType::UserAccount, "SYSTEM", "data.win.eventdata.user")));
    assert!(found.contains(&(IocType::Hostname, "ONEBOT-1", "agent.name")));
}

#[test]
fn clamav_52502_virus_detected() {
    let alert = parse_fixture("clamav-52502.json");
    assert_eq!(alert.title(), "ClamAV: Virus detected");
    assert_eq!(utc(&alert), "2023-01-09T18:10:57.937Z");
    assert_eq!(alert.rule.level, 8);
    assert_eq!(
        observables(&alert),
        vec![
            (IocType::FilePath, "/home/ubuntu/eicar.com", "data.url"),
            (IocType::Md5, "44d88612fea8a8f36de82e1278abb02f", "data.id"),
            (IocType::Ipv4, "172.31.44.227", "agent.ip"),
            (IocType::Hostname, "ip-172-31-44-227", "agent.name"),
        ]
    );
}

#[test]
fn clamav_52510_mitre_mapping() {
    let alert = parse_fixture("clamav-52510.json");
    assert_eq!(alert.title(), "Clamd stopped");
    assert_eq!(alert.rule.mitre_ids, vec!["T1562.001"]);
    assert_eq!(alert.rule.mitre_tactics, vec!["Defense Evasion"]);
}

#[test]
fn osquery_24010_json_full_log() {
    let alert = parse_fixture("osquery-24010.json");
    assert_eq!(alert.title(), "osquery data grouped");
    assert_eq!(alert.rule.firedtimes, Some(207));
    assert!(alert.agent.as_ref().expect("agent").is_manager());
    let full_log = alert.full_log.as_deref().expect("full_log");
    assert!(serde_json::from_str::<serde_json::Value>(full_log).is_ok());
}

#[test]
fn fixture_mitre_ids_are_valid() {
    for name in ONE_LINE_FIXTURES.iter().chain(PRETTY_FIXTURES) {
        let alert = parse_fixture(name);
        for id in &alert.rule.mitre_ids {
            let validated =
                validate_technique(id).unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(validated.id(), id, "{name}");
        }
    }
}

#[test]
fn field_renders_numbers_and_lists() {
    let json = fixture("sshd-5710.json");
    let field = |path: &str| field(&json, path).unwrap();
    assert_eq!(field("rule.level").as_deref(), Some("5"));
    assert_eq!(field("data.srcport").as_deref(), Some("48928"));
    assert_eq!(field("rule.mail").as_deref(), Some("false"));
    assert_eq!(field("rule.gpg13").as_deref(), Some("7.1"));
    assert_eq!(
        field("cluster").as_deref(),
        Some(r#"{"name":"wazuh","node":"wazuh-manager-master-0"}"#)
    );
    assert_eq!(field("data.dstip"), None);
}

#[test]
fn dedupe_key_joins_fields() {
    let json = fixture("sshd-5710.json");
    let fields = ["rule.id", "agent.id", "data.srcip"].map(String::from);
    assert_eq!(dedupe_key(&json, &fields).unwrap(), "5710|001|18.18.18.18");
    let with_missing = ["rule.id", "data.dstip", "agent.id"].map(String::from);
    assert_eq!(dedupe_key(&json, &with_missing).unwrap(), "5710||001");
    assert_eq!(dedupe_key(&json, &[]).unwrap(), "");
}

#[test]
fn dedupe_key_escapes_separator() {
    let json = br#"{"timestamp":"2024-01-01T00:00:00Z","rule":{"id":"1","level":3,"description":"d"},"data":{"a":"x|y","b":"z\\"}}"#;
    let fields = ["data.a", "data.b"].map(String::from);
    assert_eq!(dedupe_key(json, &fields).unwrap(), r"x\|y|z\\");
}

#[test]
fn reader_json_lines() {
    let input = one_line_input(ONE_LINE_FIXTURES);
    let mut reader = AlertReader::new(Cursor::new(input.clone()));
    let mut count = 0;
    for (index, item) in reader.by_ref().enumerate() {
        let raw = item.unwrap_or_else(|error| panic!("{}: {error}", ONE_LINE_FIXTURES[index]));
        assert_eq!(raw.line, index + 1);
        assert_eq!(
            raw.bytes,
            fixture(ONE_LINE_FIXTURES[index]).trim_ascii_end()
        );
        count += 1;
    }
    assert_eq!(count, ONE_LINE_FIXTURES.len());
    assert_eq!(reader.layout(), Some(InputLayout::JsonLines));
    assert_eq!(reader.bytes_read(), input.len() as u64);
}

#[test]
fn reader_reports_layout() {
    let mut lines = AlertReader::new(Cursor::new(one_line_input(&["sshd-5712.json"])));
    assert!(lines.next().expect("one alert").is_ok());
    assert_eq!(lines.layout(), Some(InputLayout::JsonLines));
    let mut pretty = AlertReader::new(Cursor::new(fixture("sshd-5710.json")));
    assert!(pretty.next().expect("one alert").is_ok());
    assert_eq!(pretty.layout(), Some(InputLayout::JsonValues));
}

#[test]
fn reader_crlf_lines() {
    let mut input = Vec::new();
    for name in ["sshd-5712.json", "syscheck-550.json"] {
        input.extend_from_slice(fixture(name).trim_ascii_end());
        input.extend_from_slice(b"\r\n");
    }
    let alerts: Vec<RawAlert> = read_all(&input).into_iter().map(Result::unwrap).collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[1].line, 2);
    assert!(!alerts[0].bytes.ends_with(b"\r"));
}

#[test]
fn reader_compact_array() {
    let bodies: Vec<Vec<u8>> = ONE_LINE_FIXTURES
        .iter()
        .map(|name| fixture(name).trim_ascii_end().to_vec())
        .collect();
    let mut input = b"[".to_vec();
    input.extend_from_slice(&bodies.join(&b","[..]));
    input.extend_from_slice(b"]");
    let alerts: Vec<RawAlert> = read_all(&input).into_iter().map(Result::unwrap).collect();
    assert_eq!(alerts.len(), bodies.len());
    for (alert, body) in alerts.iter().zip(&bodies) {
        assert_eq!(&alert.bytes, body);
        assert_eq!(alert.line, 1);
    }
}

#[test]
fn reader_pretty_array() {
    let values: Vec<serde_json::Value> = ONE_LINE_FIXTURES
        .iter()
        .map(|name| serde_json::from_slice(&fixture(name)).expect("fixture is JSON"))
        .collect();
    let input = serde_json::to_vec_pretty(&values).expect("serializes");
    let alerts: Vec<RawAlert> = read_all(&input).into_iter().map(Result::unwrap).collect();
    assert_eq!(alerts.len(), values.len());
    assert_eq!(
        alerts[0].line, 2,
        "the first element starts on the line after `[`"
    );
    for (alert, value) in alerts.iter().zip(&values) {
        let reparsed: serde_json::Value =
            serde_json::from_slice(&alert.bytes).expect("element bytes are JSON");
        assert_eq!(&reparsed, value);
        let text = std::str::from_utf8(&input).expect("UTF-8");
        let start_line = text[..text
            .find(std::str::from_utf8(&alert.bytes).expect("UTF-8"))
            .expect("bytes are in the input")]
            .matches('\n')
            .count()
            + 1;
        assert_eq!(alert.line, start_line);
    }
}

#[test]
fn reader_single_pretty_object() {
    let input = fixture("sshd-5710.json");
    let alerts: Vec<RawAlert> = read_all(&input).into_iter().map(Result::unwrap).collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].line, 1);
    assert_eq!(alerts[0].bytes, input.trim_ascii_end());
    assert_eq!(alerts[0].alert.rule.id, "5710");
}

#[test]
fn reader_concatenated_pretty_objects() {
    let mut input = b"\n\n".to_vec();
    input.extend(fixture("sshd-5710.json"));
    input.extend(fixture("sshd-100003-dashboard-export.json"));
    let alerts: Vec<RawAlert> = read_all(&input).into_iter().map(Result::unwrap).collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].line, 3);
    assert_eq!(alerts[1].line, 3 + 64);
    assert_eq!(alerts[1].alert.rule.id, "100003");
}

#[test]
fn reader_array_of_source_wrapped_hits() {
    let body = String::from_utf8(fixture("sshd-5712.json")).expect("UTF-8");
    let input = format!(
        "[\n  {{\"_index\": \"wazuh-alerts-4.x-2022.05.11\", \"_id\": \"a\", \"_source\": {}}}\n]\n",
        body.trim_end()
    );
    let alerts: Vec<RawAlert> = read_all(input.as_bytes())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].alert.rule.id, "5712");
}

#[test]
fn reader_continues_after_malformed_line() {
    let mut input = fixture("sshd-5712.json");
    input.extend_from_slice(b"{\"timestamp\": \"2022-05-11T12:29:19.905+0000\", \"rule\": \n");
    input.extend(fixture("syscheck-550.json"));
    input.extend_from_slice(
        b"{\"timestamp\":\"2022-05-11T12:29:19.905+0000\",\"agent\":{\"id\":\"001\"}}\n",
    );
    input.extend_from_slice(b"not json at all\n");
    input.extend(fixture("clamav-52502.json"));
    let items = read_all(&input);
    assert_eq!(items.len(), 6);
    assert_eq!(items[0].as_ref().expect("line 1").alert.rule.id, "5712");
    let invalid = items[1].as_ref().expect_err("line 2");
    assert_eq!(invalid.line, 2);
    let message = invalid.to_string();
    assert!(
        message.starts_with("line 2: alert is not valid JSON: "),
        "{message}"
    );
    assert!(
        message.ends_with("EOF while parsing a value at line 1 column 53"),
        "{message}"
    );
    assert!(
        std::error::Error::source(invalid).is_some(),
        "keeps the serde_json error"
    );
    assert_eq!(items[2].as_ref().expect("line 3").line, 3);
    let missing_rule = items[3].as_ref().expect_err("line 4");
    assert_eq!(
        missing_rule.to_string(),
        "line 4: alert has no `rule` object"
    );
    assert_eq!(items[4].as_ref().expect_err("line 5").line, 5);
    assert_eq!(items[5].as_ref().expect("line 6").alert.rule.id, "52502");
}

#[test]
fn reader_truncated_last_line() {
    let mut input = one_line_input(&["sshd-5712.json", "syscheck-550.json"]);
    let last = fixture("virustotal-87105.json");
    input.extend_from_slice(&last[..last.len() / 2]);
    let items = read_all(&input);
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok());
    assert!(items[1].is_ok());
    let error = items[2].as_ref().expect_err("truncated");
    assert_eq!(error.line, 3);
    assert!(!error.is_io());
}

#[test]
fn reader_first_line_truncated() {
    let first = fixture("syscheck-550.json");
    let mut input = first[..first.len() / 2].to_vec();
    input.push(b'\n');
    input.extend(one_line_input(&["sshd-5712.json", "clamav-52502.json"]));
    let items = read_all(&input);
    assert_eq!(
        items.len(),
        3,
        "a broken first line must not turn the input into one value"
    );
    assert_eq!(items[0].as_ref().expect_err("truncated").line, 1);
    assert_eq!(items[2].as_ref().expect("line 3").line, 3);
}

#[test]
fn reader_truncated_pretty_object() {
    let mut input = fixture("sshd-100003-dashboard-export.json");
    let whole = fixture("sshd-5710.json");
    input.extend_from_slice(&whole[..whole.len() - 40]);
    let items = read_all(&input);
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let error = items[1].as_ref().expect_err("truncated");
    assert_eq!(error.line, 59);
    assert_eq!(error.reason, "the input ends inside this alert");
}

#[test]
fn reader_unclosed_array() {
    let body = fixture("sshd-5712.json");
    let mut input = b"[".to_vec();
    input.extend_from_slice(body.trim_ascii_end());
    input.extend_from_slice(b",\n");
    input.extend_from_slice(body.trim_ascii_end());
    let items = read_all(&input);
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok());
    assert_eq!(items[1].as_ref().expect("second element").line, 2);
    let error = items[2].as_ref().expect_err("unclosed");
    assert_eq!(error.line, 1);
    assert!(error.reason.contains("not closed"), "{error}");
}

#[test]
fn reader_array_with_non_object_element() {
    let body = String::from_utf8(fixture("sshd-5712.json")).expect("UTF-8");
    let input = format!("[{0}, 42, \"text\", [1], {0}]", body.trim_end());
    let items = read_all(input.as_bytes());
    assert_eq!(items.len(), 5);
    assert!(items[0].is_ok());
    assert_eq!(
        items[1].as_ref().expect_err("number").reason,
        "array element is not an alert object"
    );
    assert!(items[2].is_err());
    assert_eq!(
        items[3].as_ref().expect_err("array").reason,
        "alert is a JSON array, expected an object"
    );
    assert!(items[4].is_ok());
}

#[test]
fn reader_byte_order_mark_and_blank_lines() {
    let mut input = b"\xEF\xBB\xBF\n\n".to_vec();
    input.extend(fixture("sshd-5712.json"));
    input.extend_from_slice(b"\n   \n");
    input.extend(fixture("syscheck-550.json"));
    let alerts: Vec<RawAlert> = read_all(&input).into_iter().map(Result::unwrap).collect();
    assert_eq!(
        alerts.iter().map(|alert| alert.line).collect::<Vec<_>>(),
        vec![3, 6]
    );
}

#[test]
fn reader_empty_input() {
    assert!(read_all(b"").is_empty());
    assert!(read_all(b"  \n\t\n").is_empty());
    assert!(read_all(b"[]").is_empty());
    assert!(read_all(b"[\n]\n").is_empty());
}

#[test]
fn reader_rejects_oversized_alert() {
    let input = one_line_input(&["syscheck-550.json", "sshd-5712.json"]);
    let items: Vec<_> = AlertReader::new(Cursor::new(input))
        .with_max_alert_bytes(2000)
        .collect();
    assert_eq!(items.len(), 2);
    let error = items[0].as_ref().expect_err("550 is over 2000 bytes");
    assert_eq!(error.reason, "alert is larger than the limit of 2000 bytes");
    assert_eq!(items[1].as_ref().expect("5712 fits").line, 2);
}

#[test]
fn reader_small_buffer_chunks() {
    let input = fixture("sshd-5710.json");
    let reader = AlertReader::new(BufReader::with_capacity(7, Cursor::new(input.clone())));
    let alerts: Vec<RawAlert> = reader.map(Result::unwrap).collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].bytes, input.trim_ascii_end());
}

#[test]
fn reader_shared_alerts_file() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/wazuh-alerts/alerts.json");
    let Ok(input) = std::fs::read(&path) else {
        eprintln!("skipped: {} is not present", path.display());
        return;
    };
    let items = read_all(&input);
    assert_eq!(items.len(), 17);
    for item in items {
        let raw = item.unwrap_or_else(|error| panic!("{error}"));
        assert!(!raw.alert.title().is_empty());
    }
}

#[test]
fn reader_brackets_inside_strings() {
    let alert = r#"{
  "timestamp": "2024-01-01T00:00:00Z",
  "rule": {"id": "1", "level": 3, "description": "a } and a \" { and a \\"},
  "full_log": "[ ] { } \\\" ]]"
}
"#;
    let input = format!("{alert}{alert}");
    let alerts: Vec<RawAlert> = read_all(input.as_bytes())
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].alert.title(), r#"a } and a " { and a \"#);
    assert_eq!(alerts[1].line, 6);
}

#[test]
fn reader_deep_nesting_is_an_error() {
    let depth = 100_000;
    let mut input = "[".repeat(depth + 1);
    input.push_str(&"]".repeat(depth + 1));
    let items = read_all(input.as_bytes());
    assert_eq!(items.len(), 1);
    assert!(items[0].is_err());
    let unclosed = "{\"a\":".repeat(depth);
    let items = read_all(unclosed.as_bytes());
    assert_eq!(items.len(), 1);
    assert!(items[0].is_err());
}

#[test]
fn facts_agree_with_parse_alert() {
    let fields = ["rule.id", "agent.id", "data.srcip"].map(String::from);
    let mut inputs: Vec<Vec<u8>> = ONE_LINE_FIXTURES
        .iter()
        .chain(PRETTY_FIXTURES)
        .map(|name| fixture(name))
        .collect();
    let broken: &[&[u8]] = &[
        b"{\"rule\": ",
        b"[1]",
        br#"{"timestamp":"2024-01-01T00:00:00Z"}"#,
        br#"{"timestamp":"2024-01-01T00:00:00Z","rule":{"level":3,"description":"d"}}"#,
        br#"{"timestamp":"2024-01-01T00:00:00Z","rule":{"id":"1","level":"x","description":"d"}}"#,
        br#"{"timestamp":"2024-01-01T00:00:00","rule":{"id":"1","level":3,"description":"d"}}"#,
        br#"{"_source":{"timestamp":"2024-01-01T00:00:00+0000","rule":{"id":"1","level":3,"description":"d"}}}"#,
        b"{\"timestamp\":\"2024-01-01T00:00:00Z\",\"rule\":{\"id\":\"1\",\"level\":3,\"description\":\"d\"},\"full_log\":\"\xff\"}",
        // Fields that facts skip still reject what a whole parse rejects.
        br#"{"timestamp":"2024-01-01T00:00:00Z","rule":{"id":"1","level":3,"description":"d"},"full_log":"\ud800"}"#,
        br#"{"timestamp":"2024-01-01T00:00:00Z","rule":{"id":"1","level":3,"description":"d"},"full_log":"a\u0001\x01"}"#,
        br#"{"timestamp":"2024-01-01T00:00:00Z","rule":{"id":"1","level":3,"description":"d"},"location":[1,}"#,
        // A flattened export and a field that facts read below a skipped sibling.
        br#"{"timestamp":"2024-01-01T00:00:00Z","rule":{"id":"1","level":3,"description":"d"},"data.srcip":"192.0.2.7","data":{"other":{"x":[1,2]},"dstuser":"root"}}"#,
    ];
    inputs.extend(broken.iter().map(|input| input.to_vec()));
    for input in &inputs {
        let input_text = String::from_utf8_lossy(input);
        match (
            parse_alert(input),
            casefile::alert::parse_facts(input, &fields),
        ) {
            (Ok(alert), Ok(facts)) => {
                assert_eq!(facts.id, alert.id, "{input_text}");
                assert_eq!(facts.timestamp, alert.timestamp, "{input_text}");
                assert_eq!(facts.rule_id, alert.rule.id, "{input_text}");
                assert_eq!(facts.rule_level, alert.rule.level, "{input_text}");
                assert_eq!(facts.observables, alert.observables, "{input_text}");
                assert_eq!(
                    facts.dedupe_key,
                    dedupe_key(input, &fields).unwrap(),
                    "{input_text}"
                );
            }
            (Err(alert), Err(facts)) => assert_eq!(facts.to_string(), alert.to_string()),
            (alert, facts) => panic!("{input_text}: parse_alert {alert:?}, parse_facts {facts:?}"),
        }
    }
}
