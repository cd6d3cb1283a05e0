//! Offline threat-intelligence feeds: text files with one known-bad indicator per line,
//! optionally followed by a comma and a label (`evil.example,emotet c2`). Lines starting with
//! `#` are comments, as in the abuse.ch and Spamhaus plain-text lists.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::ioc::{self, Indicator, IocType};

/// The indicators of one feed file.
pub struct Feed {
    pub name: String,
    entries: HashMap<(IocType, String), String>,
    /// Lines that were not a valid indicator.
    pub skipped: usize,
    /// Numbers (1-based) of the skipped lines, at most the first 100.
    pub skipped_lines: Vec<usize>,
}

impl Feed {
    /// Reads a feed file.
    pub fn load(path: &Path) -> Result<Feed> {
        let text = std::fs::read_to_string(path).map_err(Error::io("read", path))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self::parse(&name, &text))
    }

    /// Parses the text of a feed.
    pub fn parse(name: &str, text: &str) -> Feed {
        let mut entries = HashMap::new();
        let mut skipped = 0;
        let mut skipped_lines = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (value, label) = match line.split_once(',') {
                Some((value, label)) => (value.trim(), label.trim()),
                None => (line, ""),
            };
            match ioc::parse_indicator(value, None) {
                Ok(indicator) => {
                    entries.insert((indicator.kind, indicator.value), label.to_string());
                }
                Err(_) => {
                    skipped += 1;
                    if skipped_lines.len() < 100 {
                        skipped_lines.push(index + 1);
                    }
                }
            }
        }
        Feed {
            name: name.to_string(),
            entries,
            skipped,
            skipped_lines,
        }
    }

    /// Returns the feed's label for an indicator when the feed lists it. A listed domain also
    /// matches its subdomains.
    pub fn matches(&self, indicator: &Indicator) -> Option<&str> {
        if let Some(label) = self.entries.get(&(indicator.kind, indicator.value.clone())) {
            return Some(label);
        }
        if indicator.kind == IocType::Domain {
            let mut rest = indicator.value.as_str();
            while let Some((_, parent)) = rest.split_once('.') {
                if let Some(label) = self.entries.get(&(IocType::Domain, parent.to_string())) {
                    return Some(label);
                }
                rest = parent;
            }
        }
        None
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
