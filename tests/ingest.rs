//! `casefile ingest` on real Wazuh alerts: grouping, deduplication, malformed and interrupted
//! input, and the one commit per run.

mod common;

use common::{fixture_path, git_stdout, Env};
use serde_json::Value;

/// Returns a fixture alert as one compact JSON line.
fn alert_line(fixture: &str) -> Value {
    let text = std::fs::read_to_string(fixture_path(fixture)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Returns the SSH brute-force alert with its id, time and source IP replaced.
fn brute_force(id: &str, timestamp: &str, srcip: &str) -> String {
    let mut alert = alert_line("alerts/sshd-5712.json");
    alert["id"] = Value::String(id.into());
    alert["timestamp"] = Value::String(timestamp.into());
    alert["data"]["srcip"] = Value::String(srcip.into());
    serde_json::to_string(&alert).unwrap()
}

fn write_input(env: &Env, name: &str, lines: &[String]) -> String {
    let path = env.home.path().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

fn ingest_json(env: &Env, args: &[&str]) -> (Option<i32>, Value) {
    let mut full = vec!["--json", "ingest"];
    full.extend_from_slice(args);
    let output = env.run(&full);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (output.status.code(), value)
}

/// Returns the path of the index of incident `id`'s evidence batch.
fn batch_index(env: &Env, id: &str) -> std::path::PathBuf {
    std::fs::read_dir(env.incident_dir(id).join("evidence"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.extension()
                .is_some_and(|extension| extension == "index")
        })
        .expect("a batch index")
}

fn real_alert_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(fixture_path("alerts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let value: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            lines.push(serde_json::to_string(&value).unwrap());
        }
    }
    lines.sort();
    lines
}

#[test]
fn ingest_real_alerts_twice_adds_nothing_second_time() {
    let env = Env::new();
    let lines = real_alert_lines();
    let input = write_input(&env, "alerts.json", &lines);
    let (code, first) = ingest_json(&env, &[&input]);
    assert_eq!(code, Some(0));
    assert_eq!(first["summary"]["ingested"], lines.len() as u64);
    assert_eq!(first["summary"]["duplicates"], 0);
    let commits = env.commit_count();
    let listed: Value = serde_json::from_str(&env.ok(&["--json", "list"])).unwrap();
    let incidents = listed.as_array().unwrap().len();
    assert!(
        incidents >= 10,
        "the fixtures span many rules and agents: {incidents}"
    );

    let (code, second) = ingest_json(&env, &[&input]);
    assert_eq!(code, Some(0));
    assert_eq!(second["summary"]["ingested"], 0);
    assert_eq!(second["summary"]["duplicates"], lines.len() as u64);
    assert_eq!(
        env.commit_count(),
        commits,
        "a second ingest makes no commit"
    );
    assert_eq!(env.status(), "");
}

#[test]
fn ingest_skips_repeats_within_one_input() {
    let env = Env::new();
    let first = brute_force(
        "1700000000.1",
        "2023-11-14T22:13:20.000+0000",
        "203.0.113.7",
    );
    let second = brute_force(
        "1700000000.2",
        "2023-11-14T22:13:30.000+0000",
        "203.0.113.7",
    );
    // The same id with other bytes is the same alert, exported again.
    let second_again = second.replace("\"srcport\"", "\"exported\":true,\"srcport\"");
    assert_ne!(second, second_again);
    let mut no_id: Value = serde_json::from_str(&first).unwrap();
    no_id.as_object_mut().unwrap().remove("id");
    no_id["timestamp"] = Value::String("2023-11-14T22:13:40.000+0000".into());
    let no_id = serde_json::to_string(&no_id).unwrap();

    let lines = [
        first.clone(),
        first,
        second,
        second_again,
        no_id.clone(),
        no_id,
    ];
    let input = write_input(&env, "repeats.json", &lines);
    let (code, output) = ingest_json(&env, &[&input]);

    assert_eq!(code, Some(0));
    assert_eq!(output["summary"]["alerts_read"], 6);
    assert_eq!(output["summary"]["ingested"], 3);
    assert_eq!(output["summary"]["duplicates"], 3);
}

#[test]
fn ingest_groups_by_key_within_window() {
    let env = Env::new();
    let lines = vec![
        brute_force("1.1", "2024-05-01T10:00:00.000+0000", "203.0.113.5"),
        brute_force("1.2", "2024-05-01T10:20:00.000+0000", "203.0.113.5"),
        brute_force("1.3", "2024-05-01T10:50:00.000+0000", "203.0.113.5"),
        brute_force("1.4", "2024-05-01T10:05:00.000+0000", "198.51.100.9"),
        brute_force("1.5", "2024-05-01T13:00:00.000+0000", "203.0.113.5"),
    ];
    let input = write_input(&env, "alerts.json", &lines);
    let commits = env.commit_count();
    let (code, result) = ingest_json(&env, &[&input]);
    assert_eq!(code, Some(0));
    assert_eq!(
        env.commit_count(),
        commits + 1,
        "one commit for the whole run"
    );
    let incidents = result["summary"]["incidents"].as_array().unwrap();
    let counts: Vec<u64> = incidents
        .iter()
        .map(|i| i["alerts"].as_u64().unwrap())
        .collect();
    assert_eq!(
        counts,
        [3, 1, 1],
        "three alerts within the hour join one incident"
    );
    let keys: Vec<&str> = incidents
        .iter()
        .map(|i| i["dedupe_key"].as_str().unwrap())
        .collect();
    assert!(
        keys[0].contains("203.0.113.5") && keys[1].contains("198.51.100.9"),
        "{keys:?}"
    );

    // A later alert with the same key joins the open incident.
    let later = write_input(
        &env,
        "later.json",
        &[brute_force(
            "1.6",
            "2024-05-01T11:30:00.000+0000",
            "203.0.113.5",
        )],
    );
    let (_, result) = ingest_json(&env, &[&later]);
    let appended = &result["summary"]["incidents"][0];
    assert_eq!(appended["new"], false);
    assert_eq!(appended["id"], incidents[0]["id"]);
    let id = appended["id"].as_str().unwrap();
    let timeline: Value =
        serde_json::from_str(&env.ok(&["--json", "timeline", "list", id])).unwrap();
    let alert_entries = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "alert")
        .count();
    assert_eq!(alert_entries, 4);
    let iocs: Value =
        serde_json::from_str(&env.ok(&["--json", "ioc", "list", id, "--no-defang"])).unwrap();
    let ip = iocs
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["value"] == "203.0.113.5")
        .unwrap();
    assert_eq!(ip["first_seen"], "2024-05-01T10:00:00Z");
    assert_eq!(ip["last_seen"], "2024-05-01T11:30:00Z");
}

