//! A parser that builds [`Json`] trees straight from alert text, without serde's visitor calls.
//!
//! It accepts only input that serde_json accepts and builds the tree that the serde
//! [`Deserialize`](serde::Deserialize) impl of [`Json`] builds, following the checks of
//! serde_json 1.0.154. It rejects the rest, and some valid input, without saying why, so that
//! the caller parses that input again with serde_json for its result or its error.
//!
//! NOTE: a newer serde_json may check other things. The fuzz target `facts_match_alert`
//! compares what this parser and serde_json accept, and is the check to run after an update.

use std::borrow::Cow;

use super::{has_dot, Json, Selection};

/// The input is not valid JSON, or it is JSON that this parser leaves to serde_json.
#[derive(Debug)]
pub(super) struct Rejected;

type Parsed<T> = Result<T, Rejected>;

/// The maximum number of objects and arrays open at once. serde_json rejects the 128th with
/// "recursion limit exceeded" in a value it builds, but not in a value it ignores, so
/// [`Parser::skip_value`] checks the limit itself.
const MAX_BUILT_DEPTH: usize = 127;

/// Parses `text` whole, as `serde_json::from_str::<Json>` does.
pub(super) fn parse_whole(text: &str) -> Parsed<Json<'_>> {
    let mut parser = Parser::new(text);
    let value = parser.value()?;
    parser.end().map(|()| value)
}

