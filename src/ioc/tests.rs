//! Tests of the public API on the hard cases of extraction, refanging and validation.

use super::*;

/// Returns the `(type, value)` pairs extracted from `text`.
fn found(text: &str) -> Vec<(IocType, String)> {
    extract(text)
        .into_iter()
        .map(|item| (item.indicator.kind, item.indicator.value))
        .collect()
}

fn values_of(text: &str, kind: IocType) -> Vec<String> {
    found(text)
        .into_iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, v)| v)
        .collect()
}

fn has(text: &str, kind: IocType, value: &str) -> bool {
    values_of(text, kind).iter().any(|v| v == value)
}

const SHA1: &str = "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc";

#[test]
fn hash_inside_longer_hex_run_is_not_a_hash() {
    let text = format!("{SHA1}ab");
    assert!(found(&text).is_empty());
}

#[test]
fn sha1_is_not_also_md5() {
    assert_eq!(values_of(SHA1, IocType::Md5), Vec::<String>::new());
    assert_eq!(values_of(SHA1, IocType::Sha1), vec![SHA1.to_string()]);
}

#[test]
fn hash_is_lowercased() {
    let upper = "9E107D9D372BB6826BD81D3542A419D6";
    assert!(has(upper, IocType::Md5, "9e107d9d372bb6826bd81d3542a419d6"));
}

#[test]
fn ip_port_yields_ip() {
    assert_eq!(
        values_of("connect 8.8.4.4:53 now", IocType::Ipv4),
        vec!["8.8.4.4"]
    );
}

#[test]
fn url_trailing_punctuation_is_trimmed() {
    for text in [
        "see http://evil.com/x).",
        "see http://evil.com/x,",
        "<http://evil.com/x>",
        "\"http://evil.com/x\"",
        "'http://evil.com/x'.",
    ] {
        assert_eq!(
            values_of(text, IocType::Url),
            vec!["http://evil.com/x"],
            "{text}"
        );
    }
}

#[test]
fn url_keeps_balanced_parentheses() {
    let text = "(https://en.wikipedia.org/wiki/Foo_(bar))";
    let expected = "https://en.wikipedia.org/wiki/Foo_(bar)";
    assert_eq!(values_of(text, IocType::Url), vec![expected]);
}

#[test]
fn url_yields_its_host() {
    assert!(has("http://Evil.COM/a", IocType::Domain, "evil.com"));
    assert!(has("http://1.2.3.4:8080/a", IocType::Ipv4, "1.2.3.4"));
}

#[test]
fn url_host_is_canonical() {
    assert_eq!(
        values_of("HTTP://EVIL.com/Path", IocType::Url),
        vec!["http://evil.com/Path"]
    );
}

#[test]
fn file_name_is_not_a_domain() {
    assert_eq!(
        found("open invoice.zip now"),
        vec![(IocType::FileName, "invoice.zip".into())]
    );
    assert_eq!(
        found("report.pdf"),
        vec![(IocType::FileName, "report.pdf".into())]
    );
}

#[test]
fn file_name_as_url_host_is_a_domain() {
    assert!(has("http://invoice.zip/x", IocType::Domain, "invoice.zip"));
    assert!(has("bob@report.zip", IocType::Email, "bob@report.zip"));
}

#[test]
fn mac_is_not_ipv6() {
    let text = "mac aa:bb:cc:dd:ee:ff";
    assert_eq!(
        found(text),
        vec![(IocType::Mac, "aa:bb:cc:dd:ee:ff".into())]
    );
}

#[test]
fn fingerprint_is_neither_mac_nor_ipv6() {
    let text = "fp 43:51:43:a1:b5:fc:8b:b7:0a:3a:a9:b1:0f:66:73:a8";
    assert!(found(text).is_empty());
}

#[test]
fn mac_forms_are_canonical() {
    assert!(has("AA-F2-C9-A6-B3-4F", IocType::Mac, "aa:f2:c9:a6:b3:4f"));
    assert!(has("ACF2.C9A6.B34F", IocType::Mac, "ac:f2:c9:a6:b3:4f"));
}