#[test]
fn ingest_reports_malformed_lines_and_continues() {
    let env = Env::new();
    let lines = vec![
        brute_force("2.1", "2024-05-01T10:00:00.000+0000", "203.0.113.5"),
        "{not json".to_string(),
        r#"{"timestamp":"2024-05-01T10:01:00.000+0000","id":"2.x"}"#.to_string(),
        brute_force("2.2", "2024-05-01T10:02:00.000+0000", "203.0.113.5"),
    ];
    let input = write_input(&env, "mixed.json", &lines);
    let (code, result) = ingest_json(&env, &[&input]);
    assert_eq!(code, Some(1), "skipped alerts make the exit code 1");
    let invalid = result["summary"]["invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), 2);
    assert_eq!(invalid[0]["line"], 2);
    assert_eq!(invalid[1]["line"], 3);
    assert!(
        invalid[1]["reason"].as_str().unwrap().contains("rule"),
        "{}",
        invalid[1]
    );
    assert_eq!(result["summary"]["ingested"], 2);
    assert_eq!(env.status(), "", "the valid alerts were committed");
}

#[test]
fn ingest_skips_alerts_only_partly_json() {
    // Values in fields that ingest does not read, which serde_json skips but rejects when
    // it parses the whole alert: each alert is invalid, and the others are ingested.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for (value, reason) in [
        (deep.as_str(), "recursion limit exceeded"),
        ("1e400", "number out of range"),
    ] {
        let env = Env::new();
        let odd = brute_force("3.2", "2024-05-01T10:01:00.000+0000", "198.51.100.7").replacen(
            '{',
            &format!(r#"{{"extra":{value},"#),
            1,
        );
        let lines = vec![
            brute_force("3.1", "2024-05-01T10:00:00.000+0000", "203.0.113.5"),
            odd,
            brute_force("3.3", "2024-05-01T10:02:00.000+0000", "203.0.113.5"),
        ];
        let input = write_input(&env, "odd.json", &lines);
        let (code, result) = ingest_json(&env, &[&input]);
        assert_eq!(code, Some(1), "{reason}");
        let invalid = result["summary"]["invalid"].as_array().unwrap();
        assert_eq!(invalid.len(), 1, "{invalid:?}");
        assert_eq!(invalid[0]["line"], 2);
        let text = invalid[0]["reason"].as_str().unwrap();
        assert!(text.contains(reason), "{text}");
        assert_eq!(result["summary"]["ingested"], 2, "{reason}");
        assert_eq!(env.status(), "", "the valid alerts were committed");
    }
}

#[test]
fn ingest_completes_interrupted_input_without_duplicates() {
    let env = Env::new();
    let lines: Vec<String> = (0..30)
        .map(|n| {
            brute_force(
                &format!("3.{n}"),
                &format!("2024-05-01T10:{n:02}:00.000+0000"),
                "203.0.113.5",
            )
        })
        .collect();
    let full = lines.join("\n") + "\n";
    let cut = full.len() / 2;
    let partial = env.home.path().join("partial.json");
    std::fs::write(&partial, &full[..cut]).unwrap();
    let (code, first) = ingest_json(&env, &[partial.to_str().unwrap()]);
    assert_eq!(code, Some(1), "the cut last line is reported");
    let first_count = first["summary"]["ingested"].as_u64().unwrap();
    assert!(first_count > 0, "the first half has complete alerts");
    assert!(first_count < 30, "the cut alert is not ingested");

    let complete = write_input(&env, "complete.json", &lines);
    let (code, second) = ingest_json(&env, &[&complete]);
    assert_eq!(code, Some(0));
    assert_eq!(
        second["summary"]["ingested"].as_u64().unwrap(),
        30 - first_count
    );
    assert_eq!(
        second["summary"]["duplicates"].as_u64().unwrap(),
        first_count
    );
    let listed: Value = serde_json::from_str(&env.ok(&["--json", "list"])).unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "all 30 alerts are in one incident"
    );
}

