//! A JSON tree whose strings borrow from the input bytes.
//!
//! An alert is read for a few dozen fields and then dropped. Building a `serde_json::Value`,
//! with an owned `String` for every key and value and a `BTreeMap` for every object, took
//! about a fifth of an ingest's CPU time (`perf` on benches/ingest). [`Json`] borrows every
//! string that has no escape sequence and keeps object members in a `Vec`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

mod parser;

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Members in input order. A repeated key keeps every occurrence, and [`Json::get`]
    /// returns the last one, as `serde_json::Value` does.
    Object {
        members: Vec<(Cow<'a, str>, Json<'a>)>,
        /// `false` only when no key contains a `.`, so [`super::fields::lookup`] can skip the
        /// search for a flattened key such as `{"data.srcip": ...}`.
        dotted_key: bool,
    },
}

impl<'a> Json<'a> {
    /// Parses one JSON value that fills `bytes`, apart from surrounding whitespace, into the
    /// tree and with the error that `serde_json::from_slice` gives. serde_json parses again
    /// only the input that [`parser`] rejects.
    pub fn parse(bytes: &'a [u8]) -> Result<Json<'a>, serde_json::Error> {
        parse_or_serde(bytes, parser::parse_whole)
    }

    /// Parses one JSON value as [`Json::parse`] does, but builds only the object members
    /// that `selection` names and skips the others. Skipped values are checked as serde_json
    /// checks an ignored value, and against its limits on nesting and on number range for a
    /// value it builds. An input that fails here, or that has the text `\uD800` to `\uDFFF`
    /// in a string, is parsed whole by serde_json, which gives it the result or error of
    /// [`Json::parse`].
    pub fn parse_selected(
        bytes: &'a [u8],
        selection: &Selection,
    ) -> Result<Json<'a>, serde_json::Error> {
        parse_or_serde(bytes, |text| parser::parse_selected(text, selection))
    }

    /// Returns the member `key` of an object, or `None` for a missing key or a non-object.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        let Json::Object { members, .. } = self else {
            return None;
        };
        members
            .iter()
            .rev()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    /// Removes and returns the member `key` of an object.
    pub fn take(&mut self, key: &str) -> Option<Json<'a>> {
        let Json::Object { members, .. } = self else {
            return None;
        };
        let position = members.iter().rposition(|(name, _)| name == key)?;
        Some(members.swap_remove(position).1)
    }

    /// Returns the members of an object sorted by key, each key once with its last value,
    /// which is the order `serde_json::Value` keeps them in.
    pub fn sorted_members(&self) -> Option<Vec<(&str, &Json<'a>)>> {
        let Json::Object { members, .. } = self else {
            return None;
        };
        let mut sorted: Vec<(&str, &Json<'a>)> = Vec::with_capacity(members.len());
        for (name, value) in members {
            match sorted.binary_search_by(|(existing, _)| (*existing).cmp(name.as_ref())) {
                Ok(index) => sorted[index].1 = value,
                Err(index) => sorted.insert(index, (name.as_ref(), value)),
            }
        }
        Some(sorted)
    }

    /// Returns the name of the value's JSON type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object { .. } => "object",
        }
    }
}

/// Prints compact JSON with object keys sorted, as `serde_json::Value` prints.
impl fmt::Display for Json<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        formatter.write_str(&text)
    }
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(flag) => serializer.serialize_bool(*flag),
            Json::Number(number) => number.serialize(serializer),
            Json::String(text) => serializer.serialize_str(text),
            Json::Array(items) => {
                let mut sequence = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    sequence.serialize_element(item)?;
                }
                sequence.end()
            }
            Json::Object { .. } => {
                let members = self.sorted_members().unwrap_or_default();
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (name, value) in members {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(flag))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(number.into()))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(number.into()))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Json<'de>, E> {
        // serde_json's parser never yields a NaN or an infinity, which JSON cannot spell.
        Ok(serde_json::Number::from_f64(number).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(text.to_string())))
    }

    fn visit_string<E>(self, text: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(text)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(sequence.size_hint().unwrap_or(0).min(64));
        while let Some(item) = sequence.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        let mut dotted_key = false;
        while let Some(Key(name)) = map.next_key()? {
            dotted_key |= has_dot(&name);
            members.push((name, map.next_value()?));
        }
        Ok(Json::Object {
            members,
            dotted_key,
        })
    }
}

/// Parses `bytes` with `parse`, one of [`parser`]'s functions, when they are UTF-8, and
/// with serde_json when they are not or when `parse` rejects them.
fn parse_or_serde<'a>(
    bytes: &'a [u8],
    parse: impl FnOnce(&'a str) -> Result<Json<'a>, parser::Rejected>,
) -> Result<Json<'a>, serde_json::Error> {
    let parsed = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| parse(text).ok());
    match parsed {
        Some(json) => Ok(json),
        None => serde_json::from_slice(bytes),
    }
}

/// The object members that [`Json::parse_selected`] builds, as a tree of dotted-path
/// segments. A member whose node is a leaf is built whole, with everything below it.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    children: Vec<(String, Selection)>,
    whole: bool,
}

