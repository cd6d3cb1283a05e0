//! Extraction of indicators from free text: one candidate pattern per type family, the checks a
//! regular expression cannot express, and the choice between overlapping candidates.

use std::sync::OnceLock;

use regex::Regex;

use super::canonical::{self, Host, TldRule};
use super::refang::{self, Refanged};
use super::tlds;
use super::{Indicator, IocType};

/// One indicator found in text, with the byte range of its match in that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub indicator: Indicator,
    /// Byte offset of the first byte of the match in the input, before refanging.
    pub start: usize,
    /// Byte offset one past the match in the input.
    pub end: usize,
}

/// Finds indicators in free text. Build one and reuse it across lines and chunks: building
/// compiles the patterns, extracting only reads them.
#[derive(Debug, Clone)]
pub struct Extractor {
    patterns: Patterns,
}

#[derive(Debug, Clone)]
struct Patterns {
    url: Regex,
    email: Regex,
    ipv4: Regex,
    ipv6: Regex,
    hash: Regex,
    mac: Regex,
    cve: Regex,
    asn: Regex,
    registry_key: Regex,
    windows_path: Regex,
    unix_path: Regex,
    dotted_name: Regex,
    /// `http://` encoded as percent escapes, hex digits or Base64.
    encoded_url: Regex,
}

/// Hives that open a registry key in text.
const REGISTRY_ROOT_PATTERN: &str = "HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|\
    HKEY_USERS|HKEY_CURRENT_CONFIG|HKEY_PERFORMANCE_DATA|HKLM|HKCU|HKCR|HKU|HKCC|HKPD";

impl Patterns {
    fn new() -> Self {
        let schemes = canonical::URL_SCHEMES.join("|");
        let compile = |pattern: &str| Regex::new(pattern).expect("extraction pattern compiles");
        Patterns {
            url: compile(&format!(r"(?i)(?-u:\b)(?:{schemes})://[^\s<>\p{{Cc}}]+")),
            email: compile(r"[A-Za-z0-9_][A-Za-z0-9._%+-]*@(?:\[[0-9.]+\]|[\w-]+(?:\.[\w-]+)+)"),
            ipv4: compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?:/[0-9]{1,2})?"),
            ipv6: compile(r"[0-9A-Fa-f:]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:/[0-9]{1,3})?"),
            hash: compile(r"[0-9A-Fa-f]{32,}"),
            mac: compile(
                r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5,}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}",
            ),
            cve: compile(r"(?i)(?-u:\b)CVE[- ]?[0-9]{4}-[0-9]{4,}(?-u:\b)"),
            asn: compile(r"(?i)(?-u:\b)ASN?[ ]?[0-9]{1,10}(?-u:\b)"),
            registry_key: compile(&format!(
                r#"(?i)(?-u:\b)(?:{REGISTRY_ROOT_PATTERN}):?\\[^\s"'<>|\p{{Cc}}]*"#
            )),
            windows_path: compile(
                r#"(?i)(?:(?-u:\b)[a-z]:\\|\\\\[a-z0-9._$-]+\\|\.\.?\\)[^\s"'<>|*?\p{Cc}]*"#,
            ),
            unix_path: compile(r#"(?:~|\.\.?)?/[^\s"'<>|\p{Cc}]*"#),
            dotted_name: compile(r"[\w-]+(?:\.[\w-]+)+"),
            encoded_url: compile(concat!(
                r"(?i:(?:https?|ftp)%3A%2F%2F)[0-9A-Za-z%._~+-]*",
                r"|(?i:68747470(?:73)?3a2f2f)(?:[0-9A-Fa-f]{2})+",
                // Base64 of `http://` and `https://` at each of the three byte alignments.
                r"|[A-Za-z0-9+/]*(?:aHR0cDovL|aHR0cHM6Ly|dHRwOi8v|dHRwczovL|dHA6Ly8|dHBzOi8v)",
                r"[A-Za-z0-9+/]*={0,2}",
            )),
        }
    }
}

impl Default for Extractor {
    fn default() -> Self {
        Self::new()
    }
}

/// Returns the process-wide extractor, built on first use.
pub(crate) fn shared() -> &'static Extractor {
    static SHARED: OnceLock<Extractor> = OnceLock::new();
    SHARED.get_or_init(Extractor::new)
}