#[test]
fn ingest_keeps_batch_evidence_byte_for_byte() {
    let env = Env::new();
    let lines: Vec<String> = (0..15)
        .map(|n| {
            brute_force(
                &format!("4.{n}"),
                &format!("2024-05-01T09:{n:02}:00.000+0000"),
                "192.0.2.44",
            )
        })
        .collect();
    let input = write_input(&env, "many.json", &lines);
    let (_, result) = ingest_json(&env, &[&input]);
    let id = result["summary"]["incidents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let index_path = batch_index(&env, &id);
    let data = std::fs::read(index_path.with_extension("json")).unwrap();
    let index = std::fs::read_to_string(&index_path).unwrap();
    assert_eq!(
        index.lines().count(),
        14,
        "the first alert is the incident's own evidence file"
    );
    for (line, original) in index.lines().zip(&lines[1..]) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (offset, length): (usize, usize) =
            (fields[1].parse().unwrap(), fields[2].parse().unwrap());
        assert_eq!(&data[offset..offset + length], original.as_bytes());
    }
    let timeline: Value =
        serde_json::from_str(&env.ok(&["--json", "timeline", "list", &id])).unwrap();
    let summary = timeline.as_array().unwrap().iter().find(|e| {
        e["text"]
            .as_str()
            .unwrap()
            .starts_with("14 more Wazuh alerts")
    });
    assert!(
        summary.is_some(),
        "a large batch gets one summary entry: {timeline}"
    );
}