/// Parses `text`, building only the object members that `selection` names, as a
/// [`Selection`] documents.
pub(super) fn parse_selected<'a>(text: &'a str, selection: &Selection) -> Parsed<Json<'a>> {
    let mut parser = Parser::new(text);
    let value = parser.selected_value(selection)?;
    parser.end().map(|()| value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The index of the next byte to read.
    position: usize,
    /// The objects and arrays being built that contain the position.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text,
            bytes: text.as_bytes(),
            position: 0,
            depth: 0,
        }
    }

    /// Skips whitespace as JSON defines it and returns the next byte.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        while let Some(&byte) = self.bytes.get(self.position) {
            if !matches!(byte, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(byte);
            }
            self.position += 1;
        }
        None
    }

    /// Skips whitespace and then `byte`, which must come next.
    #[inline]
    fn expect(&mut self, byte: u8) -> Parsed<()> {
        if self.peek() != Some(byte) {
            return Err(Rejected);
        }
        self.position += 1;
        Ok(())
    }

    /// Accepts only whitespace up to the end of the input.
    fn end(&mut self) -> Parsed<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(Rejected),
        }
    }

    /// Steps into an object or array that is built, at its opening bracket.
    fn open(&mut self) -> Parsed<()> {
        if self.depth == MAX_BUILT_DEPTH {
            return Err(Rejected);
        }
        self.depth += 1;
        self.position += 1;
        Ok(())
    }

    /// Parses the value at `selection`: whole at a leaf, and member by member in an object.
    fn selected_value(&mut self, selection: &Selection) -> Parsed<Json<'a>> {
        if !selection.whole && self.peek() == Some(b'{') {
            return self.object(Some(selection));
        }
        self.value()
    }

    /// Parses one value and builds it whole.
    fn value(&mut self) -> Parsed<Json<'a>> {
        match self.peek() {
            Some(b'"') => {
                self.position += 1;
                self.string().map(Json::String)
            }
            Some(b'{') => self.object(None),
            Some(b'[') => self.array(),
            Some(b't') => self.literal(b"true").map(|()| Json::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Json::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(Rejected),
        }
    }

    /// Parses an object at its opening brace. With a `selection`, it builds the members the
    /// selection names and skips the others. Without one, it builds every member whole.
    fn object(&mut self, selection: Option<&Selection>) -> Parsed<Json<'a>> {
        self.open()?;
        // Room for the members usually built in an alert object, about seven at its root, so
        // that few objects grow.
        let room = selection.map_or(0, |selection| selection.children.len().min(8));
        let mut members = Vec::with_capacity(room);
        let mut dotted_key = false;
        if self.peek() == Some(b'}') {
            self.position += 1;
        } else {
            loop {
                let name = self.member_name()?;
                let dotted = has_dot(&name);
                let value = match selection {
                    None => Some(self.value()?),
                    Some(selection) => {
                        let child = if dotted {
                            selection.dotted_child(&name)
                        } else {
                            selection.child(&name)
                        };
                        match child {
                            Some(child) => Some(self.selected_value(child)?),
                            None => {
                                self.skip_value()?;
                                None
                            }
                        }
                    }
                };
                if let Some(value) = value {
                    dotted_key |= dotted;
                    members.push((name, value));
                }
                if self.object_ends()? {
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(Json::Object {
            members,
            dotted_key,
        })
    }

    fn array(&mut self) -> Parsed<Json<'a>> {
        self.open()?;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.position += 1;
        } else {
            loop {
                items.push(self.value()?);
                match self.peek() {
                    Some(b',') => self.position += 1,
                    Some(b']') => {
                        self.position += 1;
                        break;
                    }
                    _ => return Err(Rejected),
                }
            }
        }
        self.depth -= 1;
        Ok(Json::Array(items))
    }

    /// Parses a member's name and the colon after it.
    #[inline]
    fn member_name(&mut self) -> Parsed<Cow<'a, str>> {
        self.expect(b'"')?;
        let name = self.string()?;
        self.expect(b':')?;
        Ok(name)
    }

    /// Reads the comma or the closing brace after an object member, and returns whether it
    /// was the brace.
    #[inline]
    fn object_ends(&mut self) -> Parsed<bool> {
        match self.peek() {
            Some(b',') => {
                self.position += 1;
                Ok(false)
            }
            Some(b'}') => {
                self.position += 1;
                Ok(true)
            }
            _ => Err(Rejected),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Parsed<()> {
        if !self.bytes[self.position..].starts_with(word) {
            return Err(Rejected);
        }
        self.position += word.len();
        Ok(())
    }

    /// Parses a number. serde_json parses any number but a plain integer below 10^19, so
    /// that a float is rounded exactly as serde_json rounds it.
    fn number(&mut self) -> Parsed<Json<'a>> {
        let start = self.position;
        self.skip_number()?;
        let token = &self.bytes[start..self.position];
        if token.len() < 20 && token.iter().all(u8::is_ascii_digit) {
            let value = token
                .iter()
                .fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'));
            return Ok(Json::Number(value.into()));
        }
        serde_json::from_slice(token).map_err(|_| Rejected)
    }

    /// Skips a number, which must have the form that JSON defines.
    fn skip_number(&mut self) -> Parsed<()> {
        if self.bytes.get(self.position) == Some(&b'-') {
            self.position += 1;
        }
        match self.bytes.get(self.position) {
            // A leading `0` takes no more digits, so the caller rejects a digit after it.
            Some(b'0') => self.position += 1,
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(Rejected),
        }
        if self.bytes.get(self.position) == Some(&b'.') {
            self.position += 1;
            self.skip_at_least_one_digit()?;
        }
        if matches!(self.bytes.get(self.position), Some(b'e' | b'E')) {
            self.position += 1;
            if matches!(self.bytes.get(self.position), Some(b'+' | b'-')) {
                self.position += 1;
            }
            self.skip_at_least_one_digit()?;
        }
        Ok(())
    }

    /// Skips a number, rejecting one that serde_json reads as out of range when it builds
    /// it, though not when it skips it. Only a number with an exponent or with hundreds of
    /// digits can be out of range, so only those are parsed.
    fn skip_checked_number(&mut self) -> Parsed<()> {
        let start = self.position;
        self.skip_number()?;
        let token = &self.bytes[start..self.position];
        let may_overflow = token.len() > 300 || token.iter().any(|b| matches!(b, b'e' | b'E'));
        if may_overflow && serde_json::from_slice::<serde_json::Number>(token).is_err() {
            return Err(Rejected);
        }
        Ok(())
    }

    fn skip_digits(&mut self) {
        while self
            .bytes
            .get(self.position)
            .is_some_and(u8::is_ascii_digit)
        {
            self.position += 1;
        }
    }

    fn skip_at_least_one_digit(&mut self) -> Parsed<()> {
        let start = self.position;
        self.skip_digits();
        if self.position == start {
            return Err(Rejected);
        }
        Ok(())
    }

    /// Parses a string whose opening quote has been read, borrowing it when it has no escape
    /// sequence.
    #[inline]
    fn string(&mut self) -> Parsed<Cow<'a, str>> {
        let start = self.position;
        let escaped = self.skip_string()?;
        let raw = self.text.get(start..self.position - 1).ok_or(Rejected)?;
        if escaped {
            unescape(raw).map(Cow::Owned)
        } else {
            Ok(Cow::Borrowed(raw))
        }
    }

    /// Skips a string whose opening quote has been read, up to and including its closing
    /// quote, and returns whether it has an escape sequence.
    #[inline]
    fn skip_string(&mut self) -> Parsed<bool> {
        // Most keys and values end within eight bytes, so one word is checked first.
        if let Some(chunk) = self.bytes.get(self.position..self.position + 8) {
            let found = special_bytes(chunk);
            let offset = found.trailing_zeros() as usize / 8;
            if found != 0 && chunk[offset] == b'"' {
                self.position += offset + 1;
                return Ok(false);
            }
        }
        self.skip_long_string()
    }

    #[inline(never)]
    fn skip_long_string(&mut self) -> Parsed<bool> {
        let mut escaped = false;
        loop {
            self.position += special_offset(&self.bytes[self.position..]);
            match self.bytes.get(self.position) {
                Some(b'"') => {
                    self.position += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.position += escape_length(&self.bytes[self.position..])?;
                }
                // A control character, which JSON requires to be escaped, or the end.
                _ => return Err(Rejected),
            }
        }
    }

    /// Skips one value, checking it as serde_json checks an ignored value. It also rejects
    /// objects and arrays nested deeper than a built value may be. serde_json skips those,
    /// but its parse of the whole alert rejects them, and ingest parses some alerts whole.
    fn skip_value(&mut self) -> Parsed<()> {
        let mut open = OpenContainers::default();
        loop {
            let next = self.peek();
            if matches!(next, Some(b'{' | b'[')) && self.depth + open.depth >= MAX_BUILT_DEPTH {
                return Err(Rejected);
            }
            match next {
                Some(b'"') => {
                    self.position += 1;
                    self.skip_string()?;
                }
                Some(b'{') => {
                    self.position += 1;
                    if self.peek() == Some(b'}') {
                        self.position += 1;
                    } else {
                        open.push(true);
                        self.skip_member_name()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.position += 1;
                    if self.peek() == Some(b']') {
                        self.position += 1;
                    } else {
                        open.push(false);
                        continue;
                    }
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.skip_checked_number()?,
                _ => return Err(Rejected),
            }
            // A value has ended: close the containers that end after it, up to one that
            // continues with a comma.
            loop {
                let Some(object) = open.innermost() else {
                    return Ok(());
                };
                match self.peek() {
                    Some(b',') => {
                        self.position += 1;
                        if object {
                            self.skip_member_name()?;
                        }
                        break;
                    }
                    Some(b'}') if object => open.pop(),
                    Some(b']') if !object => open.pop(),
                    _ => return Err(Rejected),
                }
                self.position += 1;
            }
        }
    }

    fn skip_member_name(&mut self) -> Parsed<()> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.expect(b':')
    }
}