impl Selection {
    /// Returns the selection of the members at `paths`, such as `data.srcip`.
    pub fn new<'p>(paths: impl IntoIterator<Item = &'p str>) -> Selection {
        let mut root = Selection::default();
        for path in paths {
            // An empty path names the whole value, as in [`super::fields::lookup`].
            if path.is_empty() {
                root.whole = true;
            }
            let mut node = &mut root;
            for segment in path.split('.') {
                let position = match node.children.iter().position(|(name, _)| name == segment) {
                    Some(position) => position,
                    None => {
                        node.children
                            .push((segment.to_string(), Selection::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[position].1;
            }
            node.whole = true;
        }
        root
    }

    /// Returns the selection below the member `key` of an object at this node, or `None` when
    /// the member is skipped. `key` contains no `.`.
    fn child(&self, key: &str) -> Option<&Selection> {
        self.children
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, node)| node)
    }

    /// Returns the selection below the member `key`, which contains dots as in flattened
    /// exports (`{"data.srcip": ...}`). Each dot steps one segment down, and a leaf ends the
    /// walk.
    fn dotted_child(&self, key: &str) -> Option<&Selection> {
        let mut node = self;
        for segment in key.split('.') {
            node = node.child(segment)?;
            if node.whole {
                return Some(node);
            }
        }
        Some(node)
    }
}

/// Returns whether `key` contains a `.`. Keys are a few bytes long, so a byte loop costs less
/// than a call to `memchr`.
fn has_dot(key: &str) -> bool {
    key.bytes().any(|byte| byte == b'.')
}

/// An object key, borrowed when it has no escape sequence. `Cow<str>` itself always copies.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(text.to_string())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings_borrow_input() {
        let input = br#"{"a": "plain", "b": "esc\"aped"}"#;
        let json = Json::parse(input).unwrap();
        assert!(matches!(
            json.get("a"),
            Some(Json::String(Cow::Borrowed("plain")))
        ));
        assert!(matches!(json.get("b"), Some(Json::String(Cow::Owned(_)))));
    }

    #[test]
    fn repeated_key_takes_last() {
        let json = Json::parse(br#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(json.get("a"), Some(&Json::Number(3.into())));
        assert_eq!(json.to_string(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn display_matches_serde_json_value() {
        let input = br#"{"z": [1, -2, 2.5, true, null], "a": {"y": "t\u00e9\n", "x": {}}}"#;
        let value: serde_json::Value = serde_json::from_slice(input).unwrap();
        assert_eq!(Json::parse(input).unwrap().to_string(), value.to_string());
    }

    fn dotted_key(json: &Json<'_>) -> bool {
        match json {
            Json::Object { dotted_key, .. } => *dotted_key,
            other => panic!("expected an object, got {other:?}"),
        }
    }

    #[test]
    fn dotted_key_marked_per_object() {
        let json = Json::parse(br#"{"data.srcip": "a", "data": {"win": {"x.y": 1}}}"#).unwrap();
        assert!(dotted_key(&json));
        let data = json.get("data").unwrap();
        assert!(!dotted_key(data));
        assert!(dotted_key(data.get("win").unwrap()));
    }

    #[test]
    fn selected_keeps_dotted_keys() {
        let selection = Selection::new(["data.srcip", "data.win.eventdata"]);
        let input = br#"{"data.srcip": "a", "data.other": 1, "data": {"win.eventdata": {"p.q": 2}, "x.y": 3}}"#;
        let json = Json::parse_selected(input, &selection).unwrap();
        assert_eq!(
            json.to_string(),
            r#"{"data":{"win.eventdata":{"p.q":2}},"data.srcip":"a"}"#
        );
        assert!(dotted_key(&json));
        let data = json.get("data").unwrap();
        assert!(dotted_key(data));
        assert!(dotted_key(data.get("win.eventdata").unwrap()));
    }

    #[test]
    fn selected_skips_do_not_mark_dotted_key() {
        let selection = Selection::new(["data.srcip"]);
        let json = Json::parse_selected(br#"{"data": {"srcip": "a"}, "x.y": 1}"#, &selection);
        let json = json.unwrap();
        assert_eq!(json.to_string(), r#"{"data":{"srcip":"a"}}"#);
        assert!(!dotted_key(&json));
    }

    #[test]
    fn selected_repeated_key_takes_last() {
        let selection = Selection::new(["data.srcip", "rule.id"]);
        let input = br#"{"data": {"srcip": "a", "srcip": "b"}, "rule.id": "1", "rule.id": "2"}"#;
        let json = Json::parse_selected(input, &selection).unwrap();
        let data = json.get("data").unwrap();
        assert_eq!(data.get("srcip"), Some(&Json::String("b".into())));
        assert_eq!(json.get("rule.id"), Some(&Json::String("2".into())));
    }

    #[test]
    fn take_removes_member() {
        let mut json = Json::parse(br#"{"_source": {"rule": 1}, "_id": "x"}"#).unwrap();
        let source = json.take("_source").unwrap();
        assert_eq!(source.get("rule"), Some(&Json::Number(1.into())));
        assert_eq!(json.get("_source"), None);
        assert_eq!(json.get("_id"), Some(&Json::String("x".into())));
    }
}
