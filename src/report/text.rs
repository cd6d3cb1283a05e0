//! Escaping of untrusted text for Markdown output, and visible marking of bidirectional
//! control characters that can disguise a value (a file name `invoice\u{202E}fdp.exe`).

/// Unicode bidirectional formatting characters (Unicode Standard Annex #9) and the Arabic
/// letter mark. Ordinary right-to-left letters are not in this list and pass unchanged.
const BIDI_CONTROLS: &[char] = &[
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

/// Whether the text contains a bidirectional control character.
pub fn has_bidi_control(text: &str) -> bool {
    text.chars().any(|c| BIDI_CONTROLS.contains(&c))
}

/// Replaces bidirectional controls and other invisible control characters with a visible
/// `[U+XXXX]` marker, so a reader sees them instead of their effect.
pub fn make_visible(text: &str) -> String {
    let mut output = String::with_capacity(text.len());
    for c in text.chars() {
        let invisible = BIDI_CONTROLS.contains(&c)
            || (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}');
        if invisible {
            output.push_str(&format!("[U+{:04X}]", c as u32));
        } else {
            output.push(c);
        }
    }
    output
}

/// Escapes text so that Markdown shows it literally: no emphasis, link, image, raw HTML,
/// heading, list or table syntax takes effect. Line breaks are kept as hard breaks.
pub fn escape_block(text: &str) -> String {
    let visible = make_visible(text.trim_end());
    let lines: Vec<String> = visible.lines().map(escape_line).collect();
    lines.join("\\\n")
}

/// Escapes text for one line of Markdown, such as a table cell or list item: like
/// [`escape_block`], and also `|`, with line breaks shown as ` ⏎ ` so a row stays one row.
pub fn escape_inline(text: &str) -> String {
    let visible = make_visible(text.trim());
    let lines: Vec<String> = visible.lines().map(escape_line).collect();
    lines.join(" ⏎ ")
}

fn escape_line(line: &str) -> String {
    let mut output = String::with_capacity(line.len() + 8);
    for (index, c) in line.chars().enumerate() {
        let special = matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' | '{' | '}'
        );
        let leading = index == 0 && matches!(c, '#' | '-' | '+' | '=' | '>' | ':');
        if special || leading {
            output.push('\\');
        }
        output.push(c);
    }
    // "1. text" at the start of a line would become an ordered list item.
    if let Some(position) = output.find(['.', ')']) {
        let prefix = &output[..position];
        let marker_ends = output[position + 1..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace);
        let digits =
            !prefix.is_empty() && prefix.len() <= 9 && prefix.bytes().all(|b| b.is_ascii_digit());
        if digits && marker_ends {
            output.insert(position, '\\');
        }
    }
    output
}

/// Wraps text in a Markdown code span, with a fence longer than any backtick run inside it.
pub fn code_span(text: &str) -> String {
    let visible = make_visible(text)
        .replace(['\n', '\r'], " ")
        .replace('|', "\\|");
    let longest = visible.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if visible.starts_with('`') || visible.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{visible}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_inline_neutralizes_html_and_pipes() {
        let escaped = escape_inline("<script>alert(1)</script> | x");
        assert_eq!(escaped, "\\<script\\>alert(1)\\</script\\> \\| x");
    }

    #[test]
    fn escape_inline_joins_lines() {
        assert_eq!(escape_inline("a\nb"), "a ⏎ b");
    }

    #[test]
    fn escape_block_escapes_heading_and_list() {
        assert_eq!(escape_block("# title\n1. item"), "\\# title\\\n1\\. item");
    }

    #[test]
    fn make_visible_marks_right_to_left_override() {
        assert_eq!(
            make_visible("invoice\u{202E}fdp.exe"),
            "invoice[U+202E]fdp.exe"
        );
    }

    #[test]
    fn make_visible_keeps_hebrew() {
        assert_eq!(make_visible("שלום"), "שלום");
    }

    #[test]
    fn escape_block_keeps_leading_ip() {
        assert_eq!(escape_block("192.168.1.1 was seen"), "192.168.1.1 was seen");
    }

    #[test]
    fn code_span_lengthens_fence() {
        assert_eq!(code_span("a`b"), "``a`b``");
    }
}
