//! Rendering of the final report and the lessons-learned document from built-in Tera
//! templates, which a same-named file in the case repository's `templates/` overrides.

pub mod batch;
pub mod text;
pub mod view;

use std::path::Path;

use sha2::{Digest, Sha256};
use tera::Tera;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::incident::Incident;
use crate::tlp::Tlp;

pub use view::ReportView;

/// Directory of template overrides under the repository root.
pub const TEMPLATES_DIR: &str = "templates";
pub const REPORT_FILE: &str = "report.md";
pub const REPORT_HTML_FILE: &str = "report.html";
pub const LESSONS_FILE: &str = "lessons.md";
/// Template of the index page that `report --all` writes beside the reports.
pub const INDEX_TEMPLATE: &str = "index.md";

/// The marker line that records which data a document was rendered from.
const DIGEST_MARKER: &str = "casefile-digest: sha256:";

/// Built-in templates, by file name.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("report.md", include_str!("../../templates/report.md")),
    ("lessons.md", include_str!("../../templates/lessons.md")),
    ("report.html", include_str!("../../templates/report.html")),
    ("index.md", include_str!("../../templates/index.md")),
];

/// A document kind casefile renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Report,
    Lessons,
}

impl Document {
    pub fn template(self) -> &'static str {
        match self {
            Document::Report => "report.md",
            Document::Lessons => "lessons.md",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Document::Report => REPORT_FILE,
            Document::Lessons => LESSONS_FILE,
        }
    }
}

/// Whether a rendered document in the incident directory matches the incident's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Missing,
    Stale,
    Current,
}

/// The template set of one case repository.
pub struct Renderer {
    tera: Tera,
    sources: Vec<(String, String)>,
}

impl Renderer {
    /// Loads the built-in templates and the repository's overrides.
    pub fn new(root: &Path) -> Result<Self> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        register_filters(&mut tera);
        let mut sources = Vec::new();
        for (name, built_in) in BUILT_IN {
            let override_path = root.join(TEMPLATES_DIR).join(name);
            let source = if override_path.is_file() {
                crate::incident::read_case_file(&override_path)?
            } else {
                built_in.to_string()
            };
            tera.add_raw_template(name, &source)
                .map_err(|error| template_error(name, &error))?;
            sources.push((name.to_string(), source));
        }
        Ok(Renderer { tera, sources })
    }

    /// Renders `document` for `incident` as Markdown, with the footer naming `commit`.
    pub fn render_markdown(
        &self,
        document: Document,
        incident: &Incident,
        config: &Config,
        tlp: Option<Tlp>,
        commit: Option<&str>,
    ) -> Result<String> {
        let view = view::build(incident, config, tlp);
        let digest = self.digest(document, &view)?;
        self.render_view(document, &view, &digest, commit)
    }

    /// Renders the report as a standalone HTML page: the Markdown report through
    /// [`markdown_to_html`] inside the `report.html` template.
    pub fn render_html(
        &self,
        incident: &Incident,
        config: &Config,
        tlp: Option<Tlp>,
        commit: Option<&str>,
    ) -> Result<String> {
        let view = view::build(incident, config, tlp);
        let digest = self.digest(Document::Report, &view)?;
        let markdown = self.render_view(Document::Report, &view, &digest, commit)?;
        let title = format!("{} {}", view.id, text::make_visible(&view.title));
        self.wrap_html(&title, &view.tlp, &markdown_to_html(&markdown), &digest)
    }

    /// Puts an HTML body into the `report.html` page, whose template escapes the title.
    pub fn wrap_html(&self, title: &str, tlp: &str, body: &str, digest: &str) -> Result<String> {
        let mut context = tera::Context::new();
        context.insert("title", title);
        context.insert("tlp", tlp);
        context.insert("body", body);
        context.insert("digest", digest);
        self.render_with(REPORT_HTML_FILE, &context)
    }

    fn render_view(
        &self,
        document: Document,
        view: &ReportView,
        digest: &str,
        commit: Option<&str>,
    ) -> Result<String> {
        let mut context = tera::Context::from_serialize(view)
            .map_err(|error| template_error(document.template(), &error))?;
        context.insert("digest", digest);
        context.insert(
            "commit",
            &commit.map(|c| c.chars().take(12).collect::<String>()),
        );
        context.insert("version", env!("CARGO_PKG_VERSION"));
        let markdown = self
            .tera
            .render(document.template(), &context)
            .map_err(|error| template_error(document.template(), &error))?;
        Ok(markdown.trim_start().to_string())
    }

    /// Returns the digest of the data and template behind a document.
    fn digest(&self, document: Document, view: &ReportView) -> Result<String> {
        let data = serde_json::to_vec(view).map_err(|source| Error::Json {
            context: "the report view".into(),
            source,
        })?;
        let mut hasher = Sha256::new();
        hasher.update(&data);
        if let Some((_, source)) = self
            .sources
            .iter()
            .find(|(name, _)| name == document.template())
        {
            hasher.update(source.as_bytes());
        }
        Ok(hex(&hasher.finalize()))
    }

    /// Tells whether the document in the incident's directory matches its current data.
    pub fn freshness(
        &self,
        root: &Path,
        document: Document,
        incident: &Incident,
        config: &Config,
    ) -> Result<Freshness> {
        let path = root.join(&incident.dir).join(document.file_name());
        let Ok(existing) = std::fs::read_to_string(&path) else {
            return Ok(Freshness::Missing);
        };
        let view = view::build(incident, config, None);
        let digest = self.digest(document, &view)?;
        Ok(match recorded_digest(&existing) {
            Some(recorded) if recorded == digest => Freshness::Current,
            _ => Freshness::Stale,
        })
    }

    /// Renders a template with a caller-built context, for the index page and checks.
    pub fn render_with(&self, name: &str, context: &tera::Context) -> Result<String> {
        self.tera
            .render(name, context)
            .map_err(|error| template_error(name, &error))
    }
}

