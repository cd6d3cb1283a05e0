//! Escaping of untrusted text for Markdown output, and visible marking of bidirectional
//! control characters that can disguise a value (a file name `invoice\u{202E}fdp.exe`).
//!
//! Every value in a report may come from an attacker (alert fields, log lines, user agents,
//! file names). The filters here turn it into Markdown that renders as the literal text, so no
//! raw HTML, link, autolink, entity reference, heading, list or table syntax takes effect.

/// Unicode bidirectional formatting characters (Unicode Standard Annex #9) and the Arabic
/// letter mark. Ordinary right-to-left letters are not in this list and pass unchanged.
const BIDI_CONTROLS: &[char] = &[
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

/// Shown in place of a line break inside a one-line value, such as a table cell.
const LINE_BREAK_MARK: &str = " ⏎ ";

/// Returns whether the text contains a bidirectional control character.
pub fn has_bidi_control(text: &str) -> bool {
    text.chars().any(|c| BIDI_CONTROLS.contains(&c))
}

/// Replaces bidirectional controls, zero-width characters and other invisible control
/// characters with a visible `[U+XXXX]` marker, so a reader sees them instead of their
/// effect. Line feeds and tabs are kept, and `\r\n` and a lone `\r` become `\n`.
pub fn make_visible(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut output = String::with_capacity(text.len());
    for c in text.chars() {
        let invisible = BIDI_CONTROLS.contains(&c)
            || (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}');
        if invisible {
            output.push_str(&format!("[U+{:04X}]", c as u32));
        } else {
            output.push(c);
        }
    }
    output
}

/// Escapes text so that Markdown shows it literally, keeping line breaks as hard breaks.
pub fn escape_block(text: &str) -> String {
    let visible = make_visible(text.trim_end());
    let lines: Vec<String> = visible.lines().map(escape_line).collect();
    lines.join("\\\n")
}

/// Escapes text for one line of Markdown, such as a table cell or list item: like
/// [`escape_block`], and with line breaks shown as ` ⏎ ` so that a row stays one row.
pub fn escape_inline(text: &str) -> String {
    let visible = make_visible(text.trim());
    let lines: Vec<String> = visible.lines().map(escape_line).collect();
    lines.join(LINE_BREAK_MARK)
}

/// Escapes one line. Leading blanks are dropped because four of them would start an indented
/// code block, and Markdown drops them from a paragraph line anyway.
fn escape_line(line: &str) -> String {
    let line = line.trim_start_matches([' ', '\t']);
    let mut output = String::with_capacity(line.len() + 8);
    for (index, c) in line.chars().enumerate() {
        // `&` would start an entity reference, `<` raw HTML or an autolink, `[` and `!` a link,
        // image or link reference definition, `|` a table cell, `$` math on GitHub, and the
        // rest emphasis, code or strikethrough.
        let special = matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '<'
                | '>'
                | '|'
                | '~'
                | '&'
                | '!'
                | '{'
                | '}'
                | '$'
        );
        let leading = index == 0 && matches!(c, '#' | '-' | '+' | '=' | ':');
        if special || leading {
            output.push('\\');
        }
        output.push(c);
    }
    escape_ordered_list_marker(&mut output);
    output
}

/// Escapes `1.` or `1)` at the start of a line, which would begin an ordered list item.
fn escape_ordered_list_marker(line: &mut String) {
    let Some(position) = line.find(['.', ')']) else {
        return;
    };
    let prefix = &line[..position];
    let marker_ends = line[position + 1..]
        .chars()
        .next()
        .is_none_or(char::is_whitespace);
    let digits =
        !prefix.is_empty() && prefix.len() <= 9 && prefix.bytes().all(|b| b.is_ascii_digit());
    if digits && marker_ends {
        line.insert(position, '\\');
    }
}