#[test]
fn prose_at_is_not_email() {
    assert!(values_of("meet me at noon", IocType::Email).is_empty());
    assert!(values_of("user at evil.com", IocType::Email).is_empty());
}

#[test]
fn bracketed_at_is_email() {
    assert!(has("user [at] evil[.]com", IocType::Email, "user@evil.com"));
    assert!(has("user(at)evil.com", IocType::Email, "user@evil.com"));
    assert!(has("user[@]evil.com", IocType::Email, "user@evil.com"));
}

#[test]
fn version_number_is_not_ip() {
    assert!(found("version 1.2.3 released").is_empty());
    assert!(values_of("Chrome/120.0.0.0 Safari", IocType::Ipv4).is_empty());
    assert!(values_of("build v1.2.3.4", IocType::Ipv4).is_empty());
}

#[test]
fn octet_above_255_is_not_ip() {
    assert!(values_of("255.256.1.1", IocType::Ipv4).is_empty());
}

#[test]
fn long_dotted_run_is_not_ip() {
    assert!(values_of("1.2.3.4.5", IocType::Ipv4).is_empty());
}

#[test]
fn leading_zeros_are_dropped() {
    assert_eq!(
        values_of("010.001.002.003", IocType::Ipv4),
        vec!["10.1.2.3"]
    );
}

#[test]
fn defanged_url_is_refanged() {
    let text = "C2 at hxxps://evil[.]example[.]com/gate.php today";
    assert_eq!(
        values_of(text, IocType::Url),
        vec!["https://evil.example.com/gate.php"]
    );
}

#[test]
fn defanged_offsets_point_into_source() {
    let text = "x 1.2.3[.]4 y";
    let items = extract(text);
    assert_eq!(items.len(), 1);
    assert_eq!(&text[items[0].start..items[0].end], "1.2.3[.]4");
}

#[test]
fn offsets_cover_the_match() {
    let text = "ip 8.8.8.8, done";
    let items = extract(text);
    assert_eq!(&text[items[0].start..items[0].end], "8.8.8.8");
}

#[test]
fn ipv6_is_compressed() {
    let text = "from 2001:0db8:0000:0000:0000:ff00:0042:8329 x";
    assert_eq!(
        values_of(text, IocType::Ipv6),
        vec!["2001:db8::ff00:42:8329"]
    );
}

#[test]
fn time_is_not_ipv6() {
    assert!(found("at 11:04:10 -0500").is_empty());
}

#[test]
fn bracketed_ipv6_with_port() {
    assert_eq!(
        values_of("[2001:db8::1]:443", IocType::Ipv6),
        vec!["2001:db8::1"]
    );
}

#[test]
fn cidr_is_one_indicator() {
    assert_eq!(
        found("block 10.0.0.0/8"),
        vec![(IocType::Cidr, "10.0.0.0/8".into())]
    );
}

#[test]
fn domain_trailing_dot_is_dropped() {
    assert_eq!(
        values_of("visit evil.com.", IocType::Domain),
        vec!["evil.com"]
    );
}

#[test]
fn domain_unicode_is_punycode() {
    assert_eq!(
        values_of("bücher.de", IocType::Domain),
        vec!["xn--bcher-kva.de"]
    );
}

#[test]
fn domain_unknown_tld_is_ignored() {
    assert!(found("smtp.mailfrom and domain.like.iandom").is_empty());
}

#[test]
fn java_package_is_not_domain() {
    assert!(found("at org.apache.commons.io.FileUtils").is_empty());
}

#[test]
fn cve_is_uppercased() {
    assert_eq!(
        values_of("see cve-2021-44228", IocType::Cve),
        vec!["CVE-2021-44228"]
    );
}

#[test]
fn asn_forms_are_canonical() {
    assert_eq!(
        values_of("AS 13335 and asn15169", IocType::Asn),
        vec!["AS13335", "AS15169"]
    );
    assert!(values_of("just as 2014", IocType::Asn).is_empty());
}

