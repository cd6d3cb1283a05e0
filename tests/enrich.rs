//! `casefile enrich` against a local server on 127.0.0.1 that replays recorded VirusTotal v3
//! replies; no test reaches VirusTotal.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{fixture_path, Env};

const KEY: &str = "test-key-0123456789";
const URL: &str = "http://soclosebutyetqq.com/69.exe";
const BROKEN_SHA256: &str = "badbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadb";
const FILE_SHA256: &str = "417c06700c3e899f0554654102fa064385bf1d3ecec32471ac488096d81bf38c";

/// The path and `x-apikey` header of one request the replay server received.
type Request = (String, Option<String>);

/// A replay server: maps request paths to fixture files, responds with 404 otherwise, and
/// responds with 429 to the first `throttle` requests.
struct Replay {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

fn start_replay(throttle: usize) -> Replay {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let throttled = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let mut key = None;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() == 0 || header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("x-apikey") {
                        key = Some(value.trim().to_string());
                    }
                }
            }
            seen.lock().unwrap().push((path.clone(), key));
            let (status, body) = if path.ends_with(BROKEN_SHA256) {
                ("200 OK", "this is not JSON".to_string())
            } else if throttled.fetch_add(1, Ordering::SeqCst) < throttle {
                (
                    "429 Too Many Requests",
                    "{\"error\":{\"code\":\"QuotaExceededError\"}}".to_string(),
                )
            } else {
                match fixture_for(&path) {
                    Some(name) => (
                        "200 OK",
                        std::fs::read_to_string(fixture_path(&format!("virustotal/{name}")))
                            .unwrap(),
                    ),
                    None => (
                        "404 Not Found",
                        std::fs::read_to_string(fixture_path(
                            "virustotal/error__NotFoundError__vt-client.json",
                        ))
                        .unwrap(),
                    ),
                }
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nRetry-After: 0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    Replay { port, requests }
}

fn fixture_for(path: &str) -> Option<&'static str> {
    let url_id = "aHR0cDovL3NvY2xvc2VidXR5ZXRxcS5jb20vNjkuZXhl";
    match path {
        "/api/v3/ip_addresses/138.128.150.133" => {
            Some("ip_addresses__138.128.150.133__opencti.json")
        }
        "/api/v3/domains/tawuhoju.com" => Some("domains__tawuhoju.com__opencti.json"),
        p if p == format!("/api/v3/urls/{url_id}") => Some("urls__7d83e9f6__opencti.json"),
        p if p == format!("/api/v3/files/{FILE_SHA256}") => {
            Some("files__417c0670__win32exe__vt-client.json")
        }
        _ => None,
    }
}

fn point_at(env: &Env, port: u16) {
    let config = env.read("casefile.toml").replace(
        "virustotal_url = \"https://www.virustotal.com/api/v3\"",
        &format!("virustotal_url = \"http://127.0.0.1:{port}/api/v3\""),
    );
    std::fs::write(env.repo.join("casefile.toml"), config).unwrap();
    env.git(&["commit", "-qam", "point enrichment at the replay server"])
        .assert()
        .success();
}

fn enrichment(env: &Env, id: &str) -> Vec<toml::Table> {
    let dir = env.incident_dir(id).join("enrichment");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| std::fs::read_to_string(p).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn enrich_stores_virustotal_results() {
    let env = Env::new();
    let replay = start_replay(0);
    point_at(&env, replay.port);
    let id = env.open("Malware download");
    env.ok(&[
        "ioc",
        "add",
        &id,
        "138.128.150.133",
        "tawuhoju[.]com",
        URL,
        FILE_SHA256,
        "44d88612fea8a8f36de82e1278abb02f",
    ]);
    let output = env
        .casefile(&["enrich", &id, "--interval", "0"])
        .env("VT_API_KEY", KEY)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains(KEY),
        "the key is never printed"
    );

    let records = enrichment(&env, &id);
    assert_eq!(records.len(), 5);
    let by_value = |value: &str| {
        records
            .iter()
            .find(|r| r["value"].as_str() == Some(value))
            .unwrap()
            .clone()
    };
    let ip = by_value("138.128.150.133");
    assert_eq!(ip["verdict"].as_str(), Some("malicious"));
    assert_eq!(ip["malicious"].as_integer(), Some(4));
    assert_eq!(ip["harmless"].as_integer(), Some(77));
    assert_eq!(ip["queried"].as_str(), Some(common::NOW));
    let domain = by_value("tawuhoju.com");
    assert_eq!(domain["malicious"].as_integer(), Some(6));
    assert_eq!(domain["reputation"].as_integer(), Some(-37));
    let file = by_value(FILE_SHA256);
    assert_eq!(file["malicious"].as_integer(), Some(7));
    assert_eq!(file["label"].as_str(), Some("trojan."));
    let url = by_value(URL);
    assert_eq!(url["malicious"].as_integer(), Some(11));
    let unknown = by_value("44d88612fea8a8f36de82e1278abb02f");
    assert_eq!(unknown["verdict"].as_str(), Some("not-found"));

    // The raw reply is stored next to its summary, so reports re-render offline.
    let raw = ip["raw"].as_str().unwrap();
    assert!(env.incident_dir(&id).join("enrichment").join(raw).is_file());
    let requests = replay.requests.lock().unwrap();
    assert!(
        requests.iter().all(|(_, key)| key.as_deref() == Some(KEY)),
        "{requests:?}"
    );
    assert_eq!(env.status(), "");
}