/// Returns the digest a rendered document records, if it has one.
pub fn recorded_digest(text: &str) -> Option<&str> {
    let start = text.find(DIGEST_MARKER)? + DIGEST_MARKER.len();
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Converts Markdown to HTML with comrak: GitHub tables and strikethrough, raw HTML shown as
/// text, no autolinks, and only `http`, `https`, `mailto` and relative links kept as links.
pub fn markdown_to_html(markdown: &str) -> String {
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.autolink = false;
    options.render.unsafe_ = false;
    options.render.escape = true;
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, &strip_digest_comment(markdown), &options);
    unlink_unsafe_urls(root);
    let mut html = Vec::new();
    // comrak's only errors come from the writer, and writing into a Vec does not fail.
    let _ = comrak::format_html(root, &options, &mut html);
    String::from_utf8_lossy(&html).into_owned()
}

/// Drops the digest comment line, which the HTML page records in its own comment.
fn strip_digest_comment(markdown: &str) -> String {
    markdown
        .lines()
        .filter(|line| !(line.starts_with("<!--") && line.contains(DIGEST_MARKER)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Replaces every link and image whose URL has a scheme other than `http`, `https` or
/// `mailto` by its text. Escaped values never form links, but an overriding template can,
/// and comrak's own filter lets `data:image/...` through.
fn unlink_unsafe_urls<'a>(root: &'a comrak::nodes::AstNode<'a>) {
    use comrak::nodes::NodeValue;
    let unsafe_nodes: Vec<_> = root
        .descendants()
        .filter(|node| match &node.data.borrow().value {
            NodeValue::Link(link) | NodeValue::Image(link) => !is_safe_url(&link.url),
            _ => false,
        })
        .collect();
    for node in unsafe_nodes {
        let children: Vec<_> = node.children().collect();
        for child in children {
            node.insert_before(child);
        }
        node.detach();
    }
}

/// Returns whether a URL is relative or uses `http`, `https` or `mailto`.
fn is_safe_url(url: &str) -> bool {
    let url = url.trim_start();
    let scheme_end = url.find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)));
    match scheme_end {
        Some(end) if url[end..].starts_with(':') => {
            let scheme = url[..end].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
        // Control characters and blanks are stripped by browsers and can hide a scheme.
        _ => !url.chars().any(|c| c.is_control() || c.is_whitespace()),
    }
}

fn register_filters(tera: &mut Tera) {
    tera.register_filter("md", string_filter(text::escape_inline));
    tera.register_filter("md_block", string_filter(text::escape_block));
    tera.register_filter("code", string_filter(text::code_span));
}

fn string_filter(
    function: fn(&str) -> String,
) -> impl Fn(&tera::Value, &std::collections::HashMap<String, tera::Value>) -> tera::Result<tera::Value>
{
    move |value, _| {
        let text = match value {
            tera::Value::String(text) => text.clone(),
            tera::Value::Null => String::new(),
            other => other.to_string(),
        };
        Ok(tera::Value::String(function(&text)))
    }
}

/// Turns a Tera error and its nested causes into one readable message.
fn template_error(name: &str, error: &dyn std::error::Error) -> Error {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    Error::Template {
        name: name.to_string(),
        message,
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_to_html_unlinks_script_urls() {
        let html = markdown_to_html("[a](javascript:alert(1)) [b](JavaScript:x) [c](vbscript:x)");
        assert!(!html.contains("<a"), "{html}");
        assert!(html.contains(">a<") || html.contains("a b c"), "{html}");
    }

    #[test]
    fn markdown_to_html_drops_data_images() {
        let html = markdown_to_html("![x](data:image/png;base64,AAAA) [y](data:text/html,x)");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<a"), "{html}");
    }

    #[test]
    fn markdown_to_html_keeps_web_and_relative_links() {
        let html = markdown_to_html("[a](https://example.org/) [b](IR-1.md)");
        assert!(
            html.contains("<a href=\"https://example.org/\">a</a>"),
            "{html}"
        );
        assert!(html.contains("<a href=\"IR-1.md\">b</a>"), "{html}");
    }

    #[test]
    fn markdown_to_html_shows_raw_html_as_text() {
        let html = markdown_to_html("<script>alert(1)</script>\n\n<div onclick=x>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn markdown_to_html_drops_digest_comment() {
        let html = markdown_to_html("text\n\n<!-- casefile-digest: sha256:abc -->\n");
        assert!(!html.contains("casefile-digest"), "{html}");
    }
}
