//! Blocklist of attacker IP addresses, CIDR ranges and domains for firewalls and Wazuh CDB
//! lists, without private, reserved, documentation and allow-listed values.

use std::net::{IpAddr, Ipv4Addr};

use super::ExportIoc;
use crate::ioc::IocType;

/// A value left out of the blocklist, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub value: String,
    pub reason: String,
}

/// An IP network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address.parse().ok()?, prefix.parse().ok()?),
            None => {
                let address: IpAddr = text.parse().ok()?;
                let prefix = if address.is_ipv4() { 32 } else { 128 };
                (address, prefix)
            }
        };
        let max = if matches!(address, IpAddr::V4(_)) {
            32
        } else {
            128
        };
        (prefix <= max).then_some(Network { address, prefix })
    }

    /// Returns the address as a 128-bit number (IPv4 in the low bits) and the prefix length
    /// counted in the same width.
    fn bits(self) -> (u128, u32, bool) {
        match self.address {
            IpAddr::V4(v4) => (u32::from(v4) as u128, u32::from(self.prefix), true),
            IpAddr::V6(v6) => (u128::from(v6), u32::from(self.prefix), false),
        }
    }

    /// Returns whether the two networks share at least one address.
    fn overlaps(self, other: Network) -> bool {
        let (a, a_prefix, a_v4) = self.bits();
        let (b, b_prefix, b_v4) = other.bits();
        if a_v4 != b_v4 {
            return false;
        }
        let width = if a_v4 { 32 } else { 128 };
        let prefix = a_prefix.min(b_prefix);
        if prefix == 0 {
            return true;
        }
        let shift = width - prefix;
        (a >> shift) == (b >> shift)
    }
}