/// A possible indicator, with offsets in the refanged text.
#[derive(Debug)]
struct Candidate {
    kind: IocType,
    start: usize,
    end: usize,
    value: String,
    /// Start of the part inside which some other indicators are kept: a URL's path (an address
    /// or hash in its path or query counts, its user info and host do not), or the start of a
    /// path or registry key.
    inner_start: usize,
    /// The host of a URL or the domain of an email address, reported on its own as well.
    host: Option<(IocType, String, usize, usize)>,
}

impl Candidate {
    fn leaf(kind: IocType, start: usize, end: usize, value: String) -> Self {
        Candidate {
            kind,
            start,
            end,
            value,
            inner_start: end,
            host: None,
        }
    }

    /// Creates a path or registry key candidate, inside which only hashes are kept.
    fn path(kind: IocType, start: usize, end: usize, value: String) -> Self {
        Candidate {
            inner_start: start,
            ..Candidate::leaf(kind, start, end, value)
        }
    }

    fn is_container(&self) -> bool {
        matches!(
            self.kind,
            IocType::Url
                | IocType::Email
                | IocType::RegistryKey
                | IocType::FilePath
                | IocType::Cidr
        )
    }

    /// Returns whether an indicator of `kind` inside this one's inner part is reported too.
    fn keeps_inner(&self, kind: IocType) -> bool {
        match self.kind {
            IocType::Url => kind.is_hash() || kind == IocType::Cve || kind.is_network(),
            IocType::FilePath | IocType::RegistryKey => kind.is_hash(),
            _ => false,
        }
    }
}

impl Extractor {
    /// Compiles the extraction patterns.
    pub fn new() -> Self {
        Extractor {
            patterns: Patterns::new(),
        }
    }

    /// Returns every indicator in `text` in order of position, refanging defanged forms first.
    /// A URL also yields its host and an email address its domain, each with the offsets of
    /// that part. A value that occurs twice is reported at each position.
    pub fn extract(&self, text: &str) -> Vec<Extracted> {
        let refanged = refang::refang_mapped(text);
        let scanned = refanged.as_ref().map_or(text, |r| r.text.as_str());
        let candidates = self.scan(scanned);
        let mut found = resolve(candidates);
        if let Some(refanged) = &refanged {
            map_to_source(&mut found, refanged);
        }
        found
    }

    fn scan(&self, text: &str) -> Vec<Candidate> {
        let mut out = Vec::new();
        if text.contains("://") {
            self.scan_urls(text, &mut out);
        }
        if text.contains('@') {
            self.scan_emails(text, &mut out);
        }
        if text.contains('.') {
            self.scan_ipv4(text, &mut out);
            self.scan_dotted_names(text, &mut out);
        }
        if text.contains(':') {
            self.scan_ipv6(text, &mut out);
        }
        self.scan_hashes(text, &mut out);
        self.scan_macs(text, &mut out);
        self.scan_cves(text, &mut out);
        self.scan_asns(text, &mut out);
        if text.contains('\\') {
            self.scan_registry_keys(text, &mut out);
            self.scan_windows_paths(text, &mut out);
        }
        if text.contains('/') {
            self.scan_unix_paths(text, &mut out);
        }
        self.scan_encoded_urls(text, &mut out);
        out
    }

    fn scan_urls(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.url.find_iter(text) {
            let end = trim_url_end(text, found.start(), found.end());
            if let Some(candidate) = url_candidate(text, found.start(), end, TldRule::Syntax) {
                out.push(candidate);
            }
        }
    }

    fn scan_emails(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.email.find_iter(text) {
            let matched = found.as_str();
            let Some(at) = matched.find('@') else {
                continue;
            };
            let (local, domain_part) = (&matched[..at], &matched[at + 1..]);
            if canonical::check_local_part(local).is_err() {
                continue;
            }
            let host = match email_host(domain_part) {
                Some(host) => host,
                None => continue,
            };
            let host_start = found.start() + at + 1;
            let value = if domain_part.starts_with('[') {
                format!("{local}@[{}]", host.1)
            } else {
                format!("{local}@{}", host.1)
            };
            out.push(Candidate {
                kind: IocType::Email,
                start: found.start(),
                end: found.end(),
                value,
                inner_start: found.end(),
                host: host
                    .0
                    .map(|kind| (kind, host.1.clone(), host_start, found.end())),
            });
        }
    }

