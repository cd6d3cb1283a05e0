//! Conversion of Wazuh alert JSON into [`Alert`], tolerant of the variations between Wazuh
//! versions and between `alerts.json` and dashboard exports.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDateTime};

use super::fields::{render, scalar_text, string_list, text_at, trim};
use super::json::{Json, Selection};
use super::{
    fields, observables, Agent, Alert, AlertError, Observable, Rule, DEDUPE_KEY_SEPARATOR,
};

/// Values longer than this are cut in error messages, so one bad field cannot flood a
/// terminal. The unit is characters.
const MAX_SHOWN_CHARS: usize = 80;

/// Parses one Wazuh alert from JSON bytes.
///
/// Accepts the `alerts.json` layout and dashboard exports, whose alert sits under
/// `_source`. Numbers written as strings and strings written as numbers are both accepted
/// for IDs, `rule.level` and `rule.firedtimes`. `rule.mitre.id` may be an array, a string,
/// or an array whose one element lists several IDs separated by commas.
pub fn parse_alert(json: &[u8]) -> Result<Alert, AlertError> {
    parse_keyed(json, &[]).map(|(alert, _)| alert)
}

/// Parses one alert as [`parse_alert`] does and builds its dedupe key from `dedupe_fields`,
/// as [`dedupe_key`] does, from the same parse.
pub(crate) fn parse_keyed(
    json: &[u8],
    dedupe_fields: &[String],
) -> Result<(Alert, String), AlertError> {
    let raw = alert_tree(json)?;
    let rule = parse_rule(raw.get("rule"))?;
    let timestamp = parse_alert_timestamp(&raw)?;
    let alert = Alert {
        id: owned_text(&raw, "id"),
        timestamp,
        rule,
        agent: parse_agent(&raw),
        manager: owned_text(&raw, "manager.name").or_else(|| owned_text(&raw, "manager")),
        location: owned_text(&raw, "location"),
        decoder: owned_text(&raw, "decoder.name"),
        full_log: owned_text(&raw, "full_log"),
        observables: observables::extract(&raw),
    };
    Ok((alert, key_of(&raw, dedupe_fields)))
}

/// The facts of an alert that ingest groups and stores it by, read without building the
/// rest of an [`Alert`].
#[derive(Debug, Clone, PartialEq)]
pub struct AlertFacts {
    pub id: Option<String>,
    pub timestamp: DateTime<FixedOffset>,
    pub rule_id: String,
    pub rule_level: u8,
    pub observables: Vec<Observable>,
    pub dedupe_key: String,
}

impl AlertFacts {
    /// Takes the facts of a parsed alert and its dedupe key.
    pub fn of(alert: Alert, dedupe_key: String) -> AlertFacts {
        AlertFacts {
            id: alert.id,
            timestamp: alert.timestamp,
            rule_id: alert.rule.id,
            rule_level: alert.rule.level,
            observables: alert.observables,
            dedupe_key,
        }
    }
}

/// Parses the facts of one alert, rejecting exactly the input that [`parse_alert`] rejects,
/// with the dedupe key from `dedupe_fields`.
pub fn parse_facts(json: &[u8], dedupe_fields: &[String]) -> Result<AlertFacts, AlertError> {
    parse_facts_with(json, dedupe_fields, &facts_selection(dedupe_fields))
}

/// Returns the fields that [`parse_facts`] reads, for [`parse_facts_with`].
pub fn facts_selection(dedupe_fields: &[String]) -> FactsSelection {
    // Facts read only the `rule` members whose values can make `parse_alert` reject an alert,
    // so its `groups` and `mitre` arrays are skipped unless a dedupe field names them.
    let mut paths: Vec<&str> = vec![
        "rule.id",
        "rule.level",
        "rule.description",
        "id",
        "timestamp",
        "@timestamp",
        "_source",
    ];
    for path in observables::read_paths() {
        paths.push(path);
    }
    paths.extend(dedupe_fields.iter().map(String::as_str));
    FactsSelection(Selection::new(paths))
}

/// The fields of an alert that [`parse_facts`] reads, built once per run.
#[derive(Debug)]
pub struct FactsSelection(Selection);

