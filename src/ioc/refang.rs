//! Refanging (turning `hxxp://evil[.]com` back into `http://evil.com`) with a map from each
//! refanged byte to its source byte, and defanging for reports.

use std::sync::OnceLock;

use regex::Regex;

use super::canonical;
use super::tlds;
use super::IocType;

/// Schemes that defangers write in place of a real one, with the scheme each stands for.
const DEFANGED_SCHEMES: &[(&str, &str)] = &[
    ("fxle", "file"),
    ("fxp", "ftp"),
    ("fxps", "ftps"),
    ("ftx", "ftp"),
    ("h**p", "http"),
    ("h**ps", "https"),
    ("h__p", "http"),
    ("h__ps", "https"),
    ("htxp", "http"),
    ("htxps", "https"),
    ("hxtp", "http"),
    ("hxtps", "https"),
    ("hxxp", "http"),
    ("hxxps", "https"),
    ("hxxxp", "http"),
    ("hxxxps", "https"),
    ("sfxp", "sftp"),
    ("xxxx", "http"),
    ("xxxxs", "https"),
    ("xxxxx", "https"),
    ("xxxxxs", "https"),
];

/// Words after ` dot ` that are top-level domains but far more often ordinary English, so
/// `meet at the dot to` stays prose.
const ENGLISH_WORDS: &[&str] = &[
    "a", "am", "an", "and", "are", "as", "at", "be", "by", "do", "for", "go", "he", "if", "in",
    "is", "it", "me", "my", "no", "not", "of", "on", "or", "so", "the", "to", "up", "us", "we",
];

/// The compiled refang patterns, built once per process.
struct Patterns {
    /// Every defang form; the handler decides from the matched text what it stands for.
    defang: Regex,
    /// A defang form that shows the author defanged on purpose, so looser forms in the same
    /// token are refanged too.
    strong_marker: Regex,
    /// A host written with spaces before its dots after a scheme, as in `http://example .com`.
    spaced_host: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let defanged_schemes = r"hxxps?|hxxxps?|h\*\*ps?|h__ps?|hxtps?|htxps?|x{4,5}s?|fxps?|ftx|sfxp|fxle";
        let plain_schemes =
            r"https?|ftps?|sftp|file|tcp|udp|wss?|smb|ssh|telnet|rdp|ldaps?|irc|git|svn|rtsp|mms";
        let any_separator = r"[ \t]*(?:\[://\]|\(://\)|(?:\[:\]|\(:\)|\{:\}|:)?[ \t]*(?:/{2,3}|\\{2}|\[/\]\[/\]|\[//\]|\(/\)\(/\)))";
        let odd_separator = r"(?:\[://\]|\(://\)|(?:\[:\]|\(:\)|\{:\})[ \t]*(?:/{2,3}|\\{2})|[ \t]+:?[ \t]*/{2,3}|:__|:\\{2}|:/{3}|//|://[ \t]+)";
        let alternatives = [
            // hxxp://, [hxxp]://, hXXps[:]//, fxp://
            format!(r"[\[\(]?(?-u:\b)(?:{defanged_schemes})[\]\)]?{any_separator}"),
            // [http]://, http]://
            format!(r"(?:[\[\(](?-u:\b)(?:{plain_schemes})[\]\)]|(?-u:\b)(?:{plain_schemes})[\]\)]){any_separator}"),
            // http[:]//, http ://, http//, http:///, https:__ and http:// followed by a space
            format!(r"(?-u:\b)(?:{plain_schemes}){odd_separator}"),
            // http://example .com, a host with a space before its dot
            format!(r"(?-u:\b)(?:{plain_schemes})://[\w-]+(?:\.[\w-]+)*[ \t]+\."),
            // [.], (.), {.}, [dot], (at), [@], ].[, with the spaces around them
            r"[ \t]*\\?[\[\(\{\]\)\}][\[\(\{ \t]*(?:\.|dot|punkt|punto|@|at|et|arroba)[\]\)\} \t]*\\?[\]\)\}\[\(\{][ \t]*".to_string(),
            // fooDOT]com, fooat]bar.com: a word and a closing bracket glued into a name
            r"(?-u:\B)(?:dot|punkt|punto|at|et|arroba)[\]\)\}](?-u:\b)".to_string(),
            // [:], [://], [/], [,], [-], [www]
            r"\\?[\[\(\{](?:://|::|:|//|/|,|-|www)\\?[\]\)\}]".to_string(),
            // one-sided brackets around a dot: [. or .) (only in a defanged context)
            r"\\*(?:[\[\(\{\]\)\}]+\\*\.[\[\(\{\]\)\}]*|\.[\[\(\{\]\)\}]+)".to_string(),
            // backslash-escaped dots and slashes: example\.com, http:\/\/ (context-checked)
            r"\\+[./]".to_string(),
            r"\^\.".to_string(),
            // example dot com, bad-dot-com (only before a TLD or a number)
            r"[ \t]+dot[ \t]+|-dot-".to_string(),
        ];
        let defang = format!("(?i){}", alternatives.join("|"));
        Patterns {
            defang: Regex::new(&defang).expect("refang pattern compiles"),
            strong_marker: Regex::new(r"(?i)[\[\(\{][ \t]*(?:\.|dot|@|at)[ \t]*[\]\)\}]|hxxp|://")
                .expect("marker pattern compiles"),
            spaced_host: Regex::new(
                r"^[\w-]+(?:\.[\w-]+)*(?:[ \t]+\.[ \t]*[\w-]+(?:\.[\w-]+)*)+(?:[ \t]+/)?",
            )
            .expect("spaced host pattern compiles"),
        }
    })
}

