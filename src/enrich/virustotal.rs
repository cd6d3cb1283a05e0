//! A VirusTotal API v3 client for IP addresses, domains, URLs and file hashes.
//!
//! Endpoints (VirusTotal API v3 reference): `GET /ip_addresses/{ip}`, `/domains/{domain}`,
//! `/urls/{id}` where the id is the URL in unpadded base64url, and `/files/{md5|sha1|sha256}`.
//! The key goes in the `x-apikey` header. A 404 with `NotFoundError` means VirusTotal has no
//! record; 429 means the quota is used up, and the client waits and retries.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::ioc::IocType;

/// The result of one lookup.
pub enum Lookup {
    Found(Value),
    NotFound,
}

/// A client bound to one API base URL and key.
pub struct Client {
    agent: ureq::Agent,
    base_url: String,
    key: String,
    max_retries: u32,
    retry_wait: Duration,
}

impl Client {
    /// Builds a client; `base_url` is such as `https://www.virustotal.com/api/v3`.
    pub fn new(base_url: &str, key: String, timeout: Duration, retry_wait: Duration) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout(timeout)
            .user_agent(concat!("casefile/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent,
            base_url: base_url.trim_end_matches('/').to_string(),
            key,
            max_retries: 3,
            retry_wait,
        }
    }

    /// Returns the API path for an indicator, or `None` for types VirusTotal does not index.
    pub fn path(kind: IocType, value: &str) -> Option<String> {
        match kind {
            IocType::Ipv4 | IocType::Ipv6 => Some(format!("ip_addresses/{value}")),
            IocType::Domain => Some(format!("domains/{value}")),
            IocType::Url => Some(format!("urls/{}", base64url(value.as_bytes()))),
            IocType::Md5 | IocType::Sha1 | IocType::Sha256 => Some(format!("files/{value}")),
            _ => None,
        }
    }

    /// Looks up one indicator, retrying after HTTP 429 and transport errors.
    pub fn lookup(&self, kind: IocType, value: &str) -> Result<Lookup> {
        let path = Self::path(kind, value).ok_or_else(|| {
            Error::invalid(format!("VirusTotal has no lookup for {kind} indicators"))
        })?;
        let url = format!("{}/{path}", self.base_url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.agent.get(&url).set("x-apikey", &self.key).set("accept", "application/json").call() {
                Ok(response) => {
                    let body: Value = response.into_json().map_err(|error| {
                        Error::invalid(format!("VirusTotal returned a reply for {value} that is not JSON: {error}"))
                    })?;
                    return Ok(Lookup::Found(body));
                }
                Err(ureq::Error::Status(404, _)) => return Ok(Lookup::NotFound),
                Err(ureq::Error::Status(401, _)) | Err(ureq::Error::Status(403, _)) => {
                    return Err(Error::invalid_with_hint(
                        "VirusTotal rejected the API key",
                        "check the key in the environment variable named by enrich.virustotal_key_env",
                    ))
                }
                Err(ureq::Error::Status(status, response)) if status == 429 || status >= 500 => {
                    if attempt > self.max_retries {
                        return Err(Error::invalid(format!(
                            "VirusTotal returned HTTP {status} for {value} after {attempt} attempts"
                        )));
                    }
                    let wait = retry_after(&response).unwrap_or(self.retry_wait * attempt);
                    eprintln!("VirusTotal returned HTTP {status} for {value}; retrying in {}s", wait.as_secs_f32());
                    std::thread::sleep(wait);
                }
                Err(ureq::Error::Status(status, _)) => {
                    return Err(Error::invalid(format!("VirusTotal returned HTTP {status} for {value}")))
                }
                Err(ureq::Error::Transport(transport)) => {
                    if attempt > self.max_retries {
                        return Err(Error::invalid_with_hint(
                            format!("could not reach VirusTotal at {}: {transport}", self.base_url),
                            "check the network, or enrich.virustotal_url in casefile.toml",
                        ));
                    }
                    std::thread::sleep(self.retry_wait * attempt);
                }
            }
        }
    }
}

fn retry_after(response: &ureq::Response) -> Option<Duration> {
    let seconds: u64 = response.header("retry-after")?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(120)))
}

/// Encodes bytes as unpadded base64url (RFC 4648 section 5), the form of VirusTotal URL ids.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut output = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let value = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        let symbols = chunk.len() + 1;
        for index in 0..symbols {
            output.push(ALPHABET[((value >> (18 - 6 * index)) & 63) as usize] as char);
        }
    }
    output
}

/// The counts and labels of a v3 object reply that reports show.
pub struct Summary {
    pub malicious: u64,
    pub suspicious: u64,
    pub harmless: u64,
    pub undetected: u64,
    pub reputation: Option<i64>,
    pub label: Option<String>,
    pub last_analysis: Option<i64>,
    pub gui_link: Option<String>,
}

/// Reads `data.attributes.last_analysis_stats` and the other summary fields of a reply.
pub fn summarize(kind: IocType, value: &str, reply: &Value) -> Summary {
    let attributes = &reply["data"]["attributes"];
    let stats = &attributes["last_analysis_stats"];
    let count = |name: &str| stats[name].as_u64().unwrap_or(0);
    let label = attributes["popular_threat_classification"]["suggested_threat_label"]
        .as_str()
        .or_else(|| attributes["meaningful_name"].as_str())
        .map(str::to_string);
    let gui_kind = match kind {
        IocType::Ipv4 | IocType::Ipv6 => "ip-address",
        IocType::Domain => "domain",
        IocType::Url => "url",
        _ => "file",
    };
    let object_id = reply["data"]["id"].as_str().unwrap_or(value);
    Summary {
        malicious: count("malicious"),
        suspicious: count("suspicious"),
        harmless: count("harmless"),
        undetected: count("undetected"),
        reputation: attributes["reputation"].as_i64(),
        label,
        last_analysis: attributes["last_analysis_date"].as_i64(),
        gui_link: Some(format!(
            "https://www.virustotal.com/gui/{gui_kind}/{object_id}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_virustotal_url_id() {
        assert_eq!(
            base64url(b"http://soclosebutyetqq.com/69.exe"),
            "aHR0cDovL3NvY2xvc2VidXR5ZXRxcS5jb20vNjkuZXhl"
        );
        assert_eq!(base64url(b"ab"), "YWI");
    }
}
