//! The embedded MITRE ATT&CK Enterprise catalog and technique ID validation.
