//! An incident worked through every phase with the real binary, and the false-positive path.

mod common;

use common::Env;

#[test]
fn demo_builds_repository_with_complete_report() {
    let env = Env::bare();
    let target = env.home.path().join("demo");
    let output = env
        .casefile(&["demo", target.to_str().unwrap()])
        .current_dir(env.home.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let report_path = stdout.trim();
    assert!(report_path.ends_with("report.md"), "stdout: {stdout}");
    let report = std::fs::read_to_string(report_path).unwrap();
    for section in [
        "## Summary",
        "## Impact assessment",
        "## Timeline of events",
        "## Indicators of compromise",
        "## Actions taken",
        "## MITRE ATT&CK mapping",
        "## Verdict and severity",
        "## Durations",
    ] {
        assert!(report.contains(section), "report lacks {section}");
    }
    assert!(report.contains("| Credential Access | T1110.001 | Brute Force: Password Guessing |"));
    assert!(report.contains("phase **closed**"));
    assert!(report.contains("| Time to close |"));
}
