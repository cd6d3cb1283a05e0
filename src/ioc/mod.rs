//! Indicators of compromise: their types, canonical forms, validation and extraction from text.
//!
//! Values are refanged before anything else, so `hxxp://evil[.]com` and `http://evil.com` are
//! one indicator, and stored in one canonical spelling per type (lower-case hashes and
//! domains, IDNA `xn--` domains, compressed IPv6, upper-case CVE IDs, `AS` numbers, colon MAC
//! addresses).

mod benign;
mod canonical;
mod extract;
mod refang;
mod tlds;
mod types;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use benign::benign_reason;
pub use extract::{Extracted, Extractor};
pub use refang::{defang, refang};
pub use types::{IocType, UnknownIocType};

/// An indicator of compromise in its canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Indicator {
    #[serde(rename = "type")]
    pub kind: IocType,
    pub value: String,
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.value)
    }
}

/// Error for a value that is not a valid indicator of its stated or detected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidIoc {
    /// The value as given, before refanging.
    pub value: String,
    /// The stated type, or `None` when no type was stated and none was detected.
    pub kind: Option<IocType>,
    pub reason: String,
}

impl fmt::Display for InvalidIoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Some(kind) => write!(f, "invalid {kind} `{}`: {}", self.value, self.reason),
            None => write!(f, "invalid indicator `{}`: {}", self.value, self.reason),
        }
    }
}

/// Returns the type of one already isolated, refanged value, or `None` when it is none of
/// the types casefile extracts. User accounts and host names are never detected, because
/// almost any word could be one; state those types explicitly.
pub fn detect(value: &str) -> Option<IocType> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let found = extract::shared().extract(value);
    let whole = found
        .iter()
        .find(|item| item.start == 0 && item.end == value.len())
        .map(|item| item.indicator.kind);
    whole.or_else(|| detect_structured(value))
}

/// Detects the types whose whole-value form is looser than the free-text patterns.
fn detect_structured(value: &str) -> Option<IocType> {
    let candidates = [
        IocType::Url,
        IocType::Email,
        IocType::Cidr,
        IocType::Ipv4,
        IocType::Ipv6,
        IocType::Mac,
        IocType::Cve,
        IocType::RegistryKey,
        IocType::FilePath,
    ];
    let found = candidates
        .into_iter()
        .find(|kind| canonical::canonicalize(*kind, value).is_ok());
    found.or_else(|| reserved_domain(value).then_some(IocType::Domain))
}

/// Top-level names reserved for testing, documentation and private networks: RFC 2606
/// (`example`, `test`, `invalid`, `localhost`), RFC 6762 (`local`) and ICANN's 2024
/// reservation of `internal`. Free text never yields them as domains, but a single value an
/// analyst adds is taken as one, with the known-benign warning.
const RESERVED_TLDS: &[&str] = &[
    "example",
    "internal",
    "invalid",
    "local",
    "localhost",
    "test",
];

fn reserved_domain(value: &str) -> bool {
    let lower = value.trim_end_matches('.').to_ascii_lowercase();
    let reserved = lower
        .rsplit('.')
        .next()
        .is_some_and(|tld| RESERVED_TLDS.contains(&tld));
    reserved && lower.contains('.') && canonical::canonicalize(IocType::Domain, value).is_ok()
}

/// Refangs `input`, detects its type when `kind` is `None`, validates it against the type and
/// returns it in canonical form.
///
/// Surrounding whitespace is trimmed. User accounts, paths, file names and registry keys are
/// not refanged, because brackets and backslashes are ordinary characters in them.
pub fn parse_indicator(input: &str, kind: Option<IocType>) -> Result<Indicator, InvalidIoc> {
    let trimmed = input.trim();
    let invalid = |kind: Option<IocType>, reason: String| InvalidIoc {
        value: input.to_string(),
        kind,
        reason,
    };
    if trimmed.is_empty() {
        return Err(invalid(kind, "empty value".to_string()));
    }
    let literal = matches!(
        kind,
        Some(IocType::UserAccount | IocType::FilePath | IocType::FileName | IocType::RegistryKey)
    );
    let value = if literal {
        trimmed.to_string()
    } else {
        refang(trimmed)
    };
    let Some(kind) = kind.or_else(|| detect(&value)) else {
        let reason = "not a recognized indicator type; pass the type explicitly".to_string();
        return Err(invalid(None, reason));
    };
    match canonical::canonicalize(kind, &value) {
        Ok(value) => Ok(Indicator { kind, value }),
        Err(reason) => Err(invalid(Some(kind), reason)),
    }
}

/// Returns every indicator in `text`, using a process-wide [`Extractor`] built on first use.
pub fn extract(text: &str) -> Vec<Extracted> {
    extract::shared().extract(text)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod reserved_tests {
    use super::*;

    #[test]
    fn detect_takes_reserved_tld_as_domain() {
        assert_eq!(detect("login.bad-bank.example"), Some(IocType::Domain));
        assert_eq!(detect("db1.corp.internal"), Some(IocType::Domain));
    }

    #[test]
    fn extract_skips_reserved_tld() {
        assert!(extract("see host.example for details").is_empty());
    }
}