#[test]
fn registry_key_stops_before_prose() {
    let text = r"key HKLM\Software\Microsoft\Windows NT\CurrentVersion on the box";
    let expected = r"HKLM\Software\Microsoft\Windows NT\CurrentVersion";
    assert_eq!(values_of(text, IocType::RegistryKey), vec![expected]);
}

#[test]
fn windows_path_with_spaces() {
    let text = r#"ran "C:\Program Files\Evil Corp\evil.exe" -q"#;
    let expected = r"C:\Program Files\Evil Corp\evil.exe";
    assert_eq!(values_of(text, IocType::FilePath), vec![expected]);
}

#[test]
fn unix_path_is_extracted() {
    assert_eq!(
        values_of("cat /etc/passwd now", IocType::FilePath),
        vec!["/etc/passwd"]
    );
    assert!(values_of("and/or", IocType::FilePath).is_empty());
}

#[test]
fn url_path_is_not_a_file_path() {
    assert!(values_of("https://twitter.com/a/b", IocType::FilePath).is_empty());
}

#[test]
fn hash_in_url_path_is_kept() {
    let sha256 = "2f3ec0e4998909bb0efab13c82d30708ca9f88679e42b75ef13ea0466951d862";
    let text = format!("https://www.virustotal.com/gui/file/{sha256}/detection");
    assert!(has(&text, IocType::Sha256, sha256));
}

#[test]
fn email_domain_is_lowercased() {
    assert_eq!(
        values_of("Bob@Evil.COM", IocType::Email),
        vec!["Bob@evil.com"]
    );
}

#[test]
fn schemeless_url_is_extracted() {
    assert!(has(
        "get evil.com/payload.bin now",
        IocType::Url,
        "evil.com/payload.bin"
    ));
}

#[test]
fn parse_rejects_wrong_type_with_reason() {
    let error = parse_indicator("999.1.1.1", Some(IocType::Ipv4)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid ipv4 `999.1.1.1`: octet 999 is above 255"
    );
}

#[test]
fn parse_detects_and_canonicalizes() {
    let indicator = parse_indicator(" hxxp://EVIL[.]com/x ", None).unwrap();
    assert_eq!(indicator.kind, IocType::Url);
    assert_eq!(indicator.value, "http://evil.com/x");
}

#[test]
fn parse_unicode_and_punycode_are_one_domain() {
    let unicode = parse_indicator("münchen.de", Some(IocType::Domain)).unwrap();
    let punycode = parse_indicator("xn--mnchen-3ya.de", Some(IocType::Domain)).unwrap();
    assert_eq!(unicode, punycode);
}

#[test]
fn parse_hostname_is_lowercased() {
    let host = parse_indicator("WKS-042.corp.local.", Some(IocType::Hostname)).unwrap();
    assert_eq!(host.value, "wks-042.corp.local");
    assert!(parse_indicator("bad host", Some(IocType::Hostname)).is_err());
}

#[test]
fn parse_user_account_is_trimmed() {
    let user = parse_indicator("  CORP\\alice ", Some(IocType::UserAccount)).unwrap();
    assert_eq!(user.value, "CORP\\alice");
    assert!(parse_indicator("bob\u{7}", Some(IocType::UserAccount)).is_err());
    assert!(parse_indicator("   ", Some(IocType::UserAccount)).is_err());
}

#[test]
fn parse_hash_of_wrong_length() {
    let error = parse_indicator("abcd", Some(IocType::Sha256)).unwrap_err();
    assert!(error.reason.contains("expected 64"), "{}", error.reason);
}

#[test]
fn detect_examples() {
    assert_eq!(detect("8.8.8.8"), Some(IocType::Ipv4));
    assert_eq!(detect("::1"), Some(IocType::Ipv6));
    assert_eq!(detect("evil.com"), Some(IocType::Domain));
    assert_eq!(detect("invoice.zip"), Some(IocType::FileName));
    assert_eq!(detect(SHA1), Some(IocType::Sha1));
    assert_eq!(detect("alice"), None);
}

#[test]
fn benign_warns_on_private_address() {
    let indicator = parse_indicator("10.0.0.5", None).unwrap();
    let reason = benign_reason(&indicator);
    assert_eq!(
        reason.as_deref(),
        Some("private address range 10.0.0.0/8 (RFC 1918)")
    );
}

