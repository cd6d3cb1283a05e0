//! Validation and canonical forms of single indicator values, one function per type.
//!
//! Every function takes a value that is already refanged and trimmed, and returns the canonical
//! spelling or the reason the value is not of that type.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::tlds;
use super::IocType;

/// The canonical spelling of a value, or the reason it is invalid.
pub(crate) type Checked = Result<String, String>;

/// Validates `value` as an indicator of type `kind` and returns its canonical spelling.
pub(crate) fn canonicalize(kind: IocType, value: &str) -> Checked {
    match kind {
        IocType::Ipv4 => parse_ipv4(value).map(|addr| addr.to_string()),
        IocType::Ipv6 => parse_ipv6(value).map(|addr| addr.to_string()),
        IocType::Cidr => cidr(value),
        IocType::Domain => domain(value, TldRule::Syntax),
        IocType::Hostname => hostname(value),
        IocType::Url => url(value),
        IocType::Email => email(value),
        IocType::Md5 => hash(value, 32),
        IocType::Sha1 => hash(value, 40),
        IocType::Sha256 => hash(value, 64),
        IocType::Sha512 => hash(value, 128),
        IocType::Cve => cve(value),
        IocType::Asn => asn(value),
        IocType::Mac => mac(value),
        IocType::RegistryKey => registry_key(value),
        IocType::FilePath => file_path(value),
        IocType::FileName => file_name(value),
        IocType::UserAccount => user_account(value),
    }
}

/// Parses a dotted-quad IPv4 address.
///
/// Zero-padded octets such as `010` are read as decimal, which is what zero-padded log output
/// means; `inet_aton` would read them as octal.
pub(crate) fn parse_ipv4(value: &str) -> Result<Ipv4Addr, String> {
    let mut octets = [0u8; 4];
    let mut count = 0;
    for part in value.split('.') {
        if count == 4 {
            return Err("more than 4 dot-separated octets".to_string());
        }
        octets[count] = parse_octet(part)?;
        count += 1;
    }
    if count != 4 {
        return Err(format!("expected 4 dot-separated octets, found {count}"));
    }
    Ok(Ipv4Addr::from(octets))
}

fn parse_octet(part: &str) -> Result<u8, String> {
    if part.is_empty() {
        return Err("empty octet".to_string());
    }
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("octet `{part}` is not a decimal number"));
    }
    if part.len() > 3 {
        return Err(format!("octet `{part}` has more than 3 digits"));
    }
    let number: u16 = part
        .parse()
        .map_err(|_| format!("octet `{part}` is not a number"))?;
    u8::try_from(number).map_err(|_| format!("octet {number} is above 255"))
}

/// Parses an IPv6 address, accepting `[...]` brackets and dropping a `%zone` suffix.
pub(crate) fn parse_ipv6(value: &str) -> Result<Ipv6Addr, String> {
    let unbracketed = value
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(value);
    let address = unbracketed.split('%').next().unwrap_or(unbracketed);
    if !address.contains(':') {
        return Err("no `:` separator".to_string());
    }
    address
        .parse::<Ipv6Addr>()
        .map_err(|_| "not a valid IPv6 address (RFC 4291 text form)".to_string())
}

fn cidr(value: &str) -> Checked {
    let Some((address, prefix)) = value.split_once('/') else {
        return Err("missing `/prefix` length".to_string());
    };
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("prefix length `{prefix}` is not a number"));
    }
    let length: u8 = prefix
        .parse()
        .map_err(|_| format!("prefix `{prefix}` is too long"))?;
    if address.contains(':') {
        let address = parse_ipv6(address)?;
        if length > 128 {
            return Err(format!("prefix length {length} is above 128"));
        }
        return Ok(format!("{address}/{length}"));
    }
    let address = parse_ipv4(address)?;
    if length > 32 {
        return Err(format!("prefix length {length} is above 32"));
    }
    Ok(format!("{address}/{length}"))
}

