//! Edits of `incident.toml` that change only the keys a command owns and keep the analyst's
//! comments, key order and formatting.

use toml_edit::{value, Array, ArrayOfTables, DocumentMut, Item, Table};

use crate::error::{Error, Result};

/// A parsed `incident.toml` that a command edits and writes back.
pub struct IncidentEdit {
    document: DocumentMut,
    crlf: bool,
}

impl IncidentEdit {
    /// Parses the file text; `path` names the file in errors.
    pub fn parse(text: &str, path: &std::path::Path) -> Result<Self> {
        let document: DocumentMut = text.parse().map_err(|source| Error::Toml {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        Ok(IncidentEdit {
            document,
            crlf: text.contains("\r\n"),
        })
    }

    /// Sets a top-level string key, keeping the comment above it.
    pub fn set_str(&mut self, key: &str, text: &str) {
        self.set_item(key, value(text));
    }

    /// Removes a top-level key.
    pub fn remove(&mut self, key: &str) {
        self.document.remove(key);
    }

    /// Sets a top-level array of strings.
    pub fn set_str_array(&mut self, key: &str, items: &[String]) {
        let mut array = Array::new();
        for item in items {
            array.push(item.as_str());
        }
        self.set_item(key, value(array));
    }

    fn set_item(&mut self, key: &str, item: Item) {
        match self.document.get_mut(key) {
            Some(existing) if existing.is_value() => {
                // Keep the decoration (comments, spacing) of the value being replaced.
                let decor = existing.as_value().map(|old| old.decor().clone());
                *existing = item;
                if let (Some(decor), Some(new)) = (decor, existing.as_value_mut()) {
                    *new.decor_mut() = decor;
                }
            }
            _ => {
                // toml_edit writes a table's plain values before its sub-tables, so a new
                // top-level key lands above `[source]` and the other tables.
                self.document.insert(key, item);
            }
        }
    }

    /// Sets a string key inside a table such as `[lessons]`, creating the table when missing.
    pub fn set_table_str(&mut self, table: &str, key: &str, text: &str) {
        let entry = self
            .document
            .entry(table)
            .or_insert_with(|| Item::Table(Table::new()));
        if let Some(table) = entry.as_table_mut() {
            table.insert(key, value(text));
        }
    }

    /// Appends a table to an array of tables such as `[[phase_history]]`.
    pub fn push_table(&mut self, key: &str, entries: &[(&str, &str)]) {
        let mut table = Table::new();
        for (name, text) in entries {
            table.insert(name, value(*text));
        }
        let item = self
            .document
            .entry(key)
            .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
        if let Some(array) = item.as_array_of_tables_mut() {
            array.push(table);
        }
    }

    /// Returns the edited text, with the line endings the file had.
    pub fn to_text(&self) -> String {
        let text = self.document.to_string();
        if self.crlf {
            text.replace("\r\n", "\n").replace('\n', "\r\n")
        } else {
            text
        }
    }
}