/// Text after refanging, with the source offset of every byte.
pub(crate) struct Refanged {
    pub text: String,
    /// `source[i]` is the source offset of `text`'s byte `i`; one extra entry maps the end.
    source: Vec<usize>,
}

impl Refanged {
    /// Maps a byte range of the refanged text back to the source text.
    pub fn source_range(&self, start: usize, end: usize) -> (usize, usize) {
        (self.source[start], self.source[end])
    }
}

/// One replacement: the source range and what it becomes.
struct Edit {
    start: usize,
    end: usize,
    replacement: String,
}

/// Returns `text` with defanged indicators restored: `hxxp`, `[.]`, `(.)`, `[dot]`, `[at]`,
/// `[@]`, `[:]`, `[://]` and the other forms listed in this module.
///
/// The word `at` in prose is never read as `@`: only a bracketed `[at]`, `(at)` or `{at}` is.
pub fn refang(text: &str) -> String {
    match refang_mapped(text) {
        Some(refanged) => refanged.text,
        None => text.to_string(),
    }
}

/// Refangs `text`, or returns `None` without allocating when there is nothing to refang.
pub(crate) fn refang_mapped(text: &str) -> Option<Refanged> {
    let patterns = patterns();
    let mut edits = Vec::new();
    let mut cursor = 0;
    for found in patterns.defang.find_iter(text) {
        if found.start() < cursor {
            continue;
        }
        if let Some(edit) = refang_match(text, found.start(), found.end(), patterns) {
            cursor = edit.end;
            edits.push(edit);
        }
    }
    if edits.is_empty() {
        return None;
    }
    Some(apply_edits(text, &edits))
}

fn apply_edits(text: &str, edits: &[Edit]) -> Refanged {
    let mut out = String::with_capacity(text.len());
    let mut source = Vec::with_capacity(text.len() + 1);
    let mut copied = 0;
    for edit in edits {
        out.push_str(&text[copied..edit.start]);
        source.extend(copied..edit.start);
        out.push_str(&edit.replacement);
        source.extend(std::iter::repeat_n(edit.start, edit.replacement.len()));
        copied = edit.end;
    }
    out.push_str(&text[copied..]);
    source.extend(copied..=text.len());
    Refanged { text: out, source }
}

/// Decides what one defang-pattern match stands for, or `None` to leave it as written.
fn refang_match(text: &str, start: usize, end: usize, patterns: &Patterns) -> Option<Edit> {
    let matched = &text[start..end];
    let core: String = matched
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | '(' | ')' | '{' | '}' | ' ' | '\t' | '\\'))
        .collect::<String>()
        .to_ascii_lowercase();
    let has_bracket = matched.contains(['[', '(', '{', ']', ')', '}']);
    let postceded = matched.len() > 1
        && matched.ends_with([']', ')', '}'])
        && matched[..matched.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphabetic());
    if postceded {
        return refang_postceded(text, start, end);
    }
    if !has_bracket && matched.trim().eq_ignore_ascii_case("dot") || core == "-dot-" {
        return refang_word_dot(text, start, end);
    }
    if !has_bracket && (matched.starts_with('\\') || matched.starts_with('^')) {
        return refang_loose_dot(text, start, end, patterns);
    }
    let replacement = match core.as_str() {
        "." | "dot" | "punkt" | "punto" => {
            if is_one_sided(matched) && !defanged_context(text, start, end, patterns) {
                return None;
            }
            ".".to_string()
        }
        "@" | "at" | "et" | "arroba" => "@".to_string(),
        ":" => ":".to_string(),
        "::" => "::".to_string(),
        "://" => "://".to_string(),
        "/" => "/".to_string(),
        "//" => "//".to_string(),
        "," => ".".to_string(),
        "-" => "-".to_string(),
        "www" => "www".to_string(),
        _ => return refang_scheme(text, start, end, patterns),
    };
    Some(Edit {
        start,
        end,
        replacement,
    })
}

