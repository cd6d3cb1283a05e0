//! Traffic Light Protocol (TLP 2.0) markings, ordered from most to least shareable.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A TLP 2.0 marking. The order is CLEAR < GREEN < AMBER < AMBER+STRICT < RED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// Returns the marking as TLP 2.0 spells it, without the `TLP:` prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "CLEAR",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::AmberStrict => "AMBER+STRICT",
            Tlp::Red => "RED",
        }
    }

    /// Parses `CLEAR`, `tlp:amber`, `amber+strict`; `WHITE` (TLP 1.0) is read as CLEAR.
    pub fn parse(input: &str) -> Result<Self> {
        let upper = input.trim().to_ascii_uppercase();
        let name = upper.strip_prefix("TLP:").unwrap_or(&upper);
        let tlp = match name {
            "CLEAR" | "WHITE" => Tlp::Clear,
            "GREEN" => Tlp::Green,
            "AMBER" => Tlp::Amber,
            "AMBER+STRICT" | "AMBER-STRICT" | "AMBER_STRICT" => Tlp::AmberStrict,
            "RED" => Tlp::Red,
            _ => {
                return Err(Error::invalid_with_hint(
                    format!("TLP marking `{input}` is not valid"),
                    "use CLEAR, GREEN, AMBER, AMBER+STRICT or RED",
                ))
            }
        };
        Ok(tlp)
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLP:{}", self.as_str())
    }
}

impl Serialize for Tlp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Tlp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Tlp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for Tlp {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self> {
        Tlp::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_orders_by_restriction() {
        assert!(Tlp::Clear < Tlp::Green);
        assert!(Tlp::Amber < Tlp::AmberStrict);
        assert!(Tlp::AmberStrict < Tlp::Red);
    }

    #[test]
    fn tlp_parse_accepts_prefix_and_white() {
        assert_eq!(Tlp::parse("tlp:amber+strict").unwrap(), Tlp::AmberStrict);
        assert_eq!(Tlp::parse("WHITE").unwrap(), Tlp::Clear);
    }
}