    fn scan_ipv4(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.ipv4.find_iter(text) {
            let (start, mut end) = (found.start(), found.end());
            let mut matched = found.as_str();
            let mut prefix = None;
            if let Some(slash) = matched.find('/') {
                if next_char(text, end).is_some_and(|c| c.is_ascii_digit() || c == '/') {
                    end = start + slash;
                    matched = &matched[..slash];
                } else {
                    prefix = Some(&matched[slash + 1..]);
                    matched = &matched[..slash];
                }
            }
            let address_end = start + matched.len();
            if !ipv4_boundaries_ok(text, start, address_end) {
                continue;
            }
            let Ok(address) = canonical::parse_ipv4(matched) else {
                continue;
            };
            let candidate = match prefix.and_then(|p| p.parse::<u8>().ok()) {
                Some(length) if length <= 32 => {
                    Candidate::leaf(IocType::Cidr, start, end, format!("{address}/{length}"))
                }
                _ => Candidate::leaf(IocType::Ipv4, start, address_end, address.to_string()),
            };
            out.push(candidate);
        }
    }

    fn scan_ipv6(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.ipv6.find_iter(text) {
            let start = found.start();
            let (address, prefix) = match found.as_str().split_once('/') {
                Some((address, prefix)) => (address, Some(prefix)),
                None => (found.as_str(), None),
            };
            let address = address.trim_end_matches('.');
            let address_end = start + address.len();
            let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
            if prev_char(text, start).is_some_and(word_char) {
                continue;
            }
            let after = if prefix.is_some() {
                found.end()
            } else {
                address_end
            };
            if next_char(text, after).is_some_and(|c| word_char(c) && !c.is_ascii_digit()) {
                continue;
            }
            if !address.bytes().any(|b| b.is_ascii_hexdigit()) || looks_like_hex_pairs(address) {
                continue;
            }
            let Ok(parsed) = address.parse::<std::net::Ipv6Addr>() else {
                continue;
            };
            let candidate = match prefix.and_then(|p| p.parse::<u8>().ok()) {
                Some(length) if length <= 128 => Candidate::leaf(
                    IocType::Cidr,
                    start,
                    found.end(),
                    format!("{parsed}/{length}"),
                ),
                _ => Candidate::leaf(IocType::Ipv6, start, address_end, parsed.to_string()),
            };
            out.push(candidate);
        }
    }

    fn scan_hashes(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.hash.find_iter(text) {
            // The pattern is greedy and searched leftmost, so a match is a whole hex run: a
            // 32-digit run inside a 40-digit one is never reported as MD5.
            let kind = match found.len() {
                32 => IocType::Md5,
                40 => IocType::Sha1,
                64 => IocType::Sha256,
                128 => IocType::Sha512,
                _ => continue,
            };
            if names_other_digest(text, found.start()) {
                continue;
            }
            let value = found.as_str().to_ascii_lowercase();
            out.push(Candidate::leaf(kind, found.start(), found.end(), value));
        }
    }

    fn scan_macs(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.mac.find_iter(text) {
            let matched = found.as_str();
            let is_pairs = matched.len() == 17;
            if !(is_pairs || matched.len() == 14) {
                continue;
            }
            let separator = matched.as_bytes()[if is_pairs { 2 } else { 4 }];
            let before = prev_char(text, found.start());
            if before.is_some_and(|c| c.is_ascii_hexdigit() || c == separator as char) {
                continue;
            }
            let after = &text[found.end()..];
            let mut after_chars = after.chars();
            let next = after_chars.next();
            let next_next = after_chars.next();
            if next.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            if next == Some(separator as char) && next_next.is_some_and(|c| c.is_ascii_hexdigit()) {
                continue;
            }
            if let Ok(value) = canonical::canonicalize(IocType::Mac, matched) {
                out.push(Candidate::leaf(
                    IocType::Mac,
                    found.start(),
                    found.end(),
                    value,
                ));
            }
        }
    }

    fn scan_cves(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.cve.find_iter(text) {
            if let Ok(value) = canonical::canonicalize(IocType::Cve, found.as_str()) {
                out.push(Candidate::leaf(
                    IocType::Cve,
                    found.start(),
                    found.end(),
                    value,
                ));
            }
        }
    }