/// The check [`domain`] applies to the top-level domain.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TldRule {
    /// Any alphabetic or `xn--` label: an analyst may name an internal or a new TLD.
    Syntax,
    /// Only a label of the embedded TLD list: free text is full of dotted words.
    Known,
}

/// Validates a domain name and returns it lower-cased, in IDNA `xn--` form, without a trailing
/// dot.
pub(crate) fn domain(value: &str, rule: TldRule) -> Checked {
    let ascii = dns_name(value)?;
    let Some((_, tld)) = ascii.rsplit_once('.') else {
        return Err("a domain needs at least two labels".to_string());
    };
    let alphabetic = tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic());
    let syntax_ok = alphabetic || tld.starts_with("xn--");
    if !syntax_ok {
        return Err(format!("top-level domain `{tld}` is not alphabetic"));
    }
    if rule == TldRule::Known && !tlds::is_tld(tld) {
        return Err(format!("`{tld}` is not a known top-level domain"));
    }
    Ok(ascii)
}

fn hostname(value: &str) -> Checked {
    dns_name(value)
}

/// Lower-cases and IDNA-encodes a sequence of DNS labels and checks each label.
///
/// Labels may contain letters, digits, hyphens and underscores, because underscores appear in
/// service names such as `_dmarc` and in Windows host names. A label may not start or end with
/// a hyphen.
fn dns_name(value: &str) -> Checked {
    let trimmed = value.strip_suffix('.').unwrap_or(value);
    if trimmed.is_empty() {
        return Err("empty name".to_string());
    }
    let ascii = if trimmed.is_ascii() {
        trimmed.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(trimmed).map_err(|_| "not a valid internationalized name")?
    };
    if ascii.len() > 253 {
        return Err(format!(
            "name is {} characters long, above 253",
            ascii.len()
        ));
    }
    for label in ascii.split('.') {
        check_label(label)?;
    }
    Ok(ascii)
}

fn check_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err("empty label".to_string());
    }
    if label.len() > 63 {
        return Err(format!("label `{label}` is above 63 characters"));
    }
    if let Some(bad) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!("label `{label}` contains `{bad}`"));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(format!("label `{label}` starts or ends with a hyphen"));
    }
    if label.ends_with('_') {
        return Err(format!("label `{label}` ends with an underscore"));
    }
    if !label.bytes().any(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("label `{label}` has no letter or digit"));
    }
    Ok(())
}

/// Schemes that mark a URL in free text; other `word://` prefixes are left alone.
pub(crate) const URL_SCHEMES: &[&str] = &[
    "file", "ftp", "ftps", "git", "http", "https", "irc", "ldap", "ldaps", "mms", "rdp", "rtsp",
    "sftp", "smb", "ssh", "svn", "tcp", "telnet", "udp", "ws", "wss",
];

/// The byte ranges of a URL's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UrlParts {
    /// End of `scheme://`, or 0 for a URL written without a scheme.
    pub authority_start: usize,
    pub host_start: usize,
    pub host_end: usize,
    /// Start of the path, query or fragment (the end of the value when there is none).
    pub path_start: usize,
}

/// The kind of host a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Host {
    Domain(String),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// A single-label name such as `intranet`, or the empty host of `file:///`.
    Local(String),
}

