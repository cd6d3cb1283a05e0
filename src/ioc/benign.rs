//! Known-benign indicators: private and reserved address ranges, reserved names and hashes of
//! empty input, which deserve a warning when an analyst records them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::canonical::{self, Host, TldRule};
use super::{Indicator, IocType};

/// IPv4 ranges that never name a host on the public internet, with the warning for each.
const IPV4_RANGES: &[([u8; 4], u8, &str)] = &[
    (
        [0, 0, 0, 0],
        8,
        "\"this network\" range 0.0.0.0/8 (RFC 1122)",
    ),
    (
        [10, 0, 0, 0],
        8,
        "private address range 10.0.0.0/8 (RFC 1918)",
    ),
    (
        [100, 64, 0, 0],
        10,
        "shared address range 100.64.0.0/10 for carrier-grade NAT (RFC 6598)",
    ),
    ([127, 0, 0, 0], 8, "loopback range 127.0.0.0/8 (RFC 1122)"),
    (
        [169, 254, 0, 0],
        16,
        "link-local range 169.254.0.0/16 (RFC 3927)",
    ),
    (
        [172, 16, 0, 0],
        12,
        "private address range 172.16.0.0/12 (RFC 1918)",
    ),
    (
        [192, 0, 2, 0],
        24,
        "documentation range 192.0.2.0/24 (RFC 5737)",
    ),
    (
        [192, 168, 0, 0],
        16,
        "private address range 192.168.0.0/16 (RFC 1918)",
    ),
    (
        [198, 18, 0, 0],
        15,
        "benchmarking range 198.18.0.0/15 (RFC 2544)",
    ),
    (
        [198, 51, 100, 0],
        24,
        "documentation range 198.51.100.0/24 (RFC 5737)",
    ),
    (
        [203, 0, 113, 0],
        24,
        "documentation range 203.0.113.0/24 (RFC 5737)",
    ),
    ([224, 0, 0, 0], 4, "multicast range 224.0.0.0/4 (RFC 5771)"),
    (
        [255, 255, 255, 255],
        32,
        "limited broadcast address 255.255.255.255 (RFC 919)",
    ),
    ([240, 0, 0, 0], 4, "reserved range 240.0.0.0/4 (RFC 1112)"),
];

/// IPv6 ranges that never name a host on the public internet, with the warning for each.
const IPV6_RANGES: &[(u128, u8, &str)] = &[
    (0, 128, "unspecified address :: (RFC 4291)"),
    (1, 128, "loopback address ::1 (RFC 4291)"),
    (0xfc00 << 112, 7, "unique local range fc00::/7 (RFC 4193)"),
    (0xfe80 << 112, 10, "link-local range fe80::/10 (RFC 4291)"),
    (0xff00 << 112, 8, "multicast range ff00::/8 (RFC 4291)"),
    (
        0x2001_0db8 << 96,
        32,
        "documentation range 2001:db8::/32 (RFC 3849)",
    ),
];

/// Top-level domains reserved by RFC 2606, RFC 6761 and RFC 6762, which resolve nowhere on
/// the public internet.
const RESERVED_TLDS: &[(&str, &str)] = &[
    ("example", "reserved top-level domain .example (RFC 2606)"),
    ("invalid", "reserved top-level domain .invalid (RFC 2606)"),
    ("local", "multicast DNS domain .local (RFC 6762)"),
    (
        "localhost",
        "reserved top-level domain .localhost (RFC 6761)",
    ),
    ("test", "reserved top-level domain .test (RFC 2606)"),
];

/// Second-level domains reserved for documentation by RFC 2606.
const RESERVED_DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];

/// Digests of zero bytes of input.
const EMPTY_INPUT_HASHES: &[(&str, &str)] = &[
    ("d41d8cd98f00b204e9800998ecf8427e", "MD5 of an empty file"),
    (
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "SHA-1 of an empty file",
    ),
    (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "SHA-256 of an empty file",
    ),
    (
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
         47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        "SHA-512 of an empty file",
    ),
];