/// The kinds of the objects and arrays open while a value is skipped, innermost last.
#[derive(Default)]
struct OpenContainers {
    /// One bit per container, set for an object, for the first 64.
    first: u64,
    /// The containers below the first 64, `true` for an object.
    deeper: Vec<bool>,
    depth: usize,
}

impl OpenContainers {
    fn push(&mut self, object: bool) {
        if self.depth < 64 {
            self.first = (self.first & !(1 << self.depth)) | (u64::from(object) << self.depth);
        } else {
            self.deeper.push(object);
        }
        self.depth += 1;
    }

    fn pop(&mut self) {
        self.depth -= 1;
        if self.depth >= 64 {
            self.deeper.pop();
        }
    }

    /// Returns whether the innermost container is an object, or `None` when none is open.
    fn innermost(&self) -> Option<bool> {
        match self.depth {
            0 => None,
            1..=64 => Some(self.first & (1 << (self.depth - 1)) != 0),
            _ => self.deeper.last().copied(),
        }
    }
}

/// Returns the index of the first `"`, `\` or control character (U+0000 to U+001F) in
/// `bytes`, or its length when it has none.
fn special_offset(bytes: &[u8]) -> usize {
    let mut index = 0;
    while let Some(chunk) = bytes.get(index..index + 8) {
        let found = special_bytes(chunk);
        if found != 0 {
            return index + found.trailing_zeros() as usize / 8;
        }
        index += 8;
    }
    let tail = &bytes[index..];
    index
        + tail
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
            .unwrap_or(tail.len())
}

