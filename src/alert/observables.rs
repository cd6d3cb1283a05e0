//! Extraction of observables (addresses, accounts, hosts, files, hashes, URLs) from the
//! alert fields where Wazuh decoders and integrations put them.

use std::borrow::Cow;
use std::net::IpAddr;

use super::fields::{scalar_text, text_at, trim, Branch};
use super::json::Json;
use super::Observable;
use crate::ioc::IocType;

/// The expected form of a field's text, which decides the observable kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// An IPv4 or IPv6 address.
    Ip,
    UserAccount,
    Hostname,
    /// A Linux or Windows path.
    FilePath,
    Md5,
    Sha1,
    Sha256,
    /// An absolute URL. Relative request paths such as web `data.url` are skipped.
    Url,
    Domain,
    RegistryKey,
    /// Sysmon's `hashes`, e.g. `SHA1=...,MD5=...,SHA256=...,IMPHASH=...`.
    HashList,
    /// Defender's `path`, e.g. `file:_C:\x.tmp; webfile:_C:\x.tmp|https://host/x|pid:1`.
    DefenderPath,
}

/// Fields written by Wazuh decoders, FIM (`syscheck`) and the VirusTotal and audit
/// integrations, in the order their observables are listed.
const DATA_FIELDS: &[(&str, Shape)] = &[
    ("data.srcip", Shape::Ip),
    ("data.src_ip", Shape::Ip),
    ("data.dstip", Shape::Ip),
    ("data.dst_ip", Shape::Ip),
    ("data.dest_ip", Shape::Ip),
    ("data.srcuser", Shape::UserAccount),
    ("data.dstuser", Shape::UserAccount),
    ("data.user", Shape::UserAccount),
    ("data.url", Shape::Url),
    ("syscheck.path", Shape::FilePath),
    ("syscheck.md5_after", Shape::Md5),
    ("syscheck.sha1_after", Shape::Sha1),
    ("syscheck.sha256_after", Shape::Sha256),
    ("data.virustotal.source.file", Shape::FilePath),
    ("data.virustotal.source.md5", Shape::Md5),
    ("data.virustotal.source.sha1", Shape::Sha1),
    ("data.virustotal.sha1", Shape::Sha1),
    ("data.virustotal.permalink", Shape::Url),
    ("data.audit.exe", Shape::FilePath),
    ("data.audit.file.name", Shape::FilePath),
];

/// Returns the shape of a `data.win.eventdata` key. Keys are compared in lower case with
/// spaces removed, because Wazuh writes `targetUserName` for Security events but
/// `process Name` for Defender events.
fn windows_event_shape(normalized_key: &str) -> Option<Shape> {
    let shape = match normalized_key {
        "ipaddress" | "sourceip" | "destinationip" | "sourceaddress" | "destaddress"
        | "clientaddress" => Shape::Ip,
        "targetusername" | "subjectusername" | "user" | "samaccountname" | "detectionuser" => {
            Shape::UserAccount
        }
        "workstationname" | "sourcehostname" | "destinationhostname" => Shape::Hostname,
        "image" | "parentimage" | "sourceimage" | "targetimage" | "imageloaded"
        | "targetfilename" | "newprocessname" | "parentprocessname" | "processname"
        | "application" => Shape::FilePath,
        "hashes" | "hash" => Shape::HashList,
        "md5" => Shape::Md5,
        "sha1" => Shape::Sha1,
        "sha256" => Shape::Sha256,
        "queryname" => Shape::Domain,
        "targetobject" => Shape::RegistryKey,
        "path" => Shape::DefenderPath,
        _ => return None,
    };
    Some(shape)
}

/// The dotted path of the field an observable came from, as in [`Observable::field`].
type Field = Cow<'static, str>;

/// Observables in the order found, each (kind, value) pair once.
#[derive(Default)]
struct Found(Vec<Observable>);

impl Found {
    fn push(&mut self, kind: IocType, value: &str, field: &Field) {
        let value = trim(value);
        let duplicate = self
            .0
            .iter()
            .any(|seen| seen.kind == kind && seen.value == value);
        if !duplicate {
            self.0.push(Observable {
                kind,
                value: value.to_string(),
                field: field.clone(),
            });
        }
    }