/// Handles `fooDOT]com` and `fooat]bar.com`, a defang word glued between two name parts with
/// only a closing bracket: refanged only when letters or digits touch both sides.
fn refang_postceded(text: &str, start: usize, end: usize) -> Option<Edit> {
    let before = text[..start].chars().next_back()?;
    let after = text[end..].chars().next()?;
    if !(before.is_alphanumeric() && after.is_alphanumeric()) {
        return None;
    }
    let word = text[start..end - 1].to_ascii_lowercase();
    let replacement = if matches!(word.as_str(), "at" | "et" | "arroba") {
        "@"
    } else {
        "."
    };
    Some(Edit {
        start,
        end,
        replacement: replacement.to_string(),
    })
}

/// Returns whether a dot has a bracket on one side only, as in `example[.com`.
fn is_one_sided(matched: &str) -> bool {
    let Some(dot) = matched.find('.') else {
        return false;
    };
    let is_bracket = |c: char| matches!(c, '[' | ']' | '(' | ')' | '{' | '}');
    let before = matched[..dot].chars().any(is_bracket);
    let after = matched[dot + 1..].chars().any(is_bracket);
    !(before && after)
}

/// Returns whether the whitespace-delimited token around `start..end` was defanged on purpose: digits
/// on both sides of the match (an IP address) or an unambiguous defang form elsewhere in it.
fn defanged_context(text: &str, start: usize, end: usize, patterns: &Patterns) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    if before.is_some_and(|c| c.is_ascii_digit()) && after.is_some_and(|c| c.is_ascii_digit()) {
        return true;
    }
    let token = token_around(text, start, end);
    patterns.strong_marker.is_match(token)
}

fn token_around(text: &str, start: usize, end: usize) -> &str {
    let token_start = text[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(index, c)| index + c.len_utf8());
    let token_end = text[end..]
        .find(char::is_whitespace)
        .map_or(text.len(), |index| end + index);
    &text[token_start..token_end]
}

/// Handles `example\.com`, `http:\/\/` and `example^.com`.
///
/// A backslash is dropped only when every backslash in the token escapes a dot, slash or
/// bracket, so Windows paths and registry keys such as `HKLM\...\.NETFramework` keep theirs.
fn refang_loose_dot(text: &str, start: usize, end: usize, patterns: &Patterns) -> Option<Edit> {
    let matched = &text[start..end];
    let replacement = if matched.ends_with('/') { "/" } else { "." };
    if matched.starts_with('^') {
        return Some(Edit {
            start,
            end,
            replacement: replacement.to_string(),
        });
    }
    let token = token_around(text, start, end);
    let escapes_only = token
        .split('\\')
        .skip(1)
        .all(|after| after.is_empty() || after.starts_with(['.', '/', '(', ')']));
    // `\..\` is a parent directory in a Windows path, not an escaped dot.
    if token.contains("\\..") {
        return None;
    }
    let ends_clean = !token.ends_with('\\');
    if !(defanged_context(text, start, end, patterns) || escapes_only && ends_clean) {
        return None;
    }
    Some(Edit {
        start,
        end,
        replacement: replacement.to_string(),
    })
}