/// Splits a URL into its parts without allocating.
pub(crate) fn split_url(value: &str) -> Result<UrlParts, String> {
    let authority_start = match value.find("://") {
        Some(index) => {
            let scheme = &value[..index];
            let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.');
            if !valid_scheme {
                return Err(format!("scheme `{scheme}` is not valid"));
            }
            index + 3
        }
        None => 0,
    };
    let rest = &value[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let path_start = authority_start + authority_len;
    let authority = &value[authority_start..path_start];
    let host_start = authority_start + authority.rfind('@').map_or(0, |at| at + 1);
    let host_and_port = &value[host_start..path_start];
    let host_len = if host_and_port.starts_with('[') {
        host_and_port
            .find(']')
            .map(|end| end + 1)
            .ok_or("unclosed `[` in host")?
    } else {
        host_and_port.find(':').unwrap_or(host_and_port.len())
    };
    Ok(UrlParts {
        authority_start,
        host_start,
        host_end: host_start + host_len,
        path_start,
    })
}

/// Classifies the host of a URL. `rule` applies to domain hosts.
pub(crate) fn parse_host(host: &str, rule: TldRule) -> Result<Host, String> {
    if host.starts_with('[') {
        return parse_ipv6(host).map(Host::Ipv6);
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') && host.contains('.') {
        return parse_ipv4(host).map(Host::Ipv4);
    }
    if host.is_empty() || !host.contains('.') {
        return Ok(Host::Local(dns_name(host).or_else(|e| {
            if host.is_empty() {
                Ok(String::new())
            } else {
                Err(e)
            }
        })?));
    }
    domain(host, rule).map(Host::Domain)
}

/// Returns the canonical spelling of a host.
pub(crate) fn host_text(host: &Host) -> String {
    match host {
        Host::Domain(name) | Host::Local(name) => name.clone(),
        Host::Ipv4(addr) => addr.to_string(),
        Host::Ipv6(addr) => format!("[{addr}]"),
    }
}

/// Validates a URL and returns it with the scheme and host lower-cased (IDNA for the host);
/// the port, path, query and fragment keep their spelling.
fn url(value: &str) -> Checked {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace or a control character".to_string());
    }
    let parts = split_url(value)?;
    let host = &value[parts.host_start..parts.host_end];
    let host = if parts.authority_start == 0 {
        if parts.path_start == value.len() {
            return Err("no scheme and no path, so this is a domain, not a URL".to_string());
        }
        parse_host(host, TldRule::Known)?
    } else {
        parse_host(host, TldRule::Syntax)?
    };
    if let Host::Local(name) = &host {
        let scheme = &value[..parts.authority_start.saturating_sub(3)];
        if name.is_empty() && !scheme.eq_ignore_ascii_case("file") {
            return Err("empty host".to_string());
        }
    }
    let scheme = value[..parts.authority_start].to_ascii_lowercase();
    let userinfo = &value[parts.authority_start..parts.host_start];
    let rest = &value[parts.host_end..];
    Ok(format!("{scheme}{userinfo}{}{rest}", host_text(&host)))
}

/// Characters accepted in the local part of an email address when validated on its own: the
/// RFC 5322 `atext` set plus dots.
fn is_local_part_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

/// Validates an email address and returns it with the domain lower-cased. The local part keeps
/// its case, because RFC 5321 leaves its interpretation to the receiving host.
fn email(value: &str) -> Checked {
    let Some((local, domain_part)) = value.rsplit_once('@') else {
        return Err("missing `@`".to_string());
    };
    check_local_part(local)?;
    let domain_text = email_domain(domain_part)?;
    Ok(format!("{local}@{domain_text}"))
}

pub(crate) fn check_local_part(local: &str) -> Result<(), String> {
    if local.is_empty() {
        return Err("empty local part".to_string());
    }
    if local.len() > 64 {
        return Err("local part is above 64 characters".to_string());
    }
    if let Some(bad) = local.chars().find(|c| !is_local_part_char(*c)) {
        return Err(format!("local part contains `{bad}`"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("local part has a leading, trailing or doubled dot".to_string());
    }
    Ok(())
}

/// Validates the part of an email address after `@`: a domain, `[IPv4]` or a bare IPv4.
pub(crate) fn email_domain(domain_part: &str) -> Checked {
    if let Some(literal) = domain_part
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
    {
        return parse_ipv4(literal).map(|addr| format!("[{addr}]"));
    }
    if domain_part.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return parse_ipv4(domain_part).map(|addr| addr.to_string());
    }
    domain(domain_part, TldRule::Syntax)
}

fn hash(value: &str, digits: usize) -> Checked {
    if let Some(bad) = value.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!(
            "contains `{bad}`, which is not a hexadecimal digit"
        ));
    }
    if value.len() != digits {
        return Err(format!(
            "expected {digits} hexadecimal digits, found {}",
            value.len()
        ));
    }
    Ok(value.to_ascii_lowercase())
}