#[test]
fn indicator_serializes_with_type_field() {
    let indicator = parse_indicator("8.8.8.8", None).unwrap();
    let json = serde_json::to_string(&indicator).unwrap();
    assert_eq!(json, r#"{"type":"ipv4","value":"8.8.8.8"}"#);
}

#[test]
fn extractor_is_reusable() {
    let extractor = Extractor::new();
    assert_eq!(extractor.extract("1.1.1.1").len(), 1);
    assert_eq!(extractor.extract("no indicators here").len(), 0);
    assert_eq!(extractor.extract("8.8.8.8").len(), 1);
}

#[test]
fn request_path_stops_before_protocol() {
    let text = "\"GET /admin/report.php?q=1 HTTP/1.1\" 200";
    assert_eq!(
        values_of(text, IocType::FilePath),
        vec!["/admin/report.php?q=1"]
    );
}

/// Found by fuzzing: a URL written without a scheme ran on across NUL bytes.
#[test]
fn schemeless_url_stops_at_control_character() {
    let text = "keycodes777[dot]ru/x1ohm\0\0\0/e[dot]php";
    assert_eq!(values_of(text, IocType::Url), vec!["keycodes777.ru/x1ohm"]);
}

/// Found by fuzzing: a path with a spaced component ran on across NUL bytes.
#[test]
fn spaced_path_stops_at_control_character() {
    let text = "/Library/File System/HFS/\0\0,x/a.appex";
    assert_eq!(
        values_of(text, IocType::FilePath),
        vec!["/Library/File System/HFS/"]
    );
}

/// Found by fuzzing: a drive letter glued to a URL made a path that is really a URL.
#[test]
fn windows_path_is_not_a_url() {
    let text = r"c:\tps://github.com/x\y";
    assert!(values_of(text, IocType::FilePath).is_empty());
}

/// Found by fuzzing: a no-break space before a one-sided bracket split a character.
#[test]
fn refang_token_after_no_break_space() {
    let text = "a\u{a0}b.]c hxxp://x";
    assert_eq!(refang(text), "a\u{a0}b.]c http://x");
}

#[test]
fn version_after_non_ascii_word() {
    assert_eq!(values_of("é/1.2.3.4", IocType::Ipv4), vec!["1.2.3.4"]);
}

/// Found by fuzzing: a spaced path component reached into a URL.
#[test]
fn spaced_unix_path_is_not_a_url() {
    let text = "/a b/c d/xxp://example.com/e f/g";
    assert!(values_of(text, IocType::FilePath)
        .iter()
        .all(|p| !p.contains("://")));
}

/// Found by fuzzing: a spaced component held a bracketed scheme separator.
#[test]
fn spaced_path_with_separator_is_dropped() {
    let text = "/e /xamphttp[:// emplslteseq4 om-.c//";
    assert!(values_of(text, IocType::FilePath)
        .iter()
        .all(|p| !p.contains("://")));
}

/// Found by fuzzing: refanging `h__ps__h__ps__x` twice gave different results.
#[test]
fn refang_is_stable_on_underscored_schemes() {
    let once = refang("h__ps__h__ps__sub.example[.]com/x");
    assert_eq!(refang(&once), once);
    let twice = refang("http__http__x.example.com");
    assert_eq!(refang(&twice), twice);
}

/// Found by fuzzing: a C1 control character (U+0099) inside a relative Windows path.
#[test]
fn path_stops_at_c1_control() {
    let text = "..\\..\\a\u{99}b\\c";
    assert!(values_of(text, IocType::FilePath)
        .iter()
        .all(|p| !p.contains('\u{99}')));
}

/// Found by fuzzing: `http__` inside a name was read as a scheme once the name stood alone.
#[test]
fn underscored_name_is_not_a_scheme() {
    assert_eq!(refang("http__proxy.example.com"), "http__proxy.example.com");
    assert_eq!(
        refang("https:__evil.example.com/x"),
        "https://evil.example.com/x"
    );
}