    fn scan_asns(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.asn.find_iter(text) {
            let matched = found.as_str();
            // `AS 1234` and `asn 1234` are AS numbers, `as 2014` is prose.
            if matched.contains(' ')
                && !(matched.starts_with("AS")
                    || matched.len() > 3 && matched[..3].eq_ignore_ascii_case("asn"))
            {
                continue;
            }
            if prev_char(text, found.start()).is_some_and(|c| matches!(c, '.' | '-' | '/')) {
                continue;
            }
            let mut after = text[found.end()..].chars();
            let joined = after.next().is_some_and(|c| matches!(c, '.' | '-'));
            if joined && after.next().is_some_and(|c| c.is_alphanumeric()) {
                continue;
            }
            if let Ok(value) = canonical::canonicalize(IocType::Asn, matched) {
                out.push(Candidate::leaf(
                    IocType::Asn,
                    found.start(),
                    found.end(),
                    value,
                ));
            }
        }
    }

    fn scan_registry_keys(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.registry_key.find_iter(text) {
            let end = extend_spaced(text, found.end(), '\\', true);
            let end = found.start() + trim_path_end(&text[found.start()..end]).len();
            let written = undouble_backslashes(&text[found.start()..end]);
            if let Ok(value) = canonical::canonicalize(IocType::RegistryKey, &written) {
                out.push(Candidate::path(
                    IocType::RegistryKey,
                    found.start(),
                    end,
                    value,
                ));
            }
        }
    }

    fn scan_windows_paths(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.windows_path.find_iter(text) {
            let relative = found.as_str().starts_with('.');
            if relative && prev_char(text, found.start()).is_some_and(|c| c.is_alphanumeric()) {
                continue;
            }
            let end = extend_spaced(text, found.end(), '\\', false);
            let end = found.start() + trim_path_end(&text[found.start()..end]).len();
            let path = &text[found.start()..end];
            let components = path.split('\\').filter(|c| !c.is_empty()).count();
            if components < 2 || path.contains("://") {
                continue;
            }
            let value = undouble_backslashes(path);
            out.push(Candidate::path(
                IocType::FilePath,
                found.start(),
                end,
                value,
            ));
        }
    }

    fn scan_unix_paths(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.unix_path.find_iter(text) {
            let before = prev_char(text, found.start());
            let at_token_start = before.is_none_or(|c| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '"' | '\''
                            | '='
                            | '('
                            | ':'
                            | ','
                            | '['
                            | '{'
                            | '<'
                            | '>'
                            | '|'
                            | ';'
                            | '`'
                    )
            });
            let matched = found.as_str();
            if !at_token_start || matched.starts_with("//") || matched.contains("://") {
                continue;
            }
            let end = extend_spaced(text, found.end(), '/', false);
            let end = found.start() + trim_path_end(&text[found.start()..end]).len();
            let path = &text[found.start()..end];
            let segments: Vec<&str> = path.split('/').skip(1).filter(|s| !s.is_empty()).collect();
            let absolute = path.starts_with('/');
            let enough = if absolute {
                segments.len() >= 2
            } else {
                !segments.is_empty()
            };
            let numeric = segments
                .iter()
                .all(|s| s.bytes().all(|b| b.is_ascii_digit()));
            if !enough || numeric || path.contains("://") {
                continue;
            }
            let value = path.to_string();
            out.push(Candidate::path(
                IocType::FilePath,
                found.start(),
                end,
                value,
            ));
        }
    }

    /// Scans URLs hidden in percent escapes (`http%3A%2F%2F...`), hex digits (`687474703a2f2f...`)
    /// or Base64 (`aHR0cDovL...`), as found in macros, scripts and redirect parameters. The
    /// decoded URL is reported with the offsets of the encoded text.
    fn scan_encoded_urls(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.encoded_url.find_iter(text) {
            let encoded = found.as_str();
            let decoded = if encoded.contains('%') {
                percent_decode(encoded)
            } else if encoded.len() % 2 == 0 && encoded.bytes().all(|b| b.is_ascii_hexdigit()) {
                hex_decode(encoded)
            } else {
                base64_decode(encoded)
            };
            // Decoded text may glue the scheme to what precedes it (`junkhttp://`).
            let Some(scheme_at) = decoded
                .as_ref()
                .and_then(|d| d.find("http").or(d.find("ftp")))
            else {
                continue;
            };
            let decoded = decoded.unwrap_or_default()[scheme_at..].to_string();
            let Some(url) = self.patterns.url.find(&decoded) else {
                continue;
            };
            let url_end = trim_url_end(&decoded, url.start(), url.end());
            let Some(mut candidate) =
                url_candidate(&decoded, url.start(), url_end, TldRule::Syntax)
            else {
                continue;
            };
            candidate.start = found.start();
            candidate.end = found.end();
            candidate.inner_start = found.end();
            if let Some(host) = candidate.host.as_mut() {
                host.2 = found.start();
                host.3 = found.end();
            }
            out.push(candidate);
        }
    }

    /// Scans dotted names, which are domains, file names or the start of a URL written
    /// without a scheme (`evil.com/payload`).
    fn scan_dotted_names(&self, text: &str, out: &mut Vec<Candidate>) {
        for found in self.patterns.dotted_name.find_iter(text) {
            let matched = found.as_str();
            let leading = matched.len() - matched.trim_start_matches('-').len();
            let trimmed = matched[leading..].trim_end_matches(['-', '_']);
            let start = found.start() + leading;
            let name = valid_suffix(trimmed);
            let start = start + (trimmed.len() - name.len());
            let end = start + name.len();
            if name.is_empty() || !name.contains('.') {
                continue;
            }
            match classify_dotted(name) {
                Some(IocType::FileName) => {
                    let in_path = prev_char(text, start).is_some_and(|c| c == '/' || c == '\\');
                    if !in_path {
                        out.push(Candidate::leaf(
                            IocType::FileName,
                            start,
                            end,
                            name.to_string(),
                        ));
                    }
                }
                Some(_) => {
                    let Ok(value) = canonical::domain(name, TldRule::Known) else {
                        continue;
                    };
                    if let Some(url) = schemeless_url(text, start, end) {
                        out.push(url);
                    }
                    out.push(Candidate::leaf(IocType::Domain, start, end, value));
                }
                None => {}
            }
        }
    }
}

