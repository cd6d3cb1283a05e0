//! `casefile stats` on incidents with known phase times, with each figure checked.

mod common;

use common::Env;
use serde_json::Value;

/// Runs one casefile command at `time` (HH:MM on 2026-03-02, or a full RFC 3339 time).
fn at(env: &mut Env, time: &str, args: &[&str]) -> String {
    let time = if time.len() == 5 {
        format!("2026-03-02T{time}:00Z")
    } else {
        time.to_string()
    };
    env.at(&time).ok(args)
}

fn open_alert(env: &mut Env, time: &str, rule: &str, level: u64, alert_time: &str) -> String {
    let path = env.alert_file(rule, level, alert_time);
    at(env, time, &["open", "--alert", path.to_str().unwrap()])
        .trim()
        .to_string()
}

/// Builds three incidents:
/// - A, rule 100003, high: event 09:00, detected 09:30, owner 11:00, contained 12:30,
///   recovered 14:30, true positive;
/// - B, rule 5710, medium: detected 09:00, owner 10:00, false positive;
/// - C, rule 5710, low: detected 09:00, never acknowledged.
fn three_incidents(env: &mut Env) -> [String; 3] {
    let a = open_alert(env, "10:00", "100003", 12, "2026-03-02T09:30:00.000+0000");
    at(env, "10:05", &["advance", &a]);
    at(env, "11:00", &["take", &a]);
    let finding = ["timeline", "add", &a, "first probe", "--kind", "finding"];
    at(
        env,
        "11:05",
        &[&finding[..], &["--at", "2026-03-02T09:00:00Z"]].concat(),
    );
    at(env, "11:10", &["advance", &a]);
    at(env, "11:20", &["advance", &a]);
    at(
        env,
        "11:25",
        &["verdict", &a, "true-positive", "--reason", "confirmed"],
    );
    at(env, "11:30", &["advance", &a]);
    let classify = ["classify", &a, "--type", "brute-force", "--attack", "T1110"];
    at(
        env,
        "11:35",
        &[&classify[..], &["--impact", "none"]].concat(),
    );
    at(env, "11:40", &["advance", &a]);
    for (time, gate) in [
        ("12:30", "containment"),
        ("13:00", "eradication"),
        ("14:30", "recovery"),
    ] {
        at(
            env,
            time,
            &[
                "advance",
                &a,
                "--waive",
                gate,
                "--reason",
                "handled by hand",
            ],
        );
    }

    let b = open_alert(env, "10:00", "5710", 10, "2026-03-02T09:00:00.000+0000");
    at(env, "10:00", &["advance", &b]);
    at(env, "10:00", &["take", &b]);
    at(
        env,
        "10:10",
        &[
            "timeline",
            "add",
            &b,
            "scanner of the red team",
            "--kind",
            "finding",
        ],
    );
    at(env, "10:15", &["advance", &b]);
    at(env, "10:20", &["advance", &b]);
    at(
        env,
        "10:25",
        &[
            "verdict",
            &b,
            "false-positive",
            "--reason",
            "authorized scan",
        ],
    );

    let c = open_alert(env, "10:30", "5710", 3, "2026-03-02T09:00:00.000+0000");
    [a, b, c]
}

fn stats_json(env: &mut Env, extra: &[&str]) -> Value {
    let mut args = vec!["stats", "--json"];
    args.extend_from_slice(extra);
    let output = at(env, "2026-03-03T12:00:00Z", &args);
    serde_json::from_str(&output).expect("stats --json prints JSON")
}