    /// Adds `text` from `field` if it has the expected shape, and skips it otherwise.
    fn add(&mut self, shape: Shape, text: &str, field: &Field) {
        let text = trim(text);
        if text.is_empty() || text == "-" {
            return;
        }
        match shape {
            Shape::Ip => self.add_ip(text, field),
            Shape::UserAccount => self.push(IocType::UserAccount, text, field),
            Shape::Hostname => self.push(IocType::Hostname, text, field),
            Shape::FilePath if is_path(text) => self.push(IocType::FilePath, text, field),
            Shape::Md5 if is_hex(text, 32) => self.push(IocType::Md5, text, field),
            Shape::Sha1 if is_hex(text, 40) => self.push(IocType::Sha1, text, field),
            Shape::Sha256 if is_hex(text, 64) => self.push(IocType::Sha256, text, field),
            Shape::Url if is_url(text) => self.push(IocType::Url, text, field),
            Shape::Domain if text.contains('.') && !text.contains(' ') => {
                self.push(IocType::Domain, text, field)
            }
            Shape::RegistryKey => self.push(IocType::RegistryKey, text, field),
            Shape::HashList => self.add_hash_list(text, field),
            Shape::DefenderPath => self.add_defender_path(text, field),
            _ => {}
        }
    }

    /// Adds an address; an IPv4-mapped IPv6 address such as `::ffff:10.0.0.5`, which
    /// Windows writes in `IpAddress`, is added as the IPv4 address it carries.
    fn add_ip(&mut self, text: &str, field: &Field) {
        match text.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => self.push(IocType::Ipv4, text, field),
            Ok(IpAddr::V6(address)) => match address.to_ipv4_mapped() {
                Some(mapped) => self.push(IocType::Ipv4, &mapped.to_string(), field),
                None => self.push(IocType::Ipv6, text, field),
            },
            Err(_) => {}
        }
    }

    fn add_hash_list(&mut self, text: &str, field: &Field) {
        for pair in text.split(',') {
            let Some((algorithm, hash)) = pair.split_once('=') else {
                // A bare hash, as some Sysmon configurations write with one algorithm.
                self.add_bare_hash(pair, field);
                continue;
            };
            let shape = match algorithm.trim().to_ascii_uppercase().as_str() {
                "MD5" => Shape::Md5,
                "SHA1" => Shape::Sha1,
                "SHA256" => Shape::Sha256,
                _ => continue,
            };
            self.add(shape, hash, field);
        }
    }

    fn add_bare_hash(&mut self, text: &str, field: &Field) {
        let text = text.trim();
        match text.len() {
            32 => self.add(Shape::Md5, text, field),
            40 => self.add(Shape::Sha1, text, field),
            64 => self.add(Shape::Sha256, text, field),
            _ => {}
        }
    }

    /// Splits Defender's `path`: entries joined by `; `, each `TYPE:_VALUE`, where a
    /// `webfile` value is `PATH|URL|pid:...`.
    fn add_defender_path(&mut self, text: &str, field: &Field) {
        for entry in text.split("; ") {
            let Some((resource, value)) = entry.split_once(":_") else {
                self.add(Shape::FilePath, entry, field);
                continue;
            };
            match resource.trim().to_ascii_lowercase().as_str() {
                "file" | "containerfile" => self.add(Shape::FilePath, value, field),
                "webfile" => {
                    let mut parts = value.split('|');
                    self.add(Shape::FilePath, parts.next().unwrap_or_default(), field);
                    self.add(Shape::Url, parts.next().unwrap_or_default(), field);
                }
                "regkey" => self.add(Shape::RegistryKey, value, field),
                _ => {}
            }
        }
    }
}

/// Returns the paths of the fields that [`extract`] reads. A field below one of them may be
/// read too.
pub(crate) fn read_paths() -> impl Iterator<Item = &'static str> {
    DATA_FIELDS.iter().map(|(path, _)| *path).chain([
        "decoder.name",
        "decoder.parent",
        "data.url",
        "data.id",
        "data.win.eventdata",
        "data.win.system.computer",
        "agent.id",
        "agent.ip",
        "agent.name",
    ])
}

