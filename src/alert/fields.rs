//! Dotted-path lookup in alert JSON and rendering of values as text.

use std::borrow::Cow;

use super::json::Json;

/// Looks up a dotted path such as `data.win.eventdata.image` in a JSON value.
///
/// A segment that is a number indexes an array. A key that contains the rest of the path
/// with its dots also matches, as in flattened exports (`{"data.srcip": ...}`).
pub(crate) fn lookup<'a, 'b>(value: &'b Json<'a>, path: &str) -> Option<&'b Json<'a>> {
    if path.is_empty() {
        return Some(value);
    }
    let (segment, rest) = match path.bytes().position(|byte| byte == b'.') {
        Some(dot) => (&path[..dot], &path[dot + 1..]),
        None => (path, ""),
    };
    match value {
        Json::Object { .. } => lookup_below(value, value.get(segment), rest, path),
        Json::Array(items) => lookup(items.get(segment.parse::<usize>().ok()?)?, rest),
        _ => None,
    }
}

/// Looks up `rest` in `member`, the member of the object `parent` that the first segment of
/// `path` names, and falls back to a key of `parent` equal to the whole `path`.
fn lookup_below<'a, 'b>(
    parent: &'b Json<'a>,
    member: Option<&'b Json<'a>>,
    rest: &str,
    path: &str,
) -> Option<&'b Json<'a>> {
    let nested = member.and_then(|member| lookup(member, rest));
    let dotted_key = matches!(
        parent,
        Json::Object {
            dotted_key: true,
            ..
        }
    );
    match nested {
        // A key equal to `path` contains a dot, because `rest` follows one.
        None if !rest.is_empty() && dotted_key => parent.get(path),
        found => found,
    }
}

/// A member of an object, looked up once for the paths below it, such as an alert's `data`
/// object, which contains about twenty of the observable fields.
pub(crate) struct Branch<'b, 'a> {
    parent: &'b Json<'a>,
    name: &'static str,
    member: Option<&'b Json<'a>>,
}

impl<'b, 'a> Branch<'b, 'a> {
    /// Looks up the member `name`, which contains no `.`, of `parent`.
    pub fn new(parent: &'b Json<'a>, name: &'static str) -> Branch<'b, 'a> {
        Branch {
            parent,
            name,
            member: parent.get(name),
        }
    }

    /// Looks up a dotted path in the parent, as [`lookup`] does. A path outside the member is
    /// looked up from the parent.
    pub fn lookup(&self, path: &str) -> Option<&'b Json<'a>> {
        let rest = path
            .strip_prefix(self.name)
            .and_then(|rest| rest.strip_prefix('.'));
        let (Some(rest), Json::Object { .. }) = (rest, self.parent) else {
            return lookup(self.parent, path);
        };
        lookup_below(self.parent, self.member, rest, path)
    }

    /// Returns the text at a dotted path in the parent, as [`text_at`] does.
    pub fn text_at(&self, path: &str) -> Option<Cow<'b, str>> {
        non_empty_text(self.lookup(path)?)
    }
}

/// Renders a string, number or boolean as text, and returns `None` for anything else.
pub(crate) fn scalar_text<'b>(value: &'b Json<'_>) -> Option<Cow<'b, str>> {
    match value {
        Json::String(text) => Some(Cow::Borrowed(text)),
        Json::Number(number) => Some(Cow::Owned(number.to_string())),
        Json::Bool(flag) => Some(Cow::Owned(flag.to_string())),
        _ => None,
    }
}

/// Renders any value as text: scalars as by [`scalar_text`], arrays of scalars joined with
/// `,`, and objects or nested arrays as compact JSON. Returns `None` for `null`.
pub(crate) fn render(value: &Json<'_>) -> Option<String> {
    if let Some(text) = scalar_text(value) {
        return Some(text.into_owned());
    }
    match value {
        Json::Null => None,
        Json::Array(items) => {
            let texts: Option<Vec<Cow<'_, str>>> = items.iter().map(scalar_text).collect();
            match texts {
                Some(texts) => Some(texts.join(",")),
                None => Some(value.to_string()),
            }
        }
        _ => Some(value.to_string()),
    }
}

/// Returns the text at `path` when it is a non-empty scalar.
pub(crate) fn text_at<'b>(value: &'b Json<'_>, path: &str) -> Option<Cow<'b, str>> {
    non_empty_text(lookup(value, path)?)
}

fn non_empty_text<'b>(value: &'b Json<'_>) -> Option<Cow<'b, str>> {
    let text = scalar_text(value)?;
    (!trim(&text).is_empty()).then_some(text)
}