/// Returns a word whose lowest set bit is the high bit of the first `"`, `\` or control
/// character in `chunk`, which has eight bytes, or 0 when `chunk` has none.
#[inline]
fn special_bytes(chunk: &[u8]) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    const HIGH_BITS: u64 = ONES << 7;
    let mut word = [0; 8];
    word.copy_from_slice(chunk);
    let word = u64::from_le_bytes(word);
    // After `x - 0x0101...`, a byte's high bit is set where the byte was zero, and the lowest
    // byte so marked is exact because no borrow reaches it.
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = quote.wrapping_sub(ONES) & !quote;
    let backslash = backslash.wrapping_sub(ONES) & !backslash;
    (control | quote | backslash) & HIGH_BITS
}

/// Returns the length of the escape sequence at the start of `bytes`, which starts with `\`.
///
/// An escape of a UTF-16 surrogate is rejected, so that serde_json pairs it or rejects it
/// when it is unpaired. So is `\\` before `u` and a surrogate's first two hex digits, which
/// is not an escape, so that any string with the text `\uD800` to `\uDFFF` is parsed whole.
/// The choice matters for input whose skipped values nest deeper than serde_json's recursion
/// limit, which only a whole parse rejects.
fn escape_length(bytes: &[u8]) -> Parsed<usize> {
    match bytes.get(1) {
        Some(b'"' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(2),
        Some(b'\\') if starts_surrogate_escape(&bytes[2..]) => Err(Rejected),
        Some(b'\\') => Ok(2),
        Some(b'u') => match bytes.get(2..6).and_then(hex_value) {
            Some(0xD800..=0xDFFF) | None => Err(Rejected),
            Some(_) => Ok(6),
        },
        _ => Err(Rejected),
    }
}

/// Returns whether `bytes` start with `u` and two hex digits `D8` to `DF`, in either case.
fn starts_surrogate_escape(bytes: &[u8]) -> bool {
    match bytes {
        [b'u', first, second, ..] => {
            first.eq_ignore_ascii_case(&b'd')
                && matches!(second.to_ascii_lowercase(), b'8'..=b'9' | b'a'..=b'f')
        }
        _ => false,
    }
}

/// Returns the value of four hex digits.
fn hex_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0, |value, &digit| {
        let digit = char::from(digit).to_digit(16)?;
        Some(value * 16 + digit)
    })
}

