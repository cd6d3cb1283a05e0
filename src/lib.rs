//! casefile keeps security incidents as TOML and Markdown files in a git repository and
//! enforces the incident-response phases with evidence gates.

pub mod alert;
pub mod attack;
pub mod ioc;