/// Returns `text` without leading and trailing whitespace, as [`str::trim`] does. Most alert
/// values start and end with a visible ASCII character, which is not whitespace, so they
/// are returned without decoding characters.
pub(crate) fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Returns the strings at `path`, which may be an array or a single value. Each string is
/// split on commas because some Wazuh versions write `"T1169, T1078"` as one element.
/// Duplicates and empty parts are dropped and the first order is kept.
pub(crate) fn string_list(value: &Json<'_>, path: &str) -> Vec<String> {
    let items: Vec<&Json<'_>> = match lookup(value, path) {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
        None => Vec::new(),
    };
    let mut list: Vec<String> = Vec::new();
    for item in items {
        let Some(text) = scalar_text(item) else {
            continue;
        };
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            if !list.iter().any(|existing| existing == part) {
                list.push(part.to_string());
            }
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Parses the JSON text of a `serde_json::Value` into a [`Json`] tree.
    fn tree(value: serde_json::Value) -> Json<'static> {
        let text: &'static [u8] = value.to_string().into_bytes().leak();
        Json::parse(text).unwrap()
    }

    #[test]
    fn lookup_nested_object() {
        let value = tree(json!({"data": {"win": {"eventdata": {"image": "C:\\a.exe"}}}}));
        assert_eq!(
            lookup(&value, "data.win.eventdata.image"),
            Some(&tree(json!("C:\\a.exe")))
        );
        assert_eq!(lookup(&value, "data.win.missing"), None);
    }

    #[test]
    fn lookup_flattened_key() {
        let value = tree(json!({"data.srcip": "1.2.3.4", "rule": {"mitre.id": ["T1110"]}}));
        assert_eq!(lookup(&value, "data.srcip"), Some(&tree(json!("1.2.3.4"))));
        assert_eq!(
            lookup(&value, "rule.mitre.id"),
            Some(&tree(json!(["T1110"])))
        );
    }

    #[test]
    fn lookup_dotted_key_below_root() {
        let value = tree(json!({"data": {"virustotal.source.file": "/tmp/x"}}));
        assert_eq!(
            lookup(&value, "data.virustotal.source.file"),
            Some(&tree(json!("/tmp/x")))
        );
        let value = tree(json!({"data": {"virustotal": {"source.file": "/tmp/y"}}}));
        assert_eq!(
            lookup(&value, "data.virustotal.source.file"),
            Some(&tree(json!("/tmp/y")))
        );
    }

    #[test]
    fn lookup_nested_before_flattened() {
        let value = tree(json!({"data": {"srcip": "1.1.1.1"}, "data.srcip": "2.2.2.2"}));
        assert_eq!(lookup(&value, "data.srcip"), Some(&tree(json!("1.1.1.1"))));
        let value = tree(json!({"data": {"dstip": "1.1.1.1"}, "data.srcip": "2.2.2.2"}));
        assert_eq!(lookup(&value, "data.srcip"), Some(&tree(json!("2.2.2.2"))));
        let value = tree(json!({"data": {"srcip": null}, "data.srcip": "2.2.2.2"}));
        assert_eq!(lookup(&value, "data.srcip"), Some(&tree(json!(null))));
    }

    #[test]
    fn lookup_repeated_key_takes_last() {
        let text: &'static [u8] =
            br#"{"data": {"srcip": "a"}, "data": {"dstip": "b"}, "data.srcip": "c", "data.srcip": "d"}"#;
        let value = Json::parse(text).unwrap();
        assert_eq!(lookup(&value, "data.dstip"), Some(&tree(json!("b"))));
        assert_eq!(lookup(&value, "data.srcip"), Some(&tree(json!("d"))));
    }

    #[test]
    fn lookup_trailing_dot() {
        let value = tree(json!({"data": {"srcip": "1.1.1.1"}}));
        assert_eq!(lookup(&value, "data."), lookup(&value, "data"));
        assert_eq!(lookup(&value, ""), Some(&value));
    }

    #[test]
    fn lookup_array_index() {
        let value = tree(json!({"rule": {"groups": ["sshd", "syslog"]}}));
        assert_eq!(
            lookup(&value, "rule.groups.1"),
            Some(&tree(json!("syslog")))
        );
        assert_eq!(lookup(&value, "rule.groups.2"), None);
        assert_eq!(lookup(&value, "rule.groups.x"), None);
    }

    #[test]
    fn branch_lookup_matches_lookup() {
        let trees: [&'static [u8]; 6] = [
            br#"{"data": {"srcip": "a", "win": {"eventdata": {"image": "b"}}}}"#,
            br#"{"data": {"dstip": "a"}, "data.srcip": "b", "data.win.eventdata": {"x": 1}}"#,
            br#"{"data": {"srcip": "a"}, "data": {"win.eventdata": 1}, "data.srcip": "c"}"#,
            br#"{"data": ["a", {"srcip": "b"}], "data.1.srcip": "c", "syscheck": {"path": "/x"}}"#,
            br#"{"data": "text", "data.srcip": "a", "agent.id": "001"}"#,
            br#"[{"data": {"srcip": "a"}}]"#,
        ];
        let paths = [
            "data",
            "data.",
            "data.srcip",
            "data.dstip",
            "data.win.eventdata",
            "data.win.eventdata.image",
            "data.1.srcip",
            "datasrcip",
            "syscheck.path",
            "agent.id",
            "0.data.srcip",
            "",
        ];
        for text in trees {
            let value = Json::parse(text).unwrap();
            let data = Branch::new(&value, "data");
            for path in paths {
                let input = String::from_utf8_lossy(text);
                assert_eq!(data.lookup(path), lookup(&value, path), "{input} {path}");
            }
        }
    }

    #[test]
    fn render_value_kinds() {
        assert_eq!(render(&tree(json!("a"))), Some("a".to_string()));
        assert_eq!(render(&tree(json!(5710))), Some("5710".to_string()));
        assert_eq!(render(&tree(json!(false))), Some("false".to_string()));
        assert_eq!(render(&tree(json!(["a", 1]))), Some("a,1".to_string()));
        assert_eq!(
            render(&tree(json!({"a": 1}))),
            Some("{\"a\":1}".to_string())
        );
        assert_eq!(render(&tree(json!(null))), None);
    }

    #[test]
    fn string_list_splits_commas() {
        let value = tree(json!({"ids": ["T1169, T1078", "T1078", " "]}));
        assert_eq!(string_list(&value, "ids"), vec!["T1169", "T1078"]);
        let single = tree(json!({"ids": "T1110"}));
        assert_eq!(string_list(&single, "ids"), vec!["T1110"]);
        assert!(string_list(&single, "missing").is_empty());
    }
}