/// Removes labels from the left of a dotted name until the rest is a valid label sequence, so
/// `www.-evil.com` yields `evil.com`. A label whose only fault is leading hyphens is kept
/// without them.
fn valid_suffix(name: &str) -> &str {
    let mut start = name.len();
    let mut rest = name;
    loop {
        let (head, label) = match rest.rsplit_once('.') {
            Some((head, label)) => (Some(head), label),
            None => (None, rest),
        };
        let label_start = head.map_or(0, |h| h.len() + 1);
        if label_is_valid(label) {
            start = label_start;
        } else {
            let stripped = label.trim_start_matches('-');
            if !stripped.is_empty() && label_is_valid(stripped) {
                start = label_start + (label.len() - stripped.len());
            }
            break;
        }
        match head {
            Some(head) => rest = head,
            None => break,
        }
    }
    &name[start.min(name.len())..]
}

fn label_is_valid(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with(['-', '_'])
        && label.chars().any(|c| c.is_alphanumeric())
}

/// Reverse-DNS prefixes of Java and Android package names (`com.google.common.io`), which
/// are not domains.
const PACKAGE_PREFIXES: &[&str] = &["com", "edu", "gov", "io", "net", "org"];

/// Decides whether a dotted name from free text is a domain, a file name or neither.
fn classify_dotted(name: &str) -> Option<IocType> {
    let (head, last) = name.rsplit_once('.')?;
    let last_lower = last.to_ascii_lowercase();
    let first = head.split('.').next().unwrap_or(head).to_ascii_lowercase();
    if name.matches('.').count() >= 2 && PACKAGE_PREFIXES.contains(&first.as_str()) {
        return None;
    }
    let is_extension = tlds::is_file_extension(&last_lower);
    let is_tld = if last.is_ascii() {
        tlds::is_tld(&last_lower)
    } else {
        idna::domain_to_ascii(last).is_ok_and(|ascii| tlds::is_tld(&ascii))
    };
    let has_www = first == "www";
    let ambiguous = tlds::AMBIGUOUS_EXTENSIONS.contains(&last_lower.as_str());
    if is_extension && (!is_tld || (ambiguous && !has_www)) {
        return Some(IocType::FileName);
    }
    if is_tld {
        return Some(IocType::Domain);
    }
    None
}