/// Returns the observables of an alert, deduplicated by kind and value.
pub(crate) fn extract(raw: &Json<'_>) -> Vec<Observable> {
    let mut found = Found::default();
    let data = Branch::new(raw, "data");
    add_clamav(raw, &data, &mut found);
    for (path, shape) in DATA_FIELDS {
        if let Some(text) = data.text_at(path) {
            found.add(*shape, &text, &Cow::Borrowed(path));
        }
    }
    add_windows_eventdata(&data, &mut found);
    add_agent(raw, &mut found);
    // Usually the agent's own host under its Windows name, so it comes after `agent.name`.
    if let Some(computer) = data.text_at("data.win.system.computer") {
        let field = Cow::Borrowed("data.win.system.computer");
        found.add(Shape::Hostname, &computer, &field);
    }
    found.0
}

/// Adds the scanned file's path and MD5, which the ClamAV decoder puts in `data.url` and
/// `data.id`.
fn add_clamav(raw: &Json<'_>, data: &Branch<'_, '_>, found: &mut Found) {
    let is_clamd = ["decoder.name", "decoder.parent"]
        .iter()
        .any(|path| text_at(raw, path).is_some_and(|name| name == "clamd"));
    if !is_clamd {
        return;
    }
    if let Some(path) = data.text_at("data.url") {
        found.add(Shape::FilePath, &path, &Cow::Borrowed("data.url"));
    }
    if let Some(hash) = data.text_at("data.id") {
        found.add(Shape::Md5, &hash, &Cow::Borrowed("data.id"));
    }
}

fn add_windows_eventdata(data: &Branch<'_, '_>, found: &mut Found) {
    let eventdata = data.lookup("data.win.eventdata");
    let Some(eventdata) = eventdata.and_then(Json::sorted_members) else {
        return;
    };
    for (key, value) in eventdata {
        let normalized: String = key
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        let (Some(shape), Some(text)) = (windows_event_shape(&normalized), scalar_text(value))
        else {
            continue;
        };
        let field = Cow::Owned(format!("data.win.eventdata.{key}"));
        found.add(shape, &collapse_doubled_backslashes(&text), &field);
    }
}

/// Adds the agent's address and name. The manager (agent `000`) reports its own events and
/// has no address of interest, so its `agent.ip` is skipped.
fn add_agent(raw: &Json<'_>, found: &mut Found) {
    let is_manager = text_at(raw, "agent.id").is_some_and(|id| id == "000");
    if !is_manager {
        if let Some(ip) = text_at(raw, "agent.ip") {
            found.add(Shape::Ip, &ip, &Cow::Borrowed("agent.ip"));
        }
    }
    if let Some(name) = text_at(raw, "agent.name") {
        found.add(Shape::Hostname, &name, &Cow::Borrowed("agent.name"));
    }
}

/// Halves every run of backslashes when all runs have even length.
///
/// Wazuh's Windows decoder escapes backslashes in some event fields a second time, so
/// `C:\Users` arrives as `C:\\Users` after JSON decoding. A value with any single
/// backslash, such as the UNC path `\\server\share`, was not doubled and is kept.
fn collapse_doubled_backslashes(text: &str) -> String {
    let runs = text.split(|c| c != '\\').filter(|run| !run.is_empty());
    let all_doubled = runs.clone().all(|run| run.len() % 2 == 0);
    if !all_doubled || runs.count() == 0 {
        return text.to_string();
    }
    text.replace("\\\\", "\\")
}

fn is_path(text: &str) -> bool {
    text.starts_with('/') || text.contains('\\') || text.starts_with('~')
}

