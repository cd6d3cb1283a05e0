//! `casefile doctor`: the readiness checklist on fresh, complete and broken repositories.

mod common;

use common::Env;
use serde_json::Value;

/// Runs `doctor --json` and returns the exit code and the items by check name.
fn doctor(env: &Env) -> (i32, Vec<Value>) {
    let output = env.run(&["--json", "doctor"]);
    let items: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor output is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (output.status.code().unwrap_or(-1), items)
}

fn item<'a>(items: &'a [Value], check: &str) -> &'a Value {
    items
        .iter()
        .find(|item| item["check"] == check)
        .unwrap_or_else(|| panic!("no {check} item in {items:#?}"))
}

#[test]
fn doctor_warns_on_fresh_repository() {
    let env = Env::new();
    let (code, items) = doctor(&env);
    assert_eq!(code, 0, "{items:#?}");
    assert_eq!(item(&items, "config")["status"], "ok");
    assert_eq!(item(&items, "templates")["status"], "ok");
    assert_eq!(item(&items, "playbooks")["status"], "ok");
    assert_eq!(item(&items, "attack")["status"], "ok");
    assert_eq!(item(&items, "identity")["status"], "ok");
    for check in ["roster", "workflow", "remote"] {
        assert_eq!(item(&items, check)["status"], "warning", "{check}");
    }
    let workflow = item(&items, "workflow")["message"].as_str().unwrap();
    assert!(workflow.contains("casefile init --github"), "{workflow}");
}

#[test]
fn doctor_passes_prepared_repository() {
    let env = Env::bare();
    env.casefile(&["init", "--github", "cases"])
        .current_dir(env.home.path())
        .assert()
        .success();
    let config = env.read("casefile.toml");
    env.write(
        "casefile.toml",
        &format!(
            "{config}\n[[analysts]]\nname = \"Alice Analyst\"\nemail = \"alice@example.org\"\n"
        ),
    );
    env.write(
        "playbooks/brute-force.toml",
        "[containment]\nrequired = [\"block-ip\"]\n",
    );
    common::git_stdout(
        &env,
        &[
            "remote",
            "add",
            "origin",
            "https://git.example.org/soc/cases.git",
        ],
    );
    let (code, items) = doctor(&env);
    assert_eq!(code, 0, "{items:#?}");
    for item in &items {
        assert_eq!(item["status"], "ok", "{item}");
    }
}

#[test]
fn doctor_fails_on_broken_playbook() {
    let env = Env::new();
    env.write(
        "playbooks/malware.toml",
        "[containment]\nrequired = [\"nuke-from-orbit\"]\n",
    );
    let (code, items) = doctor(&env);
    assert_eq!(code, 1);
    let playbooks = item(&items, "playbooks");
    assert_eq!(playbooks["status"], "error");
    let message = playbooks["message"].as_str().unwrap();
    assert!(message.contains("malware.toml"), "{message}");
    assert!(message.contains("nuke-from-orbit"), "{message}");
}

#[test]
fn doctor_fails_on_attack_version_mismatch() {
    let env = Env::new();
    let config = env.read("casefile.toml");
    let pinned = format!("version = \"{}\"", casefile::attack::ATTACK_VERSION);
    env.replace("casefile.toml", &pinned, "version = \"9.0\"");
    assert!(env.read("casefile.toml") != config);
    let (code, items) = doctor(&env);
    assert_eq!(code, 1);
    let attack = item(&items, "attack");
    assert_eq!(attack["status"], "error");
    assert!(attack["message"]
        .as_str()
        .unwrap()
        .contains("pins ATT&CK 9.0"));
}

#[test]
fn doctor_fails_on_broken_template() {
    let env = Env::new();
    env.write("templates/report.md", "{% if %}\n");
    let (code, items) = doctor(&env);
    assert_eq!(code, 1);
    let templates = item(&items, "templates");
    assert_eq!(templates["status"], "error");
    assert!(templates["message"].as_str().unwrap().contains("report.md"));
}

#[test]
fn doctor_prints_checklist() {
    let env = Env::new();
    let stdout = env.ok(&["doctor"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 8, "{stdout}");
    assert!(
        lines[0].starts_with("ok       config     casefile.toml is valid"),
        "{stdout}"
    );
    assert!(lines[1].starts_with("warning  roster "), "{stdout}");
}

#[test]
fn init_github_writes_workflow_and_codeowners() {
    let env = Env::bare();
    env.casefile(&["init", "--github", "cases"])
        .current_dir(env.home.path())
        .assert()
        .success();
    let workflow = env.read(".github/workflows/casefile.yml");
    assert!(
        workflow.contains("permissions:\n  contents: read"),
        "{workflow}"
    );
    assert!(workflow.contains("casefile check --base \"origin/$BASE_REF\" --format github"));
    assert!(workflow.contains("casefile report --all --since \"origin/$BASE_REF\" --out rendered"));
    for line in workflow.lines().filter(|line| line.contains("uses:")) {
        let reference = line.split('@').nth(1).unwrap_or_default();
        let sha = reference.split_whitespace().next().unwrap_or_default();
        assert_eq!(sha.len(), 40, "action not pinned to a commit SHA: {line}");
    }
    let codeowners = env.read(".github/CODEOWNERS.example");
    assert!(
        codeowners.contains("/incidents/*/incident.toml"),
        "{codeowners}"
    );
    let tracked = common::git_stdout(&env, &["ls-files", ".github"]);
    assert_eq!(
        tracked,
        ".github/CODEOWNERS.example\n.github/workflows/casefile.yml"
    );
}
