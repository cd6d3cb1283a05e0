//! `casefile extract`, `ioc extract` and `search`.

mod common;

use common::Env;
use serde_json::Value;

const LOG: &str = "Beacon to hxxps://c2[.]evil-domain[.]com/gate.php from 45.33.32.156:4444\n\
                   hash 44D88612FEA8A8F36DE82E1278ABB02F and again 44d88612fea8a8f36de82e1278abb02f\n\
                   mail bob[at]evil-domain[.]com about CVE-2021-44228, meet at noon\n";

fn write_log(env: &Env) -> String {
    let path = env.home.path().join("beacon.log");
    std::fs::write(&path, LOG).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn extract_needs_no_repository() {
    let env = Env::bare();
    let path = write_log(&env);
    let output = env
        .casefile(&["--json", "extract", &path])
        .current_dir(env.home.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found: Value = serde_json::from_slice(&output.stdout).unwrap();
    let pairs: Vec<(String, String)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["type"].as_str().unwrap().to_string(),
                f["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("url", "https://c2.evil-domain.com/gate.php"),
        ("ipv4", "45.33.32.156"),
        ("md5", "44d88612fea8a8f36de82e1278abb02f"),
        ("email", "bob@evil-domain.com"),
        ("cve", "CVE-2021-44228"),
    ];
    for (kind, value) in expected {
        assert!(
            pairs.contains(&(kind.to_string(), value.to_string())),
            "missing {kind} {value} in {pairs:?}"
        );
    }
    let md5 = found
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "md5")
        .unwrap();
    assert_eq!(md5["count"], 2, "both spellings are one indicator");
    assert!(
        !pairs.iter().any(|(_, v)| v.contains("noon")),
        "prose `at` is not an address"
    );
}

#[test]
fn extract_defangs_on_request() {
    let env = Env::bare();
    let path = write_log(&env);
    let output = env
        .casefile(&["extract", &path, "--defang", "--type", "url,ipv4"])
        .current_dir(env.home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        "url\thxxps://c2[.]evil-domain[.]com/gate.php\nipv4\t45.33.32[.]156\n"
    );
}

#[test]
fn extract_reads_stdin_with_line_numbers() {
    let env = Env::bare();
    let output = env
        .casefile(&["extract", "--all", "-"])
        .write_stdin(LOG)
        .current_dir(env.home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout
            .lines()
            .any(|l| l == "2\tmd5\t44d88612fea8a8f36de82e1278abb02f"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().filter(|l| l.contains("\tmd5\t")).count(), 2);
}

#[test]
fn extract_missing_file_fails() {
    let env = Env::bare();
    let output = env
        .casefile(&["extract", "/nonexistent.log"])
        .current_dir(env.home.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent.log"));
}

/// Returns the merged indicator `value` from `ioc list --json` of incident `id`.
fn listed_ioc(env: &Env, id: &str, value: &str) -> Value {
    let listing: Value =
        serde_json::from_str(&env.ok(&["--json", "ioc", "list", id, "--no-defang"])).unwrap();
    listing
        .as_array()
        .unwrap()
        .iter()
        .find(|ioc| ioc["value"] == value)
        .cloned()
        .unwrap_or_else(|| panic!("{value} is not listed: {listing}"))
}

#[test]
fn ioc_extract_adds_once_with_source() {
    let env = Env::new();
    let id = env.open("Beaconing host");
    let path = write_log(&env);
    let stdout = env.ok(&["ioc", "extract", &id, &path]);
    assert!(stdout.contains("ipv4\t45.33.32[.]156"), "{stdout}");
    let ip = listed_ioc(&env, &id, "45.33.32.156");
    assert_eq!(ip["sources"][0], "extract: beacon.log");
    let commits = env.commit_count();
    env.ok(&["ioc", "extract", &id, &path]);
    assert_eq!(env.commit_count(), commits, "nothing new the second time");
}

#[test]
fn search_finds_any_spelling() {
    let env = Env::new();
    let first = env.open("Phishing wave");
    let second = env.open("Beacon");
    let third = env.open("Unrelated");
    env.ok(&["ioc", "add", &first, "http://xn--bcher-kva.example/login"]);
    env.ok(&["ioc", "add", &second, "bücher.example", "--type", "domain"]);
    env.ok(&["ioc", "add", &third, "203.0.113.77"]);
    for spelling in [
        "BÜCHER.example",
        "xn--bcher-kva[.]example",
        "bücher[.]example",
    ] {
        let hits: Value =
            serde_json::from_str(&env.ok(&["--json", "search", spelling, "--type", "domain"]))
                .unwrap();
        let ids: Vec<&str> = hits
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["incident"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&first.as_str()),
            "{spelling}: the URL on that host matches: {ids:?}"
        );
        assert!(ids.contains(&second.as_str()), "{spelling}: {ids:?}");
        assert!(!ids.contains(&third.as_str()), "{spelling}: {ids:?}");
    }
    let output = env.run(&["search", "198.51.100.1"]);
    assert_eq!(output.status.code(), Some(1), "no hit exits 1");
}

#[test]
fn ioc_sightings_merge_by_instant() {
    let mut env = Env::new();
    let id = env.open("Beaconing host");
    let path = write_log(&env);
    env.at("2026-01-01T09:59:00.500Z");
    env.ok(&["ioc", "add", &id, "45.33.32.156"]);
    // Earlier by the clock, later as text: `00Z` sorts after `00.500Z`.
    env.at("2026-01-01T09:59:00Z");
    env.ok(&["ioc", "extract", &id, &path]);
    let ip = listed_ioc(&env, &id, "45.33.32.156");
    assert_eq!(ip["sightings"], 2);
    assert_eq!(ip["first_seen"], "2026-01-01T09:59:00Z");
    assert_eq!(ip["last_seen"], "2026-01-01T09:59:00.500Z");
}