/// Validates a CVE ID: `CVE-`, a four-digit year, `-` and four or more digits (the CVE ID
/// syntax since 2014). A space after `CVE` is accepted as written in some advisories.
fn cve(value: &str) -> Checked {
    let upper = value.to_ascii_uppercase();
    let Some(rest) = upper
        .strip_prefix("CVE")
        .map(|r| r.strip_prefix(['-', ' ']).unwrap_or(r))
    else {
        return Err("does not start with `CVE-`".to_string());
    };
    let Some((year, sequence)) = rest.split_once('-') else {
        return Err("missing `-` between year and sequence number".to_string());
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("year `{year}` is not four digits"));
    }
    if sequence.len() < 4 || !sequence.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "sequence number `{sequence}` is not four or more digits"
        ));
    }
    Ok(format!("CVE-{year}-{sequence}"))
}

/// Validates an autonomous system number: `AS`, `ASN` or no prefix, then the number in plain
/// (`AS65536`) or RFC 5396 dot notation (`AS1.0`). Returns `AS` and the plain number.
fn asn(value: &str) -> Checked {
    let upper = value.to_ascii_uppercase();
    let digits = upper
        .strip_prefix("ASN")
        .or_else(|| upper.strip_prefix("AS"))
        .unwrap_or(&upper)
        .trim_start();
    let number = match digits.split_once('.') {
        Some((high, low)) => {
            let high: u32 = parse_asn_part(high)?;
            let low: u32 = parse_asn_part(low)?;
            if high > 65535 || low > 65535 {
                return Err("each half of dot notation must be at most 65535".to_string());
            }
            (high << 16) | low
        }
        None => parse_asn_part(digits)?,
    };
    Ok(format!("AS{number}"))
}

