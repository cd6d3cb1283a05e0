//! IOC export as CSV (RFC 4180): one row per indicator and incident.

use super::ExportIoc;

/// Column names of the CSV export.
pub const HEADER: [&str; 8] = [
    "incident",
    "type",
    "value",
    "first_seen",
    "last_seen",
    "source",
    "tlp",
    "sightings",
];

/// Writes the indicators as CSV with CRLF line ends, as RFC 4180 specifies.
///
/// A value that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return) is prefixed with `'`, so that opening the file runs nothing. The
/// prefix changes the value, and scripts that read the file must strip it.
pub fn render(iocs: &[ExportIoc]) -> String {
    let mut output = String::new();
    push_row(&mut output, HEADER.iter().map(|s| s.to_string()));
    for ioc in iocs {
        push_row(
            &mut output,
            [
                ioc.incident.clone(),
                ioc.kind.as_str().to_string(),
                ioc.value.clone(),
                ioc.first_seen.clone(),
                ioc.last_seen.clone(),
                ioc.sources.join("; "),
                ioc.tlp.to_string(),
                ioc.sightings.to_string(),
            ]
            .into_iter(),
        );
    }
    output
}

fn push_row(output: &mut String, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields.map(|field| quote(&defuse_formula(&field))).collect();
    output.push_str(&fields.join(","));
    output.push_str("\r\n");
}

/// Prefixes a value that starts a spreadsheet formula with a single quote.
pub fn defuse_formula(field: &str) -> String {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_string()
    }
}

/// Quotes a field that contains a comma, a double quote or a line break, doubling quotes.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_doubles_quotes() {
        assert_eq!(quote("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(quote("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(quote("plain"), "plain");
    }

    #[test]
    fn defuse_formula_prefixes_quote() {
        for value in ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(1)", "\tx"] {
            assert_eq!(defuse_formula(value), format!("'{value}"));
        }
        assert_eq!(defuse_formula("192.0.2.1"), "192.0.2.1");
    }
}
