//! Security alerts as received from a SIEM, parsed into the facts an incident needs.