/// Builds a URL candidate for `text[start..end]`, with its host reported as well.
fn url_candidate(text: &str, start: usize, end: usize, rule: TldRule) -> Option<Candidate> {
    let raw = &text[start..end];
    let parts = canonical::split_url(raw).ok()?;
    let host_text = &raw[parts.host_start..parts.host_end];
    let host = canonical::parse_host(host_text, rule).ok()?;
    let scheme = raw[..parts.authority_start].to_ascii_lowercase();
    if let Host::Local(name) = &host {
        if name.is_empty() && scheme != "file://" {
            return None;
        }
    }
    let canonical_host = canonical::host_text(&host);
    let userinfo = &raw[parts.authority_start..parts.host_start];
    let rest = &raw[parts.host_end..];
    let value = format!("{scheme}{userinfo}{canonical_host}{rest}");
    let host_range = (start + parts.host_start, start + parts.host_end);
    let derived = match host {
        Host::Domain(name) => Some((IocType::Domain, name, host_range.0, host_range.1)),
        Host::Ipv4(addr) => Some((IocType::Ipv4, addr.to_string(), host_range.0, host_range.1)),
        Host::Ipv6(addr) => Some((
            IocType::Ipv6,
            addr.to_string(),
            host_range.0 + 1,
            host_range.1 - 1,
        )),
        Host::Local(_) => None,
    };
    Some(Candidate {
        kind: IocType::Url,
        start,
        end,
        value,
        inner_start: start + parts.path_start,
        host: derived,
    })
}

/// Builds a URL candidate for a domain followed by a path, as in `evil.com/payload.exe`.
fn schemeless_url(text: &str, start: usize, end: usize) -> Option<Candidate> {
    if !text[end..].starts_with('/') {
        return None;
    }
    let part_of_something = prev_char(text, start)
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '\\' | ':' | '@' | '.' | '%'));
    if part_of_something {
        return None;
    }
    let path_len = text[end..]
        .find(|c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '\'' | ',')
        })
        .unwrap_or(text.len() - end);
    let url_end = trim_url_end(text, start, end + path_len);
    if url_end <= end + 1 {
        return None;
    }
    url_candidate(text, start, url_end, TldRule::Known)
}

/// The kind and canonical text of an email address's domain part; the kind is `None` when the
/// part is not reported on its own.
fn email_host(domain_part: &str) -> Option<(Option<IocType>, String)> {
    if let Some(literal) = domain_part.strip_prefix('[') {
        let address = canonical::parse_ipv4(literal.strip_suffix(']')?).ok()?;
        return Some((Some(IocType::Ipv4), address.to_string()));
    }
    if domain_part.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let address = canonical::parse_ipv4(domain_part).ok()?;
        return Some((Some(IocType::Ipv4), address.to_string()));
    }
    // Any alphabetic TLD: next to an `@`, names such as `root@db1.internal` are addresses.
    let name = canonical::domain(domain_part, TldRule::Syntax).ok()?;
    Some((Some(IocType::Domain), name))
}

/// Checks what surrounds a dotted quad: `1.2.3.4.5`, `v1.2.3.4` and `Chrome/120.0.0.0` are not
/// addresses.
fn ipv4_boundaries_ok(text: &str, start: usize, end: usize) -> bool {
    let before = prev_char(text, start);
    if before.is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    let before_before = text[..start].chars().rev().nth(1);
    if before == Some('.') && before_before.is_none_or(|c| c.is_alphanumeric()) {
        return false;
    }
    if before == Some('/') && is_product_token(&text[..start - 1]) {
        return false;
    }
    let word_before = before_before.is_none_or(|c| !c.is_alphanumeric());
    if matches!(before, Some('v' | 'V')) && word_before {
        return false;
    }
    let mut after = text[end..].chars();
    match after.next() {
        Some(c) if c.is_ascii_digit() => false,
        Some('.') => !after.next().is_some_and(|c| c.is_alphanumeric()),
        _ => true,
    }
}

/// Labels that say the hex digits after them are not a file hash but an import hash or an
/// Authenticode digest, which have the same lengths as MD5 and SHA-256.
const OTHER_DIGEST_LABELS: &[&str] = &["imphash", "import hash", "authentihash"];

/// Returns whether the text just before `start` labels the hex run as one of [`OTHER_DIGEST_LABELS`].
fn names_other_digest(text: &str, start: usize) -> bool {
    const WINDOW: usize = 24;
    let mut window_start = start.saturating_sub(WINDOW);
    while !text.is_char_boundary(window_start) {
        window_start += 1;
    }
    let before = text[window_start..start].to_ascii_lowercase();
    let label_end =
        before.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '='));
    OTHER_DIGEST_LABELS
        .iter()
        .any(|label| label_end.ends_with(label))
}

