//! Indicators of compromise: their types, canonical forms, validation and extraction from text.

mod types;

pub use types::IocType;
