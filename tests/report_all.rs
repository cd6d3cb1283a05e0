//! `casefile report --all`: every incident, or those changed since a revision, rendered into
//! a directory with an index, without touching the repository.

mod common;

use common::Env;

#[test]
fn report_all_renders_every_incident() {
    let env = Env::new();
    let first = env.open("First <b>incident</b>");
    let second = env.open("Second | incident");
    let before = env.snapshot();
    let out = env.home.path().join("site");
    let stdout = env.ok(&["report", "--all", "--out", out.to_str().unwrap()]);
    assert!(stdout.trim().ends_with("index.md"), "{stdout}");
    assert!(out.join(format!("{first}.md")).is_file());
    assert!(out.join(format!("{second}.md")).is_file());
    let index = std::fs::read_to_string(out.join("index.md")).unwrap();
    assert!(index.contains(&format!("[{first}]({first}.md)")), "{index}");
    assert!(index.contains("Second \\| incident"), "{index}");
    assert!(index.contains("| detection |"), "{index}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn report_all_since_renders_changed_only() {
    let env = Env::new();
    let old = env.open("Old");
    let base = env.head();
    let new = env.open("New");
    let out = env.home.path().join("changed");
    env.ok(&[
        "report",
        "--all",
        "--out",
        out.to_str().unwrap(),
        "--since",
        &base,
    ]);
    assert!(out.join(format!("{new}.md")).is_file());
    assert!(!out.join(format!("{old}.md")).exists());
}

#[test]
fn report_all_html_has_index_page() {
    let env = Env::new();
    let id = env.open("<script>alert(1)</script>");
    let out = env.home.path().join("html");
    env.ok(&[
        "report",
        "--all",
        "--format",
        "html",
        "--out",
        out.to_str().unwrap(),
    ]);
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains(&format!("<a href=\"{id}.html\">{id}</a>")),
        "{index}"
    );
    assert!(!index.contains("<script"), "{index}");
    let report = std::fs::read_to_string(out.join(format!("{id}.html"))).unwrap();
    assert!(!report.contains("<script"));
}

#[test]
fn report_all_rejects_tracked_output_dir() {
    let env = Env::new();
    env.open("Any");
    let before = env.snapshot();
    let stderr = env.fails(&["report", "--all", "--out", "site"]);
    assert!(stderr.contains("inside the case repository"), "{stderr}");
    assert!(!env.repo.join("site").exists());
    assert_eq!(env.snapshot(), before);
}

#[test]
fn report_all_rejects_unknown_revision() {
    let env = Env::new();
    let out = env.home.path().join("x");
    let stderr = env.fails(&[
        "report",
        "--all",
        "--out",
        out.to_str().unwrap(),
        "--since",
        "nope",
    ]);
    assert!(stderr.contains("nope"), "{stderr}");
}
