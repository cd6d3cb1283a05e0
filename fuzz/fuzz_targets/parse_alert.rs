//! Fuzzes `parse_alert` and the accessors a caller uses on its result.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(alert) = casefile::alert::parse_alert(data) {
        let _ = alert.timestamp_utc();
        let fields = ["rule.id", "agent.id", "data.srcip", "rule.mitre.id"].map(String::from);
        let _ = casefile::alert::dedupe_key(data, &fields);
        let _ = casefile::alert::field(data, "data.win.eventdata");
        for id in &alert.rule.mitre_ids {
            let _ = casefile::attack::validate_technique(id);
        }
    }
});
