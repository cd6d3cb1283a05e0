//! Reports rendered from incidents whose fields carry attacker-controlled markup: nothing in
//! the HTML is live, every value is still shown, and Markdown table rows keep their shape.

mod common;

use common::Env;
use regex::Regex;

/// Values an attacker can put into alert fields, log lines, user agents or file names.
const HOSTILE: &[&str] = &[
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    "<javascript:alert(document.cookie)>",
    "\"><svg onload=alert(1)>",
    "x\" onmouseover=\"alert(1)",
    "![p](data:text/html;base64,PHNjcmlwdD4=)",
    "[ref]: javascript:alert(1)",
    "&lt;b&gt; &#x6A;avascript:",
    "a | b | c",
    "line one\nline two | still",
    "|",
    "a\\|b",
    "`code` with ``` fences and <b>bold</b>",
    "invoice\u{202E}fdp.exe",
];

/// Returns `value` as it must appear in the HTML: escaped, with bidi controls made visible and
/// line breaks shown as ⏎.
fn visible_html(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\u{202E}', "[U+202E]")
        .replace('\n', " ⏎ ")
}

/// Opens an incident and puts every hostile value into the title, summary, impact, verdict
/// reason, timeline, actions and indicators.
fn hostile_incident(env: &Env) -> String {
    let id = env.open(HOSTILE[0]);
    env.ok(&["summary", &id, &HOSTILE.join("\n")]);
    env.ok(&["classify", &id, "--impact", HOSTILE[1], "--attack", "T1110"]);
    for (index, value) in HOSTILE.iter().enumerate() {
        env.ok(&["timeline", "add", &id, value]);
        env.ok(&["action", "add", &id, "other", value, "--note", value]);
        env.write_ioc(
            &id,
            &format!("20260302-090000-{index:06}"),
            "file_name",
            value,
            None,
        );
    }
    id
}

fn assert_nothing_live(html: &str) {
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "a script tag is live");
    assert!(!lower.contains("<img"), "an image is live");
    assert!(!lower.contains("<svg"), "an svg is live");
    let handler = Regex::new(r"(?i)<[a-z][^>]*\son[a-z]+\s*=").unwrap();
    assert!(
        handler.find(html).is_none(),
        "an event handler is live: {:?}",
        handler.find(html)
    );
    let link = Regex::new(r#"(?i)(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):"#).unwrap();
    assert!(link.find(html).is_none(), "a script link is live");
    assert!(
        !html.contains('\u{202E}'),
        "a raw right-to-left override remains"
    );
}

#[test]
fn html_report_keeps_hostile_values_inert() {
    let env = Env::new();
    let id = hostile_incident(&env);
    let html = env.report(&id, &["--format", "html"]);
    assert_nothing_live(&html);
}

#[test]
fn html_report_shows_every_hostile_value() {
    let env = Env::new();
    let id = hostile_incident(&env);
    let html = env.report(&id, &["--format", "html"]);
    for value in HOSTILE {
        let expected = visible_html(value);
        assert!(
            html.contains(&expected),
            "{value:?} not shown as {expected:?}"
        );
    }
}

#[test]
fn html_report_flags_bidi_override() {
    let env = Env::new();
    let id = hostile_incident(&env);
    let html = env.report(&id, &["--format", "html"]);
    assert!(html.contains("possible masquerade"));
    assert!(html.contains("invoice[U+202E]fdp.exe"));
}

#[test]
fn report_leaves_arabic_and_hebrew_alone() {
    let env = Env::new();
    let id = env.open("Login from a new country");
    let text = "المستخدم أحمد logged in as שלום";
    env.ok(&["timeline", "add", &id, text]);
    let markdown = env.report(&id, &[]);
    assert!(markdown.contains(text));
    assert!(!markdown.contains("possible masquerade"));
}

#[test]
fn html_report_unlinks_template_links() {
    let env = Env::new();
    let id = env.open("Template override");
    let templates = env.repo.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("report.md"),
        "# {{ id }}\n\n[x](javascript:alert(1)) [y](data:text/html,z) ![i](data:image/png;base64,AA)\n",
    )
    .unwrap();
    let html = env.report(&id, &["--format", "html"]);
    assert_nothing_live(&html);
    assert!(!html.contains("<a "), "{html}");
}