fn metric<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["times"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn stats_counts_by_field() {
    let mut env = Env::new();
    three_incidents(&mut env);
    let stats = stats_json(&mut env, &[]);
    assert_eq!(stats["incidents"], 3);
    assert_eq!(stats["by_severity"]["high"], 1);
    assert_eq!(stats["by_severity"]["medium"], 1);
    assert_eq!(stats["by_severity"]["low"], 1);
    assert_eq!(stats["by_verdict"]["true-positive"], 1);
    assert_eq!(stats["by_verdict"]["false-positive"], 1);
    assert_eq!(stats["by_verdict"]["not determined"], 1);
    assert_eq!(stats["by_technique"]["T1110"], 3);
    assert_eq!(stats["by_type"]["brute-force"], 1);
    assert_eq!(stats["by_type"]["not set"], 2);
    assert_eq!(stats["by_phase"]["detection"], 1);
}

#[test]
fn stats_computes_mean_and_median_times() {
    let mut env = Env::new();
    three_incidents(&mut env);
    let stats = stats_json(&mut env, &[]);
    let mttd = metric(&stats, "MTTD");
    assert_eq!(mttd["incidents"], 3);
    assert_eq!(mttd["mean_seconds"], 600.0);
    assert_eq!(mttd["median_seconds"], 0.0);
    let mtta = metric(&stats, "MTTA");
    assert_eq!(mtta["incidents"], 2);
    assert_eq!(mtta["mean_seconds"], 4500.0);
    assert_eq!(mtta["median_seconds"], 4500.0);
    let mttc = metric(&stats, "MTTC");
    assert_eq!(mttc["incidents"], 1);
    assert_eq!(mttc["mean_seconds"], 10800.0);
    let mttr = metric(&stats, "MTTR");
    assert_eq!(mttr["incidents"], 1);
    assert_eq!(mttr["median_seconds"], 18000.0);
    assert!(mttr["definition"]
        .as_str()
        .unwrap()
        .contains("end of recovery"));
}

#[test]
fn stats_lists_sla_breaches() {
    let mut env = Env::new();
    let [a, _, c] = three_incidents(&mut env);
    let stats = stats_json(&mut env, &[]);
    let breaches = stats["sla_breaches"].as_array().unwrap();
    assert_eq!(breaches.len(), 2, "{breaches:?}");
    let late = breaches
        .iter()
        .find(|b| b["incident"] == a.as_str())
        .unwrap();
    assert_eq!(late["target"], "acknowledge");
    assert_eq!(late["limit_hours"], 1.0);
    assert_eq!(late["actual_hours"], 1.5);
    assert_eq!(late["open"], false);
    let open = breaches
        .iter()
        .find(|b| b["incident"] == c.as_str())
        .unwrap();
    assert_eq!(open["target"], "acknowledge");
    assert_eq!(open["actual_hours"], 27.0);
    assert_eq!(open["open"], true);
}

#[test]
fn stats_rates_false_positives_per_rule() {
    let mut env = Env::new();
    three_incidents(&mut env);
    let stats = stats_json(&mut env, &[]);
    let rules = stats["rules"].as_array().unwrap();
    assert_eq!(rules[0]["rule_id"], "5710");
    assert_eq!(rules[0]["incidents"], 2);
    assert_eq!(rules[0]["false_positive"], 1);
    assert_eq!(rules[0]["undetermined"], 1);
    assert_eq!(rules[0]["false_positive_rate"], 1.0);
    assert_eq!(rules[1]["rule_id"], "100003");
    assert_eq!(rules[1]["false_positive_rate"], 0.0);
}

#[test]
fn stats_filters_by_date() {
    let mut env = Env::new();
    three_incidents(&mut env);
    assert_eq!(
        stats_json(&mut env, &["--since", "2026-03-03"])["incidents"],
        0
    );
    assert_eq!(
        stats_json(&mut env, &["--until", "2026-03-02"])["incidents"],
        3
    );
    assert_eq!(
        stats_json(&mut env, &["--until", "2026-03-02T09:15:00Z"])["incidents"],
        2
    );
}

#[test]
fn stats_table_defines_each_time() {
    let mut env = Env::new();
    three_incidents(&mut env);
    let table = at(&mut env, "2026-03-03T12:00:00Z", &["stats"]);
    assert!(table.contains("MTTD: mean time to detect"));
    assert!(table.contains("MTTA"));
    assert!(table.contains("1h 15m 0s"), "{table}");
    assert!(table.contains("(still open)"));
    assert!(table.contains("5710"));
}

#[test]
fn stats_rejects_invalid_date() {
    let env = Env::new();
    let stderr = env.fails(&["stats", "--since", "last tuesday"]);
    assert!(stderr.contains("last tuesday"), "{stderr}");
}