/// Wraps text in a Markdown code span that also works inside a table cell, with a fence
/// longer than any backtick run inside it.
///
/// A code span cannot escape anything, and GitHub-flavored tables split a row at every `|`
/// that is not preceded by a backslash, even inside a code span. So `|` is written as `\|`,
/// which the table parser turns back into `|`. A value in which a backslash precedes a pipe
/// cannot be written that way, so it is escaped as plain text instead.
pub fn code_span(text: &str) -> String {
    let visible = make_visible(text)
        .lines()
        .collect::<Vec<_>>()
        .join(LINE_BREAK_MARK);
    if visible.is_empty() {
        return String::new();
    }
    if visible.contains("\\|") {
        return escape_inline(&visible);
    }
    let visible = visible.replace('|', "\\|");
    let longest = visible.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // CommonMark strips one space from each end when both ends have one, and a backtick at
    // either end would merge with the fence.
    let pad = visible.starts_with('`')
        || visible.ends_with('`')
        || (visible.starts_with(' ') && visible.ends_with(' '));
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{visible}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown_to_html;

    /// Renders `cell` as the only cell of a one-column table and returns the HTML.
    fn table_html(cell: &str) -> String {
        markdown_to_html(&format!("| h |\n|---|\n| {cell} |\n"))
    }

    fn cell_count(html: &str) -> usize {
        html.matches("<td").count()
    }

    #[test]
    fn escape_inline_neutralizes_html_and_pipes() {
        let escaped = escape_inline("<script>alert(1)</script> | x");
        assert_eq!(escaped, "\\<script\\>alert(1)\\</script\\> \\| x");
    }

    #[test]
    fn escape_inline_joins_lines() {
        assert_eq!(escape_inline("a\nb"), "a ⏎ b");
        assert_eq!(escape_inline("a\r\nb\rc"), "a ⏎ b ⏎ c");
    }

    #[test]
    fn escape_block_escapes_heading_and_list() {
        assert_eq!(escape_block("# title\n1. item"), "\\# title\\\n1\\. item");
    }

    #[test]
    fn escape_block_drops_code_block_indent() {
        let html = markdown_to_html(&escape_block("    indented <b>"));
        assert!(!html.contains("<pre"), "{html}");
        assert!(html.contains("indented &lt;b&gt;"), "{html}");
    }

    #[test]
    fn make_visible_marks_right_to_left_override() {
        assert_eq!(
            make_visible("invoice\u{202E}fdp.exe"),
            "invoice[U+202E]fdp.exe"
        );
    }

    #[test]
    fn make_visible_marks_control_and_zero_width() {
        assert_eq!(make_visible("a\u{0007}b\u{200B}c"), "a[U+0007]b[U+200B]c");
    }

    #[test]
    fn make_visible_keeps_hebrew_and_arabic() {
        assert_eq!(make_visible("שלום"), "שלום");
        assert_eq!(make_visible("مرحبا"), "مرحبا");
    }

    #[test]
    fn escape_block_keeps_leading_ip() {
        assert_eq!(escape_block("192.168.1.1 was seen"), "192.168.1.1 was seen");
    }

    #[test]
    fn code_span_lengthens_fence() {
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`"), "`` ` ``");
    }

    #[test]
    fn code_span_of_empty_value_is_empty() {
        assert_eq!(code_span(""), "");
    }

    #[test]
    fn escaped_text_renders_no_markup() {
        let hostile = [
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<javascript:alert(1)>",
            "<https://evil.example>",
            "&lt;script&gt;",
            "&#x6A;avascript:",
            "[ref]: javascript:alert(1)",
            "![x](data:text/html;base64,PHNjcmlwdD4=)",
            "<!-- comment -->",
            "**bold** _em_ ~~del~~",
        ];
        for text in hostile {
            let html = markdown_to_html(&escape_block(text));
            assert!(!html.contains("<a"), "{text}: {html}");
            assert!(!html.contains("<img"), "{text}: {html}");
            assert!(!html.contains("<strong"), "{text}: {html}");
            assert!(!html.contains("<del"), "{text}: {html}");
            assert!(!html.contains("<!--"), "{text}: {html}");
        }
    }

    #[test]
    fn entity_reference_shows_literally() {
        let html = markdown_to_html(&escape_inline("&lt;b&gt; &amp;"));
        assert!(html.contains("&amp;lt;b&amp;gt; &amp;amp;"), "{html}");
    }

    #[test]
    fn table_cell_values_keep_one_cell() {
        let values = ["|", "a|b", "a\\|b", "\\", "a\\", "x\ny|z", "|||", "`|`"];
        for value in values {
            for cell in [escape_inline(value), code_span(value)] {
                let html = table_html(&cell);
                assert_eq!(cell_count(&html), 1, "{value:?} as {cell:?}: {html}");
            }
        }
    }

    #[test]
    fn code_span_of_pipe_shows_pipe() {
        let html = table_html(&code_span("|"));
        assert!(html.contains("<code>|</code>"), "{html}");
    }

    #[test]
    fn backslash_before_pipe_survives() {
        let html = table_html(&code_span("a\\|b"));
        assert!(html.contains("a\\|b"), "{html}");
    }

    #[test]
    fn code_span_escapes_html() {
        let html = table_html(&code_span("<script>x</script>`"));
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn long_value_is_not_cut() {
        let value = "A".repeat(100_000);
        assert!(escape_inline(&value).len() == 100_000);
        assert!(code_span(&value).contains(&value));
    }
}