#[test]
fn enrich_skips_recent_results() {
    let env = Env::new();
    let replay = start_replay(0);
    point_at(&env, replay.port);
    let id = env.open("Scan");
    env.ok(&["ioc", "add", &id, "138.128.150.133"]);
    let run = || {
        env.casefile(&["enrich", &id, "--interval", "0"])
            .env("VT_API_KEY", KEY)
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    let commits = env.commit_count();
    assert!(run().status.success());
    assert_eq!(
        env.commit_count(),
        commits,
        "a result younger than --max-age is not fetched again"
    );
    assert_eq!(replay.requests.lock().unwrap().len(), 1);
}

#[test]
fn enrich_retries_after_rate_limit() {
    let env = Env::new();
    let replay = start_replay(2);
    point_at(&env, replay.port);
    let id = env.open("Scan");
    env.ok(&["ioc", "add", &id, "tawuhoju.com"]);
    let output = env
        .casefile(&["enrich", &id, "--interval", "0"])
        .env("VT_API_KEY", KEY)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("HTTP 429"));
    assert_eq!(replay.requests.lock().unwrap().len(), 3);
    assert_eq!(enrichment(&env, &id)[0]["malicious"].as_integer(), Some(6));
}

#[test]
fn enrich_without_key_fails_and_changes_nothing() {
    let env = Env::new();
    let id = env.open("Scan");
    env.ok(&["ioc", "add", &id, "138.128.150.133"]);
    let before = env.snapshot();
    let error = env.fails(&["enrich", &id]);
    assert!(error.contains("VT_API_KEY"), "{error}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn enrich_offline_feed_matches_subdomain() {
    let env = Env::new();
    let id = env.open("Phishing");
    env.ok(&["ioc", "add", &id, "login.bad-bank.example", "203.0.113.50"]);
    let feed = env.home.path().join("feed.txt");
    std::fs::write(
        &feed,
        "# test feed\nbad-bank.example,phishing kit\nnot an indicator\n",
    )
    .unwrap();
    let output = env
        .casefile(&["enrich", &id, "--offline", "--feed", feed.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("skipped 1 line(s) that are not indicators (line 3)"));
    let records = enrichment(&env, &id);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["value"].as_str(), Some("login.bad-bank.example"));
    assert_eq!(records[0]["provider"].as_str(), Some("feed:feed.txt"));
    assert_eq!(records[0]["label"].as_str(), Some("phishing kit"));
}

#[test]
fn enrich_keeps_results_fetched_before_failure() {
    let env = Env::new();
    let replay = start_replay(0);
    point_at(&env, replay.port);
    let id = env.open("Malware");
    env.ok(&[
        "ioc",
        "add",
        &id,
        "138.128.150.133",
        "10.0.0.5",
        "tawuhoju.com",
        BROKEN_SHA256,
    ]);
    let before = env.commit_count();
    let output = env
        .casefile(&["enrich", &id, "--interval", "0"])
        .env("VT_API_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not JSON"), "{stderr}");
    assert!(
        stderr.contains("stored 2 result(s) fetched before the failure"),
        "{stderr}"
    );
    assert_eq!(env.commit_count(), before + 1);
    let values: Vec<String> = enrichment(&env, &id)
        .iter()
        .map(|r| r["value"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        values,
        ["138.128.150.133", "tawuhoju.com"],
        "the private address is not sent"
    );
    let paths: Vec<String> = replay
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(path, _)| path.clone())
        .collect();
    assert!(!paths.iter().any(|p| p.contains("10.0.0.5")), "{paths:?}");
}