/// Returns a warning when `indicator` is known to be benign or not routable: a private,
/// loopback, link-local, multicast or documentation address (RFC 1918, RFC 5737, RFC 3849 and
/// others), a reserved domain (`.example`, `.test`, `.invalid`, `.localhost`, `example.com`),
/// the hash of an empty file, a reserved AS number or the broadcast MAC address.
///
/// The indicator is expected in canonical form, as [`super::parse_indicator`] returns it.
pub fn benign_reason(indicator: &Indicator) -> Option<String> {
    let value = indicator.value.as_str();
    match indicator.kind {
        IocType::Ipv4 => value.parse().ok().and_then(ipv4_reason),
        IocType::Ipv6 => value.parse().ok().and_then(ipv6_reason),
        IocType::Cidr => cidr_reason(value),
        IocType::Domain | IocType::Hostname => domain_reason(value),
        IocType::Url => url_reason(value),
        IocType::Email => value
            .rsplit_once('@')
            .and_then(|(_, host)| host_reason(host)),
        IocType::Md5 | IocType::Sha1 | IocType::Sha256 | IocType::Sha512 => EMPTY_INPUT_HASHES
            .iter()
            .find(|(hash, _)| *hash == value)
            .map(|(_, reason)| (*reason).to_string()),
        IocType::Asn => asn_reason(value),
        IocType::Mac => mac_reason(value),
        _ => None,
    }
}

fn ipv4_reason(address: Ipv4Addr) -> Option<String> {
    let bits = u32::from(address);
    IPV4_RANGES
        .iter()
        .find(|(network, length, _)| prefix_matches32(bits, u32::from_be_bytes(*network), *length))
        .map(|(_, _, reason)| (*reason).to_string())
}

fn ipv6_reason(address: Ipv6Addr) -> Option<String> {
    if let Some(mapped) = address.to_ipv4_mapped() {
        return ipv4_reason(mapped).map(|reason| format!("IPv4-mapped address in the {reason}"));
    }
    let bits = u128::from(address);
    IPV6_RANGES
        .iter()
        .find(|(network, length, _)| prefix_matches128(bits, *network, *length))
        .map(|(_, _, reason)| (*reason).to_string())
}

fn prefix_matches32(bits: u32, network: u32, length: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(length)).unwrap_or(0);
    bits & mask == network & mask
}

fn prefix_matches128(bits: u128, network: u128, length: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(length)).unwrap_or(0);
    bits & mask == network & mask
}

/// Warns when the whole range lies inside a benign range.
fn cidr_reason(value: &str) -> Option<String> {
    let (address, length) = value.split_once('/')?;
    let length: u8 = length.parse().ok()?;
    match address.parse::<IpAddr>().ok()? {
        IpAddr::V4(address) => {
            let bits = u32::from(address);
            IPV4_RANGES
                .iter()
                .find(|(network, range_length, _)| {
                    length >= *range_length
                        && prefix_matches32(bits, u32::from_be_bytes(*network), *range_length)
                })
                .map(|(_, _, reason)| (*reason).to_string())
        }
        IpAddr::V6(address) => {
            let bits = u128::from(address);
            IPV6_RANGES
                .iter()
                .find(|(network, range_length, _)| {
                    length >= *range_length && prefix_matches128(bits, *network, *range_length)
                })
                .map(|(_, _, reason)| (*reason).to_string())
        }
    }
}

fn domain_reason(name: &str) -> Option<String> {
    let name = name.trim_end_matches('.');
    let tld = name.rsplit('.').next()?;
    if let Some((_, reason)) = RESERVED_TLDS.iter().find(|(reserved, _)| *reserved == tld) {
        return Some((*reason).to_string());
    }
    RESERVED_DOMAINS
        .iter()
        .find(|reserved| name == **reserved || name.ends_with(&format!(".{reserved}")))
        .map(|reserved| format!("documentation domain {reserved} (RFC 2606)"))
}

fn url_reason(value: &str) -> Option<String> {
    let parts = canonical::split_url(value).ok()?;
    host_reason(&value[parts.host_start..parts.host_end])
}