fn is_hex(text: &str, length: usize) -> bool {
    text.len() == length && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let scheme_valid = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"+-.".contains(&byte));
    scheme_valid && !rest.is_empty() && !text.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn observables(raw: serde_json::Value) -> Vec<Observable> {
        let text = raw.to_string();
        extract(&Json::parse(text.as_bytes()).unwrap())
    }

    fn kinds_and_values(raw: serde_json::Value) -> Vec<(IocType, String)> {
        observables(raw)
            .into_iter()
            .map(|observable| (observable.kind, observable.value))
            .collect()
    }

    #[test]
    fn windows_security_logon_fields() {
        let raw = json!({"data": {"win": {"eventdata": {
            "targetUserName": "administrator",
            "ipAddress": "::ffff:10.0.0.5",
            "workstationName": "KALI",
            "subjectUserName": "-",
        }}}});
        let found = kinds_and_values(raw);
        assert!(found.contains(&(IocType::UserAccount, "administrator".to_string())));
        assert!(found.contains(&(IocType::Ipv4, "10.0.0.5".to_string())));
        assert!(found.contains(&(IocType::Hostname, "KALI".to_string())));
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn sysmon_image_and_hashes() {
        let raw = json!({"data": {"win": {"eventdata": {
            "image": "C:\\\\Windows\\\\System32\\\\cmd.exe",
            "hashes": "SHA1=0123456789ABCDEF0123456789ABCDEF01234567,MD5=0123456789ABCDEF0123456789ABCDEF,\
                       SHA256=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF,IMPHASH=0123456789ABCDEF0123456789ABCDEF",
            "queryName": "example.com",
        }}}});
        let found = kinds_and_values(raw);
        assert!(found.contains(&(
            IocType::FilePath,
            "C:\\Windows\\System32\\cmd.exe".to_string()
        )));
        assert!(found.contains(&(
            IocType::Sha1,
            "0123456789ABCDEF0123456789ABCDEF01234567".to_string()
        )));
        assert!(found.contains(&(IocType::Md5, "0123456789ABCDEF0123456789ABCDEF".to_string())));
        assert_eq!(
            found
                .iter()
                .filter(|(kind, _)| *kind == IocType::Md5)
                .count(),
            1,
            "IMPHASH is not an MD5 of a file"
        );
        assert!(found.iter().any(|(kind, _)| *kind == IocType::Sha256));
        assert!(found.contains(&(IocType::Domain, "example.com".to_string())));
    }

    #[test]
    fn relative_url_skipped() {
        let raw = json!({"data": {"url": "/users/?id=1", "srcip": "192.168.132.1"}});
        assert_eq!(
            kinds_and_values(raw),
            vec![(IocType::Ipv4, "192.168.132.1".to_string())]
        );
    }

    #[test]
    fn ipv6_source_address() {
        let raw = json!({"data": {"srcip": "2001:db8::1"}});
        assert_eq!(
            kinds_and_values(raw),
            vec![(IocType::Ipv6, "2001:db8::1".to_string())]
        );
    }

    #[test]
    fn invalid_values_skipped() {
        let raw = json!({"data": {"srcip": "not-an-ip", "srcuser": " "}, "syscheck": {"md5_after": "xyz", "path": "relative"}});
        assert!(kinds_and_values(raw).is_empty());
    }

    #[test]
    fn duplicates_kept_once() {
        let raw = json!({"data": {"srcip": "10.1.1.1", "dstip": "10.1.1.1"}});
        let found = observables(raw);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "data.srcip");
    }

    #[test]
    fn manager_ip_skipped() {
        let raw = json!({"agent": {"id": "000", "name": "wazuh-manager", "ip": "10.0.0.1"}});
        assert_eq!(
            kinds_and_values(raw),
            vec![(IocType::Hostname, "wazuh-manager".to_string())]
        );
    }

    #[test]
    fn defender_registry_key() {
        let raw =
            json!({"data": {"win": {"eventdata": {"path": "regkey:_HKLM\\\\SOFTWARE\\\\Run"}}}});
        assert_eq!(
            kinds_and_values(raw),
            vec![(IocType::RegistryKey, "HKLM\\SOFTWARE\\Run".to_string())]
        );
    }

    #[test]
    fn backslashes_collapsed_only_when_doubled() {
        assert_eq!(
            collapse_doubled_backslashes("C:\\\\Users\\\\x"),
            "C:\\Users\\x"
        );
        assert_eq!(
            collapse_doubled_backslashes("\\\\\\\\srv\\\\share"),
            "\\\\srv\\share"
        );
        assert_eq!(
            collapse_doubled_backslashes("\\\\srv\\share"),
            "\\\\srv\\share"
        );
        assert_eq!(collapse_doubled_backslashes("C:\\Users"), "C:\\Users");
        assert_eq!(collapse_doubled_backslashes("plain"), "plain");
    }

    #[test]
    fn url_requires_scheme_and_host() {
        assert!(is_url("https://secure.eicar.org/eicar.com.txt"));
        assert!(!is_url("://x"));
        assert!(!is_url("https://"));
        assert!(!is_url("http://a b"));
    }
}