fn parse_asn_part(digits: &str) -> Result<u32, String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{digits}` is not a number"));
    }
    digits
        .parse()
        .map_err(|_| format!("{digits} is above 4294967295, the largest 32-bit AS number"))
}

/// Validates a MAC address written as six hex pairs separated by `:` or `-`, as three groups of
/// four separated by `.` (Cisco), or as twelve bare hex digits; returns `aa:bb:cc:dd:ee:ff`.
fn mac(value: &str) -> Checked {
    let digits: String = if value.len() == 17 {
        let separator = value.as_bytes()[2];
        if separator != b':' && separator != b'-' {
            return Err("expected `:` or `-` between hex pairs".to_string());
        }
        let groups: Vec<&str> = value.split(separator as char).collect();
        if groups.len() != 6 || groups.iter().any(|g| g.len() != 2) {
            return Err("expected six pairs of hex digits with one separator".to_string());
        }
        groups.concat()
    } else if value.len() == 14 {
        let groups: Vec<&str> = value.split('.').collect();
        if groups.len() != 3 || groups.iter().any(|g| g.len() != 4) {
            return Err("expected three groups of four hex digits".to_string());
        }
        groups.concat()
    } else if value.len() == 12 {
        value.to_string()
    } else {
        return Err("expected six hex pairs, such as `00:1a:2b:3c:4d:5e`".to_string());
    };
    if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!(
            "contains `{bad}`, which is not a hexadecimal digit"
        ));
    }
    let lower = digits.to_ascii_lowercase();
    let pairs: Vec<&str> = (0..6).map(|i| &lower[i * 2..i * 2 + 2]).collect();
    Ok(pairs.join(":"))
}

/// Registry hives and their usual abbreviations; the abbreviation is the canonical spelling.
pub(crate) const REGISTRY_ROOTS: &[(&str, &str)] = &[
    ("HKEY_CLASSES_ROOT", "HKCR"),
    ("HKEY_CURRENT_CONFIG", "HKCC"),
    ("HKEY_CURRENT_USER", "HKCU"),
    ("HKEY_LOCAL_MACHINE", "HKLM"),
    ("HKEY_PERFORMANCE_DATA", "HKPD"),
    ("HKEY_USERS", "HKU"),
    ("HKCR", "HKCR"),
    ("HKCC", "HKCC"),
    ("HKCU", "HKCU"),
    ("HKLM", "HKLM"),
    ("HKPD", "HKPD"),
    ("HKU", "HKU"),
];

/// Validates a registry key and returns it with the hive abbreviated (`HKEY_LOCAL_MACHINE` and
/// PowerShell's `HKLM:` become `HKLM`); the rest keeps its spelling.
fn registry_key(value: &str) -> Checked {
    if value.chars().any(|c| c.is_control()) {
        return Err("contains a control character".to_string());
    }
    let (root, rest) = value.split_once('\\').unwrap_or((value, ""));
    let root = root.strip_suffix(':').unwrap_or(root);
    let Some((_, short)) = REGISTRY_ROOTS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(root))
    else {
        return Err(format!(
            "`{root}` is not a registry hive such as HKLM or HKEY_CURRENT_USER"
        ));
    };
    if rest.is_empty() {
        return Ok((*short).to_string());
    }
    Ok(format!("{short}\\{rest}"))
}

/// Returns whether `value` starts like a Windows path: `C:\`, `\\server\` or `.\`/`..\`.
pub(crate) fn is_windows_path(value: &str) -> bool {
    let bytes = value.as_bytes();
    let drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && (bytes[2] == b'\\' || bytes[2] == b'/');
    drive || value.starts_with("\\\\") || value.starts_with(".\\") || value.starts_with("..\\")
}

/// Returns whether `value` starts like a Unix path: `/`, `~/`, `./` or `../`.
pub(crate) fn is_unix_path(value: &str) -> bool {
    value.starts_with('/')
        || value.starts_with("~/")
        || value.starts_with("./")
        || value.starts_with("../")
}

fn file_path(value: &str) -> Checked {
    if value.chars().any(|c| c.is_control()) {
        return Err("contains a control character".to_string());
    }
    if value.contains("://") {
        return Err("is a URL, not a file path".to_string());
    }
    if !is_windows_path(value) && !is_unix_path(value) {
        return Err(
            "does not start like a path (`C:\\`, `\\\\server\\`, `/`, `~/`, `./` or `../`)"
                .to_string(),
        );
    }
    Ok(value.to_string())
}

fn file_name(value: &str) -> Checked {
    if value.chars().any(|c| c.is_control()) {
        return Err("contains a control character".to_string());
    }
    if value.contains(['/', '\\']) {
        return Err("contains a path separator; use file_path".to_string());
    }
    if value == "." || value == ".." {
        return Err("is a directory reference, not a file name".to_string());
    }
    if value.len() > 255 {
        return Err("is above 255 bytes, the usual file system limit".to_string());
    }
    Ok(value.to_string())
}

fn user_account(value: &str) -> Checked {
    if let Some(bad) = value.chars().find(|c| c.is_control()) {
        return Err(format!(
            "contains the control character U+{:04X}",
            bad as u32
        ));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_rejects_octet_above_255() {
        let error = parse_ipv4("999.1.1.1").unwrap_err();
        assert_eq!(error, "octet 999 is above 255");
    }

    #[test]
    fn ipv4_reads_zero_padding_as_decimal() {
        assert_eq!(
            parse_ipv4("010.001.002.003").unwrap().to_string(),
            "10.1.2.3"
        );
    }

    #[test]
    fn ipv4_rejects_version_triplet() {
        assert!(parse_ipv4("1.2.3").is_err());
    }

    #[test]
    fn ipv6_is_compressed() {
        let addr = parse_ipv6("2001:0db8:0000:0000:0000:ff00:0042:8329").unwrap();
        assert_eq!(addr.to_string(), "2001:db8::ff00:42:8329");
    }

    #[test]
    fn ipv6_drops_zone_and_brackets() {
        assert_eq!(parse_ipv6("[fe80::1%eth0]").unwrap().to_string(), "fe80::1");
    }

    #[test]
    fn cidr_checks_prefix_length() {
        assert_eq!(cidr("10.0.0.0/8").unwrap(), "10.0.0.0/8");
        assert!(cidr("10.0.0.0/33").is_err());
        assert_eq!(cidr("2001:DB8::/32").unwrap(), "2001:db8::/32");
    }

    #[test]
    fn domain_is_lowercased_without_trailing_dot() {
        assert_eq!(domain("Evil.COM.", TldRule::Known).unwrap(), "evil.com");
    }

    #[test]
    fn domain_unicode_and_punycode_agree() {
        let unicode = domain("bücher.de", TldRule::Known).unwrap();
        let punycode = domain("xn--bcher-kva.de", TldRule::Known).unwrap();
        assert_eq!(unicode, "xn--bcher-kva.de");
        assert_eq!(unicode, punycode);
    }

    #[test]
    fn domain_known_rule_rejects_unknown_tld() {
        assert!(domain("example.pumpkin", TldRule::Known).is_err());
        assert!(domain("example.pumpkin", TldRule::Syntax).is_ok());
    }

    #[test]
    fn domain_rejects_edge_hyphen() {
        assert!(domain("a.b-.de", TldRule::Syntax).is_err());
    }

    #[test]
    fn url_lowercases_scheme_and_host_only() {
        let canonical = url("HTTPS://Evil.Example.COM/Path?Q=A").unwrap();
        assert_eq!(canonical, "https://evil.example.com/Path?Q=A");
    }

    #[test]
    fn url_without_path_or_scheme_is_rejected() {
        assert!(url("example.com").is_err());
    }

    #[test]
    fn email_keeps_local_part_case() {
        assert_eq!(email("Bob@Example.COM").unwrap(), "Bob@example.com");
    }

    #[test]
    fn hash_reports_wrong_length() {
        let error = hash("abc", 32).unwrap_err();
        assert_eq!(error, "expected 32 hexadecimal digits, found 3");
    }

    #[test]
    fn cve_is_uppercased() {
        assert_eq!(cve("cve-2021-44228").unwrap(), "CVE-2021-44228");
        assert!(cve("CVE-20100-0000").is_err());
    }

    #[test]
    fn asn_spellings_share_one_form() {
        assert_eq!(asn("asn 1234").unwrap(), "AS1234");
        assert_eq!(asn("AS1.10").unwrap(), "AS65546");
        assert!(asn("AS4294967296").is_err());
    }

    #[test]
    fn mac_forms_share_one_form() {
        assert_eq!(mac("AA-F2-C9-A6-B3-4F").unwrap(), "aa:f2:c9:a6:b3:4f");
        assert_eq!(mac("acf2.c9a6.b34f").unwrap(), "ac:f2:c9:a6:b3:4f");
        assert!(mac("aa:f2-c9:a6:b3:4f").is_err());
    }

    #[test]
    fn registry_hive_is_abbreviated() {
        let canonical = registry_key("HKEY_LOCAL_MACHINE\\Software\\Run").unwrap();
        assert_eq!(canonical, "HKLM\\Software\\Run");
        assert_eq!(registry_key("HKLM:\\Software").unwrap(), "HKLM\\Software");
    }

    #[test]
    fn file_name_rejects_separator() {
        assert!(file_name("dir/evil.exe").is_err());
    }
}