/// Returns whether `text` ends with a capitalized product name such as `Chrome` or `Firefox`, which
/// in a user agent precedes a version (`Chrome/120.0.0.0`), not an address.
fn is_product_token(text: &str) -> bool {
    let word_start = text
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphanumeric())
        .map_or(0, |(index, c)| index + c.len_utf8());
    let word = &text[word_start..];
    word.starts_with(|c: char| c.is_ascii_uppercase())
}

/// Returns whether an IPv6-shaped run is really hex pairs: a MAC address, EUI-64 or a fingerprint.
fn looks_like_hex_pairs(address: &str) -> bool {
    !address.contains("::") && address.split(':').all(|group| group.len() == 2)
}

/// Trims what follows a URL in prose: closing punctuation, unbalanced brackets, and a quote
/// that closes a quoted URL.
fn trim_url_end(text: &str, start: usize, end: usize) -> usize {
    let mut url = &text[start..end];
    if let Some(quote) = prev_char(text, start).filter(|c| matches!(c, '"' | '\'' | '`')) {
        if let Some(close) = url.find(quote) {
            url = &url[..close];
        }
    }
    if let Some(cut) = url.find(['"', '\'']).filter(|&i| {
        url[i + 1..]
            .chars()
            .next()
            .is_some_and(|c| matches!(c, '>' | '<' | '/' | ';' | ',' | ')'))
    }) {
        url = &url[..cut];
    }
    while let Some(last) = url.chars().next_back() {
        let unbalanced = match last {
            ')' => url.matches(')').count() > url.matches('(').count(),
            ']' => url.matches(']').count() > url.matches('[').count(),
            '}' => url.matches('}').count() > url.matches('{').count(),
            _ => false,
        };
        let closing = matches!(
            last,
            '.' | ','
                | ';'
                | ':'
                | '!'
                | '?'
                | '\''
                | '"'
                | '`'
                | '>'
                | '*'
                | '…'
                | '。'
                | '、'
                | '”'
                | '’'
                | '»'
                | '›'
        );
        if !(unbalanced || closing) {
            break;
        }
        url = &url[..url.len() - last.len_utf8()];
    }
    start + url.len()
}

/// Trims closing punctuation from the end of a path or registry key.
fn trim_path_end(path: &str) -> &str {
    let mut path = path;
    loop {
        let Some(last) = path.chars().next_back() else {
            return path;
        };
        let unbalanced = match last {
            ')' => path.matches(')').count() > path.matches('(').count(),
            ']' => path.matches(']').count() > path.matches('[').count(),
            '}' => path.matches('}').count() > path.matches('{').count(),
            _ => false,
        };
        if !(unbalanced || matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '`')) {
            return path;
        }
        path = &path[..path.len() - last.len_utf8()];
    }
}

/// Extends a path or registry key across single spaces inside a component, as in
/// `C:\Program Files\x` or `HKLM\...\Windows NT\CurrentVersion`.
///
/// A space is taken as part of the component only when the words after it reach another
/// separator within the same component and none of them looks like an option (`-x`), an
/// assignment or, for registry keys, another hive, and the component before the space holds
/// no file name or query. So the last component never contains a space, and
/// `...\ConsoleIME on the windows box` stops after `ConsoleIME`.
fn extend_spaced(text: &str, mut end: usize, separator: char, registry: bool) -> usize {
    const MAX_WORDS: usize = 8;
    'extend: loop {
        // A component holding a file name or a query ends the path: `/a/b.php?q=1 HTTP/1.1`.
        let component_start = text[..end].rfind(separator).map_or(0, |i| i + 1);
        if text[component_start..end].contains(['.', '?', '=', '&']) {
            break;
        }
        let mut cursor = end;
        for _ in 0..MAX_WORDS {
            let rest = &text[cursor..];
            if !rest.starts_with(' ') || rest[1..].starts_with([' ', '\t', '\r', '\n']) {
                break 'extend;
            }
            let word_len = rest[1..]
                .find(|c: char| {
                    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '|')
                })
                .unwrap_or(rest.len() - 1);
            let word = &rest[1..1 + word_len];
            let head = word.split(separator).next().unwrap_or(word);
            let looks_like_option = head.starts_with('-') || head.contains([':', '=', '/']);
            let is_hive = registry && is_registry_root(head);
            if word.is_empty() || looks_like_option || is_hive {
                break 'extend;
            }
            cursor += 1 + word_len;
            if word.contains(separator) && !word.starts_with(separator) {
                end = cursor;
                continue 'extend;
            }
        }
        break;
    }
    end
}

