//! Security alerts as received from a SIEM, parsed into the facts an incident needs.
//!
//! [`parse_alert`] reads one Wazuh alert, as written to `alerts.json` or exported from the
//! Wazuh dashboard. [`AlertReader`] streams many alerts from JSON lines, a JSON array or
//! single objects.

mod fields;
mod json;
mod observables;
mod reader;
mod wazuh;

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::ioc::IocType;

pub use reader::{
    line_json, too_large, AlertReader, InputLayout, RawAlert, ReadError, ReadErrorSource,
    Remainder, DEFAULT_MAX_ALERT_BYTES,
};
pub use wazuh::{
    alert_id, dedupe_key, facts_selection, field, parse_alert, parse_facts, parse_facts_with,
    AlertFacts, FactsSelection,
};

/// One alert with the fields an incident uses. [`field`] reads any other field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Wazuh's alert ID, e.g. `1571166477.30198`; a number in the input becomes its text.
    pub id: Option<String>,
    /// Detection time with the offset the alert gave, from `timestamp` or, in dashboard
    /// exports that lack it, `@timestamp`.
    pub timestamp: DateTime<FixedOffset>,
    pub rule: Rule,
    /// The agent that reported the event. Agent `000` is the Wazuh manager itself.
    pub agent: Option<Agent>,
    /// Name of the Wazuh manager that produced the alert (`manager.name`).
    pub manager: Option<String>,
    /// Log file or channel the event came from, e.g. `/var/log/auth.log` or `EventChannel`.
    pub location: Option<String>,
    /// Name of the decoder that parsed the event (`decoder.name`).
    pub decoder: Option<String>,
    /// The original event. For JSON sources it is the event's JSON as text.
    pub full_log: Option<String>,
    pub observables: Vec<Observable>,
}

/// The Wazuh rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: String,
    /// Wazuh rule level, 0 to 15.
    pub level: u8,
    pub description: String,
    pub groups: Vec<String>,
    /// ATT&CK technique IDs from `rule.mitre.id`, as written by the rule. They are not
    /// checked against the catalog; see [`crate::attack::validate_technique`].
    pub mitre_ids: Vec<String>,
    /// ATT&CK tactic names from `rule.mitre.tactic`, e.g. `Credential Access`.
    pub mitre_tactics: Vec<String>,
    /// How many times the rule fired in its time frame.
    pub firedtimes: Option<u64>,
}

/// The Wazuh agent an alert came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub ip: Option<String>,
}

impl Agent {
    /// Returns true for agent `000`, which Wazuh assigns to the manager.
    pub fn is_manager(&self) -> bool {
        self.id == "000"
    }
}

/// An indicator-like value found in a known alert field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Observable {
    pub kind: IocType,
    /// The value as in the alert, except that doubled backslashes in Windows event fields
    /// are collapsed, combined fields such as Defender's `path` are split, and an
    /// IPv4-mapped IPv6 address (`::ffff:10.0.0.5`) is given as its IPv4 address.
    pub value: String,
    /// Dotted path of the source field, e.g. `data.srcip`. It is borrowed from the table of
    /// known fields, except for `data.win.eventdata` keys, which are built per alert.
    pub field: Cow<'static, str>,
}

/// An alert that could not be parsed. Each message names the field and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("alert is not valid JSON")]
    InvalidJson(#[source] serde_json::Error),

    #[error("alert is a JSON {found}, expected an object")]
    NotAnObject { found: &'static str },

    #[error("alert has no `rule` object")]
    MissingRule,

    #[error("alert has no `{field}`")]
    MissingField { field: &'static str },

    #[error("`{field}` is `{value}`, expected {expected}")]
    InvalidField {
        field: &'static str,
        value: String,
        expected: &'static str,
    },

    #[error("alert has no `timestamp` or `@timestamp`")]
    MissingTimestamp,

    #[error("timestamp `{value}` has no UTC offset: add one such as `+0000` or `Z`")]
    TimestampWithoutOffset { value: String },

    #[error(
        "`{field}` is `{value}`, expected a date and time with a UTC offset, \
         e.g. `2019-10-15T19:07:57.741+0000`"
    )]
    InvalidTimestamp { field: &'static str, value: String },
}

/// The separator between the components of [`dedupe_key`].
pub const DEDUPE_KEY_SEPARATOR: char = '|';

impl Alert {
    /// Returns the rule description, which casefile uses as the incident title.
    pub fn title(&self) -> &str {
        &self.rule.description
    }

    /// Returns the detection time in UTC.
    pub fn timestamp_utc(&self) -> DateTime<Utc> {
        self.timestamp.with_timezone(&Utc)
    }
}
