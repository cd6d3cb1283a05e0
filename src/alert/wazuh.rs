//! Conversion of Wazuh alert JSON into [`Alert`], tolerant of the variations between Wazuh
//! versions and between `alerts.json` and dashboard exports.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::{Map, Value};

use super::fields::{scalar_text, string_list, text_at};
use super::{observables, Agent, Alert, AlertError, Rule};

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
    let value: Value = serde_json::from_slice(json).map_err(AlertError::InvalidJson)?;
    alert_from_value(value)
}

/// Converts parsed JSON into an [`Alert`], as [`parse_alert`] describes.
pub(crate) fn alert_from_value(value: Value) -> Result<Alert, AlertError> {
    let raw = unwrap_source(value)?;
    let Value::Object(object) = &raw else {
        return Err(AlertError::NotAnObject {
            found: json_kind(&raw),
        });
    };
    let rule = parse_rule(object.get("rule"))?;
    let timestamp = parse_alert_timestamp(object)?;
    let observables = observables::extract(&raw);
    Ok(Alert {
        id: owned_text(&raw, "id"),
        timestamp,
        rule,
        agent: parse_agent(&raw),
        manager: owned_text(&raw, "manager.name").or_else(|| owned_text(&raw, "manager")),
        location: owned_text(&raw, "location"),
        decoder: owned_text(&raw, "decoder.name"),
        full_log: owned_text(&raw, "full_log"),
        observables,
        raw,
    })
}

/// Dashboard and OpenSearch exports wrap each alert as `{"_index": ..., "_source": {...}}`.
fn unwrap_source(value: Value) -> Result<Value, AlertError> {
    match value {
        Value::Object(mut object)
            if object.contains_key("_source") && !object.contains_key("rule") =>
        {
            Ok(object.remove("_source").unwrap_or(Value::Null))
        }
        Value::Object(_) => Ok(value),
        other => Err(AlertError::NotAnObject {
            found: json_kind(&other),
        }),
    }
}

fn owned_text(raw: &Value, path: &str) -> Option<String> {
    text_at(raw, path).map(|text| text.into_owned())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn parse_rule(rule: Option<&Value>) -> Result<Rule, AlertError> {
    let Some(rule @ Value::Object(_)) = rule else {
        return Err(AlertError::MissingRule);
    };
    let id = text_at(rule, "id").ok_or(AlertError::MissingField { field: "rule.id" })?;
    let description = text_at(rule, "description").ok_or(AlertError::MissingField {
        field: "rule.description",
    })?;
    Ok(Rule {
        id: id.trim().to_string(),
        level: parse_level(rule.get("level"))?,
        description: description.into_owned(),
        groups: string_list(rule, "groups"),
        mitre_ids: string_list(rule, "mitre.id"),
        mitre_tactics: string_list(rule, "mitre.tactic"),
        firedtimes: rule.get("firedtimes").and_then(parse_count),
    })
}

fn parse_level(level: Option<&Value>) -> Result<u8, AlertError> {
    let level = level.ok_or(AlertError::MissingField {
        field: "rule.level",
    })?;
    let parsed = match level {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse::<u64>().ok(),
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
fn parse_count(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn parse_agent(raw: &Value) -> Option<Agent> {
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
fn parse_alert_timestamp(object: &Map<String, Value>) -> Result<DateTime<FixedOffset>, AlertError> {
    let (field, value) = ["timestamp", "@timestamp"]
        .into_iter()
        .find_map(|field| object.get(field).map(|value| (field, value)))
        .ok_or(AlertError::MissingTimestamp)?;
    let Value::String(text) = value else {
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
    let trimmed = text.trim();
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

/// Renders a JSON value for an error message: strings without quotes, anything else as JSON.
fn shown(value: &Value) -> String {
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
    use serde_json::json;

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
        let alert = parse(value).expect("valid");
        assert_eq!(alert.rule.id, "5710");
        assert_eq!(alert.field("rule.id").as_deref(), Some("5710"));
        assert!(alert.raw.get("_index").is_none());
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

    #[test]
    fn long_value_shortened_in_message() {
        let long = "x".repeat(500);
        let error = parse(with(minimal(), &["rule", "level"], json!(long))).expect_err("bad");
        assert!(error.to_string().len() < 200, "{error}");
    }
}