fn is_registry_root(word: &str) -> bool {
    let word = word.strip_suffix(':').unwrap_or(word);
    canonical::REGISTRY_ROOTS
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(word))
}

/// Collapses the doubled backslashes of a JSON-escaped path or key (`C:\\Windows\\x`) when
/// every separator is doubled.
fn undouble_backslashes(path: &str) -> String {
    let runs_are_pairs = path
        .split(|c| c != '\\')
        .filter(|run| !run.is_empty())
        .all(|run| run.len() == 2);
    let unc = path.starts_with("\\\\");
    if runs_are_pairs && !unc && path.contains("\\\\") {
        path.replace("\\\\", "\\")
    } else {
        path.to_string()
    }
}

/// Decodes `%XX` escapes; `None` when the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes[i] == b'%' && i + 2 < bytes.len();
        match escaped
            .then(|| hex_pair(bytes[i + 1], bytes[i + 2]))
            .flatten()
        {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Decodes pairs of hex digits up to the first byte that is not printable ASCII.
fn hex_decode(text: &str) -> Option<String> {
    let decoded: Vec<u8> = text
        .as_bytes()
        .chunks_exact(2)
        .map_while(|pair| hex_pair(pair[0], pair[1]))
        .take_while(|byte| byte.is_ascii_graphic())
        .collect();
    String::from_utf8(decoded).ok()
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

/// Decodes standard Base64 (RFC 4648 section 4) up to the padding, replacing invalid UTF-8.
fn base64_decode(text: &str) -> Option<String> {
    let value = |b: u8| -> Option<u32> {
        match b {
            b'A'..=b'Z' => Some(u32::from(b - b'A')),
            b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes().take_while(|b| *b != b'=') {
        buffer = (buffer << 6) | value(byte)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn prev_char(text: &str, index: usize) -> Option<char> {
    text[..index].chars().next_back()
}

fn next_char(text: &str, index: usize) -> Option<char> {
    text[index..].chars().next()
}

/// Chooses among overlapping candidates and adds the hosts of URLs and email addresses.
///
/// URLs, email addresses, registry keys, paths and CIDR ranges are containers: the first and
/// longest of overlapping containers wins. Other candidates inside a container are dropped,
/// except those a URL's path or query names (an address, domain, hash or CVE ID) and hashes
/// in a path or key. Among the rest, the first and longest of overlapping candidates wins.
fn resolve(mut candidates: Vec<Candidate>) -> Vec<Extracted> {
    candidates.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let (mut containers, leaves): (Vec<Candidate>, Vec<Candidate>) =
        candidates.into_iter().partition(Candidate::is_container);
    // A URL beats a path or address it overlaps, and an email address beats the rest.
    containers.sort_by_key(|c| match c.kind {
        IocType::Url => 0,
        IocType::Email => 1,
        _ => 2,
    });

    let mut accepted: Vec<Candidate> = Vec::new();
    for candidate in containers {
        let overlaps = accepted
            .iter()
            .any(|c| candidate.start < c.end && c.start < candidate.end);
        if !overlaps {
            accepted.push(candidate);
        }
    }

    let mut kept_leaves: Vec<Candidate> = Vec::new();
    for leaf in leaves {
        let allowed = accepted.iter().all(|container| {
            let overlaps = leaf.start < container.end && container.start < leaf.end;
            let inside = leaf.start >= container.inner_start && leaf.end <= container.end;
            !overlaps || (inside && container.keeps_inner(leaf.kind))
        });
        let clashes = kept_leaves
            .iter()
            .any(|c| leaf.start < c.end && c.start < leaf.end);
        if allowed && !clashes {
            kept_leaves.push(leaf);
        }
    }

    let mut found = Vec::new();
    for candidate in accepted.into_iter().chain(kept_leaves) {
        if let Some((kind, value, start, end)) = candidate.host {
            found.push(Extracted {
                indicator: Indicator { kind, value },
                start,
                end,
            });
        }
        found.push(Extracted {
            indicator: Indicator {
                kind: candidate.kind,
                value: candidate.value,
            },
            start: candidate.start,
            end: candidate.end,
        });
    }
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    found
}

fn map_to_source(found: &mut [Extracted], refanged: &Refanged) {
    for item in found {
        let (start, end) = refanged.source_range(item.start, item.end);
        item.start = start;
        item.end = end;
    }
}