/// Alerts with an id are indexed by it and the rest by the SHA-256 of their bytes, and an
/// index that lists both, as casefile wrote before, is read the same way.
#[test]
fn ingest_indexes_alerts_by_id_or_hash() {
    use sha2::{Digest, Sha256};
    let sha256 = |bytes: &[u8]| -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    };

    let env = Env::new();
    let mut lines: Vec<String> = (0..4)
        .map(|n| {
            brute_force(
                &format!("6.{n}"),
                &format!("2024-05-01T09:{n:02}:00.000+0000"),
                "192.0.2.61",
            )
        })
        .collect();
    let mut no_id: Value = serde_json::from_str(&lines[3]).unwrap();
    no_id.as_object_mut().unwrap().remove("id");
    no_id["timestamp"] = Value::String("2024-05-01T09:10:00.000+0000".into());
    lines.push(serde_json::to_string(&no_id).unwrap());
    let input = write_input(&env, "mixed.json", &lines);
    let (code, result) = ingest_json(&env, &[&input]);
    assert_eq!(code, Some(0));
    assert_eq!(result["summary"]["ingested"], 5);
    let id = env.only_incident();
    let index_path = batch_index(&env, &id);
    let index = std::fs::read_to_string(&index_path).unwrap();
    let fields: Vec<Vec<&str>> = index
        .lines()
        .map(|line| line.split('\t').collect())
        .collect();
    assert_eq!(fields.len(), 4, "{index}");
    for (line, n) in fields.iter().zip(1..4) {
        assert_eq!(
            (line[0], line[3]),
            ("-", format!("6.{n}").as_str()),
            "{index}"
        );
    }
    let last = lines[4].as_bytes();
    assert_eq!(fields[3][0], sha256(last), "{index}");
    assert_eq!(fields[3][3], "", "{index}");

    let (_, again) = ingest_json(&env, &[&input]);
    assert_eq!(again["summary"]["ingested"], 0);
    assert_eq!(again["summary"]["duplicates"], 5);

    // The same index with every alert's SHA-256 listed, as older versions wrote it.
    let data = std::fs::read(index_path.with_extension("json")).unwrap();
    let hashed: String = fields
        .iter()
        .map(|line| {
            let (offset, length): (usize, usize) =
                (line[1].parse().unwrap(), line[2].parse().unwrap());
            let digest = sha256(&data[offset..offset + length]);
            format!("{digest}\t{}\n", line[1..].join("\t"))
        })
        .collect();
    std::fs::write(&index_path, &hashed).unwrap();
    env.commit_all("list the SHA-256 of every batched alert");
    assert_eq!(env.check_json(&[]), (0, Vec::new()));
    let (_, old_form) = ingest_json(&env, &[&input]);
    assert_eq!(old_form["summary"]["ingested"], 0);
    assert_eq!(old_form["summary"]["duplicates"], 5);
}

#[test]
fn ingest_batch_record_describes_its_own_alerts() {
    let env = Env::new();
    // The first alert opens the incident and is its own evidence file. The batch contains
    // the other three, out of time order.
    let lines = [
        brute_force("5.0", "2024-05-01T09:00:00.000+0000", "192.0.2.45"),
        brute_force("5.1", "2024-05-01T09:20:00.000+0000", "192.0.2.45"),
        brute_force("5.2", "2024-05-01T09:10:00.000+0000", "192.0.2.45"),
        brute_force("5.3", "2024-05-01T09:15:00.000+0000", "192.0.2.45"),
    ];
    let input = write_input(&env, "batch.json", &lines);
    let (_, result) = ingest_json(&env, &[&input]);

    let id = result["summary"]["incidents"][0]["id"].as_str().unwrap();
    let evidence = env.incident_dir(id).join("evidence");
    let record_path = std::fs::read_dir(&evidence)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("alerts-")
        })
        .expect("a batch record");
    let record: toml::Value =
        toml::from_str(&std::fs::read_to_string(record_path).unwrap()).unwrap();
    assert_eq!(record["alerts"].as_integer(), Some(3));
    assert_eq!(
        record["first_alert_time"].as_str(),
        Some("2024-05-01T09:10:00Z")
    );
    assert_eq!(record["alert_time"].as_str(), Some("2024-05-01T09:20:00Z"));
    assert_eq!(record["rule_id"].as_str(), Some("5712"));
}

#[test]
fn ingest_reads_array_and_single_object_from_stdin() {
    let env = Env::new();
    let array = format!(
        "[\n{},\n{}\n]\n",
        brute_force("5.1", "2024-05-01T10:00:00.000+0000", "203.0.113.7"),
        brute_force("5.2", "2024-05-01T10:01:00.000+0000", "203.0.113.7")
    );
    let output = env
        .casefile(&["--json", "ingest", "-"])
        .write_stdin(array)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["summary"]["ingested"], 2);

    let pretty =
        std::fs::read_to_string(fixture_path("alerts/sshd-100003-dashboard-export.json")).unwrap();
    let output = env
        .casefile(&["--json", "ingest", "-"])
        .write_stdin(pretty)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["summary"]["ingested"], 1);
}

#[test]
fn ingest_skips_alerts_below_min_level() {
    let env = Env::new();
    let config = env
        .read("casefile.toml")
        .replace("min_level = 0", "min_level = 7");
    std::fs::write(env.repo.join("casefile.toml"), config).unwrap();
    env.git(&["commit", "-qam", "raise min_level"])
        .assert()
        .success();
    let lines = vec![
        serde_json::to_string(&alert_line("alerts/sshd-5710.json")).unwrap(),
        brute_force("6.1", "2024-05-01T10:00:00.000+0000", "203.0.113.5"),
    ];
    let input = write_input(&env, "levels.json", &lines);
    let (code, result) = ingest_json(&env, &[&input]);
    assert_eq!(code, Some(0));
    assert_eq!(result["summary"]["below_min_level"], 1);
    assert_eq!(result["summary"]["ingested"], 1);
}