/// Decodes the escape sequences of a string's text, which [`escape_length`] has checked.
fn unescape(raw: &str) -> Parsed<String> {
    let mut text = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(backslash) = rest.find('\\') {
        text.push_str(&rest[..backslash]);
        let escape = &rest.as_bytes()[backslash..];
        let length = escape_length(escape)?;
        let decoded = match escape[1] {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => hex_value(&escape[2..6])
                .and_then(char::from_u32)
                .ok_or(Rejected)?,
            other => char::from(other),
        };
        text.push(decoded);
        rest = &rest[backslash + length..];
    }
    text.push_str(rest);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs that serde_json accepts or rejects, with escapes, numbers and layout errors.
    const INPUTS: &[&str] = &[
        r#"{"a": [1, -2, 2.5, 1e3, -0, 18446744073709551615, 18446744073709551616]}"#,
        r#"{"a": "t\u00e9\n\"\\\/\b\f\r\t", "b\u0041": {"x.y": null, "z": [true, false]}}"#,
        r#" { "a" : 1 , "a" : 2 } "#,
        r#"{"a": 01}"#,
        r#"{"a": 1.}"#,
        r#"{"a": 1e400}"#,
        r#"{"a": .5}"#,
        r#"{"a": +1}"#,
        r#"{"a": 1,}"#,
        r#"{"a": [1,]}"#,
        r#"{"a" 1}"#,
        r#"{1: 2}"#,
        r#"{"a": tru}"#,
        r#"{"a": "\x"}"#,
        r#"{"a": "\u12"}"#,
        "{\"a\": \"tab\there\"}",
        r#"{"a": 1} x"#,
        r#"{"a": "unterminated}"#,
        "",
        "[]",
        "\"text\"",
    ];

    #[test]
    fn whole_matches_serde_json() {
        for input in INPUTS {
            let expected = serde_json::from_str::<Json<'_>>(input).ok();
            let parsed = parse_whole(input).ok();
            assert!(parsed.is_none() || parsed == expected, "{input}");
            if expected.is_none() {
                assert!(parsed.is_none(), "{input}");
            }
        }
        assert!(parse_whole(INPUTS[0]).is_ok());
        assert!(parse_whole(INPUTS[1]).is_ok());
    }

    #[test]
    fn selected_rejects_invalid_skipped_values() {
        let selection = Selection::new(["b"]);
        for skipped in [r#""\x""#, "01", "[1,]", "{\"a\" 1}", "tru", "\"\u{1}\""] {
            let input = format!(r#"{{"a": {skipped}, "b": 1}}"#);
            assert!(parse_selected(&input, &selection).is_err(), "{input}");
        }
        let input = r#"{"a": {"x": [1, {"y": "\n"}]}, "b": 1}"#;
        let parsed = parse_selected(input, &selection).expect("valid");
        assert_eq!(parsed.to_string(), r#"{"b":1}"#);
    }

    #[test]
    fn depth_limit_matches_serde_json() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        for depth in [MAX_BUILT_DEPTH, MAX_BUILT_DEPTH + 1] {
            let input = nested(depth);
            let expected = serde_json::from_str::<Json<'_>>(&input).is_ok();
            assert_eq!(parse_whole(&input).is_ok(), expected, "{depth}");
        }
        assert!(parse_whole(&nested(MAX_BUILT_DEPTH)).is_ok());
        // A skipped value may nest as deep as a built one, counting the object around it.
        let selection = Selection::new(["b"]);
        for (depth, accepted) in [(MAX_BUILT_DEPTH - 1, true), (MAX_BUILT_DEPTH, false)] {
            let input = format!(r#"{{"a": {}, "b": 1}}"#, nested(depth));
            let whole = serde_json::from_str::<Json<'_>>(&input).is_ok();
            assert_eq!(whole, accepted, "{depth}");
            assert_eq!(
                parse_selected(&input, &selection).is_ok(),
                accepted,
                "{depth}"
            );
        }
    }

    #[test]
    fn skipped_numbers_out_of_range_rejected() {
        let selection = Selection::new(["b"]);
        let long = "9".repeat(400);
        for (number, accepted) in [
            ("1e308", true),
            ("1e-400", true),
            ("-2.5E+3", true),
            ("1e400", false),
            ("-1e400", false),
            (long.as_str(), false),
        ] {
            let input = format!(r#"{{"a": [{number}], "b": 1}}"#);
            let whole = serde_json::from_str::<Json<'_>>(&input).is_ok();
            assert_eq!(whole, accepted, "{number}");
            assert_eq!(
                parse_selected(&input, &selection).is_ok(),
                accepted,
                "{number}"
            );
        }
    }

    #[test]
    fn surrogate_escapes_rejected() {
        let selection = Selection::new(["b"]);
        for text in [r"\uD83D\uDE00", r"\udc00", r"\\ud800", r"\\\uDBFF"] {
            let input = format!(r#"{{"a": "{text}", "b": 1}}"#);
            assert!(parse_selected(&input, &selection).is_err(), "{input}");
        }
        let input = r#"{"a": "\\u0041 \\uD7FF \uD7FF", "b": 1}"#;
        assert!(parse_selected(input, &selection).is_ok());
    }

    #[test]
    fn special_offset_finds_first() {
        for length in 0..20 {
            for special in [b'"', b'\\', 0x00, 0x1f] {
                for filler in [b'a', b' ', 0x7f, 0x80, 0xff] {
                    let mut bytes = vec![filler; length];
                    assert_eq!(special_offset(&bytes), length);
                    for index in 0..length {
                        bytes[index] = special;
                        bytes[length - 1] = special;
                        assert_eq!(special_offset(&bytes), index, "{bytes:?}");
                        bytes.fill(filler);
                    }
                }
            }
        }
    }
}
