//! The indicator types casefile stores, with the names used in files, flags and exports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The type of an indicator of compromise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IocType {
    Ipv4,
    Ipv6,
    Cidr,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    Sha512,
    Cve,
    Asn,
    Mac,
    RegistryKey,
    FilePath,
    FileName,
    UserAccount,
    Hostname,
}

impl IocType {
    /// Every type, in the order reports list them.
    pub const ALL: [IocType; 18] = [
        IocType::Ipv4,
        IocType::Ipv6,
        IocType::Cidr,
        IocType::Domain,
        IocType::Url,
        IocType::Email,
        IocType::Md5,
        IocType::Sha1,
        IocType::Sha256,
        IocType::Sha512,
        IocType::Cve,
        IocType::Asn,
        IocType::Mac,
        IocType::RegistryKey,
        IocType::FilePath,
        IocType::FileName,
        IocType::UserAccount,
        IocType::Hostname,
    ];

    /// Returns the name used in TOML files, `--type` and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            IocType::Ipv4 => "ipv4",
            IocType::Ipv6 => "ipv6",
            IocType::Cidr => "cidr",
            IocType::Domain => "domain",
            IocType::Url => "url",
            IocType::Email => "email",
            IocType::Md5 => "md5",
            IocType::Sha1 => "sha1",
            IocType::Sha256 => "sha256",
            IocType::Sha512 => "sha512",
            IocType::Cve => "cve",
            IocType::Asn => "asn",
            IocType::Mac => "mac",
            IocType::RegistryKey => "registry_key",
            IocType::FilePath => "file_path",
            IocType::FileName => "file_name",
            IocType::UserAccount => "user_account",
            IocType::Hostname => "hostname",
        }
    }

    /// Returns whether the type is a file hash.
    pub fn is_hash(self) -> bool {
        matches!(
            self,
            IocType::Md5 | IocType::Sha1 | IocType::Sha256 | IocType::Sha512
        )
    }

    /// Returns whether the type is a network indicator that a firewall or DNS filter can block.
    pub fn is_network(self) -> bool {
        matches!(
            self,
            IocType::Ipv4 | IocType::Ipv6 | IocType::Cidr | IocType::Domain | IocType::Url
        )
    }
}

impl fmt::Display for IocType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a type name that is not one of [`IocType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown indicator type `{0}`")]
pub struct UnknownIocType(pub String);

impl FromStr for IocType {
    type Err = UnknownIocType;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let normalized = name.trim().to_ascii_lowercase().replace('-', "_");
        IocType::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == normalized)
            .ok_or_else(|| UnknownIocType(name.to_string()))
    }
}