/// Handles ` dot ` and `-dot-` when a top-level domain or a number follows.
fn refang_word_dot(text: &str, start: usize, end: usize) -> Option<Edit> {
    let before = text[..start].chars().next_back()?;
    if !before.is_alphanumeric() {
        return None;
    }
    let next_label: String = text[end..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect::<String>()
        .to_ascii_lowercase();
    let is_number = !next_label.is_empty() && next_label.bytes().all(|b| b.is_ascii_digit());
    let is_tld = tlds::is_tld(&next_label) && !ENGLISH_WORDS.contains(&next_label.as_str());
    if !(is_number || is_tld) {
        return None;
    }
    Some(Edit {
        start,
        end,
        replacement: ".".to_string(),
    })
}

/// Rewrites a defanged or oddly separated scheme to `scheme://`, and joins a host written with
/// spaces before its dots (`http://example .com /path`).
fn refang_scheme(text: &str, start: usize, end: usize, patterns: &Patterns) -> Option<Edit> {
    let matched = &text[start..end];
    let word_start = matched.find(|c: char| c.is_ascii_alphabetic())?;
    let word_len = matched[word_start..]
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '*' || c == '_'))
        .unwrap_or(matched.len() - word_start);
    let word = matched[word_start..word_start + word_len].to_ascii_lowercase();
    let word = word.trim_end_matches('_');
    let scheme = DEFANGED_SCHEMES
        .iter()
        .find(|(defanged, _)| *defanged == word)
        .map_or(word, |(_, real)| real);

    let mut replacement = if scheme == "file" && matched.contains("///") {
        "file:///".to_string()
    } else {
        format!("{scheme}://")
    };
    // The separator ends at its last slash, bracket, colon or underscore; what follows is the
    // host, possibly after spaces.
    let separator_end = matched
        .rfind(['/', '\\', '_', ']', ')', ':'])
        .map_or(matched.len(), |index| index + 1);
    // `https:__host` is read as a URL only at the start of a word, so that the rest of an
    // already refanged URL stays as written. A bare `http__` is never read as a scheme,
    // because `__` joins words in names such as `http__proxy.example.com`.
    let underscored = matched[..separator_end].ends_with("__");
    let glued = text[..start]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '/' | '.'));
    if underscored && glued {
        return None;
    }
    let mut edit_end = start + separator_end;
    let after = &text[edit_end..];
    let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
    if spaces > 0 && host_follows(&after[spaces..]) {
        edit_end += spaces;
    }
    let after = &text[edit_end..];
    if let Some(spaced) = patterns.spaced_host.find(after) {
        let joined: String = spaced
            .as_str()
            .chars()
            .filter(|c| *c != ' ' && *c != '\t')
            .collect();
        replacement.push_str(&joined);
        edit_end += spaced.end();
    }
    if text[start..edit_end] == replacement {
        return None;
    }
    Some(Edit {
        start,
        end: edit_end,
        replacement,
    })
}

/// Returns whether the text starts with something that looks like a host: a token with a dot in it, or
/// a word followed by a spaced dot.
fn host_follows(after: &str) -> bool {
    let token_end = after.find(char::is_whitespace).unwrap_or(after.len());
    let token = &after[..token_end];
    if token.is_empty() {
        return false;
    }
    if token.contains('.') || token.contains('[') || token.contains('(') {
        return true;
    }
    after[token_end..]
        .trim_start_matches([' ', '\t'])
        .starts_with('.')
}

/// Returns a defanged spelling of a canonical value for reports and exports, so that it cannot
/// be clicked or resolved by accident: `hxxp://evil[.]com/x`, `1.2.3[.]4`, `user[@]evil[.]com`.
/// Hashes, CVE IDs and the other non-network types are returned unchanged. [`refang`] reverses
/// every form this function writes.
pub fn defang(kind: IocType, value: &str) -> String {
    match kind {
        IocType::Ipv4 => defang_ipv4(value),
        IocType::Ipv6 => value.replace(':', "[:]"),
        IocType::Cidr => match value.split_once('/') {
            Some((address, prefix)) if address.contains(':') => {
                format!("{}/{prefix}", address.replace(':', "[:]"))
            }
            Some((address, prefix)) => format!("{}/{prefix}", defang_ipv4(address)),
            None => value.to_string(),
        },
        IocType::Domain | IocType::Hostname => value.replace('.', "[.]"),
        IocType::Email => match value.rsplit_once('@') {
            Some((local, domain)) => format!("{local}[@]{}", domain.replace('.', "[.]")),
            None => value.to_string(),
        },
        IocType::Url => defang_url(value),
        _ => value.to_string(),
    }
}

/// Brackets the last dot only, the form most threat reports use for addresses.
fn defang_ipv4(value: &str) -> String {
    match value.rsplit_once('.') {
        Some((head, last)) => format!("{head}[.]{last}"),
        None => value.to_string(),
    }
}