/// Splits a Markdown table row into cells the way GitHub-flavored Markdown does: at every `|`
/// not escaped by a backslash, code spans included.
fn cell_count(row: &str) -> usize {
    let mut count: usize = 0;
    let mut chars = row.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '|' => count += 1,
            _ => {}
        }
    }
    count.saturating_sub(1)
}

#[test]
fn markdown_table_rows_keep_column_count() {
    let env = Env::new();
    let id = hostile_incident(&env);
    let markdown = env.report(&id, &[]);
    let mut header_cells = None;
    let mut rows_checked = 0;
    for line in markdown.lines() {
        if !line.starts_with('|') {
            header_cells = None;
            continue;
        }
        let cells = cell_count(line);
        match header_cells {
            None => header_cells = Some(cells),
            Some(expected) => {
                assert_eq!(
                    cells, expected,
                    "row has {cells} cells, not {expected}: {line}"
                );
                rows_checked += 1;
            }
        }
    }
    assert!(
        rows_checked > HOSTILE.len() * 3,
        "only {rows_checked} rows checked"
    );
}

#[test]
fn report_keeps_long_values_whole() {
    let env = Env::new();
    let id = env.open("Long user agent");
    let agent = format!("Mozilla/5.0 {}", "A".repeat(20_000));
    env.ok(&["timeline", "add", &id, &agent]);
    let markdown = env.report(&id, &[]);
    assert!(markdown.contains(&agent));
    let html = env.report(&id, &["--format", "html"]);
    assert!(html.contains(&agent));
}

#[test]
fn report_marks_control_characters() {
    let env = Env::new();
    let id = env.open("Terminal escape in a log line");
    env.ok(&[
        "timeline",
        "add",
        &id,
        "user \u{1b}[31mroot\u{7} zero\u{200B}width",
    ]);
    let html = env.report(&id, &["--format", "html"]);
    assert!(html.contains("user [U+001B][31mroot[U+0007] zero[U+200B]width"));
    assert!(!html.contains('\u{1b}'));
}

/// Replaces `path` with a symbolic link to a file outside the repository that contains a
/// secret, as a pull request can, and returns the secret.
#[cfg(unix)]
fn link_to_secret(env: &Env, path: &std::path::Path) -> &'static str {
    let secret = "BEGIN OPENSSH PRIVATE KEY runner-secret";
    let outside = env.home.path().join("id_ed25519");
    std::fs::write(&outside, format!("{secret}\n")).unwrap();
    let _ = std::fs::remove_file(path);
    std::os::unix::fs::symlink(&outside, path).unwrap();
    secret
}

#[cfg(unix)]
#[test]
fn report_refuses_linked_notes() {
    let env = Env::new();
    let id = env.open("SSH brute force on web-01");
    let notes = env.incident_dir(&id).join("notes.md");
    let secret = link_to_secret(&env, &notes);
    let output = env.run(&["report", &id, "-o", "-"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("notes.md` is a symbolic link"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(secret));
    assert!(!stderr.contains(secret));
}

#[cfg(unix)]
#[test]
fn commands_refuse_linked_records_and_settings() {
    let env = Env::new();
    let id = env.open("SSH brute force on web-01");
    env.ok(&["timeline", "add", &id, "First failed login"]);
    let timeline = env.incident_dir(&id).join("timeline");
    let record = std::fs::read_dir(&timeline)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .next()
        .unwrap();
    let secret = link_to_secret(&env, &record);
    let stderr = env.fails(&["show", &id]);
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert!(!stderr.contains(secret));

    // A TOML error quotes the line it failed on, so the settings are not read through a link.
    let secret = link_to_secret(&env, &env.repo.join("casefile.toml"));
    let stderr = env.fails(&["list"]);
    assert!(
        stderr.contains("casefile.toml` is a symbolic link"),
        "{stderr}"
    );
    assert!(!stderr.contains(secret));
}