/// Parses the facts of one alert as [`parse_facts`] does, building only the JSON members in
/// `selection`: the rest of an alert, such as `full_log`, is checked and skipped.
pub fn parse_facts_with(
    json: &[u8],
    dedupe_fields: &[String],
    selection: &FactsSelection,
) -> Result<AlertFacts, AlertError> {
    let tree = Json::parse_selected(json, &selection.0).map_err(AlertError::InvalidJson)?;
    let raw = object_alert(tree)?;
    let (rule, id, _) = required_rule(raw.get("rule"))?;
    let rule_level = parse_level(rule.get("level"))?;
    let timestamp = parse_alert_timestamp(&raw)?;
    Ok(AlertFacts {
        id: owned_text(&raw, "id"),
        timestamp,
        rule_id: trim(&id).to_string(),
        rule_level,
        observables: observables::extract(&raw),
        dedupe_key: key_of(&raw, dedupe_fields),
    })
}

/// Looks up a dotted path such as `data.srcip` or `rule.groups` in an alert's JSON.
///
/// Numbers and booleans are rendered as text, arrays of scalars are joined with `,`,
/// objects are returned as compact JSON with sorted keys, and a missing field or `null` is
/// `None`. The `_source` wrapper of dashboard exports is looked through.
pub fn field(json: &[u8], dotted_path: &str) -> Result<Option<String>, AlertError> {
    let raw = alert_tree(json)?;
    Ok(fields::lookup(&raw, dotted_path).and_then(render))
}

/// Builds the key that groups alerts into one incident from the given fields of an alert's
/// JSON.
///
/// Components appear in the order of `fields`, joined by [`DEDUPE_KEY_SEPARATOR`]. A
/// missing field is an empty component. A `|` or `\` inside a value is escaped with a
/// backslash, so distinct field values always give distinct keys. For example the fields
/// `rule.id`, `agent.id` and `data.srcip` give `5710|001|18.18.18.18`.
pub fn dedupe_key(json: &[u8], fields: &[String]) -> Result<String, AlertError> {
    Ok(key_of(&alert_tree(json)?, fields))
}

/// Returns the id of one alert as [`parse_facts`] reads it, building only the members that
/// contain it.
pub fn alert_id(json: &[u8]) -> Result<Option<String>, AlertError> {
    static SELECTION: std::sync::OnceLock<Selection> = std::sync::OnceLock::new();
    let selection = SELECTION.get_or_init(|| Selection::new(["id", "rule", "_source"]));
    let tree = Json::parse_selected(json, selection).map_err(AlertError::InvalidJson)?;
    Ok(owned_text(&object_alert(tree)?, "id"))
}

fn key_of(raw: &Json<'_>, fields: &[String]) -> String {
    // Room for typical components, such as a rule id, an agent id and an address, so that
    // the key is usually allocated once.
    let mut key = String::with_capacity(16 * fields.len());
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            key.push(DEDUPE_KEY_SEPARATOR);
        }
        let Some(value) = fields::lookup(raw, field) else {
            continue;
        };
        // A string is rendered as itself, so it is escaped without a copy.
        let text = match value {
            Json::String(text) => Cow::Borrowed(text.as_ref()),
            other => Cow::Owned(render(other).unwrap_or_default()),
        };
        push_escaped(&mut key, &text);
    }
    key
}

/// Appends `text` to a dedupe key, with a backslash before each separator and backslash.
fn push_escaped(key: &mut String, text: &str) {
    let separator = DEDUPE_KEY_SEPARATOR as u8;
    if !text.bytes().any(|byte| byte == separator || byte == b'\\') {
        key.push_str(text);
        return;
    }
    for character in text.chars() {
        if character == DEDUPE_KEY_SEPARATOR || character == '\\' {
            key.push('\\');
        }
        key.push(character);
    }
}

/// Parses alert JSON into a tree and removes the `_source` wrapper of dashboard exports.
fn alert_tree(json: &[u8]) -> Result<Json<'_>, AlertError> {
    let tree = Json::parse(json).map_err(AlertError::InvalidJson)?;
    object_alert(tree)
}