fn defang_url(value: &str) -> String {
    let Ok(parts) = canonical::split_url(value) else {
        return value.replace('.', "[.]");
    };
    let scheme = &value[..parts.authority_start];
    let scheme = if let Some(rest) = scheme.strip_prefix("http") {
        format!("hxxp{rest}")
    } else if let Some(rest) = scheme.strip_prefix("ftp") {
        format!("fxp{rest}")
    } else if let Some(rest) = scheme.strip_prefix("file") {
        format!("fxle{rest}")
    } else {
        scheme.to_string()
    };
    let userinfo = &value[parts.authority_start..parts.host_start];
    let host = &value[parts.host_start..parts.host_end];
    let host = if host.starts_with('[') {
        host.replace(':', "[:]")
    } else {
        host.replace('.', "[.]")
    };
    let rest = &value[parts.host_end..];
    format!("{scheme}{}{host}{rest}", userinfo.replace('@', "[@]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refang_bracketed_dot() {
        assert_eq!(refang("evil[.]com"), "evil.com");
        assert_eq!(refang("evil(.)com"), "evil.com");
        assert_eq!(refang("evil{.}com"), "evil.com");
        assert_eq!(refang("evil[dot]com"), "evil.com");
        assert_eq!(refang("evil(DOT)com"), "evil.com");
    }

    #[test]
    fn refang_scheme_forms() {
        assert_eq!(refang("hxxp://evil.com"), "http://evil.com");
        assert_eq!(refang("hXXps://evil.com"), "https://evil.com");
        assert_eq!(refang("http[:]//evil.com"), "http://evil.com");
        assert_eq!(refang("http[://]evil.com"), "http://evil.com");
        assert_eq!(refang("[http]://evil.com"), "http://evil.com");
        assert_eq!(refang("fxp://evil.com"), "ftp://evil.com");
    }

    #[test]
    fn refang_bracketed_at() {
        assert_eq!(refang("bob[at]evil.com"), "bob@evil.com");
        assert_eq!(refang("bob(at)evil.com"), "bob@evil.com");
        assert_eq!(refang("bob[@]evil.com"), "bob@evil.com");
        assert_eq!(refang("bob [at] evil.com"), "bob@evil.com");
    }

    #[test]
    fn refang_leaves_prose_at() {
        assert_eq!(refang("meet me at noon"), "meet me at noon");
        assert_eq!(refang("sales at evil dot com"), "sales at evil.com");
    }

    #[test]
    fn refang_one_sided_bracket_needs_context() {
        assert_eq!(refang("foo[.com"), "foo[.com");
        assert_eq!(refang("10.10.10[.10"), "10.10.10.10");
        assert_eq!(refang("hxxp://example[.com/x"), "http://example.com/x");
    }

    #[test]
    fn refang_keeps_windows_backslashes() {
        let key = r"HKLM\Software\Microsoft\.NETFramework";
        assert_eq!(refang(key), key);
        assert_eq!(refang(r"evil\.com"), "evil.com");
    }

    #[test]
    fn refang_word_dot_needs_tld() {
        assert_eq!(refang("evil dot com"), "evil.com");
        assert_eq!(refang("connect the dot to"), "connect the dot to");
    }

    #[test]
    fn refang_joins_spaced_host_after_scheme() {
        assert_eq!(
            refang("http://example .com /test"),
            "http://example.com/test"
        );
    }

    #[test]
    fn refang_leaves_plain_text_alone() {
        assert!(refang_mapped("GET /index.html 200 http://ok.example/").is_none());
    }

    #[test]
    fn refang_maps_offsets_to_source() {
        let refanged = refang_mapped("x evil[.]com y").unwrap();
        assert_eq!(refanged.text, "x evil.com y");
        assert_eq!(refanged.source_range(2, 10), (2, 12));
    }

    #[test]
    fn defang_examples() {
        assert_eq!(
            defang(IocType::Url, "http://evil.com/a.b"),
            "hxxp://evil[.]com/a.b"
        );
        assert_eq!(defang(IocType::Ipv4, "1.2.3.4"), "1.2.3[.]4");
        assert_eq!(defang(IocType::Email, "user@evil.com"), "user[@]evil[.]com");
        let hash = "d41d8cd98f00b204e9800998ecf8427e";
        assert_eq!(defang(IocType::Md5, hash), hash);
    }

    #[test]
    fn defang_round_trips_through_refang() {
        let cases = [
            (IocType::Url, "https://evil.example.com:8443/x?y=z"),
            (IocType::Ipv6, "2001:db8::1"),
            (IocType::Cidr, "10.0.0.0/8"),
            (IocType::Domain, "a.b.evil.com"),
        ];
        for (kind, value) in cases {
            assert_eq!(refang(&defang(kind, value)), value, "{kind} {value}");
        }
    }
}