/// Address ranges that are never an attacker's public address, with the RFC that reserves
/// them (IANA special-purpose address registries).
const RESERVED: &[(&str, &str)] = &[
    ("0.0.0.0/8", "this network (RFC 791)"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared address space (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation (RFC 5737)"),
    ("192.88.99.0/24", "6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation (RFC 5737)"),
    ("203.0.113.0/24", "documentation (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
    ("::/127", "unspecified or loopback (RFC 4291)"),
    ("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
    ("64:ff9b::/96", "IPv4/IPv6 translation (RFC 6052)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("2001::/23", "IETF protocol assignments (RFC 2928)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("2002::/16", "6to4 (RFC 3056)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("fc00::/7", "unique local (RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291)"),
    ("ff00::/8", "multicast (RFC 4291)"),
];

/// Domain suffixes reserved for documentation, testing and local use (RFC 2606, RFC 6761,
/// RFC 6762, RFC 8375).
const RESERVED_DOMAINS: &[&str] = &[
    "example",
    "example.com",
    "example.net",
    "example.org",
    "test",
    "invalid",
    "localhost",
    "local",
    "home.arpa",
    "arpa",
];

/// Builds the sorted, deduplicated blocklist of `iocs`, leaving out values that are reserved,
/// covered by `allow` (IPs, CIDR ranges, or domains with their subdomains) or of other types.
pub fn build(iocs: &[ExportIoc], allow: &[String]) -> (Vec<String>, Vec<Skipped>) {
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for ioc in iocs {
        let reason = match ioc.kind {
            IocType::Ipv4 | IocType::Ipv6 | IocType::Cidr => network_exclusion(&ioc.value, allow),
            IocType::Domain => domain_exclusion(&ioc.value, allow),
            _ => continue,
        };
        match reason {
            Some(reason) => skipped.push(Skipped {
                value: ioc.value.clone(),
                reason,
            }),
            None => entries.push(ioc.value.clone()),
        }
    }
    entries.sort();
    entries.dedup();
    skipped.dedup();
    (entries, skipped)
}

fn network_exclusion(value: &str, allow: &[String]) -> Option<String> {
    let Some(network) = Network::parse(value) else {
        return Some("not an IP address or CIDR range".into());
    };
    for (range, reason) in RESERVED {
        let reserved = Network::parse(range).expect("reserved ranges parse");
        if network.overlaps(reserved) {
            return Some(format!("overlaps {range}, {reason}"));
        }
    }
    allow
        .iter()
        .filter_map(|entry| Network::parse(entry).map(|allowed| (entry, allowed)))
        .find(|(_, allowed)| network.overlaps(*allowed))
        .map(|(entry, _)| format!("overlaps `{entry}` in blocklist.allow"))
}

fn domain_exclusion(value: &str, allow: &[String]) -> Option<String> {
    let domain = value.trim_end_matches('.').to_ascii_lowercase();
    let within = |suffix: &str| domain == suffix || domain.ends_with(&format!(".{suffix}"));
    if let Some(suffix) = RESERVED_DOMAINS.iter().find(|suffix| within(suffix)) {
        return Some(format!(
            "under `{suffix}`, reserved for documentation or local use"
        ));
    }
    allow
        .iter()
        .map(|entry| entry.trim_end_matches('.').to_ascii_lowercase())
        .find(|entry| within(entry))
        .map(|entry| format!("under `{entry}` in blocklist.allow"))
}

/// Formats the blocklist as a Wazuh CDB list: one `key:` line per entry with an empty value.
/// An IPv6 key is quoted because it contains colons. A CIDR range on an octet boundary
/// becomes the prefix key Wazuh matches (`10.1.`). Another range cannot be written as a key,
/// so it is returned as skipped.
pub fn cdb(entries: &[String]) -> (String, Vec<Skipped>) {
    let mut output = String::new();
    let mut skipped = Vec::new();
    for entry in entries {
        match cdb_key(entry) {
            Some(key) => {
                output.push_str(&key);
                output.push_str(":\n");
            }
            None => skipped.push(Skipped {
                value: entry.clone(),
                reason: "a CDB key cannot express this range; block it in a firewall".into(),
            }),
        }
    }
    (output, skipped)
}

fn cdb_key(entry: &str) -> Option<String> {
    let Some((address, prefix)) = entry.split_once('/') else {
        return Some(if entry.contains(':') {
            format!("\"{entry}\"")
        } else {
            entry.to_string()
        });
    };
    let address: Ipv4Addr = address.parse().ok()?;
    let octets = match prefix.parse::<u8>().ok()? {
        32 => return Some(address.to_string()),
        24 => 3,
        16 => 2,
        8 => 1,
        _ => return None,
    };
    let parts: Vec<String> = address.octets()[..octets]
        .iter()
        .map(u8::to_string)
        .collect();
    Some(format!("{}.", parts.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ioc(kind: IocType, value: &str) -> ExportIoc {
        ExportIoc {
            incident: "IR-1".into(),
            kind,
            value: value.into(),
            first_seen: String::new(),
            last_seen: String::new(),
            sources: Vec::new(),
            tlp: crate::tlp::Tlp::Amber,
            sightings: 1,
        }
    }

    #[test]
    fn build_skips_reserved_and_allowed() {
        let iocs = [
            ioc(IocType::Ipv4, "45.33.32.156"),
            ioc(IocType::Ipv4, "10.1.2.3"),
            ioc(IocType::Ipv4, "198.51.100.7"),
            ioc(IocType::Ipv4, "8.8.8.8"),
            ioc(IocType::Cidr, "0.0.0.0/0"),
            ioc(IocType::Cidr, "185.220.101.0/24"),
            ioc(IocType::Ipv6, "2001:db8::1"),
            ioc(IocType::Ipv6, "2a01:4f8::1"),
            ioc(IocType::Domain, "evil.example.com"),
            ioc(IocType::Domain, "login.corp.test"),
            ioc(IocType::Domain, "mail.partner.org"),
            ioc(IocType::Domain, "c2.badhost.ru"),
            ioc(IocType::Sha256, "ab"),
        ];
        let allow = vec!["8.8.8.0/24".to_string(), "partner.org".to_string()];
        let (entries, skipped) = build(&iocs, &allow);
        assert_eq!(
            entries,
            [
                "185.220.101.0/24",
                "2a01:4f8::1",
                "45.33.32.156",
                "c2.badhost.ru"
            ]
        );
        assert_eq!(skipped.len(), 8);
    }

    #[test]
    fn cdb_writes_prefix_keys() {
        let entries = ["10.1.0.0/16", "1.2.3.4", "2a01::1", "5.6.7.0/25"].map(String::from);
        let (text, skipped) = cdb(&entries);
        assert_eq!(text, "10.1.:\n1.2.3.4:\n\"2a01::1\":\n");
        assert_eq!(skipped.len(), 1);
    }
}