/// Returns the alert object of a parsed input, looking through a `_source` wrapper.
fn object_alert(tree: Json<'_>) -> Result<Json<'_>, AlertError> {
    let raw = unwrap_source(tree)?;
    match raw {
        Json::Object { .. } => Ok(raw),
        other => Err(AlertError::NotAnObject {
            found: other.kind(),
        }),
    }
}

/// Dashboard and OpenSearch exports wrap each alert as `{"_index": ..., "_source": {...}}`.
fn unwrap_source(mut value: Json<'_>) -> Result<Json<'_>, AlertError> {
    match &value {
        Json::Object { .. } if value.get("_source").is_some() && value.get("rule").is_none() => {
            Ok(value.take("_source").unwrap_or(Json::Null))
        }
        Json::Object { .. } => Ok(value),
        other => Err(AlertError::NotAnObject {
            found: other.kind(),
        }),
    }
}

fn owned_text(raw: &Json<'_>, path: &str) -> Option<String> {
    text_at(raw, path).map(|text| text.into_owned())
}

/// Returns the `rule` object, its ID and its description, or the first that is missing.
fn required_rule<'t, 'a>(
    rule: Option<&'t Json<'a>>,
) -> Result<(&'t Json<'a>, Cow<'t, str>, Cow<'t, str>), AlertError> {
    let Some(rule @ Json::Object { .. }) = rule else {
        return Err(AlertError::MissingRule);
    };
    let id = text_at(rule, "id").ok_or(AlertError::MissingField { field: "rule.id" })?;
    let description = text_at(rule, "description").ok_or(AlertError::MissingField {
        field: "rule.description",
    })?;
    Ok((rule, id, description))
}

fn parse_rule(rule: Option<&Json<'_>>) -> Result<Rule, AlertError> {
    let (rule, id, description) = required_rule(rule)?;
    Ok(Rule {
        id: trim(&id).to_string(),
        level: parse_level(rule.get("level"))?,
        description: description.into_owned(),
        groups: string_list(rule, "groups"),
        mitre_ids: string_list(rule, "mitre.id"),
        mitre_tactics: string_list(rule, "mitre.tactic"),
        firedtimes: rule.get("firedtimes").and_then(parse_count),
    })
}

fn parse_level(level: Option<&Json<'_>>) -> Result<u8, AlertError> {
    let level = level.ok_or(AlertError::MissingField {
        field: "rule.level",
    })?;
    let parsed = match level {
        Json::Number(number) => number.as_u64(),
        Json::String(text) => trim(text).parse::<u64>().ok(),
        _ => None,
    };
    match parsed {
        Some(level @ 0..=15) => Ok(level as u8),
        _ => Err(AlertError::InvalidField {
            field: "rule.level",
            value: shown(level),
            expected: "a number 0-15",
        }),
    }
}

/// Parses a counter that may be a number or a numeric string.
fn parse_count(value: &Json<'_>) -> Option<u64> {
    match value {
        Json::Number(number) => number.as_u64(),
        Json::String(text) => trim(text).parse().ok(),
        _ => None,
    }
}

fn parse_agent(raw: &Json<'_>) -> Option<Agent> {
    let agent = raw.get("agent")?;
    let id = text_at(agent, "id");
    let name = text_at(agent, "name");
    if id.is_none() && name.is_none() {
        return None;
    }
    Some(Agent {
        id: id.map(|id| id.into_owned()).unwrap_or_default(),
        name: name.map(|name| name.into_owned()).unwrap_or_default(),
        ip: owned_text(agent, "ip"),
    })
}

/// Reads `timestamp`, falling back to `@timestamp`, which dashboard exports always have.
/// Both name the same instant when both are present.
fn parse_alert_timestamp(raw: &Json<'_>) -> Result<DateTime<FixedOffset>, AlertError> {
    let (field, value) = ["timestamp", "@timestamp"]
        .into_iter()
        .find_map(|field| raw.get(field).map(|value| (field, value)))
        .ok_or(AlertError::MissingTimestamp)?;
    let Json::String(text) = value else {
        return Err(AlertError::InvalidTimestamp {
            field,
            value: shown(value),
        });
    };
    parse_timestamp(field, text)
}

/// Parses an RFC 3339 time, also accepting the `+0000` offset without a colon that Wazuh
/// writes in `timestamp` and a space in place of the `T`.
fn parse_timestamp(field: &'static str, text: &str) -> Result<DateTime<FixedOffset>, AlertError> {
    let trimmed = trim(text);
    // Wazuh's own form, `2019-10-15T19:07:57.741+0000`, is RFC 3339 once the offset has its
    // colon, and chrono parses that form several times faster than a format string. It is
    // tried first because it is the usual form, and RFC 3339 itself ends in `Z` or `+HH:MM`,
    // which `with_offset_colon` leaves alone.
    let mut buffer = [0u8; 64];
    if let Some(time) = with_offset_colon(trimmed, &mut buffer)
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
    {
        return Ok(time);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(time);
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(time) = DateTime::parse_from_str(trimmed, format) {
            return Ok(time);
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if NaiveDateTime::parse_from_str(trimmed, format).is_ok() {
            return Err(AlertError::TimestampWithoutOffset {
                value: shorten(text),
            });
        }
    }
    Err(AlertError::InvalidTimestamp {
        field,
        value: shorten(text),
    })
}

/// Rewrites a trailing `+HHMM` or `-HHMM` offset as `+HH:MM` into `buffer`.
fn with_offset_colon<'b>(text: &str, buffer: &'b mut [u8; 64]) -> Option<&'b str> {
    let bytes = text.as_bytes();
    let split = bytes.len().checked_sub(5)?;
    let (time, offset) = bytes.split_at(split);
    let signed = matches!(offset[0], b'+' | b'-');
    if !signed || !offset[1..].iter().all(u8::is_ascii_digit) || time.len() + 6 > buffer.len() {
        return None;
    }
    let length = time.len() + 6;
    buffer[..time.len()].copy_from_slice(time);
    buffer[time.len()..time.len() + 3].copy_from_slice(&offset[..3]);
    buffer[time.len() + 3] = b':';
    buffer[time.len() + 4..length].copy_from_slice(&offset[3..]);
    std::str::from_utf8(&buffer[..length]).ok()
}

/// Renders a JSON value for an error message: strings without quotes, anything else as JSON.
fn shown(value: &Json<'_>) -> String {
    match scalar_text(value) {
        Some(text) => shorten(&text),
        None => shorten(&value.to_string()),
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_SHOWN_CHARS {
        return text.to_string();
    }
    let mut short: String = text.chars().take(MAX_SHOWN_CHARS).collect();
    short.push_str("...");
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn minimal() -> Value {
        json!({
            "timestamp": "2019-10-15T19:07:57.741+0000",
            "rule": {"id": "5710", "level": 5, "description": "sshd: Attempt to login"},
        })
    }

    fn parse(value: Value) -> Result<Alert, AlertError> {
        parse_alert(value.to_string().as_bytes())
    }

    fn with(mut value: Value, path: &[&str], field: Value) -> Value {
        let mut target = &mut value;
        for key in &path[..path.len() - 1] {
            target = &mut target[*key];
        }
        target[path[path.len() - 1]] = field;
        value
    }

    #[test]
    fn timestamp_without_colon_offset() {
        let alert = parse(minimal()).expect("valid");
        assert_eq!(
            alert.timestamp.to_rfc3339(),
            "2019-10-15T19:07:57.741+00:00"
        );
    }

    #[test]
    fn timestamp_with_local_offset_converts_to_utc() {
        let value = with(
            minimal(),
            &["timestamp"],
            json!("2022-11-17T19:30:25.085+0200"),
        );
        let alert = parse(value).expect("valid");
        assert_eq!(
            alert.timestamp_utc().to_rfc3339(),
            "2022-11-17T17:30:25.085+00:00"
        );
        assert_eq!(alert.timestamp.offset().local_minus_utc(), 7200);
    }

    #[test]
    fn timestamp_accepts_wazuh_forms() {
        let cases = [
            ("2019-10-15T19:07:57+0000", 1_571_166_477),
            ("2019-10-15T21:07:57.741123+0200", 1_571_166_477),
            ("2019-10-15T14:07:57.741-0500", 1_571_166_477),
            ("2019-10-15 19:07:57.741+0000", 1_571_166_477),
        ];
        for (text, seconds) in cases {
            let alert = parse(with(minimal(), &["timestamp"], json!(text))).expect(text);
            assert_eq!(alert.timestamp_utc().timestamp(), seconds, "{text}");
        }
    }

    #[test]
    fn timestamp_accepts_rfc3339_forms() {
        for text in [
            "2023-05-22T10:40:43.395Z",
            "2023-05-22T10:40:43+00:00",
            "2023-05-22 10:40:43Z",
        ] {
            let alert = parse(with(minimal(), &["timestamp"], json!(text))).expect(text);
            assert_eq!(alert.timestamp_utc().timestamp(), 1_684_752_043, "{text}");
        }
    }

    #[test]
    fn timestamp_falls_back_to_at_timestamp() {
        let mut value = minimal();
        value
            .as_object_mut()
            .map(|object| object.remove("timestamp"));
        let value = with(value, &["@timestamp"], json!("2023-05-22T10:40:43.395Z"));
        let alert = parse(value).expect("valid");
        assert_eq!(
            alert.timestamp.to_rfc3339(),
            "2023-05-22T10:40:43.395+00:00"
        );
    }

    #[test]
    fn timestamp_without_offset_rejected() {
        let value = with(minimal(), &["timestamp"], json!("2019-03-27T10:41:21"));
        let error = parse(value).expect_err("no offset");
        assert_eq!(
            error.to_string(),
            "timestamp `2019-03-27T10:41:21` has no UTC offset: add one such as `+0000` or `Z`"
        );
    }

    #[test]
    fn timestamp_placeholder_rejected() {
        let value = with(minimal(), &["timestamp"], json!("{timestamp}"));
        let error = parse(value).expect_err("placeholder");
        assert!(matches!(
            error,
            AlertError::InvalidTimestamp {
                field: "timestamp",
                ..
            }
        ));
        assert!(error
            .to_string()
            .starts_with("`timestamp` is `{timestamp}`, expected a date"));
    }

    #[test]
    fn timestamp_number_rejected() {
        let value = with(minimal(), &["timestamp"], json!(1571166477));
        let error = parse(value).expect_err("number");
        assert!(
            error.to_string().starts_with("`timestamp` is `1571166477`"),
            "{error}"
        );
    }

    #[test]
    fn timestamp_missing_rejected() {
        let mut value = minimal();
        value
            .as_object_mut()
            .map(|object| object.remove("timestamp"));
        assert!(matches!(parse(value), Err(AlertError::MissingTimestamp)));
    }

    #[test]
    fn rule_missing_rejected() {
        let value = json!({"timestamp": "2019-10-15T19:07:57.741+0000"});
        let error = parse(value).expect_err("no rule");
        assert_eq!(error.to_string(), "alert has no `rule` object");
        let value = json!({"timestamp": "2019-10-15T19:07:57.741+0000", "rule": "5710"});
        assert!(matches!(parse(value), Err(AlertError::MissingRule)));
    }

    #[test]
    fn rule_id_number_accepted() {
        let alert = parse(with(minimal(), &["rule", "id"], json!(5710))).expect("valid");
        assert_eq!(alert.rule.id, "5710");
    }

    #[test]
    fn rule_level_string_accepted() {
        let alert = parse(with(minimal(), &["rule", "level"], json!("10"))).expect("valid");
        assert_eq!(alert.rule.level, 10);
    }

    #[test]
    fn rule_level_invalid_rejected() {
        let cases = [
            json!("abc"),
            json!(16),
            json!(-1),
            json!(2.5),
            json!(null),
            json!([5]),
        ];
        for level in cases {
            let error = parse(with(minimal(), &["rule", "level"], level.clone())).expect_err("bad");
            assert!(
                matches!(
                    error,
                    AlertError::InvalidField {
                        field: "rule.level",
                        ..
                    }
                ),
                "{level}"
            );
        }
        let error = parse(with(minimal(), &["rule", "level"], json!("abc"))).expect_err("bad");
        assert_eq!(
            error.to_string(),
            "`rule.level` is `abc`, expected a number 0-15"
        );
    }

    #[test]
    fn rule_missing_fields_rejected() {
        for (field, name) in [
            ("id", "rule.id"),
            ("level", "rule.level"),
            ("description", "rule.description"),
        ] {
            let mut value = minimal();
            value["rule"].as_object_mut().map(|rule| rule.remove(field));
            match parse(value) {
                Err(AlertError::MissingField { field }) => assert_eq!(field, name),
                other => panic!("{name}: expected MissingField, got {other:?}"),
            }
        }
    }

    #[test]
    fn mitre_ids_split_on_commas() {
        let value = with(
            minimal(),
            &["rule", "mitre"],
            json!({"id": ["T1169, T1078"], "tactic": "Privilege Escalation"}),
        );
        let alert = parse(value).expect("valid");
        assert_eq!(alert.rule.mitre_ids, vec!["T1169", "T1078"]);
        assert_eq!(alert.rule.mitre_tactics, vec!["Privilege Escalation"]);
    }

    #[test]
    fn firedtimes_string_accepted() {
        let alert = parse(with(minimal(), &["rule", "firedtimes"], json!("7"))).expect("valid");
        assert_eq!(alert.rule.firedtimes, Some(7));
    }

    #[test]
    fn alert_id_number_accepted() {
        let alert = parse(with(minimal(), &["id"], json!(1571166477))).expect("valid");
        assert_eq!(alert.id.as_deref(), Some("1571166477"));
    }

    #[test]
    fn source_wrapper_unwrapped() {
        let value =
            json!({"_index": "wazuh-alerts-4.x-2023.05.22", "_id": "x", "_source": minimal()});
        let text = value.to_string();
        let alert = parse(value).expect("valid");
        assert_eq!(alert.rule.id, "5710");
        let bytes = text.as_bytes();
        assert_eq!(field(bytes, "rule.id").unwrap().as_deref(), Some("5710"));
        assert_eq!(field(bytes, "_index").unwrap(), None);
    }

    #[test]
    fn non_object_rejected() {
        assert!(matches!(
            parse(json!([1])),
            Err(AlertError::NotAnObject { found: "array" })
        ));
        let value = json!({"_source": "text"});
        assert!(matches!(
            parse(value),
            Err(AlertError::NotAnObject { found: "string" })
        ));
    }

    #[test]
    fn invalid_json_rejected() {
        let error = parse_alert(b"{\"rule\": ").expect_err("truncated");
        assert!(matches!(error, AlertError::InvalidJson(_)));
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn manager_agent_has_no_ip() {
        let value = with(
            minimal(),
            &["agent"],
            json!({"id": "000", "name": "wazuh-manager"}),
        );
        let agent = parse(value).expect("valid").agent.expect("agent");
        assert!(agent.is_manager());
        assert_eq!(agent.ip, None);
    }

    /// Parses `value` as facts and checks them against a whole parse.
    fn facts_checked(value: Value, dedupe_fields: &[&str]) -> AlertFacts {
        let fields: Vec<String> = dedupe_fields
            .iter()
            .map(|field| field.to_string())
            .collect();
        let text = value.to_string();
        let facts = parse_facts(text.as_bytes(), &fields).expect("valid facts");
        let alert = parse_alert(text.as_bytes()).expect("valid alert");
        assert_eq!(facts.rule_id, alert.rule.id);
        assert_eq!(facts.observables, alert.observables);
        assert_eq!(
            facts.dedupe_key,
            dedupe_key(text.as_bytes(), &fields).unwrap()
        );
        facts
    }

    #[test]
    fn facts_dedupe_key_reads_skipped_rule_members() {
        let value = with(minimal(), &["rule", "groups"], json!(["sshd", "syslog"]));
        let value = with(value, &["rule", "mitre"], json!({"id": ["T1110"]}));
        let facts = facts_checked(value, &["rule.groups", "rule.mitre.id", "rule.firedtimes"]);
        assert_eq!(facts.dedupe_key, "sshd,syslog|T1110|");
    }

    #[test]
    fn facts_rule_flattened_at_root() {
        let value = json!({
            "timestamp": "2019-10-15T19:07:57.741+0000",
            "rule": {"level": 5, "description": "d", "mitre.id": ["T1110"]},
            "rule.id": "5710",
        });
        let fields = ["rule.id", "rule.mitre.id"].map(String::from);
        let text = value.to_string();
        let error = parse_facts(text.as_bytes(), &fields).expect_err("no rule.id");
        assert_eq!(error.to_string(), "alert has no `rule.id`");
        let error = parse_alert(text.as_bytes()).expect_err("no rule.id");
        assert_eq!(error.to_string(), "alert has no `rule.id`");
        assert_eq!(dedupe_key(text.as_bytes(), &fields).unwrap(), "5710|T1110");
    }

    #[test]
    fn facts_repeated_rule_takes_last() {
        let text = br#"{"timestamp": "2019-10-15T19:07:57.741+0000",
            "rule": {"id": "1", "level": 3, "description": "d"},
            "rule": {"id": "2", "level": 20, "description": "d"}}"#;
        let error = parse_facts(text, &[]).expect_err("level 20");
        assert_eq!(
            error.to_string(),
            "`rule.level` is `20`, expected a number 0-15"
        );
        let error = parse_alert(text).expect_err("level 20");
        assert_eq!(
            error.to_string(),
            "`rule.level` is `20`, expected a number 0-15"
        );
    }

    #[test]
    fn dedupe_key_escapes_value_kinds() {
        let value = with(
            minimal(),
            &["data"],
            json!({"a": "x|y\\z", "b": 7, "c": ["p|q", 1]}),
        );
        let facts = facts_checked(value, &["data.a", "data.b", "data.c", "data.missing"]);
        assert_eq!(facts.dedupe_key, r"x\|y\\z|7|p\|q,1|");
    }

    #[test]
    fn long_value_shortened_in_message() {
        let long = "x".repeat(500);
        let error = parse(with(minimal(), &["rule", "level"], json!(long))).expect_err("bad");
        assert!(error.to_string().len() < 200, "{error}");
    }
}