fn host_reason(host: &str) -> Option<String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match canonical::parse_host(host, TldRule::Syntax) {
        Ok(Host::Ipv4(address)) => ipv4_reason(address),
        Ok(Host::Ipv6(address)) => ipv6_reason(address),
        _ if host.contains(':') => host.parse().ok().and_then(ipv6_reason),
        _ => domain_reason(host),
    }
}

fn asn_reason(value: &str) -> Option<String> {
    let number: u32 = value.strip_prefix("AS")?.parse().ok()?;
    let reason = match number {
        0 => "reserved AS number 0 (RFC 7607)",
        23456 => "AS_TRANS placeholder AS number 23456 (RFC 6793)",
        64496..=64511 | 65536..=65551 => "documentation AS number (RFC 5398)",
        64512..=65534 | 4_200_000_000..=4_294_967_294 => "private-use AS number (RFC 6996)",
        65535 | 4_294_967_295 => "reserved AS number (RFC 7300)",
        _ => return None,
    };
    Some(reason.to_string())
}

fn mac_reason(value: &str) -> Option<String> {
    match value {
        "ff:ff:ff:ff:ff:ff" => Some("broadcast MAC address".to_string()),
        "00:00:00:00:00:00" => Some("all-zero MAC address".to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(kind: IocType, value: &str) -> Option<String> {
        benign_reason(&Indicator {
            kind,
            value: value.to_string(),
        })
    }

    #[test]
    fn benign_private_ipv4() {
        let warning = reason(IocType::Ipv4, "10.1.2.3");
        assert_eq!(
            warning.as_deref(),
            Some("private address range 10.0.0.0/8 (RFC 1918)")
        );
    }

    #[test]
    fn benign_public_ipv4_is_none() {
        assert_eq!(reason(IocType::Ipv4, "8.8.8.8"), None);
    }

    #[test]
    fn benign_loopback_and_link_local() {
        assert!(reason(IocType::Ipv4, "127.0.0.1")
            .unwrap()
            .contains("loopback"));
        assert!(reason(IocType::Ipv4, "169.254.1.1")
            .unwrap()
            .contains("link-local"));
        assert!(reason(IocType::Ipv6, "fe80::1")
            .unwrap()
            .contains("link-local"));
        assert!(reason(IocType::Ipv6, "::1").unwrap().contains("loopback"));
    }

    #[test]
    fn benign_documentation_ranges() {
        assert!(reason(IocType::Ipv4, "198.51.100.7")
            .unwrap()
            .contains("RFC 5737"));
        assert!(reason(IocType::Ipv6, "2001:db8::1")
            .unwrap()
            .contains("RFC 3849"));
    }

    #[test]
    fn benign_cidr_inside_private_range() {
        assert!(reason(IocType::Cidr, "192.168.1.0/24").is_some());
        assert_eq!(reason(IocType::Cidr, "0.0.0.0/0"), None);
    }

    #[test]
    fn benign_reserved_names() {
        assert!(reason(IocType::Domain, "evil.example")
            .unwrap()
            .contains(".example"));
        assert!(reason(IocType::Domain, "a.test").is_some());
        assert!(reason(IocType::Domain, "sub.example.org")
            .unwrap()
            .contains("RFC 2606"));
        assert!(reason(IocType::Url, "http://localhost:8080/x").is_some());
        assert!(reason(IocType::Url, "http://127.0.0.1:8080/x").is_some());
        assert!(reason(IocType::Email, "bob@example.com").is_some());
        assert_eq!(reason(IocType::Domain, "examples.com"), None);
    }

    #[test]
    fn benign_empty_file_hash() {
        let hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            reason(IocType::Sha256, hash).as_deref(),
            Some("SHA-256 of an empty file")
        );
    }

    #[test]
    fn benign_private_asn() {
        assert!(reason(IocType::Asn, "AS64512")
            .unwrap()
            .contains("RFC 6996"));
        assert_eq!(reason(IocType::Asn, "AS13335"), None);
    }
}