#[test]
fn ingest_dry_run_changes_nothing() {
    let env = Env::new();
    let input = write_input(
        &env,
        "a.json",
        &[brute_force(
            "7.1",
            "2024-05-01T10:00:00.000+0000",
            "203.0.113.5",
        )],
    );
    let before = env.snapshot();
    let (code, result) = ingest_json(&env, &["--dry-run", &input]);
    assert_eq!(code, Some(0));
    assert_eq!(result["dry_run"], true);
    assert_eq!(result["summary"]["incidents"][0]["new"], true);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn ingest_refuses_uncommitted_incident_files() {
    let env = Env::new();
    let id = env.open("x");
    env.ok(&["--no-commit", "timeline", "add", &id, "draft"]);
    let input = write_input(
        &env,
        "a.json",
        &[brute_force(
            "8.1",
            "2024-05-01T10:00:00.000+0000",
            "203.0.113.5",
        )],
    );
    let before = env.snapshot();
    let error = env.fails(&["ingest", &input]);
    assert!(
        error.contains("incidents/ has uncommitted changes"),
        "{error}"
    );
    assert_eq!(env.snapshot(), before);
}

/// Checks that the repository is consistent and that every committed file matches the work
/// tree byte for byte.
fn assert_repository_valid(env: &Env) {
    let fsck = env
        .git(&["fsck", "--strict", "--no-progress"])
        .output()
        .unwrap();
    assert!(fsck.status.success(), "git fsck failed");
    assert_eq!(String::from_utf8_lossy(&fsck.stdout), "", "git fsck output");
    assert_eq!(
        String::from_utf8_lossy(&fsck.stderr),
        "",
        "git fsck warnings"
    );
    assert_eq!(env.status(), "", "git status after ingest");
    let tree = git_stdout(env, &["ls-tree", "-r", "HEAD"]);
    let (paths, committed): (Vec<&str>, Vec<&str>) = tree
        .lines()
        .map(|line| {
            let (meta, path) = line.split_once('\t').unwrap();
            (path, meta.split(' ').nth(2).unwrap())
        })
        .unzip();
    let mut hash = env.git(&["hash-object", "--stdin-paths"]);
    hash.write_stdin(paths.join("\n") + "\n");
    let output = hash.output().unwrap();
    let on_disk = String::from_utf8(output.stdout).unwrap();
    for ((path, committed), on_disk) in paths.iter().zip(&committed).zip(on_disk.lines()) {
        assert_eq!(
            *committed, on_disk,
            "{path} differs from its committed blob"
        );
    }
}

#[test]
fn ingest_large_runs_commit_valid_packs() {
    let env = Env::new();
    let alerts = |minute: u32| -> Vec<String> {
        (0..60)
            .flat_map(|ip| {
                (0..3).map(move |n| {
                    brute_force(
                        &format!("{minute}.{ip}.{n}"),
                        &format!("2024-05-01T09:{minute:02}:{n:02}.000+0000"),
                        &format!("198.51.100.{}", ip + 1),
                    )
                })
            })
            .collect()
    };
    let before = env.commit_count();
    let first = write_input(&env, "first.json", &alerts(0));
    let (code, _) = ingest_json(&env, &[&first]);
    assert_eq!(code, Some(0));
    let changed = git_stdout(&env, &["diff-tree", "--name-only", "-r", "HEAD~1", "HEAD"]);
    assert!(
        changed.lines().count() > 200,
        "the first run is large enough to be packed"
    );
    assert_eq!(env.commit_count(), before + 1);
    assert_repository_valid(&env);

    // The second run appends to the trees the first one wrote.
    let second = write_input(&env, "second.json", &alerts(5));
    let (code, result) = ingest_json(&env, &[&second]);
    assert_eq!(code, Some(0));
    assert_eq!(result["summary"]["incidents"].as_array().unwrap().len(), 60);
    assert!(result["summary"]["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|incident| incident["new"] == false));
    let changed = git_stdout(&env, &["diff-tree", "--name-only", "-r", "HEAD~1", "HEAD"]);
    assert!(
        changed.lines().count() > 200,
        "the second run is large enough to be packed"
    );
    assert_eq!(env.commit_count(), before + 2);
    assert_repository_valid(&env);
}

#[test]
fn ingest_skips_broken_incident_and_files_the_rest() {
    let env = Env::new();
    let broken = env.open("Broken by a bad merge");
    std::fs::write(
        env.incident_dir(&broken)
            .join("timeline/20260302-090000-zzzzzz.toml"),
        "<<<<<<< HEAD\n",
    )
    .unwrap();
    env.git(&["add", "-A"]).assert().success();
    env.git(&["commit", "-qm", "bad merge"]).assert().success();
    let input = write_input(
        &env,
        "a.json",
        &[brute_force(
            "9.1",
            "2024-05-01T10:00:00.000+0000",
            "203.0.113.5",
        )],
    );
    let output = env.run(&["--json", "ingest", &input]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("incident {broken} is skipped")),
        "{stderr}"
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["summary"]["ingested"], 1);
}

#[test]
fn ingest_remembers_batched_alerts_of_broken_incident() {
    let env = Env::new();
    let lines: Vec<String> = (0..5)
        .map(|n| {
            brute_force(
                &format!("9.{n}"),
                &format!("2024-05-01T10:0{n}:00.000+0000"),
                "203.0.113.5",
            )
        })
        .collect();
    let input = write_input(&env, "a.json", &lines);
    let (code, first) = ingest_json(&env, &[&input]);
    assert_eq!(code, Some(0));
    assert_eq!(first["summary"]["ingested"], 5);
    let id = first["summary"]["incidents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let file = env.incident_dir(&id).join("incident.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("phase = ", "phase = \"bogus\"\nold_phase = ", 1),
    )
    .unwrap();
    env.git(&["commit", "-qam", "break the incident"])
        .assert()
        .success();

    let (code, second) = ingest_json(&env, &[&input]);

    assert_eq!(code, Some(0));
    assert_eq!(second["summary"]["ingested"], 0);
    assert_eq!(second["summary"]["duplicates"], 5);
}

#[test]
fn ingest_dates_indicators_of_alerts_that_vary() {
    // One incident whose alerts name 100 accounts, out of time order: each account's first
    // and last sighting must be those of its own alerts.
    let env = Env::new();
    let mut expected: std::collections::BTreeMap<String, (String, String)> = Default::default();
    let mut lines = Vec::new();
    for number in 0..150u32 {
        let user = format!("user{}", number % 100);
        // Every second from 10:00:00 to 10:02:29 once, in a shuffled order.
        let second = number * 37 % 150;
        let time = format!("2024-05-01T10:{:02}:{:02}", second / 60, second % 60);
        let mut alert: Value = serde_json::from_str(&brute_force(
            &format!("7.{number}"),
            &format!("{time}.000+0000"),
            "203.0.113.5",
        ))
        .unwrap();
        alert["data"]["srcuser"] = Value::String(user.clone());
        lines.push(serde_json::to_string(&alert).unwrap());
        let time = format!("{time}Z");
        let seen = expected.entry(user).or_insert((time.clone(), time.clone()));
        seen.0 = seen.0.clone().min(time.clone());
        seen.1 = seen.1.clone().max(time);
    }
    let input = write_input(&env, "accounts.json", &lines);
    let (code, result) = ingest_json(&env, &[&input]);
    assert_eq!(code, Some(0));
    let incidents = result["summary"]["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0]["alerts"], 150);
    let id = incidents[0]["id"].as_str().unwrap();

    let iocs: Value =
        serde_json::from_str(&env.ok(&["--json", "ioc", "list", id, "--no-defang"])).unwrap();
    let accounts: std::collections::BTreeMap<String, (String, String)> = iocs
        .as_array()
        .unwrap()
        .iter()
        .filter(|ioc| ioc["type"] == "user_account")
        .map(|ioc| {
            let text = |key: &str| ioc[key].as_str().unwrap().to_string();
            (text("value"), (text("first_seen"), text("last_seen")))
        })
        .collect();
    assert_eq!(accounts, expected);
    let sources: Vec<&Value> = iocs
        .as_array()
        .unwrap()
        .iter()
        .filter(|ioc| ioc["type"] == "user_account")
        .map(|ioc| &ioc["sources"])
        .collect();
    let only_srcuser = serde_json::json!(["alert field data.srcuser"]);
    assert!(
        sources.iter().all(|list| **list == only_srcuser),
        "{sources:?}"
    );

    let timeline: Value =
        serde_json::from_str(&env.ok(&["--json", "timeline", "list", id])).unwrap();
    let summary = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["source"] == "casefile ingest")
        .expect("a summary entry");
    let text = summary["text"].as_str().unwrap();
    // The first alert has an entry of its own, and the summary counts and dates the others.
    assert!(
        text.starts_with(
            "149 more Wazuh alerts (rule 5712 x149) between 2024-05-01T10:00:01Z and \
             2024-05-01T10:02:29Z"
        ),
        "{text}"
    );
}

#[test]
fn ingest_records_first_alert_indicators_once() {
    let env = Env::new();
    let input = write_input(
        &env,
        "one.json",
        &[brute_force(
            "9.1",
            "2024-05-01T10:00:00.000+0000",
            "203.0.113.5",
        )],
    );
    let (code, output) = ingest_json(&env, &[&input]);
    assert_eq!(code, Some(0));
    let id = output["summary"]["incidents"][0]["id"].as_str().unwrap();

    let mut seen = std::collections::BTreeSet::new();
    for record in env.records(id, "iocs") {
        let table: toml::Table = env.read(&record).parse().unwrap();
        let key = (table["type"].to_string(), table["value"].to_string());
        assert!(seen.insert(key.clone()), "{key:?} recorded twice");
    }
    assert!(!seen.is_empty());
}

#[test]
fn ingest_names_the_text_alerts_log_format() {
    let env = Env::new();
    let input = env.home.path().join("alerts.log");
    std::fs::write(&input, "** Alert 1571166477.30198: - syslog,sshd,invalid_login,\n2019 Oct 15 19:07:57 linux-agent->/var/log/auth.log\n").unwrap();
    let before = env.snapshot();
    let error = env.fails(&["ingest", input.to_str().unwrap()]);
    assert!(error.contains("plain-text alerts.log format"), "{error}");
    assert!(error.contains("alerts.json"), "{error}");
    assert_eq!(env.snapshot(), before);
}

#[cfg(unix)]
#[test]
fn ingest_interrupted_by_ctrl_c_leaves_repository_unchanged() {
    use std::io::Write;
    use std::process::Stdio;

    let env = Env::new();
    let before = env.snapshot();
    let mut child = env
        .casefile_process(&["ingest", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let first = brute_force("9.1", "2024-05-01T10:00:00.000+0000", "203.0.113.5");
    writeln!(stdin, "{first}").unwrap();
    stdin.flush().unwrap();
    // The first alert opens an incident while the rest of the input is still to come.
    let incidents = env.repo.join("incidents");
    let opened = || {
        std::fs::read_dir(&incidents)
            .unwrap()
            .filter(|entry| {
                !entry
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .count()
    };
    let started = std::time::Instant::now();
    while opened() == 0 {
        assert!(started.elapsed().as_secs() < 30, "no incident was opened");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let signal = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    let second = brute_force("9.2", "2024-05-01T10:01:00.000+0000", "203.0.113.5");
    writeln!(stdin, "{second}").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(opened(), 0);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn ingest_skips_same_id_in_another_minute() {
    let env = Env::new();
    let first = brute_force("1714557600.2", "2024-05-01T10:00:00.000+0000", "192.0.2.46");
    let later = brute_force("1714557600.2", "2024-05-01T10:05:00.000+0000", "192.0.2.46");
    let both = write_input(&env, "both.json", &[first.clone(), later.clone()]);
    let (code, result) = ingest_json(&env, &["--dry-run", &both]);
    assert_eq!(code, Some(0));
    assert_eq!(result["summary"]["ingested"], 1);
    assert_eq!(result["summary"]["duplicates"], 1);

    // The same across two runs.
    let one = write_input(&env, "one.json", &[first]);
    let two = write_input(&env, "two.json", &[later]);
    ingest_json(&env, &[&one]);
    let (code, result) = ingest_json(&env, &[&two]);
    assert_eq!(code, Some(0));
    assert_eq!(result["summary"]["ingested"], 0);
    assert_eq!(result["summary"]["duplicates"], 1);
}

#[cfg(unix)]
#[test]
fn ingest_writes_nothing_through_linked_directories() {
    let env = Env::new();
    let lines: Vec<String> = (0..3)
        .map(|n| {
            brute_force(
                &format!("1714557600.{n}"),
                &format!("2024-05-01T10:00:0{n}.000+0000"),
                "192.0.2.47",
            )
        })
        .collect();
    let input = write_input(&env, "first.json", &lines);
    let (_, result) = ingest_json(&env, &[&input]);
    let id = result["summary"]["incidents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A pull request moves the evidence out and links to it.
    let outside = env.home.path().join("outside");
    let evidence = env.incident_dir(&id).join("evidence");
    std::fs::rename(&evidence, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &evidence).unwrap();
    env.git(&["add", "-A"]).assert().success();
    env.git(&["commit", "-qm", "link evidence"])
        .assert()
        .success();
    let before: Vec<_> = std::fs::read_dir(&outside).unwrap().collect();

    let more = write_input(
        &env,
        "more.json",
        &[brute_force(
            "1714557610.9",
            "2024-05-01T10:00:10.000+0000",
            "192.0.2.47",
        )],
    );
    let output = env.run(&["ingest", &more]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    let after: Vec<_> = std::fs::read_dir(&outside).unwrap().collect();
    assert_eq!(
        after.len(),
        before.len(),
        "nothing written through the link"
    );

    let timeline = env.incident_dir(&id).join("timeline");
    let outside_timeline = env.home.path().join("outside-timeline");
    std::fs::rename(&timeline, &outside_timeline).unwrap();
    std::os::unix::fs::symlink(&outside_timeline, &timeline).unwrap();
    let count = std::fs::read_dir(&outside_timeline).unwrap().count();
    let stderr = env.fails(&["timeline", "add", &id, "Analyst note"]);
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_dir(&outside_timeline).unwrap().count(), count);
}

#[test]
fn ingest_warns_of_unreadable_index_lines() {
    let env = Env::new();
    let lines: Vec<String> = (0..4)
        .map(|n| {
            brute_force(
                &format!("1714557600.{n}"),
                &format!("2024-05-01T10:00:0{n}.000+0000"),
                "192.0.2.48",
            )
        })
        .collect();
    let input = write_input(&env, "alerts.json", &lines);
    let (_, result) = ingest_json(&env, &[&input]);
    let id = result["summary"]["incidents"][0]["id"].as_str().unwrap();
    let index = batch_index(&env, id);
    let text = std::fs::read_to_string(&index).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // The second line replaced, and a byte that is not UTF-8 in the third line's id.
    let third = lines[2].replacen("\t1714557600.3\t", "\t1714557600.\u{1}\t", 1);
    let mut edited = format!("{}\ngarbage\n{third}\n", lines[0]).into_bytes();
    let bad = edited.iter().position(|byte| *byte == 1).unwrap();
    edited[bad] = 0xff;
    std::fs::write(&index, edited).unwrap();
    env.git(&["commit", "-qam", "edit the index"])
        .assert()
        .success();

    let output = env.run(&["--json", "ingest", &input]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let name = index.file_name().unwrap().to_str().unwrap();
    assert!(
        stderr.contains(&format!("{name} line 2 and 1 more is not an index line")),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["summary"]["duplicates"], 2, "{result}");
    assert_eq!(result["summary"]["ingested"], 2, "{result}");
}

#[cfg(unix)]
#[test]
fn ingest_past_file_size_limit_rolls_back() {
    let env = Env::new();
    let lines: Vec<String> = (0..300)
        .map(|n| {
            brute_force(
                &format!("1714557600.{n}"),
                &format!("2024-05-01T10:00:00.{n:03}+0000"),
                "192.0.2.49",
            )
        })
        .collect();
    let input = write_input(&env, "large.json", &lines);
    let before = env.snapshot();

    // A limit of 100 blocks (51,200 bytes in sh) is below the batch's size.
    let casefile = assert_cmd::cargo::cargo_bin("casefile");
    let pinned = env.casefile_process(&[]);
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 100; exec \"$0\" \"$@\"")
        .arg(&casefile)
        .args(["ingest", &input])
        .current_dir(&env.repo)
        .env_clear()
        .envs(
            pinned
                .get_envs()
                .filter_map(|(key, value)| Some((key, value?))),
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("File too large"), "{stderr}");
    assert_eq!(env.snapshot(), before);

    let pack_dir = env.repo.join(".git/objects/pack");
    let leftovers: Vec<_> = std::fs::read_dir(&pack_dir)
        .map(|entries| entries.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(
        leftovers
            .iter()
            .all(|name| !name.to_string_lossy().starts_with("tmp_")),
        "{leftovers:?}"
    );
}
